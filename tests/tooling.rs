//! The commands around the main job, as an admin meets them: `init | render -f -`.

mod common;

use common::run_tool;

#[test]
fn what_init_prints_renders_as_it_is() {
    for args in [
        &["init"][..],
        &["init", "--mode", "kubernetes"],
        &[
            "init",
            "--queue",
            "batches",
            "--queue",
            "codeintel",
            "-n",
            "sourcegraph",
        ],
        &[
            "init",
            "--frontend-url",
            "https://sourcegraph.example.com",
            "--existing-secret",
            "fe",
            "--schema",
            "https://example.com/s.json",
        ],
    ] {
        let init = run_tool(args, None);
        assert_eq!(init.code, 0, "{args:?}: {}", init.stderr);
        assert!(
            init.stdout.starts_with("# yaml-language-server: $schema="),
            "{args:?}: no modeline\n{}",
            init.stdout
        );
        let render = run_tool(&["render", "-f", "-"], Some(&init.stdout));
        assert_eq!(
            render.code, 0,
            "{args:?}: {}\n{}",
            render.stderr, init.stdout
        );
        assert!(render.stdout.contains("kind: Deployment"));
    }
}

#[test]
fn init_in_kubernetes_mode_shows_the_native_charts_keys() {
    let init = run_tool(&["init", "--mode", "kubernetes"], None);
    for key in [
        "mode: kubernetes",
        "# configureRbac: true",
        "kubernetesJob:",
        "# deadline: 1200",
    ] {
        assert!(init.stdout.contains(key), "{key}:\n{}", init.stdout);
    }
}

#[test]
fn init_refuses_flags_that_would_not_render() {
    let init = run_tool(&["init", "--queue", "batchs"], None);
    assert_eq!(init.code, 2);
    assert!(init.stdout.is_empty());
    assert!(
        init.stderr.contains("spec.executor.queueName") && init.stderr.contains("batches"),
        "{}",
        init.stderr
    );
}
