//! A stream of JSON values (`{…}{…}`), read as kubectl reads a file whose first character
//! is `{`: with a JSON decoder, so what JSON allows and YAML does not (a surrogate pair
//! such as `"\ud83d\ude00"`) is accepted. The values count against the same [`Limits`] as
//! YAML's, while they are made.

use super::scalar::Schema;
use super::{Document, Limits};
use crate::diagnostic::{Location, Problem};
use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde_yaml::{Mapping, Number, Value};
use std::fmt;

/// Whether kubectl reads this text as JSON: its first character other than white space
/// is `{`.
pub fn is_json(text: &str) -> bool {
    text.trim_start().starts_with('{')
}

/// Every JSON value in the text, each with the line it starts on.
pub fn documents(text: &str, schema: Schema, limits: Limits) -> Result<Vec<Document>, Problem> {
    let mut budget = Budget {
        limits,
        len: text.len(),
        values: 0,
        bytes: 0,
        schema,
    };
    let mut docs = Vec::new();
    for (line, chunk) in values(text)? {
        if docs.len() >= limits.documents {
            return Err(Problem::error(format!(
                "the stream holds more than {} documents",
                limits.documents
            ))
            .at(Location::new(line, 1))
            .hint("split it into smaller streams"));
        }
        let at = |e: serde_json::Error| {
            let message = e.to_string();
            let message = message
                .split(" at line ")
                .next()
                .unwrap_or(&message)
                .to_string();
            let located = Location::new(line + e.line().saturating_sub(1), e.column().max(1));
            if message.starts_with("the ") {
                // A limit of ours, not a syntax error.
                Problem::error(message)
                    .at(located)
                    .hint("split it into smaller streams")
            } else {
                Problem::error(format!("not JSON: {message}")).at(located)
            }
        };
        let mut de = serde_json::Deserializer::from_str(chunk);
        let value = Seed {
            budget: &mut budget,
            depth: 0,
        }
        .deserialize(&mut de)
        .map_err(at)?;
        de.end().map_err(at)?;
        docs.push(Document { line, value });
    }
    Ok(docs)
}

/// Splits the text into its top-level JSON values by scanning brackets and strings (the
/// parser checks each piece); each with its first line.
fn values(text: &str) -> Result<Vec<(usize, &str)>, Problem> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut line = 1;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                line += 1;
                i += 1;
                continue;
            }
            b' ' | b'\t' | b'\r' => {
                i += 1;
                continue;
            }
            _ => {}
        }
        let (start, start_line) = (i, line);
        let mut depth = 0usize;
        let mut in_string = false;
        while i < bytes.len() {
            let b = bytes[i];
            i += 1;
            match b {
                b'\n' => line += 1,
                _ if in_string => match b {
                    b'\\' => i += 1,
                    b'"' => in_string = false,
                    _ => {}
                },
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        break;
                    }
                }
                // A bare word or number ends at white space or a bracket.
                b' ' | b'\t' | b'\r' if depth == 0 => break,
                _ => {}
            }
        }
        out.push((start_line, &text[start..i]));
    }
    Ok(out)
}

struct Budget {
    limits: Limits,
    len: usize,
    values: usize,
    bytes: usize,
    schema: Schema,
}

impl Budget {
    fn count<E: serde::de::Error>(&mut self, bytes: usize) -> Result<(), E> {
        self.values += 1;
        self.bytes += bytes;
        match self.limits.exceeded(self.values, self.bytes, self.len) {
            Some(limit) => Err(E::custom(format_args!("the stream holds {limit}"))),
            None => Ok(()),
        }
    }
}

/// Builds one value, counting it and everything in it.
struct Seed<'b> {
    budget: &'b mut Budget,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        if self.depth > self.budget.limits.depth {
            return Err(D::Error::custom(format_args!(
                "the document nests deeper than {} levels",
                self.budget.limits.depth
            )));
        }
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Value, E> {
        self.budget.count(0)?;
        Ok(Value::Null)
    }

    fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<Value, E> {
        self.budget.count(0)?;
        Ok(Value::Bool(b))
    }

    fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Value, E> {
        self.budget.count(0)?;
        Ok(Value::Number(n.into()))
    }

    fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Value, E> {
        self.budget.count(0)?;
        Ok(Value::Number(n.into()))
    }

    fn visit_f64<E: serde::de::Error>(self, f: f64) -> Result<Value, E> {
        self.budget.count(0)?;
        // kubectl decodes it to a float64 and sends Go's JSON of it: `1e3` as `1000`.
        let integral = f.fract() == 0.0 && f.abs() < 1e21;
        Ok(match self.budget.schema {
            Schema::Kubectl if integral && f >= i64::MIN as f64 && f < i64::MAX as f64 => {
                Value::Number((f as i64).into())
            }
            Schema::Kubectl if integral && f >= 0.0 && f < u64::MAX as f64 => {
                Value::Number((f as u64).into())
            }
            _ => Value::Number(Number::from(f)),
        })
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Value, E> {
        self.budget.count(s.len())?;
        Ok(Value::String(s.to_string()))
    }

    fn visit_string<E: serde::de::Error>(self, s: String) -> Result<Value, E> {
        self.budget.count(s.len())?;
        Ok(Value::String(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.budget.count(0)?;
        let mut items = Vec::new();
        loop {
            let seed = Seed {
                budget: &mut *self.budget,
                depth: self.depth + 1,
            };
            match seq.next_element_seed(seed)? {
                Some(v) => items.push(v),
                None => return Ok(Value::Sequence(items)),
            }
        }
    }

    /// Keys are strings; a key given twice keeps its last value, as Go's decoder does.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.budget.count(0)?;
        let mut out = Mapping::new();
        while let Some(key) = map.next_key::<String>()? {
            self.budget.count(key.len())?;
            let seed = Seed {
                budget: &mut *self.budget,
                depth: self.depth + 1,
            };
            let value = map.next_value_seed(seed)?;
            out.insert(Value::String(key), value);
        }
        Ok(Value::Mapping(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surrogate_pairs_and_several_values_are_read_as_kubectl_reads_them() {
        let text = "{\"a\": \"\\ud83d\\ude00\", \"n\": 1e3}\n\n{\"b\": [1, 2]}\n";
        let docs = documents(text, Schema::Kubectl, Limits::STREAM).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].value["a"], "😀");
        assert_eq!(docs[0].value["n"], 1000);
        assert_eq!(docs[1].line, 3);
    }

    #[test]
    fn limits_hold_in_json_too() {
        let limits = Limits {
            values: 100,
            free_values: 100,
            ..Limits::STREAM
        };
        let text = format!("{{\"a\": [{}0]}}", "0,".repeat(200));
        let e = documents(&text, Schema::Kubectl, limits).unwrap_err();
        assert!(e.message.contains("more than 100 values"), "{e:?}");
        let deep = format!("{{\"a\": {}{}}}", "[".repeat(120), "]".repeat(120));
        let e = documents(&deep, Schema::Kubectl, Limits::STREAM).unwrap_err();
        assert!(e.message.contains("nests deeper than 100"), "{e:?}");
    }

    #[test]
    fn a_syntax_error_is_located() {
        let e = documents("{\"a\": 1}\n{\"b\": }\n", Schema::Kubectl, Limits::STREAM).unwrap_err();
        assert_eq!(e.at.unwrap().line, 2, "{e:?}");
        assert!(e.message.starts_with("not JSON: "), "{e:?}");
    }
}
