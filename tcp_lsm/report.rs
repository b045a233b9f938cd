// SPDX-License-Identifier: GPL-2.0

//! What decisions leave behind: per-CPU counters (the `stats` file), the queue of events
//! behind the `events` file, and audit records.
//!
//! Hooks report from any context (spinlocks held, interrupts off, even interrupt
//! context): counting is an atomic add on this CPU's stripe, queueing an event is a
//! lock-free push into a bounded ring (a full ring drops the event and counts it), and
//! the audit record is built with `GFP_ATOMIC`, as SELinux and AppArmor do from the same
//! hooks. Nothing here sleeps or allocates with `GFP_KERNEL`.
//!
//! Audit records go through the kernel's shared LSM audit helper (`common_lsm_audit`,
//! security/lsm_audit.c), as AppArmor's and SELinux's do: an `AVC` record in the current
//! system call's audit context (so auditd pairs it with the SYSCALL record: uid, auid,
//! ses, exe, success, exit): the subject's fields first ([`Event::audit_head`]), then the
//! helper's own `pid` and `comm`, then the object's ([`Event::audit_tail`], ending in
//! `tclass`, without which `ausearch` skips an `AVC` record as malformed).

use core::cell::Cell;
use core::ffi::{c_int, c_void};
use core::fmt::Write;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use kernel::bindings;

use crate::engine::event::{self, AuditValue, Event, Text};
use crate::engine::perm::Class;
use crate::engine::ring::Ring;
use crate::engine::stats::{Counter, Stats, Verdict};

/// Counter stripes: CPU `n` counts in stripe `n % STRIPES`.
const STRIPES: usize = 64;

/// Events kept for readers of the `events` file; more are dropped and counted.
pub(crate) const EVENT_SLOTS: usize = 256;

/// Audit records allowed in a burst, and refilled per second, before records are dropped
/// (and counted) instead of flooding the audit backlog.
const AUDIT_BURST: u64 = 200;
const AUDIT_PER_SECOND: u64 = 100;

static STATS: Stats<STRIPES> = Stats::new();
static EVENTS: Ring<EVENT_SLOTS, { event::WORDS }> = Ring::new();
/// The sequence number of the last denial.
static SEQ: AtomicU64 = AtomicU64::new(0);
/// Events dropped (ring full) and not yet reported to a reader by a `lost=` line.
static UNREPORTED_LOSS: AtomicU64 = AtomicU64::new(0);
/// Whether denials become audit records (`tcp_lsm.audit=`).
static AUDIT: AtomicBool = AtomicBool::new(true);
/// Audit rate limit: tokens left (scaled by 1e9) and the time they were counted.
static AUDIT_TOKENS: AtomicU64 = AtomicU64::new(AUDIT_BURST * 1_000_000_000);
static AUDIT_STAMP: AtomicU64 = AtomicU64::new(0);

/// Readers of `events` waiting for an event.
pub(crate) struct WaitQueue {
    head: core::cell::UnsafeCell<core::mem::MaybeUninit<bindings::wait_queue_head>>,
    /// The lockdep class of the head's lock (static, as lockdep requires).
    key: core::cell::UnsafeCell<core::mem::MaybeUninit<bindings::lock_class_key>>,
}

// SAFETY: The wait queue head is only used through the kernel's wait queue functions,
// which lock it internally, after `init` ran once during LSM initialisation.
unsafe impl Sync for WaitQueue {}

pub(crate) static WAITERS: WaitQueue = WaitQueue {
    head: core::cell::UnsafeCell::new(core::mem::MaybeUninit::zeroed()),
    key: core::cell::UnsafeCell::new(core::mem::MaybeUninit::zeroed()),
};

impl WaitQueue {
    /// The head, for the kernel's wait queue functions.
    pub(crate) fn as_ptr(&self) -> *mut bindings::wait_queue_head {
        self.head.get().cast()
    }

    /// Initialises the head; called once, before any reader or writer can exist.
    pub(crate) fn init(&self) {
        // SAFETY: Called once from the LSM init function, single-threaded, before the
        // securityfs files exist and before any hook runs.
        unsafe {
            bindings::__init_waitqueue_head(
                self.as_ptr(),
                c"tcp_lsm_events".as_ptr().cast(),
                self.key.get().cast(),
            )
        };
    }

    /// Wakes every waiting reader (callable from any context).
    fn wake(&self) {
        // SAFETY: The head was initialised at LSM init; `__wake_up` takes its lock with
        // interrupts saved, so any context may call it.
        unsafe {
            bindings::__wake_up(
                self.as_ptr(),
                bindings::TASK_NORMAL,
                0,
                core::ptr::null_mut(),
            )
        };
    }
}

/// The CPU this runs on.
fn cpu() -> usize {
    // SAFETY: Reads this CPU's number; any context may (a migration right after only
    // makes the count land in another stripe, which is still summed).
    usize::try_from(unsafe { bindings::raw_smp_processor_id() }).unwrap_or(0)
}

/// Counts a decision of `class`.
pub(crate) fn count_decision(class: Class, verdict: Verdict) {
    STATS.decision(cpu(), class, verdict);
}

/// Adds one to `counter`.
pub(crate) fn count(counter: Counter) {
    count_n(counter, 1);
}

/// Adds `n` to `counter`.
pub(crate) fn count_n(counter: Counter, n: u64) {
    STATS.add(cpu(), counter, n);
}

/// Writes every counter as `name value` lines.
pub(crate) fn write_stats(out: &mut impl Write) -> core::fmt::Result {
    STATS.write(out)
}

/// Turns audit records on or off (`tcp_lsm.audit=`).
pub(crate) fn set_audit(on: bool) {
    AUDIT.store(on, Ordering::Relaxed);
}

/// Whether denials are audited.
pub(crate) fn audit_enabled() -> bool {
    AUDIT.load(Ordering::Relaxed)
}

/// Nanoseconds since boot.
pub(crate) fn now_ns() -> u64 {
    // SAFETY: Reads the monotonic clock; callable from any context.
    u64::try_from(unsafe { bindings::ktime_get() }).unwrap_or(0)
}

/// Fills in the task and time of `e`.
pub(crate) fn stamp(e: &mut Event) {
    e.time_ns = now_ns();
    // SAFETY: The current task is live while it runs; `pid` and `comm` are plain fields
    // (`comm` may change under us: a torn name is harmless, it is cut at the first NUL).
    let (pid, comm) = unsafe {
        let task = bindings::get_current();
        ((*task).pid, (*task).comm)
    };
    e.pid = u32::try_from(pid).unwrap_or(0);
    // `c_char` is `u8` in the kernel (built with -funsigned-char on every architecture).
    let comm: [u8; 16] = comm;
    let len = comm.iter().position(|&b| b == 0).unwrap_or(comm.len());
    e.comm = Text::new(comm.get(..len).unwrap_or(&[]));
}

/// Reports a denial (or a would-be denial in alert mode): gives it the next sequence
/// number, queues it for `events` readers and writes an audit record.
pub(crate) fn denial(e: &mut Event) {
    e.seq = SEQ.fetch_add(1, Ordering::Relaxed) + 1;
    if EVENTS.push(&e.encode()) {
        count(Counter::EventsQueued);
        WAITERS.wake();
    } else {
        count(Counter::EventsDropped);
        UNREPORTED_LOSS.fetch_add(1, Ordering::Relaxed);
    }
    if audit_enabled() {
        audit(e);
    }
}

/// Takes one token of the audit rate limit, if one is left.
fn audit_token() -> bool {
    let now = now_ns();
    let last = AUDIT_STAMP.swap(now, Ordering::Relaxed);
    let refill = now.saturating_sub(last).saturating_mul(AUDIT_PER_SECOND);
    let cap = AUDIT_BURST * 1_000_000_000;
    let mut tokens = AUDIT_TOKENS.load(Ordering::Relaxed);
    loop {
        let filled = tokens.saturating_add(refill).min(cap);
        let Some(left) = filled.checked_sub(1_000_000_000) else {
            AUDIT_TOKENS.store(filled, Ordering::Relaxed);
            return false;
        };
        match AUDIT_TOKENS.compare_exchange_weak(tokens, left, Ordering::Relaxed, Ordering::Relaxed)
        {
            Ok(_) => return true,
            Err(now_tokens) => tokens = now_tokens,
        }
    }
}

/// What `common_lsm_audit` is given: its own record (first, so that the `void *` it
/// hands back to [`pre_audit`] points at the whole), the event, and whether the record
/// was started (the helper calls [`pre_audit`] only for a record the audit subsystem
/// accepted: audit on, not filtered, backlog not full).
#[repr(C)]
struct AuditData<'a> {
    common: bindings::common_audit_data,
    event: &'a Event,
    started: Cell<bool>,
}

/// Writes `e` as an `AVC` audit record through the LSM audit helper; counts the records
/// that the rate limit or the audit subsystem refused.
fn audit(e: &Event) {
    if !audit_token() {
        count(Counter::AuditDropped);
        return;
    }
    // SAFETY: `common_audit_data` is plain data (a type byte and a union of pointers and
    // integers); all zeroes is a valid value, and LSM_AUDIT_DATA_NONE makes the helper
    // read nothing of the union.
    let mut common: bindings::common_audit_data = unsafe { core::mem::zeroed() };
    common.type_ = bindings::LSM_AUDIT_DATA_NONE as u8;
    let mut data = AuditData {
        common,
        event: e,
        started: Cell::new(false),
    };
    // SAFETY: `data` lives across the call, which is synchronous; the helper starts the
    // record with GFP_ATOMIC in the current task's audit context (callable from any
    // context a hook runs in, as SELinux and AppArmor call it) and passes the pointer,
    // unchanged, to `pre_audit` and `post_audit`.
    unsafe {
        bindings::common_lsm_audit((&raw mut data).cast(), Some(pre_audit), Some(post_audit))
    };
    if data.started.get() {
        count(Counter::AuditRecords);
    } else {
        // Audit is off, filtered out, or its backlog is full (which audit counts too).
        count(Counter::AuditDropped);
    }
}

/// Writes the event's subject fields into the record `common_lsm_audit` started, before
/// the helper's own `pid` and `comm`.
///
/// # Safety
///
/// Called by `common_lsm_audit` only: `ab` is a live record and `va` is the
/// `common_audit_data` that [`audit`] passed, the first field of an [`AuditData`].
unsafe extern "C" fn pre_audit(ab: *mut bindings::audit_buffer, va: *mut c_void) {
    // SAFETY: See the function's safety section: `va` points at a live `AuditData`.
    let data = unsafe { &*va.cast::<AuditData<'_>>() };
    data.started.set(true);
    // The record's text so far ends in `): `: the first field takes no space.
    let mut first = true;
    data.event.audit_head(|key, value| {
        let sep: &core::ffi::CStr = if first { c"" } else { c" " };
        first = false;
        // SAFETY: `ab` is live (above).
        unsafe { log_field(ab, sep, key, value) };
    });
}

/// Writes the event's object fields after the helper's `pid` and `comm`.
///
/// # Safety
///
/// As for [`pre_audit`].
unsafe extern "C" fn post_audit(ab: *mut bindings::audit_buffer, va: *mut c_void) {
    // SAFETY: See the function's safety section: `va` points at a live `AuditData`.
    let data = unsafe { &*va.cast::<AuditData<'_>>() };
    data.event.audit_tail(|key, value| {
        // SAFETY: `ab` is live (above).
        unsafe { log_field(ab, c" ", key, value) };
    });
}

/// Appends `sep`, then `key=value` in auditd's conventions, to the record `ab`.
///
/// # Safety
///
/// `ab` is a live audit record.
unsafe fn log_field(
    ab: *mut bindings::audit_buffer,
    sep: &core::ffi::CStr,
    key: &str,
    value: AuditValue<'_>,
) {
    let klen = c_int::try_from(key.len()).unwrap_or(0);
    let k = key.as_ptr();
    let word = |ab, w: &str, fmt: &core::ffi::CStr| {
        let wlen = c_int::try_from(w.len()).unwrap_or(0);
        // SAFETY: `ab` is live (the function's safety section); both `%.*s` get an int
        // length and a pointer to at least that many bytes.
        unsafe {
            bindings::audit_log_format(
                ab,
                fmt.as_ptr().cast(),
                sep.as_ptr(),
                klen,
                k,
                wlen,
                w.as_ptr(),
            )
        };
    };
    // SAFETY: `ab` is live (the function's safety section); every `%.*s` gets an int
    // length and a pointer to at least that many bytes; `%llu` and `%lld` get 64-bit
    // values.
    unsafe {
        match value {
            AuditValue::Str(bytes) => {
                bindings::audit_log_format(ab, c"%s%.*s=".as_ptr().cast(), sep.as_ptr(), klen, k);
                bindings::audit_log_n_untrustedstring(ab, bytes.as_ptr().cast(), bytes.len());
            }
            AuditValue::Word(w) => word(ab, w, c"%s%.*s=\"%.*s\""),
            AuditValue::Bare(w) => word(ab, w, c"%s%.*s=%.*s"),
            AuditValue::Num(n) => bindings::audit_log_format(
                ab,
                c"%s%.*s=%llu".as_ptr().cast(),
                sep.as_ptr(),
                klen,
                k,
                n,
            ),
            AuditValue::Int(n) => bindings::audit_log_format(
                ab,
                c"%s%.*s=%lld".as_ptr().cast(),
                sep.as_ptr(),
                klen,
                k,
                n,
            ),
        }
    }
}

/// Reader side of the `events` file: writes the oldest queued event as a line (without
/// its newline); `None` when none is queued.
pub(crate) fn pop_line(out: &mut impl Write) -> Option<core::fmt::Result> {
    let e = Event::decode(&EVENTS.pop()?)?;
    Some(e.write_line(out))
}

/// Events dropped since the last call (for the `lost=` line).
pub(crate) fn take_lost() -> u64 {
    UNREPORTED_LOSS.swap(0, Ordering::Relaxed)
}

/// Puts back a count taken by [`take_lost`] that could not be reported.
pub(crate) fn untake_lost(n: u64) {
    UNREPORTED_LOSS.fetch_add(n, Ordering::Relaxed);
}

/// Whether a reader would get a line now.
pub(crate) fn has_lines() -> bool {
    UNREPORTED_LOSS.load(Ordering::Relaxed) != 0 || EVENTS.has_records()
}
