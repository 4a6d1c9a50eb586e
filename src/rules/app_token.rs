//! The App-token swap: a job whose events, created with GITHUB_TOKEN, start no runs gets a step
//! that mints a GitHub App installation token (actions/create-github-app-token, pinned), and
//! exactly the token uses that create those events are pointed at it: the action input or
//! environment variable that carries the token, the token written into a script, or, for pushes
//! through checkout's persisted credentials, checkout's `token:`. The App token gets explicit
//! `permission-<scope>` inputs: what the steps that now use it need, nothing more. Where the job
//! commits, its commits are made as the App's bot. Other uses of GITHUB_TOKEN stay as they were.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;
use yaml_rust2::Yaml;

use crate::config::AppToken;
use crate::cst::{Op, Path, Place, Value};
use crate::rules::downstream::Analysed;
use crate::rules::knowledge::Level;
use crate::rules::permissions::Context;
use crate::rules::schema::AppTokenFix;
use crate::workflow::model::{get, scalar};
use crate::workflow::token::{is_github_token, token_vars};
use crate::workflow::{Job, Step, Workflow};

/// The id of the inserted step, and the expression of its token.
const STEP_ID: &str = "app-token";
const TOKEN: &str = "${{ steps.app-token.outputs.token }}";

/// The repository permissions an App token can be narrowed to (`permission-<scope>` inputs of
/// actions/create-github-app-token) among the scopes GITHUB_TOKEN knows; `id-token` and `models`
/// are not App permissions and stay with the job.
const APP_SCOPES: &[&str] = &[
    "actions",
    "attestations",
    "checks",
    "contents",
    "deployments",
    "discussions",
    "issues",
    "packages",
    "pages",
    "pull-requests",
    "security-events",
    "statuses",
];

/// `${{ ... }}` expressions.
static EXPRESSION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\$\{\{[^}]*\}\}").expect("valid regex"));

/// Actions that commit for the job (their commits take the identity the job sets).
const COMMITTING_ACTIONS: &[&str] = &[
    "stefanzweifel/git-auto-commit-action",
    "endbug/add-and-commit",
];

/// The swap for one job: the edits (in order: rewrites of existing steps, then the inserted
/// steps), and the permissions the App token gets, each with the steps that need it.
#[derive(Debug)]
pub struct Plan {
    /// The edits, verified as one batch.
    pub ops: Vec<Op>,
    /// Scope -> level the App token is narrowed to.
    pub permissions: BTreeMap<String, Level>,
    /// Whether the job's commits are made as the App's bot.
    pub sets_identity: bool,
}

/// The swap for the job at `at`, where `creators` are the event creators whose events other
/// workflows wait for. `Err` says why no swap is offered.
pub fn plan(
    a: &Analysed,
    fix: &AppTokenFix,
    at: usize,
    creators: &BTreeSet<&String>,
) -> Result<Plan, String> {
    let (wf, needs, ctx) = (a.wf, &a.needs[at], a.ctx);
    let job = &wf.jobs[at];
    let job_yaml = get(a.root, "jobs").and_then(|j| get(j, &job.id));
    let steps_yaml = job_yaml.and_then(|j| get(j, "steps"));
    if steps_yaml.and_then(|s| s.as_vec()).is_some_and(|s| {
        s.iter()
            .any(|st| get(st, "id").and_then(scalar).as_deref() == Some(STEP_ID))
    }) {
        return Err(format!("the job already has a step with id `{STEP_ID}`"));
    }
    if wf.triggers.iter().any(|t| t == "pull_request") && !same_repository_only(job_yaml) {
        return Err(
            "the workflow runs on pull requests, and on those from forks the App's \
                    secret is empty, so the new step would fail the job: limit the job to \
                    pull requests from this repository first"
                .into(),
        );
    }
    let creating: Vec<usize> = needs
        .steps
        .iter()
        .enumerate()
        .filter(|(_, s)| s.creators.iter().any(|c| creators.contains(c)))
        .map(|(i, _)| i)
        .collect();
    if creating.is_empty() {
        return Err("the events are created where ghfix cannot point a token".into());
    }
    let mut ops = Vec::new();
    let mut touched: BTreeSet<usize> = BTreeSet::new();
    let mut checkout = None;
    for &i in &creating {
        let step = &job.steps[i];
        ops.extend(rewrite_step(ctx, wf, job, step));
        touched.insert(i);
        // An action may push with the checkout's credentials besides its own token: it gets
        // the App token both ways.
        let persisted = job.steps[..i].iter().rposition(is_checkout).filter(|c| {
            let checkout = &job.steps[*c];
            let given = |k: &str| checkout.with.iter().find(|(n, _)| n == k).map(|(_, v)| v);
            given("persist-credentials").is_none_or(|v| v != "false")
                && given("token").is_none_or(|v| is_github_token(v))
        });
        if step.uses.is_some() && persisted.is_some() {
            checkout = persisted;
        }
        if needs.steps[i].git_through_checkout {
            let c = job.steps[..i]
                .iter()
                .rposition(is_checkout)
                .ok_or_else(|| {
                    format!(
                        "step `{}` pushes with credentials no checkout step of the job persisted",
                        step.label
                    )
                })?;
            checkout = Some(c);
        }
    }
    if let Some(c) = checkout {
        if !touched.contains(&c) {
            ops.push(set(
                job.steps[c].path.clone().key("with").key("token"),
                TOKEN,
            ));
        }
        // Every later git command that used the persisted token now uses the App's.
        touched.insert(c);
        touched.extend((c + 1..job.steps.len()).filter(|k| needs.steps[*k].git_through_checkout));
    }
    let mut permissions: BTreeMap<String, Level> = BTreeMap::new();
    for k in &touched {
        for (scope, level) in &needs.steps[*k].scopes {
            if APP_SCOPES.contains(&scope.as_str()) {
                let l = permissions.entry(scope.clone()).or_insert(*level);
                *l = (*l).max(*level);
            }
        }
    }
    if permissions.is_empty() {
        return Err("ghfix cannot tell which permissions the App token needs".into());
    }
    let first = *touched.first().expect("a creating step");
    let steps = job.path.clone().key("steps");
    let sets_identity = job.steps.iter().any(commits);
    if sets_identity {
        ops.push(Op::Insert {
            path: steps.clone().index(first),
            value: identity_step(),
        });
    }
    ops.push(Op::Insert {
        path: steps.clone().index(first),
        value: token_step(fix, a.names, &permissions),
    });
    ops.push(Op::Comment {
        path: steps.index(first).key("uses"),
        text: fix.version.clone(),
    });
    Ok(Plan {
        ops,
        permissions,
        sets_identity,
    })
}

/// Whether a job's `if:` keeps it to pull requests from the repository itself (where secrets
/// are available).
fn same_repository_only(job: Option<&Yaml>) -> bool {
    job.and_then(|j| get(j, "if"))
        .and_then(scalar)
        .is_some_and(|c| c.contains("head.repo") || c.contains(".fork"))
}

fn is_checkout(step: &Step) -> bool {
    step.action().as_deref() == Some("actions/checkout")
}

/// Whether the step makes commits.
fn commits(step: &Step) -> bool {
    step.run
        .as_deref()
        .is_some_and(|r| r.contains("git commit"))
        || step
            .action()
            .is_some_and(|name| COMMITTING_ACTIONS.contains(&name.as_str()))
}

fn set(path: Path, value: &str) -> Op {
    Op::Set {
        path,
        value: Value::String(value.to_string()),
        place: Place::default(),
    }
}

/// The edits that point every way the job's token reaches `step` at the App token: inputs and
/// environment variables that hold it (inherited ones are overridden on the step), the token
/// written into its script, and an action's token input left at its `github.token` default.
fn rewrite_step(ctx: &Context, wf: &Workflow, job: &Job, step: &Step) -> Vec<Op> {
    let mut ops = Vec::new();
    for (k, v) in &step.with {
        if is_github_token(v) {
            ops.push(set(step.path.clone().key("with").key(k.as_str()), TOKEN));
        }
    }
    let layers = [wf.env.as_slice(), job.env.as_slice(), step.env.as_slice()];
    for var in token_vars(layers) {
        ops.push(set(step.path.clone().key("env").key(var.as_str()), TOKEN));
    }
    if let Some(run) = &step.run {
        let found: BTreeSet<&str> = EXPRESSION
            .find_iter(run)
            .map(|m| m.as_str())
            .filter(|e| is_github_token(e))
            .collect();
        for expr in found {
            ops.push(Op::Rewrite {
                path: step.path.clone().key("run"),
                from: expr.to_string(),
                to: TOKEN.to_string(),
            });
        }
    }
    // The input an action takes its token from when none is given (an environment variable
    // set beside it may not be read at all).
    if let Some(uses) = &step.uses {
        for (kind, name) in ctx.defaulted_token_inputs(uses) {
            let path = step.path.clone().key(kind).key(name.as_str());
            let given = if kind == "with" {
                &step.with
            } else {
                &step.env
            };
            if !given.iter().any(|(k, _)| *k == name) && !ops.iter().any(|op| op.path() == &path) {
                ops.push(set(path, TOKEN));
            }
        }
    }
    ops
}

/// The step that mints the token.
fn token_step(fix: &AppTokenFix, names: &AppToken, permissions: &BTreeMap<String, Level>) -> Value {
    let mut with = serde_json::Map::new();
    with.insert(
        "client-id".into(),
        Value::String(format!("${{{{ vars.{} }}}}", names.client_id_variable)),
    );
    with.insert(
        "private-key".into(),
        Value::String(format!("${{{{ secrets.{} }}}}", names.private_key_secret)),
    );
    for (scope, level) in permissions {
        with.insert(
            format!("permission-{scope}"),
            Value::String(level.as_str().to_string()),
        );
    }
    let mut step = serde_json::Map::new();
    step.insert(
        "name".into(),
        Value::String("Create a GitHub App token (its events start workflow runs)".into()),
    );
    step.insert("id".into(), Value::String(STEP_ID.into()));
    step.insert("uses".into(), Value::String(fix.action.clone()));
    step.insert("with".into(), Value::Object(with));
    Value::Object(step)
}

/// The step that makes the job's commits those of the App's bot user
/// (`<slug>[bot]`, `<user id>+<slug>[bot]@users.noreply.github.com`): git reads these
/// variables before any `git config`.
fn identity_step() -> Value {
    let script = "\
user_id=$(gh api \"/users/${APP_SLUG}[bot]\" --jq .id)
{
  echo \"GIT_AUTHOR_NAME=${APP_SLUG}[bot]\"
  echo \"GIT_AUTHOR_EMAIL=${user_id}+${APP_SLUG}[bot]@users.noreply.github.com\"
  echo \"GIT_COMMITTER_NAME=${APP_SLUG}[bot]\"
  echo \"GIT_COMMITTER_EMAIL=${user_id}+${APP_SLUG}[bot]@users.noreply.github.com\"
} >> \"$GITHUB_ENV\"
";
    let mut env = serde_json::Map::new();
    env.insert("GH_TOKEN".into(), Value::String(TOKEN.into()));
    env.insert(
        "APP_SLUG".into(),
        Value::String("${{ steps.app-token.outputs.app-slug }}".into()),
    );
    let mut step = serde_json::Map::new();
    step.insert(
        "name".into(),
        Value::String("Commit as the GitHub App's bot".into()),
    );
    step.insert("run".into(), Value::String(script.into()));
    step.insert("env".into(), Value::Object(env));
    Value::Object(step)
}

/// What the maintainer must set up before the swap works, for the finding's notes.
pub fn setup(names: &AppToken, plan: &Plan) -> String {
    let scopes: Vec<String> = plan
        .permissions
        .iter()
        .map(|(s, l)| format!("{}: {}", title(s), l.as_str()))
        .collect();
    let identity = if plan.sets_identity {
        " (the job's commits will then be made as the App's bot user)"
    } else {
        ""
    };
    format!(
        "before merging the App-token swap: create a GitHub App with the repository permissions \
         {} (and Workflows: write if the job changes files under .github/workflows), install it \
         on this repository, and store its client ID in the variable `{}` and its private key in \
         the secret `{}`{identity}",
        scopes.join(", "),
        names.client_id_variable,
        names.private_key_secret
    )
}

/// `pull-requests` → `Pull requests`, as GitHub's App settings name it.
fn title(scope: &str) -> String {
    let words = scope.replace('-', " ");
    let mut chars = words.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_names_read_as_in_the_app_settings() {
        assert_eq!(title("pull-requests"), "Pull requests");
        assert_eq!(title("contents"), "Contents");
    }
}
