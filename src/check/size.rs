//! The sizes the API server and etcd enforce, checked exactly on the finished objects: an
//! object's JSON (etcd stores at most 1.5 MiB by default), an object's or pod template's
//! annotations (256 KiB, keys and values), a ConfigMap's or Secret's data (1 MiB).
//!
//! The config phase refuses a config whose estimated output is over these
//! (`config/validate/size/`), at the key to blame; a finding here means that estimate
//! missed something, so, like every check here, it is a bug in the tool.

use crate::k8s::resid::ResId;
use serde_yaml::Value;

use crate::k8s::limits::{MAX_ANNOTATIONS, MAX_CONFIG_MAP_DATA as MAX_DATA, MAX_OBJECT};

/// The field of each limit `object` is over, and by how much.
pub(super) fn over_limits(id: &ResId, object: &Value) -> Vec<(&'static str, String)> {
    let mut over = Vec::new();
    let bytes = json_len(object);
    if bytes as u64 > MAX_OBJECT {
        over.push((
            "",
            format!("{bytes} bytes of JSON, more than etcd's {MAX_OBJECT}"),
        ));
    }
    for (field, at) in [
        ("metadata.annotations", &["metadata", "annotations"][..]),
        (
            "spec.template.metadata.annotations",
            &["spec", "template", "metadata", "annotations"],
        ),
    ] {
        let total = strings(at.iter().try_fold(object, |v, k| v.get(k)));
        if total as u64 > MAX_ANNOTATIONS {
            over.push((
                field,
                format!("{total} bytes, more than Kubernetes' {MAX_ANNOTATIONS}"),
            ));
        }
    }
    let data = strings(object.get("data"));
    // A Secret's data is counted decoded; its base64 text is a third longer.
    let data = if id.kind == "Secret" {
        data / 4 * 3
    } else {
        data
    };
    if data as u64 > MAX_DATA {
        over.push((
            "data",
            format!("{data} bytes, more than Kubernetes' {MAX_DATA}"),
        ));
    }
    over
}

/// The length of `value` as compact JSON, as serde_json writes it, counted without
/// writing it: thousands of objects are measured in a walk each.
fn json_len(value: &Value) -> usize {
    match value {
        Value::Null => 4,
        Value::Bool(b) => {
            if *b {
                4
            } else {
                5
            }
        }
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => digits(u),
            (None, Some(i)) => 1 + digits(i.unsigned_abs()),
            _ => n.to_string().len(),
        },
        Value::String(s) => json_string_len(s),
        Value::Sequence(items) => {
            2 + items.iter().map(json_len).sum::<usize>() + items.len().saturating_sub(1)
        }
        Value::Mapping(m) => {
            2 + m
                .iter()
                .map(|(k, v)| {
                    let key = match k {
                        Value::String(s) => json_string_len(s),
                        other => json_string_len(&serde_json::to_string(other).unwrap_or_default()),
                    };
                    key + 1 + json_len(v)
                })
                .sum::<usize>()
                + m.len().saturating_sub(1)
        }
        Value::Tagged(t) => json_len(&t.value),
    }
}

/// The number of decimal digits of `n`.
fn digits(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |l| l as usize + 1)
}

/// A JSON string's length with its quotes and escapes: `\"`, `\\` and the short escapes
/// take two bytes, other control characters six (`\u001f`).
fn json_string_len(s: &str) -> usize {
    2 + s.len()
        + s.bytes()
            .map(|b| usize::from(ESCAPE_EXTRA[usize::from(b)]))
            .sum::<usize>()
}

/// What escaping adds to a byte in a JSON string: one byte for `"`, `\\` and the short
/// escapes, five for the other control characters, none for the rest.
const ESCAPE_EXTRA: [u8; 256] = {
    let mut extra = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        extra[b] = 5;
        b += 1;
    }
    extra[b'"' as usize] = 1;
    extra[b'\\' as usize] = 1;
    extra[b'\n' as usize] = 1;
    extra[b'\r' as usize] = 1;
    extra[b'\t' as usize] = 1;
    extra[0x08] = 1;
    extra[0x0c] = 1;
    extra
};

/// The bytes of a mapping's string keys and values.
fn strings(map: Option<&Value>) -> usize {
    let Some(Value::Mapping(m)) = map else {
        return 0;
    };
    m.iter()
        .map(|(k, v)| k.as_str().map_or(0, str::len) + v.as_str().map_or(0, str::len))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[test]
    fn every_limit_is_found() {
        let big = "x".repeat(300 << 10);
        let object: Value = serde_yaml::from_str(&format!(
            "kind: ConfigMap\nmetadata: {{name: a, annotations: {{a: {big}}}}}\ndata: {{a: {big}{big}{big}{big}, b: {big}}}\n"
        ))
        .unwrap();
        let id = ResId::of(&object).unwrap();
        let over = over_limits(&id, &object);
        let fields: Vec<&str> = over.iter().map(|(field, _)| *field).collect();
        assert_eq!(fields, ["", "metadata.annotations", "data"]);
    }

    #[test]
    fn json_length_is_what_serde_json_writes() {
        let text =
            "a: [1, -2.5, true, null, {}, [], 0, 9, 10, -10, 18446744073709551615, -9223372036854775808]\nb: \"q\\\"uo\\\\te\\n\\t\\u0001\\u007f é\"\n1: x\n";
        let value: Value = serde_yaml::from_str(text).unwrap();
        assert_eq!(json_len(&value), serde_json::to_vec(&value).unwrap().len());
        // Every object of every golden tree.
        let mut pending = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/golden"
        ))];
        let mut objects = 0;
        while let Some(path) = pending.pop() {
            if path.is_dir() {
                pending.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            if path.extension().is_none_or(|e| e != "yaml") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for doc in serde_yaml::Deserializer::from_str(&text) {
                let object = Value::deserialize(doc).unwrap();
                assert_eq!(
                    json_len(&object),
                    serde_json::to_vec(&object).unwrap().len(),
                    "{}",
                    path.display()
                );
                objects += 1;
            }
        }
        assert!(objects > 50, "only {objects} objects under golden/");
    }
}
