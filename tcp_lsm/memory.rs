// SPDX-License-Identifier: GPL-2.0

//! Memory hooks: `mmap_file`, `file_mprotect` and `mmap_addr`. A domain maps a file
//! executable only with `execute` on its type, and never gets anonymous or writable
//! executable memory unless its policy grants `execmem` (and `execmem-rwx`).

use kernel::bindings;
use kernel::error::code::{EACCES, EPERM};
use kernel::ffi::{c_int, c_ulong};
use kernel::prelude::*;

use crate::decide::{Ask, Object, Subject};
use crate::engine::perm::bits::{file as perm, process};
use crate::engine::perm::{Class, Internal};
use crate::errno::to_ret;
use crate::fscheck::{
    answer_for_type, check_file, check_internal, internal_kind, on_internal_mount, Answer,
};
use crate::vfs::KFile;

/// `PROT_*` (`include/uapi/asm-generic/mman-common.h`, a header the kernel's bindings do not
/// include: values from the C compiler, `layout_c.c`).
const PROT_WRITE: c_ulong = crate::layout::PROT_WRITE as c_ulong;

const PROT_EXEC: c_ulong = crate::layout::PROT_EXEC as c_ulong;

/// `MAP_TYPE`, `MAP_SHARED`, `MAP_SHARED_VALIDATE` (`include/uapi/linux/mman.h`; as above).
const MAP_TYPE: c_ulong = crate::layout::MAP_TYPE as c_ulong;

const MAP_SHARED: c_ulong = crate::layout::MAP_SHARED as c_ulong;

const MAP_SHARED_VALIDATE: c_ulong = crate::layout::MAP_SHARED_VALIDATE as c_ulong;

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

/// Whether executable mappings of `file` (on an internal mount) run as a file's would: a
/// memfd in a domain granted `execute` on `internal.memfd`, which chose to run what it
/// puts there (as `fexecve` of it). Other such code is memory no file holds (`execmem`).
fn memfd_runs_as_file(subject: &Subject<'_>, file: KFile<'_>) -> bool {
    if internal_kind(file.path().dentry()) != Some(Internal::Memfd) {
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

/// `mmap_file`: mapping a file needs `mmap` on its type, executable mappings `execute`
/// too, shared writable ones `write` too. Executable memory that no file of a type holds
/// (anonymous memory, objects of the internal mounts such as memfds) needs `execmem`,
/// writable and executable memory `execmem-rwx` ([`check_execmem`]). Mappings of objects
/// on the internal mounts (memfds, io_uring rings, other anonymous inodes) need `mmap`
/// (and `write` when shared writable) on their kind ([`check_internal`]); SysV shared
/// memory was decided when it was attached (`shm_shmat`).
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
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
    // SAFETY: A file being mapped is open for the call, with its path set.
    let file = (!file.is_null()).then(|| unsafe { KFile::new(file) });
    let internal = file.is_some_and(on_internal_mount);
    let mut perms = perm::MMAP;
    if prot & PROT_WRITE != 0 && matches!(flags & MAP_TYPE, MAP_SHARED | MAP_SHARED_VALIDATE) {
        perms |= perm::WRITE;
    }
    if prot & PROT_EXEC != 0 {
        let as_file = internal && file.is_some_and(|f| memfd_runs_as_file(&subject, f));
        let anonymous = file.is_none() || (internal && !as_file);
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
        if !anonymous {
            perms |= perm::EXECUTE;
        }
    }
    let Some(file) = file else {
        return 0;
    };
    if internal {
        // A memfd, a SysV segment, an io_uring ring: mapped as what it is (its code, if
        // executable, is decided as memory no file holds, above).
        return to_ret(check_internal(
            "mmap_file",
            &subject,
            internal_kind(file.path().dentry()),
            perms,
        ));
    }
    to_ret(check_file("mmap_file", file, perms))
}

/// `file_mprotect`: making memory executable needs a file mapping of an executable type;
/// memory no file of a type holds, or private file pages that were written, need
/// `execmem`, and memory writable at the same time `execmem-rwx` ([`check_execmem`]).
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
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
    // SAFETY: The vma holds a reference to its file, stable under the mmap lock.
    let file = (!file.is_null()).then(|| unsafe { KFile::new(file) });
    let anonymous = !file.is_some_and(|f| !on_internal_mount(f) || memfd_runs_as_file(&subject, f));
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
    match file {
        Some(file) if !anonymous => to_ret(check_file("file_mprotect", file, perm::EXECUTE)),
        _ => 0,
    }
}

/// `mmap_addr`: mapping below `mmap_min_addr` takes CAP_SYS_RAWIO, which commoncap checks
/// without asking the LSMs (`cap_mmap_addr`): refused here to every domain, as the
/// capability is never granted to one.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn mmap_addr(addr: c_ulong) -> c_int {
    // SAFETY: A plain read of a sysctl-tunable word (`vm.mmap_min_addr`), as commoncap does.
    let min = unsafe { bindings::dac_mmap_min_addr };
    if addr >= min {
        return 0;
    }
    match Subject::current() {
        None => 0,
        Some(s) => {
            let ask = Ask::new(
                "mmap_addr",
                Class::Capability,
                1 << CAP_SYS_RAWIO,
                Object::Text("below mmap_min_addr"),
            );
            to_ret(s.refuse(EPERM, &ask))
        }
    }
}

/// `CAP_SYS_RAWIO`.
const CAP_SYS_RAWIO: u32 = bindings::CAP_SYS_RAWIO;
