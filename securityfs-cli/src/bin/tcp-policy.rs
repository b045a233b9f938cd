//! `tcp-policy`: compile, load, edit and inspect TCP LSM policies through securityfs.
//!
//! Exit status: 0 on success, 1 when the operation failed (the message says why),
//! 2 for a usage error. `exec` exits with the command's status once it runs, and with 127
//! (not found) or 126 (not executable) when it cannot be run, as `env(1)` does.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use tcp_lsm_cli::cli::policy::{Cli, Command, ExecArgs, RuleArgs};
use tcp_lsm_cli::notify::{watchdog_period, Notifier};
use tcp_lsm_cli::policy_dir::{compile_set, load_dir, Outcome};
use tcp_lsm_cli::{exec, Securityfs};
use tcp_lsm_engine::format::{validate, MAGIC};
use tcp_policy_compiler::{
    apply_rule_args, decode_policy, decompile, encode_policy, policy_digest, Policy, SourceSet,
};

/// A failure, already phrased for the user, and the exit status it gives.
struct Failure(String, u8);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(e.to_string(), 1)
    }
}

impl Failure {
    fn new(message: impl Into<String>) -> Failure {
        Failure(message.into(), 1)
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>, Failure> {
    fs::read(path).map_err(|e| Failure::new(format!("cannot read {}: {e}", path.display())))
}

/// Compiles policy text, printing its warnings, or fails with every diagnostic.
fn compile(path: &Path, bytes: &[u8]) -> Result<Vec<u8>, Failure> {
    let name = path.display().to_string();
    let text = std::str::from_utf8(bytes).map_err(|_| {
        Failure::new(format!(
            "{name}: neither a compiled policy nor UTF-8 policy text"
        ))
    })?;
    let set = SourceSet::new(name.clone(), vec![(name.clone(), text.to_owned())]);
    let compiled = compile_set(&set, &name).map_err(Failure::new)?;
    if !compiled.warnings.is_empty() {
        eprint!("{}", compiled.warnings);
    }
    Ok(compiled.blob)
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
    decode_policy(&blob)
        .map_err(|e| Failure::new(format!("the kernel's policy does not decode: {e}")))
}

fn load_blob(sfs: &Securityfs, blob: &[u8]) -> Result<(), Failure> {
    // The kernel runs the same validator; checking first gives the precise reason.
    if let Err(e) = validate(blob) {
        return Err(Failure::new(format!("not a valid policy: {e}")));
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
    .map_err(Failure::new)?;
    let blob = encode_policy(&policy).map_err(|d| Failure::new(d.message))?;
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

/// The supervisor's loop: a heartbeat every `interval`, each followed by `WATCHDOG=1` to
/// systemd (and `READY=1` after the first) when run as a `Type=notify` service.
fn heartbeat_loop(sfs: &Securityfs, interval: std::time::Duration) -> Result<(), Failure> {
    let mut notifier = Notifier::from_env()
        .map_err(|e| Failure::new(format!("cannot use $NOTIFY_SOCKET: {e}")))?;
    if let Some(period) = watchdog_period() {
        if interval * 2 > period {
            eprintln!(
                "tcp-policy: warning: --every {interval:?} is more than half of the watchdog period {period:?} (WatchdogSec=): a late heartbeat gets the service restarted"
            );
        }
    }
    loop {
        sfs.heartbeat()?;
        if let Err(e) = notifier.alive() {
            // systemd's watchdog restarts a service that stops notifying, so say why.
            eprintln!("tcp-policy: warning: cannot notify systemd: {e}");
        }
        std::thread::sleep(interval);
    }
}

/// `tcp-policy exec`: checks the domain, asks for it at the next exec, then runs the
/// command in place of this process. Returns only on failure.
fn run_in_domain(sfs: &Securityfs, args: &ExecArgs) -> Failure {
    let failed = |e: exec::ExecError| Failure(e.to_string(), e.exit_status());
    if let Err(e) = exec::check_name(&args.domain) {
        return failed(e);
    }
    if let Err(e) = sfs.ensure_active() {
        return e.into();
    }
    match sfs.read_policy() {
        Ok(blob) => {
            let policy = if blob.is_empty() {
                None
            } else {
                match decode_policy(&blob) {
                    Ok(p) => Some(p),
                    Err(e) => {
                        return Failure::new(format!("the kernel's policy does not decode: {e}"))
                    }
                }
            };
            if let Err(e) = exec::check_domain(policy.as_ref(), &args.domain) {
                return failed(e);
            }
        }
        // Only root may read the policy; the kernel checks the name anyway (EINVAL).
        Err(tcp_lsm_cli::Error::NotPermitted { .. }) => {}
        Err(e) => return e.into(),
    }
    if let Err(e) = exec::request_domain(&args.domain) {
        return failed(e);
    }
    failed(exec::exec_command(&args.command))
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
                    let p = decode_policy(&blob).map_err(Failure::new)?;
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
                .map_err(|e| Failure::new(format!("cannot write {}: {e}", output.display())))?;
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
        } => heartbeat_loop(&sfs, interval)?,
        Command::LoadDir(args) => {
            let outcome = load_dir(
                &sfs,
                &args.dir,
                args.fallback.as_deref(),
                args.save.as_deref(),
                &mut out,
                &mut std::io::stderr(),
            )
            .map_err(Failure::new)?;
            if outcome == Outcome::FellBack {
                // Loaded, so the boot goes on; the reasons are on standard error.
                writeln!(out, "loaded the fallback policy; fix the errors above")?;
            }
        }
        Command::Exec(args) => {
            drop(out);
            return Err(run_in_domain(&sfs, &args));
        }
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
        Err(Failure(msg, _)) if msg.contains("Broken pipe") => ExitCode::SUCCESS,
        Err(Failure(msg, status)) => {
            eprintln!("tcp-policy: error: {msg}");
            ExitCode::from(status)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tcp_lsm_cli::cli::policy::parse_interval;

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
