//! What a pod needs of itself and of the objects around it: each volume has one source and
//! is mounted, each mount names a declared volume, `subPath` keys exist in their ConfigMap,
//! referenced ConfigMaps, claims and Secret keys exist, and no variable is set twice.

use super::wiring::Index;
use k8s_openapi::api::core::v1::{Container, PodTemplateSpec, Volume};
use std::collections::HashSet;

const BASE: &str = "spec.template.spec";

pub(super) fn pod_spec(
    template: &PodTemplateSpec,
    index: &Index<'_>,
    found: &mut impl FnMut(&str, String),
) {
    let Some(spec) = &template.spec else {
        found(BASE, "missing".into());
        return;
    };
    let volumes = spec.volumes.as_deref().unwrap_or_default();
    check_volumes(volumes, index, found);
    let mut mounted = HashSet::new();
    if spec.containers.is_empty() {
        found(&format!("{BASE}.containers"), "no containers".into());
    }
    for (ci, c) in spec.containers.iter().enumerate() {
        container(ci, c, volumes, index, &mut mounted, found);
    }
    for v in volumes {
        if !mounted.contains(v.name.as_str()) {
            found(
                &format!("{BASE}.volumes"),
                format!("volume {} is declared but never mounted", v.name),
            );
        }
    }
}

fn check_volumes(volumes: &[Volume], index: &Index<'_>, found: &mut impl FnMut(&str, String)) {
    let mut names = HashSet::new();
    for (i, v) in volumes.iter().enumerate() {
        if !names.insert(v.name.as_str()) {
            found(
                &format!("{BASE}.volumes[{i}].name"),
                format!("volume {} is declared twice", v.name),
            );
        }
        let sources = [
            v.empty_dir.is_some(),
            v.config_map.is_some(),
            v.persistent_volume_claim.is_some(),
            v.ephemeral.is_some(),
            v.secret.is_some(),
        ];
        if sources.iter().filter(|s| **s).count() != 1 {
            found(
                &format!("{BASE}.volumes[{i}]"),
                format!("volume {} needs exactly one source", v.name),
            );
        }
        if let Some(cm) = &v.config_map {
            if !index.config_maps.contains_key(cm.name.as_str()) {
                found(
                    &format!("{BASE}.volumes[{i}].configMap.name"),
                    format!("ConfigMap {} is not in the bundle", cm.name),
                );
            }
        }
        if let Some(pvc) = &v.persistent_volume_claim {
            if !index.exists("PersistentVolumeClaim", &pvc.claim_name) {
                found(
                    &format!("{BASE}.volumes[{i}].persistentVolumeClaim"),
                    format!(
                        "PersistentVolumeClaim {} is not in the bundle",
                        pvc.claim_name
                    ),
                );
            }
        }
    }
}

fn container<'v>(
    ci: usize,
    c: &Container,
    volumes: &'v [Volume],
    index: &Index<'_>,
    mounted: &mut HashSet<&'v str>,
    found: &mut impl FnMut(&str, String),
) {
    let cpath = format!("{BASE}.containers[{ci}]");
    if c.name.is_empty() {
        found(&format!("{cpath}.name"), "empty container name".into());
    }
    if c.image.as_deref().unwrap_or_default().is_empty() {
        found(&format!("{cpath}.image"), "no image".into());
    }
    for (mi, m) in c.volume_mounts.iter().flatten().enumerate() {
        let mpath = format!("{cpath}.volumeMounts[{mi}]");
        if m.mount_path.is_empty() {
            found(&format!("{mpath}.mountPath"), "empty mount path".into());
        }
        let Some(volume) = volumes.iter().find(|v| v.name == m.name) else {
            found(
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
                .is_some_and(|c| c.data.as_ref().is_some_and(|d| d.contains_key(sub)));
            if !has_key {
                found(
                    &format!("{mpath}.subPath"),
                    format!("ConfigMap {} has no key {sub}", cm.name),
                );
            }
        }
    }
    for (ei, e) in c.env_from.iter().flatten().enumerate() {
        if let Some(r) = &e.config_map_ref {
            if !index.config_maps.contains_key(r.name.as_str()) {
                found(
                    &format!("{cpath}.envFrom[{ei}]"),
                    format!("ConfigMap {} is not in the bundle", r.name),
                );
            }
        }
    }
    env(&cpath, c, index, found);
}

fn env(cpath: &str, c: &Container, index: &Index<'_>, found: &mut impl FnMut(&str, String)) {
    let mut names = HashSet::new();
    for (ei, e) in c.env.iter().flatten().enumerate() {
        if !names.insert(e.name.as_str()) {
            found(
                &format!("{cpath}.env[{ei}]"),
                format!("{} is set twice", e.name),
            );
        }
        // A Secret we render must hold the key; an admin's existing Secret is theirs to fill.
        let Some(key_ref) = e
            .value_from
            .as_ref()
            .and_then(|f| f.secret_key_ref.as_ref())
        else {
            continue;
        };
        if let Some(secret) = index.secrets.get(key_ref.name.as_str()) {
            let has = secret
                .data
                .as_ref()
                .is_some_and(|d| d.contains_key(&key_ref.key))
                || secret
                    .string_data
                    .as_ref()
                    .is_some_and(|d| d.contains_key(&key_ref.key));
            if !has {
                found(
                    &format!("{cpath}.env[{ei}]"),
                    format!("Secret {} has no key {}", key_ref.name, key_ref.key),
                );
            }
        }
    }
}
