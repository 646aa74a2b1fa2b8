//! The `storageClass` section: the class claims ask for, and the one the config may create.

use super::{non_empty, Checker};
use crate::config::model::{Mode, StorageClass};
use crate::config::raw::RawSpec;
use k8s_openapi::api::core::v1 as core;

pub(super) fn storage_class(
    mode: Mode,
    spec: &RawSpec,
    checker: &mut Checker<'_>,
) -> Option<StorageClass> {
    let raw = spec.storage_class.as_ref()?;
    if !raw.create.unwrap_or(false) {
        return None;
    }
    let p = path!["storageClass"];
    // The native chart has no StorageClass: in an override shared with the main chart, this
    // is the main chart's, which that release creates and owns.
    if mode == Mode::Kubernetes {
        checker.warn(
            &[&p[..], &path!["create"]].concat(),
            "ignored in kubernetes mode, as the native chart ignores it: no StorageClass is rendered (in an override shared with the main Sourcegraph chart, that chart creates it); storageClass.name still names the class of a `/data` claim",
            "nothing to do if this override is shared with the sourcegraph chart; otherwise remove storageClass.create",
        );
        return None;
    }
    let Some(name) = raw.name.clone().filter(|n| !n.is_empty()) else {
        checker.error(
            &[&p[..], &path!["name"]].concat(),
            "storageClass.create needs a name",
            "set storageClass.name",
        );
        return None;
    };
    checker.dns_subdomain(
        &name,
        &[&p[..], &path!["name"]].concat(),
        "StorageClass name",
    );
    let provisioner = raw
        .provisioner
        .clone()
        .unwrap_or_else(|| crate::config::defaults::STORAGE_CLASS_PROVISIONER.into());
    let mut parameters: Vec<(String, String)> = raw
        .parameters
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    let disk_type = raw
        .type_
        .clone()
        .unwrap_or_else(|| crate::config::defaults::STORAGE_CLASS_TYPE.into());
    if !disk_type.is_empty() && !parameters.iter().any(|(k, _)| k == "type") {
        parameters.push(("type".into(), disk_type));
    }
    parameters.sort();
    let allowed_topologies = raw.allowed_topologies.as_ref().and_then(|t| {
        checker
            .k8s::<Vec<core::TopologySelectorTerm>>(
                t,
                &[&p[..], &path!["allowedTopologies"]].concat(),
                "a list of topology terms",
            )
            .filter(non_empty)
    });
    Some(StorageClass {
        name,
        provisioner,
        parameters,
        allowed_topologies,
    })
}

/// The chart's values.yaml names the class `sourcegraph`; a config copied from it keeps the
/// name although no such class exists unless this config creates it (dind mode) or, in an
/// override shared with it, the main Sourcegraph chart does. Said only when a claim this
/// config renders asks for it.
pub(super) fn warn_about_chart_default_name(
    mode: Mode,
    created: Option<&StorageClass>,
    claim_classes: &[Option<&str>],
    checker: &mut Checker<'_>,
) {
    const CHART_DEFAULT: &str = "sourcegraph";
    let created_here = created.is_some_and(|c| c.name == CHART_DEFAULT);
    if created_here || !claim_classes.contains(&Some(CHART_DEFAULT)) {
        return;
    }
    let (what, hint) = match mode {
        Mode::Dind => (
            "no StorageClass named `sourcegraph` exists unless you create one (it is the chart's default name), so the claims would stay Pending",
            "remove storageClass.name to use the cluster's default class, name a class that exists, or set storageClass.create: true",
        ),
        Mode::Kubernetes => (
            "no StorageClass named `sourcegraph` exists unless the main Sourcegraph chart (or you) created it (it is the charts' default name), so the `/data` claim would stay Pending",
            "nothing to do if the main chart creates it (`storageClass.create` in an override shared with it); otherwise remove storageClass.name to use the cluster's default class, or name a class that exists",
        ),
    };
    checker.warn(&path!["storageClass", "name"], what, hint);
}
