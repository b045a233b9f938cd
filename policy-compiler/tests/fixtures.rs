//! Data-driven tests over `tests/fixtures/`:
//!
//! - `ok_NAME/policy.tcp` must compile. `expected.policy` holds its decompiled canonical
//!   text, `expected.sha256` the policy digest of the compiled `policy.bin`, and
//!   `warnings.txt` (when present) the rendered warnings; without it there must be none.
//!   Each also round-trips: compile, decompile, compile gives identical bytes.
//! - `bad_NAME/policy.tcp` must fail; `expected.txt` holds every diagnostic exactly as
//!   rendered.
//! - `eq_NAME/*.tcp` are different spellings of one policy: all compile to identical bytes.
//!
//! `TCP_BLESS=1 cargo test -p tcp-policy-compiler --test fixtures` rewrites the expected
//! files from the current output (review the diff before committing it).

use std::fs;
use std::path::{Path, PathBuf};

use tcp_policy_compiler::{
    check_source, compile_source, compile_to_bytes, decompile, policy_digest, render_diagnostics,
};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
}

fn fixture_dirs(prefix: &str) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(fixtures_dir())
        .expect("fixtures directory")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_dir()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(prefix))
        })
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no {prefix}* fixtures");
    dirs
}

fn bless() -> bool {
    std::env::var_os("TCP_BLESS").is_some_and(|v| v == "1")
}

/// Compares `actual` with the file `path` (or writes it when blessing). Returns a failure
/// message instead of panicking, so that every fixture is reported.
fn expect_file(path: &Path, actual: &str, failures: &mut Vec<String>) {
    if bless() {
        fs::write(path, actual).expect("write expected file");
        return;
    }
    match fs::read_to_string(path) {
        Ok(expected) if expected == actual => {}
        Ok(expected) => failures.push(format!(
            "{}: output differs\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        )),
        Err(e) => failures.push(format!(
            "{}: {e} (run with TCP_BLESS=1 to create it)\n--- actual\n{actual}",
            path.display()
        )),
    }
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn ok_fixtures_compile_to_the_expected_policy() {
    let mut failures = Vec::new();
    for dir in fixture_dirs("ok_") {
        let text = read(&dir.join("policy.tcp"));
        let checked = check_source("policy.tcp", &text);
        let Some(policy) = checked.policy.clone() else {
            failures.push(format!(
                "{}: does not compile:\n{}",
                dir.display(),
                render_diagnostics("policy.tcp", &text, &checked.diagnostics)
            ));
            continue;
        };
        let warnings = render_diagnostics("policy.tcp", &text, &checked.diagnostics);
        let warnings_file = dir.join("warnings.txt");
        if warnings_file.exists() || (bless() && !warnings.is_empty()) {
            expect_file(&warnings_file, &warnings, &mut failures);
        } else if !warnings.is_empty() {
            failures.push(format!(
                "{}: unexpected warnings:\n{warnings}",
                dir.display()
            ));
        }
        expect_file(
            &dir.join("expected.policy"),
            &decompile(&policy),
            &mut failures,
        );
        match compile_to_bytes("policy.tcp", &text) {
            Ok(bytes) => {
                let digest = policy_digest(&bytes).map(|d| hex(&d)).unwrap_or_default();
                expect_file(
                    &dir.join("expected.sha256"),
                    &format!("{digest}\n"),
                    &mut failures,
                );
            }
            Err(e) => failures.push(format!("{}: does not encode: {e:?}", dir.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn bad_fixtures_report_every_error() {
    let mut failures = Vec::new();
    for dir in fixture_dirs("bad_") {
        let text = read(&dir.join("policy.tcp"));
        let checked = check_source("policy.tcp", &text);
        if !checked.has_errors() {
            failures.push(format!("{}: compiled, but must fail", dir.display()));
            continue;
        }
        assert!(compile_source("policy.tcp", &text).is_err());
        let rendered = render_diagnostics("policy.tcp", &text, &checked.diagnostics);
        expect_file(&dir.join("expected.txt"), &rendered, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Every ok fixture and the shipped example: compile, decompile, compile gives the same
/// policy and identical bytes.
#[test]
fn round_trip_gives_identical_bytes() {
    let mut sources: Vec<(String, String)> = fixture_dirs("ok_")
        .iter()
        .map(|d| (d.display().to_string(), read(&d.join("policy.tcp"))))
        .collect();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/coding-agent.policy");
    sources.push((example.display().to_string(), read(&example)));
    for (name, text) in sources {
        let first = compile_source(&name, &text).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let bytes = compile_to_bytes(&name, &text).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let canonical = decompile(&first);
        let second = compile_source("decompiled", &canonical).unwrap_or_else(|e| {
            panic!("{name}: decompiled text does not compile: {e:?}\n{canonical}")
        });
        assert_eq!(first, second, "{name}: policy changed by the round trip");
        let again =
            compile_to_bytes("decompiled", &canonical).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(bytes, again, "{name}: bytes changed by the round trip");
        // Decoding the bytes gives the policy back, and its text is the same canonical text.
        let decoded =
            tcp_policy_compiler::decode_policy(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(decoded, first, "{name}: decode(encode(p)) != p");
        assert_eq!(decompile(&decoded), canonical);
        // The canonical text is a fixed point.
        assert_eq!(decompile(&second), canonical);
    }
}

#[test]
fn equal_spellings_give_identical_bytes() {
    for dir in fixture_dirs("eq_") {
        let mut files: Vec<PathBuf> = fs::read_dir(&dir)
            .expect("eq fixture")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "tcp"))
            .collect();
        files.sort();
        assert!(
            files.len() >= 2,
            "{}: needs two or more .tcp files",
            dir.display()
        );
        let outputs: Vec<(PathBuf, Vec<u8>)> = files
            .iter()
            .map(|f| {
                let text = read(f);
                let bytes = compile_to_bytes("policy.tcp", &text).unwrap_or_else(|e| {
                    panic!(
                        "{}:\n{}",
                        f.display(),
                        render_diagnostics("policy.tcp", &text, &e)
                    )
                });
                (f.clone(), bytes)
            })
            .collect();
        let (first_name, first) = outputs.first().expect("two files");
        for (name, bytes) in &outputs {
            assert!(
                bytes == first,
                "{} and {} differ:\n{}\n---\n{}",
                first_name.display(),
                name.display(),
                decompile(&compile_source("a", &read(first_name)).unwrap_or_default()),
                decompile(&compile_source("b", &read(name)).unwrap_or_default())
            );
        }
    }
}

#[test]
fn output_is_deterministic() {
    let example =
        read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/coding-agent.policy"));
    let first = compile_to_bytes("example", &example).expect("example compiles");
    for _ in 0..3 {
        assert_eq!(
            compile_to_bytes("example", &example).expect("example compiles"),
            first
        );
    }
    let big = tcp_policy_compiler::synthetic_policy(2_000);
    assert_eq!(
        compile_to_bytes("big", &big).expect("synthetic"),
        compile_to_bytes("big", &big).expect("synthetic")
    );
}
