//! The fixture the mediation and reporting suites run in: the test policy, which confines
//! `/bin/tcp-probe` (an exec transition) and defines every domain the tests enter; the
//! setup that makes the files the policy names and loads it; `write` for test files.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use crate::harness::Outcome;

/// The policy the tests load (compiled here with the project's compiler).
const POLICY: &str = r#"
mode enforce;

type work { prefix /tmp/work; }
type readonly { prefix /tmp/ro; }
type xattrs { prefix /tmp/xa; }
type secret protected { prefix /tmp/secret; }
type probe_bin { exact /bin/tcp-probe; exact /bin/tcp-probe-execstack; }
type procfs { prefix /proc; }
type pinned { prefix /tmp/pin; }
type lsm_controls { prefix /sys/kernel/security/tcp; }
type vault protected { prefix /tmp/work/box/vault; }
type scripts { prefix /tmp/scripts; }
type loader { exact /lib64/ld-linux-x86-64.so.2; prefix /lib/x86_64-linux-gnu; }
# The entry point of a transition out of `agent`, inside the agent's workspace.
type entry { exact /tmp/work/gate/bin/wide; }
# A file in the workspace that the agent may only read.
type settings { exact /tmp/work/cfg/settings; }
# A protected file below a directory that does not exist yet.
type keys protected { exact /tmp/work/home/.ssh/authorized_keys; }
# Names at any depth below /tmp/mixed: objects there have no one type.
type markers { glob /tmp/mixed/**/marker; }

exec /bin/tcp-probe -> agent;
exec /tmp/pin/good sha256 @DIGEST@ -> other;
exec /tmp/pin/bad sha256 @DIGEST@ -> other;

domain agent {
    allow file work { read write append create unlink rename link getattr setattr mkdir rmdir readdir symlink mmap };
    allow file readonly { read getattr readdir };
    allow file xattrs { read getattr xattr ioctl lock };
    allow file secret getattr;
    allow file probe_bin { read execute mmap getattr };
    allow file procfs { read getattr };
    # A policy cannot open the LSM's own controls to a domain: self-protection wins.
    allow file lsm_controls { read write };
    allow net { create connect send } inet tcp 127.0.0.1 port 8080;
    allow net { create send } inet udp 127.0.0.1 port 5353;
    allow net create inet6 tcp;
    allow net { create connect } unix /tmp/work/sock;
    allow net { create send } unix /tmp/work/dsock;
    allow file scripts { read execute mmap getattr };
    allow file loader { read execute mmap getattr };
    allow net connect unix @agent-bus;
    allow net { bind listen accept } inet tcp 127.0.0.1 port 9000;
    allow net bind inet tcp 127.0.0.1 port 9001;
    allow net { bind listen } inet tcp 127.0.0.1 port 9002;
    allow capability { chown sys_admin mac_admin };
    allow signal same-domain;
    allow process setpgid;
    allow file entry { read execute mmap getattr };
    allow file settings { read getattr };
    exec /tmp/work/gate/bin/wide -> other;
    allow net bind inet tcp 0.0.0.0 port 9003;
}

domain other {
    allow file probe_bin { read execute mmap getattr };
    allow file entry { read execute mmap getattr };
    allow file pinned { read execute mmap getattr };
    allow capability { setuid setgid sys_time };
    allow process { setuid setgid prctl rlimit };
    allow ipc { shm msg sem };
    allow system { io-uring time };
    allow net create inet tcp;
    allow file procfs { read getattr };
}

# Progressive roll-out: this domain only alerts, whatever the global mode.
domain rollout {
    mode alert;
    allow file probe_bin { read execute mmap getattr };
    allow file procfs { read getattr };
}

# Executes the probe without being allowed to read it.
domain runner {
    allow file probe_bin { execute mmap getattr };
    allow file procfs { read getattr };
}

# Lists every never-granted capability and the bpf operation: none of them is granted.
domain capper {
    allow file probe_bin { read execute mmap getattr };
    allow file procfs { read getattr };
    allow capability { sys_module sys_rawio sys_boot sys_ptrace mac_admin mac_override bpf };
    allow system bpf;
}

# Behaviour limits: more than 40 decisions in a minute.
domain busy {
    allow file probe_bin { read execute mmap getattr };
    allow file procfs { read getattr };
    allow file work { read getattr };
    behaviour threshold 1000 window 60s max-ops 40 response quarantine jail;
}

domain noisy {
    allow file probe_bin { read execute mmap getattr };
    allow file procfs { read getattr };
    allow file work { read getattr };
    behaviour threshold 1000 window 60s max-ops 40 response audit;
}

domain jail {
    allow file probe_bin { read execute mmap getattr };
    allow file procfs { read getattr };
}

# A JIT: executable memory that no file holds (execmem), and memory writable and
# executable at once (execmem-rwx); `flipper` only the first.
domain jit {
    allow file probe_bin { read execute mmap getattr };
    allow file procfs { read getattr };
    allow process { execmem execmem-rwx };
}

domain flipper {
    allow file probe_bin { read execute mmap getattr };
    allow file procfs { read getattr };
    allow process execmem;
}

# Objects of the internal mounts by their built-in types: less than the default ...
domain sealed {
    allow file probe_bin { read execute mmap getattr };
    allow file procfs { read getattr };
    deny file internal.memfd mmap;
    deny file internal.pipe ioctl;
    deny file internal.namespace read;
}

# ... and more: running a memfd it filled (runc-style re-execution).
domain reexec {
    allow file probe_bin { read execute mmap getattr };
    allow file procfs { read getattr };
    allow file loader { read execute mmap getattr };
    allow file internal.memfd execute;
}

domain mounter {
    allow file probe_bin { read execute mmap getattr };
    allow file procfs { read getattr };
    allow capability { sys_admin setgid };
    allow system mount;
}
"#;

pub(crate) fn write(path: &str, content: &str) -> Outcome {
    fs::write(path, content).map_err(|e| format!("write {path}: {e}"))
}

pub(crate) fn setup() -> Outcome {
    // An unconfined copy of the probe (no transition names this path).
    fs::copy("/bin/tcp-probe", "/tmp/tcp-probe-unconfined")
        .map_err(|e| format!("copy probe: {e}"))?;
    for dir in ["/tmp/work", "/tmp/ro", "/tmp/secret", "/tmp/xa"] {
        fs::create_dir_all(dir).map_err(|e| format!("mkdir {dir}: {e}"))?;
    }
    write("/tmp/work/a", "work\n")?;
    write("/tmp/ro/b", "read only\n")?;
    write("/tmp/secret/key", "secret\n")?;
    write("/tmp/xa/c", "attributes\n")?;
    write("/tmp/work/script.sh", "#!/bin/sh\necho script ran\n")?;
    fs::set_permissions("/tmp/work/script.sh", fs::Permissions::from_mode(0o755))
        .map_err(|e| e.to_string())?;
    // Two copies of the probe for the digest-pinned transitions: `good` has the pinned
    // content, `bad` one byte more.
    fs::create_dir_all("/tmp/pin").map_err(|e| e.to_string())?;
    let probe_bytes = fs::read("/bin/tcp-probe").map_err(|e| e.to_string())?;
    fs::write("/tmp/pin/good", &probe_bytes).map_err(|e| e.to_string())?;
    let mut bad = probe_bytes.clone();
    bad.push(0);
    fs::write("/tmp/pin/bad", &bad).map_err(|e| e.to_string())?;
    for f in ["/tmp/pin/good", "/tmp/pin/bad"] {
        fs::set_permissions(f, fs::Permissions::from_mode(0o755)).map_err(|e| e.to_string())?;
    }
    load_policy(&policy_text()?)
}

/// The test policy, with the digest of /bin/tcp-probe filled in.
pub(crate) fn policy_text() -> Result<String, String> {
    let probe_bytes = fs::read("/bin/tcp-probe").map_err(|e| e.to_string())?;
    let digest: String = tcp_lsm_engine::sha256::sha256(&probe_bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(POLICY.replace("@DIGEST@", &digest))
}

/// Compiles and loads a policy text.
pub(crate) fn load_policy(text: &str) -> Outcome {
    let blob = tcp_policy_compiler::compile_to_bytes("mediation.policy", text)
        .map_err(|d| tcp_policy_compiler::render_diagnostics("mediation.policy", text, &d))?;
    crate::helpers::policy_load::load(&blob).map_err(|e| format!("load: {e}"))?;
    Ok(())
}
