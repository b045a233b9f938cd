//! Compile-time benchmark (not a timed test): compiles synthetic policies of 1k, 10k and
//! 100k rules (`tcp_policy_compiler::synthetic_policy`) and prints the figures.
//!
//! Run: `cargo bench -p tcp-policy-compiler --bench compile` (release build). Each size is
//! compiled several times; the table shows the fastest and the median run of each stage:
//! front end (lex, parse, lower, canonicalize), encode, and decode + decompile.

use std::hint::black_box;
use std::time::{Duration, Instant};

use tcp_policy_compiler::{
    compile_source, decode_policy, decompile, encode_policy, synthetic_policy,
};

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, Duration) {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            black_box(f());
            start.elapsed()
        })
        .collect();
    times.sort();
    let min = times.first().copied().unwrap_or_default();
    let median = times.get(times.len() / 2).copied().unwrap_or_default();
    (min, median)
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument selects sizes containing it.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    println!("policy compile benchmark (min / median of N runs, milliseconds)");
    println!(
        "{:>8} {:>9} {:>10} {:>4} {:>17} {:>17} {:>17} {:>12}",
        "rules", "text KiB", "blob KiB", "N", "compile", "encode", "decode+decompile", "rules/s"
    );
    for rules in [1_000usize, 10_000, 100_000] {
        if filter
            .as_ref()
            .is_some_and(|f| !rules.to_string().contains(f.as_str()))
        {
            continue;
        }
        let text = synthetic_policy(rules);
        let policy = compile_source("synthetic", &text).expect("synthetic policy compiles");
        let bytes = encode_policy(&policy).expect("synthetic policy encodes");
        let runs = match rules {
            1_000 => 50,
            10_000 => 10,
            _ => 5,
        };
        let (c_min, c_med) = time(runs, || {
            compile_source("synthetic", &text).map(|p| p.domains.len())
        });
        let (e_min, e_med) = time(runs, || encode_policy(&policy).map(|b| b.len()));
        let (d_min, d_med) = time(runs, || decode_policy(&bytes).map(|p| decompile(&p).len()));
        let per_sec = rules as f64 / c_med.as_secs_f64();
        println!(
            "{:>8} {:>9} {:>10} {:>4} {:>17} {:>17} {:>17} {:>12.0}",
            rules,
            text.len() / 1024,
            bytes.len() / 1024,
            runs,
            format!("{} / {}", ms(c_min), ms(c_med)),
            format!("{} / {}", ms(e_min), ms(e_med)),
            format!("{} / {}", ms(d_min), ms(d_med)),
            per_sec
        );
    }
}
