//! The GitHub REST API for bot pull requests: open the pull request of a branch, or update the
//! open one (found by its head branch, so no state is kept), then its labels and reviewers.
//! Transient failures (5xx, secondary rate limits answered with 403 or 429 and `Retry-After` or
//! `x-ratelimit-reset`) are retried with back-off; permanent ones carry GitHub's message.

use std::time::Duration;

use serde_json::{json, Value};

use crate::cli::PullRequestOptions;

/// A client of one API root with one token.
pub struct Client {
    api: String,
    token: String,
    agent: ureq::Agent,
    /// The longest wait between attempts (a rate limit that resets later fails instead).
    max_wait: Duration,
}

/// What the pull request says and who sees it.
pub struct PullRequest<'a> {
    /// `owner/repo`.
    pub repo: &'a str,
    /// The head branch.
    pub head: &'a str,
    /// The base branch.
    pub base: &'a str,
    /// Title.
    pub title: &'a str,
    /// Markdown body.
    pub body: &'a str,
    /// Draft, auto-merge, labels and reviewers.
    pub options: &'a PullRequestOptions,
}

/// The GitHub token from the environment: `GH_TOKEN`, else `GITHUB_TOKEN` (empty ones skipped).
pub fn token_from_env() -> Option<String> {
    ["GH_TOKEN", "GITHUB_TOKEN"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|t| !t.is_empty()))
}

/// An HTTP agent for the API: `timeout` for a whole request, error statuses returned as answers.
pub fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .build()
        .into()
}

/// How many attempts a request gets.
const ATTEMPTS: u32 = 5;

impl Client {
    /// A client of `api` (`https://api.github.com`, or `https://HOST/api/v3`) with `token`.
    pub fn new(api: &str, token: String) -> Client {
        let agent = agent(Duration::from_secs(30));
        Client {
            api: api.trim_end_matches('/').to_string(),
            token,
            agent,
            max_wait: Duration::from_secs(
                std::env::var("GHFIX_MAX_RETRY_WAIT")
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(120),
            ),
        }
    }

    /// One API call, retried while GitHub says to wait; the answer's JSON.
    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
        // A path below the REST root, or a whole URL (GraphQL's).
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.api)
        };
        let mut delay = Duration::from_secs(1);
        for attempt in 1..=ATTEMPTS {
            let request = ureq::http::Request::builder()
                .method(method)
                .uri(&url)
                .header("Accept", "application/vnd.github+json")
                .header("User-Agent", concat!("ghfix/", env!("CARGO_PKG_VERSION")))
                .header("X-GitHub-Api-Version", "2022-11-28")
                .header("Authorization", format!("Bearer {}", self.token));
            let sent = match body {
                Some(b) => self.agent.run(
                    request
                        .header("Content-Type", "application/json")
                        .body(b.to_string())
                        .map_err(|e| e.to_string())?,
                ),
                None => self.agent.run(request.body(()).map_err(|e| e.to_string())?),
            };
            let mut response = match sent {
                Ok(r) => r,
                Err(e) if attempt < ATTEMPTS => {
                    let _ = e;
                    std::thread::sleep(delay);
                    delay *= 2;
                    continue;
                }
                Err(e) => return Err(format!("{method} {url}: {e}")),
            };
            let status = response.status().as_u16();
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            let retry_after = header("retry-after").and_then(|s| s.trim().parse::<u64>().ok());
            let remaining = header("x-ratelimit-remaining");
            let reset = header("x-ratelimit-reset").and_then(|s| s.trim().parse::<u64>().ok());
            let text = response
                .body_mut()
                .with_config()
                .limit(8 << 20)
                .read_to_string()
                .unwrap_or_default();
            let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            if (200..300).contains(&status) {
                return Ok(value);
            }
            let message = value["message"].as_str().unwrap_or_default().to_string();
            let limited = status == 429
                || (status == 403
                    && (retry_after.is_some()
                        || remaining.as_deref() == Some("0")
                        || message.to_lowercase().contains("rate limit")));
            let wait = if limited {
                let until_reset = reset.map(|r| {
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_secs());
                    Duration::from_secs(r.saturating_sub(now))
                });
                Some(
                    retry_after
                        .map(Duration::from_secs)
                        .or(until_reset)
                        .unwrap_or(delay),
                )
            } else if status >= 500 {
                Some(delay)
            } else {
                None
            };
            match wait {
                Some(w) if attempt < ATTEMPTS && w <= self.max_wait => {
                    std::thread::sleep(w);
                    delay *= 2;
                }
                _ => {
                    return Err(format!("{method} {path}: HTTP {status} {message}")
                        .trim()
                        .to_string())
                }
            }
        }
        Err(format!(
            "{method} {path}: gave up after {ATTEMPTS} attempts"
        ))
    }

    /// Opens the pull request of `pr.head`, or updates the open one; returns its URL and
    /// whether it was opened now.
    pub fn open_or_update(&self, pr: &PullRequest) -> Result<(String, bool), String> {
        let owner = pr.repo.split('/').next().unwrap_or_default();
        let list = self.call(
            "GET",
            &format!(
                "/repos/{}/pulls?state=open&head={owner}:{}",
                pr.repo,
                encode(pr.head)
            ),
            None,
        )?;
        let open = list.as_array().and_then(|a| a.first()).cloned();
        let (pull, opened) = match open {
            Some(existing) => {
                let number = existing["number"]
                    .as_u64()
                    .ok_or("a pull request without a number")?;
                let updated = self.call(
                    "PATCH",
                    &format!("/repos/{}/pulls/{number}", pr.repo),
                    Some(&json!({ "title": pr.title, "body": pr.body })),
                )?;
                (updated, false)
            }
            None => {
                let created = self.call(
                    "POST",
                    &format!("/repos/{}/pulls", pr.repo),
                    Some(&json!({
                        "title": pr.title,
                        "head": pr.head,
                        "base": pr.base,
                        "body": pr.body,
                        "draft": pr.options.draft,
                        "maintainer_can_modify": true,
                    })),
                )?;
                (created, true)
            }
        };
        let number = pull["number"]
            .as_u64()
            .ok_or("GitHub returned no pull request number")?;
        if !pr.options.labels.is_empty() {
            self.call(
                "POST",
                &format!("/repos/{}/issues/{number}/labels", pr.repo),
                Some(&json!({ "labels": pr.options.labels })),
            )?;
        }
        if !pr.options.reviewers.is_empty() {
            self.call(
                "POST",
                &format!("/repos/{}/pulls/{number}/requested_reviewers", pr.repo),
                Some(&json!({ "reviewers": pr.options.reviewers })),
            )?;
        }
        if pr.options.auto_merge {
            let id = pull["node_id"]
                .as_str()
                .ok_or("GitHub returned no node id")?;
            self.graphql(
                "mutation($id: ID!) { enablePullRequestAutoMerge(input: {pullRequestId: $id, mergeMethod: SQUASH}) { clientMutationId } }",
                &json!({ "id": id }),
            )
            .map_err(|e| format!("auto-merge: {e}"))?;
        }
        let url = pull["html_url"].as_str().unwrap_or_default().to_string();
        Ok((url, opened))
    }
}

impl Client {
    /// One GraphQL request (`/graphql` beside the REST root; GitHub Enterprise Server's
    /// `/api/v3` becomes `/api/graphql`); its errors are failures.
    fn graphql(&self, query: &str, variables: &Value) -> Result<Value, String> {
        let url = match self.api.strip_suffix("/api/v3") {
            Some(host) => format!("{host}/api/graphql"),
            None => format!("{}/graphql", self.api),
        };
        let answer = self.call(
            "POST",
            &url,
            Some(&json!({ "query": query, "variables": variables })),
        )?;
        if let Some(errors) = answer["errors"].as_array().filter(|e| !e.is_empty()) {
            let messages: Vec<&str> = errors
                .iter()
                .filter_map(|e| e["message"].as_str())
                .collect();
            return Err(messages.join("; "));
        }
        Ok(answer["data"].clone())
    }
}

/// A repository of an organisation, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRepo {
    /// `owner/name`.
    pub full_name: String,
    /// The https clone URL.
    pub clone_url: String,
    /// Archived (read-only).
    pub archived: bool,
    /// A fork.
    pub fork: bool,
    /// Holds no commits (`size` 0).
    pub empty: bool,
    /// Its topics.
    pub topics: Vec<String>,
    /// Its main language.
    pub language: Option<String>,
    /// Public, private or internal, as the API says.
    pub visibility: Option<crate::config::Visibility>,
}

impl Client {
    /// Every repository of `org`, page by page (100 a page).
    pub fn org_repos(&self, org: &str) -> Result<Vec<OrgRepo>, String> {
        let mut out = Vec::new();
        for page in 1.. {
            let list = self.call(
                "GET",
                &format!("/orgs/{org}/repos?per_page=100&page={page}"),
                None,
            )?;
            let items = list
                .as_array()
                .ok_or("GitHub returned no list of repositories")?;
            for r in items {
                out.push(OrgRepo {
                    full_name: r["full_name"].as_str().unwrap_or_default().to_string(),
                    clone_url: r["clone_url"].as_str().unwrap_or_default().to_string(),
                    archived: r["archived"].as_bool().unwrap_or(false),
                    fork: r["fork"].as_bool().unwrap_or(false),
                    empty: r["size"].as_u64() == Some(0),
                    topics: r["topics"]
                        .as_array()
                        .map(|t| {
                            t.iter()
                                .filter_map(|x| x.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default(),
                    language: r["language"].as_str().map(str::to_string),
                    visibility: serde_json::from_value(r["visibility"].clone()).ok(),
                });
            }
            if items.len() < 100 {
                break;
            }
        }
        Ok(out)
    }
}

impl Client {
    /// A pull request's state (`open`, `merged`, `closed`) and its checks (`passing`,
    /// `failing`, `pending`, `none`), from the pull request and its head commit's check runs.
    pub fn pull_request_state(&self, repo: &str, number: u64) -> Result<(String, String), String> {
        let pr = self.call("GET", &format!("/repos/{repo}/pulls/{number}"), None)?;
        let state = if pr["merged"].as_bool() == Some(true) {
            "merged"
        } else {
            pr["state"].as_str().unwrap_or("unknown")
        };
        let head = pr["head"]["sha"].as_str().unwrap_or_default();
        let runs = self.call(
            "GET",
            &format!("/repos/{repo}/commits/{head}/check-runs?per_page=100"),
            None,
        )?;
        let runs = runs["check_runs"].as_array().cloned().unwrap_or_default();
        let checks = if runs.is_empty() {
            "none"
        } else if runs.iter().any(|r| {
            matches!(
                r["conclusion"].as_str(),
                Some("failure" | "timed_out" | "cancelled" | "action_required")
            )
        }) {
            "failing"
        } else if runs
            .iter()
            .any(|r| r["status"].as_str() != Some("completed"))
        {
            "pending"
        } else {
            "passing"
        };
        Ok((state.to_string(), checks.to_string()))
    }
}

/// One file of a commit made through the API.
pub struct File<'a> {
    /// Path in the repository (`/`-separated).
    pub path: &'a str,
    /// Its new text.
    pub text: &'a str,
    /// Whether it is executable.
    pub executable: bool,
}

impl Client {
    /// Creates one commit on `parent` (a commit GitHub has) with `files` changed, through the
    /// Git database API, and points `branch` at it: a commit made with an App's token this way
    /// shows as verified. An existing branch is moved only with `update`, and only when its tip
    /// is a ghfix commit. Returns the new commit's SHA.
    pub fn commit(
        &self,
        repo: &str,
        parent: &str,
        files: &[File],
        message: &str,
        branch: &str,
        update: bool,
    ) -> Result<String, String> {
        let existing = match self.call(
            "GET",
            &format!("/repos/{repo}/git/ref/heads/{branch}"),
            None,
        ) {
            Ok(r) => r["object"]["sha"].as_str().map(str::to_string),
            Err(e) if e.contains("HTTP 404") => None,
            Err(e) => return Err(e),
        };
        if let Some(tip) = &existing {
            if !update {
                return Err(format!(
                    "branch `{branch}` exists on GitHub; pass --update to regenerate it"
                ));
            }
            let commit = self.call("GET", &format!("/repos/{repo}/git/commits/{tip}"), None)?;
            if !commit["message"]
                .as_str()
                .unwrap_or_default()
                .contains(crate::git::TRAILER)
            {
                return Err(format!(
                    "branch `{branch}` on GitHub has commits that ghfix did not make; it is left as it is"
                ));
            }
        }
        let parent_commit =
            self.call("GET", &format!("/repos/{repo}/git/commits/{parent}"), None)?;
        let base_tree = parent_commit["tree"]["sha"]
            .as_str()
            .ok_or("GitHub returned no tree for the base commit")?;
        let entries: Vec<Value> = files
            .iter()
            .map(|f| {
                json!({
                    "path": f.path,
                    "mode": if f.executable { "100755" } else { "100644" },
                    "type": "blob",
                    "content": f.text,
                })
            })
            .collect();
        let tree = self.call(
            "POST",
            &format!("/repos/{repo}/git/trees"),
            Some(&json!({ "base_tree": base_tree, "tree": entries })),
        )?;
        let tree = tree["sha"].as_str().ok_or("GitHub returned no tree")?;
        let commit = self.call(
            "POST",
            &format!("/repos/{repo}/git/commits"),
            Some(&json!({ "message": message, "tree": tree, "parents": [parent] })),
        )?;
        let sha = commit["sha"]
            .as_str()
            .ok_or("GitHub returned no commit")?
            .to_string();
        match existing {
            Some(_) => self.call(
                "PATCH",
                &format!("/repos/{repo}/git/refs/heads/{branch}"),
                Some(&json!({ "sha": sha, "force": true })),
            )?,
            None => self.call(
                "POST",
                &format!("/repos/{repo}/git/refs"),
                Some(&json!({ "ref": format!("refs/heads/{branch}"), "sha": sha })),
            )?,
        };
        Ok(sha)
    }
}

/// A branch name as a query value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_names_are_encoded_for_the_query() {
        assert_eq!(encode("ghfix/least-privilege"), "ghfix/least-privilege");
        assert_eq!(encode("a b#c"), "a%20b%23c");
    }
}
