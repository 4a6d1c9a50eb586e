//! Matching rules against a document, producing findings with fixes, and applying fixes to a
//! fixed point with overlap detection. Every fix is one verified editor batch.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::cst::{self, Document, EditError, Op, Path, Place, Value};
use crate::rules::knowledge::{Knowledge, Level};
use crate::rules::lang::eval::{Scope, Vars};
use crate::rules::lang::{template, Match};
use crate::rules::load::locate;
use crate::rules::permissions::{granted, Context, Grant, Needs, Repo};
use crate::rules::schema::{Rule, Safety, Severity};
use crate::workflow::Workflow;

/// One problem found in a file, with its fix when there is one.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The rule.
    pub rule: String,
    /// How bad.
    pub severity: Severity,
    /// When the fix applies.
    pub safety: Safety,
    /// Where in the document (for positions and overlap).
    #[serde(skip)]
    pub at: Path,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// What is wrong.
    pub message: String,
    /// Jobs left as they were, and why.
    pub notes: Vec<String>,
    /// The edits that fix it (empty: nothing ghfix can do).
    #[serde(skip)]
    pub ops: Vec<Op>,
}

impl Finding {
    /// A finding of `rule` at `at`, without a fix; line and column are filled in later.
    pub fn new(rule: &Rule, at: &Path, message: String) -> Finding {
        Finding {
            rule: rule.id.clone(),
            severity: rule.severity,
            safety: rule.safety,
            at: at.clone(),
            line: 0,
            col: 0,
            message,
            notes: Vec::new(),
            ops: Vec::new(),
        }
    }

    /// Whether the finding carries a fix.
    pub fn fixable(&self) -> bool {
        !self.ops.is_empty()
    }

    /// Whether `apply` applies the fix: it has one, and it is safe or unsafe ones are allowed.
    pub fn applies(&self, allow_unsafe: bool) -> bool {
        self.fixable()
            && (self.safety == Safety::Safe || (allow_unsafe && self.safety == Safety::Unsafe))
    }
}

/// What [`Engine::fix_reporting`] returns: the fixed document, the findings that remain in it,
/// and the findings of the document as it was given.
pub type FixReport = (Document, Vec<Finding>, Vec<Finding>);

/// Rules plus knowledge.
pub struct Engine {
    /// The rules, embedded ones first.
    pub rules: Vec<Rule>,
    /// The knowledge base.
    pub kb: Knowledge,
    /// The names the App-token swap writes (from the configuration).
    pub app_token: crate::config::AppToken,
}

const TOP_AFTER: &[&str] = &["name", "run-name", "on", "concurrency", "env", "defaults"];
const JOB_AFTER: &[&str] = &[
    "name",
    "needs",
    "if",
    "runs-on",
    "environment",
    "concurrency",
    "uses",
    "timeout-minutes",
];
const JOB_BEFORE: &[&str] = &[
    "steps",
    "with",
    "secrets",
    "strategy",
    "container",
    "services",
    "outputs",
    "defaults",
    "env",
];

fn place(after: &[&str], before: &[&str]) -> Place {
    Place {
        after: after.iter().map(|s| s.to_string()).collect(),
        before: before.iter().map(|s| s.to_string()).collect(),
    }
}

fn reason_text(grant: &Grant) -> String {
    let shown: Vec<&str> = grant.reasons.iter().take(2).map(String::as_str).collect();
    let more = grant.reasons.len().saturating_sub(2);
    let mut text = shown.join("; ");
    if more > 0 {
        text.push_str(&format!("; and {more} more"));
    }
    text
}

/// Commit pins in step labels (`actions/checkout@<sha>`): the comment names the action.
static PIN: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"@[0-9a-fA-F]{12,40}(\.\.\.)?").expect("valid regex")
});

/// How long a `# reason` comment may grow: with the indentation and `scope: level # `, the
/// line stays under about 100 columns. The report carries every reason in full.
const COMMENT_WIDTH: usize = 64;
/// How long the first reason may be before it is cut (a reason is kept whole when it can be).
const FIRST_REASON_WIDTH: usize = 84;

/// A scope's `# reason` comment: the reasons that need its level first, with commit pins
/// shortened to the action's name (`actions/checkout: clone the repository`), a second one when
/// both fit in [`COMMENT_WIDTH`], then how many more there are.
fn comment_text(grant: &Grant) -> String {
    let reasons: Vec<String> = grant
        .reasons
        .iter()
        .map(|r| PIN.replace_all(r, "").into_owned())
        .collect();
    let Some(first) = reasons.first() else {
        return String::new();
    };
    let mut text = if first.chars().count() > FIRST_REASON_WIDTH {
        let cut: String = first.chars().take(FIRST_REASON_WIDTH - 3).collect();
        let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
        format!("{cut}...")
    } else {
        first.clone()
    };
    let mut shown = 1;
    if let Some(second) = reasons.get(1) {
        let tail = if reasons.len() > 2 {
            format!("; and {} more", reasons.len() - 2)
        } else {
            String::new()
        };
        let both = format!("{text}; {second}");
        if both.chars().count() + tail.chars().count() <= COMMENT_WIDTH {
            text = both;
            shown = 2;
        }
    }
    if reasons.len() > shown {
        text.push_str(&format!("; and {} more", reasons.len() - shown));
    }
    text
}

fn block_ops(path: &Path, scopes: &BTreeMap<String, Grant>, at: Place, comments: bool) -> Vec<Op> {
    let value: Value = Value::Object(
        scopes
            .iter()
            .map(|(s, g)| (s.clone(), Value::String(g.level.as_str().into())))
            .collect(),
    );
    let mut ops = vec![Op::Set {
        path: path.clone(),
        value,
        place: at,
    }];
    if comments {
        for (scope, grant) in scopes {
            ops.push(Op::Comment {
                path: path.clone().key(scope.clone()),
                text: comment_text(grant),
            });
        }
    }
    ops
}

/// Edits an existing block mapping at `at` down to `scopes`, line by line, so that the user's
/// comments stay on the lines whose meaning does not change: an unneeded scope is removed, a
/// lowered one is set (its comment replaced by the reason), a needed one the block lacks is
/// added. A block left with nothing becomes `{}`.
fn narrow_in_place(
    at: &Path,
    block: &yaml_rust2::yaml::Hash,
    scopes: &BTreeMap<String, Grant>,
    comments: bool,
) -> Vec<Op> {
    let written: Vec<String> = block
        .keys()
        .filter_map(crate::workflow::model::scalar)
        .collect();
    if !scopes.keys().any(|s| written.contains(s)) && scopes.is_empty() {
        // The comment of the block's last scope would stay beside `{}`: it is replaced.
        return vec![
            Op::Set {
                path: at.clone(),
                value: Value::Object(Default::default()),
                place: Place::default(),
            },
            Op::Comment {
                path: at.clone(),
                text: "no step needs the job's token".into(),
            },
        ];
    }
    let old = granted(&yaml_rust2::Yaml::Hash(block.clone()));
    let mut ops = Vec::new();
    for key in &written {
        let Some(had) = old.get(key) else { continue };
        match scopes.get(key) {
            None => ops.push(Op::Remove {
                path: at.clone().key(key.clone()),
            }),
            Some(g) if g.level < *had => {
                ops.push(Op::Set {
                    path: at.clone().key(key.clone()),
                    value: Value::String(g.level.as_str().into()),
                    place: Place::default(),
                });
                if comments {
                    ops.push(Op::Comment {
                        path: at.clone().key(key.clone()),
                        text: comment_text(g),
                    });
                }
            }
            Some(_) => {}
        }
    }
    for (scope, g) in scopes.iter().filter(|(s, _)| !written.contains(s)) {
        ops.push(Op::Set {
            path: at.clone().key(scope.clone()),
            value: Value::String(g.level.as_str().into()),
            place: Place::default(),
        });
        if comments {
            ops.push(Op::Comment {
                path: at.clone().key(scope.clone()),
                text: comment_text(g),
            });
        }
    }
    ops
}

impl Engine {
    /// The embedded rules and knowledge, plus a user's folder (`DIR/*.yml` rules,
    /// `DIR/knowledge/**` knowledge) when given.
    pub fn load(extra: Option<&std::path::Path>) -> Result<Engine, String> {
        Engine::load_folders(extra.as_slice())
    }

    /// The embedded rules and knowledge, plus those of each folder in turn (a rule with the id
    /// of an earlier one replaces it).
    pub fn load_folders(folders: &[&std::path::Path]) -> Result<Engine, String> {
        let mut kb = Knowledge::embedded()?;
        let mut rules = Vec::new();
        for (name, text) in crate::rules::schema::EMBEDDED {
            rules.push(Rule::parse(name, text)?);
        }
        for dir in folders {
            if !dir.is_dir() {
                return Err(format!("{}: no such folder of rules", dir.display()));
            }
            for file in crate::files::yaml_files(dir, &|_| true) {
                let name = file.display().to_string();
                let text = std::fs::read_to_string(&file).map_err(|e| format!("{name}: {e}"))?;
                if file.components().any(|c| c.as_os_str() == "knowledge") {
                    kb.add(&name, &text)?;
                } else {
                    let rule = Rule::parse(&name, &text)?;
                    rules.retain(|r| r.id != rule.id);
                    rules.push(rule);
                }
            }
        }
        Ok(Engine {
            rules,
            kb,
            app_token: crate::config::AppToken::default(),
        })
    }

    /// Runs every rule (or those in `only`) over `doc`; findings carry line and column.
    pub fn check(&self, repo: &Repo, name: &str, doc: &Document, only: &[String]) -> Vec<Finding> {
        let mut findings = self.analyse_all(repo, name, doc.text(), doc.parsed(), only);
        locate_all(doc, &mut findings);
        self.suppress(doc.text(), &mut findings, only);
        findings
    }

    /// `check` for a text that has not been parsed yet; also returns the text's meaning. Only
    /// the YAML loader reads it, and the findings are placed from the marks it records; the
    /// concrete syntax tree (and its stricter syntax check, which every edit runs) is built only
    /// when the loader alone cannot read the text or place a finding. This keeps checking a large
    /// tree of workflows cheap, and `apply` builds the tree only for files it edits.
    pub fn check_text(
        &self,
        repo: &Repo,
        name: &str,
        text: &str,
        only: &[String],
    ) -> Result<(Vec<Finding>, Vec<yaml_rust2::Yaml>), crate::cst::ParseError> {
        let Ok((docs, marks)) = crate::cst::load::load_marked(text) else {
            // The full parse gives the error its position (or reads what the loader alone cannot).
            let doc = Document::parse(text.to_string())?;
            return Ok((self.check(repo, name, &doc, only), doc.parsed().to_vec()));
        };
        let mut findings = self.analyse_all(repo, name, text, &docs, only);
        if findings.is_empty() {
            // Ignore comments that suppress nothing are still reported.
            self.suppress(text, &mut findings, only);
            return Ok((findings, docs));
        }
        let paths: Vec<Path> = findings.iter().map(|f| f.at.clone()).collect();
        let positions = crate::workflow::position::locate(text, &docs, &marks, &paths);
        if positions.iter().all(Option::is_some) {
            for (f, (line, col)) in findings.iter_mut().zip(positions.into_iter().flatten()) {
                (f.line, f.col) = (line, col);
            }
            findings.sort_by_key(|f| (f.line, f.col));
        } else {
            let doc = Document::parse(text.to_string())?;
            locate_all(&doc, &mut findings);
        }
        self.suppress(text, &mut findings, only);
        Ok((findings, docs))
    }

    /// Runs the rules over every document of a file (a workflow file holds one; each document of
    /// a stream is analysed on its own, and its findings address it).
    fn analyse_all(
        &self,
        repo: &Repo,
        name: &str,
        text: &str,
        docs: &[yaml_rust2::Yaml],
        only: &[String],
    ) -> Vec<Finding> {
        let mut all = Vec::new();
        for (index, root) in docs.iter().enumerate() {
            let ctx = Context::new(&self.kb, repo, text);
            let mut findings = self.analyse(&ctx, (name, text, index), root, only);
            for f in &mut findings {
                f.at.document = index;
                for op in &mut f.ops {
                    op.path_mut().document = index;
                }
            }
            all.extend(findings);
        }
        all
    }

    /// Runs the rules over one document's meaning.
    fn analyse(
        &self,
        ctx: &Context,
        (name, text, index): (&str, &str, usize),
        root: &yaml_rust2::Yaml,
        only: &[String],
    ) -> Vec<Finding> {
        let wf = Workflow::from_yaml(root);
        // What each job needs from its token: worked out once, and only for the analyses.
        let needs_cell = std::cell::OnceCell::new();
        let needs = || -> &Vec<Needs> {
            needs_cell.get_or_init(|| wf.jobs.iter().map(|j| ctx.job(&wf, j)).collect())
        };
        let analysable = !wf.is_action && !wf.jobs.is_empty();
        let job_needs = |id: &str| {
            let at = wf.jobs.iter().position(|j| j.id == id)?;
            let n = &needs()[at];
            let scopes = n
                .scopes
                .iter()
                .map(|(s, g)| format!("{s}: {}", g.level.as_str()))
                .collect();
            Some((scopes, n.is_known()))
        };
        let scripts = crate::rules::lang::eval::Scripts::default();
        let mut findings = Vec::new();
        for rule in self
            .rules
            .iter()
            .filter(|r| only.is_empty() || only.contains(&r.id))
        {
            let scope = Scope {
                scripts: &scripts,
                root,
                file: name,
                utils: &rule.utils,
                needs: Some(&job_needs),
            };
            match &rule.matcher {
                Match::Workflow(w) => {
                    let least_privilege = w.missing.as_deref() == Some("permissions")
                        && rule.fix.permissions.is_some();
                    // Unused ignore comments are found after suppression, in `suppress`.
                    if w.unused_ignore {
                        continue;
                    }
                    let analysis = least_privilege || w.top_level_write || w.invalid_permissions;
                    let mut vars = Vars::new();
                    if !scope.workflow(w, &mut vars) || (analysis && !analysable) {
                        continue;
                    }
                    if least_privilege {
                        findings.extend(self.least_privilege(rule, name, root, &wf, needs()));
                    }
                    if w.top_level_write {
                        findings.extend(self.top_level_writes(rule, &wf, needs()));
                    }
                    if w.invalid_permissions {
                        findings.extend(self.invalid_scopes(rule, &wf));
                    }
                    if !analysis {
                        findings.push(self.written(rule, root, Path::default(), vars));
                    }
                }
                Match::Job(j) => {
                    let matched: Vec<(String, Vars)> = scope
                        .jobs()
                        .into_iter()
                        .filter_map(|job| {
                            let mut vars = Vars::new();
                            scope.job(j, job, &mut vars).then(|| (job.id(), vars))
                        })
                        .collect();
                    if j.lacks_needed_scope || j.grants_unneeded_scope || j.starts_no_runs {
                        if !analysable {
                            continue;
                        }
                        let keep: Vec<bool> = wf
                            .jobs
                            .iter()
                            .map(|job| matched.iter().any(|(id, _)| *id == job.id))
                            .collect();
                        if j.lacks_needed_scope {
                            findings.extend(self.missing_scopes(rule, &wf, needs(), &keep));
                        }
                        if j.grants_unneeded_scope {
                            findings.extend(self.excessive(rule, &wf, needs(), &keep));
                        }
                        if j.starts_no_runs {
                            findings.extend(crate::rules::downstream::findings(
                                &crate::rules::downstream::Analysed {
                                    rule,
                                    ctx,
                                    names: &self.app_token,
                                    name,
                                    text,
                                    index,
                                    root,
                                    wf: &wf,
                                    needs: needs(),
                                },
                                &keep,
                            ));
                        }
                    } else {
                        for (id, vars) in matched {
                            let at = Path::default().key("jobs").key(id);
                            findings.push(self.written(rule, root, at, vars));
                        }
                    }
                }
                Match::Value(v) => {
                    let mut vars = Vars::from([("workflow".to_string(), name.to_string())]);
                    if v.inside
                        .as_ref()
                        .is_some_and(|w| !scope.workflow(w, &mut vars))
                    {
                        continue;
                    }
                    let mut found = Vec::new();
                    scope.each_value(&mut |segments, value| {
                        // Captured into the shared variables, kept (copied) only on a match.
                        let mark = vars.mark();
                        let path = || Path::new(segments.to_vec());
                        let path_ok = v.path.as_ref().is_none_or(|p| {
                            let shown = yaml_rust2::Yaml::String(path().to_string());
                            crate::rules::lang::eval::pattern(p, Some(&shown), &mut vars)
                        });
                        if path_ok
                            && crate::rules::lang::eval::pattern(&v.pattern, Some(value), &mut vars)
                        {
                            found.push((path(), vars.clone()));
                        }
                        vars.rollback(mark);
                    });
                    for (path, vars) in found {
                        findings.push(self.written(rule, root, path, vars));
                    }
                }
                Match::Step(s) => {
                    for step in scope.steps() {
                        let mut vars = Vars::new();
                        if scope.step(s, step, &mut vars) {
                            findings.push(self.written(rule, root, step.path(), vars));
                        }
                    }
                }
            }
        }
        findings
    }

    /// The finding of a rule written in the rule language, at the matched node: its message and
    /// edits filled in from the variables (and transforms). A fix that needs a variable without
    /// a value is not offered; the finding says why.
    fn written(&self, rule: &Rule, root: &yaml_rust2::Yaml, node: Path, mut vars: Vars) -> Finding {
        template::transform(&rule.transform, &mut vars);
        let at = rule
            .at
            .as_deref()
            .and_then(|a| template::resolve(a, &node, &vars).ok())
            .unwrap_or_else(|| node.clone());
        let message = template::fill_known(&rule.summary, &vars);
        let mut finding = Finding::new(rule, &at, message);
        match template::ops(&rule.fix.edits, &node, &vars, root) {
            Ok(ops) => finding.ops = ops,
            Err(why) => finding.notes.push(format!("no fix offered: {why}")),
        }
        finding
    }

    /// Findings for scope names and levels GitHub rejects (the workflow then fails to start),
    /// in the top-level block and each job's; a fix where one valid spelling is meant.
    fn invalid_scopes(&self, rule: &Rule, wf: &Workflow) -> Vec<Finding> {
        let blocks = std::iter::once((Path::default().key("permissions"), &wf.permissions)).chain(
            wf.jobs
                .iter()
                .map(|j| (j.path.clone().key("permissions"), &j.permissions)),
        );
        let mut out = Vec::new();
        for (at, block) in blocks {
            let Some(block) = block else { continue };
            for problem in crate::rules::permissions::invalid(block, &at) {
                let mut finding = Finding::new(
                    rule,
                    &problem.key.map_or(at.clone(), |k| at.clone().key(k)),
                    rule.summary.replace("{problem}", &problem.message),
                );
                if rule.fix.respell {
                    finding.ops = problem.fix.into_iter().collect();
                }
                out.push(finding);
            }
        }
        out
    }

    /// A top-level block that grants write: it is made read-only, each job without its own block
    /// that needs one of those writes gets its own block with exactly what it needs (within what
    /// the top level granted), and a job ghfix cannot analyse keeps the old grant as its own
    /// block, so no job loses anything it may use. `id-token: write` goes to every such job that
    /// gets a block: OIDC use cannot be seen.
    fn top_level_writes(&self, rule: &Rule, wf: &Workflow, needs: &[Needs]) -> Option<Finding> {
        let old = wf.permissions.as_ref()?;
        let old_grant = granted(old);
        let writes: Vec<&String> = old_grant
            .iter()
            .filter(|(_, l)| **l == Level::Write)
            .map(|(s, _)| s)
            .collect();
        if writes.is_empty() {
            return None;
        }
        let comments = rule
            .fix
            .move_writes
            .as_ref()
            .is_some_and(|a| a.comment_reasons);
        let top = Path::default().key("permissions");
        let shown: Vec<String> = writes.iter().map(|s| format!("`{s}: write`")).collect();
        let mut finding = Finding::new(
            rule,
            &top,
            rule.summary.replace("{writes}", &shown.join(", ")),
        );
        let oidc = old_grant.get("id-token") == Some(&Level::Write);
        let mut moved: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (job, n) in wf.jobs.iter().zip(needs) {
            if job.permissions.is_some() {
                continue;
            }
            let path = job.path.clone().key("permissions");
            if !n.is_known() {
                let why: Vec<&str> = n.unknown.iter().take(2).map(String::as_str).collect();
                finding.notes.push(format!(
                    "job `{}` keeps the top-level grant as its own block: {}",
                    job.id,
                    why.join("; ")
                ));
                let kept = format!(
                    "as the top-level block granted; ghfix cannot analyse job `{}`",
                    job.id
                );
                match old {
                    yaml_rust2::Yaml::String(s) => finding.ops.push(Op::Set {
                        path,
                        value: Value::String(s.clone()),
                        place: place(JOB_AFTER, JOB_BEFORE),
                    }),
                    _ => {
                        let scopes = old_grant
                            .iter()
                            .filter(|(_, l)| **l != Level::None)
                            .map(|(s, l)| (s.clone(), Grant::new(*l, vec![kept.clone()])))
                            .collect();
                        finding.ops.extend(block_ops(
                            &path,
                            &scopes,
                            place(JOB_AFTER, JOB_BEFORE),
                            comments,
                        ));
                    }
                }
                for s in &writes {
                    moved.entry(s.as_str()).or_default().push(job.id.clone());
                }
                continue;
            }
            // Needs another scope of the old grant meets as well stay with that scope.
            let met = n.against(&old_grant);
            let needs_write = met
                .iter()
                .any(|(s, g)| g.level == Level::Write && old_grant.get(s) == Some(&Level::Write));
            if !needs_write && !oidc {
                continue;
            }
            // What the job needs, within what the top level gave it.
            let mut scopes: BTreeMap<String, Grant> = met
                .iter()
                .filter_map(|(s, g)| {
                    let level = g
                        .level
                        .min(old_grant.get(s).copied().unwrap_or(Level::None));
                    (level != Level::None).then(|| {
                        (
                            s.clone(),
                            if level < g.level {
                                // Lowered: the reasons that need no more come first.
                                let (higher, lower) = g.reasons.split_at(g.at_level);
                                Grant::new(level, [lower, higher].concat())
                            } else {
                                g.clone()
                            },
                        )
                    })
                })
                .collect();
            if oidc {
                scopes.entry("id-token".into()).or_insert(Grant::new(
                    Level::Write,
                    vec!["kept from the top-level block: OIDC use cannot be seen".into()],
                ));
            }
            for (s, g) in &scopes {
                if g.level == Level::Write {
                    if let Some(w) = writes.iter().find(|w| **w == s) {
                        moved.entry(w.as_str()).or_default().push(job.id.clone());
                    }
                }
            }
            finding.ops.extend(block_ops(
                &path,
                &scopes,
                place(JOB_AFTER, JOB_BEFORE),
                comments,
            ));
        }
        // The top level, read-only.
        match old {
            yaml_rust2::Yaml::String(_) => finding.ops.push(Op::Set {
                path: top,
                value: Value::String("read-all".into()),
                place: Place::default(),
            }),
            yaml_rust2::Yaml::Hash(h) => {
                let keys: Vec<String> = h
                    .keys()
                    .filter_map(crate::workflow::model::scalar)
                    .collect();
                let write_only = |s: &str| matches!(s, "id-token" | "copilot-requests");
                if keys
                    .iter()
                    .all(|k| write_only(k) && old_grant.get(k) == Some(&Level::Write))
                {
                    finding.ops.push(Op::Set {
                        path: top,
                        value: Value::Object(Default::default()),
                        place: Place::default(),
                    });
                    return Some(finding);
                }
                for s in &writes {
                    let entry = top.clone().key(s.to_string());
                    if write_only(s) {
                        finding.ops.push(Op::Remove { path: entry });
                        continue;
                    }
                    finding.ops.push(Op::Set {
                        path: entry.clone(),
                        value: Value::String("read".into()),
                        place: Place::default(),
                    });
                    if comments {
                        let jobs = moved.get(s.as_str()).map(|j| {
                            j.iter()
                                .map(|id| format!("`{id}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        });
                        finding.ops.push(Op::Comment {
                            path: entry,
                            text: match jobs {
                                Some(j) => format!("write moved to job {j}"),
                                None => "no job needs write".into(),
                            },
                        });
                    }
                }
            }
            _ => return None,
        }
        Some(finding)
    }

    fn least_privilege(
        &self,
        rule: &Rule,
        name: &str,
        root: &yaml_rust2::Yaml,
        wf: &Workflow,
        needs: &[Needs],
    ) -> Option<Finding> {
        let params = rule.fix.permissions.as_ref()?;
        let summary = rule.summary.replace("{workflow}", name);
        let at = if root["on"].is_badvalue() {
            Path::default().key("jobs")
        } else {
            Path::default().key("on")
        };
        let mut finding = Finding::new(rule, &at, summary);
        let mut unknown_without_block = false;
        for (job, n) in wf.jobs.iter().zip(needs) {
            for note in &n.notes {
                finding
                    .notes
                    .push(format!("job `{}`: not granted: {note}", job.id));
            }
            if !n.is_known() {
                unknown_without_block |= job.permissions.is_none();
                let why: Vec<&str> = n.unknown.iter().take(3).map(String::as_str).collect();
                finding.notes.push(format!(
                    "job `{}` left for review: {}",
                    job.id,
                    why.join("; ")
                ));
            }
        }
        let comments = params.comment_reasons;
        let open: Vec<(&crate::workflow::Job, &Needs)> = wf
            .jobs
            .iter()
            .zip(needs)
            .filter(|(j, n)| j.permissions.is_none() && n.is_known())
            .collect();
        let mut ops = Vec::new();
        if !unknown_without_block {
            // Top-level: contents read when any job without its own block reads the repository.
            let mut top = BTreeMap::new();
            let mut readers = Vec::new();
            for (_, n) in &open {
                if let Some(reason) = n
                    .scopes
                    .get("contents")
                    .and_then(|g| g.reason_for(Level::Read))
                {
                    if !readers.contains(reason) {
                        readers.push(reason.clone());
                    }
                }
            }
            if !readers.is_empty() {
                top.insert("contents".to_string(), Grant::new(Level::Read, readers));
            }
            ops.extend(block_ops(
                &Path::default().key("permissions"),
                &top,
                place(TOP_AFTER, &["jobs"]),
                comments,
            ));
            for (job, n) in &open {
                let beyond = n
                    .scopes
                    .iter()
                    .any(|(s, g)| top.get(s).is_none_or(|t| t.level < g.level));
                if beyond {
                    ops.extend(block_ops(
                        &job.path.clone().key("permissions"),
                        &n.scopes,
                        place(JOB_AFTER, JOB_BEFORE),
                        comments,
                    ));
                }
            }
        } else {
            for (job, n) in &open {
                ops.extend(block_ops(
                    &job.path.clone().key("permissions"),
                    &n.scopes,
                    place(JOB_AFTER, JOB_BEFORE),
                    comments,
                ));
            }
        }
        if unknown_without_block && open.is_empty() {
            ops.clear();
        }
        finding.ops = ops;
        Some(finding)
    }

    fn missing_scopes(
        &self,
        rule: &Rule,
        wf: &Workflow,
        needs: &[Needs],
        keep: &[bool],
    ) -> Vec<Finding> {
        let mut out = Vec::new();
        let comments = rule
            .fix
            .add_scope
            .as_ref()
            .is_some_and(|a| a.comment_reasons);
        for ((job, n), _) in wf.jobs.iter().zip(needs).zip(keep).filter(|(_, k)| **k) {
            let (block, own) = match (&job.permissions, &wf.permissions) {
                (Some(b), _) => (b, true),
                (None, Some(b)) => (b, false),
                (None, None) => continue,
            };
            let have = granted(block);
            for (scope, grant) in &n.against(&have) {
                let current = have.get(scope).copied().unwrap_or(Level::None);
                if current >= grant.level {
                    continue;
                }
                let message = rule
                    .summary
                    .replace("{job}", &job.id)
                    .replace("{scope}", scope)
                    .replace("{level}", grant.level.as_str())
                    .replace("{reason}", &reason_text(grant))
                    .replace("{granted}", current.as_str());
                let at = if own {
                    job.path.clone().key("permissions")
                } else {
                    job.path.clone()
                };
                let mut finding = Finding::new(rule, &at, message);
                let job_block = job.path.clone().key("permissions");
                let one = BTreeMap::from([(scope.clone(), grant.clone())]);
                finding.ops = match block {
                    yaml_rust2::Yaml::Hash(_) if own => {
                        let mut ops = vec![Op::Set {
                            path: job_block.clone().key(scope.clone()),
                            value: Value::String(grant.level.as_str().into()),
                            place: Place::default(),
                        }];
                        // In a flow block (`{ contents: read }`) the editor leaves the comment out.
                        if comments {
                            ops.push(Op::Comment {
                                path: job_block.key(scope.clone()),
                                text: comment_text(grant),
                            });
                        }
                        ops
                    }
                    yaml_rust2::Yaml::Hash(_) => {
                        let mut scopes: BTreeMap<String, Grant> = have
                            .iter()
                            .map(|(s, l)| (s.clone(), Grant::new(*l, Vec::new())))
                            .collect();
                        scopes.insert(scope.clone(), grant.clone());
                        let mut ops =
                            block_ops(&job_block, &scopes, place(JOB_AFTER, JOB_BEFORE), false);
                        if comments {
                            ops.extend(
                                block_ops(&job_block, &one, Place::default(), true)
                                    .into_iter()
                                    .skip(1),
                            );
                        }
                        ops
                    }
                    _ => Vec::new(),
                };
                out.push(finding);
            }
        }
        out
    }

    /// Jobs whose own block grants more than their steps need (only fully analysed jobs).
    fn excessive(
        &self,
        rule: &Rule,
        wf: &Workflow,
        needs: &[Needs],
        keep: &[bool],
    ) -> Vec<Finding> {
        let comments = rule.fix.narrow.as_ref().is_some_and(|a| a.comment_reasons);
        let mut out = Vec::new();
        for ((job, n), _) in wf.jobs.iter().zip(needs).zip(keep).filter(|(_, k)| **k) {
            let Some(block) = &job.permissions else {
                continue;
            };
            if !n.is_known() {
                continue;
            }
            // id-token is never narrowed: any program can request an OIDC token from the runner
            // without naming it, so its use cannot be seen in the workflow.
            let kept = |scope: &str| scope == "id-token";
            let have = granted(block);
            // Needs another scope of the block meets as well stay with that scope.
            let needed = n.against(&have);
            let extra: Vec<String> = have
                .iter()
                .map(|(s, l)| (s.clone(), *l))
                .filter(|(scope, _)| !kept(scope))
                .filter(|(scope, level)| {
                    *level > needed.get(scope).map_or(Level::None, |g| g.level)
                })
                .map(|(scope, level)| {
                    let needed = needed.get(&scope).map_or("nothing", |g| g.level.as_str());
                    format!("`{scope}: {}` (needs {needed})", level.as_str())
                })
                .collect();
            if extra.is_empty() {
                continue;
            }
            let message = rule
                .summary
                .replace("{job}", &job.id)
                .replace("{extra}", &extra.join(", "));
            let at = job.path.clone().key("permissions");
            let mut finding = Finding::new(rule, &at, message);
            let mut scopes = needed;
            for (scope, level) in have.iter().filter(|(s, l)| kept(s) && **l > Level::None) {
                scopes.entry(scope.clone()).or_insert(Grant::new(
                    *level,
                    vec!["kept: OIDC use cannot be seen in the workflow".into()],
                ));
            }
            finding.ops = match block {
                yaml_rust2::Yaml::Hash(h) => narrow_in_place(&at, h, &scopes, comments),
                _ => block_ops(&at, &scopes, Place::default(), comments),
            };
            out.push(finding);
        }
        out
    }

    /// Applies the fixes `check` finds, to a fixed point (at most 5 passes). Fixes whose edits
    /// overlap another's wait for the next pass. Returns the fixed document and the findings that
    /// remain; a fix refused by verification stops the file with that error.
    pub fn fix(
        &self,
        repo: &Repo,
        name: &str,
        doc: &Document,
        only: &[String],
        allow_unsafe: bool,
    ) -> Result<(Document, Vec<Finding>), (String, EditError)> {
        self.fix_reporting(repo, name, doc, None, only, allow_unsafe)
            .map(|(fixed, remaining, _)| (fixed, remaining))
    }

    /// The first of `ids` that names no rule of this engine, as a message for the user.
    pub fn unknown_rule(&self, ids: &[String]) -> Option<String> {
        ids.iter()
            .find(|id| !self.rules.iter().any(|r| &r.id == *id))
            .map(|id| format!("no rule `{id}` (see `ghfix rules`)"))
    }

    /// [`Engine::fix`], also returning the findings of `doc` as given (what the first pass
    /// found), so that a caller tells what was fixed without analysing the file again. `found`,
    /// when given, holds those findings already ([`Engine::check_text`] of the same text).
    pub fn fix_reporting(
        &self,
        repo: &Repo,
        name: &str,
        doc: &Document,
        found: Option<Vec<Finding>>,
        only: &[String],
        allow_unsafe: bool,
    ) -> Result<FixReport, (String, EditError)> {
        let mut current = doc.clone();
        let mut first: Option<Vec<Finding>> = None;
        let mut given = found;
        // The same fix is made once: a fix that leaves its own finding standing (a user rule
        // whose edits do not undo its match) must not repeat pass after pass. A finding that
        // stands with other edits (a job analysed once another fix made it readable) is fixed.
        let mut applied: Vec<Finding> = Vec::new();
        for _ in 0..5 {
            let findings = given
                .take()
                .unwrap_or_else(|| self.check(repo, name, &current, only));
            let applicable: Vec<&Finding> = findings
                .iter()
                .filter(|f| {
                    f.applies(allow_unsafe)
                        && !applied.iter().any(|a| {
                            a.rule == f.rule
                                && a.at == f.at
                                && a.message == f.message
                                && a.ops == f.ops
                        })
                })
                .collect();
            if applicable.is_empty() {
                let found = first.unwrap_or_else(|| findings.clone());
                return Ok((current, findings, found));
            }
            let mut taken: Vec<&Path> = Vec::new();
            let mut batch: Vec<&Finding> = Vec::new();
            for f in applicable {
                let overlaps = f.ops.iter().any(|op| {
                    taken
                        .iter()
                        .any(|t| prefix(t, op.path()) || prefix(op.path(), t))
                });
                if !overlaps {
                    taken.extend(f.ops.iter().map(Op::path));
                    batch.push(f);
                }
            }
            applied.extend(batch.iter().map(|f| (*f).clone()));
            // One verified batch per pass; when it is refused, fix by fix, so that the refusal
            // names the rule whose fix does not verify.
            let ops: Vec<Op> = batch.iter().flat_map(|f| f.ops.iter().cloned()).collect();
            let next = match cst::apply(&current, &ops) {
                Ok(next) => next,
                Err(_) => {
                    let mut one_by_one = current.clone();
                    for f in &batch {
                        one_by_one =
                            cst::apply(&one_by_one, &f.ops).map_err(|e| (f.rule.clone(), e))?;
                    }
                    one_by_one
                }
            };
            let changed = next.text() != current.text();
            current = next;
            if first.is_none() {
                first = Some(findings);
            }
            if !changed {
                break;
            }
        }
        let remaining = self.check(repo, name, &current, only);
        Ok((current, remaining, first.unwrap_or_default()))
    }

    /// Runs one of `rule`'s inline test cases: `check` must report `findings` findings and
    /// `apply` (unsafe fixes included) must turn `before` into `after`. `Err` describes the
    /// mismatch.
    pub fn run_test_case(
        &self,
        rule: &Rule,
        case: &crate::rules::schema::RuleTest,
    ) -> Result<(), String> {
        let doc = Document::parse(case.before.clone()).map_err(|e| format!("before: {e}"))?;
        let only: Vec<String> = std::iter::once(rule.id.clone())
            .chain(case.with_rules.iter().cloned())
            .collect();
        let findings = self.check(&Repo::default(), "workflow.yml", &doc, &only);
        if let Some(n) = case.findings {
            if findings.len() != n {
                return Err(format!(
                    "expected {n} findings, got {}: {:#?}",
                    findings.len(),
                    findings
                ));
            }
        }
        let (fixed, _) = self
            .fix(&Repo::default(), "workflow.yml", &doc, &only, true)
            .map_err(|(r, e)| format!("{r}: {e}"))?;
        let want = case.after.as_deref().unwrap_or(&case.before);
        if fixed.text() != want {
            return Err(format!("after apply:\n{}\nwanted:\n{want}", fixed.text()));
        }
        // A second apply changes nothing: the fix removes what the rule matched.
        let (again, _) = self
            .fix(&Repo::default(), "workflow.yml", &fixed, &only, true)
            .map_err(|(r, e)| format!("{r}: {e}"))?;
        if again.text() != fixed.text() {
            return Err(format!(
                "a second apply changes the result (the fix leaves the rule matching):\n{}",
                again.text()
            ));
        }
        Ok(())
    }
}

/// Fills in line and column from the paths, and orders the findings by position.
fn locate_all(doc: &Document, findings: &mut [Finding]) {
    for f in findings.iter_mut() {
        (f.line, f.col) = locate(doc, &f.at);
    }
    findings.sort_by_key(|f| (f.line, f.col));
}

/// One `# ghfix: ignore` or `# ghfix: ignore[rule-id, ...]` comment.
struct Ignore {
    /// 1-based line.
    line: usize,
    /// 1-based column of the `#`.
    col: usize,
    /// The rule ids it names (empty: every rule).
    ids: Vec<String>,
    /// The ids (or, for a bare comment, `""`) that suppressed a finding.
    used: Vec<String>,
}

/// The `# ghfix: ignore` comments of `text`.
fn ignores(text: &str) -> Vec<Ignore> {
    const MARK: &str = "# ghfix: ignore";
    if !text.contains(MARK) {
        return Vec::new();
    }
    text.lines()
        .enumerate()
        .filter_map(|(n, line)| {
            let at = line.find(MARK)?;
            let rest = &line[at + MARK.len()..];
            let ids = match rest.strip_prefix('[').and_then(|r| r.split_once(']')) {
                Some((ids, _)) => ids.split(',').map(|id| id.trim().to_string()).collect(),
                None => Vec::new(),
            };
            Some(Ignore {
                line: n + 1,
                col: line[..at].chars().count() + 1,
                ids,
                used: Vec::new(),
            })
        })
        .collect()
}

impl Engine {
    /// Drops findings suppressed by a `# ghfix: ignore` or `# ghfix: ignore[rule-id, ...]`
    /// comment on the finding's line or the line above it; then reports the comments (or the
    /// ids in them) that suppressed nothing, when the `unused-ignore` rule runs. An id is judged
    /// only when its rule ran, a bare comment only when every rule ran.
    fn suppress(&self, text: &str, findings: &mut Vec<Finding>, only: &[String]) {
        let mut comments = ignores(text);
        if comments.is_empty() {
            return;
        }
        findings.retain(|f| {
            for c in comments
                .iter_mut()
                .filter(|c| c.line == f.line || c.line + 1 == f.line)
            {
                if c.ids.is_empty() {
                    c.used.push(String::new());
                    return false;
                }
                if c.ids.contains(&f.rule) {
                    c.used.push(f.rule.clone());
                    return false;
                }
            }
            true
        });
        let ran = |id: &str| only.is_empty() || only.iter().any(|o| o == id);
        let Some(rule) = self
            .rules
            .iter()
            .find(|r| ran(&r.id) && matches!(&r.matcher, Match::Workflow(w) if w.unused_ignore))
        else {
            return;
        };
        for c in &comments {
            let unused: Vec<String> = if c.ids.is_empty() {
                if only.is_empty() && c.used.is_empty() {
                    vec!["every rule".to_string()]
                } else {
                    Vec::new()
                }
            } else {
                c.ids
                    .iter()
                    .filter(|id| !c.used.contains(id))
                    .filter(|id| ran(id) || !self.rules.iter().any(|r| &r.id == *id))
                    .map(|id| match self.rules.iter().any(|r| &r.id == id) {
                        true => format!("`{id}`"),
                        false => format!("`{id}` (no such rule)"),
                    })
                    .collect()
            };
            if unused.is_empty() {
                continue;
            }
            let mut finding = Finding::new(
                rule,
                &Path::default(),
                rule.summary.replace("{ids}", &unused.join(", ")),
            );
            (finding.line, finding.col) = (c.line, c.col);
            findings.push(finding);
        }
        findings.sort_by_key(|f| (f.line, f.col));
    }
}

fn prefix(a: &Path, b: &Path) -> bool {
    a.document == b.document && b.segments.starts_with(&a.segments)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_comments_name_pinned_actions_by_name() {
        let grant = Grant::new(
            Level::Write,
            vec![
                "actions/checkout@de0fac2e4500dabe0009e67214ff5f5447ce83dd: clone the repository"
                    .into(),
                "step 2: gh release write".into(),
            ],
        );
        assert_eq!(
            comment_text(&grant),
            "actions/checkout: clone the repository; step 2: gh release write"
        );
    }

    /// Runs every rule's inline test cases.
    #[test]
    fn rule_file_test_cases_pass() {
        let engine = Engine::load(None).unwrap();
        let mut failures = Vec::new();
        let mut count = 0;
        for rule in &engine.rules {
            for case in &rule.tests {
                count += 1;
                if let Err(e) = engine.run_test_case(rule, case) {
                    failures.push(format!("{} / {}: {e}", rule.id, case.name));
                }
            }
        }
        assert!(count >= 15, "only {count} inline cases ran");
        assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    }
}
