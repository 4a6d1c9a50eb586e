//! Whole repositories: arbitrary bytes become a workflow (and, after a `\n====\n` line, the local
//! composite action `./.github/actions/a` it may call). `check` and `apply` (unsafe fixes
//! included) must never panic; a fixed workflow must parse again, and a second apply must
//! change nothing.
#![no_main]

use std::sync::LazyLock;

use ghfix::cst::Document;
use ghfix::rules::engine::Engine;
use ghfix::rules::permissions::Repo;
use libfuzzer_sys::fuzz_target;

static ENGINE: LazyLock<Engine> = LazyLock::new(|| Engine::load(None).expect("embedded rules load"));
static REPO: LazyLock<tempfile::TempDir> = LazyLock::new(|| tempfile::tempdir().expect("temp dir"));

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (workflow, action) = text.split_once("\n====\n").unwrap_or((text, ""));
    let root = REPO.path().to_path_buf();
    let action_dir = root.join(".github/actions/a");
    std::fs::create_dir_all(&action_dir).expect("create action folder");
    std::fs::write(action_dir.join("action.yml"), action).expect("write action");
    let _ = ENGINE.check_text(&Repo::at(Some(root.clone())), "ci.yml", workflow.to_string(), &[]);
    let Ok(doc) = Document::parse(workflow.to_string()) else { return };
    let Ok((fixed, _)) = ENGINE.fix(&Repo::at(Some(root.clone())), "ci.yml", &doc, &[], true) else { return };
    let again = Document::parse(fixed.text().to_string()).expect("a fixed workflow parses");
    let (twice, _) = ENGINE
        .fix(&Repo::at(Some(root)), "ci.yml", &again, &[], true)
        .expect("a second apply is not refused");
    assert_eq!(twice.text(), fixed.text(), "a second apply changed the workflow");
});
