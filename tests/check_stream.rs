//! `check` as a CI gate: it cannot pass on nothing (the README's recipe, run by a shell
//! without `pipefail`, used to exit 0 on a failed `kubectl kustomize`), it reads several
//! files and directories and expands `List`s, counts the kinds it cannot check instead of
//! calling them checked, locates a problem at its field in its file, and reports as JSON
//! and JUnit for CI, without Rust's debug text in any message.

use crate::common::{kubectl, run_tool, run_tool_in, scratch_dir};
use std::process::Command;

fn deployment(name: &str, extra: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n      containers:\n        - name: c\n          image: busybox{extra}\n"
    )
}

const FOO: &str = "apiVersion: example.com/v1\nkind: Foo\nmetadata: {name: f}\n";

/// The README's recipe as a CI shell runs it (`bash -c`, no pipefail) on a kustomization
/// that does not build: kubectl fails, the stream is empty, and the gate must fail.
#[test]
fn the_ci_gate_fails_when_the_command_before_the_pipe_failed() {
    let dir = scratch_dir("check-gate");
    let bin = env!("CARGO_BIN_EXE_sg-executor-gen");
    let gate = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "'{}' kustomize broken/ | '{bin}' check -f -",
            kubectl()
        ))
        .current_dir(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&gate.stderr);
    assert_eq!(gate.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("<stdin>: error: the stream is empty: nothing was checked; the command writing it most likely failed (without `set -o pipefail` a shell loses its exit status); run it alone to see why, or pass --allow-empty if an empty stream is expected"),
        "{stderr}"
    );
    let allowed = run_tool(&["check", "-f", "-", "--allow-empty"], Some(""));
    assert_eq!(allowed.code, 0, "{}", allowed.stderr);
    // Only objects it cannot check: nothing was checked either.
    let foreign = run_tool(&["check", "-f", "-"], Some(FOO));
    assert_eq!(foreign.code, 2);
    assert!(
        foreign.stderr.contains("nothing was checked: the stream holds only objects of kinds it cannot check: Foo example.com/v1 (1)"),
        "{}",
        foreign.stderr
    );
}

#[test]
fn files_directories_and_lists_are_one_stream_located_by_file_line_and_field() {
    let dir = scratch_dir("check-dirs");
    let tree = dir.join("manifests");
    std::fs::create_dir_all(tree.join("b/nested")).unwrap();
    std::fs::write(tree.join("a.yaml"), deployment("a", "")).unwrap();
    std::fs::write(
        tree.join("b/nested/foo.yml"),
        format!("{FOO}---\n{}", FOO.replace("name: f", "name: g")),
    )
    .unwrap();
    std::fs::write(tree.join("b/notes.txt"), "not a manifest").unwrap();
    let list = format!(
        "{{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [{}]}}",
        "{\"apiVersion\": \"v1\", \"kind\": \"Bar\", \"metadata\": {\"name\": \"x\"}}"
    );
    std::fs::write(tree.join("b/list.json"), list).unwrap();
    std::fs::write(
        dir.join("extra.yaml"),
        format!(
            "apiVersion: v1\nkind: List\nitems:\n- {}",
            deployment("bad", "\n          imagePullPolicy: Sometimes")
                .replace('\n', "\n  ")
                .trim_end()
        ),
    )
    .unwrap();
    let run = run_tool_in(
        &dir,
        &["check", "-f", "manifests", "-f", "extra.yaml"],
        None,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "extra.yaml:18:13: error: Deployment/bad spec.template.spec.containers[0].imagePullPolicy: `Sometimes` is not an image pull policy; use one of Always, IfNotPresent, Never\n\
         note: 3 object(s) of kinds it cannot check, not counted as checked: Foo example.com/v1 (2), Bar v1 (1)\n\
         checked 2 object(s) in 1 namespace(s): 1 problem(s), 0 reference(s) outside the stream\n"
    );
    let strict = run_tool_in(&dir, &["check", "-f", "manifests", "--strict"], None);
    assert_eq!(strict.code, 1, "{}", strict.stderr);
    assert!(
        strict
            .stderr
            .starts_with("error: 3 object(s) of kinds it cannot check"),
        "{}",
        strict.stderr
    );
    let empty = scratch_dir("check-empty-dir");
    let run = run_tool_in(&empty, &["check", "-f", "."], None);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        ".: error: the directory holds no *.yaml, *.yml or *.json file; give the directory of the manifests, or the files themselves\n"
    );
}

/// A Service whose named target port no container declares, and a selector that selects
/// nothing: the messages show the port and the labels as a manifest writes them.
#[test]
fn messages_hold_no_rust_debug_text() {
    let stream = format!(
        "{}---\napiVersion: v1\nkind: Service\nmetadata: {{name: s}}\nspec:\n  selector: {{app: a}}\n  ports: [{{port: 80, targetPort: debug}}]\n---\napiVersion: v1\nkind: Service\nmetadata: {{name: t}}\nspec:\n  selector: {{app: nothing, tier: x}}\n  ports: [{{port: 81}}]\n",
        deployment("a", "")
    );
    let run = run_tool(&["check", "-f", "-"], Some(&stream));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("<stdin>:21:22: error: Service/s spec.ports[0].targetPort: port `debug` is not declared by any container of Deployment/a, so the Service has no endpoints\n"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("error: Service/t spec.selector: selects no pod of any workload (selector `app=nothing,tier=x`)"),
        "{}",
        run.stderr
    );
    for debug in ["String(", "Int(", "Some(", "{\""] {
        assert!(!run.stderr.contains(debug), "{debug} in {}", run.stderr);
    }
}

#[test]
fn json_and_junit_reports_for_ci() {
    let stream = format!(
        "{}---\n{FOO}---\n{}",
        deployment("a", ""),
        deployment("b", "\n          resources: {limits: {memory: 50GB}}")
    );
    let json = run_tool(&["check", "-f", "-", "-o", "json"], Some(&stream));
    assert_eq!(json.code, 1, "{}", json.stderr);
    assert!(json.stderr.is_empty(), "{}", json.stderr);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["checked"], 2);
    assert_eq!(v["documents"], 3);
    let p = &v["problems"][0];
    assert_eq!(p["source"], "<stdin>");
    assert_eq!(
        (p["line"].as_u64(), p["column"].as_u64()),
        (Some(34), Some(32))
    );
    assert_eq!(p["kind"], "Deployment");
    assert_eq!(p["name"], "b");
    assert_eq!(
        p["field"],
        "spec.template.spec.containers[0].resources.limits.memory"
    );

    let dir = scratch_dir("check-junit");
    let junit = run_tool(&["check", "-f", "-", "-o", "junit"], Some(&stream));
    assert_eq!(junit.code, 1, "{}", junit.stderr);
    std::fs::write(dir.join("report.xml"), &junit.stdout).unwrap();
    // A real XML parser reads it, and finds a case per object.
    let parsed = Command::new("python3")
        .arg("-c")
        .arg("import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); s = r.find('testsuite'); print(s.get('tests'), s.get('failures'), s.get('skipped'), len(s.findall('testcase')), len(s.findall('testcase/failure')))")
        .arg(dir.join("report.xml"))
        .output()
        .unwrap();
    assert!(
        parsed.status.success(),
        "{}",
        String::from_utf8_lossy(&parsed.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&parsed.stdout), "3 1 1 3 1\n");
}
