// SPDX-License-Identifier: GPL-2.0

//! File, exec and memory hooks: objects get a type from the policy's path rules and the
//! subject's domain must hold the permission on that type.
//!
//! Protected types can never be unlinked, renamed or linked by a domain, and no domain
//! can create a link or rename onto a protected path, whatever its rules say.

use kernel::bindings;
use kernel::error::code::EACCES;
use kernel::ffi::{c_int, c_uint, c_ulong};
use kernel::prelude::*;

use crate::decide::{to_ret, Subject, DENIED};
use crate::engine::perm::bits::file as perm;
use crate::fspath::{self, PathName};

/// `fmode_t` bits (`include/linux/fs.h`; bindgen cannot evaluate their casts).
const FMODE_READ: u32 = 1 << 0;
const FMODE_WRITE: u32 = 1 << 1;
const FMODE_EXEC: u32 = 1 << 5;
/// `PROT_*` (`include/uapi/asm-generic/mman-common.h`).
const PROT_WRITE: c_ulong = 0x2;
const PROT_EXEC: c_ulong = 0x4;
/// `S_IFMT` and friends (`include/uapi/linux/stat.h`).
const S_IFMT: u32 = 0o170000;
const S_IFDIR: u32 = 0o040000;
const S_IFREG: u32 = 0o100000;

/// The policy's answer for `perms` on the object at `name`. Protected types refuse
/// `UNLINK`, `RENAME` and `LINK` to every domain.
fn check_name(subject: &Subject, name: &PathName, perms: u32) -> Result {
    subject.check(DENIED, |policy, domain| {
        let type_id = policy.type_for_path(name.as_bytes());
        let structural = perm::UNLINK | perm::RENAME | perm::LINK;
        if perms & structural != 0 && policy.type_is_protected(type_id) {
            return false;
        }
        type_id != 0 && domain.file_allows(type_id, perms)
    })
}

/// Checks `perms` on the object at `path` for the current task.
///
/// # Safety
///
/// `path` must be a live `struct path`.
unsafe fn check_path(path: *const bindings::path, perms: u32) -> Result {
    let Some(subject) = Subject::current() else { return Ok(()) };
    // SAFETY: Guaranteed by the caller.
    let name = unsafe { fspath::of(path) }?;
    check_name(&subject, &name, perms)
}

/// Checks `perms` on the child `dentry` of the directory `dir`.
///
/// # Safety
///
/// `dir` and `dentry` must be live, `dentry` on `dir`'s mount.
unsafe fn check_child(dir: *const bindings::path, dentry: *mut bindings::dentry, perms: u32) -> Result {
    let Some(subject) = Subject::current() else { return Ok(()) };
    // SAFETY: Guaranteed by the caller.
    let name = unsafe { fspath::of_child(dir, dentry) }?;
    check_name(&subject, &name, perms)
}

/// `file_open`: read, write or append on the file's type (readdir for directories,
/// execute for the opens of exec).
pub(crate) unsafe extern "C" fn file_open(file: *mut bindings::file) -> c_int {
    // SAFETY: The VFS passes the file being opened; its inode and path are set.
    let (fmode, flags, imode) = unsafe { ((*file).f_mode, (*file).f_flags, u32::from((*(*file).f_inode).i_mode)) };
    let mut perms = 0;
    if fmode & FMODE_EXEC != 0 {
        perms |= perm::EXECUTE;
    } else if fmode & FMODE_READ != 0 {
        perms |= if imode & S_IFMT == S_IFDIR { perm::READDIR } else { perm::READ };
    }
    if fmode & FMODE_WRITE != 0 {
        perms |= if flags & bindings::O_APPEND != 0 { perm::APPEND } else { perm::WRITE };
    }
    if perms == 0 {
        // O_PATH-like opens carry no access; getattr and friends are checked on use.
        return 0;
    }
    // SAFETY: `f_path` of an opening file is live.
    to_ret(unsafe { check_path(&raw const (*file).f_path, perms) })
}

/// `bprm_check_security`: a domain may only execute files of types it may execute. Runs
/// for the script and again for its interpreter.
pub(crate) unsafe extern "C" fn bprm_check_security(bprm: *mut bindings::linux_binprm) -> c_int {
    // SAFETY: The exec path passes a live bprm whose `file` is open.
    to_ret(unsafe { check_path(&raw const (*(*bprm).file).f_path, perm::EXECUTE) })
}

/// `mmap_file`: executable mappings need `execute` on the file's type; anonymous
/// executable mappings and writable+executable ones are refused to domains.
pub(crate) unsafe extern "C" fn mmap_file(
    file: *mut bindings::file,
    _reqprot: c_ulong,
    prot: c_ulong,
    _flags: c_ulong,
) -> c_int {
    if prot & PROT_EXEC == 0 {
        return 0;
    }
    let Some(subject) = Subject::current() else { return 0 };
    if file.is_null() || prot & PROT_WRITE != 0 {
        return to_ret(subject.verdict(false, EACCES));
    }
    // SAFETY: A mapped file is live and its path set.
    let name = match unsafe { fspath::of(&raw const (*file).f_path) } {
        Ok(name) => name,
        Err(e) => return e.to_errno(),
    };
    to_ret(check_name(&subject, &name, perm::EXECUTE))
}

/// `file_mprotect`: making memory executable needs a file mapping of an executable type
/// that is not writable.
pub(crate) unsafe extern "C" fn file_mprotect(
    vma: *mut bindings::vm_area_struct,
    _reqprot: c_ulong,
    prot: c_ulong,
) -> c_int {
    if prot & PROT_EXEC == 0 {
        return 0;
    }
    let Some(subject) = Subject::current() else { return 0 };
    // SAFETY: mprotect holds the mmap lock; the vma and its flags are stable.
    let (file, vm_flags) = unsafe { ((*vma).vm_file, (*vma).__bindgen_anon_2.vm_flags) };
    if file.is_null() || prot & PROT_WRITE != 0 || vm_flags & (bindings::VM_WRITE as c_ulong) != 0 {
        return to_ret(subject.verdict(false, EACCES));
    }
    // SAFETY: The vma holds a reference to its file.
    let name = match unsafe { fspath::of(&raw const (*file).f_path) } {
        Ok(name) => name,
        Err(e) => return e.to_errno(),
    };
    to_ret(check_name(&subject, &name, perm::EXECUTE))
}

/// `path_unlink`.
pub(crate) unsafe extern "C" fn path_unlink(dir: *const bindings::path, dentry: *mut bindings::dentry) -> c_int {
    // SAFETY: The VFS passes the locked parent and the victim.
    to_ret(unsafe { check_child(dir, dentry, perm::UNLINK) })
}

/// `path_mkdir`.
pub(crate) unsafe extern "C" fn path_mkdir(
    dir: *const bindings::path,
    dentry: *mut bindings::dentry,
    _mode: bindings::umode_t,
) -> c_int {
    // SAFETY: The VFS passes the locked parent and the new dentry.
    to_ret(unsafe { check_child(dir, dentry, perm::MKDIR) })
}

/// `path_rmdir`.
pub(crate) unsafe extern "C" fn path_rmdir(dir: *const bindings::path, dentry: *mut bindings::dentry) -> c_int {
    // SAFETY: The VFS passes the locked parent and the victim.
    to_ret(unsafe { check_child(dir, dentry, perm::RMDIR) })
}

/// `path_mknod`: regular files (`open(O_CREAT)` comes here too) need `create`, device
/// nodes, fifos and sockets `mknod`.
pub(crate) unsafe extern "C" fn path_mknod(
    dir: *const bindings::path,
    dentry: *mut bindings::dentry,
    mode: bindings::umode_t,
    _dev: c_uint,
) -> c_int {
    let kind = u32::from(mode) & S_IFMT;
    let perms = if kind == 0 || kind == S_IFREG { perm::CREATE } else { perm::MKNOD };
    // SAFETY: The VFS passes the locked parent and the new dentry.
    to_ret(unsafe { check_child(dir, dentry, perms) })
}

/// `path_symlink`: `symlink` on the new link's path.
pub(crate) unsafe extern "C" fn path_symlink(
    dir: *const bindings::path,
    dentry: *mut bindings::dentry,
    _old_name: *const kernel::ffi::c_char,
) -> c_int {
    // SAFETY: The VFS passes the locked parent and the new dentry.
    to_ret(unsafe { check_child(dir, dentry, perm::SYMLINK) })
}

/// `path_link`: `link` on the existing file's type (never a protected one) and `create`
/// on the new name.
pub(crate) unsafe extern "C" fn path_link(
    old_dentry: *mut bindings::dentry,
    new_dir: *const bindings::path,
    new_dentry: *mut bindings::dentry,
) -> c_int {
    // SAFETY: Hard links stay within one mount, so the old dentry is on `new_dir`'s mount.
    let old = unsafe { check_child(new_dir, old_dentry, perm::LINK) };
    // SAFETY: The VFS passes the locked parent and the new dentry.
    to_ret(old.and_then(|()| unsafe { check_child(new_dir, new_dentry, perm::CREATE | perm::LINK) }))
}

/// `path_rename`: `rename` on both the old and the new name (a protected type at either
/// end is refused); with `RENAME_EXCHANGE` both objects move, which the same two checks
/// cover.
pub(crate) unsafe extern "C" fn path_rename(
    old_dir: *const bindings::path,
    old_dentry: *mut bindings::dentry,
    new_dir: *const bindings::path,
    new_dentry: *mut bindings::dentry,
    _flags: c_uint,
) -> c_int {
    // SAFETY: The VFS passes both locked parents and their children.
    let old = unsafe { check_child(old_dir, old_dentry, perm::RENAME) };
    // SAFETY: As above.
    to_ret(old.and_then(|()| unsafe { check_child(new_dir, new_dentry, perm::RENAME) }))
}

/// `path_truncate`: `write`.
pub(crate) unsafe extern "C" fn path_truncate(path: *const bindings::path) -> c_int {
    // SAFETY: The VFS passes a live path.
    to_ret(unsafe { check_path(path, perm::WRITE) })
}

/// `path_chmod`: `setattr`.
pub(crate) unsafe extern "C" fn path_chmod(path: *const bindings::path, _mode: bindings::umode_t) -> c_int {
    // SAFETY: The VFS passes a live path.
    to_ret(unsafe { check_path(path, perm::SETATTR) })
}

/// `path_chown`: `setattr`.
pub(crate) unsafe extern "C" fn path_chown(
    path: *const bindings::path,
    _uid: bindings::kuid_t,
    _gid: bindings::kgid_t,
) -> c_int {
    // SAFETY: The VFS passes a live path.
    to_ret(unsafe { check_path(path, perm::SETATTR) })
}

/// `inode_getattr` (`stat(2)` and friends): `getattr`.
pub(crate) unsafe extern "C" fn inode_getattr(path: *const bindings::path) -> c_int {
    // SAFETY: The VFS passes a live path.
    to_ret(unsafe { check_path(path, perm::GETATTR) })
}
