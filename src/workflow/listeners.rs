//! Who listens: the events each workflow of a repository starts on, with what narrows them
//! (activity types; branch, tag and path filters; jobs that skip the Actions bot). Read once per
//! repository and shared by every file of the run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use regex::Regex;
use yaml_rust2::Yaml;

use crate::workflow::model::scalar;

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
    /// Every job of the workflow is skipped when the Actions bot caused the event.
    pub humans_only: bool,
}

static BOT_SKIPPED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(actor|triggering_actor|sender\.login)\s*!=\s*['"]github-actions\[bot\]['"]|sender\.type\s*!=\s*['"]Bot['"]|!\s*(endsWith|contains)\(\s*github\.(actor|triggering_actor)\s*,\s*['"]\[bot\]['"]\s*\)"#,
    )
    .expect("valid regex")
});

fn get<'y>(y: &'y Yaml, key: &str) -> Option<&'y Yaml> {
    match y {
        Yaml::Hash(h) => h
            .iter()
            .find(|(k, _)| scalar(k).as_deref() == Some(key))
            .map(|(_, v)| v),
        _ => None,
    }
}

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

/// The listeners of a repository by event.
pub type ByEvent = HashMap<String, Vec<Listener>>;

type Cache = Mutex<HashMap<PathBuf, Arc<OnceLock<ByEvent>>>>;

static CACHE: LazyLock<Cache> = LazyLock::new(Cache::default);

/// Every listener of the repository at `root` (its `.github/workflows/*.yml|yaml`) by event,
/// read once per run: other threads asking meanwhile wait for the same read.
pub fn of_repo(root: &Path) -> Arc<OnceLock<ByEvent>> {
    let cell = CACHE
        .lock()
        .expect("not poisoned")
        .entry(root.to_path_buf())
        .or_default()
        .clone();
    cell.get_or_init(|| read(root));
    cell
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
            let Ok(docs) = crate::cst::load::load_text(&text) else {
                return Vec::new();
            };
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            docs.first()
                .map(|root| of_workflow(&name, root))
                .unwrap_or_default()
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
}
