//! A training's text of token ids kept in a temporary file rather than in
//! memory, once it is long: the copy guard's text is 4 bytes a token, and
//! a training grows it to the whole text's length, while all that reads it
//! before the save (the merges that grow it, and the save that packs it
//! and sorts it a window at a time) reads it in order, a block at a time.

use std::fmt;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

use crate::build_options::Watch;
use crate::error::ChainError;

/// Where a training keeps its copy index's text once it holds more than
/// `above_tokens` tokens: in a temporary file in `folder`, or in the
/// system's temporary folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpillPolicy {
    folder: Option<PathBuf>,
    above_tokens: usize,
}

impl SpillPolicy {
    /// Texts of more than 16.8 million tokens (64 MiB of ids, about 120
    /// MB of English) go to a file: a few pieces of a training's reading,
    /// so that its peak holds a few pieces' ids and one window's sort,
    /// whatever the text's length.
    pub const DEFAULT_ABOVE_TOKENS: usize = 1 << 24;

    /// Texts longer than [`SpillPolicy::DEFAULT_ABOVE_TOKENS`] in a file in
    /// `folder`, or in the system's temporary folder when `None`. Give the
    /// folder the chain will be saved in: a system's temporary folder may
    /// be in memory.
    pub fn into_folder(folder: Option<PathBuf>) -> Self {
        SpillPolicy {
            folder,
            above_tokens: SpillPolicy::DEFAULT_ABOVE_TOKENS,
        }
    }

    /// [`SpillPolicy::into_folder`], or in this project's test builds (the
    /// `fault-injection` feature) with texts of more than the tokens the
    /// environment variable `LLM_MARKOV_RS_TEST_SPILL_ABOVE` gives in a
    /// file, so that the Python tests can train a short text through one.
    pub fn for_training(folder: Option<PathBuf>) -> Self {
        let policy = SpillPolicy::into_folder(folder);
        #[cfg(feature = "fault-injection")]
        if let Some(above) = std::env::var("LLM_MARKOV_RS_TEST_SPILL_ABOVE")
            .ok()
            .and_then(|value| value.trim().parse().ok())
        {
            return policy.above(above);
        }
        policy
    }

    /// The policy with texts of more than `above_tokens` tokens in a file.
    pub fn above(self, above_tokens: usize) -> Self {
        SpillPolicy {
            above_tokens,
            ..self
        }
    }

    /// Whether a text of `tokens` tokens goes to a file.
    pub(crate) fn spills(&self, tokens: usize) -> bool {
        tokens > self.above_tokens
    }

    /// A new, empty file of ids in the policy's folder.
    pub(crate) fn create(&self) -> Result<SpilledIds, ChainError> {
        let folder = (self.folder.clone()).unwrap_or_else(std::env::temp_dir);
        // Deleted when closed, or at once where the system allows: no
        // file is left behind by a crash or a cancel.
        let file = tempfile::tempfile_in(&folder).map_err(|error| spill_error(&folder, &error))?;
        Ok(SpilledIds {
            file: Mutex::new(file),
            folder,
            len: 0,
            in_memory: OnceLock::new(),
        })
    }
}

impl Default for SpillPolicy {
    fn default() -> Self {
        SpillPolicy::into_folder(None)
    }
}

/// Token ids in a temporary file, 4 bytes each in this machine's byte
/// order, deleted when dropped.
pub(crate) struct SpilledIds {
    /// Read and written at positions, one caller at a time.
    file: Mutex<File>,
    /// Where the file is, for messages.
    folder: PathBuf,
    len: usize,
    /// The ids read whole, the first time one is asked for alone: only a
    /// walk does that, and it needs them in memory to be fast.
    in_memory: OnceLock<Vec<u32>>,
}

impl fmt::Debug for SpilledIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpilledIds")
            .field("folder", &self.folder)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

/// How many ids a read or a write of the file moves at once: 1 MiB.
const IDS_IN_A_TRANSFER: usize = 1 << 18;

impl SpilledIds {
    /// How many ids the file holds.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Appends `ids`.
    pub(crate) fn push_all(&mut self, ids: &[u32]) -> Result<(), ChainError> {
        let start = self.len;
        self.write_at(start, ids)?;
        self.len += ids.len();
        self.in_memory = OnceLock::new();
        Ok(())
    }

    /// Appends a copy of its own ids in `range`, a transfer at a time;
    /// `watch` can cancel it.
    pub(crate) fn push_copy_of(
        &mut self,
        range: Range<usize>,
        watch: Watch,
    ) -> Result<(), ChainError> {
        let mut buffer = Vec::new();
        let mut start = range.start;
        while start < range.end {
            let end = range.end.min(start + IDS_IN_A_TRANSFER);
            buffer.resize(end - start, 0);
            self.read_into(start, &mut buffer)?;
            self.push_all(&buffer)?;
            start = end;
            watch.check()?;
        }
        Ok(())
    }

    /// Reads the ids from `start` on into `out`, which must not reach past
    /// the end.
    pub(crate) fn read_into(&self, start: usize, out: &mut [u32]) -> Result<(), ChainError> {
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        file.seek(SeekFrom::Start(byte_offset(start)))
            .and_then(|_| file.read_exact(bytemuck::cast_slice_mut(out)))
            .map_err(|error| spill_error(&self.folder, &error))
    }

    /// Replaces each id with what `renumbered` makes of it, a transfer at
    /// a time; `watch` can cancel it, and then the ids are a mix.
    pub(crate) fn renumber(
        &mut self,
        renumbered: impl Fn(u32) -> u32,
        watch: Watch,
    ) -> Result<(), ChainError> {
        self.in_memory = OnceLock::new();
        let mut buffer = vec![0u32; IDS_IN_A_TRANSFER.min(self.len)];
        let mut start = 0;
        while start < self.len {
            let block = &mut buffer[..IDS_IN_A_TRANSFER.min(self.len - start)];
            self.read_into(start, block)?;
            for id in block.iter_mut() {
                *id = renumbered(*id);
            }
            self.write_at(start, block)?;
            start += block.len();
            watch.check()?;
        }
        Ok(())
    }

    /// Every id in memory, read the first time: none when the file cannot
    /// be read, which a guard takes as a text that ends there.
    pub(crate) fn in_memory(&self) -> &[u32] {
        self.in_memory.get_or_init(|| {
            let mut ids = vec![0u32; self.len];
            match self.read_into(0, &mut ids) {
                Ok(()) => ids,
                Err(_) => Vec::new(),
            }
        })
    }

    /// Writes `ids` from position `start` on.
    fn write_at(&self, start: usize, ids: &[u32]) -> Result<(), ChainError> {
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        file.seek(SeekFrom::Start(byte_offset(start)))
            .and_then(|_| file.write_all(bytemuck::cast_slice(ids)))
            .map_err(|error| spill_error(&self.folder, &error))
    }
}

/// Where id `index` starts in the file.
fn byte_offset(index: usize) -> u64 {
    index as u64 * 4
}

/// The error for a file of ids in `folder` that failed with `error`.
fn spill_error(folder: &Path, error: &std::io::Error) -> ChainError {
    ChainError::TemporaryFile {
        folder: folder.display().to_string(),
        reason: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_back_as_written_renumbered_and_appended() {
        // The bugs: a write or a read at the wrong offset (a transfer's
        // start counted in ids where the file wants bytes), or a renumber
        // that stops after its first transfer.
        let policy = SpillPolicy::default();
        let mut spilled = policy.create().unwrap();
        let first: Vec<u32> = (0..IDS_IN_A_TRANSFER as u32 + 77).collect();
        spilled.push_all(&first).unwrap();
        spilled.push_all(&[5, 6, 7]).unwrap();
        assert_eq!(spilled.len(), first.len() + 3);
        assert_eq!(spilled.in_memory()[first.len()..], [5, 6, 7]);
        spilled.renumber(|id| id * 2, Watch::none()).unwrap();
        let mut all = vec![0; spilled.len()];
        spilled.read_into(0, &mut all).unwrap();
        let expected: Vec<u32> = (first.iter().chain(&[5, 6, 7])).map(|id| id * 2).collect();
        assert_eq!(all, expected);
        // What was read whole before a change is not read again stale.
        assert_eq!(spilled.in_memory(), expected.as_slice());
        let mut middle = [0; 2];
        spilled.read_into(first.len() + 1, &mut middle).unwrap();
        assert_eq!(middle, [12, 14]);
        // A copy of its own ids, longer than a transfer, appended.
        let length = spilled.len();
        spilled.push_copy_of(1..length, Watch::none()).unwrap();
        let mut copied = vec![0; length - 1];
        spilled.read_into(length, &mut copied).unwrap();
        assert_eq!(copied, expected[1..]);
    }

    #[test]
    fn a_folder_that_cannot_hold_the_file_is_an_error_that_names_it() {
        // The bug: a panic, or an error that does not say where.
        let folder = std::env::temp_dir().join("llm-markov-rs-no-such-folder");
        let error = SpillPolicy::into_folder(Some(folder.clone()))
            .create()
            .unwrap_err();
        assert!(
            error.to_string().contains(&folder.display().to_string()),
            "{error}"
        );
    }
}
