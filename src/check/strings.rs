//! Every string of a workload's summary, to change in place: the workers' Deployments of one
//! shape differ only in two strings, so a copy's summary is its prototype's, read once, with
//! those two put in, instead of a `k8s-openapi` read of each copy (a thousand reads, each
//! allocating the whole Deployment to keep a little of it). Each type is taken apart field by
//! field, so a field a new `k8s-openapi` adds is a build error here, not a string missed.

use super::typed::{Pod, PodContainer, PodFinding, PodTemplate, PodVolume, Typed};
use k8s_openapi::api::core::v1::{
    ConfigMapEnvSource, ConfigMapKeySelector, ConfigMapVolumeSource, ContainerPort, EnvFromSource,
    EnvVar, EnvVarSource, KeyToPath, ObjectFieldSelector, PersistentVolumeClaimVolumeSource,
    ResourceFieldSelector, SecretEnvSource, SecretKeySelector, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

/// Calls `f` on every string value of a workload's summary (map keys are left, as a copy's
/// are its prototype's); `false` for any other kind of summary, which is left as it is.
pub(super) fn workload_strings(t: &mut Typed, f: &mut dyn FnMut(&mut String)) -> bool {
    match t {
        Typed::Workload { selector, template } => {
            selector.visit(f);
            template.visit(f);
            true
        }
        _ => false,
    }
}

trait Strings {
    fn visit(&mut self, f: &mut dyn FnMut(&mut String));
}

impl Strings for String {
    fn visit(&mut self, f: &mut dyn FnMut(&mut String)) {
        f(self)
    }
}

impl Strings for bool {
    fn visit(&mut self, _: &mut dyn FnMut(&mut String)) {}
}

impl Strings for i32 {
    fn visit(&mut self, _: &mut dyn FnMut(&mut String)) {}
}

impl Strings for i64 {
    fn visit(&mut self, _: &mut dyn FnMut(&mut String)) {}
}

impl Strings for usize {
    fn visit(&mut self, _: &mut dyn FnMut(&mut String)) {}
}

impl<T: Strings> Strings for Option<T> {
    fn visit(&mut self, f: &mut dyn FnMut(&mut String)) {
        if let Some(v) = self {
            v.visit(f)
        }
    }
}

impl<T: Strings> Strings for Vec<T> {
    fn visit(&mut self, f: &mut dyn FnMut(&mut String)) {
        self.iter_mut().for_each(|v| v.visit(f))
    }
}

impl Strings for std::collections::BTreeMap<String, String> {
    fn visit(&mut self, f: &mut dyn FnMut(&mut String)) {
        self.values_mut().for_each(f)
    }
}

impl Strings for Quantity {
    fn visit(&mut self, f: &mut dyn FnMut(&mut String)) {
        f(&mut self.0)
    }
}

/// `Strings` for a struct: every field named, so none is forgotten.
macro_rules! strings {
    ($($ty:ty { $($field:ident),* $(,)? })*) => {$(
        impl Strings for $ty {
            fn visit(&mut self, f: &mut dyn FnMut(&mut String)) {
                let Self { $($field),* } = self;
                $($field.visit(f);)*
            }
        }
    )*};
}

strings! {
    LabelSelector { match_expressions, match_labels }
    LabelSelectorRequirement { key, operator, values }
    PodTemplate { labels, spec }
    Pod { containers, volumes, service_account_name, termination_grace_period_seconds, lifecycle }
    PodFinding { field, message }
    PodContainer { name, image, ports, volume_mounts, env_from, env, command, args }
    PodVolume { name, sources, config_map, persistent_volume_claim }
    ContainerPort { container_port, host_ip, host_port, name, protocol }
    VolumeMount {
        mount_path, mount_propagation, name, read_only, recursive_read_only, sub_path,
        sub_path_expr,
    }
    EnvFromSource { config_map_ref, prefix, secret_ref }
    ConfigMapEnvSource { name, optional }
    SecretEnvSource { name, optional }
    EnvVar { name, value, value_from }
    EnvVarSource { config_map_key_ref, field_ref, resource_field_ref, secret_key_ref }
    ConfigMapKeySelector { key, name, optional }
    SecretKeySelector { key, name, optional }
    ObjectFieldSelector { api_version, field_path }
    ResourceFieldSelector { container_name, divisor, resource }
    ConfigMapVolumeSource { default_mode, items, name, optional }
    KeyToPath { key, mode, path }
    PersistentVolumeClaimVolumeSource { claim_name, read_only }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::typed::{read, Read};
    use crate::render::object::{Object, NAME_STAND_IN as N, QUEUE_STAND_IN as Q};
    use std::sync::Arc;

    /// Stand-ins in every kind of place a summary keeps: filling the prototype's summary
    /// gives what reading the filled tree gives.
    #[test]
    fn a_filled_summary_is_the_summary_of_the_filled_tree() {
        let text = format!(
            r#"
apiVersion: apps/v1
kind: Deployment
metadata: {{name: '{N}'}}
spec:
  selector:
    matchLabels: {{app: '{N}'}}
    matchExpressions: [{{key: k, operator: In, values: ['{Q}']}}]
  template:
    metadata: {{labels: {{app: '{N}'}}}}
    spec:
      serviceAccountName: '{N}'
      containers:
        - name: '{N}'
          image: '{Q}'
          command: ['{N}']
          args: ['--queue', '{Q}']
          ports: [{{name: '{N}', containerPort: 80, protocol: TCP, hostIP: '{Q}'}}]
          envFrom:
            - {{prefix: '{Q}', configMapRef: {{name: '{N}'}}, secretRef: {{name: '{Q}'}}}}
          env:
            - {{name: QUEUE, value: '{Q}'}}
            - name: A
              valueFrom: {{configMapKeyRef: {{name: '{N}', key: '{Q}'}}}}
            - name: B
              valueFrom: {{secretKeyRef: {{name: '{N}', key: '{Q}'}}}}
            - name: C
              valueFrom: {{fieldRef: {{fieldPath: '{N}', apiVersion: '{Q}'}}}}
            - name: D
              valueFrom: {{resourceFieldRef: {{resource: '{N}', containerName: '{Q}'}}}}
          volumeMounts:
            - {{name: '{N}', mountPath: '{Q}', subPath: '{N}', subPathExpr: '{Q}', mountPropagation: '{N}'}}
      volumes:
        - name: '{N}'
          configMap: {{name: '{Q}', items: [{{key: '{N}', path: '{Q}'}}]}}
        - name: claim
          persistentVolumeClaim: {{claimName: '{N}'}}
"#
        );
        let prototype = Arc::new(serde_yaml::from_str(&text).unwrap());
        let copy = Object::copy(&prototype, "executor-a", "batches");
        let mut summary = read("Deployment", &prototype, Read::ShapeChecked)
            .ok()
            .unwrap();
        let mut seen = 0;
        assert!(workload_strings(&mut summary, &mut |s| {
            if s == N {
                "executor-a".clone_into(s);
                seen += 1;
            } else if s == Q {
                "batches".clone_into(s);
                seen += 1;
            }
        }));
        let direct = read("Deployment", &copy.tree(), Read::ShapeChecked)
            .ok()
            .unwrap();
        assert_eq!(summary, direct);
        assert_eq!(
            seen, 32,
            "every stand-in the summary keeps (all but metadata.name)"
        );
    }
}
