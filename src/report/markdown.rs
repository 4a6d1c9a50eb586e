//! Rule documentation (markdown) for a terminal: headings bold, inline code coloured, list
//! items with bullets, links as `text (url)`. Without colour the markdown is printed as written,
//! which reads well in a pager and pastes into an issue.

use std::sync::LazyLock;

use anstyle::{AnsiColor, Style};
use regex::Regex;

static CODE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"`([^`]+)`").expect("valid regex"));
static LINK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[([^\]]+)\]\(([^)\s]+)\)").expect("valid regex"));
static STRONG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\*\*([^*]+)\*\*").expect("valid regex"));

/// `text` styled for a terminal when `colour`, else unchanged.
pub fn render(text: &str, colour: bool) -> String {
    if !colour {
        return text.to_string();
    }
    let paint = |style: Style, s: &str| format!("{}{s}{}", style.render(), style.render_reset());
    let mut out = String::with_capacity(text.len() * 11 / 10);
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            out.push_str(&paint(AnsiColor::Cyan.on_default(), &format!("    {line}")));
        } else if let Some(h) = line.strip_prefix("# ") {
            out.push_str(&paint(Style::new().bold().underline(), h));
        } else if let Some(h) = line
            .strip_prefix("## ")
            .or_else(|| line.strip_prefix("### "))
        {
            out.push_str(&paint(Style::new().bold(), h));
        } else {
            let indent = line.len() - line.trim_start().len();
            let body = &line[indent..];
            let (bullet, body) = match body.strip_prefix("- ").or_else(|| body.strip_prefix("* ")) {
                Some(rest) => ("• ", rest),
                None => ("", body),
            };
            out.push_str(&" ".repeat(indent));
            out.push_str(bullet);
            out.push_str(&inline(body, &paint));
        }
        out.push('\n');
    }
    out
}

/// Inline markup of one line: code spans coloured, strong text bold, links as `text (url)`.
fn inline(line: &str, paint: &dyn Fn(Style, &str) -> String) -> String {
    let line = LINK.replace_all(line, "$1 ($2)");
    let line = STRONG.replace_all(&line, |c: &regex::Captures| {
        paint(Style::new().bold(), &c[1])
    });
    CODE.replace_all(&line, |c: &regex::Captures| {
        paint(AnsiColor::Cyan.on_default(), &c[1])
    })
    .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_styled_on_a_terminal_and_kept_elsewhere() {
        let text = "# Title\n\nUse `ghfix apply`, see [docs](https://x.y).\n- one\n  - **two**\n";
        assert_eq!(render(text, false), text);
        let styled = render(text, true);
        let plain = Regex::new("\x1b\\[[0-9;]*m")
            .unwrap()
            .replace_all(&styled, "");
        assert_eq!(
            plain,
            "Title\n\nUse ghfix apply, see docs (https://x.y).\n• one\n  • two\n"
        );
        assert!(styled.contains(&AnsiColor::Cyan.on_default().render().to_string()));
    }
}
