//! `tcp-bench`: the TCP LSM's overhead benchmarks (`scripts/bench-overhead.sh` drives it).
//!
//! - `tcp-bench worker --config C`: runs the micro-benchmarks in the calling process's
//!   confinement and prints `@bench` lines (in the guest).
//! - `tcp-bench guest --boot landlock|tcp --policies DIR`: one boot's configurations (in
//!   the guest, as root).
//! - `tcp-bench policy [--extra-rules N]`: prints the benchmark policy text (host).
//! - `tcp-bench report --results FILE`: the Markdown report from the guests' output and
//!   the engine's criterion results (host).
//! - `tcp-bench profile --log FILE --system-map FILE --ops N`: instructions per operation
//!   of each kernel function, from QEMU's TCG log (host; bench/findings.md says how).
//!
//! Exit status: 0 success, 1 failure (one line says why), 2 usage error.

mod guest;
mod micro;
mod policy;
mod profile;
mod report;
mod sandbox;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(name = "tcp-bench", about = "Overhead benchmarks of the TCP LSM")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum BootArg {
    /// `lsm=landlock`: configurations (a) and (e).
    Landlock,
    /// `lsm=landlock,tcp`: configurations (b), (c) and (d).
    Tcp,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the micro-benchmarks in this process's confinement.
    Worker {
        /// The configuration letter printed with each sample.
        #[arg(long)]
        config: String,
        /// Samples per benchmark.
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
        samples: u32,
        /// Only these benchmarks (comma-separated names).
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
        /// Restrict this process with the Landlock ruleset of configuration (e) first.
        #[arg(long)]
        landlock: bool,
        /// Fail unless /proc/self/attr/tcp/current names this domain.
        #[arg(long)]
        expect_domain: Option<String>,
    },
    /// Runs one boot's configurations (in the guest, as root).
    Guest {
        /// How the kernel was booted.
        #[arg(long, value_enum)]
        boot: BootArg,
        /// Samples per benchmark and configuration in each repetition.
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
        samples: u32,
        /// Alternations of the configurations within the boot.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
        reps: u32,
        /// Folder holding agent.bin and agent-10k.bin (for --boot tcp).
        #[arg(long, default_value = "/add/bench")]
        policies: PathBuf,
        /// Only these benchmarks (comma-separated names).
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
    },
    /// Prints the benchmark policy text.
    Policy {
        /// Generated rules added to the realistic policy (half path rules, half file rules).
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
        extra_rules: u32,
    },
    /// Prints instructions per operation of each kernel function, from a QEMU TCG log
    /// (`-d exec,nochain,in_asm`).
    Profile {
        /// The QEMU log (`-D FILE`).
        #[arg(long)]
        log: PathBuf,
        /// The kernel's System.map.
        #[arg(long)]
        system_map: PathBuf,
        /// Operations the workload made (warm-up included), to divide by.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        ops: u64,
        /// How many functions to print.
        #[arg(long, default_value_t = 25)]
        top: usize,
    },
    /// Writes the Markdown report.
    Report {
        /// The guests' output (`@boot`, `@bench`, `@check`, `@info` lines).
        #[arg(long)]
        results: PathBuf,
        /// Criterion's output folder (target/criterion).
        #[arg(long)]
        criterion: Option<PathBuf>,
        /// `icount` or `wall`: how the guest's clock ran.
        #[arg(long, default_value = "icount", value_parser = ["icount", "wall"])]
        clock: String,
        /// Facts about the machine and the run, one `--fact` each.
        #[arg(long)]
        fact: Vec<String>,
        /// Hand-written findings to include.
        #[arg(long)]
        findings: Option<PathBuf>,
        /// Where to write the report (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

fn try_main(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Worker {
            config,
            samples,
            only,
            landlock,
            expect_domain,
        } => {
            if let Some(unknown) = only
                .iter()
                .find(|o| !micro::BENCHES.iter().any(|b| b.name == o.as_str()))
            {
                return Err(format!("unknown benchmark {unknown}"));
            }
            if landlock {
                sandbox::restrict()?;
            }
            if let Some(want) = expect_domain {
                let got = std::fs::read_to_string("/proc/self/attr/tcp/current")
                    .map_err(|e| format!("read /proc/self/attr/tcp/current: {e}"))?;
                let got = got.trim_end_matches(['\0', '\n']);
                if got != want {
                    return Err(format!(
                        "worker ({config}) runs in domain {got:?}, expected {want:?}"
                    ));
                }
            }
            micro::run_all(&config, samples, &only)
        }
        Command::Guest {
            boot,
            samples,
            reps,
            policies,
            only,
        } => {
            let boot = match boot {
                BootArg::Landlock => guest::Boot::Landlock,
                BootArg::Tcp => guest::Boot::Tcp,
            };
            guest::run(boot, samples, reps, &policies, &only)
        }
        Command::Profile {
            log,
            system_map,
            ops,
            top,
        } => {
            let open = |p: &PathBuf| {
                std::fs::File::open(p)
                    .map(std::io::BufReader::new)
                    .map_err(|e| format!("open {}: {e}", p.display()))
            };
            let syms = profile::read_symbols(open(&system_map)?)?;
            let per = profile::profile(open(&log)?, &syms)?;
            let total: u64 = per.iter().map(|(_, n)| n).sum();
            println!(
                "{:>10.1}  total instructions per operation",
                total as f64 / ops as f64
            );
            for (name, n) in per.iter().take(top) {
                println!("{:>10.1}  {name}", *n as f64 / ops as f64);
            }
            Ok(())
        }
        Command::Policy { extra_rules } => {
            print!("{}", policy::agent(extra_rules as usize));
            Ok(())
        }
        Command::Report {
            results,
            criterion,
            clock,
            fact,
            findings,
            out,
        } => {
            let text = std::fs::read_to_string(&results)
                .map_err(|e| format!("read {}: {e}", results.display()))?;
            let r = report::parse(&text)?;
            if r.samples.is_empty() {
                return Err(format!("{}: no @bench lines", results.display()));
            }
            let crit = match &criterion {
                Some(dir) if dir.is_dir() => report::read_criterion(dir)?,
                _ => Vec::new(),
            };
            let findings = match &findings {
                Some(p) => Some(
                    std::fs::read_to_string(p).map_err(|e| format!("read {}: {e}", p.display()))?,
                ),
                None => None,
            };
            let ctx = report::Context {
                clock: &clock,
                facts: &fact,
                findings: findings.as_deref(),
            };
            let md = report::markdown(&r, &crit, &ctx);
            match out {
                Some(p) => {
                    std::fs::write(&p, md).map_err(|e| format!("write {}: {e}", p.display()))
                }
                None => {
                    print!("{md}");
                    Ok(())
                }
            }
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match try_main(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tcp-bench: error: {e}");
            ExitCode::FAILURE
        }
    }
}
