//! Downstream triggers on whole repositories (tests/repos/<case>/before, several workflows and
//! local actions each): `check` reports what `expect.txt` says, `apply --unsafe` swaps in the App
//! token exactly where it says, the result equals `after/` (when a swap is expected), and a
//! second apply changes nothing. The report of each case is pinned as a snapshot.
//!
//! `expect.txt` lines: `findings: N`, `swaps: N` (findings that carry the swap), `contains: TEXT`
//! and `absent: TEXT` (in the messages and notes).

use std::path::Path;
use std::process::Command;

use ghfix::cst::Document;
use ghfix::rules::engine::Engine;
use ghfix::rules::permissions::Repo;

mod common;

const RULE: &str = "token-events-start-no-runs";

fn ghfix(args: &[&str], dir: &Path) -> (i32, String, String) {
    common::run_ghfix(args, dir, &[])
}

#[test]
fn repository_cases_report_and_swap_as_expected() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/repos");
    let update = std::env::var_os("GHFIX_UPDATE_FIXTURES").is_some();
    let mut cases: Vec<_> = std::fs::read_dir(&root).unwrap().flatten().collect();
    cases.sort_by_key(|e| e.file_name());
    assert!(cases.len() >= 10, "the cases are missing");
    for case in cases {
        let name = case.file_name().to_string_lossy().into_owned();
        let work = tempfile::tempdir().unwrap();
        common::copy_dir(&case.path().join("before"), work.path());
        let (code, out, err) = ghfix(&["check", "--rule", RULE, "--format", "json"], work.path());
        assert!(code == 0 || code == 1, "{name}: exit {code}: {err}");
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        let findings: Vec<&serde_json::Value> = json["files"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|f| f["findings"].as_array().unwrap())
            .collect();
        let text: String = findings
            .iter()
            .map(|f| {
                let notes: Vec<&str> = f["notes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|n| n.as_str().unwrap())
                    .collect();
                format!(
                    "{}\n  notes: {}\n",
                    f["message"].as_str().unwrap(),
                    notes.join(" | ")
                )
            })
            .collect();
        let swaps = findings
            .iter()
            .filter(|f| {
                f["notes"].as_array().unwrap().iter().any(|n| {
                    n.as_str()
                        .unwrap()
                        .starts_with("before merging the App-token swap")
                })
            })
            .count();
        let expect = std::fs::read_to_string(case.path().join("expect.txt")).unwrap();
        for line in expect.lines().filter(|l| !l.trim().is_empty()) {
            let (key, value) = line.split_once(": ").unwrap();
            match key {
                "findings" => assert_eq!(
                    findings.len(),
                    value.parse::<usize>().unwrap(),
                    "{name}:\n{text}"
                ),
                "swaps" => assert_eq!(swaps, value.parse::<usize>().unwrap(), "{name}:\n{text}"),
                "contains" => assert!(text.contains(value), "{name}: lacks {value:?}:\n{text}"),
                "absent" => assert!(!text.contains(value), "{name}: has {value:?}:\n{text}"),
                other => panic!("{name}: unknown expectation `{other}`"),
            }
        }
        let (_, diff, _) = ghfix(
            &["apply", "--unsafe", "--rule", RULE, "--dry-run"],
            work.path(),
        );
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(format!("downstream-{name}"), format!("{text}\n--- diff\n{diff}"));
        });
        let (code, _, err) = ghfix(&["apply", "--unsafe", "--rule", RULE], work.path());
        assert!(code == 0 || code == 1, "{name}: exit {code}: {err}");
        let after = case.path().join("after");
        if update {
            let _ = std::fs::remove_dir_all(&after);
            if swaps > 0 {
                common::copy_dir(work.path(), &after);
            }
        }
        let want = if after.is_dir() {
            common::tree_files(&after)
        } else {
            common::tree_files(&case.path().join("before"))
        };
        assert_eq!(
            common::tree_files(work.path()),
            want,
            "{name}: apply result differs"
        );
        let (_, again, _) = ghfix(
            &["apply", "--unsafe", "--rule", RULE, "--dry-run"],
            work.path(),
        );
        assert!(
            again.is_empty(),
            "{name}: a second apply would change:\n{again}"
        );
    }
}

/// The steps the swap inserts pass zizmor's `github-app` audit (token revocation kept, explicit
/// permissions, the current repository only). zizmor comes from PyPI (`.ci/run` installs it);
/// without it the test says so and passes.
#[test]
fn inserted_app_token_steps_pass_zizmors_github_app_audit() {
    let Ok(version) = Command::new("zizmor").arg("--version").output() else {
        eprintln!("zizmor is not installed (pip install zizmor): github-app audit not run");
        return;
    };
    assert!(version.status.success());
    let audit = |path: &Path| -> Vec<String> {
        let out = Command::new("zizmor")
            .args(["--offline", "--persona", "pedantic", "--format", "json"])
            .arg(path)
            .output()
            .unwrap();
        let findings: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "zizmor output: {e}: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        findings
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["ident"].as_str().unwrap().to_string())
            .collect()
    };
    // The audit is live: a token whose revocation is skipped is flagged.
    let bad = tempfile::tempdir().unwrap();
    let workflow = bad.path().join("bad.yml");
    std::fs::write(
        &workflow,
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - id: app-token\n        uses: actions/create-github-app-token@1b10c78c7865c340bc4f6099eb2f838309f1e8c3 # v3.1.1\n        with:\n          client-id: ${{ vars.APP_CLIENT_ID }}\n          private-key: ${{ secrets.APP_PRIVATE_KEY }}\n          skip-token-revoke: true\n          permission-contents: write\n",
    )
    .unwrap();
    assert!(audit(&workflow).contains(&"github-app".to_string()));
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/repos");
    let mut audited = 0;
    for case in std::fs::read_dir(&root).unwrap().flatten() {
        let after = case.path().join("after");
        if !after.is_dir() {
            continue;
        }
        let found = audit(&after);
        assert!(
            !found.contains(&"github-app".to_string()),
            "{}: zizmor's github-app audit fires: {found:?}",
            case.path().display()
        );
        audited += 1;
    }
    assert!(audited >= 5, "too few swapped cases: {audited}");
}

/// Both corpora, laid out by repository: every swap the rule offers verifies (the editor and the
/// re-analysis of the job), is written as one batch, and a second apply changes nothing; the
/// findings that carry no swap say why. Prints the counts.
#[test]
fn swaps_over_both_corpora_verify_and_converge() {
    let engine = Engine::load(None).unwrap();
    let only = [RULE.to_string()];
    for corpus in ["corpus", "corpus-2"] {
        let work = tempfile::tempdir().unwrap();
        let repos = common::layout::lay_out(&common::shared().join(corpus), work.path());
        assert!(repos.len() > 10, "{corpus} not found");
        let (mut findings, mut swapped, mut reasons) = (0, 0, std::collections::BTreeMap::new());
        for (root, workflows) in &repos {
            let repo = Repo::at(Some(root.clone()));
            for path in workflows {
                let text = std::fs::read_to_string(path).unwrap();
                let Ok(doc) = Document::parse(text.clone()) else {
                    continue;
                };
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                let found = engine.check(&repo, &name, &doc, &only);
                findings += found.len();
                for f in &found {
                    let why = f.notes.iter().find(|n| !n.starts_with("before merging"));
                    match why {
                        None => swapped += 1,
                        Some(n) => {
                            let short: String = n.split(':').take(2).collect::<Vec<_>>().join(":");
                            *reasons.entry(short).or_insert(0) += 1;
                        }
                    }
                }
                let (fixed, left) = engine
                    .fix(&repo, &name, &doc, &only, true)
                    .unwrap_or_else(|(rule, e)| panic!("{}: {rule}: {e}", path.display()));
                let again = Document::parse(fixed.text().to_string()).unwrap();
                let (twice, _) = engine.fix(&repo, &name, &again, &only, true).unwrap();
                assert_eq!(
                    twice.text(),
                    fixed.text(),
                    "{}: not idempotent",
                    path.display()
                );
                // What is left after the swap is only what `check` could not swap.
                assert!(
                    left.iter()
                        .all(|f| !f.notes.iter().all(|n| n.starts_with("before merging"))),
                    "{}: a swap offered by check was not applied",
                    path.display()
                );
            }
        }
        eprintln!("{corpus}: {findings} findings, {swapped} with the App-token swap; without: {reasons:#?}");
        assert!(findings > 0, "{corpus}: the rule found nothing");
    }
}
