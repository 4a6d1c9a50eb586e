//! The knowledge base against primary sources: every action entry agrees with the action's own
//! action.yml files in ../shared/actions-meta (token input, default, whether it can see the
//! token at all, per major version), and the shipped metadata index is what the generator makes
//! of those files.

mod common;

use ghfix::rules::knowledge::Knowledge;
use ghfix::rules::metadata::{index_text, mismatches, read_meta, SHARED_INDEX};

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
        index_text(&dir, SHARED_INDEX, &|_| false) == shipped,
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

/// The hand-written REST map holds only what GitHub's generated table lacks or gets wrong.
#[test]
fn hand_written_rest_methods_are_only_where_the_table_differs() {
    let kb = Knowledge::embedded().unwrap();
    let redundant: Vec<String> = kb
        .api
        .rest_methods
        .iter()
        .filter(|(name, scope)| {
            kb.api
                .table
                .iter()
                .any(|e| e.operation.as_deref() == Some(name.as_str()) && &e.scope == *scope)
        })
        .map(|(name, scope)| format!("{name}: {scope}"))
        .collect();
    assert!(
        redundant.is_empty(),
        "api.yml repeats the table: {redundant:?}"
    );
    assert!(kb.api.table.len() > 400, "api-rest.yml not loaded");
}

/// GitHub's table decides the endpoints the issue named: merging is contents write, a commit's
/// check runs and statuses are checks and statuses, not the generic `commits` entry.
#[test]
fn the_table_maps_endpoints_by_their_most_specific_template() {
    use ghfix::rules::knowledge::Level;
    let kb = Knowledge::embedded().unwrap();
    let cases = [
        ("pulls/12/merge", "PUT", "contents", Level::Write),
        ("pulls/12/merge", "GET", "pull-requests", Level::Read),
        ("commits/abc/check-runs", "GET", "checks", Level::Read),
        ("commits/abc/status", "GET", "statuses", Level::Read),
        ("statuses/abc", "POST", "statuses", Level::Write),
        ("commits/abc", "GET", "contents", Level::Read),
        ("git/refs/heads/main", "PATCH", "contents", Level::Write),
        ("contents/docs/a/b.md", "PUT", "contents", Level::Write),
        ("issues/3/comments", "POST", "issues", Level::Write),
        ("actions/runs/5/rerun", "POST", "actions", Level::Write),
    ];
    for (path, method, scope, level) in cases {
        assert_eq!(
            kb.endpoint_scope(path, method),
            Some((scope, Some(level))),
            "{method} {path}"
        );
    }
    // Out of date in the table, overridden: updating a Pages site needs administration.
    assert_eq!(
        kb.endpoint_scope("pages", "PUT"),
        Some(("impossible", None))
    );
    // Newer than the table: the fallback patterns.
    assert_eq!(
        kb.endpoint_scope("commits/abc/pulls", "GET"),
        Some(("pull-requests", None))
    );
}
