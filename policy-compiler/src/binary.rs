//! Stage 4: the canonical policy to `policy.bin` and back, with the engine's encoder and
//! validating decoder (`tcp_lsm_engine::encode`), the same code the kernel's loader uses.

use crate::diagnostic::Diagnostic;
use tcp_lsm_engine::model::Policy;

/// Offset and length of the digest field in the header (see `docs/policy-format.md`).
const DIGEST_RANGE: core::ops::Range<usize> = 32..64;

/// Encodes a canonical policy. An encoder error means the policy breaks a limit of the
/// format that the compiler's own checks did not catch; it is reported as a diagnostic
/// about the whole policy.
pub fn encode_policy(policy: &Policy) -> Result<Vec<u8>, Diagnostic> {
    tcp_lsm_engine::encode::encode(policy)
        .map_err(|e| Diagnostic::global(format!("the policy cannot be encoded: {e}")))
}

/// Decodes and validates a `policy.bin` blob.
pub fn decode_policy(bytes: &[u8]) -> Result<Policy, String> {
    tcp_lsm_engine::encode::decode(bytes).map_err(|e| format!("invalid policy.bin: {e}"))
}

/// The policy digest stored in a blob's header: SHA-256 of the blob with that field zeroed,
/// the identity `tcp-policy status` and `/sys/kernel/security/tcp/policy_hash` show.
pub fn policy_digest(bytes: &[u8]) -> Option<[u8; 32]> {
    bytes
        .get(DIGEST_RANGE)
        .and_then(|d| <[u8; 32]>::try_from(d).ok())
}
