// SPDX-License-Identifier: GPL-2.0

//! Behaviour limits: every decision made for a confined task counts in its window; a task
//! of a domain with `behaviour ... max-ops N` that makes more than N decisions in one
//! `window` gets the domain's `response`: an event and audit record (`audit`), or, for
//! good, the quarantine domain (`quarantine D`): its later decisions are D's, its children
//! inherit it, no exec or reload ends it.
//!
//! Only the rate limit acts. The `threshold` clause (an anomaly score from a model of
//! operation sequences) is validated and kept in the policy, but no score is computed.

use core::sync::atomic::{AtomicBool, Ordering};

use crate::blob::{self, DomainName};
use crate::engine::format::{DomainView, PolicyView};
use crate::engine::types::Response;
use crate::report::now_ns;

/// Whether some domain of the policy in force has a `max-ops` limit: without one the
/// decisions skip all of this after one load.
static LIMITED: AtomicBool = AtomicBool::new(false);

/// Takes the behaviour limits of a newly published policy.
pub(crate) fn arm(view: &PolicyView<'_>) {
    let limited = (1..=view.domain_count() as u32)
        .filter_map(|id| view.domain(id))
        .any(|d| d.behaviour().is_some_and(|b| b.max_ops != 0));
    LIMITED.store(limited, Ordering::Relaxed);
}

/// What the limit of a task's domain made of its last decision.
pub(crate) enum Trigger {
    /// The limit was passed: report it.
    Audit,
    /// The limit was passed: the task is now in this domain.
    Quarantined(DomainName),
}

/// Whether some domain of the policy in force has a limit: without one, a decision skips
/// [`feed`].
#[inline]
pub(crate) fn limited() -> bool {
    LIMITED.load(Ordering::Relaxed)
}

/// Counts one decision of the current task, whose policy and domain are `v` (the
/// decision's own, `Subject::with`). Returns what its domain's limit asks for, once per
/// window, when the decision passed it.
pub(crate) fn feed(v: Option<(&PolicyView<'_>, &DomainView<'_>)>) -> Option<Trigger> {
    let (policy, domain) = v?;
    let (window_ms, max_ops, response) = {
        let b = domain.behaviour()?;
        (b.max_ops != 0).then_some((b.window_ms, b.max_ops, b.response))
    }?;
    // SAFETY: The current task is live and has a blob.
    let task = unsafe { &*blob::task(kernel::bindings::get_current()) };
    let now = now_ns();
    let start = task.window_start_ns.load(Ordering::Relaxed);
    if now.saturating_sub(start) > u64::from(window_ms).saturating_mul(1_000_000) {
        task.new_window(now);
    }
    let ops = task
        .window_ops
        .fetch_add(1, Ordering::Relaxed)
        .saturating_add(1);
    if ops != max_ops.saturating_add(1) {
        return None;
    }
    match response {
        Response::Audit => Some(Trigger::Audit),
        Response::Quarantine(id) => {
            let name = policy
                .domain(id)
                .and_then(|d| DomainName::new(d.name().as_bytes()))?;
            task.set_quarantine(&name)
                .then_some(Trigger::Quarantined(name))
        }
    }
}
