//! The Markov chain: which states follow which, and how often, as flat
//! arrays of ids.

use std::ops::Range;

use crate::bit_set::BitSet;
use crate::build_options::Watch;
use crate::copy_index::CopyIndex;
use crate::error::ChainError;
use crate::parallel::{equal_shares, on_threads};
use crate::rng::Rng;
use crate::sampled_search::{first_past, samples_of};
use crate::sentence::{ends_sentence, starts_in_lower_case_or_dash, SentenceMarks};
use crate::sentence_distances::KnownSentenceDistances;
use crate::state_words::{FollowerLists, StateWordArray, StateWords};
use crate::stored::Stored;
use crate::tokens::Tokens;
use crate::vocabulary::Vocabulary;

/// Each state's followers, once each, with how often each followed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Transitions {
    /// State `s`'s followers are at `offsets[s]..offsets[s + 1]` of the two
    /// vectors below.
    pub(crate) offsets: Stored<u32>,
    /// The states that follow, in the order they first followed in the
    /// text.
    pub(crate) followers: Stored<u32>,
    /// The running total of the counts, over all followers in order:
    /// follower `i` followed `cumulative[i] - cumulative[i - 1]` times (its
    /// whole value for `i = 0`). A weighted draw searches a state's stretch
    /// of it. The total is the chain's transitions, below `u32::MAX`.
    pub(crate) cumulative: Stored<u32>,
}

impl Transitions {
    /// Each state's followers, for linking the states.
    pub(crate) fn follower_lists(&self) -> FollowerLists<'_> {
        FollowerLists {
            offsets: &self.offsets,
            followers: &self.followers,
        }
    }
}

/// A word-level Markov chain of a given order.
///
/// [`crate::build`] makes one from a text, [`crate::chain_file::load`] from
/// a file; [`crate::Walk`] generates words from it.
///
/// A state is `order` consecutive words of the training text. Every position
/// of the text where a state is followed by another word adds one transition
/// from that state to the next state (the window moved on by one word). The
/// chain keeps each state's distinct followers once, with how many times
/// each followed, so a follower seen twice is twice as likely. States and
/// words are `u32` ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chain {
    tokens: Tokens,
    order: usize,
    token_count: usize,
    vocabulary: Vocabulary,
    states: StateWords,
    transitions: Transitions,
    /// [`samples_of`] the cumulative counts: a state with thousands of
    /// followers is drawn from mostly in cache.
    cumulative_samples: Vec<u32>,
    /// The states that lack followers, in id order: the last window of a
    /// document, when it appears nowhere else.
    dead_ends: Vec<u32>,
    sentences: SentenceMarks,
    /// The text with its suffix array, when the chain was built with it:
    /// what the copy guard needs.
    copy_index: Option<CopyIndex>,
    /// The default sentences' plan, once saved or loaded.
    sentence_distances: KnownSentenceDistances,
}

impl Chain {
    /// A chain from its parts, which the caller has built or checked to be
    /// consistent (`states` and `transitions` cover the same states, every
    /// id is in range, and at most one state lacks followers), and its
    /// sentence marks: those saved with it, or none yet for a chain just
    /// built, which [`Chain::with_sentences_found`] then finds.
    pub(crate) fn with_sentence_marks(
        tokens: Tokens,
        order: usize,
        token_count: usize,
        vocabulary: Vocabulary,
        states: StateWords,
        transitions: Transitions,
        sentences: SentenceMarks,
    ) -> Chain {
        let dead_ends = (transitions.offsets.windows(2).enumerate())
            .filter(|(_, range)| range[0] == range[1])
            .map(|(state, _)| state as u32)
            .collect();
        Chain {
            tokens,
            order,
            token_count,
            vocabulary,
            states,
            cumulative_samples: samples_of(&transitions.cumulative),
            transitions,
            dead_ends,
            sentences,
            copy_index: None,
            sentence_distances: KnownSentenceDistances::default(),
        }
    }

    /// The chain, just built, with its sentence marks found from its
    /// transitions on up to `threads` threads. `first_and_last_state` are
    /// the text's first window, which starts a sentence, and its last,
    /// whose words end the text, when the text holds that end of its
    /// document ([`crate::Piece`]). `grouped` gives the states whose first
    /// word ends a sentence, and `lower_case` the words that start in lower
    /// case ([`WordsByRule`]).
    pub(crate) fn with_sentences_found(
        mut self,
        (first_state, last_state): (Option<u32>, Option<u32>),
        grouped: &SentenceEndStates,
        lower_case: &BitSet,
        threads: usize,
    ) -> Result<Chain, ChainError> {
        self.sentences =
            self.find_sentence_marks(first_state, last_state, grouped, lower_case, threads)?;
        Ok(self)
    }

    /// The chain with what its file says of its default sentences' plan.
    pub(crate) fn with_sentence_distances(mut self, known: KnownSentenceDistances) -> Chain {
        self.sentence_distances = known;
        self
    }

    /// What the chain knows of its default sentences' plan.
    pub(crate) fn sentence_distances(&self) -> &KnownSentenceDistances {
        &self.sentence_distances
    }

    /// The chain with `index`, the copy index of its own text.
    pub(crate) fn with_copy_index(mut self, index: CopyIndex) -> Chain {
        self.copy_index = Some(index);
        self
    }

    /// The text and its suffix array, if the chain was built with them
    /// ([`crate::BuildOptions::copy_index`]): a walk can then bound how much
    /// of the text it copies ([`crate::Walk::max_copy`]).
    pub fn copy_index(&self) -> Option<&CopyIndex> {
        self.copy_index.as_ref()
    }

    /// Whether its copy index waits to be sorted
    /// ([`crate::SuffixSort::Later`]), which [`Chain::sort_copy_index`]
    /// would do now.
    pub fn copy_index_waits_for_sort(&self) -> bool {
        (self.copy_index.as_ref()).is_some_and(CopyIndex::is_sort_deferred)
    }

    /// Whether saving it sorts some of its copy index's suffix array, a
    /// window at a time: a long text's index, trained or merged, is
    /// sorted only as it is saved.
    pub fn copy_index_sorts_when_saved(&self) -> bool {
        (self.copy_index.as_ref()).is_some_and(CopyIndex::sorts_when_saved)
    }

    /// Sorts its copy index's suffix array now if its sort was deferred
    /// ([`crate::SuffixSort::Later`]: a trained piece's, a merged chain's),
    /// so that saving it does not sort where nothing can cancel it. `watch`
    /// can cancel the sort, and then the chain is as it was.
    pub fn sort_copy_index(&self, watch: Watch) -> Result<(), ChainError> {
        match &self.copy_index {
            Some(index) => index.sort_deferred(watch),
            None => Ok(()),
        }
    }

    /// The chain with its copy index's deferred sort done
    /// ([`crate::SuffixSort::Later`]), sorting the text the index owns
    /// rather than a copy of it, as [`Chain::sort_copy_index`] must: a
    /// training's largest step then takes 8 bytes a token instead of 12.
    /// `watch` can cancel the sort, and then the chain is gone.
    pub fn into_sorted(mut self, watch: Watch) -> Result<Chain, ChainError> {
        if let Some(index) = self.copy_index.take() {
            self.copy_index = Some(index.into_sorted(watch)?);
        }
        Ok(self)
    }

    /// Takes its copy index away, to grow it in place.
    pub(crate) fn take_copy_index(&mut self) -> Option<CopyIndex> {
        self.copy_index.take()
    }

    /// Which words end a sentence, by [`ends_sentence`], and which states
    /// start one: the first window of the text, and every state that
    /// followed a state whose first word ends a sentence. `grouped` gives
    /// the states whose first word ends a sentence by the rule, so no
    /// state's first word is looked up (past order 1, `order - 1` reads at
    /// random, which cost an order-3 build of WordNet 15 ms on two
    /// threads); they are shared among up to `threads` threads.
    fn find_sentence_marks(
        &self,
        first_state: Option<u32>,
        last_state: Option<u32>,
        grouped: &SentenceEndStates,
        lower_case: &BitSet,
        threads: usize,
    ) -> Result<SentenceMarks, ChainError> {
        let found = on_threads(grouped.shares(threads), |share| {
            Ok(self.marks_of_grouped(share, lower_case))
        })?;
        let mut found = found.into_iter();
        let (mut ends, mut starts) = found.next().unwrap_or_else(|| {
            (
                BitSet::new(self.vocabulary.len()),
                BitSet::new(self.state_count() as usize),
            )
        });
        for (more_ends, more_starts) in found {
            ends.insert_all(&more_ends);
            starts.insert_all(&more_starts);
        }
        if let Some(first_state) = first_state {
            starts.insert(first_state as usize);
        }
        // The last window's words: each before the next, and the last at
        // the end of the text, where it ends a sentence by the rule alone.
        let last_words: Vec<u32> = last_state
            .map(|state| self.state_words(state).collect())
            .unwrap_or_default();
        for (index, &word) in last_words.iter().enumerate() {
            let before_a_sentence = last_words
                .get(index + 1)
                .is_none_or(|&next| !lower_case.contains(next as usize));
            if before_a_sentence && ends_sentence(self.token_text(word)) {
                ends.insert(word as usize);
            }
        }
        Ok(SentenceMarks {
            ends,
            starts: starts.ids().collect(),
        })
    }

    /// The sentence ends and starts that the states of `share` make: a
    /// state whose first word ends a sentence by the rule ends one before
    /// each follower that does not start in lower case, and the follower
    /// starts one. Past order 1 every follower of a state starts with the
    /// state's second word, so that is looked at once. `lower_case` holds
    /// the words that start in lower case: a bit read for each, where
    /// reading the word itself is a miss in a large vocabulary.
    fn marks_of_grouped(
        &self,
        share: &[(u32, Range<u32>)],
        lower_case: &BitSet,
    ) -> (BitSet, BitSet) {
        let mut ends = BitSet::new(self.vocabulary.len());
        let mut starts = BitSet::new(self.state_count() as usize);
        for (word, states) in share {
            for state in states.clone() {
                let shared_second_word = self.order > 1;
                if shared_second_word && lower_case.contains(self.state_word(state, 1) as usize) {
                    continue;
                }
                for (next, _) in self.followers(state) {
                    if shared_second_word || !lower_case.contains(next as usize) {
                        ends.insert(*word as usize);
                        starts.insert(next as usize);
                    }
                }
            }
        }
        (ends, starts)
    }

    /// The text of word `id`, without what the token mode adds to it.
    fn token_text(&self, id: u32) -> &[u8] {
        self.tokens.split(self.vocabulary.word(id)).0
    }

    /// Whether word `id` starts in lower case or with a dash, so that the
    /// word before it ends no sentence.
    fn starts_in_lower_case(&self, id: u32) -> bool {
        starts_in_lower_case_or_dash(self.token_text(id))
    }

    /// Whether word `id`, where `next` follows it, ends a sentence there.
    pub(crate) fn ends_sentence_before(&self, id: u32, next: u32) -> bool {
        self.ends_sentence(id) && !self.starts_in_lower_case(next)
    }

    /// Whether word `id` ends a sentence ([`ends_sentence`]).
    pub fn ends_sentence(&self, id: u32) -> bool {
        self.sentences.ends.contains(id as usize)
    }

    /// The states that start a sentence of the text, in id order: the
    /// first window of the text, and each window that follows a word that
    /// ends a sentence.
    pub fn sentence_starts(&self) -> &[u32] {
        &self.sentences.starts
    }

    /// Whether any word of the text ends a sentence: without one, a walk
    /// in sentences never ends.
    pub fn has_sentence_ends(&self) -> bool {
        self.sentences.ends.ids().next().is_some()
    }

    /// The sentence marks, for saving.
    pub(crate) fn sentence_marks(&self) -> &SentenceMarks {
        &self.sentences
    }

    /// How the chain's text was cut into tokens.
    pub fn tokens(&self) -> Tokens {
        self.tokens
    }

    /// How many words of context a state holds.
    pub fn order(&self) -> usize {
        self.order
    }

    /// How many words the training text had.
    pub fn token_count(&self) -> usize {
        self.token_count
    }

    /// The distinct words of the training text.
    pub fn vocabulary(&self) -> &Vocabulary {
        &self.vocabulary
    }

    /// How many distinct states (runs of `order` words) the text has.
    pub fn state_count(&self) -> u32 {
        (self.transitions.offsets.len() - 1) as u32
    }

    /// How many transitions the chain learned: one per word that follows a
    /// full window of its document (`token_count - order` for a single
    /// text), each follower counted as many times as it followed.
    pub fn transition_count(&self) -> usize {
        self.transitions
            .cumulative
            .last()
            .map_or(0, |&total| total as usize)
    }

    /// How many distinct (state, next state) pairs the chain holds.
    pub fn distinct_transition_count(&self) -> usize {
        self.transitions.followers.len()
    }

    /// The states that followed `state`, each once, with how many times it
    /// followed, in the order they first followed in the text.
    ///
    /// # Panics
    /// If `state` is not below [`Chain::state_count`].
    pub fn followers(&self, state: u32) -> impl ExactSizeIterator<Item = (u32, u32)> + '_ {
        self.follower_range(state).map(move |index| {
            let count = self.transitions.cumulative[index] - self.running_before(index);
            (self.transitions.followers[index], count)
        })
    }

    /// The running total of the counts of the followers before `index`.
    fn running_before(&self, index: usize) -> u32 {
        index
            .checked_sub(1)
            .map_or(0, |last| self.transitions.cumulative[last])
    }

    /// Where `state`'s followers are in the transition table.
    pub(crate) fn follower_range(&self, state: u32) -> std::ops::Range<usize> {
        let offsets = &self.transitions.offsets;
        offsets[state as usize] as usize..offsets[state as usize + 1] as usize
    }

    /// Of `state`'s transitions taken in the order of their followers'
    /// ids, the stretch that goes to `next`: as many as go to followers
    /// of lower id, up to those and the ones to `next` (empty when `next`
    /// does not follow it). With a copy index at order 1, where a state is
    /// a word and a transition two words of the text, that is where `next`
    /// after `state` sits among the suffixes that start with `state`.
    pub(crate) fn transitions_to(&self, state: u32, next: u32) -> std::ops::Range<u32> {
        let range = self.follower_range(state);
        let place = self.transitions.followers[range.clone()].partition_point(|&id| id < next);
        let at = range.start + place;
        let below = self.running_before(at) - self.running_before(range.start);
        let to_next = if place < range.len() && self.follower_at(at) == next {
            self.running_before(at + 1) - self.running_before(at)
        } else {
            0
        };
        below..below + to_next
    }

    /// How many transitions leave `state`: its followers' counts added up.
    pub(crate) fn transitions_from(&self, state: u32) -> u32 {
        let range = self.follower_range(state);
        self.running_before(range.end) - self.running_before(range.start)
    }

    /// The follower at `index` of the transition table, a place of some
    /// state's [`Chain::follower_range`].
    pub(crate) fn follower_at(&self, index: usize) -> u32 {
        self.transitions.followers[index]
    }

    /// The id of word `index` (from 0 to `order - 1`) of `state`.
    pub fn state_word(&self, state: u32, index: usize) -> u32 {
        match &self.states {
            StateWords::SingleWord => state,
            StateWords::Linked(states) => states.word(state, index),
        }
    }

    /// The word ids of `state`, oldest first.
    pub fn state_words(&self, state: u32) -> impl Iterator<Item = u32> {
        match &self.states {
            StateWords::SingleWord => StateWordArray::one(state),
            StateWords::Linked(states) => states.words(state),
        }
    }

    /// The word a walk emits when it moves into `state`: its newest word.
    pub fn last_word(&self, state: u32) -> u32 {
        self.state_word(state, self.order - 1)
    }

    /// Whether `state` has no follower: only the last window of a
    /// document can lack one, when it appears nowhere else.
    pub(crate) fn is_dead_end(&self, state: u32) -> bool {
        self.follower_range(state).is_empty()
    }

    /// A state chosen uniformly among those that have followers, or the
    /// first state when none has.
    pub(crate) fn random_state(&self, rng: &mut Rng) -> u32 {
        let alive = u64::from(self.state_count()) - self.dead_ends.len() as u64;
        if alive == 0 {
            return 0;
        }
        // The `draw`th state with followers: each dead end at or below it
        // moves it on by one.
        let mut state = rng.below(alive) as u32;
        for &dead_end in &self.dead_ends {
            if dead_end > state {
                break;
            }
            state += 1;
        }
        state
    }

    /// A state chosen uniformly among those that start a sentence.
    pub(crate) fn random_sentence_start(&self, rng: &mut Rng) -> u32 {
        let starts = &self.sentences.starts;
        match starts.len() {
            // Only a forged file lacks them: the text's first state always
            // starts one.
            0 => self.random_state(rng),
            count => starts[rng.below(count as u64) as usize],
        }
    }

    /// A follower of `state` for which `allowed[i]` holds (`i` counting the
    /// state's followers in order), drawn in proportion to how often each
    /// followed; `None` when none is allowed.
    pub(crate) fn next_state_among(
        &self,
        state: u32,
        rng: &mut Rng,
        allowed: &[bool],
    ) -> Option<u32> {
        let range = self.follower_range(state);
        let count = |index: usize| {
            u64::from(self.transitions.cumulative[index] - self.running_before(index))
        };
        let total: u64 = range
            .clone()
            .zip(allowed)
            .filter(|&(_, &allowed)| allowed)
            .map(|(index, _)| count(index))
            .sum();
        if total == 0 {
            return None;
        }
        let mut draw = rng.below(total);
        for (index, _) in range.zip(allowed).filter(|&(_, &allowed)| allowed) {
            match draw.checked_sub(count(index)) {
                Some(rest) => draw = rest,
                None => return Some(self.transitions.followers[index]),
            }
        }
        None
    }

    /// A follower of `state` drawn in proportion to how often it followed,
    /// or `None` at a dead end.
    pub(crate) fn next_state(&self, state: u32, rng: &mut Rng) -> Option<u32> {
        let range = self.follower_range(state);
        let cumulative = &self.transitions.cumulative;
        let before = self.running_before(range.start);
        let &after = cumulative[range.clone()].last()?;
        let draw = before + rng.below(u64::from(after - before)) as u32;
        let pick = first_past(cumulative, &self.cumulative_samples, range, |running| {
            running > draw
        });
        Some(self.transitions.followers[pick])
    }

    /// How the states' words are stored, for saving.
    pub(crate) fn state_words_table(&self) -> &StateWords {
        &self.states
    }

    /// The transition table, for saving.
    pub(crate) fn transitions(&self) -> &Transitions {
        &self.transitions
    }
}

/// What the sentence rule says of each word of a vocabulary, by id: what
/// a build needs to find its chain's sentence marks.
pub(crate) struct WordsByRule {
    /// Whether each word ends a sentence by the rule ([`ends_sentence`]).
    pub(crate) ending: Vec<bool>,
    /// The words that start in lower case or with a dash, so that the word
    /// before them ends no sentence.
    pub(crate) lower_case: BitSet,
}

/// [`WordsByRule`] for `vocabulary`, read once in id order on up to
/// `threads` threads.
pub(crate) fn words_by_rule(
    vocabulary: &Vocabulary,
    tokens: Tokens,
    threads: usize,
) -> Result<WordsByRule, ChainError> {
    let ids_by_rule = |ids: Range<u32>| {
        let mut ending = Vec::with_capacity(ids.len());
        // A set over the whole vocabulary for each share, joined below: a
        // bit a word is small beside the words themselves.
        let mut lower_case = BitSet::new(vocabulary.len());
        for id in ids {
            let text = tokens.split(vocabulary.word(id)).0;
            ending.push(ends_sentence(text));
            if starts_in_lower_case_or_dash(text) {
                lower_case.insert(id as usize);
            }
        }
        Ok((ending, lower_case))
    };
    let shares = on_threads(marking_shares(vocabulary.len(), threads), ids_by_rule)?;
    let mut ending = Vec::with_capacity(vocabulary.len());
    let mut lower_case = BitSet::new(vocabulary.len());
    for (share_ending, share_lower_case) in shares {
        ending.extend_from_slice(&share_ending);
        lower_case.insert_all(&share_lower_case);
    }
    Ok(WordsByRule { ending, lower_case })
}

/// The states of a chain whose first word ends a sentence by the rule, as
/// a build finds them: at order 1 a state is its word, and each round to a
/// higher order numbers states grouped by their first state, so the
/// states that start with a word stand together, a range of ids. Each
/// such word with its range, in the words' order.
#[derive(Debug, Default)]
pub(crate) struct SentenceEndStates {
    pub(crate) ranges: Vec<(u32, Range<u32>)>,
}

impl SentenceEndStates {
    /// The ranges cut into up to `threads` shares of about as many states.
    fn shares(&self, threads: usize) -> Vec<&[(u32, Range<u32>)]> {
        let total: usize = self.ranges.iter().map(|(_, states)| states.len()).sum();
        let share = total.div_ceil(threads.max(1)).max(MIN_MARKING_SHARE);
        let mut shares = Vec::new();
        let (mut start, mut taken) = (0, 0);
        for (index, (_, states)) in self.ranges.iter().enumerate() {
            taken += states.len();
            if taken >= share {
                shares.push(&self.ranges[start..=index]);
                (start, taken) = (index + 1, 0);
            }
        }
        if start < self.ranges.len() || shares.is_empty() {
            shares.push(&self.ranges[start..]);
        }
        shares
    }
}

/// The fewest words or states a thread takes to find sentence marks: a
/// share is worth a thread's start from tens of thousands, so a prompt's
/// chain stays on one thread.
const MIN_MARKING_SHARE: usize = 1 << 15;

/// The word ids `0..count` shared among up to `threads` threads to find
/// which end a sentence by the rule.
fn marking_shares(count: usize, threads: usize) -> Vec<Range<u32>> {
    equal_shares(count as u32, threads, MIN_MARKING_SHARE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::build;

    #[test]
    fn states_that_follow_a_sentence_end_are_shared_out_each_once_in_order() {
        // The bug: a word's range of states dropped or taken twice where
        // the shares are cut (the range that reaches a cut, or those after
        // the last cut), so that its states start no sentence, or
        // duplicated work. 1,000 words of 0 to 120 states each, about
        // 60,000 in all: two shares of the 32,768 a share takes at least.
        let ranges: Vec<(u32, Range<u32>)> = (0..1000u32)
            .map(|word| (word, word * 200..word * 200 + word % 7 * 20))
            .collect();
        let grouped = SentenceEndStates {
            ranges: ranges.clone(),
        };
        for threads in 1..5 {
            let shares = grouped.shares(threads);
            assert_eq!(shares.concat(), ranges, "{threads} threads");
            assert_eq!(shares.len(), threads.min(2), "{threads} threads");
        }
        assert_eq!(SentenceEndStates::default().shares(2).len(), 1);
    }

    /// The id of `word` in `chain`.
    fn id_of(chain: &Chain, word: &[u8]) -> u32 {
        chain.vocabulary().find_all(&[word])[0].unwrap()
    }

    /// A chain whose states' followers and counts are known: at order 1,
    /// "a" is followed by b three times and c once, "c" is a dead end.
    fn known() -> (Chain, u32, u32, u32) {
        let chain = build(b"a b a b a b a c", 1).unwrap();
        let id = |word: &[u8]| id_of(&chain, word);
        let (a, b, c) = (id(b"a"), id(b"b"), id(b"c"));
        (chain, a, b, c)
    }

    #[test]
    fn the_sampled_draw_picks_what_the_plain_draw_picks() {
        // next_state searches the running counts through their samples;
        // next_state_among scans them. From the same draw, both must pick
        // the same follower, or seeds would depend on the search.
        let chain = build(b"x y x z x z x w x y x y x q x y", 1).unwrap();
        let x = id_of(&chain, b"x");
        let all = vec![true; chain.followers(x).len()];
        for seed in 0..500 {
            let sampled = chain.next_state(x, &mut Rng::from_seed(seed));
            let scanned = chain.next_state_among(x, &mut Rng::from_seed(seed), &all);
            assert_eq!(sampled, scanned, "seed {seed}");
        }
    }

    #[test]
    fn draws_follow_the_counts_and_only_the_allowed() {
        let (chain, a, b, c) = known();
        let followers: Vec<(u32, u32)> = chain.followers(a).collect();
        assert_eq!(followers, [(b, 3), (c, 1)]);
        let mut rng = Rng::from_seed(1);
        let draws = 8000;
        let bs = (0..draws)
            .filter(|_| chain.next_state(a, &mut rng) == Some(b))
            .count();
        // 6000 expected; 300 is over six standard deviations.
        assert!((5700..6300).contains(&bs), "{bs}");
        let only_c = [false, true];
        assert_eq!(chain.next_state_among(a, &mut rng, &only_c), Some(c));
        assert_eq!(chain.next_state_among(a, &mut rng, &[false, false]), None);
        assert_eq!(chain.next_state(c, &mut rng), None);
    }

    #[test]
    fn a_random_state_is_never_a_dead_end_and_may_be_any_other() {
        let chain = build(b"a b c d e f g h", 1).unwrap();
        let dead_end = id_of(&chain, b"h");
        assert!(chain.is_dead_end(dead_end));
        let mut seen = vec![0; chain.state_count() as usize];
        let mut rng = Rng::from_seed(3);
        for _ in 0..7000 {
            seen[chain.random_state(&mut rng) as usize] += 1;
        }
        assert_eq!(seen[dead_end as usize], 0);
        assert!(
            (0..chain.state_count())
                .filter(|&state| state != dead_end)
                .all(|state| seen[state as usize] > 800),
            "{seen:?}"
        );
    }

    #[test]
    fn a_sentence_ends_only_before_a_word_that_can_start_one() {
        // "etc." before "and" does not end a sentence; "end." before "The"
        // does, and "The" then starts one.
        let chain = build(b"it was the end. The cat, etc. and more. So", 1).unwrap();
        let id = |word: &[u8]| id_of(&chain, word);
        assert!(chain.ends_sentence(id(b"end.")));
        assert!(!chain.ends_sentence(id(b"etc.")));
        assert!(chain.ends_sentence_before(id(b"end."), id(b"The")));
        assert!(!chain.ends_sentence_before(id(b"end."), id(b"and")));
        let starts = chain.sentence_starts();
        assert!(starts.contains(&id(b"The")));
        assert!(starts.contains(&id(b"it")), "the text's first state");
        assert!(!starts.contains(&id(b"and")));
    }
}
