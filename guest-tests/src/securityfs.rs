//! Tests of the LSM's registration and of `/sys/kernel/security/tcp/{version,mode}`.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;

use nix::errno::Errno;
use tcp_lsm_cli::{is_listed, Error as CliError, Securityfs};
use tcp_lsm_engine::abi::{POLICY_ABI_VERSION, SECURITYFS_DIR, SECURITYFS_LSM_LIST};
use tcp_lsm_engine::mode::Mode;

use crate::harness::{ensure, ensure_eq, ensure_errno, helper, Outcome, Test};

const MODE_FILE: &str = "/sys/kernel/security/tcp/mode";
const VERSION_FILE: &str = "/sys/kernel/security/tcp/version";

/// Tests for a kernel booted with `tcp` in `lsm=`.
pub const ACTIVE: &[Test] = &[
    Test {
        name: "lsm_listed_in_securityfs",
        run: lsm_listed,
    },
    Test {
        name: "securityfs_dir_has_all_files",
        run: dir_has_files,
    },
    Test {
        name: "version_is_policy_abi",
        run: version_is_policy_abi,
    },
    Test {
        name: "version_refuses_writes",
        run: version_refuses_writes,
    },
    Test {
        name: "mode_boots_in_enforce",
        run: mode_boots_in_enforce,
    },
    Test {
        name: "mode_switches_to_each_mode",
        run: mode_switches,
    },
    Test {
        name: "mode_rejects_bad_names_and_keeps_old",
        run: mode_rejects_bad_names,
    },
    Test {
        name: "mode_rejects_write_at_offset",
        run: mode_rejects_offset_write,
    },
    Test {
        name: "mode_refuses_unprivileged_uid",
        run: mode_refuses_nobody,
    },
    Test {
        name: "mode_refuses_root_without_mac_admin_at_open",
        run: mode_refuses_without_mac_admin,
    },
    Test {
        name: "mode_write_uses_opener_credentials",
        run: mode_opener_credentials,
    },
    Test {
        name: "cli_status_and_mode",
        run: cli_status_and_mode,
    },
    Test {
        name: "cli_reports_missing_privilege",
        run: cli_reports_missing_privilege,
    },
];

/// Tests for a kernel booted without `tcp` in `lsm=`.
pub const INACTIVE: &[Test] = &[
    Test {
        name: "lsm_not_listed",
        run: lsm_not_listed,
    },
    Test {
        name: "securityfs_dir_absent",
        run: dir_absent,
    },
    Test {
        name: "cli_reports_inactive_lsm",
        run: cli_reports_inactive,
    },
];

fn read(path: &str) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("read {path}: {e}"))
}

fn current_mode() -> Result<String, String> {
    read(MODE_FILE).map(|s| s.trim_end_matches('\n').to_owned())
}

/// Writes `bytes` to the mode file in one write on a fresh descriptor.
fn write_mode(bytes: &[u8]) -> std::io::Result<usize> {
    OpenOptions::new().write(true).open(MODE_FILE)?.write(bytes)
}

/// Puts the mode back to enforce, the state every test starts from.
fn restore_enforce() -> Outcome {
    write_mode(b"enforce").map_err(|e| format!("restore enforce: {e}"))?;
    ensure_eq(current_mode()?, "enforce".to_owned(), "mode after restore")
}

fn lsm_listed() -> Outcome {
    let list = read(SECURITYFS_LSM_LIST)?;
    ensure(
        is_listed(&list),
        format!("tcp not in {SECURITYFS_LSM_LIST}: {list:?}"),
    )
}

fn dir_has_files() -> Outcome {
    let mut names: Vec<String> = fs::read_dir(SECURITYFS_DIR)
        .map_err(|e| format!("read_dir {SECURITYFS_DIR}: {e}"))?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    names.sort();
    let expected = ["generation", "mode", "policy", "policy_hash", "version"];
    ensure(
        expected.iter().all(|e| names.iter().any(|n| n == e)),
        format!("entries {names:?} lack one of {expected:?}"),
    )
}

fn version_is_policy_abi() -> Outcome {
    ensure_eq(
        read(VERSION_FILE)?,
        format!("{POLICY_ABI_VERSION}\n"),
        "version content",
    )
}

fn version_refuses_writes() -> Outcome {
    // Root passes the 0444 permission check thanks to CAP_DAC_OVERRIDE; the file has no
    // write operation, so the write itself must fail with EINVAL and change nothing.
    let before = read(VERSION_FILE)?;
    let file = OpenOptions::new().write(true).open(VERSION_FILE);
    let result = file.and_then(|mut f| f.write(b"7\n"));
    ensure_errno(result, Errno::EINVAL, "write to version")?;
    ensure_eq(read(VERSION_FILE)?, before, "version after refused write")
}

fn mode_boots_in_enforce() -> Outcome {
    ensure_eq(
        current_mode()?,
        Mode::DEFAULT.name().to_owned(),
        "mode at boot",
    )
}

fn mode_switches() -> Outcome {
    for mode in [Mode::Monitor, Mode::Alert, Mode::Enforce, Mode::Alert] {
        let line = format!("{}\n", mode.name());
        let n = write_mode(line.as_bytes()).map_err(|e| format!("write {line:?}: {e}"))?;
        ensure_eq(n, line.len(), "bytes written")?;
        ensure_eq(current_mode()?, mode.name().to_owned(), "mode after write")?;
    }
    // Without the trailing newline, as `printf` writes it.
    let n = write_mode(b"monitor").map_err(|e| format!("write monitor: {e}"))?;
    ensure_eq(n, 7, "bytes written")?;
    ensure_eq(current_mode()?, "monitor".to_owned(), "mode after write")?;
    restore_enforce()
}

fn mode_rejects_bad_names() -> Outcome {
    let bad: &[&[u8]] = &[
        b"bogus\n",
        b"bogus",
        b"",
        b"\n",
        b"Enforce",
        b"MONITOR\n",
        b" alert",
        b"alert\n\n",
        b"alert\0",
        b"monitor x",
        b"enf",
        b"1",
        b"monitormonitormonitor",
        &[0xff; 4096],
    ];
    for start in [Mode::Monitor, Mode::Enforce] {
        write_mode(start.name().as_bytes()).map_err(|e| format!("set {start}: {e}"))?;
        for input in bad {
            let shown = String::from_utf8_lossy(&input[..input.len().min(24)]).into_owned();
            ensure_errno(
                write_mode(input),
                Errno::EINVAL,
                &format!("write {shown:?}"),
            )?;
            ensure_eq(
                current_mode()?,
                start.name().to_owned(),
                &format!("mode after {shown:?}"),
            )?;
        }
    }
    restore_enforce()
}

fn mode_rejects_offset_write() -> Outcome {
    let file = OpenOptions::new()
        .write(true)
        .open(MODE_FILE)
        .map_err(|e| e.to_string())?;
    ensure_errno(
        file.write_at(b"monitor", 1),
        Errno::EINVAL,
        "pwrite at offset 1",
    )?;
    ensure_eq(
        current_mode()?,
        "enforce".to_owned(),
        "mode after offset write",
    )
}

fn mode_refuses_nobody() -> Outcome {
    // uid 65534 fails the file's 0644 permission check before the LSM is asked.
    ensure_eq(
        helper("as-nobody", &["open-write"])?,
        "errno=EACCES".to_owned(),
        "open for write",
    )?;
    ensure_eq(
        helper("as-nobody", &["read"])?,
        "enforce".to_owned(),
        "read as nobody",
    )?;
    ensure_eq(current_mode()?, "enforce".to_owned(), "mode unchanged")
}

fn mode_refuses_without_mac_admin() -> Outcome {
    // Root without CAP_MAC_ADMIN passes the permission bits; the LSM refuses at open.
    ensure_eq(
        helper("no-mac-admin", &["open-write"])?,
        "errno=EPERM".to_owned(),
        "open for write",
    )?;
    ensure_eq(
        helper("no-mac-admin", &["read"])?,
        "enforce".to_owned(),
        "read",
    )?;
    ensure_eq(current_mode()?, "enforce".to_owned(), "mode unchanged")
}

fn mode_opener_credentials() -> Outcome {
    // Opened with CAP_MAC_ADMIN, the descriptor keeps its right after the capability goes.
    ensure_eq(
        helper("open-then-drop", &["alert"])?,
        "ok".to_owned(),
        "write after drop",
    )?;
    ensure_eq(current_mode()?, "alert".to_owned(), "mode after write")?;
    restore_enforce()
}

fn run_cli(args: &[&str]) -> Result<(i32, String, String), String> {
    crate::harness::run("tcp-policy", args)
}

fn cli_status_and_mode() -> Outcome {
    let (code, out, err) = run_cli(&["status"])?;
    ensure_eq(code, 0, &format!("status exit ({err})"))?;
    ensure_eq(
        out,
        format!(
            "lsm: active\npolicy abi: {POLICY_ABI_VERSION}\nmode: enforce\ngeneration: 0\npolicy hash: none\npolicy: none loaded\n"
        ),
        "status output",
    )?;
    let (code, out, err) = run_cli(&["mode", "monitor"])?;
    ensure_eq(code, 0, &format!("mode monitor exit ({err})"))?;
    ensure_eq(out, "mode: enforce -> monitor\n".to_owned(), "mode output")?;
    ensure_eq(current_mode()?, "monitor".to_owned(), "mode after CLI")?;
    let (code, _, err) = run_cli(&["mode", "bogus"])?;
    ensure_eq(code, 2, "usage error exit")?;
    ensure(err.contains("unknown mode"), format!("stderr {err:?}"))?;
    ensure_eq(
        current_mode()?,
        "monitor".to_owned(),
        "mode after bad CLI mode",
    )?;
    restore_enforce()
}

fn cli_reports_missing_privilege() -> Outcome {
    ensure_eq(
        helper("as-nobody", &["cli-set-alert"])?,
        "not-permitted".to_owned(),
        "as nobody",
    )?;
    ensure_eq(current_mode()?, "enforce".to_owned(), "mode unchanged")
}

fn lsm_not_listed() -> Outcome {
    let list = read(SECURITYFS_LSM_LIST)?;
    ensure(
        !is_listed(&list),
        format!("tcp listed although not selected: {list:?}"),
    )
}

fn dir_absent() -> Outcome {
    ensure_errno(fs::metadata(SECURITYFS_DIR), Errno::ENOENT, SECURITYFS_DIR)
}

fn cli_reports_inactive() -> Outcome {
    match Securityfs::default().mode() {
        Err(CliError::Inactive { .. }) => Ok(()),
        other => Err(format!("expected Inactive, got {other:?}")),
    }
}
