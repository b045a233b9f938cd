//! Network: `socket_create` (family, type and protocol), `socket_connect` (IPv4,
//! IPv4-mapped IPv6, malformed addresses), `socket_sendmsg` (unconnected UDP and Unix
//! datagrams), `socket_bind`, `socket_listen`, `socket_accept`, `unix_stream_connect` and
//! `unix_may_send` (by the socket reached, not the name: symlinks lead nowhere else); and
//! sockets made outside the domain, checked at each use by their real peer
//! (`socket_sendmsg`, `socket_recvmsg`, `socket_getpeername`, `file_permission` for
//! splice, sendfile, read and write).

use std::fs;
use std::os::unix::fs::symlink;
use std::process::{Command, Stdio};

use crate::harness::{ensure_eq, Outcome};
use crate::helpers::fixture::write;
use crate::helpers::probe::{expect, probe_unconfined, unconfined};

pub(super) fn net_create() -> Outcome {
    expect(&["socket", "inet", "stream"], "ok")?;
    expect(&["socket", "inet", "dgram"], "ok")?;
    expect(&["socket", "inet6", "stream"], "ok")?;
    expect(&["socket", "inet6", "dgram"], "errno=EACCES")?;
    expect(&["socket", "inet", "raw"], "errno=EACCES")?;
    expect(&["socket", "packet", "raw"], "errno=EACCES")?;
    expect(&["socket", "netlink", "dgram"], "errno=EACCES")
}

pub(super) fn net_connect() -> Outcome {
    // Allowed: the LSM lets it through, nothing listens.
    expect(&["connect4", "127.0.0.1", "8080"], "errno=ECONNREFUSED")?;
    expect(&["connect4", "127.0.0.1", "8081"], "errno=EACCES")?;
    expect(&["connect4", "127.0.0.2", "8080"], "errno=EACCES")
}

pub(super) fn net_mapped() -> Outcome {
    expect(
        &["connect6", "::ffff:127.0.0.1", "8080"],
        "errno=ECONNREFUSED",
    )?;
    expect(&["connect6", "::ffff:127.0.0.1", "9090"], "errno=EACCES")?;
    expect(&["connect6", "::1", "8080"], "errno=EACCES")
}

pub(super) fn net_sendto() -> Outcome {
    expect(&["sendto4", "127.0.0.1", "5353"], "ok")?;
    expect(&["sendto4", "127.0.0.1", "5354"], "errno=EACCES")
}

pub(super) fn net_bind_unix() -> Outcome {
    expect(&["bind4", "127.0.0.1", "8080"], "errno=EACCES")?;
    expect(&["connect-unix", "/tmp/work/sock"], "errno=ENOENT")?;
    expect(&["connect-unix", "/tmp/other.sock"], "errno=EACCES")
}

pub(super) fn net_listen_accept() -> Outcome {
    expect(&["listen4", "127.0.0.1", "9000"], "accept: errno=EAGAIN")?;
    expect(&["listen4", "127.0.0.1", "9001"], "listen: errno=EACCES")?;
    expect(&["listen4", "127.0.0.1", "9002"], "accept: errno=EACCES")?;
    expect(&["listen4", "127.0.0.1", "9003"], "bind: errno=EACCES")?;
    expect(&["connect-unix", "@agent-bus"], "errno=ECONNREFUSED")?;
    expect(&["connect-unix", "@other-bus"], "errno=EACCES")
}

pub(super) fn foreign_sockets() -> Outcome {
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::OwnedFd;
    use std::os::unix::net::UnixStream;
    // Connections made by the unconfined runner and handed to the domain as stdin.
    let with_socket = |fd: OwnedFd, args: &[&str]| -> Result<String, String> {
        let out = Command::new("/bin/tcp-probe")
            .args(args)
            .stdin(Stdio::from(fd))
            .output()
            .map_err(|e| format!("cannot run tcp-probe: {e}"))?;
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    // Port 8080 is one `agent` may connect to; 8090 is not.
    let allowed = TcpListener::bind("127.0.0.1:8080").map_err(|e| format!("listen 8080: {e}"))?;
    let denied = TcpListener::bind("127.0.0.1:8090").map_err(|e| format!("listen 8090: {e}"))?;
    let connect = |port: u16| -> Result<OwnedFd, String> {
        Ok(TcpStream::connect(("127.0.0.1", port))
            .map_err(|e| format!("connect {port}: {e}"))?
            .into())
    };
    for (op, ok_want) in [
        ("send-fd", "ok"),
        ("recv-fd", "errno=EAGAIN"),
        ("peername-fd", "ok"),
    ] {
        ensure_eq(
            with_socket(connect(8080)?, &[op, "0"])?,
            ok_want.to_owned(),
            &format!("{op} on a connection to 8080"),
        )?;
        ensure_eq(
            with_socket(connect(8090)?, &[op, "0"])?,
            "errno=EACCES".to_owned(),
            &format!("{op} on a connection to 8090"),
        )?;
    }
    // A socket pair is a local channel, like a pipe.
    let (mine, _theirs) = UnixStream::pair().map_err(|e| e.to_string())?;
    ensure_eq(
        with_socket(mine.into(), &["send-fd", "0"])?,
        "ok".to_owned(),
        "send on a socket pair",
    )?;
    // Every other data path to the real peer: a decoy destination name (TCP ignores it),
    // splice and sendfile (no recvmsg/sendmsg hook of their own), read and write.
    use std::io::Write as _;
    write("/tmp/work/payload", "x")?;
    // A connection with data waiting, and the runner's end of it (kept open while the
    // probe runs). Earlier connections were never accepted: accept until this one.
    let with_data = |port: u16, listener: &TcpListener| -> Result<(OwnedFd, TcpStream), String> {
        let stream =
            TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect {port}: {e}"))?;
        let local = stream.local_addr().map_err(|e| e.to_string())?;
        loop {
            let (mut peer, from) = listener
                .accept()
                .map_err(|e| format!("accept {port}: {e}"))?;
            if from == local {
                peer.write_all(b"data").map_err(|e| e.to_string())?;
                return Ok((stream.into(), peer));
            }
        }
    };
    for (args, ok_want) in [
        (&["sendto-decoy-fd", "0"][..], "ok"),
        (&["splice-fd", "0"][..], "ok"),
        (&["sendfile-fd", "0", "/tmp/work/payload"][..], "ok"),
        (&["read-fd", "0"][..], "ok"),
        (&["write-fd", "0"][..], "ok"),
    ] {
        let what = args.join(" ");
        let (fd, _peer) = with_data(8080, &allowed)?;
        ensure_eq(
            with_socket(fd, args)?,
            ok_want.to_owned(),
            &format!("{what} on a connection to 8080"),
        )?;
        let (fd, _peer) = with_data(8090, &denied)?;
        ensure_eq(
            with_socket(fd, args)?,
            "errno=EACCES".to_owned(),
            &format!("{what} on a connection to 8090"),
        )?;
        let (fd, _peer) = with_data(8090, &denied)?;
        let out = Command::new("/tmp/tcp-probe-unconfined")
            .args(args)
            .stdin(Stdio::from(fd))
            .output()
            .map_err(|e| e.to_string())?;
        ensure_eq(
            String::from_utf8_lossy(&out.stdout).trim().to_owned(),
            ok_want.to_owned(),
            &format!("unconfined {what} on 8090"),
        )?;
    }
    let _ = fs::remove_file("/tmp/work/payload");
    // The control: unconfined, the connection to 8090 works.
    let out = Command::new("/tmp/tcp-probe-unconfined")
        .args(["send-fd", "0"])
        .stdin(Stdio::from(connect(8090)?))
        .output()
        .map_err(|e| e.to_string())?;
    drop((allowed, denied));
    ensure_eq(
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        "ok".to_owned(),
        "unconfined send on 8090",
    )
}

pub(super) fn net_protocols() -> Outcome {
    // AF_INET = 2; SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_SEQPACKET = 5; IPPROTO_TCP = 6,
    // IPPROTO_UDP = 17, IPPROTO_UDPLITE = 136.
    expect(&["socket-proto", "2", "1", "6"], "ok")?;
    expect(&["socket-proto", "2", "2", "17"], "ok")?;
    ensure_eq(
        probe_unconfined(&["socket-proto", "2", "2", "136"])?,
        "ok".to_owned(),
        "unconfined UDP-Lite",
    )?;
    expect(&["socket-proto", "2", "2", "136"], "errno=EACCES")?;
    expect(&["socket-proto", "2", "5", "0"], "errno=EACCES")
}

pub(super) fn unix_symlink_bypass() -> Outcome {
    use std::os::unix::net::{UnixDatagram, UnixListener};
    let clean = || {
        for p in [
            "/tmp/work/sock",
            "/tmp/work/dsock",
            "/tmp/other.sock",
            "/tmp/other.dgram",
        ] {
            let _ = fs::remove_file(p);
        }
    };
    clean();
    let result = (|| {
        // The allowed names, bound for real: reachable.
        let stream = UnixListener::bind("/tmp/work/sock").map_err(|e| e.to_string())?;
        let dgram = UnixDatagram::bind("/tmp/work/dsock").map_err(|e| e.to_string())?;
        expect(&["connect-unix", "/tmp/work/sock"], "ok")?;
        expect(&["sendto-unix", "/tmp/work/dsock"], "ok")?;
        drop((stream, dgram));
        clean();
        // The allowed names as symlinks (which the domain may create) to other sockets.
        let _other_stream = UnixListener::bind("/tmp/other.sock").map_err(|e| e.to_string())?;
        let _other_dgram = UnixDatagram::bind("/tmp/other.dgram").map_err(|e| e.to_string())?;
        expect(&["symlink", "/tmp/other.sock", "/tmp/work/sock"], "ok")?;
        symlink("/tmp/other.dgram", "/tmp/work/dsock").map_err(|e| e.to_string())?;
        ensure_eq(
            probe_unconfined(&["connect-unix", "/tmp/work/sock"])?,
            "ok".to_owned(),
            "unconfined connect",
        )?;
        expect(&["connect-unix", "/tmp/work/sock"], "errno=EACCES")?;
        ensure_eq(
            probe_unconfined(&["sendto-unix", "/tmp/work/dsock"])?,
            "ok".to_owned(),
            "unconfined send",
        )?;
        expect(&["sendto-unix", "/tmp/work/dsock"], "errno=EACCES")
    })();
    clean();
    result
}

pub(super) fn malformed_addresses() -> Outcome {
    // Malformed input is the kernel's to refuse, with its own errno, in a domain as
    // outside one; only a well-formed, forbidden request is denied (EACCES).
    for (args, want) in [
        (&["connect-len", "0"][..], "errno=EINVAL"),
        (&["connect-len", "1"][..], "errno=EINVAL"),
        (&["connect-len", "8"][..], "errno=EINVAL"),
        (
            &["bind-unspec", "1.2.3.4", "9003"][..],
            "errno=EAFNOSUPPORT",
        ),
    ] {
        expect(args, want)?;
        unconfined(args, want)?;
    }
    // bind(AF_UNSPEC, INADDR_ANY) is an IPv4 bind to that port, decided as one.
    expect(&["bind-unspec", "0.0.0.0", "9003"], "ok")?;
    expect(&["bind-unspec", "0.0.0.0", "9004"], "errno=EACCES")?;
    unconfined(&["bind-unspec", "0.0.0.0", "9004"], "ok")?;
    // A well-formed connect to a forbidden port is still denied.
    expect(&["connect4", "127.0.0.1", "8090"], "errno=EACCES")
}
