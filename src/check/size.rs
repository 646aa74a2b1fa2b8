//! The sizes the API server and etcd enforce, checked exactly on the finished objects: an
//! object's JSON (etcd stores at most 1.5 MiB by default), an object's or pod template's
//! annotations (256 KiB, keys and values), a ConfigMap's or Secret's data (1 MiB).
//!
//! The config phase refuses a config whose estimated output is over these
//! (`config/validate/size.rs`), at the key to blame; a finding here means that estimate
//! missed something, so, like every check here, it is a bug in the tool.

use super::Finding;
use crate::k8s::resid::ResId;
use serde_yaml::Value;

const MAX_OBJECT: usize = 3 << 19;
const MAX_ANNOTATIONS: usize = 256 << 10;
const MAX_DATA: usize = 1 << 20;

pub(super) fn check(objects: &[(ResId, Value)], findings: &mut Vec<Finding>) {
    for (id, object) in objects {
        findings.extend(over_limits(id, object).map(|(field, message)| Finding {
            id: id.clone(),
            field: field.into(),
            message,
        }));
    }
}

/// The field of each limit `object` is over, and by how much.
fn over_limits(id: &ResId, object: &Value) -> impl Iterator<Item = (&'static str, String)> {
    let mut over = Vec::new();
    let bytes = serde_json::to_vec(object).map_or(0, |j| j.len());
    if bytes > MAX_OBJECT {
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
        if total > MAX_ANNOTATIONS {
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
    if data > MAX_DATA {
        over.push((
            "data",
            format!("{data} bytes, more than Kubernetes' {MAX_DATA}"),
        ));
    }
    over.into_iter()
}

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

    #[test]
    fn every_limit_is_found() {
        let big = "x".repeat(300 << 10);
        let object: Value = serde_yaml::from_str(&format!(
            "kind: ConfigMap\nmetadata: {{name: a, annotations: {{a: {big}}}}}\ndata: {{a: {big}{big}{big}{big}, b: {big}}}\n"
        ))
        .unwrap();
        let id = ResId::of(&object).unwrap();
        let mut findings = Vec::new();
        check(&[(id, object)], &mut findings);
        let fields: Vec<&str> = findings.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["", "metadata.annotations", "data"]);
    }
}
