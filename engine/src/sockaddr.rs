//! Socket addresses as the kernel hands them to the LSM (`struct sockaddr *` + length),
//! parsed without trusting the length or the content.
//!
//! Layouts (Linux ABI, families in native byte order, ports and addresses big-endian):
//! `sockaddr_in` = family u16, port u16, addr [4] (16 bytes); `sockaddr_in6` = family u16,
//! port u16, flowinfo u32, addr [16], scope u32 (24 bytes at least); `sockaddr_un` =
//! family u16, path up to 108 bytes (abstract names start with a NUL byte).

use super::types::{unmap_ipv4, NetFamily};

/// `AF_UNSPEC`.
pub const AF_UNSPEC: u16 = 0;
/// `AF_UNIX`.
pub const AF_UNIX: u16 = 1;
/// `AF_INET`.
pub const AF_INET: u16 = 2;
/// `AF_INET6`.
pub const AF_INET6: u16 = 10;

/// Longest Unix socket name, as policy rules spell it (`@` + 107 bytes for abstract names).
pub const UNIX_NAME_MAX: usize = 108;

/// A parsed socket address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SockAddr {
    /// `AF_UNSPEC` (for `connect`, dissolves a datagram socket's association).
    Unspec,
    /// An IP address; IPv4-mapped IPv6 addresses are returned as IPv4.
    Ip {
        /// `Inet` or `Inet6`.
        family: NetFamily,
        /// Address, IPv4 in the first 4 bytes.
        addr: [u8; 16],
        /// Port.
        port: u16,
    },
    /// A Unix socket name: a path, or `@` followed by an abstract name.
    Unix {
        /// The name as policy rules spell it.
        name: [u8; UNIX_NAME_MAX],
        /// Its length; 0 for an unnamed (autobind) address.
        len: usize,
    },
    /// Any other family: the raw family number.
    Other(u16),
}

impl SockAddr {
    /// Writes the address as events show it: `1.2.3.4:80`, `[2001:db8:0:0:0:0:0:1]:443`,
    /// a Unix path or `@name` (bytes outside printable ASCII as `\xHH`), `unspec`, or
    /// `family:N`.
    pub fn write(&self, out: &mut impl core::fmt::Write) -> core::fmt::Result {
        match self {
            SockAddr::Unspec => out.write_str("unspec"),
            SockAddr::Ip {
                family: NetFamily::Inet,
                addr,
                port,
            } => {
                let [a, b, c, d, ..] = *addr;
                write!(out, "{a}.{b}.{c}.{d}:{port}")
            }
            SockAddr::Ip { addr, port, .. } => {
                out.write_char('[')?;
                for (i, pair) in addr.chunks(2).enumerate() {
                    let group = pair.iter().fold(0u16, |g, &b| g << 8 | u16::from(b));
                    write!(out, "{}{group:x}", if i == 0 { "" } else { ":" })?;
                }
                write!(out, "]:{port}")
            }
            SockAddr::Unix { .. } => {
                let name = self.unix_name();
                if name.is_empty() {
                    return out.write_str("unix:unnamed");
                }
                for &b in name {
                    if (0x20..0x7f).contains(&b) {
                        out.write_char(char::from(b))?;
                    } else {
                        write!(out, "\\x{b:02x}")?;
                    }
                }
                Ok(())
            }
            SockAddr::Other(family) => write!(out, "family:{family}"),
        }
    }

    /// The Unix name as bytes, empty for other addresses.
    pub fn unix_name(&self) -> &[u8] {
        match self {
            SockAddr::Unix { name, len } => name.get(..*len).unwrap_or(&[]),
            _ => &[],
        }
    }
}

/// Why an address was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SockAddrError {
    /// Shorter than its family's structure (or than the family field).
    TooShort,
}

#[inline]
fn array<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
    let end = at.checked_add(N)?;
    let mut out = [0u8; N];
    out.copy_from_slice(bytes.get(at..end)?);
    Some(out)
}

/// Parses `bytes`, the first `addrlen` bytes of a `struct sockaddr`.
pub fn parse(bytes: &[u8]) -> Result<SockAddr, SockAddrError> {
    let family = u16::from_ne_bytes(array(bytes, 0).ok_or(SockAddrError::TooShort)?);
    match family {
        AF_UNSPEC => Ok(SockAddr::Unspec),
        AF_INET => {
            let port = u16::from_be_bytes(array(bytes, 2).ok_or(SockAddrError::TooShort)?);
            let v4: [u8; 4] = array(bytes, 4).ok_or(SockAddrError::TooShort)?;
            let mut addr = [0u8; 16];
            addr.get_mut(..4)
                .ok_or(SockAddrError::TooShort)?
                .copy_from_slice(&v4);
            Ok(SockAddr::Ip {
                family: NetFamily::Inet,
                addr,
                port,
            })
        }
        AF_INET6 => {
            if bytes.len() < 24 {
                return Err(SockAddrError::TooShort);
            }
            let port = u16::from_be_bytes(array(bytes, 2).ok_or(SockAddrError::TooShort)?);
            let v6: [u8; 16] = array(bytes, 8).ok_or(SockAddrError::TooShort)?;
            if let Some(addr) = unmap_ipv4(&v6) {
                return Ok(SockAddr::Ip {
                    family: NetFamily::Inet,
                    addr,
                    port,
                });
            }
            Ok(SockAddr::Ip {
                family: NetFamily::Inet6,
                addr: v6,
                port,
            })
        }
        AF_UNIX => {
            let path = bytes.get(2..).unwrap_or(&[]);
            let path = path.get(..path.len().min(UNIX_NAME_MAX)).unwrap_or(&[]);
            let mut name = [0u8; UNIX_NAME_MAX];
            let len = match path.split_first() {
                None => 0,
                Some((0, abstract_name)) => {
                    // `@` + the abstract name (which may itself hold NUL bytes).
                    let n = abstract_name.len().min(UNIX_NAME_MAX - 1);
                    if let Some(first) = name.get_mut(0) {
                        *first = b'@';
                    }
                    name.get_mut(1..=n)
                        .ok_or(SockAddrError::TooShort)?
                        .copy_from_slice(abstract_name.get(..n).unwrap_or(&[]));
                    n + 1
                }
                Some(_) => {
                    let n = path.iter().position(|&b| b == 0).unwrap_or(path.len());
                    name.get_mut(..n)
                        .ok_or(SockAddrError::TooShort)?
                        .copy_from_slice(path.get(..n).unwrap_or(&[]));
                    n
                }
            };
            Ok(SockAddr::Unix { name, len })
        }
        other => Ok(SockAddr::Other(other)),
    }
}

/// `EINVAL` and `EAFNOSUPPORT` (`include/uapi/asm-generic/errno*.h`).
pub const EINVAL: u32 = 22;
/// See [`EINVAL`].
pub const EAFNOSUPPORT: u32 = 97;

/// What the kernel's own code does with an address before any LSM decision matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelVerdict {
    /// It refuses it with this errno: leave it to the kernel, decide nothing.
    Refuses(u32),
    /// It acts on it: decide it.
    Decide,
    /// It acts as if no address were given (`AF_UNSPEC` in an IPv6 datagram send).
    NoName,
}

/// What the kernel does with `bytes` (at least the 2 bytes of the family) given to a
/// socket of family `sock_family` for `bind`, a send (`send`) or else a connect, as the
/// families' own code checks it (`inet_bind`/`__inet_bind`, `inet6_bind`,
/// `tcp_v4_connect`, `udp_sendmsg`, `udpv6_sendmsg`, `unix_validate_addr`): too short for
/// its family is EINVAL; `AF_UNSPEC` is taken as `AF_INET` by IPv4 binds (only for
/// `INADDR_ANY`, else EAFNOSUPPORT) and sends, ignored by IPv6 datagram sends, refused by
/// IPv6 binds and Unix sockets. Malformed input gets the kernel's errno, not a denial
/// (as Landlock does).
pub fn kernel_verdict(bytes: &[u8], sock_family: u16, bind: bool, send: bool) -> KernelVerdict {
    let Some(family) = array(bytes, 0).map(u16::from_ne_bytes) else {
        return KernelVerdict::Refuses(EINVAL);
    };
    let len = bytes.len();
    match family {
        AF_INET if len < 16 => KernelVerdict::Refuses(EINVAL),
        AF_INET6 if len < 24 => KernelVerdict::Refuses(EINVAL),
        AF_UNIX if len > 2 + UNIX_NAME_MAX || (len == 2 && !bind) => KernelVerdict::Refuses(EINVAL),
        AF_UNSPEC if bind || send => match sock_family {
            AF_INET if len < 16 => KernelVerdict::Refuses(EINVAL),
            AF_INET if bind && bytes.get(4..8) != Some(&[0u8; 4][..]) => {
                KernelVerdict::Refuses(EAFNOSUPPORT)
            }
            AF_INET => KernelVerdict::Decide,
            AF_INET6 if bind && len < 24 => KernelVerdict::Refuses(EINVAL),
            AF_INET6 if bind => KernelVerdict::Refuses(EAFNOSUPPORT),
            AF_INET6 => KernelVerdict::NoName,
            AF_UNIX => KernelVerdict::Refuses(EINVAL),
            _ => KernelVerdict::Decide,
        },
        _ => KernelVerdict::Decide,
    }
}

/// [`parse`], as a socket of family `sock_family` reads the address: an IPv4 socket
/// takes `AF_UNSPEC` for `AF_INET` ([`kernel_verdict`] tells when that applies).
pub fn parse_for(bytes: &[u8], sock_family: u16) -> Result<SockAddr, SockAddrError> {
    let family = u16::from_ne_bytes(array(bytes, 0).ok_or(SockAddrError::TooShort)?);
    if family == AF_UNSPEC && sock_family == AF_INET && bytes.len() >= 16 {
        let port = u16::from_be_bytes(array(bytes, 2).ok_or(SockAddrError::TooShort)?);
        let v4: [u8; 4] = array(bytes, 4).ok_or(SockAddrError::TooShort)?;
        let mut addr = [0u8; 16];
        addr.get_mut(..4)
            .ok_or(SockAddrError::TooShort)?
            .copy_from_slice(&v4);
        return Ok(SockAddr::Ip {
            family: NetFamily::Inet,
            addr,
            port,
        });
    }
    parse(bytes)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    fn shown(a: &SockAddr) -> std::string::String {
        let mut s = std::string::String::new();
        a.write(&mut s).unwrap();
        s
    }

    #[test]
    fn addresses_are_written_for_events() {
        assert_eq!(
            shown(&parse(&sin(8080, [127, 0, 0, 1])).unwrap()),
            "127.0.0.1:8080"
        );
        let mut v6 = [0u8; 16];
        v6[0] = 0x20;
        v6[1] = 0x01;
        v6[15] = 1;
        assert_eq!(
            shown(&SockAddr::Ip {
                family: NetFamily::Inet6,
                addr: v6,
                port: 443
            }),
            "[2001:0:0:0:0:0:0:1]:443"
        );
        assert_eq!(shown(&SockAddr::Other(16)), "family:16");
        assert_eq!(shown(&SockAddr::Unspec), "unspec");
    }

    fn sin(port: u16, a: [u8; 4]) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..2].copy_from_slice(&AF_INET.to_ne_bytes());
        b[2..4].copy_from_slice(&port.to_be_bytes());
        b[4..8].copy_from_slice(&a);
        b
    }

    fn sin6(port: u16, a: [u8; 16]) -> [u8; 28] {
        let mut b = [0u8; 28];
        b[..2].copy_from_slice(&AF_INET6.to_ne_bytes());
        b[2..4].copy_from_slice(&port.to_be_bytes());
        b[8..24].copy_from_slice(&a);
        b
    }

    #[test]
    fn ipv4() {
        let SockAddr::Ip { family, addr, port } = parse(&sin(443, [203, 0, 113, 10])).unwrap()
        else {
            panic!()
        };
        assert_eq!((family, port), (NetFamily::Inet, 443));
        assert_eq!(addr[..4], [203, 0, 113, 10]);
        assert_eq!(
            parse(&sin(1, [1, 2, 3, 4])[..7]),
            Err(SockAddrError::TooShort)
        );
    }

    #[test]
    fn ipv4_mapped_ipv6_is_ipv4() {
        let mut a = [0u8; 16];
        a[10] = 0xff;
        a[11] = 0xff;
        a[12..].copy_from_slice(&[127, 0, 0, 1]);
        let parsed = parse(&sin6(8080, a)).unwrap();
        let mut want = [0u8; 16];
        want[..4].copy_from_slice(&[127, 0, 0, 1]);
        assert_eq!(
            parsed,
            SockAddr::Ip {
                family: NetFamily::Inet,
                addr: want,
                port: 8080
            }
        );
    }

    #[test]
    fn ipv6() {
        let a = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        assert_eq!(
            parse(&sin6(53, a)).unwrap(),
            SockAddr::Ip {
                family: NetFamily::Inet6,
                addr: a,
                port: 53
            }
        );
        assert_eq!(parse(&sin6(53, a)[..23]), Err(SockAddrError::TooShort));
    }

    #[test]
    fn unix_path_and_abstract() {
        let mut b = [0u8; 20];
        b[..2].copy_from_slice(&AF_UNIX.to_ne_bytes());
        b[2..11].copy_from_slice(b"/run/sock");
        assert_eq!(parse(&b).unwrap().unix_name(), b"/run/sock");
        let mut b = [0u8; 8];
        b[..2].copy_from_slice(&AF_UNIX.to_ne_bytes());
        b[3..8].copy_from_slice(b"proxy");
        assert_eq!(parse(&b).unwrap().unix_name(), b"@proxy");
        assert_eq!(parse(&AF_UNIX.to_ne_bytes()).unwrap().unix_name(), b"");
        let long = [b'a'; 300];
        let mut b = [0u8; 302];
        b[..2].copy_from_slice(&AF_UNIX.to_ne_bytes());
        b[2..].copy_from_slice(&long);
        assert_eq!(parse(&b).unwrap().unix_name().len(), UNIX_NAME_MAX);
    }

    #[test]
    fn other_families_and_garbage() {
        assert_eq!(parse(&17u16.to_ne_bytes()), Ok(SockAddr::Other(17)));
        assert_eq!(parse(&[1]), Err(SockAddrError::TooShort));
        assert_eq!(parse(&[]), Err(SockAddrError::TooShort));
        assert_eq!(parse(&AF_UNSPEC.to_ne_bytes()), Ok(SockAddr::Unspec));
    }

    #[test]
    fn malformed_addresses_are_left_to_the_kernel() {
        use KernelVerdict::{Decide, NoName, Refuses};
        let v4 = sin(8080, [127, 0, 0, 1]);
        assert_eq!(kernel_verdict(&v4, AF_INET, false, false), Decide);
        assert_eq!(
            kernel_verdict(&v4[..8], AF_INET, false, false),
            Refuses(EINVAL)
        );
        assert_eq!(
            kernel_verdict(&v4[..1], AF_INET, true, false),
            Refuses(EINVAL)
        );
        let mut unspec = sin(9003, [0, 0, 0, 0]);
        unspec[..2].copy_from_slice(&AF_UNSPEC.to_ne_bytes());
        assert_eq!(kernel_verdict(&unspec, AF_INET, true, false), Decide);
        assert_eq!(
            parse_for(&unspec, AF_INET).unwrap(),
            SockAddr::Ip {
                family: NetFamily::Inet,
                addr: [0; 16],
                port: 9003
            }
        );
        assert_eq!(parse_for(&unspec, AF_INET6).unwrap(), SockAddr::Unspec);
        let mut unspec_addr = unspec;
        unspec_addr[4] = 1;
        assert_eq!(
            kernel_verdict(&unspec_addr, AF_INET, true, false),
            Refuses(EAFNOSUPPORT)
        );
        assert_eq!(kernel_verdict(&unspec_addr, AF_INET, false, true), Decide);
        assert_eq!(
            kernel_verdict(&unspec[..8], AF_INET, true, false),
            Refuses(EINVAL)
        );
        assert_eq!(kernel_verdict(&unspec, AF_INET, false, false), Decide);
        assert_eq!(
            kernel_verdict(&unspec, AF_INET6, true, false),
            Refuses(EINVAL)
        );
        assert_eq!(kernel_verdict(&unspec, AF_INET6, false, true), NoName);
        assert_eq!(
            kernel_verdict(&unspec, AF_UNIX, false, true),
            Refuses(EINVAL)
        );
        assert_eq!(
            kernel_verdict(&AF_UNIX.to_ne_bytes(), AF_UNIX, true, false),
            Decide
        );
        assert_eq!(
            kernel_verdict(&AF_UNIX.to_ne_bytes(), AF_UNIX, false, false),
            Refuses(EINVAL)
        );
        assert_eq!(
            kernel_verdict(&[0u8; 24][..23], AF_INET6, false, false),
            Decide
        );
        let mut v6 = [0u8; 24];
        v6[..2].copy_from_slice(&AF_INET6.to_ne_bytes());
        assert_eq!(
            kernel_verdict(&v6[..20], AF_INET6, false, false),
            Refuses(EINVAL)
        );
    }
}
