//! System operations: `bpf`, `settime`, io_uring (creating a ring:
//! `inode_init_security_anon`; `uring_sqpoll`; and the opens and connects it makes, still
//! decided by `file_open` and `socket_connect`), and mounts (`sb_mount`, `sb_umount`,
//! `move_mount`, `sb_pivotroot`), which need the `system` rules whatever capabilities the
//! domain holds; and the IPC and system operations a policy grants (domain `other`).

use std::fs;

use crate::harness::{ensure_eq, Outcome};
use crate::helpers::probe::{expect, probe_in};

pub(super) fn system_ops() -> Outcome {
    expect(&["bpf"], "errno=EPERM")?;
    expect(&["io-uring"], "errno=EPERM")?;
    // The SQPOLL thread is refused (uring_sqpoll) before the ring exists.
    expect(&["io-uring-sqpoll"], "errno=EPERM")?;
    expect(&["settime"], "errno=EPERM")
}

pub(super) fn mount() -> Outcome {
    fs::create_dir_all("/tmp/work/mnt").map_err(|e| e.to_string())?;
    // The domain holds sys_admin, but mounting is a system operation it was not given.
    expect(&["mount", "/tmp/work/mnt"], "errno=EPERM")
}

pub(super) fn allowed_ipc_system() -> Outcome {
    // Domain `other` has the IPC and system rules that `agent` lacks.
    for (op, want) in [
        ("shmget", "ok"),
        ("msgget", "ok"),
        ("semget", "ok"),
        ("io-uring", "ok"),
        ("io-uring-sqpoll", "ok"),
        ("settime", "ok"),
        ("bpf", "errno=EPERM"), // CAP_BPF is never granted to a domain.
    ] {
        let report = crate::harness::helper("exec-in", &["other", "/bin/tcp-probe", op])?;
        ensure_eq(report, want.to_owned(), &format!("{op} in domain other"))?;
    }
    Ok(())
}

pub(super) fn uring_bypass() -> Outcome {
    // Domain `other` may use io_uring; what the kernel does for its requests is still
    // decided by the domain's rules.
    let run = |args: &[&str]| -> Result<String, String> {
        crate::harness::helper(
            "exec-in",
            &[&["other", "/bin/tcp-probe"][..], args].concat(),
        )
    };
    ensure_eq(
        run(&["uring-open", "/tmp/pin/good"])?,
        "ok".to_owned(),
        "io_uring open of a readable file",
    )?;
    ensure_eq(
        run(&["uring-open", "/etc/passwd"])?,
        "errno=EACCES".to_owned(),
        "io_uring open of a denied file",
    )?;
    ensure_eq(
        run(&["uring-connect4", "127.0.0.1", "8080"])?,
        "errno=EACCES".to_owned(),
        "io_uring connect",
    )
}

pub(super) fn mount_ops() -> Outcome {
    for dir in ["/tmp/work/m1", "/tmp/work/m2"] {
        fs::create_dir_all(dir).map_err(|e| format!("mkdir {dir}: {e}"))?;
    }
    let (code, _, err) = crate::harness::run(
        "/bin/busybox",
        &["mount", "-t", "tmpfs", "none", "/tmp/work/m1"],
    )?;
    ensure_eq(code, 0, &format!("mount tmpfs: {err}"))?;
    fs::create_dir_all("/tmp/work/m1/old").map_err(|e| e.to_string())?;
    // `agent` holds sys_admin, so each refusal here is this LSM's `mount` rule.
    expect(&["umount", "/tmp/work/m1"], "errno=EPERM")?;
    expect(
        &["move-mount", "/tmp/work/m1", "/tmp/work/m2"],
        "errno=EPERM",
    )?;
    expect(
        &["pivot-root", "/tmp/work/m1", "/tmp/work/m1/old"],
        "errno=EPERM",
    )?;
    // `mounter` may: the mount moves, pivot_root gets past this LSM to the kernel's own
    // check (the initramfs root cannot be pivoted away: EINVAL), and the umount works.
    let run = |args: &[&str]| probe_in("mounter", args);
    ensure_eq(
        run(&["move-mount", "/tmp/work/m1", "/tmp/work/m2"])?,
        "ok".to_owned(),
        "move_mount in mounter",
    )?;
    ensure_eq(
        run(&["pivot-root", "/tmp/work/m2", "/tmp/work/m2/old"])?,
        "errno=EINVAL".to_owned(),
        "pivot_root in mounter",
    )?;
    ensure_eq(
        run(&["umount", "/tmp/work/m2"])?,
        "ok".to_owned(),
        "umount in mounter",
    )
}
