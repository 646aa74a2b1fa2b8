//! One override shared by the main Sourcegraph chart and an executor chart (as Sourcegraph's
//! docs suggest): the main chart's sections change nothing, as with Helm, and are named in
//! one located warning; a key that is neither ours nor the main chart's stays an error.

use super::*;

const MAIN_CHART: &str = "\
frontend:
  ingress:
    host: sourcegraph.example.com
gitserver:
  replicaCount: 3
  storageSize: 500Gi
sourcegraph:
  revisionHistoryLimit: 5
  serviceLabels:
    team: search
extraResources: []
";

fn shared_warnings(out: &Out) -> Vec<&Problem> {
    out.warnings
        .iter()
        .filter(|p| p.message.contains("main Sourcegraph chart"))
        .collect()
}

#[test]
fn main_chart_sections_render_nothing_and_are_named_once_in_both_modes() {
    for base in [DIND, K8S] {
        let alone = render(base);
        let shared = render(&with(base, MAIN_CHART));
        assert_eq!(
            shared.stream, alone.stream,
            "the main chart's sections changed the output"
        );
        let said = shared_warnings(&shared);
        assert_eq!(said.len(), 1, "one warning for all sections: {said:?}");
        let w = said[0];
        assert_eq!(w.severity, Severity::Warning);
        // Located at the first section in file order, naming every one.
        assert_eq!(w.path, "frontend");
        for name in [
            "`frontend`",
            "`gitserver`",
            "`sourcegraph.revisionHistoryLimit`",
            "`sourcegraph.serviceLabels`",
            "`extraResources`",
        ] {
            assert!(w.message.contains(name), "{name} not named: {}", w.message);
        }
        assert!(w.hint.as_deref().unwrap_or("").contains("remove them"));
        assert!(alone
            .warnings
            .iter()
            .all(|p| !p.message.contains("main Sourcegraph chart")));
    }
}

#[test]
fn main_chart_sections_under_spec_in_the_krm_form() {
    let spec: String = with(K8S, "worker:\n  replicaCount: 2\n")
        .lines()
        .map(|l| format!("  {l}\n"))
        .collect();
    let config = format!(
        "apiVersion: sg-executor-gen/v1alpha1\nkind: ExecutorDeployment\nmetadata: {{name: executors}}\nspec:\n{spec}"
    );
    let out = render(&config);
    let said = shared_warnings(&out);
    assert_eq!(said.len(), 1);
    assert_eq!(said[0].path, "spec.worker");
    assert!(said[0].message.contains("`worker`"), "{}", said[0].message);
}

#[test]
fn a_key_neither_ours_nor_the_main_charts_is_still_refused_in_both_modes() {
    for base in [DIND, K8S] {
        let typo = refused_at(&with(base, "executr:\n  maximumNumJobs: 2\n"), "executr");
        let shown = typo.display("config").to_string();
        assert!(shown.contains("did you mean `executor`"), "{shown}");
        let nested = refused_at(
            &with(base, "executor:\n  frontend:\n    replicaCount: 2\n"),
            "executor.frontend",
        );
        assert!(nested.message.contains("unknown key"), "{}", nested.message);
        // A typo of a main-chart section is not one of its sections.
        let near = refused_at(&with(base, "gitservr:\n  replicaCount: 2\n"), "gitservr");
        assert!(near.message.contains("unknown key"), "{}", near.message);
    }
}

/// The main chart's `storageClass` in a shared native override: the native chart has no
/// StorageClass, so none is rendered (the main chart's release owns it), with a warning; dind
/// mode still creates one, as documented; the name still names the `/data` claim's class.
#[test]
fn storage_class_create_is_the_main_charts_in_kubernetes_mode() {
    let shared = "storageClass: {create: true, name: sourcegraph, provisioner: kubernetes.io/gce-pd, type: pd-ssd}\nexecutor: {storageSize: 100Gi}";
    let native = render(&with(K8S, shared));
    assert!(
        native.names_of("StorageClass").is_empty(),
        "{:?}",
        native.ids()
    );
    let w = native
        .warning_at("storageClass.create")
        .unwrap_or_else(|| panic!("{:?}", native.warnings));
    assert!(w.message.contains("native chart"), "{}", w.message);
    let claim = native.get("PersistentVolumeClaim", "executor-data");
    assert_eq!(claim["spec"]["storageClassName"], yaml("sourcegraph"));

    let dind = render(&with(
        DIND,
        "storageClass: {create: true, name: sourcegraph}",
    ));
    assert_eq!(dind.names_of("StorageClass"), ["sourcegraph"]);
    assert!(dind.warning_at("storageClass.create").is_none());
}

/// `storageClass.name: sourcegraph` without a class created here: said only where a claim
/// asks for it, and in kubernetes mode (where `create` is ignored) without telling the admin
/// to set `create`, since the main chart of a shared override creates that class.
#[test]
fn the_charts_default_class_name_is_said_only_where_a_claim_asks_for_it() {
    let named = "storageClass: {name: sourcegraph}";
    let pending = |out: &Out| out.warning_at("storageClass.name").cloned();
    // No claim in either: nothing to say.
    assert!(pending(&render(&with(K8S, named))).is_none());
    let no_registry = render(&with(
        DIND,
        &format!("{named}\nprivateDockerRegistry: {{enabled: false}}"),
    ));
    assert!(
        pending(&no_registry).is_none(),
        "{:?}",
        no_registry.warnings
    );
    // The native chart's `/data` claim asks for it.
    let native = render(&with(
        K8S,
        &format!("{named}\nexecutor: {{storageSize: 10Gi}}"),
    ));
    let w = pending(&native).unwrap_or_else(|| panic!("{:?}", native.warnings));
    assert!(
        w.message.contains("main Sourcegraph chart"),
        "{}",
        w.message
    );
    assert!(
        !w.hint
            .as_deref()
            .unwrap_or("")
            .contains("set storageClass.create"),
        "{w:?}"
    );
    // The registry's claim asks for it in dind mode, where `create` makes it.
    let dind = render(&with(DIND, named));
    let w = pending(&dind).unwrap_or_else(|| panic!("{:?}", dind.warnings));
    assert!(
        w.hint
            .as_deref()
            .unwrap_or("")
            .contains("set storageClass.create: true"),
        "{w:?}"
    );
    let created = render(&with(
        DIND,
        "storageClass: {name: sourcegraph, create: true}",
    ));
    assert!(pending(&created).is_none(), "{:?}", created.warnings);
}
