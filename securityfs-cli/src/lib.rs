//! Access to the TCP LSM's securityfs files, shared by `tcp-policy` and the guest tests.
//!
//! Every operation checks first that the LSM is active, so that a user on a kernel without
//! it gets one clear error instead of a missing-file message.
//!
//! [`monitor`] and [`filter`] hold the logic of `tcp-monitor`; [`exec`] that of
//! `tcp-policy exec`, [`policy_dir`] that of `tcp-policy load-dir`, [`notify`] systemd's
//! notifications for `tcp-policy heartbeat`. [`cli`] has both programs' command lines.
//!
//! `unsafe` is denied in the crate and allowed in one module, [`selfattr`], the system
//! call `lsm_set_self_attr(2)` that no safe wrapper exposes.

pub mod cli;
pub mod exec;
pub mod filter;
pub mod monitor;
pub mod notify;
pub mod policy_dir;
#[allow(unsafe_code)]
pub mod selfattr;

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use tcp_lsm_engine::abi;
use tcp_lsm_engine::mode::Mode;

/// What can go wrong when talking to the LSM.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// securityfs is not mounted or the LSM list cannot be read.
    #[error("cannot read {path}: {source} (is securityfs mounted on /sys/kernel/security?)")]
    NoSecurityfs {
        /// The LSM list that could not be read.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The kernel runs without the LSM.
    #[error("the tcp LSM is not active: {path} lists \"{active}\"; boot a kernel built with CONFIG_SECURITY_TCP_LSM and add tcp to lsm= (for example lsm=landlock,tcp)")]
    Inactive {
        /// The LSM list that was read.
        path: PathBuf,
        /// What it listed.
        active: String,
    },
    /// The caller lacks the privilege to change the LSM.
    #[error(
        "permission denied writing {path}: changing the tcp LSM needs CAP_MAC_ADMIN (run as root)"
    )]
    NotPermitted {
        /// The file that refused the write.
        path: PathBuf,
    },
    /// The caller lacks the privilege to read a root-only file.
    #[error("permission denied reading {path}: it needs CAP_MAC_ADMIN (run as root)")]
    ReadNotPermitted {
        /// The file that refused to open.
        path: PathBuf,
    },
    /// The LSM is active but does not provide the file (a kernel older than this tool).
    #[error("{path} does not exist although the tcp LSM is active: the running kernel's tcp LSM does not provide it")]
    Missing {
        /// The missing file.
        path: PathBuf,
    },
    /// A line of the `stats` file is not `NAME VALUE`.
    #[error("{path}: line {line} is not \"NAME VALUE\" with a decimal value: {content:?}")]
    MalformedStats {
        /// The stats file.
        path: PathBuf,
        /// Line number, from 1.
        line: usize,
        /// The line.
        content: String,
    },
    /// The kernel refused a value.
    #[error("the kernel rejected {value:?} for {path}: {source}")]
    Rejected {
        /// The file written.
        path: PathBuf,
        /// The value written.
        value: String,
        /// The kernel's error.
        source: io::Error,
    },
    /// The kernel refused a policy blob.
    #[error("the kernel rejected the policy written to {path}: {reason} ({source})")]
    PolicyRejected {
        /// The policy file.
        path: PathBuf,
        /// What the errno means.
        reason: &'static str,
        /// The kernel's error.
        source: io::Error,
    },
    /// Any other I/O failure.
    #[error("{path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The kernel returned something this tool does not understand.
    #[error("{path}: unexpected content {content:?}")]
    Unexpected {
        /// The file read.
        path: PathBuf,
        /// What it held.
        content: String,
    },
}

/// The LSM's securityfs directory and the kernel's list of active LSMs.
#[derive(Clone, Debug)]
pub struct Securityfs {
    dir: PathBuf,
    lsm_list: PathBuf,
}

impl Default for Securityfs {
    fn default() -> Self {
        Self::new(abi::SECURITYFS_DIR, abi::SECURITYFS_LSM_LIST)
    }
}

impl Securityfs {
    /// Uses `dir` as the LSM's directory and `lsm_list` as the active-LSM list.
    pub fn new(dir: impl Into<PathBuf>, lsm_list: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            lsm_list: lsm_list.into(),
        }
    }

    /// Path of one of the LSM's files.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Fails unless the kernel lists the LSM as active.
    pub fn ensure_active(&self) -> Result<(), Error> {
        let list = fs::read_to_string(&self.lsm_list).map_err(|source| Error::NoSecurityfs {
            path: self.lsm_list.clone(),
            source,
        })?;
        if is_listed(&list) {
            Ok(())
        } else {
            Err(Error::Inactive {
                path: self.lsm_list.clone(),
                active: list.trim().to_owned(),
            })
        }
    }

    fn read(&self, name: &str) -> Result<String, Error> {
        self.ensure_active()?;
        let path = self.file(name);
        fs::read_to_string(&path).map_err(|source| Error::Io { path, source })
    }

    /// The policy ABI version the kernel speaks.
    pub fn version(&self) -> Result<u32, Error> {
        let text = self.read("version")?;
        text.trim().parse().map_err(|_| Error::Unexpected {
            path: self.file("version"),
            content: text,
        })
    }

    /// The global mode.
    pub fn mode(&self) -> Result<Mode, Error> {
        let text = self.read("mode")?;
        Mode::parse(text.as_bytes()).map_err(|_| Error::Unexpected {
            path: self.file("mode"),
            content: text,
        })
    }

    /// Switches the global mode.
    pub fn set_mode(&self, mode: Mode) -> Result<(), Error> {
        self.ensure_active()?;
        self.write_whole("mode", mode.name().as_bytes(), mode.name())
    }

    /// Writes one heartbeat (the supervisor's sign of life, see docs/securityfs.md).
    pub fn heartbeat(&self) -> Result<(), Error> {
        self.ensure_active()?;
        self.write_whole("heartbeat", b"1", "1")
    }

    /// The `heartbeat` file: `none`, or the policy's timeout and action and the age of
    /// the last heartbeat.
    pub fn heartbeat_status(&self) -> Result<String, Error> {
        self.ensure_active()?;
        let path = self.file("heartbeat");
        fs::read_to_string(&path)
            .map(|s| s.trim_end().to_owned())
            .map_err(|source| Error::Io { path, source })
    }

    /// Writes `value` to file `name` in a single write, mapping errors to their meaning;
    /// `shown` is how errors name the value.
    fn write_whole(&self, name: &str, value: &[u8], shown: &str) -> Result<(), Error> {
        let path = self.file(name);
        let mut file = match fs::OpenOptions::new().write(true).open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                return Err(Error::NotPermitted { path })
            }
            Err(source) => return Err(Error::Io { path, source }),
        };
        match file.write(value) {
            Ok(n) if n == value.len() => Ok(()),
            Ok(n) => Err(Error::Rejected {
                path,
                value: shown.to_owned(),
                source: io::Error::new(
                    io::ErrorKind::WriteZero,
                    format!("short write of {n} bytes"),
                ),
            }),
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                Err(Error::NotPermitted { path })
            }
            Err(source) => Err(Error::Rejected {
                path,
                value: shown.to_owned(),
                source,
            }),
        }
    }
}

impl Securityfs {
    /// The generation of the loaded policy (0: none loaded since boot).
    pub fn generation(&self) -> Result<u64, Error> {
        let text = self.read("generation")?;
        text.trim().parse().map_err(|_| Error::Unexpected {
            path: self.file("generation"),
            content: text,
        })
    }

    /// SHA-256 of the loaded policy in hex, or `None` when none is loaded.
    pub fn policy_hash(&self) -> Result<Option<String>, Error> {
        let text = self.read("policy_hash")?;
        match text.trim() {
            "none" => Ok(None),
            hash if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Ok(Some(hash.to_owned()))
            }
            _ => Err(Error::Unexpected {
                path: self.file("policy_hash"),
                content: text,
            }),
        }
    }

    /// The loaded policy blob (empty when none is loaded). Needs root.
    pub fn read_policy(&self) -> Result<Vec<u8>, Error> {
        self.ensure_active()?;
        let path = self.file("policy");
        fs::read(&path).map_err(|source| match source.kind() {
            io::ErrorKind::PermissionDenied => Error::NotPermitted { path: path.clone() },
            _ => Error::Io {
                path: path.clone(),
                source,
            },
        })
    }

    /// Loads a policy blob; returns the new generation.
    pub fn load_policy(&self, blob: &[u8]) -> Result<u64, Error> {
        self.ensure_active()?;
        self.write_whole("policy", blob, "policy blob")
            .map_err(|e| match e {
                Error::Rejected { path, source, .. } => Error::PolicyRejected {
                    path,
                    reason: rejection_reason(&source),
                    source,
                },
                other => other,
            })?;
        self.generation()
    }
}

impl Securityfs {
    /// Opens the `events` file for reading, non-blocking (a read fails with `EAGAIN` when
    /// no event is queued). Needs root. A missing file is explained: securityfs not
    /// mounted, the LSM inactive, or a kernel without the file.
    pub fn open_events(&self) -> Result<fs::File, Error> {
        let path = self.file("events");
        fs::OpenOptions::new()
            .read(true)
            .custom_flags(OFlag::O_NONBLOCK.bits())
            .open(&path)
            .map_err(|source| match source.kind() {
                io::ErrorKind::NotFound => match self.ensure_active() {
                    Err(e) => e,
                    Ok(()) => Error::Missing { path },
                },
                io::ErrorKind::PermissionDenied => Error::ReadNotPermitted { path },
                _ => Error::Io { path, source },
            })
    }

    /// The LSM's counters (the `stats` file), as (name, value) in the kernel's order.
    pub fn stats(&self) -> Result<Vec<(String, u64)>, Error> {
        let text = self.read("stats")?;
        parse_stats(&text).map_err(|bad| Error::MalformedStats {
            path: self.file("stats"),
            line: bad.line,
            content: bad.content,
        })
    }
}

/// A line of the `stats` file that is not `NAME VALUE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MalformedLine {
    /// Line number, from 1.
    pub line: usize,
    /// The line.
    pub content: String,
}

/// Parses the `stats` file: one `NAME VALUE` line per counter (a name without white space,
/// one space, a decimal `u64`). Empty lines are ignored.
pub fn parse_stats(text: &str) -> Result<Vec<(String, u64)>, MalformedLine> {
    let mut counters = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        let bad = || MalformedLine {
            line: index + 1,
            content: line.to_owned(),
        };
        let (name, value) = line.split_once(' ').ok_or_else(bad)?;
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(bad());
        }
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let value = value.parse().map_err(|_| bad())?;
        counters.push((name.to_owned(), value));
    }
    Ok(counters)
}

/// What the kernel's errno for a rejected policy means (docs/securityfs.md).
pub fn rejection_reason(err: &io::Error) -> &'static str {
    match err.raw_os_error().map(Errno::from_raw) {
        Some(Errno::ENOEXEC) => "not a policy blob (bad magic)",
        Some(Errno::EPROTO) => "the policy was compiled for another policy ABI version",
        Some(Errno::EBADMSG) => "checksum mismatch: the file is corrupted",
        Some(Errno::EFBIG) => "the policy is larger than the kernel's 64 MiB limit",
        Some(Errno::EINVAL) => "malformed policy (the kernel log names the fault)",
        Some(Errno::ENOMEM) => "the kernel is out of memory",
        Some(Errno::EBUSY) => "another write is in progress on the same descriptor",
        _ => "the kernel refused the policy",
    }
}

/// Whether a `/sys/kernel/security/lsm` listing (comma separated) names this LSM.
pub fn is_listed(list: &str) -> bool {
    list.trim().split(',').any(|name| name == abi::LSM_NAME)
}

/// Whether `path` exists (used to tell "LSM inactive" from "file missing").
pub fn exists(path: &Path) -> bool {
    path.exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake(lsms: &str) -> (tempfile::TempDir, Securityfs) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("tcp");
        fs::create_dir(&dir).expect("mkdir");
        fs::write(dir.join("version"), "1\n").expect("write");
        fs::write(dir.join("mode"), "enforce\n").expect("write");
        let list = tmp.path().join("lsm");
        fs::write(&list, lsms).expect("write");
        let sfs = Securityfs::new(dir, list);
        (tmp, sfs)
    }

    #[test]
    fn listing_is_matched_by_whole_name() {
        assert!(is_listed("capability,landlock,tcp"));
        assert!(is_listed("tcp\n"));
        assert!(!is_listed("capability,landlock"));
        assert!(!is_listed("tcpx,xtcp"));
        assert!(!is_listed(""));
    }

    #[test]
    fn reads_version_and_mode() {
        let (_tmp, sfs) = fake("capability,tcp");
        assert_eq!(sfs.version().expect("version"), abi::POLICY_ABI_VERSION);
        assert_eq!(sfs.mode().expect("mode"), Mode::Enforce);
    }

    #[test]
    fn writes_mode_in_one_write() {
        let (_tmp, sfs) = fake("capability,tcp");
        // securityfs replaces the value on each write; a regular file needs emptying first.
        fs::write(sfs.file("mode"), "").expect("truncate");
        sfs.set_mode(Mode::Alert).expect("set");
        assert_eq!(fs::read_to_string(sfs.file("mode")).expect("read"), "alert");
    }

    #[test]
    fn inactive_lsm_is_a_clear_error() {
        let (_tmp, sfs) = fake("capability,landlock\n");
        let err = sfs.mode().expect_err("must fail");
        assert!(matches!(err, Error::Inactive { .. }), "{err:?}");
        assert!(err.to_string().contains("lsm="), "{err}");
        let err = sfs.set_mode(Mode::Monitor).expect_err("must fail");
        assert!(matches!(err, Error::Inactive { .. }), "{err:?}");
    }

    #[test]
    fn missing_securityfs_is_a_clear_error() {
        let sfs = Securityfs::new("/nonexistent/tcp", "/nonexistent/lsm");
        let err = sfs.version().expect_err("must fail");
        assert!(matches!(err, Error::NoSecurityfs { .. }), "{err:?}");
    }

    #[test]
    fn parses_stats_as_the_engine_writes_them() {
        use tcp_lsm_engine::perm::Class;
        use tcp_lsm_engine::stats::{Counter, Stats, Verdict};
        let stats: Stats<2> = Stats::new();
        stats.decision(0, Class::Net, Verdict::Denied);
        stats.decision(1, Class::Net, Verdict::Denied);
        stats.add(1, Counter::EventsDropped, u64::MAX);
        let mut text = String::new();
        stats.write(&mut text).expect("write");
        let counters = parse_stats(&text).expect("parse");
        assert_eq!(counters.len(), tcp_lsm_engine::stats::COUNT);
        assert_eq!(
            counters.first(),
            Some(&("decision.file.allowed".to_owned(), 0))
        );
        assert!(counters.contains(&("decision.net.denied".to_owned(), 2)));
        assert!(counters.contains(&("events.dropped".to_owned(), u64::MAX)));
        assert_eq!(
            counters.last().map(|(n, _)| n.as_str()),
            Some("audit.dropped")
        );
        assert_eq!(parse_stats(""), Ok(vec![]));
        assert_eq!(
            parse_stats("a 1\n\nb 2"),
            Ok(vec![("a".into(), 1), ("b".into(), 2)])
        );
    }

    #[test]
    fn malformed_stats_lines_are_named() {
        for (text, line, content) in [
            ("a 1\nb\n", 2, "b"),
            ("a x\n", 1, "a x"),
            ("a -1\n", 1, "a -1"),
            ("a +1\n", 1, "a +1"),
            ("a 1 2\n", 1, "a 1 2"),
            ("a  1\n", 1, "a  1"),
            (" 1\n", 1, " 1"),
            ("a \n", 1, "a "),
            ("a 18446744073709551616\n", 1, "a 18446744073709551616"),
            ("a\t1\n", 1, "a\t1"),
        ] {
            assert_eq!(
                parse_stats(text),
                Err(MalformedLine {
                    line,
                    content: content.into()
                }),
                "{text:?}"
            );
        }
        let (_tmp, sfs) = fake("tcp");
        fs::write(sfs.file("stats"), "cache.hits 1\ncache.misses many\n").expect("write");
        let err = sfs.stats().expect_err("must fail");
        assert!(
            matches!(err, Error::MalformedStats { line: 2, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("line 2"), "{err}");
    }

    #[test]
    fn reads_stats() {
        let (_tmp, sfs) = fake("tcp");
        fs::write(sfs.file("stats"), "cache.hits 10\ncache.misses 3\n").expect("write");
        assert_eq!(
            sfs.stats().expect("stats"),
            vec![("cache.hits".into(), 10), ("cache.misses".into(), 3)]
        );
    }

    #[test]
    fn events_open_errors_are_explained() {
        let (_tmp, sfs) = fake("tcp");
        let err = sfs.open_events().expect_err("no events file");
        assert!(matches!(err, Error::Missing { .. }), "{err:?}");
        let (_tmp, sfs) = fake("capability");
        let err = sfs.open_events().expect_err("inactive");
        assert!(matches!(err, Error::Inactive { .. }), "{err:?}");
        let sfs = Securityfs::new("/nonexistent/tcp", "/nonexistent/lsm");
        let err = sfs.open_events().expect_err("no securityfs");
        assert!(matches!(err, Error::NoSecurityfs { .. }), "{err:?}");
        let (_tmp, sfs) = fake("tcp");
        fs::write(sfs.file("events"), "lost=1\n").expect("write");
        assert!(sfs.open_events().is_ok());
    }

    #[test]
    fn garbage_mode_is_reported() {
        let (_tmp, sfs) = fake("tcp");
        fs::write(sfs.file("mode"), "sideways\n").expect("write");
        assert!(matches!(sfs.mode(), Err(Error::Unexpected { .. })));
    }
}
