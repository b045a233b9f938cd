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
use crate::errno;
use crate::policy::{self, Loaded};
use crate::state;

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
        $crate::securityfs::FileOps(bindings::file_operations {
            open: Some($open),
            read: Some(bindings::seq_read),
            llseek: Some(bindings::seq_lseek),
            release: Some(bindings::single_release),
            ..$crate::securityfs::NO_FOPS
        })
    };
    ($open:ident, $write:ident) => {
        $crate::securityfs::FileOps(bindings::file_operations {
            open: Some($open),
            read: Some(bindings::seq_read),
            write: Some($write),
            llseek: Some(bindings::seq_lseek),
            release: Some(bindings::single_release),
            ..$crate::securityfs::NO_FOPS
        })
    };
}
pub(crate) use text_fops;

/// Defines the `open` of a value file whose text `$fill` makes; with `writer`, writers
/// are checked first (`check_writer`).
macro_rules! text_open {
    ($name:ident, $fill:path) => {
        unsafe extern "C" fn $name(
            _inode: *mut bindings::inode,
            file: *mut bindings::file,
        ) -> c_int {
            // SAFETY: The VFS passes the file being opened; its table is `text_fops!`'s.
            unsafe { $crate::securityfs::open_text(file, $fill) }
        }
    };
    ($name:ident, $fill:path, writer) => {
        unsafe extern "C" fn $name(
            _inode: *mut bindings::inode,
            file: *mut bindings::file,
        ) -> c_int {
            // SAFETY: The VFS passes the file being opened.
            if let Err(e) = unsafe { $crate::securityfs::check_writer(file) } {
                return e.to_errno();
            }
            // SAFETY: As above; its table is `text_fops!`'s.
            let ret = unsafe { $crate::securityfs::open_text(file, $fill) };
            if ret == 0 {
                // seq_open clears FMODE_PWRITE; a file with its own write keeps pwrite(2)
                // (refused past offset 0 with EINVAL, as documented), as seq_file.c says
                // such clients should.
                // SAFETY: The file is being opened; nothing else uses its mode yet.
                unsafe { (*file).f_mode |= $crate::securityfs::FMODE_PWRITE };
            }
            ret
        }
    };
}

/// `FMODE_PWRITE` (include/linux/fs.h): a cast bindgen does not turn into a constant.
pub(crate) const FMODE_PWRITE: bindings::fmode_t = 1 << 4;
pub(crate) use text_open;

fn version_text(_file: *const bindings::file, out: &mut SeqText) -> core::fmt::Result {
    writeln!(out, "{}", POLICY_ABI_VERSION)
}
text_open!(version_open, version_text);

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
unsafe fn opened_for_write(file: *const bindings::file) -> bool {
    // SAFETY: Guaranteed by the caller.
    unsafe { (*file).f_flags & bindings::O_ACCMODE != bindings::O_RDONLY }
}

fn mode_text(_file: *const bindings::file, out: &mut SeqText) -> core::fmt::Result {
    writeln!(out, "{}", state::mode().name())
}
text_open!(mode_open, mode_text, writer);

unsafe extern "C" fn mode_write(
    _file: *mut bindings::file,
    buf: *const c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    if let Err(e) = refuse_confined_writer() {
        return errno::io(e);
    }
    // A mode is written whole, in one write at offset 0.
    // SAFETY: The VFS passes a valid position pointer.
    if unsafe { *ppos } != 0 || count == 0 || count > MODE_WRITE_MAX {
        return errno::io(EINVAL);
    }
    let mut bytes = [0u8; MODE_WRITE_MAX];
    let Some(dst) = bytes.get_mut(..count) else {
        return errno::io(EINVAL);
    };
    if UserSlice::new(buf as usize, count)
        .reader()
        .read_slice(dst)
        .is_err()
    {
        return errno::io(EFAULT);
    }
    let mode = match Mode::parse(dst) {
        Ok(mode) => mode,
        Err(_) => return errno::io(EINVAL),
    };
    let old = state::set_mode(mode);
    // SAFETY: `get_current` returns the running task, live while it runs.
    let pid = unsafe { (*bindings::get_current()).pid };
    pr_notice!("mode {} -> {} (pid {})\n", old.name(), mode.name(), pid);
    // SAFETY: The VFS passes a valid position pointer. `count` is at most MODE_WRITE_MAX.
    unsafe { *ppos = count as bindings::loff_t };
    count as isize
}

fn generation_text(_file: *const bindings::file, out: &mut SeqText) -> core::fmt::Result {
    writeln!(out, "{}", policy::current().map_or(0, |p| p.generation()))
}
text_open!(generation_open, generation_text);

fn policy_hash_text(_file: *const bindings::file, out: &mut SeqText) -> core::fmt::Result {
    match policy::current() {
        None => writeln!(out, "none"),
        Some(p) => p
            .digest()
            .iter()
            .try_for_each(|b| write!(out, "{:02x}", b))
            .and_then(|()| writeln!(out)),
    }
}
text_open!(policy_hash_open, policy_hash_text);

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

static VERSION_FOPS: FileOps = text_fops!(version_open);

static MODE_FOPS: FileOps = text_fops!(mode_open, mode_write);

static GENERATION_FOPS: FileOps = text_fops!(generation_open);

static POLICY_HASH_FOPS: FileOps = text_fops!(policy_hash_open);

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
    let dentry = unsafe {
        bindings::securityfs_create_file(name.as_ptr().cast(), mode, dir, private, &fops.0)
    };
    kernel::error::from_err_ptr(dentry).map(|_| ())
}

/// Creates `/sys/kernel/security/tcp/` and its files. Called once at boot.
pub(crate) fn create() -> Result {
    // SAFETY: The name is NUL-terminated; a null parent means the securityfs root.
    let dir =
        unsafe { bindings::securityfs_create_dir(c"tcp".as_ptr().cast(), core::ptr::null_mut()) };
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
