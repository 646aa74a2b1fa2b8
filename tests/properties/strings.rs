//! The strings the properties put in free-form values and names: text built to break a
//! YAML writer or reader or a template (newlines, `---`, `kind: Secret`, quotes, YAML 1.1
//! booleans, number-like text, unicode), kept to the characters the tool accepts, and the
//! names Kubernetes allows (DNS labels and subdomains, label and annotation keys, env var
//! names). The config model, the arbitrary input and the edge cases draw on these.

use super::MANAGED_ENV;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use serde_yaml::Value;

/// What the tool accepts in a value: no control characters but tab and newline, none of
/// the line separators, the byte-order mark or the noncharacters U+FFFE and U+FFFF (refused
/// on purpose, see source.rs; `noncharacters_in_values_render_or_are_refused` covers those).
fn allowed_char(c: char) -> bool {
    let refused = (c.is_control() && c != '\n' && c != '\t')
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
        );
    !refused
}

/// Strings chosen to break a YAML writer or reader, or a template.
#[rustfmt::skip]
const HOSTILE: &[&str] = &[
    "", " ", "  leading spaces", "trailing space ", "\n", "\n\n", " \n", "\n ", "\t",
    "tab\there", "a\nb", "a\n\n\nb\n\n", "\nleading newline", "  \nindented first line",
    "x\n---\nkind: Secret\nmetadata:\n  name: evil\n", "\"\n---\n", "---", "--- !!str",
    "...", "kind: Secret", "apiVersion: v1\nkind: Secret", "{a: b}", "[1, 2]",
    "{{ c.name }}", "{% if true %}x{% endif %}", "{# comment #}", "'single'", "\"double\"",
    "''", "\"\"", "# comment", "a #b", "a: b", "key:", ":", "-", "- item", "-- x", "? q",
    "yes", "no", "on", "off", "Yes", "NO", "y", "n", "true", "False", "null", "Null", "~",
    "0", "-1", "+12", "007", "0x1F", "0o17", "0b101", "1e3", "1E-3", ".5", "+.inf", ".NaN",
    "1_000", "1:20", "12:30:45", "2001-12-14", "2001-12-14t21:59:43.10-05:00",
    "2001-12-14 21:59:43.10 -5", "<<", "=", "&a", "*a", "!tag", "!!binary aGk=",
    "%YAML 1.2", "@x", "`x`", "|", ">", "|-\n  x", "x: |\n  y", "\\", "a\\nb", "\\u0041",
    "é", "日本語", "🦀", "𝕏", "\u{a0}nbsp", "\u{fffd}\u{fdd0}\u{10ffff}", "\u{3000}",
    "zero\u{200b}width", "$(rm -rf /)", "${HOME}", "%s %d", "50GB", "tcp://0.0.0.0:2375",
    "-_0", "+_1_0",
];

fn filtered(s: String) -> String {
    s.chars().filter(|c| allowed_char(*c)).collect()
}

pub(super) fn hostile() -> BoxedStrategy<String> {
    let piece = prop_oneof![
        select(HOSTILE).prop_map(str::to_string),
        any::<char>().prop_map(|c| filtered(c.to_string())),
        "[ a-zA-Z0-9:#{}\\[\\]'\"\n\t,&*!|>%@`~-]{1,6}",
    ];
    prop_oneof![
        2 => select(HOSTILE).prop_map(str::to_string),
        3 => vec(piece, 0..6).prop_map(|p| p.concat()),
        1 => "\\PC{0,24}".prop_map(filtered),
    ]
    // An object annotation that starts with a tab and spans lines is refused on purpose:
    // kubectl kustomize cannot build it (characters.rs, and a test in consumers.rs).
    .prop_map(|s| {
        if s.starts_with('\t') && s.contains('\n') {
            format!("x{s}")
        } else {
            s
        }
    })
    .boxed()
}

pub(super) fn non_empty(s: BoxedStrategy<String>) -> BoxedStrategy<String> {
    s.prop_map(|s| if s.is_empty() { "x".into() } else { s })
        .boxed()
}

pub(super) fn dns_label() -> BoxedStrategy<String> {
    "[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?".boxed()
}

pub(super) fn subdomain() -> BoxedStrategy<String> {
    "[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?){0,2}".boxed()
}

fn key_name() -> BoxedStrategy<String> {
    "[A-Za-z0-9]([A-Za-z0-9_.-]{0,16}[A-Za-z0-9])?".boxed()
}

/// A label or annotation key: `[prefix/]name`.
pub(super) fn qualified_key() -> BoxedStrategy<String> {
    prop_oneof![
        select(
            &[
                "team",
                "example.com/owner",
                "prometheus.io/scrape",
                "cluster-autoscaler.kubernetes.io/safe-to-evict",
                "a",
            ][..]
        )
        .prop_map(str::to_string),
        key_name(),
        (subdomain(), key_name()).prop_map(|(p, n)| format!("{p}/{n}")),
    ]
    .boxed()
}

/// An annotation key: a qualified name that YAML does not read as a number or boolean
/// (kubectl kustomize cannot build those, so the tool refuses them). YAML 1.1 readers
/// count too: `00` is a string to serde_yaml but an octal number to kustomize, so the
/// tool's own rule decides.
pub(super) fn annotation_key() -> BoxedStrategy<String> {
    qualified_key()
        .prop_filter("reads as a YAML scalar", |k| {
            let v: serde_yaml::Value = serde_yaml::from_str(k).unwrap_or(Value::Null);
            matches!(v, Value::String(_)) && sg_executor_gen::config::node_de::is_plain_string(k)
        })
        .boxed()
}

pub(super) fn label_value() -> BoxedStrategy<String> {
    "([A-Za-z0-9]([A-Za-z0-9_.-]{0,16}[A-Za-z0-9])?)?".boxed()
}

pub(super) fn env_name() -> BoxedStrategy<String> {
    prop_oneof![
        select(&["SRC_HEADER_X_TEAM", "HTTP_PROXY", "no_proxy", "A", "x.y-z"][..])
            .prop_map(str::to_string),
        "[A-Za-z_][A-Za-z0-9_.-]{0,15}",
    ]
    .prop_filter("managed by the tool", |n| {
        !MANAGED_ENV.contains(&n.as_str())
    })
    .boxed()
}
