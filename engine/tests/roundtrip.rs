//! Property tests: random policies encode, decode to their canonical form, re-encode to
//! the same bytes, and answer queries as the naive reference does; the glob matcher
//! agrees with a dynamic-programming matcher.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::field_reassign_with_default,
    missing_docs
)]

mod common;

use std::collections::BTreeMap;

use common::oracle::{check_blob_invariants, check_queries, reference};
use proptest::prelude::*;
use tcp_lsm_engine::encode::{decode, encode};
use tcp_lsm_engine::format::{glob_match, validate};
use tcp_lsm_engine::mode::Mode;
use tcp_lsm_engine::model::*;
use tcp_lsm_engine::perm;

fn name() -> impl Strategy<Value = String> {
    "[A-Za-z_][A-Za-z0-9_.-]{0,8}"
}

fn names(max: usize) -> impl Strategy<Value = Vec<String>> {
    prop::collection::btree_set(name(), 0..max)
        .prop_map(|s| s.into_iter().collect::<Vec<_>>())
        .prop_shuffle()
}

fn component() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["a", "b", "ab", "etc", "x.c", "é"]).prop_map(String::from)
}

fn plain_path() -> impl Strategy<Value = String> {
    prop::collection::vec(component(), 0..4).prop_map(|c| format!("/{}", c.join("/")))
}

fn glob_path() -> impl Strategy<Value = String> {
    let comp = prop::sample::select(vec!["a", "b", "*", "**", "a*", "*.c", "?", "a?b", "**b"]);
    prop::collection::vec(comp, 1..4).prop_map(|c| format!("/{}", c.join("/")))
}

fn mode() -> impl Strategy<Value = Option<Mode>> {
    prop::option::of(prop::sample::select(Mode::ALL.to_vec()))
}

fn decision() -> impl Strategy<Value = Decision> {
    prop::sample::select(vec![Decision::Allow, Decision::Deny])
}

fn net_rule() -> impl Strategy<Value = NetRule> {
    let ops = 0..=perm::NET_OPS_MASK;
    let proto = prop::sample::select(vec![Protocol::Any, Protocol::Tcp, Protocol::Udp]);
    let ip = (
        decision(),
        ops.clone(),
        any::<bool>(),
        proto,
        any::<[u8; 16]>(),
        0u8..=128,
        any::<u16>(),
        any::<u16>(),
    )
        .prop_map(|(decision, ops, inet, protocol, mut addr, prefix, a, b)| {
            let (family, prefix_len) = if inet {
                (NetFamily::Inet, prefix % 33)
            } else {
                (NetFamily::Inet6, prefix)
            };
            if inet {
                addr[4..].fill(0);
            }
            let host = u128::MAX.checked_shr(u32::from(prefix_len)).unwrap_or(0);
            addr = (u128::from_be_bytes(addr) & !host).to_be_bytes();
            NetRule {
                decision,
                ops,
                family,
                protocol,
                addr,
                prefix_len,
                port_lo: a.min(b),
                port_hi: a.max(b),
                unix_path: String::new(),
            }
        });
    let unix = (
        decision(),
        ops,
        prop::sample::select(vec!["", "/run/a.sock", "@bus", "/tmp/x"]),
    )
        .prop_map(|(decision, ops, path)| NetRule {
            decision,
            ops,
            family: NetFamily::Unix,
            protocol: Protocol::Any,
            addr: [0; 16],
            prefix_len: 0,
            port_lo: 0,
            port_hi: 0,
            unix_path: path.into(),
        });
    prop_oneof![3 => ip, 1 => unix]
}

fn behaviour(domains: u32) -> impl Strategy<Value = Option<Behaviour>> {
    prop::option::of(
        (
            1u32..=1_000_000,
            1u32..=3_600_000,
            any::<u32>(),
            0..=domains,
        )
            .prop_map(move |(t, w, m, q)| Behaviour {
                anomaly_threshold: t,
                window_ms: w,
                max_ops: m,
                response: if q == 0 {
                    Response::Audit
                } else {
                    Response::Quarantine(q)
                },
            }),
    )
}

fn domain(name: String, types: u32, domains: u32) -> impl Strategy<Value = Domain> {
    let files = if types == 0 {
        Just(Vec::new()).boxed()
    } else {
        prop::collection::vec((1..=types, decision(), 0..=perm::FILE_PERMS_MASK), 0..6)
            .prop_map(|v| {
                v.into_iter()
                    .map(|(type_id, decision, perms)| FileRule {
                        type_id,
                        decision,
                        perms,
                    })
                    .collect()
            })
            .boxed()
    };
    (
        mode(),
        0..=perm::CAPABILITIES_MASK,
        (
            0..=perm::SCOPES_MASK,
            0..=perm::SCOPES_MASK,
            0..=perm::IPC_PERMS_MASK,
            0..=perm::SYSTEM_OPS_MASK,
            0..=perm::PROCESS_OPS_MASK,
        ),
        files,
        prop::collection::vec(net_rule(), 0..5),
        behaviour(domains),
    )
        .prop_map(
            move |(
                mode,
                capabilities,
                (signal, ptrace, ipc, system, process),
                files,
                net,
                behaviour,
            )| Domain {
                name: name.clone(),
                mode,
                capabilities,
                signal,
                ptrace,
                ipc,
                system,
                process,
                files,
                net,
                behaviour,
            },
        )
}

fn policy() -> impl Strategy<Value = Policy> {
    (names(6), names(5)).prop_flat_map(|(type_names, domain_names)| {
        let nt = type_names.len() as u32;
        let nd = domain_names.len() as u32;
        let types: Vec<ObjectType> = type_names
            .iter()
            .enumerate()
            .map(|(i, n)| ObjectType {
                name: n.clone(),
                protected: i % 3 == 0,
            })
            .collect();
        let paths = if nt == 0 {
            Just(Vec::new()).boxed()
        } else {
            let kind_path = prop_oneof![
                plain_path().prop_map(|p| (PathMatch::Exact, p)),
                plain_path().prop_map(|p| (PathMatch::Prefix, p)),
                glob_path().prop_map(|p| (PathMatch::Glob, p)),
            ];
            prop::collection::vec((kind_path, 1..=nt), 0..10)
                .prop_map(|v| {
                    // One type per (kind, pattern): the format refuses conflicting rules.
                    let map: BTreeMap<(PathMatch, String), u32> = v.into_iter().collect();
                    map.into_iter()
                        .map(|((kind, pattern), type_id)| PathRule {
                            pattern,
                            kind,
                            type_id,
                        })
                        .collect::<Vec<_>>()
                })
                .prop_shuffle()
                .boxed()
        };
        let domains: Vec<_> = domain_names
            .iter()
            .map(|n| domain(n.clone(), nt, nd))
            .collect();
        let transitions = if nd == 0 {
            Just(Vec::new()).boxed()
        } else {
            let exe = prop::sample::select(vec!["/usr/bin/a", "/usr/bin/b", "/bin/sh"]);
            let digest = prop::option::of(prop::sample::select(vec![[1u8; 32], [2u8; 32]]));
            prop::collection::vec((0..=nd, exe, digest, 1..=nd), 0..8)
                .prop_map(|v| {
                    let map: BTreeMap<(u32, &str, Option<[u8; 32]>), u32> =
                        v.into_iter().map(|(f, e, d, t)| ((f, e, d), t)).collect();
                    map.into_iter()
                        .map(|((from, exe, digest), to)| Transition {
                            from,
                            exe: exe.into(),
                            digest,
                            to,
                        })
                        .collect::<Vec<_>>()
                })
                .prop_shuffle()
                .boxed()
        };
        let settings = (mode(), prop::option::of((1u32..=86_400_000, any::<bool>()))).prop_map(
            |(mode, hb)| Settings {
                mode,
                heartbeat: hb.map(|(timeout_ms, all)| Heartbeat {
                    timeout_ms,
                    action: if all {
                        HeartbeatAction::DenyAll
                    } else {
                        HeartbeatAction::DenyNetwork
                    },
                }),
            },
        );
        (settings, Just(types), paths, domains, transitions).prop_map(
            |(settings, types, paths, domains, transitions)| Policy {
                settings,
                types,
                paths,
                domains,
                transitions,
            },
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn policy_round_trips(p in policy()) {
        let blob = encode(&p).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut canonical = p.clone();
        canonical.canonicalize();
        let decoded = decode(&blob).unwrap();
        prop_assert_eq!(&decoded, &canonical);
        prop_assert_eq!(encode(&decoded).unwrap(), blob.clone());
        // Canonical input encodes to the same bytes.
        prop_assert_eq!(encode(&canonical).unwrap(), blob.clone());
        let view = validate(&blob).unwrap();
        check_queries(&view, &canonical).map_err(TestCaseError::fail)?;
        check_blob_invariants(&blob).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn rule_order_does_not_change_the_bytes(p in policy()) {
        let blob = encode(&p).unwrap();
        let mut q = p.clone();
        q.paths.reverse();
        q.transitions.reverse();
        for d in &mut q.domains {
            d.files.reverse();
            d.net.reverse();
        }
        prop_assert_eq!(encode(&q).unwrap(), blob);
    }

    #[test]
    fn resealed_corruptions_never_break_invariants(p in policy(), edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
        let mut blob = encode(&p).unwrap();
        for (i, v) in edits {
            let at = 64 + i.index(blob.len() - 64);
            blob[at] = v;
        }
        common::reseal(&mut blob);
        check_blob_invariants(&blob).map_err(TestCaseError::fail)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn glob_matches_reference(pattern in "[ab/*?]{0,12}", text in "[ab/]{0,14}") {
        prop_assert_eq!(
            glob_match(pattern.as_bytes(), text.as_bytes()),
            reference::glob_match(pattern.as_bytes(), text.as_bytes()),
            "pattern {:?} text {:?}", pattern, text
        );
    }

    #[test]
    fn long_glob_matches_reference(pattern in "[a/*?]{60,140}", text in "[ab/]{0,200}") {
        // Patterns across the 64-bit word boundaries of the matcher's state.
        prop_assert_eq!(
            glob_match(pattern.as_bytes(), text.as_bytes()),
            reference::glob_match(pattern.as_bytes(), text.as_bytes())
        );
        // A text built from the pattern matches it.
        let built: String = pattern.replace("**", "/x/").replace('*', "y").replace('?', "q");
        prop_assert!(glob_match(pattern.as_bytes(), built.as_bytes()), "{:?} {:?}", pattern, built);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// The kernel's index (the lengths of the exact and prefix patterns) only saves
    /// searches: the type of every path is the one `type_for_path` gives.
    #[test]
    fn type_lookup_with_a_pattern_length_index_gives_the_same_type(p in policy(), tails in prop::collection::vec("[a-c/]{0,6}", 1..6)) {
        use std::collections::HashSet;
        use tcp_lsm_engine::types::PathMatch;
        let blob = encode(&p).unwrap();
        let view = validate(&blob).unwrap();
        let lengths = |kind: PathMatch| -> HashSet<usize> {
            p.paths.iter().filter(|r| r.kind == kind).map(|r| r.pattern.len()).collect()
        };
        let (exact, prefix) = (lengths(PathMatch::Exact), lengths(PathMatch::Prefix));
        let index = |kind: PathMatch, pattern: &[u8]| match kind {
            PathMatch::Exact => exact.contains(&pattern.len()),
            PathMatch::Prefix => prefix.contains(&pattern.len()),
            PathMatch::Glob => true,
        };
        let mut probes: Vec<String> = vec!["/".into()];
        for r in &p.paths {
            for t in &tails {
                probes.push(format!("{}{}", r.pattern, t));
                probes.push(format!("{}/{}", r.pattern, t));
            }
            probes.push(r.pattern.rsplit_once('/').map_or("/".to_owned(), |(d, _)| d.to_owned()));
        }
        for path in &probes {
            let b = path.as_bytes();
            prop_assert_eq!(view.type_for_path_where(b, index), view.type_for_path(b), "{}", path);
            prop_assert_eq!(view.prefix_type_where(b, index), view.prefix_type(b), "{}", path);
        }
    }
}
