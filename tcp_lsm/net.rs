// SPDX-License-Identifier: GPL-2.0
//! Network hooks: socket creation by family and type, and connect, bind, listen, accept
//! and sends to an explicit destination checked against the domain's network rules
//! (CIDR and port range; IPv4-mapped IPv6 addresses are matched as IPv4; Unix sockets by
//! path or `@abstract` name). Raw and packet sockets are never created by a domain.
//!
//! A socket that a domain did not create itself (inherited across the exec into the
//! domain, or received over a Unix socket) is usable only towards a peer the domain may
//! connect to: otherwise a connection set up by an unconfined parent would carry data
//! anywhere.

use kernel::bindings;
use kernel::error::code::EINVAL;
use kernel::ffi::c_int;
use kernel::prelude::*;

use crate::blob;
use crate::decide::{Ask, Object, Subject, DENIED};
use crate::engine::perm::bits::net as op;
use crate::engine::perm::Class;
use crate::engine::sockaddr::{self, SockAddr};
use crate::engine::types::{NetFamily, Protocol};
use crate::errno::to_ret;

/// `sk_alloc_security`: a socket belongs to the domain of the task that creates it.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn sk_alloc_security(
    sk: *mut bindings::sock,
    _family: c_int,
    _priority: bindings::gfp_t,
) -> c_int {
    let domain = blob::current_domain().key();
    // SAFETY: The framework passes the sock being allocated, with its blob.
    unsafe { (*blob::sock(sk)).owner_domain = domain };
    // Recording the owner cannot fail; creation is decided in `socket_create`. Some socks
    // are allocated in softirq context, where `current` is unrelated: for sockets created
    // by a task, `socket_post_create` records the owner again, reliably.
    0
}

/// `sk_clone_security`: an accepted or cloned socket belongs to its parent's domain.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn sk_clone_security(
    sk: *const bindings::sock,
    newsk: *mut bindings::sock,
) {
    // SAFETY: The framework passes the live parent and the new sock, both with blobs.
    unsafe { *blob::sock(newsk) = *blob::sock(sk) };
}

/// `SOCK_*` types (`include/linux/net.h`), as the hooks' `int` arguments.
const SOCK_STREAM: c_int = bindings::sock_type_SOCK_STREAM as c_int;

const SOCK_DGRAM: c_int = bindings::sock_type_SOCK_DGRAM as c_int;

const SOCK_RAW: c_int = bindings::sock_type_SOCK_RAW as c_int;

const SOCK_TYPE_MASK: c_int = bindings::SOCK_TYPE_MASK as c_int;

/// `AF_PACKET`.
const AF_PACKET: c_int = bindings::AF_PACKET as c_int;

fn protocol_of(sock_type: c_int) -> Protocol {
    match sock_type & SOCK_TYPE_MASK {
        SOCK_STREAM => Protocol::Tcp,
        SOCK_DGRAM => Protocol::Udp,
        _ => Protocol::Any,
    }
}

/// `IPPROTO_TCP`, `IPPROTO_UDP` (`include/uapi/linux/in.h`).
const IPPROTO_TCP: c_int = bindings::IPPROTO_TCP as c_int;

const IPPROTO_UDP: c_int = bindings::IPPROTO_UDP as c_int;

/// Whether an IP socket is a stream or datagram socket whose `protocol` argument of
/// `socket(2)` is the default (0) or the type's own protocol (`IPPROTO_TCP` for streams,
/// `IPPROTO_UDP` for datagrams). Other IP socket types (`SOCK_SEQPACKET`: SCTP, with its
/// own bind and connect socket options) have no rule that describes them.
fn protocol_matches_type(class: Protocol, protocol: c_int) -> bool {
    match (class, protocol) {
        (Protocol::Any, _) => false,
        (_, 0) => true,
        (Protocol::Tcp, IPPROTO_TCP) | (Protocol::Udp, IPPROTO_UDP) => true,
        _ => false,
    }
}

fn family_of(family: c_int) -> Option<NetFamily> {
    match u16::try_from(family).ok()? {
        sockaddr::AF_INET => Some(NetFamily::Inet),
        sockaddr::AF_INET6 => Some(NetFamily::Inet6),
        sockaddr::AF_UNIX => Some(NetFamily::Unix),
        _ => None,
    }
}

/// `socket_create`: a domain may create sockets of a family and protocol that some
/// `create` rule names; raw and packet sockets never.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn socket_create(
    family: c_int,
    sock_type: c_int,
    protocol_arg: c_int,
    kern: c_int,
) -> c_int {
    if kern != 0 {
        // Sockets the kernel creates for itself act for no task.
        return 0;
    }
    let Some(subject) = Subject::current() else {
        return 0;
    };
    if sock_type & SOCK_TYPE_MASK == SOCK_RAW || family == AF_PACKET {
        return to_ret(subject.refuse(
            DENIED,
            &ask(
                "socket_create",
                op::CREATE,
                Object::Text("raw or packet socket"),
            ),
        ));
    }
    let Some(family) = family_of(family) else {
        let what = "socket family outside the policy";
        return to_ret(subject.verdict(
            false,
            DENIED,
            &ask("socket_create", op::CREATE, Object::Text(what)),
        ));
    };
    let protocol = protocol_of(sock_type);
    // IP sockets are classified by type; a protocol other than the type's own (SCTP,
    // ICMP echo, UDP-Lite, ...) would carry traffic that no tcp or udp rule describes
    // and that the address hooks do not all see (SCTP's own bind and connect options).
    if family != NetFamily::Unix && !protocol_matches_type(protocol, protocol_arg) {
        let what = "ip socket other than tcp stream or udp datagram";
        return to_ret(subject.verdict(
            false,
            DENIED,
            &ask("socket_create", op::CREATE, Object::Text(what)),
        ));
    }
    let what = match (family, protocol) {
        (NetFamily::Unix, _) => "unix socket",
        (NetFamily::Inet, Protocol::Tcp) => "inet tcp socket",
        (NetFamily::Inet, Protocol::Udp) => "inet udp socket",
        (NetFamily::Inet6, Protocol::Tcp) => "inet6 tcp socket",
        (NetFamily::Inet6, Protocol::Udp) => "inet6 udp socket",
        (NetFamily::Inet, _) => "inet socket",
        (NetFamily::Inet6, _) => "inet6 socket",
    };
    to_ret(subject.check(
        DENIED,
        &ask("socket_create", op::CREATE, Object::Text(what)),
        |_, domain| domain.net_create_allows(family, protocol),
    ))
}

/// A question about network operations `ops`.
fn ask<'a>(hook: &'static str, ops: u32, object: Object<'a>) -> Ask<'a> {
    Ask::new(hook, Class::Net, u64::from(ops), object)
}

/// What the address checks read of a socket, read once at the hook's edge so that the
/// decision itself handles no kernel pointer.
#[derive(Clone, Copy)]
struct SockInfo {
    /// The protocol its type implies (`SOCK_STREAM`: TCP, `SOCK_DGRAM`: UDP).
    protocol: Protocol,
    /// The address family of its sock (0 without one).
    family: u16,
}

impl SockInfo {
    /// Reads `sock`.
    ///
    /// # Safety
    ///
    /// `sock` must be a live socket.
    unsafe fn of(sock: *const bindings::socket) -> SockInfo {
        // SAFETY: Guaranteed by the caller; a socket in these hooks has its sock, and a
        // sock lives as long as its socket.
        let (sock_type, sk) = unsafe { ((*sock).type_, (*sock).sk.as_ref()) };
        SockInfo {
            protocol: protocol_of(c_int::from(sock_type)),
            family: sk.map_or(0, |sk| sk.__sk_common.skc_family),
        }
    }
}

/// The address argument of a hook as bytes: `None` when the pointer is null.
///
/// # Safety
///
/// `addr` must be null or point to `addrlen` readable bytes that outlive `'a` (a negative
/// length reads nothing).
unsafe fn addr_bytes<'a>(addr: *const u8, addrlen: c_int) -> Option<&'a [u8]> {
    if addr.is_null() {
        return None;
    }
    let len = usize::try_from(addrlen).unwrap_or(0);
    // SAFETY: Guaranteed by the caller.
    Some(unsafe { core::slice::from_raw_parts(addr, len) })
}

/// Checks operation `ops` of `sock` towards or at `addr` (`addrlen` bytes).
///
/// # Safety
///
/// `sock` must be a live socket and `addr` point to `addrlen` readable bytes (or be null).
unsafe fn check_addr(
    hook: &'static str,
    sock: *mut bindings::socket,
    addr: *const u8,
    addrlen: c_int,
    ops: u32,
) -> Result {
    let Some(subject) = Subject::current() else {
        return Ok(());
    };
    // SAFETY: Guaranteed by the caller.
    let (info, bytes) = unsafe { (SockInfo::of(sock), addr_bytes(addr, addrlen)) };
    check_addr_for(hook, &subject, info, bytes, ops)
}

/// [`check_addr`] for a subject already known to be confined, on what the edge read of
/// the socket and its address argument (`None`: a null address).
fn check_addr_for(
    hook: &'static str,
    subject: &Subject<'_>,
    sock: SockInfo,
    addr: Option<&[u8]>,
    ops: u32,
) -> Result {
    let Some(bytes) = addr.filter(|bytes| bytes.len() >= 2) else {
        // No family: every family's own code refuses that with EINVAL.
        return Err(EINVAL);
    };
    let protocol = sock.protocol;
    let sock_family = sock.family;
    // Malformed input is the kernel's to refuse, with its own errno (as Landlock does):
    // only well-formed requests are decided.
    match sockaddr::kernel_verdict(bytes, sock_family, ops == op::BIND, ops == op::SEND) {
        sockaddr::KernelVerdict::Refuses(errno) => return Err(crate::errno::code(errno)),
        // As a send without a name: to the connected peer (checked as such for sockets
        // from outside the domain by the caller).
        sockaddr::KernelVerdict::NoName => return Ok(()),
        sockaddr::KernelVerdict::Decide => {}
    }
    let parsed = sockaddr::parse_for(bytes, sock_family);
    let what = match &parsed {
        Ok(a) => ask(hook, ops, Object::Addr(a)),
        Err(_) => ask(hook, ops, Object::Text("malformed address")),
    };
    match parsed {
        // Dissolving a datagram association reaches nobody.
        Ok(SockAddr::Unspec) if ops == op::CONNECT => Ok(()),
        Ok(SockAddr::Ip { family, addr, port }) => subject.check(DENIED, &what, |_, d| {
            d.net_allows(ops, family, protocol, &addr, port, b"")
        }),
        Ok(a @ SockAddr::Unix { .. }) => subject.check(DENIED, &what, |_, d| {
            d.net_allows(
                ops,
                NetFamily::Unix,
                Protocol::Any,
                &[0; 16],
                0,
                a.unix_name(),
            )
        }),
        // Another family on an IP or Unix socket: the socket's own code refuses it.
        Ok(SockAddr::Other(_)) if family_of(c_int::from(sock_family)).is_some() => Ok(()),
        _ => subject.verdict(false, DENIED, &what),
    }
}

/// `socket_connect`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn socket_connect(
    sock: *mut bindings::socket,
    address: *mut bindings::sockaddr,
    addrlen: c_int,
) -> c_int {
    // SAFETY: The socket layer passes a kernel copy of the address.
    to_ret(unsafe { check_addr("socket_connect", sock, address.cast(), addrlen, op::CONNECT) })
}

/// `socket_bind`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn socket_bind(
    sock: *mut bindings::socket,
    address: *mut bindings::sockaddr,
    addrlen: c_int,
) -> c_int {
    // SAFETY: The socket layer passes a kernel copy of the address.
    to_ret(unsafe { check_addr("socket_bind", sock, address.cast(), addrlen, op::BIND) })
}

/// Checks `ops` at the socket's own (bound) address, for listen and accept.
///
/// # Safety
///
/// `sock` must be a live socket.
unsafe fn check_local(hook: &'static str, sock: *mut bindings::socket, ops: u32) -> Result {
    let Some(subject) = Subject::current() else {
        return Ok(());
    };
    // Room and alignment for any `struct sockaddr_storage`.
    let mut storage = [0u64; 16];
    // SAFETY: `sock` is live; `storage` holds 128 writable, aligned bytes.
    let len = unsafe { bindings::kernel_getsockname(sock, storage.as_mut_ptr().cast()) };
    // SAFETY: `getname` wrote `len` bytes (at most 128) of an address into `storage`;
    // `sock` is live.
    let (info, bytes) = unsafe {
        (
            SockInfo::of(sock),
            addr_bytes(storage.as_ptr().cast(), len.clamp(0, 128)),
        )
    };
    check_addr_for(hook, &subject, info, bytes, ops)
}

/// `socket_listen`: `listen` at the bound address.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn socket_listen(
    sock: *mut bindings::socket,
    _backlog: c_int,
) -> c_int {
    // SAFETY: The socket layer passes a live socket.
    to_ret(unsafe { check_local("socket_listen", sock, op::LISTEN) })
}

/// `socket_accept`: `accept` at the listening socket's address.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn socket_accept(
    sock: *mut bindings::socket,
    _newsock: *mut bindings::socket,
) -> c_int {
    // SAFETY: The socket layer passes a live socket.
    to_ret(unsafe { check_local("socket_accept", sock, op::ACCEPT) })
}

/// Owner key of sockets the kernel creates for itself (`sock_create_kern`): never equal
/// to a domain key (odd) or to the unconfined one (0).
const KERNEL_SOCKET: u64 = 2;

/// Checks the use of `sock` by `subject` when the socket was created outside the
/// subject's domain: a connected socket needs `connect` towards its peer. Unconnected
/// sockets need nothing more (their sends name a destination, checked in
/// `socket_sendmsg`, and accepts are checked in `socket_accept`), nor do Unix sockets
/// whose peer has no name (socket pairs and unbound clients: local channels like pipes).
///
/// # Safety
///
/// `sock` must be a live socket.
pub(crate) unsafe fn check_foreign_for(
    hook: &'static str,
    subject: &Subject<'_>,
    sock: *mut bindings::socket,
) -> Result {
    // SAFETY: Guaranteed by the caller.
    let sk = unsafe { (*sock).sk };
    if sk.is_null() {
        return Ok(());
    }
    // SAFETY: A live sock has its blob.
    let owner = unsafe { (*crate::blob::sock(sk)).owner_domain };
    if owner == subject.domain().key() || owner == KERNEL_SOCKET {
        // Its own socket (decided when it was created and connected), or a kernel socket
        // used on the task's behalf (e.g. by a network filesystem).
        return Ok(());
    }
    let mut storage = [0u64; 16];
    // SAFETY: `sock` is live; `storage` holds 128 writable, aligned bytes. No hook of the
    // socket layer holds the socket lock that `getname` may take.
    let len = unsafe { bindings::kernel_getpeername(sock, storage.as_mut_ptr().cast()) };
    if len < 0 {
        return Ok(());
    }
    let len = len.clamp(0, 128);
    // SAFETY: `getname` wrote `len` (at most 128) bytes of an address into `storage`.
    let bytes = unsafe { core::slice::from_raw_parts(storage.as_ptr().cast::<u8>(), len as usize) };
    if matches!(sockaddr::parse(bytes), Ok(a @ SockAddr::Unix { .. }) if a.unix_name().is_empty()) {
        return Ok(());
    }
    // SAFETY: Guaranteed by the caller.
    let info = unsafe { SockInfo::of(sock) };
    check_addr_for(hook, subject, info, Some(bytes), op::CONNECT)
}

/// [`check_foreign_for`] for the current task (nothing to check when unconfined).
///
/// # Safety
///
/// `sock` must be a live socket.
unsafe fn check_foreign(hook: &'static str, sock: *mut bindings::socket) -> c_int {
    let Some(subject) = Subject::current() else {
        return 0;
    };
    // SAFETY: Guaranteed by the caller.
    to_ret(unsafe { check_foreign_for(hook, &subject, sock) })
}

/// `socket_sendmsg`: a send with an explicit destination (unconnected datagrams, TCP
/// Fast Open) needs `send` towards it; every send on a socket from outside the domain
/// needs `connect` towards its real peer too, whatever name the call gives (a connected
/// TCP socket ignores the name: a decoy must not stand for the peer); sends on the
/// domain's own connected sockets were decided at connect.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn socket_sendmsg(
    sock: *mut bindings::socket,
    msg: *mut bindings::msghdr,
    _size: c_int,
) -> c_int {
    let Some(subject) = Subject::current() else {
        return 0;
    };
    // SAFETY: The socket layer passes a live msghdr whose name, if any, is a kernel copy.
    let (name, namelen) = unsafe { ((*msg).msg_name, (*msg).msg_namelen) };
    if name.is_null() || namelen <= 0 {
        // SAFETY: The socket layer passes a live socket.
        return to_ret(unsafe { check_foreign_for("socket_sendmsg", &subject, sock) });
    }
    // SAFETY: As above; the socket layer passes a live socket.
    let (info, bytes) = unsafe { (SockInfo::of(sock), addr_bytes(name.cast(), namelen)) };
    let named = check_addr_for("socket_sendmsg", &subject, info, bytes, op::SEND);
    // SAFETY: As above.
    to_ret(named.and_then(|()| unsafe { check_foreign_for("socket_sendmsg", &subject, sock) }))
}

/// `socket_recvmsg`: receiving on a socket from outside the domain (see
/// [`check_foreign_for`]).
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn socket_recvmsg(
    sock: *mut bindings::socket,
    _msg: *mut bindings::msghdr,
    _size: c_int,
    _flags: c_int,
) -> c_int {
    // SAFETY: The socket layer passes a live socket.
    unsafe { check_foreign("socket_recvmsg", sock) }
}

/// Room for the absolute path a Unix socket is bound to. `sun_path` holds at most 108
/// bytes; a socket bound by a relative name can have a longer absolute path, against
/// which nothing is checked: it is refused (the policy names sockets by absolute paths).
const UNIX_PATH_ROOM: usize = 256;

/// Checks that `subject` may do one of `ops` on the Unix socket `peer`, by the absolute
/// path the peer is bound to. The name given to connect or sendto was checked already, but it may be a
/// symlink (or lead through one) to another socket: this is the socket actually reached.
/// Peers without a filesystem path (abstract names, unnamed sockets) were decided by the
/// name given. Runs under the peer's state lock: no allocation, a stack buffer.
///
/// # Safety
///
/// `peer` must be a live `AF_UNIX` sock.
unsafe fn check_unix_peer(
    hook: &'static str,
    subject: &Subject<'_>,
    peer: *const bindings::sock,
    ops: u32,
) -> Result {
    let unix = peer.cast::<bindings::unix_sock>();
    // SAFETY: An `AF_UNIX` sock is the first member of its `unix_sock`; `path` is set at
    // bind and kept until the socket is released, which the caller's reference prevents.
    let path = unsafe { &raw const (*unix).path };
    // SAFETY: As above.
    if unsafe { (*path).dentry }.is_null() {
        return Ok(());
    }
    let mut buf = [core::mem::MaybeUninit::<u8>::uninit(); UNIX_PATH_ROOM];
    // SAFETY: `path` is live (see above) and holds its dentry; `absolute_in` neither
    // sleeps nor allocates.
    let name = crate::fspath::absolute_in(unsafe { crate::vfs::KPath::new(path) }, &mut buf).ok();
    let Some(name) = name.filter(|n| !n.is_empty()) else {
        let what = "unix socket path too long or unreachable";
        return subject.verdict(false, DENIED, &ask(hook, ops, Object::Text(what)));
    };
    subject.check(DENIED, &ask(hook, ops, Object::Path(name)), |_, d| {
        // Any one of `ops` suffices.
        (0..u32::BITS)
            .map(|b| ops & (1 << b))
            .filter(|&bit| bit != 0)
            .any(|bit| d.net_allows(bit, NetFamily::Unix, Protocol::Any, &[0; 16], 0, name))
    })
}

/// `unix_stream_connect`: the socket reached must be one the domain may connect to (by
/// the path it is bound to, see [`check_unix_peer`]). The server end of the new
/// connection is allocated by the connecting task; it belongs to the listener's domain,
/// like accepted TCP sockets. Runs under the listener's state lock.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn unix_stream_connect(
    _sock: *mut bindings::sock,
    other: *mut bindings::sock,
    newsk: *mut bindings::sock,
) -> c_int {
    // SAFETY: The Unix socket code passes the live listener and the new sock, both with
    // blobs, and holds the listener's state lock.
    unsafe { (*crate::blob::sock(newsk)).owner_domain = (*crate::blob::sock(other)).owner_domain };
    let Some(subject) = Subject::current() else {
        return 0;
    };
    // SAFETY: `other` is the live listening `AF_UNIX` sock.
    to_ret(unsafe { check_unix_peer("unix_stream_connect", &subject, other, op::CONNECT) })
}

/// `unix_may_send`: a datagram (or a datagram connect) goes to the socket reached, which
/// must be one the domain may send to or connect to, by the path it is bound to (see
/// [`check_unix_peer`]; the name given was checked by `socket_connect` or
/// `socket_sendmsg`). Runs under the peer's state lock.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn unix_may_send(
    _sock: *mut bindings::socket,
    other: *mut bindings::socket,
) -> c_int {
    let Some(subject) = Subject::current() else {
        return 0;
    };
    // SAFETY: The Unix socket code passes the peer's live socket, which has a sock.
    let peer = unsafe { (*other).sk };
    if peer.is_null() {
        // A socket without a sock is being released: the send fails with it anyway.
        return 0;
    }
    // Either permission names the peer: `connect` for a datagram connect, `send` for a
    // send to an address.
    // SAFETY: `peer` is a live `AF_UNIX` sock.
    to_ret(unsafe { check_unix_peer("unix_may_send", &subject, peer, op::SEND | op::CONNECT) })
}

/// `socket_getsockname`: as [`socket_recvmsg`].
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn socket_getsockname(sock: *mut bindings::socket) -> c_int {
    // SAFETY: The socket layer passes a live socket.
    unsafe { check_foreign("socket_getsockname", sock) }
}

/// `socket_getpeername`: as [`socket_recvmsg`].
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn socket_getpeername(sock: *mut bindings::socket) -> c_int {
    // SAFETY: The socket layer passes a live socket.
    unsafe { check_foreign("socket_getpeername", sock) }
}

/// `socket_setsockopt`: as [`socket_recvmsg`].
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn socket_setsockopt(
    sock: *mut bindings::socket,
    _level: c_int,
    _optname: c_int,
) -> c_int {
    // SAFETY: The socket layer passes a live socket.
    unsafe { check_foreign("socket_setsockopt", sock) }
}

/// `socket_shutdown`: as [`socket_recvmsg`].
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn socket_shutdown(sock: *mut bindings::socket, _how: c_int) -> c_int {
    // SAFETY: The socket layer passes a live socket.
    unsafe { check_foreign("socket_shutdown", sock) }
}

/// `socket_post_create`: records the creating domain in the new socket (here, unlike in
/// `sk_alloc_security`, `current` is always the creator).
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn socket_post_create(
    sock: *mut bindings::socket,
    _family: c_int,
    _type: c_int,
    _protocol: c_int,
    kern: c_int,
) -> c_int {
    // SAFETY: The socket layer passes the new socket; `sk` is set by the family's create.
    let sk = unsafe { (*sock).sk };
    if sk.is_null() {
        // The family's create failed to attach a sock: there is nothing to own, and the
        // socket is released right after.
        return 0;
    }
    let owner = if kern != 0 {
        KERNEL_SOCKET
    } else {
        crate::blob::current_domain().key()
    };
    // SAFETY: A live sock has its blob.
    unsafe { (*crate::blob::sock(sk)).owner_domain = owner };
    // Recording the owner cannot fail; creation was decided in `socket_create`.
    0
}
