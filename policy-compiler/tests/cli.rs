//! The `tcp-policy-compiler` binary: exit statuses, output files, messages.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tcp-policy-compiler"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run tcp-policy-compiler")
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/coding-agent.policy")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

#[test]
fn abi_flag() {
    let out = run(&["--abi"]);
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), "policy abi 1\n");
}

#[test]
fn compile_writes_the_blob_and_prints_its_digest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bin_path = dir.path().join("policy.bin");
    let out = run(&["compile", path_str(&example()), "-o", path_str(&bin_path)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    let bytes = std::fs::read(&bin_path).expect("output written");
    let digest: String = tcp_policy_compiler::policy_digest(&bytes)
        .expect("digest")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(text(&out.stdout), format!("{digest}\n"));
    let source = std::fs::read_to_string(example()).expect("example");
    assert_eq!(
        bytes,
        tcp_policy_compiler::compile_to_bytes("x", &source).expect("compiles")
    );
    // No temporary file is left behind.
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);

    // decompile gives the canonical text; compiling that gives the same bytes.
    let out = run(&["decompile", path_str(&bin_path)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let canonical = text(&out.stdout);
    assert_eq!(
        tcp_policy_compiler::compile_to_bytes("d", &canonical).expect("compiles"),
        bytes
    );
    let txt = dir.path().join("policy.txt");
    let out = run(&["decompile", path_str(&bin_path), "-o", path_str(&txt)]);
    assert!(out.status.success());
    assert_eq!(std::fs::read_to_string(&txt).expect("written"), canonical);

    // canonical gives the same text straight from the source.
    let out = run(&["canonical", path_str(&example())]);
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), canonical);
}

#[test]
fn errors_exit_1_with_every_diagnostic_and_write_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("bad.tcp");
    std::fs::write(
        &src,
        "type t;\ndomain d {\n    allow file u read;\n    allow file t wrte;\n}\nmode enforcing;\n",
    )
    .expect("write");
    let bin_path = dir.path().join("policy.bin");
    let out = run(&["compile", path_str(&src), "-o", path_str(&bin_path)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    let name = path_str(&src);
    assert!(
        err.contains(&format!("{name}:3:16: error: undefined type `u`")),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{name}:4:18: error: unknown file permission `wrte`"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("{name}:6:6: error: unknown mode `enforcing`")),
        "{err}"
    );
    assert!(err.contains("                 ^^^^"), "{err}");
    assert!(err.contains("3 errors in"), "{err}");
    assert!(!bin_path.exists());

    let out = run(&["check", path_str(&src)]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn check_reports_warnings_but_succeeds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("warn.tcp");
    std::fs::write(
        &src,
        "type t { exact /tmp/a*; }\ndomain d { allow file t read; }\n",
    )
    .expect("write");
    let out = run(&["check", path_str(&src)]);
    assert!(out.status.success());
    assert!(
        text(&out.stderr).contains("warning: `*` and `?` in an `exact` path"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains(": ok (1 domain, 1 type"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(&[]).status.code(), Some(2));
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        run(&["compile", "x.tcp"]).status.code(),
        Some(2),
        "missing -o"
    );
    assert_eq!(run(&["--help"]).status.code(), Some(0));
}

#[test]
fn unreadable_or_invalid_input_is_one_clear_error() {
    let out = run(&["check", "/nonexistent/policy.tcp"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("tcp-policy-compiler: cannot read /nonexistent/policy.tcp:"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    let dir = tempfile::tempdir().expect("tempdir");
    let junk = dir.path().join("junk.bin");
    std::fs::write(&junk, b"not a policy").expect("write");
    let out = run(&["decompile", path_str(&junk)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("invalid policy.bin"),
        "{}",
        text(&out.stderr)
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn stdin_input() {
    let mut child = bin()
        .args(["check", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(b"domain d { allow capability chown; }\n")
            .expect("write");
    }
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("<stdin>: ok"));
}

#[test]
fn closed_stdout_ends_quietly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("big.tcp");
    std::fs::write(&src, tcp_policy_compiler::synthetic_policy(20_000)).expect("write");
    let mut child = bin()
        .args(["canonical", path_str(&src)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Read a little, then close the pipe while the program is still writing.
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 16];
    stdout.read_exact(&mut first).expect("some output");
    drop(stdout);
    let out = child.wait_with_output().expect("wait");
    let err = text(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.is_empty(), "{err}");
    assert_eq!(out.status.code(), Some(0));
}
