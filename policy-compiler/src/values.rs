//! Checking and converting the values written in a policy: names, paths, numbers,
//! durations, addresses, ports and digests. Each check returns a [`Diagnostic`] pointing
//! at the word and saying what is wrong and what would be right.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::ast::Word;
use crate::diagnostic::{Diagnostic, Span};
use tcp_lsm_engine::model::PathMatch;

use tcp_lsm_engine::format;

/// Longest type or domain name, in bytes.
pub const NAME_MAX: usize = format::MAX_NAME_LEN;
/// Longest path (exact or prefix pattern, executable), in bytes.
pub const PATH_MAX: usize = format::MAX_PATH_LEN;
/// Longest glob pattern, in bytes.
pub const GLOB_MAX: usize = format::MAX_GLOB_LEN;
/// Longest Unix socket path or `@abstract` name, in bytes (the size of `sun_path`).
pub const UNIX_PATH_MAX: usize = format::MAX_UNIX_PATH_LEN;
/// Most domains in one policy.
pub const DOMAINS_MAX: usize = format::MAX_DOMAINS;
/// Most object types in one policy.
pub const TYPES_MAX: usize = format::MAX_TYPES;
/// Largest behaviour threshold.
pub const THRESHOLD_MAX: u32 = format::MAX_ANOMALY_THRESHOLD;
/// Longest behaviour window, in milliseconds (one hour).
pub const WINDOW_MAX_MS: u32 = format::MAX_WINDOW_MS;
/// Longest heartbeat timeout, in milliseconds (one day).
pub const HEARTBEAT_MAX_MS: u32 = format::MAX_HEARTBEAT_TIMEOUT_MS;

type VResult<T> = Result<T, Diagnostic>;

/// True for `[A-Za-z_][A-Za-z0-9_.-]*` of at most [`NAME_MAX`] bytes: the engine's rule
/// ([`format::check_name`]), which the validator applies to every name of a blob.
pub fn is_valid_name(name: &str) -> bool {
    format::check_name(name.as_bytes())
}

/// Checks a name being declared (`what` is `type` or `domain`).
pub fn check_name(word: &Word, what: &str) -> VResult<()> {
    let name = &word.text;
    if name.len() > NAME_MAX {
        return Err(Diagnostic::error(
            word.span,
            format!(
                "{what} name is {} bytes long; the limit is {NAME_MAX}",
                name.len()
            ),
        ));
    }
    if !is_valid_name(name) {
        return Err(Diagnostic::error(word.span, format!("invalid {what} name `{name}`")).with_help(
            "a name starts with a letter or `_` and continues with letters, digits, `_`, `.` or `-`",
        ));
    }
    Ok(())
}

/// Where a path is used, which decides what it may look like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathUse {
    /// A path rule of a type.
    Rule(PathMatch),
    /// The executable of an `exec` transition.
    Exec,
}

/// Checks a path and returns it normalized (a trailing `/` removed, except for `/`), with
/// warnings for things that are legal but likely mistakes.
pub fn check_path(word: &Word, usage: PathUse, warnings: &mut Vec<Diagnostic>) -> VResult<String> {
    let path = word.text.as_str();
    let span = word.span;
    if path.is_empty() {
        return Err(Diagnostic::error(span, "empty path"));
    }
    if path.contains('\0') {
        return Err(Diagnostic::error(span, "path contains a NUL character"));
    }
    if path.starts_with('~') {
        return Err(Diagnostic::error(
            span,
            format!("`~` is not expanded: `{path}` is not an absolute path"),
        )
        .with_help("write the home directory out, for example `/home/agent/.ssh`"));
    }
    if !path.starts_with('/') {
        return Err(Diagnostic::error(
            span,
            format!("relative path `{path}`: paths must be absolute"),
        )
        .with_help(format!("write it from the root, for example `/{path}`")));
    }
    if path.len() > PATH_MAX {
        return Err(Diagnostic::error(
            span,
            format!("path is {} bytes long; the limit is {PATH_MAX}", path.len()),
        ));
    }
    if usage == PathUse::Rule(PathMatch::Glob) && path.len() > GLOB_MAX {
        return Err(Diagnostic::error(
            span,
            format!("glob is {} bytes long; the limit is {GLOB_MAX}", path.len()),
        ));
    }
    let mut normal = path;
    if normal.len() > 1 && normal.ends_with('/') {
        if usage == PathUse::Exec {
            return Err(Diagnostic::error(
                span,
                "the path of an executable cannot end with `/`",
            ));
        }
        normal = normal.trim_end_matches('/');
        if normal.is_empty() {
            normal = "/";
        }
    }
    if normal != "/" {
        for comp in normal.split('/').skip(1) {
            let bad = match comp {
                "" => Some("`//`"),
                "." => Some("a `.` component"),
                ".." => Some("a `..` component"),
                _ => None,
            };
            if let Some(bad) = bad {
                return Err(
                    Diagnostic::error(span, format!("path `{path}` contains {bad}"))
                        .with_help("write the normalized path: the kernel matches resolved paths"),
                );
            }
        }
    }
    let wild = normal.contains(['*', '?']);
    match usage {
        PathUse::Rule(PathMatch::Glob) => check_glob(normal, span)?,
        PathUse::Rule(kind) if wild => {
            let kw = if kind == PathMatch::Exact {
                "exact"
            } else {
                "prefix"
            };
            warnings.push(
                Diagnostic::warning(
                    span,
                    format!("`*` and `?` in an `{kw}` path match only themselves"),
                )
                .with_help("use `glob` for a pattern"),
            );
        }
        PathUse::Exec if wild => {
            warnings.push(
                Diagnostic::warning(span, "`*` and `?` in an exec path match only themselves")
                    .with_help("an exec rule names one executable"),
            );
        }
        _ => {}
    }
    Ok(normal.to_string())
}

/// Globs: `*` matches any characters but `/`, `**` any characters (`/` too), `?` one
/// character but `/`. Three or more `*` in a row mean nothing more and are refused.
fn check_glob(pattern: &str, span: Span) -> VResult<()> {
    if pattern.contains("***") {
        return Err(
            Diagnostic::error(span, format!("`***` in glob `{pattern}`"))
                .with_help("`*` matches within one path component, `**` across components"),
        );
    }
    Ok(())
}

/// A Unix socket path (absolute) or abstract name (`@name`).
pub fn check_unix_path(word: &Word) -> VResult<String> {
    let path = word.text.as_str();
    let span = word.span;
    if path.contains('\0') {
        return Err(Diagnostic::error(
            span,
            "socket path contains a NUL character",
        ));
    }
    if path.len() > UNIX_PATH_MAX {
        return Err(Diagnostic::error(
            span,
            format!(
                "socket path is {} bytes long; the limit is {UNIX_PATH_MAX}",
                path.len()
            ),
        ));
    }
    if let Some(name) = path.strip_prefix('@') {
        if name.is_empty() {
            return Err(Diagnostic::error(
                span,
                "empty abstract socket name after `@`",
            ));
        }
        return Ok(path.to_string());
    }
    let mut ignored = Vec::new();
    check_path(word, PathUse::Rule(PathMatch::Exact), &mut ignored).map_err(|d| {
        d.with_help("a Unix socket is an absolute path or an abstract name written `@name`")
    })
}

/// A decimal number, `_` allowed between digits (`1_000_000`).
pub fn parse_u32(word: &Word, what: &str) -> VResult<u32> {
    let digits: String = word.text.chars().filter(|&c| c != '_').collect();
    if digits.is_empty()
        || !digits.chars().all(|c| c.is_ascii_digit())
        || word.text.starts_with('_')
    {
        return Err(Diagnostic::error(
            word.span,
            format!("expected {what}, found `{}`", word.text),
        ));
    }
    digits.parse::<u32>().map_err(|_| {
        Diagnostic::error(
            word.span,
            format!("{what} `{}` is too large (at most {})", word.text, u32::MAX),
        )
    })
}

/// A number in `min..=max`.
pub fn parse_in_range(word: &Word, what: &str, min: u32, max: u32) -> VResult<u32> {
    let v = parse_u32(word, what)?;
    if v < min || v > max {
        return Err(Diagnostic::error(
            word.span,
            format!("{what} {v} is out of range ({min}..={max})"),
        ));
    }
    Ok(v)
}

const UNITS: &[(&str, u64)] = &[("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)];

/// A duration such as `500ms`, `30s`, `2m`, `1h`, in milliseconds, within `1..=max_ms`.
pub fn parse_duration(word: &Word, what: &str, max_ms: u32) -> VResult<u32> {
    let text = word.text.as_str();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '_')
        .unwrap_or(text.len());
    let (num, unit) = text.split_at(split);
    let units_help = "write a number and a unit: `500ms`, `30s`, `2m` or `1h`";
    if num.is_empty() || num.starts_with('_') {
        return Err(Diagnostic::error(
            word.span,
            format!("expected {what} (a duration), found `{text}`"),
        )
        .with_help(units_help));
    }
    if unit.is_empty() {
        return Err(
            Diagnostic::error(word.span, format!("duration `{text}` has no unit"))
                .with_help(units_help),
        );
    }
    let Some(&(_, scale)) = UNITS.iter().find(|(u, _)| *u == unit) else {
        return Err(
            Diagnostic::error(word.span, format!("unknown duration unit `{unit}`"))
                .with_help(units_help),
        );
    };
    let digits: String = num.chars().filter(|&c| c != '_').collect();
    let ms = digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale));
    match ms {
        Some(ms) if ms >= 1 && ms <= u64::from(max_ms) => Ok(u32::try_from(ms).unwrap_or(max_ms)),
        _ => Err(Diagnostic::error(
            word.span,
            format!(
                "{what} `{text}` is out of range (1ms..={})",
                format_duration(max_ms)
            ),
        )),
    }
}

/// Writes milliseconds with the largest unit that divides them exactly.
pub fn format_duration(ms: u32) -> String {
    let ms = u64::from(ms);
    for &(unit, scale) in UNITS.iter().rev() {
        if ms != 0 && ms % scale == 0 {
            return format!("{}{unit}", ms / scale);
        }
    }
    format!("{ms}ms")
}

/// A port (`443`) or inclusive range (`1024-65535`).
pub fn parse_ports(word: &Word) -> VResult<(u16, u16)> {
    let text = word.text.as_str();
    let one = |s: &str| -> VResult<u16> {
        if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit()) {
            return Err(
                Diagnostic::error(word.span, format!("invalid port `{s}` in `{text}`"))
                    .with_help("a port is a number 0..=65535; a range is written `LOW-HIGH`"),
            );
        }
        match s.parse::<u32>() {
            Ok(v) if v <= 65_535 => Ok(u16::try_from(v).unwrap_or(u16::MAX)),
            _ => Err(Diagnostic::error(
                word.span,
                format!("port {s} is out of range (0..=65535)"),
            )),
        }
    };
    match text.split_once('-') {
        None => {
            let p = one(text)?;
            Ok((p, p))
        }
        Some((lo, hi)) => {
            let (lo, hi) = (one(lo)?, one(hi)?);
            if lo > hi {
                return Err(Diagnostic::error(
                    word.span,
                    format!("port range `{text}` is out of order"),
                )
                .with_help(format!("did you mean `{hi}-{lo}`?")));
            }
            Ok((lo, hi))
        }
    }
}

/// An address or CIDR of family `inet` (IPv4) or `inet6`. Returns the address (IPv4 in the
/// first 4 bytes) and prefix length; a bare address is a single host.
pub fn parse_cidr(word: &Word, ipv6: bool) -> VResult<([u8; 16], u8)> {
    let text = word.text.as_str();
    let span = word.span;
    let (addr_text, prefix_text) = match text.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (text, None),
    };
    let v4 = addr_text.parse::<Ipv4Addr>().ok();
    let v6 = addr_text.parse::<Ipv6Addr>().ok();
    let (bytes, max): ([u8; 16], u8) = match (ipv6, v4, v6) {
        (false, Some(a), _) => {
            let mut b = [0u8; 16];
            if let Some(dst) = b.get_mut(..4) {
                dst.copy_from_slice(&a.octets());
            }
            (b, 32)
        }
        (true, _, Some(a)) => (a.octets(), 128),
        (false, None, Some(_)) => {
            return Err(Diagnostic::error(
                span,
                format!("address family mismatch: `{addr_text}` is an IPv6 address"),
            )
            .with_help("write `inet6` for IPv6 addresses"));
        }
        (true, Some(_), None) => {
            return Err(Diagnostic::error(
                span,
                format!("address family mismatch: `{addr_text}` is an IPv4 address"),
            )
            .with_help("write `inet` for IPv4 addresses"));
        }
        _ => {
            let example = if ipv6 {
                "`2001:db8::/32` or `::1`"
            } else {
                "`203.0.113.0/24` or `127.0.0.1`"
            };
            return Err(Diagnostic::error(
                span,
                format!(
                    "invalid {} address `{addr_text}`",
                    if ipv6 { "IPv6" } else { "IPv4" }
                ),
            )
            .with_help(format!("write an address or CIDR such as {example}")));
        }
    };
    let prefix = match prefix_text {
        None => max,
        Some(p) => match p.parse::<u8>() {
            Ok(n) if n <= max && !p.starts_with('+') && !p.is_empty() => n,
            _ => {
                return Err(Diagnostic::error(
                    span,
                    format!(
                        "invalid prefix length `/{p}` for {} (0..={max})",
                        if ipv6 { "IPv6" } else { "IPv4" }
                    ),
                ));
            }
        },
    };
    let masked = mask(bytes, prefix);
    if masked != bytes {
        let net = if ipv6 {
            Ipv6Addr::from(masked).to_string()
        } else {
            let mut o = [0u8; 4];
            o.copy_from_slice(masked.get(..4).unwrap_or(&[0; 4]));
            Ipv4Addr::from(o).to_string()
        };
        return Err(Diagnostic::error(
            span,
            format!("`{text}` has host bits set past the /{prefix} prefix"),
        )
        .with_help(format!("did you mean `{net}/{prefix}`?")));
    }
    if ipv6 && prefix >= 96 && bytes.get(..12) == Some(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff])
    {
        return Err(Diagnostic::error(
            span,
            format!("`{text}` is an IPv4-mapped address; they are matched as IPv4"),
        )
        .with_help("write the rule with `inet` and the IPv4 address"));
    }
    Ok((bytes, prefix))
}

/// `addr` with the bits past `prefix` cleared.
pub fn mask(mut addr: [u8; 16], prefix: u8) -> [u8; 16] {
    for (i, byte) in addr.iter_mut().enumerate() {
        let bits_before = u32::try_from(i * 8).unwrap_or(u32::MAX);
        let keep = u32::from(prefix).saturating_sub(bits_before).min(8);
        *byte &= if keep == 0 { 0 } else { 0xffu8 << (8 - keep) };
    }
    addr
}

/// A SHA-256 digest: 64 hex digits, either case.
pub fn parse_digest(word: &Word) -> VResult<[u8; 32]> {
    let text = word.text.as_str();
    if let Some((i, c)) = text.char_indices().find(|(_, c)| !c.is_ascii_hexdigit()) {
        let at = word.span.start + i;
        return Err(Diagnostic::error(
            Span::new(at, at + c.len_utf8()),
            format!("invalid hex digit `{c}` in SHA-256 digest"),
        )
        .with_help("a SHA-256 digest is 64 hex digits, as printed by `sha256sum`"));
    }
    if text.len() != 64 {
        return Err(Diagnostic::error(
            word.span,
            format!(
                "a SHA-256 digest has 64 hex digits; this one has {}",
                text.len()
            ),
        )
        .with_help("a SHA-256 digest is 64 hex digits, as printed by `sha256sum`"));
    }
    let mut out = [0u8; 32];
    for (i, slot) in out.iter_mut().enumerate() {
        let pair = text.get(2 * i..2 * i + 2).unwrap_or("00");
        *slot = u8::from_str_radix(pair, 16).unwrap_or(0);
    }
    Ok(out)
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(text: &str) -> Word {
        Word {
            text: text.into(),
            span: Span::new(0, text.len()),
        }
    }

    #[test]
    fn names() {
        assert!(is_valid_name("a"));
        assert!(is_valid_name("_a.b-c9"));
        assert!(!is_valid_name("9a"));
        assert!(!is_valid_name("a b"));
        assert!(!is_valid_name(""));
        assert!(is_valid_name(&"a".repeat(64)));
        assert!(!is_valid_name(&"a".repeat(65)));
    }

    #[test]
    fn paths() {
        let mut warn = Vec::new();
        let p = |t: &str, k| check_path(&w(t), PathUse::Rule(k), &mut Vec::new());
        assert_eq!(p("/a/b/", PathMatch::Prefix).ok().as_deref(), Some("/a/b"));
        assert_eq!(p("/", PathMatch::Prefix).ok().as_deref(), Some("/"));
        assert_eq!(p("//", PathMatch::Prefix).ok().as_deref(), Some("/"));
        assert!(p("a/b", PathMatch::Exact).is_err());
        assert!(p("~/.ssh", PathMatch::Prefix).is_err());
        assert!(p("/a//b", PathMatch::Exact).is_err());
        assert!(p("/a/../b", PathMatch::Exact).is_err());
        assert!(p("/a/**/b", PathMatch::Glob).is_ok());
        assert!(p("/a/**.rs", PathMatch::Glob).is_ok());
        assert!(p(&format!("/{}", "a".repeat(1024)), PathMatch::Glob).is_err());
        assert!(p(&format!("/{}", "a".repeat(1024)), PathMatch::Prefix).is_ok());
        assert!(p("/a/***", PathMatch::Glob).is_err());
        assert!(check_path(&w("/a*"), PathUse::Rule(PathMatch::Exact), &mut warn).is_ok());
        assert_eq!(warn.len(), 1);
        assert!(check_path(&w("/bin/"), PathUse::Exec, &mut warn).is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration(&w("500ms"), "t", 10_000).ok(), Some(500));
        assert_eq!(parse_duration(&w("2m"), "t", 3_600_000).ok(), Some(120_000));
        assert_eq!(
            parse_duration(&w("1_000ms"), "t", 3_600_000).ok(),
            Some(1000)
        );
        assert!(parse_duration(&w("30"), "t", 100_000).is_err());
        assert!(parse_duration(&w("0s"), "t", 100_000).is_err());
        assert!(parse_duration(&w("2h"), "t", 3_600_000).is_err());
        assert!(parse_duration(&w("3sec"), "t", 3_600_000).is_err());
        assert_eq!(format_duration(120_000), "2m");
        assert_eq!(format_duration(1500), "1500ms");
        assert_eq!(format_duration(3_600_000), "1h");
    }

    #[test]
    fn ports() {
        assert_eq!(parse_ports(&w("443")).ok(), Some((443, 443)));
        assert_eq!(parse_ports(&w("0-65535")).ok(), Some((0, 65535)));
        assert!(parse_ports(&w("65536")).is_err());
        assert!(parse_ports(&w("9-8")).is_err());
        assert!(parse_ports(&w("1-")).is_err());
        assert!(parse_ports(&w("x")).is_err());
    }

    #[test]
    fn cidrs() {
        let (a, p) = parse_cidr(&w("203.0.113.10/32"), false).unwrap_or_default();
        assert_eq!((a.get(..4), p), (Some(&[203, 0, 113, 10][..]), 32));
        assert_eq!(
            parse_cidr(&w("10.0.0.0/8"), false).map(|x| x.1).ok(),
            Some(8)
        );
        assert_eq!(parse_cidr(&w("::1"), true).map(|x| x.1).ok(), Some(128));
        assert_eq!(parse_cidr(&w("::/0"), true).map(|x| x.1).ok(), Some(0));
        assert!(parse_cidr(&w("10.0.0.1/8"), false).is_err());
        assert!(parse_cidr(&w("10.0.0.0/33"), false).is_err());
        assert!(parse_cidr(&w("::1"), false).is_err());
        assert!(parse_cidr(&w("1.2.3.4"), true).is_err());
        assert!(parse_cidr(&w("::ffff:1.2.3.4"), true).is_err());
        assert!(parse_cidr(&w("1.2.3"), false).is_err());
        assert_eq!(mask([0xff; 16], 12).get(..3), Some(&[0xff, 0xf0, 0][..]));
    }

    #[test]
    fn digests() {
        let h = "ab".repeat(32);
        assert_eq!(parse_digest(&w(&h)).ok(), Some([0xab; 32]));
        assert_eq!(hex(&[0xab; 2]), "abab");
        assert!(parse_digest(&w(&"ab".repeat(31))).is_err());
        assert!(parse_digest(&w(&format!("{}zz", "ab".repeat(31)))).is_err());
    }
}
