//! `--set`, `--set-string` and `--set-file` values, read as Helm's `strvals` reads them, so
//! a Helm user's command line means the same here: `a.b=c` nests, `a[0].b=c` indexes a list
//! (padding it with nulls, as Helm does), `a={x,y}` is a list, `,` separates pairs, `\`
//! takes the next character as it is (`a\.b=c` is the key `a.b`, `x=a\,b` the value `a,b`).
//! `--set` types its values like Helm: `true`/`false` (any case) are booleans, `null` deletes
//! the key, a whole number without a leading zero is an integer, and everything else (a
//! float too) is a string. `--set-string` keeps every value a string; `--set-file` reads each
//! value as the path of a file whose text becomes a string.
//!
//! Each pair becomes an `Assignment` that `apply` writes into the config's located tree, at
//! the column of the argument it came from, so a problem with the value names the flag.

use crate::config::source::{Key, Node, NodeValue, ScalarStyle, Segment};
use crate::diagnostic::{Location, Problem};

/// The largest list index Helm accepts (`MaxIndex`); beyond it a typo would fill memory.
pub const MAX_INDEX: usize = 65_536;
/// The deepest key Helm accepts (`MaxNestedNameLevel`).
const MAX_NESTING: usize = 30;

/// Which flag an argument came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetKind {
    /// `--set`: values typed as Helm types them.
    Typed,
    /// `--set-string`: every value a string.
    String,
    /// `--set-file`: every value a path, whose file's text is the string.
    File,
}

impl SetKind {
    pub fn flag(self) -> &'static str {
        match self {
            SetKind::Typed => "--set",
            SetKind::String => "--set-string",
            SetKind::File => "--set-file",
        }
    }
}

/// A value as written on the command line, before typing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// One value and the 1-based column where it starts.
    One(String, usize),
    /// `{a,b}`: the items and their columns.
    List(Vec<(String, usize)>),
}

/// One step of an assignment's key: a map key or a list index, with its column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub segment: Segment,
    pub column: usize,
}

/// One `KEY=VALUE` pair: where it goes and what was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub path: Vec<Step>,
    pub value: Written,
}

impl Assignment {
    /// The key as written in messages (`executor.env.FOO.value`, `queues[0].name`).
    pub fn key(&self) -> String {
        let segments: Vec<Segment> = self.path.iter().map(|s| s.segment.clone()).collect();
        crate::config::source::path_to_string(&segments)
    }
}

/// Why an argument cannot be read, and at which column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub column: usize,
    pub message: String,
    /// What to write instead, where the error says more than the syntax.
    pub hint: Option<String>,
}

/// The characters of an argument with their 1-based columns, read with Helm's `\` escapes.
struct Scanner {
    chars: Vec<char>,
    pos: usize,
}

impl Scanner {
    fn column(&self) -> usize {
        self.pos + 1
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    /// Reads up to (and consumes) the first unescaped stop character; `None` at the end.
    fn until(&mut self, stops: &[char]) -> (String, Option<char>) {
        let mut out = String::new();
        while let Some(c) = self.peek() {
            self.pos += 1;
            if stops.contains(&c) {
                return (out, Some(c));
            }
            if c == '\\' {
                if let Some(next) = self.peek() {
                    self.pos += 1;
                    out.push(next);
                }
                continue;
            }
            out.push(c);
        }
        (out, None)
    }

    fn error<T>(&self, column: usize, message: impl Into<String>) -> Result<T, SyntaxError> {
        Err(SyntaxError {
            column,
            message: message.into(),
            hint: None,
        })
    }

    fn error_hint<T>(
        &self,
        column: usize,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Result<T, SyntaxError> {
        Err(SyntaxError {
            column,
            message: message.into(),
            hint: Some(hint.into()),
        })
    }
}

/// Reads one argument of `--set` and friends into its pairs, in order.
pub fn parse(arg: &str) -> Result<Vec<Assignment>, SyntaxError> {
    let mut s = Scanner {
        chars: arg.chars().collect(),
        pos: 0,
    };
    let mut out = Vec::new();
    while s.peek().is_some() {
        out.push(pair(&mut s)?);
    }
    Ok(out)
}

/// One `KEY=VALUE`, and the `,` after it.
fn pair(s: &mut Scanner) -> Result<Assignment, SyntaxError> {
    let mut path = Vec::new();
    loop {
        let column = s.column();
        let (name, stop) = s.until(&['=', '[', ',', '.']);
        if name.is_empty() {
            return s.error_hint(
                column,
                "a key is empty",
                "write KEY=VALUE, e.g. executor.replicaCount=2",
            );
        }
        path.push(Step {
            segment: Segment::Key(name.clone()),
            column,
        });
        if path.len() > MAX_NESTING {
            return s.error(
                column,
                format!("the key is nested deeper than {MAX_NESTING} levels"),
            );
        }
        match stop {
            Some('=') => break,
            Some('.') => continue,
            Some('[') => {
                if indices(s, &mut path)? {
                    break;
                }
            }
            Some(',') | None => {
                return s.error_hint(
                    column,
                    format!("key `{name}` has no value"),
                    format!("write {name}=VALUE"),
                )
            }
            Some(_) => unreachable!("only stop characters end a key"),
        }
    }
    let value = value(s)?;
    Ok(Assignment { path, value })
}

/// `[i]`, `[i][j]`…, then `.` (more keys: false) or `=` (the value follows: true).
fn indices(s: &mut Scanner, path: &mut Vec<Step>) -> Result<bool, SyntaxError> {
    loop {
        let column = s.column();
        let (text, stop) = s.until(&[']']);
        if stop.is_none() {
            return s.error(column, "a list index has no closing `]`");
        }
        let index: i64 = match text.trim().parse() {
            Ok(i) => i,
            Err(_) => return s.error(column, format!("`{text}` is not a list index")),
        };
        if index < 0 {
            return s.error(column, format!("negative list index {index}"));
        }
        if index as u64 > MAX_INDEX as u64 {
            return s.error(column, format!("list index {index} is above {MAX_INDEX}"));
        }
        path.push(Step {
            segment: Segment::Index(index as usize),
            column: column - 1,
        });
        let after = s.column();
        match s.peek() {
            Some('[') => s.pos += 1,
            Some('.') => {
                s.pos += 1;
                return Ok(false);
            }
            Some('=') => {
                s.pos += 1;
                return Ok(true);
            }
            _ => {
                let (rest, _) = s.until(&['[', '.', '=', ',']);
                return s.error_hint(
                    after,
                    format!("unexpected `{rest}` after a list index"),
                    "write KEY[0]=VALUE or KEY[0].FIELD=VALUE",
                );
            }
        }
    }
}

/// The value after `=`: `{a,b}` or text up to the next unescaped `,`.
fn value(s: &mut Scanner) -> Result<Written, SyntaxError> {
    let column = s.column();
    if s.peek() == Some('{') {
        s.pos += 1;
        let mut items = Vec::new();
        loop {
            let at = s.column();
            let (item, stop) = s.until(&[',', '}']);
            match stop {
                Some(',') => items.push((item, at)),
                Some('}') => {
                    items.push((item, at));
                    if s.peek() == Some(',') {
                        s.pos += 1;
                    }
                    return Ok(Written::List(items));
                }
                _ => return s.error(column, "a list must end with `}`"),
            }
        }
    }
    let (text, _) = s.until(&[',']);
    Ok(Written::One(text, column))
}

/// A scalar as `--set` types it: `Some(node)`, or `None` for `null` (delete the key).
fn typed(text: &str, kind: SetKind, at: Location) -> Option<Node> {
    let scalar = |t: &str, style| Node {
        at,
        value: NodeValue::Scalar(t.to_string(), style),
    };
    if kind != SetKind::Typed {
        return Some(scalar(text, ScalarStyle::Quoted));
    }
    if text.eq_ignore_ascii_case("true") || text.eq_ignore_ascii_case("false") {
        return Some(scalar(&text.to_ascii_lowercase(), ScalarStyle::Plain));
    }
    if text.eq_ignore_ascii_case("null") {
        return None;
    }
    // Helm parses a whole number only when it does not start with 0 (so `0123` stays text).
    let int = text == "0" || (!text.starts_with('0') && text.parse::<i64>().is_ok());
    if int {
        let n: i64 = text.parse().unwrap_or_default();
        return Some(scalar(&n.to_string(), ScalarStyle::Plain));
    }
    Some(scalar(text, ScalarStyle::Quoted))
}

/// Writes one assignment into `root` (a mapping) as Helm's `ParseInto` does: maps on the
/// way are entered or created, a list is padded with nulls up to the index, `null` removes
/// a key, and the value replaces whatever stood there. Values come from `source`; a file
/// `--set-file` names is read by `read` (text, or why not). A key that would need to enter
/// a value that is not a mapping (or a list, for an index) is an error, as in Helm.
pub fn apply(
    root: &mut Node,
    assignment: &Assignment,
    kind: SetKind,
    source: u16,
    read: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<(), Problem> {
    let at = |column: usize| Location::new(1, column).in_source(source);
    let key = assignment.key();
    // The text of a value: as written, or for --set-file the text of the file it names.
    let mut text = |written: &str, column: usize| {
        if kind != SetKind::File {
            return Ok(written.to_string());
        }
        read(written).map_err(|why| {
            Problem::error(format!("cannot read `{written}`: {why}"))
                .at(at(column))
                .path(key.clone())
                .hint("give KEY=PATH with the path of a readable file")
        })
    };
    let value = match &assignment.value {
        Written::One(written, column) => typed(&text(written, *column)?, kind, at(*column)),
        Written::List(items) => {
            let mut nodes = Vec::with_capacity(items.len());
            for (written, column) in items {
                let item = typed(&text(written, *column)?, kind, at(*column));
                nodes.push(item.unwrap_or(Node {
                    at: at(*column),
                    value: NodeValue::Scalar("null".into(), ScalarStyle::Plain),
                }));
            }
            // The list starts at its `{`, just before the first item.
            let column = items.first().map_or(1, |(_, c)| c.saturating_sub(1).max(1));
            Some(Node {
                at: at(column),
                value: NodeValue::Seq(nodes),
            })
        }
    };
    let mut node = root;
    let (last, steps) = assignment
        .path
        .split_last()
        .expect("a parsed assignment has a key");
    for (depth, step) in steps.iter().enumerate() {
        let next = &assignment.path[depth + 1];
        let want_list = matches!(next.segment, Segment::Index(_));
        node = enter(node, step, want_list, at(next.column)).map_err(|found| {
            let so_far: Vec<Segment> = assignment.path[..=depth]
                .iter()
                .map(|s| s.segment.clone())
                .collect();
            let shape = if want_list { "a list" } else { "a mapping" };
            Problem::error(format!(
                "`{}` is {found}, not {shape}, so `{key}` cannot be set in it",
                crate::config::source::path_to_string(&so_far)
            ))
            .at(at(step.column))
            .path(key.clone())
            .hint("set the whole value instead, or remove it from the file first")
        })?;
    }
    put(node, last, value);
    Ok(())
}

/// What a node is, in words.
fn shape(node: &Node) -> &'static str {
    match &node.value {
        NodeValue::Scalar(..) => "a value",
        NodeValue::Seq(_) => "a list",
        NodeValue::Map(_) => "a mapping",
    }
}

/// One step down, creating the mapping or list the rest of the path needs. A null (or a
/// missing entry) becomes one; a list item of another shape is replaced, as Helm does with
/// indices written out of order; anything else is an error naming what stood there.
fn enter<'n>(
    node: &'n mut Node,
    step: &Step,
    want_list: bool,
    at: Location,
) -> Result<&'n mut Node, &'static str> {
    let empty = || Node {
        at,
        value: if want_list {
            NodeValue::Seq(Vec::new())
        } else {
            NodeValue::Map(Vec::new())
        },
    };
    let fits = |n: &Node| {
        matches!(
            (&n.value, want_list),
            (NodeValue::Seq(_), true) | (NodeValue::Map(_), false)
        )
    };
    let child: &mut Node = match (&step.segment, &mut node.value) {
        (Segment::Key(k), NodeValue::Map(entries)) => {
            let i = match entries.iter().position(|(key, _)| &key.name == k) {
                Some(i) => i,
                None => {
                    entries.push((
                        Key {
                            name: k.clone(),
                            at,
                        },
                        empty(),
                    ));
                    entries.len() - 1
                }
            };
            let child = &mut entries[i].1;
            if child.is_null() {
                *child = empty();
            }
            if !fits(child) {
                return Err(shape(child));
            }
            return Ok(child);
        }
        (Segment::Index(i), NodeValue::Seq(items)) => {
            pad(items, *i, at);
            &mut items[*i]
        }
        _ => unreachable!("the parent was entered with the shape its step needs"),
    };
    if !fits(child) {
        // Helm replaces an item of another shape when indices come out of order.
        *child = empty();
    }
    Ok(child)
}

fn pad(items: &mut Vec<Node>, index: usize, at: Location) {
    while items.len() <= index {
        items.push(Node {
            at,
            value: NodeValue::Scalar("null".into(), ScalarStyle::Plain),
        });
    }
}

/// Sets (or, for `None`, removes) the last step's entry.
fn put(node: &mut Node, last: &Step, value: Option<Node>) {
    match (&last.segment, &mut node.value) {
        (Segment::Key(k), NodeValue::Map(entries)) => {
            let existing = entries.iter().position(|(key, _)| &key.name == k);
            match (existing, value) {
                (Some(i), None) => {
                    entries.remove(i);
                }
                (None, None) => {}
                (Some(i), Some(v)) => {
                    entries[i].0.at = v.at;
                    entries[i].1 = v;
                }
                (None, Some(v)) => entries.push((
                    Key {
                        name: k.clone(),
                        at: v.at,
                    },
                    v,
                )),
            }
        }
        (Segment::Index(i), NodeValue::Seq(items)) => {
            let at = value.as_ref().map_or(node_at(items), |v| v.at);
            pad(items, *i, at);
            items[*i] = value.unwrap_or(Node {
                at,
                value: NodeValue::Scalar("null".into(), ScalarStyle::Plain),
            });
        }
        _ => unreachable!("the parent was entered with the shape its step needs"),
    }
}

fn node_at(items: &[Node]) -> Location {
    items.first().map_or(Location::new(1, 1), |n| n.at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::source::parse_document;

    /// The tree after applying `args` of one kind to `base`, as flow YAML for comparison.
    fn set(base: &str, kind: SetKind, args: &[&str]) -> Result<String, String> {
        let mut root = parse_document(base).unwrap().root;
        for arg in args {
            let parsed = parse(arg).map_err(|e| {
                let hint = e.hint.map(|h| format!("; {h}")).unwrap_or_default();
                format!("{}: {}{hint}", e.column, e.message)
            })?;
            for a in &parsed {
                apply(&mut root, a, kind, 1, &mut |p| Ok(format!("<{p}>")))
                    .map_err(|p| p.message)?;
            }
        }
        Ok(flow(&root))
    }

    fn flow(n: &Node) -> String {
        match &n.value {
            NodeValue::Scalar(s, ScalarStyle::Plain) => s.clone(),
            NodeValue::Scalar(s, ScalarStyle::Quoted) => format!("{s:?}"),
            NodeValue::Seq(items) => {
                format!(
                    "[{}]",
                    items.iter().map(flow).collect::<Vec<_>>().join(", ")
                )
            }
            NodeValue::Map(entries) => format!(
                "{{{}}}",
                entries
                    .iter()
                    .map(|(k, v)| format!("{}: {}", k.name, flow(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    #[test]
    fn values_are_typed_as_helm_types_them() {
        assert_eq!(
            set(
                "x: 1\n",
                SetKind::Typed,
                &["a=true,b=FALSE,c=10,d=010,e=1.5,f=0,g=-3,h=,i=text,j=9223372036854775808"]
            )
            .unwrap(),
            r#"{x: 1, a: true, b: false, c: 10, d: "010", e: "1.5", f: 0, g: -3, h: "", i: "text", j: "9223372036854775808"}"#
        );
        assert_eq!(
            set("x: 1\n", SetKind::String, &["a=true,c=10"]).unwrap(),
            r#"{x: 1, a: "true", c: "10"}"#
        );
    }

    #[test]
    fn null_deletes_a_key() {
        assert_eq!(
            set("a: {b: 1, c: 2}\n", SetKind::Typed, &["a.b=null"]).unwrap(),
            "{a: {c: 2}}"
        );
    }

    #[test]
    fn nested_keys_lists_and_indices() {
        assert_eq!(
            set(
                "queues: [{name: a, replicaCount: 1}]\n",
                SetKind::Typed,
                &[
                    "queues[0].replicaCount=3",
                    "queues[2].name=c",
                    "n.m.o={x,2, y}"
                ]
            )
            .unwrap(),
            r#"{queues: [{name: a, replicaCount: 3}, null, {name: "c"}], n: {m: {o: ["x", 2, " y"]}}}"#
        );
        assert_eq!(
            set("a: 1\n", SetKind::Typed, &["l[1][0]=z"]).unwrap(),
            r#"{a: 1, l: [null, ["z"]]}"#
        );
    }

    #[test]
    fn escapes_keep_dots_commas_and_equals() {
        assert_eq!(
            set(
                "a: 1\n",
                SetKind::Typed,
                &[r"labels.app\.kubernetes\.io/name=x\,y,b=c=d"]
            )
            .unwrap(),
            r#"{a: 1, labels: {app.kubernetes.io/name: "x,y"}, b: "c=d"}"#
        );
    }

    #[test]
    fn set_file_reads_the_file() {
        assert_eq!(
            set("a: 1\n", SetKind::File, &["b=some/path"]).unwrap(),
            r#"{a: 1, b: "<some/path>"}"#
        );
    }

    #[test]
    fn syntax_errors_say_where() {
        assert_eq!(
            set("a: 1\n", SetKind::Typed, &["abc"]).unwrap_err(),
            "1: key `abc` has no value; write abc=VALUE"
        );
        assert_eq!(
            set("a: 1\n", SetKind::Typed, &["a=b,c[x]=1"]).unwrap_err(),
            "7: `x` is not a list index"
        );
        assert_eq!(
            set("a: 1\n", SetKind::Typed, &["l={a,b"]).unwrap_err(),
            "3: a list must end with `}`"
        );
        assert_eq!(
            set("a: 1\n", SetKind::Typed, &["l[99999]=1"]).unwrap_err(),
            "3: list index 99999 is above 65536"
        );
        assert_eq!(
            set("a: 1\n", SetKind::Typed, &["l[0]x=1"]).unwrap_err(),
            "5: unexpected `x` after a list index; write KEY[0]=VALUE or KEY[0].FIELD=VALUE"
        );
    }

    #[test]
    fn a_key_cannot_enter_a_value() {
        assert_eq!(
            set("a: text\n", SetKind::Typed, &["a.b=1"]).unwrap_err(),
            "`a` is a value, not a mapping, so `a.b` cannot be set in it"
        );
    }

    #[test]
    fn locations_are_the_arguments_columns() {
        let mut root = parse_document("a: 1\n").unwrap().root;
        let parsed = parse("x.y=5").unwrap();
        apply(&mut root, &parsed[0], SetKind::Typed, 3, &mut |_| {
            Ok(String::new())
        })
        .unwrap();
        let y = root.get("x").unwrap().get("y").unwrap();
        assert_eq!(y.at, Location::new(1, 5).in_source(3));
    }
}
