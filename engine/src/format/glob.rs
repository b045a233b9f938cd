//! Path pattern matching: the glob matcher (a bit-parallel NFA with its state on the
//! stack) and prefix matching.

use super::wire::MAX_GLOB_LEN;

const GLOB_WORDS: usize = MAX_GLOB_LEN / 64 + 1;

#[derive(Clone, Copy)]
enum GlobToken {
    Literal(u8),
    AnyByte,
    Star,
    DoubleStar,
    End,
}

fn glob_token(pattern: &[u8], p: usize) -> GlobToken {
    match pattern.get(p) {
        None => GlobToken::End,
        Some(b'*') => {
            if pattern.get(p.saturating_add(1)) == Some(&b'*') {
                GlobToken::DoubleStar
            } else {
                GlobToken::Star
            }
        }
        Some(b'?') => GlobToken::AnyByte,
        Some(&c) => GlobToken::Literal(c),
    }
}

fn set_bit(set: &mut [u64; GLOB_WORDS], bit: usize) {
    if let Some(word) = set.get_mut(bit / 64) {
        *word |= 1u64 << (bit % 64);
    }
}

/// Adds the states reachable without input: past every `*` (to p + 1) and `**` (p + 2).
fn glob_closure(pattern: &[u8], set: &mut [u64; GLOB_WORDS], words: usize) {
    for k in 0..words {
        let mut pending = set.get(k).copied().unwrap_or(0);
        while pending != 0 {
            let bit = pending.trailing_zeros() as usize;
            pending &= pending.wrapping_sub(1);
            let p = k.saturating_mul(64).saturating_add(bit);
            let next = match glob_token(pattern, p) {
                GlobToken::Star => p.saturating_add(1),
                GlobToken::DoubleStar => p.saturating_add(2),
                _ => continue,
            };
            set_bit(set, next);
            if next / 64 == k {
                // Later bit of the same word: it may lead further.
                pending |= 1u64 << (next % 64);
            }
        }
    }
}

/// Whether `text` matches the glob `pattern`: `*` matches any bytes but `/`, `**` any
/// bytes, `?` one byte but `/`; every other byte matches itself. The whole text must
/// match.
///
/// Runs a bit-parallel NFA over the pattern positions: O(len(text) x len(pattern) / 64)
/// words of work and 136 bytes of stack, no recursion, no backtracking. Patterns longer
/// than [`MAX_GLOB_LEN`] match nothing.
pub fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    let len = pattern.len();
    glob_run(pattern, text.iter().copied()).is_some_and(|set| {
        set.get(len / 64)
            .is_some_and(|w| w & (1u64 << (len % 64)) != 0)
    })
}

/// Whether the glob `pattern` may match a path strictly below the directory `dir`: the
/// matcher is still alive after `dir` and a `/`. Fail closed: a live state may still need
/// more than the rest of a real path, never less.
pub fn glob_may_match_below(pattern: &[u8], dir: &[u8]) -> bool {
    let slash = (dir != b"/").then_some(b'/');
    glob_run(pattern, dir.iter().copied().chain(slash)).is_some()
}

/// Runs the glob matcher of `pattern` over `text`: the set of live pattern positions
/// after it (bit `len` is the end), or `None` once no position is live (or the pattern
/// is longer than [`MAX_GLOB_LEN`]).
fn glob_run(pattern: &[u8], text: impl Iterator<Item = u8>) -> Option<[u64; GLOB_WORDS]> {
    let len = pattern.len();
    if len > MAX_GLOB_LEN {
        return None;
    }
    let words = len / 64 + 1;
    let mut set = [0u64; GLOB_WORDS];
    set_bit(&mut set, 0);
    glob_closure(pattern, &mut set, words);
    for c in text {
        // Consume `c`, from the highest state down so that each state's successor (one
        // higher) is written after it was itself processed.
        for k in (0..words).rev() {
            let old = set.get(k).copied().unwrap_or(0);
            let mut new = 0u64;
            let mut carry = false;
            let mut bits = old;
            while bits != 0 {
                let bit = bits.trailing_zeros() as usize;
                bits &= bits.wrapping_sub(1);
                let p = k.saturating_mul(64).saturating_add(bit);
                let (stay, advance) = match glob_token(pattern, p) {
                    GlobToken::Literal(l) => (false, l == c),
                    GlobToken::AnyByte => (false, c != b'/'),
                    GlobToken::Star => (c != b'/', false),
                    GlobToken::DoubleStar => (true, false),
                    GlobToken::End => (false, false),
                };
                if stay {
                    new |= 1u64 << bit;
                }
                if advance {
                    if bit == 63 {
                        carry = true;
                    } else {
                        new |= 1u64 << (bit + 1);
                    }
                }
            }
            if let Some(word) = set.get_mut(k) {
                *word = new;
            }
            if carry {
                if let Some(word) = set.get_mut(k.saturating_add(1)) {
                    *word |= 1;
                }
            }
        }
        if set.iter().all(|w| *w == 0) {
            return None;
        }
        glob_closure(pattern, &mut set, words);
    }
    Some(set)
}

/// Whether `path` lies at or below the prefix pattern `prefix` (no trailing `/`; `/`
/// matches every absolute path).
pub fn prefix_match(prefix: &[u8], path: &[u8]) -> bool {
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.first() == Some(&b'/') || prefix == b"/",
        None => false,
    }
}
