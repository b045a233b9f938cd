//! `tcp-policy-compiler`: turns policy text into `policy.bin`.
//!
//! The policy language and binary format are not defined yet (issue 3); for now the tool
//! only reports which policy ABI it targets, so scripts can check compatibility with
//! `/sys/kernel/security/tcp/version`.

use clap::Parser;

/// Compile TCP LSM policies (the language is not implemented yet).
#[derive(Parser, Debug)]
#[command(name = "tcp-policy-compiler", version)]
struct Cli {
    /// Print the policy ABI version this compiler targets and exit.
    #[arg(long)]
    abi: bool,
}

fn abi_line() -> String {
    format!("policy abi {}", tcp_lsm_engine::abi::POLICY_ABI_VERSION)
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if cli.abi {
        println!("{}", abi_line());
        return std::process::ExitCode::SUCCESS;
    }
    eprintln!("tcp-policy-compiler: the policy language is not implemented yet; only --abi works");
    std::process::ExitCode::from(2)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
