//! Token ids, of a copy index's text or of its suffix array: in memory as
//! a build makes them, or packed as a chain file holds them.

use std::ops::Range;
use std::sync::Arc;

use super::packed::PackedIds;
use super::spilled::SpilledIds;
use crate::error::ChainError;

/// Token ids (of the text, or of the suffix array): in memory as a build
/// makes them, packed as a chain file holds them, read or mapped, or in a
/// temporary file as a long training keeps its text.
#[derive(Clone, Debug)]
pub(crate) enum Ids {
    Owned(Vec<u32>),
    Packed(PackedIds),
    Spilled(Arc<SpilledIds>),
}

impl Ids {
    /// How many ids there are.
    pub(crate) fn len(&self) -> usize {
        match self {
            Ids::Owned(ids) => ids.len(),
            Ids::Packed(ids) => ids.len(),
            Ids::Spilled(ids) => ids.len(),
        }
    }

    /// The id at `index`, or `None` past the end. A file's ids are read
    /// into memory whole the first time (see [`SpilledIds::in_memory`]).
    #[inline]
    pub(crate) fn get(&self, index: usize) -> Option<u32> {
        match self {
            Ids::Owned(ids) => ids.get(index).copied(),
            Ids::Packed(ids) => ids.get(index),
            Ids::Spilled(ids) => ids.in_memory().get(index).copied(),
        }
    }

    /// [`Ids::get`] for a reader of a few ids far apart, as a search's
    /// halvings read a text: a mapped file's packed ids are read without
    /// faulting in their pages ([`PackedIds::get_sparse`]).
    #[inline]
    pub(crate) fn get_sparse(&self, index: usize) -> Option<u32> {
        match self {
            Ids::Packed(ids) => ids.get_sparse(index),
            _ => self.get(index),
        }
    }

    /// Calls `each` with the ids of `range` (within the list) a block at a
    /// time, in order, and the index of each block's first: an owned
    /// list's own slices, a packed one's decoded into a buffer, a file's
    /// read into one.
    pub(crate) fn for_each_block<E: From<ChainError>>(
        &self,
        range: Range<usize>,
        mut each: impl FnMut(usize, &[u32]) -> Result<(), E>,
    ) -> Result<(), E> {
        let end = range.end.min(self.len());
        let mut start = range.start.min(end);
        let mut buffer = Vec::new();
        while start < end {
            let block_end = end.min(start + IDS_IN_A_BLOCK);
            match self {
                Ids::Owned(ids) => each(start, &ids[start..block_end])?,
                Ids::Packed(ids) => {
                    buffer.resize(block_end - start, 0);
                    ids.view().read_into(start, &mut buffer);
                    each(start, &buffer)?;
                }
                Ids::Spilled(ids) => {
                    buffer.resize(block_end - start, 0);
                    ids.read_into(start, &mut buffer)?;
                    each(start, &buffer)?;
                }
            }
            start = block_end;
        }
        Ok(())
    }

    /// The ids as a vector of their own: an owned list itself, a packed
    /// one decoded, a file's read.
    pub(crate) fn into_owned(self) -> Result<Vec<u32>, ChainError> {
        match self {
            Ids::Owned(ids) => Ok(ids),
            other => other.to_vec(),
        }
    }

    /// A copy of the ids, read a block at a time: a file's are not kept in
    /// memory as [`Ids::get`] keeps them.
    pub(crate) fn to_vec(&self) -> Result<Vec<u32>, ChainError> {
        let mut all = Vec::with_capacity(self.len());
        self.for_each_block(0..self.len(), |_, ids| {
            all.extend_from_slice(ids);
            Ok::<(), ChainError>(())
        })?;
        Ok(all)
    }

    /// Every id in turn.
    pub(crate) fn iter(&self) -> IdsIter<'_> {
        IdsIter { ids: self, next: 0 }
    }
}

/// How many ids [`Ids::for_each_block`] hands over at once: 64 KiB of
/// them, which stay in cache while they are read.
const IDS_IN_A_BLOCK: usize = 1 << 14;

/// A list of ids read one at a time: a vector's, or a chain file's packed
/// ones.
pub(crate) trait IdList {
    /// How many ids there are.
    fn count(&self) -> usize;

    /// The id at `index`, or `None` past the end.
    fn id(&self, index: usize) -> Option<u32>;

    /// The first index of `range` at which `is_past` holds, when it is
    /// false and then true over `range` (as `partition_point`, negated),
    /// the end of `range` if none; an index past the list is past.
    fn first_past(&self, range: Range<usize>, is_past: impl Fn(u32) -> bool) -> usize {
        let (mut low, mut high) = (range.start, range.end);
        while low < high {
            let middle = low + (high - low) / 2;
            match self.id(middle) {
                Some(id) if !is_past(id) => low = middle + 1,
                _ => high = middle,
            }
        }
        low
    }

    /// [`IdList::first_past`], searched outwards from `guess` (by steps that
    /// double, then halving between the last two): as many reads as the
    /// log of how far the answer is from `guess`, not of `range`'s length.
    /// The answer is the same whatever `guess` is.
    fn first_past_near(
        &self,
        range: Range<usize>,
        guess: usize,
        is_past: impl Fn(u32) -> bool,
    ) -> usize {
        // The end of `range` counts as past, as `first_past` answers it
        // when nothing before it is.
        let past = |index: usize| index >= range.end || self.id(index).is_none_or(&is_past);
        let guess = guess.clamp(range.start, range.end);
        let (mut low, mut high) = (range.start, range.end);
        if past(guess) {
            // The answer is at or before `guess`.
            high = guess;
            let mut step = 1;
            while high > range.start {
                let probe = high.saturating_sub(step).max(range.start);
                if !past(probe) {
                    low = probe + 1;
                    break;
                }
                high = probe;
                step *= 2;
            }
        } else {
            // The answer is after `guess`.
            low = (guess + 1).min(range.end);
            let mut step = 1;
            while low < range.end {
                let probe = (low + step - 1).min(range.end - 1);
                if past(probe) {
                    high = probe;
                    break;
                }
                low = probe + 1;
                step *= 2;
            }
        }
        self.first_past(low..high.max(low), is_past)
    }
}

impl IdList for [u32] {
    fn count(&self) -> usize {
        self.len()
    }

    #[inline]
    fn id(&self, index: usize) -> Option<u32> {
        self.get(index).copied()
    }
}

impl IdList for Ids {
    fn count(&self) -> usize {
        self.len()
    }

    #[inline]
    fn id(&self, index: usize) -> Option<u32> {
        self.get(index)
    }
}

/// The ids of [`Ids::iter`].
pub(crate) struct IdsIter<'ids> {
    ids: &'ids Ids,
    next: usize,
}

impl Iterator for IdsIter<'_> {
    type Item = u32;

    #[inline]
    fn next(&mut self) -> Option<u32> {
        let id = self.ids.get(self.next)?;
        self.next += 1;
        Some(id)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.ids.len().saturating_sub(self.next);
        (left, Some(left))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_from_any_guess_finds_what_the_whole_search_finds() {
        // The bug: a guess on the wrong side of the answer taken for the
        // answer, a step past the range's end or start, or the last step
        // of a gallop left out of the halving. Every list of 0s then 1s up
        // to 40 long, every range of it, every guess (outside it too).
        for len in 0..40usize {
            for ones_from in 0..=len {
                let list: Vec<u32> = (0..len)
                    .map(|index| u32::from(index >= ones_from))
                    .collect();
                let is_past = |id: u32| id == 1;
                for start in 0..=len {
                    for end in start..=len + 2 {
                        let whole = list[..].first_past(start..end, is_past);
                        for guess in 0..len + 3 {
                            let near = list[..].first_past_near(start..end, guess, is_past);
                            assert_eq!(near, whole, "{list:?} {start}..{end} from {guess}");
                        }
                    }
                }
            }
        }
    }
}
