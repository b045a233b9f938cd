//! Modes and policy-wide responses, across hooks: monitor mode lets the policy's denials
//! through, and alert mode reports each class of bypass as a would-be denial naming its
//! hook (`path_rename`, `path_symlink`, `bprm_creds_for_exec`, `file_open`,
//! `socket_sendmsg`, `file_permission`); the always-on protections hold in every mode;
//! a stale heartbeat cuts the network or everything; behaviour limits (`max-ops`)
//! quarantine or audit.

use std::fs;

use crate::harness::{ensure, ensure_eq, Outcome};
use crate::helpers::fixture::{load_policy, policy_text, write};
use crate::helpers::probe::{
    expect, probe, probe_in, probe_unconfined, run_probe_with_stdin, unconfined,
};
use crate::helpers::securityfs::set_mode;

/// The protections no mode softens, as `(probe arguments, expected report)`.
const ALWAYS_ON: &[(&[&str], &str)] = &[
    (&["mmap-anon-exec"], "errno=EACCES"),
    (&["mprotect-exec"], "errno=EACCES"),
    (&["mmap-low"], "errno=EPERM"),
    (&["unlink", "/tmp/secret/key"], "errno=EACCES"),
    (
        &["rename", "/tmp/secret/key", "/tmp/work/stolen"],
        "errno=EACCES",
    ),
    (&["socket", "inet", "raw"], "errno=EACCES"),
    (&["socket", "packet", "raw"], "errno=EACCES"),
    (&["write", "/sys/kernel/security/tcp/mode"], "errno=EPERM"),
];

/// Writes a heartbeat.
fn beat() -> Outcome {
    fs::write("/sys/kernel/security/tcp/heartbeat", "1").map_err(|e| format!("heartbeat: {e}"))
}

/// The number in a `denied=N` report of the probe's `flood`.
fn denied_count(report: &str) -> Result<u32, String> {
    report
        .strip_prefix("denied=")
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("flood printed {report:?}"))
}

/// Runs `tcp-probe ARGS` (in `agent`) with `stdin` as its standard input when given, and
/// asserts that it reports `want` and that the events name a would-be denial of `op` by
/// `agent` (`decision=allow mode=alert`).
fn would_deny(args: &[&str], stdin: Option<std::os::fd::OwnedFd>, want: &str, op: &str) -> Outcome {
    let _ = crate::helpers::securityfs::drain_events()?;
    let got = match stdin {
        Some(fd) => run_probe_with_stdin("/bin/tcp-probe", fd.into(), args)?,
        None => probe(args)?,
    };
    ensure_eq(
        got,
        want.to_owned(),
        &format!("alert mode: tcp-probe {}", args.join(" ")),
    )?;
    let (events, _) = crate::helpers::securityfs::drain_events()?;
    let field = |e: &std::collections::HashMap<String, String>, k: &str| {
        e.get(k).cloned().unwrap_or_default()
    };
    ensure(
        events.iter().any(|e| {
            field(e, "op") == op
                && field(e, "domain") == "agent"
                && field(e, "decision") == "allow"
                && field(e, "mode") == "alert"
        }),
        format!("alert mode: no would-be denial op={op} for {args:?} in {events:?}"),
    )
}

pub(super) fn monitor_mode() -> Outcome {
    let set = |m: &str| fs::write("/sys/kernel/security/tcp/mode", m).map_err(|e| e.to_string());
    set("monitor")?;
    let result = expect(&["write", "/tmp/ro/b"], "ok")
        .and_then(|()| expect(&["connect4", "127.0.0.1", "8081"], "errno=ECONNREFUSED"));
    set("enforce")?;
    result?;
    expect(&["write", "/tmp/ro/b"], "errno=EACCES")
}

pub(super) fn always_on() -> Outcome {
    // Monitor mode lets the policy's denials through (the write to a read-only type),
    // but not the always-on protections.
    let _ = crate::helpers::securityfs::drain_events()?;
    set_mode("monitor")?;
    let monitored = expect(&["write", "/tmp/ro/b"], "ok").and_then(|()| {
        ALWAYS_ON
            .iter()
            .try_for_each(|(args, want)| expect(args, want))
    });
    set_mode("enforce")?;
    monitored?;
    // Monitor mode reports nothing of the policy's rules: every event is a protection's
    // refusal, and says so.
    let (events, _) = crate::helpers::securityfs::drain_events()?;
    let field = |e: &std::collections::HashMap<String, String>, k: &str| {
        e.get(k).cloned().unwrap_or_default()
    };
    ensure(
        events.len() >= 4
            && events
                .iter()
                .all(|e| field(e, "decision") == "deny" && field(e, "reason") == "protection"),
        format!("monitor mode: protection events {events:?}"),
    )?;
    // A domain of its own in alert mode (the `rollout` domain), with global enforce.
    for (args, want) in ALWAYS_ON
        .iter()
        .filter(|(a, _)| a[0] != "unlink" && a[0] != "rename")
    {
        ensure_eq(
            probe_in("rollout", args)?,
            (*want).to_owned(),
            &format!("rollout: {}", args.join(" ")),
        )?;
    }
    ensure_eq(
        probe_in("rollout", &["write", "/tmp/ro/b"])?,
        "ok".to_owned(),
        "rollout: a policy denial is only alerted",
    )?;
    ensure_eq(
        fs::read_to_string("/tmp/secret/key").map_err(|e| e.to_string())?,
        "secret\n".to_owned(),
        "the protected file",
    )
}

pub(super) fn heartbeat() -> Outcome {
    let base = policy_text()?;
    write("/tmp/work/beat", "beat\n")?;
    let result = (|| {
        ensure_eq(
            fs::read_to_string("/sys/kernel/security/tcp/heartbeat").map_err(|e| e.to_string())?,
            "none\n".to_owned(),
            "no heartbeat in the policy",
        )?;
        load_policy(&format!(
            "{base}\nheartbeat timeout 1500ms action deny-network;\n"
        ))?;
        let status =
            fs::read_to_string("/sys/kernel/security/tcp/heartbeat").map_err(|e| e.to_string())?;
        ensure(
            status.starts_with("timeout_ms=1500 action=deny-network age_ms=")
                && status.ends_with("stale=0\n"),
            format!("status: {status}"),
        )?;
        // Bad values change nothing; a domain may not beat.
        ensure(
            fs::write("/sys/kernel/security/tcp/heartbeat", "2").is_err(),
            "a heartbeat of 2 is refused",
        )?;
        expect(
            &["write", "/sys/kernel/security/tcp/heartbeat"],
            "errno=EPERM",
        )?;
        // The CLI: one heartbeat and the state; a bad interval is a usage error.
        let (code, out, _) = crate::harness::run("tcp-policy", &["heartbeat"])?;
        ensure(
            code == 0 && out.starts_with("heartbeat: timeout_ms=1500 action=deny-network age_ms="),
            format!("tcp-policy heartbeat: {code} {out:?}"),
        )?;
        let (code, _, err) = crate::harness::run("tcp-policy", &["heartbeat", "--every", "0s"])?;
        ensure(
            code == 2 && err.contains("between 1ms and 60m"),
            format!("tcp-policy heartbeat --every 0s: {code} {err:?}"),
        )?;
        beat()?;
        expect(&["connect4", "127.0.0.1", "8080"], "errno=ECONNREFUSED")?;
        std::thread::sleep(std::time::Duration::from_millis(2000));
        let status =
            fs::read_to_string("/sys/kernel/security/tcp/heartbeat").map_err(|e| e.to_string())?;
        ensure(
            status.ends_with("stale=1\n"),
            format!("status after 2 s: {status}"),
        )?;
        let _ = crate::helpers::securityfs::drain_events()?;
        expect(&["connect4", "127.0.0.1", "8080"], "errno=EACCES")?;
        let (events, _) = crate::helpers::securityfs::drain_events()?;
        // deny-network refuses the socket itself, before any connect.
        ensure(
            !events.is_empty()
                && events
                    .iter()
                    .all(|e| e.get("reason").map(String::as_str) == Some("heartbeat")),
            format!("the reason of what a stale heartbeat refused: {events:?}"),
        )?;
        expect(&["read", "/tmp/work/beat"], "ok")?;
        ensure_eq(
            probe_unconfined(&["connect4", "127.0.0.1", "8080"])?,
            "errno=ECONNREFUSED".to_owned(),
            "unconfined while stale",
        )?;
        beat()?;
        expect(&["connect4", "127.0.0.1", "8080"], "errno=ECONNREFUSED")?;
        // deny-all takes everything: the probe's own exec into the domain fails (it
        // cannot map its program), or its read does; it never reads.
        load_policy(&format!(
            "{base}\nheartbeat timeout 1500ms action deny-all;\n"
        ))?;
        expect(&["read", "/tmp/work/beat"], "ok")?;
        std::thread::sleep(std::time::Duration::from_millis(2000));
        let stale = probe(&["read", "/tmp/work/beat"]);
        ensure(
            matches!(stale.as_deref(), Err(_) | Ok("errno=EACCES")),
            format!("read while stale (deny-all): {stale:?}"),
        )?;
        beat()?;
        expect(&["read", "/tmp/work/beat"], "ok")
    })();
    load_policy(&base)?;
    result
}

pub(super) fn behaviour_limits() -> Outcome {
    write("/tmp/work/behaviour", "b\n")?;
    let _ = crate::helpers::securityfs::drain_events()?;
    // 100 allowed opens in `busy` (max-ops 40 per minute): the decision that passes the
    // limit moves the task into `jail`, which may open nothing of `work`. A few decisions
    // of the exec itself (mapping the program) come first, so 59 to 75 opens fail.
    let denied = denied_count(&probe_in("busy", &["flood", "100", "/tmp/work/behaviour"])?)?;
    ensure(
        (59..=75).contains(&denied),
        format!("busy: {denied} of 100 opens denied, expected 59 to 75"),
    )?;
    let (events, _) = crate::helpers::securityfs::drain_events()?;
    let moved = crate::helpers::securityfs::find(&events, "behaviour", "task:jail")?;
    ensure_eq(
        moved.get("domain").map(String::as_str),
        Some("busy"),
        "the quarantine event's domain",
    )?;
    ensure_eq(
        moved.get("reason").map(String::as_str),
        Some("quarantine"),
        "the quarantine event's reason",
    )?;
    ensure(
        events.iter().any(|e| {
            e.get("op").map(String::as_str) == Some("file_open")
                && e.get("domain").map(String::as_str) == Some("jail")
                && e.get("reason").map(String::as_str) == Some("quarantine")
        }),
        "later opens are denied as jail's, for the quarantine",
    )?;
    // A child forked after the quarantine stays in it.
    let report = probe_in("busy", &["flood-fork-attr", "100", "/tmp/work/behaviour"])?;
    let (flood, child) = report
        .split_once(' ')
        .ok_or_else(|| format!("flood-fork-attr printed {report:?}"))?;
    ensure(
        (59..=75).contains(&denied_count(flood)?),
        format!("busy again: {flood}"),
    )?;
    ensure_eq(child, "child=jail", "the child's domain")?;
    let _ = crate::helpers::securityfs::drain_events()?;
    // `audit` only reports: every open succeeds, and one event says the limit passed.
    let denied = denied_count(&probe_in(
        "noisy",
        &["flood", "100", "/tmp/work/behaviour"],
    )?)?;
    ensure_eq(denied, 0, "noisy: denied opens")?;
    let (events, _) = crate::helpers::securityfs::drain_events()?;
    let passed = crate::helpers::securityfs::find(&events, "behaviour", "max-ops")?;
    ensure_eq(
        passed.get("domain").map(String::as_str),
        Some("noisy"),
        "the audit event's domain",
    )?;
    ensure_eq(
        passed.get("reason").map(String::as_str),
        Some("behaviour"),
        "the audit event's reason",
    )?;
    // Without a limit (`agent`), no behaviour event.
    ensure_eq(
        probe(&["flood", "100", "/tmp/work/behaviour"])?,
        "denied=0".to_owned(),
        "agent flood",
    )?;
    let (events, _) = crate::helpers::securityfs::drain_events()?;
    ensure(
        !events
            .iter()
            .any(|e| e.get("op").map(String::as_str) == Some("behaviour")),
        "no behaviour event for agent",
    )
}

pub(super) fn alert_each_class() -> Outcome {
    // Each class of bypass, with the global mode `alert` (the agent follows it): what the
    // policy refuses in enforce goes through and is reported as a would-be denial naming
    // the hook; what no mode softens (a symlink where a protected name leads, executable
    // memory no file holds) is refused in alert mode too.
    use std::net::{TcpListener, TcpStream};
    let dirs = [
        "/tmp/work/plant/bin",
        "/tmp/work/gate",
        "/tmp/work/cfg",
        "/tmp/work/home",
        "/tmp/work/mine",
    ];
    for d in dirs {
        fs::create_dir_all(d).map_err(|e| format!("mkdir {d}: {e}"))?;
    }
    fs::copy("/bin/tcp-probe", "/tmp/work/plant/bin/wide")
        .map_err(|e| format!("copy probe: {e}"))?;
    write("/tmp/work/cfg/settings", "safe\n")?;
    let _ = fs::remove_file("/tmp/work/alias-key");
    fs::hard_link("/tmp/secret/key", "/tmp/work/alias-key")
        .map_err(|e| format!("link key: {e}"))?;
    let listener = TcpListener::bind("127.0.0.1:8090").map_err(|e| format!("listen 8090: {e}"))?;
    set_mode("alert")?;
    let result = (|| {
        // 1. Moves: a directory onto the transition's executable, one out of its type.
        would_deny(
            &["rename", "/tmp/work/plant/bin", "/tmp/work/gate/bin"],
            None,
            "ok",
            "path_rename",
        )?;
        unconfined(
            &["rename", "/tmp/work/gate/bin", "/tmp/work/plant/bin"],
            "ok",
        )?;
        would_deny(
            &["rename", "/tmp/work/cfg", "/tmp/work/cfg2"],
            None,
            "ok",
            "path_rename",
        )?;
        unconfined(&["rename", "/tmp/work/cfg2", "/tmp/work/cfg"], "ok")?;
        // 2. Symlinks: at the transition's executable (the mode applies) and where a
        // protected name leads (always refused).
        fs::create_dir_all("/tmp/work/gate/bin").map_err(|e| e.to_string())?;
        would_deny(
            &[
                "symlink",
                "/tmp/work/plant/bin/wide",
                "/tmp/work/gate/bin/wide",
            ],
            None,
            "ok",
            "path_symlink",
        )?;
        fs::remove_file("/tmp/work/gate/bin/wide").map_err(|e| e.to_string())?;
        expect(
            &["symlink", "/tmp/work/mine", "/tmp/work/home/.ssh"],
            "errno=EACCES",
        )?;
        // 3. A transition through an entry point the agent wrote.
        fs::copy("/bin/tcp-probe", "/tmp/work/gate/bin/wide")
            .map_err(|e| format!("copy probe: {e}"))?;
        let _ = fs::remove_file("/tmp/work/alias");
        fs::hard_link("/tmp/work/gate/bin/wide", "/tmp/work/alias")
            .map_err(|e| format!("link: {e}"))?;
        expect(&["write", "/tmp/work/alias"], "ok")?;
        would_deny(
            &["exec", "/tmp/work/gate/bin/wide", "self-attr"],
            None,
            "other",
            "bprm_creds_for_exec",
        )?;
        // 4. A protected object through another name.
        would_deny(&["read", "/tmp/work/alias-key"], None, "ok", "file_open")?;
        // 5. A foreign socket to a forbidden peer, with a decoy destination.
        let stream =
            TcpStream::connect("127.0.0.1:8090").map_err(|e| format!("connect 8090: {e}"))?;
        would_deny(
            &["sendto-decoy-fd", "0"],
            Some(stream.into()),
            "ok",
            "socket_sendmsg",
        )?;
        // 6. Listing a directory through an inherited descriptor.
        let dir = fs::File::open("/tmp/secret").map_err(|e| e.to_string())?;
        would_deny(
            &["getdents-fd", "0"],
            Some(dir.into()),
            "ok",
            "file_permission",
        )?;
        // 7. Executable memory by a side door: refused in every mode.
        expect(&["brk-exec"], "errno=ENOMEM")?;
        expect(&["mmap-anon-exec"], "errno=EACCES")
    })();
    set_mode("enforce")?;
    drop(listener);
    for d in [
        "/tmp/work/plant",
        "/tmp/work/gate",
        "/tmp/work/cfg",
        "/tmp/work/cfg2",
        "/tmp/work/home",
        "/tmp/work/mine",
    ] {
        let _ = fs::remove_dir_all(d);
    }
    let _ = fs::remove_file("/tmp/work/alias-key");
    let _ = fs::remove_file("/tmp/work/alias");
    result
}
