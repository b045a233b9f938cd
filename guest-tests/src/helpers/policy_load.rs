//! Policy loading as the suites do it: one write of a blob to the policy file, and the
//! small sample policies that the policy suite and the `load-many` helper load.

use std::fs::OpenOptions;
use std::io::Write;

use tcp_lsm_engine::encode::encode;
use tcp_lsm_engine::model::{Decision, Domain, FileRule, ObjectType, PathMatch, PathRule, Policy};

/// The policy file.
pub(crate) const POLICY: &str = "/sys/kernel/security/tcp/policy";

/// A small valid policy whose content varies with `n`.
pub fn sample_policy(n: u32) -> Policy {
    let mut p = Policy::default();
    p.types.push(ObjectType {
        name: "workspace".into(),
        protected: false,
    });
    p.types.push(ObjectType {
        name: "secrets".into(),
        protected: true,
    });
    p.paths.push(PathRule {
        pattern: "/work".into(),
        kind: PathMatch::Prefix,
        type_id: 1,
    });
    p.paths.push(PathRule {
        pattern: format!("/secret/{n}"),
        kind: PathMatch::Exact,
        type_id: 2,
    });
    p.domains.push(Domain {
        name: "agent".into(),
        files: vec![FileRule {
            type_id: 1,
            decision: Decision::Allow,
            perms: 0b11,
        }],
        ..Domain::default()
    });
    p
}

/// The encoded form of [`sample_policy`].
pub fn sample_blob(n: u32) -> Result<Vec<u8>, String> {
    encode(&sample_policy(n)).map_err(|e| format!("encode: {e:?}"))
}

/// Writes `blob` to the policy file in one write on a fresh descriptor.
pub fn load(blob: &[u8]) -> std::io::Result<usize> {
    OpenOptions::new().write(true).open(POLICY)?.write(blob)
}
