//! Helpers the suites share, one file per kind; the runner and its assertions are in
//! `crate::harness`. A suite imports from here and from the harness, never from another
//! suite.
//!
//! - `fixture`: the mediation policy, its setup and `write` for test files (the
//!   mediation and reporting suites run under it).
//! - `probe`: running `/bin/tcp-probe` in `agent`, in another domain or unconfined.
//! - `securityfs`: the LSM's files, the global mode and the `events` stream.
//! - `policy_load`: writing a blob to the policy file, and the sample policies.
//! - `process`: the helper processes (`__helper NAME ...`) that change credentials.

pub mod fixture;
pub mod policy_load;
pub mod probe;
pub mod process;
pub mod securityfs;
