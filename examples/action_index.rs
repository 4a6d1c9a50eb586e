//! Writes the action metadata index, or runs the knowledge checker, over a folder laid out like
//! `../shared/actions-meta/` (see `ghfix::rules::metadata`).
//! Usage: cargo run --example action_index -- ../shared/actions-meta > rules/knowledge/action-index.yml
//!        cargo run --example action_index -- --check ../shared/actions-meta
//! `--check` prints one mismatch a line between the knowledge base and the action.yml files, and
//! exits 1 when there is any.

use std::path::Path;

use ghfix::rules::knowledge::Knowledge;
use ghfix::rules::metadata::{index_text, mismatches, read_meta};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let check = args.first().is_some_and(|a| a == "--check");
    let dir = args
        .get(usize::from(check))
        .expect("usage: action_index [--check] ACTIONS_META_DIR");
    if !check {
        print!("{}", index_text(Path::new(dir)));
        return;
    }
    let kb = Knowledge::embedded().expect("knowledge base");
    let meta = read_meta(Path::new(dir));
    let found = mismatches(&kb, &meta);
    let names: Vec<String> = meta.keys().map(|k| k.to_lowercase()).collect();
    let checked = kb
        .actions
        .keys()
        .filter(|a| names.contains(&a.split('@').next().unwrap_or(a).to_string()))
        .count();
    for m in &found {
        println!("{m}");
    }
    println!(
        "{} knowledge entries, {checked} checked against their action.yml, {} mismatches",
        kb.actions.len(),
        found.len()
    );
    std::process::exit(i32::from(!found.is_empty()));
}
