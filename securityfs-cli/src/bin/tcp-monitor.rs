//! `tcp-monitor`: print the TCP LSM's decision events (/sys/kernel/security/tcp/events).
//!
//! Exit status: 0 on success (also when the output is closed, as in
//! `tcp-monitor --realtime | head -1`), 1 when the events cannot be read (the message says
//! why), 2 for a usage error or a malformed `--filter`.

use std::io::{self, BufWriter, Write};
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use tcp_lsm_cli::filter::Filter;
use tcp_lsm_cli::monitor::{run, Monitor, Options};
use tcp_lsm_cli::Securityfs;

/// Print the TCP LSM's decision events: the ones queued now, or (--realtime) as they come.
#[derive(Parser, Debug)]
#[command(name = "tcp-monitor", version)]
struct Cli {
    /// Keep waiting for events and print each as it arrives (until killed, --count is
    /// reached or the output is closed).
    #[arg(long)]
    realtime: bool,
    /// Print only the events matching EXPR, for example 'decision=deny and (domain=a or
    /// domain=b)' (docs/cli.md gives the grammar).
    #[arg(long, value_name = "EXPR")]
    filter: Option<String>,
    /// Print one JSON object per line.
    #[arg(long)]
    json: bool,
    /// Stop after printing N events.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    count: Option<u64>,
    /// The LSM's securityfs directory.
    #[arg(long, value_name = "DIR", default_value = tcp_lsm_engine::abi::SECURITYFS_DIR)]
    dir: PathBuf,
    /// The kernel's list of active LSMs (consulted to explain a missing events file).
    #[arg(long, value_name = "FILE", default_value = tcp_lsm_engine::abi::SECURITYFS_LSM_LIST)]
    lsm_list: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = match cli.filter.as_deref().map(Filter::parse).transpose() {
        Ok(filter) => filter,
        Err(e) => {
            let text = cli.filter.as_deref().unwrap_or_default();
            let _ = writeln!(
                io::stderr(),
                "tcp-monitor: invalid filter: {}",
                e.render(text)
            );
            return ExitCode::from(2);
        }
    };
    let sfs = Securityfs::new(&cli.dir, &cli.lsm_list);
    let mut file = match sfs.open_events() {
        Ok(file) => file,
        Err(e) => {
            let _ = writeln!(io::stderr(), "tcp-monitor: error: {e}");
            return ExitCode::from(1);
        }
    };
    let options = Options {
        realtime: cli.realtime,
        filter,
        json: cli.json,
        count: cli.count,
    };
    let stdout = io::stdout();
    let mut monitor = Monitor::new(options, BufWriter::new(stdout.lock()), io::stderr());
    match run(
        &mut monitor,
        &mut file,
        &sfs.file("events"),
        Some(stdout.as_fd()),
    ) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(io::stderr(), "tcp-monitor: error: {e}");
            ExitCode::from(1)
        }
    }
}
