//! Generating words by walking the chain.

use crate::chain::Chain;
use crate::rng::Rng;

/// Where a walk through a chain stands, kept apart from the chain so that a
/// caller (the Python bindings) can hold both without a borrow.
///
/// The walk starts at a random state and emits its words; from then on each
/// step moves to a random follower of the current state and emits that
/// state's newest word. At a dead end (a state with no follower) it jumps to
/// a random state and emits all of its words, as at the start.
#[derive(Clone, Debug)]
pub(crate) struct Sampler {
    rng: Rng,
    state: u32,
    /// How many words of `state` are still to be emitted; `None` before the
    /// first step.
    pending: Option<usize>,
}

impl Sampler {
    /// A walk whose every step is determined by `seed` and the chain.
    pub(crate) fn new(seed: u64) -> Self {
        Sampler {
            rng: Rng::from_seed(seed),
            state: 0,
            pending: None,
        }
    }

    /// The id of the next word of the walk through `chain`.
    ///
    /// A sampler must always be used with the same chain.
    pub(crate) fn next_word(&mut self, chain: &Chain) -> u32 {
        let pending = match self.pending {
            Some(0) => {
                let followers = chain.followers(self.state);
                if followers.is_empty() {
                    self.jump(chain)
                } else {
                    let pick = self.rng.below(followers.len() as u64) as usize;
                    self.state = followers[pick];
                    1
                }
            }
            Some(pending) => pending,
            None => self.jump(chain),
        };
        self.pending = Some(pending - 1);
        chain.state_word(self.state, chain.order() - pending)
    }

    /// Moves to a random state; all of its words are to be emitted.
    fn jump(&mut self, chain: &Chain) -> usize {
        self.state = chain.random_state(&mut self.rng);
        chain.order()
    }
}

/// An endless iterator over the words of a walk through a chain.
#[derive(Clone, Debug)]
pub struct Walk<'chain> {
    chain: &'chain Chain,
    sampler: Sampler,
}

impl<'chain> Walk<'chain> {
    /// A walk through `chain` determined by `seed`.
    pub fn new(chain: &'chain Chain, seed: u64) -> Self {
        Walk {
            chain,
            sampler: Sampler::new(seed),
        }
    }
}

impl<'chain> Iterator for Walk<'chain> {
    type Item = &'chain [u8];

    fn next(&mut self) -> Option<&'chain [u8]> {
        let id = self.sampler.next_word(self.chain);
        Some(self.chain.vocabulary().word(id))
    }
}
