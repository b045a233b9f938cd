// SPDX-License-Identifier: GPL-2.0

//! Capabilities, processes (ptrace, signals, credentials and attributes), SysV IPC and
//! system operations (modules, BPF, time, io_uring, ...).
//!
//! Several of these hooks run in atomic context (`task_kill` even in interrupts,
//! `capable` under spinlocks): everything here is lock-free and never sleeps.

use kernel::bindings;
use kernel::error::code::EPERM;
use kernel::ffi::{c_char, c_int, c_long, c_uint, c_ulong};
use kernel::prelude::*;

use crate::blob::{self, DomainName};
use crate::decide::{to_ret, Ask, Object, Subject, DENIED};
use crate::engine::format::DomainView;
use crate::engine::perm::bits::{ipc, process, scope, system, NEVER_GRANTED_CAPS};
use crate::engine::perm::Class;

/// `capable`: a domain has only the capabilities its policy lists, and never those in
/// `NEVER_GRANTED_CAPS`.
pub(crate) unsafe extern "C" fn capable(
    cred: *const bindings::cred,
    _ns: *mut bindings::user_namespace,
    cap: c_int,
    opts: c_uint,
) -> c_int {
    // SAFETY: The framework passes the live cred being checked.
    let Some(subject) = (unsafe { Subject::of_cred(cred) }) else {
        return 0;
    };
    let Ok(cap) = u32::try_from(cap) else {
        return EPERM.to_errno();
    };
    let bit = 1u64.checked_shl(cap).unwrap_or(0);
    // `CAP_OPT_NOAUDIT` (include/linux/security.h): the caller only probes.
    let quiet = opts & (1 << 1) != 0;
    let ask = Ask::new("capable", Class::Capability, bit, Object::None).quiet(quiet);
    if bit == 0 || NEVER_GRANTED_CAPS & bit != 0 {
        return to_ret(subject.refuse(EPERM, &ask));
    }
    to_ret(subject.check(EPERM, &ask, |_, d| d.capable(cap)))
}

/// `mmap_addr`: mapping below `mmap_min_addr` takes CAP_SYS_RAWIO, which commoncap checks
/// without asking the LSMs (`cap_mmap_addr`): refused here to every domain, as the
/// capability is never granted to one.
pub(crate) unsafe extern "C" fn mmap_addr(addr: c_ulong) -> c_int {
    // SAFETY: A plain read of a sysctl-tunable word (`vm.mmap_min_addr`), as commoncap does.
    let min = unsafe { bindings::dac_mmap_min_addr };
    if addr >= min {
        return 0;
    }
    match Subject::current() {
        None => 0,
        Some(s) => {
            let ask = Ask::new(
                "mmap_addr",
                Class::Capability,
                1 << CAP_SYS_RAWIO,
                Object::Text("below mmap_min_addr"),
            );
            to_ret(s.refuse(EPERM, &ask))
        }
    }
}

/// `CAP_SYS_RAWIO`.
const CAP_SYS_RAWIO: u32 = 17;

/// Whether `scope` bits allow acting on a task of domain `target` from domain `own`.
fn scope_allows(bits: u32, own: &DomainName, target: &DomainName) -> bool {
    bits & scope::ANY != 0 || (bits & scope::SAME_DOMAIN != 0 && own == target)
}

/// Checks that `subject` may act on a task of domain `target` under the scope of `class`
/// (`signal` or `ptrace`) that `scope_of` reads from its domain.
fn scope_check(
    hook: &'static str,
    class: Class,
    subject: &Subject<'_>,
    target: &DomainName,
    scope_of: impl FnOnce(&DomainView<'_>) -> u32,
) -> c_int {
    let needed = if subject.domain() == target {
        scope::SAME_DOMAIN
    } else {
        scope::ANY
    };
    let ask = Ask::new(hook, class, u64::from(needed), Object::Task(target));
    to_ret(subject.check(EPERM, &ask, |_, d| {
        scope_allows(scope_of(d), subject.domain(), target)
    }))
}

/// `ptrace_access_check`: a domain traces only what its ptrace scope allows.
pub(crate) unsafe extern "C" fn ptrace_access_check(
    child: *mut bindings::task_struct,
    _mode: c_uint,
) -> c_int {
    let Some(subject) = Subject::current() else {
        return 0;
    };
    // SAFETY: The ptrace code holds a reference on `child`.
    let target = unsafe { blob::task_domain(child) };
    scope_check(
        "ptrace_access_check",
        Class::Ptrace,
        &subject,
        &target,
        |d| d.ptrace(),
    )
}

/// `ptrace_traceme`: the tracer (`parent`) must be allowed to trace the caller.
pub(crate) unsafe extern "C" fn ptrace_traceme(parent: *mut bindings::task_struct) -> c_int {
    let _rcu = crate::policy::RcuReadGuard::new();
    // SAFETY: The caller holds the tasklist lock, which keeps `parent` alive; its cred is
    // read under RCU.
    let Some(tracer) = (unsafe { Subject::of_cred((*parent).real_cred) }) else {
        return 0;
    };
    let me = blob::current_domain();
    scope_check("ptrace_traceme", Class::Ptrace, &tracer, me, |d| d.ptrace())
}

/// `task_kill`: a domain signals only what its signal scope allows.
pub(crate) unsafe extern "C" fn task_kill(
    p: *mut bindings::task_struct,
    _info: *mut bindings::kernel_siginfo,
    _sig: c_int,
    cred: *const bindings::cred,
) -> c_int {
    let sender = if cred.is_null() {
        blob::current_cred()
    } else {
        cred
    };
    // SAFETY: `cred` (when given) is the live sender's cred; otherwise the current one.
    let Some(subject) = (unsafe { Subject::of_cred(sender) }) else {
        return 0;
    };
    // SAFETY: The signal code keeps `p` alive.
    let target = unsafe { blob::task_domain(p) };
    scope_check("task_kill", Class::Signal, &subject, &target, |d| {
        d.signal()
    })
}

/// Checks that the current task may see a process attribute of `p`: within the domain's
/// signal scope (the tasks whose process groups and sessions it may signal).
///
/// # Safety
///
/// `p` must be a live task.
unsafe fn task_query(hook: &'static str, p: *mut bindings::task_struct) -> c_int {
    let Some(subject) = Subject::current() else {
        return 0;
    };
    // SAFETY: Guaranteed by the caller.
    let target = unsafe { blob::task_domain(p) };
    scope_check(hook, Class::Signal, &subject, &target, |d| d.signal())
}

/// `task_getpgid` (`getpgid(2)` of another process): within the signal scope.
pub(crate) unsafe extern "C" fn task_getpgid(p: *mut bindings::task_struct) -> c_int {
    // SAFETY: The caller holds the RCU read lock that keeps `p` alive.
    unsafe { task_query("task_getpgid", p) }
}

/// `task_getsid` (`getsid(2)` of another process): within the signal scope.
pub(crate) unsafe extern "C" fn task_getsid(p: *mut bindings::task_struct) -> c_int {
    // SAFETY: The caller holds the RCU read lock that keeps `p` alive.
    unsafe { task_query("task_getsid", p) }
}

/// Checks a process operation bit for the subject of `cred`.
///
/// # Safety
///
/// `cred` must be a live cred with a blob.
unsafe fn process_op_of(hook: &'static str, cred: *const bindings::cred, bit: u32) -> Result {
    // SAFETY: Guaranteed by the caller.
    match unsafe { Subject::of_cred(cred) } {
        None => Ok(()),
        Some(s) => s.check(
            EPERM,
            &Ask::new(hook, Class::Process, u64::from(bit), Object::None),
            |_, d| d.process() & bit != 0,
        ),
    }
}

/// Checks a process operation bit for the current task.
fn process_op(hook: &'static str, bit: u32) -> Result {
    // SAFETY: The current cred is live and has a blob.
    unsafe { process_op_of(hook, blob::current_cred(), bit) }
}

/// `prctl` options that only take privileges away or read the caller's own restrictions
/// (`include/uapi/linux/prctl.h`): `PR_GET_SECCOMP` 21, `PR_SET_SECCOMP` 22,
/// `PR_CAPBSET_READ` 23, `PR_CAPBSET_DROP` 24, `PR_SET_NO_NEW_PRIVS` 38,
/// `PR_GET_NO_NEW_PRIVS` 39. A domain may always narrow itself further (a sandbox inside
/// the agent, Landlock's no_new_privs), so these need no `prctl` permission.
const PRCTL_NARROWING: [c_int; 6] = [21, 22, 23, 24, 38, 39];

/// `task_prctl`: `prctl`, except for the options that only narrow the caller. Returns
/// `-ENOSYS` to let the prctl proceed: 0 would mean "handled".
pub(crate) unsafe extern "C" fn task_prctl(
    option: c_int,
    _a2: c_ulong,
    _a3: c_ulong,
    _a4: c_ulong,
    _a5: c_ulong,
) -> c_int {
    if PRCTL_NARROWING.contains(&option) {
        return crate::decide::errno(bindings::ENOSYS).to_errno();
    }
    match process_op("task_prctl", process::PRCTL) {
        Ok(()) => crate::decide::errno(bindings::ENOSYS).to_errno(),
        Err(e) => e.to_errno(),
    }
}

/// `task_fix_setuid`: `setuid` (the domain itself never changes with the uid).
pub(crate) unsafe extern "C" fn task_fix_setuid(
    _new: *mut bindings::cred,
    old: *const bindings::cred,
    _flags: c_int,
) -> c_int {
    // SAFETY: The framework passes the live old cred.
    to_ret(unsafe { process_op_of("task_fix_setuid", old, process::SETUID) })
}

/// `task_fix_setgid`: `setgid`.
pub(crate) unsafe extern "C" fn task_fix_setgid(
    _new: *mut bindings::cred,
    old: *const bindings::cred,
    _flags: c_int,
) -> c_int {
    // SAFETY: The framework passes the live old cred.
    to_ret(unsafe { process_op_of("task_fix_setgid", old, process::SETGID) })
}

/// `task_setnice`.
pub(crate) unsafe extern "C" fn task_setnice(
    _p: *mut bindings::task_struct,
    _nice: c_int,
) -> c_int {
    to_ret(process_op("task_setnice", process::NICE))
}

/// `task_setioprio`.
pub(crate) unsafe extern "C" fn task_setioprio(
    _p: *mut bindings::task_struct,
    _ioprio: c_int,
) -> c_int {
    to_ret(process_op("task_setioprio", process::IOPRIO))
}

/// `task_setrlimit`.
pub(crate) unsafe extern "C" fn task_setrlimit(
    _p: *mut bindings::task_struct,
    _resource: c_uint,
    _new: *mut bindings::rlimit,
) -> c_int {
    to_ret(process_op("task_setrlimit", process::RLIMIT))
}

/// `task_setscheduler`.
pub(crate) unsafe extern "C" fn task_setscheduler(_p: *mut bindings::task_struct) -> c_int {
    to_ret(process_op("task_setscheduler", process::SCHEDULER))
}

/// `task_setpgid`.
pub(crate) unsafe extern "C" fn task_setpgid(
    _p: *mut bindings::task_struct,
    _pgid: bindings::pid_t,
) -> c_int {
    to_ret(process_op("task_setpgid", process::SETPGID))
}

/// Checks a system operation bit for the current task.
fn system_op(hook: &'static str, bit: u32) -> c_int {
    match Subject::current() {
        None => 0,
        Some(s) => to_ret(s.check(
            EPERM,
            &Ask::new(hook, Class::System, u64::from(bit), Object::None),
            |_, d| d.system() & bit != 0,
        )),
    }
}

/// `kernel_module_request`.
pub(crate) unsafe extern "C" fn kernel_module_request(_name: *mut c_char) -> c_int {
    system_op("kernel_module_request", system::MODULE_REQUEST)
}

/// The system operation bit for loading what `id` names (`enum kernel_read_file_id`, the
/// same numbering as `enum kernel_load_data_id`): kernel modules are `module-load`, kexec
/// images and initramfs `kexec`, everything else (firmware, security policies, X.509
/// certificates, unknown) `kernel-read-file`.
fn load_bit(id: u32) -> u32 {
    const MODULE: u32 = bindings::kernel_read_file_id_READING_MODULE as u32;
    const KEXEC_IMAGE: u32 = bindings::kernel_read_file_id_READING_KEXEC_IMAGE as u32;
    const KEXEC_INITRAMFS: u32 = bindings::kernel_read_file_id_READING_KEXEC_INITRAMFS as u32;
    match id {
        MODULE => system::MODULE_LOAD,
        KEXEC_IMAGE | KEXEC_INITRAMFS => system::KEXEC,
        _ => system::KERNEL_READ_FILE,
    }
}

/// `kernel_load_data` (module, kexec image, firmware or policy blobs from memory).
pub(crate) unsafe extern "C" fn kernel_load_data(
    id: bindings::kernel_load_data_id,
    _contents: bool,
) -> c_int {
    system_op("kernel_load_data", load_bit(id as u32))
}

/// `kernel_read_file` (modules, kexec images, firmware read from files).
pub(crate) unsafe extern "C" fn kernel_read_file(
    _file: *mut bindings::file,
    id: bindings::kernel_read_file_id,
    _contents: bool,
) -> c_int {
    system_op("kernel_read_file", load_bit(id as u32))
}

/// `perf_event_open`: `perf` (every kind of access: open, CPU-wide, kernel, tracepoint).
pub(crate) unsafe extern "C" fn perf_event_open(_kind: c_int) -> c_int {
    system_op("perf_event_open", system::PERF)
}

/// `bpf`: every `bpf(2)` command.
pub(crate) unsafe extern "C" fn bpf(
    _cmd: c_int,
    _attr: *mut bindings::bpf_attr,
    _size: c_uint,
) -> c_int {
    system_op("bpf", system::BPF)
}

/// `settime`.
pub(crate) unsafe extern "C" fn settime(
    _ts: *const bindings::timespec64,
    _tz: *const bindings::timezone,
) -> c_int {
    system_op("settime", system::TIME)
}

/// `uring_override_creds`: io_uring running requests with other creds.
pub(crate) unsafe extern "C" fn uring_override_creds(new: *const bindings::cred) -> c_int {
    if !new.is_null() {
        // What io_uring runs with this cred is the task's choice, never a file system's
        // (`blob::creds_overridden_by_kernel`).
        // SAFETY: io_uring passes a live cred it holds; live creds carry blobs.
        unsafe { (*crate::blob::cred(new)).mark_uring_personality() };
    }
    system_op("uring_override_creds", system::IO_URING)
}

/// `uring_sqpoll`.
pub(crate) unsafe extern "C" fn uring_sqpoll() -> c_int {
    system_op("uring_sqpoll", system::IO_URING)
}

/// `uring_cmd`.
pub(crate) unsafe extern "C" fn uring_cmd(_cmd: *mut bindings::io_uring_cmd) -> c_int {
    system_op("uring_cmd", system::IO_URING)
}

/// `inode_init_security_anon`: refuses to create an io_uring instance (`[io_uring]`
/// anonymous inode) in a domain without `io-uring`, so no request bypasses the hooks.
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
pub(crate) unsafe extern "C" fn msg_queue_associate(
    _perm: *mut bindings::kern_ipc_perm,
    _flg: c_int,
) -> c_int {
    ipc_op("msg_queue_associate", ipc::MSG)
}

/// `msg_queue_msgsnd`.
pub(crate) unsafe extern "C" fn msg_queue_msgsnd(
    _perm: *mut bindings::kern_ipc_perm,
    _msg: *mut bindings::msg_msg,
    _flg: c_int,
) -> c_int {
    ipc_op("msg_queue_msgsnd", ipc::MSG)
}

/// `msg_queue_msgrcv`.
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
pub(crate) unsafe extern "C" fn shm_associate(
    _perm: *mut bindings::kern_ipc_perm,
    _flg: c_int,
) -> c_int {
    ipc_op("shm_associate", ipc::SHM)
}

/// `shm_shmat`.
pub(crate) unsafe extern "C" fn shm_shmat(
    _perm: *mut bindings::kern_ipc_perm,
    _addr: *mut c_char,
    _flg: c_int,
) -> c_int {
    ipc_op("shm_shmat", ipc::SHM)
}

/// `sem_associate` (semget of an existing set).
pub(crate) unsafe extern "C" fn sem_associate(
    _perm: *mut bindings::kern_ipc_perm,
    _flg: c_int,
) -> c_int {
    ipc_op("sem_associate", ipc::SEM)
}

/// `sem_semop`.
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

/// `task_fix_setgroups`: `setgid`.
pub(crate) unsafe extern "C" fn task_fix_setgroups(
    _new: *mut bindings::cred,
    old: *const bindings::cred,
) -> c_int {
    // SAFETY: The framework passes the live old cred.
    to_ret(unsafe { process_op_of("task_fix_setgroups", old, process::SETGID) })
}

/// `task_prlimit` (reading or changing another task's limits): `rlimit`.
pub(crate) unsafe extern "C" fn task_prlimit(
    cred: *const bindings::cred,
    _tcred: *const bindings::cred,
    _flags: c_uint,
) -> c_int {
    // SAFETY: The framework passes the caller's live cred.
    to_ret(unsafe { process_op_of("task_prlimit", cred, process::RLIMIT) })
}

/// `sb_mount` (mount, remount, bind, move, propagation changes): `mount`.
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
pub(crate) unsafe extern "C" fn sb_umount(_mnt: *mut bindings::vfsmount, _flags: c_int) -> c_int {
    system_op("sb_umount", system::MOUNT)
}

/// `sb_pivotroot`: `mount`.
pub(crate) unsafe extern "C" fn sb_pivotroot(
    _old: *const bindings::path,
    _new: *const bindings::path,
) -> c_int {
    system_op("sb_pivotroot", system::MOUNT)
}

/// `move_mount`: `mount`.
pub(crate) unsafe extern "C" fn move_mount(
    _from: *const bindings::path,
    _to: *const bindings::path,
) -> c_int {
    system_op("move_mount", system::MOUNT)
}

/// `bpf_map` (a descriptor for a BPF map, e.g. from a pinned path): `bpf`.
pub(crate) unsafe extern "C" fn bpf_map(
    _map: *mut bindings::bpf_map,
    _fmode: bindings::fmode_t,
) -> c_int {
    system_op("bpf_map", system::BPF)
}

/// `bpf_prog` (a descriptor for a BPF program): `bpf`.
pub(crate) unsafe extern "C" fn bpf_prog(_prog: *mut bindings::bpf_prog) -> c_int {
    system_op("bpf_prog", system::BPF)
}

/// `msg_queue_msgctl` (`perm` is null for the info commands): `msg`.
pub(crate) unsafe extern "C" fn msg_queue_msgctl(
    _perm: *mut bindings::kern_ipc_perm,
    _cmd: c_int,
) -> c_int {
    ipc_op("msg_queue_msgctl", ipc::MSG)
}

/// `shm_shmctl` (`perm` may be null): `shm`.
pub(crate) unsafe extern "C" fn shm_shmctl(
    _perm: *mut bindings::kern_ipc_perm,
    _cmd: c_int,
) -> c_int {
    ipc_op("shm_shmctl", ipc::SHM)
}

/// `sem_semctl` (`perm` may be null): `sem`.
pub(crate) unsafe extern "C" fn sem_semctl(
    _perm: *mut bindings::kern_ipc_perm,
    _cmd: c_int,
) -> c_int {
    ipc_op("sem_semctl", ipc::SEM)
}

/// `file_set_fowner`: remembers the domain of the task that becomes the file's owner, on
/// whose behalf the file later sends SIGIO/SIGURG. Runs with IRQs off: a copy only.
pub(crate) unsafe extern "C" fn file_set_fowner(file: *mut bindings::file) {
    let domain = *blob::current_domain();
    // SAFETY: The fcntl path passes a live file with its blob, under the owner lock.
    unsafe { (*blob::file(file)).fown_domain = domain };
}

/// `file_send_sigiotask`: a file signals a task on behalf of its owner, so the owner's
/// signal scope applies. May run in interrupt context: lock-free, no allocation.
pub(crate) unsafe extern "C" fn file_send_sigiotask(
    tsk: *mut bindings::task_struct,
    fown: *mut bindings::fown_struct,
    _sig: c_int,
) -> c_int {
    // SAFETY: `fown` is live while its lock is held by the caller; `file` is its back
    // pointer, live as long as the owner struct.
    let owner = unsafe { (*blob::file((*fown).file)).fown_domain };
    let Some(subject) = Subject::of_domain(&owner) else {
        return 0;
    };
    // SAFETY: The signal code keeps `tsk` alive.
    let target = unsafe { blob::task_domain(tsk) };
    scope_check(
        "file_send_sigiotask",
        Class::Signal,
        &subject,
        &target,
        |d| d.signal(),
    )
}
