// SPDX-License-Identifier: GPL-2.0

//! Errno conversions, one name per meaning: [`code`] turns a `bindings::E*` number into an
//! [`Error`], [`to_ret`] a hook's [`Result`] into its C return value, [`io`] a refusal into
//! the return value of a securityfs `read`/`write`.

use kernel::prelude::*;

/// Converts a hook result to the C return value.
pub(crate) fn to_ret(result: Result) -> kernel::ffi::c_int {
    match result {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// An errno the `kernel` crate has no constant for (`bindings::E*`).
pub(crate) fn code(code: u32) -> Error {
    Error::from_errno(-(code as kernel::ffi::c_int))
}

/// A refusal as the return value of a `read` or `write` file operation (a negative errno).
pub(crate) fn io(err: Error) -> isize {
    err.to_errno() as isize
}
