//! The knob tests for networkPolicy.* (ours): defence in depth around the executor pods.

use super::*;

#[test]
fn no_other_pod_reaches_the_executor_pods_in_both_modes() {
    for base in [DIND, K8S] {
        let out = render(base);
        assert!(out.has_layer("network-policy"));
        let policy = out.get("NetworkPolicy", "executor");
        assert_eq!(policy["spec"]["policyTypes"], yaml("[Ingress]"));
        // No ingress rule: the executor serves nothing to other pods (its metrics go to
        // Sourcegraph with each heartbeat), so the policy admits nothing.
        assert!(
            policy["spec"].get("ingress").is_none(),
            "{:?}",
            policy["spec"]
        );
        // It selects exactly the stack's executor pods.
        let selector = &policy["spec"]["podSelector"]["matchLabels"];
        assert!(selects(
            selector,
            &out.pod("executor")["metadata"]["labels"]
        ));
        if base == DIND {
            assert!(!selects(
                selector,
                &out.pod("executor-registry")["metadata"]["labels"]
            ));
        }
    }
}

#[test]
fn network_policy_enabled_false_drops_the_layer() {
    let out = render(&with(DIND, "networkPolicy: {enabled: false}"));
    assert!(!out.has_layer("network-policy"));
    assert!(out.names_of("NetworkPolicy").is_empty());
}
