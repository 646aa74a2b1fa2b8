//! What `fn` does to the files of a package that are not the stack's, under the real kpt:
//! nothing. kpt re-serializes whatever a function prints, so the promise is measured
//! against a function that changes nothing (`cat`): after `kpt fn eval` with our function,
//! every file but the stack's is byte for byte the file kpt writes after `cat`. A property
//! test generates packages with what YAML writers get wrong (block and multi-line quoted
//! scalars with lines that start with `#`, anchors and aliases, flow style, explicit `? `
//! keys, YAML 1.1 forms such as `0644`, `0x1F`, `1e3`, `yes`, comments everywhere), with
//! and without the stack from an earlier run in it; the cases of issue 21 are pinned on
//! their own. A stack whose object would share an id with another owner's (another stack,
//! or an admin's object in an older apiVersion) is refused, and kpt writes nothing.
//!
//! Case count: `SG_KPT_CASES` (default 24, as `.ci/run` sets it; each case runs kpt two or
//! three times, so `PROPTEST_CASES` does not set it: 24 cases take about 90 s, 128 about 8 min).

use super::{exec, package_with, run_kpt, stack_config};
use crate::common::{self, untouched_tree};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

/// Every file under `dir` with its bytes, by relative path.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    common::files_under(dir)
        .into_iter()
        .map(|rel| {
            let bytes = std::fs::read(dir.join(&rel)).unwrap();
            (rel.display().to_string(), bytes)
        })
        .collect()
}

/// `kpt fn eval pkg --exec EXEC --fn-config executor.yaml` in `root`.
fn eval_with(root: &Path, exec: &str) -> super::Kpt {
    let args = [
        "fn",
        "eval",
        "pkg",
        "--exec",
        exec,
        "--fn-config",
        "executor.yaml",
    ];
    run_kpt(root, &args)
}

/// Runs `kpt fn eval` with `exec` and the stack config on a package of `files`, and with
/// `earlier` the stack's objects from an earlier run (made apart, so that run cannot touch
/// `files`); the package after, or kpt's stderr when it failed.
fn eval(
    name: &str,
    files: &[(String, String)],
    exec: &str,
    config: &str,
    earlier: bool,
) -> Result<BTreeMap<String, Vec<u8>>, String> {
    static STACK: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();
    let mut all = files.to_vec();
    if earlier {
        all.extend(STACK.get_or_init(|| with_stack("ci", "")).iter().cloned());
    }
    let (root, pkg) = package_with(name, &all);
    std::fs::write(root.join("executor.yaml"), config).unwrap();
    let run = eval_with(&root, exec);
    if run.code != 0 {
        return Err(run.stderr);
    }
    Ok(tree(&pkg))
}

/// The files of the package after our function equal those after `cat`, but for the
/// stack's own directory `ci/`, which only ours may add.
fn assert_passed_through(files: &[(String, String)], earlier: bool) -> Result<(), TestCaseError> {
    assert_passed_through_with(files, earlier, &stack_config("ci", ""))
}

/// As `assert_passed_through`, with the stack's `config` as the function config.
fn assert_passed_through_with(
    files: &[(String, String)],
    earlier: bool,
    config: &str,
) -> Result<(), TestCaseError> {
    let Ok(baseline) = eval("kpt-pass-cat", files, "cat", config, earlier) else {
        // kpt itself cannot read this package; nothing to compare.
        return Err(TestCaseError::reject("kpt refuses the package"));
    };
    let ours = eval("kpt-pass-fn", files, &exec(), config, earlier)
        .map_err(|e| TestCaseError::fail(format!("kpt failed with our function:\n{e}")))?;
    let theirs = |t: &BTreeMap<String, Vec<u8>>| -> BTreeMap<String, String> {
        t.iter()
            .filter(|(path, _)| !path.starts_with("ci/"))
            .map(|(p, b)| (p.clone(), String::from_utf8_lossy(b).into_owned()))
            .collect()
    };
    let (want, got) = (theirs(&baseline), theirs(&ours));
    for (path, text) in &want {
        prop_assert_eq!(
            got.get(path),
            Some(text),
            "{} differs from what kpt writes after `cat`; the package:\n{}",
            path,
            shown(files)
        );
    }
    prop_assert_eq!(got.len(), want.len(), "files added or removed outside ci/");
    prop_assert!(
        ours.keys()
            .any(|p| p.starts_with("ci/") && p.ends_with(".Deployment.yaml")),
        "the stack was not written: {:?}",
        ours.keys().collect::<Vec<_>>()
    );
    Ok(())
}

fn shown(files: &[(String, String)]) -> String {
    files
        .iter()
        .map(|(name, text)| format!("--- {name}\n{text}"))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Generated packages
// ---------------------------------------------------------------------------------------

/// Draws choices from bytes proptest makes (and shrinks).
struct Draw<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Draw<'_> {
    fn below(&mut self, n: usize) -> usize {
        let b = self.bytes.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        usize::from(b) % n
    }

    fn pick<'s>(&mut self, from: &[&'s str]) -> &'s str {
        from[self.below(from.len())]
    }

    fn chance(&mut self, in_four: usize) -> bool {
        self.below(4) < in_four
    }
}

/// Plain scalars a YAML 1.2 writer would change: YAML 1.1 numbers and booleans, and
/// words that need no quotes.
const PLAIN: &[&str] = &[
    "0644",
    "0x1F",
    "1e3",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "~",
    "null",
    "1_000",
    "0o17",
    "+12",
    ".5",
    "2001-12-14",
    "1:20",
    "True",
    "hello world",
    "a#b",
    "0",
    "-0",
    "1.0",
    "=",
    "12e3",
    "0b101",
    "08",
];

/// Lines of a block scalar: `#` lines are content, not comments.
const BLOCK_LINES: &[&str] = &[
    "line",
    "# looks like a comment",
    "",
    "  indented more",
    "#!/bin/sh",
    "key: value",
    "- item",
    "#",
    "tail # hash",
];

struct Doc {
    text: String,
    anchors: Vec<String>,
    next_anchor: usize,
    file: usize,
}

impl Doc {
    fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }

    fn pad(&mut self, indent: usize) {
        self.text.push_str(&" ".repeat(indent));
    }

    fn anchor(&mut self) -> String {
        let name = format!("a{}x{}", self.file, self.next_anchor);
        self.next_anchor += 1;
        self.anchors.push(name.clone());
        name
    }
}

/// A scalar or flow value on the rest of a `key: ` line (ending it), or a nested block.
fn value(g: &mut Draw<'_>, doc: &mut Doc, indent: usize, depth: usize) {
    match g.below(12) {
        0..=2 => {
            let plain = g.pick(PLAIN);
            doc.push(&format!(" {plain}"));
            comment_after(g, doc);
        }
        3 => doc.push(" 'single # quoted, it''s'\n"),
        4 => {
            // A multi-line double-quoted scalar whose next line starts with `#`.
            doc.push(" \"first");
            for _ in 0..=g.below(2) {
                doc.push("\n");
                doc.pad(indent + 2);
                doc.push(g.pick(&["# second", "#third \\t", "plain", ""]));
            }
            doc.push("\"\n");
        }
        5 | 6 => {
            let header = g.pick(&["|", "|-", "|+", ">", ">-", "|2"]);
            doc.push(&format!(" {header}\n"));
            let lines = 1 + g.below(4);
            for i in 0..lines {
                let line = g.pick(BLOCK_LINES);
                // The first line sets the indentation: it may not be blank or deeper.
                let line = if i == 0 && (line.is_empty() || line.starts_with(' ')) {
                    "first"
                } else {
                    line
                };
                if !line.is_empty() {
                    doc.pad(indent + 2);
                }
                doc.push(&format!("{line}\n"));
            }
            if g.chance(2) {
                doc.pad(indent + 2);
                doc.push("# last line, not a comment\n");
            }
        }
        7 => {
            let a = g.pick(PLAIN);
            let b = g.pick(PLAIN);
            doc.push(&format!(" {{x: {a}, y: [{b}, 'q'], z: {{}}}}"));
            comment_after(g, doc);
        }
        8 => {
            let name = doc.anchor();
            let plain = g.pick(PLAIN);
            doc.push(&format!(" &{name} [{plain}, 1e3]\n"));
        }
        9 if !doc.anchors.is_empty() => {
            let i = g.below(doc.anchors.len());
            doc.push(&format!(" *{}\n", doc.anchors[i]));
        }
        10 if depth < 3 => {
            if g.chance(1) {
                let name = doc.anchor();
                doc.push(&format!(" &{name}"));
            }
            doc.push("\n");
            mapping(g, doc, indent + 2, depth + 1);
        }
        _ if depth < 3 => {
            doc.push("\n");
            let dash = indent + 2 * g.below(2);
            for _ in 0..=g.below(3) {
                doc.pad(dash);
                doc.push("-");
                if g.chance(2) {
                    let plain = g.pick(PLAIN);
                    doc.push(&format!(" {plain}\n"));
                } else {
                    doc.push(" k: v\n");
                    doc.pad(dash + 2);
                    doc.push("n: 0644\n");
                }
            }
        }
        _ => doc.push(" leaf\n"),
    }
}

fn comment_after(g: &mut Draw<'_>, doc: &mut Doc) {
    if g.chance(1) {
        doc.push(" # trailing");
    }
    doc.push("\n");
}

/// A block mapping at `indent`, its keys in a drawn order, some written as `? key`.
fn mapping(g: &mut Draw<'_>, doc: &mut Doc, indent: usize, depth: usize) {
    let count = 1 + g.below(4);
    let mut keys: Vec<String> = (0..count).map(|i| format!("k{depth}{i}")).collect();
    if g.chance(2) {
        keys.reverse();
    }
    for key in keys {
        if g.chance(1) {
            doc.pad(indent);
            doc.push("# a comment line\n");
        }
        doc.pad(indent);
        if g.below(8) == 0 {
            doc.push(&format!("? {key}\n"));
            doc.pad(indent);
            doc.push(":");
        } else {
            doc.push(&format!("{key}:"));
        }
        value(g, doc, indent, depth);
    }
}

/// One object of the admin's, named `name`.
fn object(g: &mut Draw<'_>, file: usize, name: &str) -> String {
    let mut doc = Doc {
        text: String::new(),
        anchors: Vec::new(),
        next_anchor: 0,
        file,
    };
    if g.chance(2) {
        doc.push("# head comment\n");
    }
    let (api_version, kind, body) = match g.below(3) {
        0 => ("v1", "ConfigMap", "data"),
        1 => ("apps/v1", "Deployment", "spec"),
        _ => ("example.com/v1alpha1", "Widget", "spec"),
    };
    doc.push(&format!("apiVersion: {api_version}\nkind: {kind}\n"));
    if g.chance(1) {
        doc.push(&format!(
            "metadata: {{name: {name}, labels: {{team: 'a'}}}}\n"
        ));
    } else {
        doc.push(&format!(
            "metadata:\n  name: {name} # the name\n  namespace: sourcegraph\n"
        ));
    }
    doc.push(&format!("{body}:\n"));
    mapping(g, &mut doc, 2, 0);
    if g.chance(1) {
        doc.push("# foot comment\n");
    }
    doc.text
}

/// Files of one to three objects each.
fn package(bytes: &[u8]) -> Vec<(String, String)> {
    let mut g = Draw { bytes, at: 0 };
    let files = 1 + g.below(3);
    (0..files)
        .map(|f| {
            let docs = 1 + g.below(2);
            let text: Vec<String> = (0..docs)
                .map(|d| object(&mut g, f, &format!("u{f}x{d}")))
                .collect();
            let dir = if g.chance(1) { "team/" } else { "" };
            (format!("{dir}f{f}.yaml"), text.join("---\n"))
        })
        .collect()
}

fn cases() -> u32 {
    std::env::var("SG_KPT_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(24)
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        max_shrink_iters: 64,
        max_global_rejects: 1_000,
        ..ProptestConfig::with_cases(cases())
    })]

    /// Whatever the package holds, its files come out of our function as out of `cat`.
    #[test]
    fn the_admins_files_come_out_as_after_a_function_that_changes_nothing(
        bytes in prop::collection::vec(any::<u8>(), 64..512),
        earlier in any::<bool>(),
    ) {
        assert_passed_through(&package(&bytes), earlier)?;
    }
}

// ---------------------------------------------------------------------------------------
// The cases of issue 21, each on its own
// ---------------------------------------------------------------------------------------

fn assert_same_as_cat(files: &[(&str, &str)], earlier: bool) {
    let files: Vec<(String, String)> = files
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    if let Err(e) = assert_passed_through(&files, earlier) {
        panic!("{e}");
    }
}

#[test]
fn a_block_scalar_ending_in_a_hash_line_keeps_it() {
    assert_same_as_cat(
        &[(
            "cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: script\ndata:\n  run.sh: |\n    #!/bin/sh\n    echo hi\n    # the last line starts with a hash\n",
        )],
        false,
    );
}

#[test]
fn a_multi_line_quoted_scalar_with_a_hash_line_keeps_it() {
    assert_same_as_cat(
        &[(
            "cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: quoted\ndata:\n  a: \"one\n    # two\"\n  b: 'three\n    # four'\n",
        )],
        true,
    );
}

/// An anchor in one file made every item of the list be re-serialized: `0644` became the
/// string `"0644"`, `0x1F` 31, `1e3` 1000.0, `yes` `"yes"`, flow style block style.
#[test]
fn an_anchor_in_one_file_changes_no_other_file() {
    assert_same_as_cat(
        &[
            (
                "anchors.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: anchors\ndata:\n  a: &shared value\n  b: *shared\n",
            ),
            (
                "deploy.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app, namespace: sourcegraph}\nspec:\n  selector: {matchLabels: {app: app}}\n  template:\n    metadata: {labels: {app: app}}\n    spec:\n      containers: [{name: c, image: i}]\n      volumes:\n      - name: v\n        configMap: {name: anchors, defaultMode: 0644}\n",
            ),
            (
                "forms.yaml",
                "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: forms\nspec:\n  hex: 0x1F\n  exp: 1e3\n  bool: yes\n  flow: {x: 1, y: [1, 2]}\n  ? explicit\n  : key\n",
            ),
        ],
        true,
    );
}

/// "With a YAML anchor anywhere in the list (the user's own config included)": the stack's
/// config is an item of the list too, and an anchor there changes no file of the package.
#[test]
fn an_anchor_in_the_function_config_changes_no_file() {
    let config = stack_config("ci", "")
        .replace("namespace: sourcegraph", "namespace: &ns sourcegraph")
        .replace("queueName: batches", "queueName: &q batches");
    assert!(config.contains("&q batches"), "{config}");
    let files = [(
        "forms.yaml".to_string(),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app, namespace: sourcegraph}\nspec:\n  selector: {matchLabels: {app: app}}\n  template:\n    metadata: {labels: {app: app}}\n    spec:\n      containers: [{name: c, image: i}]\n      volumes:\n      - name: v\n        configMap: {name: c, defaultMode: 0644}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: forms\nspec:\n  hex: 0x1F\n  exp: 1e3\n  bool: yes\n  flow: {x: 1, y: [1, 2]}\n".to_string(),
    )];
    if let Err(e) = assert_passed_through_with(&files, false, &config) {
        panic!("{e}");
    }
}

// ---------------------------------------------------------------------------------------
// Two owners of one id
// ---------------------------------------------------------------------------------------

/// Runs our function with `config` on a package of `files`: it must fail with a message
/// holding `expected`, and leave every file as it was.
fn assert_clash_refused(files: &[(String, String)], config: &str, expected: &str) {
    let (root, pkg) = package_with("kpt-clash", files);
    std::fs::write(root.join("executor.yaml"), config).unwrap();
    let before = untouched_tree(&pkg);
    let run = eval_with(&root, &exec());
    assert_ne!(run.code, 0, "a shared id was let through:\n{}", run.stderr);
    assert!(run.stderr.contains(expected), "{}", run.stderr);
    assert_eq!(
        untouched_tree(&pkg),
        before,
        "a refused run changed the package"
    );
}

/// The package as one stack `name` leaves it.
fn with_stack(name: &str, queues: &str) -> Vec<(String, String)> {
    let (root, pkg) = package_with("kpt-stack", &[]);
    std::fs::write(root.join("executor.yaml"), stack_config(name, queues)).unwrap();
    let run = eval_with(&root, &exec());
    assert_eq!(run.code, 0, "{}", run.stderr);
    tree(&pkg)
        .into_iter()
        .map(|(p, b)| (p, String::from_utf8(b).unwrap()))
        .collect()
}

const QUEUE_X: &str = "  queues:\n    - name: x\n      queueName: batches\n";

#[test]
fn a_stack_whose_queue_takes_another_stacks_name_is_refused() {
    // Stack `ci` with queue `x` makes Deployment/ci-x, the Deployment of stack `ci-x`.
    assert_clash_refused(
        &with_stack("ci-x", ""),
        &stack_config("ci", QUEUE_X),
        "Deployment ci-x in namespace sourcegraph (apps/v1, in ci-x/ci-x.Deployment.yaml), of the sg-executor-gen stack `ci-x`",
    );
    // And the other way round.
    assert_clash_refused(
        &with_stack("ci", QUEUE_X),
        &stack_config("ci-x", ""),
        "of the sg-executor-gen stack `ci`",
    );
}

#[test]
fn an_object_of_the_admins_in_an_older_api_version_is_a_clash() {
    for api_version in ["extensions/v1beta1", "apps/v1beta2", "apps/v1"] {
        let file = format!(
            "apiVersion: {api_version}\nkind: Deployment\nmetadata:\n  name: ci\n  namespace: sourcegraph\nspec: {{}}\n"
        );
        assert_clash_refused(
            &[("old.yaml".to_string(), file)],
            &stack_config("ci", ""),
            &format!("Deployment ci in namespace sourcegraph ({api_version}, in old.yaml), not generated by sg-executor-gen"),
        );
    }
}

/// Only the stack's own objects go when it is rendered again; another stack's stay as
/// they were (as after `cat`).
#[test]
fn a_second_stack_in_the_package_is_left_alone() {
    let files = with_stack("other", "");
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    assert_same_as_cat(&files, true);
}

/// kpt writes a quoted scalar on one line, but a `ResourceList` from elsewhere may hold
/// one over several lines, the last starting with `#`: it comes back as it came.
#[test]
fn a_multi_line_quoted_scalar_in_the_list_comes_back_as_it_came() {
    let item = "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: quoted\n  data:\n    a: \"one\n      # two\"\n    b: 'three\n      # four'\n";
    let config: String = stack_config("ci", "")
        .lines()
        .map(|l| format!("  {l}\n"))
        .collect();
    let list = format!(
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n{item}functionConfig:\n{config}"
    );
    let run = sg_executor_gen::krm::run(&list);
    assert!(!run.failed, "{}", run.output);
    assert!(run.output.contains(item), "{}", run.output);
}
