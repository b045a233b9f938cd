// SPDX-License-Identifier: GPL-2.0

//! Absolute path names of files and directories, for matching the policy's path rules.
//!
//! A name is built into a 256-byte buffer on the stack, and only when it does not fit
//! there into a 4 KiB heap buffer: a heap allocation and its free cost more than the rest
//! of a file decision. Neither buffer is zeroed; only the bytes the kernel wrote are read.
//! The name is lent to a closure rather than returned, so no buffer is ever copied.

use core::mem::MaybeUninit;

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

/// Room on the stack: most names are shorter.
const ON_STACK: usize = 256;

/// Writes the absolute name of `path` into `buf` and returns it (without its NUL).
/// Objects outside any reachable mount (pipes, sockets, memfds, anonymous inodes) get
/// their pseudo name from `d_path`, e.g. `/memfd:x (deleted)`, which no rule of an
/// absolute path matches. `-ENAMETOOLONG` when the name does not fit.
///
/// # Safety
///
/// `path` must point to a live `struct path`.
unsafe fn name_in<'b>(path: *const bindings::path, buf: &'b mut [MaybeUninit<u8>]) -> Result<&'b [u8]> {
    let size = buf.len();
    let len = c_int::try_from(size).map_err(|_| too_long())?;
    let base = buf.as_mut_ptr().cast::<u8>();
    // SAFETY: `path` is live (caller); `buf` has `size` writable bytes.
    let mut p = unsafe { bindings::d_absolute_path(path, base.cast(), len) };
    match kernel::error::from_err_ptr(p) {
        Err(e) if e.to_errno() == too_long().to_errno() => return Err(too_long()),
        // Not reachable from the root of the mount tree: the pseudo name (`d_path`
        // cannot be shorter than an absolute name that did not fit: it is not tried then,
        // so a chroot never gives a shorter, relative name).
        // SAFETY: As above.
        Err(_) => p = unsafe { bindings::d_path(path, base.cast(), len) },
        Ok(_) => {}
    }
    let p = kernel::error::from_err_ptr(p).map_err(|_| too_long())?;
    let start = (p as usize).checked_sub(base as usize).filter(|&s| s < size).ok_or_else(too_long)?;
    // SAFETY: Both functions wrote the name, then its NUL, from `p` to the end of the
    // buffer (`prepend` in fs/d_path.c fills it backwards from the end); `buf` is borrowed
    // for the slice's lifetime.
    let written = unsafe { core::slice::from_raw_parts(p.cast::<u8>().cast_const(), size - start) };
    let end = written.iter().position(|&b| b == 0).ok_or_else(too_long)?;
    written.get(..end).ok_or_else(too_long)
}

/// Runs `f` with the absolute name of `path` (from the root of the mount namespace, so
/// `chroot` cannot change which rule matches).
///
/// # Safety
///
/// `path` must point to a live `struct path`. May sleep (allocates with GFP_KERNEL for
/// names longer than 255 bytes).
pub(crate) unsafe fn with<R>(path: *const bindings::path, f: impl FnOnce(&[u8]) -> R) -> Result<R> {
    let mut small = [MaybeUninit::<u8>::uninit(); ON_STACK];
    // SAFETY: Guaranteed by the caller.
    match unsafe { name_in(path, &mut small) } {
        Ok(name) => return Ok(f(name)),
        Err(e) if e.to_errno() != too_long().to_errno() => return Err(e),
        Err(_) => {}
    }
    let mut big = KVec::<u8>::with_capacity(PATH_MAX, GFP_KERNEL).map_err(|_| ENOMEM)?;
    // SAFETY: As above.
    let name = unsafe { name_in(path, big.spare_capacity_mut()) }?;
    Ok(f(name))
}

/// Runs `f` with the absolute name of `dentry` seen through the mount of `dir` (for
/// hooks that get a parent directory and a child dentry).
///
/// # Safety
///
/// `dir` and `dentry` must be live, `dentry` on the mount of `dir`. May sleep.
pub(crate) unsafe fn with_child<R>(
    dir: *const bindings::path,
    dentry: *mut bindings::dentry,
    f: impl FnOnce(&[u8]) -> R,
) -> Result<R> {
    // SAFETY: `dir` is live (caller).
    let child = bindings::path { mnt: unsafe { (*dir).mnt }, dentry };
    // SAFETY: `child` lives on this stack frame for the call.
    unsafe { with(&child, f) }
}
