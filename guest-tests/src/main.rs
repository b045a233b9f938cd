//! `tcp-guest-tests`: the TCP LSM's tests, run inside a QEMU guest as root.
//!
//! Each test is a sequence of real system calls with asserted results and errno values.
//! Output: one `test NAME ... ok|FAILED: why` line per test, then `N passed, N failed`;
//! the exit status is 0 only when at least one test ran and none failed.
//!
//! Usage: `tcp-guest-tests [--expect active|inactive] [--suite NAME] [--filter TEXT]
//! [--inject-failure]`, or `tcp-guest-tests --bench-load` for the policy load benchmark.
//! `--suite stress [--seconds N]` runs the concurrency stress suite (`stress.rs`) for N
//! seconds (default 60); it is not part of the default set of suites.
//! `--suite runtimes` runs Node.js confined (`runtimes.rs`); it needs the node bundle at
//! `/add/node-bundle` (`scripts/node-bundle.sh`, `qemu-boot.sh --add build/node-bundle`)
//! and fails without it; the default set includes it only when the bundle is there.
//! `--expect inactive` runs the tests for a kernel booted without `tcp` in `lsm=`;
//! `--inject-failure` adds a test that always fails, to prove the pipeline turns red.

// A test program: an index out of range fails the test that made it, as it should.
#![allow(clippy::indexing_slicing, reason = "test code; a panic fails the test")]

mod bench;
mod exec_cli;
mod harness;
mod helpers;
mod mediation;
mod policy;
mod reporting;
mod runtimes;
mod securityfs;
mod stress;

use std::process::ExitCode;

use harness::Test;

const USAGE: &str = "usage: tcp-guest-tests [--expect active|inactive] [--suite securityfs|policy|mediation|reporting|exec|runtimes|stress] [--seconds N] [--filter TEXT] [--inject-failure]";

fn injected_failure() -> harness::Outcome {
    Err("deliberate failure requested with --inject-failure".to_owned())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("__helper") {
        return helpers::process::main(args.get(1..).unwrap_or_default());
    }
    if args.first().map(String::as_str) == Some("__stress") {
        return stress::child_main(args.get(1..).unwrap_or_default());
    }
    if args.first().map(String::as_str) == Some("--bench-load") {
        return match bench::run() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("tcp-guest-tests: bench: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let mut expect_active = true;
    let mut filter = None;
    let mut inject = false;
    let mut suite: Option<String> = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--expect" => match it.next().map(String::as_str) {
                Some("active") => expect_active = true,
                Some("inactive") => expect_active = false,
                _ => return usage(),
            },
            "--filter" => match it.next() {
                Some(text) => filter = Some(text.clone()),
                None => return usage(),
            },
            "--inject-failure" => inject = true,
            "--suite" => match it.next().map(String::as_str) {
                Some(
                    name @ ("securityfs" | "policy" | "mediation" | "reporting" | "exec"
                    | "runtimes" | "stress"),
                ) => suite = Some(name.to_owned()),
                _ => return usage(),
            },
            // The stress suite's time bound (the whole suite, in seconds).
            "--seconds" => match it.next().and_then(|n| n.parse::<u64>().ok()) {
                Some(n) if n > 0 => stress::set_seconds(n),
                _ => return usage(),
            },
            _ => return usage(),
        }
    }
    let suites: &[&[Test]] = match (expect_active, suite.as_deref()) {
        (false, _) => &[securityfs::INACTIVE],
        (true, Some("securityfs")) => &[securityfs::ACTIVE],
        (true, Some("policy")) => &[policy::ACTIVE],
        (true, Some("mediation")) => &[mediation::ACTIVE],
        (true, Some("reporting")) => &[reporting::ACTIVE],
        (true, Some("exec")) => &[exec_cli::ACTIVE],
        (true, Some("runtimes")) => &[runtimes::ACTIVE],
        (true, Some("stress")) => &[stress::ACTIVE],
        // The runtimes suite loads its own policy last, and only when node was added.
        (true, _) if runtimes::bundle_present() => &[
            securityfs::ACTIVE,
            policy::ACTIVE,
            mediation::ACTIVE,
            reporting::ACTIVE,
            exec_cli::ACTIVE,
            runtimes::ACTIVE,
        ],
        (true, _) => &[
            securityfs::ACTIVE,
            policy::ACTIVE,
            mediation::ACTIVE,
            reporting::ACTIVE,
            exec_cli::ACTIVE,
        ],
    };
    let mut tests: Vec<&Test> = suites
        .iter()
        .flat_map(|suite| suite.iter())
        .filter(|t| filter.as_deref().is_none_or(|f| t.name.contains(f)))
        .collect();
    // The injected failure ignores --filter: it exists to prove that failures are reported.
    let injected = Test {
        name: "injected_failure",
        run: injected_failure,
    };
    if inject {
        tests.push(&injected);
    }
    if harness::run_all(&tests) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn usage() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::from(2)
}
