//! Keeps the kernel crate's modules free of import circles: a module of `tcp_lsm/` that
//! names another (`crate::NAME` in code, or `NAME` inside a `use crate::{...}` group)
//! depends on it, and no chain of such dependencies may lead back to where it started.
//! Comments are not code: a doc link to another module is no dependency.
//!
//! The check reads the sources as text (the kernel crate does not build outside the
//! kernel tree); on failure it prints the circle, module by module.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

fn kernel_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tcp_lsm")
}

/// Every `tcp_lsm/*.rs` module but the crate root, with its source without comment lines.
fn modules() -> BTreeMap<String, String> {
    let dir = kernel_dir();
    let listing =
        fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    let mut out = BTreeMap::new();
    for entry in listing {
        let path = entry.expect("directory entry").path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".rs"))
        else {
            continue;
        };
        if name == "tcp_lsm" {
            continue;
        }
        let text = fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let code: Vec<&str> = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect();
        out.insert(name.to_owned(), code.join("\n"));
    }
    out
}

/// Whether `c` may be part of an identifier.
fn ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The modules `code` names: after `crate::`, and the first path segment of each item of
/// a `use crate::{...}` group.
fn named(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // A group: its items, up to the matching brace, nested groups skipped.
            let mut depth = 0usize;
            let mut item_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && ident(c) => {
                        let end = group[i..]
                            .find(|c| !ident(c))
                            .map_or(group.len(), |e| i + e);
                        out.insert(group[i..end].to_owned());
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            let end = rest.find(|c| !ident(c)).unwrap_or(rest.len());
            out.insert(rest[..end].to_owned());
        }
    }
    out
}

#[test]
fn kernel_crate_modules_import_each_other_without_a_circle() {
    let modules = modules();
    assert!(modules.len() > 10, "found only {} modules", modules.len());
    let graph: BTreeMap<&str, Vec<&str>> = modules
        .iter()
        .map(|(name, code)| {
            let deps = named(code)
                .into_iter()
                .filter(|d| d != name)
                .filter_map(|d| modules.get_key_value(&d).map(|(k, _)| k.as_str()))
                .collect();
            (name.as_str(), deps)
        })
        .collect();
    // Depth-first search; a module met again while on the stack closes a circle.
    #[derive(Clone, Copy, PartialEq)]
    enum Seen {
        OnStack,
        Done,
    }
    fn visit<'a>(
        at: &'a str,
        graph: &BTreeMap<&'a str, Vec<&'a str>>,
        seen: &mut BTreeMap<&'a str, Seen>,
        stack: &mut Vec<&'a str>,
        circles: &mut Vec<String>,
    ) {
        seen.insert(at, Seen::OnStack);
        stack.push(at);
        for &next in graph.get(at).into_iter().flatten() {
            match seen.get(next) {
                Some(Seen::OnStack) => {
                    let from = stack.iter().position(|&m| m == next).unwrap_or(0);
                    let mut circle: Vec<&str> = stack.get(from..).unwrap_or_default().to_vec();
                    circle.push(next);
                    circles.push(circle.join(" -> "));
                }
                Some(Seen::Done) => {}
                None => visit(next, graph, seen, stack, circles),
            }
        }
        stack.pop();
        seen.insert(at, Seen::Done);
    }
    let mut seen = BTreeMap::new();
    let mut circles = Vec::new();
    for &module in graph.keys() {
        if !seen.contains_key(module) {
            visit(module, &graph, &mut seen, &mut Vec::new(), &mut circles);
        }
    }
    assert!(
        circles.is_empty(),
        "import circles in tcp_lsm/:\n{}",
        circles.join("\n")
    );
}

#[test]
fn the_reader_finds_uses_in_paths_and_groups() {
    let code = "use crate::{blob::{self, Inode}, decide::Subject, errno};\nlet x = crate::rcu::Guard::new();";
    let found: Vec<String> = named(code).into_iter().collect();
    assert_eq!(found, ["blob", "decide", "errno", "rcu"]);
}
