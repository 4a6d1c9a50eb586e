//! The GitHub Actions model over a parsed document: workflow, jobs, steps, with their paths in
//! the document (for locating findings and addressing edits). Knows GitHub, not rules.

use yaml_rust2::Yaml;

use crate::cst::Path;
use crate::workflow::token::{carry, is_github_token};

/// `text` in at most `max` characters: cut, with `...` marking the cut, when it is longer.
pub fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some(_) => {
            let keep = text
                .char_indices()
                .nth(max.saturating_sub(3))
                .map_or(text.len(), |(at, _)| at);
            format!("{}...", &text[..keep])
        }
        None => text.to_string(),
    }
}

/// How a step is named: `name:`, else `uses:`, else the first line of `run:` that is neither
/// blank nor a comment (cut at 40 characters), else `step N` (`index` counts from 0).
pub fn step_label(step: &Yaml, index: usize) -> String {
    let command = || {
        let script = get(step, "run").and_then(scalar)?;
        let line = script
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))?;
        Some(shorten(line, 40))
    };
    get(step, "name")
        .and_then(scalar)
        .or_else(|| get(step, "uses").and_then(scalar))
        .or_else(command)
        .unwrap_or_else(|| format!("step {}", index + 1))
}

/// A string-valued view of a YAML scalar (numbers and booleans as written by the loader).
pub fn scalar(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The value of the mapping entry whose key reads `key` (a string key, or a number or boolean
/// written that way); `None` for anything but a mapping.
pub fn get<'y>(y: &'y Yaml, key: &str) -> Option<&'y Yaml> {
    match y {
        Yaml::Hash(h) => h
            .iter()
            .find(|(k, _)| match k {
                Yaml::String(s) => s == key,
                other => scalar(other).as_deref() == Some(key),
            })
            .map(|(_, v)| v),
        _ => None,
    }
}

fn pairs(y: Option<&Yaml>) -> Vec<(String, String)> {
    match y {
        Some(Yaml::Hash(h)) => h
            .iter()
            .filter_map(|(k, v)| Some((scalar(k)?, scalar(v).unwrap_or_default())))
            .collect(),
        _ => Vec::new(),
    }
}

/// One step of a job (or of a composite action).
#[derive(Debug, Clone)]
pub struct Step {
    /// Path of the step in its document.
    pub path: Path,
    /// `name:`, else `uses:`, else `step N` (1-based).
    pub label: String,
    /// `uses:`.
    pub uses: Option<String>,
    /// `run:`.
    pub run: Option<String>,
    /// `with:` inputs as text.
    pub with: Vec<(String, String)>,
    /// `env:` as text.
    pub env: Vec<(String, String)>,
    /// `shell:` of a `run:` step, else the job's or the workflow's `defaults.run.shell`.
    pub shell: Option<String>,
    /// `working-directory:` of a `run:` step, else the job's or the workflow's
    /// `defaults.run.working-directory`.
    pub working_directory: Option<String>,
}

impl Step {
    /// The step with each reference to a value in `names` that holds the job's token
    /// (`inputs.token`, `env.GH`) read as `github.token`, in its inputs, environment and script.
    pub fn carrying(&self, names: &[String]) -> Step {
        let pairs = |p: &[(String, String)]| -> Vec<(String, String)> {
            p.iter()
                .map(|(k, v)| (k.clone(), carry(v, names).into_owned()))
                .collect()
        };
        Step {
            with: pairs(&self.with),
            env: pairs(&self.env),
            run: self.run.as_deref().map(|r| carry(r, names).into_owned()),
            ..self.clone()
        }
    }

    /// The action it uses, lowercase and without its ref (`actions/checkout`).
    pub fn action(&self) -> Option<String> {
        let uses = self.uses.as_deref()?;
        Some(uses.split('@').next().unwrap_or(uses).to_lowercase())
    }
}

/// A job.
#[derive(Debug, Clone)]
pub struct Job {
    /// The job id.
    pub id: String,
    /// Path of the job (`jobs.<id>`).
    pub path: Path,
    /// `permissions:` when present.
    pub permissions: Option<Yaml>,
    /// `env:`.
    pub env: Vec<(String, String)>,
    /// `steps:`.
    pub steps: Vec<Step>,
    /// `uses:` of a job that calls a reusable workflow.
    pub uses: Option<String>,
    /// `with:` of such a job.
    pub with: Vec<(String, String)>,
    /// `secrets:` of such a job (`inherit` or a mapping).
    pub secrets: Option<Yaml>,
    /// Container and service images with the password used to pull them.
    pub images: Vec<(String, Option<String>)>,
}

impl Job {
    /// What a job that calls a reusable workflow hands it the job's token as: `inputs.<name>`
    /// and `secrets.<name>` of the called workflow.
    pub fn token_carriers(&self) -> Vec<String> {
        let secrets = pairs(self.secrets.as_ref());
        let named = |kind: &str, p: &[(String, String)]| -> Vec<String> {
            p.iter()
                .filter(|(_, v)| is_github_token(v))
                .map(|(k, _)| format!("{kind}.{k}"))
                .collect()
        };
        let mut names = named("inputs", &self.with);
        names.extend(named("secrets", &secrets));
        names
    }
}

/// A workflow file, or a composite action's `runs.steps`.
#[derive(Debug, Clone)]
pub struct Workflow {
    /// Top-level `permissions:` when present.
    pub permissions: Option<Yaml>,
    /// Top-level `env:`.
    pub env: Vec<(String, String)>,
    /// The jobs, in file order.
    pub jobs: Vec<Job>,
    /// Whether the file is a composite action (`runs:`), not a workflow.
    pub is_action: bool,
    /// Whether the workflow can be called by others (`on: workflow_call`).
    pub reusable: bool,
    /// The events that start it.
    pub triggers: Vec<String>,
}

/// `defaults.run.<key>` of a job or workflow (`shell`, `working-directory`).
fn run_default(y: Option<&Yaml>, key: &str) -> Option<String> {
    get(get(get(y?, "defaults")?, "run")?, key).and_then(scalar)
}

/// The `defaults.run` values a step falls back on: shell and working directory.
#[derive(Default, Clone)]
struct RunDefaults {
    shell: Option<String>,
    working_directory: Option<String>,
}

impl RunDefaults {
    /// The defaults of `y` (a job or workflow), else those of `outer`.
    fn of(y: Option<&Yaml>, outer: &RunDefaults) -> RunDefaults {
        RunDefaults {
            shell: run_default(y, "shell").or_else(|| outer.shell.clone()),
            working_directory: run_default(y, "working-directory")
                .or_else(|| outer.working_directory.clone()),
        }
    }
}

fn steps(list: Option<&Yaml>, base: &Path, defaults: &RunDefaults) -> Vec<Step> {
    let Some(Yaml::Array(items)) = list else {
        return Vec::new();
    };
    items
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let uses = get(s, "uses").and_then(scalar);
            let run = get(s, "run").and_then(scalar);
            let label = step_label(s, i);
            Step {
                path: base.clone().index(i),
                label,
                uses,
                run,
                with: pairs(get(s, "with")),
                env: pairs(get(s, "env")),
                shell: get(s, "shell")
                    .and_then(scalar)
                    .or_else(|| defaults.shell.clone()),
                working_directory: get(s, "working-directory")
                    .and_then(scalar)
                    .or_else(|| defaults.working_directory.clone()),
            }
        })
        .collect()
}

fn image(y: &Yaml) -> Option<(String, Option<String>)> {
    match y {
        Yaml::String(s) => Some((s.clone(), None)),
        Yaml::Hash(_) => {
            let image = get(y, "image").and_then(scalar)?;
            let password = get(y, "credentials")
                .and_then(|c| get(c, "password"))
                .and_then(scalar);
            Some((image, password))
        }
        _ => None,
    }
}

impl Workflow {
    /// Reads the model from the first document's meaning. Anything that does not look like a
    /// workflow yields a workflow with no jobs.
    pub fn from_yaml(root: &Yaml) -> Workflow {
        let is_action = get(root, "runs").is_some() && get(root, "jobs").is_none();
        let triggers: Vec<String> = match get(root, "on") {
            Some(Yaml::String(s)) => vec![s.clone()],
            Some(Yaml::Array(a)) => a.iter().filter_map(scalar).collect(),
            Some(Yaml::Hash(h)) => h.keys().filter_map(scalar).collect(),
            _ => Vec::new(),
        };
        let mut jobs = Vec::new();
        if is_action {
            let runs = get(root, "runs");
            let base = Path::default().key("runs").key("steps");
            jobs.push(Job {
                id: "(composite action)".into(),
                path: Path::default().key("runs"),
                permissions: None,
                env: Vec::new(),
                steps: steps(
                    runs.and_then(|r| get(r, "steps")),
                    &base,
                    &RunDefaults::default(),
                ),
                uses: None,
                with: Vec::new(),
                secrets: None,
                images: Vec::new(),
            });
        } else if let Some(Yaml::Hash(h)) = get(root, "jobs") {
            let workflow_defaults = RunDefaults::of(Some(root), &RunDefaults::default());
            for (k, job) in h {
                let Some(id) = scalar(k) else { continue };
                let path = Path::default().key("jobs").key(id.clone());
                let mut images: Vec<_> =
                    get(job, "container").and_then(image).into_iter().collect();
                if let Some(Yaml::Hash(services)) = get(job, "services") {
                    images.extend(services.values().filter_map(image));
                }
                let defaults = RunDefaults::of(Some(job), &workflow_defaults);
                jobs.push(Job {
                    steps: steps(get(job, "steps"), &path.clone().key("steps"), &defaults),
                    id,
                    path,
                    permissions: get(job, "permissions").cloned(),
                    env: pairs(get(job, "env")),
                    uses: get(job, "uses").and_then(scalar),
                    with: pairs(get(job, "with")),
                    secrets: get(job, "secrets").cloned(),
                    images,
                });
            }
        }
        Workflow {
            permissions: get(root, "permissions").cloned(),
            env: pairs(get(root, "env")),
            reusable: triggers.iter().any(|t| t == "workflow_call"),
            triggers,
            jobs,
            is_action,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortened_text_stays_within_its_width() {
        assert_eq!(shorten("gh pr list", 10), "gh pr list");
        assert_eq!(shorten("gh pr comment 1", 10), "gh pr c...");
        assert_eq!(shorten("ééééé", 4), "é...");
        let step = yaml_rust2::YamlLoader::load_from_str("run: |\n  # setup\n\n  make all\n")
            .unwrap()
            .remove(0);
        assert_eq!(step_label(&step, 2), "make all");
        assert_eq!(step_label(&Yaml::Hash(Default::default()), 2), "step 3");
    }

    #[test]
    fn reads_jobs_steps_and_env() {
        let doc = crate::cst::Document::parse(
            "on: [push]\nenv: {A: 1}\njobs:\n  b:\n    container: {image: ghcr.io/o/i, credentials: {password: p}}\n    steps:\n      - uses: actions/checkout@v4\n        with: {token: t}\n      - run: make\n        name: Build\n".into(),
        )
        .unwrap();
        let w = Workflow::from_yaml(&doc.parsed()[0]);
        assert_eq!(w.triggers, vec!["push"]);
        assert_eq!(w.env, vec![("A".to_string(), "1".to_string())]);
        let job = &w.jobs[0];
        assert_eq!(
            job.steps[0].with,
            vec![("token".to_string(), "t".to_string())]
        );
        assert_eq!(job.steps[1].label, "Build");
        assert_eq!(job.steps[1].path.to_string(), "jobs.b.steps[1]");
        assert_eq!(
            job.images,
            vec![("ghcr.io/o/i".to_string(), Some("p".to_string()))]
        );
    }
}
