//! The knob tests for storageClass.*.

use super::*;

#[test]
fn storage_class_name_sets_the_registry_claim_class() {
    let out = render(&with(DIND, "storageClass: {name: fast-ssd}"));
    let claim = out.get("PersistentVolumeClaim", "executor-registry");
    assert_eq!(claim["spec"]["storageClassName"], yaml("fast-ssd"));
    // Naming a class does not create one.
    assert!(out.names_of("StorageClass").is_empty());
}

#[test]
fn storage_class_absent_leaves_the_registry_claim_on_the_cluster_default() {
    // The chart asks for a class named `sourcegraph`, which usually does not exist.
    let out = render(DIND);
    let claim = out.get("PersistentVolumeClaim", "executor-registry");
    assert!(claim["spec"].get("storageClassName").is_none(), "{claim:?}");
    assert!(!out.stream.contains("storageClassName"));
}

#[test]
fn storage_class_create_renders_a_storage_class() {
    let out = render(&with(DIND, "storageClass: {create: true, name: fast}"));
    let sc = out.get("StorageClass", "fast");
    assert_eq!(sc["provisioner"], yaml("kubernetes.io/gce-pd"));
    assert_eq!(sc["parameters"], yaml("{type: pd-ssd}"));
    assert_eq!(
        out.get("PersistentVolumeClaim", "executor-registry")["spec"]["storageClassName"],
        yaml("fast")
    );

    let custom = render(&with(
        DIND,
        "storageClass: {create: true, name: gp3, provisioner: ebs.csi.aws.com, type: gp3, parameters: {iops: '3000'}, allowedTopologies: [{matchLabelExpressions: [{key: topology.kubernetes.io/zone, values: [us-east-1a]}]}]}",
    ));
    let sc = custom.get("StorageClass", "gp3");
    assert_eq!(sc["provisioner"], yaml("ebs.csi.aws.com"));
    assert_eq!(sc["parameters"], yaml("{iops: '3000', type: gp3}"));
    assert_eq!(
        sc["allowedTopologies"],
        yaml(
            "[{matchLabelExpressions: [{key: topology.kubernetes.io/zone, values: [us-east-1a]}]}]"
        )
    );
}

#[test]
fn storage_class_name_sets_the_kubernetes_data_claim_class() {
    let out = render(&with(
        K8S,
        "storageClass: {name: fast}\nexecutor: {storageSize: 100Gi}",
    ));
    assert_eq!(
        out.get("PersistentVolumeClaim", "executor-data")["spec"]["storageClassName"],
        yaml("fast")
    );
    let default = render(&with(K8S, "executor: {storageSize: 100Gi}"));
    assert!(
        default.get("PersistentVolumeClaim", "executor-data")["spec"]
            .get("storageClassName")
            .is_none()
    );
}
