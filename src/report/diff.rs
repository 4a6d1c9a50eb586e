//! Unified diffs that `git apply` accepts, coloured on a terminal.

use anstyle::{AnsiColor, Style};
use similar::{ChangeTag, TextDiff};

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

/// Colours a unified diff for terminals: added lines green, removed red, and where a run of
/// removed lines is replaced by as many added ones, the words that changed in each pair stand
/// out (reversed), as similar's inline diff finds them.
pub fn colour(diff: &str) -> String {
    let lines: Vec<&str> = diff.split_inclusive('\n').collect();
    let mut out = String::with_capacity(diff.len() * 12 / 10);
    let mut i = 0;
    while i < lines.len() {
        let removed = run(&lines[i..], '-');
        let added = run(&lines[i + removed..], '+');
        if removed > 0 && removed == added {
            for k in 0..removed {
                let (old, new) = (lines[i + k], lines[i + removed + k]);
                let (old_words, new_words) = words(&old[1..], &new[1..]);
                out.push_str(&painted(AnsiColor::Red, '-', &old_words));
                out.push_str(&painted(AnsiColor::Green, '+', &new_words));
            }
            i += 2 * removed;
            continue;
        }
        out.push_str(&plain_line(lines[i]));
        i += 1;
    }
    out
}

/// How many lines at the start of `lines` are `sign` lines (not `---`/`+++` headers).
fn run(lines: &[&str], sign: char) -> usize {
    let header: String = std::iter::repeat_n(sign, 3).collect();
    lines
        .iter()
        .take_while(|l| l.starts_with(sign) && !l.starts_with(&header))
        .count()
}

/// Words, each marked whether it changed.
type Marked = Vec<(bool, String)>;

/// The words of `old` and `new`, each marked whether it changed.
fn words(old: &str, new: &str) -> (Marked, Marked) {
    let diff = TextDiff::from_words(old, new);
    let (mut o, mut n) = (Vec::new(), Vec::new());
    for change in diff.iter_all_changes() {
        let value = change.value().to_string();
        match change.tag() {
            ChangeTag::Equal => {
                o.push((false, value.clone()));
                n.push((false, value));
            }
            ChangeTag::Delete => o.push((true, value)),
            ChangeTag::Insert => n.push((true, value)),
        }
    }
    (o, n)
}

fn painted(colour: AnsiColor, sign: char, words: &[(bool, String)]) -> String {
    let base = colour.on_default();
    let strong = base.invert();
    let mut out = format!("{}{sign}", base.render());
    for (changed, w) in words {
        let (text, nl) = match w.strip_suffix('\n') {
            Some(t) => (t, "\n"),
            None => (w.as_str(), ""),
        };
        if *changed && !text.trim().is_empty() {
            out.push_str(&format!(
                "{}{text}{}{}",
                strong.render(),
                strong.render_reset(),
                base.render()
            ));
        } else {
            out.push_str(text);
        }
        if !nl.is_empty() {
            out.push_str(&format!("{}{nl}", base.render_reset()));
            return out;
        }
    }
    out.push_str(&base.render_reset().to_string());
    out
}

fn plain_line(line: &str) -> String {
    let (body, nl) = match line.strip_suffix('\n') {
        Some(b) => (b, "\n"),
        None => (line, ""),
    };
    let style = if body.starts_with("+++") || body.starts_with("---") || body.starts_with("diff ") {
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
    format!("{}{body}{}{nl}", style.render(), style.render_reset())
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

    #[test]
    fn a_changed_line_shows_the_changed_word() {
        let d = unified("w.yml", "a:\n  contents: write\n", "a:\n  contents: read\n");
        let c = colour(&d);
        let strong = AnsiColor::Red.on_default().invert().render().to_string();
        assert!(c.contains(&format!("{strong}write")), "{c:?}");
        let strong = AnsiColor::Green.on_default().invert().render().to_string();
        assert!(c.contains(&format!("{strong}read")), "{c:?}");
        assert!(!c.contains(&format!("{strong}contents")), "{c:?}");
        // Without the escapes, the text is the diff.
        let plain = regex::Regex::new("\x1b\\[[0-9;]*m")
            .unwrap()
            .replace_all(&c, "");
        assert_eq!(plain, d);
    }
}
