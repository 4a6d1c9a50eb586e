//! `ghfix diagnose LOGFILE|-`: reads a job's log as downloaded (timestamps, `##[group]` markers
//! and ANSI colours allowed), line by line in constant memory, and names each token failure it
//! shows: the cause, the evidence line, the step, and what to do (the missing scope where the log
//! tells it: `x-accepted-github-permissions`, the REST route, the GraphQL mutation). With
//! `--workflow FILE` it also names the step in the workflow and the exact edit.

use std::collections::{BTreeMap, VecDeque};
use std::io::BufRead;
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::commands::{input_error, EXIT_FINDINGS, EXIT_OK};
use crate::rules::knowledge::{Knowledge, Level};

/// One kind of failure (`rules/knowledge/log-failures.yml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Failure {
    id: String,
    regex: String,
    cause: String,
    action: String,
    rule: Option<String>,
    scope: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    failures: Vec<Failure>,
    graphql: BTreeMap<String, Vec<String>>,
}

struct Compiled {
    table: Table,
    any: regex::RegexSet,
}

static TABLE: LazyLock<Compiled> = LazyLock::new(|| {
    let table: Table = crate::rules::load::parse(
        "rules/knowledge/log-failures.yml",
        include_str!("../../rules/knowledge/log-failures.yml"),
    )
    .expect("the shipped log failures parse");
    let any = regex::RegexSet::new(table.failures.iter().map(|f| &f.regex))
        .expect("the shipped log failure regexes are valid");
    Compiled { table, any }
});

static NOISE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\u{feff})?(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z ?)?").expect("valid regex")
});
static ANSI: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\x1b\[[0-9;?]*[A-Za-z]").expect("valid regex"));
static ACCEPTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)x-accepted-github-permissions['"]?\s*[:=]\s*['"]?([a-z_=;, -]+)"#)
        .expect("valid regex")
});
static URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:(GET|POST|PUT|PATCH|DELETE)\s+)?https?://[^\s/]+(?:/api/v3)?/repos/[^/\s]+/[^/\s]+/([^\s'")?]+)"#)
        .expect("valid regex")
});
static METHOD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"method['"]?\s*[:=]\s*['"]?(GET|POST|PUT|PATCH|DELETE)"#).expect("valid regex")
});
static GRAPHQL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"GraphQL: .*\((\w+)\)\s*$").expect("valid regex"));

/// How many lines around a failure are searched for evidence of the call.
const WINDOW: usize = 25;

/// One failure found in the log.
#[derive(Debug, Serialize)]
pub struct Diagnosis {
    /// The failure's id.
    pub failure: String,
    /// 1-based line of the evidence.
    pub line: usize,
    /// The evidence, cleaned of timestamps and colours.
    pub evidence: String,
    /// The step running when it happened (`##[group]Run ...`), when the log shows it.
    pub step: Option<String>,
    /// Why it happens.
    pub cause: String,
    /// What the log says the call needed (`issues: write`; several: any one of them).
    pub needs: Vec<String>,
    /// Where the need was read from.
    pub needs_from: Option<String>,
    /// What to do.
    pub action: String,
    /// The ghfix rule that finds or fixes it.
    pub rule: Option<String>,
    /// How many times the log shows it for that step.
    pub count: usize,
    /// In the workflow (with `--workflow`): where the step is and the edit to make.
    pub edit: Option<String>,
}

/// What a log shows.
#[derive(Debug, Default)]
pub struct Report {
    /// The token failures, in order.
    pub failures: Vec<Diagnosis>,
    /// The token's permissions as the log's "GITHUB_TOKEN Permissions" group lists them.
    pub granted: Vec<String>,
    /// The workflow file the job is defined in (`.github/workflows/ci.yml`), from the log's
    /// "Job defined at" line.
    pub defined_at: Option<String>,
}

static DEFINED_AT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"Job defined at: [^/\s]+/[^/\s]+/(\.github/workflows/[^@\s]+)@")
        .expect("valid regex")
});

/// The token's permissions as the log's "GITHUB_TOKEN Permissions" group lists them.
fn permission_line(line: &str) -> Option<String> {
    let (name, level) = line.trim().split_once(": ")?;
    let level = level.trim().to_lowercase();
    if !matches!(level.as_str(), "read" | "write" | "none") || name.contains(' ') {
        return None;
    }
    // `PullRequests` -> `pull-requests`.
    let mut scope = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            scope.push('-');
        }
        scope.extend(c.to_lowercase());
    }
    Some(format!("{scope}: {level}"))
}

/// What the lines near a failure say the call needed.
fn needs_near(kb: &Knowledge, lines: &[&str]) -> Option<(Vec<String>, String)> {
    for line in lines {
        if let Some(c) = ACCEPTED.captures(line) {
            let needs: Vec<String> = c[1]
                .split([';', ','])
                .filter_map(|p| {
                    let (scope, level) = p.trim().split_once('=')?;
                    Some(format!(
                        "{}: {}",
                        scope.trim().replace('_', "-"),
                        level.trim()
                    ))
                })
                .collect();
            if !needs.is_empty() {
                return Some((needs, "the x-accepted-github-permissions header".into()));
            }
        }
    }
    for line in lines {
        if let Some(c) = GRAPHQL.captures(line) {
            if let Some(needs) = TABLE.table.graphql.get(&c[1]) {
                return Some((needs.clone(), format!("the GraphQL mutation `{}`", &c[1])));
            }
        }
    }
    for (i, line) in lines.iter().enumerate() {
        let Some(c) = URL.captures(line) else {
            continue;
        };
        let method = c.get(1).map(|m| m.as_str().to_string()).or_else(|| {
            lines[i.saturating_sub(3)..(i + 4).min(lines.len())]
                .iter()
                .find_map(|l| METHOD.captures(l).map(|m| m[1].to_string()))
        });
        let Some(method) = method else { continue };
        let route = c[2].trim_end_matches(['/', ',', '.']);
        if let Some((scope, level)) = kb.endpoint_scope(route, &method) {
            let level = level.unwrap_or(if method == "GET" {
                Level::Read
            } else {
                Level::Write
            });
            let mut needs = vec![format!("{scope}: {}", level.as_str())];
            needs.extend(
                kb.endpoint_alternatives(route, &method)
                    .into_iter()
                    .map(|s| format!("{s}: {}", level.as_str())),
            );
            return Some((needs, format!("the REST call `{method} .../{route}`")));
        }
    }
    None
}

/// Reads a log and diagnoses it.
pub fn diagnose(input: impl BufRead, kb: &Knowledge) -> std::io::Result<Report> {
    let compiled = &*TABLE;
    let mut found: Vec<Diagnosis> = Vec::new();
    // Failures waiting for the lines after them, with the lines before them.
    let mut pending: Vec<(usize, Vec<String>)> = Vec::new();
    let mut recent: VecDeque<String> = VecDeque::with_capacity(WINDOW);
    let mut step: Option<String> = None;
    let mut granted: Vec<String> = Vec::new();
    let mut defined_at = None;
    let mut in_permissions = false;
    let mut input = input;
    let mut buf = Vec::new();
    let mut number = 0;
    let finish = |found: &mut Vec<Diagnosis>, index: usize, context: &[String]| {
        let lines: Vec<&str> = context.iter().map(String::as_str).collect();
        let d = &mut found[index];
        if d.needs.is_empty() {
            if let Some((needs, from)) = needs_near(kb, &lines) {
                d.needs = needs;
                d.needs_from = Some(from);
            }
        }
    };
    loop {
        buf.clear();
        if input.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        number += 1;
        let raw = String::from_utf8_lossy(&buf);
        let without_colour = ANSI.replace_all(raw.trim_end_matches(['\n', '\r']), "");
        let line = NOISE.replace(&without_colour, "").into_owned();
        if defined_at.is_none() {
            defined_at = DEFINED_AT.captures(&line).map(|c| c[1].to_string());
        }
        if let Some(rest) = line.strip_prefix("##[group]") {
            in_permissions = rest.starts_with("GITHUB_TOKEN Permissions");
            if let Some(run) = rest.strip_prefix("Run ") {
                step = Some(run.trim().to_string());
            }
        } else if line.starts_with("##[endgroup]") {
            in_permissions = false;
        } else if in_permissions {
            granted.extend(permission_line(&line));
        }
        // Lines after earlier failures.
        for (_, after) in pending.iter_mut() {
            after.push(line.clone());
        }
        let (done, waiting): (Vec<_>, Vec<_>) = pending
            .into_iter()
            .partition(|(_, after)| after.len() >= 2 * WINDOW);
        pending = waiting;
        for (index, context) in done {
            finish(&mut found, index, &context);
        }
        let matched = compiled.any.matches(&line);
        if let Some(which) = matched.iter().next() {
            let failure = &compiled.table.failures[which];
            let same = found
                .iter_mut()
                .find(|d| d.failure == failure.id && d.step == step);
            match same {
                Some(d) => d.count += 1,
                None => {
                    let evidence = line.trim().trim_start_matches("##[error]").to_string();
                    found.push(Diagnosis {
                        failure: failure.id.clone(),
                        line: number,
                        evidence,
                        step: step.clone(),
                        cause: failure.cause.clone(),
                        needs: failure.scope.iter().cloned().collect(),
                        needs_from: failure.scope.as_ref().map(|_| "the message".to_string()),
                        action: failure.action.clone(),
                        rule: failure.rule.clone(),
                        count: 1,
                        edit: None,
                    });
                    let mut context: Vec<String> = recent.iter().cloned().collect();
                    context.push(line.clone());
                    pending.push((found.len() - 1, context));
                }
            }
        }
        if recent.len() == WINDOW {
            recent.pop_front();
        }
        recent.push_back(line);
    }
    for (index, context) in pending {
        finish(&mut found, index, &context);
    }
    Ok(Report {
        failures: found,
        granted,
        defined_at,
    })
}

/// Names the step of `workflow` that the log's `Run ...` line shows, and the edit that gives its
/// job what the failure needs.
fn locate_edit(workflow: &str, name: &str, d: &Diagnosis) -> Option<String> {
    let step = d.step.as_deref()?;
    let (docs, marks) = crate::cst::load::load_marked(workflow).ok()?;
    let wf = crate::workflow::Workflow::from_yaml(docs.first()?);
    let first_line = |s: &str| {
        s.lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(str::to_string)
    };
    for job in &wf.jobs {
        for (i, s) in job.steps.iter().enumerate() {
            let command = s.run.as_deref().and_then(first_line);
            let same = s.uses.as_deref() == Some(step) || command.as_deref() == Some(step);
            if !same {
                continue;
            }
            // A step without a name is shown by its whole command, as the log shows it (its
            // label is the command cut short).
            let label = match command {
                Some(c)
                    if s.label == format!("step {}", i + 1)
                        || c.starts_with(s.label.trim_end_matches("...")) =>
                {
                    c
                }
                _ => s.label.clone(),
            };
            let positions = crate::workflow::position::locate(
                workflow,
                &docs,
                &marks,
                std::slice::from_ref(&s.path),
            );
            let (line, _) = positions.first().copied().flatten()?;
            let what = match d.needs.as_slice() {
                [] => return Some(format!("{name}:{line}: job `{}`, step `{label}`", job.id)),
                [one] => format!("`{one}`"),
                many => format!(
                    "one of {}",
                    many.iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            let block = if job.permissions.is_some() {
                format!("its `jobs.{}.permissions` block", job.id)
            } else {
                format!("a `permissions:` block of job `{}` (it has none)", job.id)
            };
            return Some(format!(
                "{name}:{line}: job `{}`, step `{label}`: add {what} to {block}",
                job.id
            ));
        }
    }
    None
}

/// Reads and diagnoses `log` (`-`: standard input); with the workflow (given, or named by the
/// log and present in the current repository), each failure also names its step and edit.
fn read(log: &Path, workflow: Option<&Path>) -> Result<(Vec<Diagnosis>, Vec<String>), String> {
    let kb = Knowledge::embedded()?;
    let in_log = |e: std::io::Error| format!("{}: {e}", log.display());
    let report = if log == Path::new("-") {
        diagnose(std::io::stdin().lock(), &kb)
    } else {
        let file = std::fs::File::open(log).map_err(in_log)?;
        diagnose(std::io::BufReader::new(file), &kb)
    }
    .map_err(in_log)?;
    let (mut found, granted) = (report.failures, report.granted);
    // The workflow named on the command line, else the one the log says the job is defined in,
    // when the current repository has it.
    let from_log = report
        .defined_at
        .as_deref()
        .map(|rel| {
            crate::files::boundary(Path::new("."))
                .unwrap_or_default()
                .join(rel)
        })
        .filter(|p| p.is_file());
    if let Some(file) = workflow.map(Path::to_path_buf).or(from_log) {
        let file = file.as_path();
        let text = crate::files::read_text(file, file).map_err(|e| e.to_string())?;
        let name = file.display().to_string();
        for d in &mut found {
            d.edit = locate_edit(&text, &name, d);
        }
    }
    Ok((found, granted))
}

/// `ghfix diagnose`.
pub fn run(log: &Path, workflow: Option<&Path>, json: bool) -> u8 {
    let (found, granted) = match read(log, workflow) {
        Ok(r) => r,
        Err(e) => return input_error(e),
    };
    let shown = log.display().to_string();
    if json {
        let out =
            serde_json::json!({ "log": shown, "token-permissions": granted, "failures": found });
        crate::println_masked!(
            "{}",
            serde_json::to_string_pretty(&out).expect("serialises")
        );
    } else if found.is_empty() {
        crate::println_masked!("{shown}: no token failure found");
    } else {
        for d in &found {
            let times = if d.count > 1 {
                format!(" ({} times)", d.count)
            } else {
                String::new()
            };
            crate::println_masked!("{shown}:{}: {}{times}", d.line, d.evidence);
            if let Some(step) = &d.step {
                crate::println_masked!("  step:  Run {step}");
            }
            crate::println_masked!("  cause: {}", d.cause);
            if let (false, Some(from)) = (d.needs.is_empty(), &d.needs_from) {
                crate::println_masked!("  needs: {} (from {from})", d.needs.join(" or "));
            }
            if !granted.is_empty() && d.failure == "missing-permission" {
                crate::println_masked!("  the token had: {}", granted.join(", "));
            }
            crate::println_masked!("  do:    {}", d.action);
            if let Some(edit) = &d.edit {
                crate::println_masked!("  edit:  {edit}");
            }
            if let Some(rule) = &d.rule {
                crate::println_masked!("  rule:  {rule} (`ghfix explain {rule}`)");
            }
        }
    }
    if found.is_empty() {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_lines_become_scopes() {
        assert_eq!(
            permission_line("PullRequests: write").as_deref(),
            Some("pull-requests: write")
        );
        assert_eq!(
            permission_line("Contents: read").as_deref(),
            Some("contents: read")
        );
        assert_eq!(permission_line("Secret source: Actions"), None);
    }
}
