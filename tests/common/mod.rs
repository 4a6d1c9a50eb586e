//! Helpers shared by the integration tests: where the shared corpus and test suite live.

#![allow(dead_code)]

pub mod layout;

use std::path::{Path, PathBuf};

/// `../shared` beside the crate, as CI lays it out.
pub fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("shared")
}

/// The corpus files (workflows and local actions).
pub fn corpus() -> Vec<PathBuf> {
    let files = ghfix::files::yaml_files(&shared().join("corpus"), &|_| true);
    assert!(
        files.len() > 300,
        "the shared corpus was not found beside the crate ({} files)",
        files.len()
    );
    files
}

/// Paths of the values in `value` (mappings only when `mappings_only`), skipping non-scalar keys;
/// `path` is the prefix.
pub fn yaml_paths(
    value: &yaml_rust2::Yaml,
    path: &mut ghfix::cst::Path,
    mappings_only: bool,
    out: &mut Vec<ghfix::cst::Path>,
) {
    use ghfix::cst::Segment;
    use yaml_rust2::Yaml;
    let is_mapping = matches!(value, Yaml::Hash(_));
    if (is_mapping || !mappings_only) && (mappings_only || !path.segments.is_empty()) {
        out.push(path.clone());
    }
    match value {
        Yaml::Hash(h) => {
            for (k, v) in h {
                let Some(k) = ghfix::cst::verify::key_text(k) else {
                    continue;
                };
                path.segments.push(Segment::Key(k));
                yaml_paths(v, path, mappings_only, out);
                path.segments.pop();
            }
        }
        Yaml::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                path.segments.push(Segment::Index(i));
                yaml_paths(v, path, mappings_only, out);
                path.segments.pop();
            }
        }
        _ => {}
    }
}
