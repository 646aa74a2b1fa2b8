//! Checks any manifest stream, such as what `kubectl kustomize` builds from the component
//! after a consumer's own transformers and patches: the same typed and wiring checks
//! `render` runs on its own output, namespace by namespace, plus the ids the stream holds
//! twice. Each problem is located at the line of its document.

use super::{check_objects, Finding, Report, Scope};
use crate::config::model::{ROLE, ROLE_BINDING, SERVICE_ACCOUNT};
use crate::diagnostic::{Location, Problem};
use crate::k8s::resid::ResId;
use crate::render::object::Object;
use serde_yaml::Value;
use std::collections::HashMap;

/// Why a stream could not be read at all.
#[derive(Debug, thiserror::Error)]
#[error("{}", .problem.message)]
pub struct StreamError {
    pub problem: Problem,
}

/// What checking a stream found.
#[derive(Debug)]
pub struct StreamReport {
    pub objects: usize,
    pub namespaces: usize,
    /// Problems to fix, in stream order.
    pub problems: Vec<Problem>,
    /// References to objects the stream does not hold, and objects it cannot check.
    pub outside: Vec<Problem>,
}

/// One document of the stream and the line it starts on.
struct Document {
    line: usize,
    value: Value,
}

/// Splits a YAML stream at its `---` lines and reads each document.
fn documents(text: &str) -> Result<Vec<Document>, StreamError> {
    let mut docs = Vec::new();
    let mut start_line = 1;
    let mut chunk = String::new();
    let flush = |chunk: &mut String, line: usize, docs: &mut Vec<Document>| {
        let value: Value = serde_yaml::from_str(chunk).map_err(|e| {
            let at = e.location().map_or(line, |l| line + l.line() - 1);
            StreamError {
                problem: Problem::error(format!("not YAML: {e}"))
                    .at(Location {
                        line: at,
                        column: 1,
                    })
                    .hint("pass the output of kubectl kustomize, or a file of manifests"),
            }
        })?;
        chunk.clear();
        match value {
            Value::Null => {}
            Value::Mapping(_) if value.get("kind").and_then(Value::as_str) == Some("List") => {
                for item in value
                    .get("items")
                    .and_then(Value::as_sequence)
                    .into_iter()
                    .flatten()
                {
                    docs.push(Document {
                        line,
                        value: item.clone(),
                    });
                }
            }
            value => docs.push(Document { line, value }),
        }
        Ok(())
    };
    for (i, line) in text.lines().enumerate() {
        let marker =
            line.starts_with("---") && line[3..].chars().next().is_none_or(char::is_whitespace);
        if marker || line == "..." {
            flush(&mut chunk, start_line, &mut docs)?;
            start_line = i + 2;
            continue;
        }
        chunk.push_str(line);
        chunk.push('\n');
    }
    flush(&mut chunk, start_line, &mut docs)?;
    Ok(docs)
}

/// The shared RBAC objects of the native chart's model, which one stack creates.
const SHARED_RBAC: [&str; 3] = [SERVICE_ACCOUNT, ROLE, ROLE_BINDING];

/// Reads and checks a stream.
pub fn check_stream(text: &str) -> Result<StreamReport, StreamError> {
    let docs = documents(text)?;
    let mut problems = Vec::new();
    let mut objects = Vec::new();
    let mut lines: HashMap<ResId, usize> = HashMap::new();
    for doc in docs {
        let Some(id) = ResId::of(&doc.value) else {
            problems.push(
                Problem::error("not a Kubernetes object: no kind or metadata.name")
                    .at(Location {
                        line: doc.line,
                        column: 1,
                    })
                    .hint("remove the document, or give it a kind and a name"),
            );
            continue;
        };
        if let Some(first) = lines.insert(id.clone(), doc.line) {
            let hint = if SHARED_RBAC.contains(&id.name.as_str()) {
                "two stacks create the shared RBAC: set executor.configureRbac: false in all but one".to_string()
            } else {
                format!("the stream already holds it at line {first}: keep one, or give the stacks different names")
            };
            problems.push(
                Problem::error("the object is in the stream twice")
                    .at(Location {
                        line: doc.line,
                        column: 1,
                    })
                    .path(id.to_string())
                    .hint(hint),
            );
            continue;
        }
        objects.push((id, Object::new(doc.value)));
    }
    let namespaces = {
        let mut n: Vec<Option<&str>> = objects
            .iter()
            .map(|(id, _)| id.namespace.as_deref())
            .collect();
        n.sort();
        n.dedup();
        n.len()
    };
    let Report { findings, outside } =
        check_objects(objects.iter().map(|(id, v)| (id, v)), Scope::Stream);
    let located = |f: Finding, error: bool| {
        let base = if error {
            Problem::error(f.message)
        } else {
            Problem::warning(f.message)
        };
        let line = lines.get(&f.id).copied().unwrap_or(1);
        let path = if f.field.is_empty() {
            f.id.to_string()
        } else {
            format!("{} {}", f.id, f.field)
        };
        base.at(Location { line, column: 1 }).path(path)
    };
    problems.extend(findings.into_iter().map(|f| located(f, true)));
    let outside = outside.into_iter().map(|f| located(f, false)).collect();
    crate::diagnostic::sort(&mut problems);
    Ok(StreamReport {
        objects: objects.len(),
        namespaces,
        problems,
        outside,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_know_their_first_line() {
        let docs = documents("a: 1\n---\nb: 2\nc: 3\n--- \n---\nd: 4\n").unwrap();
        let lines: Vec<usize> = docs.iter().map(|d| d.line).collect();
        assert_eq!(lines, [1, 3, 7]);
    }

    /// Workloads of one shape share one strict read (`shape`), but an unknown field in many
    /// of them is reported on each, and one of another shape is read in full.
    #[test]
    fn an_unknown_field_in_workloads_of_one_shape_is_reported_on_each() {
        let deployment = |name: &str, field: &str| {
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec: {{containers: [{{name: c, image: i, {field}: x}}]}}\n"
            )
        };
        let stream = [
            deployment("a", "imagePullPolicyy"),
            deployment("b", "imagePullPolicyy"),
            deployment("c", "imagePullPolicyy"),
            deployment("d", "imagePullPolicy"),
            deployment("e", "imagePullPolicy"),
            deployment("f", "workingDirr"),
        ]
        .join("---\n");
        let report = check_stream(&stream).unwrap();
        let unknown: Vec<String> = report
            .problems
            .iter()
            .map(|p| format!("{} {}", p.path, p.message))
            .filter(|m| m.contains("imagePullPolicyy") || m.contains("workingDirr"))
            .collect();
        assert_eq!(unknown.len(), 4, "{:#?}", report.problems);
        for name in [
            "Deployment/a ",
            "Deployment/b ",
            "Deployment/c ",
            "Deployment/f ",
        ] {
            assert!(
                unknown.iter().any(|m| m.starts_with(name)),
                "{name}: {unknown:#?}"
            );
        }
    }
}
