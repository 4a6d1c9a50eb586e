//! Property: for every block and flow mapping of every corpus file, inserting a new key and then
//! removing it gives back the original bytes; the insert alone is verified and its diff touches
//! only the new lines (and, in flow style, at most the one line it extends).

mod common;

use ghfix::cst::document::{Lookup, Shape};
use ghfix::cst::{apply, Document, Op, Path, Place, Value};
use similar::{ChangeTag, TextDiff};

#[test]
fn insert_then_remove_restores_every_mapping_byte_for_byte() {
    use rayon::prelude::*;
    let counts: Vec<(usize, usize, Vec<String>)> = common::corpus()
        .par_iter()
        .map(|file| exercise(file))
        .collect();
    let block: usize = counts.iter().map(|c| c.0).sum();
    let flow: usize = counts.iter().map(|c| c.1).sum();
    let skipped: Vec<&String> = counts.iter().flat_map(|c| &c.2).collect();
    println!(
        "property: {block} block mappings and {flow} flow mappings round-tripped; {} skipped",
        skipped.len()
    );
    for s in &skipped {
        println!("  skipped {s}");
    }
    assert!(block > 5000, "too few block mappings exercised: {block}");
}

/// Inserts and removes a probe key in every mapping of `file`; returns the counts.
fn exercise(file: &std::path::Path) -> (usize, usize, Vec<String>) {
    let probe = "ghfix-probe";
    let (mut block, mut flow, mut skipped) = (0usize, 0usize, Vec::new());
    {
        let text = std::fs::read_to_string(file).unwrap();
        let doc = Document::parse(text.clone()).unwrap();
        let mut paths = Vec::new();
        for (n, d) in doc.parsed().iter().enumerate() {
            let mut p = Path {
                document: n,
                segments: Vec::new(),
            };
            common::yaml_paths(d, &mut p, true, &mut paths);
        }
        for path in paths {
            let shape = match doc.lookup(&path) {
                Ok(Lookup::Found(slot)) => slot.value().and_then(|v| doc.content(v)).map(|c| c.0),
                _ => None,
            };
            let Some(shape @ (Shape::BlockMapping | Shape::FlowMapping)) = shape else {
                skipped.push(format!("{}: {path} (through an alias)", file.display()));
                continue;
            };
            let key = path.clone().key(probe);
            let insert = Op::Set {
                path: key.clone(),
                value: Value::String("x".into()),
                place: Place::default(),
            };
            let inserted = apply(&doc, &[insert])
                .unwrap_or_else(|e| panic!("{}: insert at {path}: {e}", file.display()));
            let diff = TextDiff::from_lines(doc.text(), inserted.text());
            let deleted = diff
                .iter_all_changes()
                .filter(|c| c.tag() == ChangeTag::Delete)
                .count();
            let added = diff
                .iter_all_changes()
                .filter(|c| c.tag() == ChangeTag::Insert)
                .count();
            assert!(added >= 1, "{}: {path}: nothing inserted", file.display());
            if shape == Shape::BlockMapping {
                block += 1;
                // At the end of a file without a final newline, the last line gains one.
                let allowed = usize::from(!text.ends_with('\n'));
                assert!(
                    deleted <= allowed,
                    "{}: {path}: the insert rewrote existing lines",
                    file.display()
                );
            } else {
                flow += 1;
                assert!(
                    deleted <= 1,
                    "{}: {path}: the insert rewrote {deleted} lines",
                    file.display()
                );
            }
            let removed = apply(&inserted, &[Op::Remove { path: key }])
                .unwrap_or_else(|e| panic!("{}: remove at {path}: {e}", file.display()));
            assert_eq!(
                removed.text(),
                text,
                "{}: insert+remove at {path} changed the file",
                file.display()
            );
        }
    }
    (block, flow, skipped)
}
