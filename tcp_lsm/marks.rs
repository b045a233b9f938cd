// SPDX-License-Identifier: GPL-2.0

//! Protection marks on inodes, the mechanism under `protect`: the index of protected types
//! by the hash of their names, the mark an inode carries, and the walks that mark the
//! objects a protected exact or prefix rule names (at policy load, [`resolve`]; below a
//! bind mount's source, [`mark_tree`]). Nothing here reads the policy in force: a load
//! runs these on the policy it is about to publish.

use kernel::bindings;
use kernel::ffi::{c_char, c_int, c_uint};
use kernel::prelude::*;

use crate::blob;
use crate::engine::format::PolicyView;

/// A walk or an index ran out of memory (the load is refused: `policy::LoadError`).
pub(crate) struct NoMemory;

/// Most objects one policy load resolves, marks and holds.
pub(crate) const MAX_PINNED: usize = 4096;

/// Deepest level below a protected prefix the load walks.
pub(crate) const MAX_DEPTH: usize = 16;

/// Bit 0 of a mark: what appears below this directory inherits the mark.
pub(crate) const INHERIT: u64 = 1;

/// The mark of protected type `type_id` of `view`; `inherit` for a directory whose
/// whole subtree has the type.
pub(crate) fn mark_of(view: &PolicyView<'_>, type_id: u32, inherit: bool) -> u64 {
    let name = view.type_name(type_id).unwrap_or("");
    // Never 0 (no mark), whatever the hash.
    (crate::blob::fnv1a(name.as_bytes()) & !INHERIT).max(2) | if inherit { INHERIT } else { 0 }
}

/// The protected types of `view` by the hash of their names, sorted, for
/// [`type_of_mark`].
pub(crate) fn index(view: &PolicyView<'_>) -> Result<KVec<(u64, u32)>, NoMemory> {
    let mut index = KVec::new();
    let mut id = 1u32;
    while view.type_name(id).is_some() {
        if view.type_is_protected(id) {
            index
                .push((mark_of(view, id, false), id), GFP_KERNEL)
                .map_err(|_| NoMemory)?;
        }
        id = id.saturating_add(1);
    }
    index.sort_unstable();
    Ok(index)
}

/// The type of `mark` in `index`, when it is there.
pub(crate) fn type_of_mark(index: &[(u64, u32)], mark: u64) -> Option<u32> {
    if mark == 0 {
        return None;
    }
    let key = mark & !INHERIT;
    let i = index.binary_search_by_key(&key, |&(h, _)| h).ok()?;
    index.get(i).map(|&(_, t)| t)
}

/// References to the objects a policy load marked ([`resolve`]), dropped with the
/// policy (after its RCU grace period, in process context: `path_put` may sleep).
pub(crate) struct Pins(KVec<bindings::path>);

// SAFETY: The paths are only read by `Drop`; their reference counts are atomic, so the
// last owner of the policy may put them from any task.
unsafe impl Send for Pins {}

// SAFETY: Shared references never touch the paths.
unsafe impl Sync for Pins {}

impl Drop for Pins {
    fn drop(&mut self) {
        for p in self.0.iter() {
            // SAFETY: Each path was filled by a successful `kern_path`, which took the
            // references that this puts, once.
            unsafe { bindings::path_put(p) };
        }
    }
}

/// One object to resolve: its type, its absolute name, whether it inherits and how deep
/// below a rule's own path it is.
pub(crate) struct Todo {
    pub(crate) type_id: u32,
    pub(crate) name: KVec<u8>,
    pub(crate) inherit: bool,
    pub(crate) depth: usize,
}

/// Resolves, marks and holds the objects the protected types of `view` name (see the
/// module's documentation). Objects that do not exist are skipped: they get the mark when
/// they appear below a marked directory, or when a protected name reaches them. Only
/// running out of memory fails the load (which then changes nothing). May sleep.
pub(crate) fn resolve(view: &PolicyView<'_>) -> Result<Pins, NoMemory> {
    let mut todo: KVec<Todo> = KVec::new();
    let mut failed = false;
    view.protected_objects(|type_id, pattern| {
        let mut name = KVec::new();
        if name.extend_from_slice(pattern, GFP_KERNEL).is_err()
            || todo
                .push(
                    Todo {
                        type_id,
                        name,
                        inherit: view.uniform_below(pattern, type_id),
                        depth: 0,
                    },
                    GFP_KERNEL,
                )
                .is_err()
        {
            failed = true;
        }
    });
    if failed {
        return Err(NoMemory);
    }
    let mut pins = Pins(KVec::new());
    if mark_tree(view, todo, Some(&mut pins))? {
        pr_warn!(
            "protected objects: resolved and held the first {} only; the others are marked when a protected name reaches them\n",
            MAX_PINNED
        );
    }
    Ok(pins)
}

/// Marks the objects of `todo` and, for those that inherit, what is below them (to
/// [`MAX_DEPTH`] levels, [`MAX_PINNED`] objects in all); with `pins`, holds each (else the
/// mark lasts while the inode stays in memory). Returns whether the bound cut the walk
/// short. Marks set here are authoritative: they replace whatever mark was there.
pub(crate) fn mark_tree(
    view: &PolicyView<'_>,
    mut todo: KVec<Todo>,
    mut pins: Option<&mut Pins>,
) -> Result<bool, NoMemory> {
    let oom = |_| NoMemory;
    let mut done = 0usize;
    // Breadth first, by index: the kernel's vector has no `pop`.
    let mut next = 0usize;
    while let Some(t) = todo.as_slice().get(next) {
        next += 1;
        if done >= MAX_PINNED {
            return Ok(true);
        }
        let (type_id, inherit, depth) = (t.type_id, t.inherit, t.depth);
        let mut cname = KVec::with_capacity(t.name.len() + 1, GFP_KERNEL).map_err(oom)?;
        cname.extend_from_slice(&t.name, GFP_KERNEL).map_err(oom)?;
        cname.push(0, GFP_KERNEL).map_err(oom)?;
        let name = cname.as_slice().get(..cname.len() - 1).unwrap_or(&[]);
        // SAFETY: An all-zero `struct path` is the empty path `kern_path` fills.
        let mut path: bindings::path = unsafe { core::mem::zeroed() };
        // SAFETY: `cname` is NUL-terminated; `path` is writable. Runs in process context
        // with no lock held. Flags 0: the object at the name itself, a symlink not
        // followed (types are never given through symlinks).
        if unsafe { bindings::kern_path(cname.as_ptr().cast(), 0, &mut path) } != 0 {
            continue;
        }
        done += 1;
        // SAFETY: `kern_path` succeeded: the path holds its dentry.
        let inode = unsafe { (*path.dentry).d_inode };
        let mut is_dir = false;
        if !inode.is_null() {
            // SAFETY: A positive dentry's inode is live and has a blob.
            unsafe { (*blob::inode(inode)).force_protected_mark(mark_of(view, type_id, inherit)) };
            // SAFETY: As above.
            is_dir = u32::from(unsafe { (*inode).i_mode }) & bindings::S_IFMT == bindings::S_IFDIR;
        }
        match pins.as_deref_mut() {
            Some(pins) if !inode.is_null() => {
                if let Err(e) = pins.0.push(path, GFP_KERNEL) {
                    // SAFETY: Not held by `pins`: put here, once.
                    unsafe { bindings::path_put(&path) };
                    return Err(oom(e));
                }
            }
            // SAFETY: The references `kern_path` took, put once.
            _ => unsafe { bindings::path_put(&path) },
        }
        if inherit && is_dir && depth < MAX_DEPTH {
            for child in list_dir(&cname, MAX_PINNED)?.iter() {
                if todo.len() >= 2 * MAX_PINNED {
                    return Ok(true);
                }
                let mut child_name =
                    KVec::with_capacity(name.len() + 1 + child.len(), GFP_KERNEL).map_err(oom)?;
                child_name
                    .extend_from_slice(name, GFP_KERNEL)
                    .map_err(oom)?;
                if name.last() != Some(&b'/') {
                    child_name.push(b'/', GFP_KERNEL).map_err(oom)?;
                }
                child_name
                    .extend_from_slice(child, GFP_KERNEL)
                    .map_err(oom)?;
                todo.push(
                    Todo {
                        type_id,
                        name: child_name,
                        inherit: true,
                        depth: depth + 1,
                    },
                    GFP_KERNEL,
                )
                .map_err(oom)?;
            }
        }
    }
    Ok(false)
}

/// A `dir_context` with the names it collects (`iterate_dir` calls [`collect`] with the
/// context's address, which is the start of this struct).
#[repr(C)]
struct Lister {
    ctx: bindings::dir_context,
    names: KVec<KVec<u8>>,
    room: usize,
    failed: bool,
}

/// The `filldir_t` actor of [`list_dir`].
///
/// # Safety
///
/// `ctx` must be the `ctx` field of a live [`Lister`]; `name` must point to `len` bytes.
unsafe extern "C" fn collect(
    ctx: *mut bindings::dir_context,
    name: *const c_char,
    len: c_int,
    _offset: bindings::loff_t,
    _ino: u64,
    _kind: c_uint,
) -> bool {
    // SAFETY: Guaranteed by the caller: `ctx` is the first field of a `#[repr(C)]` Lister.
    let lister = unsafe { &mut *ctx.cast::<Lister>() };
    let Ok(len) = usize::try_from(len) else {
        return false;
    };
    // SAFETY: Guaranteed by the caller.
    let name = unsafe { core::slice::from_raw_parts(name.cast::<u8>(), len) };
    if name == b"." || name == b".." {
        return true;
    }
    if lister.names.len() >= lister.room {
        return false;
    }
    let mut copy = KVec::new();
    if copy.extend_from_slice(name, GFP_KERNEL).is_err()
        || lister.names.push(copy, GFP_KERNEL).is_err()
    {
        lister.failed = true;
        return false;
    }
    true
}

/// The names in the directory `cname` (NUL-terminated), at most `room` of them; none when
/// it cannot be opened. Read before any of them is looked up: `iterate_dir` holds the
/// directory's lock while it calls the actor.
fn list_dir(cname: &[u8], room: usize) -> Result<KVec<KVec<u8>>, NoMemory> {
    // SAFETY: `cname` is NUL-terminated. Opened by the loading task (unconfined: it may
    // write the policy file), read-only, as a directory.
    let file = unsafe {
        bindings::filp_open(
            cname.as_ptr().cast(),
            (bindings::O_RDONLY | bindings::O_DIRECTORY) as c_int,
            0,
        )
    };
    if kernel::error::from_err_ptr(file).is_err() {
        return Ok(KVec::new());
    }
    let mut lister = Lister {
        ctx: bindings::dir_context {
            actor: Some(collect),
            pos: 0,
        },
        names: KVec::new(),
        room,
        failed: false,
    };
    // SAFETY: `file` is an open directory; `lister.ctx` is the first field of `lister`,
    // which outlives the call, as `collect` expects.
    unsafe { bindings::iterate_dir(file, &mut lister.ctx) };
    // SAFETY: `file` came from `filp_open` and is closed once.
    unsafe { bindings::filp_close(file, core::ptr::null_mut()) };
    if lister.failed {
        return Err(NoMemory);
    }
    Ok(lister.names)
}
