//! The seed's command-line rule form on a policy model:
//! `tcp-policy add|delete --subject=S --object=O --class=C --permission=P --decision=D`.
//!
//! | class | object | permission |
//! | --- | --- | --- |
//! | `file` | an object type name | file permissions |
//! | `net` | a network target in the language's syntax (`inet tcp 203.0.113.10 port 443`, `unix /run/x.sock`) | network operations |
//! | `capability`, `signal`, `ptrace`, `ipc`, `system`, `process` | `-` or empty | names of the class |
//!
//! `permission` may list several names separated by commas, or be `all`. `add` is the
//! statement `DECISION CLASS [OBJECT] PERMISSION;` inside `domain SUBJECT { }`: it creates
//! the domain (and, for `file`, the type) when missing. `delete` removes the permission
//! bits from the matching rule and drops rules left empty; the subject, type and rule must
//! exist. Set classes store only allowed bits: `add --decision=deny` removes bits (deny
//! overrides allow) and `delete --decision=deny` is refused.

use crate::ast::{Class, Perms, Word};
use crate::diagnostic::{Diagnostic, Span};
use crate::lexer::lex;
use crate::lower::{net_key, perm_bits, NetKey};
use crate::parser::parse_net_target;
use crate::suggest::did_you_mean;
use crate::values::is_valid_name;
use tcp_lsm_engine::model::{Decision, Domain, FileRule, ObjectType, Policy};

fn message(d: &Diagnostic) -> String {
    match &d.help {
        Some(help) => format!("{} ({help})", d.message),
        None => d.message.clone(),
    }
}

fn messages(diags: &[Diagnostic]) -> String {
    diags.iter().map(message).collect::<Vec<_>>().join("; ")
}

fn check_name(name: &str, what: &str) -> Result<(), String> {
    if is_valid_name(name) {
        Ok(())
    } else {
        Err(format!(
            "invalid {what} name `{name}`: a name is 1 to 64 bytes, starts with a letter or `_` and continues with letters, digits, `_`, `.` or `-`"
        ))
    }
}

/// Applies one command-line rule to `policy` (`add` true for `tcp-policy add`, false for
/// `tcp-policy delete`) and leaves it canonical. On error the policy is unchanged.
pub fn apply_rule_args(
    policy: &mut Policy,
    subject: &str,
    object: &str,
    class: &str,
    permission: &str,
    decision: &str,
    add: bool,
) -> Result<(), String> {
    let mut work = policy.clone();
    apply(&mut work, subject, object, class, permission, decision, add)?;
    work.canonicalize();
    *policy = work;
    Ok(())
}

fn apply(
    policy: &mut Policy,
    subject: &str,
    object: &str,
    class_name: &str,
    permission: &str,
    decision: &str,
    add: bool,
) -> Result<(), String> {
    let decision = match decision {
        "allow" => Decision::Allow,
        "deny" => Decision::Deny,
        other => {
            return Err(format!(
                "unknown decision `{other}` (expected `allow` or `deny`)"
            ))
        }
    };
    let class = Class::from_name(class_name).ok_or_else(|| {
        let dym = did_you_mean(class_name, Class::ALL.iter().map(|c| c.name())).map(|d| format!("{d} ")).unwrap_or_default();
        format!("unknown class `{class_name}` ({dym}classes: file, net, capability, signal, ptrace, ipc, system, process)")
    })?;
    let names: Vec<Word> = permission
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| Word {
            text: s.to_string(),
            span: Span::point(0),
        })
        .collect();
    if names.is_empty() {
        return Err(format!("no permission given for class `{}`", class.name()));
    }
    let mut diags = Vec::new();
    let bits = perm_bits(
        class,
        &Perms {
            names,
            span: Span::point(0),
        },
        &mut diags,
    )
    .ok_or_else(|| messages(&diags))?;
    check_name(subject, "domain")?;

    let domain_index = match policy.domains.iter().position(|d| d.name == subject) {
        Some(i) => i,
        None if add => {
            policy.domains.push(Domain {
                name: subject.to_string(),
                ..Domain::default()
            });
            policy.domains.len() - 1
        }
        None => {
            let dym = did_you_mean(subject, policy.domains.iter().map(|d| d.name.as_str()))
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            return Err(format!("no domain `{subject}` in the policy{dym}"));
        }
    };

    let object = object.trim();
    match class {
        Class::File => {
            check_name(object, "type")?;
            let type_id = match policy.type_id(object) {
                Some(id) => id,
                None if add => {
                    policy.types.push(ObjectType {
                        name: object.to_string(),
                        protected: false,
                    });
                    u32::try_from(policy.types.len()).map_err(|_| "too many types".to_string())?
                }
                None => {
                    let dym = did_you_mean(object, policy.types.iter().map(|t| t.name.as_str()))
                        .map(|d| format!(" ({d})"))
                        .unwrap_or_default();
                    return Err(format!("no type `{object}` in the policy{dym}"));
                }
            };
            let perms = u32::try_from(bits).map_err(|_| "bad permission bits".to_string())?;
            let domain = policy
                .domains
                .get_mut(domain_index)
                .ok_or("internal error: domain index")?;
            if add {
                domain.files.push(FileRule {
                    type_id,
                    decision,
                    perms,
                });
            } else {
                let rule = domain
                    .files
                    .iter_mut()
                    .find(|f| f.type_id == type_id && f.decision == decision)
                    .ok_or_else(|| {
                        format!(
                            "domain `{subject}` has no {} rule on type `{object}`",
                            decision_name(decision)
                        )
                    })?;
                rule.perms &= !perms;
            }
        }
        Class::Net => {
            let key = parse_object_target(object)?;
            let ops = u32::try_from(bits).map_err(|_| "bad operation bits".to_string())?;
            let domain = policy
                .domains
                .get_mut(domain_index)
                .ok_or("internal error: domain index")?;
            let existing = domain
                .net
                .iter_mut()
                .find(|n| n.decision == decision && NetKey::of(n) == key);
            match (existing, add) {
                (Some(rule), true) => rule.ops |= ops,
                (None, true) => domain.net.push(key.rule(decision, ops)),
                (Some(rule), false) => rule.ops &= !ops,
                (None, false) => {
                    return Err(format!(
                        "domain `{subject}` has no {} net rule for `{object}`",
                        decision_name(decision)
                    ))
                }
            }
        }
        set_class => {
            if !(object.is_empty() || object == "-") {
                return Err(format!(
                    "class `{}` takes no object: pass --object=- or leave it empty",
                    set_class.name()
                ));
            }
            if !add && decision == Decision::Deny {
                return Err(format!(
                    "class `{}` stores only allowed permissions; there is no deny rule to delete (delete the allow rule instead)",
                    set_class.name()
                ));
            }
            let domain = policy
                .domains
                .get_mut(domain_index)
                .ok_or("internal error: domain index")?;
            let grant = add && decision == Decision::Allow;
            let narrow = u32::try_from(bits).unwrap_or(u32::MAX);
            let update32 = |v: &mut u32| if grant { *v |= narrow } else { *v &= !narrow };
            match set_class {
                Class::Capability => {
                    if grant {
                        domain.capabilities |= bits;
                    } else {
                        domain.capabilities &= !bits;
                    }
                }
                Class::Signal => update32(&mut domain.signal),
                Class::Ptrace => update32(&mut domain.ptrace),
                Class::Ipc => update32(&mut domain.ipc),
                Class::System => update32(&mut domain.system),
                _ => update32(&mut domain.process),
            }
        }
    }
    Ok(())
}

fn decision_name(d: Decision) -> &'static str {
    match d {
        Decision::Allow => "allow",
        Decision::Deny => "deny",
    }
}

/// Parses `--object` of class `net` as a network target in the language's syntax.
fn parse_object_target(object: &str) -> Result<NetKey, String> {
    let mut diags = Vec::new();
    let tokens = lex(object, &mut diags);
    if !diags.is_empty() {
        return Err(format!("network target `{object}`: {}", messages(&diags)));
    }
    let target = parse_net_target(&tokens, &mut diags);
    let key = target.and_then(|t| net_key(&t, &mut diags));
    match key {
        Some(key) if diags.is_empty() => Ok(key),
        _ => Err(format!(
            "network target `{object}`: {} (write it as in a policy: `inet tcp 203.0.113.10/32 port 443`, `inet6 udp ::1 port 53`, `unix /run/x.sock`)",
            messages(&diags)
        )),
    }
}
