//! Validation: the checks every blob passes before any query (size, header, digest,
//! section table, then every section in table order), the size a partly written blob
//! declares, and the digest the header holds.

use core::cmp::Ordering;

use super::super::mode::Mode;
use super::super::perm;
use super::super::sha256::{Sha256, DIGEST_LEN};
use super::super::types::{
    Behaviour, Decision, Heartbeat, HeartbeatAction, NetFamily, PathMatch, Protocol, Response,
};
use super::error::FormatError;
use super::read::{array_at, to_usize, u16_at, u32_at, u64_at, u8_at};
use super::syntax::{
    check_behaviour, check_heartbeat, check_name, check_net_rule, check_path, path_key_order,
};
use super::view::{NetRuleRef, PolicyLayout, PolicyView, Section};
use super::wire::{
    field, SectionKind, DOMAIN_RECORD_SIZE, FILE_RULE_RECORD_SIZE, HEADER_SIZE, MAGIC,
    MAX_ANOMALY_THRESHOLD, MAX_DOMAINS, MAX_POLICY_SIZE, MAX_TYPES, MODE_NONE,
    NET_RULE_RECORD_SIZE, PATH_RECORD_SIZE, RESPONSE_AUDIT, RESPONSE_NONE, RESPONSE_QUARANTINE,
    SECTIONS_START, SECTION_COUNT, SETTINGS_RECORD_SIZE, TRANSITION_RECORD_SIZE,
    TYPE_FLAG_PROTECTED, TYPE_RECORD_SIZE, VERSION,
};

/// Reads the size a blob declares from its first bytes, as soon as 20 have arrived, after
/// checking its magic and version: `Ok(None)` when fewer than 20 bytes are given (and
/// what there is looks right), `Ok(Some(size))` otherwise. The kernel uses it to know
/// when a blob written in pieces is complete and to refuse an oversized one early.
pub fn declared_size(prefix: &[u8]) -> Result<Option<usize>, FormatError> {
    let magic_part = prefix.get(..prefix.len().min(MAGIC.len())).unwrap_or(&[]);
    if MAGIC.get(..magic_part.len()) != Some(magic_part) {
        return Err(FormatError::BadMagic);
    }
    if prefix.len() >= field::header::VERSION + 4 {
        let version = u32_at(prefix, field::header::VERSION);
        if version != VERSION {
            return Err(FormatError::BadVersion { version });
        }
    }
    if prefix.len() < field::header::TOTAL_SIZE + 4 {
        return Ok(None);
    }
    let size = to_usize(u32_at(prefix, field::header::TOTAL_SIZE));
    if size > MAX_POLICY_SIZE {
        return Err(FormatError::TooLarge { size });
    }
    if size < HEADER_SIZE {
        return Err(FormatError::Layout {
            offset: field::header::TOTAL_SIZE,
            what: "declared size smaller than the header",
        });
    }
    Ok(Some(size))
}

/// The digest of a blob as the header's digest field must hold it: SHA-256 of the blob
/// with that field taken as zeros.
pub fn compute_digest(bytes: &[u8]) -> [u8; DIGEST_LEN] {
    let mut h = Sha256::new();
    let start = field::header::DIGEST;
    let end = start.saturating_add(DIGEST_LEN);
    h.update(bytes.get(..start.min(bytes.len())).unwrap_or(&[]));
    if bytes.len() > start {
        let zeros = [0u8; DIGEST_LEN];
        h.update(
            zeros
                .get(..end.min(bytes.len()).saturating_sub(start))
                .unwrap_or(&[]),
        );
    }
    h.update(bytes.get(end..).unwrap_or(&[]));
    h.finish()
}

fn check_header(bytes: &[u8]) -> Result<(), FormatError> {
    use field::header as h;
    let size = bytes.len();
    if size > MAX_POLICY_SIZE {
        return Err(FormatError::TooLarge { size });
    }
    if size < HEADER_SIZE {
        return Err(FormatError::Truncated {
            size,
            needed: HEADER_SIZE,
        });
    }
    if array_at::<8>(bytes, h::MAGIC) != MAGIC {
        return Err(FormatError::BadMagic);
    }
    let version = u32_at(bytes, h::VERSION);
    if version != VERSION {
        return Err(FormatError::BadVersion { version });
    }
    if to_usize(u32_at(bytes, h::HEADER_SIZE)) != HEADER_SIZE {
        return Err(FormatError::Layout {
            offset: h::HEADER_SIZE,
            what: "header size is not 64",
        });
    }
    let total = to_usize(u32_at(bytes, h::TOTAL_SIZE));
    if total > MAX_POLICY_SIZE {
        return Err(FormatError::TooLarge { size: total });
    }
    if total > size {
        return Err(FormatError::Truncated {
            size,
            needed: total,
        });
    }
    if total < size {
        return Err(FormatError::Layout {
            offset: total,
            what: "bytes past the declared size",
        });
    }
    if to_usize(u32_at(bytes, h::SECTION_COUNT)) != SECTION_COUNT {
        return Err(FormatError::Layout {
            offset: h::SECTION_COUNT,
            what: "section count is not 8",
        });
    }
    if u32_at(bytes, h::FLAGS) != 0 {
        return Err(FormatError::Reserved { offset: h::FLAGS });
    }
    if u32_at(bytes, h::RESERVED) != 0 {
        return Err(FormatError::Reserved {
            offset: h::RESERVED,
        });
    }
    if size < SECTIONS_START {
        return Err(FormatError::Truncated {
            size,
            needed: SECTIONS_START,
        });
    }
    Ok(())
}

/// Checks the section table and returns the sections' places (path boundaries unset).
fn check_sections(bytes: &[u8]) -> Result<PolicyLayout, FormatError> {
    use field::entry as e;
    let total = bytes.len();
    let mut layout = PolicyLayout::default();
    let mut expected = SECTIONS_START;
    for kind in SectionKind::ALL {
        let entry = kind.entry_offset();
        if u32_at(bytes, entry.saturating_add(e::KIND)) != kind as u32 {
            return Err(FormatError::Layout {
                offset: entry.saturating_add(e::KIND),
                what: "section table entries not in kind order 1..=8",
            });
        }
        let offset = to_usize(u32_at(bytes, entry.saturating_add(e::OFFSET)));
        if offset != expected {
            return Err(FormatError::Layout {
                offset: entry.saturating_add(e::OFFSET),
                what: "section does not start where the previous one ends",
            });
        }
        let length = to_usize(u32_at(bytes, entry.saturating_add(e::LENGTH)));
        let count = to_usize(u32_at(bytes, entry.saturating_add(e::COUNT)));
        let expected_length = if kind == SectionKind::Strings {
            count.checked_add(3).map(|n| n & !3)
        } else {
            count.checked_mul(kind.record_size())
        };
        if expected_length != Some(length) {
            return Err(FormatError::Layout {
                offset: entry.saturating_add(e::LENGTH),
                what: "section length does not match its count",
            });
        }
        let end = match offset.checked_add(length) {
            Some(end) if end <= total => end,
            _ => {
                return Err(FormatError::Layout {
                    offset: entry.saturating_add(e::LENGTH),
                    what: "section ends past the blob",
                })
            }
        };
        let section = Section { offset, count };
        match kind {
            SectionKind::Strings => layout.strings = section,
            SectionKind::Settings => layout.settings = section,
            SectionKind::Types => layout.types = section,
            SectionKind::Paths => layout.paths = section,
            SectionKind::Domains => layout.domains = section,
            SectionKind::FileRules => layout.file_rules = section,
            SectionKind::NetRules => layout.net_rules = section,
            SectionKind::Transitions => layout.transitions = section,
        }
        expected = end;
    }
    if expected != total {
        return Err(FormatError::Layout {
            offset: expected,
            what: "bytes after the last section",
        });
    }
    if layout.settings.count != 1 {
        return Err(FormatError::Layout {
            offset: SectionKind::Settings
                .entry_offset()
                .saturating_add(e::COUNT),
            what: "settings section must hold exactly one record",
        });
    }
    if layout.types.count > MAX_TYPES {
        return Err(FormatError::Invalid {
            offset: SectionKind::Types.entry_offset().saturating_add(e::COUNT),
            what: "more than 65535 types",
        });
    }
    if layout.domains.count > MAX_DOMAINS {
        return Err(FormatError::Invalid {
            offset: SectionKind::Domains.entry_offset().saturating_add(e::COUNT),
            what: "more than 65535 domains",
        });
    }
    let pool_end = layout.strings.offset.saturating_add(layout.strings.count);
    let padded_end = pool_end.saturating_add(3) & !3;
    if let Some(bad) = bytes
        .get(pool_end..padded_end)
        .and_then(|pad| pad.iter().position(|b| *b != 0))
    {
        return Err(FormatError::Layout {
            offset: pool_end.saturating_add(bad),
            what: "string pool padding is not zero",
        });
    }
    Ok(layout)
}

/// Validation state: the view being built and the string pool cursor.
struct Validator<'a> {
    view: PolicyView<'a>,
    /// Where the next string reference must point in the pool.
    cursor: usize,
}

impl<'a> Validator<'a> {
    /// Iterates over records `first..first + count` of `section`, with their offsets.
    fn records(
        &self,
        section: Section,
        size: usize,
        first: usize,
        count: usize,
    ) -> impl Iterator<Item = (usize, &'a [u8])> + 'a {
        let start = first.saturating_mul(size).saturating_add(section.offset);
        let end = first
            .saturating_add(count)
            .saturating_mul(size)
            .saturating_add(section.offset);
        let base = start;
        self.view
            .bytes
            .get(start..end)
            .unwrap_or(&[])
            .chunks_exact(size.max(1))
            .enumerate()
            .map(move |(i, r)| (base.saturating_add(i.saturating_mul(size)), r))
    }

    /// Checks the string reference at `field` of the record at `offset` and returns the
    /// string: inside the pool, and exactly at the cursor.
    fn string(
        &mut self,
        offset: usize,
        record: &[u8],
        field: usize,
    ) -> Result<&'a [u8], FormatError> {
        let at = offset.saturating_add(field);
        let start = to_usize(u32_at(record, field));
        let len = to_usize(u32_at(record, field.saturating_add(4)));
        let end = start
            .checked_add(len)
            .ok_or(FormatError::BadStringRef { offset: at })?;
        let strings = self.view.layout.strings;
        if end > strings.count {
            return Err(FormatError::BadStringRef { offset: at });
        }
        if start != self.cursor {
            return Err(FormatError::StringPlacement { offset: at });
        }
        self.cursor = end;
        let (a, b) = (
            strings.offset.saturating_add(start),
            strings.offset.saturating_add(end),
        );
        self.view
            .bytes
            .get(a..b)
            .ok_or(FormatError::BadStringRef { offset: at })
    }

    fn settings(&mut self) -> Result<(), FormatError> {
        use field::settings as s;
        let at = self.view.layout.settings.offset;
        let r = self
            .view
            .record(self.view.layout.settings, SETTINGS_RECORD_SIZE, 0);
        let mode = u8_at(r, s::MODE);
        if mode != MODE_NONE && Mode::from_u8(mode).is_none() {
            return Err(bad_enum(at, s::MODE, u32::from(mode), "mode"));
        }
        let action = u8_at(r, s::HEARTBEAT_ACTION);
        if action != 0 && HeartbeatAction::from_u8(action).is_none() {
            return Err(bad_enum(
                at,
                s::HEARTBEAT_ACTION,
                u32::from(action),
                "heartbeat action",
            ));
        }
        if u16_at(r, s::RESERVED0) != 0 {
            return Err(FormatError::Reserved {
                offset: at.saturating_add(s::RESERVED0),
            });
        }
        let timeout = u32_at(r, s::HEARTBEAT_TIMEOUT);
        if let Some(action) = HeartbeatAction::from_u8(action) {
            check_heartbeat(&Heartbeat {
                timeout_ms: timeout,
                action,
            })
            .map_err(|what| invalid(at, s::HEARTBEAT_TIMEOUT, what))?;
        } else if timeout != 0 {
            return Err(invalid(
                at,
                s::HEARTBEAT_TIMEOUT,
                "heartbeat timeout without an action",
            ));
        }
        if u64_at(r, s::RESERVED1) != 0 {
            return Err(FormatError::Reserved {
                offset: at.saturating_add(s::RESERVED1),
            });
        }
        Ok(())
    }

    fn types(&mut self) -> Result<(), FormatError> {
        use field::object_type as t;
        let section = self.view.layout.types;
        let mut previous: Option<&[u8]> = None;
        for (at, r) in self.records(section, TYPE_RECORD_SIZE, 0, section.count) {
            let name = self.string(at, r, t::NAME)?;
            if !check_name(name) {
                return Err(invalid(
                    at,
                    t::NAME,
                    "type name is not an identifier of at most 64 bytes",
                ));
            }
            if u32_at(r, t::FLAGS) & !TYPE_FLAG_PROTECTED != 0 {
                return Err(FormatError::UndefinedBits {
                    offset: at.saturating_add(t::FLAGS),
                    what: "type flags",
                });
            }
            check_order(previous.map(|p| p.cmp(name)), at, "types")?;
            previous = Some(name);
        }
        Ok(())
    }

    fn paths(&mut self) -> Result<(), FormatError> {
        use field::path as p;
        let section = self.view.layout.paths;
        let types = self.view.layout.types.count;
        let mut previous: Option<(PathMatch, &[u8])> = None;
        let (mut exact, mut prefix) = (0usize, 0usize);
        for (at, r) in self.records(section, PATH_RECORD_SIZE, 0, section.count) {
            let pattern = self.string(at, r, p::PATTERN)?;
            let raw_kind = u32_at(r, p::KIND);
            let kind = PathMatch::from_u32(raw_kind).ok_or(bad_enum(
                at,
                p::KIND,
                raw_kind,
                "path match kind",
            ))?;
            check_type_id(u32_at(r, p::TYPE_ID), types, at, p::TYPE_ID)?;
            check_path(pattern, kind).map_err(|what| invalid(at, p::PATTERN, what))?;
            check_order(
                previous.map(|(k, q)| path_key_order(k, q, kind, pattern)),
                at,
                "path rules",
            )?;
            previous = Some((kind, pattern));
            match kind {
                PathMatch::Exact => exact = exact.saturating_add(1),
                PathMatch::Prefix => prefix = prefix.saturating_add(1),
                PathMatch::Glob => {}
            }
        }
        self.view.layout.exact_end = exact;
        self.view.layout.prefix_end = exact.saturating_add(prefix);
        Ok(())
    }

    fn domains(&mut self) -> Result<(), FormatError> {
        use field::domain as d;
        let layout = self.view.layout;
        let section = layout.domains;
        let mut previous: Option<&[u8]> = None;
        let (mut next_file, mut next_net) = (0usize, 0usize);
        for (at, r) in self.records(section, DOMAIN_RECORD_SIZE, 0, section.count) {
            let name = self.string(at, r, d::NAME)?;
            if !check_name(name) {
                return Err(invalid(
                    at,
                    d::NAME,
                    "domain name is not an identifier of at most 64 bytes",
                ));
            }
            let mode = u8_at(r, d::MODE);
            if mode != MODE_NONE && Mode::from_u8(mode).is_none() {
                return Err(bad_enum(at, d::MODE, u32::from(mode), "mode"));
            }
            let response = u8_at(r, d::RESPONSE);
            if response > RESPONSE_QUARANTINE {
                return Err(bad_enum(
                    at,
                    d::RESPONSE,
                    u32::from(response),
                    "behaviour response",
                ));
            }
            if u16_at(r, d::RESERVED) != 0 {
                return Err(FormatError::Reserved {
                    offset: at.saturating_add(d::RESERVED),
                });
            }
            let sets: [(usize, u64, u64, &'static str); 6] = [
                (
                    d::SIGNAL,
                    u64::from(u32_at(r, d::SIGNAL)),
                    u64::from(perm::SCOPES_MASK),
                    "signal scopes",
                ),
                (
                    d::PTRACE,
                    u64::from(u32_at(r, d::PTRACE)),
                    u64::from(perm::SCOPES_MASK),
                    "ptrace scopes",
                ),
                (
                    d::IPC,
                    u64::from(u32_at(r, d::IPC)),
                    u64::from(perm::IPC_PERMS_MASK),
                    "IPC permissions",
                ),
                (
                    d::CAPABILITIES,
                    u64_at(r, d::CAPABILITIES),
                    perm::CAPABILITIES_MASK,
                    "capabilities",
                ),
                (
                    d::SYSTEM,
                    u64::from(u32_at(r, d::SYSTEM)),
                    u64::from(perm::SYSTEM_OPS_MASK),
                    "system operations",
                ),
                (
                    d::PROCESS,
                    u64::from(u32_at(r, d::PROCESS)),
                    u64::from(perm::PROCESS_OPS_MASK),
                    "process operations",
                ),
            ];
            for (field, value, mask, what) in sets {
                if value & !mask != 0 {
                    return Err(FormatError::UndefinedBits {
                        offset: at.saturating_add(field),
                        what,
                    });
                }
            }
            next_file = check_range(
                r,
                at,
                d::FILE_START,
                next_file,
                layout.file_rules.count,
                "file",
            )?;
            next_net = check_range(
                r,
                at,
                d::NET_START,
                next_net,
                layout.net_rules.count,
                "network",
            )?;
            let (threshold, window) = (u32_at(r, d::THRESHOLD), u32_at(r, d::WINDOW));
            let (max_ops, quarantine) = (u32_at(r, d::MAX_OPS), u32_at(r, d::QUARANTINE));
            if response == RESPONSE_NONE {
                if threshold != 0 || window != 0 || max_ops != 0 || quarantine != 0 {
                    return Err(invalid(
                        at,
                        d::THRESHOLD,
                        "behaviour limits without a response",
                    ));
                }
            } else {
                if quarantine == 0 && response == RESPONSE_QUARANTINE
                    || to_usize(quarantine) > section.count
                {
                    return Err(FormatError::BadDomainId {
                        offset: at.saturating_add(d::QUARANTINE),
                        id: quarantine,
                    });
                }
                if quarantine != 0 && response == RESPONSE_AUDIT {
                    return Err(invalid(
                        at,
                        d::QUARANTINE,
                        "quarantine domain without the quarantine response",
                    ));
                }
                let behaviour = Behaviour {
                    anomaly_threshold: threshold,
                    window_ms: window,
                    max_ops,
                    response: if response == RESPONSE_AUDIT {
                        Response::Audit
                    } else {
                        Response::Quarantine(quarantine)
                    },
                };
                check_behaviour(&behaviour, section.count).map_err(|what| {
                    let field = if threshold == 0 || threshold > MAX_ANOMALY_THRESHOLD {
                        d::THRESHOLD
                    } else {
                        d::WINDOW
                    };
                    invalid(at, field, what)
                })?;
            }
            check_order(previous.map(|p| p.cmp(name)), at, "domains")?;
            previous = Some(name);
        }
        if next_file != layout.file_rules.count {
            return Err(FormatError::Layout {
                offset: layout
                    .file_rules
                    .offset
                    .saturating_add(next_file.saturating_mul(FILE_RULE_RECORD_SIZE)),
                what: "file rules that belong to no domain",
            });
        }
        if next_net != layout.net_rules.count {
            return Err(FormatError::Layout {
                offset: layout
                    .net_rules
                    .offset
                    .saturating_add(next_net.saturating_mul(NET_RULE_RECORD_SIZE)),
                what: "network rules that belong to no domain",
            });
        }
        Ok(())
    }

    /// Calls `f` with the (start, count) of every domain's rules at `start_field`.
    fn domain_ranges(&self, start_field: usize) -> impl Iterator<Item = (usize, usize)> + 'a {
        let domains = self.view.layout.domains;
        self.records(domains, DOMAIN_RECORD_SIZE, 0, domains.count)
            .map(move |(_, r)| {
                (
                    to_usize(u32_at(r, start_field)),
                    to_usize(u32_at(r, start_field.saturating_add(4))),
                )
            })
    }

    fn file_rules(&mut self) -> Result<(), FormatError> {
        use field::file_rule as f;
        let section = self.view.layout.file_rules;
        let types = self.view.layout.types.count;
        for (start, count) in self.domain_ranges(field::domain::FILE_START) {
            let mut previous: Option<(u32, u32)> = None;
            for (at, r) in self.records(section, FILE_RULE_RECORD_SIZE, start, count) {
                let type_id = u32_at(r, f::TYPE_ID);
                check_type_id(type_id, types, at, f::TYPE_ID)?;
                let decision = u32_at(r, f::DECISION);
                if u8::try_from(decision)
                    .ok()
                    .and_then(Decision::from_u8)
                    .is_none()
                {
                    return Err(bad_enum(at, f::DECISION, decision, "decision"));
                }
                let perms = u32_at(r, f::PERMS);
                if perms == 0 {
                    return Err(invalid(at, f::PERMS, "empty file permission set"));
                }
                if perms & !perm::FILE_PERMS_MASK != 0 {
                    return Err(FormatError::UndefinedBits {
                        offset: at.saturating_add(f::PERMS),
                        what: "file permissions",
                    });
                }
                let key = (type_id, decision);
                check_order(previous.map(|p| p.cmp(&key)), at, "file rules")?;
                previous = Some(key);
            }
        }
        Ok(())
    }

    fn net_rules(&mut self) -> Result<(), FormatError> {
        use field::net_rule as n;
        let section = self.view.layout.net_rules;
        for (start, count) in self.domain_ranges(field::domain::NET_START) {
            let mut previous: Option<NetRuleRef<'a>> = None;
            for (at, r) in self.records(section, NET_RULE_RECORD_SIZE, start, count) {
                let raw = u8_at(r, n::DECISION);
                let decision = Decision::from_u8(raw).ok_or(bad_enum(
                    at,
                    n::DECISION,
                    u32::from(raw),
                    "decision",
                ))?;
                let raw = u8_at(r, n::FAMILY);
                let family = NetFamily::from_u8(raw).ok_or(bad_enum(
                    at,
                    n::FAMILY,
                    u32::from(raw),
                    "address family",
                ))?;
                let raw = u8_at(r, n::PROTOCOL);
                let protocol = Protocol::from_u8(raw).ok_or(bad_enum(
                    at,
                    n::PROTOCOL,
                    u32::from(raw),
                    "protocol",
                ))?;
                let ops = u32_at(r, n::OPS);
                if ops == 0 {
                    return Err(invalid(at, n::OPS, "empty network operation set"));
                }
                if ops & !perm::NET_OPS_MASK != 0 {
                    return Err(FormatError::UndefinedBits {
                        offset: at.saturating_add(n::OPS),
                        what: "network operations",
                    });
                }
                let unix_path = self.string(at, r, n::UNIX_PATH)?;
                if u32_at(r, n::RESERVED0) != 0 {
                    return Err(FormatError::Reserved {
                        offset: at.saturating_add(n::RESERVED0),
                    });
                }
                if u64_at(r, n::RESERVED1) != 0 {
                    return Err(FormatError::Reserved {
                        offset: at.saturating_add(n::RESERVED1),
                    });
                }
                let rule = NetRuleRef {
                    decision,
                    ops,
                    family,
                    protocol,
                    addr: array_at(r, n::ADDR),
                    prefix_len: u8_at(r, n::PREFIX_LEN),
                    port_lo: u16_at(r, n::PORT_LO),
                    port_hi: u16_at(r, n::PORT_HI),
                    unix_path,
                };
                check_net_rule(&rule).map_err(|what| invalid(at, 0, what))?;
                check_order(previous.map(|p| p.cmp(&rule)), at, "network rules")?;
                previous = Some(rule);
            }
        }
        Ok(())
    }

    fn transitions(&mut self) -> Result<(), FormatError> {
        use field::transition as t;
        let section = self.view.layout.transitions;
        let domains = self.view.layout.domains.count;
        let mut previous: Option<TransitionKey<'_>> = None;
        for (at, r) in self.records(section, TRANSITION_RECORD_SIZE, 0, section.count) {
            let from = u32_at(r, t::FROM);
            if to_usize(from) > domains {
                return Err(FormatError::BadDomainId {
                    offset: at.saturating_add(t::FROM),
                    id: from,
                });
            }
            let exe = self.string(at, r, t::EXE)?;
            check_path(exe, PathMatch::Exact).map_err(|what| invalid(at, t::EXE, what))?;
            let to = u32_at(r, t::TO);
            if to == 0 || to_usize(to) > domains {
                return Err(FormatError::BadDomainId {
                    offset: at.saturating_add(t::TO),
                    id: to,
                });
            }
            let digest: [u8; 32] = array_at(r, t::DIGEST);
            let digest = match u32_at(r, t::HAS_DIGEST) {
                0 if digest == [0; 32] => None,
                0 => return Err(invalid(at, t::DIGEST, "digest without has_digest")),
                1 => Some(digest),
                other => return Err(bad_enum(at, t::HAS_DIGEST, other, "has_digest")),
            };
            let key = (from, exe, digest);
            check_order(previous.map(|p| p.cmp(&key)), at, "transitions")?;
            previous = Some(key);
        }
        Ok(())
    }
}

/// The key transitions are sorted and unique by: (from, exe, digest).
type TransitionKey<'a> = (u32, &'a [u8], Option<[u8; 32]>);

fn invalid(record: usize, field: usize, what: &'static str) -> FormatError {
    FormatError::Invalid {
        offset: record.saturating_add(field),
        what,
    }
}

fn bad_enum(record: usize, field: usize, value: u32, what: &'static str) -> FormatError {
    FormatError::BadEnum {
        offset: record.saturating_add(field),
        value,
        what,
    }
}

fn check_type_id(id: u32, types: usize, record: usize, field: usize) -> Result<(), FormatError> {
    if id == 0 || to_usize(id) > types {
        return Err(FormatError::BadTypeId {
            offset: record.saturating_add(field),
            id,
        });
    }
    Ok(())
}

/// `order` is how the previous record compares with this one: it must be `Less`.
fn check_order(order: Option<Ordering>, at: usize, what: &'static str) -> Result<(), FormatError> {
    match order {
        None | Some(Ordering::Less) => Ok(()),
        Some(Ordering::Equal) => Err(FormatError::Duplicate { offset: at, what }),
        Some(Ordering::Greater) => Err(FormatError::Unsorted { offset: at, what }),
    }
}

/// Checks a domain's rule range (start at `start_field`, count after it): it starts at
/// `expected` and ends inside the section. Returns its end.
fn check_range(
    record: &[u8],
    at: usize,
    start_field: usize,
    expected: usize,
    section_count: usize,
    what: &'static str,
) -> Result<usize, FormatError> {
    let start = to_usize(u32_at(record, start_field));
    let count = to_usize(u32_at(record, start_field.saturating_add(4)));
    if start != expected {
        return Err(FormatError::Layout {
            offset: at.saturating_add(start_field),
            what: if what == "file" {
                "file rules of a domain do not start where the previous domain's end"
            } else {
                "network rules of a domain do not start where the previous domain's end"
            },
        });
    }
    match start.checked_add(count) {
        Some(end) if end <= section_count => Ok(end),
        _ => Err(FormatError::Layout {
            offset: at.saturating_add(start_field).saturating_add(4),
            what: if what == "file" {
                "file rule range past the end of its section"
            } else {
                "network rule range past the end of its section"
            },
        }),
    }
}

/// Validates a whole blob against the specification (`docs/policy-format.md`) and
/// returns a view to query it. Checks, in this order: size, header, digest, section
/// table, then every section in table order; the error names the first fault.
pub fn validate(bytes: &[u8]) -> Result<PolicyView<'_>, FormatError> {
    check_header(bytes)?;
    if compute_digest(bytes) != array_at::<DIGEST_LEN>(bytes, field::header::DIGEST) {
        return Err(FormatError::BadChecksum);
    }
    let layout = check_sections(bytes)?;
    let mut v = Validator {
        view: PolicyView { bytes, layout },
        cursor: 0,
    };
    v.settings()?;
    v.types()?;
    v.paths()?;
    v.domains()?;
    v.file_rules()?;
    v.net_rules()?;
    v.transitions()?;
    let strings = v.view.layout.strings;
    if v.cursor != strings.count {
        return Err(FormatError::Layout {
            offset: strings.offset.saturating_add(v.cursor),
            what: "string pool holds bytes no record refers to",
        });
    }
    Ok(v.view)
}
