//! `lsm_set_self_attr(2)` with `LSM_ATTR_EXEC`: ask the tcp LSM for a domain at the next exec.
//!
//! This is the only module of the crate allowed to use `unsafe` (the crate's `[lints]`
//! table denies it everywhere else, and the workspace forbids it in every other crate).
//! The reason: `lsm_set_self_attr` (Linux 6.8) has no safe wrapper in the standard
//! library or in a maintained crate (nix and rustix do not wrap it), so the call goes
//! through `libc::syscall` with a pointer to a `struct lsm_ctx` this module builds. The
//! encoding is safe code and unit-tested; the one `unsafe` block is the system call.
//!
//! The request is what `guest-tests/probe/tcp-probe.c` sends (`request_exec`): a
//! `struct lsm_ctx` whose `ctx` is the domain name with its terminating NUL, `ctx_len` the
//! name's length plus one, `len` the 32-byte header plus `ctx_len` (no padding), `flags`
//! 0, and the system call's size argument equal to `len`.

use std::io;

/// `LSM_ATTR_EXEC` in `include/uapi/linux/lsm.h` (6.12): the attribute for the next exec.
pub const LSM_ATTR_EXEC: u64 = 101;

/// `__NR_lsm_set_self_attr`: 460 in the generic system call table, on x86-64 too.
const SYS_LSM_SET_SELF_ATTR: libc::c_long = 460;

/// Size of `struct lsm_ctx` without its flexible `ctx` array: `id`, `flags`, `len` and
/// `ctx_len`, four `u64`s.
pub const LSM_CTX_HEADER_SIZE: usize = 32;

/// Encodes the `struct lsm_ctx` that asks LSM `lsm_id` for `value` (a string attribute,
/// sent NUL-terminated). `None` when `value` contains a NUL byte.
pub fn encode_lsm_ctx(lsm_id: u64, value: &str) -> Option<Vec<u8>> {
    if value.as_bytes().contains(&0) {
        return None;
    }
    let ctx_len = value.len() + 1;
    let len = LSM_CTX_HEADER_SIZE + ctx_len;
    let mut buf = Vec::with_capacity(len);
    buf.extend_from_slice(&lsm_id.to_ne_bytes());
    buf.extend_from_slice(&0u64.to_ne_bytes()); // flags
    buf.extend_from_slice(&u64::try_from(len).ok()?.to_ne_bytes());
    buf.extend_from_slice(&u64::try_from(ctx_len).ok()?.to_ne_bytes());
    buf.extend_from_slice(value.as_bytes());
    buf.push(0);
    Some(buf)
}

/// Calls `lsm_set_self_attr(attr, ctx, ctx.len(), 0)`; the error is the kernel's errno.
pub fn lsm_set_self_attr(attr: u64, ctx: &[u8]) -> io::Result<()> {
    let size = u32::try_from(ctx.len()).map_err(|_| io::Error::from_raw_os_error(libc::E2BIG))?;
    // SAFETY: `ctx` is a live, initialised buffer of exactly `size` bytes for the whole
    // call; the kernel only reads it (it copies `size` bytes with `memdup_user`) and keeps
    // no pointer to it. The other arguments are plain integers. `syscall` is variadic: each
    // argument is passed as the `long`/pointer-sized value the kernel's ABI expects.
    let rc = unsafe {
        libc::syscall(
            SYS_LSM_SET_SELF_ATTR,
            attr as libc::c_ulong,
            ctx.as_ptr(),
            size as libc::c_ulong,
            0 as libc::c_ulong,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u64_at(buf: &[u8], at: usize) -> u64 {
        let mut word = [0u8; 8];
        word.copy_from_slice(buf.get(at..at + 8).expect("field in range"));
        u64::from_ne_bytes(word)
    }

    #[test]
    fn lsm_ctx_is_what_the_probe_sends() {
        let buf = encode_lsm_ctx(114, "agent").expect("encodes");
        assert_eq!(buf.len(), 32 + 6);
        assert_eq!(u64_at(&buf, 0), 114, "id");
        assert_eq!(u64_at(&buf, 8), 0, "flags");
        assert_eq!(u64_at(&buf, 16), 38, "len: header + ctx_len, no padding");
        assert_eq!(u64_at(&buf, 24), 6, "ctx_len: strlen + 1");
        assert_eq!(buf.get(32..), Some(&b"agent\0"[..]), "NUL-terminated name");
    }

    #[test]
    fn lsm_ctx_refuses_an_inner_nul() {
        assert_eq!(encode_lsm_ctx(114, "a\0b"), None);
        let empty = encode_lsm_ctx(114, "").expect("the kernel judges an empty name");
        assert_eq!(empty.len(), 33);
        assert_eq!(u64_at(&empty, 24), 1);
    }

    #[test]
    fn attribute_number_matches_the_uapi_header() {
        assert_eq!(LSM_ATTR_EXEC, 101);
        assert_eq!(LSM_CTX_HEADER_SIZE, 4 * std::mem::size_of::<u64>());
    }
}
