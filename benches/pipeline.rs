//! Each phase of the pipeline in process, at 1, 100, 1,000 and 10,000 queues, so a change
//! that makes one phase grow faster than the input shows up here by name. `.ci/bench`
//! measures whole processes against `kubectl kustomize`; this measures where the time goes.
//! `every_layer` is the whole pipeline with every layer on, the case issue 23 holds to.
//!
//! Run with `cargo bench --bench pipeline` (add `-- render` to run one phase).

use sg_executor_gen::check;
use sg_executor_gen::component::layout;
use sg_executor_gen::config::{self, source, Overrides};
use sg_executor_gen::pipeline;
use sg_executor_gen::render::{bundle, stack};

const QUEUES: [usize; 4] = [1, 100, 1_000, 10_000];

/// Queue counts with every layer on; above about 6,500 queues such a stack is over the
/// output's bounds (64 MiB, 5 million values) and refused.
const LAYERED_QUEUES: [usize; 4] = [1, 100, 1_000, 5_000];

/// Label counts for the parser, which must stay linear in keys, not only in queues.
const LABELS: [usize; 3] = [100, 1_000, 10_000];

fn main() {
    divan::main();
}

/// A config with `queues` workers, each its own Deployment, alternating the two queues.
fn config_with_queues(queues: usize) -> String {
    let mut text = String::from(HEADER);
    text.push_str("  queues:\n");
    for i in 0..queues {
        let queue = if i % 2 == 0 { "codeintel" } else { "batches" };
        text.push_str(&format!("    - {{name: q{i:05}, queueName: {queue}}}\n"));
    }
    text
}

/// A one-queue config whose `sourcegraph.labels` has `labels` entries.
fn config_with_labels(labels: usize) -> String {
    let mut text = String::from(HEADER);
    text.push_str("    queueName: batches\n  sourcegraph:\n    labels:\n");
    for i in 0..labels {
        text.push_str(&format!("      l{i}.example.com/team: t{i}\n"));
    }
    text
}

/// A config with `queues` workers on one queue and every layer on: ephemeral scratch,
/// gVisor, scheduling, a disruption budget, autoscaling (a ScaledObject per worker) and
/// alerts.
fn config_with_every_layer(queues: usize) -> String {
    let mut text = String::from(HEADER);
    text.push_str(
        "    storage: {type: ephemeral, size: 50Gi, class: premium-rwo}
    podDisruptionBudget: {enabled: true}
  dind:
    gVisor: {enabled: true}
  sourcegraph:
    nodeSelector: {pool: executors}
    tolerations:
      - {key: dedicated, operator: Equal, value: executors, effect: NoSchedule}
  autoscaling: {enabled: true, maxReplicaCount: 4}
  alerts: {enabled: true}
  queues:
",
    );
    for i in 0..queues {
        text.push_str(&format!("    - {{name: q{i:05}, queueName: batches}}\n"));
    }
    text
}

const HEADER: &str = "\
apiVersion: sg-executor-gen/v1alpha1
kind: ExecutorDeployment
metadata: {name: executor, namespace: sourcegraph}
spec:
  executor:
    frontendUrl: http://sourcegraph-frontend.sourcegraph.svc.cluster.local:30080
    frontendExistingSecret: executor-frontend
";

fn loaded(text: &str) -> config::Config {
    config::load(text, &Overrides::default())
        .expect("the benchmark config is valid")
        .config
}

/// YAML text → located tree.
#[divan::bench(args = QUEUES)]
fn parse(bencher: divan::Bencher, queues: usize) {
    let text = config_with_queues(queues);
    bencher.bench(|| source::parse_document(divan::black_box(&text)).expect("parses"));
}

/// YAML text → located tree, by number of keys in one map.
#[divan::bench(args = LABELS)]
fn parse_labels(bencher: divan::Bencher, labels: usize) {
    let text = config_with_labels(labels);
    bencher.bench(|| source::parse_document(divan::black_box(&text)).expect("parses"));
}

/// Parse and validate: text → `Config` (validate alone is this minus `parse`).
#[divan::bench(args = QUEUES)]
fn load(bencher: divan::Bencher, queues: usize) {
    let text = config_with_queues(queues);
    bencher.bench(|| loaded(divan::black_box(&text)));
}

/// Parse and validate, by number of labels, which reach every object.
#[divan::bench(args = LABELS)]
fn load_labels(bencher: divan::Bencher, labels: usize) {
    let text = config_with_labels(labels);
    bencher.bench(|| loaded(divan::black_box(&text)));
}

/// `Config` → the stack of rendered templates.
#[divan::bench(args = QUEUES)]
fn render(bencher: divan::Bencher, queues: usize) {
    let config = loaded(&config_with_queues(queues));
    bencher.bench(|| stack::render_stack(divan::black_box(&config)).expect("renders"));
}

/// Stack → patched, ordered, typed and wiring-checked bundle.
#[divan::bench(args = QUEUES)]
fn check(bencher: divan::Bencher, queues: usize) {
    let stack = stack::render_stack(&loaded(&config_with_queues(queues))).expect("renders");
    bencher.bench(|| {
        let bundle = bundle::assemble(divan::black_box(&stack)).expect("assembles");
        check::check(bundle.iter()).expect("checks");
        bundle
    });
}

/// Bundle → the YAML stream `render` prints.
#[divan::bench(args = QUEUES)]
fn write(bencher: divan::Bencher, queues: usize) {
    let stack = stack::render_stack(&loaded(&config_with_queues(queues))).expect("renders");
    let bundle = bundle::assemble(&stack).expect("assembles");
    bencher.bench(|| {
        let mut out = Vec::with_capacity(1 << 20);
        bundle.write_stream(&mut out).expect("writes to memory");
        out
    });
}

/// Stack → the component tree `build` writes and `diff` compares.
#[divan::bench(args = QUEUES)]
fn layout(bencher: divan::Bencher, queues: usize) {
    let stack = stack::render_stack(&loaded(&config_with_queues(queues))).expect("renders");
    bencher.bench(|| layout::component(divan::black_box(&stack)));
}

/// The whole pipeline with every layer on, config text → checked bundle: the figure issue
/// 23 holds to (1,000 queues well under 150 ms).
#[divan::bench(args = LAYERED_QUEUES)]
fn every_layer(bencher: divan::Bencher, queues: usize) {
    let text = config_with_every_layer(queues);
    bencher.bench(|| {
        pipeline::generate(divan::black_box(&text), &Overrides::default()).expect("generates")
    });
}
