//! How large the output would be, estimated from the validated config before anything is
//! rendered, so that a small config that asks for a huge output (labels and annotations
//! copied onto every object, env onto every worker) is refused quickly and in bounded
//! memory, and an object Kubernetes would refuse is refused here, at the key to blame.
//!
//! The estimate is an upper bound, object by object, of both the YAML `render` prints and
//! the JSON the API server receives, and of the number of values (keys, entries, scalars)
//! in it: each template's fixed text, plus the size of every config value it takes, as
//! the YAML writer would write it at its depth. `tests/size_estimate.rs` holds it against
//! the rendered objects. The limits:
//!
//! - a ConfigMap's data: 1 MiB (`core.MaxSecretSize`, the API server's validation);
//! - one object's annotations, keys and values: 256 KiB (`TotalAnnotationSizeLimitB`);
//! - one object: 1.5 MiB, etcd's default `--max-request-bytes`;
//! - the whole output: 64 MiB and 5,000,000 values. Ten thousand queues, a Deployment of
//!   about 4 KB and 300 values each, come to about 40 MB and 3 million values, and still
//!   render; the renderer holds every value several times over (template context, YAML
//!   tree, typed object), a few hundred bytes each, so the values bound is what bounds its
//!   memory, to a few GB at the very worst.
//!
//! An object over 256 KiB is a warning: client-side `kubectl apply` keeps the whole object
//! in an annotation, which the API server caps at 256 KiB.

mod measure;
mod objects;

pub(super) use measure::json_size;

use super::checker::inner_path;
use super::Checker;
use crate::config::model::Config;
use crate::config::source::Segment;
use crate::diagnostic::Problem;
use objects::{largest, objects, Key, Keys};
use std::collections::BTreeMap;

use crate::k8s::limits::{MAX_ANNOTATIONS, MAX_CONFIG_MAP_DATA, MAX_OBJECT};
/// What client-side `kubectl apply` can keep of an object: one annotation.
pub const APPLY_ANNOTATION: u64 = MAX_ANNOTATIONS;
pub const MAX_OUTPUT_BYTES: u64 = 64 << 20;
pub const MAX_OUTPUT_VALUES: u64 = 5_000_000;

/// Bytes and values.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub bytes: u64,
    pub values: u64,
}

impl std::ops::Add for Size {
    type Output = Size;
    fn add(self, o: Size) -> Size {
        Size {
            bytes: self.bytes + o.bytes,
            values: self.values + o.values,
        }
    }
}

impl std::ops::AddAssign for Size {
    fn add_assign(&mut self, o: Size) {
        *self = *self + o;
    }
}

impl std::iter::Sum for Size {
    fn sum<I: Iterator<Item = Size>>(iter: I) -> Size {
        iter.fold(Size::default(), |a, b| a + b)
    }
}

/// One object's estimate.
#[derive(Debug, Clone)]
pub struct Estimated {
    pub kind: &'static str,
    pub name: String,
    pub size: Size,
}

/// Every object the config would render, estimated; for the tests that hold the estimate
/// against the rendered objects.
pub fn estimate(c: &Config) -> Vec<Estimated> {
    let mut out = Vec::new();
    objects(c, &Keys::default(), &mut |o| {
        out.push(Estimated {
            kind: o.kind,
            name: o.name.clone(),
            size: o.size(),
        })
    });
    out
}

/// What went over one limit: the first object, how many more, and the size it reached.
struct Over {
    first: String,
    more: usize,
    size: u64,
}

/// Refuses a config whose output would be too large for Kubernetes or for this tool, at
/// the key that adds the most; warns when an object is too large for client-side apply.
pub(super) fn check(c: &Config, checker: &mut Checker<'_>) {
    let keys = Keys::new(checker);
    let mut total = Size::default();
    let mut by_key: BTreeMap<Key, (Size, usize)> = BTreeMap::new();
    // (limit, key) → what went over it.
    let mut over: BTreeMap<(Limit, Key), Over> = BTreeMap::new();
    let mut note = |limit: Limit, key: Key, what: String, size: u64| {
        over.entry((limit, key))
            .and_modify(|o| o.more += 1)
            .or_insert(Over {
                first: what,
                more: 0,
                size,
            });
    };
    objects(c, &keys, &mut |o| {
        let size = o.size();
        total += size;
        for (key, part) in &o.parts {
            let entry = by_key.entry(key).or_default();
            entry.0 += *part;
            entry.1 += 1;
        }
        let what = format!("{} `{}`", o.kind, o.name);
        let data: u64 = o.data.iter().map(|(_, b)| b).sum();
        if data > MAX_CONFIG_MAP_DATA {
            note(Limit::Data, largest(&o.data, |b| b), what.clone(), data);
        }
        // The object's own annotations and its pod template's are limited each.
        let largest_set = o
            .annotations
            .iter()
            .map(|set| (set, set.iter().map(|(_, b)| b).sum::<u64>()))
            .max_by_key(|(_, bytes)| *bytes);
        if let Some((set, bytes)) = largest_set.filter(|(_, b)| *b > MAX_ANNOTATIONS) {
            note(Limit::Annotations, largest(set, |b| b), what.clone(), bytes);
        }
        if size.bytes > MAX_OBJECT {
            note(Limit::Object, o.largest(), what, size.bytes);
        } else if size.bytes > APPLY_ANNOTATION {
            note(Limit::Apply, o.largest(), what, size.bytes);
        }
    });
    // An object over a hard limit needs no word about client-side apply too.
    let hard = over.keys().any(|(limit, _)| *limit != Limit::Apply)
        || total.values > MAX_OUTPUT_VALUES
        || total.bytes > MAX_OUTPUT_BYTES;
    for ((limit, key), o) in &over {
        if !(hard && *limit == Limit::Apply) {
            limit.report(key, o, checker);
        }
    }
    let blame = |by: fn(&Size) -> u64| {
        let parts: Vec<(Key, Size)> = by_key.iter().map(|(k, (s, _))| (*k, *s)).collect();
        let key = largest(&parts, |s| by(&s));
        let (size, objects) = by_key.get(key).copied().unwrap_or_default();
        (key, by(&size), objects)
    };
    // The count of values is the closer estimate, and what bounds the renderer's memory.
    let over_total = if total.values > MAX_OUTPUT_VALUES {
        let (key, values, objects) = blame(|s| s.values);
        Some((key, format!(
            "the output would hold about {} values, more than the {} sg-executor-gen renders; {} of them come from this key, copied onto {objects} objects",
            millions(total.values),
            millions(MAX_OUTPUT_VALUES),
            millions(values)
        )))
    } else if total.bytes > MAX_OUTPUT_BYTES {
        let (key, bytes, objects) = blame(|s| s.bytes);
        Some((key, format!(
            "the output would be about {}, more than the {} sg-executor-gen writes; {} of it comes from this key, on {objects} objects",
            human(total.bytes),
            human(MAX_OUTPUT_BYTES),
            human(bytes)
        )))
    } else {
        None
    };
    if let Some((key, message)) = over_total {
        let hint = "make it smaller, or split the queues across configs";
        report(checker, key, Problem::error(message).hint(hint));
    }
}

/// The limits an object can go over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Limit {
    Data,
    Annotations,
    Object,
    Apply,
}

impl Limit {
    fn report(self, key: Key, o: &Over, checker: &mut Checker<'_>) {
        let what = match o.more {
            0 => o.first.clone(),
            n => format!("{} (and {n} more)", o.first),
        };
        let (message, hint) = match self {
            Limit::Data => (
                format!("the data of {what} would take {}, more than the {} Kubernetes allows in a ConfigMap", human(o.size), human(MAX_CONFIG_MAP_DATA)),
                "make this key's value smaller".to_string(),
            ),
            Limit::Annotations => (
                format!("the annotations of {what} would take {}, more than the {} Kubernetes allows on an object (keys and values together)", human(o.size), human(MAX_ANNOTATIONS)),
                "use fewer or shorter annotations here".to_string(),
            ),
            Limit::Object => (
                format!("{what} would be about {}, more than the {} etcd stores by default", human(o.size), human(MAX_OBJECT)),
                "make this key's value smaller: it is copied into the object".to_string(),
            ),
            Limit::Apply => {
                let p = Problem::warning(format!("{what} would be about {}; client-side `kubectl apply` keeps a copy of each object in an annotation, which Kubernetes limits to {}", human(o.size), human(APPLY_ANNOTATION)))
                    .hint("apply it with `kubectl apply --server-side`, or make this key's value smaller");
                report(checker, key, p);
                return;
            }
        };
        report(checker, key, Problem::error(message).hint(hint));
    }
}

/// Adds `problem` at `key`, from the top of the file for the KRM wrapper's keys.
fn report(checker: &mut Checker<'_>, key: Key, problem: Problem) {
    let p = inner_path(key);
    let located = if key.starts_with("metadata.") {
        checker.top_level(|checker| checker.problem(problem, &p))
    } else {
        checker.problem(problem, &p)
    };
    checker.problems.push(located);
}

/// `1.5 MiB`, `1.56 MiB`, `300 KiB`, `12 bytes`: rounded up, so a size over a limit never
/// reads as the limit.
fn human(bytes: u64) -> String {
    const MIB: u64 = 1 << 20;
    if bytes >= MIB {
        let hundredths = (bytes * 100).div_ceil(MIB);
        match hundredths % 100 {
            0 => format!("{} MiB", hundredths / 100),
            h if h % 10 == 0 => format!("{}.{} MiB", hundredths / 100, h / 10),
            h => format!("{}.{h:02} MiB", hundredths / 100),
        }
    } else if bytes >= 1 << 10 {
        format!("{} KiB", bytes.div_ceil(1 << 10))
    } else {
        format!("{bytes} bytes")
    }
}

/// `8.2 million`, `5 million`, `40000`.
fn millions(n: u64) -> String {
    if n >= 1_000_000 {
        let tenths = n / 100_000;
        if tenths.is_multiple_of(10) {
            format!("{} million", tenths / 10)
        } else {
            format!("{}.{} million", tenths / 10, tenths % 10)
        }
    } else {
        n.to_string()
    }
}

/// Refuses a config that would copy `values` values onto each of `copies` workers when
/// that alone is more than the output may hold, before the copies are made.
pub(super) fn refuse_copies(
    copies: usize,
    values: u64,
    path: &[Segment],
    checker: &mut Checker<'_>,
) -> bool {
    let total = copies as u64 * values;
    if total <= MAX_OUTPUT_VALUES {
        return false;
    }
    checker.error(
        path,
        format!(
            "{copies} queues would each get a copy of {values} values of executor.env and executor.resources, about {} in all, more than the {} sg-executor-gen renders",
            millions(total),
            millions(MAX_OUTPUT_VALUES)
        ),
        "use fewer queues or a smaller executor.env, or split the queues across configs",
    );
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human(3 << 19), "1.5 MiB");
        assert_eq!(human((3 << 19) + 1), "1.51 MiB");
        assert_eq!(human(256 << 10), "256 KiB");
        assert_eq!(human(64 << 20), "64 MiB");
        assert_eq!(human(12), "12 bytes");
        assert_eq!(millions(8_200_000), "8.2 million");
        assert_eq!(millions(5_000_000), "5 million");
    }
}
