//! Helper processes: steps that change credentials, run in a child (`__helper NAME ...`)
//! so the test runner keeps its own. Each prints one line on stdout: its observation.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::process::ExitCode;

use caps::{CapSet, Capability};
use nix::unistd::{setgid, setgroups, setuid, Gid, Uid};
use tcp_lsm_cli::{Error as CliError, Securityfs};
use tcp_lsm_engine::mode::Mode;

use crate::harness::describe;

const MODE_FILE: &str = "/sys/kernel/security/tcp/mode";
const NOBODY: u32 = 65534;

/// Entry point for `__helper NAME ARGS...`.
pub fn main(args: &[String]) -> ExitCode {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match run(&args) {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("helper {args:?}: {err}");
            ExitCode::FAILURE
        }
    }
}

fn become_nobody() -> Result<(), String> {
    setgroups(&[]).map_err(|e| format!("setgroups: {e}"))?;
    setgid(Gid::from_raw(NOBODY)).map_err(|e| format!("setgid: {e}"))?;
    setuid(Uid::from_raw(NOBODY)).map_err(|e| format!("setuid: {e}"))
}

fn drop_mac_admin() -> Result<(), String> {
    for set in [CapSet::Effective, CapSet::Permitted] {
        caps::drop(None, set, Capability::CAP_MAC_ADMIN).map_err(|e| format!("drop cap: {e}"))?;
    }
    if caps::has_cap(None, CapSet::Effective, Capability::CAP_MAC_ADMIN).unwrap_or(true) {
        return Err("CAP_MAC_ADMIN still effective".to_owned());
    }
    Ok(())
}

/// The action after the credential change.
fn act(action: &str) -> Result<String, String> {
    match action {
        "open-write" => Ok(describe(&OpenOptions::new().write(true).open(MODE_FILE))),
        "read" => fs::read_to_string(MODE_FILE)
            .map(|s| s.trim_end().to_owned())
            .map_err(|e| format!("read: {e}")),
        "cli-set-alert" => match Securityfs::default().set_mode(Mode::Alert) {
            Err(CliError::NotPermitted { .. }) => Ok("not-permitted".to_owned()),
            other => Ok(format!("unexpected: {other:?}")),
        },
        _ => {
            if let Some(path) = action.strip_prefix("read:") {
                Ok(describe(&fs::read(path)))
            } else if let Some(path) = action.strip_prefix("cli-load:") {
                let out = std::process::Command::new("tcp-policy")
                    .args(["load", path])
                    .output()
                    .map_err(|e| format!("run tcp-policy: {e}"))?;
                Ok(format!(
                    "exit={:?} {}",
                    out.status.code(),
                    String::from_utf8_lossy(&out.stderr).trim()
                ))
            } else if let Some(path) = action.strip_prefix("open-write:") {
                Ok(describe(&OpenOptions::new().write(true).open(path)))
            } else {
                Err(format!("unknown action {action}"))
            }
        }
    }
}

fn run(args: &[&str]) -> Result<String, String> {
    match args {
        ["as-nobody", action] => {
            become_nobody()?;
            act(action)
        }
        ["no-mac-admin", action] => {
            drop_mac_admin()?;
            act(action)
        }
        ["open-then-drop", mode] => {
            let mut file = OpenOptions::new()
                .write(true)
                .open(MODE_FILE)
                .map_err(|e| format!("open as root: {e}"))?;
            drop_mac_admin()?;
            Ok(describe(&file.write(mode.as_bytes())))
        }
        ["exec-in", domain, program, rest @ ..] => {
            // Asks for `domain` at the next exec with the probe's lsm_set_self_attr call,
            // from an unconfined copy of the probe (made by the mediation setup): run as
            // /bin/tcp-probe it would enter `agent` first.
            let copy = "/tmp/tcp-probe-unconfined";
            let out = std::process::Command::new(copy)
                .args(["exec-in", domain, program])
                .args(rest)
                .output()
                .map_err(|e| format!("run: {e}"))?;
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
        }
        ["load-many", which, times] => {
            // Loads policy `1000 + which` `times` times; reports how many loads succeeded.
            let which: u32 = which.parse().map_err(|_| "bad index".to_owned())?;
            let times: u32 = times.parse().map_err(|_| "bad count".to_owned())?;
            let blob = crate::helpers::policy_load::sample_blob(1000 + which)?;
            let ok = (0..times)
                .filter(|_| crate::helpers::policy_load::load(&blob).is_ok())
                .count();
            Ok(ok.to_string())
        }
        _ => Err(format!("unknown helper {args:?}")),
    }
}
