//! The tails of a suffix array (its Ψ function), which narrow a run by a
//! token with one look-up a step.

use std::ops::Range;

use super::IndexWindow;
use crate::sampled_search::{first_past, samples_of};

/// Where each suffix goes on without its first token: for each slot of
/// the suffix array, one more than the slot of the suffix one token
/// shorter, or 0 when that is empty. (The Ψ function of compressed suffix
/// arrays.) Within an interval whose suffixes share their first token, the
/// tails rise, so a run is narrowed by a token with one look-up a step of
/// its binary search, not two (the suffix's start, then its token).
#[derive(Clone, Debug)]
pub(super) struct Tails {
    slots: Vec<u32>,
    /// [`samples_of`] `slots`, for wide searches.
    samples: Vec<u32>,
}

impl Tails {
    /// The tails of `window`'s suffixes, from the rank of each suffix. A
    /// suffix is read up to the window's end, so the one that starts at
    /// its last token has an empty tail.
    pub(super) fn of(window: IndexWindow<'_>) -> Self {
        // Two passes with one random access each. (Filling each token's
        // interval in turn, in one pass over the suffix array, reads the
        // text and writes the tails at random in the same step, and took
        // four times as long.)
        let suffixes = window.suffixes();
        let first = window.span().start;
        let mut rank = vec![0u32; window.len()];
        // Where a suffix starts, within the window.
        let within = |start: u32| (start as usize).checked_sub(first);
        for (slot, start) in suffixes.iter().enumerate() {
            // Only a forged file has a start outside the window.
            if let Some(rank) = within(start).and_then(|start| rank.get_mut(start)) {
                *rank = slot as u32;
            }
        }
        let slots: Vec<u32> = (suffixes.iter())
            .map(|start| {
                (within(start).and_then(|start| rank.get(start + 1))).map_or(0, |&slot| slot + 1)
            })
            .collect();
        let samples = samples_of(&slots);
        Tails { slots, samples }
    }

    /// The first slot of `range` whose tail is above `bound` (or the end of
    /// `range`), when the tails rise over `range`.
    pub(super) fn first_above(&self, range: Range<usize>, bound: usize) -> usize {
        first_past(&self.slots, &self.samples, range, |tail| {
            tail as usize > bound
        })
    }
}
