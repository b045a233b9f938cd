//! `tcp-policy exec`: run a command in a domain of the loaded policy.
//!
//! The order is: check the name's syntax (a usage error), check that the loaded policy has
//! the domain (when this process may read the policy), ask the kernel for the domain at
//! the next exec with `lsm_set_self_attr(LSM_ATTR_EXEC)` ([`crate::selfattr`]), then
//! `execvp` the command. The kernel checks the name again, so a policy replaced between
//! the check and the call cannot let a wrong name through.

use std::ffi::OsString;
use std::io;
use std::os::unix::process::CommandExt;

use nix::errno::Errno;
use tcp_lsm_engine::abi;
use tcp_lsm_engine::model::Policy;

use crate::selfattr;

/// Why a command could not be started in a domain.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// The name cannot be a domain name (usage error).
    #[error("{domain:?} is not a valid domain name (a letter or `_`, then letters, digits, `_`, `.` or `-`; at most 64 bytes)")]
    InvalidName {
        /// The name given.
        domain: String,
    },
    /// No policy is loaded, so there is no domain to enter.
    #[error("no policy is loaded, so there is no domain {domain:?} to enter (load one with tcp-policy load or tcp-policy load-dir)")]
    NoPolicy {
        /// The name given.
        domain: String,
    },
    /// The loaded policy has no such domain.
    #[error("{domain:?} is not a domain of the loaded policy; its domains: {}", known_list(.known))]
    UnknownDomain {
        /// The name given.
        domain: String,
        /// The loaded policy's domains, sorted.
        known: Vec<String>,
    },
    /// The kernel refused the request.
    #[error("{}", refusal(.domain, .source))]
    Refused {
        /// The name given.
        domain: String,
        /// The kernel's errno.
        source: io::Error,
    },
    /// The command could not be executed.
    #[error("cannot run {command}: {source}")]
    Exec {
        /// The command as given.
        command: String,
        /// Why `execvp` failed.
        source: io::Error,
    },
}

impl ExecError {
    /// The exit status for this error: 2 for a usage error, 127 when the command does not
    /// exist and 126 when it cannot be executed (as `env(1)` and `nice(1)`), 1 otherwise.
    pub fn exit_status(&self) -> u8 {
        match self {
            ExecError::InvalidName { .. } => 2,
            ExecError::Exec { source, .. } if source.kind() == io::ErrorKind::NotFound => 127,
            ExecError::Exec { .. } => 126,
            _ => 1,
        }
    }
}

fn known_list(known: &[String]) -> String {
    if known.is_empty() {
        "none".into()
    } else {
        known.join(", ")
    }
}

/// What the kernel's errno from `lsm_set_self_attr(LSM_ATTR_EXEC)` means
/// (docs/hook-map.md, `setselfattr`).
fn refusal(domain: &str, err: &io::Error) -> String {
    match err.raw_os_error().map(Errno::from_raw) {
        Some(Errno::EINVAL) => format!(
            "the tcp LSM refused domain {domain:?} (EINVAL): no policy is loaded or it has no such domain"
        ),
        Some(Errno::EOPNOTSUPP) => "the tcp LSM is not active in this kernel (lsm_set_self_attr: EOPNOTSUPP); boot with tcp in lsm=".into(),
        Some(Errno::ENOSYS) => "this kernel has no lsm_set_self_attr system call (ENOSYS): it needs Linux 6.8 or later with the tcp LSM".into(),
        Some(Errno::EPERM) => "this process is confined by the tcp LSM (EPERM): only unconfined tasks may choose the domain of their next exec".into(),
        Some(Errno::ENOMEM) => "the kernel is out of memory (ENOMEM)".into(),
        _ => format!("lsm_set_self_attr(LSM_ATTR_EXEC, {domain:?}) failed: {err}"),
    }
}

/// Fails unless `domain` has the syntax of a domain name.
pub fn check_name(domain: &str) -> Result<(), ExecError> {
    if tcp_lsm_engine::format::check_name(domain.as_bytes()) {
        Ok(())
    } else {
        Err(ExecError::InvalidName {
            domain: domain.to_owned(),
        })
    }
}

/// Fails unless `policy` (the loaded one; `None` when none is loaded) has `domain`.
pub fn check_domain(policy: Option<&Policy>, domain: &str) -> Result<(), ExecError> {
    let Some(policy) = policy else {
        return Err(ExecError::NoPolicy {
            domain: domain.to_owned(),
        });
    };
    if policy.domains.iter().any(|d| d.name == domain) {
        return Ok(());
    }
    let mut known: Vec<String> = policy.domains.iter().map(|d| d.name.clone()).collect();
    known.sort();
    Err(ExecError::UnknownDomain {
        domain: domain.to_owned(),
        known,
    })
}

/// Asks the kernel to move this process into `domain` at its next exec.
pub fn request_domain(domain: &str) -> Result<(), ExecError> {
    let refused = |source| ExecError::Refused {
        domain: domain.to_owned(),
        source,
    };
    let ctx = selfattr::encode_lsm_ctx(abi::LSM_ID, domain)
        .ok_or_else(|| refused(io::Error::from_raw_os_error(libc::EINVAL)))?;
    selfattr::lsm_set_self_attr(selfattr::LSM_ATTR_EXEC, &ctx).map_err(refused)
}

/// Replaces this process with `command` (looked up in `PATH` like `execvp`); returns only
/// on failure.
pub fn exec_command(command: &[OsString]) -> ExecError {
    let Some((program, args)) = command.split_first() else {
        return ExecError::Exec {
            command: String::new(),
            source: io::Error::from(io::ErrorKind::InvalidInput),
        };
    };
    let source = std::process::Command::new(program).args(args).exec();
    ExecError::Exec {
        command: program.to_string_lossy().into_owned(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tcp_lsm_engine::model::Domain;

    fn policy(names: &[&str]) -> Policy {
        Policy {
            domains: names
                .iter()
                .map(|n| Domain {
                    name: (*n).to_owned(),
                    ..Domain::default()
                })
                .collect(),
            ..Policy::default()
        }
    }

    #[test]
    fn names_are_checked_before_anything_else() {
        assert!(check_name("agent").is_ok());
        assert!(check_name("coding_agent.v2-b").is_ok());
        for bad in ["", "1agent", "a b", "a/b", "a\0b", &"a".repeat(65)] {
            let err = check_name(bad).expect_err(bad);
            assert_eq!(err.exit_status(), 2, "{bad:?}");
            assert!(err.to_string().contains("not a valid domain name"), "{err}");
        }
    }

    #[test]
    fn unknown_domain_names_the_known_ones() {
        let p = policy(&["zeta", "agent", "build"]);
        assert!(check_domain(Some(&p), "agent").is_ok());
        let err = check_domain(Some(&p), "agnet").expect_err("unknown");
        assert_eq!(
            err.to_string(),
            "\"agnet\" is not a domain of the loaded policy; its domains: agent, build, zeta"
        );
        assert_eq!(err.exit_status(), 1);
        let err = check_domain(Some(&policy(&[])), "agent").expect_err("empty");
        assert!(err.to_string().ends_with("its domains: none"), "{err}");
    }

    #[test]
    fn no_policy_is_explained() {
        let err = check_domain(None, "agent").expect_err("none loaded");
        assert!(err.to_string().starts_with("no policy is loaded"), "{err}");
        assert_eq!(err.exit_status(), 1);
    }

    #[test]
    fn kernel_errnos_have_meanings() {
        let msg = |errno| {
            ExecError::Refused {
                domain: "agent".into(),
                source: io::Error::from_raw_os_error(errno),
            }
            .to_string()
        };
        assert!(msg(libc::EINVAL).contains("refused domain \"agent\" (EINVAL)"));
        assert!(msg(libc::EOPNOTSUPP).contains("not active"));
        assert!(msg(libc::ENOSYS).contains("no lsm_set_self_attr"));
        assert!(msg(libc::EPERM).contains("confined"));
        assert!(msg(libc::EIO).contains("failed"));
    }

    #[test]
    fn exec_failures_use_the_env_exit_statuses() {
        let err = exec_command(&["/nonexistent/tcp-policy-test".into()]);
        assert!(
            err.to_string().starts_with("cannot run /nonexistent/"),
            "{err}"
        );
        assert_eq!(err.exit_status(), 127);
        let err = exec_command(&["/".into()]);
        assert_eq!(err.exit_status(), 126, "{err}");
    }
}
