//! Each state's predecessors: the chain's transitions turned around, for
//! the passes that work back from where a walk must arrive.

use crate::chain::Chain;

/// For each state, the states it followed, each once, with how often.
#[derive(Clone, Debug)]
pub(crate) struct Predecessors {
    /// State `s`'s predecessors are at `offsets[s]..offsets[s + 1]`.
    offsets: Vec<u32>,
    states: Vec<u32>,
    counts: Vec<u32>,
}

impl Predecessors {
    /// The predecessors of every state of `chain`, in two passes over its
    /// transitions.
    pub(crate) fn of(chain: &Chain) -> Self {
        let state_count = chain.state_count() as usize;
        let mut offsets = vec![0u32; state_count + 1];
        for state in 0..chain.state_count() {
            for (next, _) in chain.followers(state) {
                offsets[next as usize + 1] += 1;
            }
        }
        for index in 1..offsets.len() {
            offsets[index] += offsets[index - 1];
        }
        let total = offsets[state_count] as usize;
        let mut states = vec![0u32; total];
        let mut counts = vec![0u32; total];
        let mut cursor = offsets.clone();
        for state in 0..chain.state_count() {
            for (next, count) in chain.followers(state) {
                let slot = &mut cursor[next as usize];
                states[*slot as usize] = state;
                counts[*slot as usize] = count;
                *slot += 1;
            }
        }
        Predecessors {
            offsets,
            states,
            counts,
        }
    }

    /// The states that `state` followed, with how often it followed each.
    pub(crate) fn of_state(&self, state: u32) -> impl Iterator<Item = (u32, u32)> + '_ {
        let range =
            self.offsets[state as usize] as usize..self.offsets[state as usize + 1] as usize;
        self.states[range.clone()]
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
