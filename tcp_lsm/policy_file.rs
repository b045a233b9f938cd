// SPDX-License-Identifier: GPL-2.0

//! The `policy` file: reads return the blob in force when the file was opened; a blob
//! written (in one write or many, in order from offset 0) is validated whole and loaded
//! by `policy::load`, or refused with nothing changed.

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, Ordering};

use kernel::bindings;
use kernel::error::code::{EBUSY, EFAULT, EFBIG, EINVAL, ENOMEM};
use kernel::ffi::{c_char, c_int};
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::uaccess::UserSlice;

use crate::engine::format::{declared_size, MAX_POLICY_SIZE};
use crate::errno;
use crate::policy::{self, Loaded};
use crate::textfile::{
    check_writer, opened_for_write, read_text, refuse_confined_writer, FileOps, NO_FOPS,
};

/// State of one open `policy` file, in `file->private_data`.
struct PolicyFile {
    /// The policy in force when the file was opened for reading; what reads return.
    /// Set at open, never modified.
    snapshot: Option<Arc<Loaded>>,
    /// Set while a write uses `staging`: `pwrite(2)` calls on one file are not serialised
    /// by the VFS, so a second concurrent writer gets `-EBUSY` instead of a data race.
    busy: AtomicBool,
    /// The blob being written; only accessed by the writer that set `busy`.
    staging: UnsafeCell<Staging>,
}

/// A blob being written to `policy`.
struct Staging {
    /// Bytes written so far.
    bytes: KVVec<u8>,
    /// The blob's size from its header, once the header has arrived (0 before).
    expected: usize,
    /// A write was rejected: the rest of this blob is refused until the file is reopened.
    failed: bool,
}

impl Staging {
    /// Appends one chunk from userspace; returns the new generation when the chunk
    /// completed a blob that was then loaded.
    fn write_chunk(&mut self, buf: *const c_char, count: usize, pos: u64) -> Result<Option<u64>> {
        if self.failed || pos != self.bytes.len() as u64 {
            // Blobs are written in order from offset 0; a refused blob needs a new open.
            return Err(EINVAL);
        }
        let old_len = self.bytes.len();
        let new_len = old_len.checked_add(count).ok_or(EFBIG)?;
        if new_len > MAX_POLICY_SIZE {
            return Err(EFBIG);
        }
        if self.expected != 0 && new_len > self.expected {
            return Err(EINVAL);
        }
        self.bytes
            .extend_with(count, 0, GFP_KERNEL)
            .map_err(|_| ENOMEM)?;
        let dst = self
            .bytes
            .as_mut_slice()
            .get_mut(old_len..new_len)
            .ok_or(EINVAL)?;
        if UserSlice::new(buf as usize, count)
            .reader()
            .read_slice(dst)
            .is_err()
        {
            return Err(EFAULT);
        }
        let data = self.bytes.as_slice();
        if self.expected == 0 {
            // The engine reads the header as it arrives (magic, version, declared size),
            // with the errno a whole load would give for the same fault.
            match declared_size(data) {
                Err(e) => {
                    let errno = policy::LoadError::Invalid(e).to_errno();
                    return Err(kernel::error::Error::from_errno(errno));
                }
                Ok(Some(total)) if data.len() > total => return Err(EINVAL),
                Ok(Some(total)) => self.expected = total,
                Ok(None) => {}
            }
        }
        if self.expected == 0 || self.bytes.len() < self.expected {
            return Ok(None);
        }
        let blob = core::mem::replace(&mut self.bytes, KVVec::new());
        self.expected = 0;
        match policy::load(blob) {
            Ok(generation) => Ok(Some(generation)),
            Err(e) => {
                let errno = e.to_errno();
                match &e {
                    policy::LoadError::Invalid(reason) => {
                        pr_warn!("policy rejected (errno {}): {}\n", -errno, reason)
                    }
                    policy::LoadError::NoMemory => pr_warn!("policy rejected: out of memory\n"),
                }
                Err(kernel::error::Error::from_errno(errno))
            }
        }
    }
}

/// The `PolicyFile` of an open `policy` file.
///
/// # Safety
///
/// `file` must be an open `policy` file whose `private_data` was set by `policy_open`.
unsafe fn policy_file<'a>(file: *mut bindings::file) -> Option<&'a PolicyFile> {
    // SAFETY: Guaranteed by the caller; the state lives until `policy_release`, which the
    // VFS calls only after the last read or write returned.
    unsafe { (*file).private_data.cast::<PolicyFile>().as_ref() }
}

/// # Safety
///
/// The VFS calls it as a file operation of this LSM's securityfs files, with that
/// operation's arguments.
unsafe extern "C" fn policy_open(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
    // SAFETY: The VFS passes the file being opened.
    if let Err(e) = unsafe { check_writer(file) } {
        return e.to_errno();
    }
    // SAFETY: As above.
    let for_write = unsafe { opened_for_write(file) };
    // SAFETY: As above.
    let for_read = unsafe { (*file).f_flags } & bindings::O_ACCMODE != bindings::O_WRONLY;
    let state = PolicyFile {
        snapshot: if for_read { policy::current() } else { None },
        busy: AtomicBool::new(false),
        staging: UnsafeCell::new(Staging {
            bytes: KVVec::new(),
            expected: 0,
            failed: !for_write,
        }),
    };
    match KBox::new(state, GFP_KERNEL) {
        Ok(boxed) => {
            // SAFETY: The file is being opened; nothing else uses `private_data` yet.
            unsafe { (*file).private_data = KBox::into_raw(boxed).cast() };
            0
        }
        Err(_) => ENOMEM.to_errno(),
    }
}

/// # Safety
///
/// The VFS calls it as a file operation of this LSM's securityfs files, with that
/// operation's arguments.
unsafe extern "C" fn policy_release(
    _inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: The VFS passes the file being released; `private_data` was set by
    // `policy_open` from `KBox::into_raw` and nothing uses it after release.
    let state = unsafe { (*file).private_data.cast::<PolicyFile>() };
    if state.is_null() {
        return 0;
    }
    // SAFETY: See above; ownership returns to this box, which frees it.
    let state = unsafe { KBox::from_raw(state) };
    let staging = KBox::into_inner(state).staging.into_inner();
    if !staging.failed && !staging.bytes.is_empty() {
        pr_warn!(
            "policy load abandoned: file closed after {} of {} bytes; nothing loaded\n",
            staging.bytes.len(),
            staging.expected
        );
    }
    0
}

/// # Safety
///
/// The VFS calls it as a file operation of this LSM's securityfs files, with that
/// operation's arguments.
unsafe extern "C" fn policy_read(
    file: *mut bindings::file,
    buf: *mut c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: The VFS passes an open `policy` file.
    let Some(state) = (unsafe { policy_file(file) }) else {
        return errno::io(EINVAL);
    };
    let bytes = state.snapshot.as_ref().map_or(&[][..], |p| p.bytes());
    // SAFETY: The arguments are those of this read operation.
    unsafe { read_text(buf, count, ppos, bytes) }
}

/// # Safety
///
/// The VFS calls it as a file operation of this LSM's securityfs files, with that
/// operation's arguments.
unsafe extern "C" fn policy_write(
    file: *mut bindings::file,
    buf: *const c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    if let Err(e) = refuse_confined_writer() {
        return errno::io(e);
    }
    // SAFETY: The VFS passes an open `policy` file.
    let Some(state) = (unsafe { policy_file(file) }) else {
        return errno::io(EINVAL);
    };
    if state
        .busy
        .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        return errno::io(EBUSY);
    }
    // SAFETY: `busy` was false and is now ours: no other reference to the staging exists
    // until it is cleared below.
    let staging = unsafe { &mut *state.staging.get() };
    // SAFETY: The VFS passes a valid position pointer.
    let pos = u64::try_from(unsafe { *ppos }).unwrap_or(u64::MAX);
    let result = match staging.write_chunk(buf, count, pos) {
        Ok(loaded) => {
            if let Some(generation) = loaded {
                crate::report::count(crate::engine::stats::Counter::PolicyLoads);
                pr_info!("policy loaded: generation {}\n", generation);
            }
            // SAFETY: As above. `count` bytes were accepted, far below `loff_t::MAX`.
            unsafe { *ppos = (*ppos).saturating_add(count as bindings::loff_t) };
            count as isize
        }
        Err(e) => {
            if !staging.failed {
                // The first refusal ends this blob: one rejected load.
                crate::report::count(crate::engine::stats::Counter::PolicyRejected);
            }
            staging.failed = true;
            staging.bytes = KVVec::new();
            errno::io(e)
        }
    };
    state.busy.store(false, Ordering::Release);
    result
}

pub(crate) static POLICY_FOPS: FileOps = FileOps(bindings::file_operations {
    open: Some(policy_open),
    release: Some(policy_release),
    read: Some(policy_read),
    write: Some(policy_write),
    llseek: Some(bindings::generic_file_llseek),
    ..NO_FOPS
});
