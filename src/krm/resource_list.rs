//! The wire format of a KRM function: a `ResourceList` read from text, and written back.
//!
//! kpt re-reads what the function prints and writes each item to its file, so an item the
//! function passes on must come back as the very text kpt sent: then kpt writes the same
//! bytes as after a function that changes nothing. Re-serializing would not do: a YAML 1.2
//! writer turns `defaultMode: 0644` (420 to Kubernetes) into a string, drops anchors,
//! comments and flow style. So the output is the input text, edited: the stack's new
//! items go in before the first item, the items it replaces are cut out (each from its `-`
//! to the next item's), the results go at the end; every other byte is copied.
//!
//! The text is read once, within the limits of `crate::yaml`, into values (the functions
//! of this crate read ids and labels from them) while an observer notes where the items
//! are. A list kpt would not write (JSON, a flow list of items) is written from its values.

use crate::diagnostic::Problem;
use crate::render::yaml_out::to_yaml;
use crate::yaml::{self, Limits, Loader, Observer, Place, Positions, Schema, Seen};
use serde_yaml::{Mapping, Value};
use std::collections::HashMap;
use std::ops::Range;

/// A `ResourceList` as read.
#[derive(Debug)]
pub struct ResourceList<'t> {
    pub api_version: String,
    pub items: Vec<Item>,
    pub function_config: Option<Value>,
    form: Form<'t>,
}

/// One item's value.
#[derive(Debug)]
pub struct Item {
    pub value: Value,
}

/// How the list is written back.
#[derive(Debug)]
enum Form<'t> {
    /// Edited in place: every byte not edited is copied.
    Text(Layout<'t>),
    /// Written from the values (JSON, or items in a flow list).
    Values,
}

/// Where the parts of a block `ResourceList` are in its text.
#[derive(Debug)]
struct Layout<'t> {
    text: &'t str,
    /// The column of the root mapping's keys.
    root_column: usize,
    /// Each item from the start of its `-` line to the start of the next item's.
    items: Vec<Range<usize>>,
    /// Where new items go (with the text they replace: an empty list's `[]`), and what
    /// comes before them there.
    insert: Range<usize>,
    before: Before,
    /// The column of the items' `-`.
    dash_column: usize,
    /// A `results` entry already there (replaced by this run's).
    results: Option<Range<usize>>,
    /// Where the root mapping ends: results go here.
    root_end: usize,
    /// Pairs (user, definer): an alias in item `user` (`None` outside the items) copies an
    /// anchor of another item `definer`; cutting the definer out would break the user.
    aliases: Vec<(Option<usize>, usize)>,
}

/// What new items need before them where they go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Before {
    /// Nothing: they go at the start of the first item's line.
    Nothing,
    /// A line break: after `items:` with no list, or in place of `[]`.
    LineBreak,
    /// The key itself: the list has no `items`.
    Key,
}

/// Reads a `ResourceList`; the error says what is wrong in words.
pub fn parse(text: &str) -> Result<ResourceList<'_>, String> {
    let shown = |p: Problem| match p.at {
        Some(at) => format!(
            "cannot read the ResourceList at line {}, column {}: {}",
            at.line, at.column, p.message
        ),
        None => format!("cannot read the ResourceList: {}", p.message),
    };
    let (root, form) = if yaml::is_json(text) {
        let mut docs = yaml::documents(text, Schema::Core, Limits::STREAM).map_err(shown)?;
        if docs.len() != 1 {
            return Err("the input holds more than one JSON value; give one ResourceList".into());
        }
        (docs.remove(0).value, Form::Values)
    } else {
        let mut loader = Loader::observed(text, Schema::Core, Limits::STREAM, Outline::new(text));
        let root = loader
            .next_document()
            .map_err(shown)?
            .ok_or("the input is empty; run this as a KRM function")?;
        if loader.next_document().map_err(shown)?.is_some() {
            return Err(
                "the input holds more than one YAML document; give one ResourceList".into(),
            );
        }
        let outline = loader.into_observer();
        let form = match outline.layout() {
            Some(layout) => Form::Text(layout),
            None => Form::Values,
        };
        (root.value, form)
    };
    let Value::Mapping(mut root) = root else {
        return Err("the input is not a ResourceList: not a YAML mapping".into());
    };
    let api_version = str_at(&root, "apiVersion").unwrap_or_default().to_string();
    let kind = str_at(&root, "kind").unwrap_or_default();
    if kind != "ResourceList" || !api_version.starts_with("config.kubernetes.io/") {
        return Err(format!(
            "the input is not a ResourceList (apiVersion `{api_version}`, kind `{kind}`); run this as a KRM function, e.g. `kpt fn eval DIR --exec \"sg-executor-gen fn\" --fn-config CONFIG`"
        ));
    }
    let values = match root.remove("items") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Sequence(items)) => items,
        Some(_) => return Err("`items` of the ResourceList is not a list".into()),
    };
    if let Some(i) = values.iter().position(|v| !v.is_mapping()) {
        return Err(format!(
            "item {i} of the ResourceList is not an object; give the function Kubernetes objects"
        ));
    }
    if let Form::Text(layout) = &form {
        if layout.items.len() != values.len() {
            return Err(
                "internal error: the items were not all found in the text; please file an issue"
                    .into(),
            );
        }
    }
    Ok(ResourceList {
        api_version,
        items: values.into_iter().map(|value| Item { value }).collect(),
        function_config: root.remove("functionConfig"),
        form,
    })
}

fn str_at<'a>(m: &'a Mapping, key: &str) -> Option<&'a str> {
    m.get(key).and_then(Value::as_str)
}

impl ResourceList<'_> {
    /// The list with the items `keep` says, then `new` ones (written from their values),
    /// and `results`. An error says why the kept items cannot be passed on unchanged.
    pub fn write(&self, keep: &[bool], new: &[Value], results: &[Value]) -> Result<String, String> {
        match &self.form {
            Form::Text(layout) => layout.write(keep, new, results),
            Form::Values => {
                let kept = self.items.iter().zip(keep).filter(|(_, k)| **k);
                let items: Vec<&Value> = kept.map(|(i, _)| &i.value).chain(new).collect();
                Ok(from_values(&self.api_version, &items, results))
            }
        }
    }
}

impl Layout<'_> {
    fn write(&self, keep: &[bool], new: &[Value], results: &[Value]) -> Result<String, String> {
        for &(user, definer) in &self.aliases {
            let user_kept = user.is_none_or(|u| keep[u]);
            if user_kept && !keep[definer] {
                let user = match user {
                    Some(u) => format!("item {u}"),
                    None => "the ResourceList".to_string(),
                };
                return Err(format!(
                    "{user} uses an anchor of item {definer} through an alias, and item {definer} is this stack's, to be replaced; write the aliased part out in {user}"
                ));
            }
        }
        // (range, replacement), in the order of the text.
        let mut edits: Vec<(Range<usize>, String)> = Vec::new();
        if !new.is_empty() {
            let mut added = String::new();
            match self.before {
                Before::Nothing => {}
                Before::LineBreak => added.push('\n'),
                Before::Key => {
                    if !self.text[..self.insert.start].ends_with('\n') && self.insert.start > 0 {
                        added.push('\n');
                    }
                    added.push_str(&" ".repeat(self.root_column));
                    added.push_str("items:\n");
                }
            }
            for value in new {
                push_item(&mut added, self.dash_column, value);
            }
            edits.push((self.insert.clone(), added));
        }
        for (range, kept) in self.items.iter().zip(keep) {
            if !kept {
                edits.push((range.clone(), String::new()));
            }
        }
        if let Some(range) = &self.results {
            edits.push((range.clone(), String::new()));
        }
        if !results.is_empty() {
            let mut m = Mapping::new();
            m.insert("results".into(), Value::Sequence(results.to_vec()));
            let mut text = String::new();
            let at = self.root_end;
            if !self.text[..at].ends_with('\n') && at > 0 {
                text.push('\n');
            }
            let pad = " ".repeat(self.root_column);
            for line in to_yaml(&Value::Mapping(m)).lines() {
                if !line.is_empty() {
                    text.push_str(&pad);
                }
                text.push_str(line);
                text.push('\n');
            }
            edits.push((at..at, text));
        }
        edits.sort_by_key(|(r, _)| (r.start, r.end));
        let mut out = String::with_capacity(self.text.len() + 4096);
        let mut from = 0;
        for (range, text) in edits {
            if range.start < from {
                return Err(
                    "internal error: overlapping edits of the ResourceList; please file an issue"
                        .into(),
                );
            }
            out.push_str(&self.text[from..range.start]);
            out.push_str(&text);
            from = range.end;
        }
        out.push_str(&self.text[from..]);
        Ok(out)
    }
}

/// An item written from its value, its lines under the `-`.
fn push_item(out: &mut String, dash_column: usize, value: &Value) {
    out.push_str(&" ".repeat(dash_column));
    out.push_str("- ");
    let pad = " ".repeat(dash_column + 2);
    for (i, line) in to_yaml(value).lines().enumerate() {
        if i > 0 && !line.is_empty() {
            out.push_str(&pad);
        }
        out.push_str(line);
        out.push('\n');
    }
}

/// A `ResourceList` written from values, in block style.
fn from_values(api_version: &str, items: &[&Value], results: &[Value]) -> String {
    let mut out = format!("apiVersion: {api_version}\nkind: ResourceList\n");
    if items.is_empty() {
        out.push_str("items: []\n");
    } else {
        out.push_str("items:\n");
    }
    for item in items {
        push_item(&mut out, 0, item);
    }
    if !results.is_empty() {
        let mut m = Mapping::new();
        m.insert("results".into(), Value::Sequence(results.to_vec()));
        out.push_str(&to_yaml(&Value::Mapping(m)));
    }
    out
}

/// A `ResourceList` with only results, for input that could not be read.
pub fn results_only(results: &[Value]) -> String {
    from_values("config.kubernetes.io/v1", &[], results)
}

/// Notes where the root's keys, the items and the anchors are, as the loader reads.
struct Outline<'t> {
    text: &'t str,
    positions: Positions<'t>,
    failed: bool,
    /// The root key being read, and whether its value is being read.
    key: Option<String>,
    root_column: Option<usize>,
    /// Byte of each root key, in order, with its name.
    root_keys: Vec<(usize, String)>,
    /// The items' list is open (its value is being read).
    in_items: bool,
    /// The items' value was a scalar (`items:` or `items: ~`), or absent.
    items_scalar: bool,
    /// Byte where each item's node ends (its end mark), in order.
    item_ends: Vec<usize>,
    items_started: usize,
    items_end: Option<usize>,
    root_end: Option<usize>,
    /// Anchor id → the item that defines it.
    anchors: HashMap<usize, Option<usize>>,
    aliases: Vec<(Option<usize>, usize)>,
}

impl<'t> Outline<'t> {
    fn new(text: &'t str) -> Self {
        Outline {
            text,
            positions: Positions::new(text),
            failed: false,
            key: None,
            root_column: None,
            root_keys: Vec::new(),
            in_items: false,
            items_scalar: false,
            item_ends: Vec::new(),
            items_started: 0,
            items_end: None,
            root_end: None,
            anchors: HashMap::new(),
            aliases: Vec::new(),
        }
    }

    fn byte(&mut self, place: &Place) -> usize {
        match self.positions.byte_at(&place.at) {
            Some(b) => b,
            None => {
                self.failed = true;
                0
            }
        }
    }

    /// The item being read, if any.
    fn current_item(&self, place: &Place) -> Option<usize> {
        (self.in_items && place.depth >= 2).then(|| self.items_started.saturating_sub(1))
    }

    /// Where the parts are, once the whole list was read; `None` when the list is not laid
    /// out as kpt writes it (it is then written from its values).
    fn layout(self) -> Option<Layout<'t>> {
        let text = self.text;
        if self.failed || text.contains('\r') && text.replace("\r\n", "").contains('\r') {
            return None;
        }
        let root_column = self.root_column?;
        let root_end = self.root_end?;
        let key_end = |name: &str| {
            self.root_keys
                .iter()
                .find(|(_, k)| k == name)
                .map(|(b, _)| *b + name.len())
        };
        // After `items`: `:`, then blanks and comments, then the list or its value.
        let (insert, before, dash_column, items) = match key_end("items") {
            None => (root_end..root_end, Before::Key, root_column, Vec::new()),
            Some(end) => {
                let colon = skip_blanks(text, end);
                if !text[colon..].starts_with(':') {
                    return None;
                }
                let next = skip_blanks_and_comments(text, colon + 1);
                if self.items_scalar {
                    let at = colon + 1;
                    (at..at, Before::LineBreak, root_column, Vec::new())
                } else if text[next..].starts_with("[]") {
                    (next..next + 2, Before::LineBreak, root_column, Vec::new())
                } else if text[next..].starts_with('-') {
                    let dash_column = column_of(text, next);
                    let items = self.item_ranges(next, dash_column)?;
                    let line = line_start(text, next);
                    (line..line, Before::Nothing, dash_column, items)
                } else {
                    return None;
                }
            }
        };
        Some(Layout {
            text,
            root_column,
            results: self.results_range(root_end),
            items,
            insert,
            before,
            dash_column,
            root_end,
            aliases: self.aliases,
        })
    }

    /// Each item from the start of its `-` line to the start of the next one's.
    fn item_ranges(&self, first_dash: usize, dash_column: usize) -> Option<Vec<Range<usize>>> {
        let text = self.text;
        let end = self.items_end?;
        let mut starts = vec![line_start(text, first_dash)];
        for (i, &item_end) in self.item_ends.iter().enumerate() {
            if i + 1 == self.item_ends.len() {
                break;
            }
            // A block mapping ends at the next `-`; a flow one at its `}`.
            let mut at = item_end;
            if text[at..].starts_with('}') {
                at += 1;
            }
            let dash = skip_blanks_and_comments(text, at);
            if !text[dash..].starts_with('-') || column_of(text, dash) != dash_column {
                return None;
            }
            starts.push(line_start(text, dash));
        }
        // The last item runs to the start of the line the list's end is on.
        let last_end = if text[line_start(text, end)..end].trim().is_empty() {
            line_start(text, end)
        } else {
            end
        };
        if starts.len() != self.item_ends.len() {
            return None;
        }
        let mut ends: Vec<usize> = starts.iter().skip(1).copied().collect();
        ends.push(last_end);
        Some(starts.into_iter().zip(ends).map(|(s, e)| s..e).collect())
    }

    /// A `results` entry of the root, from its key's line to the next key's (or the end).
    fn results_range(&self, root_end: usize) -> Option<Range<usize>> {
        let i = self.root_keys.iter().position(|(_, k)| k == "results")?;
        let start = line_start(self.text, self.root_keys[i].0);
        let end = match self.root_keys.get(i + 1) {
            Some((b, _)) => line_start(self.text, *b),
            None => root_end,
        };
        Some(start..end)
    }
}

impl Observer for Outline<'_> {
    fn seen(&mut self, seen: Seen<'_>, place: Place) -> Result<(), Problem> {
        let item = self.current_item(&place);
        match seen {
            Seen::Scalar { text, .. } if place.depth == 1 && place.key => {
                let byte = self.byte(&place);
                self.root_column.get_or_insert(place.at.col());
                self.root_keys.push((byte, text.to_string()));
                self.key = Some(text.to_string());
            }
            Seen::SequenceStart { .. }
                if place.depth == 1 && self.key.as_deref() == Some("items") =>
            {
                self.in_items = true;
            }
            Seen::Scalar { .. } if place.depth == 1 && self.key.as_deref() == Some("items") => {
                self.items_scalar = true;
            }
            Seen::MappingStart { .. }
            | Seen::SequenceStart { .. }
            | Seen::Scalar { .. }
            | Seen::Alias { .. }
                if self.in_items && place.depth == 2 =>
            {
                self.items_started += 1;
            }
            Seen::MappingEnd if self.in_items && place.depth == 2 => {
                let byte = self.byte(&place);
                self.item_ends.push(byte);
            }
            Seen::SequenceEnd if self.in_items && place.depth == 1 => {
                self.items_end = Some(self.byte(&place));
                self.in_items = false;
            }
            Seen::MappingEnd if place.depth == 0 => self.root_end = Some(self.byte(&place)),
            _ => {}
        }
        let item = match seen {
            // An item's own start event belongs to it.
            Seen::MappingStart { .. } if self.in_items && place.depth == 2 => {
                Some(self.items_started - 1)
            }
            _ => item,
        };
        match seen {
            Seen::MappingStart { anchor }
            | Seen::SequenceStart { anchor }
            | Seen::Scalar { anchor, .. }
                if anchor > 0 =>
            {
                self.anchors.insert(anchor, item);
            }
            Seen::Alias { anchor } => {
                if let Some(&Some(definer)) = self.anchors.get(&anchor) {
                    if item != Some(definer) {
                        self.aliases.push((item, definer));
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

fn skip_blanks(text: &str, from: usize) -> usize {
    from + text[from..].len() - text[from..].trim_start_matches([' ', '\t']).len()
}

/// Past spaces, line breaks and `#` comments.
fn skip_blanks_and_comments(text: &str, mut at: usize) -> usize {
    loop {
        let rest = &text[at..];
        let trimmed = rest.trim_start_matches([' ', '\t', '\n', '\r']);
        at += rest.len() - trimmed.len();
        if trimmed.starts_with('#') {
            at += trimmed.find('\n').unwrap_or(trimmed.len());
        } else {
            return at;
        }
    }
}

fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

fn column_of(text: &str, at: usize) -> usize {
    text[line_start(text, at)..at].chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    const INPUT: &str = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- # top comment\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: cm1 # trailing\n    annotations:\n      config.kubernetes.io/index: '0'\n  data:\n    mode: 0644\n    text: |\n      é line\n\n      # not a comment\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: cm2}\n  anchor: &a [1, 2]\n  alias: *a\n  # foot comment\nfunctionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n";

    fn write(list: &ResourceList<'_>, keep: &[bool], new: &[Value]) -> String {
        list.write(keep, new, &[]).unwrap()
    }

    #[test]
    fn items_passed_on_are_the_text_as_it_came() {
        let list = parse(INPUT).unwrap();
        assert_eq!(list.items.len(), 2);
        assert_eq!(write(&list, &[true, true], &[]), INPUT);
        let first = INPUT.find("- # top").unwrap();
        let second = INPUT.find("- apiVersion").unwrap();
        let cut = write(&list, &[false, true], &[]);
        assert_eq!(cut, format!("{}{}", &INPUT[..first], &INPUT[second..]));
        let cut = write(&list, &[true, false], &[]);
        let config = INPUT.find("functionConfig").unwrap();
        assert_eq!(cut, format!("{}{}", &INPUT[..second], &INPUT[config..]));
    }

    #[test]
    fn new_items_go_first_at_the_items_column() {
        let input = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n  -   apiVersion: v1\n      kind: ConfigMap\n      metadata:\n        name: a\n";
        let list = parse(input).unwrap();
        let new: Value =
            serde_yaml::from_str("apiVersion: v1\nkind: Secret\nmetadata:\n  name: b\n").unwrap();
        let out = write(&list, &[true], &[new]);
        assert!(
            out.ends_with(&input[input.find("  -   apiVersion").unwrap()..]),
            "{out}"
        );
        let read: Value = serde_yaml::from_str(&out).unwrap();
        assert_eq!(read["items"][0]["metadata"]["name"], "b", "{out}");
        assert_eq!(read["items"][1]["metadata"]["name"], "a", "{out}");
    }

    #[test]
    fn an_empty_list_gets_its_first_items() {
        let new: Value = serde_yaml::from_str("kind: Secret\nmetadata: {name: b}\n").unwrap();
        for input in [
            "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig: {a: 1}\n",
            "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\nfunctionConfig: {a: 1}\n",
            "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nfunctionConfig: {a: 1}\n",
        ] {
            let list = parse(input).unwrap();
            let out = write(&list, &[], std::slice::from_ref(&new));
            let read: Value = serde_yaml::from_str(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
            assert_eq!(read["items"][0]["metadata"]["name"], "b", "{out}");
            assert_eq!(read["functionConfig"]["a"], 1, "{out}");
            assert_eq!(write(&list, &[], &[]), input);
        }
    }

    #[test]
    fn results_replace_any_there_and_go_at_the_end() {
        let input = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nresults:\n- message: old\nitems:\n- kind: A\n  metadata: {name: a}\n";
        let list = parse(input).unwrap();
        let mut r = Mapping::new();
        r.insert("message".into(), "new".into());
        let out = list.write(&[true], &[], &[Value::Mapping(r)]).unwrap();
        let read: Value = serde_yaml::from_str(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
        assert_eq!(read["results"][0]["message"], "new", "{out}");
        assert!(!out.contains("old"), "{out}");
    }

    #[test]
    fn an_alias_into_a_replaced_item_is_refused() {
        let input = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- kind: A\n  metadata: {name: a}\n  x: &shared [1]\n- kind: B\n  metadata: {name: b}\n  y: *shared\n";
        let list = parse(input).unwrap();
        assert!(list.write(&[true, true], &[], &[]).is_ok());
        assert!(list.write(&[true, false], &[], &[]).is_ok());
        let e = list.write(&[false, true], &[], &[]).unwrap_err();
        assert!(e.contains("item 1 uses an anchor of item 0"), "{e}");
    }

    #[test]
    fn json_lists_are_written_from_their_values() {
        let input = r#"{"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "x": "\ud83d\ude00"}}]}"#;
        let list = parse(input).unwrap();
        let out = list.write(&[true], &[], &[]).unwrap();
        assert!(
            out.contains("items:\n- apiVersion: v1\n  kind: ConfigMap\n"),
            "{out}"
        );
        assert!(out.contains("😀"), "{out}");
    }

    #[test]
    fn what_is_not_a_resource_list_is_refused_in_words() {
        assert!(parse("a: b\n").unwrap_err().contains("not a ResourceList"));
        assert!(parse("[1\n").unwrap_err().contains("cannot read"));
        let e = parse("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: [a]\n")
            .unwrap_err();
        assert!(
            e.contains("item 0 of the ResourceList is not an object"),
            "{e}"
        );
    }
}
