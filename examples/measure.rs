//! Measures the least-privilege analysis on a workflow corpus laid out by repository: how many
//! jobs are fully analysed, why the others are left for review, and which scopes are granted.
//! Each repository of the corpus (`workflows/<owner>__<repo>__.github__workflows__<file>`,
//! `actions/<owner>__<repo>__<path>`) is laid back out in a temporary folder, so local actions
//! and reusable workflows resolve as they would in the repository.
//! The corpora's repositories are public: `--public` measures them as such (`--visibility
//! public`), without the reads only a private repository needs a scope for.
//! Usage: cargo run --release --example measure -- ../shared/corpus-2 [--top N] [--reason TEXT]
//! [--public]. `--reason surplus` lists the scopes granted beyond the maintainers' blocks,
//! `--reason granted` every scope granted, `--reason corpus` the jobs that lack a corpus file.

use std::collections::BTreeMap;
use std::path::PathBuf;

use ghfix::rules::knowledge::{Knowledge, Level};
use ghfix::rules::permissions::{review_class, Context, Repo};
use ghfix::workflow::Workflow;

#[path = "../tests/common/layout.rs"]
mod layout;

/// The kind of reason a job is left for review, and the action, program or workflow it names.
fn class(reason: &str) -> (&'static str, String) {
    let kind = review_class(reason);
    let quoted = |r: &str| r.split('`').nth(3).unwrap_or("").to_string();
    let detail = match kind {
        "action ghfix does not know"
        | "token handed to an action ghfix does not know"
        | "unknown action whose metadata lets it use the token"
        | "token handed to a local JavaScript or Docker action"
        | "action version ghfix does not cover" => quoted(reason),
        // `(`make build`)`, or the shell of a script (`a `pwsh` script`).
        "token reaches a program ghfix cannot read" if !reason.contains("(`") => {
            format!("{} script", quoted(reason))
        }
        "token reaches a program ghfix cannot read" => reason
            .rsplit("(`")
            .next()
            .unwrap_or("")
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_string(),
        "remote reusable workflow" => reason.split('`').nth(1).unwrap_or("").to_string(),
        "other" => reason.to_string(),
        _ => String::new(),
    };
    (kind, detail)
}

/// Whether `reason` is about a file of the repository that the corpus does not hold (it keeps
/// only `.github/` and some root `action.yml` files): a local action or workflow that cannot be
/// read, or a repository script that a step runs. In the repository itself ghfix reads them.
fn file_not_in_corpus(root: &std::path::Path, reason: &str) -> bool {
    let relative = if reason.contains("cannot read the ") {
        reason.split('`').nth(1).map(str::to_string)
    } else if reason.contains("program ghfix cannot read (`") {
        let command = reason.rsplit("(`").next().unwrap_or("");
        let mut words = command.split_whitespace();
        let first = words.next().unwrap_or("");
        let word = if matches!(first, "bash" | "sh") {
            words.next().unwrap_or("")
        } else {
            first
        };
        Some(word.trim_end_matches(['`', ')']).to_string())
    } else {
        None
    };
    relative.is_some_and(|r| {
        r.contains('/') && !r.starts_with('/') && !r.contains(['$', '*']) && !root.join(&r).exists()
    })
}

fn main() {
    let mut args = std::env::args().skip(1);
    let corpus = PathBuf::from(args.next().expect("usage: measure CORPUS [--top N]"));
    let mut top = 15;
    let mut show: Option<String> = None;
    let mut public = false;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--public" => public = true,
            "--top" => top = args.next().and_then(|n| n.parse().ok()).unwrap_or(top),
            "--reason" => show = args.next(),
            _ => panic!("unknown argument {a}"),
        }
    }
    let work = tempfile::tempdir().expect("temp dir");
    let repos = layout::lay_out(&corpus, work.path());
    let kb = Knowledge::embedded().expect("knowledge");
    let (mut jobs, mut known, mut files) = (0usize, 0usize, 0usize);
    // Jobs left for review only because the corpus lacks a file of their repository.
    let mut lacking = 0usize;
    let mut classes: BTreeMap<&str, usize> = BTreeMap::new();
    let mut details: BTreeMap<(&str, String), usize> = BTreeMap::new();
    let mut granted: BTreeMap<String, usize> = BTreeMap::new();
    let mut notes = 0usize;
    // Jobs whose maintainers wrote their own block (and whose runs pass): scopes ghfix would
    // grant beyond it (an estimate of surplus), and scopes it grants beyond ghfix's answer.
    let (mut compared, mut compared_scopes) = (0usize, 0usize);
    let mut beyond_maintainers: BTreeMap<String, usize> = BTreeMap::new();
    let mut maintainers_surplus: BTreeMap<String, usize> = BTreeMap::new();
    for (root, workflows) in &repos {
        let mut repo = Repo::at(Some(root.clone()));
        repo.public = public;
        for wf_path in workflows {
            let Ok(text) = std::fs::read_to_string(wf_path) else {
                continue;
            };
            let Ok(docs) = ghfix::cst::load::load_text(&text) else {
                continue;
            };
            let Some(doc) = docs.first() else { continue };
            let wf = Workflow::from_yaml(doc);
            files += 1;
            let ctx = Context::new(&kb, &repo, &text);
            for job in &wf.jobs {
                jobs += 1;
                let needs = ctx.job(&wf, job);
                notes += needs.notes.len();
                if needs.is_known() {
                    known += 1;
                    for (scope, grant) in &needs.scopes {
                        *granted
                            .entry(format!("{scope}: {}", grant.level.as_str()))
                            .or_default() += 1;
                        if show.as_deref() == Some("granted") {
                            println!(
                                "  {}: job `{}` {scope}: {} ({})",
                                wf_path
                                    .strip_prefix(root.parent().unwrap_or(root))
                                    .unwrap_or(wf_path)
                                    .display(),
                                job.id,
                                grant.level.as_str(),
                                grant.reasons.join("; ")
                            );
                        }
                    }
                    if let Some(block) = &job.permissions {
                        let declared = ghfix::rules::permissions::granted(block);
                        compared += 1;
                        let met = needs.against(&declared);
                        for (scope, grant) in &met {
                            compared_scopes += 1;
                            let have = declared.get(scope).copied().unwrap_or(Level::None);
                            if grant.level > have {
                                let key = format!("{scope}: {}", grant.level.as_str());
                                *beyond_maintainers.entry(key.clone()).or_default() += 1;
                                if show.as_deref() == Some("surplus") {
                                    println!(
                                        "  {}: job `{}` {key} ({}) beyond the maintainers' block",
                                        wf_path.display(),
                                        job.id,
                                        grant.reasons.join("; ")
                                    );
                                }
                            }
                        }
                        for (scope, level) in &declared {
                            let need = met.get(scope).map_or(Level::None, |g| g.level);
                            if *level > need {
                                *maintainers_surplus
                                    .entry(format!("{scope}: {}", level.as_str()))
                                    .or_default() += 1;
                            }
                        }
                    }
                    continue;
                }
                if needs.unknown.iter().all(|r| file_not_in_corpus(root, r)) {
                    lacking += 1;
                    if show.as_deref() == Some("corpus") {
                        println!("  {}: {}", wf_path.display(), needs.unknown[0]);
                    }
                    continue;
                }
                let first = needs
                    .unknown
                    .iter()
                    .find(|r| !file_not_in_corpus(root, r))
                    .unwrap_or(&needs.unknown[0]);
                let (c, detail) = class(first);
                *classes.entry(c).or_default() += 1;
                *details.entry((c, detail)).or_default() += 1;
                if show.as_deref().is_some_and(|s| first.contains(s)) {
                    println!("  {}: {}", wf_path.display(), first);
                }
            }
        }
    }
    println!(
        "{}: {} repositories, {files} workflows, {jobs} jobs{}",
        corpus.display(),
        repos.len(),
        if public { " (taken as public)" } else { "" }
    );
    println!(
        "fully analysed: {known} ({:.1}%); left for review: {} (by the first reason)",
        100.0 * known as f64 / jobs.max(1) as f64,
        jobs - known
    );
    println!(
        "  of those, {lacking} only because the corpus lacks a file of the repository (a local \
         action or script outside .github/; `--reason corpus` lists them): {known} of {} jobs \
         ({:.1}%) fully analysed among the others",
        jobs - lacking,
        100.0 * known as f64 / (jobs - lacking).max(1) as f64
    );
    let mut by_count: Vec<_> = classes.into_iter().collect();
    by_count.sort_by_key(|c| std::cmp::Reverse(c.1));
    for (c, n) in &by_count {
        println!("  {n:5}  {c}");
        let mut d: Vec<_> = details
            .iter()
            .filter(|((dc, s), _)| dc == c && !s.is_empty())
            .collect();
        d.sort_by(|a, b| b.1.cmp(a.1));
        for ((_, s), n) in d.into_iter().take(top) {
            println!("         {n:4}  {s}");
        }
    }
    let total: usize = granted.values().sum();
    println!(
        "scopes granted to analysed jobs: {total}; notes (possible uses, not granted): {notes}"
    );
    for (scope, n) in &granted {
        println!("  {n:5}  {scope}");
    }
    let beyond: usize = beyond_maintainers.values().sum();
    println!(
        "analysed jobs with their maintainers' own block: {compared}; of the {compared_scopes} \
         scopes ghfix grants them, {beyond} ({:.1}%) are beyond that block (surplus, or a use \
         the maintainers' runs never reach; `--reason surplus` lists them):",
        100.0 * beyond as f64 / compared_scopes.max(1) as f64
    );
    for (scope, n) in &beyond_maintainers {
        println!("  {n:5}  {scope}");
    }
    let surplus: usize = maintainers_surplus.values().sum();
    println!("scopes those blocks grant beyond what ghfix finds needed: {surplus}");
    for (scope, n) in &maintainers_surplus {
        println!("  {n:5}  {scope}");
    }
}
