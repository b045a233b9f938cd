//! `tcp-guest-tests --bench-load`: how long the kernel takes to load policies of 1k, 10k
//! and 100k rules, against a baseline measured in the same run (writing the same bytes to
//! a tmpfs file, which costs the copy from userspace and an allocation but no validation).
//!
//! Prints a table; this is a benchmark, not a test: it never fails on a figure.

use std::fs::OpenOptions;
use std::io::Write;
use std::time::{Duration, Instant};

use tcp_lsm_engine::encode::encode;
use tcp_lsm_engine::model::{Decision, Domain, FileRule, ObjectType, PathMatch, PathRule, Policy};

/// A policy with `rules` file rules spread over domains of up to 1000 rules each.
pub fn synthetic_policy(rules: usize) -> Policy {
    let types = rules.clamp(1, 5000);
    let mut p = Policy::default();
    for t in 0..types {
        p.types.push(ObjectType {
            name: format!("type_{t:05}"),
            protected: t % 97 == 0,
        });
        p.paths.push(PathRule {
            pattern: format!("/data/set_{t:05}"),
            kind: PathMatch::Prefix,
            type_id: u32::try_from(t + 1).unwrap_or(1),
        });
    }
    let per_domain = 1000.min(types);
    let mut left = rules;
    let mut d = 0usize;
    while left > 0 {
        let n = left.min(per_domain);
        let files = (0..n)
            .map(|i| FileRule {
                type_id: u32::try_from((d * 7 + i) % types + 1).unwrap_or(1),
                decision: if i % 10 == 9 {
                    Decision::Deny
                } else {
                    Decision::Allow
                },
                perms: 0b1011,
            })
            .collect();
        p.domains.push(Domain {
            name: format!("domain_{d:05}"),
            files,
            ..Domain::default()
        });
        left -= n;
        d += 1;
    }
    p
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

fn time_writes(path: &str, blob: &[u8], runs: usize) -> Result<Duration, String> {
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .map_err(|e| format!("open {path}: {e}"))?;
        f.write_all(blob)
            .map_err(|e| format!("write {path}: {e}"))?;
        drop(f);
        samples.push(start.elapsed());
    }
    Ok(median(samples))
}

/// Runs the benchmark and prints the table.
pub fn run() -> Result<(), String> {
    println!("policy load benchmark (median of runs; baseline: same bytes written to tmpfs)");
    println!(
        "{:>8} {:>10} {:>12} {:>12} {:>8} {:>10}",
        "rules", "bytes", "load", "baseline", "ratio", "MB/s"
    );
    for rules in [1_000usize, 10_000, 100_000] {
        let blob = encode(&synthetic_policy(rules)).map_err(|e| format!("encode: {e:?}"))?;
        let runs = if rules >= 100_000 { 5 } else { 11 };
        let baseline = time_writes("/tmp/bench-policy.bin", &blob, runs)?;
        let load = time_writes("/sys/kernel/security/tcp/policy", &blob, runs)?;
        let ratio = load.as_secs_f64() / baseline.as_secs_f64().max(1e-9);
        let mbps = blob.len() as f64 / load.as_secs_f64().max(1e-9) / 1e6;
        println!(
            "{:>8} {:>10} {:>10.3}ms {:>10.3}ms {:>7.1}x {:>10.1}",
            rules,
            blob.len(),
            load.as_secs_f64() * 1e3,
            baseline.as_secs_f64() * 1e3,
            ratio,
            mbps
        );
    }
    let _ = std::fs::remove_file("/tmp/bench-policy.bin");
    Ok(())
}
