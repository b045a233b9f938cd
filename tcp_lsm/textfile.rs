// SPDX-License-Identifier: GPL-2.0

//! The plumbing every securityfs file of this LSM shares: value files made by seq_file
//! (`text_open!`, `text_fops!`, [`SeqText`]), small values written whole at offset 0
//! ([`write_value`], [`write_raw_value`]), the writer checks (CAP_MAC_ADMIN at open, no
//! confined writer ever) and file creation.

use core::fmt::Write;

use kernel::bindings;
use kernel::error::code::{EFAULT, EINVAL, EPERM};
use kernel::ffi::{c_char, c_int, c_void};
use kernel::prelude::*;
use kernel::uaccess::UserSlice;

use crate::errno;

/// Copies `text` to a reader's buffer, honouring the file position.
///
/// # Safety
///
/// `buf`, `count` and `ppos` must be the arguments of a `read` file operation.
pub(crate) unsafe fn read_text(
    buf: *mut c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
    text: &[u8],
) -> isize {
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

/// Makes the whole text of a value file (`file`: the open file, for files that share a
/// table, such as `hardware/`).
pub(crate) type Fill = fn(file: *const bindings::file, out: &mut SeqText) -> core::fmt::Result;

/// seq_file's buffer as a `core::fmt::Write`. Text past its end sets seq_file's overflow
/// flag, and `seq_read` then makes the text again in a larger buffer.
pub(crate) struct SeqText(*mut bindings::seq_file);

impl Write for SeqText {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        // SAFETY: `self.0` is the seq_file whose `show` is running (see `show_text`); `s`
        // is `s.len()` readable bytes.
        unsafe { bindings::seq_write(self.0, s.as_ptr().cast(), s.len()) };
        Ok(())
    }
}

/// Opens a value file with seq_file's `single_open`, which makes its text at the first
/// read (and again after a seek to 0) and serves every later read of that pass from the
/// same text. A reader with a small buffer therefore gets one value the kernel had,
/// never the start of one value and the end of the next (found by the concurrency stress
/// suite), and seq_file's lock keeps concurrent readers of one descriptor apart. The
/// kernel's own mechanism, rather than a snapshot of our own.
///
/// # Safety
///
/// `file` must be the file being opened, with `seq_read`, `seq_lseek` and
/// `single_release` in its table.
pub(crate) unsafe fn open_text(file: *mut bindings::file, fill: Fill) -> c_int {
    // SAFETY: Guaranteed by the caller; `fill` is a plain function pointer, handed to
    // `show_text` as seq_file's private data and never freed.
    unsafe { bindings::single_open(file, Some(show_text), fill as *mut c_void) }
}

/// seq_file's `show` for every value file: calls the file's `Fill`.
///
/// # Safety
///
/// The VFS calls it as a file operation of this LSM's securityfs files, with that
/// operation's arguments.
unsafe extern "C" fn show_text(m: *mut bindings::seq_file, _v: *mut c_void) -> c_int {
    // SAFETY: seq_file calls `show` with the seq_file made by `open_text`, whose private
    // data is the `Fill` given there (a function pointer cast to a data pointer, the same
    // size on every architecture the kernel's Rust supports).
    let (fill, file) = unsafe {
        (
            core::mem::transmute::<*mut c_void, Fill>((*m).private),
            (*m).file,
        )
    };
    match fill(file, &mut SeqText(m)) {
        Ok(()) => 0,
        Err(_) => EINVAL.to_errno(),
    }
}

/// A `file_operations` for a value file: `$open` (made by `text_open!`), `$write` if any.
macro_rules! text_fops {
    ($open:ident) => {
        $crate::textfile::FileOps(kernel::bindings::file_operations {
            open: Some($open),
            read: Some(kernel::bindings::seq_read),
            llseek: Some(kernel::bindings::seq_lseek),
            release: Some(kernel::bindings::single_release),
            ..$crate::textfile::NO_FOPS
        })
    };
    ($open:ident, $write:ident) => {
        $crate::textfile::FileOps(kernel::bindings::file_operations {
            open: Some($open),
            read: Some(kernel::bindings::seq_read),
            write: Some($write),
            llseek: Some(kernel::bindings::seq_lseek),
            release: Some(kernel::bindings::single_release),
            ..$crate::textfile::NO_FOPS
        })
    };
}
pub(crate) use text_fops;

/// Defines the `open` of a value file whose text `$fill` makes; with `writer`, writers
/// are checked first (`check_writer`).
macro_rules! text_open {
    ($name:ident, $fill:path) => {
        /// # Safety
        ///
        /// The VFS calls it as a file operation of this LSM's securityfs files, with that
        /// operation's arguments.
        unsafe extern "C" fn $name(
            _inode: *mut kernel::bindings::inode,
            file: *mut kernel::bindings::file,
        ) -> kernel::ffi::c_int {
            // SAFETY: The VFS passes the file being opened; its table is `text_fops!`'s.
            unsafe { $crate::textfile::open_text(file, $fill) }
        }
    };
    ($name:ident, $fill:path, writer) => {
        /// # Safety
        ///
        /// The VFS calls it as a file operation of this LSM's securityfs files, with that
        /// operation's arguments.
        unsafe extern "C" fn $name(
            _inode: *mut kernel::bindings::inode,
            file: *mut kernel::bindings::file,
        ) -> kernel::ffi::c_int {
            // SAFETY: The VFS passes the file being opened.
            if let Err(e) = unsafe { $crate::textfile::check_writer(file) } {
                return e.to_errno();
            }
            // SAFETY: As above; its table is `text_fops!`'s.
            let ret = unsafe { $crate::textfile::open_text(file, $fill) };
            if ret == 0 {
                // seq_open clears FMODE_PWRITE; a file with its own write keeps pwrite(2)
                // (refused past offset 0 with EINVAL, as documented), as seq_file.c says
                // such clients should.
                // SAFETY: The file is being opened; nothing else uses its mode yet.
                unsafe { (*file).f_mode |= $crate::textfile::FMODE_PWRITE };
            }
            ret
        }
    };
}
pub(crate) use text_open;

/// `FMODE_PWRITE` (include/linux/fs.h): a cast bindgen does not turn into a constant; its
/// value comes from the C compiler (`layout_c.c`).
pub(crate) const FMODE_PWRITE: bindings::fmode_t = crate::layout::FMODE_PWRITE as bindings::fmode_t;

/// Refuses writers without CAP_MAC_ADMIN, checked now, with the opener's credentials.
/// Readers need nothing beyond the file's permission bits.
///
/// # Safety
///
/// `file` must be the file being opened.
pub(crate) unsafe fn check_writer(file: *mut bindings::file) -> Result {
    // SAFETY: Guaranteed by the caller.
    if unsafe { opened_for_write(file) } {
        refuse_confined_writer()?;
        // SAFETY: `capable` checks the current task, which is the opener.
        if !unsafe { bindings::capable(bindings::CAP_MAC_ADMIN as c_int) } {
            return Err(EPERM);
        }
    }
    Ok(())
}

/// Self-protection: no confined task writes the LSM's files, whatever its capabilities,
/// its policy and the mode. Checked at open and again by every write handler, so that a
/// descriptor an administrator opened and a confined task inherited or received writes
/// nothing. (The capability is checked at open only: an administrator's descriptor keeps
/// its right, as for other kernel files.)
pub(crate) fn refuse_confined_writer() -> Result {
    let Some(subject) = crate::decide::Subject::current() else {
        return Ok(());
    };
    let ask = crate::decide::Ask::new(
        "securityfs_write",
        crate::engine::perm::Class::File,
        u64::from(crate::engine::perm::bits::file::WRITE),
        crate::decide::Object::Text("/sys/kernel/security/tcp"),
    );
    subject.refuse(EPERM, &ask)
}

/// Whether `file` was opened for writing.
///
/// # Safety
///
/// `file` must be a live file.
pub(crate) unsafe fn opened_for_write(file: *const bindings::file) -> bool {
    // SAFETY: Guaranteed by the caller.
    unsafe { (*file).f_flags & bindings::O_ACCMODE != bindings::O_RDONLY }
}

/// Wrapper making a `file_operations` table shareable; it is never written.
#[repr(transparent)]
pub(crate) struct FileOps(pub(crate) bindings::file_operations);

// SAFETY: The tables are immutable and hold only function pointers.
unsafe impl Sync for FileOps {}

/// A `file_operations` with every member empty.
pub(crate) const NO_FOPS: bindings::file_operations = {
    // SAFETY: `file_operations` is a C struct of nullable pointers and integers, for which
    // all-zero is the valid "no operation" value.
    unsafe { core::mem::zeroed() }
};

/// Creates one file under `dir`.
pub(crate) fn create_file(
    name: &core::ffi::CStr,
    mode: u16,
    dir: *mut bindings::dentry,
    fops: &'static FileOps,
    private: *mut c_void,
) -> Result {
    // SAFETY: `name` is NUL-terminated, `dir` a live securityfs directory, `fops` static;
    // `private` (the inode's `i_private`) is null or points to a static.
    let dentry = unsafe {
        bindings::securityfs_create_file(name.as_ptr().cast(), mode, dir, private, &fops.0)
    };
    kernel::error::from_err_ptr(dentry).map(|_| ())
}

/// Longest value accepted by the small control files.
pub(crate) const VALUE_MAX: usize = 16;

/// Reads a small value written whole at offset 0 (at most [`VALUE_MAX`] bytes).
///
/// # Safety
///
/// `buf`, `count` and `ppos` must be the arguments of a `write` file operation.
unsafe fn small_write(
    buf: *const c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> Result<[u8; VALUE_MAX]> {
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
    // SAFETY: As above.
    unsafe { *ppos = count as bindings::loff_t };
    Ok(bytes)
}

/// Runs `apply` on the value written without one trailing newline; the write's return
/// value. Confined writers are refused first.
///
/// # Safety
///
/// As for [`small_write`].
pub(crate) unsafe fn write_value(
    buf: *const c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
    apply: impl FnOnce(&[u8]) -> Result,
) -> isize {
    // SAFETY: Guaranteed by the caller.
    unsafe {
        write_raw_value(buf, count, ppos, |v| {
            apply(v.strip_suffix(b"\n").unwrap_or(v))
        })
    }
}

/// As [`write_value`], giving `apply` the bytes exactly as written (for values whose
/// parser takes its own newline, such as `mode`'s [`Mode::parse`]).
///
/// # Safety
///
/// As for [`small_write`].
///
/// [`Mode::parse`]: crate::engine::mode::Mode::parse
pub(crate) unsafe fn write_raw_value(
    buf: *const c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
    apply: impl FnOnce(&[u8]) -> Result,
) -> isize {
    if let Err(e) = refuse_confined_writer() {
        return errno::io(e);
    }
    // SAFETY: Guaranteed by the caller.
    match unsafe { small_write(buf, count, ppos) } {
        Ok(bytes) => match apply(bytes.get(..count).unwrap_or(&[])) {
            Ok(()) => count as isize,
            Err(e) => errno::io(e),
        },
        Err(e) => errno::io(e),
    }
}
