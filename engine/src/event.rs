//! Decision events: what the kernel reports for each denial, as a record of fixed size
//! (stored in the lock-free event ring as words) and as one text line of `key=value`
//! fields (the securityfs `events` file, audit records, `tcp-monitor`).
//!
//! Line format (fields in this order, separated by one space; see docs/securityfs.md):
//!
//! ```text
//! seq=7 time=1234 op=file_open class=file perms=write decision=deny mode=enforce domain=agent object=/etc/passwd pid=42 comm=cat errno=EACCES reason=rule
//! ```
//!
//! Audit records carry the same event as `key=value` fields in auditd's conventions
//! ([`Event::audit_head`], [`Event::audit_tail`]): quoted strings, standard names
//! (`operation`, `name`, `daddr`, `dport`, `tclass`, ...) in the order `ausearch` parses
//! them, our own names where a standard one would be misread by `ausearch -i`
//! (`tcp_mode`, not `mode`, which auparse reads as a file mode).
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

/// Why a decision denied (or would have denied).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Reason {
    /// The policy's rules do not allow it.
    Rule = 0,
    /// An always-on protection refused it, whatever the policy and the mode.
    Protection = 1,
    /// The policy allows it, but the supervisor's heartbeat is stale (fail closed).
    Heartbeat = 2,
    /// The domain's behaviour limit (`max-ops`) was passed.
    Behaviour = 3,
    /// The task was quarantined by its behaviour limit; its quarantine domain decided.
    Quarantine = 4,
}

impl Reason {
    /// The name in event lines and audit records.
    pub const fn name(self) -> &'static str {
        match self {
            Reason::Rule => "rule",
            Reason::Protection => "protection",
            Reason::Heartbeat => "heartbeat",
            Reason::Behaviour => "behaviour",
            Reason::Quarantine => "quarantine",
        }
    }

    /// The reason of [`Reason::to_u8`]'s value.
    pub const fn from_u8(v: u8) -> Option<Reason> {
        Some(match v {
            0 => Reason::Rule,
            1 => Reason::Protection,
            2 => Reason::Heartbeat,
            3 => Reason::Behaviour,
            4 => Reason::Quarantine,
            _ => return None,
        })
    }

    /// The value stored in an encoded event.
    pub const fn to_u8(self) -> u8 {
        self as u8
    }
}

/// One value of an audit record field (see [`Event::audit_head`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditValue<'a> {
    /// A string from outside the LSM (a path, a name): written with the audit
    /// subsystem's untrusted-string rule (quoted, or hex when it holds a quote, a space,
    /// a control or a non-ASCII byte), which `ausearch -i` decodes.
    Str(&'a [u8]),
    /// A word of our own vocabulary, quoted (`"DENIED"`, `"enforce"`).
    Word(&'a str),
    /// A word of our own vocabulary (lower-case letters only), unquoted where auditd's
    /// tools expect it so (`tclass=file`, as SELinux writes it).
    Bare(&'static str),
    /// An unsigned number, unquoted.
    Num(u64),
    /// A signed number, unquoted (`error=-13`).
    Int(i64),
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
    /// Why it was denied.
    pub reason: Reason,
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
            | (self.comm.len as u64) << 32
            | u64::from(self.reason.to_u8()) << 40;
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
            reason: Reason::from_u8((lens >> 40) as u8)?,
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
        write_errno(out, self.errno)?;
        write!(out, " reason={}", self.reason.name())
    }

    /// Gives `field` the audit record's fields that come before the audit helper's `pid`
    /// and `comm`: `tcp` (`"DENIED"`, or `"ALLOWED"` for a would-be denial), `operation`,
    /// `requested`, `tcp_mode` and `domain`. [`Event::audit_tail`] gives the rest.
    ///
    /// The split follows the order auditd's tools parse an `AVC` record in (SELinux's:
    /// `pid`, `comm`, then the object, then `tclass`): `ausearch` skips as malformed an
    /// `AVC` record without `tclass` after `comm`, and looks for `name` after `comm`.
    pub fn audit_head(&self, mut field: impl FnMut(&str, AuditValue<'_>)) {
        let decision = match self.outcome {
            Outcome::Deny => "DENIED",
            Outcome::Allow => "ALLOWED",
        };
        field("tcp", AuditValue::Word(decision));
        field("operation", AuditValue::Str(self.op.as_bytes()));
        // Formatting into a `Text` cannot fail: it cuts instead.
        let mut perms = Text::<512>::default();
        let _ = write_perms(&mut perms, self.class, self.perms);
        field("requested", AuditValue::Str(perms.as_bytes()));
        field("tcp_mode", AuditValue::Word(self.mode.name()));
        field("domain", AuditValue::Str(self.domain.as_bytes()));
    }

    /// Gives `field` the audit record's fields after the helper's `pid` and `comm`: the
    /// object (`name` for a path or a Unix socket name; `daddr` and `dport`, or `laddr`
    /// and `lport` for a bind, for an IP address; `object` for anything else), `reason`,
    /// `error` (the negative errno, as AppArmor writes it), `tcp_seq` (the event's
    /// sequence number) and, last, `tclass` (the object's class, unquoted as SELinux
    /// writes it: `ausearch` and `aureport --avc` read it there).
    pub fn audit_tail(&self, mut field: impl FnMut(&str, AuditValue<'_>)) {
        let object = self.object.as_bytes();
        match split_addr(object) {
            Some((addr, port)) => {
                let local = self.op.as_bytes() == b"socket_bind";
                let (a, p) = if local {
                    ("laddr", "lport")
                } else {
                    ("daddr", "dport")
                };
                field(a, AuditValue::Str(addr));
                field(p, AuditValue::Num(u64::from(port)));
            }
            None if object.first() == Some(&b'/') || object.first() == Some(&b'@') => {
                field("name", AuditValue::Str(object));
            }
            None => field("object", AuditValue::Str(object)),
        }
        field("reason", AuditValue::Word(self.reason.name()));
        field("error", AuditValue::Int(-i64::from(self.errno)));
        field("tcp_seq", AuditValue::Num(self.seq));
        field("tclass", AuditValue::Bare(self.class.name()));
    }
}

/// Splits an IP object as [`crate::sockaddr::SockAddr::write`] writes it (`1.2.3.4:80`,
/// `[2001:db8:0:0:0:0:0:1]:443`) into the address (without brackets) and the port;
/// `None` for anything else.
pub fn split_addr(object: &[u8]) -> Option<(&[u8], u16)> {
    let colon = object.iter().rposition(|&b| b == b':')?;
    let (addr, port) = (object.get(..colon)?, object.get(colon + 1..)?);
    if port.is_empty() || port.len() > 5 || !port.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let port = port
        .iter()
        .try_fold(0u32, |n, &d| {
            n.checked_mul(10)?.checked_add(u32::from(d - b'0'))
        })
        .and_then(|n| u16::try_from(n).ok())?;
    let addr = match addr.strip_prefix(b"[").and_then(|a| a.strip_suffix(b"]")) {
        Some(v6) if !v6.is_empty() && v6.iter().all(|&b| b.is_ascii_hexdigit() || b == b':') => v6,
        Some(_) => return None,
        None => {
            let dots = addr.iter().filter(|&&b| b == b'.').count();
            if dots != 3 || !addr.iter().all(|&b| b.is_ascii_digit() || b == b'.') {
                return None;
            }
            addr
        }
    };
    Some((addr, port))
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
            reason: Reason::Rule,
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
             domain=agent object=/tmp/a\\x20b\\x5cc pid=42 comm=cat errno=EACCES reason=rule"
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
        assert_eq!(get("reason"), Some("rule"));
        assert_eq!(fields.len(), 13);
        assert_eq!(parse_line("lost=5"), Ok(Line::Lost(5)));
        assert!(parse_line("lost=x").is_err());
        assert!(parse_line("seq=1 nonsense").is_err());
        assert!(parse_line("object=\\xZZ").is_err());
    }

    #[test]
    fn every_reason_survives_the_ring() {
        for v in 0..=255u8 {
            let Some(reason) = Reason::from_u8(v) else {
                assert!(v > 4);
                continue;
            };
            assert_eq!(reason.to_u8(), v);
            let e = Event { reason, ..sample() };
            assert_eq!(Event::decode(&e.encode()), Some(e));
        }
    }

    fn audit_text(e: &Event) -> String {
        let mut s = String::new();
        let mut push = |k: &str, v: AuditValue<'_>| {
            if !s.is_empty() {
                s.push(' ');
            }
            match v {
                AuditValue::Str(b) => {
                    s.push_str(&std::format!("{k}=\"{}\"", String::from_utf8_lossy(b)))
                }
                AuditValue::Word(w) => s.push_str(&std::format!("{k}=\"{w}\"")),
                AuditValue::Bare(w) => s.push_str(&std::format!("{k}={w}")),
                AuditValue::Num(n) => s.push_str(&std::format!("{k}={n}")),
                AuditValue::Int(n) => s.push_str(&std::format!("{k}={n}")),
            }
        };
        e.audit_head(&mut push);
        // Where the audit helper writes its own fields.
        push("pid", AuditValue::Num(42));
        push("comm", AuditValue::Word("cat"));
        e.audit_tail(&mut push);
        s
    }

    #[test]
    fn audit_fields_use_auditd_names() {
        let e = Event {
            object: Text::new(b"/etc/passwd"),
            ..sample()
        };
        assert_eq!(
            audit_text(&e),
            "tcp=\"DENIED\" operation=\"file_open\" requested=\"read,write\" \
             tcp_mode=\"enforce\" domain=\"agent\" pid=42 comm=\"cat\" name=\"/etc/passwd\" \
             reason=\"rule\" error=-13 tcp_seq=7 tclass=file"
        );
        let connect = Event {
            op: Text::new(b"socket_connect"),
            class: Class::Net,
            perms: 0,
            object: Text::new(b"10.1.2.3:8443"),
            outcome: Outcome::Allow,
            mode: Mode::Alert,
            reason: Reason::Heartbeat,
            ..sample()
        };
        let text = audit_text(&connect);
        assert!(
            text.starts_with("tcp=\"ALLOWED\" operation=\"socket_connect\""),
            "{text}"
        );
        assert!(
            text.contains(" daddr=\"10.1.2.3\" dport=8443 reason=\"heartbeat\""),
            "{text}"
        );
        let bind = Event {
            op: Text::new(b"socket_bind"),
            object: Text::new(b"[2001:db8:0:0:0:0:0:1]:80"),
            ..connect
        };
        assert!(audit_text(&bind).contains(" laddr=\"2001:db8:0:0:0:0:0:1\" lport=80 "));
        let task = Event {
            object: Text::new(b"task:agent"),
            reason: Reason::Protection,
            ..sample()
        };
        assert!(audit_text(&task).contains(" object=\"task:agent\" reason=\"protection\" "));
    }

    #[test]
    fn only_ip_objects_split() {
        assert_eq!(
            split_addr(b"127.0.0.1:8081"),
            Some((&b"127.0.0.1"[..], 8081))
        );
        assert_eq!(split_addr(b"[::1]:53"), Some((&b"::1"[..], 53)));
        for not in [
            &b"/tmp/a:1"[..],
            b"1.2.3.4:",
            b"1.2.3.4:99999",
            b"1.2.3:80",
            b"type:etc",
            b"pid:12",
            b"[]:1",
            b"@abstract:5",
            b"",
        ] {
            assert_eq!(split_addr(not), None, "{}", String::from_utf8_lossy(not));
        }
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
