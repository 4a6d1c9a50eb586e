//! Who listens: the events each workflow of a repository starts on, with what narrows them
//! (activity types; branch, tag and path filters; jobs that skip the Actions bot). Read once per
//! repository and shared by every file of the run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use regex::Regex;
use yaml_rust2::Yaml;

use crate::workflow::model::{get, scalar};

/// One event a workflow starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    /// The workflow's file name (`ci.yml`).
    pub file: String,
    /// The event (`push`, `pull_request` ...).
    pub event: String,
    /// `types:`, when the workflow narrows the event's activity types.
    pub types: Option<Vec<String>>,
    /// The filters it sets (`branches`, `tags-ignore`, `paths` ...).
    pub filters: Vec<String>,
    /// The patterns of its `branches:` filter.
    pub branches: Option<Vec<String>>,
    /// The patterns of its `branches-ignore:` filter.
    pub branches_ignore: Option<Vec<String>>,
    /// Every job of the workflow is skipped when the Actions bot caused the event.
    pub humans_only: bool,
}

static BOT_SKIPPED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(actor|triggering_actor|sender\.login)\s*!=\s*['"]github-actions\[bot\]['"]|sender\.type\s*!=\s*['"]Bot['"]|!\s*(endsWith|contains)\(\s*github\.(actor|triggering_actor)\s*,\s*['"]\[bot\]['"]\s*\)"#,
    )
    .expect("valid regex")
});

fn strings(y: Option<&Yaml>) -> Option<Vec<String>> {
    match y? {
        Yaml::Array(a) => Some(a.iter().filter_map(scalar).collect()),
        other => scalar(other).map(|s| vec![s]),
    }
}

/// The events the workflow `root` (in the file named `file`) starts on.
pub fn of_workflow(file: &str, root: &Yaml) -> Vec<Listener> {
    let humans_only = match get(root, "jobs") {
        Some(Yaml::Hash(jobs)) if !jobs.is_empty() => jobs.values().all(|job| {
            get(job, "if")
                .and_then(scalar)
                .is_some_and(|c| BOT_SKIPPED.is_match(&c))
        }),
        _ => false,
    };
    let listener = |event: String, config: Option<&Yaml>| {
        let filters = [
            "branches",
            "branches-ignore",
            "tags",
            "tags-ignore",
            "paths",
            "paths-ignore",
        ]
        .into_iter()
        .filter(|f| config.is_some_and(|c| get(c, f).is_some()))
        .map(str::to_string)
        .collect();
        Listener {
            file: file.to_string(),
            event,
            types: config.and_then(|c| strings(get(c, "types"))),
            filters,
            branches: config.and_then(|c| strings(get(c, "branches"))),
            branches_ignore: config.and_then(|c| strings(get(c, "branches-ignore"))),
            humans_only,
        }
    };
    match get(root, "on") {
        Some(Yaml::Hash(h)) => h
            .iter()
            .filter_map(|(k, v)| Some(listener(scalar(k)?, Some(v))))
            .collect(),
        Some(Yaml::Array(a)) => a
            .iter()
            .filter_map(scalar)
            .map(|e| listener(e, None))
            .collect(),
        Some(other) => scalar(other)
            .map(|e| listener(e, None))
            .into_iter()
            .collect(),
        None => Vec::new(),
    }
}

impl Listener {
    /// Whether a push to `branch` starts the workflow, as far as its filters tell: `None` when
    /// its branch filters let it through and others (paths, tags) decide too.
    pub fn hears_branch(&self, branch: &str) -> Option<bool> {
        let matches = |patterns: &[String]| {
            patterns.iter().any(|p| {
                globset::GlobBuilder::new(p)
                    .literal_separator(true)
                    .build()
                    .is_ok_and(|g| g.compile_matcher().is_match(branch))
            })
        };
        let by_branch = match (&self.branches, &self.branches_ignore) {
            (Some(b), _) => matches(b),
            (None, Some(ignored)) => !matches(ignored),
            (None, None) => true,
        };
        // Every filter must let the push through: the branch filters alone can shut it out.
        let others = self
            .filters
            .iter()
            .any(|f| f != "branches" && f != "branches-ignore");
        match (by_branch, others) {
            (false, _) => Some(false),
            (true, true) => None,
            (true, false) => Some(true),
        }
    }
}

/// The listeners of a repository by event.
pub type ByEvent = HashMap<String, Vec<Listener>>;

/// The top-level `on:` entry of a workflow's text (from its line to the next top-level key),
/// when it is written as a block key at the start of a line.
fn on_block(text: &str) -> Option<&str> {
    let mut start = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        // An indentless sequence (`- push` under `on:`) belongs to the entry; `---` ends it.
        let item = line.starts_with('-') && !line.starts_with("---");
        let top_level =
            !line.starts_with([' ', '\t', '#', '\r', '\n']) && !item && !line.is_empty();
        match start {
            None if ["on:", "\"on\":", "'on':"]
                .iter()
                .any(|k| line.starts_with(k)) =>
            {
                start = Some(offset);
            }
            Some(s) if top_level => return Some(&text[s..offset]),
            _ => {}
        }
        offset += line.len();
    }
    start.map(|s| &text[s..])
}

/// [`of_workflow`] for a text, reading only its `on:` entry when that is enough: the whole file
/// is loaded only when the `on:` entry cannot be cut out on its own, or when a job may skip the
/// Actions bot.
pub fn of_text(file: &str, text: &str) -> Vec<Listener> {
    // What [`BOT_SKIPPED`] needs: `[bot]`, or `Bot` before its closing quote (written `'`, `"`,
    // `''` or `\"` in the file).
    let may_skip_bots = text.contains("[bot]")
        || text
            .match_indices("Bot")
            .any(|(i, _)| matches!(text.as_bytes().get(i + 3), Some(b'\'' | b'"' | b'\\')));
    if !may_skip_bots {
        if let Some(Ok(docs)) = on_block(text).map(crate::cst::load::load_text) {
            if let Some(root) = docs.first().filter(|r| get(r, "on").is_some()) {
                return of_workflow(file, root);
            }
        }
    }
    match crate::cst::load::load_text(text) {
        Ok(docs) => docs
            .first()
            .map(|root| of_workflow(file, root))
            .unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

type Cache = Mutex<HashMap<PathBuf, Arc<OnceLock<Arc<ByEvent>>>>>;

static CACHE: LazyLock<Cache> = LazyLock::new(Cache::default);

/// Every listener of the repository at `root` (its `.github/workflows/*.yml|yaml`) by event,
/// read once per run: other threads asking meanwhile wait for the same read.
pub fn of_repo(root: &Path) -> Arc<ByEvent> {
    let cell = CACHE
        .lock()
        .expect("not poisoned")
        .entry(root.to_path_buf())
        .or_default()
        .clone();
    cell.get_or_init(|| Arc::new(read(root))).clone()
}

fn read(root: &Path) -> ByEvent {
    use rayon::prelude::*;
    let dir = root.join(".github").join("workflows");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    files.sort();
    let all: Vec<Vec<Listener>> = files
        .par_iter()
        .map(|path| {
            let Ok(text) = crate::files::read_text(path, path) else {
                return Vec::new();
            };
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            of_text(&name, &text)
        })
        .collect();
    let mut by_event = ByEvent::new();
    for l in all.into_iter().flatten() {
        by_event.entry(l.event.clone()).or_default().push(l);
    }
    by_event
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Yaml {
        yaml_rust2::YamlLoader::load_from_str(text)
            .unwrap()
            .remove(0)
    }

    #[test]
    fn reading_only_the_on_entry_agrees_with_the_whole_file_on_the_corpora() {
        let mut compared = 0;
        for corpus in ["../shared/corpus/workflows", "../shared/corpus-2/workflows"] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(corpus);
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let Ok(text) = std::fs::read_to_string(entry.path()) else {
                    continue;
                };
                let Ok(docs) = crate::cst::load::load_text(&text) else {
                    continue;
                };
                let Some(root) = docs.first() else { continue };
                assert_eq!(
                    of_text("w.yml", &text),
                    of_workflow("w.yml", root),
                    "{}",
                    entry.path().display()
                );
                compared += 1;
            }
        }
        assert!(compared > 2000, "{compared}");
    }

    #[test]
    fn a_bot_condition_in_any_quoting_is_read_from_the_text() {
        for condition in [
            "'github.event.sender.type != ''Bot'''",
            "\"github.event.sender.type != \\\"Bot\\\"\"",
            "github.event.sender.type != \"Bot\"",
            "${{ !endsWith(github.actor, '[bot]') }}",
        ] {
            let text = format!("on: push\njobs:\n  a:\n    if: {condition}\n    runs-on: x\n");
            let l = of_text("w.yml", &text);
            assert!(l.len() == 1 && l[0].humans_only, "{condition}");
        }
        // `Both` is no bot condition: the `on:` entry alone is read.
        let text = "on: push\n# Both\njobs:\n  a:\n    runs-on: x\n";
        assert!(!of_text("w.yml", text)[0].humans_only);
    }

    #[test]
    fn events_filters_and_bot_conditions_are_read() {
        let wf = load(
            "on:\n  push:\n    branches: [main]\n  pull_request:\n    types: [opened, labeled]\n  release:\njobs:\n  a:\n    if: github.actor != 'github-actions[bot]'\n    runs-on: x\n",
        );
        let l = of_workflow("ci.yml", &wf);
        assert_eq!(l.len(), 3);
        assert_eq!(l[0].filters, vec!["branches"]);
        assert_eq!(
            l[1].types,
            Some(vec!["opened".to_string(), "labeled".to_string()])
        );
        assert!(l[2].types.is_none() && l.iter().all(|x| x.humans_only));
        let wf = load("on: [push, pull_request]\njobs:\n  a:\n    runs-on: x\n");
        let l = of_workflow("ci.yml", &wf);
        assert_eq!(l.len(), 2);
        assert!(!l[0].humans_only && l[0].filters.is_empty());
    }

    #[test]
    fn branch_filters_decide_whether_a_push_is_heard() {
        let wf = load(
            "on:\n  push:\n    branches: [main, 'release/*']\n    paths: ['src/**']\n  pull_request:\n    branches-ignore: ['changeset-release/**']\njobs:\n  a:\n    runs-on: x\n",
        );
        let l = of_workflow("ci.yml", &wf);
        // Paths decide once the branch passes; a branch outside the filter is never heard.
        assert_eq!(l[0].hears_branch("main"), None);
        assert_eq!(l[0].hears_branch("changeset-release/main"), Some(false));
        assert_eq!(l[0].hears_branch("release/a/b"), Some(false));
        assert_eq!(l[1].hears_branch("changeset-release/main"), Some(false));
        assert_eq!(l[1].hears_branch("fix"), Some(true));
    }
}
