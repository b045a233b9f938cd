// SPDX-License-Identifier: GPL-2.0

//! Entering domains: exec transitions, requests for the next exec
//! (`lsm_set_self_attr(LSM_ATTR_EXEC)`), and reporting the domain
//! (`lsm_get_self_attr`, `/proc/<pid>/attr/current`).
//!
//! Domains only narrow: an unconfined task may enter any domain; a confined task only
//! moves where a transition *from its domain* leads, never back to unconfined, and it
//! cannot request a domain for itself.

use kernel::bindings;
use kernel::error::code::{EACCES, EINVAL, ENOMEM, EPERM};
use kernel::ffi::{c_char, c_int, c_uint};
use kernel::prelude::*;

use crate::blob::{self, DomainName};
use crate::decide::to_ret;
use crate::engine::abi::LSM_ID;
use crate::engine::sha256::Sha256;
use crate::policy;

/// SHA-256 of an open file's content.
///
/// # Safety
///
/// `file` must be a live file opened for reading. Sleeps.
unsafe fn file_digest(file: *mut bindings::file) -> Result<[u8; 32]> {
    const CHUNK: usize = 64 * 1024;
    // Not zeroed: only the bytes `kernel_read` wrote are read.
    let mut buf = KVec::<u8>::with_capacity(CHUNK, GFP_KERNEL).map_err(|_| ENOMEM)?;
    let base = buf.as_mut_ptr();
    let mut hasher = Sha256::new();
    let mut pos: bindings::loff_t = 0;
    loop {
        // SAFETY: `file` is live and readable (caller); `buf` has room for CHUNK bytes.
        let n = unsafe { bindings::kernel_read(file, base.cast(), CHUNK, &mut pos) };
        let n = usize::try_from(n)
            .map_err(|_| Error::from_errno(n as c_int))?
            .min(CHUNK);
        if n == 0 {
            return Ok(hasher.finish());
        }
        // SAFETY: `kernel_read` wrote `n` (at most CHUNK) bytes at `base`.
        hasher.update(unsafe { core::slice::from_raw_parts(base.cast_const(), n) });
    }
}

/// The domain a task in `from` enters by executing `bprm->file`, if a transition applies.
///
/// # Safety
///
/// `bprm` must be the live bprm of an exec in progress.
unsafe fn transition_target(
    bprm: *mut bindings::linux_binprm,
    from: &DomainName,
) -> Result<Option<DomainName>> {
    let Some(loaded) = policy::current() else {
        return Ok(None);
    };
    let view = loaded.view();
    let from_id = if from.is_confined() {
        match view.domain_id_by_name(from.as_bytes()) {
            Some(id) => id,
            // Its domain left the policy: no transition leads anywhere from nowhere.
            None => return Ok(None),
        }
    } else {
        0
    };
    // SAFETY: The exec path's file is open and its path live.
    let file = unsafe { (*bprm).file };
    // SAFETY: The exec path's file is open for reading and its path is live: what both
    // `fspath::with` and `file_digest` (inside the closure) need.
    let to = unsafe {
        crate::fspath::with(&raw const (*file).f_path, |exe| -> Result<Option<u32>> {
            // Transitions name executables by their exact paths, which fit in PATH_MAX:
            // none leads anywhere from an executable whose name is longer.
            let Some(exe) = exe.own() else {
                return Ok(None);
            };
            if view.transition_pinned(from_id, exe) {
                let digest = file_digest(file)?;
                Ok(view.transition(from_id, exe, Some(&digest)))
            } else {
                Ok(view.transition(from_id, exe, None))
            }
        })
    }??;
    Ok(to
        .and_then(|id| view.domain(id))
        .and_then(|d| DomainName::new(d.name().as_bytes())))
}

/// Refuses a transition out of the confined domain `from` through an executable whose
/// inode `from` wrote, created, renamed or linked (`InodeSecurity::writers`): a domain
/// must not be able to forge the entry point of a domain it may enter, whatever name the
/// object has now (SELinux's `entrypoint` permission serves the same end by type). The
/// compiler refuses transitions whose executable's type the source domain may write
/// into; this is the check by object, for what reached the executable by other names.
///
/// # Safety
///
/// `bprm` must be the live bprm of an exec in progress.
unsafe fn refuse_forged_entrypoint(bprm: *mut bindings::linux_binprm, from: &DomainName) -> Result {
    if !from.is_confined() {
        return Ok(());
    }
    // SAFETY: The exec path's file is open; its inode is live and has a blob.
    let forged = unsafe { (*blob::inode((*(*bprm).file).f_inode)).written_by(from) };
    if !forged {
        return Ok(());
    }
    let Some(subject) = crate::decide::Subject::current() else {
        return Ok(());
    };
    let what = crate::decide::Ask::new(
        "bprm_creds_for_exec",
        crate::engine::perm::Class::File,
        u64::from(crate::engine::perm::bits::file::EXECUTE),
        crate::decide::Object::Text("transition through an executable its domain wrote"),
    );
    subject.verdict(false, EACCES, &what)
}

/// `bprm_creds_for_exec`: decides the domain of the new program. A pending request
/// (`LSM_ATTR_EXEC`) wins and is consumed; otherwise a transition from the current domain
/// applies; otherwise the domain stays as it is.
pub(crate) unsafe extern "C" fn bprm_creds_for_exec(bprm: *mut bindings::linux_binprm) -> c_int {
    // SAFETY: `bprm->cred` is the new cred, prepared from the current one and private to
    // this exec until it is committed.
    let new = unsafe { &mut *blob::cred((*bprm).cred) };
    let requested = core::mem::take(&mut new.exec_domain);
    if requested.is_confined() {
        // Only unconfined tasks can make requests (checked in `setselfattr`).
        new.set_domain(requested);
        return 0;
    }
    if !new.domain().is_confined() && policy::with_current(|p| p.is_none()) {
        return 0;
    }
    // SAFETY: `bprm` is the live bprm of this exec.
    match unsafe { transition_target(bprm, new.domain()) } {
        Ok(Some(to)) => {
            // SAFETY: `bprm` is the live bprm of this exec.
            if let Err(e) = unsafe { refuse_forged_entrypoint(bprm, new.domain()) } {
                return e.to_errno();
            }
            new.set_domain(to);
            0
        }
        Ok(None) => 0,
        Err(e) => e.to_errno(),
    }
}

/// The value of `lsm_ctx.ctx` for a domain: its name, NUL-terminated.
fn attr_value(domain: &DomainName, buf: &mut [u8; 80]) -> usize {
    let name: &[u8] = if domain.is_confined() {
        domain.as_bytes()
    } else {
        b"unconfined"
    };
    let n = name.len().min(buf.len() - 1);
    if let Some(dst) = buf.get_mut(..n) {
        dst.copy_from_slice(name.get(..n).unwrap_or(&[]));
    }
    if let Some(nul) = buf.get_mut(n) {
        *nul = 0;
    }
    n + 1
}

/// `getselfattr`: `LSM_ATTR_CURRENT` is the task's domain, `LSM_ATTR_EXEC` the domain
/// requested for the next exec (`unconfined` when none).
pub(crate) unsafe extern "C" fn getselfattr(
    attr: c_uint,
    ctx: *mut bindings::lsm_ctx,
    size: *mut u32,
    _flags: u32,
) -> c_int {
    // SAFETY: The current cred is live, and so is the current task (whose quarantine, if
    // any, is its domain).
    let domain = match attr {
        bindings::LSM_ATTR_CURRENT => unsafe { blob::task_domain(bindings::get_current()) },
        bindings::LSM_ATTR_EXEC => unsafe { (*blob::cred(blob::current_cred())).exec_domain },
        _ => return crate::decide::errno(bindings::EOPNOTSUPP).to_errno(),
    };
    let mut buf = [0u8; 80];
    let len = attr_value(&domain, &mut buf);
    // SAFETY: `ctx`/`size` come from the syscall (user buffer and its size); `buf` holds
    // `len` bytes.
    let rc =
        unsafe { bindings::lsm_fill_user_ctx(ctx, size, buf.as_mut_ptr().cast(), len, LSM_ID, 0) };
    if rc < 0 {
        rc
    } else {
        1
    }
}

/// `setselfattr`: `LSM_ATTR_EXEC` with a domain name asks for that domain at the next
/// exec. Only unconfined tasks may ask (a domain never widens or changes itself), and the
/// domain must exist in the policy in force.
pub(crate) unsafe extern "C" fn setselfattr(
    attr: c_uint,
    ctx: *mut bindings::lsm_ctx,
    size: u32,
    _flags: u32,
) -> c_int {
    if attr != bindings::LSM_ATTR_EXEC {
        return crate::decide::errno(bindings::EOPNOTSUPP).to_errno();
    }
    if blob::current_domain().is_confined() {
        return EPERM.to_errno();
    }
    // SAFETY: The syscall copied `size` bytes of the context into the kernel; the header
    // was checked to fit by the framework (`size >= sizeof(struct lsm_ctx)`).
    let (ctx_len, data) = unsafe { ((*ctx).ctx_len, (*ctx).ctx.as_ptr()) };
    let header = core::mem::size_of::<bindings::lsm_ctx>();
    let avail = (size as usize).saturating_sub(header);
    let Ok(len) = usize::try_from(ctx_len) else {
        return EINVAL.to_errno();
    };
    if len == 0 || len > avail {
        return EINVAL.to_errno();
    }
    // SAFETY: `len <= avail` bytes follow the header in the kernel copy.
    let raw = unsafe { core::slice::from_raw_parts(data, len) };
    let name = raw.split(|&b| b == 0).next().unwrap_or(&[]);
    let Some(loaded) = policy::current() else {
        return EINVAL.to_errno();
    };
    if loaded.view().domain_id_by_name(name).is_none() {
        return EINVAL.to_errno();
    }
    let Some(domain) = DomainName::new(name) else {
        return EINVAL.to_errno();
    };
    to_ret(set_exec_domain(domain))
}

/// Commits a new cred carrying `domain` as the request for the next exec.
fn set_exec_domain(domain: DomainName) -> Result {
    // SAFETY: `prepare_creds` copies the current cred (and, through `cred_prepare`, its
    // blob) or returns null.
    let new = unsafe { bindings::prepare_creds() };
    if new.is_null() {
        return Err(ENOMEM);
    }
    // SAFETY: `new` is private to this task until committed.
    unsafe { (*blob::cred(new)).exec_domain = domain };
    // SAFETY: `new` came from `prepare_creds` and is committed exactly once.
    unsafe { bindings::commit_creds(new) };
    Ok(())
}

/// `getprocattr`: `/proc/<pid>/attr/current` (the task's domain) and `.../exec`.
pub(crate) unsafe extern "C" fn getprocattr(
    task: *mut bindings::task_struct,
    name: *const c_char,
    value: *mut *mut c_char,
) -> c_int {
    // SAFETY: `name` is a NUL-terminated attribute name from procfs.
    let name = unsafe { core::ffi::CStr::from_ptr(name.cast()) }.to_bytes();
    let domain = match name {
        // SAFETY: procfs holds a reference on `task`.
        b"current" => unsafe { blob::task_domain(task) },
        b"exec" => {
            let _rcu = policy::RcuReadGuard::new();
            // SAFETY: As above; `real_cred` is read under RCU.
            unsafe { (*blob::cred((*task).real_cred)).exec_domain }
        }
        _ => return EINVAL.to_errno(),
    };
    let mut buf = [0u8; 80];
    let len = attr_value(&domain, &mut buf);
    // Newline instead of the NUL, as other LSMs print their labels.
    if let Some(last) = buf.get_mut(len - 1) {
        *last = b'\n';
    }
    let mut out = match KVec::with_capacity(len, GFP_KERNEL) {
        Ok(v) => v,
        Err(_) => return ENOMEM.to_errno(),
    };
    if out
        .extend_from_slice(buf.get(..len).unwrap_or(&[]), GFP_KERNEL)
        .is_err()
    {
        return ENOMEM.to_errno();
    }
    let (ptr, _, _) = out.into_raw_parts();
    // SAFETY: procfs frees `*value` with `kfree`; the buffer came from the kmalloc-backed
    // `KVec`.
    unsafe { *value = ptr.cast::<c_char>() };
    len as c_int
}

/// `bprm_committing_creds`: a task that changes domain starts a new behaviour window, so
/// what it did before the exec does not count against its new domain.
pub(crate) unsafe extern "C" fn bprm_committing_creds(bprm: *const bindings::linux_binprm) {
    // SAFETY: `bprm->cred` is the cred about to be committed; the current cred is live.
    let (new, old) = unsafe {
        (
            *(*blob::cred((*bprm).cred)).domain(),
            *blob::current_domain(),
        )
    };
    if new == old {
        return;
    }
    // SAFETY: The current task is live and has a blob.
    let task = unsafe { &*blob::task(bindings::get_current()) };
    // A quarantine stays: only the window starts again.
    task.new_window(crate::report::now_ns());
}
