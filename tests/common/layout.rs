//! Lays a shared corpus (`workflows/<owner>__<repo>__.github__workflows__<file>`,
//! `actions/<owner>__<repo>__<path>`) back out as repositories, so that local actions and
//! reusable workflows resolve as they would in each repository, with a `.git/config` naming its
//! GitHub remote. Shared by the corpus tests and
//! `examples/measure.rs`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The repository and the path inside it of a corpus file name.
fn split(name: &str) -> Option<(String, PathBuf)> {
    let mut parts = name.split("__");
    let owner = parts.next()?;
    let repo = parts.next()?;
    let rest: Vec<&str> = parts.collect();
    if rest.is_empty() {
        return None;
    }
    Some((format!("{owner}__{repo}"), rest.iter().collect()))
}

/// Copies `corpus` into `into`, one folder a repository; returns each repository's folder and its
/// workflow files.
pub fn lay_out(corpus: &Path, into: &Path) -> BTreeMap<PathBuf, Vec<PathBuf>> {
    let mut repos: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    for kind in ["workflows", "actions"] {
        let Ok(entries) = std::fs::read_dir(corpus.join(kind)) else {
            continue;
        };
        for e in entries.flatten().filter(|e| e.path().is_file()) {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some((repo, inside)) = split(&name) else {
                continue;
            };
            let inside = if kind == "workflows" {
                Path::new(".github/workflows").join(inside.file_name().unwrap_or_default())
            } else {
                inside
            };
            let root = into.join(&repo);
            let at = root.join(&inside);
            std::fs::create_dir_all(at.parent().expect("a parent")).expect("create");
            std::fs::copy(e.path(), &at).expect("copy");
            let workflows = repos.entry(root).or_default();
            if kind == "workflows" {
                workflows.push(at);
            }
        }
    }
    // Each repository knows its GitHub name, as a clone does (its own action, `uses: ./`, is
    // then known by that name).
    for root in repos.keys() {
        let name = root.file_name().unwrap_or_default().to_string_lossy();
        if let Some((owner, repo)) = name.split_once("__") {
            let config =
                format!("[remote \"origin\"]\n\turl = https://github.com/{owner}/{repo}.git\n");
            std::fs::create_dir_all(root.join(".git")).expect("create");
            std::fs::write(root.join(".git/config"), config).expect("write");
        }
    }
    repos.retain(|_, w| !w.is_empty());
    for w in repos.values_mut() {
        w.sort();
    }
    repos
}
