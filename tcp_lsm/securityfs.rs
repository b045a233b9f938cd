// SPDX-License-Identifier: GPL-2.0

//! The files under `/sys/kernel/security/tcp/`: the boundary with userspace.
//!
//! | file          | mode | read                          | write                              |
//! |---------------|------|-------------------------------|------------------------------------|
//! | `version`     | 0444 | policy ABI version, e.g. `1`  | refused (`-EINVAL`)                |
//! | `mode`        | 0644 | `monitor`, `alert`, `enforce` | one of those names; else `-EINVAL` |
//! | `policy`      | 0600 | the loaded blob (empty: none) | a blob, in one or many writes      |
//! | `generation`  | 0444 | generation, 0 before any load | refused                            |
//! | `policy_hash` | 0444 | SHA-256 of the blob, or none  | refused                            |
//!
//! `control.rs` adds `events`, `stats`, `enforce`, `anomaly_threshold` and `hardware/`.
//!
//! Opening a writable file for writing needs CAP_MAC_ADMIN, checked at open with the
//! opener's credentials (`-EPERM` otherwise); an open file keeps the opener's right.
//! The ABI is documented in docs/securityfs.md.

use core::cell::UnsafeCell;
use core::fmt::Write;
use core::sync::atomic::{AtomicBool, Ordering};

use kernel::bindings;
use kernel::error::code::{EBUSY, EFAULT, EFBIG, EINVAL, ENOEXEC, ENOMEM, EPERM};
use kernel::ffi::{c_char, c_int, c_void};
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::uaccess::UserSlice;

use crate::engine::abi::{MODE_WRITE_MAX, POLICY_ABI_VERSION};
use crate::engine::format::{HEADER_SIZE, MAGIC, MAX_POLICY_SIZE};
use crate::engine::mode::Mode;
use crate::policy::{self, Loaded};
use crate::state;

/// A small formatting buffer on the stack; output past its end is cut off, never written.
pub(crate) struct StackBuf<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> StackBuf<N> {
    pub(crate) fn new() -> Self {
        Self { bytes: [0; N], len: 0 }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
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
pub(crate) unsafe fn read_text(buf: *mut c_char, count: usize, ppos: *mut bindings::loff_t, text: &[u8]) -> isize {
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
pub(crate) fn errno(err: kernel::error::Error) -> isize {
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
    let Some(subject) = crate::decide::Subject::current() else { return Ok(()) };
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
unsafe fn opened_for_write(file: *const bindings::file) -> bool {
    // SAFETY: Guaranteed by the caller.
    unsafe { (*file).f_flags & bindings::O_ACCMODE != bindings::O_RDONLY }
}

unsafe extern "C" fn mode_open(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
    // SAFETY: The VFS passes the file being opened.
    match unsafe { check_writer(file) } {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
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
    if let Err(e) = refuse_confined_writer() {
        return errno(e);
    }
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

unsafe extern "C" fn generation_read(
    _file: *mut bindings::file,
    buf: *mut c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    let generation = policy::current().map_or(0, |p| p.generation());
    let mut text = StackBuf::<24>::new();
    if writeln!(text, "{}", generation).is_err() {
        return errno(EINVAL);
    }
    // SAFETY: The arguments are those of this read operation.
    unsafe { read_text(buf, count, ppos, text.as_bytes()) }
}

unsafe extern "C" fn policy_hash_read(
    _file: *mut bindings::file,
    buf: *mut c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    let mut text = StackBuf::<72>::new();
    let written = match policy::current() {
        None => writeln!(text, "none"),
        Some(p) => p
            .digest()
            .iter()
            .try_for_each(|b| write!(text, "{:02x}", b))
            .and_then(|()| writeln!(text)),
    };
    if written.is_err() {
        return errno(EINVAL);
    }
    // SAFETY: The arguments are those of this read operation.
    unsafe { read_text(buf, count, ppos, text.as_bytes()) }
}

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

/// Offset and width of the header's `total_size` field.
const TOTAL_SIZE_AT: core::ops::Range<usize> = 16..20;

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
        self.bytes.extend_with(count, 0, GFP_KERNEL).map_err(|_| ENOMEM)?;
        let dst = self.bytes.as_mut_slice().get_mut(old_len..new_len).ok_or(EINVAL)?;
        if UserSlice::new(buf as usize, count).reader().read_slice(dst).is_err() {
            return Err(EFAULT);
        }
        let data = self.bytes.as_slice();
        if data.len() >= MAGIC.len() && data.get(..MAGIC.len()) != Some(&MAGIC[..]) {
            return Err(ENOEXEC);
        }
        if self.expected == 0 {
            if let Some(field) = data.get(TOTAL_SIZE_AT) {
                let mut le = [0u8; 4];
                le.copy_from_slice(field);
                let total = usize::try_from(u32::from_le_bytes(le)).map_err(|_| EFBIG)?;
                if total > MAX_POLICY_SIZE {
                    return Err(EFBIG);
                }
                if total < HEADER_SIZE || data.len() > total {
                    return Err(EINVAL);
                }
                self.expected = total;
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
        staging: UnsafeCell::new(Staging { bytes: KVVec::new(), expected: 0, failed: !for_write }),
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

unsafe extern "C" fn policy_release(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
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

unsafe extern "C" fn policy_read(
    file: *mut bindings::file,
    buf: *mut c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: The VFS passes an open `policy` file.
    let Some(state) = (unsafe { policy_file(file) }) else {
        return errno(EINVAL);
    };
    let bytes = state.snapshot.as_ref().map_or(&[][..], |p| p.bytes());
    // SAFETY: The arguments are those of this read operation.
    unsafe { read_text(buf, count, ppos, bytes) }
}

unsafe extern "C" fn policy_write(
    file: *mut bindings::file,
    buf: *const c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    if let Err(e) = refuse_confined_writer() {
        return errno(e);
    }
    // SAFETY: The VFS passes an open `policy` file.
    let Some(state) = (unsafe { policy_file(file) }) else {
        return errno(EINVAL);
    };
    if state.busy.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
        return errno(EBUSY);
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
            errno(e)
        }
    };
    state.busy.store(false, Ordering::Release);
    result
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

static VERSION_FOPS: FileOps = FileOps(bindings::file_operations {
    read: Some(version_read),
    llseek: Some(bindings::generic_file_llseek),
    ..NO_FOPS
});

static MODE_FOPS: FileOps = FileOps(bindings::file_operations {
    open: Some(mode_open),
    read: Some(mode_read),
    write: Some(mode_write),
    llseek: Some(bindings::generic_file_llseek),
    ..NO_FOPS
});

static GENERATION_FOPS: FileOps = FileOps(bindings::file_operations {
    read: Some(generation_read),
    llseek: Some(bindings::generic_file_llseek),
    ..NO_FOPS
});

static POLICY_HASH_FOPS: FileOps = FileOps(bindings::file_operations {
    read: Some(policy_hash_read),
    llseek: Some(bindings::generic_file_llseek),
    ..NO_FOPS
});

static POLICY_FOPS: FileOps = FileOps(bindings::file_operations {
    open: Some(policy_open),
    release: Some(policy_release),
    read: Some(policy_read),
    write: Some(policy_write),
    llseek: Some(bindings::generic_file_llseek),
    ..NO_FOPS
});

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
    let dentry = unsafe { bindings::securityfs_create_file(name.as_ptr().cast(), mode, dir, private, &fops.0) };
    kernel::error::from_err_ptr(dentry).map(|_| ())
}

/// Creates `/sys/kernel/security/tcp/` and its files. Called once at boot.
pub(crate) fn create() -> Result {
    // SAFETY: The name is NUL-terminated; a null parent means the securityfs root.
    let dir = unsafe { bindings::securityfs_create_dir(c"tcp".as_ptr().cast(), core::ptr::null_mut()) };
    let dir = kernel::error::from_err_ptr(dir)?;
    let none = core::ptr::null_mut();
    let files = create_file(c"version", 0o444, dir, &VERSION_FOPS, none)
        .and_then(|()| create_file(c"mode", 0o644, dir, &MODE_FOPS, none))
        .and_then(|()| create_file(c"policy", 0o600, dir, &POLICY_FOPS, none))
        .and_then(|()| create_file(c"generation", 0o444, dir, &GENERATION_FOPS, none))
        .and_then(|()| create_file(c"policy_hash", 0o444, dir, &POLICY_HASH_FOPS, none))
        .and_then(|()| crate::control::create(dir));
    if files.is_err() {
        // SAFETY: `dir` was created above and nothing else refers to it yet.
        unsafe { bindings::securityfs_recursive_remove(dir) };
    }
    files
}
