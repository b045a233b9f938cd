//! Permission bits, operation sets and their names: the vocabulary shared by the policy
//! language, the binary format, the kernel and the CLI.
//!
//! Every set is a `u32` (capabilities: `u64`) of bits; each bit has one lowercase name.

/// Object classes a rule can be about (the seed's `--class`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Class {
    /// Files, directories and other inodes, by object type.
    File = 1,
    /// Network operations.
    Net = 2,
    /// Capabilities.
    Capability = 3,
    /// Signals to other tasks.
    Signal = 4,
    /// Ptrace in either direction.
    Ptrace = 5,
    /// SysV IPC.
    Ipc = 6,
    /// System operations (module load, BPF, time, kexec, ...).
    System = 7,
    /// Process attribute changes (setuid, prctl, rlimit, ...).
    Process = 8,
}

impl Class {
    /// Every class, in encoding order.
    pub const ALL: [Class; 8] = [
        Class::File,
        Class::Net,
        Class::Capability,
        Class::Signal,
        Class::Ptrace,
        Class::Ipc,
        Class::System,
        Class::Process,
    ];

    /// Name in the policy language and on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Class::File => "file",
            Class::Net => "net",
            Class::Capability => "capability",
            Class::Signal => "signal",
            Class::Ptrace => "ptrace",
            Class::Ipc => "ipc",
            Class::System => "system",
            Class::Process => "process",
        }
    }

    /// The class called `name`.
    pub fn from_name(name: &str) -> Option<Class> {
        Class::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The class encoded as `value`.
    pub fn from_u8(value: u8) -> Option<Class> {
        Class::ALL.into_iter().find(|c| *c as u8 == value)
    }

    /// Names of the permission bits of this class, bit `i` at index `i`.
    pub const fn permission_names(self) -> &'static [&'static str] {
        match self {
            Class::File => FILE_PERMS,
            Class::Net => NET_OPS,
            Class::Capability => CAPABILITIES,
            Class::Signal | Class::Ptrace => SCOPES,
            Class::Ipc => IPC_PERMS,
            Class::System => SYSTEM_OPS,
            Class::Process => PROCESS_OPS,
        }
    }
}

/// File permissions, bit `i` named `FILE_PERMS[i]`.
pub const FILE_PERMS: &[&str] = &[
    "read", "write", "append", "execute", "create", "unlink", "rename", "link", "setattr",
    "getattr", "xattr", "ioctl", "lock", "mmap", "chdir", "mkdir", "rmdir", "mknod", "symlink",
    "readdir",
];

/// Network operations, bit `i` named `NET_OPS[i]`.
pub const NET_OPS: &[&str] = &["create", "connect", "bind", "listen", "accept", "send"];

/// Scopes of signal and ptrace rules, bit `i` named `SCOPES[i]`: to tasks of the same
/// domain, or to any task.
pub const SCOPES: &[&str] = &["same-domain", "any"];

/// SysV IPC permissions, bit `i` named `IPC_PERMS[i]`.
pub const IPC_PERMS: &[&str] = &["shm", "msg", "sem"];

/// System operations, bit `i` named `SYSTEM_OPS[i]`.
pub const SYSTEM_OPS: &[&str] = &[
    "module-load", "module-request", "kernel-read-file", "bpf", "time", "kexec", "io-uring",
    "mount", "perf", "reboot",
];

/// Process operations, bit `i` named `PROCESS_OPS[i]`.
pub const PROCESS_OPS: &[&str] = &[
    "setuid", "setgid", "prctl", "rlimit", "nice", "scheduler", "setpgid", "setsid", "ioprio",
];

/// Capability names in kernel numbering (`CAP_CHOWN` = 0 ... `CAP_CHECKPOINT_RESTORE` = 40),
/// lowercase without the `cap_` prefix.
pub const CAPABILITIES: &[&str] = &[
    "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid",
    "setpcap", "linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw",
    "ipc_lock", "ipc_owner", "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
    "sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time", "sys_tty_config", "mknod",
    "lease", "audit_write", "audit_control", "setfcap", "mac_override", "mac_admin", "syslog",
    "wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
];

/// The bit of permission `name` in `names`, if any.
pub fn bit_of(names: &[&str], name: &str) -> Option<u32> {
    names.iter().position(|n| *n == name).and_then(|i| u32::try_from(i).ok())
}

/// Mask of every defined bit of a set with `count` names.
pub const fn all_bits(count: usize) -> u64 {
    if count >= 64 {
        u64::MAX
    } else {
        (1u64 << count) - 1
    }
}

/// Every defined file permission bit.
pub const FILE_PERMS_MASK: u32 = all_bits(FILE_PERMS.len()) as u32;

/// Every defined network operation bit.
pub const NET_OPS_MASK: u32 = all_bits(NET_OPS.len()) as u32;

/// Every defined signal/ptrace scope bit.
pub const SCOPES_MASK: u32 = all_bits(SCOPES.len()) as u32;

/// Every defined SysV IPC permission bit.
pub const IPC_PERMS_MASK: u32 = all_bits(IPC_PERMS.len()) as u32;

/// Every defined system operation bit.
pub const SYSTEM_OPS_MASK: u32 = all_bits(SYSTEM_OPS.len()) as u32;

/// Every defined process operation bit.
pub const PROCESS_OPS_MASK: u32 = all_bits(PROCESS_OPS.len()) as u32;

/// Every defined capability bit (`CAP_CHOWN` = bit 0 ... `CAP_CHECKPOINT_RESTORE` = bit 40).
pub const CAPABILITIES_MASK: u64 = all_bits(CAPABILITIES.len());
