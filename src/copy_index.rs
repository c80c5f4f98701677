//! The training text as token ids with its suffix array: what the copy
//! guard asks to know whether a run of tokens occurs in the text, and which
//! tokens followed it there.

use std::cmp::Ordering;
use std::ops::Range;
use std::sync::OnceLock;

use crate::build_options::Watch;
use crate::error::ChainError;
use crate::sampled_search::{first_past, samples_of};
use crate::suffix_array::suffix_array;

/// A chain's text, token by token, and its suffix array.
///
/// The suffixes starting with a given run of tokens are one stretch of the
/// suffix array (an interval), found by binary search; within it, the
/// suffixes that go on with a given token are a narrower stretch. So the
/// guard keeps the interval of the output's last tokens and narrows it by
/// one token a step, as infini-gram does.
#[derive(Clone, Debug)]
pub struct CopyIndex {
    text: Vec<u32>,
    suffixes: Vec<u32>,
    /// Where the suffixes that start with each token id start in the
    /// suffix array, and one past the last: token `t`'s are
    /// `first_token[t]..first_token[t + 1]`.
    first_token: Vec<u32>,
    /// Made by the first guard that narrows by them, once its output is
    /// long: a chain that is only trained and saved, or walked without the
    /// guard or for a short output, never needs them.
    tails: OnceLock<Tails>,
}

impl PartialEq for CopyIndex {
    fn eq(&self, other: &Self) -> bool {
        // The rest is made from these two.
        self.text == other.text && self.suffixes == other.suffixes
    }
}

impl Eq for CopyIndex {}

/// Where each suffix goes on without its first token: for each slot of
/// the suffix array, one more than the slot of the suffix one token
/// shorter, or 0 when that is empty. (The Ψ function of compressed suffix
/// arrays.) Within an interval whose suffixes share their first token, the
/// tails rise, so a run is narrowed by a token with one look-up a step of
/// its binary search, not two (the suffix's start, then its token).
#[derive(Clone, Debug)]
struct Tails {
    slots: Vec<u32>,
    /// [`samples_of`] `slots`, for wide searches.
    samples: Vec<u32>,
}

impl Tails {
    /// The tails of `index`'s suffixes, from the rank of each suffix.
    fn of(index: &CopyIndex) -> Self {
        // Two passes with one random access each. (Filling each token's
        // interval in turn, in one pass over the suffix array, reads the
        // text and writes the tails at random in the same step, and took
        // four times as long.)
        let mut rank = vec![0u32; index.text.len()];
        for (slot, &start) in index.suffixes.iter().enumerate() {
            rank[start as usize] = slot as u32;
        }
        let slots: Vec<u32> = (index.suffixes.iter())
            .map(|&start| rank.get(start as usize + 1).map_or(0, |&slot| slot + 1))
            .collect();
        let samples = samples_of(&slots);
        Tails { slots, samples }
    }

    /// The first slot of `range` whose tail is above `bound` (or the end of
    /// `range`), when the tails rise over `range`.
    fn first_above(&self, range: Range<usize>, bound: usize) -> usize {
        first_past(&self.slots, &self.samples, range, |tail| {
            tail as usize > bound
        })
    }
}

impl CopyIndex {
    /// The index of `text`, whose ids are all below `alphabet`; `watch`
    /// can cancel the sort.
    pub(crate) fn new(text: Vec<u32>, alphabet: u32, watch: Watch) -> Result<Self, ChainError> {
        let (text, suffixes) = suffix_array(text, alphabet, watch)?;
        Ok(CopyIndex::with_suffixes_of(text, suffixes, alphabet))
    }

    /// The index of `text` with `suffixes` as its suffix array, as given.
    fn with_suffixes(text: Vec<u32>, suffixes: Vec<u32>) -> Self {
        let alphabet = text.iter().max().map_or(0, |&max| max + 1);
        CopyIndex::with_suffixes_of(text, suffixes, alphabet)
    }

    fn with_suffixes_of(text: Vec<u32>, suffixes: Vec<u32>, alphabet: u32) -> Self {
        let mut first_token = vec![0u32; alphabet as usize + 1];
        for &token in &text {
            first_token[token as usize + 1] += 1;
        }
        for index in 1..first_token.len() {
            first_token[index] += first_token[index - 1];
        }
        CopyIndex {
            text,
            suffixes,
            first_token,
            tails: OnceLock::new(),
        }
    }

    /// The suffix array's interval of the suffixes that start with `token`.
    pub(crate) fn starting_with(&self, token: u32) -> Range<usize> {
        let token = token as usize;
        match (self.first_token.get(token), self.first_token.get(token + 1)) {
            (Some(&start), Some(&end)) => start as usize..end as usize,
            _ => 0..0,
        }
    }

    /// An index from its parts as a file holds them, or `None` unless
    /// `suffixes` has one entry for each token of the text, each a position
    /// in it: what a walk needs to read only within the text. That is all
    /// a load checks, in one pass, so that a prompt to a large saved chain
    /// does not pay for the rest: a forged order makes the guard miss
    /// copies or stop, never read out of bounds.
    /// [`CopyIndex::is_suffix_array_of_its_text`] checks the rest.
    pub(crate) fn from_parts(text: Vec<u32>, suffixes: Vec<u32>) -> Option<Self> {
        let positions = text.len();
        if suffixes.len() != positions || suffixes.iter().any(|&start| start as usize >= positions)
        {
            return None;
        }
        Some(CopyIndex::with_suffixes(text, suffixes))
    }

    /// Whether the suffix array is a permutation of the text's positions in
    /// which every suffix is larger than the one before it: a forged index
    /// would make the guard miss copies.
    pub(crate) fn is_suffix_array_of_its_text(&self) -> bool {
        let mut seen = vec![false; self.text.len()];
        for &start in &self.suffixes {
            match seen.get_mut(start as usize) {
                Some(slot) if !*slot => *slot = true,
                _ => return false,
            }
        }
        // Sorted: each suffix above the one before it. Checking this
        // compares the two suffixes up to where they differ, which on a
        // repetitive text is long; the rank check below is linear.
        let mut rank = vec![0u32; self.text.len()];
        for (position, &start) in self.suffixes.iter().enumerate() {
            rank[start as usize] = position as u32;
        }
        self.suffixes.windows(2).all(|pair| {
            let (a, b) = (pair[0] as usize, pair[1] as usize);
            match self.text[a].cmp(&self.text[b]) {
                Ordering::Less => true,
                Ordering::Greater => false,
                // Same first token: the rest decides, and the rest is a
                // suffix too, whose place the ranks give. A suffix that
                // ends first is the smaller.
                Ordering::Equal => match (rank.get(a + 1), rank.get(b + 1)) {
                    (None, _) => true,
                    (Some(_), None) => false,
                    (Some(next_a), Some(next_b)) => next_a < next_b,
                },
            }
        })
    }

    /// The text as token ids.
    pub(crate) fn text(&self) -> &[u32] {
        &self.text
    }

    /// The suffix array: where each suffix starts, in sorted order.
    pub(crate) fn suffixes(&self) -> &[u32] {
        &self.suffixes
    }

    /// Within `range`, whose suffixes all share their first `depth`
    /// tokens, those whose next token is `token`.
    pub(crate) fn narrow(&self, range: Range<usize>, depth: usize, token: u32) -> Range<usize> {
        let stretch = &self.suffixes[range.clone()];
        // A suffix that ends within the first `depth` tokens has no next
        // token; it sorts first.
        let next = |start: u32| self.text.get(start as usize + depth).copied();
        let low = stretch.partition_point(|&start| next(start) < Some(token));
        // The run of `token` is usually short: galloped from its start
        // rather than searched for over the whole stretch again.
        let rest = &stretch[low..];
        let mut bound = 1;
        while bound < rest.len() && next(rest[bound]) == Some(token) {
            bound *= 2;
        }
        let checked = bound / 2;
        let window = &rest[checked..bound.min(rest.len())];
        let high = low + checked + window.partition_point(|&start| next(start) == Some(token));
        range.start + low..range.start + high
    }

    /// Whether the tails are made yet.
    pub(crate) fn has_tails(&self) -> bool {
        self.tails.get().is_some()
    }

    /// Within `range`, whose suffixes all share their first token, those
    /// whose rest (the suffix less its first token) is in the interval
    /// `rest`: the narrowing of a run by a token, when the run less its
    /// first token is already narrowed by it, to `rest`. One look-up a step
    /// of the search, not two.
    pub(crate) fn narrow_by_tails(&self, range: Range<usize>, rest: Range<usize>) -> Range<usize> {
        let tails = self.tails.get_or_init(|| Tails::of(self));
        let low = tails.first_above(range.clone(), rest.start);
        let high = tails.first_above(low..range.end, rest.end);
        low..high
    }

    /// Where the suffix at `index` of the suffix array starts in the text.
    pub(crate) fn start(&self, index: usize) -> usize {
        self.suffixes[index] as usize
    }

    /// How many tokens the text has.
    pub(crate) fn len(&self) -> usize {
        self.text.len()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The suffix array's interval of the suffixes that start with
    /// `tokens`, narrowed a token at a time.
    fn occurrences(index: &CopyIndex, tokens: &[u32]) -> Range<usize> {
        let mut range = 0..index.len();
        for (depth, &token) in tokens.iter().enumerate() {
            range = index.narrow(range, depth, token);
        }
        range
    }

    fn positions(index: &CopyIndex, tokens: &[u32]) -> Vec<usize> {
        let mut found: Vec<usize> = occurrences(index, tokens).map(|i| index.start(i)).collect();
        found.sort_unstable();
        found
    }

    #[test]
    fn finds_every_occurrence_of_a_run() {
        let index = CopyIndex::new(vec![0, 1, 2, 0, 1, 3, 0, 1], 4, Watch::none()).unwrap();
        assert_eq!(positions(&index, &[0, 1]), [0, 3, 6]);
        assert_eq!(positions(&index, &[0, 1, 2]), [0]);
        assert_eq!(positions(&index, &[1, 0]), Vec::<usize>::new());
        assert_eq!(positions(&index, &[]).len(), 8);
        let both = occurrences(&index, &[0, 1]);
        assert_eq!(index.narrow(both, 2, 3).len(), 1);
    }

    #[test]
    fn a_forged_suffix_array_is_found_out() {
        let index = CopyIndex::new(vec![2, 1, 2, 1, 0], 3, Watch::none()).unwrap();
        let (text, suffixes) = (index.text.clone(), index.suffixes.clone());
        let sound = CopyIndex::from_parts(text.clone(), suffixes.clone()).unwrap();
        assert!(sound.is_suffix_array_of_its_text());
        // Out of order, or a position twice: loaded (a walk reads only
        // within the text), and found out by the full check.
        let mut swapped = suffixes.clone();
        swapped.swap(1, 2);
        let forged = CopyIndex::from_parts(text.clone(), swapped).unwrap();
        assert!(!forged.is_suffix_array_of_its_text());
        let mut repeated = suffixes.clone();
        repeated[0] = repeated[1];
        let forged = CopyIndex::from_parts(text.clone(), repeated).unwrap();
        assert!(!forged.is_suffix_array_of_its_text());
        // Outside the text, or short: refused at once.
        let mut outside = suffixes.clone();
        outside[0] = 5;
        assert!(CopyIndex::from_parts(text.clone(), outside).is_none());
        assert!(CopyIndex::from_parts(text, suffixes[1..].to_vec()).is_none());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// A tail off by one slot, a sample window that misses the run's
        /// edge, or the last suffix (which has no tail) in the wrong place:
        /// each makes the two ways of narrowing disagree. Texts of a few
        /// ids and hundreds of tokens give wide intervals (searched through
        /// the samples) and narrow ones.
        #[test]
        fn narrowing_by_tails_agrees_with_narrowing_by_the_text(
            text in prop::collection::vec(0u32..5, 1..600),
            run in prop::collection::vec(0u32..5, 2..6),
        ) {
            let index = CopyIndex::new(text, 5, Watch::none()).unwrap();
            // The run's last token narrows each run before it, as the guard
            // narrows the output's last tokens by the next one.
            let token = *run.last().unwrap();
            for start in 0..run.len() - 1 {
                let before = &run[start..run.len() - 1];
                let shorter = occurrences(&index, before);
                let tails = occurrences(&index, &before[1..]);
                let tails = if before.len() == 1 {
                    index.starting_with(token)
                } else {
                    index.narrow(tails, before.len() - 1, token)
                };
                prop_assert_eq!(
                    index.narrow_by_tails(shorter.clone(), tails),
                    index.narrow(shorter, before.len(), token),
                    "{:?} then {}", before, token
                );
            }
        }
    }
}
