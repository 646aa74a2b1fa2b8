//! The module rule in ARCHITECTURE.md, enforced: every `crate::…` path in a top-level
//! module names a module that its row allows, every top-level module has a row, and the
//! allowed dependencies have no cycle, so the tree stays the pipeline's diagram. And the
//! map stays whole: every file under `src/` has its line in "Modules, one line each", and
//! every line there names a file that exists.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// `module -> allowed modules`, from the "Top-level modules" table; `None` means everything.
fn rules() -> BTreeMap<String, Option<BTreeSet<String>>> {
    let text = std::fs::read_to_string(Path::new(ROOT).join("ARCHITECTURE.md")).unwrap();
    let table = text
        .split("## Top-level modules")
        .nth(1)
        .expect("ARCHITECTURE.md has a `## Top-level modules` section");
    let mut rules = BTreeMap::new();
    for line in table.lines().skip_while(|l| !l.starts_with('|')) {
        if !line.starts_with('|') {
            break;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let (Some(module), Some(deps)) = (cells.get(1), cells.get(3)) else {
            continue;
        };
        let Some(module) = module.strip_prefix('`').and_then(|m| m.strip_suffix('`')) else {
            continue;
        };
        let allowed = match *deps {
            "everything" => None,
            "nothing" => Some(BTreeSet::new()),
            list => Some(
                list.split(',')
                    .map(|d| d.trim().trim_matches('`').to_string())
                    .collect(),
            ),
        };
        rules.insert(module.to_string(), allowed);
    }
    assert!(rules.len() > 5, "the table was not found or is empty");
    rules
}

/// The files the "Modules, one line each" table names, relative to `src/`.
fn rows() -> Vec<String> {
    let text = std::fs::read_to_string(Path::new(ROOT).join("ARCHITECTURE.md")).unwrap();
    let table = text
        .split("## Modules, one line each")
        .nth(1)
        .expect("ARCHITECTURE.md has a `## Modules, one line each` section");
    let rows: Vec<String> = table
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter_map(|line| {
            let cell = line.split('|').nth(1)?.trim();
            let file = cell.strip_prefix('`')?.strip_suffix('`')?;
            Some(file.to_string())
        })
        .collect();
    assert!(rows.len() > 5, "the table was not found or is empty");
    rows
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a source file belongs to (`src/config/validate/dind.rs` → `config`).
fn module_of(path: &Path) -> Option<String> {
    let rel = path.strip_prefix(Path::new(ROOT).join("src")).ok()?;
    let first = rel.components().next()?.as_os_str().to_string_lossy();
    let name = first.strip_suffix(".rs").unwrap_or(&first).to_string();
    (name != "main" && name != "lib").then_some(name)
}

/// Every top-level module a file names through `crate::`.
fn uses(text: &str) -> BTreeSet<String> {
    text.match_indices("crate::")
        .map(|(i, _)| {
            text[i + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|m| !m.is_empty())
        .collect()
}

#[test]
fn every_crate_path_follows_the_table_in_architecture_md() {
    let rules = rules();
    let mut files = Vec::new();
    sources(&Path::new(ROOT).join("src"), &mut files);
    let mut broken = Vec::new();
    for file in &files {
        let Some(module) = module_of(file) else {
            continue;
        };
        let Some(allowed) = rules.get(&module) else {
            broken.push(format!("{module}: no row in ARCHITECTURE.md's table"));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for used in uses(&text) {
            let ok = used == module || allowed.as_ref().is_none_or(|a| a.contains(&used));
            if !ok {
                broken.push(format!("{}: uses crate::{used}", file.display()));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn the_allowed_dependencies_have_no_cycle() {
    let rules = rules();
    let everything: BTreeSet<String> = rules.keys().cloned().collect();
    let deps = |m: &str| -> BTreeSet<String> {
        match &rules[m] {
            Some(a) => a.clone(),
            None => everything.iter().filter(|x| *x != m).cloned().collect(),
        }
    };
    // Peel off modules whose dependencies are all peeled; a cycle leaves some behind.
    let mut done: BTreeSet<String> = BTreeSet::new();
    loop {
        let next: Vec<String> = everything
            .iter()
            .filter(|m| !done.contains(*m) && deps(m).iter().all(|d| done.contains(d)))
            .cloned()
            .collect();
        if next.is_empty() {
            break;
        }
        done.extend(next);
    }
    let left: Vec<&String> = everything.difference(&done).collect();
    assert!(
        left.is_empty(),
        "these modules depend on each other in a cycle: {left:?}"
    );
}

#[test]
fn every_file_under_src_has_one_line_in_architecture_md_and_every_line_a_file() {
    let src = Path::new(ROOT).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let files: BTreeSet<String> = files
        .iter()
        .map(|f| {
            let rel = f.strip_prefix(&src).unwrap();
            rel.components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect();
    let rows = rows();
    let mut broken = Vec::new();
    let mut seen = BTreeSet::new();
    for row in &rows {
        if !seen.insert(row) {
            broken.push(format!("{row}: two lines in the table"));
        }
        if !files.contains(row) {
            broken.push(format!(
                "{row}: a line in the table, but no such file under src/"
            ));
        }
    }
    for file in &files {
        if !seen.contains(file) {
            broken.push(format!(
                "{file}: no line in ARCHITECTURE.md's \"Modules, one line each\""
            ));
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}
