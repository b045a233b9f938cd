// SPDX-License-Identifier: GPL-2.0

//! Absolute path names of files and directories, for matching the policy's path rules.
//!
//! A name is built into a 256-byte buffer on the stack, and only when it does not fit
//! there into a 4 KiB heap buffer: a heap allocation and its free cost more than the rest
//! of a file decision. Neither buffer is zeroed; only the bytes the kernel wrote are read.
//! The name is lent to a closure rather than returned, so no buffer is ever copied.
//!
//! A name longer than `PATH_MAX` cannot be built (`d_absolute_path` fails). Such an
//! object is named by the deepest directory above it whose name fits ([`Name::below`]),
//! and decided by the one type the policy gives everything below that directory (the
//! engine's `type_below`), or refused, the same way in every hook, when there is no one
//! type (docs/policy-language.md, "Names longer than PATH_MAX").

use core::mem::MaybeUninit;

use kernel::bindings;
use kernel::error::code::ENOMEM;
use kernel::ffi::c_int;
use kernel::prelude::*;

use crate::vfs::{KDentry, KPath};

/// `-ENAMETOOLONG`.
fn too_long() -> Error {
    crate::errno::code(bindings::ENAMETOOLONG)
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
unsafe fn written<'b>(
    p: *mut kernel::ffi::c_char,
    base: *const u8,
    size: usize,
) -> Result<&'b [u8]> {
    let p = kernel::error::from_err_ptr(p)?;
    let start = (p as usize)
        .checked_sub(base as usize)
        .filter(|&s| s < size)
        .ok_or_else(too_long)?;
    // SAFETY: Both functions write the name, then its NUL, from `p` to the end of the
    // buffer (`prepend` in fs/d_path.c fills it backwards from the end); the caller keeps
    // the buffer borrowed.
    let written = unsafe { core::slice::from_raw_parts(p.cast::<u8>().cast_const(), size - start) };
    // The NUL is the buffer's last byte (both prepend it first, as `dynamic_dname` ends
    // pseudo names with it; no name holds a NUL): the name is what comes before, without
    // a scan for it.
    match written.split_last() {
        Some((0, name)) => Ok(name),
        _ => {
            let end = written.iter().position(|&b| b == 0).ok_or_else(too_long)?;
            written.get(..end).ok_or_else(too_long)
        }
    }
}

/// Writes the absolute name of `path` (from the root of the mount tree) into `buf` and
/// returns it, without its NUL: `-ENAMETOOLONG` when it does not fit, `-EINVAL` when the
/// object is not reachable from the root (detached mounts, internal mounts). Neither
/// sleeps nor allocates: usable under spinlocks.
pub(crate) fn absolute_in<'b>(path: KPath<'_>, buf: &'b mut [MaybeUninit<u8>]) -> Result<&'b [u8]> {
    let size = buf.len();
    let len = c_int::try_from(size).map_err(|_| too_long())?;
    let base = buf.as_mut_ptr().cast::<u8>();
    // SAFETY: `path` is live (`KPath`); `buf` has `size` writable bytes.
    let p = unsafe { bindings::d_absolute_path(path.as_ptr(), base.cast(), len) };
    // SAFETY: `p` is the result for this buffer, borrowed for `'b`.
    unsafe { written(p, base, size) }
}

/// Writes the name of `path` into `buf` and returns it (without its NUL): the absolute
/// name, or for objects outside any reachable mount (pipes, sockets, memfds, anonymous
/// inodes) their pseudo name from `d_path`, e.g. `/memfd:x (deleted)`, which no rule of an
/// absolute path matches. `-ENAMETOOLONG` when the name does not fit.
fn name_in<'b>(path: KPath<'_>, buf: &'b mut [MaybeUninit<u8>]) -> Result<&'b [u8]> {
    let size = buf.len();
    let len = c_int::try_from(size).map_err(|_| too_long())?;
    let base = buf.as_mut_ptr().cast::<u8>();
    // SAFETY: `path` is live (`KPath`); `buf` has `size` writable bytes.
    let p = unsafe { bindings::d_absolute_path(path.as_ptr(), base.cast(), len) };
    // SAFETY: `p` is the result for this buffer, borrowed for `'b`.
    match unsafe { written(p, base, size) } {
        Err(e) if e.to_errno() != too_long().to_errno() => {
            // Not reachable from the root of the mount tree: the pseudo name. (`d_path`
            // is not tried when the absolute name did not fit: a chroot must never give
            // a shorter, relative name.)
            // SAFETY: As above.
            let p = unsafe { bindings::d_path(path.as_ptr(), base.cast(), len) };
            // SAFETY: As above.
            unsafe { written(p, base, size) }.map_err(|_| too_long())
        }
        other => other,
    }
}

/// The name of an object for the policy's path rules.
#[derive(Clone, Copy)]
pub(crate) struct Name<'a> {
    bytes: &'a [u8],
    below: bool,
}

impl<'a> Name<'a> {
    /// The object's own absolute name.
    pub(crate) const fn exact(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            below: false,
        }
    }

    /// The object's absolute name, or when it has none that fits in `PATH_MAX` (then
    /// [`Name::own`] is `None`), that of the deepest directory above it whose name fits.
    pub(crate) const fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The object's own name, unless it is too long to build.
    pub(crate) const fn own(&self) -> Option<&'a [u8]> {
        if self.below {
            None
        } else {
            Some(self.bytes)
        }
    }
}

/// How many levels above an object [`nameable_ancestor`] looks at most for a directory
/// whose name fits: names up to about `PATH_MAX` + 128 KiB (two bytes a level). Beyond,
/// the object is named as below `/`.
const MAX_LEVELS_UP: usize = 1 << 16;

/// Whether `e` is `-ENAMETOOLONG`.
fn is_too_long(e: &Error) -> bool {
    e.to_errno() == too_long().to_errno()
}

/// A counted reference to the directory `levels` (at least 1) above `dentry`, not going
/// above the mount's root `root`, and whether it is `root`. The caller puts it with `dput`.
///
/// # Safety
///
/// `dentry` must be live, strictly below `root`. May sleep.
unsafe fn up(
    dentry: *mut bindings::dentry,
    root: *mut bindings::dentry,
    levels: usize,
) -> (*mut bindings::dentry, bool) {
    // SAFETY: `dentry` is live; `dget_parent` returns its parent with a reference.
    let mut d = unsafe { bindings::dget_parent(dentry) };
    for _ in 1..levels {
        if d == root {
            break;
        }
        // SAFETY: `d` holds a reference; its parent comes with its own.
        let parent = unsafe { bindings::dget_parent(d) };
        // SAFETY: Puts the reference taken above, once.
        unsafe { bindings::dput(d) };
        d = parent;
    }
    (d, d == root)
}

/// Writes into `buf` the name of the deepest directory above the object at `path` whose
/// name fits, and returns it: found by doubling the number of levels up, then bisecting
/// (each probe builds one name of at most `PATH_MAX`). `/` (above everything) when no
/// directory of the object's mount within [`MAX_LEVELS_UP`] levels has a name that fits.
/// May sleep.
fn nameable_ancestor<'b>(path: KPath<'_>, buf: &'b mut [MaybeUninit<u8>]) -> Result<&'b [u8]> {
    let (mnt, dentry, root) = (path.mnt(), path.dentry().as_ptr(), path.mnt_root());
    if dentry == root {
        return Ok(b"/");
    }
    // Whether the name of the directory `levels` above fits, and whether it is the root.
    let fits = |levels: usize, buf: &mut [MaybeUninit<u8>]| -> Result<(bool, bool)> {
        // SAFETY: `dentry` is live and strictly below `root`.
        let (d, at_root) = unsafe { up(dentry, root, levels) };
        let above = bindings::path { mnt, dentry: d };
        // SAFETY: `above` is live for the call: `d` holds a reference, `mnt` is held by
        // the caller's path.
        let named = name_in(unsafe { KPath::new(&above) }, buf).map(|_| ());
        // SAFETY: Puts the reference `up` took, once.
        unsafe { bindings::dput(d) };
        match named {
            Ok(()) => Ok((true, at_root)),
            Err(e) if is_too_long(&e) => Ok((false, at_root)),
            Err(e) => Err(e),
        }
    };
    // `low` levels up is known not to fit (0: the object itself), `high` to fit.
    let (mut low, mut high) = (0usize, 1usize);
    loop {
        let (fit, at_root) = fits(high, buf)?;
        if fit {
            break;
        }
        if at_root || high >= MAX_LEVELS_UP {
            return Ok(b"/");
        }
        low = high;
        high = high.saturating_mul(2).min(MAX_LEVELS_UP);
    }
    while high - low > 1 {
        let mid = low + (high - low) / 2;
        if fits(mid, buf)?.0 {
            high = mid;
        } else {
            low = mid;
        }
    }
    // SAFETY: As in `fits`.
    let (d, _) = unsafe { up(dentry, root, high) };
    let above = bindings::path { mnt, dentry: d };
    // SAFETY: As in `fits`; the name is written into `buf`, which outlives the reference.
    let named = name_in(unsafe { KPath::new(&above) }, buf);
    // SAFETY: Puts the reference `up` took, once.
    unsafe { bindings::dput(d) };
    match named {
        // A rename made it longer since the probe.
        Err(e) if is_too_long(&e) => Ok(b"/"),
        other => other,
    }
}

/// Runs `f` with the absolute name of `path` (from the root of the mount namespace, so
/// `chroot` cannot change which rule matches); for an object whose name is longer than
/// `PATH_MAX`, with the name of the deepest directory above it that fits. May sleep
/// (allocates with GFP_KERNEL for names longer than 255 bytes).
pub(crate) fn with<R>(path: KPath<'_>, f: impl FnOnce(Name<'_>) -> R) -> Result<R> {
    let mut small = [MaybeUninit::<u8>::uninit(); ON_STACK];
    match name_in(path, &mut small) {
        Ok(name) => return Ok(f(Name::exact(name))),
        Err(e) if !is_too_long(&e) => return Err(e),
        Err(_) => {}
    }
    let mut big = KVec::<u8>::with_capacity(PATH_MAX, GFP_KERNEL).map_err(|_| ENOMEM)?;
    let deep = match name_in(path, big.spare_capacity_mut()) {
        Ok(name) => return Ok(f(Name::exact(name))),
        Err(e) if !is_too_long(&e) => return Err(e),
        Err(_) => true,
    };
    let name = nameable_ancestor(path, big.spare_capacity_mut())?;
    Ok(f(Name {
        bytes: name,
        below: deep,
    }))
}

/// Runs `f` with the absolute name of `dentry` seen through the mount of `dir` (for
/// hooks that get a parent directory and a child dentry; `dentry` is on the mount of
/// `dir`). May sleep.
pub(crate) fn with_child<R>(
    dir: KPath<'_>,
    dentry: KDentry<'_>,
    f: impl FnOnce(Name<'_>) -> R,
) -> Result<R> {
    let child = bindings::path {
        mnt: dir.mnt(),
        dentry: dentry.as_ptr(),
    };
    // SAFETY: `child` lives on this stack frame for the call; `dir` holds the mount and
    // the caller's handle the dentry.
    with(unsafe { KPath::new(&child) }, f)
}
