// SPDX-License-Identifier: GPL-2.0

//! Fail closed: the supervisor writes the `heartbeat` file; when the policy in force has a
//! `heartbeat timeout T action A;` statement and no heartbeat came for `T`, confined
//! domains lose the network (`deny-network`) or every mediated operation (`deny-all`)
//! until the next heartbeat.
//!
//! The clock starts when the policy is loaded (a load counts as a heartbeat), so a policy
//! gives its supervisor `T` to start beating. Unconfined tasks are never affected. The
//! mode applies as to any other denial: in monitor and alert mode a stale heartbeat is
//! counted and reported but not enforced.

use core::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};

use kernel::prelude::*;

use crate::engine::perm::Class;
use crate::engine::types::{Heartbeat, HeartbeatAction};
use crate::report::now_ns;

/// Timeout of the policy in force, in nanoseconds; 0: no heartbeat check.
static TIMEOUT_NS: AtomicU64 = AtomicU64::new(0);
/// `HeartbeatAction::to_u8` of the policy in force.
static ACTION: AtomicU8 = AtomicU8::new(0);
/// Monotonic time of the last heartbeat (or policy load), in nanoseconds.
static LAST_NS: AtomicU64 = AtomicU64::new(0);
/// Whether the current stale period was logged already (one line per period).
static STALE_LOGGED: AtomicBool = AtomicBool::new(false);

/// Takes the heartbeat settings of a newly published policy; counts as a heartbeat.
pub(crate) fn arm(settings: Option<Heartbeat>) {
    beat();
    match settings {
        Some(h) => {
            ACTION.store(h.action.to_u8(), Ordering::Relaxed);
            TIMEOUT_NS.store(
                u64::from(h.timeout_ms).saturating_mul(1_000_000),
                Ordering::Release,
            );
        }
        None => TIMEOUT_NS.store(0, Ordering::Release),
    }
}

/// Records a heartbeat.
pub(crate) fn beat() {
    LAST_NS.store(now_ns(), Ordering::Release);
    if STALE_LOGGED.swap(false, Ordering::Relaxed) {
        pr_notice!("heartbeat resumed: confined domains get their policy back\n");
    }
}

/// The state, for the `heartbeat` file: `(timeout_ms, action, ms since the last beat,
/// stale)`, or `None` when the policy in force has no heartbeat.
pub(crate) fn status() -> Option<(u64, HeartbeatAction, u64, bool)> {
    let timeout = TIMEOUT_NS.load(Ordering::Acquire);
    let action = HeartbeatAction::from_u8(ACTION.load(Ordering::Relaxed))?;
    if timeout == 0 {
        return None;
    }
    let age = now_ns().saturating_sub(LAST_NS.load(Ordering::Acquire));
    Some((timeout / 1_000_000, action, age / 1_000_000, age > timeout))
}

/// Whether a stale heartbeat takes decisions of `class` away from confined domains.
/// Lock-free; callable in any context a decision is made in.
#[inline]
pub(crate) fn blocks(class: Class) -> bool {
    let timeout = TIMEOUT_NS.load(Ordering::Acquire);
    timeout != 0 && blocks_after(class, timeout)
}

/// [`blocks`] when the policy has a heartbeat of `timeout` ns.
fn blocks_after(class: Class, timeout: u64) -> bool {
    let age = now_ns().saturating_sub(LAST_NS.load(Ordering::Acquire));
    if age <= timeout {
        return false;
    }
    let blocked = match HeartbeatAction::from_u8(ACTION.load(Ordering::Relaxed)) {
        Some(HeartbeatAction::DenyNetwork) => class == Class::Net,
        Some(HeartbeatAction::DenyAll) => true,
        None => false,
    };
    if blocked && !STALE_LOGGED.swap(true, Ordering::Relaxed) {
        pr_warn!(
            "heartbeat stale for {} ms (timeout {} ms): confined domains are cut off\n",
            age / 1_000_000,
            timeout / 1_000_000
        );
    }
    blocked
}
