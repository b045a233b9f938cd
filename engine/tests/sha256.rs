//! SHA-256 against the `sha2` crate on random inputs, whole and in pieces.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::field_reassign_with_default,
    missing_docs
)]

use proptest::prelude::*;
use sha2::Digest;
use tcp_lsm_engine::sha256::{sha256, Sha256};

fn reference(data: &[u8]) -> [u8; 32] {
    sha2::Sha256::digest(data).into()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn matches_sha2(data in prop::collection::vec(any::<u8>(), 0..2000)) {
        prop_assert_eq!(sha256(&data), reference(&data));
    }

    #[test]
    fn incremental_matches_sha2(data in prop::collection::vec(any::<u8>(), 0..1000), cuts in prop::collection::vec(0usize..1000, 0..8)) {
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(data.len())).collect();
        cuts.sort_unstable();
        let mut h = Sha256::new();
        let mut start = 0;
        for c in cuts {
            h.update(&data[start..c]);
            start = c;
        }
        h.update(&data[start..]);
        prop_assert_eq!(h.finish(), reference(&data));
    }
}

#[test]
fn every_length_up_to_300() {
    let data: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
    for n in 0..=data.len() {
        assert_eq!(sha256(&data[..n]), reference(&data[..n]), "length {n}");
    }
}
