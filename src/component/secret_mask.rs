//! Secret values kept out of `diff`'s output, which lands in CI logs: in every document of a
//! file that is a Secret (its `kind`, or a `*.Secret.yaml` path), the values under `data` and
//! `stringData`, and the digest in the tool's header (a fast digest of the body, so of the
//! password), are replaced. A value both sides hold alike becomes `***`; one that changed
//! becomes `*** (before)` and `*** (after)`, as `kubectl diff` shows them, so the diff still
//! says which key changed and nothing of what it holds.
//!
//! The text is read line by line, not parsed: a golden file may be anything, and a line the
//! reader cannot place inside a Secret (a flow mapping, JSON on one line) is hidden whole.

use std::borrow::Cow;
use std::collections::BTreeMap;

/// What a hidden value is shown as.
pub const MASK: &str = "***";

/// Which value a hidden part is, so the two sides can be compared: the document, the
/// section (`data`, `stringData`, a whole line, the header) and the key.
type Key = (usize, &'static str, String);

/// One line of the text, as shown.
enum Line<'a> {
    Plain(&'a str),
    Hidden {
        prefix: String,
        key: Key,
        value: String,
        suffix: String,
        ending: &'a str,
    },
}

/// `old` and `new` (the golden and the generated text of `path`) with every Secret value
/// hidden; unchanged when neither holds a Secret.
pub fn mask_pair<'a>(path: &str, old: &'a str, new: &'a str) -> (Cow<'a, str>, Cow<'a, str>) {
    let (old_lines, new_lines) = (scan(path, old), scan(path, new));
    let values = |lines: &[Line]| -> BTreeMap<Key, String> {
        lines
            .iter()
            .filter_map(|l| match l {
                Line::Hidden { key, value, .. } => Some((key.clone(), value.clone())),
                Line::Plain(_) => None,
            })
            .collect()
    };
    let (old_values, new_values) = (values(&old_lines), values(&new_lines));
    let old = render(old, &old_lines, &new_values, "before");
    let new = render(new, &new_lines, &old_values, "after");
    (old, new)
}

fn render<'a>(
    text: &'a str,
    lines: &[Line],
    other: &BTreeMap<Key, String>,
    side: &str,
) -> Cow<'a, str> {
    if lines.iter().all(|l| matches!(l, Line::Plain(_))) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for line in lines {
        match line {
            Line::Plain(l) => out.push_str(l),
            Line::Hidden {
                prefix,
                key,
                value,
                suffix,
                ending,
            } => {
                out.push_str(prefix);
                out.push_str(MASK);
                if other.get(key).is_some_and(|v| v != value) {
                    out.push_str(&format!(" ({side})"));
                }
                out.push_str(suffix);
                out.push_str(ending);
            }
        }
    }
    Cow::Owned(out)
}

/// Splits `text` into lines: each whole, without its ending, and its ending.
fn lines_of(text: &str) -> Vec<(&str, &str, &str)> {
    text.split_inclusive('\n')
        .map(|l| {
            let body = l.strip_suffix('\n').unwrap_or(l);
            let body = body.strip_suffix('\r').unwrap_or(body);
            (l, body, &l[body.len()..])
        })
        .collect()
}

fn is_document_marker(line: &str) -> bool {
    ["---", "..."].iter().any(|m| {
        line.strip_prefix(m)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
    })
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '/')
}

/// Whether the line says `kind: Secret` anywhere (block, flow or JSON, quoted or not).
fn says_kind_secret(line: &str) -> bool {
    line.match_indices("kind").any(|(i, _)| {
        if line[..i].chars().next_back().is_some_and(is_word_char) {
            return false;
        }
        let rest = line[i + 4..].trim_start_matches(['"', '\'']).trim_start();
        let Some(rest) = rest.strip_prefix(':') else {
            return false;
        };
        let rest = rest.trim_start().trim_start_matches(['"', '\'']);
        rest.strip_prefix("Secret")
            .is_some_and(|after| !after.starts_with(is_word_char))
    })
}

/// Whether the line names `data` or `stringData` as a key anywhere in it.
fn mentions_data_key(line: &str) -> bool {
    ["data", "stringData"].iter().any(|word| {
        line.match_indices(word).any(|(i, _)| {
            let before_ok = !line[..i].chars().next_back().is_some_and(is_word_char);
            let rest = line[i + word.len()..]
                .trim_start_matches(['"', '\''])
                .trim_start();
            before_ok && rest.starts_with(':')
        })
    })
}

/// The key at the start of `content` and what follows its colon; `None` when the line is
/// no `key: value` entry.
fn split_key(content: &str) -> Option<(String, &str)> {
    let (key, rest) = match content.chars().next()? {
        q @ ('"' | '\'') => {
            let mut escaped = false;
            let end = content[1..].char_indices().find_map(|(i, c)| {
                let closes = c == q && !escaped;
                escaped = q == '"' && c == '\\' && !escaped;
                closes.then_some(i + 1)
            })?;
            (content[1..end].to_string(), content[end + 1..].trim_start())
        }
        _ => {
            let colon = content
                .char_indices()
                .find(|&(i, c)| {
                    c == ':'
                        && content[i + 1..]
                            .chars()
                            .next()
                            .is_none_or(char::is_whitespace)
                })
                .map(|(i, _)| i)?;
            (content[..colon].trim_end().to_string(), &content[colon..])
        }
    };
    let value = rest.strip_prefix(':')?;
    Some((key, value))
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start_matches([' ', '\t']).len()
}

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim_start();
    t.is_empty() || t.starts_with('#')
}

/// The lines of `text`, with the Secret values found marked as hidden.
fn scan<'a>(path: &str, text: &'a str) -> Vec<Line<'a>> {
    let lines = lines_of(text);
    // Documents: which lines each holds, and whether it is a Secret.
    let mut doc_of = Vec::with_capacity(lines.len());
    let mut secret_docs = Vec::new();
    let every_doc = path.ends_with(".Secret.yaml");
    for (_, body, _) in &lines {
        if is_document_marker(body) {
            secret_docs.push(every_doc);
        }
        if secret_docs.is_empty() {
            secret_docs.push(every_doc);
        }
        let doc = secret_docs.len() - 1;
        secret_docs[doc] |= says_kind_secret(body);
        doc_of.push(doc);
    }
    let mut out = Vec::with_capacity(lines.len());
    // Inside a `data`/`stringData` block: its name and the key's indentation.
    let mut block: Option<(&'static str, usize)> = None;
    // Inside a hidden value that goes on over more lines: the entry's indentation.
    let mut value_from: Option<usize> = None;
    let mut whole_lines = 0;
    let mut doc_seen = usize::MAX;
    for (i, &(whole, body, ending)) in lines.iter().enumerate() {
        let doc = doc_of[i];
        if doc != doc_seen {
            (block, value_from, doc_seen) = (None, None, doc);
        }
        if !secret_docs[doc] || is_document_marker(body) {
            out.push(Line::Plain(whole));
            continue;
        }
        let indent = indentation(body);
        // A line of the value above: folded into it.
        if let Some(from) = value_from {
            if is_blank_or_comment(body) && block.is_some()
                || indent > from && !body.trim().is_empty()
            {
                if let Some(Line::Hidden { value, .. }) = out.last_mut() {
                    value.push('\n');
                    value.push_str(body);
                }
                continue;
            }
            value_from = None;
        }
        let content = &body[indent..];
        if let Some((section, key_indent)) = block {
            if indent > key_indent || (content.is_empty() && indent > 0) {
                let hidden = match split_key(content) {
                    Some((key, value)) if !content.starts_with("- ") => Line::Hidden {
                        prefix: body[..body.len() - value.len()].to_string() + " ",
                        key: (doc, section, key),
                        value: value.trim().to_string(),
                        suffix: String::new(),
                        ending,
                    },
                    _ => {
                        whole_lines += 1;
                        Line::Hidden {
                            prefix: body[..indent].to_string(),
                            key: (doc, "line", whole_lines.to_string()),
                            value: content.to_string(),
                            suffix: String::new(),
                            ending,
                        }
                    }
                };
                if content.is_empty() {
                    out.push(Line::Plain(whole));
                } else {
                    out.push(hidden);
                    value_from = Some(indent);
                }
                continue;
            }
            block = None;
        }
        let item = content.strip_prefix("- ").unwrap_or(content);
        let key_indent = indent + (content.len() - item.len());
        match split_key(item) {
            Some((key, rest)) if key == "data" || key == "stringData" => {
                let section = if key == "data" { "data" } else { "stringData" };
                let rest_is_empty = is_blank_or_comment(rest);
                if rest_is_empty {
                    block = Some((section, key_indent));
                    out.push(Line::Plain(whole));
                } else {
                    out.push(Line::Hidden {
                        prefix: body[..body.len() - rest.len()].to_string() + " ",
                        key: (doc, section, String::new()),
                        value: rest.trim().to_string(),
                        suffix: String::new(),
                        ending,
                    });
                    value_from = Some(key_indent);
                }
            }
            _ if body.starts_with("# Generated by sg-executor-gen")
                && body.contains("(digest ") =>
            {
                let start = body.find("(digest ").map_or(0, |s| s + "(digest ".len());
                let end = body[start..].find(')').map_or(body.len(), |e| start + e);
                out.push(Line::Hidden {
                    prefix: body[..start].to_string(),
                    key: (doc, "digest", String::new()),
                    value: body[start..end].to_string(),
                    suffix: body[end..].to_string(),
                    ending,
                });
            }
            _ if mentions_data_key(body) => {
                whole_lines += 1;
                out.push(Line::Hidden {
                    prefix: body[..indent].to_string(),
                    key: (doc, "line", whole_lines.to_string()),
                    value: content.to_string(),
                    suffix: String::new(),
                    ending,
                });
            }
            _ => out.push(Line::Plain(whole)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "# Generated by sg-executor-gen (digest 1a7ab185e515d83d); edit the config and rebuild, not this file.
apiVersion: v1
kind: Secret
metadata:
  name: executor-secret
type: Opaque
data:
  EXECUTOR_FRONTEND_PASSWORD: aHVudGVyMg==
  OTHER: c2FtZQ==
";

    #[test]
    fn changed_values_show_before_and_after_equal_ones_stars() {
        let new = SECRET
            .replace("aHVudGVyMg==", "c3dvcmRmaXNo")
            .replace("1a7ab185e515d83d", "0000000000000000");
        let (old, new) = mask_pair("x.Secret.yaml", SECRET, &new);
        let hidden = |side: &str| {
            SECRET
                .replace("1a7ab185e515d83d", &format!("*** ({side})"))
                .replace("aHVudGVyMg==", &format!("*** ({side})"))
                .replace("c2FtZQ==", "***")
        };
        assert_eq!(old, hidden("before"));
        assert_eq!(new, hidden("after"));
    }

    #[test]
    fn other_kinds_are_left_as_they_are() {
        let cm = "kind: ConfigMap\ndata:\n  a: b\n";
        let (old, new) = mask_pair("x.ConfigMap.yaml", cm, cm);
        assert!(matches!((old, new), (Cow::Borrowed(_), Cow::Borrowed(_))));
        let store = "kind: SecretStore\ndata:\n  a: b\n";
        assert_eq!(mask_pair("x.yaml", store, "").0, store);
    }

    #[test]
    fn every_form_a_hand_edit_may_take_is_hidden() {
        let forms = [
            // A block scalar over several lines, with a blank line and a comment in it.
            "kind: Secret\nstringData:\n  pw: |\n    hunter2\n\n    # hunter3\n  b: x\n",
            // Quoted keys and kind, CRLF line ends.
            "\"kind\": \"Secret\"\r\n\"data\":\r\n  \"pw\": hunter2\r\n",
            // Flow mapping over two lines, and JSON on one line.
            "kind: Secret\ndata: {pw: hunter2,\n  b: hunter3}\n",
            "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"data\":{\"pw\":\"hunter2\"}}\n",
            // In a list of objects, and a second document.
            "kind: ConfigMap\n---\nkind: List\nitems:\n- kind: Secret\n  data:\n    pw: hunter2\n",
            // A Secret file whose kind a hand edit hid.
            "kind: !!str Secret\ndata:\n\tpw: hunter2\n",
        ];
        for form in forms {
            let (old, _) = mask_pair("executor.Secret.yaml", form, "");
            assert!(!old.contains("hunter"), "{form:?} shown as {old:?}");
        }
    }
}
