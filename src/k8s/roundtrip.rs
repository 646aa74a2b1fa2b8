//! Reads a value into its `k8s-openapi` type and reports every key the type does not know.
//!
//! `k8s-openapi` deserializers skip unknown keys without a word, so a misspelt
//! `nodeSelecter` or a field from a newer Kubernetes would vanish silently. Reading the value,
//! writing it back, and comparing the two shows exactly what did not survive.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// One key or value that did not survive the round trip, by its path inside the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lost {
    /// Dotted path inside the value (`spec.template.spec.containers[0].imagePullPolicyy`).
    pub path: String,
    pub message: String,
}

/// Reads `value` as a `T`; on success returns it with its canonical JSON form.
pub fn strict<T: DeserializeOwned + Serialize>(value: &Value) -> Result<(T, Value), Vec<Lost>> {
    let typed: T = serde_json::from_value(value.clone()).map_err(|e| {
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
    compare(value, &back, "", &mut lost);
    if lost.is_empty() {
        Ok((typed, back))
    } else {
        Err(lost)
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn compare(original: &Value, back: &Value, path: &str, lost: &mut Vec<Lost>) {
    match (original, back) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                match b.get(key) {
                    Some(other) => compare(value, other, &join(path, key), lost),
                    // A null means "not set"; the type drops it and that is fine.
                    None if value.is_null() => {}
                    None => lost.push(Lost {
                        path: join(path, key),
                        message: format!("unknown field `{key}`"),
                    }),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                compare(x, y, &format!("{path}[{i}]"), lost);
            }
            if a.len() != b.len() {
                lost.push(Lost {
                    path: path.to_string(),
                    message: "list changed length in the round trip".into(),
                });
            }
        }
        (a, b) if a == b => {}
        // Kubernetes reads a number where a quantity or int-or-string is wanted; so do we.
        (Value::Number(n), Value::String(s)) if n.to_string() == *s => {}
        (Value::Object(a), _) if a.is_empty() => {}
        (a, b) => lost.push(Lost {
            path: path.to_string(),
            message: format!("value {a} came back as {b}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ResourceRequirements;
    use serde_json::json;

    #[test]
    fn unknown_keys_are_reported_with_their_path() {
        let lost =
            strict::<ResourceRequirements>(&json!({"limits": {"cpu": "1"}, "limit": {"cpu": "1"}}))
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
            strict::<ResourceRequirements>(&json!({"requests": {"memory": "1Gi"}})).unwrap();
        assert_eq!(back, json!({"requests": {"memory": "1Gi"}}));
    }
}
