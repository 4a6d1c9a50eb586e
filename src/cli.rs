//! Command-line definitions (clap). Parsing only; `main.rs` dispatches.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Repairs GitHub Actions workflows in place: least-privilege permissions, verified
/// format-preserving edits.
#[derive(Debug, Parser)]
#[command(name = "ghfix", version, about, long_about = None)]
pub struct Cli {
    /// When to colour output (`NO_COLOR` is respected in `auto`).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal unless NO_COLOR is set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Format-preserving low-level edits of one YAML file, verified before anything is written.
    ///
    /// Operations run in the order given. Paths look like `jobs.build.steps[2].with.token`; quote
    /// keys that contain dots (`env."a.b"`); `@N:` selects the N-th document (0-based). Values are
    /// JSON when they parse as JSON (`true`, `1`, `{"run": "make"}`, `"on"`), else plain strings.
    Edit(EditArgs),
    /// Report findings for workflows and local actions; exit 1 when any remain.
    Check(RunArgs),
    /// Roll fixes out to many repositories: clone, apply, commit, push, open pull requests;
    /// resumable from its results file; exit 1 when a repository failed.
    Migrate(MigrateArgs),
    /// Apply the verified fixes (safe ones by default).
    Apply(ApplyArgs),
    /// List the rules.
    Rules(RulesArgs),
    /// Print a shell completion script (`ghfix completions bash > /etc/bash_completion.d/ghfix`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff: `ghfix man > ghfix.1; man ./ghfix.1`).
    Man,
    /// Run the inline test cases of every rule (embedded, plus `--rules DIR`).
    TestRules(RulesArgs),
    /// Show a rule's documentation and the examples its tests hold.
    Explain {
        /// The rule id.
        rule: String,
        /// A folder of extra rule files.
        #[arg(long = "rules", value_name = "DIR")]
        rules_dir: Option<PathBuf>,
    },
    /// Explain the token failures in a job's log.
    ///
    /// The log as downloaded, or `-` for standard input: for each failure the cause, the
    /// evidence, the permission the call needed and what to do. Exit 0 when one is found, 1
    /// when none is.
    Diagnose {
        /// The log file, or `-`.
        log: PathBuf,
        /// The workflow the log comes from: names the step and the edit.
        #[arg(long, value_name = "FILE")]
        workflow: Option<PathBuf>,
        /// Output format (`human` or `json`).
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Print the effective configuration.
    ///
    /// `.github/ghfix.yml` of the current repository, or `--config FILE`, over the defaults.
    Config {
        /// Print it (the default; the only action so far).
        #[arg(long)]
        print: bool,
        /// The configuration file.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Print the JSON Schema of rule files.
    ///
    /// For editors: `# yaml-language-server: $schema=...`.
    Schema,
}

/// Output formats for findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `file:line:col: rule: message`, for people.
    Human,
    /// One JSON document.
    Json,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
}

/// Arguments shared by `check` and `apply`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Files or folders (default: `.github/workflows` and `.github/actions` of the current repository).
    pub paths: Vec<PathBuf>,
    /// Only these rules (repeatable).
    #[arg(long = "rule", value_name = "ID")]
    pub rules: Vec<String>,
    /// A folder of extra rule files (and knowledge under DIR/knowledge/).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules_dir: Option<PathBuf>,
    /// The configuration file (default: .github/ghfix.yml of the repository checked).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Shorter report: one line a finding (`-q`); only errors and the summary (`-qq`).
    #[arg(short, long, action = clap::ArgAction::Count, conflicts_with = "verbose")]
    pub quiet: u8,
    /// Longer report: each rule's title and `ghfix explain` pointer, and the files without
    /// findings.
    #[arg(short, long)]
    pub verbose: bool,
    /// After the report, count the findings by rule (`[*]`: a safe fix, `[u]`: an unsafe one).
    #[arg(long)]
    pub statistics: bool,
    /// Fetch what ghfix has no metadata for through the GitHub API, at the ref used: actions'
    /// action.yml, reusable workflows of other repositories, the tags of commit pins (token from
    /// GH_TOKEN or GITHUB_TOKEN; cached in ~/.cache/ghfix).
    #[arg(long)]
    pub online: bool,
    /// The GitHub API root for --online (GitHub Enterprise Server: https://HOST/api/v3).
    #[arg(long, value_name = "URL", default_value = crate::rules::online::DEFAULT_API)]
    pub api_url: String,
    /// The repository's visibility (default: the configuration's `visibility:`, else taken as
    /// private). `public` leaves out the reads only a private repository needs a scope for:
    /// cloning it, CodeQL's and Scorecard's reads of its runs, pull requests and checks.
    #[arg(long, value_enum, value_name = "VISIBILITY")]
    pub visibility: Option<crate::config::Visibility>,
}

/// Arguments of `ghfix apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// What to check and which rules.
    #[command(flatten)]
    pub run: RunArgs,
    /// Print the diff instead of writing; exit 1 when a diff is pending, 0 when none is (even if
    /// findings remain that no fix covers: `check` reports those).
    #[arg(long)]
    pub dry_run: bool,
    /// Also apply fixes marked unsafe.
    #[arg(long = "unsafe")]
    pub allow_unsafe: bool,
    /// How the fixes are delivered: a commit on a branch, pushed, with a pull request.
    #[command(flatten)]
    pub publish: PublishArgs,
}

/// Arguments of `ghfix migrate`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct MigrateArgs {
    /// `merge`: combine results files.
    #[command(subcommand)]
    pub action: Option<MigrateAction>,
    /// Repositories, one `owner/name` or clone URL a line (`#` starts a comment).
    #[arg(long, value_name = "FILE", conflicts_with = "org")]
    pub repos: Option<PathBuf>,
    /// Every repository of an organisation (listed through the API; archived repositories,
    /// forks and empty ones are skipped unless asked for).
    #[arg(long, value_name = "ORG")]
    pub org: Option<String>,
    /// Also archived repositories (with --org).
    #[arg(long, requires = "org")]
    pub include_archived: bool,
    /// Also forks (with --org).
    #[arg(long, requires = "org")]
    pub include_forks: bool,
    /// Only repositories with one of these topics (with --org; repeatable).
    #[arg(long = "topic", value_name = "TOPIC", requires = "org")]
    pub topics: Vec<String>,
    /// Only repositories whose main language is this (with --org; any case).
    #[arg(long, value_name = "LANGUAGE", requires = "org")]
    pub language: Option<String>,
    /// Where clones, diffs and `results.json` live; a second run reuses the clones.
    #[arg(long, value_name = "DIR", default_value = "ghfix-migrate")]
    pub work_dir: PathBuf,
    /// Only these rules (repeatable).
    #[arg(long = "rule", value_name = "ID")]
    pub rules: Vec<String>,
    /// A folder of extra rule files.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules_dir: Option<PathBuf>,
    /// Also apply fixes marked unsafe.
    #[arg(long = "unsafe")]
    pub allow_unsafe: bool,
    /// Stop before committing: each repository's diff goes to DIR/diffs/.
    #[arg(long)]
    pub dry_run: bool,
    /// Repositories processed at once.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub concurrency: usize,
    /// Seconds between two pull requests (GitHub's secondary rate limits start early).
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    pub pr_delay: u64,
    /// Continue a run that stopped: repositories already done are left alone.
    #[arg(long, conflicts_with = "retry_failed")]
    pub resume: bool,
    /// Redo only the repositories that failed.
    #[arg(long)]
    pub retry_failed: bool,
    /// Take the I-th of N stable parts of the list (1-based), for one machine of N.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// The base URL `owner/name` lines are cloned from.
    #[arg(long, value_name = "URL", default_value = "https://github.com/")]
    pub git_url: String,
    /// Commit, push and pull request settings, as for `apply --commit`.
    #[command(flatten)]
    pub delivery: MigrateDelivery,
    /// The GitHub API root (GitHub Enterprise Server: https://HOST/api/v3).
    #[arg(long, value_name = "URL", default_value = crate::rules::online::DEFAULT_API)]
    pub api_url: String,
}

/// What `migrate` does once a repository is fixed.
#[derive(Debug, Args)]
pub struct MigrateDelivery {
    /// The branch (default: the configuration's `branch-prefix` and the rules applied).
    #[arg(long, value_name = "NAME")]
    pub branch: Option<String>,
    /// The commit's title.
    #[arg(long, value_name = "MSG")]
    pub message: Option<String>,
    /// Author and committer, `Name <email>`.
    #[arg(long, value_name = "NAME <EMAIL>")]
    pub author: Option<String>,
    /// Where the commit is made: pushed to `origin` (git), or through the API.
    #[arg(long, value_enum, default_value_t = CommitVia::Git)]
    pub commit_via: CommitVia,
    /// Open or update each repository's pull request.
    #[arg(long)]
    pub open_pr: bool,
    /// How the pull requests look.
    #[command(flatten)]
    pub pull_request: PullRequestOptions,
}

/// The pull request's settings (`--open-pr` of `apply --commit` and of `migrate`).
#[derive(Debug, Clone, Args)]
pub struct PullRequestOptions {
    /// Open the pull request as a draft.
    #[arg(long, requires = "open_pr")]
    pub draft: bool,
    /// Turn on auto-merge (squash) for the pull request.
    #[arg(long, requires = "open_pr")]
    pub auto_merge: bool,
    /// Labels for the pull request (repeatable).
    #[arg(long = "label", value_name = "LABEL", requires = "open_pr")]
    pub labels: Vec<String>,
    /// Reviewers to request (repeatable).
    #[arg(long = "reviewer", value_name = "USER", requires = "open_pr")]
    pub reviewers: Vec<String>,
}

/// Subcommands of `ghfix migrate`.
#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// Re-read each pull request's state (open, merged, closed; checks passing, failing or
    /// pending) into the results, and optionally write an HTML page of the campaign.
    Status {
        /// The campaign's work folder.
        #[arg(long, value_name = "DIR", default_value = "ghfix-migrate")]
        work_dir: PathBuf,
        /// Write a self-contained HTML report of the campaign to FILE.
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
        /// The GitHub API root.
        #[arg(long, value_name = "URL", default_value = crate::rules::online::DEFAULT_API)]
        api_url: String,
    },
    /// Combine the results files of several runs (the shards of one campaign) into one.
    Merge {
        /// The results files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Where the combined file goes.
        #[arg(long, short, value_name = "FILE")]
        output: PathBuf,
    },
}

/// Where `apply --commit` makes its commit on GitHub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CommitVia {
    /// A local commit, pushed with `--push`.
    Git,
    /// The same commit made through GitHub's API (verified when made with an App token).
    Api,
}

/// `apply --commit` and what follows it.
#[derive(Debug, Args)]
pub struct PublishArgs {
    /// Commit the fixed files on a new branch from HEAD instead of writing them: the working
    /// copy, the index and the checked-out branch stay as they were.
    #[arg(long, conflicts_with = "dry_run")]
    pub commit: bool,
    /// The branch (default: the configuration's `branch-prefix` and the rules applied).
    #[arg(long, value_name = "NAME", requires = "commit")]
    pub branch: Option<String>,
    /// The commit's title (default: names the rules applied).
    #[arg(long, value_name = "MSG", requires = "commit")]
    pub message: Option<String>,
    /// Author and committer, `Name <email>` (default: the repository's git configuration).
    #[arg(long, value_name = "NAME <EMAIL>", requires = "commit")]
    pub author: Option<String>,
    /// Regenerate the branch if it exists, as one commit on the current HEAD (refused when
    /// someone else added commits to it).
    #[arg(long, requires = "commit")]
    pub update: bool,
    /// Push the branch to REMOTE (a remote's name, a path or a URL; https remotes use GH_TOKEN
    /// or GITHUB_TOKEN, ssh remotes the ssh agent).
    #[arg(long, value_name = "REMOTE", requires = "commit")]
    pub push: Option<String>,
    /// Create the commit on GitHub through its API instead of pushing (a commit made with an
    /// App's token shows as verified); needs HEAD on GitHub, and a token.
    #[arg(long, value_enum, default_value_t = CommitVia::Git, requires = "commit")]
    pub commit_via: CommitVia,
    /// Open the branch's pull request, or update the open one (GitHub REST API, --api-url;
    /// token from GH_TOKEN or GITHUB_TOKEN); needs --push or --commit-via api.
    #[arg(long, requires = "commit")]
    pub open_pr: bool,
    /// The repository on GitHub (default: read from the `origin` remote's URL).
    #[arg(long, value_name = "OWNER/REPO", requires = "commit")]
    pub repo: Option<String>,
    /// The pull request's base branch (default: the branch checked out).
    #[arg(long, value_name = "BRANCH", requires = "open_pr")]
    pub base: Option<String>,
    /// How the pull request looks.
    #[command(flatten)]
    pub pull_request: PullRequestOptions,
    /// Write the pull request's body (markdown) to PATH, for `gh pr create --body-file`.
    #[arg(long, value_name = "PATH", requires = "commit")]
    pub pr_body_file: Option<PathBuf>,
}

/// Arguments of `ghfix rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// A folder of extra rule files.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules_dir: Option<PathBuf>,
}

/// Arguments of `ghfix edit`.
#[derive(Debug, Args)]
pub struct EditArgs {
    /// The YAML file to edit.
    pub file: PathBuf,
    /// Set PATH=VALUE, creating the entry and missing parent mappings.
    #[arg(long, value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Set PATH to the contents of FILE (`-`: standard input), as a string kept exactly.
    #[arg(long = "set-file", value_name = "PATH=FILE")]
    pub set_file: Vec<String>,
    /// Delete the entry or sequence item at PATH, with its own comment lines.
    #[arg(long, value_name = "PATH")]
    pub delete: Vec<String>,
    /// Append VALUE to the sequence at PATH (created when missing).
    #[arg(long, value_name = "PATH=VALUE")]
    pub append: Vec<String>,
    /// Add or replace the trailing comment of the entry at PATH.
    #[arg(long, value_name = "PATH=TEXT")]
    pub comment: Vec<String>,
    /// Replace FROM with TO inside the scalar at PATH.
    #[arg(long, value_name = "PATH=FROM=>TO")]
    pub rewrite: Vec<String>,
    /// Print a unified diff instead of writing the file.
    #[arg(long)]
    pub dry_run: bool,
}
