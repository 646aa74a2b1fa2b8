//! Reads a value into its `k8s-openapi` type and reports every key the type does not know.
//!
//! `k8s-openapi` deserializers skip unknown keys without a word, so a misspelt
//! `nodeSelecter` or a field from a newer Kubernetes would vanish silently. Reading the value,
//! writing it back, and comparing the two shows exactly what did not survive.
//!
//! The value is read where it stands, a YAML value (a rendered object, a config's
//! sub-object) or a JSON one (a setting written as JSON), without a copy: a stack of many
//! Deployments must not convert each one first.

use serde::de::DeserializeOwned;
use serde::{Deserializer, Serialize};
use serde_json::Value;

/// One key or value that did not survive the round trip, by its path inside the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lost {
    /// Dotted path inside the value (`spec.template.spec.containers[0].imagePullPolicyy`).
    pub path: String,
    pub message: String,
}

/// A value the round trip can read from and compare with what comes back.
pub trait Tree: Sized {
    /// Its entries, when it is a mapping with string keys.
    fn entries(&self) -> Option<Vec<(&str, &Self)>>;
    fn items(&self) -> Option<&[Self]>;
    fn is_null(&self) -> bool;
    /// Whether a scalar came back the same (a number may come back as its text: Kubernetes
    /// reads a number where a quantity or an int-or-string is wanted).
    fn same_scalar(&self, back: &Value) -> bool;
    fn show(&self) -> String;
}

impl Tree for Value {
    fn entries(&self) -> Option<Vec<(&str, &Self)>> {
        self.as_object()
            .map(|m| m.iter().map(|(k, v)| (k.as_str(), v)).collect())
    }
    fn items(&self) -> Option<&[Self]> {
        self.as_array().map(Vec::as_slice)
    }
    fn is_null(&self) -> bool {
        Value::is_null(self)
    }
    fn same_scalar(&self, back: &Value) -> bool {
        self == back
            || matches!((self, back), (Value::Number(n), Value::String(s)) if n.to_string() == *s)
    }
    fn show(&self) -> String {
        self.to_string()
    }
}

impl Tree for serde_yaml::Value {
    fn entries(&self) -> Option<Vec<(&str, &Self)>> {
        let map = self.as_mapping()?;
        map.iter().map(|(k, v)| Some((k.as_str()?, v))).collect()
    }
    fn items(&self) -> Option<&[Self]> {
        self.as_sequence().map(Vec::as_slice)
    }
    fn is_null(&self) -> bool {
        serde_yaml::Value::is_null(self)
    }
    fn same_scalar(&self, back: &Value) -> bool {
        use serde_yaml::Value as Y;
        match (self, back) {
            (Y::Null, Value::Null) => true,
            (Y::Bool(a), Value::Bool(b)) => a == b,
            (Y::String(a), Value::String(b)) => a == b,
            (Y::Number(n), Value::Number(m)) => n.as_f64() == m.as_f64(),
            (Y::Number(n), Value::String(s)) => n.to_string() == *s,
            _ => false,
        }
    }
    fn show(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| format!("{self:?}"))
    }
}

/// Reads `value` as a `T`; on success returns it with its canonical JSON form.
pub fn strict<'v, T, V>(value: &'v V) -> Result<(T, Value), Vec<Lost>>
where
    T: DeserializeOwned + Serialize,
    V: Tree,
    &'v V: Deserializer<'v>,
    <&'v V as Deserializer<'v>>::Error: std::fmt::Display,
{
    let typed: T = T::deserialize(value).map_err(|e| {
        vec![Lost {
            path: String::new(),
            message: format!("does not fit the Kubernetes type: {e}"),
        }]
    })?;
    let back = serde_json::to_value(&typed).map_err(|e| {
        vec![Lost {
            path: String::new(),
            message: format!("cannot be written back: {e}"),
        }]
    })?;
    let mut lost = Vec::new();
    compare(value, &back, &mut Vec::new(), &mut lost);
    if lost.is_empty() {
        Ok((typed, back))
    } else {
        Err(lost)
    }
}

/// One step of the path to the value being compared; turned into text only when lost.
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

fn path_text(path: &[Step<'_>]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(k) if out.is_empty() => out.push_str(k),
            Step::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

fn compare<'a, V: Tree>(
    original: &'a V,
    back: &Value,
    path: &mut Vec<Step<'a>>,
    lost: &mut Vec<Lost>,
) {
    if let (Some(entries), Some(b)) = (original.entries(), back.as_object()) {
        for (key, value) in entries {
            path.push(Step::Key(key));
            match b.get(key) {
                Some(other) => compare(value, other, path, lost),
                // A null means "not set"; the type drops it and that is fine.
                None if value.is_null() => {}
                None => lost.push(Lost {
                    path: path_text(path),
                    message: format!("unknown field `{key}`"),
                }),
            }
            path.pop();
        }
        return;
    }
    if let (Some(a), Some(b)) = (original.items(), back.as_array()) {
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            path.push(Step::Index(i));
            compare(x, y, path, lost);
            path.pop();
        }
        if a.len() != b.len() {
            lost.push(Lost {
                path: path_text(path),
                message: "list changed length in the round trip".into(),
            });
        }
        return;
    }
    let empty_mapping = original.entries().is_some_and(|e| e.is_empty());
    if !original.same_scalar(back) && !empty_mapping {
        lost.push(Lost {
            path: path_text(path),
            message: format!("value {} came back as {back}", original.show()),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ResourceRequirements;
    use serde_json::json;

    #[test]
    fn unknown_keys_are_reported_with_their_path() {
        let lost = strict::<ResourceRequirements, _>(
            &json!({"limits": {"cpu": "1"}, "limit": {"cpu": "1"}}),
        )
        .unwrap_err();
        assert_eq!(
            lost,
            vec![Lost {
                path: "limit".into(),
                message: "unknown field `limit`".into()
            }]
        );
    }

    #[test]
    fn known_keys_survive() {
        let (_, back) =
            strict::<ResourceRequirements, _>(&json!({"requests": {"memory": "1Gi"}})).unwrap();
        assert_eq!(back, json!({"requests": {"memory": "1Gi"}}));
    }

    #[test]
    fn yaml_values_are_read_where_they_stand() {
        let yaml: serde_yaml::Value = serde_yaml::from_str(
            "limits: {cpu: 2, memory: 1Gi}\nlimitz: {}\nrequests:\n  cpu: 500m\n",
        )
        .unwrap();
        let lost = strict::<ResourceRequirements, _>(&yaml).unwrap_err();
        assert_eq!(
            lost,
            vec![Lost {
                path: "limitz".into(),
                message: "unknown field `limitz`".into()
            }]
        );
    }
}
