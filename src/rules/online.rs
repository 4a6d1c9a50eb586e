//! `--online`: the `action.yml` of an action the shipped index lacks, and the file of a reusable
//! workflow of another repository, fetched at the exact ref a workflow uses through the GitHub
//! REST API (`GET /repos/{owner}/{repo}/contents/{path}`),
//! authenticated with `GH_TOKEN` or `GITHUB_TOKEN` when set, and cached on disk
//! (`$GHFIX_CACHE_DIR`, else `$XDG_CACHE_HOME/ghfix`, else `~/.cache/ghfix`). Offline is the
//! default; a fetch that fails leaves the action unknown, as offline, with a warning.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::{Duration, SystemTime};

use regex::Regex;

use crate::rules::knowledge::{major_of, IndexRecord, Knowledge};

/// GitHub's API root, unless `--api-url` says otherwise (GitHub Enterprise Server, tests).
pub const DEFAULT_API: &str = "https://api.github.com";

/// How long a metadata file fetched for a movable ref (a tag or branch) is trusted; a commit
/// SHA's never changes.
const MOVABLE_REF_TTL: Duration = Duration::from_secs(24 * 3600);

static USES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?m)^[\s-]*uses:\s*["']?([A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[A-Za-z0-9_./-]+)"#)
        .expect("valid regex")
});

/// The warnings of one [`Fetcher::learn`]: one per failure, and once the fetcher has given up,
/// a count of what was not fetched after that.
#[derive(Default)]
struct Warnings {
    list: Vec<String>,
    skipped: usize,
    gave_up_told: bool,
}

impl Warnings {
    fn push(&mut self, warning: String) {
        self.list.push(warning);
    }

    /// A failed fetch of `what`; `gave_up`: the fetcher asks nothing more.
    fn failed(&mut self, what: &str, why: &str, gave_up: bool) {
        if self.gave_up_told {
            self.skipped += 1;
            return;
        }
        self.gave_up_told = gave_up;
        self.list.push(format!("{what}: {why}"));
    }

    fn done(mut self) -> Vec<String> {
        if self.skipped > 0 {
            self.list.push(format!(
                "{} more not fetched after that failure; they stay unknown",
                self.skipped
            ));
        }
        self.list
    }
}

/// Fetches action metadata through the GitHub API, with a disk cache.
pub struct Fetcher {
    api: String,
    token: Option<String>,
    cache: PathBuf,
    agent: ureq::Agent,
    /// Set after the API could not be reached or refused the token (rate limit, credentials):
    /// the rest is served from the cache only, so that a dead network costs one timeout.
    gave_up: std::cell::Cell<bool>,
}

impl Fetcher {
    /// A fetcher for `api` (no trailing slash needed), token and cache from the environment.
    pub fn new(api: &str) -> Fetcher {
        let token = crate::github::token_from_env();
        let cache = std::env::var_os("GHFIX_CACHE_DIR")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("ghfix")))
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/ghfix")))
            .unwrap_or_else(|| std::env::temp_dir().join("ghfix-cache"));
        let agent = crate::github::agent(Duration::from_secs(20));
        Fetcher {
            api: api.trim_end_matches('/').to_string(),
            token,
            cache,
            agent,
            gave_up: std::cell::Cell::new(false),
        }
    }

    /// Adds to `kb` the major version of every commit pin that tells none (from the
    /// repository's version tags), the metadata of every remote action used in `texts` that
    /// neither the knowledge base nor the index knows, and the text of every reusable workflow of
    /// another repository they call; returns one warning per file that could not be had.
    pub fn learn<'a>(
        &self,
        kb: &mut Knowledge,
        texts: impl Iterator<Item = &'a str>,
    ) -> Vec<String> {
        let used: BTreeSet<&str> = texts
            .flat_map(|t| USES.captures_iter(t).filter_map(|c| c.get(1)))
            .map(|m| m.as_str())
            .collect();
        let mut warnings = Warnings::default();
        self.learn_pins(kb, &used, &mut warnings);
        let wanted: Vec<&str> = used
            .iter()
            .copied()
            .filter(|uses| {
                let major = kb.major(uses, None);
                uses.contains("/.github/workflows/")
                    || (kb.action(uses, major).is_none()
                        && kb.indexed(uses).is_none_or(|e| e.record(major).is_err()))
            })
            .collect();
        for uses in wanted {
            let workflow = uses.contains("/.github/workflows/");
            match self.fetch(uses) {
                Ok(Some(text)) if workflow => kb.learn_workflow(uses, text),
                Ok(Some(text)) => match IndexRecord::read(&text) {
                    Some(record) => kb.learn(uses, record),
                    None => warnings.push(format!("{uses}: its action.yml does not parse")),
                },
                Ok(None) if workflow => {
                    warnings.push(format!("{uses}: no such workflow at that ref"))
                }
                Ok(None) => warnings.push(format!("{uses}: no action.yml at that ref")),
                Err(why) => warnings.failed(uses, &why, self.gave_up.get()),
            }
        }
        warnings.done()
    }

    /// Commit pins (`owner/repo@<40 hex>`) whose major version neither a comment nor the shipped
    /// tag table tells: the repository's version tags are fetched, and a commit that tags of one
    /// major name is recorded as that major.
    fn learn_pins(&self, kb: &mut Knowledge, used: &BTreeSet<&str>, warnings: &mut Warnings) {
        let mut pins: std::collections::BTreeMap<(&str, &str), BTreeSet<String>> =
            std::collections::BTreeMap::new();
        for uses in used {
            let Some((name, sha)) = uses.rsplit_once('@') else {
                continue;
            };
            let sha_pin = crate::rules::knowledge::is_commit(sha);
            let mut parts = name.splitn(3, '/');
            if let (true, None, Some(owner), Some(repo)) =
                (sha_pin, kb.major(uses, None), parts.next(), parts.next())
            {
                pins.entry((owner, repo))
                    .or_default()
                    .insert(sha.to_lowercase());
            }
        }
        for ((owner, repo), shas) in pins {
            let tags = match self.tags(owner, repo) {
                Ok(t) => t,
                Err(why) => {
                    warnings.failed(&format!("{owner}/{repo} tags"), &why, self.gave_up.get());
                    continue;
                }
            };
            let mut majors: std::collections::BTreeMap<&str, BTreeSet<u32>> =
                std::collections::BTreeMap::new();
            for (sha, tag) in tags.lines().filter_map(|l| l.split_once(' ')) {
                if let Some(m) = shas
                    .contains(&sha.to_lowercase())
                    .then(|| major_of(&format!("x@{tag}"), None))
                    .flatten()
                {
                    majors.entry(sha).or_default().insert(m);
                }
            }
            for (sha, found) in majors {
                if let (1, Some(m)) = (found.len(), found.first()) {
                    kb.learn_major(&format!("{owner}/{repo}"), sha, *m);
                }
            }
        }
    }

    /// The text of what `uses` names: the `action.yml` (or `action.yaml`) of
    /// `owner/repo[/path]@ref`, or the workflow file of `owner/repo/.github/workflows/F@ref`,
    /// from the cache or the API; `None` when the repository holds none at that ref.
    pub fn fetch(&self, uses: &str) -> Result<Option<String>, String> {
        let (name, git_ref) = uses.split_once('@').ok_or("no ref")?;
        let mut parts = name.splitn(3, '/');
        let (Some(owner), Some(repo)) = (parts.next(), parts.next()) else {
            return Err("not owner/repo".into());
        };
        let sub = parts.next().unwrap_or("").trim_end_matches('/');
        let workflow = sub.starts_with(".github/workflows/");
        let cached = self.cache_path(
            if workflow { "workflows" } else { "actions" },
            owner,
            repo,
            sub,
            git_ref,
        )?;
        if let Some(text) = fresh(&cached, git_ref) {
            return Ok(Some(text));
        }
        if self.gave_up.get() {
            return Err("not fetched after an earlier failure".into());
        }
        let files: Vec<String> = if workflow {
            vec![sub.to_string()]
        } else {
            ["action.yml", "action.yaml"]
                .iter()
                .map(|f| {
                    if sub.is_empty() {
                        f.to_string()
                    } else {
                        format!("{sub}/{f}")
                    }
                })
                .collect()
        };
        for path in files {
            let url = format!(
                "{}/repos/{owner}/{repo}/contents/{path}?ref={}",
                self.api,
                encode(git_ref)
            );
            let Some(body) = self.get(&url, "application/vnd.github.raw")? else {
                continue;
            };
            store(&cached, &body);
            return Ok(Some(body));
        }
        Ok(None)
    }

    /// The version tags of `owner/repo` and the commits they name (`sha tag` lines), from the
    /// cache or the API (up to 1,000 tags).
    fn tags(&self, owner: &str, repo: &str) -> Result<String, String> {
        let cached = self.cache_path("tags", owner, repo, "", "tags")?;
        if let Some(text) = fresh(&cached, "tags") {
            return Ok(text);
        }
        if self.gave_up.get() {
            return Err("not fetched after an earlier failure".into());
        }
        let mut out = String::new();
        for page in 1..=10 {
            let url = format!(
                "{}/repos/{owner}/{repo}/tags?per_page=100&page={page}",
                self.api
            );
            let Some(body) = self.get(&url, "application/vnd.github+json")? else {
                break;
            };
            let list: Vec<serde_json::Value> = serde_json::from_str(&body)
                .map_err(|e| format!("GET {url}: not a list of tags: {e}"))?;
            for t in &list {
                if let (Some(name), Some(sha)) = (t["name"].as_str(), t["commit"]["sha"].as_str()) {
                    out.push_str(&format!("{sha} {name}\n"));
                }
            }
            if list.len() < 100 {
                break;
            }
        }
        store(&cached, &out);
        Ok(out)
    }

    /// The visibility of the repository `owner/repo` (`GET /repos/{owner}/{repo}`, not cached:
    /// it may change); `None` when the API does not say (unreachable, not found, no such field).
    pub fn visibility(&self, slug: &str) -> Option<crate::config::Visibility> {
        if self.gave_up.get() {
            return None;
        }
        let body = self
            .get(
                &format!("{}/repos/{slug}", self.api),
                "application/vnd.github+json",
            )
            .ok()??;
        let repo: serde_json::Value = serde_json::from_str(&body).ok()?;
        serde_json::from_value(repo["visibility"].clone())
            .ok()
            // An API without `visibility` (older GitHub Enterprise Server) tells `private`.
            .or_else(|| match repo["private"].as_bool()? {
                false => Some(crate::config::Visibility::Public),
                true => Some(crate::config::Visibility::Private),
            })
    }

    /// One GET of the API: the body of a 200 answer, `None` for 404, else the error (after
    /// which, when the API is unreachable or refuses the token, nothing more is asked).
    fn get(&self, url: &str, accept: &str) -> Result<Option<String>, String> {
        let mut request = self
            .agent
            .get(url)
            .header("Accept", accept)
            .header("User-Agent", concat!("ghfix/", env!("CARGO_PKG_VERSION")))
            .header("X-GitHub-Api-Version", "2022-11-28");
        if let Some(token) = &self.token {
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        let mut response = request.call().map_err(|e| {
            self.gave_up.set(true);
            format!("GET {url}: {e}")
        })?;
        let status = response.status().as_u16();
        if status == 404 {
            return Ok(None);
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_string()
            .map_err(|e| format!("GET {url}: {e}"))?;
        if status != 200 {
            // Credentials refused or a rate limit: every further request would fail alike.
            if matches!(status, 401 | 403 | 429) {
                self.gave_up.set(true);
            }
            let message = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["message"].as_str().map(str::to_string))
                .unwrap_or_default();
            return Err(format!("GET {url}: HTTP {status} {message}").trim().into());
        }
        Ok(Some(body))
    }

    /// Where one file of `kind` (`actions`, `workflows`) at one ref is cached; refs and names
    /// that could leave the cache folder are refused.
    fn cache_path(
        &self,
        kind: &str,
        owner: &str,
        repo: &str,
        sub: &str,
        git_ref: &str,
    ) -> Result<PathBuf, String> {
        let safe_with = |s: &str, extra: &str| {
            !s.is_empty()
                && s != "."
                && s != ".."
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c) || extra.contains(c))
        };
        let safe = |s: &str| safe_with(s, "");
        let subs: Vec<&str> = sub.split('/').filter(|s| !s.is_empty()).collect();
        if !safe(owner) || !safe(repo) || !subs.iter().all(|s| safe(s)) {
            return Err("an action name ghfix will not fetch".into());
        }
        let file = encode(git_ref);
        if !safe_with(&file, "%") {
            return Err("a ref ghfix will not fetch".into());
        }
        let mut path = self.cache.join(kind).join(owner).join(repo);
        for s in subs {
            path.push(s);
        }
        Ok(path.join(format!("{file}.yml")))
    }
}

/// The cached text, if present and still trusted for `git_ref`.
fn fresh(path: &Path, git_ref: &str) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    let pinned = crate::rules::knowledge::is_commit(git_ref);
    let age = meta
        .modified()
        .ok()
        .and_then(|m| SystemTime::now().duration_since(m).ok())
        .unwrap_or(Duration::MAX);
    (pinned || age < MOVABLE_REF_TTL)
        .then(|| std::fs::read_to_string(path).ok())
        .flatten()
}

/// Writes a cache file through a temporary file and a rename; a cache that cannot be written
/// only costs a fetch next time.
fn store(path: &Path, text: &str) {
    let Some(dir) = path.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    if std::fs::write(&tmp, text).is_ok() && std::fs::rename(&tmp, path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// A ref as one URL query value and one file name (`/` becomes `%2F`).
fn encode(git_ref: &str) -> String {
    git_ref.replace('%', "%25").replace('/', "%2F")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_paths_stay_inside_the_cache() {
        let f = Fetcher {
            api: DEFAULT_API.into(),
            token: None,
            cache: PathBuf::from("/c"),
            agent: ureq::Agent::new_with_defaults(),
            gave_up: std::cell::Cell::new(false),
        };
        assert_eq!(
            f.cache_path("actions", "o", "r", "sub/dir", "releases/v1")
                .unwrap(),
            PathBuf::from("/c/actions/o/r/sub/dir/releases%2Fv1.yml")
        );
        for (owner, repo, sub, git_ref) in [
            ("..", "r", "", "v1"),
            ("o", "r", "a/../../x", "v1"),
            ("o", "r", "", ".."),
            ("o", "r", "", "v1\n"),
            ("o", "r/../..", "", "v1"),
        ] {
            assert!(
                f.cache_path("actions", owner, repo, sub, git_ref).is_err(),
                "{owner}/{repo}/{sub}@{git_ref}"
            );
        }
    }
}
