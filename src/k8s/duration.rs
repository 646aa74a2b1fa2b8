//! Go durations (`30m`, `1h30m`, `-1.5h`), read exactly as Go's `time.ParseDuration` reads
//! them, overflow included: the executor parses `EXECUTOR_MAXIMUM_RUNTIME_PER_JOB` with it,
//! and a value it refuses stops the executor at start-up.

use std::fmt;

/// Why Go would refuse a duration, in the words of its errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DurationError {
    /// Empty, a stray character, no digits, or beyond what Go represents.
    Invalid,
    /// A number without a unit (only `0` may go without one).
    MissingUnit,
    /// A unit Go does not know (`d`, `H`, `h ` with a space).
    UnknownUnit(String),
    /// Longer than 2562047h47m16.854775807s, the largest `time.Duration`.
    Overflow,
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DurationError::Invalid => f.write_str("is not a Go duration"),
            DurationError::MissingUnit => f.write_str("has a number without a unit"),
            DurationError::UnknownUnit(u) => write!(f, "has the unknown unit `{u}`"),
            DurationError::Overflow => {
                f.write_str("is longer than Go's longest duration, 2562047h47m16.854775807s")
            }
        }
    }
}

/// Nanoseconds per unit, as Go's `unitMap`.
fn unit(u: &str) -> Option<u64> {
    Some(match u {
        "ns" => 1,
        "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return None,
    })
}

const LIMIT: u64 = 1 << 63;

/// `time.ParseDuration`: the duration in nanoseconds.
pub fn parse(text: &str) -> Result<i64, DurationError> {
    let mut s = text.as_bytes();
    let mut negative = false;
    if let Some(&c @ (b'-' | b'+')) = s.first() {
        negative = c == b'-';
        s = &s[1..];
    }
    if s == b"0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(DurationError::Invalid);
    }
    let mut total: u64 = 0;
    while !s.is_empty() {
        if !(s[0] == b'.' || s[0].is_ascii_digit()) {
            return Err(DurationError::Invalid);
        }
        let before = s.len();
        let (whole, rest) = leading_int(s).ok_or(DurationError::Overflow)?;
        s = rest;
        let pre = before != s.len();
        let (mut fraction, mut scale, mut post) = (0, 1.0, false);
        if s.first() == Some(&b'.') {
            s = &s[1..];
            let before = s.len();
            (fraction, scale, s) = leading_fraction(s);
            post = before != s.len();
        }
        if !pre && !post {
            return Err(DurationError::Invalid);
        }
        let unit_len = s
            .iter()
            .position(|c| *c == b'.' || c.is_ascii_digit())
            .unwrap_or(s.len());
        if unit_len == 0 {
            return Err(DurationError::MissingUnit);
        }
        let name = String::from_utf8_lossy(&s[..unit_len]).into_owned();
        s = &s[unit_len..];
        let per = unit(&name).ok_or(DurationError::UnknownUnit(name))?;
        if whole > LIMIT / per {
            return Err(DurationError::Overflow);
        }
        let mut value = whole * per;
        if fraction > 0 {
            // As Go: float64, nanosecond-accurate for fractions of the largest unit.
            value += (fraction as f64 * (per as f64 / scale)) as u64;
            if value > LIMIT {
                return Err(DurationError::Overflow);
            }
        }
        total += value;
        if total > LIMIT {
            return Err(DurationError::Overflow);
        }
    }
    if negative {
        return Ok((total as i64).wrapping_neg());
    }
    i64::try_from(total).map_err(|_| DurationError::Overflow)
}

/// Go's `leadingInt`: the leading digits, or `None` past 2^63.
fn leading_int(s: &[u8]) -> Option<(u64, &[u8])> {
    let digits = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let mut x: u64 = 0;
    for c in &s[..digits] {
        if x > LIMIT / 10 {
            return None;
        }
        x = x * 10 + u64::from(c - b'0');
        if x > LIMIT {
            return None;
        }
    }
    Some((x, &s[digits..]))
}

/// Go's `leadingFraction`: the leading digits as a fraction `x / scale`; digits beyond
/// what fits are read and ignored.
fn leading_fraction(s: &[u8]) -> (u64, f64, &[u8]) {
    let digits = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let (mut x, mut scale, mut overflow): (u64, f64, bool) = (0, 1.0, false);
    for c in &s[..digits] {
        if overflow {
            continue;
        }
        if x > (LIMIT - 1) / 10 {
            overflow = true;
            continue;
        }
        let y = x * 10 + u64::from(c - b'0');
        if y > LIMIT {
            overflow = true;
            continue;
        }
        x = y;
        scale *= 10.0;
    }
    (x, scale, &s[digits..])
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    #[test]
    fn go_reads_these() {
        let cases: &[(&str, i64)] = &[
            ("0", 0),
            ("+0", 0),
            ("-0", 0),
            ("30m", 30 * 60 * S),
            ("1h30m", 90 * 60 * S),
            ("1.5h", 90 * 60 * S),
            ("-1.5h", -90 * 60 * S),
            ("300ms", 300_000_000),
            ("1m1h", 61 * 60 * S),
            ("1s1s", 2 * S),
            (".5s", S / 2),
            ("5.s", 5 * S),
            ("1us", 1_000),
            ("1\u{b5}s", 1_000),
            ("1\u{3bc}s", 1_000),
            ("0.0000000001s", 0),
            ("2562047h47m16.854775807s", i64::MAX),
            ("9223372036854775807ns", i64::MAX),
            ("-2562047h47m16.854775808s", i64::MIN),
            ("-9223372036854775808ns", i64::MIN),
            ("1.00000000000000000000000000001s", S),
        ];
        for (text, want) in cases {
            assert_eq!(parse(text), Ok(*want), "{text}");
        }
    }

    #[test]
    fn go_refuses_these() {
        use DurationError::*;
        let cases: &[(&str, DurationError)] = &[
            ("", Invalid),
            ("+", Invalid),
            ("-", Invalid),
            (".s", Invalid),
            ("--1s", Invalid),
            (" 1s", Invalid),
            ("1", MissingUnit),
            ("30", MissingUnit),
            ("1h1", MissingUnit),
            ("1d", UnknownUnit("d".into())),
            ("1H", UnknownUnit("H".into())),
            ("1s ", UnknownUnit("s ".into())),
            ("1h 30m", UnknownUnit("h ".into())),
            ("1e3s", UnknownUnit("e".into())),
            ("thirty minutes", Invalid),
            ("2562047h47m16.854775808s", Overflow),
            ("2562048h", Overflow),
            ("9223372036854775808ns", Overflow),
            ("99999999999999999999ns", Overflow),
            ("-9223372036854775809ns", Overflow),
        ];
        for (text, want) in cases {
            assert_eq!(parse(text).as_ref(), Err(want), "{text}");
        }
    }
}
