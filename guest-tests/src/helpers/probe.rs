//! Running the probe: `/bin/tcp-probe` (which enters `agent`), the same in another domain
//! (through `lsm_set_self_attr`), or its unconfined copy (the control), with or without a
//! descriptor as standard input; and asserting what it reports.

use std::fs;
use std::process::{Command, Stdio};

use crate::harness::{ensure_eq, Outcome};

/// Runs `tcp-probe ARGS` (which enters the `agent` domain) and returns its report.
pub(crate) fn probe(args: &[&str]) -> Result<String, String> {
    let out = Command::new("/bin/tcp-probe")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run tcp-probe: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if !out.status.success() {
        return Err(format!(
            "tcp-probe {args:?} failed ({}): {text}",
            out.status
        ));
    }
    Ok(text)
}

/// Asserts that `tcp-probe ARGS` reports `want`.
pub(crate) fn expect(args: &[&str], want: &str) -> Outcome {
    ensure_eq(
        probe(args)?,
        want.to_owned(),
        &format!("tcp-probe {}", args.join(" ")),
    )
}

/// Runs the probe in domain `domain` (through `lsm_set_self_attr`) and returns its report.
pub(crate) fn probe_in(domain: &str, args: &[&str]) -> Result<String, String> {
    crate::harness::helper("exec-in", &[&[domain, "/bin/tcp-probe"][..], args].concat())
}

/// Runs the unconfined copy of the probe: the control that shows an operation works when
/// this LSM does not stand in the way.
pub(crate) fn probe_unconfined(args: &[&str]) -> Result<String, String> {
    let out = Command::new("/tmp/tcp-probe-unconfined")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run the unconfined probe: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Asserts that the unconfined copy of the probe reports `want` for `tcp-probe ARGS`.
pub(crate) fn unconfined(args: &[&str], want: &str) -> Outcome {
    ensure_eq(
        probe_unconfined(args)?,
        want.to_owned(),
        &format!("unconfined tcp-probe {}", args.join(" ")),
    )
}

/// Runs the probe (`/bin/tcp-probe`, which enters `agent`, or the unconfined copy) with
/// `file` as its standard input.
pub(crate) fn run_probe_with_stdin(
    program: &str,
    file: fs::File,
    args: &[&str],
) -> Result<String, String> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::from(file))
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Runs the probe in `agent` with `file` as its standard input.
pub(crate) fn probe_with_stdin(file: fs::File, args: &[&str]) -> Result<String, String> {
    run_probe_with_stdin("/bin/tcp-probe", file, args)
}

/// Runs the unconfined probe with `file` as standard input.
pub(crate) fn probe_unconfined_with_stdin(file: fs::File, args: &[&str]) -> Result<String, String> {
    run_probe_with_stdin("/tmp/tcp-probe-unconfined", file, args)
}
