//! The Markov chain: which states follow which, as flat arrays of ids.

use rustc_hash::FxHashMap;

use crate::corpus::{Cancel, Corpus, PARALLEL_MIN_BYTES};
use crate::error::ChainError;
use crate::rng::Rng;
use crate::vocabulary::Vocabulary;
use crate::walk::Walk;

/// The highest order a chain may have. Above a handful of words a state is
/// almost always unique, so higher orders only replay the text.
pub const MAX_ORDER: usize = 100;

/// How many transitions are linked between two looks at the cancel flag.
const TRANSITIONS_BETWEEN_CANCEL_CHECKS: usize = 1 << 20;

/// How a chain is built: how many threads split the text, from what size,
/// and a flag that stops the build early.
#[derive(Clone, Copy, Debug)]
pub struct BuildOptions<'flag> {
    /// Threads used to split the text into words.
    pub threads: usize,
    /// Texts shorter than this many bytes are split on the calling thread
    /// alone. The default suits real use; tests and fuzzing set it to 0 to
    /// put small texts through the parallel path.
    pub parallel_min_bytes: usize,
    /// Stops the build with [`ChainError::Cancelled`] when raised.
    pub cancel: Cancel<'flag>,
}

impl Default for BuildOptions<'_> {
    fn default() -> Self {
        BuildOptions {
            threads: std::thread::available_parallelism().map_or(1, usize::from),
            parallel_min_bytes: PARALLEL_MIN_BYTES,
            cancel: Cancel::never(),
        }
    }
}

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
        if order == 0 {
            return Err(ChainError::OrderTooLow);
        }
        if order > MAX_ORDER {
            return Err(ChainError::OrderTooHigh { order });
        }
        let corpus = Corpus::from_text(text, options)?;
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
            Chain::link_words(corpus, options.cancel)
        } else {
            let (vocabulary, tokens) = corpus.into_parts();
            Chain::link_windows(vocabulary, tokens, order, options.cancel)
        }
    }

    /// Order 1: states are words, so the text's ids are the state sequence.
    fn link_words(corpus: Corpus, cancel: Cancel) -> Result<Chain, ChainError> {
        let word_count = corpus.word_count();
        let state_count = corpus.vocabulary.len() as u32;
        let segments: Vec<&[u32]> = corpus.segments.iter().map(Vec::as_slice).collect();
        let transitions = link(state_count, &segments, cancel)?;
        let last_state = corpus
            .segments
            .iter()
            .rev()
            .find_map(|segment| segment.last().copied())
            .unwrap_or(0);
        drop(corpus.segments);
        Ok(Chain::assemble(
            1,
            word_count,
            corpus.vocabulary,
            StateWords::SingleWord,
            state_count,
            transitions,
            last_state,
        ))
    }

    /// Higher orders: each window of `order` words is interned as a state.
    fn link_windows(
        vocabulary: Vocabulary,
        tokens: Vec<u32>,
        order: usize,
        cancel: Cancel,
    ) -> Result<Chain, ChainError> {
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
        let transitions = link(state_count, &[&state_sequence], cancel)?;
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
    pub fn random_state(&self, rng: &mut Rng) -> u32 {
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

    /// Bytes of memory the chain holds, for reports.
    pub fn heap_bytes(&self) -> usize {
        let states = match &self.states {
            StateWords::SingleWord => 0,
            StateWords::Window {
                tokens,
                first_position,
            } => (tokens.capacity() + first_position.capacity()) * 4,
        };
        self.vocabulary.heap_bytes()
            + states
            + (self.offsets.capacity() + self.followers.capacity()) * 4
    }
}

/// Calls `visit` with each consecutive pair of a sequence given in pieces,
/// in order, looking at the cancel flag every so often.
fn for_each_pair(
    pieces: &[&[u32]],
    cancel: Cancel,
    mut visit: impl FnMut(u32, u32),
) -> Result<(), ChainError> {
    let mut previous: Option<u32> = None;
    for piece in pieces {
        let Some((&first, _)) = piece.split_first() else {
            continue;
        };
        if let Some(last) = previous {
            visit(last, first);
        }
        for (index, pair) in piece.windows(2).enumerate() {
            if index % TRANSITIONS_BETWEEN_CANCEL_CHECKS == 0 {
                cancel.check()?;
            }
            visit(pair[0], pair[1]);
        }
        previous = piece.last().copied();
    }
    Ok(())
}

/// Builds the transition table from the sequence of states the text passes
/// through (given in pieces): for each consecutive pair, the second follows
/// the first. Two passes (count, then fill) put every state's followers side
/// by side in one flat vector, in the order they appear in the text.
fn link(
    state_count: u32,
    sequence: &[&[u32]],
    cancel: Cancel,
) -> Result<(Vec<u32>, Vec<u32>), ChainError> {
    let states = state_count as usize;
    let mut offsets = vec![0u32; states + 1];
    for_each_pair(sequence, cancel, |state, _| {
        offsets[state as usize + 1] += 1
    })?;
    for state in 0..states {
        offsets[state + 1] += offsets[state];
    }
    let mut next_slot: Vec<u32> = offsets[..states].to_vec();
    let mut followers = vec![0u32; offsets[states] as usize];
    for_each_pair(sequence, cancel, |state, next| {
        let slot = &mut next_slot[state as usize];
        followers[*slot as usize] = next;
        *slot += 1;
    })?;
    Ok((offsets, followers))
}
