//! The seed's command-line rule form (`tcp-policy add|delete --subject --object --class
//! --permission --decision`) on a policy model, checked against the same rules written in
//! the language.

use tcp_policy_compiler::{apply_rule_args, compile_source, decompile, Policy};

fn compile(text: &str) -> Policy {
    compile_source("test", text).unwrap_or_else(|e| panic!("{e:?}"))
}

fn add(p: &mut Policy, subject: &str, object: &str, class: &str, perm: &str, decision: &str) {
    apply_rule_args(p, subject, object, class, perm, decision, true)
        .unwrap_or_else(|e| panic!("{e}"));
}

fn delete(p: &mut Policy, subject: &str, object: &str, class: &str, perm: &str, decision: &str) {
    apply_rule_args(p, subject, object, class, perm, decision, false)
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn seed_example_maps_onto_the_language() {
    let mut p = Policy::default();
    add(&mut p, "ai_agent", "training_data", "file", "read", "allow");
    assert_eq!(
        p,
        compile("type training_data; domain ai_agent { allow file training_data read; }")
    );
}

#[test]
fn add_merges_and_delete_removes_bits_then_rules() {
    let mut p = compile("type t { prefix /t; } type u; domain d { allow file t read; }");
    add(&mut p, "d", "t", "file", "write,create", "allow");
    add(&mut p, "d", "u", "file", "all", "deny");
    assert_eq!(p, compile("type t { prefix /t; } type u; domain d { allow file t { read write create }; deny file u all; }"));
    delete(&mut p, "d", "t", "file", "read,write,create", "allow");
    delete(&mut p, "d", "u", "file", "read", "deny");
    let all_but_read = "write append execute create unlink rename link setattr getattr xattr ioctl lock mmap chdir \
                        mkdir rmdir mknod symlink readdir";
    let expected = compile(&format!(
        "type t {{ prefix /t; }} type u; domain d {{ deny file u {{ {all_but_read} }}; }}"
    ));
    assert_eq!(p, expected);
}

#[test]
fn every_class_matches_its_statement() {
    let mut p = compile("type t; domain d { } domain q { }");
    add(&mut p, "d", "t", "file", "read", "allow");
    add(
        &mut p,
        "d",
        "inet tcp 203.0.113.10/32 port 443",
        "net",
        "connect",
        "allow",
    );
    add(
        &mut p,
        "d",
        "inet tcp 203.0.113.10 port 443",
        "net",
        "send",
        "allow",
    );
    add(&mut p, "d", "unix @proxy", "net", "connect", "allow");
    add(
        &mut p,
        "d",
        "inet6 udp 2001:db8::/32 port 53",
        "net",
        "connect",
        "deny",
    );
    add(&mut p, "d", "-", "capability", "chown,kill", "allow");
    add(&mut p, "d", "", "signal", "same-domain", "allow");
    add(&mut p, "d", "-", "ptrace", "any", "allow");
    add(&mut p, "d", "-", "ipc", "shm", "allow");
    add(&mut p, "d", "-", "system", "time,bpf", "allow");
    add(&mut p, "d", "-", "process", "setsid", "allow");
    add(&mut p, "d", "-", "capability", "kill", "deny");
    let expected = compile(
        "type t; domain q { }
         domain d {
             allow file t read;
             allow net { connect send } inet tcp 203.0.113.10 port 443;
             allow net connect unix @proxy;
             deny net connect inet6 udp 2001:db8::/32 port 53;
             allow capability { chown kill };
             deny capability kill;
             allow signal same-domain;
             allow ptrace any;
             allow ipc shm;
             allow system { time bpf };
             allow process setsid;
         }",
    );
    assert_eq!(p, expected);
    delete(
        &mut p,
        "d",
        "inet tcp 203.0.113.10/32 port 443",
        "net",
        "connect,send",
        "allow",
    );
    delete(&mut p, "d", "-", "system", "all", "allow");
    let after = compile(
        "type t; domain q { }
         domain d {
             allow file t read;
             allow net connect unix @proxy;
             deny net connect inet6 udp 2001:db8::/32 port 53;
             allow capability chown;
             allow signal same-domain;
             allow ptrace any;
             allow ipc shm;
             allow process setsid;
         }",
    );
    assert_eq!(p, after);
}

#[test]
fn new_names_keep_ids_consistent() {
    let example = include_str!("../../examples/coding-agent.policy");
    let mut p = compile(example);
    add(&mut p, "aaa_first", "aaa_type", "file", "read", "allow");
    add(&mut p, "coding_agent", "aaa_type", "file", "write", "allow");
    // The policy stays canonical: its text compiles back to it.
    let again = compile(&decompile(&p));
    assert_eq!(p, again);
    let text = decompile(&p);
    assert!(
        text.contains("domain aaa_first {\n    allow file aaa_type read;\n}"),
        "{text}"
    );
    assert!(text.contains("allow file aaa_type write;"), "{text}");
    assert!(
        text.contains("response quarantine agent_quarantine;"),
        "{text}"
    );
}

fn err(p: &mut Policy, args: [&str; 5], add: bool) -> String {
    let before = p.clone();
    let [s, o, c, perm, d] = args;
    let e = apply_rule_args(p, s, o, c, perm, d, add).expect_err("must fail");
    assert_eq!(
        *p, before,
        "a failed command must leave the policy unchanged"
    );
    e
}

#[test]
fn errors_are_clear_and_change_nothing() {
    let mut p = compile("type training_data; domain ai_agent { allow file training_data read; }");
    let e = err(
        &mut p,
        ["ai_agent", "training_data", "file", "wrte", "allow"],
        true,
    );
    assert!(
        e.contains("unknown file permission `wrte`") && e.contains("did you mean `write`?"),
        "{e}"
    );
    let e = err(
        &mut p,
        ["ai_agent", "training_data", "fiel", "read", "allow"],
        true,
    );
    assert!(
        e.contains("unknown class `fiel`") && e.contains("did you mean `file`?"),
        "{e}"
    );
    let e = err(
        &mut p,
        ["ai_agent", "training_data", "file", "read", "permit"],
        true,
    );
    assert!(e.contains("unknown decision"), "{e}");
    let e = err(
        &mut p,
        ["ai agent", "training_data", "file", "read", "allow"],
        true,
    );
    assert!(e.contains("invalid domain name"), "{e}");
    let e = err(
        &mut p,
        ["ai_agnet", "training_data", "file", "read", "allow"],
        false,
    );
    assert!(
        e.contains("no domain `ai_agnet`") && e.contains("did you mean `ai_agent`?"),
        "{e}"
    );
    let e = err(
        &mut p,
        ["ai_agent", "training_dat", "file", "read", "allow"],
        false,
    );
    assert!(e.contains("no type `training_dat`"), "{e}");
    let e = err(
        &mut p,
        ["ai_agent", "training_data", "file", "read", "deny"],
        false,
    );
    assert!(e.contains("has no deny rule"), "{e}");
    let e = err(
        &mut p,
        ["ai_agent", "x", "capability", "chown", "allow"],
        true,
    );
    assert!(e.contains("takes no object"), "{e}");
    let e = err(
        &mut p,
        ["ai_agent", "-", "capability", "CAP_CHOWN", "allow"],
        true,
    );
    assert!(e.contains("write `chown`"), "{e}");
    let e = err(
        &mut p,
        ["ai_agent", "-", "capability", "chown", "deny"],
        false,
    );
    assert!(e.contains("no deny rule to delete"), "{e}");
    let e = err(
        &mut p,
        ["ai_agent", "inet tcp 10.0.0.1/8", "net", "connect", "allow"],
        true,
    );
    assert!(e.contains("host bits") && e.contains("10.0.0.0/8"), "{e}");
    let e = err(
        &mut p,
        ["ai_agent", "tcp 10.0.0.1", "net", "connect", "allow"],
        true,
    );
    assert!(e.contains("address family"), "{e}");
    let e = err(
        &mut p,
        [
            "ai_agent",
            "inet tcp 10.0.0.1 port 80 x",
            "net",
            "connect",
            "allow",
        ],
        true,
    );
    assert!(e.contains("network target"), "{e}");
    let e = err(
        &mut p,
        ["ai_agent", "training_data", "file", "", "allow"],
        true,
    );
    assert!(e.contains("no permission"), "{e}");
}
