//! The distinct words of a text, each stored once and named by a dense id.

/// Distinct words in the order they first appear, packed into one buffer.
///
/// Word ids are `u32` indexes into this list, so the chain itself is made of
/// small integers rather than strings.
#[derive(Clone, Debug, Default)]
pub struct Vocabulary {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Vocabulary {
    /// Appends `word` and returns its id. It does not check for duplicates:
    /// the caller interns.
    pub(crate) fn push(&mut self, word: &[u8]) -> u32 {
        let id = self.ends.len() as u32;
        self.bytes.extend_from_slice(word);
        self.ends.push(self.bytes.len());
        id
    }

    /// The word with id `id`, encoded as the training text was.
    ///
    /// # Panics
    /// If `id` is not an id this vocabulary gave out.
    pub fn word(&self, id: u32) -> &[u8] {
        let id = id as usize;
        let start = if id == 0 { 0 } else { self.ends[id - 1] };
        &self.bytes[start..self.ends[id]]
    }

    /// How many distinct words there are.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are no words at all.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Releases spare capacity left over from building.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
        self.ends.shrink_to_fit();
    }
}
