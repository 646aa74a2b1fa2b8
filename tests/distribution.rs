//! What ships around the binary, checked against the binary and against each other: the
//! licence, the image recipe against the release build's output, the Argo CD plugin run the
//! way Argo CD's repo server runs it, and the pre-commit hooks' commands. The release build
//! itself, the empty root, the workflow linter, hadolint and pre-commit run in `.ci/run`
//! (`.ci/release-build`, `.ci/empty-root`, `.ci/distribution-checks`): they take minutes or
//! tools a `cargo test` should not need.

use crate::common::{run_tool_in, scratch_dir};
use serde_yaml::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn yaml(path: &str) -> Value {
    serde_yaml::from_str(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_sequence()
        .map(|s| s.iter().map(|x| x.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

#[test]
fn the_licence_is_the_one_cargo_toml_names() {
    assert!(read("Cargo.toml").contains("license = \"Apache-2.0\""));
    let licence = read("LICENSE");
    assert!(
        licence.contains("Apache License\n                           Version 2.0, January 2004")
    );
    assert!(licence.contains("END OF TERMS AND CONDITIONS"));
    assert!(licence.len() > 11_000, "the whole text, not a notice");
}

/// The Dockerfile's instructions as (INSTRUCTION, rest), comments and blank lines dropped.
fn instructions(path: &str) -> Vec<(String, String)> {
    read(path)
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|l| {
            let (i, rest) = l.split_once(' ').unwrap();
            (i.to_string(), rest.trim().to_string())
        })
        .collect()
}

#[test]
fn the_image_is_the_release_binary_alone_run_as_nobody_with_fn_by_default() {
    let image = instructions("Dockerfile");
    let all = |name: &str| -> Vec<&str> {
        image
            .iter()
            .filter(|(i, _)| i == name)
            .map(|(_, r)| r.as_str())
            .collect()
    };
    assert_eq!(all("FROM"), ["scratch"], "no base image");
    assert!(
        all("RUN").is_empty(),
        "nothing runs in a FROM-scratch build"
    );
    // It copies what .ci/release-build writes, per Docker platform architecture.
    let copies = all("COPY");
    let binary = copies
        .iter()
        .find(|c| c.contains("sg-executor-gen "))
        .expect("the binary is copied");
    let words: Vec<&str> = binary.split_whitespace().collect();
    let (source, target) = (words[words.len() - 2], words[words.len() - 1]);
    assert_eq!(source, "dist/linux-${TARGETARCH}/sg-executor-gen");
    let build = read(".ci/release-build");
    assert!(build.contains(&source.replace("${TARGETARCH}", "$arch")));
    for (triple, arch) in [
        ("x86_64-unknown-linux-gnu", "amd64"),
        ("aarch64-unknown-linux-gnu", "arm64"),
    ] {
        assert!(
            build.contains(&format!("{triple}) arch={arch}")),
            "{triple}"
        );
    }
    assert!(binary.contains("--chmod=0555"));
    // Run as nobody, by number (Kubernetes' runAsNonRoot can check it), and named in
    // /etc/passwd, since kpt runs function images with --user nobody.
    assert_eq!(all("USER"), ["65534:65534"]);
    assert!(copies
        .iter()
        .any(|c| c.contains("packaging/image/passwd") && c.ends_with("/etc/")));
    assert!(read("packaging/image/passwd").starts_with("nobody:x:65534:65534:"));
    assert!(read("packaging/image/group").starts_with("nobody:x:65534:"));
    assert_eq!(all("ENTRYPOINT"), [format!("[\"{target}\"]")]);
    assert_eq!(
        all("CMD"),
        ["[\"fn\"]"],
        "kpt runs the image without arguments"
    );
    // The build context holds the binaries and the user files, not target/.
    let ignore = read(".dockerignore");
    let patterns: Vec<&str> = ignore.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        patterns,
        [
            "*",
            "!dist/linux-*/sg-executor-gen",
            "!packaging/image/passwd",
            "!packaging/image/group"
        ]
    );
}

#[test]
fn the_argocd_sidecar_carries_the_images_binary_and_the_plugin() {
    let sidecar = instructions("packaging/argocd/Dockerfile");
    let has = |i: &str, rest: &str| sidecar.iter().any(|(a, b)| a == i && b == rest);
    assert!(has("FROM", "${SG_EXECUTOR_GEN_IMAGE} AS tool"));
    assert!(has(
        "COPY",
        "--from=tool /usr/local/bin/sg-executor-gen /usr/local/bin/sg-executor-gen"
    ));
    assert!(has(
        "COPY",
        "plugin.yaml /home/argocd/cmp-server/config/plugin.yaml"
    ));
    assert!(has("USER", "999:999"), "Argo CD runs sidecars as 999");
    assert!(read("Dockerfile").contains("/usr/local/bin/sg-executor-gen"));
}

/// A command of the plugin, run as argocd-cmp-server runs it: `command[0]` with the rest of
/// `command` and `args` as arguments (no shell of its own), in the Application's directory,
/// with the sidecar's environment plus the build variables and `ARGOCD_ENV_` ones.
fn run_plugin_command(which: &str, app: &Path, env: &[(&str, &str)]) -> std::process::Output {
    let plugin = yaml("packaging/argocd/plugin.yaml");
    assert_eq!(plugin["kind"], "ConfigManagementPlugin");
    assert_eq!(plugin["apiVersion"], "argoproj.io/v1alpha1");
    let spec = &plugin["spec"][which];
    let command = strings(&spec["command"]);
    let args = strings(&spec["args"]);
    let bin_dir = PathBuf::from(env!("CARGO_BIN_EXE_sg-executor-gen"))
        .parent()
        .unwrap()
        .to_path_buf();
    Command::new(&command[0])
        .args(&command[1..])
        .args(&args)
        .current_dir(app)
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", bin_dir.display()))
        .env("HOME", app)
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

/// The build environment the repo server gives every plugin command.
const ARGO_BUILD_ENV: [(&str, &str); 6] = [
    ("ARGOCD_APP_NAME", "executors"),
    ("ARGOCD_APP_NAMESPACE", "sourcegraph-executors"),
    (
        "ARGOCD_APP_REVISION",
        "0123456789abcdef0123456789abcdef01234567",
    ),
    ("ARGOCD_APP_SOURCE_PATH", "deploy/executors"),
    (
        "ARGOCD_APP_SOURCE_REPO_URL",
        "https://git.example.com/infra.git",
    ),
    ("KUBE_VERSION", "1.33.1"),
];

fn argo_app(name: &str, config_name: &str, example: &str) -> PathBuf {
    let app = scratch_dir(name);
    std::fs::write(
        app.join(config_name),
        read(&format!("examples/{example}.yaml")),
    )
    .unwrap();
    app
}

fn documents(stream: &str) -> Vec<BTreeMap<String, Value>> {
    stream
        .split("\n---\n")
        .map(|d| serde_yaml::from_str(d).unwrap_or_else(|e| panic!("{e}:\n{d}")))
        .collect()
}

#[test]
fn the_argocd_plugin_generates_what_render_prints_as_the_repo_server_runs_it() {
    let app = argo_app("argocd-default", "executor.yaml", "multi-queue");
    let init = run_plugin_command("init", &app, &ARGO_BUILD_ENV);
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    assert!(String::from_utf8_lossy(&init.stderr).starts_with("sg-executor-gen "));

    let generated = run_plugin_command("generate", &app, &ARGO_BUILD_ENV);
    let stderr = String::from_utf8_lossy(&generated.stderr);
    assert!(generated.status.success(), "{stderr}");
    let stdout = String::from_utf8(generated.stdout).unwrap();
    let render = run_tool_in(&app, &["render", "-f", "executor.yaml"], None);
    assert_eq!(render.code, 0, "{}", render.stderr);
    assert_eq!(
        stdout, render.stdout,
        "the plugin prints what render prints"
    );
    // What Argo CD reads: a YAML stream of objects, nothing else on stdout.
    let docs = documents(&stdout);
    assert!(docs.len() > 5);
    for doc in &docs {
        assert!(
            doc["apiVersion"].is_string() && doc["kind"].is_string(),
            "{doc:?}"
        );
        assert!(doc["metadata"]["name"].is_string(), "{doc:?}");
    }

    // Parameters: the config's name, the namespace (Argo CD's own variable), the mode.
    let app = argo_app("argocd-env", "values.yaml", "basic");
    let env: Vec<(&str, &str)> = ARGO_BUILD_ENV
        .iter()
        .copied()
        .chain([
            ("ARGOCD_ENV_CONFIG", "values.yaml"),
            ("ARGOCD_ENV_NAMESPACE", "sourcegraph-executors"),
            ("ARGOCD_ENV_MODE", "kubernetes"),
        ])
        .collect();
    let generated = run_plugin_command("generate", &app, &env);
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    let render = run_tool_in(
        &app,
        &[
            "render",
            "-f",
            "values.yaml",
            "--namespace",
            "sourcegraph-executors",
            "--mode",
            "kubernetes",
        ],
        None,
    );
    assert_eq!(render.code, 0, "{}", render.stderr);
    assert_eq!(String::from_utf8(generated.stdout).unwrap(), render.stdout);
    assert!(render.stdout.contains("namespace: sourcegraph-executors"));
}

#[test]
fn the_argocd_plugin_fails_with_the_tools_message_and_stays_in_the_apps_path() {
    let app = argo_app("argocd-errors", "executor.yaml", "basic");
    let with = |config: &str| {
        let env: Vec<(&str, &str)> = ARGO_BUILD_ENV
            .iter()
            .copied()
            .chain([("ARGOCD_ENV_CONFIG", config)])
            .collect();
        run_plugin_command("generate", &app, &env)
    };
    let missing = with("nope.yaml");
    assert_eq!(missing.status.code(), Some(2));
    assert!(missing.stdout.is_empty(), "no manifests on an error");
    assert!(String::from_utf8_lossy(&missing.stderr).contains("nope.yaml"));
    for outside in ["/etc/passwd", "../executor.yaml", "a/../../x.yaml", ".."] {
        let run = with(outside);
        assert_eq!(run.status.code(), Some(2), "{outside}");
        assert!(run.stdout.is_empty());
        assert!(
            String::from_utf8_lossy(&run.stderr).contains("leaves the Application's path"),
            "{outside}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
    }
    // A glob is a file name, not a pattern.
    let glob = with("*.yaml");
    assert_eq!(glob.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&glob.stderr).contains("*.yaml"));
}

#[test]
fn the_pre_commit_hooks_run_subcommands_that_exist() {
    let hooks = yaml(".pre-commit-hooks.yaml");
    let hooks = hooks.as_sequence().unwrap();
    let ids: Vec<&str> = hooks.iter().map(|h| h["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["sg-executor-gen-diff", "sg-executor-gen-render"]);
    let dir = scratch_dir("pre-commit-entries");
    for hook in hooks {
        assert_eq!(hook["language"], "system", "pre-commit builds nothing");
        assert_eq!(hook["pass_filenames"], false, "the files are given in args");
        let entry: Vec<&str> = hook["entry"].as_str().unwrap().split(' ').collect();
        assert_eq!(entry[0], "sg-executor-gen");
        let mut help = entry[1..].to_vec();
        help.push("--help");
        let run = run_tool_in(&dir, &help, None);
        assert_eq!(run.code, 0, "{entry:?}: {}", run.stderr);
    }
}
