//! `apply --commit`, `--update`, `--push` and `--open-pr` on real git repositories made in a temp
//! folder (bare remotes over file:// URLs), and against a small HTTP server that answers the
//! GitHub REST endpoints ghfix calls with GitHub's documented shapes, rate limits included.

use std::path::Path;

use git2::{Repository, Signature};

mod common;

const WORKFLOW: &str = "name: CI\non: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: make test\n";

fn ghfix(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> (i32, String, String) {
    common::run_ghfix(args, dir, env)
}

/// A repository with one commit holding `files`, on `main`.
fn repo(files: &[(&str, &str)]) -> (tempfile::TempDir, Repository) {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init_opts(
        dir.path(),
        git2::RepositoryInitOptions::new().initial_head("main"),
    )
    .unwrap();
    {
        let mut config = repo.config().unwrap();
        config.set_str("user.name", "Maintainer").unwrap();
        config
            .set_str("user.email", "maintainer@example.com")
            .unwrap();
    }
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    commit_all(&repo, "init");
    (dir, repo)
}

/// An empty bare repository to push to, and its `file://` URL.
fn bare_remote() -> (tempfile::TempDir, String) {
    let remote = tempfile::tempdir().unwrap();
    Repository::init_bare(remote.path()).unwrap();
    let url = format!("file://{}", remote.path().display());
    (remote, url)
}

fn commit_all(repo: &Repository, message: &str) -> git2::Oid {
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = Signature::now("Maintainer", "maintainer@example.com").unwrap();
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
        .unwrap()
}

/// `git status` as path -> flags, for comparing the working copy before and after.
fn status(repo: &Repository) -> Vec<(String, u32)> {
    let mut options = git2::StatusOptions::new();
    options.include_untracked(true);
    let mut out: Vec<(String, u32)> = repo
        .statuses(Some(&mut options))
        .unwrap()
        .iter()
        .map(|e| (e.path().unwrap().to_string(), e.status().bits()))
        .collect();
    out.sort();
    out
}

/// The files a commit changed against its parent.
fn changed_files(repo: &Repository, commit: &git2::Commit) -> Vec<String> {
    let parent = commit.parent(0).unwrap();
    let diff = repo
        .diff_tree_to_tree(
            Some(&parent.tree().unwrap()),
            Some(&commit.tree().unwrap()),
            None,
        )
        .unwrap();
    diff.deltas()
        .map(|d| d.new_file().path().unwrap().display().to_string())
        .collect()
}

#[test]
fn the_commit_holds_only_the_fixed_workflows_and_the_working_copy_is_untouched() {
    let (dir, repo) = repo(&[
        (".github/workflows/ci.yml", WORKFLOW),
        ("README.md", "readme\n"),
        ("src/lib.rs", "fn a() {}\n"),
    ]);
    let head = repo.head().unwrap().peel_to_commit().unwrap().id();
    // A modified file, a staged one and an untracked one.
    std::fs::write(dir.path().join("README.md"), "edited\n").unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), "fn b() {}\n").unwrap();
    let mut index = repo.index().unwrap();
    index.add_path(Path::new("src/lib.rs")).unwrap();
    index.write().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine\n").unwrap();
    let before = status(&repo);
    let (code, _, err) = ghfix(&["apply", "--commit"], dir.path(), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("on branch `ghfix/least-privilege-permissions` (1 file(s))"),
        "{err}"
    );
    assert_eq!(status(&repo), before, "the working copy changed");
    assert_eq!(repo.head().unwrap().peel_to_commit().unwrap().id(), head);
    assert_eq!(repo.head().unwrap().shorthand(), Some("main"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".github/workflows/ci.yml")).unwrap(),
        WORKFLOW
    );
    let branch = repo
        .find_branch("ghfix/least-privilege-permissions", git2::BranchType::Local)
        .unwrap();
    let commit = branch.get().peel_to_commit().unwrap();
    assert_eq!(commit.parent_id(0).unwrap(), head);
    assert_eq!(
        changed_files(&repo, &commit),
        vec![".github/workflows/ci.yml"]
    );
    let message = commit.message().unwrap();
    assert!(
        message.starts_with("Fix workflows: least-privilege-permissions\n"),
        "{message}"
    );
    assert!(
        message.contains("- least-privilege-permissions: .github/workflows/ci.yml"),
        "{message}"
    );
    assert!(message.contains("\nGenerated-by: ghfix "), "{message}");
    assert_eq!(commit.author().name(), Some("Maintainer"));
    let text = common::tree_file(&repo, &commit.tree().unwrap(), ".github/workflows/ci.yml");
    assert!(text.contains("permissions:\n  contents: read"), "{text}");
}

#[test]
fn a_workflow_with_uncommitted_changes_is_refused_and_nothing_is_committed() {
    let (dir, repo) = repo(&[(".github/workflows/ci.yml", WORKFLOW)]);
    std::fs::write(
        dir.path().join(".github/workflows/ci.yml"),
        format!("{WORKFLOW}# mine\n"),
    )
    .unwrap();
    let (code, _, err) = ghfix(&["apply", "--commit"], dir.path(), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(".github/workflows/ci.yml has changes that are not committed"),
        "{err}"
    );
    assert_eq!(repo.branches(None).unwrap().count(), 1);
}

#[test]
fn nothing_to_fix_makes_no_branch() {
    let fixed = "name: CI\non: push\npermissions:\n  contents: read\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n";
    let (dir, repo) = repo(&[(".github/workflows/ci.yml", fixed)]);
    let (code, _, err) = ghfix(&["apply", "--commit"], dir.path(), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("nothing to commit"), "{err}");
    assert_eq!(repo.branches(None).unwrap().count(), 1);
}

#[test]
fn update_regenerates_the_branch_and_stops_at_someone_elses_commit() {
    let (dir, repo) = repo(&[(".github/workflows/ci.yml", WORKFLOW)]);
    let args = ["apply", "--commit", "--branch", "fix/perms"];
    assert_eq!(ghfix(&args, dir.path(), &[]).0, 0);
    let (code, _, err) = ghfix(&args, dir.path(), &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("branch `fix/perms` exists; pass --update"),
        "{err}"
    );
    // Nothing new: the branch already holds the fixes.
    let update = ["apply", "--commit", "--branch", "fix/perms", "--update"];
    let (code, _, err) = ghfix(&update, dir.path(), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("already holds these fixes"), "{err}");
    // The base moves on: one new commit on the new base.
    std::fs::write(dir.path().join("README.md"), "more\n").unwrap();
    let new_head = commit_all(&repo, "more");
    let (code, _, err) = ghfix(&update, dir.path(), &[]);
    assert_eq!(code, 0, "{err}");
    let tip = repo
        .revparse_single("fix/perms")
        .unwrap()
        .peel_to_commit()
        .unwrap();
    assert_eq!(tip.parent_id(0).unwrap(), new_head);
    // Someone else commits to the branch: ghfix leaves it alone.
    let sig = Signature::now("Someone", "someone@example.com").unwrap();
    repo.commit(
        Some("refs/heads/fix/perms"),
        &sig,
        &sig,
        "a human change",
        &tip.tree().unwrap(),
        &[&tip],
    )
    .unwrap();
    let (code, _, err) = ghfix(&update, dir.path(), &[]);
    assert_eq!(code, 2);
    assert!(err.contains("has commits that ghfix did not make"), "{err}");
}

#[test]
fn the_branch_is_pushed_to_a_file_remote() {
    let (dir, _repo) = repo(&[(".github/workflows/ci.yml", WORKFLOW)]);
    let (remote, url) = bare_remote();
    let (code, _, err) = ghfix(&["apply", "--commit", "--push", &url], dir.path(), &[]);
    assert_eq!(code, 0, "{err}");
    let bare = Repository::open_bare(remote.path()).unwrap();
    let pushed = bare
        .find_reference("refs/heads/ghfix/least-privilege-permissions")
        .unwrap()
        .peel_to_commit()
        .unwrap();
    assert!(pushed.message().unwrap().contains("Generated-by: ghfix"));
}

#[test]
fn the_pull_request_is_opened_after_a_rate_limit_then_updated_in_place() {
    let (dir, _repo) = repo(&[(".github/workflows/ci.yml", WORKFLOW)]);
    let (_remote, url) = bare_remote();
    let pulls = "/repos/acme/widgets/pulls";
    let created =
        r#"{"number": 7, "html_url": "https://github.com/acme/widgets/pull/7"}"#.to_string();
    let labels = (
        "POST",
        "/repos/acme/widgets/issues/7/labels",
        200,
        "",
        "[]".to_string(),
    );
    let reviewers = (
        "POST",
        "/repos/acme/widgets/pulls/7/requested_reviewers",
        201,
        "",
        created.clone(),
    );
    let (api, seen) = common::fake_api(vec![
        (
            "GET",
            pulls,
            403,
            "Retry-After: 1\r\n",
            r#"{"message": "You have exceeded a secondary rate limit"}"#.into(),
        ),
        ("GET", pulls, 200, "", "[]".into()),
        ("POST", pulls, 201, "", created.clone()),
        labels.clone(),
        reviewers.clone(),
        ("GET", pulls, 429, "Retry-After: 0\r\n", "{}".into()),
        ("GET", pulls, 200, "", format!("[{created}]")),
        (
            "PATCH",
            "/repos/acme/widgets/pulls/7",
            200,
            "",
            created.clone(),
        ),
        labels.clone(),
        reviewers.clone(),
    ]);
    let body_file = dir
        .path()
        .join("..")
        .join(format!("body-{}.md", std::process::id()));
    let body_path = body_file.to_str().unwrap().to_string();
    let args = [
        "apply",
        "--commit",
        "--push",
        &url,
        "--open-pr",
        "--repo",
        "acme/widgets",
        "--api-url",
        &api,
        "--label",
        "security",
        "--reviewer",
        "octocat",
        "--draft",
        "--pr-body-file",
        &body_path,
    ];
    let env = [("GH_TOKEN", "test-token")];
    let (code, out, err) = ghfix(&args, dir.path(), &env);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "https://github.com/acme/widgets/pull/7");
    assert!(err.contains("opened the pull request"), "{err}");
    // Again with --update: the open pull request of the branch is found and updated.
    let mut again: Vec<&str> = args.to_vec();
    again.insert(2, "--update");
    let (code, _, err) = ghfix(&again, dir.path(), &env);
    assert_eq!(code, 0, "{err}");
    let seen = seen.lock().unwrap().clone();
    let calls: Vec<String> = seen
        .iter()
        .map(|s| format!("{} {}", s.method, s.path))
        .collect();
    assert_eq!(
        calls,
        vec![
            "GET /repos/acme/widgets/pulls?state=open&head=acme:ghfix/least-privilege-permissions",
            "GET /repos/acme/widgets/pulls?state=open&head=acme:ghfix/least-privilege-permissions",
            "POST /repos/acme/widgets/pulls",
            "POST /repos/acme/widgets/issues/7/labels",
            "POST /repos/acme/widgets/pulls/7/requested_reviewers",
            "GET /repos/acme/widgets/pulls?state=open&head=acme:ghfix/least-privilege-permissions",
            "GET /repos/acme/widgets/pulls?state=open&head=acme:ghfix/least-privilege-permissions",
            "PATCH /repos/acme/widgets/pulls/7",
            "POST /repos/acme/widgets/issues/7/labels",
            "POST /repos/acme/widgets/pulls/7/requested_reviewers",
        ]
    );
    assert!(seen.iter().all(|s| s.auth == "Bearer test-token"));
    let create: serde_json::Value = serde_json::from_str(&seen[2].body).unwrap();
    assert_eq!(create["head"], "ghfix/least-privilege-permissions");
    assert_eq!(create["base"], "main");
    assert_eq!(create["draft"], true);
    assert_eq!(
        create["title"],
        "Fix workflows: least-privilege-permissions"
    );
    let labels: serde_json::Value = serde_json::from_str(&seen[3].body).unwrap();
    assert_eq!(labels["labels"][0], "security");
    let body = std::fs::read_to_string(&body_file).unwrap();
    let _ = std::fs::remove_file(&body_file);
    assert_eq!(create["body"], body.as_str());
    let version = env!("CARGO_PKG_VERSION");
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("pull-request-body", body.replace(version, "VERSION"));
    });
}

/// The App-token swap's pull request says what to create before merging.
#[test]
fn the_pull_request_body_lists_the_app_setup_before_merging() {
    let root =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/repos/changesets-release-pr/before");
    let files: Vec<(String, String)> =
        [".github/workflows/release.yml", ".github/workflows/ci.yml"]
            .iter()
            .map(|p| {
                (
                    p.to_string(),
                    std::fs::read_to_string(root.join(p)).unwrap(),
                )
            })
            .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let (dir, _repo) = repo(&refs);
    let body_file = tempfile::NamedTempFile::new().unwrap();
    let args = [
        "apply",
        "--unsafe",
        "--rule",
        "token-events-start-no-runs",
        "--commit",
        "--pr-body-file",
        body_file.path().to_str().unwrap(),
    ];
    let (code, _, err) = ghfix(&args, dir.path(), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("on branch `ghfix/token-events-start-no-runs`"),
        "{err}"
    );
    let body = std::fs::read_to_string(body_file.path()).unwrap();
    assert!(
        body.contains(
            "### Before merging\n\n- before merging the App-token swap: create a GitHub App"
        ),
        "{body}"
    );
    let version = env!("CARGO_PKG_VERSION");
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("pull-request-body-app-token", body.replace(version, "VERSION"));
    });
}

/// `--commit-via api`: the same commit made through the Git database API (tree on the base
/// commit's tree, one parent, the branch ref created), then the pull request.
#[test]
fn the_commit_can_be_made_through_the_api() {
    let (dir, repo) = repo(&[(".github/workflows/ci.yml", WORKFLOW)]);
    let head = repo
        .head()
        .unwrap()
        .peel_to_commit()
        .unwrap()
        .id()
        .to_string();
    let created =
        r#"{"number": 3, "html_url": "https://github.com/acme/widgets/pull/3"}"#.to_string();
    let (api, seen) = common::fake_api(vec![
        (
            "GET",
            "/repos/acme/widgets/git/ref/heads/",
            404,
            "",
            r#"{"message": "Not Found"}"#.into(),
        ),
        (
            "GET",
            "/repos/acme/widgets/git/commits/",
            200,
            "",
            r#"{"sha": "base", "tree": {"sha": "tree0"}}"#.into(),
        ),
        (
            "POST",
            "/repos/acme/widgets/git/trees",
            201,
            "",
            r#"{"sha": "tree1"}"#.into(),
        ),
        (
            "POST",
            "/repos/acme/widgets/git/commits",
            201,
            "",
            r#"{"sha": "0123456789abcdef0123456789abcdef01234567"}"#.into(),
        ),
        ("POST", "/repos/acme/widgets/git/refs", 201, "", "{}".into()),
        ("GET", "/repos/acme/widgets/pulls", 200, "", "[]".into()),
        ("POST", "/repos/acme/widgets/pulls", 201, "", created),
    ]);
    let args = [
        "apply",
        "--commit",
        "--commit-via",
        "api",
        "--open-pr",
        "--repo",
        "acme/widgets",
        "--api-url",
        &api,
    ];
    let (code, out, err) = ghfix(&args, dir.path(), &[("GITHUB_TOKEN", "app-token")]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("committed 0123456789ab on acme/widgets branch `ghfix/least-privilege-permissions` through the API"), "{err}");
    assert_eq!(out.trim(), "https://github.com/acme/widgets/pull/3");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen[1].path,
        format!("/repos/acme/widgets/git/commits/{head}")
    );
    let tree: serde_json::Value = serde_json::from_str(&seen[2].body).unwrap();
    assert_eq!(tree["base_tree"], "tree0");
    assert_eq!(tree["tree"][0]["path"], ".github/workflows/ci.yml");
    assert_eq!(tree["tree"][0]["mode"], "100644");
    assert!(tree["tree"][0]["content"]
        .as_str()
        .unwrap()
        .contains("permissions:\n  contents: read"));
    let commit: serde_json::Value = serde_json::from_str(&seen[3].body).unwrap();
    assert_eq!(commit["tree"], "tree1");
    assert_eq!(commit["parents"][0], head.as_str());
    assert!(commit["message"]
        .as_str()
        .unwrap()
        .contains("Generated-by: ghfix"));
    let reference: serde_json::Value = serde_json::from_str(&seen[4].body).unwrap();
    assert_eq!(
        reference["ref"],
        "refs/heads/ghfix/least-privilege-permissions"
    );
    assert_eq!(reference["sha"], "0123456789abcdef0123456789abcdef01234567");
}

/// A regenerated branch is never forced over commits someone else pushed to the remote.
#[test]
fn a_forced_push_never_replaces_someone_elses_commits_on_the_remote() {
    let (dir, _repo) = repo(&[(".github/workflows/ci.yml", WORKFLOW)]);
    let (remote, url) = bare_remote();
    let args = ["apply", "--commit", "--update", "--push", &url];
    assert_eq!(ghfix(&args, dir.path(), &[]).0, 0);
    // Someone pushes a commit of their own on top of ghfix's.
    let bare = Repository::open_bare(remote.path()).unwrap();
    let name = "refs/heads/ghfix/least-privilege-permissions";
    let tip = bare.find_reference(name).unwrap().peel_to_commit().unwrap();
    let sig = Signature::now("Someone", "someone@example.com").unwrap();
    let theirs = bare
        .commit(
            Some(name),
            &sig,
            &sig,
            "review fix",
            &tip.tree().unwrap(),
            &[&tip],
        )
        .unwrap();
    // The local branch is regenerated on a new base; the push is refused.
    std::fs::write(dir.path().join("README.md"), "more\n").unwrap();
    commit_all(&Repository::open(dir.path()).unwrap(), "more");
    let (code, _, err) = ghfix(&args, dir.path(), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("on the remote has commits that ghfix did not make"),
        "{err}"
    );
    assert_eq!(bare.find_reference(name).unwrap().target(), Some(theirs));
}

/// `author:` in the configuration signs the commit when no --author is given.
#[test]
fn the_configured_author_signs_the_commit() {
    let (dir, repo) = repo(&[
        (".github/workflows/ci.yml", WORKFLOW),
        (
            ".github/ghfix.yml",
            "author: Workflow Bot <bot@example.com>\n",
        ),
    ]);
    let (code, _, err) = ghfix(&["apply", "--commit"], dir.path(), &[]);
    assert_eq!(code, 0, "{err}");
    let commit = repo
        .revparse_single("ghfix/least-privilege-permissions")
        .unwrap()
        .peel_to_commit()
        .unwrap();
    assert_eq!(commit.author().name(), Some("Workflow Bot"));
    assert_eq!(commit.committer().email(), Some("bot@example.com"));
}
