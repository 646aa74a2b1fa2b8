//! `check`'s report in the forms CI reads: JSON (one document: the counts, every problem
//! and note with its source, line, column, object and field) and JUnit XML (one test case
//! per object, failed by its problems, skipped when its kind cannot be checked), besides the
//! text lines. The same report, the same bytes.

use super::stream::{Located, StreamReport};
use crate::diagnostic::{Origin, Origins, Severity};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The JSON report.
pub fn json(report: &StreamReport, origins: &Origins, strict: bool) -> String {
    #[derive(Serialize)]
    struct Json<'a> {
        ok: bool,
        documents: usize,
        checked: usize,
        namespaces: usize,
        unchecked: Vec<Unchecked<'a>>,
        problems: Vec<Item<'a>>,
        /// Notes: references to objects the stream does not hold.
        warnings: Vec<Item<'a>>,
    }
    #[derive(Serialize)]
    struct Unchecked<'a> {
        kind: &'a str,
        count: usize,
    }
    let (problems, warnings) = split(report, strict);
    let out = Json {
        ok: passed(report, strict),
        documents: report.documents,
        checked: report.checked(),
        namespaces: report.namespaces,
        unchecked: report
            .unchecked
            .iter()
            .map(|(kind, count)| Unchecked {
                kind,
                count: *count,
            })
            .collect(),
        problems: problems.iter().map(|l| item(l, origins)).collect(),
        warnings: warnings.iter().map(|l| item(l, origins)).collect(),
    };
    let mut text = serde_json::to_string_pretty(&out).unwrap_or_default();
    text.push('\n');
    text
}

/// Whether the stream passes: no problem, and with `strict` no note and nothing unchecked.
pub fn passed(report: &StreamReport, strict: bool) -> bool {
    report.problems.is_empty()
        && !(strict && (!report.outside.is_empty() || !report.unchecked.is_empty()))
}

/// The problems and the notes; with `strict`, the notes are problems too.
fn split(report: &StreamReport, strict: bool) -> (Vec<&Located>, Vec<&Located>) {
    let problems = report.problems.iter();
    if strict {
        (problems.chain(&report.outside).collect(), Vec::new())
    } else {
        (problems.collect(), report.outside.iter().collect())
    }
}

#[derive(Serialize)]
struct Item<'a> {
    severity: &'static str,
    source: &'a str,
    line: Option<usize>,
    column: Option<usize>,
    kind: Option<&'a str>,
    name: Option<&'a str>,
    namespace: Option<&'a str>,
    field: &'a str,
    message: &'a str,
    hint: Option<&'a str>,
}

fn item<'a>(l: &'a Located, origins: &'a Origins) -> Item<'a> {
    let p = &l.problem;
    Item {
        severity: match p.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        },
        source: source_name(origins, p.at.map_or(0, |a| a.source)),
        line: p.at.map(|a| a.line),
        column: p.at.map(|a| a.column),
        kind: l.object.as_ref().map(|id| id.kind.as_str()),
        name: l.object.as_ref().map(|id| id.name.as_str()),
        namespace: l.object.as_ref().and_then(|id| id.namespace.as_deref()),
        field: &l.field,
        message: &p.message,
        hint: p.hint.as_deref(),
    }
}

fn source_name(origins: &Origins, source: u16) -> &str {
    match origins.0.get(usize::from(source)) {
        Some(Origin::File(n) | Origin::Argument(n)) => n,
        None => origins.primary(),
    }
}

/// The JUnit XML report: a test case per object (`classname` its namespace), failed with
/// one `<failure>` per problem, skipped when its kind cannot be checked; a document that is
/// no object is a failed case of its own. Notes go to the case's `<system-out>`.
pub fn junit(report: &StreamReport, origins: &Origins, strict: bool) -> String {
    let (problems, warnings) = split(report, strict);
    let mut by_object: BTreeMap<Option<String>, (Vec<&Located>, Vec<&Located>)> = BTreeMap::new();
    for p in &problems {
        by_object
            .entry(p.object.as_ref().map(ToString::to_string))
            .or_default()
            .0
            .push(p);
    }
    for w in &warnings {
        by_object
            .entry(w.object.as_ref().map(ToString::to_string))
            .or_default()
            .1
            .push(w);
    }
    let line = |l: &Located| l.problem.display_in(origins, false).to_string();
    let mut cases = String::new();
    let (mut tests, mut failures, mut skipped) = (0, 0, 0);
    for e in &report.entries {
        tests += 1;
        let class = e.id.namespace.as_deref().unwrap_or("(no namespace)");
        let name = format!("{}/{}", e.id.kind, e.id.name);
        let file = source_name(origins, e.at.source);
        let _ = write!(
            cases,
            "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\"",
            xml(class),
            xml(&name),
            xml(file),
            e.at.line
        );
        let (fails, notes) = by_object
            .remove(&Some(e.id.to_string()))
            .unwrap_or_default();
        if fails.is_empty() && notes.is_empty() && e.checked {
            cases.push_str("/>\n");
            continue;
        }
        cases.push_str(">\n");
        if !e.checked {
            skipped += 1;
            let _ = writeln!(
                cases,
                "      <skipped message=\"the tool cannot check objects of this kind\"/>"
            );
        }
        if !fails.is_empty() {
            failures += 1;
        }
        for f in &fails {
            let _ = writeln!(
                cases,
                "      <failure message=\"{}\" type=\"error\">{}</failure>",
                xml(&f.problem.message),
                xml(&line(f))
            );
        }
        if !notes.is_empty() {
            let text: Vec<String> = notes.iter().map(|n| line(n)).collect();
            let _ = writeln!(
                cases,
                "      <system-out>{}</system-out>",
                xml(&text.join("\n"))
            );
        }
        cases.push_str("    </testcase>\n");
    }
    // What belongs to no object of the list: documents that are no object.
    for (object, (fails, _)) in by_object {
        for f in fails {
            tests += 1;
            failures += 1;
            let at = f.problem.at.map_or(0, |a| a.line);
            let name = object
                .clone()
                .unwrap_or_else(|| format!("document at line {at}"));
            let _ = writeln!(
                cases,
                "    <testcase classname=\"(stream)\" name=\"{}\">\n      <failure message=\"{}\" type=\"error\">{}</failure>\n    </testcase>",
                xml(&name),
                xml(&f.problem.message),
                xml(&line(f))
            );
        }
    }
    if strict && !report.unchecked.is_empty() {
        failures += 1;
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"sg-executor-gen check\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n  <testsuite name=\"sg-executor-gen check\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n{cases}  </testsuite>\n</testsuites>\n"
    )
}

/// Text as XML character data or an attribute value; characters XML 1.0 cannot hold at all
/// (controls other than tab and newline) are written as `\u{…}`.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            c if c.is_control() || matches!(c, '\u{fffe}' | '\u{ffff}') => {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::stream::check_streams;

    // `ns`, not `n`: kubectl reads a plain `n` as the boolean false (YAML 1.1).
    const STREAM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: ns}\n---\napiVersion: x.io/v1\nkind: Foo\nmetadata: {name: f}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: ns}\nspec:\n  selector: {matchLabels: {app: d}}\n  template:\n    metadata: {labels: {app: d}}\n    spec:\n      containers: [{name: c, image: i, imagePullPolicy: \"<bad>\"}]\n";

    #[test]
    fn junit_has_a_case_per_object_failed_skipped_or_passed() {
        let report = check_streams(&[STREAM]).unwrap();
        let xml = junit(&report, &Origins::file("m.yaml"), false);
        assert!(
            xml.contains("tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\""),
            "{xml}"
        );
        assert!(
            xml.contains(
                "<testcase classname=\"ns\" name=\"ConfigMap/a\" file=\"m.yaml\" line=\"1\"/>"
            ),
            "{xml}"
        );
        assert!(xml.contains("<skipped message="), "{xml}");
        assert!(
            xml.contains("<failure message=\"`&lt;bad&gt;` is not an image pull policy"),
            "{xml}"
        );
        assert!(xml.contains(">m.yaml:17:40: error: Deployment/d (namespace ns) spec.template.spec.containers[0].imagePullPolicy: "), "{xml}");
    }

    #[test]
    fn json_names_source_line_object_and_field() {
        let report = check_streams(&[STREAM]).unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&json(&report, &Origins::file("m.yaml"), false)).unwrap();
        assert_eq!(v["ok"], false);
        assert_eq!(v["checked"], 2);
        assert_eq!(v["unchecked"][0]["kind"], "Foo x.io/v1");
        let p = &v["problems"][0];
        assert_eq!(
            (
                &p["source"],
                &p["line"],
                &p["kind"],
                &p["name"],
                &p["namespace"]
            ),
            (
                &"m.yaml".into(),
                &17.into(),
                &"Deployment".into(),
                &"d".into(),
                &"ns".into()
            )
        );
        assert_eq!(
            p["field"],
            "spec.template.spec.containers[0].imagePullPolicy"
        );
    }
}
