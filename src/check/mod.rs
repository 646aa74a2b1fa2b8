//! Phase 3, the typed check: every object is read into its `k8s-openapi` type (keys that do
//! not survive the round trip are unknown fields), its required fields are checked, and the
//! objects are checked against each other, namespace by namespace (`wiring`, `pod`), and as
//! an executor needs them (`executor`: dockerd's mirrors, the executor's claim). `check`
//! runs it on the bundle `render` assembled, before anything prints it; `stream` runs it on
//! any manifest stream, such as what `kubectl kustomize` built from the component after a
//! consumer's own patches. Objects are read as the plain trees they are (`Object::tree`);
//! workloads of one shape share one strict read (`shape`).
//!
//! On the tool's own output a finding is a bug in the tool, reported as an internal error
//! naming the object and the field; on a stream it is the admin's problem to fix.

mod drain;
mod executor;
mod index;
mod pod;
pub mod report;
mod scaling;
mod shape;
mod size;
pub mod stream;
mod typed;
mod values;
mod wiring;

use crate::k8s::resid::ResId;
use crate::parallel;
use crate::render::object::Object;
use index::Indexes;
use std::collections::HashMap;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub id: ResId,
    pub field: String,
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.id, self.field, self.message)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("internal error: the generated manifests failed the typed check; please file an issue with your config\n{}", .findings.iter().map(|f| format!("  {f}")).collect::<Vec<_>>().join("\n"))]
pub struct CheckError {
    pub findings: Vec<Finding>,
}

/// What the checked objects are, which decides what may live outside them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The tool's own stack: only what the admin provides (the frontend password's Secret,
    /// a ServiceAccount another stack creates, a mirror they named) lives outside it.
    Bundle,
    /// Any manifest stream: a reference to an object that is not in it is noted, not a
    /// finding, since the object may well exist in the cluster.
    Stream,
}

/// What a check found: problems, and references it could not follow (`Scope::Stream`).
#[derive(Debug, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub outside: Vec<Finding>,
}

impl Report {
    fn found(&mut self, id: &ResId, field: &str, message: String) {
        self.findings.push(Finding {
            id: id.clone(),
            field: field.into(),
            message,
        });
    }
}

/// Reports about one object: its problems, and what it refers to that is not there.
pub(crate) struct Reporter<'r> {
    id: &'r ResId,
    scope: Scope,
    report: &'r mut Report,
}

impl Reporter<'_> {
    fn found(&mut self, field: &str, message: String) {
        self.report.found(self.id, field, message);
    }

    /// A reference to `what` (`Secret executor-frontend`) that is not among the objects:
    /// a finding when the stack must hold it, else a note on a stream.
    fn missing(&mut self, field: &str, what: &str, required_in_bundle: bool) {
        match self.scope {
            Scope::Bundle if required_in_bundle => {
                self.found(field, format!("{what} is not in the bundle"))
            }
            Scope::Bundle => {}
            Scope::Stream => self.report.outside.push(Finding {
                id: self.id.clone(),
                field: field.into(),
                message: format!("{what} is not in the stream; it must exist in the cluster"),
            }),
        }
    }
}

/// Checks the tool's own objects; `Ok` means they are safe to print.
pub fn check<'o>(
    objects: impl IntoIterator<Item = (&'o ResId, &'o Object)>,
) -> Result<(), CheckError> {
    let report = check_objects(objects, Scope::Bundle);
    if report.findings.is_empty() {
        Ok(())
    } else {
        Err(CheckError {
            findings: report.findings,
        })
    }
}

/// Why an object could not be read into its type.
enum Unread {
    /// A kind the tool has no type for (on a stream: noted, not checked).
    Unknown(String),
    Lost(Vec<crate::k8s::roundtrip::Lost>),
}

/// The typed check, then the checks between objects, for objects of the given scope.
pub fn check_objects<'o>(
    objects: impl IntoIterator<Item = (&'o ResId, &'o Object)>,
    scope: Scope,
) -> Report {
    let mut report = Report::default();
    let objects: Vec<(&ResId, &Object)> = objects.into_iter().collect();
    // Workloads of one shape are read strictly once (see `shape`): the first of each, and any
    // whose hash matches but whose shape does not, are read in full.
    // An object of the kind and the very tree of the one before it has its hash: a
    // thousand workers' copies are hashed once.
    let as_before: Vec<bool> = (0..objects.len())
        .map(|i| {
            let ((a_id, a), (b_id, b)) = (objects[i.saturating_sub(1)], objects[i]);
            i > 0 && a_id.kind == b_id.kind && std::ptr::eq(a.shape(), b.shape())
        })
        .collect();
    let hashed: Vec<usize> = (0..objects.len()).filter(|&i| !as_before[i]).collect();
    let mut hashed = parallel::map(&hashed, |&i| {
        let (id, object) = objects[i];
        shape::applies_to(&id.kind)
            .then(|| shape::hash(object.shape()))
            .flatten()
    })
    .into_iter();
    let mut hashes: Vec<Option<u64>> = Vec::with_capacity(objects.len());
    for same in &as_before {
        let hash = match hashes.last() {
            Some(before) if *same => *before,
            _ => hashed
                .next()
                .expect("one hash per object not as the one before"),
        };
        hashes.push(hash);
    }
    let mut first_of_shape: HashMap<u64, usize> = HashMap::new();
    let firsts: Vec<Option<usize>> = hashes
        .iter()
        .enumerate()
        .map(|(i, hash)| hash.map(|h| *first_of_shape.entry(h).or_insert(i)))
        .collect();
    let read_one = |i: usize, how: typed::Read| {
        let (id, object) = objects[i];
        object.with_tree(|object| {
            let over = size::over_limits(id, object);
            let api_version = object
                .get("apiVersion")
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            if scope == Scope::Stream && !typed::known(&id.kind, api_version) {
                return (
                    over,
                    Err(Unread::Unknown(format!(
                        "not checked: the tool has no type for {} {api_version}",
                        id.kind
                    ))),
                );
            }
            (
                over,
                typed::read(&id.kind, object, how).map_err(Unread::Lost),
            )
        })
    };
    // First every object that starts a shape (or has none), strictly; then the others,
    // only read when their shape's first passed and they truly share its shape, so that an
    // unknown field in many workloads is reported on each of them.
    let (leads, rest): (Vec<usize>, Vec<usize>) =
        (0..objects.len()).partition(|&i| firsts[i].is_none_or(|first| first == i));
    let mut typed: Vec<Option<_>> = (0..objects.len()).map(|_| None).collect();
    for (i, result) in leads
        .iter()
        .zip(parallel::map(&leads, |&i| read_one(i, typed::Read::Strict)))
    {
        typed[*i] = Some(result);
    }
    let passed = |i: usize| matches!(&typed[i], Some((over, Ok(_))) if over.is_empty());
    let rest_read = parallel::map(&rest, |&i| {
        let first = firsts[i].expect("only workloads with a shape are left");
        let (lead, this) = (objects[first].1, objects[i].1);
        let same_shape = shape::same(lead.shape(), this.shape());
        let how = if passed(first) && same_shape {
            typed::Read::ShapeChecked
        } else {
            typed::Read::Strict
        };
        read_one(i, how)
    });
    for (i, result) in rest.iter().zip(rest_read) {
        typed[*i] = Some(result);
    }
    let typed = typed.into_iter().map(|t| t.expect("every object was read"));
    let mut read = Vec::new();
    for ((id, _), (over, t)) in objects.iter().zip(typed) {
        for (field, message) in over {
            report.found(id, field, message);
        }
        match t {
            Ok(t) => read.push((*id, t)),
            Err(Unread::Unknown(message)) => report.outside.push(Finding {
                id: (*id).clone(),
                field: "kind".into(),
                message,
            }),
            Err(Unread::Lost(lost)) => {
                for l in lost {
                    report.found(id, &l.path, l.message);
                }
            }
        }
    }
    let indexes = Indexes::new(&read);
    // Each object's checks against the indexes, on every core; the findings in object order.
    let per_object = parallel::map(&read, |(id, t)| {
        let mut own = Report::default();
        let mut reporter = Reporter {
            id,
            scope,
            report: &mut own,
        };
        wiring::object(id, t, &indexes, &mut reporter);
        own
    });
    for own in per_object {
        report.findings.extend(own.findings);
        report.outside.extend(own.outside);
    }
    wiring::overlapping_workloads(&indexes, &mut report);
    scaling::check(&objects, &indexes, &mut report);
    report
}
