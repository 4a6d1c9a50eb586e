//! Verification of edits: the text after a batch must mean exactly what the batch declared.
//!
//! Meaning is read with yaml-rust2 (comments and key order ignored, aliases expanded). The
//! expected meaning is computed by applying each operation to the meaning before the batch; the
//! batch is accepted only when that equals the meaning of the edited text.

use tree_sitter::{Node, Tree};
use yaml_rust2::Yaml;

use crate::cst::document::ParseError;
use crate::cst::edit::Op;
use crate::cst::load::load_prechecked;
use crate::cst::path::{Path, Segment};
use crate::cst::Value;

/// Loads every document of `text`, which has passed [`crate::cst::load::precheck`] (a leading
/// BOM is ignored).
///
/// yaml-rust2 insists that the lines of a multi-line flow collection in block context are
/// indented deeper than the block around it, where GitHub's reader and libyaml do not (a closing
/// `]` under its `- [`). When the first load fails, the loader is given a copy in which every
/// continuation line of such a collection is indented further: white space at the start of lines
/// inside flow collections carries no meaning, so the copy means what the text means.
pub fn load(text: &str, tree: &Tree) -> Result<Vec<Yaml>, ParseError> {
    let first = match load_prechecked(text) {
        Ok(docs) => return Ok(docs),
        Err(e) => e,
    };
    let mut starts = Vec::new();
    flow_continuation_lines(text, tree.root_node(), &mut starts);
    if starts.is_empty() {
        return Err(first);
    }
    let mut copy = String::with_capacity(text.len() + starts.len() * 16);
    let mut last = 0;
    for start in starts {
        copy.push_str(&text[last..start]);
        copy.push_str("                ");
        last = start;
    }
    copy.push_str(&text[last..]);
    load_prechecked(&copy).map_err(|_| first)
}

/// Byte offsets of the line starts inside outermost multi-line flow collections in block context.
fn flow_continuation_lines(text: &str, node: Node, out: &mut Vec<usize>) {
    if matches!(node.kind(), "flow_mapping" | "flow_sequence") {
        let range = node.byte_range();
        out.extend(
            text[range.clone()]
                .match_indices('\n')
                .map(|(i, _)| range.start + i + 1),
        );
        return;
    }
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        flow_continuation_lines(text, child, out);
    }
}

/// Converts a new value to the loader's representation.
pub fn to_yaml(value: &Value) -> Yaml {
    match value {
        Value::Null => Yaml::Null,
        Value::Bool(b) => Yaml::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Yaml::Integer(i),
            None => Yaml::Real(n.to_string()),
        },
        Value::String(s) => Yaml::String(s.clone()),
        Value::Array(items) => Yaml::Array(items.iter().map(to_yaml).collect()),
        Value::Object(map) => Yaml::Hash(
            map.iter()
                .map(|(k, v)| (Yaml::String(k.clone()), to_yaml(v)))
                .collect(),
        ),
    }
}

/// Equality that ignores the order of mapping keys.
pub fn same(a: &Yaml, b: &Yaml) -> bool {
    match (a, b) {
        (Yaml::Hash(x), Yaml::Hash(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.iter().any(|(k2, v2)| same(k, k2) && same(v, v2)))
        }
        (Yaml::Array(x), Yaml::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Yaml::Real(x), Yaml::Real(y)) => {
            x == y || matches!((x.parse::<f64>(), y.parse::<f64>()), (Ok(p), Ok(q)) if p == q)
        }
        _ => a == b,
    }
}

/// Where two values first differ, as a path, for messages.
pub fn first_difference(a: &Yaml, b: &Yaml, at: &mut Path) -> bool {
    match (a, b) {
        (Yaml::Hash(x), Yaml::Hash(y)) => {
            for (k, v) in x {
                let key = key_text(k).unwrap_or_default();
                match y.iter().find(|(k2, _)| same(k, k2)) {
                    Some((_, v2)) => {
                        at.segments.push(Segment::Key(key));
                        if first_difference(v, v2, at) {
                            return true;
                        }
                        at.segments.pop();
                    }
                    None => {
                        at.segments.push(Segment::Key(key));
                        return true;
                    }
                }
            }
            if let Some((k, _)) = y.iter().find(|(k, _)| !x.contains_key(k)) {
                at.segments
                    .push(Segment::Key(key_text(k).unwrap_or_default()));
                return true;
            }
            false
        }
        (Yaml::Array(x), Yaml::Array(y)) => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                at.segments.push(Segment::Index(i));
                if first_difference(p, q, at) {
                    return true;
                }
                at.segments.pop();
            }
            if x.len() != y.len() {
                at.segments.push(Segment::Index(x.len().min(y.len())));
                return true;
            }
            false
        }
        _ => !same(a, b),
    }
}

/// The text a scalar key reads as in a path.
pub fn key_text(key: &Yaml) -> Option<String> {
    match key {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        Yaml::Null => Some("null".to_string()),
        _ => None,
    }
}

/// Why the declared meaning of an operation cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ExpectError(pub String);

/// Applies the meaning of `op` to `docs`.
pub fn expect(docs: &mut [Yaml], op: &Op) -> Result<(), ExpectError> {
    let path = op.path();
    let root = docs
        .get_mut(path.document)
        .ok_or_else(|| ExpectError(format!("no document {}", path.document)))?;
    match op {
        Op::Set { value, .. } => {
            *slot(root, path, true)? = to_yaml(value);
        }
        Op::Append { value, .. } => {
            let target = slot(root, path, true)?;
            if matches!(target, Yaml::Null | Yaml::BadValue) {
                *target = Yaml::Array(Vec::new());
            }
            match target {
                Yaml::Array(items) => items.push(to_yaml(value)),
                _ => return Err(ExpectError(format!("`{path}` is not a sequence"))),
            }
        }
        Op::Insert { value, .. } => {
            let (parent, last) = path
                .split_last()
                .ok_or_else(|| ExpectError("cannot insert a document".into()))?;
            match (slot(root, &parent, false)?, last) {
                (Yaml::Array(a), Segment::Index(i)) if *i <= a.len() => {
                    a.insert(*i, to_yaml(value))
                }
                _ => return Err(ExpectError(format!("`{path}` cannot be inserted"))),
            }
        }
        Op::Remove { .. } => {
            let (parent, last) = path
                .split_last()
                .ok_or_else(|| ExpectError("cannot remove a document".into()))?;
            let container = slot(root, &parent, false)?;
            let removed = match (container, last) {
                (Yaml::Hash(h), Segment::Key(k)) => {
                    let key = h
                        .keys()
                        .find(|x| key_text(x).as_deref() == Some(k))
                        .cloned();
                    key.and_then(|key| h.remove(&key))
                }
                (Yaml::Array(a), Segment::Index(i)) if *i < a.len() => Some(a.remove(*i)),
                _ => None,
            };
            if removed.is_none() {
                return Err(ExpectError(format!("`{path}` does not exist")));
            }
        }
        Op::Rewrite { from, to, .. } => match slot(root, path, false)? {
            Yaml::String(s) if s.contains(from.as_str()) => *s = s.replace(from.as_str(), to),
            _ => {
                return Err(ExpectError(format!(
                    "`{path}` is not a string containing `{from}`"
                )))
            }
        },
        Op::Comment { .. } => {}
        Op::RenameKey { to, .. } => {
            let (parent, last) = path
                .split_last()
                .ok_or_else(|| ExpectError("cannot rename a document".into()))?;
            let Segment::Key(from) = last else {
                return Err(ExpectError(format!("`{path}` is not a mapping entry")));
            };
            let Yaml::Hash(h) = slot(root, &parent, false)? else {
                return Err(ExpectError(format!("`{parent}` is not a mapping")));
            };
            if h.keys()
                .any(|k| key_text(k).as_deref() == Some(to.as_str()))
            {
                return Err(ExpectError(format!("`{parent}` already has `{to}`")));
            }
            if !h
                .keys()
                .any(|k| key_text(k).as_deref() == Some(from.as_str()))
            {
                return Err(ExpectError(format!("`{path}` does not exist")));
            }
            // Same entries, same order, one key renamed.
            *h = std::mem::take(h)
                .into_iter()
                .map(|(k, v)| {
                    if key_text(&k).as_deref() == Some(from.as_str()) {
                        (Yaml::String(to.clone()), v)
                    } else {
                        (k, v)
                    }
                })
                .collect();
        }
    }
    Ok(())
}

/// The value at `path`, created (as mappings) where missing when `create` is set.
fn slot<'y>(
    mut node: &'y mut Yaml,
    path: &Path,
    create: bool,
) -> Result<&'y mut Yaml, ExpectError> {
    for (depth, segment) in path.segments.iter().enumerate() {
        let missing = || ExpectError(format!("`{}` does not exist", path.prefix(depth + 1)));
        node = match segment {
            Segment::Key(k) => {
                if create && matches!(node, Yaml::Null | Yaml::BadValue) {
                    *node = Yaml::Hash(Default::default());
                }
                let Yaml::Hash(h) = node else {
                    return Err(ExpectError(format!(
                        "`{}` is not a mapping",
                        path.prefix(depth)
                    )));
                };
                let key = h
                    .keys()
                    .find(|x| key_text(x).as_deref() == Some(k.as_str()))
                    .cloned();
                let key = match key {
                    Some(key) => key,
                    None if create => {
                        h.insert(Yaml::String(k.clone()), Yaml::Null);
                        Yaml::String(k.clone())
                    }
                    None => return Err(missing()),
                };
                h.get_mut(&key).expect("key was found or inserted")
            }
            Segment::Index(i) => match node {
                Yaml::Array(a) => a.get_mut(*i).ok_or_else(missing)?,
                _ => {
                    return Err(ExpectError(format!(
                        "`{}` is not a sequence",
                        path.prefix(depth)
                    )))
                }
            },
        };
    }
    Ok(node)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn y(s: &str) -> Yaml {
        crate::cst::Document::parse(s.to_string()).unwrap().parsed()[0].clone()
    }

    #[test]
    fn comparison_ignores_key_order_only() {
        assert!(same(&y("{a: 1, b: [x, y]}"), &y("b: [x, y]\na: 1")));
        assert!(!same(&y("{a: 1, b: [x, y]}"), &y("b: [y, x]\na: 1")));
        assert!(!same(&y("a: '1'"), &y("a: 1")));
    }

    #[test]
    fn expected_meaning_of_each_operation() {
        let mut docs = vec![y("jobs:\n  b:\n    steps: [x]\n")];
        let set = Op::Set {
            path: Path::parse("jobs.b.permissions.contents").unwrap(),
            value: Value::String("read".into()),
            place: Default::default(),
        };
        expect(&mut docs, &set).unwrap();
        let append = Op::Append {
            path: Path::parse("jobs.b.steps").unwrap(),
            value: Value::String("z".into()),
        };
        expect(&mut docs, &append).unwrap();
        let remove = Op::Remove {
            path: Path::parse("jobs.b.steps[0]").unwrap(),
        };
        expect(&mut docs, &remove).unwrap();
        assert!(same(
            &docs[0],
            &y("jobs: {b: {steps: [z], permissions: {contents: read}}}")
        ));
        let mut at = Path::default();
        assert!(first_difference(
            &docs[0],
            &y("jobs: {b: {steps: [x]}}"),
            &mut at
        ));
        assert_eq!(at.to_string(), "jobs.b.steps[0]");
    }

    #[test]
    fn load_reports_positions() {
        let err = crate::cst::Document::parse("a: b: c\n".to_string()).unwrap_err();
        assert_eq!(err.line, 1);
        let closing_under_dash = "m:\n  - [\n    a,\n    b\n  ]\n";
        let doc = crate::cst::Document::parse(closing_under_dash.to_string()).unwrap();
        assert!(same(&doc.parsed()[0], &y("m: [[a, b]]")));
    }
}
