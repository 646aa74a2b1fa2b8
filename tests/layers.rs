//! A config in layers, as Helm, Argo CD and Flux users give one: several `-f` files and
//! `--set`, `--set-string`, `--set-file`, merged with Helm's rules, in `render`, `build` and
//! `diff`; pipes (`-f <(…)`, `-f /dev/stdin`) as config files. Each layered run is compared
//! with the run of the config merged by hand, byte for byte, and a problem names the file or
//! the flag that set the value.

use crate::common::{run_tool_in, scratch_dir};
use std::process::Command;

const BASE: &str = "apiVersion: sg-executor-gen/v1alpha1
kind: ExecutorDeployment
metadata:
  name: executor
  namespace: sourcegraph
spec:
  executor:
    frontendUrl: http://sourcegraph-frontend.sourcegraph.svc.cluster.local:30080
    frontendExistingSecret: executor-frontend
    replicaCount: 5
    log:
      level: info
      format: json
  queues:
    - name: batches
    - name: codeintel
";

/// Bare values over the KRM base: a map merged, a list replaced, a key deleted by `null`.
const PROD: &str = "executor:
  replicaCount: null
  log:
    level: warn
queues:
  - name: batches
";

/// What BASE, PROD and the flags below make, written by hand.
const MERGED: &str = "apiVersion: sg-executor-gen/v1alpha1
kind: ExecutorDeployment
metadata:
  name: executor
  namespace: sourcegraph
spec:
  executor:
    frontendUrl: http://sourcegraph-frontend.sourcegraph.svc.cluster.local:30080
    frontendExistingSecret: executor-frontend
    log:
      level: warn
      format: json
    env:
      EXTRA:
        value: \"0123\"
      NOTE:
        value: |
          line one
          line two
  queues:
    - name: batches
      replicaCount: 2
      queueNames: [batches, codeintel]
";

const FLAGS: [&str; 8] = [
    "--set",
    "executor.log.format=json,queues[0].replicaCount=2",
    "--set",
    "queues[0].queueNames={batches,codeintel}",
    "--set-string",
    "executor.env.EXTRA.value=0123",
    "--set-file",
    "executor.env.NOTE.value=note.txt",
];

fn dir_with_layers(name: &str) -> std::path::PathBuf {
    let dir = scratch_dir(name);
    std::fs::write(dir.join("base.yaml"), BASE).unwrap();
    std::fs::write(dir.join("prod.yaml"), PROD).unwrap();
    std::fs::write(dir.join("merged.yaml"), MERGED).unwrap();
    std::fs::write(dir.join("note.txt"), "line one\nline two\n").unwrap();
    dir
}

fn layered<'a>(subcommand: &'a [&'a str]) -> Vec<&'a str> {
    let mut args = subcommand.to_vec();
    args.extend(["-f", "base.yaml", "-f", "prod.yaml"]);
    args.extend(FLAGS);
    args
}

#[test]
fn layered_files_and_set_flags_render_what_the_merged_config_renders() {
    let dir = dir_with_layers("layers-render");
    let by_hand = run_tool_in(&dir, &["render", "-f", "merged.yaml"], None);
    assert_eq!(by_hand.code, 0, "{}", by_hand.stderr);
    let layered = run_tool_in(&dir, &layered(&["render"]), None);
    assert_eq!(layered.code, 0, "{}", layered.stderr);
    assert_eq!(layered.stdout, by_hand.stdout);
    // And it is what the layers say: the list from prod.yaml, the replicas from --set.
    assert!(layered.stdout.contains("name: executor-batches\n"));
    assert!(!layered.stdout.contains("executor-codeintel"));
    assert!(layered.stdout.contains("replicas: 2\n"));
}

#[test]
fn build_and_diff_take_the_same_layers() {
    let dir = dir_with_layers("layers-build");
    let built = run_tool_in(&dir, &layered(&["build", "-o", "component"]), None);
    assert_eq!(built.code, 0, "{}", built.stderr);
    let diff = run_tool_in(
        &dir,
        &["diff", "-f", "merged.yaml", "--golden", "component"],
        None,
    );
    assert_eq!(diff.code, 0, "{}{}", diff.stdout, diff.stderr);
    let diff = run_tool_in(&dir, &layered(&["diff", "--golden", "component"]), None);
    assert_eq!(diff.code, 0, "{}{}", diff.stdout, diff.stderr);
    // Drift names the layers to repeat with --update.
    let drift = run_tool_in(
        &dir,
        &[
            "diff",
            "-f",
            "base.yaml",
            "--set",
            "executor.replicaCount=7",
            "--golden",
            "component",
        ],
        None,
    );
    assert_eq!(drift.code, 1, "{}", drift.stderr);
    assert!(
        drift.stderr.contains("run `sg-executor-gen diff -f base.yaml --set executor.replicaCount=7 --golden component --update`"),
        "{}",
        drift.stderr
    );
}

#[test]
fn a_problem_names_the_file_or_the_flag_that_set_the_value() {
    let dir = dir_with_layers("layers-located");
    std::fs::write(dir.join("bad.yaml"), "executor:\n  log:\n    level: loud\n").unwrap();
    let run = run_tool_in(
        &dir,
        &[
            "render",
            "-f",
            "base.yaml",
            "-f",
            "bad.yaml",
            "--set",
            "executor.replicaCount=-1",
            "--set-string",
            "executor.maximumNumJobs=lots",
        ],
        None,
    );
    assert_eq!(run.code, 2);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("bad.yaml:3:12: error: spec.executor.log.level: ")),
        "{}",
        run.stderr
    );
    assert!(
        lines.iter().any(|l| l
            .starts_with("--set executor.replicaCount=-1: error: spec.executor.replicaCount: ")),
        "{}",
        run.stderr
    );
    assert!(
        lines.iter().any(|l| l.starts_with(
            "--set-string executor.maximumNumJobs=lots: error: spec.executor.maximumNumJobs: "
        )),
        "{}",
        run.stderr
    );
    // A --set that cannot be read says where in the argument.
    let run = run_tool_in(
        &dir,
        &["render", "-f", "base.yaml", "--set", "executor.queueName"],
        None,
    );
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "--set executor.queueName: error: key `queueName` has no value; write queueName=VALUE\n"
    );
}

/// `-f <(cmd)` gives a pipe as /dev/fd/N, as `sops -d` users write it; `/dev/stdin` too.
#[test]
fn pipes_are_config_files() {
    let dir = dir_with_layers("layers-pipes");
    let by_hand = run_tool_in(&dir, &["render", "-f", "base.yaml"], None);
    assert_eq!(by_hand.code, 0, "{}", by_hand.stderr);
    let bin = env!("CARGO_BIN_EXE_sg-executor-gen");
    let substituted = Command::new("bash")
        .arg("-c")
        .arg(format!("'{bin}' render -f <(cat base.yaml)"))
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        substituted.status.success(),
        "{}",
        String::from_utf8_lossy(&substituted.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&substituted.stdout), by_hand.stdout);
    let stdin = run_tool_in(
        &dir,
        &["render", "-f", "/dev/stdin", "-f", "prod.yaml"],
        Some(BASE),
    );
    let both = run_tool_in(
        &dir,
        &["render", "-f", "base.yaml", "-f", "prod.yaml"],
        None,
    );
    assert_eq!(stdin.code, 0, "{}", stdin.stderr);
    assert_eq!(stdin.stdout, both.stdout);
    // A command that fails writes nothing into the pipe: that is an error, not a config.
    let failed = Command::new("bash")
        .arg("-c")
        .arg(format!("'{bin}' render -f <(false)"))
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(failed.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&failed.stderr)
            .contains(": error: is a pipe, and nothing came through it; "),
        "{}",
        String::from_utf8_lossy(&failed.stderr)
    );
}

#[test]
fn set_alone_is_a_config_and_strict_refuses_warnings() {
    let dir = scratch_dir("layers-set-only");
    let set = [
        "render",
        "--set",
        "executor.frontendUrl=http://sourcegraph-frontend.sourcegraph.svc.cluster.local,executor.frontendExistingSecret=fe,executor.queueName=batches",
    ];
    let run = run_tool_in(&dir, &set, None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("warning"), "{}", run.stderr);
    let strict = run_tool_in(&dir, &[&set[..], &["--strict"]].concat(), None);
    assert_eq!(strict.code, 2, "{}", strict.stderr);
    assert!(strict.stdout.is_empty());
    assert_eq!(
        strict.stderr,
        run.stderr.replace(": warning: ", ": error: "),
        "--strict reports the warnings as errors, nothing else"
    );
}

/// `init` takes the same flags: each set key is written in place of its commented default,
/// the comments kept, and the printed config renders exactly what the starter with the
/// flags renders.
#[test]
fn init_writes_set_values_into_the_starter() {
    let dir = dir_with_layers("layers-init");
    let sets = [
        "--set",
        "executor.maximumNumJobs=2,queues[0].name=batches",
        "--set-string",
        "executor.log.level=debug",
        "--set-file",
        "executor.env.NOTE.value=note.txt",
    ];
    let starter = run_tool_in(&dir, &["init"], None);
    assert_eq!(starter.code, 0, "{}", starter.stderr);
    std::fs::write(dir.join("starter.yaml"), &starter.stdout).unwrap();
    let mut init = vec!["init"];
    init.extend(sets);
    let with_sets = run_tool_in(&dir, &init, None);
    assert_eq!(with_sets.code, 0, "{}", with_sets.stderr);
    let printed = &with_sets.stdout;
    assert!(printed.contains("\n    maximumNumJobs: 2\n"), "{printed}");
    assert!(!printed.contains("# maximumNumJobs:"), "{printed}");
    assert!(printed.contains("\n      level: debug\n"), "{printed}");
    assert!(printed.contains("line one\\nline two\\n"), "{printed}");
    // The key's documentation stays above it.
    let doc = printed.find("`EXECUTOR_MAXIMUM_NUM_JOBS`").unwrap();
    assert!(doc < printed.find("maximumNumJobs: 2").unwrap());
    std::fs::write(dir.join("printed.yaml"), printed).unwrap();
    let rendered = run_tool_in(&dir, &["render", "-f", "printed.yaml"], None);
    let mut layered = vec!["render", "-f", "starter.yaml"];
    layered.extend(sets);
    let expected = run_tool_in(&dir, &layered, None);
    assert_eq!(expected.code, 0, "{}", expected.stderr);
    assert_eq!(rendered.code, 0, "{}", rendered.stderr);
    assert_eq!(rendered.stdout, expected.stdout);
    assert!(rendered
        .stdout
        .contains("EXECUTOR_MAXIMUM_NUM_JOBS: \"2\"\n"));
}

#[test]
fn init_names_the_set_argument_that_is_wrong() {
    let run = crate::common::run_tool(&["init", "--set", "executor.maximumNumJobs=x"], None);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        run.stderr.starts_with(
            "--set executor.maximumNumJobs=x: error: spec.executor.maximumNumJobs: wrong type"
        ),
        "{}",
        run.stderr
    );
}
