//! Layout and views: where everything is in a validated blob ([`PolicyLayout`]), the
//! records read from it, and the zero-copy queries of [`PolicyView`] and [`DomainView`]
//! that the kernel's decisions ask.

use core::cmp::Ordering;

use super::super::cache::Grant;
use super::super::mode::Mode;
use super::super::perm;
use super::super::sha256::DIGEST_LEN;
use super::super::types::{
    unmap_ipv4, Behaviour, Decision, FileRule, Heartbeat, HeartbeatAction, NetFamily, PathMatch,
    Protocol, Response, Settings,
};
use super::glob::{glob_match, glob_may_match_below};
use super::read::{array_at, partition_point, to_u32, to_usize, u16_at, u32_at, u64_at, u8_at};
use super::wire::{
    field, DOMAIN_RECORD_SIZE, FILE_RULE_RECORD_SIZE, NET_RULE_RECORD_SIZE, PATH_RECORD_SIZE,
    RESPONSE_AUDIT, RESPONSE_QUARANTINE, SETTINGS_RECORD_SIZE, TRANSITION_RECORD_SIZE,
    TYPE_FLAG_PROTECTED, TYPE_RECORD_SIZE,
};

/// A section's place in the blob.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Section {
    pub(super) offset: usize,
    pub(super) count: usize,
}

/// Where everything is in a validated blob. Plain data without a lifetime: the kernel
/// keeps it next to the blob and rebuilds a [`PolicyView`] with
/// [`PolicyView::from_layout`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PolicyLayout {
    pub(super) strings: Section,
    pub(super) settings: Section,
    pub(super) types: Section,
    pub(super) paths: Section,
    pub(super) domains: Section,
    pub(super) file_rules: Section,
    pub(super) net_rules: Section,
    pub(super) transitions: Section,
    /// Path rules `0..exact_end` are exact, `exact_end..prefix_end` prefix, the rest globs.
    pub(super) exact_end: usize,
    pub(super) prefix_end: usize,
}

/// Why a name is reserved ([`PolicyView::reserved_below`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reserved {
    /// A path of a protected type lies below it.
    Protected,
    /// The executable of an exec transition lies below it.
    Transition,
}

/// A path rule read from a blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathRuleRef<'a> {
    /// The pattern.
    pub pattern: &'a [u8],
    /// How it matches.
    pub kind: PathMatch,
    /// The type it gives.
    pub type_id: u32,
}

/// A network rule read from a blob (or to be written to one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct NetRuleRef<'a> {
    /// Allow or deny.
    pub decision: Decision,
    /// Operation bits.
    pub ops: u32,
    /// Address family.
    pub family: NetFamily,
    /// Protocol.
    pub protocol: Protocol,
    /// Address (IPv4 in the first 4 bytes).
    pub addr: [u8; 16],
    /// CIDR prefix length.
    pub prefix_len: u8,
    /// First port.
    pub port_lo: u16,
    /// Last port.
    pub port_hi: u16,
    /// Unix socket path or `@name`; empty for any.
    pub unix_path: &'a [u8],
}

/// A transition read from a blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransitionRef<'a> {
    /// Domain before exec (0 = unconfined).
    pub from: u32,
    /// Executable path.
    pub exe: &'a [u8],
    /// SHA-256 the executable must have, if any.
    pub digest: Option<[u8; 32]>,
    /// Domain entered.
    pub to: u32,
}

/// A validated policy blob, queried in place.
#[derive(Clone, Copy, Debug)]
pub struct PolicyView<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) layout: PolicyLayout,
}

/// One domain of a [`PolicyView`]. It borrows the view rather than copying it (a view is
/// some 160 bytes, and a decision in the kernel makes one of these).
#[derive(Clone, Copy, Debug)]
pub struct DomainView<'a> {
    policy: &'a PolicyView<'a>,
    record: &'a [u8],
    id: u32,
}

impl<'a> PolicyView<'a> {
    /// A view of `bytes` laid out as `layout`, which must come from [`PolicyView::layout`]
    /// of a view that [`validate`](fn@super::validate) returned for the same bytes. (With
    /// anything else the queries give meaningless answers, but still never panic.)
    pub const fn from_layout(bytes: &'a [u8], layout: PolicyLayout) -> PolicyView<'a> {
        PolicyView { bytes, layout }
    }

    /// The layout, to rebuild the view later with [`PolicyView::from_layout`].
    pub const fn layout(&self) -> PolicyLayout {
        self.layout
    }

    /// The whole blob.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The policy's identity: the SHA-256 in the header.
    pub fn digest(&self) -> [u8; DIGEST_LEN] {
        array_at(self.bytes, field::header::DIGEST)
    }

    /// Number of object types (ids `1..=type_count()`).
    pub const fn type_count(&self) -> usize {
        self.layout.types.count
    }

    /// Number of domains (ids `1..=domain_count()`).
    pub const fn domain_count(&self) -> usize {
        self.layout.domains.count
    }

    /// Number of path rules.
    pub const fn path_rule_count(&self) -> usize {
        self.layout.paths.count
    }

    /// Number of file rules of all domains.
    pub const fn file_rule_count(&self) -> usize {
        self.layout.file_rules.count
    }

    /// Number of network rules of all domains.
    pub const fn net_rule_count(&self) -> usize {
        self.layout.net_rules.count
    }

    /// Number of transitions.
    pub const fn transition_count(&self) -> usize {
        self.layout.transitions.count
    }

    pub(super) fn record(&self, section: Section, size: usize, index: usize) -> &'a [u8] {
        if index >= section.count {
            return &[];
        }
        index
            .checked_mul(size)
            .and_then(|o| o.checked_add(section.offset))
            .and_then(|start| Some(start..start.checked_add(size)?))
            .and_then(|range| self.bytes.get(range))
            .unwrap_or(&[])
    }

    /// The string referenced at `field` of `record`.
    fn string(&self, record: &[u8], field: usize) -> &'a [u8] {
        let offset = to_usize(u32_at(record, field));
        let len = to_usize(u32_at(record, field.saturating_add(4)));
        offset
            .checked_add(len)
            .and_then(|end| self.pool().get(offset..end))
            .unwrap_or(&[])
    }

    /// The string pool.
    fn pool(&self) -> &'a [u8] {
        let strings = self.layout.strings;
        strings
            .offset
            .checked_add(strings.count)
            .and_then(|end| self.bytes.get(strings.offset..end))
            .unwrap_or(&[])
    }

    /// The global settings.
    pub fn settings(&self) -> Settings {
        let r = self.record(self.layout.settings, SETTINGS_RECORD_SIZE, 0);
        let action = HeartbeatAction::from_u8(u8_at(r, field::settings::HEARTBEAT_ACTION));
        Settings {
            mode: Mode::from_u8(u8_at(r, field::settings::MODE)),
            heartbeat: action.map(|action| Heartbeat {
                timeout_ms: u32_at(r, field::settings::HEARTBEAT_TIMEOUT),
                action,
            }),
        }
    }

    fn type_record(&self, id: u32) -> Option<&'a [u8]> {
        let index = to_usize(id).checked_sub(1)?;
        let r = self.record(self.layout.types, TYPE_RECORD_SIZE, index);
        (!r.is_empty()).then_some(r)
    }

    /// The name of type `id` (1-based).
    pub fn type_name(&self, id: u32) -> Option<&'a str> {
        let r = self.type_record(id)?;
        core::str::from_utf8(self.string(r, field::object_type::NAME)).ok()
    }

    /// Whether type `id` is protected (false for 0 and unknown ids).
    pub fn type_is_protected(&self, id: u32) -> bool {
        self.type_record(id)
            .is_some_and(|r| u32_at(r, field::object_type::FLAGS) & TYPE_FLAG_PROTECTED != 0)
    }

    /// The id of the type called `name` (binary search).
    pub fn type_id_by_name(&self, name: &[u8]) -> Option<u32> {
        let types = self.layout.types;
        let name_of = |i| self.string(self.record(types, TYPE_RECORD_SIZE, i), 0);
        let i = partition_point(0, types.count, |i| name_of(i) < name);
        (i < types.count && name_of(i) == name).then(|| to_u32(i.saturating_add(1)))
    }

    /// Domain `id` (1-based; 0, the unconfined domain, has no record).
    pub fn domain(&self, id: u32) -> Option<DomainView<'_>> {
        let index = to_usize(id).checked_sub(1)?;
        let record = self.record(self.layout.domains, DOMAIN_RECORD_SIZE, index);
        (!record.is_empty()).then_some(DomainView {
            policy: self,
            record,
            id,
        })
    }

    /// The id of the domain called `name` (binary search).
    pub fn domain_id_by_name(&self, name: &[u8]) -> Option<u32> {
        let domains = self.layout.domains;
        let name_of = |i| self.string(self.record(domains, DOMAIN_RECORD_SIZE, i), 0);
        let i = partition_point(0, domains.count, |i| name_of(i) < name);
        (i < domains.count && name_of(i) == name).then(|| to_u32(i.saturating_add(1)))
    }

    /// Path rule `index` (0-based, canonical order).
    pub fn path_rule(&self, index: usize) -> Option<PathRuleRef<'a>> {
        let r = self.record(self.layout.paths, PATH_RECORD_SIZE, index);
        if r.is_empty() {
            return None;
        }
        Some(PathRuleRef {
            pattern: self.string(r, field::path::PATTERN),
            kind: PathMatch::from_u32(u32_at(r, field::path::KIND))?,
            type_id: u32_at(r, field::path::TYPE_ID),
        })
    }

    fn path_pattern(&self, index: usize) -> &'a [u8] {
        self.string(
            self.record(self.layout.paths, PATH_RECORD_SIZE, index),
            field::path::PATTERN,
        )
    }

    fn path_type(&self, index: usize) -> u32 {
        u32_at(
            self.record(self.layout.paths, PATH_RECORD_SIZE, index),
            field::path::TYPE_ID,
        )
    }

    /// The type of the prefix rule whose pattern is exactly `candidate`, if any.
    fn prefix_rule(&self, candidate: &[u8]) -> Option<u32> {
        let (lo, hi) = (self.layout.exact_end, self.layout.prefix_end);
        let order = |i| {
            let p = self.path_pattern(i);
            candidate.len().cmp(&p.len()).then_with(|| p.cmp(candidate))
        };
        let i = partition_point(lo, hi, |i| order(i) == Ordering::Less);
        (i < hi && order(i) == Ordering::Equal).then(|| self.path_type(i))
    }

    /// The type of `path` (0 when no rule matches): an exact rule wins, then the longest
    /// prefix rule, then the first glob in canonical order. O(log n) for exact rules,
    /// O(depth x log n) for prefix rules, linear in the glob rules.
    pub fn type_for_path(&self, path: &[u8]) -> u32 {
        self.type_for_path_where(path, |_, _| true)
    }

    /// [`PolicyView::type_for_path`], asking `may_exist(kind, pattern)` before searching
    /// for an exact or prefix rule whose pattern is `pattern`: a caller's index (the
    /// kernel keeps the lengths of the patterns) that knows no such rule exists answers
    /// false and saves the search. `may_exist` must never answer false for a pattern the
    /// policy has (it may answer true for one it lacks): then the type is the same.
    pub fn type_for_path_where(
        &self,
        path: &[u8],
        may_exist: impl Fn(PathMatch, &[u8]) -> bool,
    ) -> u32 {
        let layout = &self.layout;
        let exact_end = layout.exact_end;
        if exact_end > 0 && may_exist(PathMatch::Exact, path) {
            let i = partition_point(0, exact_end, |i| self.path_pattern(i) < path);
            if i < exact_end && self.path_pattern(i) == path {
                return self.path_type(i);
            }
        }
        if let Some(t) = self.prefix_type_where(path, &may_exist) {
            return t;
        }
        for i in layout.prefix_end..layout.paths.count {
            if glob_match(self.path_pattern(i), path) {
                return self.path_type(i);
            }
        }
        0
    }

    /// The type of the longest prefix rule at or above `path`, if any. O(depth x log n).
    pub fn prefix_type(&self, path: &[u8]) -> Option<u32> {
        self.prefix_type_where(path, |_, _| true)
    }

    /// [`PolicyView::prefix_type`] with `may_exist` as for
    /// [`PolicyView::type_for_path_where`].
    pub fn prefix_type_where(
        &self,
        path: &[u8],
        may_exist: impl Fn(PathMatch, &[u8]) -> bool,
    ) -> Option<u32> {
        let layout = &self.layout;
        let exact_end = layout.exact_end;
        if layout.prefix_end <= exact_end {
            return None;
        }
        // Prefix rules are sorted longest first: skip candidates that cannot match.
        let longest = self.path_pattern(exact_end).len();
        let shortest = self.path_pattern(layout.prefix_end.saturating_sub(1)).len();
        let mut candidate = path;
        loop {
            if candidate.len() < shortest {
                return None;
            }
            if candidate.len() <= longest && may_exist(PathMatch::Prefix, candidate) {
                if let Some(t) = self.prefix_rule(candidate) {
                    return Some(t);
                }
            }
            candidate = match candidate.iter().rposition(|c| *c == b'/') {
                None => return None,
                Some(0) if candidate.len() == 1 => return None,
                Some(0) => path.get(..1).unwrap_or(&[]),
                Some(slash) => path.get(..slash).unwrap_or(&[]),
            };
        }
    }

    /// Whether path rule `index` names (or, for a glob, may name) an object strictly
    /// below the directory `dir`, where `covered` tells whether a prefix rule covers
    /// `dir` (then no glob types anything below it: a prefix rule wins over every glob).
    fn rule_below(&self, index: usize, dir: &[u8], covered: bool) -> bool {
        let pattern = self.path_pattern(index);
        if index < self.layout.prefix_end {
            strictly_below(pattern, dir)
        } else {
            !covered && glob_may_match_below(pattern, dir)
        }
    }

    /// Calls `f` with every type an object strictly below the directory `dir` may have
    /// (the same type may come more than once), until `f` returns false; returns whether
    /// it never did. The types are: the covering prefix rule's (what unnamed descendants
    /// get), those of the exact and prefix rules below `dir`, and, when no prefix rule
    /// covers `dir`, those of the globs that may match below it and 0 (no type) unless a
    /// glob `A/**` types everything below `dir` (`A` matches `dir` or one of its parents). Moving the directory `dir` gives (or
    /// takes) these types to (from) what is below it. Linear in the path rules.
    pub fn types_below(&self, dir: &[u8], mut f: impl FnMut(u32) -> bool) -> bool {
        let covering = self.prefix_type(dir);
        let everything_globbed = covering.is_none()
            && (self.layout.prefix_end..self.layout.paths.count).any(|i| {
                // `A/**` types everything below a match of `A`, and below a match of itself.
                let p = self.path_pattern(i);
                p.strip_suffix(b"/**")
                    .is_some_and(|a| glob_match(a, dir) || glob_match(p, dir))
            });
        if !everything_globbed && !f(covering.unwrap_or(0)) {
            return false;
        }
        (0..self.layout.paths.count)
            .all(|i| !self.rule_below(i, dir, covering.is_some()) || f(self.path_type(i)))
    }

    /// Whether a path rule of a protected type, or the executable of an exec transition,
    /// names (for a glob: may name) something strictly below `dir`, and which (a protected
    /// rule first). Creating `dir` (a directory, a symlink, any name) or moving something
    /// there would let the creator's object stand where those names lead. Linear in the
    /// path rules and transitions.
    pub fn reserved_below(&self, dir: &[u8]) -> Option<Reserved> {
        let covered = self.prefix_type(dir).is_some();
        let protected = (0..self.layout.paths.count)
            .any(|i| self.type_is_protected(self.path_type(i)) && self.rule_below(i, dir, covered));
        if protected {
            return Some(Reserved::Protected);
        }
        (0..self.transition_count())
            .any(|i| {
                self.transition_rule(i)
                    .is_some_and(|t| strictly_below(t.exe, dir))
            })
            .then_some(Reserved::Transition)
    }

    /// Calls `f` with every path that [`PolicyView::reserved_below`] looks below, except
    /// globs: the patterns of the exact and prefix rules of protected types and the
    /// executables of transitions (an index of their ancestors tells quickly that nothing
    /// is reserved below a new name). Returns whether a protected glob rule exists.
    pub fn reserved_paths(&self, mut f: impl FnMut(&'a [u8])) -> bool {
        let mut globs = false;
        for i in 0..self.layout.paths.count {
            if self.type_is_protected(self.path_type(i)) {
                if i < self.layout.prefix_end {
                    f(self.path_pattern(i));
                } else {
                    globs = true;
                }
            }
        }
        for i in 0..self.transition_count() {
            if let Some(t) = self.transition_rule(i) {
                f(t.exe);
            }
        }
        globs
    }

    /// Calls `f(type_id, pattern)` for every exact and prefix rule of a protected type, in
    /// canonical order: the objects a policy load resolves and marks, so that they keep
    /// their protection by whatever other name (a hard link) or mount (a bind mount) they
    /// are reached. Globs name no one object and are not resolved.
    pub fn protected_objects(&self, mut f: impl FnMut(u32, &'a [u8])) {
        for i in 0..self.layout.prefix_end {
            let type_id = self.path_type(i);
            if self.type_is_protected(type_id) {
                f(type_id, self.path_pattern(i));
            }
        }
    }

    /// [`PolicyView::protected_objects`] whose patterns are strictly below the directory
    /// `dir`: what a bind mount (or any other new way to reach `dir`'s subtree) reaches
    /// of the protected objects, whenever they were made.
    pub fn protected_objects_below(&self, dir: &[u8], mut f: impl FnMut(u32, &'a [u8])) {
        self.protected_objects(|type_id, pattern| {
            if strictly_below(pattern, dir) {
                f(type_id, pattern);
            }
        });
    }

    /// Whether every object strictly below the directory `dir` has type `type_id` by the
    /// policy's names (a rule of that type covers everything below `dir` and no rule gives
    /// anything there another type). Objects that appear below a directory of a protected type
    /// for which this holds inherit the directory's protection (the kernel's mark).
    pub fn uniform_below(&self, dir: &[u8], type_id: u32) -> bool {
        type_id != 0 && self.types_below(dir, |t| t == type_id)
    }

    /// Calls `f` with every type the policy's names can give an object (the same type may
    /// come more than once; 0 for what no rule names), until `f` returns false; returns
    /// whether it never did. Linear in the path rules.
    pub fn possible_types(&self, mut f: impl FnMut(u32) -> bool) -> bool {
        f(self.type_for_path(b"/")) && self.types_below(b"/", f)
    }

    /// The file permissions `domain` has on every object whatever its name: what it may do
    /// on an object that no name reached (an inode a file system found for itself, as
    /// overlayfs does with its layers at mount time), whose type is therefore unknown.
    /// Without the structural permissions when some possible type is protected (refused on
    /// protected objects to every domain), and none when some object may have no type.
    /// Linear in the path rules.
    pub fn file_perms_anywhere(&self, domain: &DomainView<'_>) -> u32 {
        let mut perms = perm::FILE_PERMS_MASK;
        self.possible_types(|type_id| {
            if type_id == 0 {
                perms = 0;
            } else {
                let grant = domain.file_grant(type_id);
                perms &= grant.allowed & !grant.denied;
                if self.type_is_protected(type_id) {
                    perms &= !perm::bits::file::PROTECTED_NEVER;
                }
            }
            perms != 0
        });
        perms
    }

    /// The one type every object strictly below the directory `dir` has by the policy's
    /// names (0 when that is no type), or `None` when objects below it may have different
    /// types. An object whose own name is longer than `PATH_MAX` (which the kernel cannot
    /// build) is decided by this type of the deepest directory above it whose name it can
    /// build, and refused when there is none. Linear in the path rules.
    pub fn type_below(&self, dir: &[u8]) -> Option<u32> {
        let mut only = None;
        let one = self.types_below(dir, |t| match only {
            None => {
                only = Some(t);
                true
            }
            Some(o) => o == t,
        });
        if one {
            only
        } else {
            None
        }
    }

    /// Whether a task in domain `from` could plant the executable of a transition at
    /// `exe`: the type `exe` has and the permissions of `perm::bits::file::FORGE` that
    /// `from` holds on it (write, append, create, rename, link), or `None` when it holds
    /// none. A transition out of `from` by that path alone would let it enter the target
    /// domain with a program of its own; the compiler requires a digest then.
    pub fn forgeable_entrypoint(&self, from: u32, exe: &[u8]) -> Option<(u32, u32)> {
        let domain = self.domain(from)?;
        let type_id = self.type_for_path(exe);
        let grant = domain.file_grant(type_id);
        let bits = perm::bits::file::FORGE & grant.allowed & !grant.denied;
        (type_id != 0 && bits != 0).then_some((type_id, bits))
    }

    /// Transition `index` (0-based, canonical order).
    pub fn transition_rule(&self, index: usize) -> Option<TransitionRef<'a>> {
        let r = self.record(self.layout.transitions, TRANSITION_RECORD_SIZE, index);
        if r.is_empty() {
            return None;
        }
        Some(TransitionRef {
            from: u32_at(r, field::transition::FROM),
            exe: self.string(r, field::transition::EXE),
            digest: (u32_at(r, field::transition::HAS_DIGEST) != 0)
                .then(|| array_at(r, field::transition::DIGEST)),
            to: u32_at(r, field::transition::TO),
        })
    }

    fn transition_key_order(
        &self,
        index: usize,
        from: u32,
        exe: &[u8],
        digest: Option<&[u8; 32]>,
    ) -> Ordering {
        let r = self.record(self.layout.transitions, TRANSITION_RECORD_SIZE, index);
        let has = u32_at(r, field::transition::HAS_DIGEST) != 0;
        let d: [u8; 32] = array_at(r, field::transition::DIGEST);
        u32_at(r, field::transition::FROM)
            .cmp(&from)
            .then_with(|| self.string(r, field::transition::EXE).cmp(exe))
            .then_with(|| has.then_some(&d).cmp(&digest))
    }

    fn find_transition(&self, from: u32, exe: &[u8], digest: Option<&[u8; 32]>) -> Option<u32> {
        let n = self.layout.transitions.count;
        let order = |i| self.transition_key_order(i, from, exe, digest);
        let i = partition_point(0, n, |i| order(i) == Ordering::Less);
        if i < n && order(i) == Ordering::Equal {
            let r = self.record(self.layout.transitions, TRANSITION_RECORD_SIZE, i);
            return Some(u32_at(r, field::transition::TO));
        }
        None
    }

    /// Whether some transition from `from` by `exe` pins a digest (then the executable's
    /// content must be hashed to find the transition). O(log n).
    pub fn transition_pinned(&self, from: u32, exe: &[u8]) -> bool {
        let n = self.layout.transitions.count;
        let key = |i| {
            let r = self.record(self.layout.transitions, TRANSITION_RECORD_SIZE, i);
            (
                u32_at(r, field::transition::FROM),
                self.string(r, field::transition::EXE),
                u32_at(r, field::transition::HAS_DIGEST) != 0,
            )
        };
        // Canonical order: (from, exe), then the rule without a digest before those with.
        let i = partition_point(0, n, |i| {
            let (f, e, has) = key(i);
            (f, e).cmp(&(from, exe)).then(has.cmp(&true)) == Ordering::Less
        });
        i < n && {
            let (f, e, has) = key(i);
            f == from && e == exe && has
        }
    }

    /// The domain a task in domain `from` (0 = unconfined) enters when it executes `exe`
    /// whose content has SHA-256 `digest` (None when unknown). A rule with a digest only
    /// matches that digest and takes precedence over the rule without one, which matches
    /// any content. O(log n).
    pub fn transition(&self, from: u32, exe: &[u8], digest: Option<&[u8; 32]>) -> Option<u32> {
        if let Some(d) = digest {
            if let Some(to) = self.find_transition(from, exe, Some(d)) {
                return Some(to);
            }
        }
        self.find_transition(from, exe, None)
    }
}

impl<'a> DomainView<'a> {
    /// The domain's id.
    pub const fn id(&self) -> u32 {
        self.id
    }

    /// The domain's name.
    pub fn name(&self) -> &'a str {
        core::str::from_utf8(self.policy.string(self.record, field::domain::NAME)).unwrap_or("")
    }

    /// The domain's own mode; `None` follows the global mode.
    pub fn mode(&self) -> Option<Mode> {
        Mode::from_u8(u8_at(self.record, field::domain::MODE))
    }

    /// Allowed capabilities (bit = capability number).
    pub fn capabilities(&self) -> u64 {
        u64_at(self.record, field::domain::CAPABILITIES)
    }

    /// Whether capability number `cap` is allowed.
    pub fn capable(&self, cap: u32) -> bool {
        cap < 64 && self.capabilities() & (1u64 << cap) != 0
    }

    /// Signal scope bits (`perm::SCOPES`).
    pub fn signal(&self) -> u32 {
        u32_at(self.record, field::domain::SIGNAL)
    }

    /// Ptrace scope bits (`perm::SCOPES`).
    pub fn ptrace(&self) -> u32 {
        u32_at(self.record, field::domain::PTRACE)
    }

    /// SysV IPC bits (`perm::IPC_PERMS`).
    pub fn ipc(&self) -> u32 {
        u32_at(self.record, field::domain::IPC)
    }

    /// System operation bits (`perm::SYSTEM_OPS`).
    pub fn system(&self) -> u32 {
        u32_at(self.record, field::domain::SYSTEM)
    }

    /// Process operation bits (`perm::PROCESS_OPS`).
    pub fn process(&self) -> u32 {
        u32_at(self.record, field::domain::PROCESS)
    }

    /// Behaviour limits; `None` when the domain has none.
    pub fn behaviour(&self) -> Option<Behaviour> {
        let r = self.record;
        let response = match u8_at(r, field::domain::RESPONSE) {
            RESPONSE_AUDIT => Response::Audit,
            RESPONSE_QUARANTINE => Response::Quarantine(u32_at(r, field::domain::QUARANTINE)),
            _ => return None,
        };
        Some(Behaviour {
            anomaly_threshold: u32_at(r, field::domain::THRESHOLD),
            window_ms: u32_at(r, field::domain::WINDOW),
            max_ops: u32_at(r, field::domain::MAX_OPS),
            response,
        })
    }

    fn file_range(&self) -> (usize, usize) {
        let start = to_usize(u32_at(self.record, field::domain::FILE_START));
        let count = to_usize(u32_at(self.record, field::domain::FILE_COUNT));
        (
            start,
            start
                .saturating_add(count)
                .min(self.policy.layout.file_rules.count),
        )
    }

    fn net_range(&self) -> (usize, usize) {
        let start = to_usize(u32_at(self.record, field::domain::NET_START));
        let count = to_usize(u32_at(self.record, field::domain::NET_COUNT));
        (
            start,
            start
                .saturating_add(count)
                .min(self.policy.layout.net_rules.count),
        )
    }

    /// Number of file rules of the domain.
    pub fn file_rule_count(&self) -> usize {
        let (start, end) = self.file_range();
        end.saturating_sub(start)
    }

    /// Number of network rules of the domain.
    pub fn net_rule_count(&self) -> usize {
        let (start, end) = self.net_range();
        end.saturating_sub(start)
    }

    fn file_record(&self, absolute: usize) -> &'a [u8] {
        self.policy.record(
            self.policy.layout.file_rules,
            FILE_RULE_RECORD_SIZE,
            absolute,
        )
    }

    /// The domain's file rule `index` (0-based, canonical order).
    pub fn file_rule(&self, index: usize) -> Option<FileRule> {
        let (start, end) = self.file_range();
        let absolute = start.checked_add(index).filter(|i| *i < end)?;
        let r = self.file_record(absolute);
        Some(FileRule {
            type_id: u32_at(r, field::file_rule::TYPE_ID),
            decision: Decision::from_u8(u8::try_from(u32_at(r, field::file_rule::DECISION)).ok()?)?,
            perms: u32_at(r, field::file_rule::PERMS),
        })
    }

    /// Whether the domain may do `perms` (bits of `perm::FILE_PERMS`) on objects of type
    /// `type_id`: every requested bit must be in the domain's allow rule for the type and
    /// none in its deny rule (so an empty request is allowed). O(log n).
    pub fn file_allows(&self, type_id: u32, perms: u32) -> bool {
        self.file_grant(type_id).allows(perms)
    }

    /// The permissions of the domain's allow and deny rules for objects of type `type_id`
    /// (what the decision cache keeps). O(log n).
    pub fn file_grant(&self, type_id: u32) -> Grant {
        let (start, end) = self.file_range();
        let key = |i| {
            let r = self.file_record(i);
            (
                u32_at(r, field::file_rule::TYPE_ID),
                u32_at(r, field::file_rule::DECISION),
            )
        };
        let first = partition_point(start, end, |i| {
            key(i) < (type_id, u32::from(Decision::Allow.to_u8()))
        });
        let mut grant = Grant::default();
        for i in first..end.min(first.saturating_add(2)) {
            let (t, decision) = key(i);
            if t != type_id {
                break;
            }
            let bits = u32_at(self.file_record(i), field::file_rule::PERMS);
            if decision == u32::from(Decision::Deny.to_u8()) {
                grant.denied |= bits;
            } else {
                grant.allowed |= bits;
            }
        }
        grant
    }

    fn net_record(&self, absolute: usize) -> &'a [u8] {
        self.policy
            .record(self.policy.layout.net_rules, NET_RULE_RECORD_SIZE, absolute)
    }

    /// The domain's network rule `index` (0-based, canonical order).
    pub fn net_rule(&self, index: usize) -> Option<NetRuleRef<'a>> {
        let (start, end) = self.net_range();
        let absolute = start.checked_add(index).filter(|i| *i < end)?;
        read_net_rule(self.policy, self.net_record(absolute))
    }

    /// Whether the domain may create a socket of `family` and `protocol`: some `allow`
    /// rule with `create` names the family and the protocol (or any protocol; Unix rules
    /// have none), and no `deny` rule with `create` does. A socket has no address when it
    /// is made, so a deny rule's address and ports do not narrow it: `deny net create`
    /// for a family and protocol refuses every such socket (fail closed).
    pub fn net_create_allows(&self, family: NetFamily, protocol: Protocol) -> bool {
        // Reads the raw fields, as `net_allows` does: socket creation is on the path of
        // every connection, and decoding whole records (strings included) cost it 3%.
        let (start, end) = self.net_range();
        let (family, protocol) = (family.to_u8(), protocol.to_u8());
        let any_protocol = family == NetFamily::Unix.to_u8();
        let (mut allowed, mut denied) = (false, false);
        for i in start..end {
            let r = self.net_record(i);
            if u32_at(r, field::net_rule::OPS) & perm::bits::net::CREATE == 0
                || u8_at(r, field::net_rule::FAMILY) != family
            {
                continue;
            }
            let rule_protocol = u8_at(r, field::net_rule::PROTOCOL);
            if any_protocol || rule_protocol == Protocol::Any.to_u8() || rule_protocol == protocol {
                if u8_at(r, field::net_rule::DECISION) == Decision::Deny.to_u8() {
                    denied = true;
                } else {
                    allowed = true;
                }
            }
        }
        allowed && !denied
    }

    /// Whether the domain may do the network operations `ops` (bits of `perm::NET_OPS`,
    /// usually one) with a socket of `family` and `protocol` on `addr` (IPv4 in the first
    /// 4 bytes; an IPv4-mapped IPv6 address counts as IPv4) and `port`, or for Unix sockets
    /// on `unix_path` (`@name` for abstract names).
    ///
    /// Every requested bit must be in some matching allow rule and in no matching deny
    /// rule (so an empty request is allowed). A rule matches when its family is the
    /// socket's and, for IP, its protocol is any or the socket's, the first `prefix_len`
    /// bits of its address are the address's and the port lies in its inclusive range;
    /// for Unix, its path is empty or equal to `unix_path`. Linear in the domain's rules.
    pub fn net_allows(
        &self,
        ops: u32,
        family: NetFamily,
        protocol: Protocol,
        addr: &[u8; 16],
        port: u16,
        unix_path: &[u8],
    ) -> bool {
        let (family, addr) = match family {
            NetFamily::Inet6 => match unmap_ipv4(addr) {
                Some(v4) => (NetFamily::Inet, v4),
                None => (family, *addr),
            },
            _ => (family, *addr),
        };
        let addr = u128::from_be_bytes(addr);
        let (start, end) = self.net_range();
        let (mut allowed, mut denied) = (0u32, 0u32);
        for i in start..end {
            let r = self.net_record(i);
            let rule_ops = u32_at(r, field::net_rule::OPS);
            if rule_ops & ops == 0 || u8_at(r, field::net_rule::FAMILY) != family.to_u8() {
                continue;
            }
            let matches = if family == NetFamily::Unix {
                let path = self.policy.string(r, field::net_rule::UNIX_PATH);
                path.is_empty() || path == unix_path
            } else {
                let rule_protocol = u8_at(r, field::net_rule::PROTOCOL);
                (rule_protocol == Protocol::Any.to_u8() || rule_protocol == protocol.to_u8())
                    && u16_at(r, field::net_rule::PORT_LO) <= port
                    && port <= u16_at(r, field::net_rule::PORT_HI)
                    && prefix_matches(
                        u128::from_be_bytes(array_at(r, field::net_rule::ADDR)),
                        addr,
                        u8_at(r, field::net_rule::PREFIX_LEN),
                    )
            };
            if matches {
                if u8_at(r, field::net_rule::DECISION) == Decision::Deny.to_u8() {
                    denied |= rule_ops;
                } else {
                    allowed |= rule_ops;
                }
            }
        }
        ops & !allowed == 0 && ops & denied == 0
    }
}

/// Whether `path` is strictly below the directory `dir` (`/a/b` is below `/a` and `/`,
/// not below `/a/b` or `/ab`).
fn strictly_below(path: &[u8], dir: &[u8]) -> bool {
    if dir == b"/" {
        return path.len() > 1 && path.first() == Some(&b'/');
    }
    path.len() > dir.len() && path.starts_with(dir) && path.get(dir.len()) == Some(&b'/')
}

/// Reads a network rule record; None when an enum field is undefined.
fn read_net_rule<'a>(policy: &PolicyView<'a>, r: &[u8]) -> Option<NetRuleRef<'a>> {
    Some(NetRuleRef {
        decision: Decision::from_u8(u8_at(r, field::net_rule::DECISION))?,
        ops: u32_at(r, field::net_rule::OPS),
        family: NetFamily::from_u8(u8_at(r, field::net_rule::FAMILY))?,
        protocol: Protocol::from_u8(u8_at(r, field::net_rule::PROTOCOL))?,
        addr: array_at(r, field::net_rule::ADDR),
        prefix_len: u8_at(r, field::net_rule::PREFIX_LEN),
        port_lo: u16_at(r, field::net_rule::PORT_LO),
        port_hi: u16_at(r, field::net_rule::PORT_HI),
        unix_path: policy.string(r, field::net_rule::UNIX_PATH),
    })
}

/// Whether the first `prefix_len` bits of `a` and `b` (addresses as big-endian numbers)
/// agree: one comparison of 128-bit words, on the path of every connect and send.
fn prefix_matches(a: u128, b: u128, prefix_len: u8) -> bool {
    let mask = match prefix_len {
        0 => 0,
        n if n >= 128 => u128::MAX,
        n => u128::MAX << (128 - u32::from(n)),
    };
    (a ^ b) & mask == 0
}
