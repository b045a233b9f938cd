//! Stage 2 output: the syntax tree, every piece with its [`Span`].
//!
//! The tree records what was written, not what it means: names are not resolved and
//! values (addresses, ports, durations, permission names) are still words. The lowering
//! stage ([`crate::lower`]) checks and resolves them.

use crate::diagnostic::Span;
use tcp_lsm_engine::model::{Decision, PathMatch};

/// A word or string as written, with its place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    /// The text (decoded value for strings).
    pub text: String,
    /// Where it is.
    pub span: Span,
}

/// A whole policy file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct File {
    /// Top-level items in source order.
    pub items: Vec<Item>,
}

/// A top-level statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// `mode enforce;`: the mode set when the policy loads.
    Mode(ModeStmt),
    /// `heartbeat timeout 30s action deny-network;`
    Heartbeat(HeartbeatStmt),
    /// `type name [protected] { paths }`
    Type(TypeDecl),
    /// `domain name { statements }`
    Domain(DomainDecl),
    /// `exec /path [sha256 HEX] -> domain;` from unconfined tasks.
    Exec(ExecStmt),
}

/// `mode VALUE;`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModeStmt {
    /// The whole statement.
    pub span: Span,
    /// The mode name.
    pub value: Word,
}

/// `heartbeat timeout DURATION action ACTION;`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeartbeatStmt {
    /// The whole statement.
    pub span: Span,
    /// The `timeout` value.
    pub timeout: Option<Word>,
    /// The `action` value.
    pub action: Option<Word>,
}

/// `type NAME [protected] ;` or `type NAME [protected] { PATHS }`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeDecl {
    /// The whole declaration.
    pub span: Span,
    /// The type's name.
    pub name: Word,
    /// Where `protected` was written, if it was.
    pub protected: Option<Span>,
    /// Its path rules.
    pub paths: Vec<PathDecl>,
}

/// `exact|prefix|glob PATTERN;`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathDecl {
    /// The whole statement.
    pub span: Span,
    /// How it matches.
    pub kind: PathMatch,
    /// The pattern.
    pub pattern: Word,
}

/// `domain NAME { ... }`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainDecl {
    /// The whole declaration.
    pub span: Span,
    /// The domain's name.
    pub name: Word,
    /// Its statements in source order.
    pub body: Vec<DomainStmt>,
}

/// A statement inside a domain block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DomainStmt {
    /// `mode VALUE;`: the domain's own mode.
    Mode(ModeStmt),
    /// `allow ...;` / `deny ...;`
    Rule(Rule),
    /// `exec PATH -> DOMAIN;` from this domain.
    Exec(ExecStmt),
    /// `behaviour ...;`
    Behaviour(BehaviourStmt),
}

/// `exec PATH [sha256 HEX] -> DOMAIN;`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecStmt {
    /// The whole statement.
    pub span: Span,
    /// Path of the executable.
    pub path: Word,
    /// Hex SHA-256 of its content.
    pub digest: Option<Word>,
    /// Domain entered.
    pub target: Word,
}

/// The object class of a rule (the seed's `--class`), as parsed.
pub use tcp_lsm_engine::perm::Class;

/// `allow|deny CLASS [OBJECT] PERMS [TARGET];`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The whole statement.
    pub span: Span,
    /// Allow or deny.
    pub decision: Decision,
    /// The class.
    pub class: Class,
    /// Where the class word is.
    pub class_span: Span,
    /// The object type (class `file` only).
    pub object: Option<Word>,
    /// The permissions.
    pub perms: Perms,
    /// The network target (class `net` only).
    pub target: Option<NetTarget>,
}

/// A permission set as written: names (or `all`), bare or in braces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Perms {
    /// The names in order.
    pub names: Vec<Word>,
    /// Where the set is written.
    pub span: Span,
}

/// What a network rule is about: `inet|inet6 [PROTO] [CIDR] [port PORTS]` or
/// `unix [PATH]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetTarget {
    /// The whole target.
    pub span: Span,
    /// `inet`, `inet6` or `unix`.
    pub family: Word,
    /// `tcp`, `udp` or `any`.
    pub protocol: Option<Word>,
    /// Address or CIDR.
    pub addr: Option<Word>,
    /// Port or port range.
    pub port: Option<Word>,
    /// Unix socket path or `@abstract` name.
    pub unix_path: Option<Word>,
}

/// `behaviour threshold N window D [max-ops N] response (audit | quarantine DOMAIN);`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BehaviourStmt {
    /// The whole statement.
    pub span: Span,
    /// `threshold` value.
    pub threshold: Option<Word>,
    /// `window` value.
    pub window: Option<Word>,
    /// `max-ops` value.
    pub max_ops: Option<Word>,
    /// `response` keyword (`audit` or `quarantine`).
    pub response: Option<Word>,
    /// Domain named after `quarantine`.
    pub quarantine: Option<Word>,
}
