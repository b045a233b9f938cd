// SPDX-License-Identifier: GPL-2.0

//! The TCP LSM: a Linux Security Module in Rust that confines AI agents.
//!
//! Module map. A hook lives in the module its name starts with; the exceptions are named.
//! The decision logic lives in the shared `engine` (the `tcp-lsm-engine` crate of the
//! workspace), compiled here from the same sources. Imports go down this list's layers,
//! never up (no circle: docs/architecture.md).
//!
//! Hooks, by family:
//! - `file`: `file_*` on open files (`file_alloc_security`, `file_open`,
//!   `file_permission`, `file_receive`, `file_ioctl`, `file_lock`, `file_fcntl`).
//! - `path`: `path_*` (unlink, mkdir, rmdir, mknod, symlink, link, rename, truncate,
//!   chmod, chown).
//! - `inode`: `inode_*` (attributes, xattrs, unlink, rmdir, link, rename,
//!   `inode_init_security_anon`) and `d_instantiate`.
//! - `memory`: `mmap_file`, `file_mprotect`, `mmap_addr`.
//! - `exec`: `bprm_*` (transitions, the executable check, committing creds).
//! - `attr`: `getselfattr`, `setselfattr`, `getprocattr`.
//! - `task`: `task_*`, `cred_*`, `capable`, `ptrace_*`, and the signal hooks
//!   `file_set_fowner` and `file_send_sigiotask`.
//! - `ipc`: `msg_queue_*`, `shm_*`, `sem_*` (creation included).
//! - `net`: `socket_*`, `unix_*`, `sk_*`.
//! - `mount`: `sb_mount`, `sb_umount`, `sb_pivotroot`, `move_mount`.
//! - `system`: `kernel_*`, `bpf*`, `perf_event_open`, `settime`, `uring_*`.
//!
//! Decisions shared by the hooks:
//! - `fscheck`: the type of a filesystem object and the checks on it (by name, by dentry,
//!   of an open file, of internal objects, of new names).
//! - `decide`: the subject (a confined task), its question and the verdict by mode.
//! - `protect` (protected objects whatever their name) over `marks` (inode marks and the
//!   walks that set them); `behaviour` (rate limits); `heartbeat` (fail closed).
//! - `fspath` (absolute names), `pathcache` (the remembered type of a name).
//! - `vfs`: typed handles on the path, dentry, inode and open file a hook receives, made
//!   once at the hook's edge so the decision code takes no raw pointer.
//!
//! State and plumbing:
//! - `policy`: the loaded policy, published by RCU. `blob`: per-object state and the
//!   blob offsets. `state`: the mode and the init flag. `report`: counters, events and
//!   audit. `rcu`, `errno`: small helpers. `layout`: the build-time layout check.
//! - `securityfs`: the `/sys/kernel/security/tcp` tree, over `textfile` (shared file
//!   plumbing), `value_files`, `events_file` and `policy_file`. `params`: boot
//!   parameters. `setup`: registration with the LSM framework (blob sizes, hook list,
//!   init).

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
mod vfs;

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
