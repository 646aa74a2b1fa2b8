//! Running what is outside the library: the `sg-executor-gen` binary (through
//! tests/common) and the real `kubectl kustomize`, on a component tree in a scratch
//! directory. `check_with_kubectl` is the kubectl properties' check: the binary prints the
//! library's stream, and kubectl builds the tree to the same objects.

use super::common;
use super::model::Case;
use super::output::{describe, index, parse_stream, same_objects};
use sg_executor_gen::config::Mode;
use sg_executor_gen::pipeline::generate;
use std::collections::BTreeMap;
use std::path::Path;

pub(super) fn run_tool(args: &[&str], stdin: &[u8]) -> common::RawRun {
    common::run_tool_raw(Path::new(env!("CARGO_MANIFEST_DIR")), args, stdin)
}

/// Writes the tree and a consumer Kustomization listing it under `components:`, and
/// returns what `kubectl kustomize` builds from the consumer.
fn kustomize(tree: &BTreeMap<String, String>) -> Result<String, String> {
    let dir = common::scratch_dir("properties-kustomize");
    let build = || -> Result<String, String> {
        for (path, content) in tree {
            let p = dir.join("component").join(path);
            std::fs::create_dir_all(p.parent().expect("a parent")).map_err(|e| e.to_string())?;
            std::fs::write(&p, content).map_err(|e| e.to_string())?;
        }
        std::fs::create_dir_all(dir.join("consumer")).map_err(|e| e.to_string())?;
        std::fs::write(
            dir.join("consumer/kustomization.yaml"),
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\ncomponents:\n  - ../component\n",
        )
        .map_err(|e| e.to_string())?;
        common::kubectl_kustomize(&dir.join("consumer"))
    };
    let result = build();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

pub(super) fn check_with_kubectl(case: &Case) -> Result<(), String> {
    let text = case.text();
    let overrides = case.overrides();
    let generated = generate(&text, &overrides).map_err(|e| describe(&e))?;
    let stream = generated.stream();

    // The binary prints exactly the library's stream.
    let mut args = vec!["render", "-f", "-"];
    if let Some(ns) = &overrides.namespace {
        args.extend(["--namespace", ns]);
    }
    match overrides.mode {
        Some(Mode::Dind) => args.extend(["--mode", "dind"]),
        Some(Mode::Kubernetes) => args.extend(["--mode", "kubernetes"]),
        None => {}
    }
    let run = run_tool(&args, text.as_bytes());
    if run.code != Some(0) || run.stdout != stream.as_bytes() {
        return Err(format!(
            "the binary (exit {:?}) does not print the library's stream; stderr:\n{}",
            run.code, run.stderr
        ));
    }

    let want = index(parse_stream(&stream, "the stream")?, "the stream")?;
    let built = kustomize(&generated.component())?;
    let got = index(
        parse_stream(&built, "kubectl kustomize output")?,
        "kubectl kustomize",
    )?;
    same_objects(&want, &got, "kubectl kustomize")
}
