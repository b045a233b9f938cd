// SPDX-License-Identifier: GPL-2.0

//! Typed handles on the VFS objects the file hooks receive: a `struct path`, a dentry, an
//! inode and an open file, each valid for a lifetime `'a` (the hook's call).
//!
//! A hook makes the handle once, from the pointer it was given, with the one `unsafe`
//! constructor whose contract is the object's liveness for `'a`; the decision code below
//! (`fscheck`, `fspath`, `pathcache`, `protect`) takes handles, not pointers, and needs
//! no `unsafe` of its own to reach an object's fields. The handles hold a pointer, not a
//! Rust reference: other CPUs may change a dentry's or inode's fields under the kernel's
//! locks while we read them (the kernel crate's `Opaque` for the same reason), so each
//! read is a raw read of one field, as the C code does.
//!
//! Why our own: the kernel crate of Linux 6.12 has `fs::File` (`LocalFile`), but no path,
//! dentry or inode type for an LSM's hooks, and its `File` takes a reference count we do
//! not need for the length of one hook.

use core::marker::PhantomData;
use core::ptr::NonNull;

use kernel::bindings;

use crate::blob::{self, InodeSecurity};

/// A `struct path` live for `'a`: its mount and dentry are held.
#[derive(Clone, Copy)]
pub(crate) struct KPath<'a> {
    ptr: NonNull<bindings::path>,
    _life: PhantomData<&'a bindings::path>,
}

impl<'a> KPath<'a> {
    /// The handle of `path`.
    ///
    /// # Safety
    ///
    /// `path` must be non-null and point to a `struct path` that holds its mount and dentry
    /// for `'a` (a hook's argument for the call, an open file's `f_path`, or a path on the
    /// caller's stack whose references the caller holds).
    pub(crate) unsafe fn new(path: *const bindings::path) -> Self {
        Self {
            // SAFETY: Non-null by the caller's guarantee.
            ptr: unsafe { NonNull::new_unchecked(path.cast_mut()) },
            _life: PhantomData,
        }
    }

    /// The pointer, for the kernel's functions.
    pub(crate) fn as_ptr(self) -> *const bindings::path {
        self.ptr.as_ptr()
    }

    /// The mount.
    pub(crate) fn mnt(self) -> *mut bindings::vfsmount {
        // SAFETY: The path is live for `'a` (`new`); its fields do not change.
        unsafe { (*self.ptr.as_ptr()).mnt }
    }

    /// The dentry.
    pub(crate) fn dentry(self) -> KDentry<'a> {
        // SAFETY: A live path holds its dentry for as long as it is live (`new`).
        unsafe { KDentry::new((*self.ptr.as_ptr()).dentry) }
    }

    /// The mount's flags (`MNT_*`).
    pub(crate) fn mnt_flags(self) -> i32 {
        // SAFETY: A live path holds its mount; `mnt_flags` is read as the VFS reads it,
        // without its lock (it only gains or loses flags that do not concern us).
        unsafe { (*self.mnt()).mnt_flags }
    }

    /// The addresses of the mount and the dentry: the key under which a type is
    /// remembered for this path (`pathcache::Reached`), compared and never followed.
    pub(crate) fn addresses(self) -> (usize, usize) {
        (self.mnt() as usize, self.dentry().as_ptr() as usize)
    }

    /// The dentry of the mount's root.
    pub(crate) fn mnt_root(self) -> *mut bindings::dentry {
        // SAFETY: A live path holds its mount; a mount holds its root.
        unsafe { (*self.mnt()).mnt_root }
    }
}

/// A dentry live for `'a` (positive or negative).
#[derive(Clone, Copy)]
pub(crate) struct KDentry<'a> {
    ptr: NonNull<bindings::dentry>,
    _life: PhantomData<&'a bindings::dentry>,
}

impl<'a> KDentry<'a> {
    /// The handle of `dentry`.
    ///
    /// # Safety
    ///
    /// `dentry` must be non-null and live for `'a` (held by the hook's caller, by a path,
    /// or by a reference the caller took).
    pub(crate) unsafe fn new(dentry: *const bindings::dentry) -> Self {
        Self {
            // SAFETY: Non-null by the caller's guarantee.
            ptr: unsafe { NonNull::new_unchecked(dentry.cast_mut()) },
            _life: PhantomData,
        }
    }

    /// The pointer, for the kernel's functions.
    pub(crate) fn as_ptr(self) -> *mut bindings::dentry {
        self.ptr.as_ptr()
    }

    /// The inode, `None` for a negative dentry.
    pub(crate) fn inode(self) -> Option<KInode<'a>> {
        // SAFETY: The dentry is live (`new`); a positive dentry holds its inode, which the
        // hook's caller keeps (the VFS holds the dentry and, for the hooks that can drop
        // the name, the inode lock) for the call.
        let inode = unsafe { (*self.ptr.as_ptr()).d_inode };
        // SAFETY: As above: live for `'a` when non-null.
        (!inode.is_null()).then(|| unsafe { KInode::new(inode) })
    }

    /// The superblock's magic number and flags (`SB_*`).
    pub(crate) fn sb_magic_flags(self) -> (kernel::ffi::c_ulong, kernel::ffi::c_ulong) {
        // SAFETY: A live dentry's superblock is live; both fields are set at mount.
        unsafe {
            let sb = (*self.ptr.as_ptr()).d_sb;
            ((*sb).s_magic, (*sb).s_flags)
        }
    }

    /// The dentry's own name, without its NUL.
    ///
    /// Only for the objects of the internal mounts, whose names no rename changes (a
    /// pipe's, `anon_inode_getfile(NAME)`, `memfd:NAME`): elsewhere a concurrent rename
    /// may replace the name while it is read.
    pub(crate) fn internal_name(self) -> &'a [u8] {
        // SAFETY: The dentry is live; a dentry's name is NUL-terminated, and on the
        // internal mounts it never changes (see above).
        unsafe { core::ffi::CStr::from_ptr((*self.ptr.as_ptr()).d_name.name.cast()) }.to_bytes()
    }
}

/// An inode live for `'a`, with this LSM's blob.
#[derive(Clone, Copy)]
pub(crate) struct KInode<'a> {
    ptr: NonNull<bindings::inode>,
    _life: PhantomData<&'a bindings::inode>,
}

impl<'a> KInode<'a> {
    /// The handle of `inode`.
    ///
    /// # Safety
    ///
    /// `inode` must be non-null and live for `'a`.
    pub(crate) unsafe fn new(inode: *const bindings::inode) -> Self {
        Self {
            // SAFETY: Non-null by the caller's guarantee.
            ptr: unsafe { NonNull::new_unchecked(inode.cast_mut()) },
            _life: PhantomData,
        }
    }

    /// This LSM's state of the inode (its blob, allocated with the inode).
    pub(crate) fn security(self) -> &'a InodeSecurity {
        // SAFETY: A live inode has its blob, initialised by `inode_alloc_security`, for as
        // long as it is live; the state is atomics and locks, shared by reference.
        unsafe { &*blob::inode(self.ptr.as_ptr()) }
    }

    /// The file type and permission bits (`i_mode`).
    pub(crate) fn mode(self) -> u32 {
        // SAFETY: The inode is live; the type bits never change, and the permission bits
        // are read as the VFS reads them, without the inode lock.
        u32::from(unsafe { (*self.ptr.as_ptr()).i_mode })
    }
}

/// An open file live for `'a`.
#[derive(Clone, Copy)]
pub(crate) struct KFile<'a> {
    ptr: NonNull<bindings::file>,
    _life: PhantomData<&'a bindings::file>,
}

impl<'a> KFile<'a> {
    /// The handle of `file`.
    ///
    /// # Safety
    ///
    /// `file` must be non-null and an open file live for `'a` (its path, inode and
    /// private data included).
    pub(crate) unsafe fn new(file: *const bindings::file) -> Self {
        Self {
            // SAFETY: Non-null by the caller's guarantee.
            ptr: unsafe { NonNull::new_unchecked(file.cast_mut()) },
            _life: PhantomData,
        }
    }

    /// The pointer, for the kernel's functions.
    pub(crate) fn as_ptr(self) -> *mut bindings::file {
        self.ptr.as_ptr()
    }

    /// The file's path.
    pub(crate) fn path(self) -> KPath<'a> {
        // SAFETY: An open file holds its path for as long as it is open (`new`).
        unsafe { KPath::new(&raw const (*self.ptr.as_ptr()).f_path) }
    }

    /// The file's inode.
    pub(crate) fn inode(self) -> KInode<'a> {
        // SAFETY: An open file holds its inode, never null, for as long as it is open.
        unsafe { KInode::new((*self.ptr.as_ptr()).f_inode) }
    }

    /// The open mode (`FMODE_*`) and flags (`O_*`).
    pub(crate) fn mode_flags(self) -> (bindings::fmode_t, core::ffi::c_uint) {
        // SAFETY: The file is live; both are read as the VFS reads them.
        unsafe { ((*self.ptr.as_ptr()).f_mode, (*self.ptr.as_ptr()).f_flags) }
    }
}
