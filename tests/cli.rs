//! The binary end to end: fixtures per rule (before/after folders), exit codes, invalid input
//! reported with file:line:col while other files are still processed, atomic writes.

use std::path::Path;

mod common;

fn ghfix(args: &[&str], dir: &Path) -> (i32, String, String) {
    common::run_ghfix(args, dir, &[])
}

/// A temporary repository holding `files` (paths relative to its root).
fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        write(&dir.path().join(path), text);
    }
    dir
}

/// Writes `text` to `path`, creating its folders.
fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Each rule's fixture: `apply` turns `before/` into `after/`; a second apply changes nothing.
#[test]
fn rule_fixtures_apply_to_their_after_state() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixtures = root.join("tests/fixtures");
    // The example user rules have fixture folders too.
    let examples = root.join("examples/rules");
    let examples = examples.to_str().unwrap();
    let update = std::env::var_os("GHFIX_UPDATE_FIXTURES").is_some();
    for rule in std::fs::read_dir(&fixtures).unwrap().flatten() {
        let id = rule.file_name().to_string_lossy().into_owned();
        let work = tempfile::tempdir().unwrap();
        common::copy_dir(&rule.path().join("before"), work.path());
        let dry_run = [
            "apply",
            "--unsafe",
            "--rules",
            examples,
            "--rule",
            &id,
            "--dry-run",
        ];
        // The diff and the report, as a reviewer sees them.
        let (_, diff, report) = ghfix(&dry_run, work.path());
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(format!("fixture-{id}"), format!("{diff}\n--- report\n{report}"));
        });
        let (code, _, err) = ghfix(
            &["apply", "--unsafe", "--rules", examples, "--rule", &id],
            work.path(),
        );
        assert!(code == 0 || code == 1, "{id}: exit {code}: {err}");
        if update {
            let _ = std::fs::remove_dir_all(rule.path().join("after"));
            common::copy_dir(work.path(), &rule.path().join("after"));
        }
        assert_eq!(
            common::tree_files(work.path()),
            common::tree_files(&rule.path().join("after")),
            "{id}: apply result differs from after/"
        );
        let (_, out, _) = ghfix(&dry_run, work.path());
        assert!(out.is_empty(), "{id}: a second apply would change:\n{out}");
    }
}

#[test]
fn the_example_user_rules_pass_their_own_tests() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let examples = root.join("examples/rules");
    let (code, out, err) = ghfix(&["test-rules", "--rules", examples.to_str().unwrap()], root);
    assert_eq!(code, 0, "{out}{err}");
    let summary = out.lines().last().unwrap_or_default();
    let passed: usize = summary.split(' ').next().unwrap().parse().unwrap();
    // The shipped rules' cases plus the examples' ten.
    assert!(passed >= 36 && summary.ends_with(" 0 failed"), "{summary}");
}

#[test]
fn check_reports_invalid_yaml_and_still_processes_the_rest() {
    let dir = repo(&[
        (".github/workflows/bad.yml", "on: push\njobs:\n  a: [1, 2\n  b: x\n"),
        (
            ".github/workflows/good.yml",
            "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n",
        ),
    ]);
    let wf = dir.path().join(".github/workflows");
    let (code, out, _) = ghfix(&["check", "-q"], dir.path());
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("bad.yml:") && out.contains("invalid YAML"),
        "{out}"
    );
    assert!(
        out.contains("good.yml:1:1: least-privilege-permissions"),
        "{out}"
    );
    let (code, _, _) = ghfix(&["apply"], dir.path());
    assert_eq!(code, 2);
    let good = std::fs::read_to_string(wf.join("good.yml")).unwrap();
    assert!(good.contains("permissions:\n  contents: read"), "{good}");
    assert_eq!(
        std::fs::read_to_string(wf.join("bad.yml")).unwrap(),
        "on: push\njobs:\n  a: [1, 2\n  b: x\n"
    );
    let (code, out, _) = ghfix(&["check"], &wf.join("..").join(".."));
    assert_eq!(code, 2, "{out}");
}

#[test]
fn exit_codes_for_clean_findings_and_usage() {
    let dir = repo(&[(
        ".github/workflows/ci.yml",
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: make\n",
    )]);
    let wf = dir.path().join(".github/workflows");
    assert_eq!(ghfix(&["check"], dir.path()).0, 0);
    assert_eq!(ghfix(&["check", "--rule", "no-such-rule"], dir.path()).0, 2);
    write(
        &wf.join("ci.yml"),
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: make\n",
    );
    let (code, out, _) = ghfix(&["check", "--format", "json"], dir.path());
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["files"][0]["findings"][0]["rule"],
        "least-privilege-permissions"
    );
    let (code, out, _) = ghfix(&["check", "--format", "github"], dir.path());
    assert_eq!(code, 1);
    assert!(out.starts_with("::warning file="), "{out}");
    let (code, out, _) = ghfix(&["check", "--format", "sarif"], dir.path());
    assert_eq!(code, 1);
    let sarif: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "least-privilege-permissions");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        1
    );
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        ".github/workflows/ci.yml"
    );
    assert_eq!(ghfix(&["apply", "--dry-run"], dir.path()).0, 1);
    assert_eq!(ghfix(&["apply"], dir.path()).0, 0);
    assert_eq!(ghfix(&["check"], dir.path()).0, 0);
}

#[test]
fn edit_refuses_invalid_yaml_with_position_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("w.yml");
    std::fs::write(&f, "a: [1\nb: 2\n").unwrap();
    let (code, _, err) = ghfix(&["edit", "w.yml", "--set", "c=1"], dir.path());
    assert_eq!(code, 2);
    assert!(
        err.starts_with("w.yml:") && err.contains("invalid YAML"),
        "{err}"
    );
    std::fs::write(&f, "a: &x {b: 1}\nc: *x\n").unwrap();
    let (code, _, err) = ghfix(&["edit", "w.yml", "--set", "a.b=2"], dir.path());
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        std::fs::read_to_string(&f).unwrap(),
        "a: &x {b: 1}\nc: *x\n"
    );
    let (code, _, _) = ghfix(&["edit", "w.yml", "--set", "d=1"], dir.path());
    assert_eq!(code, 0);
    assert_eq!(
        std::fs::read_to_string(&f).unwrap(),
        "a: &x {b: 1}\nc: *x\nd: 1\n"
    );
}

#[test]
fn user_rules_and_knowledge_extend_the_embedded_ones() {
    let dir = repo(&[(
        ".github/workflows/deploy.yml",
        "on: push\njobs:\n  deploy:\n    runs-on: x\n    steps:\n      - uses: some-org/deployer@v1\n",
    )]);
    let wf = dir.path().join(".github/workflows");
    let (_, out, _) = ghfix(&["check"], dir.path());
    assert!(
        out.contains("some-org/deployer`, which ghfix does not know"),
        "{out}"
    );
    let extra = dir.path().join("my-rules");
    write(
        &extra.join("knowledge/actions/mine.yml"),
        "actions:\n  some-org/deployer:\n    token: { input: token, default: github.token }\n    needs:\n      - permissions: { deployments: write }\n        reason: record the deployment\n",
    );
    let (code, _, err) = ghfix(&["apply", "--rules", "my-rules"], dir.path());
    assert_eq!(code, 0, "{err}");
    let fixed = std::fs::read_to_string(wf.join("deploy.yml")).unwrap();
    assert!(fixed.contains("permissions: {}\n"), "{fixed}");
    assert!(
        fixed.contains("deployments: write # some-org/deployer@v1: record the deployment"),
        "{fixed}"
    );
    // A malformed rule file is an error naming its line and column.
    std::fs::write(extra.join("bad.yml"), "id: x\ntitle: t\nseverity: urgent\n").unwrap();
    let (code, _, err) = ghfix(&["test-rules", "--rules", "my-rules"], dir.path());
    assert_eq!(code, 2);
    assert!(err.contains("bad.yml:3:1:"), "{err}");
}

/// Local composite actions (with a token-carrying input) and local reusable workflows are
/// analysed; a remote reusable workflow leaves its job for review.
#[test]
fn local_actions_and_reusable_workflows_are_followed() {
    let dir = repo(&[
        (
            ".github/actions/release/action.yml",
            "name: release\ninputs:\n  token:\n    default: ${{ github.token }}\nruns:\n  using: composite\n  steps:\n    - run: gh release create v1\n      shell: bash\n      env:\n        GH_TOKEN: ${{ inputs.token }}\n    - run: gh issue comment 1 --body done\n      shell: bash\n",
        ),
        (
            ".github/workflows/called.yml",
            "on: workflow_call\njobs:\n  push:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n      - run: git push\n",
        ),
        (
            ".github/workflows/main.yml",
            "on: push\njobs:\n  rel:\n    runs-on: x\n    env:\n      GH_TOKEN: ${{ github.token }}\n    steps:\n      - uses: ./.github/actions/release\n  call:\n    uses: ./.github/workflows/called.yml\n  remote:\n    uses: octo/wf/.github/workflows/x.yml@v1\n",
        ),
    ]);
    let gh = dir.path().join(".github");
    let (code, _, err) = ghfix(&["apply"], dir.path());
    assert_eq!(code, 1, "{err}");
    let main = std::fs::read_to_string(gh.join("workflows/main.yml")).unwrap();
    assert!(main.contains("  rel:\n    runs-on: x\n    permissions:\n      contents: write # ./.github/actions/release > gh release create\n      issues: write # ./.github/actions/release > gh issue comment\n"), "{main}");
    assert!(main.contains("  call:\n    uses: ./.github/workflows/called.yml\n    permissions:\n      contents: write"), "{main}");
    assert!(
        main.contains("  remote:\n    uses: octo/wf/.github/workflows/x.yml@v1\n"),
        "{main}"
    );
    assert!(
        !main.contains("\npermissions:"),
        "no top-level block while a job is unknown: {main}"
    );
    let (_, out, _) = ghfix(&["check"], dir.path());
    assert!(
        out.contains("job `remote` left for review: calls the remote reusable workflow"),
        "{out}"
    );
}

/// An edit whose result would not mean what it declares is refused with exit 3, naming the
/// operation, and the file is left as it was.
#[test]
fn edit_refused_by_verification_exits_3_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("w.yml");
    std::fs::write(&f, "a: x\nb: 1\n").unwrap();
    let (code, _, err) = ghfix(
        &["edit", "w.yml", "--set", "b=2", "--rewrite", "a=x=>x: y"],
        dir.path(),
    );
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("refused by verification: rewrite a: x => x: y"),
        "{err}"
    );
    assert!(err.contains("nothing written"), "{err}");
    assert_eq!(std::fs::read_to_string(&f).unwrap(), "a: x\nb: 1\n");
}

/// The token reaching a program ghfix cannot read through a command substitution, backticks,
/// `bash -c` or a wrapper sends the job to review; implicit OIDC use is a note, never a grant.
#[test]
fn hidden_token_uses_go_to_review_and_possible_uses_are_notes() {
    let hidden = [
        r#"echo "x=$(node scripts/find.ts --token ${{ secrets.GITHUB_TOKEN }})" >> "$GITHUB_OUTPUT""#,
        "echo `node find.js ${{ github.token }}`",
        "bash -c 'node find.js ${{ github.token }}'",
        "env GH_TOKEN=${{ github.token }} node x.js",
        "timeout 60 node x.js --token ${{ secrets.GITHUB_TOKEN }}",
    ];
    for run in hidden {
        let workflow = format!(
            "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: {}\n",
            if run.starts_with('"') || run.contains(": ") || run.starts_with('`') {
                format!("'{}'", run.replace('\'', "''"))
            } else {
                run.to_string()
            }
        );
        let dir = repo(&[(".github/workflows/ci.yml", &workflow)]);
        let (code, out, err) = ghfix(&["apply", "--dry-run"], dir.path());
        assert!(
            out.contains("left for review") || err.contains("left for review"),
            "{run}: {code}\n{out}\n{err}"
        );
        assert!(!out.contains("+    permissions:"), "{run}: {out}");
    }
    let npm = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    permissions: {}\n    steps:\n      - run: npm publish\n        env:\n          NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}\n";
    let dir = repo(&[(".github/workflows/ci.yml", npm)]);
    let (code, out, err) = ghfix(&["apply", "--dry-run"], dir.path());
    assert!(!out.contains("id-token"), "{code}\n{out}\n{err}");
    let (_, out, _) = ghfix(&["check"], dir.path());
    assert!(
        out.contains("not granted") && out.contains("id-token: write"),
        "{out}"
    );
}

/// Fixing a local reusable workflow changes what its caller must grant: one `apply` reaches the
/// fixed point of the whole repository (and `--dry-run` shows the same), a second changes nothing.
#[test]
fn callees_are_fixed_before_their_callers() {
    let dir = repo(&[
        (
            ".github/workflows/reusable.yml",
            "on:\n  workflow_call:\npermissions:\n  contents: read\njobs:\n  comment:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: gh pr comment 1 --body hi\n        env:\n          GH_TOKEN: ${{ github.token }}\n",
        ),
        (
            ".github/workflows/caller.yml",
            "on: push\njobs:\n  call:\n    uses: ./.github/workflows/reusable.yml\n",
        ),
    ]);
    let (_, dry, _) = ghfix(&["apply", "--dry-run"], dir.path());
    let (code, _, err) = ghfix(&["apply"], dir.path());
    assert_eq!(code, 0, "{err}");
    let caller = std::fs::read_to_string(dir.path().join(".github/workflows/caller.yml")).unwrap();
    let callee =
        std::fs::read_to_string(dir.path().join(".github/workflows/reusable.yml")).unwrap();
    assert!(callee.contains("pull-requests: write"), "{callee}");
    // The callee's block lacked `pull-requests: write`; the caller must grant what the fixed
    // callee declares.
    assert!(caller.contains("pull-requests: write"), "{caller}");
    for line in caller
        .lines()
        .filter(|l| l.contains(": read") || l.contains(": write"))
    {
        assert!(dry.contains(line.trim()), "dry run lacks `{line}`:\n{dry}");
    }
    let (code, again, _) = ghfix(&["apply", "--dry-run"], dir.path());
    assert_eq!(code, 0, "second run changes something:\n{again}");
}

/// A repository's own JavaScript action (`uses: ./` in its test workflow) is known by the name
/// it is published under (the git remote), when its checked-out action.yml has the token facts
/// the knowledge entry describes; otherwise it stays unknown.
#[test]
fn a_repositorys_own_action_is_known_by_its_published_name() {
    let action = "name: setup\ninputs:\n  token:\n    default: ${{ github.token }}\nruns:\n  using: node24\n  main: dist/index.js\n";
    let workflow = "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: ./\n        with:\n          python-version: '3.13'\n";
    let config = "[core]\n\tbare = false\n[remote \"origin\"]\n\turl = git@github.com:actions/setup-python.git\n";
    let dir = repo(&[
        ("action.yml", action),
        (".github/workflows/test.yml", workflow),
        (".git/config", config),
    ]);
    let (code, out, err) = ghfix(&["apply", "--dry-run"], dir.path());
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("+permissions:\n+  contents: read"),
        "{out}{err}"
    );

    // Another repository's remote: `./` is an action ghfix does not know.
    write(
        &dir.path().join(".git/config"),
        &config.replace("actions/setup-python", "someone/else"),
    );
    let (_, out, err) = ghfix(&["apply", "--dry-run"], dir.path());
    assert!(!out.contains("+permissions:"), "{out}");
    assert!(
        err.contains("the token is passed to the local node24 action `./`"),
        "{err}"
    );

    // Its action.yml no longer matches what ghfix knows of the released action.
    write(&dir.path().join(".git/config"), config);
    write(
        &dir.path().join("action.yml"),
        &action.replace(
            "runs:",
            "  api-token:\n    default: ${{ github.token }}\nruns:",
        ),
    );
    let (_, out, _) = ghfix(&["apply", "--dry-run"], dir.path());
    assert!(!out.contains("+permissions:"), "{out}");
}

#[test]
fn a_hardcoded_credential_never_appears_in_any_output() {
    let pat = "ghp_Zq9Xw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe9Dc8";
    let npm = "npm_Aa1Bb2Cc3Dd4Ee5Ff6Gg7Hh8Ii9Jj0Kk1Ll2";
    let workflow = format!(
        "on: push\npermissions: {{}}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: gh release list\n        env:\n          GH_TOKEN: {pat}\n          NPM: '{npm}'\n"
    );
    let dir = repo(&[(".github/workflows/leak.yml", &workflow)]);
    let mut runs: Vec<Vec<&str>> = ["human", "json", "github", "sarif"]
        .iter()
        .map(|f| vec!["check", "--format", f])
        .collect();
    runs.push(vec!["apply", "--dry-run", "--unsafe"]);
    runs.push(vec!["apply", "--dry-run", "--unsafe", "--format", "json"]);
    for args in &runs {
        let (code, out, err) = ghfix(args, dir.path());
        assert!(code == 1, "{args:?}: exit {code}: {err}");
        let both = format!("{out}{err}");
        assert!(
            args[0] == "check" || both.contains("ghp_****"),
            "{args:?}: {both}"
        );
        assert!(
            !both.contains(pat) && !both.contains(npm),
            "{args:?} leaks:\n{both}"
        );
    }
    let (code, out, err) = ghfix(&["apply", "--unsafe"], dir.path());
    assert!(code <= 1, "{err}");
    assert!(!format!("{out}{err}").contains(pat));
    let fixed = std::fs::read_to_string(dir.path().join(".github/workflows/leak.yml")).unwrap();
    assert!(
        fixed.contains("GH_TOKEN: ${{ secrets.GH_PAT }}")
            && fixed.contains("NPM: '${{ secrets.NPM_TOKEN }}'")
            && !fixed.contains(pat),
        "{fixed}"
    );
    // The rule's own examples hold (fake) tokens: explain masks them too.
    let (_, out, _) = ghfix(&["explain", "hardcoded-credential"], dir.path());
    assert!(
        out.contains("ghp_****") && !out.contains("ghp_0123"),
        "{out}"
    );
}

#[test]
fn the_repository_configuration_selects_rules_severities_and_files() {
    let pat_step = "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: gh issue list\n        env:\n          GH_TOKEN: ${{ secrets.BOT_PAT }}\n";
    let dir = repo(&[
        (".github/workflows/a.yml", pat_step),
        (".github/workflows/generated-b.yml", pat_step),
        (
            ".github/ghfix.yml",
            "rules:\n  severity:\n    personal-access-token: high\nignore:\n  - .github/workflows/generated-*.yml\n",
        ),
    ]);
    let (code, out, err) = ghfix(&["check", "--format", "json"], dir.path());
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("a.yml") && !out.contains("generated-b.yml"),
        "{out}"
    );
    assert!(out.contains("\"severity\": \"high\""), "{out}");
    let (_, out, _) = ghfix(&["config"], dir.path());
    assert!(
        out.contains("personal-access-token: high") && out.contains("branch-prefix: ghfix/"),
        "{out}"
    );
    // Disabled: nothing left to report.
    write(
        &dir.path().join(".github/ghfix.yml"),
        "rules:\n  disable: [personal-access-token]\n",
    );
    let (code, out, err) = ghfix(&["check"], dir.path());
    assert_eq!(code, 0, "{out}{err}");
    // Mistakes are one-line errors at their place, exit 2.
    write(
        &dir.path().join(".github/ghfix.yml"),
        "rules:\n  disable: [personal-acess-token]\n",
    );
    let (code, _, err) = ghfix(&["check"], dir.path());
    assert_eq!(code, 2);
    assert!(
        err.contains("ghfix.yml:2:13: no rule `personal-acess-token`") && err.lines().count() == 1,
        "{err}"
    );
    write(&dir.path().join(".github/ghfix.yml"), "ignroe: []\n");
    let (code, _, err) = ghfix(&["check"], dir.path());
    assert_eq!(code, 2);
    assert!(
        err.contains("ghfix.yml:1:1: unknown field `ignroe`"),
        "{err}"
    );
}

/// Events a job creates with GITHUB_TOKEN and the workflows of the repository that listen for
/// them: only certain listeners count (no branch/tag/path filters, matching activity types, not
/// bot-excluded, not the creating workflow), and jobs that dispatch the downstream run are fine.
#[test]
fn events_created_with_the_job_token_are_matched_with_their_listeners() {
    let dir = repo(&[
        (
            ".github/workflows/release.yml",
            "on:\n  push:\n    branches: [main]\npermissions:\n  contents: write\n  pull-requests: write\njobs:\n  version:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - name: Create release PR\n        uses: changesets/action@v1\n  publish:\n    runs-on: ubuntu-latest\n    steps:\n      - run: gh release create \"$TAG\" --generate-notes\n        env:\n          GH_TOKEN: ${{ github.token }}\n          TAG: v1.0.0\n",
        ),
        (
            ".github/workflows/nightly.yml",
            "on:\n  schedule:\n    - cron: '0 0 * * *'\npermissions:\n  contents: write\n  actions: write\njobs:\n  tag:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: git tag nightly && git push origin nightly --force\n      - run: gh workflow run deploy.yml\n        env:\n          GH_TOKEN: ${{ github.token }}\n",
        ),
        (
            ".github/workflows/ci.yml",
            "on: [push, pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n",
        ),
        (
            ".github/workflows/deploy.yml",
            "on:\n  release:\n    types: [published]\n  workflow_dispatch:\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ./deploy.sh\n",
        ),
        (
            ".github/workflows/docs.yml",
            "on:\n  push:\n    branches: [main]\njobs:\n  docs:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make docs\n",
        ),
        (
            ".github/workflows/labels.yml",
            "on:\n  pull_request:\n    types: [labeled]\njobs:\n  l:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo labelled\n",
        ),
        (
            ".github/workflows/humans.yml",
            "on: push\njobs:\n  h:\n    if: github.actor != 'github-actions[bot]'\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo human\n",
        ),
    ]);
    let (_, out, _) = ghfix(
        &[
            "check",
            "--rule",
            "token-events-start-no-runs",
            "--format",
            "json",
        ],
        dir.path(),
    );
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let messages: Vec<String> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["findings"].as_array().unwrap().clone())
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(messages.len(), 2, "{messages:#?}");
    let version = messages
        .iter()
        .find(|m| m.starts_with("job `version`"))
        .unwrap();
    assert!(
        version.contains("step `Create release PR` (changesets/action) opens or updates pull requests, and `ci.yml` listens for pull_request (its runs wait for approval"),
        "{version}"
    );
    assert!(
        version.contains("pushes, and `ci.yml` listens for push (no run starts)"),
        "{version}"
    );
    // Filtered (docs.yml), typed (labels.yml), bot-excluded (humans.yml) and the creating
    // workflow itself (release.yml listens for push) do not count.
    for quiet in ["docs.yml", "labels.yml", "humans.yml", "`release.yml`"] {
        assert!(!version.contains(quiet), "{quiet}: {version}");
    }
    let publish = messages
        .iter()
        .find(|m| m.starts_with("job `publish`"))
        .unwrap();
    assert!(
        publish
            .contains("publishes releases, and `deploy.yml` listens for release (no run starts)"),
        "{publish}"
    );
    // nightly.yml dispatches deploy.yml itself: nothing to report although ci.yml hears the push.
    assert!(
        !messages.iter().any(|m| m.starts_with("job `tag`")),
        "{messages:#?}"
    );
}

#[test]
fn an_ignore_comment_that_suppresses_nothing_is_reported_by_check() {
    let dir = repo(&[(
        ".github/workflows/ci.yml",
        "on: push\npermissions:\n  contents: read\njobs:\n  a:\n    runs-on: ubuntu-latest # ghfix: ignore[no-such-rule]\n    steps:\n      - run: make\n",
    )]);
    let (code, out, _) = ghfix(&["check", "-q"], dir.path());
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("ci.yml:6:28: unused-ignore") && out.contains("`no-such-rule` (no such rule)"),
        "{out}"
    );
}

/// The example workflows that run ghfix (weekly, and a sharded campaign), and ghfix's own
/// action, pass ghfix's check.
#[test]
fn the_distributed_action_and_its_example_workflow_pass_ghfix_itself() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap();
    let dir = repo(&[
        (
            ".github/workflows/ghfix.yml",
            &read("examples/workflows/ghfix.yml"),
        ),
        (".github/actions/ghfix/action.yml", &read("action.yml")),
    ]);
    let (code, out, err) = ghfix(&["check"], dir.path());
    assert_eq!(code, 0, "{out}{err}");
    let hooks = read(".pre-commit-hooks.yaml");
    assert!(hooks.contains("id: ghfix") && hooks.contains(r"^\.github/(workflows|actions)/"));
}

/// A path that does not exist is named as such (exit 2); `apply --dry-run` exits 1 only when a
/// diff is pending, 0 when only unfixable findings remain.
#[test]
fn missing_paths_and_dry_run_exit_codes() {
    let dir = repo(&[(
        ".github/workflows/ci.yml",
        "on: push\npermissions:\n  contents: read\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: gh pr list\n        env:\n          GH_TOKEN: ${{ secrets.BOT_PAT }}\n",
    )]);
    let (code, out, _) = ghfix(&["check", "missing.yml"], dir.path());
    assert_eq!(code, 2);
    assert!(out.contains("missing.yml: no such file or folder"), "{out}");
    let (check, _, _) = ghfix(&["check"], dir.path());
    let (dry, out, _) = ghfix(&["apply", "--dry-run"], dir.path());
    assert_eq!((check, dry, out.as_str()), (1, 0, ""));
    write(
        &dir.path().join(".github/workflows/two.yml"),
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: make\n",
    );
    let (dry, out, _) = ghfix(&["apply", "--dry-run"], dir.path());
    assert_eq!(dry, 1);
    assert!(out.contains("+permissions:"), "{out}");
}

/// The SARIF report passes Microsoft's validator (`sarif-multitool validate`, from npm; the path
/// in SARIF_MULTITOOL, else on PATH) with no error and no warning. Skipped, with a message,
/// where it is not installed.
#[test]
fn sarif_output_passes_the_sarif_multitool_validator() {
    let tool = std::env::var("SARIF_MULTITOOL").unwrap_or_else(|_| "sarif-multitool".into());
    if std::process::Command::new(&tool)
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("sarif-multitool is not installed (npm install @microsoft/sarif-multitool): SARIF not validated");
        return;
    }
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sample-repo");
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(&sample, dir.path());
    let (code, out, _) = ghfix(&["check", "--format", "sarif"], dir.path());
    assert_eq!(code, 1);
    let file = dir.path().join("out.sarif");
    std::fs::write(&file, out).unwrap();
    let run = std::process::Command::new(&tool)
        .arg("validate")
        .arg(&file)
        .output()
        .unwrap();
    let report =
        String::from_utf8_lossy(&run.stdout).into_owned() + &String::from_utf8_lossy(&run.stderr);
    assert!(
        report.contains("Analysis completed successfully"),
        "{report}"
    );
    assert!(
        !report.contains(": error ") && !report.contains(": warning "),
        "{report}"
    );
}

/// Shell completions and the manual page come from the clap definitions.
#[test]
fn completions_and_the_manual_page_are_generated() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (code, out, err) = ghfix(&["completions", shell], dir.path());
        assert_eq!(code, 0, "{shell}: {err}");
        assert!(
            out.contains("migrate") && out.contains("--commit-via"),
            "{shell}"
        );
    }
    let (_, bash, _) = ghfix(&["completions", "bash"], dir.path());
    let script = dir.path().join("ghfix.bash");
    std::fs::write(&script, bash).unwrap();
    let syntax = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .status()
        .unwrap();
    assert!(syntax.success(), "the bash completion does not parse");
    let (code, man, _) = ghfix(&["man"], dir.path());
    assert_eq!(code, 0);
    assert!(
        man.contains(".TH ghfix 1") && man.contains("migrate"),
        "{man}"
    );
}

/// A public repository (`--visibility public`, or `visibility: public` in its configuration) is
/// cloned and its runs read without a scope: those reads are not granted; otherwise they are.
#[test]
fn a_public_repository_gets_no_scope_for_reads_only_a_private_one_needs() {
    let workflow = "on: push\njobs:\n  scan:\n    runs-on: ubuntu-latest\n    steps:\n      \
        - uses: actions/checkout@v4\n      - uses: github/codeql-action/init@v3\n      \
        - uses: github/codeql-action/analyze@v3\n";
    let dir = repo(&[(".github/workflows/codeql.yml", workflow)]);
    let block = |args: &[&str]| {
        let (code, out, err) = ghfix(args, dir.path());
        assert_eq!(code, 1, "{out}{err}");
        out.lines()
            .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
            .map(|l| l.split(" #").next().unwrap().trim_end().to_string())
            .collect::<Vec<_>>()
    };
    let private = block(&["apply", "--dry-run"]);
    assert!(
        private.contains(&"+      contents: read".to_string())
            && private.contains(&"+      actions: read".to_string()),
        "{private:?}"
    );
    let public = block(&["apply", "--dry-run", "--visibility", "public"]);
    assert_eq!(
        public,
        [
            "+permissions: {}",
            "+    permissions:",
            "+      security-events: write",
        ],
        "{public:?}"
    );
    std::fs::write(dir.path().join(".github/ghfix.yml"), "visibility: public\n").unwrap();
    assert_eq!(block(&["apply", "--dry-run"]), public);
    // The command line wins over the configuration.
    assert_eq!(
        block(&["apply", "--dry-run", "--visibility", "private"]),
        private
    );
}

/// A need that another scope meets as well (a pull request comment made through the issues
/// API) is met by an existing block holding that scope: nothing is added to it.
#[test]
fn an_existing_block_with_an_alternative_scope_is_not_widened() {
    let workflow = |scope: &str| {
        format!(
            "on: pull_request\npermissions: {{}}\njobs:\n  comment:\n    runs-on: ubuntu-latest\n    \
             permissions:\n      {scope}: write\n    steps:\n      \
             - uses: thollander/actions-comment-pull-request@v3\n        with:\n          \
             message: hi\n"
        )
    };
    for (scope, findings) in [("issues", 0), ("pull-requests", 0), ("contents", 1)] {
        let dir = repo(&[(".github/workflows/c.yml", &workflow(scope))]);
        let (code, out, err) = ghfix(
            &["check", "-q", "--rule", "missing-permission-scope"],
            dir.path(),
        );
        assert_eq!(
            out.matches("missing-permission-scope").count(),
            findings,
            "{scope}: exit {code}\n{out}{err}"
        );
    }
}
