//! What an executor needs of the objects around it, beyond what any pod needs: every
//! registry mirror dockerd is given that names an in-cluster Service finds that Service on
//! that port (a short name in the pod's namespace, `NAME.NS[.svc[.cluster.local]]` in the
//! one it names), and the claim named in `EXECUTOR_KUBERNETES_PERSISTENCE_VOLUME_NAME`
//! exists. Mirrors come from dockerd's flags, after Kubernetes expands `$(VAR)` from the
//! container's environment, and from the `daemon.json` mounted from a ConfigMap, so the
//! mirror is checked the same way whichever carries it, and whether dockerd runs in a
//! container or an init container (a native sidecar). A mirror at a Service that is not
//! there is a problem when it is surely the stack's (built from its variable) or when a
//! registry Service it most likely meant is there under another name (a rename it did not
//! follow); otherwise the Service may live in the cluster, and it is noted.

use super::index::{Index, Indexes};
use super::typed::{PodContainer as Container, PodTemplate, PodVolume};
use super::Reporter;
use crate::k8s::resid::ResId;
use std::borrow::Cow;
use std::collections::HashMap;

/// The variable the executor reads its shared claim's name from.
const CLAIM_VAR: &str = "EXECUTOR_KUBERNETES_PERSISTENCE_VOLUME_NAME";

/// The labels that say which stack an object is of, and that a Service is its registry.
const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";
const COMPONENT_LABEL: &str = "app.kubernetes.io/component";
const REGISTRY_COMPONENT: &str = "private-docker-registry";

pub(super) fn needs(
    id: &ResId,
    template: &PodTemplate,
    indexes: &Indexes<'_>,
    r: &mut Reporter<'_>,
) {
    let Some(spec) = &template.spec else {
        return;
    };
    let index = indexes.of(id);
    for (field, c) in spec.all_containers() {
        let cpath = format!("spec.template.spec.{field}");
        let env = environment(c, index);
        let instance = template.labels.get(INSTANCE_LABEL).map(String::as_str);
        for mirror in mirrors(c, &env, &spec.volumes, index) {
            check_mirror(&cpath, &mirror, id, instance, indexes, r);
        }
        if let Some(claim) = env.get(CLAIM_VAR).and_then(|v| v.as_deref()) {
            if !index.exists("PersistentVolumeClaim", claim) {
                r.found(
                    &format!("{cpath}.env"),
                    format!("{CLAIM_VAR} names the claim {claim}, which is not in its namespace; the executor's jobs would not start"),
                );
            }
        }
    }
}

/// The container's variables as Kubernetes sets them: `envFrom` ConfigMaps first, `env`
/// over them. A value the check cannot know (a Secret, a field) is `None`.
pub(super) fn environment<'a>(c: &'a Container, index: &'a Index<'_>) -> Env<'a> {
    let mut env = Env::new();
    for from in c.env_from.iter().flatten() {
        let data = from
            .config_map_ref
            .as_ref()
            .and_then(|r| index.config_maps.get(r.name.as_str()))
            .and_then(|cm| cm.data.as_ref());
        let prefix = from.prefix.as_deref().unwrap_or_default();
        for (k, v) in data.into_iter().flatten() {
            let name = if prefix.is_empty() {
                Cow::Borrowed(k.as_str())
            } else {
                Cow::Owned(format!("{prefix}{k}"))
            };
            env.insert(name, Some(Cow::Borrowed(v.as_str())));
        }
    }
    for e in c.env.iter().flatten() {
        let value = match (&e.value, &e.value_from) {
            (Some(v), _) if v.contains('$') => Some(Cow::Owned(expand(v, &env).0)),
            (Some(v), _) => Some(Cow::Borrowed(v.as_str())),
            (None, Some(from)) => from.config_map_key_ref.as_ref().and_then(|k| {
                let data = index.config_maps.get(k.name.as_str())?.data.as_ref()?;
                data.get(&k.key).map(|v| Cow::Borrowed(v.as_str()))
            }),
            (None, None) => Some(Cow::Borrowed("")),
        };
        env.insert(Cow::Borrowed(e.name.as_str()), value);
    }
    env
}

/// A container's variables by name, borrowed from the objects where they can be.
pub(super) type Env<'a> = HashMap<Cow<'a, str>, Option<Cow<'a, str>>>;

/// Kubernetes' `$(VAR)` expansion: a known variable is replaced, `$$` escapes. Also says
/// whether anything was replaced.
fn expand(text: &str, env: &Env<'_>) -> (String, bool) {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut replaced = false;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some((name, tail)) = after
            .strip_prefix('(')
            .and_then(|a| a.split_once(')'))
            .filter(|(n, _)| !n.is_empty())
        {
            match env.get(name) {
                Some(Some(v)) => {
                    out.push_str(v);
                    replaced = true;
                }
                _ => out.push_str(&rest[i..i + 3 + name.len()]),
            }
            rest = tail;
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    (out, replaced)
}

/// One registry mirror dockerd is given, and where.
struct Mirror {
    url: String,
    field: String,
    /// Built from a variable: the stack's own registry, which must be there.
    from_variable: bool,
}

fn mirrors(c: &Container, env: &Env<'_>, volumes: &[PodVolume], index: &Index<'_>) -> Vec<Mirror> {
    let mut out = Vec::new();
    let argv: Vec<(&str, &str, usize)> = c
        .command
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, a)| (a.as_str(), "command", i))
        .chain(
            c.args
                .iter()
                .flatten()
                .enumerate()
                .map(|(i, a)| (a.as_str(), "args", i)),
        )
        .collect();
    let mut words = Vec::new();
    for (text, list, i) in &argv {
        let (expanded, from_variable) = expand(text, env);
        // A shell script's words are flags too (`sh -c "... exec dockerd --registry-mirror=…"`).
        for word in expanded.split_whitespace() {
            words.push((
                word.trim_matches(['"', '\'']).to_string(),
                *list,
                *i,
                from_variable,
            ));
        }
    }
    for (n, (word, list, i, from_variable)) in words.iter().enumerate() {
        let url = match word.strip_prefix("--registry-mirror") {
            Some(v) if v.starts_with('=') => v[1..].to_string(),
            Some("") => match words.get(n + 1) {
                Some((next, ..)) => next.clone(),
                None => continue,
            },
            _ => continue,
        };
        out.push(Mirror {
            url,
            field: format!("{list}[{i}]"),
            from_variable: *from_variable,
        });
    }
    out.extend(daemon_json_mirrors(c, volumes, index));
    out
}

/// The mirrors in a `daemon.json` mounted from a ConfigMap at `/etc/docker/daemon.json`.
fn daemon_json_mirrors(c: &Container, volumes: &[PodVolume], index: &Index<'_>) -> Vec<Mirror> {
    let Some(mount) = c
        .volume_mounts
        .iter()
        .flatten()
        .find(|m| m.mount_path == "/etc/docker/daemon.json")
    else {
        return Vec::new();
    };
    let text = volumes
        .iter()
        .find(|v| v.name == mount.name)
        .and_then(|v| v.config_map.as_ref())
        .and_then(|cm| index.config_maps.get(cm.name.as_str()))
        .and_then(|cm| cm.data.as_ref())
        .and_then(|d| d.get(mount.sub_path.as_deref().unwrap_or("daemon.json")));
    let daemon: serde_json::Value = text
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default();
    daemon
        .get("registry-mirrors")
        .and_then(|m| m.as_array())
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, m)| {
            Some(Mirror {
                url: m.as_str()?.to_string(),
                field: format!("volumeMounts (daemon.json registry-mirrors[{i}])"),
                from_variable: false,
            })
        })
        .collect()
}

/// The Service a mirror names, if it names one in the cluster: its name, its namespace (or
/// `None` for the pod's own), and the port.
fn in_cluster(url: &str) -> Option<(String, Option<String>, i32)> {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let authority = rest.split('/').next()?;
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().ok()?),
        None => (authority, if scheme == "http" { 80 } else { 443 }),
    };
    let mut labels = host.split('.');
    let name = labels.next()?.to_string();
    let rest: Vec<&str> = labels.collect();
    match rest.as_slice() {
        [] => Some((name, None, port)),
        [ns] | [ns, "svc"] | [ns, "svc", "cluster", "local"] => {
            Some((name, Some(ns.to_string()), port))
        }
        _ => None,
    }
}

/// The registry a mirror at an absent Service most likely meant: the registry Service of
/// the pod's own stack (its labels say so), else a registry Service whose name holds the
/// mirror's (a `namePrefix` or `nameSuffix` the mirror did not follow).
fn renamed_registry<'i>(
    instance: Option<&str>,
    name: &str,
    index: &'i Index<'_>,
) -> Option<&'i str> {
    let mut registries: Vec<(bool, &str)> = index
        .services
        .iter()
        .filter_map(|(service, s)| {
            let labels = s.metadata.labels.as_ref();
            let label = |k: &str| labels.and_then(|l| l.get(k)).map(String::as_str);
            let own = instance.is_some() && label(INSTANCE_LABEL) == instance;
            (label(COMPONENT_LABEL) == Some(REGISTRY_COMPONENT) && (own || service.contains(name)))
                .then_some((!own, *service))
        })
        .collect();
    registries.sort_unstable();
    registries.first().map(|(_, service)| *service)
}

/// A mirror that names an in-cluster Service must find it on its port. One that is not
/// there is a problem when the mirror is surely the stack's own (built from its variable),
/// or when the stack's registry is there under another name (a rename the mirror did not
/// follow); else the Service may live in the cluster, and it is noted.
fn check_mirror(
    cpath: &str,
    mirror: &Mirror,
    id: &ResId,
    instance: Option<&str>,
    indexes: &Indexes<'_>,
    r: &mut Reporter<'_>,
) {
    let field = format!("{cpath}.{}", mirror.field);
    if mirror.url.contains("$(") {
        r.missing(
            &field,
            &format!("the value dockerd's mirror `{}` is built from", mirror.url),
            false,
        );
        return;
    }
    let Some((name, ns, port)) = in_cluster(&mirror.url) else {
        return;
    };
    let namespace = ns.clone().or_else(|| id.namespace.clone());
    let index = indexes.namespace(namespace.as_deref());
    let Some(service) = index.services.get(name.as_str()) else {
        let where_ = namespace.map_or("its namespace".into(), |n| format!("namespace {n}"));
        match renamed_registry(instance, &name, index) {
            Some(registry) => r.found(
                &field,
                format!("dockerd's mirror `{}` names the Service {name}, which is not in {where_}, where the registry is the Service {registry}: every image pull would miss the cache; a mirror in daemon.json is a string kustomize does not rename, so name the stack (metadata.name) instead of a namePrefix or nameSuffix, or keep the mirror and the registry's name in step", mirror.url),
            ),
            None if mirror.from_variable => r.found(
                &field,
                format!("dockerd's mirror `{}` names the Service {name}, which is not in {where_}: every image pull would miss the cache; keep the mirror and the registry's name in step", mirror.url),
            ),
            None => r.missing(&field, &format!("Service {name} in {where_}, which dockerd's mirror `{}` names,", mirror.url), false),
        }
        return;
    };
    let ports = service.spec.as_ref().and_then(|s| s.ports.as_ref());
    if !ports.into_iter().flatten().any(|p| p.port == port) {
        r.found(
            &field,
            format!(
                "dockerd's mirror `{}` uses port {port}, which the Service {name} does not serve",
                mirror.url
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansion_follows_kubernetes() {
        let env: Env<'_> = [("A".into(), Some("x".into())), ("S".into(), None)].into();
        assert_eq!(
            expand("http://$(A):5000", &env),
            ("http://x:5000".into(), true)
        );
        assert_eq!(
            expand("$(S)-$(B)-$$(A)", &env),
            ("$(S)-$(B)-$(A)".into(), false)
        );
        assert_eq!(expand("cost $5", &env), ("cost $5".into(), false));
    }

    #[test]
    fn in_cluster_names_and_their_namespace() {
        assert_eq!(
            in_cluster("http://executor-registry:5000"),
            Some(("executor-registry".into(), None, 5000))
        );
        assert_eq!(
            in_cluster("http://reg.tools.svc.cluster.local:5000/"),
            Some(("reg".into(), Some("tools".into()), 5000))
        );
        assert_eq!(in_cluster("https://mirror.gcr.io"), None);
        assert_eq!(in_cluster("http://10.0.0.1:5000"), None);
    }
}
