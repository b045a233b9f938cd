//! Decision events: what the kernel reports for each denial, as a record of fixed size
//! (stored in the lock-free event ring as words) and as one text line of `key=value`
//! fields (the securityfs `events` file, audit records, `tcp-monitor`).
//!
//! Line format (fields in this order, separated by one space; see docs/securityfs.md):
//!
//! ```text
//! seq=7 time=1234 op=file_open class=file perms=write decision=deny mode=enforce domain=agent object=/etc/passwd pid=42 comm=cat errno=EACCES
//! ```
//!
//! Values never contain a space: every byte outside `!`..`~`, and `\`, is written as
//! `\xHH`. A line `lost=N` reports N events that were dropped because the queue was full.

use core::fmt::{self, Write};

use super::mode::Mode;
use super::perm::Class;

/// Longest operation (hook) name kept.
pub const OP_MAX: usize = 24;
/// Longest domain name kept (the kernel's limit on domain names).
pub const DOMAIN_MAX: usize = 64;
/// Longest object description kept; longer ones are cut and end in `...`.
pub const OBJECT_MAX: usize = 160;
/// Longest command name (`TASK_COMM_LEN` - 1).
pub const COMM_MAX: usize = 16;

/// A string of at most `N` bytes, kept inline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Text<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> Default for Text<N> {
    fn default() -> Self {
        Text {
            bytes: [0; N],
            len: 0,
        }
    }
}

impl<const N: usize> Text<N> {
    /// `s`, cut to `N` bytes; a cut string ends in `...`.
    pub fn new(s: &[u8]) -> Self {
        let mut t = Text::default();
        t.push(s);
        t
    }

    /// Appends `s`, cutting as [`Text::new`] does.
    pub fn push(&mut self, s: &[u8]) {
        for &b in s {
            if self.len == N {
                self.mark_cut();
                return;
            }
            if let Some(slot) = self.bytes.get_mut(self.len) {
                *slot = b;
            }
            self.len += 1;
        }
    }

    fn mark_cut(&mut self) {
        for slot in self.bytes.iter_mut().skip(N.saturating_sub(3)) {
            *slot = b'.';
        }
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }
}

impl<const N: usize> Write for Text<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push(s.as_bytes());
        Ok(())
    }
}

/// What the kernel did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Outcome {
    /// Allowed although the policy denies it (alert or monitor mode).
    Allow = 0,
    /// Denied.
    Deny = 1,
}

impl Outcome {
    /// The name in event lines.
    pub const fn name(self) -> &'static str {
        match self {
            Outcome::Allow => "allow",
            Outcome::Deny => "deny",
        }
    }
}

/// One decision that the policy denied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// Sequence number: every denial gets the next one, queued or not.
    pub seq: u64,
    /// Nanoseconds since boot.
    pub time_ns: u64,
    /// The hook that decided.
    pub op: Text<OP_MAX>,
    /// The class of the permissions asked for.
    pub class: Class,
    /// The permissions asked for (capabilities: bit `cap`).
    pub perms: u64,
    /// What the kernel did.
    pub outcome: Outcome,
    /// The mode that applied.
    pub mode: Mode,
    /// The subject's domain.
    pub domain: Text<DOMAIN_MAX>,
    /// The object: a path, an address, `type:NAME`, `pid:N`, ...
    pub object: Text<OBJECT_MAX>,
    /// Thread id of the task.
    pub pid: u32,
    /// Command name of the task.
    pub comm: Text<COMM_MAX>,
    /// The error returned (or that enforce mode would return), as a positive errno.
    pub errno: u16,
}

/// Number of `u64` words of an encoded event.
pub const WORDS: usize = 5 + (OP_MAX + DOMAIN_MAX + OBJECT_MAX + COMM_MAX) / 8;

const _: () = assert!((OP_MAX + DOMAIN_MAX + OBJECT_MAX + COMM_MAX) % 8 == 0);

fn put_text<const N: usize>(words: &mut [u64], at: &mut usize, t: &Text<N>) {
    for chunk in t.bytes.chunks(8) {
        let mut b = [0u8; 8];
        for (d, s) in b.iter_mut().zip(chunk) {
            *d = *s;
        }
        if let Some(w) = words.get_mut(*at) {
            *w = u64::from_le_bytes(b);
        }
        *at += 1;
    }
}

fn get_text<const N: usize>(words: &[u64], at: &mut usize, len: usize) -> Text<N> {
    let mut t = Text::<N>::default();
    for chunk in t.bytes.chunks_mut(8) {
        let b = words.get(*at).copied().unwrap_or(0).to_le_bytes();
        for (d, s) in chunk.iter_mut().zip(b) {
            *d = s;
        }
        *at += 1;
    }
    t.len = len.min(N);
    t
}

impl Event {
    /// The event as words, for the event ring.
    pub fn encode(&self) -> [u64; WORDS] {
        let mut w = [0u64; WORDS];
        let small = u64::from(self.pid)
            | u64::from(self.errno) << 32
            | u64::from(self.class as u8) << 48
            | u64::from(self.outcome as u8) << 56
            | u64::from(self.mode.to_u8()) << 60;
        let lens = self.op.len as u64
            | (self.domain.len as u64) << 8
            | (self.object.len as u64) << 16
            | (self.comm.len as u64) << 32;
        for (slot, v) in w
            .iter_mut()
            .zip([self.seq, self.time_ns, small, self.perms, lens])
        {
            *slot = v;
        }
        let mut at = 5;
        put_text(&mut w, &mut at, &self.op);
        put_text(&mut w, &mut at, &self.domain);
        put_text(&mut w, &mut at, &self.object);
        put_text(&mut w, &mut at, &self.comm);
        w
    }

    /// The event encoded by [`Event::encode`] (`None` for words that no event encodes to).
    pub fn decode(w: &[u64; WORDS]) -> Option<Event> {
        let [seq, time_ns, small, perms, lens, ..] = *w;
        let mut at = 5;
        Some(Event {
            seq,
            time_ns,
            pid: small as u32,
            errno: (small >> 32) as u16,
            class: Class::from_u8((small >> 48) as u8)?,
            outcome: if (small >> 56) & 0xf == 1 {
                Outcome::Deny
            } else {
                Outcome::Allow
            },
            mode: Mode::from_u8((small >> 60) as u8)?,
            perms,
            op: get_text(w, &mut at, (lens & 0xff) as usize),
            domain: get_text(w, &mut at, ((lens >> 8) & 0xff) as usize),
            object: get_text(w, &mut at, ((lens >> 16) & 0xffff) as usize),
            comm: get_text(w, &mut at, ((lens >> 32) & 0xff) as usize),
        })
    }

    /// Writes the event as one line (without the newline).
    pub fn write_line(&self, out: &mut impl Write) -> fmt::Result {
        write!(out, "seq={} time={} op=", self.seq, self.time_ns)?;
        escape(out, self.op.as_bytes())?;
        write!(out, " class={} perms=", self.class.name())?;
        write_perms(out, self.class, self.perms)?;
        write!(
            out,
            " decision={} mode={} domain=",
            self.outcome.name(),
            self.mode.name()
        )?;
        escape(out, self.domain.as_bytes())?;
        out.write_str(" object=")?;
        escape(out, self.object.as_bytes())?;
        write!(out, " pid={} comm=", self.pid)?;
        escape(out, self.comm.as_bytes())?;
        out.write_str(" errno=")?;
        write_errno(out, self.errno)
    }
}

/// Writes the names of the `perms` bits of `class`, comma-separated (`-` for none).
pub fn write_perms(out: &mut impl Write, class: Class, perms: u64) -> fmt::Result {
    let names = class.permission_names();
    let mut first = true;
    for bit in 0..64u32 {
        if perms & (1u64 << bit) == 0 {
            continue;
        }
        if !first {
            out.write_char(',')?;
        }
        first = false;
        match names.get(bit as usize) {
            Some(name) => out.write_str(name)?,
            None => write!(out, "bit{bit}")?,
        }
    }
    if first {
        out.write_char('-')?;
    }
    Ok(())
}

/// The errno names events use.
const ERRNO_NAMES: &[(u16, &str)] = &[
    (1, "EPERM"),
    (13, "EACCES"),
    (38, "ENOSYS"),
    (95, "EOPNOTSUPP"),
];

/// Writes a positive errno by name (`E<number>` for others, `0` for none).
pub fn write_errno(out: &mut impl Write, errno: u16) -> fmt::Result {
    if errno == 0 {
        return out.write_char('0');
    }
    match ERRNO_NAMES.iter().find(|(n, _)| *n == errno) {
        Some((_, name)) => out.write_str(name),
        None => write!(out, "E{errno}"),
    }
}

/// Writes `bytes` so that the value has no space: bytes outside `!`..`~`, and `\`, become
/// `\xHH`; an empty value is written as `-`... unless it is really `-`, which is escaped.
pub fn escape(out: &mut impl Write, bytes: &[u8]) -> fmt::Result {
    if bytes.is_empty() {
        return out.write_char('-');
    }
    if bytes == b"-" {
        return out.write_str("\\x2d");
    }
    for &b in bytes {
        if (0x21..=0x7e).contains(&b) && b != b'\\' {
            out.write_char(char::from(b))?;
        } else {
            write!(out, "\\x{b:02x}")?;
        }
    }
    Ok(())
}

/// Writes the line that reports `count` dropped events.
pub fn write_lost_line(out: &mut impl Write, count: u64) -> fmt::Result {
    write!(out, "lost={count}")
}

#[cfg(feature = "alloc")]
pub use parse::{parse_line, unescape, Line, ParseError};

#[cfg(feature = "alloc")]
mod parse {
    use alloc::string::String;
    use alloc::vec::Vec;

    /// One parsed line of the `events` file.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum Line {
        /// An event: its fields in order, values unescaped (`-` read as empty).
        Event(Vec<(String, String)>),
        /// `lost=N`: N events were dropped before the next one.
        Lost(u64),
    }

    /// Why a line could not be read.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum ParseError {
        /// A field without `=`.
        NoEquals(String),
        /// A bad `\xHH` escape.
        BadEscape(String),
        /// `lost=` without a number.
        BadLost(String),
        /// An empty line.
        Empty,
    }

    impl core::fmt::Display for ParseError {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            match self {
                ParseError::NoEquals(s) => write!(f, "field without '=': {s:?}"),
                ParseError::BadEscape(s) => write!(f, "bad escape in {s:?}"),
                ParseError::BadLost(s) => write!(f, "bad lost count {s:?}"),
                ParseError::Empty => write!(f, "empty line"),
            }
        }
    }

    /// Undoes [`super::escape`]; bytes that are not UTF-8 become U+FFFD.
    pub fn unescape(value: &str) -> Result<String, ParseError> {
        if value == "-" {
            return Ok(String::new());
        }
        let bad = || ParseError::BadEscape(value.into());
        let mut out = Vec::with_capacity(value.len());
        let mut bytes = value.bytes();
        while let Some(b) = bytes.next() {
            if b != b'\\' {
                out.push(b);
                continue;
            }
            if bytes.next() != Some(b'x') {
                return Err(bad());
            }
            let hi = bytes
                .next()
                .and_then(|c| char::from(c).to_digit(16))
                .ok_or_else(bad)?;
            let lo = bytes
                .next()
                .and_then(|c| char::from(c).to_digit(16))
                .ok_or_else(bad)?;
            out.push((hi * 16 + lo) as u8);
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    /// Reads one line of the `events` file (without its newline).
    pub fn parse_line(line: &str) -> Result<Line, ParseError> {
        let line = line.trim_end_matches(['\n', '\r']);
        if line.is_empty() {
            return Err(ParseError::Empty);
        }
        if let Some(n) = line.strip_prefix("lost=") {
            return n
                .parse()
                .map(Line::Lost)
                .map_err(|_| ParseError::BadLost(n.into()));
        }
        line.split(' ')
            .map(|field| {
                let (k, v) = field
                    .split_once('=')
                    .ok_or_else(|| ParseError::NoEquals(field.into()))?;
                Ok((String::from(k), unescape(v)?))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Line::Event)
    }
}

#[cfg(test)]
#[allow(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    reason = "test code; a panic fails the test"
)]
mod tests {
    extern crate std;
    use std::string::String;

    use super::*;

    fn sample() -> Event {
        Event {
            seq: 7,
            time_ns: 1234,
            op: Text::new(b"file_open"),
            class: Class::File,
            perms: 0b11,
            outcome: Outcome::Deny,
            mode: Mode::Enforce,
            domain: Text::new(b"agent"),
            object: Text::new(b"/tmp/a b\\c"),
            pid: 42,
            comm: Text::new(b"cat"),
            errno: 13,
        }
    }

    #[test]
    fn encodes_and_decodes() {
        let e = sample();
        assert_eq!(Event::decode(&e.encode()), Some(e));
    }

    #[test]
    fn writes_the_documented_line() {
        let mut s = String::new();
        sample().write_line(&mut s).unwrap();
        assert_eq!(
            s,
            "seq=7 time=1234 op=file_open class=file perms=read,write decision=deny mode=enforce \
             domain=agent object=/tmp/a\\x20b\\x5cc pid=42 comm=cat errno=EACCES"
        );
    }

    #[test]
    fn lines_parse_back() {
        let mut s = String::new();
        sample().write_line(&mut s).unwrap();
        let Ok(Line::Event(fields)) = parse_line(&s) else {
            panic!("{s}")
        };
        let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("object"), Some("/tmp/a b\\c"));
        assert_eq!(get("errno"), Some("EACCES"));
        assert_eq!(fields.len(), 12);
        assert_eq!(parse_line("lost=5"), Ok(Line::Lost(5)));
        assert!(parse_line("lost=x").is_err());
        assert!(parse_line("seq=1 nonsense").is_err());
        assert!(parse_line("object=\\xZZ").is_err());
    }

    #[test]
    fn empty_and_dash_values_are_distinct() {
        let mut s = String::new();
        escape(&mut s, b"").unwrap();
        s.push(' ');
        escape(&mut s, b"-").unwrap();
        assert_eq!(s, "- \\x2d");
        assert_eq!(unescape("-").unwrap(), "");
        assert_eq!(unescape("\\x2d").unwrap(), "-");
    }

    #[test]
    fn long_text_is_cut_visibly() {
        let long = [b'a'; 300];
        let t = Text::<OBJECT_MAX>::new(&long);
        assert_eq!(t.as_bytes().len(), OBJECT_MAX);
        assert!(t.as_bytes().ends_with(b"..."));
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_survive_escaping(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let mut s = String::new();
            escape(&mut s, &bytes).unwrap();
            proptest::prop_assert!(!s.contains(' ') && !s.contains('\n'));
            let back = unescape(&s).unwrap();
            proptest::prop_assert_eq!(back, String::from_utf8_lossy(&bytes).into_owned());
        }
    }
}
