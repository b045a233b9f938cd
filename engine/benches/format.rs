//! Benchmarks of the binary format: validate and decode of policies with 1k, 10k and
//! 100k file rules (100 per domain, over 1000 types, plus 2100 path rules), and the
//! queries `file_allows` and `type_for_path` on the 100k policy.
//!
//! `cargo bench -p tcp-lsm-engine --bench format`
#![allow(clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tcp_lsm_engine::encode::{decode, encode};
use tcp_lsm_engine::format::validate;

fn blobs() -> Vec<(usize, Vec<u8>)> {
    [1_000, 10_000, 100_000]
        .iter()
        .map(|&n| (n, encode(&common::bench_policy(n)).unwrap()))
        .collect()
}

fn validate_and_decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("format");
    for (n, blob) in blobs() {
        group.throughput(Throughput::Bytes(blob.len() as u64));
        group.bench_with_input(BenchmarkId::new("validate", n), &blob, |b, blob| {
            b.iter(|| validate(black_box(blob)).unwrap().file_rule_count())
        });
        group.bench_with_input(BenchmarkId::new("decode", n), &blob, |b, blob| {
            b.iter(|| decode(black_box(blob)).unwrap().domains.len())
        });
    }
    group.finish();
}

fn queries(c: &mut Criterion) {
    let blob = encode(&common::bench_policy(100_000)).unwrap();
    let view = validate(&blob).unwrap();
    let domain = view.domain(view.domain_count() as u32 / 2).unwrap();
    let mut group = c.benchmark_group("query_100k");
    let mut t = 0u32;
    group.bench_function("file_allows", |b| {
        b.iter(|| {
            t = t % 1000 + 1;
            domain.file_allows(black_box(t), black_box(1))
        })
    });
    let paths: Vec<Vec<u8>> = [
        "/srv/data/t517/file",         // exact
        "/srv/data/t517/sub/dir/file", // prefix
        "/srv/glob990/a/b/c/x.dat",    // last glob
        "/home/nobody/nothing/here",   // no match: every glob tried
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    for (name, path) in ["exact", "prefix", "glob", "miss"].iter().zip(&paths) {
        group.bench_with_input(BenchmarkId::new("type_for_path", name), path, |b, path| {
            b.iter(|| view.type_for_path(black_box(path)))
        });
    }
    group.finish();
}

criterion_group!(benches, validate_and_decode, queries);
criterion_main!(benches);
