//! Benchmarks of one decision as the kernel makes it for a file: the decision cache hit,
//! and the miss (domain by name, type by path, the domain's grant on the type, cache
//! insert) in policies of 10, 1k and 100k file rules; and validate+decode of a 100k-rule
//! policy (what a load costs before publication).
//!
//! `cargo bench -p tcp-lsm-engine --bench decision`
#![allow(clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use tcp_lsm_engine::cache::{DecisionCache, Grant, Key};
use tcp_lsm_engine::encode::{decode, encode};
use tcp_lsm_engine::format::{validate, PolicyView};
use tcp_lsm_engine::perm::Class;

/// The slots of the kernel's cache (`tcp_lsm/decide.rs`).
const SLOTS: usize = 1024;

/// The miss path of `tcp_lsm/file.rs` + `decide.rs`: what the kernel computes when the
/// cache has no answer.
fn decide_miss(
    view: &PolicyView<'_>,
    cache: &DecisionCache<SLOTS>,
    domain: &[u8],
    path: &[u8],
    generation: u64,
) -> bool {
    let Some(d) = view
        .domain_id_by_name(domain)
        .and_then(|id| view.domain(id))
    else {
        return false;
    };
    let t = view.type_for_path(path);
    let key = Key {
        generation,
        domain: d.id(),
        object_type: t,
        class: Class::File,
    };
    let grant = d.file_grant(t);
    cache.insert(&key, grant);
    grant.allows(1)
}

fn cache(c: &mut Criterion) {
    let mut group = c.benchmark_group("decision");
    let cache: DecisionCache<SLOTS> = DecisionCache::new();
    let key = Key {
        generation: 7,
        domain: 3,
        object_type: 42,
        class: Class::File,
    };
    cache.insert(
        &key,
        Grant {
            allowed: 0b11,
            denied: 0,
        },
    );
    group.bench_function("cache_hit", |b| {
        b.iter(|| cache.get(black_box(&key)).is_some_and(|g| g.allows(1)))
    });
    for n in [10usize, 1_000, 100_000] {
        let blob = encode(&common::bench_policy(n)).unwrap();
        let view = validate(&blob).unwrap();
        let domain = view
            .domain(view.domain_count() as u32)
            .unwrap()
            .name()
            .as_bytes()
            .to_vec();
        let path = b"/srv/data/t517/sub/dir/file".to_vec(); // a prefix match
        let mut generation = 0u64;
        group.bench_with_input(BenchmarkId::new("miss", n), &n, |b, _| {
            b.iter(|| {
                // A new generation each time: never a hit.
                generation += 1;
                decide_miss(
                    &view,
                    &cache,
                    black_box(&domain),
                    black_box(&path),
                    generation,
                )
            })
        });
    }
    group.finish();
}

fn load(c: &mut Criterion) {
    let blob = encode(&common::bench_policy(100_000)).unwrap();
    let mut group = c.benchmark_group("load_100k");
    group.sample_size(20);
    group.bench_function("validate_and_decode", |b| {
        b.iter(|| {
            let view = validate(black_box(&blob)).unwrap();
            (view.file_rule_count(), decode(&blob).unwrap().domains.len())
        })
    });
    group.finish();
}

criterion_group!(benches, cache, load);
criterion_main!(benches);
