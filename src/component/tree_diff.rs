//! Compares the tree `build` would write with a golden directory, file by file, as unified
//! diffs from golden (`a/`) to generated (`b/`): what CI prints when someone edits generated
//! files by hand or changes a template without regenerating the golden tree.

use crate::component::layout::Tree;
use similar::TextDiff;

/// One file that differs, as a unified diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDrift {
    pub path: String,
    pub diff: String,
}

/// Every file that differs between `golden` and `generated`, in path order.
pub fn compare(golden: &Tree, generated: &Tree) -> Vec<FileDrift> {
    let mut paths: Vec<&String> = golden.keys().chain(generated.keys()).collect();
    paths.sort();
    paths.dedup();
    let mut drift = Vec::new();
    for path in paths {
        let old = golden.get(path);
        let new = generated.get(path);
        if old == new {
            continue;
        }
        let old_name = if old.is_some() {
            format!("a/{path}")
        } else {
            "/dev/null".to_string()
        };
        let new_name = if new.is_some() {
            format!("b/{path}")
        } else {
            "/dev/null".to_string()
        };
        let old_text = old.map_or("", String::as_str);
        let new_text = new.map_or("", String::as_str);
        let diff = TextDiff::from_lines(old_text, new_text)
            .unified_diff()
            .context_radius(3)
            .header(&old_name, &new_name)
            .to_string();
        drift.push(FileDrift {
            path: path.clone(),
            diff,
        });
    }
    drift
}

/// Colours a unified diff for a terminal: removals red, additions green, hunks cyan.
pub fn colorize(diff: &str) -> String {
    diff.lines()
        .map(|line| {
            let code = if line.starts_with("+++") || line.starts_with("---") {
                "1"
            } else if line.starts_with('+') {
                "32"
            } else if line.starts_with('-') {
                "31"
            } else if line.starts_with("@@") {
                "36"
            } else {
                return format!("{line}\n");
            };
            format!("\x1b[{code}m{line}\x1b[0m\n")
        })
        .collect()
}

/// Counts added and removed lines, for the summary line.
pub fn stats(drift: &[FileDrift]) -> (usize, usize) {
    let mut added = 0;
    let mut removed = 0;
    for d in drift {
        for line in d.diff.lines() {
            if line.starts_with('+') && !line.starts_with("+++") {
                added += 1;
            } else if line.starts_with('-') && !line.starts_with("---") {
                removed += 1;
            }
        }
    }
    (added, removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> Tree {
        files
            .iter()
            .map(|(p, c)| (p.to_string(), c.to_string()))
            .collect()
    }

    #[test]
    fn identical_trees_have_no_drift() {
        let t = tree(&[("a.yaml", "x: 1\n")]);
        assert!(compare(&t, &t).is_empty());
    }

    #[test]
    fn changed_missing_and_extra_files_are_all_listed() {
        let golden = tree(&[("a.yaml", "x: 1\n"), ("old.yaml", "y: 1\n")]);
        let generated = tree(&[("a.yaml", "x: 2\n"), ("new.yaml", "z: 1\n")]);
        let drift = compare(&golden, &generated);
        let paths: Vec<&str> = drift.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(paths, ["a.yaml", "new.yaml", "old.yaml"]);
        assert_eq!(
            drift[0].diff,
            "--- a/a.yaml\n+++ b/a.yaml\n@@ -1 +1 @@\n-x: 1\n+x: 2\n"
        );
        assert!(drift[1].diff.starts_with("--- /dev/null\n+++ b/new.yaml\n"));
        assert!(drift[2].diff.starts_with("--- a/old.yaml\n+++ /dev/null\n"));
        assert_eq!(stats(&drift), (2, 2));
    }
}
