//! Generates `rules/knowledge/action-index.yml`, the token-related metadata of every action in a
//! folder laid out like `../shared/actions-meta/` (`<owner>/<repo>[/<path>]/action.yml`, the
//! metadata at HEAD, and `action@v<N>.yml`, at the newest tag of a major version; `SOURCES.tsv`
//! names the commit read). For each version: the inputs defaulting to the job's token, whether the `runs:` section refers to the token, and the actions a composite action runs.
//! Usage: cargo run --example action_index -- ../shared/actions-meta > rules/knowledge/action-index.yml

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use ghfix::rules::knowledge::IndexRecord;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .expect("usage: action_index ACTIONS_META_DIR");
    print!("{}", index(Path::new(&dir)));
}

/// The index text for the actions under `dir`.
fn index(dir: &Path) -> String {
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
    let mut actions = BTreeMap::new();
    walk(dir, dir, &mut actions);
    let mut out = String::from(
        "# Token-related metadata of the actions in shared/actions-meta (action.yml at HEAD and at the\n\
         # newest tag of each stored major version). Generated; do not edit:\n\
         #   cargo run --example action_index -- ../shared/actions-meta > rules/knowledge/action-index.yml\n\
         # token-inputs: inputs whose default is the job's token; reads-token: the runs: section refers\n\
         # to the token; uses: actions a composite action runs. `all` when every version agrees.\n\
         actions:\n",
    );
    for (name, versions) in &actions {
        let _ = writeln!(out, "  {}:", json(name));
        if let Some(source) = commits.get(&name.to_lowercase()) {
            let _ = writeln!(out, "    source: {}", json(source));
        }
        let first = versions.values().next();
        if versions.values().all(|r| Some(r) == first) {
            let _ = writeln!(out, "    all: {}", record(first.expect("one version")));
        } else {
            for (version, r) in versions {
                let _ = writeln!(out, "    {version}: {}", record(r));
            }
        }
    }
    out
}

/// Collects `action.yml` and `action@vN.yml` records below `at`, keyed by action and version.
fn walk(root: &Path, at: &Path, out: &mut BTreeMap<String, BTreeMap<String, IndexRecord>>) {
    let Ok(entries) = std::fs::read_dir(at) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        if path.is_dir() {
            walk(root, &path, out);
            continue;
        }
        let file = e.file_name().to_string_lossy().into_owned();
        let version = match file.as_str() {
            "action.yml" => "head".to_string(),
            f => match f
                .strip_prefix("action@")
                .and_then(|v| v.strip_suffix(".yml"))
            {
                Some(v) => v.to_string(),
                None => continue,
            },
        };
        let name = at
            .strip_prefix(root)
            .expect("below root")
            .to_string_lossy()
            .into_owned();
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        if let Some(r) = IndexRecord::read(&text) {
            out.entry(name).or_default().insert(version, r.indexed());
        }
    }
}

fn record(r: &IndexRecord) -> String {
    let list = |v: &[String]| v.iter().map(|s| json(s)).collect::<Vec<_>>().join(", ");
    format!(
        "{{ token-inputs: [{}], reads-token: {}, uses: [{}] }}",
        list(&r.token_inputs),
        r.reads_token,
        list(&r.uses)
    )
}

/// A double-quoted YAML scalar (JSON string syntax is valid YAML).
fn json(s: &str) -> String {
    serde_json::to_string(s).expect("string")
}
