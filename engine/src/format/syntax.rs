//! Syntax rules shared by the validator and the encoder: what a valid name, path, Unix
//! socket address, network rule, behaviour limit and heartbeat are, and the canonical
//! order of path rules. The policy compiler checks names with [`check_name`] too.

use core::cmp::Ordering;

use super::super::perm;
use super::super::types::{Behaviour, Heartbeat, NetFamily, PathMatch, Protocol, Response};
use super::read::to_usize;
use super::view::NetRuleRef;
use super::wire::{
    MAX_ANOMALY_THRESHOLD, MAX_GLOB_LEN, MAX_HEARTBEAT_TIMEOUT_MS, MAX_NAME_LEN, MAX_PATH_LEN,
    MAX_UNIX_PATH_LEN, MAX_WINDOW_MS,
};

/// Whether `name` is a valid type or domain name: `[A-Za-z_][A-Za-z0-9_.-]*`, at most
/// [`MAX_NAME_LEN`] bytes.
pub fn check_name(name: &[u8]) -> bool {
    match name.split_first() {
        Some((first, rest)) => {
            name.len() <= MAX_NAME_LEN
                && (first.is_ascii_alphabetic() || *first == b'_')
                && rest
                    .iter()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
        }
        None => false,
    }
}

/// Checks the syntax of a path rule pattern of kind `kind` (executables: `Exact`): absolute,
/// valid UTF-8, no NUL, at most [`MAX_PATH_LEN`] bytes ([`MAX_GLOB_LEN`] for globs), no
/// trailing `/` (except the root `/` itself), no empty, `.` or `..` component; globs have
/// no run of more than two `*`. Returns the reason on failure.
pub fn check_path(path: &[u8], kind: PathMatch) -> Result<(), &'static str> {
    if path.is_empty() {
        return Err("empty path");
    }
    if kind == PathMatch::Glob && path.len() > MAX_GLOB_LEN {
        return Err("glob longer than 1024 bytes");
    }
    if path.len() > MAX_PATH_LEN {
        return Err("path longer than 4096 bytes");
    }
    if path.first() != Some(&b'/') {
        return Err("path is not absolute");
    }
    if path.contains(&0) {
        return Err("path contains a NUL byte");
    }
    if core::str::from_utf8(path).is_err() {
        return Err("path is not valid UTF-8");
    }
    if path.len() > 1 {
        if path.last() == Some(&b'/') {
            return Err("path ends with /");
        }
        for component in path.split(|c| *c == b'/').skip(1) {
            if component.is_empty() {
                return Err("path has an empty component");
            }
            if component == b"." || component == b".." {
                return Err("path has a . or .. component");
            }
        }
    }
    if kind == PathMatch::Glob && path.windows(3).any(|w| w == b"***") {
        return Err("glob has more than two * in a row");
    }
    Ok(())
}

/// Checks a Unix socket address of a network rule: empty (any Unix socket), an absolute
/// path (as [`check_path`]) or `@` and a non-empty abstract name; UTF-8 without NUL, at
/// most [`MAX_UNIX_PATH_LEN`] bytes.
pub fn check_unix_path(path: &[u8]) -> Result<(), &'static str> {
    if path.is_empty() {
        return Ok(());
    }
    if path.len() > MAX_UNIX_PATH_LEN {
        return Err("Unix socket path longer than 108 bytes");
    }
    if path.contains(&0) {
        return Err("Unix socket path contains a NUL byte");
    }
    if core::str::from_utf8(path).is_err() {
        return Err("Unix socket path is not valid UTF-8");
    }
    if path.first() == Some(&b'@') {
        if path.len() == 1 {
            return Err("empty abstract Unix socket name");
        }
        return Ok(());
    }
    check_path(path, PathMatch::Exact)
}

/// Masks of the bits of a byte covered by a prefix of 0..=8 bits.
const PREFIX_MASKS: [u8; 9] = [0x00, 0x80, 0xC0, 0xE0, 0xF0, 0xF8, 0xFC, 0xFE, 0xFF];

/// The part of a `prefix_len`-bit prefix that falls in byte `index`, as a mask.
fn prefix_mask(prefix_len: u8, index: usize) -> u8 {
    let covered = usize::from(prefix_len)
        .saturating_sub(index.saturating_mul(8))
        .min(8);
    PREFIX_MASKS.get(covered).copied().unwrap_or(0xFF)
}

/// Whether every bit of `addr` past `prefix_len` is zero.
fn host_bits_zero(addr: &[u8; 16], prefix_len: u8) -> bool {
    addr.iter()
        .enumerate()
        .all(|(i, b)| b & !prefix_mask(prefix_len, i) == 0)
}

/// Checks the fields of a network rule against each other (see `model::NetRule`):
/// non-empty defined operations; IPv4: prefix <= 32 and the address in the first 4 bytes;
/// IPv6: prefix <= 128; IP: no address bit past the prefix, `port_lo <= port_hi`, no Unix
/// path; Unix: protocol any, address, prefix and ports zero, a valid [`check_unix_path`].
pub fn check_net_rule(rule: &NetRuleRef<'_>) -> Result<(), &'static str> {
    if rule.ops == 0 {
        return Err("empty network operation set");
    }
    if rule.ops & !perm::NET_OPS_MASK != 0 {
        return Err("undefined network operation bits");
    }
    match rule.family {
        NetFamily::Inet | NetFamily::Inet6 => {
            let max = if rule.family == NetFamily::Inet {
                32
            } else {
                128
            };
            if rule.prefix_len > max {
                return Err("prefix length too long for the address family");
            }
            if rule.family == NetFamily::Inet && rule.addr.iter().skip(4).any(|b| *b != 0) {
                return Err("IPv4 address with bytes past the first 4");
            }
            if !host_bits_zero(&rule.addr, rule.prefix_len) {
                return Err("address bits past the prefix length are not zero");
            }
            if rule.port_lo > rule.port_hi {
                return Err("port range is reversed");
            }
            if !rule.unix_path.is_empty() {
                return Err("IP rule with a Unix socket path");
            }
        }
        NetFamily::Unix => {
            if rule.protocol != Protocol::Any {
                return Err("Unix rule with a protocol");
            }
            if rule.addr != [0; 16] || rule.prefix_len != 0 {
                return Err("Unix rule with an address");
            }
            if rule.port_lo != 0 || rule.port_hi != 0 {
                return Err("Unix rule with ports");
            }
            check_unix_path(rule.unix_path)?;
        }
    }
    Ok(())
}

/// Checks behaviour limits: threshold 1..=[`MAX_ANOMALY_THRESHOLD`], window
/// 1..=[`MAX_WINDOW_MS`], quarantine domain 1..=`domain_count`.
pub fn check_behaviour(b: &Behaviour, domain_count: usize) -> Result<(), &'static str> {
    if b.anomaly_threshold == 0 || b.anomaly_threshold > MAX_ANOMALY_THRESHOLD {
        return Err("anomaly threshold out of range 1..=1000000");
    }
    if b.window_ms == 0 || b.window_ms > MAX_WINDOW_MS {
        return Err("behaviour window out of range 1..=3600000 ms");
    }
    if let Response::Quarantine(id) = b.response {
        if id == 0 || to_usize(id) > domain_count {
            return Err("quarantine domain id out of range");
        }
    }
    Ok(())
}

/// Checks a heartbeat timeout: 1..=[`MAX_HEARTBEAT_TIMEOUT_MS`].
pub fn check_heartbeat(h: &Heartbeat) -> Result<(), &'static str> {
    if h.timeout_ms == 0 || h.timeout_ms > MAX_HEARTBEAT_TIMEOUT_MS {
        return Err("heartbeat timeout out of range 1..=86400000 ms");
    }
    Ok(())
}

/// Canonical order of path rules by (kind, pattern): exact and glob patterns by bytes,
/// prefix patterns by length descending, then bytes (see `model::path_order`).
pub fn path_key_order(a_kind: PathMatch, a: &[u8], b_kind: PathMatch, b: &[u8]) -> Ordering {
    a_kind.cmp(&b_kind).then_with(|| match a_kind {
        PathMatch::Prefix => b.len().cmp(&a.len()).then_with(|| a.cmp(b)),
        PathMatch::Exact | PathMatch::Glob => a.cmp(b),
    })
}
