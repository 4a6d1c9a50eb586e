//! Round trip: parsing and printing without edits returns every input byte for byte; invalid
//! YAML is refused; nothing panics.

mod common;

use ghfix::cst::Document;

#[test]
fn every_corpus_file_round_trips_byte_for_byte() {
    let files = common::corpus();
    let mut refused = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        match Document::parse(text.clone()) {
            Ok(doc) => assert_eq!(doc.text(), text, "{}", path.display()),
            Err(e) => refused.push(format!("{}:{e}", path.display())),
        }
    }
    println!(
        "corpus: {} files, {} round-tripped, {} refused",
        files.len(),
        files.len() - refused.len(),
        refused.len()
    );
    assert!(
        refused.is_empty(),
        "valid workflows refused:\n{}",
        refused.join("\n")
    );
}

#[test]
fn yaml_test_suite_valid_cases_round_trip_and_error_cases_are_refused() {
    let suite = common::shared().join("yaml-test-suite");
    let mut cases = Vec::new();
    for case in std::fs::read_dir(&suite).unwrap().flatten() {
        let dir = case.path();
        if dir.join("in.yaml").exists() {
            cases.push(dir);
        } else if dir.is_dir() {
            for sub in std::fs::read_dir(&dir).unwrap().flatten() {
                if sub.path().join("in.yaml").exists() {
                    cases.push(sub.path());
                }
            }
        }
    }
    cases.sort();
    assert!(cases.len() >= 400, "only {} cases found", cases.len());
    let (mut valid_ok, mut valid_refused, mut errors_refused) = (0, Vec::new(), 0);
    let mut errors_accepted = Vec::new();
    for dir in &cases {
        let bytes = std::fs::read(dir.join("in.yaml")).unwrap();
        let is_error = dir.join("error").exists();
        let Ok(text) = String::from_utf8(bytes) else {
            assert!(is_error, "{} is not UTF-8", dir.display());
            errors_refused += 1;
            continue;
        };
        let result = std::panic::catch_unwind(|| Document::parse(text.clone()));
        let result = result.unwrap_or_else(|_| panic!("parser panicked on {}", dir.display()));
        match (is_error, result) {
            (false, Ok(doc)) => {
                assert_eq!(doc.text(), text, "{}", dir.display());
                valid_ok += 1;
            }
            (false, Err(e)) => {
                assert!(e.line >= 1 && e.col >= 1 && !e.message.is_empty());
                valid_refused.push(format!("{}: {e}", dir.display()));
            }
            (true, Err(_)) => errors_refused += 1,
            (true, Ok(_)) => errors_accepted.push(dir.display().to_string()),
        }
    }
    println!(
        "yaml-test-suite: {} cases; valid: {} round-tripped, {} refused with a message; errors: {} refused, {} accepted",
        cases.len(),
        valid_ok,
        valid_refused.len(),
        errors_refused,
        errors_accepted.len()
    );
    for r in &valid_refused {
        println!("  refused valid case {r}");
    }
    assert!(
        errors_accepted.is_empty(),
        "invalid YAML accepted:\n{}",
        errors_accepted.join("\n")
    );
    assert!(
        valid_ok >= 250,
        "too few valid cases round-trip: {valid_ok}"
    );
}
