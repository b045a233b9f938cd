// SPDX-License-Identifier: GPL-2.0

//! Protected objects keep their protection as objects, whatever name or mount they are
//! reached by.
//!
//! Types follow names (`file.rs`): a hard link or a bind mount gives an object a second
//! name, with another type. For a protected type that would let a domain read, or
//! unlink through the other name, what the policy protects. So an inode known to be of a
//! protected type carries a mark in its blob (`InodeSecurity::protected`), and every
//! decision about the inode uses that type, whatever the name's type ([`effective`]):
//! a read through an alias needs `read` on the protected type, an unlink or rename of an
//! alias is refused as the protected object's would be.
//!
//! An inode gets the mark
//! - at policy load, for the objects the protected types' exact and prefix rules name
//!   ([`resolve`]), and for what already exists below a prefix whose whole subtree has the
//!   type (`PolicyView::uniform_below`), walked to [`MAX_DEPTH`] levels and [`MAX_PINNED`]
//!   objects; the load holds a reference to each (the [`Pins`] of the policy), so their
//!   inodes, and marks, stay in memory while the policy is in force;
//! - when a confined task reaches it by a name of a protected type (`file.rs`, `answer`);
//! - when it appears below a marked directory whose subtree inherits (any lookup or
//!   creation, by any task: [`crate::inode::d_instantiate`]);
//! - before a link, a rename or a bind mount gives it a new name, by any task, when its
//!   name, or a protected rule's name below a moved directory or a mount's source, has a
//!   protected type ([`before_link`], [`before_move_dir`], [`before_bind`]).
//!
//! A mark names its type by the FNV-1a hash of the type's name, so it means the same
//! under a reloaded policy; one whose type the policy in force does not protect is
//! ignored. It is never cleared while the inode lives, and never lowered: a second
//! protected name does not replace the first. What this does not cover (documented in
//! docs/policy-language.md): an object below a protected prefix that was not in memory
//! at load, past the walk's bounds, or evicted since and read back only through another
//! name, until a protected name reaches it again.

use kernel::bindings;
use kernel::ffi::{c_char, c_int, c_uint};
use kernel::prelude::*;

use crate::blob::{self, InodeSecurity};
use crate::engine::format::PolicyView;
use crate::policy::{LoadError, Loaded};

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
pub(crate) fn index(view: &PolicyView<'_>) -> Result<KVec<(u64, u32)>, LoadError> {
    let mut index = KVec::new();
    let mut id = 1u32;
    while view.type_name(id).is_some() {
        if view.type_is_protected(id) {
            index
                .push((mark_of(view, id, false), id), GFP_KERNEL)
                .map_err(|_| LoadError::NoMemory)?;
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

/// The type to decide an object by: the protected type its inode is marked with, when
/// the policy in force (`loaded`) protects it; else `type_id`, its type by
/// name. Given the name it was reached by, an unmarked inode whose name has a protected
/// type is marked first (with inheritance when everything below that name has the
/// type). Never lowers a protection.
pub(crate) fn effective(
    loaded: &Loaded,
    inode: &InodeSecurity,
    type_id: u32,
    reached_by: Option<&[u8]>,
) -> u32 {
    let view = loaded.view();
    let mark = inode.protected_mark();
    if let Some(protected) = type_of_mark(loaded.protected_index(), mark) {
        return protected;
    }
    if let Some(name) = reached_by {
        if view.type_is_protected(type_id) {
            // Replaces no mark, or one the policy does not protect; a concurrent mark of
            // another protected name wins.
            inode.replace_protected_mark(
                mark,
                mark_of(view, type_id, view.uniform_below(name, type_id)),
            );
        }
    }
    type_id
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
struct Todo {
    type_id: u32,
    name: KVec<u8>,
    inherit: bool,
    depth: usize,
}

/// Resolves, marks and holds the objects the protected types of `view` name (see the
/// module's documentation). Objects that do not exist are skipped: they get the mark when
/// they appear below a marked directory, or when a protected name reaches them. Only
/// running out of memory fails the load (which then changes nothing). May sleep.
pub(crate) fn resolve(view: &PolicyView<'_>) -> Result<Pins, LoadError> {
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
        return Err(LoadError::NoMemory);
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
fn mark_tree(
    view: &PolicyView<'_>,
    mut todo: KVec<Todo>,
    mut pins: Option<&mut Pins>,
) -> Result<bool, LoadError> {
    let oom = |_| LoadError::NoMemory;
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

/// Whether the policy in force protects anything (else no alias needs a mark).
pub(crate) fn any_protected() -> bool {
    crate::policy::with_current(|loaded| loaded.is_some_and(|l| !l.protected_index().is_empty()))
}

/// The protected type of `name` under `loaded`, if it has one.
fn protected_type_of(loaded: &Loaded, name: crate::fspath::Name<'_>) -> Option<u32> {
    if loaded.protected_index().is_empty() {
        return None;
    }
    let view = loaded.view();
    let type_id = match name.own() {
        Some(own) => loaded.type_for_path(own),
        // Longer than PATH_MAX: the one type below the directory named (`fspath.rs`).
        None => view.type_below(name.bytes())?,
    };
    loaded.view().type_is_protected(type_id).then_some(type_id)
}

/// For every task, before a hard link or a rename gives the object at `name` (`inode`)
/// another name: when `name` has a protected type under the policy in force, the inode
/// is marked first (a directory whose subtree has the type with inheritance), so that
/// the new name reaches a protected object. Only `link(2)` and `rename(2)` of unconfined
/// tasks pay this, when the policy protects something; no lookup (the caller holds the
/// parents' locks).
///
/// # Safety
///
/// `inode` must be a live inode.
pub(crate) unsafe fn before_link(name: crate::fspath::Name<'_>, inode: *const bindings::inode) {
    crate::policy::with_current(|loaded| {
        let Some(loaded) = loaded else { return };
        if let Some(type_id) = protected_type_of(loaded, name) {
            // SAFETY: Guaranteed by the caller: a live inode has a blob.
            let security = unsafe { &*blob::inode(inode) };
            if type_of_mark(loaded.protected_index(), security.protected_mark()).is_none() {
                // SAFETY: As above.
                let is_dir =
                    u32::from(unsafe { (*inode).i_mode }) & bindings::S_IFMT == bindings::S_IFDIR;
                let inherit = is_dir && loaded.view().uniform_below(name.bytes(), type_id);
                security.force_protected_mark(mark_of(loaded.view(), type_id, inherit));
            }
        }
    })
}

/// For every task, before a rename moves the directory at `name` (`dir`) elsewhere: the
/// objects the protected rules name below it are marked first when the dentry cache holds
/// them (every object a load resolved is held there by the policy, and what was made or
/// looked up since stays there until memory pressure evicts it), so that their new names
/// reach protected objects, as [`before_link`] does for the directory itself. Only the
/// cache is searched, component by component (`d_hash_and_lookup` takes no lock and never
/// sleeps on the file system): the rename holds both parents' locks, under which a lookup
/// that reads a directory could deadlock. What is not in the cache keeps the gap the
/// module's documentation names. Only directory renames pay this, when the policy
/// protects something below the old name.
///
/// # Safety
///
/// `dir` must be a live dentry.
pub(crate) unsafe fn before_move_dir(name: crate::fspath::Name<'_>, dir: *mut bindings::dentry) {
    // A name longer than PATH_MAX: no rule names anything below it.
    let Some(own) = name.own() else { return };
    let Some(loaded) = crate::policy::current() else {
        return;
    };
    let view = loaded.view();
    view.protected_objects_below(own, |type_id, pattern| {
        let rest = pattern.get(own.len()..).unwrap_or(&[]);
        let mut at = dir;
        for component in rest.split(|&b| b == b'/').filter(|c| !c.is_empty()) {
            let Ok(len) = u32::try_from(component.len()) else {
                break;
            };
            let mut qstr = bindings::qstr {
                __bindgen_anon_1: bindings::qstr__bindgen_ty_1 {
                    hash_len: u64::from(len) << 32,
                },
                name: component.as_ptr(),
            };
            // SAFETY: `at` is `dir` (live, guaranteed by the caller) or a dentry this loop
            // holds a reference to; `qstr` points to `len` bytes of the policy, which
            // outlives the call (`d_hash_and_lookup` computes the hash itself).
            let child = unsafe { bindings::d_hash_and_lookup(at, &mut qstr) };
            if at != dir {
                // SAFETY: The reference the previous lookup returned, put once.
                unsafe { bindings::dput(at) };
            }
            if child.is_null() || kernel::error::from_err_ptr(child).is_err() {
                return;
            }
            at = child;
        }
        if at == dir {
            return;
        }
        // SAFETY: `at` is a dentry the last lookup returned with a reference.
        let inode = unsafe { (*at).d_inode };
        if !inode.is_null() {
            // SAFETY: A positive dentry's inode is live and has a blob.
            let security = unsafe { &*blob::inode(inode) };
            let mark = security.protected_mark();
            if type_of_mark(loaded.protected_index(), mark).is_none() {
                // SAFETY: As above.
                let is_dir =
                    u32::from(unsafe { (*inode).i_mode }) & bindings::S_IFMT == bindings::S_IFDIR;
                security.replace_protected_mark(
                    mark,
                    mark_of(
                        view,
                        type_id,
                        is_dir && view.uniform_below(pattern, type_id),
                    ),
                );
            }
        }
        // SAFETY: The reference the last lookup returned, put once.
        unsafe { bindings::dput(at) };
    });
}

/// For every task, before a bind mount of `source` (the path string `mount(2)` got):
/// when its object has a protected type under the policy in force, it and what is below
/// it (as at load) are marked first, and so are the objects the protected rules name
/// below it (made since the load or not), so that the new mount reaches them as
/// protected objects.
/// Only bind mounts pay this. May sleep (no lock is held at `sb_mount`).
///
/// # Safety
///
/// `source` must be null or a NUL-terminated kernel string.
pub(crate) unsafe fn before_bind(source: *const c_char) {
    if source.is_null() {
        return;
    }
    let Some(loaded) = crate::policy::current() else {
        return;
    };
    if loaded.protected_index().is_empty() {
        return;
    }
    // SAFETY: An all-zero `struct path` is the empty path `kern_path` fills.
    let mut path: bindings::path = unsafe { core::mem::zeroed() };
    // SAFETY: Guaranteed by the caller; followed as `do_loopback` follows it.
    if unsafe { bindings::kern_path(source, bindings::LOOKUP_FOLLOW, &mut path) } != 0 {
        return;
    }
    /// What to mark: a walk by names from the source, or only the source's own inode.
    enum Marks {
        Walk(KVec<Todo>),
        Deep(u32),
    }
    // SAFETY: `path` holds the references `kern_path` took, for the call.
    let marks = unsafe {
        crate::fspath::with(&path, |name| -> Option<Marks> {
            let own_type = protected_type_of(&loaded, name);
            // A name longer than PATH_MAX, of the one (protected) type below the
            // directory named: no walk by names (`kern_path` takes none that long).
            let Some(name) = name.own() else {
                return own_type.map(Marks::Deep);
            };
            let view = loaded.view();
            let mut todo = KVec::new();
            let mut add = |type_id: u32, pattern: &[u8]| -> Option<()> {
                let mut copy = KVec::new();
                copy.extend_from_slice(pattern, GFP_KERNEL).ok()?;
                let inherit = view.uniform_below(pattern, type_id);
                todo.push(
                    Todo {
                        type_id,
                        name: copy,
                        inherit,
                        depth: 0,
                    },
                    GFP_KERNEL,
                )
                .ok()
            };
            if let Some(type_id) = own_type {
                add(type_id, name)?;
            }
            // The protected objects the new mount reaches below its source, also those
            // made after the load (which no name has marked yet).
            let mut failed = false;
            view.protected_objects_below(name, |type_id, pattern| {
                failed |= add(type_id, pattern).is_none()
            });
            (!failed && !todo.is_empty()).then_some(Marks::Walk(todo))
        })
    };
    if let Ok(Some(Marks::Deep(type_id))) = marks {
        // The object itself is marked; what appears below it inherits.
        // SAFETY: `path` still holds its dentry; a positive dentry's inode has a blob.
        let inode = unsafe { (*path.dentry).d_inode };
        if !inode.is_null() {
            // SAFETY: As above.
            unsafe {
                (*blob::inode(inode)).force_protected_mark(mark_of(loaded.view(), type_id, true))
            };
        }
    }
    // SAFETY: Put once.
    unsafe { bindings::path_put(&path) };
    if let Ok(Some(Marks::Walk(todo))) = marks {
        // Out of memory: the mount is made unmarked; the protected names still mark the
        // objects when a confined task reaches them.
        let _ = mark_tree(loaded.view(), todo, None);
    }
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
fn list_dir(cname: &[u8], room: usize) -> Result<KVec<KVec<u8>>, LoadError> {
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
        return Err(LoadError::NoMemory);
    }
    Ok(lister.names)
}
