// SPDX-License-Identifier: GPL-2.0

//! The value files: `version`, `mode`, `generation`, `policy_hash`, `enforce`,
//! `anomaly_threshold`, `stats`, `heartbeat` and `hardware/FEATURE` (what each reads and
//! accepts: the table in `securityfs`).

use core::fmt::Write;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use kernel::bindings;
use kernel::error::code::EINVAL;
use kernel::ffi::c_char;
use kernel::prelude::*;

use crate::engine::abi::{MODE_WRITE_MAX, POLICY_ABI_VERSION};
use crate::engine::format::MAX_ANOMALY_THRESHOLD;
use crate::engine::mode::Mode;
use crate::params::{parse_bool, HARDWARE};
use crate::policy;
use crate::textfile::{text_fops, text_open, write_raw_value, write_value, FileOps, SeqText};
use crate::{errno, report, state};

fn version_text(_file: *const bindings::file, out: &mut SeqText) -> core::fmt::Result {
    writeln!(out, "{}", POLICY_ABI_VERSION)
}

text_open!(version_open, version_text);

fn mode_text(_file: *const bindings::file, out: &mut SeqText) -> core::fmt::Result {
    writeln!(out, "{}", state::mode().name())
}

text_open!(mode_open, mode_text, writer);

/// # Safety
///
/// The VFS calls it as a file operation of this LSM's securityfs files, with that
/// operation's arguments.
unsafe extern "C" fn mode_write(
    _file: *mut bindings::file,
    buf: *const c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    // A mode is written whole, in one write at offset 0 (`MODE_WRITE_MAX` is the small
    // values' own bound, checked at build time below).
    let apply = |v: &[u8]| {
        let mode = Mode::parse(v).map_err(|_| EINVAL)?;
        let old = state::set_mode(mode);
        // SAFETY: `get_current` returns the running task, live while it runs.
        let pid = unsafe { (*bindings::get_current()).pid };
        pr_notice!("mode {} -> {} (pid {})\n", old.name(), mode.name(), pid);
        Ok(())
    };
    // SAFETY: The arguments are those of this write operation.
    unsafe { write_raw_value(buf, count, ppos, apply) }
}

const _: () = assert!(MODE_WRITE_MAX == crate::textfile::VALUE_MAX);

fn generation_text(_file: *const bindings::file, out: &mut SeqText) -> core::fmt::Result {
    writeln!(out, "{}", policy::current().map_or(0, |p| p.generation()))
}

text_open!(generation_open, generation_text);

fn policy_hash_text(_file: *const bindings::file, out: &mut SeqText) -> core::fmt::Result {
    match policy::current() {
        None => writeln!(out, "none"),
        Some(p) => p
            .digest()
            .iter()
            .try_for_each(|b| write!(out, "{:02x}", b))
            .and_then(|()| writeln!(out)),
    }
}

text_open!(policy_hash_open, policy_hash_text);

pub(crate) static VERSION_FOPS: FileOps = text_fops!(version_open);

pub(crate) static MODE_FOPS: FileOps = text_fops!(mode_open, mode_write);

pub(crate) static GENERATION_FOPS: FileOps = text_fops!(generation_open);

pub(crate) static POLICY_HASH_FOPS: FileOps = text_fops!(policy_hash_open);

fn enforce_text(_file: *const bindings::file, out: &mut SeqText) -> core::fmt::Result {
    writeln!(out, "{}", u8::from(state::mode() == Mode::Enforce))
}

text_open!(enforce_open, enforce_text, writer);

/// # Safety
///
/// The VFS calls it as a file operation of this LSM's securityfs files, with that
/// operation's arguments.
unsafe extern "C" fn enforce_write(
    _f: *mut bindings::file,
    buf: *const c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: The arguments are those of this write operation.
    unsafe {
        write_value(buf, count, ppos, |v| {
            let old = state::mode();
            let new = match parse_bool(v).ok_or(EINVAL)? {
                true => Mode::Enforce,
                // Leaving enforce mode keeps reporting denials (alert); monitor and alert
                // stay as they are.
                false if old == Mode::Enforce => Mode::Alert,
                false => old,
            };
            state::set_mode(new);
            pr_notice!("mode {} -> {} (enforce file)\n", old.name(), new.name());
            Ok(())
        })
    }
}

/// The global anomaly threshold (the seed's default is 2).
static ANOMALY_THRESHOLD: AtomicU32 = AtomicU32::new(2);

fn anomaly_text(_file: *const bindings::file, out: &mut SeqText) -> core::fmt::Result {
    writeln!(out, "{}", ANOMALY_THRESHOLD.load(Ordering::Relaxed))
}

text_open!(anomaly_open, anomaly_text, writer);

/// # Safety
///
/// The VFS calls it as a file operation of this LSM's securityfs files, with that
/// operation's arguments.
unsafe extern "C" fn anomaly_write(
    _f: *mut bindings::file,
    buf: *const c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: The arguments are those of this write operation.
    unsafe {
        write_value(buf, count, ppos, |v| {
            // Decimal digits only: no sign, no spaces, no leading `+`.
            if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
                return Err(EINVAL);
            }
            let value: u32 = core::str::from_utf8(v)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or(EINVAL)?;
            if value == 0 || value > MAX_ANOMALY_THRESHOLD {
                return Err(EINVAL);
            }
            ANOMALY_THRESHOLD.store(value, Ordering::Relaxed);
            Ok(())
        })
    }
}

/// A CPU feature reported under `hardware/`.
pub(crate) struct Feature {
    /// Its `X86_FEATURE_*` bit in `boot_cpu_data.x86_capability`.
    bit: u32,
    /// Switched on through its file.
    enabled: AtomicBool,
}

pub(crate) static CET_SHSTK: Feature = Feature {
    bit: bindings::X86_FEATURE_SHSTK,
    enabled: AtomicBool::new(false),
};

pub(crate) static INTEL_PT: Feature = Feature {
    bit: bindings::X86_FEATURE_INTEL_PT,
    enabled: AtomicBool::new(false),
};

pub(crate) static PKU: Feature = Feature {
    bit: bindings::X86_FEATURE_PKU,
    enabled: AtomicBool::new(false),
};

impl Feature {
    /// Whether the kernel found the feature on this CPU (what /proc/cpuinfo lists).
    fn supported(&self) -> bool {
        // SAFETY: `boot_cpu_data` is written during early boot only; reading a word of its
        // capability bitmap afterwards is a plain read of initialised memory.
        let words = unsafe { bindings::boot_cpu_data.__bindgen_anon_2.x86_capability };
        words
            .get((self.bit / 32) as usize)
            .is_some_and(|w| w & (1 << (self.bit % 32)) != 0)
    }
}

/// The `hardware/` files: name and feature (the file's inode's `i_private`).
pub(crate) static FEATURES: [(&core::ffi::CStr, &Feature); 3] = [
    (c"cet_shstk", &CET_SHSTK),
    (c"intel_pt", &INTEL_PT),
    (c"pku", &PKU),
];

/// The feature a `hardware/` file stands for (its inode's `i_private`).
///
/// # Safety
///
/// `file` must be an open `hardware/` file.
unsafe fn feature_of(file: *const bindings::file) -> Option<&'static Feature> {
    // SAFETY: Guaranteed by the caller: `i_private` was set at creation to a static.
    let private = unsafe { (*(*file).f_inode).i_private };
    FEATURES
        .into_iter()
        .map(|(_, feature)| feature)
        .find(|f| core::ptr::eq(*f as *const Feature, private.cast()))
}

fn hardware_text(file: *const bindings::file, out: &mut SeqText) -> core::fmt::Result {
    // SAFETY: seq_file passes the open `hardware/` file.
    let feature = unsafe { feature_of(file) }.ok_or(core::fmt::Error)?;
    let (s, e) = (feature.supported(), feature.enabled.load(Ordering::Relaxed));
    writeln!(out, "supported={} enabled={}", u8::from(s), u8::from(e))
}

text_open!(hardware_open, hardware_text, writer);

/// # Safety
///
/// The VFS calls it as a file operation of this LSM's securityfs files, with that
/// operation's arguments.
unsafe extern "C" fn hardware_write(
    f: *mut bindings::file,
    buf: *const c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: The VFS passes an open `hardware/` file.
    let Some(feature) = (unsafe { feature_of(f) }) else {
        return errno::io(EINVAL);
    };
    // SAFETY: The arguments are those of this write operation.
    unsafe {
        write_value(buf, count, ppos, |v| {
            let on = parse_bool(v).ok_or(EINVAL)?;
            if on && (!feature.supported() || !HARDWARE.load(Ordering::Relaxed)) {
                return Err(crate::errno::code(bindings::EOPNOTSUPP));
            }
            feature.enabled.store(on, Ordering::Relaxed);
            Ok(())
        })
    }
}

fn stats_text(_file: *const bindings::file, out: &mut SeqText) -> core::fmt::Result {
    report::write_stats(out)
}

text_open!(stats_open, stats_text);

pub(crate) static STATS_FOPS: FileOps = text_fops!(stats_open);

pub(crate) static ENFORCE_FOPS: FileOps = text_fops!(enforce_open, enforce_write);

pub(crate) static ANOMALY_FOPS: FileOps = text_fops!(anomaly_open, anomaly_write);

fn heartbeat_text(_file: *const bindings::file, out: &mut SeqText) -> core::fmt::Result {
    match crate::heartbeat::status() {
        None => writeln!(out, "none"),
        Some((timeout, action, age, stale)) => {
            writeln!(
                out,
                "timeout_ms={timeout} action={} age_ms={age} stale={}",
                action.name(),
                u8::from(stale)
            )
        }
    }
}

text_open!(heartbeat_open, heartbeat_text, writer);

/// # Safety
///
/// The VFS calls it as a file operation of this LSM's securityfs files, with that
/// operation's arguments.
unsafe extern "C" fn heartbeat_write(
    _f: *mut bindings::file,
    buf: *const c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: The arguments are those of this write operation.
    unsafe {
        write_value(buf, count, ppos, |v| {
            if v != b"1" {
                return Err(EINVAL);
            }
            crate::heartbeat::beat();
            Ok(())
        })
    }
}

pub(crate) static HEARTBEAT_FOPS: FileOps = text_fops!(heartbeat_open, heartbeat_write);

pub(crate) static HARDWARE_FOPS: FileOps = text_fops!(hardware_open, hardware_write);
