//! Matching rule objects against one document's meaning. Each node carries its path, so that a
//! match can be located and edited; variables captured on the way are kept only when the whole
//! rule object matches.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use yaml_rust2::Yaml;

use super::{
    CommandPattern, Entries, JobRule, Keyed, Match, Pattern, PatternObject, StepRule, UsesPattern,
    ValueKind, WorkflowRule,
};
use crate::cst::Path;
use crate::workflow::model::{get, scalar};

/// Variables: captured names and their values; a later entry of a name wins. Matching pushes
/// entries and, when a rule object fails, truncates back to where it began: nothing is copied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vars(Vec<(String, String)>);

impl Vars {
    /// No variables.
    pub fn new() -> Vars {
        Vars::default()
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&String> {
        self.0.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Whether `name` has a value.
    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Sets `name`.
    pub fn insert(&mut self, name: String, value: String) {
        self.0.push((name, value));
    }

    /// Unsets `name`.
    pub fn remove(&mut self, name: &str) {
        self.0.retain(|(n, _)| n != name);
    }

    /// A point to [`Vars::rollback`] to.
    pub fn mark(&self) -> usize {
        self.0.len()
    }

    /// Forgets what was set since `mark`.
    pub fn rollback(&mut self, mark: usize) {
        self.0.truncate(mark);
    }
}

impl<const N: usize> From<[(String, String); N]> for Vars {
    fn from(entries: [(String, String); N]) -> Vars {
        Vars(entries.into())
    }
}

impl std::ops::Index<&str> for Vars {
    type Output = String;
    fn index(&self, name: &str) -> &String {
        self.get(name)
            .unwrap_or_else(|| panic!("no variable `{name}`"))
    }
}

/// What a rule is matched against: one document of one file, and the rule file's utils.
pub struct Scope<'a> {
    /// The document's meaning.
    pub root: &'a Yaml,
    /// The file's name as shown.
    pub file: &'a str,
    /// The rule file's named rule objects.
    pub utils: &'a BTreeMap<String, Match>,
    /// What the analysis says a job (by id) needs: `scope: level` texts, and whether it
    /// understood the whole job. `None` when no analysis ran.
    pub needs: Option<&'a NeedsOf<'a>>,
    /// The document's parsed scripts, shared by every rule.
    pub scripts: &'a Scripts,
}

/// What the analysis says a job (by id) needs: `scope: level` texts, and whether it understood
/// the whole job.
pub type NeedsOf<'a> = dyn Fn(&str) -> Option<(Vec<String>, bool)> + 'a;

/// A job of the document.
#[derive(Clone, Copy)]
pub struct JobNode<'a> {
    /// Its key (the job's id).
    pub key: &'a Yaml,
    /// Its meaning.
    pub yaml: &'a Yaml,
    /// Its index among the jobs.
    pub index: usize,
}

/// A step of a job, or of a composite action (`job` is `None`).
#[derive(Clone, Copy)]
pub struct StepNode<'a> {
    /// The job it belongs to.
    pub job: Option<JobNode<'a>>,
    /// Every step of that job.
    pub steps: &'a [Yaml],
    /// Its index.
    pub index: usize,
}

/// Follows a relative path written in a rule (`with.token`, `environment.name`).
fn get_path<'y>(y: &'y Yaml, path: &str) -> Option<&'y Yaml> {
    super::template::lookup(y, &Path::parse(path).ok()?)
}

impl JobNode<'_> {
    /// The job's id.
    pub fn id(&self) -> String {
        scalar(self.key).unwrap_or_default()
    }

    /// Its path in the document.
    pub fn path(&self) -> Path {
        Path::default().key("jobs").key(self.id())
    }
}

impl StepNode<'_> {
    /// Its path in the document.
    pub fn path(&self) -> Path {
        match self.job {
            Some(job) => job.path().key("steps").index(self.index),
            None => Path::default().key("runs").key("steps").index(self.index),
        }
    }
}

impl<'a> Scope<'a> {
    /// The jobs, in file order.
    pub fn jobs(&self) -> Vec<JobNode<'a>> {
        match get(self.root, "jobs") {
            Some(Yaml::Hash(h)) => h
                .iter()
                .enumerate()
                .map(|(index, (key, yaml))| JobNode { key, yaml, index })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Every step: each job's, or a composite action's `runs.steps`.
    pub fn steps(&self) -> Vec<StepNode<'a>> {
        let mut out = Vec::new();
        let mut add = |job: Option<JobNode<'a>>, list: Option<&'a Yaml>| {
            if let Some(Yaml::Array(steps)) = list {
                out.extend((0..steps.len()).map(|index| StepNode { job, steps, index }));
            }
        };
        if get(self.root, "jobs").is_some() {
            for job in self.jobs() {
                add(Some(job), get(job.yaml, "steps"));
            }
        } else {
            add(None, get(self.root, "runs").and_then(|r| get(r, "steps")));
        }
        out
    }

    /// Calls `each` with every scalar value and the segments of its path (keys excluded), in
    /// document order; paths are built only by the caller, for the values it keeps.
    pub fn each_value(&self, each: &mut dyn FnMut(&[crate::cst::Segment], &'a Yaml)) {
        fn walk<'y>(
            y: &'y Yaml,
            at: &mut Vec<crate::cst::Segment>,
            each: &mut dyn FnMut(&[crate::cst::Segment], &'y Yaml),
        ) {
            match y {
                Yaml::Hash(h) => {
                    for (k, v) in h {
                        if let Some(key) = scalar(k) {
                            at.push(crate::cst::Segment::Key(key));
                            walk(v, at, each);
                            at.pop();
                        }
                    }
                }
                Yaml::Array(a) => {
                    for (i, v) in a.iter().enumerate() {
                        at.push(crate::cst::Segment::Index(i));
                        walk(v, at, each);
                        at.pop();
                    }
                }
                Yaml::Alias(_) | Yaml::BadValue => {}
                other => each(at, other),
            }
        }
        walk(self.root, &mut Vec::new(), each);
    }

    /// Whether the workflow matches `rule`; `vars` gains its captures when it does.
    pub fn workflow(&self, rule: &WorkflowRule, vars: &mut Vars) -> bool {
        let mark = vars.mark();
        let got = &mut *vars;
        let root = self.root;
        let ok = (|| {
            if let Some(p) = &rule.on {
                let on = get(root, "on");
                let names: Vec<Yaml> = match on {
                    Some(Yaml::Hash(h)) => h.keys().cloned().collect(),
                    Some(Yaml::Array(a)) => a.clone(),
                    Some(other) => vec![other.clone()],
                    None => Vec::new(),
                };
                let list = (!names.is_empty()).then_some(Yaml::Array(names));
                if !pattern(p, list.as_ref(), got) {
                    return false;
                }
            }
            let file = Yaml::String(self.file.to_string());
            if !opt(&rule.file, Some(&file), got)
                || !opt_at(&rule.name, root, "name", got)
                || !fields(&rule.field, root, got)
            {
                return false;
            }
            if let Some(key) = &rule.missing {
                if get(root, key).is_some() {
                    return false;
                }
            }
            if let Some(job) = &rule.has {
                if !self.jobs().into_iter().any(|j| self.job(job, j, got)) {
                    return false;
                }
            }
            combinators(&rule.all, &rule.any, &rule.not, got, |r, v| {
                self.workflow(r, v)
            }) && self.util(&rule.matches, got, |m, v| match m {
                Match::Workflow(r) => Some(self.workflow(r, v)),
                _ => None,
            })
        })();
        if ok {
            got.insert("workflow".into(), self.file.to_string());
        }
        settle(ok, got, mark)
    }

    /// Whether `job` matches `rule`.
    pub fn job(&self, rule: &JobRule, job: JobNode, vars: &mut Vars) -> bool {
        let mark = vars.mark();
        let got = &mut *vars;
        let y = job.yaml;
        let ok = (|| {
            if rule
                .id
                .as_ref()
                .is_some_and(|p| !pattern(p, Some(&Yaml::String(job.id())), got))
                || !opt_at(&rule.name, y, "name", got)
                || !opt_at(&rule.condition, y, "if", got)
                || !opt_at(&rule.runs_on, y, "runs-on", got)
                || !opt_at(&rule.permissions, y, "permissions", got)
                || !fields(&rule.field, y, got)
            {
                return false;
            }
            if let Some(u) = &rule.uses {
                if !uses(u, get(y, "uses"), got) {
                    return false;
                }
            }
            if rule.needs.is_some() || rule.analysed.is_some() {
                let Some((needs, analysed)) = self.needs.and_then(|n| n(&job.id())) else {
                    return false;
                };
                if rule.analysed.is_some_and(|a| a != analysed) {
                    return false;
                }
                if let Some(p) = &rule.needs {
                    let list = Yaml::Array(needs.iter().cloned().map(Yaml::String).collect());
                    got.insert("needs".into(), needs.join(", "));
                    if !pattern(p, Some(&list), got) {
                        return false;
                    }
                }
            }
            if let Some(step) = &rule.has {
                let Some(Yaml::Array(steps)) = get(y, "steps") else {
                    return false;
                };
                let found = (0..steps.len()).any(|index| {
                    let node = StepNode {
                        job: Some(job),
                        steps,
                        index,
                    };
                    self.step(step, node, got)
                });
                if !found {
                    return false;
                }
            }
            if let Some(w) = &rule.inside {
                if !self.workflow(w, got) {
                    return false;
                }
            }
            combinators(&rule.all, &rule.any, &rule.not, got, |r, v| {
                self.job(r, job, v)
            }) && self.util(&rule.matches, got, |m, v| match m {
                Match::Job(r) => Some(self.job(r, job, v)),
                _ => None,
            })
        })();
        if ok {
            got.insert("job".into(), job.id());
        }
        settle(ok, got, mark)
    }

    /// Whether `step` matches `rule`.
    pub fn step(&self, rule: &StepRule, step: StepNode, vars: &mut Vars) -> bool {
        let mark = vars.mark();
        let got = &mut *vars;
        let y = &step.steps[step.index];
        let ok = (|| {
            if !opt_at(&rule.run, y, "run", got)
                || !opt_at(&rule.name, y, "name", got)
                || !opt_at(&rule.id, y, "id", got)
                || !opt_at(&rule.condition, y, "if", got)
                || !opt_at(&rule.shell, y, "shell", got)
                || !entries(&rule.with, y, "with", got)
                || !entries(&rule.env, y, "env", got)
                || !fields(&rule.field, y, got)
            {
                return false;
            }
            if let Some(u) = &rule.uses {
                if !uses(u, get(y, "uses"), got) {
                    return false;
                }
            }
            if let Some(c) = &rule.command {
                let Some(script) = get(y, "run").and_then(scalar) else {
                    return false;
                };
                if !might_run(c, &script) || !command(c, &self.scripts.of(&script), got) {
                    return false;
                }
            }
            // Combinators before relations: they are the cheaper way to fail.
            let combined = combinators(&rule.all, &rule.any, &rule.not, got, |r, v| {
                self.step(r, step, v)
            }) && self.util(&rule.matches, got, |m, v| match m {
                Match::Step(r) => Some(self.step(r, step, v)),
                _ => None,
            });
            if !combined {
                return false;
            }
            let others = |range: std::ops::Range<usize>, r: &StepRule, v: &mut Vars| {
                range.into_iter().any(|index| {
                    self.step(
                        r,
                        StepNode {
                            job: step.job,
                            steps: step.steps,
                            index,
                        },
                        v,
                    )
                })
            };
            if let Some(r) = &rule.follows {
                if !others(0..step.index, r, got) {
                    return false;
                }
            }
            if let Some(r) = &rule.precedes {
                if !others(step.index + 1..step.steps.len(), r, got) {
                    return false;
                }
            }
            match (&rule.inside, step.job) {
                (None, _) => true,
                (Some(j), Some(job)) => self.job(j, job, got),
                (Some(_), None) => false,
            }
        })();
        if ok {
            // The step's own names win over those of related steps; set only once it matched.
            if let Some(job) = step.job {
                got.insert("job".into(), job.id());
            }
            got.insert(
                "step".into(),
                crate::workflow::model::step_label(y, step.index),
            );
        }
        settle(ok, got, mark)
    }

    /// `matches: NAME`: the util must exist and be of the node's kind (checked when the rule
    /// file is loaded, so a mismatch here simply does not match).
    fn util(
        &self,
        name: &Option<String>,
        vars: &mut Vars,
        run: impl Fn(&Match, &mut Vars) -> Option<bool>,
    ) -> bool {
        match name {
            None => true,
            Some(n) => self
                .utils
                .get(n)
                .and_then(|m| run(m, vars))
                .unwrap_or(false),
        }
    }
}

/// Keeps what a rule object captured when it matched, forgets it when not.
fn settle(ok: bool, vars: &mut Vars, mark: usize) -> bool {
    if !ok {
        vars.rollback(mark);
    }
    ok
}

fn combinators<R>(
    all: &Option<Vec<R>>,
    any: &Option<Vec<R>>,
    not: &Option<Box<R>>,
    vars: &mut Vars,
    run: impl Fn(&R, &mut Vars) -> bool,
) -> bool {
    if let Some(all) = all {
        if !all.iter().all(|r| run(r, vars)) {
            return false;
        }
    }
    if let Some(any) = any {
        if !any.iter().any(|r| run(r, vars)) {
            return false;
        }
    }
    if let Some(not) = not {
        let mark = vars.mark();
        let matched = run(not, vars);
        vars.rollback(mark);
        if matched {
            return false;
        }
    }
    true
}

fn opt(p: &Option<Pattern>, value: Option<&Yaml>, vars: &mut Vars) -> bool {
    p.as_ref().is_none_or(|p| pattern(p, value, vars))
}

/// [`opt`] for the value of `node`'s entry `key`, looked up only when there is a pattern.
fn opt_at(p: &Option<Pattern>, node: &Yaml, key: &str, vars: &mut Vars) -> bool {
    p.as_ref().is_none_or(|p| pattern(p, get(node, key), vars))
}

/// Whether the mapping at `node`'s entry `key` has the entries `want` asks for.
fn entries(want: &Option<Keyed>, node: &Yaml, key: &str, vars: &mut Vars) -> bool {
    let Some(want) = want else { return true };
    let map = get(node, key);
    want.iter().all(|(key, p)| match &key.glob {
        None => pattern(p, map.and_then(|m| get(m, &key.text)), vars),
        Some(glob) => {
            let Some(Yaml::Hash(h)) = map else {
                return false;
            };
            h.iter().any(|(k, v)| {
                let Some(name) = scalar(k) else { return false };
                let mark = vars.mark();
                let got = &mut *vars;
                let ok = glob.is_match(&name.to_lowercase()) && pattern(p, Some(v), got);
                if ok {
                    got.insert("key".into(), name);
                }
                settle(ok, got, mark)
            })
        }
    })
}

fn fields(want: &Option<Entries>, node: &Yaml, vars: &mut Vars) -> bool {
    let Some(want) = want else { return true };
    want.iter()
        .all(|(path, p)| pattern(p, get_path(node, path), vars))
}

/// The texts a value offers to text conditions: a scalar's, or each scalar item's.
fn texts(value: Option<&Yaml>) -> Vec<String> {
    match value {
        Some(Yaml::Array(items)) => items.iter().filter_map(scalar).collect(),
        Some(Yaml::Null) => vec![String::new()],
        Some(y) => scalar(y).into_iter().collect(),
        None => Vec::new(),
    }
}

/// Whether `value` (absent: `None`) matches `p`.
pub fn pattern(p: &Pattern, value: Option<&Yaml>, vars: &mut Vars) -> bool {
    let o = match p {
        Pattern::Exact(s) => return texts(value).contains(&s.text()),
        Pattern::Object(o) => o,
    };
    let mark = vars.mark();
    let got = &mut *vars;
    if o.present.is_some_and(|present| present != value.is_some()) {
        return false;
    }
    if let Some(not) = &o.not {
        let inner = got.mark();
        let matched = pattern(not, value, got);
        got.rollback(inner);
        if matched {
            return false;
        }
    }
    if let Some(any) = &o.any {
        if !any.iter().any(|p| pattern(p, value, got)) {
            return false;
        }
    }
    let ok = if has_text_conditions(o) {
        texts(value).iter().any(|t| text(o, t, got))
    } else {
        value.is_some() || o.present.is_some() || o.not.is_some() || o.any.is_some()
    };
    settle(ok, got, mark)
}

fn has_text_conditions(o: &PatternObject) -> bool {
    o.above.is_some()
        || o.below.is_some()
        || o.equals.is_some()
        || o.one_of.is_some()
        || o.contains.is_some()
        || o.glob.is_some()
        || o.regex.is_some()
        || o.is.is_some()
}

static SECRET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\$\{\{[^}]*?\bsecrets\.([A-Za-z_][A-Za-z0-9_]*)").expect("valid regex")
});
static VARIABLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\$\{\{[^}]*?\bvars\.([A-Za-z_][A-Za-z0-9_]*)").expect("valid regex")
});

fn text(o: &PatternObject, t: &str, vars: &mut Vars) -> bool {
    let mark = vars.mark();
    let got = &mut *vars;
    let ok = o.equals.as_ref().is_none_or(|e| e.text() == t)
        && o.one_of
            .as_ref()
            .is_none_or(|l| l.iter().any(|e| e.text() == t))
        && o.contains.as_ref().is_none_or(|c| t.contains(c.as_str()))
        && o.glob.as_ref().is_none_or(|g| g.is_match(t))
        && o.regex.as_ref().is_none_or(|re| capture(&re.0, t, got))
        && o.is.is_none_or(|kind| is(kind, t, got))
        && o.above
            .is_none_or(|n| t.trim().parse::<f64>().is_ok_and(|v| v > n))
        && o.below
            .is_none_or(|n| t.trim().parse::<f64>().is_ok_and(|v| v < n));
    settle(ok, got, mark)
}

fn is(kind: ValueKind, t: &str, vars: &mut Vars) -> bool {
    let secret = |vars: &mut Vars, other: bool| {
        let found = SECRET
            .captures_iter(t)
            .map(|c| c[1].to_string())
            .find(|name| !other || !name.eq_ignore_ascii_case("GITHUB_TOKEN"));
        found
            .map(|name| vars.insert("secret".into(), name))
            .is_some()
    };
    match kind {
        ValueKind::GithubToken => crate::workflow::token::is_github_token(t),
        ValueKind::Secret => secret(vars, false),
        ValueKind::OtherSecret => secret(vars, true),
        ValueKind::Variable => VARIABLE
            .captures(t)
            .map(|c| vars.insert("var".into(), c[1].to_string()))
            .is_some(),
        ValueKind::Credential => match crate::workflow::credentials::find(t) {
            Some((literal, shape)) => {
                vars.insert("credential".into(), literal.to_string());
                vars.insert("credential-kind".into(), shape.name.clone());
                vars.insert("secret-name".into(), shape.secret.clone());
                true
            }
            None => false,
        },
        ValueKind::Expression => t.contains("${{"),
        ValueKind::Literal => !t.contains("${{"),
    }
}

/// Matches `re` and records its named groups.
fn capture(re: &Regex, t: &str, vars: &mut Vars) -> bool {
    let Some(c) = re.captures(t) else {
        return false;
    };
    for name in re.capture_names().flatten() {
        if let Some(m) = c.name(name) {
            vars.insert(name.to_string(), m.as_str().to_string());
        }
    }
    true
}

/// The parts of a `uses:` value: (action, owner, repo, path, ref).
fn uses_parts(value: &str) -> (String, String, String, String, String) {
    let (action, reference) = value.split_once('@').unwrap_or((value, ""));
    let mut parts = action.splitn(3, '/');
    let owner = parts.next().unwrap_or_default().to_string();
    let repo = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    (action.to_string(), owner, repo, path, reference.to_string())
}

fn uses(p: &UsesPattern, value: Option<&Yaml>, vars: &mut Vars) -> bool {
    let Some(text) = value.and_then(scalar) else {
        return false;
    };
    let (action, owner, repo, path, reference) = uses_parts(&text);
    let mark = vars.mark();
    let got = &mut *vars;
    let ok = match p {
        UsesPattern::Glob(g) if g.text.contains('@') => g.is_match(&text),
        UsesPattern::Glob(g) => g.is_match(&action),
        UsesPattern::Parts(parts) => {
            let s = |v: &str| Yaml::String(v.to_string());
            let local = text.starts_with("./") || text.starts_with("../");
            let pinned = crate::rules::knowledge::is_commit(&reference);
            opt(&parts.action, Some(&s(&action)), got)
                && opt(&parts.owner, Some(&s(&owner)), got)
                && opt(&parts.repo, Some(&s(&repo)), got)
                && opt(&parts.path, Some(&s(&path)), got)
                && opt(&parts.reference, Some(&s(&reference)), got)
                && parts.pinned.is_none_or(|p| p == pinned)
                && parts.local.is_none_or(|l| l == local)
        }
    };
    if ok {
        for (k, v) in [
            ("uses", &text),
            ("action", &action),
            ("owner", &owner),
            ("repo", &repo),
            ("ref", &reference),
        ] {
            got.insert(k.into(), v.clone());
        }
    }
    settle(ok, got, mark)
}

static ASSIGNMENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z_][A-Za-z0-9_]*=").expect("valid regex"));

/// One simple command of a script: the program (after `NAME=value` prefixes), its arguments
/// joined by spaces, and the whole line.
pub struct Simple {
    program: String,
    args: String,
    line: String,
}

/// The simple commands of each `run:` script of a document, parsed once however many rules and
/// relations ask.
#[derive(Default)]
pub struct Scripts(std::cell::RefCell<std::collections::HashMap<String, std::rc::Rc<Vec<Simple>>>>);

impl Scripts {
    fn of(&self, script: &str) -> std::rc::Rc<Vec<Simple>> {
        if let Some(found) = self.0.borrow().get(script) {
            return found.clone();
        }
        let filled = crate::rules::shell::prepare(script);
        let parsed: Vec<Simple> = crate::rules::shell::parse(&filled)
            .commands
            .iter()
            .filter_map(|c| {
                let words: Vec<&String> = c
                    .words
                    .iter()
                    .skip_while(|w| ASSIGNMENT.is_match(w))
                    .collect();
                let program = words.first()?.to_string();
                let args = words[1..]
                    .iter()
                    .map(|w| w.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                Some(Simple {
                    program,
                    args,
                    line: c.line(),
                })
            })
            .collect();
        let parsed = std::rc::Rc::new(parsed);
        self.0
            .borrow_mut()
            .insert(script.to_string(), parsed.clone());
        parsed
    }
}

/// Whether a script might run a program `p` names: false when `p` names its programs literally
/// and none occurs in the text, so that most scripts need no parse.
fn might_run(p: &CommandPattern, script: &str) -> bool {
    let names: Vec<String> = match p {
        CommandPattern::Program(name) => vec![name.clone()],
        CommandPattern::Parts(parts) => match &parts.program {
            Some(Pattern::Exact(s)) => vec![s.text()],
            Some(Pattern::Object(o)) if !has_text_conditions_beyond_names(o) => o
                .equals
                .iter()
                .chain(o.one_of.iter().flatten())
                .map(|s| s.text())
                .collect(),
            _ => return true,
        },
    };
    names.is_empty() || names.iter().any(|n| contains_word(script, n))
}

/// Whether `word` occurs in `text` as a whole word (not inside `github`, `format` ...).
fn contains_word(text: &str, word: &str) -> bool {
    if word.is_empty() {
        return true;
    }
    let part = |c: char| c.is_alphanumeric() || c == '_' || c == '-' || c == '.';
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(part) && !after.is_some_and(|c| part(c) && c != '.')
    })
}

/// Whether a program pattern says more than `equals` / `one-of` (then it must be evaluated).
fn has_text_conditions_beyond_names(o: &PatternObject) -> bool {
    o.contains.is_some()
        || o.glob.is_some()
        || o.regex.is_some()
        || o.is.is_some()
        || o.above.is_some()
        || o.below.is_some()
        || o.not.is_some()
        || o.any.is_some()
        || (o.equals.is_none() && o.one_of.is_none())
}

fn command(p: &CommandPattern, commands: &[Simple], vars: &mut Vars) -> bool {
    commands.iter().any(|c| {
        let (program, args) = (&c.program, &c.args);
        let mark = vars.mark();
        let got = &mut *vars;
        let ok = match p {
            CommandPattern::Program(name) => program.as_str() == name,
            CommandPattern::Parts(parts) => {
                opt(
                    &parts.program,
                    Some(&Yaml::String(program.to_string())),
                    got,
                ) && opt(&parts.args, Some(&Yaml::String(args.clone())), got)
            }
        };
        if ok {
            got.insert("command".into(), c.line.clone());
        }
        settle(ok, got, mark)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope_of(text: &str) -> Yaml {
        yaml_rust2::YamlLoader::load_from_str(text)
            .unwrap()
            .remove(0)
    }

    fn rule<T: serde::de::DeserializeOwned>(text: &str) -> T {
        crate::rules::load::parse("rule.yml", text).unwrap()
    }

    #[test]
    fn step_objects_match_fields_relations_and_capture() {
        let root = scope_of(
            "on: push\njobs:\n  b:\n    runs-on: [self-hosted, linux]\n    steps:\n      - uses: actions/checkout@v4\n      - run: |\n          git commit -am x\n          git push origin HEAD:main\n        env:\n          TOKEN: ${{ secrets.MY_PAT }}\n",
        );
        let utils = BTreeMap::new();
        let scope = Scope {
            root: &root,
            file: "ci.yml",
            utils: &utils,
            needs: None,
            scripts: &Scripts::default(),
        };
        let steps = scope.steps();
        let r: StepRule = rule(
            "uses: actions/checkout\nprecedes:\n  command: {program: git, args: {regex: '^push (?P<remote>\\S+)'}}\nwith:\n  persist-credentials: {not: {equals: false}}\ninside:\n  runs-on: self-hosted\n",
        );
        let mut vars = Vars::new();
        assert!(scope.step(&r, steps[0], &mut vars));
        assert_eq!(vars["remote"], "origin");
        assert_eq!(vars["ref"], "v4");
        assert_eq!(vars["step"], "actions/checkout@v4");
        assert_eq!(vars["job"], "b");
        assert!(!scope.step(&r, steps[1], &mut Vars::new()));
        let pat: StepRule = rule("env:\n  TOKEN: {is: other-secret}\n");
        let mut vars = Vars::new();
        assert!(scope.step(&pat, steps[1], &mut vars));
        assert_eq!(vars["secret"], "MY_PAT");
        let not_hosted: JobRule = rule("runs-on: {not: {equals: self-hosted}}\n");
        assert!(!scope.job(&not_hosted, scope.jobs()[0], &mut Vars::new()));
        let absent: StepRule = rule("with: {persist-credentials: {present: false}}\n");
        assert!(scope.step(&absent, steps[0], &mut Vars::new()));
        let w: WorkflowRule = rule("on: push\nhas: {has: {uses: 'actions/*@v4'}}\n");
        assert!(scope.workflow(&w, &mut Vars::new()));
        let w: WorkflowRule = rule("on: {one-of: [pull_request, pull_request_target]}\n");
        assert!(!scope.workflow(&w, &mut Vars::new()));
    }

    #[test]
    fn captures_of_a_failed_branch_are_dropped() {
        let root = scope_of("jobs:\n  a:\n    steps:\n      - run: echo hi\n");
        let utils = BTreeMap::new();
        let scope = Scope {
            root: &root,
            file: "x.yml",
            utils: &utils,
            needs: None,
            scripts: &Scripts::default(),
        };
        let r: StepRule =
            rule("any:\n  - run: {regex: '(?P<word>hi)x'}\n  - run: {regex: '(?P<other>echo)'}\n");
        let mut vars = Vars::new();
        assert!(scope.step(&r, scope.steps()[0], &mut vars));
        assert!(!vars.contains_key("word"));
        assert_eq!(vars["other"], "echo");
    }

    #[test]
    fn globs_are_literal_except_stars() {
        use crate::rules::lang::Glob;
        assert!(Glob::new("actions/*").is_match("actions/checkout"));
        assert!(Glob::new("a.b?").is_match("a.bc"));
        assert!(!Glob::new("a.b").is_match("axb"));
    }
}
