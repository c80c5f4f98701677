//! The training text as token ids with its suffix array: what the copy
//! guard asks to know whether a run of tokens occurs in the text, and which
//! tokens followed it there.

use std::ops::Range;

use std::cmp::Ordering;

use crate::build_options::Watch;
use crate::error::ChainError;
use crate::suffix_array::suffix_array;

/// A chain's text, token by token, and its suffix array.
///
/// The suffixes starting with a given run of tokens are one stretch of the
/// suffix array (an interval), found by binary search; within it, the
/// suffixes that go on with a given token are a narrower stretch. So the
/// guard keeps the interval of the output's last tokens and narrows it by
/// one token a step, as infini-gram does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyIndex {
    text: Vec<u32>,
    suffixes: Vec<u32>,
    /// Where the suffixes that start with each token id start in the
    /// suffix array, and one past the last: token `t`'s are
    /// `first_token[t]..first_token[t + 1]`.
    first_token: Vec<u32>,
}

impl CopyIndex {
    /// The index of `text`, whose ids are all below `alphabet`; `watch`
    /// can cancel the sort.
    pub(crate) fn new(text: Vec<u32>, alphabet: u32, watch: Watch) -> Result<Self, ChainError> {
        let suffixes = suffix_array(&text, alphabet, watch)?;
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
    /// `suffixes` is a permutation of the text's positions in which every
    /// suffix is larger than the one before it: a forged index would make
    /// the guard miss copies.
    pub(crate) fn from_parts(text: Vec<u32>, suffixes: Vec<u32>) -> Option<Self> {
        if text.len() != suffixes.len() {
            return None;
        }
        let mut seen = vec![false; text.len()];
        for &start in &suffixes {
            let slot = seen.get_mut(start as usize)?;
            if std::mem::replace(slot, true) {
                return None;
            }
        }
        let index = CopyIndex::with_suffixes(text, suffixes);
        // Sorted: each suffix above the one before it. Checking this
        // compares the two suffixes up to where they differ, which on a
        // repetitive text is long; the rank check below is linear.
        let mut rank = vec![0u32; index.text.len()];
        for (position, &start) in index.suffixes.iter().enumerate() {
            rank[start as usize] = position as u32;
        }
        let sorted = index.suffixes.windows(2).all(|pair| {
            let (a, b) = (pair[0] as usize, pair[1] as usize);
            match index.text[a].cmp(&index.text[b]) {
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
        });
        sorted.then_some(index)
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
    fn a_forged_suffix_array_is_refused() {
        let index = CopyIndex::new(vec![2, 1, 2, 1, 0], 3, Watch::none()).unwrap();
        let (text, suffixes) = (index.text.clone(), index.suffixes.clone());
        assert!(CopyIndex::from_parts(text.clone(), suffixes.clone()).is_some());
        let mut swapped = suffixes.clone();
        swapped.swap(1, 2);
        assert!(CopyIndex::from_parts(text.clone(), swapped).is_none());
        let mut repeated = suffixes.clone();
        repeated[0] = repeated[1];
        assert!(CopyIndex::from_parts(text.clone(), repeated).is_none());
        let mut outside = suffixes;
        outside[0] = 99;
        assert!(CopyIndex::from_parts(text, outside).is_none());
    }
}
