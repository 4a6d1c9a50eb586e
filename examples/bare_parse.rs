//! Floors for `bench/check.sh`: bare parsing of every workflow file under a folder, in parallel on
//! all cores, the way `ghfix` reads them: a tree-sitter parse (the floor of `apply`, which edits
//! the concrete syntax tree) and a yaml-rust2 load (the floor of `check`, which reads the meaning).
//! Usage: cargo run --release --example bare_parse -- DIR

use rayon::prelude::*;

fn main() {
    let dir = std::env::args().nth(1).expect("usage: bare_parse DIR");
    let files = ghfix::commands::run::discover(&[dir.into()]).files;
    let texts: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(&f.real).unwrap_or_default())
        .collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    let report = |what: &str, secs: f64| {
        println!(
            "{what}: {} files, {bytes} bytes, {secs:.2} s, {:.1} MB/s",
            files.len(),
            bytes as f64 / secs / 1e6
        );
    };
    // Reading is part of both floors, as it is part of every ghfix run.
    let start = std::time::Instant::now();
    files.par_iter().for_each(|f| {
        let text = std::fs::read_to_string(&f.real).unwrap_or_default();
        std::hint::black_box(ghfix::cst::document::parse_tree_only(&text));
    });
    report("bare tree-sitter parse", start.elapsed().as_secs_f64());
    let start = std::time::Instant::now();
    files.par_iter().for_each(|f| {
        let text = std::fs::read_to_string(&f.real).unwrap_or_default();
        std::hint::black_box(yaml_rust2::YamlLoader::load_from_str(&text).ok());
    });
    report("bare yaml-rust2 load", start.elapsed().as_secs_f64());
}
