// SPDX-License-Identifier: GPL-2.0
//! Protected objects keep their protection as objects, whatever name or mount they are
//! reached by.
//!
//! Types follow names (`fscheck.rs`): a hard link or a bind mount gives an object a second
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
//! - when a confined task reaches it by a name of a protected type (`fscheck.rs`, `answer`);
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
use kernel::ffi::c_char;
use kernel::prelude::*;

use crate::blob::{self, InodeSecurity};
use crate::marks::{mark_of, mark_tree, type_of_mark, Todo};
use crate::policy::Loaded;

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
pub(crate) fn before_link(name: crate::fspath::Name<'_>, inode: crate::vfs::KInode<'_>) {
    crate::policy::with_current(|loaded| {
        let Some(loaded) = loaded else { return };
        if let Some(type_id) = protected_type_of(loaded, name) {
            let security = inode.security();
            if type_of_mark(loaded.protected_index(), security.protected_mark()).is_none() {
                let is_dir = inode.mode() & bindings::S_IFMT == bindings::S_IFDIR;
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
pub(crate) fn before_move_dir(name: crate::fspath::Name<'_>, dir: crate::vfs::KDentry<'_>) {
    // A name longer than PATH_MAX: no rule names anything below it.
    let Some(own) = name.own() else { return };
    let Some(loaded) = crate::policy::current() else {
        return;
    };
    let view = loaded.view();
    view.protected_objects_below(own, |type_id, pattern| {
        let rest = pattern.get(own.len()..).unwrap_or(&[]);
        let dir = dir.as_ptr();
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
    let source = unsafe { crate::vfs::KPath::new(&path) };
    let marks = crate::fspath::with(source, |name| -> Option<Marks> {
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
    });
    if let Ok(Some(Marks::Deep(type_id))) = marks {
        // The object itself is marked; what appears below it inherits.
        if let Some(inode) = source.dentry().inode() {
            inode
                .security()
                .force_protected_mark(mark_of(loaded.view(), type_id, true));
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
