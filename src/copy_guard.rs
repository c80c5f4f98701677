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

use std::ops::Range;

use crate::chain::Chain;
use crate::copy_index::CopyIndex;

/// After how many tokens a guard narrows runs by the index's tails
/// ([`CopyIndex::narrow_by_tails`]), which the first guard to ask makes
/// (50 ms for WordNet's 4 million tokens) and which then save about a
/// third of a microsecond a token: a short output narrows through the text.
const TAILS_AFTER: usize = 1 << 16;

/// What the guard knows of the output so far.
#[derive(Clone, Debug)]
pub(crate) struct CopyGuard {
    max_copy: usize,
    /// For each length from 0 up to the longest run at the end of the
    /// output that occurs in the text (at most `max_copy`), the suffix
    /// array's interval of the suffixes that start with the output's last
    /// tokens of that length (all of them for 0).
    intervals: Vec<Range<usize>>,
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
            intervals: std::iter::once(0..index.len()).collect(),
            longest: 0,
            whole_sentences,
            sentence_len: 0,
            sentence_is_whole: starts_a_sentence,
            taken: 0,
            max_copy_ratio: None,
            sentence_longest: 0,
            ended_sentence_longest: 0,
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
        self.intervals.len() - 1
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
        let copies = self.matched() == self.max_copy
            && !index
                .narrow(self.intervals[self.max_copy].clone(), self.max_copy, token)
                .is_empty();
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
            // interval is kept; with `token`, does it occur where a
            // sentence starts?
            let sentence = self.intervals[self.sentence_len].clone();
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
            let narrowed = index.narrow(sentence, self.sentence_len, token);
            return index.any_start(narrowed, is_sentence_start);
        }
        false
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

    /// Takes `token` as the output's next.
    pub(crate) fn push(&mut self, chain: &Chain, index: &CopyIndex, token: u32) {
        // The run of length j + 1 that ends with `token` is the run of
        // length j before it, narrowed by `token`. The longest that occurs
        // is the new match; it is at most `max_copy` long, since the step
        // was allowed. Made in place, from the shortest: each new interval
        // from the old one a token shorter, saved before it is replaced.
        let matched = self.matched();
        self.taken = (self.taken + 1).min(TAILS_AFTER);
        let by_tails =
            index.may_narrow_by_tails() && (self.taken == TAILS_AFTER || index.has_tails());
        let mut shorter = std::mem::replace(&mut self.intervals[0], 0..index.len());
        let mut length = 0;
        loop {
            let narrowed = if length == 0 {
                index.starting_with(token)
            } else if by_tails {
                index.narrow_by_tails(shorter.clone(), self.intervals[length].clone())
            } else {
                index.narrow(shorter.clone(), length, token)
            };
            if narrowed.is_empty() {
                break;
            }
            length += 1;
            match self.intervals.get_mut(length) {
                Some(slot) => shorter = std::mem::replace(slot, narrowed),
                None => {
                    self.intervals.push(narrowed);
                    break;
                }
            }
            if length == self.max_copy || length > matched {
                break;
            }
        }
        self.intervals.truncate(length + 1);
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
}
