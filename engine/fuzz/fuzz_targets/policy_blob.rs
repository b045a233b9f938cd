//! Fuzz target: any byte string through the validator; accepted blobs must round-trip
//! exactly and answer every query as the reference semantics do, without panicking
//! (`check_blob_invariants`). Each input is tried twice: as given (header and digest
//! checks) and with its digest field re-sealed, so that mutations reach the checks past
//! the digest.
#![no_main]

// The oracle is test-side code of the engine, shared with its tests.
#[path = "../../tests/common/oracle.rs"]
mod oracle;

use libfuzzer_sys::fuzz_target;
use oracle::check_blob_invariants;
use tcp_lsm_engine::format::{compute_digest, field};

fuzz_target!(|data: &[u8]| {
    if let Err(e) = check_blob_invariants(data) {
        panic!("as given: {e}");
    }
    let digest_at = field::header::DIGEST..field::header::DIGEST + 32;
    if data.len() >= digest_at.end {
        let mut sealed = data.to_vec();
        let digest = compute_digest(&sealed);
        sealed[digest_at].copy_from_slice(&digest);
        if let Err(e) = check_blob_invariants(&sealed) {
            panic!("re-sealed: {e}");
        }
    }
});
