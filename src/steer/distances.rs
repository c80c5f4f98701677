//! The backward pass: from every state and step of the automaton, the
//! least a walk must still spend to reach its goal.

use super::predecessors::Predecessors;
use super::{Automaton, Costs};
use crate::chain::Chain;

/// Where no goal can be reached within the bound.
pub(crate) const UNREACHABLE: u32 = u32::MAX;

/// For each state `s` of the chain and automaton step `q`, the least cost
/// of the steps from there to a step that reaches the goal (that step
/// included), or [`UNREACHABLE`] when it is above the bound.
#[derive(Clone, Debug)]
pub(crate) struct Distances {
    steps: usize,
    values: Vec<u32>,
}

impl Distances {
    /// The distances for `automaton` over `chain`, exact up to `bound`
    /// (above it, [`UNREACHABLE`]):
    /// Dial's algorithm (Dijkstra with a bucket per cost, in a ring as long
    /// as the dearest step), run backwards from the steps that reach the
    /// goal. Nothing costlier than `bound` is kept, so a tight budget makes
    /// a short pass.
    pub(crate) fn new(
        chain: &Chain,
        predecessors: &Predecessors,
        automaton: &Automaton,
        costs: &Costs,
        bound: u64,
    ) -> Self {
        let steps = automaton.steps();
        let bound = bound.min(u64::from(UNREACHABLE - 1)) as u32;
        let mut values = vec![UNREACHABLE; chain.state_count() as usize * steps];
        let ring_len = costs.dearest().min(u64::from(bound)) as usize + 1;
        let mut ring: Vec<Vec<(u32, u32)>> = vec![Vec::new(); ring_len];
        let mut queued = 0usize;
        let settle = |values: &mut Vec<u32>,
                      ring: &mut Vec<Vec<(u32, u32)>>,
                      state: u32,
                      step: usize,
                      cost: u32| {
            let slot = &mut values[state as usize * steps + step];
            if cost < *slot && cost <= bound {
                *slot = cost;
                ring[cost as usize % ring_len].push((state, step as u32));
                true
            } else {
                false
            }
        };
        // The steps that reach the goal: into each state, from each of its
        // predecessors, at each automaton step that accepts its token.
        for next in 0..chain.state_count() {
            let token = chain.last_word(next);
            if automaton.keeps_step(chain, token) {
                continue;
            }
            for step in 0..steps {
                if let Some((_, true)) = automaton.after(chain, step, token) {
                    for (state, _) in predecessors.of_state(next) {
                        let cost = costs.between(chain, state, token);
                        queued += usize::from(settle(&mut values, &mut ring, state, step, cost));
                    }
                }
            }
        }
        let mut earlier: Vec<usize> = Vec::with_capacity(steps);
        let mut distance = 0u32;
        while queued > 0 && distance <= bound {
            let bucket = std::mem::take(&mut ring[distance as usize % ring_len]);
            queued -= bucket.len();
            for &(next, step) in &bucket {
                if values[next as usize * steps + step as usize] != distance {
                    continue; // Settled cheaper since it was queued.
                }
                let token = chain.last_word(next);
                earlier.clear();
                if automaton.keeps_step(chain, token) {
                    earlier.push(step as usize);
                } else {
                    earlier.extend((0..steps).filter(|&before| {
                        automaton.after(chain, before, token) == Some((step as usize, false))
                    }));
                }
                if earlier.is_empty() {
                    continue;
                }
                for (state, _) in predecessors.of_state(next) {
                    let cost = distance.saturating_add(costs.between(chain, state, token));
                    for &before in &earlier {
                        queued += usize::from(settle(&mut values, &mut ring, state, before, cost));
                    }
                }
            }
            distance += 1;
        }
        Distances { steps, values }
    }

    /// The least cost from `state` at automaton step `step` to the goal.
    pub(crate) fn from(&self, state: u32, step: usize) -> u32 {
        self.values[state as usize * self.steps + step]
    }
}
