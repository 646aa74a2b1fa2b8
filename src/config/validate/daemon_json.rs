//! daemon.json as dockerd reads it before it starts: every directive must be one dockerd
//! knows, of the type it decodes, with the value its checks accept; otherwise dockerd exits
//! at start and the executor never runs a job, while `render` would have said nothing.
//!
//! The rules are dockerd's own (moby's `daemon/config`, `cmd/dockerd`, `registry`), for the
//! versions an executor's dind image may carry, 25 to 29: a directive is refused only when
//! none of them knows it, and a value only when all of them refuse it. As dockerd does, a
//! mapping under a name it does not keep whole (`proxies`) stands for its own keys.

use super::Checker;
use crate::config::source::Segment;
use crate::diagnostic::did_you_mean;
use serde_json::{Map, Value};

/// How dockerd decodes a directive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    Int,
    Str,
    /// A list of strings.
    Strs,
    /// An IP address, as a string.
    Ip,
    /// A list of IP addresses.
    Ips,
    /// A mapping of strings to strings (`log-opts`).
    StrMap,
    /// A mapping of names to booleans (`features`).
    BoolMap,
    /// A mapping dockerd reads whole into a structure of its own.
    Object,
    /// A list of mappings (`default-address-pools`).
    Objects,
    /// A size such as `64M`, as a string (`default-shm-size`).
    Size,
    /// A flag's own name, which dockerd accepts in the file and then ignores.
    FlagOnly,
}

use Kind::*;

/// Every directive dockerd 25 to 29 accepts in daemon.json, with how it is decoded: the
/// daemon's flags by their long names (a flag that the file names otherwise is `FlagOnly`),
/// the names of the list and map flags (`registry-mirrors` for `--registry-mirror`), and
/// the keys dockerd lets through without a flag.
const DIRECTIVES: &[(&str, Kind)] = &[
    ("add-runtime", FlagOnly),
    ("allow-direct-routing", Bool),
    ("allow-nondistributable-artifacts", Strs),
    ("api-cors-header", Str),
    ("authorization-plugin", FlagOnly),
    ("authorization-plugins", Strs),
    ("bip", Str),
    ("bip6", Str),
    ("bridge", Str),
    ("bridge-accept-fwmark", Str),
    ("builder", Object),
    ("cdi-spec-dir", FlagOnly),
    ("cdi-spec-dirs", Strs),
    ("cgroup-parent", Str),
    ("config-file", FlagOnly),
    ("containerd", Str),
    ("containerd-namespace", Str),
    ("containerd-plugins-namespace", Str),
    ("cpu-rt-period", Int),
    ("cpu-rt-runtime", Int),
    ("cri-containerd", Bool),
    ("data-root", Str),
    ("debug", Bool),
    ("default-address-pool", FlagOnly),
    ("default-address-pools", Objects),
    ("default-cgroupns-mode", Str),
    ("default-gateway", Ip),
    ("default-gateway-v6", Ip),
    ("default-ipc-mode", Str),
    ("default-network-opt", FlagOnly),
    ("default-network-opts", Object),
    ("default-runtime", Str),
    ("default-shm-size", Size),
    ("default-stop-timeout", Int),
    ("default-ulimit", FlagOnly),
    ("default-ulimits", Object),
    ("deprecated-key-path", FlagOnly),
    ("dns", Ips),
    ("dns-opt", FlagOnly),
    ("dns-opts", Strs),
    ("dns-search", Strs),
    ("exec-opt", FlagOnly),
    ("exec-opts", Strs),
    ("exec-root", Str),
    ("experimental", Bool),
    ("feature", FlagOnly),
    ("features", BoolMap),
    ("firewall-backend", Str),
    ("fixed-cidr", Str),
    ("fixed-cidr-v6", Str),
    ("group", Str),
    ("host", FlagOnly),
    ("host-gateway-ip", Ip),
    ("host-gateway-ips", Ips),
    ("hosts", Strs),
    ("http-proxy", Str),
    ("https-proxy", Str),
    ("icc", Bool),
    ("init", Bool),
    ("init-path", Str),
    ("insecure-registries", Strs),
    ("insecure-registry", FlagOnly),
    ("ip", Ip),
    ("ip-forward", Bool),
    ("ip-forward-no-drop", Bool),
    ("ip-masq", Bool),
    ("ip6tables", Bool),
    ("iptables", Bool),
    ("ipv6", Bool),
    ("label", FlagOnly),
    ("labels", Strs),
    ("live-restore", Bool),
    ("log-driver", Str),
    ("log-format", Str),
    ("log-level", Str),
    ("log-opt", FlagOnly),
    ("log-opts", StrMap),
    ("max-concurrent-downloads", Int),
    ("max-concurrent-uploads", Int),
    ("max-download-attempts", Int),
    ("metrics-addr", Str),
    ("min-api-version", Str),
    ("mtu", Int),
    ("network-control-plane-mtu", Int),
    ("network-diagnostic-port", Int),
    ("no-new-privileges", Bool),
    ("no-proxy", Str),
    ("node-generic-resource", FlagOnly),
    ("node-generic-resources", Strs),
    ("nri-opts", Object),
    ("oom-score-adjust", Int),
    ("pidfile", Str),
    ("raw-logs", Bool),
    ("registry-mirror", FlagOnly),
    ("registry-mirrors", Strs),
    ("restart", FlagOnly),
    ("rootless", Bool),
    ("runtimes", Object),
    ("seccomp-profile", Str),
    ("selinux-enabled", Bool),
    ("shutdown-timeout", Int),
    ("storage-driver", Str),
    ("storage-opt", FlagOnly),
    ("storage-opts", Strs),
    ("swarm-default-advertise-addr", Str),
    ("tls", Bool),
    ("tlscacert", Str),
    ("tlscert", Str),
    ("tlskey", Str),
    ("tlsverify", Bool),
    ("userland-proxy", Bool),
    ("userland-proxy-path", Str),
    ("userns-remap", Str),
    ("validate", FlagOnly),
    ("version", FlagOnly),
];

/// Mappings dockerd reads whole; any other mapping stands for its own keys.
const WHOLE: [&str; 8] = [
    "builder",
    "cluster-store-opts",
    "default-network-opts",
    "default-ulimits",
    "features",
    "log-opts",
    "nri-opts",
    "runtimes",
];

fn kind(name: &str) -> Option<Kind> {
    DIRECTIVES
        .binary_search_by(|(n, _)| n.cmp(&name))
        .ok()
        .map(|i| DIRECTIVES[i].1)
}

/// The directives of a daemon.json as dockerd sees them: a mapping it does not read whole
/// (`proxies: {http-proxy: …}`) stands for its keys. Each with its value and the keys that
/// lead to it.
pub(super) fn directives(daemon: &Map<String, Value>) -> Vec<(Vec<String>, &Value)> {
    let mut out = Vec::new();
    for (key, value) in daemon {
        match value {
            Value::Object(inner) if !WHOLE.contains(&key.as_str()) => {
                out.extend(inner.iter().map(|(k, v)| (vec![key.clone(), k.clone()], v)));
            }
            _ => out.push((vec![key.clone()], value)),
        }
    }
    out
}

/// Where a daemon.json key stands in the file: in `dind.gVisor.daemonConfig` when gVisor
/// sets it there, else in `dind.daemonConfig` (or where that would be).
pub(super) fn key_path(keys: &[String], gvisor: bool, checker: &Checker<'_>) -> Vec<Segment> {
    let under = |section: Vec<Segment>| {
        let mut p = section;
        p.extend(keys.iter().map(|k| Segment::from(k.as_str())));
        p
    };
    let in_gvisor = under(path!["dind", "gVisor", "daemonConfig"]);
    if gvisor && checker.has(&in_gvisor) {
        in_gvisor
    } else {
        under(path!["dind", "daemonConfig"])
    }
}

/// Refuses what dockerd would refuse to start with; warns about a flag's name, which dockerd
/// accepts in the file and then ignores.
pub(super) fn check(daemon: &Value, gvisor: bool, checker: &mut Checker<'_>) {
    let Some(map) = daemon.as_object() else {
        return;
    };
    let known: Vec<&str> = DIRECTIVES.iter().map(|(n, _)| *n).collect();
    for (keys, value) in directives(map) {
        let name = keys.last().map(String::as_str).unwrap_or_default();
        let at = key_path(&keys, gvisor, checker);
        let Some(kind) = kind(name) else {
            let hint = match did_you_mean(name, known.iter().copied()) {
                Some(near) => format!("did you mean `{near}`? Remove it, or write a directive dockerd knows (docs.docker.com/reference/cli/dockerd)"),
                None => "remove it, or write a directive dockerd knows (docs.docker.com/reference/cli/dockerd)".into(),
            };
            checker.error_key(
                &at,
                format!("dockerd does not know the directive `{name}` and would not start"),
                hint,
            );
            continue;
        };
        // A nested key is decoded only where dockerd keeps the mapping (`proxies`).
        if keys.len() > 1 && keys[0] != "proxies" {
            continue;
        }
        if kind == FlagOnly {
            checker.warn(
                &at,
                format!("dockerd accepts `{name}` (a flag's name) in daemon.json and ignores it"),
                match named(name) {
                    Some(key) => format!("write `{key}` instead"),
                    None => "remove it".into(),
                },
            );
            continue;
        }
        if let Err(expected) = fits(kind, value) {
            checker.error(
                &at,
                format!(
                    "dockerd reads `{name}` as {expected} and would not start with {}",
                    shown(value)
                ),
                format!("write {expected}"),
            );
            continue;
        }
        if let Err((index, why)) = valid(name, value) {
            let mut at = at;
            if let Some(i) = index {
                at.push(Segment::Index(i));
            }
            checker.error(&at, format!("dockerd would not start: {why}"), fix(name));
        }
    }
    for (old, new) in [("host-gateway-ip", "host-gateway-ips")] {
        if map.contains_key(old) && map.contains_key(new) {
            checker.error(
                &key_path(&[old.to_string()], gvisor, checker),
                format!("dockerd refuses `{old}` and `{new}` together and would not start"),
                format!("keep `{new}` only"),
            );
        }
    }
}

/// The file's name for a list or map flag: `registry-mirrors` for `registry-mirror`.
pub(super) fn named(flag: &str) -> Option<&'static str> {
    Some(match flag {
        "host" => "hosts",
        "registry-mirror" => "registry-mirrors",
        "insecure-registry" => "insecure-registries",
        "label" => "labels",
        "storage-opt" => "storage-opts",
        "exec-opt" => "exec-opts",
        "log-opt" => "log-opts",
        "dns-opt" => "dns-opts",
        "authorization-plugin" => "authorization-plugins",
        "default-ulimit" => "default-ulimits",
        "default-address-pool" => "default-address-pools",
        "default-network-opt" => "default-network-opts",
        "node-generic-resource" => "node-generic-resources",
        "cdi-spec-dir" => "cdi-spec-dirs",
        "feature" => "features",
        "add-runtime" => "runtimes",
        "host-gateway-ip" => "host-gateway-ips",
        _ => return None,
    })
}

/// Whether a value has the type dockerd decodes; else what it expects.
fn fits(kind: Kind, value: &Value) -> Result<(), &'static str> {
    let strings = |v: &Value| v.as_array().is_some_and(|a| a.iter().all(Value::is_string));
    let ok = match kind {
        Bool => value.is_boolean(),
        Int => value.is_i64() || value.is_u64(),
        Str | Ip | Size => value.is_string(),
        Strs | Ips => strings(value),
        StrMap => value
            .as_object()
            .is_some_and(|m| m.values().all(Value::is_string)),
        BoolMap => value
            .as_object()
            .is_some_and(|m| m.values().all(Value::is_boolean)),
        Object => value.is_object(),
        Objects => value
            .as_array()
            .is_some_and(|a| a.iter().all(Value::is_object)),
        FlagOnly => true,
    };
    ok.then_some(()).ok_or(match kind {
        Bool => "true or false",
        Int => "a whole number",
        Str | Ip => "a string",
        Size => "a size in a string, such as \"64M\"",
        Strs | Ips => "a list of strings",
        StrMap => "a mapping of strings (quote numbers and booleans)",
        BoolMap => "a mapping of names to true or false",
        Object => "a mapping",
        Objects => "a list of mappings",
        FlagOnly => "anything",
    })
}

fn shown(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("`{}…`", &text[..cut]),
        None => format!("`{text}`"),
    }
}

/// What to do about a value dockerd refuses.
fn fix(name: &str) -> String {
    match name {
        "registry-mirrors" => "write each mirror as http://HOST[:PORT] or https://HOST[:PORT], without quotes, credentials, query or fragment".into(),
        "insecure-registries" => "write each as HOST[:PORT] or a CIDR such as 10.0.0.0/8, without a scheme".into(),
        "labels" => "write each label as key=value, outside com.docker.*, io.docker.* and org.dockerproject.*".into(),
        "exec-opts" => "write each option as name=value".into(),
        "log-level" => "use debug, info, warn, error, fatal, panic or trace".into(),
        "log-format" => "use text or json".into(),
        _ => format!("correct `{name}` in dind.daemonConfig, or remove it"),
    }
}

/// dockerd's checks of a value of the right type: the index of the entry at fault (in a
/// list) and why.
fn valid(name: &str, value: &Value) -> Result<(), (Option<usize>, String)> {
    let each = |check: &dyn Fn(&str) -> Result<(), String>| -> Result<(), (Option<usize>, String)> {
        for (i, v) in value.as_array().into_iter().flatten().enumerate() {
            check(v.as_str().unwrap_or_default()).map_err(|why| (Some(i), why))?;
        }
        Ok(())
    };
    let one = |check: &dyn Fn(&str) -> Result<(), String>| {
        check(value.as_str().unwrap_or_default()).map_err(|why| (None, why))
    };
    let non_negative = || match value.as_i64() {
        Some(n) if n < 0 => Err((None, format!("`{name}` is {n}, below zero"))),
        _ => Ok(()),
    };
    match name {
        "registry-mirrors" => each(&mirror),
        "insecure-registries" => each(&insecure_registry),
        "labels" => each(&label),
        "exec-opts" => each(&|o| {
            let (k, v) = o.split_once('=').unwrap_or((o, ""));
            if k.trim().is_empty() || v.trim().is_empty() {
                Err(format!("the exec-opt `{o}` is not name=value"))
            } else {
                Ok(())
            }
        }),
        "dns" | "host-gateway-ips" => each(&ip),
        "ip" | "default-gateway" | "default-gateway-v6" | "host-gateway-ip" => one(&ip),
        "default-shm-size" => one(&|s| {
            size(s)
                .then_some(())
                .ok_or_else(|| format!("`{s}` is not a size such as 64M or 1g"))
        }),
        "log-level" => one(&|l| {
            let known = [
                "panic", "fatal", "error", "warn", "warning", "info", "debug", "trace",
            ];
            known
                .contains(&l.to_lowercase().as_str())
                .then_some(())
                .ok_or_else(|| format!("`{l}` is not a log level"))
        }),
        "log-format" => one(&|f| {
            ["text", "json"]
                .contains(&f)
                .then_some(())
                .ok_or_else(|| format!("`{f}` is not a log format"))
        }),
        "mtu"
        | "max-concurrent-downloads"
        | "max-concurrent-uploads"
        | "max-download-attempts"
        | "default-stop-timeout" => non_negative(),
        "network-diagnostic-port" => match value.as_i64() {
            Some(p) if !(0..=65535).contains(&p) => {
                Err((None, format!("the port {p} is not between 0 and 65535")))
            }
            _ => Ok(()),
        },
        _ => Ok(()),
    }
}

/// A registry mirror as dockerd's `ValidateMirror` and Go's `url.Parse` read it, and as a
/// name it could ever reach: no characters a host name cannot hold.
fn mirror(url: &str) -> Result<(), String> {
    let Some((scheme, rest)) = url.split_once("://").filter(|(s, _)| !s.is_empty()) else {
        return Err(format!("the mirror `{url}` has no scheme"));
    };
    let scheme_ok = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if !scheme_ok {
        return Err(format!("the mirror `{url}` is not a URL"));
    }
    if scheme != "http" && scheme != "https" {
        return Err(format!(
            "the mirror `{url}` is neither http:// nor https://"
        ));
    }
    if url.contains(['?', '#']) {
        return Err(format!("the mirror `{url}` has a query or fragment"));
    }
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.contains('@') {
        return Err(format!("the mirror `{url}` holds credentials"));
    }
    host_port(authority).map_err(|why| format!("the mirror `{url}`: {why}"))
}

/// `host[:port]`, `[ipv6][:port]`: a host name, an IP address; a port of digits.
fn host_port(authority: &str) -> Result<(), String> {
    let (host, port) = match authority.strip_prefix('[') {
        Some(rest) => {
            let (ip6, after) = rest.split_once(']').ok_or("an unclosed `[`")?;
            if ip6.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(format!("`{ip6}` is not an IPv6 address"));
            }
            (None, after.strip_prefix(':'))
        }
        None => match authority.rsplit_once(':') {
            Some((h, p)) => (Some(h), Some(p)),
            None => (Some(authority), None),
        },
    };
    if let Some(port) = port {
        if port.is_empty()
            || !port.chars().all(|c| c.is_ascii_digit())
            || port.parse::<u16>().is_err()
        {
            return Err(format!("`{port}` is not a port"));
        }
    }
    match host {
        Some(h) if !is_host_name(h) => Err(format!("`{h}` is not a host name")),
        _ => Ok(()),
    }
}

/// Labels of letters, digits and `-` (not at either end), or `_`, joined by dots.
fn is_host_name(host: &str) -> bool {
    !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// An insecure registry as dockerd's `loadInsecureRegistries` reads it.
fn insecure_registry(entry: &str) -> Result<(), String> {
    if entry.starts_with('-') || entry.ends_with('-') {
        return Err(format!(
            "the insecure registry `{entry}` begins or ends with a hyphen"
        ));
    }
    let bare = match entry.split_once("://") {
        Some((scheme, host))
            if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") =>
        {
            host
        }
        Some(_) => {
            return Err(format!(
                "the insecure registry `{entry}` has a scheme other than http or https"
            ))
        }
        None => entry,
    };
    if let Some((ip, bits)) = bare.split_once('/') {
        let max = match ip.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V4(_)) => 32,
            Ok(std::net::IpAddr::V6(_)) => 128,
            Err(_) => {
                return Err(format!(
                    "the insecure registry `{entry}` is not a host or a CIDR"
                ))
            }
        };
        return match bits.parse::<u8>() {
            Ok(b) if b <= max => Ok(()),
            _ => Err(format!("the insecure registry `{entry}` is not a CIDR")),
        };
    }
    if bare.parse::<std::net::IpAddr>().is_ok() {
        return Ok(());
    }
    host_port(bare).map_err(|why| format!("the insecure registry `{entry}`: {why}"))
}

fn label(l: &str) -> Result<(), String> {
    if !l.contains('=') {
        return Err(format!("the label `{l}` is not key=value"));
    }
    let lower = l.to_lowercase();
    if ["com.docker.", "io.docker.", "org.dockerproject."]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        return Err(format!(
            "the label `{l}` is in a namespace dockerd reserves"
        ));
    }
    Ok(())
}

fn ip(text: &str) -> Result<(), String> {
    text.parse::<std::net::IpAddr>()
        .map(|_| ())
        .map_err(|_| format!("`{text}` is not an IP address"))
}

/// A size as `units.RAMInBytes` reads it: a number, an optional space, then k, m, g, t or p
/// with an optional `i` and `b`, or a bare `b`.
fn size(text: &str) -> bool {
    let digits_end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits_end);
    let number_ok = !number.is_empty()
        && number
            .split('.')
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit()));
    let unit = unit.strip_prefix(' ').unwrap_or(unit).to_ascii_lowercase();
    let unit = unit.strip_suffix('b').unwrap_or(&unit);
    let unit = unit.strip_suffix('i').unwrap_or(unit);
    number_ok && matches!(unit, "" | "k" | "m" | "g" | "t" | "p")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_directives_are_sorted_for_lookup() {
        assert!(DIRECTIVES.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn mirrors_are_read_as_dockerd_reads_them() {
        for ok in [
            "http://executor-registry:5000",
            "https://mirror.gcr.io",
            "https://mirror.gcr.io/",
            "http://10.0.0.1:5000",
            "http://[::1]:5000",
            "https://mirror.example.com/v2/proxy",
        ] {
            assert_eq!(mirror(ok), Ok(()), "{ok}");
        }
        for bad in [
            "mirror.gcr.io",
            "\"http://x:5000\"",
            "http://\"x\":5000",
            "ftp://x",
            "http://x:5000?q",
            "http://u:p@x:5000",
            "http://x:port",
            "http://",
            "http://x y",
        ] {
            assert!(mirror(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn insecure_registries_are_hosts_or_cidrs() {
        for ok in [
            "executor-registry:5000",
            "10.0.0.0/8",
            "10.1.2.3",
            "http://x:5000",
            "[::1]:5000",
        ] {
            assert_eq!(insecure_registry(ok), Ok(()), "{ok}");
        }
        for bad in ["-x", "ftp://x", "10.0.0.0/40", "x y:5000", "\"x\":5000"] {
            assert!(insecure_registry(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes_are_read_as_ram_in_bytes() {
        for ok in ["64M", "1g", "1.5GiB", "100", "2 kb"] {
            assert!(size(ok), "{ok}");
        }
        for bad in ["", "M", "1x", "-1m", "1..2m"] {
            assert!(!size(bad), "{bad}");
        }
    }

    #[test]
    fn a_mapping_dockerd_does_not_keep_whole_stands_for_its_keys() {
        let daemon = serde_json::json!({"proxies": {"http-proxy": "x"}, "features": {"a": true}});
        let keys: Vec<Vec<String>> = directives(daemon.as_object().unwrap())
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            keys,
            vec![
                vec!["features".to_string()],
                vec!["proxies".into(), "http-proxy".into()]
            ]
        );
    }
}
