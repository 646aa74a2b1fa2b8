//! What each chart key does, in one place: the rows of the "Chart keys" table in `docs/keys.md` (the
//! keys, the chart that reads them, what they do here, where we differ from the chart) with,
//! per key, its default and what it becomes. That table is generated from it
//! (`markdown_table`, checked by `tests/chart_keys.rs`), and so are `explain` and the JSON
//! Schema's descriptions and defaults. The defaults are the constants validation applies
//! (`config::defaults`), so none of these can say something the tool does not do.

mod table;

pub use table::ROWS;

use crate::diagnostic::did_you_mean;
use serde_json::Value;
use std::fmt::Write as _;

/// Which chart reads a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    Dind,
    K8s,
    Both,
    /// In a chart's values.yaml, read by no template.
    Declared,
    /// An older version of the k8s chart.
    OldK8s,
    /// Ours, not the charts'.
    Ours,
}

impl Chart {
    /// The table's cell.
    pub fn cell(self) -> &'static str {
        match self {
            Chart::Dind => "dind",
            Chart::K8s => "k8s",
            Chart::Both => "both",
            Chart::Declared => "declared",
            Chart::OldK8s => "old k8s",
            Chart::Ours => "*ours*",
        }
    }

    /// In words, for `explain`.
    pub fn words(self) -> &'static str {
        match self {
            Chart::Dind => "the dind chart (sourcegraph-executor-dind)",
            Chart::K8s => "the k8s chart (sourcegraph-executor-k8s)",
            Chart::Both => "both charts",
            Chart::Declared => "declared in a chart's values.yaml, read by no template",
            Chart::OldK8s => "an older k8s chart",
            Chart::Ours => "ours, not the charts'",
        }
    }
}

/// One row of the table: keys that work together, and what they do.
#[derive(Debug)]
pub struct Row {
    pub keys: &'static [Key],
    pub chart: Chart,
    pub what: &'static str,
    pub differs: &'static str,
}

/// One key: its dotted path under `spec` (`queues[].name` for a field of a list's items),
/// its default and what it becomes.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    pub path: &'static str,
    pub default: Option<Default>,
    pub becomes: Option<Becomes>,
    /// What else the config must say for the default to apply (flow YAML under `spec`).
    pub when: Option<&'static str>,
}

/// A value, built by validation's own constants.
pub type Make = fn() -> Value;

/// What a key is when the config leaves it out.
#[derive(Debug, Clone, Copy)]
pub enum Default {
    /// The same in both modes.
    Value(Make),
    ByMode {
        dind: Make,
        kubernetes: Make,
    },
    /// Only one mode reads the key.
    Dind(Make),
    Kubernetes(Make),
    /// What happens without the key, where that is not a value it could hold.
    Words(&'static str),
}

/// Where a key ends up in the rendered objects.
#[derive(Debug, Clone, Copy)]
pub enum Becomes {
    /// A variable of the executor's, in the ConfigMap `NAME-config` or the container's env.
    Env(&'static str),
    /// A field of one of the stack's objects.
    Field(Place),
    /// Part of such a field's value (a piece of an image reference).
    PartOf(Place),
    /// Whether one of the component's layers is on.
    Layer(&'static str),
}

/// A field of an object: its kind, its name (`NAME` is the stack's name; `None`: the only
/// object of that kind), and a `/`-separated path in it, list items by their `name`
/// (`spec/template/spec/containers[dind]/resources`).
#[derive(Debug, Clone, Copy)]
pub struct Place {
    pub kind: &'static str,
    pub name: Option<&'static str>,
    pub path: &'static str,
}

pub const fn key(path: &'static str) -> Key {
    Key {
        path,
        default: None,
        becomes: None,
        when: None,
    }
}

pub const fn place(kind: &'static str, name: &'static str, path: &'static str) -> Place {
    Place {
        kind,
        name: Some(name),
        path,
    }
}

impl Key {
    pub(crate) const fn default(mut self, d: Default) -> Key {
        self.default = Some(d);
        self
    }

    pub(crate) const fn becomes(mut self, b: Becomes) -> Key {
        self.becomes = Some(b);
        self
    }

    pub(crate) const fn when(mut self, yaml: &'static str) -> Key {
        self.when = Some(yaml);
        self
    }

    /// The schema's `default`: the dind value where the modes differ.
    pub fn default_value(&self) -> Option<Value> {
        match self.default? {
            Default::Value(f) | Default::ByMode { dind: f, .. } => Some(f()),
            Default::Dind(f) | Default::Kubernetes(f) => Some(f()),
            Default::Words(_) => None,
        }
    }

    /// The default value in one mode, if the key has one there.
    pub fn default_in(&self, mode: crate::config::Mode) -> Option<Value> {
        use crate::config::Mode;
        match (self.default?, mode) {
            (Default::Value(f), _)
            | (Default::ByMode { dind: f, .. }, Mode::Dind)
            | (Default::ByMode { kubernetes: f, .. }, Mode::Kubernetes)
            | (Default::Dind(f), Mode::Dind)
            | (Default::Kubernetes(f), Mode::Kubernetes) => Some(f()),
            _ => None,
        }
    }

    /// The default in words, values shown in full (`short` elides image digests).
    pub fn default_text(&self, short: bool) -> Option<String> {
        let v = |f: Make| format!("`{}`", flow(&f(), short));
        Some(match self.default? {
            Default::Value(f) => v(f),
            Default::ByMode { dind, kubernetes } => {
                format!("{} (kubernetes mode: {})", v(dind), v(kubernetes))
            }
            Default::Dind(f) => format!("{} (dind mode)", v(f)),
            Default::Kubernetes(f) => format!("{} (kubernetes mode)", v(f)),
            Default::Words(w) => w.to_string(),
        })
    }
}

impl std::fmt::Display for Becomes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Becomes::Env(var) => write!(f, "the executor's variable {var}"),
            Becomes::Field(p) => write!(f, "{p}"),
            Becomes::PartOf(p) => write!(f, "part of {p}"),
            Becomes::Layer(l) => write!(f, "the `{l}` layer"),
        }
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name {
            Some(n) => write!(f, "{} {n}: {}", self.kind, self.path),
            None => write!(f, "the {}: {}", self.kind, self.path),
        }
    }
}

/// Every documented key with its row, in table order.
pub fn keys() -> impl Iterator<Item = (&'static Key, &'static Row)> {
    ROWS.iter().flat_map(|r| r.keys.iter().map(move |k| (k, r)))
}

/// The documentation of one key, by its path (`spec.` and list indices allowed).
pub fn find(path: &str) -> Option<(&'static Key, &'static Row)> {
    let path = normalize(path);
    keys().find(|(k, _)| k.path == path)
}

/// Every place a key named `name` lives, in table order: `queueName` → `executor.queueName`,
/// `queues[].queueName`; a section's name too (`privateDockerRegistry`).
pub fn places(name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (k, _) in keys() {
        let mut prefix = String::new();
        for seg in k.path.split('.') {
            let bare = seg.trim_end_matches("[]");
            if bare == name {
                let place = format!("{prefix}{bare}");
                if !out.contains(&place) {
                    out.push(place);
                }
            }
            prefix.push_str(seg);
            prefix.push('.');
        }
    }
    // A key of a list's entries is the less likely place.
    out.sort_by_key(|p| p.contains("[]"));
    out
}

/// `spec.queues[0].name` → `queues[].name`.
pub fn normalize(path: &str) -> String {
    let path = path.trim();
    let path = path.strip_prefix("spec.").unwrap_or(path);
    let mut out = String::with_capacity(path.len());
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '[' {
            for d in chars.by_ref() {
                if d == ']' {
                    out.push(']');
                    break;
                }
            }
        }
    }
    out
}

/// What `explain` found for a key.
pub enum Explained {
    /// A documented key, a value inside one (a Kubernetes object kept as written), or a
    /// section with the keys under it: the text to print.
    Text(String),
    /// Not a key (as asked, normalized); maybe a near miss.
    Unknown {
        asked: String,
        suggestion: Option<&'static str>,
    },
}

/// `explain KEY`: what the key does, its default, what it becomes, how we differ.
pub fn explain(path: &str) -> Explained {
    let asked = normalize(path);
    if let Some((k, row)) = find(&asked) {
        return Explained::Text(describe(k, row, None));
    }
    // A value inside a key kept as written: `executor.resources.limits.cpu`.
    if let Some((k, row)) = keys().find(|(k, _)| asked.starts_with(&format!("{}.", k.path))) {
        return Explained::Text(describe(k, row, Some(&asked)));
    }
    let under: Vec<&str> = keys()
        .map(|(k, _)| k.path)
        .filter(|p| p.starts_with(&format!("{asked}.")) || p.starts_with(&format!("{asked}[].")))
        .collect();
    if !under.is_empty() {
        let mut s = format!("{asked}: a section of the config; its keys:\n");
        for p in under {
            let _ = writeln!(s, "  {p}");
        }
        s.push_str("Run `sg-executor-gen explain KEY` for one of them.\n");
        return Explained::Text(s);
    }
    // A bare key name that lives somewhere else: `explain queueName`.
    let places = places(&asked);
    match places.as_slice() {
        [one] if one != &asked => {
            if let Explained::Text(text) = explain(one) {
                return Explained::Text(format!("`{asked}` is `{one}`:\n\n{text}"));
            }
        }
        many if many.len() > 1 => {
            let mut s = format!("`{asked}` is a key in {} places:\n", many.len());
            for p in many {
                let _ = writeln!(s, "  {p}");
            }
            s.push_str("Run `sg-executor-gen explain KEY` for one of them.\n");
            return Explained::Text(s);
        }
        _ => {}
    }
    Explained::Unknown {
        suggestion: did_you_mean(&asked, keys().map(|(k, _)| k.path)),
        asked,
    }
}

fn describe(k: &Key, row: &Row, inside: Option<&str>) -> String {
    let mut s = String::new();
    if let Some(inner) = inside {
        let _ = writeln!(
            s,
            "{inner} is inside {}, which is kept as written and checked as a whole.\n",
            k.path
        );
    }
    let _ = writeln!(s, "{}", k.path);
    let _ = writeln!(s, "  chart:    {}", row.chart.words());
    let _ = writeln!(s, "  what:     {}", row.what);
    let default = k.default_text(false);
    let default = match (default, k.when) {
        (Some(d), Some(w)) => format!("{d}, when the spec has {w}"),
        (Some(d), None) => d,
        (None, _) => "none".into(),
    };
    let _ = writeln!(s, "  default:  {default}");
    if let Some(b) = &k.becomes {
        let _ = writeln!(s, "  becomes:  {b}");
    }
    if !row.differs.is_empty() {
        let _ = writeln!(s, "  differs:  {}", row.differs);
    }
    if row.keys.len() > 1 {
        let others: Vec<&str> = row
            .keys
            .iter()
            .map(|o| o.path)
            .filter(|p| *p != k.path)
            .collect();
        let _ = writeln!(s, "  see also: {}", others.join(", "));
    }
    s
}

/// The chart-key table of `docs/keys.md`, as markdown.
pub fn markdown_table() -> String {
    let mut s = String::from(
        "| key | chart | what it does here | where we differ from the chart, and why |\n|---|---|---|---|\n",
    );
    for row in ROWS {
        let cells = [
            key_cell(row.keys),
            row.chart.cell().to_string(),
            format!("{}{}", row.what, defaults_cell(row.keys)),
            row.differs.to_string(),
        ];
        let line = cells.join(" | ");
        let _ = writeln!(s, "| {} |", line.trim_end());
    }
    s
}

/// The key-by-key list of `docs/migration.md`: every chart key whose row says where we
/// differ from the chart, with that reason, as `explain` prints it. Our own keys are left
/// out: no chart override sets them.
pub fn migration_list() -> String {
    let mut s = String::new();
    for row in differing_chart_rows() {
        let _ = writeln!(
            s,
            "- {} ({}): {}",
            key_cell(row.keys),
            row.chart.cell(),
            row.differs
        );
    }
    s
}

/// The rows of chart keys (not ours) that differ from the chart.
pub fn differing_chart_rows() -> impl Iterator<Item = &'static Row> {
    ROWS.iter()
        .filter(|r| r.chart != Chart::Ours && !r.differs.is_empty())
}

/// `a.b`, `.c`: a key that shares the parent of the key before it is shown from the dot.
fn key_cell(keys: &[Key]) -> String {
    let mut parent = "";
    let mut cells = Vec::new();
    for k in keys {
        let shown = match k.path.strip_prefix(parent) {
            Some(rest) if !parent.is_empty() && rest.starts_with('.') => rest,
            _ => k.path,
        };
        cells.push(format!("`{shown}`"));
        parent = k.path.rsplit_once('.').map_or("", |(p, _)| p);
    }
    cells.join(", ")
}

fn defaults_cell(keys: &[Key]) -> String {
    let with: Vec<(&Key, String)> = keys
        .iter()
        .filter_map(|k| k.default_text(true).map(|d| (k, d)))
        .collect();
    match &with[..] {
        [] => String::new(),
        [(_, d)] if keys.len() == 1 => format!("; default {d}"),
        _ => {
            let parts: Vec<String> = with
                .iter()
                .map(|(k, d)| format!("`{}` {d}", k.path.rsplit('.').next().unwrap_or(k.path)))
                .collect();
            format!("; defaults: {}", parts.join(", "))
        }
    }
}

/// A value in YAML flow style, as an admin would write it: `{limits: {cpu: "1"}}`.
pub fn flow(v: &Value, short: bool) -> String {
    match v {
        Value::String(s) => {
            let s = match (short, s.split_once("@sha256:")) {
                (true, Some((tag, _))) => format!("{tag}@sha256:…"),
                _ => s.clone(),
            };
            // Plain unless a YAML 1.1 or 1.2 reader would read a number, boolean or null.
            let numeric = s.starts_with(|c: char| c.is_ascii_digit())
                && s.chars()
                    .all(|c| c.is_ascii_hexdigit() || "xXoO_.:+-".contains(c));
            let plain = !s.is_empty()
                && !numeric
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-./:@_…".contains(c))
                && !s.starts_with(['.', '-', ':', '@'])
                && !matches!(
                    s.to_ascii_lowercase().as_str(),
                    "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n" | "~"
                );
            if plain {
                s
            } else {
                Value::String(s).to_string()
            }
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(|i| flow(i, short)).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(m) => {
            let entries: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{k}: {}", flow(v, short)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_shown_from_the_dot_when_they_share_a_parent() {
        let keys = [
            key("a.b"),
            key("a.c"),
            key("a.c[].d"),
            key("a.c[].e"),
            key("x"),
        ];
        assert_eq!(key_cell(&keys), "`a.b`, `.c`, `.c[].d`, `.e`, `x`");
    }

    #[test]
    fn a_key_name_has_its_places() {
        assert_eq!(
            places("queueName"),
            ["executor.queueName", "queues[].queueName"]
        );
        assert_eq!(
            places("replicaCount"),
            ["executor.replicaCount", "queues[].replicaCount"]
        );
        assert_eq!(places("privateDockerRegistry"), ["privateDockerRegistry"]);
        assert_eq!(places("executor"), ["executor"]);
        assert!(places("nothingLikeThis").is_empty());
    }

    #[test]
    fn paths_are_normalized_from_spec_and_indices() {
        assert_eq!(normalize("spec.queues[3].name"), "queues[].name");
        assert_eq!(normalize(" executor.frontendUrl "), "executor.frontendUrl");
    }

    #[test]
    fn flow_quotes_what_yaml_would_read_otherwise() {
        let v = serde_json::json!({"cpu": "1", "hosts": ["tcp://127.0.0.1:2375"], "memory": "4Gi", "on": "true", "x": "0x1F"});
        assert_eq!(
            flow(&v, false),
            r#"{cpu: "1", hosts: [tcp://127.0.0.1:2375], memory: 4Gi, on: "true", x: "0x1F"}"#
        );
        assert_eq!(
            flow(&serde_json::json!("6.2.1106@sha256:abc"), true),
            "6.2.1106@sha256:…"
        );
    }
}
