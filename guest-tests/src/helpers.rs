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
        _ => match action.strip_prefix("read:") {
            Some(path) => Ok(describe(&fs::read(path))),
            None => Err(format!("unknown action {action}")),
        },
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
        _ => Err(format!("unknown helper {args:?}")),
    }
}
