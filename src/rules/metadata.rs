//! Action metadata (`action.yml` at HEAD and at the newest tag of each stored major version,
//! laid out as in `../shared/actions-meta/`): the generator of the index the knowledge base ships
//! (`rules/knowledge/action-index.yml`), and the knowledge checker, which compares every action
//! entry with the action's own files: the token input must exist, its default must be what the
//! entry says, and an action whose metadata can hand it the token must say how it gets it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::rules::knowledge::{IndexRecord, Knowledge, Majors};

/// Every `action.yml` record under `dir`, by action name (`owner/repo[/path]`, as the folders
/// spell it), then version (`head`, `v4`).
pub fn read_meta(dir: &Path) -> BTreeMap<String, BTreeMap<String, IndexRecord>> {
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn walk(root: &Path, at: &Path, out: &mut BTreeMap<String, BTreeMap<String, IndexRecord>>) {
    let Ok(entries) = std::fs::read_dir(at) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        if path.is_dir() {
            walk(root, &path, out);
            continue;
        }
        let file = e.file_name().to_string_lossy().into_owned();
        let version = if file == "action.yml" {
            "head".to_string()
        } else if let Some(v) = file
            .strip_prefix("action@")
            .and_then(|v| v.strip_suffix(".yml"))
        {
            v.to_string()
        } else {
            continue;
        };
        let Some(record) = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| IndexRecord::read(&t))
        else {
            continue;
        };
        let name = at
            .strip_prefix(root)
            .unwrap_or(at)
            .to_string_lossy()
            .into_owned();
        out.entry(name).or_default().insert(version, record);
    }
}

/// Whether an entry's `source` names the commit it was read at (`owner/repo@<40 hex>`).
fn read_at_commit(source: Option<&str>) -> bool {
    source
        .and_then(|s| s.rsplit_once('@'))
        .is_some_and(|(_, c)| crate::rules::knowledge::is_commit(c))
}

/// The mismatches between the knowledge base and the metadata in `meta` (one line each, naming
/// the action, the version and what differs). Entries for actions `meta` lacks, or holds only
/// at HEAD while the entry names majors, are not checked; nor are entries for a major `meta`
/// does not store that name the commit they were read at.
pub fn mismatches(
    kb: &Knowledge,
    meta: &BTreeMap<String, BTreeMap<String, IndexRecord>>,
) -> Vec<String> {
    let meta: BTreeMap<String, &BTreeMap<String, IndexRecord>> =
        meta.iter().map(|(k, v)| (k.to_lowercase(), v)).collect();
    let mut out = Vec::new();
    for (key, facts) in &kb.actions {
        let name = key.split('@').next().unwrap_or(key);
        let Some(versions) = meta.get(name) else {
            continue;
        };
        // The versions the entry speaks for: its majors, else every stored one.
        let held: Vec<(&String, &IndexRecord)> = versions
            .iter()
            .filter(|(v, _)| match &facts.majors {
                Some(Majors::Only(list)) => v
                    .strip_prefix('v')
                    .and_then(|m| m.parse::<u32>().ok())
                    .is_some_and(|m| list.contains(&m)),
                _ => true,
            })
            .collect();
        // Metadata of HEAD only (a stored copy without tags) cannot speak for a major version;
        // nor can the stored majors for one read at its own tag (`source` names the commit).
        let tagged = versions.keys().any(|v| v != "head");
        if held.is_empty() && tagged && !read_at_commit(facts.source.as_deref()) {
            out.push(format!(
                "{key}: none of the entry's majors is stored ({})",
                versions.keys().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        for (version, record) in held {
            let at = format!("{name}@{version}");
            match &facts.token {
                Some(t) => {
                    if let Some(input) = &t.input {
                        if !record.inputs.iter().any(|i| i == input) {
                            out.push(format!("{at}: no input `{input}`"));
                            continue;
                        }
                        let defaults = record.token_inputs.contains(input);
                        if defaults && t.default != "github.token" {
                            out.push(format!(
                                "{at}: input `{input}` defaults to github.token, the entry says `{}`",
                                t.default
                            ));
                        } else if !defaults && t.default == "github.token" && !record.reads_token {
                            // (An action whose `runs:` hands itself github.token when the input
                            // is empty defaults to it all the same.)
                            out.push(format!(
                                "{at}: input `{input}` does not default to github.token"
                            ));
                        }
                    }
                    if t.input.is_none()
                        && t.env.is_none()
                        && t.default == "github.token"
                        && !facts.needs.is_empty()
                    {
                        // Takes the token itself for what it needs: its metadata must show how.
                        if record.token_inputs.is_empty() && !record.reads_token {
                            out.push(format!(
                                "{at}: the entry says it always uses github.token, its action.yml never refers to it"
                            ));
                        }
                    }
                }
                None => {
                    if let Some(input) = record.token_inputs.first() {
                        out.push(format!(
                            "{at}: input `{input}` defaults to github.token, the entry declares no token"
                        ));
                    } else if record.reads_token {
                        out.push(format!(
                            "{at}: its action.yml refers to the token, the entry declares no token"
                        ));
                    }
                }
            }
        }
    }
    out
}

/// How the shipped index of `../shared/actions-meta` is made (the header of `action-index.yml`).
pub const SHARED_INDEX: &str = "\
# Token-related metadata of the actions in shared/actions-meta (action.yml at HEAD and at the
# newest tag of each stored major version). Generated; do not edit:
#   cargo run --example action_index -- ../shared/actions-meta > rules/knowledge/action-index.yml
";

/// How the shipped index of actions read from their own repositories is made (the header of
/// `action-index-fetched.yml`); actions the shared index holds are left out of it.
pub const FETCHED_INDEX: &str = "\
# Token-related metadata of the most used actions that shared/actions-meta lacks, read from each
# action's own repository (action.yml at HEAD and at the newest tag of its three latest majors).
# Generated; do not edit:
#   scripts/action-meta.sh scripts/action-meta.list META_DIR
#   cargo run --example action_index -- --fetched META_DIR > rules/knowledge/action-index-fetched.yml
";

/// The text of an index file for the metadata under `dir` (`SOURCES.tsv` there names the commit
/// each action was read at), starting with `header` (how it was made); actions in `skip` are
/// left out.
pub fn index_text(dir: &Path, header: &str, skip: &dyn Fn(&str) -> bool) -> String {
    let commits: BTreeMap<String, String> = std::fs::read_to_string(dir.join("SOURCES.tsv"))
        .unwrap_or_default()
        .lines()
        .skip(1)
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            Some((
                cols.first()?.to_lowercase(),
                format!("{}@{}", cols.get(1)?, cols.get(2)?),
            ))
        })
        .collect();
    let mut out = format!(
        "{header}\
         # token-inputs: inputs whose default is the job's token; reads-token: the runs: section refers\n\
         # to the token; uses: actions a composite action runs. `all` when every version agrees.\n\
         actions:\n",
    );
    for (name, versions) in read_meta(dir) {
        if skip(&name) {
            continue;
        }
        let versions: BTreeMap<String, IndexRecord> = versions
            .into_iter()
            .map(|(v, r)| (v, r.indexed()))
            .collect();
        let _ = writeln!(out, "  {}:", quoted(&name));
        if let Some(source) = commits.get(&name.to_lowercase()) {
            let _ = writeln!(out, "    source: {}", quoted(source));
        }
        let mut records = versions.values();
        let first = records.next();
        if let Some(first) = first.filter(|f| records.all(|r| r == *f)) {
            let _ = writeln!(out, "    all: {}", flow(first));
        } else {
            for (version, r) in &versions {
                let _ = writeln!(out, "    {version}: {}", flow(r));
            }
        }
    }
    out
}

/// An index record as a one-line flow mapping.
fn flow(r: &IndexRecord) -> String {
    let list = |v: &[String]| v.iter().map(|s| quoted(s)).collect::<Vec<_>>().join(", ");
    format!(
        "{{ token-inputs: [{}], reads-token: {}, uses: [{}] }}",
        list(&r.token_inputs),
        r.reads_token,
        list(&r.uses)
    )
}

/// A double-quoted YAML scalar (JSON string syntax is valid YAML).
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// The text of `rules/knowledge/action-commits.txt`: for each repository of the `COMMITS.tsv`
/// files in `dirs` (as `scripts/action-meta.sh` writes them) and each major version, the commits
/// its version tags name (12 hex digits each), so that a `uses: owner/repo@<sha>` pin without a
/// version comment still tells its major version.
pub fn commits_text(dirs: &[&Path]) -> String {
    let tables: Vec<String> = dirs
        .iter()
        .map(|d| std::fs::read_to_string(d.join("COMMITS.tsv")).unwrap_or_default())
        .collect();
    let mut majors: BTreeMap<(String, u32), std::collections::BTreeSet<String>> = BTreeMap::new();
    for line in tables.iter().flat_map(|t| t.lines().skip(1)) {
        let mut cols = line.split('\t');
        let (Some(repo), Some(tag), Some(commit)) = (cols.next(), cols.next(), cols.next()) else {
            continue;
        };
        let digits: String = tag
            .trim_start_matches('v')
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let (Ok(major), Some(short)) = (digits.parse::<u32>(), commit.get(..12)) else {
            continue;
        };
        majors
            .entry((repo.to_lowercase(), major))
            .or_default()
            .insert(short.to_string());
    }
    let mut out = String::from(
        "# The commits that the version tags of each repository name, by major version (12 hex\n\
         # digits): a `uses:` pinned to one of them without a version comment is that major.\n\
         # Generated; do not edit (see scripts/action-meta.sh):\n\
         #   cargo run --example action_index -- --commits DIR... > rules/knowledge/action-commits.txt\n",
    );
    for ((repo, major), commits) in majors {
        let list: Vec<&str> = commits.iter().map(String::as_str).collect();
        let _ = writeln!(out, "{repo} {major} {}", list.join(" "));
    }
    out
}
