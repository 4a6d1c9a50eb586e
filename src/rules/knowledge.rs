//! The knowledge base: what actions and commands need from the GITHUB_TOKEN, as data under
//! `rules/knowledge/`, embedded at build time and extendable with `--rules DIR`.

use std::collections::BTreeMap;

use regex::{Regex, RegexSet};
use serde::Deserialize;
use yaml_rust2::Yaml;

use crate::rules::load;
use crate::workflow::token::is_github_token;

/// A permission level. `None < Read < Write`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// No access.
    None,
    /// Read access.
    Read,
    /// Write access (implies read).
    Write,
}

impl Level {
    /// The YAML word for the level.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "none",
            Level::Read => "read",
            Level::Write => "write",
        }
    }

    /// Parses `read`, `write` or `none`.
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "none" => Some(Level::None),
            "read" => Some(Level::Read),
            "write" => Some(Level::Write),
            _ => None,
        }
    }
}

/// Every scope `permissions:` accepts (see GITHUB_TOKEN.md; `copilot-requests: write`, for Copilot
/// CLI billed to the organisation, from docs.github.com "Using Copilot CLI in GitHub Actions").
pub const SCOPES: &[&str] = &[
    "actions",
    "artifact-metadata",
    "attestations",
    "checks",
    "code-quality",
    "contents",
    "copilot-requests",
    "deployments",
    "discussions",
    "id-token",
    "issues",
    "models",
    "packages",
    "pages",
    "pull-requests",
    "repository-projects",
    "security-events",
    "statuses",
    "vulnerability-alerts",
];

/// Where an action gets its token.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenInput {
    /// The input carrying the token.
    pub input: Option<String>,
    /// The environment variable carrying it, for actions that read the token from the step's
    /// environment (goreleaser's `GITHUB_TOKEN`); with `input` too, either carries it.
    pub env: Option<String>,
    /// `github.token` when the action uses the job's token when given none, `none` otherwise.
    pub default: String,
}

/// How a need is met.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    /// Counts only when the action's token is the job's GITHUB_TOKEN.
    #[default]
    Token,
    /// Counts whatever token the action gets (OIDC and the like).
    Job,
}

/// A condition on a step's `with:` inputs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// The input.
    pub input: String,
    /// Holds when the input equals this text.
    pub equals: Option<String>,
    /// Holds when the input is given (`true`) or not (`false`).
    pub present: Option<bool>,
    /// Holds when the input is not given (`true`).
    pub absent: Option<bool>,
    /// Holds when the input matches this regex.
    pub matches: Option<String>,
    /// Holds when the input is not given or differs from this text (case-insensitive): a
    /// feature on by default that one value turns off (`not-equals: "false"`).
    #[serde(rename = "not-equals")]
    pub not_equals: Option<String>,
}

/// One thing an action needs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Need {
    /// Scopes and levels.
    pub permissions: BTreeMap<String, Level>,
    /// Whether the need depends on the token being GITHUB_TOKEN.
    #[serde(default)]
    pub via: Via,
    /// Why, in a few words.
    pub reason: String,
    /// When it applies.
    #[serde(rename = "if")]
    pub condition: Option<Condition>,
    /// A possible use only (an optional feature, implicit OIDC): reported as a note, never
    /// granted.
    #[serde(default)]
    pub may: bool,
    /// What the action does with the token cannot be told (an agent or a runner of arbitrary
    /// commands): when the need applies, the job goes to review with this reason.
    pub unknown: Option<String>,
    /// The need holds only when the workflow is started by one of these events (a comment on
    /// the pull request of a `pull_request` run); a workflow whose event its caller decides
    /// (`workflow_call`) goes to review.
    #[serde(default)]
    pub events: Vec<String>,
    /// Reads that only a private or internal repository needs a scope for (GitHub's CodeQL
    /// starter workflow and scorecard's README: a public repository is cloned and its runs
    /// read without one): granted unless the repository is known to be public.
    #[serde(default)]
    pub private: bool,
    /// Scopes that meet the need as well at its level (a comment on a pull request made through
    /// the issues API: `issues: write` serves as `pull-requests: write` does). A new block gets
    /// `permissions`; an existing block that holds one of these is not widened.
    #[serde(default)]
    pub or: Vec<String>,
}

/// What ghfix knows of one action.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ActionFacts {
    /// Its token input, if it takes one.
    pub token: Option<TokenInput>,
    /// What it needs.
    #[serde(default)]
    pub needs: Vec<Need>,
    /// Events its writes create.
    #[serde(default)]
    pub creates_events: Vec<String>,
    /// Whether it leaves a ghcr.io login made with its token for the job's later steps (a
    /// `crane auth login`): what they do with it is then judged as if they held the token.
    #[serde(default)]
    pub registry_login: bool,
    /// For a checkout: when it leaves its token in the git configuration for the job's later
    /// git commands (actions/checkout's `persist-credentials` not `false`). The latest checkout
    /// decides which credentials git finds.
    pub persists_credentials: Option<Condition>,
    /// Where the facts were read: `owner/repo@commit` of the action.yml and README.
    pub source: Option<String>,
    /// The major versions the facts hold for; absent means every major version stored in the
    /// action metadata agrees (the knowledge checker verifies it).
    pub majors: Option<Majors>,
    /// Inputs whose text the action runs as a shell script (`nick-fields/retry`'s `command`):
    /// judged as a `run:` step's script is, with the step's environment.
    #[serde(default)]
    pub command_inputs: Vec<String>,
    /// The input naming the shell of those scripts (bash when it is not given).
    pub shell_input: Option<String>,
}

/// The major versions a knowledge entry holds for.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Majors {
    /// `all`: every version.
    All(AllMajors),
    /// These majors only (`[3, 4]`).
    Only(Vec<u32>),
}

/// The word `all`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AllMajors {
    /// Every major version.
    All,
}

impl ActionFacts {
    /// Whether the facts hold for `major` (`None`: the ref tells no major version); the error
    /// says why not.
    pub fn covers(&self, major: Option<u32>) -> Result<(), String> {
        let Some(Majors::Only(list)) = &self.majors else {
            return Ok(());
        };
        let listed = list
            .iter()
            .map(|m| format!("v{m}"))
            .collect::<Vec<_>>()
            .join(", ");
        match major {
            Some(m) if list.contains(&m) => Ok(()),
            Some(m) => Err(format!("ghfix knows it for {listed}, not v{m}")),
            None => Err(format!(
                "ghfix knows it for {listed} and cannot tell the ref's major version"
            )),
        }
    }
}

/// Token-related metadata of one version of an action, read from its `action.yml` (the index
/// generated by `examples/action_index.rs`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct IndexRecord {
    /// `runs.using`: `node24`, `composite`, `docker` ... (not kept in the index)
    #[serde(skip)]
    pub using: String,
    /// Every input's name (not kept in the index).
    #[serde(skip)]
    pub inputs: Vec<String>,
    /// The inputs whose default is the job's token.
    pub token_inputs: Vec<String>,
    /// Whether the `runs:` section refers to the token (`github.token`, `GITHUB_TOKEN`).
    pub reads_token: bool,
    /// The actions a composite action runs (`owner/repo[/path]`, refs dropped), sorted.
    pub uses: Vec<String>,
}

impl IndexRecord {
    /// The record of an `action.yml` text; `None` when it is not valid YAML.
    pub fn read(text: &str) -> Option<IndexRecord> {
        let docs = crate::cst::load::load_text(text).ok()?;
        let root = docs.first()?;
        let mut record = IndexRecord {
            using: root["runs"]["using"].as_str().unwrap_or("").to_string(),
            ..IndexRecord::default()
        };
        if let Yaml::Hash(inputs) = &root["inputs"] {
            for (k, v) in inputs {
                let Some(name) = crate::workflow::model::scalar(k) else {
                    continue;
                };
                if crate::workflow::model::scalar(&v["default"])
                    .is_some_and(|d| is_github_token(&d))
                {
                    record.token_inputs.push(name.clone());
                }
                record.inputs.push(name);
            }
        }
        record.reads_token = mentions_token(&root["runs"]);
        if let Yaml::Array(steps) = &root["runs"]["steps"] {
            record.uses = steps
                .iter()
                .filter_map(|s| s["uses"].as_str())
                .map(|u| u.split('@').next().unwrap_or(u).to_string())
                .collect();
            record.uses.sort();
            record.uses.dedup();
        }
        Some(record)
    }

    /// The record as the index keeps it: token facts only.
    pub fn indexed(&self) -> IndexRecord {
        IndexRecord {
            token_inputs: self.token_inputs.clone(),
            reads_token: self.reads_token,
            uses: self.uses.clone(),
            ..IndexRecord::default()
        }
    }
}

/// Whether any string in `y` refers to the job's token.
fn mentions_token(y: &Yaml) -> bool {
    match y {
        Yaml::String(s) => {
            is_github_token(s) || s.contains("GITHUB_TOKEN") || s.contains("github.token")
        }
        Yaml::Array(a) => a.iter().any(mentions_token),
        Yaml::Hash(h) => h
            .iter()
            .any(|(k, v)| mentions_token(k) || mentions_token(v)),
        _ => false,
    }
}

/// The index entry of one action: where it was read, and a record per version (`all` when every
/// stored version agrees, else `head` and `v<N>`).
#[derive(Debug, Clone, Deserialize)]
pub struct IndexEntry {
    /// `owner/repo@commit` read.
    pub source: Option<String>,
    /// Records by version.
    #[serde(flatten)]
    pub versions: BTreeMap<String, IndexRecord>,
}

impl IndexEntry {
    /// The record for `major` (`None`: the ref tells none); the error says why there is none.
    pub fn record(&self, major: Option<u32>) -> Result<&IndexRecord, String> {
        if let Some(all) = self.versions.get("all") {
            return Ok(all);
        }
        let held = self
            .versions
            .keys()
            .filter(|k| k.starts_with('v'))
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        match major {
            Some(m) => self.versions.get(&format!("v{m}")).ok_or_else(|| {
                format!("its metadata differs between versions and ghfix holds {held}, not v{m}")
            }),
            None => Err(format!(
                "its metadata differs between versions ({held}) and the ref tells no major version"
            )),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IndexFile {
    actions: BTreeMap<String, IndexEntry>,
}

/// Whether a `uses:` ref (or a `source`'s) is a full commit SHA: 40 hex digits.
pub fn is_commit(reference: &str) -> bool {
    reference.len() == 40 && reference.chars().all(|c| c.is_ascii_hexdigit())
}

/// The major version a `uses:` ref names: `v4`, `v4.2.1`, `4` -> 4; a commit SHA takes the
/// version from `comment` (`# v4.2.1` after the ref); a branch name tells none.
pub fn major_of(uses: &str, comment: Option<&str>) -> Option<u32> {
    let reference = uses.rsplit_once('@')?.1;
    let from = |text: &str| -> Option<u32> {
        let t = text.trim().trim_start_matches(['v', 'V']);
        let digits: String = t.chars().take_while(char::is_ascii_digit).collect();
        if digits.is_empty()
            || !t[digits.len()..]
                .chars()
                .next()
                .is_none_or(|c| c == '.' || c == '-')
        {
            return None;
        }
        digits.parse().ok()
    };
    let sha = reference.len() >= 40 && reference.chars().all(|c| c.is_ascii_hexdigit());
    if sha {
        let c = comment?.trim().trim_start_matches('#').trim();
        let c = c.strip_prefix("tag=").unwrap_or(c);
        return c.split_whitespace().next().and_then(from);
    }
    from(reference)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionsFile {
    #[serde(default)]
    actions: BTreeMap<String, Option<ActionFacts>>,
}

/// How a command in a script finds its token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Auth {
    /// Credentials persisted by actions/checkout, or a token in the remote URL.
    Git,
    /// `GH_TOKEN` / `GITHUB_TOKEN` in the environment.
    Gh,
    /// The token written into the command or an environment variable holding it.
    Header,
    /// A registry login made earlier in the job with the token.
    Registry,
    /// An `.npmrc` pointing at npm.pkg.github.com with the token.
    NpmGithub,
    /// A NuGet source at nuget.pkg.github.com that actions/setup-dotnet configured with the token.
    NugetGithub,
    /// The job's runtime credentials, whatever the token.
    Job,
}

/// A command pattern for `run:` steps.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CommandFacts {
    /// Regex over one line of the script.
    #[serde(rename = "match")]
    pub pattern: String,
    /// How it authenticates.
    pub auth: Auth,
    /// What it needs.
    #[serde(default)]
    pub permissions: BTreeMap<String, Level>,
    /// Why; `{1}`, `{2}` ... stand for the pattern's groups as matched (`gh pr {1}` reads
    /// `gh pr comment`).
    #[serde(default)]
    pub reason: String,
    /// Set when the command's needs cannot be expressed (the job is left for review).
    pub unknown: Option<String>,
    /// A possible use only (trusted publishing when no token is configured): reported as a
    /// note, never granted.
    #[serde(default)]
    pub may: bool,
    /// Events it creates.
    #[serde(default)]
    pub creates_events: Vec<String>,
    /// A regex that, when it matches the line as well, keeps the entry from applying (a later
    /// entry then answers): `gh pr view --json` without the fields that read checks.
    pub unless: Option<String>,
    /// The compiled pattern.
    #[serde(skip)]
    pub regex: Option<Regex>,
    /// The compiled `unless`.
    #[serde(skip)]
    unless_regex: Option<Regex>,
}

impl CommandFacts {
    /// The reason for `line`, its placeholders filled in with what the pattern matched there.
    pub fn reason_for(&self, line: &str) -> String {
        if !self.reason.contains('{') {
            return self.reason.clone();
        }
        let Some(groups) = self.regex.as_ref().and_then(|r| r.captures(line)) else {
            return self.reason.clone();
        };
        (1..groups.len()).fold(self.reason.clone(), |reason, i| {
            let matched = groups.get(i).map_or("", |m| m.as_str());
            reason.replace(&format!("{{{i}}}"), matched)
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AliasesFile {
    aliases: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CommandsFile {
    commands: Vec<CommandFacts>,
}

/// An endpoint pattern of the REST API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// Regex over the path after `repos/{owner}/{repo}/`.
    pub path: String,
    /// The scope it needs; `none` (metadata only) or `impossible` (rights the GITHUB_TOKEN
    /// cannot be given: the job goes to review).
    pub scope: String,
    /// Only for this HTTP method (`GET`, `PUT` ...); any method when absent.
    pub method: Option<String>,
}

/// One endpoint of GitHub's table of the permissions GitHub Apps need, as
/// `rules/knowledge/api-rest.yml` holds it (generated by `scripts/rest-map.py`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestEndpoint {
    /// The HTTP method.
    pub method: String,
    /// The path template after `/repos/{owner}/{repo}/` (`issues/{issue_number}/comments`).
    pub path: String,
    /// The GITHUB_TOKEN scope it needs (`none`, `impossible` as in [`Endpoint`]).
    pub scope: String,
    /// The level of that scope.
    pub access: Level,
    /// Other scopes the table accepts instead.
    #[serde(default, rename = "or")]
    pub alternatives: Vec<String>,
    /// The `github.rest.<group>.<method>` name, where the endpoint has one.
    pub operation: Option<String>,
}

impl RestEndpoint {
    /// How well the template matches a concrete path: the number of literal segments, or `None`.
    /// A parameter is one segment, except a last `{path}` or `{ref}`, which takes the rest; a
    /// template of parameters only (`{archive_format}/{ref}`) matches nothing.
    fn fit(&self, path: &str) -> Option<usize> {
        let template: Vec<&str> = self.path.split('/').collect();
        let concrete: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        let greedy = matches!(template.last(), Some(&"{path}" | &"{ref}"));
        if concrete.len() != template.len() && !(greedy && concrete.len() > template.len()) {
            return None;
        }
        let mut literals = 0;
        for (t, c) in template.iter().zip(&concrete) {
            if t.contains('{') {
                if c.is_empty() {
                    return None;
                }
            } else if t == c {
                literals += 1;
            } else {
                return None;
            }
        }
        (literals > 0).then_some(literals)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RestTable {
    endpoints: Vec<RestEndpoint>,
}

/// How REST calls map to scopes: GitHub's table (generated), the hand-written overrides checked
/// before it (where GitHub's current documentation differs from the table) and fallbacks
/// checked after it (endpoints and methods newer than the table).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Api {
    /// Method-name prefixes that only read.
    pub read_prefixes: Vec<String>,
    /// `github.rest.<group>` -> scope.
    pub rest_groups: BTreeMap<String, String>,
    /// `<group>.<method>` -> scope for methods the table lacks or gets wrong (`none`: nothing
    /// to grant).
    pub rest_methods: BTreeMap<String, String>,
    /// Endpoint paths -> scope, checked before the table.
    #[serde(default)]
    pub overrides: Vec<Endpoint>,
    /// Endpoint paths -> scope, checked after the table.
    pub endpoints: Vec<Endpoint>,
    /// GitHub's table.
    #[serde(skip)]
    pub table: Vec<RestEndpoint>,
    #[serde(skip)]
    compiled_overrides: Vec<(Regex, Option<String>, String)>,
    #[serde(skip)]
    compiled: Vec<(Regex, Option<String>, String)>,
}

/// The whole knowledge base.
#[derive(Debug, Default)]
pub struct Knowledge {
    /// Actions by lowercase `owner/repo[/path]`.
    pub actions: BTreeMap<String, ActionFacts>,
    /// Command patterns, in order.
    pub commands: Vec<CommandFacts>,
    /// The REST map.
    pub api: Api,
    /// Token-related metadata of actions, by lowercase `owner/repo[/path]`.
    pub index: BTreeMap<String, IndexEntry>,
    /// Metadata fetched with `--online`, by lowercase `owner/repo[/path]@ref`.
    pub online: BTreeMap<String, IndexRecord>,
    /// Reusable workflows of other repositories fetched with `--online`, by lowercase `uses:`.
    pub remote_workflows: BTreeMap<String, String>,
    /// Major versions of pinned commits that `--online` found among the repository's version
    /// tags, by lowercase `owner/repo@<sha>`.
    pub online_majors: BTreeMap<String, u32>,
    /// Other names of action repositories (`rules/knowledge/aliases.yml`): lowercase old
    /// `owner/repo` -> the `owner/repo` whose facts hold for it.
    pub aliases: BTreeMap<String, String>,
    /// `rules/knowledge/action-commits.txt`: the commits of version tags, by repository and major.
    commits: String,
    /// That table by commit (12 hex digits), built on first use: repository and major.
    commit_majors: std::sync::OnceLock<std::collections::HashMap<String, Vec<(String, u32)>>>,
    /// Every command pattern in one set (built on first use), to match a line once.
    command_set: std::sync::OnceLock<Option<RegexSet>>,
}

/// The knowledge files built into the binary.
pub const EMBEDDED: &[(&str, &str)] = &[
    (
        "rules/knowledge/actions/official.yml",
        include_str!("../../rules/knowledge/actions/official.yml"),
    ),
    (
        "rules/knowledge/actions/third-party-a.yml",
        include_str!("../../rules/knowledge/actions/third-party-a.yml"),
    ),
    (
        "rules/knowledge/actions/third-party-b.yml",
        include_str!("../../rules/knowledge/actions/third-party-b.yml"),
    ),
    (
        "rules/knowledge/actions/third-party-c.yml",
        include_str!("../../rules/knowledge/actions/third-party-c.yml"),
    ),
    (
        "rules/knowledge/actions/third-party-d.yml",
        include_str!("../../rules/knowledge/actions/third-party-d.yml"),
    ),
    (
        "rules/knowledge/actions/third-party-e.yml",
        include_str!("../../rules/knowledge/actions/third-party-e.yml"),
    ),
    (
        "rules/knowledge/actions/third-party-f.yml",
        include_str!("../../rules/knowledge/actions/third-party-f.yml"),
    ),
    (
        "rules/knowledge/actions/third-party-g.yml",
        include_str!("../../rules/knowledge/actions/third-party-g.yml"),
    ),
    (
        "rules/knowledge/actions/third-party-h.yml",
        include_str!("../../rules/knowledge/actions/third-party-h.yml"),
    ),
    (
        "rules/knowledge/actions/third-party-i.yml",
        include_str!("../../rules/knowledge/actions/third-party-i.yml"),
    ),
    (
        "rules/knowledge/actions/third-party-j.yml",
        include_str!("../../rules/knowledge/actions/third-party-j.yml"),
    ),
    (
        "rules/knowledge/action-index.yml",
        include_str!("../../rules/knowledge/action-index.yml"),
    ),
    (
        "rules/knowledge/action-index-fetched.yml",
        include_str!("../../rules/knowledge/action-index-fetched.yml"),
    ),
    (
        "rules/knowledge/action-commits.txt",
        include_str!("../../rules/knowledge/action-commits.txt"),
    ),
    (
        "rules/knowledge/commands.yml",
        include_str!("../../rules/knowledge/commands.yml"),
    ),
    (
        "rules/knowledge/aliases.yml",
        include_str!("../../rules/knowledge/aliases.yml"),
    ),
    (
        "rules/knowledge/api-rest.yml",
        include_str!("../../rules/knowledge/api-rest.yml"),
    ),
    (
        "rules/knowledge/api.yml",
        include_str!("../../rules/knowledge/api.yml"),
    ),
];

impl Knowledge {
    /// The embedded knowledge base.
    pub fn embedded() -> Result<Knowledge, String> {
        let mut kb = Knowledge::default();
        for (name, text) in EMBEDDED {
            kb.add(name, text)?;
        }
        Ok(kb)
    }

    /// Adds one file; its kind is told by its name (`commands.yml`, `api.yml`, `api-rest.yml`,
    /// `action-index*.yml`, `action-commits.txt`, else actions).
    pub fn add(&mut self, name: &str, text: &str) -> Result<(), String> {
        let file = name.rsplit('/').next().unwrap_or(name);
        match file {
            "commands.yml" => {
                let parsed: CommandsFile = load::parse(name, text)?;
                for mut c in parsed.commands {
                    let compile = |p: &str| {
                        Regex::new(p).map_err(|e| format!("{name}: bad pattern `{p}`: {e}"))
                    };
                    c.regex = Some(compile(&c.pattern)?);
                    c.unless_regex = c.unless.as_deref().map(compile).transpose()?;
                    self.commands.push(c);
                    self.command_set = std::sync::OnceLock::new();
                }
            }
            "action-index.yml" | "action-index-fetched.yml" => {
                let parsed: IndexFile = load::parse(name, text)?;
                self.index.extend(
                    parsed
                        .actions
                        .into_iter()
                        .map(|(k, v)| (k.to_lowercase(), v)),
                );
            }
            "api.yml" => {
                let mut api: Api = load::parse(name, text)?;
                let compile = |list: &[Endpoint]| {
                    list.iter()
                        .map(|e| {
                            Regex::new(&e.path)
                                .map(|re| (re, e.method.clone(), e.scope.clone()))
                                .map_err(|err| format!("{name}: bad path `{}`: {err}", e.path))
                        })
                        .collect::<Result<Vec<_>, String>>()
                };
                api.compiled_overrides = compile(&api.overrides)?;
                api.compiled = compile(&api.endpoints)?;
                api.table = std::mem::take(&mut self.api.table);
                self.api = api;
            }
            "aliases.yml" => {
                let parsed: AliasesFile = load::parse(name, text)?;
                self.aliases.extend(
                    parsed
                        .aliases
                        .into_iter()
                        .map(|(k, v)| (k.to_lowercase(), v.to_lowercase())),
                );
            }
            "action-commits.txt" => {
                self.commits = text.to_string();
                self.commit_majors = std::sync::OnceLock::new();
            }
            "api-rest.yml" => {
                let parsed: RestTable = load::parse(name, text)?;
                self.api.table = parsed.endpoints;
            }
            _ => {
                let parsed: ActionsFile = load::parse(name, text)?;
                for (action, facts) in parsed.actions {
                    let facts = facts.unwrap_or_default();
                    for need in &facts.needs {
                        check_scopes(name, &action, need.permissions.keys().chain(&need.or))?;
                        // Only reads can be left out on a public repository.
                        if need.private && need.permissions.values().any(|l| *l != Level::Read) {
                            return Err(format!(
                                "{name}: {action}: `private: true` needs hold reads only"
                            ));
                        }
                        if let Some(m) = need.condition.as_ref().and_then(|c| c.matches.as_ref()) {
                            Regex::new(m)
                                .map_err(|e| format!("{name}: {action}: bad regex `{m}`: {e}"))?;
                        }
                    }
                    let mut facts = facts;
                    // `owner/repo@v3`: an entry for that major version only.
                    if let Some((_, version)) = action.split_once('@') {
                        let major = version
                            .strip_prefix('v')
                            .and_then(|m| m.parse::<u32>().ok())
                            .ok_or_else(|| {
                                format!("{name}: {action}: a keyed version must read `@v<N>`")
                            })?;
                        facts.majors = Some(Majors::Only(vec![major]));
                    }
                    self.actions.insert(action.to_lowercase(), facts);
                }
            }
        }
        Ok(())
    }

    /// Facts for `uses:` text such as `actions/checkout@v4` (case-insensitive) whose ref names
    /// `major`: the entry keyed `owner/repo@v<major>` when there is one, else `owner/repo`.
    /// A sub-path action falls back to nothing: `github/codeql-action/init` must be listed itself.
    /// An action known under another name (`aliases.yml`) is looked up under that name.
    pub fn action(&self, uses: &str, major: Option<u32>) -> Option<&ActionFacts> {
        let name = uses.split('@').next().unwrap_or(uses).to_lowercase();
        let name = name.trim_end_matches('/');
        let find = |name: &str| {
            major
                .and_then(|m| self.actions.get(&format!("{name}@v{m}")))
                .or_else(|| self.actions.get(name))
        };
        find(name).or_else(|| find(&self.unalias(name)?))
    }

    /// `owner/repo[/path]` (lowercase) under the name its repository is known by in the
    /// knowledge base, when `aliases.yml` gives it another one.
    fn unalias(&self, name: &str) -> Option<String> {
        let mut parts = name.splitn(3, '/');
        let repo = format!("{}/{}", parts.next()?, parts.next()?);
        let target = self.aliases.get(&repo)?;
        Some(match parts.next() {
            Some(path) => format!("{target}/{path}"),
            None => target.clone(),
        })
    }

    /// The command entries whose pattern matches `line`, in order.
    pub fn commands_matching<'k>(&'k self, line: &str) -> Vec<&'k CommandFacts> {
        let set = self
            .command_set
            .get_or_init(|| RegexSet::new(self.commands.iter().map(|c| &c.pattern)).ok());
        let applies = |c: &&CommandFacts| c.unless_regex.as_ref().is_none_or(|u| !u.is_match(line));
        match set {
            Some(set) => set
                .matches(line)
                .iter()
                .map(|i| &self.commands[i])
                .filter(applies)
                .collect(),
            None => self
                .commands
                .iter()
                .filter(|c| c.regex.as_ref().is_some_and(|r| r.is_match(line)))
                .filter(applies)
                .collect(),
        }
    }

    /// The major version of `uses` (`owner/repo[/path]@ref`), told by its ref, the version
    /// comment of a pin, or else the version tag that names the pinned commit.
    pub fn major(&self, uses: &str, comment: Option<&str>) -> Option<u32> {
        major_of(uses, comment).or_else(|| {
            let (name, reference) = uses.rsplit_once('@')?;
            let repo: Vec<&str> = name.splitn(3, '/').take(2).collect();
            let repo = repo.join("/").to_lowercase();
            let repo = self.unalias(&repo).unwrap_or(repo);
            let fetched = self
                .online_majors
                .get(&format!("{repo}@{reference}").to_lowercase());
            if let Some(m) = fetched {
                return Some(*m);
            }
            let short = reference.get(..12)?;
            if !is_commit(reference) {
                return None;
            }
            let table = self.commit_majors.get_or_init(|| {
                let mut map: std::collections::HashMap<String, Vec<(String, u32)>> =
                    std::collections::HashMap::new();
                for line in self.commits.lines().filter(|l| !l.starts_with('#')) {
                    let mut words = line.split(' ');
                    let (Some(r), Some(m)) = (words.next(), words.next()) else {
                        continue;
                    };
                    let Ok(m) = m.parse::<u32>() else { continue };
                    for c in words {
                        map.entry(c.to_string())
                            .or_default()
                            .push((r.to_string(), m));
                    }
                }
                map
            });
            let found = table.get(&short.to_lowercase())?;
            let mut majors = found.iter().filter(|(r, _)| *r == repo).map(|(_, m)| *m);
            let first = majors.next()?;
            // A commit two majors' tags name (v1 moved onto v2's commit) tells none.
            majors.all(|m| m == first).then_some(first)
        })
    }

    /// Records the metadata of `uses` (`owner/repo[/path]@ref`) fetched at that ref.
    pub fn learn(&mut self, uses: &str, record: IndexRecord) {
        self.online.insert(uses.to_lowercase(), record.indexed());
    }

    /// Records that the commit `sha` of `owner/repo` is named by a version tag of `major`
    /// (under the name [`Knowledge::major`] looks it up by: the one `aliases.yml` gives).
    pub fn learn_major(&mut self, repo: &str, sha: &str, major: u32) {
        let repo = repo.to_lowercase();
        let repo = self.unalias(&repo).unwrap_or(repo);
        self.online_majors
            .insert(format!("{repo}@{sha}").to_lowercase(), major);
    }

    /// Records the text of the reusable workflow `uses` names (`owner/repo/.github/workflows/F@ref`).
    pub fn learn_workflow(&mut self, uses: &str, text: String) {
        self.remote_workflows.insert(uses.to_lowercase(), text);
    }

    /// The metadata index entry for `uses:` text (case-insensitive, ref ignored).
    pub fn indexed(&self, uses: &str) -> Option<&IndexEntry> {
        let name = uses.split('@').next().unwrap_or(uses).to_lowercase();
        let name = name.trim_end_matches('/');
        self.index
            .get(name)
            .or_else(|| self.index.get(&self.unalias(name)?))
    }

    /// The scope a REST endpoint path (after `repos/{owner}/{repo}/`) needs, if known, with its
    /// level where GitHub's table gives it (else the HTTP method tells).
    pub fn endpoint_scope(&self, path: &str, method: &str) -> Option<(&str, Option<Level>)> {
        if let Some(scope) = first_endpoint(&self.api.compiled_overrides, path, method) {
            return Some((scope, None));
        }
        let table = self
            .table_entry(path, method)
            .map(|e| (e.scope.as_str(), Some(e.access)));
        table.or_else(|| first_endpoint(&self.api.compiled, path, method).map(|s| (s, None)))
    }

    /// The entry of GitHub's table for `method path`: the most specific template that fits.
    fn table_entry(&self, path: &str, method: &str) -> Option<&RestEndpoint> {
        self.api
            .table
            .iter()
            .filter(|e| e.method.eq_ignore_ascii_case(method))
            .filter_map(|e| Some((e.fit(path)?, e)))
            .max_by_key(|(fit, _)| *fit)
            .map(|(_, e)| e)
    }

    /// The other scopes GitHub's table accepts for `method path` (an issue comment: issues or
    /// pull requests). Only that pair is trusted: the table's older alternatives (contents for
    /// Actions endpoints) no longer hold.
    pub fn endpoint_alternatives(&self, path: &str, method: &str) -> Vec<String> {
        if first_endpoint(&self.api.compiled_overrides, path, method).is_some() {
            return Vec::new();
        }
        self.table_entry(path, method)
            .map(trusted_alternatives)
            .unwrap_or_default()
    }

    /// [`Knowledge::endpoint_alternatives`] for `github.rest.<group>.<method>`.
    pub fn method_alternatives(&self, group: &str, method: &str) -> Vec<String> {
        self.table_operation(&format!("{group}.{method}"))
            .map(trusted_alternatives)
            .unwrap_or_default()
    }

    /// The entry of GitHub's table for the method `group.method`, unless `rest-methods` in
    /// api.yml answers for it.
    fn table_operation(&self, name: &str) -> Option<&RestEndpoint> {
        if self.api.rest_methods.contains_key(name) {
            return None;
        }
        self.api
            .table
            .iter()
            .find(|e| e.operation.as_deref() == Some(name))
    }

    /// Whether `segment` starts a repository endpoint of GitHub's table (`issues`, `pulls` ...).
    pub fn is_rest_resource(&self, segment: &str) -> bool {
        !segment.is_empty()
            && self
                .api
                .table
                .iter()
                .any(|e| e.path.split('/').next() == Some(segment))
    }

    /// Whether `group.method` is a REST method GitHub's table or `rest-methods` names.
    pub fn is_rest_operation(&self, group: &str, method: &str) -> bool {
        let name = format!("{group}.{method}");
        self.api.rest_methods.contains_key(&name) || self.table_operation(&name).is_some()
    }

    /// What `github.rest.<group>.<method>` needs.
    pub fn rest_method(&self, group: &str, method: &str) -> RestNeed {
        let name = format!("{group}.{method}");
        if let Some(e) = self.table_operation(&name) {
            return RestNeed::from_scope(&e.scope, e.access);
        }
        let scope = match self.api.rest_methods.get(&name) {
            Some(s) => s.clone(),
            None => match self.api.rest_groups.get(group) {
                Some(s) => s.clone(),
                None => return RestNeed::Unknown,
            },
        };
        let level = if self
            .api
            .read_prefixes
            .iter()
            .any(|p| method.starts_with(p.as_str()))
        {
            Level::Read
        } else {
            Level::Write
        };
        RestNeed::from_scope(&scope, level)
    }
}

/// The alternatives of a table entry that ghfix trusts: issues and pull-requests for each other.
fn trusted_alternatives(e: &RestEndpoint) -> Vec<String> {
    let pair = ["issues", "pull-requests"];
    if !pair.contains(&e.scope.as_str()) {
        return Vec::new();
    }
    e.alternatives
        .iter()
        .filter(|a| pair.contains(&a.as_str()))
        .cloned()
        .collect()
}

/// The scope of the first compiled endpoint pattern that matches.
fn first_endpoint<'a>(
    list: &'a [(Regex, Option<String>, String)],
    path: &str,
    method: &str,
) -> Option<&'a str> {
    list.iter()
        .find(|(re, only, _)| {
            re.is_match(path)
                && only
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(method))
        })
        .map(|(_, _, s)| s.as_str())
}

impl RestNeed {
    /// The need for a scope word of the REST map (`none`, `impossible` or a scope) at a level.
    fn from_scope(scope: &str, level: Level) -> RestNeed {
        match scope {
            "none" => RestNeed::Nothing,
            "impossible" => RestNeed::Impossible,
            _ => RestNeed::Scope(scope.to_string(), level),
        }
    }
}

/// What a REST method needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestNeed {
    /// A scope at a level.
    Scope(String, Level),
    /// Rights the GITHUB_TOKEN cannot be given (secrets, variables, administration ...).
    Impossible,
    /// Only metadata: nothing to grant.
    Nothing,
    /// Not in the map.
    Unknown,
}

fn check_scopes<'a>(
    file: &str,
    action: &str,
    scopes: impl Iterator<Item = &'a String>,
) -> Result<(), String> {
    for s in scopes {
        if !SCOPES.contains(&s.as_str()) {
            return Err(format!("{file}: {action}: unknown permission scope `{s}`"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_old_name_of_an_action_has_the_facts_of_its_new_name() {
        let kb = Knowledge::embedded().unwrap();
        let old = kb
            .action("google-github-actions/release-please-action@v3", Some(3))
            .expect("known under its old name");
        let new = kb
            .action("googleapis/release-please-action@v3", Some(3))
            .unwrap();
        assert!(std::ptr::eq(old, new));
        assert!(kb
            .indexed("Google-GitHub-Actions/release-please-action@v4")
            .is_some());
        // A pin's major learned online under the old name is found under it.
        let mut kb = kb;
        let sha = "0123456789abcdef0123456789abcdef01234567";
        kb.learn_major("Google-GitHub-Actions/release-please-action", sha, 4);
        assert_eq!(
            kb.major(
                &format!("google-github-actions/release-please-action@{sha}"),
                None
            ),
            Some(4)
        );
        // Names that are no alias stay unknown.
        assert!(kb
            .action("google-github-actions/other@v1", Some(1))
            .is_none());
    }

    #[test]
    fn embedded_knowledge_loads_and_covers_the_common_actions() {
        let kb = Knowledge::embedded().unwrap();
        assert!(kb.actions.len() >= 150, "{}", kb.actions.len());
        for a in [
            "actions/checkout@v4",
            "Actions/Upload-Artifact@v4",
            "docker/build-push-action@v6",
            "softprops/action-gh-release@v2",
        ] {
            assert!(kb.action(a, None).is_some(), "{a}");
        }
        assert_eq!(
            kb.rest_method("issues", "createComment"),
            RestNeed::Scope("issues".into(), Level::Write)
        );
        assert_eq!(
            kb.rest_method("pulls", "get"),
            RestNeed::Scope("pull-requests".into(), Level::Read)
        );
        assert_eq!(
            kb.rest_method("repos", "createCommitStatus"),
            RestNeed::Scope("statuses".into(), Level::Write)
        );
        assert_eq!(kb.rest_method("repos", "get"), RestNeed::Nothing);
        assert_eq!(kb.rest_method("frobs", "x"), RestNeed::Unknown);
        assert_eq!(
            kb.endpoint_scope("issues/1/comments", "GET")
                .map(|(s, _)| s),
            Some("issues")
        );
        assert_eq!(
            kb.endpoint_scope("releases", "POST").map(|(s, _)| s),
            Some("contents")
        );
        assert_eq!(
            kb.endpoint_scope("pulls/3/merge", "PUT").map(|(s, _)| s),
            Some("contents")
        );
        assert_eq!(
            kb.endpoint_scope("pulls/3/merge", "GET").map(|(s, _)| s),
            Some("pull-requests")
        );
        assert_eq!(
            kb.endpoint_scope("commits/abc/status", "GET")
                .map(|(s, _)| s),
            Some("statuses")
        );
        assert_eq!(
            kb.endpoint_scope("commits/abc/check-runs", "GET")
                .map(|(s, _)| s),
            Some("checks")
        );
        assert_eq!(
            kb.endpoint_scope("commits/abc/pulls", "GET")
                .map(|(s, _)| s),
            Some("pull-requests")
        );
        assert_eq!(
            kb.endpoint_scope("environments", "GET").map(|(s, _)| s),
            Some("actions")
        );
        assert_eq!(
            kb.endpoint_scope("environments/prod", "PUT")
                .map(|(s, _)| s),
            Some("impossible")
        );
        assert_eq!(
            kb.endpoint_scope("actions/secrets", "GET").map(|(s, _)| s),
            Some("impossible")
        );
        assert_eq!(
            kb.endpoint_scope("secret-scanning/alerts", "GET")
                .map(|(s, _)| s),
            Some("impossible")
        );
    }

    #[test]
    fn malformed_knowledge_names_line_and_column() {
        let mut kb = Knowledge::default();
        let err = kb.add("x.yml", "actions:\n  a/b:\n    needs:\n      - permissions: { contents: writ }\n        reason: r\n").unwrap_err();
        assert!(err.starts_with("x.yml:4:"), "{err}");
    }

    #[test]
    fn gh_pr_view_with_json_fields_reads_only_those() {
        let kb = Knowledge::embedded().unwrap();
        let needs = |line: &str| {
            let first = kb.commands_matching(line)[0];
            (
                first.reason_for(line),
                first.permissions.keys().cloned().collect::<Vec<_>>(),
            )
        };
        let (reason, scopes) = needs("gh pr view 3 --json headRefName,baseRefName -q .x");
        assert_eq!(
            (reason.as_str(), scopes),
            ("gh pr view --json", vec!["pull-requests".to_string()])
        );
        for line in [
            "gh pr view 3",
            "gh pr view 3 --json number,statusCheckRollup",
            "gh pr list --json number,statusCheckRollup",
        ] {
            let (reason, scopes) = needs(line);
            assert!(reason.starts_with("gh pr "), "{line}");
            assert_eq!(
                scopes,
                ["actions", "checks", "pull-requests", "statuses"],
                "{line}"
            );
        }
    }

    #[test]
    fn a_private_only_need_holds_reads_and_alternatives_are_scopes() {
        let entry = |need: &str| format!("actions:\n  a/b:\n    needs:\n      - {need}\n");
        let mut kb = Knowledge::default();
        let err = kb
            .add(
                "x.yml",
                &entry(
                    "permissions: { contents: write }\n        reason: r\n        private: true",
                ),
            )
            .unwrap_err();
        assert!(
            err.contains("`private: true` needs hold reads only"),
            "{err}"
        );
        let err = kb
            .add(
                "x.yml",
                &entry(
                    "permissions: { issues: write }\n        reason: r\n        or: [pull-request]",
                ),
            )
            .unwrap_err();
        assert!(
            err.contains("unknown permission scope `pull-request`"),
            "{err}"
        );
        kb.add(
            "x.yml",
            &entry("permissions: { actions: read }\n        reason: r\n        private: true"),
        )
        .unwrap();
        assert!(kb.action("a/b@v1", Some(1)).unwrap().needs[0].private);
    }

    #[test]
    fn majors_come_from_the_ref_or_its_pin_comment() {
        assert_eq!(major_of("a/b@v4", None), Some(4));
        assert_eq!(major_of("a/b@v4.2.1", None), Some(4));
        assert_eq!(major_of("a/b@12", None), Some(12));
        assert_eq!(major_of("a/b@main", None), None);
        assert_eq!(major_of("a/b@v4x", None), None);
        let sha = "a/b@0123456789abcdef0123456789abcdef01234567";
        assert_eq!(major_of(sha, None), None);
        assert_eq!(major_of(sha, Some("v3.1.0")), Some(3));
        assert_eq!(major_of(sha, Some("tag=v5")), Some(5));
        assert_eq!(major_of(sha, Some("pin @v2")), None);

        // A pin without a comment: the commit a version tag names tells the major.
        let kb = Knowledge::embedded().unwrap();
        let pinned = format!("fwilhe2/setup-kotlin@ee9692514da3{}", "0".repeat(28));
        assert_eq!(kb.major(&pinned, None), Some(2));
        assert_eq!(kb.major(&pinned.replace("fwilhe2", "other"), None), None);
        assert_eq!(kb.major(&pinned, Some("v1.9")), Some(1));
        assert_eq!(
            kb.major(&format!("fwilhe2/setup-kotlin@{}", "f".repeat(40)), None),
            None
        );
    }

    #[test]
    fn an_entry_holds_only_for_its_majors() {
        let mut kb = Knowledge::default();
        kb.add(
            "x.yml",
            "actions:\n  a/b:\n    majors: [3, 4]\n  c/d:\n    majors: all\n",
        )
        .unwrap();
        let ab = kb.action("a/b@v4", Some(4)).unwrap();
        assert!(ab.covers(Some(4)).is_ok());
        assert!(ab.covers(Some(2)).unwrap_err().contains("v3, v4, not v2"));
        assert!(ab.covers(None).is_err());
        assert!(kb.action("c/d@main", None).unwrap().covers(None).is_ok());
        kb.add(
            "y.yml",
            "actions:\n  a/b@v2:\n    token: { input: t, default: none }\n",
        )
        .unwrap();
        let v2 = kb.action("a/b@v2", Some(2)).unwrap();
        assert!(v2.token.is_some() && v2.covers(Some(2)).is_ok());
        assert!(kb.action("a/b@v4", Some(4)).unwrap().token.is_none());
    }
}
