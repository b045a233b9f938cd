//! The binary policy format (`policy.bin`), ABI version 1: constants, the validator and
//! zero-copy queries over a validated blob. The specification is `docs/policy-format.md`.
//!
//! Compiled into the kernel too: only `core`, no `alloc`, no `unsafe`, never panics on any
//! input (every read goes through `get`, every arithmetic on input is checked or
//! saturating, no recursion). [`validate`] is O(size); queries are O(log n) or bounded by
//! the rules of one domain.
//!
//! The kernel validates a blob once with [`validate`], keeps the blob and the
//! [`PolicyLayout`] of the returned [`PolicyView`], and rebuilds a view for each decision
//! with [`PolicyView::from_layout`] at no cost.

use core::cmp::Ordering;
use core::fmt;

use super::abi::POLICY_ABI_VERSION;
use super::cache::Grant;
use super::mode::Mode;
use super::perm;
use super::sha256::{Sha256, DIGEST_LEN};
use super::types::{
    unmap_ipv4, Behaviour, Decision, FileRule, Heartbeat, HeartbeatAction, NetFamily, PathMatch,
    Protocol, Response, Settings,
};

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

/// Broad classes of [`FormatError`]; the kernel maps them to errno values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// Larger than [`MAX_POLICY_SIZE`] (`EFBIG`).
    TooLarge,
    /// Shorter than the header or than its declared size.
    Truncated,
    /// Not a policy blob (`ENOEXEC`).
    BadMagic,
    /// Another ABI version (`EPROTO`).
    BadVersion,
    /// The digest does not match the content (`EBADMSG`).
    BadChecksum,
    /// Offsets, lengths, counts, alignment, padding, rule ranges.
    BadLayout,
    /// A string or an id out of range.
    BadReference,
    /// An enum value, reserved field, undefined bit, limit or syntax.
    BadValue,
    /// Not in canonical order, duplicates, or a string pool not laid out canonically.
    NotCanonical,
}

impl ErrorClass {
    /// Short name of the class.
    pub const fn name(self) -> &'static str {
        match self {
            ErrorClass::TooLarge => "too large",
            ErrorClass::Truncated => "truncated",
            ErrorClass::BadMagic => "bad magic",
            ErrorClass::BadVersion => "bad version",
            ErrorClass::BadChecksum => "bad checksum",
            ErrorClass::BadLayout => "bad layout",
            ErrorClass::BadReference => "bad reference",
            ErrorClass::BadValue => "bad value",
            ErrorClass::NotCanonical => "not canonical",
        }
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The first fault [`validate`] found, with the byte offset (in the blob) of the field or
/// record at fault where there is one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FormatError {
    /// The blob, or the size its header declares, exceeds [`MAX_POLICY_SIZE`].
    TooLarge {
        /// The size in bytes.
        size: usize,
    },
    /// The blob ends before `needed` bytes.
    Truncated {
        /// Bytes present.
        size: usize,
        /// Bytes needed.
        needed: usize,
    },
    /// The first 8 bytes are not [`MAGIC`].
    BadMagic,
    /// The ABI version is not [`VERSION`].
    BadVersion {
        /// The version found.
        version: u32,
    },
    /// The SHA-256 digest does not match the content.
    BadChecksum,
    /// A size, offset, count, padding or rule range is wrong.
    Layout {
        /// Where.
        offset: usize,
        /// What is wrong.
        what: &'static str,
    },
    /// A string reference points outside the string pool.
    BadStringRef {
        /// Offset of the reference.
        offset: usize,
    },
    /// A type id is 0 or greater than the number of types.
    BadTypeId {
        /// Offset of the id.
        offset: usize,
        /// The id.
        id: u32,
    },
    /// A domain id is out of range.
    BadDomainId {
        /// Offset of the id.
        offset: usize,
        /// The id.
        id: u32,
    },
    /// A reserved field or flag is not zero.
    Reserved {
        /// Offset of the field.
        offset: usize,
    },
    /// An enumerated field holds an undefined value.
    BadEnum {
        /// Offset of the field.
        offset: usize,
        /// The value.
        value: u32,
        /// Which field.
        what: &'static str,
    },
    /// A bit set holds bits that are not defined.
    UndefinedBits {
        /// Offset of the field.
        offset: usize,
        /// Which set.
        what: &'static str,
    },
    /// A value breaks a limit, a syntax or a rule tying fields together.
    Invalid {
        /// Offset of the field or record.
        offset: usize,
        /// What is wrong.
        what: &'static str,
    },
    /// A string is not where the canonical string pool puts it (each reference gets its
    /// own copy, in the order the references appear).
    StringPlacement {
        /// Offset of the reference.
        offset: usize,
    },
    /// A record is out of canonical order.
    Unsorted {
        /// Offset of the record.
        offset: usize,
        /// Which records.
        what: &'static str,
    },
    /// A record repeats the key of the previous one.
    Duplicate {
        /// Offset of the record.
        offset: usize,
        /// Which records.
        what: &'static str,
    },
}

impl FormatError {
    /// The class of the error.
    pub const fn class(&self) -> ErrorClass {
        match self {
            FormatError::TooLarge { .. } => ErrorClass::TooLarge,
            FormatError::Truncated { .. } => ErrorClass::Truncated,
            FormatError::BadMagic => ErrorClass::BadMagic,
            FormatError::BadVersion { .. } => ErrorClass::BadVersion,
            FormatError::BadChecksum => ErrorClass::BadChecksum,
            FormatError::Layout { .. } => ErrorClass::BadLayout,
            FormatError::BadStringRef { .. }
            | FormatError::BadTypeId { .. }
            | FormatError::BadDomainId { .. } => ErrorClass::BadReference,
            FormatError::Reserved { .. }
            | FormatError::BadEnum { .. }
            | FormatError::UndefinedBits { .. }
            | FormatError::Invalid { .. } => ErrorClass::BadValue,
            FormatError::StringPlacement { .. }
            | FormatError::Unsorted { .. }
            | FormatError::Duplicate { .. } => ErrorClass::NotCanonical,
        }
    }

    /// The byte offset the error is about, if any.
    pub const fn offset(&self) -> Option<usize> {
        match *self {
            FormatError::TooLarge { .. }
            | FormatError::Truncated { .. }
            | FormatError::BadMagic
            | FormatError::BadVersion { .. }
            | FormatError::BadChecksum => None,
            FormatError::Layout { offset, .. }
            | FormatError::BadStringRef { offset }
            | FormatError::BadTypeId { offset, .. }
            | FormatError::BadDomainId { offset, .. }
            | FormatError::Reserved { offset }
            | FormatError::BadEnum { offset, .. }
            | FormatError::UndefinedBits { offset, .. }
            | FormatError::Invalid { offset, .. }
            | FormatError::StringPlacement { offset }
            | FormatError::Unsorted { offset, .. }
            | FormatError::Duplicate { offset, .. } => Some(offset),
        }
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FormatError::TooLarge { size } => {
                write!(
                    f,
                    "policy of {size} bytes exceeds the limit of {MAX_POLICY_SIZE} bytes"
                )
            }
            FormatError::Truncated { size, needed } => {
                write!(f, "policy truncated: {size} bytes, {needed} needed")
            }
            FormatError::BadMagic => f.write_str("not a policy blob (bad magic)"),
            FormatError::BadVersion { version } => {
                write!(f, "policy ABI version {version}, expected {VERSION}")
            }
            FormatError::BadChecksum => f.write_str("SHA-256 digest does not match the content"),
            FormatError::Layout { offset, what } => write!(f, "byte {offset}: {what}"),
            FormatError::BadStringRef { offset } => {
                write!(f, "byte {offset}: string reference outside the string pool")
            }
            FormatError::BadTypeId { offset, id } => {
                write!(f, "byte {offset}: type id {id} out of range")
            }
            FormatError::BadDomainId { offset, id } => {
                write!(f, "byte {offset}: domain id {id} out of range")
            }
            FormatError::Reserved { offset } => {
                write!(f, "byte {offset}: reserved field is not zero")
            }
            FormatError::BadEnum {
                offset,
                value,
                what,
            } => {
                write!(f, "byte {offset}: undefined {what} value {value}")
            }
            FormatError::UndefinedBits { offset, what } => {
                write!(f, "byte {offset}: undefined bits in {what}")
            }
            FormatError::Invalid { offset, what } => write!(f, "byte {offset}: {what}"),
            FormatError::StringPlacement { offset } => write!(
                f,
                "byte {offset}: string not at its canonical place in the string pool"
            ),
            FormatError::Unsorted { offset, what } => {
                write!(f, "byte {offset}: {what} not in canonical order")
            }
            FormatError::Duplicate { offset, what } => {
                write!(f, "byte {offset}: duplicate {what}")
            }
        }
    }
}

impl core::error::Error for FormatError {}

// ---------------------------------------------------------------------------------------
// Reading little-endian fields without panicking. Out-of-range reads give zeros; the
// validator establishes beforehand that every record lies inside the blob.

#[inline]
fn array_at<const N: usize>(bytes: &[u8], offset: usize) -> [u8; N] {
    offset
        .checked_add(N)
        .and_then(|end| bytes.get(offset..end))
        .and_then(|s| <[u8; N]>::try_from(s).ok())
        .unwrap_or([0; N])
}

#[inline]
fn u8_at(bytes: &[u8], offset: usize) -> u8 {
    bytes.get(offset).copied().unwrap_or(0)
}

#[inline]
fn u16_at(bytes: &[u8], offset: usize) -> u16 {
    u16::from_le_bytes(array_at(bytes, offset))
}

#[inline]
fn u32_at(bytes: &[u8], offset: usize) -> u32 {
    u32::from_le_bytes(array_at(bytes, offset))
}

fn u64_at(bytes: &[u8], offset: usize) -> u64 {
    u64::from_le_bytes(array_at(bytes, offset))
}

fn to_usize(value: u32) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

fn to_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// The first index in `lo..hi` for which `below` is false (`below` must be true on a
/// prefix of the range and false on the rest).
fn partition_point(lo: usize, hi: usize, mut below: impl FnMut(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (lo, hi);
    while lo < hi {
        let mid = lo.saturating_add(hi.saturating_sub(lo) / 2);
        if below(mid) {
            lo = mid.saturating_add(1);
        } else {
            hi = mid;
        }
    }
    lo
}

// ---------------------------------------------------------------------------------------
// Syntax rules shared by the validator and the encoder.

/// Whether `name` is a valid type or domain name: `[A-Za-z_][A-Za-z0-9_.-]*`, at most
/// [`MAX_NAME_LEN`] bytes.
pub fn check_name(name: &[u8]) -> bool {
    match name.split_first() {
        Some((first, rest)) => {
            name.len() <= MAX_NAME_LEN
                && (first.is_ascii_alphabetic() || *first == b'_')
                && rest
                    .iter()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
        }
        None => false,
    }
}

/// Checks the syntax of a path rule pattern of kind `kind` (executables: `Exact`): absolute,
/// valid UTF-8, no NUL, at most [`MAX_PATH_LEN`] bytes ([`MAX_GLOB_LEN`] for globs), no
/// trailing `/` (except the root `/` itself), no empty, `.` or `..` component; globs have
/// no run of more than two `*`. Returns the reason on failure.
pub fn check_path(path: &[u8], kind: PathMatch) -> Result<(), &'static str> {
    if path.is_empty() {
        return Err("empty path");
    }
    if kind == PathMatch::Glob && path.len() > MAX_GLOB_LEN {
        return Err("glob longer than 1024 bytes");
    }
    if path.len() > MAX_PATH_LEN {
        return Err("path longer than 4096 bytes");
    }
    if path.first() != Some(&b'/') {
        return Err("path is not absolute");
    }
    if path.contains(&0) {
        return Err("path contains a NUL byte");
    }
    if core::str::from_utf8(path).is_err() {
        return Err("path is not valid UTF-8");
    }
    if path.len() > 1 {
        if path.last() == Some(&b'/') {
            return Err("path ends with /");
        }
        for component in path.split(|c| *c == b'/').skip(1) {
            if component.is_empty() {
                return Err("path has an empty component");
            }
            if component == b"." || component == b".." {
                return Err("path has a . or .. component");
            }
        }
    }
    if kind == PathMatch::Glob && path.windows(3).any(|w| w == b"***") {
        return Err("glob has more than two * in a row");
    }
    Ok(())
}

/// Checks a Unix socket address of a network rule: empty (any Unix socket), an absolute
/// path (as [`check_path`]) or `@` and a non-empty abstract name; UTF-8 without NUL, at
/// most [`MAX_UNIX_PATH_LEN`] bytes.
pub fn check_unix_path(path: &[u8]) -> Result<(), &'static str> {
    if path.is_empty() {
        return Ok(());
    }
    if path.len() > MAX_UNIX_PATH_LEN {
        return Err("Unix socket path longer than 108 bytes");
    }
    if path.contains(&0) {
        return Err("Unix socket path contains a NUL byte");
    }
    if core::str::from_utf8(path).is_err() {
        return Err("Unix socket path is not valid UTF-8");
    }
    if path.first() == Some(&b'@') {
        if path.len() == 1 {
            return Err("empty abstract Unix socket name");
        }
        return Ok(());
    }
    check_path(path, PathMatch::Exact)
}

/// Masks of the bits of a byte covered by a prefix of 0..=8 bits.
const PREFIX_MASKS: [u8; 9] = [0x00, 0x80, 0xC0, 0xE0, 0xF0, 0xF8, 0xFC, 0xFE, 0xFF];

/// The part of a `prefix_len`-bit prefix that falls in byte `index`, as a mask.
fn prefix_mask(prefix_len: u8, index: usize) -> u8 {
    let covered = usize::from(prefix_len)
        .saturating_sub(index.saturating_mul(8))
        .min(8);
    PREFIX_MASKS.get(covered).copied().unwrap_or(0xFF)
}

/// Whether every bit of `addr` past `prefix_len` is zero.
fn host_bits_zero(addr: &[u8; 16], prefix_len: u8) -> bool {
    addr.iter()
        .enumerate()
        .all(|(i, b)| b & !prefix_mask(prefix_len, i) == 0)
}

/// Whether the first `prefix_len` bits of `a` and `b` (addresses as big-endian numbers)
/// agree: one comparison of 128-bit words, on the path of every connect and send.
fn prefix_matches(a: u128, b: u128, prefix_len: u8) -> bool {
    let mask = match prefix_len {
        0 => 0,
        n if n >= 128 => u128::MAX,
        n => u128::MAX << (128 - u32::from(n)),
    };
    (a ^ b) & mask == 0
}

/// Checks the fields of a network rule against each other (see `model::NetRule`):
/// non-empty defined operations; IPv4: prefix <= 32 and the address in the first 4 bytes;
/// IPv6: prefix <= 128; IP: no address bit past the prefix, `port_lo <= port_hi`, no Unix
/// path; Unix: protocol any, address, prefix and ports zero, a valid [`check_unix_path`].
pub fn check_net_rule(rule: &NetRuleRef<'_>) -> Result<(), &'static str> {
    if rule.ops == 0 {
        return Err("empty network operation set");
    }
    if rule.ops & !perm::NET_OPS_MASK != 0 {
        return Err("undefined network operation bits");
    }
    match rule.family {
        NetFamily::Inet | NetFamily::Inet6 => {
            let max = if rule.family == NetFamily::Inet {
                32
            } else {
                128
            };
            if rule.prefix_len > max {
                return Err("prefix length too long for the address family");
            }
            if rule.family == NetFamily::Inet && rule.addr.iter().skip(4).any(|b| *b != 0) {
                return Err("IPv4 address with bytes past the first 4");
            }
            if !host_bits_zero(&rule.addr, rule.prefix_len) {
                return Err("address bits past the prefix length are not zero");
            }
            if rule.port_lo > rule.port_hi {
                return Err("port range is reversed");
            }
            if !rule.unix_path.is_empty() {
                return Err("IP rule with a Unix socket path");
            }
        }
        NetFamily::Unix => {
            if rule.protocol != Protocol::Any {
                return Err("Unix rule with a protocol");
            }
            if rule.addr != [0; 16] || rule.prefix_len != 0 {
                return Err("Unix rule with an address");
            }
            if rule.port_lo != 0 || rule.port_hi != 0 {
                return Err("Unix rule with ports");
            }
            check_unix_path(rule.unix_path)?;
        }
    }
    Ok(())
}

/// Checks behaviour limits: threshold 1..=[`MAX_ANOMALY_THRESHOLD`], window
/// 1..=[`MAX_WINDOW_MS`], quarantine domain 1..=`domain_count`.
pub fn check_behaviour(b: &Behaviour, domain_count: usize) -> Result<(), &'static str> {
    if b.anomaly_threshold == 0 || b.anomaly_threshold > MAX_ANOMALY_THRESHOLD {
        return Err("anomaly threshold out of range 1..=1000000");
    }
    if b.window_ms == 0 || b.window_ms > MAX_WINDOW_MS {
        return Err("behaviour window out of range 1..=3600000 ms");
    }
    if let Response::Quarantine(id) = b.response {
        if id == 0 || to_usize(id) > domain_count {
            return Err("quarantine domain id out of range");
        }
    }
    Ok(())
}

/// Checks a heartbeat timeout: 1..=[`MAX_HEARTBEAT_TIMEOUT_MS`].
pub fn check_heartbeat(h: &Heartbeat) -> Result<(), &'static str> {
    if h.timeout_ms == 0 || h.timeout_ms > MAX_HEARTBEAT_TIMEOUT_MS {
        return Err("heartbeat timeout out of range 1..=86400000 ms");
    }
    Ok(())
}

/// Canonical order of path rules by (kind, pattern): exact and glob patterns by bytes,
/// prefix patterns by length descending, then bytes (see `model::path_order`).
pub fn path_key_order(a_kind: PathMatch, a: &[u8], b_kind: PathMatch, b: &[u8]) -> Ordering {
    a_kind.cmp(&b_kind).then_with(|| match a_kind {
        PathMatch::Prefix => b.len().cmp(&a.len()).then_with(|| a.cmp(b)),
        PathMatch::Exact | PathMatch::Glob => a.cmp(b),
    })
}

// ---------------------------------------------------------------------------------------
// Glob matching.

const GLOB_WORDS: usize = MAX_GLOB_LEN / 64 + 1;

#[derive(Clone, Copy)]
enum GlobToken {
    Literal(u8),
    AnyByte,
    Star,
    DoubleStar,
    End,
}

fn glob_token(pattern: &[u8], p: usize) -> GlobToken {
    match pattern.get(p) {
        None => GlobToken::End,
        Some(b'*') => {
            if pattern.get(p.saturating_add(1)) == Some(&b'*') {
                GlobToken::DoubleStar
            } else {
                GlobToken::Star
            }
        }
        Some(b'?') => GlobToken::AnyByte,
        Some(&c) => GlobToken::Literal(c),
    }
}

fn set_bit(set: &mut [u64; GLOB_WORDS], bit: usize) {
    if let Some(word) = set.get_mut(bit / 64) {
        *word |= 1u64 << (bit % 64);
    }
}

/// Adds the states reachable without input: past every `*` (to p + 1) and `**` (p + 2).
fn glob_closure(pattern: &[u8], set: &mut [u64; GLOB_WORDS], words: usize) {
    for k in 0..words {
        let mut pending = set.get(k).copied().unwrap_or(0);
        while pending != 0 {
            let bit = pending.trailing_zeros() as usize;
            pending &= pending.wrapping_sub(1);
            let p = k.saturating_mul(64).saturating_add(bit);
            let next = match glob_token(pattern, p) {
                GlobToken::Star => p.saturating_add(1),
                GlobToken::DoubleStar => p.saturating_add(2),
                _ => continue,
            };
            set_bit(set, next);
            if next / 64 == k {
                // Later bit of the same word: it may lead further.
                pending |= 1u64 << (next % 64);
            }
        }
    }
}

/// Whether `text` matches the glob `pattern`: `*` matches any bytes but `/`, `**` any
/// bytes, `?` one byte but `/`; every other byte matches itself. The whole text must
/// match.
///
/// Runs a bit-parallel NFA over the pattern positions: O(len(text) x len(pattern) / 64)
/// words of work and 136 bytes of stack, no recursion, no backtracking. Patterns longer
/// than [`MAX_GLOB_LEN`] match nothing.
pub fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    let len = pattern.len();
    glob_run(pattern, text.iter().copied()).is_some_and(|set| {
        set.get(len / 64)
            .is_some_and(|w| w & (1u64 << (len % 64)) != 0)
    })
}

/// Whether the glob `pattern` may match a path strictly below the directory `dir`: the
/// matcher is still alive after `dir` and a `/`. Fail closed: a live state may still need
/// more than the rest of a real path, never less.
pub fn glob_may_match_below(pattern: &[u8], dir: &[u8]) -> bool {
    let slash = (dir != b"/").then_some(b'/');
    glob_run(pattern, dir.iter().copied().chain(slash)).is_some()
}

/// Runs the glob matcher of `pattern` over `text`: the set of live pattern positions
/// after it (bit `len` is the end), or `None` once no position is live (or the pattern
/// is longer than [`MAX_GLOB_LEN`]).
fn glob_run(pattern: &[u8], text: impl Iterator<Item = u8>) -> Option<[u64; GLOB_WORDS]> {
    let len = pattern.len();
    if len > MAX_GLOB_LEN {
        return None;
    }
    let words = len / 64 + 1;
    let mut set = [0u64; GLOB_WORDS];
    set_bit(&mut set, 0);
    glob_closure(pattern, &mut set, words);
    for c in text {
        // Consume `c`, from the highest state down so that each state's successor (one
        // higher) is written after it was itself processed.
        for k in (0..words).rev() {
            let old = set.get(k).copied().unwrap_or(0);
            let mut new = 0u64;
            let mut carry = false;
            let mut bits = old;
            while bits != 0 {
                let bit = bits.trailing_zeros() as usize;
                bits &= bits.wrapping_sub(1);
                let p = k.saturating_mul(64).saturating_add(bit);
                let (stay, advance) = match glob_token(pattern, p) {
                    GlobToken::Literal(l) => (false, l == c),
                    GlobToken::AnyByte => (false, c != b'/'),
                    GlobToken::Star => (c != b'/', false),
                    GlobToken::DoubleStar => (true, false),
                    GlobToken::End => (false, false),
                };
                if stay {
                    new |= 1u64 << bit;
                }
                if advance {
                    if bit == 63 {
                        carry = true;
                    } else {
                        new |= 1u64 << (bit + 1);
                    }
                }
            }
            if let Some(word) = set.get_mut(k) {
                *word = new;
            }
            if carry {
                if let Some(word) = set.get_mut(k.saturating_add(1)) {
                    *word |= 1;
                }
            }
        }
        if set.iter().all(|w| *w == 0) {
            return None;
        }
        glob_closure(pattern, &mut set, words);
    }
    Some(set)
}

/// Whether `path` lies at or below the prefix pattern `prefix` (no trailing `/`; `/`
/// matches every absolute path).
pub fn prefix_match(prefix: &[u8], path: &[u8]) -> bool {
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.first() == Some(&b'/') || prefix == b"/",
        None => false,
    }
}

// ---------------------------------------------------------------------------------------
// Layout and views.

/// A section's place in the blob.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Section {
    offset: usize,
    count: usize,
}

/// Where everything is in a validated blob. Plain data without a lifetime: the kernel
/// keeps it next to the blob and rebuilds a [`PolicyView`] with
/// [`PolicyView::from_layout`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PolicyLayout {
    strings: Section,
    settings: Section,
    types: Section,
    paths: Section,
    domains: Section,
    file_rules: Section,
    net_rules: Section,
    transitions: Section,
    /// Path rules `0..exact_end` are exact, `exact_end..prefix_end` prefix, the rest globs.
    exact_end: usize,
    prefix_end: usize,
}

/// Why a name is reserved ([`PolicyView::reserved_below`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reserved {
    /// A path of a protected type lies below it.
    Protected,
    /// The executable of an exec transition lies below it.
    Transition,
}

/// A path rule read from a blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathRuleRef<'a> {
    /// The pattern.
    pub pattern: &'a [u8],
    /// How it matches.
    pub kind: PathMatch,
    /// The type it gives.
    pub type_id: u32,
}

/// A network rule read from a blob (or to be written to one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct NetRuleRef<'a> {
    /// Allow or deny.
    pub decision: Decision,
    /// Operation bits.
    pub ops: u32,
    /// Address family.
    pub family: NetFamily,
    /// Protocol.
    pub protocol: Protocol,
    /// Address (IPv4 in the first 4 bytes).
    pub addr: [u8; 16],
    /// CIDR prefix length.
    pub prefix_len: u8,
    /// First port.
    pub port_lo: u16,
    /// Last port.
    pub port_hi: u16,
    /// Unix socket path or `@name`; empty for any.
    pub unix_path: &'a [u8],
}

/// A transition read from a blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransitionRef<'a> {
    /// Domain before exec (0 = unconfined).
    pub from: u32,
    /// Executable path.
    pub exe: &'a [u8],
    /// SHA-256 the executable must have, if any.
    pub digest: Option<[u8; 32]>,
    /// Domain entered.
    pub to: u32,
}

/// A validated policy blob, queried in place.
#[derive(Clone, Copy, Debug)]
pub struct PolicyView<'a> {
    bytes: &'a [u8],
    layout: PolicyLayout,
}

/// One domain of a [`PolicyView`]. It borrows the view rather than copying it (a view is
/// some 160 bytes, and a decision in the kernel makes one of these).
#[derive(Clone, Copy, Debug)]
pub struct DomainView<'a> {
    policy: &'a PolicyView<'a>,
    record: &'a [u8],
    id: u32,
}

impl<'a> PolicyView<'a> {
    /// A view of `bytes` laid out as `layout`, which must come from [`PolicyView::layout`]
    /// of a view that [`validate`] returned for the same bytes. (With anything else the
    /// queries give meaningless answers, but still never panic.)
    pub const fn from_layout(bytes: &'a [u8], layout: PolicyLayout) -> PolicyView<'a> {
        PolicyView { bytes, layout }
    }

    /// The layout, to rebuild the view later with [`PolicyView::from_layout`].
    pub const fn layout(&self) -> PolicyLayout {
        self.layout
    }

    /// The whole blob.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The policy's identity: the SHA-256 in the header.
    pub fn digest(&self) -> [u8; DIGEST_LEN] {
        array_at(self.bytes, field::header::DIGEST)
    }

    /// Number of object types (ids `1..=type_count()`).
    pub const fn type_count(&self) -> usize {
        self.layout.types.count
    }

    /// Number of domains (ids `1..=domain_count()`).
    pub const fn domain_count(&self) -> usize {
        self.layout.domains.count
    }

    /// Number of path rules.
    pub const fn path_rule_count(&self) -> usize {
        self.layout.paths.count
    }

    /// Number of file rules of all domains.
    pub const fn file_rule_count(&self) -> usize {
        self.layout.file_rules.count
    }

    /// Number of network rules of all domains.
    pub const fn net_rule_count(&self) -> usize {
        self.layout.net_rules.count
    }

    /// Number of transitions.
    pub const fn transition_count(&self) -> usize {
        self.layout.transitions.count
    }

    fn record(&self, section: Section, size: usize, index: usize) -> &'a [u8] {
        if index >= section.count {
            return &[];
        }
        index
            .checked_mul(size)
            .and_then(|o| o.checked_add(section.offset))
            .and_then(|start| Some(start..start.checked_add(size)?))
            .and_then(|range| self.bytes.get(range))
            .unwrap_or(&[])
    }

    /// The string referenced at `field` of `record`.
    fn string(&self, record: &[u8], field: usize) -> &'a [u8] {
        let offset = to_usize(u32_at(record, field));
        let len = to_usize(u32_at(record, field.saturating_add(4)));
        offset
            .checked_add(len)
            .and_then(|end| self.pool().get(offset..end))
            .unwrap_or(&[])
    }

    /// The string pool.
    fn pool(&self) -> &'a [u8] {
        let strings = self.layout.strings;
        strings
            .offset
            .checked_add(strings.count)
            .and_then(|end| self.bytes.get(strings.offset..end))
            .unwrap_or(&[])
    }

    /// The global settings.
    pub fn settings(&self) -> Settings {
        let r = self.record(self.layout.settings, SETTINGS_RECORD_SIZE, 0);
        let action = HeartbeatAction::from_u8(u8_at(r, field::settings::HEARTBEAT_ACTION));
        Settings {
            mode: Mode::from_u8(u8_at(r, field::settings::MODE)),
            heartbeat: action.map(|action| Heartbeat {
                timeout_ms: u32_at(r, field::settings::HEARTBEAT_TIMEOUT),
                action,
            }),
        }
    }

    fn type_record(&self, id: u32) -> Option<&'a [u8]> {
        let index = to_usize(id).checked_sub(1)?;
        let r = self.record(self.layout.types, TYPE_RECORD_SIZE, index);
        (!r.is_empty()).then_some(r)
    }

    /// The name of type `id` (1-based).
    pub fn type_name(&self, id: u32) -> Option<&'a str> {
        let r = self.type_record(id)?;
        core::str::from_utf8(self.string(r, field::object_type::NAME)).ok()
    }

    /// Whether type `id` is protected (false for 0 and unknown ids).
    pub fn type_is_protected(&self, id: u32) -> bool {
        self.type_record(id)
            .is_some_and(|r| u32_at(r, field::object_type::FLAGS) & TYPE_FLAG_PROTECTED != 0)
    }

    /// The id of the type called `name` (binary search).
    pub fn type_id_by_name(&self, name: &[u8]) -> Option<u32> {
        let types = self.layout.types;
        let name_of = |i| self.string(self.record(types, TYPE_RECORD_SIZE, i), 0);
        let i = partition_point(0, types.count, |i| name_of(i) < name);
        (i < types.count && name_of(i) == name).then(|| to_u32(i.saturating_add(1)))
    }

    /// Domain `id` (1-based; 0, the unconfined domain, has no record).
    pub fn domain(&self, id: u32) -> Option<DomainView<'_>> {
        let index = to_usize(id).checked_sub(1)?;
        let record = self.record(self.layout.domains, DOMAIN_RECORD_SIZE, index);
        (!record.is_empty()).then_some(DomainView {
            policy: self,
            record,
            id,
        })
    }

    /// The id of the domain called `name` (binary search).
    pub fn domain_id_by_name(&self, name: &[u8]) -> Option<u32> {
        let domains = self.layout.domains;
        let name_of = |i| self.string(self.record(domains, DOMAIN_RECORD_SIZE, i), 0);
        let i = partition_point(0, domains.count, |i| name_of(i) < name);
        (i < domains.count && name_of(i) == name).then(|| to_u32(i.saturating_add(1)))
    }

    /// Path rule `index` (0-based, canonical order).
    pub fn path_rule(&self, index: usize) -> Option<PathRuleRef<'a>> {
        let r = self.record(self.layout.paths, PATH_RECORD_SIZE, index);
        if r.is_empty() {
            return None;
        }
        Some(PathRuleRef {
            pattern: self.string(r, field::path::PATTERN),
            kind: PathMatch::from_u32(u32_at(r, field::path::KIND))?,
            type_id: u32_at(r, field::path::TYPE_ID),
        })
    }

    fn path_pattern(&self, index: usize) -> &'a [u8] {
        self.string(
            self.record(self.layout.paths, PATH_RECORD_SIZE, index),
            field::path::PATTERN,
        )
    }

    fn path_type(&self, index: usize) -> u32 {
        u32_at(
            self.record(self.layout.paths, PATH_RECORD_SIZE, index),
            field::path::TYPE_ID,
        )
    }

    /// The type of the prefix rule whose pattern is exactly `candidate`, if any.
    fn prefix_rule(&self, candidate: &[u8]) -> Option<u32> {
        let (lo, hi) = (self.layout.exact_end, self.layout.prefix_end);
        let order = |i| {
            let p = self.path_pattern(i);
            candidate.len().cmp(&p.len()).then_with(|| p.cmp(candidate))
        };
        let i = partition_point(lo, hi, |i| order(i) == Ordering::Less);
        (i < hi && order(i) == Ordering::Equal).then(|| self.path_type(i))
    }

    /// The type of `path` (0 when no rule matches): an exact rule wins, then the longest
    /// prefix rule, then the first glob in canonical order. O(log n) for exact rules,
    /// O(depth x log n) for prefix rules, linear in the glob rules.
    pub fn type_for_path(&self, path: &[u8]) -> u32 {
        self.type_for_path_where(path, |_, _| true)
    }

    /// [`PolicyView::type_for_path`], asking `may_exist(kind, pattern)` before searching
    /// for an exact or prefix rule whose pattern is `pattern`: a caller's index (the
    /// kernel keeps the lengths of the patterns) that knows no such rule exists answers
    /// false and saves the search. `may_exist` must never answer false for a pattern the
    /// policy has (it may answer true for one it lacks): then the type is the same.
    pub fn type_for_path_where(
        &self,
        path: &[u8],
        may_exist: impl Fn(PathMatch, &[u8]) -> bool,
    ) -> u32 {
        let layout = &self.layout;
        let exact_end = layout.exact_end;
        if exact_end > 0 && may_exist(PathMatch::Exact, path) {
            let i = partition_point(0, exact_end, |i| self.path_pattern(i) < path);
            if i < exact_end && self.path_pattern(i) == path {
                return self.path_type(i);
            }
        }
        if let Some(t) = self.prefix_type_where(path, &may_exist) {
            return t;
        }
        for i in layout.prefix_end..layout.paths.count {
            if glob_match(self.path_pattern(i), path) {
                return self.path_type(i);
            }
        }
        0
    }

    /// The type of the longest prefix rule at or above `path`, if any. O(depth x log n).
    pub fn prefix_type(&self, path: &[u8]) -> Option<u32> {
        self.prefix_type_where(path, |_, _| true)
    }

    /// [`PolicyView::prefix_type`] with `may_exist` as for
    /// [`PolicyView::type_for_path_where`].
    pub fn prefix_type_where(
        &self,
        path: &[u8],
        may_exist: impl Fn(PathMatch, &[u8]) -> bool,
    ) -> Option<u32> {
        let layout = &self.layout;
        let exact_end = layout.exact_end;
        if layout.prefix_end <= exact_end {
            return None;
        }
        // Prefix rules are sorted longest first: skip candidates that cannot match.
        let longest = self.path_pattern(exact_end).len();
        let shortest = self.path_pattern(layout.prefix_end.saturating_sub(1)).len();
        let mut candidate = path;
        loop {
            if candidate.len() < shortest {
                return None;
            }
            if candidate.len() <= longest && may_exist(PathMatch::Prefix, candidate) {
                if let Some(t) = self.prefix_rule(candidate) {
                    return Some(t);
                }
            }
            candidate = match candidate.iter().rposition(|c| *c == b'/') {
                None => return None,
                Some(0) if candidate.len() == 1 => return None,
                Some(0) => path.get(..1).unwrap_or(&[]),
                Some(slash) => path.get(..slash).unwrap_or(&[]),
            };
        }
    }

    /// Whether path rule `index` names (or, for a glob, may name) an object strictly
    /// below the directory `dir`, where `covered` tells whether a prefix rule covers
    /// `dir` (then no glob types anything below it: a prefix rule wins over every glob).
    fn rule_below(&self, index: usize, dir: &[u8], covered: bool) -> bool {
        let pattern = self.path_pattern(index);
        if index < self.layout.prefix_end {
            strictly_below(pattern, dir)
        } else {
            !covered && glob_may_match_below(pattern, dir)
        }
    }

    /// Calls `f` with every type an object strictly below the directory `dir` may have
    /// (the same type may come more than once), until `f` returns false; returns whether
    /// it never did. The types are: the covering prefix rule's (what unnamed descendants
    /// get), those of the exact and prefix rules below `dir`, and, when no prefix rule
    /// covers `dir`, those of the globs that may match below it and 0 (no type) unless a
    /// glob `A/**` types everything below `dir` (`A` matches `dir` or one of its parents). Moving the directory `dir` gives (or
    /// takes) these types to (from) what is below it. Linear in the path rules.
    pub fn types_below(&self, dir: &[u8], mut f: impl FnMut(u32) -> bool) -> bool {
        let covering = self.prefix_type(dir);
        let everything_globbed = covering.is_none()
            && (self.layout.prefix_end..self.layout.paths.count).any(|i| {
                // `A/**` types everything below a match of `A`, and below a match of itself.
                let p = self.path_pattern(i);
                p.strip_suffix(b"/**")
                    .is_some_and(|a| glob_match(a, dir) || glob_match(p, dir))
            });
        if !everything_globbed && !f(covering.unwrap_or(0)) {
            return false;
        }
        (0..self.layout.paths.count)
            .all(|i| !self.rule_below(i, dir, covering.is_some()) || f(self.path_type(i)))
    }

    /// Whether a path rule of a protected type, or the executable of an exec transition,
    /// names (for a glob: may name) something strictly below `dir`, and which (a protected
    /// rule first). Creating `dir` (a directory, a symlink, any name) or moving something
    /// there would let the creator's object stand where those names lead. Linear in the
    /// path rules and transitions.
    pub fn reserved_below(&self, dir: &[u8]) -> Option<Reserved> {
        let covered = self.prefix_type(dir).is_some();
        let protected = (0..self.layout.paths.count)
            .any(|i| self.type_is_protected(self.path_type(i)) && self.rule_below(i, dir, covered));
        if protected {
            return Some(Reserved::Protected);
        }
        (0..self.transition_count())
            .any(|i| {
                self.transition_rule(i)
                    .is_some_and(|t| strictly_below(t.exe, dir))
            })
            .then_some(Reserved::Transition)
    }

    /// Calls `f` with every path that [`PolicyView::reserved_below`] looks below, except
    /// globs: the patterns of the exact and prefix rules of protected types and the
    /// executables of transitions (an index of their ancestors tells quickly that nothing
    /// is reserved below a new name). Returns whether a protected glob rule exists.
    pub fn reserved_paths(&self, mut f: impl FnMut(&'a [u8])) -> bool {
        let mut globs = false;
        for i in 0..self.layout.paths.count {
            if self.type_is_protected(self.path_type(i)) {
                if i < self.layout.prefix_end {
                    f(self.path_pattern(i));
                } else {
                    globs = true;
                }
            }
        }
        for i in 0..self.transition_count() {
            if let Some(t) = self.transition_rule(i) {
                f(t.exe);
            }
        }
        globs
    }

    /// Calls `f(type_id, pattern)` for every exact and prefix rule of a protected type, in
    /// canonical order: the objects a policy load resolves and marks, so that they keep
    /// their protection by whatever other name (a hard link) or mount (a bind mount) they
    /// are reached. Globs name no one object and are not resolved.
    pub fn protected_objects(&self, mut f: impl FnMut(u32, &'a [u8])) {
        for i in 0..self.layout.prefix_end {
            let type_id = self.path_type(i);
            if self.type_is_protected(type_id) {
                f(type_id, self.path_pattern(i));
            }
        }
    }

    /// [`PolicyView::protected_objects`] whose patterns are strictly below the directory
    /// `dir`: what a bind mount (or any other new way to reach `dir`'s subtree) reaches
    /// of the protected objects, whenever they were made.
    pub fn protected_objects_below(&self, dir: &[u8], mut f: impl FnMut(u32, &'a [u8])) {
        self.protected_objects(|type_id, pattern| {
            if strictly_below(pattern, dir) {
                f(type_id, pattern);
            }
        });
    }

    /// Whether every object strictly below the directory `dir` has type `type_id` by the
    /// policy's names (a rule of that type covers everything below `dir` and no rule gives
    /// anything there another type). Objects that appear below a directory of a protected type
    /// for which this holds inherit the directory's protection (the kernel's mark).
    pub fn uniform_below(&self, dir: &[u8], type_id: u32) -> bool {
        type_id != 0 && self.types_below(dir, |t| t == type_id)
    }

    /// Calls `f` with every type the policy's names can give an object (the same type may
    /// come more than once; 0 for what no rule names), until `f` returns false; returns
    /// whether it never did. Linear in the path rules.
    pub fn possible_types(&self, mut f: impl FnMut(u32) -> bool) -> bool {
        f(self.type_for_path(b"/")) && self.types_below(b"/", f)
    }

    /// The file permissions `domain` has on every object whatever its name: what it may do
    /// on an object that no name reached (an inode a file system found for itself, as
    /// overlayfs does with its layers at mount time), whose type is therefore unknown.
    /// Without the structural permissions when some possible type is protected (refused on
    /// protected objects to every domain), and none when some object may have no type.
    /// Linear in the path rules.
    pub fn file_perms_anywhere(&self, domain: &DomainView<'_>) -> u32 {
        let mut perms = perm::FILE_PERMS_MASK;
        self.possible_types(|type_id| {
            if type_id == 0 {
                perms = 0;
            } else {
                let grant = domain.file_grant(type_id);
                perms &= grant.allowed & !grant.denied;
                if self.type_is_protected(type_id) {
                    perms &= !perm::bits::file::PROTECTED_NEVER;
                }
            }
            perms != 0
        });
        perms
    }

    /// The one type every object strictly below the directory `dir` has by the policy's
    /// names (0 when that is no type), or `None` when objects below it may have different
    /// types. An object whose own name is longer than `PATH_MAX` (which the kernel cannot
    /// build) is decided by this type of the deepest directory above it whose name it can
    /// build, and refused when there is none. Linear in the path rules.
    pub fn type_below(&self, dir: &[u8]) -> Option<u32> {
        let mut only = None;
        let one = self.types_below(dir, |t| match only {
            None => {
                only = Some(t);
                true
            }
            Some(o) => o == t,
        });
        if one {
            only
        } else {
            None
        }
    }

    /// Whether a task in domain `from` could plant the executable of a transition at
    /// `exe`: the type `exe` has and the permissions of `perm::bits::file::FORGE` that
    /// `from` holds on it (write, append, create, rename, link), or `None` when it holds
    /// none. A transition out of `from` by that path alone would let it enter the target
    /// domain with a program of its own; the compiler requires a digest then.
    pub fn forgeable_entrypoint(&self, from: u32, exe: &[u8]) -> Option<(u32, u32)> {
        let domain = self.domain(from)?;
        let type_id = self.type_for_path(exe);
        let grant = domain.file_grant(type_id);
        let bits = super::perm::bits::file::FORGE & grant.allowed & !grant.denied;
        (type_id != 0 && bits != 0).then_some((type_id, bits))
    }

    /// Transition `index` (0-based, canonical order).
    pub fn transition_rule(&self, index: usize) -> Option<TransitionRef<'a>> {
        let r = self.record(self.layout.transitions, TRANSITION_RECORD_SIZE, index);
        if r.is_empty() {
            return None;
        }
        Some(TransitionRef {
            from: u32_at(r, field::transition::FROM),
            exe: self.string(r, field::transition::EXE),
            digest: (u32_at(r, field::transition::HAS_DIGEST) != 0)
                .then(|| array_at(r, field::transition::DIGEST)),
            to: u32_at(r, field::transition::TO),
        })
    }

    fn transition_key_order(
        &self,
        index: usize,
        from: u32,
        exe: &[u8],
        digest: Option<&[u8; 32]>,
    ) -> Ordering {
        let r = self.record(self.layout.transitions, TRANSITION_RECORD_SIZE, index);
        let has = u32_at(r, field::transition::HAS_DIGEST) != 0;
        let d: [u8; 32] = array_at(r, field::transition::DIGEST);
        u32_at(r, field::transition::FROM)
            .cmp(&from)
            .then_with(|| self.string(r, field::transition::EXE).cmp(exe))
            .then_with(|| has.then_some(&d).cmp(&digest))
    }

    fn find_transition(&self, from: u32, exe: &[u8], digest: Option<&[u8; 32]>) -> Option<u32> {
        let n = self.layout.transitions.count;
        let order = |i| self.transition_key_order(i, from, exe, digest);
        let i = partition_point(0, n, |i| order(i) == Ordering::Less);
        if i < n && order(i) == Ordering::Equal {
            let r = self.record(self.layout.transitions, TRANSITION_RECORD_SIZE, i);
            return Some(u32_at(r, field::transition::TO));
        }
        None
    }

    /// Whether some transition from `from` by `exe` pins a digest (then the executable's
    /// content must be hashed to find the transition). O(log n).
    pub fn transition_pinned(&self, from: u32, exe: &[u8]) -> bool {
        let n = self.layout.transitions.count;
        let key = |i| {
            let r = self.record(self.layout.transitions, TRANSITION_RECORD_SIZE, i);
            (
                u32_at(r, field::transition::FROM),
                self.string(r, field::transition::EXE),
                u32_at(r, field::transition::HAS_DIGEST) != 0,
            )
        };
        // Canonical order: (from, exe), then the rule without a digest before those with.
        let i = partition_point(0, n, |i| {
            let (f, e, has) = key(i);
            (f, e).cmp(&(from, exe)).then(has.cmp(&true)) == Ordering::Less
        });
        i < n && {
            let (f, e, has) = key(i);
            f == from && e == exe && has
        }
    }

    /// The domain a task in domain `from` (0 = unconfined) enters when it executes `exe`
    /// whose content has SHA-256 `digest` (None when unknown). A rule with a digest only
    /// matches that digest and takes precedence over the rule without one, which matches
    /// any content. O(log n).
    pub fn transition(&self, from: u32, exe: &[u8], digest: Option<&[u8; 32]>) -> Option<u32> {
        if let Some(d) = digest {
            if let Some(to) = self.find_transition(from, exe, Some(d)) {
                return Some(to);
            }
        }
        self.find_transition(from, exe, None)
    }
}

impl<'a> DomainView<'a> {
    /// The domain's id.
    pub const fn id(&self) -> u32 {
        self.id
    }

    /// The domain's name.
    pub fn name(&self) -> &'a str {
        core::str::from_utf8(self.policy.string(self.record, field::domain::NAME)).unwrap_or("")
    }

    /// The domain's own mode; `None` follows the global mode.
    pub fn mode(&self) -> Option<Mode> {
        Mode::from_u8(u8_at(self.record, field::domain::MODE))
    }

    /// Allowed capabilities (bit = capability number).
    pub fn capabilities(&self) -> u64 {
        u64_at(self.record, field::domain::CAPABILITIES)
    }

    /// Whether capability number `cap` is allowed.
    pub fn capable(&self, cap: u32) -> bool {
        cap < 64 && self.capabilities() & (1u64 << cap) != 0
    }

    /// Signal scope bits (`perm::SCOPES`).
    pub fn signal(&self) -> u32 {
        u32_at(self.record, field::domain::SIGNAL)
    }

    /// Ptrace scope bits (`perm::SCOPES`).
    pub fn ptrace(&self) -> u32 {
        u32_at(self.record, field::domain::PTRACE)
    }

    /// SysV IPC bits (`perm::IPC_PERMS`).
    pub fn ipc(&self) -> u32 {
        u32_at(self.record, field::domain::IPC)
    }

    /// System operation bits (`perm::SYSTEM_OPS`).
    pub fn system(&self) -> u32 {
        u32_at(self.record, field::domain::SYSTEM)
    }

    /// Process operation bits (`perm::PROCESS_OPS`).
    pub fn process(&self) -> u32 {
        u32_at(self.record, field::domain::PROCESS)
    }

    /// Behaviour limits; `None` when the domain has none.
    pub fn behaviour(&self) -> Option<Behaviour> {
        let r = self.record;
        let response = match u8_at(r, field::domain::RESPONSE) {
            RESPONSE_AUDIT => Response::Audit,
            RESPONSE_QUARANTINE => Response::Quarantine(u32_at(r, field::domain::QUARANTINE)),
            _ => return None,
        };
        Some(Behaviour {
            anomaly_threshold: u32_at(r, field::domain::THRESHOLD),
            window_ms: u32_at(r, field::domain::WINDOW),
            max_ops: u32_at(r, field::domain::MAX_OPS),
            response,
        })
    }

    fn file_range(&self) -> (usize, usize) {
        let start = to_usize(u32_at(self.record, field::domain::FILE_START));
        let count = to_usize(u32_at(self.record, field::domain::FILE_COUNT));
        (
            start,
            start
                .saturating_add(count)
                .min(self.policy.layout.file_rules.count),
        )
    }

    fn net_range(&self) -> (usize, usize) {
        let start = to_usize(u32_at(self.record, field::domain::NET_START));
        let count = to_usize(u32_at(self.record, field::domain::NET_COUNT));
        (
            start,
            start
                .saturating_add(count)
                .min(self.policy.layout.net_rules.count),
        )
    }

    /// Number of file rules of the domain.
    pub fn file_rule_count(&self) -> usize {
        let (start, end) = self.file_range();
        end.saturating_sub(start)
    }

    /// Number of network rules of the domain.
    pub fn net_rule_count(&self) -> usize {
        let (start, end) = self.net_range();
        end.saturating_sub(start)
    }

    fn file_record(&self, absolute: usize) -> &'a [u8] {
        self.policy.record(
            self.policy.layout.file_rules,
            FILE_RULE_RECORD_SIZE,
            absolute,
        )
    }

    /// The domain's file rule `index` (0-based, canonical order).
    pub fn file_rule(&self, index: usize) -> Option<FileRule> {
        let (start, end) = self.file_range();
        let absolute = start.checked_add(index).filter(|i| *i < end)?;
        let r = self.file_record(absolute);
        Some(FileRule {
            type_id: u32_at(r, field::file_rule::TYPE_ID),
            decision: Decision::from_u8(u8::try_from(u32_at(r, field::file_rule::DECISION)).ok()?)?,
            perms: u32_at(r, field::file_rule::PERMS),
        })
    }

    /// Whether the domain may do `perms` (bits of `perm::FILE_PERMS`) on objects of type
    /// `type_id`: every requested bit must be in the domain's allow rule for the type and
    /// none in its deny rule (so an empty request is allowed). O(log n).
    pub fn file_allows(&self, type_id: u32, perms: u32) -> bool {
        self.file_grant(type_id).allows(perms)
    }

    /// The permissions of the domain's allow and deny rules for objects of type `type_id`
    /// (what the decision cache keeps). O(log n).
    pub fn file_grant(&self, type_id: u32) -> Grant {
        let (start, end) = self.file_range();
        let key = |i| {
            let r = self.file_record(i);
            (
                u32_at(r, field::file_rule::TYPE_ID),
                u32_at(r, field::file_rule::DECISION),
            )
        };
        let first = partition_point(start, end, |i| {
            key(i) < (type_id, u32::from(Decision::Allow.to_u8()))
        });
        let mut grant = Grant::default();
        for i in first..end.min(first.saturating_add(2)) {
            let (t, decision) = key(i);
            if t != type_id {
                break;
            }
            let bits = u32_at(self.file_record(i), field::file_rule::PERMS);
            if decision == u32::from(Decision::Deny.to_u8()) {
                grant.denied |= bits;
            } else {
                grant.allowed |= bits;
            }
        }
        grant
    }

    fn net_record(&self, absolute: usize) -> &'a [u8] {
        self.policy
            .record(self.policy.layout.net_rules, NET_RULE_RECORD_SIZE, absolute)
    }

    /// The domain's network rule `index` (0-based, canonical order).
    pub fn net_rule(&self, index: usize) -> Option<NetRuleRef<'a>> {
        let (start, end) = self.net_range();
        let absolute = start.checked_add(index).filter(|i| *i < end)?;
        read_net_rule(self.policy, self.net_record(absolute))
    }

    /// Whether the domain may create a socket of `family` and `protocol`: some `allow`
    /// rule with `create` names the family and the protocol (or any protocol; Unix rules
    /// have none), and no `deny` rule with `create` does. A socket has no address when it
    /// is made, so a deny rule's address and ports do not narrow it: `deny net create`
    /// for a family and protocol refuses every such socket (fail closed).
    pub fn net_create_allows(&self, family: NetFamily, protocol: Protocol) -> bool {
        // Reads the raw fields, as `net_allows` does: socket creation is on the path of
        // every connection, and decoding whole records (strings included) cost it 3%.
        let (start, end) = self.net_range();
        let (family, protocol) = (family.to_u8(), protocol.to_u8());
        let any_protocol = family == NetFamily::Unix.to_u8();
        let (mut allowed, mut denied) = (false, false);
        for i in start..end {
            let r = self.net_record(i);
            if u32_at(r, field::net_rule::OPS) & perm::bits::net::CREATE == 0
                || u8_at(r, field::net_rule::FAMILY) != family
            {
                continue;
            }
            let rule_protocol = u8_at(r, field::net_rule::PROTOCOL);
            if any_protocol || rule_protocol == Protocol::Any.to_u8() || rule_protocol == protocol {
                if u8_at(r, field::net_rule::DECISION) == Decision::Deny.to_u8() {
                    denied = true;
                } else {
                    allowed = true;
                }
            }
        }
        allowed && !denied
    }

    /// Whether the domain may do the network operations `ops` (bits of `perm::NET_OPS`,
    /// usually one) with a socket of `family` and `protocol` on `addr` (IPv4 in the first
    /// 4 bytes; an IPv4-mapped IPv6 address counts as IPv4) and `port`, or for Unix sockets
    /// on `unix_path` (`@name` for abstract names).
    ///
    /// Every requested bit must be in some matching allow rule and in no matching deny
    /// rule (so an empty request is allowed). A rule matches when its family is the
    /// socket's and, for IP, its protocol is any or the socket's, the first `prefix_len`
    /// bits of its address are the address's and the port lies in its inclusive range;
    /// for Unix, its path is empty or equal to `unix_path`. Linear in the domain's rules.
    pub fn net_allows(
        &self,
        ops: u32,
        family: NetFamily,
        protocol: Protocol,
        addr: &[u8; 16],
        port: u16,
        unix_path: &[u8],
    ) -> bool {
        let (family, addr) = match family {
            NetFamily::Inet6 => match unmap_ipv4(addr) {
                Some(v4) => (NetFamily::Inet, v4),
                None => (family, *addr),
            },
            _ => (family, *addr),
        };
        let addr = u128::from_be_bytes(addr);
        let (start, end) = self.net_range();
        let (mut allowed, mut denied) = (0u32, 0u32);
        for i in start..end {
            let r = self.net_record(i);
            let rule_ops = u32_at(r, field::net_rule::OPS);
            if rule_ops & ops == 0 || u8_at(r, field::net_rule::FAMILY) != family.to_u8() {
                continue;
            }
            let matches = if family == NetFamily::Unix {
                let path = self.policy.string(r, field::net_rule::UNIX_PATH);
                path.is_empty() || path == unix_path
            } else {
                let rule_protocol = u8_at(r, field::net_rule::PROTOCOL);
                (rule_protocol == Protocol::Any.to_u8() || rule_protocol == protocol.to_u8())
                    && u16_at(r, field::net_rule::PORT_LO) <= port
                    && port <= u16_at(r, field::net_rule::PORT_HI)
                    && prefix_matches(
                        u128::from_be_bytes(array_at(r, field::net_rule::ADDR)),
                        addr,
                        u8_at(r, field::net_rule::PREFIX_LEN),
                    )
            };
            if matches {
                if u8_at(r, field::net_rule::DECISION) == Decision::Deny.to_u8() {
                    denied |= rule_ops;
                } else {
                    allowed |= rule_ops;
                }
            }
        }
        ops & !allowed == 0 && ops & denied == 0
    }
}

/// Whether `path` is strictly below the directory `dir` (`/a/b` is below `/a` and `/`,
/// not below `/a/b` or `/ab`).
fn strictly_below(path: &[u8], dir: &[u8]) -> bool {
    if dir == b"/" {
        return path.len() > 1 && path.first() == Some(&b'/');
    }
    path.len() > dir.len() && path.starts_with(dir) && path.get(dir.len()) == Some(&b'/')
}

/// Reads a network rule record; None when an enum field is undefined.
fn read_net_rule<'a>(policy: &PolicyView<'a>, r: &[u8]) -> Option<NetRuleRef<'a>> {
    Some(NetRuleRef {
        decision: Decision::from_u8(u8_at(r, field::net_rule::DECISION))?,
        ops: u32_at(r, field::net_rule::OPS),
        family: NetFamily::from_u8(u8_at(r, field::net_rule::FAMILY))?,
        protocol: Protocol::from_u8(u8_at(r, field::net_rule::PROTOCOL))?,
        addr: array_at(r, field::net_rule::ADDR),
        prefix_len: u8_at(r, field::net_rule::PREFIX_LEN),
        port_lo: u16_at(r, field::net_rule::PORT_LO),
        port_hi: u16_at(r, field::net_rule::PORT_HI),
        unix_path: policy.string(r, field::net_rule::UNIX_PATH),
    })
}

// ---------------------------------------------------------------------------------------
// Validation.

/// Reads the size a blob declares from its first bytes, as soon as 20 have arrived, after
/// checking its magic and version: `Ok(None)` when fewer than 20 bytes are given (and
/// what there is looks right), `Ok(Some(size))` otherwise. The kernel uses it to know
/// when a blob written in pieces is complete and to refuse an oversized one early.
pub fn declared_size(prefix: &[u8]) -> Result<Option<usize>, FormatError> {
    let magic_part = prefix.get(..prefix.len().min(MAGIC.len())).unwrap_or(&[]);
    if MAGIC.get(..magic_part.len()) != Some(magic_part) {
        return Err(FormatError::BadMagic);
    }
    if prefix.len() >= field::header::VERSION + 4 {
        let version = u32_at(prefix, field::header::VERSION);
        if version != VERSION {
            return Err(FormatError::BadVersion { version });
        }
    }
    if prefix.len() < field::header::TOTAL_SIZE + 4 {
        return Ok(None);
    }
    let size = to_usize(u32_at(prefix, field::header::TOTAL_SIZE));
    if size > MAX_POLICY_SIZE {
        return Err(FormatError::TooLarge { size });
    }
    if size < HEADER_SIZE {
        return Err(FormatError::Layout {
            offset: field::header::TOTAL_SIZE,
            what: "declared size smaller than the header",
        });
    }
    Ok(Some(size))
}

/// The digest of a blob as the header's digest field must hold it: SHA-256 of the blob
/// with that field taken as zeros.
pub fn compute_digest(bytes: &[u8]) -> [u8; DIGEST_LEN] {
    let mut h = Sha256::new();
    let start = field::header::DIGEST;
    let end = start.saturating_add(DIGEST_LEN);
    h.update(bytes.get(..start.min(bytes.len())).unwrap_or(&[]));
    if bytes.len() > start {
        let zeros = [0u8; DIGEST_LEN];
        h.update(
            zeros
                .get(..end.min(bytes.len()).saturating_sub(start))
                .unwrap_or(&[]),
        );
    }
    h.update(bytes.get(end..).unwrap_or(&[]));
    h.finish()
}

fn check_header(bytes: &[u8]) -> Result<(), FormatError> {
    use field::header as h;
    let size = bytes.len();
    if size > MAX_POLICY_SIZE {
        return Err(FormatError::TooLarge { size });
    }
    if size < HEADER_SIZE {
        return Err(FormatError::Truncated {
            size,
            needed: HEADER_SIZE,
        });
    }
    if array_at::<8>(bytes, h::MAGIC) != MAGIC {
        return Err(FormatError::BadMagic);
    }
    let version = u32_at(bytes, h::VERSION);
    if version != VERSION {
        return Err(FormatError::BadVersion { version });
    }
    if to_usize(u32_at(bytes, h::HEADER_SIZE)) != HEADER_SIZE {
        return Err(FormatError::Layout {
            offset: h::HEADER_SIZE,
            what: "header size is not 64",
        });
    }
    let total = to_usize(u32_at(bytes, h::TOTAL_SIZE));
    if total > MAX_POLICY_SIZE {
        return Err(FormatError::TooLarge { size: total });
    }
    if total > size {
        return Err(FormatError::Truncated {
            size,
            needed: total,
        });
    }
    if total < size {
        return Err(FormatError::Layout {
            offset: total,
            what: "bytes past the declared size",
        });
    }
    if to_usize(u32_at(bytes, h::SECTION_COUNT)) != SECTION_COUNT {
        return Err(FormatError::Layout {
            offset: h::SECTION_COUNT,
            what: "section count is not 8",
        });
    }
    if u32_at(bytes, h::FLAGS) != 0 {
        return Err(FormatError::Reserved { offset: h::FLAGS });
    }
    if u32_at(bytes, h::RESERVED) != 0 {
        return Err(FormatError::Reserved {
            offset: h::RESERVED,
        });
    }
    if size < SECTIONS_START {
        return Err(FormatError::Truncated {
            size,
            needed: SECTIONS_START,
        });
    }
    Ok(())
}

/// Checks the section table and returns the sections' places (path boundaries unset).
fn check_sections(bytes: &[u8]) -> Result<PolicyLayout, FormatError> {
    use field::entry as e;
    let total = bytes.len();
    let mut layout = PolicyLayout::default();
    let mut expected = SECTIONS_START;
    for kind in SectionKind::ALL {
        let entry = kind.entry_offset();
        if u32_at(bytes, entry.saturating_add(e::KIND)) != kind as u32 {
            return Err(FormatError::Layout {
                offset: entry.saturating_add(e::KIND),
                what: "section table entries not in kind order 1..=8",
            });
        }
        let offset = to_usize(u32_at(bytes, entry.saturating_add(e::OFFSET)));
        if offset != expected {
            return Err(FormatError::Layout {
                offset: entry.saturating_add(e::OFFSET),
                what: "section does not start where the previous one ends",
            });
        }
        let length = to_usize(u32_at(bytes, entry.saturating_add(e::LENGTH)));
        let count = to_usize(u32_at(bytes, entry.saturating_add(e::COUNT)));
        let expected_length = if kind == SectionKind::Strings {
            count.checked_add(3).map(|n| n & !3)
        } else {
            count.checked_mul(kind.record_size())
        };
        if expected_length != Some(length) {
            return Err(FormatError::Layout {
                offset: entry.saturating_add(e::LENGTH),
                what: "section length does not match its count",
            });
        }
        let end = match offset.checked_add(length) {
            Some(end) if end <= total => end,
            _ => {
                return Err(FormatError::Layout {
                    offset: entry.saturating_add(e::LENGTH),
                    what: "section ends past the blob",
                })
            }
        };
        let section = Section { offset, count };
        match kind {
            SectionKind::Strings => layout.strings = section,
            SectionKind::Settings => layout.settings = section,
            SectionKind::Types => layout.types = section,
            SectionKind::Paths => layout.paths = section,
            SectionKind::Domains => layout.domains = section,
            SectionKind::FileRules => layout.file_rules = section,
            SectionKind::NetRules => layout.net_rules = section,
            SectionKind::Transitions => layout.transitions = section,
        }
        expected = end;
    }
    if expected != total {
        return Err(FormatError::Layout {
            offset: expected,
            what: "bytes after the last section",
        });
    }
    if layout.settings.count != 1 {
        return Err(FormatError::Layout {
            offset: SectionKind::Settings
                .entry_offset()
                .saturating_add(e::COUNT),
            what: "settings section must hold exactly one record",
        });
    }
    if layout.types.count > MAX_TYPES {
        return Err(FormatError::Invalid {
            offset: SectionKind::Types.entry_offset().saturating_add(e::COUNT),
            what: "more than 65535 types",
        });
    }
    if layout.domains.count > MAX_DOMAINS {
        return Err(FormatError::Invalid {
            offset: SectionKind::Domains.entry_offset().saturating_add(e::COUNT),
            what: "more than 65535 domains",
        });
    }
    let pool_end = layout.strings.offset.saturating_add(layout.strings.count);
    let padded_end = pool_end.saturating_add(3) & !3;
    if let Some(bad) = bytes
        .get(pool_end..padded_end)
        .and_then(|pad| pad.iter().position(|b| *b != 0))
    {
        return Err(FormatError::Layout {
            offset: pool_end.saturating_add(bad),
            what: "string pool padding is not zero",
        });
    }
    Ok(layout)
}

/// Validation state: the view being built and the string pool cursor.
struct Validator<'a> {
    view: PolicyView<'a>,
    /// Where the next string reference must point in the pool.
    cursor: usize,
}

impl<'a> Validator<'a> {
    /// Iterates over records `first..first + count` of `section`, with their offsets.
    fn records(
        &self,
        section: Section,
        size: usize,
        first: usize,
        count: usize,
    ) -> impl Iterator<Item = (usize, &'a [u8])> + 'a {
        let start = first.saturating_mul(size).saturating_add(section.offset);
        let end = first
            .saturating_add(count)
            .saturating_mul(size)
            .saturating_add(section.offset);
        let base = start;
        self.view
            .bytes
            .get(start..end)
            .unwrap_or(&[])
            .chunks_exact(size.max(1))
            .enumerate()
            .map(move |(i, r)| (base.saturating_add(i.saturating_mul(size)), r))
    }

    /// Checks the string reference at `field` of the record at `offset` and returns the
    /// string: inside the pool, and exactly at the cursor.
    fn string(
        &mut self,
        offset: usize,
        record: &[u8],
        field: usize,
    ) -> Result<&'a [u8], FormatError> {
        let at = offset.saturating_add(field);
        let start = to_usize(u32_at(record, field));
        let len = to_usize(u32_at(record, field.saturating_add(4)));
        let end = start
            .checked_add(len)
            .ok_or(FormatError::BadStringRef { offset: at })?;
        let strings = self.view.layout.strings;
        if end > strings.count {
            return Err(FormatError::BadStringRef { offset: at });
        }
        if start != self.cursor {
            return Err(FormatError::StringPlacement { offset: at });
        }
        self.cursor = end;
        let (a, b) = (
            strings.offset.saturating_add(start),
            strings.offset.saturating_add(end),
        );
        self.view
            .bytes
            .get(a..b)
            .ok_or(FormatError::BadStringRef { offset: at })
    }

    fn settings(&mut self) -> Result<(), FormatError> {
        use field::settings as s;
        let at = self.view.layout.settings.offset;
        let r = self
            .view
            .record(self.view.layout.settings, SETTINGS_RECORD_SIZE, 0);
        let mode = u8_at(r, s::MODE);
        if mode != MODE_NONE && Mode::from_u8(mode).is_none() {
            return Err(bad_enum(at, s::MODE, u32::from(mode), "mode"));
        }
        let action = u8_at(r, s::HEARTBEAT_ACTION);
        if action != 0 && HeartbeatAction::from_u8(action).is_none() {
            return Err(bad_enum(
                at,
                s::HEARTBEAT_ACTION,
                u32::from(action),
                "heartbeat action",
            ));
        }
        if u16_at(r, s::RESERVED0) != 0 {
            return Err(FormatError::Reserved {
                offset: at.saturating_add(s::RESERVED0),
            });
        }
        let timeout = u32_at(r, s::HEARTBEAT_TIMEOUT);
        if let Some(action) = HeartbeatAction::from_u8(action) {
            check_heartbeat(&Heartbeat {
                timeout_ms: timeout,
                action,
            })
            .map_err(|what| invalid(at, s::HEARTBEAT_TIMEOUT, what))?;
        } else if timeout != 0 {
            return Err(invalid(
                at,
                s::HEARTBEAT_TIMEOUT,
                "heartbeat timeout without an action",
            ));
        }
        if u64_at(r, s::RESERVED1) != 0 {
            return Err(FormatError::Reserved {
                offset: at.saturating_add(s::RESERVED1),
            });
        }
        Ok(())
    }

    fn types(&mut self) -> Result<(), FormatError> {
        use field::object_type as t;
        let section = self.view.layout.types;
        let mut previous: Option<&[u8]> = None;
        for (at, r) in self.records(section, TYPE_RECORD_SIZE, 0, section.count) {
            let name = self.string(at, r, t::NAME)?;
            if !check_name(name) {
                return Err(invalid(
                    at,
                    t::NAME,
                    "type name is not an identifier of at most 64 bytes",
                ));
            }
            if u32_at(r, t::FLAGS) & !TYPE_FLAG_PROTECTED != 0 {
                return Err(FormatError::UndefinedBits {
                    offset: at.saturating_add(t::FLAGS),
                    what: "type flags",
                });
            }
            check_order(previous.map(|p| p.cmp(name)), at, "types")?;
            previous = Some(name);
        }
        Ok(())
    }

    fn paths(&mut self) -> Result<(), FormatError> {
        use field::path as p;
        let section = self.view.layout.paths;
        let types = self.view.layout.types.count;
        let mut previous: Option<(PathMatch, &[u8])> = None;
        let (mut exact, mut prefix) = (0usize, 0usize);
        for (at, r) in self.records(section, PATH_RECORD_SIZE, 0, section.count) {
            let pattern = self.string(at, r, p::PATTERN)?;
            let raw_kind = u32_at(r, p::KIND);
            let kind = PathMatch::from_u32(raw_kind).ok_or(bad_enum(
                at,
                p::KIND,
                raw_kind,
                "path match kind",
            ))?;
            check_type_id(u32_at(r, p::TYPE_ID), types, at, p::TYPE_ID)?;
            check_path(pattern, kind).map_err(|what| invalid(at, p::PATTERN, what))?;
            check_order(
                previous.map(|(k, q)| path_key_order(k, q, kind, pattern)),
                at,
                "path rules",
            )?;
            previous = Some((kind, pattern));
            match kind {
                PathMatch::Exact => exact = exact.saturating_add(1),
                PathMatch::Prefix => prefix = prefix.saturating_add(1),
                PathMatch::Glob => {}
            }
        }
        self.view.layout.exact_end = exact;
        self.view.layout.prefix_end = exact.saturating_add(prefix);
        Ok(())
    }

    fn domains(&mut self) -> Result<(), FormatError> {
        use field::domain as d;
        let layout = self.view.layout;
        let section = layout.domains;
        let mut previous: Option<&[u8]> = None;
        let (mut next_file, mut next_net) = (0usize, 0usize);
        for (at, r) in self.records(section, DOMAIN_RECORD_SIZE, 0, section.count) {
            let name = self.string(at, r, d::NAME)?;
            if !check_name(name) {
                return Err(invalid(
                    at,
                    d::NAME,
                    "domain name is not an identifier of at most 64 bytes",
                ));
            }
            let mode = u8_at(r, d::MODE);
            if mode != MODE_NONE && Mode::from_u8(mode).is_none() {
                return Err(bad_enum(at, d::MODE, u32::from(mode), "mode"));
            }
            let response = u8_at(r, d::RESPONSE);
            if response > RESPONSE_QUARANTINE {
                return Err(bad_enum(
                    at,
                    d::RESPONSE,
                    u32::from(response),
                    "behaviour response",
                ));
            }
            if u16_at(r, d::RESERVED) != 0 {
                return Err(FormatError::Reserved {
                    offset: at.saturating_add(d::RESERVED),
                });
            }
            let sets: [(usize, u64, u64, &'static str); 6] = [
                (
                    d::SIGNAL,
                    u64::from(u32_at(r, d::SIGNAL)),
                    u64::from(perm::SCOPES_MASK),
                    "signal scopes",
                ),
                (
                    d::PTRACE,
                    u64::from(u32_at(r, d::PTRACE)),
                    u64::from(perm::SCOPES_MASK),
                    "ptrace scopes",
                ),
                (
                    d::IPC,
                    u64::from(u32_at(r, d::IPC)),
                    u64::from(perm::IPC_PERMS_MASK),
                    "IPC permissions",
                ),
                (
                    d::CAPABILITIES,
                    u64_at(r, d::CAPABILITIES),
                    perm::CAPABILITIES_MASK,
                    "capabilities",
                ),
                (
                    d::SYSTEM,
                    u64::from(u32_at(r, d::SYSTEM)),
                    u64::from(perm::SYSTEM_OPS_MASK),
                    "system operations",
                ),
                (
                    d::PROCESS,
                    u64::from(u32_at(r, d::PROCESS)),
                    u64::from(perm::PROCESS_OPS_MASK),
                    "process operations",
                ),
            ];
            for (field, value, mask, what) in sets {
                if value & !mask != 0 {
                    return Err(FormatError::UndefinedBits {
                        offset: at.saturating_add(field),
                        what,
                    });
                }
            }
            next_file = check_range(
                r,
                at,
                d::FILE_START,
                next_file,
                layout.file_rules.count,
                "file",
            )?;
            next_net = check_range(
                r,
                at,
                d::NET_START,
                next_net,
                layout.net_rules.count,
                "network",
            )?;
            let (threshold, window) = (u32_at(r, d::THRESHOLD), u32_at(r, d::WINDOW));
            let (max_ops, quarantine) = (u32_at(r, d::MAX_OPS), u32_at(r, d::QUARANTINE));
            if response == RESPONSE_NONE {
                if threshold != 0 || window != 0 || max_ops != 0 || quarantine != 0 {
                    return Err(invalid(
                        at,
                        d::THRESHOLD,
                        "behaviour limits without a response",
                    ));
                }
            } else {
                if quarantine == 0 && response == RESPONSE_QUARANTINE
                    || to_usize(quarantine) > section.count
                {
                    return Err(FormatError::BadDomainId {
                        offset: at.saturating_add(d::QUARANTINE),
                        id: quarantine,
                    });
                }
                if quarantine != 0 && response == RESPONSE_AUDIT {
                    return Err(invalid(
                        at,
                        d::QUARANTINE,
                        "quarantine domain without the quarantine response",
                    ));
                }
                let behaviour = Behaviour {
                    anomaly_threshold: threshold,
                    window_ms: window,
                    max_ops,
                    response: if response == RESPONSE_AUDIT {
                        Response::Audit
                    } else {
                        Response::Quarantine(quarantine)
                    },
                };
                check_behaviour(&behaviour, section.count).map_err(|what| {
                    let field = if threshold == 0 || threshold > MAX_ANOMALY_THRESHOLD {
                        d::THRESHOLD
                    } else {
                        d::WINDOW
                    };
                    invalid(at, field, what)
                })?;
            }
            check_order(previous.map(|p| p.cmp(name)), at, "domains")?;
            previous = Some(name);
        }
        if next_file != layout.file_rules.count {
            return Err(FormatError::Layout {
                offset: layout
                    .file_rules
                    .offset
                    .saturating_add(next_file.saturating_mul(FILE_RULE_RECORD_SIZE)),
                what: "file rules that belong to no domain",
            });
        }
        if next_net != layout.net_rules.count {
            return Err(FormatError::Layout {
                offset: layout
                    .net_rules
                    .offset
                    .saturating_add(next_net.saturating_mul(NET_RULE_RECORD_SIZE)),
                what: "network rules that belong to no domain",
            });
        }
        Ok(())
    }

    /// Calls `f` with the (start, count) of every domain's rules at `start_field`.
    fn domain_ranges(&self, start_field: usize) -> impl Iterator<Item = (usize, usize)> + 'a {
        let domains = self.view.layout.domains;
        self.records(domains, DOMAIN_RECORD_SIZE, 0, domains.count)
            .map(move |(_, r)| {
                (
                    to_usize(u32_at(r, start_field)),
                    to_usize(u32_at(r, start_field.saturating_add(4))),
                )
            })
    }

    fn file_rules(&mut self) -> Result<(), FormatError> {
        use field::file_rule as f;
        let section = self.view.layout.file_rules;
        let types = self.view.layout.types.count;
        for (start, count) in self.domain_ranges(field::domain::FILE_START) {
            let mut previous: Option<(u32, u32)> = None;
            for (at, r) in self.records(section, FILE_RULE_RECORD_SIZE, start, count) {
                let type_id = u32_at(r, f::TYPE_ID);
                check_type_id(type_id, types, at, f::TYPE_ID)?;
                let decision = u32_at(r, f::DECISION);
                if u8::try_from(decision)
                    .ok()
                    .and_then(Decision::from_u8)
                    .is_none()
                {
                    return Err(bad_enum(at, f::DECISION, decision, "decision"));
                }
                let perms = u32_at(r, f::PERMS);
                if perms == 0 {
                    return Err(invalid(at, f::PERMS, "empty file permission set"));
                }
                if perms & !perm::FILE_PERMS_MASK != 0 {
                    return Err(FormatError::UndefinedBits {
                        offset: at.saturating_add(f::PERMS),
                        what: "file permissions",
                    });
                }
                let key = (type_id, decision);
                check_order(previous.map(|p| p.cmp(&key)), at, "file rules")?;
                previous = Some(key);
            }
        }
        Ok(())
    }

    fn net_rules(&mut self) -> Result<(), FormatError> {
        use field::net_rule as n;
        let section = self.view.layout.net_rules;
        for (start, count) in self.domain_ranges(field::domain::NET_START) {
            let mut previous: Option<NetRuleRef<'a>> = None;
            for (at, r) in self.records(section, NET_RULE_RECORD_SIZE, start, count) {
                let raw = u8_at(r, n::DECISION);
                let decision = Decision::from_u8(raw).ok_or(bad_enum(
                    at,
                    n::DECISION,
                    u32::from(raw),
                    "decision",
                ))?;
                let raw = u8_at(r, n::FAMILY);
                let family = NetFamily::from_u8(raw).ok_or(bad_enum(
                    at,
                    n::FAMILY,
                    u32::from(raw),
                    "address family",
                ))?;
                let raw = u8_at(r, n::PROTOCOL);
                let protocol = Protocol::from_u8(raw).ok_or(bad_enum(
                    at,
                    n::PROTOCOL,
                    u32::from(raw),
                    "protocol",
                ))?;
                let ops = u32_at(r, n::OPS);
                if ops == 0 {
                    return Err(invalid(at, n::OPS, "empty network operation set"));
                }
                if ops & !perm::NET_OPS_MASK != 0 {
                    return Err(FormatError::UndefinedBits {
                        offset: at.saturating_add(n::OPS),
                        what: "network operations",
                    });
                }
                let unix_path = self.string(at, r, n::UNIX_PATH)?;
                if u32_at(r, n::RESERVED0) != 0 {
                    return Err(FormatError::Reserved {
                        offset: at.saturating_add(n::RESERVED0),
                    });
                }
                if u64_at(r, n::RESERVED1) != 0 {
                    return Err(FormatError::Reserved {
                        offset: at.saturating_add(n::RESERVED1),
                    });
                }
                let rule = NetRuleRef {
                    decision,
                    ops,
                    family,
                    protocol,
                    addr: array_at(r, n::ADDR),
                    prefix_len: u8_at(r, n::PREFIX_LEN),
                    port_lo: u16_at(r, n::PORT_LO),
                    port_hi: u16_at(r, n::PORT_HI),
                    unix_path,
                };
                check_net_rule(&rule).map_err(|what| invalid(at, 0, what))?;
                check_order(previous.map(|p| p.cmp(&rule)), at, "network rules")?;
                previous = Some(rule);
            }
        }
        Ok(())
    }

    fn transitions(&mut self) -> Result<(), FormatError> {
        use field::transition as t;
        let section = self.view.layout.transitions;
        let domains = self.view.layout.domains.count;
        let mut previous: Option<TransitionKey<'_>> = None;
        for (at, r) in self.records(section, TRANSITION_RECORD_SIZE, 0, section.count) {
            let from = u32_at(r, t::FROM);
            if to_usize(from) > domains {
                return Err(FormatError::BadDomainId {
                    offset: at.saturating_add(t::FROM),
                    id: from,
                });
            }
            let exe = self.string(at, r, t::EXE)?;
            check_path(exe, PathMatch::Exact).map_err(|what| invalid(at, t::EXE, what))?;
            let to = u32_at(r, t::TO);
            if to == 0 || to_usize(to) > domains {
                return Err(FormatError::BadDomainId {
                    offset: at.saturating_add(t::TO),
                    id: to,
                });
            }
            let digest: [u8; 32] = array_at(r, t::DIGEST);
            let digest = match u32_at(r, t::HAS_DIGEST) {
                0 if digest == [0; 32] => None,
                0 => return Err(invalid(at, t::DIGEST, "digest without has_digest")),
                1 => Some(digest),
                other => return Err(bad_enum(at, t::HAS_DIGEST, other, "has_digest")),
            };
            let key = (from, exe, digest);
            check_order(previous.map(|p| p.cmp(&key)), at, "transitions")?;
            previous = Some(key);
        }
        Ok(())
    }
}

/// The key transitions are sorted and unique by: (from, exe, digest).
type TransitionKey<'a> = (u32, &'a [u8], Option<[u8; 32]>);

fn invalid(record: usize, field: usize, what: &'static str) -> FormatError {
    FormatError::Invalid {
        offset: record.saturating_add(field),
        what,
    }
}

fn bad_enum(record: usize, field: usize, value: u32, what: &'static str) -> FormatError {
    FormatError::BadEnum {
        offset: record.saturating_add(field),
        value,
        what,
    }
}

fn check_type_id(id: u32, types: usize, record: usize, field: usize) -> Result<(), FormatError> {
    if id == 0 || to_usize(id) > types {
        return Err(FormatError::BadTypeId {
            offset: record.saturating_add(field),
            id,
        });
    }
    Ok(())
}

/// `order` is how the previous record compares with this one: it must be `Less`.
fn check_order(order: Option<Ordering>, at: usize, what: &'static str) -> Result<(), FormatError> {
    match order {
        None | Some(Ordering::Less) => Ok(()),
        Some(Ordering::Equal) => Err(FormatError::Duplicate { offset: at, what }),
        Some(Ordering::Greater) => Err(FormatError::Unsorted { offset: at, what }),
    }
}

/// Checks a domain's rule range (start at `start_field`, count after it): it starts at
/// `expected` and ends inside the section. Returns its end.
fn check_range(
    record: &[u8],
    at: usize,
    start_field: usize,
    expected: usize,
    section_count: usize,
    what: &'static str,
) -> Result<usize, FormatError> {
    let start = to_usize(u32_at(record, start_field));
    let count = to_usize(u32_at(record, start_field.saturating_add(4)));
    if start != expected {
        return Err(FormatError::Layout {
            offset: at.saturating_add(start_field),
            what: if what == "file" {
                "file rules of a domain do not start where the previous domain's end"
            } else {
                "network rules of a domain do not start where the previous domain's end"
            },
        });
    }
    match start.checked_add(count) {
        Some(end) if end <= section_count => Ok(end),
        _ => Err(FormatError::Layout {
            offset: at.saturating_add(start_field).saturating_add(4),
            what: if what == "file" {
                "file rule range past the end of its section"
            } else {
                "network rule range past the end of its section"
            },
        }),
    }
}

/// Validates a whole blob against the specification (`docs/policy-format.md`) and
/// returns a view to query it. Checks, in this order: size, header, digest, section
/// table, then every section in table order; the error names the first fault.
pub fn validate(bytes: &[u8]) -> Result<PolicyView<'_>, FormatError> {
    check_header(bytes)?;
    if compute_digest(bytes) != array_at::<DIGEST_LEN>(bytes, field::header::DIGEST) {
        return Err(FormatError::BadChecksum);
    }
    let layout = check_sections(bytes)?;
    let mut v = Validator {
        view: PolicyView { bytes, layout },
        cursor: 0,
    };
    v.settings()?;
    v.types()?;
    v.paths()?;
    v.domains()?;
    v.file_rules()?;
    v.net_rules()?;
    v.transitions()?;
    let strings = v.view.layout.strings;
    if v.cursor != strings.count {
        return Err(FormatError::Layout {
            offset: strings.offset.saturating_add(v.cursor),
            what: "string pool holds bytes no record refers to",
        });
    }
    Ok(v.view)
}
