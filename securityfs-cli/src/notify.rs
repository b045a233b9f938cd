//! systemd's notification protocol (`sd_notify(3)`), as much as `tcp-policy heartbeat` needs.
//!
//! A service started with `Type=notify` finds the manager's datagram socket in
//! `$NOTIFY_SOCKET` (a path, or `@name` for an abstract socket) and sends it
//! newline-separated `KEY=VALUE` assignments: `READY=1` once started, `WATCHDOG=1` as a
//! sign of life when the unit has `WatchdogSec=` (the manager passes that period in
//! `$WATCHDOG_USEC`). Without `$NOTIFY_SOCKET` every call does nothing, so the same
//! command works outside systemd.

use std::io;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::Duration;

/// A connection to the service manager's notification socket, or nothing.
#[derive(Debug)]
pub struct Notifier {
    socket: Option<(UnixDatagram, SocketAddr)>,
    ready_sent: bool,
}

impl Notifier {
    /// Uses `$NOTIFY_SOCKET`; inert when it is unset or empty.
    pub fn from_env() -> io::Result<Notifier> {
        Notifier::for_socket(
            std::env::var_os("NOTIFY_SOCKET")
                .as_deref()
                .and_then(|s| s.to_str()),
        )
    }

    /// Uses the socket named `path` (`@name`: abstract); inert for `None` or `""`.
    pub fn for_socket(path: Option<&str>) -> io::Result<Notifier> {
        let socket = match path {
            None | Some("") => None,
            Some(name) => {
                let addr = match name.strip_prefix('@') {
                    Some(abstract_name) => SocketAddr::from_abstract_name(abstract_name)?,
                    None => SocketAddr::from_pathname(name)?,
                };
                Some((UnixDatagram::unbound()?, addr))
            }
        };
        Ok(Notifier {
            socket,
            ready_sent: false,
        })
    }

    /// Whether a manager is listening (`$NOTIFY_SOCKET` was set).
    pub fn is_active(&self) -> bool {
        self.socket.is_some()
    }

    /// Sends one message (`KEY=VALUE` lines).
    pub fn send(&self, message: &str) -> io::Result<()> {
        match &self.socket {
            Some((socket, addr)) => socket.send_to_addr(message.as_bytes(), addr).map(|_| ()),
            None => Ok(()),
        }
    }

    /// Reports one sign of life: `READY=1` the first time (with `WATCHDOG=1`), then
    /// `WATCHDOG=1`.
    pub fn alive(&mut self) -> io::Result<()> {
        if self.ready_sent {
            self.send("WATCHDOG=1")
        } else {
            self.send("READY=1\nWATCHDOG=1")?;
            self.ready_sent = true;
            Ok(())
        }
    }
}

/// The watchdog period the manager asked for (`$WATCHDOG_USEC`), when it is meant for this
/// process (`$WATCHDOG_PID` unset or this process's id).
pub fn watchdog_period() -> Option<Duration> {
    watchdog_period_from(
        std::env::var("WATCHDOG_USEC").ok().as_deref(),
        std::env::var("WATCHDOG_PID").ok().as_deref(),
        std::process::id(),
    )
}

/// [`watchdog_period`] on given values.
pub fn watchdog_period_from(
    usec: Option<&str>,
    pid: Option<&str>,
    own_pid: u32,
) -> Option<Duration> {
    if let Some(pid) = pid {
        if pid.parse::<u32>().ok() != Some(own_pid) {
            return None;
        }
    }
    let usec: u64 = usec?.parse().ok()?;
    (usec > 0).then(|| Duration::from_micros(usec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inert_without_a_socket() {
        let mut n = Notifier::for_socket(None).expect("inert");
        assert!(!n.is_active());
        n.alive().expect("nothing to send");
        assert!(!Notifier::for_socket(Some("")).expect("inert").is_active());
    }

    #[test]
    fn sends_ready_once_then_watchdog() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("notify");
        let manager = UnixDatagram::bind(&path).expect("bind");
        let mut n = Notifier::for_socket(path.to_str()).expect("socket");
        assert!(n.is_active());
        n.alive().expect("first");
        n.alive().expect("second");
        let mut buf = [0u8; 64];
        let len = manager.recv(&mut buf).expect("recv");
        assert_eq!(buf.get(..len), Some(&b"READY=1\nWATCHDOG=1"[..]));
        let len = manager.recv(&mut buf).expect("recv");
        assert_eq!(buf.get(..len), Some(&b"WATCHDOG=1"[..]));
    }

    #[test]
    fn abstract_sockets_are_reached() {
        let name = format!("tcp-lsm-notify-test-{}", std::process::id());
        let addr = SocketAddr::from_abstract_name(&name).expect("addr");
        let manager = UnixDatagram::bind_addr(&addr).expect("bind");
        let mut n = Notifier::for_socket(Some(&format!("@{name}"))).expect("socket");
        n.alive().expect("send");
        let mut buf = [0u8; 64];
        let len = manager.recv(&mut buf).expect("recv");
        assert_eq!(buf.get(..len), Some(&b"READY=1\nWATCHDOG=1"[..]));
    }

    #[test]
    fn watchdog_period_is_for_this_process_only() {
        let s = Some(Duration::from_secs(20));
        assert_eq!(watchdog_period_from(Some("20000000"), None, 7), s);
        assert_eq!(watchdog_period_from(Some("20000000"), Some("7"), 7), s);
        assert_eq!(watchdog_period_from(Some("20000000"), Some("8"), 7), None);
        assert_eq!(watchdog_period_from(Some("0"), None, 7), None);
        assert_eq!(watchdog_period_from(Some("x"), None, 7), None);
        assert_eq!(watchdog_period_from(None, None, 7), None);
    }
}
