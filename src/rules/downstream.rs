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

use crate::rules::engine::Finding;
use crate::rules::permissions::{Needs, Repo};
use crate::rules::schema::Rule;
use crate::workflow::listeners::{self, Listener};
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
    if !listener.filters.is_empty() || listener.humans_only {
        return false;
    }
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

/// The findings of `rule` for the jobs of `wf` (in the file shown as `name`) marked in `keep`.
pub fn findings(
    rule: &Rule,
    repo: &Repo,
    name: &str,
    wf: &Workflow,
    needs: &[Needs],
    keep: &[bool],
) -> Vec<Finding> {
    let Some(root) = repo.root.as_deref() else {
        return Vec::new();
    };
    let own = Path::new(name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Read only when some job creates events.
    let any_events = wf
        .jobs
        .iter()
        .zip(needs)
        .zip(keep)
        .any(|((_, n), k)| *k && !n.events.is_empty());
    if !any_events {
        return Vec::new();
    }
    let all = listeners::of_repo(root);
    // A workflow started by a release that "publishes" one is uploading to that release.
    let on_release = wf.triggers.iter().any(|t| t == "release");
    let mut out = Vec::new();
    for ((job, n), _) in wf.jobs.iter().zip(needs).zip(keep).filter(|(_, k)| **k) {
        // A job that dispatches the downstream run itself needs no other token.
        if n.events.contains_key("workflow_dispatch")
            || n.events.contains_key("repository_dispatch")
        {
            continue;
        }
        let mut parts = Vec::new();
        for (event, creators) in &n.events {
            let Some((on, verb)) = listened_as(event) else {
                continue;
            };
            if event == "release" && on_release {
                continue;
            }
            let creators: BTreeSet<&String> =
                creators.iter().filter(|c| counts(event, c)).collect();
            if creators.is_empty() {
                continue;
            }
            let mut by_event: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
            for l in on.iter().filter_map(|e| all.get(*e)).flatten() {
                if l.file != own && receives(l, event) {
                    by_event.entry(&l.event).or_default().insert(&l.file);
                }
            }
            if by_event.is_empty() {
                continue;
            }
            let who: Vec<&str> = creators.iter().map(|c| c.as_str()).collect();
            let listeners: Vec<String> = by_event
                .iter()
                .map(|(e, files)| {
                    // A few names; the count says the rest.
                    let mut shown: Vec<String> =
                        files.iter().take(3).map(|f| format!("`{f}`")).collect();
                    if files.len() > 3 {
                        shown.push(format!("{} more", files.len() - 3));
                    }
                    let consequence = if e.starts_with("pull_request") {
                        "its runs wait for approval by someone with write access"
                    } else {
                        "no run starts"
                    };
                    let verb = if files.len() == 1 {
                        "listens"
                    } else {
                        "listen"
                    };
                    format!("{} {verb} for {e} ({consequence})", shown.join(", "))
                })
                .collect();
            parts.push(format!(
                "{} {verb}, and {}",
                who.join(" and "),
                listeners.join(" and ")
            ));
        }
        if parts.is_empty() {
            continue;
        }
        let message = rule
            .summary
            .replace("{job}", &job.id)
            .replace("{details}", &parts.join("; "));
        out.push(Finding::new(rule, &job.path, message));
    }
    out
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
