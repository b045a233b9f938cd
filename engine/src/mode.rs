//! Enforcement modes and the parsing of mode names written to securityfs.

use core::fmt;

/// How decisions take effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Mode {
    /// Decide and count; never deny.
    Monitor = 0,
    /// Allow, but audit every operation that enforce mode would deny.
    Alert = 1,
    /// Deny what the policy does not allow, and audit it.
    Enforce = 2,
}

/// Why a mode name was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModeError {
    /// Nothing was written.
    Empty,
    /// More bytes than any mode name.
    TooLong,
    /// Not one of `monitor`, `alert`, `enforce`.
    Unknown,
}

impl Mode {
    /// Every mode, in increasing strictness.
    pub const ALL: [Mode; 3] = [Mode::Monitor, Mode::Alert, Mode::Enforce];

    /// The mode a kernel starts in when nothing else is asked for.
    pub const DEFAULT: Mode = Mode::Enforce;

    /// The name used in securityfs, on the command line and in audit records.
    pub const fn name(self) -> &'static str {
        match self {
            Mode::Monitor => "monitor",
            Mode::Alert => "alert",
            Mode::Enforce => "enforce",
        }
    }

    /// The mode stored as `value` by [`Mode::to_u8`], if any.
    pub const fn from_u8(value: u8) -> Option<Mode> {
        match value {
            0 => Some(Mode::Monitor),
            1 => Some(Mode::Alert),
            2 => Some(Mode::Enforce),
            _ => None,
        }
    }

    /// The compact form stored in an atomic.
    pub const fn to_u8(self) -> u8 {
        self as u8
    }

    /// Parses a mode name as written to securityfs: the exact name, optionally followed by
    /// one newline (what `echo` appends). Anything else is refused.
    pub fn parse(input: &[u8]) -> Result<Mode, ModeError> {
        if input.is_empty() {
            return Err(ModeError::Empty);
        }
        if input.len() > super::abi::MODE_WRITE_MAX {
            return Err(ModeError::TooLong);
        }
        let name = match input.split_last() {
            Some((b'\n', rest)) => rest,
            _ => input,
        };
        Mode::ALL
            .into_iter()
            .find(|mode| mode.name().as_bytes() == name)
            .ok_or(ModeError::Unknown)
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for ModeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ModeError::Empty => "empty mode",
            ModeError::TooLong => "mode name too long",
            ModeError::Unknown => "unknown mode (expected monitor, alert or enforce)",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_name_with_and_without_newline() {
        for mode in Mode::ALL {
            assert_eq!(Mode::parse(mode.name().as_bytes()), Ok(mode));
            let mut line = [0u8; 16];
            let n = mode.name().len();
            line[..n].copy_from_slice(mode.name().as_bytes());
            line[n] = b'\n';
            assert_eq!(Mode::parse(&line[..=n]), Ok(mode));
        }
    }

    #[test]
    fn refuses_everything_else() {
        assert_eq!(Mode::parse(b""), Err(ModeError::Empty));
        assert_eq!(Mode::parse(b"\n"), Err(ModeError::Unknown));
        assert_eq!(Mode::parse(b"bogus"), Err(ModeError::Unknown));
        assert_eq!(Mode::parse(b"Enforce"), Err(ModeError::Unknown));
        assert_eq!(Mode::parse(b"enforce\n\n"), Err(ModeError::Unknown));
        assert_eq!(Mode::parse(b" enforce"), Err(ModeError::Unknown));
        assert_eq!(Mode::parse(b"enforce\0"), Err(ModeError::Unknown));
        assert_eq!(Mode::parse(b"enforceenforceenf"), Err(ModeError::TooLong));
    }

    #[test]
    fn compact_form_round_trips() {
        for mode in Mode::ALL {
            assert_eq!(Mode::from_u8(mode.to_u8()), Some(mode));
        }
        assert_eq!(Mode::from_u8(3), None);
    }
}
