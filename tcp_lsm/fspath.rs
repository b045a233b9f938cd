// SPDX-License-Identifier: GPL-2.0

//! Absolute path names of files and directories, for matching the policy's path rules.

use kernel::bindings;
use kernel::error::code::ENOMEM;
use kernel::ffi::c_int;
use kernel::prelude::*;

/// `-ENAMETOOLONG`.
fn too_long() -> Error {
    crate::decide::errno(bindings::ENAMETOOLONG)
}

/// `PATH_MAX`: the longest path the VFS hands out.
const PATH_MAX: usize = 4096;

/// A path name in a heap buffer.
///
/// # Invariants
///
/// `buf` has a capacity of `PATH_MAX` bytes, of which `start..start + len` were written
/// (by `d_absolute_path` or `d_path`) and hold the name; the rest may be uninitialised.
pub(crate) struct PathName {
    buf: KVec<u8>,
    start: usize,
    len: usize,
}

impl PathName {
    /// The name's bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        // SAFETY: By the type invariant these bytes lie inside the allocation and were
        // written; `buf` is not changed while the slice lives.
        unsafe { core::slice::from_raw_parts(self.buf.as_ptr().add(self.start), self.len) }
    }
}

/// The absolute path of `path` (from the root of the mount namespace, so `chroot` cannot
/// change which rule matches). Objects outside any reachable mount (pipes, sockets,
/// memfds, anonymous inodes) get their pseudo name from `d_path`, e.g. `/memfd:x
/// (deleted)`, which no rule of an absolute path matches.
///
/// The buffer is not zeroed: both functions write the name and its NUL at the end of
/// it, and only those bytes are read (zeroing 4 KiB cost more than the rest of a file
/// decision).
///
/// # Safety
///
/// `path` must point to a live `struct path`. Sleeps (allocates with GFP_KERNEL).
pub(crate) unsafe fn of(path: *const bindings::path) -> Result<PathName> {
    let mut buf = KVec::<u8>::with_capacity(PATH_MAX, GFP_KERNEL).map_err(|_| ENOMEM)?;
    let base = buf.as_mut_ptr();
    let len = PATH_MAX as c_int;
    // SAFETY: `path` is live (caller); `buf` has room for PATH_MAX bytes.
    let mut p = unsafe { bindings::d_absolute_path(path, base.cast(), len) };
    if kernel::error::from_err_ptr(p).is_err() {
        // SAFETY: As above.
        p = unsafe { bindings::d_path(path, base.cast(), len) };
    }
    let p = kernel::error::from_err_ptr(p).map_err(|_| too_long())?;
    let start = (p as usize).checked_sub(base as usize).filter(|&s| s < PATH_MAX).ok_or_else(too_long)?;
    // SAFETY: Both functions wrote the name, then its NUL, from `p` to the end of the
    // buffer (`prepend` in fs/d_path.c fills it backwards from the end).
    let written = unsafe { core::slice::from_raw_parts(p.cast::<u8>().cast_const(), PATH_MAX - start) };
    let len = written.iter().position(|&b| b == 0).ok_or_else(too_long)?;
    // Invariant: `start..start + len` was written.
    Ok(PathName { buf, start, len })
}

/// The absolute path of `dentry` seen through the mount of `dir` (for hooks that get a
/// parent directory and a child dentry).
///
/// # Safety
///
/// `dir` and `dentry` must be live, `dentry` on the mount of `dir`.
pub(crate) unsafe fn of_child(dir: *const bindings::path, dentry: *mut bindings::dentry) -> Result<PathName> {
    // SAFETY: `dir` is live (caller).
    let child = bindings::path { mnt: unsafe { (*dir).mnt }, dentry };
    // SAFETY: `child` lives on this stack frame for the call.
    unsafe { of(&child) }
}
