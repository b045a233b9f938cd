//! The command line of `tcp-policy-compiler`, in the library so that `tcp-lsm-gen`
//! (packaging/gen) can make its man page and shell completions from the same definition.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Compile TCP LSM policies from text to policy.bin, check them, and decompile them.
#[derive(Parser, Debug)]
#[command(
    name = "tcp-policy-compiler",
    version,
    about,
    long_about = None,
    after_long_help = "Exit status: 0 success; 1 the policy has errors (all printed) or a file could not be \
read or written; 2 usage error."
)]
pub struct Cli {
    /// Print the policy ABI version this compiler targets and exit.
    #[arg(long)]
    pub abi: bool,

    /// What to do.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands of `tcp-policy-compiler`.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Compile policy text to policy.bin and print its digest (hex).
    Compile {
        /// Policy text (`-` reads standard input).
        input: PathBuf,
        /// Where to write policy.bin.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Check policy text and report every error and warning; write nothing.
    Check {
        /// Policy text (`-` reads standard input).
        input: PathBuf,
    },
    /// Print the canonical text of policy text (what decompiling its policy.bin gives).
    Canonical {
        /// Policy text (`-` reads standard input).
        input: PathBuf,
    },
    /// Turn policy.bin back into canonical policy text.
    Decompile {
        /// A policy.bin file (`-` reads standard input).
        input: PathBuf,
        /// Write the text here instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}
