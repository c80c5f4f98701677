//! The Markov chain: which states follow which, as flat arrays of ids.

use std::sync::atomic::{AtomicU32, Ordering as AtomicOrdering};

use rustc_hash::FxHashMap;

use crate::build_options::{BuildOptions, Cancel};
use crate::corpus::Corpus;
use crate::error::ChainError;
use crate::parallel::on_threads;
use crate::rng::Rng;
use crate::vocabulary::Vocabulary;
use crate::walk::Walk;

/// The highest order a chain may have. Above a handful of words a state is
/// almost always unique, so higher orders only replay the text.
pub const MAX_ORDER: usize = 100;

/// How many transitions are linked between two looks at the cancel flag.
const TRANSITIONS_BETWEEN_CANCEL_CHECKS: usize = 1 << 20;

/// Where the words of each state are found.
#[derive(Debug)]
enum StateWords {
    /// Order 1: a state is a single word, and its id is the word's id.
    SingleWord,
    /// Higher orders: state `s` is the `order` words of `tokens` that start
    /// at `first_position[s]`.
    Window {
        tokens: Vec<u32>,
        first_position: Vec<u32>,
    },
}

/// A word-level Markov chain of a given order.
///
/// A state is `order` consecutive words of the training text. Every position
/// of the text where a state is followed by another word adds one transition
/// from that state to the next state (the window moved on by one word), so a
/// follower seen twice is twice as likely. States and words are `u32` ids;
/// the transitions of state `s` are `followers[offsets[s]..offsets[s + 1]]`.
#[derive(Debug)]
pub struct Chain {
    order: usize,
    word_count: usize,
    vocabulary: Vocabulary,
    states: StateWords,
    state_count: u32,
    offsets: Vec<u32>,
    followers: Vec<u32>,
    /// The one state that can lack followers: the last window of the text,
    /// when it appears nowhere else.
    dead_end: Option<u32>,
}

impl Chain {
    /// Builds the chain of `order` from `text`, using every core.
    ///
    /// `text` is UTF-8, or UTF-8 with lone surrogates encoded as Python's
    /// `"surrogatepass"` error handler does. Words are split as Python's
    /// `str.split()` splits them.
    pub fn build(text: &[u8], order: usize) -> Result<Chain, ChainError> {
        Chain::build_with(text, order, BuildOptions::default())
    }

    /// Builds the chain of `order` from `text` as `options` say.
    pub fn build_with(
        text: &[u8],
        order: usize,
        options: BuildOptions,
    ) -> Result<Chain, ChainError> {
        Chain::check_order(order)?;
        let corpus = Corpus::from_text(text, options)?;
        Chain::from_corpus(corpus, order, options)
    }

    /// Fails unless `order` is from 1 to [`MAX_ORDER`]: worth asking before
    /// splitting a large text only to find the order was wrong.
    pub fn check_order(order: usize) -> Result<(), ChainError> {
        match order {
            0 => Err(ChainError::OrderTooLow),
            _ if order > MAX_ORDER => Err(ChainError::OrderTooHigh { order }),
            _ => Ok(()),
        }
    }

    /// Builds the chain of `order` from a text already split into words.
    ///
    /// The corpus owns its words, so the text may be freed before this
    /// second step; the Python bindings do so to drop their temporary UTF-8
    /// copy before the transition table takes its memory.
    pub fn from_corpus(
        corpus: Corpus,
        order: usize,
        options: BuildOptions,
    ) -> Result<Chain, ChainError> {
        Chain::check_order(order)?;
        let word_count = corpus.word_count();
        if word_count == 0 {
            return Err(ChainError::NoWords);
        }
        if word_count < order {
            return Err(ChainError::TooFewWords {
                order,
                words: word_count,
            });
        }
        if order == 1 {
            Chain::link_words(corpus, options)
        } else {
            let (vocabulary, tokens) = corpus.into_parts();
            Chain::link_windows(vocabulary, tokens, order, options)
        }
    }

    /// Order 1: states are words, so the text's ids are the state sequence,
    /// already in one piece per thread that split it, and the corpus has
    /// counted how often each state occurs in each piece.
    fn link_words(corpus: Corpus, options: BuildOptions) -> Result<Chain, ChainError> {
        let word_count = corpus.word_count();
        let state_count = corpus.vocabulary.len() as u32;
        let Corpus {
            vocabulary,
            segments,
            counts,
        } = corpus;
        // One share per segment. A share's pairs start at each of its words
        // but the last, and at the word before it.
        let mut shares = Vec::with_capacity(segments.len());
        let mut pair_counts = Vec::with_capacity(segments.len());
        let mut before = None;
        for (run, mut counts) in segments.iter().zip(counts) {
            let Some(&last) = run.last() else {
                continue;
            };
            counts[last as usize] -= 1;
            if let Some(before) = before {
                counts[before as usize] += 1;
            }
            shares.push(LinkShare { before, run });
            pair_counts.push(counts);
            before = Some(last);
        }
        let transitions = link(state_count, shares, pair_counts, options.cancel)?;
        drop(segments);
        Ok(Chain::assemble(
            1,
            word_count,
            vocabulary,
            StateWords::SingleWord,
            state_count,
            transitions,
            before.unwrap_or(0),
        ))
    }

    /// Higher orders: each window of `order` words is interned as a state.
    fn link_windows(
        vocabulary: Vocabulary,
        tokens: Vec<u32>,
        order: usize,
        options: BuildOptions,
    ) -> Result<Chain, ChainError> {
        let cancel = options.cancel;
        let word_count = tokens.len();
        let mut state_ids: FxHashMap<&[u32], u32> = FxHashMap::default();
        let mut first_position = Vec::new();
        let mut state_sequence = Vec::with_capacity(word_count - order + 1);
        for (position, window) in tokens.windows(order).enumerate() {
            if position % TRANSITIONS_BETWEEN_CANCEL_CHECKS == 0 {
                cancel.check()?;
            }
            let state = *state_ids.entry(window).or_insert_with(|| {
                first_position.push(position as u32);
                (first_position.len() - 1) as u32
            });
            state_sequence.push(state);
        }
        drop(state_ids);
        let state_count = first_position.len() as u32;
        let shares = link_shares(&state_sequence, link_threads(&state_sequence, options));
        let pair_counts = count_pairs(state_count, &shares, cancel)?;
        let transitions = link(state_count, shares, pair_counts, cancel)?;
        let last_state = state_sequence.last().copied().unwrap_or(0);
        drop(state_sequence);
        first_position.shrink_to_fit();
        Ok(Chain::assemble(
            order,
            word_count,
            vocabulary,
            StateWords::Window {
                tokens,
                first_position,
            },
            state_count,
            transitions,
            last_state,
        ))
    }

    fn assemble(
        order: usize,
        word_count: usize,
        vocabulary: Vocabulary,
        states: StateWords,
        state_count: u32,
        (offsets, followers): (Vec<u32>, Vec<u32>),
        last_state: u32,
    ) -> Chain {
        let mut chain = Chain {
            order,
            word_count,
            vocabulary,
            states,
            state_count,
            offsets,
            followers,
            dead_end: None,
        };
        if chain.followers(last_state).is_empty() {
            chain.dead_end = Some(last_state);
        }
        chain
    }

    /// How many words of context a state holds.
    pub fn order(&self) -> usize {
        self.order
    }

    /// How many words the training text had.
    pub fn word_count(&self) -> usize {
        self.word_count
    }

    /// The distinct words of the training text.
    pub fn vocabulary(&self) -> &Vocabulary {
        &self.vocabulary
    }

    /// How many distinct states (windows of `order` words) the text has.
    pub fn state_count(&self) -> u32 {
        self.state_count
    }

    /// How many transitions the chain holds: one per word that follows a
    /// full window, `word_count - order` in all.
    pub fn transition_count(&self) -> usize {
        self.followers.len()
    }

    /// The states that can follow `state`, with repetition: a state that
    /// followed twice in the text is listed twice.
    pub fn followers(&self, state: u32) -> &[u32] {
        let state = state as usize;
        &self.followers[self.offsets[state] as usize..self.offsets[state + 1] as usize]
    }

    /// The id of word `index` (from 0 to `order - 1`) of `state`.
    pub fn state_word(&self, state: u32, index: usize) -> u32 {
        match &self.states {
            StateWords::SingleWord => state,
            StateWords::Window {
                tokens,
                first_position,
            } => tokens[first_position[state as usize] as usize + index],
        }
    }

    /// The word ids of `state`, oldest first.
    pub fn state_words(&self, state: u32) -> impl Iterator<Item = u32> + '_ {
        (0..self.order).map(move |index| self.state_word(state, index))
    }

    /// The word a walk emits when it moves into `state`: its newest word.
    pub fn last_word(&self, state: u32) -> u32 {
        self.state_word(state, self.order - 1)
    }

    /// A state chosen uniformly among those that have followers, or the only
    /// state when none has.
    pub(crate) fn random_state(&self, rng: &mut Rng) -> u32 {
        let count = u64::from(self.state_count);
        match self.dead_end {
            Some(_) if count == 1 => 0,
            Some(dead_end) => {
                let state = rng.below(count - 1) as u32;
                if state >= dead_end {
                    state + 1
                } else {
                    state
                }
            }
            None => rng.below(count) as u32,
        }
    }

    /// Generates words from `seed`, forever.
    pub fn walk(&self, seed: u64) -> Walk<'_> {
        Walk::new(self, seed)
    }
}

/// One thread's share of the linking: a run of the state sequence, and the
/// state just before it (whose pair with the run's first state it owns).
#[derive(Clone, Copy)]
struct LinkShare<'seq> {
    before: Option<u32>,
    run: &'seq [u32],
}

impl LinkShare<'_> {
    /// Calls `visit` with each consecutive pair of the share, in order,
    /// looking at the cancel flag every so often.
    fn for_each_pair(
        self,
        cancel: Cancel,
        mut visit: impl FnMut(u32, u32),
    ) -> Result<(), ChainError> {
        if let (Some(before), Some(&first)) = (self.before, self.run.first()) {
            visit(before, first);
        }
        for (index, pair) in self.run.windows(2).enumerate() {
            if index % TRANSITIONS_BETWEEN_CANCEL_CHECKS == 0 {
                cancel.check()?;
            }
            visit(pair[0], pair[1]);
        }
        Ok(())
    }
}

/// How many threads should link `sequence`: one unless it is long enough
/// for threads to pay.
fn link_threads(sequence: &[u32], options: BuildOptions) -> usize {
    // Ids are four bytes each.
    if sequence.len().saturating_mul(4) >= options.parallel_min_bytes {
        options.threads.max(1)
    } else {
        1
    }
}

/// Cuts `sequence` into `shares` runs of about equal length, in order.
fn link_shares(sequence: &[u32], shares: usize) -> Vec<LinkShare<'_>> {
    let size = sequence.len().div_ceil(shares.max(1)).max(1);
    let mut before = None;
    sequence
        .chunks(size)
        .map(|run| {
            let share = LinkShare { before, run };
            before = run.last().copied();
            share
        })
        .collect()
}

/// For each share, how many of its pairs start at each state: one thread
/// per share.
fn count_pairs(
    state_count: u32,
    shares: &[LinkShare<'_>],
    cancel: Cancel,
) -> Result<Vec<Vec<u32>>, ChainError> {
    on_threads(shares.to_vec(), |share| {
        let mut counts = vec![0u32; state_count as usize];
        share.for_each_pair(cancel, |state, _| counts[state as usize] += 1)?;
        Ok(counts)
    })
}

/// Builds the transition table from the sequence of states the text passes
/// through, cut into shares: for each consecutive pair, the second follows
/// the first. `pair_counts[k][s]` is how many pairs of share `k` start at
/// state `s`; from those, every state's followers get their place side by
/// side in one flat vector, in the order they appear in the text.
///
/// Each share is filled on a thread of its own. The counts give every share
/// its own slots in each state's followers, after those of the shares before
/// it, so the threads fill disjoint slots and the result is the serial one.
fn link(
    state_count: u32,
    shares: Vec<LinkShare<'_>>,
    mut pair_counts: Vec<Vec<u32>>,
    cancel: Cancel,
) -> Result<(Vec<u32>, Vec<u32>), ChainError> {
    let states = state_count as usize;
    // Turn each share's counts into the first slot it fills for each state.
    let mut offsets = Vec::with_capacity(states + 1);
    let mut next = 0u32;
    for state in 0..states {
        offsets.push(next);
        for share_slots in &mut pair_counts {
            let count = share_slots[state];
            share_slots[state] = next;
            next += count;
        }
    }
    offsets.push(next);

    // Relaxed atomics compile to plain stores; they only let the threads
    // write their disjoint slots of one vector without unsafe code.
    let followers: Vec<AtomicU32> = (0..next).map(|_| AtomicU32::new(0)).collect();
    on_threads(
        shares.into_iter().zip(pair_counts).collect(),
        |(share, mut slots)| {
            share.for_each_pair(cancel, |state, next| {
                let slot = &mut slots[state as usize];
                followers[*slot as usize].store(next, AtomicOrdering::Relaxed);
                *slot += 1;
            })
        },
    )?;
    // Same size and alignment: this reuses the allocation.
    let followers = followers.into_iter().map(AtomicU32::into_inner).collect();
    Ok((offsets, followers))
}
