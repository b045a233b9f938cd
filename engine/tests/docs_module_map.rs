//! Keeps the module lists honest: the tables of `docs/architecture.md` ("Kernel crate
//! modules", "Engine modules") must name exactly the modules that exist, the kernel
//! crate root `tcp_lsm/tcp_lsm.rs` must declare every file of `tcp_lsm/` and name each
//! one in its module map, and the engine modules compiled into the kernel must be the
//! ones its `mod engine { ... }` block declares.
//!
//! A table row is `| \`NAME\` | ... |`: the module's name in backticks in the first
//! column. Every failure says which module is missing where; all of them are reported at
//! once.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// The architecture document, relative to the repository root.
const DOC: &str = "docs/architecture.md";
/// The heading above the table of the kernel crate's modules.
const KERNEL_HEADING: &str = "### Kernel crate modules";
/// The heading above the table of the engine's modules.
const ENGINE_HEADING: &str = "### Engine modules";
/// The kernel crate root, relative to the repository root.
const CRATE_ROOT: &str = "tcp_lsm/tcp_lsm.rs";

type Names = BTreeSet<String>;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(rel: &str) -> String {
    let path = repo().join(rel);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The entries of the directory `rel` (relative to the repository root): regular files
/// and sub-directories, by name.
fn entries(rel: &str) -> Vec<(String, bool)> {
    let dir = repo().join(rel);
    let listing =
        fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    listing
        .map(|entry| {
            let entry = entry.unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
            let is_dir = entry.path().is_dir();
            (entry.file_name().to_string_lossy().into_owned(), is_dir)
        })
        .collect()
}

/// The modules of the kernel crate: `tcp_lsm/*.rs` except the crate root.
fn kernel_files() -> Names {
    entries("tcp_lsm")
        .into_iter()
        .filter(|(_, is_dir)| !is_dir)
        .filter_map(|(name, _)| name.strip_suffix(".rs").map(str::to_owned))
        .filter(|name| name != "tcp_lsm")
        .collect()
}

/// The modules of the engine: `engine/src/*.rs` except `lib.rs`, and the directories
/// holding a `mod.rs` (directory modules such as `format/`).
fn engine_files() -> Names {
    entries("engine/src")
        .into_iter()
        .filter_map(|(name, is_dir)| {
            if is_dir {
                let has_mod = repo()
                    .join("engine/src")
                    .join(&name)
                    .join("mod.rs")
                    .is_file();
                has_mod.then_some(name)
            } else {
                name.strip_suffix(".rs").map(str::to_owned)
            }
        })
        .filter(|name| name != "lib")
        .collect()
}

/// The file of the engine module `m`: `engine/src/m.rs`, or `engine/src/m/mod.rs`.
fn engine_path(m: &str) -> String {
    if repo().join("engine/src").join(m).is_dir() {
        format!("engine/src/{m}/mod.rs")
    } else {
        format!("engine/src/{m}.rs")
    }
}

/// One row of a module table: the module's name and the row's other cells.
struct Row {
    name: String,
    cells: Vec<String>,
}

/// The rows of the table under the heading that starts with `heading`, up to the next
/// heading. Panics when the heading is missing or the section has no table row.
fn table(doc: &str, heading: &str) -> Vec<Row> {
    let mut lines = doc.lines().skip_while(|l| !l.starts_with(heading));
    if lines.next().is_none() {
        panic!("{DOC}: no heading starting with {heading:?} (the module table goes under it)");
    }
    let rows: Vec<Row> = lines
        .take_while(|l| !l.starts_with('#'))
        .filter(|l| l.trim_start().starts_with("| `"))
        .filter_map(|l| {
            let mut cells = l.trim().trim_matches('|').split('|').map(str::trim);
            let first = cells.next()?;
            let name = first.strip_prefix('`')?.split('`').next()?;
            Some(Row {
                name: name
                    .trim_end_matches(".rs")
                    .trim_end_matches('/')
                    .to_owned(),
                cells: cells.map(str::to_owned).collect(),
            })
        })
        .collect();
    assert!(
        !rows.is_empty(),
        "{DOC}: the section {heading:?} has no table row of the form | `NAME` | ... |"
    );
    rows
}

/// The names a list may repeat by mistake.
fn duplicates(rows: &[Row]) -> Vec<String> {
    let mut seen = Names::new();
    rows.iter()
        .filter(|r| !seen.insert(r.name.clone()))
        .map(|r| r.name.clone())
        .collect()
}

/// The differences between the modules `listed` (in `list`) and the modules that exist
/// (in `source`, `path` giving the file of a module), one line each.
fn differences(
    list: &str,
    listed: &Names,
    source: &str,
    existing: &Names,
    path: impl Fn(&str) -> String,
) -> Vec<String> {
    let missing = existing
        .difference(listed)
        .map(|m| format!("{list}: module `{m}` is missing (it exists: {})", path(m)));
    let extra = listed
        .difference(existing)
        .map(|m| format!("{list}: names module `{m}`, which {source} does not have"));
    missing.chain(extra).collect()
}

/// Fails with every problem found, one per line.
fn report(problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{} problem(s):\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

/// The `mod NAME;` lines at the top level of the kernel crate root.
fn crate_root_mods(root: &str) -> Vec<String> {
    root.lines()
        .filter_map(|l| l.strip_prefix("mod "))
        .filter_map(|rest| rest.strip_suffix(';'))
        .map(|name| name.trim().to_owned())
        .collect()
}

/// The module map: the crate root's leading `//!` comment.
fn module_map(root: &str) -> String {
    root.lines()
        .skip_while(|l| !l.starts_with("//!"))
        .take_while(|l| l.starts_with("//!"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The `mod NAME;` declarations inside `text` (`mod X;`, `pub(crate) mod X;`, ...),
/// comment lines left out.
fn mod_declarations(text: &str) -> Names {
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    code.split(';')
        .filter_map(|decl| {
            let words: Vec<&str> = decl.split_whitespace().collect();
            match words.as_slice() {
                [.., "mod", name] => Some((*name).to_owned()),
                _ => None,
            }
        })
        .collect()
}

/// The engine modules the kernel declares: the body of the crate root's `mod engine {`.
fn kernel_engine_block(root: &str) -> Names {
    let block: String = root
        .lines()
        .skip_while(|l| !l.starts_with("mod engine {"))
        .skip(1)
        .take_while(|l| !l.starts_with('}'))
        .filter(|l| !l.trim_start().starts_with("//") && !l.trim_start().starts_with("#!"))
        .collect::<Vec<_>>()
        .join("\n");
    let mods = mod_declarations(&block);
    assert!(
        !mods.is_empty(),
        "{CRATE_ROOT}: no `mod engine {{ ... }}` block with module declarations"
    );
    mods
}

#[test]
fn architecture_lists_every_kernel_module() {
    let doc = read(DOC);
    let rows = table(&doc, KERNEL_HEADING);
    let listed: Names = rows.iter().map(|r| r.name.clone()).collect();
    let list = format!("{DOC} (table under {KERNEL_HEADING:?})");
    let mut problems = differences(&list, &listed, "tcp_lsm/", &kernel_files(), |m| {
        format!("tcp_lsm/{m}.rs")
    });
    problems.extend(
        duplicates(&rows)
            .into_iter()
            .map(|m| format!("{list}: module `{m}` has more than one row")),
    );
    report(problems);
}

#[test]
fn architecture_lists_every_engine_module() {
    let doc = read(DOC);
    let rows = table(&doc, ENGINE_HEADING);
    let listed: Names = rows.iter().map(|r| r.name.clone()).collect();
    let list = format!("{DOC} (table under {ENGINE_HEADING:?})");
    let mut problems = differences(&list, &listed, "engine/src/", &engine_files(), engine_path);
    problems.extend(
        duplicates(&rows)
            .into_iter()
            .map(|m| format!("{list}: module `{m}` has more than one row")),
    );
    report(problems);
}

#[test]
fn engine_lib_declares_every_engine_module() {
    let lib = read("engine/src/lib.rs");
    let declared = mod_declarations(&lib);
    report(differences(
        "engine/src/lib.rs (its `pub mod` lines)",
        &declared,
        "engine/src/",
        &engine_files(),
        engine_path,
    ));
}

#[test]
fn architecture_kernel_column_matches_the_mod_engine_block() {
    let doc = read(DOC);
    let root = read(CRATE_ROOT);
    let rows = table(&doc, ENGINE_HEADING);
    let mut problems = Vec::new();
    let mut in_kernel = Names::new();
    for row in &rows {
        match row.cells.first().map(String::as_str) {
            Some(c) if c.starts_with("yes") => {
                in_kernel.insert(row.name.clone());
            }
            Some(c) if c.starts_with("no") => {}
            other => problems.push(format!(
                "{DOC} (table under {ENGINE_HEADING:?}): module `{}` has {other:?} in the \
                 kernel column, not `yes` or `no ...`",
                row.name
            )),
        }
    }
    let block = kernel_engine_block(&root);
    problems.extend(block.difference(&in_kernel).map(|m| {
        format!(
            "{DOC} (table under {ENGINE_HEADING:?}): module `{m}` is compiled into the \
             kernel ({CRATE_ROOT} declares it in `mod engine`) but its kernel column is not `yes`"
        )
    }));
    problems.extend(in_kernel.difference(&block).map(|m| {
        format!(
            "{DOC} (table under {ENGINE_HEADING:?}): module `{m}` says `yes` in the kernel \
             column, but the `mod engine` block of {CRATE_ROOT} does not declare it"
        )
    }));
    // The prose of "One copy of the engine in two builds" spells the block out too.
    let prose = doc
        .split("`mod engine {")
        .skip(1)
        .filter_map(|rest| rest.split("}`").next())
        .map(mod_declarations)
        .find(|mods| !mods.is_empty());
    match prose {
        None => problems.push(format!(
            "{DOC}: no `mod engine {{ ... }}` spelled out (section \"One copy of the engine \
             in two builds\")"
        )),
        Some(prose) => {
            let list = format!("{DOC} (the `mod engine {{ ... }}` it spells out)");
            problems.extend(block.difference(&prose).map(|m| {
                format!("{list}: `mod {m};` is missing ({CRATE_ROOT} declares it there)")
            }));
            problems.extend(prose.difference(&block).map(|m| {
                format!(
                    "{list}: names `mod {m};`, which the block of {CRATE_ROOT} does not declare"
                )
            }));
        }
    }
    report(problems);
}

#[test]
fn crate_root_declares_every_kernel_file() {
    let root = read(CRATE_ROOT);
    let mods = crate_root_mods(&root);
    let declared: Names = mods.iter().cloned().collect();
    let mut problems = differences(
        &format!("{CRATE_ROOT} (its `mod NAME;` lines)"),
        &declared,
        "tcp_lsm/",
        &kernel_files(),
        |m| format!("tcp_lsm/{m}.rs"),
    );
    let mut seen = Names::new();
    problems.extend(
        mods.iter()
            .filter(|m| !seen.insert((*m).clone()))
            .map(|m| format!("{CRATE_ROOT}: `mod {m};` is declared more than once")),
    );
    report(problems);
}

#[test]
fn crate_root_module_map_names_every_module() {
    let root = read(CRATE_ROOT);
    let map = module_map(&root);
    assert!(
        map.contains("Module map"),
        "{CRATE_ROOT}: its leading `//!` comment has no module map"
    );
    let problems = kernel_files()
        .into_iter()
        .filter(|m| !map.contains(&format!("`{m}`")))
        .map(|m| {
            format!(
                "{CRATE_ROOT} (module map, the leading `//!` comment): module `{m}` is \
                 missing (it exists: tcp_lsm/{m}.rs)"
            )
        })
        .collect();
    report(problems);
}
