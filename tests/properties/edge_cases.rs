//! Edge cases: inputs the properties found the tool mishandling. Each has a generator of
//! its own and its own property in main.rs, so a regression names itself, and the broad
//! generators need not lean on them. `renders_or_is_refused` is the check two of them share.

use super::model::{any_case, valid_case, Case, ModeVia, QueueEntry, QueueSel, StorageClass};
use super::output::{check_valid, describe, explain};
use super::quantities::{cpu_qty, mem_qty, spellings, Qty, Resources};
use super::strings::hostile;
use super::CHART_REGISTRY;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use sg_executor_gen::config::Mode;
use sg_executor_gen::pipeline::{generate, PipelineError};
use std::collections::BTreeMap;

/// Forces the stack's Service or a Deployment onto a registry's name: the chart's, or ours.
pub(super) fn registry_collision() -> BoxedStrategy<Case> {
    (any_case(), 0u8..3)
        .prop_map(|(mut c, how)| {
            c.mode = Mode::Dind;
            if c.mode_via == ModeVia::Default {
                c.mode_via = ModeVia::Spec;
            }
            c.dind.registry = None;
            c.krm = true;
            let (stack, queue) = match how {
                0 => (CHART_REGISTRY, None),
                1 => ("executor", Some("registry")),
                _ => ("private", Some("docker-registry")),
            };
            c.name = Some(stack.into());
            c.dind.queues = queue.map(|q| {
                vec![QueueEntry {
                    name: q.into(),
                    sel: Some(QueueSel::Name("batches")),
                    replicas: None,
                    resources: None,
                    env: BTreeMap::new(),
                }]
            });
            c
        })
        .boxed()
}

/// A created StorageClass with a parameter key holding a newline.
pub(super) fn newline_parameter_key() -> BoxedStrategy<Case> {
    (valid_case(), hostile(), hostile(), hostile())
        .prop_map(|(mut c, before, after, value)| {
            let mut sc = c.common.storage_class.take().unwrap_or(StorageClass {
                name: "fast".into(),
                create: true,
                parameters: BTreeMap::new(),
            });
            sc.create = true;
            sc.parameters.insert(format!("{before}\n{after}"), value);
            c.common.storage_class = Some(sc);
            c
        })
        .boxed()
}

/// A valid config with U+FFFE or U+FFFF in a pod annotation value.
pub(super) fn noncharacter_case() -> BoxedStrategy<Case> {
    (
        valid_case(),
        hostile(),
        select(&['\u{fffe}', '\u{ffff}'][..]),
        hostile(),
    )
        .prop_map(|(mut c, before, nonchar, after)| {
            c.common.pods.pod_annotations.insert(
                "example.com/nonchar".into(),
                format!("{before}{nonchar}{after}"),
            );
            c
        })
        .boxed()
}

/// Executor resources whose request equals the limit, in two spellings of the same amount.
pub(super) fn equal_request_and_limit() -> BoxedStrategy<Case> {
    (
        valid_case(),
        any::<bool>(),
        1u128..=2000,
        1u128..=4096,
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(mut c, memory, tenths, mib, a, b)| {
            let base = if memory {
                Qty {
                    text: format!("{mib}Mi"),
                    millis: (mib << 20) * 1000,
                    as_int: false,
                }
            } else {
                Qty {
                    text: format!("{}m", tenths * 100),
                    millis: tenths * 100,
                    as_int: false,
                }
            };
            let forms = spellings(&base, memory);
            let pair = (Some(a.get(&forms).clone()), Some(b.get(&forms).clone()));
            c.common.resources = Some(only(memory, pair));
            c
        })
        .boxed()
}

/// Executor resources with a request strictly above its limit: any two amounts, or two a
/// hair apart (`4Ti` and one byte more, `1` CPU and `1000000001n`). True for memory.
pub(super) fn request_above_limit() -> BoxedStrategy<(Case, bool)> {
    let far = (any::<bool>(), cpu_qty(), cpu_qty(), mem_qty(), mem_qty()).prop_filter_map(
        "two different amounts",
        |(memory, c1, c2, m1, m2)| {
            let (a, b) = if memory { (m1, m2) } else { (c1, c2) };
            match a.millis.cmp(&b.millis) {
                std::cmp::Ordering::Less => Some((memory, b, a)),
                std::cmp::Ordering::Greater => Some((memory, a, b)),
                std::cmp::Ordering::Equal => None,
            }
        },
    );
    let near = (any::<bool>(), 1u128..=4096, 1u128..=1000).prop_map(|(memory, n, d)| {
        if memory {
            let bytes = n << 30;
            let limit = Qty {
                text: format!("{n}Gi"),
                millis: bytes * 1000,
                as_int: false,
            };
            let request = Qty {
                text: (bytes + d).to_string(),
                millis: (bytes + d) * 1000,
                as_int: false,
            };
            (true, request, limit)
        } else {
            let cores = n % 64 + 1;
            let limit = Qty {
                text: cores.to_string(),
                millis: cores * 1000,
                as_int: false,
            };
            // `millis` cannot hold the nanocores; only the order matters here.
            let request = Qty {
                text: format!("{}n", cores * 1_000_000_000 + d),
                millis: cores * 1000 + 1,
                as_int: false,
            };
            (false, request, limit)
        }
    });
    (valid_case(), prop_oneof![far, near])
        .prop_map(|(mut c, (memory, request, limit))| {
            // localDevMode drops (and so never checks) the executor's resources, on purpose.
            c.k8s.local_dev = None;
            let pair = (Some(request), Some(limit));
            c.common.resources = Some(only(memory, pair));
            (c, memory)
        })
        .boxed()
}

/// A timestamp in a YAML 1.1 spelling that kustomize reads as a time and writes back
/// normalised (lowercase `t` with a zone, or a space and no zone).
pub(super) fn timestamp() -> BoxedStrategy<String> {
    (
        1970u32..2100,
        1u32..13,
        1u32..29,
        0u32..24,
        0u32..60,
        option::of("[0-9]{1,4}"),
        prop_oneof![
            select(&["Z", "-05:00", "+01:00"][..]).prop_map(|z| ("t", z)),
            Just((" ", "")),
        ],
    )
        .prop_map(|(y, mo, d, h, mi, frac, (sep, zone))| {
            let frac = frac.map(|f| format!(".{f}")).unwrap_or_default();
            format!("{y}-{mo:02}-{d:02}{sep}{h:02}:{mi:02}:00{frac}{zone}")
        })
        .boxed()
}

/// A valid config with `value` as one more pod annotation.
pub(super) fn with_annotation(
    base: BoxedStrategy<Case>,
    value: BoxedStrategy<String>,
) -> BoxedStrategy<Case> {
    (base, value)
        .prop_map(|(mut c, v)| {
            c.common
                .pods
                .pod_annotations
                .insert("example.com/edge".into(), v);
            c
        })
        .boxed()
}

/// Renders, or is refused as a config error; never an internal error.
pub(super) fn renders_or_is_refused(case: &Case) -> Result<(), TestCaseError> {
    match generate(&case.text(), &case.overrides()) {
        Ok(_) => check_valid(case).map_err(|m| explain(case, m)),
        Err(PipelineError::Config(_)) => Ok(()),
        Err(e) => Err(explain(case, describe(&e))),
    }
}

/// Executor resources with only memory's or only CPU's request and limit set.
fn only(memory: bool, pair: (Option<Qty>, Option<Qty>)) -> Resources {
    let none = (None, None);
    if memory {
        Resources {
            cpu: none,
            memory: pair,
        }
    } else {
        Resources {
            cpu: pair,
            memory: none,
        }
    }
}
