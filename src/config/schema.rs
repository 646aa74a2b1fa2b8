//! The JSON Schema of the config, for editors (`sg-executor-gen schema`): both forms, the KRM
//! `ExecutorDeployment` and the bare Helm values, and both charts' keys.
//!
//! The schema is derived (schemars) from the very types the parser reads (`raw`), so a key the
//! tool refuses is refused here (`deny_unknown_fields` becomes `additionalProperties: false`).
//! The parser reads scalars as Helm does (a plain `3` is a fine string, a quoted `"10"` a fine
//! number), so the derived scalar types are widened to match. Descriptions and defaults come
//! from the key documentation (`docs`), whose defaults are validation's own constants.

use crate::config::defaults::STACK_NAME;
use crate::config::docs;
use crate::config::main_chart;
use crate::config::node_de::BOOLEAN_TEXT;
use crate::config::raw::{RawKrm, RawSpec};
use schemars::generate::SchemaSettings;
use schemars::{json_schema, Schema, SchemaGenerator};
use serde_json::{json, Map, Value};

/// What the parser takes as a whole number: Helm's quoted numbers and YAML's hex and octal.
const INTEGER_TEXT: &str = r"^\s*([+-]?[0-9]+|0x[0-9a-fA-F]+|0o[0-7]+)\s*$";

/// A Kubernetes object or a free-form map kept as written (`resources`, `affinity`,
/// `daemonConfig`, …): its own type checks it; here, any map.
pub(crate) fn open_map(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"type": ["object", "null"]})
}

/// A Kubernetes list kept as written (`tolerations`, `extraEnv`, …).
pub(crate) fn open_list(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"type": ["array", "null"]})
}

/// The whole schema, as JSON.
pub fn schema() -> Value {
    let mut values = derived::<RawSpec>();
    annotate(&mut values, "");
    allow_main_chart_sections(&mut values);
    let mut krm = derived::<RawKrm>();
    if let Some(props) = krm.get_mut("properties").and_then(Value::as_object_mut) {
        props.insert(
            "apiVersion".into(),
            json!({"const": "sg-executor-gen/v1alpha1"}),
        );
        props.insert("kind".into(), json!({"const": "ExecutorDeployment"}));
        props.insert(
            "spec".into(),
            json!({"$ref": "#/$defs/Values", "description": "The Helm chart values: the same keys as the bare form."}),
        );
        if let Some(meta) = props.get_mut("metadata") {
            describe(meta, &format!("The stack's name (default `{STACK_NAME}`; every object is named after it) and namespace; labels and annotations for every object."));
        }
    }
    krm["required"] = json!(["apiVersion", "kind", "spec"]);
    krm["description"] =
        json!("The KRM form: an ExecutorDeployment whose spec holds the Helm values.");
    values["description"] = json!(
        "A bare Helm values override for sourcegraph-executor-dind or sourcegraph-executor-k8s."
    );
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "sg-executor-gen config",
        "description": "The config of sg-executor-gen: an ExecutorDeployment (apiVersion sg-executor-gen/v1alpha1), or the bare Helm values it holds under spec.",
        "anyOf": [{"$ref": "#/$defs/ExecutorDeployment"}, {"$ref": "#/$defs/Values"}],
        "$defs": {"ExecutorDeployment": krm, "Values": values},
    })
}

/// A shared override's sections of the main Sourcegraph chart, which the tool reads as Helm
/// does (ignored, with a warning): any value, described as such.
fn allow_main_chart_sections(values: &mut Value) {
    let about = "A section of the main Sourcegraph chart, in an override shared with it: the executor charts ignore it, and so does sg-executor-gen (with a warning).";
    let Some(props) = values.get_mut("properties").and_then(Value::as_object_mut) else {
        return;
    };
    for name in main_chart::SECTIONS {
        props.insert((*name).into(), json!({"description": about}));
    }
    if let Some(sg) = props
        .get_mut("sourcegraph")
        .and_then(|s| s.get_mut("properties"))
        .and_then(Value::as_object_mut)
    {
        for name in main_chart::SOURCEGRAPH_KEYS {
            sg.insert((*name).into(), json!({"description": about}));
        }
    }
}

/// The schema schemars derives for `T`, every sub-schema inline (so each key has its own
/// place for a description), scalars widened as the parser reads them, and the types' own
/// doc comments dropped (they are written for developers), and no key required.
fn derived<T: schemars::JsonSchema>() -> Value {
    let mut settings = SchemaSettings::draft2020_12();
    settings.inline_subschemas = true;
    let mut v = settings
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value();
    if let Some(m) = v.as_object_mut() {
        m.remove("$schema");
    }
    visit(&mut v, &mut |node| {
        node.remove("title");
        node.remove("description");
        node.remove("format");
        // Every key is optional (`Option`); schemars cannot tell for `schema_with` fields.
        node.remove("required");
        widen(node);
    });
    v
}

/// Calls `f` on every schema in `v`: the schema itself and its sub-schemas (never on a
/// `properties` map, whose keys are the config's: one is named `format`).
fn visit(v: &mut Value, f: &mut impl FnMut(&mut Map<String, Value>)) {
    let Value::Object(m) = v else {
        return;
    };
    f(m);
    for (k, child) in m.iter_mut() {
        match (k.as_str(), child) {
            ("properties" | "$defs", Value::Object(named)) => {
                named.values_mut().for_each(|c| visit(c, f));
            }
            ("anyOf" | "oneOf" | "allOf" | "prefixItems", Value::Array(list)) => {
                list.iter_mut().for_each(|c| visit(c, f));
            }
            ("items" | "additionalProperties" | "not", c) => visit(c, f),
            _ => {}
        }
    }
}

/// Widens one schema's scalar type the way `config::node_de` reads scalars.
fn widen(node: &mut Map<String, Value>) {
    if node.contains_key("enum") || node.contains_key("const") {
        return;
    }
    let Some(types) = node.get("type").cloned() else {
        return;
    };
    let mut types: Vec<String> = match types {
        Value::String(t) => vec![t],
        Value::Array(ts) => ts
            .iter()
            .filter_map(|t| t.as_str().map(String::from))
            .collect(),
        _ => return,
    };
    let nullable = types.iter().any(|t| t == "null");
    if types.iter().any(|t| t == "string") {
        // Any scalar is a fine string: Helm's `tag: 3`.
        types.extend(["number".into(), "boolean".into()]);
    } else if types.iter().any(|t| t == "integer") {
        types.push("string".into());
        node.insert("pattern".into(), json!(INTEGER_TEXT));
        node.remove("minimum");
        node.remove("maximum");
    } else if types.iter().any(|t| t == "boolean") {
        let mut allowed: Vec<Value> = vec![json!(true), json!(false)];
        allowed.extend(BOOLEAN_TEXT.iter().map(|(t, _)| json!(t)));
        if nullable {
            allowed.push(Value::Null);
        }
        node.remove("type");
        node.insert("enum".into(), Value::Array(allowed));
        return;
    }
    node.insert("type".into(), json!(types));
}

/// Attaches each documented key's description and default, walking the properties by key
/// path (`queues[]` for the items of a list).
fn annotate(schema: &mut Value, path: &str) {
    if let Some((k, row)) = docs::find(path).filter(|_| !path.is_empty()) {
        let mut text = row.what.to_string();
        if let Some(d) = k.default_text(false) {
            text.push_str(&format!(". Default: {d}"));
        }
        if let Some(b) = &k.becomes {
            text.push_str(&format!(". Becomes {b}"));
        }
        if !row.differs.is_empty() {
            text.push_str(&format!(
                ". Where we differ from the chart: {}",
                row.differs
            ));
        }
        text.push_str(&format!(". Chart: {}.", row.chart.words()));
        describe(schema, &text);
        if let Some(d) = k.default_value() {
            schema["default"] = d;
        }
    }
    for_each_child(schema, path, &mut |child, child_path| {
        annotate(child, child_path)
    });
}

fn describe(schema: &mut Value, text: &str) {
    if let Some(m) = schema.as_object_mut() {
        m.insert("description".into(), json!(text));
    }
}

/// The sub-schemas of the keys under `path`: properties, list items, and the branches of
/// an `anyOf` (an optional section is `anyOf: [section, null]`).
fn for_each_child(schema: &mut Value, path: &str, f: &mut impl FnMut(&mut Value, &str)) {
    let Some(m) = schema.as_object_mut() else {
        return;
    };
    if let Some(Value::Object(props)) = m.get_mut("properties") {
        for (name, child) in props.iter_mut() {
            let p = if path.is_empty() {
                name.clone()
            } else {
                format!("{path}.{name}")
            };
            f(child, &p);
        }
    }
    if let Some(items) = m.get_mut("items") {
        f(items, &format!("{path}[]"));
    }
    for branch in ["anyOf", "oneOf"] {
        if let Some(Value::Array(bs)) = m.get_mut(branch) {
            for b in bs.iter_mut() {
                // The branch is the same key: describe it once, on the key itself.
                for_each_child(b, path, f);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_refused_and_documented_keys_described() {
        let s = schema();
        let values = &s["$defs"]["Values"];
        assert_eq!(values["additionalProperties"], json!(false));
        let text = s.to_string();
        assert!(text.contains("EXECUTOR_MAXIMUM_NUM_JOBS"), "{text}");
    }
}
