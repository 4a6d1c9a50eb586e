//! `ghfix check`, `ghfix apply`, `ghfix rules`, `ghfix explain`: rules over many files, in
//! parallel; invalid files are reported and the others still processed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::cli::{ApplyArgs, Format, RunArgs};
use crate::commands::{input_error, EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, EXIT_REFUSED};
use crate::config::{Loaded, Visibility};
use crate::cst::Document;
use crate::files::{self, Target};
use crate::report::human::Style;
use crate::report::{diff, findings};
use crate::rules::engine::{Engine, Finding};
use crate::rules::online::Fetcher;
use crate::rules::permissions::{repo_root, Repo};
use crate::rules::schema::Safety;

/// The outcome for one file.
pub struct FileResult {
    /// The path as given.
    pub path: String,
    /// Findings that remain (check: all; apply: after fixing).
    pub findings: Vec<Finding>,
    /// A one-line input error (`file:line:col: ...`).
    pub error: Option<String>,
    /// A fix refused by verification.
    pub refused: Option<String>,
    /// The diff of the applied fixes.
    pub diff: String,
    /// The fixed text, when it differs.
    pub fixed: Option<String>,
    /// Where to write it: the real file (symlinks resolved).
    pub real: PathBuf,
    /// Whether the file calls a local action or reusable workflow (`uses: ./...`).
    pub calls_local: bool,
    /// The findings whose fixes were applied (apply only).
    pub applied: Vec<Finding>,
}

/// The files under the given paths (default: the current folder): workflows and local action
/// definitions, each real file once, never outside the repository; and what was skipped.
pub fn discover(paths: &[PathBuf]) -> files::Found {
    let defaults = [PathBuf::from(".")];
    let paths = if paths.is_empty() {
        &defaults[..]
    } else {
        paths
    };
    let mut found = files::Found::default();
    for p in paths {
        if std::fs::symlink_metadata(p).is_err() {
            found
                .skipped
                .push((p.clone(), "no such file or folder".to_string()));
            continue;
        }
        let root = match files::boundary(p) {
            Ok(r) => r,
            Err(e) => {
                found.skipped.push((p.clone(), files::describe(&e)));
                continue;
            }
        };
        if !p.is_dir() {
            found.add_file(p.clone(), &root);
            continue;
        }
        let github = p.join(".github");
        if github.is_dir() {
            found.add_dir(&github.join("workflows"), &root, &|_| true);
            found.add_dir(&github.join("actions"), &root, &|stem| stem == "action");
        } else {
            found.add_dir(p, &root, &|_| true);
        }
    }
    found.finish()
}

impl FileResult {
    /// A result with nothing in it yet for the file shown as `shown`, written at `real`.
    fn new(shown: &Path, real: PathBuf) -> FileResult {
        FileResult {
            path: shown.display().to_string(),
            findings: Vec::new(),
            error: None,
            refused: None,
            diff: String::new(),
            fixed: None,
            real,
            calls_local: false,
            applied: Vec::new(),
        }
    }
}

fn process(
    engine: &Engine,
    target: &Target,
    args: &RunArgs,
    fix: Option<bool>,
    public: bool,
    pending: Option<&Arc<BTreeMap<PathBuf, String>>>,
) -> FileResult {
    let path = target.shown.as_path();
    let display = path.display().to_string();
    let mut result = FileResult::new(path, target.real.clone());
    let text = match files::read_text(&target.real, path) {
        Ok(t) => t,
        Err(e) => {
            result.error = Some(e);
            return result;
        }
    };
    result.calls_local = LOCAL_USES.is_match(&text);
    let mut repo = Repo::at(repo_root(path));
    repo.pending = pending.cloned();
    repo.public = public;
    let name = path
        .file_name()
        .map_or(display.clone(), |n| n.to_string_lossy().into_owned());
    let (findings, meaning) = match engine.check_text(&repo, &name, &text, &args.rules) {
        Ok(read) => read,
        Err(e) => {
            result.error = Some(format!("{display}:{e}"));
            return result;
        }
    };
    // Most files need no edit: those are never given a syntax tree.
    let Some(allow_unsafe) = fix.filter(|u| findings.iter().any(|f| f.applies(*u))) else {
        result.findings = findings;
        return result;
    };
    let doc = match Document::with_meaning(text, meaning) {
        Ok(d) => d,
        Err(e) => {
            result.error = Some(format!("{display}:{e}"));
            return result;
        }
    };
    match engine.fix_reporting(
        &repo,
        &name,
        &doc,
        Some(findings),
        &args.rules,
        allow_unsafe,
    ) {
        Ok((fixed, remaining, found)) => {
            if fixed.text() != doc.text() {
                // What was fixed: the fixable findings of the file as it was that are gone.
                result.applied = found
                    .into_iter()
                    .filter(|f| {
                        f.applies(allow_unsafe)
                            && !remaining
                                .iter()
                                .any(|r| r.rule == f.rule && r.message == f.message)
                    })
                    .collect();
            }
            result.findings = remaining;
            if fixed.text() != doc.text() {
                result.diff = diff::unified(&display, doc.text(), fixed.text());
                result.fixed = Some(fixed.into_text());
            }
        }
        Err((rule, e)) => {
            result.refused = Some(format!("{display}: rule {rule}: {e}; file left unchanged"));
            result.findings = engine.check(&repo, &name, &doc, &args.rules);
        }
    }
    result
}

fn load_engine(dir: Option<&Path>) -> Result<Engine, u8> {
    Engine::load(dir).map_err(input_error)
}

/// The repository the run is about: that of the first path given, else of the current folder.
fn run_root(paths: &[PathBuf]) -> PathBuf {
    let first = paths.first().cloned().unwrap_or_else(|| PathBuf::from("."));
    files::boundary(&first).unwrap_or(first)
}

/// The configuration of the run, or a one-line error.
fn load_config(explicit: Option<&Path>, root: &Path) -> Result<Loaded, u8> {
    Loaded::load(explicit, root).map_err(input_error)
}

/// `ghfix config`: the effective configuration.
pub fn print_config(explicit: Option<&Path>) -> u8 {
    let root = run_root(&[]);
    let loaded = match load_config(explicit, &root) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let engine = match load_engine_with(&loaded, None) {
        Ok(e) => e,
        Err(code) => return code,
    };
    crate::print_masked!("{}", loaded.to_yaml());
    let ids: Vec<&str> = engine.rules.iter().map(|r| r.id.as_str()).collect();
    crate::println_masked!("# rules that run: {}", ids.join(", "));
    EXIT_OK
}

/// The rules and knowledge for a configured run: the embedded ones, the configuration's rule
/// folders, `--rules DIR`; then the configuration's selection and severities.
pub fn load_engine_with(loaded: &Loaded, dir: Option<&Path>) -> Result<Engine, u8> {
    let folders = loaded.rule_folders();
    let all: Vec<&Path> = folders.iter().map(PathBuf::as_path).chain(dir).collect();
    let mut engine = Engine::load_folders(&all).map_err(input_error)?;
    loaded.check_rules(&engine.rules).map_err(input_error)?;
    loaded.select(&mut engine.rules);
    engine.app_token = loaded.config.app_token.clone();
    Ok(engine)
}

/// Checks (`fix: None`) or fixes (`Some(allow_unsafe)`) the files `args` names, to the fixed
/// point across their local callees; errors are printed and their exit code returned. Returns
/// the engine, the configuration it was loaded with, and each file's result.
pub fn run(args: &RunArgs, fix: Option<bool>) -> Result<(Engine, Loaded, Vec<FileResult>), u8> {
    let root = run_root(&args.paths);
    let mut loaded = load_config(args.config.as_deref(), &root)?;
    let mut engine = load_engine_with(&loaded, args.rules_dir.as_deref())?;
    if args.online {
        let fetcher = Fetcher::new(&args.api_url);
        // Neither the command line nor the configuration says: the API does, for the
        // repository's GitHub remote.
        if args.visibility.or(loaded.config.visibility).is_none() {
            loaded.config.visibility = crate::rules::permissions::github_slug(&loaded.root)
                .and_then(|slug| fetcher.visibility(&slug));
        }
        let texts: Vec<String> = discover(&args.paths)
            .files
            .iter()
            .filter_map(|f| files::read_text(&f.real, &f.shown).ok())
            .collect();
        for warning in fetcher.learn(&mut engine.kb, texts.iter().map(String::as_str)) {
            crate::eprintln_masked!("ghfix: warning: --online: {warning}");
        }
    }
    let results = run_with(&engine, &loaded, args, fix)?;
    Ok((engine, loaded, results))
}

/// [`run`] with the rules and the configuration already loaded (a campaign loads the engine
/// once for every repository without a configuration of its own).
pub fn run_with(
    engine: &Engine,
    loaded: &Loaded,
    args: &RunArgs,
    fix: Option<bool>,
) -> Result<Vec<FileResult>, u8> {
    if let Some(unknown) = engine.unknown_rule(&args.rules) {
        return Err(input_error(unknown));
    }
    let mut found = discover(&args.paths);
    let had_files = !found.files.is_empty();
    // Files the configuration leaves alone (paths relative to the repository's root).
    let base = loaded
        .root
        .canonicalize()
        .unwrap_or_else(|_| loaded.root.clone());
    found.files.retain(|f| {
        f.real
            .strip_prefix(&base)
            .map_or(true, |relative| !loaded.ignored.is_match(relative))
    });
    if !had_files && found.skipped.is_empty() {
        return Err(input_error(
            "no workflow files found (looked for .github/workflows and .github/actions)",
        ));
    }
    // The events each repository's workflows start on, read up front on every core: reading them
    // inside the first analysis that needs them would hold the other workers waiting.
    let roots: std::collections::BTreeSet<PathBuf> = found
        .files
        .iter()
        .filter_map(|f| repo_root(&f.shown))
        .collect();
    roots.par_iter().for_each(|root| {
        crate::workflow::listeners::of_repo(root);
    });
    let public = args.visibility.or(loaded.config.visibility) == Some(Visibility::Public);
    let mut results: Vec<FileResult> = found
        .files
        .par_iter()
        .map(|f| process(engine, f, args, fix, public, None))
        .collect();
    // Fixing a local action or reusable workflow changes what its callers need: the files are
    // analysed again against the fixed callees until nothing moves, so one run reaches the
    // fixed point that a second run would otherwise find.
    for _ in 0..4 {
        let pending: BTreeMap<PathBuf, String> = results
            .iter()
            .filter_map(|r| {
                let text = r.fixed.as_ref()?;
                is_callee(&r.real, text).then(|| (r.real.clone(), text.clone()))
            })
            .collect();
        if fix.is_none() || pending.is_empty() {
            break;
        }
        let pending = Arc::new(pending);
        // Only callers can change.
        let next: Vec<Option<FileResult>> = found
            .files
            .par_iter()
            .zip(&results)
            .map(|(f, r)| {
                r.calls_local
                    .then(|| process(engine, f, args, fix, public, Some(&pending)))
            })
            .collect();
        let mut moved = false;
        for (slot, new) in results.iter_mut().zip(next) {
            if let Some(new) = new {
                moved |= new.fixed != slot.fixed;
                *slot = new;
            }
        }
        if !moved {
            break;
        }
    }
    // What was not read is reported like an input error: the run goes on, the exit code says so.
    results.extend(found.skipped.into_iter().map(|(path, why)| {
        let mut result = FileResult::new(&path, path.clone());
        result.error = Some(format!("{}: {why}", path.display()));
        result
    }));
    Ok(results)
}

static LOCAL_USES: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r#"uses:\s*["']?\./"#).expect("valid regex"));

/// Whether a file can be called by others of its repository: a local action or a reusable
/// workflow.
fn is_callee(real: &Path, text: &str) -> bool {
    real.file_stem().is_some_and(|s| s == "action") || text.contains("workflow_call")
}

fn exit_code(results: &[FileResult]) -> u8 {
    if results.iter().any(|r| r.refused.is_some()) {
        EXIT_REFUSED
    } else if results.iter().any(|r| r.error.is_some()) {
        EXIT_INPUT
    } else if results.iter().any(|r| !r.findings.is_empty()) {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

/// The shape of the report for people that `args` ask for.
fn style(args: &RunArgs, colour: bool) -> Style {
    Style {
        colour,
        quiet: args.quiet,
        verbose: args.verbose,
        statistics: args.statistics,
        wrote: None,
    }
}

/// `ghfix check`.
pub fn check(args: &RunArgs, colour: bool) -> u8 {
    match run(args, None) {
        Ok((engine, _, results)) => {
            crate::print_masked!(
                "{}",
                findings::render(&results, args.format, style(args, colour), &engine.rules)
            );
            exit_code(&results)
        }
        Err(code) => code,
    }
}

/// `ghfix apply`.
pub fn apply(args: &ApplyArgs, colour: bool) -> u8 {
    let (engine, loaded, mut results) = match run(&args.run, Some(args.allow_unsafe)) {
        Ok(r) => r,
        Err(code) => return code,
    };
    if args.publish.commit {
        let root = run_root(&args.run.paths);
        crate::print_masked!(
            "{}",
            findings::render(
                &results,
                args.run.format,
                style(&args.run, colour),
                &engine.rules
            )
        );
        let published = crate::commands::publish::publish(
            &args.publish,
            &args.run.api_url,
            &loaded.config,
            &root,
            &results,
            args.run.format == Format::Human,
        );
        return if published == EXIT_OK {
            exit_code(&results)
        } else {
            published
        };
    }
    let mut changed = false;
    let mut write_failed = false;
    for r in &mut results {
        let Some(fixed) = &r.fixed else { continue };
        changed = true;
        if args.dry_run {
            crate::print_masked!(
                "{}",
                if colour {
                    diff::colour(&r.diff)
                } else {
                    r.diff.clone()
                }
            );
        } else if let Err(e) = files::write_atomic(&r.real, fixed) {
            crate::eprintln_masked!("{e}");
            write_failed = true;
            // Not written: the report does not count it as fixed.
            r.fixed = None;
        }
    }
    let style = Style {
        wrote: Some(!args.dry_run),
        ..style(&args.run, colour)
    };
    let report = findings::render(&results, args.run.format, style, &engine.rules);
    if args.dry_run && args.run.format == Format::Human {
        crate::eprint_masked!("{report}");
    } else {
        crate::print_masked!("{report}");
    }
    let code = exit_code(&results);
    if write_failed {
        EXIT_INPUT
    } else if args.dry_run && code == EXIT_FINDINGS {
        // A dry run answers one question, for CI gates: is a diff pending? (`check` answers
        // whether findings remain.)
        if changed {
            EXIT_FINDINGS
        } else {
            EXIT_OK
        }
    } else if args.dry_run && code == EXIT_OK && changed {
        EXIT_FINDINGS
    } else {
        code
    }
}

/// `ghfix rules`.
pub fn list_rules(dir: Option<&Path>) -> u8 {
    match load_engine(dir) {
        Ok(engine) => {
            for r in &engine.rules {
                let safety = match r.safety {
                    Safety::Safe => "safe",
                    Safety::Unsafe => "unsafe",
                    Safety::Manual => "manual",
                };
                crate::println_masked!(
                    "{:32} {:7} {:6} {}",
                    r.id,
                    format!("{:?}", r.severity).to_lowercase(),
                    safety,
                    r.title
                );
            }
            EXIT_OK
        }
        Err(code) => code,
    }
}

/// `ghfix explain RULE`: the documentation, then each inline test case as an example (the
/// workflow and the diff `apply` makes, or "left as it is").
pub fn explain(id: &str, dir: Option<&Path>, colour: bool) -> u8 {
    let Ok(engine) = load_engine(dir) else {
        return EXIT_INPUT;
    };
    match engine.rules.iter().find(|r| r.id == id) {
        Some(r) => {
            let safety = match r.safety {
                Safety::Safe => "applied by `ghfix apply`",
                Safety::Unsafe => "applied with `ghfix apply --unsafe`",
                Safety::Manual => "none: the finding says what to do",
            };
            let md = |text: String| crate::report::markdown::render(&text, colour);
            crate::print_masked!("{}", md(format!("# {}: {}\n", r.id, r.title)));
            crate::println_masked!(
                "\nseverity: {}; fix: {safety}\n",
                format!("{:?}", r.severity).to_lowercase()
            );
            crate::print_masked!("{}", md(format!("{}\n", r.docs.trim_end())));
            for (n, case) in r.tests.iter().enumerate() {
                crate::print_masked!(
                    "{}",
                    md(format!("\n## Example {}: {}\n\n", n + 1, case.name))
                );
                match &case.after {
                    Some(after) => {
                        let diff =
                            crate::report::diff::unified("workflow.yml", &case.before, after);
                        crate::print_masked!(
                            "{}",
                            if colour {
                                crate::report::diff::colour(&diff)
                            } else {
                                diff
                            }
                        );
                    }
                    None => {
                        for line in case.before.lines() {
                            crate::println_masked!("    {line}");
                        }
                        let findings = case.findings.unwrap_or(0);
                        crate::println_masked!("\n({findings} finding(s); left as it is)");
                    }
                }
            }
            EXIT_OK
        }
        None => input_error(format!("no rule `{id}`")),
    }
}

/// `ghfix test-rules`: runs every rule's inline test cases; exit 1 when any fails.
pub fn test_rules(dir: Option<&Path>) -> u8 {
    let engine = match load_engine(dir) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let (mut passed, mut failed) = (0, 0);
    for rule in &engine.rules {
        for case in &rule.tests {
            match engine.run_test_case(rule, case) {
                Ok(()) => passed += 1,
                Err(e) => {
                    failed += 1;
                    crate::println_masked!("FAIL {} / {}\n{e}\n", rule.id, case.name);
                }
            }
        }
    }
    crate::println_masked!("{passed} passed, {failed} failed");
    if failed > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}
