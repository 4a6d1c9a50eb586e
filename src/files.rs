//! The file system, carefully: finding workflow files without leaving the repository or
//! following symlink loops, reading only regular files, and writing verified text atomically
//! while keeping the file's mode, owner and hard links.

use std::collections::HashSet;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::cst::load::MAX_BYTES;

/// A file to process: the path to show, and the real path (symlinks resolved) to read and write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The path as found (what reports show).
    pub shown: PathBuf,
    /// The file's real path, inside the repository.
    pub real: PathBuf,
}

/// What a walk found: the files to process once each, and those skipped with the reason.
#[derive(Debug, Default)]
pub struct Found {
    /// Regular files inside the boundary, each real file once, sorted by shown path.
    pub files: Vec<Target>,
    /// `(path, reason)` of entries that will not be read.
    pub skipped: Vec<(PathBuf, String)>,
    /// Real paths of the files taken, so that each is taken once.
    seen: HashSet<PathBuf>,
    /// Real paths of the folders walked, so that symlink loops end.
    visited: HashSet<PathBuf>,
}

/// The folder a path may not leave: the repository holding `path` (the parent of the nearest
/// `.github` above it), else `path` itself when it is a folder, else its folder; resolved.
pub fn boundary(path: &Path) -> std::io::Result<PathBuf> {
    let abs = std::path::absolute(path)?;
    let github = abs
        .ancestors()
        .find(|a| a.file_name().is_some_and(|n| n == ".github"))
        .and_then(Path::parent);
    let base = match github {
        Some(repo) => repo.to_path_buf(),
        None if abs.is_dir() => abs,
        None => abs.parent().map_or(abs.clone(), Path::to_path_buf),
    };
    base.canonicalize()
}

impl Found {
    /// Adds the file `shown` when it is a regular file inside `root` not seen before.
    pub fn add_file(&mut self, shown: PathBuf, root: &Path) {
        match resolve(&shown, root) {
            Ok(real) => {
                if !fs::metadata(&real).is_ok_and(|m| m.is_file()) {
                    self.skipped.push((
                        shown,
                        "not a regular file (FIFO, socket or device); skipped".into(),
                    ));
                } else if self.seen.insert(real.clone()) {
                    self.files.push(Target { shown, real });
                }
            }
            Err(why) => self.skipped.push((shown, why)),
        }
    }

    /// Adds every `.yml`/`.yaml` file under `dir` whose stem `keep` accepts. Symlinked folders
    /// are followed once, and only inside `root`.
    pub fn add_dir(&mut self, dir: &Path, root: &Path, keep: &dyn Fn(&str) -> bool) {
        if !dir.exists() {
            return;
        }
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            let real = match resolve(&d, root) {
                Ok(real) => real,
                Err(why) => {
                    self.skipped.push((d, why));
                    continue;
                }
            };
            if !self.visited.insert(real) {
                continue;
            }
            let Ok(entries) = fs::read_dir(&d) else {
                continue;
            };
            let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
            entries.sort();
            for p in entries {
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "yml" || x == "yaml")
                    && p.file_stem().and_then(|s| s.to_str()).is_some_and(keep)
                {
                    self.add_file(p, root);
                }
            }
        }
    }

    /// Sorts the files by shown path.
    pub fn finish(mut self) -> Found {
        self.files.sort_by(|a, b| a.shown.cmp(&b.shown));
        self
    }
}

/// The real path of `path`, when it lies inside `root` (a real path).
pub fn resolve(path: &Path, root: &Path) -> Result<PathBuf, String> {
    let real = path.canonicalize().map_err(|e| describe(&e))?;
    if real.starts_with(root) {
        Ok(real)
    } else {
        Err(format!(
            "resolves to {}, outside the repository {}; skipped",
            real.display(),
            root.display()
        ))
    }
}

/// An I/O error in a few words (`does not exist`, `permission denied`, `a symlink loop` ...).
pub fn describe(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "does not exist".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ if e.raw_os_error() == Some(40) => "a symlink loop".into(),
        _ => e.to_string(),
    }
}

/// Every `.yml`/`.yaml` file under `dir` (recursively, each real file once, symlinked folders
/// followed only inside `dir`) whose stem `keep` accepts, sorted. A missing folder yields nothing.
pub fn yaml_files(dir: &Path, keep: &dyn Fn(&str) -> bool) -> Vec<PathBuf> {
    let Ok(root) = dir.canonicalize() else {
        return Vec::new();
    };
    let mut found = Found::default();
    found.add_dir(dir, &root, keep);
    found.finish().files.into_iter().map(|t| t.shown).collect()
}

/// Reads a regular file as UTF-8 text; errors name it as `shown`. Never blocks on a FIFO and
/// refuses files over [`MAX_BYTES`].
pub fn read_text(path: &Path, shown: &Path) -> Result<String, String> {
    let shown_path = shown;
    let shown = shown.display();
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Opening a FIFO for reading would wait for a writer.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let mut file = options
        .open(path)
        .map_err(|e| format!("{shown}: cannot read: {}", describe(&e)))?;
    let meta = file
        .metadata()
        .map_err(|e| format!("{shown}: cannot read: {e}"))?;
    if !meta.is_file() {
        return Err(format!(
            "{shown}: not a regular file (FIFO, socket, device or folder); not read"
        ));
    }
    if meta.len() > MAX_BYTES {
        return Err(format!(
            "{shown}: too large: {} bytes, and ghfix reads at most {MAX_BYTES}",
            meta.len()
        ));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    Read::by_ref(&mut file)
        .take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{shown}: cannot read: {e}"))?;
    decode(shown_path, bytes)
}

fn decode(shown: &Path, bytes: Vec<u8>) -> Result<String, String> {
    let shown = shown.display();
    if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
        return Err(format!(
            "{shown}:1:1: UTF-16 text is not supported (convert the file to UTF-8)"
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let upto = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = upto.iter().filter(|b| **b == b'\n').count() + 1;
        let col = upto.len() - upto.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1) + 1;
        format!("{shown}:{line}:{col}: not UTF-8 text")
    })
}

/// Replaces the contents of `path` (a real path, symlinks resolved) with `text`.
///
/// A read-only file is refused. Otherwise the text goes to a temporary file in the same folder,
/// given the original's mode and owner, flushed, then renamed over the original: a failure
/// leaves the original untouched. When the rename would split a hard link or change the owner
/// (a file of another user), the file is rewritten in place instead; should that fail, the
/// complete temporary copy is kept and the error names it.
pub fn write_atomic(path: &Path, text: &str) -> Result<(), String> {
    let shown = path.display();
    let fail = |e: std::io::Error| format!("{shown}: cannot write: {e}");
    let meta = fs::metadata(path).map_err(fail)?;
    #[cfg(unix)]
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    #[cfg(unix)]
    if meta.permissions().mode() & 0o222 == 0 {
        return Err(format!(
            "{shown}: read-only (mode {:o}); not changed",
            meta.permissions().mode() & 0o7777
        ));
    }
    #[cfg(not(unix))]
    if meta.permissions().readonly() {
        return Err(format!("{shown}: read-only; not changed"));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".ghfix-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(fail)?;
    tmp.write_all(text.as_bytes()).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    fs::set_permissions(tmp.path(), meta.permissions()).map_err(fail)?;
    #[cfg(unix)]
    {
        let keeps_owner =
            std::os::unix::fs::fchown(tmp.as_file(), Some(meta.uid()), Some(meta.gid())).is_ok();
        if meta.nlink() > 1 || !keeps_owner {
            return rewrite_in_place(path, text).map_err(|e| {
                // Keep the complete copy, so that an interrupted rewrite loses nothing.
                match tmp.keep() {
                    Ok((_, copy)) => format!(
                        "{shown}: cannot write: {e}; the fixed text is in {}",
                        copy.display()
                    ),
                    Err(_) => fail(e),
                }
            });
        }
    }
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

/// Writes `text` into the existing file (same inode: hard links and owner stay).
fn rewrite_in_place(path: &Path, text: &str) -> std::io::Result<()> {
    let mut file = fs::OpenOptions::new().write(true).open(path)?;
    file.write_all(text.as_bytes())?;
    file.set_len(text.len() as u64)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_keeps_mode_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("w.yml");
        fs::write(&file, "a: 1\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&file, fs::Permissions::from_mode(0o640)).unwrap();
        }
        write_atomic(&file, "a: 2\n").unwrap();
        assert_eq!(fs::read_to_string(&file).unwrap(), "a: 2\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&file).unwrap().permissions().mode() & 0o777,
                0o640
            );
        }
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn read_only_files_are_refused_and_hard_links_kept() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("w.yml");
        fs::write(&file, "a: 1\n").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o444)).unwrap();
        let err = write_atomic(&file, "a: 2\n").unwrap_err();
        assert!(err.contains("read-only (mode 444)"), "{err}");
        assert_eq!(fs::read_to_string(&file).unwrap(), "a: 1\n");
        fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
        let link = dir.path().join("link.yml");
        fs::hard_link(&file, &link).unwrap();
        write_atomic(&file, "a: 3\n").unwrap();
        assert_eq!(fs::read_to_string(&link).unwrap(), "a: 3\n");
        assert_eq!(fs::metadata(&file).unwrap().nlink(), 2);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn non_utf8_is_reported_with_position() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("w.yml");
        fs::write(&file, b"a: 1\nb: \xff\n").unwrap();
        let err = read_text(&file, &file).unwrap_err();
        assert!(err.ends_with(":2:4: not UTF-8 text"), "{err}");
        fs::write(&file, b"\xff\xfea\x00:\x00").unwrap();
        assert!(read_text(&file, &file).unwrap_err().contains("UTF-16"));
    }

    #[cfg(unix)]
    #[test]
    fn walks_stay_inside_and_visit_each_file_once() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let wf = dir.path().join("repo/.github/workflows");
        fs::create_dir_all(&wf).unwrap();
        fs::write(wf.join("a.yml"), "a: 1\n").unwrap();
        fs::write(outside.path().join("x.yml"), "a: 1\n").unwrap();
        std::os::unix::fs::symlink(wf.join("a.yml"), wf.join("b.yml")).unwrap();
        std::os::unix::fs::symlink(&wf, wf.join("loop")).unwrap();
        std::os::unix::fs::symlink(outside.path(), wf.join("out")).unwrap();
        let root = boundary(&dir.path().join("repo")).unwrap();
        let mut found = Found::default();
        found.add_dir(&wf, &root, &|_| true);
        let found = found.finish();
        assert_eq!(found.files.len(), 1, "{found:?}");
        assert_eq!(found.skipped.len(), 1, "{found:?}");
        assert!(found.skipped[0].1.contains("outside the repository"));
    }
}
