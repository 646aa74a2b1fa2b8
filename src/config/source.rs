//! Reads a config file's text into a YAML tree that remembers where every node stood.
//!
//! serde_yaml reports only the first problem and loses positions once a value is parsed,
//! but an admin needs every problem in the file located by line and column. This module
//! builds a small tree from yaml-rust2's marked events, refusing what a config never needs
//! and an attacker might send: several documents, unbounded alias expansion, deep nesting.

use crate::config::characters;
use crate::diagnostic::{Location, Problem, MAX_SHOWN};
use std::collections::{HashMap, HashSet};
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// The largest config file we read; real configs are a few KiB.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// Nodes one document may have after alias expansion ("billion laughs" stops here).
pub const MAX_NODES: usize = 100_000;
/// Text one document may hold after alias expansion.
pub const MAX_EXPANDED_BYTES: usize = 8 << 20;
/// Nesting depth; the deepest real config is about ten levels.
pub const MAX_DEPTH: usize = 64;

/// How a scalar was written: plain scalars are typed by their text, the others are strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarStyle {
    Plain,
    Quoted,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    Scalar(String, ScalarStyle),
    Seq(Vec<Node>),
    /// Keys in file order; keys are strings and unique (checked while parsing).
    Map(Vec<(Key, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: String,
    pub at: Location,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub at: Location,
    pub value: NodeValue,
}

/// One step of a path into the tree, as used in messages (`spec.executor.queueName`, `queues[1]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

impl From<&str> for Segment {
    fn from(s: &str) -> Self {
        Segment::Key(s.to_string())
    }
}

impl From<&String> for Segment {
    fn from(s: &String) -> Self {
        Segment::Key(s.clone())
    }
}

impl From<usize> for Segment {
    fn from(i: usize) -> Self {
        Segment::Index(i)
    }
}

/// Renders a path the way an admin writes it in a values file.
pub fn path_to_string(path: &[Segment]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Segment::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    if out.is_empty() {
        "(top level)".to_string()
    } else {
        out
    }
}

impl Node {
    /// True for a plain `null`, `~` or empty scalar.
    pub fn is_null(&self) -> bool {
        matches!(&self.value, NodeValue::Scalar(s, ScalarStyle::Plain) if is_null_text(s))
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.child(&Segment::Key(key.to_string()))
    }

    /// The node at `path`, if there is one.
    pub fn at_path(&self, path: &[Segment]) -> Option<&Node> {
        path.iter().try_fold(self, |node, seg| node.child(seg))
    }

    /// One step down the tree: a map's value by key, or a list's item by index.
    fn child(&self, seg: &Segment) -> Option<&Node> {
        match (seg, &self.value) {
            (Segment::Key(k), NodeValue::Map(entries)) => entries
                .iter()
                .find(|(key, _)| &key.name == k)
                .map(|(_, v)| v),
            (Segment::Index(i), NodeValue::Seq(items)) => items.get(*i),
            _ => None,
        }
    }

    fn child_mut(&mut self, seg: &Segment) -> Option<&mut Node> {
        match (seg, &mut self.value) {
            (Segment::Key(k), NodeValue::Map(entries)) => entries
                .iter_mut()
                .find(|(key, _)| &key.name == k)
                .map(|(_, v)| v),
            (Segment::Index(i), NodeValue::Seq(items)) => items.get_mut(*i),
            _ => None,
        }
    }

    /// Where `path` stands: its value if present, else the key of its deepest existing parent
    /// (a missing `executor.queueName` is reported at `executor:`).
    pub fn locate(&self, path: &[Segment]) -> Location {
        let mut node = self;
        for (depth, seg) in path.iter().enumerate() {
            match node.child(seg) {
                Some(n) => node = n,
                None if depth == 0 => return Location::new(1, 1).in_source(self.at.source),
                None => return self.locate_key(&path[..depth]),
            }
        }
        // A block collection's own mark is where its first entry starts; its key reads better.
        match node.value {
            NodeValue::Map(_) | NodeValue::Seq(_) if !path.is_empty() => self.locate_key(path),
            _ => node.at,
        }
    }

    /// The location of the key that leads to `path` (better than the value for "unknown key").
    pub fn locate_key(&self, path: &[Segment]) -> Location {
        let Some((last, parent_path)) = path.split_last() else {
            return self.at;
        };
        let mut node = self;
        for seg in parent_path {
            match node.child(seg) {
                Some(n) => node = n,
                None => return node.at,
            }
        }
        match (last, &node.value) {
            (Segment::Key(k), NodeValue::Map(entries)) => entries
                .iter()
                .find(|(key, _)| &key.name == k)
                .map_or(node.at, |(key, _)| key.at),
            _ => node.child(last).map_or(node.at, |n| n.at),
        }
    }

    /// Removes the entry at `path` (a map key or a sequence item); false if there is none.
    pub fn remove(&mut self, path: &[Segment]) -> bool {
        let Some((last, parent_path)) = path.split_last() else {
            return false;
        };
        let mut node = self;
        for seg in parent_path {
            match node.child_mut(seg) {
                Some(n) => node = n,
                None => return false,
            }
        }
        match (last, &mut node.value) {
            (Segment::Key(k), NodeValue::Map(entries)) => {
                let before = entries.len();
                entries.retain(|(key, _)| &key.name != k);
                entries.len() != before
            }
            (Segment::Index(i), NodeValue::Seq(items)) if *i < items.len() => {
                items.remove(*i);
                true
            }
            _ => false,
        }
    }

    /// Marks every location in the tree (keys too) as one of source `source`'s.
    pub fn set_source(&mut self, source: u16) {
        self.at = self.at.in_source(source);
        match &mut self.value {
            NodeValue::Scalar(..) => {}
            NodeValue::Seq(items) => items.iter_mut().for_each(|n| n.set_source(source)),
            NodeValue::Map(entries) => {
                for (key, value) in entries {
                    key.at = key.at.in_source(source);
                    value.set_source(source);
                }
            }
        }
    }

    /// Nodes and text bytes, what an alias expansion costs in memory.
    fn weight(&self) -> (usize, usize) {
        match &self.value {
            NodeValue::Scalar(text, _) => (1, text.len()),
            NodeValue::Seq(items) => items
                .iter()
                .map(Node::weight)
                .fold((1, 0), |(n, b), (n2, b2)| (n + n2, b + b2)),
            NodeValue::Map(entries) => entries
                .iter()
                .map(|(k, v)| {
                    let (n, b) = v.weight();
                    (n + 1, b + k.name.len())
                })
                .fold((1, 0), |(n, b), (n2, b2)| (n + n2, b + b2)),
        }
    }
}

/// YAML 1.2 core-schema null.
pub fn is_null_text(s: &str) -> bool {
    matches!(s, "" | "~" | "null" | "Null" | "NULL")
}

fn location(m: &Marker) -> Location {
    // yaml-rust2 counts lines from 1 and columns from 0.
    Location::new(m.line(), m.col() + 1)
}

/// A config's YAML tree, with the problems that did not stop the parse (duplicate keys,
/// forbidden characters).
#[derive(Debug)]
pub struct Parsed {
    pub root: Node,
    pub problems: Vec<Problem>,
    /// Problems found but not listed in `problems` (see `parse_document`).
    pub not_shown: usize,
}

/// Why a text is no config at all, and what else was wrong with it.
#[derive(Debug)]
pub struct Refused {
    pub problems: Vec<Problem>,
    pub not_shown: usize,
}

/// Parses exactly one YAML document into a located tree. An empty file is an error: a
/// config that says nothing is more likely a mistake than a wish for all defaults.
///
/// Every character YAML forbids is a problem, but only the first `MAX_SHOWN` are built
/// (a file of NULs would otherwise cost hundreds of bytes per byte); the rest are counted.
pub fn parse_document(text: &str) -> Result<Parsed, Refused> {
    let scanned = characters::scan(text);
    let not_shown = scanned.found.len().saturating_sub(MAX_SHOWN);
    let mut builder = Builder {
        parser: Parser::new_from_str(&scanned.text),
        anchors: HashMap::new(),
        nodes: 0,
        bytes: 0,
        aliases: 0,
        problems: Vec::new(),
    };
    match builder.document() {
        Ok(mut root) => {
            let mut problems =
                characters::forbidden_problems(&scanned.found, Some(&mut root), MAX_SHOWN);
            problems.extend(characters::value_problems(&root));
            problems.append(&mut builder.problems);
            Ok(Parsed {
                root,
                problems,
                not_shown,
            })
        }
        Err(p) => {
            let mut problems = characters::forbidden_problems(&scanned.found, None, MAX_SHOWN);
            problems.append(&mut builder.problems);
            problems.push(p);
            Err(Refused {
                problems,
                not_shown,
            })
        }
    }
}

struct Builder<'a> {
    parser: Parser<std::str::Chars<'a>>,
    anchors: HashMap<usize, Node>,
    nodes: usize,
    bytes: usize,
    /// Aliases expanded so far: whether a document too large is an alias bomb.
    aliases: usize,
    /// Problems that do not stop parsing (duplicate keys).
    problems: Vec<Problem>,
}

impl Builder<'_> {
    fn next(&mut self) -> Result<(Event, Marker), Problem> {
        self.parser.next_token().map_err(|e| {
            // The scanner looks ahead through flow collections and stops at 255 levels.
            if e.info() == "recursion limit exceeded" {
                return Problem::error(format!("nesting deeper than {MAX_DEPTH} levels"))
                    .at(location(e.marker()))
                    .hint("flatten the config");
            }
            let info = e.info().to_string();
            Problem::error(format!("YAML syntax error: {info}"))
                .at(location(e.marker()))
                .hint("fix the YAML syntax at this position")
        })
    }

    fn document(&mut self) -> Result<Node, Problem> {
        let empty = || {
            Problem::error("the config file is empty")
                .hint("write a config; `sg-executor-gen init` prints a starter")
        };
        loop {
            match self.next()? {
                (Event::StreamStart, _) => continue,
                (Event::StreamEnd, _) => return Err(empty()),
                (Event::DocumentStart, _) => break,
                (_, m) => {
                    return Err(Problem::error("the YAML stream does not start a document")
                        .at(location(&m))
                        .hint("fix the YAML syntax at this position"))
                }
            }
        }
        let (ev, m) = self.next()?;
        let root = self.node(ev, m, 0)?;
        match self.next()? {
            (Event::DocumentEnd, _) => {}
            (_, m) => {
                return Err(Problem::error("unexpected content after the document").at(location(&m)))
            }
        }
        match self.next()? {
            (Event::StreamEnd, _) => {}
            (_, m) => {
                return Err(Problem::error("the file holds more than one YAML document")
                    .at(location(&m))
                    .hint("keep one config per file; remove the `---` and what follows"))
            }
        }
        if root.is_null() {
            return Err(empty());
        }
        Ok(root)
    }

    fn count(&mut self, (n, bytes): (usize, usize), at: Location) -> Result<(), Problem> {
        self.nodes += n;
        self.bytes += bytes;
        let what = if self.bytes > MAX_EXPANDED_BYTES {
            format!("{} MiB of text", MAX_EXPANDED_BYTES >> 20)
        } else if self.nodes > MAX_NODES {
            format!("{MAX_NODES} nodes")
        } else {
            return Ok(());
        };
        // Without aliases the text itself is this large: no bomb, just not a config.
        let (message, hint) = if self.aliases > 0 {
            (
                format!("the document expands to more than {what}"),
                "a config this large is almost certainly an alias bomb; remove the repeated aliases",
            )
        } else {
            (
                format!("the document holds more than {what}, too large for a config"),
                "a config is a few KiB; check that this is the right file",
            )
        };
        Err(Problem::error(message).at(at).hint(hint))
    }

    fn node(&mut self, ev: Event, m: Marker, depth: usize) -> Result<Node, Problem> {
        let at = location(&m);
        if depth > MAX_DEPTH {
            return Err(
                Problem::error(format!("nesting deeper than {MAX_DEPTH} levels"))
                    .at(at)
                    .hint("flatten the config"),
            );
        }
        let (node, anchor) = match ev {
            Event::Alias(id) => return self.alias(id, at),
            Event::Scalar(text, style, anchor, tag) => (self.scalar(text, style, tag, at)?, anchor),
            Event::SequenceStart(anchor, tag) => {
                self.refuse_tag(tag, at)?;
                (self.sequence(at, depth)?, anchor)
            }
            Event::MappingStart(anchor, tag) => {
                self.refuse_tag(tag, at)?;
                (self.mapping(at, depth)?, anchor)
            }
            _ => {
                return Err(Problem::error("a value was expected here")
                    .at(at)
                    .hint("fix the YAML syntax at this position"))
            }
        };
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        Ok(node)
    }

    /// An alias: a copy of its anchor's node, counted against the expansion budget.
    fn alias(&mut self, id: usize, at: Location) -> Result<Node, Problem> {
        let Some(node) = self.anchors.get(&id) else {
            return Err(Problem::error("alias to an unknown anchor").at(at));
        };
        let node = node.clone();
        self.aliases += 1;
        self.count(node.weight(), at)?;
        Ok(Node { at, ..node })
    }

    fn scalar(
        &mut self,
        text: String,
        style: TScalarStyle,
        tag: Option<Tag>,
        at: Location,
    ) -> Result<Node, Problem> {
        self.count((1, text.len()), at)?;
        let quoted = match tag {
            None => style != TScalarStyle::Plain,
            Some(tag) if is_str_tag(&tag) => true,
            Some(tag) => {
                return Err(Problem::error(format!(
                    "unsupported YAML tag `{}{}`",
                    tag.handle, tag.suffix
                ))
                .at(at)
                .hint("remove the tag; write the value plainly"))
            }
        };
        let style = if quoted {
            ScalarStyle::Quoted
        } else {
            ScalarStyle::Plain
        };
        Ok(Node {
            at,
            value: NodeValue::Scalar(text, style),
        })
    }

    fn sequence(&mut self, at: Location, depth: usize) -> Result<Node, Problem> {
        self.count((1, 0), at)?;
        let mut items = Vec::new();
        loop {
            let (ev, m) = self.next()?;
            if ev == Event::SequenceEnd {
                break;
            }
            items.push(self.node(ev, m, depth + 1)?);
        }
        Ok(Node {
            at,
            value: NodeValue::Seq(items),
        })
    }

    /// A mapping of string keys; a duplicate key is reported and its second value dropped.
    fn mapping(&mut self, at: Location, depth: usize) -> Result<Node, Problem> {
        self.count((1, 0), at)?;
        let mut entries: Vec<(Key, Node)> = Vec::new();
        let mut seen = HashSet::new();
        loop {
            let (ev, m) = self.next()?;
            if ev == Event::MappingEnd {
                break;
            }
            let key_at = location(&m);
            let key = self.node(ev, m, depth + 1)?;
            let name = match key.value {
                NodeValue::Scalar(s, _) => s,
                _ => return Err(Problem::error("a mapping key must be a plain string").at(key_at)),
            };
            let (ev, m) = self.next()?;
            let value = self.node(ev, m, depth + 1)?;
            if name == "<<" {
                return Err(Problem::error("YAML merge keys (`<<`) are not supported")
                    .at(key_at)
                    .hint("write the keys out in full"));
            }
            if !seen.insert(name.clone()) {
                self.problems.push(
                    Problem::error(format!("duplicate key `{name}`"))
                        .at(key_at)
                        .hint("keep one; YAML tools disagree on which one wins"),
                );
                continue;
            }
            entries.push((Key { name, at: key_at }, value));
        }
        Ok(Node {
            at,
            value: NodeValue::Map(entries),
        })
    }

    fn refuse_tag(&self, tag: Option<Tag>, at: Location) -> Result<(), Problem> {
        match tag {
            None => Ok(()),
            Some(tag)
                if matches!(tag.suffix.as_str(), "map" | "seq")
                    && tag.handle.starts_with("tag:yaml.org") =>
            {
                Ok(())
            }
            Some(tag) => Err(Problem::error(format!(
                "unsupported YAML tag `{}{}`",
                tag.handle, tag.suffix
            ))
            .at(at)
            .hint("remove the tag")),
        }
    }
}

fn is_str_tag(tag: &Tag) -> bool {
    tag.suffix == "str" && (tag.handle == "!!" || tag.handle.starts_with("tag:yaml.org"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_one_based() {
        let root = parse_document("a:\n  bb: 1\n").unwrap().root;
        let loc = root.locate_key(&[Segment::Key("a".into()), Segment::Key("bb".into())]);
        assert_eq!((loc.line, loc.column), (2, 3));
    }

    #[test]
    fn duplicate_keys_are_all_reported() {
        let problems = parse_document("a: 1\na: 2\nb: 1\nb: 3\n").unwrap().problems;
        assert_eq!(problems.len(), 2);
        assert!(problems[0].message.contains("duplicate key `a`"));
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            doc.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"));
        }
        let problems = parse_document(&doc).unwrap_err().problems;
        assert!(
            problems[0].message.contains("expands to more than"),
            "{problems:?}"
        );
    }

    #[test]
    fn alias_of_a_long_string_is_bounded_by_bytes_too() {
        let big = "x".repeat(100_000);
        let mut doc = format!("a: &a {big}\nb: [");
        for _ in 0..200 {
            doc.push_str("*a, ");
        }
        doc.push_str("*a]\n");
        let problems = parse_document(&doc).unwrap_err().problems;
        assert!(problems[0].message.contains("MiB of text"), "{problems:?}");
    }

    #[test]
    fn control_characters_are_refused_but_newlines_and_tabs_are_fine() {
        let problems = parse_document("a: \"x\\x7fy\"\nb: \"tab\\there\\nnext\"\n")
            .unwrap()
            .problems;
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].message.contains("U+007F"));
    }

    #[test]
    fn second_document_is_refused() {
        let problems = parse_document("a: 1\n---\nb: 2\n").unwrap_err().problems;
        assert!(problems[0].message.contains("more than one YAML document"));
    }

    #[test]
    fn remove_deletes_map_entry_and_seq_item() {
        let mut root = parse_document("a: [1, 2, 3]\nb: x\n").unwrap().root;
        assert!(root.remove(&[Segment::Key("a".into()), Segment::Index(1)]));
        assert!(root.remove(&[Segment::Key("b".into())]));
        assert!(!root.remove(&[Segment::Key("b".into())]));
        match &root.get("a").unwrap().value {
            NodeValue::Seq(items) => assert_eq!(items.len(), 2),
            other => panic!("{other:?}"),
        }
    }
}
