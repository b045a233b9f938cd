//! Mediation tests: a policy confines `/bin/tcp-probe` (an exec transition), and each test
//! runs the probe for one system call on the allowed path and on the denied path, asserting
//! the outcome (`ok` or the errno). Bypass attempts are among them: exec through a script,
//! a memfd or a mapping; links, renames and symlinks to a protected file; IPv4-mapped IPv6
//! connects; unconnected UDP sends; io_uring; setuid, fork and self-attr requests to leave
//! the domain; writes to securityfs from inside the domain.
//!
//! One file per hook family, each naming the hooks it tests; the helpers they share are in
//! `crate::helpers`. [`ACTIVE`] lists the tests in the order they run, which interleaves
//! the families: some tests depend on what earlier ones leave (the setup comes first).

mod exec;
mod file;
mod internal;
mod ipc;
mod memory;
mod modes;
mod net;
mod protected;
mod scope;
mod self_protection;
mod system;
mod tasks;

use crate::harness::Test;
use crate::helpers::fixture::setup;

use exec::{
    confined_cannot_request, digest_transition, domain_entered, exec_checks, exec_more,
    forged_entrypoint, fork_keeps_domain, ld_so_bypass, self_attr_exec, self_attr_shown,
    setuid_keeps_domain,
};
use file::{
    file_attrs, file_namespace, file_open, file_xattr_ioctl_lock, inherited_fds, long_names,
    received_fds, symlink_bypass, symlink_truncate, timestamps, type_follows_names,
    unnamed_objects,
};
use internal::{internal_kinds, internal_objects};
use ipc::{ipc, ipc_existing};
use memory::{exec_side_doors, jit_memory, memory, memory_more};
use modes::{alert_each_class, always_on, behaviour_limits, heartbeat, monitor_mode};
use net::{
    foreign_sockets, malformed_addresses, net_bind_unix, net_connect, net_create,
    net_listen_accept, net_mapped, net_protocols, net_sendto, unix_symlink_bypass,
};
use protected::{name_takeover, protected, protected_objects, protected_parent};
use scope::{namespaces, unconfined_unaffected, with_landlock};
use self_protection::{rejected_load_keeps_policy, securityfs_passed_fd, self_protection};
use system::{allowed_ipc_system, mount, mount_ops, system_ops, uring_bypass};
use tasks::{
    capabilities, more_process_ops, never_granted, process_ops, process_queries, setuid, sigio,
    signals_ptrace,
};

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
