//! Shared engine of the TCP LSM: the userspace ABI constants, the mode state machine, the
//! permission vocabulary and the binary policy format, one copy of the code compiled by
//! Cargo (tests, fuzzing, benchmarks, CLI) and by Kbuild into the kernel (see
//! `tcp_lsm/tcp_lsm.rs`, which includes these files as modules).
//!
//! The kernel includes every module of this crate except this root file and the modules
//! behind the `alloc` feature (`model`, `encode`), so every other module must build
//! without `std`, `alloc` or `unsafe`, and refer to its siblings with `super::`.
#![no_std]
#![forbid(unsafe_code)]
// Unit tests may index and unwrap: a panic fails the test. Said once here rather than on
// every module's `mod tests` (the kernel never builds them).
#![cfg_attr(
    test,
    allow(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        reason = "test code; a panic fails the test"
    )
)]

#[cfg(feature = "alloc")]
extern crate alloc;

pub mod abi;
pub mod cache;
pub mod event;
pub mod format;
pub mod mode;
pub mod perm;
pub mod ring;
pub mod sha256;
pub mod sockaddr;
pub mod stats;
pub mod types;

#[cfg(feature = "alloc")]
pub mod encode;
#[cfg(feature = "alloc")]
pub mod model;
