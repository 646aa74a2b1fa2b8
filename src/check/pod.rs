//! What a pod needs of itself and of the objects around it: each volume has one source and
//! is mounted, each mount names a declared volume, `subPath` keys exist in their ConfigMap,
//! referenced ConfigMaps, claims and keys exist, and no variable is set twice. Init
//! containers (native sidecars among them) are checked exactly as containers.

use super::index::Index;
use super::typed::{PodContainer as Container, PodTemplate, PodVolume as Volume};
use super::Reporter;
use k8s_openapi::api::core::v1::EnvVar;
use std::collections::{HashMap, HashSet};

const BASE: &str = "spec.template.spec";

pub(super) fn pod_spec(template: &PodTemplate, index: &Index<'_>, r: &mut Reporter<'_>) {
    let Some(spec) = &template.spec else {
        r.found(BASE, "missing".into());
        return;
    };
    let volumes = &spec.volumes;
    check_volumes(volumes, index, r);
    // The first declaration of a name wins, as the duplicate is reported on its own.
    let mut by_name = HashMap::with_capacity(volumes.len());
    for v in volumes {
        by_name.entry(v.name.as_str()).or_insert(v);
    }
    let mut mounted = HashSet::new();
    if spec.containers.is_empty() {
        r.found(&format!("{BASE}.containers"), "no containers".into());
    }
    for (field, c) in spec.all_containers() {
        container(
            &format!("{BASE}.{field}"),
            c,
            &by_name,
            index,
            &mut mounted,
            r,
        );
    }
    for v in volumes {
        if !mounted.contains(v.name.as_str()) {
            r.found(
                &format!("{BASE}.volumes"),
                format!("volume {} is declared but never mounted", v.name),
            );
        }
    }
    if let Some(sa) = spec
        .service_account_name
        .as_deref()
        .filter(|s| *s != "default")
    {
        if !index.exists("ServiceAccount", sa) {
            r.missing(
                &format!("{BASE}.serviceAccountName"),
                &format!("ServiceAccount {sa}"),
                false,
            );
        }
    }
}

fn check_volumes(volumes: &[Volume], index: &Index<'_>, r: &mut Reporter<'_>) {
    let mut names = HashSet::new();
    for (i, v) in volumes.iter().enumerate() {
        if !names.insert(v.name.as_str()) {
            r.found(
                &format!("{BASE}.volumes[{i}].name"),
                format!("volume {} is declared twice", v.name),
            );
        }
        if v.sources != 1 {
            r.found(
                &format!("{BASE}.volumes[{i}]"),
                format!("volume {} needs exactly one source", v.name),
            );
        }
        if let Some(cm) = &v.config_map {
            if !index.config_maps.contains_key(cm.name.as_str()) && cm.optional != Some(true) {
                r.missing(
                    &format!("{BASE}.volumes[{i}].configMap.name"),
                    &format!("ConfigMap {}", cm.name),
                    true,
                );
            }
        }
        if let Some(pvc) = &v.persistent_volume_claim {
            if !index.exists("PersistentVolumeClaim", &pvc.claim_name) {
                r.missing(
                    &format!("{BASE}.volumes[{i}].persistentVolumeClaim"),
                    &format!("PersistentVolumeClaim {}", pvc.claim_name),
                    true,
                );
            }
        }
    }
}

/// One container (or init container) at `cpath`.
fn container<'v>(
    cpath: &str,
    c: &Container,
    volumes: &HashMap<&'v str, &'v Volume>,
    index: &Index<'_>,
    mounted: &mut HashSet<&'v str>,
    r: &mut Reporter<'_>,
) {
    if c.name.is_empty() {
        r.found(&format!("{cpath}.name"), "empty container name".into());
    }
    if c.image.as_deref().unwrap_or_default().is_empty() {
        r.found(&format!("{cpath}.image"), "no image".into());
    }
    for (mi, m) in c.volume_mounts.iter().flatten().enumerate() {
        let mpath = format!("{cpath}.volumeMounts[{mi}]");
        if m.mount_path.is_empty() {
            r.found(&format!("{mpath}.mountPath"), "empty mount path".into());
        }
        let Some(volume) = volumes.get(m.name.as_str()) else {
            r.found(
                &format!("{mpath}.name"),
                format!("mounts volume {}, which the pod does not declare", m.name),
            );
            continue;
        };
        mounted.insert(volume.name.as_str());
        if let (Some(sub), Some(cm)) = (&m.sub_path, &volume.config_map) {
            let has_key = index
                .config_maps
                .get(cm.name.as_str())
                .map(|c| c.data.as_ref().is_some_and(|d| d.contains_key(sub)));
            if has_key == Some(false) {
                r.found(
                    &format!("{mpath}.subPath"),
                    format!("ConfigMap {} has no key {sub}", cm.name),
                );
            }
        }
    }
    for (ei, e) in c.env_from.iter().flatten().enumerate() {
        let epath = format!("{cpath}.envFrom[{ei}]");
        if let Some(cm) = &e.config_map_ref {
            if !index.config_maps.contains_key(cm.name.as_str()) && cm.optional != Some(true) {
                r.missing(&epath, &format!("ConfigMap {}", cm.name), true);
            }
        }
        if let Some(s) = &e.secret_ref {
            if !index.secrets.contains_key(s.name.as_str()) && s.optional != Some(true) {
                r.missing(&epath, &format!("Secret {}", s.name), false);
            }
        }
    }
    env(cpath, c, index, r);
}

fn env(cpath: &str, c: &Container, index: &Index<'_>, r: &mut Reporter<'_>) {
    let mut names = HashSet::new();
    for (ei, e) in c.env.iter().flatten().enumerate() {
        let epath = format!("{cpath}.env[{ei}]");
        if !names.insert(e.name.as_str()) {
            r.found(&epath, format!("{} is set twice", e.name));
        }
        key_ref(&epath, e, index, r);
    }
}

/// A `configMapKeyRef` or `secretKeyRef`: the key exists where the object is at hand. A
/// ConfigMap the stack renders must be there; a Secret may be the admin's.
fn key_ref(epath: &str, e: &EnvVar, index: &Index<'_>, r: &mut Reporter<'_>) {
    let Some(from) = &e.value_from else {
        return;
    };
    if let Some(k) = &from.config_map_key_ref {
        match index.config_maps.get(k.name.as_str()) {
            Some(cm) if !cm.data.as_ref().is_some_and(|d| d.contains_key(&k.key)) => {
                r.found(epath, format!("ConfigMap {} has no key {}", k.name, k.key))
            }
            Some(_) => {}
            None if k.optional == Some(true) => {}
            None => r.missing(epath, &format!("ConfigMap {}", k.name), true),
        }
    }
    if let Some(k) = &from.secret_key_ref {
        match index.secrets.get(k.name.as_str()) {
            Some(secret) => {
                let has = secret.data.as_ref().is_some_and(|d| d.contains_key(&k.key))
                    || secret
                        .string_data
                        .as_ref()
                        .is_some_and(|d| d.contains_key(&k.key));
                if !has {
                    r.found(epath, format!("Secret {} has no key {}", k.name, k.key));
                }
            }
            None if k.optional == Some(true) => {}
            None => r.missing(epath, &format!("Secret {}", k.name), false),
        }
    }
}
