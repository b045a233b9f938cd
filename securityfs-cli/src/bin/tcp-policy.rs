//! `tcp-policy`: inspect and control the TCP LSM through securityfs.
//!
//! Exit status: 0 on success, 1 when the operation failed (the message says why),
//! 2 for a usage error.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tcp_lsm_cli::{Error, Securityfs};
use tcp_lsm_engine::mode::Mode;

/// Inspect and control the TCP LSM (/sys/kernel/security/tcp).
#[derive(Parser, Debug)]
#[command(name = "tcp-policy", version)]
struct Cli {
    /// The LSM's securityfs directory.
    #[arg(long, default_value = tcp_lsm_engine::abi::SECURITYFS_DIR, global = true)]
    securityfs: String,
    /// The kernel's list of active LSMs.
    #[arg(long, default_value = tcp_lsm_engine::abi::SECURITYFS_LSM_LIST, global = true)]
    lsm_list: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Show whether the LSM is active, its policy ABI version and its mode.
    Status,
    /// Print the global mode, or switch it (monitor, alert or enforce; needs CAP_MAC_ADMIN).
    Mode {
        /// The mode to switch to.
        #[arg(value_parser = parse_mode)]
        mode: Option<Mode>,
    },
}

fn parse_mode(text: &str) -> Result<Mode, String> {
    Mode::parse(text.as_bytes()).map_err(|e| e.to_string())
}

fn try_main(cli: Cli) -> Result<(), Error> {
    let sfs = Securityfs::new(&cli.securityfs, &cli.lsm_list);
    match cli.command {
        Command::Status => {
            sfs.ensure_active()?;
            println!("lsm: active");
            println!("policy abi: {}", sfs.version()?);
            println!("mode: {}", sfs.mode()?);
        }
        Command::Mode { mode: None } => println!("{}", sfs.mode()?),
        Command::Mode { mode: Some(mode) } => {
            let old = sfs.mode()?;
            sfs.set_mode(mode)?;
            println!("mode: {old} -> {mode}");
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match try_main(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("tcp-policy: error: {err}");
            ExitCode::from(1)
        }
    }
}
