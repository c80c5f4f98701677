//! The suffix array of a sequence of token ids, built in linear time by
//! induced sorting (SA-IS: Nong, Zhang and Chan, "Two Efficient Algorithms
//! for Linear Time Suffix Array Construction", 2011).
//!
//! Sorting by comparison, or by doubling the compared prefix, slows down
//! on repetitive text (a book repeated a hundred times has suffixes that
//! agree for a million tokens); induced sorting does not.
//!
//! The idea: classify each suffix as S (smaller than the next suffix) or L
//! (larger). Once the leftmost S suffixes of each run (LMS) are in order,
//! one pass forwards puts every L suffix in place and one pass backwards
//! every S suffix. The LMS suffixes are put in order by sorting their
//! substrings the same way, naming them, and sorting the string of names
//! with the same algorithm, which is at most half as long.

use crate::bit_set::BitSet;
use crate::build_options::Watch;
use crate::error::ChainError;

/// Marks a slot of the suffix array not yet filled.
const EMPTY: u32 = u32::MAX;

/// How many steps a loop over the text takes between two looks at the
/// cancel flag.
const SLOTS_BETWEEN_CANCEL_CHECKS: usize = 1 << 20;

/// The suffix array of `text`, whose ids are all below `alphabet`: the start
/// of every suffix, in the suffixes' lexicographic order, a suffix that is
/// a prefix of another coming first.
///
/// # Panics
/// If `text` has `u32::MAX` ids or more, or an id is not below
/// `alphabet`.
pub(crate) fn suffix_array(
    text: &[u32],
    alphabet: u32,
    watch: Watch,
) -> Result<Vec<u32>, ChainError> {
    assert!(text.len() < EMPTY as usize, "too long for u32 positions");
    let mut order = vec![EMPTY; text.len()];
    induced_sort(text, alphabet as usize, &mut order, watch)?;
    Ok(order)
}

/// Fills `order` (as long as `text`) with the suffix array of `text`,
/// looking at `watch` as it goes.
fn induced_sort(
    text: &[u32],
    alphabet: usize,
    order: &mut [u32],
    watch: Watch,
) -> Result<(), ChainError> {
    let n = text.len();
    match n {
        0 => return Ok(()),
        1 => {
            order[0] = 0;
            return Ok(());
        }
        _ => {}
    }
    if n < 16 {
        for (slot, start) in order.iter_mut().zip(0..) {
            *slot = start;
        }
        order.sort_unstable_by(|&a, &b| text[a as usize..].cmp(&text[b as usize..]));
        return Ok(());
    }
    // is_s[i]: suffix i is smaller than suffix i + 1. The last suffix is
    // larger than the empty one after it.
    // Each id with its type in the low bit (1 for S): the passes below read
    // both at once, from one place, where most of their time goes in cache
    // misses.
    let mut typed = vec![0u32; n];
    typed[n - 1] = text[n - 1] << 1;
    for i in (0..n - 1).rev() {
        now_and_then(i, watch)?;
        let is_s = text[i] < text[i + 1] || (text[i] == text[i + 1] && typed[i + 1] & 1 == 1);
        typed[i] = text[i] << 1 | u32::from(is_s);
    }
    let buckets = Buckets::new(&typed, alphabet, watch)?;
    // The LMS positions: an S suffix after an L suffix.
    let is_lms = |i: usize| i > 0 && typed[i] & 1 == 1 && typed[i - 1] & 1 == 0;
    let mut lms: Vec<u32> = Vec::new();
    // The same positions as a set, looked up at random below: one bit a
    // position stays in cache where the types, 4 bytes, do not.
    let mut lms_set = BitSet::new(n);
    for i in 1..n {
        now_and_then(i, watch)?;
        if is_lms(i) {
            lms.push(i as u32);
            lms_set.insert(i);
        }
    }

    // Sort the LMS substrings (from one LMS position to the next, both
    // included): induced from the LMS positions in text order.
    induce(&typed, &buckets, &lms, order, watch)?;
    let mut sorted: Vec<u32> = Vec::with_capacity(lms.len());
    for (index, &start) in order.iter().enumerate() {
        now_and_then(index, watch)?;
        if start != EMPTY && lms_set.contains(start as usize) {
            sorted.push(start);
        }
    }

    // Name each LMS substring by its rank among the distinct ones, and
    // write the names in text order: the reduced string. Two LMS positions
    // are never next to each other, so half as many slots tell them apart.
    // Each slot holds the position's index among the LMS positions and
    // where its substring ends (the next LMS position, or the text's end):
    // one random read a substring, not two.
    let mut lms_slots = vec![[EMPTY, 0]; n.div_ceil(2)];
    for (index, &start) in lms.iter().enumerate() {
        now_and_then(index, watch)?;
        let end = lms.get(index + 1).map_or(n as u32, |&end| end);
        lms_slots[start as usize / 2] = [index as u32, end];
    }
    let mut names = vec![0u32; lms.len()];
    let mut name = 0u32;
    // The substring before, as (start, end), carried from one step to the
    // next: its text is still in cache when it is compared again.
    let mut before = sorted.first().map(|&start| {
        let [_, end] = lms_slots[start as usize / 2];
        (start as usize, end as usize)
    });
    for (index, &start) in sorted.iter().enumerate().skip(1) {
        // Comparing substrings at random places in the text: the slowest
        // loop between two induced passes.
        now_and_then(index, watch)?;
        let [lms_index, end] = lms_slots[start as usize / 2];
        let (start, end) = (start as usize, end as usize);
        // Equal substrings: the same ids (and so the same types) up to and
        // including the next LMS position, which must not be the end.
        let same = before.is_some_and(|(before, before_end)| {
            before_end - before == end - start
                && end < n
                && before_end < n
                && text[before..=before_end] == text[start..=end]
        });
        if !same {
            name += 1;
        }
        names[lms_index as usize] = name;
        before = Some((start, end));
    }
    // (The first of `sorted` keeps the name 0.)

    // Sort the LMS suffixes: directly when every name is distinct, else by
    // sorting the suffixes of the reduced string.
    let sorted_lms: Vec<u32> = if name as usize + 1 == lms.len() {
        let mut by_name = vec![0u32; lms.len()];
        for (index, &rank) in names.iter().enumerate() {
            now_and_then(index, watch)?;
            by_name[rank as usize] = lms[index];
        }
        by_name
    } else {
        let mut reduced_order = vec![EMPTY; lms.len()];
        induced_sort(&names, name as usize + 1, &mut reduced_order, watch)?;
        for (at, slot) in reduced_order.iter_mut().enumerate() {
            now_and_then(at, watch)?;
            *slot = lms[*slot as usize];
        }
        reduced_order
    };
    induce(&typed, &buckets, &sorted_lms, order, watch)
}

/// Looks at `watch` when `step` is a multiple of
/// [`SLOTS_BETWEEN_CANCEL_CHECKS`]: every loop over the text does, so that
/// Ctrl-C stops a sort of a large text at once.
fn now_and_then(step: usize, watch: Watch) -> Result<(), ChainError> {
    if step % SLOTS_BETWEEN_CANCEL_CHECKS == 0 {
        watch.check()
    } else {
        Ok(())
    }
}

/// Where each id's bucket starts and ends in the suffix array, and where
/// its S suffixes start within it (after its L suffixes).
struct Buckets {
    starts: Vec<u32>,
    s_starts: Vec<u32>,
    ends: Vec<u32>,
}

impl Buckets {
    fn new(typed: &[u32], alphabet: usize, watch: Watch) -> Result<Self, ChainError> {
        let mut counts = vec![0u32; alphabet];
        let mut l_counts = vec![0u32; alphabet];
        for (index, &coded) in typed.iter().enumerate() {
            now_and_then(index, watch)?;
            let id = (coded >> 1) as usize;
            counts[id] += 1;
            l_counts[id] += 1 - (coded & 1);
        }
        let mut starts = Vec::with_capacity(alphabet);
        let mut s_starts = Vec::with_capacity(alphabet);
        let mut ends = Vec::with_capacity(alphabet);
        let mut at = 0u32;
        for (&count, &l_count) in counts.iter().zip(&l_counts) {
            starts.push(at);
            s_starts.push(at + l_count);
            at += count;
            ends.push(at);
        }
        Ok(Buckets {
            starts,
            s_starts,
            ends,
        })
    }
}

/// Fills `order` by induced sorting from the LMS suffixes `lms`, which are
/// placed first, in the given order within each bucket: then every L suffix
/// in a pass forwards, then every S suffix in a pass backwards.
fn induce(
    typed: &[u32],
    buckets: &Buckets,
    lms: &[u32],
    order: &mut [u32],
    watch: Watch,
) -> Result<(), ChainError> {
    let n = typed.len();
    watch.check()?;
    order.fill(EMPTY);
    let mut cursor = buckets.s_starts.clone();
    for (index, &start) in lms.iter().enumerate() {
        now_and_then(index, watch)?;
        let id = (typed[start as usize] >> 1) as usize;
        order[cursor[id] as usize] = start;
        cursor[id] += 1;
    }
    let mut cursor = buckets.starts.clone();
    // The last suffix comes first: it follows the empty suffix, the
    // smallest of all.
    let last = (typed[n - 1] >> 1) as usize;
    order[cursor[last] as usize] = (n - 1) as u32;
    cursor[last] += 1;
    for index in 0..n {
        now_and_then(index, watch)?;
        if let Some((id, before)) = suffix_before(typed, order[index], L_TYPE) {
            order[cursor[id] as usize] = before;
            cursor[id] += 1;
        }
    }
    let mut cursor = buckets.ends.clone();
    for index in (0..n).rev() {
        now_and_then(index, watch)?;
        if let Some((id, before)) = suffix_before(typed, order[index], S_TYPE) {
            cursor[id] -= 1;
            order[cursor[id] as usize] = before;
        }
    }
    Ok(())
}

/// The type bit of an L suffix in `typed`.
const L_TYPE: u32 = 0;
/// The type bit of an S suffix in `typed`.
const S_TYPE: u32 = 1;

/// The suffix one token before the suffix at `start` (a slot's value), as
/// its first id and its start, when there is one and it is of `kind`: the
/// suffix an induced pass places next.
fn suffix_before(typed: &[u32], start: u32, kind: u32) -> Option<(usize, u32)> {
    if start == EMPTY || start == 0 {
        return None;
    }
    let before = typed[start as usize - 1];
    (before & 1 == kind).then_some(((before >> 1) as usize, start - 1))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn sorted(text: &[u32], alphabet: u32) -> Vec<u32> {
        suffix_array(text, alphabet, Watch::none()).unwrap()
    }

    fn naive(text: &[u32]) -> Vec<u32> {
        let mut order: Vec<u32> = (0..text.len() as u32).collect();
        order.sort_by(|&a, &b| text[a as usize..].cmp(&text[b as usize..]));
        order
    }

    #[test]
    fn small_and_repetitive_texts() {
        for text in [
            vec![],
            vec![0],
            vec![1, 0],
            vec![2, 1, 0, 1, 0, 1, 0],
            vec![0; 40],
            [3, 1, 2].repeat(30),
            [1, 2, 3, 1, 2].repeat(25),
        ] {
            let alphabet = text.iter().max().map_or(1, |&max| max + 1);
            assert_eq!(sorted(&text, alphabet), naive(&text), "{text:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn agrees_with_sorting(text in prop::collection::vec(0u32..4, 0..300)) {
            prop_assert_eq!(sorted(&text, 4), naive(&text));
        }

        #[test]
        fn agrees_on_repeats(piece in prop::collection::vec(0u32..6, 1..20), copies in 1usize..20) {
            let text = piece.repeat(copies);
            prop_assert_eq!(sorted(&text, 6), naive(&text));
        }
    }
}
