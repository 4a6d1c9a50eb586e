//! `ghfix edit`: scriptable, format-preserving edits of one file.

use clap::ArgMatches;

use crate::cli::EditArgs;
use crate::commands::{EXIT_INPUT, EXIT_OK, EXIT_REFUSED};
use crate::cst::{self, Document, EditError, Op, Path, Place, Value};
use crate::files;
use crate::report::diff;

/// The flags that carry operations, in the order `run` expects them.
const FLAGS: [&str; 6] = ["set", "delete", "append", "comment", "rewrite", "set_file"];

/// For each operation flag occurrence, (flag index, value index) in command-line order.
pub fn order(matches: &ArgMatches) -> Vec<(usize, usize)> {
    let mut all: Vec<(usize, usize, usize)> = Vec::new();
    for (f, flag) in FLAGS.iter().enumerate() {
        if let Some(indices) = matches.indices_of(flag) {
            all.extend(indices.enumerate().map(|(n, at)| (at, f, n)));
        }
    }
    all.sort();
    all.into_iter().map(|(_, f, n)| (f, n)).collect()
}

/// Splits `PATH=REST` at the first `=` outside double quotes.
fn split_assignment(arg: &str) -> Option<(&str, &str)> {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in arg.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '=' if !quoted => return Some((&arg[..i], &arg[i + 1..])),
            _ => {}
        }
    }
    None
}

/// A command-line value: JSON when it parses as JSON, otherwise the plain string.
pub fn parse_value(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

/// The contents of `file` (`-`: standard input) as a value for `--set-file`, exactly as read.
fn read_value_file(file: &str) -> Result<String, String> {
    if file == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| format!("--set-file: cannot read standard input: {e}"))?;
        return Ok(text);
    }
    let file = std::path::Path::new(file);
    files::read_text(file, file).map_err(|e| format!("--set-file: {e}"))
}

fn parse_op(flag: usize, arg: &str) -> Result<Op, String> {
    let path_of = |p: &str| Path::parse(p).map_err(|e| e.to_string());
    let assignment = || {
        split_assignment(arg).ok_or_else(|| {
            let flag = FLAGS[flag].replace('_', "-");
            format!("`--{flag} {arg}`: expected PATH=VALUE")
        })
    };
    Ok(match FLAGS[flag] {
        "set" => {
            let (p, v) = assignment()?;
            Op::Set {
                path: path_of(p)?,
                value: parse_value(v),
                place: Place::default(),
            }
        }
        "set_file" => {
            let (p, file) = assignment()?;
            Op::Set {
                path: path_of(p)?,
                value: Value::String(read_value_file(file)?),
                place: Place::default(),
            }
        }
        "delete" => Op::Remove {
            path: path_of(arg)?,
        },
        "append" => {
            let (p, v) = assignment()?;
            Op::Append {
                path: path_of(p)?,
                value: parse_value(v),
            }
        }
        "comment" => {
            let (p, t) = assignment()?;
            Op::Comment {
                path: path_of(p)?,
                text: t.to_string(),
            }
        }
        _ => {
            let (p, rest) = assignment()?;
            let (from, to) = rest
                .split_once("=>")
                .ok_or_else(|| format!("`--rewrite {arg}`: expected PATH=FROM=>TO"))?;
            Op::Rewrite {
                path: path_of(p)?,
                from: from.to_string(),
                to: to.to_string(),
            }
        }
    })
}

/// Runs `ghfix edit`; `order` lists the operation flags in command-line order.
pub fn run(args: &EditArgs, order: &[(usize, usize)], colour: bool) -> u8 {
    let display = args.file.display().to_string();
    let lists = [
        &args.set,
        &args.delete,
        &args.append,
        &args.comment,
        &args.rewrite,
        &args.set_file,
    ];
    let ops: Result<Vec<Op>, String> = order
        .iter()
        .map(|(f, n)| parse_op(*f, &lists[*f][*n]))
        .collect();
    let ops = match ops {
        Ok(ops) if !ops.is_empty() => ops,
        Ok(_) => {
            crate::eprintln_masked!(
                "ghfix edit: no operation given (--set, --set-file, --delete, --append, --comment, --rewrite)"
            );
            return EXIT_INPUT;
        }
        Err(e) => {
            crate::eprintln_masked!("ghfix edit: {e}");
            return EXIT_INPUT;
        }
    };
    let text = match files::read_text(&args.file, &args.file) {
        Ok(t) => t,
        Err(e) => {
            crate::eprintln_masked!("{e}");
            return EXIT_INPUT;
        }
    };
    let doc = match Document::parse(text) {
        Ok(d) => d,
        Err(e) => {
            crate::eprintln_masked!("{display}:{e}");
            return EXIT_INPUT;
        }
    };
    let edited = match cst::apply(&doc, &ops) {
        Ok(d) => d,
        Err(e @ EditError::Verification { .. }) => {
            crate::eprintln_masked!("{display}: {e}; nothing written");
            return EXIT_REFUSED;
        }
        Err(e) => {
            crate::eprintln_masked!("{display}: {e}; nothing written");
            return EXIT_INPUT;
        }
    };
    if args.dry_run {
        let d = diff::unified(&display, doc.text(), edited.text());
        crate::print_masked!("{}", if colour { diff::colour(&d) } else { d });
        return EXIT_OK;
    }
    if edited.text() != doc.text() {
        // A symlink is edited through: its target is the file that changes.
        let real = args
            .file
            .canonicalize()
            .unwrap_or_else(|_| args.file.clone());
        if let Err(e) = files::write_atomic(&real, edited.text()) {
            crate::eprintln_masked!("{e}");
            return EXIT_INPUT;
        }
    }
    EXIT_OK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_split_outside_quotes() {
        assert_eq!(
            split_assignment(r#"env."a=b"=c"#),
            Some((r#"env."a=b""#, "c"))
        );
        assert_eq!(split_assignment("a.b=x=y"), Some(("a.b", "x=y")));
        assert_eq!(split_assignment("a.b"), None);
    }

    #[test]
    fn values_are_json_or_strings() {
        assert_eq!(parse_value("read"), Value::String("read".into()));
        assert_eq!(parse_value("true"), Value::Bool(true));
        assert_eq!(parse_value("\"on\""), Value::String("on".into()));
        assert!(parse_value(r#"{"run": "make"}"#).is_object());
    }
}
