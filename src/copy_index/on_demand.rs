//! A suffix array sorted only where the copy guard reads it: for a chain
//! built from a prompt, walked once and dropped, whose guard reads the
//! intervals of a few dozen runs of at most `max_copy` tokens, where
//! sorting every suffix took twice as long as building the chain.
//!
//! The suffixes start grouped by their first token, one counting pass. An
//! interval whose suffixes share their first `depth` tokens is sorted by
//! the next token the first time a run is narrowed in it, and never again.
//! Sorting by token id at every depth puts each interval in the same slots
//! as in the whole suffix array (its start is the number of suffixes below
//! the run), so a guard finds the same intervals either way and a seed
//! replays the same words; only the order within an interval that no walk
//! has narrowed differs.

use std::ops::Range;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use rustc_hash::FxHashSet;

use super::{narrowed_within, sorted_once, Ids};
use crate::build_options::Watch;

/// An interval is sorted by counting when its keys span at most this many
/// values a suffix, by comparison otherwise: counting is linear, but in
/// the span. (Counting the wide intervals, those of a text's commonest
/// tokens, made a first walk on the novel faster; see docs/performance.md.)
const COUNTED_KEYS_PER_SLOT: usize = 4;

/// Suffixes sorted as far as walks have read them, and the whole suffix
/// array once something (saving, merging, comparing) asks for it.
#[derive(Debug)]
pub(super) struct OnDemandSuffixes {
    /// Locked while an interval is sorted, and while a walk reads one,
    /// since another walk of the same chain may sort within it meanwhile.
    sorted_so_far: Mutex<SortedSoFar>,
    /// One more than the largest id of the text.
    alphabet: u32,
    whole: OnceLock<Ids>,
}

#[derive(Clone, Debug)]
struct SortedSoFar {
    /// Where each suffix starts: every interval in the slots it has in the
    /// suffix array, sorted within only where [`SortedSoFar::split`] has.
    slots: Vec<u32>,
    /// The intervals, as (start, end, depth), that are sorted by their
    /// token at `depth`.
    split: FxHashSet<(usize, usize, usize)>,
}

impl Clone for OnDemandSuffixes {
    fn clone(&self) -> Self {
        OnDemandSuffixes {
            sorted_so_far: Mutex::new(self.lock().clone()),
            alphabet: self.alphabet,
            whole: self.whole.clone(),
        }
    }
}

impl OnDemandSuffixes {
    /// The suffixes of `text` grouped by their first token: `first_token`
    /// gives where each token's group starts, and within it they stand in
    /// the text's order. `alphabet` is one more than the largest id.
    pub(super) fn new(text: &[u32], first_token: &[u32], alphabet: u32) -> Self {
        let mut next_slot = first_token.to_vec();
        let mut slots = vec![0u32; text.len()];
        for (start, &token) in text.iter().enumerate() {
            // `first_token` counts every id of the text.
            if let Some(next) = next_slot.get_mut(token as usize) {
                if let Some(slot) = slots.get_mut(*next as usize) {
                    *slot = start as u32;
                }
                *next += 1;
            }
        }
        OnDemandSuffixes {
            sorted_so_far: Mutex::new(SortedSoFar {
                slots,
                split: FxHashSet::default(),
            }),
            alphabet,
            whole: OnceLock::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, SortedSoFar> {
        // Sorting an interval raises no panic, so the slots stay whole.
        self.sorted_so_far
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Within `range`, the whole interval of the suffixes that share their
    /// first `depth` tokens, those whose next token is `token`.
    pub(super) fn narrow(
        &self,
        text: &Ids,
        range: Range<usize>,
        depth: usize,
        token: u32,
    ) -> Range<usize> {
        let mut sorted = self.lock();
        sorted.split(text, range.clone(), depth);
        narrowed_within(
            text,
            text.len(),
            &sorted.slots[..],
            range,
            depth,
            token,
            None,
        )
    }

    /// Whether a suffix starting in `range` starts where `wanted` says.
    pub(super) fn any_start(&self, range: Range<usize>, wanted: impl FnMut(usize) -> bool) -> bool {
        let sorted = self.lock();
        let starts = sorted.slots.get(range).unwrap_or_default();
        starts.iter().map(|&start| start as usize).any(wanted)
    }

    /// The whole suffix array of `text`, sorted the first time it is
    /// asked for: as long as building the index in one go would have
    /// taken.
    pub(super) fn whole(&self, text: &Ids) -> &Ids {
        // Nothing cancels it: it has no flag to watch.
        sorted_once(&self.whole, text, self.alphabet, Watch::none())
            .unwrap_or_else(|cancelled| unreachable!("{cancelled:?} with no flag"))
    }
}

impl SortedSoFar {
    /// Sorts `range`, the whole interval of the suffixes that share their
    /// first `depth` tokens, by their next token, unless it is already: a
    /// suffix that has none first, then by id, then by where they start.
    fn split(&mut self, text: &Ids, range: Range<usize>, depth: usize) {
        // Grouped by their first token when made.
        if depth == 0 || range.len() < 2 || !self.split.insert((range.start, range.end, depth)) {
            return;
        }
        let Some(slots) = self.slots.get_mut(range) else {
            return;
        };
        // 0 for a suffix that ends before `depth`, else one more than its
        // token there.
        let keys: Vec<u32> = (slots.iter())
            .map(|&start| {
                let next = text.get(start as usize + depth);
                next.map_or(0, |id| id.saturating_add(1))
            })
            .collect();
        let largest = keys.iter().copied().max().unwrap_or(0) as usize;
        if largest <= COUNTED_KEYS_PER_SLOT * slots.len() {
            counting_sort(slots, &keys, largest);
        } else {
            let mut keyed: Vec<u64> = (keys.iter().zip(slots.iter()))
                .map(|(&key, &start)| u64::from(key) << 32 | u64::from(start))
                .collect();
            keyed.sort_unstable();
            for (slot, keyed) in slots.iter_mut().zip(keyed) {
                // The start, in the low half.
                *slot = keyed as u32;
            }
        }
    }
}

/// Sorts `slots` by `keys`, one each, all at most `largest`, keeping the
/// order of the slots with the same key: which is that of the text, as the
/// groups made by [`OnDemandSuffixes::new`] are, so that comparison and
/// counting sort alike.
fn counting_sort(slots: &mut [u32], keys: &[u32], largest: usize) {
    let mut next = vec![0u32; largest + 2];
    for &key in keys {
        next[key as usize + 1] += 1;
    }
    for key in 1..next.len() {
        next[key] += next[key - 1];
    }
    let mut sorted = vec![0u32; slots.len()];
    for (&key, &start) in keys.iter().zip(slots.iter()) {
        let slot = &mut next[key as usize];
        sorted[*slot as usize] = start;
        *slot += 1;
    }
    slots.copy_from_slice(&sorted);
}
