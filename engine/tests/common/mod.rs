//! Policies and blob surgery shared by the engine's tests and benchmarks.
#![allow(dead_code, clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

pub mod oracle;

use tcp_lsm_engine::format::{compute_digest, field, SectionKind, HEADER_SIZE, SECTIONS_START};
use tcp_lsm_engine::mode::Mode;
use tcp_lsm_engine::model::*;
use tcp_lsm_engine::perm::{
    bit_of, CAPABILITIES, FILE_PERMS, IPC_PERMS, NET_OPS, PROCESS_OPS, SCOPES,
};

pub fn file_perms(names: &[&str]) -> u32 {
    names
        .iter()
        .map(|n| 1u32 << bit_of(FILE_PERMS, n).unwrap())
        .fold(0, |a, b| a | b)
}

pub fn net_ops(names: &[&str]) -> u32 {
    names
        .iter()
        .map(|n| 1u32 << bit_of(NET_OPS, n).unwrap())
        .fold(0, |a, b| a | b)
}

pub fn v4(a: [u8; 4]) -> [u8; 16] {
    let mut out = [0; 16];
    out[..4].copy_from_slice(&a);
    out
}

pub fn v6(groups: [u16; 8]) -> [u8; 16] {
    let mut out = [0; 16];
    for (i, g) in groups.iter().enumerate() {
        out[2 * i..2 * i + 2].copy_from_slice(&g.to_be_bytes());
    }
    out
}

pub fn ip_rule(
    decision: Decision,
    ops: u32,
    family: NetFamily,
    protocol: Protocol,
    addr: [u8; 16],
    prefix_len: u8,
    ports: (u16, u16),
) -> NetRule {
    NetRule {
        decision,
        ops,
        family,
        protocol,
        addr,
        prefix_len,
        port_lo: ports.0,
        port_hi: ports.1,
        unix_path: String::new(),
    }
}

pub fn unix_rule(decision: Decision, ops: u32, path: &str) -> NetRule {
    NetRule {
        decision,
        ops,
        family: NetFamily::Unix,
        protocol: Protocol::Any,
        addr: [0; 16],
        prefix_len: 0,
        port_lo: 0,
        port_hi: 0,
        unix_path: path.into(),
    }
}

pub fn path(pattern: &str, kind: PathMatch, type_id: u32) -> PathRule {
    PathRule {
        pattern: pattern.into(),
        kind,
        type_id,
    }
}

pub const DIGEST_A: [u8; 32] = [0xaa; 32];
pub const DIGEST_B: [u8; 32] = [0xbb; 32];

/// A small policy that uses every field of the format, written in non-canonical order.
/// Types (canonical ids): bin 1, etc 2, home 3, secret 4, tmp 5.
/// Domains (canonical ids): agent 1, jail 2, tool 3.
pub fn sample_policy() -> Policy {
    // Given order (ids before canonicalization): tmp 1, etc 2, bin 3, home 4, secret 5.
    let types = vec![
        ObjectType {
            name: "tmp".into(),
            protected: false,
        },
        ObjectType {
            name: "etc".into(),
            protected: true,
        },
        ObjectType {
            name: "bin".into(),
            protected: false,
        },
        ObjectType {
            name: "home".into(),
            protected: false,
        },
        ObjectType {
            name: "secret".into(),
            protected: true,
        },
    ];
    let (tmp, etc, bin, home, secret) = (1, 2, 3, 4, 5);
    let paths = vec![
        path("/tmp/**", PathMatch::Glob, tmp),
        path("/etc", PathMatch::Prefix, etc),
        path("/etc/shadow", PathMatch::Exact, secret),
        path("/home/*/.ssh/**", PathMatch::Glob, secret),
        path("/usr/bin", PathMatch::Prefix, bin),
        path("/home/user", PathMatch::Prefix, home),
        path("/etc/passwd", PathMatch::Exact, etc),
        path("/var/log/*.log", PathMatch::Glob, etc),
        path("/dev/tty?", PathMatch::Glob, tmp),
        path("/etc/ssl/private", PathMatch::Prefix, secret),
    ];
    // Given order: tool 1, agent 2, jail 3.
    let agent = Domain {
        name: "agent".into(),
        mode: Some(Mode::Enforce),
        capabilities: 1 << bit_of(CAPABILITIES, "net_bind_service").unwrap(),
        signal: 1 << bit_of(SCOPES, "same-domain").unwrap(),
        ptrace: 0,
        ipc: 1 << bit_of(IPC_PERMS, "shm").unwrap(),
        system: 0,
        process: 1 << bit_of(PROCESS_OPS, "nice").unwrap(),
        files: vec![
            FileRule {
                type_id: home,
                decision: Decision::Allow,
                perms: file_perms(&["read", "write", "create"]),
            },
            FileRule {
                type_id: bin,
                decision: Decision::Allow,
                perms: file_perms(&["read", "execute", "mmap"]),
            },
            FileRule {
                type_id: home,
                decision: Decision::Deny,
                perms: file_perms(&["unlink"]),
            },
            FileRule {
                type_id: etc,
                decision: Decision::Allow,
                perms: file_perms(&["read"]),
            },
            FileRule {
                type_id: secret,
                decision: Decision::Deny,
                perms: file_perms(&["read"]),
            },
            FileRule {
                type_id: home,
                decision: Decision::Allow,
                perms: file_perms(&["unlink", "rename"]),
            },
        ],
        net: vec![
            ip_rule(
                Decision::Allow,
                net_ops(&["connect"]),
                NetFamily::Inet,
                Protocol::Tcp,
                v4([10, 0, 0, 0]),
                8,
                (80, 443),
            ),
            ip_rule(
                Decision::Deny,
                net_ops(&["connect"]),
                NetFamily::Inet,
                Protocol::Any,
                v4([10, 1, 0, 0]),
                16,
                (0, 65535),
            ),
            ip_rule(
                Decision::Allow,
                net_ops(&["connect", "send"]),
                NetFamily::Inet6,
                Protocol::Any,
                v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0]),
                32,
                (443, 443),
            ),
            unix_rule(Decision::Allow, net_ops(&["connect"]), "/run/agent.sock"),
            unix_rule(Decision::Allow, net_ops(&["connect"]), "@agent.bus1"),
            ip_rule(
                Decision::Allow,
                net_ops(&["bind", "listen"]),
                NetFamily::Inet,
                Protocol::Udp,
                v4([0, 0, 0, 0]),
                0,
                (5353, 5353),
            ),
        ],
        behaviour: Some(Behaviour {
            anomaly_threshold: 100,
            window_ms: 60_000,
            max_ops: 5000,
            response: Response::Audit,
        }),
    };
    let tool = Domain {
        name: "tool".into(),
        mode: None,
        files: vec![FileRule {
            type_id: tmp,
            decision: Decision::Allow,
            perms: tcp_lsm_engine::perm::FILE_PERMS_MASK,
        }],
        net: vec![unix_rule(
            Decision::Allow,
            net_ops(&["connect", "send"]),
            "",
        )],
        behaviour: Some(Behaviour {
            anomaly_threshold: 10,
            window_ms: 1000,
            max_ops: 0,
            response: Response::Quarantine(3),
        }),
        ..Domain::default()
    };
    let jail = Domain {
        name: "jail".into(),
        mode: Some(Mode::Enforce),
        ..Domain::default()
    };
    let transitions = vec![
        Transition {
            from: 0,
            exe: "/usr/bin/agent".into(),
            digest: None,
            to: 2,
        },
        Transition {
            from: 0,
            exe: "/usr/bin/agent".into(),
            digest: Some(DIGEST_A),
            to: 1,
        },
        Transition {
            from: 2,
            exe: "/usr/bin/tool".into(),
            digest: None,
            to: 1,
        },
        Transition {
            from: 2,
            exe: "/usr/bin/tool".into(),
            digest: Some(DIGEST_B),
            to: 3,
        },
    ];
    Policy {
        settings: Settings {
            mode: Some(Mode::Enforce),
            heartbeat: Some(Heartbeat {
                timeout_ms: 30_000,
                action: HeartbeatAction::DenyNetwork,
            }),
        },
        types,
        paths,
        domains: vec![tool, agent, jail],
        transitions,
    }
}

/// The smallest policy: no types, no domains, default settings.
pub fn empty_policy() -> Policy {
    Policy::default()
}

/// A policy with `file_rules` file rules spread over domains (100 rules each) and 1000
/// types, plus path rules (exact, prefix and glob) and some network rules and transitions.
pub fn bench_policy(file_rules: usize) -> Policy {
    const TYPES: usize = 1000;
    const PER_DOMAIN: usize = 100;
    let domains_n = file_rules.div_ceil(PER_DOMAIN).max(1);
    let types = (0..TYPES)
        .map(|i| ObjectType {
            name: format!("type_{i:04}"),
            protected: i % 97 == 0,
        })
        .collect();
    let mut paths = Vec::new();
    for i in 0..TYPES {
        let t = (i + 1) as u32;
        paths.push(path(&format!("/srv/data/t{i}/file"), PathMatch::Exact, t));
        paths.push(path(&format!("/srv/data/t{i}"), PathMatch::Prefix, t));
        if i % 10 == 0 {
            paths.push(path(&format!("/srv/glob{i}/**/*.dat"), PathMatch::Glob, t));
        }
    }
    let mut domains = Vec::with_capacity(domains_n);
    let mut left = file_rules;
    for d in 0..domains_n {
        let n = left.min(PER_DOMAIN);
        left -= n;
        let files = (0..n)
            .map(|k| FileRule {
                type_id: ((d + k * 7) % TYPES + 1) as u32,
                decision: if k % 5 == 4 {
                    Decision::Deny
                } else {
                    Decision::Allow
                },
                perms: ((k as u32).wrapping_mul(2_654_435_761)
                    & tcp_lsm_engine::perm::FILE_PERMS_MASK)
                    | 1,
            })
            .collect();
        let net = (0..4u8)
            .map(|k| {
                ip_rule(
                    Decision::Allow,
                    net_ops(&["connect"]),
                    NetFamily::Inet,
                    Protocol::Tcp,
                    v4([10, k, (d % 256) as u8, 0]),
                    24,
                    (1, 1024),
                )
            })
            .collect();
        domains.push(Domain {
            name: format!("domain_{d:05}"),
            files,
            net,
            ..Domain::default()
        });
    }
    let transitions = (0..domains_n.min(1000))
        .map(|d| Transition {
            from: 0,
            exe: format!("/usr/bin/prog{d}"),
            digest: None,
            to: (d + 1) as u32,
        })
        .collect();
    Policy {
        settings: Settings::default(),
        types,
        paths,
        domains,
        transitions,
    }
}

/// Rewrites the digest of a (corrupted) blob so that the digest check passes.
pub fn reseal(bytes: &mut [u8]) {
    let d = compute_digest(bytes);
    bytes[field::header::DIGEST..field::header::DIGEST + 32].copy_from_slice(&d);
}

pub fn get_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
}

pub fn put_u32(bytes: &mut [u8], at: usize, v: u32) {
    bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

pub fn put_u16(bytes: &mut [u8], at: usize, v: u16) {
    bytes[at..at + 2].copy_from_slice(&v.to_le_bytes());
}

pub fn put_u64(bytes: &mut [u8], at: usize, v: u64) {
    bytes[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

/// Offset of section `kind` in the blob.
pub fn section_offset(bytes: &[u8], kind: SectionKind) -> usize {
    get_u32(bytes, kind.entry_offset() + field::entry::OFFSET) as usize
}

/// Record count of section `kind`.
pub fn section_count(bytes: &[u8], kind: SectionKind) -> usize {
    get_u32(bytes, kind.entry_offset() + field::entry::COUNT) as usize
}

/// Offset of record `index` of section `kind`.
pub fn record(bytes: &[u8], kind: SectionKind, index: usize) -> usize {
    section_offset(bytes, kind) + index * kind.record_size()
}

/// The string referenced at `at`, as (offset in the blob, length).
pub fn string_at(bytes: &[u8], at: usize) -> (usize, usize) {
    let pool = section_offset(bytes, SectionKind::Strings);
    (
        pool + get_u32(bytes, at) as usize,
        get_u32(bytes, at + 4) as usize,
    )
}

/// The sections of a blob as (kind, body, count).
pub fn split_sections(bytes: &[u8]) -> Vec<(u32, Vec<u8>, u32)> {
    (0..8)
        .map(|i| {
            let e = HEADER_SIZE + 16 * i;
            let off = get_u32(bytes, e + 4) as usize;
            let len = get_u32(bytes, e + 8) as usize;
            (
                get_u32(bytes, e),
                bytes[off..off + len].to_vec(),
                get_u32(bytes, e + 12),
            )
        })
        .collect()
}

/// Reassembles a blob from (possibly edited) sections, fixing offsets, lengths, total
/// size and digest; the header fields other than those are copied from `like`.
pub fn join_sections(like: &[u8], sections: &[(u32, Vec<u8>, u32)]) -> Vec<u8> {
    let mut out = like[..HEADER_SIZE].to_vec();
    let mut off = SECTIONS_START;
    for (kind, body, count) in sections {
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&(off as u32).to_le_bytes());
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        off += body.len();
    }
    for (_, body, _) in sections {
        out.extend_from_slice(body);
    }
    let total = out.len() as u32;
    put_u32(&mut out, field::header::TOTAL_SIZE, total);
    reseal(&mut out);
    out
}
