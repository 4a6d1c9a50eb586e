//! Positions of paths, from the marks the YAML loader recorded while loading: a cheap way to
//! place findings without building the concrete syntax tree or reading the text again. A mapping
//! entry is placed at its key; a sequence item at its `-`.

use yaml_rust2::Yaml;

use crate::cst::load::Marks;
use crate::cst::{Path, Segment};
use crate::workflow::model::scalar;

/// Nodes in `node`'s subtree, itself included: what a pre-order walk steps over.
fn size(node: &Yaml) -> usize {
    match node {
        Yaml::Array(items) => 1 + items.iter().map(size).sum::<usize>(),
        Yaml::Hash(map) => 1 + map.iter().map(|(k, v)| size(k) + size(v)).sum::<usize>(),
        _ => 1,
    }
}

/// The pre-order index (the root is 0) of the node that places `segments` under `root` (a
/// mapping entry's key, a sequence item's value), with the value the path leads to. `None` for
/// the root itself and for a path that does not exist or crosses a key that is not a scalar.
fn node_index<'y>(root: &'y Yaml, segments: &[Segment]) -> Option<(usize, &'y Yaml)> {
    let (mut node, mut index, mut placed) = (root, 0, None);
    for segment in segments {
        let mut at = index + 1;
        match (node, segment) {
            (Yaml::Hash(map), Segment::Key(k)) => {
                let mut found = None;
                for (key, value) in map {
                    let same = match key {
                        Yaml::String(s) => s == k,
                        other => scalar(other).as_deref() == Some(k.as_str()),
                    };
                    if same {
                        found = Some((value, at, at + size(key)));
                        break;
                    }
                    at += size(key) + size(value);
                }
                let (value, key_at, value_at) = found?;
                (node, index, placed) = (value, value_at, Some(key_at));
            }
            (Yaml::Array(items), Segment::Index(i)) => {
                at += items.iter().take(*i).map(size).sum::<usize>();
                (node, index, placed) = (items.get(*i)?, at, Some(at));
            }
            _ => return None,
        }
    }
    placed.map(|at| (at, node))
}

/// The 1-based line and column of each of `paths` in `text`, whose documents loaded as `docs`
/// with the marks `marks` ([`crate::cst::load::load_marked`]). `None` where a path is missing
/// (or is a document's root).
pub fn locate(
    text: &str,
    docs: &[Yaml],
    marks: &Marks,
    paths: &[Path],
) -> Vec<Option<(usize, usize)>> {
    let lines: Vec<&str> = text.lines().collect();
    paths
        .iter()
        .map(|path| {
            let (index, node) = node_index(docs.get(path.document)?, &path.segments)?;
            let (line, col) = marks.start(path.document, index)?;
            if !matches!(path.segments.last(), Some(Segment::Index(_))) {
                return Some((line, col));
            }
            // A block sequence's item is placed at its `-`, as the syntax tree places it. The
            // loader marks the item's content (a block mapping's only after its first key: its
            // first key's mark tells where it starts), and the `-` is the item's own when only
            // blanks (or a mapping's `{`) stand between the two.
            let first_key = match node {
                Yaml::Hash(map) if !map.is_empty() => marks.start(path.document, index + 1),
                _ => None,
            };
            let on_line = |at| dash_on_line(&lines, at, false);
            let found = first_key
                .and_then(|at| dash_on_line(&lines, at, true))
                .or_else(|| on_line((line, col)))
                .or_else(|| first_key.and_then(|at| dash_above(&lines, at)))
                .or_else(|| dash_above(&lines, (line, col)));
            Some(found.unwrap_or((line, col)))
        })
        .collect()
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches([' ', '\u{feff}']).len()
}

/// The `-` of the item whose content starts at `(line, col)`, on the same line: only blanks (or,
/// for a mapping's first key, the mapping's `{`) between the two.
fn dash_on_line(
    lines: &[&str],
    (line, col): (usize, usize),
    opener: bool,
) -> Option<(usize, usize)> {
    let l = lines.get(line.wrapping_sub(1))?;
    let indent = indent_of(l);
    let own = l[indent..].starts_with('-')
        && indent + 1 < col
        && l[indent + 1..]
            .chars()
            .take(col - indent - 2)
            .all(|c| c.is_whitespace() || (opener && c == '{'));
    own.then_some((line, indent + 1))
}

/// The `-` of the item whose content starts at `(line, col)`, alone on the line before it (or
/// with a block scalar's header: `- |`).
fn dash_above(lines: &[&str], (line, col): (usize, usize)) -> Option<(usize, usize)> {
    let above = lines.get(line.checked_sub(2)?)?;
    let rest = above.trim().strip_prefix('-')?.trim_start();
    let header = rest.is_empty()
        || (rest.starts_with(['|', '>'])
            && rest[1..]
                .chars()
                .all(|c| matches!(c, '+' | '-' | '1'..='9')));
    (header && indent_of(above) < col).then_some((line - 1, indent_of(above) + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cst::load::load_marked;
    use crate::cst::Document;

    fn fast(text: &str, paths: &[Path]) -> Vec<Option<(usize, usize)>> {
        let (docs, marks) = load_marked(text).unwrap();
        locate(text, &docs, &marks, paths)
    }

    /// Every entry and item path under `node`, at most `limit` of them.
    fn all_paths(node: &Yaml, at: Path, out: &mut Vec<Path>, limit: usize) {
        if out.len() >= limit {
            return;
        }
        match node {
            Yaml::Hash(map) => {
                for (k, v) in map {
                    if let Some(k) = scalar(k) {
                        out.push(at.clone().key(k.clone()));
                        all_paths(v, at.clone().key(k), out, limit);
                    }
                }
            }
            Yaml::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    let mut p = at.clone();
                    p.segments.push(Segment::Index(i));
                    out.push(p.clone());
                    all_paths(v, p, out, limit);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn agrees_with_the_syntax_tree_on_keys() {
        let text = "# c\non: push\njobs:\n  build:\n    permissions: {contents: read}\n    steps:\n      - run: x\n        with: {a: [1, {b: 2}]}\n  \"q.k\": {}\n";
        let doc = Document::parse(text.to_string()).unwrap();
        let paths: Vec<Path> = [
            "on",
            "jobs",
            "jobs.build",
            "jobs.build.permissions",
            "jobs.build.steps[0].with",
            "jobs.build.steps[0]",
            "jobs.\"q.k\"",
        ]
        .iter()
        .map(|p| Path::parse(p).unwrap())
        .collect();
        for (p, f) in paths.iter().zip(fast(text, &paths)) {
            assert_eq!(f, Some(crate::rules::load::locate(&doc, p)), "{p}");
        }
        assert_eq!(fast(text, &[Path::parse("nope").unwrap()]), vec![None]);
    }

    #[test]
    fn nodes_after_an_alias_and_in_a_second_document_are_placed() {
        let text = "a: &x\n  b: [1, 2]\n  c: 3\nd: *x\ne:\n  - f\n---\ng: 1\nh: [2]\n";
        let paths: Vec<Path> = ["e", "e[0]", "d", "@1:h", "@1:h[0]", "d.b", "@1:zz"]
            .iter()
            .map(|p| Path::parse(p).unwrap())
            .collect();
        assert_eq!(
            fast(text, &paths),
            vec![
                Some((5, 1)),
                Some((6, 3)),
                Some((4, 1)),
                Some((9, 1)),
                Some((9, 5)),
                // Inside what an alias copied in: the alias's place.
                Some((4, 4)),
                None
            ]
        );
    }

    #[test]
    fn items_are_placed_at_their_own_dash() {
        let text = "a:\n  -\n    - x\n  - |\n    y\n  - { k: 1 }\n  -\n    name: z\n  - [ {b: 1} ]\n  - {\n      c: 2,\n    }\n";
        let doc = Document::parse(text.to_string()).unwrap();
        let paths: Vec<Path> = [
            "a[0]", "a[0][0]", "a[1]", "a[2]", "a[3]", "a[4]", "a[4][0]", "a[5]",
        ]
        .iter()
        .map(|p| Path::parse(p).unwrap())
        .collect();
        for (p, f) in paths.iter().zip(fast(text, &paths)) {
            assert_eq!(f, Some(crate::rules::load::locate(&doc, p)), "{p}");
        }
    }

    #[test]
    fn agrees_with_the_syntax_tree_on_every_path_of_the_corpora() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let entries = ["../shared/corpus/workflows", "../shared/corpus-2/workflows"]
            .into_iter()
            .flat_map(|dir| {
                std::fs::read_dir(root.join(dir))
                    .into_iter()
                    .flatten()
                    .flatten()
            });
        let mut compared = 0;
        for entry in entries {
            let Ok(text) = std::fs::read_to_string(entry.path()) else {
                continue;
            };
            let (Ok(doc), Ok((docs, marks))) = (Document::parse(text.clone()), load_marked(&text))
            else {
                continue;
            };
            let mut paths = Vec::new();
            for (n, root) in docs.iter().enumerate() {
                let at = Path {
                    document: n,
                    segments: Vec::new(),
                };
                all_paths(root, at, &mut paths, 200);
            }
            if doc.has_aliases() {
                continue;
            }
            for (p, got) in paths.iter().zip(locate(&text, &docs, &marks, &paths)) {
                assert_eq!(
                    got,
                    Some(crate::rules::load::locate(&doc, p)),
                    "{}: {p}",
                    entry.path().display()
                );
                compared += 1;
            }
        }
        assert!(compared > 100_000, "{compared}");
    }
}
