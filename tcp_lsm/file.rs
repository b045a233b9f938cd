// SPDX-License-Identifier: GPL-2.0

//! File, exec and memory hooks: objects get a type from the policy's path rules and the
//! subject's domain must hold the permission on that type.
//!
//! Protected types can never be unlinked, renamed or linked by a domain, and no domain
//! can create a link or rename onto a protected path, whatever its rules say.

use kernel::bindings;
use kernel::error::code::EACCES;
use kernel::ffi::{c_int, c_uint, c_ulong};
use kernel::prelude::*;

use crate::blob;
use crate::decide::{to_ret, Ask, Object, Subject, DENIED};
use crate::engine::format::{DomainView, PolicyView, Reserved};
use crate::engine::perm::bits::file as perm;
use crate::engine::perm::bits::process;
use crate::engine::perm::Class;
use crate::engine::perm::Internal;
use crate::fspath::{self, Name};
use crate::pathcache::Reached;
use crate::policy::Loaded;

/// `fmode_t` bits (`include/linux/fs.h`; bindgen cannot evaluate their casts).
const FMODE_READ: u32 = 1 << 0;
const FMODE_WRITE: u32 = 1 << 1;
/// `__FMODE_EXEC`: the opens of exec carry it in `f_flags`, not in `f_mode`
/// (`OPEN_FMODE()` does not copy it).
const FMODE_EXEC_FLAG: u32 = 1 << 5;
/// `PROT_*` (`include/uapi/asm-generic/mman-common.h`).
const PROT_WRITE: c_ulong = 0x2;
const PROT_EXEC: c_ulong = 0x4;
/// `MAP_TYPE`, `MAP_SHARED`, `MAP_SHARED_VALIDATE` (`include/uapi/linux/mman.h`).
const MAP_TYPE: c_ulong = 0x0f;
const MAP_SHARED: c_ulong = 0x01;
const MAP_SHARED_VALIDATE: c_ulong = 0x03;
/// `S_IFMT` and friends (`include/uapi/linux/stat.h`).
const S_IFMT: u32 = 0o170000;
const S_IFDIR: u32 = 0o040000;
const S_IFREG: u32 = 0o100000;
const S_IFLNK: u32 = 0o120000;
/// `RENAME_EXCHANGE` (`include/uapi/linux/fs.h`).
const RENAME_EXCHANGE: c_uint = 1 << 1;

/// The permissions that move, remove or add names of an object: refused on protected
/// types to every domain, whatever its rules and mode (the engine's definition).
const STRUCTURAL: u32 = perm::PROTECTED_NEVER;

/// Whether `domain` may do `perms` on objects of type `type_id` (0: no type).
fn allows(loaded: &Loaded, domain: &DomainView<'_>, type_id: u32, perms: u32) -> bool {
    type_id != 0 && crate::decide::file_grant(loaded, domain, type_id).allows(perms)
}

/// The policy's answer for a file object, or the need for its path.
enum Answer {
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
/// remembered in `inode`), else by the type remembered in `inode` for the policy in force.
/// With `reached` (where the name was built from), the type is also remembered for that
/// path (`pathcache.rs`). The type and the decision come from the same policy, read in
/// one RCU section.
///
/// # Safety
///
/// `inode` must be null or a live inode with a blob.
unsafe fn answer(
    subject: &Subject<'_>,
    inode: *const bindings::inode,
    name: Option<Name<'_>>,
    perms: u32,
    reached: Option<&Reached>,
) -> Answer {
    subject.with_loaded(|found| {
        let Some((loaded, policy, domain)) = found else {
            return Answer::Policy(false, 0);
        };
        let cache = (!inode.is_null()).then(|| {
            // SAFETY: Guaranteed by the caller.
            unsafe { &*blob::inode(inode) }
        });
        let type_id = match (name, cache) {
            (Some(name), cache) => match type_of_name(loaded, name) {
                Some(type_id) => remember(loaded, cache, name.bytes(), type_id, reached),
                None => return Answer::Unnameable,
            },
            (None, Some(cache)) => match cache.load(loaded.generation()) {
                Some(type_id) => crate::protect::effective(loaded, cache, type_id, None),
                // Not classified by name under this policy: a protected object is still
                // decided as one.
                None => match crate::protect::type_of_mark(
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
fn unnamed(loaded: &Loaded, domain: &DomainView<'_>, perms: u32) -> Answer {
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
fn answer_for_type(
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

/// The policy's answer for `perms` on the object at `name` (`inode`: its inode or null).
///
/// # Safety
///
/// As for [`answer`].
unsafe fn check_name(
    op: &'static str,
    subject: &Subject<'_>,
    name: Name<'_>,
    inode: *const bindings::inode,
    perms: u32,
    reached: Option<&Reached>,
) -> Result {
    // SAFETY: Guaranteed by the caller.
    let answer = unsafe { answer(subject, inode, Some(name), perms, reached) };
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

/// The inode of a dentry (null for a negative dentry).
///
/// # Safety
///
/// `dentry` must be live.
unsafe fn inode_of(dentry: *const bindings::dentry) -> *const bindings::inode {
    // SAFETY: Guaranteed by the caller.
    unsafe { (*dentry).d_inode }
}

/// Checks `perms` on the object at `path` for the current task.
///
/// # Safety
///
/// `path` must be a live `struct path`.
unsafe fn check_path(op: &'static str, path: *const bindings::path, perms: u32) -> Result {
    let Some(subject) = Subject::current() else {
        return Ok(());
    };
    // SAFETY: Guaranteed by the caller.
    if unsafe { internal_path(path) } {
        // Pipes, sockets, memfds, pidfds, namespace files, eventfds and the other objects
        // of the internal mounts: decided by what they are, not by a name.
        // SAFETY: Guaranteed by the caller; a live path holds its dentry.
        return check_internal(
            op,
            &subject,
            unsafe { internal_kind((*path).dentry) },
            perms,
        );
    }
    // SAFETY: Guaranteed by the caller; a live path holds its dentry.
    let (reached, inode) = unsafe { (Reached::of(path), inode_of((*path).dentry)) };
    if let (Some(reached), false) = (&reached, inode.is_null()) {
        // SAFETY: A positive dentry's inode is live and has a blob.
        if unsafe { allowed_as_reached(&subject, inode, reached, perms) } {
            return subject.verdict(true, DENIED, &ask(op, perms, Object::None));
        }
    }
    // SAFETY: Guaranteed by the caller; the inode stays live with the path.
    unsafe {
        fspath::with(path, |name| {
            check_name(op, &subject, name, inode, perms, reached.as_ref())
        })
    }?
}

/// Whether the type remembered for `inode` as reached now (`pathcache.rs`) allows
/// `perms` under the policy in force. Only an allowing answer is taken from there:
/// a denial, and a stale heartbeat, are decided (and reported) with the path name.
///
/// # Safety
///
/// `inode` must be a live inode with a blob.
unsafe fn allowed_as_reached(
    subject: &Subject<'_>,
    inode: *const bindings::inode,
    reached: &Reached,
    perms: u32,
) -> bool {
    if crate::heartbeat::blocks(Class::File) {
        return false;
    }
    // SAFETY: Guaranteed by the caller.
    let security = unsafe { &*blob::inode(inode) };
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

/// Checks `perms` on the child `dentry` of the directory `dir`.
///
/// # Safety
///
/// `dir` and `dentry` must be live, `dentry` on `dir`'s mount.
unsafe fn check_child(
    op: &'static str,
    dir: *const bindings::path,
    dentry: *mut bindings::dentry,
    perms: u32,
) -> Result {
    let Some(subject) = Subject::current() else {
        return Ok(());
    };
    // SAFETY: Guaranteed by the caller; the child dentry is live.
    unsafe {
        fspath::with_child(dir, dentry, |name| {
            check_name(op, &subject, name, inode_of(dentry), perms, None)
        })
    }?
}

/// Checks `perms` on an object known only by its dentry, by the type remembered in its
/// inode for the policy in force. An inode never classified under this policy is denied:
/// without a path there is no rule to apply.
///
/// # Safety
///
/// `dentry` must be live.
unsafe fn check_dentry(op: &'static str, dentry: *mut bindings::dentry, perms: u32) -> Result {
    let Some(subject) = Subject::current() else {
        return Ok(());
    };
    // SAFETY: Guaranteed by the caller.
    if unsafe { internal_object(dentry) } {
        // As in `check_path` (`ftruncate` of a memfd, `fchmod` of a pipe).
        // SAFETY: Guaranteed by the caller.
        return check_internal(op, &subject, unsafe { internal_kind(dentry) }, perms);
    }
    // SAFETY: Guaranteed by the caller; a positive dentry's inode is live with a blob.
    let answer = unsafe { answer(&subject, inode_of(dentry), None, perms, None) };
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
///
/// # Safety
///
/// `file` must be a live open file.
unsafe fn check_file(op: &'static str, file: *mut bindings::file, perms: u32) -> Result {
    // SAFETY: An open file's path is live.
    unsafe { check_path(op, &raw const (*file).f_path, perms) }
}

/// `file_open`: read, write or append on the file's type (readdir for directories,
/// execute for the opens of exec).
pub(crate) unsafe extern "C" fn file_open(file: *mut bindings::file) -> c_int {
    // SAFETY: The VFS passes the file being opened; its inode and path are set.
    let (fmode, flags, imode) = unsafe {
        (
            (*file).f_mode,
            (*file).f_flags,
            u32::from((*(*file).f_inode).i_mode),
        )
    };
    let mut perms = 0;
    if flags & FMODE_EXEC_FLAG != 0 {
        perms |= perm::EXECUTE;
    } else if fmode & FMODE_READ != 0 {
        perms |= if imode & S_IFMT == S_IFDIR {
            perm::READDIR
        } else {
            perm::READ
        };
    }
    if fmode & FMODE_WRITE != 0 {
        perms |= write_perm(flags);
    }
    if perms == 0 {
        // O_PATH-like opens carry no access; getattr and friends are checked on use.
        return 0;
    }
    // SAFETY: The file being opened is live.
    let result = unsafe { check_file("file_open", file, perms) };
    if result.is_ok() && fmode & FMODE_WRITE != 0 {
        if let Some(subject) = Subject::current() {
            // SAFETY: The file being opened holds its dentry.
            unsafe { mark_written(&subject, (*file).f_path.dentry) };
        }
    }
    to_ret(result)
}

/// `bprm_check_security`: a domain may only execute files of types it may execute. Runs
/// for the script and again for its interpreter.
pub(crate) unsafe extern "C" fn bprm_check_security(bprm: *mut bindings::linux_binprm) -> c_int {
    // SAFETY: The exec path passes a live bprm whose `file` is open.
    to_ret(unsafe { check_file("bprm_check_security", (*bprm).file, perm::EXECUTE) })
}

/// Executable memory whose content no file holds (anonymous memory, the heap, the
/// stack, memfds and other objects of the kernel's internal mounts, private file pages
/// that were written), or that is writable at the same time: refused to every domain in
/// every mode, unless its policy grants the process permissions `needs` (`execmem` for
/// the first, `execmem-rwx` for the second; a JIT needs them). `what` names it in reports.
fn check_execmem(
    op: &'static str,
    subject: &Subject<'_>,
    needs: u32,
    what: &'static str,
) -> Result {
    let ask = Ask::new(op, Class::Process, u64::from(needs), Object::Text(what));
    if subject.with(|v| v.is_some_and(|(_, d)| d.process() & needs == needs)) {
        return subject.verdict(true, EACCES, &ask);
    }
    subject.refuse(EACCES, &ask)
}

/// Whether `file` is on one of the kernel's internal mounts (pipes, sockets, memfds,
/// SysV shared memory, pidfds, namespace files, anonymous inodes): objects no path rule
/// can name ([`internal_object`] for hooks that have no mount).
///
/// # Safety
///
/// `file` must be a live open file.
unsafe fn on_internal_mount(file: *const bindings::file) -> bool {
    // SAFETY: Guaranteed by the caller: an open file's path is live.
    unsafe { internal_path(&raw const (*file).f_path) }
}

/// [`on_internal_mount`] for a path.
///
/// # Safety
///
/// `path` must be a live `struct path`.
unsafe fn internal_path(path: *const bindings::path) -> bool {
    // SAFETY: Guaranteed by the caller: a live path's mount is live.
    let flags = unsafe { (*(*path).mnt).mnt_flags };
    flags & bindings::MNT_INTERNAL as c_int != 0
}

/// Whether the object of `dentry` lives on one of the kernel's internal mounts, told by
/// its superblock for the hooks that get a dentry and no mount: pipes, sockets,
/// anonymous inodes (eventfd, timerfd, signalfd, epoll, inotify, io_uring, BPF objects),
/// pidfds, namespace files, secret memory, and shmem's own mount (memfds, SysV shared
/// memory; a tmpfs the user mounts is a superblock of its own, never `SB_KERNMOUNT`).
/// None of these file systems can be mounted by a user (`SB_NOUSER`), so for every object
/// a dentry hook reaches this agrees with [`on_internal_mount`].
///
/// # Safety
///
/// `dentry` must be live.
unsafe fn internal_object(dentry: *const bindings::dentry) -> bool {
    // SAFETY: Guaranteed by the caller: a live dentry's superblock is live.
    let (magic, flags) = unsafe { ((*(*dentry).d_sb).s_magic, (*(*dentry).d_sb).s_flags) };
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
///
/// # Safety
///
/// `dentry` must be live.
unsafe fn internal_kind(dentry: *const bindings::dentry) -> Option<Internal> {
    // SAFETY: Guaranteed by the caller: a live dentry's superblock is live.
    let magic = unsafe { (*(*dentry).d_sb).s_magic };
    // SAFETY: The objects of these file systems are made with their names (a pipe's,
    // `anon_inode_getfile(NAME)`, `memfd:NAME`), which no rename changes; a dentry's
    // name is NUL-terminated.
    let name = || unsafe { core::ffi::CStr::from_ptr((*dentry).d_name.name.cast()) }.to_bytes();
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

/// Whether executable mappings of `file` (on an internal mount) run as a file's would: a
/// memfd in a domain granted `execute` on `internal.memfd`, which chose to run what it
/// puts there (as `fexecve` of it). Other such code is memory no file holds (`execmem`).
///
/// # Safety
///
/// `file` must be a live open file.
unsafe fn memfd_runs_as_file(subject: &Subject<'_>, file: *const bindings::file) -> bool {
    // SAFETY: Guaranteed by the caller: an open file's path holds its dentry.
    if unsafe { internal_kind((*file).f_path.dentry) } != Some(Internal::Memfd) {
        return false;
    }
    subject.with_loaded(|found| {
        found.is_some_and(|(loaded, policy, domain)| {
            loaded.internal_type(Internal::Memfd).is_some_and(|t| {
                matches!(
                    answer_for_type(loaded, policy, domain, t, perm::EXECUTE),
                    Answer::Policy(true, _)
                )
            })
        })
    })
}

/// Decides `perms` on an object of the internal mounts of kind `kind` (`None`: decided
/// by other rules, [`internal_kind`]): by the kind's built-in type when the policy's rules
/// name it (the compiler grants every domain `INTERNAL_DEFAULT` on it, the rules add or
/// deny on top), else by `INTERNAL_DEFAULT` alone: every use but execution. Reports name
/// the built-in type.
fn check_internal(
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

/// `mmap_file`: mapping a file needs `mmap` on its type, executable mappings `execute`
/// too, shared writable ones `write` too. Executable memory that no file of a type holds
/// (anonymous memory, objects of the internal mounts such as memfds) needs `execmem`,
/// writable and executable memory `execmem-rwx` ([`check_execmem`]). Mappings of objects
/// on the internal mounts (memfds, io_uring rings, other anonymous inodes) need `mmap`
/// (and `write` when shared writable) on their kind ([`check_internal`]); SysV shared
/// memory was decided when it was attached (`shm_shmat`).
pub(crate) unsafe extern "C" fn mmap_file(
    file: *mut bindings::file,
    _reqprot: c_ulong,
    prot: c_ulong,
    flags: c_ulong,
) -> c_int {
    if file.is_null() && prot & PROT_EXEC == 0 {
        // Anonymous memory that cannot run: nothing to decide.
        return 0;
    }
    let Some(subject) = Subject::current() else {
        return 0;
    };
    // SAFETY: A mapped file is live, with its path set.
    let internal = !file.is_null() && unsafe { on_internal_mount(file) };
    let mut perms = perm::MMAP;
    if prot & PROT_WRITE != 0 && matches!(flags & MAP_TYPE, MAP_SHARED | MAP_SHARED_VALIDATE) {
        perms |= perm::WRITE;
    }
    if prot & PROT_EXEC != 0 {
        // SAFETY: As above.
        let as_file = internal && unsafe { memfd_runs_as_file(&subject, file) };
        let anonymous = file.is_null() || (internal && !as_file);
        let (needs, what) = match (anonymous, prot & PROT_WRITE != 0) {
            (true, true) => (
                process::EXECMEM | process::EXECMEM_RWX,
                "anonymous writable executable mapping",
            ),
            (true, false) => (process::EXECMEM, "anonymous executable mapping"),
            (false, true) => (process::EXECMEM_RWX, "writable executable mapping"),
            (false, false) => (0, ""),
        };
        if needs != 0 {
            if let Err(e) = check_execmem("mmap_file", &subject, needs, what) {
                return to_ret(Err(e));
            }
        }
        if file.is_null() {
            return 0;
        }
        if !anonymous {
            perms |= perm::EXECUTE;
        }
    }
    if internal {
        // A memfd, a SysV segment, an io_uring ring: mapped as what it is (its code, if
        // executable, is decided as memory no file holds, above).
        // SAFETY: A mapped file's path holds its dentry.
        return to_ret(check_internal(
            "mmap_file",
            &subject,
            unsafe { internal_kind((*file).f_path.dentry) },
            perms,
        ));
    }
    drop(subject);
    // SAFETY: As above.
    to_ret(unsafe { check_file("mmap_file", file, perms) })
}

/// `file_mprotect`: making memory executable needs a file mapping of an executable type;
/// memory no file of a type holds, or private file pages that were written, need
/// `execmem`, and memory writable at the same time `execmem-rwx` ([`check_execmem`]).
pub(crate) unsafe extern "C" fn file_mprotect(
    vma: *mut bindings::vm_area_struct,
    _reqprot: c_ulong,
    prot: c_ulong,
) -> c_int {
    if prot & PROT_EXEC == 0 {
        return 0;
    }
    let Some(subject) = Subject::current() else {
        return 0;
    };
    // SAFETY: mprotect holds the mmap lock; the vma, its flags and its anon_vma are stable.
    let (file, vm_flags, anon) = unsafe {
        (
            (*vma).vm_file,
            (*vma).__bindgen_anon_2.vm_flags,
            (*vma).anon_vma,
        )
    };
    // SAFETY: The vma holds a reference to its file.
    let anonymous =
        file.is_null() || unsafe { on_internal_mount(file) && !memfd_runs_as_file(&subject, file) };
    let writable = prot & PROT_WRITE != 0;
    let (needs, what) = if anonymous {
        if writable {
            (
                process::EXECMEM | process::EXECMEM_RWX,
                "anonymous memory made writable and executable",
            )
        } else {
            (process::EXECMEM, "anonymous memory made executable")
        }
    } else if writable {
        (
            process::EXECMEM_RWX,
            "file mapping made writable and executable",
        )
    } else if vm_flags & (bindings::VM_WRITE as c_ulong) != 0 {
        (process::EXECMEM, "writable memory made executable")
    } else if !anon.is_null() {
        // Private pages of the file were written (copy-on-write copies exist): what would
        // run is not the file's content (SELinux's `execmod`).
        (
            process::EXECMEM,
            "modified private file mapping made executable",
        )
    } else {
        (0, "")
    };
    if needs != 0 {
        if let Err(e) = check_execmem("file_mprotect", &subject, needs, what) {
            return to_ret(Err(e));
        }
    }
    if anonymous {
        return 0;
    }
    drop(subject);
    // SAFETY: The vma holds a reference to its file.
    to_ret(unsafe { check_file("file_mprotect", file, perm::EXECUTE) })
}

/// `path_unlink`.
pub(crate) unsafe extern "C" fn path_unlink(
    dir: *const bindings::path,
    dentry: *mut bindings::dentry,
) -> c_int {
    // SAFETY: The VFS passes the locked parent and the victim.
    to_ret(unsafe { check_child("path_unlink", dir, dentry, perm::UNLINK) })
}

/// The permission that creating an object of the kind `mode` (its `S_IFMT` bits) needs.
fn create_perm(mode: u32) -> u32 {
    match mode & S_IFMT {
        S_IFDIR => perm::MKDIR,
        S_IFLNK => perm::SYMLINK,
        0 | S_IFREG => perm::CREATE,
        _ => perm::MKNOD,
    }
}

/// The `i_mode` of a positive dentry's inode (0 for a negative dentry).
///
/// # Safety
///
/// `dentry` must be live.
unsafe fn mode_of(dentry: *const bindings::dentry) -> u32 {
    // SAFETY: Guaranteed by the caller.
    let inode = unsafe { inode_of(dentry) };
    if inode.is_null() {
        return 0;
    }
    // SAFETY: A positive dentry's inode is live.
    u32::from(unsafe { (*inode).i_mode })
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
///
/// # Safety
///
/// `inode` must be null or a live inode with a blob.
unsafe fn check_new(
    op: &'static str,
    subject: &Subject<'_>,
    name: Name<'_>,
    inode: *const bindings::inode,
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
        let cache = (!inode.is_null()).then(|| {
            // SAFETY: Guaranteed by the caller.
            unsafe { &*blob::inode(inode) }
        });
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
/// object ([`check_new`]).
///
/// # Safety
///
/// `dir` and `dentry` must be live, `dentry` on `dir`'s mount.
unsafe fn check_new_name(
    op: &'static str,
    subject: &Subject<'_>,
    dir: *const bindings::path,
    dentry: *mut bindings::dentry,
    perms: u32,
    symlink: bool,
) -> Result {
    // SAFETY: Guaranteed by the caller; the dentry (positive or not) is live.
    unsafe {
        fspath::with_child(dir, dentry, |name| {
            check_new(op, subject, name, inode_of(dentry), perms, symlink)
        })
    }?
}

/// [`check_new_name`] for the current task (nothing to check when unconfined).
///
/// # Safety
///
/// As for [`check_new_name`].
unsafe fn check_create(
    op: &'static str,
    dir: *const bindings::path,
    dentry: *mut bindings::dentry,
    perms: u32,
    symlink: bool,
) -> Result {
    let Some(subject) = Subject::current() else {
        return Ok(());
    };
    // SAFETY: Guaranteed by the caller.
    unsafe { check_new_name(op, &subject, dir, dentry, perms, symlink) }
}

/// Checks moving a directory away from, or to, `name`: everything below it leaves, or
/// gets, the types the policy gives below `name` (`PolicyView::types_below`), so the
/// domain needs `perms` on each of them (`rename` to take objects out of a type, `create`
/// to bring objects into one, as if it made them there). A protected type below is
/// refused in every mode.
fn check_subtree(op: &'static str, subject: &Subject<'_>, name: &[u8], perms: u32) -> Result {
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
///
/// # Safety
///
/// `dentry` must be live.
unsafe fn mark_written(subject: &Subject<'_>, dentry: *const bindings::dentry) {
    // SAFETY: Guaranteed by the caller.
    let inode = unsafe { inode_of(dentry) };
    if !inode.is_null() {
        // SAFETY: A positive dentry's inode is live and has a blob.
        unsafe { (*blob::inode(inode)).mark_written(subject.domain()) };
    }
}

/// `path_mkdir`: `mkdir` on the new name.
pub(crate) unsafe extern "C" fn path_mkdir(
    dir: *const bindings::path,
    dentry: *mut bindings::dentry,
    _mode: bindings::umode_t,
) -> c_int {
    // SAFETY: The VFS passes the locked parent and the new dentry.
    to_ret(unsafe { check_create("path_mkdir", dir, dentry, perm::MKDIR, false) })
}

/// `path_rmdir`.
pub(crate) unsafe extern "C" fn path_rmdir(
    dir: *const bindings::path,
    dentry: *mut bindings::dentry,
) -> c_int {
    // SAFETY: The VFS passes the locked parent and the victim.
    to_ret(unsafe { check_child("path_rmdir", dir, dentry, perm::RMDIR) })
}

/// `path_mknod`: regular files (`open(O_CREAT)` comes here too) need `create`, device
/// nodes, fifos and sockets `mknod`.
pub(crate) unsafe extern "C" fn path_mknod(
    dir: *const bindings::path,
    dentry: *mut bindings::dentry,
    mode: bindings::umode_t,
    _dev: c_uint,
) -> c_int {
    let perms = create_perm(u32::from(mode));
    // SAFETY: The VFS passes the locked parent and the new dentry.
    to_ret(unsafe { check_create("path_mknod", dir, dentry, perms, false) })
}

/// `path_symlink`: `symlink` on the new link's path.
pub(crate) unsafe extern "C" fn path_symlink(
    dir: *const bindings::path,
    dentry: *mut bindings::dentry,
    _old_name: *const kernel::ffi::c_char,
) -> c_int {
    // SAFETY: The VFS passes the locked parent and the new dentry.
    to_ret(unsafe { check_create("path_symlink", dir, dentry, perm::SYMLINK, true) })
}

/// `path_link`: `link` on the existing file's type (never a protected one), and on the
/// new name `link` with what creating such an object there needs: a hard link must not
/// give a file a type its domain could not have created it with.
pub(crate) unsafe extern "C" fn path_link(
    old_dentry: *mut bindings::dentry,
    new_dir: *const bindings::path,
    new_dentry: *mut bindings::dentry,
) -> c_int {
    let Some(subject) = Subject::current() else {
        // Whoever links, a protected object stays one by its new name (`protect.rs`); the
        // name is built only when the policy protects something.
        if crate::protect::any_protected() {
            // SAFETY: Hard links stay within one mount; the source is positive.
            let _ = unsafe {
                fspath::with_child(new_dir, old_dentry, |name| {
                    crate::protect::before_link(name, inode_of(old_dentry))
                })
            };
        }
        return 0;
    };
    // SAFETY: The VFS passes the live source dentry.
    let mode = unsafe { mode_of(old_dentry) };
    // SAFETY: Hard links stay within one mount, so the old dentry is on `new_dir`'s mount.
    let old = unsafe { check_child("path_link", new_dir, old_dentry, perm::LINK) };
    // SAFETY: The VFS passes the locked parent and the new dentry.
    let result = old.and_then(|()| unsafe {
        check_new_name(
            "path_link",
            &subject,
            new_dir,
            new_dentry,
            create_perm(mode) | perm::LINK,
            mode & S_IFMT == S_IFLNK,
        )
    });
    if result.is_ok() {
        // SAFETY: As above.
        unsafe { mark_written(&subject, old_dentry) };
    }
    to_ret(result)
}

/// Checks moving the object at `from` (in `from_dir`) to the name `to` (in `to_dir`):
/// `rename` on its type where it leaves (for a directory, on every type below it too),
/// and where it arrives `rename` with what creating such an object there needs (for a
/// directory, `create` on every type below the new name), and nothing reserved below
/// the new name. As Landlock's `REFER` right: a move never gives an object, or anything
/// below a moved directory, a type its domain could not have created it with, and never
/// takes one out of a type its domain may not move things out of.
///
/// # Safety
///
/// All four must be live, each dentry on its directory's mount; `from` positive.
unsafe fn check_move(
    subject: &Subject<'_>,
    from_dir: *const bindings::path,
    from: *mut bindings::dentry,
    to_dir: *const bindings::path,
    to: *mut bindings::dentry,
) -> Result {
    const OP: &str = "path_rename";
    // SAFETY: Guaranteed by the caller.
    let mode = unsafe { mode_of(from) };
    let is_dir = mode & S_IFMT == S_IFDIR;
    // SAFETY: Guaranteed by the caller.
    unsafe {
        fspath::with_child(from_dir, from, |name| -> Result {
            check_name(OP, subject, name, inode_of(from), perm::RENAME, None)?;
            if is_dir {
                // For a name too long to build: every type below the directory named.
                check_subtree(OP, subject, name.bytes(), perm::RENAME)?;
            }
            Ok(())
        })
    }??;
    let arrive = perm::RENAME | create_perm(mode);
    // SAFETY: Guaranteed by the caller.
    unsafe {
        fspath::with_child(to_dir, to, |name| -> Result {
            check_new(
                OP,
                subject,
                name,
                inode_of(to),
                arrive,
                mode & S_IFMT == S_IFLNK,
            )?;
            if is_dir {
                check_subtree(OP, subject, name.bytes(), perm::CREATE)?;
            }
            Ok(())
        })
    }?
}

/// Before an unconfined task's rename: the moved objects (both, with `RENAME_EXCHANGE`) and,
/// for a directory, the protected objects below it keep their protection by their new
/// names (`protect.rs`). Does nothing when the policy protects nothing.
///
/// # Safety
///
/// As for `path_rename`: both parents locked and live, their children live, the source
/// positive, and with `RENAME_EXCHANGE` the target too.
unsafe fn protect_moved(
    old_dir: *const bindings::path,
    old_dentry: *mut bindings::dentry,
    new_dir: *const bindings::path,
    new_dentry: *mut bindings::dentry,
    flags: c_uint,
) {
    if !crate::protect::any_protected() {
        return;
    }
    let moved = |dir: *const bindings::path, dentry: *mut bindings::dentry| {
        // SAFETY: Guaranteed by the caller: `dentry` is positive, below `dir`.
        unsafe {
            let inode = inode_of(dentry);
            let _ = fspath::with_child(dir, dentry, |name| {
                crate::protect::before_link(name, inode);
                if u32::from((*inode).i_mode) & S_IFMT == S_IFDIR {
                    crate::protect::before_move_dir(name, dentry);
                }
            });
        }
    };
    moved(old_dir, old_dentry);
    if flags & RENAME_EXCHANGE != 0 {
        moved(new_dir, new_dentry);
    }
}

/// `path_rename`: see [`check_move`]; with `RENAME_EXCHANGE` both objects move, and
/// each is checked as a move. A replaced target needs `rename` on its type, which the
/// arrival check asks on the same name.
pub(crate) unsafe extern "C" fn path_rename(
    old_dir: *const bindings::path,
    old_dentry: *mut bindings::dentry,
    new_dir: *const bindings::path,
    new_dentry: *mut bindings::dentry,
    flags: c_uint,
) -> c_int {
    let Some(subject) = Subject::current() else {
        // Whoever renames, a protected object keeps its protection by its new name
        // (`protect.rs`, as for a link); the name is built only when the policy protects
        // something. (A confined task's rename of a protected object, or of a directory
        // holding one by name, is refused by `check_move`: it needs no mark.)
        // SAFETY: The VFS passes both locked parents and their positive children.
        unsafe { protect_moved(old_dir, old_dentry, new_dir, new_dentry, flags) };
        return 0;
    };
    // SAFETY: The VFS passes both locked parents and their children; the source is
    // positive, and with RENAME_EXCHANGE so is the target.
    let mut result = unsafe { check_move(&subject, old_dir, old_dentry, new_dir, new_dentry) };
    if flags & RENAME_EXCHANGE != 0 {
        // SAFETY: As above.
        result = result.and_then(|()| unsafe {
            check_move(&subject, new_dir, new_dentry, old_dir, old_dentry)
        });
    }
    if result.is_ok() {
        // SAFETY: As above.
        unsafe {
            mark_written(&subject, old_dentry);
            if flags & RENAME_EXCHANGE != 0 {
                mark_written(&subject, new_dentry);
            }
        }
    }
    to_ret(result)
}

/// `path_truncate`: `write`.
pub(crate) unsafe extern "C" fn path_truncate(path: *const bindings::path) -> c_int {
    // SAFETY: The VFS passes a live path.
    let result = unsafe { check_path("path_truncate", path, perm::WRITE) };
    if let (Ok(()), Some(subject)) = (&result, Subject::current()) {
        // SAFETY: A live path holds its dentry.
        unsafe { mark_written(&subject, (*path).dentry) };
    }
    to_ret(result)
}

/// `path_chmod`: `setattr`.
pub(crate) unsafe extern "C" fn path_chmod(
    path: *const bindings::path,
    _mode: bindings::umode_t,
) -> c_int {
    // SAFETY: The VFS passes a live path.
    to_ret(unsafe { check_path("path_chmod", path, perm::SETATTR) })
}

/// `path_chown`: `setattr`.
pub(crate) unsafe extern "C" fn path_chown(
    path: *const bindings::path,
    _uid: bindings::kuid_t,
    _gid: bindings::kgid_t,
) -> c_int {
    // SAFETY: The VFS passes a live path.
    to_ret(unsafe { check_path("path_chown", path, perm::SETATTR) })
}

/// `inode_getattr` (`stat(2)` and friends): `getattr`.
///
/// Objects on the kernel's internal mounts (pipes, sockets, anonymous inodes, memfds) are
/// left alone: no path rule can name them and a descriptor to them was already decided
/// on; `fstat` on them (which every `printf` to a pipe does) reveals nothing more.
pub(crate) unsafe extern "C" fn inode_getattr(path: *const bindings::path) -> c_int {
    // SAFETY: The VFS passes a live path.
    to_ret(unsafe { check_path("inode_getattr", path, perm::GETATTR) })
}

/// `inode_setxattr`: `xattr` on the type remembered for the inode.
pub(crate) unsafe extern "C" fn inode_setxattr(
    _idmap: *mut bindings::mnt_idmap,
    dentry: *mut bindings::dentry,
    _name: *const kernel::ffi::c_char,
    _value: *const kernel::ffi::c_void,
    _size: usize,
    _flags: c_int,
) -> c_int {
    // SAFETY: The VFS passes a live dentry.
    to_ret(unsafe { check_dentry("inode_setxattr", dentry, perm::XATTR) })
}

/// `inode_removexattr`: `xattr`.
pub(crate) unsafe extern "C" fn inode_removexattr(
    _idmap: *mut bindings::mnt_idmap,
    dentry: *mut bindings::dentry,
    _name: *const kernel::ffi::c_char,
) -> c_int {
    // SAFETY: The VFS passes a live dentry.
    to_ret(unsafe { check_dentry("inode_removexattr", dentry, perm::XATTR) })
}

/// `inode_getxattr`: reading an attribute is `getattr`.
pub(crate) unsafe extern "C" fn inode_getxattr(
    dentry: *mut bindings::dentry,
    _name: *const kernel::ffi::c_char,
) -> c_int {
    // SAFETY: The VFS passes a live dentry.
    to_ret(unsafe { check_dentry("inode_getxattr", dentry, perm::GETATTR) })
}

/// `inode_listxattr`: `getattr`.
pub(crate) unsafe extern "C" fn inode_listxattr(dentry: *mut bindings::dentry) -> c_int {
    // SAFETY: The VFS passes a live dentry.
    to_ret(unsafe { check_dentry("inode_listxattr", dentry, perm::GETATTR) })
}

/// `file_ioctl`: `ioctl` on the file's type.
pub(crate) unsafe extern "C" fn file_ioctl(
    file: *mut bindings::file,
    _cmd: c_uint,
    _arg: c_ulong,
) -> c_int {
    // SAFETY: The VFS passes an open file.
    to_ret(unsafe { check_file("file_ioctl", file, perm::IOCTL) })
}

/// `file_ioctl_compat`: as `file_ioctl`, for 32-bit callers.
pub(crate) unsafe extern "C" fn file_ioctl_compat(
    file: *mut bindings::file,
    cmd: c_uint,
    arg: c_ulong,
) -> c_int {
    // SAFETY: As above.
    unsafe { file_ioctl(file, cmd, arg) }
}

/// `file_lock` (`flock(2)`): `lock`.
pub(crate) unsafe extern "C" fn file_lock(file: *mut bindings::file, _cmd: c_uint) -> c_int {
    // SAFETY: The VFS passes an open file.
    to_ret(unsafe { check_file("file_lock", file, perm::LOCK) })
}

/// `fcntl` commands that take record locks (`F_SETLK`, `F_SETLKW`, `F_OFD_SETLK`,
/// `F_OFD_SETLKW`; `include/uapi/asm-generic/fcntl.h`).
const LOCK_CMDS: [c_uint; 4] = [6, 7, 37, 38];

/// `file_fcntl`: record locks need `lock`. The other commands change descriptor flags,
/// owners and signals, which cannot widen the access checked at open, so they are let
/// through.
pub(crate) unsafe extern "C" fn file_fcntl(
    file: *mut bindings::file,
    cmd: c_uint,
    _arg: c_ulong,
) -> c_int {
    if !LOCK_CMDS.contains(&cmd) {
        return 0;
    }
    // SAFETY: The VFS passes an open file.
    to_ret(unsafe { check_file("file_fcntl", file, perm::LOCK) })
}

/// Checks `perms` on an open regular file: by its inode's remembered type when there is
/// one for the policy in force (the common case, no path needed), else by its path.
///
/// # Safety
///
/// `file` must be a live open file.
unsafe fn check_open_file(
    op: &'static str,
    subject: &Subject<'_>,
    file: *mut bindings::file,
    perms: u32,
) -> Result {
    // SAFETY: An open file has an inode with a blob.
    let inode = unsafe { (*file).f_inode };
    // SAFETY: As above.
    match unsafe { answer(subject, inode, None, perms, None) } {
        Answer::Policy(true, _) => subject.verdict(true, DENIED, &ask(op, perms, Object::None)),
        // Denied, or not classified yet: decide (again) by the path, which the report
        // names.
        _ => {
            // SAFETY: An open file's path and inode are live.
            unsafe {
                fspath::with(&raw const (*file).f_path, |name| {
                    check_name(op, subject, name, inode, perms, None)
                })
            }?
        }
    }
}

/// The permission a write needs on a file opened with `flags`.
fn write_perm(flags: u32) -> u32 {
    if flags & bindings::O_APPEND != 0 {
        perm::APPEND
    } else {
        perm::WRITE
    }
}

/// `S_IFSOCK` (`include/uapi/linux/stat.h`).
const S_IFSOCK: u32 = 0o140000;

/// Checks `perms` on an open file of a kind that only some policies type (devices, named
/// fifos): by its type when the policy gives it one, and not at all when the policy does
/// not name it (a terminal the task inherited as its standard output).
///
/// # Safety
///
/// `file` must be a live open file.
unsafe fn check_typed_only(
    op: &'static str,
    subject: &Subject<'_>,
    file: *mut bindings::file,
    perms: u32,
) -> Result {
    // SAFETY: An open file has an inode with a blob.
    let inode = unsafe { (*file).f_inode };
    // SAFETY: As above.
    match unsafe { answer(subject, inode, None, perms, None) } {
        Answer::Policy(true, _) => {
            return subject.verdict(true, DENIED, &ask(op, perms, Object::None))
        }
        Answer::Policy(false, 0) => return Ok(()),
        _ => {}
    }
    // SAFETY: An open file's path and inode are live.
    unsafe {
        fspath::with(&raw const (*file).f_path, |name| {
            // SAFETY: As above.
            match answer(subject, inode, Some(name), perms, None) {
                Answer::Policy(false, 0) => Ok(()),
                a => apply(op, subject, a, perms, object_of(name)),
            }
        })
    }?
}

/// Checks an access to an already open file for the current task; `perms` gives the
/// permissions needed from the file's `f_mode` and `f_flags` (0: nothing to check) and
/// whether it is a directory. Unconfined tasks return at once. Regular files and
/// directories are decided by their type; sockets by their peer when they were made
/// outside the domain (`net::check_foreign_for`); devices and named fifos by their type
/// when the policy gives them one; objects on the kernel's internal mounts (pipes,
/// memfds, anonymous inodes) have no path type and are left alone (`check_path`).
///
/// # Safety
///
/// `file` must be a live open file.
unsafe fn revalidate(
    op: &'static str,
    file: *mut bindings::file,
    perms: impl FnOnce(u32, u32, bool) -> u32,
) -> c_int {
    let Some(subject) = Subject::current() else {
        return 0;
    };
    // SAFETY: Guaranteed by the caller: an open file has an inode.
    let kind = unsafe { u32::from((*(*file).f_inode).i_mode) } & S_IFMT;
    if kind == S_IFSOCK {
        // SAFETY: A socket file's private data is its socket.
        let sock = unsafe { bindings::sock_from_file(file) };
        if sock.is_null() {
            return 0;
        }
        // SAFETY: The open file holds its socket.
        return to_ret(unsafe { crate::net::check_foreign_for(op, &subject, sock) });
    }
    // SAFETY: As above.
    let perms = perms(
        unsafe { (*file).f_mode },
        unsafe { (*file).f_flags },
        kind == S_IFDIR,
    );
    if perms == 0 {
        return 0;
    }
    // SAFETY: Guaranteed by the caller.
    if unsafe { on_internal_mount(file) } {
        // Pipes, memfds and the other objects of the internal mounts (`check_path`).
        // SAFETY: An open file's path holds its dentry.
        return to_ret(check_internal(
            op,
            &subject,
            unsafe { internal_kind((*file).f_path.dentry) },
            perms,
        ));
    }
    match kind {
        // SAFETY: As above.
        S_IFREG | S_IFDIR => to_ret(unsafe { check_open_file(op, &subject, file, perms) }),
        // SAFETY: As above.
        _ => to_ret(unsafe { check_typed_only(op, &subject, file, perms) }),
    }
}

/// `file_permission`: every read and write (and directory listing) of an open file is
/// checked again ([`revalidate`]), so a descriptor opened before a task entered its
/// domain (or before a policy reload) gives no more than the domain may have. It runs
/// for `read`/`write` and their vector forms, `getdents`, `splice`, `sendfile`,
/// `copy_file_range` and io_uring reads and writes (`rw_verify_area`). The inode's
/// remembered type keeps this cheap.
pub(crate) unsafe extern "C" fn file_permission(file: *mut bindings::file, mask: c_int) -> c_int {
    let mask = mask as u32;
    // SAFETY: The VFS passes an open file.
    unsafe {
        revalidate("file_permission", file, |_fmode, flags, dir| {
            let mut perms = 0;
            if mask & bindings::MAY_READ != 0 {
                perms |= if dir {
                    perm::READDIR
                } else if flags & FMODE_EXEC_FLAG != 0 {
                    perm::EXECUTE
                } else {
                    perm::READ
                };
            }
            if mask & bindings::MAY_WRITE != 0 {
                perms |= write_perm(flags);
            }
            perms
        })
    }
}

/// `file_receive` (descriptors passed over Unix sockets, `pidfd_getfd`): the receiving
/// domain needs the access the descriptor carries on the file's type.
pub(crate) unsafe extern "C" fn file_receive(file: *mut bindings::file) -> c_int {
    // SAFETY: The caller holds a reference to the file.
    unsafe {
        revalidate("file_receive", file, |fmode, flags, dir| {
            let mut perms = 0;
            if fmode & FMODE_READ != 0 {
                perms |= if dir { perm::READDIR } else { perm::READ };
            }
            if fmode & FMODE_WRITE != 0 {
                perms |= write_perm(flags);
            }
            perms
        })
    }
}

/// Whether the inode of `dentry` has a protected type under the policy in force (by its
/// protected mark, or the type remembered in the inode; an unclassified, unmarked inode
/// is not known to be protected).
///
/// # Safety
///
/// `dentry` must be live.
unsafe fn is_protected(dentry: *const bindings::dentry) -> bool {
    // SAFETY: Guaranteed by the caller.
    let inode = unsafe { inode_of(dentry) };
    if inode.is_null() {
        return false;
    }
    crate::policy::with_current(|p| {
        p.is_some_and(|p| {
            // SAFETY: A positive dentry's inode is live and has a blob.
            let security = unsafe { &*blob::inode(inode) };
            crate::protect::type_of_mark(p.protected_index(), security.protected_mark()).is_some()
                || security
                    .load(p.generation())
                    .is_some_and(|t| p.view().type_is_protected(t))
        })
    })
}

/// Refuses, for a confined task, a namespace change that would remove or move a
/// protected object. A second line behind the `path_*` hooks, for the operations that
/// reach the inode layer by other ways.
///
/// # Safety
///
/// Every dentry must be live.
unsafe fn refuse_protected(
    op: &'static str,
    perms: u32,
    dentries: &[*const bindings::dentry],
) -> c_int {
    let Some(subject) = Subject::current() else {
        return 0;
    };
    // SAFETY: Guaranteed by the caller.
    if dentries.iter().any(|&d| unsafe { is_protected(d) }) {
        return to_ret(subject.refuse(EACCES, &ask(op, perms, Object::Text("protected"))));
    }
    // Not protected: the permission itself was decided by the matching `path_*` hook.
    0
}

/// `inode_unlink`: protected objects are never unlinked.
pub(crate) unsafe extern "C" fn inode_unlink(
    _dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
) -> c_int {
    // SAFETY: The VFS passes the victim's live dentry.
    unsafe { refuse_protected("inode_unlink", perm::UNLINK, &[dentry]) }
}

/// `inode_rmdir`: protected directories are never removed.
pub(crate) unsafe extern "C" fn inode_rmdir(
    _dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
) -> c_int {
    // SAFETY: The VFS passes the victim's live dentry.
    unsafe { refuse_protected("inode_rmdir", perm::RMDIR, &[dentry]) }
}

/// `inode_link`: protected objects get no new names. For every task, it also tells the
/// path type cache that an inode gets another name (`pathcache::note_link`).
pub(crate) unsafe extern "C" fn inode_link(
    old_dentry: *mut bindings::dentry,
    _dir: *mut bindings::inode,
    _new_dentry: *mut bindings::dentry,
) -> c_int {
    crate::pathcache::note_link();
    // SAFETY: The VFS passes the live source dentry.
    unsafe { refuse_protected("inode_link", perm::LINK, &[old_dentry]) }
}

/// `inode_rename`: protected objects are neither moved nor replaced.
pub(crate) unsafe extern "C" fn inode_rename(
    _old_dir: *mut bindings::inode,
    old_dentry: *mut bindings::dentry,
    _new_dir: *mut bindings::inode,
    new_dentry: *mut bindings::dentry,
) -> c_int {
    // SAFETY: The VFS passes both live dentries (the target may be negative).
    unsafe { refuse_protected("inode_rename", perm::RENAME, &[old_dentry, new_dentry]) }
}

/// `iattr.ia_valid` bits (`include/linux/fs.h`).
const ATTR_MODE: u32 = 1 << 0;
const ATTR_UID: u32 = 1 << 1;
const ATTR_GID: u32 = 1 << 2;
const ATTR_SIZE: u32 = 1 << 3;
const ATTR_ATIME_SET: u32 = 1 << 7;
const ATTR_FILE: u32 = 1 << 13;
const ATTR_MTIME_SET: u32 = 1 << 8;
const ATTR_TIMES_SET: u32 = 1 << 16;

/// `inode_setattr`: size changes need `write`; mode, ownership and explicit timestamps
/// need `setattr`; timestamps set to "now" need `write` (what writing does anyway). The
/// type is the one remembered in the inode: an object never reached by a path under the
/// policy in force is refused (`utimensat` on a path has no path hook; `touch` opens the
/// file first, which classifies it).
pub(crate) unsafe extern "C" fn inode_setattr(
    _idmap: *mut bindings::mnt_idmap,
    dentry: *mut bindings::dentry,
    attr: *mut bindings::iattr,
) -> c_int {
    if Subject::current().is_none() {
        return 0;
    }
    // SAFETY: The VFS passes a live iattr.
    let valid = unsafe { (*attr).ia_valid };
    let mut perms = 0;
    if valid & (ATTR_MODE | ATTR_UID | ATTR_GID | ATTR_ATIME_SET | ATTR_MTIME_SET | ATTR_TIMES_SET)
        != 0
    {
        perms |= perm::SETATTR;
    }
    if valid & ATTR_SIZE != 0 || perms == 0 {
        perms |= perm::WRITE;
    }
    // A change made through an open file (open with O_TRUNC, ftruncate) names that file:
    // decide by its path, as its open was, so that a policy loaded between the open and
    // the change finds the object's type under the new policy instead of an inode not yet
    // classified by it (found by the concurrency stress suite).
    if valid & ATTR_FILE != 0 {
        // SAFETY: With ATTR_FILE the VFS sets `ia_file` to the open file the change goes
        // through, live for the call.
        let file = unsafe { (*attr).ia_file };
        if !file.is_null() {
            // SAFETY: As above.
            return to_ret(unsafe { check_file("inode_setattr", file, perms) });
        }
    }
    // SAFETY: The VFS passes a live dentry.
    to_ret(unsafe { check_dentry("inode_setattr", dentry, perms) })
}
