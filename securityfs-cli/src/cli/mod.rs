//! The command-line definitions of `tcp-policy` and `tcp-monitor` (clap derive types).
//!
//! The binaries parse with them; `tcp-lsm-gen` turns them into man pages and completions.

pub mod monitor;
pub mod policy;
