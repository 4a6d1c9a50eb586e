//! The knowledge base against primary sources: every action entry agrees with the action's own
//! action.yml files in ../shared/actions-meta (token input, default, whether it can see the
//! token at all, per major version), and the shipped metadata index is what the generator makes
//! of those files.

mod common;

use ghfix::rules::knowledge::Knowledge;
use ghfix::rules::metadata::{index_text, mismatches, read_meta};

#[test]
fn knowledge_entries_match_their_action_yml() {
    let dir = common::shared().join("actions-meta");
    let meta = read_meta(&dir);
    assert!(
        meta.len() > 200,
        "actions-meta not found at {}",
        dir.display()
    );
    let kb = Knowledge::embedded().unwrap();
    let found = mismatches(&kb, &meta);
    assert!(
        found.is_empty(),
        "{} mismatches:\n{}",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn the_shipped_index_is_generated_from_actions_meta() {
    let dir = common::shared().join("actions-meta");
    let shipped = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/knowledge/action-index.yml"),
    )
    .unwrap();
    assert!(
        index_text(&dir) == shipped,
        "rules/knowledge/action-index.yml is stale: run \
         `cargo run --example action_index -- ../shared/actions-meta > rules/knowledge/action-index.yml`"
    );
}

/// The checker catches the class of error it exists for: a renamed token input.
#[test]
fn a_renamed_token_input_is_a_mismatch() {
    let dir = common::shared().join("actions-meta");
    let meta = read_meta(&dir);
    let mut kb = Knowledge::default();
    kb.add(
        "x.yml",
        "actions:\n  thollander/actions-comment-pull-request:\n    token: { input: GITHUB_TOKEN, default: github.token }\n",
    )
    .unwrap();
    let found = mismatches(&kb, &meta);
    assert!(
        found
            .iter()
            .any(|m| m.contains("@v3: no input `GITHUB_TOKEN`")),
        "{found:#?}"
    );
}
