//! A serde `Deserializer` over the located YAML tree, so the typed `RawConfig` (serde derive,
//! `deny_unknown_fields`) can be read from it and every error knows its key path and position.
//!
//! Helm values are loosely typed (`tag: 3`, `keepJobs: "false"`), so scalars are read the way
//! Helm would accept them: a plain `3` is a fine string, a quoted `"10"` a fine number.
//! Everything else that does not fit is an error carrying the path to the offending entry,
//! which lets `collect_errors` remove that entry and try again to find the next problem.

use crate::config::source::{is_null_text, Key, Node, NodeValue, ScalarStyle, Segment};
use crate::diagnostic::{did_you_mean, Location};
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Unexpected,
    Visitor,
};
use std::cell::{Cell, RefCell};
use std::fmt;

/// Why a value could not be read, and where: the path leads to the entry to blame.
#[derive(Debug, Clone, PartialEq)]
pub struct DeError {
    pub path: Vec<Segment>,
    pub at: Option<Location>,
    pub message: String,
    pub hint: Option<String>,
    /// Set when the entry at `path` is a key that is not allowed there.
    pub unknown_key: bool,
    /// For an unknown key, the allowed key it is most likely a typo of.
    pub suggestion: Option<String>,
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError {
            path: Vec::new(),
            at: None,
            message: msg.to_string(),
            hint: None,
            unknown_key: false,
            suggestion: None,
        }
    }

    fn invalid_type(unexp: Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        Self::custom(format!(
            "wrong type: expected {}, found {}",
            expected(exp),
            describe(&unexp)
        ))
    }

    fn invalid_value(unexp: Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        Self::custom(format!(
            "invalid value {}: expected {}",
            describe(&unexp),
            expected(exp)
        ))
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        let mut e = Self::custom(format!("unknown key `{field}`"));
        e.unknown_key = true;
        let near = did_you_mean(field, expected.iter().copied());
        e.hint = Some(match near {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!("allowed keys here: {}", expected.join(", ")),
        });
        e.suggestion = near.map(str::to_string);
        e
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        let mut e = Self::custom(format!("unknown value `{variant}`"));
        e.hint = Some(match did_you_mean(variant, expected.iter().copied()) {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!("use one of: {}", expected.join(", ")),
        });
        e
    }
}

/// serde's names for what it wanted, in the words of a values file.
fn expected(exp: &dyn de::Expected) -> String {
    let raw = exp.to_string();
    match raw.as_str() {
        "i8" | "i16" | "i32" | "i64" | "i128" => "a whole number".into(),
        "u8" | "u16" | "u32" | "u64" | "u128" => "a whole number, 0 or more".into(),
        "f32" | "f64" => "a number".into(),
        "a sequence" => "a list".into(),
        "a map" => "a mapping".into(),
        s if s.starts_with("struct ") => "a mapping".into(),
        s if s.starts_with("enum ") => "one of the listed values".into(),
        _ => raw,
    }
}

fn describe(unexp: &Unexpected<'_>) -> String {
    match unexp {
        Unexpected::Unit => "nothing (null)".to_string(),
        Unexpected::Seq => "a list".to_string(),
        Unexpected::Map => "a mapping".to_string(),
        other => other.to_string(),
    }
}

impl DeError {
    fn within(mut self, seg: Segment) -> Self {
        self.path.insert(0, seg);
        self
    }

    fn located(mut self, at: Location) -> Self {
        self.at.get_or_insert(at);
        self
    }
}

/// Reads a `T` from the tree, stopping at the first error.
pub fn from_node<T: DeserializeOwned>(node: &Node) -> Result<T, DeError> {
    T::deserialize(NodeDe(node, None))
}

/// What `collect_errors` found: the `T` read from what was left, if anything was, so later
/// checks can still look at the rest of the file; the errors; and how many more there were.
pub struct Collected<T> {
    pub value: Option<T>,
    pub errors: Vec<DeError>,
    /// Errors found beyond the limit, not in `errors`.
    pub not_shown: usize,
    /// Whether reading stopped at the limit, so there may be more than `not_shown`.
    pub at_least: bool,
}

/// Reads a `T`, and on failure finds every other error too, in time linear in the tree.
///
/// Unknown keys are skipped and recorded as the read goes (every struct in `raw` denies
/// unknown keys), so one read finds all of them however many there are. Any other error
/// stops a read: the entry to blame is removed and the read repeated, so one bad value
/// does not hide the next, at most `limit` times. At most `limit` errors of each kind are
/// kept; the others are counted.
pub fn collect_errors<T: DeserializeOwned>(node: &Node, limit: usize) -> Result<T, Collected<T>> {
    if let Ok(v) = from_node::<T>(node) {
        return Ok(v);
    }
    let mut pruned = node.clone();
    let mut errors = Vec::new();
    loop {
        let sink = Sink {
            path: RefCell::new(Vec::new()),
            unknown: RefCell::new(Vec::new()),
            limit,
            not_shown: Cell::new(0),
        };
        let read = T::deserialize(NodeDe(&pruned, Some(&sink)));
        let (value, at_least) = match read {
            Ok(v) => (Some(v), false),
            Err(_) if errors.len() >= limit => {
                sink.not_shown.set(sink.not_shown.get() + 1);
                (None, true)
            }
            Err(e) => {
                let removed = !e.path.is_empty() && pruned.remove(&e.path);
                errors.push(e);
                if removed {
                    continue;
                }
                (None, false)
            }
        };
        errors.extend(sink.unknown.into_inner());
        return Err(Collected {
            value,
            errors,
            not_shown: sink.not_shown.get(),
            at_least,
        });
    }
}

/// Where `collect_errors` records unknown keys while a read goes on past them.
struct Sink {
    /// The path of the node being read.
    path: RefCell<Vec<Segment>>,
    unknown: RefCell<Vec<DeError>>,
    limit: usize,
    not_shown: Cell<usize>,
}

impl Sink {
    /// Records an unknown key of the map being read.
    fn unknown_key(&self, key: &Key, fields: &'static [&'static str]) {
        let mut unknown = self.unknown.borrow_mut();
        if unknown.len() >= self.limit {
            self.not_shown.set(self.not_shown.get() + 1);
            return;
        }
        let mut e = <DeError as de::Error>::unknown_field(&key.name, fields).located(key.at);
        e.path = self.path.borrow().clone();
        e.path.push(Segment::Key(key.name.clone()));
        unknown.push(e);
    }

    /// Runs `read` with `seg` appended to the path.
    fn within<R>(&self, seg: Segment, read: impl FnOnce() -> R) -> R {
        self.path.borrow_mut().push(seg);
        let result = read();
        self.path.borrow_mut().pop();
        result
    }
}

/// Reads `seed` from `node`, one step below the current path.
fn read_within<'de, S: DeserializeSeed<'de>>(
    seed: S,
    node: &Node,
    seg: Segment,
    sink: Option<&Sink>,
) -> Result<S::Value, DeError> {
    match sink {
        Some(sink) => sink.within(seg.clone(), || seed.deserialize(NodeDe(node, Some(sink)))),
        None => seed.deserialize(NodeDe(node, None)),
    }
    .map_err(|e| e.within(seg))
}

/// A node, and the sink when unknown keys are to be skipped and recorded.
struct NodeDe<'a>(&'a Node, Option<&'a Sink>);

enum Plain {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str,
}

/// Whether YAML 1.2's core schema reads `text`, written plain, as a string (and not as a
/// null, a boolean or a number).
pub fn is_plain_string(text: &str) -> bool {
    matches!(resolve(text), Plain::Str)
}

/// The spellings read as booleans (YAML 1.2 core schema), in a plain or a quoted scalar.
pub(crate) const BOOLEAN_TEXT: [(&str, bool); 6] = [
    ("true", true),
    ("True", true),
    ("TRUE", true),
    ("false", false),
    ("False", false),
    ("FALSE", false),
];

fn boolean(text: &str) -> Option<bool> {
    BOOLEAN_TEXT
        .iter()
        .find_map(|&(t, b)| (t == text).then_some(b))
}

/// YAML 1.2 core schema resolution of a plain scalar.
fn resolve(text: &str) -> Plain {
    if is_null_text(text) {
        return Plain::Null;
    }
    if let Some(b) = boolean(text) {
        return Plain::Bool(b);
    }
    match text {
        ".inf" | ".Inf" | ".INF" | "+.inf" => return Plain::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Plain::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Plain::Float(f64::NAN),
        _ => {}
    }
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = text.parse::<i64>() {
            return Plain::Int(i);
        }
        if let Ok(u) = text.trim_start_matches('+').parse::<u64>() {
            return Plain::UInt(u);
        }
    }
    if let Some(hex) = text.strip_prefix("0x") {
        if let Ok(u) = u64::from_str_radix(hex, 16) {
            return Plain::UInt(u);
        }
    }
    if let Some(oct) = text.strip_prefix("0o") {
        if let Ok(u) = u64::from_str_radix(oct, 8) {
            return Plain::UInt(u);
        }
    }
    let looks_numeric = digits.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
    if looks_numeric {
        if let Ok(f) = text.parse::<f64>() {
            return Plain::Float(f);
        }
    }
    Plain::Str
}

impl<'a> NodeDe<'a> {
    fn unexpected(&self) -> Unexpected<'a> {
        match &self.0.value {
            NodeValue::Scalar(s, ScalarStyle::Quoted) => Unexpected::Str(s),
            NodeValue::Scalar(s, ScalarStyle::Plain) => match resolve(s) {
                Plain::Null => Unexpected::Unit,
                Plain::Bool(b) => Unexpected::Bool(b),
                Plain::Int(i) => Unexpected::Signed(i),
                Plain::UInt(u) => Unexpected::Unsigned(u),
                Plain::Float(f) => Unexpected::Float(f),
                Plain::Str => Unexpected::Str(s),
            },
            NodeValue::Seq(_) => Unexpected::Seq,
            NodeValue::Map(_) => Unexpected::Map,
        }
    }

    fn scalar(&self) -> Option<&'a str> {
        match &self.0.value {
            NodeValue::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    /// A mapping; for a struct, `fields` are its keys, and the others are skipped and
    /// recorded when there is a sink.
    fn map<'de, V: Visitor<'de>>(
        self,
        fields: Option<&'static [&'static str]>,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let at = self.0.at;
        match &self.0.value {
            NodeValue::Map(entries) => visitor.visit_map(Entries::new(entries, fields, self.1)),
            _ => Err(de::Error::invalid_type(self.unexpected(), &visitor)),
        }
        .map_err(|e: DeError| e.located(at))
    }

    fn int<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let parsed = self.scalar().map(|s| resolve(s.trim()));
        match parsed {
            Some(Plain::Int(i)) => visitor.visit_i64(i),
            Some(Plain::UInt(u)) => visitor.visit_u64(u),
            _ => Err(de::Error::invalid_type(self.unexpected(), &visitor)),
        }
    }
}

macro_rules! forward_int {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            let at = self.0.at;
            self.int(visitor).map_err(|e: DeError| e.located(at))
        }
    )*};
}

impl<'de> de::Deserializer<'de> for NodeDe<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let at = self.0.at;
        let result = match &self.0.value {
            NodeValue::Scalar(s, ScalarStyle::Quoted) => visitor.visit_str(s),
            NodeValue::Scalar(s, ScalarStyle::Plain) => match resolve(s) {
                Plain::Null => visitor.visit_unit(),
                Plain::Bool(b) => visitor.visit_bool(b),
                Plain::Int(i) => visitor.visit_i64(i),
                Plain::UInt(u) => visitor.visit_u64(u),
                Plain::Float(f) => visitor.visit_f64(f),
                Plain::Str => visitor.visit_str(s),
            },
            NodeValue::Seq(items) => visitor.visit_seq(Items {
                items: items.iter(),
                index: 0,
                sink: self.1,
            }),
            NodeValue::Map(entries) => visitor.visit_map(Entries::new(entries, None, self.1)),
        };
        result.map_err(|e: DeError| e.located(at))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.scalar().map(str::trim).and_then(boolean) {
            Some(b) => visitor.visit_bool(b),
            None => Err(de::Error::invalid_type(self.unexpected(), &visitor)),
        }
        .map_err(|e: DeError| e.located(self.0.at))
    }

    forward_int! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let at = self.0.at;
        match self.scalar().map(|s| resolve(s.trim())) {
            Some(Plain::Int(i)) => visitor.visit_i64(i),
            Some(Plain::UInt(u)) => visitor.visit_u64(u),
            Some(Plain::Float(f)) => visitor.visit_f64(f),
            _ => Err(de::Error::invalid_type(self.unexpected(), &visitor)),
        }
        .map_err(|e: DeError| e.located(at))
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let at = self.0.at;
        match &self.0.value {
            NodeValue::Scalar(s, ScalarStyle::Plain) if is_null_text(s) => {
                Err(de::Error::invalid_type(Unexpected::Unit, &visitor))
            }
            // A plain `3` or `true` where a string is wanted is what Helm does too: keep the text.
            NodeValue::Scalar(s, _) => visitor.visit_str(s),
            _ => Err(de::Error::invalid_type(self.unexpected(), &visitor)),
        }
        .map_err(|e: DeError| e.located(at))
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.0.is_null() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.0.is_null() {
            visitor.visit_unit()
        } else {
            Err(
                <DeError as de::Error>::invalid_type(self.unexpected(), &visitor)
                    .located(self.0.at),
            )
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let at = self.0.at;
        match &self.0.value {
            NodeValue::Seq(items) => visitor.visit_seq(Items {
                items: items.iter(),
                index: 0,
                sink: self.1,
            }),
            _ => Err(de::Error::invalid_type(self.unexpected(), &visitor)),
        }
        .map_err(|e: DeError| e.located(at))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.map(None, visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.map(Some(fields), visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let at = self.0.at;
        match self.scalar() {
            Some(s) if !self.0.is_null() => visitor.visit_enum(s.into_deserializer()),
            _ => Err(de::Error::invalid_type(self.unexpected(), &visitor)),
        }
        .map_err(|e: DeError| e.located(at))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}

struct Items<'a> {
    items: std::slice::Iter<'a, Node>,
    index: usize,
    sink: Option<&'a Sink>,
}

impl<'de> SeqAccess<'de> for Items<'_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some(item) = self.items.next() else {
            return Ok(None);
        };
        let index = self.index;
        self.index += 1;
        read_within(seed, item, Segment::Index(index), self.sink).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct Entries<'a> {
    entries: std::slice::Iter<'a, (Key, Node)>,
    value: Option<(&'a str, &'a Node)>,
    /// A struct's keys: with a sink, the other keys are skipped and recorded.
    fields: Option<&'static [&'static str]>,
    sink: Option<&'a Sink>,
}

impl<'a> Entries<'a> {
    fn new(
        entries: &'a [(Key, Node)],
        fields: Option<&'static [&'static str]>,
        sink: Option<&'a Sink>,
    ) -> Self {
        Entries {
            entries: entries.iter(),
            value: None,
            fields,
            sink,
        }
    }
}

impl<'de> MapAccess<'de> for Entries<'_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let (key, value) = loop {
            let Some((key, value)) = self.entries.next() else {
                return Ok(None);
            };
            match (self.sink, self.fields) {
                (Some(sink), Some(fields)) if !fields.contains(&key.name.as_str()) => {
                    sink.unknown_key(key, fields)
                }
                _ => break (key, value),
            }
        };
        self.value = Some((&key.name, value));
        let key_node = Node {
            at: key.at,
            value: NodeValue::Scalar(key.name.clone(), ScalarStyle::Quoted),
        };
        seed.deserialize(NodeDe(&key_node, None))
            .map(Some)
            .map_err(|e| e.located(key.at).within(Segment::Key(key.name.clone())))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let (name, value) = self
            .value
            .take()
            .ok_or_else(|| <DeError as de::Error>::custom("value before key"))?;
        read_within(seed, value, Segment::Key(name.to_string()), self.sink)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::source::parse_document;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct Sample {
        tag: Option<String>,
        count: Option<u32>,
        enabled: Option<bool>,
        inner: Option<Inner>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        name: Option<String>,
    }

    #[test]
    fn helm_style_loose_scalars_are_accepted() {
        let node = parse_document("tag: 3\ncount: \"10\"\nenabled: \"false\"\n")
            .unwrap()
            .root;
        let s: Sample = from_node(&node).unwrap();
        assert_eq!(s.tag.as_deref(), Some("3"));
        assert_eq!(s.count, Some(10));
        assert_eq!(s.enabled, Some(false));
    }

    #[test]
    fn every_error_is_found_with_its_path_and_position() {
        let node = parse_document("tagg: x\ncount: -1\ninner:\n  nmae: y\n")
            .unwrap()
            .root;
        let mut errors = collect_errors::<Sample>(&node, 10).unwrap_err().errors;
        errors.sort_by_key(|e| e.at);
        let got: Vec<_> = errors
            .iter()
            .map(|e| {
                (
                    crate::config::source::path_to_string(&e.path),
                    e.at.unwrap().line,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("tagg".to_string(), 1),
                ("count".to_string(), 2),
                ("inner.nmae".to_string(), 4)
            ]
        );
        assert_eq!(errors[0].hint.as_deref(), Some("did you mean `tag`?"));
        assert!(
            errors[1]
                .message
                .contains("expected a whole number, 0 or more"),
            "{}",
            errors[1].message
        );
    }

    #[test]
    fn unknown_keys_beyond_the_limit_are_counted() {
        let text: String = (0..70).map(|i| format!("k{i}: x\n")).collect();
        let node = parse_document(&text).unwrap().root;
        let c = collect_errors::<Sample>(&node, 50).unwrap_err();
        assert_eq!((c.errors.len(), c.not_shown, c.at_least), (50, 20, false));
        assert!(c.value.is_some(), "what is left reads");
    }

    #[test]
    fn thousands_of_unknown_keys_take_one_read() {
        // Quadratic pruning took seconds here; one read with the keys skipped takes milliseconds.
        let mut text = String::from("inner:\n");
        for i in 0..20_000 {
            text.push_str(&format!("  k{i}: x\n"));
        }
        text.push_str("count: -1\n");
        let node = parse_document(&text).unwrap().root;
        let started = std::time::Instant::now();
        let c = collect_errors::<Sample>(&node, 50).unwrap_err();
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        assert_eq!((c.errors.len(), c.not_shown), (51, 19_950));
        assert!(c.errors.iter().any(|e| e.message.contains("whole number")));
    }

    #[test]
    fn type_errors_stop_at_the_limit_and_say_there_may_be_more() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Counts {
            items: Vec<Sample>,
        }
        let text: String =
            "items:\n".to_string() + &(0..10).map(|_| "- count: -1\n").collect::<String>();
        let node = parse_document(&text).unwrap().root;
        let c = collect_errors::<Counts>(&node, 3).unwrap_err();
        assert_eq!((c.errors.len(), c.not_shown, c.at_least), (3, 1, true));
    }
}
