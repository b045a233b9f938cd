// SPDX-License-Identifier: GPL-2.0

//! Registration with the LSM framework: blob sizes, the hook list and the init function.
//!
//! This replaces C's `DEFINE_LSM()` and `LSM_HOOK_INIT()` macros: the `lsm_info` record is
//! placed in the `.lsm_info.init` section that `security_init()` walks, and the hook list
//! points each entry at the framework's static-call slots for that hook.

use core::mem::size_of;

use kernel::bindings;
use kernel::ffi::c_int;
use kernel::prelude::*;

use crate::{blob, engine, exec, file, hooks, net, securityfs, state, task};

/// Converts a blob size for `lsm_blob_sizes` (all sizes here are a few bytes).
const fn blob_size<T>() -> c_int {
    size_of::<T>() as c_int
}

/// Blob sizes requested from the framework. At boot the framework replaces each non-zero
/// size with this LSM's offset into the shared blob; it is read-only after init.
#[link_section = ".data..ro_after_init"]
static mut BLOB_SIZES: bindings::lsm_blob_sizes = bindings::lsm_blob_sizes {
    lbs_cred: blob_size::<blob::CredSecurity>(),
    lbs_file: blob_size::<blob::FileSecurity>(),
    lbs_backing_file: 0,
    lbs_ib: 0,
    lbs_inode: blob_size::<blob::InodeSecurity>(),
    lbs_sock: blob_size::<blob::SockSecurity>(),
    lbs_superblock: 0,
    lbs_ipc: blob_size::<blob::IpcSecurity>(),
    lbs_key: 0,
    lbs_msg_msg: 0,
    lbs_perf_event: 0,
    lbs_task: blob_size::<blob::TaskSecurity>(),
    lbs_xattr_count: 0,
    lbs_tun_dev: 0,
    lbs_bdev: 0,
};

/// The blob offsets assigned by the framework.
pub(crate) fn blob_offsets() -> &'static bindings::lsm_blob_sizes {
    // SAFETY: The framework writes BLOB_SIZES only in `security_init()`, before any hook of
    // this LSM is registered; afterwards it is read-only (`.data..ro_after_init`).
    unsafe { &*(&raw const BLOB_SIZES) }
}

/// Wrapper making the id record shareable; it is never written after being built.
#[repr(transparent)]
struct LsmId(bindings::lsm_id);

// SAFETY: The record is immutable and its pointer targets a static string.
unsafe impl Sync for LsmId {}

/// The identity the framework reports for this LSM (`/sys/kernel/security/lsm`,
/// `lsm_list_modules(2)`, `lsm_get_self_attr(2)`).
static LSM_ID: LsmId = LsmId(bindings::lsm_id {
    name: c"tcp".as_ptr().cast(),
    id: engine::abi::LSM_ID,
});

/// The record `security_init()` finds in `.lsm_info.init`. The framework may write its
/// `enabled` pointer while it orders LSMs, hence `static mut`.
#[used]
#[link_section = ".lsm_info.init"]
static mut TCP_LSM_INFO: bindings::lsm_info = bindings::lsm_info {
    name: c"tcp".as_ptr().cast(),
    order: bindings::lsm_order_LSM_ORDER_MUTABLE,
    flags: 0,
    // `tcp_lsm.enabled=0` on the command line turns this to 0 before `security_init()`.
    enabled: crate::control::ENABLED.as_ptr(),
    init: Some(tcp_lsm_init),
    blobs: &raw mut BLOB_SIZES,
};

/// Builds one `security_hook_list` entry, the Rust form of C's `LSM_HOOK_INIT`.
macro_rules! hook {
    ($name:ident, $func:path) => {
        bindings::security_hook_list {
            // SAFETY: Only the address of the framework's slot array for this hook is taken;
            // the packed table is never read or referenced here.
            scalls: unsafe { (&raw mut bindings::static_calls_table.$name).cast() },
            hook: bindings::security_list_options { $name: Some($func) },
            lsmid: core::ptr::null(),
        }
    };
}

/// Number of hooks this LSM registers.
const HOOK_COUNT: usize = 104;

/// The hook list. `security_add_hooks()` stores the id pointer in each entry and the
/// static-call slots keep pointers to the entries, so it must live forever.
/// docs/hook-map.md says what each one decides.
#[link_section = ".data..ro_after_init"]
static mut HOOKS: [bindings::security_hook_list; HOOK_COUNT] = [
    // Lifecycle of the blobs.
    hook!(task_alloc, hooks::task_alloc),
    hook!(cred_prepare, hooks::cred_prepare),
    hook!(cred_transfer, hooks::cred_transfer),
    hook!(file_alloc_security, hooks::file_alloc_security),
    hook!(sk_alloc_security, hooks::sk_alloc_security),
    hook!(sk_clone_security, hooks::sk_clone_security),
    hook!(msg_queue_alloc_security, hooks::msg_queue_alloc_security),
    hook!(shm_alloc_security, hooks::shm_alloc_security),
    hook!(sem_alloc_security, hooks::sem_alloc_security),
    // Domains.
    hook!(bprm_creds_for_exec, exec::bprm_creds_for_exec),
    hook!(bprm_committing_creds, exec::bprm_committing_creds),
    hook!(getselfattr, exec::getselfattr),
    hook!(setselfattr, exec::setselfattr),
    hook!(getprocattr, exec::getprocattr),
    // Files, exec, memory.
    hook!(file_open, file::file_open),
    hook!(bprm_check_security, file::bprm_check_security),
    hook!(mmap_file, file::mmap_file),
    hook!(file_mprotect, file::file_mprotect),
    hook!(path_unlink, file::path_unlink),
    hook!(path_mkdir, file::path_mkdir),
    hook!(path_rmdir, file::path_rmdir),
    hook!(path_mknod, file::path_mknod),
    hook!(path_symlink, file::path_symlink),
    hook!(path_link, file::path_link),
    hook!(path_rename, file::path_rename),
    hook!(path_truncate, file::path_truncate),
    hook!(path_chmod, file::path_chmod),
    hook!(path_chown, file::path_chown),
    hook!(inode_getattr, file::inode_getattr),
    hook!(inode_setattr, file::inode_setattr),
    hook!(inode_unlink, file::inode_unlink),
    hook!(inode_rmdir, file::inode_rmdir),
    hook!(inode_link, file::inode_link),
    hook!(inode_rename, file::inode_rename),
    hook!(d_instantiate, crate::protect::d_instantiate),
    hook!(inode_setxattr, file::inode_setxattr),
    hook!(inode_removexattr, file::inode_removexattr),
    hook!(inode_getxattr, file::inode_getxattr),
    hook!(inode_listxattr, file::inode_listxattr),
    hook!(file_ioctl, file::file_ioctl),
    hook!(file_ioctl_compat, file::file_ioctl_compat),
    hook!(file_lock, file::file_lock),
    hook!(file_fcntl, file::file_fcntl),
    hook!(file_permission, file::file_permission),
    hook!(file_receive, file::file_receive),
    // Network.
    hook!(socket_create, net::socket_create),
    hook!(socket_connect, net::socket_connect),
    hook!(socket_bind, net::socket_bind),
    hook!(socket_listen, net::socket_listen),
    hook!(socket_accept, net::socket_accept),
    hook!(socket_sendmsg, net::socket_sendmsg),
    hook!(socket_post_create, net::socket_post_create),
    hook!(socket_recvmsg, net::socket_recvmsg),
    hook!(socket_getsockname, net::socket_getsockname),
    hook!(socket_getpeername, net::socket_getpeername),
    hook!(socket_setsockopt, net::socket_setsockopt),
    hook!(socket_shutdown, net::socket_shutdown),
    hook!(unix_stream_connect, net::unix_stream_connect),
    hook!(unix_may_send, net::unix_may_send),
    // Capabilities and processes.
    hook!(capable, task::capable),
    hook!(mmap_addr, task::mmap_addr),
    hook!(ptrace_access_check, task::ptrace_access_check),
    hook!(ptrace_traceme, task::ptrace_traceme),
    hook!(task_kill, task::task_kill),
    hook!(file_set_fowner, task::file_set_fowner),
    hook!(file_send_sigiotask, task::file_send_sigiotask),
    hook!(task_prctl, task::task_prctl),
    hook!(task_fix_setuid, task::task_fix_setuid),
    hook!(task_fix_setgid, task::task_fix_setgid),
    hook!(task_setnice, task::task_setnice),
    hook!(task_setioprio, task::task_setioprio),
    hook!(task_setrlimit, task::task_setrlimit),
    hook!(task_setscheduler, task::task_setscheduler),
    hook!(task_setpgid, task::task_setpgid),
    hook!(task_getpgid, task::task_getpgid),
    hook!(task_getsid, task::task_getsid),
    hook!(task_fix_setgroups, task::task_fix_setgroups),
    hook!(task_prlimit, task::task_prlimit),
    // System operations.
    hook!(kernel_module_request, task::kernel_module_request),
    hook!(kernel_load_data, task::kernel_load_data),
    hook!(kernel_read_file, task::kernel_read_file),
    hook!(bpf, task::bpf),
    hook!(settime, task::settime),
    hook!(perf_event_open, task::perf_event_open),
    hook!(uring_override_creds, task::uring_override_creds),
    hook!(uring_sqpoll, task::uring_sqpoll),
    hook!(uring_cmd, task::uring_cmd),
    hook!(inode_init_security_anon, task::inode_init_security_anon),
    hook!(sb_mount, task::sb_mount),
    hook!(sb_umount, task::sb_umount),
    hook!(sb_pivotroot, task::sb_pivotroot),
    hook!(move_mount, task::move_mount),
    hook!(bpf_map, task::bpf_map),
    hook!(bpf_prog, task::bpf_prog),
    // SysV IPC.
    hook!(msg_queue_associate, task::msg_queue_associate),
    hook!(msg_queue_msgsnd, task::msg_queue_msgsnd),
    hook!(msg_queue_msgrcv, task::msg_queue_msgrcv),
    hook!(shm_associate, task::shm_associate),
    hook!(shm_shmat, task::shm_shmat),
    hook!(sem_associate, task::sem_associate),
    hook!(sem_semop, task::sem_semop),
    hook!(msg_queue_msgctl, task::msg_queue_msgctl),
    hook!(shm_shmctl, task::shm_shmctl),
    hook!(sem_semctl, task::sem_semctl),
];

/// Called once by `security_init()` when `tcp` is among the selected LSMs.
#[link_section = ".init.text"]
unsafe extern "C" fn tcp_lsm_init() -> c_int {
    // Before any hook can report an event.
    crate::report::WAITERS.init();
    // SAFETY: Called once, single-threaded, during `security_init()`: nothing else touches
    // HOOKS, and LSM_ID is a static that outlives the hooks.
    unsafe {
        bindings::security_add_hooks(
            (&raw mut HOOKS).cast(),
            HOOK_COUNT as c_int,
            &raw const LSM_ID.0,
        )
    };
    state::set_active();
    pr_info!(
        "LSM initialised (policy ABI {}, mode {}, audit {})\n",
        engine::abi::POLICY_ABI_VERSION,
        state::mode().name(),
        if crate::report::audit_enabled() {
            "on"
        } else {
            "off"
        }
    );
    0
}

/// Creates the securityfs files once securityfs is up (an `fs_initcall`).
#[no_mangle]
extern "C" fn tcp_lsm_fs_init() -> c_int {
    if !state::is_active() {
        // Not selected with lsm=: expose nothing.
        return 0;
    }
    match securityfs::create() {
        Ok(()) => 0,
        Err(err) => {
            pr_err!("cannot create securityfs files: {:?}\n", err);
            err.to_errno()
        }
    }
}

// `fs_initcall(tcp_lsm_fs_init)`: on x86_64 (`CONFIG_HAVE_ARCH_PREL32_RELOCATIONS`) an
// initcall entry is a 32-bit offset to the function, which only assembly can express;
// this is what the kernel's own `module!` macro emits for built-in Rust modules.
core::arch::global_asm!(
    r#".section ".initcall5.init", "a"
    __tcp_lsm_fs_initcall:
        .long   tcp_lsm_fs_init - .
        .previous
    "#
);
