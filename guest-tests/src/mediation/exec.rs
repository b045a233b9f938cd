//! Exec and domains: the exec transition into a domain (`bprm_creds_for_exec`,
//! `bprm_committing_creds`), also pinned by a content digest; the domain shown by
//! `getselfattr` and tcp's own `/proc/PID/attr/tcp/` (`getprocattr`), requested for the
//! next exec with `setselfattr` (unconfined only), and kept across fork (`cred_prepare`)
//! and an allowed setuid (`task_fix_setuid`); what a domain may execute (`file_open` and
//! `bprm_check_security` with `execute`: scripts and their interpreters, memfds and
//! `fexecve`, a program run through ld.so, which `mmap_file` decides); and a transition
//! refused through an entry point its domain wrote.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::harness::{ensure, ensure_eq, Outcome};
use crate::helpers::fixture::write;
use crate::helpers::probe::{
    expect, probe, probe_in, probe_unconfined, probe_unconfined_with_stdin, probe_with_stdin,
    unconfined,
};

/// Whether the shared `/proc/<pid>/attr/current` belongs to another LSM of `lsm=`
/// (AppArmor, SELinux, Smack); with none of them it is nobody's.
fn shared_procattr_owned() -> bool {
    let list = fs::read_to_string("/sys/kernel/security/lsm").unwrap_or_default();
    list.split(',')
        .any(|l| matches!(l.trim(), "apparmor" | "selinux" | "smack"))
}

/// A memfd holding a copy of the probe, as a file.
fn memfd_with_probe() -> Result<fs::File, String> {
    use std::io::Write;
    let fd =
        nix::sys::memfd::memfd_create(c"probe-copy", nix::sys::memfd::MemFdCreateFlag::empty())
            .map_err(|e| format!("memfd_create: {e}"))?;
    let mut file = fs::File::from(fd);
    file.write_all(&fs::read("/bin/tcp-probe").map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    Ok(file)
}

pub(super) fn domain_entered() -> Outcome {
    expect(&["self-attr"], "agent")?;
    // tcp's domain is in its own /proc/PID/attr/tcp/ ...
    expect(&["attr-current"], "agent")?;
    let own = fs::read_to_string("/proc/self/attr/tcp/current").map_err(|e| e.to_string())?;
    ensure_eq(
        own,
        "unconfined\n".to_owned(),
        "the test runner's own domain",
    )?;
    // tcp's /proc/PID/attr/tcp/exec shows the domain a request made for the next exec
    // (nothing requested: the runner's own file says so), and is read-only.
    let pending = fs::read_to_string("/proc/self/attr/tcp/exec").map_err(|e| e.to_string())?;
    ensure(
        pending.trim() != "agent",
        format!("nothing requested, yet attr/tcp/exec shows {pending:?}"),
    )?;
    unconfined(&["request-exec", "agent"], "agent")?;
    ensure(
        fs::write("/proc/self/attr/tcp/exec", "agent").is_err(),
        "attr/tcp/exec is not writable",
    )?;
    // ... never in the shared file, which stays the other LSMs' (or nobody's).
    let shared = probe(&["attr-shared"])?;
    if shared_procattr_owned() {
        ensure(
            shared != "agent",
            format!("the shared /proc/self/attr/current shows tcp's domain: {shared}"),
        )?;
    } else {
        ensure_eq(
            shared,
            "errno=EINVAL".to_owned(),
            "the shared /proc/self/attr/current without another LSM",
        )?;
    }
    Ok(())
}

pub(super) fn self_attr_shown() -> Outcome {
    // From a fresh exec of the probe and from the runner (unconfined).
    expect(&["exec", "/bin/tcp-probe", "self-attr"], "agent")?;
    let out = Command::new("/tmp/tcp-probe-unconfined")
        .arg("self-attr")
        .output()
        .map_err(|e| e.to_string())?;
    ensure_eq(
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        "unconfined".to_owned(),
        "runner's domain",
    )
}

pub(super) fn self_attr_exec() -> Outcome {
    // An unconfined task asks for `other` at its next exec, then runs a program that no
    // transition names.
    // (tcp-probe cannot ask: its own exec puts it in `agent`; the unconfined helper asks.)
    let report = crate::harness::helper("exec-in", &["other", "/bin/tcp-probe", "self-attr"])?;
    ensure_eq(
        report,
        "other".to_owned(),
        "domain after LSM_ATTR_EXEC request",
    )?;
    // A name that is not a domain of the policy is refused.
    let report = crate::harness::helper("exec-in", &["no_such_domain", "/bin/true"])?;
    ensure_eq(
        report,
        "errno=EINVAL".to_owned(),
        "request for an unknown domain",
    )
}

pub(super) fn fork_keeps_domain() -> Outcome {
    expect(&["fork-attr"], "agent")
}

pub(super) fn setuid_keeps_domain() -> Outcome {
    // `other` may change uid; the domain lives in the cred and goes along.
    let report = crate::harness::helper("exec-in", &["other", "/bin/tcp-probe", "setuid-attr"])?;
    ensure_eq(report, "other".to_owned(), "domain after setuid(65534)")
}

pub(super) fn digest_transition() -> Outcome {
    let run = |path: &str| -> Result<String, String> {
        let out = Command::new(path)
            .arg("self-attr")
            .output()
            .map_err(|e| format!("{path}: {e}"))?;
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    ensure_eq(
        run("/tmp/pin/good")?,
        "other".to_owned(),
        "program with the pinned digest",
    )?;
    ensure_eq(
        run("/tmp/pin/bad")?,
        "unconfined".to_owned(),
        "same path rule, other content",
    )
}

pub(super) fn confined_cannot_request() -> Outcome {
    // tcp-probe runs in `agent` and asks for `other`: refused, domain unchanged.
    expect(
        &["exec-in", "other", "/bin/tcp-probe", "self-attr"],
        "errno=EPERM",
    )
}

pub(super) fn exec_checks() -> Outcome {
    // The domain's executables: only /bin/tcp-probe.
    expect(&["exec", "/bin/tcp-probe", "self-attr"], "agent")?;
    // `execute` without `read` is enough to run a program (the opens of exec ask for
    // `execute`), and `read` is not given by it.
    ensure_eq(
        probe_in("runner", &["exec", "/bin/tcp-probe", "self-attr"])?,
        "runner".to_owned(),
        "exec in a domain with execute but not read",
    )?;
    ensure_eq(
        probe_in("runner", &["read", "/bin/tcp-probe"])?,
        "errno=EACCES".to_owned(),
        "read in domain runner",
    )?;
    expect(&["exec", "/bin/busybox", "true"], "errno=EACCES")?;
    // A script in an allowed-to-read but not executable type.
    expect(&["exec", "/tmp/work/script.sh"], "errno=EACCES")?;
    // A copy of an allowed program in a memfd has no type to execute: the domain may fill
    // the memfd (its own memory) but not run it (one filled elsewhere: `exec_more`).
    expect(&["memfd-exec", "/bin/tcp-probe"], "errno=EACCES")
}

pub(super) fn exec_more() -> Outcome {
    // A domain cannot run a memfd it filled (it has no type to execute) ...
    expect(&["memfd-exec", "/bin/tcp-probe"], "errno=EACCES")?;
    // ... and cannot run one filled by an unconfined task, which can.
    ensure_eq(
        probe_unconfined_with_stdin(memfd_with_probe()?, &["fexecve-fd", "0"])?,
        "unconfined".to_owned(),
        "unconfined fexecve",
    )?;
    ensure_eq(
        probe_with_stdin(memfd_with_probe()?, &["fexecve-fd", "0"])?,
        "errno=EACCES".to_owned(),
        "fexecve in the domain",
    )?;
    // Scripts: the script's type allows execute; its interpreter must too.
    fs::create_dir_all("/tmp/scripts").map_err(|e| e.to_string())?;
    let script = |path: &str, text: &str| -> Outcome {
        write(path, text)?;
        fs::set_permissions(path, fs::Permissions::from_mode(0o755)).map_err(|e| e.to_string())
    };
    script("/tmp/scripts/probe.sh", "#!/bin/tcp-probe self-attr\n")?;
    script("/tmp/scripts/shell.sh", "#!/bin/sh\necho shell ran\n")?;
    expect(&["exec", "/tmp/scripts/probe.sh"], "agent")?;
    ensure_eq(
        probe_unconfined(&["exec", "/tmp/scripts/shell.sh"])?,
        "shell ran".to_owned(),
        "unconfined script",
    )?;
    expect(&["exec", "/tmp/scripts/shell.sh"], "errno=EACCES")
}

pub(super) fn ld_so_bypass() -> Outcome {
    // The guest has the host's dynamic loader and libc and a dynamic program that prints
    // "hello" (scripts/qemu-boot.sh). The loader is executable in `agent`; a program it
    // would map from an unallowed type is not.
    let ld = "/lib64/ld-linux-x86-64.so.2";
    fs::create_dir_all("/tmp/scripts").map_err(|e| e.to_string())?;
    fs::copy("/bin/tcp-hello", "/tmp/scripts/hello").map_err(|e| format!("copy: {e}"))?;
    fs::copy("/bin/tcp-hello", "/tmp/work/hello").map_err(|e| format!("copy: {e}"))?;
    let run_in_agent = |program: &str| crate::harness::helper("exec-in", &["agent", ld, program]);
    let unconfined = Command::new(ld)
        .arg("/tmp/work/hello")
        .output()
        .map_err(|e| e.to_string())?;
    ensure_eq(
        String::from_utf8_lossy(&unconfined.stdout)
            .trim()
            .to_owned(),
        "hello".to_owned(),
        "unconfined ld.so",
    )?;
    ensure_eq(
        run_in_agent("/tmp/scripts/hello")?,
        "hello".to_owned(),
        "ld.so with an executable program",
    )?;
    ensure_eq(
        run_in_agent("/tmp/work/hello")?,
        String::new(),
        "ld.so with a program of a type without execute",
    )?;
    // Run directly, the same program is refused at exec.
    expect(&["exec", "/tmp/work/hello"], "errno=EACCES")
}

pub(super) fn forged_entrypoint() -> Outcome {
    // Root installs the transition's executable; the agent enters `other` through it.
    // Once the agent has written that inode through another name (a hard link root made
    // in the workspace), the transition is refused: protection follows the object.
    let result = (|| {
        fs::create_dir_all("/tmp/work/gate/bin").map_err(|e| e.to_string())?;
        fs::copy("/bin/tcp-probe", "/tmp/work/gate/bin/wide")
            .map_err(|e| format!("copy probe: {e}"))?;
        fs::hard_link("/tmp/work/gate/bin/wide", "/tmp/work/alias")
            .map_err(|e| format!("link: {e}"))?;
        expect(&["exec", "/tmp/work/gate/bin/wide", "self-attr"], "other")?;
        expect(&["read", "/tmp/work/alias"], "ok")?;
        expect(&["exec", "/tmp/work/gate/bin/wide", "self-attr"], "other")?;
        expect(&["write", "/tmp/work/alias"], "ok")?;
        expect(
            &["exec", "/tmp/work/gate/bin/wide", "self-attr"],
            "errno=EACCES",
        )?;
        unconfined(
            &["exec", "/tmp/work/gate/bin/wide", "self-attr"],
            "unconfined",
        )?;
        // A fresh copy that the agent never wrote enters again.
        fs::remove_file("/tmp/work/gate/bin/wide").map_err(|e| e.to_string())?;
        fs::copy("/bin/tcp-probe", "/tmp/work/gate/bin/wide")
            .map_err(|e| format!("copy probe: {e}"))?;
        expect(&["exec", "/tmp/work/gate/bin/wide", "self-attr"], "other")
    })();
    let _ = fs::remove_file("/tmp/work/alias");
    let _ = fs::remove_dir_all("/tmp/work/gate");
    result
}
