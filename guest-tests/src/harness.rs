//! A minimal test runner: ordered tests, one line per test, a closing `N passed, N failed`.

use std::fmt::Display;
use std::io;
use std::process::Command;

use nix::errno::Errno;

/// The result of one test: `Err` carries the reason it failed.
pub type Outcome = Result<(), String>;

/// One test: a name and the function that runs it.
pub struct Test {
    /// Name printed on the result line.
    pub name: &'static str,
    /// The test body.
    pub run: fn() -> Outcome,
}

/// Runs `tests` in order, printing one line each and the closing counts; returns whether
/// all passed.
pub fn run_all(tests: &[&Test]) -> bool {
    let (mut passed, mut failed) = (0u32, 0u32);
    for test in tests {
        match (test.run)() {
            Ok(()) => {
                passed += 1;
                println!("test {} ... ok", test.name);
            }
            Err(reason) => {
                failed += 1;
                println!("test {} ... FAILED: {}", test.name, reason);
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    failed == 0 && passed > 0
}

/// Fails with `what` unless `cond` holds.
pub fn ensure(cond: bool, what: impl Display) -> Outcome {
    if cond {
        Ok(())
    } else {
        Err(what.to_string())
    }
}

/// Fails unless `a == b`.
pub fn ensure_eq<T: PartialEq + std::fmt::Debug>(a: T, b: T, what: &str) -> Outcome {
    if a == b {
        Ok(())
    } else {
        Err(format!("{what}: got {a:?}, expected {b:?}"))
    }
}

/// The errno of an I/O result, or `None` when it succeeded.
pub fn errno_of<T>(result: &io::Result<T>) -> Option<Errno> {
    match result {
        Ok(_) => None,
        Err(e) => Some(Errno::from_raw(e.raw_os_error().unwrap_or(0))),
    }
}

/// Fails unless `result` is an error with exactly `expected` as errno.
pub fn ensure_errno<T: std::fmt::Debug>(
    result: io::Result<T>,
    expected: Errno,
    what: &str,
) -> Outcome {
    match result {
        Ok(v) => Err(format!("{what}: succeeded ({v:?}), expected {expected}")),
        Err(e) => {
            let got = Errno::from_raw(e.raw_os_error().unwrap_or(0));
            ensure_eq(got, expected, what)
        }
    }
}

/// Short text for an outcome, as helpers report it: `ok` or `errno=EPERM`.
pub fn describe<T>(result: &io::Result<T>) -> String {
    match errno_of(result) {
        None => "ok".to_owned(),
        Some(errno) => format!("errno={errno:?}"),
    }
}

/// Runs this program again as `__helper NAME ARGS...` (helpers change credentials, which a
/// test must not do to the runner) and returns the helper's report, one trimmed line.
pub fn helper(name: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new("/proc/self/exe")
        .arg("__helper")
        .arg(name)
        .args(args)
        .output()
        .map_err(|e| format!("cannot start helper {name}: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if !out.status.success() {
        return Err(format!(
            "helper {name} failed ({}): {stdout} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(stdout)
}

/// Runs `program ARGS`; returns (exit code, stdout, stderr).
pub fn run(program: &str, args: &[&str]) -> Result<(i32, String, String), String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    Ok((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}
