//! `tcp-lsm-gen OUT_DIR`: the man pages and shell completions of the three programs, made
//! from the same clap definitions the programs parse with (so they cannot drift).
//!
//! Writes `OUT_DIR/man/man1/*.1` (one page per program and one per subcommand, as
//! `tcp-policy-load-dir.1`) and `OUT_DIR/completions/{bash,zsh,fish}/` under the names
//! each shell looks for (`tcp-policy`, `_tcp-policy`, `tcp-policy.fish`).
//! `scripts/build-debs.sh` runs it before packaging. Exit status 0, 1 when a file cannot
//! be written, 2 for bad usage.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use clap_complete::Shell;

/// Write the man pages and shell completions of tcp-policy, tcp-monitor and
/// tcp-policy-compiler.
#[derive(Parser, Debug)]
#[command(name = "tcp-lsm-gen", version)]
struct Args {
    /// Folder to write into (created if missing): man/man1/ and completions/SHELL/.
    out_dir: PathBuf,
}

/// The three programs' command definitions.
fn commands() -> Vec<clap::Command> {
    vec![
        tcp_lsm_cli::cli::policy::Cli::command(),
        tcp_lsm_cli::cli::monitor::Cli::command(),
        tcp_policy_compiler::cli::Cli::command(),
    ]
}

/// Where each shell looks for a program's completion.
fn completion_file(shell: Shell, program: &str) -> String {
    match shell {
        Shell::Zsh => format!("_{program}"),
        Shell::Fish => format!("{program}.fish"),
        _ => program.to_owned(),
    }
}

fn generate(out_dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let man_dir = out_dir.join("man").join("man1");
    std::fs::create_dir_all(&man_dir)?;
    let mut written = Vec::new();
    for cmd in commands() {
        // generate_to writes the program's page and one per subcommand.
        clap_mangen::generate_to(cmd.clone(), &man_dir)?;
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let dir = out_dir.join("completions").join(shell.to_string());
            std::fs::create_dir_all(&dir)?;
            let name = cmd.get_name().to_owned();
            let path = dir.join(completion_file(shell, &name));
            let mut file = std::fs::File::create(&path)?;
            let mut cmd = cmd.clone();
            clap_complete::generate(shell, &mut cmd, name, &mut file);
            written.push(path);
        }
    }
    for entry in std::fs::read_dir(&man_dir)? {
        written.push(entry?.path());
    }
    written.sort();
    Ok(written)
}

fn main() -> ExitCode {
    let args = Args::parse();
    match generate(&args.out_dir) {
        Ok(files) => {
            println!(
                "tcp-lsm-gen: {} files in {}",
                files.len(),
                args.out_dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!(
                "tcp-lsm-gen: error: cannot write into {}: {e}",
                args.out_dir.display()
            );
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_every_page_and_completion() {
        let dir = tempfile::tempdir().expect("tempdir");
        let files = generate(dir.path()).expect("generate");
        let names: Vec<String> = files
            .iter()
            .filter_map(|p| p.strip_prefix(dir.path()).ok())
            .map(|p| p.display().to_string())
            .collect();
        for expected in [
            "man/man1/tcp-policy.1",
            "man/man1/tcp-policy-exec.1",
            "man/man1/tcp-policy-load-dir.1",
            "man/man1/tcp-policy-heartbeat.1",
            "man/man1/tcp-monitor.1",
            "man/man1/tcp-policy-compiler.1",
            "man/man1/tcp-policy-compiler-compile.1",
            "completions/bash/tcp-policy",
            "completions/zsh/_tcp-monitor",
            "completions/fish/tcp-policy-compiler.fish",
        ] {
            assert!(
                names.iter().any(|n| n == expected),
                "{expected} missing: {names:?}"
            );
        }
        let page =
            std::fs::read_to_string(dir.path().join("man/man1/tcp-policy-exec.1")).expect("page");
        assert!(page.contains("\\-\\-domain"), "{page}");
        let bash =
            std::fs::read_to_string(dir.path().join("completions/bash/tcp-policy")).expect("bash");
        assert!(bash.contains("load-dir"), "subcommands are completed");
    }
}
