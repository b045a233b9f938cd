//! Tests of policy loading through `/sys/kernel/security/tcp/policy`.
//!
//! Blobs are built here with the engine's encoder (the same code the compiler uses), then
//! written to the kernel whole, in chunks, truncated or mutated. For every mutated blob the
//! userspace validator predicts the kernel's answer, so the test also checks that kernel
//! and compiler run the same validator.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::process::Command;

use nix::errno::Errno;
use tcp_lsm_engine::encode::encode;
use tcp_lsm_engine::format::{validate, ErrorClass, HEADER_SIZE, MAX_POLICY_SIZE};
use tcp_lsm_engine::sha256::sha256;

use crate::harness::{ensure, ensure_eq, ensure_errno, errno_of, helper, Outcome, Test};
use crate::helpers::policy_load::{load, sample_blob, sample_policy, POLICY};

const GENERATION: &str = "/sys/kernel/security/tcp/generation";
const HASH: &str = "/sys/kernel/security/tcp/policy_hash";

/// Tests for a kernel booted with `tcp` in `lsm=`. The first one must run before any load.
pub const ACTIVE: &[Test] = &[
    Test {
        name: "policy_none_loaded_at_boot",
        run: none_at_boot,
    },
    Test {
        name: "policy_load_increments_generation",
        run: load_increments_generation,
    },
    Test {
        name: "policy_load_in_small_chunks",
        run: load_in_chunks,
    },
    Test {
        name: "policy_read_back_is_loaded_blob",
        run: read_back,
    },
    Test {
        name: "policy_rejects_bad_magic_version_checksum",
        run: rejects_header_faults,
    },
    Test {
        name: "policy_rejects_oversized_blobs",
        run: rejects_huge,
    },
    Test {
        name: "policy_rejects_bytes_past_declared_end",
        run: rejects_trailing_bytes,
    },
    Test {
        name: "policy_truncated_blob_loads_nothing",
        run: truncated_loads_nothing,
    },
    Test {
        name: "policy_rejects_writes_at_wrong_offset",
        run: rejects_offset_writes,
    },
    Test {
        name: "policy_refuses_after_rejection_until_reopen",
        run: refuses_after_rejection,
    },
    Test {
        name: "policy_mutated_blobs_match_userspace_validator",
        run: mutated_blobs,
    },
    Test {
        name: "policy_write_needs_mac_admin",
        run: needs_mac_admin,
    },
    Test {
        name: "policy_concurrent_loads_leave_one_policy",
        run: concurrent_loads,
    },
    Test {
        name: "policy_mode_setting_switches_global_mode",
        run: mode_setting,
    },
    Test {
        name: "cli_compile_load_add_delete_show",
        run: cli_policy_commands,
    },
    Test {
        name: "cli_policy_errors_are_clear",
        run: cli_policy_errors,
    },
];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn generation() -> Result<u64, String> {
    let text = fs::read_to_string(GENERATION).map_err(|e| format!("read {GENERATION}: {e}"))?;
    text.trim()
        .parse()
        .map_err(|_| format!("generation {text:?} is not a number"))
}

fn hash() -> Result<String, String> {
    fs::read_to_string(HASH)
        .map(|s| s.trim().to_owned())
        .map_err(|e| format!("read {HASH}: {e}"))
}

/// The state every load test compares against: generation and hash.
fn snapshot() -> Result<(u64, String), String> {
    Ok((generation()?, hash()?))
}

fn ensure_unchanged(before: &(u64, String), what: &str) -> Outcome {
    ensure_eq(
        &snapshot()?,
        before,
        &format!("generation and hash after {what}"),
    )
}

/// Recomputes the digest of a blob after a mutation, so that a check other than the
/// checksum has to catch it.
fn reseal(blob: &mut [u8]) {
    if blob.len() < HEADER_SIZE {
        return;
    }
    if let Some(d) = blob.get_mut(32..64) {
        d.fill(0);
    }
    let digest = sha256(blob);
    if let Some(d) = blob.get_mut(32..64) {
        d.copy_from_slice(&digest);
    }
}

/// The errno the kernel documents for a validator error class.
fn errno_for(class: ErrorClass) -> Errno {
    match class {
        ErrorClass::TooLarge => Errno::EFBIG,
        ErrorClass::BadMagic => Errno::ENOEXEC,
        ErrorClass::BadVersion => Errno::EPROTO,
        ErrorClass::BadChecksum => Errno::EBADMSG,
        _ => Errno::EINVAL,
    }
}

fn none_at_boot() -> Outcome {
    ensure_eq(generation()?, 0, "generation at boot")?;
    ensure_eq(hash()?, "none".to_owned(), "hash at boot")?;
    ensure_eq(
        fs::read(POLICY).map_err(|e| e.to_string())?,
        Vec::new(),
        "policy at boot",
    )
}

fn load_increments_generation() -> Outcome {
    for n in 0..3 {
        let before = generation()?;
        let blob = sample_blob(n)?;
        ensure_eq(
            load(&blob).map_err(|e| format!("load: {e}"))?,
            blob.len(),
            "bytes written",
        )?;
        ensure_eq(generation()?, before + 1, "generation after load")?;
        ensure_eq(hash()?, hex(&blob[32..64]), "hash after load")?;
    }
    Ok(())
}

fn load_in_chunks() -> Outcome {
    let blob = sample_blob(10)?;
    let before = generation()?;
    let mut file = OpenOptions::new()
        .write(true)
        .open(POLICY)
        .map_err(|e| e.to_string())?;
    for chunk in blob.chunks(7) {
        ensure_eq(
            file.write(chunk).map_err(|e| format!("chunk: {e}"))?,
            chunk.len(),
            "chunk",
        )?;
    }
    ensure_eq(generation()?, before + 1, "generation after chunked load")?;
    ensure_eq(hash()?, hex(&blob[32..64]), "hash after chunked load")
}

fn read_back() -> Outcome {
    let blob = sample_blob(20)?;
    load(&blob).map_err(|e| format!("load: {e}"))?;
    ensure_eq(
        fs::read(POLICY).map_err(|e| e.to_string())?,
        blob,
        "policy read back",
    )
}

fn rejects_header_faults() -> Outcome {
    let good = sample_blob(30)?;
    load(&good).map_err(|e| format!("load: {e}"))?;
    let before = snapshot()?;
    let mut bad_magic = good.clone();
    bad_magic[0] ^= 0xff;
    reseal(&mut bad_magic);
    ensure_errno(load(&bad_magic), Errno::ENOEXEC, "bad magic")?;
    let mut bad_version = good.clone();
    bad_version[8] = bad_version[8].wrapping_add(1);
    reseal(&mut bad_version);
    ensure_errno(load(&bad_version), Errno::EPROTO, "wrong ABI version")?;
    let mut bad_sum = good.clone();
    let last = bad_sum.len() - 1;
    bad_sum[last] ^= 0x01;
    ensure_errno(load(&bad_sum), Errno::EBADMSG, "bad checksum")?;
    let mut bad_digest = good.clone();
    bad_digest[40] ^= 0x80;
    ensure_errno(load(&bad_digest), Errno::EBADMSG, "bad digest field")?;
    ensure_unchanged(&before, "header faults")
}

fn rejects_huge() -> Outcome {
    let good = sample_blob(40)?;
    load(&good).map_err(|e| format!("load: {e}"))?;
    let before = snapshot()?;
    for total in [MAX_POLICY_SIZE as u64 + 1, u64::from(u32::MAX)] {
        let mut huge = good.clone();
        huge[16..20].copy_from_slice(&u32::try_from(total).unwrap_or(u32::MAX).to_le_bytes());
        ensure_errno(load(&huge), Errno::EFBIG, &format!("declared size {total}"))?;
    }
    // Actually streaming more than the limit is refused too, without the kernel keeping it.
    let mut file = OpenOptions::new()
        .write(true)
        .open(POLICY)
        .map_err(|e| e.to_string())?;
    let mut header = good.clone();
    header.truncate(HEADER_SIZE);
    header[16..20].copy_from_slice(&u32::try_from(MAX_POLICY_SIZE).unwrap_or(0).to_le_bytes());
    file.write_all(&header)
        .map_err(|e| format!("header: {e}"))?;
    let chunk = vec![0u8; 1 << 20];
    let mut result = Ok(0);
    for _ in 0..=(MAX_POLICY_SIZE >> 20) {
        result = file.write(&chunk);
        if result.is_err() {
            break;
        }
    }
    ensure(
        result.is_err(),
        "streaming past the size limit was accepted",
    )?;
    ensure_unchanged(&before, "oversized blobs")
}

fn rejects_trailing_bytes() -> Outcome {
    let mut blob = sample_blob(50)?;
    let before = snapshot()?;
    blob.push(0);
    ensure_errno(load(&blob), Errno::EINVAL, "one byte past the declared end")?;
    ensure_unchanged(&before, "trailing bytes")
}

fn truncated_loads_nothing() -> Outcome {
    let blob = sample_blob(60)?;
    let before = snapshot()?;
    for len in (0..blob.len()).step_by(3) {
        // A prefix is accepted as the start of a blob; closing the file loads nothing.
        let written = load(&blob[..len]);
        ensure(
            written.is_ok(),
            format!("prefix of {len} bytes: {written:?}"),
        )?;
        ensure_unchanged(&before, &format!("prefix of {len} bytes"))?;
    }
    Ok(())
}

fn rejects_offset_writes() -> Outcome {
    let blob = sample_blob(70)?;
    let before = snapshot()?;
    let file = OpenOptions::new()
        .write(true)
        .open(POLICY)
        .map_err(|e| e.to_string())?;
    ensure_errno(file.write_at(&blob, 1), Errno::EINVAL, "pwrite at offset 1")?;
    ensure_unchanged(&before, "offset write")
}

fn refuses_after_rejection() -> Outcome {
    let blob = sample_blob(80)?;
    let before = snapshot()?;
    let mut file = OpenOptions::new()
        .write(true)
        .open(POLICY)
        .map_err(|e| e.to_string())?;
    ensure_errno(file.write(b"NOTAPOLICY"), Errno::ENOEXEC, "garbage")?;
    ensure_errno(
        file.write(&blob),
        Errno::EINVAL,
        "good blob on the same descriptor",
    )?;
    ensure_unchanged(&before, "refused descriptor")?;
    drop(file);
    load(&blob).map_err(|e| format!("load after reopen: {e}"))?;
    ensure_eq(generation()?, before.0 + 1, "generation after reopen")
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n.max(1) as u64)).unwrap_or(0)
    }
}

/// What the kernel must do with a blob written whole in one write.
enum Expected {
    /// Validate and load it.
    Load,
    /// Treat it as the first part of a longer blob (nothing loads when the file closes).
    Partial,
    /// Refuse it with this errno.
    Reject(Errno),
}

/// The kernel's answer, predicted from the streaming checks it makes as bytes arrive
/// (the engine's `declared_size`: magic, version, declared size; the kernel runs the same
/// code) and then from the userspace validator.
fn expected_outcome(blob: &[u8]) -> Expected {
    match tcp_lsm_engine::format::declared_size(blob) {
        Err(e) => return Expected::Reject(errno_for(e.class())),
        Ok(Some(declared)) if blob.len() > declared => return Expected::Reject(Errno::EINVAL),
        Ok(Some(declared)) if blob.len() < declared => return Expected::Partial,
        Ok(_) => {}
    }
    match validate(blob) {
        Ok(_) => Expected::Load,
        Err(e) => Expected::Reject(errno_for(e.class())),
    }
}

fn mutated_blobs() -> Outcome {
    let good = sample_blob(90)?;
    load(&good).map_err(|e| format!("load: {e}"))?;
    let mut rng = Rng(0x7c9_1e5d_2024);
    let (mut rejected, mut accepted) = (0u32, 0u32);
    for i in 0..400 {
        let mut blob = good.clone();
        match i % 4 {
            0 => {
                let at = rng.below(blob.len());
                blob[at] ^= 1 << rng.below(8);
            }
            1 => {
                // A u32 field set to an extreme value, digest recomputed.
                let at = rng.below(blob.len() / 4) * 4;
                let value = [0u32, 1, 0xffff, u32::MAX, 64, 0x8000_0000][rng.below(6)];
                blob[at..at + 4].copy_from_slice(&value.to_le_bytes());
                reseal(&mut blob);
            }
            2 => {
                let at = rng.below(blob.len());
                blob[at] = rng.next() as u8;
                reseal(&mut blob);
            }
            _ => {
                // Shorter blob that still declares its own length, digest recomputed.
                let len = HEADER_SIZE + rng.below(blob.len() - HEADER_SIZE);
                blob.truncate(len);
                blob[16..20].copy_from_slice(&u32::try_from(len).unwrap_or(0).to_le_bytes());
                reseal(&mut blob);
            }
        }
        let before = snapshot()?;
        let got = load(&blob);
        match expected_outcome(&blob) {
            Expected::Partial => {
                // The header now declares a longer blob: the write is its beginning.
                ensure(
                    got.is_ok(),
                    format!("mutation {i}: partial blob refused: {got:?}"),
                )?;
                ensure_unchanged(&before, &format!("mutation {i} (partial)"))?;
            }
            Expected::Load => {
                accepted += 1;
                ensure(
                    got.is_ok(),
                    format!("mutation {i}: validator accepts, kernel: {got:?}"),
                )?;
                ensure_eq(
                    generation()?,
                    before.0 + 1,
                    &format!("mutation {i}: generation"),
                )?;
            }
            Expected::Reject(errno) => {
                rejected += 1;
                ensure_eq(errno_of(&got), Some(errno), &format!("mutation {i}: errno"))?;
                ensure_unchanged(&before, &format!("mutation {i}"))?;
            }
        }
    }
    ensure(
        rejected >= 300,
        format!("only {rejected} of 400 mutations were invalid ({accepted} valid)"),
    )
}

fn needs_mac_admin() -> Outcome {
    ensure_eq(
        helper(
            "no-mac-admin",
            &["open-write:/sys/kernel/security/tcp/policy"],
        )?,
        "errno=EPERM".to_owned(),
        "root without CAP_MAC_ADMIN",
    )?;
    ensure_eq(
        helper("as-nobody", &["open-write:/sys/kernel/security/tcp/policy"])?,
        "errno=EACCES".to_owned(),
        "nobody",
    )?;
    ensure_eq(
        helper("as-nobody", &["read:/sys/kernel/security/tcp/policy"])?,
        "errno=EACCES".to_owned(),
        "nobody reading",
    )
}

fn concurrent_loads() -> Outcome {
    const WRITERS: u32 = 4;
    const LOADS: u32 = 25;
    let before = generation()?;
    let spawned: Vec<_> = (0..WRITERS)
        .map(|w| {
            Command::new("/proc/self/exe")
                .args(["__helper", "load-many", &w.to_string(), &LOADS.to_string()])
                .stdout(std::process::Stdio::piped())
                .spawn()
        })
        .collect::<Result<_, _>>()
        .map_err(|e| format!("spawn: {e}"))?;
    let mut loaded = 0u64;
    for child in spawned {
        let out = child.wait_with_output().map_err(|e| format!("wait: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout);
        loaded += text
            .trim()
            .parse::<u64>()
            .map_err(|_| format!("helper said {text:?}"))?;
    }
    let expected_total = u64::from(WRITERS * LOADS);
    ensure_eq(loaded, expected_total, "successful loads")?;
    ensure_eq(
        generation()?,
        before + expected_total,
        "generation after concurrent loads",
    )?;
    let current = fs::read(POLICY).map_err(|e| e.to_string())?;
    ensure(
        validate(&current).is_ok(),
        "the policy in force does not validate",
    )?;
    ensure_eq(
        hash()?,
        hex(&current[32..64]),
        "hash of the policy in force",
    )?;
    let candidates: Vec<Vec<u8>> = (0..WRITERS)
        .map(|w| sample_blob(1000 + w))
        .collect::<Result<_, _>>()?;
    ensure(
        candidates.contains(&current),
        "the policy in force is none of the loaded ones",
    )
}

/// Runs `tcp-policy ARGS`; returns (exit code, stdout, stderr).
fn cli(args: &[&str]) -> Result<(i32, String, String), String> {
    crate::harness::run("tcp-policy", args)
}

const EXAMPLE: &str = "/examples/coding-agent.policy";

fn cli_policy_commands() -> Outcome {
    let (code, out, err) = cli(&["compile", EXAMPLE, "-o", "/tmp/cli.bin"])?;
    ensure_eq(code, 0, &format!("compile ({err})"))?;
    let blob = fs::read("/tmp/cli.bin").map_err(|e| e.to_string())?;
    let digest = hex(&blob[32..64]);
    ensure(
        out.contains(&digest),
        format!("compile output {out:?} lacks the digest {digest}"),
    )?;
    let before = generation()?;
    let (code, out, err) = cli(&["load", "/tmp/cli.bin"])?;
    ensure_eq(code, 0, &format!("load ({err})"))?;
    ensure_eq(
        out,
        format!("loaded: generation {}, sha256 {digest}\n", before + 1),
        "load output",
    )?;
    ensure_eq(hash()?, digest.clone(), "hash after CLI load")?;
    // Policy text is compiled on the fly.
    let (code, _, err) = cli(&["load", EXAMPLE])?;
    ensure_eq(code, 0, &format!("load text ({err})"))?;
    ensure_eq(
        (generation()?, hash()?),
        (before + 2, digest),
        "load of the same policy as text",
    )?;

    let rule = [
        "--subject=ai_agent",
        "--object=training_data",
        "--class=file",
        "--permission=read",
        "--decision=allow",
    ];
    let (code, _, err) = cli(&[&["add"][..], &rule[..]].concat())?;
    ensure_eq(code, 0, &format!("add ({err})"))?;
    ensure_eq(generation()?, before + 3, "generation after add")?;
    let (_, shown, _) = cli(&["show"])?;
    ensure(
        shown.contains("domain ai_agent {") && shown.contains("allow file training_data read;"),
        format!("show after add lacks the rule:\n{shown}"),
    )?;
    ensure(
        shown.contains("domain coding_agent {"),
        "add dropped the rest of the policy",
    )?;
    let (code, _, err) = cli(&["status"])?;
    ensure_eq(code, 0, &format!("status ({err})"))?;
    let (code, _, err) = cli(&[&["delete"][..], &rule[..]].concat())?;
    ensure_eq(code, 0, &format!("delete ({err})"))?;
    let (_, shown, _) = cli(&["show"])?;
    ensure(
        !shown.contains("allow file training_data"),
        format!("rule still shown:\n{shown}"),
    )?;
    // Deleting it again fails and changes nothing.
    let gen = generation()?;
    let (code, _, err) = cli(&[&["delete"][..], &rule[..]].concat())?;
    ensure_eq(code, 1, &format!("second delete ({err})"))?;
    ensure_eq(generation()?, gen, "generation after a refused delete")
}

fn cli_policy_errors() -> Outcome {
    let before = snapshot()?;
    let (code, _, err) = cli(&["load", "/nonexistent.bin"])?;
    ensure_eq(code, 1, "load of a missing file")?;
    ensure(
        err.contains("cannot read /nonexistent.bin"),
        format!("stderr {err:?}"),
    )?;

    let mut blob = sample_blob(5000)?;
    let last = blob.len() - 1;
    blob[last] ^= 1;
    fs::write("/tmp/corrupt.bin", &blob).map_err(|e| e.to_string())?;
    let (code, _, err) = cli(&["load", "/tmp/corrupt.bin"])?;
    ensure_eq(code, 1, "load of a corrupted blob")?;
    ensure(
        err.contains("not a valid policy"),
        format!("stderr {err:?}"),
    )?;

    fs::write(
        "/tmp/bad.policy",
        "domain a {\n    allow file nosuchtype read;\n}\n",
    )
    .map_err(|e| e.to_string())?;
    let (code, _, err) = cli(&["load", "/tmp/bad.policy"])?;
    ensure_eq(code, 1, "load of bad text")?;
    ensure(
        err.contains("/tmp/bad.policy:2:") && err.contains('^') && err.contains("nosuchtype"),
        format!("diagnostic lacks file:line, caret or name: {err:?}"),
    )?;

    let report = helper("as-nobody", &["cli-load:/examples/coding-agent.policy"])?;
    ensure(
        report.contains("CAP_MAC_ADMIN"),
        format!("unprivileged load said {report:?}"),
    )?;
    ensure_unchanged(&before, "refused CLI loads")
}

fn mode_setting() -> Outcome {
    let read_mode =
        || fs::read_to_string("/sys/kernel/security/tcp/mode").map_err(|e| e.to_string());
    let mut with_mode = sample_policy(6000);
    with_mode.settings.mode = Some(tcp_lsm_engine::mode::Mode::Monitor);
    let blob = encode(&with_mode).map_err(|e| format!("encode: {e:?}"))?;
    load(&blob).map_err(|e| format!("load: {e}"))?;
    ensure_eq(
        read_mode()?,
        "monitor\n".to_owned(),
        "mode after a policy asking for monitor",
    )?;
    // A policy without a mode setting leaves the mode alone.
    load(&sample_blob(6001)?).map_err(|e| format!("load: {e}"))?;
    ensure_eq(
        read_mode()?,
        "monitor\n".to_owned(),
        "mode after a policy without mode",
    )?;
    fs::write("/sys/kernel/security/tcp/mode", "enforce").map_err(|e| e.to_string())?;
    ensure_eq(read_mode()?, "enforce\n".to_owned(), "mode restored")
}
