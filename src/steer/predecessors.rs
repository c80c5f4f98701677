//! Each state's predecessors: the chain's transitions turned around, for
//! the passes that work back from where a walk must arrive.

use crate::chain::Chain;

/// For each state, the states it followed, each once, in id order.
#[derive(Clone, Debug)]
pub(crate) struct Predecessors {
    /// State `s`'s predecessors are at `offsets[s]..offsets[s + 1]`.
    offsets: Vec<u32>,
    states: Vec<u32>,
}

impl Predecessors {
    /// The predecessors of every state of `chain`, in two passes over its
    /// transitions.
    pub(crate) fn of(chain: &Chain) -> Self {
        Self::with_counts(chain, false).0
    }

    /// The predecessors, and when `counted` how often each was followed
    /// (at the same places; empty otherwise).
    fn with_counts(chain: &Chain, counted: bool) -> (Self, Vec<u32>) {
        let state_count = chain.state_count() as usize;
        let mut offsets = vec![0u32; state_count + 1];
        for state in 0..chain.state_count() {
            for index in chain.follower_range(state) {
                offsets[chain.follower_at(index) as usize + 1] += 1;
            }
        }
        for index in 1..offsets.len() {
            offsets[index] += offsets[index - 1];
        }
        let total = offsets[state_count] as usize;
        let mut states = vec![0u32; total];
        let mut counts = vec![0u32; if counted { total } else { 0 }];
        let mut cursor = offsets.clone();
        let mut place = |next: u32| {
            let slot = &mut cursor[next as usize];
            *slot += 1;
            *slot as usize - 1
        };
        for state in 0..chain.state_count() {
            if counted {
                for (next, count) in chain.followers(state) {
                    let at = place(next);
                    states[at] = state;
                    counts[at] = count;
                }
            } else {
                for index in chain.follower_range(state) {
                    states[place(chain.follower_at(index))] = state;
                }
            }
        }
        (Predecessors { offsets, states }, counts)
    }

    /// Where the predecessors of `state` are.
    fn range(&self, state: u32) -> std::ops::Range<usize> {
        self.offsets[state as usize] as usize..self.offsets[state as usize + 1] as usize
    }

    /// The states that `state` followed, in id order.
    pub(crate) fn of_state(&self, state: u32) -> &[u32] {
        &self.states[self.range(state)]
    }
}

/// Each state's predecessors with how often each was followed: for the
/// walks back from a phrase, which go as the text went. The backward pass
/// needs no counts and is spared writing them for every transition.
#[derive(Clone, Debug)]
pub(crate) struct CountedPredecessors {
    predecessors: Predecessors,
    /// At the same places as the predecessors' states.
    counts: Vec<u32>,
}

impl CountedPredecessors {
    /// The predecessors of every state of `chain`, counted.
    pub(crate) fn of(chain: &Chain) -> Self {
        let (predecessors, counts) = Predecessors::with_counts(chain, true);
        CountedPredecessors {
            predecessors,
            counts,
        }
    }

    /// The predecessors alone.
    pub(crate) fn uncounted(&self) -> &Predecessors {
        &self.predecessors
    }

    /// The states that `state` followed, with how often it followed each.
    pub(crate) fn of_state(&self, state: u32) -> impl Iterator<Item = (u32, u32)> + '_ {
        let range = self.predecessors.range(state);
        self.predecessors.states[range.clone()]
            .iter()
            .copied()
            .zip(self.counts[range].iter().copied())
    }

    /// How often `state` followed another state in all: how often it occurs
    /// in the text but as a document's first window.
    pub(crate) fn count_into(&self, state: u32) -> u64 {
        self.of_state(state)
            .map(|(_, count)| u64::from(count))
            .sum()
    }
}
