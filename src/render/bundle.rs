//! The final set of objects: the base plus every layer's objects, each layer's patches
//! applied, ordered by kind and name so the same config always prints the same bytes. The
//! stack's objects are already in their namespace; an object no layer patches is shared,
//! not copied, and a worker's copy patched by its own copy of a patch stays a copy
//! (`Patcher`). `check` then checks the bundle before anything prints it.

use super::object::{Object, Patcher, Writer};
use super::stack::Stack;
use super::templates::RenderError;
use crate::k8s::resid::ResId;
use crate::parallel;
use indexmap::IndexMap;
use serde_yaml::Value;
use std::borrow::Cow;
use std::io::Write;

#[derive(Debug)]
pub struct Bundle {
    objects: IndexMap<ResId, Object>,
}

/// Assembles the stack into the objects `render` prints.
pub fn assemble(stack: &Stack) -> Result<Bundle, RenderError> {
    let mut objects: IndexMap<ResId, Object> = IndexMap::new();
    let mut problems = Vec::new();
    let resources = stack
        .base
        .iter()
        .chain(stack.layers.iter().flat_map(|l| l.resources.iter()));
    for r in resources {
        if objects.insert(r.id.clone(), r.object.clone()).is_some() {
            problems.push(format!("{}: metadata.name: rendered twice", r.id));
        }
    }
    let mut patcher = Patcher::default();
    for layer in &stack.layers {
        for p in &layer.patches {
            match objects.get_mut(&p.id) {
                Some(target) => patcher.apply(target, &p.object),
                None => problems.push(format!(
                    "{}: layer {} patches an object that does not exist",
                    p.id, layer.name
                )),
            }
        }
    }
    if !problems.is_empty() {
        return Err(RenderError::Assemble { problems });
    }
    objects.sort_keys();
    Ok(Bundle { objects })
}

impl Bundle {
    /// The objects' ids, in order.
    pub fn ids(&self) -> impl Iterator<Item = &ResId> {
        self.objects.keys()
    }

    /// The objects in order, to check.
    pub fn iter(&self) -> impl Iterator<Item = (&ResId, &Object)> {
        self.objects.iter()
    }

    /// The objects in order as trees; a worker's copy is made as it is read.
    pub fn objects(&self) -> impl Iterator<Item = (&ResId, Cow<'_, Value>)> {
        self.objects.iter().map(|(id, o)| (id, o.tree()))
    }

    /// One multi-document YAML stream, in the bundle's fixed order.
    pub fn to_stream(&self) -> String {
        let mut out = Vec::new();
        // Writing into memory cannot fail.
        let _ = self.write_stream(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// Writes the objects as one kubectl `List` in JSON (what `kubectl get -o json` prints and
    /// `kubectl apply -f` reads), in the bundle's fixed order, ending with a newline.
    pub fn write_json_list(&self, out: &mut dyn Write) -> std::io::Result<()> {
        #[derive(serde::Serialize)]
        struct List<'a> {
            #[serde(rename = "apiVersion")]
            api_version: &'static str,
            kind: &'static str,
            items: Vec<Cow<'a, Value>>,
        }
        let list = List {
            api_version: "v1",
            kind: "List",
            items: self.objects().map(|(_, o)| o).collect(),
        };
        serde_json::to_writer_pretty(&mut *out, &list)?;
        out.write_all(b"\n")
    }

    /// Writes the stream, a batch of objects at a time: each batch is turned into text on
    /// every core, then written in order, so the stream is never held whole.
    pub fn write_stream(&self, out: &mut dyn Write) -> std::io::Result<()> {
        const BATCH: usize = 512;
        let objects: Vec<&Object> = self.objects.values().collect();
        let writer = Writer::new(objects.iter().copied());
        for (b, batch) in objects.chunks(BATCH).enumerate() {
            let texts = parallel::map(batch, |object| {
                let mut text = String::new();
                writer.write(object, &mut text);
                text
            });
            for (i, text) in texts.iter().enumerate() {
                if b > 0 || i > 0 {
                    out.write_all(b"---\n")?;
                }
                out.write_all(text.as_bytes())?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::stack::render_stack;

    /// With every layer on, alike workers' Deployments are patched prototype to prototype:
    /// they stay copies of one tree, each still its own worker's.
    #[test]
    fn alike_workers_stay_copies_of_one_tree_through_every_layer() {
        let queues: String = (0..20)
            .map(|i| format!("    - {{name: q{i}, queueName: batches}}\n"))
            .collect();
        let config = crate::render::stack::tests::config(
            "{name: executor, namespace: sg, annotations: {team: code}}",
            "    storage: {type: ephemeral, size: 50Gi}
  sourcegraph:
    nodeSelector: {pool: executors}
  dind:
    gVisor: {enabled: true}
  networkPolicy: {enabled: true}
  privateDockerRegistry: {enabled: true}
",
            &queues,
        );
        let stack = render_stack(&config).expect("renders");
        // Every layer that patches or adds to the executor Deployments.
        assert_eq!(
            stack.layers.iter().map(|l| l.name).collect::<Vec<_>>(),
            crate::render::stack::LAYERS[..6]
        );
        let bundle = assemble(&stack).expect("assembles");
        let workers: Vec<(&ResId, &Object)> = bundle
            .iter()
            .filter(|(id, _)| id.kind == "Deployment" && id.name.starts_with("executor-q"))
            .collect();
        assert_eq!(workers.len(), 20);
        for (id, w) in &workers {
            assert!(w.same_prototype(workers[0].1), "{id}");
            let tree = w.tree();
            let pod = &tree["spec"]["template"]["spec"];
            assert_eq!(tree["metadata"]["name"].as_str(), Some(id.name.as_str()));
            assert_eq!(pod["runtimeClassName"], "gvisor");
            assert_eq!(pod["nodeSelector"]["pool"], "executors");
            let scratch = pod["volumes"]
                .as_sequence()
                .and_then(|v| v.iter().find(|v| v["name"] == "executor-scratch"));
            assert!(scratch.is_some_and(|s| s["ephemeral"].is_mapping()), "{id}");
        }
    }
}
