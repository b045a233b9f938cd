// SPDX-License-Identifier: GPL-2.0

//! The decision: who is asking (a confined subject), what the policy in force says, and
//! what the mode makes of it. Every check hook goes through [`Subject::check`].
//!
//! Unconfined tasks take the fast path: [`Subject::of_cred`] returns `None` after one
//! load of the cred blob, with no policy lookup.

use kernel::error::code::EACCES;
use kernel::prelude::*;

use crate::blob::{self, DomainName};
use crate::engine::format::{DomainView, PolicyView};
use crate::engine::mode::Mode;
use crate::policy::{self, Loaded};
use crate::state;

/// A confined task, as seen by the decision code. It holds no reference to the policy:
/// each query reads the policy in force under RCU, without a reference count, so hooks
/// called in atomic context can use it and never free a policy.
pub(crate) struct Subject {
    domain: DomainName,
}

impl Subject {
    /// The subject for `cred`, or `None` when it is unconfined.
    ///
    /// # Safety
    ///
    /// `cred` must be a live cred with a blob.
    pub(crate) unsafe fn of_cred(cred: *const kernel::bindings::cred) -> Option<Subject> {
        // SAFETY: Guaranteed by the caller.
        let domain = unsafe { (*blob::cred(cred)).domain };
        if !domain.is_confined() {
            return None;
        }
        Some(Subject { domain })
    }

    /// The subject acting as `domain`, or `None` when it is the unconfined domain.
    pub(crate) fn of_domain(domain: DomainName) -> Option<Subject> {
        domain.is_confined().then_some(Subject { domain })
    }

    /// The subject for the current task, or `None` when it is unconfined.
    pub(crate) fn current() -> Option<Subject> {
        // SAFETY: The current cred is live and has a blob.
        unsafe { Subject::of_cred(blob::current_cred()) }
    }

    /// The subject's domain name.
    pub(crate) fn domain(&self) -> &DomainName {
        &self.domain
    }

    /// Runs `f` with the policy in force and the subject's domain in it (`None` when there
    /// is no policy or it has no domain of that name any more: such a subject is denied
    /// everything). `f` runs under RCU and must not sleep.
    pub(crate) fn with<R>(&self, f: impl FnOnce(Option<(PolicyView<'_>, DomainView<'_>)>) -> R) -> R {
        self.with_loaded(|found| f(found.map(|(_, p, d)| (p, d))))
    }

    /// As [`Subject::with`], also giving the loaded policy (for its generation), so that
    /// everything read in `f` comes from one and the same policy.
    pub(crate) fn with_loaded<R>(
        &self,
        f: impl FnOnce(Option<(&Loaded, PolicyView<'_>, DomainView<'_>)>) -> R,
    ) -> R {
        policy::with_current(|loaded| {
            let found = loaded.and_then(|l| {
                let view = l.view();
                let domain = view.domain_id_by_name(self.domain.as_bytes()).and_then(|id| view.domain(id))?;
                Some((l, view, domain))
            });
            f(found)
        })
    }

    /// The mode that applies to this subject: its domain's, else the global one.
    fn mode(&self) -> Mode {
        self.with(|v| v.and_then(|(_, d)| d.mode())).unwrap_or_else(state::mode)
    }

    /// Applies the mode to a policy answer: `Ok` when allowed, or when the mode only
    /// monitors or alerts; `Err(errno)` when enforcing a denial.
    pub(crate) fn verdict(&self, allowed: bool, errno: Error) -> Result {
        if allowed {
            return Ok(());
        }
        match self.mode() {
            Mode::Enforce => Err(errno),
            Mode::Alert | Mode::Monitor => Ok(()),
        }
    }

    /// Asks the policy: `allows` gets the policy and the subject's domain.
    pub(crate) fn check(
        &self,
        errno: Error,
        allows: impl FnOnce(&PolicyView<'_>, &DomainView<'_>) -> bool,
    ) -> Result {
        let allowed = self.with(|v| v.is_some_and(|(p, d)| allows(&p, &d)));
        self.verdict(allowed, errno)
    }
}

/// Converts a hook result to the C return value.
pub(crate) fn to_ret(result: Result) -> kernel::ffi::c_int {
    match result {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// The usual refusal.
pub(crate) const DENIED: Error = EACCES;

/// An errno the `kernel` crate has no constant for (`bindings::E*`).
pub(crate) fn errno(code: u32) -> Error {
    Error::from_errno(-(code as kernel::ffi::c_int))
}
