//! The commands around the main job, as an admin meets them: `init | render -f -`, shell
//! completions and the man page from the command line's own definition.

mod common;

use common::run_tool;

const SUBCOMMANDS: [&str; 9] = [
    "render",
    "build",
    "diff",
    "check",
    "schema",
    "init",
    "explain",
    "completions",
    "man",
];

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

#[test]
fn completions_for_each_shell_know_every_subcommand() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let run = run_tool(&["completions", shell], None);
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        for sub in SUBCOMMANDS {
            assert!(run.stdout.contains(sub), "{shell} completions lack `{sub}`");
        }
    }
    assert_eq!(run_tool(&["completions", "tcsh"], None).code, 2);
}

#[test]
fn the_man_page_is_roff_with_every_subcommand() {
    let run = run_tool(&["man"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with(".ie"),
        "{}",
        &run.stdout[..80.min(run.stdout.len())]
    );
    assert!(run.stdout.contains(".TH sg-executor-gen"), "no title");
    for sub in SUBCOMMANDS {
        assert!(run.stdout.contains(sub), "the man page lacks `{sub}`");
    }
}
