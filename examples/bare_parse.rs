//! Baseline for `bench/check.sh`: bare tree-sitter parsing of every `.yml` file under a folder,
//! in parallel on all cores, the same way `ghfix check` reads them.
//! Usage: cargo run --release --example bare_parse -- DIR

use rayon::prelude::*;

fn main() {
    let dir = std::env::args().nth(1).expect("usage: bare_parse DIR");
    let files = ghfix::commands::run::discover(&[dir.into()]).files;
    let start = std::time::Instant::now();
    let bytes: usize = files
        .par_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f.real).unwrap_or_default();
            std::hint::black_box(ghfix::cst::document::parse_tree_only(&text));
            text.len()
        })
        .sum();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "bare tree-sitter parse: {} files, {bytes} bytes, {secs:.2} s, {:.1} MB/s",
        files.len(),
        bytes as f64 / secs / 1e6
    );
}
