//! Statistics counters: their names (the securityfs `stats` file, `tcp-policy stats`) and a
//! striped set of atomic counters, one stripe per CPU (CPU `n` uses stripe `n % STRIPES`),
//! so that CPUs do not share cache lines when counting. Reading sums the stripes.

use core::fmt::{self, Write};
use core::sync::atomic::{AtomicU64, Ordering};

use super::perm::Class;

/// What the kernel did with a decision, for the decision counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The policy allowed it.
    Allowed = 0,
    /// The policy denied it and it was refused (enforce).
    Denied = 1,
    /// The policy denied it but the mode let it through (alert, monitor).
    WouldDeny = 2,
}

impl Verdict {
    /// Every verdict, in counter order.
    pub const ALL: [Verdict; 3] = [Verdict::Allowed, Verdict::Denied, Verdict::WouldDeny];

    /// The name in the `stats` file.
    pub const fn name(self) -> &'static str {
        match self {
            Verdict::Allowed => "allowed",
            Verdict::Denied => "denied",
            Verdict::WouldDeny => "would_deny",
        }
    }
}

/// Counters other than decisions, after the decision counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counter {
    /// Decision cache hits.
    CacheHits = 0,
    /// Decision cache misses.
    CacheMisses = 1,
    /// Policies loaded.
    PolicyLoads = 2,
    /// Policy loads rejected.
    PolicyRejected = 3,
    /// Events queued for the `events` file.
    EventsQueued = 4,
    /// Events dropped because the queue was full.
    EventsDropped = 5,
    /// Audit records emitted.
    AuditRecords = 6,
    /// Audit records not emitted because of the rate limit or a failed allocation.
    AuditDropped = 7,
}

impl Counter {
    /// Every counter, in order.
    pub const ALL: [Counter; 8] = [
        Counter::CacheHits,
        Counter::CacheMisses,
        Counter::PolicyLoads,
        Counter::PolicyRejected,
        Counter::EventsQueued,
        Counter::EventsDropped,
        Counter::AuditRecords,
        Counter::AuditDropped,
    ];

    /// The name in the `stats` file.
    pub const fn name(self) -> &'static str {
        match self {
            Counter::CacheHits => "cache.hits",
            Counter::CacheMisses => "cache.misses",
            Counter::PolicyLoads => "policy.loads",
            Counter::PolicyRejected => "policy.rejected",
            Counter::EventsQueued => "events.queued",
            Counter::EventsDropped => "events.dropped",
            Counter::AuditRecords => "audit.records",
            Counter::AuditDropped => "audit.dropped",
        }
    }
}

const DECISIONS: usize = Class::ALL.len() * Verdict::ALL.len();

/// Number of counters.
pub const COUNT: usize = DECISIONS + Counter::ALL.len();

fn decision_index(class: Class, verdict: Verdict) -> usize {
    (class as usize - 1) * Verdict::ALL.len() + verdict as usize
}

/// One CPU's counters, on cache lines of their own.
#[repr(align(64))]
struct Stripe {
    counts: [AtomicU64; COUNT],
}

/// The counters.
pub struct Stats<const STRIPES: usize> {
    stripes: [Stripe; STRIPES],
}

impl<const STRIPES: usize> Default for Stats<STRIPES> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const STRIPES: usize> Stats<STRIPES> {
    /// All zero (a `const fn`, so that it can be a `static`).
    pub const fn new() -> Self {
        Stats {
            stripes: [const {
                Stripe {
                    counts: [const { AtomicU64::new(0) }; COUNT],
                }
            }; STRIPES],
        }
    }

    fn add_at(&self, cpu: usize, index: usize, n: u64) {
        if let Some(c) = self
            .stripes
            .get(cpu % STRIPES.max(1))
            .and_then(|s| s.counts.get(index))
        {
            c.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// Counts a decision of `class` on CPU `cpu`.
    pub fn decision(&self, cpu: usize, class: Class, verdict: Verdict) {
        self.add_at(cpu, decision_index(class, verdict), 1);
    }

    /// Adds `n` to `counter` on CPU `cpu`.
    pub fn add(&self, cpu: usize, counter: Counter, n: u64) {
        self.add_at(cpu, DECISIONS + counter as usize, n);
    }

    fn sum(&self, index: usize) -> u64 {
        self.stripes
            .iter()
            .filter_map(|s| s.counts.get(index))
            .fold(0u64, |acc, c| acc.wrapping_add(c.load(Ordering::Relaxed)))
    }

    /// The sum over CPUs of the decisions of `class` with `verdict`.
    pub fn decisions(&self, class: Class, verdict: Verdict) -> u64 {
        self.sum(decision_index(class, verdict))
    }

    /// The sum over CPUs of `counter`.
    pub fn get(&self, counter: Counter) -> u64 {
        self.sum(DECISIONS + counter as usize)
    }

    /// Writes every counter as a `name value` line: `decision.CLASS.VERDICT` for each
    /// class and verdict, then the others.
    pub fn write(&self, out: &mut impl Write) -> fmt::Result {
        for class in Class::ALL {
            for verdict in Verdict::ALL {
                writeln!(
                    out,
                    "decision.{}.{} {}",
                    class.name(),
                    verdict.name(),
                    self.decisions(class, verdict)
                )?;
            }
        }
        for counter in Counter::ALL {
            writeln!(out, "{} {}", counter.name(), self.get(counter))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::String;

    use super::*;

    #[test]
    fn counts_sum_over_stripes() {
        let s: Stats<4> = Stats::new();
        for cpu in 0..10 {
            s.decision(cpu, Class::Net, Verdict::Denied);
        }
        s.decision(3, Class::File, Verdict::Allowed);
        s.add(7, Counter::EventsDropped, 5);
        assert_eq!(s.decisions(Class::Net, Verdict::Denied), 10);
        assert_eq!(s.decisions(Class::Net, Verdict::Allowed), 0);
        assert_eq!(s.decisions(Class::File, Verdict::Allowed), 1);
        assert_eq!(s.get(Counter::EventsDropped), 5);
        let mut text = String::new();
        s.write(&mut text).unwrap();
        assert!(text.contains("decision.net.denied 10\n"));
        assert!(text.contains("decision.process.would_deny 0\n"));
        assert!(text.contains("events.dropped 5\n"));
        assert_eq!(text.lines().count(), COUNT);
    }
}
