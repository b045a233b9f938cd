// SPDX-License-Identifier: GPL-2.0

//! RCU read-side sections as a guard: what the policy pointer and the decision path read
//! under (the kernel's own RCU, called through its exported functions).

use kernel::bindings;

/// Marks an RCU read-side critical section; ends it when dropped.
pub(crate) struct RcuReadGuard;

impl RcuReadGuard {
    /// Enters a read-side section.
    pub(crate) fn new() -> Self {
        // SAFETY: `rcu_read_lock` may be called from any context; the guard ensures the
        // matching unlock on every path.
        unsafe { bindings::rcu_read_lock() };
        RcuReadGuard
    }
}

impl Drop for RcuReadGuard {
    fn drop(&mut self) {
        // SAFETY: Paired with the `rcu_read_lock` in `new`.
        unsafe { bindings::rcu_read_unlock() };
    }
}
