//! A rendered object, whole or as a copy: a thousand queues are a thousand Deployments that
//! differ only in a worker's name and queue, so each worker's is kept as its shape's
//! prototype (rendered once, with stand-ins for those two strings) and the two strings, and
//! made into a tree only while it is read, checked or written. Memory then grows with the
//! shapes, not with the queues.

use super::yaml_out::{one_line_string, to_yaml, write_yaml};
use serde_yaml::Value;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

/// Stand-ins for the two strings in which workers of one shape differ: private-use
/// characters, which no config value holds.
pub(crate) const NAME_STAND_IN: &str = "\u{f8ff}sg-executor-gen worker name\u{f8ff}";
pub(crate) const QUEUE_STAND_IN: &str = "\u{f8ff}sg-executor-gen worker queue\u{f8ff}";

/// Which of the two strings a stand-in stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StandIn {
    Name,
    Queue,
}

impl StandIn {
    const ALL: [StandIn; 2] = [StandIn::Name, StandIn::Queue];

    /// The stand-in `s` is, if it is one.
    fn of(s: &str) -> Option<StandIn> {
        match s {
            NAME_STAND_IN => Some(StandIn::Name),
            QUEUE_STAND_IN => Some(StandIn::Queue),
            _ => None,
        }
    }

    fn text(self) -> &'static str {
        match self {
            StandIn::Name => NAME_STAND_IN,
            StandIn::Queue => QUEUE_STAND_IN,
        }
    }

    /// The worker's string it stands for.
    fn pick<'a>(self, name: &'a str, queue: &'a str) -> &'a str {
        match self {
            StandIn::Name => name,
            StandIn::Queue => queue,
        }
    }
}

/// Puts the worker's name or queue in place of `s` when `s` is a stand-in.
pub(crate) fn put_in(s: &mut String, name: &str, queue: &str) {
    if let Some(stand_in) = StandIn::of(s) {
        stand_in.pick(name, queue).clone_into(s);
    }
}

#[derive(Debug, Clone)]
pub enum Object {
    /// Shared, not copied, by the bundle when no layer patches it.
    Whole(Arc<Value>),
    /// A worker's copy of its shape's prototype.
    Copy {
        prototype: Arc<Value>,
        name: String,
        queue: String,
    },
}

impl Object {
    pub fn new(value: Value) -> Self {
        Object::Whole(Arc::new(value))
    }

    /// A copy of `prototype` with `name` and `queue` in place of the stand-ins.
    pub(crate) fn copy(prototype: &Arc<Value>, name: &str, queue: &str) -> Self {
        Object::Copy {
            prototype: Arc::clone(prototype),
            name: name.into(),
            queue: queue.into(),
        }
    }

    /// The object as a tree: borrowed when whole, made when a copy.
    pub fn tree(&self) -> Cow<'_, Value> {
        match self {
            Object::Whole(v) => Cow::Borrowed(v.as_ref()),
            Object::Copy {
                prototype,
                name,
                queue,
            } => {
                let mut v = Value::clone(prototype);
                fill(&mut v, name, queue);
                Cow::Owned(v)
            }
        }
    }

    /// The object as a tree, a copy made in `scratch`: copies of one prototype differ only
    /// where its stand-ins stand, so the next copy of the same prototype costs two strings
    /// set in place, not a new tree. For reading thousands of copies, one after another.
    pub fn tree_in<'s>(&'s self, scratch: &'s mut CopyScratch) -> &'s Value {
        let (prototype, name, queue) = match self {
            Object::Whole(tree) => return tree,
            Object::Copy {
                prototype,
                name,
                queue,
            } => (prototype, name, queue),
        };
        let fresh = !matches!(&scratch.made, Some(made) if Arc::ptr_eq(&made.prototype, prototype));
        if fresh {
            scratch.made = Some(Made {
                prototype: Arc::clone(prototype),
                tree: Value::clone(prototype),
                places: stand_in_places(prototype),
            });
        }
        let made = scratch.made.as_mut().expect("made above");
        for (path, stand_in) in &made.places {
            if let Some(Value::String(s)) = at_mut(&mut made.tree, path) {
                stand_in.pick(name, queue).clone_into(s);
            }
        }
        &made.tree
    }

    /// The tree to change: a copy is made whole first.
    pub fn to_mut(&mut self) -> &mut Value {
        if let Object::Copy { .. } = self {
            *self = Object::Whole(Arc::new(self.tree().into_owned()));
        }
        match self {
            Object::Whole(v) => Arc::make_mut(v),
            Object::Copy { .. } => unreachable!("made whole above"),
        }
    }

    /// The tree of the object's keys, numbers and booleans: a copy's is its prototype's,
    /// which differs from it only in two strings.
    pub fn shape(&self) -> &Value {
        match self {
            Object::Whole(v) | Object::Copy { prototype: v, .. } => v,
        }
    }

    /// The same number for the copies of one prototype (its address), `None` when whole.
    pub fn prototype_key(&self) -> Option<usize> {
        match self {
            Object::Copy { prototype, .. } => Some(Arc::as_ptr(prototype) as usize),
            Object::Whole(_) => None,
        }
    }

    /// Whether two objects are copies of one prototype, so of one shape.
    pub fn same_prototype(&self, other: &Object) -> bool {
        matches!((self, other), (Object::Copy { prototype: a, .. }, Object::Copy { prototype: b, .. }) if Arc::ptr_eq(a, b))
    }
}

impl PartialEq for Object {
    fn eq(&self, other: &Object) -> bool {
        self.tree() == other.tree()
    }
}

/// Changes every object by `change`, which must not depend on a worker's name or queue: a
/// copy's prototype is changed once for all the copies that share it. A change that adds or
/// removes a stand-in (a config value that happens to be one) would be filled per worker:
/// that prototype's copies are made whole and changed one by one instead.
pub(crate) fn change_each<'o>(
    objects: impl Iterator<Item = &'o mut Object>,
    change: impl Fn(&mut Value),
) {
    // Keyed by the old prototype, which is kept alive so that its address stays its own;
    // `None` when its copies must be changed whole.
    let mut changed: HashMap<*const Value, (Arc<Value>, Option<Arc<Value>>)> = HashMap::new();
    for object in objects {
        let new = match object {
            Object::Whole(v) => {
                change(Arc::make_mut(v));
                continue;
            }
            Object::Copy { prototype, .. } => {
                let (_, new) = changed.entry(Arc::as_ptr(prototype)).or_insert_with(|| {
                    let mut new = Value::clone(prototype);
                    change(&mut new);
                    let count = |v: &Value| {
                        let places = stand_in_places(v);
                        let names = places.iter().filter(|(_, s)| *s == StandIn::Name).count();
                        (names, places.len() - names)
                    };
                    let same = count(&new) == count(prototype);
                    (Arc::clone(prototype), same.then(|| Arc::new(new)))
                });
                match new {
                    Some(new) => {
                        *prototype = Arc::clone(new);
                        continue;
                    }
                    None => object.to_mut(),
                }
            }
        };
        change(new);
    }
}

/// A prototype of a patch every worker gets under its own name: the patch with a stand-in
/// for its `metadata.name`, so a worker's copy (`Object::copy`) is the patch renamed. `None`
/// when the patch has no name to stand in for, or holds a stand-in already (a config value
/// that happens to be one).
pub(crate) fn named_prototype(patch: &Value) -> Option<Arc<Value>> {
    if !stand_in_places(patch).is_empty() {
        return None;
    }
    let mut prototype = patch.clone();
    let Some(Value::String(name)) = prototype
        .get_mut("metadata")
        .and_then(|m| m.get_mut("name"))
    else {
        return None;
    };
    NAME_STAND_IN.clone_into(name);
    Some(Arc::new(prototype))
}

/// Applies the layers' patches. A worker's copy patched by its copy of a patch prototype
/// stays a copy: the two prototypes are merged once for all the workers, as long as the
/// merge cannot depend on the two strings (no stand-in is a merge key or a `$patch`) and the
/// first worker's merged copy is the merge of its trees; debug builds compare every copy.
#[derive(Default)]
pub struct Patcher {
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
    pub fn apply(&mut self, target: &mut Object, patch: &Object) {
        if let Some(merged) = self.merged_prototype(target, patch) {
            if let Object::Copy { prototype, .. } = target {
                *prototype = merged;
            }
            return;
        }
        super::patch::apply(target.to_mut(), &patch.tree());
    }

    fn merged_prototype(&mut self, target: &Object, patch: &Object) -> Option<Arc<Value>> {
        let (
            Object::Copy {
                prototype: target_prototype,
                name,
                queue,
            },
            Object::Copy {
                prototype: patch_prototype,
                name: patch_name,
                ..
            },
        ) = (target, patch)
        else {
            return None;
        };
        if name != patch_name {
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
                && to_yaml(&Object::copy(&merged, name, queue).tree()) == to_yaml(&whole());
            Merged {
                _target: Arc::clone(target_prototype),
                _patch: Arc::clone(patch_prototype),
                prototype: safe.then_some(merged),
            }
        });
        let merged = entry.prototype.clone()?;
        debug_assert_eq!(
            to_yaml(&Object::copy(&merged, name, queue).tree()),
            to_yaml(&whole())
        );
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

/// Writes objects as YAML text, a copy by putting its two strings into its prototype's
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
            if let Object::Copy { prototype, .. } = object {
                prototypes
                    .entry(object.prototype_key().expect("a copy"))
                    .or_insert_with(|| {
                        let pieces = pieces(&to_yaml(prototype));
                        let mut text = String::new();
                        let fast = fill_text(&pieces, object, &mut text)
                            && text == to_yaml(&object.tree());
                        (Arc::clone(prototype), fast.then_some(pieces))
                    });
            }
        }
        Writer { prototypes }
    }

    /// Appends one object as a YAML document (no `---`).
    pub fn write(&self, object: &Object, out: &mut String) {
        if let Some(key) = object.prototype_key() {
            if let Some((_, Some(pieces))) = self.prototypes.get(&key) {
                let start = out.len();
                if fill_text(pieces, object, out) {
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

/// Appends a copy's text from its prototype's pieces; false when its name or queue has
/// several lines (then its text depends on where the string stands).
fn fill_text(pieces: &[Piece], copy: &Object, out: &mut String) -> bool {
    let Object::Copy { name, queue, .. } = copy else {
        return false;
    };
    let (Some(name), Some(queue)) = (one_line_string(name), one_line_string(queue)) else {
        return false;
    };
    for piece in pieces {
        out.push_str(match piece {
            Piece::Text(text) => text,
            Piece::StandIn(s) => s.pick(&name, &queue),
        });
    }
    true
}

/// Where `Object::tree_in` makes copies; one per thread.
#[derive(Default)]
pub struct CopyScratch {
    made: Option<Made>,
}

/// The last copy made, and where in it its two strings stand.
struct Made {
    /// Held, so that no other prototype can take its address while it is compared.
    prototype: Arc<Value>,
    tree: Value,
    /// Each stand-in's path (the index at each level).
    places: Vec<(Vec<usize>, StandIn)>,
}

/// The places `fill` puts the name and queue: values (not keys) that are a stand-in.
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

/// Puts the worker's name and queue in place of the stand-ins.
fn fill(v: &mut Value, name: &str, queue: &str) {
    match v {
        Value::String(s) => put_in(s, name, queue),
        Value::Sequence(items) => items.iter_mut().for_each(|i| fill(i, name, queue)),
        Value::Mapping(m) => m.values_mut().for_each(|i| fill(i, name, queue)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn prototype() -> Arc<Value> {
        let text = format!(
            "kind: Deployment\nmetadata: {{name: '{NAME_STAND_IN}', labels: {{app: '{NAME_STAND_IN}'}}}}\nspec:\n  env: [{{name: QUEUE, value: '{QUEUE_STAND_IN}'}}, {{name: OTHER, value: kept}}]\n"
        );
        Arc::new(serde_yaml::from_str(&text).unwrap())
    }

    #[test]
    fn a_copy_is_its_prototype_with_the_two_strings_put_in() {
        let p = prototype();
        let copy = Object::copy(&p, "executor-a", "batches");
        let expected: Value = serde_yaml::from_str(
            "kind: Deployment\nmetadata: {name: executor-a, labels: {app: executor-a}}\nspec:\n  env: [{name: QUEUE, value: batches}, {name: OTHER, value: kept}]\n",
        )
        .unwrap();
        assert_eq!(*copy.tree(), expected);
        assert_eq!(copy, Object::new(expected));
        assert!(std::ptr::eq(copy.shape(), p.as_ref()));
        assert!(copy.same_prototype(&Object::copy(&p, "executor-b", "codeintel")));
        assert!(!copy.same_prototype(&Object::copy(&prototype(), "executor-a", "batches")));
    }

    /// Whatever the strings, a copy is written as its tree would be.
    #[test]
    fn a_copy_is_written_as_its_tree() {
        let embedded = Arc::new(
            serde_yaml::from_str::<Value>(&format!(
                "metadata: {{name: '{NAME_STAND_IN}'}}\nnote: 'worker {NAME_STAND_IN}'\n"
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
            .map(|(p, name, queue)| Object::copy(p, name, queue))
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

    #[test]
    fn copies_made_in_one_scratch_are_each_their_own() {
        let (p, other) = (prototype(), prototype());
        let copies = [
            Object::copy(&p, "executor-a", "batches"),
            Object::copy(&p, "executor-b", "codeintel"),
            Object::copy(&other, "executor-c", "batches"),
            Object::copy(&p, "executor-d", "codeintel"),
            Object::new(serde_yaml::from_str("kind: ConfigMap").unwrap()),
        ];
        let mut scratch = CopyScratch::default();
        for copy in &copies {
            assert_eq!(*copy.tree_in(&mut scratch), *copy.tree());
        }
    }

    /// Workers' copies patched by their copies of one patch stay copies of one merged
    /// prototype, each the merge of its own trees; a stand-in that would pick the items to
    /// merge makes the workers be patched whole, with the same result.
    #[test]
    fn copies_patched_by_copies_share_one_merged_prototype() {
        let patch: Value = serde_yaml::from_str(
            "kind: Deployment\nmetadata: {name: executor-a}\nspec: {template: {spec: {containers: [{name: dind, image: gvisor}]}}}",
        )
        .unwrap();
        let patch = named_prototype(&patch).expect("a patch with a name");
        let keyed_by_name = Arc::new(
            serde_yaml::from_str::<Value>(&format!(
                "kind: Deployment\nmetadata: {{name: '{NAME_STAND_IN}'}}\nspec: {{template: {{spec: {{containers: [{{name: '{NAME_STAND_IN}'}}, {{name: dind, image: docker}}]}}}}}}"
            ))
            .unwrap(),
        );
        for (target, shared) in [(prototype(), true), (keyed_by_name, false)] {
            let mut patcher = Patcher::default();
            let mut workers = [
                Object::copy(&target, "executor-a", "batches"),
                Object::copy(&target, "executor-b", "codeintel"),
            ];
            for (w, name) in workers.iter_mut().zip(["executor-a", "executor-b"]) {
                let mut direct = w.tree().into_owned();
                let patch = Object::copy(&patch, name, "unused");
                super::super::patch::apply(&mut direct, &patch.tree());
                patcher.apply(w, &patch);
                assert_eq!(*w.tree(), direct, "{name}");
            }
            assert_eq!(workers[0].same_prototype(&workers[1]), shared);
        }
        let holds_stand_in: Value =
            serde_yaml::from_str(&format!("metadata: {{name: a}}\nnote: '{QUEUE_STAND_IN}'"))
                .unwrap();
        assert!(named_prototype(&holds_stand_in).is_none());
    }

    #[test]
    fn a_copy_changed_alone_is_made_whole_first() {
        let p = prototype();
        let mut copy = Object::copy(&p, "executor-a", "batches");
        copy.to_mut()["kind"] = "StatefulSet".into();
        assert!(matches!(copy, Object::Whole(_)));
        assert_eq!(copy.tree()["metadata"]["name"], "executor-a");
        assert_eq!(copy.tree()["kind"], "StatefulSet");
        assert_eq!(p["kind"], "Deployment", "the prototype is not changed");
    }

    #[test]
    fn a_shared_prototype_is_changed_once_for_all_its_copies() {
        let p = prototype();
        let mut objects = [
            Object::copy(&p, "executor-a", "batches"),
            Object::new(serde_yaml::from_str("kind: ConfigMap").unwrap()),
            Object::copy(&p, "executor-b", "codeintel"),
        ];
        let calls = Cell::new(0);
        change_each(objects.iter_mut(), |v| {
            calls.set(calls.get() + 1);
            v["metadata"]["namespace"] = "sg".into();
        });
        assert_eq!(
            calls.get(),
            2,
            "once for the prototype, once for the ConfigMap"
        );
        assert!(objects[0].same_prototype(&objects[2]));
        for (object, name) in [(&objects[0], "executor-a"), (&objects[2], "executor-b")] {
            assert_eq!(object.tree()["metadata"]["namespace"], "sg");
            assert_eq!(object.tree()["metadata"]["name"], name);
        }
        assert_eq!(objects[1].tree()["metadata"]["namespace"], "sg");
        assert!(p.get("metadata").unwrap().get("namespace").is_none());
    }
}
