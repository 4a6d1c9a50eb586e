//! `run:` scripts read with a real shell grammar (tree-sitter-bash): every simple command a
//! script runs, wherever it sits (pipelines, `&&`/`||` lists, `if`/`while`/`case` bodies,
//! functions, subshells, command and process substitutions, heredoc bodies), with its
//! environment prefix and arguments.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::LazyLock;

use regex::Regex;
use tree_sitter::{Node, Parser};

/// One simple command of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// `NAME=value` prefixes, the program and its arguments, as written (quotes kept).
    pub words: Vec<String>,
}

impl Command {
    /// The command as one line: its words joined by spaces.
    pub fn line(&self) -> String {
        self.words.join(" ")
    }
}

/// What a script runs.
#[derive(Debug, Default)]
pub struct Script {
    /// Every simple command, in source order (outer before the substitutions inside it).
    pub commands: Vec<Command>,
    /// Names of the functions the script defines.
    pub functions: Vec<String>,
    /// Whether the grammar found a syntax error (the commands are then incomplete).
    pub broken: bool,
}

thread_local! {
    static PARSER: RefCell<Parser> = RefCell::new({
        let mut p = Parser::new();
        p.set_language(&tree_sitter_bash::LANGUAGE.into())
            .expect("tree-sitter-bash matches the tree-sitter version");
        p
    });
}

/// `${{ github.action_path }}`, which equals `$GITHUB_ACTION_PATH`.
static ACTION_PATH_EXPRESSION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\$\{\{\s*github\.action_path\s*\}\}").expect("valid regex"));
/// Any GitHub expression.
static EXPRESSION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\$\{\{.*?\}\}").expect("valid regex"));

/// A `run:` script as the shell receives it: each GitHub expression is filled in before the
/// shell runs, so it stands as one plain word (`X`; its spaces split no words), and
/// `${{ github.action_path }}` as the `$GITHUB_ACTION_PATH` it equals.
pub fn prepare(script: &str) -> Cow<'_, str> {
    if !script.contains("${{") {
        return script.into();
    }
    let script = ACTION_PATH_EXPRESSION.replace_all(script, "$$GITHUB_ACTION_PATH");
    EXPRESSION.replace_all(&script, "X").into_owned().into()
}

/// How many parsed scripts a thread keeps: the rules and the permission analysis of one file
/// ask for the same scripts, and a file rarely has more.
const KEPT: usize = 256;

thread_local! {
    static PARSED: RefCell<HashMap<String, Rc<Script>>> = RefCell::new(HashMap::new());
}

/// Parses a [`prepare`]d script. Each script is parsed once however many readers ask: the
/// result is kept for the thread's next [`KEPT`] scripts.
pub fn parse(script: &str) -> Rc<Script> {
    if let Some(found) = PARSED.with(|p| p.borrow().get(script).cloned()) {
        return found;
    }
    let parsed = Rc::new(parse_uncached(script));
    PARSED.with(|p| {
        let mut p = p.borrow_mut();
        if p.len() >= KEPT {
            p.clear();
        }
        p.insert(script.to_string(), parsed.clone());
    });
    parsed
}

fn parse_uncached(script: &str) -> Script {
    // tree-sitter-bash rejects the escaped string comparisons of `[ "$a" \\> "$b" ]`; as a
    // word between spaces they only ever compare, so `==` (same length) stands in for them.
    let script: Cow<str> = if script.contains(" \\> ") || script.contains(" \\< ") {
        script
            .replace(" \\> ", " == ")
            .replace(" \\< ", " == ")
            .into()
    } else {
        script.into()
    };
    let script = script.as_ref();
    let Some(tree) = PARSER.with(|p| p.borrow_mut().parse(script, None)) else {
        return Script {
            broken: true,
            ..Script::default()
        };
    };
    let root = tree.root_node();
    let mut out = Script {
        broken: root.has_error(),
        ..Script::default()
    };
    let mut stack = vec![root];
    // Depth-first, in source order.
    while let Some(node) = stack.pop() {
        match node.kind() {
            "command" => out.commands.push(command(node, script)),
            "function_definition" => {
                if let Some(name) = node.child_by_field_name("name") {
                    out.functions.push(text(name, script).to_string());
                }
            }
            _ => {}
        }
        let mut cursor = node.walk();
        let children: Vec<Node> = node.children(&mut cursor).collect();
        stack.extend(children.into_iter().rev());
    }
    out
}

fn text<'s>(node: Node, script: &'s str) -> &'s str {
    &script[node.byte_range()]
}

/// The words of a `command` node: environment prefixes, name, arguments (redirections left out).
fn command(node: Node, script: &str) -> Command {
    let mut words = Vec::new();
    let mut cursor = node.walk();
    if cursor.goto_first_child() {
        loop {
            let child = cursor.node();
            let argument = cursor.field_name() == Some("argument");
            if argument || matches!(child.kind(), "variable_assignment" | "command_name") {
                words.push(text(child, script).to_string());
            }
            if !cursor.goto_next_sibling() {
                break;
            }
        }
    }
    Command { words }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(script: &str) -> Vec<String> {
        parse(script).commands.iter().map(Command::line).collect()
    }

    #[test]
    fn commands_are_found_wherever_they_sit() {
        let script = r#"
if [[ "$V" == "nightly" || "$V" == "beta" ]]; then
  echo "x=$(node find.js --token "$T")" >> "$GITHUB_OUTPUT"
fi
A=1 make release 2>&1 | tee log && `id -u` || true
cat <<EOF > f
value: $(curl -s https://example.com)
EOF
deploy() { ./deploy.sh "$@"; }
deploy now
bash -c 'gh release create v1'
"#;
        let found = lines(script);
        for want in [
            "echo \"x=$(node find.js --token \"$T\")\"",
            "node find.js --token \"$T\"",
            "A=1 make release",
            "tee log",
            "id -u",
            "true",
            "cat",
            "curl -s https://example.com",
            "./deploy.sh \"$@\"",
            "deploy now",
            "bash -c 'gh release create v1'",
        ] {
            assert!(
                found.contains(&want.to_string()),
                "{want} not in {found:#?}"
            );
        }
        // `[[ ... || ... ]]` is a test, not two commands.
        assert!(!found.iter().any(|l| l.contains("nightly")), "{found:#?}");
        assert_eq!(parse(script).functions, vec!["deploy".to_string()]);
        assert!(!parse(script).broken);
    }

    #[test]
    fn escaped_string_comparisons_parse() {
        let script = "if [ \"$a\" \\> \"$b\" ] || [ \"$a\" \\< x ]; then gh pr list; fi\n";
        let parsed = parse(script);
        assert!(!parsed.broken);
        assert_eq!(lines(script), vec!["gh pr list".to_string()]);
    }

    #[test]
    fn a_script_is_parsed_once_and_expressions_are_one_word() {
        let script = prepare("gh pr comment ${{ format('{0}', github.event.number) }} --body x");
        assert_eq!(script, "gh pr comment X --body x");
        assert!(Rc::ptr_eq(&parse(&script), &parse(&script)));
        let action = prepare("${{ github.action_path }}/run.sh");
        assert_eq!(action, "$GITHUB_ACTION_PATH/run.sh");
    }

    #[test]
    fn a_syntax_error_is_reported() {
        assert!(parse("if then fi (((").broken);
    }
}
