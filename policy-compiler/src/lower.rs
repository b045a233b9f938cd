//! Stage 3: lowering turns the syntax tree into a [`Policy`]: names are resolved, values
//! checked and converted, and every semantic fault is reported (all of them, with
//! "did you mean" help where a close name exists). The result is canonicalized
//! ([`Policy::canonicalize`]) so that the encoder sees one canonical form.

use std::collections::{BTreeMap, HashMap};

use crate::ast::{
    BehaviourStmt, Class, DomainDecl, DomainStmt, ExecStmt, File, HeartbeatStmt, Item, ModeStmt,
    NetTarget, Perms, Rule, Word,
};
use crate::diagnostic::{Diagnostic, Span};
use crate::suggest::did_you_mean;
use crate::values::{
    check_name, check_path, check_unix_path, parse_cidr, parse_digest, parse_duration,
    parse_in_range, parse_ports, parse_u32, PathUse, DOMAINS_MAX, HEARTBEAT_MAX_MS, THRESHOLD_MAX,
    TYPES_MAX, WINDOW_MAX_MS,
};
use tcp_lsm_engine::mode::Mode;
use tcp_lsm_engine::model::{
    Behaviour, Decision, Domain, FileRule, Heartbeat, HeartbeatAction, NetFamily, NetRule,
    ObjectType, PathMatch, PathRule, Policy, Protocol, Response, Transition,
};
use tcp_lsm_engine::perm::{self, all_bits};

/// File permissions that a protected type never grants (the engine's
/// `perm::bits::file::PROTECTED_NEVER`, by name).
fn protected_denied() -> Vec<&'static str> {
    perm::FILE_PERMS
        .iter()
        .enumerate()
        .filter(|(b, _)| perm::bits::file::PROTECTED_NEVER & (1u32 << b) != 0)
        .map(|(_, n)| *n)
        .collect()
}

/// Lowers a parsed file. Faults go to `diags`; the policy is meaningful only when no
/// error was reported.
pub fn lower(file: &File, diags: &mut Vec<Diagnostic>) -> Policy {
    let mut lw = Lowerer {
        diags,
        type_ids: HashMap::new(),
        domain_ids: HashMap::new(),
        protected: Vec::new(),
        internal: Vec::new(),
    };
    lw.run(file)
}

struct Lowerer<'a> {
    diags: &'a mut Vec<Diagnostic>,
    /// Type name -> (id in declaration order, where declared).
    type_ids: HashMap<String, (u32, Span)>,
    /// Domain name -> (id in declaration order, where declared).
    domain_ids: HashMap<String, (u32, Span)>,
    /// Protected flag by type id - 1.
    protected: Vec<bool>,
    /// The built-in types of internal objects (`perm::Internal`) the rules name, with
    /// the ids given them after the declared types.
    internal: Vec<(perm::Internal, u32)>,
}

/// The identity of a network rule apart from its operations; rules with equal keys merge.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct NetKey {
    /// Address family.
    pub family: NetFamily,
    /// Protocol.
    pub protocol: Protocol,
    /// Network address.
    pub addr: [u8; 16],
    /// Prefix length.
    pub prefix_len: u8,
    /// Port range.
    pub ports: (u16, u16),
    /// Unix socket path.
    pub unix_path: String,
}

impl NetKey {
    /// The key of an existing rule.
    pub fn of(rule: &NetRule) -> NetKey {
        NetKey {
            family: rule.family,
            protocol: rule.protocol,
            addr: rule.addr,
            prefix_len: rule.prefix_len,
            ports: (rule.port_lo, rule.port_hi),
            unix_path: rule.unix_path.clone(),
        }
    }

    /// A rule with this key.
    pub fn rule(&self, decision: Decision, ops: u32) -> NetRule {
        NetRule {
            decision,
            ops,
            family: self.family,
            protocol: self.protocol,
            addr: self.addr,
            prefix_len: self.prefix_len,
            port_lo: self.ports.0,
            port_hi: self.ports.1,
            unix_path: self.unix_path.clone(),
        }
    }
}

/// Transitions seen so far: (from, exe, digest) -> (to, where, target name).
type TransitionMap = HashMap<(u32, String, Option<[u8; 32]>), (u32, Span, String)>;

/// Accumulates one domain's rules.
#[derive(Default)]
struct DomainAcc {
    domain: Domain,
    /// Bits allowed and denied per set class (capability, signal, ptrace, ipc, system,
    /// process); a deny removes the bit whatever the order.
    allow_sets: BTreeMap<u8, u64>,
    deny_sets: BTreeMap<u8, u64>,
    net: BTreeMap<(Decision, NetKey), u32>,
    mode_at: Option<(Span, Mode)>,
    behaviour_at: Option<Span>,
}

/// Resolves a set of permission names of `class` to bits, reporting unknown names.
pub fn perm_bits(class: Class, perms: &Perms, diags: &mut Vec<Diagnostic>) -> Option<u64> {
    let names = class.permission_names();
    let mut bits = 0u64;
    let mut ok = true;
    for w in &perms.names {
        if w.text == "all" {
            bits |= all_bits(names.len());
            continue;
        }
        match perm::bit_of(names, &w.text) {
            Some(bit) => bits |= 1u64 << bit,
            None => {
                ok = false;
                diags.push(unknown_perm(class, w));
            }
        }
    }
    ok.then_some(bits)
}

fn unknown_perm(class: Class, w: &Word) -> Diagnostic {
    let names = class.permission_names();
    let lower = w.text.to_ascii_lowercase();
    let stripped = lower.strip_prefix("cap_").unwrap_or(&lower);
    let help = if class == Class::Capability
        && stripped != w.text
        && perm::bit_of(names, stripped).is_some()
    {
        format!("write `{stripped}`: capabilities are named in lowercase without `CAP_`")
    } else {
        match did_you_mean(&w.text, names.iter().copied()) {
            Some(dym) => format!(
                "{dym} valid {} permissions: {}, all",
                class.name(),
                names.join(", ")
            ),
            None => format!(
                "valid {} permissions: {}, all",
                class.name(),
                names.join(", ")
            ),
        }
    };
    Diagnostic::error(
        w.span,
        format!("unknown {} permission `{}`", class.name(), w.text),
    )
    .with_help(help)
}

/// Checks and converts a network target.
pub fn net_key(target: &NetTarget, diags: &mut Vec<Diagnostic>) -> Option<NetKey> {
    let mut key = NetKey {
        family: NetFamily::Inet,
        protocol: Protocol::Any,
        addr: [0; 16],
        prefix_len: 0,
        ports: (0, 65_535),
        unix_path: String::new(),
    };
    let mut ok = true;
    match target.family.text.as_str() {
        "unix" => {
            key.family = NetFamily::Unix;
            key.ports = (0, 0);
            if let Some(path) = &target.unix_path {
                match check_unix_path(path) {
                    Ok(p) => key.unix_path = p,
                    Err(d) => {
                        diags.push(d);
                        ok = false;
                    }
                }
            }
        }
        fam => {
            let ipv6 = fam == "inet6";
            key.family = if ipv6 {
                NetFamily::Inet6
            } else {
                NetFamily::Inet
            };
            if let Some(p) = &target.protocol {
                key.protocol = match p.text.as_str() {
                    "tcp" => Protocol::Tcp,
                    "udp" => Protocol::Udp,
                    _ => Protocol::Any,
                };
            }
            if let Some(a) = &target.addr {
                match parse_cidr(a, ipv6) {
                    Ok((addr, len)) => {
                        key.addr = addr;
                        key.prefix_len = len;
                    }
                    Err(d) => {
                        diags.push(d);
                        ok = false;
                    }
                }
            }
            if let Some(p) = &target.port {
                match parse_ports(p) {
                    Ok(range) => key.ports = range,
                    Err(d) => {
                        diags.push(d);
                        ok = false;
                    }
                }
            }
        }
    }
    ok.then_some(key)
}

/// Parses a mode name.
pub fn parse_mode(w: &Word) -> Result<Mode, Diagnostic> {
    Mode::ALL
        .into_iter()
        .find(|m| m.name() == w.text)
        .ok_or_else(|| {
            let help = did_you_mean(&w.text, Mode::ALL.iter().map(|m| m.name()))
                .unwrap_or_else(|| "modes: monitor, alert, enforce".into());
            Diagnostic::error(w.span, format!("unknown mode `{}`", w.text)).with_help(help)
        })
}

impl Lowerer<'_> {
    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn run(&mut self, file: &File) -> Policy {
        let mut policy = Policy::default();

        // Declarations first, so that names may be used before they are declared.
        let mut type_decls = Vec::new();
        let mut domain_decls = Vec::new();
        for item in &file.items {
            match item {
                Item::Type(t) => {
                    if let Err(d) = check_name(&t.name, "type") {
                        self.push(d);
                    }
                    if t.name.text.starts_with(perm::INTERNAL_PREFIX) {
                        self.push(
                            Diagnostic::error(
                                t.name.span,
                                format!("type names starting with `{}` are reserved", perm::INTERNAL_PREFIX),
                            )
                            .with_help("they name the objects of the kernel's internal mounts (`internal.pipe`, `internal.memfd`, ...), which need no declaration"),
                        );
                        continue;
                    }
                    if let Some((_, first)) = self.type_ids.get(&t.name.text) {
                        let d = Diagnostic::error(
                            t.name.span,
                            format!("type `{}` is declared twice", t.name.text),
                        )
                        .with_note(*first, "first declared here");
                        self.push(d);
                        continue;
                    }
                    if type_decls.len() == TYPES_MAX {
                        self.push(Diagnostic::error(
                            t.name.span,
                            format!("too many types: a policy holds at most {TYPES_MAX}"),
                        ));
                    }
                    let id = u32::try_from(type_decls.len() + 1).unwrap_or(u32::MAX);
                    self.type_ids.insert(t.name.text.clone(), (id, t.name.span));
                    self.protected.push(t.protected.is_some());
                    policy.types.push(ObjectType {
                        name: t.name.text.clone(),
                        protected: t.protected.is_some(),
                    });
                    type_decls.push(t);
                }
                Item::Domain(d) => {
                    if let Err(diag) = check_name(&d.name, "domain") {
                        self.push(diag);
                    }
                    if let Some((_, first)) = self.domain_ids.get(&d.name.text) {
                        let diag = Diagnostic::error(
                            d.name.span,
                            format!("domain `{}` is declared twice", d.name.text),
                        )
                        .with_note(*first, "first declared here")
                        .with_help("put all of a domain's statements in one block");
                        self.push(diag);
                        continue;
                    }
                    if domain_decls.len() == DOMAINS_MAX {
                        self.push(Diagnostic::error(
                            d.name.span,
                            format!("too many domains: a policy holds at most {DOMAINS_MAX}"),
                        ));
                    }
                    let id = u32::try_from(domain_decls.len() + 1).unwrap_or(u32::MAX);
                    self.domain_ids
                        .insert(d.name.text.clone(), (id, d.name.span));
                    domain_decls.push(d);
                }
                _ => {}
            }
        }

        // Global settings.
        let mut mode_at: Option<(Span, Mode)> = None;
        let mut heartbeat_at: Option<Span> = None;
        for item in &file.items {
            match item {
                Item::Mode(m) => self.setting_mode(m, &mut mode_at, "the global mode"),
                Item::Heartbeat(h) => {
                    let hb = self.heartbeat(h);
                    if let Some(first) = heartbeat_at {
                        self.push(
                            Diagnostic::error(
                                h.span,
                                "conflicting settings: `heartbeat` is given twice",
                            )
                            .with_note(first, "first given here"),
                        );
                    } else {
                        heartbeat_at = Some(h.span);
                        policy.settings.heartbeat = hb;
                    }
                }
                _ => {}
            }
        }
        policy.settings.mode = mode_at.map(|(_, m)| m);

        // Path rules.
        let mut seen_paths: HashMap<(PathMatch, String), (Span, String)> = HashMap::new();
        for (i, t) in type_decls.iter().enumerate() {
            let type_id = u32::try_from(i + 1).unwrap_or(u32::MAX);
            for p in &t.paths {
                let mut warnings = Vec::new();
                let checked = check_path(&p.pattern, PathUse::Rule(p.kind), &mut warnings);
                self.diags.extend(warnings);
                let pattern = match checked {
                    Ok(pattern) => pattern,
                    Err(d) => {
                        self.push(d);
                        continue;
                    }
                };
                let kind_name = path_kind_name(p.kind);
                if let Some((first, owner)) = seen_paths.get(&(p.kind, pattern.clone())) {
                    let msg = if *owner == t.name.text {
                        format!("`{kind_name} {pattern}` is given twice for type `{owner}`")
                    } else {
                        format!("conflicting path rules: `{kind_name} {pattern}` already gives type `{owner}`")
                    };
                    let d = Diagnostic::error(p.span, msg).with_note(*first, "first given here");
                    self.push(d);
                    continue;
                }
                seen_paths.insert((p.kind, pattern.clone()), (p.span, t.name.text.clone()));
                policy.paths.push(PathRule {
                    pattern,
                    kind: p.kind,
                    type_id,
                });
            }
        }

        // Domains and their transitions.
        let mut transitions = TransitionMap::new();
        let mut ordered_transitions = Vec::new();
        for (i, d) in domain_decls.iter().enumerate() {
            let id = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let domain = self.domain(d, id, &mut transitions, &mut ordered_transitions);
            policy.domains.push(domain);
        }
        // Bodies of duplicate domains are still checked, then dropped.
        for item in &file.items {
            if let Item::Domain(d) = item {
                if !domain_decls.iter().any(|k| std::ptr::eq(*k, d)) {
                    let mut scratch_t = HashMap::new();
                    let mut scratch_o = Vec::new();
                    let _ = self.domain(d, 0, &mut scratch_t, &mut scratch_o);
                }
            }
        }
        for item in &file.items {
            if let Item::Exec(e) = item {
                self.exec(e, 0, &mut transitions, &mut ordered_transitions);
            }
        }
        policy.transitions = ordered_transitions;
        // The built-in types the rules name: every domain holds the default on them, its
        // own rules on top (what a policy that names none leaves to the kernel).
        for (kind, type_id) in std::mem::take(&mut self.internal) {
            policy.types.push(ObjectType {
                name: kind.type_name().to_owned(),
                protected: false,
            });
            for d in &mut policy.domains {
                d.files.push(FileRule {
                    type_id,
                    decision: Decision::Allow,
                    perms: perm::bits::file::INTERNAL_DEFAULT,
                });
            }
        }
        policy.canonicalize();
        self.forgeable_entrypoints(&policy, &transitions);
        policy
    }

    /// Refuses exec rules out of a domain through an executable whose type that domain
    /// may write, create, rename or link into (unless the rule pins the content's
    /// digest): the domain could put its own program there and enter the target domain
    /// with it. Asked of the engine on the encoded policy, so that the answer is the one
    /// the kernel's rules give (`PolicyView::forgeable_entrypoint`). Skipped when the
    /// policy does not encode (its errors are reported elsewhere).
    fn forgeable_entrypoints(&mut self, policy: &Policy, transitions: &TransitionMap) {
        if self.diags.iter().any(Diagnostic::is_error) {
            return;
        }
        let Ok(bytes) = tcp_lsm_engine::encode::encode(policy) else {
            return;
        };
        let Ok(view) = tcp_lsm_engine::format::validate(&bytes) else {
            return;
        };
        let mut found: Vec<(Span, Diagnostic)> = Vec::new();
        for ((from, exe, digest), (_, span, target)) in transitions {
            if *from == 0 || digest.is_some() {
                continue;
            }
            let Some(name) = self
                .domain_ids
                .iter()
                .find(|(_, (id, _))| id == from)
                .map(|(n, _)| n.clone())
            else {
                continue;
            };
            let Some(canonical) = view.domain_id_by_name(name.as_bytes()) else {
                continue;
            };
            let Some((type_id, bits)) = view.forgeable_entrypoint(canonical, exe.as_bytes()) else {
                continue;
            };
            let perms: Vec<&str> = perm::FILE_PERMS
                .iter()
                .enumerate()
                .filter(|(b, _)| bits & (1u32 << b) != 0)
                .map(|(_, n)| *n)
                .collect();
            let type_name = view.type_name(type_id).unwrap_or("?");
            let d = Diagnostic::error(
                *span,
                format!(
                    "exec rule in domain `{name}` enters `{target}` through `{exe}` (type `{type_name}`), which `{name}` may {}: a task in `{name}` could put its own program there and enter `{target}` with it",
                    english_list(&perms)
                ),
            )
            .with_help(format!(
                "pin the program with `exec {exe} sha256 <digest> -> {target};`, or take {} on `{type_name}` away from `{name}`",
                english_list(&perms)
            ));
            found.push((*span, d));
        }
        found.sort_by_key(|(s, _)| (s.start, s.end));
        self.diags.extend(found.into_iter().map(|(_, d)| d));
    }

    fn setting_mode(&mut self, m: &ModeStmt, slot: &mut Option<(Span, Mode)>, what: &str) {
        let mode = match parse_mode(&m.value) {
            Ok(mode) => mode,
            Err(d) => {
                self.push(d);
                return;
            }
        };
        match slot {
            Some((first, old)) => {
                let msg = if *old == mode {
                    format!("conflicting settings: {what} is set twice")
                } else {
                    format!("conflicting settings: {what} is set to `{mode}` here and to `{old}` before")
                };
                let d = Diagnostic::error(m.span, msg).with_note(*first, "first set here");
                self.push(d);
            }
            None => *slot = Some((m.span, mode)),
        }
    }

    fn heartbeat(&mut self, h: &HeartbeatStmt) -> Option<Heartbeat> {
        let timeout = match &h.timeout {
            Some(w) => match parse_duration(w, "heartbeat timeout", HEARTBEAT_MAX_MS) {
                Ok(ms) => Some(ms),
                Err(d) => {
                    self.push(d);
                    return None;
                }
            },
            None => None,
        };
        let action = match &h.action {
            Some(w) => match w.text.as_str() {
                "deny-network" => Some(HeartbeatAction::DenyNetwork),
                "deny-all" => Some(HeartbeatAction::DenyAll),
                other => {
                    let help = did_you_mean(other, ["deny-network", "deny-all"])
                        .unwrap_or_else(|| "actions: deny-network, deny-all".into());
                    self.push(
                        Diagnostic::error(w.span, format!("unknown heartbeat action `{other}`"))
                            .with_help(help),
                    );
                    return None;
                }
            },
            None => None,
        };
        match (timeout, action) {
            (Some(timeout_ms), Some(action)) => Some(Heartbeat { timeout_ms, action }),
            (None, _) => {
                self.push(
                    Diagnostic::error(h.span, "heartbeat needs a `timeout`")
                        .with_help("for example `heartbeat timeout 30s action deny-network;`"),
                );
                None
            }
            (_, None) => {
                self.push(
                    Diagnostic::error(
                        h.span,
                        "heartbeat needs an `action` (deny-network or deny-all)",
                    )
                    .with_help("for example `heartbeat timeout 30s action deny-network;`"),
                );
                None
            }
        }
    }

    fn resolve_domain(&mut self, w: &Word, what: &str) -> Option<u32> {
        if let Some((id, _)) = self.domain_ids.get(&w.text) {
            return Some(*id);
        }
        let help = did_you_mean(&w.text, self.domain_ids.keys().map(String::as_str))
            .unwrap_or_else(|| format!("declare it with `domain {} {{ ... }}`", w.text));
        self.push(
            Diagnostic::error(w.span, format!("undefined {what} `{}`", w.text)).with_help(help),
        );
        None
    }

    fn resolve_type(&mut self, w: &Word) -> Option<u32> {
        if let Some((id, _)) = self.type_ids.get(&w.text) {
            return Some(*id);
        }
        if let Some(kind) = perm::Internal::from_type_name(&w.text) {
            // Declared at first use, after the declared types.
            let id = u32::try_from(self.protected.len() + 1).unwrap_or(u32::MAX);
            self.protected.push(false);
            self.type_ids.insert(w.text.clone(), (id, w.span));
            self.internal.push((kind, id));
            return Some(id);
        }
        let builtin = perm::Internal::ALL.map(perm::Internal::type_name);
        let names = self.type_ids.keys().map(String::as_str).chain(builtin);
        let help = did_you_mean(&w.text, names).unwrap_or_else(|| {
            format!("declare it with `type {} {{ prefix /some/path; }}`", w.text)
        });
        self.push(
            Diagnostic::error(w.span, format!("undefined type `{}`", w.text)).with_help(help),
        );
        None
    }

    fn domain(
        &mut self,
        d: &DomainDecl,
        id: u32,
        transitions: &mut TransitionMap,
        ordered: &mut Vec<Transition>,
    ) -> Domain {
        let mut acc = DomainAcc::default();
        acc.domain.name = d.name.text.clone();
        for stmt in &d.body {
            match stmt {
                DomainStmt::Mode(m) => {
                    let what = format!("the mode of domain `{}`", d.name.text);
                    let mut slot = acc.mode_at;
                    self.setting_mode(m, &mut slot, &what);
                    acc.mode_at = slot;
                }
                DomainStmt::Rule(r) => self.rule(r, &mut acc),
                DomainStmt::Exec(e) => self.exec(e, id, transitions, ordered),
                DomainStmt::Behaviour(b) => {
                    let behaviour = self.behaviour(b, &d.name);
                    if let Some(first) = acc.behaviour_at {
                        self.push(
                            Diagnostic::error(b.span, format!("conflicting settings: domain `{}` has two `behaviour` statements", d.name.text))
                                .with_note(first, "first given here"),
                        );
                    } else {
                        acc.behaviour_at = Some(b.span);
                        acc.domain.behaviour = behaviour;
                    }
                }
            }
        }
        let mut dom = acc.domain;
        dom.mode = acc.mode_at.map(|(_, m)| m);
        let set = |class: Class| {
            let key = class as u8;
            acc.allow_sets.get(&key).copied().unwrap_or(0)
                & !acc.deny_sets.get(&key).copied().unwrap_or(0)
        };
        dom.capabilities = set(Class::Capability);
        let narrow = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
        dom.signal = narrow(set(Class::Signal));
        dom.ptrace = narrow(set(Class::Ptrace));
        dom.ipc = narrow(set(Class::Ipc));
        dom.system = narrow(set(Class::System));
        dom.process = narrow(set(Class::Process));
        dom.net = acc
            .net
            .into_iter()
            .map(|((decision, key), ops)| key.rule(decision, ops))
            .collect();
        dom
    }

    fn rule(&mut self, r: &Rule, acc: &mut DomainAcc) {
        let Some(bits) = perm_bits(r.class, &r.perms, self.diags) else {
            return;
        };
        match r.class {
            Class::File => {
                let Some(obj) = &r.object else { return };
                let Some(type_id) = self.resolve_type(obj) else {
                    return;
                };
                let protected = usize::try_from(type_id)
                    .ok()
                    .and_then(|i| self.protected.get(i.wrapping_sub(1)))
                    .copied()
                    .unwrap_or(false);
                if protected && r.decision == Decision::Allow {
                    let never: Vec<&str> = protected_denied()
                        .into_iter()
                        .filter(|n| {
                            perm::bit_of(perm::FILE_PERMS, n)
                                .is_some_and(|b| bits & (1u64 << b) != 0)
                        })
                        .collect();
                    let explicit = r
                        .perms
                        .names
                        .iter()
                        .any(|w| never.contains(&w.text.as_str()));
                    if explicit {
                        self.push(
                            Diagnostic::warning(
                                r.perms.span,
                                format!(
                                    "type `{}` is protected: {} {} never granted on it",
                                    obj.text,
                                    english_list(&never),
                                    if never.len() == 1 { "is" } else { "are" }
                                ),
                            )
                            .with_help("protected types can never be unlinked, renamed or linked"),
                        );
                    }
                }
                let internal = self.internal.iter().any(|(_, id)| *id == type_id);
                let execute = u64::from(perm::bits::file::EXECUTE);
                if internal && r.decision == Decision::Allow && bits & execute != 0 {
                    self.push(
                        Diagnostic::warning(
                            r.perms.span,
                            format!("`execute` on `{}` lets the domain run programs that no file with a path holds (`fexecve` of what it wrote there)", obj.text),
                        )
                        .with_help("grant it only to a domain that must run code it generates (runc-style re-execution)"),
                    );
                }
                acc.domain.files.push(FileRule {
                    type_id,
                    decision: r.decision,
                    perms: u32::try_from(bits).unwrap_or(u32::MAX),
                });
            }
            Class::Net => {
                let Some(target) = &r.target else { return };
                let Some(key) = net_key(target, self.diags) else {
                    return;
                };
                *acc.net.entry((r.decision, key)).or_insert(0) |=
                    u32::try_from(bits).unwrap_or(u32::MAX);
            }
            class => {
                let jit =
                    u64::from(perm::bits::process::EXECMEM | perm::bits::process::EXECMEM_RWX);
                if class == Class::Process && r.decision == Decision::Allow && bits & jit != 0 {
                    let granted: Vec<&str> = ["`execmem`", "`execmem-rwx`"]
                        .into_iter()
                        .filter(|n| {
                            perm::bit_of(perm::PROCESS_OPS, n.trim_matches('`'))
                                .is_some_and(|b| bits & (1u64 << b) != 0)
                        })
                        .collect();
                    self.push(
                        Diagnostic::warning(
                            r.perms.span,
                            format!(
                                "{} {} the domain run code that no file holds (a JIT): code it writes at run time is not checked against any type",
                                english_list(&granted),
                                if granted.len() == 1 { "lets" } else { "let" }
                            ),
                        )
                        .with_help("grant it only to domains that run a JIT (Node.js, the JVM, PyPy, LuaJIT)"),
                    );
                }
                let map = if r.decision == Decision::Allow {
                    &mut acc.allow_sets
                } else {
                    &mut acc.deny_sets
                };
                *map.entry(class as u8).or_insert(0) |= bits;
            }
        }
    }

    fn exec(
        &mut self,
        e: &ExecStmt,
        from: u32,
        seen: &mut TransitionMap,
        ordered: &mut Vec<Transition>,
    ) {
        let mut warnings = Vec::new();
        let exe = check_path(&e.path, PathUse::Exec, &mut warnings);
        self.diags.extend(warnings);
        let digest = match &e.digest {
            Some(w) => match parse_digest(w) {
                Ok(d) => Some(Some(d)),
                Err(d) => {
                    self.push(d);
                    None
                }
            },
            None => Some(None),
        };
        let to = self.resolve_domain(&e.target, "domain");
        let exe = match exe {
            Ok(exe) => exe,
            Err(d) => {
                self.push(d);
                return;
            }
        };
        let (Some(digest), Some(to)) = (digest, to) else {
            return;
        };
        let key = (from, exe.clone(), digest);
        if let Some((old_to, first, old_name)) = seen.get(&key) {
            let msg = if *old_to == to {
                format!("exec rule for `{exe}` is given twice")
            } else {
                format!("conflicting exec rules: `{exe}` already enters domain `{old_name}`")
            };
            let d = Diagnostic::error(e.span, msg).with_note(*first, "first given here");
            self.push(d);
            return;
        }
        seen.insert(key, (to, e.span, e.target.text.clone()));
        ordered.push(Transition {
            from,
            exe,
            digest,
            to,
        });
    }

    fn behaviour(&mut self, b: &BehaviourStmt, domain: &Word) -> Option<Behaviour> {
        let mut ok = true;
        let mut need = |this: &mut Self, w: &Option<Word>, what: &str| {
            if w.is_none() {
                this.push(Diagnostic::error(b.span, format!("behaviour needs `{what}`")).with_help(
                    "for example `behaviour threshold 100 window 10s max-ops 5000 response audit;`",
                ));
                ok = false;
            }
        };
        need(self, &b.threshold, "threshold N");
        need(self, &b.window, "window DURATION");
        need(self, &b.response, "response audit|quarantine DOMAIN");
        let threshold = b.threshold.as_ref().and_then(|w| {
            parse_in_range(w, "behaviour threshold", 1, THRESHOLD_MAX)
                .map_err(|d| self.push(d))
                .ok()
        });
        let window = b.window.as_ref().and_then(|w| {
            parse_duration(w, "behaviour window", WINDOW_MAX_MS)
                .map_err(|d| self.push(d))
                .ok()
        });
        let max_ops = match &b.max_ops {
            Some(w) => parse_u32(w, "a number of operations")
                .map_err(|d| self.push(d))
                .ok(),
            None => Some(0),
        };
        let response = match &b.response {
            Some(w) if w.text == "audit" => Some(Response::Audit),
            Some(w) if w.text == "quarantine" => match &b.quarantine {
                Some(q) if q.text == domain.text => {
                    self.push(
                        Diagnostic::error(
                            q.span,
                            format!("domain `{}` cannot quarantine into itself", q.text),
                        )
                        .with_help("name a separate, more restricted domain"),
                    );
                    None
                }
                Some(q) => self
                    .resolve_domain(q, "quarantine domain")
                    .map(Response::Quarantine),
                None => None,
            },
            Some(w) => {
                let help = did_you_mean(&w.text, ["audit", "quarantine"])
                    .unwrap_or_else(|| "responses: `audit`, `quarantine DOMAIN`".into());
                self.push(
                    Diagnostic::error(w.span, format!("unknown behaviour response `{}`", w.text))
                        .with_help(help),
                );
                None
            }
            None => None,
        };
        match (ok, threshold, window, max_ops, response) {
            (true, Some(anomaly_threshold), Some(window_ms), Some(max_ops), Some(response)) => {
                Some(Behaviour {
                    anomaly_threshold,
                    window_ms,
                    max_ops,
                    response,
                })
            }
            _ => None,
        }
    }
}

/// The keyword of a path match kind.
pub fn path_kind_name(kind: PathMatch) -> &'static str {
    match kind {
        PathMatch::Exact => "exact",
        PathMatch::Prefix => "prefix",
        PathMatch::Glob => "glob",
    }
}

/// `a`, `a and b`, `a, b and c`.
fn english_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
