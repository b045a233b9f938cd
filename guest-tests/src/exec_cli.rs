//! The `exec` suite: `tcp-policy load-dir` and `tcp-policy exec` against the real LSM.
//!
//! `load-dir` loads a folder of two policy files (a type in one, the domains in the other),
//! saves the binary, and falls back to it when a file is broken; `exec` starts
//! `/bin/tcp-probe self-attr` (which prints the domain `lsm_get_self_attr` reports) in a
//! domain, and refuses an unknown domain naming the known ones.

use std::fs;

use crate::harness::{ensure, ensure_eq, run, Outcome, Test};

/// The tests of the suite, in order (the first loads the policy the others use).
pub const ACTIVE: &[Test] = &[
    Test {
        name: "tcp_policy_load_dir_loads_and_saves",
        run: load_dir_loads_and_saves,
    },
    Test {
        name: "tcp_policy_load_dir_falls_back_to_the_last_good",
        run: load_dir_falls_back,
    },
    Test {
        name: "tcp_policy_exec_runs_the_command_in_the_domain",
        run: exec_enters_the_domain,
    },
    Test {
        name: "tcp_policy_exec_refuses_an_unknown_domain",
        run: exec_unknown_domain,
    },
];

const DIR: &str = "/tmp/exec-cli/policy.d";
const SAVED: &str = "/tmp/exec-cli/last-good.bin";

const TYPES: &str = "type probe_bin { exact /bin/tcp-probe; }\n";
const DOMAINS: &str = "domain exec_cli_a {\n    allow file probe_bin { read execute mmap getattr };\n}\n\
                       domain exec_cli_b {\n    allow file probe_bin { read execute mmap getattr };\n}\n";

fn write_dir(domains: &str) -> Outcome {
    fs::create_dir_all(DIR).map_err(|e| format!("mkdir {DIR}: {e}"))?;
    fs::write(format!("{DIR}/10-types.policy"), TYPES).map_err(|e| e.to_string())?;
    fs::write(format!("{DIR}/20-domains.policy"), domains).map_err(|e| e.to_string())
}

fn policy_hash() -> Result<String, String> {
    fs::read_to_string("/sys/kernel/security/tcp/policy_hash")
        .map(|s| s.trim().to_owned())
        .map_err(|e| e.to_string())
}

fn load_dir_loads_and_saves() -> Outcome {
    let _ = fs::remove_file(SAVED);
    write_dir(DOMAINS)?;
    let (code, out, err) = run(
        "tcp-policy",
        &["load-dir", DIR, "--fallback", SAVED, "--save", SAVED],
    )?;
    ensure_eq(code, 0, &format!("load-dir exit status ({err})"))?;
    ensure(
        out.contains("(2 files): generation"),
        format!("load-dir output: {out:?}"),
    )?;
    let saved = fs::read(SAVED).map_err(|e| format!("{SAVED} not saved: {e}"))?;
    let in_force = fs::read("/sys/kernel/security/tcp/policy").map_err(|e| e.to_string())?;
    ensure(saved == in_force, "the saved policy is the one in force")
}

fn load_dir_falls_back() -> Outcome {
    let before = policy_hash()?;
    write_dir("domain exec_cli_a {\n    allow file no_such_type read;\n}\n")?;
    // As at boot: the diagnostics, then the last good policy.
    let (code, _, err) = run("tcp-policy", &["load-dir", DIR, "--fallback", SAVED])?;
    ensure_eq(code, 0, &format!("fallback exit status ({err})"))?;
    ensure(
        err.contains("20-domains.policy:2:16: error: undefined type `no_such_type`"),
        format!("diagnostic names the file: {err:?}"),
    )?;
    ensure(
        err.contains("loaded the last good policy"),
        format!("fallback reported: {err:?}"),
    )?;
    ensure_eq(
        policy_hash()?,
        before.clone(),
        "the last good policy is in force",
    )?;
    // As on reload: no fallback, nothing changes, exit status 1.
    let (code, _, _) = run("tcp-policy", &["load-dir", DIR])?;
    ensure_eq(code, 1, "reload of a broken folder fails")?;
    ensure_eq(policy_hash()?, before, "a failed reload changes nothing")?;
    write_dir(DOMAINS)
}

fn exec_enters_the_domain() -> Outcome {
    for domain in ["exec_cli_a", "exec_cli_b"] {
        let (code, out, err) = run(
            "tcp-policy",
            &[
                "exec",
                "--domain",
                domain,
                "--",
                "/bin/tcp-probe",
                "self-attr",
            ],
        )?;
        ensure_eq(code, 0, &format!("exec status ({err})"))?;
        ensure_eq(out.trim(), domain, "the domain the probe runs in")?;
    }
    Ok(())
}

fn exec_unknown_domain() -> Outcome {
    let (code, out, err) = run(
        "tcp-policy",
        &[
            "exec",
            "--domain",
            "exec_cli_c",
            "--",
            "/bin/tcp-probe",
            "self-attr",
        ],
    )?;
    ensure_eq(code, 1, "unknown domain exit status")?;
    ensure(out.is_empty(), format!("the command did not run: {out:?}"))?;
    ensure(
        err.contains(
            "\"exec_cli_c\" is not a domain of the loaded policy; its domains: exec_cli_a, exec_cli_b",
        ),
        format!("message: {err:?}"),
    )?;
    let (code, _, _) = run(
        "tcp-policy",
        &["exec", "--domain", "1bad", "--", "/bin/true"],
    )?;
    ensure_eq(code, 2, "an invalid name is a usage error")
}
