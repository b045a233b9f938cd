//! Small plain-data types of a policy that the kernel needs too: decisions, network
//! families and protocols, path match kinds, settings and behaviour limits.
//!
//! No `alloc`: this module is compiled into the kernel (`mod engine { ... mod types; }`).
//! [`super::model`] (userspace) re-exports everything here, so model users see one set of
//! names.

use super::mode::Mode;

/// Allow or deny. Within a domain a deny rule overrides allow rules for the same object;
/// what no rule allows is denied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Decision {
    /// Permit the permissions.
    Allow = 1,
    /// Forbid them even if another rule allows them.
    Deny = 2,
}

impl Decision {
    /// The decision encoded as `value`.
    pub const fn from_u8(value: u8) -> Option<Decision> {
        match value {
            1 => Some(Decision::Allow),
            2 => Some(Decision::Deny),
            _ => None,
        }
    }

    /// The encoded value.
    pub const fn to_u8(self) -> u8 {
        self as u8
    }
}

/// Address family of a network rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum NetFamily {
    /// IPv4 (IPv4-mapped IPv6 addresses are matched as IPv4).
    Inet = 1,
    /// IPv6.
    Inet6 = 2,
    /// Unix sockets, by path or abstract name.
    Unix = 3,
}

impl NetFamily {
    /// The family encoded as `value`.
    pub const fn from_u8(value: u8) -> Option<NetFamily> {
        match value {
            1 => Some(NetFamily::Inet),
            2 => Some(NetFamily::Inet6),
            3 => Some(NetFamily::Unix),
            _ => None,
        }
    }

    /// The encoded value.
    pub const fn to_u8(self) -> u8 {
        self as u8
    }
}

/// Transport protocol of a network rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Protocol {
    /// Any protocol. In a query: a socket that is neither TCP nor UDP, which only rules
    /// for any protocol match.
    Any = 0,
    /// TCP (stream sockets).
    Tcp = 1,
    /// UDP (datagram sockets).
    Udp = 2,
}

impl Protocol {
    /// The protocol encoded as `value`.
    pub const fn from_u8(value: u8) -> Option<Protocol> {
        match value {
            0 => Some(Protocol::Any),
            1 => Some(Protocol::Tcp),
            2 => Some(Protocol::Udp),
            _ => None,
        }
    }

    /// The encoded value.
    pub const fn to_u8(self) -> u8 {
        self as u8
    }
}

/// How a path rule's pattern matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum PathMatch {
    /// The whole path equals the pattern.
    Exact = 1,
    /// The path is the pattern or lies below it (pattern is a directory, no trailing `/`;
    /// the pattern `/` matches every absolute path).
    Prefix = 2,
    /// Shell-style glob: `*` (any bytes within one component), `**` (any bytes, `/`
    /// included), `?` (one byte other than `/`); every other byte stands for itself.
    Glob = 3,
}

impl PathMatch {
    /// The kind encoded as `value`.
    pub const fn from_u32(value: u32) -> Option<PathMatch> {
        match value {
            1 => Some(PathMatch::Exact),
            2 => Some(PathMatch::Prefix),
            3 => Some(PathMatch::Glob),
            _ => None,
        }
    }

    /// The kind encoded as `value` (as [`PathMatch::from_u32`]).
    pub const fn from_u8(value: u8) -> Option<PathMatch> {
        PathMatch::from_u32(value as u32)
    }

    /// The encoded value.
    pub const fn to_u32(self) -> u32 {
        self as u32
    }
}

/// What a stale heartbeat takes away from confined domains.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum HeartbeatAction {
    /// Network operations are denied.
    DenyNetwork = 1,
    /// Every mediated operation is denied.
    DenyAll = 2,
}

impl HeartbeatAction {
    /// The action encoded as `value` (0, "no heartbeat", is not an action).
    pub const fn from_u8(value: u8) -> Option<HeartbeatAction> {
        match value {
            1 => Some(HeartbeatAction::DenyNetwork),
            2 => Some(HeartbeatAction::DenyAll),
            _ => None,
        }
    }

    /// The encoded value.
    pub const fn to_u8(self) -> u8 {
        self as u8
    }

    /// The action's name in the policy language and in the `heartbeat` file.
    pub const fn name(self) -> &'static str {
        match self {
            HeartbeatAction::DenyNetwork => "deny-network",
            HeartbeatAction::DenyAll => "deny-all",
        }
    }
}

/// The supervisor's heartbeat: when none arrives for `timeout_ms`, `action` applies to
/// confined domains.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Heartbeat {
    /// Milliseconds without a heartbeat before the action applies (1..=86_400_000).
    pub timeout_ms: u32,
    /// What confined domains lose.
    pub action: HeartbeatAction,
}

/// Global settings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    /// Mode to switch to when the policy loads; `None` leaves the global mode alone.
    pub mode: Option<Mode>,
    /// Fail-closed heartbeat; `None` disables it.
    pub heartbeat: Option<Heartbeat>,
}

/// File permissions on one object type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileRule {
    /// Object type id (>= 1).
    pub type_id: u32,
    /// Allow or deny.
    pub decision: Decision,
    /// Permission bits (`perm::FILE_PERMS`), never 0.
    pub perms: u32,
}

/// What happens when a task's behaviour crosses the domain's limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Response {
    /// Record an audit event.
    Audit,
    /// Move the task into the given domain (id >= 1).
    Quarantine(u32),
}

/// Behaviour limits of a domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Behaviour {
    /// Anomaly score above which `response` applies (1..=1_000_000).
    pub anomaly_threshold: u32,
    /// Length of the sliding window in milliseconds (1..=3_600_000).
    pub window_ms: u32,
    /// Most operations allowed per window (0 = no limit).
    pub max_ops: u32,
    /// The response.
    pub response: Response,
}

/// The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), laid out as
/// rules store IPv4 (first 4 bytes, rest zero); `None` for any other address. Used
/// wherever an address is matched, so a mapped address cannot dodge an IPv4 rule.
pub fn unmap_ipv4(addr: &[u8; 16]) -> Option<[u8; 16]> {
    if addr.get(..12)? != [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff] {
        return None;
    }
    let mut out = [0u8; 16];
    out.get_mut(..4)?.copy_from_slice(addr.get(12..)?);
    Some(out)
}
