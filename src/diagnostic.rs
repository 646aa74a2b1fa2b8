//! One located finding about a config file, and how it is shown to the admin.
//!
//! Every phase that reads the config reports through `Problem`, so messages look the same
//! wherever they come from: `FILE:LINE:COL: error: PATH: what is wrong; what to do`, the
//! GNU form that editors and CI logs already know how to jump to. A run may read several
//! sources (`-f base.yaml -f prod.yaml --set a=b`): a location says which one, and
//! `Origins` names them.

use std::borrow::Cow;
use std::fmt;

/// Problems shown at once: every problem of a real config, without flooding the terminal.
/// Those found beyond it are counted, and the count is shown (`not_shown`).
pub const MAX_SHOWN: usize = 50;

/// A 1-based line and column in one of the run's sources (`source`: its index in the
/// run's `Origins`; 0 when there is one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    pub source: u16,
    pub line: usize,
    pub column: usize,
}

impl Location {
    /// A line and column in the first (or only) source.
    pub const fn new(line: usize, column: usize) -> Self {
        Location {
            source: 0,
            line,
            column,
        }
    }

    /// The same line and column in source `source`.
    pub const fn in_source(self, source: u16) -> Self {
        Location { source, ..self }
    }
}

/// What a source of a run is, which decides how a location in it is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A file (or standard input): `NAME:LINE:COL`.
    File(String),
    /// A command-line argument (`--set a=b`), one line: shown whole, without line and column.
    Argument(String),
}

/// The names of a run's sources, by source index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origins(pub Vec<Origin>);

impl Origins {
    /// A run with one file (or a flag standing for one, such as `--namespace`).
    pub fn file(name: impl Into<String>) -> Self {
        Origins(vec![Origin::File(name.into())])
    }

    /// The origin of a location, or the first source when there is none.
    fn of(&self, at: Option<Location>) -> Option<&Origin> {
        let i = at.map_or(0, |a| usize::from(a.source));
        self.0.get(i).or_else(|| self.0.first())
    }

    /// The name shown for the whole run (the first source).
    pub fn primary(&self) -> &str {
        match self.0.first() {
            Some(Origin::File(n) | Origin::Argument(n)) => n,
            None => "",
        }
    }
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

    /// Shows the problem as one line, prefixed by the source it is about (with `color`, its
    /// level in colour, as compilers do). Every part is escaped (`escape`), so a value with a
    /// newline cannot forge a second problem.
    pub fn display_in<'a>(&'a self, origins: &'a Origins, color: bool) -> impl fmt::Display + 'a {
        Shown {
            problem: self,
            origins: Cow::Borrowed(origins),
            color,
        }
    }

    /// `display_in` for a run of one file, without colour.
    pub fn display<'a>(&'a self, file: &str) -> impl fmt::Display + 'a {
        Shown {
            problem: self,
            origins: Cow::Owned(Origins::file(file)),
            color: false,
        }
    }
}

struct Shown<'a> {
    problem: &'a Problem,
    origins: Cow<'a, Origins>,
    color: bool,
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.problem;
        match self.origins.of(p.at) {
            Some(Origin::File(name)) => {
                write!(f, "{}", escape(name))?;
                if let Some(at) = p.at {
                    write!(f, ":{}:{}", at.line, at.column)?;
                }
            }
            Some(Origin::Argument(arg)) => write!(f, "{}", escape(arg))?,
            None => {}
        }
        let (level, paint) = match p.severity {
            Severity::Error => ("error", "\x1b[1;31m"),
            Severity::Warning => ("warning", "\x1b[1;33m"),
        };
        if self.color {
            write!(f, ": {paint}{level}\x1b[0m: ")?;
        } else {
            write!(f, ": {level}: ")?;
        }
        if !p.path.is_empty() {
            write!(f, "{}: ", escape(&p.path))?;
        }
        write!(f, "{}", escape(&p.message))?;
        if let Some(hint) = &p.hint {
            write!(f, "; {}", escape(hint))?;
        }
        Ok(())
    }
}

/// Problems one line each, then how many more were found (`at_least`: reading stopped
/// early, so there may be more still).
pub fn report(
    origins: &Origins,
    problems: &[Problem],
    not_shown: usize,
    at_least: bool,
    color: bool,
) -> String {
    let mut lines: Vec<String> = problems
        .iter()
        .map(|p| p.display_in(origins, color).to_string())
        .collect();
    if not_shown > 0 {
        let s = if not_shown == 1 && !at_least { "" } else { "s" };
        let at_least = if at_least { "at least " } else { "" };
        lines.push(format!(
            "{}: … and {at_least}{not_shown} more problem{s} not shown; fix the ones above and run again",
            escape(origins.primary())
        ));
    }
    lines.join("\n")
}

/// What an invisible or direction-changing character is, if `c` is one: it shows as
/// nothing (or reorders the text around it), so a reader cannot see what the text holds.
pub fn invisible(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{200b}' => "zero width space",
        '\u{200c}' => "zero width non-joiner",
        '\u{200d}' => "zero width joiner",
        '\u{2060}' => "word joiner",
        '\u{feff}' => "zero width no-break space",
        '\u{00ad}' => "soft hyphen",
        '\u{034f}' => "combining grapheme joiner",
        '\u{180e}' => "Mongolian vowel separator",
        '\u{2061}'..='\u{2064}' => "invisible operator",
        '\u{206a}'..='\u{206f}' => "deprecated format character",
        '\u{115f}' | '\u{1160}' | '\u{3164}' | '\u{ffa0}' => "Hangul filler",
        '\u{e0000}'..='\u{e007f}' => "tag character",
        '\u{200e}' | '\u{200f}' | '\u{061c}' => "direction mark",
        '\u{202a}'..='\u{202e}' => "bidirectional embedding or override",
        '\u{2066}'..='\u{2069}' => "bidirectional isolate",
        _ => return None,
    })
}

/// Whether a character must not reach a terminal as itself: it ends a line (so one
/// problem would look like two), or it is invisible or reorders the text around it.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || invisible(c).is_some()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' // line and paragraph separators
                | '\u{fffe}' | '\u{ffff}'
        )
}

/// `text` as it may be shown on one line: `\n`, `\r`, `\t`, and `\u{…}` for every other
/// control, separator, invisible or direction character. Everything else is kept as written.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `word` as one word for a POSIX shell, to paste: as it is when it holds only characters
/// no shell treats specially, in single quotes when it holds no control or invisible
/// character, else as `$'…'` with those escaped, so it stays on one line and shows them.
pub fn shell_word(word: &[u8]) -> String {
    let plain = |b: &u8| b.is_ascii_alphanumeric() || b"_@%+=:,./-".contains(b);
    if !word.is_empty() && word.iter().all(plain) {
        return String::from_utf8_lossy(word).into_owned();
    }
    if let Ok(text) = std::str::from_utf8(word) {
        if !text.chars().any(needs_escape) {
            return format!("'{}'", text.replace('\'', "'\\''"));
        }
    }
    let mut out = String::from("$'");
    for chunk in word.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\'' => out.push_str("\\'"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                c if c.is_ascii_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
                c if needs_escape(c) && (c as u32) < 0x10000 => {
                    out.push_str(&format!("\\u{:04x}", c as u32))
                }
                c if needs_escape(c) => out.push_str(&format!("\\U{:08x}", c as u32)),
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out.push('\'');
    out
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
    fn every_part_of_a_problem_stays_on_one_line() {
        let p = Problem::error("`a\nconfig.yaml:1:1: error: forged` is bad")
            .at(Location::new(1, 1))
            .path("x.a\rb\u{2028}")
            .hint("remove \u{202e}it\u{85}");
        let shown = p.display("c\n.yaml").to_string();
        assert_eq!(shown.lines().count(), 1, "{shown}");
        assert_eq!(
            shown,
            "c\\n.yaml:1:1: error: x.a\\rb\\u{2028}: `a\\nconfig.yaml:1:1: error: forged` is bad; remove \\u{202e}it\\u{0085}"
        );
        assert!(matches!(escape("plain `text` é 日本"), Cow::Borrowed(_)));
        assert_eq!(
            escape("a\u{200b}b\u{2066}c\u{e0041}"),
            "a\\u{200b}b\\u{2066}c\\u{e0041}"
        );
    }

    #[test]
    fn shell_words_paste_back_as_the_same_word() {
        assert_eq!(shell_word(b"golden/basic"), "golden/basic");
        assert_eq!(shell_word(b"my golden"), "'my golden'");
        assert_eq!(shell_word(b"it's"), "'it'\\''s'");
        assert_eq!(shell_word(b""), "''");
        assert_eq!(shell_word(b"a\nb'\\\x1b"), "$'a\\nb\\'\\\\\\x1b'");
        assert_eq!(shell_word("x\u{202e}y".as_bytes()), "$'x\\u202ey'");
        assert_eq!(shell_word(b"\xffz"), "$'\\xffz'");
        assert_eq!(shell_word("日本".as_bytes()), "'日本'");
    }

    #[test]
    fn display_is_gnu_style() {
        let p = Problem::error("unknown key")
            .at(Location::new(3, 5))
            .path("spec.x")
            .hint("remove it");
        assert_eq!(
            p.display("c.yaml").to_string(),
            "c.yaml:3:5: error: spec.x: unknown key; remove it"
        );
    }

    #[test]
    fn a_location_names_its_source_a_flag_without_line_and_column() {
        let origins = Origins(vec![
            Origin::File("base.yaml".into()),
            Origin::File("prod.yaml".into()),
            Origin::Argument("--set executor.replicaCount=-1".into()),
        ]);
        let at = |s, l, c| Location::new(l, c).in_source(s);
        let shown = |p: Problem| p.display_in(&origins, false).to_string();
        assert_eq!(
            shown(Problem::error("bad").at(at(1, 4, 3)).path("x")),
            "prod.yaml:4:3: error: x: bad"
        );
        assert_eq!(
            shown(
                Problem::error("negative")
                    .at(at(2, 1, 29))
                    .path("executor.replicaCount")
            ),
            "--set executor.replicaCount=-1: error: executor.replicaCount: negative"
        );
        assert_eq!(shown(Problem::warning("w")), "base.yaml: warning: w");
        assert_eq!(
            Problem::error("e").display_in(&origins, true).to_string(),
            "base.yaml: \x1b[1;31merror\x1b[0m: e"
        );
    }
}
