//! Capabilities, processes and signals: `capable` (the policy's capabilities, and the
//! never-granted ones even when listed; `mmap_addr` for page 0), `task_kill`,
//! `ptrace_access_check`, `ptrace_traceme`, `task_fix_setuid`, `task_fix_setgroups`,
//! `task_prctl`, `task_setnice`, `task_setrlimit`, `task_prlimit`, `task_setpgid`,
//! `task_getpgid`, `task_getsid`, `task_setscheduler`, and SIGIO (`file_set_fowner`,
//! `file_send_sigiotask`).

use std::process::{Child, Command, Stdio};

use crate::harness::{ensure, ensure_eq, Outcome};
use crate::helpers::probe::{expect, probe_in, probe_unconfined};

/// Starts an unconfined process that waits.
fn sleeper() -> Result<Child, String> {
    Command::new("/bin/busybox")
        .args(["sleep", "30"])
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())
}

pub(super) fn capabilities() -> Outcome {
    // Page 0 takes CAP_SYS_RAWIO, which commoncap checks on its own (mmap_addr).
    ensure_eq(
        probe_unconfined(&["mmap-low"])?,
        "ok".to_owned(),
        "unconfined mapping of page 0",
    )?;
    expect(&["mmap-low"], "errno=EPERM")?;
    expect(&["chown", "/tmp/work/a"], "ok")?;
    expect(&["sethostname"], "ok")?;
    expect(&["settime"], "errno=EPERM")
}

pub(super) fn signals_ptrace() -> Outcome {
    let mut child = sleeper()?;
    let pid = child.id().to_string();
    let result = expect(&["kill", &pid], "errno=EPERM")
        .and_then(|()| expect(&["ptrace", &pid], "errno=EPERM"));
    let _ = child.kill();
    let _ = child.wait();
    result
}

pub(super) fn setuid() -> Outcome {
    expect(&["setuid"], "errno=EPERM")
}

pub(super) fn process_ops() -> Outcome {
    expect(&["setpgid"], "ok")?;
    expect(&["prctl"], "errno=EPERM")?;
    expect(&["nice"], "errno=EPERM")?;
    expect(&["rlimit"], "errno=EPERM")
}

pub(super) fn more_process_ops() -> Outcome {
    // The tracer would be the confined probe, whose domain may not ptrace.
    expect(&["traceme"], "errno=EPERM")?;
    // (ioprio_set is not tested: the test kernel has no block layer, so it is ENOSYS.)
    expect(&["sched"], "errno=EPERM")
}

pub(super) fn process_queries() -> Outcome {
    // setgroups: `agent` lacks CAP_SETGID; `mounter` holds it but has no `setgid`
    // process rule; `other` has both.
    expect(&["setgroups"], "errno=EPERM")?;
    ensure_eq(
        probe_in("mounter", &["setgroups"])?,
        "errno=EPERM".to_owned(),
        "setgroups in domain mounter",
    )?;
    ensure_eq(
        probe_in("other", &["setgroups"])?,
        "ok".to_owned(),
        "setgroups in domain other",
    )?;
    let mut child = sleeper()?;
    let pid = child.id().to_string();
    let result = (|| {
        expect(&["prlimit", &pid], "errno=EPERM")?;
        ensure_eq(
            probe_in("other", &["prlimit", &pid])?,
            "ok".to_owned(),
            "prlimit in domain other",
        )?;
        // Process group and session of a task outside the signal scope (same-domain).
        expect(&["getpgid", &pid], "errno=EPERM")?;
        expect(&["getsid", &pid], "errno=EPERM")?;
        expect(&["getpgid", "self"], "ok")?;
        expect(&["getsid", "self"], "ok")?;
        ensure_eq(
            probe_unconfined(&["getsid", &pid])?,
            "ok".to_owned(),
            "unconfined getsid",
        )
    })();
    let _ = child.kill();
    let _ = child.wait();
    result
}

pub(super) fn sigio() -> Outcome {
    // A domain with `signal same-domain` gets its own SIGIO ...
    expect(&["sigio", "self"], "ok")?;
    // ... but cannot aim one (default action: terminate) at a task outside the domain.
    let mut child = sleeper()?;
    let pid = child.id().to_string();
    let confined = expect(&["sigio", &pid], "sent").and_then(|()| {
        let alive = child.try_wait().map_err(|e| e.to_string())?.is_none();
        ensure(alive, "SIGIO from the domain reached a task outside it")
    });
    // The control: the same program unconfined does kill it.
    let control = probe_unconfined(&["sigio", &pid]).and_then(|_| {
        let status = child.wait().map_err(|e| e.to_string())?;
        ensure(
            !status.success(),
            "the unconfined SIGIO did not reach the sleeper",
        )
    });
    let _ = child.kill();
    let _ = child.wait();
    confined.and(control)
}

pub(super) fn never_granted() -> Outcome {
    // The `capper` domain lists every never-granted capability; each operation below
    // works unconfined and fails in the domain.
    ensure_eq(
        probe_unconfined(&["reboot-cad-off"])?,
        "ok".to_owned(),
        "unconfined CAP_SYS_BOOT",
    )?;
    ensure_eq(
        probe_in("capper", &["reboot-cad-off"])?,
        "errno=EPERM".to_owned(),
        "CAP_SYS_BOOT in capper",
    )?;
    ensure_eq(
        probe_unconfined(&["bpf"])?,
        "ok".to_owned(),
        "unconfined CAP_BPF map creation",
    )?;
    ensure_eq(
        probe_in("capper", &["bpf"])?,
        "errno=EPERM".to_owned(),
        "CAP_BPF in capper",
    )?;
    ensure_eq(
        probe_unconfined(&["mmap-low"])?,
        "ok".to_owned(),
        "unconfined CAP_SYS_RAWIO",
    )?;
    ensure_eq(
        probe_in("capper", &["mmap-low"])?,
        "errno=EPERM".to_owned(),
        "CAP_SYS_RAWIO in capper",
    )
}
