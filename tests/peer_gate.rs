//! Regression gate over other tools' test data (tests/peer/: zizmor's and actionlint's workflow
//! and action inputs, many of them deliberately broken): `check` and `apply --unsafe` never
//! panic, every output parses, nothing but `permissions:` changes, and a second apply changes
//! nothing. `cargo test --test peer_gate -- --nocapture` prints the counts.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use ghfix::cst::Document;
use ghfix::rules::engine::Engine;
use ghfix::rules::permissions::Repo;
use yaml_rust2::Yaml;

fn peer_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peer");
    ghfix::files::yaml_files(&dir, &|_| true)
}

/// The meaning of a workflow without its `permissions:` blocks (top level and jobs).
fn without_permissions(doc: &Yaml) -> Yaml {
    let mut doc = doc.clone();
    if let Yaml::Hash(top) = &mut doc {
        top.remove(&Yaml::String("permissions".into()));
        if let Some(Yaml::Hash(jobs)) = top.get_mut(&Yaml::String("jobs".into())) {
            for (_, job) in jobs.iter_mut() {
                if let Yaml::Hash(job) = job {
                    job.remove(&Yaml::String("permissions".into()));
                }
            }
        }
    }
    doc
}

#[derive(Default, Debug)]
struct Counts {
    files: usize,
    rejected: usize,
    checked: usize,
    changed: usize,
    refused: usize,
}

#[test]
fn peer_test_data_is_handled_safely() {
    let files = peer_files();
    assert!(
        files.len() > 100,
        "tests/peer holds only {} YAML files",
        files.len()
    );
    let engine = Engine::load(None).unwrap();
    let mut counts = Counts::default();
    let mut failures = Vec::new();
    for file in &files {
        counts.files += 1;
        let Ok(text) = std::fs::read_to_string(file) else {
            counts.rejected += 1;
            continue;
        };
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let shown = file.display().to_string();
        let outcome = catch_unwind(AssertUnwindSafe(|| -> Result<(), String> {
            let checked = engine.check_text(&Repo::default(), &name, &text, &[]);
            let doc = match Document::parse(text.clone()) {
                Ok(doc) => doc,
                Err(_) => return Ok(()),
            };
            if checked.is_err() {
                return Err("check refused a file that apply reads".into());
            }
            let (fixed, _) = match engine.fix(&Repo::default(), &name, &doc, &[], true) {
                Ok(r) => r,
                Err((rule, e)) => return Err(format!("refused: {rule}: {e}")),
            };
            let again = Document::parse(fixed.text().to_string())
                .map_err(|e| format!("fixed output does not parse: {e}"))?;
            for (a, b) in doc.parsed().iter().zip(again.parsed()) {
                if without_permissions(a) != without_permissions(b) {
                    return Err("a fix changed more than `permissions:`".into());
                }
            }
            let (twice, _) = engine
                .fix(&Repo::default(), &name, &again, &[], true)
                .map_err(|(rule, e)| format!("second apply refused: {rule}: {e}"))?;
            if twice.text() != fixed.text() {
                return Err("a second apply changed the file".into());
            }
            Ok(())
        }));
        let parsed = Document::parse(text.clone());
        match (&outcome, &parsed) {
            (Ok(Ok(())), Err(_)) => counts.rejected += 1,
            (Ok(Ok(())), Ok(doc)) => {
                counts.checked += 1;
                let fixed = engine.fix(&Repo::default(), &name, doc, &[], true);
                if fixed.is_ok_and(|(f, _)| f.text() != doc.text()) {
                    counts.changed += 1;
                }
            }
            (Ok(Err(e)), _) => {
                if e.starts_with("refused") {
                    counts.refused += 1;
                }
                failures.push(format!("{shown}: {e}"));
            }
            (Err(_), _) => failures.push(format!("{shown}: panicked")),
        }
    }
    println!("peer gate: {counts:?}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
