//! `ghfix migrate` over real repositories with bare remotes in a temp folder (file:// URLs):
//! branches in every remote, the results file, `--resume` of a run that stopped halfway (no
//! second branch or pull request), `--retry-failed`, shards that cover every repository once,
//! `migrate merge`, and `--org` listing and pull requests against the fake GitHub API.

use std::path::{Path, PathBuf};

use git2::Repository;

mod common;

const WORKFLOW: &str = "name: CI\non: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: make test\n";

/// Bare remotes `acme/<name>` under `root`, each with one commit holding `files`; returns their
/// file:// URLs.
fn remote(root: &Path, name: &str, files: &[(&str, &str)]) -> String {
    let src = root.join("src").join(name);
    let repo = Repository::init_opts(
        &src,
        git2::RepositoryInitOptions::new().initial_head("main"),
    )
    .unwrap();
    for (path, text) in files {
        let p = src.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("Maintainer", "m@example.com").unwrap();
    repo.commit(Some("HEAD"), &sig, &sig, "init", &tree, &[])
        .unwrap();
    let bare = root.join("remotes/acme").join(name);
    git2::build::RepoBuilder::new()
        .bare(true)
        .clone(src.to_str().unwrap(), &bare)
        .unwrap();
    format!("file://{}", bare.display())
}

fn branches(url: &str) -> Vec<String> {
    let repo = Repository::open_bare(url.trim_start_matches("file://")).unwrap();
    let mut out: Vec<String> = repo
        .branches(Some(git2::BranchType::Local))
        .unwrap()
        .map(|b| b.unwrap().0.name().unwrap().unwrap().to_string())
        .collect();
    out.sort();
    out
}

fn results(work: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(work.join("results.json")).unwrap()).unwrap()
}

struct Campaign {
    _dir: tempfile::TempDir,
    root: PathBuf,
    urls: Vec<String>,
    list: PathBuf,
}

impl Campaign {
    /// `migrate --repos LIST --work-dir WORK`.
    fn args<'a>(&'a self, work: &'a Path) -> Vec<&'a str> {
        vec![
            "migrate",
            "--repos",
            self.list.to_str().unwrap(),
            "--work-dir",
            work.to_str().unwrap(),
        ]
    }
}

/// Three repositories with a workflow to fix, one without workflows, one missing.
fn campaign() -> Campaign {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let mut urls: Vec<String> = ["alpha", "beta", "gamma"]
        .iter()
        .map(|n| remote(&root, n, &[(".github/workflows/ci.yml", WORKFLOW)]))
        .collect();
    urls.push(remote(&root, "delta", &[("README.md", "no workflows\n")]));
    urls.push(format!(
        "file://{}",
        root.join("remotes/acme/missing").display()
    ));
    let list = root.join("repos.txt");
    std::fs::write(&list, format!("# the campaign\n{}\n", urls.join("\n"))).unwrap();
    Campaign {
        _dir: dir,
        root,
        urls,
        list,
    }
}

#[test]
fn a_campaign_commits_to_every_remote_and_retries_only_failures() {
    let c = campaign();
    let work = c.root.join("work");
    let args = c.args(&work);
    let (code, out, err) = common::run_ghfix(&args, &c.root, &[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("3 changed, 1 failed, 1 skipped"), "{out}");
    for url in &c.urls[..3] {
        assert_eq!(
            branches(url),
            vec!["ghfix/least-privilege-permissions", "main"]
        );
    }
    assert_eq!(branches(&c.urls[3]), vec!["main"]);
    let r = results(&work);
    assert_eq!(r["version"], 1);
    assert_eq!(r["repositories"]["acme/alpha"]["outcome"], "changed");
    assert_eq!(
        r["repositories"]["acme/alpha"]["findings"]["least-privilege-permissions"],
        1
    );
    assert_eq!(r["repositories"]["acme/delta"]["outcome"], "skipped");
    assert_eq!(r["repositories"]["acme/missing"]["outcome"], "failed");
    let alpha_commit = r["repositories"]["acme/alpha"]["commit"].clone();
    // A second run without --resume refuses to overwrite the campaign.
    let (code, _, err) = common::run_ghfix(&args, &c.root, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("pass --resume or --retry-failed"), "{err}");
    // The missing repository appears; only it is migrated again.
    remote(
        &c.root,
        "missing",
        &[(".github/workflows/ci.yml", WORKFLOW)],
    );
    let mut retry = args.clone();
    retry.push("--retry-failed");
    let (code, out, err) = common::run_ghfix(&retry, &c.root, &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("1 repositories to migrate"), "{err}");
    let r = results(&work);
    assert_eq!(r["repositories"]["acme/missing"]["outcome"], "changed");
    assert_eq!(r["repositories"]["acme/alpha"]["commit"], alpha_commit);
    assert_eq!(
        branches(&c.urls[4]),
        vec!["ghfix/least-privilege-permissions", "main"]
    );
}

#[test]
fn resume_continues_where_a_stopped_run_left_off() {
    let c = campaign();
    let work = c.root.join("work");
    std::fs::create_dir_all(&work).unwrap();
    // A run that was killed: alpha done, beta started (its branch already pushed).
    let args = c.args(&work);
    let (code, _, _) = common::run_ghfix(&args, &c.root, &[]);
    assert_eq!(code, 1);
    let mut state = results(&work);
    state["repositories"]["acme/beta"]["outcome"] = "started".into();
    state["repositories"]
        .as_object_mut()
        .unwrap()
        .remove("acme/gamma");
    std::fs::write(work.join("results.json"), state.to_string()).unwrap();
    let alpha_before = state["repositories"]["acme/alpha"].clone();
    let mut resume = args.clone();
    resume.push("--resume");
    let (code, out, err) = common::run_ghfix(&resume, &c.root, &[]);
    // beta, gamma and the still missing repository.
    assert!(err.contains("3 repositories to migrate"), "{err}");
    assert_eq!(code, 1, "{out}{err}");
    let r = results(&work);
    assert_eq!(r["repositories"]["acme/alpha"], alpha_before);
    assert_eq!(r["repositories"]["acme/beta"]["outcome"], "changed");
    assert_eq!(r["repositories"]["acme/gamma"]["outcome"], "changed");
    // No second branch anywhere.
    for url in &c.urls[..3] {
        assert_eq!(
            branches(url),
            vec!["ghfix/least-privilege-permissions", "main"]
        );
    }
}

#[test]
fn shards_split_the_list_and_merge_puts_it_back_together() {
    let c = campaign();
    let mut seen = Vec::new();
    let mut files = Vec::new();
    for shard in ["1/2", "2/2"] {
        let work = c.root.join(format!("work-{}", &shard[..1]));
        let args = [
            "migrate",
            "--repos",
            c.list.to_str().unwrap(),
            "--work-dir",
            work.to_str().unwrap(),
            "--shard",
            shard,
            "--dry-run",
        ];
        common::run_ghfix(&args, &c.root, &[]);
        let r = results(&work);
        seen.extend(r["repositories"].as_object().unwrap().keys().cloned());
        for (name, record) in r["repositories"].as_object().unwrap() {
            if record["outcome"] == "changed" {
                let diff = work
                    .join("diffs")
                    .join(format!("{}.diff", name.replace('/', "__")));
                assert!(std::fs::read_to_string(diff)
                    .unwrap()
                    .contains("+permissions:"));
            }
        }
        files.push(work.join("results.json"));
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            "acme/alpha",
            "acme/beta",
            "acme/delta",
            "acme/gamma",
            "acme/missing"
        ]
    );
    // A dry run pushes nothing.
    assert_eq!(branches(&c.urls[0]), vec!["main"]);
    let merged = c.root.join("all.json");
    let (code, out, err) = common::run_ghfix(
        &[
            "migrate",
            "merge",
            files[0].to_str().unwrap(),
            files[1].to_str().unwrap(),
            "-o",
            merged.to_str().unwrap(),
        ],
        &c.root,
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("3 changed, 1 failed, 1 skipped"), "{out}");
    let all: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(merged).unwrap()).unwrap();
    assert_eq!(all["repositories"].as_object().unwrap().len(), 5);
}

#[test]
fn an_organisation_is_listed_page_by_page_and_gets_pull_requests() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let alpha = remote(root, "alpha", &[(".github/workflows/ci.yml", WORKFLOW)]);
    let beta = remote(root, "beta", &[(".github/workflows/ci.yml", WORKFLOW)]);
    // Page 1: 100 entries, all archived, forks or empty but alpha; page 2: beta.
    let mut page1: Vec<serde_json::Value> = (0..99)
        .map(|i| {
            serde_json::json!({
                "full_name": format!("acme/old-{i}"), "clone_url": "file:///nowhere",
                "archived": i % 3 == 0, "fork": i % 3 == 1, "size": if i % 3 == 2 { 0 } else { 10 },
            })
        })
        .collect();
    page1.push(serde_json::json!({"full_name": "acme/alpha", "clone_url": alpha, "archived": false, "fork": false, "size": 5, "topics": ["ci", "web"], "language": "Rust", "visibility": "public"}));
    let page2 = serde_json::json!([
        {"full_name": "acme/beta", "clone_url": beta, "archived": false, "fork": false, "size": 5, "topics": ["ci"], "language": "rust", "visibility": "private"},
        {"full_name": "acme/go-thing", "clone_url": "file:///nowhere", "archived": false, "fork": false, "size": 5, "topics": ["ci"], "language": "Go"},
        {"full_name": "acme/untagged", "clone_url": "file:///nowhere", "archived": false, "fork": false, "size": 5, "topics": [], "language": "Rust"}
    ]);
    let pr = |n: u32, repo: &str| {
        format!(
            r#"{{"number": {n}, "node_id": "PR_{repo}", "html_url": "https://github.com/acme/{repo}/pull/{n}"}}"#
        )
    };
    let merged =
        r#"{"data": {"enablePullRequestAutoMerge": {"clientMutationId": null}}}"#.to_string();
    let (api, seen) = common::fake_api(vec![
        (
            "GET",
            "/orgs/acme/repos?per_page=100&page=1",
            200,
            "",
            serde_json::Value::from(page1).to_string(),
        ),
        (
            "GET",
            "/orgs/acme/repos?per_page=100&page=2",
            200,
            "",
            page2.to_string(),
        ),
        (
            "GET",
            "/repos/acme/alpha/pulls",
            429,
            "Retry-After: 0\r\n",
            "{}".into(),
        ),
        ("GET", "/repos/acme/alpha/pulls", 200, "", "[]".into()),
        ("POST", "/repos/acme/alpha/pulls", 201, "", pr(1, "alpha")),
        ("POST", "/graphql", 200, "", merged.clone()),
        ("GET", "/repos/acme/beta/pulls", 200, "", "[]".into()),
        ("POST", "/repos/acme/beta/pulls", 201, "", pr(2, "beta")),
        ("POST", "/graphql", 200, "", merged),
    ]);
    let work = root.join("work");
    let args = [
        "migrate",
        "--org",
        "acme",
        "--api-url",
        &api,
        "--work-dir",
        work.to_str().unwrap(),
        "--open-pr",
        "--concurrency",
        "1",
        "--topic",
        "ci",
        "--language",
        "RUST",
        "--auto-merge",
    ];
    let (code, out, err) = common::run_ghfix(&args, root, &[("GH_TOKEN", "t")]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("2 repositories to migrate"), "{err}");
    let r = results(&work);
    assert_eq!(
        r["repositories"]["acme/alpha"]["pull_request"],
        "https://github.com/acme/alpha/pull/1"
    );
    assert_eq!(
        r["repositories"]["acme/beta"]["pull_request"],
        "https://github.com/acme/beta/pull/2"
    );
    let created: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|s| s.method == "POST")
        .map(|s| s.path.clone())
        .collect();
    assert_eq!(
        created,
        [
            "/repos/acme/alpha/pulls",
            "/graphql",
            "/repos/acme/beta/pulls",
            "/graphql"
        ]
    );
    let seen = seen.lock().unwrap();
    let mutation = seen.iter().find(|s| s.path == "/graphql").unwrap();
    let body: serde_json::Value = serde_json::from_str(&mutation.body).unwrap();
    assert!(body["query"]
        .as_str()
        .unwrap()
        .contains("enablePullRequestAutoMerge"));
    assert_eq!(body["variables"]["id"], "PR_alpha");
    // The listing's visibility: the public repository's clone needs no scope, the private one's
    // does.
    let pushed = |url: &str| {
        let repo = Repository::open_bare(url.trim_start_matches("file://")).unwrap();
        let branch = branches(url).into_iter().find(|b| b != "main").unwrap();
        let tree = repo
            .find_branch(&branch, git2::BranchType::Local)
            .unwrap()
            .get()
            .peel_to_tree()
            .unwrap();
        common::tree_file(&repo, &tree, ".github/workflows/ci.yml")
    };
    assert!(
        pushed(&alpha).contains("permissions: {}"),
        "{}",
        pushed(&alpha)
    );
    assert!(
        pushed(&beta).contains("contents: read"),
        "{}",
        pushed(&beta)
    );
}

/// `migrate status` reads each pull request's state and checks into the results, and the HTML
/// report shows the campaign; where Debian's `chromium` is installed, a headless browser loads
/// the page, runs its script (sorting by a column) and takes a screenshot.
#[test]
fn status_reads_pull_requests_and_the_report_renders_in_a_browser() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let campaign = serde_json::json!({"version": 1, "repositories": {
        "acme/alpha": {"url": "u", "outcome": "changed", "step": "delivered",
            "pull_request": "https://github.com/acme/alpha/pull/1", "findings": {"least-privilege-permissions": 2}},
        "acme/beta": {"url": "u", "outcome": "changed", "step": "delivered",
            "pull_request": "https://github.com/acme/beta/pull/4", "findings": {"least-privilege-permissions": 1}},
        "acme/gamma": {"url": "u", "outcome": "failed", "step": "", "reason": "clone <refused>", "findings": {}}
    }});
    std::fs::write(work.join("results.json"), campaign.to_string()).unwrap();
    let (api, _) = common::fake_api(vec![
        (
            "GET",
            "/repos/acme/alpha/pulls/1",
            200,
            "",
            r#"{"state": "open", "merged": false, "head": {"sha": "a1"}}"#.into(),
        ),
        (
            "GET",
            "/repos/acme/alpha/commits/a1/check-runs",
            200,
            "",
            r#"{"check_runs": [{"status": "completed", "conclusion": "success"}]}"#.into(),
        ),
        (
            "GET",
            "/repos/acme/beta/pulls/4",
            200,
            "",
            r#"{"state": "closed", "merged": true, "head": {"sha": "b4"}}"#.into(),
        ),
        (
            "GET",
            "/repos/acme/beta/commits/b4/check-runs",
            200,
            "",
            r#"{"check_runs": [{"status": "completed", "conclusion": "failure"}]}"#.into(),
        ),
    ]);
    let report = dir.path().join("report.html");
    let (code, out, err) = common::run_ghfix(
        &[
            "migrate",
            "status",
            "--work-dir",
            work.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
            "--api-url",
            &api,
        ],
        dir.path(),
        &[("GH_TOKEN", "t")],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("https://github.com/acme/alpha/pull/1 (open, checks passing)"),
        "{out}"
    );
    let r = results(&work);
    assert_eq!(r["repositories"]["acme/beta"]["pr_state"], "merged");
    assert_eq!(r["repositories"]["acme/beta"]["checks"], "failing");
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(
        html.contains("clone &lt;refused&gt;"),
        "reasons are escaped"
    );
    assert_eq!(html.matches("<tr class=").count(), 3);
    let Some(browser) = ["chromium", "chromium-browser"].iter().find(|b| {
        std::process::Command::new(b)
            .arg("--version")
            .output()
            .is_ok()
    }) else {
        eprintln!(
            "chromium is not installed (apt-get install chromium): the report was not rendered"
        );
        return;
    };
    let url = format!("file://{}", report.display());
    let headless = |extra: &[&str]| {
        std::process::Command::new(browser)
            .args(["--headless", "--no-sandbox", "--disable-gpu"])
            .arg(format!(
                "--user-data-dir={}",
                dir.path().join("profile").display()
            ))
            .args(extra)
            .arg(&url)
            .output()
            .unwrap()
    };
    let dom = String::from_utf8(headless(&["--dump-dom"]).stdout).unwrap();
    for name in ["acme/alpha", "acme/beta", "acme/gamma"] {
        assert!(
            dom.contains(&format!("<td>{name}</td>")),
            "{name} missing from the rendered page:\n{dom}"
        );
    }
    assert!(
        dom.contains(r#"<ul id="outcomes"><li><b>2</b> changed</li><li><b>1</b> failed</li></ul>"#),
        "{dom}"
    );
    let shot = dir.path().join("report.png");
    headless(&[
        &format!("--screenshot={}", shot.display()),
        "--window-size=1200,800",
    ]);
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 1000,
        "no screenshot"
    );
}
