// SPDX-License-Identifier: GPL-2.0

//! Per-object security state ("blobs") kept by the LSM framework for this LSM.
//!
//! The framework allocates one region per object for all LSMs, zero-filled, and gives each
//! LSM an offset into it (written into [`BLOB_SIZES`] at boot). All-zero is therefore
//! the initial value of every type here, and means "unconfined / not yet classified".

use core::cell::UnsafeCell;
use core::mem::size_of;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, Ordering};

use kernel::bindings;
use kernel::ffi::c_int;

/// Converts a blob size for `lsm_blob_sizes` (all sizes here are a few bytes).
const fn blob_size<T>() -> c_int {
    size_of::<T>() as c_int
}

/// Blob sizes requested from the framework. At boot the framework replaces each non-zero
/// size with this LSM's offset into the shared blob; it is read-only after init.
#[link_section = ".data..ro_after_init"]
pub(crate) static mut BLOB_SIZES: bindings::lsm_blob_sizes = bindings::lsm_blob_sizes {
    lbs_cred: blob_size::<CredSecurity>(),
    lbs_file: blob_size::<FileSecurity>(),
    lbs_backing_file: 0,
    lbs_ib: 0,
    lbs_inode: blob_size::<InodeSecurity>(),
    lbs_sock: blob_size::<SockSecurity>(),
    lbs_superblock: 0,
    lbs_ipc: blob_size::<IpcSecurity>(),
    lbs_key: 0,
    lbs_msg_msg: 0,
    lbs_perf_event: 0,
    lbs_task: blob_size::<TaskSecurity>(),
    lbs_xattr_count: 0,
    lbs_tun_dev: 0,
    lbs_bdev: 0,
};

/// The blob offsets assigned by the framework.
pub(crate) fn blob_offsets() -> &'static bindings::lsm_blob_sizes {
    // SAFETY: The framework writes BLOB_SIZES only in `security_init()`, before any hook of
    // this LSM is registered; afterwards it is read-only (`.data..ro_after_init`).
    // `&raw const` then a dereference, not `&BLOB_SIZES`: no reference to a `static mut`
    // is ever made (`static_mut_refs`).
    #[allow(clippy::deref_addrof)]
    unsafe {
        &*(&raw const BLOB_SIZES)
    }
}

/// Longest domain name (the format's `MAX_NAME_LEN`).
pub(crate) const DOMAIN_NAME_MAX: usize = 64;

/// The domain a subject is confined to, by name. Names, not ids, so that a confinement
/// survives policy reloads that renumber domains; an empty name is the unconfined domain,
/// in which every task starts.
///
/// # Invariants
///
/// `key` is [`DomainName::key`] of `bytes[..len]`, computed once when the name is made
/// (owner keys are taken on every file and socket a confined task creates).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub(crate) struct DomainName {
    key: u64,
    len: u8,
    bytes: [u8; DOMAIN_NAME_MAX],
}

impl Default for DomainName {
    fn default() -> Self {
        Self::UNCONFINED
    }
}

impl DomainName {
    /// The domain of tasks that no policy confines.
    pub(crate) const UNCONFINED: DomainName = DomainName {
        key: 0,
        len: 0,
        bytes: [0; DOMAIN_NAME_MAX],
    };

    /// The domain called `name`; `None` when the name is empty or too long.
    pub(crate) fn new(name: &[u8]) -> Option<DomainName> {
        if name.is_empty() || name.len() > DOMAIN_NAME_MAX {
            return None;
        }
        let mut d = DomainName {
            key: 0,
            len: u8::try_from(name.len()).ok()?,
            bytes: [0; DOMAIN_NAME_MAX],
        };
        d.bytes.get_mut(..name.len())?.copy_from_slice(name);
        d.key = fnv1a(name) | 1;
        Some(d)
    }

    /// The name; empty for the unconfined domain.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// Whether this is a policy domain (not the unconfined one).
    pub(crate) fn is_confined(&self) -> bool {
        self.len != 0
    }

    /// A 64-bit key for the name (FNV-1a with the low bit set), 0 for the unconfined
    /// domain; used to remember an owner domain in small blobs.
    pub(crate) fn key(&self) -> u64 {
        self.key
    }
}

/// FNV-1a of `bytes`.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Subject state, in the cred blob: what a task is confined to.
///
/// Protected by the cred lifecycle: a cred is immutable once committed, so `domain` and
/// `exec_domain` are written only on a cred under construction (`cred_prepare`,
/// `cred_transfer`, exec, self-attr). `resolved` is a cache any reader may fill.
#[derive(Debug, Default)]
#[repr(C)]
pub(crate) struct CredSecurity {
    /// The domain the task runs in (set with [`CredSecurity::set_domain`]).
    domain: DomainName,
    /// Domain requested for the next exec (`lsm_set_self_attr(LSM_ATTR_EXEC)`), or unconfined.
    pub(crate) exec_domain: DomainName,
    /// The id of `domain` in the policy of one generation, `generation << 32 | id` (0:
    /// not known), so that decisions skip looking the name up. Cleared whenever `domain`
    /// changes.
    resolved: AtomicU64,
    /// Whether io_uring runs requests with this cred in place of a task's own (a
    /// registered personality, `uring_override_creds`): never copied.
    uring: AtomicBool,
}

impl CredSecurity {
    /// Records that io_uring runs requests with this cred in place of a task's own.
    pub(crate) fn mark_uring_personality(&self) {
        self.uring.store(true, Ordering::Relaxed);
    }

    /// The domain the task runs in.
    pub(crate) fn domain(&self) -> &DomainName {
        &self.domain
    }

    /// Sets the domain (of a cred under construction), forgetting the cached id.
    pub(crate) fn set_domain(&mut self, domain: DomainName) {
        self.domain = domain;
        *self.resolved.get_mut() = 0;
    }

    /// Copies `other` into this cred under construction (same domain, same cached id).
    pub(crate) fn copy_from(&mut self, other: &CredSecurity) {
        self.domain = other.domain;
        self.exec_domain = other.exec_domain;
        *self.resolved.get_mut() = other.resolved.load(Ordering::Relaxed);
    }

    /// The cached id of `domain` in the policy of `generation`.
    pub(crate) fn resolved_id(&self, generation: u64) -> Option<u32> {
        let word = self.resolved.load(Ordering::Relaxed);
        (word != 0 && word >> 32 == generation & 0xffff_ffff).then_some(word as u32)
    }

    /// Caches that `domain` has id `id` in the policy of `generation`.
    pub(crate) fn resolve(&self, generation: u64, id: u32) {
        self.resolved.store(
            (generation & 0xffff_ffff) << 32 | u64::from(id),
            Ordering::Relaxed,
        );
    }
}

/// Per-task behaviour state, in the task blob (`behaviour.rs`). Changed by the task itself
/// (and possibly by interrupts on its CPU), read by others: atomics only.
#[derive(Debug, Default)]
#[repr(C)]
pub(crate) struct TaskSecurity {
    /// Decisions made for this task in the current behaviour window.
    pub(crate) window_ops: AtomicU32,
    /// Start of the current behaviour window, in nanoseconds of the monotonic clock.
    pub(crate) window_start_ns: AtomicU64,
    /// 0: not quarantined; 1: being quarantined; 2: quarantined (then never changes).
    quarantine_state: AtomicU8,
    /// The quarantine domain: written once, while the state is 1, read only once it is 2.
    quarantine: UnsafeCell<DomainName>,
}

impl TaskSecurity {
    /// The domain the task was quarantined in, if it was.
    pub(crate) fn quarantine(&self) -> Option<&DomainName> {
        (self.quarantine_state.load(Ordering::Acquire) == 2).then(|| {
            // SAFETY: State 2 is set (with release ordering) only after the name was
            // written, and the name never changes afterwards.
            unsafe { &*self.quarantine.get() }
        })
    }

    /// Moves the task into `domain` for good. `false` when it was already (being)
    /// quarantined: a quarantine is never replaced.
    pub(crate) fn set_quarantine(&self, domain: &DomainName) -> bool {
        if self
            .quarantine_state
            .compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            return false;
        }
        // SAFETY: Only the winner of the exchange above writes, and no reader looks at the
        // name before state 2.
        unsafe { *self.quarantine.get() = *domain };
        self.quarantine_state.store(2, Ordering::Release);
        true
    }

    /// State of a new task: the parent's quarantine (a child never leaves it), a fresh
    /// window starting at `now_ns`.
    pub(crate) fn start(&self, parent: &TaskSecurity, now_ns: u64) {
        self.new_window(now_ns);
        if let Some(q) = parent.quarantine() {
            self.set_quarantine(q);
        }
    }

    /// Starts a new behaviour window at `now_ns` (after an exec into another domain).
    pub(crate) fn new_window(&self, now_ns: u64) {
        self.window_ops.store(0, Ordering::Relaxed);
        self.window_start_ns.store(now_ns, Ordering::Relaxed);
    }
}

/// Object state of an inode: its policy type, valid for one policy generation.
///
/// Written whenever a path check classifies the inode, read by the hooks that only get an
/// inode or dentry (xattrs). One atomic word, so readers never see a type paired with the
/// wrong generation: `generation << 32 | type`, 0 when never classified.
#[derive(Debug, Default)]
#[repr(C)]
pub(crate) struct InodeSecurity {
    class: core::sync::atomic::AtomicU64,
    /// The type as reached by the last path checked, with what that path was built from
    /// (`pathcache.rs`): lets path checks skip building the name.
    pub(crate) path: crate::pathcache::PathType,
    /// The domains that wrote, created, renamed or linked this inode since it was read
    /// into memory, as a set of bits ([`writer_bit`]); never cleared. An exec transition
    /// out of a domain is refused through an inode that domain could have forged.
    writers: AtomicU64,
    /// The protected type this inode is known to be of, whatever name or mount reaches
    /// it (`protect.rs`): the hash of the type's name, bit 0 set when what appears below
    /// it inherits the mark; 0 when none. Never cleared while the inode lives.
    protected: AtomicU64,
}

/// The bit of [`InodeSecurity::writers`] for the domain with key `key`: one of 64 by the
/// key's high bits. Two domains may share a bit: then each is refused the other's
/// transitions through what the other wrote (fail closed).
fn writer_bit(key: u64) -> u64 {
    1u64 << (key >> 58)
}

impl InodeSecurity {
    /// Remembers that under policy `generation` this inode has type `type_id`.
    pub(crate) fn store(&self, type_id: u32, generation: u64) {
        let word = (generation & 0xffff_ffff) << 32 | u64::from(type_id);
        self.class
            .store(word, core::sync::atomic::Ordering::Relaxed);
    }

    /// The type remembered for `generation`, if any.
    pub(crate) fn load(&self, generation: u64) -> Option<u32> {
        let word = self.class.load(core::sync::atomic::Ordering::Relaxed);
        (word != 0 && word >> 32 == generation & 0xffff_ffff).then_some(word as u32)
    }

    /// Records that the domain `domain` wrote, created, renamed or linked this inode.
    pub(crate) fn mark_written(&self, domain: &DomainName) {
        if domain.is_confined() {
            let bit = writer_bit(domain.key());
            // Most writes are by a domain already recorded: skip the atomic RMW then.
            if self.writers.load(Ordering::Relaxed) & bit == 0 {
                self.writers.fetch_or(bit, Ordering::Release);
            }
        }
    }

    /// The protected mark (`protect.rs`), 0 when none.
    pub(crate) fn protected_mark(&self) -> u64 {
        self.protected.load(Ordering::Acquire)
    }

    /// Sets the protected mark to `mark` if it is still `expected` (the first protected
    /// name to reach the inode wins over a concurrent one).
    pub(crate) fn replace_protected_mark(&self, expected: u64, mark: u64) {
        let _ =
            self.protected
                .compare_exchange(expected, mark, Ordering::AcqRel, Ordering::Relaxed);
    }

    /// Sets the protected mark whatever it was (a policy load's resolution of its
    /// protected names is authoritative for the objects they name).
    pub(crate) fn force_protected_mark(&self, mark: u64) {
        self.protected.store(mark, Ordering::Release);
    }

    /// Whether `domain` (or a domain sharing its bit) wrote this inode.
    pub(crate) fn written_by(&self, domain: &DomainName) -> bool {
        domain.is_confined() && self.writers.load(Ordering::Acquire) & writer_bit(domain.key()) != 0
    }
}

/// State of an open file: who opened it.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub(crate) struct FileSecurity {
    /// Key ([`DomainName::key`]) of the domain of the task that opened the file.
    pub(crate) opener_domain: u64,
    /// Domain of the task that last made itself the file's owner (`F_SETOWN`), whose
    /// SIGIO/SIGURG signals the file sends. Written under the owner lock.
    pub(crate) fown_domain: DomainName,
}

/// State of a socket: the domain that created it.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub(crate) struct SockSecurity {
    /// Key of the domain of the creating task (for accepted sockets, of the listener).
    pub(crate) owner_domain: u64,
}

/// State of a SysV IPC object: the domain that created it.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub(crate) struct IpcSecurity {
    /// Key of the domain of the creating task.
    pub(crate) creator_domain: u64,
}

/// Returns this LSM's part of a blob region.
///
/// # Safety
///
/// `region` must be a blob region allocated by the LSM framework for an object of the kind
/// whose offset is `offset`, and the LSM must be initialised (offsets are final).
unsafe fn at<T>(region: *mut core::ffi::c_void, offset: core::ffi::c_int) -> *mut T {
    // The framework never hands out a negative offset; treat one as zero-sized garbage.
    let offset = usize::try_from(offset).unwrap_or(0);
    region.cast::<u8>().wrapping_add(offset).cast::<T>()
}

/// The subject state of `cred`.
///
/// # Safety
///
/// `cred` must point to a live cred whose blob was allocated by the framework.
pub(crate) unsafe fn cred(cred: *const bindings::cred) -> *mut CredSecurity {
    // SAFETY: The caller guarantees `cred` is live; its `security` field is the blob region.
    unsafe { at((*cred).security, blob_offsets().lbs_cred) }
}

/// The behaviour state of `task`.
///
/// # Safety
///
/// `task` must point to a live task whose blob was allocated by the framework.
pub(crate) unsafe fn task(task: *const bindings::task_struct) -> *mut TaskSecurity {
    // SAFETY: The caller guarantees `task` is live; its `security` field is the blob region.
    unsafe { at((*task).security, blob_offsets().lbs_task) }
}

/// The object state of `inode`.
///
/// # Safety
///
/// `inode` must point to a live inode whose blob was allocated by the framework.
pub(crate) unsafe fn inode(inode: *const bindings::inode) -> *mut InodeSecurity {
    // SAFETY: The caller guarantees `inode` is live; `i_security` is the blob region.
    unsafe { at((*inode).i_security, blob_offsets().lbs_inode) }
}

/// The state of the open file `file`.
///
/// # Safety
///
/// `file` must point to a live file whose blob was allocated by the framework.
pub(crate) unsafe fn file(file: *const bindings::file) -> *mut FileSecurity {
    // SAFETY: The caller guarantees `file` is live; `f_security` is the blob region.
    unsafe { at((*file).f_security, blob_offsets().lbs_file) }
}

/// The state of socket `sk`.
///
/// # Safety
///
/// `sk` must point to a live sock whose blob was allocated by the framework.
pub(crate) unsafe fn sock(sk: *const bindings::sock) -> *mut SockSecurity {
    // SAFETY: The caller guarantees `sk` is live; `sk_security` is the blob region.
    unsafe { at((*sk).sk_security, blob_offsets().lbs_sock) }
}

/// The state of the IPC object `perm`.
///
/// # Safety
///
/// `perm` must point to a live IPC object whose blob was allocated by the framework.
pub(crate) unsafe fn ipc(perm: *const bindings::kern_ipc_perm) -> *mut IpcSecurity {
    // SAFETY: The caller guarantees `perm` is live; `security` is the blob region.
    unsafe { at((*perm).security, blob_offsets().lbs_ipc) }
}

/// The current task's subjective cred.
pub(crate) fn current_cred() -> *const bindings::cred {
    // SAFETY: `get_current` returns the running task, which is live while it runs; a task's
    // own `cred` pointer may be read without RCU (only the task itself replaces it).
    unsafe { (*bindings::get_current()).cred }
}

/// Whether the current task runs with credentials a file system put in place of its own
/// for a while (`override_creds`: overlayfs working on its layers with its mounter's,
/// nfsd, cachefiles), not those of an io_uring personality, which a task chooses. The
/// task's own are `real_cred`.
pub(crate) fn creds_overridden_by_kernel() -> bool {
    // SAFETY: As in `current_cred`; `real_cred` is the task's own and only it replaces it.
    let task = unsafe { &*bindings::get_current() };
    // SAFETY: A live cred carries a blob once the LSM is initialised.
    !core::ptr::eq(task.cred, task.real_cred)
        && !unsafe { (*cred(task.cred)).uring.load(Ordering::Relaxed) }
}

/// The domain of the current task, without copying it.
///
/// The reference is valid while the current task keeps its credentials: for the
/// duration of a hook (only the task itself replaces its `cred`, and a hook never does).
/// It must not be kept beyond the hook that took it.
pub(crate) fn current_domain<'a>() -> &'a DomainName {
    // SAFETY: The current cred is live and carries a blob once the LSM is initialised, and
    // stays so while the task runs the hook (see above).
    unsafe { (*cred(current_cred())).domain() }
}

/// The domain of `task`: its quarantine if it was quarantined, else read from its
/// objective cred under RCU.
///
/// # Safety
///
/// `task` must be a live task.
pub(crate) unsafe fn task_domain(task: *const bindings::task_struct) -> DomainName {
    // SAFETY: The caller keeps `task`, hence its blob, alive.
    if let Some(q) = unsafe { (*self::task(task)).quarantine() } {
        return *q;
    }
    let _rcu = crate::rcu::RcuReadGuard::new();
    // SAFETY: The caller keeps `task` alive; `real_cred` is RCU-protected and read inside a
    // read-side section, during which the cred (and its blob) cannot be freed.
    unsafe { *(*cred((*task).real_cred)).domain() }
}
