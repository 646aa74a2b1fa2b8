//! The final set of objects: the base plus every layer's objects, each layer's patches
//! applied, the namespace set, checked, and ordered by kind and name so the same config
//! always prints the same bytes.

use super::{check, CheckError, Finding};
use crate::k8s::resid::ResId;
use crate::parallel;
use crate::render::object::{Object, Patcher, Writer};
use crate::render::stack::Stack;
use indexmap::IndexMap;
use serde_yaml::Value;
use std::borrow::Cow;
use std::io::Write;

#[derive(Debug)]
pub struct Bundle {
    objects: IndexMap<ResId, Object>,
}

/// Assembles the stack into the objects `render` prints, and checks them. The stack's
/// objects are already in their namespace; an object no layer patches is shared, not copied,
/// and a worker's copy stays a copy.
pub fn assemble(stack: &Stack) -> Result<Bundle, CheckError> {
    let mut objects: IndexMap<ResId, Object> = IndexMap::new();
    let mut findings = Vec::new();
    let resources = stack
        .base
        .iter()
        .chain(stack.layers.iter().flat_map(|l| l.resources.iter()));
    for r in resources {
        if objects.insert(r.id.clone(), r.object.clone()).is_some() {
            findings.push(Finding {
                id: r.id.clone(),
                field: "metadata.name".into(),
                message: "rendered twice".into(),
            });
        }
    }
    let mut patcher = Patcher::default();
    for layer in &stack.layers {
        for p in &layer.patches {
            match objects.get_mut(&p.id) {
                Some(target) => patcher.apply(target, &p.object),
                None => findings.push(Finding {
                    id: p.id.clone(),
                    field: String::new(),
                    message: format!("layer {} patches an object that does not exist", layer.name),
                }),
            }
        }
    }
    if !findings.is_empty() {
        return Err(CheckError { findings });
    }
    objects.sort_keys();
    check(objects.iter())?;
    Ok(Bundle { objects })
}

impl Bundle {
    /// The objects' ids, in order.
    pub fn ids(&self) -> impl Iterator<Item = &ResId> {
        self.objects.keys()
    }

    /// The objects in order; a worker's copy is made as it is read.
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
