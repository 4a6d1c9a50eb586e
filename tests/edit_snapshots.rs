//! Snapshot tests of every editor operation in every style it must copy. Each snapshot holds the
//! input, the operations and the unified diff (or the refusal). Stored in `snapshots/`.

use ghfix::cst::{apply, Document, Op, Path, Place, Value};
use ghfix::report::diff::unified;
use serde_json::json;

fn set(path: &str, value: Value) -> Op {
    Op::Set {
        path: Path::parse(path).unwrap(),
        value,
        place: Place::default(),
    }
}
fn remove(path: &str) -> Op {
    Op::Remove {
        path: Path::parse(path).unwrap(),
    }
}
fn append(path: &str, value: Value) -> Op {
    Op::Append {
        path: Path::parse(path).unwrap(),
        value,
    }
}
fn comment(path: &str, text: &str) -> Op {
    Op::Comment {
        path: Path::parse(path).unwrap(),
        text: text.into(),
    }
}
fn rewrite(path: &str, from: &str, to: &str) -> Op {
    Op::Rewrite {
        path: Path::parse(path).unwrap(),
        from: from.into(),
        to: to.into(),
    }
}

/// Applies `ops` to `input` and renders input, operations and the diff (or the error) for a
/// snapshot; line ends and BOM are shown visibly.
fn run(input: &str, ops: &[Op]) -> String {
    let visible = |s: &str| s.replace('\r', "␍").replace('\u{feff}', "<BOM>");
    let mut out = format!("--- input\n{}\n--- operations\n", visible(input));
    for op in ops {
        out.push_str(&op.describe());
        out.push('\n');
    }
    out.push_str("--- result\n");
    let doc = Document::parse(input.to_string()).expect("test inputs are valid");
    match apply(&doc, ops) {
        Ok(edited) => {
            // A second batch on the result must be possible: the output is a valid document.
            Document::parse(edited.text().to_string()).expect("edited text parses");
            out.push_str(&visible(&unified("workflow.yml", input, edited.text())));
        }
        Err(e) => out.push_str(&format!("refused: {e}\n")),
    }
    out
}

macro_rules! snap {
    ($name:ident, $input:expr, [$($op:expr),* $(,)?]) => {
        #[test]
        fn $name() {
            let result = run($input, &[$($op),*]);
            insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
                insta::assert_snapshot!(stringify!($name), result);
            });
        }
    };
}

const TWO: &str = "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n";
const THREE: &str = "on: push\njobs:\n   build:\n      runs-on: ubuntu-latest\n      steps:\n         - run: make\n";
const FOUR_INDENTLESS: &str = "on: push\njobs:\n    build:\n        runs-on: ubuntu-latest\n        steps:\n        -   uses: actions/checkout@v4\n        -   run: make\n";

snap!(
    set_creates_parents_two_spaces,
    TWO,
    [set("jobs.build.permissions.contents", json!("read"))]
);
snap!(
    set_creates_parents_three_spaces,
    THREE,
    [set("jobs.build.permissions.contents", json!("read"))]
);
snap!(
    set_creates_parents_four_spaces,
    FOUR_INDENTLESS,
    [set(
        "jobs.build.permissions",
        json!({"contents": "read", "issues": "write"})
    )]
);
snap!(
    append_mapping_item_indented_sequence,
    TWO,
    [append(
        "jobs.build.steps",
        json!({"run": "make", "env": {"A": "1"}})
    )]
);
snap!(
    append_mapping_item_indentless_sequence,
    FOUR_INDENTLESS,
    [append(
        "jobs.build.steps",
        json!({"name": "test", "run": "make test"})
    )]
);
snap!(
    append_creates_sequence_in_file_style,
    FOUR_INDENTLESS,
    [append("jobs.build.services", json!("redis"))]
);
snap!(
    append_to_flow_sequence,
    "on: [push, pull_request]\n",
    [append("on", json!("workflow_dispatch"))]
);
snap!(
    append_to_multi_line_flow_sequence,
    "on: [\n  push,\n  pull_request\n]\n",
    [append("on", json!("workflow_dispatch"))]
);
snap!(
    insert_into_flow_mapping,
    "with: {a: 1, b: two}\n",
    [set("with.c", json!("x y"))]
);
snap!(
    insert_into_spaced_flow_mapping,
    "with: { a: 1 }\n",
    [set("with.token", json!("${{ github.token }}"))]
);
snap!(
    insert_into_multi_line_flow_mapping,
    "with: {\n    a: 1,\n    b: 2\n}\nnext: x\n",
    [set("with.c", json!(3))]
);
snap!(
    insert_into_multi_line_flow_mapping_trailing_comma,
    "with: {\n  a: 1,\n  b: 2,\n}\n",
    [set("with.c", json!(3))]
);
snap!(
    insert_into_empty_flow_mapping,
    "permissions: {}\n",
    [set("permissions.contents", json!("read"))]
);
snap!(
    insert_under_empty_value,
    "jobs:\n  a:\n    permissions:\n    steps: []\n",
    [set("jobs.a.permissions.contents", json!("read"))]
);
snap!(
    insert_under_null_value,
    "jobs:\n  a:\n    permissions: ~ # none yet\n",
    [set("jobs.a.permissions.contents", json!("read"))]
);
snap!(
    crlf_line_ends_are_kept,
    "on: push\r\njobs:\r\n  a:\r\n    runs-on: x\r\n",
    [
        set("jobs.a.permissions.contents", json!("read")),
        comment("jobs.a.permissions.contents", "clone")
    ]
);
snap!(
    bom_is_kept,
    "\u{feff}on: push\njobs: {}\n",
    [set("permissions", json!({}))]
);
snap!(
    missing_final_newline_stays_missing,
    "on: push\njobs:\n  a:\n    runs-on: x",
    [set("jobs.a.timeout-minutes", json!(5))]
);
snap!(
    insert_after_keep_chomped_block_scalar,
    "a:\n  run: |+\n    echo\n\n  name: x\nb: |2\n   indented\n",
    [set("a.z", json!("after")), set("z", json!("end"))]
);
snap!(
    insert_after_strip_and_folded_block_scalars,
    "a:\n  run: |-\n    echo\n  msg: >+\n    folded\n\n",
    [set("a.z", json!(1))]
);
snap!(
    set_keeps_quote_style,
    "a: 'one'\nb: \"two\"\nc: three\n",
    [
        set("a", json!("uno")),
        set("b", json!("dos")),
        set("c", json!("tres"))
    ]
);
snap!(
    set_quotes_where_yaml_needs_it,
    "a: x\nb: x\nc: x\nd: x\ne: x\nf: x\n",
    [
        set("a", json!("on")),
        set("b", json!("yes")),
        set("c", json!("*x")),
        set("d", json!("a: b")),
        set("e", json!("{x")),
        set("f", json!("123"))
    ]
);
snap!(
    set_multi_line_string_as_block_scalar,
    "steps:\n  - run: make\n",
    [set("steps[0].run", json!("make\nmake test\n"))]
);
snap!(
    set_replaces_block_scalar,
    "run: |\n  old\n  lines\nnext: 1\n",
    [set("run", json!("new"))]
);
snap!(
    set_replaces_mapping_with_scalar,
    "permissions:\n  contents: write\n  issues: write\non: push\n",
    [set("permissions", json!("read-all"))]
);
snap!(remove_entry_with_its_comments, "env:\n  A: 1\n  # the token, for gh\n  TOKEN: ${{ secrets.GITHUB_TOKEN }} # used below\n  B: 2\n", [remove("env.TOKEN")]);
snap!(
    remove_sequence_item_with_comment,
    "steps:\n  - run: a\n  # second\n  - run: b\n  - run: c\n",
    [remove("steps[1]")]
);
snap!(
    remove_first_entry_after_dash,
    "steps:\n  - uses: x\n    with: {a: 1}\n",
    [remove("steps[0].uses")]
);
snap!(
    remove_last_entry_leaves_empty_mapping,
    "jobs:\n  a:\n    env:\n      A: 1\n    runs-on: x\n",
    [remove("jobs.a.env.A")]
);
snap!(
    remove_from_flow_mapping,
    "with: {a: 1, b: 2, c: 3}\n",
    [remove("with.b"), remove("with.c")]
);
snap!(
    remove_blank_separated_job,
    "jobs:\n  a:\n    runs-on: x\n\n  b:\n    runs-on: y\n\n  c:\n    runs-on: z\n",
    [remove("jobs.b")]
);
snap!(
    rewrite_expression_inside_scalar,
    "with:\n  token: ${{ secrets.GITHUB_TOKEN }}\n  other: '${{ secrets.GITHUB_TOKEN }}'\n",
    [
        rewrite(
            "with.token",
            "secrets.GITHUB_TOKEN",
            "steps.app-token.outputs.token"
        ),
        rewrite(
            "with.other",
            "secrets.GITHUB_TOKEN",
            "steps.app-token.outputs.token"
        )
    ]
);
snap!(
    comment_added_and_replaced,
    "permissions:\n  contents: read\n  issues: write   # old reason\n",
    [
        comment("permissions.contents", "clone the repository"),
        comment("permissions.issues", "label issues"),
        comment("permissions", "least privilege")
    ]
);
snap!(
    quoted_key_with_dots,
    "env:\n  \"a.b\": 1\n",
    [set("env.\"a.b\"", json!(2)), set("env.\"c.d\"", json!("x"))]
);
snap!(
    second_document,
    "a: 1\n---\nb: 2\n",
    [set("@1:c", json!(3))]
);
snap!(
    on_key_is_addressed,
    "on:\n  push:\n    branches: [main]\n",
    [append("on.push.branches", json!("release/*"))]
);
snap!(
    edit_through_alias_is_refused,
    "defaults: &d\n  shell: bash\njobs:\n  a:\n    defaults: *d\n",
    [set("jobs.a.defaults.shell", json!("sh"))]
);
snap!(
    edit_of_aliased_anchor_is_refused,
    "x: &d {shell: bash}\ny: *d\n",
    [set("x.shell", json!("sh"))]
);
snap!(
    missing_entry_removal_is_refused,
    TWO,
    [remove("jobs.build.env")]
);
snap!(
    place_before_jobs_after_on,
    "name: ci\n\non: push\n\njobs:\n  a:\n    runs-on: x\n",
    [Op::Set {
        path: Path::parse("permissions").unwrap(),
        value: json!({"contents": "read"}),
        place: Place {
            after: vec!["on".into()],
            before: vec!["jobs".into()]
        },
    }]
);
