//! The wire format of a KRM function: a `ResourceList` read from text, and written back.
//!
//! Items the function passes on are copied as the text they came in, not re-serialized: a
//! value such as `defaultMode: 0644` means 420 to Kubernetes (YAML 1.1) and would come back
//! as `644` from a YAML 1.2 round trip, and kpt writes what it gets. So the items of a block
//! sequence are located with yaml-rust2's event positions and each one's text is kept; only
//! when that is not possible (a flow or JSON list, anchors) is an item written from its value,
//! which for JSON loses nothing.

use crate::render::yaml_out::to_yaml;
use serde_yaml::{Mapping, Value};
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::Marker;

/// A `ResourceList` as read.
#[derive(Debug)]
pub struct ResourceList {
    pub api_version: String,
    pub items: Vec<Item>,
    pub function_config: Option<Value>,
    /// The column of the items' `-`, so written items line up with copied ones.
    dash_column: usize,
}

/// One item: its value, and where possible its text as it came.
#[derive(Debug)]
pub struct Item {
    pub value: Value,
    text: Option<Verbatim>,
}

/// An item's text from its first key to the end of its last line, lines after the first
/// with their original indentation; the first key's column.
#[derive(Debug)]
struct Verbatim {
    text: String,
    column: usize,
}

/// Reads a `ResourceList`; the error says what is wrong in words.
pub fn parse(text: &str) -> Result<ResourceList, String> {
    let root: Value =
        serde_yaml::from_str(text).map_err(|e| format!("cannot read the ResourceList: {e}"))?;
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
    let spans = item_spans(text).filter(|s| s.items.len() == values.len());
    let dash_column = spans.as_ref().map_or(0, |s| s.dash_column);
    let mut texts: Vec<Option<Verbatim>> = match spans {
        Some(s) => s.items,
        None => values.iter().map(|_| None).collect(),
    };
    let items = values
        .into_iter()
        .zip(texts.iter_mut())
        .map(|(value, text)| Item {
            value,
            text: text.take(),
        })
        .collect();
    Ok(ResourceList {
        api_version,
        items,
        function_config: root.remove("functionConfig"),
        dash_column,
    })
}

fn str_at<'a>(m: &'a Mapping, key: &str) -> Option<&'a str> {
    m.get(key).and_then(Value::as_str)
}

/// Where the items of a block `items:` list are, item by item.
struct Spans {
    dash_column: usize,
    items: Vec<Option<Verbatim>>,
}

/// Finds each top-level item's text in a block `items:` list; `None` when the list is not
/// in block style, or the document uses anchors (a copied alias could lose its anchor).
fn item_spans(text: &str) -> Option<Spans> {
    let mut parser = Parser::new_from_str(text);
    let mut next = || parser.next_token().ok();
    let mut depth = 0usize;
    let mut in_items = false;
    let mut key_expected = true;
    let mut spans = Spans {
        dash_column: 0,
        items: Vec::new(),
    };
    let mut lines = Lines::new(text);
    loop {
        let (event, _) = next()?;
        match event {
            Event::StreamEnd => return Some(spans),
            Event::Alias(_) => return None,
            Event::MappingStart(anchor, _) | Event::SequenceStart(anchor, _) if anchor > 0 => {
                return None
            }
            Event::Scalar(_, _, anchor, _) if anchor > 0 => return None,
            // The root mapping's keys alternate with their values.
            Event::Scalar(ref key, ..) if depth == 1 && key_expected => {
                in_items = key == "items";
                key_expected = false;
            }
            Event::SequenceStart(..) if depth == 1 && in_items => {
                items(&mut next, &mut lines, &mut spans)?;
                key_expected = true;
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => depth += 1,
            Event::MappingEnd | Event::SequenceEnd => {
                depth = depth.saturating_sub(1);
                key_expected = depth == 1;
            }
            Event::Scalar(..) if depth == 1 => key_expected = true,
            _ => {}
        }
    }
}

/// The items of the list whose start was just read, up to its end. An item's text starts
/// at its first key (yaml-rust2 places a scalar's event at its first character, but a
/// block collection's after its first key) and ends where its mapping ends, the start of
/// the next item's line.
fn items(
    next: &mut impl FnMut() -> Option<(Event, Marker)>,
    lines: &mut Lines<'_>,
    spans: &mut Spans,
) -> Option<()> {
    loop {
        match next()?.0 {
            Event::SequenceEnd => return Some(()),
            Event::MappingStart(0, _) => {}
            // A scalar or list is not a resource; and a list of them is not worth copying.
            _ => return None,
        }
        let (first, start) = next()?;
        if !matches!(first, Event::Scalar(_, _, 0, _)) {
            return None;
        }
        let mut depth = 1usize;
        let end = loop {
            let (e, at) = next()?;
            match e {
                Event::Alias(_) => return None,
                Event::MappingStart(a, _) | Event::SequenceStart(a, _) if a > 0 => return None,
                Event::Scalar(_, _, a, _) if a > 0 => return None,
                Event::MappingStart(..) | Event::SequenceStart(..) => depth += 1,
                Event::MappingEnd | Event::SequenceEnd => {
                    depth -= 1;
                    if depth == 0 {
                        break at;
                    }
                }
                _ => {}
            }
        };
        let from = lines.byte_at(&start)?;
        let dash = dash_column(lines.text, from)?;
        if spans.items.is_empty() {
            spans.dash_column = dash;
        } else if dash != spans.dash_column {
            return None;
        }
        let to = lines.byte_at(&end)?;
        let text = lines.text.get(from..to.max(from))?;
        // A flow mapping (`- {a: 1}`) could span lines at any indentation: not copied.
        if lines.text[..from].trim_end().ends_with('{') {
            spans.items.push(None);
            continue;
        }
        spans.items.push(Some(Verbatim {
            text: trim_tail(text),
            column: start.col(),
        }));
    }
}

/// The column of the `-` that starts the item whose first key is at byte `key`: on the
/// key's line, or the nearest line above that starts with `-` (after a comment line).
fn dash_column(text: &str, key: usize) -> Option<usize> {
    let line_start = text[..key].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..key];
    if let Some(i) = before.rfind('-') {
        if before[..i].chars().all(|c| c == ' ') {
            return Some(i);
        }
    }
    let above = &text[..line_start];
    for line in above.lines().rev() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('-') {
            return Some(line.len() - trimmed.len());
        }
        if !(trimmed.is_empty() || trimmed.starts_with('#')) {
            return None;
        }
    }
    None
}

/// The text up to its last line with content (not a blank or comment line), with a newline.
fn trim_tail(text: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    while lines.last().is_some_and(|l| {
        l.trim().is_empty() || (lines.len() > 1 && l.trim_start().starts_with('#'))
    }) {
        lines.pop();
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// Byte offsets of event positions, found by walking the text forward (positions come in
/// order), so a large list costs no table of every line.
struct Lines<'a> {
    text: &'a str,
    line: usize,
    line_start: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Lines {
            text,
            line: 1,
            line_start: 0,
        }
    }

    /// The byte offset of a position (line from 1, column in characters from 0).
    fn byte_at(&mut self, at: &Marker) -> Option<usize> {
        if at.line() < self.line {
            return None;
        }
        while self.line < at.line() {
            let rest = self.text.get(self.line_start..)?;
            self.line_start += rest.find('\n')? + 1;
            self.line += 1;
        }
        let line = self.text.get(self.line_start..)?;
        Some(match line.char_indices().nth(at.col()) {
            Some((i, _)) => self.line_start + i,
            None => self.text.len(),
        })
    }
}

/// What goes into the output's `items`.
pub enum Out<'a> {
    /// An item as it came.
    Kept(&'a Item),
    /// A new item, written from its value.
    New(&'a Value),
}

/// Writes a `ResourceList` with `items` and `results`, in block style.
pub fn write(
    api_version: &str,
    dash_column: usize,
    items: &[Out<'_>],
    results: &[Value],
) -> String {
    let mut out = format!("apiVersion: {api_version}\nkind: ResourceList\n");
    if items.is_empty() {
        out.push_str("items: []\n");
    } else {
        out.push_str("items:\n");
    }
    for item in items {
        match item {
            Out::Kept(Item { text: Some(v), .. }) => {
                push_dash(&mut out, dash_column, v.column);
                out.push_str(&v.text);
            }
            Out::Kept(Item { value, .. }) => push_value(&mut out, dash_column, value),
            Out::New(value) => push_value(&mut out, dash_column, value),
        }
    }
    if !results.is_empty() {
        let mut m = Mapping::new();
        m.insert("results".into(), Value::Sequence(results.to_vec()));
        out.push_str(&to_yaml(&Value::Mapping(m)));
    }
    out
}

/// An item written from its value, its lines under the `-`.
fn push_value(out: &mut String, dash_column: usize, value: &Value) {
    push_dash(out, dash_column, dash_column + 2);
    let pad = " ".repeat(dash_column + 2);
    for (i, line) in to_yaml(value).lines().enumerate() {
        if i > 0 && !line.is_empty() {
            out.push_str(&pad);
        }
        out.push_str(line);
        out.push('\n');
    }
}

fn push_dash(out: &mut String, dash: usize, key: usize) {
    out.push_str(&" ".repeat(dash));
    out.push('-');
    out.push_str(&" ".repeat(key.saturating_sub(dash + 1).max(1)));
}

impl ResourceList {
    pub fn dash_column(&self) -> usize {
        self.dash_column
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INPUT: &str = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- # top comment\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: cm1 # trailing\n    annotations:\n      config.kubernetes.io/index: '0'\n  data:\n    mode: 0644\n    text: |\n      é line\n\n      after a blank\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: cm2}\nfunctionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n";

    #[test]
    fn items_are_copied_as_they_came() {
        let list = parse(INPUT).unwrap();
        assert_eq!(list.items.len(), 2);
        let out = write(
            &list.api_version,
            list.dash_column(),
            &list.items.iter().map(Out::Kept).collect::<Vec<_>>(),
            &[],
        );
        assert!(out.contains("    mode: 0644\n"), "{out}");
        assert!(
            out.contains("      é line\n\n      after a blank\n"),
            "{out}"
        );
        assert!(
            out.contains("- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: cm2}\n"),
            "{out}"
        );
        let again: Value = serde_yaml::from_str(&out).unwrap();
        let before: Value = serde_yaml::from_str(INPUT).unwrap();
        assert_eq!(again["items"], before["items"]);
    }

    #[test]
    fn indented_lists_keep_their_column_and_new_items_line_up() {
        let input = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n  -   apiVersion: v1\n      kind: ConfigMap\n      metadata:\n        name: a\n";
        let list = parse(input).unwrap();
        let new: Value =
            serde_yaml::from_str("apiVersion: v1\nkind: Secret\nmetadata:\n  name: b\n").unwrap();
        let out = write(
            &list.api_version,
            list.dash_column(),
            &[Out::Kept(&list.items[0]), Out::New(&new)],
            &[],
        );
        let read: Value = serde_yaml::from_str(&out).unwrap();
        assert_eq!(read["items"][0]["metadata"]["name"], "a", "{out}");
        assert_eq!(read["items"][1]["metadata"]["name"], "b", "{out}");
    }

    #[test]
    fn json_lists_are_written_from_their_values() {
        let input = r#"{"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}]}"#;
        let list = parse(input).unwrap();
        let out = write(&list.api_version, 0, &[Out::Kept(&list.items[0])], &[]);
        assert!(
            out.contains("items:\n- apiVersion: v1\n  kind: ConfigMap\n"),
            "{out}"
        );
    }

    #[test]
    fn what_is_not_a_resource_list_is_refused_in_words() {
        assert!(parse("a: b\n").unwrap_err().contains("not a ResourceList"));
        assert!(parse("[1\n").unwrap_err().contains("cannot read"));
    }
}
