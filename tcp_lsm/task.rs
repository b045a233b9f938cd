// SPDX-License-Identifier: GPL-2.0

//! Tasks and credentials: `task_alloc`, `cred_prepare`, `cred_transfer` (a child inherits
//! its parent's domain), `capable`, `ptrace_access_check`, `ptrace_traceme`, the signal
//! hooks (`task_kill`, `file_set_fowner`, `file_send_sigiotask`) and the other `task_*`
//! hooks (prctl, setuid/setgid/setgroups, nice, ioprio, rlimits, scheduler, pgid, sid).
//!
//! Several of these hooks run in atomic context (`task_kill` even in interrupts,
//! `capable` under spinlocks): everything here is lock-free and never sleeps.

use kernel::bindings;
use kernel::error::code::EPERM;
use kernel::ffi::{c_int, c_uint, c_ulong};
use kernel::prelude::*;

use crate::blob::{self, DomainName};
use crate::decide::{Ask, Object, Subject};
use crate::engine::format::DomainView;
use crate::engine::perm::bits::{process, scope, NEVER_GRANTED_CAPS};
use crate::engine::perm::Class;
use crate::errno::to_ret;

/// `capable`: a domain has only the capabilities its policy lists, and never those in
/// `NEVER_GRANTED_CAPS`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
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
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
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
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn ptrace_traceme(parent: *mut bindings::task_struct) -> c_int {
    let _rcu = crate::rcu::RcuReadGuard::new();
    // SAFETY: The caller holds the tasklist lock, which keeps `parent` alive; its cred is
    // read under RCU.
    let Some(tracer) = (unsafe { Subject::of_cred((*parent).real_cred) }) else {
        return 0;
    };
    let me = blob::current_domain();
    scope_check("ptrace_traceme", Class::Ptrace, &tracer, me, |d| d.ptrace())
}

/// `task_kill`: a domain signals only what its signal scope allows.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
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
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn task_getpgid(p: *mut bindings::task_struct) -> c_int {
    // SAFETY: The caller holds the RCU read lock that keeps `p` alive.
    unsafe { task_query("task_getpgid", p) }
}

/// `task_getsid` (`getsid(2)` of another process): within the signal scope.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn task_getsid(p: *mut bindings::task_struct) -> c_int {
    // SAFETY: The caller holds the RCU read lock that keeps `p` alive.
    unsafe { task_query("task_getsid", p) }
}

/// Checks a process operation bit for `subject` (`None`: unconfined, nothing to check).
fn process_op_of(hook: &'static str, subject: Option<Subject<'_>>, bit: u32) -> Result {
    match subject {
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
    process_op_of(hook, Subject::current(), bit)
}

/// `prctl` options that only take privileges away or read the caller's own restrictions
/// (`include/uapi/linux/prctl.h`, values from the C compiler: `layout_c.c`):
/// `PR_GET_SECCOMP`, `PR_SET_SECCOMP`, `PR_CAPBSET_READ`, `PR_CAPBSET_DROP`,
/// `PR_SET_NO_NEW_PRIVS`, `PR_GET_NO_NEW_PRIVS`. A domain may always narrow itself further
/// (a sandbox inside the agent, Landlock's no_new_privs), so these need no `prctl`
/// permission.
const PRCTL_NARROWING: [c_int; 6] = [
    crate::layout::PR_GET_SECCOMP as c_int,
    crate::layout::PR_SET_SECCOMP as c_int,
    crate::layout::PR_CAPBSET_READ as c_int,
    crate::layout::PR_CAPBSET_DROP as c_int,
    crate::layout::PR_SET_NO_NEW_PRIVS as c_int,
    crate::layout::PR_GET_NO_NEW_PRIVS as c_int,
];

/// `task_prctl`: `prctl`, except for the options that only narrow the caller. Returns
/// `-ENOSYS` to let the prctl proceed: 0 would mean "handled".
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn task_prctl(
    option: c_int,
    _a2: c_ulong,
    _a3: c_ulong,
    _a4: c_ulong,
    _a5: c_ulong,
) -> c_int {
    if PRCTL_NARROWING.contains(&option) {
        return crate::errno::code(bindings::ENOSYS).to_errno();
    }
    match process_op("task_prctl", process::PRCTL) {
        Ok(()) => crate::errno::code(bindings::ENOSYS).to_errno(),
        Err(e) => e.to_errno(),
    }
}

/// `task_fix_setuid`: `setuid` (the domain itself never changes with the uid).
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn task_fix_setuid(
    _new: *mut bindings::cred,
    old: *const bindings::cred,
    _flags: c_int,
) -> c_int {
    // SAFETY: The framework passes the live old cred.
    let subject = unsafe { Subject::of_cred(old) };
    to_ret(process_op_of("task_fix_setuid", subject, process::SETUID))
}

/// `task_fix_setgid`: `setgid`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn task_fix_setgid(
    _new: *mut bindings::cred,
    old: *const bindings::cred,
    _flags: c_int,
) -> c_int {
    // SAFETY: The framework passes the live old cred.
    let subject = unsafe { Subject::of_cred(old) };
    to_ret(process_op_of("task_fix_setgid", subject, process::SETGID))
}

/// `task_setnice`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn task_setnice(
    _p: *mut bindings::task_struct,
    _nice: c_int,
) -> c_int {
    to_ret(process_op("task_setnice", process::NICE))
}

/// `task_setioprio`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn task_setioprio(
    _p: *mut bindings::task_struct,
    _ioprio: c_int,
) -> c_int {
    to_ret(process_op("task_setioprio", process::IOPRIO))
}

/// `task_setrlimit`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn task_setrlimit(
    _p: *mut bindings::task_struct,
    _resource: c_uint,
    _new: *mut bindings::rlimit,
) -> c_int {
    to_ret(process_op("task_setrlimit", process::RLIMIT))
}

/// `task_setscheduler`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn task_setscheduler(_p: *mut bindings::task_struct) -> c_int {
    to_ret(process_op("task_setscheduler", process::SCHEDULER))
}

/// `task_setpgid`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn task_setpgid(
    _p: *mut bindings::task_struct,
    _pgid: bindings::pid_t,
) -> c_int {
    to_ret(process_op("task_setpgid", process::SETPGID))
}

/// `task_fix_setgroups`: `setgid`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn task_fix_setgroups(
    _new: *mut bindings::cred,
    old: *const bindings::cred,
) -> c_int {
    // SAFETY: The framework passes the live old cred.
    let subject = unsafe { Subject::of_cred(old) };
    to_ret(process_op_of(
        "task_fix_setgroups",
        subject,
        process::SETGID,
    ))
}

/// `task_prlimit` (reading or changing another task's limits): `rlimit`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn task_prlimit(
    cred: *const bindings::cred,
    _tcred: *const bindings::cred,
    _flags: c_uint,
) -> c_int {
    // SAFETY: The framework passes the caller's live cred.
    let subject = unsafe { Subject::of_cred(cred) };
    to_ret(process_op_of("task_prlimit", subject, process::RLIMIT))
}

/// `file_set_fowner`: remembers the domain of the task that becomes the file's owner, on
/// whose behalf the file later sends SIGIO/SIGURG. Runs with IRQs off: a copy only.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn file_set_fowner(file: *mut bindings::file) {
    let domain = *blob::current_domain();
    // SAFETY: The fcntl path passes a live file with its blob, under the owner lock.
    unsafe { (*blob::file(file)).fown_domain = domain };
}

/// `file_send_sigiotask`: a file signals a task on behalf of its owner, so the owner's
/// signal scope applies. May run in interrupt context: lock-free, no allocation.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
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

/// `task_alloc`: a new task starts a fresh behaviour window; its cred (and with it the
/// domain) is inherited through `cred_prepare`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
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
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
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
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn cred_transfer(
    new: *mut bindings::cred,
    old: *const bindings::cred,
) {
    // SAFETY: As for `cred_prepare`.
    unsafe { (*blob::cred(new)).copy_from(&*blob::cred(old)) };
}
