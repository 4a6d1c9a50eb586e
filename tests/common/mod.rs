//! Helpers shared by the integration tests: where the shared corpus and test suite live, running
//! the binary, copying and listing folders.

#![allow(dead_code)]

pub mod layout;

use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// `../shared` beside the crate, as CI lays it out.
pub fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("shared")
}

/// The corpus files (workflows and local actions).
pub fn corpus() -> Vec<PathBuf> {
    let files = ghfix::files::yaml_files(&shared().join("corpus"), &|_| true);
    assert!(
        files.len() > 300,
        "the shared corpus was not found beside the crate ({} files)",
        files.len()
    );
    files
}

/// Paths of the values in `value` (mappings only when `mappings_only`), skipping non-scalar keys;
/// `path` is the prefix.
pub fn yaml_paths(
    value: &yaml_rust2::Yaml,
    path: &mut ghfix::cst::Path,
    mappings_only: bool,
    out: &mut Vec<ghfix::cst::Path>,
) {
    use ghfix::cst::Segment;
    use yaml_rust2::Yaml;
    let is_mapping = matches!(value, Yaml::Hash(_));
    if (is_mapping || !mappings_only) && (mappings_only || !path.segments.is_empty()) {
        out.push(path.clone());
    }
    match value {
        Yaml::Hash(h) => {
            for (k, v) in h {
                let Some(k) = ghfix::cst::verify::key_text(k) else {
                    continue;
                };
                path.segments.push(Segment::Key(k));
                yaml_paths(v, path, mappings_only, out);
                path.segments.pop();
            }
        }
        Yaml::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                path.segments.push(Segment::Index(i));
                yaml_paths(v, path, mappings_only, out);
                path.segments.pop();
            }
        }
        _ => {}
    }
}

/// Runs the ghfix binary in `dir` with `args` and `env` (no colour, no inherited GitHub token):
/// exit code, standard output, standard error.
pub fn run_ghfix(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_ghfix"));
    cmd.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_TOKEN");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Copies the folder `from` to `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let dest = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// Relative path -> text of every file under `dir`, sorted.
pub fn tree_files(dir: &Path) -> Vec<(String, String)> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<(String, String)>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            if e.path().is_dir() {
                walk(&e.path(), base, out);
            } else {
                let rel = e.path().strip_prefix(base).unwrap().display().to_string();
                out.push((rel, std::fs::read_to_string(e.path()).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// One request as the fake API saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub body: String,
    pub auth: String,
}

/// A fake GitHub API: answers each request with the next scripted `(status, headers, body)`
/// whose method and path prefix match, and records what it saw.
pub fn fake_api(
    script: Vec<(&'static str, &'static str, u16, &'static str, String)>,
) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        let mut script = script;
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let mut parts = line.split_whitespace();
            let (method, path) = (
                parts.next().unwrap().to_string(),
                parts.next().unwrap().to_string(),
            );
            let (mut length, mut auth) = (0, String::new());
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                let header = header.trim_end();
                if header.is_empty() {
                    break;
                }
                let (k, v) = header.split_once(": ").unwrap();
                match k.to_ascii_lowercase().as_str() {
                    "content-length" => length = v.parse().unwrap(),
                    "authorization" => auth = v.to_string(),
                    _ => {}
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            log.lock().unwrap().push(Seen {
                method: method.clone(),
                path: path.clone(),
                body: String::from_utf8(body).unwrap(),
                auth,
            });
            let at = script
                .iter()
                .position(|(m, p, ..)| *m == method && path.starts_with(p))
                .unwrap_or_else(|| panic!("unexpected {method} {path}"));
            let (_, _, status, headers, answer) = script.remove(at);
            let reply = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n{answer}",
                answer.len()
            );
            stream.write_all(reply.as_bytes()).unwrap();
        }
    });
    (url, seen)
}

/// The text of the file at `path` in a commit's `tree`.
pub fn tree_file(repo: &git2::Repository, tree: &git2::Tree, path: &str) -> String {
    let blob = tree
        .get_path(Path::new(path))
        .unwrap()
        .to_object(repo)
        .unwrap()
        .peel_to_blob()
        .unwrap();
    String::from_utf8(blob.content().to_vec()).unwrap()
}
