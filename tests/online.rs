//! `--online` against a local HTTP server standing in for the GitHub API: an action the shipped
//! index lacks is fetched at the exact ref used (authenticated with GH_TOKEN), its metadata
//! decides the job, the answer is cached on disk and used without the server; a failed fetch is
//! a warning, and the job stays as offline.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

const WORKFLOW: &str = "\
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: acme-corp/setup-frob@v3
        with:
          version: 1.2
      - run: make
";

const ACTION_YML: &str = "\
name: setup frob
inputs:
  version:
    description: which frob
runs:
  using: node20
  main: dist/index.js
";

/// Serves `body` for the action.yml of acme-corp/setup-frob at ref v3 (404 for anything else),
/// recording each request line and its Authorization header.
fn serve(body: &'static str) -> (String, Arc<Mutex<Vec<String>>>) {
    serve_files(&[(
        "/repos/acme-corp/setup-frob/contents/action.yml?ref=v3",
        body,
    )])
}

/// Serves each `(path and query, body)`; 404 for anything else.
fn serve_files(files: &[(&'static str, &'static str)]) -> (String, Arc<Mutex<Vec<String>>>) {
    let files = files.to_vec();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            reader.read_line(&mut request).unwrap();
            let mut auth = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                    break;
                }
                if line.to_lowercase().starts_with("authorization:") {
                    auth = line.trim().to_string();
                }
            }
            log.lock()
                .unwrap()
                .push(format!("{} | {auth}", request.trim()));
            let found = files
                .iter()
                .find(|(path, _)| request.starts_with(&format!("GET {path} ")));
            let (status, text) = match found {
                Some((_, body)) => ("200 OK", *body),
                None => ("404 Not Found", "{\"message\":\"Not Found\"}"),
            };
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            );
        }
    });
    (url, seen)
}

fn ghfix(dir: &Path, cache: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ghfix"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("GHFIX_CACHE_DIR", cache)
        .env("GH_TOKEN", "test-token")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn repo() -> tempfile::TempDir {
    repo_with(WORKFLOW)
}

/// A temporary repository whose one workflow is `text`.
fn repo_with(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let wf = dir.path().join(".github/workflows/ci.yml");
    std::fs::create_dir_all(wf.parent().unwrap()).unwrap();
    std::fs::write(wf, text).unwrap();
    dir
}

#[test]
fn online_metadata_decides_an_unknown_action_and_is_cached() {
    let dir = repo();
    let cache = tempfile::tempdir().unwrap();
    let fix = [
        "apply",
        "--dry-run",
        "--rule",
        "least-privilege-permissions",
    ];

    // Offline, ghfix has never seen the action: the job is left as it was.
    let (_, offline, err) = ghfix(dir.path(), cache.path(), &fix);
    assert!(!offline.contains("+permissions:"), "{offline}");
    assert!(
        err.contains("`acme-corp/setup-frob`, which ghfix does not know"),
        "{err}"
    );

    // Online, its action.yml shows it cannot see the token: the job gets its block.
    let (url, seen) = serve(ACTION_YML);
    let online_args = [&fix[..], &["--online", "--api-url", &url]].concat();
    let (code, online, err) = ghfix(dir.path(), cache.path(), &online_args);
    assert_eq!(code, 1, "{online}{err}");
    assert!(online.contains("+permissions: {}"), "{online}{err}");
    assert!(!err.contains("warning"), "{err}");
    let requests = seen.lock().unwrap().clone();
    assert_eq!(
        requests,
        ["GET /repos/acme-corp/setup-frob/contents/action.yml?ref=v3 HTTP/1.1 | authorization: Bearer test-token"]
    );
    assert!(cache
        .path()
        .join("actions/acme-corp/setup-frob/v3.yml")
        .is_file());

    // Again, with the server unreachable: the cache answers.
    let gone = ["--online", "--api-url", "http://127.0.0.1:9"];
    let (_, cached, err) = ghfix(dir.path(), cache.path(), &[&fix[..], &gone].concat());
    assert_eq!(cached, online, "{err}");
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[test]
fn a_failed_fetch_is_a_warning_and_the_job_stays() {
    // The server answers 404 for a ref it does not hold.
    let dir = repo_with(&WORKFLOW.replace("@v3", "@v9"));
    let cache = tempfile::tempdir().unwrap();
    let (url, _) = serve("not: [valid");
    let (_, out, err) = ghfix(
        dir.path(),
        cache.path(),
        &["apply", "--dry-run", "--online", "--api-url", &url],
    );
    assert!(
        err.contains("warning: --online: acme-corp/setup-frob@v9: no action.yml at that ref"),
        "{err}"
    );
    assert!(!out.contains("+permissions:"), "{out}");
}

/// A reusable workflow of another repository is fetched at the ref called and analysed: the
/// caller's job must grant what the callee's jobs declare; what it names by local path is not
/// followed (the job stays as it was).
#[test]
fn a_remote_reusable_workflow_is_analysed_online() {
    let dir = repo_with(
        "on: push\njobs:\n  release:\n    uses: acme-corp/workflows/.github/workflows/release.yml@v1\n  local:\n    uses: acme-corp/workflows/.github/workflows/local.yml@v1\n",
    );
    let callee = "on: workflow_call\njobs:\n  publish:\n    runs-on: ubuntu-latest\n    permissions:\n      contents: write\n    steps:\n      - run: gh release create v1\n";
    let local = "on: workflow_call\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./.github/actions/build\n        with:\n          token: ${{ github.token }}\n";
    let (url, _) = serve_files(&[
        (
            "/repos/acme-corp/workflows/contents/.github/workflows/release.yml?ref=v1",
            callee,
        ),
        (
            "/repos/acme-corp/workflows/contents/.github/workflows/local.yml?ref=v1",
            local,
        ),
    ]);
    let cache = tempfile::tempdir().unwrap();
    let (_, out, err) = ghfix(
        dir.path(),
        cache.path(),
        &["apply", "--dry-run", "--online", "--api-url", &url],
    );
    assert!(
        out.contains("+    permissions:\n+      contents: write # declared by job `publish`"),
        "{out}{err}"
    );
    assert!(err.contains("cannot read the local action"), "{err}");
    assert!(cache
        .path()
        .join("workflows/acme-corp/workflows/.github/workflows/release.yml/v1.yml")
        .is_file());
}

/// An API that cannot be reached costs one failed request, not one per action: the rest stay
/// unknown with a single warning.
#[test]
fn an_unreachable_api_is_tried_once() {
    let dir = repo_with(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: acme-corp/one@v1\n      - uses: acme-corp/two@v1\n      - uses: acme-corp/three@v1\n",
    );
    let cache = tempfile::tempdir().unwrap();
    let (_, _, err) = ghfix(
        dir.path(),
        cache.path(),
        &["check", "--online", "--api-url", "http://127.0.0.1:9"],
    );
    assert_eq!(
        err.matches("warning: --online: acme-corp/").count(),
        1,
        "{err}"
    );
    assert!(
        err.contains("2 more not fetched after that failure"),
        "{err}"
    );
}

/// A commit pin without a version comment, which the shipped tag table does not know, takes its
/// major version from the repository's tags: the knowledge entry for that major then applies.
#[test]
fn a_commit_pin_takes_its_major_from_the_tags() {
    let sha = "0123456789abcdef0123456789abcdef01234567";
    let dir = repo_with(&format!(
        "on: pull_request\njobs:\n  comment:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: mshick/add-pr-comment@{sha}\n        with:\n          message: hi\n"
    ));
    let cache = tempfile::tempdir().unwrap();
    let (_, offline, err) = ghfix(dir.path(), cache.path(), &["apply", "--dry-run"]);
    assert!(!offline.contains("pull-requests: write"), "{offline}");
    assert!(err.contains("cannot tell the ref's major version"), "{err}");
    let tags = Box::leak(
        format!("[{{\"name\":\"v3.1.0\",\"commit\":{{\"sha\":\"{sha}\"}}}},{{\"name\":\"v2.0.0\",\"commit\":{{\"sha\":\"ffff\"}}}}]")
            .into_boxed_str(),
    );
    let (url, _) = serve_files(&[(
        "/repos/mshick/add-pr-comment/tags?per_page=100&page=1",
        tags,
    )]);
    let (_, online, err) = ghfix(
        dir.path(),
        cache.path(),
        &["apply", "--dry-run", "--online", "--api-url", &url],
    );
    assert!(online.contains("pull-requests: write"), "{online}{err}");
}

/// With `--online` and no visibility given, the repository's own (`GET /repos/{owner}/{repo}`
/// for its GitHub remote) decides whether the reads only a private repository needs are granted;
/// an answer the API does not give leaves them granted.
#[test]
fn online_the_api_tells_the_repository_visibility() {
    let workflow = "on: push\njobs:\n  scan:\n    runs-on: ubuntu-latest\n    steps:\n      \
        - uses: actions/checkout@v4\n      - uses: github/codeql-action/analyze@v3\n";
    let dir = repo_with(workflow);
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    std::fs::write(
        dir.path().join(".git/config"),
        "[remote \"origin\"]\n\turl = https://github.com/acme-corp/app.git\n",
    )
    .unwrap();
    let cache = tempfile::tempdir().unwrap();
    let grants = |url: &str| {
        let args = ["apply", "--dry-run", "--online", "--api-url", url];
        let (code, out, err) = ghfix(dir.path(), cache.path(), &args);
        assert_eq!(code, 1, "{out}{err}");
        (
            out.contains("contents: read"),
            out.contains("actions: read"),
        )
    };
    let (public, seen) = serve_files(&[("/repos/acme-corp/app", "{\"visibility\":\"public\"}")]);
    assert_eq!(grants(&public), (false, false));
    assert!(seen.lock().unwrap()[0].starts_with("GET /repos/acme-corp/app HTTP/1.1"));
    let (private, _) = serve_files(&[("/repos/acme-corp/app", "{\"visibility\":\"private\"}")]);
    assert_eq!(grants(&private), (true, true));
    // An older API that tells `private` only.
    let (old, _) = serve_files(&[("/repos/acme-corp/app", "{\"private\":false}")]);
    assert_eq!(grants(&old), (false, false));
    // Not found (a private repository the token cannot see): granted.
    let (none, _) = serve_files(&[]);
    assert_eq!(grants(&none), (true, true));
}
