//! Writes an action metadata index, or runs the knowledge checker, over folders laid out like
//! `../shared/actions-meta/` (see `ghfix::rules::metadata`).
//! Usage: cargo run --example action_index -- ../shared/actions-meta > rules/knowledge/action-index.yml
//!        cargo run --example action_index -- --fetched DIR > rules/knowledge/action-index-fetched.yml
//!        cargo run --example action_index -- --commits DIR > rules/knowledge/action-commits.txt
//!        cargo run --example action_index -- --check ../shared/actions-meta [DIR...]
//! `--fetched` leaves out the actions the shipped shared index holds. `--check` prints one
//! mismatch a line between the knowledge base and the action.yml files, and exits 1 when there
//! is any.

use std::path::Path;

use ghfix::rules::knowledge::Knowledge;
use ghfix::rules::metadata::{
    commits_text, index_text, mismatches, read_meta, FETCHED_INDEX, SHARED_INDEX,
};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: action_index [--check | --fetched | --commits] DIR...";
    let (mode, dirs) = match args.first().map(String::as_str) {
        Some(m @ ("--check" | "--fetched" | "--commits")) => (m, &args[1..]),
        _ => ("", &args[..]),
    };
    assert!(!dirs.is_empty(), "{usage}");
    let kb = Knowledge::embedded().expect("knowledge base");
    match mode {
        "--fetched" => {
            let mut shared = Knowledge::default();
            shared
                .add(
                    "action-index.yml",
                    include_str!("../rules/knowledge/action-index.yml"),
                )
                .expect("shared index");
            let skip = |name: &str| shared.index.contains_key(&name.to_lowercase());
            print!("{}", index_text(Path::new(&dirs[0]), FETCHED_INDEX, &skip));
        }
        "--commits" => {
            let dirs: Vec<&Path> = dirs.iter().map(Path::new).collect();
            print!("{}", commits_text(&dirs));
        }
        "" => print!(
            "{}",
            index_text(Path::new(&dirs[0]), SHARED_INDEX, &|_| false)
        ),
        _ => check(&kb, dirs),
    }
}

fn check(kb: &Knowledge, dirs: &[String]) {
    let mut meta = std::collections::BTreeMap::new();
    for dir in dirs {
        meta.extend(read_meta(Path::new(dir)));
    }
    let found = mismatches(kb, &meta);
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
