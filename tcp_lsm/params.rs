// SPDX-License-Identifier: GPL-2.0

//! The boot parameters `tcp_lsm.enabled=`, `tcp_lsm.mode=`, `tcp_lsm.audit=` and
//! `tcp_lsm.hardware=`: a bad value gets the default and one warning.

use core::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use kernel::ffi::{c_char, c_int};
use kernel::prelude::*;

use crate::engine::mode::Mode;
use crate::{report, state};

/// `tcp_lsm.enabled=`: the framework initialises the LSM only when this is non-zero (its
/// `lsm_info.enabled` points here).
pub(crate) static ENABLED: AtomicI32 = AtomicI32::new(1);

/// `tcp_lsm.hardware=`: whether `hardware/` files may be switched on.
pub(crate) static HARDWARE: AtomicBool = AtomicBool::new(true);

/// Parses `0`/`1` boot values.
pub(crate) fn parse_bool(value: &[u8]) -> Option<bool> {
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

/// # Safety
///
/// The kernel's command-line parser calls it during early boot with a NUL-terminated
/// value.
unsafe extern "C" fn enabled_setup(value: *mut c_char) -> c_int {
    // SAFETY: The kernel passes the NUL-terminated value.
    let v = unsafe { value_bytes(value) };
    match parse_bool(v) {
        Some(on) => ENABLED.store(i32::from(on), Ordering::Relaxed),
        None => bad_value("enabled", v, "1"),
    }
    1
}

/// # Safety
///
/// The kernel's command-line parser calls it during early boot with a NUL-terminated
/// value.
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

/// # Safety
///
/// The kernel's command-line parser calls it during early boot with a NUL-terminated
/// value.
unsafe extern "C" fn audit_setup(value: *mut c_char) -> c_int {
    // SAFETY: The kernel passes the NUL-terminated value.
    let v = unsafe { value_bytes(value) };
    match parse_bool(v) {
        Some(on) => report::set_audit(on),
        None => bad_value("audit", v, "1"),
    }
    1
}

/// # Safety
///
/// The kernel's command-line parser calls it during early boot with a NUL-terminated
/// value.
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
