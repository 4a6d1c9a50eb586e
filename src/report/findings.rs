//! Findings for people (`file:line:col`), machines (JSON) and GitHub (annotations).

use anstyle::AnsiColor;

use crate::cli::Format;
use crate::commands::run::FileResult;
use crate::rules::schema::{Rule, Safety, Severity};

/// Renders every file's findings and errors in `format`; `rules` describe the rules for SARIF.
pub fn render(results: &[FileResult], format: Format, colour: bool, rules: &[Rule]) -> String {
    match format {
        Format::Human => human(results, colour),
        Format::Json => json(results),
        Format::Github => github(results),
        Format::Sarif => sarif(results, rules),
    }
}

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// A rule's SARIF `name`, readable and distinct from its id: `least-privilege-permissions` →
/// `LeastPrivilegePermissions`.
fn pascal(id: &str) -> String {
    id.split(['-', '_'])
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn sarif(results: &[FileResult], rules: &[Rule]) -> String {
    use serde_json::json;
    let driver_rules: Vec<_> = rules
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": pascal(&r.id),
                "shortDescription": { "text": r.title },
                "fullDescription": { "text": r.docs.trim() },
                "help": { "text": r.docs.trim(), "markdown": r.docs.trim() },
                "defaultConfiguration": { "level": sarif_level(r.severity) },
            })
        })
        .collect();
    let mut out_results = Vec::new();
    let mut notifications = Vec::new();
    for r in results {
        let uri = r.path.trim_start_matches("./");
        for message in r.error.iter().chain(r.refused.iter()) {
            notifications.push(json!({
                "level": "error",
                "message": { "text": message },
                "locations": [{ "physicalLocation": { "artifactLocation": { "uri": uri } } }],
            }));
        }
        for f in &r.findings {
            let mut text = f.message.clone();
            for n in &f.notes {
                text.push_str(&format!("\n{n}"));
            }
            out_results.push(json!({
                "ruleId": f.rule,
                "ruleIndex": rules.iter().position(|x| x.id == f.rule),
                "level": sarif_level(f.severity),
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri },
                        "region": { "startLine": f.line, "startColumn": f.col },
                    }
                }],
            }));
        }
    }
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "ghfix",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_HOMEPAGE"),
                "rules": driver_rules,
            }},
            "invocations": [{
                "executionSuccessful": notifications.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": out_results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&log).expect("JSON values serialise");
    s.push('\n');
    s
}

fn human(results: &[FileResult], colour: bool) -> String {
    let paint = |c: AnsiColor, s: &str| {
        if colour {
            let st = c.on_default().bold();
            format!("{}{s}{}", st.render(), st.render_reset())
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    let (mut total, mut fixable, mut held_back) = (0, 0, 0);
    for r in results {
        if let Some(e) = &r.error {
            out.push_str(&format!("{} {e}\n", paint(AnsiColor::Red, "error:")));
        }
        if let Some(e) = &r.refused {
            out.push_str(&format!("{} {e}\n", paint(AnsiColor::Red, "refused:")));
        }
        for f in &r.findings {
            total += 1;
            if f.fixable() {
                match f.safety {
                    Safety::Safe => fixable += 1,
                    Safety::Unsafe => held_back += 1,
                    Safety::Manual => {}
                }
            }
            out.push_str(&format!(
                "{}:{}:{}: {} {}\n",
                r.path,
                f.line,
                f.col,
                paint(AnsiColor::Yellow, &f.rule),
                f.message
            ));
            for n in &f.notes {
                out.push_str(&format!("    note: {n}\n"));
            }
        }
    }
    if total > 0 {
        out.push_str(&format!(
            "{total} finding(s); {fixable} fixable with `ghfix apply`"
        ));
        if held_back > 0 {
            out.push_str(&format!(", {held_back} more with `--unsafe`"));
        }
        out.push('\n');
    }
    out
}

fn json(results: &[FileResult]) -> String {
    let files: Vec<serde_json::Value> = results
        .iter()
        .map(|r| {
            serde_json::json!({
                "path": r.path,
                "error": r.error,
                "refused": r.refused,
                "changed": r.fixed.is_some(),
                "findings": r.findings.iter().map(|f| serde_json::json!({
                    "rule": f.rule, "severity": f.severity, "safety": f.safety, "line": f.line,
                    "column": f.col, "message": f.message, "notes": f.notes, "fixable": f.fixable(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&serde_json::json!({ "files": files }))
        .expect("JSON values serialise");
    s.push('\n');
    s
}

fn github(results: &[FileResult]) -> String {
    let escape = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let mut out = String::new();
    for r in results {
        if let Some(e) = r.error.as_ref().or(r.refused.as_ref()) {
            out.push_str(&format!("::error file={}::{}\n", r.path, escape(e)));
        }
        for f in &r.findings {
            let mut msg = f.message.clone();
            for n in &f.notes {
                msg.push_str(&format!("\n{n}"));
            }
            out.push_str(&format!(
                "::warning file={},line={},col={},title={}::{}\n",
                r.path,
                f.line,
                f.col,
                f.rule,
                escape(&msg)
            ));
        }
    }
    out
}
