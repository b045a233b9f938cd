//! Constants shared by the kernel and userspace: names, ids and the securityfs layout.

/// Name of the LSM as listed in `/sys/kernel/security/lsm` and chosen with `lsm=`.
pub const LSM_NAME: &str = "tcp";

/// LSM id (`LSM_ID_TCP` in `include/uapi/linux/lsm.h` of the patched kernel), used by
/// `lsm_get_self_attr(2)` and `lsm_set_self_attr(2)`.
pub const LSM_ID: u64 = 114;

/// Version of the binary policy ABI, as read from `/sys/kernel/security/tcp/version`.
pub const POLICY_ABI_VERSION: u32 = 1;

/// Directory of the LSM's files under securityfs.
pub const SECURITYFS_DIR: &str = "/sys/kernel/security/tcp";

/// File listing the active LSMs.
pub const SECURITYFS_LSM_LIST: &str = "/sys/kernel/security/lsm";

/// Longest write the `mode` file accepts, in bytes (the longest mode name plus a newline,
/// rounded up).
pub const MODE_WRITE_MAX: usize = 16;
