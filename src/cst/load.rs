//! Reading YAML text safely: limits checked before any parser sees the text, and a loader whose
//! alias expansion is bounded.
//!
//! Every way into ghfix goes through here ([`load_text`] for the YAML loader alone,
//! [`crate::cst::Document::parse`] calls [`precheck`] before tree-sitter), so hostile input gets
//! a one-line error with a position instead of an abort, a hang or a memory blow-up.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};
use yaml_rust2::Yaml;

use crate::cst::document::{line_col, ParseError};

/// Deepest block nesting ghfix reads. tree-sitter-yaml keeps its indentation stack in a fixed
/// buffer of 253 entries and aborts the process beyond it; an indentation column can hold two
/// entries (a mapping and its indentless sequence), so 100 columns stay well inside.
pub const MAX_DEPTH: usize = 100;

/// Most lines ghfix reads: tree-sitter-yaml keeps the row in a signed 16-bit number and fails on
/// longer files.
pub const MAX_LINES: usize = 32_767;

/// Longest line ghfix reads, in characters: tree-sitter-yaml keeps the column in a signed 16-bit
/// number too.
pub const MAX_COLUMNS: usize = 32_767;

/// Largest file ghfix reads, in bytes.
pub const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// Nodes that alias expansion may add, whatever the size of the text.
const ALIAS_NODE_BUDGET: usize = 100_000;

/// Alias expansion may also add this many times the nodes written in the text ...
const ALIAS_NODE_RATIO: usize = 10;

/// ... but never more than this many nodes in all (about 100 MB of values).
const ALIAS_NODE_CAP: usize = 1_000_000;

fn error_at(text: &str, byte: usize, message: String) -> ParseError {
    let (line, col) = line_col(text, byte);
    ParseError { line, col, message }
}

/// Refuses text that a parser cannot be trusted with: characters YAML forbids (NUL and other
/// control characters), carriage returns not followed by a line feed, more lines than
/// [`MAX_LINES`] and block nesting deeper than [`MAX_DEPTH`].
pub fn precheck(text: &str) -> Result<(), ParseError> {
    // Most files hold no control character but tabs and line feeds: a branch-free pass tells,
    // and the rules on them run byte by byte only where there is one.
    let unusual = |chunk: &[u8]| {
        chunk.iter().fold(false, |odd, &b| {
            odd | ((b < 0x20) & (b != b'\t') & (b != b'\n')) | (b == 0x7f)
        })
    };
    if text.as_bytes().chunks(256).any(unusual) {
        control_characters(text)?;
    }
    if !text.is_ascii() {
        if let Some((i, c)) = text.char_indices().find(|(_, c)| !printable(*c)) {
            return Err(forbidden(text, i, c));
        }
    }
    lines(text)
}

/// Refuses control characters YAML forbids, and carriage returns not followed by a line feed.
fn control_characters(text: &str) -> Result<(), ParseError> {
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\r' if bytes.get(i + 1) != Some(&b'\n') => {
                return Err(error_at(
                    text,
                    i,
                    "not supported: a carriage return without a line feed (CR-only line \
                     endings); convert the file to LF or CRLF"
                        .into(),
                ));
            }
            b'\t' | b'\r' | b'\n' => {}
            0..=0x1f | 0x7f => return Err(forbidden(text, i, b as char)),
            _ => {}
        }
    }
    Ok(())
}

fn forbidden(text: &str, at: usize, c: char) -> ParseError {
    error_at(
        text,
        at,
        format!(
            "invalid YAML: the character U+{:04X} is not allowed",
            c as u32
        ),
    )
}

/// Refuses `line` (the 0-based line `number`) when it is longer than [`MAX_COLUMNS`]
/// characters.
fn long_line(line: &str, number: usize) -> Result<(), ParseError> {
    // Bytes bound characters from above: count characters only for long lines.
    if line.len() > MAX_COLUMNS && line.chars().count() > MAX_COLUMNS {
        return Err(ParseError {
            line: number + 1,
            col: MAX_COLUMNS + 1,
            message: format!(
                "too large: the line is {} characters long and ghfix reads at most {MAX_COLUMNS} \
                 (a limit of its YAML syntax tree)",
                line.chars().count()
            ),
        });
    }
    Ok(())
}

/// Whether YAML allows `c` in a stream (the spec's c-printable set).
fn printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

/// Refuses lines longer than [`MAX_COLUMNS`], more lines than [`MAX_LINES`], and block nesting
/// deeper than [`MAX_DEPTH`], in one pass over the lines. The nesting is an over-estimate of the
/// parser's indentation stack: every line opens a level at its indentation and at each compact
/// `- `/`? `/`key: ` on it; a line less indented closes the levels beyond it. Lines inside a
/// block scalar (`|`, `>`) are skipped.
fn lines(text: &str) -> Result<(), ParseError> {
    let mut stack: Vec<usize> = Vec::new();
    let mut block_scalar: Option<usize> = None;
    let mut offset = 0;
    let mut count = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        long_line(body, count)?;
        count += 1;
        if count > MAX_LINES {
            return Err(ParseError {
                line: MAX_LINES + 1,
                col: 1,
                message: format!(
                    "too large: the file has {} lines and ghfix reads at most {MAX_LINES} (a \
                     limit of its YAML syntax tree)",
                    text.split_inclusive('\n').count()
                ),
            });
        }
        let indent = body.len() - body.trim_start_matches(' ').len();
        let rest = &body[indent..];
        if rest.is_empty() || rest.starts_with('#') {
            continue;
        }
        if let Some(parent) = block_scalar {
            if indent > parent {
                continue;
            }
            block_scalar = None;
        }
        while stack.last().is_some_and(|top| *top > indent) {
            stack.pop();
        }
        if stack.last() != Some(&indent) {
            stack.push(indent);
        }
        // Compact nested collections on one line (`- - a`, `- key: value`, `? - a`) open a
        // level at each indicator's content.
        let mut col = indent;
        let mut s = rest;
        loop {
            let step = if s.starts_with("- ") || s.starts_with("? ") || s.starts_with(": ") {
                2
            } else {
                break;
            };
            let after = &s[step..];
            let spaces = after.len() - after.trim_start_matches([' ', '\t']).len();
            col += step + spaces;
            s = &after[spaces..];
            if s.is_empty() || stack.len() > MAX_DEPTH {
                break;
            }
            stack.push(col);
        }
        if stack.len() > MAX_DEPTH {
            return Err(error_at(
                text,
                start + col,
                format!("too deep: block nesting deeper than {MAX_DEPTH} levels is not supported"),
            ));
        }
        // A block scalar's header ends the line, or comes before a comment.
        let end = s.trim_end();
        let may_open = end.bytes().any(|b| b == b'#')
            || matches!(
                end.as_bytes().last(),
                Some(b'|' | b'>' | b'+' | b'-' | b'1'..=b'9')
            );
        if !may_open {
            continue;
        }
        let trimmed = s.split(" #").next().unwrap_or(s).trim_end();
        let header = trimmed.rsplit([' ', ':']).next().unwrap_or("");
        if header.starts_with(['|', '>'])
            && header[1..]
                .chars()
                .all(|c| matches!(c, '+' | '-' | '1'..='9'))
        {
            block_scalar = Some(indent);
        }
    }
    Ok(())
}

/// Loads every document of `text` (a leading BOM is ignored) after [`precheck`], with bounded
/// alias expansion and duplicate keys reported at the key.
pub fn load_text(text: &str) -> Result<Vec<Yaml>, ParseError> {
    precheck(text)?;
    load_prechecked(text)
}

/// [`load_text`], also giving where each node starts: what places a finding without a second
/// read of the text.
pub fn load_marked(text: &str) -> Result<(Vec<Yaml>, Marks), ParseError> {
    precheck(text)?;
    let mut loader = Loader {
        marks: Some(Marks::default()),
        ..Loader::default()
    };
    let docs = run_loader(text, &mut loader)?;
    Ok((docs, loader.marks.unwrap_or_default()))
}

/// Where the nodes of a loaded stream start, in the order a pre-order walk of the loaded values
/// meets them (a key before its value). A node an alias copied in starts at the alias.
#[derive(Debug, Default)]
pub struct Marks {
    /// 1-based line and 0-based column of each node.
    starts: Vec<(u32, u32)>,
    /// The index in `starts` of each document's root.
    documents: Vec<usize>,
}

impl Marks {
    /// The 1-based line and column of node `index` (in pre-order) of document `document`.
    pub fn start(&self, document: usize, index: usize) -> Option<(usize, usize)> {
        let first = *self.documents.get(document)?;
        let (line, col) = *self.starts.get(first + index)?;
        Some((line as usize, col as usize + 1))
    }

    fn push(&mut self, mark: Marker, count: usize) {
        // Lines and columns fit: precheck bounds both by 32,767.
        let at = (mark.line() as u32, mark.col() as u32);
        self.starts.extend(std::iter::repeat_n(at, count));
    }
}

/// [`load_text`] for a text that already passed [`precheck`].
pub(crate) fn load_prechecked(text: &str) -> Result<Vec<Yaml>, ParseError> {
    run_loader(text, &mut Loader::default())
}

fn run_loader(text: &str, loader: &mut Loader) -> Result<Vec<Yaml>, ParseError> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let result = Parser::new_from_str(body).load(loader, true);
    if loader.last_block && result.is_ok() && ends_in_content(body) {
        // A block scalar that runs to the end of a file without a final line break has no line
        // break to keep: the YAML spec reads `|` there as `|-`; yaml-rust2 adds one.
        if let Some(Yaml::String(s)) = loader.docs.last_mut().map(last_leaf) {
            if s.ends_with('\n') {
                s.pop();
            }
        }
    }
    // The loader counts columns from 0 and does not see the BOM.
    let position = |m: Marker| (m.line(), m.col() + 1);
    if let Some((mark, message)) = loader.error.take() {
        let (line, col) = position(mark);
        return Err(ParseError { line, col, message });
    }
    match result {
        Ok(()) => Ok(std::mem::take(&mut loader.docs)),
        Err(e) => {
            let (line, col) = position(*e.marker());
            Err(ParseError {
                line,
                col,
                message: format!("invalid YAML: {}", sentence(e.info())),
            })
        }
    }
}

/// Whether `body` ends without a line break, in a line of content (not blank, not a comment).
fn ends_in_content(body: &str) -> bool {
    let last = body.rsplit('\n').next().unwrap_or("").trim();
    !body.ends_with('\n') && !last.is_empty() && !last.starts_with('#')
}

/// The value written last in a document.
fn last_leaf(node: &mut Yaml) -> &mut Yaml {
    let is_leaf = match node {
        Yaml::Array(items) => items.is_empty(),
        Yaml::Hash(map) => map.is_empty(),
        _ => true,
    };
    if is_leaf {
        return node;
    }
    match node {
        Yaml::Array(items) => last_leaf(items.last_mut().expect("not empty")),
        Yaml::Hash(map) => last_leaf(map.values_mut().last().expect("not empty")),
        _ => unreachable!("leaves returned above"),
    }
}

/// The scanner's messages as a sentence a user can act on.
fn sentence(info: &str) -> String {
    match info {
        "recursion limit exceeded" => "flow collections nest too deep".into(),
        other => other.to_string(),
    }
}

/// A YAML loader (events to [`Yaml`] values) that counts the nodes alias expansion adds and
/// stops at a budget, and reports duplicate keys at the duplicate.
#[derive(Default)]
struct Loader {
    docs: Vec<Yaml>,
    /// Open collections: value, anchor id, and for mappings the pending key with its position.
    stack: Vec<Open>,
    anchors: HashMap<usize, (Yaml, usize)>,
    /// Nodes read from the text.
    written: usize,
    /// Nodes copied in by aliases.
    expanded: usize,
    /// Whether the last event was a block scalar (`|` or `>`).
    last_block: bool,
    error: Option<(Marker, String)>,
    /// Where nodes start, when asked for.
    marks: Option<Marks>,
}

struct Open {
    value: Yaml,
    anchor: usize,
    key: Option<(Yaml, Marker)>,
    /// Nodes inside, counting expanded aliases.
    size: usize,
}

impl MarkedEventReceiver for Loader {
    fn on_event(&mut self, event: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        self.last_block = matches!(
            event,
            Event::Scalar(_, TScalarStyle::Literal | TScalarStyle::Folded, ..)
        ) || (self.last_block
            && matches!(
                event,
                Event::SequenceEnd | Event::MappingEnd | Event::DocumentEnd | Event::StreamEnd
            ));
        if let Some(marks) = &mut self.marks {
            match &event {
                Event::SequenceStart(..) | Event::MappingStart(..) | Event::Scalar(..) => {
                    marks.push(mark, 1);
                }
                Event::Alias(id) => {
                    let size = self.anchors.get(id).map_or(1, |(_, size)| *size);
                    marks.push(mark, size);
                }
                Event::DocumentStart => marks.documents.push(marks.starts.len()),
                _ => {}
            }
        }
        match event {
            Event::SequenceStart(anchor, _) => self.open(Yaml::Array(Vec::new()), anchor),
            Event::MappingStart(anchor, _) => self.open(Yaml::Hash(Default::default()), anchor),
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(open) = self.stack.pop() {
                    self.insert(open.value, open.anchor, open.size, mark);
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.written += 1;
                self.insert(scalar(text, style, tag.as_ref()), anchor, 1, mark);
            }
            Event::Alias(id) => {
                let (value, size) = self
                    .anchors
                    .get(&id)
                    .cloned()
                    .unwrap_or((Yaml::BadValue, 1));
                self.expanded += size;
                let budget =
                    (ALIAS_NODE_BUDGET + ALIAS_NODE_RATIO * self.written).min(ALIAS_NODE_CAP);
                if self.expanded > budget {
                    self.error = Some((
                        mark,
                        format!(
                            "too large: aliases expand to more than {budget} nodes (an alias bomb?)"
                        ),
                    ));
                    return;
                }
                self.insert(value, 0, size, mark);
            }
            Event::DocumentStart => self.anchors.clear(),
            Event::DocumentEnd => {
                let doc = self.stack.pop().map_or(Yaml::BadValue, |o| o.value);
                self.docs.push(doc);
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd => {}
        }
    }
}

impl Loader {
    fn open(&mut self, value: Yaml, anchor: usize) {
        self.written += 1;
        self.stack.push(Open {
            value,
            anchor,
            key: None,
            size: 1,
        });
    }

    fn insert(&mut self, node: Yaml, anchor: usize, size: usize, mark: Marker) {
        if anchor > 0 {
            self.anchors.insert(anchor, (node.clone(), size));
        }
        let Some(parent) = self.stack.last_mut() else {
            // The document's root value: kept until DocumentEnd.
            self.stack.push(Open {
                value: node,
                anchor: 0,
                key: None,
                size,
            });
            return;
        };
        parent.size += size;
        match &mut parent.value {
            Yaml::Array(items) => items.push(node),
            Yaml::Hash(map) => match parent.key.take() {
                None => parent.key = Some((node, mark)),
                Some((key, at)) => {
                    if map.contains_key(&key) {
                        let shown = crate::cst::verify::key_text(&key)
                            .unwrap_or_else(|| "a collection".into());
                        self.error = Some((
                            at,
                            format!("invalid YAML: duplicate key `{shown}` in a mapping"),
                        ));
                        return;
                    }
                    map.insert(key, node);
                }
            },
            _ => {}
        }
    }
}

/// A scalar's value under the YAML core schema, as the loader used by GitHub reads it.
fn scalar(text: String, style: TScalarStyle, tag: Option<&Tag>) -> Yaml {
    if style != TScalarStyle::Plain {
        return Yaml::String(text);
    }
    let Some(tag) = tag.filter(|t| t.handle == "tag:yaml.org,2002:") else {
        return if tag.is_some() {
            Yaml::String(text)
        } else {
            Yaml::from_str(&text)
        };
    };
    match tag.suffix.as_str() {
        "bool" => match text.as_str() {
            "true" | "True" | "TRUE" => Yaml::Boolean(true),
            "false" | "False" | "FALSE" => Yaml::Boolean(false),
            _ => Yaml::BadValue,
        },
        "int" => text.parse().map_or(Yaml::BadValue, Yaml::Integer),
        "float" => match Yaml::from_str(&text) {
            Yaml::Real(_) | Yaml::Integer(_) => Yaml::Real(text),
            _ => Yaml::BadValue,
        },
        "null" => match text.as_str() {
            "~" | "null" => Yaml::Null,
            _ => Yaml::BadValue,
        },
        _ => Yaml::String(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> ParseError {
        load_text(text).unwrap_err()
    }

    #[test]
    fn loads_like_the_library_loader() {
        for text in [
            "a: 1\nb: [x, 'y', 2.5, true, ~]\nc: &a {d: e}\nf: *a\n",
            "- !!str 1\n- !!int 2\n- !custom x\n---\nsecond: doc\n",
            "",
            "# only a comment\n",
            "k: |\n  text\n",
        ] {
            let ours = load_text(text).unwrap();
            let theirs = yaml_rust2::YamlLoader::load_from_str(text).unwrap();
            assert_eq!(ours, theirs, "{text:?}");
        }
    }

    #[test]
    fn block_scalar_at_the_end_without_a_line_break_has_none() {
        for (text, want) in [
            ("k: |\n  a\n  b", "a\nb"),
            ("k: |+\n  a", "a"),
            ("k: >\n  a\n  b", "a b"),
            ("k: |\n  a\n", "a\n"),
            ("k: |\n  a\n# c", "a\n"),
            ("- |\n  a", "a"),
        ] {
            let docs = load_text(text).unwrap();
            let got = match &docs[0] {
                Yaml::Hash(h) => h.values().next().unwrap().clone(),
                Yaml::Array(a) => a[0].clone(),
                _ => unreachable!(),
            };
            assert_eq!(got, Yaml::String(want.into()), "{text:?}");
        }
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut text = "a: &a [x, x, x, x, x, x, x, x, x]\n".to_string();
        let mut prev = 'a';
        for name in 'b'..='j' {
            text.push_str(&format!(
                "{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
            prev = name;
        }
        let e = err(&text);
        assert!(e.message.contains("alias"), "{e}");
        assert_eq!(e.line, 6, "{e}");
    }

    #[test]
    fn duplicate_key_is_reported_at_the_key() {
        let e = err("env:\n  A: 1\nenv:\n  B: 2\n");
        assert_eq!((e.line, e.col), (3, 1), "{e}");
        assert_eq!(e.message, "invalid YAML: duplicate key `env` in a mapping");
    }

    #[test]
    fn forbidden_characters_and_line_endings() {
        let e = err("a: b\nc: d\0\n");
        assert_eq!((e.line, e.col), (2, 5));
        assert!(e.message.contains("U+0000"), "{e}");
        let e = err("a: b\rc: d\r");
        assert_eq!((e.line, e.col), (1, 5));
        assert!(e.message.contains("CR-only"), "{e}");
        assert!(load_text("a: b\r\nc: d\r\n").is_ok());
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let deep: String = (0..150).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        let e = err(&deep);
        assert!(e.message.contains("nesting deeper"), "{e}");
        let compact = format!("x:\n  {}v\n", "- ".repeat(150));
        assert!(err(&compact).message.contains("nesting deeper"));
        let fine: String = (0..60).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        assert!(load_text(&fine).is_ok());
    }

    #[test]
    fn block_scalar_content_is_not_nesting() {
        let mut text = "run: |\n".to_string();
        for i in 0..150 {
            text.push_str(&format!("  {}x\n", " ".repeat(i)));
        }
        text.push_str("next: 1\n");
        assert!(load_text(&text).is_ok());
    }

    #[test]
    fn too_many_lines_is_a_clear_limit() {
        let text = "a: 1\n".repeat(MAX_LINES + 1);
        let e = err(&text);
        assert!(e.message.contains("at most 32767"), "{e}");
    }
}
