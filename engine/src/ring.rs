//! A bounded multi-producer, multi-consumer queue of fixed-size records made only of
//! atomics (D. Vyukov's bounded MPMC queue): no lock, no allocation, usable from any
//! context, including hooks that run with interrupts off or in interrupt context. A push
//! into a full queue fails at once (the caller counts the loss); it never waits.
//!
//! Each slot has a sequence number. A producer that owns position `p` writes the record and
//! publishes it by setting the slot's sequence to `p + 1` (release); a consumer that owns
//! `p` reads it and frees the slot by setting the sequence to `p + SLOTS`. The records are
//! arrays of `AtomicU64`, written and read with relaxed accesses ordered by the sequence.

use core::sync::atomic::{AtomicU64, Ordering};

struct Slot<const WORDS: usize> {
    /// The slot's sequence number minus its index, so that an all-zero queue is the
    /// initial state (slot `i` starts at sequence `i`).
    seq: AtomicU64,
    words: [AtomicU64; WORDS],
}

/// The queue: `SLOTS` records of `WORDS` words each.
pub struct Ring<const SLOTS: usize, const WORDS: usize> {
    slots: [Slot<WORDS>; SLOTS],
    head: AtomicU64,
    tail: AtomicU64,
}

impl<const SLOTS: usize, const WORDS: usize> Default for Ring<SLOTS, WORDS> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const SLOTS: usize, const WORDS: usize> Ring<SLOTS, WORDS> {
    /// An empty queue (a `const fn`, so that it can be a `static`).
    pub const fn new() -> Self {
        Ring {
            slots: [const {
                Slot {
                    seq: AtomicU64::new(0),
                    words: [const { AtomicU64::new(0) }; WORDS],
                }
            }; SLOTS],
            head: AtomicU64::new(0),
            tail: AtomicU64::new(0),
        }
    }

    fn slot(&self, pos: u64) -> Option<(&Slot<WORDS>, u64)> {
        let index = (pos % SLOTS as u64) as usize;
        self.slots.get(index).map(|s| (s, index as u64))
    }

    /// Appends `record`; `false` when the queue is full.
    pub fn push(&self, record: &[u64; WORDS]) -> bool {
        let mut pos = self.head.load(Ordering::Relaxed);
        loop {
            let Some((slot, index)) = self.slot(pos) else {
                return false;
            };
            let seq = slot.seq.load(Ordering::Acquire).wrapping_add(index);
            if seq == pos {
                match self.head.compare_exchange_weak(
                    pos,
                    pos + 1,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        for (w, v) in slot.words.iter().zip(record) {
                            w.store(*v, Ordering::Relaxed);
                        }
                        slot.seq
                            .store((pos + 1).wrapping_sub(index), Ordering::Release);
                        return true;
                    }
                    Err(now) => pos = now,
                }
            } else if seq < pos {
                // The slot still holds the record of the previous lap: full.
                return false;
            } else {
                pos = self.head.load(Ordering::Relaxed);
            }
        }
    }

    /// Takes the oldest record, if any.
    pub fn pop(&self) -> Option<[u64; WORDS]> {
        let mut pos = self.tail.load(Ordering::Relaxed);
        loop {
            let (slot, index) = self.slot(pos)?;
            let seq = slot.seq.load(Ordering::Acquire).wrapping_add(index);
            if seq == pos + 1 {
                match self.tail.compare_exchange_weak(
                    pos,
                    pos + 1,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        let mut record = [0u64; WORDS];
                        for (v, w) in record.iter_mut().zip(&slot.words) {
                            *v = w.load(Ordering::Relaxed);
                        }
                        slot.seq
                            .store((pos + SLOTS as u64).wrapping_sub(index), Ordering::Release);
                        return Some(record);
                    }
                    Err(now) => pos = now,
                }
            } else if seq < pos + 1 {
                return None;
            } else {
                pos = self.tail.load(Ordering::Relaxed);
            }
        }
    }

    /// Whether a record is waiting (a hint: another consumer may take it first).
    pub fn has_records(&self) -> bool {
        let pos = self.tail.load(Ordering::Acquire);
        self.slot(pos).is_some_and(|(slot, index)| {
            slot.seq.load(Ordering::Acquire).wrapping_add(index) == pos + 1
        })
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::sync::Arc;
    use std::vec::Vec;

    use super::*;

    #[test]
    fn fifo_and_bounded() {
        let r: Ring<4, 2> = Ring::new();
        assert!(!r.has_records());
        for i in 0..4 {
            assert!(r.push(&[i, i * 10]));
        }
        assert!(!r.push(&[9, 9]), "a fifth record fits in four slots");
        assert!(r.has_records());
        for i in 0..4 {
            assert_eq!(r.pop(), Some([i, i * 10]));
        }
        assert_eq!(r.pop(), None);
        // Many laps round the slots.
        for i in 0..100 {
            assert!(r.push(&[i, 0]));
            assert_eq!(r.pop(), Some([i, 0]));
        }
    }

    #[test]
    fn concurrent_producers_and_consumers_lose_nothing_silently() {
        let r: Arc<Ring<64, 3>> = Arc::new(Ring::new());
        let producers: Vec<_> = (0..4u64)
            .map(|t| {
                let r = Arc::clone(&r);
                std::thread::spawn(move || {
                    let mut dropped = 0u64;
                    for i in 0..20_000u64 {
                        // Three copies of one value: a torn record would mix two.
                        let v = t << 32 | i;
                        if !r.push(&[v, v, v]) {
                            dropped += 1;
                        }
                    }
                    dropped
                })
            })
            .collect();
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let r = Arc::clone(&r);
                std::thread::spawn(move || {
                    let mut seen = Vec::new();
                    let mut idle = 0;
                    while idle < 2_000_000 {
                        match r.pop() {
                            Some([a, b, c]) => {
                                assert!(a == b && b == c, "torn record");
                                seen.push(a);
                                idle = 0;
                            }
                            None => idle += 1,
                        }
                    }
                    seen
                })
            })
            .collect();
        let dropped: u64 = producers.into_iter().map(|h| h.join().unwrap()).sum();
        let mut seen: Vec<u64> = consumers
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        while let Some([a, _, _]) = r.pop() {
            seen.push(a);
        }
        assert_eq!(seen.len() as u64 + dropped, 80_000);
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(
            seen.len() as u64 + dropped,
            80_000,
            "a record was delivered twice"
        );
    }
}
