//! `tcp-policy-compiler`: turns policy text into `policy.bin`, checks policy text, and
//! turns `policy.bin` back into text.
//!
//! Exit status: 0 success, 1 the policy has errors (all printed to stderr) or a file could
//! not be read or written, 2 bad usage.

use std::io::{self, Read, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use tcp_policy_compiler::cli::{Cli, Command};
use tcp_policy_compiler::{
    check_source_on_host, decode_policy, decompile, encode_policy, policy_digest,
    render_diagnostics, Checked,
};

/// Why the command failed.
enum Failure {
    /// The policy has errors; they were printed already.
    Reported,
    /// One message to print.
    Message(String),
    /// Standard output was closed (for example by `| head`): stop quietly.
    ClosedPipe,
    /// Bad usage: a message, and exit status 2.
    Usage(String),
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure::Message(message)
    }
}

impl From<&str> for Failure {
    fn from(message: &str) -> Failure {
        Failure::Message(message.to_string())
    }
}

fn abi_line() -> String {
    format!("policy abi {}", tcp_lsm_engine::abi::POLICY_ABI_VERSION)
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with status 0, usage errors to stderr with 2.
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match try_main(cli) {
        Ok(()) | Err(Failure::ClosedPipe) => ExitCode::SUCCESS,
        Err(Failure::Reported) => ExitCode::from(1),
        Err(Failure::Message(message)) => {
            let _ = writeln!(io::stderr(), "tcp-policy-compiler: {message}");
            ExitCode::from(1)
        }
        Err(Failure::Usage(message)) => {
            let _ = writeln!(io::stderr(), "tcp-policy-compiler: {message}");
            ExitCode::from(2)
        }
    }
}

fn try_main(cli: Cli) -> Result<(), Failure> {
    if cli.abi {
        return out(&format!("{}\n", abi_line()));
    }
    match cli.command {
        None => Err(Failure::Usage(
            "no command given (compile, check, canonical or decompile); see --help".into(),
        )),
        Some(Command::Compile { input, output }) => {
            let (name, text) = read_text(&input)?;
            let policy = checked_policy(&name, &text, check_source_on_host(&name, &text))?;
            let bytes = encode_policy(&policy).map_err(|d| {
                let _ = io::stderr().write_all(render_diagnostics(&name, &text, &[d]).as_bytes());
                Failure::Reported
            })?;
            write_file(&output, &bytes)?;
            let digest = policy_digest(&bytes).ok_or("encoder produced no header")?;
            out(&format!("{}\n", hex(&digest)))
        }
        Some(Command::Check { input }) => {
            let (name, text) = read_text(&input)?;
            let policy = checked_policy(&name, &text, check_source_on_host(&name, &text))?;
            let rules: usize = policy
                .domains
                .iter()
                .map(|d| d.files.len() + d.net.len())
                .sum();
            out(&format!(
                "{name}: ok ({}, {}, {}, {}, {})\n",
                count(policy.domains.len(), "domain"),
                count(policy.types.len(), "type"),
                count(policy.paths.len(), "path rule"),
                count(rules, "file and network rule"),
                count(policy.transitions.len(), "exec rule"),
            ))
        }
        Some(Command::Canonical { input }) => {
            let (name, text) = read_text(&input)?;
            let policy = checked_policy(&name, &text, check_source_on_host(&name, &text))?;
            out(&decompile(&policy))
        }
        Some(Command::Decompile { input, output }) => {
            let (name, bytes) = read_bytes(&input)?;
            let policy = decode_policy(&bytes).map_err(|e| format!("{name}: {e}"))?;
            let text = decompile(&policy);
            match output {
                Some(path) => write_file(&path, text.as_bytes()),
                None => out(&text),
            }
        }
    }
}

/// Prints warnings, and errors with a count; returns the policy when there was no error.
fn checked_policy(
    name: &str,
    text: &str,
    checked: Checked,
) -> Result<tcp_lsm_engine::model::Policy, Failure> {
    if !checked.diagnostics.is_empty() {
        let _ =
            io::stderr().write_all(render_diagnostics(name, text, &checked.diagnostics).as_bytes());
    }
    match checked.policy {
        Some(policy) => Ok(policy),
        None => {
            let errors = checked.diagnostics.iter().filter(|d| d.is_error()).count();
            let plural = if errors == 1 { "" } else { "s" };
            let _ = writeln!(
                io::stderr(),
                "\ntcp-policy-compiler: {errors} error{plural} in {name}; nothing written"
            );
            Err(Failure::Reported)
        }
    }
}

fn display_name(path: &Path) -> String {
    if path == Path::new("-") {
        "<stdin>".into()
    } else {
        path.display().to_string()
    }
}

fn read_bytes(path: &Path) -> Result<(String, Vec<u8>), Failure> {
    let name = display_name(path);
    let mut bytes = Vec::new();
    let result = if path == Path::new("-") {
        io::stdin().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::read(path).map(|b| bytes = b)
    };
    result.map_err(|e| format!("cannot read {name}: {e}"))?;
    Ok((name, bytes))
}

fn read_text(path: &Path) -> Result<(String, String), Failure> {
    let (name, bytes) = read_bytes(path)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "{name} is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })?;
    Ok((name, text))
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so
/// that a reader never sees half a policy.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let name = path.display();
    let file_name = path
        .file_name()
        .ok_or_else(|| format!("{name} is not a file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(file_name);
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    std::fs::write(&tmp, bytes).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write {name}: {e}")
    })?;
    Ok(())
}

/// Writes to standard output; a closed pipe ends the program quietly.
fn out(text: &str) -> Result<(), Failure> {
    let mut stdout = io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Err(Failure::ClosedPipe),
        Err(e) => Err(Failure::Message(format!(
            "cannot write to standard output: {e}"
        ))),
    }
}

/// `1 domain`, `2 domains`.
fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        tcp_policy_compiler::cli::Cli::command().debug_assert();
    }

    #[test]
    fn abi_line_names_the_version() {
        assert_eq!(super::abi_line(), "policy abi 1");
    }
}
