//! A rendered object, whole or a worker's copy. A thousand queues are a thousand
//! Deployments that differ only in their workers' own strings (name, queue), so render keeps
//! each as a prototype shared by alike workers (rendered once, with a stand-in for each of
//! those strings) and the worker's strings, and makes it into a tree only while it is read
//! or checked. Memory then grows with the prototypes, not with the queues.
//!
//! Copies are render's own matter: the rest of the crate sees an `Object` as the tree it
//! is (`tree`). Each fast path over copies is checked against the plain path it replaces,
//! in one place for every kind: the copies themselves when they are made (`per_worker`), a
//! change to all objects (`change_each`), a layer's patch (`Patcher`) and the YAML text
//! (`Writer`), each on the first copy of a prototype always and on every copy in debug
//! builds; a prototype whose copy differs is not used.

use super::yaml_out::{one_line_string, to_yaml, write_yaml};
use crate::config::model::Worker;
use serde_yaml::Value;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

/// The strings in which alike workers differ, each with the stand-in that takes its place in
/// their prototype. A stand-in is made of private-use characters, which a config value is
/// unlikely to hold; one that holds it anyway is kept as written, since each fast path
/// compares its result with the plain one.
///
/// A string a worker adds (a scaler's name) is a variant here, a field of `Worker`, and a
/// line in `stand_in_worker`; until then its objects are rendered one worker at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StandIn {
    /// The Deployment's name, also its pods' `app` label and the name of each object that
    /// belongs to the worker or names its Deployment.
    Name,
    /// The value of the worker's queue variable.
    Queue,
}

impl StandIn {
    pub(super) const ALL: [StandIn; 2] = [StandIn::Name, StandIn::Queue];

    /// The text that stands in for the worker's string.
    pub(super) const fn text(self) -> &'static str {
        match self {
            StandIn::Name => "\u{f8ff}sg-executor-gen worker name\u{f8ff}",
            StandIn::Queue => "\u{f8ff}sg-executor-gen worker queue\u{f8ff}",
        }
    }

    /// The stand-in `s` is, if it is one.
    fn of(s: &str) -> Option<StandIn> {
        StandIn::ALL.into_iter().find(|w| w.text() == s)
    }

    /// The worker's own string.
    fn of_worker(self, w: &Worker) -> &str {
        match self {
            StandIn::Name => &w.name,
            StandIn::Queue => &w.queue_value,
        }
    }
}

/// The worker with a stand-in in place of each of its own strings: what alike workers'
/// prototype is rendered from, and what makes them alike (every other field is equal).
pub(super) fn stand_in_worker(w: &Worker) -> Worker {
    // Every field named, so that a new one is decided here.
    let Worker {
        name: _,
        queue_var,
        queue_value: _,
        replicas,
        scaling,
        resources,
        env,
    } = w;
    Worker {
        name: StandIn::Name.text().into(),
        queue_var,
        queue_value: StandIn::Queue.text().into(),
        replicas: *replicas,
        // Its query names the worker's queues: autoscaled workers are each alike to no other.
        scaling: scaling.clone(),
        resources: Arc::clone(resources),
        env: Arc::clone(env),
    }
}

/// Whether two workers' stand-in workers are equal because they share every other field
/// (their resources and environment the very same): a quick test before comparing them
/// whole, since a thousand queues usually share them.
pub(super) fn share_all_but_strings(a: &Worker, b: &Worker) -> bool {
    // Every field named, so that a new one is decided here too.
    let Worker {
        name: _,
        queue_var,
        queue_value: _,
        replicas,
        scaling,
        resources,
        env,
    } = a;
    *queue_var == b.queue_var
        && *replicas == b.replicas
        && *scaling == b.scaling
        && Arc::ptr_eq(resources, &b.resources)
        && Arc::ptr_eq(env, &b.env)
}

/// A worker's own strings, in the order of `StandIn::ALL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Strings([String; StandIn::ALL.len()]);

impl Strings {
    pub(super) fn of(w: &Worker) -> Strings {
        Strings(StandIn::ALL.map(|s| s.of_worker(w).to_string()))
    }

    fn get(&self, s: StandIn) -> &str {
        &self.0[s as usize]
    }

    /// Puts the worker's string in place of `s` when `s` is a stand-in.
    pub(super) fn put_in(&self, s: &mut String) {
        if let Some(stand_in) = StandIn::of(s) {
            self.get(stand_in).clone_into(s);
        }
    }

    /// Puts the worker's strings in place of the stand-ins among `v`'s values (not keys).
    fn fill(&self, v: &mut Value) {
        match v {
            Value::String(s) => self.put_in(s),
            Value::Sequence(items) => items.iter_mut().for_each(|i| self.fill(i)),
            Value::Mapping(m) => m.values_mut().for_each(|i| self.fill(i)),
            _ => {}
        }
    }
}

/// One rendered object, or one patch.
#[derive(Debug, Clone)]
pub struct Object(Repr);

#[derive(Debug, Clone)]
enum Repr {
    /// Shared, not copied, by the bundle when no layer patches it.
    Whole(Arc<Value>),
    /// A worker's copy: its prototype with the worker's strings in place of the stand-ins.
    Copy {
        prototype: Arc<Value>,
        strings: Strings,
    },
}

impl Object {
    pub fn new(value: Value) -> Self {
        Object(Repr::Whole(Arc::new(value)))
    }

    /// A worker's copy of `prototype`.
    pub(super) fn copy(prototype: &Arc<Value>, strings: Strings) -> Self {
        Object(Repr::Copy {
            prototype: Arc::clone(prototype),
            strings,
        })
    }

    /// The object's tree, shared, to make copies of: the prototype when rendered from a
    /// worker with stand-ins.
    pub(super) fn into_prototype(self) -> Arc<Value> {
        match self.0 {
            Repr::Whole(tree) => tree,
            Repr::Copy { .. } => Arc::new(self.tree().into_owned()),
        }
    }

    /// The object as a tree: borrowed when whole, made when a copy.
    pub fn tree(&self) -> Cow<'_, Value> {
        match &self.0 {
            Repr::Whole(v) => Cow::Borrowed(v.as_ref()),
            Repr::Copy { prototype, strings } => {
                let mut v = Value::clone(prototype);
                strings.fill(&mut v);
                Cow::Owned(v)
            }
        }
    }

    /// Calls `f` with the object's tree. A copy is made in a tree kept per thread: copies of
    /// one prototype differ only where its stand-ins stand, so reading thousands of them one
    /// after another costs their strings, not a tree each.
    pub fn with_tree<R>(&self, f: impl FnOnce(&Value) -> R) -> R {
        let Repr::Copy { prototype, strings } = &self.0 else {
            return f(&self.tree());
        };
        SCRATCH.with(|scratch| {
            // Taken out while `f` runs, so that an `f` that reads another copy makes its own.
            let mut made = scratch
                .take()
                .filter(|m| Arc::ptr_eq(&m.prototype, prototype))
                .unwrap_or_else(|| Made {
                    prototype: Arc::clone(prototype),
                    tree: Value::clone(prototype),
                    places: stand_in_places(prototype),
                });
            for (path, stand_in) in &made.places {
                if let Some(Value::String(s)) = at_mut(&mut made.tree, path) {
                    strings.get(*stand_in).clone_into(s);
                }
            }
            debug_assert_eq!(made.tree, *self.tree());
            let result = f(&made.tree);
            scratch.set(Some(made));
            result
        })
    }

    /// A tree of the object's shape: its keys, numbers, booleans and nulls, with strings
    /// where it has strings (not necessarily its own). Objects that differ only in their
    /// strings may share one, so comparing their shapes costs nothing.
    pub fn shape(&self) -> &Value {
        match &self.0 {
            Repr::Whole(v) | Repr::Copy { prototype: v, .. } => v,
        }
    }

    /// The tree to change: a copy is made whole first.
    pub(super) fn to_mut(&mut self) -> &mut Value {
        if let Repr::Copy { .. } = self.0 {
            self.0 = Repr::Whole(Arc::new(self.tree().into_owned()));
        }
        match &mut self.0 {
            Repr::Whole(v) => Arc::make_mut(v),
            Repr::Copy { .. } => unreachable!("made whole above"),
        }
    }

    /// Whether two objects are copies of one prototype.
    #[cfg(test)]
    pub(super) fn same_prototype(&self, other: &Object) -> bool {
        matches!((&self.0, &other.0), (Repr::Copy { prototype: a, .. }, Repr::Copy { prototype: b, .. }) if Arc::ptr_eq(a, b))
    }
}

impl PartialEq for Object {
    fn eq(&self, other: &Object) -> bool {
        self.tree() == other.tree()
    }
}

/// Whether `copy`'s text is `plain`'s: texts, since YAML maps compare equal in any key order
/// and the output does not.
fn same_text(copy: &Value, plain: &Value) -> bool {
    to_yaml(copy) == to_yaml(plain)
}

/// How many of each stand-in `v` holds.
fn stand_in_counts(v: &Value) -> [usize; StandIn::ALL.len()] {
    let mut counts = [0; StandIn::ALL.len()];
    for (_, s) in stand_in_places(v) {
        counts[s as usize] += 1;
    }
    counts
}

/// Changes every object by `change`, which must not depend on a worker's strings: a copy's
/// prototype is changed once for all the copies that share it, as long as the change keeps
/// its stand-ins (a config value that happens to be one would be filled per worker) and the
/// first copy changed that way is the copy's tree changed; else that prototype's copies are
/// made whole and changed one by one. Debug builds compare every copy.
pub(super) fn change_each<'o>(
    objects: impl Iterator<Item = &'o mut Object>,
    change: impl Fn(&mut Value),
) {
    // Keyed by the old prototype, which is kept alive so that its address stays its own;
    // `None` when its copies must be changed whole.
    let mut changed: HashMap<*const Value, (Arc<Value>, Option<Arc<Value>>)> = HashMap::new();
    for object in objects {
        let (prototype, strings) = match &mut object.0 {
            Repr::Whole(v) => {
                change(Arc::make_mut(v));
                continue;
            }
            Repr::Copy { prototype, strings } => (prototype, strings),
        };
        let plain = || {
            let mut tree = Object::copy(prototype, strings.clone()).tree().into_owned();
            change(&mut tree);
            tree
        };
        let (_, new) = changed.entry(Arc::as_ptr(prototype)).or_insert_with(|| {
            let mut new = Value::clone(prototype);
            change(&mut new);
            let new = Arc::new(new);
            let safe = stand_in_counts(&new) == stand_in_counts(prototype)
                && same_text(&Object::copy(&new, strings.clone()).tree(), &plain());
            (Arc::clone(prototype), safe.then_some(new))
        });
        match new {
            Some(new) => {
                debug_assert!(same_text(
                    &Object::copy(new, strings.clone()).tree(),
                    &plain()
                ));
                *prototype = Arc::clone(new);
            }
            None => change(object.to_mut()),
        }
    }
}

/// Applies the layers' patches. A worker's copy patched by the same worker's copy of a
/// patch stays a copy: the two prototypes are merged once for all the workers, as long as
/// the merge cannot depend on the workers' strings (no stand-in is a merge key or a
/// `$patch`) and the first worker's merged copy is the merge of its trees; debug builds
/// compare every copy.
#[derive(Default)]
pub(super) struct Patcher {
    /// By the target's and the patch's prototype addresses.
    merged: HashMap<(usize, usize), Merged>,
}

struct Merged {
    /// Held, so that no other prototype can take their addresses.
    _target: Arc<Value>,
    _patch: Arc<Value>,
    /// `None` when such copies are patched whole.
    prototype: Option<Arc<Value>>,
}

impl Patcher {
    pub(super) fn apply(&mut self, target: &mut Object, patch: &Object) {
        if let Some(merged) = self.merged_prototype(target, patch) {
            if let Repr::Copy { prototype, .. } = &mut target.0 {
                *prototype = merged;
            }
            return;
        }
        super::patch::apply(target.to_mut(), &patch.tree());
    }

    fn merged_prototype(&mut self, target: &Object, patch: &Object) -> Option<Arc<Value>> {
        let (
            Repr::Copy {
                prototype: target_prototype,
                strings,
            },
            Repr::Copy {
                prototype: patch_prototype,
                strings: patch_strings,
            },
        ) = (&target.0, &patch.0)
        else {
            return None;
        };
        if strings != patch_strings {
            return None;
        }
        let whole = || {
            let mut tree = target.tree().into_owned();
            super::patch::apply(&mut tree, &patch.tree());
            tree
        };
        let key = (
            Arc::as_ptr(target_prototype) as usize,
            Arc::as_ptr(patch_prototype) as usize,
        );
        let entry = self.merged.entry(key).or_insert_with(|| {
            let mut merged = Value::clone(target_prototype);
            super::patch::apply(&mut merged, patch_prototype);
            let merged = Arc::new(merged);
            let safe = !stand_in_steers_merge(target_prototype)
                && !stand_in_steers_merge(patch_prototype)
                && same_text(&Object::copy(&merged, strings.clone()).tree(), &whole());
            Merged {
                _target: Arc::clone(target_prototype),
                _patch: Arc::clone(patch_prototype),
                prototype: safe.then_some(merged),
            }
        });
        let merged = entry.prototype.clone()?;
        debug_assert!(same_text(
            &Object::copy(&merged, strings.clone()).tree(),
            &whole()
        ));
        Some(merged)
    }
}

/// Whether a stand-in is a merge key's value or a `$patch` value anywhere in `v`: then
/// merging prototypes could match items that the workers' own strings would not. (A `$patch`
/// outside a list is never read; it is counted anyway.)
fn stand_in_steers_merge(v: &Value) -> bool {
    let is_stand_in = |v: Option<&Value>| v.and_then(Value::as_str).and_then(StandIn::of).is_some();
    match v {
        Value::Mapping(m) => m.iter().any(|(k, v)| {
            let keyed = match (k.as_str().and_then(super::patch::merge_key), v) {
                (Some(key), Value::Sequence(items)) => items
                    .iter()
                    .any(|i| is_stand_in(i.get(key)) || is_stand_in(i.get("$patch"))),
                _ => false,
            };
            keyed || is_stand_in(v.get("$patch")) || stand_in_steers_merge(v)
        }),
        Value::Sequence(items) => items.iter().any(stand_in_steers_merge),
        _ => false,
    }
}

/// Writes objects as YAML text, a copy by putting its worker's strings into its prototype's
/// text (written once): a string of one line is written alike wherever it stands, so this
/// gives the bytes the copy's tree would. The first copy of each prototype is compared with
/// its tree's text, and a prototype whose copies would differ is never used (debug builds
/// compare every copy).
pub struct Writer {
    /// By the prototype's address (the prototype held, so the address stays its own);
    /// `None` when its copies are written from their trees.
    prototypes: HashMap<usize, (Arc<Value>, Option<Vec<Piece>>)>,
}

/// A prototype's text, cut where its stand-ins stand.
enum Piece {
    Text(String),
    StandIn(StandIn),
}

impl Writer {
    /// Writes the prototypes of all the copies among `objects`.
    pub fn new<'o>(objects: impl IntoIterator<Item = &'o Object>) -> Writer {
        let mut prototypes = HashMap::new();
        for object in objects {
            if let Repr::Copy { prototype, strings } = &object.0 {
                prototypes
                    .entry(Arc::as_ptr(prototype) as usize)
                    .or_insert_with(|| {
                        let pieces = pieces(&to_yaml(prototype));
                        let mut text = String::new();
                        let fast = fill_text(&pieces, strings, &mut text)
                            && text == to_yaml(&object.tree());
                        (Arc::clone(prototype), fast.then_some(pieces))
                    });
            }
        }
        Writer { prototypes }
    }

    /// Appends one object as a YAML document (no `---`).
    pub fn write(&self, object: &Object, out: &mut String) {
        if let Repr::Copy { prototype, strings } = &object.0 {
            let key = Arc::as_ptr(prototype) as usize;
            if let Some((_, Some(pieces))) = self.prototypes.get(&key) {
                let start = out.len();
                if fill_text(pieces, strings, out) {
                    debug_assert_eq!(out[start..], to_yaml(&object.tree()));
                    return;
                }
                out.truncate(start);
            }
        }
        write_yaml(&object.tree(), out);
    }
}

/// A prototype's text cut at its stand-ins.
fn pieces(text: &str) -> Vec<Piece> {
    let written = StandIn::ALL.map(|s| {
        (
            one_line_string(s.text()).expect("a stand-in is one line"),
            s,
        )
    });
    let mut pieces = Vec::new();
    let mut rest = text;
    loop {
        let next = written
            .iter()
            .filter_map(|(written, s)| {
                rest.find(written.as_str())
                    .map(|at| (at, written.len(), *s))
            })
            .min_by_key(|(at, _, _)| *at);
        let Some((at, len, stand_in)) = next else {
            pieces.push(Piece::Text(rest.to_string()));
            return pieces;
        };
        pieces.push(Piece::Text(rest[..at].to_string()));
        pieces.push(Piece::StandIn(stand_in));
        rest = &rest[at + len..];
    }
}

/// Appends a copy's text from its prototype's pieces; false when one of its strings has
/// several lines (then its text depends on where the string stands).
fn fill_text(pieces: &[Piece], strings: &Strings, out: &mut String) -> bool {
    let Some(written) = StandIn::ALL
        .iter()
        .map(|s| one_line_string(strings.get(*s)))
        .collect::<Option<Vec<String>>>()
    else {
        return false;
    };
    for piece in pieces {
        out.push_str(match piece {
            Piece::Text(text) => text,
            Piece::StandIn(s) => &written[*s as usize],
        });
    }
    true
}

thread_local! {
    /// The last copy `Object::with_tree` made on this thread.
    static SCRATCH: std::cell::Cell<Option<Made>> = const { std::cell::Cell::new(None) };
}

/// A copy made, and where in it its worker's strings stand.
struct Made {
    /// Held, so that no other prototype can take its address while it is compared.
    prototype: Arc<Value>,
    tree: Value,
    places: Vec<(Vec<usize>, StandIn)>,
}

/// The value at `path` (an index at each level).
fn at_mut<'v>(mut v: &'v mut Value, path: &[usize]) -> Option<&'v mut Value> {
    for &i in path {
        v = match v {
            Value::Sequence(items) => items.get_mut(i)?,
            Value::Mapping(m) => m.values_mut().nth(i)?,
            _ => return None,
        };
    }
    Some(v)
}

/// The places a copy's strings go: values (not keys) that are a stand-in, each by its path
/// (the index at each level).
fn stand_in_places(prototype: &Value) -> Vec<(Vec<usize>, StandIn)> {
    fn walk(v: &Value, path: &mut Vec<usize>, places: &mut Vec<(Vec<usize>, StandIn)>) {
        let mut each = |i: usize, item: &Value, path: &mut Vec<usize>| {
            path.push(i);
            walk(item, path, places);
            path.pop();
        };
        match v {
            Value::String(s) => places.extend(StandIn::of(s).map(|w| (path.clone(), w))),
            Value::Sequence(items) => items.iter().enumerate().for_each(|(i, v)| each(i, v, path)),
            Value::Mapping(m) => m.values().enumerate().for_each(|(i, v)| each(i, v, path)),
            _ => {}
        }
    }
    let mut places = Vec::new();
    walk(prototype, &mut Vec::new(), &mut places);
    places
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use std::cell::Cell;

    pub(in crate::render) const N: &str = StandIn::Name.text();
    pub(in crate::render) const Q: &str = StandIn::Queue.text();

    /// A worker's strings.
    pub(in crate::render) fn strings(name: &str, queue: &str) -> Strings {
        Strings([name.into(), queue.into()])
    }

    fn prototype() -> Arc<Value> {
        let text = format!(
            "kind: Deployment\nmetadata: {{name: '{N}', labels: {{app: '{N}'}}}}\nspec:\n  env: [{{name: QUEUE, value: '{Q}'}}, {{name: OTHER, value: kept}}]\n"
        );
        Arc::new(serde_yaml::from_str(&text).unwrap())
    }

    fn copy(p: &Arc<Value>, name: &str, queue: &str) -> Object {
        Object::copy(p, strings(name, queue))
    }

    #[test]
    fn a_copy_is_its_prototype_with_the_workers_strings_put_in() {
        let p = prototype();
        let copy = copy(&p, "executor-a", "batches");
        let expected: Value = serde_yaml::from_str(
            "kind: Deployment\nmetadata: {name: executor-a, labels: {app: executor-a}}\nspec:\n  env: [{name: QUEUE, value: batches}, {name: OTHER, value: kept}]\n",
        )
        .unwrap();
        assert_eq!(*copy.tree(), expected);
        assert_eq!(copy, Object::new(expected));
        assert!(std::ptr::eq(copy.shape(), p.as_ref()));
    }

    /// Whatever the strings, a copy is written as its tree would be.
    #[test]
    fn a_copy_is_written_as_its_tree() {
        let embedded = Arc::new(
            serde_yaml::from_str::<Value>(&format!(
                "metadata: {{name: '{N}'}}\nnote: 'worker {N}'\n"
            ))
            .unwrap(),
        );
        let p = prototype();
        let cases = [
            (&p, "executor-a", "batches"),
            (&p, "executor-b", "true"),
            (&p, "executor-c", "a: b # c"),
            (&p, "executor-d", "two\nlines"),
            (&p, "executor-e", "caf\u{e9} \u{85}"),
            (&embedded, "executor-a", "batches"),
        ];
        let copies: Vec<Object> = cases
            .iter()
            .map(|(p, name, queue)| copy(p, name, queue))
            .collect();
        let writer = Writer::new(&copies);
        for copy in &copies {
            let mut text = String::new();
            writer.write(copy, &mut text);
            assert_eq!(text, to_yaml(&copy.tree()));
        }
        let fast = |p: &Arc<Value>| writer.prototypes[&(Arc::as_ptr(p) as usize)].1.is_some();
        assert!(
            fast(&p),
            "copies of a plain prototype are filled in as text"
        );
        assert!(
            !fast(&embedded),
            "a stand-in inside a string is written from the tree"
        );
    }

    /// Workers' copies patched by their copies of one patch stay copies of one merged
    /// prototype, each the merge of its own trees; a stand-in that would pick the items to
    /// merge makes the workers be patched whole, with the same result.
    #[test]
    fn copies_patched_by_copies_share_one_merged_prototype() {
        let patch = Arc::new(
            serde_yaml::from_str::<Value>(&format!(
                "kind: Deployment\nmetadata: {{name: '{N}'}}\nspec: {{template: {{spec: {{containers: [{{name: dind, image: gvisor}}]}}}}}}"
            ))
            .unwrap(),
        );
        let keyed_by_name = Arc::new(
            serde_yaml::from_str::<Value>(&format!(
                "kind: Deployment\nmetadata: {{name: '{N}'}}\nspec: {{template: {{spec: {{containers: [{{name: '{N}'}}, {{name: dind, image: docker}}]}}}}}}"
            ))
            .unwrap(),
        );
        for (target, shared) in [(prototype(), true), (keyed_by_name, false)] {
            let mut patcher = Patcher::default();
            let mut workers = [
                copy(&target, "executor-a", "batches"),
                copy(&target, "executor-b", "codeintel"),
            ];
            for (w, (name, queue)) in workers
                .iter_mut()
                .zip([("executor-a", "batches"), ("executor-b", "codeintel")])
            {
                let mut direct = w.tree().into_owned();
                let patch = copy(&patch, name, queue);
                super::super::patch::apply(&mut direct, &patch.tree());
                patcher.apply(w, &patch);
                assert_eq!(*w.tree(), direct, "{name}");
            }
            assert_eq!(workers[0].same_prototype(&workers[1]), shared);
        }
    }

    #[test]
    fn copies_read_one_after_another_are_each_their_own() {
        let (p, other) = (prototype(), prototype());
        let copies = [
            copy(&p, "executor-a", "batches"),
            copy(&p, "executor-b", "codeintel"),
            copy(&other, "executor-c", "batches"),
            copy(&p, "executor-d", "codeintel"),
            Object::new(serde_yaml::from_str("kind: ConfigMap").unwrap()),
        ];
        for copy in &copies {
            assert_eq!(copy.with_tree(Value::clone), *copy.tree());
        }
        // One read inside another.
        let nested = copies[0].with_tree(|a| copies[1].with_tree(|b| (a.clone(), b.clone())));
        assert_eq!(
            nested,
            (copies[0].tree().into_owned(), copies[1].tree().into_owned())
        );
    }

    #[test]
    fn a_copy_changed_alone_is_made_whole_first() {
        let p = prototype();
        let mut copy = copy(&p, "executor-a", "batches");
        copy.to_mut()["kind"] = "StatefulSet".into();
        assert!(matches!(copy.0, Repr::Whole(_)));
        assert_eq!(copy.tree()["metadata"]["name"], "executor-a");
        assert_eq!(copy.tree()["kind"], "StatefulSet");
        assert_eq!(p["kind"], "Deployment", "the prototype is not changed");
    }

    #[test]
    fn a_shared_prototype_is_changed_once_for_all_its_copies() {
        let p = prototype();
        let mut objects = [
            copy(&p, "executor-a", "batches"),
            Object::new(serde_yaml::from_str("kind: ConfigMap").unwrap()),
            copy(&p, "executor-b", "codeintel"),
        ];
        let calls = Cell::new(0);
        change_each(objects.iter_mut(), |v| {
            calls.set(calls.get() + 1);
            v["metadata"]["namespace"] = "sg".into();
        });
        // Debug builds also change every copy's tree, to compare.
        let compared = if cfg!(debug_assertions) { 2 } else { 0 };
        assert_eq!(
            calls.get(),
            3 + compared,
            "once for the prototype, once for the first copy's tree, once for the ConfigMap"
        );
        assert!(objects[0].same_prototype(&objects[2]));
        for (object, name) in [(&objects[0], "executor-a"), (&objects[2], "executor-b")] {
            assert_eq!(object.tree()["metadata"]["namespace"], "sg");
            assert_eq!(object.tree()["metadata"]["name"], name);
        }
        assert_eq!(objects[1].tree()["metadata"]["namespace"], "sg");
        assert!(p.get("metadata").unwrap().get("namespace").is_none());
    }

    /// A change that puts a stand-in in (a config value equal to one) is made to each copy.
    #[test]
    fn a_change_that_adds_a_stand_in_is_made_to_each_copy() {
        let p = prototype();
        let mut objects = [
            copy(&p, "executor-a", "batches"),
            copy(&p, "executor-b", "codeintel"),
        ];
        change_each(objects.iter_mut(), |v| v["note"] = N.into());
        for (object, name) in objects.iter().zip(["executor-a", "executor-b"]) {
            assert!(matches!(object.0, Repr::Whole(_)));
            assert_eq!(object.tree()["note"], N);
            assert_eq!(object.tree()["metadata"]["name"], name);
        }
    }
}
