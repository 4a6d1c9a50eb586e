//! The HTML page of a migration campaign: counts per outcome and per rule, and a table of the
//! repositories (outcome, pull request with its state and checks, reason, findings) that sorts
//! by any column when its header is clicked. One self-contained file: no scripts or styles are
//! fetched.

use std::collections::BTreeMap;

use crate::commands::migrate::Results;

/// Escapes text for HTML.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The page.
pub fn html(results: &Results) -> String {
    let mut outcomes: BTreeMap<&str, usize> = BTreeMap::new();
    let mut rules: BTreeMap<&str, usize> = BTreeMap::new();
    for r in results.repositories.values() {
        *outcomes.entry(&r.outcome).or_default() += 1;
        for (rule, n) in &r.findings {
            *rules.entry(rule).or_default() += n;
        }
    }
    let counts = |m: &BTreeMap<&str, usize>, id: &str| {
        let items: String = m
            .iter()
            .map(|(k, v)| format!("<li><b>{v}</b> {}</li>", esc(k)))
            .collect();
        format!("<ul id=\"{id}\">{items}</ul>")
    };
    let mut rows = String::new();
    for (name, r) in &results.repositories {
        let pr = match &r.pull_request {
            Some(url) => format!("<a href=\"{}\">{}</a>", esc(url), esc(url)),
            None => String::new(),
        };
        let findings: Vec<String> = r
            .findings
            .iter()
            .map(|(k, v)| format!("{}: {v}", esc(k)))
            .collect();
        rows.push_str(&format!(
            "<tr class=\"{outcome}\"><td>{name}</td><td>{outcome}</td><td>{pr}</td><td>{state}</td><td>{checks}</td><td>{reason}</td><td>{findings}</td></tr>\n",
            name = esc(name),
            outcome = esc(&r.outcome),
            state = esc(r.pr_state.as_deref().unwrap_or("")),
            checks = esc(r.checks.as_deref().unwrap_or("")),
            reason = esc(r.reason.as_deref().unwrap_or("")),
            findings = findings.join("<br>"),
        ));
    }
    format!(
        r##"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ghfix campaign</title>
<style>
body {{ font: 14px system-ui, sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }}
th {{ cursor: pointer; background: #f4f4f4; }}
tr.failed td:nth-child(2) {{ color: #b00; }}
tr.changed td:nth-child(2) {{ color: #070; }}
</style></head>
<body>
<h1>ghfix campaign: {total} repositories</h1>
<h2>Outcomes</h2>{outcomes}
<h2>Findings per rule</h2>{rules}
<h2>Repositories</h2>
<table id="repositories"><thead><tr><th>Repository</th><th>Outcome</th><th>Pull request</th><th>State</th><th>Checks</th><th>Reason</th><th>Findings</th></tr></thead>
<tbody>
{rows}</tbody></table>
<script>
document.querySelectorAll("#repositories th").forEach((th, column) => {{
  th.addEventListener("click", () => {{
    const body = th.closest("table").tBodies[0];
    const down = th.dataset.order !== "asc";
    th.dataset.order = down ? "asc" : "desc";
    const rows = Array.from(body.rows);
    rows.sort((a, b) => a.cells[column].textContent.localeCompare(b.cells[column].textContent) * (down ? 1 : -1));
    rows.forEach(r => body.appendChild(r));
  }});
}});
</script>
</body></html>
"##,
        total = results.repositories.len(),
        outcomes = counts(&outcomes, "outcomes"),
        rules = counts(&rules, "rules"),
    )
}
