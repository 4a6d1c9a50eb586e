//! `ghfix migrate`: one campaign of fixes over many repositories. Each repository is cloned (or
//! its earlier clone fetched) into the work folder, fixed like `apply`, committed to a branch,
//! pushed (or committed through the API) and given a pull request, by the same code as
//! `apply --commit`. `results.json` in the work folder is rewritten after every step, so that
//! `--resume` continues a run that stopped (every step is idempotent: the branch is regenerated,
//! the open pull request found by its branch) and `--retry-failed` redoes the failures. One
//! repository's failure never stops the others.
//!
//! `results.json` (version 1): `{"version": 1, "repositories": {"owner/name": {"url", "outcome":
//! "changed"|"unchanged"|"skipped"|"failed"|"started", "step", "reason", "branch", "commit",
//! "pull_request", "findings": {"rule": count}}}}`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::cli::{Format, MigrateAction, MigrateArgs, PublishArgs, RunArgs};
use crate::commands::publish::deliver;
use crate::commands::{input_error, EXIT_FINDINGS, EXIT_OK};
use crate::github::Client;

/// One repository's record.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct RepoResult {
    /// Where it is cloned from.
    pub url: String,
    /// `changed`, `unchanged`, `skipped`, `failed`, or `started` (the run stopped in it).
    pub outcome: String,
    /// The last step done: `cloned`, `fixed`, `delivered`.
    pub step: String,
    /// Why it failed or was skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The branch committed to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// The commit made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The pull request's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_request: Option<String>,
    /// Findings per rule (fixed and remaining).
    #[serde(default)]
    pub findings: BTreeMap<String, usize>,
    /// The pull request's state when `migrate status` last looked: `open`, `merged`, `closed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pr_state: Option<String>,
    /// Its checks then: `passing`, `failing`, `pending`, `none`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checks: Option<String>,
}

/// A campaign's results file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Results {
    /// The format's version.
    pub version: u32,
    /// By `owner/name`.
    pub repositories: BTreeMap<String, RepoResult>,
}

impl Default for Results {
    fn default() -> Results {
        Results {
            version: 1,
            repositories: BTreeMap::new(),
        }
    }
}

/// A repository to migrate.
#[derive(Debug, Clone)]
struct Target {
    name: String,
    url: String,
    /// As the organisation's listing says (`None` for a repository of a list file).
    visibility: Option<crate::config::Visibility>,
}

/// `owner/name` of a line of the list: a clone URL's last two parts, or the line itself.
fn target(line: &str, git_url: &str) -> Option<Target> {
    let line = line.split('#').next()?.trim();
    if line.is_empty() {
        return None;
    }
    let trimmed = line.trim_end_matches('/').trim_end_matches(".git");
    let parts: Vec<&str> = trimmed.rsplit(['/', ':']).take(2).collect();
    // Names become folder names under the work folder: GitHub's characters only, never `..`.
    let safe = |p: &str| {
        !p.is_empty()
            && p != "."
            && p != ".."
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    let name = match parts.as_slice() {
        [repo, owner] if safe(repo) && safe(owner) => format!("{owner}/{repo}"),
        _ => return None,
    };
    let is_url = line.contains("://") || line.starts_with("git@") || line.starts_with('/');
    let url = if is_url {
        line.to_string()
    } else {
        format!("{}/{line}.git", git_url.trim_end_matches('/'))
    };
    Some(Target {
        name,
        url,
        visibility: None,
    })
}

/// Whether `name` falls in shard `i` of `n` (1-based): a hash of the name that is the same on
/// every machine.
fn in_shard(name: &str, i: u64, n: u64) -> bool {
    // FNV-1a, 64 bits.
    let hash = name.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    });
    hash % n == i - 1
}

/// `I/N` with 1 <= I <= N.
fn parse_shard(text: &str) -> Result<(u64, u64), String> {
    let (i, n) = text
        .split_once('/')
        .and_then(|(i, n)| Some((i.parse::<u64>().ok()?, n.parse::<u64>().ok()?)))
        .filter(|(i, n)| *n >= 1 && (1..=*n).contains(i))
        .ok_or_else(|| format!("--shard {text}: expected I/N with 1 <= I <= N"))?;
    Ok((i, n))
}

/// The repositories to migrate, in list order.
fn targets(args: &MigrateArgs) -> Result<Vec<Target>, String> {
    if let Some(file) = &args.repos {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let mut list = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let content = line.split('#').next().unwrap_or_default().trim();
            match target(line, &args.git_url) {
                Some(t) => list.push(t),
                None if content.is_empty() => {}
                None => crate::eprintln_masked!(
                    "ghfix: {}:{}: not a repository (owner/name or a clone URL): skipped",
                    file.display(),
                    n + 1
                ),
            }
        }
        return Ok(list);
    }
    let Some(org) = &args.org else {
        return Err("name the repositories: --repos FILE or --org ORG".into());
    };
    let token =
        crate::github::token_from_env().ok_or("--org needs a token in GH_TOKEN or GITHUB_TOKEN")?;
    let client = Client::new(&args.api_url, token);
    let repos = client.org_repos(org)?;
    Ok(repos
        .into_iter()
        .filter(|r| {
            (args.include_archived || !r.archived)
                && (args.include_forks || !r.fork)
                && !r.empty
                && (args.topics.is_empty() || r.topics.iter().any(|t| args.topics.contains(t)))
                && args.language.as_ref().is_none_or(|l| {
                    r.language
                        .as_ref()
                        .is_some_and(|x| x.eq_ignore_ascii_case(l))
                })
        })
        .map(|r| Target {
            name: r.full_name,
            url: r.clone_url,
            visibility: r.visibility,
        })
        .collect())
}

/// Writes `results` to `path` (a temp file renamed over it).
fn save(path: &Path, results: &Results) {
    use std::io::Write;
    let text = serde_json::to_string_pretty(results).expect("results serialise") + "\n";
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let written = tempfile::NamedTempFile::new_in(dir)
        .and_then(|mut tmp| {
            tmp.write_all(text.as_bytes())?;
            tmp.as_file().sync_all()?;
            Ok(tmp)
        })
        .and_then(|tmp| tmp.persist(path).map_err(|e| e.error));
    if let Err(e) = written {
        crate::eprintln_masked!("ghfix: {}: cannot write: {e}", path.display());
    }
}

/// `ghfix migrate`.
pub fn run(args: &MigrateArgs) -> u8 {
    match &args.action {
        Some(MigrateAction::Merge { files, output }) => return merge(files, output),
        Some(MigrateAction::Status {
            work_dir,
            report,
            api_url,
        }) => return status(work_dir, report.as_deref(), api_url),
        None => {}
    }
    match campaign(args) {
        Ok(code) => code,
        Err(e) => input_error(e),
    }
}

fn campaign(args: &MigrateArgs) -> Result<u8, String> {
    let shard = args.shard.as_deref().map(parse_shard).transpose()?;
    let mut list = targets(args)?;
    if let Some((i, n)) = shard {
        list.retain(|t| in_shard(&t.name, i, n));
    }
    std::fs::create_dir_all(args.work_dir.join("repos"))
        .map_err(|e| format!("{}: {e}", args.work_dir.display()))?;
    let state_path = args.work_dir.join("results.json");
    let mut results = Results::default();
    if state_path.exists() {
        if !args.resume && !args.retry_failed {
            return Err(format!(
                "{} exists: pass --resume or --retry-failed, or another --work-dir",
                state_path.display()
            ));
        }
        let text = std::fs::read_to_string(&state_path).map_err(|e| e.to_string())?;
        results =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", state_path.display()))?;
    }
    let todo: Vec<Target> = list
        .into_iter()
        .filter(|t| {
            match results
                .repositories
                .get(&t.name)
                .map(|r| r.outcome.as_str())
            {
                None => !args.retry_failed,
                Some("failed") => true,
                Some("started") => args.resume,
                Some(_) => false,
            }
        })
        .collect();
    crate::eprintln_masked!("ghfix: {} repositories to migrate", todo.len());
    let state = Mutex::new(results);
    let record = |name: &str, r: RepoResult| {
        let mut all = state.lock().expect("state lock");
        all.repositories.insert(name.to_string(), r);
        save(&state_path, &all);
    };
    let last_pr = Mutex::new(None::<Instant>);
    let defaults = crate::config::Loaded::load(None, &args.work_dir)?;
    let shared = crate::commands::run::load_engine_with(&defaults, args.rules_dir.as_deref())
        .map_err(|_| "the rules do not load".to_string())?;
    if let Some(unknown) = shared.unknown_rule(&args.rules) {
        return Err(unknown);
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.concurrency.max(1))
        .build()
        .map_err(|e| e.to_string())?;
    // A progress bar on a terminal; plain lines otherwise (logs, CI).
    let bar = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        let bar = indicatif::ProgressBar::new(todo.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {elapsed} {msg}")
                .expect("a valid template"),
        );
        Some(bar)
    } else {
        None
    };
    pool.install(|| {
        todo.par_iter().for_each(|t| {
            let done = one(args, &shared, t, &record, &last_pr);
            let line = match &done.outcome[..] {
                "failed" => format!(
                    "{}: failed: {}",
                    t.name,
                    done.reason.as_deref().unwrap_or("")
                ),
                outcome => format!(
                    "{}: {outcome}{}",
                    t.name,
                    done.pull_request
                        .as_deref()
                        .map(|u| format!(" {u}"))
                        .unwrap_or_default()
                ),
            };
            let line = crate::workflow::credentials::mask(&line);
            match &bar {
                Some(bar) => {
                    bar.println(line);
                    bar.inc(1);
                }
                None => eprintln!("{line}"),
            }
            record(&t.name, done);
        })
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let results = state.into_inner().expect("state lock");
    crate::print_masked!("{}", table(&results));
    let failed = results.repositories.values().any(|r| r.outcome == "failed");
    Ok(if failed { EXIT_FINDINGS } else { EXIT_OK })
}

/// Migrates one repository, recording each step.
fn one(
    args: &MigrateArgs,
    shared: &crate::rules::engine::Engine,
    t: &Target,
    record: &dyn Fn(&str, RepoResult),
    last_pr: &Mutex<Option<Instant>>,
) -> RepoResult {
    let mut r = RepoResult {
        url: t.url.clone(),
        outcome: "started".into(),
        ..RepoResult::default()
    };
    record(&t.name, r.clone());
    let fail = |mut r: RepoResult, why: String| {
        r.outcome = "failed".into();
        r.reason = Some(why);
        r
    };
    let dir = args.work_dir.join("repos").join(t.name.replace('/', "__"));
    if let Err(e) = crate::git::clone_or_fetch(&t.url, &dir) {
        return fail(r, e);
    }
    r.step = "cloned".into();
    record(&t.name, r.clone());
    if !dir.join(".github/workflows").is_dir() && !dir.join(".github/actions").is_dir() {
        r.outcome = "skipped".into();
        r.reason = Some("no workflows".into());
        return r;
    }
    let run_args = RunArgs {
        quiet: 0,
        verbose: false,
        statistics: false,
        paths: vec![dir.clone()],
        rules: args.rules.clone(),
        rules_dir: args.rules_dir.clone(),
        config: None,
        format: Format::Human,
        online: false,
        api_url: args.api_url.clone(),
        // As the organisation's listing says; else the repository's own configuration may.
        visibility: t.visibility,
    };
    // The campaign's engine serves every repository without a configuration of its own.
    let loaded = match crate::config::Loaded::load(None, &dir) {
        Ok(l) => l,
        Err(e) => return fail(r, e),
    };
    let own;
    let engine = if loaded.file.is_none() {
        shared
    } else {
        match crate::commands::run::load_engine_with(&loaded, args.rules_dir.as_deref()) {
            Ok(e) => {
                own = e;
                &own
            }
            Err(_) => return fail(r, "its ghfix configuration does not load".into()),
        }
    };
    let Ok(files) =
        crate::commands::run::run_with(engine, &loaded, &run_args, Some(args.allow_unsafe))
    else {
        return fail(
            r,
            "ghfix could not run on it (see the message above)".into(),
        );
    };
    for f in &files {
        for finding in f.applied.iter().chain(&f.findings) {
            *r.findings.entry(finding.rule.clone()).or_default() += 1;
        }
    }
    r.step = "fixed".into();
    let changed = files.iter().any(|f| f.fixed.is_some());
    if !changed {
        r.outcome = "unchanged".into();
        return r;
    }
    if args.dry_run {
        let diffs: String = files.iter().map(|f| f.diff.as_str()).collect();
        let path = args
            .work_dir
            .join("diffs")
            .join(format!("{}.diff", t.name.replace('/', "__")));
        let written = std::fs::create_dir_all(path.parent().expect("a folder"))
            .and_then(|()| std::fs::write(&path, diffs));
        if let Err(e) = written {
            return fail(r, format!("{}: {e}", path.display()));
        }
        r.outcome = "changed".into();
        return r;
    }
    record(&t.name, r.clone());
    let d = &args.delivery;
    let publish = PublishArgs {
        commit: true,
        branch: d.branch.clone(),
        message: d.message.clone(),
        author: d.author.clone(),
        // A resumed or repeated run regenerates its own branch.
        update: true,
        push: Some("origin".into()),
        commit_via: d.commit_via,
        open_pr: d.open_pr,
        repo: Some(t.name.clone()),
        base: None,
        pull_request: d.pull_request.clone(),
        pr_body_file: None,
    };
    if d.open_pr && args.pr_delay > 0 {
        let mut last = last_pr.lock().expect("delay lock");
        let wait = Duration::from_secs(args.pr_delay);
        if let Some(at) = *last {
            std::thread::sleep(wait.saturating_sub(at.elapsed()));
        }
        *last = Some(Instant::now());
    }
    let quiet = |_: String| {};
    match deliver(
        &publish,
        &args.api_url,
        &loaded.config,
        &dir,
        &files,
        &quiet,
    ) {
        Ok(done) => {
            r.outcome = "changed".into();
            r.step = "delivered".into();
            r.branch = Some(done.branch);
            r.commit = done.commit;
            r.pull_request = done.pull_request.map(|(url, _)| url);
            r
        }
        Err(e) => fail(r, e),
    }
}

/// The end-of-run table: repository, outcome, pull request or reason, findings per rule.
fn table(results: &Results) -> String {
    let mut out = String::new();
    let width = results
        .repositories
        .keys()
        .map(String::len)
        .max()
        .unwrap_or(10)
        .max(10);
    out.push_str(&format!(
        "{:width$}  {:9}  {}\n",
        "repository", "outcome", "details"
    ));
    for (name, r) in &results.repositories {
        let details = r
            .pull_request
            .as_ref()
            .map(|u| match (&r.pr_state, &r.checks) {
                (Some(s), Some(c)) => format!("{u} ({s}, checks {c})"),
                _ => u.clone(),
            })
            .or_else(|| r.reason.clone())
            .or_else(|| r.branch.clone())
            .unwrap_or_default();
        let findings: Vec<String> = r
            .findings
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        let findings = if findings.is_empty() {
            String::new()
        } else {
            format!("  [{}]", findings.join(", "))
        };
        out.push_str(&format!(
            "{name:width$}  {:9}  {details}{findings}\n",
            r.outcome
        ));
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for r in results.repositories.values() {
        *counts.entry(&r.outcome).or_default() += 1;
    }
    let summary: Vec<String> = counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
    out.push_str(&format!("{}\n", summary.join(", ")));
    out
}

/// `ghfix migrate status`: each pull request's state and checks, read again into the results;
/// the HTML report when asked.
fn status(work: &Path, report: Option<&Path>, api: &str) -> u8 {
    let path = work.join("results.json");
    let mut results: Results = match std::fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
    {
        Ok(r) => r,
        Err(e) => return input_error(format!("{}: {e}", path.display())),
    };
    let with_prs = results
        .repositories
        .values()
        .any(|r| r.pull_request.is_some());
    if with_prs {
        let Some(token) = crate::github::token_from_env() else {
            return input_error("migrate status needs a token in GH_TOKEN or GITHUB_TOKEN");
        };
        let client = Client::new(api, token);
        for (name, r) in results.repositories.iter_mut() {
            let Some(number) = r
                .pull_request
                .as_deref()
                .and_then(|u| u.rsplit('/').next())
                .and_then(|n| n.parse::<u64>().ok())
            else {
                continue;
            };
            match client.pull_request_state(name, number) {
                Ok((state, checks)) => {
                    r.pr_state = Some(state);
                    r.checks = Some(checks);
                }
                Err(e) => crate::eprintln_masked!("ghfix: {name}: {e}"),
            }
        }
        save(&path, &results);
    }
    if let Some(report) = report {
        if let Err(e) = std::fs::write(report, crate::report::campaign::html(&results)) {
            return input_error(format!("{}: {e}", report.display()));
        }
    }
    crate::print_masked!("{}", table(&results));
    EXIT_OK
}

/// `ghfix migrate merge`: the shards' results in one file (a repository in several keeps the
/// record of the last file that has it).
fn merge(files: &[PathBuf], output: &Path) -> u8 {
    let mut all = Results::default();
    for file in files {
        let read = std::fs::read_to_string(file)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str::<Results>(&t).map_err(|e| e.to_string()));
        match read {
            Ok(r) => all.repositories.extend(r.repositories),
            Err(e) => return input_error(format!("{}: {e}", file.display())),
        }
    }
    save(output, &all);
    crate::print_masked!("{}", table(&all));
    EXIT_OK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_lines_name_their_repository() {
        let t = target("acme/widgets # the main one", "https://github.com/").unwrap();
        assert_eq!(
            (t.name.as_str(), t.url.as_str()),
            ("acme/widgets", "https://github.com/acme/widgets.git")
        );
        let t = target("git@github.com:acme/gears.git", "x").unwrap();
        assert_eq!(
            (t.name.as_str(), t.url.as_str()),
            ("acme/gears", "git@github.com:acme/gears.git")
        );
        let t = target("https://git.example.com/acme/cogs", "x").unwrap();
        assert_eq!(t.name, "acme/cogs");
        assert!(target("  # nothing", "x").is_none());
        assert!(target("https://git.example.com/../..", "x").is_none());
        assert!(target("acme/..", "x").is_none());
    }

    #[test]
    fn shards_cover_every_repository_once() {
        let names: Vec<String> = (0..500).map(|i| format!("org/repo-{i}")).collect();
        for n in [1, 2, 3, 7] {
            for name in &names {
                let hits = (1..=n).filter(|i| in_shard(name, *i, n)).count();
                assert_eq!(hits, 1, "{name} in {hits} of {n} shards");
            }
        }
        assert_eq!(parse_shard("2/3"), Ok((2, 3)));
        assert!(parse_shard("0/3").is_err() && parse_shard("4/3").is_err());
    }
}
