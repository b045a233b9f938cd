//! Objects of the kernel's internal mounts (pipes, socket pairs, pidfds, namespace files,
//! memfds, eventfds), decided by their kind through the built-in types `internal.*` in
//! every file hook that reaches them: `file_open` (through `/proc/self/ns` and
//! `/proc/self/fd`), `file_ioctl`, `mmap_file`, `file_permission`, and the exec of a memfd
//! (`bprm_check_security`).

use crate::harness::{ensure_eq, Outcome};
use crate::helpers::probe::{expect, probe_in, unconfined};
use crate::helpers::securityfs::set_mode;

pub(super) fn internal_objects() -> Outcome {
    // Objects of the kernel's internal mounts (pipes, socket pairs, pidfds, namespace
    // files, memfds, eventfds) work in a domain as they do unconfined: ioctl on pipes and
    // sockets (event loops), pidfd_open and waitid(P_PIDFD), /proc/self/ns, reopening a
    // pipe through /proc/self/fd, write, ftruncate, fchmod and shared mappings of a memfd.
    for op in [
        "pipe-ioctl",
        "socketpair-ioctl",
        "pidfd-wait",
        "ns-open",
        "pipe-reopen",
        "memfd-rw",
        "eventfd-rw",
    ] {
        unconfined(&[op], "ok")?;
        expect(&[op], "ok")?;
        ensure_eq(
            probe_in("rollout", &[op])?,
            "ok".to_owned(),
            &format!("rollout: {op}"),
        )?;
    }
    Ok(())
}

pub(super) fn internal_kinds() -> Outcome {
    // The policy's rules name internal.memfd, internal.pipe and internal.namespace: a
    // domain that denies some of their permissions is refused exactly those, in every
    // hook that reaches them (mmap, ioctl, open through /proc/self/ns), and keeps the
    // rest of the default; the agent (default) and the unconfined control do them all.
    for (op, refused) in [
        ("memfd-rw", "mmap: errno=EACCES"),
        ("pipe-ioctl", "FIONREAD: errno=EACCES"),
        ("ns-open", "errno=EACCES"),
    ] {
        unconfined(&[op], "ok")?;
        expect(&[op], "ok")?;
        ensure_eq(
            probe_in("sealed", &[op])?,
            refused.to_owned(),
            &format!("sealed: {op}"),
        )?;
    }
    for op in ["pipe-reopen", "eventfd-rw", "pidfd-wait"] {
        ensure_eq(
            probe_in("sealed", &[op])?,
            "ok".to_owned(),
            &format!("sealed: {op}"),
        )?;
    }
    // Running a memfd: refused by default, allowed with `execute` on internal.memfd.
    expect(&["memfd-exec", "/bin/tcp-probe"], "errno=EACCES")?;
    ensure_eq(
        probe_in("reexec", &["memfd-exec", "/bin/tcp-probe"])?,
        "reexec".to_owned(),
        "reexec: fexecve of a memfd",
    )?;
    unconfined(&["memfd-exec", "/bin/tcp-probe"], "unconfined")?;
    // Alert mode: would-be denials only.
    set_mode("alert")?;
    let alert = probe_in("sealed", &["ns-open"]);
    set_mode("enforce")?;
    ensure_eq(alert?, "ok".to_owned(), "sealed in alert mode: ns-open")
}
