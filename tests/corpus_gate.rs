//! Corpus gate: every workflow of the shared corpus is checked and fixed by every rule (unsafe
//! fixes included, the example user rules too) in a temporary copy;
//! every output parses, validates against GitHub's workflow schema (when `check-jsonschema` is
//! installed, as `.ci/run` does), and a second `apply` changes nothing.

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use ghfix::cst::Document;
use ghfix::rules::engine::Engine;
use ghfix::rules::permissions::Repo;

#[test]
fn corpus_apply_is_verified_valid_and_idempotent() {
    // Every rule: the shipped ones and the example user rules (whose edits are written in the
    // rule language).
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/rules");
    let engine = Engine::load(Some(&examples)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let workflows = dir.path().join(".github").join("workflows");
    std::fs::create_dir_all(&workflows).unwrap();
    let files: Vec<_> = common::corpus()
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("/workflows/"))
        .collect();
    let (mut changed, mut with_block, mut left_jobs, mut refused) = (0, 0, 0, Vec::new());
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut outputs = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let doc = Document::parse(text.clone()).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let (fixed, remaining) = match engine.fix(&Repo::default(), &name, &doc, &[], true) {
            Ok(r) => r,
            Err((rule, e)) => {
                refused.push(format!("{name}: {rule}: {e}"));
                continue;
            }
        };
        for f in &remaining {
            for note in &f.notes {
                left_jobs += 1;
                let why = note.split(": ").nth(1).unwrap_or(note);
                let kind = if why.contains("does not know") {
                    "unknown action"
                } else if why.contains("script") || why.contains("program") {
                    "token reaches a program ghfix cannot read"
                } else if why.contains("reusable") {
                    "remote reusable workflow"
                } else if why.contains("GraphQL")
                    || why.contains("cannot map")
                    || why.contains("outside")
                {
                    "unmapped API call"
                } else {
                    "other"
                };
                *reasons.entry(kind.to_string()).or_default() += 1;
            }
        }
        if fixed.text() != text {
            changed += 1;
            if !fixed.parsed()[0]["permissions"].is_badvalue()
                && doc.parsed()[0]["permissions"].is_badvalue()
            {
                with_block += 1;
            }
            // A second run changes nothing.
            let again = Document::parse(fixed.text().to_string()).expect("fixed output parses");
            let (twice, _) = engine
                .fix(&Repo::default(), &name, &again, &[], true)
                .unwrap();
            assert_eq!(
                twice.text(),
                fixed.text(),
                "{name}: a second apply changed the file"
            );
            let out = workflows.join(&name);
            std::fs::write(&out, fixed.text()).unwrap();
            outputs.push(out);
        }
    }
    println!(
        "corpus gate: {} workflows; {changed} changed ({with_block} got a top-level block); {left_jobs} jobs left for review: {reasons:?}; {} refused",
        files.len(),
        refused.len()
    );
    assert!(
        refused.is_empty(),
        "fixes refused by verification:\n{}",
        refused.join("\n")
    );
    assert!(changed > 50, "too few files changed: {changed}");
    // Schema validation of every changed file, offline.
    let has_validator = Command::new("check-jsonschema")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_validator {
        assert!(
            std::env::var_os("CI").is_none(),
            "check-jsonschema is missing in CI"
        );
        println!("check-jsonschema not installed: schema validation skipped");
        return;
    }
    // One run over every output; only on failure are the failing files' inputs validated, since
    // starter templates hold placeholders (`$default-branch`) the schema may reject already.
    let run = |paths: &[std::path::PathBuf]| {
        let out = Command::new("check-jsonschema")
            .args(["--builtin-schema", "vendor.github-workflows"])
            .args(paths)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let mut invalid = Vec::new();
    let (ok, report) = run(&outputs);
    if !ok {
        for out in outputs
            .iter()
            .filter(|o| report.contains(&*o.to_string_lossy()))
        {
            let name = out.file_name().unwrap().to_string_lossy().to_string();
            let original = files
                .iter()
                .find(|f| f.file_name().unwrap().to_string_lossy() == name)
                .unwrap();
            if run(std::slice::from_ref(original)).0 {
                invalid.push(name);
            }
        }
    }
    println!(
        "schema: {} changed files validated, {} newly invalid",
        outputs.len(),
        invalid.len()
    );
    assert!(
        invalid.is_empty(),
        "outputs fail the workflow schema: {invalid:?}"
    );
}

/// The fast path of `ghfix check` (loader only, positions from its events) reports exactly what
/// the full parse reports, position for position, over the whole corpus.
#[test]
fn fast_check_matches_the_full_parse_on_the_corpus() {
    let engine = Engine::load(None).unwrap();
    let mut compared = 0;
    for file in common::corpus() {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let full = engine.check(
            &Repo::default(),
            &name,
            &Document::parse(text.clone()).unwrap(),
            &[],
        );
        let (fast, _) = engine
            .check_text(&Repo::default(), &name, &text, &[])
            .unwrap();
        let key = |f: &ghfix::rules::engine::Finding| {
            (
                f.rule.clone(),
                f.line,
                f.col,
                f.message.clone(),
                f.notes.clone(),
                f.ops.clone(),
            )
        };
        assert_eq!(
            fast.iter().map(key).collect::<Vec<_>>(),
            full.iter().map(key).collect::<Vec<_>>(),
            "{name}"
        );
        compared += full.len();
    }
    assert!(compared > 200, "{compared}");
}
