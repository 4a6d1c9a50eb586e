//! Seeded random operations over the corpus, and random byte mutations: the editor never panics,
//! and whatever it returns is a verified document (re-parsed here once more). This is the
//! stable-toolchain stand-in for the cargo-fuzz target in `fuzz/`.

mod common;

use ghfix::cst::{apply, Document, Op, Path, Place, Value};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

fn random_value(rng: &mut SmallRng) -> Value {
    let pool = [
        json!("read"),
        json!("on"),
        json!("yes"),
        json!("*x"),
        json!("a: b"),
        json!("{x"),
        json!("#c"),
        json!("line\nbreak\n"),
        json!(" lead"),
        json!("it's \"q\""),
        json!(""),
        json!(7),
        json!(true),
        json!(null),
        json!({"a": 1, "b": ["x", {"c": "d"}]}),
        json!([]),
        json!({}),
        json!(["p", "q"]),
        json!("${{ secrets.GITHUB_TOKEN }}"),
        json!("x,y]"),
        json!("tab\there"),
    ];
    pool[rng.random_range(0..pool.len())].clone()
}

fn random_op(rng: &mut SmallRng, paths: &[Path]) -> Op {
    let path = paths[rng.random_range(0..paths.len())].clone();
    match rng.random_range(0..6) {
        0 => Op::Set {
            path,
            value: random_value(rng),
            place: Place::default(),
        },
        1 => Op::Set {
            path: path.key(format!("k{}", rng.random_range(0..3))),
            value: random_value(rng),
            place: Place::default(),
        },
        2 => Op::Remove { path },
        3 => Op::Append {
            path,
            value: random_value(rng),
        },
        4 => Op::Comment {
            path,
            text: "why # not".into(),
        },
        _ => Op::Rewrite {
            path,
            from: "e".into(),
            to: "E#: ".into(),
        },
    }
}

#[test]
fn random_operation_batches_never_panic_and_always_verify() {
    let mut rng = SmallRng::seed_from_u64(0x6768_6669);
    let (mut applied, mut refused) = (0, 0);
    for file in common::corpus() {
        let doc = Document::parse(std::fs::read_to_string(&file).unwrap()).unwrap();
        let mut paths = Vec::new();
        common::yaml_paths(&doc.parsed()[0], &mut Path::default(), false, &mut paths);
        if paths.is_empty() {
            continue;
        }
        for _ in 0..3 {
            let ops: Vec<Op> = (0..rng.random_range(1..4))
                .map(|_| random_op(&mut rng, &paths))
                .collect();
            let result = std::panic::catch_unwind(|| apply(&doc, &ops));
            match result {
                Err(_) => panic!("{}: panicked on {:?}", file.display(), ops),
                Ok(Ok(edited)) => {
                    Document::parse(edited.text().to_string()).unwrap_or_else(|e| {
                        panic!("{}: verified output does not parse: {e}", file.display())
                    });
                    applied += 1;
                }
                Ok(Err(e)) => {
                    if std::env::var_os("GHFIX_SHOW_REFUSALS").is_some() {
                        println!("refused: {e}");
                    }
                    refused += 1
                }
            }
        }
    }
    println!("random batches: {applied} applied and verified, {refused} refused");
    assert!(applied > 300, "too few batches applied: {applied}");
}

#[test]
fn mutated_bytes_never_panic() {
    let mut rng = SmallRng::seed_from_u64(42);
    let noise = [
        b' ', b'\n', b'-', b':', b'{', b'[', b'#', b'"', b'\'', b'|', b'&', b'*', b'\t', b'\r',
    ];
    let mut parsed = 0;
    for file in common::corpus() {
        let mut bytes = std::fs::read(&file).unwrap();
        for _ in 0..rng.random_range(1..6) {
            let at = rng.random_range(0..bytes.len().max(1));
            if at < bytes.len() {
                bytes[at] = noise[rng.random_range(0..noise.len())];
            }
        }
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        let outcome = std::panic::catch_unwind(|| {
            let doc = Document::parse(text.clone()).ok()?;
            let op = Op::Set {
                path: Path::default().key("ghfix-fuzz"),
                value: json!({"a": [1]}),
                place: Place::default(),
            };
            Some(apply(&doc, &[op]).is_ok())
        });
        assert!(
            outcome.is_ok(),
            "{}: panicked on mutated input",
            file.display()
        );
        parsed += usize::from(outcome.unwrap().is_some());
    }
    println!("mutations: {parsed} mutated files still parsed");
}
