//! `sg-executor-gen fn` under the real kpt: `kpt fn eval --exec` with `--fn-config`, and a
//! Kptfile pipeline under `kpt fn render --allow-exec`. The objects kpt writes are the ones
//! `render` prints; a second run changes nothing (no duplicates); a changed config replaces
//! the stack's objects (a removed queue's Deployment goes); a package's own files are left
//! as they were; a typo in the function config is an error result naming the key, a
//! non-zero exit, and no file changed.
//!
//! kpt must be installed (`KPT` names another binary): without it these tests fail, never
//! pass. `.ci/run` checks for it first.

use crate::common;

mod passthrough;

use common::{scratch_dir, untouched_tree};
use serde::Deserialize;
use serde_yaml::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const BIN: &str = env!("CARGO_BIN_EXE_sg-executor-gen");

/// A file of the admin's in the package: comments, and a value YAML 1.1 reads as octal.
const TEAM_FILE: &str = "# owned by the platform team\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: team-notes # keep\n  namespace: sourcegraph\ndata:\n  mode: 0644\n  note: \"on\"\n";

fn config(queues: &str, mode: &str) -> String {
    named_config("ci", queues, mode)
}

fn named_config(name: &str, queues: &str, mode: &str) -> String {
    format!(
        "apiVersion: sg-executor-gen/v1alpha1\nkind: ExecutorDeployment\nmetadata:\n  name: {name}\n  namespace: sourcegraph\nspec:\n  mode: {mode}\n  executor:\n    frontendUrl: http://sourcegraph-frontend.sourcegraph.svc.cluster.local:30080\n    frontendExistingSecret: fe\n    queueName: batches\n{queues}"
    )
}

/// A dind stack `name` in namespace `sourcegraph`, with `queues` (a `  queues:` block).
fn stack_config(name: &str, queues: &str) -> String {
    named_config(name, queues, "dind")
}

const TWO_QUEUES: &str = "  queues:\n    - name: batches\n      queueName: batches\n    - name: codeintel\n      queueName: codeintel\n";
const ONE_QUEUE: &str = "  queues:\n    - name: batches\n      queueName: batches\n";

/// The kpt to run, checked once (`kpt version`) for the whole test binary.
fn kpt() -> String {
    static CHECKED: std::sync::OnceLock<Result<String, String>> = std::sync::OnceLock::new();
    let checked = CHECKED.get_or_init(|| {
        let kpt = std::env::var("KPT").unwrap_or_else(|_| "kpt".into());
        let found = Command::new(&kpt).arg("version").output();
        if found.as_ref().is_ok_and(|o| o.status.success()) {
            Ok(kpt)
        } else {
            Err(format!("kpt is not installed (tried `{kpt} version`: {found:?}); these tests need the real kpt: install it (the google-cloud-cli-kpt package) or point KPT at it"))
        }
    });
    checked
        .clone()
        .unwrap_or_else(|message| panic!("{message}"))
}

struct Kpt {
    code: i32,
    stderr: String,
    seconds: f64,
}

fn run_kpt(cwd: &Path, args: &[&str]) -> Kpt {
    let started = Instant::now();
    let out = Command::new(kpt())
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("kpt runs");
    let run = Kpt {
        code: out.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        seconds: started.elapsed().as_secs_f64(),
    };
    eprintln!(
        "kpt {} ({:.2}s): exit {}\n{}",
        args.join(" "),
        run.seconds,
        run.code,
        run.stderr
    );
    run
}

fn exec() -> String {
    format!("'{BIN}' fn")
}

/// Every object in the package's YAML files but `except`, by kind, namespace and name.
fn objects(dir: &Path, except: &[&str]) -> BTreeMap<String, Value> {
    let mut all = BTreeMap::new();
    for rel in common::files_under(dir) {
        let name = rel.to_string_lossy().to_string();
        if except.contains(&name.as_str()) || !name.ends_with(".yaml") {
            continue;
        }
        let text = std::fs::read_to_string(dir.join(&rel)).unwrap();
        for doc in serde_yaml::Deserializer::from_str(&text) {
            let v = Value::deserialize(doc).unwrap();
            if v.is_null() {
                continue;
            }
            let id = format!(
                "{}/{}/{}",
                v["kind"].as_str().unwrap_or_default(),
                v["metadata"]["namespace"].as_str().unwrap_or_default(),
                v["metadata"]["name"].as_str().unwrap_or_default()
            );
            assert!(
                all.insert(id.clone(), v).is_none(),
                "{id} twice in {}",
                dir.display()
            );
        }
    }
    all
}

/// What `render` prints for a config, as objects.
fn rendered(config: &Path) -> BTreeMap<String, Value> {
    let run = common::run_tool(&["render", "-f", config.to_str().unwrap()], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let dir = scratch_dir("kpt-rendered");
    std::fs::write(dir.join("all.yaml"), run.stdout).unwrap();
    objects(&dir, &[])
}

/// A package `pkg` under a new scratch directory, holding `files` (relative paths).
fn package_with(name: &str, files: &[(String, String)]) -> (PathBuf, PathBuf) {
    let root = scratch_dir(name);
    let pkg = root.join("pkg");
    std::fs::create_dir(&pkg).unwrap();
    for (path, text) in files {
        let path = pkg.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    (root, pkg)
}

fn package(name: &str) -> (PathBuf, PathBuf) {
    let root = scratch_dir(name);
    let pkg = root.join("pkg");
    std::fs::create_dir(&pkg).unwrap();
    std::fs::write(pkg.join("team.yaml"), TEAM_FILE).unwrap();
    (root, pkg)
}

fn assert_same(got: &BTreeMap<String, Value>, want: &BTreeMap<String, Value>) {
    let got_ids: Vec<&String> = got.keys().collect();
    let want_ids: Vec<&String> = want.keys().collect();
    assert_eq!(
        got_ids, want_ids,
        "kpt wrote other objects than render prints"
    );
    for (id, v) in want {
        assert_eq!(&got[id], v, "{id} as kpt wrote it differs from render's");
    }
}

#[test]
fn eval_writes_what_render_prints_and_a_second_run_changes_nothing() {
    let (root, pkg) = package("kpt-eval");
    let config_path = root.join("executor.yaml");
    std::fs::write(&config_path, config(TWO_QUEUES, "dind")).unwrap();
    let args = [
        "fn",
        "eval",
        "pkg",
        "--exec",
        &exec(),
        "--fn-config",
        "executor.yaml",
    ];

    let first = run_kpt(&root, &args);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let want = rendered(&config_path);
    assert!(want.contains_key("Deployment/sourcegraph/ci-codeintel"));
    assert_same(&objects(&pkg, &["team.yaml"]), &want);
    assert_eq!(
        std::fs::read_to_string(pkg.join("team.yaml")).unwrap(),
        TEAM_FILE
    );

    let files = untouched_tree(&pkg);
    let second = run_kpt(&root, &args);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_same(&objects(&pkg, &["team.yaml"]), &want);
    let again = untouched_tree(&pkg);
    let contents = |t: &BTreeMap<String, common::Untouched>| -> BTreeMap<String, Vec<u8>> {
        t.iter()
            .map(|(k, v)| (k.clone(), v.content.clone()))
            .collect()
    };
    assert_eq!(
        contents(&again),
        contents(&files),
        "a second run changed the package"
    );

    // A queue removed from the config: its Deployment goes, the rest is replaced in place.
    std::fs::write(&config_path, config(ONE_QUEUE, "dind")).unwrap();
    let third = run_kpt(&root, &args);
    assert_eq!(third.code, 0, "{}", third.stderr);
    let want = rendered(&config_path);
    assert!(!want.contains_key("Deployment/sourcegraph/ci-codeintel"));
    assert_same(&objects(&pkg, &["team.yaml"]), &want);
    assert_eq!(
        std::fs::read_to_string(pkg.join("team.yaml")).unwrap(),
        TEAM_FILE
    );
}

fn kptfile(exec: &str) -> String {
    format!(
        "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: pkg\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\npipeline:\n  mutators:\n    - exec: \"{}\"\n      configPath: executor.yaml\n",
        exec.replace('"', "\\\"")
    )
}

#[test]
fn render_runs_a_kptfile_pipeline_with_the_config_in_the_package() {
    let (root, pkg) = package("kpt-render");
    std::fs::write(pkg.join("Kptfile"), kptfile(&exec())).unwrap();
    // Native Kubernetes mode: the shared RBAC objects carry no stack instance label.
    std::fs::write(pkg.join("executor.yaml"), config("", "kubernetes")).unwrap();
    let config_value: Value =
        serde_yaml::from_str(&std::fs::read_to_string(pkg.join("executor.yaml")).unwrap()).unwrap();
    let args = ["fn", "render", "pkg", "--allow-exec"];
    let mine = ["team.yaml", "Kptfile", "executor.yaml"];

    for _ in 0..2 {
        let run = run_kpt(&root, &args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let want = rendered(&pkg.join("executor.yaml"));
        assert!(want.contains_key("ServiceAccount/sourcegraph/sg-executor"));
        assert_same(&objects(&pkg, &mine), &want);
        let config_after: Value =
            serde_yaml::from_str(&std::fs::read_to_string(pkg.join("executor.yaml")).unwrap())
                .unwrap();
        assert_eq!(config_after, config_value, "kpt changed the config");
        assert_eq!(
            std::fs::read_to_string(pkg.join("team.yaml")).unwrap(),
            TEAM_FILE
        );
    }
}

/// The typo, the error result naming it, and a package left exactly as it was.
fn assert_refused_and_untouched(root: &Path, pkg: &Path, args: &[&str]) {
    let before = untouched_tree(pkg);
    let results = root.join("results");
    let mut args: Vec<&str> = args.to_vec();
    let results_arg = results.to_str().unwrap().to_string();
    args.extend(["--results-dir", &results_arg]);
    let run = run_kpt(root, &args);
    assert_ne!(run.code, 0, "kpt passed a config with a typo");
    assert!(
        run.stderr.contains("spec.executor.queueNmae")
            && run.stderr.contains("did you mean `queueName`?"),
        "{}",
        run.stderr
    );
    let report = std::fs::read_to_string(results.join("results.yaml")).unwrap();
    let report: Value = serde_yaml::from_str(&report).unwrap();
    let r = &report["items"][0]["results"][0];
    assert_eq!(r["severity"], "error", "{report:?}");
    assert_eq!(r["field"]["path"], "spec.executor.queueNmae", "{report:?}");
    assert_eq!(r["resourceRef"]["kind"], "ExecutorDeployment", "{report:?}");
    assert_eq!(
        untouched_tree(pkg),
        before,
        "a failed run changed the package"
    );
}

#[test]
fn a_typo_in_the_function_config_is_an_error_result_and_changes_nothing() {
    let typo = config("", "dind").replace("queueName:", "queueNmae:");

    let (root, pkg) = package("kpt-typo-eval");
    std::fs::write(root.join("executor.yaml"), &typo).unwrap();
    let exec = exec();
    assert_refused_and_untouched(
        &root,
        &pkg,
        &[
            "fn",
            "eval",
            "pkg",
            "--exec",
            &exec,
            "--fn-config",
            "executor.yaml",
        ],
    );

    let (root, pkg) = package("kpt-typo-render");
    std::fs::write(pkg.join("Kptfile"), kptfile(&exec)).unwrap();
    std::fs::write(pkg.join("executor.yaml"), &typo).unwrap();
    assert_refused_and_untouched(&root, &pkg, &["fn", "render", "pkg", "--allow-exec"]);
    let report: Value =
        serde_yaml::from_str(&std::fs::read_to_string(root.join("results/results.yaml")).unwrap())
            .unwrap();
    assert_eq!(
        report["items"][0]["results"][0]["file"]["path"], "executor.yaml",
        "render names the config's file"
    );
}

#[test]
fn without_a_function_config_it_says_how_to_give_one() {
    let (root, pkg) = package("kpt-no-config");
    let before = untouched_tree(&pkg);
    let run = run_kpt(&root, &["fn", "eval", "pkg", "--exec", &exec()]);
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains("not an ExecutorDeployment"),
        "{}",
        run.stderr
    );
    assert_eq!(untouched_tree(&pkg), before);
}
