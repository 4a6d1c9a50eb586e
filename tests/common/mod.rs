//! Helpers shared by the integration tests: where the shared corpus and test suite live.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `../shared` beside the crate, as CI lays it out.
pub fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("shared")
}

/// Every `.yml`/`.yaml` file under `dir`, sorted.
pub fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if matches!(p.extension().and_then(|x| x.to_str()), Some("yml" | "yaml")) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The corpus files (workflows and local actions).
pub fn corpus() -> Vec<PathBuf> {
    let files = yaml_files(&shared().join("corpus"));
    assert!(
        files.len() > 300,
        "the shared corpus was not found beside the crate ({} files)",
        files.len()
    );
    files
}
