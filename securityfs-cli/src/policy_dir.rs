//! `tcp-policy load-dir`: compile a folder of policy text files as one policy and load it,
//! falling back to the last policy that loaded.
//!
//! This is what `tcp-lsm-policy.service` runs at boot and on `systemctl reload`:
//!
//! 1. The folder's `*.policy` files (regular files, not hidden, in byte order of their
//!    names) are joined into one text and compiled; a type or domain may be declared in
//!    one file and used in another. Diagnostics name each file, line and column.
//! 2. The binary is validated and loaded; after a successful load it is saved (`--save`,
//!    through a temporary file and a rename).
//! 3. When the folder cannot be read, does not compile, or the kernel refuses the policy,
//!    every reason is printed and the `--fallback` binary (the last saved one) is loaded
//!    instead, if it exists. Without a fallback the kernel keeps the policy it has.
//!
//! A folder without a `*.policy` file loads nothing and is not an error (a fresh install).

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tcp_lsm_engine::format::{validate, MAGIC};
use tcp_policy_compiler::{check_source_on_host, encode_policy, policy_digest, SourceSet};

use crate::Securityfs;

/// The extension of policy text files in a policy folder.
pub const POLICY_EXTENSION: &str = "policy";

/// A compiled policy and what the compiler warned about.
#[derive(Debug)]
pub struct Compiled {
    /// The `policy.bin` bytes.
    pub blob: Vec<u8>,
    /// Rendered warnings (empty when there are none).
    pub warnings: String,
}

/// Compiles a set of sources; on errors returns every diagnostic rendered and a count line.
pub fn compile_set(set: &SourceSet, name: &str) -> Result<Compiled, String> {
    let checked = check_source_on_host(name, set.text());
    match checked.policy {
        Some(policy) => {
            let blob = encode_policy(&policy).map_err(|d| set.render(&[d]))?;
            Ok(Compiled {
                blob,
                warnings: set.render(&checked.diagnostics),
            })
        }
        None => {
            let errors = checked.diagnostics.iter().filter(|d| d.is_error()).count();
            Err(format!(
                "{}\n{name}: {errors} error{}",
                set.render(&checked.diagnostics).trim_end(),
                if errors == 1 { "" } else { "s" }
            ))
        }
    }
}

/// The policy text files of `dir`: regular files named `*.policy` that do not start with
/// `.`, sorted by name.
pub fn policy_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name();
        let visible = !name.to_string_lossy().starts_with('.');
        let is_policy = path.extension().is_some_and(|e| e == POLICY_EXTENSION);
        // Follow symlinks: a policy.d entry may link to a file shipped elsewhere.
        if visible && is_policy && fs::metadata(&path)?.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Reads and compiles the policy files of `dir`. `Ok(None)`: there is none.
pub fn compile_dir(dir: &Path) -> Result<Option<(usize, Compiled)>, String> {
    let shown = dir.display().to_string();
    let files = policy_files(dir).map_err(|e| format!("cannot read the folder {shown}: {e}"))?;
    if files.is_empty() {
        return Ok(None);
    }
    let mut sources = Vec::with_capacity(files.len());
    for path in &files {
        let bytes = fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            format!(
                "{} is not UTF-8 text (invalid byte at offset {})",
                path.display(),
                e.utf8_error().valid_up_to()
            )
        })?;
        sources.push((path.display().to_string(), text));
    }
    let set = SourceSet::new(shown.clone(), sources);
    compile_set(&set, &shown).map(|c| Some((files.len(), c)))
}

/// Writes `bytes` to `path` through a temporary file in the same folder, synced, and a
/// rename, so that a reader (the next boot) never finds half a policy.
pub fn save_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let file_name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(file_name);
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Validates and loads `blob`; returns `generation N, sha256 D`.
fn load(sfs: &Securityfs, blob: &[u8]) -> Result<String, String> {
    validate(blob).map_err(|e| format!("not a valid policy: {e}"))?;
    let generation = sfs.load_policy(blob).map_err(|e| e.to_string())?;
    let digest = policy_digest(blob).map(|d| hex(&d)).unwrap_or_default();
    Ok(format!("generation {generation}, sha256 {digest}"))
}

/// What `load-dir` did, for its exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The folder's policy is loaded.
    Loaded,
    /// The folder has no policy file; nothing was loaded.
    Empty,
    /// The folder failed and the fallback was loaded instead.
    FellBack,
}

/// Runs `load-dir`: progress on `out`, diagnostics and reasons on `err`. `Err` when
/// nothing could be loaded (the message says why; the reasons were written to `err`).
pub fn load_dir(
    sfs: &Securityfs,
    dir: &Path,
    fallback: Option<&Path>,
    save: Option<&Path>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome, String> {
    sfs.ensure_active().map_err(|e| e.to_string())?;
    let shown = dir.display();
    let failure = match compile_dir(dir) {
        Ok(None) => {
            let _ = writeln!(
                err,
                "tcp-policy: {shown} holds no *.{POLICY_EXTENSION} file: nothing loaded"
            );
            return Ok(Outcome::Empty);
        }
        Ok(Some((files, compiled))) => {
            if !compiled.warnings.is_empty() {
                let _ = write!(err, "{}", compiled.warnings);
            }
            match load(sfs, &compiled.blob) {
                Ok(loaded) => {
                    let plural = if files == 1 { "" } else { "s" };
                    let _ = writeln!(out, "loaded {shown} ({files} file{plural}): {loaded}");
                    if let Some(save) = save {
                        match save_atomically(save, &compiled.blob) {
                            Ok(()) => {
                                let _ = writeln!(out, "saved as {}", save.display());
                            }
                            // The policy is in force; only the next fallback is stale.
                            Err(e) => {
                                let _ = writeln!(
                                    err,
                                    "tcp-policy: warning: cannot save {}: {e} (the policy is loaded; the fallback was not updated)",
                                    save.display()
                                );
                            }
                        }
                    }
                    return Ok(Outcome::Loaded);
                }
                Err(e) => format!("{shown}: {e}"),
            }
        }
        Err(e) => e,
    };
    let _ = writeln!(err, "{}", failure.trim_end());
    let keeps = "the kernel keeps the policy it has (none, if this is the boot)";
    let Some(fallback) = fallback else {
        return Err(format!("{shown} was not loaded; {keeps}"));
    };
    let bytes = match fs::read(fallback) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(format!(
                "{shown} was not loaded and there is no fallback {}; {keeps}",
                fallback.display()
            ))
        }
        Err(e) => {
            return Err(format!(
                "{shown} was not loaded and the fallback {} cannot be read: {e}; {keeps}",
                fallback.display()
            ))
        }
    };
    if !bytes.starts_with(&MAGIC) {
        return Err(format!(
            "{shown} was not loaded and the fallback {} is not a compiled policy; {keeps}",
            fallback.display()
        ));
    }
    match load(sfs, &bytes) {
        Ok(loaded) => {
            let _ = writeln!(
                err,
                "tcp-policy: error: {shown} was not loaded; loaded the last good policy {} instead: {loaded}",
                fallback.display()
            );
            Ok(Outcome::FellBack)
        }
        Err(e) => Err(format!(
            "{shown} was not loaded, nor the fallback {}: {e}; {keeps}",
            fallback.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake securityfs whose `policy` file is a regular file.
    fn fake() -> (tempfile::TempDir, Securityfs) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("tcp");
        fs::create_dir(&dir).expect("mkdir");
        fs::write(dir.join("policy"), "").expect("write");
        fs::write(dir.join("generation"), "1\n").expect("write");
        let list = tmp.path().join("lsm");
        fs::write(&list, "capability,tcp").expect("write");
        fs::create_dir(tmp.path().join("policy.d")).expect("mkdir");
        let sfs = Securityfs::new(dir, list);
        (tmp, sfs)
    }

    fn run(
        sfs: &Securityfs,
        dir: &Path,
        fallback: Option<&Path>,
        save: Option<&Path>,
    ) -> (Result<Outcome, String>, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let r = load_dir(sfs, dir, fallback, save, &mut out, &mut err);
        (
            r,
            String::from_utf8_lossy(&out).into_owned(),
            String::from_utf8_lossy(&err).into_owned(),
        )
    }

    const TYPES: &str = "type work { prefix /work; }\n";
    const DOMAIN: &str = "domain agent {\n    allow file work read;\n}\n";

    #[test]
    fn files_compile_together_and_the_result_is_saved() {
        let (tmp, sfs) = fake();
        let d = tmp.path().join("policy.d");
        fs::write(d.join("10-types.policy"), TYPES).expect("write");
        fs::write(d.join("20-agent.policy"), DOMAIN).expect("write");
        fs::write(d.join("README"), "not a policy").expect("write");
        fs::write(d.join(".30-editor.policy"), "garbage").expect("write");
        let save = tmp.path().join("last-good.bin");
        let (r, out, err) = run(&sfs, &d, None, Some(&save));
        assert_eq!(r, Ok(Outcome::Loaded), "{err}");
        assert!(out.contains("(2 files): generation 1, sha256 "), "{out}");
        assert!(err.is_empty(), "{err}");
        let saved = fs::read(&save).expect("saved");
        assert_eq!(fs::read(sfs.file("policy")).expect("loaded"), saved);
        let text = format!("{TYPES}\n{DOMAIN}\n");
        assert_eq!(
            saved,
            tcp_policy_compiler::compile_to_bytes("x", &text).expect("compiles")
        );
    }

    #[test]
    fn errors_name_their_file_and_the_fallback_is_loaded() {
        let (tmp, sfs) = fake();
        let d = tmp.path().join("policy.d");
        fs::write(d.join("10-types.policy"), TYPES).expect("write");
        fs::write(
            d.join("20-agent.policy"),
            "domain agent {\n    allow file wrk read;\n}\n",
        )
        .expect("write");
        let fallback = tmp.path().join("last-good.bin");
        let good = tcp_policy_compiler::compile_to_bytes("x", &format!("{TYPES}{DOMAIN}"))
            .expect("compiles");
        fs::write(&fallback, &good).expect("write");
        let (r, out, err) = run(&sfs, &d, Some(&fallback), Some(&fallback));
        assert_eq!(r, Ok(Outcome::FellBack), "{err}");
        assert!(out.is_empty(), "{out}");
        assert!(
            err.contains("/20-agent.policy:2:16: error: undefined type `wrk`"),
            "{err}"
        );
        assert!(err.contains("1 error\n"), "{err}");
        assert!(err.contains("was not loaded"), "{err}");
        assert!(err.contains("loaded the last good policy"), "{err}");
        assert_eq!(fs::read(sfs.file("policy")).expect("loaded"), good);
        assert_eq!(fs::read(&fallback).expect("kept"), good, "not overwritten");
    }

    #[test]
    fn without_a_fallback_nothing_is_loaded() {
        let (tmp, sfs) = fake();
        let d = tmp.path().join("policy.d");
        fs::write(d.join("a.policy"), "domain {").expect("write");
        let missing = tmp.path().join("missing.bin");
        let (r, _, err) = run(&sfs, &d, Some(&missing), None);
        let msg = r.expect_err("nothing loaded");
        assert!(msg.contains("there is no fallback"), "{msg}");
        assert!(msg.contains("the kernel keeps the policy it has"), "{msg}");
        assert!(err.contains("a.policy:1:"), "{err}");
        assert_eq!(fs::read(sfs.file("policy")).expect("read"), b"");
        let (r, _, _) = run(&sfs, &d, None, None);
        assert!(r.is_err());
    }

    #[test]
    fn an_empty_folder_loads_nothing() {
        let (tmp, sfs) = fake();
        let d = tmp.path().join("policy.d");
        let (r, _, err) = run(&sfs, &d, None, None);
        assert_eq!(r, Ok(Outcome::Empty));
        assert!(err.contains("holds no *.policy file"), "{err}");
    }

    #[test]
    fn a_missing_folder_falls_back() {
        let (tmp, sfs) = fake();
        let fallback = tmp.path().join("bad.bin");
        fs::write(&fallback, "not a policy").expect("write");
        let (r, _, err) = run(&sfs, &tmp.path().join("nope"), Some(&fallback), None);
        let msg = r.expect_err("bad fallback");
        assert!(err.contains("cannot read the folder"), "{err}");
        assert!(msg.contains("is not a compiled policy"), "{msg}");
    }

    #[test]
    fn an_inactive_lsm_is_reported_first() {
        let (tmp, sfs) = fake();
        fs::write(tmp.path().join("lsm"), "capability").expect("write");
        let (r, _, _) = run(&sfs, &tmp.path().join("policy.d"), None, None);
        assert!(r.expect_err("inactive").contains("not active"));
    }
}
