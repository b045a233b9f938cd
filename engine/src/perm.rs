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
    "module-load",
    "module-request",
    "kernel-read-file",
    "bpf",
    "time",
    "kexec",
    "io-uring",
    "mount",
    "perf",
    "reboot",
];

/// Process operations, bit `i` named `PROCESS_OPS[i]`.
pub const PROCESS_OPS: &[&str] = &[
    "setuid",
    "setgid",
    "prctl",
    "rlimit",
    "nice",
    "scheduler",
    "setpgid",
    "setsid",
    "ioprio",
    "execmem",
    "execmem-rwx",
];

/// Capability names in kernel numbering (`CAP_CHOWN` = 0 ... `CAP_CHECKPOINT_RESTORE` = 40),
/// lowercase without the `cap_` prefix.
pub const CAPABILITIES: &[&str] = &[
    "chown",
    "dac_override",
    "dac_read_search",
    "fowner",
    "fsetid",
    "kill",
    "setgid",
    "setuid",
    "setpcap",
    "linux_immutable",
    "net_bind_service",
    "net_broadcast",
    "net_admin",
    "net_raw",
    "ipc_lock",
    "ipc_owner",
    "sys_module",
    "sys_rawio",
    "sys_chroot",
    "sys_ptrace",
    "sys_pacct",
    "sys_admin",
    "sys_boot",
    "sys_nice",
    "sys_resource",
    "sys_time",
    "sys_tty_config",
    "mknod",
    "lease",
    "audit_write",
    "audit_control",
    "setfcap",
    "mac_override",
    "mac_admin",
    "syslog",
    "wake_alarm",
    "block_suspend",
    "audit_read",
    "perfmon",
    "bpf",
    "checkpoint_restore",
];

/// The kinds of objects of the kernel's internal mounts that file rules can name, each by
/// a built-in type (`allow file internal.memfd execute;`): no path rule can name these
/// objects; a task made them or was given them. A policy whose rules never name a kind
/// leaves it to [`bits::file::INTERNAL_DEFAULT`]; one that does gets the type in its
/// binary, with that default granted to every domain and the rules' allow and deny on
/// top. Sockets are decided by the network rules, SysV shared memory by the `ipc` rules,
/// anonymous shared memory as memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Internal {
    /// Pipes (`pipe(2)`; pipefs).
    Pipe = 0,
    /// `memfd_create(2)` files (shmem's internal mount, names `memfd:*`).
    Memfd = 1,
    /// Process descriptors (`pidfd_open(2)`, `CLONE_PIDFD`; pidfs).
    Pidfd = 2,
    /// Namespace files (`/proc/PID/ns/*`; nsfs).
    Namespace = 3,
    /// `eventfd(2)`.
    Eventfd = 4,
    /// `timerfd_create(2)`.
    Timerfd = 5,
    /// `signalfd(2)`.
    Signalfd = 6,
    /// `epoll_create(2)`.
    Epoll = 7,
    /// `inotify_init(2)`.
    Inotify = 8,
    /// `io_uring_setup(2)` (its creation needs `system io-uring`).
    IoUring = 9,
    /// `userfaultfd(2)`.
    Userfaultfd = 10,
    /// Every other anonymous inode or internal object (perf events, BPF objects,
    /// fanotify, secret memory, ...).
    Other = 11,
}

impl Internal {
    /// Every kind, in encoding order.
    pub const ALL: [Internal; 12] = [
        Internal::Pipe,
        Internal::Memfd,
        Internal::Pidfd,
        Internal::Namespace,
        Internal::Eventfd,
        Internal::Timerfd,
        Internal::Signalfd,
        Internal::Epoll,
        Internal::Inotify,
        Internal::IoUring,
        Internal::Userfaultfd,
        Internal::Other,
    ];

    /// The built-in type that names objects of this kind in file rules.
    pub const fn type_name(self) -> &'static str {
        match self {
            Internal::Pipe => "internal.pipe",
            Internal::Memfd => "internal.memfd",
            Internal::Pidfd => "internal.pidfd",
            Internal::Namespace => "internal.namespace",
            Internal::Eventfd => "internal.eventfd",
            Internal::Timerfd => "internal.timerfd",
            Internal::Signalfd => "internal.signalfd",
            Internal::Epoll => "internal.epoll",
            Internal::Inotify => "internal.inotify",
            Internal::IoUring => "internal.io_uring",
            Internal::Userfaultfd => "internal.userfaultfd",
            Internal::Other => "internal.other",
        }
    }

    /// The kind whose built-in type is `name`.
    pub fn from_type_name(name: &str) -> Option<Internal> {
        Internal::ALL.into_iter().find(|k| k.type_name() == name)
    }

    /// The kind of an anonymous inode's file, by the name its creator gave it
    /// (`anon_inode_getfile(NAME, ...)` in the kernel).
    pub fn of_anon_name(name: &[u8]) -> Internal {
        match name {
            b"[eventfd]" => Internal::Eventfd,
            b"[timerfd]" => Internal::Timerfd,
            b"[signalfd]" => Internal::Signalfd,
            b"[eventpoll]" => Internal::Epoll,
            b"inotify" => Internal::Inotify,
            b"[io_uring]" => Internal::IoUring,
            b"[userfaultfd]" => Internal::Userfaultfd,
            b"[pidfd]" => Internal::Pidfd,
            _ => Internal::Other,
        }
    }
}

/// The prefix of the names of the built-in types of [`Internal`]: no declared type may
/// use it.
pub const INTERNAL_PREFIX: &str = "internal.";

/// The bit of permission `name` in `names`, if any.
pub fn bit_of(names: &[&str], name: &str) -> Option<u32> {
    names
        .iter()
        .position(|n| *n == name)
        .and_then(|i| u32::try_from(i).ok())
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

/// Bit masks of the permission names above, for code that tests them (the kernel's hooks).
/// `tests::masks_match_names` checks every mask against its name.
pub mod bits {
    /// File permission bits (`FILE_PERMS`).
    pub mod file {
        #![allow(missing_docs)]
        pub const READ: u32 = 1 << 0;
        pub const WRITE: u32 = 1 << 1;
        pub const APPEND: u32 = 1 << 2;
        pub const EXECUTE: u32 = 1 << 3;
        pub const CREATE: u32 = 1 << 4;
        pub const UNLINK: u32 = 1 << 5;
        pub const RENAME: u32 = 1 << 6;
        pub const LINK: u32 = 1 << 7;
        pub const SETATTR: u32 = 1 << 8;
        pub const GETATTR: u32 = 1 << 9;
        pub const XATTR: u32 = 1 << 10;
        pub const IOCTL: u32 = 1 << 11;
        pub const LOCK: u32 = 1 << 12;
        pub const MMAP: u32 = 1 << 13;
        pub const CHDIR: u32 = 1 << 14;
        pub const MKDIR: u32 = 1 << 15;
        pub const RMDIR: u32 = 1 << 16;
        pub const MKNOD: u32 = 1 << 17;
        pub const SYMLINK: u32 = 1 << 18;
        pub const READDIR: u32 = 1 << 19;

        /// The permissions that move, remove or add names of an object: never granted
        /// on a protected type, whatever the rules and the mode (kernel and compiler
        /// both take them from here).
        pub const PROTECTED_NEVER: u32 = UNLINK | RENAME | LINK | RMDIR;

        /// What a domain needs on a type to plant an object of that type (write its
        /// content, create it, or give it a name of that type): an exec transition out
        /// of that domain through such an executable must pin the content's digest.
        pub const FORGE: u32 = WRITE | APPEND | CREATE | RENAME | LINK;

        /// What every domain holds on an object of the kernel's internal mounts (see
        /// [`super::super::Internal`]) of a kind its policy's rules do not mention: use
        /// it as a task uses what it made, but never run it.
        pub const INTERNAL_DEFAULT: u32 =
            READ | WRITE | APPEND | SETATTR | GETATTR | XATTR | IOCTL | LOCK | MMAP;
    }
    /// Network operation bits (`NET_OPS`).
    pub mod net {
        #![allow(missing_docs)]
        pub const CREATE: u32 = 1 << 0;
        pub const CONNECT: u32 = 1 << 1;
        pub const BIND: u32 = 1 << 2;
        pub const LISTEN: u32 = 1 << 3;
        pub const ACCEPT: u32 = 1 << 4;
        pub const SEND: u32 = 1 << 5;
    }
    /// Scope bits of signal and ptrace rules (`SCOPES`).
    pub mod scope {
        #![allow(missing_docs)]
        pub const SAME_DOMAIN: u32 = 1 << 0;
        pub const ANY: u32 = 1 << 1;
    }
    /// SysV IPC bits (`IPC_PERMS`).
    pub mod ipc {
        #![allow(missing_docs)]
        pub const SHM: u32 = 1 << 0;
        pub const MSG: u32 = 1 << 1;
        pub const SEM: u32 = 1 << 2;
    }
    /// System operation bits (`SYSTEM_OPS`).
    pub mod system {
        #![allow(missing_docs)]
        pub const MODULE_LOAD: u32 = 1 << 0;
        pub const MODULE_REQUEST: u32 = 1 << 1;
        pub const KERNEL_READ_FILE: u32 = 1 << 2;
        pub const BPF: u32 = 1 << 3;
        pub const TIME: u32 = 1 << 4;
        pub const KEXEC: u32 = 1 << 5;
        pub const IO_URING: u32 = 1 << 6;
        pub const MOUNT: u32 = 1 << 7;
        pub const PERF: u32 = 1 << 8;
        pub const REBOOT: u32 = 1 << 9;
    }
    /// Process operation bits (`PROCESS_OPS`).
    pub mod process {
        #![allow(missing_docs)]
        pub const SETUID: u32 = 1 << 0;
        pub const SETGID: u32 = 1 << 1;
        pub const PRCTL: u32 = 1 << 2;
        pub const RLIMIT: u32 = 1 << 3;
        pub const NICE: u32 = 1 << 4;
        pub const SCHEDULER: u32 = 1 << 5;
        pub const SETPGID: u32 = 1 << 6;
        pub const SETSID: u32 = 1 << 7;
        pub const IOPRIO: u32 = 1 << 8;
        /// Executable memory that is not a file's own content: anonymous mappings, the
        /// heap and stack, and private file pages that were written (SELinux's
        /// `execmem` and `execmod`); never writable at the same time. A JIT that flips
        /// pages between writable and executable needs it.
        pub const EXECMEM: u32 = 1 << 9;
        /// Memory that is writable and executable at the same time (a JIT that writes
        /// code in place, such as V8 on x86-64 with memory protection keys). Each
        /// property asks its own permission: anonymous memory mapped writable and
        /// executable needs both this and `EXECMEM`.
        pub const EXECMEM_RWX: u32 = 1 << 10;
    }
    /// Capabilities a confined domain never gets, whatever its policy says: loading
    /// kernel code, raw hardware access, rebooting, tracing, administering MAC (this LSM),
    /// overriding MAC, and BPF.
    pub const NEVER_GRANTED_CAPS: u64 = (1 << 16) // sys_module
        | (1 << 17) // sys_rawio
        | (1 << 22) // sys_boot
        | (1 << 19) // sys_ptrace
        | (1 << 33) // mac_admin
        | (1 << 32) // mac_override
        | (1 << 39); // bpf
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(names: &[&str], pairs: &[(&str, u32)]) {
        for (name, mask) in pairs {
            assert_eq!(
                bit_of(names, name).map(|b| 1u32 << b),
                Some(*mask),
                "{name}"
            );
        }
    }

    #[test]
    fn masks_match_names() {
        use bits::*;
        check(
            FILE_PERMS,
            &[
                ("read", file::READ),
                ("write", file::WRITE),
                ("append", file::APPEND),
                ("execute", file::EXECUTE),
                ("create", file::CREATE),
                ("unlink", file::UNLINK),
                ("rename", file::RENAME),
                ("link", file::LINK),
                ("setattr", file::SETATTR),
                ("getattr", file::GETATTR),
                ("xattr", file::XATTR),
                ("ioctl", file::IOCTL),
                ("lock", file::LOCK),
                ("mmap", file::MMAP),
                ("chdir", file::CHDIR),
                ("mkdir", file::MKDIR),
                ("rmdir", file::RMDIR),
                ("mknod", file::MKNOD),
                ("symlink", file::SYMLINK),
                ("readdir", file::READDIR),
            ],
        );
        check(
            NET_OPS,
            &[
                ("create", net::CREATE),
                ("connect", net::CONNECT),
                ("bind", net::BIND),
                ("listen", net::LISTEN),
                ("accept", net::ACCEPT),
                ("send", net::SEND),
            ],
        );
        check(
            SCOPES,
            &[("same-domain", scope::SAME_DOMAIN), ("any", scope::ANY)],
        );
        check(
            IPC_PERMS,
            &[("shm", ipc::SHM), ("msg", ipc::MSG), ("sem", ipc::SEM)],
        );
        check(
            SYSTEM_OPS,
            &[
                ("module-load", system::MODULE_LOAD),
                ("module-request", system::MODULE_REQUEST),
                ("kernel-read-file", system::KERNEL_READ_FILE),
                ("bpf", system::BPF),
                ("time", system::TIME),
                ("kexec", system::KEXEC),
                ("io-uring", system::IO_URING),
                ("mount", system::MOUNT),
                ("perf", system::PERF),
                ("reboot", system::REBOOT),
            ],
        );
        check(
            PROCESS_OPS,
            &[
                ("setuid", process::SETUID),
                ("setgid", process::SETGID),
                ("prctl", process::PRCTL),
                ("rlimit", process::RLIMIT),
                ("nice", process::NICE),
                ("scheduler", process::SCHEDULER),
                ("setpgid", process::SETPGID),
                ("setsid", process::SETSID),
                ("ioprio", process::IOPRIO),
                ("execmem", process::EXECMEM),
                ("execmem-rwx", process::EXECMEM_RWX),
            ],
        );
        for (cap, name) in [
            (16, "sys_module"),
            (17, "sys_rawio"),
            (22, "sys_boot"),
            (19, "sys_ptrace"),
            (33, "mac_admin"),
            (32, "mac_override"),
            (39, "bpf"),
        ] {
            assert_eq!(CAPABILITIES[cap], name);
            assert!(bits::NEVER_GRANTED_CAPS & (1 << cap) != 0);
        }
        assert_eq!(bits::NEVER_GRANTED_CAPS.count_ones(), 7);
    }
}
