//! What a scalar means, by the reader whose meaning counts.
//!
//! kubectl reads manifests with sigs.k8s.io/yaml: go-yaml v2 types each plain scalar by
//! YAML 1.1 (`0644` is the octal 420, `yes`, `on` and `y` are `true`, `1e3` is 1000), then
//! the tree is made JSON (keys become strings: `true`, `420`; `.inf` cannot be sent at
//! all) and the API server decodes that JSON into its types. [`Schema::Kubectl`] gives the
//! value that JSON holds, so a typed check refuses exactly what the API server would.
//! [`Schema::Core`] is YAML 1.2's core schema as serde_yaml reads it, for the KRM
//! function's own reading of its config (unchanged from before this module existed).

use serde_yaml::{Number, Value};
use yaml_rust2::parser::Tag;
use yaml_rust2::scanner::TScalarStyle;

/// Which reader's meaning a scalar gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// YAML 1.1 as kubectl reads it (go-yaml v2, then JSON).
    Kubectl,
    /// YAML 1.2's core schema, as serde_yaml reads it.
    Core,
}

/// A scalar's value; `Merge` is the plain `<<` key of YAML 1.1's merge keys.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Scalar {
    Value(Value),
    Merge,
}

/// The value of one scalar event, or what is wrong with it in words.
pub(super) fn resolve(
    schema: Schema,
    text: String,
    style: TScalarStyle,
    tag: Option<&Tag>,
) -> Result<Scalar, String> {
    let tag = tag.map(core_tag);
    match schema {
        Schema::Kubectl => kubectl(text, style, tag),
        Schema::Core => Ok(Scalar::Value(core(text, style, tag)?)),
    }
}

/// A tag as go-yaml writes it: `!!int` for the YAML core tags, else as written.
fn core_tag(tag: &Tag) -> String {
    const LONG: &str = "tag:yaml.org,2002:";
    if tag.handle == "!!" || tag.handle == LONG {
        format!("!!{}", tag.suffix)
    } else if let Some(short) = tag.suffix.strip_prefix(LONG) {
        format!("!!{short}")
    } else {
        format!("{}{}", tag.handle, tag.suffix)
    }
}

/// go-yaml v2's reading of a scalar, then sigs.k8s.io/yaml's JSON of it.
fn kubectl(text: String, style: TScalarStyle, tag: Option<String>) -> Result<Scalar, String> {
    let plain = style == TScalarStyle::Plain;
    let resolved = match tag.as_deref() {
        None if plain => v2_resolve(&text),
        None => V2::Str,
        Some("!!str") => V2::Str,
        Some("!!binary") => return base64(&text).map(|s| Scalar::Value(Value::String(s))),
        Some(tag @ ("!!int" | "!!float" | "!!bool" | "!!null" | "!!timestamp")) => {
            let resolved = v2_resolve(&text);
            let found = resolved.tag();
            match (tag, resolved) {
                ("!!float", V2::Int(i)) => V2::Float(i as f64),
                ("!!float", V2::Uint(u)) => V2::Float(u as f64),
                (_, r) if r.tag() == tag => r,
                _ => {
                    return Err(format!(
                        "cannot read {found} `{text}` as {tag}, as kubectl cannot"
                    ))
                }
            }
        }
        // go-yaml keeps the text of a scalar under any other tag.
        Some(_) => V2::Str,
    };
    Ok(match resolved {
        V2::Merge => Scalar::Merge,
        V2::Null => Scalar::Value(Value::Null),
        V2::Bool(b) => Scalar::Value(Value::Bool(b)),
        V2::Int(i) => Scalar::Value(Value::Number(i.into())),
        V2::Uint(u) => Scalar::Value(Value::Number(u.into())),
        V2::Float(f) => Scalar::Value(json_number(f).ok_or_else(|| {
            format!("`{text}` is not a number JSON can hold, so kubectl refuses the file")
        })?),
        V2::Str | V2::Timestamp => Scalar::Value(Value::String(text)),
    })
}

/// A float as the JSON kubectl sends holds it: Go writes an integral float below 1e21
/// without a fraction (`1e3` is sent as `1000`), which the API server reads into an
/// integer field; so it becomes an integer here too. Not-a-number and infinities have no
/// JSON form.
fn json_number(f: f64) -> Option<Value> {
    if !f.is_finite() {
        return None;
    }
    if f.fract() == 0.0 && f.abs() < 1e21 {
        if f >= i64::MIN as f64 && f < i64::MAX as f64 {
            return Some(Value::Number((f as i64).into()));
        }
        if f >= 0.0 && f < u64::MAX as f64 {
            return Some(Value::Number((f as u64).into()));
        }
    }
    Some(Value::Number(Number::from(f)))
}

/// The types go-yaml v2 gives a scalar.
#[derive(Debug, Clone, PartialEq)]
enum V2 {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    /// A plain scalar that looks like a date: kept as its text when read into `interface{}`.
    Timestamp,
    Str,
    Merge,
}

impl V2 {
    fn tag(&self) -> &'static str {
        match self {
            V2::Null => "!!null",
            V2::Bool(_) => "!!bool",
            V2::Int(_) | V2::Uint(_) => "!!int",
            V2::Float(_) => "!!float",
            V2::Timestamp => "!!timestamp",
            V2::Str => "!!str",
            V2::Merge => "!!merge",
        }
    }
}

/// go-yaml v2's `resolve` for an untagged plain scalar (resolve.go, v2.4), step by step:
/// the table of words, then by the first character: a float for `.`, and for a sign or
/// a digit a timestamp, an integer (Go's `ParseInt` with base 0, so `0x1F`, `0o17`,
/// `0b101` and the octal `0644`, with `_` dropped), an unsigned integer, a float of
/// its own pattern; anything else is a string.
fn v2_resolve(text: &str) -> V2 {
    let first = text.bytes().next();
    let hint = match first {
        None => b'N',
        Some(b'+' | b'-') => b'S',
        Some(b'0'..=b'9') => b'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => b'M',
        Some(b'.') => b'.',
        Some(_) => return V2::Str,
    };
    match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return V2::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return V2::Bool(false)
        }
        "" | "~" | "null" | "Null" | "NULL" => return V2::Null,
        ".nan" | ".NaN" | ".NAN" => return V2::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return V2::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return V2::Float(f64::NEG_INFINITY),
        "<<" => return V2::Merge,
        _ => {}
    }
    match hint {
        b'.' => go_float_with_underscores(text).map_or(V2::Str, V2::Float),
        b'D' | b'S' => {
            if is_timestamp(text) {
                return V2::Timestamp;
            }
            let plain = text.replace('_', "");
            if let Some(i) = go_parse_int(&plain) {
                return V2::Int(i);
            }
            if let Some(u) = go_parse_uint(&plain) {
                return V2::Uint(u);
            }
            if is_yaml_style_float(&plain) {
                if let Some(f) = decimal_float(&plain) {
                    return V2::Float(f);
                }
            }
            V2::Str
        }
        _ => V2::Str,
    }
}

/// Go's `strconv.ParseFloat` for the decimal forms go-yaml lets through (`.5`, `1.`,
/// `1e3`, `-2.5E-3`); a value out of range is an error there, so `None` here.
fn decimal_float(text: &str) -> Option<f64> {
    let ok = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    let f: f64 = if ok { text.parse().ok()? } else { return None };
    f.is_finite().then_some(f)
}

/// Go's `strconv.ParseFloat` on a scalar that starts with `.`: as Go's literals, `_` may
/// stand between two digits (`.3_15` is 0.315).
fn go_float_with_underscores(text: &str) -> Option<f64> {
    let b = text.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    // Go's `underscoreOK`: each `_` between two digits.
    let ok = (0..b.len()).all(|i| b[i] != b'_' || (i > 0 && digit(i - 1) && digit(i + 1)));
    if !ok {
        return None;
    }
    decimal_float(&text.replace('_', ""))
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`, go-yaml v2's float pattern.
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Go's `strconv.ParseInt(s, 0, 64)`: an optional sign, then `ParseUint` with base 0.
fn go_parse_int(s: &str) -> Option<i64> {
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let u = go_parse_uint(digits)?;
    if negative {
        if u <= 1 << 63 {
            Some((u as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(u).ok()
    }
}

/// Go's `strconv.ParseUint(s, 0, 64)`: `0b`, `0o`, `0x` (either case) or a leading `0`
/// (octal) choose the base; no sign; `_` was removed before.
fn go_parse_uint(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let b = s.as_bytes();
    let (radix, digits) = if b[0] == b'0' && b.len() >= 3 {
        match b[1].to_ascii_lowercase() {
            b'b' => (2, &s[2..]),
            b'o' => (8, &s[2..]),
            b'x' => (16, &s[2..]),
            _ => (8, &s[1..]),
        }
    } else if b[0] == b'0' {
        (8, &s[1..])
    } else {
        (10, s)
    };
    if digits.is_empty() {
        // Only "0" gets here (a prefix is stripped only with a digit after it).
        return Some(0);
    }
    if !digits.bytes().all(|c| (c as char).is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// go-yaml v2's `parseTimestamp`: four digits and a `-`, then one of the layouts it tries
/// (`2006-1-2`, with ` 15:4:5`, or `T`/`t` and a zone). Read into `interface{}`, such a
/// scalar stays its text; this matters only for an explicit `!!timestamp` tag.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let rest = &s[5..];
    let (date, time) = match rest.find(['T', 't', ' ']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let mut parts = date.split('-');
    let month_day = (parts.next(), parts.next(), parts.next());
    let small = |p: &str| (1..=2).contains(&p.len()) && p.bytes().all(|c| c.is_ascii_digit());
    let date_ok = matches!(month_day, (Some(m), Some(d), None) if small(m) && small(d));
    date_ok
        && time.is_none_or(|t| {
            let clock = t.split(['Z', '+', '-']).next().unwrap_or_default();
            let mut hms = clock.split(':');
            let ok = |p: Option<&str>| p.is_some_and(|p| small(p.split('.').next().unwrap_or(p)));
            ok(hms.next()) && ok(hms.next()) && ok(hms.next())
        })
}

/// `!!binary`: standard base64 (line breaks allowed), as go-yaml decodes it into a string.
fn base64(text: &str) -> Result<String, String> {
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    let mut padding = 0;
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                padding += 1;
                continue;
            }
            _ => return Err(format!("`{text}` is not base64, as `!!binary` requires")),
        };
        if padding > 0 {
            return Err(format!("`{text}` is not base64, as `!!binary` requires"));
        }
        bits = (bits << 6) | u32::from(v);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    String::from_utf8(out).map_err(|_| "a `!!binary` value that is not UTF-8 text".to_string())
}

/// A mapping key as sigs.k8s.io/yaml makes it a JSON key: strings as they are, numbers
/// and booleans as text (`yes:` is the key `true`, `0644:` the key `420`, `1.5:` the key
/// `1.5` as Go prints a 32-bit float); a null or nested key cannot be a JSON key.
pub(super) fn kubectl_key(key: &Value) -> Result<String, String> {
    match key {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) if n.is_i64() => Ok(n.to_string()),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => Ok(go_float32_g(f)),
            // A key above int64 is a uint64 in go-yaml, which sigs.k8s.io/yaml refuses.
            _ => Err(format!("the key `{n}` is too large for kubectl")),
        },
        Value::Null => Err("a null key cannot be a JSON key, so kubectl refuses it".into()),
        _ => Err("a key that is a list or a mapping cannot be a JSON key".into()),
    }
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 32)`, with go-yaml's names for the infinities.
fn go_float32_g(f: f64) -> String {
    let f = f as f32;
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    // The shortest digits that read back as the same f32, and the decimal exponent.
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if negative { "-" } else { "" };
    // Go's shortest 'g' takes %e when the exponent is below -4 or at least 6.
    if !(-4..6).contains(&exp) {
        let (head, tail) = digits.split_at(1);
        let frac = if tail.is_empty() {
            String::new()
        } else {
            format!(".{tail}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{head}{frac}e{esign}{:02}", exp.abs())
    } else if exp >= 0 {
        let point = (exp + 1) as usize;
        if digits.len() <= point {
            format!("{sign}{digits}{}", "0".repeat(point - digits.len()))
        } else {
            format!("{sign}{}.{}", &digits[..point], &digits[point..])
        }
    } else {
        format!("{sign}0.{}{digits}", "0".repeat((-exp - 1) as usize))
    }
}

/// YAML 1.2's core schema as serde_yaml 0.9 reads a scalar (its `visit_untagged_scalar`):
/// null, `true`/`false`, integers (`0x`, `0o`, `0b`; a leading zero makes a string),
/// floats with `.inf` and `.nan`; quoted scalars are strings; `!!str` keeps the text.
fn core(text: String, style: TScalarStyle, tag: Option<String>) -> Result<Value, String> {
    match tag.as_deref() {
        None if style == TScalarStyle::Plain => Ok(core_plain(text)),
        None | Some("!!str") => Ok(Value::String(text)),
        Some(tag @ ("!!int" | "!!float" | "!!bool" | "!!null")) => {
            let value = core_plain(text.clone());
            let fits = match (tag, &value) {
                ("!!int", Value::Number(n)) => !n.is_f64(),
                ("!!float", Value::Number(_)) => true,
                ("!!bool", Value::Bool(_)) => true,
                ("!!null", Value::Null) => true,
                _ => false,
            };
            if fits {
                Ok(value)
            } else {
                Err(format!("`{text}` is not a valid {tag}"))
            }
        }
        Some(_) => Ok(Value::String(text)),
    }
}

fn core_plain(text: String) -> Value {
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Some(n) = core_int(&text) {
        return Value::Number(n);
    }
    let leading_zeros = {
        let s = text.strip_prefix(['-', '+']).unwrap_or(&text);
        s.len() > 1 && s.starts_with('0') && s[1..].bytes().all(|b| b.is_ascii_digit())
    };
    if !leading_zeros {
        if let Some(f) = core_float(&text) {
            return Value::Number(Number::from(f));
        }
    }
    Value::String(text)
}

fn core_int(s: &str) -> Option<Number> {
    let (negative, rest) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let prefixed = [("0x", 16), ("0o", 8), ("0b", 2)]
        .iter()
        .find_map(|(p, radix)| rest.strip_prefix(p).map(|d| (d, *radix)));
    let (digits, radix) = match prefixed {
        Some((d, _)) if d.starts_with(['+', '-']) => return None,
        Some(found) => found,
        None => {
            if rest.starts_with(['+', '-'])
                || (rest.len() > 1 && rest.starts_with('0'))
                || rest.is_empty()
            {
                return None;
            }
            (rest, 10)
        }
    };
    if negative {
        i64::from_str_radix(&format!("-{digits}"), radix)
            .ok()
            .map(Number::from)
    } else {
        u64::from_str_radix(digits, radix).ok().map(Number::from)
    }
}

fn core_float(s: &str) -> Option<f64> {
    let unsigned = match s.strip_prefix('+') {
        Some(u) if u.starts_with(['+', '-']) => return None,
        Some(u) => u,
        None => s,
    };
    match unsigned {
        ".inf" | ".Inf" | ".INF" => return Some(f64::INFINITY),
        _ => {}
    }
    match s {
        "-.inf" | "-.Inf" | "-.INF" => return Some(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        _ => {}
    }
    unsigned.parse::<f64>().ok().filter(|f| f.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kube(text: &str) -> Value {
        match kubectl(text.to_string(), TScalarStyle::Plain, None).unwrap() {
            Scalar::Value(v) => v,
            Scalar::Merge => Value::String("<<".into()),
        }
    }

    /// Each pair was read by kubectl 1.32 (`kubectl label --local -f FILE a=b -o json`).
    #[test]
    fn plain_scalars_read_as_kubectl_reads_them() {
        let cases: [(&str, Value); 24] = [
            ("0644", 420.into()),
            ("0o17", 15.into()),
            ("0O17", 15.into()),
            ("0x1F", 31.into()),
            ("-0x1F", (-31).into()),
            ("0X1F", 31.into()),
            ("1e3", 1000.into()),
            ("1E3", 1000.into()),
            ("12e3", 12000.into()),
            ("0.1e3", 100.into()),
            ("1.e5", 100000.into()),
            ("3.", 3.into()),
            ("1.0", 1.into()),
            ("yes", true.into()),
            ("off", false.into()),
            ("y", true.into()),
            ("1_000", 1000.into()),
            ("0b101", 5.into()),
            ("-0b101", (-5).into()),
            ("08", 8.into()),
            ("00", 0.into()),
            ("+12", 12.into()),
            ("2001-12-14", "2001-12-14".into()),
            ("1:20", "1:20".into()),
        ];
        for (text, want) in cases {
            assert_eq!(kube(text), want, "{text}");
        }
        assert_eq!(kube(".5"), Value::Number(Number::from(0.5)));
        assert_eq!(kube("1_0.5"), Value::Number(Number::from(10.5)));
        assert_eq!(kube(".3_15"), Value::Number(Number::from(0.315)));
        assert_eq!(kube("._5"), Value::from("._5"));
        assert_eq!(kube("~"), Value::Null);
        assert_eq!(
            kube("9223372036854775808"),
            Value::from(9223372036854775808u64)
        );
        assert_eq!(
            kube("0xFFFFFFFFFFFFFFFFFF"),
            Value::from("0xFFFFFFFFFFFFFFFFFF")
        );
        assert_eq!(kube("1e400"), Value::from("1e400"));
        assert!(kubectl(".inf".into(), TScalarStyle::Plain, None).is_err());
        let quoted = kubectl("0644".into(), TScalarStyle::DoubleQuoted, None).unwrap();
        assert_eq!(quoted, Scalar::Value("0644".into()));
    }

    #[test]
    fn keys_become_json_keys_as_kubectl_makes_them() {
        assert_eq!(kubectl_key(&kube("yes")).unwrap(), "true");
        assert_eq!(kubectl_key(&kube("0644")).unwrap(), "420");
        assert_eq!(kubectl_key(&kube("1.1")).unwrap(), "1.1");
        assert_eq!(kubectl_key(&kube("1e-7")).unwrap(), "1e-07");
        assert_eq!(
            kubectl_key(&kube("100000000000000000000000")).unwrap(),
            "1e+23"
        );
        assert_eq!(kubectl_key(&kube("1.5")).unwrap(), "1.5");
        assert_eq!(kubectl_key(&kube("123456.7")).unwrap(), "123456.7");
        assert!(kubectl_key(&Value::Null).is_err());
    }

    #[test]
    fn tags_read_as_go_yaml_reads_them() {
        let tag = |suffix: &str| Tag {
            handle: "tag:yaml.org,2002:".into(),
            suffix: suffix.into(),
        };
        let read = |text: &str, t: &str| {
            resolve(
                Schema::Kubectl,
                text.into(),
                TScalarStyle::DoubleQuoted,
                Some(&tag(t)),
            )
        };
        assert_eq!(read("12", "int"), Ok(Scalar::Value(12.into())));
        assert_eq!(
            read("aGVsbG8=", "binary"),
            Ok(Scalar::Value("hello".into()))
        );
        assert_eq!(read("3", "float"), Ok(Scalar::Value(3.into())));
        assert!(read("x", "int").is_err());
    }

    #[test]
    fn core_reads_as_serde_yaml_reads() {
        for text in [
            "0644", "0o17", "0x1F", "1e3", "yes", "off", "-12", "+12", "1.5", ".inf", "~", "",
            "true", "007", "-0", "1_000", "0b101", "x",
        ] {
            let ours = core(text.into(), TScalarStyle::Plain, None).unwrap();
            let theirs: Value = serde_yaml::from_str(&format!("a: {text}\n")).unwrap();
            let theirs = &theirs["a"];
            match (&ours, theirs) {
                (Value::Number(a), Value::Number(b)) if a.is_f64() => {
                    assert_eq!(a.as_f64(), b.as_f64(), "{text}")
                }
                _ => assert_eq!(&ours, theirs, "{text}"),
            }
        }
    }
}
