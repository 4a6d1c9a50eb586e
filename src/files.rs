//! Reading and atomically writing the files ghfix edits.

use std::fs;
use std::io::Write;
use std::path::Path;

/// Writes `text` to `path` atomically: a temporary file in the same folder, given the original's
/// permissions, flushed, then renamed over the original. A failure leaves the original untouched.
pub fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let permissions = fs::metadata(path).ok().map(|m| m.permissions());
    let mut tmp = tempfile::Builder::new()
        .prefix(".ghfix-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().sync_all()?;
    if let Some(permissions) = permissions {
        fs::set_permissions(tmp.path(), permissions)?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Reads a file as UTF-8 text, with the path in the error.
pub fn read_text(path: &Path) -> Result<String, String> {
    let bytes = fs::read(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    String::from_utf8(bytes).map_err(|e| {
        let upto = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = upto.iter().filter(|b| **b == b'\n').count() + 1;
        let col = upto.len() - upto.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1) + 1;
        format!("{}:{line}:{col}: not UTF-8 text", path.display())
    })
}

/// Every `.yml`/`.yaml` file under `dir` (recursively) whose stem `keep` accepts, sorted. A
/// missing or unreadable folder yields nothing.
pub fn yaml_files(dir: &Path, keep: &dyn Fn(&str) -> bool) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yml" || x == "yaml")
                && p.file_stem().and_then(|s| s.to_str()).is_some_and(keep)
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
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

    #[test]
    fn non_utf8_is_reported_with_position() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("w.yml");
        fs::write(&file, b"a: 1\nb: \xff\n").unwrap();
        let err = read_text(&file).unwrap_err();
        assert!(err.ends_with(":2:4: not UTF-8 text"), "{err}");
    }
}
