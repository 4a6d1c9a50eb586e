//! `ghfix diagnose` on the sample logs in tests/logs/ (written for these tests): one per failure
//! message and cause, noisy logs where the message is buried, logs without a token failure; the
//! step and the edit named with `--workflow`; a 100 MB log read in constant memory.

use std::path::Path;
use std::process::{Command, Stdio};

fn ghfix(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ghfix"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_sample_log_gets_its_cause() {
    // (log, failure, what it must say it needed)
    let cases = [
        (
            "missing-permission-octokit",
            "missing-permission",
            "issues: write or pull-requests: write",
        ),
        (
            "missing-permission-graphql",
            "missing-permission",
            "issues: write or pull-requests: write",
        ),
        (
            "missing-permission-rest-route",
            "missing-permission",
            "statuses: write",
        ),
        (
            "noisy-buried-missing-permission",
            "missing-permission",
            "pull-requests: write",
        ),
        (
            "code-scanning-upload",
            "code-scanning-upload",
            "security-events: write",
        ),
        ("git-push-denied", "git-push-denied", "contents: write"),
        (
            "package-write-denied",
            "package-write-denied",
            "packages: write",
        ),
        ("oidc-not-allowed", "oidc-not-allowed", "id-token: write"),
        ("bad-credentials", "bad-credentials", ""),
        ("pat-missing-scope", "pat-missing-scope", ""),
        ("ip-allow-list", "ip-allow-list", ""),
        ("workflow-file-change", "workflow-file-change", ""),
        (
            "actions-may-not-create-prs",
            "actions-may-not-create-prs",
            "",
        ),
        ("runner-registration", "runner-registration", ""),
        ("empty-token-input", "empty-token-input", ""),
    ];
    let logs = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/logs");
    let mut seen = 0;
    for (log, failure, needs) in cases {
        let file = format!("tests/logs/{log}.log");
        let (code, out, err) = ghfix(&["diagnose", &file, "--format", "json"]);
        assert_eq!(code, 0, "{log}: {err}");
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        let first = &json["failures"][0];
        assert_eq!(first["failure"], failure, "{log}: {out}");
        let said = first["needs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().to_string())
            .collect::<Vec<_>>()
            .join(" or ");
        assert_eq!(said, needs, "{log}: {out}");
        seen += 1;
    }
    // Every sample log is covered by a case here or by the clean-log test.
    let files = std::fs::read_dir(logs).unwrap().count();
    assert_eq!(files, seen + 2, "a sample log without a test case");
}

#[test]
fn the_human_report_names_step_cause_evidence_and_what_to_do() {
    let (code, out, _) = ghfix(&["diagnose", "tests/logs/missing-permission-octokit.log"]);
    assert_eq!(code, 0);
    let expected = [
        "tests/logs/missing-permission-octokit.log:18: RequestError [HttpError]: Resource not accessible by integration (2 times)",
        "  step:  Run actions/github-script@v7",
        "  needs: issues: write or pull-requests: write (from the x-accepted-github-permissions header)",
        "  the token had: contents: read, metadata: read, pull-requests: read",
        "  rule:  missing-permission-scope (`ghfix explain missing-permission-scope`)",
    ];
    for line in expected {
        assert!(
            out.lines().any(|l| l == line),
            "missing `{line}` in:\n{out}"
        );
    }
    assert!(
        !out.contains("2026-03-01T"),
        "timestamps are stripped:\n{out}"
    );
}

#[test]
fn logs_without_a_token_failure_say_so_and_exit_1() {
    for log in ["clean-success", "clean-unrelated-failure"] {
        let file = format!("tests/logs/{log}.log");
        let (code, out, _) = ghfix(&["diagnose", &file]);
        assert_eq!(code, 1, "{log}: {out}");
        assert_eq!(out.trim(), format!("{file}: no token failure found"));
    }
    let (code, _, err) = ghfix(&["diagnose", "tests/logs/absent.log"]);
    assert_eq!(code, 2);
    assert!(err.contains("absent.log"), "{err}");
}

#[test]
fn with_the_workflow_the_step_and_the_edit_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let workflow = dir.path().join("report.yml");
    std::fs::write(
        &workflow,
        "on: pull_request\njobs:\n  report:\n    runs-on: ubuntu-latest\n    permissions:\n      contents: read\n    steps:\n      - uses: actions/checkout@v4\n      - run: |\n          gh pr comment \"$PR\" --body-file report.md\n        env:\n          GH_TOKEN: ${{ github.token }}\n",
    )
    .unwrap();
    let (code, out, _) = ghfix(&[
        "diagnose",
        "tests/logs/missing-permission-graphql.log",
        "--workflow",
        workflow.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    let want = format!(
        "  edit:  {}:9: job `report`, step `gh pr comment \"$PR\" --body-file report.md`: add one of `issues: write`, `pull-requests: write` to its `jobs.report.permissions` block",
        workflow.display()
    );
    assert!(
        out.lines().any(|l| l == want),
        "missing `{want}` in:\n{out}"
    );
}

#[test]
fn a_large_log_streams_in_constant_memory() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.log");
    {
        use std::io::Write;
        let mut w = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
        let line = "2026-03-01T10:00:00.1234567Z \x1b[36;1mcompiling crate number 123456 of the workspace, still going\x1b[0m\n";
        let mut written = 0;
        while written < 100 * 1024 * 1024 {
            w.write_all(line.as_bytes()).unwrap();
            written += line.len();
        }
        w.write_all(b"2026-03-01T10:00:00.1Z GraphQL: Resource not accessible by integration (createPullRequest)\n").unwrap();
    }
    let child = Command::new(env!("CARGO_BIN_EXE_ghfix"))
        .args(["diagnose", "-"])
        .stdin(std::fs::File::open(&file).unwrap())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("pull-requests: write"), "{text}");
    // Peak memory of the child (Linux reports kilobytes).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    let peak_mb = usage.ru_maxrss / 1024;
    assert!(peak_mb < 64, "peak RSS {peak_mb} MB for a 100 MB log");
}

#[test]
fn the_workflow_is_found_from_the_logs_job_definition() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".github/workflows")).unwrap();
    std::fs::write(
        dir.path().join(".github/workflows/report.yml"),
        "on: pull_request\njobs:\n  report:\n    runs-on: ubuntu-latest\n    steps:\n      - run: gh pr comment \"$PR\" --body-file report.md\n",
    )
    .unwrap();
    let log = dir.path().join("job.log");
    let sample = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/logs/missing-permission-graphql.log"),
    )
    .unwrap();
    std::fs::write(
        &log,
        format!("2026-03-01T10:00:00.0000000Z Job defined at: acme/app/.github/workflows/report.yml@refs/pull/3/merge\n{sample}"),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ghfix"))
        .args(["diagnose", log.to_str().unwrap()])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("report.yml:6: job `report`, step `gh pr comment \"$PR\" --body-file report.md`: add one of `issues: write`, `pull-requests: write` to a `permissions:` block of job `report` (it has none)"),
        "{text}"
    );
}
