//! Writes objects as YAML text that every consumer reads back as exactly the same values.
//!
//! kubectl and kustomize parse YAML 1.1, where a plain `yes`, `on` or `n` is a boolean and
//! `1:20` a number; serde_yaml writes YAML 1.2 and leaves those unquoted. So the tool
//! writes its own output: a string is plain only when no YAML version could read it as
//! anything else, a multi-line string is a literal block, and everything else is
//! double-quoted with escapes. The layout follows kubectl's (two spaces, list items at
//! their key's indentation), and the same value always gives the same bytes.

use serde_yaml::Value;

/// One object as a YAML document (no `---`).
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    write_yaml(value, &mut out);
    out
}

/// Appends one object as a YAML document (no `---`) to `out`.
pub fn write_yaml(value: &Value, out: &mut String) {
    match value {
        Value::Mapping(m) if !m.is_empty() => mapping(m, 0, out),
        Value::Sequence(s) if !s.is_empty() => sequence(s, 0, out),
        other => {
            scalar(other, 0, out);
            out.push('\n');
        }
    }
}

fn pad(out: &mut String, indent: usize) {
    const SPACES: &str = "                                                                ";
    match SPACES.get(..indent) {
        Some(spaces) => out.push_str(spaces),
        None => out.extend(std::iter::repeat_n(' ', indent)),
    }
}

fn mapping(m: &serde_yaml::Mapping, indent: usize, out: &mut String) {
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 {
            pad(out, indent);
        }
        key(k, out);
        out.push(':');
        value_after_key(v, indent, out);
    }
}

fn sequence(s: &[Value], indent: usize, out: &mut String) {
    for (i, item) in s.iter().enumerate() {
        if i > 0 {
            pad(out, indent);
        }
        out.push_str("- ");
        match item {
            Value::Mapping(m) if !m.is_empty() => mapping(m, indent + 2, out),
            Value::Sequence(s) if !s.is_empty() => sequence(s, indent + 2, out),
            other => {
                scalar(other, indent + 2, out);
                out.push('\n');
            }
        }
    }
}

fn value_after_key(v: &Value, indent: usize, out: &mut String) {
    match v {
        Value::Mapping(m) if !m.is_empty() => {
            out.push('\n');
            pad(out, indent + 2);
            mapping(m, indent + 2, out);
        }
        Value::Sequence(s) if !s.is_empty() => {
            out.push('\n');
            pad(out, indent);
            sequence(s, indent, out);
        }
        other => {
            out.push(' ');
            scalar(other, indent + 2, out);
            out.push('\n');
        }
    }
}

fn key(k: &Value, out: &mut String) {
    match k {
        // A key stays on its line: plain when safe, else double-quoted with escapes.
        Value::String(s) => string(s, out),
        other => {
            let mut text = String::new();
            scalar(other, 0, &mut text);
            double_quoted(&text, out);
        }
    }
}

fn scalar(v: &Value, indent: usize, out: &mut String) {
    use std::fmt::Write as _;
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) if is_plain_word(s) => out.push_str(s),
        Value::String(s) if s.contains('\n') => {
            if !block(s, indent, out) {
                double_quoted(s, out);
            }
        }
        // Not a plain word and on one line: what `string` would decide, minus the tests
        // already made above.
        Value::String(s) if is_plain_safe(s) => out.push_str(s),
        Value::String(s) => double_quoted(s, out),
        Value::Mapping(_) => out.push_str("{}"),
        Value::Sequence(_) => out.push_str("[]"),
        Value::Tagged(t) => scalar(&t.value, indent, out),
    }
}

/// How a string of one line is written wherever it stands as a value (the same bytes at
/// every indentation); `None` for a string of several lines, whose text depends on it.
pub fn one_line_string(s: &str) -> Option<String> {
    if s.contains('\n') {
        return None;
    }
    let mut out = String::new();
    string(s, &mut out);
    Some(out)
}

fn string(s: &str, out: &mut String) {
    if is_plain_word(s) || (!s.contains('\n') && is_plain_safe(s)) {
        out.push_str(s);
    } else {
        double_quoted(s, out);
    }
}

/// The common case, decided in one pass: a string that starts with a letter and holds only
/// printable ASCII without spaces is plain unless it ends in `:` or is one of the words
/// below. Most keys and values are such; anything else takes the full rules.
fn is_plain_word(s: &str) -> bool {
    let bytes = s.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if !first.is_ascii_alphabetic() || *last == b':' {
        return false;
    }
    let mut underscores = 0;
    for &b in bytes {
        match b {
            b'_' => underscores += 1,
            0x21..=0x7e => {}
            _ => return false,
        }
    }
    // The words: null and the booleans (at most five letters), and the infinities and NaN
    // YAML 1.1 readers find once they drop underscores.
    let first = first.to_ascii_lowercase();
    let special = bytes.len() <= 5
        && matches!(first, b'n' | b't' | b'f' | b'y' | b'o')
        && SPECIAL_WORDS.iter().any(|w| w.eq_ignore_ascii_case(s));
    let letters = bytes.len() - underscores;
    let non_finite = matches!(letters, 3 | 8) && matches!(first, b'i' | b'n') && {
        let word = || bytes.iter().filter(|b| **b != b'_');
        ["inf", "infinity", "nan"].iter().any(|w| {
            w.len() == letters
                && w.bytes()
                    .zip(word())
                    .all(|(a, b)| a == b.to_ascii_lowercase())
        })
    };
    let plain = !special && !non_finite;
    debug_assert_eq!(plain, is_plain_safe(s), "{s:?}");
    plain
}

/// Words YAML 1.1 or 1.2 reads as null or a boolean, in any case, and the two YAML 1.1
/// reads as its merge (`<<`) and value (`=`) keys, which PyYAML refuses as values.
const SPECIAL_WORDS: [&str; 13] = [
    "", "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n", "=", "<<",
];

fn is_plain_safe(s: &str) -> bool {
    if s.starts_with(' ') || s.ends_with(' ') || reads_as_non_string(s) {
        return false;
    }
    let first = s.chars().next().unwrap_or(' ');
    if "-?:,[]{}#&*!|>'\"%@`".contains(first)
        && !(first == '-' && s.len() > 1 && !s[1..].starts_with(' '))
    {
        return false;
    }
    if s.ends_with(':') || s.starts_with("---") || s.starts_with("...") {
        return false;
    }
    // One pass over the bytes: `: ` and ` #` end a plain scalar, and no control character
    // or space other than ` ` may stand in one.
    let bytes = s.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let next = bytes.get(i + 1).copied();
        let breaks = (b == b':' && next == Some(b' ')) || (b == b' ' && next == Some(b'#'));
        if breaks || b < 0x20 || b == 0x7f {
            return false;
        }
    }
    s.is_ascii() || !s.chars().any(|c| c.is_control() || is_special_unicode(c))
}

/// Whether PyYAML (YAML 1.1), go-yaml v2 (kubectl, the API server), go-yaml v3
/// (kustomize) or the YAML 1.2 core schema could read `s`, written plain, as anything but
/// a string: null, a boolean, a merge or value key, a timestamp, or a number in any of
/// their spellings (`0o17`, `017`, `0b1010`, `1_000`, sexagesimal `1:20`, `.inf`, Go's
/// `+Inf` and hex floats `0x1p-2`). Where unsure, it says yes: quoting a string costs two
/// characters.
fn reads_as_non_string(s: &str) -> bool {
    if (s.len() <= 5 && SPECIAL_WORDS.iter().any(|w| w.eq_ignore_ascii_case(s)))
        || looks_like_timestamp(s)
    {
        return true;
    }
    // YAML 1.1 readers drop underscores from anything that starts like a number.
    let mut unsigned = s.chars().filter(|c| *c != '_').peekable();
    let _sign = unsigned.next_if(|c| matches!(c, '-' | '+'));
    let numberish = unsigned
        .peek()
        .is_some_and(|c| c.is_ascii_digit() || *c == '.');
    // go-yaml v2 hands a plain scalar that starts with a sign to Go's strconv.ParseFloat,
    // which takes infinities and NaN in any case; YAML spells them `.inf` and `.nan`.
    let mut word = [0u8; 8];
    let mut len = 0;
    for c in unsigned.skip_while(|c| *c == '.') {
        if len == word.len() || !c.is_ascii() {
            len = usize::MAX;
            break;
        }
        word[len] = c.to_ascii_lowercase() as u8;
        len += 1;
    }
    if matches!(word.get(..len), Some(b"inf" | b"infinity" | b"nan")) {
        return true;
    }
    let only_number_chars = s
        .bytes()
        .all(|c| c.is_ascii_hexdigit() || b"xXoOpP._:+-iInN".contains(&c));
    numberish && only_number_chars
}

/// YAML 1.1 reads `2001-12-14` and everything after it as a timestamp.
fn looks_like_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    digits(0..4) && b.get(4) == Some(&b'-') && b.get(5).is_some_and(u8::is_ascii_digit)
}

fn is_special_unicode(c: char) -> bool {
    matches!(
        c,
        '\u{85}' | '\u{a0}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
    ) || ('\u{80}'..='\u{9f}').contains(&c)
}

/// Writes a literal block (`|`), when the text allows one to keep every character; false
/// (and nothing written) when it does not.
fn block(s: &str, indent: usize, out: &mut String) -> bool {
    let body = s.trim_end_matches('\n');
    let trailing = s.len() - body.len();
    let chomp = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    // The first line with text sets the block's indentation, so it must not start with blanks.
    let first_text = body.split('\n').find(|l| !l.is_empty()).unwrap_or_default();
    let safe = !first_text.is_empty()
        && !first_text.starts_with([' ', '\t'])
        && !body.chars().any(|c| {
            (c.is_control() && c != '\n' && c != '\t') || is_special_unicode(c) || c == '\r'
        });
    if !safe {
        return false;
    }
    out.push('|');
    out.push_str(chomp);
    let mut lines: Vec<&str> = s.split('\n').collect();
    if s.ends_with('\n') {
        lines.pop();
    }
    for line in lines {
        out.push('\n');
        if !line.is_empty() {
            pad(out, indent);
            out.push_str(line);
        }
    }
    true
}

fn double_quoted(s: &str, out: &mut String) {
    use std::fmt::Write as _;
    out.reserve(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || is_special_unicode(c) => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_one_pass_test_agrees_with_the_full_rules() {
        for word in [
            "inf",
            "INF",
            "in_f",
            "i_n_f",
            "infinity",
            "Infinity",
            "in_fin_ity",
            "infinity_",
            "nan",
            "NaN",
            "na_n",
            "nana",
            "info",
            "nano",
            "on",
            "On",
            "off",
            "y",
            "Yes",
            "no",
            "null",
            "Null",
            "true",
            "tru",
            "false",
            "falsey",
            "name",
            "app",
            "env",
            "a:",
            "a:b",
            "A_1",
            "x#y",
            "q1",
            "executor-q00001",
            "EXECUTOR_QUEUE_NAME",
            "n",
            "N",
            "o",
        ] {
            let full = !word.contains('\n') && is_plain_safe(word);
            assert_eq!(is_plain_word(word) || full, full, "{word}");
            if word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                assert_eq!(is_plain_word(word), full, "{word}");
            }
        }
    }

    fn round_trip(v: &Value) {
        let text = to_yaml(v);
        let back: Value = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(&back, v, "{text}");
    }

    /// Every plain value that PyYAML, go-yaml v2/v3 or the YAML 1.2 core schema reads as
    /// something other than a string (the research's experiment table, and more).
    const NOT_STRINGS: &[&str] = &[
        "yes",
        "No",
        "on",
        "OFF",
        "y",
        "Y",
        "n",
        "N",
        "true",
        "True",
        "TRUE",
        "False",
        "null",
        "Null",
        "NULL",
        "~",
        "",
        "<<",
        "=",
        "10",
        "-1",
        "+12",
        "09",
        "017",
        "0o17",
        "0O17",
        "0x1F",
        "0X1f",
        "0b1010",
        "-0b1",
        "1_000",
        "-_0",
        "+_1_0",
        "1:20",
        "190:20:30",
        "1:20.5",
        "-1:20",
        "1e3",
        "1E-3",
        "0.1e1",
        "+.5",
        ".5",
        "5.",
        ".inf",
        ".Inf",
        "-.inf",
        "+.INF",
        ".nan",
        ".NaN",
        "+inf",
        "-Inf",
        "+INFINITY",
        "-infinity",
        "inf",
        "NaN",
        "0x1p-2",
        "0X1.8P1",
        "-0x1p3",
        "2001-12-14",
        "2001-12-14t21:59:43.10-05:00",
        "2001-12-14 21:59:43.10 -5",
        "2002-1-1",
    ];

    #[test]
    fn yaml_1_1_booleans_and_numbers_are_quoted() {
        for s in NOT_STRINGS {
            let out = to_yaml(&Value::String((*s).into()));
            assert!(out.starts_with('"'), "{s} -> {out}");
        }
        // As keys too, and every one reads back as the same string.
        let m: serde_yaml::Mapping = NOT_STRINGS
            .iter()
            .map(|s| (Value::String((*s).into()), Value::String((*s).into())))
            .collect();
        round_trip(&Value::Mapping(m));
        for s in [
            "10Gi",
            "500m",
            "batches",
            "http://x:30080",
            "tcp://127.0.0.1:2375",
            "-f",
            "/usr/bin/pgrep",
            "app.kubernetes.io/name",
            "info",
            "nanny",
            "infinite-loop",
            "=x",
            "<<x",
        ] {
            assert_eq!(to_yaml(&Value::String(s.into())), format!("{s}\n"));
        }
    }

    #[test]
    fn hostile_strings_stay_one_scalar() {
        let doc: Value = serde_yaml::from_str("a: 1").unwrap();
        let mut m = doc.as_mapping().unwrap().clone();
        m.insert(
            Value::String("key\nwith: newline".into()),
            Value::String("v".into()),
        );
        for (i, s) in [
            "x\n---\nkind: Secret",
            "\"quoted\" {braces} [x]",
            "a: b # c",
            "- item",
            "  lead",
            "tab\tin",
            "a\u{85}b",
            "a\u{2028}b",
            "trail\n\n",
            "\nleading newline",
            "x\r\ny",
        ]
        .iter()
        .enumerate()
        {
            m.insert(Value::String(format!("k{i}")), Value::String((*s).into()));
        }
        round_trip(&Value::Mapping(m));
    }

    #[test]
    fn layout_matches_kubectl() {
        let v: Value = serde_yaml::from_str("metadata: {name: x, labels: {a: b}}\nspec: {ports: [{name: http, port: 80}], empty: {}, none: []}\ndata: {j: \"{\\n  \\\"a\\\": 1\\n}\\n\"}").unwrap();
        assert_eq!(
            to_yaml(&v),
            "metadata:\n  name: x\n  labels:\n    a: b\nspec:\n  ports:\n  - name: http\n    port: 80\n  empty: {}\n  none: []\ndata:\n  j: |\n    {\n      \"a\": 1\n    }\n"
        );
        round_trip(&v);
    }
}
