// SPDX-License-Identifier: GPL-2.0

//! Global switches of the LSM: whether it was initialised, and the enforcement mode.

use core::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use crate::engine::mode::Mode;

/// Set once by the LSM init function when the framework selected `tcp` (`lsm=...,tcp`);
/// never cleared. When false, no hook is registered and securityfs stays empty.
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// The global mode, as `Mode::to_u8`. Written only through `set_mode` (the `mode` and
/// `enforce` files, the `tcp_lsm.mode=` boot parameter, a policy load naming a global
/// mode), read by every decision.
static MODE: AtomicU8 = AtomicU8::new(Mode::DEFAULT.to_u8());

/// Records that the framework initialised the LSM.
pub(crate) fn set_active() {
    ACTIVE.store(true, Ordering::Release);
}

/// Whether the LSM was selected at boot.
pub(crate) fn is_active() -> bool {
    ACTIVE.load(Ordering::Acquire)
}

/// The current global mode.
pub(crate) fn mode() -> Mode {
    // Only `set_mode` writes MODE, always with a valid encoding.
    Mode::from_u8(MODE.load(Ordering::Relaxed)).unwrap_or(Mode::DEFAULT)
}

/// Switches the global mode and returns the previous one.
pub(crate) fn set_mode(mode: Mode) -> Mode {
    Mode::from_u8(MODE.swap(mode.to_u8(), Ordering::Relaxed)).unwrap_or(Mode::DEFAULT)
}
