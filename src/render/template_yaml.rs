//! Reads the YAML the tool's own templates print, about ten times faster than a general
//! YAML parser, which a stack of a thousand Deployments would otherwise spend most of its
//! time in.
//!
//! The templates print a small dialect: block mappings and sequences indented with spaces,
//! plain literals, and every `{{ … }}` value as one line of JSON. Anything else (a tab, an
//! anchor, a block scalar, a single-quoted string, a plain scalar with `: ` or ` #`) makes
//! this reader give up, and the caller reads the text with serde_yaml instead. Plain scalars
//! that could be anything but a string are resolved by serde_yaml itself, so both readers
//! give the same value; debug builds (every test) read each render both ways and compare.

use serde_yaml::{Mapping, Number, Value};

/// One non-blank line: its indentation and what follows it.
#[derive(Clone, Copy)]
struct Line<'t> {
    indent: usize,
    text: &'t str,
}

/// The document's value, or `None` when the text is outside the dialect.
pub fn read(text: &str) -> Option<Value> {
    let mut lines = Vec::new();
    for raw in text.lines() {
        let trimmed = raw.trim_start_matches(' ');
        if trimmed.is_empty() {
            continue;
        }
        if trimmed.starts_with(['\t', '#']) || raw.ends_with(' ') || raw.contains('\t') {
            return None;
        }
        lines.push(Line {
            indent: raw.len() - trimmed.len(),
            text: trimmed,
        });
    }
    let mut reader = Reader { lines, pos: 0 };
    let value = reader.block(0)?;
    (reader.pos == reader.lines.len()).then_some(value)
}

struct Reader<'t> {
    lines: Vec<Line<'t>>,
    pos: usize,
}

impl<'t> Reader<'t> {
    /// The block starting at the current line, indented at least `min`.
    fn block(&mut self, min: usize) -> Option<Value> {
        let first = *self.lines.get(self.pos)?;
        if first.indent < min {
            return None;
        }
        if is_item(first.text) {
            self.sequence(first.indent)
        } else {
            self.mapping(first.indent)
        }
    }

    fn sequence(&mut self, indent: usize) -> Option<Value> {
        let mut items = Vec::new();
        while let Some(line) = self.lines.get(self.pos).copied() {
            if line.indent != indent || !is_item(line.text) {
                break;
            }
            let rest = line.text[1..].trim_start_matches(' ');
            if rest.is_empty() {
                self.pos += 1;
                items.push(self.nested(indent)?);
            } else if is_item(rest) || split_key(rest).is_some() {
                // `- key: value` opens a mapping (or `- - x` a list) two columns in.
                self.lines[self.pos] = Line {
                    indent: indent + (line.text.len() - rest.len()),
                    text: rest,
                };
                items.push(self.block(indent + 1)?);
            } else {
                self.pos += 1;
                items.push(scalar(rest)?);
            }
        }
        items.shrink_to_fit();
        Some(Value::Sequence(items))
    }

    fn mapping(&mut self, indent: usize) -> Option<Value> {
        let mut map = Mapping::new();
        while let Some(line) = self.lines.get(self.pos).copied() {
            if line.indent != indent || is_item(line.text) {
                if line.indent > indent {
                    return None;
                }
                break;
            }
            let (key, rest) = split_key(line.text)?;
            self.pos += 1;
            let value = if rest.is_empty() {
                self.nested_or_indentless(indent)?
            } else {
                scalar(rest)?
            };
            if map.insert(key, value).is_some() {
                return None;
            }
        }
        // Thousands of objects stay in memory until they are printed: no spare capacity.
        map.shrink_to_fit();
        Some(Value::Mapping(map))
    }

    /// The value of `key:` with nothing after it: a deeper block, or nothing (null).
    fn nested(&mut self, indent: usize) -> Option<Value> {
        match self.lines.get(self.pos) {
            Some(next) if next.indent > indent => self.block(indent + 1),
            _ => Some(Value::Null),
        }
    }

    /// As `nested`, but a key's list may also start at the key's own indentation.
    fn nested_or_indentless(&mut self, indent: usize) -> Option<Value> {
        match self.lines.get(self.pos) {
            Some(next) if next.indent == indent && is_item(next.text) => self.sequence(indent),
            _ => self.nested(indent),
        }
    }
}

fn is_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

/// `key: rest` or `key:`; the key plain or a JSON string.
fn split_key(text: &str) -> Option<(Value, &str)> {
    if text.starts_with('"') {
        let end = closing_quote(text)?;
        let key: String = serde_json::from_str(&text[..=end]).ok()?;
        let rest = text[end + 1..].strip_prefix(':')?;
        if !(rest.is_empty() || rest.starts_with(' ')) {
            return None;
        }
        return Some((Value::String(key), rest.trim_start_matches(' ')));
    }
    let (key, rest) = match text.find(": ") {
        Some(i) => (&text[..i], &text[i + 2..]),
        None => (text.strip_suffix(':')?, ""),
    };
    if key.is_empty() || !plain_is_string(key) || key.contains(['"', '\'', '#']) {
        return None;
    }
    Some((Value::String(key.to_string()), rest.trim_start_matches(' ')))
}

/// The index of the quote that closes the JSON string `text` starts with.
fn closing_quote(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// A value on one line: JSON, a plain flow list of plain words, or a plain scalar.
fn scalar(text: &str) -> Option<Value> {
    match text.as_bytes()[0] {
        b'"' | b'{' | b'[' => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(json) => Some(from_json(json)),
            Err(_) if text.starts_with('[') && text.ends_with(']') => plain_list(text),
            Err(_) => None,
        },
        b'\'' | b'|' | b'>' | b'&' | b'*' | b'!' | b'%' | b'@' | b'`' | b'?' | b',' => None,
        _ if text.contains(" #") || text.contains(": ") || text.ends_with(':') => None,
        _ => plain(text),
    }
}

/// `[docker, --host, "tcp://…", version]`: a flow list of plain words and JSON strings, as
/// templates write commands and modes.
fn plain_list(text: &str) -> Option<Value> {
    let mut rest = text[1..text.len() - 1].trim_start_matches(' ');
    let mut items = Vec::new();
    while !rest.is_empty() {
        let (item, after) = if rest.starts_with('"') {
            let end = closing_quote(rest)?;
            let s: String = serde_json::from_str(&rest[..=end]).ok()?;
            (Value::String(s), &rest[end + 1..])
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            let word = rest[..end].trim_end_matches(' ');
            if word.is_empty() || word.contains(['[', ']', '{', '}', '\'', '#', ':']) {
                return None;
            }
            (plain(word)?, &rest[end..])
        };
        items.push(item);
        let after = after.trim_start_matches(' ');
        rest = match after.strip_prefix(',') {
            Some(next) => next.trim_start_matches(' '),
            None if after.is_empty() => after,
            None => return None,
        };
    }
    Some(Value::Sequence(items))
}

/// Whether a plain word can only be a string: no null, boolean or number starts like it.
fn plain_is_string(word: &str) -> bool {
    let mut chars = word.chars();
    let first = chars.next().unwrap_or('~');
    let second = chars.next();
    // `-f` and `--host` are words; `-1`, `+.5` and `.inf` might be numbers.
    let number_like = first.is_ascii_digit()
        || matches!(first, '~' | '.')
        || (matches!(first, '+' | '-') && second.is_some_and(|c| c.is_ascii_digit() || c == '.'));
    !(number_like
        || word.eq_ignore_ascii_case("null")
        || word.eq_ignore_ascii_case("true")
        || word.eq_ignore_ascii_case("false"))
}

/// A plain scalar: a string, a small decimal number or a boolean (the templates' literals),
/// or whatever serde_yaml reads it as when it is something else that might not be a string.
fn plain(word: &str) -> Option<Value> {
    if plain_is_string(word) {
        return Some(Value::String(word.to_string()));
    }
    let decimal = !word.is_empty()
        && word.bytes().all(|b| b.is_ascii_digit())
        && (word == "0" || !word.starts_with('0'));
    match word {
        "true" => Some(Value::Bool(true)),
        "false" => Some(Value::Bool(false)),
        _ if decimal && word.len() < 18 => {
            word.parse::<u64>().ok().map(|n| Value::Number(n.into()))
        }
        _ => serde_yaml::from_str(word).ok(),
    }
}

fn from_json(json: serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => Value::Number(if let Some(i) = n.as_i64() {
            Number::from(i)
        } else if let Some(u) = n.as_u64() {
            Number::from(u)
        } else {
            Number::from(n.as_f64().unwrap_or_default())
        }),
        serde_json::Value::String(s) => Value::String(s),
        serde_json::Value::Array(items) => {
            Value::Sequence(items.into_iter().map(from_json).collect())
        }
        serde_json::Value::Object(map) => {
            let mut mapping = Mapping::with_capacity(map.len());
            for (k, v) in map {
                mapping.insert(Value::String(k), from_json(v));
            }
            Value::Mapping(mapping)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same_as_serde_yaml(text: &str) {
        let general: Value = serde_yaml::from_str(text).unwrap();
        assert_eq!(read(text), Some(general), "{text}");
    }

    #[test]
    fn reads_the_dialect_like_serde_yaml() {
        same_as_serde_yaml(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: \"x\"\n  labels: {\"a\":\"b\",\"n\":\"1\"}\nspec:\n  replicas: 3\n  list:\n    - name: a\n      value: \"false\"\n    - {\"name\":\"b\",\"valueFrom\":{\"x\":1}}\n  modes: [ReadWriteOnce]\n  command: [/usr/bin/pgrep, -f, /usr/local/bin/executor, -, --x, -.5, +1, .inf, TRUE]\n  probe: [docker, --host, \"tcp://127.0.0.1:2375\", version]\n  empty: {}\n  none:\n  indentless:\n  - a\n  - b\n  \"EXECUTOR_X\": \"1\"\n  mtu: 1200\n  on: true\n  neg: -1\n  zero: 0\n  octal: 0755\n  mode: 420\n  big: 12345678901234567890\n  text: Runs things, for jobs.\n",
        );
    }

    #[test]
    fn gives_up_outside_the_dialect() {
        for text in [
            "a: 'single'\n",
            "a: |\n  block\n",
            "a: &x 1\nb: *x\n",
            "a:\n\t- tab\n",
            "a: b # comment\n",
            "a: 1\na: 2\n",
            "a: b: c\n",
        ] {
            assert_eq!(read(text), None, "{text}");
        }
    }
}
