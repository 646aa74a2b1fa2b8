//! The starter config `init` prints: the KRM form, with the keys a first stack needs set and
//! the ones an admin tunes next shown commented with their defaults, each under a comment
//! from the key documentation. A modeline points editors at the JSON Schema.
//!
//! Defaults and comments come from `docs`, so the starter cannot drift from the tool;
//! `app::init` also runs what is printed through the pipeline before printing it.

use crate::config::docs::{self, flow};
use crate::config::node_de::from_node;
use crate::config::source::{Node, NodeValue, Segment};
use crate::config::strvals::Assignment;
use crate::config::Mode;
use serde_json::{json, Value};

/// What `init` was asked for.
#[derive(Debug, Clone)]
pub struct Starter {
    pub mode: Mode,
    pub name: String,
    pub namespace: Option<String>,
    pub frontend_url: String,
    pub existing_secret: String,
    pub queues: Vec<String>,
    /// The modeline's `$schema=`.
    pub schema: String,
}

/// One line of the spec: a key set to a value, or a key shown commented with its default.
enum Entry {
    Set(&'static str, Value),
    Show(&'static str),
}

/// The keys an admin tunes next, per mode.
const DIND_SHOWN: [&str; 10] = [
    "executor.maximumNumJobs",
    "executor.maximumRuntimePerJob",
    "executor.replicaCount",
    "executor.resources",
    "executor.storage.size",
    "dind.resources",
    "privateDockerRegistry.enabled",
    "privateDockerRegistry.storageSize",
    "networkPolicy.enabled",
    "executor.log.level",
];
const KUBERNETES_SHOWN: [&str; 8] = [
    "executor.maximumNumJobs",
    "executor.configureRbac",
    "executor.resources",
    "executor.kubernetesJob.deadline",
    "executor.kubernetesJob.resources.requests.memory",
    "executor.kubernetesJob.resources.limits.memory",
    "networkPolicy.enabled",
    "executor.log.level",
];

/// The starter's text.
pub fn text(s: &Starter) -> String {
    text_with(s, &[])
}

/// The starter's text with some keys written with other values: each key path (a key of
/// the documentation) with its value, or `None` to leave it out. A key set here replaces
/// the key's commented default and any entry under it, keeping the comments.
pub fn text_with(s: &Starter, values: &[(&'static str, Option<Value>)]) -> String {
    let mode = match s.mode {
        Mode::Dind => "dind",
        Mode::Kubernetes => "kubernetes",
    };
    let mut out = format!(
        "# yaml-language-server: $schema={}\n\
         # sg-executor-gen config ({mode} mode), from `sg-executor-gen init`.\n\
         #   render it:        sg-executor-gen render -f THIS_FILE\n\
         #   what a key does:  sg-executor-gen explain KEY   (e.g. executor.maximumNumJobs)\n\
         #   editor schema:    sg-executor-gen schema > sg-executor-gen.schema.json\n\
         # Commented keys show their defaults: uncomment one to change it.\n\
         apiVersion: sg-executor-gen/v1alpha1\n\
         kind: ExecutorDeployment\n\
         metadata:\n  name: {}\n",
        s.schema,
        flow(&json!(s.name), false)
    );
    match &s.namespace {
        Some(ns) => out.push_str(&format!("  namespace: {}\n", flow(&json!(ns), false))),
        None => out.push_str("  # namespace: sourcegraph\n"),
    }
    out.push_str("spec:\n");
    let mut entries = vec![Entry::Set("mode", json!(mode))];
    entries.extend(required(s));
    let shown: &[&str] = match s.mode {
        Mode::Dind => &DIND_SHOWN,
        Mode::Kubernetes => &KUBERNETES_SHOWN,
    };
    entries.extend(shown.iter().map(|k| Entry::Show(k)));
    for (key, value) in values {
        let under = format!("{key}.");
        let replaced = |e: &Entry| path(e) == *key || path(e).starts_with(&under);
        // In the place of the entry it replaces, so the key keeps its comment's place.
        let place = entries.iter().position(replaced).unwrap_or(entries.len());
        entries.retain(|e| !replaced(e));
        if let Some(v) = value {
            entries.insert(place.min(entries.len()), Entry::Set(key, v.clone()));
        }
    }
    sort_by_section(&mut entries);
    write_entries(&entries, s.mode, &mut out);
    out
}

/// `init --set`: for each key an assignment sets (its steps up to the first list index),
/// the documented key it belongs to and that key's value in `merged` (the starter with the
/// sets applied, a tree in the KRM form), or `None` where the sets removed it. A key whose
/// documented parent the starter already sets is written whole at that parent. Keys the
/// documentation does not know are not written: the config's check reports them.
pub fn values_set(
    s: &Starter,
    merged: &Node,
    assignments: &[Assignment],
) -> Vec<(&'static str, Option<Value>)> {
    let set_by_starter: Vec<&'static str> = required(s).iter().map(path).collect();
    let mut out: Vec<(&'static str, Option<Value>)> = Vec::new();
    for assignment in assignments {
        let names: Vec<&str> = assignment
            .path
            .iter()
            .map_while(|step| match &step.segment {
                Segment::Key(name) => Some(name.as_str()),
                Segment::Index(_) => None,
            })
            .collect();
        let documented = (1..=names.len())
            .rev()
            .find_map(|n| docs::find(&names[..n].join(".")).map(|(k, _)| k.path));
        let Some(mut key) = documented else { continue };
        if let Some(parent) = set_by_starter
            .iter()
            .find(|p| key.starts_with(&format!("{p}.")))
        {
            key = *parent;
        }
        out.retain(|(k, _)| *k != key && !k.starts_with(&format!("{key}.")));
        if out.iter().any(|(k, _)| key.starts_with(&format!("{k}."))) {
            continue;
        }
        let at = std::iter::once("spec").chain(key.split('.'));
        // Read as the config's reader reads it, so what is written back means the same.
        let value = value_at(merged, at).and_then(|node| from_node::<Value>(node).ok());
        out.push((key, value));
    }
    out
}

/// The node at a path of keys.
fn value_at<'n, 'k>(root: &'n Node, mut keys: impl Iterator<Item = &'k str>) -> Option<&'n Node> {
    keys.try_fold(root, |node, key| match &node.value {
        NodeValue::Map(entries) => entries.iter().find(|(k, _)| k.name == key).map(|(_, v)| v),
        _ => None,
    })
}

fn required(s: &Starter) -> Vec<Entry> {
    let mut e = vec![
        Entry::Set("executor.frontendUrl", json!(s.frontend_url)),
        Entry::Set("executor.frontendExistingSecret", json!(s.existing_secret)),
    ];
    match &s.queues[..] {
        [one] => e.push(Entry::Set("executor.queueName", json!(one))),
        many => e.push(Entry::Set("executor.queueNames", json!(many))),
    }
    e
}

fn path(e: &Entry) -> &'static str {
    match e {
        Entry::Set(p, _) | Entry::Show(p) => p,
    }
}

/// Keeps the entries' order within a section, sections in order of first appearance, so
/// each section is written once.
fn sort_by_section(entries: &mut [Entry]) {
    let sections: Vec<&str> = {
        let mut seen = Vec::new();
        for e in entries.iter() {
            let s = section_of(path(e));
            if !seen.contains(&s) {
                seen.push(s);
            }
        }
        seen
    };
    entries.sort_by_key(|e| {
        let p = path(e);
        let parent = p.rsplit_once('.').map_or("", |(p, _)| p);
        (
            sections.iter().position(|s| *s == section_of(p)),
            parent.to_string(),
        )
    });
}

fn section_of(p: &str) -> &str {
    p.split('.').next().unwrap_or(p)
}

/// Writes the entries as nested YAML. A section with nothing set under it is commented like
/// the keys in it, each line at its own indentation, so uncommenting gives valid YAML.
fn write_entries(entries: &[Entry], mode: Mode, out: &mut String) {
    let mut open: Vec<&str> = Vec::new();
    for e in entries {
        let segments: Vec<&str> = path(e).split('.').collect();
        let (parents, leaf) = segments.split_at(segments.len() - 1);
        let shared = open.iter().zip(parents).take_while(|(a, b)| a == b).count();
        open.truncate(shared);
        for (depth, name) in parents.iter().enumerate().skip(shared) {
            let prefix = format!("{}.", parents[..=depth].join("."));
            let set_under = entries
                .iter()
                .any(|e| matches!(e, Entry::Set(..)) && path(e).starts_with(&prefix));
            line(out, depth + 1, !set_under, &format!("{name}:"));
            open.push(name);
        }
        let indent = parents.len() + 1;
        let Some((k, row)) = docs::find(path(e)) else {
            continue;
        };
        comment(out, indent, row.what);
        match e {
            Entry::Set(_, v) => line(
                out,
                indent,
                false,
                &format!("{}: {}", leaf[0], flow(v, false)),
            ),
            Entry::Show(_) => {
                let value = k
                    .default_in(mode)
                    .map_or(String::new(), |v| flow(&v, false));
                line(out, indent, true, &format!("{}: {value}", leaf[0]));
            }
        }
    }
}

/// A YAML line at `depth` (two spaces each), commented with `# ` at its indentation.
fn line(out: &mut String, depth: usize, commented: bool, text: &str) {
    let pad = "  ".repeat(depth);
    let hash = if commented { "# " } else { "" };
    out.push_str(&format!("{pad}{hash}{text}\n"));
}

/// The key's documentation as comment lines, wrapped.
fn comment(out: &mut String, depth: usize, text: &str) {
    let pad = "  ".repeat(depth);
    let mut current = String::new();
    for word in text.split_whitespace() {
        if !current.is_empty() && pad.len() + 2 + current.len() + word.len() > 90 {
            out.push_str(&format!("{pad}# {current}\n"));
            current.clear();
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() {
        out.push_str(&format!("{pad}# {current}\n"));
    }
}
