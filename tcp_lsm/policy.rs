// SPDX-License-Identifier: GPL-2.0

//! The loaded policy: an immutable, validated snapshot published by RCU.
//!
//! A load validates the whole blob with the engine's validator first; only a blob that
//! passes is published, by one compare-and-exchange of [`CURRENT`] that also assigns the
//! next generation number. The previous snapshot is released after an RCU grace period,
//! so a reader inside `rcu_read_lock()` never sees it freed. A rejected blob changes
//! nothing: not the policy, not the generation.

use core::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, Ordering};

use kernel::bindings;
use kernel::error::code::{EFBIG, EINVAL, ENOEXEC};
use kernel::ffi::c_int;
use kernel::prelude::*;
use kernel::sync::{Arc, ArcBorrow};

use crate::engine::format::{self, ErrorClass, FormatError};
use crate::engine::types::PathMatch;
use crate::rcu::RcuReadGuard;
use crate::state;

/// One loaded policy.
pub(crate) struct Loaded {
    /// Generation number: 1 for the first policy loaded since boot, then +1 per load.
    /// Written once before publication (the publishing exchange orders it), then constant.
    generation: AtomicU64,
    /// SHA-256 of the blob (the policy's identity).
    digest: [u8; 32],
    /// The validated blob. Immutable; its heap buffer is what `view` reads, so it is
    /// neither changed nor freed before `self`.
    bytes: KVVec<u8>,
    /// The policy, queried in place: `bytes` as the validator laid it out. Kept built
    /// (not rebuilt per decision) so that a decision borrows it instead of copying it.
    view: format::PolicyView<'static>,
    /// An index of the engine's reserved names (`PolicyView::reserved_paths`): the sorted
    /// FNV-1a hashes of every directory strictly above a path of a protected type or the
    /// executable of a transition. A new name whose hash is not here, when the policy has
    /// no protected glob, has nothing reserved below it: the common case (every create of
    /// a confined task) costs one binary search instead of a scan of the policy.
    reserved: KVec<u64>,
    /// Whether a protected type has a glob rule (then the index cannot answer alone).
    reserved_globs: bool,
    /// The protected types by the hash of their names (`marks::index`): what an
    /// inode's protected mark means under this policy.
    protected: KVec<(u64, u32)>,
    /// The id of the built-in type of each kind of internal object (`perm::Internal`,
    /// by its discriminant), 0 when the policy's rules name no object of that kind.
    internal: [u32; crate::engine::perm::Internal::ALL.len()],
    /// Bitmaps of the lengths of the exact (`[0]`) and prefix (`[1]`) patterns, bit `len`
    /// set when some pattern of that kind is `len` bytes long: a name (or, for prefix
    /// rules, an ancestor) of a length no pattern has needs no search of the rules. Most
    /// of the ancestors a prefix lookup tries are such names (`Loaded::type_for_path`).
    lengths: [[u64; LENGTH_WORDS]; 2],
    /// Per domain (by id - 1), the file permissions it has on every object whatever its
    /// name (`PolicyView::file_perms_anywhere`), computed when first needed (an object no
    /// name reached) and kept: bit [`ANYWHERE_KNOWN`] set once known.
    anywhere: KVec<AtomicU64>,
    /// The objects the protected types name, resolved, marked and held at load
    /// (`marks::resolve`): never read, held for its `Drop`, which lets them go.
    _pins: crate::marks::Pins,
}

/// Set in [`Loaded::anywhere`] once the permissions beside it are known.
const ANYWHERE_KNOWN: u64 = 1 << 32;

/// Words of a bitmap with a bit for every pattern length, 0 to `PATH_MAX` (4096) bytes.
const LENGTH_WORDS: usize = 4096 / 64 + 1;

/// Which bitmap of [`Loaded::lengths`] holds the patterns of `kind` (globs have none).
fn length_set(kind: PathMatch) -> Option<usize> {
    match kind {
        PathMatch::Exact => Some(0),
        PathMatch::Prefix => Some(1),
        PathMatch::Glob => None,
    }
}

/// The bitmaps of [`Loaded::lengths`] for `view`.
fn pattern_lengths(view: &format::PolicyView<'_>) -> [[u64; LENGTH_WORDS]; 2] {
    let mut lengths = [[0u64; LENGTH_WORDS]; 2];
    let mut i = 0;
    while let Some(rule) = view.path_rule(i) {
        i += 1;
        let Some(set) = length_set(rule.kind) else {
            continue;
        };
        let len = rule.pattern.len();
        if let Some(word) = lengths.get_mut(set).and_then(|s| s.get_mut(len / 64)) {
            *word |= 1u64 << (len % 64);
        }
    }
    lengths
}

impl Loaded {
    /// Whether some exact or prefix pattern (`kind`) is `len` bytes long.
    fn has_length(&self, kind: PathMatch, len: usize) -> bool {
        let Some(set) = length_set(kind) else {
            return true;
        };
        self.lengths
            .get(set)
            .and_then(|s| s.get(len / 64))
            .is_some_and(|w| w & (1u64 << (len % 64)) != 0)
    }

    /// The type of `path` by the policy's names (`PolicyView::type_for_path`), searching
    /// only for patterns of lengths some rule has.
    pub(crate) fn type_for_path(&self, path: &[u8]) -> u32 {
        self.view
            .type_for_path_where(path, |kind, p| self.has_length(kind, p.len()))
    }

    /// The type of the longest prefix rule at or above `path` (`PolicyView::prefix_type`),
    /// as fast.
    pub(crate) fn prefix_type(&self, path: &[u8]) -> Option<u32> {
        self.view
            .prefix_type_where(path, |kind, p| self.has_length(kind, p.len()))
    }

    /// The file permissions `domain` has on every object whatever its name
    /// (`PolicyView::file_perms_anywhere`): computed once per domain and policy (linear in
    /// the path rules), then one load.
    pub(crate) fn file_perms_anywhere(&self, domain: &format::DomainView<'_>) -> u32 {
        let Some(slot) = usize::try_from(domain.id())
            .ok()
            .and_then(|id| id.checked_sub(1))
            .and_then(|i| self.anywhere.get(i))
        else {
            return 0;
        };
        let known = slot.load(Ordering::Relaxed);
        if known & ANYWHERE_KNOWN != 0 {
            return known as u32;
        }
        let perms = self.view.file_perms_anywhere(domain);
        // Concurrent first uses compute the same value.
        slot.store(ANYWHERE_KNOWN | u64::from(perms), Ordering::Relaxed);
        perms
    }

    /// The generation number.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Relaxed)
    }

    /// SHA-256 of the blob.
    pub(crate) fn digest(&self) -> &[u8; 32] {
        &self.digest
    }

    /// The blob as loaded.
    pub(crate) fn bytes(&self) -> &[u8] {
        self.bytes.as_slice()
    }

    /// The policy, queried in place.
    pub(crate) fn view(&self) -> &format::PolicyView<'_> {
        &self.view
    }

    /// The type of internal objects of `kind` under this policy, if its rules name them
    /// (`fscheck::check_internal`).
    pub(crate) fn internal_type(&self, kind: crate::engine::perm::Internal) -> Option<u32> {
        self.internal
            .get(kind as usize)
            .copied()
            .filter(|&t| t != 0)
    }

    /// The index of protected marks (`protect::effective`).
    pub(crate) fn protected_index(&self) -> &[(u64, u32)] {
        &self.protected
    }

    /// What the policy reserves strictly below `name` (`PolicyView::reserved_below`),
    /// answered from the index when nothing can be.
    pub(crate) fn reserved_below(&self, name: &[u8]) -> Option<format::Reserved> {
        let named = self
            .reserved
            .binary_search(&crate::blob::fnv1a(name))
            .is_ok();
        // A glob types nothing below a directory that a prefix rule covers.
        let globbed = self.reserved_globs && self.prefix_type(name).is_none();
        if named || globbed {
            self.view.reserved_below(name)
        } else {
            None
        }
    }
}

/// The index of [`Loaded::reserved`] for `view`, and whether it has protected globs.
fn reserved_index(view: &format::PolicyView<'_>) -> Result<(KVec<u64>, bool), LoadError> {
    let mut hashes = KVec::new();
    let mut failed = false;
    let globs = view.reserved_paths(|path| {
        // Every strict ancestor: "/" and each prefix ending before a later '/'.
        for (i, &c) in path.iter().enumerate().skip(1) {
            if c == b'/' && !failed {
                let parent = path.get(..i).unwrap_or(&[]);
                failed |= hashes.push(crate::blob::fnv1a(parent), GFP_KERNEL).is_err();
            }
        }
        if path.len() > 1 && !failed {
            failed |= hashes.push(crate::blob::fnv1a(b"/"), GFP_KERNEL).is_err();
        }
    });
    if failed {
        return Err(LoadError::NoMemory);
    }
    // Duplicates stay: a binary search finds any of them.
    hashes.sort_unstable();
    Ok((hashes, globs))
}

/// The kinds of internal objects (`perm::Internal`, bit by discriminant) whose built-in
/// types the policy in force names: what lets the use of every other internal object
/// (a pipe's read and write on every shell pipeline) pass without reading the policy.
/// Stored after each publication; a decision racing a load may use the previous policy's
/// set, as it may use the previous policy.
static INTERNAL_NAMED: AtomicU32 = AtomicU32::new(0);

/// Whether the policy in force names objects of `kind` (see [`INTERNAL_NAMED`]).
pub(crate) fn internal_named(kind: crate::engine::perm::Internal) -> bool {
    INTERNAL_NAMED.load(Ordering::Relaxed) & (1u32 << (kind as u32)) != 0
}

/// The published policy (`Arc::into_raw`), or null before the first load. Readers load it
/// inside an RCU read-side section; writers replace it with `compare_exchange`.
static CURRENT: AtomicPtr<Loaded> = AtomicPtr::new(core::ptr::null_mut());

/// A counted reference to the current policy, or `None` when none was loaded.
pub(crate) fn current() -> Option<Arc<Loaded>> {
    let _rcu = RcuReadGuard::new();
    let ptr = CURRENT.load(Ordering::Acquire);
    if ptr.is_null() {
        return None;
    }
    // SAFETY: `ptr` came from `Arc::into_raw` and was published in CURRENT. The publisher
    // that replaces it drops that reference only after `synchronize_rcu()`, which waits for
    // this read-side section, so the count is non-zero here and the object alive.
    let borrow = unsafe { ArcBorrow::from_raw(ptr) };
    Some(Arc::from(borrow))
}

/// Runs `f` with the policy in force (or `None`), inside an RCU read-side section and
/// without touching any reference count: the decision path of every hook, including those
/// called in atomic or interrupt context. `f` must not sleep.
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&Loaded>) -> R) -> R {
    let _rcu = RcuReadGuard::new();
    let ptr = CURRENT.load(Ordering::Acquire);
    // SAFETY: A published pointer stays valid until a grace period after it is replaced,
    // and this read-side section is still open; null means no policy.
    f(unsafe { ptr.as_ref() })
}

/// Why a load was refused.
pub(crate) enum LoadError {
    /// The blob failed validation.
    Invalid(FormatError),
    /// Out of memory.
    NoMemory,
}

impl From<crate::marks::NoMemory> for LoadError {
    fn from(_: crate::marks::NoMemory) -> Self {
        LoadError::NoMemory
    }
}

impl LoadError {
    /// The errno returned to the writer (documented in docs/securityfs.md).
    pub(crate) fn to_errno(&self) -> c_int {
        let err = match self {
            LoadError::NoMemory => ENOMEM,
            LoadError::Invalid(e) => match e.class() {
                ErrorClass::TooLarge => EFBIG,
                ErrorClass::BadMagic => ENOEXEC,
                ErrorClass::BadVersion => crate::errno::code(bindings::EPROTO),
                ErrorClass::BadChecksum => crate::errno::code(bindings::EBADMSG),
                ErrorClass::Truncated
                | ErrorClass::BadLayout
                | ErrorClass::BadReference
                | ErrorClass::BadValue
                | ErrorClass::NotCanonical => EINVAL,
            },
        };
        err.to_errno()
    }
}

/// Validates `bytes` in full and, if it passes, publishes it as the new policy.
/// Returns the new generation.
pub(crate) fn load(bytes: KVVec<u8>) -> Result<u64, LoadError> {
    let view = format::validate(bytes.as_slice()).map_err(LoadError::Invalid)?;
    let digest = view.digest();
    let mode = view.settings().mode;
    let layout = view.layout();
    // SAFETY: The slice is the heap buffer of `bytes`, which moves into the same `Loaded`
    // unchanged (moving a `KVVec` does not move its buffer) and is freed only with it;
    // `Loaded::view` lends it out for no longer than `&self`.
    let stable: &'static [u8] = unsafe { core::slice::from_raw_parts(bytes.as_ptr(), bytes.len()) };
    let view = format::PolicyView::from_layout(stable, layout);
    let (reserved, reserved_globs) = reserved_index(&view)?;
    let protected = crate::marks::index(&view)?;
    let pins = crate::marks::resolve(&view)?;
    let internal = crate::engine::perm::Internal::ALL.map(|kind| {
        view.type_id_by_name(kind.type_name().as_bytes())
            .unwrap_or(0)
    });
    let lengths = pattern_lengths(&view);
    let mut anywhere =
        KVec::with_capacity(view.domain_count(), GFP_KERNEL).map_err(|_| LoadError::NoMemory)?;
    for _ in 0..view.domain_count() {
        anywhere
            .push(AtomicU64::new(0), GFP_KERNEL)
            .map_err(|_| LoadError::NoMemory)?;
    }
    let loaded = Loaded {
        generation: AtomicU64::new(0),
        digest,
        view,
        bytes,
        reserved,
        reserved_globs,
        protected,
        internal,
        lengths,
        anywhere,
        _pins: pins,
    };
    let new = Arc::new(loaded, GFP_KERNEL).map_err(|_| LoadError::NoMemory)?;
    let new_ptr = Arc::into_raw(new).cast_mut();
    loop {
        let rcu = RcuReadGuard::new();
        let old = CURRENT.load(Ordering::Acquire);
        let generation = if old.is_null() {
            1
        } else {
            // SAFETY: Inside the read-side section `old` stays alive (see `current`).
            unsafe { (*old).generation() }.saturating_add(1)
        };
        // SAFETY: `new_ptr` is not published yet; only this function refers to it.
        unsafe { (*new_ptr).generation.store(generation, Ordering::Relaxed) };
        let swapped = CURRENT
            .compare_exchange(old, new_ptr, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        drop(rcu);
        if swapped {
            if !old.is_null() {
                // SAFETY: Waits until no reader can still be using `old`, then releases the
                // reference that CURRENT held (it came from `Arc::into_raw`).
                unsafe {
                    bindings::synchronize_rcu();
                    drop(Arc::from_raw(old));
                }
            }
            // The switches follow the policy in force, which may already be a newer one
            // (a concurrent load): whichever load arms last arms from the current one.
            with_current(|current| {
                let named = current.map_or(0, |l| {
                    l.internal
                        .iter()
                        .enumerate()
                        .filter(|(_, &t)| t != 0)
                        .fold(0u32, |m, (i, _)| m | (1 << i))
                });
                INTERNAL_NAMED.store(named, Ordering::Relaxed);
                let view = current.map(Loaded::view);
                crate::heartbeat::arm(view.and_then(|v| v.settings().heartbeat));
                if let Some(view) = view {
                    crate::behaviour::arm(view);
                }
            });
            // A policy may name the global mode it needs (`mode enforce;`).
            if let Some(mode) = mode {
                let previous = state::set_mode(mode);
                if previous != mode {
                    pr_notice!(
                        "mode {} -> {} (policy generation {})\n",
                        previous.name(),
                        mode.name(),
                        generation
                    );
                }
            }
            return Ok(generation);
        }
    }
}
