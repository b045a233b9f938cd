// SPDX-License-Identifier: GPL-2.0

//! The decision: who is asking (a confined subject), what the policy in force says, and
//! what the mode makes of it. Every check hook goes through [`Subject::verdict`] (or
//! [`Subject::check`]), which counts the decision and reports denials: in enforce mode
//! the operation is refused, counted, queued as an event and audited; in alert mode it
//! is allowed, counted, queued and audited; in monitor mode it is allowed and counted.
//!
//! Unconfined tasks take the fast path: [`Subject::of_cred`] returns `None` after one
//! load of the cred blob, with no policy lookup.

use kernel::error::code::EACCES;
use kernel::prelude::*;

use crate::blob::{self, DomainName};
use crate::engine::cache::{DecisionCache, Grant, Key};
use crate::engine::event::{Event, Outcome, Reason, Text};
use crate::engine::format::{DomainView, PolicyView};
use crate::engine::mode::Mode;
use crate::engine::perm::Class;
use crate::engine::sockaddr::SockAddr;
use crate::engine::stats::Counter;
use crate::engine::stats::Verdict;
use crate::policy::{self, Loaded};
use crate::{report, state};

/// Slots of the decision cache (40 bytes each).
const CACHE_SLOTS: usize = 1024;

/// The decision cache: what a domain is granted on a file type, per policy generation.
static CACHE: DecisionCache<CACHE_SLOTS> = DecisionCache::new();

/// What `domain` of the policy `loaded` is granted on files of type `type_id`, from the
/// decision cache when it has the answer for this policy generation.
pub(crate) fn file_grant(loaded: &Loaded, domain: &DomainView<'_>, type_id: u32) -> Grant {
    let key = Key {
        generation: loaded.generation(),
        domain: domain.id(),
        object_type: type_id,
        class: Class::File,
    };
    if let Some(grant) = CACHE.get(&key) {
        report::count(Counter::CacheHits);
        return grant;
    }
    report::count(Counter::CacheMisses);
    let grant = domain.file_grant(type_id);
    CACHE.insert(&key, grant);
    grant
}

/// What a decision is about, for the counters, events and audit records.
pub(crate) struct Ask<'a> {
    /// The hook that decides.
    pub(crate) op: &'static str,
    /// The class of the permissions.
    pub(crate) class: Class,
    /// The permissions asked for (capabilities: bit `cap`).
    pub(crate) perms: u64,
    /// The object.
    pub(crate) object: Object<'a>,
    /// Counted but not reported: the kernel asked without auditing (a capability probe
    /// with `CAP_OPT_NOAUDIT`, as `has_capability_noaudit` makes).
    pub(crate) quiet: bool,
}

impl<'a> Ask<'a> {
    /// A question about `perms` of `class` on `object`, from hook `op`.
    pub(crate) fn new(op: &'static str, class: Class, perms: u64, object: Object<'a>) -> Self {
        Ask {
            op,
            class,
            perms,
            object,
            quiet: false,
        }
    }

    /// The same question, counted but neither queued as an event nor audited.
    pub(crate) fn quiet(self, quiet: bool) -> Self {
        Ask { quiet, ..self }
    }
}

/// The object of a decision, as events name it.
pub(crate) enum Object<'a> {
    /// Nothing more than the permission (process and system operations).
    None,
    /// A file by its absolute path.
    Path(&'a [u8]),
    /// A file whose name is longer than `PATH_MAX`, by the deepest directory above it
    /// that has a name (`DIR/...`).
    Below(&'a [u8]),
    /// A file by the type remembered for its inode (`type:NAME`).
    Type(u32),
    /// An inode that no path rule has classified under the policy in force.
    Unclassified,
    /// A socket address.
    Addr(&'a SockAddr),
    /// A task of the given domain (`task:DOMAIN`, `task:unconfined`).
    Task(&'a DomainName),
    /// A fixed description.
    Text(&'static str),
}

/// A confined task, as seen by the decision code. It holds no reference to the policy:
/// each query reads the policy in force under RCU, without a reference count, so hooks
/// called in atomic context can use it and never free a policy. Its domain name is
/// borrowed from the cred blob (or the caller), not copied: a subject lives only for the
/// hook that made it.
pub(crate) struct Subject<'a> {
    domain: &'a DomainName,
    /// The cred blob the domain came from, whose cache of the domain's id saves looking
    /// the name up (`None` for quarantines and borrowed names).
    cred: Option<&'a blob::CredSecurity>,
    /// Whether this is the current task (whose decisions feed its behaviour window).
    current: bool,
}

impl<'a> Subject<'a> {
    /// The subject for `cred`, or `None` when it is unconfined.
    ///
    /// # Safety
    ///
    /// `cred` must be a live cred with a blob, and stay live while the subject is used.
    pub(crate) unsafe fn of_cred(cred: *const kernel::bindings::cred) -> Option<Subject<'a>> {
        if cred == blob::current_cred() {
            return Subject::current();
        }
        // SAFETY: Guaranteed by the caller.
        let state = unsafe { &*blob::cred(cred) };
        let domain = state.domain();
        domain.is_confined().then_some(Subject {
            domain,
            cred: Some(state),
            current: false,
        })
    }

    /// The subject acting as `domain` (not the current task's own decisions), or `None`
    /// when it is the unconfined domain.
    pub(crate) fn of_domain(domain: &'a DomainName) -> Option<Subject<'a>> {
        domain.is_confined().then_some(Subject {
            domain,
            cred: None,
            current: false,
        })
    }

    /// The subject for the current task (its quarantine domain if it was quarantined,
    /// `behaviour.rs`), or `None` when it is unconfined. For the duration of the calling
    /// hook (see [`blob::current_domain`]).
    pub(crate) fn current() -> Option<Subject<'a>> {
        // SAFETY: The current cred is live and has a blob for the duration of the hook.
        let state = unsafe { &*blob::cred(blob::current_cred()) };
        if !state.domain().is_confined() {
            // The fast path. A quarantined task is never here: only confined tasks are
            // quarantined, and no cred of theirs is ever unconfined again.
            return None;
        }
        // SAFETY: The current task is live and has a blob; a quarantine never changes.
        match unsafe { (*blob::task(kernel::bindings::get_current())).quarantine() } {
            Some(domain) => Some(Subject {
                domain,
                cred: None,
                current: true,
            }),
            None => Some(Subject {
                domain: state.domain(),
                cred: Some(state),
                current: true,
            }),
        }
    }

    /// The subject's domain name.
    pub(crate) fn domain(&self) -> &DomainName {
        self.domain
    }

    /// Runs `f` with the policy in force and the subject's domain in it (`None` when there
    /// is no policy or it has no domain of that name any more: such a subject is denied
    /// everything). `f` runs under RCU and must not sleep.
    pub(crate) fn with<R>(
        &self,
        f: impl FnOnce(Option<(&PolicyView<'_>, &DomainView<'_>)>) -> R,
    ) -> R {
        self.with_loaded(|found| f(found.map(|(_, p, d)| (p, d))))
    }

    /// As [`Subject::with`], also giving the loaded policy (for its generation), so that
    /// everything read in `f` comes from one and the same policy. The views are lent, not
    /// moved: they are large enough for their copies to show in a decision's cost.
    pub(crate) fn with_loaded<R>(
        &self,
        f: impl FnOnce(Option<(&Loaded, &PolicyView<'_>, &DomainView<'_>)>) -> R,
    ) -> R {
        policy::with_current(|loaded| {
            let Some(l) = loaded else { return f(None) };
            let view = l.view();
            let generation = l.generation();
            let id = match self.cred.and_then(|c| c.resolved_id(generation)) {
                Some(id) => Some(id),
                None => {
                    let id = view.domain_id_by_name(self.domain.as_bytes());
                    if let (Some(cred), Some(id)) = (self.cred, id) {
                        cred.resolve(generation, id);
                    }
                    id
                }
            };
            match id.and_then(|id| view.domain(id)) {
                Some(domain) => f(Some((l, view, &domain))),
                None => f(None),
            }
        })
    }

    /// The mode that applies to this subject: its domain's, else the global one.
    fn mode(&self) -> Mode {
        self.with(|v| v.and_then(|(_, d)| d.mode()))
            .unwrap_or_else(state::mode)
    }

    /// Applies the mode to a policy answer and reports it: `Ok` when allowed, or when
    /// the mode only monitors or alerts; `Err(errno)` when enforcing a denial.
    pub(crate) fn verdict(&self, allowed: bool, errno: Error, ask: &Ask<'_>) -> Result {
        self.feed_behaviour(ask);
        // A stale heartbeat takes away what the policy allows (`heartbeat.rs`).
        let reason = if !allowed {
            self.rule_reason()
        } else if crate::heartbeat::blocks(ask.class) {
            Reason::Heartbeat
        } else {
            report::count_decision(ask.class, Verdict::Allowed);
            return Ok(());
        };
        let mode = self.mode();
        let (verdict, outcome) = match mode {
            Mode::Enforce => (Verdict::Denied, Outcome::Deny),
            Mode::Alert | Mode::Monitor => (Verdict::WouldDeny, Outcome::Allow),
        };
        report::count_decision(ask.class, verdict);
        if mode != Mode::Monitor && !ask.quiet {
            self.report(ask, mode, outcome, errno, reason);
        }
        match outcome {
            Outcome::Deny => Err(errno),
            Outcome::Allow => Ok(()),
        }
    }

    /// Refuses an operation that no policy and no mode lets a domain do: the always-on
    /// protections (never-granted capabilities, raw and packet sockets, executable
    /// anonymous or writable memory, moving or removing protected objects, writes to the
    /// LSM's own files). Counted as denied and reported as enforced whatever the global
    /// or the domain's mode: monitor and alert soften the policy's rules, not these.
    pub(crate) fn refuse(&self, errno: Error, ask: &Ask<'_>) -> Result {
        self.feed_behaviour(ask);
        report::count_decision(ask.class, Verdict::Denied);
        if !ask.quiet {
            self.report(ask, Mode::Enforce, Outcome::Deny, errno, Reason::Protection);
        }
        Err(errno)
    }

    /// Why the policy's answer denied: its rules, or the quarantine domain's when the
    /// task was quarantined.
    fn rule_reason(&self) -> Reason {
        if self.current && self.cred.is_none() {
            Reason::Quarantine
        } else {
            Reason::Rule
        }
    }

    /// Counts a decision of the current task in its behaviour window and reports what
    /// its domain's limit made of it (`behaviour.rs`).
    fn feed_behaviour(&self, ask: &Ask<'_>) {
        if !self.current {
            return;
        }
        // The event names the class and permissions of the decision that passed the limit;
        // its object is `max-ops` (audit) or the quarantine domain (`task:NAME`).
        let trigger = if crate::behaviour::limited() {
            self.with(crate::behaviour::feed)
        } else {
            None
        };
        match trigger {
            None => {}
            Some(crate::behaviour::Trigger::Audit) => {
                let note = Ask::new("behaviour", ask.class, ask.perms, Object::Text("max-ops"));
                self.report(
                    &note,
                    self.mode(),
                    Outcome::Allow,
                    EACCES,
                    Reason::Behaviour,
                );
            }
            Some(crate::behaviour::Trigger::Quarantined(domain)) => {
                let note = Ask::new("behaviour", ask.class, ask.perms, Object::Task(&domain));
                self.report(
                    &note,
                    Mode::Enforce,
                    Outcome::Deny,
                    EACCES,
                    Reason::Quarantine,
                );
            }
        }
    }

    /// Queues and audits a denial.
    fn report(&self, ask: &Ask<'_>, mode: Mode, outcome: Outcome, errno: Error, reason: Reason) {
        let mut e = Event {
            seq: 0,
            time_ns: 0,
            op: Text::new(ask.op.as_bytes()),
            class: ask.class,
            perms: ask.perms,
            outcome,
            mode,
            domain: Text::new(self.domain.as_bytes()),
            object: Text::default(),
            pid: 0,
            comm: Text::default(),
            errno: u16::try_from(-errno.to_errno()).unwrap_or(0),
            reason,
        };
        // Formatting into a `Text` cannot fail: it cuts instead.
        let o = &mut e.object;
        let _ = match &ask.object {
            Object::None => Ok(()),
            Object::Path(p) => {
                o.push(p);
                Ok(())
            }
            Object::Below(p) => {
                o.push(p);
                o.push(b"/...");
                Ok(())
            }
            Object::Type(id) => {
                let id = *id;
                self.with(|v| match v.and_then(|(p, _)| p.type_name(id)) {
                    Some(name) => core::fmt::Write::write_fmt(o, format_args!("type:{name}")),
                    None => core::fmt::Write::write_fmt(o, format_args!("type:#{id}")),
                })
            }
            Object::Unclassified => core::fmt::Write::write_str(o, "inode:unclassified"),
            Object::Addr(a) => a.write(o),
            Object::Task(d) if d.is_confined() => {
                o.push(b"task:");
                o.push(d.as_bytes());
                Ok(())
            }
            Object::Task(_) => core::fmt::Write::write_str(o, "task:unconfined"),
            Object::Text(t) => core::fmt::Write::write_str(o, t),
        };
        report::stamp(&mut e);
        report::denial(&mut e);
    }

    /// Asks the policy: `allows` gets the policy and the subject's domain.
    pub(crate) fn check(
        &self,
        errno: Error,
        ask: &Ask<'_>,
        allows: impl FnOnce(&PolicyView<'_>, &DomainView<'_>) -> bool,
    ) -> Result {
        let allowed = self.with(|v| v.is_some_and(|(p, d)| allows(p, d)));
        self.verdict(allowed, errno, ask)
    }
}

/// The usual refusal.
pub(crate) const DENIED: Error = EACCES;
