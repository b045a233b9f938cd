//! Warnings that need the build machine's file system: an `exec` transition whose path is
//! a symlink there, or is not the path its file resolves to.
//!
//! The kernel matches an exec transition against the path of the file it executes, after
//! every symlink was followed, so `exec /bin/sh -> agent;` never applies on a machine where
//! `/bin/sh` is a symlink to `dash`. The rest of the compiler is a pure function of the
//! text; this pass is separate ([`crate::check_source_on_host`]) so that the same text
//! gives the same diagnostics everywhere else (fixtures, the kernel's validator). A path
//! that does not exist on the build machine is not reported: the policy may be meant for
//! another one.

use std::path::Path;

use crate::ast::{DomainStmt, Item};
use crate::diagnostic::Diagnostic;
use crate::values::{check_path, PathUse};
use crate::{lexer, parser};

/// What the build machine says about an existing path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostPath {
    /// The path with every symlink resolved (`realpath`).
    pub resolved: String,
    /// Whether the path itself (its last component) is a symlink.
    pub is_symlink: bool,
}

/// Looks `path` up on this machine; `None` when it does not exist (or cannot be resolved,
/// or resolves to a name that is not UTF-8).
pub fn resolve_on_host(path: &str) -> Option<HostPath> {
    let is_symlink = std::fs::symlink_metadata(path)
        .ok()?
        .file_type()
        .is_symlink();
    let resolved = std::fs::canonicalize(Path::new(path)).ok()?;
    Some(HostPath {
        resolved: resolved.to_str()?.to_owned(),
        is_symlink,
    })
}

/// Warnings for the `exec` transitions of `text` (top level and in domains) whose path
/// `resolve` says is a symlink or resolves to another path. Paths with errors are skipped
/// (the compiler reports those).
pub fn exec_path_warnings(
    text: &str,
    resolve: &dyn Fn(&str) -> Option<HostPath>,
) -> Vec<Diagnostic> {
    let mut ignored = Vec::new();
    let tokens = lexer::lex(text, &mut ignored);
    let file = parser::parse(&tokens, &mut ignored);
    let execs = file.items.iter().flat_map(|item| match item {
        Item::Exec(e) => vec![e],
        Item::Domain(d) => d
            .body
            .iter()
            .filter_map(|s| match s {
                DomainStmt::Exec(e) => Some(e),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    });
    let mut warnings = Vec::new();
    for e in execs {
        let Ok(path) = check_path(&e.path, PathUse::Exec, &mut ignored) else {
            continue;
        };
        let Some(host) = resolve(&path) else {
            continue;
        };
        if !host.is_symlink && host.resolved == path {
            continue;
        }
        let what = if host.is_symlink {
            "is a symlink on this machine"
        } else {
            "is not a resolved path on this machine (a directory in it is a symlink)"
        };
        warnings.push(
            Diagnostic::warning(
                e.path.span,
                format!("`{path}` {what}: it resolves to `{}`, and the kernel matches exec rules against the resolved path, so this rule never applies here", host.resolved),
            )
            .with_help(format!(
                "name the file itself: `exec {} -> {};`",
                host.resolved, e.target.text
            )),
        );
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render_diagnostics;

    fn fake(path: &str) -> Option<HostPath> {
        match path {
            "/bin/sh" => Some(HostPath {
                resolved: "/usr/bin/dash".into(),
                is_symlink: true,
            }),
            "/bin/cat" => Some(HostPath {
                resolved: "/usr/bin/cat".into(),
                is_symlink: false,
            }),
            "/usr/bin/cat" => Some(HostPath {
                resolved: "/usr/bin/cat".into(),
                is_symlink: false,
            }),
            _ => None,
        }
    }

    #[test]
    fn symlinks_and_unresolved_paths_are_named() {
        let text = "exec /bin/sh -> agent;\nexec /usr/bin/cat -> agent;\nexec /opt/x -> agent;\n\
                    domain agent {\n    exec /bin/cat -> tool;\n}\ndomain tool {}\n";
        let warnings = exec_path_warnings(text, &fake);
        assert_eq!(
            render_diagnostics("p.policy", text, &warnings),
            "p.policy:1:6: warning: `/bin/sh` is a symlink on this machine: it resolves to `/usr/bin/dash`, and the kernel matches exec rules against the resolved path, so this rule never applies here\n\
             1 | exec /bin/sh -> agent;\n  |      ^^^^^^^\n  = help: name the file itself: `exec /usr/bin/dash -> agent;`\n\
             \n\
             p.policy:5:10: warning: `/bin/cat` is not a resolved path on this machine (a directory in it is a symlink): it resolves to `/usr/bin/cat`, and the kernel matches exec rules against the resolved path, so this rule never applies here\n\
             5 |     exec /bin/cat -> tool;\n  |          ^^^^^^^^\n  = help: name the file itself: `exec /usr/bin/cat -> tool;`\n"
        );
        assert!(warnings.iter().all(|w| !w.is_error()));
    }

    #[test]
    fn broken_paths_are_left_to_the_compiler() {
        assert!(exec_path_warnings("exec bin/sh -> a;\nexec /bin/sh/ -> a;\n", &fake).is_empty());
    }

    #[test]
    fn the_host_is_asked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let real = dir.path().join("real");
        std::fs::write(&real, b"").expect("write");
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&real, &link).expect("symlink");
        let real_resolved = std::fs::canonicalize(&real).expect("canonical");
        let host = resolve_on_host(link.to_str().expect("utf-8")).expect("exists");
        assert!(host.is_symlink);
        assert_eq!(Some(host.resolved.as_str()), real_resolved.to_str());
        let host = resolve_on_host(real_resolved.to_str().expect("utf-8")).expect("exists");
        assert!(!host.is_symlink);
        assert_eq!(resolve_on_host("/nonexistent/tcp-lsm-test"), None);
    }
}
