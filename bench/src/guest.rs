//! `tcp-bench guest`: one boot's share of the benchmark, run as root inside the guest.
//!
//! - `--boot landlock` (kernel booted with `lsm=landlock`, no `tcp`): alternates the
//!   baseline (a), an unconfined worker, with (e), a worker under the Landlock ruleset.
//! - `--boot tcp` (`lsm=landlock,tcp`): first (b), an unconfined worker before any policy
//!   is loaded; then alternates (c), a worker in `bench_agent` under the realistic
//!   policy, with (d), the same domain under the 10,000-rule policy, loading each policy
//!   before its worker.
//!
//! Each confined worker enters its domain through `lsm_set_self_attr(LSM_ATTR_EXEC)` (the
//! probe's `exec-in`), checks it is in it, and the counters of the LSM are compared
//! before and after it: a worker whose operations were denied would measure the wrong
//! path, so denials are reported (`@check`) and fail the run.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

use crate::micro;

/// The LSM's securityfs directory.
const SECURITYFS: &str = "/sys/kernel/security/tcp";
/// This program, as the guest has it.
const SELF: &str = "/bin/tcp-bench";
/// The probe that asks for a domain before an exec.
const PROBE: &str = "/bin/tcp-probe";

/// Which kernel command line this boot has.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Boot {
    /// `lsm=landlock`: configurations (a) and (e).
    Landlock,
    /// `lsm=landlock,tcp`: configurations (b), (c) and (d).
    Tcp,
}

/// Runs this boot's configurations: `reps` alternations of `samples` samples each.
pub fn run(
    boot: Boot,
    samples: u32,
    reps: u32,
    policies: &Path,
    only: &[String],
) -> Result<(), String> {
    micro::prepare()?;
    let lsms = fs::read_to_string("/sys/kernel/security/lsm")
        .map_err(|e| format!("read lsm list: {e}"))?;
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    println!(
        "@info boot={boot:?} lsm={} kernel={}",
        lsms.trim(),
        kernel.trim()
    );
    let tcp_active = lsms.split(',').any(|l| l.trim() == "tcp");
    match boot {
        Boot::Landlock => {
            if tcp_active {
                return Err("--boot landlock needs a kernel booted without tcp in lsm=".to_owned());
            }
            for _ in 0..reps {
                worker("a", &[], samples, only)?;
                worker("e", &["--landlock"], samples, only)?;
            }
        }
        Boot::Tcp => {
            if !tcp_active {
                return Err("--boot tcp needs a kernel booted with tcp in lsm=".to_owned());
            }
            let generation = read_trimmed(&format!("{SECURITYFS}/generation"))?;
            if generation != "0" {
                return Err(format!(
                    "configuration (b) wants no policy, but generation is {generation}"
                ));
            }
            worker(
                "b",
                &["--expect-domain", "unconfined"],
                samples * reps,
                only,
            )?;
            let agent = read_blob(&policies.join("agent.bin"))?;
            let big = read_blob(&policies.join("agent-10k.bin"))?;
            for _ in 0..reps {
                for (config, blob) in [("c", &agent), ("d", &big)] {
                    fs::write(format!("{SECURITYFS}/policy"), blob)
                        .map_err(|e| format!("load policy of ({config}): {e}"))?;
                    confined_worker(config, samples, only)?;
                }
            }
        }
    }
    Ok(())
}

fn read_trimmed(path: &str) -> Result<String, String> {
    fs::read_to_string(path)
        .map(|s| s.trim().to_owned())
        .map_err(|e| format!("read {path}: {e}"))
}

fn read_blob(path: &Path) -> Result<Vec<u8>, String> {
    fs::read(path).map_err(|e| format!("read {}: {e}", path.display()))
}

/// Common worker arguments.
fn worker_args(config: &str, samples: u32, only: &[String]) -> Vec<String> {
    let mut args = vec![
        "worker".to_owned(),
        "--config".to_owned(),
        config.to_owned(),
    ];
    args.extend(["--samples".to_owned(), samples.to_string()]);
    if !only.is_empty() {
        args.extend(["--only".to_owned(), only.join(",")]);
    }
    args
}

/// Runs an unconfined worker (with `extra` arguments) and requires it to succeed.
fn worker(config: &str, extra: &[&str], samples: u32, only: &[String]) -> Result<(), String> {
    let status = Command::new(SELF)
        .args(worker_args(config, samples, only))
        .args(extra)
        .status()
        .map_err(|e| format!("run worker ({config}): {e}"))?;
    if !status.success() {
        return Err(format!("worker ({config}) failed: {status}"));
    }
    Ok(())
}

/// Runs a worker in the benchmark domain and reports what the LSM decided meanwhile.
fn confined_worker(config: &str, samples: u32, only: &[String]) -> Result<(), String> {
    let before = stats()?;
    let status = Command::new(PROBE)
        .args(["exec-in", crate::policy::DOMAIN, SELF])
        .args(worker_args(config, samples, only))
        .args(["--expect-domain", crate::policy::DOMAIN])
        .status()
        .map_err(|e| format!("run worker ({config}): {e}"))?;
    let after = stats()?;
    let delta = |name: &str| {
        after
            .get(name)
            .copied()
            .unwrap_or(0)
            .saturating_sub(before.get(name).copied().unwrap_or(0))
    };
    let sum = |suffix: &str| -> u64 {
        after
            .keys()
            .filter(|k| k.starts_with("decision.") && k.ends_with(suffix))
            .map(|k| delta(k))
            .sum()
    };
    let (allowed, denied, would) = (sum(".allowed"), sum(".denied"), sum(".would_deny"));
    println!(
        "@check config={config} decisions={} denials={} cache_hits={} cache_misses={}",
        allowed + denied + would,
        denied + would,
        delta("cache.hits"),
        delta("cache.misses")
    );
    if !status.success() {
        return Err(format!("worker ({config}) failed: {status}"));
    }
    if denied + would != 0 {
        return Err(format!(
            "worker ({config}) was denied {} operations: the policy does not fit the benchmark",
            denied + would
        ));
    }
    Ok(())
}

/// The LSM's counters.
fn stats() -> Result<BTreeMap<String, u64>, String> {
    let text = fs::read_to_string(format!("{SECURITYFS}/stats"))
        .map_err(|e| format!("read stats: {e}"))?;
    Ok(text
        .lines()
        .filter_map(|l| {
            let (name, value) = l.split_once(' ')?;
            Some((name.to_owned(), value.parse().ok()?))
        })
        .collect())
}
