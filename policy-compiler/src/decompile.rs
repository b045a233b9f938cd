//! Decompiling: a [`Policy`] (usually decoded from `policy.bin`) back to canonical text.
//!
//! The text compiles back to the same policy: `compile(decompile(p)) == p` for every
//! policy the compiler produces and every blob the decoder accepts. The layout is fixed
//! (settings, types, transitions from unconfined tasks, domains; each in canonical order),
//! so it also serves as a readable dump.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::lexer::quote_if_needed;
use crate::lower::path_kind_name;
use crate::values::{format_duration, hex};
use tcp_lsm_engine::model::{
    Decision, Domain, NetFamily, NetRule, Policy, Protocol, Response, Transition,
};
use tcp_lsm_engine::perm::{self, all_bits, Class};

/// The canonical text of `policy`.
pub fn decompile(policy: &Policy) -> String {
    let mut out =
        String::from("# TCP LSM policy, canonical form (tcp-policy-compiler decompile)\n");
    let mut settings = String::new();
    if let Some(mode) = policy.settings.mode {
        let _ = writeln!(settings, "mode {mode};");
    }
    if let Some(hb) = policy.settings.heartbeat {
        let _ = writeln!(
            settings,
            "heartbeat timeout {} action {};",
            format_duration(hb.timeout_ms),
            hb.action.name()
        );
    }
    if !settings.is_empty() {
        out.push('\n');
        out.push_str(&settings);
    }

    for (i, t) in policy.types.iter().enumerate() {
        let id = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if t.name.starts_with(perm::INTERNAL_PREFIX) {
            // Built-in: declared by the rules that name it.
            continue;
        }
        out.push('\n');
        let _ = write!(
            out,
            "type {}{}",
            t.name,
            if t.protected { " protected" } else { "" }
        );
        let paths: Vec<_> = policy.paths.iter().filter(|p| p.type_id == id).collect();
        if paths.is_empty() {
            out.push_str(";\n");
        } else {
            out.push_str(" {\n");
            for p in paths {
                let _ = writeln!(
                    out,
                    "    {} {};",
                    path_kind_name(p.kind),
                    quote_if_needed(&p.pattern)
                );
            }
            out.push_str("}\n");
        }
    }

    let top: Vec<_> = policy.transitions.iter().filter(|t| t.from == 0).collect();
    if !top.is_empty() {
        out.push('\n');
        for t in top {
            let _ = writeln!(out, "{}", exec_line(policy, t));
        }
    }

    for (i, d) in policy.domains.iter().enumerate() {
        let id = u32::try_from(i + 1).unwrap_or(u32::MAX);
        out.push('\n');
        domain_block(&mut out, policy, d, id);
    }
    out
}

fn domain_name(policy: &Policy, id: u32) -> &str {
    usize::try_from(id)
        .ok()
        .and_then(|i| i.checked_sub(1))
        .and_then(|i| policy.domains.get(i))
        .map_or("_undefined_domain", |d| d.name.as_str())
}

fn type_name(policy: &Policy, id: u32) -> &str {
    usize::try_from(id)
        .ok()
        .and_then(|i| i.checked_sub(1))
        .and_then(|i| policy.types.get(i))
        .map_or("_undefined_type", |t| t.name.as_str())
}

fn exec_line(policy: &Policy, t: &Transition) -> String {
    let digest = t
        .digest
        .map(|d| format!(" sha256 {}", hex(&d)))
        .unwrap_or_default();
    format!(
        "exec {}{digest} -> {};",
        quote_if_needed(&t.exe),
        domain_name(policy, t.to)
    )
}

/// `name`, `{ a b c }` or `all`.
pub fn perm_list(class: Class, bits: u64) -> String {
    let names = class.permission_names();
    let all = all_bits(names.len());
    if bits & all == all {
        return "all".into();
    }
    let set = perm_names(class, bits);
    match set.as_slice() {
        [one] => (*one).to_string(),
        many => {
            let line = format!("{{ {} }}", many.join(" "));
            if line.len() <= WRAP {
                return line;
            }
            // Long sets (capabilities) go on indented lines of at most WRAP characters.
            let mut out = String::from("{");
            let mut width = WRAP;
            for name in many {
                if width + 1 + name.len() > WRAP {
                    out.push_str("\n       ");
                    width = 7;
                }
                out.push(' ');
                out.push_str(name);
                width += 1 + name.len();
            }
            out.push_str("\n    }");
            out
        }
    }
}

/// Longest line of a wrapped permission set.
const WRAP: usize = 80;

fn decision(d: Decision) -> &'static str {
    match d {
        Decision::Allow => "allow",
        Decision::Deny => "deny",
    }
}

/// The target of a network rule as written in the language.
pub fn net_target(rule: &NetRule) -> String {
    let mut s = String::new();
    match rule.family {
        NetFamily::Unix => {
            s.push_str("unix");
            if !rule.unix_path.is_empty() {
                s.push(' ');
                s.push_str(&quote_if_needed(&rule.unix_path));
            }
            return s;
        }
        NetFamily::Inet => s.push_str("inet"),
        NetFamily::Inet6 => s.push_str("inet6"),
    }
    match rule.protocol {
        Protocol::Any => {}
        Protocol::Tcp => s.push_str(" tcp"),
        Protocol::Udp => s.push_str(" udp"),
    }
    if rule.prefix_len > 0 || rule.addr != [0; 16] {
        let (addr, host) = if rule.family == NetFamily::Inet {
            let mut o = [0u8; 4];
            o.copy_from_slice(rule.addr.get(..4).unwrap_or(&[0; 4]));
            (Ipv4Addr::from(o).to_string(), 32)
        } else {
            (Ipv6Addr::from(rule.addr).to_string(), 128)
        };
        if rule.prefix_len == host {
            let _ = write!(s, " {addr}");
        } else {
            let _ = write!(s, " {addr}/{}", rule.prefix_len);
        }
    }
    if (rule.port_lo, rule.port_hi) != (0, 65_535) {
        if rule.port_lo == rule.port_hi {
            let _ = write!(s, " port {}", rule.port_lo);
        } else {
            let _ = write!(s, " port {}-{}", rule.port_lo, rule.port_hi);
        }
    }
    s
}

fn domain_block(out: &mut String, policy: &Policy, d: &Domain, id: u32) {
    let _ = writeln!(out, "domain {} {{", d.name);
    if let Some(mode) = d.mode {
        let _ = writeln!(out, "    mode {mode};");
    }
    for f in &d.files {
        let _ = writeln!(
            out,
            "    {} file {} {};",
            decision(f.decision),
            type_name(policy, f.type_id),
            perm_list(Class::File, u64::from(f.perms))
        );
    }
    for n in &d.net {
        let _ = writeln!(
            out,
            "    {} net {} {};",
            decision(n.decision),
            perm_list(Class::Net, u64::from(n.ops)),
            net_target(n)
        );
    }
    let sets = [
        (Class::Capability, d.capabilities),
        (Class::Signal, u64::from(d.signal)),
        (Class::Ptrace, u64::from(d.ptrace)),
        (Class::Ipc, u64::from(d.ipc)),
        (Class::System, u64::from(d.system)),
        (Class::Process, u64::from(d.process)),
    ];
    for (class, bits) in sets {
        let bits = bits & all_bits(class.permission_names().len());
        if bits != 0 {
            let _ = writeln!(
                out,
                "    allow {} {};",
                class.name(),
                perm_list(class, bits)
            );
        }
    }
    if let Some(b) = d.behaviour {
        let response = match b.response {
            Response::Audit => "audit".to_string(),
            Response::Quarantine(q) => format!("quarantine {}", domain_name(policy, q)),
        };
        let max_ops = if b.max_ops == 0 {
            String::new()
        } else {
            format!(" max-ops {}", b.max_ops)
        };
        let _ = writeln!(
            out,
            "    behaviour threshold {} window {}{max_ops} response {response};",
            b.anomaly_threshold,
            format_duration(b.window_ms)
        );
    }
    for t in policy.transitions.iter().filter(|t| t.from == id) {
        let _ = writeln!(out, "    {}", exec_line(policy, t));
    }
    out.push_str("}\n");
}

/// Names of the bits of `bits` in `class`, for messages.
pub fn perm_names(class: Class, bits: u64) -> Vec<&'static str> {
    class
        .permission_names()
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            u32::try_from(*i)
                .ok()
                .and_then(|i| 1u64.checked_shl(i))
                .is_some_and(|b| bits & b != 0)
        })
        .map(|(_, n)| *n)
        .collect()
}
