//! A config in layers, as Helm users write one: several values files (`-f base.yaml -f
//! prod.yaml`), then `--set`, `--set-string` and `--set-file`, merged into one located tree
//! with Helm's rules. A later file wins; mappings merge key by key; a list (or any other
//! value) replaces what stood there whole; a key set to `null` is deleted, so its default
//! applies again. Each node keeps the source it came from (its index in the layers), so a
//! problem with a value names the file, or the flag, that set it.
//!
//! Each file may be in either form. When one is in the KRM form, the result is: the
//! envelopes (`apiVersion`, `kind`, `metadata`) merge like everything else, and a file of
//! bare values is taken as that file's `spec`. `--set` keys are Helm value names, so they go
//! under `spec` in the KRM form, as `helm --set` would set them.

use crate::config::source::{parse_document, Key, Node, NodeValue, Refused, Segment};
use crate::config::strvals::{self, SetKind};
use crate::diagnostic::{Location, Problem};

/// One source of the config, in the order given; its index is its source number.
#[derive(Debug, Clone, Copy)]
pub enum Layer<'a> {
    /// A values file's text, in the KRM form or bare Helm values.
    File(&'a str),
    /// One argument of `--set`, `--set-string` or `--set-file`.
    Set(&'a str, SetKind),
}

/// The layers as one tree, or why there is none, with every problem found on the way.
#[derive(Debug)]
pub struct Merged {
    pub root: Node,
    /// Whether the result is in the KRM form (some file was).
    pub krm: bool,
    pub problems: Vec<Problem>,
    pub not_shown: usize,
}

/// Whether a file's tree is in the KRM form.
pub fn is_krm(root: &Node) -> bool {
    matches!(&root.value, NodeValue::Map(entries)
        if entries.iter().any(|(k, _)| matches!(k.name.as_str(), "apiVersion" | "kind" | "metadata" | "spec")))
}

/// Parses every file, then merges files and flags in order (or says why the layers make no
/// config, `Refused`, with every problem found); `read` reads the files
/// `--set-file` names. Every file is parsed even after one failed, so all of their
/// problems are reported at once.
pub fn merge_layers(
    layers: &[Layer<'_>],
    read: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<Merged, Refused> {
    let mut problems = Vec::new();
    let mut not_shown = 0;
    let mut failed = false;
    let mut files: Vec<(u16, Node)> = Vec::new();
    for (i, layer) in layers.iter().enumerate() {
        let source = u16::try_from(i).unwrap_or(u16::MAX);
        let Layer::File(text) = layer else { continue };
        match parse_document(text) {
            Ok(mut parsed) => {
                parsed.root.set_source(source);
                problems.extend(in_source(parsed.problems, source));
                not_shown += parsed.not_shown;
                if matches!(parsed.root.value, NodeValue::Map(_)) {
                    files.push((source, parsed.root));
                } else {
                    failed = true;
                    problems.push(
                        Problem::error("the config must be a YAML mapping")
                            .at(parsed.root.at)
                            .hint("start from what `sg-executor-gen init` prints"),
                    );
                }
            }
            Err(refused) => {
                failed = true;
                problems.extend(in_source(refused.problems, source));
                not_shown += refused.not_shown;
            }
        }
    }
    let krm = files.iter().any(|(_, root)| is_krm(root));
    let mut root: Option<Node> = None;
    let mut files = files.into_iter().peekable();
    for (i, layer) in layers.iter().enumerate() {
        let source = u16::try_from(i).unwrap_or(u16::MAX);
        match layer {
            Layer::File(_) => {
                let Some((_, file)) = files.next_if(|(s, _)| *s == source) else {
                    continue;
                };
                let file = if krm && !is_krm(&file) {
                    as_spec(file)
                } else {
                    file
                };
                match &mut root {
                    None => root = Some(file),
                    Some(base) => merge(base, file),
                }
            }
            Layer::Set(arg, kind) => {
                let base = root.get_or_insert_with(|| Node {
                    at: Location::new(1, 1).in_source(source),
                    value: NodeValue::Map(Vec::new()),
                });
                if let Err(p) = set(base, arg, *kind, krm, source, read) {
                    failed = true;
                    problems.push(p);
                }
            }
        }
    }
    match root {
        Some(root) if !failed => Ok(Merged {
            root,
            krm,
            problems,
            not_shown,
        }),
        _ => {
            if problems.is_empty() {
                problems.push(
                    Problem::error("no config was given")
                        .hint("give a config with -f FILE (`sg-executor-gen init > executor.yaml` writes one), or values with --set"),
                );
            }
            Err(Refused {
                problems,
                not_shown,
            })
        }
    }
}

fn in_source(problems: Vec<Problem>, source: u16) -> impl Iterator<Item = Problem> {
    problems.into_iter().map(move |mut p| {
        p.at = p.at.map(|at| at.in_source(source));
        p
    })
}

/// A file of bare values as the `spec` of a KRM config.
fn as_spec(values: Node) -> Node {
    let at = values.at;
    Node {
        at,
        value: NodeValue::Map(vec![(
            Key {
                name: "spec".into(),
                at,
            },
            values,
        )]),
    }
}

/// Merges a later file into the tree as Helm merges values files: mapping into mapping key
/// by key, `null` deleting the key, anything else replacing what stood there.
pub fn merge(base: &mut Node, over: Node) {
    let NodeValue::Map(base_entries) = &mut base.value else {
        *base = over;
        return;
    };
    let NodeValue::Map(over_entries) = over.value else {
        *base = over;
        return;
    };
    for (key, value) in over_entries {
        let existing = base_entries.iter().position(|(k, _)| k.name == key.name);
        match existing {
            Some(i) if value.is_null() => {
                base_entries.remove(i);
            }
            None if value.is_null() => {}
            Some(i) => {
                let both_maps = matches!(base_entries[i].1.value, NodeValue::Map(_))
                    && matches!(value.value, NodeValue::Map(_));
                if both_maps {
                    merge(&mut base_entries[i].1, value);
                } else {
                    base_entries[i] = (key, value);
                }
            }
            None => base_entries.push((key, value)),
        }
    }
}

/// Applies one `--set`-style argument, under `spec` in the KRM form.
fn set(
    root: &mut Node,
    arg: &str,
    kind: SetKind,
    krm: bool,
    source: u16,
    read: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<(), Problem> {
    let assignments = strvals::parse(arg).map_err(|e| {
        let hint = e.hint.unwrap_or_else(|| {
            format!("write {} KEY=VALUE[,KEY=VALUE…], as for helm", kind.flag())
        });
        Problem::error(e.message)
            .at(Location::new(1, e.column).in_source(source))
            .hint(hint)
    })?;
    for mut a in assignments {
        if krm {
            a.path.insert(
                0,
                strvals::Step {
                    segment: Segment::Key("spec".into()),
                    column: a.path.first().map_or(1, |s| s.column),
                },
            );
        }
        strvals::apply(root, &a, kind, source, read)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merged(layers: &[Layer<'_>]) -> Node {
        merge_layers(layers, &mut |p| Ok(format!("text of {p}")))
            .unwrap()
            .root
    }

    fn scalar<'n>(root: &'n Node, path: &[&str]) -> Option<&'n Node> {
        path.iter().try_fold(root, |n, k| n.get(k))
    }

    fn text(n: Option<&Node>) -> Option<&str> {
        match &n?.value {
            NodeValue::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    #[test]
    fn later_files_win_maps_merge_lists_replace_null_deletes() {
        let root = merged(&[
            Layer::File("a: {x: 1, y: 2, l: [1, 2]}\nb: keep\nc: gone\n"),
            Layer::File("a: {y: 3, l: [9]}\nc: null\n"),
        ]);
        assert_eq!(text(scalar(&root, &["a", "x"])), Some("1"));
        assert_eq!(text(scalar(&root, &["a", "y"])), Some("3"));
        assert_eq!(text(scalar(&root, &["b"])), Some("keep"));
        assert!(root.get("c").is_none());
        match &scalar(&root, &["a", "l"]).unwrap().value {
            NodeValue::Seq(items) => assert_eq!(items.len(), 1),
            other => panic!("{other:?}"),
        }
        // Each value knows its file.
        assert_eq!(scalar(&root, &["a", "y"]).unwrap().at.source, 1);
        assert_eq!(scalar(&root, &["a", "x"]).unwrap().at.source, 0);
    }

    #[test]
    fn bare_values_are_the_spec_of_a_krm_layer_and_set_goes_under_spec() {
        let root = merged(&[
            Layer::File("apiVersion: sg-executor-gen/v1alpha1\nkind: ExecutorDeployment\nmetadata: {name: a}\nspec: {executor: {queueName: batches}}\n"),
            Layer::File("executor: {replicaCount: 2}\n"),
            Layer::Set("executor.queueName=codeintel", SetKind::Typed),
            Layer::Set("executor.frontendPassword=p.txt", SetKind::File),
        ]);
        let ex = scalar(&root, &["spec", "executor"]).unwrap();
        assert_eq!(text(ex.get("replicaCount")), Some("2"));
        assert_eq!(text(ex.get("queueName")), Some("codeintel"));
        assert_eq!(ex.get("queueName").unwrap().at.source, 2);
        assert_eq!(text(ex.get("frontendPassword")), Some("text of p.txt"));
        assert_eq!(text(scalar(&root, &["metadata", "name"])), Some("a"));
    }

    #[test]
    fn every_file_is_parsed_and_its_problems_name_it() {
        let refused = merge_layers(
            &[
                Layer::File("a: [\n"),
                Layer::File("b: 1\n"),
                Layer::File("- x\n"),
            ],
            &mut |_| Err("no".into()),
        )
        .unwrap_err();
        let sources: Vec<u16> = refused
            .problems
            .iter()
            .map(|p| p.at.unwrap().source)
            .collect();
        assert_eq!(sources, [0, 2], "{:?}", refused.problems);
    }
}
