//! CPU and memory quantities and the `resources` blocks made of them. A quantity keeps its
//! exact amount beside its text, so a generated request is never above its limit, and
//! `spellings` writes one amount every way the tool must accept (`700m` and `0.7`, `1Gi`
//! and `1024Mi`) for the equal-quantities property.

use proptest::prelude::*;
use serde_yaml::{Mapping, Value};

#[derive(Debug, Clone)]
pub(super) struct Qty {
    pub(super) text: String,
    /// The exact amount in thousandths, to order requests below limits.
    pub(super) millis: u128,
    /// Written as a YAML number instead of a string.
    pub(super) as_int: bool,
}

impl Qty {
    fn value(&self) -> Value {
        if self.as_int {
            Value::Number(self.text.parse::<u64>().expect("an integer").into())
        } else {
            Value::String(self.text.clone())
        }
    }
}

pub(super) fn cpu_qty() -> BoxedStrategy<Qty> {
    (0u8..5, 1u128..=16_000, 1u128..=16, 1u128..=160)
        .prop_map(|(form, m, cores, tenths)| match form {
            0 => Qty {
                text: format!("{m}m"),
                millis: m,
                as_int: false,
            },
            1 => Qty {
                text: cores.to_string(),
                millis: cores * 1000,
                as_int: true,
            },
            2 => Qty {
                text: cores.to_string(),
                millis: cores * 1000,
                as_int: false,
            },
            3 => Qty {
                text: format!("{}.{}", tenths / 10, tenths % 10),
                millis: tenths * 100,
                as_int: false,
            },
            _ => Qty {
                text: format!("{}m", tenths * 100),
                millis: tenths * 100,
                as_int: false,
            },
        })
        .boxed()
}

const MEM_UNITS: &[(&str, u128)] = &[
    ("Ki", 1 << 10),
    ("Mi", 1 << 20),
    ("Gi", 1 << 30),
    ("k", 1_000),
    ("M", 1_000_000),
    ("G", 1_000_000_000),
    ("", 1),
    ("e6", 1_000_000),
];

pub(super) fn mem_qty() -> BoxedStrategy<Qty> {
    (1u128..=4096, 0..MEM_UNITS.len(), any::<bool>())
        .prop_map(|(n, unit, as_int)| {
            let (suffix, factor) = MEM_UNITS[unit];
            let n = match suffix {
                "" => n << 20,
                "Ki" | "k" => n << 10,
                _ => n,
            };
            Qty {
                text: format!("{n}{suffix}"),
                millis: n * factor * 1000,
                as_int: as_int && suffix.is_empty(),
            }
        })
        .boxed()
}

pub(super) fn mem_text() -> BoxedStrategy<String> {
    mem_qty().prop_map(|q| q.text).boxed()
}

/// Every way to write the same amount: `700m` and `0.7`, `1Gi` and `1024Mi`, `1k` and `1e3`.
pub(super) fn spellings(q: &Qty, memory: bool) -> Vec<Qty> {
    let m = q.millis;
    let mut out = Vec::new();
    let mut add = |text: String, as_int: bool| {
        out.push(Qty {
            text,
            millis: m,
            as_int,
        })
    };
    if memory {
        let b = m / 1000;
        add(b.to_string(), false);
        add(b.to_string(), true);
        for (suffix, factor) in MEM_UNITS.iter().filter(|(s, _)| !s.is_empty()) {
            if b.is_multiple_of(*factor) {
                add(format!("{}{suffix}", b / factor), false);
            }
        }
        if b.is_multiple_of(1000) {
            add(format!("{}e3", b / 1000), false);
        }
    } else {
        add(format!("{m}m"), false);
        add(format!("{}.{:03}", m / 1000, m % 1000), false);
        if m.is_multiple_of(100) {
            add(format!("{}.{}", m / 1000, (m % 1000) / 100), false);
        }
        if m.is_multiple_of(1000) {
            add((m / 1000).to_string(), false);
            add((m / 1000).to_string(), true);
        }
    }
    out
}

/// A request and a limit for one resource, the request never above the limit; sometimes
/// equal, in different spellings.
fn qty_pair(q: BoxedStrategy<Qty>, memory: bool) -> BoxedStrategy<(Option<Qty>, Option<Qty>)> {
    (0u8..6, q.clone(), q, any::<prop::sample::Index>())
        .prop_map(move |(which, a, b, pick)| {
            let (lo, hi) = if a.millis <= b.millis { (a, b) } else { (b, a) };
            match which {
                0 => (None, None),
                1 => (Some(lo), None),
                2 => (None, Some(hi)),
                3 => (Some(lo), Some(hi)),
                _ => {
                    let alt = pick.get(&spellings(&lo, memory)).clone();
                    if which == 4 {
                        (Some(lo), Some(alt))
                    } else {
                        (Some(alt), Some(lo))
                    }
                }
            }
        })
        .boxed()
}

#[derive(Debug, Clone)]
pub(super) struct Resources {
    pub(super) cpu: (Option<Qty>, Option<Qty>),
    pub(super) memory: (Option<Qty>, Option<Qty>),
}

pub(super) fn resources() -> BoxedStrategy<Resources> {
    (qty_pair(cpu_qty(), false), qty_pair(mem_qty(), true))
        .prop_map(|(cpu, memory)| Resources { cpu, memory })
        .boxed()
}

impl Resources {
    pub(super) fn value(&self) -> Value {
        let mut requests = Mapping::new();
        let mut limits = Mapping::new();
        for (name, (req, lim)) in [("cpu", &self.cpu), ("memory", &self.memory)] {
            if let Some(q) = req {
                requests.insert(name.into(), q.value());
            }
            if let Some(q) = lim {
                limits.insert(name.into(), q.value());
            }
        }
        let mut m = Mapping::new();
        if !requests.is_empty() {
            m.insert("requests".into(), Value::Mapping(requests));
        }
        if !limits.is_empty() {
            m.insert("limits".into(), Value::Mapping(limits));
        }
        Value::Mapping(m)
    }
}
