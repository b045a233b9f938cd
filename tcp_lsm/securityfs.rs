// SPDX-License-Identifier: GPL-2.0

//! The files under `/sys/kernel/security/tcp/`: the boundary with userspace. This module
//! makes the tree; each file's operations live in the module named in the last column.
//!
//! | file                | mode | read                            | write                          |
//! |---------------------|------|---------------------------------|--------------------------------|
//! | `version`           | 0444 | policy ABI version, e.g. `1`    | refused (`-EINVAL`)            |
//! | `mode`              | 0644 | `monitor`, `alert`, `enforce`   | one of those; else `-EINVAL`   |
//! | `policy`            | 0600 | the loaded blob (empty: none)   | a blob, in one or many writes  |
//! | `generation`        | 0444 | generation, 0 before any load   | refused                        |
//! | `policy_hash`       | 0444 | SHA-256 of the blob, or none    | refused                        |
//! | `events`            | 0400 | queued denials, one line each   | refused                        |
//! | `stats`             | 0444 | `name value` counter lines      | refused                        |
//! | `enforce`           | 0644 | `1` in enforce mode, else `0`   | `1`: enforce; `0`: alert       |
//! | `anomaly_threshold` | 0644 | the threshold                   | 1..=1000000                    |
//! | `heartbeat`         | 0644 | `none`, or timeout, action, age | `1`: a heartbeat               |
//! | `hardware/FEATURE`  | 0644 | `supported=0/1 enabled=0/1`     | `1` (`-EOPNOTSUPP` if missing) |
//!
//! Operations: `policy_file` (`policy`), `events_file` (`events`), `value_files` (the
//! others), all over `textfile`'s plumbing.
//!
//! Opening a writable file for writing needs CAP_MAC_ADMIN, checked at open with the
//! opener's credentials (`-EPERM` otherwise); an open file keeps the opener's right, and
//! no confined task writes any of them (`textfile::refuse_confined_writer`). The ABI is
//! documented in docs/securityfs.md.

use kernel::bindings;
use kernel::prelude::*;

use crate::events_file::EVENTS_FOPS;
use crate::policy_file::POLICY_FOPS;
use crate::textfile::create_file;
use crate::value_files::{
    ANOMALY_FOPS, ENFORCE_FOPS, FEATURES, GENERATION_FOPS, HARDWARE_FOPS, HEARTBEAT_FOPS,
    MODE_FOPS, POLICY_HASH_FOPS, STATS_FOPS, VERSION_FOPS,
};

/// Creates `/sys/kernel/security/tcp/` and its files. Called once at boot.
pub(crate) fn create() -> Result {
    // SAFETY: The name is NUL-terminated; a null parent means the securityfs root.
    let dir =
        unsafe { bindings::securityfs_create_dir(c"tcp".as_ptr().cast(), core::ptr::null_mut()) };
    let dir = kernel::error::from_err_ptr(dir)?;
    let files = create_files(dir);
    if files.is_err() {
        // SAFETY: `dir` was created above and nothing else refers to it yet.
        unsafe { bindings::securityfs_recursive_remove(dir) };
    }
    files
}

/// Creates every file of the table above under `dir`.
fn create_files(dir: *mut bindings::dentry) -> Result {
    let none = core::ptr::null_mut();
    create_file(c"version", 0o444, dir, &VERSION_FOPS, none)?;
    create_file(c"mode", 0o644, dir, &MODE_FOPS, none)?;
    create_file(c"policy", 0o600, dir, &POLICY_FOPS, none)?;
    create_file(c"generation", 0o444, dir, &GENERATION_FOPS, none)?;
    create_file(c"policy_hash", 0o444, dir, &POLICY_HASH_FOPS, none)?;
    create_file(c"events", 0o400, dir, &EVENTS_FOPS, none)?;
    create_file(c"stats", 0o444, dir, &STATS_FOPS, none)?;
    create_file(c"enforce", 0o644, dir, &ENFORCE_FOPS, none)?;
    create_file(c"anomaly_threshold", 0o644, dir, &ANOMALY_FOPS, none)?;
    create_file(c"heartbeat", 0o644, dir, &HEARTBEAT_FOPS, none)?;
    // SAFETY: The name is NUL-terminated and `dir` a live securityfs directory.
    let hw = unsafe { bindings::securityfs_create_dir(c"hardware".as_ptr().cast(), dir) };
    let hw = kernel::error::from_err_ptr(hw)?;
    for (name, feature) in FEATURES {
        let private = core::ptr::from_ref(feature).cast_mut().cast();
        create_file(name, 0o644, hw, &HARDWARE_FOPS, private)?;
    }
    Ok(())
}
