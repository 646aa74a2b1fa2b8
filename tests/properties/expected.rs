//! What a `Case` stands for: the config text it writes (`spec`, `document`, `text`, and its
//! overrides) and what that text must render to (the stack's name, its workers, every
//! object by kind and name). The checks in output.rs hold the tool's output to these.

use super::model::{literal_env, Case, EnvVal, ModeVia, Password, Storage};
use serde_yaml::{Mapping, Value};
use sg_executor_gen::config::{Mode, Overrides};
use std::collections::{BTreeMap, BTreeSet};

pub(super) fn map<'a>(entries: impl IntoIterator<Item = (&'a str, Value)>) -> Value {
    Value::Mapping(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
}

fn string_map(m: &BTreeMap<String, String>) -> Value {
    Value::Mapping(
        m.iter()
            .map(|(k, v)| (Value::from(k.clone()), Value::from(v.clone())))
            .collect(),
    )
}

fn env_config(m: &BTreeMap<String, EnvVal>) -> Value {
    Value::Mapping(
        m.iter()
            .map(|(k, v)| (Value::from(k.clone()), v.config_value()))
            .collect(),
    )
}

pub(super) struct Worker {
    pub(super) name: String,
    pub(super) env: BTreeMap<String, EnvVal>,
}

impl Case {
    pub(super) fn stack(&self) -> String {
        match (&self.name, self.krm) {
            (Some(n), true) => n.clone(),
            _ => "executor".into(),
        }
    }

    pub(super) fn namespace(&self) -> Option<String> {
        let file = self.file_namespace.clone().filter(|_| self.krm);
        self.override_namespace.clone().or(file)
    }

    pub(super) fn overrides(&self) -> Overrides {
        Overrides {
            namespace: self.override_namespace.clone(),
            mode: (self.mode_via == ModeVia::Override).then_some(self.mode),
        }
    }

    pub(super) fn dind(&self) -> bool {
        self.mode == Mode::Dind
    }

    pub(super) fn registry_on(&self) -> bool {
        self.dind() && self.dind.registry != Some(false)
    }

    fn per_queue(&self) -> bool {
        self.dind() && self.dind.queues.is_some()
    }

    pub(super) fn literal_password(&self) -> Option<&str> {
        match &self.common.password {
            Password::Literal(p) => Some(p),
            _ => None,
        }
    }

    pub(super) fn workers(&self) -> Vec<Worker> {
        let n = self.stack();
        if !self.dind() {
            let env = literal_env(&self.k8s.extra_env);
            return vec![Worker { name: n, env }];
        }
        match &self.dind.queues {
            None => vec![Worker {
                name: n,
                env: self.dind.env.clone(),
            }],
            Some(qs) => qs
                .iter()
                .map(|q| {
                    let mut env = self.dind.env.clone();
                    env.extend(q.env.clone());
                    Worker {
                        name: format!("{n}-{}", q.name),
                        env,
                    }
                })
                .collect(),
        }
    }

    /// Every object (kind, name) the config must render, and nothing else.
    /// The stack's registry: `NAME-registry`.
    pub(super) fn registry(&self) -> String {
        format!("{}-registry", self.stack())
    }

    pub(super) fn expected_ids(&self) -> BTreeSet<(String, String)> {
        let n = self.stack();
        let mut ids = BTreeSet::new();
        let mut add = |kind: &str, name: String| {
            ids.insert((kind.to_string(), name));
        };
        add("ConfigMap", format!("{n}-config"));
        // The native chart's Service; the dind chart has none.
        if !self.dind() {
            add("Service", n.clone());
        }
        add("NetworkPolicy", n.clone());
        if self.literal_password().is_some() {
            add("Secret", format!("{n}-secret"));
        }
        for w in self.workers() {
            add("Deployment", w.name);
        }
        if let Some(sc) = self
            .common
            .storage_class
            .as_ref()
            .filter(|s| s.create && self.dind())
        {
            add("StorageClass", sc.name.clone());
        }
        if self.dind() {
            add("ConfigMap", format!("{n}-docker-config"));
            if self.registry_on() {
                for kind in ["Deployment", "Service", "PersistentVolumeClaim"] {
                    add(kind, self.registry());
                }
            }
        } else {
            // The chart's shared names, whatever the stack is called.
            if self.k8s.configure_rbac != Some(false) {
                add("ServiceAccount", "sg-executor".into());
                add("Role", "sg-executor-role".into());
                add("RoleBinding", "sg-executor-role-binding".into());
            }
            if self.k8s.storage_size.is_some() {
                add("PersistentVolumeClaim", format!("{n}-data"));
            }
        }
        ids
    }

    fn spec(&self) -> Value {
        let c = &self.common;
        let dind = self.dind();
        let mut spec = Mapping::new();
        if self.mode_via == ModeVia::Spec {
            let mode = if dind { "dind" } else { "kubernetes" };
            spec.insert("mode".into(), mode.into());
        }

        let mut sg = Mapping::new();
        let p = &c.pods;
        for (key, m) in [
            ("labels", &p.labels),
            ("podLabels", &p.pod_labels),
            ("podAnnotations", &p.pod_annotations),
        ] {
            if !m.is_empty() {
                sg.insert(key.into(), string_map(m));
            }
        }
        let mut scheduling = Mapping::new();
        if !p.node_selector.is_empty() {
            scheduling.insert("nodeSelector".into(), string_map(&p.node_selector));
        }
        if !p.tolerations.is_empty() {
            scheduling.insert("tolerations".into(), Value::Sequence(p.tolerations.clone()));
        }
        if let Some(a) = &p.affinity {
            sg.insert("affinity".into(), a.clone());
        }
        if let Some(pc) = &p.priority_class {
            sg.insert("priorityClassName".into(), pc.clone().into());
        }
        if !p.pull_secrets.is_empty() {
            let secrets = p
                .pull_secrets
                .iter()
                .map(|s| map([("name", s.clone().into())]))
                .collect();
            sg.insert("imagePullSecrets".into(), Value::Sequence(secrets));
        }
        let executor_scheduling = !dind && self.k8s.executor_scheduling;
        if !executor_scheduling {
            sg.extend(scheduling.clone());
        }
        if !dind {
            if let Some(l) = self.k8s.local_dev {
                sg.insert("localDevMode".into(), l.into());
            }
        }
        if !sg.is_empty() {
            spec.insert("sourcegraph".into(), Value::Mapping(sg));
        }

        if let Some(sc) = &c.storage_class {
            let mut m = Mapping::new();
            m.insert("name".into(), sc.name.clone().into());
            if sc.create {
                m.insert("create".into(), true.into());
                if !sc.parameters.is_empty() {
                    m.insert("parameters".into(), string_map(&sc.parameters));
                }
            }
            spec.insert("storageClass".into(), Value::Mapping(m));
        }

        let mut ex = Mapping::new();
        ex.insert("frontendUrl".into(), c.frontend_url.clone().into());
        match &c.password {
            Password::Existing(s) => {
                ex.insert("frontendExistingSecret".into(), s.clone().into());
            }
            Password::Literal(p) => {
                ex.insert("frontendPassword".into(), p.clone().into());
            }
            Password::Both(s, p) => {
                ex.insert("frontendExistingSecret".into(), s.clone().into());
                ex.insert("frontendPassword".into(), p.clone().into());
            }
        }
        if !self.per_queue() {
            c.queue.insert(&mut ex);
        }
        if let Some(n) = c.max_jobs {
            ex.insert("maximumNumJobs".into(), n.into());
        }
        if let Some(r) = c.runtime {
            ex.insert("maximumRuntimePerJob".into(), r.into());
        }
        let mut log = Mapping::new();
        if let Some(l) = c.log_level {
            log.insert("level".into(), l.into());
        }
        if let Some(f) = c.log_format {
            log.insert("format".into(), f.into());
        }
        if !log.is_empty() {
            ex.insert("log".into(), Value::Mapping(log));
        }
        if let Some(r) = &c.resources {
            ex.insert("resources".into(), r.value());
        }

        if dind {
            let d = &self.dind;
            if let (Some(n), false) = (d.replica_count, self.per_queue()) {
                ex.insert("replicaCount".into(), n.into());
            }
            if !d.env.is_empty() {
                ex.insert("env".into(), env_config(&d.env));
            }
            let storage = match &d.storage {
                Storage::Default => None,
                Storage::EmptyDir(size) => {
                    let mut m = Mapping::new();
                    m.insert("type".into(), "emptyDir".into());
                    if let Some(s) = size {
                        m.insert("size".into(), s.clone().into());
                    }
                    Some(m)
                }
                Storage::Ephemeral { size, class } => {
                    let mut m = Mapping::new();
                    m.insert("type".into(), "ephemeral".into());
                    m.insert("size".into(), size.clone().into());
                    if let Some(c) = class {
                        m.insert("class".into(), c.clone().into());
                    }
                    Some(m)
                }
            };
            if let Some(s) = storage {
                ex.insert("storage".into(), Value::Mapping(s));
            }
            spec.insert("executor".into(), Value::Mapping(ex));

            if let Some(qs) = &d.queues {
                let entries = qs
                    .iter()
                    .map(|q| {
                        let mut m = Mapping::new();
                        m.insert("name".into(), q.name.clone().into());
                        if let Some(s) = &q.sel {
                            s.insert(&mut m);
                        }
                        if let Some(n) = q.replicas {
                            m.insert("replicaCount".into(), n.into());
                        }
                        if let Some(r) = &q.resources {
                            m.insert("resources".into(), r.value());
                        }
                        if !q.env.is_empty() {
                            m.insert("env".into(), env_config(&q.env));
                        }
                        Value::Mapping(m)
                    })
                    .collect();
                spec.insert("queues".into(), Value::Sequence(entries));
            }

            let mut dm = Mapping::new();
            if let Some(g) = d.gvisor {
                dm.insert("gVisor".into(), map([("enabled", g.into())]));
            }
            if let Some(r) = &d.dind_resources {
                dm.insert("resources".into(), r.value());
            }
            let mut daemon = Mapping::new();
            if let Some(labels) = &d.daemon_labels {
                let labels = labels.iter().cloned().map(Value::from).collect();
                daemon.insert("labels".into(), Value::Sequence(labels));
            }
            for (k, v) in &d.daemon_extra {
                daemon.insert(k.clone().into(), v.clone().into());
            }
            if !d.daemon_features.is_empty() {
                let features = d
                    .daemon_features
                    .iter()
                    .map(|(k, v)| (Value::from(k.clone()), Value::from(*v)))
                    .collect();
                daemon.insert("features".into(), Value::Mapping(features));
            }
            if !daemon.is_empty() {
                dm.insert("daemonConfig".into(), Value::Mapping(daemon));
            }
            if !dm.is_empty() {
                spec.insert("dind".into(), Value::Mapping(dm));
            }

            let mut reg = Mapping::new();
            if let Some(e) = d.registry {
                reg.insert("enabled".into(), e.into());
            }
            if !d.registry_env.is_empty() {
                reg.insert("env".into(), env_config(&literal_env(&d.registry_env)));
            }
            if let Some(r) = &d.registry_resources {
                reg.insert("resources".into(), r.value());
            }
            if let Some(s) = &d.registry_storage {
                reg.insert("storageSize".into(), s.clone().into());
            }
            if !reg.is_empty() {
                spec.insert("privateDockerRegistry".into(), Value::Mapping(reg));
            }
        } else {
            let k = &self.k8s;
            if let Some(b) = k.configure_rbac {
                ex.insert("configureRbac".into(), b.into());
            }
            if let Some(ns) = &k.job_namespace {
                ex.insert("namespace".into(), ns.clone().into());
            }
            if let Some(p) = &k.kubeconfig_path {
                ex.insert("kubeconfigPath".into(), p.clone().into());
            }
            if let Some(s) = &k.storage_size {
                ex.insert("storageSize".into(), s.clone().into());
            }
            let mut job = Mapping::new();
            if let Some(d) = k.deadline {
                job.insert("deadline".into(), d.into());
            }
            for (key, v) in [
                ("runAsUser", k.ids.0),
                ("runAsGroup", k.ids.1),
                ("fsGroup", k.ids.2),
            ] {
                if let Some(v) = v {
                    job.insert(key.into(), v.into());
                }
            }
            let mut res = Mapping::new();
            for (side, cpu, mem) in [
                ("requests", &k.job_resources[0], &k.job_resources[1]),
                ("limits", &k.job_resources[2], &k.job_resources[3]),
            ] {
                let mut m = Mapping::new();
                if let Some(c) = cpu {
                    m.insert("cpu".into(), c.clone().into());
                }
                if let Some(c) = mem {
                    m.insert("memory".into(), c.clone().into());
                }
                if !m.is_empty() {
                    res.insert(side.into(), Value::Mapping(m));
                }
            }
            if !res.is_empty() {
                job.insert("resources".into(), Value::Mapping(res));
            }
            let mut node = Mapping::new();
            for (key, v) in [
                ("name", &k.node_name),
                ("selector", &k.node_selector),
                ("tolerations", &k.node_tolerations),
            ] {
                if let Some(v) = v {
                    node.insert(key.into(), v.clone().into());
                }
            }
            if !node.is_empty() {
                job.insert("node".into(), Value::Mapping(node));
            }
            if let Some(a) = &k.pod_affinity {
                job.insert("pod".into(), map([("affinity", a.clone().into())]));
            }
            if !job.is_empty() {
                ex.insert("kubernetesJob".into(), Value::Mapping(job));
            }
            let mut debug = Mapping::new();
            if let Some(b) = k.debug.0 {
                debug.insert("keepJobs".into(), b.into());
            }
            if let Some(b) = k.debug.1 {
                debug.insert("keepWorkspaces".into(), b.into());
            }
            if !debug.is_empty() {
                ex.insert("debug".into(), Value::Mapping(debug));
            }
            if !k.extra_env.is_empty() {
                let list = k
                    .extra_env
                    .iter()
                    .map(|(n, v)| map([("name", n.clone().into()), ("value", v.clone().into())]))
                    .collect();
                ex.insert("extraEnv".into(), Value::Sequence(list));
            }
            if executor_scheduling {
                ex.extend(scheduling);
            }
            spec.insert("executor".into(), Value::Mapping(ex));
        }
        Value::Mapping(spec)
    }

    pub(super) fn document(&self) -> Value {
        if !self.krm {
            return self.spec();
        }
        let mut meta = Mapping::new();
        if let Some(n) = &self.name {
            meta.insert("name".into(), n.clone().into());
        }
        if let Some(ns) = &self.file_namespace {
            meta.insert("namespace".into(), ns.clone().into());
        }
        if !self.krm_annotations.is_empty() {
            meta.insert("annotations".into(), string_map(&self.krm_annotations));
        }
        let mut doc = Mapping::new();
        doc.insert("apiVersion".into(), "sg-executor-gen/v1alpha1".into());
        doc.insert("kind".into(), "ExecutorDeployment".into());
        if !meta.is_empty() {
            doc.insert("metadata".into(), Value::Mapping(meta));
        }
        doc.insert("spec".into(), self.spec());
        Value::Mapping(doc)
    }

    /// The config file: YAML as serde_yaml writes it, or JSON (which YAML 1.2 reads too).
    pub(super) fn text(&self) -> String {
        let doc = self.document();
        if self.json {
            serde_json::to_string_pretty(&doc).expect("the config is JSON")
        } else {
            serde_yaml::to_string(&doc).expect("the config is YAML")
        }
    }
}

/// The stack's Service or a Deployment takes a registry object's name.
pub(super) fn collides_with_registry(c: &Case) -> bool {
    c.registry_on() && c.workers().iter().any(|w| w.name == c.registry())
}
