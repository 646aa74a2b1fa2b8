//! The final set of objects: the base plus every layer's objects, each layer's patches
//! applied, the namespace set, checked, and ordered by kind and name so the same config
//! always prints the same bytes.

use super::{check, CheckError, Finding};
use crate::k8s::resid::ResId;
use crate::render::patch::{self, set_namespace};
use crate::render::stack::Stack;
use crate::render::yaml_out::to_yaml;
use indexmap::IndexMap;
use serde_yaml::Value;

#[derive(Debug)]
pub struct Bundle {
    objects: IndexMap<ResId, Value>,
}

/// Assembles the stack into the objects `render` prints, and checks them.
pub fn assemble(stack: &Stack, namespace: Option<&str>) -> Result<Bundle, CheckError> {
    let mut objects: IndexMap<ResId, Value> = IndexMap::new();
    let mut findings = Vec::new();
    let add = |objects: &mut IndexMap<ResId, Value>,
               id: &ResId,
               object: &Value,
               findings: &mut Vec<Finding>| {
        if objects.insert(id.clone(), object.clone()).is_some() {
            findings.push(Finding {
                id: id.clone(),
                field: "metadata.name".into(),
                message: "rendered twice".into(),
            });
        }
    };
    for r in &stack.base {
        add(&mut objects, &r.id, &r.object, &mut findings);
    }
    for layer in &stack.layers {
        for r in &layer.resources {
            add(&mut objects, &r.id, &r.object, &mut findings);
        }
        for p in &layer.patches {
            match objects.get_mut(&p.id) {
                Some(target) => patch::apply(target, &p.object),
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
    let mut placed: IndexMap<ResId, Value> = objects
        .into_iter()
        .map(|(id, mut object)| {
            let mut id = id;
            if let (Some(ns), true) = (namespace, id.is_namespaced()) {
                set_namespace(&mut object, ns);
                id.namespace = Some(ns.to_string());
            }
            (id, object)
        })
        .collect();
    placed.sort_keys();
    let list: Vec<(ResId, Value)> = placed.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    check(&list)?;
    Ok(Bundle { objects: placed })
}

impl Bundle {
    pub fn objects(&self) -> impl Iterator<Item = (&ResId, &Value)> {
        self.objects.iter()
    }

    /// One multi-document YAML stream, in the bundle's fixed order.
    pub fn to_stream(&self) -> String {
        self.objects
            .values()
            .map(to_yaml)
            .collect::<Vec<_>>()
            .join("---\n")
    }
}
