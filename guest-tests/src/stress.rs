//! The concurrency stress suite: `tcp-guest-tests --suite stress [--seconds N]` (not part
//! of the default set of suites; the test command runs it on its own, on 4 vCPUs).
//!
//! For a bounded time (`--seconds`, default 60, the whole suite included), all at once:
//!
//! - policy loaders: whole loads of three valid policies (which renumber types and
//!   domains, so that cached ids meet reloads), chunked loads, abandoned loads (a prefix,
//!   then close), rejected loads (corrupted blobs, each with its documented errno, and a
//!   good blob on a descriptor that was refused), and `tcp-policy add`/`delete` of rules;
//! - a mode switcher cycling `monitor`/`alert`/`enforce` through `mode` and `enforce`
//!   (and one refused name per cycle);
//! - a heartbeat (the policies have `heartbeat timeout 1000ms action deny-network`) that
//!   beats, then stops for longer than the timeout while loads that count as heartbeats
//!   are held off, then resumes;
//! - readers of every file under `/sys/kernel/security/tcp` (listing it, `hardware/`
//!   included; each value taken from one `read(2)`), a reader of the changing values in
//!   small pieces and like `cat`, and two readers of `events` (one with `poll`, one
//!   non-blocking) that a flooder pauses now and then while a confined task makes more
//!   denials than the queue holds;
//! - confined workers, two in `stress_enf` (entered by an exec transition; `mode enforce;`
//!   in the domain) and two in `stress_follow` (entered with `lsm_set_self_attr`; follows
//!   the global mode), and unconfined workers, all doing the same operations: file
//!   read/write/create/rename/unlink on allowed and forbidden paths, an allowed and a
//!   forbidden exec, SysV IPC on an allowed and a forbidden kind of object, a signal to a
//!   task of the same domain and to one outside it, TCP connect and bind on an allowed and
//!   a forbidden port, and Unix connects to an allowed and a forbidden socket.
//!
//! Everything is timed on the monotonic clock (the kernel's clock too): each operation,
//! heartbeat, load and mode switch has its start and end. The invariants are checked
//! afterwards, asserting only what must hold whatever the interleaving:
//!
//! - a confined worker never succeeds at a forbidden operation while the mode surely
//!   enforces (always, in `stress_enf`), and fails it with the documented errno; in
//!   `stress_follow` it succeeds while the mode is surely `monitor` or `alert`;
//! - an allowed operation never fails, except network ones while the heartbeat may be
//!   stale: they must succeed when a heartbeat surely came less than the timeout before
//!   (with a margin), and fail with `EACCES` when none surely did (enforcing);
//! - unconfined workers are never refused, and no event names one of them;
//! - the generation grows by exactly the number of successful loads, `policy.loads` and
//!   `policy.rejected` count exactly the loads and rejected blobs, and while only rejected
//!   and abandoned loads run (the quiet part of each heartbeat cycle) neither the
//!   generation nor the hash changes;
//! - readers always see valid values: a policy and hash among the known ones, counters and
//!   generations that never go back, a mode and an `enforce` value the switcher could have
//!   set at that moment, a heartbeat state and age matching the beater's;
//! - a value read in several `read(2)` calls (a small buffer, `fs::read_to_string`, `cat`)
//!   is still one value the kernel had, not the start of one and the end of the next;
//! - the events read plus the `lost=` counts are exactly the denials made (the sequence
//!   numbers between two markers), `events.queued`/`events.dropped` and the audit counters
//!   agree, no event is read twice, events are at least the denials the workers saw, and
//!   the decision counters at least what the workers observed, class by class;
//! - afterwards: mode `enforce`, a known policy without heartbeat, no worker left.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs::{self, OpenOptions};
use std::io::{self, BufWriter, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use tcp_lsm_engine::event::{parse_line, Line};
use tcp_lsm_engine::mode::Mode;

use crate::harness::{Outcome, Test};

/// The suite; the first test runs everything, the others report one group of invariants.
pub const ACTIVE: &[Test] = &[
    Test {
        name: "stress_everything_at_once_within_the_time_bound",
        run: stress_run,
    },
    Test {
        name: "stress_confined_workers_get_what_policy_mode_and_heartbeat_say",
        run: check_confined,
    },
    Test {
        name: "stress_unconfined_workers_never_refused",
        run: check_unconfined,
    },
    Test {
        name: "stress_loads_counted_and_rejected_or_abandoned_ones_change_nothing",
        run: check_loads,
    },
    Test {
        name: "stress_securityfs_readers_see_valid_monotonic_state",
        run: check_readers,
    },
    Test {
        name: "stress_securityfs_values_read_in_pieces_are_not_torn",
        run: check_torn,
    },
    Test {
        name: "stress_events_and_counters_add_up",
        run: check_events,
    },
    Test {
        name: "stress_state_restored_afterwards",
        run: check_restored,
    },
];

/// `--seconds`: the bound of the whole suite.
static SECONDS: AtomicU64 = AtomicU64::new(60);

/// Sets the time bound (`--seconds N`).
pub fn set_seconds(seconds: u64) {
    SECONDS.store(seconds, Ordering::Relaxed);
}

const DIR: &str = "/sys/kernel/security/tcp";
const ROOT: &str = "/tmp/stress";
const PROBE: &str = "/bin/tcp-probe";
/// The heartbeat timeout of every policy loaded during the run.
const HB_TIMEOUT_NS: u64 = 1_000_000_000;
/// Slack around the heartbeat's transitions (scheduling of the beater, clock reads).
const MARGIN_NS: u64 = 100_000_000;
const BEAT_EVERY_MS: u64 = 150;
/// How long the beater beats, then how long it stays silent (longer than the timeout).
const BEATING_MS: u64 = 3000;
const QUIET_MS: u64 = 1000 + 1500;
const TCP_OK: u16 = 19001;
const TCP_NO: u16 = 19002;
const BIND_OK_BASE: u16 = 20000;
const BIND_NO_BASE: u16 = 21000;
const SOCK_OK: &str = "/tmp/stress/rw/ok.sock";
const SOCK_NO: &str = "/tmp/stress/rw/no.sock";
const IPC_KEY: &str = "7331";
/// Denied opens per flood: more than the 256 events the queue holds.
const FLOOD: u64 = 400;
/// Violations kept per category (all are counted).
const KEEP: usize = 16;

// ---------------------------------------------------------------------------------------
// The policies.

const POLICY: &str = r#"
# The stress suite's policy (guest-tests/src/stress.rs).
heartbeat timeout 1000ms action deny-network;

type stress_bin { exact /tmp/stress/bin/worker-enf; exact /tmp/stress/bin/worker-follow; exact /bin/tcp-probe; }
type stress_procfs { prefix /proc; }
type stress_rw { prefix /tmp/stress/rw; }
type stress_ro { prefix /tmp/stress/ro; }
type stress_secret { prefix /tmp/stress/secret; }
# What std::process::Stdio::null() opens.
type stress_dev { exact /dev/null; }
# Named by the rules tcp-policy adds and deletes during the run; no path has it.
type scratch;
@TYPES@
exec /tmp/stress/bin/worker-enf -> stress_enf;

# Enforces whatever the global mode.
domain stress_enf {
    mode enforce;
@RULES@}

# Follows the global mode.
domain stress_follow {
@RULES@}
@DOMAINS@
"#;

const RULES: &str = "    allow file stress_bin { read execute mmap getattr };
    allow file stress_procfs { read getattr };
    allow file stress_dev { read write getattr };
    allow file stress_rw { read write append create unlink rename getattr setattr readdir };
    allow file stress_ro { read getattr readdir };
    allow net { create connect } inet tcp 127.0.0.1 port 19001;
    allow net { create bind listen } inet tcp 127.0.0.1 port 20000-20999;
    allow net { create connect } unix /tmp/stress/rw/ok.sock;
    allow signal same-domain;
    allow ipc { shm sem };
";

/// The three valid policies loaded in turn: the same decisions for the workers, but other
/// types and domains around them, so that type and domain ids change from one to the next.
fn policy_text(variant: usize, heartbeat: bool) -> String {
    let (types, extra, domains) = match variant {
        1 => (
            "type aaa_pad { prefix /tmp/stress/pad-b; }\n",
            "",
            "domain aaa_first {\n    allow file aaa_pad { read write };\n    allow net connect inet tcp 127.0.0.1 port 29001;\n}\n",
        ),
        2 => (
            "type aab_pad { prefix /tmp/stress/pad-c; }\ntype zzz_pad { exact /tmp/stress/pad-z; }\n",
            "    allow file aab_pad read;\n",
            "domain aab_second {\n    allow file zzz_pad read;\n    allow signal any;\n}\n",
        ),
        _ => ("", "", ""),
    };
    let text = POLICY
        .replace("@TYPES@", types)
        .replace("@RULES@", &format!("{RULES}{extra}"))
        .replace("@DOMAINS@", domains);
    if heartbeat {
        text
    } else {
        text.replace("heartbeat timeout 1000ms action deny-network;\n", "")
    }
}

fn compile(name: &str, text: &str) -> Result<Vec<u8>, String> {
    tcp_policy_compiler::compile_to_bytes(name, text)
        .map_err(|d| tcp_policy_compiler::render_diagnostics(name, text, &d))
}

/// The rules `tcp-policy add`/`delete` give and take: `(subject, object, class, permission)`.
const CLI_RULES: [(&str, &str, &str, &str); 2] = [
    ("stress_enf", "scratch", "file", "read"),
    (
        "stress_follow",
        "inet tcp 127.0.0.1 port 29999",
        "net",
        "connect",
    ),
];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn digest_of(blob: &[u8]) -> String {
    blob.get(32..64).map(hex).unwrap_or_default()
}

/// Every hash the policy in force may have: the loaded policies, with and without each
/// CLI rule (what `tcp-policy add`/`delete` make of them, in any order).
fn known_hashes(blobs: &[Vec<u8>]) -> Result<HashSet<String>, String> {
    let mut seen = HashSet::new();
    let mut todo = Vec::new();
    for blob in blobs {
        todo.push(tcp_policy_compiler::decode_policy(blob)?);
    }
    while let Some(policy) = todo.pop() {
        let blob = tcp_policy_compiler::encode_policy(&policy).map_err(|d| d.message)?;
        if !seen.insert(digest_of(&blob)) {
            continue;
        }
        for (subject, object, class, permission) in CLI_RULES {
            for add in [true, false] {
                let mut next = policy.clone();
                if tcp_policy_compiler::apply_rule_args(
                    &mut next, subject, object, class, permission, "allow", add,
                )
                .is_ok()
                {
                    todo.push(next);
                }
            }
        }
    }
    Ok(seen)
}

/// Recomputes the digest after a mutation (so that another check has to catch it).
fn reseal(blob: &mut [u8]) {
    if let Some(d) = blob.get_mut(32..64) {
        d.fill(0);
    }
    let digest = tcp_lsm_engine::sha256::sha256(blob);
    if let Some(d) = blob.get_mut(32..64) {
        d.copy_from_slice(&digest);
    }
}

// ---------------------------------------------------------------------------------------
// Small tools.

/// Nanoseconds of the monotonic clock (the kernel's `ktime_get`, shared by all processes).
fn now_ns() -> u64 {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC)
        .map(|t| {
            u64::try_from(t.tv_sec()).unwrap_or(0) * 1_000_000_000
                + u64::try_from(t.tv_nsec()).unwrap_or(0)
        })
        .unwrap_or(0)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn sleep_ms(ms: u64) {
    thread::sleep(Duration::from_millis(ms));
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi.saturating_sub(lo) + 1)
    }
}

/// `ok`, the errno's name (`EACCES`), or `bad:...` for an error without one.
fn outcome<T>(result: &io::Result<T>) -> String {
    match result {
        Ok(_) => "ok".to_owned(),
        Err(e) => errno_name(e),
    }
}

fn errno_name(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => format!("{:?}", Errno::from_raw(n)),
        None => bad(&e.to_string()),
    }
}

/// A `bad:` result, without spaces (results are one word on the report line).
fn bad(text: &str) -> String {
    format!("bad:{}", text.replace(char::is_whitespace, "_"))
}

fn secs(ns: u64, base: u64) -> String {
    format!("{:.3}s", ns.saturating_sub(base) as f64 / 1e9)
}

fn path(name: &str) -> String {
    format!("{DIR}/{name}")
}

fn read_text(name: &str) -> io::Result<String> {
    fs::read_to_string(path(name))
}

/// The file's text from a single `read(2)` at offset 0: the whole value as the kernel
/// made it for that one read. (What further reads return is checked by the piecewise
/// reader.)
fn read_once(name: &str) -> io::Result<String> {
    let mut file = fs::File::open(path(name))?;
    let mut buf = vec![0u8; 16384];
    let n = file.read(&mut buf)?;
    String::from_utf8(buf[..n].to_vec()).map_err(|_| io::Error::other(format!("{name}: not UTF-8")))
}

/// The file's text read `piece` bytes per `read(2)`, as a reader with a small buffer (or
/// Rust's `fs::read_to_string`, whose first read is 32 bytes) reads it.
fn read_in_pieces(name: &str, piece: usize) -> io::Result<String> {
    let mut file = fs::File::open(path(name))?;
    let mut text = Vec::new();
    let mut buf = vec![0u8; piece];
    loop {
        match file.read(&mut buf)? {
            0 => break,
            n => text.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8(text).map_err(|_| io::Error::other(format!("{name}: not UTF-8")))
}

// ---------------------------------------------------------------------------------------
// The operations of the workers.

/// One operation a worker repeats: its class (as counted in `stats`), whether the
/// policy forbids it, and the errno of the denial.
#[derive(Clone, Copy)]
struct OpDef {
    name: &'static str,
    class: &'static str,
    forbidden: bool,
    errno: &'static str,
}

const fn op(
    name: &'static str,
    class: &'static str,
    forbidden: bool,
    errno: &'static str,
) -> OpDef {
    OpDef {
        name,
        class,
        forbidden,
        errno,
    }
}

const OPS: [OpDef; 20] = [
    op("file_read", "file", false, "EACCES"),
    op("file_create_write", "file", false, "EACCES"),
    op("file_create_rename_unlink", "file", false, "EACCES"),
    op("file_read_secret", "file", true, "EACCES"),
    op("file_write_readonly", "file", true, "EACCES"),
    op("file_create_in_readonly", "file", true, "EACCES"),
    op("file_rename_readonly", "file", true, "EACCES"),
    op("file_unlink_readonly", "file", true, "EACCES"),
    op("exec_allowed_probe", "file", false, "EACCES"),
    op("exec_busybox", "file", true, "EACCES"),
    op("ipc_shm_sem_by_id", "ipc", false, "EACCES"),
    op("ipc_msg_by_id", "ipc", true, "EACCES"),
    op("signal_same_domain", "signal", false, "EPERM"),
    op("signal_init", "signal", true, "EPERM"),
    op("tcp_connect_allowed_port", "net", false, "EACCES"),
    op("tcp_connect_other_port", "net", true, "EACCES"),
    op("tcp_bind_allowed_port", "net", false, "EACCES"),
    op("tcp_bind_other_port", "net", true, "EACCES"),
    op("unix_connect_allowed", "net", false, "EACCES"),
    op("unix_connect_other", "net", true, "EACCES"),
];

/// What a worker is: its domain (or none) and how it got there.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// `stress_enf`, by the exec transition; the domain enforces.
    Enf,
    /// `stress_follow`, by `lsm_set_self_attr`; the global mode applies.
    Follow,
    /// Unconfined.
    Free,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Enf => "enf",
            Kind::Follow => "follow",
            Kind::Free => "free",
        }
    }

    fn parse(text: &str) -> Option<Kind> {
        match text {
            "enf" => Some(Kind::Enf),
            "follow" => Some(Kind::Follow),
            "free" => Some(Kind::Free),
            _ => None,
        }
    }

    /// What `tcp-probe self-attr` prints in this worker.
    fn domain(self) -> &'static str {
        match self {
            Kind::Enf => "stress_enf",
            Kind::Follow => "stress_follow",
            Kind::Free => "unconfined",
        }
    }

    fn binary(self) -> String {
        format!("{ROOT}/bin/worker-{}", self.name())
    }
}

/// Entry point of `tcp-guest-tests __stress ...`: the worker processes.
pub fn child_main(args: &[String]) -> ExitCode {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args[..] {
        ["idle"] => {
            // A task of the worker's domain to signal; ends when its input does.
            let mut sink = Vec::new();
            let _ = io::stdin().read_to_end(&mut sink);
            Ok(())
        }
        ["worker", kind, idx, ms, shm, sem, msq] => {
            match (Kind::parse(kind), idx.parse(), ms.parse()) {
                (Some(kind), Ok(idx), Ok(ms)) => worker(kind, idx, ms, [shm, sem, msq]),
                _ => Err(format!("bad worker arguments {args:?}")),
            }
        }
        _ => Err(format!("unknown stress helper {args:?}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("stress worker: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The state of one worker process.
struct Worker {
    kind: Kind,
    idx: usize,
    rw: String,
    ro: String,
    ipc: [String; 3],
    counter: u64,
    /// The read-only file the forbidden rename and unlink aim at (it may have moved or
    /// gone when the mode let one through), and its other name.
    victim: String,
    victim_other: String,
    idle_pid: Pid,
}

/// Runs `tcp-probe ARGS` (in the worker's domain: no exec rule moves it) and returns its
/// report: `ok`, an errno name, or what it printed; `spawn:ERRNO` when the probe could
/// not be started (not the operation's own answer).
fn probe_report(args: &[&str]) -> String {
    match Command::new(PROBE)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
    {
        Err(e) => format!("spawn:{}", errno_name(&e)),
        Ok(out) if !out.status.success() => {
            bad(&format!("probe {args:?} ended with {}", out.status))
        }
        Ok(out) => {
            let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            match text.strip_prefix("errno=") {
                Some(name) => name.to_owned(),
                None => text,
            }
        }
    }
}

/// A probe report that must be `ok` when allowed.
fn probe_op(args: &[&str]) -> String {
    let report = probe_report(args);
    if report == "ok"
        || report.starts_with('E')
        || report.starts_with("bad:")
        || report.starts_with("spawn:")
    {
        report
    } else {
        bad(&format!("probe {args:?} printed {report}"))
    }
}

impl Worker {
    fn run_op(&mut self, i: usize) -> String {
        self.counter += 1;
        let n = self.counter;
        match i {
            0 => match fs::read_to_string(format!("{ROOT}/ro/shared")) {
                Ok(text) if text == "shared\n" => "ok".to_owned(),
                Ok(text) => bad(&format!("read {text:?}")),
                Err(e) => errno_name(&e),
            },
            1 => outcome(&fs::write(format!("{}/a", self.rw), format!("{n}\n"))),
            2 => {
                let (from, to) = (format!("{}/r", self.rw), format!("{}/r2", self.rw));
                let result = fs::write(&from, "r\n")
                    .and_then(|()| fs::rename(&from, &to))
                    .and_then(|()| fs::remove_file(&to));
                outcome(&result)
            }
            3 => outcome(&fs::read(format!("{ROOT}/secret/key"))),
            4 => outcome(
                &OpenOptions::new()
                    .write(true)
                    .open(format!("{ROOT}/ro/shared")),
            ),
            5 => {
                let name = format!("{}/c{n}", self.ro);
                let result = OpenOptions::new().write(true).create_new(true).open(&name);
                if result.is_ok() {
                    // Let through by the mode (or unconfined): take it back if possible.
                    let _ = fs::remove_file(&name);
                }
                outcome(&result)
            }
            6 => {
                if !self.victim_present() {
                    return "skip".to_owned();
                }
                let result = fs::rename(&self.victim, &self.victim_other);
                if result.is_ok() && fs::rename(&self.victim_other, &self.victim).is_err() {
                    std::mem::swap(&mut self.victim, &mut self.victim_other);
                }
                outcome(&result)
            }
            7 => {
                if !self.victim_present() {
                    return "skip".to_owned();
                }
                let result = fs::remove_file(&self.victim);
                if result.is_ok() {
                    let _ = fs::write(&self.victim, "victim\n");
                }
                outcome(&result)
            }
            8 => {
                let report = probe_report(&["self-attr"]);
                if report == self.kind.domain() {
                    "ok".to_owned()
                } else if report.starts_with('E') || report.starts_with("spawn:") {
                    report
                } else {
                    bad(&format!(
                        "self-attr printed {report}, expected {}",
                        self.kind.domain()
                    ))
                }
            }
            9 => match Command::new("/bin/busybox")
                .arg("true")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
            {
                Ok(status) if status.success() => "ok".to_owned(),
                Ok(status) => bad(&format!("busybox true: {status}")),
                Err(e) => errno_name(&e),
            },
            10 => {
                if n % 2 == 0 {
                    probe_op(&["shmctl", &self.ipc[0]])
                } else {
                    probe_op(&["semctl", &self.ipc[1]])
                }
            }
            11 => probe_op(&["msgctl", &self.ipc[2]]),
            12 => {
                let signal = if n % 2 == 0 {
                    None
                } else {
                    Some(Signal::SIGCONT)
                };
                match kill(self.idle_pid, signal) {
                    Ok(()) => "ok".to_owned(),
                    Err(e) => format!("{e:?}"),
                }
            }
            13 => match kill(Pid::from_raw(1), None) {
                Ok(()) => "ok".to_owned(),
                Err(e) => format!("{e:?}"),
            },
            14 => outcome(&TcpStream::connect(("127.0.0.1", TCP_OK))),
            15 => outcome(&TcpStream::connect(("127.0.0.1", TCP_NO))),
            16 => {
                let port = BIND_OK_BASE
                    + u16::try_from(self.idx * 100).unwrap_or(0)
                    + u16::try_from(n % 100).unwrap_or(0);
                outcome(&TcpListener::bind(("127.0.0.1", port)))
            }
            17 => outcome(&TcpListener::bind((
                "127.0.0.1",
                BIND_NO_BASE + u16::try_from(self.idx).unwrap_or(0),
            ))),
            18 => outcome(&UnixStream::connect(SOCK_OK)),
            _ => outcome(&UnixStream::connect(SOCK_NO)),
        }
    }

    /// Whether the victim file exists, recreating it if it is gone (which only works
    /// where the mode lets this domain create in the read-only tree).
    fn victim_present(&self) -> bool {
        fs::metadata(&self.victim).is_ok() || fs::write(&self.victim, "victim\n").is_ok()
    }
}

/// The worker's loop: every operation in turn until the time is up, one report line each
/// (`op INDEX START END RESULT`).
fn worker(kind: Kind, idx: usize, ms: u64, ipc: [&str; 3]) -> Result<(), String> {
    let deadline = now_ns() + ms * 1_000_000;
    let me = std::env::args().next().ok_or("no argv[0]")?;
    let mut idle = Command::new(&me)
        .args(["__stress", "idle"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("spawn the idle task: {e}"))?;
    let idle_pid = Pid::from_raw(i32::try_from(idle.id()).unwrap_or(0));
    let mut w = Worker {
        kind,
        idx,
        rw: format!("{ROOT}/rw/w{idx}"),
        ro: format!("{ROOT}/ro/w{idx}"),
        ipc: ipc.map(str::to_owned),
        counter: 0,
        victim: format!("{ROOT}/ro/w{idx}/v"),
        victim_other: format!("{ROOT}/ro/w{idx}/v2"),
        idle_pid,
    };
    let mut out = BufWriter::new(io::stdout().lock());
    writeln!(out, "pid {}", std::process::id()).map_err(|e| e.to_string())?;
    let mut round = 0usize;
    'outer: loop {
        for k in 0..OPS.len() {
            if now_ns() >= deadline {
                break 'outer;
            }
            let i = (k + idx * 7 + round * 3) % OPS.len();
            let start = now_ns();
            let result = w.run_op(i);
            let end = now_ns();
            writeln!(out, "op {i} {start} {end} {result}").map_err(|e| e.to_string())?;
        }
        round += 1;
    }
    writeln!(out, "rounds {round}").map_err(|e| e.to_string())?;
    out.flush().map_err(|e| e.to_string())?;
    drop(idle.stdin.take());
    let _ = idle.wait();
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Shared state of the run.

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Cat {
    Run,
    Confined,
    Unconfined,
    Loads,
    Readers,
    Torn,
    Events,
    Restore,
}

/// What a securityfs reader read, checked against the timelines afterwards.
enum Reading {
    Mode(String),
    Enforce(String),
    Heartbeat(String),
}

struct Shared {
    stop: AtomicBool,
    base_ns: u64,
    /// Held (shared) by every load that counts as a heartbeat; the beater holds it
    /// exclusively while it stays silent, so that the heartbeat really goes stale.
    gate: RwLock<()>,
    /// Heartbeats and successful loads: `(start, end)`.
    refreshes: Mutex<Vec<(u64, u64)>>,
    /// Mode switches: `(start, end, mode after)`, one writer.
    modes: Mutex<Vec<(u64, u64, Mode)>>,
    readings: Mutex<Vec<(u64, u64, Reading)>>,
    violations: Mutex<HashMap<Cat, (u64, Vec<String>)>>,
    known: HashSet<String>,
    /// Successful loads by kind.
    whole_ok: AtomicU64,
    chunked_ok: AtomicU64,
    cli_ok: AtomicU64,
    /// `tcp-policy delete` refused because another load had replaced the rule's policy.
    cli_absent: AtomicU64,
    rejected: AtomicU64,
    abandoned: AtomicU64,
    beats: AtomicU64,
    quiet_windows: AtomicU64,
    mode_writes: AtomicU64,
    reader_rounds: AtomicU64,
    /// Set while the flooder wants the events readers to pause.
    hold_events: AtomicBool,
    floods: AtomicU64,
    flood_denied: AtomicU64,
}

impl Shared {
    fn fail(&self, cat: Cat, what: String) {
        let mut v = lock(&self.violations);
        let entry = v.entry(cat).or_default();
        entry.0 += 1;
        if entry.1.len() < KEEP {
            entry.1.push(what);
        }
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    fn t(&self, ns: u64) -> String {
        secs(ns, self.base_ns)
    }

    /// Sleeps `ms`, waking early when the run stops.
    fn nap(&self, ms: u64) {
        let end = now_ns() + ms * 1_000_000;
        while !self.stopped() && now_ns() < end {
            sleep_ms(ms.min(50));
        }
    }
}

// ---------------------------------------------------------------------------------------
// Loaders.

fn load_whole(blob: &[u8]) -> io::Result<usize> {
    OpenOptions::new()
        .write(true)
        .open(path("policy"))?
        .write(blob)
}

fn whole_loader(sh: &Shared, blobs: &[Vec<u8>], seed: u64) {
    let mut rng = Rng::new(seed);
    let mut n = seed as usize;
    while !sh.stopped() {
        n += 1;
        let blob = &blobs[n % blobs.len()];
        let gate = sh
            .gate
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let start = now_ns();
        let result = load_whole(blob);
        let end = now_ns();
        drop(gate);
        match result {
            Ok(len) if len == blob.len() => {
                lock(&sh.refreshes).push((start, end));
                sh.whole_ok.fetch_add(1, Ordering::Relaxed);
            }
            other => sh.fail(
                Cat::Loads,
                format!(
                    "whole load of valid policy {} at {}: {other:?}",
                    n % blobs.len(),
                    sh.t(start)
                ),
            ),
        }
        sh.nap(rng.range(5, 30));
    }
}

fn chunked_loader(sh: &Shared, blobs: &[Vec<u8>], seed: u64) {
    let mut rng = Rng::new(seed);
    let mut n = 0usize;
    while !sh.stopped() {
        n += 1;
        let blob = &blobs[n % blobs.len()];
        let gate = sh
            .gate
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let start = now_ns();
        let result = (|| -> Result<(), String> {
            let mut file = OpenOptions::new()
                .write(true)
                .open(path("policy"))
                .map_err(|e| format!("open: {e}"))?;
            let mut at = 0usize;
            let mut first = true;
            while at < blob.len() {
                // The first chunk ends before, at or after the header's size field.
                let len = if first {
                    rng.range(1, 30)
                } else {
                    rng.range(1, (blob.len() / 3) as u64)
                } as usize;
                first = false;
                let end = (at + len).min(blob.len());
                match file.write(&blob[at..end]) {
                    Ok(w) if w == end - at => at = end,
                    other => return Err(format!("chunk {at}..{end} of {}: {other:?}", blob.len())),
                }
            }
            Ok(())
        })();
        let end = now_ns();
        drop(gate);
        match result {
            Ok(()) => {
                lock(&sh.refreshes).push((start, end));
                sh.chunked_ok.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                // It may or may not have loaded: count it as a possible heartbeat.
                lock(&sh.refreshes).push((start, end));
                sh.fail(Cat::Loads, format!("chunked load at {}: {e}", sh.t(start)));
            }
        }
        sh.nap(rng.range(10, 40));
    }
}

fn abandoning_loader(sh: &Shared, blobs: &[Vec<u8>], seed: u64) {
    let mut rng = Rng::new(seed);
    let mut n = 0usize;
    while !sh.stopped() {
        n += 1;
        let blob = &blobs[n % blobs.len()];
        let cut = rng.range(0, blob.len() as u64 - 1) as usize;
        let split = rng.range(0, cut as u64) as usize;
        let result = OpenOptions::new()
            .write(true)
            .open(path("policy"))
            .and_then(|mut f| {
                for part in [&blob[..split], &blob[split..cut]] {
                    if !part.is_empty() && f.write(part)? != part.len() {
                        return Err(io::Error::other("short write"));
                    }
                }
                Ok(())
            });
        match result {
            Ok(()) => {
                sh.abandoned.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => sh.fail(
                Cat::Loads,
                format!(
                    "abandoned load: a prefix of {cut} of {} bytes was refused: {e}",
                    blob.len()
                ),
            ),
        }
        sh.nap(rng.range(5, 25));
    }
}

/// The corrupted blobs and the errno each must get.
fn corrupt_blobs(blobs: &[Vec<u8>]) -> Vec<(&'static str, Vec<u8>, Errno)> {
    let mut out = Vec::new();
    for good in blobs {
        let mut sum = good.clone();
        if let Some(b) = sum.last_mut() {
            *b ^= 1;
        }
        out.push(("checksum", sum, Errno::EBADMSG));
        let mut magic = good.clone();
        magic[0] ^= 0xff;
        reseal(&mut magic);
        out.push(("magic", magic, Errno::ENOEXEC));
        let mut version = good.clone();
        version[8] = version[8].wrapping_add(1);
        reseal(&mut version);
        out.push(("version", version, Errno::EPROTO));
        let mut trailing = good.clone();
        trailing.push(0);
        out.push(("trailing byte", trailing, Errno::EINVAL));
    }
    out
}

fn rejecting_loader(sh: &Shared, blobs: &[Vec<u8>], seed: u64) {
    let mut rng = Rng::new(seed);
    let corrupt = corrupt_blobs(blobs);
    let mut n = 0usize;
    while !sh.stopped() {
        n += 1;
        let (what, blob, errno) = &corrupt[n % corrupt.len()];
        let start = now_ns();
        let result = (|| -> Result<(), String> {
            let mut f = OpenOptions::new()
                .write(true)
                .open(path("policy"))
                .map_err(|e| format!("open: {e}"))?;
            let got = if n % 3 == 0 && blob.len() > 40 && *errno == Errno::EBADMSG {
                // In two writes: the first is the start of a blob, the second completes it.
                let half = blob.len() / 2;
                match f.write(&blob[..half]) {
                    Ok(w) if w == half => {}
                    other => return Err(format!("first half: {other:?}")),
                }
                f.write(&blob[half..])
            } else {
                f.write(blob)
            };
            match got {
                Err(e) if e.raw_os_error() == Some(*errno as i32) => {}
                other => return Err(format!("got {other:?}, expected {errno}")),
            }
            // A refused descriptor refuses the rest, even a valid blob.
            if n % 2 == 0 {
                match f.write(&blobs[n % blobs.len()]) {
                    Err(e) if e.raw_os_error() == Some(Errno::EINVAL as i32) => {}
                    other => {
                        return Err(format!(
                            "valid blob after the refusal: {other:?}, expected EINVAL"
                        ))
                    }
                }
            }
            Ok(())
        })();
        sh.rejected.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = result {
            sh.fail(
                Cat::Loads,
                format!("rejected load ({what}) at {}: {e}", sh.t(start)),
            );
        }
        sh.nap(rng.range(5, 25));
    }
}

/// `tcp-policy add` then `delete` of one rule, again and again.
fn cli_editor(sh: &Shared, rule: usize, seed: u64) {
    let mut rng = Rng::new(seed);
    let (subject, object, class, permission) = CLI_RULES[rule];
    let args = |verb: &str| {
        [
            verb.to_owned(),
            format!("--subject={subject}"),
            format!("--object={object}"),
            format!("--class={class}"),
            format!("--permission={permission}"),
            "--decision=allow".to_owned(),
        ]
    };
    while !sh.stopped() {
        for verb in ["add", "delete"] {
            let gate = sh
                .gate
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let start = now_ns();
            let out = Command::new("/bin/tcp-policy")
                .args(args(verb))
                .stdin(Stdio::null())
                .output();
            let end = now_ns();
            drop(gate);
            let (code, stdout, stderr) = match &out {
                Ok(o) => (
                    o.status.code(),
                    String::from_utf8_lossy(&o.stdout).into_owned(),
                    String::from_utf8_lossy(&o.stderr).into_owned(),
                ),
                Err(e) => (None, String::new(), e.to_string()),
            };
            if code == Some(0) && stdout.starts_with("loaded: generation ") {
                lock(&sh.refreshes).push((start, end));
                sh.cli_ok.fetch_add(1, Ordering::Relaxed);
            } else if verb == "delete"
                && code == Some(1)
                && stderr.contains(&format!("domain `{subject}` has no allow"))
            {
                // Another loader replaced the policy this rule was added to: legitimate.
                sh.cli_absent.fetch_add(1, Ordering::Relaxed);
            } else {
                lock(&sh.refreshes).push((start, end));
                sh.fail(
                    Cat::Loads,
                    format!(
                        "tcp-policy {verb} ({class} rule of {subject}) at {}: exit {code:?}: {} {}",
                        sh.t(start),
                        stdout.trim(),
                        stderr.trim()
                    ),
                );
            }
            sh.nap(rng.range(20, 80));
        }
    }
}

// ---------------------------------------------------------------------------------------
// Mode switcher and heartbeat.

fn write_file(name: &str, value: &str) -> io::Result<usize> {
    OpenOptions::new()
        .write(true)
        .open(path(name))?
        .write(value.as_bytes())
}

fn mode_switcher(sh: &Shared, seed: u64) {
    let mut rng = Rng::new(seed);
    // (file, value): `enforce` 0 makes enforce alert and leaves the others alone.
    let steps: [(&str, &str); 10] = [
        ("mode", "monitor"),
        ("mode", "alert\n"),
        ("enforce", "1"),
        ("mode", "bogus"),
        ("mode", "alert"),
        ("enforce", "0\n"),
        ("mode", "enforce\n"),
        ("enforce", "0"),
        ("mode", "monitor\n"),
        ("mode", "enforce"),
    ];
    let mut current = Mode::Enforce;
    let mut i = 0usize;
    while !sh.stopped() {
        let (file, value) = steps[i % steps.len()];
        i += 1;
        let next = match (file, value.trim_end()) {
            ("enforce", "1") => Some(Mode::Enforce),
            ("enforce", _) if current == Mode::Enforce => Some(Mode::Alert),
            ("enforce", _) => Some(current),
            (_, name) => Mode::parse(name.as_bytes()).ok(),
        };
        let start = now_ns();
        let result = write_file(file, value);
        let end = now_ns();
        match (next, result) {
            (Some(mode), Ok(n)) if n == value.len() => {
                lock(&sh.modes).push((start, end, mode));
                current = mode;
                sh.mode_writes.fetch_add(1, Ordering::Relaxed);
            }
            (None, Err(e)) if e.raw_os_error() == Some(Errno::EINVAL as i32) => {}
            (next, result) => {
                sh.fail(
                    Cat::Loads,
                    format!(
                        "writing {value:?} to {file} at {}: {result:?} (expected mode {next:?})",
                        sh.t(start)
                    ),
                );
                // Unknown now: stop switching (the analysis would be unsound).
                return;
            }
        }
        sh.nap(rng.range(150, 400));
    }
}

fn snapshot() -> (String, String) {
    (
        read_text("generation").unwrap_or_default(),
        read_text("policy_hash").unwrap_or_default(),
    )
}

fn beat(sh: &Shared) {
    let start = now_ns();
    let result = write_file("heartbeat", "1");
    let end = now_ns();
    match result {
        Ok(1) => {
            lock(&sh.refreshes).push((start, end));
            sh.beats.fetch_add(1, Ordering::Relaxed);
        }
        other => sh.fail(
            Cat::Loads,
            format!("heartbeat at {}: {other:?}", sh.t(start)),
        ),
    }
}

fn beater(sh: &Shared) {
    while !sh.stopped() {
        let until = now_ns() + BEATING_MS * 1_000_000;
        while !sh.stopped() && now_ns() < until {
            beat(sh);
            sh.nap(BEAT_EVERY_MS);
        }
        if sh.stopped() {
            break;
        }
        // Silence: no heartbeat, and no load (they count as heartbeats); rejected and
        // abandoned loads go on and must change nothing.
        let gate = sh
            .gate
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let start = now_ns();
        let before = snapshot();
        sh.nap(QUIET_MS);
        let after = snapshot();
        let end = now_ns();
        beat(sh);
        drop(gate);
        if before != after {
            sh.fail(
                Cat::Loads,
                format!(
                    "generation and hash changed from {before:?} to {after:?} between {} and {}, while only rejected and abandoned loads ran",
                    sh.t(start),
                    sh.t(end)
                ),
            );
        }
        sh.quiet_windows.fetch_add(1, Ordering::Relaxed);
    }
}

// ---------------------------------------------------------------------------------------
// Readers.

/// The directory's entries, sorted.
fn list(dir: &str) -> io::Result<Vec<String>> {
    let mut names: Vec<String> = fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    names.sort();
    Ok(names)
}

/// What the readers compare against: the listing and the values nobody writes.
struct Fixed {
    names: Vec<String>,
    /// The counters' names, in the order of `stats`.
    counters: Vec<String>,
    hardware: Vec<String>,
    hardware_values: HashMap<String, String>,
    anomaly: String,
    gen0: u64,
}

fn securityfs_reader(sh: &Shared, fixed: &Fixed, seed: u64) {
    let mut rng = Rng::new(seed);
    let mut last_stats: HashMap<String, u64> = HashMap::new();
    let mut last_gen = fixed.gen0;
    let fail = |what: String| sh.fail(Cat::Readers, what);
    while !sh.stopped() {
        sh.reader_rounds.fetch_add(1, Ordering::Relaxed);
        match list(DIR) {
            Ok(names) if names == fixed.names => {}
            other => fail(format!(
                "listing of {DIR}: {other:?}, expected {:?}",
                fixed.names
            )),
        }
        match list(&path("hardware")) {
            Ok(names) if names == fixed.hardware => {}
            other => fail(format!(
                "listing of hardware/: {other:?}, expected {:?}",
                fixed.hardware
            )),
        }
        for name in &fixed.names {
            let start = now_ns();
            match name.as_str() {
                "events" | "hardware" => {}
                "policy" => match fs::read(path("policy")) {
                    Ok(blob) => {
                        if let Err(e) = tcp_lsm_engine::format::validate(&blob) {
                            fail(format!(
                                "the policy read back does not validate: {e:?} ({} bytes)",
                                blob.len()
                            ));
                        } else if !sh.known.contains(&digest_of(&blob)) {
                            fail(format!(
                                "the policy read back is none of the loaded ones ({})",
                                digest_of(&blob)
                            ));
                        }
                    }
                    Err(e) => fail(format!("read policy: {e}")),
                },
                _ => {
                    let text = match read_once(name) {
                        Ok(text) => text,
                        Err(e) => {
                            fail(format!("read {name}: {e}"));
                            continue;
                        }
                    };
                    let end = now_ns();
                    match name.as_str() {
                        "version" if text != "1\n" => fail(format!("version {text:?}")),
                        "anomaly_threshold" if text != fixed.anomaly => fail(format!(
                            "anomaly_threshold {text:?}, was {:?}",
                            fixed.anomaly
                        )),
                        "generation" => match text.trim().parse::<u64>() {
                            Ok(g) if g >= last_gen => last_gen = g,
                            other => {
                                fail(format!("generation {text:?} ({other:?}) after {last_gen}"))
                            }
                        },
                        "policy_hash" if !sh.known.contains(text.trim()) => fail(format!(
                            "policy_hash {text:?} is none of the loaded policies"
                        )),
                        "stats" => match tcp_lsm_cli::parse_stats(&text) {
                            Ok(counters) => {
                                for (k, v) in counters {
                                    let before = last_stats.get(&k).copied().unwrap_or(0);
                                    if v < before {
                                        fail(format!("counter {k} went back from {before} to {v}"));
                                    }
                                    last_stats.insert(k, v);
                                }
                            }
                            Err(e) => fail(format!("stats: {e:?}")),
                        },
                        "mode" => lock(&sh.readings).push((start, end, Reading::Mode(text))),
                        "enforce" => lock(&sh.readings).push((start, end, Reading::Enforce(text))),
                        "heartbeat" => {
                            lock(&sh.readings).push((start, end, Reading::Heartbeat(text)))
                        }
                        _ => {}
                    }
                }
            }
        }
        for name in &fixed.hardware {
            let file = format!("hardware/{name}");
            match read_once(&file) {
                Ok(text) if fixed.hardware_values.get(name) == Some(&text) => {}
                other => fail(format!(
                    "{file}: {other:?}, was {:?}",
                    fixed.hardware_values.get(name)
                )),
            }
        }
        sh.nap(rng.range(5, 30));
    }
}

/// Whether `text` is a whole value of file `name` (one line, as the kernel writes it).
fn well_formed(name: &str, text: &str, sh: &Shared, counters: &[String]) -> bool {
    let Some(line) = text.strip_suffix('\n') else {
        return false;
    };
    if name != "stats" && line.contains('\n') {
        return false;
    }
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match name {
        "policy_hash" => sh.known.contains(line),
        "generation" => digits(line),
        "mode" => matches!(line, "monitor" | "alert" | "enforce"),
        "enforce" => matches!(line, "0" | "1"),
        "heartbeat" => line
            .strip_prefix("timeout_ms=1000 action=deny-network age_ms=")
            .and_then(|rest| {
                rest.strip_suffix(" stale=0")
                    .or_else(|| rest.strip_suffix(" stale=1"))
            })
            .is_some_and(digits),
        "stats" => {
            let names: Vec<&str> = line
                .lines()
                .filter_map(|l| l.split_once(' '))
                .filter(|(_, v)| digits(v))
                .map(|(n, _)| n)
                .collect();
            names.len() == line.lines().count()
                && names
                    .iter()
                    .copied()
                    .eq(counters.iter().map(String::as_str))
        }
        _ => true,
    }
}

/// Reads the values that change during the run the way other readers do: in small pieces
/// (each `read(2)` at the next offset, as a small buffer or Rust's `fs::read_to_string`,
/// whose first read is 32 bytes, reads them) and like `cat` (a large buffer, until a read
/// returns 0). What is put together must be one value the kernel had, not the start of one
/// and the end of another.
fn piecewise_reader(sh: &Shared, fixed: &Fixed, seed: u64) {
    let mut rng = Rng::new(seed);
    let mut last_gen = fixed.gen0;
    let mut last_stats: HashMap<String, u64> = HashMap::new();
    let mut tally: Vec<Tally> = Vec::new();
    let files = [
        ("policy_hash", 8),
        ("generation", 2),
        ("stats", 32),
        ("heartbeat", 16),
        ("mode", 3),
        ("enforce", 1),
    ];
    while !sh.stopped() {
        for (name, small) in files {
            for piece in [small, 16384] {
                let how = if piece == 16384 {
                    "like cat (16 KiB reads until end of file)".to_owned()
                } else {
                    format!("{piece} bytes per read")
                };
                let mut torn = None;
                match read_in_pieces(name, piece) {
                    Err(e) => torn = Some(format!("{e}")),
                    Ok(text) if !well_formed(name, &text, sh, &fixed.counters) => {
                        torn = Some(format!("{text:?}"))
                    }
                    Ok(text) if name == "generation" => {
                        let g = text.trim().parse::<u64>().unwrap_or(0);
                        if g < last_gen {
                            torn = Some(format!("{g} after {last_gen}"));
                        }
                        last_gen = g;
                    }
                    Ok(text) if name == "stats" => {
                        for (k, v) in tcp_lsm_cli::parse_stats(&text).unwrap_or_default() {
                            let before = last_stats.insert(k.clone(), v).unwrap_or(0);
                            if v < before && torn.is_none() {
                                torn = Some(format!("{k} {v} after {before}"));
                            }
                        }
                    }
                    Ok(_) => {}
                }
                let i = match tally.iter().position(|t| t.file == name && t.how == how) {
                    Some(i) => i,
                    None => {
                        tally.push(Tally {
                            file: name,
                            how: how.clone(),
                            reads: 0,
                            torn: 0,
                            examples: Vec::new(),
                        });
                        tally.len() - 1
                    }
                };
                let entry = &mut tally[i];
                entry.reads += 1;
                if let Some(t) = torn {
                    entry.torn += 1;
                    if entry.examples.len() < 2 {
                        entry.examples.push(t);
                    }
                }
            }
        }
        sh.nap(rng.range(5, 20));
    }
    // The summaries first, then the examples.
    for t in tally.iter().filter(|t| t.torn > 0) {
        sh.fail(
            Cat::Torn,
            format!(
                "{} read {}: {} of {} reads gave no value the kernel had",
                t.file, t.how, t.torn, t.reads
            ),
        );
    }
    for t in &tally {
        for e in &t.examples {
            sh.fail(Cat::Torn, format!("e.g. {} read {}: {e}", t.file, t.how));
        }
    }
}

/// Reads of one file one way, by the piecewise reader.
struct Tally {
    file: &'static str,
    how: String,
    reads: u64,
    torn: u64,
    examples: Vec<String>,
}

/// Every few seconds, holds the events readers and makes a confined flood of denials,
/// more than the queue holds: the `lost=` accounting is exercised among the other events.
fn flooder(sh: &Shared, seed: u64) {
    let mut rng = Rng::new(seed);
    loop {
        sh.nap(rng.range(8000, 12000));
        if sh.stopped() {
            break;
        }
        sh.hold_events.store(true, Ordering::Relaxed);
        sleep_ms(300);
        let n = FLOOD;
        let out = crate::harness::run(
            PROBE,
            &[
                "exec-in",
                "stress_enf",
                PROBE,
                "flood",
                &n.to_string(),
                &format!("{ROOT}/secret/key"),
            ],
        );
        sh.hold_events.store(false, Ordering::Relaxed);
        match out {
            Ok((0, text, _)) if text.trim() == format!("denied={n}") => {
                sh.flood_denied.fetch_add(n, Ordering::Relaxed);
                sh.floods.fetch_add(1, Ordering::Relaxed);
            }
            other => sh.fail(
                Cat::Confined,
                format!("a flood of {n} denied opens in stress_enf: {other:?}"),
            ),
        }
    }
}

/// One event, as much of it as the checks need.
struct Ev {
    seq: u64,
    time: u64,
    /// The line as read, for the reports.
    line: String,
    class: String,
    decision: String,
    mode: String,
    domain: String,
    pid: u32,
    op: String,
}

/// What the events readers (and the final drains) got.
#[derive(Default)]
struct EvLog {
    events: Vec<Ev>,
    lost: u64,
}

impl EvLog {
    fn parse(&mut self, data: &[u8], sh: &Shared, who: &str) {
        if !data.ends_with(b"\n") {
            sh.fail(
                Cat::Events,
                format!("{who}: a read of events ended inside a line"),
            );
        }
        for line in String::from_utf8_lossy(data).lines() {
            match parse_line(line) {
                Ok(Line::Lost(n)) => self.lost += n,
                Ok(Line::Event(fields)) => {
                    let f: HashMap<String, String> = fields.into_iter().collect();
                    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
                    let Ok(seq) = get("seq").parse::<u64>() else {
                        sh.fail(
                            Cat::Events,
                            format!("{who}: event without a sequence number: {line}"),
                        );
                        continue;
                    };
                    self.events.push(Ev {
                        seq,
                        time: get("time").parse().unwrap_or(0),
                        line: line.to_owned(),
                        class: get("class"),
                        decision: get("decision"),
                        mode: get("mode"),
                        domain: get("domain"),
                        pid: get("pid").parse().unwrap_or(0),
                        op: get("op"),
                    });
                }
                Err(e) => sh.fail(Cat::Events, format!("{who}: events line {line:?}: {e}")),
            }
        }
    }
}

fn open_events() -> io::Result<fs::File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
        .open(path("events"))
}

/// Reads `events` until the run stops: with `poll` (then a read, which another reader may
/// have beaten to the events), or non-blocking reads and naps.
fn events_reader(sh: &Shared, use_poll: bool) -> EvLog {
    let who = if use_poll {
        "events reader (poll)"
    } else {
        "events reader (non-blocking)"
    };
    let mut log = EvLog::default();
    let mut file = match open_events() {
        Ok(f) => f,
        Err(e) => {
            sh.fail(Cat::Events, format!("{who}: open: {e}"));
            return log;
        }
    };
    let mut buf = vec![0u8; 65536];
    while !sh.stopped() {
        if sh.hold_events.load(Ordering::Relaxed) {
            sleep_ms(20);
            continue;
        }
        if use_poll {
            let mut fds = [nix::poll::PollFd::new(
                file.as_fd(),
                nix::poll::PollFlags::POLLIN,
            )];
            match nix::poll::poll(&mut fds, nix::poll::PollTimeout::from(200u16)) {
                Ok(0) => continue,
                Ok(_) => {}
                Err(Errno::EINTR) => continue,
                Err(e) => {
                    sh.fail(Cat::Events, format!("{who}: poll: {e}"));
                    return log;
                }
            }
        }
        match file.read(&mut buf) {
            Ok(0) => {
                sh.fail(Cat::Events, format!("{who}: end of file on a stream"));
                return log;
            }
            Ok(n) => log.parse(&buf[..n], sh, who),
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                if !use_poll {
                    sleep_ms(20);
                }
            }
            Err(e) => {
                sh.fail(Cat::Events, format!("{who}: read: {e}"));
                return log;
            }
        }
    }
    log
}

/// Everything queued in `events` now.
fn drain(sh: &Shared, who: &str) -> EvLog {
    let mut log = EvLog::default();
    let mut buf = vec![0u8; 65536];
    match open_events() {
        Ok(mut file) => loop {
            match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => log.parse(&buf[..n], sh, who),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => {
                    sh.fail(Cat::Events, format!("{who}: read events: {e}"));
                    break;
                }
            }
        },
        Err(e) => sh.fail(Cat::Events, format!("{who}: open events: {e}")),
    }
    log
}

// ---------------------------------------------------------------------------------------
// Timelines.

struct Timeline {
    /// Refreshes sorted by end, with the latest start among those ending so far.
    by_end: Vec<(u64, u64)>,
    /// Refreshes sorted by start, with the latest end among those starting so far.
    by_start: Vec<(u64, u64)>,
    modes: Vec<(u64, u64, Mode)>,
}

impl Timeline {
    fn new(mut refreshes: Vec<(u64, u64)>, mut modes: Vec<(u64, u64, Mode)>) -> Timeline {
        refreshes.sort_by_key(|r| r.1);
        let mut max_start = 0;
        let by_end = refreshes
            .iter()
            .map(|&(s, e)| {
                max_start = max_start.max(s);
                (e, max_start)
            })
            .collect();
        refreshes.sort_by_key(|r| r.0);
        let mut max_end = 0;
        let by_start = refreshes
            .iter()
            .map(|&(s, e)| {
                max_end = max_end.max(e);
                (s, max_end)
            })
            .collect();
        modes.sort_by_key(|m| m.0);
        Timeline {
            by_end,
            by_start,
            modes,
        }
    }

    /// The latest start of a refresh that surely happened before `s`.
    fn surely_before(&self, s: u64) -> Option<u64> {
        let i = self.by_end.partition_point(|&(end, _)| end <= s);
        i.checked_sub(1).map(|i| self.by_end[i].1)
    }

    /// The latest time a refresh that started before `e` can have happened.
    fn possibly_before(&self, e: u64) -> Option<u64> {
        let i = self.by_start.partition_point(|&(start, _)| start <= e);
        i.checked_sub(1).map(|i| self.by_start[i].1)
    }

    /// Whether the heartbeat is fresh all through `[s, e]` (with the margin).
    fn fresh(&self, s: u64, e: u64) -> bool {
        self.surely_before(s)
            .is_some_and(|r| r + HB_TIMEOUT_NS >= e + MARGIN_NS)
    }

    /// Whether it is stale all through `[s, e]` (with the margin).
    fn stale(&self, s: u64, e: u64) -> bool {
        self.possibly_before(e)
            .is_some_and(|r| s > r + HB_TIMEOUT_NS + MARGIN_NS)
    }

    /// The modes that may have been in force at some moment of `[s, e]`.
    fn modes(&self, s: u64, e: u64) -> BTreeSet<u8> {
        let i = self.modes.partition_point(|m| m.1 <= s);
        let mut set = BTreeSet::new();
        if let Some(last) = i.checked_sub(1) {
            set.insert(self.modes[last].2 as u8);
        }
        for m in self.modes[i..].iter().take_while(|m| m.0 <= e) {
            set.insert(m.2 as u8);
        }
        set
    }
}

// ---------------------------------------------------------------------------------------
// The run.

/// One worker process as started.
struct Spawned {
    kind: Kind,
    idx: usize,
    pid: u32,
    started: u64,
    wait: JoinHandle<io::Result<std::process::Output>>,
}

/// What a worker reported.
struct WorkerLog {
    kind: Kind,
    idx: usize,
    pid: u32,
    /// When it was started, and why it failed if it did.
    started: u64,
    failure: Option<String>,
    ops: Vec<(usize, u64, u64, String)>,
    rounds: u64,
}

/// Observations summed over the workers, by class.
#[derive(Default)]
struct Observed {
    denied: HashMap<(&'static str, &'static str), u64>,
    would_deny: HashMap<&'static str, u64>,
    allowed: HashMap<&'static str, u64>,
    ops: u64,
    stale_checked: u64,
    fresh_checked: u64,
    lax_checked: u64,
    unconfined_ops: u64,
}

/// The result of the run, for the tests after the first.
struct Report {
    violations: HashMap<Cat, (u64, Vec<String>)>,
}

static REPORT: Mutex<Option<Report>> = Mutex::new(None);

fn stress_run() -> Outcome {
    let begin = now_ns();
    let seconds = SECONDS.load(Ordering::Relaxed).max(1);
    let sh = match setup(begin) {
        Ok(sh) => sh,
        Err(e) => {
            *lock(&REPORT) = None;
            let _ = restore(None);
            return Err(format!("setup: {e}"));
        }
    };
    let (sh, fixed, blobs, ipc, listeners) = sh;
    let result = run(&sh, &fixed, &blobs, &ipc, listeners, begin, seconds);
    if let Err(e) = &result {
        sh.fail(Cat::Run, e.clone());
        // The run stopped before its own restoration (nothing of it runs any more).
        if let Err(e) = restore(Some(&ipc)) {
            sh.fail(Cat::Restore, e);
        }
    }
    let elapsed = now_ns().saturating_sub(begin);
    if elapsed > (seconds + 10) * 1_000_000_000 {
        sh.fail(
            Cat::Run,
            format!(
                "the suite took {} for --seconds {seconds}",
                secs(elapsed, 0)
            ),
        );
    }
    let violations = std::mem::take(&mut *lock(&sh.violations));
    let run_failures = violations.get(&Cat::Run).map(|v| v.1.clone());
    *lock(&REPORT) = Some(Report { violations });
    match run_failures {
        Some(list) if !list.is_empty() => Err(list.join("; ")),
        _ => Ok(()),
    }
}

type Setup = (
    Arc<Shared>,
    Arc<Fixed>,
    Arc<Vec<Vec<u8>>>,
    [String; 3],
    Vec<Listener>,
);

/// A listener of the run and how to wake its accepting thread.
enum Listener {
    Tcp(TcpListener, u16),
    Unix(UnixListener, &'static str),
}

fn setup(begin: u64) -> Result<Setup, String> {
    let _ = fs::remove_dir_all(ROOT);
    for dir in ["bin", "rw", "ro", "secret"] {
        fs::create_dir_all(format!("{ROOT}/{dir}")).map_err(|e| format!("mkdir {dir}: {e}"))?;
    }
    let me = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    for kind in [Kind::Enf, Kind::Follow, Kind::Free] {
        fs::copy(&me, kind.binary()).map_err(|e| format!("copy the worker binary: {e}"))?;
        fs::set_permissions(kind.binary(), fs::Permissions::from_mode(0o755))
            .map_err(|e| e.to_string())?;
    }
    fs::write(format!("{ROOT}/ro/shared"), "shared\n").map_err(|e| e.to_string())?;
    fs::write(format!("{ROOT}/secret/key"), "secret\n").map_err(|e| e.to_string())?;
    for w in 0..10 {
        fs::create_dir_all(format!("{ROOT}/rw/w{w}")).map_err(|e| e.to_string())?;
        fs::create_dir_all(format!("{ROOT}/ro/w{w}")).map_err(|e| e.to_string())?;
        fs::write(format!("{ROOT}/ro/w{w}/v"), "victim\n").map_err(|e| e.to_string())?;
    }
    let blobs: Vec<Vec<u8>> = (0..3)
        .map(|v| compile(&format!("stress-{v}.policy"), &policy_text(v, true)))
        .collect::<Result<_, _>>()?;
    let known = known_hashes(&blobs)?;
    // The policy in force at the start, the mode, one heartbeat.
    load_whole(&blobs[0]).map_err(|e| format!("load the stress policy: {e}"))?;
    let setup_done = now_ns();
    write_file("mode", "enforce").map_err(|e| format!("mode enforce: {e}"))?;
    let mode_set = now_ns();
    // SysV objects made by an unconfined task, used by id in the workers.
    let (code, out, err) = crate::harness::run(PROBE, &["ipc-make", IPC_KEY])?;
    let ids: Vec<String> = out.split_whitespace().map(str::to_owned).collect();
    let ipc: [String; 3] = match ids.as_slice() {
        [q, m, s] if code == 0 => [m.clone(), s.clone(), q.clone()],
        _ => return Err(format!("ipc-make: {code} {out:?} {err:?}")),
    };
    let listeners = vec![
        Listener::Tcp(
            TcpListener::bind(("127.0.0.1", TCP_OK))
                .map_err(|e| format!("listen {TCP_OK}: {e}"))?,
            TCP_OK,
        ),
        Listener::Tcp(
            TcpListener::bind(("127.0.0.1", TCP_NO))
                .map_err(|e| format!("listen {TCP_NO}: {e}"))?,
            TCP_NO,
        ),
        Listener::Unix(
            UnixListener::bind(SOCK_OK).map_err(|e| format!("bind {SOCK_OK}: {e}"))?,
            SOCK_OK,
        ),
        Listener::Unix(
            UnixListener::bind(SOCK_NO).map_err(|e| format!("bind {SOCK_NO}: {e}"))?,
            SOCK_NO,
        ),
    ];
    let hardware = list(&path("hardware")).unwrap_or_default();
    let hardware_values = hardware
        .iter()
        .map(|h| {
            (
                h.clone(),
                read_text(&format!("hardware/{h}")).unwrap_or_default(),
            )
        })
        .collect();
    let gen0: u64 = read_text("generation")
        .map_err(|e| e.to_string())?
        .trim()
        .parse()
        .map_err(|_| "generation")?;
    let counters = tcp_lsm_cli::parse_stats(&read_once("stats").map_err(|e| e.to_string())?)
        .map_err(|e| format!("stats: {e:?}"))?
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    let fixed = Fixed {
        names: list(DIR).map_err(|e| format!("list {DIR}: {e}"))?,
        counters,
        hardware,
        hardware_values,
        anomaly: read_text("anomaly_threshold").map_err(|e| e.to_string())?,
        gen0,
    };
    let sh = Shared {
        stop: AtomicBool::new(false),
        base_ns: begin,
        gate: RwLock::new(()),
        refreshes: Mutex::new(vec![(begin, setup_done)]),
        modes: Mutex::new(vec![(setup_done, mode_set, Mode::Enforce)]),
        readings: Mutex::new(Vec::new()),
        violations: Mutex::new(HashMap::new()),
        known,
        whole_ok: AtomicU64::new(0),
        chunked_ok: AtomicU64::new(0),
        cli_ok: AtomicU64::new(0),
        cli_absent: AtomicU64::new(0),
        rejected: AtomicU64::new(0),
        abandoned: AtomicU64::new(0),
        beats: AtomicU64::new(0),
        quiet_windows: AtomicU64::new(0),
        mode_writes: AtomicU64::new(0),
        reader_rounds: AtomicU64::new(0),
        hold_events: AtomicBool::new(false),
        floods: AtomicU64::new(0),
        flood_denied: AtomicU64::new(0),
    };
    beat(&sh);
    Ok((
        Arc::new(sh),
        Arc::new(fixed),
        Arc::new(blobs),
        ipc,
        listeners,
    ))
}

/// One denial in `stress_enf`, made while nothing else runs: its sequence number bounds
/// the run's events.
fn marker(sh: &Shared) -> Result<(), String> {
    let (code, out, err) = crate::harness::run(
        PROBE,
        &[
            "exec-in",
            "stress_enf",
            PROBE,
            "read",
            &format!("{ROOT}/secret/key"),
        ],
    )?;
    if code != 0 || out.trim() != "errno=EACCES" {
        sh.fail(
            Cat::Run,
            format!("marker denial in stress_enf: exit {code}, {out:?} {err:?}"),
        );
    }
    Ok(())
}

fn stats_now() -> Result<HashMap<String, u64>, String> {
    let text = read_text("stats").map_err(|e| format!("stats: {e}"))?;
    Ok(tcp_lsm_cli::parse_stats(&text)
        .map_err(|e| format!("stats: {e:?}"))?
        .into_iter()
        .collect())
}

fn run(
    sh: &Arc<Shared>,
    fixed: &Arc<Fixed>,
    blobs: &Arc<Vec<Vec<u8>>>,
    ipc: &[String; 3],
    listeners: Vec<Listener>,
    begin: u64,
    seconds: u64,
) -> Result<(), String> {
    // Events before the run: everything drained (so that the marker cannot be dropped),
    // a marker, drained too.
    drain(sh, "drain before the marker");
    marker(sh)?;
    let before = drain(sh, "initial drain");
    let seq0 = before
        .events
        .iter()
        .map(|e| e.seq)
        .max()
        .ok_or("the marker denial queued no event")?;
    let stats0 = stats_now()?;
    let cpus = thread::available_parallelism().map_or(2, std::num::NonZero::get);
    // The stress itself: what is left of the bound, minus time for the checks.
    let spent = now_ns().saturating_sub(begin) / 1_000_000;
    let run_ms = (seconds * 1000).saturating_sub(spent + 3500).max(4000);
    let deadline = now_ns() + run_ms * 1_000_000;

    let mut threads: Vec<(String, JoinHandle<()>)> = Vec::new();
    let mut spawn = |name: &str, f: Box<dyn FnOnce() + Send>| match thread::Builder::new()
        .name(name.to_owned())
        .spawn(f)
    {
        Ok(h) => threads.push((name.to_owned(), h)),
        Err(e) => sh.fail(Cat::Run, format!("spawn thread {name}: {e}")),
    };
    let mut wake = Vec::new();
    for listener in listeners {
        match listener {
            Listener::Tcp(l, port) => {
                wake.push(format!("tcp:{port}"));
                let s = Arc::clone(sh);
                spawn(
                    &format!("accept-{port}"),
                    Box::new(move || {
                        for conn in l.incoming() {
                            if s.stopped() {
                                break;
                            }
                            drop(conn);
                        }
                    }),
                );
            }
            Listener::Unix(l, name) => {
                wake.push(format!("unix:{name}"));
                let s = Arc::clone(sh);
                spawn(
                    &format!("accept-{name}"),
                    Box::new(move || {
                        for conn in l.incoming() {
                            if s.stopped() {
                                break;
                            }
                            drop(conn);
                        }
                    }),
                );
            }
        }
    }
    for seed in 1..=2u64 {
        let (s, b) = (Arc::clone(sh), Arc::clone(blobs));
        spawn(
            &format!("load-whole-{seed}"),
            Box::new(move || whole_loader(&s, &b, seed)),
        );
    }
    {
        let (s, b) = (Arc::clone(sh), Arc::clone(blobs));
        spawn("load-chunked", Box::new(move || chunked_loader(&s, &b, 3)));
        let (s, b) = (Arc::clone(sh), Arc::clone(blobs));
        spawn(
            "load-abandoned",
            Box::new(move || abandoning_loader(&s, &b, 4)),
        );
        let (s, b) = (Arc::clone(sh), Arc::clone(blobs));
        spawn(
            "load-rejected",
            Box::new(move || rejecting_loader(&s, &b, 5)),
        );
        for rule in 0..CLI_RULES.len() {
            let s = Arc::clone(sh);
            spawn(
                &format!("cli-{rule}"),
                Box::new(move || cli_editor(&s, rule, 6 + rule as u64)),
            );
        }
        let s = Arc::clone(sh);
        spawn("modes", Box::new(move || mode_switcher(&s, 9)));
        let s = Arc::clone(sh);
        spawn("heartbeat", Box::new(move || beater(&s)));
        for seed in 10..12u64 {
            let (s, f) = (Arc::clone(sh), Arc::clone(fixed));
            spawn(
                &format!("reader-{seed}"),
                Box::new(move || securityfs_reader(&s, &f, seed)),
            );
        }
        let (s, f) = (Arc::clone(sh), Arc::clone(fixed));
        spawn(
            "reader-pieces",
            Box::new(move || piecewise_reader(&s, &f, 12)),
        );
        let s = Arc::clone(sh);
        spawn("flooder", Box::new(move || flooder(&s, 13)));
    }
    let mut ev_threads = Vec::new();
    for use_poll in [true, false] {
        let s = Arc::clone(sh);
        match thread::Builder::new()
            .name("events".to_owned())
            .spawn(move || events_reader(&s, use_poll))
        {
            Ok(h) => ev_threads.push(h),
            Err(e) => sh.fail(Cat::Run, format!("spawn an events reader: {e}")),
        }
    }

    // The workers: at least as many as CPUs, half of them confined in each domain.
    let per_domain = cpus.div_ceil(2).clamp(2, 3);
    let mut kinds = Vec::new();
    kinds.extend(std::iter::repeat_n(Kind::Enf, per_domain));
    kinds.extend(std::iter::repeat_n(Kind::Follow, per_domain));
    kinds.extend(std::iter::repeat_n(
        Kind::Free,
        cpus.div_ceil(2).clamp(2, 3),
    ));
    let worker_ms = deadline.saturating_sub(now_ns()) / 1_000_000;
    let mut spawned = Vec::new();
    for (idx, kind) in kinds.into_iter().enumerate() {
        let args = [
            "__stress".to_owned(),
            "worker".to_owned(),
            kind.name().to_owned(),
            idx.to_string(),
            worker_ms.to_string(),
            ipc[0].clone(),
            ipc[1].clone(),
            ipc[2].clone(),
        ];
        let mut cmd = match kind {
            // By the exec transition of its own copy.
            Kind::Enf | Kind::Free => Command::new(kind.binary()),
            // By lsm_set_self_attr(LSM_ATTR_EXEC) from the (unconfined) probe.
            Kind::Follow => {
                let mut c = Command::new(PROBE);
                c.args(["exec-in", "stress_follow", &kind.binary()]);
                c
            }
        };
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        match cmd.spawn() {
            Ok(child) => {
                let pid = child.id();
                let started = now_ns();
                match thread::Builder::new()
                    .name(format!("wait-{idx}"))
                    .spawn(move || child.wait_with_output())
                {
                    Ok(wait) => spawned.push(Spawned {
                        kind,
                        idx,
                        pid,
                        started,
                        wait,
                    }),
                    Err(e) => sh.fail(Cat::Run, format!("spawn a waiter: {e}")),
                }
            }
            Err(e) => sh.fail(Cat::Run, format!("start worker {idx} ({kind:?}): {e}")),
        }
    }

    // Until the deadline; then the workers end by themselves (bounded wait).
    while now_ns() < deadline {
        sleep_ms(100);
    }
    let mut logs = Vec::new();
    let hard = deadline + 20_000_000_000;
    for s in spawned {
        while !s.wait.is_finished() && now_ns() < hard {
            sleep_ms(50);
        }
        if !s.wait.is_finished() {
            sh.fail(
                Cat::Run,
                format!(
                    "worker {} ({:?}, pid {}) still running 20 s after the deadline: killed",
                    s.idx, s.kind, s.pid
                ),
            );
            let _ = kill(
                Pid::from_raw(i32::try_from(s.pid).unwrap_or(0)),
                Signal::SIGKILL,
            );
        }
        match s.wait.join() {
            Ok(Ok(out)) => {
                let mut log = parse_worker(sh, (s.kind, s.idx, s.pid), &out.stdout);
                log.started = s.started;
                if !out.status.success() {
                    log.failure = Some(format!(
                        "ended with {}: {}",
                        out.status,
                        String::from_utf8_lossy(&out.stderr).trim()
                    ));
                } else if log.rounds == 0 {
                    log.failure = Some("did not complete one round of operations".to_owned());
                }
                logs.push(log);
            }
            Ok(Err(e)) => sh.fail(Cat::Run, format!("worker {} ({:?}): {e}", s.idx, s.kind)),
            Err(_) => sh.fail(Cat::Run, format!("waiter of worker {} panicked", s.idx)),
        }
    }
    sh.stop.store(true, Ordering::Relaxed);
    // Wake the accepting threads.
    for w in &wake {
        if let Some(port) = w.strip_prefix("tcp:") {
            let _ = TcpStream::connect(format!("127.0.0.1:{port}"));
        } else if let Some(name) = w.strip_prefix("unix:") {
            let _ = UnixStream::connect(name);
        }
    }
    for (name, h) in threads {
        if h.join().is_err() {
            sh.fail(Cat::Run, format!("thread {name} panicked"));
        }
    }
    let mut logs_ev = Vec::new();
    for h in ev_threads {
        match h.join() {
            Ok(log) => logs_ev.push(log),
            Err(_) => sh.fail(Cat::Run, "an events reader panicked".to_owned()),
        }
    }
    let run_end = now_ns();

    // After: the rest of the queue, the counters, a closing marker.
    let rest = drain(sh, "final drain");
    let stats1 = stats_now()?;
    let gen1: u64 = read_text("generation")
        .map_err(|e| e.to_string())?
        .trim()
        .parse()
        .map_err(|_| "generation")?;
    marker(sh)?;
    let closing = drain(sh, "marker drain");
    let seq1 = closing
        .events
        .iter()
        .map(|e| e.seq)
        .min()
        .ok_or("the closing marker queued no event")?;

    // Put everything back before checking.
    let restored = restore(Some(ipc));
    if let Err(e) = restored {
        sh.fail(Cat::Restore, e);
    }

    let timeline = Timeline::new(lock(&sh.refreshes).clone(), lock(&sh.modes).clone());
    let mut all_events = logs_ev;
    all_events.push(rest);
    let mut by_time: Vec<&Ev> = all_events.iter().flat_map(|l| l.events.iter()).collect();
    by_time.sort_by_key(|e| e.time);
    for (log, failure) in logs
        .iter()
        .filter_map(|l| l.failure.as_ref().map(|f| (l, f)))
    {
        // What the kernel refused the worker around its start, to say why it failed.
        let seen = kernel_events(
            &by_time,
            log.kind.domain(),
            log.started,
            log.started + 5_000_000_000,
        );
        sh.fail(
            Cat::Run,
            format!("worker {} ({:?}): {failure}{seen}", log.idx, log.kind),
        );
    }
    let mut observed = judge_workers(sh, &timeline, &logs, &by_time);
    *observed.denied.entry(("stress_enf", "file")).or_default() +=
        sh.flood_denied.load(Ordering::Relaxed);
    judge_readings(sh, &timeline);
    judge_events(
        sh,
        &observed,
        &all_events,
        &logs,
        (seq0, seq1),
        (&stats0, &stats1),
    );
    judge_loads(sh, fixed.gen0, gen1, (&stats0, &stats1));
    if run_ms >= 20_000 && observed.stale_checked == 0 {
        sh.fail(Cat::Confined, "no network operation of a confined worker fell in a surely stale heartbeat window: expiry not exercised".to_owned());
    }
    let (read, lost) = all_events
        .iter()
        .fold((0, 0), |(r, l), log| (r + log.events.len(), l + log.lost));
    println!(
        "# stress: {} of stress on {cpus} CPUs, {} workers: {} operations ({} of unconfined workers); heartbeat: {} beats, {} silences, {} network ops checked while surely stale, {} while surely fresh; {} mode switches ({} follower ops while surely not enforcing)",
        secs(run_end, deadline - run_ms * 1_000_000),
        logs.len(),
        observed.ops,
        observed.unconfined_ops,
        sh.beats.load(Ordering::Relaxed),
        sh.quiet_windows.load(Ordering::Relaxed),
        observed.stale_checked,
        observed.fresh_checked,
        sh.mode_writes.load(Ordering::Relaxed),
        observed.lax_checked,
    );
    println!(
        "# stress: loads: {} whole, {} chunked, {} by tcp-policy add/delete ({} deletes found their rule gone), {} rejected, {} abandoned; {} reader rounds; {} floods of {FLOOD} denials; {} events read, {} lost; the suite took {}",
        sh.whole_ok.load(Ordering::Relaxed),
        sh.chunked_ok.load(Ordering::Relaxed),
        sh.cli_ok.load(Ordering::Relaxed),
        sh.cli_absent.load(Ordering::Relaxed),
        sh.rejected.load(Ordering::Relaxed),
        sh.abandoned.load(Ordering::Relaxed),
        sh.reader_rounds.load(Ordering::Relaxed),
        sh.floods.load(Ordering::Relaxed),
        read,
        lost,
        secs(now_ns(), begin),
    );
    Ok(())
}

fn parse_worker(sh: &Shared, (kind, idx, pid): (Kind, usize, u32), stdout: &[u8]) -> WorkerLog {
    let mut log = WorkerLog {
        kind,
        idx,
        pid,
        started: 0,
        failure: None,
        ops: Vec::new(),
        rounds: 0,
    };
    for line in String::from_utf8_lossy(stdout).lines() {
        let words: Vec<&str> = line.split(' ').collect();
        match words[..] {
            ["op", i, start, end, result] => match (i.parse::<usize>(), start.parse(), end.parse())
            {
                (Ok(i), Ok(start), Ok(end)) if i < OPS.len() => {
                    log.ops.push((i, start, end, result.to_owned()))
                }
                _ => sh.fail(Cat::Run, format!("worker {idx}: bad line {line:?}")),
            },
            ["pid", reported] => {
                if reported.parse::<u32>().ok() != Some(pid) {
                    sh.fail(
                        Cat::Run,
                        format!("worker {idx}: runs as pid {reported}, started as {pid}"),
                    );
                }
            }
            ["rounds", n] => log.rounds = n.parse().unwrap_or(0),
            _ => sh.fail(Cat::Run, format!("worker {idx}: bad line {line:?}")),
        }
    }
    log
}

/// The events of `domain` made in `[start, end]` (at most three), for a report.
fn kernel_events(by_time: &[&Ev], domain: &str, start: u64, end: u64) -> String {
    let from = by_time.partition_point(|e| e.time < start);
    let found: Vec<String> = by_time[from..]
        .iter()
        .take_while(|e| e.time <= end)
        .filter(|e| e.domain == domain)
        .take(3)
        .map(|e| {
            e.line
                .split(' ')
                .filter(|f| !f.starts_with("seq=") && !f.starts_with("time="))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    if found.is_empty() {
        String::new()
    } else {
        format!(" [kernel: {}]", found.join("; "))
    }
}

/// Checks every operation of every worker; returns what they observed.
fn judge_workers(sh: &Shared, tl: &Timeline, logs: &[WorkerLog], by_time: &[&Ev]) -> Observed {
    let mut obs = Observed::default();
    let enforce = Mode::Enforce as u8;
    for log in logs {
        for (i, start, end, result) in &log.ops {
            let (start, end) = (*start, *end);
            let def = OPS[*i];
            if result == "skip" {
                continue;
            }
            obs.ops += 1;
            let at = format!("{}..{}", sh.t(start), sh.t(end));
            let who = format!(
                "worker {} ({}, pid {})",
                log.idx,
                log.kind.domain(),
                log.pid
            );
            if log.kind == Kind::Free {
                obs.unconfined_ops += 1;
                if result != "ok" {
                    sh.fail(
                        Cat::Unconfined,
                        format!("{who}: {} refused: {result} at {at}", def.name),
                    );
                }
                continue;
            }
            let modes = tl.modes(start, end);
            // Whether the mode that applies surely enforces, or surely does not.
            let (sure_enforce, sure_lax) = match log.kind {
                Kind::Enf => (true, false),
                _ => (
                    modes.len() == 1 && modes.contains(&enforce),
                    !modes.contains(&enforce),
                ),
            };
            if sure_lax {
                obs.lax_checked += 1;
            }
            let net = def.class == "net";
            let (fresh, stale) = if net {
                (tl.fresh(start, end), tl.stale(start, end))
            } else {
                (true, false)
            };
            if net && stale {
                obs.stale_checked += 1;
            }
            if net && fresh {
                obs.fresh_checked += 1;
            }
            let denied = *result == def.errno;
            let ok = result == "ok";
            let heartbeat = if !net {
                String::new()
            } else if fresh {
                ", heartbeat surely fresh".to_owned()
            } else if stale {
                ", heartbeat surely stale".to_owned()
            } else {
                ", heartbeat in transition".to_owned()
            };
            let mode_note = format!("mode {}{heartbeat}", mode_names(&modes, log.kind));
            let expect: &[&str] = if def.forbidden {
                if sure_enforce {
                    &["denied"]
                } else if sure_lax {
                    &["ok"]
                } else {
                    // The mode changed during the operation: an exec may even be let in
                    // and then stopped half-way.
                    &["denied", "ok", "other"]
                }
            } else if !net || fresh {
                &["ok"]
            } else if stale && sure_enforce {
                &["denied"]
            } else if stale && sure_lax {
                &["ok"]
            } else {
                &["denied", "ok"]
            };
            let got = if ok {
                "ok"
            } else if denied {
                "denied"
            } else {
                "other"
            };
            if !expect.contains(&got) {
                let what = match (def.forbidden, got) {
                    (true, "ok") => "FORBIDDEN operation succeeded",
                    (false, _) if got != "ok" => "allowed operation failed",
                    (true, "other") => "forbidden operation failed with the wrong errno",
                    _ => "operation was not denied",
                };
                let seen = kernel_events(by_time, log.kind.domain(), start, end);
                sh.fail(
                    Cat::Confined,
                    format!(
                        "{who}: {}: {what}: {result} (expected {}) at {at}, {mode_note}{seen}",
                        def.name,
                        if expect == ["ok"] {
                            "ok".to_owned()
                        } else {
                            def.errno.to_owned()
                        }
                    ),
                );
            }
            let domain = log.kind.domain();
            if denied {
                *obs.denied.entry((domain, def.class)).or_default() += 1;
            } else if ok && def.forbidden {
                *obs.would_deny.entry(def.class).or_default() += 1;
            } else if ok && fresh {
                // (A stale network decision let through by the mode is a would-be denial.)
                *obs.allowed.entry(def.class).or_default() += 1;
            }
        }
    }
    obs
}

fn mode_names(modes: &BTreeSet<u8>, kind: Kind) -> String {
    if kind == Kind::Enf {
        return "enforce (the domain's)".to_owned();
    }
    let names: Vec<&str> = Mode::ALL
        .iter()
        .filter(|m| modes.contains(&(**m as u8)))
        .map(|m| m.name())
        .collect();
    names.join("|")
}

fn judge_readings(sh: &Shared, tl: &Timeline) {
    let readings = std::mem::take(&mut *lock(&sh.readings));
    for (start, end, reading) in readings {
        let possible = tl.modes(start, end);
        let at = sh.t(start);
        match reading {
            Reading::Mode(text) => match Mode::parse(text.as_bytes()) {
                Ok(m) if possible.contains(&(m as u8)) => {}
                other => sh.fail(
                    Cat::Readers,
                    format!(
                        "mode read {text:?} ({other:?}) at {at}, while the switcher had set {}",
                        mode_names(&possible, Kind::Follow)
                    ),
                ),
            },
            Reading::Enforce(text) => {
                let fine = match text.as_str() {
                    "1\n" => possible.contains(&(Mode::Enforce as u8)),
                    "0\n" => possible.iter().any(|&m| m != Mode::Enforce as u8),
                    _ => false,
                };
                if !fine {
                    sh.fail(
                        Cat::Readers,
                        format!(
                            "enforce read {text:?} at {at}, while the switcher had set {}",
                            mode_names(&possible, Kind::Follow)
                        ),
                    );
                }
            }
            Reading::Heartbeat(text) => {
                let fields: HashMap<&str, &str> = text
                    .split_whitespace()
                    .filter_map(|w| w.split_once('='))
                    .collect();
                let age: Option<u64> = fields.get("age_ms").and_then(|a| a.parse().ok());
                let stale = fields.get("stale").copied();
                if fields.get("timeout_ms") != Some(&"1000")
                    || fields.get("action") != Some(&"deny-network")
                    || age.is_none()
                    || !matches!(stale, Some("0" | "1"))
                {
                    sh.fail(Cat::Readers, format!("heartbeat read {text:?} at {at}"));
                    continue;
                }
                let age_ns = age.unwrap_or(0) * 1_000_000;
                if stale == Some("1") && tl.fresh(start, end) {
                    sh.fail(Cat::Readers, format!("heartbeat read stale ({text:?}) at {at}, less than the timeout after a heartbeat"));
                }
                if stale == Some("0") && tl.stale(start, end) {
                    sh.fail(Cat::Readers, format!("heartbeat read fresh ({text:?}) at {at}, more than the timeout after the last heartbeat"));
                }
                // The age is at most the time since the last heartbeat surely made, and at
                // least the time since the last one that can have been made.
                if let Some(r) = tl.surely_before(start) {
                    if age_ns > end.saturating_sub(r) + MARGIN_NS {
                        sh.fail(
                            Cat::Readers,
                            format!(
                                "heartbeat age {text:?} at {at}, but a heartbeat came at {}",
                                sh.t(r)
                            ),
                        );
                    }
                }
                if let Some(r) = tl.possibly_before(end) {
                    if age_ns + MARGIN_NS < start.saturating_sub(r) {
                        sh.fail(
                            Cat::Readers,
                            format!(
                                "heartbeat age {text:?} at {at}, but none came after {}",
                                sh.t(r)
                            ),
                        );
                    }
                }
            }
        }
    }
}

fn delta(before: &HashMap<String, u64>, after: &HashMap<String, u64>, name: &str) -> u64 {
    after
        .get(name)
        .copied()
        .unwrap_or(0)
        .wrapping_sub(before.get(name).copied().unwrap_or(0))
}

const CLASSES: [&str; 8] = [
    "file",
    "net",
    "capability",
    "signal",
    "ptrace",
    "ipc",
    "system",
    "process",
];

fn judge_events(
    sh: &Shared,
    obs: &Observed,
    logs: &[EvLog],
    workers: &[WorkerLog],
    (seq0, seq1): (u64, u64),
    (s0, s1): (&HashMap<String, u64>, &HashMap<String, u64>),
) {
    let fail = |what: String| sh.fail(Cat::Events, what);
    let events: Vec<&Ev> = logs.iter().flat_map(|l| l.events.iter()).collect();
    let lost: u64 = logs.iter().map(|l| l.lost).sum();
    // No event read twice, every one between the markers.
    let mut seen = HashSet::new();
    for e in &events {
        if !seen.insert(e.seq) {
            fail(format!("event seq={} read twice", e.seq));
        }
        if e.seq <= seq0 || e.seq >= seq1 {
            fail(format!(
                "event seq={} outside the run's markers ({seq0}, {seq1})",
                e.seq
            ));
        }
    }
    let made = seq1 - seq0 - 1;
    if events.len() as u64 + lost != made {
        fail(format!(
            "{} events read + {lost} lost, but {made} denials were numbered between the markers",
            events.len()
        ));
    }
    let queued = delta(s0, s1, "events.queued");
    let dropped = delta(s0, s1, "events.dropped");
    if (queued, dropped) != (events.len() as u64, lost) {
        fail(format!("events.queued +{queued} and events.dropped +{dropped}, but {} read and {lost} reported lost", events.len()));
    }
    let audit_off = fs::read_to_string("/proc/cmdline")
        .unwrap_or_default()
        .split_whitespace()
        .any(|w| w == "tcp_lsm.audit=0");
    let (records, audit_dropped) = (
        delta(s0, s1, "audit.records"),
        delta(s0, s1, "audit.dropped"),
    );
    if audit_off {
        if records + audit_dropped != 0 {
            fail(format!(
                "audit records with tcp_lsm.audit=0: {records} + {audit_dropped}"
            ));
        }
    } else if records + audit_dropped != queued + dropped {
        fail(format!("audit.records +{records} and audit.dropped +{audit_dropped} do not add up to the {} events made", queued + dropped));
    }
    // Events and decisions: every refused decision but quiet capability probes is
    // reported; would-be denials are reported in alert mode only.
    let denied: u64 = CLASSES
        .iter()
        .map(|c| delta(s0, s1, &format!("decision.{c}.denied")))
        .sum();
    let denied_cap = delta(s0, s1, "decision.capability.denied");
    let would: u64 = CLASSES
        .iter()
        .map(|c| delta(s0, s1, &format!("decision.{c}.would_deny")))
        .sum();
    if queued + dropped < denied - denied_cap || queued + dropped > denied + would {
        fail(format!("{} events made, for {denied} denials ({denied_cap} of capabilities) and {would} would-be denials", queued + dropped));
    }
    // Which events may exist at all.
    let free_pids: HashSet<u32> = workers
        .iter()
        .filter(|w| w.kind == Kind::Free)
        .map(|w| w.pid)
        .collect();
    for e in &events {
        let fine = matches!(
            (e.domain.as_str(), e.decision.as_str(), e.mode.as_str()),
            ("stress_enf", "deny", "enforce")
                | ("stress_follow", "deny", "enforce")
                | ("stress_follow", "allow", "alert")
        );
        if !fine {
            fail(format!(
                "event seq={} op={} class={} domain={} decision={} mode={} pid={}",
                e.seq, e.op, e.class, e.domain, e.decision, e.mode, e.pid
            ));
        }
        if free_pids.contains(&e.pid) {
            fail(format!(
                "event seq={} names pid {} of an unconfined worker (op={})",
                e.seq, e.pid, e.op
            ));
        }
    }
    // At least what the workers saw, class by class.
    for class in ["file", "net", "signal", "ipc"] {
        let seen_denied = obs
            .denied
            .iter()
            .filter(|((_, c), _)| *c == class)
            .map(|(_, n)| n)
            .sum::<u64>();
        let counted = delta(s0, s1, &format!("decision.{class}.denied"));
        if counted < seen_denied {
            fail(format!("decision.{class}.denied +{counted}, but the workers saw {seen_denied} {class} denials"));
        }
        let reported = events
            .iter()
            .filter(|e| e.class == class && e.decision == "deny")
            .count() as u64;
        if reported + lost < seen_denied {
            fail(format!("{reported} {class} deny events read (+{lost} lost), but the workers saw {seen_denied} {class} denials"));
        }
        let seen_would = obs.would_deny.get(class).copied().unwrap_or(0);
        let counted = delta(s0, s1, &format!("decision.{class}.would_deny"));
        if counted < seen_would {
            fail(format!("decision.{class}.would_deny +{counted}, but followers did {seen_would} forbidden {class} operations the mode let through"));
        }
        let alerts = events
            .iter()
            .filter(|e| e.class == class && e.decision == "allow")
            .count() as u64;
        if alerts > counted {
            fail(format!(
                "{alerts} alert events of class {class} for decision.{class}.would_deny +{counted}"
            ));
        }
        let seen_allowed = obs.allowed.get(class).copied().unwrap_or(0);
        let counted = delta(s0, s1, &format!("decision.{class}.allowed"));
        if counted < seen_allowed {
            fail(format!("decision.{class}.allowed +{counted}, but the workers had {seen_allowed} allowed {class} operations succeed"));
        }
    }
    for domain in ["stress_enf", "stress_follow"] {
        let seen = obs
            .denied
            .iter()
            .filter(|((d, _), _)| *d == domain)
            .map(|(_, n)| n)
            .sum::<u64>();
        let reported = events
            .iter()
            .filter(|e| e.domain == domain && e.decision == "deny")
            .count() as u64;
        if reported + lost < seen {
            fail(format!("{reported} deny events of {domain} read (+{lost} lost), but its workers saw {seen} denials"));
        }
    }
}

fn judge_loads(
    sh: &Shared,
    gen0: u64,
    gen1: u64,
    (s0, s1): (&HashMap<String, u64>, &HashMap<String, u64>),
) {
    let loads = sh.whole_ok.load(Ordering::Relaxed)
        + sh.chunked_ok.load(Ordering::Relaxed)
        + sh.cli_ok.load(Ordering::Relaxed);
    let rejected = sh.rejected.load(Ordering::Relaxed);
    if gen1 != gen0 + loads {
        sh.fail(Cat::Loads, format!("generation went from {gen0} to {gen1} with {loads} successful loads (and {rejected} rejected, {} abandoned)", sh.abandoned.load(Ordering::Relaxed)));
    }
    if delta(s0, s1, "policy.loads") != loads {
        sh.fail(
            Cat::Loads,
            format!(
                "policy.loads +{} for {loads} successful loads",
                delta(s0, s1, "policy.loads")
            ),
        );
    }
    if delta(s0, s1, "policy.rejected") != rejected {
        sh.fail(
            Cat::Loads,
            format!(
                "policy.rejected +{} for {rejected} rejected blobs",
                delta(s0, s1, "policy.rejected")
            ),
        );
    }
}

/// Puts the guest back: enforce, a known policy without heartbeat, nothing left running,
/// the files and IPC objects gone.
fn restore(ipc: Option<&[String; 3]>) -> Result<(), String> {
    let mut problems = Vec::new();
    if let Err(e) = write_file("mode", "enforce") {
        problems.push(format!("mode enforce: {e}"));
    }
    let final_blob = compile("stress-final.policy", &policy_text(0, false))?;
    if let Err(e) = load_whole(&final_blob) {
        problems.push(format!("load the final policy: {e}"));
    }
    if let Some([shm, sem, msq]) = ipc {
        let _ = Command::new("/bin/busybox")
            .args(["ipcrm", "-m", shm, "-s", sem, "-q", msq])
            .stderr(Stdio::null())
            .status();
    }
    // No worker (or its idle task) may outlive the run.
    let strays = stray_workers();
    for pid in &strays {
        let _ = kill(Pid::from_raw(*pid), Signal::SIGKILL);
    }
    if !strays.is_empty() {
        problems.push(format!("worker processes left after the run: {strays:?}"));
    }
    let _ = fs::remove_dir_all(ROOT);
    match read_text("mode") {
        Ok(m) if m == "enforce\n" => {}
        other => problems.push(format!("mode after the run: {other:?}")),
    }
    match read_text("heartbeat") {
        Ok(h) if h == "none\n" => {}
        other => problems.push(format!("heartbeat after the run: {other:?}")),
    }
    match read_text("policy_hash") {
        Ok(h) if h.trim() == digest_of(&final_blob) => {}
        other => problems.push(format!(
            "policy_hash after the run: {other:?}, expected {}",
            digest_of(&final_blob)
        )),
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Processes whose command line is a stress worker's.
fn stray_workers() -> Vec<i32> {
    let me = std::process::id();
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != me)
        .filter(|pid| {
            fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| c.split(|&b| b == 0).any(|w| w == b"__stress"))
        })
        .filter_map(|pid| i32::try_from(pid).ok())
        .collect()
}

// ---------------------------------------------------------------------------------------
// The checks, one test per group.

fn verdict(cat: Cat) -> Outcome {
    let report = lock(&REPORT);
    let Some(report) = report.as_ref() else {
        return Err("the stress run did not complete (see the first stress test)".to_owned());
    };
    match report.violations.get(&cat) {
        Some((n, first)) if *n > 0 => Err(format!(
            "{n} violation(s); {}{}",
            first.join(" | "),
            if *n as usize > first.len() {
                " | ..."
            } else {
                ""
            }
        )),
        _ => Ok(()),
    }
}

fn check_confined() -> Outcome {
    verdict(Cat::Confined)
}

fn check_unconfined() -> Outcome {
    verdict(Cat::Unconfined)
}

fn check_loads() -> Outcome {
    verdict(Cat::Loads)
}

fn check_readers() -> Outcome {
    verdict(Cat::Readers)
}

fn check_torn() -> Outcome {
    verdict(Cat::Torn)
}

fn check_events() -> Outcome {
    verdict(Cat::Events)
}

fn check_restored() -> Outcome {
    verdict(Cat::Restore)
}
