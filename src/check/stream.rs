//! Checks any manifest stream, such as what `kubectl kustomize` builds from the component
//! after a consumer's own transformers and patches: the same typed and wiring checks
//! `render` runs on its own output, namespace by namespace, the value rules the API server
//! applies (`values`), and the ids the stream holds twice. Several sources are checked as
//! one stream; `List` items are objects of their own. Each problem is located at its field
//! (line and column in its source), and objects of kinds the tool cannot type are counted.

use super::{check_objects, typed, values, Finding, Report, Scope};
use crate::config::model::{ROLE, ROLE_BINDING, SERVICE_ACCOUNT};
use crate::config::source::{parse_document, Node, Segment};
use crate::diagnostic::{Location, Problem};
use crate::k8s::resid::ResId;
use crate::render::object::Object;
use crate::yaml::{self, Limits, Schema};
use serde_yaml::Value;
use std::collections::{HashMap, HashSet};

/// Why a stream could not be read at all.
#[derive(Debug, thiserror::Error)]
#[error("{}", .problem.message)]
pub struct StreamError {
    pub problem: Problem,
}

/// What checking a stream found.
#[derive(Debug)]
pub struct StreamReport {
    /// Documents in the stream that are not empty, `List` items counted one by one.
    pub documents: usize,
    /// Every object read, in stream order.
    pub entries: Vec<Entry>,
    /// Namespaces of the objects checked.
    pub namespaces: usize,
    /// Objects of kinds the tool has no type for, by kind (`Kind apiVersion`) with how many,
    /// the most frequent first: reported once, and not counted as checked.
    pub unchecked: Vec<(String, usize)>,
    /// Problems to fix, in stream order.
    pub problems: Vec<Located>,
    /// References to objects the stream does not hold.
    pub outside: Vec<Located>,
}

impl StreamReport {
    /// How many objects were checked: read into their type and checked against each other.
    pub fn checked(&self) -> usize {
        self.entries.iter().filter(|e| e.checked).count()
    }
}

/// One object of the stream: where it starts, and whether the tool could check it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: ResId,
    pub at: Location,
    pub checked: bool,
}

/// A problem (or a note) about an object's field, or about a document that is no object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// Located at the field; its path is the object and the field, as the text report shows.
    pub problem: Problem,
    pub object: Option<ResId>,
    pub field: String,
}

/// One object of the stream: the source and line its document starts on, the document's
/// text (to locate a field in it when something is found there), and for an item of a
/// `List`, its index in `items`.
struct Document {
    source: u16,
    line: usize,
    text: std::ops::Range<usize>,
    item: Option<usize>,
}

/// The items of a document that is a list of objects (`kind: List`, or a typed one like
/// `PodList`), moved out of it; any other document back as it was.
fn list_items(value: Value) -> Result<Vec<Value>, Value> {
    let is_list = value
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k.ends_with("List"))
        && value.get("items").is_some_and(Value::is_sequence);
    match value {
        Value::Mapping(mut list) if is_list => match list.remove("items") {
            Some(Value::Sequence(items)) => Ok(items),
            _ => Err(Value::Mapping(list)),
        },
        value => Err(value),
    }
}

/// Splits one source's YAML stream at its `---` lines and reads each document; a list's
/// items are objects of their own.
fn documents(
    text: &str,
    source: u16,
    docs: &mut Vec<(Document, Value)>,
) -> Result<(), StreamError> {
    // Read within the limits every reader of untrusted YAML keeps, values as kubectl
    // reads them (`crate::yaml`); each document's text is found below by its first line.
    let mut parsed: std::collections::BTreeMap<usize, Value> =
        yaml::documents(text, Schema::Kubectl, Limits::STREAM)
            .map_err(|mut problem| {
                problem.at = problem.at.map(|at| at.in_source(source));
                if problem.hint.is_none() {
                    problem = problem
                        .hint("pass the output of kubectl kustomize, or a file of manifests");
                }
                StreamError { problem }
            })?
            .into_iter()
            .filter(|d| !d.value.is_null())
            .map(|d| (d.line, d.value))
            .collect();
    let mut start_line = 1;
    let mut start_byte = 0;
    let mut chunk = String::new();
    // The documents read from the lines `from..to` (a JSON stream has several, no `---`).
    let mut flush = |chunk: &mut String,
                     from: usize,
                     to: usize,
                     range: std::ops::Range<usize>,
                     docs: &mut Vec<(Document, Value)>| {
        chunk.clear();
        let lines: Vec<usize> = parsed.range(from..to).map(|(l, _)| *l).collect();
        for line in lines {
            let value = parsed.remove(&line).unwrap_or(Value::Null);
            // A list's items are moved out of it, not copied: the list and a copy of each
            // item held at once took twice the memory of the objects.
            let (values, listed) = match list_items(value) {
                Ok(items) => (items, true),
                Err(value) => (vec![value], false),
            };
            for (i, value) in values.into_iter().enumerate() {
                // Each object costs memory beyond its values while it is checked: the
                // documents limit bounds the objects too, a list's items counted one by one.
                if docs.len() >= Limits::STREAM.documents {
                    return Err(StreamError {
                        problem: Problem::error(format!(
                            "the stream holds more than {} objects (a List's items counted one by one)",
                            Limits::STREAM.documents
                        ))
                        .at(Location::new(line, 1).in_source(source))
                        .hint("split it into smaller streams"),
                    });
                }
                let doc = Document {
                    source,
                    line,
                    text: range.clone(),
                    item: listed.then_some(i),
                };
                docs.push((doc, value));
            }
        }
        Ok::<(), StreamError>(())
    };
    let mut byte = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let content = line.strip_suffix('\n').unwrap_or(line);
        let content = content.strip_suffix('\r').unwrap_or(content);
        byte += line.len();
        let marker = content.starts_with("---")
            && content[3..].chars().next().is_none_or(char::is_whitespace);
        if marker || content == "..." {
            flush(
                &mut chunk,
                start_line,
                i + 2,
                start_byte..byte - line.len(),
                docs,
            )?;
            start_line = i + 2;
            start_byte = byte;
            continue;
        }
        chunk.push_str(content);
        chunk.push('\n');
    }
    flush(
        &mut chunk,
        start_line,
        usize::MAX,
        start_byte..text.len(),
        docs,
    )?;
    if !parsed.is_empty() {
        return Err(StreamError {
            problem: Problem::error(
                "internal error: a document was read but not found in the text; please file an issue",
            )
            .at(Location::new(1, 1).in_source(source)),
        });
    }
    Ok(())
}

/// The shared RBAC objects of the native chart's model, which one stack creates.
const SHARED_RBAC: [&str; 3] = [SERVICE_ACCOUNT, ROLE, ROLE_BINDING];

/// Reads and checks a stream.
pub fn check_stream(text: &str) -> Result<StreamReport, StreamError> {
    check_streams(&[text])
}

/// Reads and checks the streams of several sources as one (a problem's location names its
/// source by index).
pub fn check_streams(texts: &[&str]) -> Result<StreamReport, StreamError> {
    let mut read = Vec::new();
    for (source, text) in texts.iter().enumerate() {
        documents(text, u16::try_from(source).unwrap_or(u16::MAX), &mut read)?;
    }
    let (docs, values): (Vec<Document>, Vec<Value>) = read.into_iter().unzip();
    let start = |d: &Document| Location::new(d.line, 1).in_source(d.source);
    let mut problems = Vec::new();
    let mut objects = Vec::new();
    let mut first: HashMap<ResId, usize> = HashMap::new();
    let mut located = Locator::new(texts, &docs);
    for (i, (doc, value)) in docs.iter().zip(values).enumerate() {
        let Some(id) = ResId::of(&value) else {
            problems.push(Located {
                problem: Problem::error("not a Kubernetes object: no kind or metadata.name")
                    .at(located.at(i, ""))
                    .hint("remove the document, or give it a kind and a name"),
                object: None,
                field: String::new(),
            });
            continue;
        };
        if let Some(&earlier) = first.get(&id) {
            let hint = if SHARED_RBAC.contains(&id.name.as_str()) {
                "two stacks create the shared RBAC: set executor.configureRbac: false in all but one".to_string()
            } else {
                let at = start(&docs[earlier]);
                let file = if at.source == doc.source {
                    String::new()
                } else {
                    format!(" of source {}", at.source + 1)
                };
                format!(
                    "the stream already holds it at line {}{file}: keep one, or give the stacks different names",
                    at.line
                )
            };
            problems.push(Located {
                problem: Problem::error("the object is in the stream twice")
                    .at(located.at(i, ""))
                    .path(id.to_string())
                    .hint(hint),
                object: Some(id),
                field: String::new(),
            });
            continue;
        }
        first.insert(id.clone(), i);
        for (field, message) in values::check(&id.kind, &value) {
            problems.push(Located {
                problem: Problem::error(message)
                    .at(located.at(i, &field))
                    .path(format!("{id} {field}")),
                object: Some(id.clone()),
                field,
            });
        }
        objects.push((id, Object::new(value)));
    }
    let unknown: HashSet<&ResId> = objects
        .iter()
        .filter(|(id, o)| !typed::known(&id.kind, &api_version(o)))
        .map(|(id, _)| id)
        .collect();
    let mut unchecked: HashMap<String, usize> = HashMap::new();
    for (id, o) in &objects {
        if unknown.contains(id) {
            *unchecked
                .entry(format!("{} {}", id.kind, api_version(o)).trim().to_string())
                .or_default() += 1;
        }
    }
    let mut unchecked: Vec<(String, usize)> = unchecked.into_iter().collect();
    unchecked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let namespaces = {
        let mut n: Vec<Option<&str>> = objects
            .iter()
            .filter(|(id, _)| !unknown.contains(id))
            .map(|(id, _)| id.namespace.as_deref())
            .collect();
        n.sort();
        n.dedup();
        n.len()
    };
    let Report { findings, outside } =
        check_objects(objects.iter().map(|(id, v)| (id, v)), Scope::Stream);
    let mut locate = |f: Finding, error: bool| {
        let base = if error {
            Problem::error(f.message)
        } else {
            Problem::warning(f.message)
        };
        let at = match first.get(&f.id) {
            Some(&i) => located.at(i, &f.field),
            None => Location::new(1, 1),
        };
        let path = if f.field.is_empty() {
            f.id.to_string()
        } else {
            format!("{} {}", f.id, f.field)
        };
        Located {
            problem: base.at(at).path(path),
            object: Some(f.id),
            field: f.field,
        }
    };
    problems.extend(findings.into_iter().map(|f| locate(f, true)));
    // An object of a kind the tool cannot type is counted in `unchecked`, not noted on its own.
    let outside = outside
        .into_iter()
        .filter(|f| !(f.field == "kind" && unknown.contains(&f.id)))
        .map(|f| locate(f, false))
        .collect();
    problems.sort_by(|a, b| {
        let key = |l: &Located| {
            let p = &l.problem;
            (p.at, p.severity, p.path.clone(), p.message.clone())
        };
        key(a).cmp(&key(b))
    });
    let entries = objects
        .iter()
        .map(|(id, _)| Entry {
            id: id.clone(),
            at: start(&docs[first[id]]),
            checked: !unknown.contains(id),
        })
        .collect();
    Ok(StreamReport {
        documents: docs.len(),
        entries,
        namespaces,
        unchecked,
        problems,
        outside,
    })
}

fn api_version(o: &Object) -> String {
    o.tree()
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Finds the line and column of a field in its document, reading the document's text into
/// a located tree the first time something is found in it. A document that does not read
/// (a YAML feature the located reader refuses) is located at its first line.
struct Locator<'a> {
    texts: &'a [&'a str],
    docs: &'a [Document],
    trees: HashMap<usize, Option<Node>>,
}

impl<'a> Locator<'a> {
    fn new(texts: &'a [&'a str], docs: &'a [Document]) -> Self {
        Locator {
            texts,
            docs,
            trees: HashMap::new(),
        }
    }

    fn at(&mut self, doc: usize, field: &str) -> Location {
        let d = &self.docs[doc];
        let start = Location::new(d.line, 1).in_source(d.source);
        let mut path = Vec::new();
        if let Some(i) = d.item {
            path.push(Segment::Key("items".into()));
            path.push(Segment::Index(i));
        }
        path.extend(field_path(field));
        if path.is_empty() {
            return start;
        }
        let (texts, docs) = (self.texts, self.docs);
        let tree = self.trees.entry(doc).or_insert_with(|| {
            let d = &docs[doc];
            let text = texts.get(usize::from(d.source))?.get(d.text.clone())?;
            parse_document(text).ok().map(|p| p.root)
        });
        match tree {
            Some(root) => {
                // The field's key where the field is there, else where it would go.
                let at = match root.at_path(&path) {
                    Some(_) => root.locate_key(&path),
                    None => root.locate(&path),
                };
                Location::new(d.line + at.line - 1, at.column).in_source(d.source)
            }
            None => start,
        }
    }
}

/// `spec.containers[0].image` as the steps of a path.
fn field_path(field: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    for part in field.split('.').filter(|p| !p.is_empty()) {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            out.push(Segment::Key(key.to_string()));
        }
        while let Some(close) = rest.find(']') {
            match rest[1..close].parse() {
                Ok(i) => out.push(Segment::Index(i)),
                Err(_) => return out,
            }
            rest = &rest[close + 1..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_know_their_first_line() {
        let mut docs = Vec::new();
        documents("a: 1\n---\nb: 2\nc: 3\n--- \n---\nd: 4\n", 0, &mut docs).unwrap();
        let lines: Vec<usize> = docs.iter().map(|(d, _)| d.line).collect();
        assert_eq!(lines, [1, 3, 7]);
    }

    #[test]
    fn a_problem_is_located_at_its_field_in_its_source_and_list_items_count() {
        let good = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n";
        let list = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: b}\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: d}\n  spec:\n    selector: {matchLabels: {app: d}}\n    template:\n      metadata: {labels: {app: d}}\n      spec:\n        containers:\n        - name: c\n          image: i\n          imagePullPolicy: Sometimes\n";
        let report = check_streams(&[good, list]).unwrap();
        assert_eq!(report.documents, 3);
        assert_eq!(report.checked(), 3);
        let p = &report.problems[0].problem;
        assert_eq!(p.at, Some(Location::new(18, 11).in_source(1)), "{p:?}");
        assert!(p.path.ends_with("containers[0].imagePullPolicy"), "{p:?}");
    }

    #[test]
    fn kinds_it_cannot_type_are_counted_not_checked_nor_noted_one_by_one() {
        let foo = |n: &str| format!("apiVersion: x.io/v1\nkind: Foo\nmetadata: {{name: {n}}}\n");
        let stream = [
            foo("a"),
            foo("b"),
            "apiVersion: y.io/v1\nkind: Bar\nmetadata: {name: c}\n".into(),
        ]
        .join("---\n");
        let report = check_stream(&stream).unwrap();
        assert_eq!(report.checked(), 0);
        assert_eq!(report.documents, 3);
        assert_eq!(
            report.unchecked,
            [
                ("Foo x.io/v1".to_string(), 2),
                ("Bar y.io/v1".to_string(), 1)
            ]
        );
        assert!(report.outside.is_empty(), "{:?}", report.outside);
    }

    #[test]
    fn field_paths_are_steps() {
        assert_eq!(
            field_path("spec.containers[0].env[12].name"),
            vec![
                Segment::Key("spec".into()),
                Segment::Key("containers".into()),
                Segment::Index(0),
                Segment::Key("env".into()),
                Segment::Index(12),
                Segment::Key("name".into()),
            ]
        );
    }

    /// Workloads of one shape share one strict read (`shape`), but an unknown field in many
    /// of them is reported on each, and one of another shape is read in full.
    #[test]
    fn an_unknown_field_in_workloads_of_one_shape_is_reported_on_each() {
        let deployment = |name: &str, field: &str| {
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec: {{containers: [{{name: c, image: i, {field}: x}}]}}\n"
            )
        };
        let stream = [
            deployment("a", "imagePullPolicyy"),
            deployment("b", "imagePullPolicyy"),
            deployment("c", "imagePullPolicyy"),
            deployment("d", "imagePullPolicy"),
            deployment("e", "imagePullPolicy"),
            deployment("f", "workingDirr"),
        ]
        .join("---\n");
        let report = check_stream(&stream).unwrap();
        let unknown: Vec<String> = report
            .problems
            .iter()
            .map(|l| format!("{} {}", l.problem.path, l.problem.message))
            .filter(|m| m.contains("imagePullPolicyy") || m.contains("workingDirr"))
            .collect();
        assert_eq!(unknown.len(), 4, "{:#?}", report.problems);
        for name in [
            "Deployment/a ",
            "Deployment/b ",
            "Deployment/c ",
            "Deployment/f ",
        ] {
            assert!(
                unknown.iter().any(|m| m.starts_with(name)),
                "{name}: {unknown:#?}"
            );
        }
    }
}
