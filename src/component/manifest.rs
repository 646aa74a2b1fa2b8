//! The manifest: the list of files a build generated in its directory, kept there as
//! `.sg-executor-gen`. It is what makes a file the tool's to replace or delete, so that the
//! config's file name plays no part (rename or move the config and nothing changes) and a
//! component built in a subdirectory, with its own manifest, is never the parent's. Pure:
//! the text and its reading; `output_dir` keeps it on disk.

use std::collections::BTreeSet;

/// The manifest's file name inside a component directory.
pub const FILE_NAME: &str = ".sg-executor-gen";

const HEADER: &str = "# Files sg-executor-gen generated in this directory, one path a line.\n\
                      # A build replaces or deletes only these; everything else is left alone.\n";

/// The first words of the manifest, which no other file of the tool starts with.
pub const HEADER_START: &str = "# Files sg-executor-gen generated";

/// Relative paths (with `/`), sorted.
pub type Paths = BTreeSet<String>;

/// The manifest listing `paths` (never itself): the same paths give the same bytes.
pub fn text<'a>(paths: impl IntoIterator<Item = &'a str>) -> String {
    let sorted: BTreeSet<&str> = paths.into_iter().filter(|p| *p != FILE_NAME).collect();
    let mut out = String::from(HEADER);
    for p in sorted {
        out.push_str(p);
        out.push('\n');
    }
    out
}

/// Why a file at the manifest's path cannot be read as one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// It does not open with the manifest's header: someone else's file.
    NotAManifest,
    /// This line names no path inside the directory.
    BadLine(usize),
}

/// Reads a manifest. It opens with the header's first line; after it, comments and blank
/// lines are skipped, and any other line must be a plain relative path inside the
/// directory, since the build deletes what the manifest lists.
pub fn parse(text: &str) -> Result<Paths, ParseError> {
    let first = HEADER.lines().next().unwrap_or_default();
    if text.lines().next() != Some(first) {
        return Err(ParseError::NotAManifest);
    }
    let mut paths = Paths::new();
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') || line == FILE_NAME {
            continue;
        }
        if !is_inside(line) {
            return Err(ParseError::BadLine(i + 1));
        }
        paths.insert(line.to_string());
    }
    Ok(paths)
}

/// A relative path that stays inside its directory: no `/` at either end, no empty, `.`
/// or `..` part, no control character.
pub fn is_inside(path: &str) -> bool {
    !path.is_empty()
        && !path.chars().any(char::is_control)
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_is_sorted_and_reads_back() {
        let t = text(["b/x.yaml", "a.yaml", FILE_NAME, "b/a.yaml"]);
        assert_eq!(t, format!("{HEADER}a.yaml\nb/a.yaml\nb/x.yaml\n"));
        let back = parse(&t).unwrap();
        assert_eq!(
            back.into_iter().collect::<Vec<_>>(),
            ["a.yaml", "b/a.yaml", "b/x.yaml"]
        );
    }

    #[test]
    fn a_path_leaving_the_directory_is_refused_with_its_line() {
        for bad in ["../x", "/etc/passwd", "a//b", "a/./b", "a/", "a\rb"] {
            let t = format!("{HEADER}ok.yaml\n{bad}\n");
            assert_eq!(parse(&t), Err(ParseError::BadLine(4)), "{bad:?}");
        }
    }

    #[test]
    fn a_file_without_the_header_is_not_a_manifest() {
        assert_eq!(parse("notes\n"), Err(ParseError::NotAManifest));
        assert_eq!(parse(""), Err(ParseError::NotAManifest));
    }
}
