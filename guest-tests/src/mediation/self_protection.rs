//! Self-protection: no confined task writes the LSM's securityfs files, whatever its
//! policy lists (`file_open`; `file_permission` on a descriptor opened outside the
//! domain), and a rejected policy load leaves the policy in force.

use std::fs;

use crate::harness::{ensure, ensure_eq, Outcome};
use crate::helpers::fixture::write;
use crate::helpers::probe::{expect, probe_unconfined_with_stdin, probe_with_stdin};

pub(super) fn self_protection() -> Outcome {
    // The policy allows writing these files and lists mac_admin, yet no confined task may
    // write here: mac_admin is never granted and the files refuse confined writers.
    expect(&["write", "/sys/kernel/security/tcp/mode"], "errno=EPERM")?;
    expect(&["write", "/sys/kernel/security/tcp/policy"], "errno=EPERM")?;
    expect(&["read", "/sys/kernel/security/tcp/mode"], "ok")
}

pub(super) fn rejected_load_keeps_policy() -> Outcome {
    let current = fs::read("/sys/kernel/security/tcp/policy").map_err(|e| e.to_string())?;
    let generation =
        fs::read_to_string("/sys/kernel/security/tcp/generation").map_err(|e| e.to_string())?;
    let mut corrupt = current.clone();
    if let Some(last) = corrupt.last_mut() {
        *last ^= 0x55;
    }
    ensure(
        crate::helpers::policy_load::load(&corrupt).is_err(),
        "a corrupted copy of the policy loaded",
    )?;
    // A prefix is the start of a blob; closing the file abandons it.
    ensure(
        crate::helpers::policy_load::load(&current[..64]).is_ok(),
        "a 64-byte prefix was refused",
    )?;
    ensure_eq(
        fs::read_to_string("/sys/kernel/security/tcp/generation").map_err(|e| e.to_string())?,
        generation,
        "generation after rejected loads",
    )?;
    // The same decisions as before the attempts.
    write("/tmp/work/fresh", "fresh\n")?;
    expect(&["read", "/tmp/work/fresh"], "ok")?;
    expect(&["write", "/tmp/ro/b"], "errno=EACCES")?;
    expect(&["connect4", "127.0.0.1", "8081"], "errno=EACCES")
}

pub(super) fn securityfs_passed_fd() -> Outcome {
    // Opened for writing by root (unconfined) and inherited into the domain: the writes
    // are refused there (EPERM), not parsed (a bad value would give EINVAL).
    for file in [
        "mode",
        "policy",
        "enforce",
        "heartbeat",
        "anomaly_threshold",
    ] {
        let path = format!("/sys/kernel/security/tcp/{file}");
        let fd = fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(|e| format!("{path}: {e}"))?;
        ensure_eq(
            probe_with_stdin(fd, &["write-fd", "0"])?,
            "errno=EPERM".to_owned(),
            &format!("write to {file}"),
        )?;
    }
    let fd = fs::OpenOptions::new()
        .write(true)
        .open("/sys/kernel/security/tcp/mode")
        .map_err(|e| e.to_string())?;
    ensure_eq(
        probe_unconfined_with_stdin(fd, &["write-fd", "0"])?,
        "errno=EINVAL".to_owned(),
        "unconfined write of x",
    )?;
    ensure_eq(
        fs::read_to_string("/sys/kernel/security/tcp/mode").map_err(|e| e.to_string())?,
        "enforce\n".to_owned(),
        "mode",
    )
}
