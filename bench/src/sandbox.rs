//! Configuration (e): the Landlock ruleset equivalent to the realistic TCP policy of
//! configuration (c) (`policy::agent`), applied by the worker to itself.
//!
//! | TCP policy (`bench_agent`)                       | Landlock                                   |
//! | ------------------------------------------------ | ------------------------------------------ |
//! | `bench_work` (`/tmp/bench`): read, write, create, unlink, rename, link, mkdir, ... | every filesystem right beneath `/tmp/bench` |
//! | `system_bin` (`/bin`, `/sbin`): read, execute, mmap | read and execute beneath `/bin`, `/sbin` |
//! | `system_config`, `procfs`: read                  | read beneath `/etc`, `/proc`               |
//! | `devices` (`/dev/null`, `/dev/urandom`): read, write | read and write of those two files      |
//! | everything else: no type, denied                 | every other path: handled, no rule, denied |
//! | `net` bind/listen/accept and connect, TCP 127.0.0.1:8080 | `BindTcp` and `ConnectTcp` on port 8080 |
//! | signals to the same domain only                  | `Scope::Signal`                            |
//! | no Unix socket rule                              | `Scope::AbstractUnixSocket`                |
//!
//! Landlock cannot name an address (only TCP ports) and has no file type cache: it walks
//! the path of every opened file up to the root, checking each directory's rules.

use landlock::{
    path_beneath_rules, Access, AccessFs, AccessNet, NetPort, Ruleset, RulesetAttr,
    RulesetCreatedAttr, RulesetStatus, Scope, ABI,
};

use crate::micro::{PORT, ROOT};

/// The Landlock ABI of Linux 6.12 (scopes are new in it).
const ABI_6_12: ABI = ABI::V6;

/// Restricts the calling process with the ruleset; fails unless fully enforced.
pub fn restrict() -> Result<(), String> {
    let err = |e: landlock::RulesetError| format!("landlock: {e}");
    let read = AccessFs::from_read(ABI_6_12);
    let status = Ruleset::default()
        .handle_access(AccessFs::from_all(ABI_6_12))
        .map_err(err)?
        .handle_access(AccessNet::from_all(ABI_6_12))
        .map_err(err)?
        .scope(Scope::from_all(ABI_6_12))
        .map_err(err)?
        .create()
        .map_err(err)?
        .add_rules(path_beneath_rules([ROOT], AccessFs::from_all(ABI_6_12)))
        .map_err(err)?
        .add_rules(path_beneath_rules(["/bin", "/sbin", "/etc", "/proc"], read))
        .map_err(err)?
        .add_rules(path_beneath_rules(
            ["/dev/null", "/dev/urandom"],
            AccessFs::ReadFile | AccessFs::WriteFile,
        ))
        .map_err(err)?
        .add_rule(NetPort::new(
            PORT,
            AccessNet::BindTcp | AccessNet::ConnectTcp,
        ))
        .map_err(err)?
        .restrict_self()
        .map_err(err)?;
    match status.ruleset {
        RulesetStatus::FullyEnforced => Ok(()),
        other => Err(format!(
            "landlock: ruleset not fully enforced ({other:?}): the numbers would not compare"
        )),
    }
}
