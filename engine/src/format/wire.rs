//! The wire layout of `policy.bin`: the sizes of the header, the section table and each
//! record, the limits on counts, lengths and values, the encoded constants, the byte
//! offset of every field ([`field`]) and the kinds of sections ([`SectionKind`]).

use super::super::abi::POLICY_ABI_VERSION;

/// First 8 bytes of every blob.
pub const MAGIC: [u8; 8] = *b"TCPLSMPB";
/// The ABI version this module reads and writes.
pub const VERSION: u32 = POLICY_ABI_VERSION;
/// Size of the header.
pub const HEADER_SIZE: usize = 64;
/// Size of one section table entry.
pub const SECTION_ENTRY_SIZE: usize = 16;
/// Number of sections (one of each kind).
pub const SECTION_COUNT: usize = 8;
/// Where the first section starts: right after the header and the section table.
pub const SECTIONS_START: usize = HEADER_SIZE + SECTION_COUNT * SECTION_ENTRY_SIZE;
/// Largest blob accepted (64 MiB).
pub const MAX_POLICY_SIZE: usize = 64 << 20;

/// Size of the settings record.
pub const SETTINGS_RECORD_SIZE: usize = 16;
/// Size of an object type record.
pub const TYPE_RECORD_SIZE: usize = 12;
/// Size of a path rule record.
pub const PATH_RECORD_SIZE: usize = 16;
/// Size of a domain record.
pub const DOMAIN_RECORD_SIZE: usize = 72;
/// Size of a file rule record.
pub const FILE_RULE_RECORD_SIZE: usize = 12;
/// Size of a network rule record.
pub const NET_RULE_RECORD_SIZE: usize = 48;
/// Size of a transition record.
pub const TRANSITION_RECORD_SIZE: usize = 52;

/// Longest type or domain name, in bytes.
pub const MAX_NAME_LEN: usize = 64;
/// Longest path (exact or prefix pattern, executable), in bytes.
pub const MAX_PATH_LEN: usize = 4096;
/// Longest glob pattern, in bytes (bounds the matcher's state to 1025 bits on the stack).
pub const MAX_GLOB_LEN: usize = 1024;
/// Longest Unix socket path or `@`-prefixed abstract name (the size of `sun_path`).
pub const MAX_UNIX_PATH_LEN: usize = 108;
/// Most domains in a policy (ids 1..=65535).
pub const MAX_DOMAINS: usize = 65535;
/// Most object types in a policy (ids 1..=65535).
pub const MAX_TYPES: usize = 65535;
/// Longest heartbeat timeout (one day).
pub const MAX_HEARTBEAT_TIMEOUT_MS: u32 = 86_400_000;
/// Largest behaviour anomaly threshold.
pub const MAX_ANOMALY_THRESHOLD: u32 = 1_000_000;
/// Longest behaviour window (one hour).
pub const MAX_WINDOW_MS: u32 = 3_600_000;
/// Encoded "no mode" (settings: leave the global mode; domain: follow the global mode).
pub const MODE_NONE: u8 = 0xFF;
/// Type flag: the type is protected.
pub const TYPE_FLAG_PROTECTED: u32 = 1;
/// Domain response byte: no behaviour limits.
pub const RESPONSE_NONE: u8 = 0;
/// Domain response byte: audit.
pub const RESPONSE_AUDIT: u8 = 1;
/// Domain response byte: quarantine.
pub const RESPONSE_QUARANTINE: u8 = 2;

/// Byte offsets of the fields of the header, of a section table entry and of each record.
pub mod field {
    /// Header fields.
    pub mod header {
        /// `[u8; 8]` magic.
        pub const MAGIC: usize = 0;
        /// `u32` ABI version.
        pub const VERSION: usize = 8;
        /// `u32` header size (64).
        pub const HEADER_SIZE: usize = 12;
        /// `u32` total size of the blob.
        pub const TOTAL_SIZE: usize = 16;
        /// `u32` number of sections (8).
        pub const SECTION_COUNT: usize = 20;
        /// `u32` flags (0).
        pub const FLAGS: usize = 24;
        /// `u32` reserved (0).
        pub const RESERVED: usize = 28;
        /// `[u8; 32]` SHA-256 of the blob with this field zeroed.
        pub const DIGEST: usize = 32;
    }
    /// Section table entry fields.
    pub mod entry {
        /// `u32` section kind.
        pub const KIND: usize = 0;
        /// `u32` offset of the section in the blob.
        pub const OFFSET: usize = 4;
        /// `u32` length of the section in bytes.
        pub const LENGTH: usize = 8;
        /// `u32` number of records (strings: bytes).
        pub const COUNT: usize = 12;
    }
    /// Settings record fields.
    pub mod settings {
        /// `u8` mode (0xFF none).
        pub const MODE: usize = 0;
        /// `u8` heartbeat action (0 none).
        pub const HEARTBEAT_ACTION: usize = 1;
        /// `u16` reserved.
        pub const RESERVED0: usize = 2;
        /// `u32` heartbeat timeout in milliseconds.
        pub const HEARTBEAT_TIMEOUT: usize = 4;
        /// `u64` reserved.
        pub const RESERVED1: usize = 8;
    }
    /// Object type record fields.
    pub mod object_type {
        /// `str` name.
        pub const NAME: usize = 0;
        /// `u32` flags.
        pub const FLAGS: usize = 8;
    }
    /// Path rule record fields.
    pub mod path {
        /// `str` pattern.
        pub const PATTERN: usize = 0;
        /// `u32` match kind.
        pub const KIND: usize = 8;
        /// `u32` type id.
        pub const TYPE_ID: usize = 12;
    }
    /// Domain record fields.
    pub mod domain {
        /// `str` name.
        pub const NAME: usize = 0;
        /// `u8` mode (0xFF follow the global mode).
        pub const MODE: usize = 8;
        /// `u8` behaviour response.
        pub const RESPONSE: usize = 9;
        /// `u16` reserved.
        pub const RESERVED: usize = 10;
        /// `u32` signal scope bits.
        pub const SIGNAL: usize = 12;
        /// `u32` ptrace scope bits.
        pub const PTRACE: usize = 16;
        /// `u32` IPC bits.
        pub const IPC: usize = 20;
        /// `u64` capability bits.
        pub const CAPABILITIES: usize = 24;
        /// `u32` system operation bits.
        pub const SYSTEM: usize = 32;
        /// `u32` process operation bits.
        pub const PROCESS: usize = 36;
        /// `u32` index of the domain's first file rule.
        pub const FILE_START: usize = 40;
        /// `u32` number of file rules.
        pub const FILE_COUNT: usize = 44;
        /// `u32` index of the domain's first network rule.
        pub const NET_START: usize = 48;
        /// `u32` number of network rules.
        pub const NET_COUNT: usize = 52;
        /// `u32` anomaly threshold.
        pub const THRESHOLD: usize = 56;
        /// `u32` window in milliseconds.
        pub const WINDOW: usize = 60;
        /// `u32` most operations per window.
        pub const MAX_OPS: usize = 64;
        /// `u32` quarantine domain id.
        pub const QUARANTINE: usize = 68;
    }
    /// File rule record fields.
    pub mod file_rule {
        /// `u32` type id.
        pub const TYPE_ID: usize = 0;
        /// `u32` decision.
        pub const DECISION: usize = 4;
        /// `u32` permission bits.
        pub const PERMS: usize = 8;
    }
    /// Network rule record fields.
    pub mod net_rule {
        /// `u8` decision.
        pub const DECISION: usize = 0;
        /// `u8` family.
        pub const FAMILY: usize = 1;
        /// `u8` protocol.
        pub const PROTOCOL: usize = 2;
        /// `u8` prefix length.
        pub const PREFIX_LEN: usize = 3;
        /// `u32` operation bits.
        pub const OPS: usize = 4;
        /// `[u8; 16]` address.
        pub const ADDR: usize = 8;
        /// `u16` first port.
        pub const PORT_LO: usize = 24;
        /// `u16` last port.
        pub const PORT_HI: usize = 26;
        /// `str` Unix path.
        pub const UNIX_PATH: usize = 28;
        /// `u32` reserved.
        pub const RESERVED0: usize = 36;
        /// `u64` reserved.
        pub const RESERVED1: usize = 40;
    }
    /// Transition record fields.
    pub mod transition {
        /// `u32` domain before exec (0 unconfined).
        pub const FROM: usize = 0;
        /// `str` executable path.
        pub const EXE: usize = 4;
        /// `u32` domain entered.
        pub const TO: usize = 12;
        /// `u32` 1 when `digest` applies.
        pub const HAS_DIGEST: usize = 16;
        /// `[u8; 32]` SHA-256 of the executable.
        pub const DIGEST: usize = 20;
    }
}

/// The kinds of sections, in table order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u32)]
pub enum SectionKind {
    /// The string pool.
    Strings = 1,
    /// The settings record.
    Settings = 2,
    /// Object types.
    Types = 3,
    /// Path rules.
    Paths = 4,
    /// Domains.
    Domains = 5,
    /// File rules of every domain.
    FileRules = 6,
    /// Network rules of every domain.
    NetRules = 7,
    /// Exec transitions.
    Transitions = 8,
}

impl SectionKind {
    /// Every kind, in table order.
    pub const ALL: [SectionKind; SECTION_COUNT] = [
        SectionKind::Strings,
        SectionKind::Settings,
        SectionKind::Types,
        SectionKind::Paths,
        SectionKind::Domains,
        SectionKind::FileRules,
        SectionKind::NetRules,
        SectionKind::Transitions,
    ];

    /// Size of one record (1 for the string pool, whose count is in bytes).
    pub const fn record_size(self) -> usize {
        match self {
            SectionKind::Strings => 1,
            SectionKind::Settings => SETTINGS_RECORD_SIZE,
            SectionKind::Types => TYPE_RECORD_SIZE,
            SectionKind::Paths => PATH_RECORD_SIZE,
            SectionKind::Domains => DOMAIN_RECORD_SIZE,
            SectionKind::FileRules => FILE_RULE_RECORD_SIZE,
            SectionKind::NetRules => NET_RULE_RECORD_SIZE,
            SectionKind::Transitions => TRANSITION_RECORD_SIZE,
        }
    }

    /// Offset of this kind's entry in the section table.
    pub const fn entry_offset(self) -> usize {
        HEADER_SIZE + (self as usize - 1) * SECTION_ENTRY_SIZE
    }

    /// Name used in error messages.
    pub const fn name(self) -> &'static str {
        match self {
            SectionKind::Strings => "strings",
            SectionKind::Settings => "settings",
            SectionKind::Types => "types",
            SectionKind::Paths => "paths",
            SectionKind::Domains => "domains",
            SectionKind::FileRules => "file rules",
            SectionKind::NetRules => "network rules",
            SectionKind::Transitions => "transitions",
        }
    }
}
