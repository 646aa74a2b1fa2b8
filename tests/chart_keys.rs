//! The key documentation against the tool, the charts and `docs/keys.md`: it documents
//! exactly the keys the config accepts (read off the typed config), every key the Helm charts'
//! templates read (`tests/data/chart-template-keys.tsv`) is among them, and the table in
//! `docs/keys.md` is the one generated from it. `SG_UPDATE_DOCS=1 cargo test --test
//! suite chart_keys::` rewrites the table on purpose; without it, a table that differs fails.

use sg_executor_gen::config::docs;
use sg_executor_gen::config::keys::accepted_keys;
use std::collections::BTreeSet;
use std::path::Path;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const BEGIN: &str = "<!-- BEGIN chart-keys: generated from src/config/docs; `SG_UPDATE_DOCS=1 cargo test --test suite chart_keys::` rewrites it -->\n";
const KEYS_DOC: &str = "docs/keys.md";
const END: &str = "<!-- END chart-keys -->\n";

fn documented() -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for (k, _) in docs::keys() {
        assert!(
            keys.insert(k.path.to_string()),
            "{} is documented twice",
            k.path
        );
    }
    keys
}

#[test]
fn the_docs_list_exactly_the_accepted_keys() {
    let documented = documented();
    let accepted: BTreeSet<String> = accepted_keys().into_iter().collect();
    let missing: Vec<&String> = accepted.difference(&documented).collect();
    let extra: Vec<&String> = documented.difference(&accepted).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "accepted but not documented in src/config/docs/table.rs: {missing:?}\ndocumented but not accepted: {extra:?}"
    );
}

#[test]
fn every_key_the_charts_templates_read_is_documented() {
    let data = std::fs::read_to_string(Path::new(ROOT).join("tests/data/chart-template-keys.tsv"))
        .unwrap();
    let documented = documented();
    let chart: Vec<(&str, &str)> = data
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split_once('\t').expect("PATH<TAB>CHART"))
        .collect();
    assert!(
        chart.len() > 90,
        "the chart key list is too short: {}",
        chart.len()
    );
    let missing: Vec<&str> = chart
        .iter()
        .filter(|(path, _)| !documented.contains(*path))
        .map(|(path, _)| *path)
        .collect();
    assert!(
        missing.is_empty(),
        "read by a chart's templates, not documented: {missing:?}"
    );
}

#[test]
fn the_keys_doc_table_is_the_generated_one() {
    crate::common::assert_generated_block(
        KEYS_DOC,
        BEGIN,
        END,
        &docs::markdown_table(),
        "cargo test --test suite chart_keys::",
    );
}
