//! Shared engine of the TCP LSM: the userspace ABI constants and the mode state machine,
//! one copy of the code compiled by Cargo (tests, fuzzing, benchmarks, CLI) and by Kbuild
//! into the kernel (see `tcp_lsm/tcp_lsm.rs`, which includes these files as modules).
//!
//! The kernel includes every module of this crate except this root file, so every module
//! must build without `std`, `alloc` or `unsafe`.
#![no_std]
#![forbid(unsafe_code)]

pub mod abi;
pub mod mode;
