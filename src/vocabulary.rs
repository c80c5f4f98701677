//! The distinct words of a text, each stored once and named by a dense id.

use crate::limits::MAX_VOCABULARY_BYTES;
use crate::stored::Stored;

/// Distinct words in the order they first appear, packed into one buffer.
///
/// Word ids are `u32` indexes into this list, so the chain itself is made of
/// small integers rather than strings. The words take at most
/// [`MAX_VOCABULARY_BYTES`] together, so that where each ends is a `u32`
/// too, as in the chain file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Vocabulary {
    bytes: Stored<u8>,
    ends: Stored<u32>,
}

impl Vocabulary {
    /// Words packed into `bytes`, word `i` ending at `ends[i]` and starting
    /// where the word before it ends (at 0 for the first). The caller has
    /// checked that `ends` rises to `bytes.len()`.
    pub(crate) fn from_parts(bytes: Stored<u8>, ends: Stored<u32>) -> Self {
        Vocabulary { bytes, ends }
    }

    /// An empty vocabulary with room for `words` words of `bytes` bytes in
    /// all. Memory reserved and never written costs nothing where the
    /// allocator maps large blocks, so a caller may reserve the most it
    /// could need.
    pub(crate) fn with_capacity(words: usize, bytes: usize) -> Self {
        Vocabulary {
            bytes: Vec::with_capacity(bytes).into(),
            ends: Vec::with_capacity(words).into(),
        }
    }

    /// Appends `word` and returns its id. It does not check for duplicates
    /// (the caller interns) nor the total size (the caller has checked that
    /// the words fit in [`MAX_VOCABULARY_BYTES`]).
    pub(crate) fn push(&mut self, word: &[u8]) -> u32 {
        let id = self.ends.len() as u32;
        let bytes = self.bytes.to_mut();
        bytes.extend_from_slice(word);
        let end = bytes.len() as u32;
        self.ends.to_mut().push(end);
        id
    }

    /// Appends `word` and returns its id, unless the words would then take
    /// more than [`MAX_VOCABULARY_BYTES`]. It does not check for duplicates
    /// (the caller interns).
    pub(crate) fn try_push(&mut self, word: &[u8]) -> Option<u32> {
        if self.bytes.len() + word.len() > MAX_VOCABULARY_BYTES {
            return None;
        }
        Some(self.push(word))
    }

    /// The word with id `id`, encoded as the training text was.
    ///
    /// # Panics
    /// If `id` is not an id this vocabulary gave out.
    pub fn word(&self, id: u32) -> &[u8] {
        let id = id as usize;
        let start = if id == 0 {
            0
        } else {
            self.ends[id - 1] as usize
        };
        &self.bytes[start..self.ends[id] as usize]
    }

    /// Every word, in id order: cheaper than [`Vocabulary::word`] for each
    /// id, as the arrays are looked up once.
    pub(crate) fn words(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let bytes: &[u8] = &self.bytes;
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let word = bytes.get(start..end as usize).unwrap_or_default();
            start = end as usize;
            word
        })
    }

    /// The ids of `words`, `None` for each that is not in the vocabulary,
    /// found in one pass over it.
    pub fn find_all(&self, words: &[&[u8]]) -> Vec<Option<u32>> {
        let mut found = vec![None; words.len()];
        // A walk without a prompt asks for nothing: no pass over the words.
        if words.is_empty() {
            return found;
        }
        let longest = words.iter().map(|word| word.len()).max().unwrap_or(0);
        for (id, word) in self.words().enumerate() {
            // Most words differ in length from every word looked for.
            if word.len() <= longest {
                for (slot, wanted) in found.iter_mut().zip(words) {
                    if slot.is_none() && *wanted == word {
                        *slot = Some(id as u32);
                    }
                }
            }
        }
        found
    }

    /// How many distinct words there are.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are no words at all.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Every word's bytes, one after another.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Where each word ends in [`Vocabulary::bytes`].
    pub(crate) fn ends(&self) -> &[u32] {
        &self.ends
    }

    /// Releases spare capacity left over from building.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
        self.ends.shrink_to_fit();
    }
}
