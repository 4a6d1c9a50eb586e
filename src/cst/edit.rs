//! Edit operations, turned into byte splices that copy the file's style, and applied as a
//! verified batch.

use std::ops::Range;

use tree_sitter::Node;

use crate::cst::document::{collect_kind, Document, Lookup, PathError, Shape, Slot};
use crate::cst::path::{Path, Segment};
use crate::cst::scalar::{self, Quote};
use crate::cst::style::{self, column, Style};
use crate::cst::verify;
use crate::cst::Value;

/// Where a new mapping entry goes among its siblings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Place {
    /// Put the entry after the last of these keys (among those before any `before` key).
    pub after: Vec<String>,
    /// Otherwise put it before the first of these keys; otherwise at the end.
    pub before: Vec<String>,
}

/// One edit, addressed by path.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Sets the value at `path`, creating the entry and missing parent mappings as needed.
    Set {
        /// Where.
        path: Path,
        /// The new value.
        value: Value,
        /// Where a newly created entry goes.
        place: Place,
    },
    /// Removes a mapping entry or sequence item, with the comment lines that belong to it.
    Remove {
        /// What.
        path: Path,
    },
    /// Appends an item to the sequence at `path` (created when missing or null).
    Append {
        /// The sequence.
        path: Path,
        /// The new item.
        value: Value,
    },
    /// Inserts an item into a block sequence so that it becomes the item at `path` (`seq[i]`;
    /// `i` may be the sequence's length), the items from `i` on moving down.
    Insert {
        /// The new item's position.
        path: Path,
        /// The new item.
        value: Value,
    },
    /// Replaces every occurrence of `from` in the source of the scalar at `path` with `to`.
    Rewrite {
        /// The scalar.
        path: Path,
        /// Text to find.
        from: String,
        /// Its replacement.
        to: String,
    },
    /// Adds or replaces the trailing comment of the line that ends the value at `path`; left
    /// out for an entry or item of a flow collection (`{a: 1, b: 2}`), whose line it shares.
    Comment {
        /// The commented entry.
        path: Path,
        /// The comment, without `#`.
        text: String,
    },
    /// Renames the key of the mapping entry at `path` in place (value, comments and position
    /// kept); `to` must be a plain word (letters, digits, `-`, `_`).
    RenameKey {
        /// The entry.
        path: Path,
        /// The new key.
        to: String,
    },
}

impl Op {
    /// The path the operation addresses.
    pub fn path(&self) -> &Path {
        match self {
            Op::Set { path, .. }
            | Op::Remove { path }
            | Op::Append { path, .. }
            | Op::Insert { path, .. }
            | Op::Rewrite { path, .. }
            | Op::Comment { path, .. }
            | Op::RenameKey { path, .. } => path,
        }
    }

    /// The path the operation edits, to change.
    pub fn path_mut(&mut self) -> &mut Path {
        match self {
            Op::Set { path, .. }
            | Op::Remove { path }
            | Op::Append { path, .. }
            | Op::Insert { path, .. }
            | Op::Rewrite { path, .. }
            | Op::Comment { path, .. }
            | Op::RenameKey { path, .. } => path,
        }
    }

    /// A short description for messages.
    pub fn describe(&self) -> String {
        match self {
            Op::Set { path, value, .. } => format!("set {path}={value}"),
            Op::Remove { path } => format!("delete {path}"),
            Op::Append { path, value } => format!("append {path}={value}"),
            Op::Insert { path, value } => format!("insert {path}={value}"),
            Op::Rewrite { path, from, to } => format!("rewrite {path}: {from} => {to}"),
            Op::Comment { path, text } => format!("comment {path}={text}"),
            Op::RenameKey { path, to } => format!("rename {path} => {to}"),
        }
    }
}

/// Why a batch was not applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// The path cannot be followed.
    #[error("{op}: {source}")]
    Path {
        /// The operation.
        op: String,
        /// Why.
        source: PathError,
    },
    /// The operation does not apply to what the path addresses.
    #[error("{op}: {message}")]
    Invalid {
        /// The operation.
        op: String,
        /// Why.
        message: String,
    },
    /// The edited text does not mean what the batch declared; nothing is written.
    #[error("refused by verification: {op}: {detail}")]
    Verification {
        /// The first operation whose result did not verify.
        op: String,
        /// What went wrong.
        detail: String,
    },
}

type Splice = (Range<usize>, String);

/// Applies `ops` in order to a copy of `doc`, then verifies the whole batch: the result must parse
/// without errors and mean exactly what the operations declare. Returns the edited document.
pub fn apply(doc: &Document, ops: &[Op]) -> Result<Document, EditError> {
    let style = std::cell::OnceCell::new();
    let style = || *style.get_or_init(|| Style::measure(doc));
    let mut work = match apply_fused(doc, ops, &style) {
        Some(work) => work,
        None => apply_layered(doc, ops, &style)?,
    };
    let after = check(doc, &work, ops);
    if let Err((op, detail)) = after {
        // Name the first operation whose prefix of the batch fails on its own.
        let culprit = (1..ops.len())
            .find(|n| {
                apply_unverified(doc, &ops[..*n])
                    .is_none_or(|w| check(doc, &w, &ops[..*n]).is_err())
            })
            .map_or(op, |n| ops[n - 1].describe());
        return Err(EditError::Verification {
            op: culprit,
            detail,
        });
    }
    work.set_parsed(after.unwrap_or_default());
    Ok(work)
}

/// Applies `ops` layer by layer. Operations go in layers: an operation whose path is, or lies
/// inside or around, an earlier one's comes in a later layer than it; the rest commute. Each
/// layer is planned against one tree and re-parsed once; a layer whose splices touch, or whose
/// result does not parse, is applied one operation at a time (in the batch's order), so that a
/// failure names its own.
fn apply_layered(
    doc: &Document,
    ops: &[Op],
    style: &dyn Fn() -> Style,
) -> Result<Document, EditError> {
    let mut work = doc.clone();
    let mut layer_of: Vec<usize> = Vec::with_capacity(ops.len());
    for (n, op) in ops.iter().enumerate() {
        let after = (0..n)
            .filter(|m| nested(ops[*m].path(), op.path()))
            .map(|m| layer_of[m] + 1)
            .max()
            .unwrap_or(0);
        layer_of.push(after);
    }
    let layers = layer_of.iter().max().map_or(0, |m| m + 1);
    for layer in 0..layers {
        let run: Vec<&Op> = ops
            .iter()
            .zip(&layer_of)
            .filter(|(_, l)| **l == layer)
            .map(|(op, _)| op)
            .collect();
        if run.len() > 1 {
            let before = work.clone();
            if apply_run(&mut work, &run, style)? && !work.tree().root_node().has_error() {
                continue;
            }
            work = before;
        }
        for op in run {
            let splices = plan(&work, op, style)?;
            for (mut range, text) in splices {
                let text = style::with_newline(text, work.newline());
                if range.start == work.text().len() && !work.text().ends_with('\n') {
                    let shift = strip_final_block_scalar(&mut work);
                    range = range.start + shift..range.end + shift;
                }
                work.splice(range, &text);
            }
            check_parses(&work, op)?;
        }
    }
    Ok(work)
}

/// The batch in one run, parsed once, when the only nesting in it is comments on lines that a
/// `set` of the batch writes (a permissions block and the reason of each scope): each such
/// comment is written with its `set`. `None` when the batch nests otherwise, a comment cannot be
/// written so, or the run does not apply cleanly; the batch then goes by layers, whose result
/// this equals byte for byte.
fn apply_fused(doc: &Document, ops: &[Op], style: &dyn Fn() -> Style) -> Option<Document> {
    // Each operation that is not a fused comment, with the comments written with it.
    let mut units: Vec<(&Op, Vec<(&Path, &str)>)> = Vec::new();
    let mut fused = 0;
    for op in ops {
        let with = match op {
            Op::Comment { path, text } => units.iter().position(|(set, _)| match set {
                Op::Set { path: at, value, .. } => {
                    at == path
                        || (path.document == at.document
                            && path.segments.len() == at.segments.len() + 1
                            && path.segments.starts_with(&at.segments)
                            && matches!((value, path.segments.last()), (Value::Object(map), Some(Segment::Key(k)))
                                if map.values().all(one_line_scalar) && map.contains_key(k)))
                }
                _ => false,
            }).map(|i| (i, path, text.as_str())),
            _ => None,
        };
        match with {
            // A second comment on one line replaces the first: the layers do that.
            Some((i, path, _)) if units[i].1.iter().any(|(p, _)| *p == path) => return None,
            Some((i, path, text)) => {
                units[i].1.push((path, text));
                fused += 1;
            }
            None => units.push((op, Vec::new())),
        }
    }
    let apart = units
        .iter()
        .enumerate()
        .all(|(n, (a, _))| units[..n].iter().all(|(b, _)| !nested(a.path(), b.path())));
    if fused == 0 || !apart {
        return None;
    }
    let mut splices = Vec::new();
    for (op, comments) in &units {
        let mut planned = plan(doc, op, style).ok()?;
        if !comments.is_empty() {
            let [splice] = planned.as_mut_slice() else {
                return None;
            };
            let Op::Set { path: at, .. } = op else {
                return None;
            };
            if writes_in_flow(doc, at)? {
                // Comments there are left out: the layers do that.
                return None;
            }
            for (path, text) in comments {
                let key = (path != &at).then(|| path.segments.last()).flatten();
                *splice = with_comment(doc.text(), splice.clone(), key, text)?;
            }
        }
        splices.extend(planned);
    }
    let mut work = doc.clone();
    (splice_run(&mut work, splices) && !work.tree().root_node().has_error()).then_some(work)
}

/// Whether a `set` at `path` writes inside a flow collection (or replaces one, or writes into
/// one): the new lines are then flow text. `None` when the path cannot be followed.
fn writes_in_flow(doc: &Document, path: &Path) -> Option<bool> {
    let slot = match doc.lookup(path).ok()? {
        Lookup::Found(slot) | Lookup::Missing { slot, .. } => slot,
    };
    let flow_value = slot
        .value()
        .and_then(|v| doc.content(v))
        .is_some_and(|(shape, _)| matches!(shape, Shape::FlowMapping | Shape::FlowSequence));
    Some(
        in_flow(slot.node())
            || matches!(slot.node().kind(), "flow_pair" | "flow_node")
            || flow_value,
    )
}

/// Whether `value` is written on one line as a scalar.
fn one_line_scalar(value: &Value) -> bool {
    match value {
        Value::String(s) => !s.contains('\n'),
        Value::Array(_) | Value::Object(_) => false,
        _ => true,
    }
}

/// `splice`, with `# comment` at the end of the line it writes for `key` (a line of its own,
/// `key: value`), or, without a key, of the one line it writes, as [`comment_splice`] would write
/// it there once the splice is made. `None` when that line cannot be told apart.
fn with_comment(
    text: &str,
    splice: Splice,
    key: Option<&Segment>,
    comment: &str,
) -> Option<Splice> {
    let (range, body) = splice;
    if comment.contains(['\n', '\r']) {
        return None;
    }
    let lines: Vec<(usize, &str)> = body
        .split_inclusive('\n')
        .scan(0, |at, l| {
            let start = *at;
            *at += l.len();
            Some((start, l))
        })
        .collect();
    let line = match key {
        Some(Segment::Key(k)) => {
            let head = format!("{}:", style::key(k));
            let mut found = lines
                .iter()
                .filter(|(_, l)| l.trim_start_matches(' ').starts_with(&head));
            let one = found.next()?;
            found.next().is_none().then_some(*one)?
        }
        Some(Segment::Index(_)) => return None,
        None => match lines.as_slice() {
            [one] => *one,
            _ => return None,
        },
    };
    let (start, l) = line;
    let content = start + l.trim_end_matches(['\n', '\r']).len();
    if content < body.len() {
        // A line the splice writes whole.
        let mut out = body;
        out.insert_str(content, &format!(" # {}", comment.trim()));
        return Some((range, out));
    }
    // The splice's last line goes on with what follows it in the text.
    let (at, written) = trailing_comment(text, range.end, comment)?;
    Some((
        range.start..at.end,
        format!("{body}{}{written}", &text[range.end..at.start]),
    ))
}

/// Whether one path is the other or lies inside it.
fn nested(a: &Path, b: &Path) -> bool {
    a.document == b.document
        && (a.segments.starts_with(&b.segments) || b.segments.starts_with(&a.segments))
}

/// Applies a run of operations planned against the same tree, re-parsing once. `Ok(false)`
/// (nothing applied) when two splices touch or one would append to a text without a final
/// newline: the run is then applied one operation at a time.
fn apply_run(
    work: &mut Document,
    run: &[&Op],
    style: &dyn Fn() -> Style,
) -> Result<bool, EditError> {
    let mut splices: Vec<Splice> = Vec::new();
    for op in run.iter().copied() {
        splices.extend(plan(work, op, style)?);
    }
    Ok(splice_run(work, splices))
}

/// Makes `splices`, planned against one tree, and re-parses once; `false` (nothing made) when two
/// touch or one would append to a text without a final newline.
fn splice_run(work: &mut Document, mut splices: Vec<Splice>) -> bool {
    splices.sort_by_key(|s| std::cmp::Reverse((s.0.start, s.0.end)));
    let len = work.text().len();
    let apart = splices.windows(2).all(|w| w[1].0.end < w[0].0.start);
    let at_open_end = !work.text().ends_with('\n') && splices.iter().any(|s| s.0.start == len);
    if !apart || at_open_end {
        return false;
    }
    let newline = work.newline();
    let splices: Vec<Splice> = splices
        .into_iter()
        .map(|(r, t)| (r, style::with_newline(t, newline)))
        .collect();
    work.splice_all(&splices);
    true
}

/// Refuses a result that does not parse, naming `op`.
fn check_parses(work: &Document, op: &Op) -> Result<(), EditError> {
    if work.tree().root_node().has_error() {
        let detail = match work.reload() {
            Err(e) => e.to_string(),
            Ok(_) => "the result does not parse".to_string(),
        };
        return Err(EditError::Verification {
            op: op.describe(),
            detail,
        });
    }
    Ok(())
}

fn apply_unverified(doc: &Document, ops: &[Op]) -> Option<Document> {
    let style = || Style::measure(doc);
    let mut work = doc.clone();
    for op in ops {
        for (range, text) in plan(&work, op, &style).ok()? {
            let text = style::with_newline(text, work.newline());
            work.splice(range, &text);
        }
    }
    Some(work)
}

/// Verifies `work` (the edited `doc`) against the meaning `ops` declare.
fn check(
    doc: &Document,
    work: &Document,
    ops: &[Op],
) -> Result<Vec<yaml_rust2::Yaml>, (String, String)> {
    let last = || ops.last().map(Op::describe).unwrap_or_default();
    let mut expected = doc.parsed().to_vec();
    for op in ops {
        verify::expect(&mut expected, op).map_err(|e| (op.describe(), e.0))?;
    }
    let after = work.reload().map_err(|e| (last(), e.to_string()))?;
    if after.len() != expected.len() {
        return Err((last(), "the number of documents changed".to_string()));
    }
    for (n, (want, got)) in expected.iter().zip(&after).enumerate() {
        let mut at = Path {
            document: n,
            segments: Vec::new(),
        };
        if verify::first_difference(want, got, &mut at) {
            return Err((
                last(),
                format!("`{at}` would change beyond what was declared"),
            ));
        }
    }
    Ok(after)
}

fn invalid(op: &Op, message: impl Into<String>) -> EditError {
    EditError::Invalid {
        op: op.describe(),
        message: message.into(),
    }
}

/// Turns one operation into splices against the current text (applied back to front).
fn plan(doc: &Document, op: &Op, style: &dyn Fn() -> Style) -> Result<Vec<Splice>, EditError> {
    let path = op.path();
    if let Op::Insert { value, .. } = op {
        return Ok(vec![insert_item(doc, op, value, style())?]);
    }
    let lookup = doc.lookup(path).map_err(|source| EditError::Path {
        op: op.describe(),
        source,
    })?;
    let mut splices = match (op, lookup) {
        (Op::Set { value, .. }, Lookup::Found(slot)) => {
            refuse_aliased(doc, op, slot.node(), true)?;
            vec![replace_value(doc, op, slot, value, style())?]
        }
        (Op::Set { value, place, .. }, Lookup::Missing { slot, depth }) => {
            refuse_aliased(doc, op, slot.node(), false)?;
            let mut nested = value.clone();
            for segment in path.segments[depth + 1..].iter().rev() {
                let Segment::Key(k) = segment else {
                    return Err(invalid(op, format!("`{}` does not exist", path)));
                };
                nested = Value::Object([(k.clone(), nested)].into_iter().collect());
            }
            let Segment::Key(key) = &path.segments[depth] else {
                return Err(invalid(
                    op,
                    format!("index out of range at `{}`", path.prefix(depth + 1)),
                ));
            };
            vec![insert_entry(doc, op, slot, key, &nested, place, style())?]
        }
        (Op::Remove { .. }, Lookup::Found(slot)) => {
            refuse_aliased(doc, op, slot.node(), true)?;
            remove(doc, op, slot, style())?
        }
        (Op::Append { value, .. }, Lookup::Found(slot)) => {
            refuse_aliased(doc, op, slot.node(), false)?;
            vec![append(doc, op, slot, value, style())?]
        }
        (Op::Append { path, value }, Lookup::Missing { .. }) => {
            let set = Op::Set {
                path: path.clone(),
                value: Value::Array(vec![value.clone()]),
                place: Place::default(),
            };
            return plan(doc, &set, style);
        }
        (Op::Rewrite { from, to, .. }, Lookup::Found(slot)) => {
            refuse_aliased(doc, op, slot.node(), true)?;
            let scalar = slot
                .value()
                .and_then(|v| doc.content(v))
                .filter(|(shape, _)| *shape == Shape::Scalar)
                .ok_or_else(|| invalid(op, "not a scalar"))?
                .1;
            if from.is_empty() {
                return Err(invalid(op, "nothing to find"));
            }
            let source = doc.node_text(scalar);
            let found: Vec<Splice> = source
                .match_indices(from.as_str())
                .map(|(i, _)| {
                    let start = scalar.start_byte() + i;
                    (start..start + from.len(), to.clone())
                })
                .collect();
            if found.is_empty() {
                return Err(invalid(
                    op,
                    format!("`{from}` does not occur in `{source}`"),
                ));
            }
            found
        }
        (Op::Comment { text: comment, .. }, Lookup::Found(slot)) => {
            if comment.contains(['\n', '\r']) {
                return Err(invalid(op, "a comment must be one line"));
            }
            if matches!(slot.node().kind(), "flow_pair" | "flow_node") {
                // An entry of a flow collection shares its line with the others: no comment.
                return Ok(Vec::new());
            }
            vec![comment_splice(doc, op, slot, comment)?]
        }
        (Op::RenameKey { to, .. }, Lookup::Found(slot)) => {
            let Slot::Entry { key, .. } = slot else {
                return Err(invalid(op, "not a mapping entry"));
            };
            let plain = !to.is_empty()
                && to
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !plain {
                return Err(invalid(op, format!("`{to}` is not a plain key")));
            }
            refuse_aliased(doc, op, slot.node(), false)?;
            vec![(key.byte_range(), to.clone())]
        }
        (
            Op::Remove { .. } | Op::Rewrite { .. } | Op::Comment { .. } | Op::RenameKey { .. },
            Lookup::Missing { .. },
        ) => return Err(invalid(op, format!("`{path}` does not exist"))),
        (Op::Insert { .. }, _) => unreachable!("planned above"),
    };
    splices.sort_by_key(|s| std::cmp::Reverse(s.0.start));
    Ok(splices)
}

/// Refuses to edit inside a value whose anchor an alias refers to: the alias would change too.
fn refuse_aliased(
    doc: &Document,
    op: &Op,
    node: Node,
    include_inside: bool,
) -> Result<(), EditError> {
    if !doc.has_aliases() {
        return Ok(());
    }
    let mut aliases = Vec::new();
    collect_kind(doc.tree().root_node(), "alias_name", &mut aliases);
    let names: Vec<&str> = aliases.iter().map(|a| doc.node_text(*a)).collect();
    let mut anchors = Vec::new();
    if include_inside {
        collect_kind(node, "anchor_name", &mut anchors);
    }
    let mut up = Some(node);
    while let Some(n) = up {
        let mut cursor = n.walk();
        anchors.extend(
            n.named_children(&mut cursor)
                .filter(|c| c.kind() == "anchor")
                .filter_map(|a| a.named_child(0)),
        );
        up = n.parent();
    }
    match anchors
        .iter()
        .map(|a| doc.node_text(*a))
        .find(|a| names.contains(a))
    {
        Some(name) => Err(invalid(
            op,
            format!(
                "the value is shared through the anchor `&{name}` and its aliases; edit refused"
            ),
        )),
        None => Ok(()),
    }
}

// ---- text positions ----

fn line_start(text: &str, pos: usize) -> usize {
    text[..pos].rfind('\n').map_or(0, |i| i + 1)
}

/// Before text is added after a block scalar that ends the file without a line break: gives
/// the scalar the strip indicator (`|` or `|+` becomes `|-`), which keeps its value (no final
/// line break) once a line break follows it. Returns how many bytes the header grew.
fn strip_final_block_scalar(work: &mut Document) -> usize {
    let end = work.text().len();
    let mut found = Vec::new();
    crate::cst::document::collect_kind(work.tree().root_node(), "block_scalar", &mut found);
    let Some(node) = found.into_iter().find(|n| n.end_byte() == end) else {
        return 0;
    };
    let start = node.start_byte();
    let header_len = work.text()[start..]
        .find(['\n', '\r', ' ', '#'])
        .unwrap_or(end - start);
    let header = &work.text()[start..start + header_len];
    if header.contains('-') {
        return 0;
    }
    if let Some(at) = header.find('+') {
        work.splice(start + at..start + at + 1, "-");
        0
    } else {
        work.splice(start + 1..start + 1, "-");
        1
    }
}

/// Position after the newline that ends the line holding `pos` (or the end of the text).
fn next_line(text: &str, pos: usize) -> usize {
    text[pos..].find('\n').map_or(text.len(), |i| pos + i + 1)
}

/// End of the line's content (before `\r\n` or `\n`).
fn line_content_end(text: &str, pos: usize) -> usize {
    let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
    if end > pos && text.as_bytes()[end - 1] == b'\r' {
        end - 1
    } else {
        end
    }
}

fn line_at(text: &str, start: usize) -> &str {
    &text[start..line_content_end(text, start)]
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

/// The comment-only line at `start`, if any, and its column.
fn comment_line(text: &str, start: usize) -> Option<usize> {
    let line = line_at(text, start);
    let trimmed = line.trim_start();
    trimmed.starts_with('#').then(|| line.len() - trimmed.len())
}

/// Where the content of `node` really ends: trailing comments, blank lines and line breaks that
/// tree-sitter includes in collection nodes are excluded.
fn content_end(node: Node) -> usize {
    let mut cursor = node.walk();
    let last = node
        .named_children(&mut cursor)
        .filter(|c| c.kind() != "comment")
        .last();
    match node.kind() {
        "block_mapping"
        | "block_sequence"
        | "block_node"
        | "block_mapping_pair"
        | "block_sequence_item"
        | "document" => last.map_or(node.end_byte(), content_end),
        _ => node.end_byte(),
    }
}

/// The deepest last node of a value, to see whether it is a keep-chomped block scalar.
fn keeps_trailing_lines(doc: &Document, node: Node) -> bool {
    let mut n = node;
    loop {
        if n.kind() == "block_scalar" {
            let header = doc.node_text(n).lines().next().unwrap_or("");
            return header.split('#').next().unwrap_or("").contains('+');
        }
        let mut cursor = n.walk();
        let last = n
            .named_children(&mut cursor)
            .filter(|c| c.kind() != "comment")
            .last();
        match last {
            Some(l) => n = l,
            None => return false,
        }
    }
}

/// Start of the block of comment lines directly above `start` at exactly column `col`.
fn leading_comments_start(text: &str, mut start: usize, col: usize) -> usize {
    while start > 0 {
        let prev = line_start(text, start - 1);
        if comment_line(text, prev) == Some(col) {
            start = prev;
        } else {
            break;
        }
    }
    start
}

/// Position after the line ending `node`'s content, the comment lines indented deeper than
/// `col` that follow it, and (for keep-chomped block scalars) the blank lines it keeps.
fn after_node(doc: &Document, node: Node, col: usize) -> usize {
    let text = doc.text();
    let mut pos = next_line(text, content_end(node));
    if keeps_trailing_lines(doc, node) {
        while pos < text.len() && is_blank(line_at(text, pos)) {
            pos = next_line(text, pos);
        }
    }
    while pos < text.len() && comment_line(text, pos).is_some_and(|c| c > col) {
        pos = next_line(text, pos);
    }
    pos
}

/// Whether a blank line separates the end of `a` (exclusive position after it) and `b`'s line.
fn blank_between(text: &str, mut pos: usize, b_start: usize) -> bool {
    while pos < b_start {
        if is_blank(line_at(text, pos)) {
            return true;
        }
        pos = next_line(text, pos);
    }
    false
}

fn in_flow(node: Node) -> bool {
    let mut up = node.parent();
    while let Some(n) = up {
        if matches!(n.kind(), "flow_mapping" | "flow_sequence") {
            return true;
        }
        if matches!(n.kind(), "block_mapping" | "block_sequence") {
            return false;
        }
        up = n.parent();
    }
    false
}

fn child_token<'t>(node: Node<'t>, token: &str) -> Option<Node<'t>> {
    let mut cursor = node.walk();
    let found = node.children(&mut cursor).find(|c| c.kind() == token);
    found
}

// ---- operations ----

/// The splice that makes `slot` hold `value`.
fn replace_value(
    doc: &Document,
    op: &Op,
    slot: Slot,
    value: &Value,
    style: Style,
) -> Result<Splice, EditError> {
    let text = doc.text();
    let current = slot.value().and_then(|v| doc.content(v));
    let new_is_scalar = !matches!(value, Value::Array(_) | Value::Object(_));
    let flow = in_flow(slot.node()) || matches!(slot.node().kind(), "flow_pair" | "flow_node");
    // A scalar replaced by a one-line scalar keeps its place and, where it can, its quotes.
    if let Some((Shape::Scalar, node)) = current {
        let multi_line = matches!(value, Value::String(s) if s.contains('\n'));
        if new_is_scalar && node.kind() != "block_scalar" && (!multi_line || flow) {
            let quote = match node.kind() {
                "single_quote_scalar" => Quote::Single,
                "double_quote_scalar" => Quote::Double,
                _ => Quote::Plain,
            };
            let rendered = match value {
                Value::String(s) => scalar::render(s, quote, flow),
                _ => style::inline_scalar(value, style.quote, flow),
            };
            return Ok((node.byte_range(), rendered));
        }
    }
    if flow || matches!(current, Some((Shape::FlowMapping | Shape::FlowSequence, _))) {
        let rendered = style::flow_value(value, style.quote);
        return Ok(match (slot, current) {
            (_, Some((_, node))) => (node.byte_range(), rendered),
            (Slot::Entry { pair, key, .. }, None) => match child_token(pair, ":") {
                Some(colon) => (colon.end_byte()..colon.end_byte(), format!(" {rendered}")),
                None => (key.end_byte()..key.end_byte(), format!(": {rendered}")),
            },
            _ => return Err(invalid(op, "cannot place a value here")),
        });
    }
    // Block context: rewrite everything after the indicator (`key:` or `-`).
    let (indicator, col, item) = match slot {
        Slot::Entry { pair, key, .. } => {
            let colon = child_token(pair, ":").ok_or_else(|| invalid(op, "entry without `:`"))?;
            (colon.end_byte(), column(text, key.start_byte()), false)
        }
        Slot::Item { item, .. } => {
            let dash = child_token(item, "-").ok_or_else(|| invalid(op, "item without `-`"))?;
            (dash.end_byte(), column(text, dash.start_byte()), true)
        }
        Slot::Root { value: Some(v), .. } if new_is_scalar || value_is_empty(value) => {
            let rendered = style::flow_value(value, style.quote);
            return Ok((v.start_byte()..content_end(v), rendered));
        }
        Slot::Root { .. } => return Err(invalid(op, "cannot replace a whole document")),
    };
    let end = match slot.value() {
        Some(v) => content_end(v),
        None => indicator,
    };
    let mut rendered = String::new();
    style::after_indicator(&mut rendered, value, col, &style, item);
    let rendered = rendered.strip_suffix('\n').unwrap_or(&rendered);
    let end = end.max(indicator);
    // A comment after the old value stays on the indicator's line, above a new block.
    let line_end = line_content_end(text, end);
    let rest = text[end..line_end].trim_start();
    if rendered.starts_with('\n') && rest.starts_with('#') {
        return Ok((
            indicator..line_end,
            format!(" {}{rendered}", rest.trim_end()),
        ));
    }
    Ok((indicator..end, rendered.to_string()))
}

fn value_is_empty(value: &Value) -> bool {
    match value {
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// The splice that adds `key: value` to the mapping held by `slot` (or makes its empty value a
/// mapping holding it).
fn insert_entry(
    doc: &Document,
    op: &Op,
    slot: Slot,
    key: &str,
    value: &Value,
    place: &Place,
    style: Style,
) -> Result<Splice, EditError> {
    let entry: Value = Value::Object([(key.to_string(), value.clone())].into_iter().collect());
    let content = slot.value().and_then(|v| doc.content(v));
    match content {
        None => replace_value(doc, op, slot, &entry, style),
        Some((Shape::Scalar, node)) if doc.is_null_scalar(node) => {
            replace_value(doc, op, slot, &entry, style)
        }
        Some((Shape::BlockMapping, mapping)) => {
            let entries = doc.entries(mapping);
            let rendered = |col: usize, style: &Style| {
                let mut out = String::new();
                out.extend(std::iter::repeat_n(' ', col));
                style::entry(&mut out, key, value, col, style);
                out
            };
            insert_block(doc, mapping, &entries, place, style, rendered)
        }
        Some((Shape::FlowMapping, mapping)) => {
            let rendered = format!(
                "{}: {}",
                style::key(key),
                style::flow_value(value, style.quote)
            );
            insert_flow(doc, mapping, &doc.entries(mapping), &rendered)
        }
        Some((shape, _)) => Err(invalid(
            op,
            format!("`{}` is a {}, not a mapping", op.path(), shape.name()),
        )),
    }
}

/// Inserts a rendered block entry or item among `siblings` of `container`.
fn insert_block(
    doc: &Document,
    container: Node,
    siblings: &[Slot],
    place: &Place,
    style: Style,
    render: impl Fn(usize, &Style) -> String,
) -> Result<Splice, EditError> {
    let text = doc.text();
    let first = siblings[0].node();
    let col = column(text, first.start_byte());
    // Indentation measured at this collection: its column minus its parent key's column.
    let local = container
        .parent()
        .and_then(|n| n.parent())
        .filter(|n| n.kind() == "block_mapping_pair")
        .and_then(|pair| pair.child_by_field_name("key"))
        .map(|key| column(text, key.start_byte()))
        .filter(|key_col| *key_col < col)
        .map(|key_col| col - key_col);
    let style = if container.kind() == "block_mapping" {
        style.with_indent(local)
    } else {
        style
    };
    let keys: Vec<Option<String>> = siblings.iter().map(|s| doc.key_of(s)).collect();
    let has = |i: usize, set: &[String]| keys[i].as_ref().is_some_and(|k| set.contains(k));
    let first_before = (0..siblings.len()).find(|i| has(*i, &place.before));
    let limit = first_before.unwrap_or(siblings.len());
    let after = (0..limit).rev().find(|i| has(*i, &place.after));
    insert_block_at(doc, siblings, after, first_before, render(col, &style))
}

/// Splices `body` (rendered lines at the siblings' column) into a block collection: after
/// sibling `after`, else before sibling `first_before`, else after the last sibling.
fn insert_block_at(
    doc: &Document,
    siblings: &[Slot],
    after: Option<usize>,
    first_before: Option<usize>,
    body: String,
) -> Result<Splice, EditError> {
    let text = doc.text();
    let first = siblings[0].node();
    let col = column(text, first.start_byte());
    let line_begins = |n: Node| {
        text[line_start(text, n.start_byte())..n.start_byte()]
            .trim()
            .is_empty()
    };
    match (after, first_before) {
        (None, Some(0)) if line_begins(first) => {
            let pos = leading_comments_start(text, line_start(text, first.start_byte()), col);
            Ok((pos..pos, body))
        }
        _ => {
            let i = after
                .or(first_before.map(|b| b.saturating_sub(1)))
                .unwrap_or(siblings.len() - 1);
            let node = siblings[i].node();
            let pos = after_node(doc, node, col);
            let separated = match siblings.get(i + 1) {
                Some(next) => blank_between(text, pos, next.node().start_byte()),
                None => {
                    i > 0 && {
                        let prev_end = after_node(doc, siblings[i - 1].node(), col);
                        blank_between(text, prev_end, node.start_byte())
                    }
                }
            };
            let mut out = String::new();
            if pos == text.len() && !text.ends_with('\n') {
                out.push('\n');
                if separated {
                    out.push('\n');
                }
                out.push_str(body.strip_suffix('\n').unwrap_or(&body));
            } else {
                if separated {
                    out.push('\n');
                }
                out.push_str(&body);
            }
            Ok((pos..pos, out))
        }
    }
}

/// Inserts rendered flow text after the last element of a flow collection.
fn insert_flow(
    doc: &Document,
    container: Node,
    elements: &[Slot],
    rendered: &str,
) -> Result<Splice, EditError> {
    let text = doc.text();
    let Some(last) = elements.last() else {
        let open = container.start_byte() + 1;
        return Ok((open..open, rendered.to_string()));
    };
    let last = last.node();
    let multi_line = text[container.start_byte()..last.start_byte()].contains('\n');
    if !multi_line {
        return Ok((last.end_byte()..last.end_byte(), format!(", {rendered}")));
    }
    let col = column(text, last.start_byte());
    let indent = " ".repeat(col);
    let rest = &text[last.end_byte()..];
    let after_spaces = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    if rest[after_spaces..].starts_with(',') {
        let pos = last.end_byte() + after_spaces + 1;
        Ok((pos..pos, format!("\n{indent}{rendered},")))
    } else {
        Ok((
            last.end_byte()..last.end_byte(),
            format!(",\n{indent}{rendered}"),
        ))
    }
}

/// The splices that remove the entry or item at `slot`.
fn remove(doc: &Document, op: &Op, slot: Slot, style: Style) -> Result<Vec<Splice>, EditError> {
    let text = doc.text();
    let node = slot.node();
    let container = node
        .parent()
        .ok_or_else(|| invalid(op, "cannot remove a document"))?;
    let siblings = match container.kind() {
        "block_mapping" | "flow_mapping" => doc.entries(container),
        _ => doc.items(container),
    };
    let index = siblings
        .iter()
        .position(|s| s.node() == node)
        .ok_or_else(|| invalid(op, "cannot locate the entry among its siblings"))?;
    if siblings.len() == 1 {
        // The last one: the collection becomes empty, written `{}` or `[]`.
        let (parent, _) = op
            .path()
            .split_last()
            .ok_or_else(|| invalid(op, "empty path"))?;
        let empty = if container.kind().ends_with("mapping") {
            Value::Object(Default::default())
        } else {
            Value::Array(Vec::new())
        };
        if matches!(container.kind(), "flow_mapping" | "flow_sequence") {
            return Ok(vec![(node.start_byte()..content_end(node), String::new())]);
        }
        let Lookup::Found(parent_slot) = doc.lookup(&parent).map_err(|source| EditError::Path {
            op: op.describe(),
            source,
        })?
        else {
            return Err(invalid(op, "parent vanished"));
        };
        return Ok(vec![replace_value(doc, op, parent_slot, &empty, style)?]);
    }
    if matches!(container.kind(), "flow_mapping" | "flow_sequence") {
        let range = if index + 1 < siblings.len() {
            node.start_byte()..siblings[index + 1].node().start_byte()
        } else {
            siblings[index - 1].node().end_byte()..node.end_byte()
        };
        return Ok(vec![(range, String::new())]);
    }
    let own_line = text[line_start(text, node.start_byte())..node.start_byte()]
        .trim()
        .is_empty();
    if !own_line {
        // First entry of a mapping that follows `- `: the next entry moves up to its place.
        let next = siblings[index + 1].node().start_byte();
        return Ok(vec![(node.start_byte()..next, String::new())]);
    }
    let col = column(text, node.start_byte());
    let mut start = leading_comments_start(text, line_start(text, node.start_byte()), col);
    let end = after_node(doc, node, col);
    let is_last = index + 1 == siblings.len();
    if start > 0 {
        let prev = line_start(text, start - 1);
        let blank_after = end < text.len() && is_blank(line_at(text, end));
        if is_blank(line_at(text, prev)) && prev > 0 && (is_last || blank_after) {
            start = prev;
        }
    }
    if end == text.len() && !text.ends_with('\n') && start > 0 {
        start -= if start >= 2 && &text[start - 2..start] == "\r\n" {
            2
        } else {
            1
        };
    }
    Ok(vec![(start..end, String::new())])
}

/// The splice that appends `value` to the sequence at `slot`.
/// The splice that inserts `value` as the item at `op`'s path (`seq[i]`) of a block sequence.
fn insert_item(doc: &Document, op: &Op, value: &Value, style: Style) -> Result<Splice, EditError> {
    let path = op.path();
    let Some((parent, Segment::Index(index))) = path.split_last() else {
        return Err(invalid(op, "the path must end with an index (`steps[2]`)"));
    };
    let lookup = doc.lookup(&parent).map_err(|source| EditError::Path {
        op: op.describe(),
        source,
    })?;
    let Lookup::Found(slot) = lookup else {
        return Err(invalid(op, format!("`{parent}` does not exist")));
    };
    refuse_aliased(doc, op, slot.node(), false)?;
    let Some((Shape::BlockSequence, seq)) = slot.value().and_then(|v| doc.content(v)) else {
        return Err(invalid(op, format!("`{parent}` is not a block sequence")));
    };
    let items = doc.items(seq);
    let index = *index;
    if index > items.len() {
        return Err(invalid(op, format!("`{parent}` has {} items", items.len())));
    }
    let col = column(doc.text(), items[0].node().start_byte());
    let mut body = " ".repeat(col);
    body.push('-');
    style::after_indicator(&mut body, value, col, &style, true);
    match index {
        0 => insert_block_at(doc, &items, None, Some(0), body),
        i => insert_block_at(doc, &items, Some(i - 1), None, body),
    }
}

fn append(
    doc: &Document,
    op: &Op,
    slot: Slot,
    value: &Value,
    style: Style,
) -> Result<Splice, EditError> {
    match slot.value().and_then(|v| doc.content(v)) {
        None => replace_value(doc, op, slot, &Value::Array(vec![value.clone()]), style),
        Some((Shape::Scalar, n)) if doc.is_null_scalar(n) => {
            replace_value(doc, op, slot, &Value::Array(vec![value.clone()]), style)
        }
        Some((Shape::BlockSequence, seq)) => {
            let items = doc.items(seq);
            insert_block(doc, seq, &items, &Place::default(), style, |col, style| {
                let mut out = " ".repeat(col);
                out.push('-');
                style::after_indicator(&mut out, value, col, style, true);
                out
            })
        }
        Some((Shape::FlowSequence, seq)) => insert_flow(
            doc,
            seq,
            &doc.items(seq),
            &style::flow_value(value, style.quote),
        ),
        Some((shape, _)) => Err(invalid(
            op,
            format!("`{}` is a {}, not a sequence", op.path(), shape.name()),
        )),
    }
}

/// The splice that adds or replaces the trailing comment on the line that ends the value.
fn comment_splice(doc: &Document, op: &Op, slot: Slot, comment: &str) -> Result<Splice, EditError> {
    let text = doc.text();
    let value = slot.value();
    let content = value.and_then(|v| doc.content(v));
    let anchor_end = match (slot, content) {
        (_, Some((Shape::Scalar, n))) if n.kind() == "block_scalar" => {
            n.child(0).map_or(n.start_byte(), |h| h.end_byte())
        }
        (_, Some((Shape::BlockMapping | Shape::BlockSequence, _))) | (_, None) => {
            let indicator = match slot {
                Slot::Entry { pair, key, .. } => {
                    child_token(pair, ":").map_or(key.end_byte(), |c| c.end_byte())
                }
                Slot::Item { item, .. } => {
                    child_token(item, "-").map_or(item.start_byte(), |c| c.end_byte())
                }
                Slot::Root { .. } => return Err(invalid(op, "cannot comment a whole document")),
            };
            // Anchors and tags written after the indicator stay before the comment.
            let mut end = indicator;
            if let Some(v) = value {
                let mut cursor = v.walk();
                for c in v.named_children(&mut cursor) {
                    if matches!(c.kind(), "anchor" | "tag") {
                        end = end.max(c.end_byte());
                    }
                }
            }
            end
        }
        (_, Some((_, n))) => n.end_byte(),
    };
    trailing_comment(text, anchor_end, comment).ok_or_else(|| {
        invalid(
            op,
            "the line goes on after the value; a comment cannot go there",
        )
    })
}

/// The splice that ends the line at `from` with `# comment`: added after the content, or in
/// place of the comment already there. `None` when other text follows `from` on the line.
fn trailing_comment(text: &str, from: usize, comment: &str) -> Option<Splice> {
    let line_end = line_content_end(text, from);
    let rest = &text[from..line_end];
    let trimmed = rest.trim_start();
    let new = format!("# {}", comment.trim());
    if trimmed.is_empty() {
        Some((from..line_end, format!(" {new}")))
    } else if trimmed.starts_with('#') {
        let hash = from + (rest.len() - trimmed.len());
        Some((hash..line_end, new))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Batches the fused path leaves to the layers: a line commented twice, and a block written
    /// in flow style (whose entries get no comment).
    #[test]
    fn comments_the_fused_path_cannot_write_go_by_layers() {
        let doc = Document::parse(
            "on: push\njobs:\n  a:\n    runs-on: x\n    permissions: {contents: read}\n"
                .to_string(),
        )
        .unwrap();
        let style = || Style::measure(&doc);
        let set = |path: &str, value: Value| Op::Set {
            path: Path::parse(path).unwrap(),
            value,
            place: Place::default(),
        };
        let comment = |path: &str, text: &str| Op::Comment {
            path: Path::parse(path).unwrap(),
            text: text.into(),
        };
        let twice = vec![
            set("permissions", serde_json::json!({"contents": "read"})),
            comment("permissions.contents", "first"),
            comment("permissions.contents", "second"),
        ];
        let flow = vec![
            set("jobs.a.permissions.issues", Value::String("write".into())),
            comment("jobs.a.permissions.issues", "reason"),
        ];
        for (ops, want) in [
            (twice, "contents: read # second\n"),
            (flow, "{contents: read, issues: write}\n"),
        ] {
            assert!(apply_fused(&doc, &ops, &style).is_none());
            let done = apply(&doc, &ops).unwrap();
            assert!(done.text().contains(want), "{}", done.text());
        }
    }

    /// Writing a block's comments with it gives, byte for byte, what applying them as a later
    /// layer gives, on every fix of both corpora.
    #[test]
    fn comments_written_with_their_set_equal_the_layered_result() {
        let engine = crate::rules::engine::Engine::load(None).unwrap();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let (mut fused, mut batches) = (0, 0);
        for dir in ["../shared/corpus/workflows", "../shared/corpus-2/workflows"] {
            for entry in std::fs::read_dir(root.join(dir))
                .into_iter()
                .flatten()
                .flatten()
            {
                let Ok(text) = std::fs::read_to_string(entry.path()) else {
                    continue;
                };
                let Ok(doc) = Document::parse(text) else {
                    continue;
                };
                let repo = crate::rules::permissions::Repo::default();
                let findings = engine.check(&repo, "w.yml", &doc, &[]);
                // Each fix alone, and all of them whose paths do not nest as one batch.
                let mut batch: Vec<Op> = Vec::new();
                let mut all = Vec::new();
                for f in findings.iter().filter(|f| f.fixable()) {
                    all.push(f.ops.clone());
                    let clear = f.ops.iter().all(|op| {
                        batch
                            .iter()
                            .all(|b| !nested(b.path(), op.path()) || b.path() == op.path())
                    });
                    if clear {
                        batch.extend(f.ops.iter().cloned());
                    }
                }
                all.push(batch);
                let style = || Style::measure(&doc);
                for ops in all {
                    batches += 1;
                    let Some(one) = apply_fused(&doc, &ops, &style) else {
                        continue;
                    };
                    let layered = apply_layered(&doc, &ops, &style).unwrap();
                    assert_eq!(one.text(), layered.text(), "{}", entry.path().display());
                    fused += 1;
                }
            }
        }
        assert!(fused > 2000, "{fused} of {batches}");
    }

    /// Text added after a block scalar that ends the file without a line break must not give the
    /// scalar one: its header becomes `|-`, and verification (which reads such a scalar as the
    /// YAML spec does) accepts the result.
    #[test]
    fn appending_after_a_final_block_scalar_keeps_its_value() {
        for (header, want) in [("|", "|-"), ("|+", "|-"), (">", ">-"), ("|-", "|-")] {
            let text = format!("a:\n  run: {header}\n    echo hi");
            let doc = Document::parse(text).unwrap();
            let op = Op::Set {
                path: Path::parse("z").unwrap(),
                value: crate::cst::Value::from(1),
                place: Place::default(),
            };
            let edited = apply(&doc, &[op]).unwrap();
            assert_eq!(
                edited.text(),
                format!("a:\n  run: {want}\n    echo hi\nz: 1"),
                "{header}"
            );
        }
    }

    #[test]
    fn an_item_is_inserted_at_its_index() {
        let insert = |text: &str, path: &str| {
            let doc = Document::parse(text.to_string()).unwrap();
            let op = Op::Insert {
                path: Path::parse(path).unwrap(),
                value: serde_json::json!({"uses": "a/b@v1", "with": {"x": 1}}),
            };
            apply(&doc, &[op]).map(|d| d.text().to_string())
        };
        let steps = "steps:\n  # first\n  - run: a\n\n  - run: b\n";
        assert_eq!(
            insert(steps, "steps[0]").unwrap(),
            "steps:\n  - uses: a/b@v1\n    with:\n      x: 1\n  # first\n  - run: a\n\n  - run: b\n"
        );
        assert_eq!(
            insert(steps, "steps[1]").unwrap(),
            "steps:\n  # first\n  - run: a\n\n  - uses: a/b@v1\n    with:\n      x: 1\n\n  - run: b\n"
        );
        assert_eq!(
            insert(steps, "steps[2]").unwrap(),
            "steps:\n  # first\n  - run: a\n\n  - run: b\n\n  - uses: a/b@v1\n    with:\n      x: 1\n"
        );
        assert!(insert(steps, "steps[3]").is_err());
        assert!(insert("steps: [a]\n", "steps[0]").is_err());
    }

    #[test]
    fn a_key_is_renamed_in_place() {
        let rename = |text: &str, path: &str, to: &str| {
            let doc = Document::parse(text.to_string()).unwrap();
            let op = Op::RenameKey {
                path: Path::parse(path).unwrap(),
                to: to.to_string(),
            };
            apply(&doc, &[op]).map(|d| d.text().to_string())
        };
        assert_eq!(
            rename(
                "p:\n  content: read # keep\n  issues: write\n",
                "p.content",
                "contents"
            )
            .unwrap(),
            "p:\n  contents: read # keep\n  issues: write\n"
        );
        assert_eq!(
            rename(
                "p: { pull-request: write, a: 1 }\n",
                "p.pull-request",
                "pull-requests"
            )
            .unwrap(),
            "p: { pull-requests: write, a: 1 }\n"
        );
        // Renaming onto an existing key would merge two entries: refused.
        assert!(rename("p:\n  a: 1\n  b: 2\n", "p.a", "b").is_err());
        assert!(rename("p:\n  a: 1\n", "p.a", "b: c").is_err());
    }

    #[test]
    fn a_batch_in_layers_equals_one_operation_at_a_time() {
        let text = "jobs:\n  a:\n    runs-on: x\n  b:\n    runs-on: y\n  c: { runs-on: z }\n";
        let doc = Document::parse(text.to_string()).unwrap();
        let mut ops = Vec::new();
        for job in ["a", "b", "c"] {
            let block = Path::parse(&format!("jobs.{job}.permissions")).unwrap();
            ops.push(Op::Set {
                path: block.clone(),
                value: serde_json::json!({"contents": "read"}),
                place: Place::default(),
            });
            // A flow mapping has no line of its own for a comment.
            if job != "c" {
                ops.push(Op::Comment {
                    path: block.key("contents"),
                    text: format!("for {job}"),
                });
            }
        }
        ops.push(Op::Set {
            path: Path::parse("permissions").unwrap(),
            value: serde_json::json!({}),
            place: Place::default(),
        });
        let batched = apply(&doc, &ops).unwrap();
        let mut one_by_one = doc.clone();
        for op in &ops {
            one_by_one = apply(&one_by_one, std::slice::from_ref(op)).unwrap();
        }
        assert_eq!(batched.text(), one_by_one.text());
    }
}
