//! The rule language: what a rule file's `match:`, `utils:`, `transform:` and `fix.edits:` say.
//!
//! A rule matches one kind of node (a workflow, a job or a step) with a rule object: conditions on
//! the node's own fields (patterns over scalar values), relations to other nodes (`has`,
//! `inside`, `follows`, `precedes`), combinators (`all`, `any`, `not`, `matches` a util), and
//! facts that Rust analyses provide (what a job needs from its token). Regex captures and the
//! node's own names become variables (`{job}`, `{action}`, `{ref}` ...) that the message, the
//! transforms and the edits use.

pub mod eval;
pub mod template;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};

/// A value written either as a scalar or as a mapping. Deserialized without buffering, so that
/// an error inside the mapping keeps its position in the rule file.
trait ScalarOrMap: Sized {
    /// What the value is, for messages.
    const EXPECTING: &'static str;
    /// From the scalar form.
    fn from_scalar(s: Scalar) -> Result<Self, String>;
    /// From the mapping form.
    fn from_map<'de, A: serde::de::MapAccess<'de>>(a: A) -> Result<Self, A::Error>;
}

struct ScalarOrMapVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: ScalarOrMap> serde::de::Visitor<'de> for ScalarOrMapVisitor<T> {
    type Value = T;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(T::EXPECTING)
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
        T::from_scalar(Scalar::Text(v.to_string())).map_err(E::custom)
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<T, E> {
        T::from_scalar(Scalar::Bool(v)).map_err(E::custom)
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<T, E> {
        T::from_scalar(Scalar::Number(v.into())).map_err(E::custom)
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<T, E> {
        T::from_scalar(Scalar::Number(v.into())).map_err(E::custom)
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<T, E> {
        let s = serde_json::Number::from_f64(v).map_or(Scalar::Text(v.to_string()), Scalar::Number);
        T::from_scalar(s).map_err(E::custom)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, a: A) -> Result<T, A::Error> {
        T::from_map(a)
    }
}

fn scalar_or_map<'de, D: Deserializer<'de>, T: ScalarOrMap>(d: D) -> Result<T, D::Error> {
    d.deserialize_any(ScalarOrMapVisitor(std::marker::PhantomData))
}

/// A compiled regular expression, written as a string.
#[derive(Debug, Clone)]
pub struct Re(pub regex::Regex);

impl<'de> Deserialize<'de> for Re {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Re, D::Error> {
        let text = String::deserialize(d)?;
        regex::Regex::new(&text).map(Re).map_err(|e| {
            // The regex crate's message spans lines (the pattern, a caret, the error).
            let why = e.to_string();
            let last = why.lines().last().unwrap_or_default();
            let why = last.trim().trim_start_matches("error: ");
            serde::de::Error::custom(format!("invalid regex `{text}`: {why}"))
        })
    }
}

impl JsonSchema for Re {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Regex".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "format": "regex" })
    }
}

/// A shell-style glob (`*` any run of characters, `?` one character, the rest literal), compiled
/// when the rule file is read.
#[derive(Debug, Clone)]
pub struct Glob {
    /// As written.
    pub text: String,
    re: regex::Regex,
}

impl Glob {
    /// Compiles `text`.
    pub fn new(text: &str) -> Glob {
        let mut re = String::from("^");
        for c in text.chars() {
            match c {
                '*' => re.push_str(".*"),
                '?' => re.push('.'),
                c => re.push_str(&regex::escape(&c.to_string())),
            }
        }
        re.push('$');
        Glob {
            text: text.to_string(),
            re: regex::Regex::new(&re).expect("an escaped glob is a valid regex"),
        }
    }

    /// Whether the whole of `t` matches.
    pub fn is_match(&self, t: &str) -> bool {
        self.re.is_match(t)
    }
}

impl<'de> Deserialize<'de> for Glob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Glob, D::Error> {
        Ok(Glob::new(&String::deserialize(d)?))
    }
}

impl JsonSchema for Glob {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Glob".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string" })
    }
}

/// A condition on a value: a scalar written as is must equal the value's text; the object form
/// combines conditions (all must hold). A sequence value matches when one of its items does.
#[derive(Debug, Clone, JsonSchema)]
#[serde(untagged)]
pub enum Pattern {
    /// The value's text equals this.
    Exact(Scalar),
    /// Conditions, all of which must hold.
    Object(Box<PatternObject>),
}

/// A scalar written in a rule: its text is what is compared.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Scalar {
    /// A string.
    Text(String),
    /// `true` / `false`.
    Bool(bool),
    /// A number.
    Number(serde_json::Number),
}

impl Scalar {
    /// The text a YAML loader gives this scalar.
    pub fn text(&self) -> String {
        match self {
            Scalar::Text(s) => s.clone(),
            Scalar::Bool(b) => b.to_string(),
            Scalar::Number(n) => n.to_string(),
        }
    }
}

impl ScalarOrMap for Pattern {
    const EXPECTING: &'static str = "a pattern: a scalar, or a mapping of conditions";
    fn from_scalar(s: Scalar) -> Result<Self, String> {
        Ok(Pattern::Exact(s))
    }
    fn from_map<'de, A: serde::de::MapAccess<'de>>(a: A) -> Result<Self, A::Error> {
        PatternObject::deserialize(serde::de::value::MapAccessDeserializer::new(a))
            .map(|o| Pattern::Object(Box::new(o)))
    }
}

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Pattern, D::Error> {
        scalar_or_map(d)
    }
}

/// What a value holds, for `is:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ValueKind {
    /// The job's GITHUB_TOKEN (`${{ secrets.GITHUB_TOKEN }}`, `${{ github.token }}`).
    GithubToken,
    /// Any secret (`${{ secrets.NAME }}`); captures `{secret}`.
    Secret,
    /// A secret other than GITHUB_TOKEN (a personal access token, an App's key ...); captures
    /// `{secret}`.
    OtherSecret,
    /// A configuration variable (`${{ vars.NAME }}`); captures `{var}`.
    Variable,
    /// Any `${{ ... }}` expression.
    Expression,
    /// Text with no expression in it.
    Literal,
    /// Text holding a credential of a known shape (a `ghp_...` token, an npm token ...; see
    /// `rules/knowledge/credentials.yml`); captures `{credential}` (the literal, masked in all
    /// output), `{credential-kind}` and `{secret-name}` (the secret suggested for it).
    Credential,
}

/// The object form of a pattern.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct PatternObject {
    /// The text equals this.
    pub equals: Option<Scalar>,
    /// The text equals one of these.
    pub one_of: Option<Vec<Scalar>>,
    /// The text contains this.
    pub contains: Option<String>,
    /// The text matches this shell-style glob (`*` any run of characters, `?` one).
    pub glob: Option<Glob>,
    /// The text matches this regex; its named groups become variables.
    pub regex: Option<Re>,
    /// What the value holds.
    pub is: Option<ValueKind>,
    /// The text is a number greater than this.
    pub above: Option<f64>,
    /// The text is a number less than this.
    pub below: Option<f64>,
    /// `true`: the key is there (any value); `false`: it is absent.
    pub present: Option<bool>,
    /// The value does not match this pattern (an absent value matches `not`).
    pub not: Option<Pattern>,
    /// The value matches one of these patterns.
    pub any: Option<Vec<Pattern>>,
}

/// A condition on a `uses:` value (`owner/repo[/path]@ref`, `./local`, `docker://image`).
/// Matching sets `{uses}`, `{action}` (`owner/repo[/path]`), `{owner}`, `{repo}` and `{ref}`.
#[derive(Debug, Clone, JsonSchema)]
#[serde(untagged)]
pub enum UsesPattern {
    /// A glob over `owner/repo[/path]`, or over the whole value when it holds `@`.
    Glob(Glob),
    /// Conditions on the parts.
    Parts(Box<UsesParts>),
}

impl ScalarOrMap for UsesPattern {
    const EXPECTING: &'static str = "a glob over `owner/repo[/path][@ref]`, or a mapping of parts";
    fn from_scalar(s: Scalar) -> Result<Self, String> {
        Ok(UsesPattern::Glob(Glob::new(&s.text())))
    }
    fn from_map<'de, A: serde::de::MapAccess<'de>>(a: A) -> Result<Self, A::Error> {
        UsesParts::deserialize(serde::de::value::MapAccessDeserializer::new(a))
            .map(|p| UsesPattern::Parts(Box::new(p)))
    }
}

impl<'de> Deserialize<'de> for UsesPattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<UsesPattern, D::Error> {
        scalar_or_map(d)
    }
}

/// The parts of a `uses:` value, each a pattern.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct UsesParts {
    /// `owner/repo[/path]`.
    pub action: Option<Pattern>,
    /// The owner.
    pub owner: Option<Pattern>,
    /// The repository.
    pub repo: Option<Pattern>,
    /// The path inside the repository (empty when none).
    pub path: Option<Pattern>,
    /// The ref after `@` (a tag, branch or commit).
    #[serde(rename = "ref")]
    pub reference: Option<Pattern>,
    /// Whether the ref is a full 40-character commit SHA.
    pub pinned: Option<bool>,
    /// Whether it is a local action or workflow (`./...`).
    pub local: Option<bool>,
}

/// A condition on one simple command of a step's `run:` script (read with the shell grammar,
/// wherever the command sits: pipelines, lists, substitutions, `bash -c` ...). A string is the
/// program's name.
#[derive(Debug, Clone, JsonSchema)]
#[serde(untagged)]
pub enum CommandPattern {
    /// The program's name.
    Program(String),
    /// Conditions on the program and its arguments.
    Parts(Box<CommandParts>),
}

impl ScalarOrMap for CommandPattern {
    const EXPECTING: &'static str = "a program's name, or a mapping of `program` and `args`";
    fn from_scalar(s: Scalar) -> Result<Self, String> {
        Ok(CommandPattern::Program(s.text()))
    }
    fn from_map<'de, A: serde::de::MapAccess<'de>>(a: A) -> Result<Self, A::Error> {
        CommandParts::deserialize(serde::de::value::MapAccessDeserializer::new(a))
            .map(|p| CommandPattern::Parts(Box::new(p)))
    }
}

impl<'de> Deserialize<'de> for CommandPattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<CommandPattern, D::Error> {
        scalar_or_map(d)
    }
}

/// The parts of a command.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CommandParts {
    /// The program (`git`, `gh` ...), after any `NAME=value` prefixes.
    pub program: Option<Pattern>,
    /// The arguments joined by single spaces, as written (quotes kept).
    pub args: Option<Pattern>,
}

/// Conditions on named entries (any key by its path, for `field:`; variables, for `when:`).
pub type Entries = BTreeMap<String, Pattern>;

/// A key of `with:` or `env:` in a rule: a name, or a glob over names (`"*token*"`, matched
/// without regard to case) that some entry must fit, its name captured as `{key}`.
#[derive(Debug, Clone)]
pub struct Key {
    /// As written.
    pub text: String,
    /// The compiled glob, when the key holds `*` or `?`.
    pub glob: Option<Glob>,
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.text == other.text
    }
}
impl Eq for Key {}
impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Key) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Key {
    fn cmp(&self, other: &Key) -> std::cmp::Ordering {
        self.text.cmp(&other.text)
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        let text = String::deserialize(d)?;
        let glob = text
            .contains(['*', '?'])
            .then(|| Glob::new(&text.to_lowercase()));
        Ok(Key { text, glob })
    }
}

impl JsonSchema for Key {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Key".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string" })
    }
}

/// Conditions on the entries of `with:` or `env:`, by name or by glob.
pub type Keyed = BTreeMap<Key, Pattern>;

/// A rule object for steps: every condition given must hold.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct StepRule {
    /// `uses:`.
    pub uses: Option<UsesPattern>,
    /// The `run:` script's text.
    pub run: Option<Pattern>,
    /// Some simple command of the `run:` script.
    pub command: Option<CommandPattern>,
    /// `name:`.
    pub name: Option<Pattern>,
    /// `id:`.
    pub id: Option<Pattern>,
    /// `if:`.
    #[serde(rename = "if")]
    pub condition: Option<Pattern>,
    /// `shell:`.
    pub shell: Option<Pattern>,
    /// Inputs under `with:`, by name or glob.
    pub with: Option<Keyed>,
    /// Variables under the step's `env:`, by name or glob.
    pub env: Option<Keyed>,
    /// Any other key of the step, by its path (`continue-on-error`, `with.args`).
    pub field: Option<Entries>,
    /// An earlier step of the same job matches.
    pub follows: Option<Box<StepRule>>,
    /// A later step of the same job matches.
    pub precedes: Option<Box<StepRule>>,
    /// The step's job matches (never true for a composite action's steps).
    pub inside: Option<Box<JobRule>>,
    /// All of these match.
    pub all: Option<Vec<StepRule>>,
    /// One of these matches.
    pub any: Option<Vec<StepRule>>,
    /// This does not match.
    pub not: Option<Box<StepRule>>,
    /// The named step util of the rule file matches.
    pub matches: Option<String>,
}

/// A rule object for jobs.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct JobRule {
    /// The job's id.
    pub id: Option<Pattern>,
    /// `name:`.
    pub name: Option<Pattern>,
    /// `if:`.
    #[serde(rename = "if")]
    pub condition: Option<Pattern>,
    /// `runs-on:` (a sequence matches when one label does).
    pub runs_on: Option<Pattern>,
    /// `uses:` of a job that calls a reusable workflow.
    pub uses: Option<UsesPattern>,
    /// `permissions:` as a scalar (`write-all`, `read-all`), or `present`.
    pub permissions: Option<Pattern>,
    /// Any other key of the job, by its path (`timeout-minutes`, `environment.name`).
    pub field: Option<Entries>,
    /// One of its steps matches.
    pub has: Option<Box<StepRule>>,
    /// Its workflow matches.
    pub inside: Option<Box<WorkflowRule>>,
    /// All of these match.
    pub all: Option<Vec<JobRule>>,
    /// One of these matches.
    pub any: Option<Vec<JobRule>>,
    /// This does not match.
    pub not: Option<Box<JobRule>>,
    /// The named job util of the rule file matches.
    pub matches: Option<String>,
    /// What the analysis finds the job's steps need from its token, as `scope: level` texts
    /// (`contents: write`); a pattern over that list (one entry must match).
    pub needs: Option<Pattern>,
    /// Whether the analysis understood every use of the token in the job.
    pub analysed: Option<bool>,
    /// Analysis: the job's effective permissions lack a scope its steps need (one finding per
    /// scope; the `add-scope` fix).
    #[serde(default)]
    pub lacks_needed_scope: bool,
    /// Analysis: the job's own block grants a scope (or a level) its steps do not need (the
    /// `narrow` fix).
    #[serde(default)]
    pub grants_unneeded_scope: bool,
    /// Analysis: the job creates events with GITHUB_TOKEN (pushes, tags, releases, opened pull
    /// requests) that another workflow of the repository listens for: those runs never start, or
    /// wait for approval (`{details}` says which).
    #[serde(default)]
    pub starts_no_runs: bool,
}

/// A rule object for workflows.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct WorkflowRule {
    /// One of the events that start it (`push`, `pull_request_target` ...).
    pub on: Option<Pattern>,
    /// The file's path as shown (`.github/workflows/ci.yml`).
    pub file: Option<Pattern>,
    /// `name:`.
    pub name: Option<Pattern>,
    /// Any key by its path (`concurrency.group`, `on.push.branches`).
    pub field: Option<Entries>,
    /// Analysis when the fix is `permissions`: a top-level key the workflow lacks
    /// (`permissions`); otherwise simply a missing key.
    pub missing: Option<String>,
    /// One of its jobs matches.
    pub has: Option<Box<JobRule>>,
    /// All of these match.
    pub all: Option<Vec<WorkflowRule>>,
    /// One of these matches.
    pub any: Option<Vec<WorkflowRule>>,
    /// This does not match.
    pub not: Option<Box<WorkflowRule>>,
    /// The named workflow util of the rule file matches.
    pub matches: Option<String>,
    /// Analysis: the top-level `permissions:` grants write (the `move-writes` fix).
    #[serde(default)]
    pub top_level_write: bool,
    /// Analysis: a `permissions:` block names a scope or level GitHub rejects (the `respell`
    /// fix).
    #[serde(default)]
    pub invalid_permissions: bool,
    /// Analysis: a `# ghfix: ignore[...]` comment suppresses nothing (`{ids}`: what it names
    /// in vain).
    #[serde(default)]
    pub unused_ignore: bool,
}

/// What a rule (or a util) matches: one kind of node and its rule object.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum Match {
    /// Workflow files (and composite actions, which have no jobs).
    Workflow(WorkflowRule),
    /// Jobs.
    Job(JobRule),
    /// Steps of jobs and of composite actions.
    Step(StepRule),
    /// Every scalar value of the document, wherever it sits (keys excluded).
    Value(ValueRule),
}

/// A rule object for scalar values.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ValueRule {
    /// The value matches this.
    pub pattern: Pattern,
    /// The value's path (`jobs.build.steps[0].with.token`) matches this.
    pub path: Option<Pattern>,
    /// The value's workflow matches this.
    pub inside: Option<WorkflowRule>,
}

/// A variable computed from others, for edits: `source` is a template; the operations run in the
/// order `replace`, `lower`/`upper`, `lookup`. A lookup that finds nothing leaves the variable
/// unset, and a fix that needs it is not offered.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Transform {
    /// The input, a template (`"{action}@{ref}"`).
    pub source: String,
    /// Replace every match of a regex (`$1`, `${name}` refer to its groups).
    pub replace: Option<Replace>,
    /// Lower-case the text.
    #[serde(default)]
    pub lower: bool,
    /// Upper-case the text.
    #[serde(default)]
    pub upper: bool,
    /// Look the text up in this table.
    pub lookup: Option<BTreeMap<String, String>>,
}

/// A regex replacement.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Replace {
    /// What to find.
    pub regex: Re,
    /// What to put instead.
    pub with: String,
}

/// Where an inserted step goes, relative to the matched step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Position {
    /// Just before it.
    Before,
    /// Just after it.
    After,
}

/// One edit of a rule's fix. Paths are relative to the matched node (`with.token`; empty: the
/// node itself), or absolute from the document's root when they start with `/`. Strings in paths,
/// values and texts are templates: `{name}` is replaced by the variable's value. `when:` makes
/// an edit conditional on variables (`when: { ref: { regex: '^[0-9a-f]{40}$' } }`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum Edit {
    /// Set a value, creating the entry (and missing parent mappings) where needed.
    Set {
        /// Make this edit only when these variables match (an unset variable is absent).
        #[serde(default)]
        when: Entries,
        /// Where.
        path: String,
        /// The new value (any YAML).
        value: serde_json::Value,
        /// A new entry goes after the last of these sibling keys.
        #[serde(default)]
        after: Vec<String>,
        /// ... else before the first of these.
        #[serde(default)]
        before: Vec<String>,
    },
    /// Remove an entry or a sequence item (a step: `path: ""`), with its own comment lines.
    Remove {
        /// Make this edit only when these variables match (an unset variable is absent).
        #[serde(default)]
        when: Entries,
        /// What.
        path: String,
        /// Skip this edit when the path does not exist (else the fix is not offered).
        #[serde(default)]
        optional: bool,
    },
    /// Rename a mapping entry's key in place.
    RenameKey {
        /// Make this edit only when these variables match (an unset variable is absent).
        #[serde(default)]
        when: Entries,
        /// The entry.
        path: String,
        /// The new key.
        to: String,
        /// Skip this edit when the path does not exist (else the fix is not offered).
        #[serde(default)]
        optional: bool,
    },
    /// Replace text inside a scalar, keeping its quoting.
    Rewrite {
        /// Make this edit only when these variables match (an unset variable is absent).
        #[serde(default)]
        when: Entries,
        /// The scalar.
        path: String,
        /// Text to find.
        from: String,
        /// Its replacement.
        to: String,
        /// Skip this edit when the path does not exist or the text does not occur (else the
        /// fix is not offered).
        #[serde(default)]
        optional: bool,
    },
    /// Add or replace the trailing comment of an entry's line.
    Comment {
        /// Make this edit only when these variables match (an unset variable is absent).
        #[serde(default)]
        when: Entries,
        /// The entry.
        path: String,
        /// The comment, without `#`.
        text: String,
        /// Skip this edit when the path does not exist (else the fix is not offered).
        #[serde(default)]
        optional: bool,
    },
    /// Append an item to a sequence (created when missing).
    Append {
        /// Make this edit only when these variables match (an unset variable is absent).
        #[serde(default)]
        when: Entries,
        /// The sequence.
        path: String,
        /// The new item.
        value: serde_json::Value,
    },
    /// Insert a step before or after the matched step.
    InsertStep {
        /// Make this edit only when these variables match (an unset variable is absent).
        #[serde(default)]
        when: Entries,
        /// Where.
        position: Position,
        /// The step.
        value: serde_json::Value,
    },
}

impl Edit {
    /// The edit's conditions on variables.
    pub fn when(&self) -> &Entries {
        match self {
            Edit::Set { when, .. }
            | Edit::Remove { when, .. }
            | Edit::RenameKey { when, .. }
            | Edit::Rewrite { when, .. }
            | Edit::Comment { when, .. }
            | Edit::Append { when, .. }
            | Edit::InsertStep { when, .. } => when,
        }
    }
}

/// Collects the util names that `m` refers to with `matches:`, at any depth.
pub fn util_refs(m: &Match, out: &mut Vec<String>) {
    match m {
        Match::Workflow(r) => workflow_refs(r, out),
        Match::Job(r) => job_refs(r, out),
        Match::Step(r) => step_refs(r, out),
        Match::Value(r) => {
            if let Some(w) = &r.inside {
                workflow_refs(w, out)
            }
        }
    }
}

fn each<R>(
    all: &Option<Vec<R>>,
    any: &Option<Vec<R>>,
    not: &Option<Box<R>>,
    out: &mut Vec<String>,
    f: fn(&R, &mut Vec<String>),
) {
    for r in all.iter().chain(any).flatten() {
        f(r, out);
    }
    if let Some(r) = not {
        f(r, out);
    }
}

fn workflow_refs(r: &WorkflowRule, out: &mut Vec<String>) {
    out.extend(r.matches.clone());
    if let Some(j) = &r.has {
        job_refs(j, out);
    }
    each(&r.all, &r.any, &r.not, out, workflow_refs);
}

fn job_refs(r: &JobRule, out: &mut Vec<String>) {
    out.extend(r.matches.clone());
    if let Some(s) = &r.has {
        step_refs(s, out);
    }
    if let Some(w) = &r.inside {
        workflow_refs(w, out);
    }
    each(&r.all, &r.any, &r.not, out, job_refs);
}

fn step_refs(r: &StepRule, out: &mut Vec<String>) {
    out.extend(r.matches.clone());
    for s in [&r.follows, &r.precedes].into_iter().flatten() {
        step_refs(s, out);
    }
    if let Some(j) = &r.inside {
        job_refs(j, out);
    }
    each(&r.all, &r.any, &r.not, out, step_refs);
}
