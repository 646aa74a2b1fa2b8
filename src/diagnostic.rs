//! One located finding about a config file, and how it is shown to the admin.
//!
//! Every phase that reads the config reports through `Problem`, so messages look the same
//! wherever they come from: `FILE:LINE:COL: error: PATH: what is wrong; what to do`, the
//! GNU form that editors and CI logs already know how to jump to.

use std::fmt;

/// A 1-based line and column in the config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub severity: Severity,
    pub at: Option<Location>,
    /// The key path, as in the file (`spec.executor.queueName`); empty for the file as a whole.
    pub path: String,
    pub message: String,
    pub hint: Option<String>,
    /// For "X is missing": the key paths any of which would resolve it, so a typo of one
    /// of them is reported once, as the typo.
    pub missing: Vec<String>,
}

impl Problem {
    pub fn error(message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Error,
            at: None,
            path: String::new(),
            message: message.into(),
            hint: None,
            missing: Vec::new(),
        }
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Warning,
            ..Problem::error(message)
        }
    }

    pub fn at(mut self, at: Location) -> Self {
        self.at = Some(at);
        self
    }

    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Shows the problem as one line, prefixed by the file it is about.
    pub fn display<'a>(&'a self, file: &'a str) -> impl fmt::Display + 'a {
        Shown {
            problem: self,
            file,
        }
    }
}

struct Shown<'a> {
    problem: &'a Problem,
    file: &'a str,
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.problem;
        write!(f, "{}", self.file)?;
        if let Some(at) = p.at {
            write!(f, ":{}:{}", at.line, at.column)?;
        }
        let level = match p.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, ": {level}: ")?;
        if !p.path.is_empty() {
            write!(f, "{}: ", p.path)?;
        }
        write!(f, "{}", p.message)?;
        if let Some(hint) = &p.hint {
            write!(f, "; {hint}")?;
        }
        Ok(())
    }
}

/// Sorts problems by position so the admin reads them top to bottom.
pub fn sort(problems: &mut [Problem]) {
    problems.sort_by(|a, b| {
        (a.at, a.severity, &a.path, &a.message).cmp(&(b.at, b.severity, &b.path, &b.message))
    });
}

/// The known word closest to `word`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(word: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1) + 1;
    known
        .into_iter()
        .map(|k| (edit_distance(&word.to_lowercase(), &k.to_lowercase()), k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, k)| (*d, *k))
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_miss_and_nothing_for_far_words() {
        assert_eq!(
            did_you_mean("queueNmae", ["queueName", "queueNames", "image"]),
            Some("queueName")
        );
        assert_eq!(
            did_you_mean("frontendurl", ["frontendUrl"]),
            Some("frontendUrl")
        );
        assert_eq!(did_you_mean("zzz", ["queueName", "image"]), None);
    }

    #[test]
    fn display_is_gnu_style() {
        let p = Problem::error("unknown key")
            .at(Location { line: 3, column: 5 })
            .path("spec.x")
            .hint("remove it");
        assert_eq!(
            p.display("c.yaml").to_string(),
            "c.yaml:3:5: error: spec.x: unknown key; remove it"
        );
    }
}
