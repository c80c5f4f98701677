//! Generating words by walking the chain.

use crate::chain::Chain;
use crate::rng::Rng;

/// Where a walk through a chain stands, kept apart from the chain so that a
/// caller (the Python bindings) can hold both without a borrow.
///
/// A walk starts at a random state and emits its words, or continues given
/// words (see [`Chain::walk_after`]); from then on each step moves to a
/// follower of the current state, drawn in proportion to how often it
/// followed, and emits that state's newest word. At a dead end (a state
/// with no follower) it jumps to a random state and emits all of its words,
/// as at a random start.
#[derive(Clone, Debug)]
pub(crate) struct Sampler {
    rng: Rng,
    state: u32,
    /// How many words of `state` are still to be emitted; `None` before a
    /// random start.
    pending: Option<usize>,
    /// Whether random starts and restarts are at sentence starts.
    in_sentences: bool,
}

impl Sampler {
    /// A walk from a random start, its every step determined by `seed` and
    /// the chain.
    pub(crate) fn new(seed: u64) -> Self {
        Sampler {
            rng: Rng::from_seed(seed),
            state: 0,
            pending: None,
            in_sentences: false,
        }
    }

    /// From now on, a random start or a restart after a dead end is at a
    /// state that starts a sentence of the text.
    pub(crate) fn start_sentences(&mut self) {
        self.in_sentences = true;
    }

    /// A walk that continues `words`, and how many of the last of them it
    /// continues: all of the last `order` when the chain has them as a
    /// state, fewer when only a shorter run of the last words begins some
    /// state, none (a random start) when not even the last word does.
    pub(crate) fn after(chain: &Chain, seed: u64, words: &[&[u8]]) -> (Self, usize) {
        let mut sampler = Sampler::new(seed);
        let (matched, candidates) = chain.continuations(words);
        if matched > 0 {
            let pick = match candidates.len() {
                1 => 0,
                count => sampler.rng.below(count as u64) as usize,
            };
            sampler.state = candidates[pick];
            sampler.pending = Some(chain.order() - matched);
        }
        (sampler, matched)
    }

    /// The id of the next word of the walk through `chain`.
    ///
    /// A sampler must always be used with the same chain.
    pub(crate) fn next_word(&mut self, chain: &Chain) -> u32 {
        let pending = match self.pending {
            Some(0) => match chain.next_state(self.state, &mut self.rng) {
                Some(next) => {
                    self.state = next;
                    1
                }
                None => self.jump(chain),
            },
            Some(pending) => pending,
            None => self.jump(chain),
        };
        self.pending = Some(pending - 1);
        chain.state_word(self.state, chain.order() - pending)
    }

    /// Moves to a random state (one that starts a sentence, in sentence
    /// mode); all of its words are to be emitted.
    fn jump(&mut self, chain: &Chain) -> usize {
        self.state = if self.in_sentences {
            chain.random_sentence_start(&mut self.rng)
        } else {
            chain.random_state(&mut self.rng)
        };
        chain.order()
    }
}

/// An endless iterator over the words of a walk through a chain.
#[derive(Clone, Debug)]
pub struct Walk<'chain> {
    chain: &'chain Chain,
    sampler: Sampler,
    continued: usize,
}

impl<'chain> Walk<'chain> {
    /// A walk through `chain` from a random start, determined by `seed`.
    pub fn new(chain: &'chain Chain, seed: u64) -> Self {
        Walk {
            chain,
            sampler: Sampler::new(seed),
            continued: 0,
        }
    }

    /// A walk through `chain` that continues `words`; see
    /// [`Chain::walk_after`].
    pub fn after(chain: &'chain Chain, seed: u64, words: &[&[u8]]) -> Self {
        let (sampler, continued) = Sampler::after(chain, seed, words);
        Walk {
            chain,
            sampler,
            continued,
        }
    }

    /// How many of the last given words the walk continues: 0 when it
    /// started at random.
    pub fn continued_words(&self) -> usize {
        self.continued
    }

    /// The walk in whole sentences: it starts at the start of a sentence of
    /// the text (unless it continues given words), restarts at one after a
    /// dead end, and ends right after the word that ends its `count`th
    /// sentence. A text with no sentence end gives words forever: bound it
    /// with `take`.
    pub fn sentences(mut self, count: usize) -> Sentences<'chain> {
        self.sampler.start_sentences();
        Sentences {
            walk: self,
            count: SentenceCount::new(count as u64),
        }
    }
}

/// How many sentences a walk is to write, and has written.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SentenceCount {
    wanted: u64,
    written: u64,
}

impl SentenceCount {
    /// A walk of `wanted` sentences, none written yet.
    pub(crate) fn new(wanted: u64) -> Self {
        SentenceCount { wanted, written: 0 }
    }

    /// Counts word `id`, just written; whether it ended the last sentence.
    pub(crate) fn wrote(&mut self, chain: &Chain, id: u32) -> bool {
        if chain.ends_sentence(id) {
            self.written += 1;
        }
        self.is_done()
    }

    /// Whether every sentence wanted has been written.
    pub(crate) fn is_done(self) -> bool {
        self.written >= self.wanted
    }

    /// How many sentences have been written.
    pub(crate) fn written(self) -> u64 {
        self.written
    }
}

/// A walk that ends after a number of sentences; see [`Walk::sentences`].
#[derive(Clone, Debug)]
pub struct Sentences<'chain> {
    walk: Walk<'chain>,
    count: SentenceCount,
}

impl Sentences<'_> {
    /// How many sentences the walk has ended so far: fewer than asked for
    /// when it was cut short (with `take`, say).
    pub fn written(&self) -> u64 {
        self.count.written()
    }
}

impl<'chain> Iterator for Sentences<'chain> {
    type Item = &'chain [u8];

    fn next(&mut self) -> Option<&'chain [u8]> {
        if self.count.is_done() {
            return None;
        }
        let chain = self.walk.chain;
        let id = self.walk.sampler.next_word(chain);
        self.count.wrote(chain, id);
        Some(chain.vocabulary().word(id))
    }
}

impl<'chain> Iterator for Walk<'chain> {
    type Item = &'chain [u8];

    fn next(&mut self) -> Option<&'chain [u8]> {
        let id = self.sampler.next_word(self.chain);
        Some(self.chain.vocabulary().word(id))
    }
}
