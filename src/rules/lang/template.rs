//! Templates (`{name}` replaced by a variable's value), transforms, and a rule's edits turned
//! into editor operations at the matched node.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use super::eval::Vars;
use super::{Edit, Position, Transform};
use crate::cst::{Op, Path, Place, Segment, Value};

static VARIABLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{([a-z][a-z0-9_-]*)\}").expect("valid regex"));

/// The names a template refers to. `{name}` is a variable only when the name is lower-case
/// letters, digits, `-` and `_`: a GitHub expression's `${{ ... }}` is left alone.
pub fn names(template: &str) -> impl Iterator<Item = &str> {
    VARIABLE
        .captures_iter(template)
        .map(|c| c.get(1).expect("group 1").as_str())
}

/// Fills `template` in; `Err` names the first variable without a value.
pub fn fill(template: &str, vars: &Vars) -> Result<String, String> {
    if let Some(missing) = names(template).find(|n| !vars.contains_key(n)) {
        return Err(missing.to_string());
    }
    Ok(VARIABLE
        .replace_all(template, |c: &regex::Captures| vars[&c[1]].clone())
        .into_owned())
}

/// Fills in the variables that have a value and leaves the other `{name}`s as written (for
/// messages).
pub fn fill_known(template: &str, vars: &Vars) -> String {
    VARIABLE
        .replace_all(template, |c: &regex::Captures| {
            vars.get(&c[1]).cloned().unwrap_or_else(|| c[0].to_string())
        })
        .into_owned()
}

/// Fills in every string (keys included) of a value.
pub fn fill_value(value: &Value, vars: &Vars) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) => Value::String(fill(s, vars)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| fill_value(v, vars))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((fill(k, vars)?, fill_value(v, vars)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

/// Computes the transforms whose inputs are set, until nothing more can be computed (a
/// transform may use another's result).
pub fn transform(transforms: &BTreeMap<String, Transform>, vars: &mut Vars) {
    for _ in 0..=transforms.len() {
        let mut progress = false;
        for (name, t) in transforms {
            if vars.contains_key(name) {
                continue;
            }
            let Ok(mut text) = fill(&t.source, vars) else {
                continue;
            };
            if let Some(r) = &t.replace {
                text = r.regex.0.replace_all(&text, r.with.as_str()).into_owned();
            }
            if t.lower {
                text = text.to_lowercase();
            }
            if t.upper {
                text = text.to_uppercase();
            }
            if let Some(table) = &t.lookup {
                match table.get(&text) {
                    Some(found) => text = found.clone(),
                    None => continue,
                }
            }
            vars.insert(name.clone(), text);
            progress = true;
        }
        if !progress {
            break;
        }
    }
}

/// A path written in a rule, at `node`: relative (`with.token`, empty for the node itself) or
/// absolute (`/permissions`).
pub fn resolve(path: &str, node: &Path, vars: &Vars) -> Result<Path, String> {
    let filled = fill(path, vars).map_err(|n| format!("no value for `{{{n}}}`"))?;
    let (mut base, rest) = match filled.strip_prefix('/') {
        Some(rest) => (
            Path {
                document: node.document,
                segments: Vec::new(),
            },
            rest,
        ),
        None => (node.clone(), filled.as_str()),
    };
    if !rest.is_empty() {
        let parsed = Path::parse(rest).map_err(|e| format!("path `{rest}`: {e}"))?;
        base.segments.extend(parsed.segments);
    }
    Ok(base)
}

/// The operations of `edits` at `node` in the document `root`. `Err` says why the fix cannot
/// be offered (a variable without a value, a path that does not parse or does not exist, a step
/// edit on something that is not a step). Optional edits whose target is absent are skipped.
pub fn ops(
    edits: &[Edit],
    node: &Path,
    vars: &Vars,
    root: &yaml_rust2::Yaml,
) -> Result<Vec<Op>, String> {
    edits
        .iter()
        .filter_map(|edit| op(edit, node, vars, root).transpose())
        .collect()
}

/// One edit as an operation; `None` for an optional edit whose target is absent.
fn op(
    edit: &Edit,
    node: &Path,
    vars: &Vars,
    root: &yaml_rust2::Yaml,
) -> Result<Option<Op>, String> {
    let text = |t: &str| fill(t, vars).map_err(|n| format!("no value for `{{{n}}}`"));
    let value = |v: &Value| fill_value(v, vars).map_err(|n| format!("no value for `{{{n}}}`"));
    let holds = edit.when().iter().all(|(name, p)| {
        let v = vars.get(name).map(|v| yaml_rust2::Yaml::String(v.clone()));
        super::eval::pattern(p, v.as_ref(), &mut vars.clone())
    });
    if !holds {
        return Ok(None);
    }
    // The existing value an edit works on, or `None` when it is absent and the edit optional.
    let target = |path: &str, optional: bool| -> Result<Option<Path>, String> {
        let at = resolve(path, node, vars)?;
        match lookup(root, &at) {
            Some(_) => Ok(Some(at)),
            None if optional => Ok(None),
            None => Err(format!("`{at}` does not exist")),
        }
    };
    Ok(Some(match edit {
        Edit::Set {
            path,
            value: v,
            after,
            before,
            ..
        } => Op::Set {
            path: resolve(path, node, vars)?,
            value: value(v)?,
            place: Place {
                after: after.clone(),
                before: before.clone(),
            },
        },
        Edit::Append { path, value: v, .. } => Op::Append {
            path: resolve(path, node, vars)?,
            value: value(v)?,
        },
        Edit::InsertStep {
            position, value: v, ..
        } => {
            let Some((parent, Segment::Index(i))) = node.split_last() else {
                return Err("insert-step needs a step rule".to_string());
            };
            let at = match position {
                Position::Before => *i,
                Position::After => i + 1,
            };
            Op::Insert {
                path: parent.index(at),
                value: value(v)?,
            }
        }
        Edit::Remove { path, optional, .. } => match target(path, *optional)? {
            Some(path) => Op::Remove { path },
            None => return Ok(None),
        },
        Edit::RenameKey {
            path, to, optional, ..
        } => match target(path, *optional)? {
            Some(path) => Op::RenameKey {
                path,
                to: text(to)?,
            },
            None => return Ok(None),
        },
        Edit::Comment {
            path,
            text: t,
            optional,
            ..
        } => match target(path, *optional)? {
            Some(path) => Op::Comment {
                path,
                text: text(t)?,
            },
            None => return Ok(None),
        },
        Edit::Rewrite {
            path,
            from,
            to,
            optional,
            ..
        } => {
            let Some(path) = target(path, *optional)? else {
                return Ok(None);
            };
            let from = text(from)?;
            let occurs = lookup(root, &path)
                .and_then(crate::workflow::model::scalar)
                .is_some_and(|s| s.contains(&from));
            match (occurs, optional) {
                (true, _) => Op::Rewrite {
                    path,
                    from,
                    to: text(to)?,
                },
                (false, true) => return Ok(None),
                (false, false) => return Err(format!("`{from}` does not occur in `{path}`")),
            }
        }
    }))
}

/// The value at `path` of a document's meaning.
pub fn lookup<'y>(root: &'y yaml_rust2::Yaml, path: &Path) -> Option<&'y yaml_rust2::Yaml> {
    use yaml_rust2::Yaml;
    path.segments
        .iter()
        .try_fold(root, |node, segment| match (node, segment) {
            (_, Segment::Key(k)) => crate::workflow::model::get(node, k),
            (Yaml::Array(a), Segment::Index(i)) => a.get(*i),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_leave_expressions_alone() {
        let vars = Vars::from([("secret".to_string(), "NPM".to_string())]);
        assert_eq!(
            fill("${{ secrets.{secret} }}", &vars).unwrap(),
            "${{ secrets.NPM }}"
        );
        assert_eq!(fill("{missing}", &vars).unwrap_err(), "missing");
    }

    #[test]
    fn transforms_chain_and_a_failed_lookup_leaves_the_variable_unset() {
        let transforms: BTreeMap<String, Transform> = crate::rules::load::parse(
            "t.yml",
            "major:\n  source: '{ref}'\n  replace: {regex: '^v?(\\d+).*', with: 'v$1'}\nsha:\n  source: '{action}@{major}'\n  lookup: {'actions/checkout@v4': abc}\n",
        )
        .unwrap();
        let mut vars = Vars::from([
            ("ref".to_string(), "v4.1.2".to_string()),
            ("action".to_string(), "actions/checkout".to_string()),
        ]);
        transform(&transforms, &mut vars);
        assert_eq!(vars["major"], "v4");
        assert_eq!(vars["sha"], "abc");
        vars.insert("action".into(), "other/x".into());
        vars.remove("sha");
        transform(&transforms, &mut vars);
        assert!(!vars.contains_key("sha"));
    }

    #[test]
    fn paths_are_relative_to_the_node_unless_absolute() {
        let node = Path::parse("jobs.b.steps[1]").unwrap();
        let vars = Vars::new();
        assert_eq!(
            resolve("with.token", &node, &vars).unwrap().to_string(),
            "jobs.b.steps[1].with.token"
        );
        assert_eq!(resolve("", &node, &vars).unwrap(), node);
        assert_eq!(
            resolve("/permissions", &node, &vars).unwrap().to_string(),
            "permissions"
        );
    }
}
