//! How one value is measured as the text it becomes: a string, a mapping of strings, a list
//! or any JSON value, at its depth in the YAML `render` prints and in the JSON the API
//! server receives, whichever is longer. Apart from the objects because it knows nothing of
//! them: only of how the YAML writer and JSON write a value.

use super::Size;
use serde_json::Value;

/// Whether the YAML writer surely writes `s` plain, and JSON as `"s"`: a word of letters,
/// digits, `-`, `_`, `.` and `/` that starts with a letter and is no YAML keyword.
fn surely_plain(s: &str) -> bool {
    const KEYWORDS: [&str; 12] = [
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "inf", "nan", "infinity",
    ];
    s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
        && (s.len() > 8 || !KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(s)))
}

/// How many bytes the YAML writer writes, at most, for the string `s` at `indent`: plain,
/// quoted with escapes, or a literal block whose every line is indented.
fn yaml_str(s: &str, indent: u64) -> u64 {
    if surely_plain(s) {
        return s.len() as u64;
    }
    let quoted = json_str(s);
    let lines = s.matches('\n').count() as u64;
    let block = s.len() as u64 + (lines + 1) * (indent + 2) + 4;
    if lines > 0 {
        quoted.max(block)
    } else {
        quoted
    }
}

/// How many bytes a string takes quoted with escapes, in JSON or in YAML.
fn json_str(s: &str) -> u64 {
    if s.is_ascii() {
        let escapes = s
            .bytes()
            .filter(|b| matches!(b, b'"' | b'\\' | b'\n' | b'\t' | b'\r'))
            .count();
        return (s.len() + 2 + escapes) as u64;
    }
    let escapes: usize = s
        .chars()
        .map(|c| match c {
            '"' | '\\' | '\n' | '\t' | '\r' => 1,
            c if !c.is_ascii() && !c.is_alphanumeric() => 5,
            _ => 0,
        })
        .sum();
    (s.len() + 2 + escapes) as u64
}

/// A string value on its own line at `indent`, in YAML or in JSON, whichever is longer.
pub(super) fn text(s: &str, indent: u64) -> Size {
    Size {
        bytes: yaml_str(s, indent).max(json_str(s)) + 1,
        values: 1,
    }
}

/// One `key: value` entry at `indent`: `indent key: value\n` or `"key":"value",`.
fn entry_bytes(k: &str, v: &str, indent: u64) -> u64 {
    let yaml = indent + yaml_str(k, indent) + 2 + yaml_str(v, indent + 2) + 1;
    let json = json_str(k) + json_str(v) + 2;
    yaml.max(json)
}

/// A mapping of strings at `indent` (labels, annotations, data).
pub(super) fn pairs_size(pairs: &[(String, String)], indent: u64) -> Size {
    if pairs.is_empty() {
        return Size::default();
    }
    let bytes: u64 = pairs.iter().map(|(k, v)| entry_bytes(k, v, indent)).sum();
    Size {
        bytes: bytes + indent + 16,
        values: 2 * pairs.len() as u64 + 2,
    }
}

/// A JSON value written as block YAML at `indent`, or as JSON, whichever is longer.
pub(in crate::config::validate) fn json_size(v: &Value, indent: u64) -> Size {
    match v {
        Value::Object(m) => {
            let mut size = Size {
                bytes: 2,
                values: 1,
            };
            for (k, v) in m {
                size += match v {
                    Value::String(s) => Size {
                        bytes: entry_bytes(k, s, indent),
                        values: 2,
                    },
                    v => {
                        Size {
                            bytes: (indent + yaml_str(k, indent) + 2).max(json_str(k) + 2),
                            values: 1,
                        } + json_size(v, indent + 2)
                    }
                };
            }
            size
        }
        Value::Array(items) => {
            items
                .iter()
                .map(|item| item_size(item, indent))
                .sum::<Size>()
                + Size {
                    bytes: 2,
                    values: 1,
                }
        }
        Value::String(s) => text(s, indent),
        other => Size {
            bytes: other.to_string().len() as u64 + 3,
            values: 1,
        },
    }
}

/// One item of a list at `indent`: `- ` and the item (a mapping's first key takes the
/// place of its indentation), or in JSON the item and its comma.
pub(super) fn item_size(item: &Value, indent: u64) -> Size {
    let dash = if item.is_object() { 2 } else { indent + 2 };
    json_size(item, indent + 2)
        + Size {
            bytes: dash,
            values: 0,
        }
}

pub(super) fn list_size(items: &[String], indent: u64) -> Size {
    items
        .iter()
        .map(|s| {
            text(s, indent + 2)
                + Size {
                    bytes: indent + 2,
                    values: 0,
                }
        })
        .sum::<Size>()
        + Size {
            bytes: 4,
            values: 1,
        }
}

pub(super) fn opt_json(v: Option<&Value>, indent: u64) -> Size {
    v.map(|v| json_size(v, indent)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_string_costs_its_indentation_per_line() {
        assert_eq!(yaml_str("abc", 4), 3);
        assert_eq!(json_str("abc"), 5);
        assert_eq!(yaml_str("yes", 4), 5);
        assert!(yaml_str(&"a\n".repeat(100), 8) >= 200 + 100 * 8);
    }
}
