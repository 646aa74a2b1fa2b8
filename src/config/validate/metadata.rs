//! The KRM form's own keys: `apiVersion`, `kind`, `metadata` (the stack's name and namespace).

use super::Checker;
use crate::config::raw::RawKrm;

pub(super) fn metadata(
    krm: Option<&RawKrm>,
    checker: &mut Checker<'_>,
) -> (String, Option<String>) {
    let Some(krm) = krm else {
        return ("executor".into(), None);
    };
    // The KRM prefix is `spec`; metadata lives beside it, so locate from the top.
    checker.top_level(|checker| metadata_checks(krm, checker))
}

pub(super) fn metadata_checks(krm: &RawKrm, checker: &mut Checker<'_>) -> (String, Option<String>) {
    match krm.api_version.as_deref() {
        Some("sg-executor-gen/v1alpha1") => {}
        other => checker.error(
            &path!["apiVersion"],
            format!("unsupported apiVersion `{}`", other.unwrap_or("")),
            "use `apiVersion: sg-executor-gen/v1alpha1`, or drop apiVersion, kind and metadata to use a bare Helm values file",
        ),
    }
    match krm.kind.as_deref() {
        Some("ExecutorDeployment") => {}
        other => checker.error(
            &path!["kind"],
            format!("unsupported kind `{}`", other.unwrap_or("")),
            "use `kind: ExecutorDeployment`",
        ),
    }
    let meta = krm.metadata.as_ref();
    let name = meta
        .and_then(|m| m.name.clone())
        .unwrap_or_else(|| "executor".into());
    if checker.dns_label(&name, &path!["metadata", "name"], "name") && name.len() > 40 {
        checker.error(
            &path!["metadata", "name"],
            "the name is longer than 40 characters",
            "object names are derived from it and must stay within 63",
        );
    }
    let namespace = meta.and_then(|m| m.namespace.clone());
    if let Some(ns) = &namespace {
        checker.dns_label(ns, &path!["metadata", "namespace"], "namespace");
    }
    (name, namespace)
}
