//! The LSM's securityfs files as the suites use them: their paths, the global mode, and
//! the `events` stream, drained and searched.

use std::collections::HashMap;
use std::fs;
use std::io::{ErrorKind, Read};
use std::os::unix::fs::OpenOptionsExt;

use tcp_lsm_engine::event::{parse_line, Line};

use crate::harness::{ensure, Outcome};

/// The LSM's securityfs directory.
pub(crate) const DIR: &str = "/sys/kernel/security/tcp";

/// The path of the LSM's file `name`.
pub(crate) fn path(name: &str) -> String {
    format!("{DIR}/{name}")
}

/// Sets the global mode.
pub(crate) fn set_mode(mode: &str) -> Outcome {
    fs::write("/sys/kernel/security/tcp/mode", mode).map_err(|e| format!("mode {mode}: {e}"))
}

/// Everything queued in `events` now: the event lines' fields, and the sum of `lost=`.
pub(crate) fn drain_events() -> Result<(Vec<HashMap<String, String>>, u64), String> {
    let mut file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
        .open(path("events"))
        .map_err(|e| format!("open events: {e}"))?;
    let mut text = Vec::new();
    let mut buf = vec![0u8; 65536];
    loop {
        match file.read(&mut buf) {
            Ok(0) => return Err("events: end of file on a stream".to_owned()),
            Ok(n) => {
                ensure(
                    buf[..n].ends_with(b"\n"),
                    "a read of events ended inside a line",
                )?;
                text.extend_from_slice(&buf[..n]);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) => return Err(format!("read events: {e}")),
        }
    }
    let mut events = Vec::new();
    let mut lost = 0;
    for line in String::from_utf8_lossy(&text).lines() {
        match parse_line(line).map_err(|e| format!("events line {line:?}: {e}"))? {
            Line::Event(fields) => events.push(fields.into_iter().collect()),
            Line::Lost(n) => lost += n,
        }
    }
    Ok((events, lost))
}

/// The one event of `events` with `op` and `object`.
pub(crate) fn find<'a>(
    events: &'a [HashMap<String, String>],
    op: &str,
    object: &str,
) -> Result<&'a HashMap<String, String>, String> {
    let found: Vec<_> = events
        .iter()
        .filter(|e| {
            e.get("op").map(String::as_str) == Some(op)
                && e.get("object").map(String::as_str) == Some(object)
        })
        .collect();
    match found[..] {
        [one] => Ok(one),
        _ => Err(format!(
            "{} events with op={op} object={object} in {events:?}",
            found.len()
        )),
    }
}
