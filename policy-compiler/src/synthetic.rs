//! Large, realistic policies for benchmarks (compile time here, load time in the kernel).

use std::fmt::Write as _;

/// Rules per synthetic domain.
const RULES_PER_DOMAIN: usize = 100;
/// Of those, file rules (the rest are network rules).
const FILE_RULES_PER_DOMAIN: usize = 80;

/// Policy text with `rules` `allow`/`deny` rules (each one a distinct rule of the compiled
/// policy): one domain per 100 rules (80 file rules on distinct types, 20 network rules on
/// distinct IPv4/IPv6 targets), one object type per 10 rules (at least 100, each with a
/// prefix path and every third with a glob too), an exec transition into every domain, a
/// quarantine domain, capability/signal/system sets and behaviour limits. Deterministic:
/// the same `rules` gives the same text.
pub fn synthetic_policy(rules: usize) -> String {
    let domains = rules.div_ceil(RULES_PER_DOMAIN);
    let types = (rules / 10).max(FILE_RULES_PER_DOMAIN + 20);
    let mut s = String::with_capacity(rules * 64 + types * 80);
    let _ = writeln!(
        s,
        "# synthetic policy: {rules} rules, {domains} domains, {types} types"
    );
    s.push_str("mode enforce;\nheartbeat timeout 30s action deny-network;\n\n");
    for t in 0..types {
        let _ = write!(
            s,
            "type t{t:05}{} {{\n    prefix /srv/data/t{t:05};\n",
            if t % 50 == 0 { " protected" } else { "" }
        );
        if t % 3 == 0 {
            let _ = writeln!(s, "    glob /srv/cache/t{t:05}/**/*.bin;");
        }
        s.push_str("}\n");
    }
    s.push_str("\ndomain quarantined {\n    mode enforce;\n    allow file t00001 read;\n}\n");
    let mut left = rules;
    for d in 0..domains {
        let here = left.min(RULES_PER_DOMAIN);
        left -= here;
        let _ = writeln!(s, "\nexec /opt/agents/agent{d:05} -> agent{d:05};");
        let _ = writeln!(s, "domain agent{d:05} {{");
        if d % 4 == 1 {
            s.push_str("    mode alert;\n");
        }
        for j in 0..here {
            if j < FILE_RULES_PER_DOMAIN {
                let t = (d * 37 + j) % types;
                let line = match j % 10 {
                    _ if t % 50 == 0 => format!("    allow file t{t:05} {{ read getattr }};\n"),
                    0 => format!("    deny file t{t:05} {{ write unlink }};\n"),
                    1 | 2 => format!("    allow file t{t:05} {{ read execute mmap getattr }};\n"),
                    3 => format!("    allow file t{t:05} all;\n"),
                    _ => format!(
                        "    allow file t{t:05} {{ read write create rename mkdir readdir }};\n"
                    ),
                };
                s.push_str(&line);
            } else if j % 5 == 0 {
                let _ = writeln!(s, "    allow net {{ connect send }} inet6 tcp 2001:db8:{d:x}:{j:x}::/64 port 443;");
            } else if j % 7 == 0 {
                let _ = writeln!(
                    s,
                    "    allow net {{ bind listen accept }} inet tcp 127.0.0.1 port {}-{};",
                    3000 + j,
                    3100 + j
                );
            } else {
                let _ = writeln!(
                    s,
                    "    allow net connect inet {} 10.{}.{}.{j}/32 port {};",
                    if j % 2 == 0 { "tcp" } else { "udp" },
                    (d >> 8) & 0xff,
                    d & 0xff,
                    1000 + j
                );
            }
        }
        s.push_str(
            "    allow capability { chown net_bind_service };\n    allow signal same-domain;\n",
        );
        s.push_str("    allow system time;\n    allow ipc shm;\n");
        s.push_str("    behaviour threshold 500 window 10s max-ops 20000 response quarantine quarantined;\n");
        let _ = writeln!(
            s,
            "    exec /usr/bin/helper{} -> agent{:05};",
            d % 7,
            (d + 1) % domains.max(1)
        );
        s.push_str("}\n");
    }
    s
}
