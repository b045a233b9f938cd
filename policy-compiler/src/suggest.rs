//! "Did you mean ...?" suggestions by edit distance.

/// Edit distance between `a` and `b` in characters: insertions, deletions, substitutions
/// and swaps of two neighbours (`fiel` -> `file`) each cost 1 (optimal string alignment).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    let at = |i: usize, j: usize| i * width + j;
    for i in 0..=a.len() {
        if let Some(x) = d.get_mut(at(i, 0)) {
            *x = i;
        }
    }
    for j in 0..=b.len() {
        if let Some(x) = d.get_mut(at(0, j)) {
            *x = j;
        }
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let get = |i, j| d.get(at(i, j)).copied().unwrap_or(usize::MAX / 2);
            let (ca, cb) = (a.get(i - 1), b.get(j - 1));
            let mut best = (get(i - 1, j) + 1)
                .min(get(i, j - 1) + 1)
                .min(get(i - 1, j - 1) + usize::from(ca != cb));
            if i > 1 && j > 1 && ca == b.get(j - 2) && a.get(i - 2) == cb {
                best = best.min(get(i - 2, j - 2) + 1);
            }
            if let Some(x) = d.get_mut(at(i, j)) {
                *x = best;
            }
        }
    }
    d.last().copied().unwrap_or(0)
}

/// The candidate closest to `word`, if it is close enough to be a likely typo (distance at
/// most a third of the word's length, at least 1; ties go to the first candidate).
pub fn closest<'a, I>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let limit = (word.chars().count() / 3).max(1);
    let lower = word.to_ascii_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for cand in candidates {
        let d = edit_distance(&lower, cand);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, cand));
        }
    }
    best.map(|(_, c)| c)
}

/// `Some("did you mean `x`?")` when a close candidate exists.
pub fn did_you_mean<'a, I>(word: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    closest(word, candidates).map(|c| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("wrte", "write"), 1);
        assert_eq!(edit_distance("fiel", "file"), 1);
        assert_eq!(edit_distance("ab", "ba"), 1);
    }

    #[test]
    fn suggestions() {
        assert_eq!(closest("wrte", ["read", "write"]), Some("write"));
        assert_eq!(closest("Write", ["read", "write"]), Some("write"));
        assert_eq!(closest("zzzz", ["read", "write"]), None);
    }
}
