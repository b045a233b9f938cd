// SPDX-License-Identifier: GPL-2.0

//! SysV IPC: the `msg_queue_*`, `shm_*` and `sem_*` hooks, creation
//! (`*_alloc_security`, which also record the creating domain) and use alike.

use kernel::bindings;
use kernel::ffi::{c_char, c_int, c_long, c_uint};

use crate::blob;
use crate::decide::{Ask, Object, Subject, DENIED};
use crate::engine::perm::bits::ipc;
use crate::engine::perm::Class;
use crate::errno::to_ret;

/// Checks a SysV IPC bit for the current task.
fn ipc_op(hook: &'static str, bit: u32) -> c_int {
    match Subject::current() {
        None => 0,
        Some(s) => to_ret(s.check(
            DENIED,
            &Ask::new(hook, Class::Ipc, u64::from(bit), Object::None),
            |_, d| d.ipc() & bit != 0,
        )),
    }
}

/// `msg_queue_associate` (msgget of an existing queue).
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn msg_queue_associate(
    _perm: *mut bindings::kern_ipc_perm,
    _flg: c_int,
) -> c_int {
    ipc_op("msg_queue_associate", ipc::MSG)
}

/// `msg_queue_msgsnd`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn msg_queue_msgsnd(
    _perm: *mut bindings::kern_ipc_perm,
    _msg: *mut bindings::msg_msg,
    _flg: c_int,
) -> c_int {
    ipc_op("msg_queue_msgsnd", ipc::MSG)
}

/// `msg_queue_msgrcv`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn msg_queue_msgrcv(
    _perm: *mut bindings::kern_ipc_perm,
    _msg: *mut bindings::msg_msg,
    _target: *mut bindings::task_struct,
    _type: c_long,
    _mode: c_int,
) -> c_int {
    ipc_op("msg_queue_msgrcv", ipc::MSG)
}

/// `shm_associate` (shmget of an existing segment).
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn shm_associate(
    _perm: *mut bindings::kern_ipc_perm,
    _flg: c_int,
) -> c_int {
    ipc_op("shm_associate", ipc::SHM)
}

/// `shm_shmat`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn shm_shmat(
    _perm: *mut bindings::kern_ipc_perm,
    _addr: *mut c_char,
    _flg: c_int,
) -> c_int {
    ipc_op("shm_shmat", ipc::SHM)
}

/// `sem_associate` (semget of an existing set).
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn sem_associate(
    _perm: *mut bindings::kern_ipc_perm,
    _flg: c_int,
) -> c_int {
    ipc_op("sem_associate", ipc::SEM)
}

/// `sem_semop`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn sem_semop(
    _perm: *mut bindings::kern_ipc_perm,
    _sops: *mut bindings::sembuf,
    _nsops: c_uint,
    _alter: c_int,
) -> c_int {
    ipc_op("sem_semop", ipc::SEM)
}

/// Creation of a SysV object of kind `bit` (from the `*_alloc_security` hooks).
pub(crate) fn ipc_create(hook: &'static str, bit: u32) -> c_int {
    ipc_op(hook, bit)
}

/// `msg_queue_msgctl` (`perm` is null for the info commands): `msg`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn msg_queue_msgctl(
    _perm: *mut bindings::kern_ipc_perm,
    _cmd: c_int,
) -> c_int {
    ipc_op("msg_queue_msgctl", ipc::MSG)
}

/// `shm_shmctl` (`perm` may be null): `shm`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn shm_shmctl(
    _perm: *mut bindings::kern_ipc_perm,
    _cmd: c_int,
) -> c_int {
    ipc_op("shm_shmctl", ipc::SHM)
}

/// `sem_semctl` (`perm` may be null): `sem`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn sem_semctl(
    _perm: *mut bindings::kern_ipc_perm,
    _cmd: c_int,
) -> c_int {
    ipc_op("sem_semctl", ipc::SEM)
}

/// Decides the creation of a SysV IPC object of kind `kind` and records its creator.
///
/// # Safety
///
/// `perm` must be an IPC object being allocated, with its blob.
unsafe fn ipc_alloc(hook: &'static str, perm: *mut bindings::kern_ipc_perm, kind: u32) -> c_int {
    // Creation is decided here: the `*_associate` hooks only see existing keys.
    let rc = ipc_create(hook, kind);
    if rc != 0 {
        return rc;
    }
    let domain = blob::current_domain().key();
    // SAFETY: Guaranteed by the caller.
    unsafe { (*blob::ipc(perm)).creator_domain = domain };
    0
}

/// `msg_queue_alloc_security`: see [`ipc_alloc`].
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn msg_queue_alloc_security(
    perm: *mut bindings::kern_ipc_perm,
) -> c_int {
    // SAFETY: The framework passes the message queue being allocated.
    unsafe {
        ipc_alloc(
            "msg_queue_alloc_security",
            perm,
            crate::engine::perm::bits::ipc::MSG,
        )
    }
}

/// `shm_alloc_security`: see [`ipc_alloc`].
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn shm_alloc_security(perm: *mut bindings::kern_ipc_perm) -> c_int {
    // SAFETY: The framework passes the shared memory segment being allocated.
    unsafe {
        ipc_alloc(
            "shm_alloc_security",
            perm,
            crate::engine::perm::bits::ipc::SHM,
        )
    }
}

/// `sem_alloc_security`: see [`ipc_alloc`].
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn sem_alloc_security(perm: *mut bindings::kern_ipc_perm) -> c_int {
    // SAFETY: The framework passes the semaphore set being allocated.
    unsafe {
        ipc_alloc(
            "sem_alloc_security",
            perm,
            crate::engine::perm::bits::ipc::SEM,
        )
    }
}
