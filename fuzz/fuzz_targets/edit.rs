//! Arbitrary bytes plus random operations: the editor must never panic, and anything it returns
//! must parse again (it was verified).
#![no_main]

use ghfix::cst::{apply, Document, Op, Path, Place};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first bytes choose the operations; the rest is the document.
    if data.len() < 4 {
        return;
    }
    let (control, body) = data.split_at(4);
    let Ok(text) = std::str::from_utf8(body) else { return };
    let Ok(doc) = Document::parse(text.to_string()) else { return };
    let keys = ["a", "on", "jobs", "b.c", "0"];
    let path = |b: u8| {
        let mut p = Path::default().key(keys[(b % 5) as usize]);
        if b & 0x80 != 0 {
            p = p.index(((b >> 3) & 3) as usize);
        }
        if b & 0x40 != 0 {
            p = p.key(keys[((b >> 2) % 5) as usize]);
        }
        p
    };
    let values = [serde_json::json!("x"), serde_json::json!({"k": "on"}), serde_json::json!(1), serde_json::json!("a: b")];
    let value = values[(control[3] % 4) as usize].clone();
    let ops: Vec<Op> = control[..3]
        .iter()
        .map(|b| match b % 5 {
            0 => Op::Set { path: path(*b), value: value.clone(), place: Place::default() },
            1 => Op::Remove { path: path(*b) },
            2 => Op::Append { path: path(*b), value: value.clone() },
            3 => Op::Comment { path: path(*b), text: "fuzz".into() },
            _ => Op::Rewrite { path: path(*b), from: "a".into(), to: "b".into() },
        })
        .collect();
    if let Ok(edited) = apply(&doc, &ops) {
        assert!(Document::parse(edited.text().to_string()).is_ok());
    }
});
