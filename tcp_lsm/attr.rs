// SPDX-License-Identifier: GPL-2.0

//! The domain as a task attribute: `getselfattr` and `setselfattr`
//! (`lsm_get_self_attr`/`lsm_set_self_attr`: `LSM_ATTR_CURRENT` reads the domain,
//! `LSM_ATTR_EXEC` requests one for the next exec) and `getprocattr` (`/proc/PID/attr/tcp/`).

use kernel::bindings;
use kernel::error::code::{EINVAL, ENOMEM, EPERM};
use kernel::ffi::{c_char, c_int, c_uint};
use kernel::prelude::*;

use crate::blob::{self, DomainName};
use crate::engine::abi::LSM_ID;
use crate::errno::to_ret;
use crate::policy;

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
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn getselfattr(
    attr: c_uint,
    ctx: *mut bindings::lsm_ctx,
    size: *mut u32,
    _flags: u32,
) -> c_int {
    let domain = match attr {
        // SAFETY: The current task is live (its quarantine, if any, is its domain).
        bindings::LSM_ATTR_CURRENT => unsafe { blob::task_domain(bindings::get_current()) },
        // SAFETY: The current cred is live while the task runs.
        bindings::LSM_ATTR_EXEC => unsafe { (*blob::cred(blob::current_cred())).exec_domain },
        _ => return crate::errno::code(bindings::EOPNOTSUPP).to_errno(),
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
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn setselfattr(
    attr: c_uint,
    ctx: *mut bindings::lsm_ctx,
    size: u32,
    _flags: u32,
) -> c_int {
    if attr != bindings::LSM_ATTR_EXEC {
        return crate::errno::code(bindings::EOPNOTSUPP).to_errno();
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
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
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
            let _rcu = crate::rcu::RcuReadGuard::new();
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
