//! The README's chart-key table against the tool and the charts: it lists exactly the keys
//! the config accepts (read off the typed config), and every key the Helm charts' templates
//! read (`tests/data/chart-template-keys.tsv`) is among them.

use sg_executor_gen::config::keys::accepted_keys;
use std::collections::BTreeSet;
use std::path::Path;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The keys in the first column of the README's `### Chart keys` table. A cell lists keys in
/// backticks, separated by commas; `.x` is a sibling of the key before it (`a.b`, `.c` is
/// `a.b`, `a.c`).
fn readme_keys() -> BTreeSet<String> {
    let readme = std::fs::read_to_string(Path::new(ROOT).join("README.md")).unwrap();
    let section = readme
        .split("### Chart keys")
        .nth(1)
        .expect("README.md has a `### Chart keys` section");
    let mut keys = BTreeSet::new();
    let rows = section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2);
    for row in rows {
        let cell = row.split('|').nth(1).expect("a first cell");
        let mut parent = String::new();
        for token in cell.split(',') {
            let token = token.trim();
            let key = token
                .strip_prefix('`')
                .and_then(|t| t.strip_suffix('`'))
                .unwrap_or_else(|| panic!("not a `key` in the table: {token:?} in {row}"));
            let full = match key.strip_prefix('.') {
                Some(rest) => format!("{parent}.{rest}"),
                None => key.to_string(),
            };
            parent = full
                .rsplit_once('.')
                .map_or(String::new(), |(p, _)| p.to_string());
            assert!(keys.insert(full.clone()), "{full} is listed twice");
        }
    }
    assert!(keys.len() > 50, "the table was not found: {keys:?}");
    keys
}

#[test]
fn the_readme_table_lists_exactly_the_accepted_keys() {
    let readme = readme_keys();
    let accepted: BTreeSet<String> = accepted_keys().into_iter().collect();
    let missing: Vec<&String> = accepted.difference(&readme).collect();
    let extra: Vec<&String> = readme.difference(&accepted).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "accepted but not in the README's table: {missing:?}\nin the table but not accepted: {extra:?}"
    );
}

#[test]
fn every_key_the_charts_templates_read_is_in_the_table() {
    let data = std::fs::read_to_string(Path::new(ROOT).join("tests/data/chart-template-keys.tsv"))
        .unwrap();
    let readme = readme_keys();
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
        .filter(|(path, _)| !readme.contains(*path))
        .map(|(path, _)| *path)
        .collect();
    assert!(
        missing.is_empty(),
        "read by a chart's templates, not in the README: {missing:?}"
    );
}
