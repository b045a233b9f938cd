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

/// The name that `d_absolute_path` or `d_path` returned as `p` for a buffer at `base` of
/// `size` bytes, without its NUL.
///
/// # Safety
///
/// `p` must be what one of those functions returned for that buffer, which must stay
/// borrowed for `'b`.
unsafe fn written<'b>(p: *mut kernel::ffi::c_char, base: *const u8, size: usize) -> Result<&'b [u8]> {
    let p = kernel::error::from_err_ptr(p)?;
    let start = (p as usize).checked_sub(base as usize).filter(|&s| s < size).ok_or_else(too_long)?;
    // SAFETY: Both functions write the name, then its NUL, from `p` to the end of the
    // buffer (`prepend` in fs/d_path.c fills it backwards from the end); the caller keeps
    // the buffer borrowed.
    let written = unsafe { core::slice::from_raw_parts(p.cast::<u8>().cast_const(), size - start) };
    let end = written.iter().position(|&b| b == 0).ok_or_else(too_long)?;
    written.get(..end).ok_or_else(too_long)
}

/// Writes the absolute name of `path` (from the root of the mount tree) into `buf` and
/// returns it, without its NUL: `-ENAMETOOLONG` when it does not fit, `-EINVAL` when the
/// object is not reachable from the root (detached mounts, internal mounts). Neither
/// sleeps nor allocates: usable under spinlocks.
///
/// # Safety
///
/// `path` must point to a live `struct path`.
pub(crate) unsafe fn absolute_in<'b>(path: *const bindings::path, buf: &'b mut [MaybeUninit<u8>]) -> Result<&'b [u8]> {
    let size = buf.len();
    let len = c_int::try_from(size).map_err(|_| too_long())?;
    let base = buf.as_mut_ptr().cast::<u8>();
    // SAFETY: `path` is live (caller); `buf` has `size` writable bytes.
    let p = unsafe { bindings::d_absolute_path(path, base.cast(), len) };
    // SAFETY: `p` is the result for this buffer, borrowed for `'b`.
    unsafe { written(p, base, size) }
}

/// Writes the name of `path` into `buf` and returns it (without its NUL): the absolute
/// name, or for objects outside any reachable mount (pipes, sockets, memfds, anonymous
/// inodes) their pseudo name from `d_path`, e.g. `/memfd:x (deleted)`, which no rule of an
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
    let p = unsafe { bindings::d_absolute_path(path, base.cast(), len) };
    // SAFETY: `p` is the result for this buffer, borrowed for `'b`.
    match unsafe { written(p, base, size) } {
        Err(e) if e.to_errno() != too_long().to_errno() => {
            // Not reachable from the root of the mount tree: the pseudo name. (`d_path`
            // is not tried when the absolute name did not fit: a chroot must never give
            // a shorter, relative name.)
            // SAFETY: As above.
            let p = unsafe { bindings::d_path(path, base.cast(), len) };
            // SAFETY: As above.
            unsafe { written(p, base, size) }.map_err(|_| too_long())
        }
        other => other,
    }
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
