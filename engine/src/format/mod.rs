//! The binary policy format (`policy.bin`), ABI version 1: constants, the validator and
//! zero-copy queries over a validated blob. The specification is `docs/policy-format.md`.
//!
//! Compiled into the kernel too: only `core`, no `alloc`, no `unsafe`, never panics on any
//! input (every read goes through `get`, every arithmetic on input is checked or
//! saturating, no recursion). [`validate()`] is O(size); queries are O(log n) or bounded by
//! the rules of one domain.
//!
//! The kernel validates a blob once with [`validate()`], keeps the blob and the
//! [`PolicyLayout`] of the returned [`PolicyView`], and keeps one view built from them at
//! load ([`PolicyView::from_layout`]) that every decision borrows.
//!
//! One file per stage, each re-exported here so that every item is `format::NAME`:
//! `wire` (sizes, limits, field offsets, section kinds), `error` (what validation
//! reports), `read` (little-endian reads that never panic), `syntax` (the rules on names,
//! paths and values that the validator and the encoder share), `glob` (path pattern
//! matching), `view` (the layout and the zero-copy queries) and `validate` (the checks a
//! blob passes before any query).

mod error;
mod glob;
mod read;
mod syntax;
mod validate;
mod view;
mod wire;

// The kernel compiles this module inside its crate-private `mod engine` and uses only part
// of the format: there, the re-exports it does not use would warn as unused imports (its
// `allow(dead_code)` covers only the items). In userspace they are the crate's public paths.
#[allow(unused_imports)]
pub use self::error::{ErrorClass, FormatError};
#[allow(unused_imports)]
pub use self::glob::{glob_match, glob_may_match_below, prefix_match};
#[allow(unused_imports)]
pub use self::syntax::{
    check_behaviour, check_heartbeat, check_name, check_net_rule, check_path, check_unix_path,
    path_key_order,
};
#[allow(unused_imports)]
pub use self::validate::{compute_digest, declared_size, validate};
#[allow(unused_imports)]
pub use self::view::{
    DomainView, NetRuleRef, PathRuleRef, PolicyLayout, PolicyView, Reserved, TransitionRef,
};
#[allow(unused_imports)]
pub use self::wire::{
    field, SectionKind, DOMAIN_RECORD_SIZE, FILE_RULE_RECORD_SIZE, HEADER_SIZE, MAGIC,
    MAX_ANOMALY_THRESHOLD, MAX_DOMAINS, MAX_GLOB_LEN, MAX_HEARTBEAT_TIMEOUT_MS, MAX_NAME_LEN,
    MAX_PATH_LEN, MAX_POLICY_SIZE, MAX_TYPES, MAX_UNIX_PATH_LEN, MAX_WINDOW_MS, MODE_NONE,
    NET_RULE_RECORD_SIZE, PATH_RECORD_SIZE, RESPONSE_AUDIT, RESPONSE_NONE, RESPONSE_QUARANTINE,
    SECTIONS_START, SECTION_COUNT, SECTION_ENTRY_SIZE, SETTINGS_RECORD_SIZE,
    TRANSITION_RECORD_SIZE, TYPE_FLAG_PROTECTED, TYPE_RECORD_SIZE, VERSION,
};
