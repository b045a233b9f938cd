// SPDX-License-Identifier: GPL-2.0

//! The files under `/sys/kernel/security/tcp/`: the boundary with userspace.
//!
//! | file      | mode | read                         | write                                |
//! |-----------|------|------------------------------|--------------------------------------|
//! | `version` | 0444 | policy ABI version, e.g. `1` | refused (`-EINVAL`)                  |
//! | `mode`    | 0644 | `monitor`, `alert`, `enforce`| one of those names; else `-EINVAL`   |
//!
//! Opening a writable file for writing needs CAP_MAC_ADMIN, checked at open with the
//! opener's credentials (`-EPERM` otherwise); an open file keeps the opener's right.

use core::fmt::Write;

use kernel::bindings;
use kernel::error::code::{EFAULT, EINVAL, EPERM};
use kernel::ffi::{c_char, c_int, c_void};
use kernel::prelude::*;
use kernel::uaccess::UserSlice;

use crate::engine::abi::{MODE_WRITE_MAX, POLICY_ABI_VERSION};
use crate::engine::mode::Mode;
use crate::state;

/// A small formatting buffer on the stack; output past its end is cut off, never written.
struct StackBuf<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> StackBuf<N> {
    fn new() -> Self {
        Self { bytes: [0; N], len: 0 }
    }

    fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }
}

impl<const N: usize> Write for StackBuf<N> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(core::fmt::Error)?;
        let dst = self.bytes.get_mut(self.len..end).ok_or(core::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Copies `text` to a reader's buffer, honouring the file position.
///
/// # Safety
///
/// `buf`, `count` and `ppos` must be the arguments of a `read` file operation.
unsafe fn read_text(buf: *mut c_char, count: usize, ppos: *mut bindings::loff_t, text: &[u8]) -> isize {
    // SAFETY: `buf`/`count`/`ppos` come from the VFS read path (guaranteed by the caller);
    // `text` is a valid kernel buffer of `text.len()` bytes.
    unsafe {
        bindings::simple_read_from_buffer(
            buf.cast(),
            count,
            ppos,
            text.as_ptr().cast::<c_void>(),
            text.len(),
        )
    }
}

/// Negative errno as a `read`/`write` return value.
fn errno(err: kernel::error::Error) -> isize {
    err.to_errno() as isize
}

unsafe extern "C" fn version_read(
    _file: *mut bindings::file,
    buf: *mut c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    let mut text = StackBuf::<16>::new();
    if writeln!(text, "{}", POLICY_ABI_VERSION).is_err() {
        return errno(EINVAL);
    }
    // SAFETY: The arguments are those of this read operation.
    unsafe { read_text(buf, count, ppos, text.as_bytes()) }
}

/// `open` of files that accept writes: writers need CAP_MAC_ADMIN, checked now, with the
/// opener's credentials. Readers need nothing beyond the file's permission bits.
unsafe extern "C" fn privileged_writer_open(
    _inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: The VFS passes the file being opened.
    let flags = unsafe { (*file).f_flags };
    if flags & bindings::O_ACCMODE != bindings::O_RDONLY {
        // SAFETY: `capable` checks the current task, which is the opener.
        if !unsafe { bindings::capable(bindings::CAP_MAC_ADMIN as c_int) } {
            return EPERM.to_errno();
        }
    }
    0
}

unsafe extern "C" fn mode_read(
    _file: *mut bindings::file,
    buf: *mut c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    let mut text = StackBuf::<16>::new();
    if writeln!(text, "{}", state::mode().name()).is_err() {
        return errno(EINVAL);
    }
    // SAFETY: The arguments are those of this read operation.
    unsafe { read_text(buf, count, ppos, text.as_bytes()) }
}

unsafe extern "C" fn mode_write(
    _file: *mut bindings::file,
    buf: *const c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    // A mode is written whole, in one write at offset 0.
    // SAFETY: The VFS passes a valid position pointer.
    if unsafe { *ppos } != 0 || count == 0 || count > MODE_WRITE_MAX {
        return errno(EINVAL);
    }
    let mut bytes = [0u8; MODE_WRITE_MAX];
    let Some(dst) = bytes.get_mut(..count) else {
        return errno(EINVAL);
    };
    if UserSlice::new(buf as usize, count).reader().read_slice(dst).is_err() {
        return errno(EFAULT);
    }
    let mode = match Mode::parse(dst) {
        Ok(mode) => mode,
        Err(_) => return errno(EINVAL),
    };
    let old = state::set_mode(mode);
    // SAFETY: `get_current` returns the running task, live while it runs.
    let pid = unsafe { (*bindings::get_current()).pid };
    pr_notice!("mode {} -> {} (pid {})\n", old.name(), mode.name(), pid);
    // SAFETY: The VFS passes a valid position pointer. `count` is at most MODE_WRITE_MAX.
    unsafe { *ppos = count as bindings::loff_t };
    count as isize
}

/// Wrapper making a `file_operations` table shareable; it is never written.
#[repr(transparent)]
struct FileOps(bindings::file_operations);

// SAFETY: The tables are immutable and hold only function pointers.
unsafe impl Sync for FileOps {}

/// A `file_operations` with every member empty.
const NO_FOPS: bindings::file_operations = {
    // SAFETY: `file_operations` is a C struct of nullable pointers and integers, for which
    // all-zero is the valid "no operation" value.
    unsafe { core::mem::zeroed() }
};

static VERSION_FOPS: FileOps = FileOps(bindings::file_operations {
    read: Some(version_read),
    llseek: Some(bindings::generic_file_llseek),
    ..NO_FOPS
});

static MODE_FOPS: FileOps = FileOps(bindings::file_operations {
    open: Some(privileged_writer_open),
    read: Some(mode_read),
    write: Some(mode_write),
    llseek: Some(bindings::generic_file_llseek),
    ..NO_FOPS
});

/// Creates one file under `dir`.
fn create_file(name: &core::ffi::CStr, mode: u16, dir: *mut bindings::dentry, fops: &'static FileOps) -> Result {
    // SAFETY: `name` is NUL-terminated, `dir` a live securityfs directory, `fops` static.
    let dentry = unsafe {
        bindings::securityfs_create_file(
            name.as_ptr().cast(),
            mode,
            dir,
            core::ptr::null_mut(),
            &fops.0,
        )
    };
    kernel::error::from_err_ptr(dentry).map(|_| ())
}

/// Creates `/sys/kernel/security/tcp/` and its files. Called once at boot.
pub(crate) fn create() -> Result {
    // SAFETY: The name is NUL-terminated; a null parent means the securityfs root.
    let dir = unsafe { bindings::securityfs_create_dir(c"tcp".as_ptr().cast(), core::ptr::null_mut()) };
    let dir = kernel::error::from_err_ptr(dir)?;
    let files = create_file(c"version", 0o444, dir, &VERSION_FOPS)
        .and_then(|()| create_file(c"mode", 0o644, dir, &MODE_FOPS));
    if files.is_err() {
        // SAFETY: `dir` was created above and nothing else refers to it yet.
        unsafe { bindings::securityfs_recursive_remove(dir) };
    }
    files
}
