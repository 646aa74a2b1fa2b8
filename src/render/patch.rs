//! Applies a layer's strategic-merge patches to the objects before it, the way kustomize
//! does for the fields our layers touch, so `render` prints exactly what `kubectl kustomize`
//! builds from the component.
//!
//! Mappings merge key by key and a `null` removes a key. Lists of named things (containers,
//! volumes, env, …) merge item by item on their merge key; any other list is replaced.
//! Setting the namespace, the other transform both `render` and `build` apply, is here too.

use serde_yaml::{Mapping, Value};

/// The merge key of each list field our patches touch, from the Kubernetes API's
/// `x-kubernetes-patch-merge-key`.
pub(crate) fn merge_key(field: &str) -> Option<&'static str> {
    match field {
        "containers" | "initContainers" | "volumes" | "env" | "imagePullSecrets" => Some("name"),
        "volumeMounts" => Some("mountPath"),
        _ => None,
    }
}

/// Merges `patch` into `target` in place.
pub fn apply(target: &mut Value, patch: &Value) {
    merge(target, patch, "");
}

fn merge(target: &mut Value, patch: &Value, field: &str) {
    match (target, patch) {
        (Value::Mapping(t), Value::Mapping(p)) => merge_maps(t, p),
        (Value::Sequence(t), Value::Sequence(p)) if merge_key(field).is_some() => {
            let key = merge_key(field).expect("checked above");
            // kustomize puts the patch's items first, in patch order, then the untouched rest.
            let mut rest = std::mem::take(t);
            for item in p {
                let id = item.get(key);
                let existing = id.and_then(|id| rest.iter().position(|x| x.get(key) == Some(id)));
                let mut merged = match existing {
                    Some(i) => rest.remove(i),
                    None => Value::Mapping(Mapping::new()),
                };
                if item.get("$patch").and_then(Value::as_str) == Some("delete") {
                    continue;
                }
                merge(&mut merged, item, "");
                t.push(merged);
            }
            t.extend(rest);
        }
        (t, p) => *t = strip_nulls(p),
    }
}

fn merge_maps(target: &mut Mapping, patch: &Mapping) {
    for (k, v) in patch {
        if v.is_null() {
            target.remove(k);
            continue;
        }
        let field = k.as_str().unwrap_or_default();
        match target.get_mut(k) {
            Some(existing) => merge(existing, v, field),
            None => {
                target.insert(k.clone(), strip_nulls(v));
            }
        }
    }
}

/// A patch's nulls mean "remove"; where there is nothing to remove they vanish.
fn strip_nulls(v: &Value) -> Value {
    match v {
        Value::Mapping(m) => Value::Mapping(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), strip_nulls(v)))
                .collect(),
        ),
        Value::Sequence(s) => Value::Sequence(s.iter().map(strip_nulls).collect()),
        other => other.clone(),
    }
}

/// Puts a namespaced object into `namespace`, as kustomize's namespace transformer does.
pub fn set_namespace(object: &mut Value, namespace: &str) {
    if let Some(Value::Mapping(meta)) = object.get_mut("metadata") {
        // Keep `namespace` right after `name`, where a reader looks for it.
        let mut reordered = serde_yaml::Mapping::new();
        for (k, v) in std::mem::take(meta) {
            let is_name = k.as_str() == Some("name");
            if k.as_str() != Some("namespace") {
                reordered.insert(k, v);
            }
            if is_name {
                reordered.insert("namespace".into(), namespace.into());
            }
        }
        *meta = reordered;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(s: &str) -> Value {
        serde_yaml::from_str(s).unwrap()
    }

    #[test]
    fn named_lists_merge_by_key_and_null_removes() {
        let mut target = yaml(
            "spec: {containers: [{name: a, image: x, securityContext: {privileged: true}}, {name: b, image: y}], volumes: [{name: s, emptyDir: {}}]}",
        );
        let patch = yaml(
            "spec: {containers: [{name: a, securityContext: {privileged: null, capabilities: {add: [X]}}}], volumes: [{name: s, emptyDir: null, ephemeral: {v: 1}}, {name: d, emptyDir: {}}]}",
        );
        apply(&mut target, &patch);
        assert_eq!(
            target,
            yaml("spec: {containers: [{name: a, image: x, securityContext: {capabilities: {add: [X]}}}, {name: b, image: y}], volumes: [{name: s, ephemeral: {v: 1}}, {name: d, emptyDir: {}}]}")
        );
    }

    #[test]
    fn patched_items_come_first_as_kustomize_orders_them() {
        let mut target = yaml("volumes: [{name: s}, {name: t}, {name: u}]");
        apply(
            &mut target,
            &yaml("volumes: [{name: t, x: 1}, {name: new}]"),
        );
        assert_eq!(
            target,
            yaml("volumes: [{name: t, x: 1}, {name: new}, {name: s}, {name: u}]")
        );
    }

    #[test]
    fn plain_lists_are_replaced() {
        let mut target = yaml("command: [a, b]\ntolerations: [{key: x}]");
        apply(&mut target, &yaml("command: [c]\ntolerations: [{key: y}]"));
        assert_eq!(target, yaml("command: [c]\ntolerations: [{key: y}]"));
    }

    #[test]
    fn delete_directive_removes_the_item() {
        let mut target = yaml("env: [{name: A, value: '1'}, {name: B, value: '2'}]");
        apply(&mut target, &yaml("env: [{name: A, $patch: delete}]"));
        assert_eq!(target, yaml("env: [{name: B, value: '2'}]"));
    }
}
