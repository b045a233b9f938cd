// SPDX-License-Identifier: GPL-2.0

//! Operations on the system as a whole: `kernel_module_request`, `kernel_load_data`,
//! `kernel_read_file`, `perf_event_open`, `bpf`, `bpf_map`, `bpf_prog`, `settime` and the
//! io_uring hooks (`uring_override_creds`, `uring_sqpoll`, `uring_cmd`).

use kernel::bindings;
use kernel::error::code::EPERM;
use kernel::ffi::{c_char, c_int, c_uint};

use crate::decide::{Ask, Object, Subject};
use crate::engine::perm::bits::system;
use crate::engine::perm::Class;
use crate::errno::to_ret;

/// Checks a system operation bit for the current task.
pub(crate) fn system_op(hook: &'static str, bit: u32) -> c_int {
    match Subject::current() {
        None => 0,
        Some(s) => to_ret(s.check(
            EPERM,
            &Ask::new(hook, Class::System, u64::from(bit), Object::None),
            |_, d| d.system() & bit != 0,
        )),
    }
}

/// `kernel_module_request`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn kernel_module_request(_name: *mut c_char) -> c_int {
    system_op("kernel_module_request", system::MODULE_REQUEST)
}

/// The system operation bit for loading what `id` names (`enum kernel_read_file_id`, the
/// same numbering as `enum kernel_load_data_id`): kernel modules are `module-load`, kexec
/// images and initramfs `kexec`, everything else (firmware, security policies, X.509
/// certificates, unknown) `kernel-read-file`.
fn load_bit(id: u32) -> u32 {
    const MODULE: u32 = bindings::kernel_read_file_id_READING_MODULE;
    const KEXEC_IMAGE: u32 = bindings::kernel_read_file_id_READING_KEXEC_IMAGE;
    const KEXEC_INITRAMFS: u32 = bindings::kernel_read_file_id_READING_KEXEC_INITRAMFS;
    match id {
        MODULE => system::MODULE_LOAD,
        KEXEC_IMAGE | KEXEC_INITRAMFS => system::KEXEC,
        _ => system::KERNEL_READ_FILE,
    }
}

/// `kernel_load_data` (module, kexec image, firmware or policy blobs from memory).
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn kernel_load_data(
    id: bindings::kernel_load_data_id,
    _contents: bool,
) -> c_int {
    system_op("kernel_load_data", load_bit(id))
}

/// `kernel_read_file` (modules, kexec images, firmware read from files).
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn kernel_read_file(
    _file: *mut bindings::file,
    id: bindings::kernel_read_file_id,
    _contents: bool,
) -> c_int {
    system_op("kernel_read_file", load_bit(id))
}

/// `perf_event_open`: `perf` (every kind of access: open, CPU-wide, kernel, tracepoint).
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn perf_event_open(_kind: c_int) -> c_int {
    system_op("perf_event_open", system::PERF)
}

/// `bpf`: every `bpf(2)` command.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn bpf(
    _cmd: c_int,
    _attr: *mut bindings::bpf_attr,
    _size: c_uint,
) -> c_int {
    system_op("bpf", system::BPF)
}

/// `settime`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn settime(
    _ts: *const bindings::timespec64,
    _tz: *const bindings::timezone,
) -> c_int {
    system_op("settime", system::TIME)
}

/// `uring_override_creds`: io_uring running requests with other creds.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn uring_override_creds(new: *const bindings::cred) -> c_int {
    if !new.is_null() {
        // What io_uring runs with this cred is the task's choice, never a file system's
        // (`blob::creds_overridden_by_kernel`).
        // SAFETY: io_uring passes a live cred it holds; live creds carry blobs.
        unsafe { (*crate::blob::cred(new)).mark_uring_personality() };
    }
    system_op("uring_override_creds", system::IO_URING)
}

/// `uring_sqpoll`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn uring_sqpoll() -> c_int {
    system_op("uring_sqpoll", system::IO_URING)
}

/// `uring_cmd`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn uring_cmd(_cmd: *mut bindings::io_uring_cmd) -> c_int {
    system_op("uring_cmd", system::IO_URING)
}

/// `bpf_map` (a descriptor for a BPF map, e.g. from a pinned path): `bpf`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn bpf_map(
    _map: *mut bindings::bpf_map,
    _fmode: bindings::fmode_t,
) -> c_int {
    system_op("bpf_map", system::BPF)
}

/// `bpf_prog` (a descriptor for a BPF program): `bpf`.
///
/// # Safety
///
/// The LSM framework calls it as this LSM's hook of the same name, with that hook's
/// arguments, live for the call.
pub(crate) unsafe extern "C" fn bpf_prog(_prog: *mut bindings::bpf_prog) -> c_int {
    system_op("bpf_prog", system::BPF)
}
