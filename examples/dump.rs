fn main() {
    let path = std::env::args().nth(1).unwrap();
    let src = std::fs::read(&path).unwrap();
    let mut p = tree_sitter::Parser::new();
    p.set_language(&tree_sitter_yaml::LANGUAGE.into()).unwrap();
    let t = p.parse(&src, None).unwrap();
    fn walk(n: tree_sitter::Node, src: &[u8], d: usize) {
        let txt = String::from_utf8_lossy(&src[n.start_byte()..n.end_byte()]);
        let txt: String = txt.chars().take(40).collect();
        println!(
            "{}{} [{}..{}] {}{:?}",
            "  ".repeat(d),
            n.kind(),
            n.start_byte(),
            n.end_byte(),
            if n.is_named() { "" } else { "(anon) " },
            txt
        );
        let mut c = n.walk();
        for (i, ch) in n.children(&mut c).enumerate() {
            let f = n.field_name_for_child(i as u32);
            if let Some(f) = f {
                print!("{}@{}:", "  ".repeat(d + 1), f);
                println!();
            }
            walk(ch, src, d + 1);
        }
    }
    walk(t.root_node(), &src, 0);
}
