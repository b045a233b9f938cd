// SPDX-License-Identifier: GPL-2.0

//! Run-time controls beside the policy: the `events`, `stats`, `enforce`,
//! `anomaly_threshold` and `heartbeat` files, the `hardware/` directory, and the boot parameters
//! `tcp_lsm.enabled=`, `tcp_lsm.mode=`, `tcp_lsm.audit=` and `tcp_lsm.hardware=`.
//!
//! | file                | mode | read                               | write                          |
//! |---------------------|------|------------------------------------|--------------------------------|
//! | `events`            | 0400 | queued denials, one line each      | refused                        |
//! | `stats`             | 0444 | `name value` counter lines         | refused                        |
//! | `enforce`           | 0644 | `1` in enforce mode, else `0`      | `1`: enforce; `0`: alert       |
//! | `anomaly_threshold` | 0644 | the threshold                      | 1..=1000000                    |
//! | `heartbeat`         | 0644 | `none`, or timeout, action, age    | `1`: a heartbeat               |
//! | `hardware/FEATURE`  | 0644 | `supported=0/1 enabled=0/1`        | `1` (`-EOPNOTSUPP` if missing) |
//!
//! The ABI is documented in docs/securityfs.md.

use core::fmt::Write;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, Ordering};

use kernel::bindings;
use kernel::error::code::{EAGAIN, EFAULT, EINVAL, ENOMEM, EPERM};
use kernel::ffi::{c_char, c_int, c_uint};
use kernel::prelude::*;
use kernel::uaccess::UserSlice;

use crate::engine::event::Text;
use crate::engine::format::MAX_ANOMALY_THRESHOLD;
use crate::engine::mode::Mode;
use crate::engine::stats::Counter;
use crate::errno;
use crate::report;
use crate::securityfs::{create_file, text_fops, text_open, FileOps, SeqText, NO_FOPS};
use crate::state;

// ---------------------------------------------------------------------------------------
// Boot parameters.

/// `tcp_lsm.enabled=`: the framework initialises the LSM only when this is non-zero (its
/// `lsm_info.enabled` points here).
pub(crate) static ENABLED: AtomicI32 = AtomicI32::new(1);
/// `tcp_lsm.hardware=`: whether `hardware/` files may be switched on.
static HARDWARE: AtomicBool = AtomicBool::new(true);

/// Parses `0`/`1` boot values.
fn parse_bool(value: &[u8]) -> Option<bool> {
    match value {
        b"0" => Some(false),
        b"1" => Some(true),
        _ => None,
    }
}

/// The bytes of a boot parameter's value.
///
/// # Safety
///
/// `value` must be null or a NUL-terminated string.
unsafe fn value_bytes<'a>(value: *const c_char) -> &'a [u8] {
    if value.is_null() {
        return b"";
    }
    // SAFETY: Guaranteed by the caller.
    unsafe { core::ffi::CStr::from_ptr(value.cast()) }.to_bytes()
}

/// One warning line for a bad boot value.
fn bad_value(name: &str, value: &[u8], default: &str) {
    let shown = core::str::from_utf8(value).unwrap_or("(not UTF-8)");
    pr_warn!(
        "tcp_lsm.{}={:?} is not valid; using the default {}\n",
        name,
        shown,
        default
    );
}

unsafe extern "C" fn enabled_setup(value: *mut c_char) -> c_int {
    // SAFETY: The kernel passes the NUL-terminated value.
    let v = unsafe { value_bytes(value) };
    match parse_bool(v) {
        Some(on) => ENABLED.store(i32::from(on), Ordering::Relaxed),
        None => bad_value("enabled", v, "1"),
    }
    1
}

unsafe extern "C" fn mode_setup(value: *mut c_char) -> c_int {
    // SAFETY: The kernel passes the NUL-terminated value.
    let v = unsafe { value_bytes(value) };
    match Mode::parse(v) {
        Ok(mode) => {
            state::set_mode(mode);
        }
        Err(_) => bad_value("mode", v, Mode::DEFAULT.name()),
    }
    1
}

unsafe extern "C" fn audit_setup(value: *mut c_char) -> c_int {
    // SAFETY: The kernel passes the NUL-terminated value.
    let v = unsafe { value_bytes(value) };
    match parse_bool(v) {
        Some(on) => report::set_audit(on),
        None => bad_value("audit", v, "1"),
    }
    1
}

unsafe extern "C" fn hardware_setup(value: *mut c_char) -> c_int {
    // SAFETY: The kernel passes the NUL-terminated value.
    let v = unsafe { value_bytes(value) };
    match parse_bool(v) {
        Some(on) => HARDWARE.store(on, Ordering::Relaxed),
        None => bad_value("hardware", v, "1"),
    }
    1
}

/// `struct obs_kernel_param` (include/linux/init.h), which bindgen does not emit: the
/// record `__setup()` places in `.init.setup` for `obsolete_checksetup()` to find.
/// Its layout is checked against C's at build time (`layout_c.c`, `MIRROR_FIELD`).
#[repr(C)]
pub(crate) struct SetupParam {
    pub(crate) name: *const c_char,
    pub(crate) setup: unsafe extern "C" fn(*mut c_char) -> c_int,
    pub(crate) early: c_int,
}

// SAFETY: The records are immutable; their pointers target static strings.
unsafe impl Sync for SetupParam {}

macro_rules! boot_param {
    ($record:ident, $name:literal, $func:ident) => {
        // `__setup($name, $func)`: C's macro cannot be used from Rust, so the record is
        // placed in the section by hand, as `lsm_info` is in setup.rs.
        #[used]
        #[link_section = ".init.setup"]
        static $record: SetupParam = SetupParam {
            name: $name.as_ptr().cast(),
            setup: $func,
            early: 0,
        };
    };
}

boot_param!(ENABLED_PARAM, c"tcp_lsm.enabled=", enabled_setup);
boot_param!(MODE_PARAM, c"tcp_lsm.mode=", mode_setup);
boot_param!(AUDIT_PARAM, c"tcp_lsm.audit=", audit_setup);
boot_param!(HARDWARE_PARAM, c"tcp_lsm.hardware=", hardware_setup);

// ---------------------------------------------------------------------------------------
// Small text values written in one go.

/// Longest value accepted by the small control files.
const VALUE_MAX: usize = 16;

/// Reads a small value written whole at offset 0; strips one trailing newline.
///
/// # Safety
///
/// `buf`, `count` and `ppos` must be the arguments of a `write` file operation.
unsafe fn small_write(
    buf: *const c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> Result<([u8; VALUE_MAX], usize)> {
    // SAFETY: The VFS passes a valid position pointer.
    if unsafe { *ppos } != 0 || count == 0 || count > VALUE_MAX {
        return Err(EINVAL);
    }
    let mut bytes = [0u8; VALUE_MAX];
    let dst = bytes.get_mut(..count).ok_or(EINVAL)?;
    UserSlice::new(buf as usize, count)
        .reader()
        .read_slice(dst)
        .map_err(|_| EFAULT)?;
    let len = if bytes.get(count - 1) == Some(&b'\n') {
        count - 1
    } else {
        count
    };
    // SAFETY: As above.
    unsafe { *ppos = count as bindings::loff_t };
    Ok((bytes, len))
}

/// Runs `apply` on the value written; the write's return value.
///
/// # Safety
///
/// As for [`small_write`].
unsafe fn write_value(
    buf: *const c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
    apply: impl FnOnce(&[u8]) -> Result,
) -> isize {
    if let Err(e) = crate::securityfs::refuse_confined_writer() {
        return errno::io(e);
    }
    // SAFETY: Guaranteed by the caller.
    match unsafe { small_write(buf, count, ppos) } {
        Ok((bytes, len)) => match apply(bytes.get(..len).unwrap_or(&[])) {
            Ok(()) => count as isize,
            Err(e) => errno::io(e),
        },
        Err(e) => errno::io(e),
    }
}

// ---------------------------------------------------------------------------------------
// `enforce`.

fn enforce_text(_file: *const bindings::file, out: &mut SeqText) -> core::fmt::Result {
    writeln!(out, "{}", u8::from(state::mode() == Mode::Enforce))
}
text_open!(enforce_open, enforce_text, writer);

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

// ---------------------------------------------------------------------------------------
// `anomaly_threshold`.

/// The global anomaly threshold (the seed's default is 2).
static ANOMALY_THRESHOLD: AtomicU32 = AtomicU32::new(2);

fn anomaly_text(_file: *const bindings::file, out: &mut SeqText) -> core::fmt::Result {
    writeln!(out, "{}", ANOMALY_THRESHOLD.load(Ordering::Relaxed))
}
text_open!(anomaly_open, anomaly_text, writer);

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

// ---------------------------------------------------------------------------------------
// `hardware/`.

/// A CPU feature reported under `hardware/`.
struct Feature {
    /// Its `X86_FEATURE_*` bit in `boot_cpu_data.x86_capability`.
    bit: u32,
    /// Switched on through its file.
    enabled: AtomicBool,
}

static CET_SHSTK: Feature = Feature {
    bit: bindings::X86_FEATURE_SHSTK,
    enabled: AtomicBool::new(false),
};
static INTEL_PT: Feature = Feature {
    bit: bindings::X86_FEATURE_INTEL_PT,
    enabled: AtomicBool::new(false),
};
static PKU: Feature = Feature {
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

/// The feature a `hardware/` file stands for (its inode's `i_private`).
///
/// # Safety
///
/// `file` must be an open `hardware/` file.
unsafe fn feature_of(file: *const bindings::file) -> Option<&'static Feature> {
    // SAFETY: Guaranteed by the caller: `i_private` was set at creation to a static.
    let private = unsafe { (*(*file).f_inode).i_private };
    [&CET_SHSTK, &INTEL_PT, &PKU]
        .into_iter()
        .find(|f| core::ptr::eq(*f as *const Feature, private.cast()))
}

fn hardware_text(file: *const bindings::file, out: &mut SeqText) -> core::fmt::Result {
    // SAFETY: seq_file passes the open `hardware/` file.
    let feature = unsafe { feature_of(file) }.ok_or(core::fmt::Error)?;
    let (s, e) = (feature.supported(), feature.enabled.load(Ordering::Relaxed));
    writeln!(out, "supported={} enabled={}", u8::from(s), u8::from(e))
}
text_open!(hardware_open, hardware_text, writer);

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

// ---------------------------------------------------------------------------------------
// `stats`.

fn stats_text(_file: *const bindings::file, out: &mut SeqText) -> core::fmt::Result {
    report::write_stats(out)
}
text_open!(stats_open, stats_text);

// ---------------------------------------------------------------------------------------
// `events`.

/// Smallest buffer a read of `events` must offer: one line at its longest plus a `lost=`
/// line.
pub(crate) const EVENTS_READ_MIN: usize = 4096;
/// Room kept for the `lost=` line.
const LOST_LINE_MAX: usize = 32;
/// Longest event line (every field escaped at its longest) plus its newline.
const LINE_MAX: usize = 2048;

/// `poll` bits (`include/uapi/linux/eventpoll.h`; bindgen cannot evaluate their casts).
const EPOLLIN: c_uint = 0x1;
const EPOLLRDNORM: c_uint = 0x40;

unsafe extern "C" fn events_open(inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
    // Decisions name files, addresses and tasks: only an unconfined administrator reads
    // them.
    if crate::blob::current_domain().is_confined() {
        return EPERM.to_errno();
    }
    // SAFETY: `capable` checks the current task, which is the opener.
    if !unsafe { bindings::capable(bindings::CAP_MAC_ADMIN as c_int) } {
        return EPERM.to_errno();
    }
    // SAFETY: The VFS passes the inode and file being opened; a stream has no position.
    unsafe { bindings::stream_open(inode, file) }
}

/// Waits until a line can be read; `Err(-ERESTARTSYS)` on a signal.
fn wait_for_lines() -> Result {
    let wq = report::WAITERS.as_ptr();
    // SAFETY: An all-zero wait queue entry is what `init_wait_entry` initialises.
    let mut entry: bindings::wait_queue_entry = unsafe { core::mem::zeroed() };
    // SAFETY: `entry` lives on this stack frame until `finish_wait` below removed it from
    // the queue; `wq` was initialised at LSM init.
    unsafe { bindings::init_wait_entry(&mut entry, 0) };
    let result = loop {
        // SAFETY: As above.
        let pending = unsafe {
            bindings::prepare_to_wait_event(wq, &mut entry, bindings::TASK_INTERRUPTIBLE as c_int)
        };
        if report::has_lines() {
            break Ok(());
        }
        if pending != 0 {
            break Err(Error::from_errno(pending as c_int));
        }
        // SAFETY: Sleeps until a producer wakes the queue (or a signal arrives).
        unsafe { bindings::schedule() };
    };
    // SAFETY: As above.
    unsafe { bindings::finish_wait(wq, &mut entry) };
    result
}

unsafe extern "C" fn events_read(
    f: *mut bindings::file,
    buf: *mut c_char,
    count: usize,
    _ppos: *mut bindings::loff_t,
) -> isize {
    if count < EVENTS_READ_MIN {
        return errno::io(EINVAL);
    }
    let cap = count.min(64 * 1024);
    let mut out = match KVec::with_capacity(cap, GFP_KERNEL) {
        Ok(v) => v,
        Err(_) => return errno::io(ENOMEM),
    };
    // SAFETY: The VFS passes an open file.
    let nonblock = unsafe { (*f).f_flags } & bindings::O_NONBLOCK != 0;
    let mut popped = 0u64;
    let mut lost = 0u64;
    while out.is_empty() {
        if !report::has_lines() {
            if nonblock {
                return errno::io(EAGAIN);
            }
            if let Err(e) = wait_for_lines() {
                return errno::io(e);
            }
        }
        while cap - out.len() >= LINE_MAX + LOST_LINE_MAX {
            let mut line = Text::<LINE_MAX>::default();
            match report::pop_line(&mut line) {
                None => break,
                Some(r) => {
                    popped += 1;
                    if r.is_err() || line.as_bytes().len() >= LINE_MAX - 1 {
                        // Cannot happen (the longest line fits); counted as lost if it did.
                        report::untake_lost(1);
                        continue;
                    }
                    if out.extend_from_slice(line.as_bytes(), GFP_KERNEL).is_err()
                        || out.push(b'\n', GFP_KERNEL).is_err()
                    {
                        report::untake_lost(1);
                    }
                }
            }
        }
        lost = report::take_lost();
        if lost != 0 {
            let mut line = Text::<LOST_LINE_MAX>::default();
            if crate::engine::event::write_lost_line(&mut line, lost).is_err()
                || out.extend_from_slice(line.as_bytes(), GFP_KERNEL).is_err()
                || out.push(b'\n', GFP_KERNEL).is_err()
            {
                report::untake_lost(lost);
                lost = 0;
            }
        }
    }
    if UserSlice::new(buf as usize, out.len())
        .writer()
        .write_slice(&out)
        .is_err()
    {
        // The lines are gone from the queue: they are lost, and reported as such.
        report::count_n(Counter::EventsDropped, popped);
        report::untake_lost(popped + lost);
        return errno::io(EFAULT);
    }
    out.len() as isize
}

unsafe extern "C" fn events_poll(
    f: *mut bindings::file,
    pt: *mut bindings::poll_table_struct,
) -> c_uint {
    // `poll_wait()`, a static inline: register the queue with the poll table, if any.
    if !pt.is_null() {
        // SAFETY: A non-null poll table is live for this call.
        if let Some(qproc) = unsafe { (*pt)._qproc } {
            // SAFETY: The queue lives forever; the table's callback may sleep-register it.
            unsafe { qproc(f, report::WAITERS.as_ptr(), pt) };
        }
    }
    if report::has_lines() {
        EPOLLIN | EPOLLRDNORM
    } else {
        0
    }
}

// ---------------------------------------------------------------------------------------
// Files.

static EVENTS_FOPS: FileOps = FileOps(bindings::file_operations {
    open: Some(events_open),
    read: Some(events_read),
    poll: Some(events_poll),
    ..NO_FOPS
});

static STATS_FOPS: FileOps = text_fops!(stats_open);

static ENFORCE_FOPS: FileOps = text_fops!(enforce_open, enforce_write);

static ANOMALY_FOPS: FileOps = text_fops!(anomaly_open, anomaly_write);

// ---------------------------------------------------------------------------------------
// `heartbeat`.

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

static HEARTBEAT_FOPS: FileOps = text_fops!(heartbeat_open, heartbeat_write);

static HARDWARE_FOPS: FileOps = text_fops!(hardware_open, hardware_write);

/// Creates this module's files under `dir` (the LSM's securityfs directory).
pub(crate) fn create(dir: *mut bindings::dentry) -> Result {
    create_file(c"events", 0o400, dir, &EVENTS_FOPS, core::ptr::null_mut())?;
    create_file(c"stats", 0o444, dir, &STATS_FOPS, core::ptr::null_mut())?;
    create_file(c"enforce", 0o644, dir, &ENFORCE_FOPS, core::ptr::null_mut())?;
    create_file(
        c"anomaly_threshold",
        0o644,
        dir,
        &ANOMALY_FOPS,
        core::ptr::null_mut(),
    )?;
    create_file(
        c"heartbeat",
        0o644,
        dir,
        &HEARTBEAT_FOPS,
        core::ptr::null_mut(),
    )?;
    // SAFETY: The name is NUL-terminated and `dir` a live securityfs directory.
    let hw = unsafe { bindings::securityfs_create_dir(c"hardware".as_ptr().cast(), dir) };
    let hw = kernel::error::from_err_ptr(hw)?;
    for (name, feature) in [
        (c"cet_shstk", &CET_SHSTK),
        (c"intel_pt", &INTEL_PT),
        (c"pku", &PKU),
    ] {
        let private = (feature as *const Feature).cast_mut().cast();
        create_file(name, 0o644, hw, &HARDWARE_FOPS, private)?;
    }
    Ok(())
}
