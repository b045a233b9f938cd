// SPDX-License-Identifier: GPL-2.0

//! The `extern "C"` entry points called by the LSM framework.
//!
//! Every function here is thin: it turns raw pointers into this LSM's state and calls the
//! logic that owns the decision. Hooks the framework calls before this LSM's state exists
//! are never registered, and no hook here returns 0 without the reason being written next
//! to it.
//!
//! Free hooks are not registered: every blob type is plain data without references or
//! allocations, and the framework frees the blob region itself.

use kernel::bindings;
use kernel::ffi::{c_int, c_ulong};

use crate::blob;

/// `task_alloc`: a new task starts a fresh behaviour window; its cred (and with it the
/// domain) is inherited through `cred_prepare`.
pub(crate) unsafe extern "C" fn task_alloc(
    task: *mut bindings::task_struct,
    _clone_flags: c_ulong,
) -> c_int {
    // SAFETY: The framework passes the task being created, whose blob it has just
    // allocated; the current task (its parent) is live with a blob.
    let (child, parent) = unsafe { (&*blob::task(task), &*blob::task(bindings::get_current())) };
    child.start(parent, crate::report::now_ns());
    // Allocating task state cannot fail and denies nothing.
    0
}

/// `cred_prepare`: a new cred copies the subject state of the one it derives from, so a
/// domain survives `fork`, `setuid` and every other cred change.
pub(crate) unsafe extern "C" fn cred_prepare(
    new: *mut bindings::cred,
    old: *const bindings::cred,
    _gfp: bindings::gfp_t,
) -> c_int {
    // SAFETY: The framework passes a cred under construction and the live cred it derives
    // from, both with blobs; they are distinct objects.
    unsafe { (*blob::cred(new)).copy_from(&*blob::cred(old)) };
    // Copying plain data cannot fail.
    0
}

/// `cred_transfer`: like `cred_prepare`, for keyctl's session-keyring replacement.
pub(crate) unsafe extern "C" fn cred_transfer(
    new: *mut bindings::cred,
    old: *const bindings::cred,
) {
    // SAFETY: As for `cred_prepare`.
    unsafe { (*blob::cred(new)).copy_from(&*blob::cred(old)) };
}

/// `file_alloc_security`: a file remembers the domain of the task that opened it.
pub(crate) unsafe extern "C" fn file_alloc_security(file: *mut bindings::file) -> c_int {
    let domain = blob::current_domain().key();
    // SAFETY: The framework passes the file being allocated, with its blob.
    unsafe { (*blob::file(file)).opener_domain = domain };
    // Recording the opener cannot fail; opening is decided in `file_open`.
    0
}

/// `sk_alloc_security`: a socket belongs to the domain of the task that creates it.
pub(crate) unsafe extern "C" fn sk_alloc_security(
    sk: *mut bindings::sock,
    _family: c_int,
    _priority: bindings::gfp_t,
) -> c_int {
    let domain = blob::current_domain().key();
    // SAFETY: The framework passes the sock being allocated, with its blob.
    unsafe { (*blob::sock(sk)).owner_domain = domain };
    // Recording the owner cannot fail; creation is decided in `socket_create`. Some socks
    // are allocated in softirq context, where `current` is unrelated: for sockets created
    // by a task, `socket_post_create` records the owner again, reliably.
    0
}

/// `sk_clone_security`: an accepted or cloned socket belongs to its parent's domain.
pub(crate) unsafe extern "C" fn sk_clone_security(
    sk: *const bindings::sock,
    newsk: *mut bindings::sock,
) {
    // SAFETY: The framework passes the live parent and the new sock, both with blobs.
    unsafe { *blob::sock(newsk) = *blob::sock(sk) };
}

/// Decides the creation of a SysV IPC object of kind `kind` and records its creator.
///
/// # Safety
///
/// `perm` must be an IPC object being allocated, with its blob.
unsafe fn ipc_alloc(hook: &'static str, perm: *mut bindings::kern_ipc_perm, kind: u32) -> c_int {
    // Creation is decided here: the `*_associate` hooks only see existing keys.
    let rc = crate::task::ipc_create(hook, kind);
    if rc != 0 {
        return rc;
    }
    let domain = blob::current_domain().key();
    // SAFETY: Guaranteed by the caller.
    unsafe { (*blob::ipc(perm)).creator_domain = domain };
    0
}

/// `msg_queue_alloc_security`: see [`ipc_alloc`].
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
