//! `sg-executor-gen fn`: the tool as a KRM function (the Kubernetes KRM Functions
//! Specification), so kpt can run it: `kpt fn eval DIR --exec "sg-executor-gen fn"
//! --fn-config CONFIG`, or a `Kptfile` pipeline under `kpt fn render --allow-exec`.
//!
//! The `functionConfig` is the config in its KRM form. It goes through the same pipeline as
//! `render` (re-serialized, without the annotations kpt adds about its file), so every check
//! and message is `render`'s. The stack's objects are added to `items`, each with a path so
//! kpt writes it to a file of its own; the items that came in are passed on as they came,
//! except the stack's own objects from an earlier run, which the new ones replace. Problems
//! become `results`; on an error the items go back unchanged and the exit status is 1 (an
//! empty list would make kpt delete every file of the package).

mod ownership;
pub mod resource_list;

use crate::config::defaults::STACK_NAME;
use crate::diagnostic::{Problem, Severity};
use crate::pipeline::{self, PipelineError};
use crate::render::yaml_out::to_yaml;
use ownership::{Claim, Stack};
use resource_list::ResourceList;
use serde_yaml::{Mapping, Value};

/// The largest `ResourceList` read, as every stream of untrusted YAML.
pub const MAX_INPUT_BYTES: u64 = crate::yaml::MAX_STREAM_BYTES;

/// Annotation prefixes that describe a file to kpt and kustomize, never the stack.
const FILE_ANNOTATIONS: [&str; 4] = [
    "config.kubernetes.io/",
    "internal.config.kubernetes.io/",
    "config.k8s.io/",
    "kpt.dev/",
];

/// The `ResourceList` to print, and whether the run failed (exit 1).
#[derive(Debug)]
pub struct FnRun {
    pub output: String,
    pub failed: bool,
}

/// Runs the function on a `ResourceList`'s text.
pub fn run(input: &str) -> FnRun {
    let list = match resource_list::parse(input) {
        Ok(list) => list,
        Err(message) => {
            return FnRun {
                output: resource_list::results_only(&[result(Severity::Error, &message, None)]),
                failed: true,
            }
        }
    };
    let config = match function_config(&list) {
        Ok(c) => c,
        Err(message) => return unchanged(&list, vec![result(Severity::Error, &message, None)]),
    };
    let generated = match pipeline::generate(&to_yaml(&config.value), &Default::default()) {
        Ok(g) => g,
        Err(PipelineError::Config(e)) => {
            return unchanged(&list, problems(&e.problems, &config));
        }
        Err(other) => {
            let message = format!("internal error: {other}; please file an issue");
            return unchanged(&list, vec![result(Severity::Error, &message, None)]);
        }
    };
    let objects: Vec<_> = generated.bundle.objects().collect();
    let stack = Stack::new(
        &config.name,
        objects.iter().map(|(id, o)| (*id, o.as_ref())),
    );
    let mut keep = Vec::with_capacity(list.items.len());
    let mut kept = Vec::new();
    let mut replaced = Vec::new();
    let mut clashes = Vec::new();
    for item in &list.items {
        let claim = stack.claim(&item.value);
        keep.push(!matches!(claim, Claim::Ours));
        match claim {
            Claim::Theirs => kept.push(item),
            Claim::Ours => replaced.push(&item.value),
            Claim::Clash(what) => {
                kept.push(item);
                clashes.push(result(Severity::Error, &what, None));
            }
        }
    }
    if !clashes.is_empty() {
        return unchanged(&list, clashes);
    }
    let new = stack.placed(&replaced, &kept);
    match list.write(&keep, &new, &problems(&generated.warnings, &config)) {
        Ok(output) => FnRun {
            output,
            failed: false,
        },
        Err(message) => unchanged(&list, vec![result(Severity::Error, &message, None)]),
    }
}

/// The items back as they came, with the results: kpt writes nothing on exit 1.
fn unchanged(list: &ResourceList, results: Vec<Value>) -> FnRun {
    let keep = vec![true; list.items.len()];
    // Keeping every item cannot cut an anchor out from under an alias.
    let output = list
        .write(&keep, &[], &results)
        .unwrap_or_else(|_| resource_list::results_only(&results));
    FnRun {
        output,
        failed: results.iter().any(|r| r["severity"] == "error"),
    }
}

/// The config, and what a result needs to point at it.
struct FunctionConfig {
    value: Value,
    name: String,
    /// `resourceRef`: apiVersion, kind, name (and namespace).
    reference: Value,
    /// `file`: the config's file in the package, when kpt says or an item shows it.
    file: Option<Value>,
}

fn function_config(list: &ResourceList) -> Result<FunctionConfig, String> {
    let hint = "give the ExecutorDeployment config to the function: `kpt fn eval DIR --exec \"sg-executor-gen fn\" --fn-config CONFIG`, or `configPath: CONFIG` in the Kptfile's pipeline";
    let Some(Value::Mapping(fc)) = &list.function_config else {
        return Err(format!("the ResourceList has no functionConfig; {hint}"));
    };
    let kind = fc.get("kind").and_then(Value::as_str).unwrap_or_default();
    let meta = fc.get("metadata").and_then(Value::as_mapping);
    let name_of = |m: Option<&Mapping>| {
        m.and_then(|m| m.get("name"))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    if kind != "ExecutorDeployment" {
        let name = name_of(meta).unwrap_or_default();
        return Err(format!(
            "the functionConfig is a {} `{name}`, not an ExecutorDeployment; {hint}",
            if kind.is_empty() { "resource" } else { kind }
        ));
    }
    let file = config_file(fc.get("metadata")).or_else(|| same_object_in_items(list, fc));
    let mut value = fc.clone();
    strip_file_annotations(&mut value);
    let name = name_of(meta).unwrap_or_else(|| STACK_NAME.to_string());
    let mut reference = Mapping::new();
    for key in ["apiVersion", "kind"] {
        if let Some(v) = fc.get(key) {
            reference.insert(key.into(), v.clone());
        }
    }
    reference.insert("name".into(), name.clone().into());
    if let Some(ns) = meta
        .and_then(|m| m.get("namespace"))
        .filter(|v| v.is_string())
    {
        reference.insert("namespace".into(), ns.clone());
    }
    Ok(FunctionConfig {
        value: Value::Mapping(value),
        name,
        reference: Value::Mapping(reference),
        file,
    })
}

/// kpt's path annotation on the functionConfig (`kpt fn render` with `configPath`).
fn config_file(metadata: Option<&Value>) -> Option<Value> {
    let (path, index) = ownership::place(metadata)?;
    let mut file = Mapping::new();
    file.insert("path".into(), path.into());
    if index > 0 {
        file.insert("index".into(), index.into());
    }
    Some(Value::Mapping(file))
}

/// `kpt fn eval` gives no path, but a config inside the package is also an item.
fn same_object_in_items(list: &ResourceList, fc: &Mapping) -> Option<Value> {
    let id = |v: &Mapping| {
        (
            v.get("apiVersion").cloned(),
            v.get("kind").cloned(),
            v.get("metadata").and_then(|m| m.get("name")).cloned(),
        )
    };
    let wanted = id(fc);
    list.items
        .iter()
        .filter_map(|i| i.value.as_mapping())
        .find(|m| id(m) == wanted)
        .and_then(|m| config_file(m.get("metadata")))
}

fn strip_file_annotations(fc: &mut Mapping) {
    let Some(Value::Mapping(meta)) = fc.get_mut("metadata") else {
        return;
    };
    if let Some(Value::Mapping(a)) = meta.get_mut("annotations") {
        a.retain(|k, _| {
            !k.as_str()
                .is_some_and(|k| FILE_ANNOTATIONS.iter().any(|p| k.starts_with(p)))
        });
        if a.is_empty() {
            meta.remove("annotations");
        }
    }
}

/// The config's problems as results: the key path (line numbers would refer to the text
/// the function made of the config, not the file).
fn problems(problems: &[Problem], config: &FunctionConfig) -> Vec<Value> {
    problems
        .iter()
        .map(|p| {
            let message = match &p.hint {
                Some(h) => format!("{}; {h}", p.message),
                None => p.message.clone(),
            };
            let mut r = result(p.severity, &message, config.file.clone());
            if let Value::Mapping(m) = &mut r {
                m.insert("resourceRef".into(), config.reference.clone());
                if !p.path.is_empty() {
                    let mut field = Mapping::new();
                    field.insert("path".into(), p.path.clone().into());
                    m.insert("field".into(), Value::Mapping(field));
                }
            }
            r
        })
        .collect()
}

fn result(severity: Severity, message: &str, file: Option<Value>) -> Value {
    let mut m = Mapping::new();
    m.insert("message".into(), message.into());
    let severity = match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    m.insert("severity".into(), severity.into());
    if let Some(f) = file {
        m.insert("file".into(), f);
    }
    Value::Mapping(m)
}
