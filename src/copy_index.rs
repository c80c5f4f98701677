//! The training text as token ids with its suffix array: what the copy
//! guard asks to know whether a run of tokens occurs in the text, and which
//! tokens followed it there.

use std::ops::Range;

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
    /// The index of `text`, whose ids are all below `alphabet`.
    pub(crate) fn new(text: Vec<u32>, alphabet: u32) -> Self {
        let suffixes = suffix_array(&text, alphabet);
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

    /// The text as token ids.
    pub(crate) fn text(&self) -> &[u32] {
        &self.text
    }

    /// The suffix array's interval of the suffixes that start with
    /// `tokens`: empty when the run never occurs.
    pub(crate) fn occurrences(&self, tokens: &[u32]) -> Range<usize> {
        let mut range = 0..self.suffixes.len();
        for (depth, &token) in tokens.iter().enumerate() {
            range = self.narrow(range, depth, token);
            if range.is_empty() {
                break;
            }
        }
        range
    }

    /// Within `range`, whose suffixes all share their first `depth`
    /// tokens, those whose next token is `token`.
    pub(crate) fn narrow(&self, range: Range<usize>, depth: usize, token: u32) -> Range<usize> {
        let stretch = &self.suffixes[range.clone()];
        // A suffix that ends within the first `depth` tokens has no next
        // token; it sorts first.
        let next = |start: u32| self.text.get(start as usize + depth).copied();
        let low = stretch.partition_point(|&start| next(start) < Some(token));
        let high = stretch.partition_point(|&start| next(start) <= Some(token));
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

    fn positions(index: &CopyIndex, tokens: &[u32]) -> Vec<usize> {
        let mut found: Vec<usize> = index.occurrences(tokens).map(|i| index.start(i)).collect();
        found.sort_unstable();
        found
    }

    #[test]
    fn finds_every_occurrence_of_a_run() {
        let index = CopyIndex::new(vec![0, 1, 2, 0, 1, 3, 0, 1], 4);
        assert_eq!(positions(&index, &[0, 1]), [0, 3, 6]);
        assert_eq!(positions(&index, &[0, 1, 2]), [0]);
        assert_eq!(positions(&index, &[1, 0]), Vec::<usize>::new());
        assert_eq!(positions(&index, &[]).len(), 8);
        let both = index.occurrences(&[0, 1]);
        assert_eq!(index.narrow(both, 2, 3).len(), 1);
    }
}
