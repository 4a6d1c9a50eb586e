//! The file's own style, measured from its text, and rendering of new values in that style.

use tree_sitter::Node;

use crate::cst::document::Document;
use crate::cst::scalar::{self, Quote};
use crate::cst::Value;

/// How the file lays out block collections and quotes strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Columns between a key and the keys of its nested mapping.
    pub indent: usize,
    /// Columns between a key and the `-` of its sequence value (0 for indentless sequences).
    pub seq_indent: usize,
    /// Columns between a `-` and the item's content.
    pub item_offset: usize,
    /// The quote style the file uses most for strings that need quotes.
    pub quote: Quote,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            indent: 2,
            seq_indent: 2,
            item_offset: 2,
            quote: Quote::Single,
        }
    }
}

/// Column (in bytes) of `byte` within its line.
pub fn column(text: &str, byte: usize) -> usize {
    let line_start = text[..byte].rfind('\n').map_or(0, |i| i + 1);
    let bom = if line_start == 0 && text.starts_with('\u{feff}') {
        3
    } else {
        0
    };
    byte - line_start - bom.min(byte)
}

impl Style {
    /// Measures the style of `doc`: the first nested block mapping, block sequence and sequence
    /// item with a mapping give the widths; quoted scalars vote on the quote style.
    pub fn measure(doc: &Document) -> Style {
        let mut found = Measured::default();
        walk(doc, doc.tree().root_node(), &mut found);
        let default = Style::default();
        Style {
            indent: found.indent.unwrap_or(default.indent),
            seq_indent: found
                .seq_indent
                .unwrap_or(found.indent.unwrap_or(default.seq_indent)),
            item_offset: found.item_offset.unwrap_or(default.item_offset),
            quote: if found.double > found.single {
                Quote::Double
            } else {
                Quote::Single
            },
        }
    }

    /// The style with the indentation measured at a particular mapping, when it can be.
    pub fn with_indent(self, indent: Option<usize>) -> Style {
        match indent {
            Some(indent) if indent > 0 => Style {
                indent,
                seq_indent: if self.seq_indent == 0 { 0 } else { indent },
                ..self
            },
            _ => self,
        }
    }
}

#[derive(Default)]
struct Measured {
    indent: Option<usize>,
    seq_indent: Option<usize>,
    item_offset: Option<usize>,
    single: usize,
    double: usize,
}

fn walk(doc: &Document, node: Node, found: &mut Measured) {
    let text = doc.text();
    match node.kind() {
        "block_mapping_pair" => {
            if let (Some(key), Some(value)) = (
                node.child_by_field_name("key"),
                node.child_by_field_name("value"),
            ) {
                let key_col = column(text, key.start_byte());
                if let Some((_, content)) = doc.content(value) {
                    let col = column(text, content.start_byte());
                    let own_line = text[key.end_byte()..content.start_byte()].contains('\n');
                    match content.kind() {
                        "block_mapping" if found.indent.is_none() && col > key_col => {
                            found.indent = Some(col - key_col)
                        }
                        "block_sequence" if found.seq_indent.is_none() && own_line => {
                            found.seq_indent = Some(col.saturating_sub(key_col))
                        }
                        _ => {}
                    }
                }
            }
        }
        "block_sequence_item" if found.item_offset.is_none() => {
            let mut cursor = node.walk();
            let value = node
                .named_children(&mut cursor)
                .find(|n| n.kind() == "block_node");
            if let Some((_, content)) = value.and_then(|v| doc.content(v)) {
                let dash = node.start_byte();
                if content.kind() == "block_mapping"
                    && !text[dash..content.start_byte()].contains('\n')
                {
                    found.item_offset = Some(content.start_byte() - dash);
                }
            }
        }
        "single_quote_scalar" => found.single += 1,
        "double_quote_scalar" => found.double += 1,
        _ => {}
    }
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        if found.complete() {
            return;
        }
        walk(doc, child, found);
    }
}

impl Measured {
    /// Every width is known and enough quoted scalars have voted: the rest of the file can
    /// only confirm.
    fn complete(&self) -> bool {
        self.indent.is_some()
            && self.seq_indent.is_some()
            && self.item_offset.is_some()
            && self.single + self.double >= 16
    }
}

fn pad(out: &mut String, col: usize) {
    out.extend(std::iter::repeat_n(' ', col));
}

/// Renders a mapping key.
pub fn key(k: &str) -> String {
    if scalar::plain_ok(k, true) || matches!(k, "on" | "yes" | "no" | "y" | "n" | "off") {
        k.to_string()
    } else {
        scalar::render(k, Quote::Single, true)
    }
}

/// Renders a scalar value inline (not as a block scalar).
pub fn inline_scalar(value: &Value, quote: Quote, flow: bool) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => scalar::render_new(s, quote, flow),
        Value::Array(_) | Value::Object(_) => flow_value(value, quote),
    }
}

/// Renders a value in flow style: `{a: 1, b: [x, y]}`.
pub fn flow_value(value: &Value, quote: Quote) -> String {
    match value {
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|v| flow_value(v, quote))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{}: {}", key(k), flow_value(v, quote)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::String(s) => scalar::render_new(s, quote, true),
        _ => inline_scalar(value, quote, true),
    }
}

/// Renders what follows `key:` or `- ` for `value` whose parent line is at column `col`:
/// ` scalar`, ` |` plus an indented block, or a newline plus nested lines. Every line written
/// ends with `\n`.
pub fn after_indicator(out: &mut String, value: &Value, col: usize, style: &Style, item: bool) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            if item {
                pad(out, style.item_offset.max(2) - 1);
                block_mapping(out, map, col + style.item_offset.max(2), style, true);
            } else {
                out.push('\n');
                block_mapping(out, map, col + style.indent, style, false);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            if item {
                pad(out, style.item_offset.max(2) - 1);
                block_sequence(out, items, col + style.item_offset.max(2), style, true);
            } else {
                out.push('\n');
                block_sequence(out, items, col + style.seq_indent, style, false);
            }
        }
        Value::String(s) if block_ok(s) => {
            block_scalar(out, s, col + style.indent);
        }
        _ => {
            out.push(' ');
            out.push_str(&inline_scalar(value, style.quote, false));
            out.push('\n');
        }
    }
}

/// Whether `s` reads back unchanged from a literal block scalar with no indentation indicator.
fn block_ok(s: &str) -> bool {
    s.contains('\n')
        && !s.starts_with([' ', '\t', '\n'])
        && !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
        && s.split('\n').all(|l| l.is_empty() || !l.trim().is_empty())
}

/// Writes `s` as a literal block scalar whose lines sit at column `col`.
fn block_scalar(out: &mut String, s: &str, col: usize) {
    let body = s.trim_end_matches('\n');
    let trailing = s.len() - body.len();
    let chomp = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    out.push_str(" |");
    out.push_str(chomp);
    out.push('\n');
    for line in body.split('\n') {
        if !line.is_empty() {
            pad(out, col);
            out.push_str(line);
        }
        out.push('\n');
    }
    for _ in 1..trailing {
        out.push('\n');
    }
}

/// Writes the entries of a block mapping at column `col`; the first one without indentation
/// when `inline_first` (it follows `- ` on the same line).
pub fn block_mapping(
    out: &mut String,
    map: &serde_json::Map<String, Value>,
    col: usize,
    style: &Style,
    inline_first: bool,
) {
    for (n, (k, v)) in map.iter().enumerate() {
        if n > 0 || !inline_first {
            pad(out, col);
        }
        entry(out, k, v, col, style);
    }
}

/// Writes `key: value` (without indentation) for a key at column `col`.
pub fn entry(out: &mut String, k: &str, v: &Value, col: usize, style: &Style) {
    out.push_str(&key(k));
    out.push(':');
    after_indicator(out, v, col, style, false);
}

/// Writes the items of a block sequence at column `col`.
pub fn block_sequence(
    out: &mut String,
    items: &[Value],
    col: usize,
    style: &Style,
    inline_first: bool,
) {
    for (n, v) in items.iter().enumerate() {
        if n > 0 || !inline_first {
            pad(out, col);
        }
        out.push('-');
        after_indicator(out, v, col, style, true);
    }
}

/// Converts `\n` line ends to `newline`.
pub fn with_newline(s: String, newline: &str) -> String {
    if newline == "\n" {
        s
    } else {
        s.replace('\n', newline)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_nested_block_values() {
        let style = Style {
            indent: 4,
            seq_indent: 0,
            item_offset: 2,
            quote: Quote::Single,
        };
        let mut out = String::new();
        entry(
            &mut out,
            "p",
            &json!({"a": "on", "s": [{"run": "make", "x": 1}], "e": {}}),
            0,
            &style,
        );
        assert_eq!(
            out,
            "p:\n    a: 'on'\n    s:\n    - run: make\n      x: 1\n    e: {}\n"
        );
    }

    #[test]
    fn renders_block_scalars_with_chomping() {
        let mut out = String::new();
        entry(&mut out, "run", &json!("a\nb"), 0, &Style::default());
        assert_eq!(out, "run: |-\n  a\n  b\n");
        let mut out = String::new();
        entry(&mut out, "run", &json!("a\n\nb\n"), 2, &Style::default());
        assert_eq!(out, "run: |\n    a\n\n    b\n");
    }

    #[test]
    fn flow_values_quote_flow_indicators() {
        assert_eq!(
            flow_value(&json!({"a": ["x,y", 1]}), Quote::Single),
            "{a: ['x,y', 1]}"
        );
    }
}
