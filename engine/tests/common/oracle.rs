//! The oracle of the engine's property tests and of the `policy_blob` fuzz target: the
//! invariants every input must satisfy ([`check_blob_invariants`]), the comparison of the
//! zero-copy queries with naive semantics ([`check_queries`]) and those semantics
//! ([`reference`]). Test-side only: the tests reach it as `common::oracle`, the fuzz
//! target (`engine/fuzz/fuzz_targets/policy_blob.rs`) includes this file by its path.

use tcp_lsm_engine::encode::{decode, encode};
use tcp_lsm_engine::format::{validate, PolicyView};
use tcp_lsm_engine::model::Policy;
use tcp_lsm_engine::perm;

/// `count` as a 1-based id, saturating (as the encoder numbers records).
fn id(count: usize) -> u32 {
    u32::try_from(count).unwrap_or(u32::MAX)
}

/// The invariants every input must satisfy, for the fuzz target and the corpus replay:
/// nothing panics; if [`validate`] accepts `bytes`, decoding and re-encoding gives the
/// same bytes, and the queries (`type_for_path`, `transition`, `file_allows`,
/// `net_allows` for every domain) agree with the naive [`reference`](mod@reference) semantics on the
/// decoded policy.
pub fn check_blob_invariants(bytes: &[u8]) -> Result<(), String> {
    let Ok(view) = validate(bytes) else {
        return Ok(());
    };
    let policy =
        decode(bytes).map_err(|e| format!("validate accepted the blob but decode failed: {e}"))?;
    let again = encode(&policy).map_err(|e| format!("a decoded policy does not encode: {e}"))?;
    if again != bytes {
        let at = again
            .iter()
            .zip(bytes)
            .position(|(a, b)| a != b)
            .unwrap_or(again.len().min(bytes.len()));
        return Err(format!(
            "re-encoding differs at byte {at} ({} bytes vs {} bytes)",
            again.len(),
            bytes.len()
        ));
    }
    check_queries(&view, &policy)
}

/// Compares the view's queries with [`reference`](mod@reference) on a bounded set of inputs derived from
/// the policy.
pub fn check_queries(view: &PolicyView<'_>, policy: &Policy) -> Result<(), String> {
    const MAX_ITEMS: usize = 64;
    // Paths: fixed ones, every pattern, below every pattern, and glob-ish variants.
    let mut paths: Vec<Vec<u8>> = [
        "/",
        "/etc/passwd",
        "/usr/bin/x",
        "",
        "relative/x",
        "/a/b/c/d",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    for r in policy.paths.iter().take(MAX_ITEMS) {
        let p = r.pattern.as_bytes();
        paths.push(p.to_vec());
        paths.push([p, b"/x"].concat());
        paths.push([p, b"x"].concat());
        let replaced: Vec<u8> = p
            .iter()
            .map(|c| if matches!(c, b'*' | b'?') { b'z' } else { *c })
            .collect();
        paths.push(replaced.clone());
        paths.push(
            replaced
                .iter()
                .map(|c| if *c == b'z' { b'/' } else { *c })
                .collect(),
        );
        if let Some(cut) = p.iter().rposition(|c| *c == b'/') {
            paths.push(p.get(..cut).unwrap_or_default().to_vec());
        }
    }
    for path in &paths {
        let got = view.type_for_path(path);
        let want = reference::type_for_path(policy, path);
        if got != want {
            return Err(format!(
                "type_for_path({:?}) = {got}, reference says {want}",
                String::from_utf8_lossy(path)
            ));
        }
    }
    // Transitions: every rule's key with its digest, another digest and none.
    for t in policy.transitions.iter().take(MAX_ITEMS) {
        let other = [0x5a; 32];
        for digest in [t.digest.as_ref(), Some(&other), None] {
            for from in [t.from, t.from.wrapping_add(1)] {
                let got = view.transition(from, t.exe.as_bytes(), digest);
                let want = reference::transition(policy, from, t.exe.as_bytes(), digest);
                if got != want {
                    return Err(format!(
                        "transition({from}, {:?}, {digest:?}) = {got:?}, reference says {want:?}",
                        t.exe
                    ));
                }
            }
        }
    }
    // Domains.
    let type_ids = 0..=id(policy.types.len().min(MAX_ITEMS)).saturating_add(1);
    let perm_sets = [0u32, 1, 2, 3, 1 << 5, perm::FILE_PERMS_MASK, u32::MAX];
    for (index, d) in policy.domains.iter().enumerate().take(1024) {
        let did = id(index + 1);
        let dv = view
            .domain(did)
            .ok_or_else(|| format!("domain {did} missing from the view"))?;
        if dv.name() != d.name {
            return Err(format!(
                "domain {did} is called {:?} in the view, {:?} in the policy",
                dv.name(),
                d.name
            ));
        }
        if view.domain_id_by_name(d.name.as_bytes()) != Some(did) {
            return Err(format!("domain_id_by_name({:?}) is not {did}", d.name));
        }
        let rule_types = d.files.iter().take(MAX_ITEMS).map(|f| f.type_id);
        for t in type_ids.clone().chain(rule_types) {
            for perms in perm_sets
                .iter()
                .copied()
                .chain(d.files.iter().filter(|f| f.type_id == t).map(|f| f.perms))
            {
                let got = dv.file_allows(t, perms);
                let want = reference::file_allows(d, t, perms);
                if got != want {
                    return Err(format!(
                        "domain {:?}: file_allows({t}, {perms:#x}) = {got}, reference says {want}",
                        d.name
                    ));
                }
            }
        }
        let mut queries: Vec<reference::NetQuery> = vec![
            reference::NetQuery::ip(tcp_lsm_engine::model::NetFamily::Inet, [10, 0, 0, 1], 80),
            reference::NetQuery::ip(
                tcp_lsm_engine::model::NetFamily::Inet6,
                [0x20, 1, 0xd, 0xb8],
                443,
            ),
            reference::NetQuery::unix(b"/run/x.sock"),
            reference::NetQuery::unix(b""),
        ];
        for n in d.net.iter().take(MAX_ITEMS) {
            queries.push(reference::NetQuery::from_rule(n, false));
            queries.push(reference::NetQuery::from_rule(n, true));
        }
        for q in &queries {
            for ops in [1u32, 2, 1 << 5, 3, perm::NET_OPS_MASK] {
                for protocol in [
                    tcp_lsm_engine::model::Protocol::Any,
                    tcp_lsm_engine::model::Protocol::Tcp,
                    tcp_lsm_engine::model::Protocol::Udp,
                ] {
                    let got = dv.net_allows(ops, q.family, protocol, &q.addr, q.port, &q.unix_path);
                    let want = reference::net_allows(
                        d,
                        ops,
                        q.family,
                        protocol,
                        &q.addr,
                        q.port,
                        &q.unix_path,
                    );
                    if got != want {
                        return Err(format!("domain {:?}: net_allows({ops:#x}, {q:?}, {protocol:?}) = {got}, reference says {want}", d.name));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Naive reference semantics of the queries, straight from the specification, over the
/// owned model: linear scans and a dynamic-programming glob matcher. For tests and
/// fuzzing; the kernel uses [`PolicyView`].
#[allow(clippy::indexing_slicing)]
pub mod reference {
    use tcp_lsm_engine::model::{
        Decision, Domain, NetFamily, NetRule, PathMatch, Policy, Protocol,
    };

    /// Glob matching by dynamic programming over (pattern token, text position).
    pub fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
        #[derive(Clone, Copy)]
        enum Tok {
            Lit(u8),
            Any,
            Star,
            DStar,
        }
        let mut toks = Vec::new();
        let mut i = 0;
        while let Some(&c) = pattern.get(i) {
            match c {
                b'*' if pattern.get(i + 1) == Some(&b'*') => {
                    toks.push(Tok::DStar);
                    i += 2;
                }
                b'*' => {
                    toks.push(Tok::Star);
                    i += 1;
                }
                b'?' => {
                    toks.push(Tok::Any);
                    i += 1;
                }
                c => {
                    toks.push(Tok::Lit(c));
                    i += 1;
                }
            }
        }
        let n = text.len();
        // prev[j]: the tokens so far match text[..j].
        let mut prev = vec![false; n + 1];
        prev[0] = true;
        for tok in toks {
            let mut cur = vec![false; n + 1];
            for j in 0..=n {
                let c = if j > 0 { Some(text[j - 1]) } else { None };
                cur[j] = match tok {
                    Tok::Lit(l) => j > 0 && prev[j - 1] && c == Some(l),
                    Tok::Any => j > 0 && prev[j - 1] && c != Some(b'/'),
                    Tok::Star => prev[j] || (j > 0 && cur[j - 1] && c != Some(b'/')),
                    Tok::DStar => prev[j] || (j > 0 && cur[j - 1]),
                };
            }
            prev = cur;
        }
        prev[n]
    }

    /// Exact, then longest prefix, then first glob; 0 when nothing matches.
    pub fn type_for_path(p: &Policy, path: &[u8]) -> u32 {
        if let Some(r) = p
            .paths
            .iter()
            .find(|r| r.kind == PathMatch::Exact && r.pattern.as_bytes() == path)
        {
            return r.type_id;
        }
        let best = p
            .paths
            .iter()
            .filter(|r| {
                r.kind == PathMatch::Prefix
                    && tcp_lsm_engine::format::prefix_match(r.pattern.as_bytes(), path)
            })
            .max_by_key(|r| r.pattern.len());
        if let Some(r) = best {
            return r.type_id;
        }
        p.paths
            .iter()
            .find(|r| r.kind == PathMatch::Glob && glob_match(r.pattern.as_bytes(), path))
            .map_or(0, |r| r.type_id)
    }

    /// A digest rule that matches wins over the rule without a digest.
    pub fn transition(p: &Policy, from: u32, exe: &[u8], digest: Option<&[u8; 32]>) -> Option<u32> {
        let same =
            |t: &&tcp_lsm_engine::model::Transition| t.from == from && t.exe.as_bytes() == exe;
        if let Some(d) = digest {
            if let Some(t) = p
                .transitions
                .iter()
                .filter(same)
                .find(|t| t.digest.as_ref() == Some(d))
            {
                return Some(t.to);
            }
        }
        p.transitions
            .iter()
            .filter(same)
            .find(|t| t.digest.is_none())
            .map(|t| t.to)
    }

    /// Every requested bit in an allow rule for the type and in no deny rule.
    pub fn file_allows(d: &Domain, type_id: u32, perms: u32) -> bool {
        let mut allowed = 0;
        let mut denied = 0;
        for f in d.files.iter().filter(|f| f.type_id == type_id) {
            match f.decision {
                Decision::Allow => allowed |= f.perms,
                Decision::Deny => denied |= f.perms,
            }
        }
        perms & !allowed == 0 && perms & denied == 0
    }

    /// A network query.
    #[derive(Clone, Debug)]
    pub struct NetQuery {
        /// Family.
        pub family: NetFamily,
        /// Address.
        pub addr: [u8; 16],
        /// Port.
        pub port: u16,
        /// Unix path.
        pub unix_path: Vec<u8>,
    }

    impl NetQuery {
        /// An IP query; `prefix` fills the first bytes of the address.
        pub fn ip(family: NetFamily, prefix: [u8; 4], port: u16) -> NetQuery {
            let mut addr = [0; 16];
            addr[..4].copy_from_slice(&prefix);
            NetQuery {
                family,
                addr,
                port,
                unix_path: Vec::new(),
            }
        }

        /// A Unix query.
        pub fn unix(path: &[u8]) -> NetQuery {
            NetQuery {
                family: NetFamily::Unix,
                addr: [0; 16],
                port: 0,
                unix_path: path.to_vec(),
            }
        }

        /// A query at the edge of `rule`: its address and first port, or (with `flip`)
        /// its address with the last prefix bit flipped and the port after its range;
        /// IPv4 rules are also asked as IPv4-mapped IPv6 when `flip` is set.
        pub fn from_rule(rule: &NetRule, flip: bool) -> NetQuery {
            let mut q = NetQuery {
                family: rule.family,
                addr: rule.addr,
                port: rule.port_lo,
                unix_path: rule.unix_path.as_bytes().to_vec(),
            };
            if flip {
                if rule.prefix_len > 0 {
                    let bit = usize::from(rule.prefix_len - 1);
                    q.addr[bit / 8] ^= 0x80 >> (bit % 8);
                }
                q.port = rule.port_hi.wrapping_add(1);
                q.unix_path.push(b'x');
                if rule.family == NetFamily::Inet {
                    let mut mapped = [0u8; 16];
                    mapped[10] = 0xff;
                    mapped[11] = 0xff;
                    mapped[12..].copy_from_slice(&rule.addr[..4]);
                    q.family = NetFamily::Inet6;
                    q.addr = mapped;
                    q.port = rule.port_lo;
                }
            }
            q
        }
    }

    fn prefix_eq(a: &[u8; 16], b: &[u8; 16], len: u8) -> bool {
        (0..usize::from(len)).all(|bit| (a[bit / 8] ^ b[bit / 8]) & (0x80 >> (bit % 8)) == 0)
    }

    /// Every requested bit in a matching allow rule and in no matching deny rule.
    pub fn net_allows(
        d: &Domain,
        ops: u32,
        family: NetFamily,
        protocol: Protocol,
        addr: &[u8; 16],
        port: u16,
        unix_path: &[u8],
    ) -> bool {
        let (family, addr) = if family == NetFamily::Inet6
            && addr[..10] == [0; 10]
            && addr[10..12] == [0xff, 0xff]
        {
            let mut v4 = [0u8; 16];
            v4[..4].copy_from_slice(&addr[12..]);
            (NetFamily::Inet, v4)
        } else {
            (family, *addr)
        };
        let mut allowed = 0;
        let mut denied = 0;
        for r in &d.net {
            if r.family != family || r.ops & ops == 0 {
                continue;
            }
            let matches = match family {
                NetFamily::Unix => r.unix_path.is_empty() || r.unix_path.as_bytes() == unix_path,
                NetFamily::Inet | NetFamily::Inet6 => {
                    (r.protocol == Protocol::Any || r.protocol == protocol)
                        && prefix_eq(&r.addr, &addr, r.prefix_len)
                        && (r.port_lo..=r.port_hi).contains(&port)
                }
            };
            if matches {
                match r.decision {
                    Decision::Allow => allowed |= r.ops,
                    Decision::Deny => denied |= r.ops,
                }
            }
        }
        ops & !allowed == 0 && ops & denied == 0
    }
}
