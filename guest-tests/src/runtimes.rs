//! Runtimes suite: a JIT runs confined only with the `process` permissions `execmem` and
//! `execmem-rwx`. Node.js (V8, which on x86-64 makes anonymous code space readable,
//! writable and executable at once) runs a script whose hot loop V8 compiles, unconfined,
//! in a domain granted both permissions, and in an identical domain without them, where
//! V8 aborts when it first asks for code memory and the LSM counts and reports the
//! refusal as class `process`.
//!
//! Node comes from the host: `scripts/node-bundle.sh` builds `build/node-bundle` (the
//! binary and its libraries), and `scripts/qemu-boot.sh --add build/node-bundle` puts it
//! at `/add/node-bundle`. Without it every test fails, saying so.

use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::harness::{ensure, ensure_eq, Outcome, Test};
use crate::helpers::securityfs::drain_events;

/// Where `--add build/node-bundle` puts the bundle.
const BUNDLE: &str = "/add/node-bundle";
/// The node binary of the bundle.
const NODE: &str = "/add/node-bundle/bin/node";
/// Its libraries (the guest has only the loader and libc at their usual places).
const LIBS: &str = "/add/node-bundle/lib";
/// An unconfined copy of the probe, which asks for a domain with `lsm_set_self_attr`
/// before it executes node (no transition names this path).
const PROBE: &str = "/tmp/tcp-probe-runtimes";
/// Node's working directory and home.
const WORK: &str = "/tmp/runtimes";
/// Bound on one run of node (the debug kernel under TCG is slow).
const NODE_TIMEOUT: Duration = Duration::from_secs(240);

/// The two domains are identical but for `execmem execmem-rwx`: what node needs to start
/// (its binary and libraries, the loader and libc; /proc, which it reads for its memory
/// map, limits and cgroup; /dev/null as standard input, whose tty check is an `ioctl`;
/// /dev/urandom; a work folder; `rlimit`, as node raises its descriptor limit to the hard
/// limit at start), and in `node_jit` executable and writable-executable anonymous memory.
const POLICY: &str = r#"
mode enforce;

type node_bundle { prefix /add/node-bundle; }
type loader { exact /lib64/ld-linux-x86-64.so.2; prefix /lib/x86_64-linux-gnu; }
type procfs { prefix /proc; }
type devices { exact /dev/null; exact /dev/urandom; exact /dev/random; }
type node_work { prefix /tmp/runtimes; }

domain node_jit {
    allow file node_bundle { read execute mmap getattr readdir };
    allow file loader { read execute mmap getattr };
    allow file procfs { read getattr readdir };
    allow file devices { read write getattr ioctl };
    allow file node_work { read write create unlink getattr readdir mkdir rmdir rename };
    allow process { rlimit execmem execmem-rwx };
}

domain node_nojit {
    allow file node_bundle { read execute mmap getattr readdir };
    allow file loader { read execute mmap getattr };
    allow file procfs { read getattr readdir };
    allow file devices { read write getattr ioctl };
    allow file node_work { read write create unlink getattr readdir mkdir rmdir rename };
    allow process rlimit;
}
"#;

/// The script every run executes: `sum(1e6)`, a loop hot enough for V8 to compile, once
/// to gather type feedback (the sum soon leaves the small integers), then ROUNDS times
/// (argument 1, default 3) after asking for TurboFan at the next call, which compiles
/// synchronously: left to itself, V8 compiles on a background thread, which under TCG may
/// finish after the loop (or deoptimize on the first overflow). It prints the sum, whether
/// `sum` is optimized code then (bit 4 of `%GetOptimizationStatus`, `kOptimized`, the same
/// bit in every V8 since 2017; the natives are no-ops with `--jitless`) and the domain
/// node runs in, from this LSM's own attribute file (`/proc/self/attr/tcp/current`; the
/// shared `current` belongs to no LSM or to another one).
const SCRIPT: &str = r#"
function sum(n) { let s = 0; for (let i = 1; i <= n; i++) s += i; return s; }
const rounds = Number(process.argv[1] || 3);
%PrepareFunctionForOptimization(sum);
let total = sum(1e6);
%OptimizeFunctionOnNextCall(sum);
for (let k = 0; k < rounds; k++) total = sum(1e6);
const optimized = (%GetOptimizationStatus(sum) & 16) !== 0;
let domain;
try { domain = require('fs').readFileSync('/proc/self/attr/tcp/current', 'utf8').trim(); }
catch (e) { domain = 'unreadable:' + e.code; }
console.log('sum=' + total + ' optimized=' + optimized + ' domain=' + domain);
"#;

/// What the script prints for the sum of 1 to 1e6 in `domain`, compiled or not.
fn expected(optimized: bool, domain: &str) -> String {
    format!("sum=500000500000 optimized={optimized} domain={domain}")
}

/// Tests for a kernel booted with `tcp`, run with the node bundle added.
pub const ACTIVE: &[Test] = &[
    Test {
        name: "runtimes_setup_finds_node_and_loads_policy",
        run: setup,
    },
    Test {
        name: "runtimes_node_jit_runs_unconfined",
        run: unconfined,
    },
    Test {
        name: "runtimes_node_jit_runs_in_domain_granted_execmem",
        run: granted,
    },
    Test {
        name: "runtimes_node_refused_in_domain_without_execmem",
        run: refused,
    },
];

/// Whether the node bundle is in the guest (the default suites include this one then).
pub fn bundle_present() -> bool {
    fs::metadata(NODE).is_ok_and(|m| m.is_file())
}

/// Fails, saying how to provide it, when the bundle is missing.
fn need_bundle() -> Outcome {
    ensure(
        bundle_present(),
        format!("no node at {NODE}: build the bundle with scripts/node-bundle.sh and boot with scripts/qemu-boot.sh --add build/node-bundle"),
    )
}

/// How one run of node ended.
struct Run {
    status: ExitStatus,
    stdout: String,
    stderr: String,
    seconds: f64,
}

impl Run {
    /// The status, V8's fatal error if any and the last lines of standard error, for
    /// failure messages.
    fn describe(&self) -> String {
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && *l != "#")
            .collect();
        let fatal: Vec<&str> = lines
            .iter()
            .copied()
            .filter(|l| l.contains("Check failed") || l.contains("Fatal"))
            .collect();
        let tail = lines
            .get(lines.len().saturating_sub(3)..)
            .unwrap_or_default();
        format!(
            "{} after {:.1}s, stdout {:?}, stderr {:?} ... {:?}",
            self.status,
            self.seconds,
            self.stdout.trim(),
            fatal.join(" | "),
            tail.join(" | ")
        )
    }
}

/// Reads all of `pipe` in a thread.
fn drain(pipe: Option<impl Read + Send + 'static>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Runs node with `args` (after the script's `-e`... as given), in `domain` (through
/// the probe's `lsm_set_self_attr`) or unconfined when `None`, with standard input
/// `/dev/null` and pipes for its output (objects of no path type: node's own checks of
/// fds 0 to 2 need an openable, typed standard input), a clean environment, and the
/// bound [`NODE_TIMEOUT`].
fn node(domain: Option<&str>, args: &[&str]) -> Result<Run, String> {
    let mut cmd = match domain {
        Some(d) => {
            let mut c = Command::new(PROBE);
            c.args(["exec-in", d, NODE]);
            c
        }
        None => Command::new(NODE),
    };
    cmd.args(args)
        .env_clear()
        .env("PATH", "/bin")
        .env("HOME", WORK)
        .env("LD_LIBRARY_PATH", LIBS)
        .current_dir(WORK)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().map_err(|e| format!("cannot start node: {e}"))?;
    let out = drain(child.stdout.take());
    let err = drain(child.stderr.take());
    let status = loop {
        if let Some(status) = child
            .try_wait()
            .map_err(|e| format!("wait for node: {e}"))?
        {
            break status;
        }
        if start.elapsed() > NODE_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "node {args:?} in {domain:?} did not end within {}s",
                NODE_TIMEOUT.as_secs()
            ));
        }
        thread::sleep(Duration::from_millis(50));
    };
    let seconds = start.elapsed().as_secs_f64();
    let stdout = out
        .join()
        .map_err(|_| "stdout reader panicked".to_owned())?;
    let stderr = err
        .join()
        .map_err(|_| "stderr reader panicked".to_owned())?;
    let place = domain.unwrap_or("unconfined");
    println!(
        "# node {} in {place}: {status} after {seconds:.1}s",
        args.first().copied().unwrap_or("")
    );
    Ok(Run {
        status,
        stdout,
        stderr,
        seconds,
    })
}

/// Runs the script with `flags` before `-e` and ROUNDS `rounds`.
fn script(domain: Option<&str>, flags: &[&str], rounds: &str) -> Result<Run, String> {
    let args: Vec<&str> = flags
        .iter()
        .copied()
        .chain(["--allow-natives-syntax", "-e", SCRIPT, rounds])
        .collect();
    node(domain, &args)
}

/// Asserts that `run` succeeded and printed the script's line for `domain`.
fn ensure_output(run: &Run, optimized: bool, domain: &str, what: &str) -> Outcome {
    ensure(
        run.status.success(),
        format!("{what}: node failed: {}", run.describe()),
    )?;
    ensure_eq(
        run.stdout.trim(),
        expected(optimized, domain).as_str(),
        what,
    )
}

/// The counters, by name.
fn stats() -> Result<HashMap<String, u64>, String> {
    let text = fs::read_to_string("/sys/kernel/security/tcp/stats")
        .map_err(|e| format!("read stats: {e}"))?;
    let counters = tcp_lsm_cli::parse_stats(&text).map_err(|e| format!("stats: {e:?}"))?;
    Ok(counters.into_iter().collect())
}

/// How much counter `name` grew from `before` to `after`.
fn delta(before: &HashMap<String, u64>, after: &HashMap<String, u64>, name: &str) -> u64 {
    after
        .get(name)
        .copied()
        .unwrap_or(0)
        .wrapping_sub(before.get(name).copied().unwrap_or(0))
}

/// The denial events of `domain` among `events`.
fn denials<'a>(
    events: &'a [HashMap<String, String>],
    domain: &str,
) -> Vec<&'a HashMap<String, String>> {
    events
        .iter()
        .filter(|e| {
            e.get("domain").map(String::as_str) == Some(domain)
                && e.get("decision").map(String::as_str) == Some("deny")
        })
        .collect()
}

/// Short text of events for failure messages: `op class perms object`.
fn brief(events: &[&HashMap<String, String>]) -> String {
    let field = |e: &HashMap<String, String>, k: &str| e.get(k).cloned().unwrap_or_default();
    let lines: Vec<String> = events
        .iter()
        .map(|e| {
            format!(
                "{} {} {} {}",
                field(e, "op"),
                field(e, "class"),
                field(e, "perms"),
                field(e, "object")
            )
        })
        .collect();
    format!("[{}]", lines.join("; "))
}

/// Fails when the kernel has no `madvise(2)` (built without `CONFIG_ADVISE_SYSCALLS`,
/// as tinyconfig leaves it): V8 checks that `MADV_DONTNEED` works when it gives pages
/// back and aborts without it, confined or not. Known from the symbol table, when the
/// kernel has one: without the option, `__x64_sys_madvise` is only the weak alias of
/// `sys_ni_syscall` (type `W`) that `COND_SYSCALL` leaves.
fn need_madvise() -> Outcome {
    let symbols = fs::read_to_string("/proc/kallsyms").unwrap_or_default();
    let defined = symbols.lines().any(|l| {
        let fields: Vec<&str> = l.split_whitespace().collect();
        matches!(fields[..], [_, "T" | "t", "__x64_sys_madvise", ..])
    });
    ensure(
        symbols.is_empty() || defined,
        "the guest kernel has no madvise(2) (CONFIG_ADVISE_SYSCALLS is off): V8 aborts without MADV_DONTNEED, confined or not",
    )
}

fn setup() -> Outcome {
    need_bundle()?;
    fs::copy("/bin/tcp-probe", PROBE).map_err(|e| format!("copy probe: {e}"))?;
    fs::create_dir_all(WORK).map_err(|e| format!("mkdir {WORK}: {e}"))?;
    let blob = tcp_policy_compiler::compile_to_bytes("runtimes.policy", POLICY)
        .map_err(|d| tcp_policy_compiler::render_diagnostics("runtimes.policy", POLICY, &d))?;
    crate::helpers::policy_load::load(&blob).map_err(|e| format!("load: {e}"))?;
    let version = fs::read_to_string(format!("{BUNDLE}/VERSION")).unwrap_or_default();
    println!("# node bundle {}", version.trim());
    need_madvise()
}

fn unconfined() -> Outcome {
    need_bundle()?;
    // The bundle runs in the guest as the host built it.
    let run = node(None, &["--version"])?;
    let version = fs::read_to_string(format!("{BUNDLE}/VERSION"))
        .map_err(|e| format!("read VERSION: {e}"))?;
    ensure(
        run.status.success(),
        format!("node --version: {}", run.describe()),
    )?;
    ensure_eq(
        run.stdout.trim(),
        version.trim(),
        "node --version against the bundle's VERSION",
    )?;
    // The control: the hot loop is compiled and computes the sum.
    let run = script(None, &[], "3")?;
    ensure_output(&run, true, "unconfined", "unconfined node")
}

fn granted() -> Outcome {
    need_bundle()?;
    // First without V8's JIT (--jitless maps no executable memory): the process decisions
    // node makes anyway (its rlimit), and no denial.
    drain_events()?;
    let before = stats()?;
    let run = script(Some("node_jit"), &["--jitless"], "1")?;
    let after = stats()?;
    let (events, _) = drain_events()?;
    ensure_output(&run, false, "node_jit", "node --jitless in node_jit")?;
    let baseline = delta(&before, &after, "decision.process.allowed");
    let denied = denials(&events, "node_jit");
    ensure(
        denied.is_empty(),
        format!("denials of node --jitless in node_jit: {}", brief(&denied)),
    )?;
    // With the JIT: the loop is compiled and computes the sum; the kernel was asked for
    // executable memory and granted it (more process decisions allowed than without the
    // JIT), and nothing node did was refused: the domain is complete.
    drain_events()?;
    let before = stats()?;
    let run = script(Some("node_jit"), &[], "3")?;
    let after = stats()?;
    let (events, lost) = drain_events()?;
    ensure_output(&run, true, "node_jit", "node in node_jit")?;
    let allowed = delta(&before, &after, "decision.process.allowed");
    ensure(
        allowed > baseline,
        format!("decision.process.allowed grew by {allowed} with the JIT, {baseline} without: V8 asked for no executable memory?"),
    )?;
    let denied = denials(&events, "node_jit");
    ensure(
        denied.is_empty() && lost == 0,
        format!("denials in node_jit (lost {lost}): {}", brief(&denied)),
    )?;
    println!("# node_jit: {allowed} process decisions allowed with the JIT, {baseline} without");
    Ok(())
}

fn refused() -> Outcome {
    need_bundle()?;
    drain_events()?;
    let before = stats()?;
    let run = script(Some("node_nojit"), &[], "3")?;
    let after = stats()?;
    let (events, lost) = drain_events()?;
    // Node does not run the script: it ends with an error status or a signal, without
    // the line.
    ensure(
        !run.status.success(),
        format!("node ran in node_nojit: {}", run.describe()),
    )?;
    ensure(
        !run.stdout.contains("sum="),
        format!("node printed a result in node_nojit: {}", run.describe()),
    )?;
    println!("# node_nojit: {}", run.describe());
    // The refusal is counted and reported as class process, for executable memory, with
    // EACCES; and it is the only kind of refusal (the rest of the domain is node_jit's).
    let denied_count = delta(&before, &after, "decision.process.denied");
    ensure(
        denied_count >= 1,
        format!("decision.process.denied grew by {denied_count}"),
    )?;
    ensure_eq(lost, 0, "events lost")?;
    let denied = denials(&events, "node_nojit");
    let execmem: Vec<_> = denied
        .iter()
        .copied()
        .filter(|e| {
            e.get("class").map(String::as_str) == Some("process")
                && e.get("perms")
                    .is_some_and(|p| p.split(',').any(|p| p == "execmem" || p == "execmem-rwx"))
                && e.get("errno").map(String::as_str) == Some("EACCES")
                && matches!(
                    e.get("op").map(String::as_str),
                    Some("mmap_file" | "file_mprotect")
                )
        })
        .collect();
    ensure(
        !execmem.is_empty(),
        format!(
            "no execmem denial event for node_nojit among {}",
            brief(&denied)
        ),
    )?;
    ensure_eq(
        execmem.len(),
        denied.len(),
        &format!("denials other than executable memory: {}", brief(&denied)),
    )?;
    ensure(
        u64::try_from(execmem.len()).unwrap_or(u64::MAX) <= denied_count,
        format!(
            "{} events but decision.process.denied grew by {denied_count}",
            execmem.len()
        ),
    )?;
    println!("# node_nojit refused: {}", brief(&execmem));
    // The same domain runs node without its JIT (V8's --jitless maps no executable memory):
    // what the domain lacks is only executable memory.
    drain_events()?;
    let run = script(Some("node_nojit"), &["--jitless"], "1")?;
    let (events, _) = drain_events()?;
    ensure_output(&run, false, "node_nojit", "node --jitless in node_nojit")?;
    let denied = denials(&events, "node_nojit");
    ensure(
        denied.is_empty(),
        format!(
            "denials of node --jitless in node_nojit: {}",
            brief(&denied)
        ),
    )
}
