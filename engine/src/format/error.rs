//! What validation reports: [`FormatError`], the first fault found in a blob with the
//! offset it is about, and its broad [`ErrorClass`] (which the kernel maps to an errno).

use core::fmt;

use super::wire::{MAX_POLICY_SIZE, VERSION};

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

/// The first fault [`validate`](fn@super::validate) found, with the byte offset (in the
/// blob) of the field or record at fault where there is one.
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
    /// The first 8 bytes are not [`MAGIC`](super::MAGIC).
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
