//! Least-privilege analysis: what each job does with its GITHUB_TOKEN, from the knowledge base.
//!
//! A step counts only when it authenticates with the job's GITHUB_TOKEN: checkout's persisted
//! credentials for git, `GH_TOKEN`/`GITHUB_TOKEN` set from the token for `gh`, an action input
//! left at a `github.token` default or set to the token. Whatever ghfix cannot read (an action
//! not in the knowledge base, a script that receives the token, a remote reusable workflow)
//! makes the job *unknown*: it is reported and left as it was.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path as FsPath, PathBuf};
use std::sync::{Arc, LazyLock};

use regex::Regex;
use yaml_rust2::Yaml;

use crate::rules::knowledge::{
    Auth, Condition, IndexRecord, Knowledge, Level, Majors, Need, RestNeed, Via,
};
use crate::rules::shell;
use crate::workflow::model::shorten;
use crate::workflow::token::{carry, is_github_token, token_vars};
use crate::workflow::{Job, Step, Workflow};

/// One scope a job needs, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The level needed.
    pub level: Level,
    /// What needs it (step and operation): first those that need `level` itself, in order,
    /// then those that need less.
    pub reasons: Vec<String>,
    /// How many of the first `reasons` need `level` itself.
    pub at_level: usize,
}

impl Grant {
    /// `level`, needed for each of `reasons`.
    pub fn new(level: Level, reasons: Vec<String>) -> Grant {
        let at_level = reasons.len();
        Grant {
            level,
            reasons,
            at_level,
        }
    }

    /// A reason that needs no more than `level`: the first of those that need less than the
    /// grant's level when `level` is lower, else the first.
    pub fn reason_for(&self, level: Level) -> Option<&String> {
        if level < self.level {
            self.reasons.get(self.at_level).or(self.reasons.first())
        } else {
            self.reasons.first()
        }
    }
}

/// What a job needs from its token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    /// Scope -> level and reasons.
    pub scopes: BTreeMap<String, Grant>,
    /// Why the analysis is incomplete; empty when the job is fully understood.
    pub unknown: Vec<String>,
    /// Events the job's writes with GITHUB_TOKEN create, each with the steps that create it
    /// (`step `Release` (changesets/action)`).
    pub events: BTreeMap<String, BTreeSet<String>>,
    /// Scopes a step may use but does not certainly need (never granted; reported).
    pub notes: Vec<String>,
    /// How each step the token may reach was judged (`step `label`: decision`), so that every
    /// appearance of the token can be accounted for.
    pub decisions: Vec<String>,
    /// Needs that another scope meets as well (an issue comment: issues or pull-requests write):
    /// the scope recorded in `scopes`, the others, the level and the reason.
    pub either: Vec<(String, Vec<String>, Level, String)>,
    /// What each of the job's own steps does with the token, in order (empty for a job that
    /// calls a reusable workflow).
    pub steps: Vec<StepUse>,
    /// A git command authenticated with the credentials a checkout persisted.
    pub git_through_checkout: bool,
}

/// What one step of a job does with the job's token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepUse {
    /// The scopes the step needs.
    pub scopes: BTreeMap<String, Level>,
    /// The step's event creators, as they appear in [`Needs::events`].
    pub creators: BTreeSet<String>,
    /// One of its git commands authenticates with credentials a checkout persisted.
    pub git_through_checkout: bool,
}

impl Needs {
    /// Records that `scope` is needed at `level` for `reason`.
    pub fn add(&mut self, scope: &str, level: Level, reason: String) {
        if level == Level::None {
            return;
        }
        let grant = self
            .scopes
            .entry(scope.to_string())
            .or_insert(Grant::new(level, Vec::new()));
        // The reasons that need the level granted come first: a shortened comment names them.
        if level > grant.level {
            grant.level = level;
            grant.reasons.retain(|r| *r != reason);
            grant.reasons.insert(0, reason);
            grant.at_level = 1;
        } else if !grant.reasons.contains(&reason) {
            if level == grant.level {
                grant.reasons.insert(grant.at_level, reason);
                grant.at_level += 1;
            } else {
                grant.reasons.push(reason);
            }
        }
    }

    /// Records a need that `scope` or any of `others` meets at `level`; `scope` is what a new
    /// block gets.
    pub fn add_either(&mut self, scope: &str, others: &[String], level: Level, reason: String) {
        if others.is_empty() {
            return self.add(scope, level, reason);
        }
        self.add(scope, level, reason.clone());
        self.either
            .push((scope.to_string(), others.to_vec(), level, reason));
    }

    /// The scopes as an existing grant `have` meets them: a scope whose every reason another
    /// scope of `have` meets as well moves to that scope (no second scope is added for it).
    pub fn against(&self, have: &BTreeMap<String, Level>) -> BTreeMap<String, Grant> {
        let mut out = self.scopes.clone();
        let met = |s: &str, level: Level| have.get(s).is_some_and(|l| *l >= level);
        for (scope, grant) in &self.scopes {
            if met(scope, grant.level) {
                continue;
            }
            // Each reason, and the scope of `have` that meets it instead.
            let moved: Option<Vec<(&String, &String)>> = grant
                .reasons
                .iter()
                .map(|r| {
                    self.either
                        .iter()
                        .filter(|(s, _, _, why)| s == scope && why == r)
                        .find_map(|(_, others, level, _)| {
                            others.iter().find(|o| met(o, *level)).map(|o| (o, r))
                        })
                })
                .collect();
            let Some(moved) = moved else { continue };
            out.remove(scope);
            for (other, reason) in moved {
                let level = have.get(other).copied().unwrap_or(Level::None);
                let g = out
                    .entry(other.clone())
                    .or_insert(Grant::new(level, Vec::new()));
                g.level = g.level.max(level.min(grant.level));
                if !g.reasons.contains(reason) {
                    g.reasons.push(reason.clone());
                }
                g.at_level = g.reasons.len();
            }
        }
        out
    }

    /// Records that `creator` creates `events` with the job's token; a creator that makes only
    /// draft releases (`draft`) creates no `release` event: a draft starts nothing.
    pub fn add_events(&mut self, events: &[String], creator: &str, draft: bool) {
        for event in events.iter().filter(|e| !(draft && *e == "release")) {
            self.events
                .entry(event.clone())
                .or_default()
                .insert(creator.to_string());
        }
    }

    /// Adds everything `other` needs.
    pub fn merge(&mut self, other: Needs) {
        for (scope, grant) in other.scopes {
            for reason in grant.reasons {
                self.add(&scope, grant.level, reason);
            }
        }
        self.unknown.extend(other.unknown);
        for (event, creators) in other.events {
            self.events.entry(event).or_default().extend(creators);
        }
        for note in other.notes {
            if !self.notes.contains(&note) {
                self.notes.push(note);
            }
        }
        self.decisions.extend(other.decisions);
        self.either.extend(other.either);
        self.git_through_checkout |= other.git_through_checkout;
    }

    /// Records how the step `label` was judged.
    fn decide(&mut self, label: &str, decision: String) {
        self.decisions
            .push(format!("step `{}`: {decision}", short(label)));
    }

    /// Records a scope that `reason` may use: a note, never a grant.
    pub fn note(&mut self, permissions: &BTreeMap<String, Level>, reason: String) {
        let note = format!("{reason}; grant `{}` if it does", scopes_text(permissions));
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    /// Whether every step was understood.
    pub fn is_known(&self) -> bool {
        self.unknown.is_empty()
    }
}

/// The repository a file belongs to, for reading its local actions and reusable workflows.
#[derive(Debug, Clone, Default)]
pub struct Repo {
    /// The repository root, when known.
    pub root: Option<PathBuf>,
    /// Texts that replace files on disk (by canonical path): the fixes of an earlier pass of the
    /// same run, so that a caller is analysed against its callee as it will be written.
    pub pending: Option<Arc<BTreeMap<PathBuf, String>>>,
    /// `owner/repo` of the repository on GitHub, read on first use (see [`Repo::slug`]).
    slug: std::sync::OnceLock<Option<String>>,
    /// The repository is known to be public (`visibility: public`): reads that only a private
    /// repository needs a scope for are not granted.
    pub public: bool,
}

impl Repo {
    /// The repository at `root` (none when `None`), with nothing pending.
    pub fn at(root: Option<PathBuf>) -> Repo {
        Repo {
            root,
            ..Repo::default()
        }
    }

    /// `owner/repo` (lowercase) of the repository on GitHub, from its git remote `origin`: a
    /// repository's own action (`uses: ./`) is then known by that name. Read only when a step
    /// uses such an action, not for every file.
    pub fn slug(&self) -> Option<&str> {
        self.slug
            .get_or_init(|| self.root.as_deref().and_then(github_slug))
            .as_deref()
    }
}

/// `owner/repo` (lowercase) of the GitHub remote `origin` in `root/.git/config`.
pub fn github_slug(root: &FsPath) -> Option<String> {
    let path = root.join(".git/config");
    // A regular file of a sane size only: a FIFO or a huge file there must not stall the run.
    let meta = std::fs::metadata(&path).ok()?;
    if !meta.is_file() || meta.len() > 1 << 20 {
        return None;
    }
    let config = std::fs::read_to_string(path).ok()?;
    let mut origin = false;
    for line in config.lines().map(str::trim) {
        if line.starts_with('[') {
            origin = line == "[remote \"origin\"]";
            continue;
        }
        let Some(url) = line
            .strip_prefix("url")
            .map(str::trim_start)
            .and_then(|r| r.strip_prefix('='))
            .filter(|_| origin)
        else {
            continue;
        };
        let url = url.trim();
        let path = [
            "https://github.com/",
            "git@github.com:",
            "ssh://git@github.com/",
        ]
        .iter()
        .find_map(|p| url.strip_prefix(p))?;
        let path = path.trim_end_matches('/').trim_end_matches(".git");
        let mut parts = path.split('/');
        let (owner, repo) = (parts.next()?, parts.next()?);
        if parts.next().is_some() || owner.is_empty() || repo.is_empty() {
            return None;
        }
        return Some(format!("{owner}/{repo}").to_lowercase());
    }
    None
}

/// What the analysis may read besides the file: the repository, for local actions and reusable
/// workflows.
pub struct Context<'a> {
    /// The knowledge base.
    pub kb: &'a Knowledge,
    /// The repository.
    pub repo: &'a Repo,
    /// The version comments of pinned refs (`uses: a/b@<sha> # v4.1.0`) in the file and the
    /// local actions and workflows read so far, by ref.
    pins: RefCell<BTreeMap<String, String>>,
    /// Shell scripts of the repository that a step's script runs, found while judging its
    /// commands: the calling command and the script's text, analysed as part of the step.
    scripts: RefCell<Vec<(String, String)>>,
    /// How deep scripts calling scripts are read.
    script_depth: std::cell::Cell<usize>,
    /// The folder of the local action whose steps are being read (what `$GITHUB_ACTION_PATH`
    /// and `${{ github.action_path }}` name there), relative to the repository's root.
    action_dir: RefCell<Option<String>>,
    /// The working directory of the step being read (`working-directory:`), for the paths of
    /// the scripts it runs; `Err` when a script changes directory, so that paths tell no file.
    script_dir: RefCell<Result<Option<String>, ()>>,
    /// The repository's files read so far (local actions, workflows, scripts), by the path asked
    /// for: a file is read once however often steps and checks name it.
    local_files: RefCell<HashMap<String, Option<String>>>,
}

/// The grant a `permissions:` value gives: scope -> level (absent scopes are none).
pub fn granted(block: &Yaml) -> BTreeMap<String, Level> {
    use crate::rules::knowledge::SCOPES;
    match block {
        Yaml::String(s) if s == "read-all" || s == "write-all" => {
            let level = if s == "read-all" {
                Level::Read
            } else {
                Level::Write
            };
            SCOPES
                .iter()
                .map(|sc| {
                    let l = match *sc {
                        "id-token" | "copilot-requests" if level == Level::Read => Level::None,
                        "models" | "vulnerability-alerts" => Level::Read,
                        _ => level,
                    };
                    (sc.to_string(), l)
                })
                .collect()
        }
        Yaml::Hash(h) => h
            .iter()
            .filter_map(|(k, v)| {
                let scope = crate::workflow::model::scalar(k)?;
                let level = Level::parse(&crate::workflow::model::scalar(v)?)?;
                Some((scope, level))
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// A scope name or level of a `permissions:` block that GitHub rejects.
pub struct Invalid {
    /// The entry's key, when the problem is one entry (else the whole block).
    pub key: Option<String>,
    /// What is wrong, and the valid spelling when there is one.
    pub message: String,
    /// The fix where the meaning is certain: a rename of the key or a new level.
    pub fix: Option<crate::cst::Op>,
}

/// The levels a scope accepts.
fn levels(scope: &str) -> &'static [&'static str] {
    match scope {
        "id-token" | "copilot-requests" => &["write", "none"],
        "models" | "vulnerability-alerts" => &["read", "none"],
        _ => &["read", "write", "none"],
    }
}

/// The valid scope an invalid name means, when exactly one is close: another case, `_` for `-`,
/// a missing or extra final `s`, or one letter off.
fn respelled(name: &str) -> Option<&'static str> {
    use crate::rules::knowledge::SCOPES;
    let norm = name.trim().to_lowercase().replace('_', "-");
    let close: Vec<&str> = SCOPES
        .iter()
        .copied()
        .filter(|s| {
            *s == norm
                || format!("{norm}s") == *s
                || norm.strip_suffix('s') == Some(s)
                || edit_distance(&norm, s) <= 1
        })
        .collect();
    match close.as_slice() {
        [one] => Some(one),
        _ => None,
    }
}

/// Levenshtein distance (small strings).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The problems of the `permissions:` value at `at`, each with its fix where the meaning is
/// certain.
pub fn invalid(block: &Yaml, at: &crate::cst::Path) -> Vec<Invalid> {
    use crate::cst::{Op, Value};
    use crate::rules::knowledge::SCOPES;
    let mut out = Vec::new();
    match block {
        Yaml::String(s) if s == "read-all" || s == "write-all" => {}
        Yaml::String(s) => out.push(Invalid {
            key: None,
            message: format!("`permissions: {s}` is not `read-all`, `write-all` or a mapping"),
            fix: None,
        }),
        Yaml::Hash(h) => {
            let present: Vec<String> = h
                .keys()
                .filter_map(crate::workflow::model::scalar)
                .collect();
            for (k, v) in h {
                let Some(name) = crate::workflow::model::scalar(k) else {
                    continue;
                };
                let value = crate::workflow::model::scalar(v).unwrap_or_default();
                let scope = if SCOPES.contains(&name.as_str()) {
                    name.clone()
                } else {
                    let meant = respelled(&name).filter(|m| !present.iter().any(|p| p == m));
                    out.push(Invalid {
                        key: Some(name.clone()),
                        message: match meant {
                            Some(m) => format!("`{name}` is not a permission scope; `{m}` is meant"),
                            None => format!("`{name}` is not a permission scope ghfix knows (GitHub rejects unknown scopes)"),
                        },
                        fix: meant.map(|m| Op::RenameKey {
                            path: at.clone().key(name.clone()),
                            to: m.to_string(),
                        }),
                    });
                    match meant {
                        Some(m) => m.to_string(),
                        None => continue,
                    }
                };
                let allowed = levels(&scope);
                if allowed.contains(&value.as_str()) {
                    continue;
                }
                let lower = value.trim().to_lowercase();
                let meant: Vec<&&str> = allowed
                    .iter()
                    .filter(|l| **l == lower || edit_distance(&lower, l) <= 1)
                    .collect();
                let meant = match meant.as_slice() {
                    [one] => Some(**one),
                    _ => None,
                };
                out.push(Invalid {
                    key: Some(name.clone()),
                    message: match meant {
                        Some(m) => format!("`{name}: {value}` is not a level; `{m}` is meant"),
                        None => format!(
                            "`{scope}` takes {}, not `{value}`",
                            allowed
                                .iter()
                                .map(|l| format!("`{l}`"))
                                .collect::<Vec<_>>()
                                .join(" or ")
                        ),
                    },
                    fix: meant.map(|m| Op::Set {
                        path: at.clone().key(name.clone()),
                        value: Value::String(m.to_string()),
                        place: crate::cst::Place::default(),
                    }),
                });
            }
        }
        Yaml::Null => {}
        _ => out.push(Invalid {
            key: None,
            message: "`permissions:` must be `read-all`, `write-all` or a mapping".into(),
            fix: None,
        }),
    }
    out
}

static GH_API: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bgh\s+api\b(.*)").expect("valid regex"));
static API_URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:https://api\.github\.com|\$\{?GITHUB_API_URL\}?|\$\{\{\s*github\.api_url\s*\}\})/(repos/[^\s"'?]+|graphql)"#)
        .expect("valid regex")
});
static REPO_PREFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^/?repos/([^/\s]+)(?:/([^/\s]+))?/?").expect("valid regex"));
/// A REST method of a client: `<name>.rest.<group>.<method>`, called or only named
/// (`github.paginate(github.rest.pulls.listFiles, ...)`; groups 1-3), or
/// `<name>.<group>.<method>(` (before github-script v5; groups 4-6).
static REST_CALL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b([A-Za-z_$][\w$]*)\.rest\.([a-zA-Z]+)\.([a-zA-Z]+)\b|\b([A-Za-z_$][\w$]*)\.([a-zA-Z]+)\.([a-zA-Z]+)\s*\(",
    )
    .expect("valid regex")
});
/// A script making a client of its own (with another token, as a rule).
static OTHER_CLIENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\bgetOctokit\s*\(|\bnew\s+(?:\w+\.)?Octokit\b").expect("valid regex")
});
/// `paginate` given a route string rather than a REST method.
static RAW_PAGINATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\.paginate(?:\.iterator)?\(\s*['"`]"#).expect("valid regex"));
/// A module loaded by name: `require('./x.js')`, `await import(`${{ github.workspace }}/x.mjs`)`,
/// `import { f } from './x.mjs'` (group 1), or a path under the workspace built with
/// `process.env.GITHUB_WORKSPACE + '/x.js'` (group 2).
static MODULE_LOAD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"\b(?:(?:require|import)\s*\(\s*(?:['"`]([^'"`]*)['"`]|process\.env\.GITHUB_WORKSPACE\s*\+\s*['"`]([^'"`$]*)['"`])\s*\)|from\s+['"]([^'"]*)['"])"#,
    )
    .expect("valid regex")
});
/// What follows the expression `${{ <value> }}` that `name` starts with (`${{ github.workspace
/// }}/x.js` for `github.workspace`).
fn after_expression<'n>(name: &'n str, value: &str) -> Option<&'n str> {
    let (inner, after) = name.strip_prefix("${{")?.split_once("}}")?;
    (inner.trim() == value).then_some(after)
}

/// The path after the workspace a module name starts with (`${{ github.workspace }}/x.js`,
/// `${process.env.GITHUB_WORKSPACE}/x.js`).
fn workspace_relative(name: &str) -> Option<&str> {
    after_expression(name, "github.workspace")
        .or_else(|| name.strip_prefix("${process.env.GITHUB_WORKSPACE}"))
}

/// `name` (`./x`, `../x`) resolved from the repository folder `dir`; `None` above the root.
fn within_repository(dir: &str, name: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// `git` and, within a few words, an operation that talks to the remote (in any language's
/// spelling of a command line: `git push`, `["git", "push"]`).
static GIT_REMOTE_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\bgit\b[^\n]{0,40}?\b(?:push|fetch|pull|clone|ls-remote)\b").expect("valid regex")
});

/// A relative path where a command starts (`./release.sh`, `bash ci/tag.sh`, `scripts/x`), or
/// a word ending in `.sh`: a program that may be one of the repository's scripts.
static RELATIVE_PROGRAM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?m)(?:(?:^|[;&|({`]|\$\(|\b(?:then|do|else|bash|sh|source|sudo|exec)\s|(?:^|\s)\.\s)\s*["']?((?:\.{1,2}/)?[\w.-]+/[\w./-]*)|([\w./-]+\.sh)\b)"#,
    )
    .expect("valid regex")
});

/// How the job's token reaches the programs of a script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exposure {
    /// Through their environment or arguments (or a registry login made with it).
    Token,
    /// Only through the git credentials a checkout persisted.
    Credentials,
}

/// A word that names a release, a publication, a deployment, a push or a tag: alone, as a goal or
/// script of a tool (`release:prepare`, `lerna:publish`), or a tool that does that
/// (`semantic-release`, `release-it`, `gh-pages`). Lowercase, as commands and targets are written
/// (`-c Release` names a build configuration); a compound target (`clippy-release`,
/// `release-notes`) is not one.
static PUSH_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:[\w.-]+:)?(?:release|publish|deploy|push|tags?|gh-pages|semantic-release|release-it)(?::[\w.:-]*)?$",
    )
    .expect("valid regex")
});

/// Text that a [`PUSH_WORD`] needs somewhere (a cheap test before the script's lines are read).
static PUSH_TEXT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"release|publish|deploy|push|tag|gh-pages").expect("valid regex"));

/// Whether a command may push with a checkout's persisted credentials: its program or the
/// subcommand or target after it (after `run`, for `npm run deploy`) is a [`PUSH_WORD`]
/// (`make release`, `mvn -B release:prepare`, `npx semantic-release`, `mike deploy`). Flags and
/// their values are not subcommands (`--profile release`, `--publish never`).
fn may_push(command: &str) -> bool {
    let mut words = command
        .split_whitespace()
        .skip_while(|w| is_assignment(w))
        .filter(|w| !w.starts_with('-'))
        .map(|w| w.trim_matches(['"', '\'']));
    let program = words.next().unwrap_or("");
    let program = program.rsplit('/').next().unwrap_or(program);
    let first = words.next().unwrap_or("");
    let second = matches!(first, "run" | "run-script" | "exec" | "x" | "dlx")
        .then(|| words.next())
        .flatten()
        .unwrap_or("");
    [program, first, second]
        .iter()
        .any(|w| !w.is_empty() && PUSH_WORD.is_match(w))
}

/// Whether a word of a command line sets a variable for it (`FOO=bar make`).
fn is_assignment(word: &str) -> bool {
    word.find('=').is_some_and(|at| at > 0) && !word.starts_with('-')
}

/// The first logical line of `script` that [`may_push`].
fn pushing_line(script: &str) -> Option<String> {
    if !PUSH_TEXT.is_match(script) {
        return None;
    }
    logical_lines(script)
        .into_iter()
        .map(|l| l.trim().to_string())
        .find(|l| may_push(l))
}

/// What of the job's token a github-script step's JavaScript can reach.
#[derive(Debug, Clone, Copy)]
struct ScriptReach {
    /// Its `github` client holds the job's token.
    client: bool,
    /// Programs it runs through `exec` find the token (the step's environment, a checkout's
    /// persisted credentials).
    programs: bool,
}

/// A program run through github-script's `exec` (@actions/exec).
static EXEC_CALL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\bexec\s*\.\s*(?:exec|getExecOutput)\s*\(").expect("valid regex")
});

/// Any `require(` or `import(`, to tell loads of a computed path.
static LOAD_CALL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(?:require|import)\s*\(").expect("valid regex"));

/// Node's modules that cannot call the GitHub API by themselves.
const NODE_BUILTINS: &[&str] = &[
    "fs",
    "fs/promises",
    "path",
    "os",
    "util",
    "crypto",
    "url",
    "assert",
    "events",
    "stream",
    "readline",
    "zlib",
    "buffer",
    "string_decoder",
    "querystring",
];
/// Members of github-script's client that are not REST groups (`github.paginate.iterator(`).
const CLIENT_HELPERS: &[&str] = &[
    "rest", "paginate", "request", "graphql", "hook", "log", "auth",
];
/// A write to the step outputs or the environment of later steps.
static HANDOFF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"GITHUB_(?:OUTPUT|ENV)\b|::set-(?:output|env)\b").expect("valid regex")
});
/// A command substitution without one inside (`$(gh api ...)`): its output is what is written.
static SUBSTITUTION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\$\([^()]*\)|`[^`]*`").expect("valid regex"));
/// A command line that logs in to a registry (docker's, podman's, buildah's or helm's login);
/// with the job's token, that is one of GitHub's registries.
static GHCR_LOGIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:(?:docker|podman|buildah)\s+login|helm\s+registry\s+login)\b")
        .expect("valid regex")
});
/// gh's `-R`/`--repo` flag before the command group or right after it (`gh -R o/r release
/// download`, `gh pr --repo o/r list`), which the command patterns do not expect.
static GH_REPO_FLAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(\bgh(?:\s+[a-z-]+)?)\s+(?:-R|--repo)(?:=|\s+)\S+"#).expect("valid regex")
});
static METHOD_FLAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:-X|--method|--request)\s*=?\s*([A-Za-z]+)").expect("valid regex")
});

/// `step` with each `${{ env.X }}` that holds the job's token read as the token: first in its
/// own environment (from the layers around it), then in its inputs and script (from all layers).
/// `None` when it names no `env.` value.
fn env_carried(outer_env: &[&[(String, String)]], step: &Step) -> Option<Step> {
    let mentions = |v: &str| v.contains("env.");
    let named = step.run.as_deref().is_some_and(mentions)
        || step.with.iter().chain(&step.env).any(|(_, v)| mentions(v));
    if !named {
        return None;
    }
    let names = |vars: Vec<String>| -> Vec<String> {
        vars.into_iter().map(|v| format!("env.{v}")).collect()
    };
    let own = step.carrying(&names(token_vars(outer_env.iter().copied())));
    let all = token_vars(outer_env.iter().copied().chain([own.env.as_slice()]));
    Some(own.carrying(&names(all)))
}

/// The environment of a step: workflow, job and step layers, later ones winning.
fn effective_env(layers: &[&[(String, String)]]) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for layer in layers {
        for (k, v) in *layer {
            env.insert(k.clone(), v.clone());
        }
    }
    env
}

/// Per-job state carried from step to step.
#[derive(Default)]
struct JobState {
    /// `Some(true)` once a checkout persisted GITHUB_TOKEN credentials for git; `Some(false)` when
    /// it persisted another token or none.
    git_uses_token: Option<bool>,
    /// A registry login to ghcr.io with GITHUB_TOKEN happened (`docker/login-action`, `docker
    /// login`, `helm registry login`).
    ghcr_login: bool,
    /// actions/setup-dotnet configured GitHub Packages as a NuGet source with GITHUB_TOKEN.
    nuget_github: bool,
    /// The events that start the workflow; `None` when a caller decides (`workflow_call`).
    triggers: Option<Vec<String>>,
}

/// Whether a script line only prints text: `echo`/`printf` with no pipe, list, substitution or
/// redirection into another command.
fn prints_only(line: &str) -> bool {
    let line = line.trim_start();
    (line.starts_with("echo ") || line.starts_with("printf "))
        && !["|", ";", "&", "$(", "`"].iter().any(|c| line.contains(c))
}

/// The inputs an action declares (`inputs:` of its action.yml), each with its default.
fn input_defaults(action: &Yaml) -> Vec<(String, Option<String>)> {
    let Yaml::Hash(inputs) = &action["inputs"] else {
        return Vec::new();
    };
    inputs
        .iter()
        .filter_map(|(k, v)| {
            let name = crate::workflow::model::scalar(k)?;
            Some((name, crate::workflow::model::scalar(&v["default"])))
        })
        .collect()
}

/// The first document of a YAML text, if it loads.
fn first_document(text: &str) -> Option<Yaml> {
    crate::cst::load::load_text(text)
        .ok()
        .and_then(|mut docs| (!docs.is_empty()).then(|| docs.swap_remove(0)))
}

/// `contents: write, issues: write`.
fn scopes_text(permissions: &BTreeMap<String, Level>) -> String {
    permissions
        .iter()
        .map(|(s, l)| format!("{s}: {}", l.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn condition_holds(condition: &Option<Condition>, with: &[(String, String)]) -> bool {
    let Some(c) = condition else { return true };
    let value = with
        .iter()
        .find(|(k, _)| *k == c.input)
        .map(|(_, v)| v.as_str());
    // An expression decides at run time: assume the need applies (never under-grant).
    if value.is_some_and(|v| v.contains("${{")) {
        return true;
    }
    if let Some(off) = &c.not_equals {
        return value.is_none_or(|v| !v.eq_ignore_ascii_case(off));
    }
    if let Some(present) = c.present {
        return value.is_some() == present;
    }
    if c.absent == Some(true) {
        return value.is_none();
    }
    if let Some(eq) = &c.equals {
        return value.is_some_and(|v| v.eq_ignore_ascii_case(eq));
    }
    if let Some(m) = &c.matches {
        return value.is_some_and(|v| Regex::new(m).is_ok_and(|re| re.is_match(v)));
    }
    true
}

impl<'a> Context<'a> {
    /// The context for analysing the file whose text is `text`.
    pub fn new(kb: &'a Knowledge, repo: &'a Repo, text: &str) -> Context<'a> {
        Context {
            kb,
            repo,
            pins: RefCell::new(pins(text)),
            scripts: RefCell::default(),
            script_depth: std::cell::Cell::new(0),
            script_dir: RefCell::new(Ok(None)),
            action_dir: RefCell::new(None),
            local_files: RefCell::default(),
        }
    }

    /// The major version the ref of `uses` names (from its pin comment for a commit SHA).
    fn major(&self, uses: &str) -> Option<u32> {
        self.kb
            .major(uses, self.pins.borrow().get(uses).map(String::as_str))
    }

    /// Where the action `uses` takes the job's token when a step gives it none: its token input
    /// (or environment variable) defaulting to `github.token`, from the knowledge base, or the
    /// inputs of a local composite action that default to it. As `(with|env, name)`.
    pub fn defaulted_token_inputs(&self, uses: &str) -> Vec<(&'static str, String)> {
        if let Some(local) = uses.strip_prefix("./") {
            let Some(root) = self.read_local(local).as_deref().and_then(first_document) else {
                return Vec::new();
            };
            return input_defaults(&root)
                .into_iter()
                .filter(|(_, default)| default.as_deref().is_some_and(is_github_token))
                .map(|(name, _)| ("with", name))
                .collect();
        }
        let Some(token) = self
            .kb
            .action(uses, self.major(uses))
            .and_then(|f| f.token.as_ref())
            .filter(|t| t.default == "github.token")
        else {
            return Vec::new();
        };
        match (&token.input, &token.env) {
            (Some(input), _) => vec![("with", input.clone())],
            (None, Some(env)) => vec![("env", env.clone())],
            (None, None) => Vec::new(),
        }
    }

    /// Analyses one job of `wf`.
    pub fn job(&self, wf: &Workflow, job: &Job) -> Needs {
        let mut needs = Needs::default();
        if let Some(uses) = &job.uses {
            self.reusable_call(uses, &job.token_carriers(), &mut needs, 0);
            return needs;
        }
        for (image, password) in &job.images {
            if image.starts_with("ghcr.io/") && password.as_deref().is_some_and(is_github_token) {
                needs.add("packages", Level::Read, format!("pull {image}"));
            }
        }
        let mut state = JobState {
            triggers: (!wf.reusable && !wf.is_action).then(|| wf.triggers.clone()),
            ..JobState::default()
        };
        for step in &job.steps {
            // Each step is analysed on its own, then added: the fixes need to know which step
            // needs what.
            let mut own = Needs::default();
            self.step(&[&wf.env, &job.env], step, &mut state, &mut own, 0);
            needs.steps.push(StepUse {
                scopes: own
                    .scopes
                    .iter()
                    .map(|(s, g)| (s.clone(), g.level))
                    .collect(),
                creators: own.events.values().flatten().cloned().collect(),
                git_through_checkout: own.git_through_checkout,
            });
            needs.merge(own);
        }
        needs
    }

    /// What a job calling the reusable workflow `uses` needs. `carried` names the inputs and
    /// secrets the call hands the job's token as (`inputs.token`): inside the called workflow
    /// they read as the token.
    fn reusable_call(&self, uses: &str, carried: &[String], needs: &mut Needs, depth: usize) {
        if depth > 4 {
            needs
                .unknown
                .push(format!("reusable workflows nest too deep at `{uses}`"));
            return;
        }
        let Some(local) = uses.strip_prefix("./") else {
            self.remote_call(uses, carried, needs, depth);
            return;
        };
        let Some(doc) = self.load_local(local, "reusable workflow", carried, needs) else {
            return;
        };
        self.callee(&doc, uses, !carried.is_empty(), needs, depth);
    }

    /// A reusable workflow of another repository, when `--online` fetched it: analysed like a
    /// local one, except that what it names by local path (`./...`) is not followed.
    fn remote_call(&self, uses: &str, carried: &[String], needs: &mut Needs, depth: usize) {
        let Some(text) = self.kb.remote_workflows.get(&uses.to_lowercase()) else {
            needs
                .unknown
                .push(format!("calls the remote reusable workflow `{uses}`"));
            return;
        };
        let text = carry(text, carried);
        let text = text.as_ref();
        let Some(doc) = first_document(text) else {
            needs.unknown.push(format!(
                "the remote reusable workflow `{uses}` is not valid YAML"
            ));
            return;
        };
        let elsewhere = Repo::default();
        Context::new(self.kb, &elsewhere, text).callee(
            &doc,
            uses,
            !carried.is_empty(),
            needs,
            depth,
        );
    }

    /// What a job calling the reusable workflow `doc` (named `uses`) must grant; `carried`:
    /// whether the call hands the called workflow the caller's token as an input or a secret.
    fn callee(&self, doc: &Yaml, uses: &str, carried: bool, needs: &mut Needs, depth: usize) {
        let callee = Workflow::from_yaml(doc);
        for job in &callee.jobs {
            // A callee job's own block (or the callee's top-level block) is what it will ask
            // for; the caller must grant at least that. A token the caller hands over is not
            // bounded by that block: what the steps do with it counts too.
            let declared = job.permissions.as_ref().or(callee.permissions.as_ref());
            if let Some(block) = declared {
                for (scope, level) in granted(block) {
                    needs.add(
                        &scope,
                        level,
                        format!("declared by job `{}` of {uses}", job.id),
                    );
                }
                if !carried {
                    continue;
                }
            }
            let mut inner = if let Some(u) = &job.uses {
                let mut n = Needs::default();
                self.reusable_call(u, &job.token_carriers(), &mut n, depth + 1);
                n
            } else {
                self.job(&callee, job)
            };
            for reason in inner.unknown.iter_mut() {
                *reason = format!("{uses}: {reason}");
            }
            for grant in inner.scopes.values_mut() {
                for r in grant.reasons.iter_mut() {
                    *r = format!("{r} (in {uses})");
                }
            }
            needs.merge(inner);
        }
    }

    /// Reads and loads a local reusable workflow or action (`what` names it in reasons), with
    /// the values in `carried` read as the job's token; when it cannot, records why the job is
    /// not fully understood.
    fn load_local(
        &self,
        relative: &str,
        what: &str,
        carried: &[String],
        needs: &mut Needs,
    ) -> Option<Yaml> {
        let Some(text) = self.read_local(relative) else {
            needs
                .unknown
                .push(format!("cannot read the {what} `./{relative}`"));
            return None;
        };
        self.pins.borrow_mut().extend(pins(&text));
        let doc = first_document(&carry(&text, carried));
        if doc.is_none() {
            needs
                .unknown
                .push(format!("the {what} `./{relative}` is not valid YAML"));
        }
        doc
    }

    /// The text of a local file of the repository; `None` when it is missing, not a regular
    /// file, or resolves outside the repository.
    fn read_local(&self, relative: &str) -> Option<String> {
        if let Some(read) = self.local_files.borrow().get(relative) {
            return read.clone();
        }
        let read = self.read_local_uncached(relative);
        self.local_files
            .borrow_mut()
            .insert(relative.to_string(), read.clone());
        read
    }

    fn read_local_uncached(&self, relative: &str) -> Option<String> {
        let root = self.repo.root.as_ref()?.canonicalize().ok()?;
        let path = root.join(relative.trim_start_matches("./"));
        let candidates = if path.is_dir() {
            vec![path.join("action.yml"), path.join("action.yaml")]
        } else {
            vec![path]
        };
        candidates.iter().find_map(|p| {
            let real = crate::files::resolve(p, &root).ok()?;
            if let Some(text) = self.repo.pending.as_ref().and_then(|m| m.get(&real)) {
                return Some(text.clone());
            }
            crate::files::read_text(&real, &real).ok()
        })
    }

    /// Analyses one step; `outer_env` holds the environment layers around it (workflow and job,
    /// or those of a composite action's caller), outermost first.
    fn step(
        &self,
        outer_env: &[&[(String, String)]],
        step: &Step,
        state: &mut JobState,
        needs: &mut Needs,
        depth: usize,
    ) {
        let carried;
        let step = match env_carried(outer_env, step) {
            Some(s) => {
                carried = s;
                &carried
            }
            None => step,
        };
        let layers: Vec<&[(String, String)]> = outer_env
            .iter()
            .copied()
            .chain([step.env.as_slice()])
            .collect();
        let env = effective_env(&layers);
        let token_env = token_vars(layers.iter().copied());
        let label = &step.label;
        if let Some(uses) = &step.uses {
            let passes_token = step.with.iter().any(|(_, v)| is_github_token(v))
                || !token_vars([step.env.as_slice()]).is_empty();
            let own;
            let uses: &str = match uses.strip_prefix("./") {
                Some(local) => match self.own_action(local) {
                    Some(name) => {
                        own = name;
                        &own
                    }
                    None => {
                        needs.decide(
                            label,
                            format!("the local action `{uses}`, read step by step"),
                        );
                        self.composite(local, outer_env, step, state, needs, depth);
                        return;
                    }
                },
                None => uses,
            };
            if uses.starts_with("docker://") {
                // A container step sees the workflow's, job's and step's environment.
                if passes_token || !token_env.is_empty() {
                    needs.unknown.push(format!(
                        "step `{label}` passes the token to the container `{uses}`"
                    ));
                }
                return;
            }
            let name = uses.split('@').next().unwrap_or(uses).to_lowercase();
            if name == "actions/github-script" {
                needs.decide(
                    label,
                    "github-script, its calls mapped through the REST map".into(),
                );
                self.github_script(step, &token_env, state, needs);
                return;
            }
            let major = self.major(uses);
            let Some(facts) = self.kb.action(uses, major) else {
                let in_env = !token_env.is_empty();
                let verdict = self.by_metadata(uses, passes_token || in_env, 0, state, needs);
                match verdict {
                    // A registry login made with the job's token is on the runner for every
                    // later step: an action ghfix knows only by its metadata may push with it.
                    Some(Ok(())) if state.ghcr_login => {
                        needs.unknown.push(format!(
                            "step `{label}` runs `{name}` after a ghcr.io login with the job's \
                             token, which it may push with"
                        ));
                        return;
                    }
                    Some(Ok(())) => {
                        needs.decide(
                            label,
                            format!("action metadata: `{name}` cannot see the token"),
                        );
                        return;
                    }
                    Some(Err(why)) => {
                        needs
                            .unknown
                            .push(format!("step `{label}` runs `{name}`: {why}"));
                        return;
                    }
                    None => {}
                }
                needs.unknown.push(if passes_token {
                    format!("step `{label}` passes the token to `{name}`, which ghfix does not know")
                } else {
                    format!("step `{label}` runs `{name}`, which ghfix does not know (it may use github.token by default)")
                });
                return;
            };
            if let Err(why) = facts.covers(major) {
                needs
                    .unknown
                    .push(format!("step `{label}` runs `{uses}`: {why}"));
                return;
            }
            // The token handed to an input the entry does not describe is a use ghfix cannot see.
            let modelled = facts.token.as_ref().and_then(|t| t.input.as_deref());
            if let Some((input, _)) = step
                .with
                .iter()
                .find(|(k, v)| is_github_token(v) && Some(k.as_str()) != modelled)
            {
                needs.unknown.push(format!(
                    "step `{label}` passes the token to `{name}` as `{input}`, which ghfix's knowledge of it does not cover"
                ));
                return;
            }
            needs.decide(label, format!("knowledge entry for `{name}`"));
            let given = |input: &str| {
                step.with
                    .iter()
                    .find(|(k, _)| k == input)
                    .map(|(_, v)| v.as_str())
            };
            // The token the action uses: its input, or its environment variable (an action that
            // reads both counts as using the job's token when either holds it).
            let uses_job_token = facts.token.as_ref().is_some_and(|t| {
                let from_input = t.input.as_deref().and_then(given);
                let from_env = t
                    .env
                    .as_deref()
                    .and_then(|v| env.get(v))
                    .map(String::as_str);
                match (from_input, from_env) {
                    (None, None) => t.default == "github.token",
                    (a, b) => a.is_some_and(is_github_token) || b.is_some_and(is_github_token),
                }
            });
            // The latest checkout decides which credentials git finds (a second checkout with
            // another token is usually where the job pushes).
            if facts.persists_credentials.is_some() {
                let persist = condition_holds(&facts.persists_credentials, &step.with);
                state.git_uses_token = Some(uses_job_token && persist);
            }
            if name == "actions/setup-dotnet"
                && given("source-url").is_some_and(|s| s.contains("pkg.github.com"))
                && env
                    .get("NUGET_AUTH_TOKEN")
                    .is_some_and(|v| is_github_token(v))
            {
                state.nuget_github = true;
                needs.add(
                    "packages",
                    Level::Read,
                    format!("{}: use GitHub Packages as a NuGet source", step_ref(label)),
                );
            }
            // The job's token logs in to GitHub's registries only: a login made with it is one to
            // ghcr.io, whatever an expression in `registry` names.
            if name == "docker/login-action" && given("password").is_some_and(is_github_token)
                || facts.registry_login && uses_job_token
            {
                state.ghcr_login = true;
            }
            for need in &facts.needs {
                if !condition_holds(&need.condition, &step.with) {
                    continue;
                }
                let mut counts = match need.via {
                    Via::Token => uses_job_token,
                    // Packages are reached with GITHUB_TOKEN only through a registry login with it
                    // (the action's own token input, if any, serves another purpose: the git
                    // build context of docker/build-push-action).
                    Via::Job if need.permissions.contains_key("packages") => state.ghcr_login,
                    Via::Job => true,
                };
                if counts && !need.events.is_empty() {
                    match &state.triggers {
                        Some(on) => counts = on.iter().any(|e| need.events.contains(e)),
                        None => {
                            needs.unknown.push(format!(
                                "step `{label}` runs `{name}`, which needs {} on {} events, and \
                                 the caller decides the event",
                                scopes_text(&need.permissions),
                                need.events.join(" or ")
                            ));
                            continue;
                        }
                    }
                }
                if counts && need.unknown.is_some() {
                    needs.unknown.push(format!(
                        "step `{label}` runs `{name}`: {}",
                        need.unknown.as_deref().unwrap_or_default()
                    ));
                } else if counts && need.may {
                    needs.note(
                        &need.permissions,
                        format!("{}: {}", step_ref(label), need.reason),
                    );
                } else if counts {
                    self.grant(need, format!("{}: {}", step_ref(label), need.reason), needs);
                }
            }
            // Scripts the action runs from its inputs, as a `run:` step would.
            for input in &facts.command_inputs {
                if let Some(script) = given(input) {
                    let shell = facts.shell_input.as_deref().and_then(given);
                    let place = (label.as_str(), None);
                    let scope = (&env, token_env.as_slice());
                    self.shell_script(script, shell.unwrap_or("bash"), place, scope, state, needs);
                }
            }
            // An action without a token of its own pushes with the credentials a checkout
            // persisted, when it creates events at all.
            let via_checkout = facts.token.is_none()
                && !facts.creates_events.is_empty()
                && state.git_uses_token == Some(true);
            needs.git_through_checkout |= via_checkout;
            if uses_job_token || via_checkout {
                let draft = step
                    .with
                    .iter()
                    .any(|(k, v)| k == "draft" && v.trim() == "true");
                needs.add_events(
                    &facts.creates_events,
                    &format!("step `{}` ({name})", short(label)),
                    draft,
                );
            }
            return;
        }
        let Some(script) = &step.run else { return };
        let shell = step.shell.as_deref().unwrap_or("bash");
        let place = (label.as_str(), step.working_directory.clone());
        self.shell_script(script, shell, place, (&env, &token_env), state, needs);
    }

    /// Judges a script run by `shell` for the step `label` in its working directory: a shell
    /// other than bash or sh that the token can reach leaves the job for review.
    fn shell_script(
        &self,
        script: &str,
        shell: &str,
        (label, working_directory): (&str, Option<String>),
        (env, token_env): (&BTreeMap<String, String>, &[String]),
        state: &mut JobState,
        needs: &mut Needs,
    ) {
        let program = shell.split_whitespace().next().unwrap_or(shell);
        let program = program.rsplit('/').next().unwrap_or(program);
        // `msys2 {0}` (msys2/setup-msys2) is bash in MSYS2.
        let other_shell = !matches!(program, "bash" | "sh" | "msys2");
        if other_shell && (is_github_token(script) || !token_env.is_empty()) {
            needs.unknown.push(format!(
                "step `{}` hands the token to a `{shell}` script, which ghfix cannot read",
                short(label)
            ));
            return;
        }
        // `subprocess.run(["git", "push"])`: the credentials a checkout persisted reach git
        // from any language, whose calls the command lines below do not show (pwsh and cmd
        // write `git push` as bash does).
        let command_lines = matches!(program, "pwsh" | "powershell" | "cmd");
        if other_shell
            && !command_lines
            && state.git_uses_token == Some(true)
            && GIT_REMOTE_WORD.is_match(script)
        {
            needs.unknown.push(format!(
                "step `{}` runs git against the remote from a `{shell}` script, which ghfix \
                 cannot read, with the credentials a checkout persisted",
                short(label)
            ));
            return;
        }
        *self.script_dir.borrow_mut() = Ok(working_directory);
        self.script(script, label, env, token_env, state, needs);
    }

    /// What the action metadata index says of an action the knowledge base lacks: `Ok` when the
    /// action cannot see the job's token (no input defaults to it, its `runs:` never mention it,
    /// the step hands it none, through inputs or environment), with what the actions a
    /// composite one runs need added to `needs`; `Err` with the reason otherwise; `None` when
    /// the index lacks it.
    fn by_metadata(
        &self,
        uses: &str,
        given: bool,
        depth: usize,
        state: &mut JobState,
        needs: &mut Needs,
    ) -> Option<Result<(), String>> {
        let record = match self.kb.online.get(&uses.to_lowercase()) {
            Some(fetched) => fetched,
            None => match self.kb.indexed(uses)?.record(self.major(uses)) {
                Ok(r) => r,
                Err(why) => return Some(Err(format!("ghfix does not know it, and {why}"))),
            },
        };
        let name = uses.split('@').next().unwrap_or(uses);
        if given {
            return Some(Err(
                "the step hands it the token, and ghfix does not know what it does with it".into(),
            ));
        }
        if let Some(input) = record.token_inputs.first() {
            return Some(Err(format!(
                "ghfix does not know it, and its input `{input}` defaults to github.token"
            )));
        }
        if record.reads_token {
            return Some(Err(
                "ghfix does not know it, and its action.yml passes the token on".into(),
            ));
        }
        if depth >= 4 && !record.uses.is_empty() {
            return Some(Err("its composite actions nest too deep".into()));
        }
        let mut inner = Needs::default();
        for nested in &record.uses {
            if let Err(why) = self.nested(name, nested, depth, state, &mut inner) {
                return Some(Err(format!(
                    "ghfix does not know it, and it runs `{nested}`: {why}"
                )));
            }
        }
        needs.merge(inner);
        Some(Ok(()))
    }

    /// What an action run by the composite action `outer` needs, with the inputs `outer` gives it
    /// unseen: its default token is assumed, so only needs that hold whatever the inputs count.
    fn nested(
        &self,
        outer: &str,
        uses: &str,
        depth: usize,
        state: &mut JobState,
        needs: &mut Needs,
    ) -> Result<(), String> {
        if uses.starts_with("./") || uses.starts_with("docker://") {
            return Err("ghfix cannot read it".into());
        }
        let Some(facts) = self.kb.action(uses, self.kb.major(uses, None)) else {
            return match self.by_metadata(uses, false, depth + 1, state, needs) {
                Some(verdict) => verdict,
                None => Err("which ghfix does not know".into()),
            };
        };
        facts.covers(None)?;
        if facts
            .needs
            .iter()
            .any(|n| n.condition.is_some() || n.may || n.unknown.is_some() || !n.events.is_empty())
        {
            return Err("what it needs depends on inputs ghfix cannot see".into());
        }
        let default_token = facts
            .token
            .as_ref()
            .is_some_and(|t| t.default == "github.token");
        for need in facts
            .needs
            .iter()
            .filter(|n| n.via == Via::Job || default_token)
        {
            self.grant(need, format!("{outer} runs {uses}: {}", need.reason), needs);
        }
        if default_token {
            needs.add_events(
                &facts.creates_events,
                &format!("{outer} runs `{uses}`"),
                false,
            );
        }
        if facts.persists_credentials.is_some() && default_token {
            // A checkout run with inputs unseen may persist its credentials for the job's later
            // git commands.
            state.git_uses_token = Some(true);
        }
        Ok(())
    }

    /// Records what a knowledge entry's `need` asks for, for `reason`: its scopes, each met as
    /// well by the need's alternatives; nothing for a read only a private repository needs when
    /// the repository is public.
    fn grant(&self, need: &Need, reason: String, needs: &mut Needs) {
        if need.private && self.repo.public {
            needs.decide(&reason, "a public repository needs no scope for it".into());
            return;
        }
        for (scope, level) in &need.permissions {
            needs.add_either(scope, &need.or, *level, reason.clone());
        }
    }

    /// Analyses a local composite action called by `step`; its steps see the caller's
    /// environment (`outer_env` and the calling step's `env:`).
    fn composite(
        &self,
        local: &str,
        outer_env: &[&[(String, String)]],
        step: &Step,
        state: &mut JobState,
        needs: &mut Needs,
        depth: usize,
    ) {
        let uses = step.uses.as_deref().unwrap_or(local);
        if depth >= 4 {
            needs
                .unknown
                .push(format!("local actions nest too deep at `{uses}`"));
            return;
        }
        let Some(root) = self.load_local(local, "local action", &[], needs) else {
            return;
        };
        // Inputs that carry the token (given, or defaulting to it) read as the token inside.
        let mut carried = Vec::new();
        for (name, default) in input_defaults(&root) {
            let given = step
                .with
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str());
            if given.map_or(
                default.as_deref().is_some_and(is_github_token),
                is_github_token,
            ) {
                carried.push(name);
            }
        }
        let using = root["runs"]["using"].as_str().unwrap_or("");
        let action = Workflow::from_yaml(&root);
        let Some(steps) = action
            .jobs
            .first()
            .filter(|_| using == "composite")
            .map(|j| &j.steps)
        else {
            // Only a token handed to a program ghfix cannot read makes the job unknown.
            let why = if using == "composite" || (using.is_empty() && !carried.is_empty()) {
                format!("the local action `{uses}` is not a composite action ghfix can read")
            } else if carried.is_empty() {
                return;
            } else {
                format!("the token is passed to the local {using} action `{uses}`")
            };
            needs.unknown.push(why);
            return;
        };
        let carried: Vec<String> = carried.iter().map(|n| format!("inputs.{n}")).collect();
        for inner in steps {
            let mut inner = inner.carrying(&carried);
            inner.label = format!("{} > {}", step.label, inner.label);
            let layers: Vec<&[(String, String)]> = outer_env
                .iter()
                .copied()
                .chain([step.env.as_slice()])
                .collect();
            let dir = local
                .trim_start_matches("./")
                .trim_end_matches('/')
                .to_string();
            let outer = self.action_dir.replace(Some(dir));
            self.step(&layers, &inner, state, needs, depth + 1);
            *self.action_dir.borrow_mut() = outer;
        }
    }

    fn github_script(
        &self,
        step: &Step,
        token_env: &[String],
        state: &JobState,
        needs: &mut Needs,
    ) {
        let label = short(&step.label);
        let input = |name: &str| {
            step.with
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let client_has_token = input("github-token").is_none_or(is_github_token);
        let Some(script) = input("script") else {
            if client_has_token {
                needs.unknown.push(format!(
                    "step `{label}` runs github-script without an inline script"
                ));
            }
            return;
        };
        // Programs the script runs (`exec.exec('git', ['push'])`) see the step's environment
        // and the credentials a checkout persisted, whatever client the script holds.
        let reach = ScriptReach {
            client: client_has_token,
            programs: !token_env.is_empty()
                || is_github_token(script)
                || state.git_uses_token == Some(true),
        };
        if reach.client || reach.programs {
            self.client_script(script, "", &label, reach, needs, 0);
        }
    }

    /// Judges github-script's JavaScript: the inline script, or a file of the repository it
    /// loads (`depth` > 0, in the folder `dir`: its own relative loads start there, the inline
    /// script's at the workspace), whose names for the client cannot be told. When the client
    /// holds the job's token (`reach`), every REST method it names counts, called or handed to
    /// `github.paginate`, and GraphQL or raw routes send the job to review; so do programs run
    /// through `exec` with the token in reach, and modules ghfix cannot read.
    fn client_script(
        &self,
        script: &str,
        dir: &str,
        label: &str,
        reach: ScriptReach,
        needs: &mut Needs,
        depth: usize,
    ) {
        for module in MODULE_LOAD.captures_iter(script) {
            let name = [1, 2, 3]
                .iter()
                .find_map(|i| module.get(*i))
                .map_or("", |m| m.as_str());
            let in_action = after_expression(name, "github.action_path")
                .zip(self.action_dir.borrow().clone())
                .and_then(|(rest, dir)| within_repository(&dir, &format!(".{rest}")));
            let local = match workspace_relative(name).or_else(|| module.get(2).map(|_| name)) {
                _ if in_action.is_some() => in_action,
                Some(path) => Some(path.trim_start_matches('/').to_string()),
                None if name.starts_with("./") || name.starts_with("../") => {
                    within_repository(dir, name)
                }
                None => None,
            };
            let builtin = NODE_BUILTINS.contains(&name.trim_start_matches("node:"));
            match local {
                _ if builtin => {}
                Some(path) if depth < 3 && !path.split('/').any(|p| p == "..") => {
                    let text = [
                        path.to_string(),
                        format!("{path}.js"),
                        format!("{path}.mjs"),
                        format!("{path}.cjs"),
                    ]
                    .iter()
                    .find_map(|p| self.read_local(p));
                    let folder = path.rsplit_once('/').map_or("", |(d, _)| d);
                    match text {
                        Some(text) => {
                            self.client_script(&text, folder, label, reach, needs, depth + 1)
                        }
                        None => needs.unknown.push(format!(
                            "step `{label}` loads a script file ghfix cannot read (`{path}`)"
                        )),
                    }
                }
                _ => needs.unknown.push(format!(
                    "step `{label}` loads a script file ghfix cannot read (`{name}`)"
                )),
            }
        }
        // A load whose module is not a plain string (`require(path)`) cannot be followed.
        let loads = LOAD_CALL.find_iter(script).count();
        let followed = MODULE_LOAD
            .captures_iter(script)
            .filter(|c| c.get(3).is_none())
            .count();
        if loads > followed {
            needs.unknown.push(format!(
                "step `{label}` loads a script file ghfix cannot read"
            ));
        }
        if reach.programs && EXEC_CALL.is_match(script) {
            needs.unknown.push(format!(
                "step `{label}` runs programs through github-script's exec with the token in \
                 reach, which ghfix does not follow"
            ));
        }
        if !reach.client {
            return;
        }
        if script.contains(".graphql")
            || script.contains(".request(")
            || RAW_PAGINATE.is_match(script)
        {
            needs
                .unknown
                .push(format!("step `{label}` makes GraphQL or raw API calls"));
        }
        // With a client of the script's own beside `github`, a call on another name may use
        // either token.
        let other_client = OTHER_CLIENT.is_match(script);
        for call in REST_CALL.captures_iter(script) {
            let named = |i: usize| {
                let m = |k: usize| call.get(i + k).map(|m| m.as_str());
                Some((m(0)?, m(1)?, m(2)?))
            };
            let rest_style = call.get(1).is_some();
            let Some((receiver, group, method)) = named(1).or_else(|| named(4)) else {
                continue;
            };
            // `<name>.<group>.<method>(` without `rest.` (github-script before v5): on `github`,
            // any group but the client's own helpers; on another name (an alias of the client,
            // or a module's parameter), only a method GitHub's table names.
            match (receiver, rest_style) {
                ("github", false) if CLIENT_HELPERS.contains(&group) => continue,
                ("github", _) => {}
                (_, false) if !self.kb.is_rest_operation(group, method) => continue,
                _ if other_client => {
                    needs.unknown.push(format!(
                        "step `{label}` makes a client of its own and calls {receiver}.{group}.\
                         {method}, which ghfix cannot tell from the job token's calls"
                    ));
                    continue;
                }
                _ => {}
            }
            match self.kb.rest_method(group, method) {
                RestNeed::Scope(scope, level) => needs.add_either(
                    &scope,
                    &self.kb.method_alternatives(group, method),
                    level,
                    format!("{}: github.rest.{group}.{method}", step_ref(label)),
                ),
                RestNeed::Nothing => {}
                RestNeed::Impossible => needs.unknown.push(format!(
                    "step `{label}` calls github.rest.{group}.{method}, which needs rights the \
                     GITHUB_TOKEN cannot be given"
                )),
                RestNeed::Unknown => needs.unknown.push(format!(
                    "step `{label}` calls github.rest.{group}.{method}, which ghfix cannot map"
                )),
            }
        }
    }

    fn script(
        &self,
        script: &str,
        label: &str,
        env: &BTreeMap<String, String>,
        token_env: &[String],
        state: &mut JobState,
        needs: &mut Needs,
    ) {
        let label = short(label);
        // An unnamed step (of a local action too: `./action > make build`) is labelled by its
        // command.
        let own = label.rsplit(" > ").next().unwrap_or(&label);
        let label_is_command = script.trim_start().starts_with(own.trim_end_matches("..."));
        let inline_token = is_github_token(script);
        // A registry login made with the job's token earlier in the job reaches every program.
        let exposed = inline_token || !token_env.is_empty() || state.ghcr_login;
        let gh_token = match env.get("GH_TOKEN") {
            Some(v) => is_github_token(v),
            None => env.get("GITHUB_TOKEN").is_some_and(|v| is_github_token(v)),
        };
        let refers_to_token = |line: &str| {
            is_github_token(line)
                || token_env
                    .iter()
                    .any(|v| line.contains(&format!("${v}")) || line.contains(&format!("${{{v}}}")))
        };
        // The script is parsed only when the token can reach it: in the environment, or in the
        // git configuration a checkout persisted, which the git of every program finds. Then the
        // repository's scripts the step runs are read for git commands, and a program ghfix
        // cannot read goes to review when it names a release, a deployment or a push.
        self.scripts.borrow_mut().clear();
        let persisted = state.git_uses_token == Some(true)
            && (RELATIVE_PROGRAM.captures_iter(script).any(|c| {
                c.get(1)
                    .or(c.get(2))
                    .is_some_and(|path| self.local_script(path.as_str()).is_some())
            }) || pushing_line(script).is_some());
        let unreadable = if exposed {
            self.unreadable(script, Exposure::Token)
        } else if persisted {
            self.unreadable(script, Exposure::Credentials)
        } else {
            None
        };
        if exposed && unreadable.is_none() {
            needs.decide(
                &label,
                "every command read with the shell grammar and the knowledge base".into(),
            );
        }
        for line in logical_lines(script) {
            // `gh issue --repo o/r edit ...`: the flag may come before the subcommand.
            let line = GH_REPO_FLAG.replace_all(line.trim(), "$1");
            let line = line.as_ref();
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            // The token itself written where later steps take it under another name.
            if HANDOFF.is_match(line) && refers_to_token(&SUBSTITUTION.replace_all(line, "")) {
                needs.unknown.push(format!(
                    "step `{label}` hands the token on to later steps (`{}`), which ghfix does \
                     not follow",
                    clip(line)
                ));
            }
            // REST calls through gh api or curl: the endpoint decides the scope.
            if let Some(args) = GH_API.captures(line).map(|c| c[1].to_string()) {
                if gh_token {
                    self.api_call(&args, None, line, (&label, label_is_command), needs);
                }
                continue;
            }
            if let Some(url) = API_URL.captures(line).map(|c| c[1].to_string()) {
                if refers_to_token(line) {
                    self.api_call(line, Some(&url), line, (&label, label_is_command), needs);
                }
                continue;
            }
            if GHCR_LOGIN.is_match(line) && refers_to_token(line) {
                state.ghcr_login = true;
            }
            // The first token-based entry that matches and whose token is the job's, and every
            // matching `auth: job` entry.
            let mut token_based_seen = false;
            for cmd in self.kb.commands_matching(line) {
                if cmd.auth != Auth::Job && token_based_seen {
                    continue;
                }
                let counts = match cmd.auth {
                    Auth::Git if state.git_uses_token == Some(true) && !refers_to_token(line) => {
                        needs.git_through_checkout = true;
                        true
                    }
                    Auth::Git => refers_to_token(line),
                    Auth::Gh => gh_token,
                    Auth::Header => refers_to_token(line),
                    Auth::Registry => state.ghcr_login,
                    Auth::NpmGithub => env
                        .get("NODE_AUTH_TOKEN")
                        .is_some_and(|v| is_github_token(v)),
                    Auth::NugetGithub => state.nuget_github,
                    Auth::Job => true,
                };
                if !counts {
                    continue;
                }
                token_based_seen |= cmd.auth != Auth::Job;
                if let Some(why) = &cmd.unknown {
                    needs
                        .unknown
                        .push(format!("step `{label}`: `{}`: {why}", clip(line)));
                    continue;
                }
                let because = because(&label, label_is_command, Some(line), &cmd.reason_for(line));
                if cmd.may {
                    needs.note(&cmd.permissions, because);
                    continue;
                }
                for (scope, level) in &cmd.permissions {
                    needs.add(scope, *level, because.clone());
                }
                let draft = line.contains("--draft") && !line.contains("--draft=false");
                // A line that only prints the command (`echo "git push origin --tags"`) runs
                // nothing; its permissions are still counted, never narrowed on that guess.
                if prints_only(line) {
                    continue;
                }
                needs.add_events(
                    &cmd.creates_events,
                    &format!("step `{label}` (`{}`)", clip(line)),
                    draft,
                );
            }
        }
        if let Some(line) = unreadable {
            let what = if inline_token || !token_env.is_empty() {
                "the token"
            } else if exposed {
                "the ghcr.io login made with the token"
            } else {
                "the credentials a checkout persisted for git"
            };
            let pushes = if exposed {
                ""
            } else {
                ", whose name says it may release, deploy or push"
            };
            needs.unknown.push(format!(
                "step `{label}` hands {what} to a program ghfix cannot read (`{}`){pushes}",
                clip(&line)
            ));
        }
        // The repository's scripts it runs, read with the same environment; a token handed over
        // as an argument becomes `$1` inside, which ghfix does not follow.
        let called: Vec<(String, String)> = std::mem::take(&mut *self.scripts.borrow_mut());
        if self.script_depth.get() >= 3 {
            return;
        }
        for (command, text) in called {
            if command.contains("X") && inline_token || refers_to_token(&command) {
                needs.unknown.push(format!(
                    "step `{label}` passes the token to `{}` as an argument",
                    clip(&command)
                ));
                continue;
            }
            self.script_depth.set(self.script_depth.get() + 1);
            // A step that only runs the script is labelled by it already.
            let inner =
                if label_is_command && command.trim().starts_with(own.trim_end_matches("...")) {
                    label.clone()
                } else {
                    format!("{label} > {}", clip(&command))
                };
            self.script(&text, &inner, env, token_env, state, needs);
            self.script_depth.set(self.script_depth.get() - 1);
        }
    }

    /// The first command of `script` that ghfix cannot read with the token in its environment or
    /// arguments: shell built-ins and text tools ignore it, `git`/`curl`/`docker` authenticate
    /// only as their command line says, and the knowledge base's commands are understood. Every
    /// simple command counts, wherever it sits (substitutions, heredocs, `bash -c '...'`,
    /// functions); a script the shell grammar cannot parse is unreadable as a whole.
    fn unreadable(&self, script: &str, exposure: Exposure) -> Option<String> {
        let script = shell::prepare(script);
        let parsed = shell::parse(&script);
        if parsed.broken && exposure == Exposure::Credentials {
            // Only its lines are left to tell whether it may push.
            return pushing_line(&script);
        }
        if parsed.broken {
            let first = script.lines().map(str::trim).find(|l| !l.is_empty());
            return Some(format!(
                "{}: a script the shell grammar cannot parse",
                first.unwrap_or("")
            ));
        }
        // A script that changes directory runs its relative paths from somewhere ghfix does not
        // follow: the repository's scripts it names are then not read.
        let moves = parsed.commands.iter().any(|c| {
            let line = c.line();
            let program = line.split_whitespace().next().unwrap_or("");
            matches!(program, "cd" | "pushd" | "popd")
        });
        let before = self.script_dir.borrow().clone();
        if moves {
            *self.script_dir.borrow_mut() = Err(());
        }
        let found = parsed
            .commands
            .iter()
            .map(shell::Command::line)
            .find(|c| !self.readable_command(c, &parsed.functions, exposure));
        *self.script_dir.borrow_mut() = before;
        found
    }

    /// Whether one simple command is readable; calls of the script's own `functions` are (their
    /// bodies are judged on their own). With only a checkout's credentials exposed, a program
    /// ghfix cannot read counts only when it names a release, a deployment or a push.
    fn readable_command(&self, segment: &str, functions: &[String], exposure: Exposure) -> bool {
        let segment = GH_REPO_FLAG.replace_all(segment, "$1");
        let segment = segment.as_ref();
        if !self.kb.commands_matching(segment).is_empty() || GH_API.is_match(segment) {
            return true;
        }
        let words: Vec<&str> = segment.split_whitespace().collect();
        let mut i = 0;
        // Assignments, keywords and wrappers that run the next word as the program.
        while let Some(w) = words.get(i) {
            let assignment = is_assignment(w);
            if assignment
                || matches!(
                    *w,
                    "sudo"
                        | "time"
                        | "exec"
                        | "!"
                        | "then"
                        | "do"
                        | "else"
                        | "env"
                        | "nohup"
                        | "nice"
                        | "command"
                        | "builtin"
                        | "xargs"
                        | "stdbuf"
                        | "if"
                        | "while"
                        | "until"
                        | "{"
                        | "("
                )
                || (w.starts_with('-') && i > 0)
            {
                i += 1;
            } else if *w == "timeout" {
                i += 2;
            } else {
                break;
            }
        }
        let Some(program) = words.get(i) else {
            return true;
        };
        let program = program
            .rsplit('/')
            .next()
            .unwrap_or(program)
            .trim_matches(['(', ')', '{', '}', '"', '\'']);
        // A shell script of the repository (`./scripts/release.sh`, `bash scripts/x.sh`) is read
        // like the step's own script.
        let script_word = if matches!(program, "bash" | "sh") {
            words.get(i + 1).filter(|w| !w.starts_with('-'))
        } else {
            words.get(i)
        };
        if let Some(text) = script_word.and_then(|w| self.local_script(w)) {
            if self.script_depth.get() >= 3 {
                return false;
            }
            self.script_depth.set(self.script_depth.get() + 1);
            let readable = self.unreadable(&text, exposure).is_none();
            self.script_depth.set(self.script_depth.get() - 1);
            if readable {
                self.scripts.borrow_mut().push((segment.to_string(), text));
            }
            return readable;
        }
        if matches!(program, "bash" | "sh" | "zsh" | "dash") {
            // `bash -c 'script'`: the script is what runs.
            if words.get(i + 1) == Some(&"-c") {
                return self
                    .unreadable(words[i + 2..].join(" ").trim_matches(['"', '\'']), exposure)
                    .is_none();
            }
            // A script from elsewhere (`curl ... | sh`, `bash <(curl ...)`).
            return exposure == Exposure::Credentials && !may_push(segment);
        }
        program.is_empty()
            || HARMLESS.contains(&program)
            || functions.iter().any(|f| f == program)
            || (exposure == Exposure::Credentials && !may_push(segment))
    }

    /// The name a JavaScript or Docker action of this repository (`./`, `./sub`) is published
    /// under (`owner/repo[/sub]@vN`), when the knowledge base knows it and the checked-out
    /// action.yml has the token facts of the major version the entry describes (the action's own
    /// tests run what will be released). Composite actions are read step by step instead.
    fn own_action(&self, local: &str) -> Option<String> {
        let slug = self.repo.slug()?;
        let text = self.read_local(local)?;
        let here = IndexRecord::read(&text)?;
        if here.using == "composite" {
            return None;
        }
        let sub = local.trim_matches('/');
        let name = if sub.is_empty() {
            slug.to_string()
        } else {
            format!("{slug}/{sub}")
        };
        let facts = self.kb.action(&name, None)?;
        let major = match &facts.majors {
            Some(Majors::Only(list)) => Some(*list.iter().max()?),
            _ => None,
        };
        if let Some(entry) = self.kb.indexed(&name) {
            if here.indexed() != *entry.record(major).ok()? {
                return None;
            }
        }
        Some(match major {
            Some(m) => format!("{name}@v{m}"),
            None => format!("{name}@HEAD"),
        })
    }

    /// The text of the repository's shell script that `word` names (a relative path to a file
    /// ending in `.sh` or starting with a `sh`/`bash` shebang), if there is one.
    fn local_script(&self, word: &str) -> Option<String> {
        let word = word.trim_matches(['"', '\'']);
        let in_action = ["$GITHUB_ACTION_PATH/", "${GITHUB_ACTION_PATH}/"]
            .iter()
            .find_map(|p| word.strip_prefix(p));
        let action_dir = self.action_dir.borrow().clone();
        let path = match (in_action, action_dir) {
            (Some(rest), Some(dir)) if !rest.contains(['$', '`', '*']) => {
                Some(within_repository(&dir, &format!("./{rest}"))?)
            }
            _ => None,
        };
        if let Some(path) = path {
            return self.shell_text(word, &path);
        }
        if !word.contains('/') || word.starts_with('/') || word.contains(['$', '`', '*']) {
            return None;
        }
        let path = match self.script_dir.borrow().as_ref().ok()? {
            None => word.to_string(),
            Some(dir) if dir.contains(['$', '`']) || dir.starts_with('/') => return None,
            Some(dir) => format!(
                "{}/{}",
                dir.trim_end_matches('/'),
                word.trim_start_matches("./")
            ),
        };
        self.shell_text(word, &path)
    }

    /// The text of the repository's file at `path` when it is a shell script: `word` (as the
    /// step wrote it) ends in `.sh`, or the file starts with a `sh`/`bash` shebang.
    fn shell_text(&self, word: &str, path: &str) -> Option<String> {
        let text = self.read_local(path)?;
        let shebang = text.lines().next().unwrap_or("");
        let shell = shebang.starts_with("#!")
            && ["/sh", "/bash", "env bash", "env sh"]
                .iter()
                .any(|s| shebang.trim_end().ends_with(s) || shebang.contains(&format!("{s} ")));
        (word.ends_with(".sh") || shell).then_some(text)
    }

    /// Maps a `gh api ARGS` or `curl ... URL` call to a scope; `label` names the step, and
    /// whether that name is the script's own command (reasons then name the call alone).
    fn api_call(
        &self,
        args: &str,
        url: Option<&str>,
        line: &str,
        (label, label_is_command): (&str, bool),
        needs: &mut Needs,
    ) {
        let endpoint = match url {
            Some(u) => u.to_string(),
            None => {
                // The first positional argument; flags that take a value skip it.
                let mut words = args.split_whitespace();
                let mut endpoint = "";
                while let Some(w) = words.next() {
                    if GH_API_VALUE_FLAGS.contains(&w) {
                        words.next();
                    } else if !w.starts_with('-') {
                        endpoint = w;
                        break;
                    }
                }
                endpoint.trim_matches(['"', '\'']).to_string()
            }
        };
        if endpoint == "graphql" || endpoint.is_empty() {
            needs.unknown.push(format!(
                "step `{label}` makes a GraphQL or unreadable API call: `{}`",
                clip(line)
            ));
            return;
        }
        let method = METHOD_FLAG.captures(args).map(|c| c[1].to_uppercase());
        let writes_body = [
            " -f ",
            " -F ",
            " --field",
            " --raw-field",
            " --input",
            " -d ",
            " --data",
        ]
        .iter()
        .any(|f| args.contains(f));
        let method = method.unwrap_or_else(|| {
            if writes_body {
                "POST".into()
            } else {
                "GET".into()
            }
        });
        let by_method = if method == "GET" || method == "HEAD" {
            Level::Read
        } else {
            Level::Write
        };
        let rest = self.repo_relative(&endpoint);
        if rest == endpoint {
            needs.unknown.push(format!(
                "step `{label}` calls `{}`, outside the repository's endpoints",
                clip(&endpoint)
            ));
            return;
        }
        let rest = rest
            .split(['?', '#'])
            .next()
            .unwrap_or_default()
            .to_string();
        match self.kb.endpoint_scope(&rest, &method) {
            Some(("none", _)) => {}
            Some(("impossible", _)) => needs.unknown.push(format!(
                "step `{label}` calls `{method} {}`, which needs rights the GITHUB_TOKEN cannot be \
                 given",
                clip(&rest)
            )),
            Some((scope, level)) => {
                let level = level.unwrap_or(by_method);
                needs.add_either(
                    scope,
                    &self.kb.endpoint_alternatives(&rest, &method),
                    level,
                    because(
                        label,
                        label_is_command,
                        None,
                        &format!("{method} {}", clip(&rest)),
                    ),
                );
                if scope == "contents" && rest.starts_with("dispatches") {
                    needs.add_events(
                        &["repository_dispatch".to_string()],
                        &format!("step `{label}` ({method} {})", clip(&rest)),
                        false,
                    );
                }
            }
            None if rest.is_empty() => {}
            None => needs.unknown.push(format!(
                "step `{label}` calls `{method} {}`, which ghfix cannot map",
                clip(&rest)
            )),
        }
    }
}

impl Context<'_> {
    /// An endpoint's path after `repos/{owner}/{repo}/`, or the endpoint itself when it is not a
    /// repository's. A variable or expression standing for both owner and name
    /// (`repos/$GITHUB_REPOSITORY/issues`) is one segment when a resource of the REST map follows.
    fn repo_relative(&self, endpoint: &str) -> String {
        let Some(c) = REPO_PREFIX.captures(endpoint) else {
            return endpoint.to_string();
        };
        let first = &c[1];
        let second = c.get(2).map_or("", |m| m.as_str());
        let whole_repo = (first.starts_with('$') || first.starts_with('{'))
            && first != "{owner}"
            && self.kb.is_rest_resource(second);
        if whole_repo {
            let at = c.get(2).map_or(endpoint.len(), |m| m.start());
            return endpoint[at..].to_string();
        }
        endpoint[c.get(0).map_or(0, |m| m.end())..].to_string()
    }
}

/// `gh api` flags followed by a value (`-X PUT`, `-f key=value` ...).
const GH_API_VALUE_FLAGS: &[&str] = &[
    "-X",
    "--method",
    "--request",
    "-H",
    "--header",
    "-f",
    "-F",
    "--field",
    "--raw-field",
    "--input",
    "-q",
    "--jq",
    "-t",
    "--template",
    "--hostname",
    "-p",
    "--preview",
    "--cache",
];

/// Programs that do not read GITHUB_TOKEN from their environment (or, like git, curl and docker,
/// use a token only when the command line passes it, which the patterns check).
const HARMLESS: &[&str] = &[
    "break",
    "continue",
    "pushd",
    "popd",
    "wait",
    "trap",
    "install",
    "apt-get",
    "apt",
    "sha1sum",
    "echo",
    "printf",
    "cat",
    "cd",
    "ls",
    "mkdir",
    "rm",
    "rmdir",
    "cp",
    "mv",
    "ln",
    "chmod",
    "test",
    "[",
    "[[",
    "]]",
    "if",
    "then",
    "else",
    "elif",
    "fi",
    "for",
    "do",
    "done",
    "while",
    "until",
    "case",
    "esac",
    "in",
    "export",
    "set",
    "unset",
    "shift",
    "true",
    "false",
    "grep",
    "egrep",
    "fgrep",
    "sed",
    "awk",
    "jq",
    "yq",
    "tr",
    "cut",
    "head",
    "tail",
    "sort",
    "uniq",
    "wc",
    "date",
    "sleep",
    "tee",
    "touch",
    "basename",
    "dirname",
    "pwd",
    "read",
    "exit",
    "return",
    "local",
    "declare",
    "readonly",
    "git",
    "curl",
    "wget",
    "docker",
    "podman",
    // kind runs local clusters and kubectl drives them: neither reads a token nor pushes an
    // image (a pull through a registry login is the login's own read).
    "kind",
    "kubectl",
    "base64",
    "sha256sum",
    "sha512sum",
    "shasum",
    "md5sum",
    "find",
    "tar",
    "zip",
    "unzip",
    "gzip",
    "xz",
    "realpath",
    "readlink",
    "stat",
    "diff",
    "cmp",
    "seq",
    "printenv",
    "which",
    "type",
    "mktemp",
    "envsubst",
    "column",
    "nl",
    "fold",
    "rev",
    "uname",
    "whoami",
    "hostname",
    "id",
    // Shell built-ins and local system tools that never read a token from the environment.
    "shopt",
    "readarray",
    "mapfile",
    "expr",
    "getopts",
    "umask",
    "ulimit",
    "kill",
    "pkill",
    "ps",
    "df",
    "du",
    "free",
    "nproc",
    "chown",
    "dpkg",
    "dpkg-deb",
    "spctl",
    "xcode-select",
    "sw_vers",
    "lsb_release",
    "file",
    "od",
    "xxd",
    "hexdump",
];

/// Script lines with `\` continuations joined.
fn logical_lines(script: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in script.lines() {
        if let Some(stripped) = line.trim_end().strip_suffix('\\') {
            current.push_str(stripped);
            current.push(' ');
        } else {
            current.push_str(line);
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn clip(s: &str) -> String {
    shorten(s.trim(), 60)
}

/// The reason `op` of the step `label`. An unnamed step is labelled by its own command
/// (`label_is_command`); its reasons then name the command `line` that needs the scope, or the
/// operation alone when that names the command already (`gh pr comment`, `POST issues`).
fn because(label: &str, label_is_command: bool, line: Option<&str>, op: &str) -> String {
    if !label_is_command {
        return format!("{}: {op}", step_ref(label));
    }
    let own = match line {
        Some(line) => {
            let line = line.trim();
            // `git push` in `git tag v1 && git push origin v1`.
            let command: Vec<&str> = op.split_whitespace().take(2).collect();
            let names_it = command.len() == 2 && line.contains(&command.join(" "));
            if names_it {
                op.to_string()
            } else {
                format!("{}: {op}", shorten(line, 32))
            }
        }
        None => op.to_string(),
    };
    match label.rsplit_once(" > ") {
        Some((outer, _)) => format!("{} > {own}", step_ref(outer)),
        None => own,
    }
}

/// A step as reasons name it: an action by its `uses:` (`actions/checkout@v4`), a named step by
/// its quoted name (`step "Comment coverage"`); inside a local action, each part so
/// (`./.github/actions/release > step "Upload"`).
fn step_ref(label: &str) -> String {
    let label = short(label);
    label
        .split(" > ")
        .map(|part| {
            let uses_like =
                !part.contains(char::is_whitespace) && (part.contains('/') || part.contains('@'));
            let numbered = part
                .strip_prefix("step ")
                .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()));
            if uses_like || numbered || part.starts_with("step \"") {
                part.to_string()
            } else {
                format!("step \"{part}\"")
            }
        })
        .collect::<Vec<_>>()
        .join(" > ")
}

fn short(label: &str) -> String {
    clip(label)
}

static PINNED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?m)uses:\s*["']?([^\s"'#]+@[0-9a-fA-F]{40})["']?\s+#\s*(.*?)\s*$"#)
        .expect("valid regex")
});

/// The version comments of the commit-pinned refs in a file (`uses: a/b@<sha> # v4.1.0`), by ref.
fn pins(text: &str) -> BTreeMap<String, String> {
    if !text.contains(" #") {
        return BTreeMap::new();
    }
    PINNED
        .captures_iter(text)
        .map(|c| (c[1].to_string(), c[2].to_string()))
        .collect()
}

/// Kinds of reasons a job is left for review: any of the phrases, and the kind in a few words.
/// The first kind whose phrase a reason holds is its kind.
const REVIEW_CLASSES: &[(&[&str], &str)] = &[
    (&["which ghfix does not know"], "action ghfix does not know"),
    (
        &["the step hands it the token"],
        "token handed to an action ghfix does not know",
    ),
    (
        &["ghfix does not know it, and"],
        "unknown action whose metadata lets it use the token",
    ),
    (
        &["the token is passed to the local"],
        "token handed to a local JavaScript or Docker action",
    ),
    (
        &["ghfix knows it for"],
        "action version ghfix does not cover",
    ),
    (
        &["program ghfix cannot read", "script, which"],
        "token reaches a program ghfix cannot read",
    ),
    (
        &["as an argument"],
        "token passed to a script as an argument",
    ),
    (
        &["after a ghcr.io login"],
        "action that may push with the job's ghcr.io login",
    ),
    (&["remote reusable workflow"], "remote reusable workflow"),
    (
        &["hands the token on to later steps"],
        "token handed on to later steps",
    ),
    (&["GraphQL", "cannot map"], "unmapped API call"),
    (&["cannot be"], "needs rights GITHUB_TOKEN cannot have"),
    (
        &["cannot read the", "not valid YAML"],
        "local file missing or invalid",
    ),
];

/// The kind of reason a job is left for review, in a few words (for reports that group them).
pub fn review_class(reason: &str) -> &'static str {
    REVIEW_CLASSES
        .iter()
        .find(|(phrases, _)| phrases.iter().any(|p| reason.contains(p)))
        .map_or("other", |(_, kind)| kind)
}

/// The repository root above a workflow or action file: the folder holding `.github`.
pub fn repo_root(file: &FsPath) -> Option<PathBuf> {
    let mut dir = file.parent();
    while let Some(d) = dir {
        if d.file_name().is_some_and(|n| n == ".github") {
            return d.parent().map(FsPath::to_path_buf);
        }
        dir = d.parent();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the one job of a workflow running github-script with `script` needs, in a
    /// repository holding `files`.
    fn script_needs(script: &str, files: &[(&str, &str)]) -> Needs {
        let indented: String = script
            .lines()
            .map(|l| format!("            {l}\n"))
            .collect();
        let step = "      - uses: actions/github-script@v7\n        with:\n          script: |\n";
        job_needs(&format!("{step}{indented}"), files)
    }

    /// What a job of these `steps` (YAML at the steps' indentation) needs, in a repository
    /// holding `files`.
    fn job_needs(steps: &str, files: &[(&str, &str)]) -> Needs {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let text = format!("on: push\njobs:\n  j:\n    runs-on: x\n    steps:\n{steps}");
        let kb = Knowledge::embedded().unwrap();
        let repo = Repo::at(Some(dir.path().to_path_buf()));
        let docs = crate::cst::load::load_text(&text).unwrap();
        let wf = Workflow::from_yaml(&docs[0]);
        Context::new(&kb, &repo, &text).job(&wf, &wf.jobs[0])
    }

    /// The job goes to review for a reason that says `why`.
    fn assert_review(needs: &Needs, why: &str) {
        assert!(
            needs.unknown.iter().any(|u| u.contains(why)),
            "{:?}",
            needs.unknown
        );
    }

    fn scopes(needs: &Needs) -> Vec<String> {
        needs
            .scopes
            .iter()
            .map(|(s, g)| format!("{s}: {}", g.level.as_str()))
            .collect()
    }

    #[test]
    fn every_rest_method_a_script_names_counts_whatever_holds_the_client() {
        // Handed to paginate, not called; on an alias of the client; before v5, without `rest.`.
        let needs = script_needs(
            "const files = await github.paginate(github.rest.pulls.listFiles, { pull_number: 1 });\n\
             const gh = github;\n\
             await gh.rest.issues.addLabels({ issue_number: 1, labels: ['x'] });\n\
             await gh.checks.create({ name: 'n' });\n\
             data.issues.map((i) => i.number);",
            &[],
        );
        assert!(needs.is_known(), "{:?}", needs.unknown);
        assert_eq!(
            scopes(&needs),
            ["checks: write", "issues: write", "pull-requests: read"]
        );
        // A client of the script's own: its calls may use another token, or the job's.
        let needs = script_needs(
            "const app = getOctokit(process.env.APP_TOKEN);\n\
             await app.rest.issues.create({});\n\
             await github.rest.pulls.get({});",
            &[],
        );
        assert_review(&needs, "client of its own");
        // A route string instead of a method cannot be mapped here.
        let needs = script_needs(
            "await github.paginate('GET /repos/{owner}/{repo}/pulls', {});\n\
             await github.rest.issues.createComment({});",
            &[],
        );
        assert_review(&needs, "raw API calls");
    }

    #[test]
    fn gh_repo_flag_before_or_after_the_command_group_is_understood() {
        for line in [
            "gh -R \"$GITHUB_REPOSITORY\" release download v1",
            "gh --repo=o/r release download v1",
            "gh release -R o/r download v1",
        ] {
            let step = format!(
                "      - run: {line}\n        env:\n          GH_TOKEN: ${{{{ github.token }}}}\n"
            );
            let needs = job_needs(&step, &[]);
            assert!(needs.is_known(), "{line}: {:?}", needs.unknown);
            assert_eq!(scopes(&needs), ["contents: read"], "{line}");
        }
    }

    /// `step` after a checkout goes to review for `why` when the checkout persisted its
    /// credentials, and needs nothing of the job's token when it did not.
    fn reaches_git_credentials_only_when_persisted(step: &str, why: &str) {
        let needs = job_needs(&format!("      - uses: actions/checkout@v4\n{step}"), &[]);
        assert_review(&needs, why);
        let unpersisted = "      - uses: actions/checkout@v4\n        with:\n          \
                           persist-credentials: false\n";
        let needs = job_needs(&format!("{unpersisted}{step}"), &[]);
        assert!(needs.is_known(), "{:?}", needs.unknown);
    }

    #[test]
    fn a_program_that_may_push_with_the_persisted_credentials_goes_to_review() {
        // Programs that name no push stay out of it.
        for (script, review) in [
            ("make release", true),
            ("npm run deploy -- --prod", true),
            (
                "|\n          set -e\n          mvn -B release:prepare",
                true,
            ),
            ("make test", false),
            ("npm ci && npm test", false),
        ] {
            let step = format!("      - run: {script}\n");
            if review {
                reaches_git_credentials_only_when_persisted(
                    &step,
                    "the credentials a checkout persisted",
                );
            } else {
                let needs = job_needs(&format!("      - uses: actions/checkout@v4\n{step}"), &[]);
                assert!(needs.is_known(), "{step}: {:?}", needs.unknown);
            }
        }
    }

    #[test]
    fn the_token_under_another_name_is_still_the_token() {
        // Through an environment variable named in an input.
        let pr = "      - uses: peter-evans/create-pull-request@v7\n        with:\n          \
                  token: ${{ env.T }}\n        env:\n          T: ${{ github.token }}\n";
        let needs = job_needs(pr, &[]);
        assert!(needs.is_known(), "{:?}", needs.unknown);
        assert_eq!(scopes(&needs), ["contents: write", "pull-requests: write"]);
        // Through a step output or the environment of later steps: not followed, so review.
        for sink in ["\"$GITHUB_OUTPUT\"", "$GITHUB_ENV"] {
            let step = format!("      - run: echo \"t=${{{{ github.token }}}}\" >> {sink}\n");
            assert_review(&job_needs(&step, &[]), "hands the token on to later steps");
        }
        // The output of a command run with it is not the token.
        let step =
            "      - run: echo \"n=$(gh pr list --json number)\" >> \"$GITHUB_OUTPUT\"\n        \
                    env:\n          GH_TOKEN: ${{ github.token }}\n";
        assert!(job_needs(step, &[]).is_known());
    }

    #[test]
    fn a_token_handed_to_a_called_workflow_counts_for_the_caller() {
        let called = "on:\n  workflow_call:\n    secrets:\n      token: {}\n    inputs:\n      \
                      gh: {type: string}\n\
                      permissions: {}\n\
                      jobs:\n  pr:\n    runs-on: x\n    steps:\n      \
                      - uses: peter-evans/create-pull-request@v7\n        with:\n          \
                      token: ${{ secrets.token }}\n      \
                      - run: gh issue comment 1 --body x\n        env:\n          \
                      GH_TOKEN: ${{ inputs.gh }}\n";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".github/workflows/called.yml");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, called).unwrap();
        let kb = Knowledge::embedded().unwrap();
        let repo = Repo::at(Some(dir.path().to_path_buf()));
        for (call, want) in [
            (
                "secrets:\n      token: ${{ secrets.GITHUB_TOKEN }}\n    with:\n      gh: ${{ github.token }}",
                vec!["contents: write", "issues: write", "pull-requests: write"],
            ),
            // Another token: the called workflow's own block bounds what it gets.
            ("secrets:\n      token: ${{ secrets.PAT }}", vec![]),
        ] {
            let text = format!(
                "on: push\njobs:\n  call:\n    uses: ./.github/workflows/called.yml\n    {call}\n"
            );
            let docs = crate::cst::load::load_text(&text).unwrap();
            let wf = Workflow::from_yaml(&docs[0]);
            let needs = Context::new(&kb, &repo, &text).job(&wf, &wf.jobs[0]);
            assert!(needs.is_known(), "{:?}", needs.unknown);
            assert_eq!(scopes(&needs), want, "{call}");
        }
    }

    #[test]
    fn an_image_push_needs_packages_only_after_a_login_with_the_token() {
        let push = "      - uses: docker/build-push-action@v6\n        with:\n          \
                    context: .\n          push: true\n";
        let login = |registry: &str, password: &str| {
            format!(
                "      - uses: docker/login-action@v3\n        with:\n          \
                 registry: {registry}\n          password: {password}\n"
            )
        };
        for (before, packages) in [
            // A registry named through a variable: the job's token logs in to GitHub's only.
            (login("${{ env.REGISTRY }}", "${{ github.token }}"), true),
            (login("ghcr.io", "${{ secrets.CR_PAT }}"), false),
            (
                login("123.dkr.ecr.us-east-1.amazonaws.com", "${{ secrets.AWS }}"),
                false,
            ),
            (String::new(), false),
        ] {
            let needs = job_needs(&format!("{before}{push}"), &[]);
            assert!(needs.is_known(), "{:?}", needs.unknown);
            assert_eq!(
                scopes(&needs).contains(&"packages: write".to_string()),
                packages,
                "{before}"
            );
        }
    }

    #[test]
    fn helm_after_a_ghcr_login_is_read_by_its_command() {
        let docker_login = "      - uses: docker/login-action@v3\n        with:\n          \
                            registry: ghcr.io\n          username: x\n          \
                            password: ${{ github.token }}\n";
        let helm_login = "      - run: echo \"$T\" | helm registry login ghcr.io -u x --password-stdin\n        \
                          env:\n          T: ${{ github.token }}\n";
        for (login, run, want) in [
            (
                docker_login,
                "helm repo add j https://charts.jetstack.io",
                Some("packages: read"),
            ),
            (
                docker_login,
                "helm push c.tgz oci://ghcr.io/o/charts",
                Some("packages: write"),
            ),
            (
                helm_login,
                "helm push c.tgz oci://ghcr.io/o/charts",
                Some("packages: write"),
            ),
            // A plugin's command, and a built-in one handed credentials, are not read.
            (docker_login, "helm unittest charts", None),
            (
                docker_login,
                "helm repo add p https://u:$PASS@charts.example.com",
                None,
            ),
        ] {
            let needs = job_needs(&format!("{login}      - run: {run}\n"), &[]);
            match want {
                Some(scope) => {
                    assert!(needs.is_known(), "{run}: {:?}", needs.unknown);
                    assert_eq!(scopes(&needs), [scope], "{run}");
                }
                None => assert_review(&needs, "login made with the token"),
            }
        }
    }

    #[test]
    fn a_checkout_action_that_persists_its_token_is_known_by_its_entry() {
        let checkout = "      - uses: namespacelabs/nscloud-checkout-action@v8\n";
        let needs = job_needs(&format!("{checkout}      - run: git push\n"), &[]);
        assert_eq!(scopes(&needs), ["contents: write"]);
        let unpersisted =
            format!("{checkout}        with:\n          persist-credentials: false\n");
        let needs = job_needs(&format!("{unpersisted}      - run: git push\n"), &[]);
        assert_eq!(scopes(&needs), ["contents: read"]);
    }

    #[test]
    fn lerna_version_pushes_with_the_persisted_credentials() {
        let checkout = "      - uses: actions/checkout@v4\n";
        for (command, scope) in [
            ("npx lerna version --yes", "contents: write"),
            ("npx lerna publish --yes", "contents: write"),
            // The checkout's own read only.
            ("npx lerna version --no-push --yes", "contents: read"),
            ("npx lerna publish from-package --yes", "contents: read"),
        ] {
            let needs = job_needs(&format!("{checkout}      - run: {command}\n"), &[]);
            assert!(needs.is_known(), "{command}: {:?}", needs.unknown);
            assert_eq!(scopes(&needs), [scope], "{command}");
        }
    }

    #[test]
    fn commands_that_may_push_are_told_by_their_program_or_subcommand() {
        for yes in [
            "make release",
            "FOO=1 make publish",
            "mvn -B release:prepare",
            "npx semantic-release",
            "mike deploy --push --update-aliases 1.0 latest",
            "yarn lerna:publish",
            "npm run deploy",
            "npx gh-pages -d build",
            "./gradlew publish",
            "$GITHUB_WORKSPACE/support/mkdocs deploy dev",
        ] {
            assert!(may_push(yes), "{yes}");
        }
        for no in [
            "dotnet test -c Release",
            "cargo build --profile release-lto",
            "npx electron-builder --win --publish never",
            "npm version 1.2.3",
            "make test",
            "gradle publishToMavenLocal",
            "make clippy-release",
            "make unittest_release",
            "yarn release-tool check-cycles",
            "python build-scripts/build-release.py --actions dmg",
        ] {
            assert!(!may_push(no), "{no}");
        }
    }

    #[test]
    fn a_repository_script_run_after_a_persisting_checkout_is_read_for_git() {
        let files = [(
            "scripts/build.sh",
            "#!/bin/sh\nnpm ci\ngit tag v1\ngit push --tags\n",
        )];
        let needs = job_needs(
            "      - uses: actions/checkout@v4\n      - run: ./scripts/build.sh\n",
            &files,
        );
        assert!(needs.is_known(), "{:?}", needs.unknown);
        assert!(
            scopes(&needs).contains(&"contents: write".to_string()),
            "{:?}",
            scopes(&needs)
        );
        // The same script after a checkout that keeps no credentials pushes nothing it can.
        let needs = job_needs(
            "      - uses: actions/checkout@v4\n        with:\n          persist-credentials: false\n      - run: ./scripts/build.sh\n",
            &files,
        );
        assert!(!scopes(&needs).contains(&"contents: write".to_string()));
    }

    #[test]
    fn programs_a_script_runs_through_exec_are_not_followed_when_the_token_is_in_reach() {
        reaches_git_credentials_only_when_persisted(
            "      - uses: actions/github-script@v7\n        with:\n          \
             script: await exec.exec('git', ['push', 'origin', 'HEAD'])\n",
            "through github-script's exec",
        );
        // In a file the script loads too, whatever token its client holds.
        let files = [(
            ".github/scripts/tag.js",
            "module.exports = async ({ exec }) => exec.exec('git', ['push', '--tags']);\n",
        )];
        let needs = job_needs(
            "      - uses: actions/checkout@v4\n      - uses: actions/github-script@v7\n        \
             with:\n          github-token: ${{ secrets.PAT }}\n          \
             script: await require('./.github/scripts/tag.js')({ exec })\n",
            &files,
        );
        assert_review(&needs, "through github-script's exec");
    }

    #[test]
    fn git_in_another_shell_uses_the_persisted_credentials() {
        reaches_git_credentials_only_when_persisted(
            "      - shell: python\n        \
             run: subprocess.run([\"git\", \"push\", \"origin\", \"main\"])\n",
            "runs git against the remote",
        );
        // pwsh writes the command as bash does: it is read, and granted.
        let needs = job_needs(
            "      - uses: actions/checkout@v4\n      - shell: pwsh\n        run: git push origin main\n",
            &[],
        );
        assert!(needs.is_known(), "{:?}", needs.unknown);
        assert_eq!(needs.scopes["contents"].level, Level::Write);
    }

    #[test]
    fn a_local_action_s_own_scripts_are_read_through_its_action_path() {
        for call in [
            "${{ github.action_path }}/release.sh",
            "bash \"$GITHUB_ACTION_PATH/release.sh\"",
            "${GITHUB_ACTION_PATH}/release.sh v1",
        ] {
            let action = format!(
                "runs:\n  using: composite\n  steps:\n    - shell: bash\n      env:\n        \
                 GH_TOKEN: ${{{{ github.token }}}}\n      run: {call}\n"
            );
            let files = [
                (".github/actions/rel/action.yml", action.as_str()),
                (
                    ".github/actions/rel/release.sh",
                    "#!/bin/bash\ngh release create \"$1\"\n",
                ),
            ];
            let needs = job_needs("      - uses: ./.github/actions/rel\n", &files);
            assert!(needs.is_known(), "{call}: {:?}", needs.unknown);
            assert_eq!(needs.scopes["contents"].level, Level::Write, "{call}");
        }
        // A github-script step of the action loads a file of its folder the same way.
        let action = "runs:\n  using: composite\n  steps:\n    - uses: actions/github-script@v7\n      \
                      with:\n        script: await require('${{ github.action_path }}/label.js')({ github })\n";
        let files = [
            (".github/actions/label/action.yml", action),
            (
                ".github/actions/label/label.js",
                "module.exports = async ({ github }) => github.rest.issues.addLabels({});\n",
            ),
        ];
        let needs = job_needs("      - uses: ./.github/actions/label\n", &files);
        assert!(needs.is_known(), "{:?}", needs.unknown);
        assert_eq!(needs.scopes["issues"].level, Level::Write);
    }

    #[test]
    fn a_command_an_action_runs_from_its_inputs_is_judged_as_a_run_script() {
        let login = "      - uses: docker/login-action@v3\n        with:\n          registry: ghcr.io\n          \
                     username: x\n          password: ${{ github.token }}\n";
        let retry = |with: &str| {
            format!("{login}      - uses: nick-fields/retry@v3\n        with:\n          max_attempts: 3\n{with}")
        };
        let needs = job_needs(
            &retry("          command: docker push ghcr.io/o/app:1\n"),
            &[],
        );
        assert!(needs.is_known(), "{:?}", needs.unknown);
        assert_eq!(needs.scopes["packages"].level, Level::Write);
        // A program the login reaches, or a shell ghfix cannot read with the token in reach.
        let needs = job_needs(&retry("          command: make release\n"), &[]);
        assert!(!needs.is_known());
        let needs = job_needs(
            "      - uses: nick-fields/retry@v3\n        env:\n          GH_TOKEN: ${{ github.token }}\n        \
             with:\n          shell: pwsh\n          command: gh release create v1\n",
            &[],
        );
        assert_review(&needs, "`pwsh` script");
        // Without the token in reach, the command needs nothing.
        let needs = job_needs(
            "      - uses: nick-fields/retry@v3\n        with:\n          command: make test\n",
            &[],
        );
        assert!(needs.is_known() && needs.scopes.is_empty(), "{needs:?}");
    }

    #[test]
    fn a_script_file_the_step_loads_is_read_with_what_it_loads() {
        let files = [
            (
                ".github/scripts/label.js",
                "const path = require('node:path');\n\
                 const { changed } = require('./changed');\n\
                 module.exports = async ({ github: octokit, context }) => {\n\
                 \x20 if (await changed(octokit)) await octokit.rest.issues.addLabels({});\n};\n",
            ),
            (
                ".github/scripts/changed.js",
                "exports.changed = async (o) => (await o.pulls.listFiles({})).data.length > 0;\n",
            ),
        ];
        for load in [
            "require('./.github/scripts/label.js')",
            "require(`${process.env.GITHUB_WORKSPACE}/.github/scripts/label.js`)",
            "require(process.env.GITHUB_WORKSPACE + '/.github/scripts/label')",
            "await import('${{ github.workspace }}/.github/scripts/label.js')",
        ] {
            let needs = script_needs(
                &format!("const run = {load};\nawait run({{ github, context }});"),
                &files,
            );
            assert!(needs.is_known(), "{load}: {:?}", needs.unknown);
            assert_eq!(
                scopes(&needs),
                ["issues: write", "pull-requests: read"],
                "{load}"
            );
        }
        // A module ghfix cannot read, a missing file, a path it cannot tell: left for review.
        for load in [
            "require('child_process')",
            "require('./.github/scripts/missing.js')",
            "require('../outside.js')",
            "require(scriptPath)",
        ] {
            let needs = script_needs(&format!("const m = {load};"), &files);
            assert!(
                needs
                    .unknown
                    .iter()
                    .any(|u| u.contains("loads a script file")),
                "{load}: {:?}",
                needs.unknown
            );
        }
    }

    #[test]
    fn a_printed_command_is_not_run() {
        assert!(prints_only("echo \"  git push origin --tags\""));
        assert!(!prints_only("echo done && git push"));
        assert!(!prints_only("echo \"$(git push)\""));
        assert!(!prints_only("git push # echo"));
    }

    #[test]
    fn every_command_the_token_may_reach_is_judged() {
        let kb = Knowledge::embedded().unwrap();
        let repo = Repo::default();
        let ctx = Context::new(&kb, &repo, "");
        let cases = [
            (
                "echo \"x=$(node find.ts --token ${{ secrets.GITHUB_TOKEN }})\" >> \"$GITHUB_OUTPUT\"",
                Some("node find.ts --token X"),
            ),
            ("echo `./tool $T`", Some("./tool $T")),
            (
                "if [[ \"$V\" == a || \"$V\" == b ]]; then\n  echo \"no; really | not\" >&2\nfi",
                None,
            ),
            ("say() { echo \"$1\"; }\nsay hi", None),
            ("bash -c 'gh pr view 1'", None),
            ("bash -c 'python3 x.py'", Some("bash -c 'python3 x.py'")),
            ("cat <<EOF > out\n$(./leak.sh)\nEOF", Some("./leak.sh")),
            ("echo $((1 + 2))", None),
            ("if then (((", Some("if then (((: a script the shell grammar cannot parse")),
        ];
        for (script, want) in cases {
            assert_eq!(
                ctx.unreadable(script, Exposure::Token).as_deref(),
                want,
                "{script}"
            );
        }
    }

    #[test]
    fn a_variable_naming_the_whole_repository_is_one_segment() {
        let kb = Knowledge::embedded().unwrap();
        let repo = Repo::default();
        let ctx = Context::new(&kb, &repo, "");
        let cases = [
            ("repos/o/r/issues/5/comments", "issues/5/comments"),
            ("/repos/{owner}/{repo}/pulls/3", "pulls/3"),
            (
                "repos/$GITHUB_REPOSITORY/issues/$N/comments",
                "issues/$N/comments",
            ),
            (
                "repos/${GITHUB_REPOSITORY}/pulls/$PR/merge",
                "pulls/$PR/merge",
            ),
            ("repos/$OWNER/$NAME/releases", "releases"),
            ("repos/o/r", ""),
            ("user/repos", "user/repos"),
        ];
        for (endpoint, want) in cases {
            assert_eq!(ctx.repo_relative(endpoint), want, "{endpoint}");
        }
    }

    #[test]
    fn not_equals_holds_unless_the_input_turns_the_feature_off() {
        let c = Some(Condition {
            input: "comment_mode".into(),
            equals: None,
            present: None,
            absent: None,
            matches: None,
            not_equals: Some("off".into()),
        });
        let with = |v: &str| vec![("comment_mode".to_string(), v.to_string())];
        assert!(condition_holds(&c, &[]));
        assert!(condition_holds(&c, &with("always")));
        assert!(!condition_holds(&c, &with("OFF")));
        assert!(condition_holds(&c, &with("${{ inputs.mode }}")));
    }
}
