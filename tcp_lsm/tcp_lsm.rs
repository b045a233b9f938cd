// SPDX-License-Identifier: GPL-2.0

//! The TCP LSM: a Linux Security Module in Rust that confines AI agents.
//!
//! Files by concern: `setup` registers the LSM and its blobs, `blob` holds the per-object
//! state, `hooks` the `extern "C"` entry points called by the LSM framework, `securityfs`
//! the files under `/sys/kernel/security/tcp`, `state` the global switches. The decision
//! logic lives in the shared `engine` (the `tcp-lsm-engine` crate of the workspace),
//! compiled here from the same sources.

/// Prefix of every kernel log line this LSM prints (used by `pr_*!`).
const __LOG_PREFIX: &[u8] = b"tcp\0";

mod attr;
mod behaviour;
mod blob;
mod decide;
mod errno;
mod events_file;
mod exec;
mod file;
mod fscheck;
mod fspath;
mod heartbeat;
mod inode;
mod ipc;
mod layout;
mod marks;
mod memory;
mod mount;
mod net;
mod params;
mod path;
mod pathcache;
mod policy;
mod policy_file;
mod protect;
mod rcu;
mod report;
mod securityfs;
mod setup;
mod state;
mod system;
mod task;
mod textfile;
mod value_files;

/// The shared engine; the files are copied from `engine/src/` of the repository.
mod engine {
    #![forbid(unsafe_code)]
    #![allow(dead_code, unreachable_pub)] // Userspace uses more of the engine than the kernel.
    pub(crate) mod abi;
    pub(crate) mod cache;
    pub(crate) mod event;
    pub(crate) mod format;
    pub(crate) mod mode;
    pub(crate) mod perm;
    pub(crate) mod ring;
    pub(crate) mod sha256;
    pub(crate) mod sockaddr;
    pub(crate) mod stats;
    pub(crate) mod types;
}
