//! Hostile input and unusual file systems, through the binary: each case builds a temporary
//! tree, runs `check` and `apply`, and asserts the exit code, the message, a memory ceiling
//! (the child's peak RSS, read with wait4) and that nothing but the expected file changed.
//! `cargo test --test hostile -- --nocapture` prints the table quoted in the closing notes.

#![cfg(unix)]

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Peak RSS allowed to any run, in bytes.
const MEMORY_CEILING: u64 = 256 * 1024 * 1024;
/// Address space a child may map: a safety net so a regression fails the test instead of the
/// machine.
const ADDRESS_LIMIT: u64 = 2 * 1024 * 1024 * 1024;
/// Longest a run may take before it counts as a hang.
const TIMEOUT: Duration = Duration::from_secs(60);

const WORKFLOW: &str =
    "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n";

struct Run {
    code: i32,
    out: String,
    peak_rss: u64,
}

/// Runs ghfix in `dir`, measuring the child's peak RSS; panics on a hang.
fn ghfix(args: &[&str], dir: &Path) -> Run {
    let out_file = tempfile::NamedTempFile::new().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ghfix"));
    cmd.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(out_file.reopen().unwrap())
        .stderr(out_file.reopen().unwrap());
    // SAFETY: setrlimit is async-signal-safe and touches only the child.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: ADDRESS_LIMIT,
                rlim_max: ADDRESS_LIMIT,
            };
            libc::setrlimit(libc::RLIMIT_AS, &limit);
            Ok(())
        });
    }
    // Reaped below with wait4, which also reports the peak RSS.
    #[allow(clippy::zombie_processes)]
    let child = cmd.spawn().unwrap();
    let pid = child.id() as libc::pid_t;
    let start = Instant::now();
    let (status, usage) = loop {
        let mut status = 0;
        // SAFETY: plain syscalls on our own child's pid with valid out-pointers.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let done = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if done == pid {
            break (status, usage);
        }
        if start.elapsed() > TIMEOUT {
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("ghfix {args:?} hung for {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    assert!(
        libc::WIFEXITED(status),
        "ghfix {args:?} died with signal {}",
        libc::WTERMSIG(status)
    );
    Run {
        code: libc::WEXITSTATUS(status),
        out: fs::read_to_string(out_file.path()).unwrap_or_default(),
        peak_rss: usage.ru_maxrss as u64 * 1024,
    }
}

/// Every entry under `dir` (not following symlinks): kind, mode, and content or link target.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let meta = fs::symlink_metadata(&p).unwrap();
            let kind = meta.file_type();
            let what = if kind.is_symlink() {
                format!("link -> {}", fs::read_link(&p).unwrap().display())
            } else if kind.is_dir() {
                stack.push(p.clone());
                "dir".into()
            } else if kind.is_file() {
                let bytes = fs::read(&p).unwrap();
                format!(
                    "file {:o} {} {}",
                    meta.mode() & 0o7777,
                    bytes.len(),
                    String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
                )
            } else {
                "special".into()
            };
            out.insert(p.strip_prefix(dir).unwrap().to_path_buf(), what);
        }
    }
    out
}

fn write(path: &Path, bytes: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

/// Makes `at` a symlink to `target`, creating its folder.
fn link(target: &str, at: &Path) {
    fs::create_dir_all(at.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(target, at).unwrap();
}

/// One case: a tree under `repo/` (plus `outside/` beside it), what `check` and `apply` must
/// exit with and say, and which files `apply` may change (relative to the temp dir).
struct Case {
    name: &'static str,
    build: Box<dyn Fn(&Path)>,
    check: i32,
    apply: i32,
    says: &'static str,
    may_change: &'static [&'static str],
}

fn workflow_case(
    name: &'static str,
    bytes: Vec<u8>,
    check: i32,
    apply: i32,
    says: &'static str,
) -> Case {
    Case {
        name,
        build: Box::new(move |d| write(&d.join("repo/.github/workflows/ci.yml"), &bytes)),
        check,
        apply,
        says,
        may_change: if apply == 0 {
            &["repo/.github/workflows/ci.yml"]
        } else {
            &[]
        },
    }
}

fn staircase(depth: usize) -> Vec<u8> {
    let mut s = WORKFLOW.to_string() + "x:\n";
    for i in 1..depth {
        s.push_str(&format!("{}k:\n", " ".repeat(i)));
    }
    s.into_bytes()
}

fn alias_bomb() -> Vec<u8> {
    let mut s = WORKFLOW.to_string() + "a: &a [x, x, x, x, x, x, x, x, x]\n";
    let mut prev = 'a';
    for name in 'b'..='j' {
        let refs = vec![format!("*{prev}"); 9].join(", ");
        s.push_str(&format!("{name}: &{name} [{refs}]\n"));
        prev = name;
    }
    s.into_bytes()
}

fn long_file(lines: usize) -> Vec<u8> {
    let mut s = WORKFLOW.to_string() + "    env:\n";
    let have = s.lines().count();
    for i in 0..lines - have {
        s.push_str(&format!("      K{i}: v\n"));
    }
    s.into_bytes()
}

fn cases() -> Vec<Case> {
    let plain = WORKFLOW.as_bytes().to_vec();
    vec![
        workflow_case("plain workflow (control)", plain.clone(), 1, 0, ""),
        workflow_case("nesting depth 60", staircase(60), 1, 0, ""),
        workflow_case("nesting depth 150", staircase(150), 2, 2, "too deep"),
        workflow_case("nesting depth 250", staircase(250), 2, 2, "too deep"),
        workflow_case("nesting depth 2,000", staircase(2000), 2, 2, "too deep"),
        workflow_case(
            "compact nesting `- - -` x 300",
            format!("{WORKFLOW}x:\n  {}v\n", "- ".repeat(300)).into_bytes(),
            2,
            2,
            "too deep",
        ),
        workflow_case(
            "compact nesting x 10,000",
            format!("{WORKFLOW}x:\n  {}v\n", "- ".repeat(10_000)).into_bytes(),
            2,
            2,
            "too deep",
        ),
        workflow_case(
            "flow nesting x 1,000",
            format!("{WORKFLOW}x: {}{}\n", "[".repeat(1000), "]".repeat(1000)).into_bytes(),
            2,
            2,
            "nest too deep",
        ),
        workflow_case("alias bomb (9^10 nodes)", alias_bomb(), 2, 2, "alias bomb"),
        workflow_case("32,000 lines", long_file(32_000), 1, 0, ""),
        workflow_case("40,000 lines", long_file(40_000), 2, 2, "at most 32767"),
        workflow_case(
            "line of 32,000 characters",
            format!("{WORKFLOW}x: {}\n", "y".repeat(32_000)).into_bytes(),
            1,
            0,
            "",
        ),
        workflow_case(
            "line of 1 MB",
            format!("{WORKFLOW}x: {}\n", "y".repeat(1 << 20)).into_bytes(),
            2,
            2,
            "characters long",
        ),
        workflow_case(
            "NUL byte",
            b"on: push\x00\njobs: {}\n".to_vec(),
            2,
            2,
            "U+0000",
        ),
        workflow_case(
            "CR-only line endings",
            WORKFLOW.replace('\n', "\r").into_bytes(),
            2,
            2,
            "CR-only",
        ),
        workflow_case(
            "CRLF line endings (control)",
            WORKFLOW.replace('\n', "\r\n").into_bytes(),
            1,
            0,
            "",
        ),
        workflow_case(
            "tab indentation",
            b"on: push\njobs:\n\ta:\n\t\truns-on: x\n".to_vec(),
            2,
            2,
            "invalid YAML",
        ),
        workflow_case(
            "binary",
            (0..4096u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
                .collect(),
            2,
            2,
            "",
        ),
        workflow_case(
            "invalid UTF-8",
            b"on: push\njobs: \xff\xfe\n".to_vec(),
            2,
            2,
            "not UTF-8",
        ),
        workflow_case(
            "UTF-16",
            std::iter::once([0xff, 0xfe])
                .flatten()
                .chain(WORKFLOW.bytes().flat_map(|b| [b, 0]))
                .collect(),
            2,
            2,
            "UTF-16",
        ),
        workflow_case(
            "indentation of 40,000 spaces",
            format!("{WORKFLOW}x:\n{}k: v\n", " ".repeat(40_000)).into_bytes(),
            2,
            2,
            "characters long",
        ),
        Case {
            name: "FIFO named ci.yml",
            build: Box::new(|d| {
                write(
                    &d.join("repo/.github/workflows/ok.yml"),
                    WORKFLOW.as_bytes(),
                );
                let fifo = std::ffi::CString::new(
                    d.join("repo/.github/workflows/ci.yml")
                        .to_str()
                        .unwrap()
                        .as_bytes(),
                )
                .unwrap();
                // SAFETY: a valid C string.
                assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
            }),
            check: 2,
            apply: 2,
            says: "not a regular file",
            may_change: &["repo/.github/workflows/ok.yml"],
        },
        Case {
            name: "FIFO as .git/config",
            build: Box::new(|d| {
                write(
                    &d.join("repo/.github/workflows/ci.yml"),
                    WORKFLOW.as_bytes(),
                );
                std::fs::create_dir_all(d.join("repo/.git")).unwrap();
                let fifo =
                    std::ffi::CString::new(d.join("repo/.git/config").to_str().unwrap().as_bytes())
                        .unwrap();
                // SAFETY: a valid C string.
                assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
            }),
            check: 1,
            apply: 0,
            says: "1 finding in 1 file",
            may_change: &["repo/.github/workflows/ci.yml"],
        },
        Case {
            name: "symlink loop in workflows",
            build: Box::new(|d| {
                let wf = d.join("repo/.github/workflows");
                write(&wf.join("ci.yml"), WORKFLOW.as_bytes());
                link(".", &wf.join("loop"));
                link("../workflows", &wf.join("up"));
            }),
            check: 1,
            apply: 0,
            says: "1 finding in 1 file",
            may_change: &["repo/.github/workflows/ci.yml"],
        },
        Case {
            name: "workflows folder linked outside",
            build: Box::new(|d| {
                write(&d.join("outside/ci.yml"), WORKFLOW.as_bytes());
                link("../../outside", &d.join("repo/.github/workflows"));
            }),
            check: 2,
            apply: 2,
            says: "outside the repository",
            may_change: &[],
        },
        Case {
            name: "workflow linked outside",
            build: Box::new(|d| {
                write(&d.join("outside/ci.yml"), WORKFLOW.as_bytes());
                link(
                    "../../../outside/ci.yml",
                    &d.join("repo/.github/workflows/ci.yml"),
                );
            }),
            check: 2,
            apply: 2,
            says: "outside the repository",
            may_change: &[],
        },
        Case {
            name: "workflow linked inside the repository",
            build: Box::new(|d| {
                write(&d.join("repo/shared/ci.yml"), WORKFLOW.as_bytes());
                link(
                    "../../shared/ci.yml",
                    &d.join("repo/.github/workflows/ci.yml"),
                );
                link(
                    "../../shared/ci.yml",
                    &d.join("repo/.github/workflows/again.yml"),
                );
            }),
            check: 1,
            apply: 0,
            says: "1 finding in 1 file",
            may_change: &["repo/shared/ci.yml"],
        },
        Case {
            name: "read-only workflow (0444)",
            build: Box::new(|d| {
                let f = d.join("repo/.github/workflows/ci.yml");
                write(&f, WORKFLOW.as_bytes());
                fs::set_permissions(&f, fs::Permissions::from_mode(0o444)).unwrap();
            }),
            check: 1,
            apply: 2,
            says: "read-only",
            may_change: &[],
        },
        Case {
            name: "hard-linked workflow",
            build: Box::new(|d| {
                let f = d.join("repo/.github/workflows/ci.yml");
                write(&f, WORKFLOW.as_bytes());
                fs::hard_link(&f, d.join("repo/linked.yml")).unwrap();
            }),
            check: 1,
            apply: 0,
            says: "",
            may_change: &["repo/.github/workflows/ci.yml", "repo/linked.yml"],
        },
    ]
}

#[test]
fn hostile_inputs_fail_cleanly_within_limits() {
    let mut table = vec![format!(
        "| {:38} | check | apply | peak RSS | message |",
        "input"
    )];
    table.push(format!(
        "|{}|-------|-------|----------|---------|",
        "-".repeat(40)
    ));
    let mut failures = Vec::new();
    for case in cases() {
        let dir = tempfile::tempdir().unwrap();
        (case.build)(dir.path());
        let repo = dir.path().join("repo");
        let before = snapshot(dir.path());
        let check = ghfix(&["check"], &repo);
        let apply = ghfix(&["apply"], &repo);
        let after = snapshot(dir.path());
        let peak = check.peak_rss.max(apply.peak_rss);
        let message = apply
            .out
            .lines()
            .chain(check.out.lines())
            .find(|l| !case.says.is_empty() && l.contains(case.says))
            .or_else(|| apply.out.lines().next())
            .unwrap_or("")
            .chars()
            .take(110)
            .collect::<String>();
        table.push(format!(
            "| {:38} | {:5} | {:5} | {:5} MB | {} |",
            case.name,
            check.code,
            apply.code,
            peak / (1024 * 1024),
            message.replace(dir.path().to_str().unwrap(), "")
        ));
        let mut problems = Vec::new();
        if (check.code, apply.code) != (case.check, case.apply) {
            problems.push(format!(
                "exit codes check {} apply {}, wanted {} {}\ncheck:\n{}\napply:\n{}",
                check.code,
                apply.code,
                case.check,
                case.apply,
                check.out.chars().take(600).collect::<String>(),
                apply.out.chars().take(600).collect::<String>()
            ));
        }
        // The message appears, and in every run that stopped with an input error.
        let runs = [&check, &apply];
        if !case.says.is_empty()
            && (!runs.iter().any(|r| r.out.contains(case.says))
                || runs
                    .iter()
                    .any(|r| r.code == 2 && !r.out.contains(case.says)))
        {
            problems.push(format!("the output must say {:?}", case.says));
        }
        if peak > MEMORY_CEILING {
            problems.push(format!("peak RSS {} MB", peak / (1024 * 1024)));
        }
        for (path, was) in &before {
            let now = after.get(path);
            let allowed = case.may_change.iter().any(|m| Path::new(m) == path);
            if now != Some(was) && !allowed {
                problems.push(format!("{} changed: {was} -> {now:?}", path.display()));
            }
        }
        for path in after.keys().filter(|p| !before.contains_key(*p)) {
            problems.push(format!("{} appeared", path.display()));
        }
        for m in case.may_change {
            let path = Path::new(m);
            if case.apply == 0 && before.get(path) == after.get(path) {
                problems.push(format!("{m} was not fixed"));
            }
        }
        if !problems.is_empty() {
            failures.push(format!("{}:\n  {}", case.name, problems.join("\n  ")));
        }
    }
    println!("{}", table.join("\n"));
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn hard_links_and_owner_survive_a_fix() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("repo/.github/workflows/ci.yml");
    write(&f, WORKFLOW.as_bytes());
    let link = dir.path().join("repo/linked.yml");
    fs::hard_link(&f, &link).unwrap();
    let before = fs::metadata(&f).unwrap();
    assert_eq!(ghfix(&["apply"], &dir.path().join("repo")).code, 0);
    let after = fs::metadata(&f).unwrap();
    assert_eq!(after.ino(), before.ino());
    assert_eq!((after.uid(), after.gid()), (before.uid(), before.gid()));
    assert_eq!(fs::read(&f).unwrap(), fs::read(&link).unwrap());
    assert!(fs::read_to_string(&link).unwrap().contains("permissions:"));
}

#[test]
fn symlinked_workflow_keeps_its_link() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("shared/ci.yml"), WORKFLOW.as_bytes());
    let wf = dir.path().join(".github/workflows");
    link("../../shared/ci.yml", &wf.join("ci.yml"));
    let run = ghfix(&["apply"], dir.path());
    assert_eq!(run.code, 0, "{}", run.out);
    assert!(fs::symlink_metadata(wf.join("ci.yml"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(fs::read_to_string(dir.path().join("shared/ci.yml"))
        .unwrap()
        .contains("permissions:"));
}
