//! Memory: `mmap_file` (a file mapping needs `mmap` on the file's type, an executable one
//! `execute` too) and `file_mprotect`; executable memory that no file holds (anonymous
//! memory, written copies of a file's pages, memfds, the heap after
//! `personality(READ_IMPLIES_EXEC)`, an executable stack: `mmap_file` without a file),
//! granted only by the process permissions `execmem` and `execmem-rwx`.

use std::process::Command;

use crate::harness::{ensure, ensure_eq, Outcome};
use crate::helpers::fixture::write;
use crate::helpers::probe::{expect, probe, probe_in, probe_unconfined, unconfined};

pub(super) fn memory() -> Outcome {
    expect(&["mmap-read", "/tmp/work/a"], "ok")?;
    expect(&["mmap-exec", "/tmp/work/a"], "errno=EACCES")?;
    expect(&["mmap-exec", "/bin/tcp-probe"], "ok")?;
    expect(&["mmap-anon-rw"], "ok")?;
    expect(&["mmap-anon-exec"], "errno=EACCES")?;
    expect(&["mprotect-exec"], "errno=EACCES")
}

pub(super) fn memory_more() -> Outcome {
    // A private writable mapping of an executable file, written, then made read-only,
    // then executable: the pages that would run are not the file's.
    ensure_eq(
        probe_unconfined(&["mprotect-cow", "/bin/tcp-probe"])?,
        "ok".to_owned(),
        "unconfined",
    )?;
    expect(&["mprotect-cow", "/bin/tcp-probe"], "errno=EACCES")?;
    // Mapping a file needs `mmap` on its type: work has it, readonly does not.
    write("/tmp/work/mapped", "mapped\n")?;
    expect(&["mmap-read", "/tmp/work/mapped"], "ok")?;
    expect(&["read", "/tmp/ro/b"], "ok")?;
    expect(&["mmap-read", "/tmp/ro/b"], "errno=EACCES")
}

pub(super) fn exec_side_doors() -> Outcome {
    use std::os::unix::process::ExitStatusExt;
    // personality(READ_IMPLIES_EXEC) makes brk's heap executable: refused to a domain
    // (brk fails, ENOMEM), not to an unconfined task, whose code in the heap runs.
    expect(&["brk-exec"], "errno=ENOMEM")?;
    unconfined(&["brk-exec"], "ok")?;
    // A program asking for an executable stack cannot start in a domain (the exec fails
    // past its point of no return: the task is killed), and starts unconfined.
    let out = Command::new("/bin/tcp-probe")
        .args(["exec", "/bin/tcp-probe-execstack", "self-attr"])
        .output()
        .map_err(|e| e.to_string())?;
    ensure(
        out.status.signal().is_some(),
        format!(
            "execstack program in a domain ended with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stdout).trim()
        ),
    )?;
    ensure_eq(
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        String::new(),
        "its output",
    )?;
    unconfined(
        &["exec", "/bin/tcp-probe-execstack", "self-attr"],
        "unconfined",
    )?;
    // What stays allowed: a normal program's heap and stack.
    expect(&["mmap-anon-rw"], "ok")
}

pub(super) fn jit_memory() -> Outcome {
    // Executable memory that no file holds is refused to a domain in every mode unless its
    // policy grants `execmem`; memory writable and executable at once needs `execmem-rwx`
    // too. Each case next to the same call unconfined.
    let cases: &[(&[&str], &str, &str, &str)] = &[
        // (probe args, agent (no grant) and rollout (alert mode), flipper (execmem), jit (both))
        (&["jit-wx"], "mprotect: errno=EACCES", "ok", "ok"),
        (
            &["jit-rwx"],
            "mmap: errno=EACCES",
            "mmap: errno=EACCES",
            "ok",
        ),
        (&["mmap-anon-exec"], "errno=EACCES", "ok", "ok"),
        (&["mprotect-exec"], "errno=EACCES", "ok", "ok"),
        (&["mprotect-rwx"], "errno=EACCES", "errno=EACCES", "ok"),
        (&["memfd-mmap-exec"], "errno=EACCES", "ok", "ok"),
        // The heap after personality(READ_IMPLIES_EXEC) is writable and executable.
        (&["brk-exec"], "errno=ENOMEM", "errno=ENOMEM", "ok"),
    ];
    for (args, none, wx, both) in cases {
        let what = args.join(" ");
        unconfined(args, "ok")?;
        ensure_eq(
            probe(args)?,
            (*none).to_owned(),
            &format!("agent (no grant): {what}"),
        )?;
        ensure_eq(
            probe_in("rollout", args)?,
            (*none).to_owned(),
            &format!("rollout (alert mode, no grant): {what}"),
        )?;
        ensure_eq(
            probe_in("flipper", args)?,
            (*wx).to_owned(),
            &format!("flipper (execmem): {what}"),
        )?;
        ensure_eq(
            probe_in("jit", args)?,
            (*both).to_owned(),
            &format!("jit (execmem execmem-rwx): {what}"),
        )?;
    }
    // Running a memfd as a program is not executable memory: it has no type to execute,
    // even for a domain granted execmem.
    ensure_eq(
        probe_in("jit", &["memfd-exec", "/bin/tcp-probe"])?,
        "errno=EACCES".to_owned(),
        "jit: fexecve of a memfd",
    )?;
    unconfined(&["memfd-exec", "/bin/tcp-probe"], "unconfined")
}
