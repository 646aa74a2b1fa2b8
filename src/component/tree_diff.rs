//! Compares the tree `build` would write with a golden directory, file by file, as unified
//! diffs from golden (`a/`) to generated (`b/`): what CI prints when someone edits generated
//! files by hand or changes a template without regenerating the golden tree.
//!
//! What it prints is safe for a terminal and a CI log: every control character, escape
//! sequence and invisible character of a golden file is shown escaped, Secret values are
//! hidden unless asked for (`secret_mask`), a golden file holding a NUL is "binary", and one
//! larger than diff reads (`read_limit`) is reported by its size, unread. A golden Secret
//! that others may read, where `build` writes it for its owner only, is drift too.

use crate::component::layout::{self, Tree};
use crate::component::secret_mask;
use crate::diagnostic::escape;
use similar::TextDiff;
use std::collections::BTreeMap;

/// A golden file as read: its content and its permission bits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoldenFile {
    pub content: GoldenContent,
    pub mode: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GoldenContent {
    /// The text (bytes that are not UTF-8 shown as U+FFFD).
    Text(String),
    /// It holds a NUL: no text the tool writes does.
    Binary,
    /// Larger than `read_limit`: its size, and it was not read.
    TooLarge(u64),
}

impl GoldenContent {
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        if bytes.contains(&0) {
            return GoldenContent::Binary;
        }
        GoldenContent::Text(match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }
}

/// Golden files are read up to 16 MiB, or twice the generated file where that is larger:
/// no file the tool writes comes near it, and a larger one differs anyway.
pub const READ_LIMIT: u64 = 16 << 20;

/// How many bytes of the file at a path are read, given what the tool generates there.
pub fn read_limit(generated: Option<&str>) -> u64 {
    READ_LIMIT.max(2 * generated.map_or(0, |g| g.len() as u64))
}

/// One file that differs, as a unified diff (or a line saying how it differs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDrift {
    pub path: String,
    pub diff: String,
}

/// Every file that differs between `golden` and `generated`, in path order, with Secret
/// values hidden unless `show_secrets`.
pub fn compare(
    golden: &BTreeMap<String, GoldenFile>,
    generated: &Tree,
    show_secrets: bool,
) -> Vec<FileDrift> {
    let mut paths: Vec<&String> = golden.keys().chain(generated.keys()).collect();
    paths.sort();
    paths.dedup();
    let mut drift = Vec::new();
    for path in paths {
        let old = golden.get(path);
        let new = generated.get(path);
        let shown = escape(path);
        let new_name = if new.is_some() {
            format!("b/{shown}")
        } else {
            "/dev/null".to_string()
        };
        let mut diff = match old.map(|g| &g.content) {
            Some(GoldenContent::Binary) => {
                format!("Binary files a/{shown} and {new_name} differ\n")
            }
            Some(GoldenContent::TooLarge(size)) => format!(
                "File a/{shown} is {size} bytes, larger than the {} bytes diff reads: not shown, and it differs from {new_name}\n",
                read_limit(new.map(String::as_str))
            ),
            Some(GoldenContent::Text(text)) if Some(text) == new => String::new(),
            text => {
                let old_text = match text {
                    Some(GoldenContent::Text(t)) => t.as_str(),
                    _ => "",
                };
                let old_name = if old.is_some() {
                    format!("a/{shown}")
                } else {
                    "/dev/null".to_string()
                };
                let new_text = new.map_or("", String::as_str);
                let (old_text, new_text) = if show_secrets {
                    (old_text.into(), new_text.into())
                } else {
                    secret_mask::mask_pair(path, old_text, new_text)
                };
                let unified = TextDiff::from_lines(old_text.as_ref(), new_text.as_ref())
                    .unified_diff()
                    .context_radius(3)
                    .header(&old_name, &new_name)
                    .to_string();
                escaped_lines(&unified)
            }
        };
        if let (Some(g), Some(_)) = (old, new) {
            let want = layout::file_mode(path);
            if g.mode & 0o044 & !want != 0 {
                diff.push_str(&format!(
                    "old mode {:04o} a/{shown}\nnew mode {want:04o} b/{shown} (others may read the golden file; build makes it readable by its owner only)\n",
                    g.mode
                ));
            }
        }
        if !diff.is_empty() {
            drift.push(FileDrift {
                path: path.clone(),
                diff,
            });
        }
    }
    drift
}

/// Each line of a diff escaped for a terminal, its line feed kept.
fn escaped_lines(diff: &str) -> String {
    let mut out = String::with_capacity(diff.len());
    for line in diff.split_inclusive('\n') {
        let body = line.strip_suffix('\n').unwrap_or(line);
        out.push_str(&escape(body));
        if body.len() < line.len() {
            out.push('\n');
        }
    }
    out
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

    fn golden(files: &[(&str, &str)]) -> BTreeMap<String, GoldenFile> {
        files
            .iter()
            .map(|(p, c)| {
                let file = GoldenFile {
                    content: GoldenContent::from_bytes(c.as_bytes().to_vec()),
                    mode: layout::file_mode(p),
                };
                (p.to_string(), file)
            })
            .collect()
    }

    #[test]
    fn identical_trees_have_no_drift() {
        let files = [("a.yaml", "x: 1\n")];
        assert!(compare(&golden(&files), &tree(&files), false).is_empty());
    }

    #[test]
    fn changed_missing_and_extra_files_are_all_listed() {
        let old = golden(&[("a.yaml", "x: 1\n"), ("old.yaml", "y: 1\n")]);
        let generated = tree(&[("a.yaml", "x: 2\n"), ("new.yaml", "z: 1\n")]);
        let drift = compare(&old, &generated, false);
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

    #[test]
    fn control_characters_and_escape_sequences_of_a_golden_file_are_shown_escaped() {
        let old = golden(&[("a.yaml", "x: \x1b]0;owned\x07\x1b[2J\u{202e}1\r\n")]);
        let drift = compare(&old, &tree(&[("a.yaml", "x: 1\n")]), false);
        assert_eq!(
            drift[0].diff,
            "--- a/a.yaml\n+++ b/a.yaml\n@@ -1 +1 @@\n-x: \\u{001b}]0;owned\\u{0007}\\u{001b}[2J\\u{202e}1\\r\n+x: 1\n"
        );
    }

    #[test]
    fn a_binary_or_too_large_golden_file_is_drift_described_in_one_line() {
        let mut old = golden(&[("a.yaml", "x\0y\n")]);
        old.insert(
            "b.yaml".into(),
            GoldenFile {
                content: GoldenContent::TooLarge(512 << 20),
                mode: 0o644,
            },
        );
        let drift = compare(&old, &tree(&[("a.yaml", "x\n"), ("b.yaml", "y\n")]), false);
        assert_eq!(drift[0].diff, "Binary files a/a.yaml and b/a.yaml differ\n");
        assert_eq!(
            drift[1].diff,
            "File a/b.yaml is 536870912 bytes, larger than the 16777216 bytes diff reads: not shown, and it differs from b/b.yaml\n"
        );
    }

    #[test]
    fn a_golden_secret_others_may_read_is_drift() {
        let text = "kind: Secret\n";
        let mut old = golden(&[("s.Secret.yaml", text), ("c.ConfigMap.yaml", text)]);
        for file in old.values_mut() {
            file.mode = 0o644;
        }
        let drift = compare(
            &old,
            &tree(&[("s.Secret.yaml", text), ("c.ConfigMap.yaml", text)]),
            false,
        );
        assert_eq!(drift.len(), 1, "{drift:?}");
        assert!(drift[0]
            .diff
            .starts_with("old mode 0644 a/s.Secret.yaml\nnew mode 0600 b/s.Secret.yaml"));
    }
}
