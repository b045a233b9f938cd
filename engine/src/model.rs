//! The owned, in-memory form of a policy (userspace only: needs `alloc`).
//!
//! The compiler builds a [`Policy`] from text, [`crate::encode`] encodes it to `policy.bin`
//! and decodes a validated blob back into one; the CLI edits one for `add`/`delete`.
//! [`Policy::canonicalize`] puts it in the one canonical order the encoder requires, so
//! two spellings of the same policy give identical bytes.
//!
//! Ids: object type ids and domain ids start at 1 and are `index + 1` in their vectors
//! after canonicalization; 0 means "none" (an unlabelled object, the unconfined domain).

use alloc::string::String;
use alloc::vec::Vec;

use crate::mode::Mode;

pub use crate::types::{
    Behaviour, Decision, FileRule, Heartbeat, HeartbeatAction, NetFamily, PathMatch, Protocol,
    Response, Settings,
};

/// A whole policy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    /// Global settings.
    pub settings: Settings,
    /// Object types, id = index + 1. Canonical order: by name.
    pub types: Vec<ObjectType>,
    /// Path rules giving files their type. Canonical order: see [`PathRule`].
    pub paths: Vec<PathRule>,
    /// Domains, id = index + 1. Canonical order: by name.
    pub domains: Vec<Domain>,
    /// Exec transitions. Canonical order: by (from, exe, digest, to).
    pub transitions: Vec<Transition>,
}

/// An object type for files.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectType {
    /// Name (identifier).
    pub name: String,
    /// A protected type: no domain may ever unlink, rename or link objects of this type,
    /// or give another object this type's paths, whatever the rules say.
    pub protected: bool,
}

/// A rule giving files matching `pattern` the type `type_id`.
///
/// Precedence (used by the kernel): an exact match wins, then the longest prefix, then the
/// first glob in canonical order. Canonical order: exact rules by pattern bytes; prefix
/// rules by pattern length descending, then bytes; globs by pattern bytes. The encoder
/// refuses two rules with the same kind and pattern but different types.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PathRule {
    /// Absolute path or glob.
    pub pattern: String,
    /// How it matches.
    pub kind: PathMatch,
    /// Object type id (>= 1).
    pub type_id: u32,
}

/// A policy domain: what its tasks may do.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Domain {
    /// Name (identifier).
    pub name: String,
    /// Per-domain mode; `None` follows the global mode.
    pub mode: Option<Mode>,
    /// Allowed capabilities, bit = kernel capability number (see `perm::CAPABILITIES`).
    pub capabilities: u64,
    /// Scope of signals the domain may send (bits of `perm::SCOPES`).
    pub signal: u32,
    /// Scope of ptrace the domain may do (bits of `perm::SCOPES`).
    pub ptrace: u32,
    /// SysV IPC permissions (bits of `perm::IPC_PERMS`).
    pub ipc: u32,
    /// System operations (bits of `perm::SYSTEM_OPS`).
    pub system: u32,
    /// Process operations (bits of `perm::PROCESS_OPS`).
    pub process: u32,
    /// File rules. Canonical order: by (type_id, decision); at most one rule per pair,
    /// never an empty permission set.
    pub files: Vec<FileRule>,
    /// Network rules. Canonical order: by every field in declaration order; no duplicates.
    pub net: Vec<NetRule>,
    /// Behaviour limits; `None` disables behaviour checks for the domain.
    pub behaviour: Option<Behaviour>,
}

/// A network rule.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NetRule {
    /// Allow or deny.
    pub decision: Decision,
    /// Operations (bits of `perm::NET_OPS`), never 0.
    pub ops: u32,
    /// Address family.
    pub family: NetFamily,
    /// Protocol (`Any` for Unix).
    pub protocol: Protocol,
    /// Network address, big-endian; IPv4 in the first 4 bytes, the rest zero. Bits past
    /// `prefix_len` are zero. All zero for Unix.
    pub addr: [u8; 16],
    /// CIDR prefix length (<= 32 for IPv4, <= 128 for IPv6; 0 for Unix).
    pub prefix_len: u8,
    /// First port of the range (0 for Unix).
    pub port_lo: u16,
    /// Last port of the range, >= `port_lo` (0 for Unix).
    pub port_hi: u16,
    /// Unix socket path, or abstract name starting with `@` (at most 108 bytes); empty
    /// for IP families and for "any Unix socket".
    pub unix_path: String,
}

/// An exec transition: a task in domain `from` (0 = unconfined) that executes `exe`
/// (and, when given, whose content has SHA-256 `digest`) enters domain `to`. A rule with
/// a digest wins over the rule without one; the encoder refuses two rules with the same
/// (from, exe, digest) but different targets.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Transition {
    /// Domain the task is in before exec (0 = unconfined).
    pub from: u32,
    /// Absolute path of the executable.
    pub exe: String,
    /// Optional SHA-256 of the executable's content.
    pub digest: Option<[u8; 32]>,
    /// Domain entered (>= 1).
    pub to: u32,
}

impl Policy {
    /// The id of the object type called `name`.
    pub fn type_id(&self, name: &str) -> Option<u32> {
        self.types
            .iter()
            .position(|t| t.name == name)
            .and_then(|i| u32::try_from(i + 1).ok())
    }

    /// The id of the domain called `name`.
    pub fn domain_id(&self, name: &str) -> Option<u32> {
        self.domains
            .iter()
            .position(|d| d.name == name)
            .and_then(|i| u32::try_from(i + 1).ok())
    }

    /// Puts the policy in canonical form: types and domains sorted by name (ids remapped
    /// everywhere), rules sorted, duplicate file rules merged (permissions or-ed), empty
    /// rules and duplicate net rules, path rules and transitions removed.
    pub fn canonicalize(&mut self) {
        let type_map = sort_with_map(&mut self.types, |a, b| a.name.cmp(&b.name));
        let domain_map = sort_with_map(&mut self.domains, |a, b| a.name.cmp(&b.name));
        let remap = |map: &[u32], id: u32| -> u32 {
            usize::try_from(id)
                .ok()
                .and_then(|i| i.checked_sub(1))
                .and_then(|i| map.get(i).copied())
                .unwrap_or(0)
        };
        for p in &mut self.paths {
            p.type_id = remap(&type_map, p.type_id);
        }
        self.paths.sort_by(path_order);
        self.paths.dedup();
        for t in &mut self.transitions {
            t.from = remap(&domain_map, t.from);
            t.to = remap(&domain_map, t.to);
        }
        self.transitions.sort();
        self.transitions.dedup();
        for d in &mut self.domains {
            for f in &mut d.files {
                f.type_id = remap(&type_map, f.type_id);
            }
            d.files.sort_by_key(|f| (f.type_id, f.decision));
            let mut merged: Vec<FileRule> = Vec::with_capacity(d.files.len());
            for f in d.files.drain(..) {
                match merged.last_mut() {
                    Some(last) if last.type_id == f.type_id && last.decision == f.decision => {
                        last.perms |= f.perms;
                    }
                    _ => merged.push(f),
                }
            }
            merged.retain(|f| f.perms != 0);
            d.files = merged;
            d.net.retain(|n| n.ops != 0);
            d.net.sort();
            d.net.dedup();
            if let Some(Behaviour {
                response: Response::Quarantine(id),
                ..
            }) = &mut d.behaviour
            {
                *id = remap(&domain_map, *id);
            }
        }
    }
}

/// Canonical order of path rules (see [`PathRule`]).
pub fn path_order(a: &PathRule, b: &PathRule) -> core::cmp::Ordering {
    a.kind
        .cmp(&b.kind)
        .then_with(|| match a.kind {
            PathMatch::Prefix => b
                .pattern
                .len()
                .cmp(&a.pattern.len())
                .then_with(|| a.pattern.cmp(&b.pattern)),
            PathMatch::Exact | PathMatch::Glob => a.pattern.cmp(&b.pattern),
        })
        .then_with(|| a.type_id.cmp(&b.type_id))
}

/// Sorts `items` stably and returns `map` with `map[old_index] = new_index + 1`.
fn sort_with_map<T>(items: &mut Vec<T>, cmp: impl Fn(&T, &T) -> core::cmp::Ordering) -> Vec<u32> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| match (items.get(a), items.get(b)) {
        (Some(x), Some(y)) => cmp(x, y),
        _ => core::cmp::Ordering::Equal,
    });
    let mut map = alloc::vec![0u32; items.len()];
    for (new, &old) in order.iter().enumerate() {
        if let Some(slot) = map.get_mut(old) {
            *slot = u32::try_from(new + 1).unwrap_or(0);
        }
    }
    let mut slots: Vec<Option<T>> = items.drain(..).map(Some).collect();
    for old in order {
        if let Some(item) = slots.get_mut(old).and_then(Option::take) {
            items.push(item);
        }
    }
    map
}
