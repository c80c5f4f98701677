//! The copy guard: keeps a walk from writing more than `max_copy`
//! consecutive tokens that occur, in that order, in the text, and (in
//! sentence mode) from writing a whole sentence of the text.
//!
//! It keeps the length of the longest run at the end of the output that
//! occurs in the text (at most `max_copy`), and where that run occurs (an
//! interval of the suffix array). A token may follow unless the run is
//! `max_copy` long and goes on with that token somewhere in the text: one
//! narrowing of the interval tells. So the bound is exact, and checking a
//! step costs a few binary searches, not a scan of the text.
//!
//! An index whose text a chain file cut into windows has a suffix array
//! for each: the guard keeps the runs of each window, and a run occurs in
//! the text when it occurs in a window, which holds for every run of up to
//! the windows' overlap ([`CopyIndex::max_copy_limit`]).

use std::ops::Range;

use crate::chain::Chain;
use crate::copy_index::{CopyIndex, IndexWindow};

/// After how many tokens a guard narrows runs by the index's tails
/// ([`IndexWindow::narrow_by_tails`]), which the first guard to ask makes
/// (50 ms for WordNet's 4 million tokens) and which then save about a
/// third of a microsecond a token: a short output narrows through the text.
const TAILS_AFTER: usize = 1 << 16;

/// What the guard knows of the output so far.
#[derive(Clone, Debug)]
pub(crate) struct CopyGuard {
    max_copy: usize,
    /// For each window of the index, in its order: for each length from 0
    /// up to the longest run at the end of the output that occurs in the
    /// window (at most `max_copy`), its suffix array's interval of the
    /// suffixes that start with the output's last tokens of that length
    /// (all of them for 0).
    runs: Vec<Vec<Range<usize>>>,
    /// The longest run the output has had.
    longest: usize,
    /// Whether to refuse a sentence that is a whole sentence of the text.
    whole_sentences: bool,
    /// Tokens written since the output's last sentence end.
    sentence_len: usize,
    /// How many tokens the guard has taken, up to [`TAILS_AFTER`].
    taken: usize,
    /// Whether the current sentence began where a sentence begins (after
    /// a sentence end, or at the start of a walk in sentences), so that it
    /// may be a whole sentence of the text.
    sentence_is_whole: bool,
    /// In sentences, the most of a sentence's tokens that a copied run of
    /// it may be: markovify's `max_overlap_ratio`.
    max_copy_ratio: Option<f64>,
    /// The longest copied run within the current sentence.
    sentence_longest: usize,
    /// The longest copied run of the sentence the last token ended.
    ended_sentence_longest: usize,
    /// The output's last token, if it has one.
    last_token: Option<u32>,
}

impl CopyGuard {
    /// A guard for an output that has no token yet. `starts_a_sentence`:
    /// the walk begins at the start of a sentence.
    pub(crate) fn new(
        index: &CopyIndex,
        max_copy: usize,
        whole_sentences: bool,
        starts_a_sentence: bool,
    ) -> Self {
        CopyGuard {
            max_copy,
            runs: (index.windows())
                .map(|window| std::iter::once(0..window.len()).collect())
                .collect(),
            longest: 0,
            whole_sentences,
            sentence_len: 0,
            sentence_is_whole: starts_a_sentence,
            taken: 0,
            max_copy_ratio: None,
            sentence_longest: 0,
            ended_sentence_longest: 0,
            last_token: None,
        }
    }

    /// The guard, also refusing to end a sentence of `n` tokens that has a
    /// copied run of more than `ratio * n` of them, rounded half to even
    /// as Python's `round` (and so markovify) rounds.
    pub(crate) fn with_ratio(mut self, ratio: f64) -> Self {
        self.max_copy_ratio = Some(ratio);
        self
    }

    /// The longest copied run a sentence of `tokens` tokens may have.
    pub(crate) fn ratio_bound(ratio: f64, tokens: usize) -> usize {
        (ratio * tokens as f64).round_ties_even() as usize
    }

    /// The longest run of the output so far that occurs in the text.
    pub(crate) fn longest_copy(&self) -> usize {
        self.longest
    }

    /// How many of the output's last tokens occur, in order, in the text:
    /// the longest such run, at most `max_copy`.
    fn matched(&self) -> usize {
        (self.runs.iter())
            .map(|intervals| intervals.len() - 1)
            .max()
            .unwrap_or(0)
    }

    /// Whether some token could be refused now: only then is a step worth
    /// checking.
    pub(crate) fn may_refuse(&self) -> bool {
        self.matched() == self.max_copy || self.checks_sentences() || self.max_copy_ratio.is_some()
    }

    /// Whether a token that ends a sentence may have to be refused for
    /// making a whole sentence of the text ([`CopyGuard::ends_a_copied_sentence`]).
    pub(crate) fn checks_sentences(&self) -> bool {
        self.whole_sentences && self.sentence_is_whole && self.sentence_len <= self.matched()
    }

    /// Whether `token` may come next: it does not make a run of more than
    /// `max_copy` tokens of the text, nor end a sentence that is a whole
    /// sentence of the text.
    pub(crate) fn allows(&self, chain: &Chain, index: &CopyIndex, token: u32) -> bool {
        let copies = self.in_windows(index).any(|(window, intervals)| {
            intervals.len() - 1 == self.max_copy
                && !self
                    .narrow(
                        chain,
                        window,
                        intervals[self.max_copy].clone(),
                        self.max_copy,
                        token,
                    )
                    .is_empty()
        });
        let copies_a_sentence =
            self.checks_sentences() && self.ends_a_copied_sentence(chain, index, token);
        !copies && !copies_a_sentence && !self.ends_a_mostly_copied_sentence(chain, index, token)
    }

    /// Whether `token` ends a sentence with a copied run of more of it
    /// than the ratio allows.
    fn ends_a_mostly_copied_sentence(&self, chain: &Chain, index: &CopyIndex, token: u32) -> bool {
        let Some(ratio) = self.max_copy_ratio else {
            return false;
        };
        if !chain.ends_sentence(token) {
            return false;
        }
        let mut trial = self.clone();
        trial.push(chain, index, token);
        trial.ended_sentence_longest > CopyGuard::ratio_bound(ratio, self.sentence_len + 1)
    }

    /// Whether `token` ends the current sentence as a whole sentence of the
    /// text; only meaningful when [`CopyGuard::checks_sentences`].
    pub(crate) fn ends_a_copied_sentence(
        &self,
        chain: &Chain,
        index: &CopyIndex,
        token: u32,
    ) -> bool {
        if chain.ends_sentence(token) {
            // The sentence so far is the end of the matched run, so its
            // interval is kept in each window it occurs in; with `token`,
            // does it occur where a sentence starts?
            let text = index.text();
            // A document starts a sentence: the text's first, and each
            // after a separator, an id past the words.
            let words = chain.vocabulary().len();
            // (A forged file's suffix may start anywhere, or beyond the
            // text: it starts no sentence.)
            let is_sentence_start = |start: usize| match start.checked_sub(1) {
                None => true,
                Some(before) => match (text.get(before), text.get(start)) {
                    (Some(id), Some(_)) if id as usize >= words => true,
                    (Some(id), Some(next)) if (next as usize) < words => {
                        chain.ends_sentence_before(id, next)
                    }
                    _ => false,
                },
            };
            let sentence_len = self.sentence_len;
            return self.in_windows(index).any(|(window, intervals)| {
                let Some(sentence) = intervals.get(sentence_len) else {
                    return false;
                };
                let narrowed = self.narrow(chain, window, sentence.clone(), sentence_len, token);
                window.any_start(narrowed, is_sentence_start)
            });
        }
        false
    }

    /// Each window of `index` with the intervals of the runs found in it.
    fn in_windows<'guard, 'index>(
        &'guard self,
        index: &'index CopyIndex,
    ) -> impl Iterator<Item = (IndexWindow<'index>, &'guard Vec<Range<usize>>)> {
        index.windows().zip(&self.runs)
    }

    /// Whether each of `tokens`, written in turn from here, is allowed.
    pub(crate) fn allows_all(
        &self,
        chain: &Chain,
        index: &CopyIndex,
        tokens: impl IntoIterator<Item = u32>,
    ) -> bool {
        let mut trial = self.clone();
        tokens.into_iter().all(|token| {
            let allowed = trial.allows(chain, index, token);
            trial.push(chain, index, token);
            allowed
        })
    }

    /// Takes the next token as the start of a sentence, as a restart at a
    /// sentence start of the text makes it.
    pub(crate) fn begin_sentence(&mut self) {
        self.sentence_len = 0;
        self.sentence_longest = 0;
        self.sentence_is_whole = true;
    }

    /// `run`, the interval of the output's last token, narrowed to those
    /// that go on with `token`, from the chain's counts instead of a search
    /// of the index, where they tell: at order 1, where the chain's
    /// transitions are the text's pairs of tokens, with an index sorted
    /// whole, as those counts place them. `None` otherwise, and for runs of
    /// more than one token (`depth`). A token's stretch is the widest, and
    /// a search of it reads the most of the index (from disk, for a saved
    /// chain's mapped index).
    fn counted_pairs(
        &self,
        chain: &Chain,
        index: IndexWindow<'_>,
        run: &Range<usize>,
        depth: usize,
        token: u32,
    ) -> Option<Range<usize>> {
        let last = self.counted_token(chain, index, run, depth)?;
        (index.is_sorted_whole())
            .then(|| index.pairs_starting(last, chain.transitions_to(last, token)))
    }

    /// The output's last token, when `run` is its stretch of `index` and
    /// the chain's counts tell how its pairs share that stretch: at order
    /// 1, where the chain's transitions are the text's pairs of tokens,
    /// for a run of one token (`depth`).
    fn counted_token(
        &self,
        chain: &Chain,
        index: IndexWindow<'_>,
        run: &Range<usize>,
        depth: usize,
    ) -> Option<u32> {
        let last = self.last_token?;
        (depth == 1 && chain.order() == 1 && index.starting_with(last) == *run).then_some(last)
    }

    /// Where [`CopyGuard::counted_pairs`] would place the pairs in a
    /// window of an index cut into windows, where the chain's counts are
    /// the whole text's, not the window's: the same share of the window's
    /// stretch of the output's last token. A guess for the search, which
    /// finds the same interval whatever it is: a window of millions of
    /// tokens follows most tokens as the whole text does, and a search
    /// begun near the answer reads a few places of the index, not one for
    /// each halving of the stretch (for a saved chain, one read of the
    /// file each).
    fn guessed_pairs(
        &self,
        chain: &Chain,
        index: IndexWindow<'_>,
        run: &Range<usize>,
        depth: usize,
        token: u32,
    ) -> Option<Range<usize>> {
        let last = self.counted_token(chain, index, run, depth)?;
        let (pairs, all) = (
            chain.transitions_to(last, token),
            u64::from(chain.transitions_from(last).max(1)),
        );
        let share = |count: u32| run.start + (u64::from(count) * run.len() as u64 / all) as usize;
        Some(share(pairs.start)..share(pairs.end))
    }

    /// `run`, the interval of the output's last `depth` tokens, narrowed to
    /// those that go on with `token`: by the chain's counts where they tell
    /// ([`CopyGuard::counted_pairs`]), else by a search of the index.
    fn narrow(
        &self,
        chain: &Chain,
        index: IndexWindow<'_>,
        run: Range<usize>,
        depth: usize,
        token: u32,
    ) -> Range<usize> {
        self.counted_pairs(chain, index, &run, depth, token)
            .unwrap_or_else(|| self.search(chain, index, run, depth, token))
    }

    /// `run` narrowed by a search of the index, begun where the chain's
    /// counts guess ([`CopyGuard::guessed_pairs`]).
    fn search(
        &self,
        chain: &Chain,
        index: IndexWindow<'_>,
        run: Range<usize>,
        depth: usize,
        token: u32,
    ) -> Range<usize> {
        let guess = self.guessed_pairs(chain, index, &run, depth, token);
        index.narrow(run, depth, token, guess)
    }

    /// Takes `token` as the output's next.
    pub(crate) fn push(&mut self, chain: &Chain, index: &CopyIndex, token: u32) {
        let matched = self.matched();
        self.taken = (self.taken + 1).min(TAILS_AFTER);
        let mut runs = std::mem::take(&mut self.runs);
        for (window, intervals) in index.windows().zip(&mut runs) {
            self.push_in(chain, window, intervals, matched, token);
        }
        self.runs = runs;
        self.last_token = Some(token);
        self.longest = self.longest.max(self.matched());
        // Of the run, only the part within this sentence counts for it.
        let within = self.matched().min(self.sentence_len + 1);
        self.sentence_longest = self.sentence_longest.max(within);
        if chain.ends_sentence(token) {
            self.ended_sentence_longest = self.sentence_longest;
            self.sentence_longest = 0;
            self.sentence_len = 0;
            self.sentence_is_whole = true;
        } else {
            self.sentence_len += 1;
        }
    }

    /// Narrows the `intervals` of the runs found in `window` by `token`,
    /// the output's next, when the longest run found in any window was
    /// `matched` long.
    fn push_in(
        &self,
        chain: &Chain,
        window: IndexWindow<'_>,
        intervals: &mut Vec<Range<usize>>,
        matched: usize,
        token: u32,
    ) {
        // The run of length j + 1 that ends with `token` is the run of
        // length j before it, narrowed by `token`. The longest that occurs
        // is the new match; it is at most `max_copy` long, since the step
        // was allowed. Made in place, from the shortest: each new interval
        // from the old one a token shorter, saved before it is replaced.
        // A window's runs are at most the longest found in any (`matched`).
        let by_tails =
            window.may_narrow_by_tails() && (self.taken == TAILS_AFTER || window.has_tails());
        let mut shorter = std::mem::replace(&mut intervals[0], 0..window.len());
        let mut length = 0;
        loop {
            let narrowed = if length == 0 {
                window.starting_with(token)
            } else if let Some(counted) = self.counted_pairs(chain, window, &shorter, length, token)
            {
                counted
            } else if by_tails {
                window.narrow_by_tails(shorter.clone(), intervals[length].clone())
            } else {
                self.search(chain, window, shorter.clone(), length, token)
            };
            if narrowed.is_empty() {
                break;
            }
            length += 1;
            match intervals.get_mut(length) {
                Some(slot) => shorter = std::mem::replace(slot, narrowed),
                None => {
                    intervals.push(narrowed);
                    break;
                }
            }
            if length == self.max_copy || length > matched {
                break;
            }
        }
        intervals.truncate(length + 1);
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use super::*;
    use crate::build::build_with;
    use crate::build_options::{BuildOptions, SuffixSort, Watch};
    use crate::merge::{merge, MergeSource};

    fn guarded(text: &[u8]) -> Chain {
        let options = BuildOptions {
            copy_index: Some(SuffixSort::Whole),
            ..BuildOptions::default()
        };
        build_with(text, 1, options).unwrap()
    }

    /// The chain's counts place every pair of tokens where a search of the
    /// index finds it: with documents joined by the separator (whose pairs
    /// are no transitions, and sort last), a weight that repeats a text,
    /// and a text that ends with a token found before (whose last suffix,
    /// with no next token, sorts first). An off-by-one in either would let
    /// a guarded walk at order 1 copy more than `max_copy`.
    #[test]
    fn pairs_placed_by_the_chains_counts_are_those_the_index_finds() {
        let one = guarded(b"the cat sat on the mat and the cat ran to the");
        let two = guarded(b"a cat and the dog sat on a mat the end");
        let weight = |weight| NonZeroU32::new(weight).unwrap();
        let merged = merge(
            &[
                MergeSource {
                    chain: &one,
                    weight: weight(1),
                },
                MergeSource {
                    chain: &two,
                    weight: weight(3),
                },
            ],
            Watch::none(),
        )
        .unwrap();
        for chain in [&one, &two, &merged] {
            let index = chain.copy_index().unwrap().window(0).unwrap();
            let words = chain.vocabulary().len() as u32;
            for first in 0..words {
                for next in 0..=words {
                    let searched = index.narrow(index.starting_with(first), 1, next, None);
                    let counted = index.pairs_starting(first, chain.transitions_to(first, next));
                    if next < words {
                        let word =
                            |id| String::from_utf8_lossy(chain.vocabulary().word(id)).into_owned();
                        assert_eq!(
                            counted,
                            searched,
                            "{} then {} in {:?}",
                            word(first),
                            word(next),
                            chain.copy_index().map(|i| i.len())
                        );
                    } else {
                        // The separator follows no word in the chain.
                        assert!(counted.is_empty());
                    }
                }
            }
        }
    }
}
