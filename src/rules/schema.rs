//! The rule-file format (YAML, read with serde; errors carry file:line:col).

use serde::{Deserialize, Serialize};

use crate::rules::load;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Minor.
    Low,
    /// Should be fixed.
    Medium,
    /// Fix first.
    High,
}

/// When a rule's fix is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Safety {
    /// By `ghfix apply`.
    Safe,
    /// Only with `--unsafe`.
    Unsafe,
    /// Never: the finding says what to do.
    Manual,
}

/// What a rule matches: one of the engine's matchers.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum Match {
    /// A workflow-level condition: `{ workflow: { missing: permissions } }`.
    Workflow {
        /// A top-level key the workflow lacks.
        missing: String,
    },
    /// A job-level condition: `{ job: { lacks-needed-scope: true } }`.
    Job {
        /// The job's effective permissions lack a scope its steps need.
        #[serde(rename = "lacks-needed-scope", default)]
        lacks_needed_scope: bool,
        /// The job's own block grants a scope (or a level) its steps do not need.
        #[serde(rename = "grants-unneeded-scope", default)]
        grants_unneeded_scope: bool,
    },
    /// A condition on the top-level block: `{ top-level: { grants-write: true } }`.
    TopLevel {
        /// It grants write on some scope (or is `write-all`), so every job without its own block
        /// holds that write.
        #[serde(rename = "grants-write", default)]
        grants_write: bool,
    },
    /// A condition on every `permissions:` block: `{ permissions: { invalid: true } }`.
    Permissions {
        /// A scope name or level GitHub does not accept.
        #[serde(default)]
        invalid: bool,
    },
}

/// Parameters of the least-privilege fix.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct PermissionsFix {
    /// `read-contents`: `contents: read` at the top (or `{}` when no job reads the repository).
    pub top_level: String,
    /// `least-privilege`: a block for each job that needs more than the top level.
    pub jobs: String,
    /// Put a `# reason` comment on each scope.
    #[serde(default)]
    pub comment_reasons: bool,
    /// `leave-job`: a job ghfix cannot analyse is left as it was and reported.
    pub on_unknown: String,
}

/// What a rule changes.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Fix {
    /// Add least-privilege `permissions:` blocks.
    pub permissions: Option<PermissionsFix>,
    /// Add the missing scope to the job's block.
    pub add_scope: Option<AddScope>,
    /// Replace the job's block with exactly what its steps need.
    pub narrow: Option<AddScope>,
    /// Move the top-level block's writes down to the jobs that need them.
    pub move_writes: Option<AddScope>,
    /// Respell an invalid scope name or level where one valid spelling is meant.
    #[serde(default)]
    pub respell: bool,
}

/// Parameters of the add-scope and narrow fixes.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct AddScope {
    /// Put a `# reason` comment on the added scope.
    #[serde(default)]
    pub comment_reasons: bool,
}

/// An inline test case: `before` must produce `after` (or no change when `after` is absent) and
/// `findings` findings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleTest {
    /// What the case pins.
    pub name: String,
    /// The workflow before.
    pub before: String,
    /// The workflow after `apply`; absent when nothing may change.
    pub after: Option<String>,
    /// How many findings `check` reports on `before`.
    pub findings: Option<usize>,
}

/// A rule file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Stable identifier.
    pub id: String,
    /// One line.
    pub title: String,
    /// How bad.
    pub severity: Severity,
    /// When its fix applies.
    pub safety: Safety,
    /// The finding's message; `{workflow}` and `{job}` are filled in.
    pub summary: String,
    /// Markdown for `ghfix explain`.
    pub docs: String,
    /// What it matches.
    #[serde(rename = "match")]
    pub matcher: Match,
    /// What it changes.
    pub fix: Fix,
    /// Inline test cases.
    #[serde(default)]
    pub tests: Vec<RuleTest>,
}

/// The rule files built into the binary.
pub const EMBEDDED: &[(&str, &str)] = &[
    (
        "rules/least-privilege-permissions.yml",
        include_str!("../../rules/least-privilege-permissions.yml"),
    ),
    (
        "rules/missing-permission-scope.yml",
        include_str!("../../rules/missing-permission-scope.yml"),
    ),
    (
        "rules/excessive-job-permissions.yml",
        include_str!("../../rules/excessive-job-permissions.yml"),
    ),
    (
        "rules/top-level-write-permissions.yml",
        include_str!("../../rules/top-level-write-permissions.yml"),
    ),
    (
        "rules/invalid-permission-scope.yml",
        include_str!("../../rules/invalid-permission-scope.yml"),
    ),
];

impl Rule {
    /// Reads one rule file.
    pub fn parse(name: &str, text: &str) -> Result<Rule, String> {
        load::parse(name, text)
    }
}
