//! Whom the policy reaches, and with whom it decides: unconfined tasks are unaffected;
//! stacked with Landlock both LSMs decide (`file_open`); and a confined task that makes
//! itself new user, network, mount and PID namespaces keeps its domain there
//! (`file_open`, `socket_connect`, `sb_mount`).

use std::fs;
use std::os::unix::fs::PermissionsExt;

use crate::harness::{ensure_eq, Outcome};
use crate::helpers::fixture::write;
use crate::helpers::probe::{expect, probe_unconfined};

pub(super) fn unconfined_unaffected() -> Outcome {
    // The runner (unconfined) does what the domain may not.
    fs::read_to_string("/etc/passwd").map_err(|e| format!("unconfined read: {e}"))?;
    fs::write("/tmp/ro/b", "read only\n").map_err(|e| format!("unconfined write: {e}"))?;
    Ok(())
}

pub(super) fn with_landlock() -> Outcome {
    let list = fs::read_to_string("/sys/kernel/security/lsm").unwrap_or_default();
    if !list.split(',').any(|l| l.trim() == "landlock") {
        // Booted without Landlock (the AppArmor stacking run): nothing to stack with.
        return Ok(());
    }
    // In domain `other`, reading its own binary is allowed by this LSM ...
    ensure_eq(
        crate::harness::helper(
            "exec-in",
            &["other", "/bin/tcp-probe", "read", "/tmp/pin/good"],
        )?,
        "ok".to_owned(),
        "read allowed by the policy",
    )?;
    // ... and denied once the task also restricts itself with Landlock.
    ensure_eq(
        crate::harness::helper(
            "exec-in",
            &["other", "/bin/tcp-probe", "landlock-read", "/tmp/pin/good"],
        )?,
        "errno=EACCES".to_owned(),
        "read under a Landlock ruleset",
    )?;
    // And the other way round: with Landlock active, this LSM's denials stand.
    expect(&["read", "/etc/passwd"], "errno=EACCES")
}

/// A confined task that makes itself new user, network, mount and PID namespaces (in which
/// it holds every capability) stays in its domain there: the same denials, and no more
/// than the domain grants. The unconfined probe in the same namespaces is the control.
pub(super) fn namespaces() -> Outcome {
    // Inside a new user namespace without an id map the task is nobody to the files: make
    // them readable by others, so that only the LSM can refuse.
    for file in ["/tmp/work/ns", "/tmp/secret/ns"] {
        write(file, "namespaces\n")?;
        fs::set_permissions(file, fs::Permissions::from_mode(0o644))
            .map_err(|e| format!("chmod {file}: {e}"))?;
    }
    // (namespaces, operation, confined result, unconfined result)
    let cases: [(&str, &[&str], &str, &str); 5] = [
        ("u", &["read", "/tmp/work/ns"], "ok", "ok"),
        ("u", &["read", "/tmp/secret/ns"], "errno=EACCES", "ok"),
        ("up", &["read", "/tmp/secret/ns"], "errno=EACCES", "ok"),
        // A fresh network namespace has its loopback down: the unconfined connect fails
        // in the network stack, the confined one is refused before it gets there.
        (
            "un",
            &["connect4", "127.0.0.1", "8081"],
            "errno=EACCES",
            "errno=ENETUNREACH",
        ),
        // Capability sys_admin inside its own user namespace, but no `system mount`
        // (system operations are refused with EPERM, as outside).
        ("um", &["mount", "/tmp/work"], "errno=EPERM", "ok"),
    ];
    for (ns, op, confined, unconfined) in cases {
        let args: Vec<&str> = ["ns", ns].into_iter().chain(op.iter().copied()).collect();
        ensure_eq(
            probe_unconfined(&args)?,
            unconfined.to_owned(),
            &format!("unconfined tcp-probe {}", args.join(" ")),
        )?;
        expect(&args, confined)?;
    }
    Ok(())
}
