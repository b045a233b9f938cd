//! The command line of `tcp-monitor`, in the library so that `tcp-lsm-gen` (packaging/gen)
//! can make its man page and shell completions from the same definition.

use std::path::PathBuf;

use clap::Parser;

/// Print the TCP LSM's decision events: the ones queued now, or (--realtime) as they come.
#[derive(Parser, Debug)]
#[command(
    name = "tcp-monitor",
    version,
    after_long_help = "Exit status: 0 the queue was emptied, --count was reached or the output was closed; \
1 the events cannot be read (one line says why); 2 usage error or a malformed --filter."
)]
pub struct Cli {
    /// Keep waiting for events and print each as it arrives (until killed, --count is
    /// reached or the output is closed).
    #[arg(long)]
    pub realtime: bool,
    /// Print only the events matching EXPR, for example 'decision=deny and (domain=a or
    /// domain=b)' (docs/cli.md gives the grammar).
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,
    /// Print one JSON object per line.
    #[arg(long)]
    pub json: bool,
    /// Stop after printing N events.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,
    /// The LSM's securityfs directory.
    #[arg(long, value_name = "DIR", default_value = tcp_lsm_engine::abi::SECURITYFS_DIR)]
    pub dir: PathBuf,
    /// The kernel's list of active LSMs (consulted to explain a missing events file).
    #[arg(long, value_name = "FILE", default_value = tcp_lsm_engine::abi::SECURITYFS_LSM_LIST)]
    pub lsm_list: PathBuf,
}
