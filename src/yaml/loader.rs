//! YAML text to values, one document at a time, within [`Limits`] that are counted as the
//! values are made: an alias costs what it copies (so a "billion laughs" stops when the
//! copies reach the limit, whatever the number of aliases), nesting stops at the depth
//! limit before the parser reads any deeper, and every value and byte of scalar text in
//! the stream counts against one budget. yaml-rust2 parses lazily, event by event, so the
//! work done before a limit stops it is linear in the text read so far.

use super::scalar::{kubectl_key, resolve, Scalar, Schema};
use super::Limits;
use crate::diagnostic::{Location, Problem};
use serde_yaml::{Mapping, Value};
use std::collections::{HashMap, HashSet};
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::Marker;

/// One document of a stream, and the line it starts on (after its `---`, if any).
#[derive(Debug)]
pub struct Document {
    pub line: usize,
    pub value: Value,
}

/// An event the loader read, for a reader that needs to know where things are.
#[derive(Debug)]
pub enum Seen<'t> {
    MappingStart { anchor: usize },
    MappingEnd,
    SequenceStart { anchor: usize },
    SequenceEnd,
    Scalar { text: &'t str, anchor: usize },
    Alias { anchor: usize },
}

/// Where an event is: its depth (0 for a document's root), whether it is a mapping key,
/// and yaml-rust2's mark (line from 1, column in characters from 0; a block collection's
/// start is marked after its first key, its end at the next token).
#[derive(Debug, Clone, Copy)]
pub struct Place {
    pub depth: usize,
    pub key: bool,
    pub at: Marker,
}

/// Sees every event as it is read; an error stops the reading.
pub trait Observer {
    fn seen(&mut self, seen: Seen<'_>, place: Place) -> Result<(), Problem>;
}

/// The observer of readers that need values only.
impl Observer for () {
    fn seen(&mut self, _: Seen<'_>, _: Place) -> Result<(), Problem> {
        Ok(())
    }
}

/// What aliases may copy beyond what the stream writes out: values, bytes of text. Enough
/// for any stream that shares a block of settings through an anchor.
const ALIAS_ALLOWANCE: (usize, usize) = (100_000, 1 << 20);

/// A node kept for its aliases, with what one copy costs.
struct Anchored {
    value: Value,
    values: usize,
    bytes: usize,
}

/// Reads a stream's documents in turn.
pub struct Loader<'t, O: Observer = ()> {
    text: &'t str,
    parser: Parser<std::str::Chars<'t>>,
    schema: Schema,
    limits: Limits,
    observer: O,
    anchors: HashMap<usize, Anchored>,
    /// Values and scalar bytes made so far, copies included.
    values: usize,
    bytes: usize,
    /// Of those, the copies: made by aliases, or kept for them.
    copied_values: usize,
    copied_bytes: usize,
    documents: usize,
    done: bool,
    /// For the line after a `---`: the start of the line last looked at.
    line_start: (usize, usize),
}

impl<'t> Loader<'t, ()> {
    pub fn new(text: &'t str, schema: Schema, limits: Limits) -> Self {
        Loader::observed(text, schema, limits, ())
    }
}

impl<'t, O: Observer> Loader<'t, O> {
    pub fn observed(text: &'t str, schema: Schema, limits: Limits, observer: O) -> Self {
        Loader {
            text,
            parser: Parser::new_from_str(text),
            schema,
            limits,
            observer,
            anchors: HashMap::new(),
            values: 0,
            bytes: 0,
            copied_values: 0,
            copied_bytes: 0,
            documents: 0,
            done: false,
            line_start: (1, 0),
        }
    }

    pub fn into_observer(self) -> O {
        self.observer
    }

    /// The next document, `None` after the last.
    pub fn next_document(&mut self) -> Result<Option<Document>, Problem> {
        if self.done {
            return Ok(None);
        }
        let at = loop {
            match self.next()? {
                (Event::StreamStart, _) => continue,
                (Event::StreamEnd, _) => {
                    self.done = true;
                    return Ok(None);
                }
                (Event::DocumentStart, at) => break at,
                (_, at) => return Err(unexpected(at)),
            }
        };
        self.documents += 1;
        if self.documents > self.limits.documents {
            return Err(Problem::error(format!(
                "the stream holds more than {} documents",
                self.limits.documents
            ))
            .at(location(&at))
            .hint("split it into smaller streams"));
        }
        let line = self.document_line(&at);
        let (event, root_at) = self.next()?;
        let value = self.node(event, root_at, 0, false)?;
        match self.next()? {
            (Event::DocumentEnd, _) => {}
            (_, at) => return Err(unexpected(at)),
        }
        // Anchors do not reach across documents.
        self.anchors.clear();
        Ok(Some(Document { line, value }))
    }

    /// The line after an explicit `---`; else the line of the document's first node (1
    /// for the first document).
    fn document_line(&mut self, at: &Marker) -> usize {
        let (line, start) = &mut self.line_start;
        while *line < at.line() {
            match self.text[*start..].find('\n') {
                Some(i) => {
                    *start += i + 1;
                    *line += 1;
                }
                None => break,
            }
        }
        if self.text[*start..].starts_with("---") {
            at.line() + 1
        } else if self.documents == 1 {
            1
        } else {
            at.line()
        }
    }

    fn next(&mut self) -> Result<(Event, Marker), Problem> {
        let depth = self.limits.depth;
        self.parser.next_token().map_err(|e| {
            // The scanner looks ahead through flow collections and stops at 255 levels.
            if e.info() == "recursion limit exceeded" {
                return too_deep(depth, e.marker());
            }
            Problem::error(format!("not YAML: {}", e.info())).at(location(e.marker()))
        })
    }

    fn node(
        &mut self,
        event: Event,
        at: Marker,
        depth: usize,
        key: bool,
    ) -> Result<Value, Problem> {
        let place = Place { depth, key, at };
        if depth > self.limits.depth {
            return Err(too_deep(self.limits.depth, &at));
        }
        let (values, bytes) = (self.values, self.bytes);
        let (value, anchor) = match event {
            Event::Alias(anchor) => {
                self.observer.seen(Seen::Alias { anchor }, place)?;
                return self.alias(anchor, at);
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.observer.seen(
                    Seen::Scalar {
                        text: &text,
                        anchor,
                    },
                    place,
                )?;
                self.count(1, text.len(), &at)?;
                let value = match resolve(self.schema, text, style, tag.as_ref()) {
                    Ok(Scalar::Value(v)) => v,
                    Ok(Scalar::Merge) => Value::String("<<".into()),
                    Err(message) => return Err(Problem::error(message).at(location(&at))),
                };
                (value, anchor)
            }
            Event::SequenceStart(anchor, _) => {
                self.observer.seen(Seen::SequenceStart { anchor }, place)?;
                self.count(1, 0, &at)?;
                (self.sequence(depth)?, anchor)
            }
            Event::MappingStart(anchor, _) => {
                self.observer.seen(Seen::MappingStart { anchor }, place)?;
                self.count(1, 0, &at)?;
                (self.mapping(depth)?, anchor)
            }
            _ => return Err(unexpected(at)),
        };
        if anchor > 0 {
            let anchored = Anchored {
                value: value.clone(),
                values: self.values - values,
                bytes: self.bytes - bytes,
            };
            // The copy kept for the aliases costs as much again.
            self.copy(anchored.values, anchored.bytes, &at)?;
            self.anchors.insert(anchor, anchored);
        }
        Ok(value)
    }

    /// An alias: a copy of its anchor's node. The parser knows every anchor before it (an
    /// unknown one is its syntax error), so an anchor not kept yet is one whose node is
    /// still being read: the alias is inside it, and the node would contain itself.
    /// kubectl refuses that; the KRM function, which copies items as text and reads only
    /// ids and labels from values, reads such an alias as null.
    fn alias(&mut self, anchor: usize, at: Marker) -> Result<Value, Problem> {
        let Some(anchored) = self.anchors.get(&anchor) else {
            return match self.schema {
                Schema::Kubectl => Err(Problem::error(
                    "an alias inside the node its anchor names: the value would contain itself",
                )
                .at(location(&at))
                .hint("kubectl refuses it too; write the value out")),
                Schema::Core => {
                    self.count(1, 0, &at)?;
                    Ok(Value::Null)
                }
            };
        };
        let (values, bytes) = (anchored.values, anchored.bytes);
        self.copy(values, bytes, &at)?;
        Ok(self.anchors[&anchor].value.clone())
    }

    /// Values and text the stream writes out.
    fn count(&mut self, values: usize, bytes: usize, at: &Marker) -> Result<(), Problem> {
        self.values += values;
        self.bytes += bytes;
        self.within_limits(at)
    }

    /// Copies made for aliases: they may add at most as much as the text writes out, plus
    /// a little (`ALIAS_ALLOWANCE`), so what a stream costs stays a multiple of its text.
    fn copy(&mut self, values: usize, bytes: usize, at: &Marker) -> Result<(), Problem> {
        self.copied_values += values;
        self.copied_bytes += bytes;
        self.values += values;
        self.bytes += bytes;
        let (own_values, own_bytes) = (
            self.values - self.copied_values,
            self.bytes - self.copied_bytes,
        );
        if self.copied_values > own_values + ALIAS_ALLOWANCE.0
            || self.copied_bytes > own_bytes + ALIAS_ALLOWANCE.1
        {
            return Err(Problem::error(
                "its aliases copy more than the stream writes out (an alias bomb?)",
            )
            .at(location(at))
            .hint("write the repeated parts out, or use fewer aliases"));
        }
        self.within_limits(at)
    }

    fn within_limits(&self, at: &Marker) -> Result<(), Problem> {
        let Some(limit) = self
            .limits
            .exceeded(self.values, self.bytes, self.text.len())
        else {
            return Ok(());
        };
        let problem = if self.copied_values > 0 {
            Problem::error(format!("with its aliases the stream holds {limit}"))
        } else {
            Problem::error(format!("the stream holds {limit}"))
        };
        Err(problem
            .hint("split it into smaller streams")
            .at(location(at)))
    }

    fn sequence(&mut self, depth: usize) -> Result<Value, Problem> {
        let mut items = Vec::new();
        loop {
            let (event, at) = self.next()?;
            if event == Event::SequenceEnd {
                let place = Place {
                    depth,
                    key: false,
                    at,
                };
                self.observer.seen(Seen::SequenceEnd, place)?;
                items.shrink_to_fit();
                return Ok(Value::Sequence(items));
            }
            items.push(self.node(event, at, depth + 1, false)?);
        }
    }

    /// A mapping. A key written twice is an error (YAML forbids it, and readers disagree on
    /// which wins). For kubectl, keys become JSON keys, and `<<` merges go-yaml v2's way:
    /// in order, each assignment over the last, a list's mappings last to first.
    fn mapping(&mut self, depth: usize) -> Result<Value, Problem> {
        let mut map = Mapping::new();
        // Keys written out, once a merge made "already there" ambiguous.
        let mut written: Option<HashSet<String>> = None;
        loop {
            let (event, at) = self.next()?;
            if event == Event::MappingEnd {
                let place = Place {
                    depth,
                    key: false,
                    at,
                };
                self.observer.seen(Seen::MappingEnd, place)?;
                map.shrink_to_fit();
                return Ok(Value::Mapping(map));
            }
            let merge = self.schema == Schema::Kubectl
                && matches!(&event, Event::Scalar(t, yaml_rust2::scanner::TScalarStyle::Plain, _, None) if t == "<<");
            let key = self.node(event, at, depth + 1, true)?;
            let (event, value_at) = self.next()?;
            let value = self.node(event, value_at, depth + 1, false)?;
            if merge {
                // Every key so far was written out; from here on, merged ones are not.
                written.get_or_insert_with(|| {
                    map.keys()
                        .filter_map(|k| k.as_str().map(String::from))
                        .collect()
                });
                merge_into(&mut map, value).map_err(|m| Problem::error(m).at(location(&at)))?;
                continue;
            }
            let key = match self.schema {
                Schema::Kubectl => Value::String(
                    kubectl_key(&key).map_err(|m| Problem::error(m).at(location(&at)))?,
                ),
                Schema::Core => key,
            };
            let twice = match &mut written {
                None => map.contains_key(&key),
                Some(written) => !written.insert(key.as_str().unwrap_or_default().to_string()),
            };
            if twice {
                let shown = match &key {
                    Value::String(s) => s.clone(),
                    other => format!("{other:?}"),
                };
                return Err(Problem::error(format!("the key `{shown}` is in this mapping twice"))
                    .at(location(&at))
                    .hint("keep one: YAML forbids a key twice, and readers disagree on which one counts"));
            }
            map.insert(key, value);
        }
    }
}

/// go-yaml v2's merge: a mapping's entries over the ones there, a list's mappings from the
/// last to the first (so the first wins).
fn merge_into(map: &mut Mapping, value: Value) -> Result<(), String> {
    let refuse = || "a merge key `<<` takes a mapping or a list of mappings".to_string();
    match value {
        Value::Mapping(m) => {
            for (k, v) in m {
                map.insert(k, v);
            }
            Ok(())
        }
        Value::Sequence(items) => {
            if !items.iter().all(Value::is_mapping) {
                return Err(refuse());
            }
            for item in items.into_iter().rev() {
                merge_into(map, item)?;
            }
            Ok(())
        }
        _ => Err(refuse()),
    }
}

fn too_deep(limit: usize, at: &Marker) -> Problem {
    Problem::error(format!("the document nests deeper than {limit} levels"))
        .at(location(at))
        .hint("no Kubernetes object nests this deep; flatten the document")
}

fn unexpected(at: Marker) -> Problem {
    Problem::error("not YAML: unexpected structure").at(location(&at))
}

/// yaml-rust2 counts lines from 1 and columns from 0.
pub fn location(m: &Marker) -> Location {
    Location::new(m.line(), m.col() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str, schema: Schema) -> Result<Vec<Document>, Problem> {
        let mut loader = Loader::new(text, schema, Limits::STREAM);
        let mut docs = Vec::new();
        while let Some(d) = loader.next_document()? {
            docs.push(d);
        }
        Ok(docs)
    }

    #[test]
    fn documents_know_their_first_line() {
        let docs = all("a: 1\n---\nb: 2\nc: 3\n--- \n---\nd: 4\n", Schema::Kubectl).unwrap();
        let lines: Vec<usize> = docs
            .iter()
            .filter(|d| !d.value.is_null())
            .map(|d| d.line)
            .collect();
        assert_eq!(lines, [1, 3, 7]);
        assert_eq!(
            docs.len(),
            4,
            "the empty document between the two `---` too"
        );
    }

    #[test]
    fn merge_keys_as_go_yaml_v2() {
        let docs = all(
            "base: &b {a: 1, b: 2}\nm:\n  <<: *b\n  b: 3\nl:\n  <<: [{c: 1}, {c: 2, d: 4}]\n",
            Schema::Kubectl,
        )
        .unwrap();
        let v = &docs[0].value;
        assert_eq!(v["m"]["a"], 1);
        assert_eq!(v["m"]["b"], 3);
        assert_eq!(v["l"]["c"], 1);
        assert_eq!(v["l"]["d"], 4);
    }

    #[test]
    fn keys_twice_are_refused_even_when_kubectl_spells_them_alike() {
        for text in ["a: 1\na: 2\n", "yes: 1\ntrue: 2\n", "0644: a\n420: b\n"] {
            let e = all(text, Schema::Kubectl).unwrap_err();
            assert!(e.message.contains("twice"), "{text}: {e:?}");
            assert_eq!(e.at.unwrap().line, 2, "{text}");
        }
    }

    #[test]
    fn an_alias_costs_what_it_copies() {
        let limits = Limits {
            values: 1_000,
            free_values: 1_000,
            ..Limits::STREAM
        };
        let items = vec!["x"; 100].join(", ");
        let aliases = ["*a"; 10].join(", ");
        let text = format!("a: &a [{items}]\nb: [{aliases}]\n");
        let e = Loader::new(&text, Schema::Kubectl, limits)
            .next_document()
            .unwrap_err();
        assert!(
            e.message
                .contains("with its aliases the stream holds more than 1000 values"),
            "{e:?}"
        );
        // Without the aliases the same values are fine.
        let text = format!("a: &a [{items}]\nb: [*a]\n");
        assert!(Loader::new(&text, Schema::Kubectl, limits)
            .next_document()
            .is_ok());
    }

    /// A small text that copies much more than it writes is refused at once, long before
    /// the limit on values: what it may cost is a multiple of its own size.
    #[test]
    fn aliases_may_not_copy_much_more_than_the_text_writes() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let p = i - 1;
            let row = vec![format!("*a{p}"); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{row}]\n"));
        }
        let e = Loader::new(&text, Schema::Kubectl, Limits::STREAM)
            .next_document()
            .unwrap_err();
        assert!(
            e.message.contains("copy more than the stream writes out"),
            "{e:?}"
        );
        assert_eq!(
            e.at.unwrap().line,
            5,
            "refused once the copies pass 100,000 values"
        );
    }

    #[test]
    fn an_alias_inside_its_own_anchor_is_refused_for_kubectl_and_null_for_the_function() {
        let text = "a: &x {b: *x}\n";
        let e = all(text, Schema::Kubectl).unwrap_err();
        assert!(e.message.contains("would contain itself"), "{e:?}");
        let docs = all(text, Schema::Core).unwrap();
        assert!(docs[0].value["a"]["b"].is_null());
    }

    #[test]
    fn flow_nesting_past_the_scanners_own_limit_is_too_deep_too() {
        let text = format!("a: {}\n", "[".repeat(100_000));
        let e = all(&text, Schema::Kubectl).unwrap_err();
        assert!(e.message.contains("nests deeper than 100 levels"), "{e:?}");
    }

    #[test]
    fn depth_is_refused_at_the_limit_without_reading_further() {
        let text = format!("a: {}{}\n", "[".repeat(200), "]".repeat(200));
        let e = all(&text, Schema::Kubectl).unwrap_err();
        assert!(e.message.contains("nests deeper than 100 levels"), "{e:?}");
        assert_eq!(e.at.unwrap().column, 104);
    }
}
