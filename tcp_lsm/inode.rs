// SPDX-License-Identifier: GPL-2.0

//! The `inode_*` hooks, called with a dentry or inode and no name: `inode_getattr`,
//! `inode_setattr`, the xattr hooks, `inode_unlink`, `inode_rmdir`, `inode_link`,
//! `inode_rename` (which keep protected objects protected whatever name reached them),
//! `inode_init_security_anon`, and `d_instantiate` (marks protected objects as the dentry
//! cache meets them; the marking itself is `protect`'s).

use kernel::bindings;
use kernel::ffi::c_int;

use crate::blob;
use crate::decide::Subject;
use crate::engine::perm::bits::{file as perm, system};
use crate::errno::to_ret;
use crate::fscheck::{check_dentry, check_file, check_path, refuse_protected};
use crate::marks::INHERIT;
use crate::system::system_op;
use crate::vfs::{KDentry, KFile, KPath};

/// `inode_getattr` (`stat(2)` and friends): `getattr`.
///
/// Objects on the kernel's internal mounts (pipes, sockets, anonymous inodes, memfds) are
/// left alone: no path rule can name them and a descriptor to them was already decided
/// on; `fstat` on them (which every `printf` to a pipe does) reveals nothing more.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn inode_getattr(path: *const bindings::path) -> c_int {
    // SAFETY: The VFS passes a path live for the call.
    to_ret(check_path(
        "inode_getattr",
        unsafe { KPath::new(path) },
        perm::GETATTR,
    ))
}

/// `inode_setxattr`: `xattr` on the type remembered for the inode.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn inode_setxattr(
    _idmap: *mut bindings::mnt_idmap,
    dentry: *mut bindings::dentry,
    _name: *const kernel::ffi::c_char,
    _value: *const kernel::ffi::c_void,
    _size: usize,
    _flags: c_int,
) -> c_int {
    // SAFETY: The VFS passes a dentry live for the call.
    to_ret(check_dentry(
        "inode_setxattr",
        unsafe { KDentry::new(dentry) },
        perm::XATTR,
    ))
}

/// `inode_removexattr`: `xattr`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn inode_removexattr(
    _idmap: *mut bindings::mnt_idmap,
    dentry: *mut bindings::dentry,
    _name: *const kernel::ffi::c_char,
) -> c_int {
    // SAFETY: The VFS passes a dentry live for the call.
    to_ret(check_dentry(
        "inode_removexattr",
        unsafe { KDentry::new(dentry) },
        perm::XATTR,
    ))
}

/// `inode_getxattr`: reading an attribute is `getattr`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn inode_getxattr(
    dentry: *mut bindings::dentry,
    _name: *const kernel::ffi::c_char,
) -> c_int {
    // SAFETY: The VFS passes a dentry live for the call.
    to_ret(check_dentry(
        "inode_getxattr",
        unsafe { KDentry::new(dentry) },
        perm::GETATTR,
    ))
}

/// `inode_listxattr`: `getattr`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn inode_listxattr(dentry: *mut bindings::dentry) -> c_int {
    // SAFETY: The VFS passes a dentry live for the call.
    to_ret(check_dentry(
        "inode_listxattr",
        unsafe { KDentry::new(dentry) },
        perm::GETATTR,
    ))
}

/// `inode_unlink`: protected objects are never unlinked.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn inode_unlink(
    _dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
) -> c_int {
    // SAFETY: The VFS passes the victim's dentry, live for the call.
    refuse_protected(
        "inode_unlink",
        perm::UNLINK,
        &[unsafe { KDentry::new(dentry) }],
    )
}

/// `inode_rmdir`: protected directories are never removed.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn inode_rmdir(
    _dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
) -> c_int {
    // SAFETY: The VFS passes the victim's dentry, live for the call.
    refuse_protected(
        "inode_rmdir",
        perm::RMDIR,
        &[unsafe { KDentry::new(dentry) }],
    )
}

/// `inode_link`: protected objects get no new names. For every task, it also tells the
/// path type cache that an inode gets another name (`pathcache::note_link`).
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn inode_link(
    old_dentry: *mut bindings::dentry,
    _dir: *mut bindings::inode,
    _new_dentry: *mut bindings::dentry,
) -> c_int {
    crate::pathcache::note_link();
    // SAFETY: The VFS passes the source dentry, live for the call.
    refuse_protected(
        "inode_link",
        perm::LINK,
        &[unsafe { KDentry::new(old_dentry) }],
    )
}

/// `inode_rename`: protected objects are neither moved nor replaced.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn inode_rename(
    _old_dir: *mut bindings::inode,
    old_dentry: *mut bindings::dentry,
    _new_dir: *mut bindings::inode,
    new_dentry: *mut bindings::dentry,
) -> c_int {
    // SAFETY: The VFS passes both dentries (the target may be negative), live for the
    // call.
    let both = unsafe { [KDentry::new(old_dentry), KDentry::new(new_dentry)] };
    refuse_protected("inode_rename", perm::RENAME, &both)
}

/// `iattr.ia_valid` bits (`include/linux/fs.h`).
const ATTR_MODE: u32 = bindings::ATTR_MODE;

const ATTR_UID: u32 = bindings::ATTR_UID;

const ATTR_GID: u32 = bindings::ATTR_GID;

const ATTR_SIZE: u32 = bindings::ATTR_SIZE;

const ATTR_ATIME_SET: u32 = bindings::ATTR_ATIME_SET;

const ATTR_FILE: u32 = bindings::ATTR_FILE;

const ATTR_MTIME_SET: u32 = bindings::ATTR_MTIME_SET;

const ATTR_TIMES_SET: u32 = bindings::ATTR_TIMES_SET;

/// `inode_setattr`: size changes need `write`; mode, ownership and explicit timestamps
/// need `setattr`; timestamps set to "now" need `write` (what writing does anyway). The
/// type is the one remembered in the inode: an object never reached by a path under the
/// policy in force is refused (`utimensat` on a path has no path hook; `touch` opens the
/// file first, which classifies it).
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn inode_setattr(
    _idmap: *mut bindings::mnt_idmap,
    dentry: *mut bindings::dentry,
    attr: *mut bindings::iattr,
) -> c_int {
    if Subject::current().is_none() {
        return 0;
    }
    // SAFETY: The VFS passes a live iattr.
    let valid = unsafe { (*attr).ia_valid };
    let mut perms = 0;
    if valid & (ATTR_MODE | ATTR_UID | ATTR_GID | ATTR_ATIME_SET | ATTR_MTIME_SET | ATTR_TIMES_SET)
        != 0
    {
        perms |= perm::SETATTR;
    }
    if valid & ATTR_SIZE != 0 || perms == 0 {
        perms |= perm::WRITE;
    }
    // A change made through an open file (open with O_TRUNC, ftruncate) names that file:
    // decide by its path, as its open was, so that a policy loaded between the open and
    // the change finds the object's type under the new policy instead of an inode not yet
    // classified by it (found by the concurrency stress suite).
    if valid & ATTR_FILE != 0 {
        // SAFETY: With ATTR_FILE the VFS sets `ia_file` to the open file the change goes
        // through, live for the call.
        let file = unsafe { (*attr).ia_file };
        if !file.is_null() {
            // SAFETY: As above.
            return to_ret(check_file(
                "inode_setattr",
                unsafe { KFile::new(file) },
                perms,
            ));
        }
    }
    // SAFETY: The VFS passes a dentry live for the call.
    to_ret(check_dentry(
        "inode_setattr",
        unsafe { KDentry::new(dentry) },
        perms,
    ))
}

/// `inode_init_security_anon`: refuses to create an io_uring instance (`[io_uring]`
/// anonymous inode) in a domain without `io-uring`, so no request bypasses the hooks.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn inode_init_security_anon(
    _inode: *mut bindings::inode,
    name: *const bindings::qstr,
    _context: *const bindings::inode,
) -> c_int {
    if name.is_null() {
        // Not a named anonymous inode: nothing that a rule governs.
        return 0;
    }
    // SAFETY: `name` is a live qstr whose `name` is NUL-terminated.
    let name = unsafe { core::ffi::CStr::from_ptr((*name).name.cast()) }.to_bytes();
    if name != b"[io_uring]" {
        // Other anonymous inodes (eventfd, timerfd, signalfd, epoll, userfaultfd, ...) are
        // the process's own objects: their use reaches nothing a rule names.
        return 0;
    }
    system_op("inode_init_security_anon", system::IO_URING)
}

/// `d_instantiate` (for every task): an inode that appears below a directory whose mark
/// inherits (a lookup, a creation) gets the same mark, unless it has one.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn d_instantiate(
    dentry: *mut bindings::dentry,
    inode: *mut bindings::inode,
) {
    if inode.is_null() {
        return;
    }
    // SAFETY: The dcache passes a live dentry being given `inode`; its parent is pinned by
    // it, and a directory with children keeps its inode.
    let parent = unsafe { (*dentry).d_parent };
    if parent.is_null() || parent == dentry {
        return;
    }
    // SAFETY: As above.
    let dir = unsafe { (*parent).d_inode };
    if dir.is_null() {
        return;
    }
    // SAFETY: Live inodes have blobs.
    let mark = unsafe { (*blob::inode(dir)).protected_mark() };
    if mark & INHERIT != 0 {
        // SAFETY: As above.
        unsafe { (*blob::inode(inode)).replace_protected_mark(0, mark) };
    }
}
