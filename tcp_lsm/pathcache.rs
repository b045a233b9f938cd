// SPDX-License-Identifier: GPL-2.0

//! The type of a file as reached by one path, remembered in its inode so that checking
//! the same file through the same (mount, dentry) again skips building the path name and
//! matching the path rules.
//!
//! A remembered type is used only while nothing could have changed the name that
//! (mount, dentry) stands for:
//! - the policy generation is the same (the rules are the same);
//! - no dentry was renamed or moved anywhere (`rename_lock`'s sequence, bumped by every
//!   `d_move`, including renames of any ancestor directory);
//! - no mount was attached, moved or detached (`mount_lock`'s sequence), so the absolute
//!   path of the mount is the same;
//! - no hard link was made anywhere ([`note_link`], from `inode_link`), so a dentry at a
//!   reused address cannot be a new name of the same inode.
//!
//! A snapshot of these is taken before the path is built; if any of them moves meanwhile,
//! the entry stored never matches again. When a writer holds either lock (odd sequence)
//! nothing is remembered or used.

use core::sync::atomic::{fence, AtomicU32, AtomicU64, AtomicUsize, Ordering};

use kernel::bindings;

extern "C" {
    /// `fs/namespace.c`: the seqlock of the mount tree (declared in `fs/mount.h`, which is
    /// private to fs/, hence not in the bindings).
    static mount_lock: bindings::seqlock_t;
}

/// Hard links made since boot.
static LINKS: AtomicU64 = AtomicU64::new(0);

/// Records that a hard link is about to be made (called for every task).
pub(crate) fn note_link() {
    LINKS.fetch_add(1, Ordering::AcqRel);
}

/// The state of the name space a path was built in.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Namespace {
    /// `rename_lock` sequence << 32 | `mount_lock` sequence.
    names: u64,
    /// [`LINKS`].
    links: u64,
}

/// Reads the sequence of a seqlock.
///
/// # Safety
///
/// `lock` must point to a live seqlock.
unsafe fn sequence(lock: *const bindings::seqlock_t) -> u32 {
    // SAFETY: The sequence is a naturally aligned `unsigned int` that writers update with
    // plain stores under the lock; an atomic load of it is what `read_seqbegin` does.
    unsafe { AtomicU32::from_ptr((&raw const (*lock).seqcount.seqcount.sequence).cast_mut()) }
        .load(Ordering::Acquire)
}

/// The current name space state, or `None` while a rename or mount change is under way.
pub(crate) fn snapshot() -> Option<Namespace> {
    // SAFETY: Both seqlocks are statics of the kernel, live forever.
    let (renames, mounts) = unsafe {
        (
            sequence(&raw const bindings::rename_lock),
            sequence(&raw const mount_lock),
        )
    };
    if (renames | mounts) & 1 != 0 {
        return None;
    }
    Some(Namespace {
        names: u64::from(renames) << 32 | u64::from(mounts),
        links: LINKS.load(Ordering::Acquire),
    })
}

/// Where a type was found: the mount and dentry of the path, in the name space state
/// taken before the path was built.
#[derive(Clone, Copy)]
pub(crate) struct Reached {
    /// `path->mnt`, as an address.
    pub(crate) mnt: usize,
    /// `path->dentry`, as an address.
    pub(crate) dentry: usize,
    /// The name space state.
    pub(crate) namespace: Namespace,
}

impl Reached {
    /// The key for a path now, given by the addresses of its mount and dentry
    /// (`vfs::KPath::addresses`, compared and never followed), or `None` while the name
    /// space is changing.
    pub(crate) fn of((mnt, dentry): (usize, usize)) -> Option<Reached> {
        let namespace = snapshot()?;
        Some(Reached {
            mnt,
            dentry,
            namespace,
        })
    }
}

/// One remembered type, in the inode blob. A sequence lock of its own: even when stable,
/// odd while a writer fills it; a reader that sees it change does not retry, it misses.
#[derive(Debug, Default)]
#[repr(C)]
pub(crate) struct PathType {
    seq: AtomicU32,
    type_id: AtomicU32,
    generation: AtomicU64,
    mnt: AtomicUsize,
    dentry: AtomicUsize,
    names: AtomicU64,
    links: AtomicU64,
}

impl PathType {
    /// The type remembered for `reached` under policy `generation` (never 0), if the
    /// name space has not changed since.
    pub(crate) fn lookup(&self, generation: u64, reached: &Reached) -> Option<u32> {
        let before = self.seq.load(Ordering::Acquire);
        if before & 1 != 0 {
            return None;
        }
        let type_id = self.type_id.load(Ordering::Relaxed);
        let same = self.generation.load(Ordering::Relaxed) == generation
            && self.mnt.load(Ordering::Relaxed) == reached.mnt
            && self.dentry.load(Ordering::Relaxed) == reached.dentry
            && self.names.load(Ordering::Relaxed) == reached.namespace.names
            && self.links.load(Ordering::Relaxed) == reached.namespace.links;
        fence(Ordering::Acquire);
        (same && generation != 0 && self.seq.load(Ordering::Relaxed) == before).then_some(type_id)
    }

    /// Remembers `type_id` for `reached` under policy `generation`. Gives up when another
    /// writer is filling the entry.
    pub(crate) fn store(&self, generation: u64, reached: &Reached, type_id: u32) {
        let seq = self.seq.load(Ordering::Relaxed);
        if seq & 1 != 0
            || self
                .seq
                .compare_exchange(
                    seq,
                    seq.wrapping_add(1),
                    Ordering::Acquire,
                    Ordering::Relaxed,
                )
                .is_err()
        {
            return;
        }
        // The odd sequence is visible before any field changes.
        fence(Ordering::Release);
        self.type_id.store(type_id, Ordering::Relaxed);
        self.generation.store(generation, Ordering::Relaxed);
        self.mnt.store(reached.mnt, Ordering::Relaxed);
        self.dentry.store(reached.dentry, Ordering::Relaxed);
        self.names.store(reached.namespace.names, Ordering::Relaxed);
        self.links.store(reached.namespace.links, Ordering::Relaxed);
        self.seq.store(seq.wrapping_add(2), Ordering::Release);
    }
}
