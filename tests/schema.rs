//! The JSON Schema (`sg-executor-gen schema`) against a real JSON Schema validator (boon,
//! draft 2020-12) and against the tool itself: every bundled example, every `init` output
//! and every documented default written out validate; configs the tool refuses for their
//! keys and types (an unknown key, a wrong type) are refused by the schema too; Helm's loose
//! scalars, which the tool reads, pass.

use crate::common;

use serde_json::Value as Json;
use sg_executor_gen::config::docs;
use sg_executor_gen::config::Overrides;
use sg_executor_gen::pipeline;

struct Validator {
    schemas: boon::Schemas,
    index: boon::SchemaIndex,
}

fn validator() -> Validator {
    let run = common::run_tool(&["schema"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let schema: Json = serde_json::from_str(&run.stdout).expect("schema prints JSON");
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler
        .add_resource("https://sg-executor-gen.invalid/schema.json", schema)
        .unwrap();
    // Compiling checks the schema against the draft 2020-12 metaschema.
    let index = compiler
        .compile("https://sg-executor-gen.invalid/schema.json", &mut schemas)
        .unwrap_or_else(|e| panic!("the schema does not compile: {e:#}"));
    Validator { schemas, index }
}

impl Validator {
    fn check(&self, yaml: &str) -> Result<(), String> {
        let instance: Json = serde_yaml::from_str(yaml).map_err(|e| e.to_string())?;
        self.schemas
            .validate(&instance, self.index)
            .map_err(|e| format!("{e:#}"))
    }
}

fn renders(yaml: &str) -> bool {
    pipeline::generate(yaml, &Overrides::default()).is_ok()
}

#[test]
fn every_example_validates() {
    let v = validator();
    let examples = common::examples();
    assert!(examples.len() >= 5);
    for example in examples {
        let text = std::fs::read_to_string(&example).unwrap();
        v.check(&text)
            .unwrap_or_else(|e| panic!("{}: {e}", example.display()));
    }
}

#[test]
fn what_init_prints_validates_and_renders() {
    let v = validator();
    for args in [
        &["init"][..],
        &["init", "--mode", "kubernetes", "-n", "sourcegraph"],
        &[
            "init",
            "--queue",
            "batches",
            "--queue",
            "codeintel",
            "--name",
            "ci",
        ],
    ] {
        let run = common::run_tool(args, None);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        v.check(&run.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}\n{}", run.stdout));
        assert!(renders(&run.stdout), "{args:?}");
    }
}

#[test]
fn every_documented_default_written_out_validates() {
    let v = validator();
    let mut checked = 0;
    for (key, _) in docs::keys() {
        for mode in [
            sg_executor_gen::config::Mode::Dind,
            sg_executor_gen::config::Mode::Kubernetes,
        ] {
            let Some(default) = key.default_in(mode) else {
                continue;
            };
            let mut spec: serde_yaml::Value = serde_yaml::from_str(common::CONFIG).unwrap();
            let mut at = &mut spec;
            for seg in key.path.split('.') {
                if !at.get(seg).is_some_and(serde_yaml::Value::is_mapping) {
                    at[seg] = serde_yaml::Value::Mapping(Default::default());
                }
                at = at.get_mut(seg).unwrap();
            }
            *at = serde_yaml::to_value(&default).unwrap();
            let text = serde_yaml::to_string(&spec).unwrap();
            v.check(&text)
                .unwrap_or_else(|e| panic!("{}: {e}\n{text}", key.path));
            checked += 1;
        }
    }
    assert!(checked > 40);
}

/// Accepted by the tool as Helm accepts them, so by the schema too.
const LOOSE: [&str; 5] = [
    // An override shared with the main chart: its sections are ignored, as by the executor charts.
    "frontend:\n  ingress: {host: sg.example.com}\ngitserver:\n  replicaCount: 2\nsourcegraph:\n  revisionHistoryLimit: 5\nexecutor:\n  frontendUrl: http://sourcegraph-frontend:30080\n  frontendExistingSecret: fe\n  queueName: batches\n",
    "executor:\n  frontendUrl: http://sourcegraph-frontend:30080\n  frontendExistingSecret: fe\n  queueName: batches\n  maximumNumJobs: \"12\"\n  replicaCount: '2'\n  image:\n    tag: 6\n",
    "executor:\n  frontendUrl: http://sourcegraph-frontend:30080\n  frontendExistingSecret: fe\n  queueName: batches\nprivateDockerRegistry:\n  enabled: \"false\"\nnetworkPolicy:\n  enabled: False\nsourcegraph:\n  labels:\n    team: 42\n",
    "apiVersion: sg-executor-gen/v1alpha1\nkind: ExecutorDeployment\nmetadata:\n  name: ci\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\nspec:\n  executor:\n    frontendUrl: http://sourcegraph-frontend:30080\n    frontendExistingSecret: fe\n    queueNames: [batches, codeintel]\n  dind:\n    daemonConfig:\n      mtu: 1400\n",
    "executor:\n  frontendUrl: http://sourcegraph-frontend:30080\n  frontendExistingSecret: fe\n  queueName: batches\n  storage:\n  log:\n",
];

#[test]
fn helm_style_loose_values_pass_as_the_tool_reads_them() {
    let v = validator();
    for config in LOOSE {
        assert!(renders(config), "the tool refuses:\n{config}");
        v.check(config)
            .unwrap_or_else(|e| panic!("the schema refuses what the tool reads: {e}\n{config}"));
    }
}

/// Refused by the tool for their keys and types, each for another reason.
const BAD: [&str; 15] = [
    "executr: {}\n",
    "executor: {frontendUrl: http://f:30080, frontendExistingSecret: fe, queueNmae: batches}\n",
    "executor: [1]\n",
    "queues: {a: 1}\n",
    "executor: {resources: 5}\n",
    "sourcegraph: {tolerations: {key: x}}\n",
    "executor: {maximumNumJobs: ten}\n",
    "privateDockerRegistry: {enabled: maybe}\n",
    "mode: docker\n",
    "dind: {command: dockerd}\n",
    "executor: {storage: {type: hostPath}}\n",
    "apiVersion: sg-executor-gen/v1alpha1\nkind: ExecutorDeployment\nspecs: {}\n",
    "apiVersion: sg-executor-gen/v1alpha1\nkind: Deployment\nspec: {}\n",
    "apiVersion: sg-executor-gen/v1alpha1\nkind: ExecutorDeployment\nexecutor: {}\nspec: {}\n",
    "apiVersion: sg-executor-gen/v1alpha1\nkind: ExecutorDeployment\nmetadata: {labels: {a: {b: c}}}\nspec: {}\n",
];

#[test]
fn configs_the_tool_refuses_for_their_keys_and_types_are_refused() {
    let v = validator();
    for config in BAD {
        assert!(!renders(config), "the tool takes:\n{config}");
        assert!(
            v.check(config).is_err(),
            "the schema takes what the tool refuses:\n{config}"
        );
    }
}

#[test]
fn documented_keys_carry_their_description_and_default() {
    let run = common::run_tool(&["schema"], None);
    let schema: Json = serde_json::from_str(&run.stdout).unwrap();
    let jobs = &schema["$defs"]["Values"]["properties"]["executor"]["properties"]["maximumNumJobs"];
    assert_eq!(jobs["default"], 1, "{jobs}");
    assert!(
        jobs["description"]
            .as_str()
            .is_some_and(|d| d.contains("EXECUTOR_MAXIMUM_NUM_JOBS")),
        "{jobs}"
    );
}
