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
pub(crate) struct PathName {
    buf: KVec<u8>,
    start: usize,
    end: usize,
}

impl PathName {
    /// The name's bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.buf.as_slice().get(self.start..self.end).unwrap_or(&[])
    }
}

/// The absolute path of `path` (from the root of the mount namespace, so `chroot` cannot
/// change which rule matches). Objects outside any reachable mount (pipes, sockets,
/// memfds, anonymous inodes) get their pseudo name from `d_path`, e.g. `/memfd:x
/// (deleted)`, which no rule of an absolute path matches.
///
/// # Safety
///
/// `path` must point to a live `struct path`. Sleeps (allocates with GFP_KERNEL).
pub(crate) unsafe fn of(path: *const bindings::path) -> Result<PathName> {
    let mut buf = KVec::from_elem(0u8, PATH_MAX, GFP_KERNEL).map_err(|_| ENOMEM)?;
    let base = buf.as_mut_ptr();
    let len = PATH_MAX as c_int;
    // SAFETY: `path` is live (caller); `buf` holds PATH_MAX writable bytes.
    let mut p = unsafe { bindings::d_absolute_path(path, base.cast(), len) };
    if kernel::error::from_err_ptr(p).is_err() {
        // SAFETY: As above.
        p = unsafe { bindings::d_path(path, base.cast(), len) };
    }
    let p = kernel::error::from_err_ptr(p).map_err(|_| too_long())?;
    // Both functions write the name at the end of the buffer, NUL-terminated.
    let start = (p as usize).checked_sub(base as usize).ok_or_else(too_long)?;
    let tail = buf.as_slice().get(start..).ok_or_else(too_long)?;
    let end = start + tail.iter().position(|&b| b == 0).ok_or_else(too_long)?;
    Ok(PathName { buf, start, end })
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
