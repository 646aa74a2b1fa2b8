//! dockerd's command line as dockerd reads it (spf13/pflag), and the words of a shell script
//! that runs it, so `dind.command` cannot set what daemon.json must own: where dockerd
//! listens, and which daemon.json it reads.
//!
//! pflag reads `-D -v -h -r` as booleans and `-H -l -p -G -s -b` as taking a value, from the
//! rest of the word (`-Htcp://x`, `-H=x`) or else from the next argument, whatever it looks
//! like (`-p -H` sets the pidfile to `-H`); short flags combine (`-DH tcp://x` is debug plus a
//! host); long flags are `--name=value` or `--name value`; `--` ends the flags. A shell
//! script is split into words the way a shell would before running it (quotes removed,
//! split at blanks and operators); what it computes at run time stays unseen.

/// A flag found on a command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Flag {
    /// The index of the argument (or word) that holds it.
    pub at: usize,
    /// Its long name: `host` for `-H`.
    pub name: String,
    /// As written, with its value when that is the next argument: `-DH tcp://x`.
    pub written: String,
}

/// dockerd's one-letter flags: the long name, and whether it takes a value.
fn short(c: char) -> Option<(&'static str, bool)> {
    Some(match c {
        'D' => ("debug", false),
        'v' => ("version", false),
        'h' => ("help", false),
        'r' => ("restart", false),
        'H' => ("host", true),
        'l' => ("log-level", true),
        'p' => ("pidfile", true),
        'G' => ("group", true),
        's' => ("storage-driver", true),
        'b' => ("bridge", true),
        _ => return None,
    })
}

/// dockerd's boolean long flags, which never take the next argument as their value.
const BOOLEAN: &[&str] = &[
    "debug",
    "version",
    "help",
    "restart",
    "tls",
    "tlsverify",
    "iptables",
    "ip6tables",
    "ip-forward",
    "ip-masq",
    "icc",
    "ipv6",
    "experimental",
    "live-restore",
    "selinux-enabled",
    "userland-proxy",
    "no-new-privileges",
    "raw-logs",
    "init",
    "validate",
    "rootless",
];

/// dockerd's long flags that take a value, even one that starts with `-`.
const VALUED: &[&str] = &[
    "host",
    "config-file",
    "log-level",
    "pidfile",
    "group",
    "storage-driver",
    "bridge",
    "mtu",
    "data-root",
    "exec-root",
    "registry-mirror",
    "insecure-registry",
    "label",
    "dns",
    "bip",
    "tlscacert",
    "tlscert",
    "tlskey",
    "log-driver",
    "log-opt",
    "storage-opt",
    "exec-opt",
    "default-runtime",
    "add-runtime",
];

/// The flags in `args` (a command line without its program), as pflag parses them: `--`
/// ends them, and a later `dockerd` argument starts them again (`tini -- dockerd -H x`).
/// Unknown flags are passed over, where pflag would stop dockerd, since a wrapper's own
/// flags may come first; an unknown long flag takes the next argument as its value only
/// when that does not look like a flag.
pub(super) fn flags(args: &[&str]) -> Vec<Flag> {
    let mut out = Vec::new();
    let mut active = true;
    let mut i = 0;
    while i < args.len() {
        let arg = args[i];
        let next = args.get(i + 1).copied();
        i += 1;
        if !active || arg == "--" || !arg.starts_with('-') || arg == "-" {
            active = (active && arg != "--") || basename(arg) == "dockerd";
            continue;
        }
        let taken = match arg.strip_prefix("--") {
            Some(long) => long_flag(long, next, i - 1, &mut out),
            None => short_flags(&arg[1..], next, i - 1, &mut out),
        };
        if taken {
            i += 1;
        }
    }
    out
}

/// `--name=value` or `--name [value]`; whether it took the next argument.
fn long_flag(long: &str, next: Option<&str>, at: usize, out: &mut Vec<Flag>) -> bool {
    let (name, inline) = match long.split_once('=') {
        Some((name, value)) => (name, Some(value)),
        None => (long, None),
    };
    if name.is_empty() || name.starts_with('-') {
        return false;
    }
    let takes_next = inline.is_none()
        && !BOOLEAN.contains(&name)
        && next.is_some_and(|n| VALUED.contains(&name) || !n.starts_with('-'));
    let written = match (takes_next, next) {
        (true, Some(value)) => format!("--{long} {value}"),
        _ => format!("--{long}"),
    };
    out.push(Flag {
        at,
        name: name.to_string(),
        written,
    });
    takes_next
}

/// A cluster of one-letter flags (`DH`, `Htcp://x`, `H=x`); whether it took the next
/// argument.
fn short_flags(cluster: &str, next: Option<&str>, at: usize, out: &mut Vec<Flag>) -> bool {
    let word = format!("-{cluster}");
    let mut rest = cluster;
    while let Some(c) = rest.chars().next() {
        let after = &rest[c.len_utf8()..];
        // pflag stops at an unknown letter; so does this.
        let Some((name, takes_value)) = short(c) else {
            return false;
        };
        let mut flag = |written: String| {
            out.push(Flag {
                at,
                name: name.to_string(),
                written,
            })
        };
        if rest.len() > 2 && after.starts_with('=') {
            flag(word);
            return false;
        }
        if !takes_value {
            flag(word.clone());
            rest = after;
            continue;
        }
        if !after.is_empty() {
            flag(word);
            return false;
        }
        return match next {
            Some(value) => {
                flag(format!("{word} {value}"));
                true
            }
            None => {
                flag(word);
                false
            }
        };
    }
    false
}

/// What one word gives dockerd, read on its own as a flag whatever comes before it: `host`
/// for `--host[=…]` or a cluster of one-letter flags that reaches `H` through booleans only
/// (`-H`, `-DH`, `-Htcp://x`), `config-file` for `--config-file[=…]`. Before it may stand a
/// `--`, a flag that would take it as its value, or a shell's `$0`; a script may also hand
/// it on later (`set -- …`, `"$@"`), so no position makes such a word safe.
pub(super) fn host_or_config_file(word: &str) -> Option<&'static str> {
    if let Some(long) = word.strip_prefix("--") {
        return match long.split_once('=').map_or(long, |(name, _)| name) {
            "host" => Some("host"),
            "config-file" => Some("config-file"),
            _ => None,
        };
    }
    for c in word.strip_prefix('-')?.chars() {
        match short(c) {
            Some(("host", _)) => return Some("host"),
            Some((_, false)) => continue,
            _ => return None,
        }
    }
    None
}

/// How the arguments the tool appends to a command (the dind container's `args`) reach
/// dockerd, when they surely do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Handoff {
    /// The program is dockerd: the arguments are its flags.
    Direct,
    /// `SHELL -c SCRIPT` whose every dockerd run passes `"$@"`: the first argument after
    /// the script is its `$0`, the others reach dockerd. `needs_zero`: the command gives no
    /// `$0` of its own, so the arguments must start with one.
    Script { needs_zero: bool },
}

/// Whether appended arguments surely reach dockerd as its flags; `None` for any other form
/// (a wrapper, a script without `"$@"`), which only daemon.json surely reaches.
pub(super) fn handoff(command: &[String]) -> Option<Handoff> {
    if basename(command.first()?) == "dockerd" {
        return Some(Handoff::Direct);
    }
    let &(shell, script_at) = shell_scripts(command).first()?;
    let runs = dockerd_runs(&command[script_at]);
    let all_pass_on = !runs.is_empty() && runs.iter().all(|run| run.iter().any(|w| w == "$@"));
    (shell == 0 && all_pass_on).then_some(Handoff::Script {
        needs_zero: command.len() == script_at + 1,
    })
}

/// The arguments each dockerd a script runs is given, as the shell hands them over: `"$@"`
/// and `$*` are the positional parameters (the command's arguments after the script's `$0`),
/// `$0` to `$9` one each.
pub(super) fn script_dockerd_args(command: &[String], script_at: usize) -> Vec<Vec<String>> {
    let zero = command.get(script_at + 1);
    let positional = command.get(script_at + 2..).unwrap_or_default();
    dockerd_runs(&command[script_at])
        .into_iter()
        .map(|run| {
            run.into_iter()
                .flat_map(|w| match w.as_str() {
                    "$@" | "$*" => positional.to_vec(),
                    "$0" => zero.cloned().into_iter().collect(),
                    _ => match w.strip_prefix('$').and_then(|n| n.parse::<usize>().ok()) {
                        Some(n) if (1..=9).contains(&n) => {
                            positional.get(n - 1).cloned().into_iter().collect()
                        }
                        _ => vec![w],
                    },
                })
                .collect()
        })
        .collect()
}

/// The last part of a path: `dockerd` for `/usr/local/bin/dockerd`.
pub(super) fn basename(arg: &str) -> &str {
    arg.rsplit('/').next().unwrap_or(arg)
}

/// Shells whose `-c` runs a script.
const SHELLS: &[&str] = &["sh", "bash", "dash", "ash", "ksh", "mksh", "zsh", "busybox"];

/// The scripts a command runs through a shell (`sh -c SCRIPT`, `bash -ec SCRIPT`,
/// `env sh -c SCRIPT`), each with the index of the shell and of the script.
pub(super) fn shell_scripts(command: &[String]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (shell, arg) in command.iter().enumerate() {
        if !SHELLS.contains(&basename(arg)) {
            continue;
        }
        let mut reads_script = false;
        let mut j = shell + 1;
        while let Some(option) = command.get(j) {
            if option == "--" {
                j += 1;
                break;
            }
            if !option.starts_with(['-', '+']) || option.len() < 2 {
                break;
            }
            if option.starts_with("--") {
                j += 1;
                continue;
            }
            reads_script |= option.starts_with('-') && option.contains('c');
            // `-o pipefail`: the option's name is the next argument.
            j += if option.ends_with('o') { 2 } else { 1 };
        }
        if reads_script && j < command.len() {
            out.push((shell, j));
        }
    }
    out
}

/// One piece of a shell script: a word (quotes removed) or an operator, which ends a
/// simple command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Piece {
    Word(String),
    Operator,
}

/// Splits a script into words and operators as a shell reads it before expansion: blanks
/// separate words; `;`, `&`, `|`, `(`, `)`, `<`, `>`, backquotes, `$(` and newlines are
/// operators; quotes and backslashes are removed; `#` at the start of a word starts a
/// comment. Expansions (`$x`, `$(…)`) are left as written.
pub(super) fn shell_words(script: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = script.chars().peekable();
    let end = |word: &mut Option<String>, out: &mut Vec<Piece>| {
        if let Some(w) = word.take() {
            out.push(Piece::Word(w));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => end(&mut word, &mut out),
            '\n' | ';' | '&' | '|' | '(' | ')' | '<' | '>' | '`' => {
                end(&mut word, &mut out);
                out.push(Piece::Operator);
            }
            '$' if chars.peek() == Some(&'(') => {
                chars.next();
                end(&mut word, &mut out);
                out.push(Piece::Operator);
            }
            '#' if word.is_none() => while chars.next_if(|c| *c != '\n').is_some() {},
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                w.extend(chars.by_ref().take_while(|c| *c != '\''));
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' if matches!(chars.peek(), Some('"' | '\\' | '$' | '`')) => {
                            w.extend(chars.next());
                        }
                        '\\' if chars.peek() == Some(&'\n') => {
                            chars.next();
                        }
                        c => w.push(c),
                    }
                }
            }
            '\\' => match chars.next() {
                Some('\n') | None => {}
                Some(c) => word.get_or_insert_with(String::new).push(c),
            },
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    end(&mut word, &mut out);
    out
}

/// The words of a script, and of the scripts quoted inside it (`eval "…"`, `sh -c '…'`),
/// down to a few levels.
pub(super) fn all_words(script: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = vec![(script.to_string(), 0)];
    while let Some((text, depth)) = pending.pop() {
        for piece in shell_words(&text) {
            if let Piece::Word(w) = piece {
                if depth < 3 && w.contains(char::is_whitespace) {
                    pending.push((w.clone(), depth + 1));
                }
                out.push(w);
            }
        }
    }
    out
}

/// The arguments the script passes to each `dockerd` it runs, up to the end of that command.
pub(super) fn dockerd_runs(script: &str) -> Vec<Vec<String>> {
    let mut runs = Vec::new();
    let mut current: Option<Vec<String>> = None;
    for piece in shell_words(script) {
        match piece {
            Piece::Operator => runs.extend(current.take()),
            Piece::Word(w) if current.is_none() && basename(&w) == "dockerd" => {
                current = Some(Vec::new())
            }
            Piece::Word(w) => {
                if let Some(args) = &mut current {
                    args.push(w);
                }
            }
        }
    }
    runs.extend(current);
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (name, written) of each flag.
    fn parsed(args: &[&str]) -> Vec<(String, String)> {
        flags(args)
            .into_iter()
            .map(|f| (f.name, f.written))
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn short_flags_combine_as_pflag_reads_them() {
        assert_eq!(
            parsed(&["-DH", "tcp://x"]),
            pairs(&[("debug", "-DH"), ("host", "-DH tcp://x")])
        );
        assert_eq!(parsed(&["-Htcp://x"]), pairs(&[("host", "-Htcp://x")]));
        assert_eq!(parsed(&["-H=tcp://x"]), pairs(&[("host", "-H=tcp://x")]));
        assert_eq!(
            parsed(&["-DHtcp://x"]),
            pairs(&[("debug", "-DHtcp://x"), ("host", "-DHtcp://x")])
        );
        // The rest of the word is the value: `-HD` is a host named D, `-lD` a log level.
        assert_eq!(parsed(&["-HD"]), pairs(&[("host", "-HD")]));
        assert_eq!(parsed(&["-lD"]), pairs(&[("log-level", "-lD")]));
        assert_eq!(
            parsed(&["-Dl", "debug"]),
            pairs(&[("debug", "-Dl"), ("log-level", "-Dl debug")])
        );
        // A value flag takes the next argument whatever it looks like.
        assert_eq!(parsed(&["-p", "-H", "x"]), pairs(&[("pidfile", "-p -H")]));
        assert_eq!(parsed(&["-G", "--tls"]), pairs(&[("group", "-G --tls")]));
        assert_eq!(parsed(&["-D=false"]), pairs(&[("debug", "-D=false")]));
        // pflag has no single-dash long flags: `-host` is -h, then an unknown `o`.
        assert_eq!(parsed(&["-host", "x"]), pairs(&[("help", "-host")]));
        assert_eq!(parsed(&["-H"]), pairs(&[("host", "-H")]));
    }

    #[test]
    fn long_flags_take_their_value_inline_or_next() {
        assert_eq!(
            parsed(&[
                "--host=tcp://x",
                "--host",
                "tcp://y",
                "--config-file",
                "/c.json"
            ]),
            pairs(&[
                ("host", "--host=tcp://x"),
                ("host", "--host tcp://y"),
                ("config-file", "--config-file /c.json")
            ])
        );
        // A boolean does not take the next argument; `false` is then an argument.
        assert_eq!(
            parsed(&["--debug", "false", "-H", "x"]),
            pairs(&[("debug", "--debug"), ("host", "-H x")])
        );
        // An unknown long flag takes the next argument only when it is not a flag.
        assert_eq!(
            parsed(&["--unknown", "-H", "x"]),
            pairs(&[("unknown", "--unknown"), ("host", "-H x")])
        );
        assert_eq!(
            parsed(&["--log-level", "-H"]),
            pairs(&[("log-level", "--log-level -H")])
        );
    }

    #[test]
    fn double_dash_ends_the_flags_until_the_next_dockerd() {
        assert!(parsed(&["--", "-H", "tcp://x"]).is_empty());
        assert_eq!(
            parsed(&["-s", "--", "/usr/local/bin/dockerd", "-H", "x"]),
            pairs(&[("storage-driver", "-s --"), ("host", "-H x")])
        );
        assert_eq!(
            parsed(&["-g", "--", "dockerd", "-H", "x"]),
            pairs(&[("host", "-H x")])
        );
    }

    #[test]
    fn shell_words_are_split_and_unquoted() {
        let words: Vec<Piece> = shell_words(
            "dockerd \"--host=tcp://0.0.0.0\" '-H' x\\ y && echo $(cat f) # -H z\nexec a\\\nb",
        );
        let w = |s: &str| Piece::Word(s.into());
        assert_eq!(
            words,
            vec![
                w("dockerd"),
                w("--host=tcp://0.0.0.0"),
                w("-H"),
                w("x y"),
                Piece::Operator,
                Piece::Operator,
                w("echo"),
                Piece::Operator,
                w("cat"),
                w("f"),
                Piece::Operator,
                Piece::Operator,
                w("exec"),
                w("ab"),
            ]
        );
    }

    #[test]
    fn nested_scripts_are_split_too() {
        let words = all_words("eval 'dockerd -H tcp://0.0.0.0:2375'");
        assert!(words.contains(&"-H".to_string()), "{words:?}");
    }

    #[test]
    fn scripts_are_found_behind_their_shell() {
        let cmd = |args: &[&str]| args.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(shell_scripts(&cmd(&["/bin/sh", "-c", "x"])), vec![(0, 2)]);
        assert_eq!(shell_scripts(&cmd(&["bash", "-ec", "x"])), vec![(0, 2)]);
        assert_eq!(
            shell_scripts(&cmd(&["bash", "-o", "pipefail", "-c", "x"])),
            vec![(0, 4)]
        );
        assert_eq!(shell_scripts(&cmd(&["env", "sh", "-c", "x"])), vec![(1, 3)]);
        assert!(shell_scripts(&cmd(&["sh", "script.sh"])).is_empty());
        assert!(shell_scripts(&cmd(&["dockerd", "--debug"])).is_empty());
    }

    #[test]
    fn a_host_or_config_file_word_is_seen_whatever_precedes_it() {
        for word in [
            "-H",
            "-DH",
            "-Htcp://x",
            "-H=x",
            "-vDH",
            "--host",
            "--host=tcp://x",
            "--config-file",
            "--config-file=/x.json",
        ] {
            assert!(host_or_config_file(word).is_some(), "{word}");
        }
        for word in [
            "-lH",
            "-pH",
            "--hostname",
            "--",
            "-",
            "H",
            "-A",
            "--configfile",
            "-host",
        ] {
            assert_eq!(host_or_config_file(word), None, "{word}");
        }
    }

    #[test]
    fn appended_arguments_reach_dockerd_only_in_known_forms() {
        let cmd = |args: &[&str]| args.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            handoff(&cmd(&["/usr/local/bin/dockerd", "-D"])),
            Some(Handoff::Direct)
        );
        assert_eq!(
            handoff(&cmd(&["/bin/sh", "-c", "exec dockerd \"$@\""])),
            Some(Handoff::Script { needs_zero: true })
        );
        assert_eq!(
            handoff(&cmd(&["sh", "-c", "exec dockerd \"$@\"", "--", "--debug"])),
            Some(Handoff::Script { needs_zero: false })
        );
        for other in [
            &["sh", "-c", "exec dockerd --debug"][..],
            &["tini", "--", "dockerd"],
            &["dockerd-entrypoint.sh"],
            &["sh", "-c", "dockerd \"$@\" & exec dockerd"],
            &["sh", "-c", "echo \"$@\""],
        ] {
            assert_eq!(handoff(&cmd(other)), None, "{other:?}");
        }
    }

    #[test]
    fn a_script_hands_its_positional_parameters_on_after_its_zero() {
        let cmd = |args: &[&str]| args.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let command = cmd(&[
            "sh",
            "-c",
            "exec dockerd \"$@\" --debug $1",
            "--",
            "--mtu=1",
            "-D",
        ]);
        assert_eq!(
            script_dockerd_args(&command, 2),
            vec![cmd(&["--mtu=1", "-D", "--debug", "--mtu=1"])]
        );
    }

    #[test]
    fn dockerd_runs_end_at_the_next_operator() {
        assert_eq!(
            dockerd_runs("mkdir -p /x; exec /usr/local/bin/dockerd --mtu=1400 -D && echo done"),
            vec![vec!["--mtu=1400".to_string(), "-D".to_string()]]
        );
    }
}
