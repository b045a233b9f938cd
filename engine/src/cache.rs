//! The decision cache: what a domain is granted on objects of one type, keyed by
//! (policy generation, domain, object type, class), in a fixed table of atomics.
//!
//! - **No lock, no reference count on the hit path**: a lookup reads one slot under a
//!   sequence counter (a seqlock made of atomics) and checks the whole key, so a torn or
//!   overwritten slot is a miss, never a wrong answer.
//! - **Bounded**: `SLOTS` slots, allocated once (a `static` in the kernel); a new entry
//!   replaces whatever hashed to its slot.
//! - **Policy loads take effect at once**: the key holds the generation of the policy the
//!   answer came from, and every lookup asks with the generation in force, so entries of an
//!   older policy never match again; they are simply overwritten later.
//!
//! Writers that find a slot being written skip the insert (it is only a cache).

use core::sync::atomic::{fence, AtomicU64, Ordering};

use super::perm::Class;

/// What the cache is asked about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    /// Generation of the policy in force.
    pub generation: u64,
    /// The subject's domain id in that policy.
    pub domain: u32,
    /// The object's type id in that policy.
    pub object_type: u32,
    /// The class of the permissions.
    pub class: Class,
}

/// What the domain is granted on the type: the permissions of its allow rule and of its
/// deny rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Grant {
    /// Permissions allowed.
    pub allowed: u32,
    /// Permissions denied (a deny rule wins).
    pub denied: u32,
}

impl Grant {
    /// Whether every bit of `perms` is allowed and none denied.
    pub fn allows(self, perms: u32) -> bool {
        perms & !self.allowed == 0 && perms & self.denied == 0
    }

    fn to_word(self) -> u64 {
        u64::from(self.allowed) | u64::from(self.denied) << 32
    }

    fn from_word(w: u64) -> Grant {
        Grant {
            allowed: w as u32,
            denied: (w >> 32) as u32,
        }
    }
}

struct Slot {
    /// Even: stable; odd: being written.
    seq: AtomicU64,
    generation: AtomicU64,
    /// `domain << 32 | object_type`.
    ids: AtomicU64,
    /// `class + 1` (0: empty slot).
    class: AtomicU64,
    grant: AtomicU64,
}

/// The cache: `SLOTS` entries.
pub struct DecisionCache<const SLOTS: usize> {
    slots: [Slot; SLOTS],
}

impl<const SLOTS: usize> Default for DecisionCache<SLOTS> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const SLOTS: usize> DecisionCache<SLOTS> {
    /// An empty cache (a `const fn`, so that it can be a `static`).
    pub const fn new() -> Self {
        DecisionCache {
            slots: [const {
                Slot {
                    seq: AtomicU64::new(0),
                    generation: AtomicU64::new(0),
                    ids: AtomicU64::new(0),
                    class: AtomicU64::new(0),
                    grant: AtomicU64::new(0),
                }
            }; SLOTS],
        }
    }

    fn slot(&self, key: &Key) -> Option<&Slot> {
        // A multiplicative hash of the key's parts (the generation too, so that a reload
        // does not leave every hot key in the same slots as stale entries).
        let mut h = key.generation.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        h = (h ^ u64::from(key.domain)).wrapping_mul(0xff51_afd7_ed55_8ccd);
        h = (h ^ u64::from(key.object_type)).wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^= u64::from(key.class as u8);
        h ^= h >> 29;
        self.slots.get((h % SLOTS.max(1) as u64) as usize)
    }

    /// The cached grant for `key`, if any.
    pub fn get(&self, key: &Key) -> Option<Grant> {
        let slot = self.slot(key)?;
        let before = slot.seq.load(Ordering::Acquire);
        if before & 1 != 0 {
            return None;
        }
        let generation = slot.generation.load(Ordering::Relaxed);
        let ids = slot.ids.load(Ordering::Relaxed);
        let class = slot.class.load(Ordering::Relaxed);
        let grant = slot.grant.load(Ordering::Relaxed);
        fence(Ordering::Acquire);
        if slot.seq.load(Ordering::Relaxed) != before {
            return None;
        }
        let matches = generation == key.generation
            && ids == (u64::from(key.domain) << 32 | u64::from(key.object_type))
            && class == u64::from(key.class as u8) + 1;
        matches.then(|| Grant::from_word(grant))
    }

    /// Remembers `grant` for `key` (skipped when another writer holds the slot).
    pub fn insert(&self, key: &Key, grant: Grant) {
        let Some(slot) = self.slot(key) else { return };
        let seq = slot.seq.load(Ordering::Relaxed);
        if seq & 1 != 0
            || slot
                .seq
                .compare_exchange(
                    seq,
                    seq.wrapping_add(1),
                    Ordering::Acquire,
                    Ordering::Relaxed,
                )
                .is_err()
        {
            return;
        }
        fence(Ordering::Release);
        slot.generation.store(key.generation, Ordering::Relaxed);
        slot.ids.store(
            u64::from(key.domain) << 32 | u64::from(key.object_type),
            Ordering::Relaxed,
        );
        slot.class
            .store(u64::from(key.class as u8) + 1, Ordering::Relaxed);
        slot.grant.store(grant.to_word(), Ordering::Relaxed);
        slot.seq.store(seq.wrapping_add(2), Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::sync::Arc;
    use std::vec::Vec;

    use super::*;

    fn key(generation: u64, domain: u32, object_type: u32) -> Key {
        Key {
            generation,
            domain,
            object_type,
            class: Class::File,
        }
    }

    #[test]
    fn hit_after_insert_and_miss_for_other_keys() {
        let c: DecisionCache<64> = DecisionCache::new();
        let g = Grant {
            allowed: 0b101,
            denied: 0b100,
        };
        assert_eq!(c.get(&key(1, 2, 3)), None);
        c.insert(&key(1, 2, 3), g);
        assert_eq!(c.get(&key(1, 2, 3)), Some(g));
        assert!(!g.allows(0b100), "deny wins");
        assert!(g.allows(0b001));
        // Another generation, domain, type or class: not this entry.
        assert_eq!(c.get(&key(2, 2, 3)), None);
        assert_eq!(c.get(&key(1, 3, 3)), None);
        assert_eq!(c.get(&key(1, 2, 4)), None);
        assert_eq!(
            c.get(&Key {
                class: Class::Net,
                ..key(1, 2, 3)
            }),
            None
        );
    }

    #[test]
    fn bounded_entries_replace_each_other_without_wrong_answers() {
        let c: DecisionCache<8> = DecisionCache::new();
        for t in 0..1000u32 {
            c.insert(
                &key(7, 1, t),
                Grant {
                    allowed: t,
                    denied: 0,
                },
            );
        }
        let mut hits = 0;
        for t in 0..1000u32 {
            if let Some(g) = c.get(&key(7, 1, t)) {
                assert_eq!(g.allowed, t);
                hits += 1;
            }
        }
        assert!(hits <= 8);
        assert!(hits > 0);
    }

    #[test]
    fn concurrent_writers_never_produce_a_wrong_answer() {
        // Every writer stores, for type t, the grant t; readers check any hit against it.
        let c: Arc<DecisionCache<16>> = Arc::new(DecisionCache::new());
        let threads: Vec<_> = (0..4u32)
            .map(|w| {
                let c = Arc::clone(&c);
                std::thread::spawn(move || {
                    let mut hits = 0u64;
                    for i in 0..200_000u32 {
                        let t = (i.wrapping_mul(31).wrapping_add(w)) % 64;
                        let g = u64::from(i % 3);
                        if w % 2 == 0 {
                            c.insert(
                                &key(g, 1, t),
                                Grant {
                                    allowed: t,
                                    denied: g as u32,
                                },
                            );
                        } else if let Some(found) = c.get(&key(g, 1, t)) {
                            assert_eq!(
                                found,
                                Grant {
                                    allowed: t,
                                    denied: g as u32
                                },
                                "torn or stale entry"
                            );
                            hits += 1;
                        }
                    }
                    hits
                })
            })
            .collect();
        let hits: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert!(hits > 0, "readers never hit");
    }
}
