//! Workloads that differ only in their strings: a thousand queues are a thousand
//! Deployments that differ in a name, a label and a queue, never in their keys or numbers.
//! The round trip through `k8s-openapi` that finds unknown fields depends only on that
//! shape, as long as every string stands where the type holds a string, so it runs once per
//! shape and the others are only read.
//!
//! Strings are not all alike to the types: a `Time` or a `ByteString` is parsed and written
//! back in its own form. Those live under the keys below (object metadata's timestamps, a
//! Secret's data, a status); a workload with any of them anywhere is read in full.

use crate::digest::Fnv1a;
use serde_yaml::Value;
use std::hash::{Hash, Hasher};

/// Keys under which a string is parsed by the type, not kept as it is written.
const PARSED_STRINGS: [&str; 12] = [
    "creationTimestamp",
    "deletionTimestamp",
    "managedFields",
    "status",
    "binaryData",
    "data",
    "time",
    "lastTransitionTime",
    "lastUpdateTime",
    "lastProbeTime",
    "caBundle",
    "eventTime",
];

/// The kinds worth it: the ones a stack has many of.
pub fn applies_to(kind: &str) -> bool {
    matches!(kind, "Deployment" | "StatefulSet" | "PodDisruptionBudget")
}

/// A hash of the object's keys, numbers, booleans and nulls, its strings left out; `None`
/// when the object holds a key whose strings the type parses.
pub fn hash(v: &Value) -> Option<u64> {
    // FNV-1a: a shape hash only picks which objects to compare (`same` decides), so it
    // needs to be fast, not strong.
    let mut h = Fnv1a::default();
    walk(v, &mut h).then(|| h.finish())
}

fn walk(v: &Value, h: &mut impl Hasher) -> bool {
    h.write_u8(kind(v));
    match v {
        Value::Null | Value::String(_) => true,
        Value::Bool(b) => {
            b.hash(h);
            true
        }
        Value::Number(n) => {
            n.hash(h);
            true
        }
        Value::Sequence(items) => {
            h.write_usize(items.len());
            items.iter().all(|i| walk(i, h))
        }
        Value::Mapping(m) => {
            h.write_usize(m.len());
            m.iter().all(|(k, v)| {
                if k.as_str().is_some_and(|k| PARSED_STRINGS.contains(&k)) {
                    return false;
                }
                match k.as_str() {
                    Some(k) => h.write(k.as_bytes()),
                    None => k.hash(h),
                }
                walk(v, h)
            })
        }
        Value::Tagged(_) => false,
    }
}

fn kind(v: &Value) -> u8 {
    match v {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Number(_) => 2,
        Value::String(_) => 3,
        Value::Sequence(_) => 4,
        Value::Mapping(_) => 5,
        Value::Tagged(_) => 6,
    }
}

/// Whether two objects have the same shape: the same keys in the same order, the same
/// numbers, booleans and nulls, strings where the other has strings. A tree is its own
/// shape, found without a walk (objects may share the tree of their shape).
pub fn same(a: &Value, b: &Value) -> bool {
    if std::ptr::eq(a, b) {
        return true;
    }
    match (a, b) {
        (Value::String(_), Value::String(_)) => true,
        (Value::Sequence(x), Value::Sequence(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Mapping(x), Value::Mapping(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((ka, va), (kb, vb))| ka == kb && same(va, vb))
        }
        (Value::Tagged(_), _) | (_, Value::Tagged(_)) => false,
        (a, b) => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Value {
        serde_yaml::from_str(text).unwrap()
    }

    #[test]
    fn strings_do_not_count_keys_and_numbers_do() {
        let a = yaml("kind: Deployment\nmetadata: {name: a}\nspec: {replicas: 1}");
        let b = yaml("kind: Deployment\nmetadata: {name: b}\nspec: {replicas: 1}");
        let more = yaml("kind: Deployment\nmetadata: {name: b}\nspec: {replicas: 2}");
        let key = yaml("kind: Deployment\nmetadata: {name: b}\nspec: {replica: 1}");
        let number_for_string = yaml("kind: Deployment\nmetadata: {name: 1}\nspec: {replicas: 1}");
        assert_eq!(hash(&a), hash(&b));
        assert!(same(&a, &b));
        for other in [&more, &key, &number_for_string] {
            assert!(!same(&a, other), "{other:?}");
        }
        assert_ne!(hash(&a), hash(&more));
    }

    #[test]
    fn parsed_strings_are_never_shared() {
        let stamped = yaml("metadata: {name: a, creationTimestamp: '2024-01-01T00:00:00Z'}");
        assert_eq!(hash(&stamped), None);
        let nested = yaml("spec: {template: {metadata: {creationTimestamp: null}}}");
        assert_eq!(hash(&nested), None);
    }
}
