//! The one path for every per-worker object, whatever its template: a Deployment, a patch
//! of it, or an object that names it. Workers that differ only in their own strings (see
//! `StandIn`) are alike: their object is rendered once, from a worker with stand-ins for
//! those strings, and each worker's is a copy of that prototype with its own strings put
//! in, wherever the template put them (name, queue, a target's name, a selector). So a
//! thousand queues of one kind cost two renders and one tree, not a thousand.
//!
//! The first worker of each prototype is also rendered directly and must come out the same
//! (id and text), else every worker of the prototype is rendered directly: a template that
//! uses a worker's string other than as a whole value (`{{ worker.name }}-scaler`, a test
//! on it) is slower, never wrong. Debug builds, so every test, compare every copy.

use super::object::{share_all_but_strings, stand_in_worker, Object, Strings};
use super::stack::Rendered;
use super::templates::RenderError;
use super::yaml_out::to_yaml;
use crate::config::model::Worker;
use crate::k8s::resid::ResId;
use crate::parallel;
use serde_yaml::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// One object per worker, in the workers' order: `render` renders one worker's.
pub(super) fn per_worker(
    workers: &[Worker],
    render: impl Fn(&Worker) -> Result<Rendered, RenderError> + Sync,
) -> Result<Vec<Rendered>, RenderError> {
    // Alike workers, by their stand-in worker (one that shares every other field with the
    // worker before it is alike to it without a look): each group's first worker and size.
    let mut groups: HashMap<String, usize> = HashMap::new();
    let mut firsts: Vec<(&Worker, usize)> = Vec::new();
    let mut group_of = Vec::with_capacity(workers.len());
    let mut previous: Option<(&Worker, usize)> = None;
    for w in workers {
        let group = match previous {
            Some((p, group)) if share_all_but_strings(p, w) => group,
            _ => {
                let key = serde_json::to_string(&stand_in_worker(w)).expect("a worker serializes");
                *groups.entry(key).or_insert(firsts.len())
            }
        };
        previous = Some((w, group));
        if group == firsts.len() {
            firsts.push((w, 0));
        }
        firsts[group].1 += 1;
        group_of.push(group);
    }
    // A worker alike to no other is rendered directly: a copy would cost a render more.
    let mut prototypes: Vec<Option<Prototype>> = Vec::with_capacity(firsts.len());
    for (first, count) in firsts {
        if count == 1 {
            prototypes.push(None);
            continue;
        }
        let direct = render(first)?;
        let prototype = render(&stand_in_worker(first)).ok().map(|p| Prototype {
            id: p.id,
            tree: p.object.into_prototype(),
        });
        prototypes.push(prototype.filter(|p| same(&copy(p, first), &direct)));
    }
    // Copies need no threads; workers rendered directly are rendered on every core.
    let singles: Vec<&Worker> = group_of
        .iter()
        .zip(workers)
        .filter(|(group, _)| prototypes[**group].is_none())
        .map(|(_, w)| w)
        .collect();
    let mut rendered = parallel::map(&singles, |w| render(w)).into_iter();
    group_of
        .iter()
        .zip(workers)
        .map(|(group, w)| match &prototypes[*group] {
            Some(prototype) => {
                let copy = copy(prototype, w);
                debug_assert!(
                    render(w).is_ok_and(|direct| same(&copy, &direct)),
                    "{}: a copy is what rendering the worker gives",
                    copy.id
                );
                Ok(copy)
            }
            None => rendered
                .next()
                .expect("one render per worker rendered directly"),
        })
        .collect()
}

/// An object rendered from a stand-in worker, and its id.
struct Prototype {
    id: ResId,
    tree: Arc<Value>,
}

/// A worker's copy of a prototype.
fn copy(prototype: &Prototype, worker: &Worker) -> Rendered {
    let strings = Strings::of(worker);
    let mut id = prototype.id.clone();
    strings.put_in(&mut id.name);
    if let Some(namespace) = &mut id.namespace {
        strings.put_in(namespace);
    }
    Rendered {
        id,
        object: Object::copy(&prototype.tree, strings),
    }
}

/// Whether a copy is the object rendered directly: the same id and the same text.
fn same(copy: &Rendered, direct: &Rendered) -> bool {
    copy.id == direct.id && to_yaml(&copy.object.tree()) == to_yaml(&direct.object.tree())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::model::Config;
    use crate::render::context::Renderer;

    /// A per-worker object (a test template) that holds the worker's name and queue in
    /// several fields: its name, its target's name, a selector, labels, a trigger.
    const PROBE: &str = "test/worker-probe.ScaledObject.yaml.j2";
    /// One that derives strings from the worker's (`NAME-scaler`, `queue=QUEUE`).
    const DERIVED: &str = "test/worker-derived.ScaledObject.yaml.j2";

    /// Five workers: three alike (two queues between them), one with replicas of its own,
    /// one with several queues (another variable).
    fn config() -> Config {
        crate::render::stack::tests::config(
            "{name: executor}",
            "",
            "    - {name: a, queueName: batches}
    - {name: b, queueName: codeintel}
    - {name: c, queueName: batches, replicaCount: 3}
    - {name: d, queueNames: [batches, codeintel]}
    - {name: e, queueName: codeintel}
",
        )
    }

    /// Regression: a per-worker object once got a stand-in only at `metadata.name`, so every
    /// worker's copy named the first worker's Deployment as its target.
    #[test]
    fn each_workers_object_holds_its_own_strings_in_every_field() {
        let config = config();
        let r = Renderer::new(&config);
        let objects = per_worker(&config.workers, |w| r.worker(PROBE, w, &[])).unwrap();
        assert_eq!(objects.len(), 5);
        for (o, w) in objects.iter().zip(&config.workers) {
            let t = o.object.tree();
            let spec = &t["spec"];
            assert_eq!(o.id.name, w.name);
            for name in [
                &t["metadata"]["name"],
                &t["metadata"]["labels"]["app"],
                &spec["scaleTargetRef"]["name"],
                &spec["selector"]["matchLabels"]["app"],
            ] {
                assert_eq!(name.as_str(), Some(w.name.as_str()), "{}: {t:?}", w.name);
            }
            let trigger = &spec["triggers"][0]["metadata"];
            for queue in [&trigger["query"], &trigger["queue"]] {
                assert_eq!(queue.as_str(), Some(w.queue_value.as_str()), "{}", w.name);
            }
            assert_eq!(o, &r.worker(PROBE, w, &[]).unwrap(), "{}", w.name);
        }
        // The alike workers are copies of one prototype; those alike to no other are not.
        let alike = [0, 1, 4].map(|i| &objects[i].object);
        assert!(alike.iter().all(|o| o.same_prototype(alike[0])));
        for other in [2, 3] {
            assert!(!objects[other].object.same_prototype(alike[0]));
        }
    }

    /// A template that makes a string of a worker's and more is rendered worker by worker:
    /// its first copy differs from the direct render, so the prototype is never used.
    #[test]
    fn a_string_made_from_a_workers_is_rendered_for_each_worker() {
        let config = config();
        let r = Renderer::new(&config);
        let objects = per_worker(&config.workers, |w| r.worker(DERIVED, w, &[])).unwrap();
        for (o, w) in objects.iter().zip(&config.workers) {
            assert_eq!(o.id.name, format!("{}-scaler", w.name));
            let t = o.object.tree();
            assert_eq!(
                t["spec"]["scaleTargetRef"]["name"].as_str(),
                Some(w.name.as_str())
            );
            assert_eq!(
                t["spec"]["triggers"][0]["metadata"]["query"].as_str(),
                Some(format!("queue={}", w.queue_value).as_str())
            );
            assert_eq!(o, &r.worker(DERIVED, w, &[]).unwrap());
        }
        assert!(!objects[0].object.same_prototype(&objects[1].object));
    }
}
