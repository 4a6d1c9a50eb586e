//! Reading rule and knowledge files: YAML into serde types, with `file:line:col` in every error.

use serde::de::DeserializeOwned;
use yaml_rust2::Yaml;

use crate::cst::{Document, Path, Segment};

/// Converts a loaded YAML value to JSON's data model (keys become strings).
pub fn to_json(y: &Yaml) -> serde_json::Value {
    use serde_json::Value;
    match y {
        Yaml::Real(s) => s
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::String(s.clone()), Value::Number),
        Yaml::Integer(i) => Value::from(*i),
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Array(a) => Value::Array(a.iter().map(to_json).collect()),
        Yaml::Hash(h) => Value::Object(
            h.iter()
                .map(|(k, v)| {
                    (
                        crate::cst::verify::key_text(k).unwrap_or_default(),
                        to_json(v),
                    )
                })
                .collect(),
        ),
        Yaml::Null | Yaml::BadValue | Yaml::Alias(_) => Value::Null,
    }
}

/// Parses `text` (named `name` in errors) into `T`. Errors read `name:line:col: message`, pointing
/// at the offending entry.
pub fn parse<T: DeserializeOwned>(name: &str, text: &str) -> Result<T, String> {
    // The YAML loader alone reads a valid file; the syntax tree is built only to place an error.
    if let Ok(docs) = crate::cst::load::load_text(text) {
        let value = docs.first().map(to_json).unwrap_or(serde_json::Value::Null);
        if let Ok(parsed) = serde_json::from_value(value) {
            return Ok(parsed);
        }
    }
    let doc = Document::parse(text.to_string()).map_err(|e| format!("{name}:{e}"))?;
    let value = doc
        .parsed()
        .first()
        .map(to_json)
        .unwrap_or(serde_json::Value::Null);
    serde_path_to_error::deserialize(value).map_err(|e| {
        let mut path = Path::default();
        for segment in e.path().iter() {
            match segment {
                serde_path_to_error::Segment::Seq { index } => {
                    path.segments.push(Segment::Index(*index))
                }
                // An externally tagged enum's variant is the key it is written under.
                serde_path_to_error::Segment::Map { key: k }
                | serde_path_to_error::Segment::Enum { variant: k } => {
                    path.segments.push(Segment::Key(k.clone()))
                }
                _ => {}
            }
        }
        let (line, col) = locate(&doc, &path);
        format!("{name}:{line}:{col}: {}", e.inner())
    })
}

/// Line and column of the deepest existing node on `path`.
pub fn locate(doc: &Document, path: &Path) -> (usize, usize) {
    use crate::cst::document::Lookup;
    let node = match doc.lookup(path) {
        Ok(Lookup::Found(slot)) | Ok(Lookup::Missing { slot, .. }) => slot.node(),
        Err(_) => return (1, 1),
    };
    doc.line_col(node.start_byte())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct T {
        a: Vec<u32>,
    }

    #[test]
    fn errors_point_at_the_entry() {
        let err = parse::<T>("r.yml", "a:\n  - 1\n  - x\n").unwrap_err();
        assert!(err.starts_with("r.yml:3:3: "), "{err}");
        let err = parse::<T>("r.yml", "a: []\nb: 1\n").unwrap_err();
        assert!(err.starts_with("r.yml:"), "{err}");
    }
}
