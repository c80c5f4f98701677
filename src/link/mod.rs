//! The second stage of a build: from the text's word ids to the chain's
//! transition table.
//!
//! Linking takes the sequence of states the text passes through, and finds
//! for each state the states that follow it, each once, with how often.
//! At order 1 the states are the words. A state of order `r + 1` is a state
//! of order `r` and the one after it, which overlap in `r - 1` words: it is
//! one distinct transition of the order-`r` chain. So higher orders are
//! built in rounds of the same parallel link and fold, each numbering the
//! transitions of one order as the states of the next, with no hash table
//! of word windows.

mod fold;
mod packed_in_place;
mod shares;

use crate::build_options::BuildOptions;
use crate::chain::{words_by_rule, Chain, SentenceEndStates, Transitions};
use crate::corpus::Corpus;
use crate::error::ChainError;
use crate::parallel::{on_threads, renumber_in_parallel};
use crate::sentence::SentenceMarks;
use crate::state_words::{LinkedStates, StateWords};
use fold::{fold_counted, fold_numbered, split_at_ends, Numbered};
use packed_in_place::PackedInPlace;
use shares::{
    count_pairs, counts_from_occurrences, link, read_shares, share_cuts, write_shares, Linked,
};

/// How much progress linking a text of `token_count` words into a chain of
/// `order` reports in all: each pass over the transitions counts them once.
pub(crate) fn linking_work(token_count: usize, order: usize) -> u64 {
    // Order 1 links and folds, with the corpus's own counts; every later
    // round counts, links and folds.
    let passes = 3 * order - 1;
    token_count.saturating_sub(order) as u64 * passes as u64
}

/// Links a corpus of at least `order` words into the chain of `order`.
pub(crate) fn link_corpus(
    corpus: Corpus,
    order: usize,
    options: BuildOptions,
) -> Result<Chain, ChainError> {
    // Carried tokens were counted with the piece before.
    let token_count = corpus.token_count() - corpus.carried;
    let Corpus {
        tokens,
        vocabulary,
        parts,
        counts,
        carried,
        ends_document,
    } = corpus;
    // The first window's words, for a state that may follow no other.
    let first_window: Vec<u32> = parts.iter().flatten().take(order).copied().collect();
    let mut states = StateSequence {
        parts,
        count: vocabulary.len() as u32,
        last: Vec::new(),
        sentence_end_states: SentenceEndStates::default(),
        order: 1,
        spare: Vec::new(),
    };
    // The corpus counted each word in each of its parts while interning
    // them, so the first round needs no counting pass.
    let mut counted = Some(counts);
    // At order 1 a state is its word.
    let by_rule = words_by_rule(&vocabulary, tokens, options.threads)?;
    states.sentence_end_states.ranges = (0u32..)
        .zip(by_rule.ending)
        .filter(|&(_, ends)| ends)
        .map(|(word, _)| (word, word..word + 1))
        .collect();
    while states.order < order {
        states = states.next_order(counted.take(), options)?;
    }
    let first_state = states.parts.iter().find_map(|part| part.first().copied());
    let last_state = states
        .parts
        .iter()
        .rev()
        .find_map(|part| part.last().copied());
    let sentence_end_states = std::mem::take(&mut states.sentence_end_states);
    // The states' last words wait for the transitions, packed: the last
    // round's link is the peak of a build past order 1, and they are not
    // read there (19 bits a word for WordNet, where 32 made its order-3
    // build's peak 2.00x the text).
    let packed_last_words = PackedInPlace::new(std::mem::take(&mut states.last));
    let transitions = states.transitions(counted.take(), options)?;
    let last_words = packed_last_words.into_values();
    let state_words = if order == 1 {
        StateWords::SingleWord
    } else {
        // The text has a window, since it has `order` words.
        let roots = [(first_state.unwrap_or(0), first_window.as_slice())];
        match LinkedStates::new(
            order,
            last_words,
            transitions.follower_lists(),
            &roots,
            options.threads,
        ) {
            Ok(states) => StateWords::Linked(states),
            // Every window but the first follows the one before it.
            Err(_) => unreachable!("a text's windows all follow one another"),
        }
    };
    let chain = Chain::with_sentence_marks(
        tokens,
        order,
        token_count,
        vocabulary,
        state_words,
        transitions,
        SentenceMarks::default(),
    );
    let first_and_last_state = (
        first_state.filter(|_| carried == 0),
        last_state.filter(|_| ends_document),
    );
    chain.with_sentences_found(
        first_and_last_state,
        &sentence_end_states,
        &by_rule.lower_case,
        options.threads,
    )
}

/// The sequence of states a text passes through, at some order.
struct StateSequence {
    /// The states in text order, in consecutive pieces (one per thread that
    /// made them), so that no piece is copied to join them.
    parts: Vec<Vec<u32>>,
    /// How many distinct states there are; ids are below it.
    count: u32,
    /// Each state's last word (empty at order 1, where a state is its
    /// word).
    last: Vec<u32>,
    /// The states whose first word ends a sentence, for finding sentence
    /// marks without each state's first word.
    sentence_end_states: SentenceEndStates,
    order: usize,
    /// A vector as long as the sequence that the round before is done
    /// with, for this round's linked table (empty in the first round): an
    /// array as long as the text costs as much to fault in fresh as to
    /// fill, and the two are never needed at once.
    spare: Vec<u32>,
}

impl StateSequence {
    /// The sequence of the next order's states: each consecutive pair of
    /// this sequence, numbered by its distinct transition.
    fn next_order(
        self,
        counts: Option<Vec<Vec<u32>>>,
        options: BuildOptions,
    ) -> Result<StateSequence, ChainError> {
        let StateSequence {
            mut parts,
            count,
            last,
            mut sentence_end_states,
            order,
            spare,
        } = self;
        // Each pair writes its slot over its second state: the sequence
        // becomes the pairs' slots.
        let (linked, threads) =
            link_in_shares(&mut parts, count, counts, spare, options, |place, slot| {
                *place = slot
            })?;
        let Numbered {
            followers,
            numbers,
            offsets,
        } = fold_numbered(linked, threads, options.watch)?;
        // A pair is numbered after the pairs of the states before its
        // first, so the pairs of a range of states, the next order's
        // states, are a range too, from the first state's offset.
        for (_, states) in &mut sentence_end_states.ranges {
            *states = offsets[states.start as usize]..offsets[states.end as usize];
        }
        // As long as this order's states: freed before the round's peak.
        drop(offsets);
        // The sequence's first state starts no pair, so it holds no slot;
        // every other position holds the slot of the pair it ends, which
        // becomes that transition's number.
        if let Some(first_part) = parts.iter_mut().find(|part| !part.is_empty()) {
            first_part.remove(0);
        }
        renumber_in_parallel(parts.iter_mut().map(Vec::as_mut_slice), &numbers, threads)?;
        let last = pair_last_words(followers, &last, order)?;
        Ok(StateSequence {
            count: last.len() as u32,
            last,
            sentence_end_states,
            parts,
            order: order + 1,
            // The next round links one pair fewer than this one did.
            spare: numbers,
        })
    }

    /// The sequence's transitions, with how often each followed: the
    /// chain's, at its order.
    fn transitions(
        self,
        counts: Option<Vec<Vec<u32>>>,
        options: BuildOptions,
    ) -> Result<Transitions, ChainError> {
        let StateSequence {
            mut parts,
            count,
            spare,
            ..
        } = self;
        let (linked, threads) =
            link_in_shares(&mut parts, count, counts, spare, options, |_, _| {})?;
        drop(parts);
        fold_counted(linked, threads, options.watch)
    }
}

/// Links a sequence of `count` distinct states in shares, one per thread
/// (or per part): the linked table, and how many shares there were.
/// `counts`, when the caller has them, say how many times each state occurs
/// in each part, and save a counting pass. `spare`, a vector no longer
/// needed, becomes the linked table. `at_place` is called as [`link`]
/// says.
fn link_in_shares(
    parts: &mut [Vec<u32>],
    count: u32,
    counts: Option<Vec<Vec<u32>>>,
    spare: Vec<u32>,
    options: BuildOptions,
    at_place: impl Fn(&mut u32, u32) + Sync,
) -> Result<(Linked, usize), ChainError> {
    // Counts taken per part need one share per part.
    let cuts = share_cuts(parts, options, counts.is_none(), count);
    let shares = read_shares(parts, &cuts);
    let pair_counts = match counts {
        Some(counts) => counts_from_occurrences(&shares, counts),
        None => count_pairs(count, &shares, options.watch)?,
    };
    let linked = link(
        count,
        write_shares(parts, &cuts),
        pair_counts,
        spare,
        at_place,
        options.watch,
    )?;
    Ok((linked, cuts.len()))
}

/// The last word of each distinct pair of an order-`order` chain as a
/// state of the next order: its second state's. `followers` are the
/// distinct pairs' second states, in pieces (one per thread that folded
/// them); `last` holds each state's last word (nothing at order 1, where a
/// state is its word). Past order 1 each piece is looked up on a thread of
/// its own: a read at random in `last` for every pair, about 8 ms of the
/// round to order 3 on WordNet on one thread.
fn pair_last_words(
    followers: Vec<Vec<u32>>,
    last: &[u32],
    order: usize,
) -> Result<Vec<u32>, ChainError> {
    let count = followers.iter().map(Vec::len).sum();
    if order == 1 {
        let mut pair_last = Vec::with_capacity(count);
        // Each piece freed once copied.
        for piece in followers {
            pair_last.extend_from_slice(&piece);
        }
        return Ok(pair_last);
    }
    let mut pair_last = vec![0u32; count];
    let ends: Vec<usize> = (followers.iter())
        .scan(0, |end, piece| {
            *end += piece.len();
            Some(*end)
        })
        .collect();
    let shares = split_at_ends(&mut pair_last, &ends);
    on_threads(
        shares.into_iter().zip(&followers).collect(),
        |(share, piece)| {
            for (pair, &follower) in share.iter_mut().zip(piece) {
                *pair = last[follower as usize];
            }
            Ok(())
        },
    )?;
    Ok(pair_last)
}
