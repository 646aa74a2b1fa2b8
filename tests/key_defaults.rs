//! Every documented default is the one the tool applies, found where the documentation
//! says it goes: for each key with a default, a config without the key is rendered in
//! each mode the default applies to, and the object field, variable or layer the key
//! `becomes` holds the default. And writing the default out changes nothing: the same
//! config with the key set to its documented default renders the same bytes.

use crate::common;

use serde_json::Value as Json;
use serde_yaml::{Mapping, Value};
use sg_executor_gen::config::docs::{self, Becomes, Default, Place};
use sg_executor_gen::config::Overrides;
use sg_executor_gen::pipeline::{self, Generated};

const MODES: [&str; 2] = ["dind", "kubernetes"];

/// The smallest config in `mode`, with `when` merged in and `set` (a key and its value).
fn config(mode: &str, when: Option<&str>, set: Option<(&str, &Json)>) -> String {
    let mut spec: Value = serde_yaml::from_str(common::CONFIG).unwrap();
    spec["mode"] = Value::from(mode);
    if let Some(when) = when {
        let Value::Mapping(extra) = serde_yaml::from_str(when).unwrap() else {
            panic!("`when` is not a mapping: {when}");
        };
        for (k, v) in extra {
            assert!(
                spec.get(&k).is_none(),
                "`when` {when} overlaps the base config"
            );
            spec[&k] = v;
        }
    }
    if let Some((path, v)) = set {
        let mut at = &mut spec;
        for seg in path.split('.') {
            if !at.get(seg).is_some_and(Value::is_mapping) {
                at[seg] = Value::Mapping(Mapping::new());
            }
            at = at.get_mut(seg).unwrap();
        }
        *at = serde_yaml::to_value(v).unwrap();
    }
    serde_yaml::to_string(&spec).unwrap()
}

fn render(text: &str) -> Generated {
    pipeline::generate(text, &Overrides::default())
        .unwrap_or_else(|e| panic!("{text}\ndoes not render: {e:?}"))
}

/// The modes a key's default applies in, with the default there.
fn defaults(d: Default) -> Vec<(&'static str, Json)> {
    match d {
        Default::Value(f) => MODES.iter().map(|m| (*m, f())).collect(),
        Default::ByMode { dind, kubernetes } => {
            vec![("dind", dind()), ("kubernetes", kubernetes())]
        }
        Default::Dind(f) => vec![("dind", f())],
        Default::Kubernetes(f) => vec![("kubernetes", f())],
        Default::Words(_) => Vec::new(),
    }
}

/// A rendered value as JSON; a string holding JSON (daemon.json) as what it holds.
fn as_json(v: &Value, like: &Json) -> Json {
    let j: Json = serde_json::to_value(v).unwrap();
    match (&j, like) {
        (Json::String(s), Json::Object(_) | Json::Array(_)) => serde_json::from_str(s).unwrap_or(j),
        _ => j,
    }
}

fn text_of(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn field(g: &Generated, p: &Place) -> Option<Value> {
    let name = p.name.map(|n| n.replace("NAME", "executor"));
    let (_, object) = g
        .bundle
        .objects()
        .find(|(id, _)| id.kind == p.kind && name.as_deref().is_none_or(|n| id.name == n))?;
    let mut at = object.as_ref();
    for seg in p.path.split('/') {
        at = match seg.split_once('[') {
            Some((key, item)) => {
                let item = item.trim_end_matches(']');
                at.get(key)?
                    .as_sequence()?
                    .iter()
                    .find(|i| i.get("name").and_then(Value::as_str) == Some(item))?
            }
            None => at.get(seg)?,
        };
    }
    Some(at.clone())
}

/// The executor's variable: in the ConfigMap `executor-config`, or the container's env.
fn env(g: &Generated, var: &str) -> Option<String> {
    for (id, object) in g.bundle.objects() {
        if id.kind == "ConfigMap" && id.name == "executor-config" {
            if let Some(v) = object["data"].get(var) {
                return v.as_str().map(str::to_string);
            }
        }
    }
    let containers = field(
        g,
        &docs::place(
            "Deployment",
            "NAME",
            "spec/template/spec/containers[executor]",
        ),
    )?;
    containers["env"]
        .as_sequence()?
        .iter()
        .find(|e| e["name"].as_str() == Some(var))
        .and_then(|e| e["value"].as_str().map(str::to_string))
}

#[test]
fn every_documented_default_is_what_renders_where_the_docs_say() {
    let mut checked = 0;
    for (key, _) in docs::keys() {
        let (Some(d), Some(becomes)) = (key.default, key.becomes) else {
            continue;
        };
        for (mode, default) in defaults(d) {
            let g = render(&config(mode, key.when, None));
            let found = match becomes {
                Becomes::Env(var) => env(&g, var).map(Json::String),
                Becomes::Field(p) | Becomes::PartOf(p) => {
                    field(&g, &p).map(|v| as_json(&v, &default))
                }
                Becomes::Layer(l) => Some(Json::Bool(g.stack.layers.iter().any(|x| x.name == l))),
            };
            let ok = match (&becomes, &found) {
                (Becomes::Env(_), Some(f)) => text_of(f) == text_of(&default),
                (Becomes::PartOf(_), Some(Json::String(f))) => f.contains(&text_of(&default)),
                (_, Some(f)) => *f == default,
                (_, None) => false,
            };
            assert!(
                ok,
                "{} in {mode} mode: the docs say {default} becomes {becomes}, the render has {found:?}",
                key.path
            );
            checked += 1;
        }
    }
    assert!(checked > 30, "only {checked} defaults checked");
}

#[test]
fn writing_a_default_out_renders_the_same() {
    let mut checked = 0;
    for (key, _) in docs::keys() {
        let Some(d) = key.default else { continue };
        for (mode, default) in defaults(d) {
            let without = render(&config(mode, key.when, None)).stream();
            let with = render(&config(mode, key.when, Some((key.path, &default)))).stream();
            assert!(
                without == with,
                "{} in {mode} mode: setting it to its documented default {default} changes the output",
                key.path
            );
            checked += 1;
        }
    }
    assert!(checked > 40, "only {checked} defaults checked");
}
