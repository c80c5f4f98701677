//! A copy index's text as a merge joins it from its sources' texts: in
//! memory, or in a temporary file when it will be longer than a
//! [`SpillPolicy`] allows, so that merging long guarded chains holds no
//! more of their text than training them does.

use std::ops::Range;
use std::sync::{Arc, OnceLock};

use super::spilled::SpilledIds;
use super::{token_starts_in, CopyIndex, Ids, LaterSuffixes, SpillPolicy, Suffixes};
use crate::build_options::{SuffixSort, Watch};
use crate::error::ChainError;

/// A text being joined, where it will stay.
pub(crate) enum JoinedText {
    Memory(Vec<u32>),
    File(SpilledIds),
}

impl JoinedText {
    /// An empty text for `length` ids: in a file when `spill` keeps a text
    /// that long in one.
    pub(crate) fn for_length(length: usize, spill: &SpillPolicy) -> Result<Self, ChainError> {
        Ok(if spill.spills(length) {
            JoinedText::File(spill.create()?)
        } else {
            JoinedText::Memory(Vec::with_capacity(length))
        })
    }

    /// How many ids it holds.
    pub(crate) fn len(&self) -> usize {
        match self {
            JoinedText::Memory(ids) => ids.len(),
            JoinedText::File(ids) => ids.len(),
        }
    }

    /// Whether it holds none.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends `id`.
    pub(crate) fn push(&mut self, id: u32) -> Result<(), ChainError> {
        match self {
            JoinedText::Memory(ids) => ids.push(id),
            JoinedText::File(ids) => ids.push_all(&[id])?,
        }
        Ok(())
    }

    /// Appends `text`'s ids, each as `renumbered` makes it, a block at a
    /// time; `watch` can cancel it.
    pub(crate) fn extend_renumbered(
        &mut self,
        text: &Ids,
        renumbered: impl Fn(u32) -> u32,
        watch: Watch,
    ) -> Result<(), ChainError> {
        match self {
            JoinedText::Memory(ids) => text.for_each_block(0..text.len(), |_, block| {
                ids.extend(block.iter().map(|&id| renumbered(id)));
                watch.check()
            }),
            JoinedText::File(ids) => push_renumbered(ids, text, renumbered, watch),
        }
    }

    /// Appends a copy of its own ids in `range`; `watch` can cancel it.
    pub(crate) fn repeat(&mut self, range: Range<usize>, watch: Watch) -> Result<(), ChainError> {
        match self {
            JoinedText::Memory(ids) => ids.extend_from_within(range),
            JoinedText::File(ids) => ids.push_copy_of(range, watch)?,
        }
        Ok(())
    }

    /// The ids, where they are.
    pub(crate) fn into_ids(self) -> Ids {
        match self {
            JoinedText::Memory(ids) => Ids::Owned(ids),
            JoinedText::File(ids) => Ids::Spilled(Arc::new(ids)),
        }
    }

    /// The index of the text, whose ids are all below `alphabet`, its
    /// suffixes sorted as `sort` says; a text in a file waits to be sorted
    /// when first needed, or a window at a time when saved
    /// ([`SuffixSort::Later`]), whatever `sort` says. `watch` can cancel
    /// the sort.
    pub(crate) fn into_index(
        self,
        alphabet: u32,
        sort: SuffixSort,
        watch: Watch,
    ) -> Result<CopyIndex, ChainError> {
        match self {
            JoinedText::Memory(ids) => CopyIndex::new(ids, alphabet, sort, watch),
            file @ JoinedText::File(_) => {
                let text = file.into_ids();
                let (first_token, _) =
                    token_starts_in(&text, 0..text.len(), alphabet as usize, watch)?;
                let suffixes = Suffixes::Later(LaterSuffixes {
                    alphabet,
                    whole: OnceLock::new(),
                });
                Ok(CopyIndex::whole(text, suffixes, first_token))
            }
        }
    }
}

/// Appends `text`'s ids to `file`, each as `renumbered` makes it, a block
/// at a time; `watch` can cancel it.
pub(crate) fn push_renumbered(
    file: &mut SpilledIds,
    text: &Ids,
    renumbered: impl Fn(u32) -> u32,
    watch: Watch,
) -> Result<(), ChainError> {
    let mut buffer = Vec::new();
    text.for_each_block(0..text.len(), |_, block| {
        buffer.clear();
        buffer.extend(block.iter().map(|&id| renumbered(id)));
        file.push_all(&buffer)?;
        watch.check()
    })
}
