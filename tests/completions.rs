//! Shell completions, in the real shells: each script is loaded into bash, zsh and fish,
//! and the test reads what the shell offers after the subcommand, where clap_complete's
//! bash script used to offer nothing for a binary name with a hyphen (clap #6421). A shell
//! that is missing fails the test (`.ci/run` installs zsh and fish); it never passes by
//! skipping.

use crate::common::{run_tool, scratch_dir};
use std::path::Path;
use std::process::Command;

/// A line typed so far, and what the shell must offer (each of them; it may offer more).
const CASES: [(&str, &[&str]); 7] = [
    ("sg-executor-gen render --mo", &["--mode"]),
    ("sg-executor-gen render --mode ", &["dind", "kubernetes"]),
    ("sg-executor-gen re", &["render"]),
    (
        "sg-executor-gen ",
        &["render", "build", "check", "completions"],
    ),
    ("sg-executor-gen check --o", &["--output"]),
    (
        "sg-executor-gen check --output ",
        &["text", "json", "junit"],
    ),
    ("sg-executor-gen render -f exa", &["examples"]),
];

fn script(shell: &str) -> String {
    let run = run_tool(&["completions", shell], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
}

/// What a shell offers, one line per candidate (its description cut off), run in a
/// directory holding `examples/` so that file names complete too.
fn offered(shell: &str, program: &[&str], cwd: &Path) -> Vec<String> {
    let out = Command::new(shell)
        .args(program)
        .current_dir(cwd)
        .env("HOME", cwd)
        .output()
        .unwrap_or_else(|e| panic!("{shell} must be installed (.ci/run installs it): {e}"));
    assert!(
        out.status.success(),
        "{shell}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            l.split('\t')
                .next()
                .unwrap_or_default()
                .trim_end_matches('/')
                .to_string()
        })
        .filter(|l| !l.is_empty())
        .collect()
}

fn check_cases(shell: &str, offered_for: impl Fn(&str) -> Vec<String>) {
    for (line, expected) in CASES {
        let got = offered_for(line);
        for e in expected {
            assert!(
                got.iter().any(|g| g == e),
                "{shell}: `{line}<TAB>` offers {got:?}, not `{e}`"
            );
        }
        // What is offered fits what was typed: no file names after `--mo`.
        let typed = line.rsplit(' ').next().unwrap_or_default();
        assert!(
            got.iter().all(|g| g.starts_with(typed)),
            "{shell}: `{line}<TAB>` offers {got:?}"
        );
    }
}

/// A scratch directory with `examples/` in it, and the script written into it.
fn workdir(shell: &str, file: &str) -> std::path::PathBuf {
    let dir = scratch_dir(&format!("completions-{shell}"));
    std::fs::create_dir_all(dir.join("examples")).unwrap();
    std::fs::write(dir.join("examples/basic.yaml"), "").unwrap();
    std::fs::write(dir.join(file), script(shell)).unwrap();
    dir
}

/// bash: the function `complete -p` names, called as readline calls it (COMP_WORDS,
/// COMP_CWORD, COMP_LINE, COMP_POINT; the command, the word and the word before it).
#[test]
fn bash_completes_flags_and_values_after_every_subcommand() {
    let dir = workdir("bash", "completion.bash");
    let driver = r#"
source ./completion.bash
# compopt only works inside a real completion; its options do not change the candidates.
compopt() { :; }
fn=$(complete -p sg-executor-gen | sed -E 's/.* -F ([^ ]+) .*/\1/')
COMP_LINE="$1"
COMP_POINT=${#COMP_LINE}
read -ra COMP_WORDS <<<"$COMP_LINE"
[[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMPREPLY=()
"$fn" sg-executor-gen "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
"#;
    check_cases("bash", |line| {
        offered(
            "bash",
            &["--norc", "--noprofile", "-c", driver, "bash", line],
            &dir,
        )
    });
}

/// zsh: an interactive zsh in a pseudo-terminal (zpty) with the script on its `fpath`,
/// `compadd` wrapped to print what completion adds, and the line typed with a TAB.
#[test]
fn zsh_completes_flags_and_values_after_every_subcommand() {
    let dir = workdir("zsh", "_sg-executor-gen");
    let driver = r#"
zmodload zsh/zpty
cat > setup.zsh <<SETUP
PROMPT=''; RPROMPT=''
fpath=($PWD \$fpath)
autoload -Uz compinit
compinit -u -d $PWD/zcompdump
zstyle ':completion:*' list-grouped false
zstyle ':completion:*' insert-tab false
capture_end() { print -r -- '<<end>>'; exit }
comppostfuncs=(capture_end)
compadd() {
  if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "\$@"; return; fi
  local -a hits
  builtin compadd -A hits "\$@"
  local h
  for h in \$hits; do print -r -- "<<hit>>\$h"; done
}
bindkey '^I' complete-word
bindkey '^M' undefined
bindkey '^J' undefined
SETUP
zpty z zsh -f -i
zpty -w z "source $PWD/setup.zsh"
zpty -w z "$1"$'\t'
while zpty -r z line; do
  line=${line//$'\r'/}
  [[ $line == *'<<end>>'* ]] && break
  [[ $line == *'<<hit>>'* ]] && print -r -- "${line##*<<hit>>}"
done
zpty -d z
"#;
    check_cases("zsh", |line| {
        offered(
            "timeout",
            &["20", "zsh", "-f", "-c", driver, "zsh", line],
            &dir,
        )
    });
}

/// fish: `complete -C` prints what fish would offer for a command line.
#[test]
fn fish_completes_flags_and_values_after_every_subcommand() {
    let dir = workdir("fish", "completion.fish");
    check_cases("fish", |line| {
        let program = format!("source completion.fish; complete -C{}", fish_quote(line));
        offered("fish", &["--no-config", "-c", &program], &dir)
    });
}

fn fish_quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// powershell has no shell here to run it in; its script must still register the
/// completer for the binary and know every subcommand and the flags after them.
#[test]
fn powershell_script_registers_every_subcommand_and_its_flags() {
    let s = script("powershell");
    assert!(s.contains("Register-ArgumentCompleter -Native -CommandName 'sg-executor-gen'"));
    for needle in [
        "'sg-executor-gen;render'",
        "'--mode'",
        "'--set'",
        "'--output-format'",
        "'--allow-empty'",
    ] {
        assert!(s.contains(needle), "powershell completions lack {needle}");
    }
}
