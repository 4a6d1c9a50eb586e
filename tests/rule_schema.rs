//! The JSON Schema of rule files: generated from the Rust types, checked in, and valid for every
//! shipped and example rule file; and rule-file errors point at their line and column.

use std::path::Path;
use std::process::Command;

use ghfix::rules::schema::Rule;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_checked_in_schema_is_the_generated_one() {
    let file = root().join("rules/rule.schema.json");
    let generated = Rule::json_schema();
    if std::env::var_os("GHFIX_UPDATE_FIXTURES").is_some() {
        std::fs::write(&file, &generated).unwrap();
    }
    let checked_in = std::fs::read_to_string(&file).unwrap();
    assert!(
        checked_in == generated,
        "rules/rule.schema.json is stale: run `cargo run -- schema > rules/rule.schema.json`"
    );
}

#[test]
fn every_shipped_and_example_rule_file_is_valid_under_the_schema() {
    let schema: serde_json::Value = serde_json::from_str(&Rule::json_schema()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut count = 0;
    for dir in ["rules", "examples/rules"] {
        for entry in std::fs::read_dir(root().join(dir)).unwrap().flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "yml") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let docs = yaml_rust2::YamlLoader::load_from_str(&text).unwrap();
            let value = ghfix::rules::load::to_json(&docs[0]);
            let errors: Vec<String> = validator
                .iter_errors(&value)
                .map(|e| format!("{}: {e}", e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
            count += 1;
        }
    }
    assert!(count >= 8, "only {count} rule files");
    // A typo is caught by the schema as well as by the loader.
    let typo = serde_json::json!({"id": "x", "title": "t", "severity": "low", "safety": "safe",
        "summary": "s", "docs": "d", "match": {"step": {"usess": "a/b"}}});
    assert!(!validator.is_valid(&typo));
}

/// `ghfix test-rules --rules DIR` on a folder holding one rule file with `text`: exit code and
/// standard error.
fn test_rules_on(text: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.yml"), text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ghfix"))
        .args(["test-rules", "--rules"])
        .arg(dir.path())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_mistake_in_a_user_rule_is_reported_at_its_line_and_column() {
    let head =
        "id: bad\ntitle: t\nseverity: low\nsafety: safe\nsummary: s\ndocs: d\nmatch:\n  step:\n";
    let (code, err) = test_rules_on(&format!(
        "{head}    uses: actions/checkout\n    with:\n      token: {{regex: '(unclosed'}}\n"
    ));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("bad.yml:11:"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("invalid regex"), "{err}");
    let (code, err) = test_rules_on(&format!("{head}    matches: nothing\n"));
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("`matches: nothing` names no entry of `utils:`"),
        "{err}"
    );
}
