//! Reporting tests: counters (`stats`), the `events` stream, audit records, the three
//! modes (global and per domain), `enforce`, `anomaly_threshold`, `hardware/`, the boot
//! parameters and `tcp-monitor`. They run after the mediation suite's setup, with its
//! policy loaded, and make the confined probe (`agent`) do known denials.

use std::collections::HashMap;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::process::{Command, Stdio};

use crate::harness::{ensure, ensure_eq, errno_of, Outcome, Test};
use crate::helpers::probe::{expect, probe, probe_in};
use crate::helpers::securityfs::{drain_events, find, path};

/// Tests for a kernel booted with `tcp`; the first loads the mediation policy.
pub const ACTIVE: &[Test] = &[
    Test {
        name: "reporting_setup_loads_mediation_policy",
        run: crate::helpers::fixture::setup,
    },
    Test {
        name: "boot_parameters_applied_or_defaulted_with_one_warning",
        run: boot_parameters,
    },
    Test {
        name: "stats_count_decisions_loads_and_rejections",
        run: stats_counts,
    },
    Test {
        name: "events_and_audit_records_for_denied_open_connect_exec",
        run: denied_records,
    },
    Test {
        name: "modes_enforce_alert_monitor_report_as_documented",
        run: modes,
    },
    Test {
        name: "domain_mode_alert_overrides_global_enforce",
        run: domain_mode,
    },
    Test {
        name: "enforce_file_consistent_with_mode",
        run: enforce_file,
    },
    Test {
        name: "decision_cache_hits_and_reload_takes_effect_at_once",
        run: cache_and_reload,
    },
    Test {
        name: "event_flood_accounted_exactly",
        run: event_flood,
    },
    Test {
        name: "audit_flood_accounted_exactly",
        run: audit_flood,
    },
    Test {
        name: "events_need_an_unconfined_administrator",
        run: events_access,
    },
    Test {
        name: "anomaly_threshold_validated",
        run: anomaly_threshold,
    },
    Test {
        name: "hardware_features_reported_honestly",
        run: hardware,
    },
    Test {
        name: "tcp_monitor_prints_filtered_events",
        run: monitor,
    },
    Test {
        name: "tcp_policy_stats_prints_counters",
        run: policy_stats,
    },
];

fn read(name: &str) -> Result<String, String> {
    fs::read_to_string(path(name)).map_err(|e| format!("read {name}: {e}"))
}

fn set_mode(mode: &str) -> Outcome {
    fs::write(path("mode"), mode).map_err(|e| format!("mode {mode}: {e}"))
}

/// The counters, by name.
fn stats() -> Result<HashMap<String, u64>, String> {
    let text = read("stats")?;
    let counters = tcp_lsm_cli::parse_stats(&text).map_err(|e| format!("stats: {e:?}"))?;
    Ok(counters.into_iter().collect())
}

/// How much each counter grew between `before` and `after`.
fn delta(before: &HashMap<String, u64>, after: &HashMap<String, u64>, name: &str) -> u64 {
    after
        .get(name)
        .copied()
        .unwrap_or(0)
        .wrapping_sub(before.get(name).copied().unwrap_or(0))
}

/// Asserts that `e` has every `(field, value)` of `want`.
fn has_fields(e: &HashMap<String, String>, want: &[(&str, &str)], what: &str) -> Outcome {
    for (k, v) in want {
        ensure_eq(
            e.get(*k).map(String::as_str),
            Some(*v),
            &format!("{what}: field {k}"),
        )?;
    }
    Ok(())
}

/// An event's fields by name.
type Fields = HashMap<String, String>;
/// The counters by name.
type Counters = HashMap<String, u64>;

/// The kernel command line's `tcp_lsm.NAME=` value, if given.
fn boot_value(name: &str) -> Option<String> {
    let cmdline = fs::read_to_string("/proc/cmdline").unwrap_or_default();
    let key = format!("tcp_lsm.{name}=");
    cmdline
        .split_whitespace()
        .filter_map(|w| w.strip_prefix(&key))
        .next_back()
        .map(str::to_owned)
}

/// Whether denials are audited (not booted with `tcp_lsm.audit=0`).
fn audit_on() -> bool {
    boot_value("audit").as_deref() != Some("0")
}

/// The kernel log.
fn kernel_log() -> Result<String, String> {
    let out = Command::new("/bin/busybox")
        .arg("dmesg")
        .output()
        .map_err(|e| format!("dmesg: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn boot_parameters() -> Outcome {
    // Each parameter given with a bad value leaves its default and one warning line.
    let log = kernel_log()?;
    let mut bad = 0;
    for (name, valid) in [
        ("enabled", &["0", "1"][..]),
        ("mode", &["monitor", "alert", "enforce"][..]),
        ("audit", &["0", "1"][..]),
        ("hardware", &["0", "1"][..]),
    ] {
        let Some(value) = boot_value(name) else {
            continue;
        };
        let warned = log
            .lines()
            .filter(|l| l.contains(&format!("tcp_lsm.{name}=")) && l.contains("is not valid"))
            .count();
        let expected = usize::from(!valid.contains(&value.as_str()));
        bad += expected;
        ensure_eq(
            warned,
            expected,
            &format!("warnings for tcp_lsm.{name}={value}"),
        )?;
    }
    // The mode in force is the parameter's when valid, else the default (enforce)...
    let mode = match boot_value("mode").as_deref() {
        Some(m @ ("monitor" | "alert" | "enforce")) => m.to_owned(),
        _ => "enforce".to_owned(),
    };
    // ... unless a policy was loaded since (the setup test's says `mode enforce;`).
    let loaded = read("generation")?.trim() != "0";
    let now = if loaded { "enforce" } else { mode.as_str() };
    ensure_eq(
        read("mode")?.trim().to_owned(),
        now.to_owned(),
        &format!("mode now (policy loaded: {loaded})"),
    )?;
    let booted = log
        .lines()
        .find(|l| l.contains("LSM initialised"))
        .ok_or("no initialisation line in the kernel log")?;
    ensure(
        booted.contains(&format!("mode {mode},")),
        format!("initialised with mode {mode}: {booted}"),
    )?;
    ensure(
        booted.contains(if audit_on() { "audit on" } else { "audit off" }),
        format!("audit {}: {booted}", audit_on()),
    )?;
    println!("# boot parameters checked ({bad} bad values)");
    Ok(())
}

fn stats_counts() -> Outcome {
    drain_events()?;
    let before = stats()?;
    for name in [
        "decision.file.denied",
        "decision.net.allowed",
        "cache.hits",
        "events.dropped",
        "audit.dropped",
    ] {
        ensure(before.contains_key(name), format!("stats has no {name}"))?;
    }
    fs::write("/tmp/work/counted", "x").map_err(|e| e.to_string())?;
    expect(&["read", "/etc/passwd"], "errno=EACCES")?;
    expect(&["read", "/tmp/work/counted"], "ok")?;
    // A policy load and a rejected one.
    let current = fs::read(path("policy")).map_err(|e| e.to_string())?;
    crate::helpers::policy_load::load(&current).map_err(|e| format!("reload: {e}"))?;
    let mut corrupt = current.clone();
    if let Some(b) = corrupt.last_mut() {
        *b ^= 1;
    }
    ensure(
        crate::helpers::policy_load::load(&corrupt).is_err(),
        "a corrupted policy loaded",
    )?;
    let after = stats()?;
    let (events, _) = drain_events()?;
    ensure_eq(
        delta(&before, &after, "decision.file.denied"),
        1,
        &format!("file denials counted (events {events:?})"),
    )?;
    ensure(
        delta(&before, &after, "decision.file.allowed") >= 1,
        "file allows counted",
    )?;
    ensure_eq(delta(&before, &after, "policy.loads"), 1, "loads counted")?;
    ensure_eq(
        delta(&before, &after, "policy.rejected"),
        1,
        "rejected loads counted",
    )?;
    // Anyone may read the counters.
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(path("stats"))
        .map_err(|e| e.to_string())?
        .permissions()
        .mode()
        & 0o777;
    ensure_eq(mode, 0o444, "stats file mode")
}

/// Starts the audit collector (the unconfined probe as the audit daemon). It collects
/// until `collected` closes its standard input, then until kauditd has been quiet for two
/// seconds, however slow the kernel: no fixed window to outrun.
fn audit_collector() -> Result<(std::process::Child, BufReader<std::process::ChildStdout>), String>
{
    let mut child = Command::new("/tmp/tcp-probe-unconfined")
        .args(["audit-collect", "1400"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("audit collector: {e}"))?;
    let mut out = BufReader::new(child.stdout.take().ok_or("no collector stdout")?);
    let mut line = String::new();
    loop {
        line.clear();
        if out.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
            return Err("the audit collector ended before it was ready".to_owned());
        }
        if line.trim() == "ready" {
            return Ok((child, out));
        }
        ensure(
            line.starts_with("audit-lost-start="),
            format!("collector: {line}"),
        )?;
    }
}

/// The `key=value` fields of an AVC record's text (after `audit(...): `): quoted values
/// unquoted, unquoted values of string fields decoded from the hex the audit subsystem
/// writes for strings with spaces, quotes or other bytes (as `ausearch -i` does).
fn avc_fields(text: &str) -> Result<Vec<(String, String)>, String> {
    const STRINGS: &[&str] = &[
        "tcp",
        "operation",
        "class",
        "requested",
        "tcp_mode",
        "domain",
        "name",
        "object",
        "laddr",
        "daddr",
        "reason",
        "comm",
    ];
    let mut fields = Vec::new();
    let mut rest = text.trim_end();
    while !rest.is_empty() {
        let (key, after) = rest
            .split_once('=')
            .ok_or_else(|| format!("field without '=' in {text:?}"))?;
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let (v, n) = quoted
                .split_once('"')
                .ok_or_else(|| format!("unterminated quote in {text:?}"))?;
            (v.to_owned(), n)
        } else {
            let (v, n) = after.split_once(' ').unwrap_or((after, ""));
            let v = if STRINGS.contains(&key) {
                let bytes = (0..v.len())
                    .step_by(2)
                    .map(|i| v.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
                    .collect::<Option<Vec<u8>>>()
                    .ok_or_else(|| format!("{key}={v}: neither quoted nor hex in {text:?}"))?;
                String::from_utf8_lossy(&bytes).into_owned()
            } else {
                v.to_owned()
            };
            (v, n)
        };
        fields.push((key.to_owned(), value));
        rest = next.trim_start();
    }
    Ok(fields)
}

/// One of our AVC records as the fields of the matching event (`op`, `perms`, `mode`,
/// `decision`, `object`, `errno`, `seq`), so that one check serves both; `None` for
/// another module's AVC record. The record's own names are kept too.
fn avc_as_event(text: &str) -> Result<Option<HashMap<String, String>>, String> {
    if !text.starts_with("tcp=") {
        return Ok(None);
    }
    let avc: HashMap<String, String> = avc_fields(text)?.into_iter().collect();
    let get = |k: &str| avc.get(k).cloned().unwrap_or_default();
    let mut e = avc.clone();
    let decision = match get("tcp").as_str() {
        "DENIED" => "deny",
        "ALLOWED" => "allow",
        other => return Err(format!("tcp={other:?} in {text:?}")),
    };
    e.insert("decision".into(), decision.into());
    e.insert("op".into(), get("operation"));
    e.insert("perms".into(), get("requested"));
    e.insert("mode".into(), get("tcp_mode"));
    e.insert("seq".into(), get("tcp_seq"));
    e.insert("class".into(), get("tclass"));
    let object = if let Some(name) = avc.get("name").or_else(|| avc.get("object")) {
        name.clone()
    } else {
        let (addr, port) = match (avc.get("daddr"), avc.get("laddr")) {
            (Some(a), _) => (a.clone(), get("dport")),
            (None, Some(a)) => (a.clone(), get("lport")),
            (None, None) => return Err(format!("no object field in {text:?}")),
        };
        if addr.contains(':') {
            format!("[{addr}]:{port}")
        } else {
            format!("{addr}:{port}")
        }
    };
    e.insert("object".into(), object);
    let errno = match get("error").as_str() {
        "-1" => "EPERM".to_owned(),
        "-13" => "EACCES".to_owned(),
        other => format!("E{}", other.trim_start_matches('-')),
    };
    e.insert("errno".into(), errno);
    Ok(Some(e))
}

/// The collector's records (our AVC records, as [`avc_as_event`] reads them, with their
/// raw text under `raw`) and the audit loss counter's growth.
fn collected(
    mut child: std::process::Child,
    out: BufReader<std::process::ChildStdout>,
) -> Result<(Vec<HashMap<String, String>>, u64), String> {
    // End of input: the audited operations are done; the collector drains and reports.
    drop(child.stdin.take());
    let mut records = Vec::new();
    let mut lost_end = None;
    for line in out.lines() {
        let line = line.map_err(|e| e.to_string())?;
        if let Some(n) = line.strip_prefix("audit-lost-end=") {
            lost_end = Some(n.parse::<u64>().map_err(|_| format!("collector: {line}"))?);
        } else if let Some((_, text)) = line.split_once("): ") {
            if let Some(mut record) = avc_as_event(text)? {
                record.insert("raw".into(), text.to_owned());
                records.push(record);
            }
        }
    }
    let _ = child.wait();
    let lost_end = lost_end.ok_or("the collector did not report the audit loss counter")?;
    Ok((records, lost_end))
}

fn denied_records() -> Outcome {
    drain_events()?;
    let (collector, out) = audit_collector()?;
    expect(&["read", "/etc/passwd"], "errno=EACCES")?;
    expect(&["connect4", "127.0.0.1", "8081"], "errno=EACCES")?;
    expect(&["exec", "/bin/busybox", "true"], "errno=EACCES")?;
    let (events, lost) = drain_events()?;
    ensure_eq(lost, 0, "events lost")?;
    let (records, _) = collected(collector, out)?;
    if !audit_on() {
        // Booted with tcp_lsm.audit=0: events only.
        ensure(
            records.is_empty(),
            format!("audit records with tcp_lsm.audit=0: {records:?}"),
        )?;
    }
    let common = [
        ("decision", "deny"),
        ("mode", "enforce"),
        ("domain", "agent"),
        ("comm", "tcp-probe"),
    ];
    let sources: &[(&str, &Vec<Fields>)] = if audit_on() {
        &[("event", &events), ("audit record", &records)]
    } else {
        &[("event", &events)]
    };
    for &(source, list) in sources {
        let open = find(list, "file_open", "/etc/passwd")?;
        has_fields(open, &common, source)?;
        has_fields(
            open,
            &[("class", "file"), ("perms", "read"), ("errno", "EACCES")],
            source,
        )?;
        ensure(
            open.get("pid")
                .is_some_and(|p| p.parse::<u32>().is_ok_and(|p| p > 1)),
            format!("{source}: pid"),
        )?;
        let connect = find(list, "socket_connect", "127.0.0.1:8081")?;
        has_fields(connect, &common, source)?;
        has_fields(
            connect,
            &[("class", "net"), ("perms", "connect"), ("errno", "EACCES")],
            source,
        )?;
        let exec = find(list, "file_open", "/bin/busybox")?;
        has_fields(exec, &common, source)?;
        has_fields(
            exec,
            &[("class", "file"), ("perms", "execute"), ("errno", "EACCES")],
            source,
        )?;
        // Sequence numbers start at 1 (0 is never given).
        let seq: u64 = open.get("seq").and_then(|s| s.parse().ok()).ok_or("seq")?;
        ensure(seq > 0, "sequence numbers start at 1")?;
        for e in [open, connect, exec] {
            has_fields(e, &[("reason", "rule")], source)?;
        }
    }
    if audit_on() {
        // The records as auditd gets them: an AVC record in auditd's conventions (quoted
        // strings, standard names, ours where a standard one would be misread) and in the
        // order ausearch parses an AVC record in: the helper's pid and comm, then the
        // object, `tclass` last (without it ausearch skips the record as malformed).
        let raw = |e: &HashMap<String, String>| e.get("raw").cloned().unwrap_or_default();
        let open = raw(find(&records, "file_open", "/etc/passwd")?);
        let (head, tail) = open.split_once(" comm=\"tcp-probe\" ").unwrap_or_default();
        ensure(
            head.starts_with(
                "tcp=\"DENIED\" operation=\"file_open\" requested=\"read\" \
                 tcp_mode=\"enforce\" domain=\"agent\" pid=",
            ) && tail.starts_with("name=\"/etc/passwd\" reason=\"rule\" error=-13 tcp_seq=")
                && tail.ends_with(" tclass=file"),
            format!("the open's AVC record: {open}"),
        )?;
        let connect = raw(find(&records, "socket_connect", "127.0.0.1:8081")?);
        ensure(
            connect.contains(" daddr=\"127.0.0.1\" dport=8081 reason=\"rule\" error=-13 ")
                && connect.ends_with(" tclass=net"),
            format!("the connect's AVC record: {connect}"),
        )?;
    }
    Ok(())
}

fn modes() -> Outcome {
    // The same three operations in each mode: a denied open, connect and exec.
    let ops: [&[&str]; 3] = [
        &["read", "/etc/passwd"],
        &["connect4", "127.0.0.1", "8081"],
        &["exec", "/bin/busybox", "true"],
    ];
    let run = |mode: &str| -> Result<(Vec<String>, Counters, Vec<Fields>), String> {
        set_mode(mode)?;
        drain_events()?;
        let before = stats()?;
        let reports: Result<Vec<String>, String> = ops.iter().map(|op| probe(op)).collect();
        set_mode("enforce")?;
        let after = stats()?;
        let (events, _) = drain_events()?;
        let mut deltas: Counters = [
            "file.denied",
            "file.would_deny",
            "net.denied",
            "net.would_deny",
        ]
        .into_iter()
        .map(|n| {
            (
                n.to_owned(),
                delta(&before, &after, &format!("decision.{n}")),
            )
        })
        .collect();
        let all_would = after
            .keys()
            .filter(|k| k.ends_with(".would_deny"))
            .map(|k| delta(&before, &after, k))
            .sum();
        deltas.insert("all.would_deny".to_owned(), all_would);
        Ok((reports?, deltas, events))
    };
    let counts = |d: &Counters| {
        (
            d["file.denied"],
            d["file.would_deny"],
            d["net.denied"],
            d["net.would_deny"],
        )
    };
    // enforce: refused, counted as denied, reported as denied.
    let (reports, d, events) = run("enforce")?;
    ensure_eq(
        reports,
        vec!["errno=EACCES".to_owned(); 3],
        "enforce: the operations",
    )?;
    ensure_eq(
        counts(&d),
        (2, 0, 1, 0),
        "enforce: counters (file, file, net, net)",
    )?;
    for (op, object) in [
        ("file_open", "/etc/passwd"),
        ("socket_connect", "127.0.0.1:8081"),
        ("file_open", "/bin/busybox"),
    ] {
        has_fields(
            find(&events, op, object)?,
            &[("decision", "deny"), ("mode", "enforce")],
            "enforce",
        )?;
    }
    // alert: allowed, counted as would-deny, reported as allowed. Each read through the
    // opened descriptor is decided again, and the exec of busybox asks for `execute` at
    // the open and again when exec reads and maps the program.
    let allowed = vec![
        "ok".to_owned(),
        "errno=ECONNREFUSED".to_owned(),
        String::new(),
    ];
    let (reports, d, events) = run("alert")?;
    ensure_eq(reports, allowed.clone(), "alert: the operations")?;
    let (file_denied, file_would, net_denied, net_would) = counts(&d);
    ensure_eq(
        (file_denied, net_denied, net_would),
        (0, 0, 1),
        "alert: denied and net counters",
    )?;
    ensure(
        file_would >= 3,
        format!("alert: file would_deny {file_would}"),
    )?;
    let classes: Vec<&str> = events
        .iter()
        .filter_map(|e| e.get("class").map(String::as_str))
        .collect();
    ensure_eq(
        events.len() as u64,
        d["all.would_deny"],
        &format!("alert: one event per would-be denial ({classes:?})"),
    )?;
    for (op, object) in [
        ("file_open", "/etc/passwd"),
        ("socket_connect", "127.0.0.1:8081"),
        ("file_open", "/bin/busybox"),
    ] {
        has_fields(
            find(&events, op, object)?,
            &[
                ("decision", "allow"),
                ("mode", "alert"),
                ("errno", "EACCES"),
            ],
            "alert",
        )?;
    }
    // monitor: allowed and counted as in alert, not reported.
    let (reports, d, events) = run("monitor")?;
    ensure_eq(reports, allowed, "monitor: the operations")?;
    ensure_eq(counts(&d), (0, file_would, 0, 1), "monitor: counters")?;
    ensure(
        events.is_empty(),
        format!("monitor mode queued events: {events:?}"),
    )
}

fn domain_mode() -> Outcome {
    // Domain `rollout` has `mode alert;` while the global mode is enforce.
    ensure_eq(
        read("mode")?.trim().to_owned(),
        "enforce".to_owned(),
        "global mode",
    )?;
    drain_events()?;
    ensure_eq(
        probe_in("rollout", &["read", "/etc/passwd"])?,
        "ok".to_owned(),
        "read in domain rollout",
    )?;
    let (events, _) = drain_events()?;
    has_fields(
        find(&events, "file_open", "/etc/passwd")?,
        &[
            ("decision", "allow"),
            ("mode", "alert"),
            ("domain", "rollout"),
        ],
        "rollout",
    )?;
    // And `agent` still enforces.
    expect(&["read", "/etc/passwd"], "errno=EACCES")
}

fn enforce_file() -> Outcome {
    let write = |v: &str| fs::write(path("enforce"), v);
    ensure_eq(
        read("enforce")?,
        "1\n".to_owned(),
        "enforce in enforce mode",
    )?;
    write("0\n").map_err(|e| e.to_string())?;
    ensure_eq(
        (read("enforce")?, read("mode")?),
        ("0\n".to_owned(), "alert\n".to_owned()),
        "after writing 0",
    )?;
    expect(&["read", "/etc/passwd"], "ok")?;
    // Bad values change nothing.
    for bad in ["2", "yes", "1 1", "01", "\n"] {
        let r = write(bad);
        ensure_eq(
            errno_of(&r),
            Some(nix::errno::Errno::EINVAL),
            &format!("enforce <- {bad:?}"),
        )?;
    }
    ensure_eq(read("mode")?, "alert\n".to_owned(), "mode after bad writes")?;
    set_mode("monitor")?;
    write("0").map_err(|e| e.to_string())?;
    ensure_eq(
        read("mode")?,
        "monitor\n".to_owned(),
        "0 leaves monitor as it is",
    )?;
    write("1").map_err(|e| e.to_string())?;
    ensure_eq(
        (read("enforce")?, read("mode")?),
        ("1\n".to_owned(), "enforce\n".to_owned()),
        "after writing 1",
    )?;
    expect(&["read", "/etc/passwd"], "errno=EACCES")
}

fn cache_and_reload() -> Outcome {
    fs::write("/tmp/work/cached", "x").map_err(|e| e.to_string())?;
    // Warm the cache with everything one probe run decides.
    for _ in 0..2 {
        expect(&["read", "/tmp/work/cached"], "ok")?;
    }
    let before = stats()?;
    expect(&["read", "/tmp/work/cached"], "ok")?;
    let after = stats()?;
    ensure(
        delta(&before, &after, "cache.hits") >= 2,
        "a warm run hit the cache (open and read)",
    )?;
    ensure_eq(
        delta(&before, &after, "cache.misses"),
        0,
        "misses in a warm run",
    )?;
    // A policy without `read` on the type: the very next read is refused, warm cache or not.
    let text = crate::helpers::fixture::policy_text()?;
    let narrowed = text.replace("allow file work { read write", "allow file work { write");
    ensure(narrowed != text, "the policy text changed")?;
    crate::helpers::fixture::load_policy(&narrowed)?;
    let refused = expect(&["read", "/tmp/work/cached"], "errno=EACCES");
    crate::helpers::fixture::load_policy(&text)?;
    refused?;
    expect(&["read", "/tmp/work/cached"], "ok")
}

fn event_flood() -> Outcome {
    drain_events()?;
    let before = stats()?;
    // Far more denials than the queue holds (256), nobody reading meanwhile.
    expect(&["flood", "1000", "/etc/passwd"], "denied=1000")?;
    let (events, lost) = drain_events()?;
    let after = stats()?;
    let mine = events
        .iter()
        .filter(|e| e.get("object").map(String::as_str) == Some("/etc/passwd"))
        .count() as u64;
    ensure_eq(mine, events.len() as u64, "only the flood's events")?;
    ensure_eq(mine + lost, 1000, "events read + lost reported")?;
    ensure(lost > 0, "the flood did not overflow the queue")?;
    ensure_eq(
        delta(&before, &after, "events.dropped"),
        lost,
        "events.dropped",
    )?;
    ensure_eq(
        delta(&before, &after, "events.queued"),
        mine,
        "events.queued",
    )?;
    // Sequence numbers are consecutive apart from the dropped ones.
    let seqs: Vec<u64> = events
        .iter()
        .filter_map(|e| e.get("seq")?.parse().ok())
        .collect();
    ensure(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "sequence numbers increase",
    )?;
    Ok(())
}

fn audit_flood() -> Outcome {
    let (collector, out) = audit_collector()?;
    let before = stats()?;
    // Floods of 1000 denials until one passes the rate limit (a burst of 200, then 100 a
    // second): a slow guest may need more than one; the accounting must be exact anyway.
    let mut floods = 0u64;
    let started = std::time::Instant::now();
    let after = loop {
        expect(&["flood", "1000", "/etc/passwd"], "denied=1000")?;
        floods += 1;
        let now = stats()?;
        if floods == 5 || !audit_on() || delta(&before, &now, "audit.dropped") > 0 {
            break now;
        }
    };
    let (records, _) = collected(collector, out)?;
    let records = records
        .iter()
        .filter(|r| r.get("object").map(String::as_str) == Some("/etc/passwd"))
        .count() as u64;
    let emitted = delta(&before, &after, "audit.records");
    let dropped = delta(&before, &after, "audit.dropped");
    if !audit_on() {
        ensure_eq(
            (records, emitted, dropped),
            (0, 0, 0),
            "audit records with tcp_lsm.audit=0",
        )?;
        drain_events()?;
        return Ok(());
    }
    ensure_eq(
        emitted + dropped,
        1000 * floods,
        "audit.records + audit.dropped",
    )?;
    // The limit refills 100 tokens a second: a guest so slowed down (a loaded host) that
    // its floods run below 150 denials a second may never empty it; then only the exact
    // accounting is checked.
    let rate = (1000 * floods) as f64 / started.elapsed().as_secs_f64();
    ensure(
        dropped > 0 || rate < 150.0,
        format!(
            "{floods} floods of 1000 in {:?} ({rate:.0} denials/s) did not reach the audit \
             rate limit ({emitted} records emitted, {records} received)",
            started.elapsed()
        ),
    )?;
    ensure_eq(records, emitted, "records received by the audit daemon")?;
    drain_events()?;
    Ok(())
}

fn events_access() -> Outcome {
    // A confined task cannot read the decisions, whatever the policy says.
    expect(&["read", &path("events")], "errno=EPERM")?;
    // Reads must offer room for a whole line.
    let mut f = fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
        .open(path("events"))
        .map_err(|e| e.to_string())?;
    let mut small = [0u8; 100];
    ensure_eq(
        errno_of(&f.read(&mut small)),
        Some(nix::errno::Errno::EINVAL),
        "read with a 100-byte buffer",
    )?;
    // Nothing queued: a non-blocking read says so.
    drain_events()?;
    let mut big = vec![0u8; 8192];
    ensure_eq(
        errno_of(&f.read(&mut big)),
        Some(nix::errno::Errno::EAGAIN),
        "non-blocking read of an empty queue",
    )?;
    // A blocking read waits for the next denial.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 8192];
        let got = fs::File::open(path("events"))
            .and_then(|mut f| f.read(&mut buf))
            .map(|n| buf[..n].to_vec());
        let _ = tx.send(got);
    });
    let wait = std::time::Duration::from_millis(500);
    ensure(
        rx.recv_timeout(wait).is_err(),
        "a blocking read of an empty queue returned",
    )?;
    expect(&["read", "/etc/passwd"], "errno=EACCES")?;
    let got = rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .map_err(|_| "the blocking read did not wake up")?;
    let line = String::from_utf8_lossy(&got.map_err(|e| e.to_string())?).into_owned();
    ensure(
        line.contains("object=/etc/passwd"),
        format!("blocking read got {line:?}"),
    )?;
    // Writing is refused.
    ensure(
        fs::write(path("events"), "x").is_err(),
        "events accepted a write",
    )
}

fn anomaly_threshold() -> Outcome {
    let write = |v: &str| fs::write(path("anomaly_threshold"), v);
    ensure_eq(read("anomaly_threshold")?, "2\n".to_owned(), "default")?;
    write("5\n").map_err(|e| e.to_string())?;
    ensure_eq(
        read("anomaly_threshold")?,
        "5\n".to_owned(),
        "after writing 5",
    )?;
    for bad in [
        "0",
        "-1",
        "1000001",
        "abc",
        "\n",
        "+3",
        " 4",
        "99999999999999999999",
    ] {
        let r = write(bad);
        ensure_eq(
            errno_of(&r),
            Some(nix::errno::Errno::EINVAL),
            &format!("anomaly_threshold <- {bad:?}"),
        )?;
    }
    ensure_eq(
        read("anomaly_threshold")?,
        "5\n".to_owned(),
        "after refused writes",
    )?;
    write("1000000").map_err(|e| e.to_string())?;
    write("2").map_err(|e| e.to_string())?;
    // Confined tasks cannot change it.
    expect(&["write", &path("anomaly_threshold")], "errno=EPERM")
}

fn hardware() -> Outcome {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").map_err(|e| e.to_string())?;
    let flags: Vec<&str> = cpuinfo
        .lines()
        .find(|l| l.starts_with("flags"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, f)| f.split_whitespace().collect())
        .unwrap_or_default();
    let hardware_on = boot_value("hardware").as_deref() != Some("0");
    for (file, flag) in [
        ("cet_shstk", "user_shstk"),
        ("intel_pt", "intel_pt"),
        ("pku", "pku"),
    ] {
        let name = format!("hardware/{file}");
        let has = flags.contains(&flag) || (file == "cet_shstk" && flags.contains(&"shstk"));
        ensure_eq(
            read(&name)?,
            format!("supported={} enabled=0\n", u8::from(has)),
            &name,
        )?;
        let r = fs::write(path(&name), "1");
        if has && hardware_on {
            r.map_err(|e| format!("{name} <- 1: {e}"))?;
            ensure_eq(read(&name)?, "supported=1 enabled=1\n".to_owned(), &name)?;
            fs::write(path(&name), "0").map_err(|e| e.to_string())?;
        } else {
            ensure_eq(
                errno_of(&r),
                Some(nix::errno::Errno::EOPNOTSUPP),
                &format!("{name} <- 1 (supported {has})"),
            )?;
        }
        ensure_eq(
            errno_of(&fs::write(path(&name), "on")),
            Some(nix::errno::Errno::EINVAL),
            &format!("{name} <- on"),
        )?;
        println!(
            "# {name}: cpu flag {flag} {}",
            if has { "present" } else { "absent" }
        );
    }
    Ok(())
}

fn monitor() -> Outcome {
    drain_events()?;
    expect(&["read", "/etc/passwd"], "errno=EACCES")?;
    expect(&["connect4", "127.0.0.1", "8081"], "errno=EACCES")?;
    let out = Command::new("/bin/tcp-monitor")
        .args(["--json", "--filter", "decision=deny and class=net"])
        .output()
        .map_err(|e| format!("tcp-monitor: {e}"))?;
    ensure(
        out.status.success(),
        format!(
            "tcp-monitor failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
    )?;
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    ensure_eq(lines.len(), 1, &format!("tcp-monitor output {text:?}"))?;
    ensure(
        lines[0].contains("\"object\":\"127.0.0.1:8081\""),
        format!("json line {}", lines[0]),
    )?;
    // --realtime waits for the next event.
    let child = Command::new("/bin/tcp-monitor")
        .args(["--realtime", "--count", "1", "--filter", "object=/tmp/ro/b"])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("tcp-monitor: {e}"))?;
    std::thread::sleep(std::time::Duration::from_millis(300));
    expect(&["write", "/tmp/ro/b"], "errno=EACCES")?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout);
    ensure(
        out.status.success() && text.contains("/tmp/ro/b") && text.contains("DENY"),
        format!("realtime output {text:?}"),
    )?;
    // A malformed filter is refused.
    let bad = Command::new("/bin/tcp-monitor")
        .args(["--filter", "colour=red"])
        .output()
        .map_err(|e| e.to_string())?;
    ensure_eq(
        bad.status.code(),
        Some(2),
        "exit status for a malformed filter",
    )
}

fn policy_stats() -> Outcome {
    let out = Command::new("/bin/tcp-policy")
        .args(["stats"])
        .output()
        .map_err(|e| format!("tcp-policy: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    ensure(
        out.status.success(),
        format!(
            "tcp-policy stats failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
    )?;
    let denied = stats()?.get("decision.file.denied").copied().unwrap_or(0);
    ensure(denied > 0, "no file denial counted")?;
    ensure(
        text.lines().any(|l| {
            l.split_whitespace().collect::<Vec<_>>()
                == ["decision.file.denied", &denied.to_string()]
        }),
        format!("tcp-policy stats output {text:?}"),
    )
}
