//! Benchmark of the editor: parse + index + one insert + verify over every corpus file, against
//! bare tree-sitter parsing of the same bytes. Run with `cargo bench --bench edit`.

use std::time::{Duration, Instant};

use ghfix::cst::document::parse_tree_only;
use ghfix::cst::{apply, Document, Op, Path, Place, Value};

fn corpus() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let mut files = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)
            .expect("the shared corpus beside the crate")
            .flatten()
        {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                files.push(std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    files
}

/// Runs `f` over all texts repeatedly for at least `min`, returning seconds per pass.
fn time(texts: &[String], min: Duration, mut f: impl FnMut(&str)) -> f64 {
    let start = Instant::now();
    let mut passes = 0;
    while passes < 3 || start.elapsed() < min {
        for t in texts {
            f(t);
        }
        passes += 1;
    }
    start.elapsed().as_secs_f64() / passes as f64
}

fn main() {
    let texts = corpus();
    let bytes: usize = texts.iter().map(String::len).sum();
    let min = Duration::from_secs(3);
    let op = Op::Set {
        path: Path::parse("ghfix-bench").unwrap(),
        value: Value::String("x".into()),
        place: Place::default(),
    };
    let bare = time(&texts, min, |t| {
        std::hint::black_box(parse_tree_only(t));
    });
    let parse = time(&texts, min, |t| {
        std::hint::black_box(Document::parse(t.to_string()).ok());
    });
    let edit = time(&texts, min, |t| {
        if let Ok(doc) = Document::parse(t.to_string()) {
            std::hint::black_box(apply(&doc, std::slice::from_ref(&op)).ok());
        }
    });
    let mb = bytes as f64 / 1e6;
    println!("corpus: {} files, {:.2} MB", texts.len(), mb);
    println!("bare tree-sitter parse:        {:7.1} MB/s", mb / bare);
    println!(
        "Document::parse (+ load):      {:7.1} MB/s  ({:.2}x bare)",
        mb / parse,
        parse / bare
    );
    println!(
        "parse + insert + verify:       {:7.1} MB/s  ({:.2}x bare)",
        mb / edit,
        edit / bare
    );
}
