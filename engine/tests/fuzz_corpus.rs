//! Replays the seed corpus of the `policy_blob` fuzz target (`engine/fuzz/corpus/`)
//! through `check_blob_invariants`, and regenerates the seeds on demand:
//!
//! ```sh
//! cargo test -p tcp-lsm-engine --test fuzz_corpus -- --ignored regenerate_seed_corpus
//! ```
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::field_reassign_with_default,
    missing_docs
)]

mod common;

use std::fs;
use std::path::PathBuf;

use common::oracle::check_blob_invariants;
use common::*;
use tcp_lsm_engine::encode::encode;
use tcp_lsm_engine::format::{field, validate, SectionKind};
use tcp_lsm_engine::model::*;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/policy_blob")
}

fn corpus() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn replay_corpus() {
    let files = corpus();
    assert!(
        files.len() >= 8,
        "seed corpus missing: run the ignored regenerate_seed_corpus test"
    );
    for (name, bytes) in &files {
        check_blob_invariants(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        // As the fuzz target does: also with the digest re-sealed.
        if bytes.len() >= 64 {
            let mut sealed = bytes.clone();
            reseal(&mut sealed);
            check_blob_invariants(&sealed).unwrap_or_else(|e| panic!("{name} re-sealed: {e}"));
        }
    }
}

#[test]
fn seeds_are_what_their_names_say() {
    let mut valid = 0;
    for (name, bytes) in corpus() {
        if name.starts_with("valid-") {
            validate(&bytes).unwrap_or_else(|e| {
                panic!("{name} no longer validates ({e}): regenerate the seeds")
            });
            valid += 1;
        } else if name.starts_with("invalid-") {
            assert!(validate(&bytes).is_err(), "{name} validates");
        }
    }
    assert!(valid >= 4);
}

/// The seeds: valid blobs of a few shapes, and invalid ones that pass the digest check
/// but fail a specific rule (so the fuzzer starts past the digest).
fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let sample = encode(&sample_policy()).unwrap();
    let mut minimal = Policy::default();
    minimal.types.push(ObjectType {
        name: "t".into(),
        protected: false,
    });
    minimal.paths.push(path("/g/**/*.c", PathMatch::Glob, 1));
    minimal.domains.push(Domain {
        name: "d".into(),
        files: vec![FileRule {
            type_id: 1,
            decision: Decision::Allow,
            perms: 3,
        }],
        net: vec![unix_rule(Decision::Allow, 2, "@s")],
        ..Domain::default()
    });
    minimal.transitions.push(Transition {
        from: 0,
        exe: "/x".into(),
        digest: Some([7; 32]),
        to: 1,
    });
    let mut seeds = vec![
        ("valid-sample.bin", sample.clone()),
        ("valid-empty.bin", encode(&Policy::default()).unwrap()),
        ("valid-minimal.bin", encode(&minimal).unwrap()),
        (
            "valid-defaults.bin",
            encode(&Policy {
                settings: Settings::default(),
                ..sample_policy()
            })
            .unwrap(),
        ),
    ];
    let corrupt = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut b = sample.clone();
        f(&mut b);
        reseal(&mut b);
        b
    };
    seeds.push(("invalid-truncated.bin", sample[..sample.len() / 2].to_vec()));
    seeds.push(("invalid-digest.bin", {
        let mut b = sample.clone();
        b[40] ^= 1;
        b
    }));
    seeds.push((
        "invalid-type-order.bin",
        corrupt(&|b| {
            let at = string_at(b, record(b, SectionKind::Types, 0)).0;
            b[at] = b'z';
        }),
    ));
    seeds.push((
        "invalid-file-range.bin",
        corrupt(&|b| {
            let at = record(b, SectionKind::Domains, 0) + field::domain::FILE_COUNT;
            put_u32(b, at, 4);
        }),
    ));
    seeds.push((
        "invalid-net-prefix.bin",
        corrupt(&|b| {
            let at = record(b, SectionKind::NetRules, 0) + field::net_rule::PREFIX_LEN;
            b[at] = 200;
        }),
    ));
    seeds.push((
        "invalid-string-ref.bin",
        corrupt(&|b| {
            let at = record(b, SectionKind::Paths, 0) + field::path::PATTERN;
            put_u32(b, at, 3);
        }),
    ));
    seeds
}

#[test]
#[ignore = "writes the seed corpus; run on purpose after a format change"]
fn regenerate_seed_corpus() {
    let dir = corpus_dir();
    fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in seeds() {
        fs::write(dir.join(name), bytes).unwrap();
    }
}

#[test]
fn checked_in_seeds_are_current() {
    // The generator and the checked-in seeds agree (a format change must regenerate them).
    for (name, bytes) in seeds() {
        let on_disk = fs::read(corpus_dir().join(name)).unwrap_or_default();
        assert!(
            on_disk == bytes,
            "{name} differs from its generator: run the ignored regenerate_seed_corpus test"
        );
    }
}
