//! Findings for machines (JSON, SARIF) and GitHub (annotations); for people see
//! [`crate::report::human`].

use crate::cli::Format;
use crate::commands::run::FileResult;
use crate::report::human::Style;
use crate::rules::schema::{Rule, Severity};

/// Renders every file's findings and errors in `format` (`style` shapes the report for people);
/// `rules` describe the rules for SARIF and the human report.
pub fn render(results: &[FileResult], format: Format, style: Style, rules: &[Rule]) -> String {
    match format {
        Format::Human => crate::report::human::render(results, style, rules),
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
