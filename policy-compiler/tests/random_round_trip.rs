//! Property test without extra crates: random valid policy models (every field, awkward
//! paths that need quoting) must survive decompile -> compile unchanged, and encode ->
//! decode too. A fixed-seed xorshift generator keeps runs reproducible.

use std::collections::{BTreeMap, BTreeSet};

use tcp_lsm_engine::mode::Mode;
use tcp_lsm_engine::model::{
    Behaviour, Decision, Domain, FileRule, Heartbeat, HeartbeatAction, NetFamily, NetRule,
    ObjectType, PathMatch, PathRule, Policy, Protocol, Response, Settings, Transition,
};
use tcp_lsm_engine::perm::all_bits;
use tcp_policy_compiler::{compile_source, decode_policy, decompile, encode_policy};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n.max(1)).unwrap_or(1)).unwrap_or(0)
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items.get(self.below(items.len())).copied().unwrap_or("x")
    }
    fn choose<T: Copy>(&mut self, items: &[T], fallback: T) -> T {
        items
            .get(self.below(items.len()))
            .copied()
            .unwrap_or(fallback)
    }
    fn u32_in(&mut self, lo: u32, hi: u32) -> u32 {
        lo + u32::try_from(self.next() % u64::from(hi - lo + 1)).unwrap_or(0)
    }
    fn bits(&mut self, count: usize) -> u64 {
        self.next() & all_bits(count)
    }
    fn nonzero_bits(&mut self, count: usize) -> u64 {
        loop {
            let b = self.bits(count);
            if b != 0 {
                return b;
            }
        }
    }
}

const NAMES: &[&str] = &[
    "a", "b_1", "x.y", "T-2", "zz", "_u", "agent", "build.v2", "Q",
];
const COMPONENTS: &[&str] = &[
    "usr", "bin", "a b", "é", "x;y", "q\"t", "h#sh", "a->b", "t\tab", "{c}", "x,y", "'s",
];
const GLOB_COMPONENTS: &[&str] = &["*", "**", "*.rs", "?x", "lib*", "a b*"];
const MODES: [Mode; 3] = [Mode::Monitor, Mode::Alert, Mode::Enforce];

fn path(rng: &mut Rng, glob: bool) -> String {
    let depth = 1 + rng.below(4);
    let mut p = String::new();
    for _ in 0..depth {
        p.push('/');
        if glob && rng.chance(40) {
            p.push_str(rng.pick(GLOB_COMPONENTS));
        } else {
            p.push_str(rng.pick(COMPONENTS));
        }
    }
    p
}

fn unique_names(rng: &mut Rng, max: usize) -> Vec<String> {
    let n = rng.below(max + 1);
    let set: BTreeSet<String> = (0..n).map(|_| rng.pick(NAMES).to_string()).collect();
    set.into_iter().collect()
}

fn net_rule(rng: &mut Rng) -> NetRule {
    let decision = if rng.chance(80) {
        Decision::Allow
    } else {
        Decision::Deny
    };
    let ops = u32::try_from(rng.nonzero_bits(6)).unwrap_or(1);
    let mut rule = NetRule {
        decision,
        ops,
        family: NetFamily::Unix,
        protocol: Protocol::Any,
        addr: [0; 16],
        prefix_len: 0,
        port_lo: 0,
        port_hi: 0,
        unix_path: String::new(),
    };
    match rng.below(3) {
        0 => {
            rule.unix_path = rng
                .pick(&["", "/run/x.sock", "@abstract", "/a b/c", "@with space"])
                .to_string();
        }
        fam => {
            rule.family = if fam == 1 {
                NetFamily::Inet
            } else {
                NetFamily::Inet6
            };
            rule.protocol = rng.choose(
                &[Protocol::Any, Protocol::Tcp, Protocol::Udp],
                Protocol::Any,
            );
            let max = if fam == 1 { 32 } else { 128 };
            rule.prefix_len = u8::try_from(rng.below(max + 1)).unwrap_or(0);
            let mut addr = [0u8; 16];
            let len = if fam == 1 { 4 } else { 16 };
            for b in addr.iter_mut().take(len) {
                *b = u8::try_from(rng.below(256)).unwrap_or(0);
            }
            if fam == 2 {
                addr[0] = 0x20; // never an IPv4-mapped address
            }
            rule.addr = mask(addr, rule.prefix_len);
            let a = u16::try_from(rng.below(65_536)).unwrap_or(0);
            let b = u16::try_from(rng.below(65_536)).unwrap_or(0);
            (rule.port_lo, rule.port_hi) = match rng.below(3) {
                0 => (0, 65_535),
                1 => (a, a),
                _ => (a.min(b), a.max(b)),
            };
        }
    }
    rule
}

fn mask(mut addr: [u8; 16], prefix: u8) -> [u8; 16] {
    for (i, byte) in addr.iter_mut().enumerate() {
        let keep = usize::from(prefix).saturating_sub(i * 8).min(8);
        *byte &= if keep == 0 { 0 } else { 0xffu8 << (8 - keep) };
    }
    addr
}

fn random_policy(rng: &mut Rng) -> Policy {
    let type_names = unique_names(rng, 5);
    let domain_names = unique_names(rng, 4);
    let types: Vec<ObjectType> = type_names
        .iter()
        .map(|n| ObjectType {
            name: n.clone(),
            protected: rng.chance(30),
        })
        .collect();
    let mut paths = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, _) in types.iter().enumerate() {
        for _ in 0..rng.below(4) {
            let kind = rng.choose(
                &[PathMatch::Exact, PathMatch::Prefix, PathMatch::Glob],
                PathMatch::Exact,
            );
            let pattern = path(rng, kind == PathMatch::Glob);
            if seen.insert((kind, pattern.clone())) {
                paths.push(PathRule {
                    pattern,
                    kind,
                    type_id: u32::try_from(i + 1).unwrap_or(1),
                });
            }
        }
    }
    let n_domains = domain_names.len();
    let mut domains = Vec::new();
    for (i, name) in domain_names.iter().enumerate() {
        let mut files = Vec::new();
        for t in 0..types.len() {
            for decision in [Decision::Allow, Decision::Deny] {
                if rng.chance(40) {
                    let perms = u32::try_from(rng.nonzero_bits(20)).unwrap_or(1);
                    files.push(FileRule {
                        type_id: u32::try_from(t + 1).unwrap_or(1),
                        decision,
                        perms,
                    });
                }
            }
        }
        let mut net: BTreeMap<_, NetRule> = BTreeMap::new();
        for _ in 0..rng.below(5) {
            let r = net_rule(rng);
            let key = (
                r.decision,
                r.family,
                r.protocol,
                r.addr,
                r.prefix_len,
                r.port_lo,
                r.port_hi,
                r.unix_path.clone(),
            );
            net.entry(key).and_modify(|e| e.ops |= r.ops).or_insert(r);
        }
        let behaviour = if rng.chance(50) {
            let others: Vec<usize> = (0..n_domains).filter(|&j| j != i).collect();
            let response = if !others.is_empty() && rng.chance(50) {
                let q = others.get(rng.below(others.len())).copied().unwrap_or(0);
                Response::Quarantine(u32::try_from(q + 1).unwrap_or(1))
            } else {
                Response::Audit
            };
            Some(Behaviour {
                anomaly_threshold: rng.u32_in(1, 1_000_000),
                window_ms: rng.u32_in(1, 3_600_000),
                max_ops: if rng.chance(50) {
                    0
                } else {
                    rng.u32_in(0, u32::MAX - 1)
                },
                response,
            })
        } else {
            None
        };
        domains.push(Domain {
            name: name.clone(),
            mode: if rng.chance(50) {
                Some(rng.choose(&MODES, Mode::Enforce))
            } else {
                None
            },
            capabilities: rng.bits(41),
            signal: u32::try_from(rng.bits(2)).unwrap_or(0),
            ptrace: u32::try_from(rng.bits(2)).unwrap_or(0),
            ipc: u32::try_from(rng.bits(3)).unwrap_or(0),
            system: u32::try_from(rng.bits(10)).unwrap_or(0),
            process: u32::try_from(rng.bits(9)).unwrap_or(0),
            files,
            net: net.into_values().collect(),
            behaviour,
        });
    }
    let mut transitions = Vec::new();
    let mut seen_t = BTreeSet::new();
    if n_domains > 0 {
        for _ in 0..rng.below(5) {
            let from = u32::try_from(rng.below(n_domains + 1)).unwrap_or(0);
            let to = u32::try_from(1 + rng.below(n_domains)).unwrap_or(1);
            let exe = path(rng, false);
            // Transitions out of a domain are pinned: the compiler refuses an unpinned
            // one whose executable the domain could plant, which random rules often
            // allow (fixtures cover the unpinned ones it accepts).
            let digest = if from != 0 || rng.chance(50) {
                let mut d = [0u8; 32];
                for b in &mut d {
                    *b = u8::try_from(rng.below(256)).unwrap_or(0);
                }
                Some(d)
            } else {
                None
            };
            if seen_t.insert((from, exe.clone(), digest)) {
                transitions.push(Transition {
                    from,
                    exe,
                    digest,
                    to,
                });
            }
        }
    }
    let settings = Settings {
        mode: if rng.chance(50) {
            Some(rng.choose(&MODES, Mode::Enforce))
        } else {
            None
        },
        heartbeat: if rng.chance(50) {
            Some(Heartbeat {
                timeout_ms: rng.u32_in(1, 86_400_000),
                action: if rng.chance(50) {
                    HeartbeatAction::DenyNetwork
                } else {
                    HeartbeatAction::DenyAll
                },
            })
        } else {
            None
        },
    };
    let mut policy = Policy {
        settings,
        types,
        paths,
        domains,
        transitions,
    };
    policy.canonicalize();
    policy
}

#[test]
fn random_policies_survive_decompile_and_compile() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for i in 0..400 {
        let policy = random_policy(&mut rng);
        let text = decompile(&policy);
        let again = compile_source("random", &text).unwrap_or_else(|e| {
            panic!(
                "case {i}: decompiled text does not compile:\n{}",
                tcp_policy_compiler::render_diagnostics("random", &text, &e)
            )
        });
        assert_eq!(again, policy, "case {i}:\n{text}");
        let bytes =
            encode_policy(&policy).unwrap_or_else(|d| panic!("case {i}: {}\n{text}", d.message));
        let decoded = decode_policy(&bytes).unwrap_or_else(|e| panic!("case {i}: {e}\n{text}"));
        assert_eq!(decoded, policy, "case {i}: decode(encode(p)) != p\n{text}");
    }
}
