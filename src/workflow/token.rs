//! Where tokens come from: whether an expression or environment hands a step the job's
//! GITHUB_TOKEN, as opposed to a PAT, an App token or nothing.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

static GITHUB_TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\$\{\{[^}]*\b(secrets\.GITHUB_TOKEN|github\.token)\b").expect("valid regex")
});

/// Whether `text` contains an expression that yields the job's GITHUB_TOKEN
/// (`${{ secrets.GITHUB_TOKEN }}`, `${{ github.token }}`, also inside `||` fallbacks).
pub fn is_github_token(text: &str) -> bool {
    GITHUB_TOKEN.is_match(text)
}

/// The environment a step sees (workflow, then job, then step; later wins) reduced to the names
/// of the variables that hold the job's GITHUB_TOKEN.
pub fn token_vars<'a>(layers: impl IntoIterator<Item = &'a [(String, String)]>) -> Vec<String> {
    let mut vars: Vec<(String, bool)> = Vec::new();
    for layer in layers {
        for (k, v) in layer {
            vars.retain(|(name, _)| name != k);
            vars.push((k.clone(), is_github_token(v)));
        }
    }
    vars.into_iter()
        .filter(|(_, t)| *t)
        .map(|(k, _)| k)
        .collect()
}

/// `text` with each reference to a context value that holds the job's token (`names`, such as
/// `inputs.token`, `secrets.token` or `env.GH`) replaced by `github.token`, so that what reads
/// it is judged as reading the token. A reference must stand alone: `inputs.token_type` and
/// `github.event.inputs.token` are other values.
pub fn carry<'t>(text: &'t str, names: &[String]) -> Cow<'t, str> {
    let part = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    let mut out = Cow::Borrowed(text);
    for name in names {
        if !out.contains(name.as_str()) {
            continue;
        }
        let mut next = String::with_capacity(out.len());
        let mut rest = out.as_ref();
        while let Some(at) = rest.find(name.as_str()) {
            let end = at + name.len();
            let before = rest[..at].chars().next_back();
            let after = rest[end..].chars().next();
            let alone = !before.is_some_and(|c| part(c) || c == '.') && !after.is_some_and(part);
            next.push_str(&rest[..at]);
            next.push_str(if alone { "github.token" } else { name });
            rest = &rest[end..];
        }
        next.push_str(rest);
        out = Cow::Owned(next);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carried_references_read_as_the_token() {
        let names = ["inputs.token".to_string(), "env.GH".to_string()];
        assert_eq!(
            carry("${{ inputs.token }} ${{ env.GH || '' }}", &names),
            "${{ github.token }} ${{ github.token || '' }}"
        );
        let other = "${{ inputs.token_type }} ${{ github.event.inputs.token }} ${{ env.GH_X }}";
        assert_eq!(carry(other, &names), other);
    }

    #[test]
    fn recognises_the_job_token_only() {
        assert!(is_github_token("${{ secrets.GITHUB_TOKEN }}"));
        assert!(is_github_token("${{github.token}}"));
        assert!(is_github_token(
            "${{ secrets.PAT || secrets.GITHUB_TOKEN }}"
        ));
        assert!(!is_github_token("${{ secrets.RELEASE_PAT }}"));
        assert!(!is_github_token("${{ steps.app.outputs.token }}"));
        assert!(!is_github_token("GITHUB_TOKEN"));
    }

    #[test]
    fn later_layers_override_earlier_ones() {
        let wf = vec![("GH_TOKEN".to_string(), "${{ github.token }}".to_string())];
        let step = vec![("GH_TOKEN".to_string(), "${{ secrets.PAT }}".to_string())];
        assert!(token_vars([wf.as_slice(), step.as_slice()]).is_empty());
        assert_eq!(token_vars([wf.as_slice()]), vec!["GH_TOKEN"]);
    }
}
