//! Runs the built `tcp-policy stats` against a temporary directory holding a fake `stats`
//! file written by the engine's own counters.

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output};

use tcp_lsm_engine::perm::Class;
use tcp_lsm_engine::stats::{Counter, Stats, Verdict, COUNT};

const POLICY: &str = env!("CARGO_BIN_EXE_tcp-policy");

struct Fake {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    lsm: PathBuf,
}

fn fake(stats: &str, lsms: &str) -> Fake {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("tcp");
    fs::create_dir(&dir).expect("mkdir");
    fs::write(dir.join("stats"), stats).expect("write stats");
    let lsm = tmp.path().join("lsm");
    fs::write(&lsm, lsms).expect("write lsm");
    Fake {
        _tmp: tmp,
        dir,
        lsm,
    }
}

fn run(fake: &Fake, args: &[&str]) -> Output {
    Command::new(POLICY)
        .arg("--securityfs")
        .arg(&fake.dir)
        .arg("--lsm-list")
        .arg(&fake.lsm)
        .arg("stats")
        .args(args)
        .output()
        .expect("run tcp-policy")
}

fn kernel_stats() -> String {
    let stats: Stats<4> = Stats::new();
    for cpu in 0..3 {
        stats.decision(cpu, Class::File, Verdict::Allowed);
    }
    stats.decision(1, Class::Net, Verdict::Denied);
    stats.add(2, Counter::CacheHits, 1_234_567);
    stats.add(0, Counter::EventsDropped, 9);
    let mut text = String::new();
    stats.write(&mut text).expect("write");
    text
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("utf-8")
}

#[test]
fn stats_prints_an_aligned_table() {
    let fake = fake(&kernel_stats(), "capability,tcp\n");
    let out = run(&fake, &[]);
    assert!(out.status.success(), "{out:?}");
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), COUNT);
    // Every line has the same width: names padded, values right-aligned.
    let width = lines.first().map(|l| l.len()).expect("a line");
    assert!(lines.iter().all(|l| l.len() == width), "{stdout}");
    let rows: Vec<(&str, u64)> = lines
        .iter()
        .map(|l| {
            let mut parts = l.split_whitespace();
            let row = (
                parts.next().unwrap_or(""),
                parts
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(u64::MAX),
            );
            assert_eq!(parts.next(), None, "{l}");
            row
        })
        .collect();
    assert_eq!(rows.first(), Some(&("decision.file.allowed", 3)));
    assert!(rows.contains(&("decision.net.denied", 1)));
    assert!(rows.contains(&("cache.hits", 1_234_567)));
    assert_eq!(rows.last(), Some(&("audit.dropped", 0)));
    // The value column is right-aligned: the widest value ends where the others do.
    assert!(lines.iter().any(|l| l.ends_with(" 1234567")));
    assert!(lines
        .iter()
        .all(|l| l.ends_with(|c: char| c.is_ascii_digit())));
}

#[test]
fn stats_json_is_one_object() {
    let fake = fake(&kernel_stats(), "tcp");
    let out = run(&fake, &["--json"]);
    assert!(out.status.success(), "{out:?}");
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let value: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    let object = value.as_object().expect("an object");
    assert_eq!(object.len(), COUNT);
    assert_eq!(
        object.get("decision.file.allowed"),
        Some(&serde_json::json!(3))
    );
    assert_eq!(
        object.get("cache.hits"),
        Some(&serde_json::json!(1_234_567))
    );
    assert_eq!(object.get("events.dropped"), Some(&serde_json::json!(9)));
    assert!(
        stdout.starts_with("{\"decision.file.allowed\":3,"),
        "{stdout}"
    );
}

#[test]
fn stats_errors_are_one_line_and_exit_1() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "cache.hits 1\ncache.misses lots\n",
            "tcp",
            "line 2 is not \"NAME VALUE\"",
        ),
        (
            "cache.hits 1\n",
            "capability,landlock",
            "the tcp LSM is not active",
        ),
    ];
    for (stats, lsms, message) in cases {
        let fake = fake(stats, lsms);
        let out = run(&fake, &[]);
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        assert!(out.stdout.is_empty(), "{out:?}");
        let err = text(&out.stderr);
        assert!(
            err.starts_with("tcp-policy: error: ") && err.contains(message),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}
