//! Each state's predecessors: the chain's transitions turned around, for
//! the passes that work back from where a walk must arrive.

use crate::chain::Chain;
use crate::rng::Rng;

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
    /// The running total of how often each predecessor was followed, over
    /// every state's predecessors in turn, at the same places as their
    /// states: a state's total is a difference, and a predecessor is drawn
    /// by a binary search, where a state of many (a common word's) cost a
    /// pass over all of them at every step back. The chain's own running
    /// totals are `u32`, and these add up the same counts.
    cumulative: Vec<u32>,
}

impl CountedPredecessors {
    /// The predecessors of every state of `chain`, counted.
    pub(crate) fn of(chain: &Chain) -> Self {
        let (predecessors, mut cumulative) = Predecessors::with_counts(chain, true);
        let mut total = 0u32;
        for count in &mut cumulative {
            total += *count;
            *count = total;
        }
        CountedPredecessors {
            predecessors,
            cumulative,
        }
    }

    /// The predecessors alone.
    pub(crate) fn uncounted(&self) -> &Predecessors {
        &self.predecessors
    }

    /// The running total before place `at`.
    fn total_before(&self, at: usize) -> u32 {
        at.checked_sub(1).map_or(0, |last| self.cumulative[last])
    }

    /// The states that `state` followed, with how often it followed each.
    pub(crate) fn of_state(&self, state: u32) -> impl Iterator<Item = (u32, u32)> + '_ {
        let range = self.predecessors.range(state);
        let before = self.total_before(range.start);
        let totals = &self.cumulative[range.clone()];
        let counts = std::iter::once(before)
            .chain(totals.iter().copied())
            .zip(totals)
            .map(|(before, &total)| total - before);
        self.predecessors.states[range].iter().copied().zip(counts)
    }

    /// How often `state` followed another state in all: how often it occurs
    /// in the text but as a document's first window.
    pub(crate) fn count_into(&self, state: u32) -> u64 {
        let range = self.predecessors.range(state);
        u64::from(self.total_before(range.end) - self.total_before(range.start))
    }

    /// A state that `state` followed, drawn in proportion to how often it
    /// followed each: the first whose running total passes a number drawn
    /// below the state's total, as a linear pass over
    /// [`CountedPredecessors::of_state`] finds it. `None` when it followed
    /// none.
    pub(crate) fn draw(&self, state: u32, rng: &mut Rng) -> Option<u32> {
        let range = self.predecessors.range(state);
        let before = self.total_before(range.start);
        let total = self.total_before(range.end) - before;
        if total == 0 {
            return None;
        }
        let drawn = before + rng.below(u64::from(total)) as u32;
        let at = self.cumulative[range.clone()].partition_point(|&running| running <= drawn);
        Some(self.predecessors.states[range.start + at])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::build;

    /// Catches counted predecessors that disagree with the transitions
    /// (a running total read from the wrong place: each count off by the
    /// state's predecessors before it), and a draw by binary search that
    /// picks other than the linear pass would with the same number (the
    /// predecessor after, or before, the one whose running total passes
    /// it): the walk back from a phrase would then go as the text did not,
    /// and seeds would no longer replay.
    #[test]
    fn a_draw_is_the_predecessor_a_pass_over_the_counts_finds() {
        let chain = build(b"a x b a y b a x b c x b a x c y b . b a", 1).unwrap();
        let counted = CountedPredecessors::of(&chain);
        for state in 0..chain.state_count() {
            let mut expected: Vec<(u32, u32)> = (0..chain.state_count())
                .flat_map(|before| {
                    (chain.followers(before))
                        .filter(move |&(next, _)| next == state)
                        .map(move |(_, count)| (before, count))
                })
                .collect();
            expected.sort_unstable();
            let found: Vec<(u32, u32)> = counted.of_state(state).collect();
            assert_eq!(found, expected, "state {state}");
            let total: u32 = expected.iter().map(|&(_, count)| count).sum();
            assert_eq!(counted.count_into(state), u64::from(total));
            for seed in 0..200 {
                let mut rng = Rng::from_seed(seed);
                let mut again = rng.clone();
                let drawn = counted.draw(state, &mut rng);
                let by_pass = (total > 0).then(|| {
                    let mut draw = again.below(u64::from(total)) as u32;
                    let (before, _) = *expected
                        .iter()
                        .find(|&&(_, count)| {
                            let taken = draw < count;
                            draw = draw.saturating_sub(count);
                            taken
                        })
                        .unwrap();
                    before
                });
                assert_eq!(drawn, by_pass, "state {state}, seed {seed}");
            }
        }
    }
}
