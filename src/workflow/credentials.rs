//! Credentials written as literals: the shapes of tokens that must never sit in a workflow
//! (`rules/knowledge/credentials.yml`), found in values and masked in everything ghfix prints.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

/// One credential shape.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shape {
    /// What it is.
    pub name: String,
    /// The token, without word boundaries.
    pub regex: String,
    /// The secret name suggested for it.
    pub secret: String,
}

struct Shapes {
    shapes: Vec<Shape>,
    /// Any shape, word-bounded; group `i + 1` is shape `i`.
    any: Regex,
}

static SHAPES: LazyLock<Shapes> = LazyLock::new(|| {
    let shapes: Vec<Shape> = crate::rules::load::parse(
        "rules/knowledge/credentials.yml",
        include_str!("../../rules/knowledge/credentials.yml"),
    )
    .expect("the shipped credential shapes parse");
    let alternatives: Vec<String> = shapes.iter().map(|s| format!("({})", s.regex)).collect();
    let any = Regex::new(&format!(r"\b(?:{})\b", alternatives.join("|")))
        .expect("the shipped credential shapes are valid regexes");
    Shapes { shapes, any }
});

/// The first credential in `text`: the literal and its shape.
pub fn find(text: &str) -> Option<(&str, &'static Shape)> {
    let shapes = &*SHAPES;
    let c = shapes.any.captures(text)?;
    let (i, m) = (1..c.len()).find_map(|i| c.get(i).map(|m| (i, m)))?;
    Some((m.as_str(), &shapes.shapes[i - 1]))
}

/// `text` with every credential replaced by its first four characters and `****`.
pub fn mask(text: &str) -> Cow<'_, str> {
    SHAPES.any.replace_all(text, |c: &regex::Captures| {
        let whole = &c[0];
        format!("{}****", &whole[..whole.len().min(4)])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_found_and_masked() {
        let pat = format!("ghp_{}", "a1B2".repeat(9));
        let text = format!("token: {pat} # and npm_{}", "x".repeat(36));
        let (literal, shape) = find(&text).unwrap();
        assert_eq!(literal, pat);
        assert_eq!(shape.secret, "GH_PAT");
        assert_eq!(mask(&text), "token: ghp_**** # and npm_****");
        assert!(find("ghp_short and ${{ secrets.GH_PAT }}").is_none());
    }
}
