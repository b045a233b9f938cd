// SPDX-License-Identifier: GPL-2.0

//! Mounts: `sb_mount`, `sb_umount`, `sb_pivotroot` and `move_mount` (a bind mount also
//! marks the protected objects below its source: `protect::before_bind`).

use kernel::bindings;
use kernel::ffi::{c_char, c_int, c_ulong};

use crate::engine::perm::bits::system;
use crate::system::system_op;

/// `sb_mount` (mount, remount, bind, move, propagation changes): `mount`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn sb_mount(
    dev: *const c_char,
    _path: *const bindings::path,
    _fstype: *const c_char,
    flags: c_ulong,
    _data: *mut kernel::ffi::c_void,
) -> c_int {
    let result = system_op("sb_mount", system::MOUNT);
    if result == 0 && flags as u64 & crate::layout::MS_BIND != 0 {
        // Whoever binds, protected objects stay protected through the new mount.
        // SAFETY: For a bind mount `dev` is the source path, a kernel copy.
        unsafe { crate::protect::before_bind(dev) };
    }
    result
}

/// `sb_umount`: `mount`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn sb_umount(_mnt: *mut bindings::vfsmount, _flags: c_int) -> c_int {
    system_op("sb_umount", system::MOUNT)
}

/// `sb_pivotroot`: `mount`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn sb_pivotroot(
    _old: *const bindings::path,
    _new: *const bindings::path,
) -> c_int {
    system_op("sb_pivotroot", system::MOUNT)
}

/// `move_mount`: `mount`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn move_mount(
    _from: *const bindings::path,
    _to: *const bindings::path,
) -> c_int {
    system_op("move_mount", system::MOUNT)
}
