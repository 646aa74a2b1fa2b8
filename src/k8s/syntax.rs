//! The string rules Kubernetes and container runtimes apply to names, labels, quantities,
//! image references and durations, so a bad value is refused here with its position in the
//! config instead of by the API server at `kubectl apply` time.

/// RFC 1123 label: what Kubernetes wants for most object names and namespaces.
pub fn is_dns1123_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// RFC 1123 subdomain: dot-separated labels, at most 253 characters.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns1123_label)
}

fn is_qualified_name_part(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric())
}

/// A label or annotation key: `[prefix/]name`, the prefix a DNS subdomain.
pub fn is_qualified_name(s: &str) -> bool {
    match s.split_once('/') {
        Some((prefix, name)) => is_dns1123_subdomain(prefix) && is_qualified_name_part(name),
        None => is_qualified_name_part(s),
    }
}

/// A label value: empty, or up to 63 alphanumerics with `-_.` inside.
pub fn is_label_value(s: &str) -> bool {
    s.is_empty() || is_qualified_name_part(s)
}

/// An environment variable name as Kubernetes accepts it.
pub fn is_env_var_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

/// A Kubernetes resource quantity (`500m`, `4Gi`, `1e3`), as a number for comparisons.
/// `None` for anything the API server would refuse, such as `50GB`.
pub fn parse_quantity(s: &str) -> Option<f64> {
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '+' | '-')))
        .unwrap_or(s.len());
    let (number, suffix) = s.split_at(split);
    let digits = number.strip_prefix(['+', '-']).unwrap_or(number);
    if digits.is_empty()
        || digits.matches('.').count() > 1
        || digits == "."
        || digits.contains(['+', '-'])
    {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    let factor = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        exp if exp.starts_with(['e', 'E']) => {
            let e = &exp[1..];
            let unsigned = e.strip_prefix(['+', '-']).unwrap_or(e);
            if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            10f64.powi(e.parse().ok()?)
        }
        _ => return None,
    };
    Some(value * factor)
}

/// A quantity as an exact decimal: `mantissa × 10^exponent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exact {
    mantissa: i128,
    exponent: i32,
}

/// Parses a quantity exactly, so `700m` equals `0.7` and one byte over `4Ti` is over it.
pub fn exact_quantity(s: &str) -> Option<Exact> {
    parse_quantity(s)?;
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '+' | '-')))
        .unwrap_or(s.len());
    let (number, suffix) = s.split_at(split);
    let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
    let digits = format!("{int_part}{frac_part}");
    let mut mantissa: i128 = digits.parse().ok()?;
    let mut exponent = -(frac_part.len() as i32);
    let binary = |n: u32| 1024i128.checked_pow(n);
    match suffix {
        "" => {}
        "n" => exponent -= 9,
        "u" => exponent -= 6,
        "m" => exponent -= 3,
        "k" => exponent += 3,
        "M" => exponent += 6,
        "G" => exponent += 9,
        "T" => exponent += 12,
        "P" => exponent += 15,
        "E" => exponent += 18,
        "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" => {
            let power = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
                .iter()
                .position(|x| *x == suffix)? as u32
                + 1;
            mantissa = mantissa.checked_mul(binary(power)?)?;
        }
        exp => exponent += exp[1..].parse::<i32>().ok()?,
    }
    Some(Exact { mantissa, exponent })
}

/// Compares two exact quantities; `None` when aligning them would overflow.
pub fn compare_exact(a: Exact, b: Exact) -> Option<std::cmp::Ordering> {
    let (high, low, flipped) = if a.exponent >= b.exponent {
        (a, b, false)
    } else {
        (b, a, true)
    };
    let shift = u32::try_from(high.exponent - low.exponent).ok()?;
    let scaled = high.mantissa.checked_mul(10i128.checked_pow(shift)?)?;
    let ordering = scaled.cmp(&low.mantissa);
    Some(if flipped {
        ordering.reverse()
    } else {
        ordering
    })
}

/// A Go duration such as `30m` or `1h30m`, as the executor parses `EXECUTOR_MAXIMUM_RUNTIME_PER_JOB`.
pub fn is_go_duration(s: &str) -> bool {
    let mut rest = s;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if number_len == 0 || rest[..number_len].parse::<f64>().is_err() {
            return false;
        }
        rest = &rest[number_len..];
        let unit = ["ns", "us", "µs", "ms", "s", "m", "h"]
            .iter()
            .filter(|u| rest.starts_with(**u))
            .max_by_key(|u| u.len());
        match unit {
            Some(u) => rest = &rest[u.len()..],
            None => return false,
        }
    }
    true
}

/// A container image reference: `[host[:port]/]path[:tag][@sha256:<64 hex>]`.
pub fn is_image_reference(s: &str) -> bool {
    let (name_tag, digest) = match s.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (s, None),
    };
    if let Some(d) = digest {
        let ok = d.strip_prefix("sha256:").is_some_and(|h| {
            h.len() == 64
                && h.bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        });
        if !ok {
            return false;
        }
    }
    // The tag is after the last ':' that follows the last '/'.
    let last_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match name_tag[last_slash..].rfind(':') {
        Some(i) => (
            &name_tag[..last_slash + i],
            Some(&name_tag[last_slash + i + 1..]),
        ),
        None => (name_tag, None),
    };
    if let Some(tag) = tag {
        let ok = !tag.is_empty()
            && tag.len() <= 128
            && tag
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
            && !tag.starts_with(['.', '-']);
        if !ok {
            return false;
        }
    }
    let mut parts: Vec<&str> = name.split('/').collect();
    if parts.len() > 1 && (parts[0].contains(['.', ':']) || parts[0] == "localhost") {
        let host = parts.remove(0);
        let (host, port) = match host.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host, None),
        };
        let host_ok = !host.is_empty()
            && host.split('.').all(|l| {
                !l.is_empty()
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            });
        let port_ok = port
            .is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
        if !host_ok || !port_ok {
            return false;
        }
    }
    !parts.is_empty() && parts.iter().all(|c| is_path_component(c))
}

fn is_path_component(c: &str) -> bool {
    // [a-z0-9]+ separated by `.`, `_`, `__` or runs of `-`.
    if c.is_empty()
        || !c.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
    {
        return false;
    }
    let starts_and_ends_alnum = c.starts_with(|ch: char| ch.is_ascii_alphanumeric())
        && c.ends_with(|ch: char| ch.is_ascii_alphanumeric());
    starts_and_ends_alnum
        && !c.contains("..")
        && !c.contains("___")
        && !c.contains("._")
        && !c.contains("_.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        assert_eq!(parse_quantity("500m"), Some(0.5));
        assert_eq!(parse_quantity("4Gi"), Some(4.0 * 1024f64.powi(3)));
        assert_eq!(parse_quantity("1e3"), Some(1000.0));
        assert_eq!(parse_quantity("2"), Some(2.0));
        for bad in ["50GB", "", "Gi", "1.2.3", "--1", "1 Gi", "1e"] {
            assert_eq!(parse_quantity(bad), None, "{bad}");
        }
    }

    #[test]
    fn exact_comparison_has_no_rounding() {
        let cmp = |a: &str, b: &str| {
            compare_exact(exact_quantity(a).unwrap(), exact_quantity(b).unwrap())
        };
        use std::cmp::Ordering::*;
        assert_eq!(cmp("700m", "0.7"), Some(Equal));
        assert_eq!(cmp("4398046511105", "4Ti"), Some(Greater));
        assert_eq!(cmp("1000000001n", "1"), Some(Greater));
        assert_eq!(cmp("1Gi", "1G"), Some(Greater));
        assert_eq!(cmp("1e3", "1k"), Some(Equal));
    }

    #[test]
    fn names_and_labels() {
        assert!(is_dns1123_label("codeintel"));
        assert!(!is_dns1123_label("Code_Intel"));
        assert!(!is_dns1123_label("-x"));
        assert!(is_qualified_name("app.kubernetes.io/name"));
        assert!(!is_qualified_name("bad key"));
        assert!(is_label_value(""));
        assert!(!is_label_value("has space"));
        assert!(!is_label_value(&"a".repeat(64)));
    }

    #[test]
    fn durations() {
        assert!(is_go_duration("30m"));
        assert!(is_go_duration("1h30m"));
        assert!(is_go_duration("1.5h"));
        assert!(!is_go_duration("30"));
        assert!(!is_go_duration("thirty minutes"));
    }

    #[test]
    fn images() {
        assert!(is_image_reference("index.docker.io/sourcegraph/executor:6.2.1106@sha256:1363cce32f2002594cad461380b223670e17de1f4466edee956a3404c7bbd172"));
        assert!(is_image_reference("registry:3"));
        assert!(is_image_reference("localhost:5000/a/b"));
        assert!(!is_image_reference("Sourcegraph/Executor"));
        assert!(!is_image_reference("a:b:c"));
        assert!(!is_image_reference("a@sha256:xyz"));
        assert!(!is_image_reference("exec utor:1"));
    }
}
