//! Reading and writing YAML scalars: decoding keys, and choosing a quote style for new values so
//! that they read back as exactly the intended value.

use std::sync::LazyLock;

use regex::Regex;
use yaml_rust2::{Yaml, YamlLoader};

/// Decodes the source text of a scalar node of tree-sitter kind `kind`.
pub fn decode(kind: &str, text: &str) -> String {
    match kind {
        "single_quote_scalar" => {
            fold(text[1..text.len().saturating_sub(1).max(1)].replace("''", "'"))
        }
        "double_quote_scalar" => fold(unescape(&text[1..text.len().saturating_sub(1).max(1)])),
        _ => fold(text.to_string()),
    }
}

/// Folds a multi-line flow scalar: line breaks and the spaces around them become one space.
fn fold(s: String) -> String {
    if !s.contains('\n') {
        return s;
    }
    s.split('\n')
        .map(|l| l.trim_matches([' ', '\t', '\r']))
        .collect::<Vec<_>>()
        .join(" ")
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let hex = |chars: &mut std::str::Chars, n: usize| {
            let digits: String = chars.take(n).collect();
            u32::from_str_radix(&digits, 16)
                .ok()
                .and_then(char::from_u32)
        };
        let decoded = match chars.next() {
            Some('n') => Some('\n'),
            Some('t') => Some('\t'),
            Some('r') => Some('\r'),
            Some('0') => Some('\0'),
            Some('x') => hex(&mut chars, 2),
            Some('u') => hex(&mut chars, 4),
            Some('U') => hex(&mut chars, 8),
            Some(other) => Some(other),
            None => None,
        };
        out.extend(decoded);
    }
    out
}

/// How a new scalar is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quote {
    /// No quotes, when the text reads back as the same string.
    Plain,
    /// `'...'`.
    Single,
    /// `"..."`.
    Double,
}

/// Words that YAML 1.1 readers take as booleans: quoted for every reader's sake.
const YAML11_BOOLEANS: &[&str] = &[
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off",
    "OFF",
];

/// Characters written escaped in double quotes: control characters, and the line and paragraph
/// separators, next-line and byte-order mark, which YAML 1.1 readers take as line breaks or strip.
fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}' | '\u{feff}')
}

/// Plain scalars that YAML 1.1 readers (still common) read as something other than a string:
/// numbers with underscores, `0b`/`0o`/sexagesimal forms, timestamps, the merge key `<<` and `=`.
/// Anything that looks like a number or a date is quoted.
static YAML11_TYPED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[-+]?\.?[0-9][0-9A-Za-z_:.+\- ]*|<<|=|\.(?:inf|Inf|INF|nan|NaN|NAN))$")
        .expect("valid regex")
});

/// Whether `s` can be written plain in a block (`flow == false`) or flow context and read back as
/// the string `s`.
pub fn plain_ok(s: &str, flow: bool) -> bool {
    if s.is_empty()
        || YAML11_TYPED.is_match(s)
        || s != s.trim()
        || s.contains(['\n', '\r', '\t'])
        || s.contains(": ")
        || s.ends_with(':')
        || s.contains(" #")
        || YAML11_BOOLEANS.contains(&s)
        || s.starts_with([
            '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%',
            '@', '`',
        ]) && !(s.len() > 1 && s.starts_with(['-', '?', ':']) && !s[1..].starts_with(' '))
        || (flow && s.contains([',', '[', ']', '{', '}']))
        || s.chars().any(needs_escape)
    {
        return false;
    }
    matches!(YamlLoader::load_from_str(&format!("k: {s}")).as_deref(),
        Ok([Yaml::Hash(h)]) if h.values().next() == Some(&Yaml::String(s.to_string())))
}

/// Writes `s` as a scalar, preferring `preferred` where it can represent `s`.
pub fn render(s: &str, preferred: Quote, flow: bool) -> String {
    let plain = plain_ok(s, flow);
    match preferred {
        Quote::Plain if plain => s.to_string(),
        Quote::Double => double(s),
        _ if single_ok(s) => format!("'{}'", s.replace('\'', "''")),
        _ => double(s),
    }
}

/// Writes a new string: plain where it reads back unchanged, else in the file's `quote` style.
pub fn render_new(s: &str, quote: Quote, flow: bool) -> String {
    if plain_ok(s, flow) {
        s.to_string()
    } else {
        render(s, quote, flow)
    }
}

/// Whether single quotes can hold `s` on one line.
pub fn single_ok(s: &str) -> bool {
    !s.chars().any(needs_escape)
}

fn double(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_what_yaml_would_misread() {
        for s in [
            "on",
            "yes",
            "No",
            "*x",
            "a: b",
            "{a",
            "true",
            "null",
            "~",
            "1",
            "1.5",
            "0x1F",
            "",
            " a",
            "a #b",
            "- x",
            "#c",
            "@x",
            "`x",
            "!t",
            "%x",
            "a:",
            "2024-01-31",
            "1_000",
            "0b101",
            "1:30",
            "<<",
            "=",
            "18.x",
            "a\u{2028}b",
            "a\u{85}",
            "\u{feff}x",
        ] {
            assert!(!plain_ok(s, false), "{s:?} must be quoted");
        }
        for s in [
            "read",
            "ubuntu-latest",
            "${{ github.token }}",
            "a:b",
            "-x",
            "x-y",
            "./a",
        ] {
            assert!(plain_ok(s, false), "{s:?} can stay plain");
        }
        assert!(!plain_ok("a,b", true));
        assert!(plain_ok("a,b", false));
    }

    #[test]
    fn renders_in_the_preferred_style_when_possible() {
        assert_eq!(render("read", Quote::Plain, false), "read");
        assert_eq!(render("on", Quote::Plain, false), "'on'");
        assert_eq!(render("it's", Quote::Single, false), "'it''s'");
        assert_eq!(render("a\nb", Quote::Single, false), "\"a\\nb\"");
        assert_eq!(render("x", Quote::Double, false), "\"x\"");
        assert_eq!(
            render("a\u{2028}b\u{feff}", Quote::Single, false),
            "\"a\\u2028b\\ufeff\""
        );
    }

    #[test]
    fn decodes_keys() {
        assert_eq!(decode("double_quote_scalar", r#""a\"b\u0041""#), "a\"bA");
        assert_eq!(decode("single_quote_scalar", "'it''s'"), "it's");
        assert_eq!(decode("plain_scalar", "on"), "on");
    }
}
