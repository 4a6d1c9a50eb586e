//! Parsing with tree-sitter-yaml and addressing nodes by path.
//!
//! A [`Document`] owns the source text and its concrete syntax tree. It never reformats: every
//! edit is a byte splice (see [`crate::cst::edit`]). Parsing refuses trees that contain ERROR or
//! MISSING nodes, and text that the YAML loader used for verification rejects, so that every
//! document ghfix edits is one it can also verify.

use std::cell::RefCell;

use std::sync::Arc;

use tree_sitter::{InputEdit, Node, Parser, Point, Tree};
use yaml_rust2::Yaml;

use crate::cst::path::{Path, Segment};
use crate::cst::scalar;

thread_local! {
    static PARSER: RefCell<Parser> = RefCell::new({
        let mut parser = Parser::new();
        parser
            .set_language(&tree_sitter_yaml::LANGUAGE.into())
            .expect("tree-sitter-yaml is compatible with the linked tree-sitter");
        parser
    });
}

/// Where an alias may start: a `*` at a node's start (the text inside scalars matches too, so the
/// syntax tree has the last word).
static ALIAS_START: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r#"(?m)(?:^[ \t]*|[:?\-][ \t]+|["']:[ \t]*|[\[{,][ \t]*)\*[^\s,\[\]{}]"#)
        .expect("valid regex")
});

/// Parses `text` with tree-sitter-yaml, reusing `old` for an incremental parse when given.
fn ts_parse(text: &str, old: Option<&Tree>) -> Tree {
    PARSER.with(|p| {
        p.borrow_mut()
            .parse(text, old)
            .expect("a parser with a language and no timeout always returns a tree")
    })
}

/// Parses `text` with bare tree-sitter and nothing else; the baseline for benchmarks.
pub fn parse_tree_only(text: &str) -> Tree {
    ts_parse(text, None)
}

/// Why a text is not a YAML document ghfix can edit, with a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{col}: {message}")]
pub struct ParseError {
    /// 1-based line of the first problem.
    pub line: usize,
    /// 1-based column (in characters) of the first problem.
    pub col: usize,
    /// What is wrong there, as a sentence (`invalid YAML: ...` for syntax errors, or the limit
    /// the text goes beyond).
    pub message: String,
}

/// A parsed YAML file: the text, kept byte for byte, and its concrete syntax tree.
#[derive(Clone)]
pub struct Document {
    text: String,
    tree: Tree,
    /// The meaning of the text as first parsed (one value per document), for verification.
    parsed: Arc<Vec<Yaml>>,
    /// Whether the current tree holds an alias, once asked (reset by every splice).
    aliased: std::sync::OnceLock<bool>,
}

/// The syntactic shape of a value node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `key: value` lines.
    BlockMapping,
    /// `{key: value, ...}`.
    FlowMapping,
    /// `- item` lines.
    BlockSequence,
    /// `[item, ...]`.
    FlowSequence,
    /// A plain, quoted or block scalar.
    Scalar,
    /// `*name`.
    Alias,
}

/// Where a path ends in the tree.
#[derive(Debug, Clone, Copy)]
pub enum Slot<'t> {
    /// The top-level value of a document.
    Root {
        /// The `document` node.
        doc: Node<'t>,
        /// Its value (`block_node` or `flow_node`), if any.
        value: Option<Node<'t>>,
    },
    /// A mapping entry.
    Entry {
        /// The `block_mapping_pair`, `flow_pair` or (for `{a}`) `flow_node`.
        pair: Node<'t>,
        /// The key node.
        key: Node<'t>,
        /// The value node, absent for `key:` with nothing after it.
        value: Option<Node<'t>>,
    },
    /// A sequence item.
    Item {
        /// The `block_sequence_item`, or the item's `flow_node` in a flow sequence.
        item: Node<'t>,
        /// Its value; absent for an empty `-`.
        value: Option<Node<'t>>,
    },
}

impl<'t> Slot<'t> {
    /// The value node of the slot (`block_node` / `flow_node`), if it has one.
    pub fn value(&self) -> Option<Node<'t>> {
        match *self {
            Slot::Root { value, .. } | Slot::Entry { value, .. } | Slot::Item { value, .. } => {
                value
            }
        }
    }

    /// The node that spans the whole slot (the pair, the item, or the document).
    pub fn node(&self) -> Node<'t> {
        match *self {
            Slot::Root { doc, .. } => doc,
            Slot::Entry { pair, .. } => pair,
            Slot::Item { item, .. } => item,
        }
    }
}

/// The result of following a path as far as it exists.
#[derive(Debug)]
pub enum Lookup<'t> {
    /// Every segment exists; the slot of the last one.
    Found(Slot<'t>),
    /// Segments from `depth` on do not exist; `slot` holds the deepest existing value.
    Missing {
        /// The deepest slot that exists.
        slot: Slot<'t>,
        /// How many segments of the path (after the document selector) exist.
        depth: usize,
    },
}

/// Why a path cannot be followed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// A segment walks through an alias; editing it would change the anchor's value.
    #[error(
        "`{path}` goes through the alias `{alias}` at line {line}; edit the anchored value instead"
    )]
    Alias {
        /// The path prefix up to the alias.
        path: String,
        /// The alias text (`*name`).
        alias: String,
        /// 1-based line of the alias.
        line: usize,
    },
    /// A key segment meets a sequence or scalar, or an index meets a mapping or scalar.
    #[error("`{path}` is a {found}, not a {wanted}")]
    Shape {
        /// The path prefix that has the wrong shape.
        path: String,
        /// What the path needs there.
        wanted: &'static str,
        /// What the document has there.
        found: &'static str,
    },
    /// The document selector names a document the file does not have.
    #[error("the file has {count} document(s); `@{index}` does not exist")]
    NoDocument {
        /// The requested document index.
        index: usize,
        /// How many documents the file has.
        count: usize,
    },
}

impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Document")
            .field("text", &self.text)
            .finish_non_exhaustive()
    }
}

impl Document {
    /// Parses `text`. Fails with the first ERROR or MISSING node's position, or with the YAML
    /// loader's complaint when tree-sitter accepts text that is not valid YAML.
    pub fn parse(text: String) -> Result<Document, ParseError> {
        // Limits first: tree-sitter-yaml aborts the process on deep nesting.
        crate::cst::load::precheck(&text)?;
        let tree = ts_parse(&text, None);
        let parsed = Arc::new(check_syntax(&text, &tree)?);
        Ok(Document {
            text,
            tree,
            parsed,
            aliased: std::sync::OnceLock::new(),
        })
    }

    /// [`Document::parse`] for a text the YAML loader has already read (after
    /// [`crate::cst::load::precheck`]) as `meaning`: the loader is not run again.
    pub fn with_meaning(text: String, meaning: Vec<Yaml>) -> Result<Document, ParseError> {
        let tree = ts_parse(&text, None);
        if tree.root_node().has_error() {
            return Document::parse(text);
        }
        Ok(Document {
            text,
            tree,
            parsed: Arc::new(meaning),
            aliased: std::sync::OnceLock::new(),
        })
    }

    /// The meaning of the text as it was when parsed: one value per YAML document.
    pub fn parsed(&self) -> &[Yaml] {
        &self.parsed
    }

    /// Records the meaning of the current text, once a batch of edits is verified.
    pub(crate) fn set_parsed(&mut self, parsed: Vec<Yaml>) {
        self.parsed = Arc::new(parsed);
    }

    /// The source text, byte for byte as read (BOM, CRLF and all).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Gives the text back, consuming the document.
    pub fn into_text(self) -> String {
        self.text
    }

    /// The concrete syntax tree.
    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    /// The source text of a node.
    pub fn node_text(&self, node: Node) -> &str {
        &self.text[node.byte_range()]
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, byte: usize) -> (usize, usize) {
        line_col(&self.text, byte)
    }

    /// The line ending the file uses: `\r\n` when its first line ends so, else `\n`.
    pub fn newline(&self) -> &'static str {
        match self.text.find('\n') {
            Some(i) if i > 0 && self.text.as_bytes()[i - 1] == b'\r' => "\r\n",
            _ => "\n",
        }
    }

    /// Replaces `range` with `replacement`, re-parsing incrementally. The result is not checked
    /// here: [`crate::cst::edit`] checks a whole batch before anything is written.
    pub fn splice(&mut self, range: std::ops::Range<usize>, replacement: &str) {
        self.splice_all(&[(range, replacement.to_string())]);
    }

    /// Replaces several ranges (ordered back to front, not overlapping) and re-parses once.
    pub fn splice_all(&mut self, splices: &[(std::ops::Range<usize>, String)]) {
        for (range, replacement) in splices {
            // One scan to the start; the ends follow from the text in between.
            let start_position = point(&self.text, range.start);
            let old_end_position = advance(start_position, &self.text[range.clone()]);
            let new_end_position = advance(start_position, replacement);
            self.text.replace_range(range.clone(), replacement);
            self.tree.edit(&InputEdit {
                start_byte: range.start,
                old_end_byte: range.end,
                new_end_byte: range.start + replacement.len(),
                start_position,
                old_end_position,
                new_end_position,
            });
        }
        self.tree = ts_parse(&self.text, Some(&self.tree));
        self.aliased = std::sync::OnceLock::new();
    }

    /// Whether the text holds an alias (`*name`) anywhere.
    pub fn has_aliases(&self) -> bool {
        *self.aliased.get_or_init(|| {
            // An alias is a `*` where a node starts: at a line's start, after `: `, `- `, `? `
            // or a flow indicator. Most workflows have none; a glob or a shell's `*` is elsewhere.
            self.text.contains('*') && ALIAS_START.is_match(&self.text) && {
                let mut aliases = Vec::new();
                collect_kind(self.tree.root_node(), "alias_name", &mut aliases);
                !aliases.is_empty()
            }
        })
    }

    /// Checks the current text as [`Document::parse`] does and returns its meaning.
    pub fn reload(&self) -> Result<Vec<Yaml>, ParseError> {
        crate::cst::load::precheck(&self.text)?;
        check_syntax(&self.text, &self.tree)
    }

    /// The `document` nodes of the stream, in order.
    pub fn documents(&self) -> Vec<Node<'_>> {
        let root = self.tree.root_node();
        let mut cursor = root.walk();
        root.named_children(&mut cursor)
            .filter(|n| n.kind() == "document")
            .collect()
    }

    /// The slot of document `index` (0-based).
    pub fn root(&self, index: usize) -> Result<Slot<'_>, PathError> {
        let docs = self.documents();
        let doc = *docs.get(index).ok_or(PathError::NoDocument {
            index,
            count: docs.len(),
        })?;
        let mut cursor = doc.walk();
        let value = doc
            .named_children(&mut cursor)
            .find(|n| matches!(n.kind(), "block_node" | "flow_node"));
        Ok(Slot::Root { doc, value })
    }

    /// Follows `path` as far as it exists.
    pub fn lookup(&self, path: &Path) -> Result<Lookup<'_>, PathError> {
        let mut slot = self.root(path.document)?;
        for (depth, segment) in path.segments.iter().enumerate() {
            let Some(value) = slot.value() else {
                return Ok(Lookup::Missing { slot, depth });
            };
            let (shape, content) = match self.content(value) {
                Some(c) => c,
                None => return Ok(Lookup::Missing { slot, depth }),
            };
            let prefix = || path.prefix(depth);
            if shape == Shape::Alias {
                return Err(PathError::Alias {
                    path: prefix(),
                    alias: self.node_text(content).to_string(),
                    line: self.line_col(content.start_byte()).0,
                });
            }
            let next = match segment {
                Segment::Key(key) => {
                    if !matches!(shape, Shape::BlockMapping | Shape::FlowMapping) {
                        if shape == Shape::Scalar && self.is_null_scalar(content) {
                            return Ok(Lookup::Missing { slot, depth });
                        }
                        return Err(PathError::Shape {
                            path: prefix(),
                            wanted: "mapping",
                            found: shape.name(),
                        });
                    }
                    self.entries(content)
                        .into_iter()
                        .find(|e| self.key_of(e).as_deref() == Some(key.as_str()))
                }
                Segment::Index(i) => {
                    if !matches!(shape, Shape::BlockSequence | Shape::FlowSequence) {
                        return Err(PathError::Shape {
                            path: prefix(),
                            wanted: "sequence",
                            found: shape.name(),
                        });
                    }
                    self.items(content).get(*i).copied()
                }
            };
            match next {
                Some(s) => slot = s,
                None => return Ok(Lookup::Missing { slot, depth }),
            }
        }
        Ok(Lookup::Found(slot))
    }

    /// The content of a value node (skipping anchor and tag) and its shape; `None` when the node
    /// holds only properties (`&a` with nothing after it).
    pub fn content<'t>(&self, value: Node<'t>) -> Option<(Shape, Node<'t>)> {
        let mut cursor = value.walk();
        let result = value.named_children(&mut cursor).find_map(|c| {
            let shape = match c.kind() {
                "block_mapping" => Shape::BlockMapping,
                "flow_mapping" => Shape::FlowMapping,
                "block_sequence" => Shape::BlockSequence,
                "flow_sequence" => Shape::FlowSequence,
                "plain_scalar" | "double_quote_scalar" | "single_quote_scalar" | "block_scalar" => {
                    Shape::Scalar
                }
                "alias" => Shape::Alias,
                _ => return None,
            };
            Some((shape, c))
        });
        result
    }

    /// Whether a scalar node is a plain `null`, `~` or similar.
    pub fn is_null_scalar(&self, scalar: Node) -> bool {
        scalar.kind() == "plain_scalar"
            && scalar
                .named_child(0)
                .is_some_and(|c| c.kind() == "null_scalar")
    }

    /// The entries of a mapping node (`block_mapping` or `flow_mapping`).
    pub fn entries<'t>(&self, mapping: Node<'t>) -> Vec<Slot<'t>> {
        let mut cursor = mapping.walk();
        mapping
            .named_children(&mut cursor)
            .filter_map(|pair| match pair.kind() {
                "block_mapping_pair" | "flow_pair" => Some(Slot::Entry {
                    pair,
                    key: pair.child_by_field_name("key")?,
                    value: pair.child_by_field_name("value"),
                }),
                "flow_node" => Some(Slot::Entry {
                    pair,
                    key: pair,
                    value: None,
                }),
                _ => None,
            })
            .collect()
    }

    /// The items of a sequence node (`block_sequence` or `flow_sequence`).
    pub fn items<'t>(&self, sequence: Node<'t>) -> Vec<Slot<'t>> {
        let mut cursor = sequence.walk();
        sequence
            .named_children(&mut cursor)
            .filter_map(|item| match item.kind() {
                "block_sequence_item" => {
                    let mut c = item.walk();
                    let value = item
                        .named_children(&mut c)
                        .find(|n| matches!(n.kind(), "block_node" | "flow_node"));
                    Some(Slot::Item { item, value })
                }
                "flow_node" => Some(Slot::Item {
                    item,
                    value: Some(item),
                }),
                "flow_pair" => Some(Slot::Item {
                    item,
                    value: Some(item),
                }),
                _ => None,
            })
            .collect()
    }

    /// The decoded key of an entry slot; `None` for other slots and for keys that are not
    /// scalars (a flow mapping used as a key).
    pub fn key_of(&self, slot: &Slot) -> Option<String> {
        let Slot::Entry { key, .. } = slot else {
            return None;
        };
        let (shape, content) = self.content(*key)?;
        (shape == Shape::Scalar).then(|| scalar::decode(content.kind(), self.node_text(content)))
    }
}

impl Shape {
    /// A word for messages.
    pub fn name(self) -> &'static str {
        match self {
            Shape::BlockMapping | Shape::FlowMapping => "mapping",
            Shape::BlockSequence | Shape::FlowSequence => "sequence",
            Shape::Scalar => "scalar",
            Shape::Alias => "alias",
        }
    }
}

/// Refuses trees with ERROR or MISSING nodes and text the verifying loader rejects; returns the
/// text's meaning. The text has passed [`crate::cst::load::precheck`].
fn check_syntax(text: &str, tree: &Tree) -> Result<Vec<Yaml>, ParseError> {
    let root = tree.root_node();
    if !root.has_error() {
        return crate::cst::verify::load(text, tree);
    }
    // The loader places most errors where they are; tree-sitter's recovery often wraps the
    // whole document in its ERROR node. Its position is used when the loader accepts the text.
    crate::cst::verify::load(text, tree)?;
    let bad = first_error(root).unwrap_or(root);
    let (line, col) = line_col(text, bad.start_byte());
    let message = if bad.is_missing() {
        format!("missing {}", bad.kind())
    } else {
        let snippet: String = text[bad.start_byte()..bad.end_byte()]
            .chars()
            .take(30)
            .take_while(|c| *c != '\n' && *c != '\r')
            .collect();
        if snippet.is_empty() {
            "unexpected syntax".to_string()
        } else {
            format!("unexpected `{snippet}`")
        }
    };
    Err(ParseError {
        line,
        col,
        message: format!("invalid YAML: {message}"),
    })
}

/// Every node of `kind` at or below `node` (not descending into matches).
pub fn collect_kind<'t>(node: Node<'t>, kind: &str, out: &mut Vec<Node<'t>>) {
    if node.kind() == kind {
        out.push(node);
        return;
    }
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        collect_kind(child, kind, out);
    }
}

fn first_error(node: Node) -> Option<Node> {
    if node.is_error() || node.is_missing() {
        return Some(node);
    }
    if !node.has_error() {
        return None;
    }
    let mut cursor = node.walk();
    let children: Vec<Node> = node.children(&mut cursor).collect();
    children.into_iter().find_map(first_error)
}

/// 1-based line and column (in characters) of byte offset `byte` of `text`.
pub fn line_col(text: &str, byte: usize) -> (usize, usize) {
    let byte = byte.min(text.len());
    let before = &text[..byte];
    let line = before.bytes().filter(|b| *b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..]
        .trim_start_matches('\u{feff}')
        .chars()
        .count()
        + 1;
    (line, col)
}

/// The point after `text` when it starts at `from`.
fn advance(from: Point, text: &str) -> Point {
    match text.rfind('\n') {
        Some(last) => Point {
            row: from.row + text.bytes().filter(|b| *b == b'\n').count(),
            column: text.len() - last - 1,
        },
        None => Point {
            row: from.row,
            column: from.column + text.len(),
        },
    }
}

fn point(text: &str, byte: usize) -> Point {
    advance(Point { row: 0, column: 0 }, &text[..byte])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(s: &str) -> Document {
        Document::parse(s.to_string()).unwrap()
    }

    #[test]
    fn invalid_yaml_reports_line_and_column() {
        let err = Document::parse("a: [1, 2\nb: c\n".to_string()).unwrap_err();
        assert!(err.line >= 1 && err.col >= 1, "{err}");
        assert!(err.to_string().contains("invalid YAML"));
    }

    #[test]
    fn lookup_follows_keys_indices_and_quoted_keys() {
        let d =
            doc("on: push\njobs:\n  b:\n    steps:\n      - uses: x\n        with: {\"a.b\": 1}\n");
        let p = Path::parse("jobs.b.steps[0].with.\"a.b\"").unwrap();
        let Lookup::Found(slot) = d.lookup(&p).unwrap() else {
            panic!()
        };
        assert_eq!(d.node_text(slot.value().unwrap()), "1");
        let p = Path::parse("on").unwrap();
        assert!(matches!(d.lookup(&p).unwrap(), Lookup::Found(_)));
        let p = Path::parse("jobs.b.permissions.contents").unwrap();
        assert!(matches!(
            d.lookup(&p).unwrap(),
            Lookup::Missing { depth: 2, .. }
        ));
    }

    #[test]
    fn lookup_refuses_aliases() {
        let d = doc("a: &x {b: 1}\nc: *x\n");
        let err = d.lookup(&Path::parse("c.b").unwrap()).unwrap_err();
        assert!(matches!(err, PathError::Alias { .. }), "{err}");
    }

    #[test]
    fn aliases_are_found_wherever_a_node_starts() {
        for text in [
            "a: &x 1\nc: *x\n",
            "a: &x 1\nc:\n  - *x\n",
            "a: &x 1\nc: [1,*x]\n",
            "a: &x 1\nc: {k: *x}\n",
            "a: &x 1\nc: [\n  *x\n]\n",
            "a: &x 1\nc: {\"k\":*x}\n",
            "a: &x 1\n? *x\n: 2\n",
        ] {
            assert!(doc(text).has_aliases(), "{text}");
        }
        let globs = "on:\n  push:\n    paths: ['**.md', docs/*]\n  schedule:\n    - cron: '0 * * * *'\njobs:\n  a:\n    steps:\n      - run: |\n          ls *.txt\n          case x in *) ;; esac\n";
        assert!(!doc(globs).has_aliases());
    }

    #[test]
    fn second_document_is_addressed_with_at() {
        let d = doc("a: 1\n---\na: 2\n");
        let Lookup::Found(slot) = d.lookup(&Path::parse("@1:a").unwrap()).unwrap() else {
            panic!()
        };
        assert_eq!(d.node_text(slot.value().unwrap()), "2");
    }

    #[test]
    fn line_col_skips_bom() {
        assert_eq!(line_col("\u{feff}ab\ncd", 4), (1, 2));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
    }
}
