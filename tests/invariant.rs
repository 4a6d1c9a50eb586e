//! The soundness invariant over both corpora, laid out by repository: in every job the analysis
//! calls fully understood (the jobs `apply` gives a block), every step the token can reach (an
//! expression yielding it in `with:`, `env:` or `run:`, or an environment variable holding it)
//! was judged by a named decision: a knowledge entry, the action metadata, the shell grammar and
//! the command patterns, the REST map, or a local action read step by step. The test lists every
//! step that is not.

mod common;

use ghfix::rules::knowledge::Knowledge;
use ghfix::rules::permissions::{Context, Repo};
use ghfix::workflow::token::{is_github_token, token_vars};
use ghfix::workflow::Workflow;

fn check(corpus: &str) -> (usize, usize, Vec<String>) {
    let kb = Knowledge::embedded().unwrap();
    let work = tempfile::tempdir().unwrap();
    let repos = common::layout::lay_out(&common::shared().join(corpus), work.path());
    assert!(repos.len() > 10, "{corpus} not found");
    let (mut reached, mut known_jobs, mut unaccounted) = (0, 0, Vec::new());
    for (root, workflows) in &repos {
        let repo = Repo::at(Some(root.clone()));
        for path in workflows {
            let text = std::fs::read_to_string(path).unwrap();
            let Ok(docs) = ghfix::cst::load::load_text(&text) else {
                continue;
            };
            let Some(doc) = docs.first() else { continue };
            let wf = Workflow::from_yaml(doc);
            let ctx = Context::new(&kb, &repo, &text);
            for job in &wf.jobs {
                let needs = ctx.job(&wf, job);
                if !needs.is_known() {
                    continue;
                }
                known_jobs += 1;
                for step in &job.steps {
                    let in_text = step
                        .with
                        .iter()
                        .chain(&step.env)
                        .any(|(_, v)| is_github_token(v))
                        || step.run.as_deref().is_some_and(is_github_token);
                    let in_env =
                        !token_vars([wf.env.as_slice(), job.env.as_slice(), step.env.as_slice()])
                            .is_empty();
                    if !in_text && !in_env {
                        continue;
                    }
                    reached += 1;
                    let label: String = step.label.trim().chars().take(57).collect();
                    let judged = needs.decisions.iter().any(|d| {
                        d.strip_prefix("step `")
                            .is_some_and(|d| d.starts_with(&label))
                    });
                    if !judged {
                        unaccounted.push(format!(
                            "{}: job `{}`: step `{}`",
                            path.strip_prefix(work.path()).unwrap().display(),
                            job.id,
                            step.label
                        ));
                    }
                }
            }
        }
    }
    (known_jobs, reached, unaccounted)
}

#[test]
fn every_token_appearance_is_accounted_for() {
    for corpus in ["corpus", "corpus-2"] {
        let (jobs, reached, unaccounted) = check(corpus);
        eprintln!(
            "{corpus}: {jobs} fully analysed jobs, {reached} steps the token reaches, {} unaccounted",
            unaccounted.len()
        );
        assert!(
            unaccounted.is_empty(),
            "{corpus}: {} steps the token reaches were not judged:\n{}",
            unaccounted.len(),
            unaccounted.join("\n")
        );
    }
}
