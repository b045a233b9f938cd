//! Encoding a [`Policy`] to `policy.bin` and decoding a validated blob back (userspace
//! only: needs `alloc`). The format is `docs/policy-format.md`; [`crate::format`] holds its
//! constants and the validator, which [`encode`] runs on its own output.
//!
//! Invariants (tested, and checked by the fuzz target through `check_blob_invariants` of
//! the test-side oracle, `engine/tests/common/oracle.rs`): for every blob `B` that
//! [`validate`] accepts, `encode(&decode(B)?)? == B`; for every policy `P` that [`encode`]
//! accepts, `decode(&encode(&P)?)? == canonical(P)` where `canonical(P)` is `P` after
//! [`Policy::canonicalize`].

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use crate::format::{
    self as wire, check_behaviour, check_heartbeat, check_name, check_net_rule, check_path, field,
    validate, FormatError, NetRuleRef, PolicyView, SectionKind, HEADER_SIZE, MAX_DOMAINS,
    MAX_POLICY_SIZE, MAX_TYPES, SECTIONS_START, SECTION_COUNT, SECTION_ENTRY_SIZE,
};
use crate::model::{
    Behaviour, Domain, FileRule, NetRule, ObjectType, PathMatch, PathRule, Policy, Response,
    Settings, Transition,
};
use crate::perm;

/// Why a policy cannot be encoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EncodeError {
    /// A type or domain name is not an identifier of at most 64 bytes.
    BadName {
        /// "type" or "domain".
        what: &'static str,
        /// The name.
        name: String,
    },
    /// Two types or two domains have the same name.
    DuplicateName {
        /// "type" or "domain".
        what: &'static str,
        /// The name.
        name: String,
    },
    /// A path pattern, executable or Unix socket path is not acceptable.
    BadPath {
        /// Where it appears.
        context: String,
        /// The path.
        path: String,
        /// Why.
        reason: &'static str,
    },
    /// An id refers to no type or domain.
    BadId {
        /// Where it appears.
        context: String,
        /// The id.
        id: u32,
    },
    /// Two rules say different things about one key (a path pattern with two types, a
    /// transition with two targets).
    Conflict {
        /// What conflicts.
        context: String,
    },
    /// A value the format cannot hold (undefined bits, limits, inconsistent fields).
    BadValue {
        /// Where it appears.
        context: String,
        /// Why.
        reason: &'static str,
    },
    /// More items than the format allows.
    TooMany {
        /// "types" or "domains".
        what: &'static str,
        /// How many there are.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// The blob would exceed [`MAX_POLICY_SIZE`].
    TooLarge {
        /// Its size.
        size: usize,
    },
    /// The encoder's own output failed validation: a bug in the encoder.
    SelfCheck(FormatError),
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::BadName { what, name } => {
                write!(f, "{what} name {name:?} is not an identifier ([A-Za-z_][A-Za-z0-9_.-]*, at most 64 bytes)")
            }
            EncodeError::DuplicateName { what, name } => {
                write!(f, "two {what}s are called {name:?}")
            }
            EncodeError::BadPath {
                context,
                path,
                reason,
            } => write!(f, "{context}: {path:?}: {reason}"),
            EncodeError::BadId { context, id } => write!(f, "{context}: id {id} refers to nothing"),
            EncodeError::Conflict { context } => f.write_str(context),
            EncodeError::BadValue { context, reason } => write!(f, "{context}: {reason}"),
            EncodeError::TooMany { what, count, max } => {
                write!(f, "{count} {what}, at most {max} allowed")
            }
            EncodeError::TooLarge { size } => {
                write!(
                    f,
                    "encoded policy of {size} bytes exceeds the limit of {MAX_POLICY_SIZE} bytes"
                )
            }
            EncodeError::SelfCheck(e) => {
                write!(f, "internal error: encoder output fails validation: {e}")
            }
        }
    }
}

impl core::error::Error for EncodeError {}

/// Encodes `policy`: canonicalizes a copy, checks everything the format requires, writes
/// the blob and its digest, and validates the result.
pub fn encode(policy: &Policy) -> Result<Vec<u8>, EncodeError> {
    check_ids(policy)?;
    let mut canonical = policy.clone();
    canonical.canonicalize();
    check_policy(&canonical)?;
    let bytes = write(&canonical)?;
    validate(&bytes).map_err(EncodeError::SelfCheck)?;
    Ok(bytes)
}

/// Validates `bytes` and builds the owned policy (in canonical form).
pub fn decode(bytes: &[u8]) -> Result<Policy, FormatError> {
    let view = validate(bytes)?;
    Ok(policy_from_view(&view))
}

/// Builds the owned policy of a validated view.
pub fn policy_from_view(view: &PolicyView<'_>) -> Policy {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let types = (1..=id(view.type_count()))
        .map(|t| ObjectType {
            name: view.type_name(t).unwrap_or_default().to_string(),
            protected: view.type_is_protected(t),
        })
        .collect();
    let paths = (0..view.path_rule_count())
        .filter_map(|i| view.path_rule(i))
        .map(|r| PathRule {
            pattern: text(r.pattern),
            kind: r.kind,
            type_id: r.type_id,
        })
        .collect();
    let domains = (1..=id(view.domain_count()))
        .filter_map(|d| view.domain(d))
        .map(|d| Domain {
            name: d.name().to_string(),
            mode: d.mode(),
            capabilities: d.capabilities(),
            signal: d.signal(),
            ptrace: d.ptrace(),
            ipc: d.ipc(),
            system: d.system(),
            process: d.process(),
            files: (0..d.file_rule_count())
                .filter_map(|i| d.file_rule(i))
                .collect(),
            net: (0..d.net_rule_count())
                .filter_map(|i| d.net_rule(i))
                .map(|r| NetRule {
                    decision: r.decision,
                    ops: r.ops,
                    family: r.family,
                    protocol: r.protocol,
                    addr: r.addr,
                    prefix_len: r.prefix_len,
                    port_lo: r.port_lo,
                    port_hi: r.port_hi,
                    unix_path: text(r.unix_path),
                })
                .collect(),
            behaviour: d.behaviour(),
        })
        .collect();
    let transitions = (0..view.transition_count())
        .filter_map(|i| view.transition_rule(i))
        .map(|t| Transition {
            from: t.from,
            exe: text(t.exe),
            digest: t.digest,
            to: t.to,
        })
        .collect();
    Policy {
        settings: view.settings(),
        types,
        paths,
        domains,
        transitions,
    }
}

fn id(count: usize) -> u32 {
    u32::try_from(count).unwrap_or(u32::MAX)
}

/// Checks the ids of the policy as given (before canonicalization renumbers them).
fn check_ids(p: &Policy) -> Result<(), EncodeError> {
    if p.types.len() > MAX_TYPES {
        return Err(EncodeError::TooMany {
            what: "types",
            count: p.types.len(),
            max: MAX_TYPES,
        });
    }
    if p.domains.len() > MAX_DOMAINS {
        return Err(EncodeError::TooMany {
            what: "domains",
            count: p.domains.len(),
            max: MAX_DOMAINS,
        });
    }
    let types = id(p.types.len());
    let domains = id(p.domains.len());
    let type_ok = |t: u32| (1..=types).contains(&t);
    let domain_ok = |d: u32| (1..=domains).contains(&d);
    for r in &p.paths {
        if !type_ok(r.type_id) {
            return Err(EncodeError::BadId {
                context: format!("type of path rule {:?}", r.pattern),
                id: r.type_id,
            });
        }
    }
    for d in &p.domains {
        for f in &d.files {
            if !type_ok(f.type_id) {
                return Err(EncodeError::BadId {
                    context: format!("type of a file rule of domain {:?}", d.name),
                    id: f.type_id,
                });
            }
        }
        if let Some(Behaviour {
            response: Response::Quarantine(q),
            ..
        }) = d.behaviour
        {
            if !domain_ok(q) {
                return Err(EncodeError::BadId {
                    context: format!("quarantine domain of domain {:?}", d.name),
                    id: q,
                });
            }
        }
    }
    for t in &p.transitions {
        if t.from != 0 && !domain_ok(t.from) {
            return Err(EncodeError::BadId {
                context: format!("source domain of the transition on {:?}", t.exe),
                id: t.from,
            });
        }
        if !domain_ok(t.to) {
            return Err(EncodeError::BadId {
                context: format!("target domain of the transition on {:?}", t.exe),
                id: t.to,
            });
        }
    }
    Ok(())
}

fn kind_name(kind: PathMatch) -> &'static str {
    match kind {
        PathMatch::Exact => "exact",
        PathMatch::Prefix => "prefix",
        PathMatch::Glob => "glob",
    }
}

fn bits(
    context: impl Fn() -> String,
    value: u64,
    mask: u64,
    reason: &'static str,
) -> Result<(), EncodeError> {
    if value & !mask != 0 {
        return Err(EncodeError::BadValue {
            context: context(),
            reason,
        });
    }
    Ok(())
}

/// Checks a canonical policy against every rule of the format.
fn check_policy(p: &Policy) -> Result<(), EncodeError> {
    if let Some(h) = &p.settings.heartbeat {
        check_heartbeat(h).map_err(|reason| EncodeError::BadValue {
            context: "settings".into(),
            reason,
        })?;
    }
    for (i, t) in p.types.iter().enumerate() {
        if !check_name(t.name.as_bytes()) {
            return Err(EncodeError::BadName {
                what: "type",
                name: t.name.clone(),
            });
        }
        if i > 0 && p.types.get(i - 1).is_some_and(|prev| prev.name == t.name) {
            return Err(EncodeError::DuplicateName {
                what: "type",
                name: t.name.clone(),
            });
        }
    }
    let type_name = |t: u32| {
        p.types
            .get((t as usize).saturating_sub(1))
            .map(|t| t.name.as_str())
            .unwrap_or("?")
    };
    for (i, r) in p.paths.iter().enumerate() {
        check_path(r.pattern.as_bytes(), r.kind).map_err(|reason| EncodeError::BadPath {
            context: format!("{} path rule", kind_name(r.kind)),
            path: r.pattern.clone(),
            reason,
        })?;
        if let Some(prev) = i.checked_sub(1).and_then(|j| p.paths.get(j)) {
            if prev.kind == r.kind && prev.pattern == r.pattern {
                return Err(EncodeError::Conflict {
                    context: format!(
                        "{} path rule {:?} gives two types: {} and {}",
                        kind_name(r.kind),
                        r.pattern,
                        type_name(prev.type_id),
                        type_name(r.type_id)
                    ),
                });
            }
        }
    }
    for (i, d) in p.domains.iter().enumerate() {
        if !check_name(d.name.as_bytes()) {
            return Err(EncodeError::BadName {
                what: "domain",
                name: d.name.clone(),
            });
        }
        if i > 0 && p.domains.get(i - 1).is_some_and(|prev| prev.name == d.name) {
            return Err(EncodeError::DuplicateName {
                what: "domain",
                name: d.name.clone(),
            });
        }
        let ctx = || format!("domain {:?}", d.name);
        bits(
            ctx,
            d.signal.into(),
            perm::SCOPES_MASK.into(),
            "undefined signal scope bits",
        )?;
        bits(
            ctx,
            d.ptrace.into(),
            perm::SCOPES_MASK.into(),
            "undefined ptrace scope bits",
        )?;
        bits(
            ctx,
            d.ipc.into(),
            perm::IPC_PERMS_MASK.into(),
            "undefined IPC permission bits",
        )?;
        bits(
            ctx,
            d.capabilities,
            perm::CAPABILITIES_MASK,
            "undefined capability bits",
        )?;
        bits(
            ctx,
            d.system.into(),
            perm::SYSTEM_OPS_MASK.into(),
            "undefined system operation bits",
        )?;
        bits(
            ctx,
            d.process.into(),
            perm::PROCESS_OPS_MASK.into(),
            "undefined process operation bits",
        )?;
        for f in &d.files {
            bits(
                || {
                    format!(
                        "file rule of domain {:?} on type {}",
                        d.name,
                        type_name(f.type_id)
                    )
                },
                f.perms.into(),
                perm::FILE_PERMS_MASK.into(),
                "undefined file permission bits",
            )?;
        }
        for n in &d.net {
            check_net_rule(&net_ref(n)).map_err(|reason| match reason {
                r if r.starts_with("Unix socket path")
                    || r.starts_with("path")
                    || r.starts_with("empty abstract") =>
                {
                    EncodeError::BadPath {
                        context: format!("network rule of domain {:?}", d.name),
                        path: n.unix_path.clone(),
                        reason: r,
                    }
                }
                r => EncodeError::BadValue {
                    context: format!("network rule of domain {:?}", d.name),
                    reason: r,
                },
            })?;
        }
        if let Some(b) = &d.behaviour {
            check_behaviour(b, p.domains.len()).map_err(|reason| EncodeError::BadValue {
                context: format!("behaviour of domain {:?}", d.name),
                reason,
            })?;
        }
    }
    let domain_name = |d: u32| {
        if d == 0 {
            "unconfined"
        } else {
            p.domains
                .get((d as usize).saturating_sub(1))
                .map(|d| d.name.as_str())
                .unwrap_or("?")
        }
    };
    for (i, t) in p.transitions.iter().enumerate() {
        check_path(t.exe.as_bytes(), PathMatch::Exact).map_err(|reason| EncodeError::BadPath {
            context: format!("transition from {}", domain_name(t.from)),
            path: t.exe.clone(),
            reason,
        })?;
        if let Some(prev) = i.checked_sub(1).and_then(|j| p.transitions.get(j)) {
            if prev.from == t.from && prev.exe == t.exe && prev.digest == t.digest {
                return Err(EncodeError::Conflict {
                    context: format!(
                        "transition from {} on {:?}{} has two targets: {} and {}",
                        domain_name(t.from),
                        t.exe,
                        if t.digest.is_some() {
                            " (same digest)"
                        } else {
                            ""
                        },
                        domain_name(prev.to),
                        domain_name(t.to)
                    ),
                });
            }
        }
    }
    Ok(())
}

fn net_ref(n: &NetRule) -> NetRuleRef<'_> {
    NetRuleRef {
        decision: n.decision,
        ops: n.ops,
        family: n.family,
        protocol: n.protocol,
        addr: n.addr,
        prefix_len: n.prefix_len,
        port_lo: n.port_lo,
        port_hi: n.port_hi,
        unix_path: n.unix_path.as_bytes(),
    }
}

/// Output buffers of the writer: the string pool and one body per section.
struct Writer {
    pool: Vec<u8>,
}

impl Writer {
    /// Appends a string reference to `out` and the string to the pool (each reference
    /// gets its own copy, in reference order: the canonical pool).
    fn string(&mut self, out: &mut Vec<u8>, s: &str) -> Result<(), EncodeError> {
        out.extend_from_slice(&u32_of(self.pool.len())?.to_le_bytes());
        out.extend_from_slice(&u32_of(s.len())?.to_le_bytes());
        self.pool.extend_from_slice(s.as_bytes());
        if self.pool.len() > MAX_POLICY_SIZE {
            return Err(EncodeError::TooLarge {
                size: self.pool.len(),
            });
        }
        Ok(())
    }
}

fn u32_of(n: usize) -> Result<u32, EncodeError> {
    u32::try_from(n).map_err(|_| EncodeError::TooLarge { size: n })
}

fn mode_byte(mode: Option<crate::mode::Mode>) -> u8 {
    mode.map_or(wire::MODE_NONE, |m| m.to_u8())
}

fn write_settings(s: &Settings) -> Vec<u8> {
    let mut out = Vec::with_capacity(wire::SETTINGS_RECORD_SIZE);
    out.push(mode_byte(s.mode));
    out.push(s.heartbeat.map_or(0, |h| h.action.to_u8()));
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&s.heartbeat.map_or(0, |h| h.timeout_ms).to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes());
    out
}

/// Writes a canonical, checked policy.
fn write(p: &Policy) -> Result<Vec<u8>, EncodeError> {
    let mut w = Writer { pool: Vec::new() };
    let settings = write_settings(&p.settings);

    let mut types = Vec::with_capacity(p.types.len() * wire::TYPE_RECORD_SIZE);
    for t in &p.types {
        w.string(&mut types, &t.name)?;
        let flags = if t.protected {
            wire::TYPE_FLAG_PROTECTED
        } else {
            0
        };
        types.extend_from_slice(&flags.to_le_bytes());
    }

    let mut paths = Vec::with_capacity(p.paths.len() * wire::PATH_RECORD_SIZE);
    for r in &p.paths {
        w.string(&mut paths, &r.pattern)?;
        paths.extend_from_slice(&r.kind.to_u32().to_le_bytes());
        paths.extend_from_slice(&r.type_id.to_le_bytes());
    }

    let mut domains = Vec::with_capacity(p.domains.len() * wire::DOMAIN_RECORD_SIZE);
    let mut files = Vec::new();
    let mut nets = Vec::new();
    let (mut file_count, mut net_count) = (0usize, 0usize);
    let mut net_rules: Vec<&NetRule> = Vec::new();
    for d in &p.domains {
        w.string(&mut domains, &d.name)?;
        let (response, threshold, window, max_ops, quarantine) = match d.behaviour {
            None => (wire::RESPONSE_NONE, 0, 0, 0, 0),
            Some(b) => match b.response {
                Response::Audit => (
                    wire::RESPONSE_AUDIT,
                    b.anomaly_threshold,
                    b.window_ms,
                    b.max_ops,
                    0,
                ),
                Response::Quarantine(q) => (
                    wire::RESPONSE_QUARANTINE,
                    b.anomaly_threshold,
                    b.window_ms,
                    b.max_ops,
                    q,
                ),
            },
        };
        domains.push(mode_byte(d.mode));
        domains.push(response);
        domains.extend_from_slice(&0u16.to_le_bytes());
        for v in [d.signal, d.ptrace, d.ipc] {
            domains.extend_from_slice(&v.to_le_bytes());
        }
        domains.extend_from_slice(&d.capabilities.to_le_bytes());
        for v in [
            d.system,
            d.process,
            u32_of(file_count)?,
            u32_of(d.files.len())?,
            u32_of(net_count)?,
            u32_of(d.net.len())?,
            threshold,
            window,
            max_ops,
            quarantine,
        ] {
            domains.extend_from_slice(&v.to_le_bytes());
        }
        file_count = file_count.saturating_add(d.files.len());
        net_count = net_count.saturating_add(d.net.len());
        for f in &d.files {
            write_file_rule(&mut files, f);
        }
        net_rules.extend(d.net.iter());
    }
    for n in net_rules {
        nets.push(n.decision.to_u8());
        nets.push(n.family.to_u8());
        nets.push(n.protocol.to_u8());
        nets.push(n.prefix_len);
        nets.extend_from_slice(&n.ops.to_le_bytes());
        nets.extend_from_slice(&n.addr);
        nets.extend_from_slice(&n.port_lo.to_le_bytes());
        nets.extend_from_slice(&n.port_hi.to_le_bytes());
        w.string(&mut nets, &n.unix_path)?;
        nets.extend_from_slice(&0u32.to_le_bytes());
        nets.extend_from_slice(&0u64.to_le_bytes());
    }

    let mut transitions = Vec::with_capacity(p.transitions.len() * wire::TRANSITION_RECORD_SIZE);
    for t in &p.transitions {
        transitions.extend_from_slice(&t.from.to_le_bytes());
        w.string(&mut transitions, &t.exe)?;
        transitions.extend_from_slice(&t.to.to_le_bytes());
        transitions.extend_from_slice(&u32::from(t.digest.is_some()).to_le_bytes());
        transitions.extend_from_slice(&t.digest.unwrap_or([0; 32]));
    }

    let pool_count = w.pool.len();
    let mut pool = w.pool;
    pool.resize(pool_count.div_ceil(4) * 4, 0);
    let sections: [(SectionKind, &[u8], usize); SECTION_COUNT] = [
        (SectionKind::Strings, &pool, pool_count),
        (SectionKind::Settings, &settings, 1),
        (SectionKind::Types, &types, p.types.len()),
        (SectionKind::Paths, &paths, p.paths.len()),
        (SectionKind::Domains, &domains, p.domains.len()),
        (SectionKind::FileRules, &files, file_count),
        (SectionKind::NetRules, &nets, net_count),
        (SectionKind::Transitions, &transitions, p.transitions.len()),
    ];
    let total = sections.iter().fold(SECTIONS_START, |acc, (_, body, _)| {
        acc.saturating_add(body.len())
    });
    if total > MAX_POLICY_SIZE {
        return Err(EncodeError::TooLarge { size: total });
    }
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&wire::MAGIC);
    out.extend_from_slice(&wire::VERSION.to_le_bytes());
    out.extend_from_slice(&u32_of(HEADER_SIZE)?.to_le_bytes());
    out.extend_from_slice(&u32_of(total)?.to_le_bytes());
    out.extend_from_slice(&u32_of(SECTION_COUNT)?.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes()); // flags
    out.extend_from_slice(&0u32.to_le_bytes()); // reserved
    out.extend_from_slice(&[0u8; 32]); // digest, filled in below
    let mut offset = SECTIONS_START;
    for (kind, body, count) in &sections {
        out.extend_from_slice(&(*kind as u32).to_le_bytes());
        out.extend_from_slice(&u32_of(offset)?.to_le_bytes());
        out.extend_from_slice(&u32_of(body.len())?.to_le_bytes());
        out.extend_from_slice(&u32_of(*count)?.to_le_bytes());
        offset += body.len();
    }
    debug_assert_eq!(out.len(), HEADER_SIZE + SECTION_COUNT * SECTION_ENTRY_SIZE);
    for (_, body, _) in &sections {
        out.extend_from_slice(body);
    }
    let digest = wire::compute_digest(&out);
    if let Some(slot) = out.get_mut(field::header::DIGEST..field::header::DIGEST + 32) {
        slot.copy_from_slice(&digest);
    }
    Ok(out)
}

fn write_file_rule(out: &mut Vec<u8>, f: &FileRule) {
    out.extend_from_slice(&f.type_id.to_le_bytes());
    out.extend_from_slice(&u32::from(f.decision.to_u8()).to_le_bytes());
    out.extend_from_slice(&f.perms.to_le_bytes());
}
