//! Every validation rule of the binary format: a valid blob from the encoder, one field
//! corrupted, the digest re-sealed so that the specific check (not the digest) rejects it.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::field_reassign_with_default,
    missing_docs
)]

mod common;

use common::oracle::check_blob_invariants;
use common::*;
use tcp_lsm_engine::encode::{decode, encode};
use tcp_lsm_engine::format::{
    declared_size, field, validate, ErrorClass, FormatError, SectionKind, HEADER_SIZE,
    MAX_POLICY_SIZE,
};
use tcp_lsm_engine::model::*;

fn sample() -> Vec<u8> {
    encode(&sample_policy()).unwrap()
}

/// Applies `edit` to the sample blob, re-seals it and returns the class of the error.
fn class_after(edit: impl FnOnce(&mut Vec<u8>)) -> ErrorClass {
    let mut b = sample();
    edit(&mut b);
    reseal(&mut b);
    match validate(&b) {
        Ok(_) => panic!("corrupted blob accepted"),
        Err(e) => {
            // Every error prints as one line.
            let text = e.to_string();
            assert!(!text.is_empty() && !text.contains('\n'), "{text:?}");
            e.class()
        }
    }
}

fn rec(b: &[u8], kind: SectionKind, i: usize) -> usize {
    record(b, kind, i)
}

#[test]
fn sample_is_valid_and_round_trips() {
    let b = sample();
    let view = validate(&b).unwrap();
    assert_eq!(view.type_count(), 5);
    assert_eq!(view.domain_count(), 3);
    assert_eq!(b.len() % 4, 0);
    let mut canonical = sample_policy();
    canonical.canonicalize();
    assert_eq!(decode(&b).unwrap(), canonical);
    assert_eq!(encode(&decode(&b).unwrap()).unwrap(), b);
    check_blob_invariants(&b).unwrap();
    // The empty policy too.
    let e = encode(&empty_policy()).unwrap();
    assert_eq!(decode(&e).unwrap(), empty_policy());
    check_blob_invariants(&e).unwrap();
}

#[test]
fn sample_string_pool_needs_padding() {
    // Makes the padding test meaningful.
    let b = sample();
    assert_ne!(section_count(&b, SectionKind::Strings) % 4, 0);
}

// --- header -------------------------------------------------------------------------

#[test]
fn header_size_limits() {
    let big = vec![0u8; MAX_POLICY_SIZE + 1];
    assert_eq!(
        validate(&big).unwrap_err(),
        FormatError::TooLarge {
            size: MAX_POLICY_SIZE + 1
        }
    );
    assert_eq!(validate(&[]).unwrap_err().class(), ErrorClass::Truncated);
    assert_eq!(
        validate(&sample()[..63]).unwrap_err().class(),
        ErrorClass::Truncated
    );
    assert_eq!(
        class_after(|b| put_u32(b, field::header::TOTAL_SIZE, (MAX_POLICY_SIZE + 1) as u32)),
        ErrorClass::TooLarge
    );
    let len = sample().len() as u32;
    assert_eq!(
        class_after(|b| put_u32(b, field::header::TOTAL_SIZE, len + 4)),
        ErrorClass::Truncated
    );
    assert_eq!(
        class_after(|b| b.extend_from_slice(&[0; 4])),
        ErrorClass::BadLayout
    );
    assert_eq!(
        class_after(|b| put_u32(b, field::header::TOTAL_SIZE, 100)),
        ErrorClass::BadLayout
    );
}

#[test]
fn header_fields() {
    assert_eq!(class_after(|b| b[0] = b'X'), ErrorClass::BadMagic);
    assert_eq!(
        class_after(|b| put_u32(b, field::header::VERSION, 2)),
        ErrorClass::BadVersion
    );
    assert_eq!(
        class_after(|b| put_u32(b, field::header::HEADER_SIZE, 68)),
        ErrorClass::BadLayout
    );
    assert_eq!(
        class_after(|b| put_u32(b, field::header::SECTION_COUNT, 7)),
        ErrorClass::BadLayout
    );
    assert_eq!(
        class_after(|b| put_u32(b, field::header::FLAGS, 1)),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| put_u32(b, field::header::RESERVED, 1)),
        ErrorClass::BadValue
    );
    let mut b = sample();
    b[field::header::DIGEST] ^= 1;
    assert_eq!(validate(&b).unwrap_err(), FormatError::BadChecksum);
    let mut b = sample();
    let last = b.len() - 1;
    b[last] ^= 0x80;
    assert_eq!(validate(&b).unwrap_err(), FormatError::BadChecksum);
}

#[test]
fn declared_size_reads_prefixes() {
    let b = sample();
    assert_eq!(declared_size(&b[..0]), Ok(None));
    assert_eq!(declared_size(&b[..19]), Ok(None));
    assert_eq!(declared_size(&b[..20]), Ok(Some(b.len())));
    assert_eq!(declared_size(&b), Ok(Some(b.len())));
    assert_eq!(declared_size(b"TCPX"), Err(FormatError::BadMagic));
    let mut v = b[..20].to_vec();
    put_u32(&mut v, field::header::VERSION, 9);
    assert_eq!(
        declared_size(&v),
        Err(FormatError::BadVersion { version: 9 })
    );
    let mut v = b[..20].to_vec();
    put_u32(&mut v, field::header::TOTAL_SIZE, u32::MAX);
    assert_eq!(declared_size(&v).unwrap_err().class(), ErrorClass::TooLarge);
}

// --- section table ------------------------------------------------------------------

#[test]
fn section_table() {
    let e = |k: SectionKind, f: usize| k.entry_offset() + f;
    assert_eq!(
        class_after(|b| put_u32(b, e(SectionKind::Types, field::entry::KIND), 4)),
        ErrorClass::BadLayout
    );
    assert_eq!(
        class_after(|b| {
            let o = get_u32(b, e(SectionKind::Paths, field::entry::OFFSET));
            put_u32(b, e(SectionKind::Paths, field::entry::OFFSET), o + 4)
        }),
        ErrorClass::BadLayout
    );
    assert_eq!(
        class_after(|b| {
            let l = get_u32(b, e(SectionKind::Domains, field::entry::LENGTH));
            put_u32(b, e(SectionKind::Domains, field::entry::LENGTH), l + 4)
        }),
        ErrorClass::BadLayout
    );
    assert_eq!(
        class_after(|b| {
            let c = get_u32(b, e(SectionKind::Types, field::entry::COUNT));
            put_u32(b, e(SectionKind::Types, field::entry::COUNT), c - 1)
        }),
        ErrorClass::BadLayout
    );
    assert_eq!(
        class_after(|b| {
            let c = get_u32(b, e(SectionKind::Strings, field::entry::COUNT));
            put_u32(b, e(SectionKind::Strings, field::entry::COUNT), c + 8)
        }),
        ErrorClass::BadLayout
    );
    // A last section running past the blob.
    assert_eq!(
        class_after(|b| {
            let l = get_u32(b, e(SectionKind::Transitions, field::entry::LENGTH));
            let c = get_u32(b, e(SectionKind::Transitions, field::entry::COUNT));
            put_u32(b, e(SectionKind::Transitions, field::entry::LENGTH), l + 52);
            put_u32(b, e(SectionKind::Transitions, field::entry::COUNT), c + 1);
        }),
        ErrorClass::BadLayout
    );
}

#[test]
fn sections_with_edited_bodies() {
    let b = sample();
    // Two settings records.
    let mut s = split_sections(&b);
    let extra = s[1].1.clone();
    s[1].1.extend_from_slice(&extra);
    s[1].2 = 2;
    assert_eq!(
        validate(&join_sections(&b, &s)).unwrap_err().class(),
        ErrorClass::BadLayout
    );
    // No settings record.
    let mut s = split_sections(&b);
    s[1].1.clear();
    s[1].2 = 0;
    assert_eq!(
        validate(&join_sections(&b, &s)).unwrap_err().class(),
        ErrorClass::BadLayout
    );
    // Unreferenced bytes at the end of the string pool.
    let mut s = split_sections(&b);
    let count = s[0].2 as usize;
    s[0].1.truncate(count);
    s[0].1.extend_from_slice(b"junk");
    s[0].2 += 4;
    while s[0].1.len() % 4 != 0 {
        s[0].1.push(0);
    }
    let e = validate(&join_sections(&b, &s)).unwrap_err();
    assert_eq!(e.class(), ErrorClass::BadLayout, "{e}");
    // A file rule that belongs to no domain.
    let mut s = split_sections(&b);
    let first = s[5].1[..12].to_vec();
    s[5].1.extend_from_slice(&first);
    s[5].2 += 1;
    assert_eq!(
        validate(&join_sections(&b, &s)).unwrap_err().class(),
        ErrorClass::BadLayout
    );
    // A network rule that belongs to no domain.
    let mut s = split_sections(&b);
    let first = s[6].1[..48].to_vec();
    s[6].1.extend_from_slice(&first);
    s[6].2 += 1;
    assert_eq!(
        validate(&join_sections(&b, &s)).unwrap_err().class(),
        ErrorClass::BadLayout
    );
    // The unchanged sections reassemble to the same blob.
    assert_eq!(join_sections(&b, &split_sections(&b)), b);
}

#[test]
fn string_pool_padding_must_be_zero() {
    assert_eq!(
        class_after(|b| {
            let end =
                section_offset(b, SectionKind::Strings) + section_count(b, SectionKind::Strings);
            b[end] = 1;
        }),
        ErrorClass::BadLayout
    );
}

// --- strings --------------------------------------------------------------------------

#[test]
fn string_references() {
    let name = |b: &[u8]| rec(b, SectionKind::Types, 0) + field::object_type::NAME;
    assert_eq!(
        class_after(|b| {
            let at = name(b);
            put_u32(b, at, 1 << 20)
        }),
        ErrorClass::BadReference
    );
    assert_eq!(
        class_after(|b| {
            let at = name(b);
            put_u32(b, at + 4, 1 << 20)
        }),
        ErrorClass::BadReference
    );
    assert_eq!(
        class_after(|b| {
            let at = name(b);
            put_u32(b, at, u32::MAX);
            put_u32(b, at + 4, 2)
        }),
        ErrorClass::BadReference
    );
    // The second type's name pointing at the first one's: not the canonical pool.
    assert_eq!(
        class_after(|b| {
            let at = rec(b, SectionKind::Types, 1) + field::object_type::NAME;
            put_u32(b, at, 0);
        }),
        ErrorClass::NotCanonical
    );
    // A net rule's Unix path outside the pool.
    assert_eq!(
        class_after(|b| {
            let at = rec(b, SectionKind::NetRules, 0) + field::net_rule::UNIX_PATH;
            put_u32(b, at + 4, 1 << 20);
        }),
        ErrorClass::BadReference
    );
}

// --- settings -------------------------------------------------------------------------

#[test]
fn settings_record() {
    use field::settings as s;
    let at = |b: &[u8]| section_offset(b, SectionKind::Settings);
    assert_eq!(
        class_after(|b| {
            let o = at(b);
            b[o + s::MODE] = 3
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b);
            b[o + s::HEARTBEAT_ACTION] = 3
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b);
            put_u16(b, o + s::RESERVED0, 1)
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b);
            put_u32(b, o + s::HEARTBEAT_TIMEOUT, 0)
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b);
            put_u32(b, o + s::HEARTBEAT_TIMEOUT, 86_400_001)
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b);
            b[o + s::HEARTBEAT_ACTION] = 0
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b);
            put_u64(b, o + s::RESERVED1, 1 << 63)
        }),
        ErrorClass::BadValue
    );
    // Mode none and every mode are fine.
    for mode in [0xFF, 0, 1, 2] {
        let mut b = sample();
        let o = at(&b);
        b[o + s::MODE] = mode;
        reseal(&mut b);
        validate(&b).unwrap();
    }
}

// --- types ----------------------------------------------------------------------------

fn type_name_byte(b: &[u8], index: usize) -> usize {
    string_at(
        b,
        rec(b, SectionKind::Types, index) + field::object_type::NAME,
    )
    .0
}

#[test]
fn type_records() {
    assert_eq!(
        class_after(|b| {
            let o = type_name_byte(b, 0);
            b[o + 1] = b'!'
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = type_name_byte(b, 0);
            b[o] = b'1'
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = type_name_byte(b, 0);
            b[o] = 0xff
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = rec(b, SectionKind::Types, 0) + field::object_type::NAME;
            put_u32(b, o + 4, 0)
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = rec(b, SectionKind::Types, 0) + field::object_type::FLAGS;
            put_u32(b, o, 2)
        }),
        ErrorClass::BadValue
    );
    // bin, etc, ... : "bin" -> "fin" sorts after "etc".
    assert_eq!(
        class_after(|b| {
            let o = type_name_byte(b, 0);
            b[o] = b'f'
        }),
        ErrorClass::NotCanonical
    );
}

#[test]
fn duplicate_names() {
    let mut p = Policy::default();
    p.types = vec![
        ObjectType {
            name: "aa".into(),
            protected: false,
        },
        ObjectType {
            name: "ab".into(),
            protected: false,
        },
    ];
    p.domains = vec![
        Domain {
            name: "da".into(),
            ..Domain::default()
        },
        Domain {
            name: "db".into(),
            ..Domain::default()
        },
    ];
    let b = encode(&p).unwrap();
    let mut t = b.clone();
    let o = type_name_byte(&t, 1);
    t[o + 1] = b'a';
    reseal(&mut t);
    assert!(matches!(
        validate(&t).unwrap_err(),
        FormatError::Duplicate { .. }
    ));
    let mut d = b.clone();
    let o = string_at(&d, rec(&d, SectionKind::Domains, 1)).0;
    d[o + 1] = b'a';
    reseal(&mut d);
    assert!(matches!(
        validate(&d).unwrap_err(),
        FormatError::Duplicate { .. }
    ));
}

// --- paths ----------------------------------------------------------------------------

#[test]
fn path_records() {
    use field::path as p;
    assert_eq!(
        class_after(|b| {
            let o = rec(b, SectionKind::Paths, 0);
            put_u32(b, o + p::KIND, 4)
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = rec(b, SectionKind::Paths, 0);
            put_u32(b, o + p::KIND, 0)
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = rec(b, SectionKind::Paths, 0);
            put_u32(b, o + p::TYPE_ID, 0)
        }),
        ErrorClass::BadReference
    );
    assert_eq!(
        class_after(|b| {
            let o = rec(b, SectionKind::Paths, 0);
            put_u32(b, o + p::TYPE_ID, 6)
        }),
        ErrorClass::BadReference
    );
    // Exact rule first; made a glob it sorts after the prefix rules.
    assert_eq!(
        class_after(|b| {
            let o = rec(b, SectionKind::Paths, 0);
            put_u32(b, o + p::KIND, 3)
        }),
        ErrorClass::NotCanonical
    );
    let pattern = |b: &[u8], i: usize| string_at(b, rec(b, SectionKind::Paths, i) + p::PATTERN);
    // Relative, NUL, trailing slash, empty component, dot component, bad UTF-8.
    assert_eq!(
        class_after(|b| {
            let (o, _) = pattern(b, 0);
            b[o] = b'x'
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let (o, _) = pattern(b, 0);
            b[o + 2] = 0
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let (o, l) = pattern(b, 0);
            b[o + l - 1] = b'/'
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let (o, _) = pattern(b, 0);
            b[o + 1] = b'/'
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let (o, _) = pattern(b, 0);
            b[o + 5] = b'.';
            b[o + 6] = b'/'
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let (o, _) = pattern(b, 0);
            b[o + 2] = 0xc3
        }),
        ErrorClass::BadValue
    );
}

#[test]
fn path_order_and_duplicates() {
    let mut p = Policy::default();
    p.types = vec![ObjectType {
        name: "t".into(),
        protected: false,
    }];
    p.paths = vec![
        path("/a/x", PathMatch::Exact, 1),
        path("/a/y", PathMatch::Exact, 1),
        path("/long/er", PathMatch::Prefix, 1),
        path("/short", PathMatch::Prefix, 1),
        path("/g/*", PathMatch::Glob, 1),
        path("/g/**", PathMatch::Glob, 1),
    ];
    let b = encode(&p).unwrap();
    let pattern =
        |b: &[u8], i: usize| string_at(b, rec(b, SectionKind::Paths, i) + field::path::PATTERN);
    // Duplicate exact pattern.
    let mut d = b.clone();
    let (o, l) = pattern(&d, 1);
    d[o + l - 1] = b'x';
    reseal(&mut d);
    assert!(matches!(
        validate(&d).unwrap_err(),
        FormatError::Duplicate { .. }
    ));
    // Exact out of byte order.
    let mut d = b.clone();
    let (o, l) = pattern(&d, 0);
    d[o + l - 1] = b'z';
    reseal(&mut d);
    assert!(matches!(
        validate(&d).unwrap_err(),
        FormatError::Unsorted { .. }
    ));
    // Prefix rules: longest first, whatever the bytes.
    let mut d = b.clone();
    let o = rec(&d, SectionKind::Paths, 2);
    let o2 = rec(&d, SectionKind::Paths, 3);
    // Swap the string references of the two prefix rules: same pool, wrong order, and
    // the pool is no longer in reference order either; the pool check comes first.
    let (r2, r3) = (d[o..o + 8].to_vec(), d[o2..o2 + 8].to_vec());
    d[o..o + 8].copy_from_slice(&r3);
    d[o2..o2 + 8].copy_from_slice(&r2);
    reseal(&mut d);
    assert_eq!(validate(&d).unwrap_err().class(), ErrorClass::NotCanonical);
    // "***" in a glob.
    let mut d = b.clone();
    let (o, _) = pattern(&d, 5);
    d[o + 2] = b'*';
    reseal(&mut d);
    let e = validate(&d).unwrap_err();
    assert_eq!(e.class(), ErrorClass::BadValue, "{e}");
}

// --- domains --------------------------------------------------------------------------

#[test]
fn domain_records() {
    use field::domain as d;
    let at = |b: &[u8], f: usize| rec(b, SectionKind::Domains, 0) + f;
    assert_eq!(
        class_after(|b| {
            let o = at(b, d::MODE);
            b[o] = 3
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, d::RESPONSE);
            b[o] = 3
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, d::RESERVED);
            put_u16(b, o, 1)
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, d::SIGNAL);
            put_u32(b, o, 4)
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, d::PTRACE);
            put_u32(b, o, 1 << 31)
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, d::IPC);
            put_u32(b, o, 8)
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, d::CAPABILITIES);
            put_u64(b, o, 1 << 41)
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, d::SYSTEM);
            put_u32(b, o, 1 << 10)
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, d::PROCESS);
            put_u32(b, o, 1 << 11)
        }),
        ErrorClass::BadValue
    );
    // Ranges: domain 0 (agent) has 5 file rules and 6 net rules.
    assert_eq!(
        class_after(|b| {
            let o = at(b, d::FILE_START);
            put_u32(b, o, 1)
        }),
        ErrorClass::BadLayout
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, d::FILE_COUNT);
            put_u32(b, o, 100)
        }),
        ErrorClass::BadLayout
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, d::FILE_COUNT);
            put_u32(b, o, 4)
        }),
        ErrorClass::BadLayout
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, d::FILE_COUNT);
            put_u32(b, o, u32::MAX)
        }),
        ErrorClass::BadLayout
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, d::NET_START);
            put_u32(b, o, 1)
        }),
        ErrorClass::BadLayout
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, d::NET_COUNT);
            put_u32(b, o, 7)
        }),
        ErrorClass::BadLayout
    );
    // Behaviour (agent: audit, threshold 100, window 60000).
    assert_eq!(
        class_after(|b| {
            let o = at(b, d::THRESHOLD);
            put_u32(b, o, 0)
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, d::THRESHOLD);
            put_u32(b, o, 1_000_001)
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, d::WINDOW);
            put_u32(b, o, 0)
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, d::WINDOW);
            put_u32(b, o, 3_600_001)
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, d::QUARANTINE);
            put_u32(b, o, 2)
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, d::RESPONSE);
            b[o] = 0
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, d::RESPONSE);
            b[o] = 2
        }),
        ErrorClass::BadReference
    );
    // Domain 2 (tool) quarantines into 2 (jail).
    let q = |b: &[u8]| rec(b, SectionKind::Domains, 2) + d::QUARANTINE;
    assert_eq!(
        class_after(|b| {
            let o = q(b);
            put_u32(b, o, 4)
        }),
        ErrorClass::BadReference
    );
    assert_eq!(
        class_after(|b| {
            let o = q(b);
            put_u32(b, o, 0)
        }),
        ErrorClass::BadReference
    );
    // Domain 1 (jail) has no behaviour: limits must be zero.
    let j = |b: &[u8], f: usize| rec(b, SectionKind::Domains, 1) + f;
    assert_eq!(
        class_after(|b| {
            let o = j(b, d::MAX_OPS);
            put_u32(b, o, 1)
        }),
        ErrorClass::BadValue
    );
    // Names: "agent" -> "zgent" sorts last.
    assert_eq!(
        class_after(|b| {
            let o = string_at(b, at(b, d::NAME)).0;
            b[o] = b'z'
        }),
        ErrorClass::NotCanonical
    );
    assert_eq!(
        class_after(|b| {
            let o = string_at(b, at(b, d::NAME)).0;
            b[o] = b' '
        }),
        ErrorClass::BadValue
    );
}

// --- file rules -----------------------------------------------------------------------

#[test]
fn file_rule_records() {
    use field::file_rule as f;
    // agent's rules: (bin 1 allow) (etc 2 allow) (home 3 allow) (home 3 deny) (secret 4 deny)
    let at = |b: &[u8], i: usize, fld: usize| rec(b, SectionKind::FileRules, i) + fld;
    assert_eq!(
        class_after(|b| {
            let o = at(b, 0, f::TYPE_ID);
            put_u32(b, o, 0)
        }),
        ErrorClass::BadReference
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, 0, f::TYPE_ID);
            put_u32(b, o, 6)
        }),
        ErrorClass::BadReference
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, 0, f::DECISION);
            put_u32(b, o, 3)
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, 0, f::DECISION);
            put_u32(b, o, 0x101)
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, 0, f::PERMS);
            put_u32(b, o, 0)
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, 0, f::PERMS);
            put_u32(b, o, 1 << 20)
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, 0, f::TYPE_ID);
            put_u32(b, o, 3)
        }),
        ErrorClass::NotCanonical
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, 3, f::DECISION);
            put_u32(b, o, 1)
        }),
        ErrorClass::NotCanonical
    );
    // The same type in the next domain's first rule is fine (order restarts per domain).
    let b = sample();
    let tool_first = get_u32(
        &b,
        rec(&b, SectionKind::Domains, 2) + field::domain::FILE_START,
    ) as usize;
    assert_eq!(tool_first, 5);
}

// --- network rules --------------------------------------------------------------------

#[test]
fn net_rule_records() {
    use field::net_rule as n;
    let b = sample();
    let d = decode(&b).unwrap();
    let agent = &d.domains[0];
    let find = |pred: &dyn Fn(&NetRule) -> bool| agent.net.iter().position(pred).unwrap();
    let v4 = find(&|r| r.family == NetFamily::Inet && r.prefix_len == 8);
    let v6 = find(&|r| r.family == NetFamily::Inet6);
    let ux = find(&|r| r.family == NetFamily::Unix && r.unix_path.starts_with('/'));
    let at = |b: &[u8], i: usize, f: usize| rec(b, SectionKind::NetRules, i) + f;
    assert_eq!(
        class_after(|b| {
            let o = at(b, v4, n::DECISION);
            b[o] = 0
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, v4, n::FAMILY);
            b[o] = 4
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, v4, n::PROTOCOL);
            b[o] = 3
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, v4, n::OPS);
            put_u32(b, o, 0)
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, v4, n::OPS);
            put_u32(b, o, 1 << 6 | 2)
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, v4, n::PREFIX_LEN);
            b[o] = 33
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, v4, n::ADDR);
            b[o + 3] = 1
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, v4, n::ADDR);
            b[o + 4] = 1
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, v4, n::PORT_LO);
            put_u16(b, o, 444)
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, v4, n::RESERVED0);
            put_u32(b, o, 1)
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, v4, n::RESERVED1);
            put_u64(b, o, 1)
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, v6, n::PREFIX_LEN);
            b[o] = 129
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, v6, n::ADDR);
            b[o + 15] = 1
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, ux, n::PORT_HI);
            put_u16(b, o, 1)
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, ux, n::PROTOCOL);
            b[o] = 1
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, ux, n::PREFIX_LEN);
            b[o] = 1
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, ux, n::ADDR);
            b[o] = 1
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, ux, n::UNIX_PATH);
            let (s, _) = string_at(b, o);
            b[s] = b'r'
        }),
        ErrorClass::BadValue
    );
    // An IP rule with a Unix path: the v4 rule takes the Unix rule's family.
    assert_eq!(
        class_after(|b| {
            let o = at(b, ux, n::FAMILY);
            b[o] = 1
        }),
        ErrorClass::BadValue
    );
    // Order: the first rule given the largest decision/ops sorts after the second.
    assert_eq!(
        class_after(|b| {
            let o = at(b, 0, n::OPS);
            put_u32(b, o, 0x3f)
        }),
        ErrorClass::NotCanonical
    );
}

#[test]
fn duplicate_net_rules() {
    let mut p = Policy::default();
    let r1 = ip_rule(
        Decision::Allow,
        2,
        NetFamily::Inet,
        Protocol::Tcp,
        v4([10, 0, 0, 0]),
        8,
        (1, 2),
    );
    let r2 = ip_rule(
        Decision::Allow,
        2,
        NetFamily::Inet,
        Protocol::Tcp,
        v4([10, 0, 0, 0]),
        8,
        (1, 3),
    );
    p.domains = vec![Domain {
        name: "d".into(),
        net: vec![r1, r2],
        ..Domain::default()
    }];
    let mut b = encode(&p).unwrap();
    let o = rec(&b, SectionKind::NetRules, 1) + field::net_rule::PORT_HI;
    put_u16(&mut b, o, 2);
    reseal(&mut b);
    assert!(matches!(
        validate(&b).unwrap_err(),
        FormatError::Duplicate { .. }
    ));
}

// --- transitions ----------------------------------------------------------------------

#[test]
fn transition_records() {
    use field::transition as t;
    // Canonical: (0 agent-exe none ->tool? ) ... see sample_policy.
    let at = |b: &[u8], i: usize, f: usize| rec(b, SectionKind::Transitions, i) + f;
    assert_eq!(
        class_after(|b| {
            let o = at(b, 3, t::FROM);
            put_u32(b, o, 4)
        }),
        ErrorClass::BadReference
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, 0, t::TO);
            put_u32(b, o, 0)
        }),
        ErrorClass::BadReference
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, 0, t::TO);
            put_u32(b, o, 4)
        }),
        ErrorClass::BadReference
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, 0, t::HAS_DIGEST);
            put_u32(b, o, 2)
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, 0, t::DIGEST);
            b[o + 31] = 1
        }),
        ErrorClass::BadValue
    );
    assert_eq!(
        class_after(|b| {
            let o = string_at(b, at(b, 0, t::EXE)).0;
            b[o] = b'u'
        }),
        ErrorClass::BadValue
    );
    // Rule 0 (from 0, no digest) and rule 1 (from 0, digest A): dropping the digest of
    // rule 1 repeats rule 0's key.
    assert_eq!(
        class_after(|b| {
            let o = at(b, 1, t::HAS_DIGEST);
            put_u32(b, o, 0);
            let d = at(b, 1, t::DIGEST);
            b[d..d + 32].fill(0);
        }),
        ErrorClass::NotCanonical
    );
    assert_eq!(
        class_after(|b| {
            let o = at(b, 0, t::FROM);
            put_u32(b, o, 3)
        }),
        ErrorClass::NotCanonical
    );
}

// --- whole-blob properties ------------------------------------------------------------

#[test]
fn every_truncation_is_rejected() {
    for b in [sample(), encode(&empty_policy()).unwrap()] {
        for n in 0..b.len() {
            let e = validate(&b[..n]).unwrap_err();
            assert_eq!(e.class(), ErrorClass::Truncated, "length {n}: {e}");
        }
    }
}

#[test]
fn every_byte_flip_is_rejected() {
    let b = sample();
    for i in 0..b.len() {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut c = b.clone();
            c[i] ^= mask;
            assert!(validate(&c).is_err(), "flip {mask:#x} at byte {i} accepted");
        }
    }
}

#[test]
fn resealed_byte_flips_are_rejected_or_canonical() {
    // With the digest re-sealed, a flipped byte is either refused by a specific check or
    // still a canonical blob (e.g. a flipped permission bit) that round-trips exactly.
    let b = sample();
    let mut accepted = 0;
    for i in HEADER_SIZE..b.len() {
        for mask in [0x01u8, 0x02, 0x10, 0x80] {
            let mut c = b.clone();
            c[i] ^= mask;
            reseal(&mut c);
            if validate(&c).is_ok() {
                accepted += 1;
            }
            check_blob_invariants(&c).unwrap_or_else(|e| panic!("flip {mask:#x} at {i}: {e}"));
        }
    }
    assert!(accepted > 0);
}

// --- encoder errors -------------------------------------------------------------------

#[test]
fn encoder_refuses_what_the_format_cannot_hold() {
    use tcp_lsm_engine::encode::EncodeError as E;
    let base = sample_policy();
    let with = |f: &dyn Fn(&mut Policy)| {
        let mut p = base.clone();
        f(&mut p);
        encode(&p).unwrap_err()
    };
    assert!(matches!(
        with(&|p| p.types[0].name = "x".repeat(65)),
        E::BadName { .. }
    ));
    assert!(matches!(
        with(&|p| p.types[0].name = "9x".into()),
        E::BadName { .. }
    ));
    assert!(matches!(
        with(&|p| p.types[1].name = "tmp".into()),
        E::DuplicateName { .. }
    ));
    assert!(matches!(
        with(&|p| p.domains[1].name = "tool".into()),
        E::DuplicateName { .. }
    ));
    assert!(matches!(
        with(&|p| p.paths[0].type_id = 6),
        E::BadId { id: 6, .. }
    ));
    assert!(matches!(
        with(&|p| p.paths[0].type_id = 0),
        E::BadId { id: 0, .. }
    ));
    assert!(matches!(
        with(&|p| p.domains[0].files[0].type_id = 9),
        E::BadId { id: 9, .. }
    ));
    assert!(matches!(
        with(&|p| p.transitions[0].to = 0),
        E::BadId { .. }
    ));
    assert!(matches!(
        with(&|p| p.transitions[0].from = 4),
        E::BadId { .. }
    ));
    assert!(matches!(
        with(&|p| p.domains[0].behaviour = Some(Behaviour {
            anomaly_threshold: 1,
            window_ms: 1,
            max_ops: 0,
            response: Response::Quarantine(7)
        })),
        E::BadId { .. }
    ));
    assert!(matches!(
        with(&|p| p.paths[0].pattern = "tmp/**".into()),
        E::BadPath { .. }
    ));
    assert!(matches!(
        with(&|p| p.paths[1].pattern = "/etc/".into()),
        E::BadPath { .. }
    ));
    assert!(matches!(
        with(&|p| p.paths[1].pattern = format!("/{}", "a".repeat(4096))),
        E::BadPath { .. }
    ));
    assert!(matches!(
        with(&|p| p.paths[0].pattern = format!("/{}", "a".repeat(1024))),
        E::BadPath { .. }
    ));
    assert!(matches!(
        with(&|p| p.paths.push(path("/etc", PathMatch::Prefix, 1))),
        E::Conflict { .. }
    ));
    assert!(matches!(
        with(&|p| p.transitions.push(Transition {
            from: 0,
            exe: "/usr/bin/agent".into(),
            digest: None,
            to: 3
        })),
        E::Conflict { .. }
    ));
    assert!(matches!(
        with(&|p| p.transitions[0].exe = "/usr/bin/../agent".into()),
        E::BadPath { .. }
    ));
    assert!(matches!(
        with(&|p| p.domains[0].capabilities = 1 << 41),
        E::BadValue { .. }
    ));
    assert!(matches!(
        with(&|p| p.domains[0].signal = 4),
        E::BadValue { .. }
    ));
    assert!(matches!(
        with(&|p| p.domains[0].files[0].perms = 1 << 25),
        E::BadValue { .. }
    ));
    assert!(matches!(
        with(&|p| p.domains[1].net[0].prefix_len = 33),
        E::BadValue { .. }
    ));
    assert!(matches!(
        with(&|p| p.domains[1].net[0].port_lo = 1000),
        E::BadValue { .. }
    ));
    assert!(matches!(
        with(&|p| p.domains[1].net[0].addr[3] = 1),
        E::BadValue { .. }
    ));
    assert!(matches!(
        with(&|p| p.domains[1].net[3].unix_path = "relative.sock".into()),
        E::BadPath { .. }
    ));
    assert!(matches!(
        with(&|p| p.domains[1].net[3].unix_path = format!("/{}", "s".repeat(108))),
        E::BadPath { .. }
    ));
    assert!(matches!(
        with(&|p| p.domains[1].behaviour = Some(Behaviour {
            anomaly_threshold: 0,
            window_ms: 1,
            max_ops: 0,
            response: Response::Audit
        })),
        E::BadValue { .. }
    ));
    assert!(matches!(
        with(&|p| p.settings.heartbeat = Some(Heartbeat {
            timeout_ms: 0,
            action: HeartbeatAction::DenyAll
        })),
        E::BadValue { .. }
    ));
    let many = Policy {
        types: (0..65536)
            .map(|i| ObjectType {
                name: format!("t{i}"),
                protected: false,
            })
            .collect(),
        ..Policy::default()
    };
    assert!(matches!(
        encode(&many).unwrap_err(),
        E::TooMany { what: "types", .. }
    ));
    let many = Policy {
        domains: (0..65536)
            .map(|i| Domain {
                name: format!("d{i}"),
                ..Domain::default()
            })
            .collect(),
        ..Policy::default()
    };
    assert!(matches!(
        encode(&many).unwrap_err(),
        E::TooMany {
            what: "domains",
            ..
        }
    ));
    // Every error message is one line.
    let e = with(&|p| p.paths.push(path("/etc", PathMatch::Prefix, 1)));
    assert!(!e.to_string().contains('\n'));
}

#[test]
fn most_types_and_domains_fit() {
    let p = Policy {
        types: (0..65535)
            .map(|i| ObjectType {
                name: format!("t{i}"),
                protected: false,
            })
            .collect(),
        domains: (0..65535)
            .map(|i| Domain {
                name: format!("d{i}"),
                ..Domain::default()
            })
            .collect(),
        ..Policy::default()
    };
    let b = encode(&p).unwrap();
    let v = validate(&b).unwrap();
    assert_eq!((v.type_count(), v.domain_count()), (65535, 65535));
    assert_eq!(v.domain_id_by_name(b"d0"), Some(1));
    assert_eq!(v.type_id_by_name(b"t9999"), v.type_id_by_name(b"t9999"));
    // One more domain in a hand-made blob is refused.
    let mut s = split_sections(&b);
    let first = s[4].1[..72].to_vec();
    s[4].1.extend_from_slice(&first);
    s[4].2 += 1;
    let e = validate(&join_sections(&b, &s)).unwrap_err();
    assert_eq!(e.class(), ErrorClass::BadValue, "{e}");
}
