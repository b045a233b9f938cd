// SPDX-License-Identifier: GPL-2.0

//! The `path_*` hooks, called with the name the operation uses: `path_unlink`,
//! `path_mkdir`, `path_rmdir`, `path_mknod`, `path_symlink`, `path_link`, `path_rename`,
//! `path_truncate`, `path_chmod` and `path_chown`. A rename or link may never give the
//! moved object a type the task could not have created there (`check_move`).

use kernel::bindings;
use kernel::ffi::{c_int, c_uint};
use kernel::prelude::*;

use crate::decide::Subject;
use crate::engine::perm::bits::file as perm;
use crate::errno::to_ret;
use crate::fscheck::{
    check_create, check_name, check_new, check_new_name, check_path, check_subtree, mark_written,
    S_IFDIR, S_IFMT, S_IFREG,
};
use crate::fspath;
use crate::vfs::{KDentry, KInode, KPath};

const S_IFLNK: u32 = bindings::S_IFLNK;

/// `RENAME_EXCHANGE` (`include/uapi/linux/fs.h`).
const RENAME_EXCHANGE: c_uint = bindings::RENAME_EXCHANGE;

/// Checks `perms` on the child `dentry` of the directory `dir` (`dentry` on `dir`'s mount).
fn check_child(op: &'static str, dir: KPath<'_>, dentry: KDentry<'_>, perms: u32) -> Result {
    let Some(subject) = Subject::current() else {
        return Ok(());
    };
    let cache = dentry.inode().map(KInode::security);
    fspath::with_child(dir, dentry, |name| {
        check_name(op, &subject, name, cache, perms, None)
    })?
}

/// The handles of a hook's parent directory and child dentry.
///
/// # Safety
///
/// Both must be live for `'a`, as the VFS passes them to the `path_*` hooks.
unsafe fn child<'a>(
    dir: *const bindings::path,
    dentry: *const bindings::dentry,
) -> (KPath<'a>, KDentry<'a>) {
    // SAFETY: Guaranteed by the caller.
    unsafe { (KPath::new(dir), KDentry::new(dentry)) }
}

/// `path_unlink`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn path_unlink(
    dir: *const bindings::path,
    dentry: *mut bindings::dentry,
) -> c_int {
    // SAFETY: The VFS passes the locked parent and the victim, live for the call.
    let (dir, dentry) = unsafe { child(dir, dentry) };
    to_ret(check_child("path_unlink", dir, dentry, perm::UNLINK))
}

/// The permission that creating an object of the kind `mode` (its `S_IFMT` bits) needs.
fn create_perm(mode: u32) -> u32 {
    match mode & S_IFMT {
        S_IFDIR => perm::MKDIR,
        S_IFLNK => perm::SYMLINK,
        0 | S_IFREG => perm::CREATE,
        _ => perm::MKNOD,
    }
}

/// The `i_mode` of a positive dentry's inode (0 for a negative dentry).
fn mode_of(dentry: KDentry<'_>) -> u32 {
    dentry.inode().map_or(0, KInode::mode)
}

/// `path_mkdir`: `mkdir` on the new name.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn path_mkdir(
    dir: *const bindings::path,
    dentry: *mut bindings::dentry,
    _mode: bindings::umode_t,
) -> c_int {
    // SAFETY: The VFS passes the locked parent and the new dentry, live for the call.
    let (dir, dentry) = unsafe { child(dir, dentry) };
    to_ret(check_create("path_mkdir", dir, dentry, perm::MKDIR, false))
}

/// `path_rmdir`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn path_rmdir(
    dir: *const bindings::path,
    dentry: *mut bindings::dentry,
) -> c_int {
    // SAFETY: The VFS passes the locked parent and the victim, live for the call.
    let (dir, dentry) = unsafe { child(dir, dentry) };
    to_ret(check_child("path_rmdir", dir, dentry, perm::RMDIR))
}

/// `path_mknod`: regular files (`open(O_CREAT)` comes here too) need `create`, device
/// nodes, fifos and sockets `mknod`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn path_mknod(
    dir: *const bindings::path,
    dentry: *mut bindings::dentry,
    mode: bindings::umode_t,
    _dev: c_uint,
) -> c_int {
    let perms = create_perm(u32::from(mode));
    // SAFETY: The VFS passes the locked parent and the new dentry, live for the call.
    let (dir, dentry) = unsafe { child(dir, dentry) };
    to_ret(check_create("path_mknod", dir, dentry, perms, false))
}

/// `path_symlink`: `symlink` on the new link's path.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn path_symlink(
    dir: *const bindings::path,
    dentry: *mut bindings::dentry,
    _old_name: *const kernel::ffi::c_char,
) -> c_int {
    // SAFETY: The VFS passes the locked parent and the new dentry, live for the call.
    let (dir, dentry) = unsafe { child(dir, dentry) };
    to_ret(check_create(
        "path_symlink",
        dir,
        dentry,
        perm::SYMLINK,
        true,
    ))
}

/// `path_link`: `link` on the existing file's type (never a protected one), and on the
/// new name `link` with what creating such an object there needs: a hard link must not
/// give a file a type its domain could not have created it with.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn path_link(
    old_dentry: *mut bindings::dentry,
    new_dir: *const bindings::path,
    new_dentry: *mut bindings::dentry,
) -> c_int {
    // SAFETY: The VFS passes the live source dentry, and the locked parent and the new
    // dentry, all live for the call.
    let (old_dentry, (new_dir, new_dentry)) =
        unsafe { (KDentry::new(old_dentry), child(new_dir, new_dentry)) };
    let Some(subject) = Subject::current() else {
        // Whoever links, a protected object stays one by its new name (`protect.rs`); the
        // name is built only when the policy protects something. Hard links stay within
        // one mount, and the source is positive.
        if let (true, Some(inode)) = (crate::protect::any_protected(), old_dentry.inode()) {
            let _ = fspath::with_child(new_dir, old_dentry, |name| {
                crate::protect::before_link(name, inode)
            });
        }
        return 0;
    };
    let mode = mode_of(old_dentry);
    // Hard links stay within one mount, so the old dentry is on `new_dir`'s mount.
    let old = check_child("path_link", new_dir, old_dentry, perm::LINK);
    let result = old.and_then(|()| {
        check_new_name(
            "path_link",
            &subject,
            new_dir,
            new_dentry,
            create_perm(mode) | perm::LINK,
            mode & S_IFMT == S_IFLNK,
        )
    });
    if result.is_ok() {
        mark_written(&subject, old_dentry);
    }
    to_ret(result)
}

/// Checks moving the object at `from` (in `from_dir`) to the name `to` (in `to_dir`):
/// `rename` on its type where it leaves (for a directory, on every type below it too),
/// and where it arrives `rename` with what creating such an object there needs (for a
/// directory, `create` on every type below the new name), and nothing reserved below
/// the new name. As Landlock's `REFER` right: a move never gives an object, or anything
/// below a moved directory, a type its domain could not have created it with, and never
/// takes one out of a type its domain may not move things out of. Each dentry is on its
/// directory's mount; `from` is positive.
fn check_move(
    subject: &Subject<'_>,
    (from_dir, from): (KPath<'_>, KDentry<'_>),
    (to_dir, to): (KPath<'_>, KDentry<'_>),
) -> Result {
    const OP: &str = "path_rename";
    let mode = mode_of(from);
    let is_dir = mode & S_IFMT == S_IFDIR;
    let cache = from.inode().map(KInode::security);
    fspath::with_child(from_dir, from, |name| -> Result {
        check_name(OP, subject, name, cache, perm::RENAME, None)?;
        if is_dir {
            // For a name too long to build: every type below the directory named.
            check_subtree(OP, subject, name.bytes(), perm::RENAME)?;
        }
        Ok(())
    })??;
    let arrive = perm::RENAME | create_perm(mode);
    fspath::with_child(to_dir, to, |name| -> Result {
        check_new(
            OP,
            subject,
            name,
            to.inode(),
            arrive,
            mode & S_IFMT == S_IFLNK,
        )?;
        if is_dir {
            check_subtree(OP, subject, name.bytes(), perm::CREATE)?;
        }
        Ok(())
    })?
}

/// Before an unconfined task's rename: the moved objects (both, with `RENAME_EXCHANGE`) and,
/// for a directory, the protected objects below it keep their protection by their new
/// names (`protect.rs`). Does nothing when the policy protects nothing.
fn protect_moved(old: (KPath<'_>, KDentry<'_>), new: (KPath<'_>, KDentry<'_>), flags: c_uint) {
    if !crate::protect::any_protected() {
        return;
    }
    let moved = |(dir, dentry): (KPath<'_>, KDentry<'_>)| {
        let Some(inode) = dentry.inode() else { return };
        let _ = fspath::with_child(dir, dentry, |name| {
            crate::protect::before_link(name, inode);
            if inode.mode() & S_IFMT == S_IFDIR {
                crate::protect::before_move_dir(name, dentry);
            }
        });
    };
    moved(old);
    if flags & RENAME_EXCHANGE != 0 {
        moved(new);
    }
}

/// `path_rename`: see [`check_move`]; with `RENAME_EXCHANGE` both objects move, and
/// each is checked as a move. A replaced target needs `rename` on its type, which the
/// arrival check asks on the same name.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn path_rename(
    old_dir: *const bindings::path,
    old_dentry: *mut bindings::dentry,
    new_dir: *const bindings::path,
    new_dentry: *mut bindings::dentry,
    flags: c_uint,
) -> c_int {
    // SAFETY: The VFS passes both locked parents and their children, live for the call;
    // the source is positive, and with RENAME_EXCHANGE so is the target.
    let (old, new) = unsafe { (child(old_dir, old_dentry), child(new_dir, new_dentry)) };
    let Some(subject) = Subject::current() else {
        // Whoever renames, a protected object keeps its protection by its new name
        // (`protect.rs`, as for a link); the name is built only when the policy protects
        // something. (A confined task's rename of a protected object, or of a directory
        // holding one by name, is refused by `check_move`: it needs no mark.)
        protect_moved(old, new, flags);
        return 0;
    };
    let mut result = check_move(&subject, old, new);
    if flags & RENAME_EXCHANGE != 0 {
        result = result.and_then(|()| check_move(&subject, new, old));
    }
    if result.is_ok() {
        mark_written(&subject, old.1);
        if flags & RENAME_EXCHANGE != 0 {
            mark_written(&subject, new.1);
        }
    }
    to_ret(result)
}

/// `path_truncate`: `write`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn path_truncate(path: *const bindings::path) -> c_int {
    // SAFETY: The VFS passes a path live for the call.
    let path = unsafe { KPath::new(path) };
    let result = check_path("path_truncate", path, perm::WRITE);
    if let (Ok(()), Some(subject)) = (&result, Subject::current()) {
        mark_written(&subject, path.dentry());
    }
    to_ret(result)
}

/// `path_chmod`: `setattr`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn path_chmod(
    path: *const bindings::path,
    _mode: bindings::umode_t,
) -> c_int {
    // SAFETY: The VFS passes a path live for the call.
    to_ret(check_path(
        "path_chmod",
        unsafe { KPath::new(path) },
        perm::SETATTR,
    ))
}

/// `path_chown`: `setattr`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn path_chown(
    path: *const bindings::path,
    _uid: bindings::kuid_t,
    _gid: bindings::kgid_t,
) -> c_int {
    // SAFETY: The VFS passes a path live for the call.
    to_ret(check_path(
        "path_chown",
        unsafe { KPath::new(path) },
        perm::SETATTR,
    ))
}
