// SPDX-License-Identifier: GPL-2.0

//! The `file_*` hooks on open files: `file_alloc_security`, `file_open`, `file_permission`
//! (every read and write, revalidated against the policy in force), `file_receive`,
//! `file_ioctl`, `file_ioctl_compat`, `file_lock` and `file_fcntl`. (`file_set_fowner` and
//! `file_send_sigiotask` are signals: `task`; `mmap_file` and `file_mprotect`: `memory`.)

use kernel::bindings;
use kernel::ffi::{c_int, c_uint, c_ulong};

use crate::blob;
use crate::decide::Subject;
use crate::engine::perm::bits::file as perm;
use crate::errno::to_ret;
use crate::fscheck::{check_file, mark_written, revalidate, S_IFDIR, S_IFMT};
use crate::vfs::KFile;

/// `fmode_t` bits (`include/linux/fs.h`): casts bindgen cannot evaluate, so their values
/// come from the C compiler through the layout check (`layout_c.c`).
const FMODE_READ: u32 = crate::layout::FMODE_READ as u32;

const FMODE_WRITE: u32 = crate::layout::FMODE_WRITE as u32;

/// `__FMODE_EXEC`: the opens of exec carry it in `f_flags`, not in `f_mode`
/// (`OPEN_FMODE()` does not copy it).
const FMODE_EXEC_FLAG: u32 = crate::layout::__FMODE_EXEC as u32;

/// `file_open`: read, write or append on the file's type (readdir for directories,
/// execute for the opens of exec).
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn file_open(file: *mut bindings::file) -> c_int {
    // SAFETY: The VFS passes the file being opened, live for the call; its inode and
    // path are set.
    let file = unsafe { KFile::new(file) };
    let (fmode, flags) = file.mode_flags();
    let imode = file.inode().mode();
    let mut perms = 0;
    if flags & FMODE_EXEC_FLAG != 0 {
        perms |= perm::EXECUTE;
    } else if fmode & FMODE_READ != 0 {
        perms |= if imode & S_IFMT == S_IFDIR {
            perm::READDIR
        } else {
            perm::READ
        };
    }
    if fmode & FMODE_WRITE != 0 {
        perms |= write_perm(flags);
    }
    if perms == 0 {
        // O_PATH-like opens carry no access; getattr and friends are checked on use.
        return 0;
    }
    let result = check_file("file_open", file, perms);
    if result.is_ok() && fmode & FMODE_WRITE != 0 {
        if let Some(subject) = Subject::current() {
            mark_written(&subject, file.path().dentry());
        }
    }
    to_ret(result)
}

/// `file_ioctl`: `ioctl` on the file's type.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn file_ioctl(
    file: *mut bindings::file,
    _cmd: c_uint,
    _arg: c_ulong,
) -> c_int {
    // SAFETY: The VFS passes an open file, live for the call.
    to_ret(check_file(
        "file_ioctl",
        unsafe { KFile::new(file) },
        perm::IOCTL,
    ))
}

/// `file_ioctl_compat`: as `file_ioctl`, for 32-bit callers.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn file_ioctl_compat(
    file: *mut bindings::file,
    cmd: c_uint,
    arg: c_ulong,
) -> c_int {
    // SAFETY: As above.
    unsafe { file_ioctl(file, cmd, arg) }
}

/// `file_lock` (`flock(2)`): `lock`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn file_lock(file: *mut bindings::file, _cmd: c_uint) -> c_int {
    // SAFETY: The VFS passes an open file, live for the call.
    to_ret(check_file(
        "file_lock",
        unsafe { KFile::new(file) },
        perm::LOCK,
    ))
}

/// `fcntl` commands that take record locks (`F_SETLK`, `F_SETLKW`, `F_OFD_SETLK`,
/// `F_OFD_SETLKW`; `include/uapi/asm-generic/fcntl.h`).
const LOCK_CMDS: [c_uint; 4] = [
    bindings::F_SETLK,
    bindings::F_SETLKW,
    bindings::F_OFD_SETLK,
    bindings::F_OFD_SETLKW,
];

/// `file_fcntl`: record locks need `lock`. The other commands change descriptor flags,
/// owners and signals, which cannot widen the access checked at open, so they are let
/// through.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn file_fcntl(
    file: *mut bindings::file,
    cmd: c_uint,
    _arg: c_ulong,
) -> c_int {
    if !LOCK_CMDS.contains(&cmd) {
        return 0;
    }
    // SAFETY: The VFS passes an open file, live for the call.
    to_ret(check_file(
        "file_fcntl",
        unsafe { KFile::new(file) },
        perm::LOCK,
    ))
}

/// The permission a write needs on a file opened with `flags`.
fn write_perm(flags: u32) -> u32 {
    if flags & bindings::O_APPEND != 0 {
        perm::APPEND
    } else {
        perm::WRITE
    }
}

/// `file_permission`: every read and write (and directory listing) of an open file is
/// checked again ([`revalidate`]), so a descriptor opened before a task entered its
/// domain (or before a policy reload) gives no more than the domain may have. It runs
/// for `read`/`write` and their vector forms, `getdents`, `splice`, `sendfile`,
/// `copy_file_range` and io_uring reads and writes (`rw_verify_area`). The inode's
/// remembered type keeps this cheap.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn file_permission(file: *mut bindings::file, mask: c_int) -> c_int {
    let mask = mask as u32;
    // SAFETY: The VFS passes an open file, live for the call.
    let file = unsafe { KFile::new(file) };
    revalidate("file_permission", file, |_fmode, flags, dir| {
        let mut perms = 0;
        if mask & bindings::MAY_READ != 0 {
            perms |= if dir {
                perm::READDIR
            } else if flags & FMODE_EXEC_FLAG != 0 {
                perm::EXECUTE
            } else {
                perm::READ
            };
        }
        if mask & bindings::MAY_WRITE != 0 {
            perms |= write_perm(flags);
        }
        perms
    })
}

/// `file_receive` (descriptors passed over Unix sockets, `pidfd_getfd`): the receiving
/// domain needs the access the descriptor carries on the file's type.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn file_receive(file: *mut bindings::file) -> c_int {
    // SAFETY: The caller holds a reference to the file for the call.
    let file = unsafe { KFile::new(file) };
    revalidate("file_receive", file, |fmode, flags, dir| {
        let mut perms = 0;
        if fmode & FMODE_READ != 0 {
            perms |= if dir { perm::READDIR } else { perm::READ };
        }
        if fmode & FMODE_WRITE != 0 {
            perms |= write_perm(flags);
        }
        perms
    })
}

/// `file_alloc_security`: a file remembers the domain of the task that opened it.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn file_alloc_security(file: *mut bindings::file) -> c_int {
    let domain = blob::current_domain().key();
    // SAFETY: The framework passes the file being allocated, with its blob.
    unsafe { (*blob::file(file)).opener_domain = domain };
    // Recording the opener cannot fail; opening is decided in `file_open`.
    0
}
