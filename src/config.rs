//! The repository's configuration: `.github/ghfix.yml` (or `--config FILE`). Which rules run
//! and how severe they are, which files are left alone, extra rule folders, and the names the
//! App-token fix and generated branches use. Unknown keys and unknown rule ids are errors with
//! `file:line:col`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cst::{Document, Path as YamlPath};
use crate::rules::schema::{Rule, Severity};

/// Where a repository keeps its configuration, relative to its root.
pub const FILE_NAMES: &[&str] = &[".github/ghfix.yml", ".github/ghfix.yaml"];

/// The configuration file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Config {
    /// Which rules run, and their severities.
    #[serde(default)]
    pub rules: RuleSettings,
    /// Files ghfix leaves alone: globs relative to the repository's root
    /// (`.github/workflows/generated-*.yml`; `**` crosses folders).
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Folders of extra rule files (and knowledge under `knowledge/`), relative to the root.
    #[serde(default)]
    pub rule_folders: Vec<PathBuf>,
    /// Names the GitHub App token fix writes into workflows.
    #[serde(default)]
    pub app_token: AppToken,
    /// The prefix of branches ghfix creates for its commits.
    #[serde(default = "default_branch_prefix")]
    pub branch_prefix: String,
    /// Author and committer of ghfix's commits, `Name <email>` (default: the repository's git
    /// configuration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// The repository's visibility on GitHub. `public` leaves out the reads that only a private
    /// repository needs a scope for (cloning it, CodeQL's and Scorecard's reads); unset, ghfix
    /// grants them, as a private repository needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
}

/// A repository's visibility on GitHub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Anyone may read it.
    Public,
    /// Its collaborators only.
    Private,
    /// Its enterprise's members (reads need scopes as for a private repository).
    Internal,
}

/// Rule selection.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RuleSettings {
    /// Run only these rules (empty: all).
    #[serde(default)]
    pub only: Vec<String>,
    /// Never run these.
    #[serde(default)]
    pub disable: Vec<String>,
    /// Severity overrides by rule id.
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
}

/// Names used by the App-token fix.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct AppToken {
    /// The configuration variable holding the App's client id.
    #[serde(default = "default_client_id")]
    pub client_id_variable: String,
    /// The secret holding the App's private key.
    #[serde(default = "default_private_key")]
    pub private_key_secret: String,
}

impl Default for AppToken {
    fn default() -> AppToken {
        AppToken {
            client_id_variable: default_client_id(),
            private_key_secret: default_private_key(),
        }
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            rules: RuleSettings::default(),
            ignore: Vec::new(),
            rule_folders: Vec::new(),
            app_token: AppToken::default(),
            branch_prefix: default_branch_prefix(),
            author: None,
            visibility: None,
        }
    }
}

fn default_client_id() -> String {
    "APP_CLIENT_ID".into()
}

fn default_private_key() -> String {
    "APP_PRIVATE_KEY".into()
}

fn default_branch_prefix() -> String {
    "ghfix/".into()
}

/// A configuration as read, with where it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The settings.
    pub config: Config,
    /// The file (`None`: defaults).
    pub file: Option<PathBuf>,
    /// The repository root the relative paths start from.
    pub root: PathBuf,
    /// The file's text, for placing errors found after parsing.
    text: Option<String>,
    /// The files ghfix leaves alone (paths relative to the root), compiled from `ignore:`.
    pub ignored: globset::GlobSet,
}

impl Loaded {
    /// Reads `explicit`, else the configuration of the repository at `root` when it has one,
    /// else the defaults.
    pub fn load(explicit: Option<&Path>, root: &Path) -> Result<Loaded, String> {
        let file = match explicit {
            Some(f) => Some(f.to_path_buf()),
            None => FILE_NAMES
                .iter()
                .map(|n| root.join(n))
                .find(|p| p.is_file()),
        };
        let Some(file) = file else {
            return Ok(Loaded {
                config: Config::default(),
                file: None,
                root: root.to_path_buf(),
                text: None,
                ignored: globset::GlobSet::empty(),
            });
        };
        let name = file.display().to_string();
        let text = crate::files::read_text(&file, &file).map_err(|e| e.to_string())?;
        let config: Config = if text.trim().is_empty() {
            crate::rules::load::parse(&name, "{}")?
        } else {
            crate::rules::load::parse(&name, &text)?
        };
        // Relative to the root of the repository the file belongs to.
        let root = explicit
            .and_then(|f| crate::rules::permissions::repo_root(&std::path::absolute(f).ok()?))
            .unwrap_or_else(|| root.to_path_buf());
        let mut loaded = Loaded {
            config,
            file: Some(file),
            root,
            text: Some(text),
            ignored: globset::GlobSet::empty(),
        };
        loaded.ignored = loaded.compile_ignored()?;
        Ok(loaded)
    }

    /// Checks the rule ids the configuration names against the rules that exist.
    pub fn check_rules(&self, rules: &[Rule]) -> Result<(), String> {
        let r = &self.config.rules;
        let named =
            r.only
                .iter()
                .enumerate()
                .map(|(i, id)| (YamlPath::default().key("rules").key("only").index(i), id))
                .chain(
                    r.disable.iter().enumerate().map(|(i, id)| {
                        (YamlPath::default().key("rules").key("disable").index(i), id)
                    }),
                )
                .chain(r.severity.keys().map(|id| {
                    (
                        YamlPath::default()
                            .key("rules")
                            .key("severity")
                            .key(id.clone()),
                        id,
                    )
                }));
        for (at, id) in named {
            if !rules.iter().any(|rule| &rule.id == id) {
                return Err(self.error(&at, &format!("no rule `{id}` (see `ghfix rules`)")));
            }
        }
        Ok(())
    }

    /// `file:line:col: message` for the entry at `at`.
    fn error(&self, at: &YamlPath, message: &str) -> String {
        let name = self
            .file
            .as_ref()
            .map_or("configuration".into(), |f| f.display().to_string());
        let place = self
            .text
            .clone()
            .and_then(|t| Document::parse(t).ok())
            .map(|doc| crate::rules::load::locate(&doc, at));
        match place {
            Some((line, col)) => format!("{name}:{line}:{col}: {message}"),
            None => format!("{name}: {message}"),
        }
    }

    /// Applies the rule selection and severities to `rules`.
    pub fn select(&self, rules: &mut Vec<Rule>) {
        let r = &self.config.rules;
        rules.retain(|rule| {
            (r.only.is_empty() || r.only.contains(&rule.id)) && !r.disable.contains(&rule.id)
        });
        for rule in rules {
            if let Some(s) = r.severity.get(&rule.id) {
                rule.severity = *s;
            }
        }
    }

    /// The extra rule folders, resolved against the root.
    pub fn rule_folders(&self) -> Vec<PathBuf> {
        self.config
            .rule_folders
            .iter()
            .map(|f| self.root.join(f))
            .collect()
    }

    /// A matcher for the `ignore:` globs; a bad glob is an error at its entry.
    fn compile_ignored(&self) -> Result<globset::GlobSet, String> {
        let mut set = globset::GlobSetBuilder::new();
        for (i, pattern) in self.config.ignore.iter().enumerate() {
            let glob = globset::GlobBuilder::new(pattern)
                .literal_separator(true)
                .build()
                .map_err(|e| {
                    self.error(
                        &YamlPath::default().key("ignore").index(i),
                        &format!("invalid glob `{pattern}`: {}", e.kind()),
                    )
                })?;
            set.add(glob);
        }
        set.build().map_err(|e| e.to_string())
    }

    /// The effective configuration as YAML, for `ghfix config --print`.
    pub fn to_yaml(&self) -> String {
        let json = serde_json::to_value(&self.config).expect("the configuration serialises");
        let mut out = String::new();
        let mut emitter = yaml_rust2::YamlEmitter::new(&mut out);
        emitter
            .dump(&json_to_yaml(&json))
            .expect("writing to a string cannot fail");
        let source = match &self.file {
            Some(f) => format!("# from {}\n", f.display()),
            None => "# defaults: no .github/ghfix.yml\n".to_string(),
        };
        format!("{source}{}\n", out.trim_start_matches("---\n"))
    }
}

fn json_to_yaml(v: &serde_json::Value) -> yaml_rust2::Yaml {
    use yaml_rust2::Yaml;
    match v {
        serde_json::Value::Null => Yaml::Null,
        serde_json::Value::Bool(b) => Yaml::Boolean(*b),
        serde_json::Value::Number(n) => Yaml::Real(n.to_string()),
        serde_json::Value::String(s) => Yaml::String(s.clone()),
        serde_json::Value::Array(a) => Yaml::Array(a.iter().map(json_to_yaml).collect()),
        serde_json::Value::Object(o) => Yaml::Hash(
            o.iter()
                .map(|(k, v)| (Yaml::String(k.clone()), json_to_yaml(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, Result<Loaded, String>) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".github")).unwrap();
        std::fs::write(dir.path().join(".github/ghfix.yml"), text).unwrap();
        let loaded = Loaded::load(None, dir.path());
        (dir, loaded)
    }

    #[test]
    fn settings_are_read_and_unknown_keys_point_at_their_line() {
        let (_d, loaded) = write(
            "rules:\n  disable: [personal-access-token]\n  severity:\n    token-from-variable: high\nignore: ['.github/workflows/gen-*.yml']\n",
        );
        let loaded = loaded.unwrap();
        assert_eq!(loaded.config.rules.disable, vec!["personal-access-token"]);
        assert_eq!(loaded.config.branch_prefix, "ghfix/");
        let ignored = &loaded.ignored;
        assert!(ignored.is_match(".github/workflows/gen-a.yml"));
        assert!(!ignored.is_match(".github/workflows/sub/gen-a.yml"));
        let (_d, err) = write("rules:\n  disabled: [x]\n");
        let err = err.unwrap_err();
        assert!(
            err.contains("ghfix.yml:2:3: unknown field `disabled`"),
            "{err}"
        );
    }

    #[test]
    fn unknown_rule_ids_are_errors_at_their_entry() {
        let (_d, loaded) =
            write("rules:\n  disable:\n    - least-privilege-permissions\n    - no-such-rule\n");
        let engine = crate::rules::engine::Engine::load(None).unwrap();
        let err = loaded.unwrap().check_rules(&engine.rules).unwrap_err();
        assert!(
            err.contains("ghfix.yml:4:5: no rule `no-such-rule`"),
            "{err}"
        );
    }
}
