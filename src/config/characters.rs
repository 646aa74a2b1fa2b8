//! The characters a config may hold, checked over the whole text before it is parsed.
//!
//! YAML 1.2 allows only its printable set in a stream: no C0 control but tab, line feed and
//! carriage return, no DEL, no C1 control but U+0085, not U+FFFE or U+FFFF, and a
//! byte-order mark only at the very start. yaml-rust2 ends the stream at the first NUL, so
//! whatever followed one was silently ignored. Here every such character is an error at its
//! line and column, and the parser sees U+FFFD in its place, so nothing after it is lost and
//! the key path of the value that held it can still be named. Then the replacements are
//! taken out of the tree, so they cause no second problem (an unknown key `\u{fffd}name`).
//!
//! Values are checked once more after parsing, for what an escape (`"\x7f"`) put there, and
//! for the few printable characters no config value needs (the Unicode line separators).
//! Invisible and bidirectional characters (zero-width, direction marks and overrides, tag
//! characters) are legal and are rendered as written, but each key or value holding one is
//! warned about at its key: no one reviewing the config or the manifests sees them.

use crate::config::source::{path_to_string, Node, NodeValue, Segment};
use crate::diagnostic::{invisible, Location, Problem};
use std::borrow::Cow;

/// The byte-order mark: skipped at the start of the text, an error anywhere else.
const BOM: char = '\u{feff}';
/// What the parser reads in place of a forbidden character: U+FFFD, the replacement character.
const REPLACEMENT: char = '\u{fffd}';

/// The text to parse and the forbidden characters found in it.
pub struct Scanned<'a> {
    /// Without a leading byte-order mark, each forbidden character replaced by U+FFFD.
    pub text: Cow<'a, str>,
    /// Every forbidden character, in file order.
    pub found: Vec<(Location, char)>,
}

/// Whether YAML 1.2 forbids `c` in a stream (c-printable), the byte-order mark included
/// (only the leading one is allowed, and it never reaches this check).
fn forbidden_in_yaml(c: char) -> bool {
    match c {
        '\t' | '\n' | '\r' | '\u{85}' => false,
        BOM | '\u{fffe}' | '\u{ffff}' => true,
        c => c.is_control(),
    }
}

/// Finds every character YAML forbids, with its position as yaml-rust2 counts it (lines
/// end at `\n`, `\r\n` or a lone `\r`; columns count characters from 1).
pub fn scan(text: &str) -> Scanned<'_> {
    let text = text.strip_prefix(BOM).unwrap_or(text);
    let mut found = Vec::new();
    let (mut line, mut column) = (1, 1);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if forbidden_in_yaml(c) {
            found.push((Location::new(line, column), c));
        }
        let ends_line = c == '\n' || (c == '\r' && chars.peek() != Some(&'\n'));
        if ends_line {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    let text = if found.is_empty() {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(
            text.chars()
                .map(|c| if forbidden_in_yaml(c) { REPLACEMENT } else { c })
                .collect(),
        )
    };
    Scanned { text, found }
}

/// One problem for each of the first `limit` characters `found`, located at the key path
/// of the value or key that held it where there is one; then the replacements are removed
/// from the tree.
pub fn forbidden_problems(
    found: &[(Location, char)],
    root: Option<&mut Node>,
    limit: usize,
) -> Vec<Problem> {
    if found.is_empty() {
        return Vec::new();
    }
    let starts = match root {
        Some(root) => {
            let starts = node_starts(root);
            remove_replacements(root);
            starts
        }
        None => Vec::new(),
    };
    found
        .iter()
        .take(limit)
        .map(|&(at, c)| {
            let p = Problem::error(describe(c)).at(at).hint("remove it");
            // The node that starts last before the character holds it, if it holds a replacement.
            let holder = starts.partition_point(|(start, _)| *start <= at);
            match holder.checked_sub(1).and_then(|i| starts[i].1.as_deref()) {
                Some(path) => p.path(path),
                None => p,
            }
        })
        .collect()
}

fn describe(c: char) -> String {
    match c {
        '\0' => "a NUL character (U+0000), which YAML does not allow and which ends the text for some readers".into(),
        BOM => "a byte-order mark (U+FEFF) inside the file; YAML allows one only at the very start".into(),
        '\u{fffe}' | '\u{ffff}' => format!("the noncharacter U+{:04X}, which YAML does not allow", c as u32),
        c => format!("the control character U+{:04X}, which YAML does not allow", c as u32),
    }
}

/// A path as it reads once the replacements are gone.
fn shown(path: &[Segment]) -> String {
    path_to_string(path).replace(REPLACEMENT, "")
}

/// Calls `f` with the text, position and path of every key and scalar, in file order.
fn each_text(node: &Node, path: &mut Vec<Segment>, f: &mut impl FnMut(&str, Location, &[Segment])) {
    match &node.value {
        NodeValue::Scalar(text, _) => f(text, node.at, path),
        NodeValue::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Segment::Index(i));
                each_text(item, path, f);
                path.pop();
            }
        }
        NodeValue::Map(entries) => {
            for (key, value) in entries {
                path.push(Segment::Key(key.name.clone()));
                f(&key.name, key.at, path);
                each_text(value, path, f);
                path.pop();
            }
        }
    }
}

/// Where each key and scalar starts, sorted, with its path when its text holds a
/// replacement.
fn node_starts(root: &Node) -> Vec<(Location, Option<String>)> {
    let mut out = Vec::new();
    each_text(root, &mut Vec::new(), &mut |text, at, path| {
        out.push((at, text.contains(REPLACEMENT).then(|| shown(path))));
    });
    // Stable: an alias's copy keeps its anchor's positions and comes later; the anchor wins.
    out.sort_by_key(|(at, _)| *at);
    out
}

/// Takes the replacements out of every key and value.
fn remove_replacements(node: &mut Node) {
    let clean = |text: &mut String| {
        if text.contains(REPLACEMENT) {
            text.retain(|c| c != REPLACEMENT);
        }
    };
    match &mut node.value {
        NodeValue::Scalar(text, _) => clean(text),
        NodeValue::Seq(items) => items.iter_mut().for_each(remove_replacements),
        NodeValue::Map(entries) => {
            for (key, value) in entries {
                clean(&mut key.name);
                remove_replacements(value);
            }
        }
    }
}

/// Characters no config value needs and YAML readers disagree on, whether written as
/// themselves or as an escape: C0 controls but tab and newline, DEL, C1 controls, the
/// Unicode line separators, the byte-order mark and the noncharacters U+FFFE and U+FFFF.
fn forbidden_in_value(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{2028}' | '\u{2029}' | BOM | '\u{fffe}' | '\u{ffff}')
}

/// Whether a value at `path` becomes an annotation in an object's own metadata: the KRM
/// `metadata.annotations`, or a Service's (`executor.` or `privateDockerRegistry.serviceAnnotations`).
fn is_object_annotation(path: &[Segment]) -> bool {
    let keys: Vec<Option<&str>> = path
        .iter()
        .map(|s| match s {
            Segment::Key(k) => Some(k.as_str()),
            Segment::Index(_) => None,
        })
        .collect();
    matches!(
        keys.as_slice(),
        [Some("metadata"), Some("annotations"), _] | [.., Some("serviceAnnotations"), _]
    )
}

/// A problem for each key or value that holds a character no value may hold.
pub fn value_problems(root: &Node) -> Vec<Problem> {
    let mut out = Vec::new();
    each_text(root, &mut Vec::new(), &mut |text, at, path| {
        if let Some(c) = text.chars().find(|c| forbidden_in_value(*c)) {
            out.push(
                Problem::error(format!(
                    "the value holds the control character U+{:04X}",
                    c as u32
                ))
                .at(at)
                .path(path_to_string(path))
                .hint("remove it; Kubernetes tools read such characters inconsistently"),
            );
        } else if let Some(c) = text.chars().find(|c| invisible(*c).is_some()) {
            let count = text.chars().filter(|c| invisible(*c).is_some()).count();
            let what = invisible(c).unwrap_or_default();
            let more = match count {
                1 => String::new(),
                n => format!(" and {} more invisible character(s)", n - 1),
            };
            out.push(
                Problem::warning(format!(
                    "holds the invisible character U+{:04X} ({what}){more}, rendered as written though no one reading the config or the manifests sees it",
                    c as u32
                ))
                .at(at)
                .path(path_to_string(path))
                .hint("remove it unless it is meant to be there; messages show it escaped"),
            );
        } else if text.starts_with('\t') && text.contains('\n') && is_object_annotation(path) {
            // kubectl kustomize (v5.5) writes such an annotation of an object back as a
            // literal block whose first line starts with a tab, then cannot read its own
            // output; in a pod template, an env value or data it builds fine.
            out.push(
                Problem::error(
                    "the annotation starts with a tab and spans lines, which kubectl kustomize cannot build",
                )
                .at(at)
                .path(path_to_string(path))
                .hint("remove the leading tab, or indent with spaces"),
            );
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::source::parse_document;

    fn at(line: usize, column: usize) -> Location {
        Location::new(line, column)
    }

    #[test]
    fn every_forbidden_character_is_found_with_its_position() {
        let s = scan("a: 1\0\nb: \"x\x07\"\r\nc: \u{ffff}\rd: \u{85}ok\u{feff}\n");
        let found: Vec<_> = s.found.iter().map(|(l, c)| (*l, *c)).collect();
        assert_eq!(
            found,
            vec![
                (at(1, 5), '\0'),
                (at(2, 6), '\x07'),
                (at(3, 4), '\u{ffff}'),
                (at(4, 7), BOM)
            ]
        );
        assert!(!s.text.contains(['\0', '\x07', '\u{ffff}', BOM]));
        assert_eq!(s.text.matches(REPLACEMENT).count(), 4);
    }

    #[test]
    fn a_value_kustomize_cannot_write_back_is_refused_at_its_key() {
        let parsed = parse_document(concat!(
            "metadata:\n  annotations: {a: \"\\t\\n\", b: \"\\tx\", c: \"x\\n\\ty\"}\n",
            "spec:\n  executor:\n    serviceAnnotations: {d: \"\\tx\\ny\"}\n",
            "    env: {E: {value: \"\\tx\\ny\"}}\n",
            "  sourcegraph: {podAnnotations: {f: \"\\t\\n\"}}\n",
        ))
        .unwrap();
        let problems = parsed.problems;
        let paths: Vec<_> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "metadata.annotations.a",
                "spec.executor.serviceAnnotations.d"
            ],
            "{problems:?}"
        );
        assert_eq!(problems[0].at, Some(at(2, 20)));
    }

    #[test]
    fn a_leading_byte_order_mark_is_skipped() {
        let s = scan("\u{feff}a: 1\n");
        assert!(s.found.is_empty());
        assert_eq!(s.text, "a: 1\n");
    }

    #[test]
    fn a_nul_does_not_end_the_text_and_is_located_at_its_key() {
        let parsed = parse_document("a: x\0y\nb: 2\n# \0 in a comment\n").unwrap();
        let (root, problems) = (parsed.root, parsed.problems);
        assert!(root.get("b").is_some(), "the parse went on after the NUL");
        assert_eq!(
            root.get("a").unwrap().value,
            NodeValue::Scalar("xy".into(), crate::config::source::ScalarStyle::Plain),
            "no replacement is left to cause a second problem"
        );
        let shown: Vec<_> = problems.iter().map(|p| (p.at, p.path.as_str())).collect();
        assert_eq!(shown, vec![(Some(at(1, 5)), "a"), (Some(at(3, 3)), "")]);
    }

    #[test]
    fn escaped_control_characters_are_refused_at_their_key() {
        let root =
            parse_document("a: \"x\\x7fy\"\nb: \"tab\\there\\nnext\"\nc:\n  - \"\\u2028\"\n")
                .unwrap()
                .root;
        let problems = value_problems(&root);
        let shown: Vec<_> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(shown, vec!["a", "c[0]"]);
    }

    #[test]
    fn invisible_and_bidirectional_characters_are_warned_about_at_their_key() {
        let root = parse_document(
            "a: \"x\\u200by\"\nb: plain\nc: \"\\u202eevil\\u2066\\u2069\"\n\"k\\u200d\": 1\n",
        )
        .unwrap()
        .root;
        let problems = value_problems(&root);
        let shown: Vec<_> = problems
            .iter()
            .map(|p| (p.severity, p.path.as_str(), p.message.as_str()))
            .collect();
        assert_eq!(shown.len(), 3, "{shown:?}");
        assert!(shown
            .iter()
            .all(|(s, ..)| *s == crate::diagnostic::Severity::Warning));
        assert_eq!(shown[0].1, "a");
        assert!(shown[0]
            .2
            .starts_with("holds the invisible character U+200B (zero width space), "));
        assert!(shown[1].2.starts_with(
            "holds the invisible character U+202E (bidirectional embedding or override) and 2 more"
        ));
        assert_eq!(shown[2].1, "k\u{200d}");
    }
}
