// SPDX-License-Identifier: GPL-2.0

//! The `bprm_*` hooks of exec: `bprm_creds_for_exec` (transitions into another domain, by
//! path or pinned digest, and requests for the next exec), `bprm_check_security` (the
//! executable's type must allow `execute`) and `bprm_committing_creds`.

use kernel::bindings;
use kernel::error::code::{EACCES, ENOMEM};
use kernel::ffi::c_int;
use kernel::prelude::*;

use crate::blob::DomainName;
use crate::engine::perm::bits::file as perm;
use crate::engine::sha256::Sha256;
use crate::errno::to_ret;
use crate::fscheck::check_file;
use crate::vfs::KFile;
use crate::{blob, policy};

/// `bprm_check_security`: a domain may only execute files of types it may execute. Runs
/// for the script and again for its interpreter.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn bprm_check_security(bprm: *mut bindings::linux_binprm) -> c_int {
    // SAFETY: The exec path passes a live bprm whose `file` is open for the call.
    let file = unsafe { KFile::new((*bprm).file) };
    to_ret(check_file("bprm_check_security", file, perm::EXECUTE))
}

/// SHA-256 of an open file's content.
///
/// `file` must be opened for reading. Sleeps.
fn file_digest(file: KFile<'_>) -> Result<[u8; 32]> {
    const CHUNK: usize = 64 * 1024;
    // Not zeroed: only the bytes `kernel_read` wrote are read.
    let mut buf = KVec::<u8>::with_capacity(CHUNK, GFP_KERNEL).map_err(|_| ENOMEM)?;
    let base = buf.as_mut_ptr();
    let mut hasher = Sha256::new();
    let mut pos: bindings::loff_t = 0;
    loop {
        // SAFETY: `file` is live (`KFile`) and readable (caller); `buf` has room for CHUNK
        // bytes.
        let n = unsafe { bindings::kernel_read(file.as_ptr(), base.cast(), CHUNK, &mut pos) };
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
    // SAFETY: The exec path's file is open for reading for the call (the caller's
    // guarantee), as `file_digest` needs.
    let file = unsafe { KFile::new((*bprm).file) };
    let to = crate::fspath::with(file.path(), |exe| -> Result<Option<u32>> {
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
    })??;
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
    // SAFETY: The exec path's file is open for the call.
    let file = unsafe { KFile::new((*bprm).file) };
    let forged = file.inode().security().written_by(from);
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
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
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

/// `bprm_committing_creds`: a task that changes domain starts a new behaviour window, so
/// what it did before the exec does not count against its new domain.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
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
