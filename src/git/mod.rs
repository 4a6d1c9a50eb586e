//! Committing fixes to a branch with git2, without touching the working copy: the commit is built
//! from HEAD's tree with the fixed files' new blobs, the branch ref is created (or regenerated)
//! to point at it, and nothing is checked out, so the checked-out branch, the index and every
//! uncommitted change stay as they were. Pushing goes through git2 too: a token from `GH_TOKEN`
//! or `GITHUB_TOKEN` for https remotes, the ssh agent for ssh remotes, plain paths and `file://`
//! for local ones.

use std::path::{Path, PathBuf};

use git2::{BranchType, FileMode, Repository, Signature, Status};

/// The trailer every ghfix commit carries; a branch whose tip lacks it has someone else's work.
pub const TRAILER: &str = "Generated-by: ghfix";

/// One file to commit: where it is in the working copy, and its new text.
pub struct Change<'a> {
    /// The file (absolute, or relative to the current folder).
    pub path: &'a Path,
    /// Its fixed text.
    pub text: &'a str,
}

/// What a commit request asks for.
pub struct Request<'a> {
    /// The branch to create or regenerate.
    pub branch: &'a str,
    /// The whole commit message (title, body, trailers).
    pub message: &'a str,
    /// `Name <email>`, else the repository's git configuration, else ghfix's own.
    pub author: Option<&'a str>,
    /// Regenerate an existing branch (refused when someone else committed to it).
    pub update: bool,
}

/// What happened.
#[derive(Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The commit made, `None` when the branch already holds exactly this change on the
    /// current HEAD.
    pub commit: Option<String>,
    /// The repository's root.
    pub root: PathBuf,
    /// The commit the branch is built on (HEAD).
    pub parent: String,
    /// Each changed file's path in the repository and whether it is executable, in order.
    pub files: Vec<(String, bool)>,
}

/// Commits `changes` to `request.branch`, one commit on HEAD. Errors are one line each.
pub fn commit(start: &Path, changes: &[Change], request: &Request) -> Result<Outcome, String> {
    let repo = Repository::discover(start).map_err(|e| {
        format!(
            "{}: not in a git repository: {}",
            start.display(),
            e.message()
        )
    })?;
    let root = repo
        .workdir()
        .ok_or("a bare repository has no files to commit")?
        .canonicalize()
        .map_err(|e| e.to_string())?;
    let head = repo
        .head()
        .and_then(|h| h.peel_to_commit())
        .map_err(|e| format!("HEAD has no commit to build on: {}", e.message()))?;
    let base_tree = head.tree().map_err(|e| e.message().to_string())?;
    let mut update = git2::build::TreeUpdateBuilder::new();
    let mut files = Vec::new();
    for change in changes {
        let real = change
            .path
            .canonicalize()
            .map_err(|e| format!("{}: {e}", change.path.display()))?;
        let relative = real
            .strip_prefix(&root)
            .map_err(|_| format!("{}: outside the repository", change.path.display()))?;
        let status = repo
            .status_file(relative)
            .map_err(|e| format!("{}: {}", relative.display(), e.message()))?;
        let dirty = Status::WT_MODIFIED
            | Status::WT_NEW
            | Status::WT_TYPECHANGE
            | Status::INDEX_MODIFIED
            | Status::INDEX_NEW
            | Status::INDEX_TYPECHANGE;
        if status.intersects(dirty) {
            return Err(format!(
                "{} has changes that are not committed; commit or stash them first, so that \
                 the fix is not mixed with them",
                relative.display()
            ));
        }
        let mode = base_tree
            .get_path(relative)
            .map(|e| e.filemode())
            .unwrap_or(i32::from(FileMode::Blob));
        let mode = if mode == i32::from(FileMode::BlobExecutable) {
            FileMode::BlobExecutable
        } else {
            FileMode::Blob
        };
        let blob = repo
            .blob(change.text.as_bytes())
            .map_err(|e| e.message().to_string())?;
        let name = relative
            .to_str()
            .ok_or_else(|| format!("{}: not a UTF-8 path", relative.display()))?;
        let name = name.replace('\\', "/");
        files.push((name.clone(), mode == FileMode::BlobExecutable));
        update.upsert(name, blob, mode);
    }
    let tree_id = update
        .create_updated(&repo, &base_tree)
        .map_err(|e| e.message().to_string())?;
    let tree = repo
        .find_tree(tree_id)
        .map_err(|e| e.message().to_string())?;
    let existing = repo.find_branch(request.branch, BranchType::Local).ok();
    if let Some(branch) = &existing {
        let tip = branch
            .get()
            .peel_to_commit()
            .map_err(|e| e.message().to_string())?;
        if !request.update {
            return Err(format!(
                "branch `{}` exists; pass --update to regenerate it",
                request.branch
            ));
        }
        if !tip.message().unwrap_or_default().contains(TRAILER) || tip.parent_count() != 1 {
            return Err(format!(
                "branch `{}` has commits that ghfix did not make; it is left as it is",
                request.branch
            ));
        }
        if tip.tree_id() == tree_id && tip.parent_id(0).ok() == Some(head.id()) {
            return Ok(Outcome {
                commit: None,
                root,
                parent: head.id().to_string(),
                files,
            });
        }
    }
    let signature = signature(&repo, request.author)?;
    let id = repo
        .commit(
            None,
            &signature,
            &signature,
            request.message,
            &tree,
            &[&head],
        )
        .map_err(|e| e.message().to_string())?;
    repo.reference(
        &format!("refs/heads/{}", request.branch),
        id,
        existing.is_some(),
        "ghfix: fixes",
    )
    .map_err(|e| format!("branch `{}`: {}", request.branch, e.message()))?;
    Ok(Outcome {
        commit: Some(id.to_string()),
        root,
        parent: head.id().to_string(),
        files,
    })
}

/// The author and committer: `Name <email>` when given, else the repository's `user.name` and
/// `user.email`, else ghfix.
fn signature(repo: &Repository, author: Option<&str>) -> Result<Signature<'static>, String> {
    if let Some(text) = author {
        let (name, email) = text
            .split_once('<')
            .and_then(|(n, e)| Some((n.trim(), e.strip_suffix('>')?.trim())))
            .filter(|(n, e)| !n.is_empty() && e.contains('@'))
            .ok_or_else(|| format!("--author `{text}`: expected `Name <email>`"))?;
        return Signature::now(name, email).map_err(|e| e.message().to_string());
    }
    repo.signature()
        .or_else(|_| Signature::now("ghfix", "ghfix@users.noreply.github.com"))
        .map_err(|e| e.message().to_string())
}

/// Callbacks that authenticate: the ssh agent for ssh remotes, `GH_TOKEN` or `GITHUB_TOKEN`
/// (as `x-access-token`) for https ones; each offered once.
fn credentials<'a>() -> git2::RemoteCallbacks<'a> {
    let token = crate::github::token_from_env();
    let mut callbacks = git2::RemoteCallbacks::new();
    let mut tried = false;
    callbacks.credentials(move |_url, user, allowed| {
        // libgit2 asks again after a refusal: the answer would not change.
        if tried {
            return Err(git2::Error::from_str("the remote refused the credentials"));
        }
        tried = true;
        if allowed.contains(git2::CredentialType::SSH_KEY) {
            return git2::Cred::ssh_key_from_agent(user.unwrap_or("git"));
        }
        match &token {
            Some(t) if allowed.contains(git2::CredentialType::USER_PASS_PLAINTEXT) => {
                git2::Cred::userpass_plaintext("x-access-token", t)
            }
            _ => Err(git2::Error::from_str(
                "no credentials: set GH_TOKEN or GITHUB_TOKEN for https remotes",
            )),
        }
    });
    callbacks
}

/// Clones `url` into `dir`, or, when `dir` holds an earlier clone (ghfix's own folder), fetches
/// and resets its branch to the remote's. Network clones are shallow.
pub fn clone_or_fetch(url: &str, dir: &Path) -> Result<(), String> {
    let local = url.starts_with("file://") || Path::new(url).exists();
    let mut fetch = git2::FetchOptions::new();
    fetch.remote_callbacks(credentials());
    if !local {
        fetch.depth(1);
    }
    let failed = |e: git2::Error| format!("{url}: {}", e.message());
    if !dir.join(".git").exists() {
        git2::build::RepoBuilder::new()
            .fetch_options(fetch)
            .clone(url, dir)
            .map_err(failed)?;
        return Ok(());
    }
    let repo = Repository::open(dir).map_err(failed)?;
    repo.find_remote("origin")
        .and_then(|mut r| r.fetch(&[] as &[&str], Some(&mut fetch), None))
        .map_err(failed)?;
    let head = repo.head().map_err(failed)?;
    let branch = head.shorthand().unwrap_or("HEAD").to_string();
    let target = repo
        .find_reference(&format!("refs/remotes/origin/{branch}"))
        .and_then(|r| r.peel_to_commit())
        .map_err(failed)?;
    repo.reset(target.as_object(), git2::ResetType::Hard, None)
        .map_err(failed)?;
    Ok(())
}

/// Pushes `branch` to `remote` (a remote's name, a path or a URL); `force` replaces what the
/// remote has (a regenerated branch).
pub fn push(root: &Path, remote: &str, branch: &str, force: bool) -> Result<(), String> {
    let repo = Repository::open(root).map_err(|e| e.message().to_string())?;
    let mut remote = repo
        .find_remote(remote)
        .or_else(|_| repo.remote_anonymous(remote))
        .map_err(|e| format!("remote `{remote}`: {}", e.message()))?;
    let url = remote.url().unwrap_or_default().to_string();
    if force {
        foreign_tip(&repo, &mut remote, branch)?;
    }
    let refused = std::cell::RefCell::new(None);
    let mut callbacks = credentials();
    callbacks.push_update_reference(|_, status| {
        if let Some(why) = status {
            *refused.borrow_mut() = Some(why.to_string());
        }
        Ok(())
    });
    let mut options = git2::PushOptions::new();
    options.remote_callbacks(callbacks);
    let plus = if force { "+" } else { "" };
    let refspec = format!("{plus}refs/heads/{branch}:refs/heads/{branch}");
    let result = remote.push(&[refspec.as_str()], Some(&mut options));
    drop(options);
    let why = match (result, refused.into_inner()) {
        (Ok(()), None) => return Ok(()),
        (Ok(()), Some(why)) => why,
        (Err(e), _) => e.message().to_string(),
    };
    Err(explain_push_refusal(&url, &why))
}

/// Refuses to replace `branch` on `remote` when its tip there is not a ghfix commit: someone
/// else pushed to it, and a forced push would throw their work away.
fn foreign_tip(repo: &Repository, remote: &mut git2::Remote, branch: &str) -> Result<(), String> {
    let mut fetch = git2::FetchOptions::new();
    fetch.remote_callbacks(credentials());
    let tracking = format!("refs/ghfix/remote-tip/{branch}");
    let refspec = format!("+refs/heads/{branch}:{tracking}");
    // A branch the remote does not have is fine; so is one it cannot tell about.
    if remote
        .fetch(&[refspec.as_str()], Some(&mut fetch), None)
        .is_err()
    {
        return Ok(());
    }
    let Ok(mut reference) = repo.find_reference(&tracking) else {
        return Ok(());
    };
    let ours = reference
        .peel_to_commit()
        .is_ok_and(|c| c.message().unwrap_or_default().contains(TRAILER));
    let _ = reference.delete();
    if ours {
        Ok(())
    } else {
        Err(format!(
            "branch `{branch}` on the remote has commits that ghfix did not make; it is left as it is"
        ))
    }
}

/// A push refusal in words: GitHub refuses workflow changes from a token without the
/// Workflows permission.
fn explain_push_refusal(url: &str, why: &str) -> String {
    if why.contains("workflow") && (why.contains("refusing") || why.contains("permission")) {
        format!(
            "push to {url} refused: the token may not change files under .github/workflows/ \
             (it lacks the Workflows permission: a GitHub App needs `workflows: write`, a \
             fine-grained token `Workflows: Read and write`, a classic token the `workflow` \
             scope); GitHub said: {why}"
        )
    } else {
        format!("push to {url} refused: {why}")
    }
}

/// The commit `id` as a short hash.
pub fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_workflow_refusal_is_explained() {
        let why = "refusing to allow a GitHub App to create or update workflow \
                   `.github/workflows/ci.yml` without `workflows` permission";
        let text = explain_push_refusal("https://github.com/o/r", why);
        assert!(text.contains("lacks the Workflows permission"), "{text}");
        assert!(
            explain_push_refusal("u", "non-fast-forward").ends_with("refused: non-fast-forward")
        );
    }
}
