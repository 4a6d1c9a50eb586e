//! Unified diffs that `git apply` accepts, coloured on a terminal.

use anstyle::{AnsiColor, Style};
use similar::TextDiff;

/// The unified diff of `before` and `after` for `path`, with `a/` and `b/` headers; empty when
/// nothing changed.
pub fn unified(path: &str, before: &str, after: &str) -> String {
    if before == after {
        return String::new();
    }
    let path = path.trim_start_matches("./").trim_start_matches('/');
    let diff = TextDiff::from_lines(before, after);
    let mut out = format!("diff --git a/{path} b/{path}\n");
    out.push_str(
        &diff
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{path}"), &format!("b/{path}"))
            .to_string(),
    );
    out
}

/// Colours a unified diff line by line (for terminals).
pub fn colour(diff: &str) -> String {
    let paint =
        |style: Style, line: &str| format!("{}{line}{}", style.render(), style.render_reset());
    let mut out = String::with_capacity(diff.len() * 11 / 10);
    for line in diff.split_inclusive('\n') {
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        let style =
            if body.starts_with("+++") || body.starts_with("---") || body.starts_with("diff ") {
                Style::new().bold()
            } else if body.starts_with('+') {
                AnsiColor::Green.on_default()
            } else if body.starts_with('-') {
                AnsiColor::Red.on_default()
            } else if body.starts_with("@@") {
                AnsiColor::Cyan.on_default()
            } else {
                Style::new()
            };
        out.push_str(&paint(style, body));
        out.push_str(nl);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_no_newline_marker() {
        let d = unified("./w.yml", "a: 1", "a: 1\nb: 2");
        assert!(
            d.starts_with("diff --git a/w.yml b/w.yml\n--- a/w.yml\n+++ b/w.yml\n"),
            "{d}"
        );
        assert!(d.contains("\\ No newline at end of file"), "{d}");
        assert_eq!(unified("w", "x", "x"), "");
    }
}
