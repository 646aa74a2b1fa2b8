//! The embedded minijinja templates: their inventory (compiled in through one list, so a
//! missing template is a build error), the environment that renders them, and the errors
//! a template can raise.
//!
//! Every `{{ … }}` is written as a JSON scalar, list or mapping (a custom formatter), so a
//! user's string can never break out of its YAML scalar: a newline, `---` or a quote in an
//! annotation comes out as exactly that string.

use minijinja::{Environment, UndefinedBehavior};

/// Embeds one template under the path it has in the repository, so the list below is the
/// inventory and a missing file is a build error.
macro_rules! template {
    ($path:literal) => {
        (
            $path,
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/", $path)),
        )
    };
}

/// Every template, by the path it has in the repository.
pub const TEMPLATES: &[(&str, &str)] = &[
    template!("templates/executor-config.ConfigMap.yaml.j2"),
    template!("templates/docker-config.ConfigMap.yaml.j2"),
    template!("templates/executor.Secret.yaml.j2"),
    template!("templates/executor.Service.yaml.j2"),
    template!("templates/executor.Deployment.yaml.j2"),
    template!("templates/executor.ServiceAccount.yaml.j2"),
    template!("templates/executor.Role.yaml.j2"),
    template!("templates/executor.RoleBinding.yaml.j2"),
    template!("templates/storage-class.StorageClass.yaml.j2"),
    template!("templates/executor-data.PersistentVolumeClaim.yaml.j2"),
    template!("overlays/private-registry/executor-registry.PersistentVolumeClaim.yaml.j2"),
    template!("overlays/private-registry/executor-registry.Service.yaml.j2"),
    template!("overlays/private-registry/executor-registry.Deployment.yaml.j2"),
    template!("overlays/ephemeral-scratch/patches/executor.Deployment.yaml.j2"),
    template!("overlays/gvisor/patches/executor.Deployment.yaml.j2"),
    template!("overlays/scheduling/patches/workload.Deployment.yaml.j2"),
    template!("overlays/network-policy/executor.NetworkPolicy.yaml.j2"),
    template!("overlays/autoscaling/executor.ScaledObject.yaml.j2"),
    template!("overlays/alerts/executor-alert-rules.ConfigMap.yaml.j2"),
    template!("overlays/alerts/executor.PrometheusRule.yaml.j2"),
    template!("overlays/disruption-budget/executor.PodDisruptionBudget.yaml.j2"),
];

/// The alerting rules of the `alerts` layer, as Prometheus reads a rules file; `promtool`
/// tests them as they are (`tests/alerts/`).
pub const ALERT_RULES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/overlays/alerts/executors_rules.yml"
));

/// Templates only the tests render: an object per worker that holds the worker's strings
/// in several fields, as one that names its worker's Deployment would (a scaler, a
/// disruption budget), and one that derives a string from them.
#[cfg(test)]
pub(super) const TEST_TEMPLATES: &[(&str, &str)] = &[
    (
        "test/worker-probe.ScaledObject.yaml.j2",
        "apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: {{ worker.name }}
  labels: {{ worker_selector }}
spec:
  scaleTargetRef:
    name: {{ worker.name }}
  selector:
    matchLabels: {{ worker_selector }}
  minReplicaCount: {{ worker.replicas }}
  triggers:
    - type: prometheus
      metadata:
        query: {{ worker.queue_value }}
        queue: {{ worker.queue_value }}
",
    ),
    (
        "test/worker-derived.ScaledObject.yaml.j2",
        "apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: {{ worker.name ~ \"-scaler\" }}
spec:
  scaleTargetRef:
    name: {{ worker.name }}
  triggers:
    - type: prometheus
      metadata:
        query: {{ \"queue=\" ~ worker.queue_value }}
",
    ),
];

/// Every template, those only the tests render included.
fn embedded() -> impl Iterator<Item = &'static (&'static str, &'static str)> {
    #[cfg(test)]
    let tests = TEST_TEMPLATES;
    #[cfg(not(test))]
    let tests: &[(&str, &str)] = &[];
    TEMPLATES.iter().chain(tests)
}

/// A bug in a template, in the context given to it or in the layers' patches: the tool's
/// fault, never the admin's.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("internal error: template {template} failed: {message}; please file an issue")]
    Template { template: String, message: String },
    #[error("internal error: template {template} did not produce one YAML mapping: {message}; please file an issue")]
    NotAnObject { template: String, message: String },
    #[error("internal error: the stack's objects and patches do not fit together; please file an issue with your config\n{}", .problems.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Assemble { problems: Vec<String> },
}

pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .expect("the default delimiters are valid");
    env.set_syntax(syntax);
    // Every value is written as JSON, which YAML reads back as exactly the same value.
    env.set_formatter(|out, _state, value| {
        if value.is_safe() {
            out.write_str(value.as_str().unwrap_or_default())
                .map_err(minijinja::Error::from)?;
            return Ok(());
        }
        let json = serde_json::to_string(value).map_err(|e| {
            minijinja::Error::new(minijinja::ErrorKind::BadSerialization, e.to_string())
        })?;
        out.write_str(&json).map_err(minijinja::Error::from)
    });
    // Compiled when first used: a stack uses a few of them, and compiling all would take a
    // third of a small stack's time.
    env.set_loader(|name| {
        Ok(embedded()
            .find(|(n, _)| *n == name)
            .map(|(_, source)| source.to_string()))
    });
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_template_parses() {
        let env = environment();
        for (name, _) in TEMPLATES {
            assert!(env.get_template(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn inventory_matches_the_files_on_disk() {
        let root = env!("CARGO_MANIFEST_DIR");
        let mut on_disk = Vec::new();
        for dir in ["templates", "overlays"] {
            let mut stack = vec![std::path::PathBuf::from(root).join(dir)];
            while let Some(d) = stack.pop() {
                for entry in std::fs::read_dir(&d).unwrap() {
                    let path = entry.unwrap().path();
                    if path.is_dir() {
                        stack.push(path);
                    } else if path.extension().is_some_and(|e| e == "j2") {
                        on_disk.push(
                            path.strip_prefix(root)
                                .unwrap()
                                .to_string_lossy()
                                .into_owned(),
                        );
                    }
                }
            }
        }
        on_disk.sort();
        let mut listed: Vec<String> = TEMPLATES.iter().map(|(n, _)| n.to_string()).collect();
        listed.sort();
        assert_eq!(on_disk, listed);
    }
}
