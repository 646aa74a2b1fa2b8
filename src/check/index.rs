//! The checked objects, indexed once per namespace for the lookups the checks make (by
//! kind and name, by pod label), so the checks cost what the objects cost, not its square.

use super::typed::{PodTemplate, Typed};
use crate::k8s::resid::ResId;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use std::collections::{BTreeMap, HashMap, HashSet};

pub type Labels = BTreeMap<String, String>;

/// A workload's pods, as the selectors see them.
pub struct Workload<'a> {
    pub id: &'a ResId,
    pub selector: &'a Labels,
    pub pod_labels: &'a Labels,
    pub template: &'a PodTemplate,
}

/// The selector of a workload without `matchLabels`.
pub static NO_LABELS: Labels = BTreeMap::new();

/// The objects of one namespace (objects without one share the unnamed namespace).
#[derive(Default)]
pub struct Index<'a> {
    pub config_maps: HashMap<&'a str, &'a ConfigMap>,
    pub secrets: HashMap<&'a str, &'a Secret>,
    pub services: HashMap<&'a str, &'a Service>,
    names: HashSet<(&'a str, &'a str)>,
    pub workloads: Vec<Workload<'a>>,
    /// Workloads (by position) by kind and name, the first of each.
    workload_by_name: HashMap<(&'a str, &'a str), usize>,
    /// Workloads (by position) whose pods carry a label, by label.
    by_pod_label: HashMap<(&'a str, &'a str), Vec<usize>>,
}

/// Every namespace's index, by namespace (`""` for objects without one).
pub struct Indexes<'a> {
    namespaces: HashMap<&'a str, Index<'a>>,
    empty: Index<'a>,
}

impl<'a> Indexes<'a> {
    pub fn new(read: &'a [(&'a ResId, Typed)]) -> Self {
        let mut namespaces: HashMap<&'a str, Index<'a>> = HashMap::new();
        for (id, t) in read {
            namespaces
                .entry(id.namespace.as_deref().unwrap_or_default())
                .or_default()
                .add(id, t);
        }
        Indexes {
            namespaces,
            empty: Index::default(),
        }
    }

    /// The index of an object's namespace.
    pub fn of(&self, id: &ResId) -> &Index<'a> {
        self.namespace(id.namespace.as_deref())
    }

    pub fn namespace(&self, ns: Option<&str>) -> &Index<'a> {
        self.namespaces
            .get(ns.unwrap_or_default())
            .unwrap_or(&self.empty)
    }

    /// Every namespace's index, in namespace order, so findings come in a fixed order.
    pub fn all(&self) -> Vec<&Index<'a>> {
        let mut namespaces: Vec<_> = self.namespaces.iter().collect();
        namespaces.sort_by_key(|(ns, _)| **ns);
        namespaces.into_iter().map(|(_, index)| index).collect()
    }
}

impl<'a> Index<'a> {
    fn add(&mut self, id: &'a ResId, t: &'a Typed) {
        self.names.insert((id.kind.as_str(), id.name.as_str()));
        match t {
            Typed::ConfigMap(c) => {
                self.config_maps.insert(id.name.as_str(), c);
            }
            Typed::Secret(s) => {
                self.secrets.insert(id.name.as_str(), s);
            }
            Typed::Service(s) => {
                self.services.insert(id.name.as_str(), s);
            }
            Typed::Workload { selector, template } => self.add_workload(id, selector, template),
            _ => {}
        }
    }

    fn add_workload(
        &mut self,
        id: &'a ResId,
        selector: &'a LabelSelector,
        template: &'a PodTemplate,
    ) {
        let position = self.workloads.len();
        self.workload_by_name
            .entry((id.kind.as_str(), id.name.as_str()))
            .or_insert(position);
        for (k, v) in &template.labels {
            self.by_pod_label
                .entry((k.as_str(), v.as_str()))
                .or_default()
                .push(position);
        }
        self.workloads.push(Workload {
            id,
            selector: selector.match_labels.as_ref().unwrap_or(&NO_LABELS),
            pod_labels: &template.labels,
            template,
        });
    }

    /// Whether an object of this kind and name is in the namespace.
    pub fn exists(&self, kind: &str, name: &str) -> bool {
        self.names.contains(&(kind, name))
    }

    /// The first workload of this kind and name in the namespace.
    pub fn workload(&self, kind: &str, name: &str) -> Option<&Workload<'a>> {
        self.workload_by_name
            .get(&(kind, name))
            .map(|&i| &self.workloads[i])
    }

    /// The workloads whose pods `selector` selects, in the order they were given.
    pub fn selected(&self, selector: &Labels) -> Vec<&Workload<'a>> {
        let Some((k, v)) = selector.iter().next() else {
            return Vec::new();
        };
        self.by_pod_label
            .get(&(k.as_str(), v.as_str()))
            .into_iter()
            .flatten()
            .map(|&i| &self.workloads[i])
            .filter(|w| matches(selector, w.pod_labels))
            .collect()
    }
}

/// Whether every label of a non-empty selector is among `labels`.
pub fn matches(selector: &Labels, labels: &Labels) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}
