//! Kubernetes resource quantities (`500m`, `4Gi`, `1e3`), read with the grammar of
//! apimachinery's `ParseQuantity`, and refused wherever the API server would refuse,
//! change or mishandle them, so that the value in the config is the value in the cluster.
//!
//! Kubernetes itself accepts more: `.`, `+` and `-` (all read as 0); values above 2^63-1,
//! which it silently caps (binary suffixes) or writes back wrongly (`1000E` becomes `1`);
//! digits finer than 10^-9, which it rounds up; and any exponent, which it truncates to 32
//! bits (`1e4294967296` is 1) and for which it can hang (`1e2147483648`). Each of these is
//! an error here. Whether a negative or a zero is allowed depends on the key (`Min`).

use std::fmt;

/// The largest quantity Kubernetes keeps as written: 2^63-1, just under `8Ei`.
const MAX_UNITS: i128 = i64::MAX as i128;
/// Steps of 10^-9, the finest Kubernetes keeps.
const NANOS_PER_UNIT: i128 = 1_000_000_000;
/// The decimal exponents (`1e3`, `5E-2`) accepted: every valid quantity can be written
/// within them, and Kubernetes reads all of them exactly and quickly.
pub const MAX_EXPONENT: i64 = 30;

/// A valid quantity, exactly: a whole number of 10^-9 steps, at most (2^63-1)·10^9.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantity {
    nanos: i128,
}

/// What a key allows below.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Min {
    /// 0 or more: resources, an emptyDir's size limit.
    Zero,
    /// More than 0: a claim's size.
    AboveZero,
}

/// Why a text is not a quantity this tool writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuantityError {
    /// Not in the grammar at all (`50GB`, `1 Gi`, `1.2.3`).
    Syntax,
    /// A sign or a point without a digit (`.`, `+`, `-.`), which Kubernetes reads as 0.
    NoDigits,
    /// Above 2^63-1.
    TooLarge,
    /// A non-zero digit finer than 10^-9.
    TooPrecise,
    /// A decimal exponent outside ±`MAX_EXPONENT`.
    Exponent,
    /// Negative, where the key wants 0 or more.
    Negative,
    /// Zero or negative, where the key wants more than 0.
    NotAboveZero,
}

impl fmt::Display for QuantityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            QuantityError::Syntax => "is not a Kubernetes quantity",
            QuantityError::NoDigits => "has no digits, and Kubernetes would read it as 0",
            QuantityError::TooLarge => {
                "is larger than 2^63-1 (just under 8Ei), the largest quantity Kubernetes keeps as written"
            }
            QuantityError::TooPrecise => {
                "is finer than 1n (10^-9), the smallest step Kubernetes keeps; it would round it up"
            }
            QuantityError::Exponent => "has an exponent Kubernetes reads wrongly or slowly",
            QuantityError::Negative => "is negative",
            QuantityError::NotAboveZero => "is not above zero",
        })
    }
}

impl QuantityError {
    /// What to write instead.
    pub fn hint(&self) -> String {
        match self {
            QuantityError::Syntax | QuantityError::NoDigits => {
                "use a number with an optional suffix such as 500m, 10Gi or 20G (not GB)".into()
            }
            QuantityError::TooLarge => "use a smaller value".into(),
            QuantityError::TooPrecise => "use at most nine decimal places, e.g. 500m or 1n".into(),
            QuantityError::Exponent => format!(
                "keep the exponent within -{MAX_EXPONENT} and {MAX_EXPONENT}, or use a suffix such as 10Gi or 500m"
            ),
            QuantityError::Negative => "Kubernetes refuses a negative value here; use 0 or more".into(),
            QuantityError::NotAboveZero => "Kubernetes refuses a claim without a size; use e.g. 10Gi".into(),
        }
    }
}

impl Quantity {
    pub fn is_negative(&self) -> bool {
        self.nanos < 0
    }

    /// Whether the key's lower bound allows it.
    pub fn at_least(self, min: Min) -> Result<Self, QuantityError> {
        match min {
            Min::Zero if self.nanos < 0 => Err(QuantityError::Negative),
            Min::AboveZero if self.nanos <= 0 => Err(QuantityError::NotAboveZero),
            _ => Ok(self),
        }
    }
}

/// The suffix's power of ten and power of 1024.
fn suffix(s: &str) -> Result<(i64, u32), QuantityError> {
    let decimal = match s {
        "" => 0,
        "n" => -9,
        "u" => -6,
        "m" => -3,
        "k" => 3,
        "M" => 6,
        "G" => 9,
        "T" => 12,
        "P" => 15,
        "E" => 18,
        "Ki" => return Ok((0, 1)),
        "Mi" => return Ok((0, 2)),
        "Gi" => return Ok((0, 3)),
        "Ti" => return Ok((0, 4)),
        "Pi" => return Ok((0, 5)),
        "Ei" => return Ok((0, 6)),
        e => {
            let digits = e.strip_prefix(['e', 'E']).ok_or(QuantityError::Syntax)?;
            let unsigned = digits.strip_prefix(['+', '-']).unwrap_or(digits);
            if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
                return Err(QuantityError::Syntax);
            }
            // Kubernetes truncates it to 32 bits; anything this far out is refused anyway.
            digits.parse::<i64>().map_err(|_| QuantityError::Exponent)?
        }
    };
    Ok((decimal, 0))
}

/// Reads a quantity as Kubernetes does, refusing what it would mishandle.
pub fn parse(s: &str) -> Result<Quantity, QuantityError> {
    let (negative, rest) = match s.as_bytes().first() {
        None => return Err(QuantityError::Syntax),
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let number_len = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (number, suffix_text) = rest.split_at(number_len);
    let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
    if frac_part.contains('.') || (number.is_empty() && !suffix_text.is_empty()) {
        return Err(QuantityError::Syntax);
    }
    let (exponent, binary) = suffix(suffix_text)?;
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(QuantityError::NoDigits);
    }
    let nanos = nanos(int_part, frac_part, exponent, binary)?;
    if exponent.abs() > MAX_EXPONENT {
        return Err(QuantityError::Exponent);
    }
    Ok(Quantity {
        nanos: if negative { -nanos } else { nanos },
    })
}

/// A valid, non-negative quantity `n` times, written with its own suffix (`12Gi` × 4 =
/// `48Gi`, `1.5` × 3 = `4.5`); `None` when the text is not such a quantity or the product
/// is too large.
pub fn times(text: &str, n: u32) -> Option<String> {
    let q = parse(text).ok()?;
    if q.is_negative() {
        return None;
    }
    let rest = text.strip_prefix('+').unwrap_or(text);
    let number_len = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (number, suffix_text) = rest.split_at(number_len);
    let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
    let digits: u128 = format!("{int_part}{frac_part}").parse().ok()?;
    let product = digits.checked_mul(u128::from(n))?.to_string();
    let width = frac_part.len();
    let padded = format!("{product:0>width$}", width = width + 1);
    let (whole, frac) = padded.split_at(padded.len() - width);
    let frac = frac.trim_end_matches('0');
    let written = if frac.is_empty() {
        format!("{whole}{suffix_text}")
    } else {
        format!("{whole}.{frac}{suffix_text}")
    };
    parse(&written).ok().map(|_| written)
}

/// The magnitude in steps of 10^-9: the digits times 10^exponent times 1024^binary.
fn nanos(
    int_part: &str,
    frac_part: &str,
    exponent: i64,
    binary: u32,
) -> Result<i128, QuantityError> {
    let digits = format!("{int_part}{frac_part}");
    let digits = digits.trim_start_matches('0');
    let significant = digits.trim_end_matches('0');
    if significant.is_empty() {
        return Ok(0);
    }
    // The power of ten of the last significant digit, plus 9 for the nano steps.
    let zeros = (digits.len() - significant.len()) as i64;
    let out_of_range = if exponent > 0 {
        QuantityError::TooLarge
    } else {
        QuantityError::TooPrecise
    };
    let shift = (zeros - frac_part.len() as i64)
        .checked_add(exponent)
        .and_then(|s| s.checked_add(9))
        .ok_or(out_of_range)?;
    if shift < 0 {
        return Err(QuantityError::TooPrecise);
    }
    // (2^63-1)·10^9 has 28 digits; more cannot fit.
    if significant.len() as i64 + shift > 28 {
        return Err(QuantityError::TooLarge);
    }
    significant
        .parse::<i128>()
        .ok()
        .and_then(|d| d.checked_mul(10i128.checked_pow(shift as u32)?))
        .and_then(|n| n.checked_mul(1024i128.checked_pow(binary)?))
        .filter(|n| *n <= MAX_UNITS * NANOS_PER_UNIT)
        .ok_or(QuantityError::TooLarge)
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNIT: i128 = NANOS_PER_UNIT;

    fn nanos(s: &str) -> i128 {
        parse(s).unwrap_or_else(|e| panic!("{s}: {e}")).nanos
    }

    #[test]
    fn the_grammar_kubernetes_reads() {
        assert_eq!(nanos("500m"), 500_000_000);
        assert_eq!(nanos("4Gi"), (4 << 30) * UNIT);
        assert_eq!(nanos("1e3"), 1000 * UNIT);
        assert_eq!(nanos("1E3"), 1000 * UNIT);
        assert_eq!(nanos("1e+3"), 1000 * UNIT);
        assert_eq!(nanos("5e-3"), 5_000_000);
        assert_eq!(nanos("1E"), 1_000_000_000_000_000_000 * UNIT);
        assert_eq!(nanos("2"), 2 * UNIT);
        assert_eq!(nanos("+1"), UNIT);
        assert_eq!(nanos("-1"), -UNIT);
        assert_eq!(nanos("1.G"), 1_000_000_000 * UNIT);
        assert_eq!(nanos("5."), 5 * UNIT);
        assert_eq!(nanos(".5"), 500_000_000);
        assert_eq!(nanos("00.5"), 500_000_000);
        assert_eq!(nanos("1.5Gi"), (1536 << 20) * UNIT);
        assert_eq!(nanos("1n"), 1);
        assert_eq!(nanos("1000e-12"), 1);
        assert_eq!(nanos("0"), 0);
        assert_eq!(nanos("-0"), 0);
        assert_eq!(nanos("0.000"), 0);
        assert_eq!(nanos("7Ei"), (7 << 60) * UNIT);
        assert_eq!(nanos("9223372036854775807"), MAX_UNITS * UNIT);
        assert_eq!(nanos("0.0000000000000000000000000000001e30"), UNIT / 10);
    }

    #[test]
    fn what_kubernetes_refuses_or_mishandles_is_refused() {
        use QuantityError::*;
        let cases = [
            ("50GB", Syntax),
            ("", Syntax),
            (" 1", Syntax),
            ("1 ", Syntax),
            ("1 Gi", Syntax),
            ("1.2.3", Syntax),
            ("1..", Syntax),
            ("1e3.5", Syntax),
            ("0x10", Syntax),
            ("1_000", Syntax),
            ("1ki", Syntax),
            ("1K", Syntax),
            ("1e", Syntax),
            ("1e+", Syntax),
            ("1ee3", Syntax),
            ("1Ki1", Syntax),
            ("++1", Syntax),
            ("--1", Syntax),
            ("Gi", Syntax),
            (".", NoDigits),
            ("+", NoDigits),
            ("-", NoDigits),
            ("-.", NoDigits),
            (".e3", NoDigits),
            (".Ki", NoDigits),
            ("8Ei", TooLarge),
            ("9999999999999999999999Ei", TooLarge),
            ("100000000000000000000Ki", TooLarge),
            ("9223372036854775808", TooLarge),
            ("1000E", TooLarge),
            ("-9999Ei", TooLarge),
            ("1e1000", TooLarge),
            ("1e2147483648", TooLarge),
            ("1e4294967296", TooLarge),
            ("1e9223372036854775807", TooLarge),
            ("1e9223372036854775808", Exponent),
            ("0.0000000001", TooPrecise),
            ("0.9n", TooPrecise),
            ("1e-10", TooPrecise),
            ("1e-2147483648", TooPrecise),
            ("1e-100000000", TooPrecise),
            ("0e31", Exponent),
            ("0.0000000000000000000000000000001e31", Exponent),
        ];
        for (text, want) in cases {
            assert_eq!(parse(text), Err(want), "{text}");
        }
    }

    #[test]
    fn the_lower_bound_is_the_key_s() {
        let q = |s| parse(s).unwrap();
        assert_eq!(q("0").at_least(Min::Zero), Ok(q("0")));
        assert_eq!(q("-1").at_least(Min::Zero), Err(QuantityError::Negative));
        assert_eq!(
            q("0").at_least(Min::AboveZero),
            Err(QuantityError::NotAboveZero)
        );
        assert_eq!(
            q("-0").at_least(Min::AboveZero),
            Err(QuantityError::NotAboveZero)
        );
        assert_eq!(q("1n").at_least(Min::AboveZero), Ok(q("1n")));
    }

    #[test]
    fn comparison_is_exact() {
        let q = |s| parse(s).unwrap();
        assert_eq!(q("700m"), q("0.7"));
        assert!(q("4398046511105") > q("4Ti"));
        assert!(q("1000000001n") > q("1"));
        assert!(q("1Gi") > q("1G"));
        assert_eq!(q("1e3"), q("1k"));
    }

    #[test]
    fn times_keeps_the_suffix_and_is_exact() {
        assert_eq!(times("12Gi", 4).as_deref(), Some("48Gi"));
        assert_eq!(times("4", 10).as_deref(), Some("40"));
        assert_eq!(times("1.5", 3).as_deref(), Some("4.5"));
        assert_eq!(times("0.25", 4).as_deref(), Some("1"));
        assert_eq!(times("500m", 3).as_deref(), Some("1500m"));
        assert_eq!(times("+2G", 2).as_deref(), Some("4G"));
        assert_eq!(times("-1", 2), None);
        assert_eq!(times("8Ei", 2), None);
    }
}
