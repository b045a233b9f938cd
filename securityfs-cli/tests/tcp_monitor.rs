//! Runs the built `tcp-monitor` against a temporary directory holding a fake `events` file
//! (a regular file, or a FIFO standing in for the kernel's blocking file).

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use tcp_lsm_engine::event::{write_lost_line, Event, Outcome, Reason, Text};
use tcp_lsm_engine::mode::Mode;
use tcp_lsm_engine::perm::Class;

const MONITOR: &str = env!("CARGO_BIN_EXE_tcp-monitor");

/// One event line as the kernel writes it.
fn line(
    seq: u64,
    class: Class,
    perms: u64,
    outcome: Outcome,
    domain: &str,
    object: &str,
) -> String {
    let event = Event {
        seq,
        time_ns: seq * 1_500_000_000 + 123_456_789,
        op: Text::new(if class == Class::Net {
            b"socket_connect"
        } else {
            b"file_open"
        }),
        class,
        perms,
        outcome,
        mode: if outcome == Outcome::Deny {
            Mode::Enforce
        } else {
            Mode::Alert
        },
        domain: Text::new(domain.as_bytes()),
        object: Text::new(object.as_bytes()),
        pid: 100 + seq as u32,
        comm: Text::new(b"cat"),
        errno: 13,
        reason: Reason::Rule,
    };
    let mut s = String::new();
    event.write_line(&mut s).expect("format");
    s.push('\n');
    s
}

fn lost(count: u64) -> String {
    let mut s = String::new();
    write_lost_line(&mut s, count).expect("format");
    s.push('\n');
    s
}

/// Six events and a lost line.
fn sample() -> String {
    [
        line(1, Class::File, 0b01, Outcome::Deny, "agent", "/etc/shadow"),
        line(
            2,
            Class::Net,
            0b10,
            Outcome::Deny,
            "agent",
            "inet:10.0.0.1:443",
        ),
        lost(3),
        line(
            6,
            Class::Net,
            0b10,
            Outcome::Allow,
            "other",
            "inet:10.0.0.2:80",
        ),
        line(
            7,
            Class::Net,
            0b10,
            Outcome::Deny,
            "third",
            "inet:10.0.0.3:22",
        ),
        line(8, Class::File, 0b11, Outcome::Allow, "other", "/tmp/a b"),
        line(9, Class::File, 0b10, Outcome::Deny, "agent", "/var/log/x"),
    ]
    .concat()
}

/// A fake securityfs: `tcp/` (with `events` when given) and an LSM list naming tcp.
struct Fake {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    lsm: PathBuf,
}

impl Fake {
    fn new(events: Option<&str>, lsms: &str) -> Fake {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("tcp");
        fs::create_dir(&dir).expect("mkdir");
        if let Some(events) = events {
            fs::write(dir.join("events"), events).expect("write events");
        }
        let lsm = tmp.path().join("lsm");
        fs::write(&lsm, lsms).expect("write lsm");
        Fake {
            _tmp: tmp,
            dir,
            lsm,
        }
    }

    fn with(events: &str) -> Fake {
        Fake::new(Some(events), "capability,tcp\n")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(MONITOR);
        cmd.arg("--dir")
            .arg(&self.dir)
            .arg("--lsm-list")
            .arg(&self.lsm)
            .args(args);
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run tcp-monitor")
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("utf-8 output")
}

/// The `seq=` of each readable output line.
fn seqs(stdout: &[u8]) -> Vec<u64> {
    text(stdout)
        .lines()
        .map(|l| {
            l.rsplit_once(" seq=")
                .and_then(|(_, s)| s.parse().ok())
                .unwrap_or_else(|| panic!("no seq in {l:?}"))
        })
        .collect()
}

fn wait_with_timeout(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("tcp-monitor did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn stderr_of(child: &mut Child) -> String {
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        e.read_to_string(&mut err).expect("read stderr");
    }
    err
}

#[test]
fn snapshot_prints_every_event_readably() {
    let fake = Fake::with(&sample());
    let out = fake.run(&[]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(seqs(&out.stdout), [1, 2, 6, 7, 8, 9]);
    let stdout = text(&out.stdout);
    let first = stdout.lines().next().expect("a line");
    assert_eq!(
        first,
        "[    1.623456] DENY  enforce agent file_open file{read} /etc/shadow pid=101 comm=cat errno=EACCES reason=rule seq=1"
    );
    assert!(
        stdout.contains("ALLOW alert   other file_open file{read,write} /tmp/a\\x20b pid=108"),
        "{stdout}"
    );
    assert_eq!(
        text(&out.stderr),
        "tcp-monitor: 3 events dropped by the kernel (queue full)\n"
    );
}

#[test]
fn filter_selects_events() {
    let fake = Fake::with(&sample());
    let cases: &[(&[&str], &[u64])] = &[
        (&["--filter", "decision=deny"], &[1, 2, 7, 9]),
        (&["--filter=decision=deny"], &[1, 2, 7, 9]),
        (
            &["--filter", "class=net and (domain=agent or domain=other)"],
            &[2, 6],
        ),
        (
            &["--filter", "class=net and domain=agent or domain=other"],
            &[2, 6, 8],
        ),
        (&["--filter", "perms=write and class=file"], &[8, 9]),
        (
            &["--filter", "decision!=deny and object=\"/tmp/a b\""],
            &[8],
        ),
        (&["--filter", "object=/tmp/a\\x20b"], &[8]),
        (&["--filter", "domain=nobody"], &[]),
    ];
    for (args, expected) in cases {
        let out = fake.run(args);
        assert!(out.status.success(), "{args:?}: {out:?}");
        assert_eq!(seqs(&out.stdout), *expected, "{args:?}");
        // Lost events are reported whatever the filter.
        assert!(
            text(&out.stderr).contains("3 events dropped"),
            "{args:?}: {out:?}"
        );
    }
}

#[test]
fn json_prints_one_object_per_line() {
    let fake = Fake::with(&sample());
    let out = fake.run(&["--json", "--filter", "domain=other or seq=1"]);
    assert!(out.status.success(), "{out:?}");
    let values: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    assert_eq!(values.len(), 4, "{values:?}");
    let first = values.first().expect("first");
    assert_eq!(first.get("seq"), Some(&serde_json::json!(1)));
    assert_eq!(
        first.get("time"),
        Some(&serde_json::json!(1_623_456_789u64))
    );
    assert_eq!(first.get("pid"), Some(&serde_json::json!(101)));
    assert_eq!(first.get("perms"), Some(&serde_json::json!("read")));
    assert_eq!(first.get("errno"), Some(&serde_json::json!("EACCES")));
    assert_eq!(first.as_object().map(|o| o.len()), Some(13));
    assert_eq!(values.get(1), Some(&serde_json::json!({ "lost": 3 })));
    assert_eq!(
        values.get(3).and_then(|v| v.get("object")),
        Some(&serde_json::json!("/tmp/a b"))
    );
    assert!(text(&out.stderr).contains("3 events dropped"), "{out:?}");
}

#[test]
fn count_stops_after_n_matching_events() {
    let fake = Fake::with(&sample());
    for mode in [None, Some("--realtime")] {
        let mut args = vec!["--count", "2", "--filter", "class=net"];
        args.extend(mode);
        let out = fake.run(&args);
        assert!(out.status.success(), "{out:?}");
        assert_eq!(seqs(&out.stdout), [2, 6], "{args:?}");
    }
    let out = fake.run(&["--count", "0"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

#[test]
fn realtime_ends_at_the_end_of_a_regular_file() {
    let fake = Fake::with(&sample());
    let out = fake.run(&["--realtime"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(seqs(&out.stdout), [1, 2, 6, 7, 8, 9]);
}

#[test]
fn lost_lines_are_reported_on_stderr() {
    let fake = Fake::with(
        &[
            lost(1),
            line(1, Class::File, 1, Outcome::Deny, "a", "/x"),
            lost(250),
        ]
        .concat(),
    );
    let out = fake.run(&["--filter", "domain=b"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(text(&out.stdout), "");
    assert_eq!(
        text(&out.stderr),
        "tcp-monitor: 1 events dropped by the kernel (queue full)\n\
         tcp-monitor: 250 events dropped by the kernel (queue full)\n"
    );
}

#[test]
fn malformed_filter_exits_2_with_the_position() {
    let fake = Fake::with(&sample());
    let cases: &[(&str, &str)] = &[
        ("class=net and (domain=agent", "column 28"),
        (
            "colour=red",
            "unknown field \"colour\"; the fields are seq, time, op, class, perms",
        ),
        ("decision=denied", "decision is one of allow, deny"),
        ("decision", "expected '=' or '!='"),
        ("", "the filter is empty"),
    ];
    for (filter, message) in cases {
        let out = fake.run(&["--filter", filter]);
        assert_eq!(out.status.code(), Some(2), "{filter:?}: {out:?}");
        assert!(out.stdout.is_empty(), "{filter:?}: {out:?}");
        let err = text(&out.stderr);
        assert!(err.starts_with("tcp-monitor: invalid filter: "), "{err}");
        assert!(err.contains(message), "{filter:?}: {err}");
    }
    // The caret is under the fault.
    let out = fake.run(&["--filter", "pid=1 or or"]);
    let err = text(&out.stderr);
    assert!(err.ends_with("  pid=1 or or\n           ^\n"), "{err:?}");
}

#[test]
fn a_closed_pipe_ends_the_monitor_quietly() {
    let big: String = (1..=100_000)
        .map(|seq| line(seq, Class::File, 1, Outcome::Deny, "agent", "/etc/passwd"))
        .collect();
    let fake = Fake::with(&big);
    for args in [&[][..], &["--realtime"][..], &["--json"][..]] {
        let mut child = fake
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
        let mut first = String::new();
        reader.read_line(&mut first).expect("read a line");
        assert!(
            first.contains("seq=1") || first.contains("\"seq\":1"),
            "{first}"
        );
        drop(reader);
        let status = wait_with_timeout(&mut child, Duration::from_secs(60));
        assert_eq!(status.code(), Some(0), "{args:?}");
        assert_eq!(stderr_of(&mut child), "", "{args:?}");
    }
}

/// Makes a FIFO named `events` in `dir` and opens it for writing (read-write, so that the
/// monitor never sees the end of the file while the test holds it).
fn fifo(dir: &Path) -> fs::File {
    let path = dir.join("events");
    nix::unistd::mkfifo(&path, nix::sys::stat::Mode::from_bits_truncate(0o600)).expect("mkfifo");
    fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
        .open(&path)
        .expect("open fifo")
}

#[test]
fn realtime_waits_for_events() {
    let fake = Fake::new(None, "tcp");
    let mut writer = fifo(&fake.dir);
    let mut child = fake
        .command(&["--realtime", "--count", "2", "--filter", "decision=deny"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    writer
        .write_all(line(1, Class::File, 1, Outcome::Deny, "agent", "/a").as_bytes())
        .expect("write");
    let mut first = String::new();
    reader.read_line(&mut first).expect("read");
    assert!(first.ends_with("seq=1\n"), "{first}");
    // Still running: it waits for the second event.
    std::thread::sleep(Duration::from_millis(200));
    assert!(child.try_wait().expect("try_wait").is_none());
    writer
        .write_all(
            [
                line(2, Class::File, 1, Outcome::Allow, "agent", "/b"),
                lost(4),
                line(3, Class::File, 1, Outcome::Deny, "agent", "/c"),
            ]
            .concat()
            .as_bytes(),
        )
        .expect("write");
    let status = wait_with_timeout(&mut child, Duration::from_secs(20));
    assert!(status.success());
    let mut rest = String::new();
    reader.read_to_string(&mut rest).expect("read");
    assert!(
        rest.ends_with("seq=3\n") && rest.lines().count() == 1,
        "{rest}"
    );
    assert_eq!(
        stderr_of(&mut child),
        "tcp-monitor: 4 events dropped by the kernel (queue full)\n"
    );
}

#[test]
fn realtime_notices_a_closed_output_while_idle() {
    let fake = Fake::new(None, "tcp");
    let _writer = fifo(&fake.dir);
    let mut child = fake
        .command(&["--realtime"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(Duration::from_millis(200));
    assert!(child.try_wait().expect("try_wait").is_none());
    drop(child.stdout.take());
    let status = wait_with_timeout(&mut child, Duration::from_secs(20));
    assert_eq!(status.code(), Some(0));
    assert_eq!(stderr_of(&mut child), "");
}

#[test]
fn missing_events_file_is_explained() {
    let cases: &[(&str, &str)] = &[
        ("capability,landlock\n", "the tcp LSM is not active"),
        (
            "capability,tcp\n",
            "does not exist although the tcp LSM is active",
        ),
    ];
    for (lsms, message) in cases {
        let fake = Fake::new(None, lsms);
        let out = fake.run(&[]);
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        assert!(out.stdout.is_empty());
        let err = text(&out.stderr);
        assert!(
            err.starts_with("tcp-monitor: error: ") && err.contains(message),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    let out = Command::new(MONITOR)
        .args([
            "--dir",
            "/nonexistent/tcp",
            "--lsm-list",
            "/nonexistent/lsm",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        text(&out.stderr).contains("is securityfs mounted"),
        "{out:?}"
    );
}

#[test]
fn unreadable_events_file_needs_root() {
    if nix::unistd::geteuid().is_root() {
        // root reads a mode-000 file anyway; the kernel file refuses by capability instead.
        return;
    }
    let fake = Fake::with(&sample());
    fs::set_permissions(
        fake.dir.join("events"),
        std::os::unix::fs::PermissionsExt::from_mode(0o000),
    )
    .expect("chmod");
    let out = fake.run(&[]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        text(&out.stderr).contains("CAP_MAC_ADMIN (run as root)"),
        "{out:?}"
    );
}
