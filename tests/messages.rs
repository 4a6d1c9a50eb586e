//! Every kind of message ghfix prints, for people and machines, for every exit code, as insta
//! snapshots (`snapshots/messages-*.snap`): the reports of `check` in each format and verbosity,
//! `apply --dry-run` and `apply`, `explain`, and the errors (missing path, invalid YAML, unknown
//! rule, bad usage, a refused edit). Each snapshot holds the command, its exit code, its standard
//! output and its standard error, run in a copy of `examples/sample-repo`.

mod common;

use std::path::Path;

/// Runs `args` in `dir` and renders what a user sees.
fn seen(args: &[&str], dir: &Path) -> (i32, String) {
    let (code, out, err) = common::run_ghfix(args, dir, &[]);
    let text = format!(
        "$ ghfix {}\nexit code: {code}\n--- stdout\n{out}--- stderr\n{err}",
        args.join(" ")
    );
    (code, text)
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(format!("messages-{name}"), text);
    });
}

fn sample() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sample-repo");
    common::copy_dir(&from, dir.path());
    dir
}

#[test]
fn every_report_and_exit_code_is_snapshotted() {
    let dir = sample();
    // (name, arguments, exit code)
    let cases: &[(&str, &[&str], i32)] = &[
        ("check", &["check"], 1),
        ("check-quiet", &["check", "-q"], 1),
        ("check-silent", &["check", "-qq"], 1),
        ("check-verbose", &["check", "-v"], 1),
        ("check-statistics", &["check", "--statistics"], 1),
        ("check-json", &["check", "--format", "json"], 1),
        ("check-github", &["check", "--format", "github"], 1),
        ("check-sarif", &["check", "--format", "sarif"], 1),
        (
            "check-one-rule",
            &["check", "--rule", "missing-permission-scope"],
            1,
        ),
        ("apply-dry-run", &["apply", "--dry-run"], 1),
        (
            "apply-dry-run-unsafe",
            &["apply", "--dry-run", "--unsafe"],
            1,
        ),
        ("explain", &["explain", "missing-permission-scope"], 0),
        ("rules", &["rules"], 0),
        // Errors: each names what is wrong, exit 2.
        ("error-missing-path", &["check", "missing.yml"], 2),
        (
            "error-unknown-rule",
            &["check", "--rule", "no-such-rule"],
            2,
        ),
        (
            "error-explain-unknown-rule",
            &["explain", "no-such-rule"],
            2,
        ),
        ("error-usage", &["check", "--format", "xml"], 2),
    ];
    for (name, args, want) in cases {
        let (code, text) = seen(args, dir.path());
        assert_eq!(code, *want, "{text}");
        snapshot(name, &text);
    }
    // Writing: the files change, the report says what is left; then nothing is pending.
    let (code, text) = seen(&["apply"], dir.path());
    assert_eq!(code, 1, "{text}");
    snapshot("apply", &text);
    let (code, text) = seen(&["apply", "--dry-run"], dir.path());
    assert_eq!(code, 0, "{text}");
    snapshot("apply-dry-run-after-apply", &text);
}

#[test]
fn input_errors_and_refusals_are_snapshotted() {
    let dir = sample();
    let workflows = dir.path().join(".github/workflows");
    std::fs::write(workflows.join("broken.yml"), "on: push\njobs:\n  a: [\n").unwrap();
    let (code, text) = seen(&["check", "-q"], dir.path());
    assert_eq!(code, 2, "{text}");
    snapshot("error-invalid-yaml", &text);
    std::fs::write(dir.path().join("w.yml"), "a: x\nb: 1\n").unwrap();
    let (code, text) = seen(
        &["edit", "w.yml", "--set", "b=2", "--rewrite", "a=x=>x: y"],
        dir.path(),
    );
    assert_eq!(code, 3, "{text}");
    snapshot("edit-refused", &text);
    let (code, text) = seen(&["edit", "w.yml", "--set", "b=2", "--dry-run"], dir.path());
    assert_eq!(code, 0, "{text}");
    snapshot("edit-dry-run", &text);
}

/// A frame shows the line as a terminal would: no byte order mark, no carriage return.
#[test]
fn frames_of_crlf_and_bom_files_show_the_bare_line() {
    let dir = tempfile::tempdir().unwrap();
    let workflows = dir.path().join(".github/workflows");
    std::fs::create_dir_all(&workflows).unwrap();
    std::fs::write(
        workflows.join("crlf.yml"),
        "\u{feff}on: push\r\njobs:\r\n  a:\r\n    runs-on: ubuntu-latest\r\n    steps:\r\n      - uses: actions/checkout@v4\r\n",
    )
    .unwrap();
    let (code, text) = seen(&["check"], dir.path());
    assert_eq!(code, 1, "{text}");
    assert!(
        !text.contains('\r') && !text.contains('\u{feff}'),
        "{text:?}"
    );
    snapshot("check-crlf-bom", &text);
}
