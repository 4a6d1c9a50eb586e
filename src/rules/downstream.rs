//! Downstream triggers: the events a job creates with GITHUB_TOKEN (pushes, tags, releases,
//! opened pull requests) that another workflow of the same repository listens for. Events the
//! token causes start no new runs (except `workflow_dispatch` and `repository_dispatch`), and
//! pull requests it opens or updates get runs that wait for approval. Only certain matches count:
//! a listener narrowed by branch, tag or path filters (the analysis does not know the ref a step
//! writes), by activity types the creator does not cause, or whose every job skips the Actions
//! bot, is left out, and so is the creating workflow itself (a self-trigger). Releases count
//! only when published (not drafts, not uploads to the release that started the workflow), pull
//! requests only when opened or updated, pushes not when they publish a Pages branch.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::LazyLock;

use serde::Deserialize;

use yaml_rust2::Yaml;

use crate::config::AppToken;
use crate::rules::app_token;
use crate::rules::engine::Finding;
use crate::rules::permissions::{Context, Needs};
use crate::rules::schema::Rule;
use crate::workflow::listeners::{self, ByEvent, Listener};
use crate::workflow::Workflow;

/// `rules/knowledge/events.yml`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct EventFacts {
    pull_request_openers: Creators,
    release_publishers: Creators,
    pages_publishers: Creators,
    pull_request_types: Vec<String>,
    release_types: Vec<String>,
    /// Action (owner/repo) -> the branch pattern it pushes to.
    pushed_branches: BTreeMap<String, String>,
}

/// Steps known by the command they run or the action they use.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Creators {
    commands: Vec<String>,
    actions: Vec<String>,
}

impl Creators {
    /// Whether a creator (`step `X` (owner/repo)`, `step `X` (`gh pr create ...`)`) is one.
    fn contain(&self, creator: &str) -> bool {
        let lower = creator.to_lowercase();
        self.commands.iter().any(|c| creator.contains(c.as_str()))
            || self
                .actions
                .iter()
                .any(|a| lower.contains(&format!("({})", a.to_lowercase())))
    }
}

static FACTS: LazyLock<EventFacts> = LazyLock::new(|| {
    crate::rules::load::parse(
        "rules/knowledge/events.yml",
        include_str!("../../rules/knowledge/events.yml"),
    )
    .expect("the shipped event facts parse")
});

/// Whether `creator` causes `event` in a form listeners receive: pull requests opened or
/// updated, releases published; pushes other than to a Pages branch.
fn counts(event: &str, creator: &str) -> bool {
    match event {
        "pull_request" => FACTS.pull_request_openers.contain(creator),
        "release" => FACTS.release_publishers.contain(creator),
        "push" | "create" => !FACTS.pages_publishers.contain(creator),
        _ => true,
    }
}

/// The branch a creator of the job at `at` pushes to, when the knowledge base knows it (a bot's
/// pull request branch, or the branch its step names).
fn pushed_branch(wf: &Workflow, at: usize, n: &Needs, creator: &str) -> Option<String> {
    let lower = creator.to_lowercase();
    let (action, pattern) = FACTS
        .pushed_branches
        .iter()
        .find(|(action, _)| lower.ends_with(&format!("({})", action.to_lowercase())))?;
    let step = n.steps.iter().position(|s| s.creators.contains(creator))?;
    let named = wf.jobs[at]
        .steps
        .get(step)?
        .with
        .iter()
        .find(|(k, _)| k == "branch" && action == "peter-evans/create-pull-request")
        .map(|(_, v)| v.clone());
    match named {
        Some(b) if b.contains("${{") => None,
        Some(b) => Some(b),
        None => Some(pattern.replace("**", "x")),
    }
}

/// The events a listener must be on to receive `event`, and what the creator does.
fn listened_as(event: &str) -> Option<(&'static [&'static str], &'static str)> {
    Some(match event {
        "push" => (&["push"], "pushes"),
        "create" => (&["create"], "creates tags or branches"),
        "release" => (&["release"], "publishes releases"),
        // Only `pull_request` is documented to wait for approval; what `pull_request_target`
        // does then is not claimed.
        "pull_request" => (&["pull_request"], "opens or updates pull requests"),
        _ => return None,
    })
}

/// Whether `listener` certainly receives the creator's `event`.
fn receives(listener: &Listener, event: &str) -> bool {
    listener.filters.is_empty() && !listener.humans_only && accepts_type(listener, event)
}

/// Whether `listener`'s activity types include those the creator's `event` has.
fn accepts_type(listener: &Listener, event: &str) -> bool {
    let wanted: &[String] = match event {
        "pull_request" => &FACTS.pull_request_types,
        "release" => &FACTS.release_types,
        _ => return listener.types.is_none(),
    };
    listener
        .types
        .as_ref()
        .is_none_or(|types| types.iter().any(|t| wanted.contains(t)))
}

/// What the downstream analysis of one file reads.
pub struct Analysed<'a, 'k> {
    /// The rule.
    pub rule: &'a Rule,
    /// The analysis context (knowledge and repository).
    pub ctx: &'a Context<'k>,
    /// The names the App-token swap writes.
    pub names: &'a AppToken,
    /// The file's name.
    pub name: &'a str,
    /// The file's text.
    pub text: &'a str,
    /// The index of the document in the file.
    pub index: usize,
    /// The document's meaning.
    pub root: &'a Yaml,
    /// Its model.
    pub wf: &'a Workflow,
    /// What each job needs.
    pub needs: &'a [Needs],
}

/// What a job's events reach: the message parts, the creators whose events other workflows
/// wait for, and whether its own workflow would start again on them.
struct Reach {
    parts: Vec<String>,
    creators: BTreeSet<String>,
    /// The workflow listens for an event the job creates that is not a pull request update: an
    /// App token would start it again (a loop when the job pushes on every run).
    loops: Option<String>,
}

/// Whether the job pushes to the branch of the pull request that started the workflow (its
/// checkout asks for the head ref): its pushes then update that pull request.
fn pushes_to_pull_request(wf: &Workflow, at: usize) -> bool {
    wf.triggers
        .iter()
        .any(|t| t == "pull_request" || t == "pull_request_target")
        && wf.jobs[at].steps.iter().any(|s| {
            s.action().as_deref() == Some("actions/checkout")
                && s.with.iter().any(|(k, v)| {
                    k == "ref" && (v.contains("head_ref") || v.contains("pull_request.head.ref"))
                })
        })
}

/// Where the events of the job at `at` go.
fn reach(wf: &Workflow, all: &ByEvent, own: &str, at: usize, n: &Needs) -> Reach {
    // A workflow started by a release that "publishes" one is uploading to that release.
    let on_release = wf.triggers.iter().any(|t| t == "release");
    let mut events = n.events.clone();
    let pr_push = pushes_to_pull_request(wf, at);
    if pr_push {
        let pushers = events.get("push").cloned().unwrap_or_default();
        events
            .entry("pull_request".into())
            .or_default()
            .extend(pushers);
    }
    // Creators that update a pull request only by pushing to its branch.
    let updates = |event: &str, c: &str| {
        pr_push
            && event == "pull_request"
            && !counts(event, c)
            && n.events.get("push").is_some_and(|p| p.contains(c))
    };
    let mut reach = Reach {
        parts: Vec::new(),
        creators: BTreeSet::new(),
        loops: None,
    };
    for (event, creators) in &events {
        let Some((on, verb)) = listened_as(event) else {
            continue;
        };
        if event == "release" && on_release {
            continue;
        }
        let creators: BTreeSet<&String> = creators
            .iter()
            .filter(|c| counts(event, c) || updates(event, c))
            .collect();
        if creators.is_empty() {
            continue;
        }
        let heard: Vec<&Listener> = on.iter().filter_map(|e| all.get(*e)).flatten().collect();
        let mut by_event: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        let mut rerun = false;
        for l in &heard {
            if l.file != own {
                if receives(l, event) {
                    by_event.entry(&l.event).or_default().insert(&l.file);
                }
                continue;
            }
            // The workflow itself: any listener that may fire, filters and bot checks aside
            // (an App's bot is not the Actions bot).
            if !accepts_type(l, event) {
                continue;
            }
            let elsewhere = event == "push"
                && creators.iter().all(|c| {
                    pushed_branch(wf, at, n, c).is_some_and(|b| l.hears_branch(&b) == Some(false))
                });
            if event == "pull_request" {
                rerun = true;
            } else if !elsewhere && reach.loops.is_none() {
                reach.loops = Some(format!(
                    "`{own}` listens for {event} itself: with an App token the job's {event} \
                     events would start it again, a loop when the job creates them on every \
                     run; no App-token swap is offered"
                ));
            }
        }
        if by_event.is_empty() && !rerun {
            continue;
        }
        let who: Vec<&str> = creators.iter().map(|c| c.as_str()).collect();
        let mut listeners: Vec<String> = by_event
            .iter()
            .map(|(e, files)| {
                // A few names; the count says the rest.
                let mut shown: Vec<String> =
                    files.iter().take(3).map(|f| format!("`{f}`")).collect();
                if files.len() > 3 {
                    shown.push(format!("{} more", files.len() - 3));
                }
                let verb = if files.len() == 1 {
                    "listens"
                } else {
                    "listen"
                };
                format!("{} {verb} for {e} ({})", shown.join(", "), consequence(e))
            })
            .collect();
        if rerun {
            listeners.push(format!(
                "`{own}` itself listens for pull_request ({}; with an App token the new commit \
                 runs it again, which ends when the job finds nothing more to push)",
                consequence("pull_request")
            ));
        }
        let verb = if creators.iter().all(|c| updates(event, c)) {
            "pushes to the pull request's branch"
        } else {
            verb
        };
        reach.parts.push(format!(
            "{} {verb}, and {}",
            who.join(" and "),
            listeners.join(" and ")
        ));
        reach.creators.extend(creators.into_iter().cloned());
    }
    reach
}

/// What GITHUB_TOKEN's events do to a listener of `event`.
fn consequence(event: &str) -> &'static str {
    if event.starts_with("pull_request") {
        "its runs wait for approval by someone with write access"
    } else {
        "no run starts"
    }
}

/// The findings of the rule for the jobs of the file marked in `keep`, with the App-token swap
/// when the rule has one and a document to edit.
pub fn findings(a: &Analysed, keep: &[bool]) -> Vec<Finding> {
    let Some(root) = a.ctx.repo.root.as_deref() else {
        return Vec::new();
    };
    let own = Path::new(a.name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Read only when some job creates events.
    let any_events = a
        .needs
        .iter()
        .zip(keep)
        .any(|(n, k)| *k && !n.events.is_empty());
    if !any_events {
        return Vec::new();
    }
    let all = listeners::of_repo(root);
    let mut out = Vec::new();
    for (at, job) in a.wf.jobs.iter().enumerate().filter(|(i, _)| keep[*i]) {
        let n = &a.needs[at];
        // A job that dispatches the downstream run itself needs no other token.
        if n.events.contains_key("workflow_dispatch")
            || n.events.contains_key("repository_dispatch")
        {
            continue;
        }
        let reach = reach(a.wf, &all, &own, at, n);
        if reach.parts.is_empty() {
            continue;
        }
        let message = a
            .rule
            .summary
            .replace("{job}", &job.id)
            .replace("{details}", &reach.parts.join("; "));
        let mut finding = Finding::new(a.rule, &job.path, message);
        if let Some(fix) = &a.rule.fix.app_token {
            if let Some(why) = reach.loops {
                finding.notes.push(why);
            } else {
                let creators: BTreeSet<&String> = reach.creators.iter().collect();
                let planned = app_token::plan(a, fix, at, &creators)
                    .and_then(|plan| verify(a, &all, &own, at, plan));
                match planned {
                    Ok(plan) => {
                        finding.notes.push(app_token::setup(a.names, &plan));
                        finding.ops = plan.ops;
                    }
                    Err(why) => finding
                        .notes
                        .push(format!("no App-token swap offered: {why}")),
                }
            }
        }
        out.push(finding);
    }
    out
}

/// Checks a planned swap by analysing the job as it would be written: it must create no event
/// that other workflows wait for with GITHUB_TOKEN any more, and be no less understood than
/// before.
fn verify(
    a: &Analysed,
    all: &ByEvent,
    own: &str,
    at: usize,
    plan: app_token::Plan,
) -> Result<app_token::Plan, String> {
    // The job as the swap declares it (the editor writes exactly this meaning, or refuses):
    // no syntax tree is needed to tell what it would do.
    let mut docs = vec![Yaml::Null; a.index + 1];
    docs[a.index] = a.root.clone();
    for op in &plan.ops {
        crate::cst::verify::expect(&mut docs, op).map_err(|e| e.to_string())?;
    }
    let root = &docs[a.index];
    let wf = Workflow::from_yaml(root);
    // The version comments of the file's pins; the inserted App-token action is known for
    // every major version, so its own comment is not needed.
    let ctx = Context::new(a.ctx.kb, a.ctx.repo, a.text);
    let job = &wf.jobs[at];
    let after = ctx.job(&wf, job);
    let left = reach(&wf, all, own, at, &after);
    if let Some(part) = left.parts.first() {
        return Err(format!(
            "the job would still create these events with GITHUB_TOKEN: {part}"
        ));
    }
    if after.unknown.len() > a.needs[at].unknown.len() {
        return Err(format!(
            "after the swap ghfix could not read the job: {}",
            after.unknown.last().map(String::as_str).unwrap_or_default()
        ));
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openers_and_activity_types() {
        assert!(counts("pull_request", "step `Release` (changesets/action)"));
        assert!(counts("pull_request", "step `x` (`gh pr create --fill`)"));
        assert!(!counts(
            "pull_request",
            "step `x` (`gh pr comment 1 --body hi`)"
        ));
        assert!(!counts(
            "release",
            "step `x` (release-drafter/release-drafter)"
        ));
        assert!(!counts(
            "push",
            "step `x` (JamesIves/github-pages-deploy-action)"
        ));
        let l = |types: Option<Vec<&str>>, filters: Vec<&str>| Listener {
            file: "ci.yml".into(),
            event: "pull_request".into(),
            types: types.map(|t| t.into_iter().map(String::from).collect()),
            filters: filters.into_iter().map(String::from).collect(),
            branches: None,
            branches_ignore: None,
            humans_only: false,
        };
        assert!(receives(&l(None, vec![]), "pull_request"));
        assert!(receives(
            &l(Some(vec!["opened", "labeled"]), vec![]),
            "pull_request"
        ));
        assert!(!receives(&l(Some(vec!["labeled"]), vec![]), "pull_request"));
        assert!(!receives(&l(None, vec!["branches"]), "pull_request"));
    }
}
