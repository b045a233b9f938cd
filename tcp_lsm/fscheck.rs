// SPDX-License-Identifier: GPL-2.0

//! Decisions on filesystem objects shared by the `file_*`, `path_*`, `inode_*`, `bprm_*` and
//! memory hooks: an object gets a type from the policy's path rules (or, with no name, from
//! what it is), and the subject's domain must hold the permission on that type.
//!
//! Protected types can never be unlinked, renamed or linked by a domain, and no domain
//! can create a link or rename onto a protected path, whatever its rules say.

use kernel::bindings;
use kernel::error::code::EACCES;
use kernel::ffi::c_int;
use kernel::prelude::*;

use crate::blob;
use crate::decide::{Ask, Object, Subject, DENIED};
use crate::engine::format::{DomainView, PolicyView, Reserved};
use crate::engine::perm::bits::file as perm;
use crate::engine::perm::{Class, Internal};
use crate::errno::to_ret;
use crate::fspath::{self, Name};
use crate::pathcache::Reached;
use crate::policy::Loaded;
use crate::vfs::{KDentry, KFile, KInode, KPath};

/// `S_IFMT` and friends (`include/uapi/linux/stat.h`).
pub(crate) const S_IFMT: u32 = bindings::S_IFMT;

pub(crate) const S_IFDIR: u32 = bindings::S_IFDIR;

pub(crate) const S_IFREG: u32 = bindings::S_IFREG;

/// The permissions that move, remove or add names of an object: refused on protected
/// types to every domain, whatever its rules and mode (the engine's definition).
const STRUCTURAL: u32 = perm::PROTECTED_NEVER;

/// Whether `domain` may do `perms` on objects of type `type_id` (0: no type).
pub(crate) fn allows(loaded: &Loaded, domain: &DomainView<'_>, type_id: u32, perms: u32) -> bool {
    type_id != 0 && crate::decide::file_grant(loaded, domain, type_id).allows(perms)
}

/// The policy's answer for a file object, or the need for its path.
pub(crate) enum Answer {
    /// Allowed or not by the policy (before the mode applies), and the object's type.
    Policy(bool, u32),
    /// A structural change to an object of a protected type: refused in every mode.
    Protected(u32),
    /// The inode has no type remembered for the policy in force and no name was given.
    NeedPath,
    /// The object's name is longer than `PATH_MAX` and objects below the deepest directory
    /// above it that has a name may have different types (`fspath.rs`): refused as a
    /// denial by the policy (the mode applies), in every hook.
    Unnameable,
}

/// Asks the policy about `perms` on an object: by the type of `name` when given (then
/// remembered in the object's inode state `cache`, when it has an inode), else by the type
/// remembered in `cache` for the policy in force. With `reached` (where the name was built
/// from), the type is also remembered for that path (`pathcache.rs`). The type and the
/// decision come from the same policy, read in one RCU section.
pub(crate) fn answer(
    subject: &Subject<'_>,
    cache: Option<&blob::InodeSecurity>,
    name: Option<Name<'_>>,
    perms: u32,
    reached: Option<&Reached>,
) -> Answer {
    subject.with_loaded(|found| {
        let Some((loaded, policy, domain)) = found else {
            return Answer::Policy(false, 0);
        };
        let type_id = match (name, cache) {
            (Some(name), cache) => match type_of_name(loaded, name) {
                Some(type_id) => remember(loaded, cache, name.bytes(), type_id, reached),
                None => return Answer::Unnameable,
            },
            (None, Some(cache)) => match cache.load(loaded.generation()) {
                Some(type_id) => crate::protect::effective(loaded, cache, type_id, None),
                // Not classified by name under this policy: a protected object is still
                // decided as one.
                None => match crate::marks::type_of_mark(
                    loaded.protected_index(),
                    cache.protected_mark(),
                ) {
                    Some(protected) => protected,
                    None => return unnamed(loaded, domain, perms),
                },
            },
            (None, None) => return unnamed(loaded, domain, perms),
        };
        answer_for_type(loaded, policy, domain, type_id, perms)
    })
}

/// The answer for `perms` on an object no name has reached under the policy in force
/// (and not marked protected): allowed when `domain` has them on every object whatever
/// its type (so no name could have refused them), else the need for its name.
pub(crate) fn unnamed(loaded: &Loaded, domain: &DomainView<'_>, perms: u32) -> Answer {
    if perms & !loaded.file_perms_anywhere(domain) == 0 {
        return Answer::Policy(true, 0);
    }
    Answer::NeedPath
}

/// The type the policy's names give the object named `name`: by its own name, or for a
/// name too long to build, the one type of everything below the directory named
/// (`None` when there is no one type).
fn type_of_name(loaded: &Loaded, name: Name<'_>) -> Option<u32> {
    match name.own() {
        Some(own) => Some(loaded.type_for_path(own)),
        None => loaded.view().type_below(name.bytes()),
    }
}

/// The type of an object reached by `name`, whose type by name is `type_id`: its
/// protected type if its inode is marked (`protect.rs`; an inode reached by a protected
/// name gets the mark), remembered in the inode (`cache`, when there is an inode) for
/// the policy in force, and with `reached` for that path too (`pathcache.rs`).
fn remember(
    loaded: &Loaded,
    cache: Option<&blob::InodeSecurity>,
    name: &[u8],
    type_id: u32,
    reached: Option<&Reached>,
) -> u32 {
    let Some(cache) = cache else { return type_id };
    let type_id = crate::protect::effective(loaded, cache, type_id, Some(name));
    cache.store(type_id, loaded.generation());
    if let Some(reached) = reached {
        cache.path.store(loaded.generation(), reached, type_id);
    }
    type_id
}

/// The policy's answer for `perms` on an object of type `type_id`.
pub(crate) fn answer_for_type(
    loaded: &Loaded,
    policy: &PolicyView<'_>,
    domain: &DomainView<'_>,
    type_id: u32,
    perms: u32,
) -> Answer {
    if perms & STRUCTURAL != 0 && policy.type_is_protected(type_id) {
        return Answer::Protected(type_id);
    }
    Answer::Policy(allows(loaded, domain, type_id, perms), type_id)
}

/// Applies an answer about `perms` on `object`: the mode applies to the policy's
/// answers, not to the protection of protected types.
fn apply(
    op: &'static str,
    subject: &Subject<'_>,
    answer: Answer,
    perms: u32,
    object: Object<'_>,
) -> Result {
    match answer {
        Answer::Policy(allowed, _) => subject.verdict(allowed, DENIED, &ask(op, perms, object)),
        Answer::Protected(_) => subject.refuse(DENIED, &ask(op, perms, object)),
        Answer::NeedPath => subject.verdict(false, DENIED, &ask(op, perms, Object::Unclassified)),
        Answer::Unnameable => subject.verdict(false, DENIED, &ask(op, perms, object)),
    }
}

/// The policy's answer for `perms` on the object at `name` (`cache`: its inode's state,
/// if it has an inode).
pub(crate) fn check_name(
    op: &'static str,
    subject: &Subject<'_>,
    name: Name<'_>,
    cache: Option<&blob::InodeSecurity>,
    perms: u32,
    reached: Option<&Reached>,
) -> Result {
    let answer = answer(subject, cache, Some(name), perms, reached);
    apply(op, subject, answer, perms, object_of(name))
}

/// What a report names for `name`.
fn object_of(name: Name<'_>) -> Object<'_> {
    match name.own() {
        Some(own) => Object::Path(own),
        None => Object::Below(name.bytes()),
    }
}

/// A question about file permissions `perms`.
fn ask<'a>(op: &'static str, perms: u32, object: Object<'a>) -> Ask<'a> {
    Ask::new(op, Class::File, u64::from(perms), object)
}

/// Checks `perms` on the object at `path` for the current task.
pub(crate) fn check_path(op: &'static str, path: KPath<'_>, perms: u32) -> Result {
    let Some(subject) = Subject::current() else {
        return Ok(());
    };
    if internal_path(path) {
        // Pipes, sockets, memfds, pidfds, namespace files, eventfds and the other objects
        // of the internal mounts: decided by what they are, not by a name.
        return check_internal(op, &subject, internal_kind(path.dentry()), perms);
    }
    let reached = Reached::of(path.addresses());
    let cache = path.dentry().inode().map(KInode::security);
    if let (Some(reached), Some(cache)) = (&reached, cache) {
        if allowed_as_reached(&subject, cache, reached, perms) {
            return subject.verdict(true, DENIED, &ask(op, perms, Object::None));
        }
    }
    fspath::with(path, |name| {
        check_name(op, &subject, name, cache, perms, reached.as_ref())
    })?
}

/// Whether the type remembered in an inode's state (`security`) as reached now
/// (`pathcache.rs`) allows `perms` under the policy in force. Only an allowing answer is
/// taken from there: a denial, and a stale heartbeat, are decided (and reported) with the
/// path name.
fn allowed_as_reached(
    subject: &Subject<'_>,
    security: &blob::InodeSecurity,
    reached: &Reached,
    perms: u32,
) -> bool {
    if crate::heartbeat::blocks(Class::File) {
        return false;
    }
    subject.with_loaded(|found| {
        found.is_some_and(|(loaded, policy, domain)| {
            security
                .path
                .lookup(loaded.generation(), reached)
                .is_some_and(|type_id| {
                    // Marked protected since the entry was stored (`protect.rs`): by that type.
                    let type_id = crate::protect::effective(loaded, security, type_id, None);
                    matches!(
                        answer_for_type(loaded, policy, domain, type_id, perms),
                        Answer::Policy(true, _)
                    )
                })
        })
    })
}

/// Checks `perms` on an object known only by its dentry, by the type remembered in its
/// inode for the policy in force. An inode never classified under this policy is denied:
/// without a path there is no rule to apply.
pub(crate) fn check_dentry(op: &'static str, dentry: KDentry<'_>, perms: u32) -> Result {
    let Some(subject) = Subject::current() else {
        return Ok(());
    };
    if internal_object(dentry) {
        // As in `check_path` (`ftruncate` of a memfd, `fchmod` of a pipe).
        return check_internal(op, &subject, internal_kind(dentry), perms);
    }
    let cache = dentry.inode().map(KInode::security);
    let answer = answer(&subject, cache, None, perms, None);
    if matches!(answer, Answer::NeedPath) && blob::creds_overridden_by_kernel() {
        // A file system working on objects of its own with credentials the kernel put in
        // place (overlayfs reading and copying up its layers' attributes and extended
        // attributes with its mounter's): no name reached these objects, and the task's
        // own access was decided on the file system's object, by its name.
        return Ok(());
    }
    let object = match answer {
        Answer::Policy(_, type_id) | Answer::Protected(type_id) => Object::Type(type_id),
        Answer::NeedPath | Answer::Unnameable => Object::Unclassified,
    };
    apply(op, &subject, answer, perms, object)
}

/// Checks `perms` on an open file.
pub(crate) fn check_file(op: &'static str, file: KFile<'_>, perms: u32) -> Result {
    check_path(op, file.path(), perms)
}

/// Whether `file` is on one of the kernel's internal mounts (pipes, sockets, memfds,
/// SysV shared memory, pidfds, namespace files, anonymous inodes): objects no path rule
/// can name ([`internal_object`] for hooks that have no mount).
pub(crate) fn on_internal_mount(file: KFile<'_>) -> bool {
    internal_path(file.path())
}

/// [`on_internal_mount`] for a path.
fn internal_path(path: KPath<'_>) -> bool {
    path.mnt_flags() & bindings::MNT_INTERNAL as c_int != 0
}

/// Whether the object of `dentry` lives on one of the kernel's internal mounts, told by
/// its superblock for the hooks that get a dentry and no mount: pipes, sockets,
/// anonymous inodes (eventfd, timerfd, signalfd, epoll, inotify, io_uring, BPF objects),
/// pidfds, namespace files, secret memory, and shmem's own mount (memfds, SysV shared
/// memory; a tmpfs the user mounts is a superblock of its own, never `SB_KERNMOUNT`).
/// None of these file systems can be mounted by a user (`SB_NOUSER`), so for every object
/// a dentry hook reaches this agrees with [`on_internal_mount`].
fn internal_object(dentry: KDentry<'_>) -> bool {
    let (magic, flags) = dentry.sb_magic_flags();
    match u32::try_from(magic) {
        Ok(
            bindings::PIPEFS_MAGIC
            | bindings::SOCKFS_MAGIC
            | bindings::ANON_INODE_FS_MAGIC
            | bindings::NSFS_MAGIC
            | bindings::PID_FS_MAGIC
            | bindings::SECRETMEM_MAGIC,
        ) => true,
        Ok(bindings::TMPFS_MAGIC) => flags as u64 & crate::layout::SB_KERNMOUNT != 0,
        _ => false,
    }
}

/// The kind of an object of the internal mounts ([`internal_object`] holds), for the
/// file rules (`perm::Internal`); `None` for those decided by other rules: sockets (the
/// network rules), SysV shared memory (the `ipc` rules) and anonymous shared memory
/// (memory, `execmem`), which live on shmem's internal mount beside memfds.
pub(crate) fn internal_kind(dentry: KDentry<'_>) -> Option<Internal> {
    let (magic, _) = dentry.sb_magic_flags();
    let name = || dentry.internal_name();
    match u32::try_from(magic) {
        Ok(bindings::PIPEFS_MAGIC) => Some(Internal::Pipe),
        Ok(bindings::SOCKFS_MAGIC) => None,
        Ok(bindings::NSFS_MAGIC) => Some(Internal::Namespace),
        Ok(bindings::PID_FS_MAGIC) => Some(Internal::Pidfd),
        Ok(bindings::ANON_INODE_FS_MAGIC) => Some(Internal::of_anon_name(name())),
        Ok(bindings::TMPFS_MAGIC | bindings::HUGETLBFS_MAGIC) => {
            name().starts_with(b"memfd:").then_some(Internal::Memfd)
        }
        _ => Some(Internal::Other),
    }
}

/// Decides `perms` on an object of the internal mounts of kind `kind` (`None`: decided
/// by other rules, [`internal_kind`]): by the kind's built-in type when the policy's rules
/// name it (the compiler grants every domain `INTERNAL_DEFAULT` on it, the rules add or
/// deny on top), else by `INTERNAL_DEFAULT` alone: every use but execution. Reports name
/// the built-in type.
pub(crate) fn check_internal(
    op: &'static str,
    subject: &Subject<'_>,
    kind: Option<Internal>,
    perms: u32,
) -> Result {
    let Some(kind) = kind else { return Ok(()) };
    let default = perms & !perm::INTERNAL_DEFAULT == 0;
    if default && !crate::policy::internal_named(kind) {
        return Ok(());
    }
    let answer = subject.with_loaded(|found| {
        let named = found.and_then(|(loaded, policy, domain)| {
            loaded
                .internal_type(kind)
                .map(|t| answer_for_type(loaded, policy, domain, t, perms))
        });
        named.unwrap_or(Answer::Policy(default, 0))
    });
    apply(op, subject, answer, perms, Object::Text(kind.type_name()))
}

/// Checks `perms` (a creation permission) for giving `name` to an object (`inode`: the
/// object already there, or null). First, the name is refused when the policy reserves
/// something below it (`PolicyView::reserved_below`): the object there would stand where
/// a protected path or a transition's executable leads, so whoever made it could take
/// those names over; a symlink at a protected name is refused too, as the protected name
/// would lead to the link's target. Below a protected path this is an always-on
/// protection; below a transition's executable it follows the mode. Then the permission
/// on the name's type. Both from one policy, read in one RCU section (a create is on
/// the path of every build: one section and one type lookup, not two).
pub(crate) fn check_new(
    op: &'static str,
    subject: &Subject<'_>,
    name: Name<'_>,
    inode: Option<KInode<'_>>,
    perms: u32,
    symlink: bool,
) -> Result {
    enum New {
        Reserved(Reserved),
        Answer(Answer),
    }
    let new = subject.with_loaded(|found| {
        let Some((loaded, policy, domain)) = found else {
            return New::Answer(Answer::Policy(false, 0));
        };
        let Some(type_id) = type_of_name(loaded, name) else {
            return New::Answer(Answer::Unnameable);
        };
        // For a name too long to build: anything reserved below the directory named.
        match loaded.reserved_below(name.bytes()) {
            Some(r) => return New::Reserved(r),
            None if symlink && policy.type_is_protected(type_id) => {
                return New::Reserved(Reserved::Protected)
            }
            None => {}
        }
        let cache = inode.map(KInode::security);
        let type_id = remember(loaded, cache, name.bytes(), type_id, None);
        New::Answer(answer_for_type(loaded, policy, domain, type_id, perms))
    });
    match new {
        New::Reserved(Reserved::Protected) => {
            subject.refuse(DENIED, &ask(op, perms, object_of(name)))
        }
        New::Reserved(Reserved::Transition) => {
            subject.verdict(false, DENIED, &ask(op, perms, object_of(name)))
        }
        New::Answer(answer) => apply(op, subject, answer, perms, object_of(name)),
    }
}

/// Checks `perms` (a creation permission) for giving the name `dentry` in `dir` to an
/// object ([`check_new`]); `dentry` is on `dir`'s mount.
pub(crate) fn check_new_name(
    op: &'static str,
    subject: &Subject<'_>,
    dir: KPath<'_>,
    dentry: KDentry<'_>,
    perms: u32,
    symlink: bool,
) -> Result {
    fspath::with_child(dir, dentry, |name| {
        check_new(op, subject, name, dentry.inode(), perms, symlink)
    })?
}

/// [`check_new_name`] for the current task (nothing to check when unconfined).
pub(crate) fn check_create(
    op: &'static str,
    dir: KPath<'_>,
    dentry: KDentry<'_>,
    perms: u32,
    symlink: bool,
) -> Result {
    let Some(subject) = Subject::current() else {
        return Ok(());
    };
    check_new_name(op, &subject, dir, dentry, perms, symlink)
}

/// Checks moving a directory away from, or to, `name`: everything below it leaves, or
/// gets, the types the policy gives below `name` (`PolicyView::types_below`), so the
/// domain needs `perms` on each of them (`rename` to take objects out of a type, `create`
/// to bring objects into one, as if it made them there). A protected type below is
/// refused in every mode.
pub(crate) fn check_subtree(
    op: &'static str,
    subject: &Subject<'_>,
    name: &[u8],
    perms: u32,
) -> Result {
    #[derive(PartialEq)]
    enum Found {
        Allowed,
        Denied,
        Protected,
    }
    let found = subject.with_loaded(|found| {
        let Some((loaded, policy, domain)) = found else {
            return Found::Denied;
        };
        let mut found = Found::Allowed;
        policy.types_below(name, |t| {
            if policy.type_is_protected(t) {
                found = Found::Protected;
                return false;
            }
            if !allows(loaded, domain, t, perms) {
                found = Found::Denied;
            }
            // Keep looking for a protected type, which no mode lets through.
            true
        });
        found
    });
    let what = ask(op, perms, Object::Path(name));
    match found {
        Found::Allowed => Ok(()),
        Found::Denied => subject.verdict(false, DENIED, &what),
        Found::Protected => subject.refuse(DENIED, &what),
    }
}

/// Records that the current task's domain wrote, created, moved or linked the inode of
/// `dentry` (see `InodeSecurity::writers`).
pub(crate) fn mark_written(subject: &Subject<'_>, dentry: KDentry<'_>) {
    if let Some(inode) = dentry.inode() {
        inode.security().mark_written(subject.domain());
    }
}

/// Checks `perms` on an open regular file: by its inode's remembered type when there is
/// one for the policy in force (the common case, no path needed), else by its path.
fn check_open_file(op: &'static str, subject: &Subject<'_>, file: KFile<'_>, perms: u32) -> Result {
    let cache = Some(file.inode().security());
    match answer(subject, cache, None, perms, None) {
        Answer::Policy(true, _) => subject.verdict(true, DENIED, &ask(op, perms, Object::None)),
        // Denied, or not classified yet: decide (again) by the path, which the report
        // names.
        _ => fspath::with(file.path(), |name| {
            check_name(op, subject, name, cache, perms, None)
        })?,
    }
}

/// `S_IFSOCK` (`include/uapi/linux/stat.h`).
const S_IFSOCK: u32 = bindings::S_IFSOCK;

/// Checks `perms` on an open file of a kind that only some policies type (devices, named
/// fifos): by its type when the policy gives it one, and not at all when the policy does
/// not name it (a terminal the task inherited as its standard output).
fn check_typed_only(
    op: &'static str,
    subject: &Subject<'_>,
    file: KFile<'_>,
    perms: u32,
) -> Result {
    let cache = Some(file.inode().security());
    match answer(subject, cache, None, perms, None) {
        Answer::Policy(true, _) => {
            return subject.verdict(true, DENIED, &ask(op, perms, Object::None))
        }
        Answer::Policy(false, 0) => return Ok(()),
        _ => {}
    }
    fspath::with(file.path(), |name| {
        match answer(subject, cache, Some(name), perms, None) {
            Answer::Policy(false, 0) => Ok(()),
            a => apply(op, subject, a, perms, object_of(name)),
        }
    })?
}

/// Checks an access to an already open file for the current task; `perms` gives the
/// permissions needed from the file's `f_mode` and `f_flags` (0: nothing to check) and
/// whether it is a directory. Unconfined tasks return at once. Regular files and
/// directories are decided by their type; sockets by their peer when they were made
/// outside the domain (`net::check_foreign_for`); devices and named fifos by their type
/// when the policy gives them one; objects on the kernel's internal mounts (pipes,
/// memfds, anonymous inodes) have no path type and are left alone (`check_path`).
pub(crate) fn revalidate(
    op: &'static str,
    file: KFile<'_>,
    perms: impl FnOnce(u32, u32, bool) -> u32,
) -> c_int {
    let Some(subject) = Subject::current() else {
        return 0;
    };
    let kind = file.inode().mode() & S_IFMT;
    if kind == S_IFSOCK {
        // SAFETY: The file is open (`KFile`); a socket file's private data is its socket.
        let sock = unsafe { bindings::sock_from_file(file.as_ptr()) };
        if sock.is_null() {
            return 0;
        }
        // SAFETY: The open file holds its socket.
        return to_ret(unsafe { crate::net::check_foreign_for(op, &subject, sock) });
    }
    let (mode, flags) = file.mode_flags();
    let perms = perms(mode, flags, kind == S_IFDIR);
    if perms == 0 {
        return 0;
    }
    if on_internal_mount(file) {
        // Pipes, memfds and the other objects of the internal mounts (`check_path`).
        return to_ret(check_internal(
            op,
            &subject,
            internal_kind(file.path().dentry()),
            perms,
        ));
    }
    match kind {
        S_IFREG | S_IFDIR => to_ret(check_open_file(op, &subject, file, perms)),
        _ => to_ret(check_typed_only(op, &subject, file, perms)),
    }
}

/// Whether the inode of `dentry` has a protected type under the policy in force (by its
/// protected mark, or the type remembered in the inode; an unclassified, unmarked inode
/// is not known to be protected).
fn is_protected(dentry: KDentry<'_>) -> bool {
    let Some(inode) = dentry.inode() else {
        return false;
    };
    crate::policy::with_current(|p| {
        p.is_some_and(|p| {
            let security = inode.security();
            crate::marks::type_of_mark(p.protected_index(), security.protected_mark()).is_some()
                || security
                    .load(p.generation())
                    .is_some_and(|t| p.view().type_is_protected(t))
        })
    })
}

/// Refuses, for a confined task, a namespace change that would remove or move a
/// protected object. A second line behind the `path_*` hooks, for the operations that
/// reach the inode layer by other ways.
pub(crate) fn refuse_protected(op: &'static str, perms: u32, dentries: &[KDentry<'_>]) -> c_int {
    let Some(subject) = Subject::current() else {
        return 0;
    };
    if dentries.iter().any(|&d| is_protected(d)) {
        return to_ret(subject.refuse(EACCES, &ask(op, perms, Object::Text("protected"))));
    }
    // Not protected: the permission itself was decided by the matching `path_*` hook.
    0
}
