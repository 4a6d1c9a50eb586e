//! The rule-file format (YAML, read with serde; errors carry file:line:col).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::rules::lang::{self, Edit, Match, Transform};

use crate::rules::load;

/// How bad a finding is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Safety {
    /// By `ghfix apply`.
    Safe,
    /// Only with `--unsafe`.
    Unsafe,
    /// Never: the finding says what to do.
    Manual,
}

/// Parameters of the least-privilege fix.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
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

/// What a rule changes: edits written in the rule, or one of the named fixes built into ghfix
/// (for the analyses: `permissions`, `add-scope`, `narrow`, `move-writes`, `respell`,
/// `app-token`).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
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
    /// Mint a GitHub App token in the job and create its events with it (for `starts-no-runs`).
    pub app_token: Option<AppTokenFix>,
    /// Edits at the matched node, in order, verified as one batch.
    #[serde(default)]
    pub edits: Vec<Edit>,
}

/// Parameters of the App-token swap.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct AppTokenFix {
    /// The token-minting action, pinned to a full commit SHA
    /// (`actions/create-github-app-token@<sha>`).
    pub action: String,
    /// The version the pin stands for, written as the comment beside it (`v3.1.1`).
    pub version: String,
}

/// Parameters of the add-scope and narrow fixes.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct AddScope {
    /// Put a `# reason` comment on the added scope.
    #[serde(default)]
    pub comment_reasons: bool,
}

/// An inline test case: `before` must produce `after` (or no change when `after` is absent) and
/// `findings` findings.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleTest {
    /// What the case pins.
    pub name: String,
    /// The workflow before.
    pub before: String,
    /// The workflow after `apply`; absent when nothing may change.
    pub after: Option<String>,
    /// How many findings `check` reports on `before` (of every rule that runs).
    pub findings: Option<usize>,
    /// Other rules that run beside this one in the case (their findings count too).
    #[serde(default, rename = "with-rules")]
    pub with_rules: Vec<String>,
}

/// A rule file.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
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
    /// The finding's message, a template: `{workflow}`, `{job}`, `{step}`, the `uses:` parts,
    /// regex captures and transforms are filled in.
    pub summary: String,
    /// Markdown for `ghfix explain`.
    pub docs: String,
    /// What it matches.
    #[serde(rename = "match")]
    pub matcher: Match,
    /// Named rule objects that `matches: NAME` refers to.
    #[serde(default)]
    pub utils: BTreeMap<String, Match>,
    /// Variables computed from the captured ones, for the message and the edits.
    #[serde(default)]
    pub transform: BTreeMap<String, Transform>,
    /// Where the finding points, relative to the matched node (`uses`, `with.token`); default:
    /// the node.
    pub at: Option<String>,
    /// What it changes (nothing: a finding only).
    #[serde(default)]
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
    (
        "rules/hardcoded-credential.yml",
        include_str!("../../rules/hardcoded-credential.yml"),
    ),
    (
        "rules/token-from-variable.yml",
        include_str!("../../rules/token-from-variable.yml"),
    ),
    (
        "rules/secret-in-fork-pull-request.yml",
        include_str!("../../rules/secret-in-fork-pull-request.yml"),
    ),
    (
        "rules/write-on-fork-pull-request.yml",
        include_str!("../../rules/write-on-fork-pull-request.yml"),
    ),
    (
        "rules/untrusted-checkout.yml",
        include_str!("../../rules/untrusted-checkout.yml"),
    ),
    (
        "rules/long-self-hosted-job-token.yml",
        include_str!("../../rules/long-self-hosted-job-token.yml"),
    ),
    (
        "rules/pages-push-with-github-token.yml",
        include_str!("../../rules/pages-push-with-github-token.yml"),
    ),
    (
        "rules/workflow-file-push.yml",
        include_str!("../../rules/workflow-file-push.yml"),
    ),
    (
        "rules/personal-access-token.yml",
        include_str!("../../rules/personal-access-token.yml"),
    ),
    (
        "rules/token-events-start-no-runs.yml",
        include_str!("../../rules/token-events-start-no-runs.yml"),
    ),
    (
        "rules/replace-tibdex-github-app-token.yml",
        include_str!("../../rules/replace-tibdex-github-app-token.yml"),
    ),
    (
        "rules/unused-ignore.yml",
        include_str!("../../rules/unused-ignore.yml"),
    ),
];

impl Rule {
    /// Reads one rule file, and checks that every `matches:` names a util of the file.
    pub fn parse(name: &str, text: &str) -> Result<Rule, String> {
        let rule: Rule = load::parse(name, text)?;
        let mut refs = Vec::new();
        for m in std::iter::once(&rule.matcher).chain(rule.utils.values()) {
            lang::util_refs(m, &mut refs);
        }
        if let Some(missing) = refs.iter().find(|r| !rule.utils.contains_key(*r)) {
            return Err(format!(
                "{name}: `matches: {missing}` names no entry of `utils:`"
            ));
        }
        Ok(rule)
    }

    /// The JSON Schema of rule files, generated from these types.
    pub fn json_schema() -> String {
        let schema = schemars::schema_for!(Rule);
        serde_json::to_string_pretty(&schema).expect("a schema serialises") + "\n"
    }
}
