//! Merging chains: the chain of several texts from the chains of each, as
//! if each text had been its own document of one training.
//!
//! Every chain numbers its words in byte order, its states in the order of
//! their words' ids, and each state's followers by id. So a word's id keeps
//! its place among the merged words, each chain's states stay in order
//! when renumbered, and merging is one pass over each chain, as KenLM
//! merges sorted counts: no table of every state is hashed.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::num::NonZeroU32;

use crate::bit_set::BitSet;
use crate::build_options::{SuffixSort, Watch};
use crate::chain::{Chain, Transitions};
use crate::copy_index::{CopyIndex, JoinedText, SpillPolicy};
use crate::error::ChainError;
use crate::limits::MAX_WORDS;
use crate::sentence::SentenceMarks;
use crate::state_words::{LinkedStates, StateWords};
use crate::vocabulary::{self, Vocabulary};

/// How many follower lists are merged between two looks at the cancel
/// flag (and two reports of progress).
const STATES_BETWEEN_CANCEL_CHECKS: usize = 1 << 16;

/// One chain to merge, and how many times its counts count: merging a
/// chain with weight `k` is merging `k` copies of it.
#[derive(Clone, Copy, Debug)]
pub struct MergeSource<'a> {
    /// The chain.
    pub chain: &'a Chain,
    /// What its counts are multiplied by.
    pub weight: NonZeroU32,
}

impl<'a> MergeSource<'a> {
    /// `chain`, counted once.
    pub fn once(chain: &'a Chain) -> Self {
        MergeSource {
            chain,
            weight: NonZeroU32::MIN,
        }
    }
}

/// How much progress [`merge`] reports in all (see
/// [`Watch::reporting_to`]), for a progress bar's total: one unit a state
/// of each source.
pub fn merging_work(sources: &[MergeSource<'_>]) -> u64 {
    sources
        .iter()
        .map(|source| u64::from(source.chain.state_count()))
        .sum()
}

/// The chain of every source's text, each its own document: the states of
/// all of them, each state's followers with their counts summed (times
/// each source's weight), and every sentence mark of each.
///
/// Merging the chains of texts gives the same chain, id for id, as
/// training on the texts as documents, whatever the order of the sources.
/// The copy index is merged too when every source has one: the texts in
/// the order given, each its own document. When some source lacks one, so
/// does the result, and a walk cannot bound its copies.
///
/// Fails when there is no source, when the sources differ in order or in
/// tokens, when the sum is more than a chain can count, or when `watch` is
/// cancelled.
///
/// A merged copy index's text longer than [`SpillPolicy::default`] allows
/// is kept in a temporary file, and its suffixes sorted when first needed
/// or a window at a time when saved; see [`merge_sorting`].
pub fn merge(sources: &[MergeSource<'_>], watch: Watch) -> Result<Chain, ChainError> {
    merge_sorting(sources, SuffixSort::Whole, &SpillPolicy::default(), watch)
}

/// [`merge`], with the merged copy index's suffixes sorted as `sort` says
/// ([`SuffixSort::Later`] for a merge that more will follow), and its text
/// kept in a temporary file as `spill` says, where it waits to be sorted
/// whatever `sort` says: merging long guarded chains holds no more of
/// their text than training them does.
pub fn merge_sorting(
    sources: &[MergeSource<'_>],
    sort: SuffixSort,
    spill: &SpillPolicy,
    watch: Watch,
) -> Result<Chain, ChainError> {
    merge_with(sources, watch, |word_ids, vocabulary_size| {
        merge_copy_indexes(sources, word_ids, vocabulary_size, sort, spill, watch)
    })
}

/// [`merge_sorting`] of `grown` and then `piece`, with the sort deferred
/// ([`SuffixSort::Later`]), taking `grown` so that its copy index's text
/// grows in place: a training that merges each piece of its text into the
/// chain of those before holds that text once, not twice. Sort it with
/// [`Chain::into_sorted`], which sorts it in place too. A text longer
/// than `spill` allows grows in a temporary file. On an error, `grown` is
/// gone.
pub fn merge_grown(
    mut grown: Chain,
    piece: &Chain,
    spill: &SpillPolicy,
    watch: Watch,
) -> Result<Chain, ChainError> {
    let head = grown.take_copy_index();
    let sources = [MergeSource::once(&grown), MergeSource::once(piece)];
    merge_with(&sources, watch, |word_ids, vocabulary_size| {
        let (Some(head), Some(tail)) = (head, piece.copy_index()) else {
            return Ok(None);
        };
        let separator = vocabulary_size as u32;
        let grown = head.grown(&word_ids[0], tail, &word_ids[1], separator, spill, watch)?;
        Ok(Some(grown))
    })
}

/// The merge of `sources`, with the copy index that `copy_index` merges
/// from each source's new word ids and the merged vocabulary's size.
fn merge_with(
    sources: &[MergeSource<'_>],
    watch: Watch,
    copy_index: impl FnOnce(&[Vec<u32>], usize) -> Result<Option<CopyIndex>, ChainError>,
) -> Result<Chain, ChainError> {
    let Some(first) = sources.first() else {
        return Err(ChainError::NothingToMerge);
    };
    let (order, tokens) = (first.chain.order(), first.chain.tokens());
    for (index, source) in sources.iter().enumerate() {
        if source.chain.order() != order {
            return Err(ChainError::OrdersDiffer {
                source: index,
                order: source.chain.order(),
                first: order,
            });
        }
        if source.chain.tokens() != tokens {
            return Err(ChainError::TokensDiffer {
                source: index,
                tokens: source.chain.tokens(),
                first: tokens,
            });
        }
    }
    let token_count = sources.iter().try_fold(0usize, |total, source| {
        let words = source.chain.token_count() as u64 * u64::from(source.weight.get());
        usize::try_from(words)
            .ok()
            .and_then(|words| total.checked_add(words))
            .filter(|&total| total <= MAX_WORDS)
            .ok_or(ChainError::TooManyWords { max: MAX_WORDS })
    })?;
    let (vocabulary, word_ids) = merge_vocabularies(sources)?;
    let (last_words, state_ids) = merge_states(sources, &word_ids, order);
    let state_count = if order == 1 {
        vocabulary.len()
    } else {
        last_words.len()
    };
    let transitions = merge_transitions(sources, &state_ids, state_count, watch)?;
    let states = if order == 1 {
        StateWords::SingleWord
    } else {
        link_states(sources, &word_ids, &state_ids, last_words, &transitions)
    };
    let sentences = merge_sentence_marks(sources, &word_ids, &state_ids, vocabulary.len());
    let copy_index = copy_index(&word_ids, vocabulary.len())?;
    let chain = Chain::with_sentence_marks(
        tokens,
        order,
        token_count,
        vocabulary,
        states,
        transitions,
        sentences,
    );
    Ok(match copy_index {
        Some(index) => chain.with_copy_index(index),
        None => chain,
    })
}

/// The words of every source, each once, in byte order, and for each
/// source what its word ids became.
fn merge_vocabularies(
    sources: &[MergeSource<'_>],
) -> Result<(Vocabulary, Vec<Vec<u32>>), ChainError> {
    let vocabularies: Vec<&Vocabulary> = sources
        .iter()
        .map(|source| source.chain.vocabulary())
        .collect();
    vocabulary::merge_sorted(&vocabularies)
}

/// The states of every source, each once, in the order of their words'
/// ids: each merged state's last word (nothing at order 1, where a state is
/// its word), and for each source what its state ids became.
fn merge_states(
    sources: &[MergeSource<'_>],
    word_ids: &[Vec<u32>],
    order: usize,
) -> (Vec<u32>, Vec<Vec<u32>>) {
    if order == 1 {
        return (Vec::new(), word_ids.to_vec());
    }
    // A source's state in the merged words' ids: the states stay in order,
    // since the words keep theirs. Only each source's next states are
    // held, their words found a block at a time.
    let mut blocks: Vec<StateBlock<'_>> = (sources.iter().zip(word_ids))
        .map(|(source, ids)| StateBlock::new(source.chain, ids))
        .collect();
    let mut last = Vec::new();
    let mut new_ids: Vec<Vec<u32>> = sources
        .iter()
        .map(|source| Vec::with_capacity(source.chain.state_count() as usize))
        .collect();
    let mut next: BinaryHeap<Reverse<(Vec<u32>, usize)>> = (0..sources.len())
        .filter(|&source| sources[source].chain.state_count() > 0)
        .map(|source| Reverse((blocks[source].words(0), source)))
        .collect();
    let mut newest: Vec<u32> = Vec::new();
    while let Some(Reverse((words, source))) = next.pop() {
        if last.is_empty() || newest != words {
            last.push(words[order - 1]);
            newest = words;
        }
        let ids = &mut new_ids[source];
        ids.push(last.len() as u32 - 1);
        let state = ids.len() as u32;
        if state < sources[source].chain.state_count() {
            next.push(Reverse((blocks[source].words(state), source)));
        }
    }
    (last, new_ids)
}

/// How many states' words a merge finds at once for each source: their
/// reads at random overlap, where a state at a time waited on each.
const STATES_AT_ONCE: u32 = 4096;

/// A source's states of order 2 or more, read in id order: the words of
/// the next [`STATES_AT_ONCE`] of them, found together.
struct StateBlock<'a> {
    states: &'a LinkedStates,
    /// What the source's word ids became.
    ids: &'a [u32],
    count: u32,
    order: usize,
    /// The first state of the block, and the words of its states.
    start: u32,
    words: Vec<u32>,
}

impl<'a> StateBlock<'a> {
    fn new(chain: &'a Chain, ids: &'a [u32]) -> Self {
        let StateWords::Linked(states) = chain.state_words_table() else {
            unreachable!("a chain of order 2 or more links its states")
        };
        StateBlock {
            states,
            ids,
            count: chain.state_count(),
            order: chain.order(),
            start: 0,
            words: Vec::new(),
        }
    }

    /// The words of `state`, in the merged words' ids: the next state
    /// after the last asked for, or the first.
    fn words(&mut self, state: u32) -> Vec<u32> {
        let end = self.start + (self.words.len() / self.order) as u32;
        if !(self.start..end).contains(&state) {
            self.start = state;
            let block = state..state.saturating_add(STATES_AT_ONCE).min(self.count);
            self.states.words_of_states(block, &mut self.words);
        }
        let at = (state - self.start) as usize * self.order;
        (self.words[at..at + self.order].iter())
            .map(|&word| self.ids[word as usize])
            .collect()
    }
}

/// The merged states of order 2 or more: each its last word, linked by the
/// merged transitions, with the words of those that follow none from a
/// source where it followed none either.
fn link_states(
    sources: &[MergeSource<'_>],
    word_ids: &[Vec<u32>],
    state_ids: &[Vec<u32>],
    last_words: Vec<u32>,
    transitions: &Transitions,
) -> StateWords {
    let order = sources[0].chain.order();
    let mut roots: Vec<(u32, Vec<u32>)> = Vec::new();
    for ((source, words), states) in sources.iter().zip(word_ids).zip(state_ids) {
        if let StateWords::Linked(linked) = source.chain.state_words_table() {
            let (root_states, root_words) = linked.roots();
            for (&state, root) in root_states.iter().zip(root_words.chunks_exact(order)) {
                let renamed = root.iter().map(|&word| words[word as usize]).collect();
                roots.push((states[state as usize], renamed));
            }
        }
    }
    roots.sort_unstable_by_key(|(state, _)| *state);
    roots.dedup_by_key(|(state, _)| *state);
    let roots: Vec<(u32, &[u32])> = (roots.iter())
        .map(|(state, words)| (*state, words.as_slice()))
        .collect();
    match LinkedStates::new(order, last_words, transitions.follower_lists(), &roots, 1) {
        Ok(states) => StateWords::Linked(states),
        // A merged state that follows none followed none in any source,
        // where it was a root with its words.
        Err(_) => unreachable!("merged states link as their sources did"),
    }
}

/// Each merged state's followers: those of every source's state that
/// became it, each follower once, its counts summed times its source's
/// weight, in id order.
fn merge_transitions(
    sources: &[MergeSource<'_>],
    state_ids: &[Vec<u32>],
    state_count: usize,
    watch: Watch,
) -> Result<Transitions, ChainError> {
    // Where each source is in its own states: they became merged states in
    // order, so one pass over the merged states walks each source once.
    let mut at = vec![0usize; sources.len()];
    let mut offsets = Vec::with_capacity(state_count + 1);
    offsets.push(0u32);
    let mut followers: Vec<u32> = Vec::new();
    let mut cumulative: Vec<u32> = Vec::new();
    let mut running = 0u64;
    let mut gathered: Vec<(u32, u64)> = Vec::new();
    for merged_state in 0..state_count as u32 {
        if merged_state as usize % STATES_BETWEEN_CANCEL_CHECKS == 0 && merged_state > 0 {
            watch.advance(STATES_BETWEEN_CANCEL_CHECKS)?;
        }
        gathered.clear();
        let mut from_sources = 0;
        for (source, ids) in state_ids.iter().enumerate() {
            let state = at[source];
            if ids.get(state) != Some(&merged_state) {
                continue;
            }
            at[source] += 1;
            from_sources += 1;
            let weight = u64::from(sources[source].weight.get());
            gathered.extend(
                (sources[source].chain.followers(state as u32))
                    .map(|(next, count)| (ids[next as usize], u64::from(count) * weight)),
            );
        }
        // One source's followers are in id order already, and stay so.
        if from_sources > 1 {
            gathered.sort_unstable_by_key(|&(next, _)| next);
        }
        let mut previous: Option<u32> = None;
        for &(next, count) in &gathered {
            running += count;
            if running > MAX_WORDS as u64 {
                return Err(ChainError::TooManyWords { max: MAX_WORDS });
            }
            if previous == Some(next) {
                if let Some(last) = cumulative.last_mut() {
                    *last = running as u32;
                }
            } else {
                followers.push(next);
                cumulative.push(running as u32);
                previous = Some(next);
            }
        }
        offsets.push(followers.len() as u32);
    }
    Ok(Transitions {
        offsets: offsets.into(),
        followers: followers.into(),
        cumulative: cumulative.into(),
    })
}

/// The words that end a sentence in any source, and the states that start
/// one in any source.
fn merge_sentence_marks(
    sources: &[MergeSource<'_>],
    word_ids: &[Vec<u32>],
    state_ids: &[Vec<u32>],
    vocabulary_size: usize,
) -> SentenceMarks {
    let mut ends = BitSet::new(vocabulary_size);
    let mut starts: Vec<u32> = Vec::new();
    for ((source, words), states) in sources.iter().zip(word_ids).zip(state_ids) {
        let chain = source.chain;
        for word in 0..chain.vocabulary().len() as u32 {
            if chain.ends_sentence(word) {
                ends.insert(words[word as usize] as usize);
            }
        }
        starts.extend((chain.sentence_starts().iter()).map(|&state| states[state as usize]));
    }
    starts.sort_unstable();
    starts.dedup();
    SentenceMarks { ends, starts }
}

/// The sources' texts in order, each its own document and repeated as its
/// weight says, and their suffix array, when every source has a copy
/// index; `None` when one lacks it.
fn merge_copy_indexes(
    sources: &[MergeSource<'_>],
    word_ids: &[Vec<u32>],
    vocabulary_size: usize,
    sort: SuffixSort,
    spill: &SpillPolicy,
    watch: Watch,
) -> Result<Option<CopyIndex>, ChainError> {
    let Some(indexes) = (sources.iter())
        .map(|source| source.chain.copy_index())
        .collect::<Option<Vec<&CopyIndex>>>()
    else {
        return Ok(None);
    };
    let separator = vocabulary_size as u32;
    // A source of weight k is k copies of its text, as the chain counts
    // its transitions k times: merging with weight k is merging k copies,
    // guarded or not.
    let copies = |source: &MergeSource<'_>| source.weight.get() as usize;
    let length = (indexes.iter().zip(sources))
        .try_fold(0usize, |total, (index, source)| {
            (index.len() + 1)
                .checked_mul(copies(source))
                .and_then(|words| total.checked_add(words))
        })
        .map(|total| total - 1)
        .filter(|&length| length <= MAX_WORDS)
        .ok_or(ChainError::TooManyWords { max: MAX_WORDS })?;
    let mut text = JoinedText::for_length(length, spill)?;
    // Whether the text so far stops inside a document, which the next
    // source's text goes on with, as the pieces of one document do.
    let mut continued = false;
    for ((index, ids), source) in indexes.iter().zip(word_ids).zip(sources) {
        let mut first_copy = None;
        for copy in 0..copies(source) {
            // The first copy goes on from the text before when that
            // stopped inside its document.
            let goes_on = copy == 0 && continued;
            if !text.is_empty() && !goes_on {
                text.push(separator)?;
            }
            match first_copy.clone() {
                // A source's own separator is one past its words.
                None => {
                    let start = text.len();
                    let renumbered = |token: u32| ids.get(token as usize).copied();
                    text.extend_renumbered(
                        index.text(),
                        |token| renumbered(token).unwrap_or(separator),
                        watch,
                    )?;
                    first_copy = Some(start..text.len());
                }
                Some(renumbered) => text.repeat(renumbered, watch)?,
            }
            watch.check()?;
        }
        continued = index.continues();
    }
    watch.check()?;
    let index = text.into_index(separator + 1, sort, watch)?;
    Ok(Some(index.continuing(continued)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::build;

    #[test]
    fn merged_states_stay_in_the_order_of_their_words() {
        let a = build(b"b c a b c d a b", 2).unwrap();
        let b = build(b"a c d d b c a c", 2).unwrap();
        let merged = merge(
            &[MergeSource::once(&a), MergeSource::once(&b)],
            Watch::none(),
        )
        .unwrap();
        let states: Vec<Vec<u32>> = (0..merged.state_count())
            .map(|state| merged.state_words(state).collect())
            .collect();
        assert!(states.windows(2).all(|pair| pair[0] < pair[1]));
    }
}
