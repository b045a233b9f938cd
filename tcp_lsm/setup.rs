// SPDX-License-Identifier: GPL-2.0

//! Registration with the LSM framework: the `lsm_info` record (its blob sizes are
//! `blob::BLOB_SIZES`), the hook list and the init function.
//!
//! This replaces C's `DEFINE_LSM()` and `LSM_HOOK_INIT()` macros: the `lsm_info` record is
//! placed in the `.lsm_info.init` section that `security_init()` walks, and the hook list
//! points each entry at the framework's static-call slots for that hook.

use kernel::bindings;
use kernel::ffi::c_int;
use kernel::prelude::*;

use crate::{
    attr, blob, engine, exec, file, inode, ipc, memory, mount, net, path, securityfs, state,
    system, task,
};

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
    enabled: crate::params::ENABLED.as_ptr(),
    init: Some(tcp_lsm_init),
    blobs: &raw mut blob::BLOB_SIZES,
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
    hook!(task_alloc, task::task_alloc),
    hook!(cred_prepare, task::cred_prepare),
    hook!(cred_transfer, task::cred_transfer),
    hook!(file_alloc_security, file::file_alloc_security),
    hook!(sk_alloc_security, net::sk_alloc_security),
    hook!(sk_clone_security, net::sk_clone_security),
    hook!(msg_queue_alloc_security, ipc::msg_queue_alloc_security),
    hook!(shm_alloc_security, ipc::shm_alloc_security),
    hook!(sem_alloc_security, ipc::sem_alloc_security),
    // Domains.
    hook!(bprm_creds_for_exec, exec::bprm_creds_for_exec),
    hook!(bprm_committing_creds, exec::bprm_committing_creds),
    hook!(getselfattr, attr::getselfattr),
    hook!(setselfattr, attr::setselfattr),
    hook!(getprocattr, attr::getprocattr),
    // Files, exec, memory.
    hook!(file_open, file::file_open),
    hook!(bprm_check_security, exec::bprm_check_security),
    hook!(mmap_file, memory::mmap_file),
    hook!(file_mprotect, memory::file_mprotect),
    hook!(path_unlink, path::path_unlink),
    hook!(path_mkdir, path::path_mkdir),
    hook!(path_rmdir, path::path_rmdir),
    hook!(path_mknod, path::path_mknod),
    hook!(path_symlink, path::path_symlink),
    hook!(path_link, path::path_link),
    hook!(path_rename, path::path_rename),
    hook!(path_truncate, path::path_truncate),
    hook!(path_chmod, path::path_chmod),
    hook!(path_chown, path::path_chown),
    hook!(inode_getattr, inode::inode_getattr),
    hook!(inode_setattr, inode::inode_setattr),
    hook!(inode_unlink, inode::inode_unlink),
    hook!(inode_rmdir, inode::inode_rmdir),
    hook!(inode_link, inode::inode_link),
    hook!(inode_rename, inode::inode_rename),
    hook!(d_instantiate, inode::d_instantiate),
    hook!(inode_setxattr, inode::inode_setxattr),
    hook!(inode_removexattr, inode::inode_removexattr),
    hook!(inode_getxattr, inode::inode_getxattr),
    hook!(inode_listxattr, inode::inode_listxattr),
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
    hook!(mmap_addr, memory::mmap_addr),
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
    hook!(kernel_module_request, system::kernel_module_request),
    hook!(kernel_load_data, system::kernel_load_data),
    hook!(kernel_read_file, system::kernel_read_file),
    hook!(bpf, system::bpf),
    hook!(settime, system::settime),
    hook!(perf_event_open, system::perf_event_open),
    hook!(uring_override_creds, system::uring_override_creds),
    hook!(uring_sqpoll, system::uring_sqpoll),
    hook!(uring_cmd, system::uring_cmd),
    hook!(inode_init_security_anon, inode::inode_init_security_anon),
    hook!(sb_mount, mount::sb_mount),
    hook!(sb_umount, mount::sb_umount),
    hook!(sb_pivotroot, mount::sb_pivotroot),
    hook!(move_mount, mount::move_mount),
    hook!(bpf_map, system::bpf_map),
    hook!(bpf_prog, system::bpf_prog),
    // SysV IPC.
    hook!(msg_queue_associate, ipc::msg_queue_associate),
    hook!(msg_queue_msgsnd, ipc::msg_queue_msgsnd),
    hook!(msg_queue_msgrcv, ipc::msg_queue_msgrcv),
    hook!(shm_associate, ipc::shm_associate),
    hook!(shm_shmat, ipc::shm_shmat),
    hook!(sem_associate, ipc::sem_associate),
    hook!(sem_semop, ipc::sem_semop),
    hook!(msg_queue_msgctl, ipc::msg_queue_msgctl),
    hook!(shm_shmctl, ipc::shm_shmctl),
    hook!(sem_semctl, ipc::sem_semctl),
];

/// Called once by `security_init()` when `tcp` is among the selected LSMs.
///
/// # Safety
///
/// The LSM framework calls it once, during `security_init()`.
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
