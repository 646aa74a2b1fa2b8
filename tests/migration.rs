//! `docs/migration.md` against the key documentation: its key-by-key list is generated from
//! the rows of `src/config/docs` that say where a chart key differs from the chart (so every
//! such key is listed, with the same reason, and no other), and `explain` prints that same
//! reason for every key of those rows and for no other chart key. `SG_UPDATE_DOCS=1 cargo
//! test --test suite migration::` rewrites the list on purpose; without it, a stale list fails.

use sg_executor_gen::config::docs::{self, Chart, Explained};

const DOC: &str = "docs/migration.md";
const BEGIN: &str = "<!-- BEGIN key-differences: generated from src/config/docs; `SG_UPDATE_DOCS=1 cargo test --test suite migration::` rewrites it -->\n";
const END: &str = "<!-- END key-differences -->\n";

/// The full key paths a line of the list names: `- `a.b`, `.c` (chart): …` is `a.b`, `a.c`.
fn keys_of(line: &str) -> Vec<String> {
    let cell = line
        .strip_prefix("- ")
        .and_then(|l| l.split_once("` (").map(|(keys, _)| format!("{keys}`")))
        .unwrap_or_else(|| panic!("not a line of the list: {line}"));
    let mut parent = String::new();
    let mut keys = Vec::new();
    for shown in cell.split(", ") {
        let shown = shown.trim_matches('`');
        let full = match shown.strip_prefix('.') {
            Some(rest) => format!("{parent}.{rest}"),
            None => shown.to_string(),
        };
        parent = full.rsplit_once('.').map_or("", |(p, _)| p).to_string();
        keys.push(full);
    }
    keys
}

/// What `explain KEY` says under `differs:`, if anything.
fn explained_difference(key: &str) -> Option<String> {
    match docs::explain(key) {
        Explained::Text(t) => t
            .lines()
            .find_map(|l| l.trim_start().strip_prefix("differs:"))
            .map(|d| d.trim().to_string()),
        Explained::Unknown { .. } => panic!("`explain {key}` does not know the key"),
    }
}

#[test]
fn the_migration_key_list_is_the_generated_one() {
    crate::common::assert_generated_block(
        DOC,
        BEGIN,
        END,
        &docs::migration_list(),
        "cargo test --test suite migration::",
    );
}

#[test]
fn explain_and_the_migration_list_give_the_same_difference_for_every_chart_key() {
    let (_, list, _) = crate::common::generated_block(DOC, BEGIN, END);
    let lines: Vec<&str> = list.lines().collect();
    assert!(
        lines.len() > 20,
        "the list is too short to be the chart's differences: {}",
        lines.len()
    );
    let mut listed_keys = 0;
    for (k, row) in docs::keys() {
        if row.chart == Chart::Ours {
            continue;
        }
        let said = explained_difference(k.path);
        let line = lines
            .iter()
            .find(|l| keys_of(l).iter().any(|p| p == k.path));
        match (said, line) {
            (Some(d), Some(line)) => {
                listed_keys += 1;
                assert!(
                    line.ends_with(&format!(": {d}")),
                    "`explain {}` says it differs because \"{d}\", {DOC} says: {line}",
                    k.path
                );
            }
            (Some(d), None) => panic!(
                "`explain {}` says it differs from the chart (\"{d}\"), {DOC} does not list it",
                k.path
            ),
            (None, Some(line)) => panic!(
                "{DOC} lists `{}` as different ({line}), `explain` says nothing of it",
                k.path
            ),
            (None, None) => {}
        }
    }
    assert!(
        listed_keys >= lines.len(),
        "{listed_keys} keys for {} lines",
        lines.len()
    );
}
