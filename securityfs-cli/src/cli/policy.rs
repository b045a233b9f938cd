//! The command line of `tcp-policy`, in the library so that `tcp-lsm-gen` (packaging/gen)
//! can make its man page and shell completions from the same definition.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use tcp_lsm_engine::mode::Mode;

/// Compile, load, edit and inspect TCP LSM policies (/sys/kernel/security/tcp).
#[derive(Parser, Debug)]
#[command(
    name = "tcp-policy",
    version,
    after_long_help = "Exit status: 0 success; 1 the operation failed (one line says why); 2 usage error. \
exec exits with the command's status once it runs, 127 when it is not found and 126 when it cannot be executed.\n\n\
Files: /sys/kernel/security/tcp (the LSM), /etc/tcp-lsm/policy.d (the policy loaded at boot by \
tcp-lsm-policy.service), /var/lib/tcp-lsm/last-good.bin (its fallback)."
)]
pub struct Cli {
    /// The LSM's securityfs directory.
    #[arg(long, default_value = tcp_lsm_engine::abi::SECURITYFS_DIR, global = true)]
    pub securityfs: String,
    /// The kernel's list of active LSMs.
    #[arg(long, default_value = tcp_lsm_engine::abi::SECURITYFS_LSM_LIST, global = true)]
    pub lsm_list: String,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands of `tcp-policy`.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Show whether the LSM is active, its ABI, mode, generation, policy hash and rule counts.
    Status,
    /// Print the global mode, or switch it (monitor, alert or enforce; needs CAP_MAC_ADMIN).
    Mode {
        /// The mode to switch to.
        #[arg(value_parser = parse_mode)]
        mode: Option<Mode>,
    },
    /// Compile policy text into a binary policy.
    Compile {
        /// The policy text.
        input: PathBuf,
        /// Where to write the binary policy.
        #[arg(short, long, default_value = "policy.bin")]
        output: PathBuf,
    },
    /// Load a policy: a compiled policy.bin, or policy text (compiled first).
    Load {
        /// The policy file.
        file: PathBuf,
    },
    /// Compile every *.policy file of a folder as one policy and load it (the boot-time
    /// load of tcp-lsm-policy.service). On errors, print them and load FALLBACK instead.
    LoadDir(LoadDirArgs),
    /// Run a command in a domain of the loaded policy: ask the kernel for DOMAIN at the
    /// next exec (lsm_set_self_attr), then execute CMD in place of this process.
    Exec(ExecArgs),
    /// Add a rule to the loaded policy and load the result.
    Add(RuleArgs),
    /// Remove a rule's permissions from the loaded policy and load the result.
    Delete(RuleArgs),
    /// Print the loaded policy as text.
    Show,
    /// Print the LSM's counters (decisions per class, cache, policy loads, events, audit).
    Stats {
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Write a heartbeat (the supervisor's sign of life); with --every, keep writing one
    /// at that interval until killed. Without options, also print the heartbeat state.
    Heartbeat {
        /// Interval between heartbeats, e.g. 10s or 500ms (shorter than the policy's timeout).
        #[arg(long, value_parser = parse_interval)]
        every: Option<std::time::Duration>,
    },
}

/// Parses an interval: an integer and `ms`, `s` or `m` (1 ms to 1 hour).
pub fn parse_interval(text: &str) -> Result<std::time::Duration, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?}: expected a number and ms, s or m, e.g. 10s"))?;
    let ms = match unit {
        "ms" => Some(n),
        "s" => n.checked_mul(1000),
        "m" => n.checked_mul(60_000),
        _ => None,
    }
    .ok_or_else(|| format!("{text:?}: expected a number and ms, s or m, e.g. 10s"))?;
    if !(1..=3_600_000).contains(&ms) {
        return Err(format!(
            "{text:?}: the interval must be between 1ms and 60m"
        ));
    }
    Ok(std::time::Duration::from_millis(ms))
}

/// Arguments of `tcp-policy load-dir`.
#[derive(Args, Debug)]
pub struct LoadDirArgs {
    /// The folder of policy text files (*.policy, compiled together in name order).
    pub dir: PathBuf,
    /// A compiled policy to load when the folder does not compile or the kernel refuses
    /// it (the last good one); a missing file is skipped.
    #[arg(long, value_name = "FILE")]
    pub fallback: Option<PathBuf>,
    /// Where to save the compiled policy after a successful load (written atomically).
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
}

/// Arguments of `tcp-policy exec`.
#[derive(Args, Debug)]
pub struct ExecArgs {
    /// The domain to run CMD in (a domain of the loaded policy).
    #[arg(long, value_name = "DOMAIN")]
    pub domain: String,
    /// The command and its arguments (looked up in PATH); put `--` before it.
    #[arg(
        value_name = "CMD",
        required = true,
        num_args = 1..,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub command: Vec<OsString>,
}

/// One rule in the command-line form of the policy language (docs/policy-language.md).
#[derive(Args, Debug)]
pub struct RuleArgs {
    /// Domain the rule is about.
    #[arg(long)]
    pub subject: String,
    /// Object: a type name for class file, a network target for class net, `-` otherwise.
    #[arg(long, default_value = "-")]
    pub object: String,
    /// Class: file, net, capability, signal, ptrace, ipc, system or process.
    #[arg(long)]
    pub class: String,
    /// Permission names of the class, comma separated, or `all`.
    #[arg(long)]
    pub permission: String,
    /// allow or deny.
    #[arg(long, default_value = "allow")]
    pub decision: String,
}

/// Parses a mode name (`monitor`, `alert` or `enforce`).
pub fn parse_mode(text: &str) -> Result<Mode, String> {
    Mode::parse(text.as_bytes()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("tcp-policy").chain(args.iter().copied()))
    }

    fn exec_args(args: &[&str]) -> (String, Vec<String>) {
        match parse(args).map(|c| c.command) {
            Ok(Command::Exec(e)) => (
                e.domain,
                e.command
                    .iter()
                    .map(|a| a.to_string_lossy().into_owned())
                    .collect(),
            ),
            other => panic!("{args:?} parsed as {other:?}"),
        }
    }

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn exec_takes_the_command_after_the_domain() {
        assert_eq!(
            exec_args(&["exec", "--domain", "agent", "--", "/bin/ls", "-l", "--all"]),
            (
                "agent".into(),
                vec!["/bin/ls".into(), "-l".into(), "--all".into()]
            )
        );
        assert_eq!(
            exec_args(&["exec", "--domain=agent", "python3", "-c", "print(1)"]),
            (
                "agent".into(),
                vec!["python3".into(), "-c".into(), "print(1)".into()]
            )
        );
        // Everything after the command is the command's, even our own flags.
        assert_eq!(
            exec_args(&["exec", "--domain", "a", "--", "env", "--domain", "b", "--", "x"]),
            (
                "a".into(),
                vec![
                    "env".into(),
                    "--domain".into(),
                    "b".into(),
                    "--".into(),
                    "x".into()
                ]
            )
        );
        // Global options may come first.
        let cli = parse(&[
            "--securityfs",
            "/tmp/s",
            "exec",
            "--domain",
            "a",
            "--",
            "true",
        ])
        .expect("parses");
        assert_eq!(cli.securityfs, "/tmp/s");
    }

    #[test]
    fn exec_usage_errors_exit_2() {
        for args in [
            &["exec", "--", "true"][..],
            &["exec", "--domain", "agent"],
            &["exec", "--domain", "agent", "--"],
            &["exec", "--domain"],
        ] {
            let err = parse(args).expect_err("usage error");
            assert_eq!(err.exit_code(), 2, "{args:?}: {err}");
        }
    }

    #[test]
    fn load_dir_options() {
        match parse(&[
            "load-dir",
            "/etc/tcp-lsm/policy.d",
            "--fallback",
            "/a",
            "--save",
            "/b",
        ])
        .map(|c| c.command)
        {
            Ok(Command::LoadDir(a)) => {
                assert_eq!(a.dir, PathBuf::from("/etc/tcp-lsm/policy.d"));
                assert_eq!(a.fallback, Some(PathBuf::from("/a")));
                assert_eq!(a.save, Some(PathBuf::from("/b")));
            }
            other => panic!("{other:?}"),
        }
        assert!(parse(&["load-dir"]).is_err());
    }
}
