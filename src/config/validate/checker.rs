//! The `Checker` every section validates through: it locates each problem in the file by
//! its key path, and holds the rules sections share (Kubernetes sub-objects, quantities,
//! resources, labels, images, names, counts, one-of values).

use crate::config::node_de::is_plain_string;
use crate::config::raw::RawRegistryImage;
use crate::config::source::{path_to_string, Node, Segment};
use crate::diagnostic::{did_you_mean, Problem};
use crate::k8s::quantity::{self, Min, Quantity};
use crate::k8s::roundtrip;
use crate::k8s::syntax::*;
use indexmap::IndexMap;
use k8s_openapi::api::core::v1 as core;
use serde_json::Value;

/// Collects located problems while the config is checked.
pub struct Checker<'a> {
    root: &'a Node,
    /// `["spec"]` for the KRM form, empty for a bare values file.
    prefix: Vec<Segment>,
    pub problems: Vec<Problem>,
}

impl<'a> Checker<'a> {
    pub fn new(root: &'a Node, prefix: Vec<Segment>) -> Self {
        Checker {
            root,
            prefix,
            problems: Vec::new(),
        }
    }

    /// Whether the file has the dotted key (`sourcegraph.labels`; `metadata.…` from the
    /// top, the others under the prefix).
    pub(super) fn present(&self, dotted: &str) -> bool {
        let keys = dotted.split('.');
        let path: Vec<&str> = if dotted.starts_with("metadata.") {
            keys.collect()
        } else {
            self.prefix
                .iter()
                .filter_map(|s| match s {
                    Segment::Key(k) => Some(k.as_str()),
                    Segment::Index(_) => None,
                })
                .chain(keys)
                .collect()
        };
        path.iter()
            .try_fold(self.root, |node, key| node.get(key))
            .is_some()
    }

    /// Whether the file has the key path (relative, like every path given here).
    pub(super) fn has(&self, path: &[Segment]) -> bool {
        self.root.at_path(&self.full(path)).is_some()
    }

    pub(super) fn full(&self, path: &[Segment]) -> Vec<Segment> {
        self.prefix.iter().chain(path).cloned().collect()
    }

    pub(super) fn problem(&self, base: Problem, path: &[Segment]) -> Problem {
        let full = self.full(path);
        base.at(self.root.locate(&full)).path(path_to_string(&full))
    }

    pub fn error(&mut self, path: &[Segment], message: impl Into<String>, hint: impl Into<String>) {
        let p = self.problem(Problem::error(message).hint(hint), path);
        self.problems.push(p);
    }

    /// An error that some key is missing; `keys` are the keys (relative, like `path`) that
    /// would each resolve it.
    pub fn error_missing(
        &mut self,
        path: &[Segment],
        keys: &[Vec<Segment>],
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        let mut p = self.problem(Problem::error(message).hint(hint), path);
        p.missing = keys.iter().map(|k| path_to_string(&self.full(k))).collect();
        self.problems.push(p);
    }

    /// Runs `f` with paths taken from the top of the file (for `apiVersion`, `metadata`),
    /// not from under `spec`.
    pub(super) fn top_level<R>(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        let saved = std::mem::take(&mut self.prefix);
        let result = f(self);
        self.prefix = saved;
        result
    }

    /// An error about a key itself (its spelling, its name), located at the key.
    pub fn error_key(
        &mut self,
        path: &[Segment],
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        let full = self.full(path);
        let p = Problem::error(message)
            .hint(hint)
            .at(self.root.locate_key(&full))
            .path(path_to_string(&full));
        self.problems.push(p);
    }

    pub fn warn(&mut self, path: &[Segment], message: impl Into<String>, hint: impl Into<String>) {
        let p = self.problem(Problem::warning(message).hint(hint), path);
        self.problems.push(p);
    }

    /// Reads a Kubernetes sub-object through its `k8s-openapi` type; unknown keys are errors.
    pub(super) fn k8s<T>(
        &mut self,
        value: &serde_yaml::Value,
        path: &[Segment],
        what: &str,
    ) -> Option<Value>
    where
        T: serde::de::DeserializeOwned + serde::Serialize,
    {
        let json = match serde_json::to_value(value) {
            Ok(v) => v,
            Err(e) => {
                self.error(
                    path,
                    format!("cannot be read as {what}: {e}"),
                    "write it as a YAML mapping or list",
                );
                return None;
            }
        };
        match roundtrip::strict::<T, _>(&json) {
            Ok((_, canonical)) => Some(canonical),
            Err(lost) => {
                for l in lost {
                    let mut p = path.to_vec();
                    p.extend(inner_path(&l.path));
                    self.error(
                        &p,
                        format!("{} in {what}", l.message),
                        "check the spelling against the Kubernetes API reference",
                    );
                }
                None
            }
        }
    }

    /// A quantity Kubernetes keeps exactly as written, at or above the key's `min`.
    pub(super) fn quantity(&mut self, value: &str, path: &[Segment], min: Min) -> Option<Quantity> {
        match quantity::parse(value).and_then(|q| q.at_least(min)) {
            Ok(q) => Some(q),
            Err(e) => {
                self.error(path, format!("`{value}` {e}"), e.hint());
                None
            }
        }
    }

    /// `resources`: requests and limits, every quantity valid, no request above its limit.
    pub(super) fn resources(
        &mut self,
        value: &serde_yaml::Value,
        path: &[Segment],
    ) -> Option<Value> {
        let value = quantities_as_strings(value);
        let mut ok = true;
        let mut parsed: IndexMap<(String, String), Quantity> = IndexMap::new();
        for side in ["requests", "limits"] {
            let Some(serde_yaml::Value::Mapping(m)) = value.get(side) else {
                continue;
            };
            for (res, q) in m {
                let res = res.as_str().unwrap_or_default().to_string();
                let q = q.as_str().unwrap_or_default();
                match self.quantity(q, &[path, &path![side, &res]].concat(), Min::Zero) {
                    Some(n) => {
                        parsed.insert((side.to_string(), res), n);
                    }
                    None => ok = false,
                }
            }
        }
        for ((side, res), request) in &parsed {
            let limit = parsed.get(&("limits".to_string(), res.clone()));
            if side == "requests" && limit.is_some_and(|limit| request > limit) {
                ok = false;
                self.error(
                    &[path, &path!["requests", res]].concat(),
                    format!("the {res} request is above its limit"),
                    "Kubernetes refuses such a pod; lower the request or raise the limit",
                );
            }
        }
        let canonical = self.k8s::<core::ResourceRequirements>(&value, path, "resources");
        canonical.filter(|_| ok)
    }

    pub(super) fn labels(
        &mut self,
        map: &IndexMap<String, String>,
        path: &[Segment],
        values_are_labels: bool,
    ) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (k, v) in map {
            let p = [path, &path![k]].concat();
            if !is_qualified_name(k) {
                self.error_key(&p, format!("`{k}` is not a valid Kubernetes key"), "use [prefix/]name with letters, digits, `-`, `_` and `.`, at most 63 characters in the name");
                continue;
            }
            if values_are_labels && !is_label_value(v) {
                self.error(&p, format!("`{v}` is not a valid label value"), "use at most 63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit");
                continue;
            }
            // kustomize (v5.5) reads such an annotation key back as a number or boolean
            // and then fails to build the component at all.
            if !values_are_labels && !is_plain_string(k) {
                self.error_key(&p, format!("`{k}` reads as a number or boolean, and kubectl kustomize cannot build an annotation with such a key"), "give the key a name, e.g. example.com/note");
                continue;
            }
            out.push((k.clone(), v.clone()));
        }
        out.sort();
        out
    }

    pub(super) fn image(&mut self, image: String, path: &[Segment]) -> String {
        if !is_image_reference(&image) {
            self.error(
                path,
                format!("`{image}` is not a valid image reference"),
                "use [registry/]repository[:tag][@sha256:digest], lowercase",
            );
        }
        image
    }

    pub(super) fn dns_label(&mut self, value: &str, path: &[Segment], what: &str) -> bool {
        let ok = is_dns1123_label(value);
        if !ok {
            self.error(
                path,
                format!("`{value}` is not a valid {what}"),
                "use at most 63 lowercase letters, digits and `-`, starting and ending with a letter or digit",
            );
        }
        ok
    }

    pub(super) fn dns_subdomain(&mut self, value: &str, path: &[Segment], what: &str) -> bool {
        let ok = is_dns1123_subdomain(value);
        if !ok {
            self.error(
                path,
                format!("`{value}` is not a valid {what}"),
                "use lowercase letters, digits, `-` and `.`",
            );
        }
        ok
    }

    pub(super) fn count(
        &mut self,
        value: Option<i64>,
        default: u32,
        min: i64,
        path: &[Segment],
    ) -> u32 {
        match value {
            None => default,
            Some(n) if n < min || n > i64::from(i32::MAX) => {
                self.error(
                    path,
                    format!("{n} is out of range"),
                    format!("use a whole number from {min} up"),
                );
                default
            }
            Some(n) => n as u32,
        }
    }
}

/// Labels the tool sets on every object: it identifies the stack and the chart's grouping
/// with them, so a config may not replace one.
pub const OBJECT_LABELS: [&str; 5] = [
    "app.kubernetes.io/component",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/managed-by",
    "deploy",
    "sourcegraph-resource-requires",
];

/// An object label map as written: the keys the tool owns on objects refused, the others
/// checked; none when the key is absent.
pub(super) fn object_labels(
    map: Option<&IndexMap<String, String>>,
    path: &[Segment],
    checker: &mut Checker<'_>,
) -> Vec<(String, String)> {
    let Some(map) = map else {
        return Vec::new();
    };
    refuse_owned(map, &OBJECT_LABELS, path, "object", checker);
    checker.labels(map, path, true)
}

/// Refuses the keys of a pod label map that the tool owns on pods: the selector labels and
/// `deploy`.
pub(super) fn owned_pod_labels(
    map: &IndexMap<String, String>,
    path: &[Segment],
    checker: &mut Checker<'_>,
) {
    let owned: Vec<&str> = super::SELECTOR_LABELS
        .iter()
        .copied()
        .chain(["deploy"])
        .collect();
    refuse_owned(map, &owned, path, "pod", checker);
}

fn refuse_owned(
    map: &IndexMap<String, String>,
    owned: &[&str],
    path: &[Segment],
    what: &str,
    checker: &mut Checker<'_>,
) {
    for k in map.keys() {
        if owned.contains(&k.as_str()) {
            checker.error_key(
                &[path, &[Segment::Key(k.clone())]].concat(),
                format!("`{k}` is a label sg-executor-gen sets on every {what} itself"),
                "choose another key: the tool's labels identify the stack and select its pods",
            );
        }
    }
}

pub(super) fn one_of(
    checker: &mut Checker<'_>,
    value: Option<String>,
    default: &str,
    allowed: &[&str],
    p: &[Segment],
) -> String {
    let v = value.unwrap_or_else(|| default.to_string());
    if !allowed.contains(&v.as_str()) {
        checker.error(p, format!("unknown value `{v}`"), choose_from(&v, allowed));
    }
    v
}

/// Refuses the pod annotation that rolls the pods when their config changes: it is the tool's.
pub(super) fn refuse_checksum_annotation(path: &[Segment], checker: &mut Checker<'_>) {
    checker.error_key(
        path,
        "`checksum/config` is the annotation that rolls the pods when their config changes",
        "choose another annotation key",
    );
}

/// What to say of a value not in `allowed`: the near miss, else the choices.
pub(super) fn choose_from(v: &str, allowed: &[&str]) -> String {
    match did_you_mean(v, allowed.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!("use one of {}", allowed.join(", ")),
    }
}

/// Splits a path inside a value (`limits.cpu`, `items[0].key`) into segments.
pub(super) fn inner_path(s: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    for part in s.split('.').filter(|p| !p.is_empty()) {
        let mut rest = part;
        if let Some(i) = rest.find('[') {
            out.push(Segment::Key(rest[..i].to_string()));
            rest = &rest[i..];
            while let Some(end) = rest.find(']') {
                if let Ok(n) = rest[1..end].parse() {
                    out.push(Segment::Index(n));
                }
                rest = &rest[end + 1..];
            }
        } else {
            out.push(Segment::Key(rest.to_string()));
        }
    }
    out
}

/// Kubernetes reads `cpu: 2` as a quantity; the typed structs want a string.
pub(super) fn quantities_as_strings(value: &serde_yaml::Value) -> serde_yaml::Value {
    let mut v = value.clone();
    if let serde_yaml::Value::Mapping(m) = &mut v {
        for (_, side) in m.iter_mut() {
            if let serde_yaml::Value::Mapping(q) = side {
                for (_, amount) in q.iter_mut() {
                    if let serde_yaml::Value::Number(n) = amount {
                        *amount = serde_yaml::Value::String(n.to_string());
                    }
                }
            }
        }
    }
    v
}

pub(super) fn non_empty(v: &Value) -> bool {
    match v {
        Value::Object(m) => !m.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => true,
    }
}

pub(super) fn registry_image(
    raw: Option<&RawRegistryImage>,
    defaults: (&str, &str, &str),
    path: &[Segment],
    checker: &mut Checker<'_>,
) -> String {
    let registry = raw
        .and_then(|i| i.registry.clone())
        .unwrap_or_else(|| defaults.0.into());
    let repository = raw
        .and_then(|i| i.repository.clone())
        .unwrap_or_else(|| defaults.1.into());
    let tag = raw
        .and_then(|i| i.tag.clone())
        .unwrap_or_else(|| defaults.2.into());
    let image = if registry.is_empty() {
        format!("{repository}:{tag}")
    } else {
        format!("{}/{repository}:{tag}", registry.trim_end_matches('/'))
    };
    checker.image(image, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inner_paths_split_keys_and_indices() {
        assert_eq!(
            inner_path("a.b[2].c"),
            vec![
                Segment::Key("a".into()),
                Segment::Key("b".into()),
                Segment::Index(2),
                Segment::Key("c".into())
            ]
        );
    }
}
