//! The component's hard invariant, checked with the real kubectl: a Kustomization that lists
//! the built directory under `components:` builds to exactly the objects `render` prints,
//! with and without `namespace:` (`render --namespace` on our side), for every example.
//!
//! kubectl is on this kind of machine; `.ci/run` installs it where it is missing. Set
//! `KUBECTL` to use another one. A missing kubectl fails the test: it never passes unchecked.

use crate::common;

use common::{examples, run_tool, scratch_dir};
use serde::Deserialize;
use serde_yaml::Value;
use std::collections::BTreeMap;
use std::path::Path;

type Objects = BTreeMap<(String, String, String, String), Value>;

fn index(stream: &str, what: &str) -> Objects {
    let mut out = Objects::new();
    for doc in serde_yaml::Deserializer::from_str(stream) {
        let v = Value::deserialize(doc).unwrap_or_else(|e| panic!("{what} is not YAML: {e}"));
        if v.is_null() {
            continue;
        }
        let s = |x: Option<&Value>| x.and_then(Value::as_str).unwrap_or_default().to_string();
        let meta = v.get("metadata");
        let key = (
            s(v.get("apiVersion")),
            s(v.get("kind")),
            s(meta.and_then(|m| m.get("namespace"))),
            s(meta.and_then(|m| m.get("name"))),
        );
        assert!(
            out.insert(key.clone(), v).is_none(),
            "{what}: {key:?} appears twice"
        );
    }
    out
}

/// Builds a consumer Kustomization beside `component` that lists it under `components:`.
fn kustomize(component: &Path, namespace: Option<&str>) -> String {
    let dir = component.parent().unwrap().join("consumer");
    std::fs::create_dir_all(&dir).unwrap();
    let mut k = String::from("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n");
    if let Some(ns) = namespace {
        k.push_str(&format!("namespace: {ns}\n"));
    }
    let name = component.file_name().unwrap().to_string_lossy();
    k.push_str(&format!("components:\n  - ../{name}\n"));
    std::fs::write(dir.join("kustomization.yaml"), k).unwrap();
    common::kubectl_kustomize(&dir).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_example_component_builds_to_what_render_prints() {
    let all = examples();
    assert!(all.len() >= 5, "the examples are missing");
    for example in all {
        let component = scratch_dir("component").join("out");
        let build = run_tool(
            &[
                "build",
                "-f",
                example.to_str().unwrap(),
                "-o",
                component.to_str().unwrap(),
            ],
            None,
        );
        assert_eq!(
            build.code,
            0,
            "build {}: {}",
            example.display(),
            build.stderr
        );
        for namespace in [None, Some("tenant-a")] {
            let mut args = vec!["render", "-f", example.to_str().unwrap()];
            if let Some(ns) = namespace {
                args.extend(["--namespace", ns]);
            }
            let rendered = run_tool(&args, None);
            assert_eq!(rendered.code, 0, "{}", rendered.stderr);
            let want = index(&rendered.stdout, "render");
            let got = index(&kustomize(&component, namespace), "kubectl kustomize");
            assert_eq!(
                want.keys().collect::<Vec<_>>(),
                got.keys().collect::<Vec<_>>(),
                "{} namespace {namespace:?}",
                example.display()
            );
            for (key, object) in &want {
                assert_eq!(
                    Some(object),
                    got.get(key),
                    "{} {key:?} namespace {namespace:?}",
                    example.display()
                );
            }
        }
    }
}
