//! `tcp-monitor`: print the TCP LSM's decision events (/sys/kernel/security/tcp/events).
//!
//! Exit status: 0 on success (also when the output is closed, as in
//! `tcp-monitor --realtime | head -1`), 1 when the events cannot be read (the message says
//! why), 2 for a usage error or a malformed `--filter`.

use std::io::{self, BufWriter, Write};
use std::os::fd::AsFd;
use std::process::ExitCode;

use clap::Parser;
use tcp_lsm_cli::cli::monitor::Cli;
use tcp_lsm_cli::filter::Filter;
use tcp_lsm_cli::monitor::{run, Monitor, Options};
use tcp_lsm_cli::Securityfs;

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
