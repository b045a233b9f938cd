//! The micro-benchmarks, run by `tcp-bench worker` in whatever confinement the worker was
//! started in: each is a loop of real system calls on fixtures that `tcp-bench guest`
//! prepared under [`ROOT`].
//!
//! Output: one line per sample,
//! `@bench config=C bench=B sample=I iters=N ns_per_op=X`, read by `tcp-bench report`.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener, TcpStream};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use nix::sys::socket::{socket, AddressFamily, SockFlag, SockType};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::Pid;

/// Where the fixtures live: the workspace of the benchmark policies and rulesets.
pub const ROOT: &str = "/tmp/bench";
/// The loopback port the policies allow for bind, listen, accept and connect.
pub const PORT: u16 = 8080;
/// Bytes of the cached file and of each churn write.
const BLOCK: usize = 4096;

/// A benchmark: `iters` operations per sample.
pub struct Bench {
    /// Its name in the report.
    pub name: &'static str,
    /// What one operation is, for the report.
    pub what: &'static str,
    /// Operations per sample.
    pub iters: u32,
    run: fn(&mut Fixtures, u32) -> Result<(), String>,
}

/// Every benchmark, in report order.
pub const BENCHES: &[Bench] = &[
    Bench {
        name: "open_close",
        what: "open(2) + close(2) of a cached 4 KiB file",
        iters: 2000,
        run: open_close,
    },
    Bench {
        name: "stat",
        what: "statx(2) of that file",
        iters: 2000,
        run: stat,
    },
    Bench {
        name: "read_cached",
        what: "pread(2) of 4 KiB from an open cached file",
        iters: 2000,
        run: read_cached,
    },
    Bench {
        name: "socket_create",
        what: "socket(AF_INET, SOCK_STREAM) + close(2)",
        iters: 1000,
        run: socket_create,
    },
    Bench {
        name: "connect_close",
        what: "TCP connect(2) to a loopback listener + accept(2) + close(2) of both ends",
        iters: 200,
        run: connect_close,
    },
    Bench {
        name: "fork_exit",
        what: "fork(2) + exit(3) in the child + waitpid(2)",
        iters: 100,
        run: fork_exit,
    },
    Bench {
        name: "fork_exec",
        what: "fork(2) + execve(2) of busybox `true` + waitpid(2)",
        iters: 40,
        run: fork_exec,
    },
    Bench {
        name: "mmap_munmap",
        what: "mmap(2) of 4 KiB anonymous memory + munmap(2)",
        iters: 2000,
        run: mmap_munmap,
    },
    Bench {
        name: "file_churn",
        what: "create + write 4 KiB + close, stat, rename, open + read + close, unlink",
        iters: 200,
        run: file_churn,
    },
];

/// The fixtures of one worker.
pub struct Fixtures {
    file: PathBuf,
    open: File,
    listener: TcpListener,
    churn: PathBuf,
    buf: Vec<u8>,
}

/// The cached file of `open_close`, `stat` and `read_cached`.
fn data_file() -> PathBuf {
    Path::new(ROOT).join("work/data.bin")
}

/// Creates the fixtures' files (run unconfined, before any worker).
pub fn prepare() -> Result<(), String> {
    let churn = Path::new(ROOT).join("work/churn");
    if churn.exists() {
        fs::remove_dir_all(&churn).map_err(|e| format!("clean {}: {e}", churn.display()))?;
    }
    fs::create_dir_all(&churn).map_err(|e| format!("mkdir {}: {e}", churn.display()))?;
    fs::write(data_file(), vec![0x5a; BLOCK])
        .map_err(|e| format!("write {}: {e}", data_file().display()))
}

impl Fixtures {
    /// Opens the fixtures in the calling (possibly confined) process.
    pub fn open() -> Result<Fixtures, String> {
        let file = data_file();
        let open = File::open(&file).map_err(|e| format!("open {}: {e}", file.display()))?;
        let listener = TcpListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, PORT))
            .map_err(|e| format!("listen on 127.0.0.1:{PORT}: {e}"))?;
        Ok(Fixtures {
            file,
            open,
            listener,
            churn: Path::new(ROOT).join("work/churn"),
            buf: vec![0; BLOCK],
        })
    }
}

/// Runs every benchmark (or those named in `only`): a warm-up of a quarter of a sample,
/// then `samples` samples, each printed.
pub fn run_all(config: &str, samples: u32, only: &[String]) -> Result<(), String> {
    let mut fx = Fixtures::open()?;
    for b in BENCHES
        .iter()
        .filter(|b| only.is_empty() || only.iter().any(|o| o == b.name))
    {
        (b.run)(&mut fx, (b.iters / 4).max(1)).map_err(|e| format!("{}: {e}", b.name))?;
        for sample in 0..samples {
            let start = Instant::now();
            (b.run)(&mut fx, b.iters).map_err(|e| format!("{}: {e}", b.name))?;
            let ns = start.elapsed().as_nanos() as f64 / f64::from(b.iters);
            println!(
                "@bench config={config} bench={} sample={sample} iters={} ns_per_op={ns:.1}",
                b.name, b.iters
            );
        }
    }
    Ok(())
}

fn open_close(fx: &mut Fixtures, n: u32) -> Result<(), String> {
    for _ in 0..n {
        drop(File::open(&fx.file).map_err(|e| format!("open: {e}"))?);
    }
    Ok(())
}

fn stat(fx: &mut Fixtures, n: u32) -> Result<(), String> {
    for _ in 0..n {
        fs::metadata(&fx.file).map_err(|e| format!("stat: {e}"))?;
    }
    Ok(())
}

fn read_cached(fx: &mut Fixtures, n: u32) -> Result<(), String> {
    for _ in 0..n {
        let got = fx
            .open
            .read_at(&mut fx.buf, 0)
            .map_err(|e| format!("pread: {e}"))?;
        if got != BLOCK {
            return Err(format!("pread: {got} bytes, expected {BLOCK}"));
        }
    }
    Ok(())
}

fn socket_create(_: &mut Fixtures, n: u32) -> Result<(), String> {
    for _ in 0..n {
        drop(
            socket(
                AddressFamily::Inet,
                SockType::Stream,
                SockFlag::empty(),
                None,
            )
            .map_err(|e| format!("socket: {e}"))?,
        );
    }
    Ok(())
}

fn connect_close(fx: &mut Fixtures, n: u32) -> Result<(), String> {
    let addr = SocketAddrV4::new(Ipv4Addr::LOCALHOST, PORT);
    for _ in 0..n {
        let client = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
        let (server, _) = fx.listener.accept().map_err(|e| format!("accept: {e}"))?;
        // The accepted end closes first, so the TIME_WAIT state stays on the server side.
        drop(server);
        drop(client);
    }
    Ok(())
}

/// Waits for `pid` and requires a clean exit.
fn reap(pid: i32) -> Result<(), String> {
    match waitpid(Pid::from_raw(pid), None) {
        Ok(WaitStatus::Exited(_, 0)) => Ok(()),
        Ok(other) => Err(format!("child ended with {other:?}")),
        Err(e) => Err(format!("waitpid: {e}")),
    }
}

fn fork_exit(_: &mut Fixtures, n: u32) -> Result<(), String> {
    for _ in 0..n {
        match fork::fork().map_err(|e| format!("fork: error {e}"))? {
            fork::Fork::Child => std::process::exit(0),
            fork::Fork::Parent(pid) => reap(pid)?,
        }
    }
    Ok(())
}

fn fork_exec(_: &mut Fixtures, n: u32) -> Result<(), String> {
    let program = c"/bin/busybox";
    let args = [c"busybox", c"true"];
    for _ in 0..n {
        match fork::fork().map_err(|e| format!("fork: error {e}"))? {
            fork::Fork::Child => {
                let _ = nix::unistd::execv(program, &args);
                std::process::exit(127)
            }
            // A refused exec exits with 127, which `reap` reports.
            fork::Fork::Parent(pid) => reap(pid)?,
        }
    }
    Ok(())
}

fn mmap_munmap(_: &mut Fixtures, n: u32) -> Result<(), String> {
    for _ in 0..n {
        drop(
            memmap2::MmapOptions::new()
                .len(BLOCK)
                .map_anon()
                .map_err(|e| format!("mmap: {e}"))?,
        );
    }
    Ok(())
}

fn file_churn(fx: &mut Fixtures, n: u32) -> Result<(), String> {
    for i in 0..n {
        let a = fx.churn.join(format!("a{i}"));
        let b = fx.churn.join(format!("b{i}"));
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&a)
            .map_err(|e| format!("create {}: {e}", a.display()))?;
        f.write_all(&fx.buf).map_err(|e| format!("write: {e}"))?;
        drop(f);
        fs::metadata(&a).map_err(|e| format!("stat: {e}"))?;
        fs::rename(&a, &b).map_err(|e| format!("rename: {e}"))?;
        let mut f = File::open(&b).map_err(|e| format!("open {}: {e}", b.display()))?;
        let got = f.read(&mut fx.buf).map_err(|e| format!("read: {e}"))?;
        if got != BLOCK {
            return Err(format!("read: {got} bytes, expected {BLOCK}"));
        }
        drop(f);
        fs::remove_file(&b).map_err(|e| format!("unlink: {e}"))?;
    }
    Ok(())
}
