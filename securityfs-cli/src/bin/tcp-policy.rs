//! `tcp-policy`: compile, load, edit and inspect TCP LSM policies through securityfs.
//!
//! Exit status: 0 on success, 1 when the operation failed (the message says why),
//! 2 for a usage error.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use tcp_lsm_cli::Securityfs;
use tcp_lsm_engine::format::{validate, MAGIC};
use tcp_lsm_engine::mode::Mode;
use tcp_policy_compiler::{
    apply_rule_args, compile_to_bytes, decode_policy, decompile, encode_policy, policy_digest,
    render_diagnostics, Policy,
};

/// Compile, load, edit and inspect TCP LSM policies (/sys/kernel/security/tcp).
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
fn parse_interval(text: &str) -> Result<std::time::Duration, String> {
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

/// One rule in the command-line form of the policy language (docs/policy-language.md).
#[derive(Args, Debug)]
struct RuleArgs {
    /// Domain the rule is about.
    #[arg(long)]
    subject: String,
    /// Object: a type name for class file, a network target for class net, `-` otherwise.
    #[arg(long, default_value = "-")]
    object: String,
    /// Class: file, net, capability, signal, ptrace, ipc, system or process.
    #[arg(long)]
    class: String,
    /// Permission names of the class, comma separated, or `all`.
    #[arg(long)]
    permission: String,
    /// allow or deny.
    #[arg(long, default_value = "allow")]
    decision: String,
}

fn parse_mode(text: &str) -> Result<Mode, String> {
    Mode::parse(text.as_bytes()).map_err(|e| e.to_string())
}

/// A failure, already phrased for the user.
struct Failure(String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(e.to_string())
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>, Failure> {
    fs::read(path).map_err(|e| Failure(format!("cannot read {}: {e}", path.display())))
}

/// Compiles policy text, or fails with every diagnostic.
fn compile(path: &Path, bytes: &[u8]) -> Result<Vec<u8>, Failure> {
    let name = path.display().to_string();
    let text = std::str::from_utf8(bytes).map_err(|_| {
        Failure(format!(
            "{name}: neither a compiled policy nor UTF-8 policy text"
        ))
    })?;
    compile_to_bytes(&name, text).map_err(|diags| {
        Failure(format!(
            "{}\n{name}: {} error(s)",
            render_diagnostics(&name, text, &diags).trim_end(),
            diags.len()
        ))
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The loaded policy as a model (empty when none is loaded).
fn loaded_policy(sfs: &Securityfs) -> Result<Policy, Failure> {
    let blob = sfs.read_policy()?;
    if blob.is_empty() {
        return Ok(Policy::default());
    }
    decode_policy(&blob).map_err(|e| Failure(format!("the kernel's policy does not decode: {e}")))
}

fn load_blob(sfs: &Securityfs, blob: &[u8]) -> Result<(), Failure> {
    // The kernel runs the same validator; checking first gives the precise reason.
    if let Err(e) = validate(blob) {
        return Err(Failure(format!("not a valid policy: {e}")));
    }
    let generation = sfs.load_policy(blob)?;
    let digest = policy_digest(blob).map(|d| hex(&d)).unwrap_or_default();
    println!("loaded: generation {generation}, sha256 {digest}");
    Ok(())
}

fn edit(sfs: &Securityfs, args: &RuleArgs, add: bool) -> Result<(), Failure> {
    sfs.ensure_active()?;
    let mut policy = loaded_policy(sfs)?;
    apply_rule_args(
        &mut policy,
        &args.subject,
        &args.object,
        &args.class,
        &args.permission,
        &args.decision,
        add,
    )
    .map_err(Failure)?;
    let blob = encode_policy(&policy).map_err(|d| Failure(d.message))?;
    load_blob(sfs, &blob)
}

/// The counters as a table: names left-aligned, values right-aligned.
fn stats_table(counters: &[(String, u64)]) -> String {
    let name_width = counters.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    let value_width = counters
        .iter()
        .map(|(_, v)| v.to_string().len())
        .max()
        .unwrap_or(0);
    counters
        .iter()
        .map(|(name, value)| format!("{name:<name_width$}  {value:>value_width$}\n"))
        .collect()
}

/// The counters as one JSON object, in the kernel's order.
fn stats_json(counters: &[(String, u64)]) -> String {
    let map: serde_json::Map<String, serde_json::Value> = counters
        .iter()
        .map(|(name, value)| (name.clone(), (*value).into()))
        .collect();
    serde_json::Value::Object(map).to_string()
}

fn try_main(cli: Cli) -> Result<(), Failure> {
    let sfs = Securityfs::new(&cli.securityfs, &cli.lsm_list);
    let mut out = std::io::stdout().lock();
    match cli.command {
        Command::Status => {
            sfs.ensure_active()?;
            writeln!(out, "lsm: active")?;
            writeln!(out, "policy abi: {}", sfs.version()?)?;
            writeln!(out, "mode: {}", sfs.mode()?)?;
            writeln!(out, "generation: {}", sfs.generation()?)?;
            writeln!(
                out,
                "policy hash: {}",
                sfs.policy_hash()?.unwrap_or_else(|| "none".into())
            )?;
            match sfs.read_policy() {
                Ok(blob) if blob.is_empty() => writeln!(out, "policy: none loaded")?,
                Ok(blob) => {
                    let p = decode_policy(&blob).map_err(Failure)?;
                    let files: usize = p.domains.iter().map(|d| d.files.len()).sum();
                    let net: usize = p.domains.iter().map(|d| d.net.len()).sum();
                    writeln!(
                        out,
                        "rules: {} domains, {} types, {} path rules, {} file rules, {} net rules, {} transitions",
                        p.domains.len(),
                        p.types.len(),
                        p.paths.len(),
                        files,
                        net,
                        p.transitions.len()
                    )?;
                }
                Err(tcp_lsm_cli::Error::NotPermitted { .. }) => {
                    writeln!(out, "rules: unknown (reading the policy needs root)")?
                }
                Err(e) => return Err(e.into()),
            }
        }
        Command::Mode { mode: None } => writeln!(out, "{}", sfs.mode()?)?,
        Command::Mode { mode: Some(mode) } => {
            let old = sfs.mode()?;
            sfs.set_mode(mode)?;
            writeln!(out, "mode: {old} -> {mode}")?;
        }
        Command::Compile { input, output } => {
            let blob = compile(&input, &read_file(&input)?)?;
            fs::write(&output, &blob)
                .map_err(|e| Failure(format!("cannot write {}: {e}", output.display())))?;
            let digest = policy_digest(&blob).map(|d| hex(&d)).unwrap_or_default();
            writeln!(
                out,
                "{}: {} bytes, sha256 {digest}",
                output.display(),
                blob.len()
            )?;
        }
        Command::Load { file } => {
            let bytes = read_file(&file)?;
            let blob = if bytes.starts_with(&MAGIC) {
                bytes
            } else {
                compile(&file, &bytes)?
            };
            load_blob(&sfs, &blob)?;
        }
        Command::Add(args) => edit(&sfs, &args, true)?,
        Command::Delete(args) => edit(&sfs, &args, false)?,
        Command::Show => {
            sfs.ensure_active()?;
            let policy = loaded_policy(&sfs)?;
            write!(out, "{}", decompile(&policy))?;
        }
        Command::Heartbeat { every: None } => {
            sfs.heartbeat()?;
            writeln!(out, "heartbeat: {}", sfs.heartbeat_status()?)?;
        }
        Command::Heartbeat {
            every: Some(interval),
        } => loop {
            sfs.heartbeat()?;
            std::thread::sleep(interval);
        },
        Command::Stats { json } => {
            let counters = sfs.stats()?;
            if json {
                writeln!(out, "{}", stats_json(&counters))?;
            } else {
                write!(out, "{}", stats_table(&counters))?;
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match try_main(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(msg)) if msg.contains("Broken pipe") => ExitCode::SUCCESS,
        Err(Failure(msg)) => {
            eprintln!("tcp-policy: error: {msg}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heartbeat_intervals() {
        assert_eq!(
            parse_interval("10s"),
            Ok(std::time::Duration::from_secs(10))
        );
        assert_eq!(
            parse_interval("500ms"),
            Ok(std::time::Duration::from_millis(500))
        );
        assert_eq!(
            parse_interval("2m"),
            Ok(std::time::Duration::from_secs(120))
        );
        for bad in [
            "",
            "10",
            "s",
            "0s",
            "61m",
            "1h",
            "-1s",
            "1.5s",
            "99999999999999999999s",
        ] {
            assert!(parse_interval(bad).is_err(), "{bad:?} accepted");
        }
    }

    fn counters() -> Vec<(String, u64)> {
        vec![
            ("decision.file.allowed".into(), 12345),
            ("cache.hits".into(), 7),
        ]
    }

    #[test]
    fn stats_table_is_aligned() {
        assert_eq!(
            stats_table(&counters()),
            "decision.file.allowed  12345\ncache.hits                 7\n"
        );
        assert_eq!(stats_table(&[]), "");
    }

    #[test]
    fn stats_json_keeps_the_order() {
        assert_eq!(
            stats_json(&counters()),
            r#"{"decision.file.allowed":12345,"cache.hits":7}"#
        );
        assert_eq!(stats_json(&[]), "{}");
    }
}
