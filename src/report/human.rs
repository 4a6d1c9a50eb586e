//! The report for people: findings grouped by file, each with the workflow line it is about
//! (a code frame, as rustc and Ruff draw them, by `annotate-snippets`), its notes and how to fix
//! it; the jobs left for review grouped by reason; the summary, and counts by rule on request.

use std::collections::BTreeMap;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use anstyle::AnsiColor;

use crate::commands::run::FileResult;
use crate::rules::engine::Finding;
use crate::rules::permissions::review_class;
use crate::rules::schema::{Rule, Safety, Severity};

/// How much the report shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Style {
    /// ANSI colours (a terminal that wants them).
    pub colour: bool,
    /// 0: code frames and notes; 1 (`-q`): one line a finding; 2 (`-qq`): errors and the
    /// summary only.
    pub quiet: u8,
    /// `-v`: also each rule's title and where its documentation is, and the files without
    /// findings.
    pub verbose: bool,
    /// `--statistics`: the findings counted by rule after the summary.
    pub statistics: bool,
    /// For `apply`: whether the fixes were written (`Some(true)`) or only shown as a diff
    /// (`Some(false)`, `--dry-run`); `None` for `check`.
    pub wrote: Option<bool>,
}

/// The report of `results`; `rules` give titles for `-v` and `--statistics`.
pub fn render(results: &[FileResult], style: Style, rules: &[Rule]) -> String {
    let paint = |c: AnsiColor, s: &str| {
        if style.colour {
            let st = c.on_default().bold();
            format!("{}{s}{}", st.render(), st.render_reset())
        } else {
            s.to_string()
        }
    };
    let renderer = if style.colour {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for r in results {
        if let Some(e) = &r.error {
            out.push_str(&format!("{} {e}\n", paint(AnsiColor::Red, "error:")));
        }
        if let Some(e) = &r.refused {
            out.push_str(&format!("{} {e}\n", paint(AnsiColor::Red, "refused:")));
        }
        if style.quiet >= 2 {
            continue;
        }
        if style.verbose && r.findings.is_empty() && r.error.is_none() && r.refused.is_none() {
            out.push_str(&format!("{}: no findings\n", r.path));
        }
        if style.quiet == 1 {
            for f in &r.findings {
                out.push_str(&format!(
                    "{}:{}:{}: {} {}\n",
                    r.path,
                    f.line,
                    f.col,
                    paint(AnsiColor::Yellow, &f.rule),
                    f.message
                ));
            }
            continue;
        }
        if r.findings.is_empty() {
            continue;
        }
        // The text the positions refer to: the fixed text after `apply`, else the file.
        let source: std::borrow::Cow<str> = match &r.fixed {
            Some(fixed) => fixed.into(),
            None => std::fs::read_to_string(&r.real).unwrap_or_default().into(),
        };
        // Positions count from after a byte order mark; a terminal shows none.
        let source = source.strip_prefix('\u{feff}').unwrap_or(&source);
        for f in &r.findings {
            let title = rules
                .iter()
                .find(|x| x.id == f.rule)
                .map(|x| x.title.as_str());
            out.push_str(&renderer.render(&[frame(&r.path, source, f, title, style.verbose)]));
            out.push_str("\n\n");
        }
    }
    if style.quiet < 2 {
        out.push_str(&review(results));
    }
    out.push_str(&fixed(results, style.wrote));
    out.push_str(&summary(results));
    if style.statistics {
        out.push_str(&statistics(results, rules));
    }
    out
}

/// One finding as a code frame: the title, the line, a caret under the key or value it is about,
/// then its notes and how to fix it.
fn frame<'a>(
    path: &'a str,
    source: &'a str,
    f: &'a Finding,
    title: Option<&'a str>,
    verbose: bool,
) -> Group<'a> {
    let level = match f.severity {
        Severity::High => Level::ERROR,
        Severity::Medium => Level::WARNING,
        Severity::Low | Severity::Info => Level::INFO,
    };
    let head = level.primary_title(f.message.as_str()).id(f.rule.as_str());
    let line = f.line.checked_sub(1).and_then(|n| source.lines().nth(n));
    let mut group = match line {
        Some(text) => head.element(
            Snippet::source(text)
                .line_start(f.line)
                .path(path)
                .annotation(AnnotationKind::Primary.span(token_span(text, f.col))),
        ),
        None => head.element(
            annotate_snippets::Origin::path(path)
                .line(f.line.max(1))
                .char_column(f.col.saturating_sub(1)),
        ),
    };
    for n in &f.notes {
        group = group.element(Level::NOTE.message(n.as_str()));
    }
    let partial = f.notes.iter().any(|n| n.contains(" left for review: "));
    let fix = match (f.fixable(), f.safety, partial) {
        (true, Safety::Safe, false) => Some("`ghfix apply` fixes this"),
        (true, Safety::Safe, true) => Some(
            "`ghfix apply` fixes what it could analyse; the jobs left for review stay as they are",
        ),
        (true, Safety::Unsafe, _) => Some("`ghfix apply --unsafe` fixes this (review the change)"),
        _ => None,
    };
    if let Some(fix) = fix {
        group = group.element(Level::HELP.message(fix));
    }
    if verbose {
        if let Some(title) = title {
            group = group.element(Level::NOTE.message(title));
        }
        group = group.element(Level::HELP.message(format!("see `ghfix explain {}`", f.rule)));
    }
    group
}

/// The bytes of `text` from column `col` (1-based) to the end of the key or value there.
fn token_span(text: &str, col: usize) -> std::ops::Range<usize> {
    let start = text
        .char_indices()
        .nth(col.saturating_sub(1))
        .map_or(0, |(i, _)| i);
    let rest = &text[start..];
    let rest = rest.strip_prefix("- ").map_or(rest, str::trim_start);
    let start = text.len() - rest.len();
    let mut end = start;
    for (i, c) in rest.char_indices() {
        let key_end = c == ':' && rest[i + 1..].chars().next().is_none_or(char::is_whitespace);
        if key_end || (c.is_whitespace() && i > 0) || c == '#' {
            break;
        }
        end = start + i + c.len_utf8();
    }
    if end == start {
        end = (start + rest.chars().next().map_or(0, char::len_utf8)).max(start);
    }
    start..end
}

/// The jobs left for review, grouped by the kind of reason, with the count of each.
fn review(results: &[FileResult]) -> String {
    let mut by_kind: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    for r in results {
        for f in &r.findings {
            for n in &f.notes {
                let Some((job, why)) = n.split_once(" left for review: ") else {
                    continue;
                };
                by_kind
                    .entry(review_class(why))
                    .or_default()
                    .push(format!("{}: {job}: {why}", r.path));
            }
        }
    }
    if by_kind.is_empty() {
        return String::new();
    }
    let total: usize = by_kind.values().map(Vec::len).sum();
    let mut out = format!("left for review, as they were ({total}):\n");
    let mut kinds: Vec<_> = by_kind.into_iter().collect();
    kinds.sort_by_key(|(kind, jobs)| (std::cmp::Reverse(jobs.len()), *kind));
    for (kind, jobs) in kinds {
        out.push_str(&format!("  {kind} ({}):\n", jobs.len()));
        for j in jobs {
            out.push_str(&format!("    {j}\n"));
        }
    }
    out
}

/// What `apply` fixed (or, with `--dry-run`, would fix): each file with its rules, then the
/// count.
fn fixed(results: &[FileResult], wrote: Option<bool>) -> String {
    let Some(wrote) = wrote else {
        return String::new();
    };
    let mut out = String::new();
    let (mut fixes, mut files) = (0, 0);
    for r in results.iter().filter(|r| r.fixed.is_some()) {
        files += 1;
        fixes += r.applied.len();
        let mut rules: BTreeMap<&str, usize> = BTreeMap::new();
        for f in &r.applied {
            *rules.entry(f.rule.as_str()).or_default() += 1;
        }
        let rules: Vec<String> = rules
            .into_iter()
            .map(|(rule, n)| {
                if n == 1 {
                    rule.to_string()
                } else {
                    format!("{rule} ({n})")
                }
            })
            .collect();
        if wrote {
            let rules = if rules.is_empty() {
                "partial fixes".to_string()
            } else {
                rules.join(", ")
            };
            out.push_str(&format!("fixed {}: {rules}\n", r.path));
        }
    }
    if files > 0 {
        let verb = if wrote {
            "changed"
        } else {
            "would change (the diff above)"
        };
        out.push_str(&format!(
            "{verb}: {files} file{}, resolving {fixes} finding{}\n",
            if files == 1 { "" } else { "s" },
            if fixes == 1 { "" } else { "s" }
        ));
    }
    out
}

fn summary(results: &[FileResult]) -> String {
    let (mut total, mut fixable, mut held_back, mut files) = (0, 0, 0, 0);
    for r in results {
        files += usize::from(!r.findings.is_empty());
        for f in &r.findings {
            total += 1;
            if f.fixable() {
                match f.safety {
                    Safety::Safe => fixable += 1,
                    Safety::Unsafe => held_back += 1,
                    Safety::Manual => {}
                }
            }
        }
    }
    if total == 0 {
        return String::new();
    }
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut out = format!(
        "{} in {} (of {} read); {fixable} fixable with `ghfix apply`",
        plural(total, "finding", "findings"),
        plural(files, "file", "files"),
        results.len()
    );
    if held_back > 0 {
        out.push_str(&format!(", {held_back} more with `--unsafe`"));
    }
    out.push('\n');
    out
}

/// The findings counted by rule, most frequent first: count, rule, `[*]` for a safe fix, `[u]`
/// for an unsafe one, and the rule's title.
fn statistics(results: &[FileResult], rules: &[Rule]) -> String {
    let mut counts: BTreeMap<&str, (usize, bool, bool)> = BTreeMap::new();
    for f in results.iter().flat_map(|r| &r.findings) {
        let c = counts.entry(f.rule.as_str()).or_default();
        c.0 += 1;
        c.1 |= f.fixable() && f.safety == Safety::Safe;
        c.2 |= f.fixable() && f.safety == Safety::Unsafe;
    }
    let mut rows: Vec<_> = counts.into_iter().collect();
    rows.sort_by_key(|(rule, (n, _, _))| (std::cmp::Reverse(*n), *rule));
    let width = rows.iter().map(|(r, _)| r.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (rule, (n, safe, unsafe_)) in rows {
        let mark = if safe {
            "[*]"
        } else if unsafe_ {
            "[u]"
        } else {
            "[ ]"
        };
        let title = rules
            .iter()
            .find(|x| x.id == rule)
            .map_or("", |x| x.title.as_str());
        out.push_str(&format!("{n:5}  {rule:width$}  {mark} {title}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_span_covers_the_key_or_value_at_the_column() {
        let line = "  build:";
        assert_eq!(&line[token_span(line, 3)], "build");
        let line = "      - uses: tibdex/github-app-token@v2 # pinned";
        assert_eq!(&line[token_span(line, 7)], "uses");
        assert_eq!(&line[token_span(line, 15)], "tibdex/github-app-token@v2");
        let line = "permissions: write-all";
        assert_eq!(&line[token_span(line, 1)], "permissions");
        // A column past the end still marks something.
        assert_eq!(token_span("a", 9), 0..1);
        assert_eq!(token_span("", 1), 0..0);
    }
}
