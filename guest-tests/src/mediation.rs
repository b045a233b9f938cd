//! Mediation tests: a policy confines `/bin/tcp-probe` (an exec transition), and each test
//! runs the probe for one system call on the allowed path and on the denied path, asserting
//! the outcome (`ok` or the errno). Bypass attempts are among them: exec through a script,
//! a memfd or a mapping; links, renames and symlinks to a protected file; IPv4-mapped IPv6
//! connects; unconnected UDP sends; io_uring; setuid, fork and self-attr requests to leave
//! the domain; writes to securityfs from inside the domain.

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::process::{Child, Command, Stdio};

use crate::harness::{ensure, ensure_eq, Outcome, Test};

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

/// Tests for a kernel booted with `tcp` in `lsm=`; they load their own policy.
pub const ACTIVE: &[Test] = &[
    Test {
        name: "mediation_setup_loads_test_policy",
        run: setup,
    },
    Test {
        name: "domain_entered_by_exec_transition",
        run: domain_entered,
    },
    Test {
        name: "domain_shown_by_lsm_get_self_attr",
        run: self_attr_shown,
    },
    Test {
        name: "domain_requested_with_lsm_set_self_attr",
        run: self_attr_exec,
    },
    Test {
        name: "domain_kept_across_fork",
        run: fork_keeps_domain,
    },
    Test {
        name: "domain_kept_across_allowed_setuid",
        run: setuid_keeps_domain,
    },
    Test {
        name: "domain_transition_pinned_by_content_digest",
        run: digest_transition,
    },
    Test {
        name: "domain_cannot_request_another",
        run: confined_cannot_request,
    },
    Test {
        name: "file_open_read_write_by_type",
        run: file_open,
    },
    Test {
        name: "file_create_unlink_mkdir_rmdir_by_type",
        run: file_namespace,
    },
    Test {
        name: "file_getattr_and_setattr_by_type",
        run: file_attrs,
    },
    Test {
        name: "file_xattr_ioctl_lock_by_type",
        run: file_xattr_ioctl_lock,
    },
    Test {
        name: "file_objects_no_name_reached_decided_by_every_type_they_could_have",
        run: unnamed_objects,
    },
    Test {
        name: "file_inherited_descriptors_revalidated",
        run: inherited_fds,
    },
    Test {
        name: "file_protected_type_cannot_be_unlinked_renamed_linked",
        run: protected,
    },
    Test {
        name: "file_symlink_to_denied_file_stays_denied",
        run: symlink_bypass,
    },
    Test {
        name: "exec_allow_list_scripts_and_memfd",
        run: exec_checks,
    },
    Test {
        name: "memory_exec_mappings_checked",
        run: memory,
    },
    Test {
        name: "net_socket_create_by_family_and_type",
        run: net_create,
    },
    Test {
        name: "net_connect_by_address_and_port",
        run: net_connect,
    },
    Test {
        name: "net_ipv4_mapped_ipv6_cannot_dodge_ipv4_rules",
        run: net_mapped,
    },
    Test {
        name: "net_unconnected_udp_send_checked",
        run: net_sendto,
    },
    Test {
        name: "net_bind_and_unix_connect_checked",
        run: net_bind_unix,
    },
    Test {
        name: "net_listen_accept_and_abstract_unix_checked",
        run: net_listen_accept,
    },
    Test {
        name: "capabilities_by_policy_and_never_granted",
        run: capabilities,
    },
    Test {
        name: "signals_and_ptrace_outside_domain_denied",
        run: signals_ptrace,
    },
    Test {
        name: "setuid_denied_without_process_rule",
        run: setuid,
    },
    Test {
        name: "process_prctl_nice_rlimit_setpgid_by_policy",
        run: process_ops,
    },
    Test {
        name: "process_traceme_and_scheduler_by_policy",
        run: more_process_ops,
    },
    Test {
        name: "file_symlink_and_truncate_by_type",
        run: symlink_truncate,
    },
    Test {
        name: "file_timestamps_by_remembered_type",
        run: timestamps,
    },
    Test {
        name: "ipc_creation_denied_without_ipc_rule",
        run: ipc,
    },
    Test {
        name: "system_ops_bpf_io_uring_settime_denied",
        run: system_ops,
    },
    Test {
        name: "system_mount_denied_despite_sys_admin",
        run: mount,
    },
    Test {
        name: "ipc_and_system_ops_allowed_by_policy",
        run: allowed_ipc_system,
    },
    Test {
        name: "io_uring_open_and_connect_still_checked",
        run: uring_bypass,
    },
    Test {
        name: "securityfs_not_writable_from_domain",
        run: self_protection,
    },
    Test {
        name: "unconfined_tasks_unaffected",
        run: unconfined_unaffected,
    },
    Test {
        name: "rejected_load_leaves_policy_enforced",
        run: rejected_load_keeps_policy,
    },
    Test {
        name: "stacked_with_landlock_both_decide",
        run: with_landlock,
    },
    Test {
        name: "monitor_mode_allows_what_enforce_denies",
        run: monitor_mode,
    },
    Test {
        name: "ipc_operations_on_existing_objects_by_policy",
        run: ipc_existing,
    },
    Test {
        name: "process_setgroups_prlimit_getpgid_getsid_by_policy",
        run: process_queries,
    },
    Test {
        name: "system_umount_move_mount_pivot_root_by_policy",
        run: mount_ops,
    },
    Test {
        name: "signals_sigio_to_tasks_outside_domain_dropped",
        run: sigio,
    },
    Test {
        name: "file_descriptors_received_over_unix_sockets_checked",
        run: received_fds,
    },
    Test {
        name: "net_sockets_from_outside_domain_checked_at_use",
        run: foreign_sockets,
    },
    Test {
        name: "always_on_protections_hold_in_monitor_and_alert_mode",
        run: always_on,
    },
    Test {
        name: "capabilities_never_granted_even_when_listed",
        run: never_granted,
    },
    Test {
        name: "memory_file_mappings_need_mmap_and_written_copies_never_run",
        run: memory_more,
    },
    Test {
        name: "net_ip_socket_protocol_must_match_its_type",
        run: net_protocols,
    },
    Test {
        name: "net_unix_symlink_to_another_socket_denied",
        run: unix_symlink_bypass,
    },
    Test {
        name: "file_directory_holding_protected_objects_cannot_move",
        run: protected_parent,
    },
    Test {
        name: "securityfs_descriptor_passed_into_domain_cannot_write",
        run: securityfs_passed_fd,
    },
    Test {
        name: "exec_memfd_fexecve_and_script_interpreter_checked",
        run: exec_more,
    },
    Test {
        name: "exec_through_ld_so_of_unallowed_program_denied",
        run: ld_so_bypass,
    },
    Test {
        name: "heartbeat_stale_cuts_network_or_everything_until_resumed",
        run: heartbeat,
    },
    Test {
        name: "file_type_follows_renames_links_and_mount_moves",
        run: type_follows_names,
    },
    Test {
        name: "behaviour_max_ops_quarantines_or_audits",
        run: behaviour_limits,
    },
    Test {
        name: "confinement_holds_inside_new_namespaces",
        run: namespaces,
    },
    Test {
        name: "file_names_not_taken_over_by_moves_links_or_symlinks",
        run: name_takeover,
    },
    Test {
        name: "exec_transition_refused_through_entry_point_its_domain_wrote",
        run: forged_entrypoint,
    },
    Test {
        name: "net_malformed_addresses_get_the_kernels_errno",
        run: malformed_addresses,
    },
    Test {
        name: "memory_no_executable_heap_or_stack_by_side_doors",
        run: exec_side_doors,
    },
    Test {
        name: "memory_jit_granted_by_execmem_and_execmem_rwx_only",
        run: jit_memory,
    },
    Test {
        name: "file_internal_objects_usable_as_unconfined",
        run: internal_objects,
    },
    Test {
        name: "file_protected_objects_stay_protected_by_any_name_or_mount",
        run: protected_objects,
    },
    Test {
        name: "file_names_longer_than_path_max_get_the_type_below",
        run: long_names,
    },
    Test {
        name: "file_internal_objects_decided_by_their_kind",
        run: internal_kinds,
    },
    Test {
        name: "alert_mode_reports_every_class_of_bypass",
        run: alert_each_class,
    },
];

/// Runs `tcp-probe ARGS` (which enters the `agent` domain) and returns its report.
pub(crate) fn probe(args: &[&str]) -> Result<String, String> {
    let out = Command::new("/bin/tcp-probe")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run tcp-probe: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if !out.status.success() {
        return Err(format!(
            "tcp-probe {args:?} failed ({}): {text}",
            out.status
        ));
    }
    Ok(text)
}

/// Asserts that `tcp-probe ARGS` reports `want`.
pub(crate) fn expect(args: &[&str], want: &str) -> Outcome {
    ensure_eq(
        probe(args)?,
        want.to_owned(),
        &format!("tcp-probe {}", args.join(" ")),
    )
}

fn write(path: &str, content: &str) -> Outcome {
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
    crate::policy::load(&blob).map_err(|e| format!("load: {e}"))?;
    Ok(())
}

/// Whether the shared `/proc/<pid>/attr/current` belongs to another LSM of `lsm=`
/// (AppArmor, SELinux, Smack); with none of them it is nobody's.
fn shared_procattr_owned() -> bool {
    let list = fs::read_to_string("/sys/kernel/security/lsm").unwrap_or_default();
    list.split(',')
        .any(|l| matches!(l.trim(), "apparmor" | "selinux" | "smack"))
}

fn domain_entered() -> Outcome {
    expect(&["self-attr"], "agent")?;
    // tcp's domain is in its own /proc/PID/attr/tcp/ ...
    expect(&["attr-current"], "agent")?;
    let own = fs::read_to_string("/proc/self/attr/tcp/current").map_err(|e| e.to_string())?;
    ensure_eq(
        own,
        "unconfined\n".to_owned(),
        "the test runner's own domain",
    )?;
    // tcp's /proc/PID/attr/tcp/exec shows the domain a request made for the next exec
    // (nothing requested: the runner's own file says so), and is read-only.
    let pending = fs::read_to_string("/proc/self/attr/tcp/exec").map_err(|e| e.to_string())?;
    ensure(
        pending.trim() != "agent",
        format!("nothing requested, yet attr/tcp/exec shows {pending:?}"),
    )?;
    unconfined(&["request-exec", "agent"], "agent")?;
    ensure(
        fs::write("/proc/self/attr/tcp/exec", "agent").is_err(),
        "attr/tcp/exec is not writable",
    )?;
    // ... never in the shared file, which stays the other LSMs' (or nobody's).
    let shared = probe(&["attr-shared"])?;
    if shared_procattr_owned() {
        ensure(
            shared != "agent",
            format!("the shared /proc/self/attr/current shows tcp's domain: {shared}"),
        )?;
    } else {
        ensure_eq(
            shared,
            "errno=EINVAL".to_owned(),
            "the shared /proc/self/attr/current without another LSM",
        )?;
    }
    Ok(())
}

fn self_attr_shown() -> Outcome {
    // From a fresh exec of the probe and from the runner (unconfined).
    expect(&["exec", "/bin/tcp-probe", "self-attr"], "agent")?;
    let out = Command::new("/tmp/tcp-probe-unconfined")
        .arg("self-attr")
        .output()
        .map_err(|e| e.to_string())?;
    ensure_eq(
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        "unconfined".to_owned(),
        "runner's domain",
    )
}

fn self_attr_exec() -> Outcome {
    // An unconfined task asks for `other` at its next exec, then runs a program that no
    // transition names.
    // (tcp-probe cannot ask: its own exec puts it in `agent`; the unconfined helper asks.)
    let report = crate::harness::helper("exec-in", &["other", "/bin/tcp-probe", "self-attr"])?;
    ensure_eq(
        report,
        "other".to_owned(),
        "domain after LSM_ATTR_EXEC request",
    )?;
    // A name that is not a domain of the policy is refused.
    let report = crate::harness::helper("exec-in", &["no_such_domain", "/bin/true"])?;
    ensure_eq(
        report,
        "errno=EINVAL".to_owned(),
        "request for an unknown domain",
    )
}

fn fork_keeps_domain() -> Outcome {
    expect(&["fork-attr"], "agent")
}

fn confined_cannot_request() -> Outcome {
    // tcp-probe runs in `agent` and asks for `other`: refused, domain unchanged.
    expect(
        &["exec-in", "other", "/bin/tcp-probe", "self-attr"],
        "errno=EPERM",
    )
}

fn file_open() -> Outcome {
    expect(&["read", "/tmp/work/a"], "ok")?;
    expect(&["write", "/tmp/work/a"], "ok")?;
    expect(&["read", "/tmp/ro/b"], "ok")?;
    expect(&["write", "/tmp/ro/b"], "errno=EACCES")?;
    expect(&["append", "/tmp/ro/b"], "errno=EACCES")?;
    expect(&["read", "/tmp/secret/key"], "errno=EACCES")?;
    expect(&["read", "/etc/passwd"], "errno=EACCES")
}

fn file_namespace() -> Outcome {
    let _ = fs::remove_file("/tmp/work/new");
    expect(&["create", "/tmp/work/new"], "ok")?;
    expect(&["unlink", "/tmp/work/new"], "ok")?;
    expect(&["mkdir", "/tmp/work/dir"], "ok")?;
    expect(&["rmdir", "/tmp/work/dir"], "ok")?;
    expect(&["create", "/tmp/ro/new"], "errno=EACCES")?;
    expect(&["mkdir", "/tmp/ro/dir"], "errno=EACCES")?;
    expect(&["unlink", "/tmp/ro/b"], "errno=EACCES")?;
    ensure(fs::metadata("/tmp/ro/b").is_ok(), "/tmp/ro/b was removed")
}

fn file_attrs() -> Outcome {
    expect(&["stat", "/tmp/work/a"], "ok")?;
    expect(&["stat", "/tmp/secret/key"], "ok")?;
    expect(&["stat", "/etc/passwd"], "errno=EACCES")?;
    expect(&["chmod", "/tmp/work/a"], "ok")?;
    expect(&["chmod", "/tmp/ro/b"], "errno=EACCES")
}

fn protected() -> Outcome {
    // Even a policy that allowed these could not: the type is protected.
    expect(&["unlink", "/tmp/secret/key"], "errno=EACCES")?;
    expect(
        &["rename", "/tmp/secret/key", "/tmp/work/stolen"],
        "errno=EACCES",
    )?;
    expect(
        &["link", "/tmp/secret/key", "/tmp/work/alias"],
        "errno=EACCES",
    )?;
    // Nor can an allowed file be moved over the protected name.
    expect(
        &["rename", "/tmp/work/a", "/tmp/secret/key"],
        "errno=EACCES",
    )?;
    ensure_eq(
        fs::read_to_string("/tmp/secret/key").map_err(|e| e.to_string())?,
        "secret\n".to_owned(),
        "the protected file",
    )
}

fn symlink_bypass() -> Outcome {
    let _ = fs::remove_file("/tmp/work/link-to-secret");
    symlink("/tmp/secret/key", "/tmp/work/link-to-secret").map_err(|e| e.to_string())?;
    // The open is decided on the file reached, not on the link's name.
    expect(&["read", "/tmp/work/link-to-secret"], "errno=EACCES")
}

fn exec_checks() -> Outcome {
    // The domain's executables: only /bin/tcp-probe.
    expect(&["exec", "/bin/tcp-probe", "self-attr"], "agent")?;
    // `execute` without `read` is enough to run a program (the opens of exec ask for
    // `execute`), and `read` is not given by it.
    ensure_eq(
        probe_in("runner", &["exec", "/bin/tcp-probe", "self-attr"])?,
        "runner".to_owned(),
        "exec in a domain with execute but not read",
    )?;
    ensure_eq(
        probe_in("runner", &["read", "/bin/tcp-probe"])?,
        "errno=EACCES".to_owned(),
        "read in domain runner",
    )?;
    expect(&["exec", "/bin/busybox", "true"], "errno=EACCES")?;
    // A script in an allowed-to-read but not executable type.
    expect(&["exec", "/tmp/work/script.sh"], "errno=EACCES")?;
    // A copy of an allowed program in a memfd has no type to execute: the domain may fill
    // the memfd (its own memory) but not run it (one filled elsewhere: `exec_more`).
    expect(&["memfd-exec", "/bin/tcp-probe"], "errno=EACCES")
}

fn memory() -> Outcome {
    expect(&["mmap-read", "/tmp/work/a"], "ok")?;
    expect(&["mmap-exec", "/tmp/work/a"], "errno=EACCES")?;
    expect(&["mmap-exec", "/bin/tcp-probe"], "ok")?;
    expect(&["mmap-anon-rw"], "ok")?;
    expect(&["mmap-anon-exec"], "errno=EACCES")?;
    expect(&["mprotect-exec"], "errno=EACCES")
}

fn net_create() -> Outcome {
    expect(&["socket", "inet", "stream"], "ok")?;
    expect(&["socket", "inet", "dgram"], "ok")?;
    expect(&["socket", "inet6", "stream"], "ok")?;
    expect(&["socket", "inet6", "dgram"], "errno=EACCES")?;
    expect(&["socket", "inet", "raw"], "errno=EACCES")?;
    expect(&["socket", "packet", "raw"], "errno=EACCES")?;
    expect(&["socket", "netlink", "dgram"], "errno=EACCES")
}

fn net_connect() -> Outcome {
    // Allowed: the LSM lets it through, nothing listens.
    expect(&["connect4", "127.0.0.1", "8080"], "errno=ECONNREFUSED")?;
    expect(&["connect4", "127.0.0.1", "8081"], "errno=EACCES")?;
    expect(&["connect4", "127.0.0.2", "8080"], "errno=EACCES")
}

fn net_mapped() -> Outcome {
    expect(
        &["connect6", "::ffff:127.0.0.1", "8080"],
        "errno=ECONNREFUSED",
    )?;
    expect(&["connect6", "::ffff:127.0.0.1", "9090"], "errno=EACCES")?;
    expect(&["connect6", "::1", "8080"], "errno=EACCES")
}

fn net_sendto() -> Outcome {
    expect(&["sendto4", "127.0.0.1", "5353"], "ok")?;
    expect(&["sendto4", "127.0.0.1", "5354"], "errno=EACCES")
}

fn net_bind_unix() -> Outcome {
    expect(&["bind4", "127.0.0.1", "8080"], "errno=EACCES")?;
    expect(&["connect-unix", "/tmp/work/sock"], "errno=ENOENT")?;
    expect(&["connect-unix", "/tmp/other.sock"], "errno=EACCES")
}

fn capabilities() -> Outcome {
    // Page 0 takes CAP_SYS_RAWIO, which commoncap checks on its own (mmap_addr).
    ensure_eq(
        probe_unconfined(&["mmap-low"])?,
        "ok".to_owned(),
        "unconfined mapping of page 0",
    )?;
    expect(&["mmap-low"], "errno=EPERM")?;
    expect(&["chown", "/tmp/work/a"], "ok")?;
    expect(&["sethostname"], "ok")?;
    expect(&["settime"], "errno=EPERM")
}

/// Starts an unconfined process that waits.
fn sleeper() -> Result<Child, String> {
    Command::new("/bin/busybox")
        .args(["sleep", "30"])
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())
}

fn signals_ptrace() -> Outcome {
    let mut child = sleeper()?;
    let pid = child.id().to_string();
    let result = expect(&["kill", &pid], "errno=EPERM")
        .and_then(|()| expect(&["ptrace", &pid], "errno=EPERM"));
    let _ = child.kill();
    let _ = child.wait();
    result
}

fn setuid() -> Outcome {
    expect(&["setuid"], "errno=EPERM")
}

fn ipc() -> Outcome {
    expect(&["shmget"], "errno=EACCES")?;
    expect(&["msgget"], "errno=EACCES")?;
    expect(&["semget"], "errno=EACCES")
}

fn system_ops() -> Outcome {
    expect(&["bpf"], "errno=EPERM")?;
    expect(&["io-uring"], "errno=EPERM")?;
    // The SQPOLL thread is refused (uring_sqpoll) before the ring exists.
    expect(&["io-uring-sqpoll"], "errno=EPERM")?;
    expect(&["settime"], "errno=EPERM")
}

fn self_protection() -> Outcome {
    // The policy allows writing these files and lists mac_admin, yet no confined task may
    // write here: mac_admin is never granted and the files refuse confined writers.
    expect(&["write", "/sys/kernel/security/tcp/mode"], "errno=EPERM")?;
    expect(&["write", "/sys/kernel/security/tcp/policy"], "errno=EPERM")?;
    expect(&["read", "/sys/kernel/security/tcp/mode"], "ok")
}

fn unconfined_unaffected() -> Outcome {
    // The runner (unconfined) does what the domain may not.
    fs::read_to_string("/etc/passwd").map_err(|e| format!("unconfined read: {e}"))?;
    fs::write("/tmp/ro/b", "read only\n").map_err(|e| format!("unconfined write: {e}"))?;
    Ok(())
}

fn monitor_mode() -> Outcome {
    let set = |m: &str| fs::write("/sys/kernel/security/tcp/mode", m).map_err(|e| e.to_string());
    set("monitor")?;
    let result = expect(&["write", "/tmp/ro/b"], "ok")
        .and_then(|()| expect(&["connect4", "127.0.0.1", "8081"], "errno=ECONNREFUSED"));
    set("enforce")?;
    result?;
    expect(&["write", "/tmp/ro/b"], "errno=EACCES")
}

fn file_xattr_ioctl_lock() -> Outcome {
    // The xattr hooks see only the inode: its type is the one remembered when a path
    // check (here the stat) classified it under the policy in force.
    expect(&["stat", "/tmp/xa/c"], "ok")?;
    expect(&["setxattr", "/tmp/xa/c"], "ok")?;
    expect(&["getxattr", "/tmp/xa/c"], "ok")?;
    expect(&["listxattr", "/tmp/xa/c"], "ok")?;
    expect(&["removexattr", "/tmp/xa/c"], "ok")?;
    expect(&["stat", "/tmp/ro/b"], "ok")?;
    expect(&["setxattr", "/tmp/ro/b"], "errno=EACCES")?;
    expect(&["getxattr", "/tmp/ro/b"], "errno=ENODATA")?;
    expect(&["ioctl", "/tmp/xa/c"], "ok")?;
    expect(&["ioctl", "/tmp/ro/b"], "errno=EACCES")?;
    expect(&["flock", "/tmp/xa/c"], "ok")?;
    expect(&["flock", "/tmp/ro/b"], "errno=EACCES")?;
    expect(&["fcntl-lock", "/tmp/xa/c"], "ok")?;
    expect(&["fcntl-lock", "/tmp/ro/b"], "errno=EACCES")
}

fn unnamed_objects() -> Outcome {
    // The xattr hooks and setattr see only an inode. One that no name has reached under the
    // policy in force (made after the load, never looked at through a hook that has its
    // path, as the layers overlayfs finds for itself at mount time) has an unknown type:
    // allowed what the domain may do on every type an object can have, refused the rest
    // (a would-be denial in alert mode). The unconfined control does it all.
    const WIDE: &str = "type everything { prefix /; }\n\
        type keys protected { prefix /tmp/work/keys; }\n\
        domain wide { allow file everything all; allow file keys all; }\n\
        domain narrow { allow file everything { read getattr execute mmap }; allow file keys { read getattr }; }\n\
        domain partial { allow file everything all; }\n\
        domain watch { mode alert; }\n";
    load_policy(WIDE)?;
    let result = (|| {
        let fresh = |n: &str| -> Result<String, String> {
            let f = format!("/tmp/work/unnamed-{n}");
            write(&f, "made after the load\n")?;
            Ok(f)
        };
        for (domain, op, want) in [
            ("wide", "setxattr", "ok"),
            ("wide", "getxattr", "ok"),
            ("narrow", "getxattr", "ok"),
            ("narrow", "listxattr", "ok"),
            ("narrow", "setxattr", "errno=EACCES"),
            ("narrow", "removexattr", "errno=EACCES"),
            // `keys` may be the type of an unnamed object: only what both types grant.
            ("partial", "getxattr", "errno=EACCES"),
            ("watch", "setxattr", "ok"),
        ] {
            // The confined task's object and the control's, each with the attribute set
            // (by the unconfined runner, which classifies nothing).
            for (f, confined) in [
                (fresh(&format!("{domain}-{op}"))?, true),
                (fresh(&format!("{domain}-{op}-control"))?, false),
            ] {
                unconfined(&["setxattr", &f], "ok")?;
                if confined {
                    ensure_eq(
                        probe_in(domain, &[op, &f])?,
                        want.to_owned(),
                        &format!("{domain}: {op} of an unnamed object"),
                    )?;
                } else {
                    unconfined(&[op, &f], "ok")?;
                }
            }
        }
        // Once a name reached it (the stat), its type decides: `partial` may read its
        // attributes in the workspace.
        let f = fresh("partial-named")?;
        unconfined(&["setxattr", &f], "ok")?;
        ensure_eq(
            crate::harness::helper(
                "exec-in",
                &[
                    "partial",
                    "/bin/sh",
                    "-c",
                    &format!("tcp-probe stat {f} && tcp-probe getxattr {f}"),
                ],
            )?,
            "ok\nok".to_owned(),
            "partial: getxattr after a stat",
        )
    })();
    for entry in fs::read_dir("/tmp/work")
        .map_err(|e| e.to_string())?
        .flatten()
    {
        if entry.file_name().to_string_lossy().starts_with("unnamed-") {
            let _ = fs::remove_file(entry.path());
        }
    }
    load_policy(&policy_text()?)?;
    result
}

fn process_ops() -> Outcome {
    expect(&["setpgid"], "ok")?;
    expect(&["prctl"], "errno=EPERM")?;
    expect(&["nice"], "errno=EPERM")?;
    expect(&["rlimit"], "errno=EPERM")
}

fn symlink_truncate() -> Outcome {
    // A fresh root-owned 0644 file (the capability test gave /tmp/work/a away to uid 1,
    // and the domain has no dac_override to write other users' files).
    write("/tmp/work/t", "truncate me\n")?;
    let _ = fs::remove_file("/tmp/work/sym");
    expect(&["symlink", "/tmp/work/t", "/tmp/work/sym"], "ok")?;
    expect(&["symlink", "/tmp/work/t", "/tmp/ro/sym"], "errno=EACCES")?;
    expect(&["truncate", "/tmp/work/sym"], "ok")?;
    expect(&["truncate", "/tmp/ro/b"], "errno=EACCES")
}

fn setuid_keeps_domain() -> Outcome {
    // `other` may change uid; the domain lives in the cred and goes along.
    let report = crate::harness::helper("exec-in", &["other", "/bin/tcp-probe", "setuid-attr"])?;
    ensure_eq(report, "other".to_owned(), "domain after setuid(65534)")
}

fn digest_transition() -> Outcome {
    let run = |path: &str| -> Result<String, String> {
        let out = Command::new(path)
            .arg("self-attr")
            .output()
            .map_err(|e| format!("{path}: {e}"))?;
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    ensure_eq(
        run("/tmp/pin/good")?,
        "other".to_owned(),
        "program with the pinned digest",
    )?;
    ensure_eq(
        run("/tmp/pin/bad")?,
        "unconfined".to_owned(),
        "same path rule, other content",
    )
}

fn rejected_load_keeps_policy() -> Outcome {
    let current = fs::read("/sys/kernel/security/tcp/policy").map_err(|e| e.to_string())?;
    let generation =
        fs::read_to_string("/sys/kernel/security/tcp/generation").map_err(|e| e.to_string())?;
    let mut corrupt = current.clone();
    if let Some(last) = corrupt.last_mut() {
        *last ^= 0x55;
    }
    ensure(
        crate::policy::load(&corrupt).is_err(),
        "a corrupted copy of the policy loaded",
    )?;
    // A prefix is the start of a blob; closing the file abandons it.
    ensure(
        crate::policy::load(&current[..64]).is_ok(),
        "a 64-byte prefix was refused",
    )?;
    ensure_eq(
        fs::read_to_string("/sys/kernel/security/tcp/generation").map_err(|e| e.to_string())?,
        generation,
        "generation after rejected loads",
    )?;
    // The same decisions as before the attempts.
    write("/tmp/work/fresh", "fresh\n")?;
    expect(&["read", "/tmp/work/fresh"], "ok")?;
    expect(&["write", "/tmp/ro/b"], "errno=EACCES")?;
    expect(&["connect4", "127.0.0.1", "8081"], "errno=EACCES")
}

/// Runs the probe (`/bin/tcp-probe`, which enters `agent`, or the unconfined copy) with
/// `file` as its standard input.
fn run_probe_with_stdin(program: &str, file: fs::File, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::from(file))
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Runs the probe in `agent` with `file` as its standard input.
fn probe_with_stdin(file: fs::File, args: &[&str]) -> Result<String, String> {
    run_probe_with_stdin("/bin/tcp-probe", file, args)
}

fn inherited_fds() -> Outcome {
    // Descriptors opened by the unconfined runner and inherited across the exec into the
    // domain give no more than the domain may do with the file.
    let open_rw = |path: &str| {
        fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| format!("{path}: {e}"))
    };
    write("/tmp/work/inherited", "inherited\n")?;
    ensure_eq(
        probe_with_stdin(open_rw("/tmp/work/inherited")?, &["write-fd", "0"])?,
        "ok".to_owned(),
        "write to an allowed file",
    )?;
    ensure_eq(
        probe_with_stdin(open_rw("/tmp/ro/b")?, &["read-fd", "0"])?,
        "ok".to_owned(),
        "read of a readable file",
    )?;
    ensure_eq(
        probe_with_stdin(open_rw("/tmp/ro/b")?, &["write-fd", "0"])?,
        "errno=EACCES".to_owned(),
        "write through an inherited descriptor",
    )?;
    ensure_eq(
        probe_with_stdin(open_rw("/etc/passwd")?, &["read-fd", "0"])?,
        "errno=EACCES".to_owned(),
        "read through an inherited descriptor",
    )?;
    // Directories: listing one through an inherited descriptor needs `readdir` on its
    // type, as opening it would.
    let open_dir = |path: &str| fs::File::open(path).map_err(|e| format!("{path}: {e}"));
    fs::create_dir_all("/tmp/secret/dir").map_err(|e| e.to_string())?;
    ensure_eq(
        probe_with_stdin(open_dir("/tmp/ro")?, &["getdents-fd", "0"])?,
        "ok".to_owned(),
        "listing a readable directory",
    )?;
    ensure_eq(
        probe_with_stdin(open_dir("/tmp/secret")?, &["getdents-fd", "0"])?,
        "errno=EACCES".to_owned(),
        "listing through an inherited descriptor",
    )?;
    ensure_eq(
        probe_with_stdin(open_dir("/etc")?, &["getdents-fd", "0"])?,
        "errno=EACCES".to_owned(),
        "listing an untyped directory",
    )?;
    ensure_eq(
        probe_unconfined_with_stdin(open_dir("/tmp/secret")?, &["getdents-fd", "0"])?,
        "ok".to_owned(),
        "unconfined listing",
    )?;
    // A device the policy does not name (a terminal, /dev/null) stays usable; pipes too.
    let null = fs::OpenOptions::new()
        .write(true)
        .open("/dev/null")
        .map_err(|e| e.to_string())?;
    ensure_eq(
        probe_with_stdin(null, &["write-fd", "0"])?,
        "ok".to_owned(),
        "write to an inherited untyped device",
    )
}

fn mount() -> Outcome {
    fs::create_dir_all("/tmp/work/mnt").map_err(|e| e.to_string())?;
    // The domain holds sys_admin, but mounting is a system operation it was not given.
    expect(&["mount", "/tmp/work/mnt"], "errno=EPERM")
}

fn allowed_ipc_system() -> Outcome {
    // Domain `other` has the IPC and system rules that `agent` lacks.
    for (op, want) in [
        ("shmget", "ok"),
        ("msgget", "ok"),
        ("semget", "ok"),
        ("io-uring", "ok"),
        ("io-uring-sqpoll", "ok"),
        ("settime", "ok"),
        ("bpf", "errno=EPERM"), // CAP_BPF is never granted to a domain.
    ] {
        let report = crate::harness::helper("exec-in", &["other", "/bin/tcp-probe", op])?;
        ensure_eq(report, want.to_owned(), &format!("{op} in domain other"))?;
    }
    Ok(())
}

fn net_listen_accept() -> Outcome {
    expect(&["listen4", "127.0.0.1", "9000"], "accept: errno=EAGAIN")?;
    expect(&["listen4", "127.0.0.1", "9001"], "listen: errno=EACCES")?;
    expect(&["listen4", "127.0.0.1", "9002"], "accept: errno=EACCES")?;
    expect(&["listen4", "127.0.0.1", "9003"], "bind: errno=EACCES")?;
    expect(&["connect-unix", "@agent-bus"], "errno=ECONNREFUSED")?;
    expect(&["connect-unix", "@other-bus"], "errno=EACCES")
}

fn more_process_ops() -> Outcome {
    // The tracer would be the confined probe, whose domain may not ptrace.
    expect(&["traceme"], "errno=EPERM")?;
    // (ioprio_set is not tested: the test kernel has no block layer, so it is ENOSYS.)
    expect(&["sched"], "errno=EPERM")
}

fn timestamps() -> Outcome {
    write("/tmp/work/times", "t\n")?;
    write("/tmp/work/unseen", "u\n")?;
    // Classified by a path operation first, then the inode-only hook decides.
    expect(&["stat", "/tmp/work/times"], "ok")?;
    expect(&["utime", "/tmp/work/times"], "ok")?;
    expect(&["stat", "/tmp/ro/b"], "ok")?;
    expect(&["utime", "/tmp/ro/b"], "errno=EACCES")?;
    // Never reached by a path under this policy: refused (documented fail-closed).
    expect(&["utime", "/tmp/work/unseen"], "errno=EACCES")
}

fn with_landlock() -> Outcome {
    let list = fs::read_to_string("/sys/kernel/security/lsm").unwrap_or_default();
    if !list.split(',').any(|l| l.trim() == "landlock") {
        // Booted without Landlock (the AppArmor stacking run): nothing to stack with.
        return Ok(());
    }
    // In domain `other`, reading its own binary is allowed by this LSM ...
    ensure_eq(
        crate::harness::helper(
            "exec-in",
            &["other", "/bin/tcp-probe", "read", "/tmp/pin/good"],
        )?,
        "ok".to_owned(),
        "read allowed by the policy",
    )?;
    // ... and denied once the task also restricts itself with Landlock.
    ensure_eq(
        crate::harness::helper(
            "exec-in",
            &["other", "/bin/tcp-probe", "landlock-read", "/tmp/pin/good"],
        )?,
        "errno=EACCES".to_owned(),
        "read under a Landlock ruleset",
    )?;
    // And the other way round: with Landlock active, this LSM's denials stand.
    expect(&["read", "/etc/passwd"], "errno=EACCES")
}

fn uring_bypass() -> Outcome {
    // Domain `other` may use io_uring; what the kernel does for its requests is still
    // decided by the domain's rules.
    let run = |args: &[&str]| -> Result<String, String> {
        crate::harness::helper(
            "exec-in",
            &[&["other", "/bin/tcp-probe"][..], args].concat(),
        )
    };
    ensure_eq(
        run(&["uring-open", "/tmp/pin/good"])?,
        "ok".to_owned(),
        "io_uring open of a readable file",
    )?;
    ensure_eq(
        run(&["uring-open", "/etc/passwd"])?,
        "errno=EACCES".to_owned(),
        "io_uring open of a denied file",
    )?;
    ensure_eq(
        run(&["uring-connect4", "127.0.0.1", "8080"])?,
        "errno=EACCES".to_owned(),
        "io_uring connect",
    )
}

/// Runs the probe in domain `domain` (through `lsm_set_self_attr`) and returns its report.
pub(crate) fn probe_in(domain: &str, args: &[&str]) -> Result<String, String> {
    crate::harness::helper("exec-in", &[&[domain, "/bin/tcp-probe"][..], args].concat())
}

/// Runs the unconfined copy of the probe: the control that shows an operation works when
/// this LSM does not stand in the way.
fn probe_unconfined(args: &[&str]) -> Result<String, String> {
    let out = Command::new("/tmp/tcp-probe-unconfined")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run the unconfined probe: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn ipc_existing() -> Outcome {
    // Objects created by an unconfined task; a domain reaches them by id or by key.
    let ids = probe_unconfined(&["ipc-make", "4242"])?;
    let ids: Vec<&str> = ids.split_whitespace().collect();
    let [msq, shm, sem] = ids[..] else {
        return Err(format!("ipc-make printed {ids:?}"));
    };
    let cases = [
        ("msgsnd", msq),
        ("msgctl", msq),
        ("shmat", shm),
        ("shmctl", shm),
        ("semop", sem),
        ("semctl", sem),
        ("msgget-key", "4242"),
        ("shmget-key", "4242"),
        ("semget-key", "4242"),
    ];
    for (op, arg) in cases {
        expect(&[op, arg], "errno=EACCES")?;
        ensure_eq(
            probe_in("other", &[op, arg])?,
            "ok".to_owned(),
            &format!("{op} in domain other"),
        )?;
    }
    // `other` sent a message; `agent` does not see it (the hook filters each message, so
    // the queue looks empty), `other` receives it.
    expect(&["msgrcv", msq], "errno=ENOMSG")?;
    ensure_eq(
        probe_in("other", &["msgrcv", msq])?,
        "ok".to_owned(),
        "msgrcv in domain other",
    )
}

fn process_queries() -> Outcome {
    // setgroups: `agent` lacks CAP_SETGID; `mounter` holds it but has no `setgid`
    // process rule; `other` has both.
    expect(&["setgroups"], "errno=EPERM")?;
    ensure_eq(
        probe_in("mounter", &["setgroups"])?,
        "errno=EPERM".to_owned(),
        "setgroups in domain mounter",
    )?;
    ensure_eq(
        probe_in("other", &["setgroups"])?,
        "ok".to_owned(),
        "setgroups in domain other",
    )?;
    let mut child = sleeper()?;
    let pid = child.id().to_string();
    let result = (|| {
        expect(&["prlimit", &pid], "errno=EPERM")?;
        ensure_eq(
            probe_in("other", &["prlimit", &pid])?,
            "ok".to_owned(),
            "prlimit in domain other",
        )?;
        // Process group and session of a task outside the signal scope (same-domain).
        expect(&["getpgid", &pid], "errno=EPERM")?;
        expect(&["getsid", &pid], "errno=EPERM")?;
        expect(&["getpgid", "self"], "ok")?;
        expect(&["getsid", "self"], "ok")?;
        ensure_eq(
            probe_unconfined(&["getsid", &pid])?,
            "ok".to_owned(),
            "unconfined getsid",
        )
    })();
    let _ = child.kill();
    let _ = child.wait();
    result
}

fn mount_ops() -> Outcome {
    for dir in ["/tmp/work/m1", "/tmp/work/m2"] {
        fs::create_dir_all(dir).map_err(|e| format!("mkdir {dir}: {e}"))?;
    }
    let (code, _, err) = crate::harness::run(
        "/bin/busybox",
        &["mount", "-t", "tmpfs", "none", "/tmp/work/m1"],
    )?;
    ensure_eq(code, 0, &format!("mount tmpfs: {err}"))?;
    fs::create_dir_all("/tmp/work/m1/old").map_err(|e| e.to_string())?;
    // `agent` holds sys_admin, so each refusal here is this LSM's `mount` rule.
    expect(&["umount", "/tmp/work/m1"], "errno=EPERM")?;
    expect(
        &["move-mount", "/tmp/work/m1", "/tmp/work/m2"],
        "errno=EPERM",
    )?;
    expect(
        &["pivot-root", "/tmp/work/m1", "/tmp/work/m1/old"],
        "errno=EPERM",
    )?;
    // `mounter` may: the mount moves, pivot_root gets past this LSM to the kernel's own
    // check (the initramfs root cannot be pivoted away: EINVAL), and the umount works.
    let run = |args: &[&str]| probe_in("mounter", args);
    ensure_eq(
        run(&["move-mount", "/tmp/work/m1", "/tmp/work/m2"])?,
        "ok".to_owned(),
        "move_mount in mounter",
    )?;
    ensure_eq(
        run(&["pivot-root", "/tmp/work/m2", "/tmp/work/m2/old"])?,
        "errno=EINVAL".to_owned(),
        "pivot_root in mounter",
    )?;
    ensure_eq(
        run(&["umount", "/tmp/work/m2"])?,
        "ok".to_owned(),
        "umount in mounter",
    )
}

fn sigio() -> Outcome {
    // A domain with `signal same-domain` gets its own SIGIO ...
    expect(&["sigio", "self"], "ok")?;
    // ... but cannot aim one (default action: terminate) at a task outside the domain.
    let mut child = sleeper()?;
    let pid = child.id().to_string();
    let confined = expect(&["sigio", &pid], "sent").and_then(|()| {
        let alive = child.try_wait().map_err(|e| e.to_string())?.is_none();
        ensure(alive, "SIGIO from the domain reached a task outside it")
    });
    // The control: the same program unconfined does kill it.
    let control = probe_unconfined(&["sigio", &pid]).and_then(|_| {
        let status = child.wait().map_err(|e| e.to_string())?;
        ensure(
            !status.success(),
            "the unconfined SIGIO did not reach the sleeper",
        )
    });
    let _ = child.kill();
    let _ = child.wait();
    confined.and(control)
}

fn received_fds() -> Outcome {
    let open = |path: &str| fs::File::open(path).map_err(|e| format!("{path}: {e}"));
    write("/tmp/work/passed", "passed\n")?;
    ensure_eq(
        probe_with_stdin(open("/tmp/work/passed")?, &["pass-fd", "0"])?,
        "ok".to_owned(),
        "pass a readable file",
    )?;
    ensure_eq(
        probe_with_stdin(open("/etc/passwd")?, &["pass-fd", "0"])?,
        "refused".to_owned(),
        "pass an unreadable file",
    )?;
    let out = Command::new("/tmp/tcp-probe-unconfined")
        .args(["pass-fd", "0"])
        .stdin(Stdio::from(open("/etc/passwd")?))
        .output()
        .map_err(|e| e.to_string())?;
    ensure_eq(
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        "ok".to_owned(),
        "unconfined control",
    )
}

fn foreign_sockets() -> Outcome {
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::OwnedFd;
    use std::os::unix::net::UnixStream;
    // Connections made by the unconfined runner and handed to the domain as stdin.
    let with_socket = |fd: OwnedFd, args: &[&str]| -> Result<String, String> {
        let out = Command::new("/bin/tcp-probe")
            .args(args)
            .stdin(Stdio::from(fd))
            .output()
            .map_err(|e| format!("cannot run tcp-probe: {e}"))?;
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    // Port 8080 is one `agent` may connect to; 8090 is not.
    let allowed = TcpListener::bind("127.0.0.1:8080").map_err(|e| format!("listen 8080: {e}"))?;
    let denied = TcpListener::bind("127.0.0.1:8090").map_err(|e| format!("listen 8090: {e}"))?;
    let connect = |port: u16| -> Result<OwnedFd, String> {
        Ok(TcpStream::connect(("127.0.0.1", port))
            .map_err(|e| format!("connect {port}: {e}"))?
            .into())
    };
    for (op, ok_want) in [
        ("send-fd", "ok"),
        ("recv-fd", "errno=EAGAIN"),
        ("peername-fd", "ok"),
    ] {
        ensure_eq(
            with_socket(connect(8080)?, &[op, "0"])?,
            ok_want.to_owned(),
            &format!("{op} on a connection to 8080"),
        )?;
        ensure_eq(
            with_socket(connect(8090)?, &[op, "0"])?,
            "errno=EACCES".to_owned(),
            &format!("{op} on a connection to 8090"),
        )?;
    }
    // A socket pair is a local channel, like a pipe.
    let (mine, _theirs) = UnixStream::pair().map_err(|e| e.to_string())?;
    ensure_eq(
        with_socket(mine.into(), &["send-fd", "0"])?,
        "ok".to_owned(),
        "send on a socket pair",
    )?;
    // Every other data path to the real peer: a decoy destination name (TCP ignores it),
    // splice and sendfile (no recvmsg/sendmsg hook of their own), read and write.
    use std::io::Write as _;
    write("/tmp/work/payload", "x")?;
    // A connection with data waiting, and the runner's end of it (kept open while the
    // probe runs). Earlier connections were never accepted: accept until this one.
    let with_data = |port: u16, listener: &TcpListener| -> Result<(OwnedFd, TcpStream), String> {
        let stream =
            TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect {port}: {e}"))?;
        let local = stream.local_addr().map_err(|e| e.to_string())?;
        loop {
            let (mut peer, from) = listener
                .accept()
                .map_err(|e| format!("accept {port}: {e}"))?;
            if from == local {
                peer.write_all(b"data").map_err(|e| e.to_string())?;
                return Ok((stream.into(), peer));
            }
        }
    };
    for (args, ok_want) in [
        (&["sendto-decoy-fd", "0"][..], "ok"),
        (&["splice-fd", "0"][..], "ok"),
        (&["sendfile-fd", "0", "/tmp/work/payload"][..], "ok"),
        (&["read-fd", "0"][..], "ok"),
        (&["write-fd", "0"][..], "ok"),
    ] {
        let what = args.join(" ");
        let (fd, _peer) = with_data(8080, &allowed)?;
        ensure_eq(
            with_socket(fd, args)?,
            ok_want.to_owned(),
            &format!("{what} on a connection to 8080"),
        )?;
        let (fd, _peer) = with_data(8090, &denied)?;
        ensure_eq(
            with_socket(fd, args)?,
            "errno=EACCES".to_owned(),
            &format!("{what} on a connection to 8090"),
        )?;
        let (fd, _peer) = with_data(8090, &denied)?;
        let out = Command::new("/tmp/tcp-probe-unconfined")
            .args(args)
            .stdin(Stdio::from(fd))
            .output()
            .map_err(|e| e.to_string())?;
        ensure_eq(
            String::from_utf8_lossy(&out.stdout).trim().to_owned(),
            ok_want.to_owned(),
            &format!("unconfined {what} on 8090"),
        )?;
    }
    let _ = fs::remove_file("/tmp/work/payload");
    // The control: unconfined, the connection to 8090 works.
    let out = Command::new("/tmp/tcp-probe-unconfined")
        .args(["send-fd", "0"])
        .stdin(Stdio::from(connect(8090)?))
        .output()
        .map_err(|e| e.to_string())?;
    drop((allowed, denied));
    ensure_eq(
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        "ok".to_owned(),
        "unconfined send on 8090",
    )
}

/// Sets the global mode.
fn set_mode(mode: &str) -> Outcome {
    fs::write("/sys/kernel/security/tcp/mode", mode).map_err(|e| format!("mode {mode}: {e}"))
}

/// The protections no mode softens, as `(probe arguments, expected report)`.
const ALWAYS_ON: &[(&[&str], &str)] = &[
    (&["mmap-anon-exec"], "errno=EACCES"),
    (&["mprotect-exec"], "errno=EACCES"),
    (&["mmap-low"], "errno=EPERM"),
    (&["unlink", "/tmp/secret/key"], "errno=EACCES"),
    (
        &["rename", "/tmp/secret/key", "/tmp/work/stolen"],
        "errno=EACCES",
    ),
    (&["socket", "inet", "raw"], "errno=EACCES"),
    (&["socket", "packet", "raw"], "errno=EACCES"),
    (&["write", "/sys/kernel/security/tcp/mode"], "errno=EPERM"),
];

fn always_on() -> Outcome {
    // Monitor mode lets the policy's denials through (the write to a read-only type),
    // but not the always-on protections.
    set_mode("monitor")?;
    let monitored = expect(&["write", "/tmp/ro/b"], "ok").and_then(|()| {
        ALWAYS_ON
            .iter()
            .try_for_each(|(args, want)| expect(args, want))
    });
    set_mode("enforce")?;
    monitored?;
    // A domain of its own in alert mode (the `rollout` domain), with global enforce.
    for (args, want) in ALWAYS_ON
        .iter()
        .filter(|(a, _)| a[0] != "unlink" && a[0] != "rename")
    {
        ensure_eq(
            probe_in("rollout", args)?,
            (*want).to_owned(),
            &format!("rollout: {}", args.join(" ")),
        )?;
    }
    ensure_eq(
        probe_in("rollout", &["write", "/tmp/ro/b"])?,
        "ok".to_owned(),
        "rollout: a policy denial is only alerted",
    )?;
    ensure_eq(
        fs::read_to_string("/tmp/secret/key").map_err(|e| e.to_string())?,
        "secret\n".to_owned(),
        "the protected file",
    )
}

fn never_granted() -> Outcome {
    // The `capper` domain lists every never-granted capability; each operation below
    // works unconfined and fails in the domain.
    ensure_eq(
        probe_unconfined(&["reboot-cad-off"])?,
        "ok".to_owned(),
        "unconfined CAP_SYS_BOOT",
    )?;
    ensure_eq(
        probe_in("capper", &["reboot-cad-off"])?,
        "errno=EPERM".to_owned(),
        "CAP_SYS_BOOT in capper",
    )?;
    ensure_eq(
        probe_unconfined(&["bpf"])?,
        "ok".to_owned(),
        "unconfined CAP_BPF map creation",
    )?;
    ensure_eq(
        probe_in("capper", &["bpf"])?,
        "errno=EPERM".to_owned(),
        "CAP_BPF in capper",
    )?;
    ensure_eq(
        probe_unconfined(&["mmap-low"])?,
        "ok".to_owned(),
        "unconfined CAP_SYS_RAWIO",
    )?;
    ensure_eq(
        probe_in("capper", &["mmap-low"])?,
        "errno=EPERM".to_owned(),
        "CAP_SYS_RAWIO in capper",
    )
}

fn memory_more() -> Outcome {
    // A private writable mapping of an executable file, written, then made read-only,
    // then executable: the pages that would run are not the file's.
    ensure_eq(
        probe_unconfined(&["mprotect-cow", "/bin/tcp-probe"])?,
        "ok".to_owned(),
        "unconfined",
    )?;
    expect(&["mprotect-cow", "/bin/tcp-probe"], "errno=EACCES")?;
    // Mapping a file needs `mmap` on its type: work has it, readonly does not.
    write("/tmp/work/mapped", "mapped\n")?;
    expect(&["mmap-read", "/tmp/work/mapped"], "ok")?;
    expect(&["read", "/tmp/ro/b"], "ok")?;
    expect(&["mmap-read", "/tmp/ro/b"], "errno=EACCES")
}

fn net_protocols() -> Outcome {
    // AF_INET = 2; SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_SEQPACKET = 5; IPPROTO_TCP = 6,
    // IPPROTO_UDP = 17, IPPROTO_UDPLITE = 136.
    expect(&["socket-proto", "2", "1", "6"], "ok")?;
    expect(&["socket-proto", "2", "2", "17"], "ok")?;
    ensure_eq(
        probe_unconfined(&["socket-proto", "2", "2", "136"])?,
        "ok".to_owned(),
        "unconfined UDP-Lite",
    )?;
    expect(&["socket-proto", "2", "2", "136"], "errno=EACCES")?;
    expect(&["socket-proto", "2", "5", "0"], "errno=EACCES")
}

fn unix_symlink_bypass() -> Outcome {
    use std::os::unix::net::{UnixDatagram, UnixListener};
    let clean = || {
        for p in [
            "/tmp/work/sock",
            "/tmp/work/dsock",
            "/tmp/other.sock",
            "/tmp/other.dgram",
        ] {
            let _ = fs::remove_file(p);
        }
    };
    clean();
    let result = (|| {
        // The allowed names, bound for real: reachable.
        let stream = UnixListener::bind("/tmp/work/sock").map_err(|e| e.to_string())?;
        let dgram = UnixDatagram::bind("/tmp/work/dsock").map_err(|e| e.to_string())?;
        expect(&["connect-unix", "/tmp/work/sock"], "ok")?;
        expect(&["sendto-unix", "/tmp/work/dsock"], "ok")?;
        drop((stream, dgram));
        clean();
        // The allowed names as symlinks (which the domain may create) to other sockets.
        let _other_stream = UnixListener::bind("/tmp/other.sock").map_err(|e| e.to_string())?;
        let _other_dgram = UnixDatagram::bind("/tmp/other.dgram").map_err(|e| e.to_string())?;
        expect(&["symlink", "/tmp/other.sock", "/tmp/work/sock"], "ok")?;
        symlink("/tmp/other.dgram", "/tmp/work/dsock").map_err(|e| e.to_string())?;
        ensure_eq(
            probe_unconfined(&["connect-unix", "/tmp/work/sock"])?,
            "ok".to_owned(),
            "unconfined connect",
        )?;
        expect(&["connect-unix", "/tmp/work/sock"], "errno=EACCES")?;
        ensure_eq(
            probe_unconfined(&["sendto-unix", "/tmp/work/dsock"])?,
            "ok".to_owned(),
            "unconfined send",
        )?;
        expect(&["sendto-unix", "/tmp/work/dsock"], "errno=EACCES")
    })();
    clean();
    result
}

fn protected_parent() -> Outcome {
    for d in ["/tmp/work/box/vault", "/tmp/work/plain"] {
        fs::create_dir_all(d).map_err(|e| format!("mkdir {d}: {e}"))?;
    }
    write("/tmp/work/box/vault/key", "vault\n")?;
    // Renaming the directory would move the protected objects below it.
    expect(
        &["rename", "/tmp/work/box", "/tmp/work/box2"],
        "errno=EACCES",
    )?;
    expect(
        &["rename", "/tmp/work/box/vault", "/tmp/work/vault2"],
        "errno=EACCES",
    )?;
    ensure(
        fs::metadata("/tmp/work/box/vault/key").is_ok(),
        "the protected file stays in place",
    )?;
    // A directory with nothing protected below it moves.
    expect(&["rename", "/tmp/work/plain", "/tmp/work/plain2"], "ok")?;
    fs::remove_dir("/tmp/work/plain2").map_err(|e| e.to_string())
}

fn securityfs_passed_fd() -> Outcome {
    // Opened for writing by root (unconfined) and inherited into the domain: the writes
    // are refused there (EPERM), not parsed (a bad value would give EINVAL).
    for file in [
        "mode",
        "policy",
        "enforce",
        "heartbeat",
        "anomaly_threshold",
    ] {
        let path = format!("/sys/kernel/security/tcp/{file}");
        let fd = fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(|e| format!("{path}: {e}"))?;
        ensure_eq(
            probe_with_stdin(fd, &["write-fd", "0"])?,
            "errno=EPERM".to_owned(),
            &format!("write to {file}"),
        )?;
    }
    let fd = fs::OpenOptions::new()
        .write(true)
        .open("/sys/kernel/security/tcp/mode")
        .map_err(|e| e.to_string())?;
    ensure_eq(
        probe_unconfined_with_stdin(fd, &["write-fd", "0"])?,
        "errno=EINVAL".to_owned(),
        "unconfined write of x",
    )?;
    ensure_eq(
        fs::read_to_string("/sys/kernel/security/tcp/mode").map_err(|e| e.to_string())?,
        "enforce\n".to_owned(),
        "mode",
    )
}

/// Runs the unconfined probe with `file` as standard input.
fn probe_unconfined_with_stdin(file: fs::File, args: &[&str]) -> Result<String, String> {
    run_probe_with_stdin("/tmp/tcp-probe-unconfined", file, args)
}

/// A memfd holding a copy of the probe, as a file.
fn memfd_with_probe() -> Result<fs::File, String> {
    use std::io::Write;
    let fd =
        nix::sys::memfd::memfd_create(c"probe-copy", nix::sys::memfd::MemFdCreateFlag::empty())
            .map_err(|e| format!("memfd_create: {e}"))?;
    let mut file = fs::File::from(fd);
    file.write_all(&fs::read("/bin/tcp-probe").map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    Ok(file)
}

fn exec_more() -> Outcome {
    // A domain cannot run a memfd it filled (it has no type to execute) ...
    expect(&["memfd-exec", "/bin/tcp-probe"], "errno=EACCES")?;
    // ... and cannot run one filled by an unconfined task, which can.
    ensure_eq(
        probe_unconfined_with_stdin(memfd_with_probe()?, &["fexecve-fd", "0"])?,
        "unconfined".to_owned(),
        "unconfined fexecve",
    )?;
    ensure_eq(
        probe_with_stdin(memfd_with_probe()?, &["fexecve-fd", "0"])?,
        "errno=EACCES".to_owned(),
        "fexecve in the domain",
    )?;
    // Scripts: the script's type allows execute; its interpreter must too.
    fs::create_dir_all("/tmp/scripts").map_err(|e| e.to_string())?;
    let script = |path: &str, text: &str| -> Outcome {
        write(path, text)?;
        fs::set_permissions(path, fs::Permissions::from_mode(0o755)).map_err(|e| e.to_string())
    };
    script("/tmp/scripts/probe.sh", "#!/bin/tcp-probe self-attr\n")?;
    script("/tmp/scripts/shell.sh", "#!/bin/sh\necho shell ran\n")?;
    expect(&["exec", "/tmp/scripts/probe.sh"], "agent")?;
    ensure_eq(
        probe_unconfined(&["exec", "/tmp/scripts/shell.sh"])?,
        "shell ran".to_owned(),
        "unconfined script",
    )?;
    expect(&["exec", "/tmp/scripts/shell.sh"], "errno=EACCES")
}

fn ld_so_bypass() -> Outcome {
    // The guest has the host's dynamic loader and libc and a dynamic program that prints
    // "hello" (scripts/qemu-boot.sh). The loader is executable in `agent`; a program it
    // would map from an unallowed type is not.
    let ld = "/lib64/ld-linux-x86-64.so.2";
    fs::create_dir_all("/tmp/scripts").map_err(|e| e.to_string())?;
    fs::copy("/bin/tcp-hello", "/tmp/scripts/hello").map_err(|e| format!("copy: {e}"))?;
    fs::copy("/bin/tcp-hello", "/tmp/work/hello").map_err(|e| format!("copy: {e}"))?;
    let run_in_agent = |program: &str| crate::harness::helper("exec-in", &["agent", ld, program]);
    let unconfined = Command::new(ld)
        .arg("/tmp/work/hello")
        .output()
        .map_err(|e| e.to_string())?;
    ensure_eq(
        String::from_utf8_lossy(&unconfined.stdout)
            .trim()
            .to_owned(),
        "hello".to_owned(),
        "unconfined ld.so",
    )?;
    ensure_eq(
        run_in_agent("/tmp/scripts/hello")?,
        "hello".to_owned(),
        "ld.so with an executable program",
    )?;
    ensure_eq(
        run_in_agent("/tmp/work/hello")?,
        String::new(),
        "ld.so with a program of a type without execute",
    )?;
    // Run directly, the same program is refused at exec.
    expect(&["exec", "/tmp/work/hello"], "errno=EACCES")
}

/// Writes a heartbeat.
fn beat() -> Outcome {
    fs::write("/sys/kernel/security/tcp/heartbeat", "1").map_err(|e| format!("heartbeat: {e}"))
}

fn heartbeat() -> Outcome {
    let base = policy_text()?;
    write("/tmp/work/beat", "beat\n")?;
    let result = (|| {
        ensure_eq(
            fs::read_to_string("/sys/kernel/security/tcp/heartbeat").map_err(|e| e.to_string())?,
            "none\n".to_owned(),
            "no heartbeat in the policy",
        )?;
        load_policy(&format!(
            "{base}\nheartbeat timeout 1500ms action deny-network;\n"
        ))?;
        let status =
            fs::read_to_string("/sys/kernel/security/tcp/heartbeat").map_err(|e| e.to_string())?;
        ensure(
            status.starts_with("timeout_ms=1500 action=deny-network age_ms=")
                && status.ends_with("stale=0\n"),
            format!("status: {status}"),
        )?;
        // Bad values change nothing; a domain may not beat.
        ensure(
            fs::write("/sys/kernel/security/tcp/heartbeat", "2").is_err(),
            "a heartbeat of 2 is refused",
        )?;
        expect(
            &["write", "/sys/kernel/security/tcp/heartbeat"],
            "errno=EPERM",
        )?;
        // The CLI: one heartbeat and the state; a bad interval is a usage error.
        let (code, out, _) = crate::harness::run("tcp-policy", &["heartbeat"])?;
        ensure(
            code == 0 && out.starts_with("heartbeat: timeout_ms=1500 action=deny-network age_ms="),
            format!("tcp-policy heartbeat: {code} {out:?}"),
        )?;
        let (code, _, err) = crate::harness::run("tcp-policy", &["heartbeat", "--every", "0s"])?;
        ensure(
            code == 2 && err.contains("between 1ms and 60m"),
            format!("tcp-policy heartbeat --every 0s: {code} {err:?}"),
        )?;
        beat()?;
        expect(&["connect4", "127.0.0.1", "8080"], "errno=ECONNREFUSED")?;
        std::thread::sleep(std::time::Duration::from_millis(2000));
        let status =
            fs::read_to_string("/sys/kernel/security/tcp/heartbeat").map_err(|e| e.to_string())?;
        ensure(
            status.ends_with("stale=1\n"),
            format!("status after 2 s: {status}"),
        )?;
        expect(&["connect4", "127.0.0.1", "8080"], "errno=EACCES")?;
        expect(&["read", "/tmp/work/beat"], "ok")?;
        ensure_eq(
            probe_unconfined(&["connect4", "127.0.0.1", "8080"])?,
            "errno=ECONNREFUSED".to_owned(),
            "unconfined while stale",
        )?;
        beat()?;
        expect(&["connect4", "127.0.0.1", "8080"], "errno=ECONNREFUSED")?;
        // deny-all takes everything: the probe's own exec into the domain fails (it
        // cannot map its program), or its read does; it never reads.
        load_policy(&format!(
            "{base}\nheartbeat timeout 1500ms action deny-all;\n"
        ))?;
        expect(&["read", "/tmp/work/beat"], "ok")?;
        std::thread::sleep(std::time::Duration::from_millis(2000));
        let stale = probe(&["read", "/tmp/work/beat"]);
        ensure(
            matches!(stale.as_deref(), Err(_) | Ok("errno=EACCES")),
            format!("read while stale (deny-all): {stale:?}"),
        )?;
        beat()?;
        expect(&["read", "/tmp/work/beat"], "ok")
    })();
    load_policy(&base)?;
    result
}

fn type_follows_names() -> Outcome {
    // The kernel remembers the type of a file reached by a (mount, dentry) to skip
    // building its path next time; renames, new links and mount moves made by another
    // task must end that, so each write below is decided by the file's new name.
    let result = (|| {
        write("/tmp/work/moved", "x\n")?;
        expect(&["write", "/tmp/work/moved"], "ok")?;
        fs::rename("/tmp/work/moved", "/tmp/ro/moved").map_err(|e| e.to_string())?;
        expect(&["write", "/tmp/ro/moved"], "errno=EACCES")?;
        // A directory moved with the file in it.
        fs::create_dir_all("/tmp/work/dir").map_err(|e| e.to_string())?;
        write("/tmp/work/dir/f", "x\n")?;
        expect(&["write", "/tmp/work/dir/f"], "ok")?;
        fs::rename("/tmp/work/dir", "/tmp/ro/dir").map_err(|e| e.to_string())?;
        expect(&["write", "/tmp/ro/dir/f"], "errno=EACCES")?;
        // A second name for the same file.
        write("/tmp/work/linked", "x\n")?;
        expect(&["write", "/tmp/work/linked"], "ok")?;
        fs::hard_link("/tmp/work/linked", "/tmp/ro/linked").map_err(|e| e.to_string())?;
        expect(&["write", "/tmp/ro/linked"], "errno=EACCES")?;
        expect(&["write", "/tmp/work/linked"], "ok")?;
        // A mount moved from under the workspace to under the read-only tree.
        use nix::mount::{mount, MsFlags};
        fs::create_dir_all("/tmp/work/mnt").map_err(|e| e.to_string())?;
        fs::create_dir_all("/tmp/ro/mnt").map_err(|e| e.to_string())?;
        mount(
            Some("tmpfs"),
            "/tmp/work/mnt",
            Some("tmpfs"),
            MsFlags::empty(),
            None::<&str>,
        )
        .map_err(|e| format!("mount: {e}"))?;
        write("/tmp/work/mnt/f", "x\n")?;
        expect(&["write", "/tmp/work/mnt/f"], "ok")?;
        mount(
            Some("/tmp/work/mnt"),
            "/tmp/ro/mnt",
            None::<&str>,
            MsFlags::MS_MOVE,
            None::<&str>,
        )
        .map_err(|e| format!("move mount: {e}"))?;
        expect(&["write", "/tmp/ro/mnt/f"], "errno=EACCES")
    })();
    let _ = nix::mount::umount("/tmp/ro/mnt");
    let _ = nix::mount::umount("/tmp/work/mnt");
    for f in ["/tmp/ro/moved", "/tmp/ro/linked", "/tmp/work/linked"] {
        let _ = fs::remove_file(f);
    }
    let _ = fs::remove_dir_all("/tmp/ro/dir");
    result
}

/// The number in a `denied=N` report of the probe's `flood`.
fn denied_count(report: &str) -> Result<u32, String> {
    report
        .strip_prefix("denied=")
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("flood printed {report:?}"))
}

fn behaviour_limits() -> Outcome {
    write("/tmp/work/behaviour", "b\n")?;
    let _ = crate::reporting::drain_events()?;
    // 100 allowed opens in `busy` (max-ops 40 per minute): the decision that passes the
    // limit moves the task into `jail`, which may open nothing of `work`. A few decisions
    // of the exec itself (mapping the program) come first, so 59 to 75 opens fail.
    let denied = denied_count(&probe_in("busy", &["flood", "100", "/tmp/work/behaviour"])?)?;
    ensure(
        (59..=75).contains(&denied),
        format!("busy: {denied} of 100 opens denied, expected 59 to 75"),
    )?;
    let (events, _) = crate::reporting::drain_events()?;
    let moved = crate::reporting::find(&events, "behaviour", "task:jail")?;
    ensure_eq(
        moved.get("domain").map(String::as_str),
        Some("busy"),
        "the quarantine event's domain",
    )?;
    ensure(
        events.iter().any(|e| {
            e.get("op").map(String::as_str) == Some("file_open")
                && e.get("domain").map(String::as_str) == Some("jail")
        }),
        "later opens are denied as jail's",
    )?;
    // A child forked after the quarantine stays in it.
    let report = probe_in("busy", &["flood-fork-attr", "100", "/tmp/work/behaviour"])?;
    let (flood, child) = report
        .split_once(' ')
        .ok_or_else(|| format!("flood-fork-attr printed {report:?}"))?;
    ensure(
        (59..=75).contains(&denied_count(flood)?),
        format!("busy again: {flood}"),
    )?;
    ensure_eq(child, "child=jail", "the child's domain")?;
    let _ = crate::reporting::drain_events()?;
    // `audit` only reports: every open succeeds, and one event says the limit passed.
    let denied = denied_count(&probe_in(
        "noisy",
        &["flood", "100", "/tmp/work/behaviour"],
    )?)?;
    ensure_eq(denied, 0, "noisy: denied opens")?;
    let (events, _) = crate::reporting::drain_events()?;
    let passed = crate::reporting::find(&events, "behaviour", "max-ops")?;
    ensure_eq(
        passed.get("domain").map(String::as_str),
        Some("noisy"),
        "the audit event's domain",
    )?;
    // Without a limit (`agent`), no behaviour event.
    ensure_eq(
        probe(&["flood", "100", "/tmp/work/behaviour"])?,
        "denied=0".to_owned(),
        "agent flood",
    )?;
    let (events, _) = crate::reporting::drain_events()?;
    ensure(
        !events
            .iter()
            .any(|e| e.get("op").map(String::as_str) == Some("behaviour")),
        "no behaviour event for agent",
    )
}

/// A confined task that makes itself new user, network, mount and PID namespaces (in which
/// it holds every capability) stays in its domain there: the same denials, and no more
/// than the domain grants. The unconfined probe in the same namespaces is the control.
fn namespaces() -> Outcome {
    // Inside a new user namespace without an id map the task is nobody to the files: make
    // them readable by others, so that only the LSM can refuse.
    for file in ["/tmp/work/ns", "/tmp/secret/ns"] {
        write(file, "namespaces\n")?;
        fs::set_permissions(file, fs::Permissions::from_mode(0o644))
            .map_err(|e| format!("chmod {file}: {e}"))?;
    }
    // (namespaces, operation, confined result, unconfined result)
    let cases: [(&str, &[&str], &str, &str); 5] = [
        ("u", &["read", "/tmp/work/ns"], "ok", "ok"),
        ("u", &["read", "/tmp/secret/ns"], "errno=EACCES", "ok"),
        ("up", &["read", "/tmp/secret/ns"], "errno=EACCES", "ok"),
        // A fresh network namespace has its loopback down: the unconfined connect fails
        // in the network stack, the confined one is refused before it gets there.
        (
            "un",
            &["connect4", "127.0.0.1", "8081"],
            "errno=EACCES",
            "errno=ENETUNREACH",
        ),
        // Capability sys_admin inside its own user namespace, but no `system mount`
        // (system operations are refused with EPERM, as outside).
        ("um", &["mount", "/tmp/work"], "errno=EPERM", "ok"),
    ];
    for (ns, op, confined, unconfined) in cases {
        let args: Vec<&str> = ["ns", ns].into_iter().chain(op.iter().copied()).collect();
        ensure_eq(
            probe_unconfined(&args)?,
            unconfined.to_owned(),
            &format!("unconfined tcp-probe {}", args.join(" ")),
        )?;
        expect(&args, confined)?;
    }
    Ok(())
}

/// Unconfined: `rename` as root, through the unconfined probe.
fn unconfined(args: &[&str], want: &str) -> Outcome {
    ensure_eq(
        probe_unconfined(args)?,
        want.to_owned(),
        &format!("unconfined tcp-probe {}", args.join(" ")),
    )
}

fn name_takeover() -> Outcome {
    // A rename or link never gives an object (or what is below a moved directory) a type
    // its domain could not have created it with, nor takes it out of one the domain may
    // not move things out of; no new name may stand above a protected path or a
    // transition's executable. Each refusal next to the same call made unconfined.
    let result = (|| {
        for d in [
            "/tmp/work/plant/bin",
            "/tmp/work/gate",
            "/tmp/work/cfg",
            "/tmp/work/home",
            "/tmp/work/mine",
        ] {
            fs::create_dir_all(d).map_err(|e| format!("mkdir {d}: {e}"))?;
        }
        fs::copy("/bin/tcp-probe", "/tmp/work/plant/bin/wide")
            .map_err(|e| format!("copy probe: {e}"))?;
        write("/tmp/work/cfg/settings", "safe\n")?;
        // Moving a directory so that a file lands on the transition's executable.
        expect(
            &["rename", "/tmp/work/plant/bin", "/tmp/work/gate/bin"],
            "errno=EACCES",
        )?;
        expect(&["mkdir", "/tmp/work/gate/bin"], "errno=EACCES")?;
        expect(&["mkdir", "/tmp/work/gate/lib"], "ok")?;
        expect(&["rename", "/tmp/work/plant", "/tmp/work/plant2"], "ok")?;
        expect(&["rename", "/tmp/work/plant2", "/tmp/work/plant"], "ok")?;
        unconfined(
            &["rename", "/tmp/work/plant/bin", "/tmp/work/gate/bin"],
            "ok",
        )?;
        unconfined(
            &["rename", "/tmp/work/gate/bin", "/tmp/work/plant/bin"],
            "ok",
        )?;
        // A file moved, linked or symlinked onto it.
        fs::create_dir_all("/tmp/work/gate/bin").map_err(|e| e.to_string())?;
        expect(
            &[
                "rename",
                "/tmp/work/plant/bin/wide",
                "/tmp/work/gate/bin/wide",
            ],
            "errno=EACCES",
        )?;
        expect(
            &[
                "link",
                "/tmp/work/plant/bin/wide",
                "/tmp/work/gate/bin/wide",
            ],
            "errno=EACCES",
        )?;
        expect(
            &[
                "symlink",
                "/tmp/work/plant/bin/wide",
                "/tmp/work/gate/bin/wide",
            ],
            "errno=EACCES",
        )?;
        expect(
            &[
                "rename",
                "/tmp/work/plant/bin/wide",
                "/tmp/work/gate/bin/other",
            ],
            "ok",
        )?;
        expect(
            &[
                "rename",
                "/tmp/work/gate/bin/other",
                "/tmp/work/plant/bin/wide",
            ],
            "ok",
        )?;
        unconfined(
            &[
                "link",
                "/tmp/work/plant/bin/wide",
                "/tmp/work/gate/bin/wide",
            ],
            "ok",
        )?;
        fs::remove_file("/tmp/work/gate/bin/wide").map_err(|e| e.to_string())?;
        // Moving a directory out of a type: its file would become writable.
        expect(
            &["rename", "/tmp/work/cfg", "/tmp/work/cfg2"],
            "errno=EACCES",
        )?;
        expect(&["write", "/tmp/work/cfg/settings"], "errno=EACCES")?;
        expect(&["read", "/tmp/work/cfg/settings"], "ok")?;
        unconfined(&["rename", "/tmp/work/cfg", "/tmp/work/cfg2"], "ok")?;
        unconfined(&["rename", "/tmp/work/cfg2", "/tmp/work/cfg"], "ok")?;
        // A symlink, a directory or a moved directory where a protected path would lead.
        expect(
            &["symlink", "/tmp/work/mine", "/tmp/work/home/.ssh"],
            "errno=EACCES",
        )?;
        expect(&["mkdir", "/tmp/work/home/.ssh"], "errno=EACCES")?;
        expect(
            &["rename", "/tmp/work/mine", "/tmp/work/home/.ssh"],
            "errno=EACCES",
        )?;
        expect(&["symlink", "/tmp/work/mine", "/tmp/work/home/other"], "ok")?;
        ensure(
            fs::symlink_metadata("/tmp/work/home/.ssh").is_err(),
            "nothing stands at .ssh",
        )?;
        unconfined(&["symlink", "/tmp/work/mine", "/tmp/work/home/.ssh"], "ok")
    })();
    for d in [
        "/tmp/work/plant",
        "/tmp/work/plant2",
        "/tmp/work/gate",
        "/tmp/work/cfg",
        "/tmp/work/cfg2",
        "/tmp/work/home",
        "/tmp/work/mine",
    ] {
        let _ = fs::remove_dir_all(d);
    }
    result
}

fn forged_entrypoint() -> Outcome {
    // Root installs the transition's executable; the agent enters `other` through it.
    // Once the agent has written that inode through another name (a hard link root made
    // in the workspace), the transition is refused: protection follows the object.
    let result = (|| {
        fs::create_dir_all("/tmp/work/gate/bin").map_err(|e| e.to_string())?;
        fs::copy("/bin/tcp-probe", "/tmp/work/gate/bin/wide")
            .map_err(|e| format!("copy probe: {e}"))?;
        fs::hard_link("/tmp/work/gate/bin/wide", "/tmp/work/alias")
            .map_err(|e| format!("link: {e}"))?;
        expect(&["exec", "/tmp/work/gate/bin/wide", "self-attr"], "other")?;
        expect(&["read", "/tmp/work/alias"], "ok")?;
        expect(&["exec", "/tmp/work/gate/bin/wide", "self-attr"], "other")?;
        expect(&["write", "/tmp/work/alias"], "ok")?;
        expect(
            &["exec", "/tmp/work/gate/bin/wide", "self-attr"],
            "errno=EACCES",
        )?;
        unconfined(
            &["exec", "/tmp/work/gate/bin/wide", "self-attr"],
            "unconfined",
        )?;
        // A fresh copy that the agent never wrote enters again.
        fs::remove_file("/tmp/work/gate/bin/wide").map_err(|e| e.to_string())?;
        fs::copy("/bin/tcp-probe", "/tmp/work/gate/bin/wide")
            .map_err(|e| format!("copy probe: {e}"))?;
        expect(&["exec", "/tmp/work/gate/bin/wide", "self-attr"], "other")
    })();
    let _ = fs::remove_file("/tmp/work/alias");
    let _ = fs::remove_dir_all("/tmp/work/gate");
    result
}

fn malformed_addresses() -> Outcome {
    // Malformed input is the kernel's to refuse, with its own errno, in a domain as
    // outside one; only a well-formed, forbidden request is denied (EACCES).
    for (args, want) in [
        (&["connect-len", "0"][..], "errno=EINVAL"),
        (&["connect-len", "1"][..], "errno=EINVAL"),
        (&["connect-len", "8"][..], "errno=EINVAL"),
        (
            &["bind-unspec", "1.2.3.4", "9003"][..],
            "errno=EAFNOSUPPORT",
        ),
    ] {
        expect(args, want)?;
        unconfined(args, want)?;
    }
    // bind(AF_UNSPEC, INADDR_ANY) is an IPv4 bind to that port, decided as one.
    expect(&["bind-unspec", "0.0.0.0", "9003"], "ok")?;
    expect(&["bind-unspec", "0.0.0.0", "9004"], "errno=EACCES")?;
    unconfined(&["bind-unspec", "0.0.0.0", "9004"], "ok")?;
    // A well-formed connect to a forbidden port is still denied.
    expect(&["connect4", "127.0.0.1", "8090"], "errno=EACCES")
}

fn exec_side_doors() -> Outcome {
    use std::os::unix::process::ExitStatusExt;
    // personality(READ_IMPLIES_EXEC) makes brk's heap executable: refused to a domain
    // (brk fails, ENOMEM), not to an unconfined task, whose code in the heap runs.
    expect(&["brk-exec"], "errno=ENOMEM")?;
    unconfined(&["brk-exec"], "ok")?;
    // A program asking for an executable stack cannot start in a domain (the exec fails
    // past its point of no return: the task is killed), and starts unconfined.
    let out = Command::new("/bin/tcp-probe")
        .args(["exec", "/bin/tcp-probe-execstack", "self-attr"])
        .output()
        .map_err(|e| e.to_string())?;
    ensure(
        out.status.signal().is_some(),
        format!(
            "execstack program in a domain ended with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stdout).trim()
        ),
    )?;
    ensure_eq(
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        String::new(),
        "its output",
    )?;
    unconfined(
        &["exec", "/bin/tcp-probe-execstack", "self-attr"],
        "unconfined",
    )?;
    // What stays allowed: a normal program's heap and stack.
    expect(&["mmap-anon-rw"], "ok")
}

fn jit_memory() -> Outcome {
    // Executable memory that no file holds is refused to a domain in every mode unless its
    // policy grants `execmem`; memory writable and executable at once needs `execmem-rwx`
    // too. Each case next to the same call unconfined.
    let cases: &[(&[&str], &str, &str, &str)] = &[
        // (probe args, agent (no grant) and rollout (alert mode), flipper (execmem), jit (both))
        (&["jit-wx"], "mprotect: errno=EACCES", "ok", "ok"),
        (
            &["jit-rwx"],
            "mmap: errno=EACCES",
            "mmap: errno=EACCES",
            "ok",
        ),
        (&["mmap-anon-exec"], "errno=EACCES", "ok", "ok"),
        (&["mprotect-exec"], "errno=EACCES", "ok", "ok"),
        (&["mprotect-rwx"], "errno=EACCES", "errno=EACCES", "ok"),
        (&["memfd-mmap-exec"], "errno=EACCES", "ok", "ok"),
        // The heap after personality(READ_IMPLIES_EXEC) is writable and executable.
        (&["brk-exec"], "errno=ENOMEM", "errno=ENOMEM", "ok"),
    ];
    for (args, none, wx, both) in cases {
        let what = args.join(" ");
        unconfined(args, "ok")?;
        ensure_eq(
            probe(args)?,
            (*none).to_owned(),
            &format!("agent (no grant): {what}"),
        )?;
        ensure_eq(
            probe_in("rollout", args)?,
            (*none).to_owned(),
            &format!("rollout (alert mode, no grant): {what}"),
        )?;
        ensure_eq(
            probe_in("flipper", args)?,
            (*wx).to_owned(),
            &format!("flipper (execmem): {what}"),
        )?;
        ensure_eq(
            probe_in("jit", args)?,
            (*both).to_owned(),
            &format!("jit (execmem execmem-rwx): {what}"),
        )?;
    }
    // Running a memfd as a program is not executable memory: it has no type to execute,
    // even for a domain granted execmem.
    ensure_eq(
        probe_in("jit", &["memfd-exec", "/bin/tcp-probe"])?,
        "errno=EACCES".to_owned(),
        "jit: fexecve of a memfd",
    )?;
    unconfined(&["memfd-exec", "/bin/tcp-probe"], "unconfined")
}

fn internal_objects() -> Outcome {
    // Objects of the kernel's internal mounts (pipes, socket pairs, pidfds, namespace
    // files, memfds, eventfds) work in a domain as they do unconfined: ioctl on pipes and
    // sockets (event loops), pidfd_open and waitid(P_PIDFD), /proc/self/ns, reopening a
    // pipe through /proc/self/fd, write, ftruncate, fchmod and shared mappings of a memfd.
    for op in [
        "pipe-ioctl",
        "socketpair-ioctl",
        "pidfd-wait",
        "ns-open",
        "pipe-reopen",
        "memfd-rw",
        "eventfd-rw",
    ] {
        unconfined(&[op], "ok")?;
        expect(&[op], "ok")?;
        ensure_eq(
            probe_in("rollout", &[op])?,
            "ok".to_owned(),
            &format!("rollout: {op}"),
        )?;
    }
    Ok(())
}

fn protected_objects() -> Outcome {
    // Root gives protected objects other names in the agent's workspace: a hard link of a
    // file that existed when the policy was loaded, one of a file made afterwards in the
    // protected directory, a bind mount of a file and of the whole directory. Through
    // every alias the agent gets what it gets on the protected type (`getattr` only):
    // no read, no write, no unlink, no rename; the unconfined runner reads them all.
    write("/tmp/secret/late", "made after the load\n")?;
    write(
        "/tmp/secret/spare",
        "a file to remove through the bind mount\n",
    )?;
    let _ = fs::remove_file("/tmp/work/alias-key");
    let _ = fs::remove_file("/tmp/work/alias-late");
    fs::hard_link("/tmp/secret/key", "/tmp/work/alias-key")
        .map_err(|e| format!("link key: {e}"))?;
    fs::hard_link("/tmp/secret/late", "/tmp/work/alias-late")
        .map_err(|e| format!("link late: {e}"))?;
    write("/tmp/work/bound-key", "")?;
    fs::create_dir_all("/tmp/work/bound-dir").map_err(|e| e.to_string())?;
    use nix::mount::{mount, umount, MsFlags};
    let bind = |from: &str, to: &str| {
        mount(Some(from), to, None::<&str>, MsFlags::MS_BIND, None::<&str>)
            .map_err(|e| format!("bind {from} {to}: {e}"))
    };
    bind("/tmp/secret/key", "/tmp/work/bound-key")?;
    bind("/tmp/secret", "/tmp/work/bound-dir")?;
    let result = (|| {
        for alias in [
            "/tmp/work/alias-key",
            "/tmp/work/alias-late",
            "/tmp/work/bound-key",
            "/tmp/work/bound-dir/key",
        ] {
            unconfined(&["read", alias], "ok")?;
            // Twice: a read through the alias must not lower what the inode is known to be.
            expect(&["read", alias], "errno=EACCES")?;
            expect(&["read", alias], "errno=EACCES")?;
            expect(&["write", alias], "errno=EACCES")?;
            expect(&["stat", alias], "ok")?;
        }
        for alias in [
            "/tmp/work/alias-key",
            "/tmp/work/alias-late",
            "/tmp/work/bound-dir/key",
        ] {
            expect(&["unlink", alias], "errno=EACCES")?;
            // Within the alias's own mount (across mounts the kernel says EXDEV first).
            let dir = alias.rsplit_once('/').map_or("/tmp/work", |(d, _)| d);
            expect(&["rename", alias, &format!("{dir}/moved")], "errno=EACCES")?;
            expect(&["link", alias, &format!("{dir}/third")], "errno=EACCES")?;
        }
        // The protected names themselves, as before.
        expect(&["read", "/tmp/secret/key"], "errno=EACCES")?;
        expect(&["read", "/tmp/secret/late"], "errno=EACCES")?;
        // Removing through the bind mount is what removed the protected file itself: the
        // control removes a spare one.
        expect(&["unlink", "/tmp/work/bound-dir/spare"], "errno=EACCES")?;
        unconfined(&["unlink", "/tmp/work/bound-dir/spare"], "ok")?;
        ensure(
            fs::metadata("/tmp/secret/key").is_ok(),
            "the protected file is still there",
        )?;
        // A reload (same policy) resolves the protected names again: still protected.
        load_policy(&policy_text()?)?;
        expect(&["read", "/tmp/work/alias-key"], "errno=EACCES")?;
        expect(&["read", "/tmp/work/bound-dir/key"], "errno=EACCES")?;
        // What the workspace's own files get is unchanged (a fresh root-owned file: the
        // capability test gave /tmp/work/a away).
        write("/tmp/work/plain-after-reload", "x\n")?;
        expect(&["read", "/tmp/work/plain-after-reload"], "ok")?;
        // A protected file made after the load at an exact protected path that no one
        // has reached yet, then a bind mount of a directory above it: the mount's names
        // are the workspace's, the object is still the protected one.
        fs::create_dir_all("/tmp/work/home/.ssh").map_err(|e| e.to_string())?;
        write(
            "/tmp/work/home/.ssh/authorized_keys",
            "ssh-ed25519 AAAA root\n",
        )?;
        fs::create_dir_all("/tmp/work/bound-home").map_err(|e| e.to_string())?;
        bind("/tmp/work/home", "/tmp/work/bound-home")?;
        unconfined(&["read", "/tmp/work/bound-home/.ssh/authorized_keys"], "ok")?;
        expect(
            &["read", "/tmp/work/bound-home/.ssh/authorized_keys"],
            "errno=EACCES",
        )?;
        expect(
            &["write", "/tmp/work/bound-home/.ssh/authorized_keys"],
            "errno=EACCES",
        )?;
        expect(
            &["read", "/tmp/work/home/.ssh/authorized_keys"],
            "errno=EACCES",
        )?;
        // A new one there (a new inode no one has reached), renamed by root out of its
        // protected name: still protected by its new name.
        umount("/tmp/work/bound-home").map_err(|e| format!("umount: {e}"))?;
        fs::remove_file("/tmp/work/home/.ssh/authorized_keys").map_err(|e| e.to_string())?;
        write(
            "/tmp/work/home/.ssh/authorized_keys",
            "ssh-ed25519 BBBB root\n",
        )?;
        fs::rename("/tmp/work/home/.ssh/authorized_keys", "/tmp/work/moved-key")
            .map_err(|e| format!("rename: {e}"))?;
        unconfined(&["read", "/tmp/work/moved-key"], "ok")?;
        expect(&["read", "/tmp/work/moved-key"], "errno=EACCES")?;
        expect(&["unlink", "/tmp/work/moved-key"], "errno=EACCES")?;
        // Another new one, and root renames the directories above it (its parent, then
        // the parent's parent) before anyone reached it: still protected by every new
        // name. The control: a file beside it that no rule protects stays readable.
        write(
            "/tmp/work/home/.ssh/authorized_keys",
            "ssh-ed25519 CCCC root\n",
        )?;
        write("/tmp/work/home/.ssh/config", "Host *\n")?;
        fs::rename("/tmp/work/home/.ssh", "/tmp/work/home/moved-ssh")
            .map_err(|e| format!("rename dir: {e}"))?;
        unconfined(&["read", "/tmp/work/home/moved-ssh/authorized_keys"], "ok")?;
        expect(
            &["read", "/tmp/work/home/moved-ssh/authorized_keys"],
            "errno=EACCES",
        )?;
        expect(&["read", "/tmp/work/home/moved-ssh/config"], "ok")?;
        fs::rename("/tmp/work/home/moved-ssh", "/tmp/work/home/.ssh")
            .map_err(|e| format!("rename dir back: {e}"))?;
        fs::remove_file("/tmp/work/home/.ssh/authorized_keys").map_err(|e| e.to_string())?;
        write(
            "/tmp/work/home/.ssh/authorized_keys",
            "ssh-ed25519 DDDD root\n",
        )?;
        fs::rename("/tmp/work/home", "/tmp/work/moved-home")
            .map_err(|e| format!("rename grandparent: {e}"))?;
        unconfined(&["read", "/tmp/work/moved-home/.ssh/authorized_keys"], "ok")?;
        expect(
            &["read", "/tmp/work/moved-home/.ssh/authorized_keys"],
            "errno=EACCES",
        )?;
        expect(
            &["unlink", "/tmp/work/moved-home/.ssh/authorized_keys"],
            "errno=EACCES",
        )?;
        expect(&["read", "/tmp/work/moved-home/.ssh/config"], "ok")
    })();
    let _ = fs::remove_dir_all("/tmp/work/moved-home");
    let _ = fs::remove_file("/tmp/work/moved-key");
    let _ = umount("/tmp/work/bound-home");
    let _ = fs::remove_dir("/tmp/work/bound-home");
    let _ = fs::remove_dir_all("/tmp/work/home");
    let _ = umount("/tmp/work/bound-dir");
    let _ = umount("/tmp/work/bound-key");
    for f in [
        "/tmp/work/alias-key",
        "/tmp/work/alias-late",
        "/tmp/work/bound-key",
        "/tmp/secret/late",
        "/tmp/work/plain-after-reload",
    ] {
        let _ = fs::remove_file(f);
    }
    let _ = fs::remove_dir("/tmp/work/bound-dir");
    result
}

fn long_names() -> Outcome {
    // Objects whose absolute names are longer than PATH_MAX (4096 bytes), reached with
    // relative names from a directory 25 levels of 200-byte names deep: the kernel cannot
    // build their names, and they get the one type the policy gives everything below the
    // deepest directory above them whose name it can build.
    const LEVELS: &str = "25";
    let build = |dir: &str| -> Outcome {
        fs::create_dir_all(dir).map_err(|e| format!("mkdir {dir}: {e}"))?;
        // 25 x 201 bytes below DIR (the probe checks that getcwd there fails).
        unconfined(&["deep-build", dir, LEVELS], "ok")
    };
    let deep = |dir: &'static str, args: &[&'static str]| -> Vec<&'static str> {
        [&["deep", dir, LEVELS][..], args].concat()
    };
    build("/tmp/work/deep")?;
    build("/tmp/ro/deep")?;
    build("/tmp/mixed/deep")?;
    // In the workspace (prefix /tmp/work, nothing else named below /tmp/work/deep): what
    // the workspace allows, as for any short name there.
    for (args, want) in [
        (&["read", "f"][..], "ok"),
        (&["stat", "f"], "ok"),
        (&["create", "g"], "ok"),
        (&["write", "g"], "ok"),
        (&["rename", "g", "h"], "ok"),
        (&["link", "h", "i"], "ok"),
        (&["unlink", "h"], "ok"),
        (&["unlink", "i"], "ok"),
        (&["mkdir", "e"], "ok"),
        (&["rmdir", "e"], "ok"),
    ] {
        expect(&deep("/tmp/work/deep", args), want)?;
    }
    // In the read-only tree: reads yes, writes no; the unconfined control writes.
    expect(&deep("/tmp/ro/deep", &["read", "f"]), "ok")?;
    expect(&deep("/tmp/ro/deep", &["stat", "f"]), "ok")?;
    for args in [
        &["write", "f"][..],
        &["create", "g"],
        &["unlink", "f"],
        &["mkdir", "e"],
        &["rename", "f", "g"],
    ] {
        expect(&deep("/tmp/ro/deep", args), "errno=EACCES")?;
    }
    // Alert mode (a domain with no grants): would-be denials, not refusals.
    for args in [&["write", "f"][..], &["create", "g"]] {
        ensure_eq(
            probe_in("rollout", &deep("/tmp/ro/deep", args))?,
            "ok".to_owned(),
            &format!("alert mode: {args:?}"),
        )?;
    }
    unconfined(&deep("/tmp/ro/deep", &["write", "f"]), "ok")?;
    // Below /tmp/mixed a glob may name objects at any depth: no one type, so such objects
    // are refused (a would-be denial in alert mode); unconfined they are not.
    unconfined(&deep("/tmp/mixed/deep", &["read", "f"]), "ok")?;
    expect(&deep("/tmp/mixed/deep", &["read", "f"]), "errno=EACCES")?;
    expect(&deep("/tmp/mixed/deep", &["create", "g"]), "errno=EACCES")?;
    ensure_eq(
        probe_in("rollout", &deep("/tmp/mixed/deep", &["read", "f"]))?,
        "ok".to_owned(),
        "alert mode: mixed read",
    )
}

fn internal_kinds() -> Outcome {
    // The policy's rules name internal.memfd, internal.pipe and internal.namespace: a
    // domain that denies some of their permissions is refused exactly those, in every
    // hook that reaches them (mmap, ioctl, open through /proc/self/ns), and keeps the
    // rest of the default; the agent (default) and the unconfined control do them all.
    for (op, refused) in [
        ("memfd-rw", "mmap: errno=EACCES"),
        ("pipe-ioctl", "FIONREAD: errno=EACCES"),
        ("ns-open", "errno=EACCES"),
    ] {
        unconfined(&[op], "ok")?;
        expect(&[op], "ok")?;
        ensure_eq(
            probe_in("sealed", &[op])?,
            refused.to_owned(),
            &format!("sealed: {op}"),
        )?;
    }
    for op in ["pipe-reopen", "eventfd-rw", "pidfd-wait"] {
        ensure_eq(
            probe_in("sealed", &[op])?,
            "ok".to_owned(),
            &format!("sealed: {op}"),
        )?;
    }
    // Running a memfd: refused by default, allowed with `execute` on internal.memfd.
    expect(&["memfd-exec", "/bin/tcp-probe"], "errno=EACCES")?;
    ensure_eq(
        probe_in("reexec", &["memfd-exec", "/bin/tcp-probe"])?,
        "reexec".to_owned(),
        "reexec: fexecve of a memfd",
    )?;
    unconfined(&["memfd-exec", "/bin/tcp-probe"], "unconfined")?;
    // Alert mode: would-be denials only.
    set_mode("alert")?;
    let alert = probe_in("sealed", &["ns-open"]);
    set_mode("enforce")?;
    ensure_eq(alert?, "ok".to_owned(), "sealed in alert mode: ns-open")
}

/// Runs `tcp-probe ARGS` (in `agent`) with `stdin` as its standard input when given, and
/// asserts that it reports `want` and that the events name a would-be denial of `op` by
/// `agent` (`decision=allow mode=alert`).
fn would_deny(args: &[&str], stdin: Option<std::os::fd::OwnedFd>, want: &str, op: &str) -> Outcome {
    let _ = crate::reporting::drain_events()?;
    let got = match stdin {
        Some(fd) => run_probe_with_stdin("/bin/tcp-probe", fd.into(), args)?,
        None => probe(args)?,
    };
    ensure_eq(
        got,
        want.to_owned(),
        &format!("alert mode: tcp-probe {}", args.join(" ")),
    )?;
    let (events, _) = crate::reporting::drain_events()?;
    let field = |e: &std::collections::HashMap<String, String>, k: &str| {
        e.get(k).cloned().unwrap_or_default()
    };
    ensure(
        events.iter().any(|e| {
            field(e, "op") == op
                && field(e, "domain") == "agent"
                && field(e, "decision") == "allow"
                && field(e, "mode") == "alert"
        }),
        format!("alert mode: no would-be denial op={op} for {args:?} in {events:?}"),
    )
}

fn alert_each_class() -> Outcome {
    // Each class of bypass, with the global mode `alert` (the agent follows it): what the
    // policy refuses in enforce goes through and is reported as a would-be denial naming
    // the hook; what no mode softens (a symlink where a protected name leads, executable
    // memory no file holds) is refused in alert mode too.
    use std::net::{TcpListener, TcpStream};
    let dirs = [
        "/tmp/work/plant/bin",
        "/tmp/work/gate",
        "/tmp/work/cfg",
        "/tmp/work/home",
        "/tmp/work/mine",
    ];
    for d in dirs {
        fs::create_dir_all(d).map_err(|e| format!("mkdir {d}: {e}"))?;
    }
    fs::copy("/bin/tcp-probe", "/tmp/work/plant/bin/wide")
        .map_err(|e| format!("copy probe: {e}"))?;
    write("/tmp/work/cfg/settings", "safe\n")?;
    let _ = fs::remove_file("/tmp/work/alias-key");
    fs::hard_link("/tmp/secret/key", "/tmp/work/alias-key")
        .map_err(|e| format!("link key: {e}"))?;
    let listener = TcpListener::bind("127.0.0.1:8090").map_err(|e| format!("listen 8090: {e}"))?;
    set_mode("alert")?;
    let result = (|| {
        // 1. Moves: a directory onto the transition's executable, one out of its type.
        would_deny(
            &["rename", "/tmp/work/plant/bin", "/tmp/work/gate/bin"],
            None,
            "ok",
            "path_rename",
        )?;
        unconfined(
            &["rename", "/tmp/work/gate/bin", "/tmp/work/plant/bin"],
            "ok",
        )?;
        would_deny(
            &["rename", "/tmp/work/cfg", "/tmp/work/cfg2"],
            None,
            "ok",
            "path_rename",
        )?;
        unconfined(&["rename", "/tmp/work/cfg2", "/tmp/work/cfg"], "ok")?;
        // 2. Symlinks: at the transition's executable (the mode applies) and where a
        // protected name leads (always refused).
        fs::create_dir_all("/tmp/work/gate/bin").map_err(|e| e.to_string())?;
        would_deny(
            &[
                "symlink",
                "/tmp/work/plant/bin/wide",
                "/tmp/work/gate/bin/wide",
            ],
            None,
            "ok",
            "path_symlink",
        )?;
        fs::remove_file("/tmp/work/gate/bin/wide").map_err(|e| e.to_string())?;
        expect(
            &["symlink", "/tmp/work/mine", "/tmp/work/home/.ssh"],
            "errno=EACCES",
        )?;
        // 3. A transition through an entry point the agent wrote.
        fs::copy("/bin/tcp-probe", "/tmp/work/gate/bin/wide")
            .map_err(|e| format!("copy probe: {e}"))?;
        let _ = fs::remove_file("/tmp/work/alias");
        fs::hard_link("/tmp/work/gate/bin/wide", "/tmp/work/alias")
            .map_err(|e| format!("link: {e}"))?;
        expect(&["write", "/tmp/work/alias"], "ok")?;
        would_deny(
            &["exec", "/tmp/work/gate/bin/wide", "self-attr"],
            None,
            "other",
            "bprm_creds_for_exec",
        )?;
        // 4. A protected object through another name.
        would_deny(&["read", "/tmp/work/alias-key"], None, "ok", "file_open")?;
        // 5. A foreign socket to a forbidden peer, with a decoy destination.
        let stream =
            TcpStream::connect("127.0.0.1:8090").map_err(|e| format!("connect 8090: {e}"))?;
        would_deny(
            &["sendto-decoy-fd", "0"],
            Some(stream.into()),
            "ok",
            "socket_sendmsg",
        )?;
        // 6. Listing a directory through an inherited descriptor.
        let dir = fs::File::open("/tmp/secret").map_err(|e| e.to_string())?;
        would_deny(
            &["getdents-fd", "0"],
            Some(dir.into()),
            "ok",
            "file_permission",
        )?;
        // 7. Executable memory by a side door: refused in every mode.
        expect(&["brk-exec"], "errno=ENOMEM")?;
        expect(&["mmap-anon-exec"], "errno=EACCES")
    })();
    set_mode("enforce")?;
    drop(listener);
    for d in [
        "/tmp/work/plant",
        "/tmp/work/gate",
        "/tmp/work/cfg",
        "/tmp/work/cfg2",
        "/tmp/work/home",
        "/tmp/work/mine",
    ] {
        let _ = fs::remove_dir_all(d);
    }
    let _ = fs::remove_file("/tmp/work/alias-key");
    let _ = fs::remove_file("/tmp/work/alias");
    result
}
