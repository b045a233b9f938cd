//! Semantics of the zero-copy queries on a validated blob.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::field_reassign_with_default,
    missing_docs
)]

mod common;

use common::oracle;
use common::*;
use tcp_lsm_engine::encode::encode;
use tcp_lsm_engine::format::{glob_match, prefix_match, validate, PolicyView};
use tcp_lsm_engine::mode::Mode;
use tcp_lsm_engine::model::*;
use tcp_lsm_engine::sha256::sha256;

fn with_view<R>(p: &Policy, f: impl FnOnce(PolicyView<'_>) -> R) -> R {
    let b = encode(p).unwrap();
    let v = validate(&b).unwrap();
    f(v)
}

// Canonical ids of the sample: types bin 1, etc 2, home 3, secret 4, tmp 5;
// domains agent 1, jail 2, tool 3.
const BIN: u32 = 1;
const ETC: u32 = 2;
const HOME: u32 = 3;
const SECRET: u32 = 4;
const TMP: u32 = 5;

#[test]
fn names_counts_and_settings() {
    with_view(&sample_policy(), |v| {
        assert_eq!(v.type_name(BIN), Some("bin"));
        assert_eq!(v.type_name(TMP), Some("tmp"));
        assert_eq!(v.type_name(0), None);
        assert_eq!(v.type_name(6), None);
        assert!(v.type_is_protected(ETC) && v.type_is_protected(SECRET));
        assert!(!v.type_is_protected(BIN) && !v.type_is_protected(0) && !v.type_is_protected(99));
        assert_eq!(v.type_id_by_name(b"home"), Some(HOME));
        assert_eq!(v.type_id_by_name(b"nope"), None);
        assert_eq!(v.domain_id_by_name(b"agent"), Some(1));
        assert_eq!(v.domain_id_by_name(b"jail"), Some(2));
        assert_eq!(v.domain_id_by_name(b"tool"), Some(3));
        assert_eq!(v.domain_id_by_name(b"zzz"), None);
        assert_eq!(v.domain_id_by_name(b""), None);
        assert!(v.domain(0).is_none() && v.domain(4).is_none());
        assert_eq!(
            (
                v.path_rule_count(),
                v.file_rule_count(),
                v.net_rule_count(),
                v.transition_count()
            ),
            (10, 6, 7, 4)
        );
        let s = v.settings();
        assert_eq!(s.mode, Some(Mode::Enforce));
        assert_eq!(
            s.heartbeat,
            Some(Heartbeat {
                timeout_ms: 30_000,
                action: HeartbeatAction::DenyNetwork
            })
        );
        assert_eq!(v.digest(), v.as_bytes()[32..64]);
        let agent = v.domain(1).unwrap();
        assert_eq!(
            (agent.id(), agent.name(), agent.mode()),
            (1, "agent", Some(Mode::Enforce))
        );
        assert!(
            agent.capable(10)
                && !agent.capable(0)
                && !agent.capable(64)
                && !agent.capable(u32::MAX)
        );
        assert_eq!(
            (
                agent.signal(),
                agent.ptrace(),
                agent.ipc(),
                agent.system(),
                agent.process()
            ),
            (1, 0, 1, 0, 1 << 4)
        );
        assert_eq!(agent.behaviour().unwrap().response, Response::Audit);
        let tool = v.domain(3).unwrap();
        assert_eq!(tool.mode(), None);
        assert_eq!(tool.behaviour().unwrap().response, Response::Quarantine(2));
        assert_eq!(v.domain(2).unwrap().behaviour(), None);
    });
}

#[test]
fn layout_rebuilds_the_view() {
    let b = encode(&sample_policy()).unwrap();
    let layout = validate(&b).unwrap().layout();
    let v = PolicyView::from_layout(&b, layout);
    assert_eq!(v.type_for_path(b"/etc/shadow"), SECRET);
    // A layout used with other bytes gives wrong answers but never panics.
    let junk = vec![0xA5u8; 300];
    let w = PolicyView::from_layout(&junk, layout);
    let _ = w.type_for_path(b"/etc/shadow");
    let _ = w.transition(0, b"/usr/bin/agent", None);
    if let Some(d) = w.domain(1) {
        let _ = d.file_allows(1, 1);
        let _ = d.net_allows(1, NetFamily::Inet, Protocol::Tcp, &[0; 16], 1, b"");
    }
    let short = PolicyView::from_layout(&b[..100], layout);
    assert_eq!(short.type_for_path(b"/etc/shadow"), 0);
    assert!(short.domain(1).is_none());
}

#[test]
fn path_precedence() {
    with_view(&sample_policy(), |v| {
        // Exact beats the prefix /etc.
        assert_eq!(v.type_for_path(b"/etc/shadow"), SECRET);
        assert_eq!(v.type_for_path(b"/etc/passwd"), ETC);
        // Prefix: the directory itself and what lies below, not siblings sharing the bytes.
        assert_eq!(v.type_for_path(b"/etc"), ETC);
        assert_eq!(v.type_for_path(b"/etc/hosts"), ETC);
        assert_eq!(v.type_for_path(b"/etc/shadow/x"), ETC);
        assert_eq!(v.type_for_path(b"/etcetera"), 0);
        // Longest prefix wins.
        assert_eq!(v.type_for_path(b"/etc/ssl/private"), SECRET);
        assert_eq!(v.type_for_path(b"/etc/ssl/private/key.pem"), SECRET);
        assert_eq!(v.type_for_path(b"/etc/ssl/privateer"), ETC);
        assert_eq!(v.type_for_path(b"/usr/bin/ls"), BIN);
        assert_eq!(v.type_for_path(b"/usr/binary"), 0);
        // Prefix beats glob: /home/user/.ssh/id matches the glob too.
        assert_eq!(v.type_for_path(b"/home/user/.ssh/id"), HOME);
        assert_eq!(v.type_for_path(b"/home/other/.ssh/id"), SECRET);
        assert_eq!(v.type_for_path(b"/home/other/.ssh"), 0);
        // Globs.
        assert_eq!(v.type_for_path(b"/tmp/a/b/c"), TMP);
        assert_eq!(v.type_for_path(b"/tmp/"), TMP);
        assert_eq!(v.type_for_path(b"/tmp"), 0);
        assert_eq!(v.type_for_path(b"/var/log/syslog.log"), ETC);
        assert_eq!(v.type_for_path(b"/var/log/apt/history.log"), 0);
        assert_eq!(v.type_for_path(b"/dev/tty1"), TMP);
        assert_eq!(v.type_for_path(b"/dev/tty12"), 0);
        assert_eq!(v.type_for_path(b"/dev/tty/"), 0);
        // Nothing.
        assert_eq!(v.type_for_path(b"/"), 0);
        assert_eq!(v.type_for_path(b""), 0);
        assert_eq!(v.type_for_path(b"etc/passwd"), 0);
        assert_eq!(v.type_for_path(&[b'/'; 5000]), 0);
    });
}

#[test]
fn first_glob_in_canonical_order_wins_and_root_prefix() {
    let mut p = Policy::default();
    p.types = ["a", "b", "c"]
        .iter()
        .map(|n| ObjectType {
            name: (*n).into(),
            protected: false,
        })
        .collect();
    p.paths = vec![
        path("/x/*.txt", PathMatch::Glob, 2),
        path("/x/**", PathMatch::Glob, 1),
        path("/", PathMatch::Prefix, 3),
    ];
    with_view(&p, |v| {
        // "/x/**" < "/x/*.txt" in byte order ('*' < '.'), so "/x/**" comes first.
        assert_eq!(v.type_for_path(b"/x/a.txt"), 3); // the root prefix beats every glob
    });
    p.paths.pop();
    with_view(&p, |v| {
        assert_eq!(v.type_for_path(b"/x/a.txt"), 1);
        assert_eq!(v.type_for_path(b"/y"), 0);
    });
    p.paths = vec![
        path("/", PathMatch::Prefix, 3),
        path("/", PathMatch::Exact, 1),
    ];
    with_view(&p, |v| {
        assert_eq!(v.type_for_path(b"/"), 1);
        assert_eq!(v.type_for_path(b"/anything/at/all"), 3);
        assert_eq!(v.type_for_path(b"relative"), 0);
    });
}

#[test]
fn glob_semantics() {
    let yes = [
        ("/a/*", "/a/b"),
        ("/a/*", "/a/"),
        ("/a/**", "/a/b/c/d"),
        ("/a/**", "/a/"),
        ("/a/**/z", "/a/b/c/z"),
        ("/a/**/z", "/a//z"),
        ("/a/*/z", "/a/b/z"),
        ("/a/?", "/a/b"),
        ("/a/*.c", "/a/.c"),
        ("/**.so", "/usr/lib/x.so"),
        ("/a/*b*c*", "/a/xbycz"),
        ("/a/**b/c", "/a/x/yb/c"),
        ("/a*/b", "/a/b"),
        ("/a/[x]", "/a/[x]"),
        ("/", "/"),
    ];
    let no = [
        ("/a/*", "/a/b/c"),
        ("/a/*", "/a"),
        ("/a/**/z", "/a/z"),
        ("/a/*/z", "/a/b/c/z"),
        ("/a/?", "/a/"),
        ("/a/?", "/a//"),
        ("/a/?", "/a/bc"),
        ("/a/*b*c*", "/a/xbyc/z"),
        ("/a/[x]", "/a/x"),
        ("/a", "/a/"),
        ("/a", "/A"),
    ];
    for (p, t) in yes {
        assert!(
            glob_match(p.as_bytes(), t.as_bytes()),
            "{p} should match {t}"
        );
        assert!(
            oracle::reference::glob_match(p.as_bytes(), t.as_bytes()),
            "reference: {p} {t}"
        );
    }
    for (p, t) in no {
        assert!(
            !glob_match(p.as_bytes(), t.as_bytes()),
            "{p} should not match {t}"
        );
        assert!(
            !oracle::reference::glob_match(p.as_bytes(), t.as_bytes()),
            "reference: {p} {t}"
        );
    }
}

#[test]
fn glob_worst_cases_are_bounded() {
    // Patterns that make backtracking matchers exponential or quadratic.
    let pattern = format!("/{}b", "*a".repeat(300));
    let text = format!("/{}", "a".repeat(4000));
    assert!(!glob_match(pattern.as_bytes(), text.as_bytes()));
    let pattern = format!("/{}b", "**a".repeat(300));
    assert!(!glob_match(pattern.as_bytes(), text.as_bytes()));
    let pattern = format!("/{}", "**/".repeat(340));
    let text = "/a".repeat(2000) + "/";
    assert!(glob_match(pattern.as_bytes(), text.as_bytes()));
    // The longest glob is accepted, a longer one matches nothing.
    let long = format!("/{}", "?".repeat(1023));
    assert!(glob_match(
        long.as_bytes(),
        format!("/{}", "x".repeat(1023)).as_bytes()
    ));
    let longer = format!("/{}", "?".repeat(1024));
    assert!(!glob_match(
        longer.as_bytes(),
        format!("/{}", "x".repeat(1024)).as_bytes()
    ));
}

#[test]
fn prefix_match_semantics() {
    assert!(prefix_match(b"/a/b", b"/a/b"));
    assert!(prefix_match(b"/a/b", b"/a/b/c"));
    assert!(!prefix_match(b"/a/b", b"/a/bc"));
    assert!(!prefix_match(b"/a/b", b"/a"));
    assert!(prefix_match(b"/", b"/"));
    assert!(prefix_match(b"/", b"/x"));
    assert!(!prefix_match(b"/", b"x"));
}

#[test]
fn file_rules_allow_and_deny() {
    use tcp_lsm_engine::perm::FILE_PERMS_MASK;
    with_view(&sample_policy(), |v| {
        let agent = v.domain(1).unwrap();
        assert_eq!(agent.file_rule_count(), 5);
        let p = |names: &[&str]| file_perms(names);
        assert!(agent.file_allows(BIN, p(&["read"])));
        assert!(agent.file_allows(BIN, p(&["read", "execute", "mmap"])));
        assert!(!agent.file_allows(BIN, p(&["read", "write"])));
        // Merged allow rules (read|write|create and unlink|rename), unlink denied.
        assert!(agent.file_allows(HOME, p(&["read", "write", "create", "rename"])));
        assert!(!agent.file_allows(HOME, p(&["unlink"])));
        assert!(!agent.file_allows(HOME, p(&["read", "unlink"])));
        // Deny without allow.
        assert!(!agent.file_allows(SECRET, p(&["read"])));
        assert!(!agent.file_allows(SECRET, p(&["write"])));
        // No rule: denied; empty request: allowed.
        assert!(!agent.file_allows(TMP, p(&["read"])));
        assert!(!agent.file_allows(0, p(&["read"])));
        assert!(!agent.file_allows(99, p(&["read"])));
        assert!(agent.file_allows(TMP, 0));
        // Undefined bits are never allowed.
        assert!(!agent.file_allows(BIN, 1 << 31));
        let tool = v.domain(3).unwrap();
        assert!(tool.file_allows(TMP, FILE_PERMS_MASK));
        assert!(!tool.file_allows(BIN, 1));
        let jail = v.domain(2).unwrap();
        assert!(!jail.file_allows(TMP, 1));
        assert_eq!(jail.file_rule_count(), 0);
        assert_eq!(
            agent.file_rule(0),
            Some(FileRule {
                type_id: BIN,
                decision: Decision::Allow,
                perms: p(&["read", "execute", "mmap"])
            })
        );
        assert_eq!(agent.file_rule(5), None);
    });
}

#[test]
fn net_rules_cidr_ports_deny() {
    let connect = net_ops(&["connect"]);
    let send = net_ops(&["send"]);
    with_view(&sample_policy(), |v| {
        let a = v.domain(1).unwrap();
        let ip4 = |addr: [u8; 4], port: u16, proto: Protocol| {
            a.net_allows(connect, NetFamily::Inet, proto, &v4(addr), port, b"")
        };
        // 10.0.0.0/8 tcp 80..=443, minus 10.1.0.0/16.
        assert!(ip4([10, 2, 3, 4], 80, Protocol::Tcp));
        assert!(ip4([10, 255, 255, 255], 443, Protocol::Tcp));
        assert!(!ip4([10, 2, 3, 4], 79, Protocol::Tcp));
        assert!(!ip4([10, 2, 3, 4], 444, Protocol::Tcp));
        assert!(!ip4([10, 2, 3, 4], 80, Protocol::Udp));
        assert!(!ip4([10, 2, 3, 4], 80, Protocol::Any));
        assert!(!ip4([11, 0, 0, 1], 80, Protocol::Tcp));
        assert!(
            !ip4([10, 1, 0, 1], 80, Protocol::Tcp),
            "deny overrides allow"
        );
        assert!(!ip4([10, 1, 255, 255], 443, Protocol::Tcp));
        assert!(ip4([10, 0, 255, 255], 443, Protocol::Tcp));
        // IPv4-mapped IPv6 counts as IPv4.
        let mut mapped = [0u8; 16];
        mapped[10] = 0xff;
        mapped[11] = 0xff;
        mapped[12..].copy_from_slice(&[10, 2, 3, 4]);
        assert!(a.net_allows(connect, NetFamily::Inet6, Protocol::Tcp, &mapped, 80, b""));
        mapped[12..].copy_from_slice(&[10, 1, 3, 4]);
        assert!(!a.net_allows(connect, NetFamily::Inet6, Protocol::Tcp, &mapped, 80, b""));
        // Another op of the same rule is not allowed.
        assert!(!a.net_allows(
            send,
            NetFamily::Inet,
            Protocol::Tcp,
            &v4([10, 2, 3, 4]),
            80,
            b""
        ));
        // Prefix 0 (any address), udp 5353 bind|listen.
        let bind = net_ops(&["bind"]);
        assert!(a.net_allows(
            bind,
            NetFamily::Inet,
            Protocol::Udp,
            &v4([192, 168, 1, 1]),
            5353,
            b""
        ));
        assert!(a.net_allows(
            bind | net_ops(&["listen"]),
            NetFamily::Inet,
            Protocol::Udp,
            &v4([0; 4]),
            5353,
            b""
        ));
        assert!(!a.net_allows(
            bind | connect,
            NetFamily::Inet,
            Protocol::Udp,
            &v4([0; 4]),
            5353,
            b""
        ));
        assert!(!a.net_allows(bind, NetFamily::Inet6, Protocol::Udp, &[0; 16], 5353, b""));
        // IPv6 2001:db8::/32 port 443, connect and send.
        let in6 = v6([0x2001, 0xdb8, 0xffff, 0, 0, 0, 0, 1]);
        assert!(a.net_allows(
            connect | send,
            NetFamily::Inet6,
            Protocol::Udp,
            &in6,
            443,
            b""
        ));
        assert!(!a.net_allows(connect, NetFamily::Inet6, Protocol::Tcp, &in6, 442, b""));
        let out6 = v6([0x2001, 0xdb9, 0, 0, 0, 0, 0, 1]);
        assert!(!a.net_allows(connect, NetFamily::Inet6, Protocol::Tcp, &out6, 443, b""));
        // Unix by path and abstract name.
        assert!(a.net_allows(
            connect,
            NetFamily::Unix,
            Protocol::Any,
            &[0; 16],
            0,
            b"/run/agent.sock"
        ));
        assert!(a.net_allows(
            connect,
            NetFamily::Unix,
            Protocol::Tcp,
            &[0; 16],
            0,
            b"@agent.bus1"
        ));
        assert!(!a.net_allows(
            connect,
            NetFamily::Unix,
            Protocol::Any,
            &[0; 16],
            0,
            b"/run/other.sock"
        ));
        assert!(!a.net_allows(connect, NetFamily::Unix, Protocol::Any, &[0; 16], 0, b""));
        // Empty request: allowed.
        assert!(a.net_allows(0, NetFamily::Unix, Protocol::Any, &[0; 16], 0, b"/x"));
        // tool: any Unix socket.
        let t = v.domain(3).unwrap();
        assert!(t.net_allows(
            connect | send,
            NetFamily::Unix,
            Protocol::Any,
            &[0; 16],
            0,
            b"/whatever"
        ));
        assert!(t.net_allows(connect, NetFamily::Unix, Protocol::Any, &[0; 16], 0, b"@x"));
        assert!(!t.net_allows(
            connect,
            NetFamily::Inet,
            Protocol::Tcp,
            &v4([127, 0, 0, 1]),
            80,
            b""
        ));
        assert!(!v.domain(2).unwrap().net_allows(
            connect,
            NetFamily::Unix,
            Protocol::Any,
            &[0; 16],
            0,
            b"/x"
        ));
    });
}

#[test]
fn cidr_boundaries() {
    let connect = net_ops(&["connect"]);
    for prefix in [0u8, 1, 7, 8, 9, 23, 31, 32] {
        let mask = if prefix == 0 {
            0
        } else {
            u32::MAX << (32 - prefix)
        };
        let base = 0xC0A8_1234u32 & mask;
        let rule = ip_rule(
            Decision::Allow,
            connect,
            NetFamily::Inet,
            Protocol::Any,
            v4(base.to_be_bytes()),
            prefix,
            (0, 65535),
        );
        let p = Policy {
            domains: vec![Domain {
                name: "d".into(),
                net: vec![rule],
                ..Domain::default()
            }],
            ..Policy::default()
        };
        with_view(&p, |v| {
            let d = v.domain(1).unwrap();
            let ask = |a: u32| {
                d.net_allows(
                    connect,
                    NetFamily::Inet,
                    Protocol::Tcp,
                    &v4(a.to_be_bytes()),
                    1,
                    b"",
                )
            };
            assert!(ask(base));
            assert!(ask(base | !mask));
            if prefix > 0 {
                assert!(!ask(base ^ (1 << (32 - prefix))), "prefix {prefix}");
            }
        });
    }
    for prefix in [0u8, 1, 63, 64, 65, 127, 128] {
        let base = u128::from_be_bytes(v6([
            0x2001, 0xdb8, 0x1234, 0x5678, 0x9abc, 0xdef0, 0x1111, 0x2222,
        ]));
        let mask = if prefix == 0 {
            0
        } else {
            u128::MAX << (128 - prefix)
        };
        let rule = ip_rule(
            Decision::Allow,
            connect,
            NetFamily::Inet6,
            Protocol::Tcp,
            (base & mask).to_be_bytes(),
            prefix,
            (10, 20),
        );
        let p = Policy {
            domains: vec![Domain {
                name: "d".into(),
                net: vec![rule],
                ..Domain::default()
            }],
            ..Policy::default()
        };
        with_view(&p, |v| {
            let d = v.domain(1).unwrap();
            let ask = |a: u128, port| {
                d.net_allows(
                    connect,
                    NetFamily::Inet6,
                    Protocol::Tcp,
                    &a.to_be_bytes(),
                    port,
                    b"",
                )
            };
            assert!(ask(base & mask, 10) && ask(base | !mask, 20));
            assert!(!ask(base, 9) && !ask(base, 21));
            if prefix > 0 {
                assert!(
                    !ask((base & mask) ^ (1 << (128 - prefix)), 15),
                    "prefix {prefix}"
                );
            }
        });
    }
}

#[test]
fn transitions_with_and_without_digest() {
    with_view(&sample_policy(), |v| {
        // Given ids tool 1, agent 2, jail 3 become agent 1, jail 2, tool 3.
        // From unconfined: /usr/bin/agent -> agent by default, -> tool with digest A.
        assert_eq!(v.transition(0, b"/usr/bin/agent", None), Some(1));
        assert_eq!(v.transition(0, b"/usr/bin/agent", Some(&DIGEST_A)), Some(3));
        assert_eq!(v.transition(0, b"/usr/bin/agent", Some(&DIGEST_B)), Some(1));
        // From agent: /usr/bin/tool -> tool by default, -> jail with digest B.
        assert_eq!(v.transition(1, b"/usr/bin/tool", None), Some(3));
        assert_eq!(v.transition(1, b"/usr/bin/tool", Some(&DIGEST_B)), Some(2));
        assert_eq!(v.transition(1, b"/usr/bin/tool", Some(&DIGEST_A)), Some(3));
        // Other domain, other exe: nothing.
        assert_eq!(v.transition(3, b"/usr/bin/tool", None), None);
        assert_eq!(v.transition(0, b"/usr/bin/tool", None), None);
        assert_eq!(v.transition(0, b"/usr/bin/agen", None), None);
        assert_eq!(v.transition(0, b"/usr/bin/agent2", None), None);
        let t = v.transition_rule(1).unwrap();
        assert_eq!(
            (t.from, t.exe, t.digest, t.to),
            (0, &b"/usr/bin/agent"[..], Some(DIGEST_A), 3)
        );
        assert!(v.transition_rule(4).is_none());
        // Pinned: some rule for (from, exe) has a digest; the same as a scan of the rules.
        for from in 0..4 {
            for exe in [
                &b"/usr/bin/agent"[..],
                b"/usr/bin/tool",
                b"/usr/bin/agen",
                b"/usr/bin/agent2",
                b"/",
                b"/zzz",
            ] {
                let scanned = (0..v.transition_count())
                    .filter_map(|i| v.transition_rule(i))
                    .any(|t| t.from == from && t.exe == exe && t.digest.is_some());
                assert_eq!(v.transition_pinned(from, exe), scanned, "{from} {exe:?}");
            }
        }
        assert!(
            v.transition_pinned(0, b"/usr/bin/agent") && v.transition_pinned(1, b"/usr/bin/tool")
        );
    });
    // A digest-only rule matches nothing without the digest.
    let exe_digest = sha256(b"#!/bin/sh\n");
    let p = Policy {
        domains: vec![Domain {
            name: "d".into(),
            ..Domain::default()
        }],
        transitions: vec![Transition {
            from: 0,
            exe: "/bin/x".into(),
            digest: Some(exe_digest),
            to: 1,
        }],
        ..Policy::default()
    };
    with_view(&p, |v| {
        assert!(v.transition_pinned(0, b"/bin/x") && !v.transition_pinned(1, b"/bin/x"));
        assert_eq!(v.transition(0, b"/bin/x", None), None);
        assert_eq!(v.transition(0, b"/bin/x", Some(&exe_digest)), Some(1));
        assert_eq!(v.transition(0, b"/bin/x", Some(&[0; 32])), None);
    });
}

#[test]
fn binary_search_over_many_rules() {
    let p = bench_policy(5000);
    let b = encode(&p).unwrap();
    let v = validate(&b).unwrap();
    let mut canonical = p.clone();
    canonical.canonicalize();
    oracle::check_queries(&v, &canonical).unwrap();
    for i in (0..1000).step_by(37) {
        let t = v
            .type_id_by_name(format!("type_{i:04}").as_bytes())
            .unwrap();
        assert_eq!(
            v.type_for_path(format!("/srv/data/t{i}/file").as_bytes()),
            t
        );
        assert_eq!(
            v.type_for_path(format!("/srv/data/t{i}/other/x").as_bytes()),
            t
        );
        assert_eq!(v.type_for_path(format!("/srv/data/t{i}").as_bytes()), t);
    }
    for d in 0..50 {
        let id = v
            .domain_id_by_name(format!("domain_{d:05}").as_bytes())
            .unwrap();
        let dv = v.domain(id).unwrap();
        let domain = &canonical.domains[(id - 1) as usize];
        for f in &domain.files {
            let allowed = oracle::reference::file_allows(domain, f.type_id, f.perms);
            assert_eq!(dv.file_allows(f.type_id, f.perms), allowed);
        }
        assert_eq!(
            v.transition(0, format!("/usr/bin/prog{d}").as_bytes(), None),
            Some(id)
        );
    }
}

#[test]
fn reserved_names_below_a_directory() {
    // Protected: etc (prefix /etc, exact /etc/passwd, glob /var/log/*.log), secret
    // (exact /etc/shadow, glob /home/*/.ssh/**, prefix /etc/ssl/private). Transitions:
    // /usr/bin/agent, /usr/bin/tool. Prefix /home/user (home) covers /home/user/.ssh, so
    // the glob of `secret` types nothing there.
    use tcp_lsm_engine::format::Reserved::{Protected, Transition};
    with_view(&sample_policy(), |v| {
        for (dir, want) in [
            ("/", Some(Protected)),
            ("/etc/ssl", Some(Protected)),
            ("/etc/ssl/private", None),
            ("/etc/passwd", None),
            ("/et", None),
            ("/usr", Some(Transition)),
            ("/usr/bin", Some(Transition)),
            ("/usr/bin/agent", None),
            ("/usr/bi", None),
            ("/home", Some(Protected)),
            ("/home/other", Some(Protected)),
            ("/home/other/project", None),
            ("/home/user", None),
            ("/var", Some(Protected)),
            ("/var/log", Some(Protected)),
            ("/var/lib", None),
            ("/tmp", None),
        ] {
            assert_eq!(v.reserved_below(dir.as_bytes()), want, "{dir}");
        }
        let mut named = Vec::new();
        let globs = v.reserved_paths(|p| named.push(String::from_utf8(p.to_vec()).unwrap()));
        assert!(globs);
        named.sort();
        named.dedup();
        assert_eq!(
            named,
            [
                "/etc",
                "/etc/passwd",
                "/etc/shadow",
                "/etc/ssl/private",
                "/usr/bin/agent",
                "/usr/bin/tool"
            ]
        );
    });
}

#[test]
fn protected_objects_and_what_inherits_their_protection() {
    with_view(&sample_policy(), |v| {
        let mut objects = Vec::new();
        v.protected_objects(|t, p| objects.push((t, String::from_utf8(p.to_vec()).unwrap())));
        objects.sort();
        let want = [
            (ETC, "/etc"),
            (ETC, "/etc/passwd"),
            (SECRET, "/etc/shadow"),
            (SECRET, "/etc/ssl/private"),
        ];
        assert_eq!(objects, want.map(|(t, p)| (t, p.to_owned())));
        // Everything below /etc/ssl/private is secret; below /etc some names are secret,
        // below /etc/shadow (an exact rule) things would be etc, below /usr unnamed.
        assert!(v.uniform_below(b"/etc/ssl/private", SECRET));
        assert!(v.uniform_below(b"/etc/ssl/private/keys", SECRET));
        assert!(!v.uniform_below(b"/etc", ETC));
        assert!(!v.uniform_below(b"/etc/shadow", SECRET));
        assert!(v.uniform_below(b"/etc/shadow", ETC));
        assert!(!v.uniform_below(b"/usr", BIN));
        assert!(!v.uniform_below(b"/etc/ssl/private", 0));
    });
}

#[test]
fn protected_objects_below_a_directory() {
    with_view(&sample_policy(), |v| {
        let below = |dir: &str| {
            let mut found = Vec::new();
            v.protected_objects_below(dir.as_bytes(), |t, p| {
                found.push((t, String::from_utf8_lossy(p).into_owned()))
            });
            found
        };
        let mut all = Vec::new();
        v.protected_objects(|t, p| all.push((t, String::from_utf8_lossy(p).into_owned())));
        assert!(!all.is_empty());
        // Everything is below `/`; nothing is below a protected rule's own path unless
        // another rule names something deeper; never what is merely a sibling.
        assert_eq!(below("/"), all);
        for (t, p) in &all {
            let parent = p
                .rsplit_once('/')
                .map_or("/", |(d, _)| if d.is_empty() { "/" } else { d });
            assert!(
                below(parent).contains(&(*t, p.clone())),
                "{p} below {parent}"
            );
            assert!(
                !below(p).contains(&(*t, p.clone())),
                "{p} is not below itself"
            );
            assert!(!below(&format!("{p}x")).contains(&(*t, p.clone())));
        }
    });
}

#[test]
fn the_one_type_below_a_directory_decides_names_too_long_to_build() {
    with_view(&sample_policy(), |v| {
        // A prefix rule with nothing else below it: its type.
        assert_eq!(v.type_below(b"/etc/ssl/private"), Some(SECRET));
        assert_eq!(v.type_below(b"/etc/ssl/private/keys/deep"), Some(SECRET));
        assert_eq!(v.type_below(b"/tmp/a/b"), Some(TMP));
        // Different types below: no one answer (the kernel refuses such objects).
        assert_eq!(v.type_below(b"/etc"), None);
        assert_eq!(v.type_below(b"/usr"), None);
        assert_eq!(v.type_below(b"/home/other"), None);
        // Nothing names anything below: no type, as for any unnamed object.
        assert_eq!(v.type_below(b"/srv/nothing/here"), Some(0));
        // Agrees with uniform_below wherever that holds.
        for dir in ["/etc/ssl/private", "/tmp", "/etc/shadow"] {
            let t = v.type_below(dir.as_bytes()).unwrap();
            assert!(v.uniform_below(dir.as_bytes(), t), "{dir}");
        }
    });
}

#[test]
fn types_that_objects_below_a_directory_may_have() {
    with_view(&sample_policy(), |v| {
        let types = |dir: &str| {
            let mut t = Vec::new();
            assert!(v.types_below(dir.as_bytes(), |id| {
                t.push(id);
                true
            }));
            t.sort_unstable();
            t.dedup();
            t
        };
        // Nothing covers /usr: unnamed objects below it have no type; /usr/bin is named.
        assert_eq!(types("/usr"), [0, BIN]);
        assert_eq!(types("/usr/bin/x"), [BIN]);
        // /tmp/** types everything below /tmp.
        assert_eq!(types("/tmp"), [TMP]);
        assert_eq!(types("/tmp/a/b"), [TMP]);
        assert_eq!(types("/etc"), [ETC, SECRET]);
        assert_eq!(types("/etc/ssl/private"), [SECRET]);
        assert_eq!(types("/home/other"), [0, SECRET]);
        assert_eq!(types("/home/user/project"), [HOME]);
        // Stops when asked to.
        let mut calls = 0;
        assert!(!v.types_below(b"/etc", |_| {
            calls += 1;
            false
        }));
        assert_eq!(calls, 1);
    });
}

#[test]
fn globs_that_may_match_below_a_directory() {
    use tcp_lsm_engine::format::glob_may_match_below as below;
    assert!(below(b"/home/*/.ssh/**", b"/home"));
    assert!(below(b"/home/*/.ssh/**", b"/home/u"));
    assert!(below(b"/home/*/.ssh/**", b"/home/u/.ssh"));
    assert!(below(b"/home/*/.ssh/**", b"/home/u/.ssh/a/b"));
    assert!(!below(b"/home/*/.ssh/**", b"/home/u/src"));
    assert!(!below(b"/home/*/.ssh/**", b"/var"));
    assert!(below(b"/var/log/*.log", b"/var/log"));
    assert!(!below(b"/var/log/*.log", b"/var/log/a.log"));
    assert!(below(b"/**", b"/"));
    assert!(below(b"/a?c/x", b"/abc"));
    assert!(!below(b"/a?c/x", b"/a/c"));
    assert!(!below(&[b'/'; 2000], b"/"));
}

#[test]
fn socket_creation_by_allow_and_deny_rules() {
    use tcp_lsm_engine::model::{NetFamily, Protocol};
    // agent: connect inet tcp and inet6 any, unix connect; no create rule at all.
    with_view(&sample_policy(), |v| {
        let agent = v.domain(1).unwrap();
        assert!(!agent.net_create_allows(NetFamily::Inet, Protocol::Tcp));
    });
    let rule = |decision, family, protocol| NetRule {
        decision,
        ops: net_ops(&["create"]),
        family,
        protocol,
        addr: [0; 16],
        prefix_len: 0,
        port_lo: 0,
        port_hi: if family == NetFamily::Unix { 0 } else { 65535 },
        unix_path: String::new(),
    };
    let mut p = Policy {
        domains: vec![Domain {
            name: "d".into(),
            net: vec![
                rule(Decision::Allow, NetFamily::Inet, Protocol::Any),
                rule(Decision::Allow, NetFamily::Unix, Protocol::Any),
                rule(Decision::Deny, NetFamily::Inet, Protocol::Udp),
            ],
            ..Domain::default()
        }],
        ..Policy::default()
    };
    p.canonicalize();
    with_view(&p, |v| {
        let d = v.domain(1).unwrap();
        assert!(d.net_create_allows(NetFamily::Inet, Protocol::Tcp));
        assert!(
            !d.net_create_allows(NetFamily::Inet, Protocol::Udp),
            "a deny rule wins"
        );
        assert!(d.net_create_allows(NetFamily::Unix, Protocol::Tcp));
        assert!(!d.net_create_allows(NetFamily::Inet6, Protocol::Tcp));
    });
}

#[test]
fn internal_object_kinds_have_one_reserved_builtin_type_each() {
    use tcp_lsm_engine::perm::{Internal, INTERNAL_PREFIX};
    let mut names: Vec<&str> = Internal::ALL.iter().map(|k| k.type_name()).collect();
    for (i, kind) in Internal::ALL.iter().enumerate() {
        // Encoding order is the discriminant order (the kernel indexes by it).
        assert_eq!(*kind as usize, i);
        assert!(kind.type_name().starts_with(INTERNAL_PREFIX));
        assert_eq!(Internal::from_type_name(kind.type_name()), Some(*kind));
    }
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), Internal::ALL.len());
    assert_eq!(Internal::from_type_name("internal.nope"), None);
    // The names the kernel's creators give anonymous inodes (fs/eventfd.c, fs/eventpoll.c,
    // fs/timerfd.c, fs/signalfd.c, fs/notify/inotify, io_uring, fs/userfaultfd.c).
    assert_eq!(Internal::of_anon_name(b"[eventfd]"), Internal::Eventfd);
    assert_eq!(Internal::of_anon_name(b"[eventpoll]"), Internal::Epoll);
    assert_eq!(Internal::of_anon_name(b"[timerfd]"), Internal::Timerfd);
    assert_eq!(Internal::of_anon_name(b"[signalfd]"), Internal::Signalfd);
    assert_eq!(Internal::of_anon_name(b"inotify"), Internal::Inotify);
    assert_eq!(Internal::of_anon_name(b"[io_uring]"), Internal::IoUring);
    assert_eq!(
        Internal::of_anon_name(b"[userfaultfd]"),
        Internal::Userfaultfd
    );
    assert_eq!(Internal::of_anon_name(b"[perf_event]"), Internal::Other);
    assert_eq!(Internal::of_anon_name(b"bpf-map"), Internal::Other);
    // What every domain holds on them: never execution, never a structural change.
    use tcp_lsm_engine::perm::bits::file::{EXECUTE, INTERNAL_DEFAULT, PROTECTED_NEVER};
    assert_eq!(INTERNAL_DEFAULT & (EXECUTE | PROTECTED_NEVER), 0);
}

#[test]
fn permissions_on_objects_that_no_name_reached() {
    use tcp_lsm_engine::perm::{bits::file::PROTECTED_NEVER, FILE_PERMS_MASK};
    // The sample leaves objects unnamed (type 0, which no domain is granted anything on).
    with_view(&sample_policy(), |v| {
        let mut types = Vec::new();
        assert!(v.possible_types(|t| {
            types.push(t);
            true
        }));
        types.sort_unstable();
        types.dedup();
        assert_eq!(types, [0, BIN, ETC, HOME, SECRET, TMP]);
        for id in 1..=3 {
            assert_eq!(
                v.file_perms_anywhere(&v.domain(id).unwrap()),
                0,
                "domain {id}"
            );
        }
    });
    // Everything named: a domain granted everything on every type may do anything but
    // the structural changes a protected type never allows; one type short, nothing of
    // what that type lacks; a deny rule anywhere takes its permissions away.
    let all = FILE_PERMS_MASK;
    let read = file_perms(&["read", "getattr"]);
    let domain = |name: &str, files: Vec<FileRule>| Domain {
        name: name.into(),
        files,
        ..Domain::default()
    };
    let allow = |type_id, perms| FileRule {
        type_id,
        decision: Decision::Allow,
        perms,
    };
    let deny = |type_id, perms| FileRule {
        type_id,
        decision: Decision::Deny,
        perms,
    };
    let policy = Policy {
        types: vec![
            ObjectType {
                name: "everything".into(),
                protected: false,
            },
            ObjectType {
                name: "keys".into(),
                protected: true,
            },
        ],
        paths: vec![
            path("/", PathMatch::Prefix, 1),
            path("/root/.ssh", PathMatch::Prefix, 2),
        ],
        domains: vec![
            domain("a", vec![allow(1, all), allow(2, all)]),
            domain("b", vec![allow(1, all), allow(2, read)]),
            domain(
                "c",
                vec![
                    allow(1, all),
                    allow(2, all),
                    deny(2, file_perms(&["xattr"])),
                ],
            ),
            domain("d", vec![allow(1, all)]),
        ],
        ..Policy::default()
    };
    with_view(&policy, |v| {
        let anywhere = |id| v.file_perms_anywhere(&v.domain(id).unwrap());
        assert_eq!(anywhere(1), all & !PROTECTED_NEVER);
        assert_eq!(anywhere(2), read);
        assert_eq!(
            anywhere(3),
            all & !PROTECTED_NEVER & !file_perms(&["xattr"])
        );
        assert_eq!(anywhere(4), 0);
    });
}
