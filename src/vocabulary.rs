//! The distinct words of a text, each stored once and named by a dense id.

use std::cmp::{Ordering, Reverse};
use std::collections::binary_heap::{BinaryHeap, PeekMut};

use crate::error::ChainError;
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

    /// Whether the words are in byte order, each once, as a chain file
    /// holds them. A load checks it for every word, so most pairs are
    /// settled by their first eight bytes read as one integer, without a
    /// call to compare the words.
    pub(crate) fn in_byte_order(&self) -> bool {
        let bytes: &[u8] = &self.bytes;
        let mut start = 0;
        let mut before: Option<(u64, &[u8])> = None;
        self.ends.iter().all(|&end| {
            let Some(word) = bytes.get(start..end as usize) else {
                return false;
            };
            let key = (prefix_within(bytes, start, word), word);
            start = end as usize;
            before.replace(key).is_none_or(|before| before < key)
        })
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

/// Merges vocabularies whose words are each in byte order into one, each
/// word once, in byte order, and gives for each what its ids became. Both
/// a chain's merge and a build's join of its parts use it.
pub(crate) fn merge_sorted(
    vocabularies: &[&Vocabulary],
) -> Result<(Vocabulary, Vec<Vec<u32>>), ChainError> {
    let mut new_ids: Vec<Vec<u32>> = (vocabularies.iter())
        .map(|vocabulary| Vec::with_capacity(vocabulary.len()))
        .collect();
    // Room for every word, as if no two vocabularies shared one: pages
    // never written are never taken from the system.
    let mut merged = Vocabulary::with_capacity(
        vocabularies.iter().map(|vocabulary| vocabulary.len()).sum(),
        vocabularies
            .iter()
            .map(|vocabulary| vocabulary.bytes.len())
            .sum(),
    );
    if let [first, second] = vocabularies {
        // Two, as a build on two cores joins: one comparison a word, with
        // no heap to keep.
        merge_two(first, second, &mut merged, &mut new_ids)?;
    } else {
        merge_by_heap(vocabularies, &mut merged, &mut new_ids)?;
    }
    merged.shrink_to_fit();
    Ok((merged, new_ids))
}

/// [`merge_sorted`] of any number of vocabularies into `merged`, through a
/// heap of their next words, each word's new id pushed to its
/// vocabulary's list in `new_ids`.
fn merge_by_heap(
    vocabularies: &[&Vocabulary],
    merged: &mut Vocabulary,
    new_ids: &mut [Vec<u32>],
) -> Result<(), ChainError> {
    let head_of = |source: usize, id: u32| {
        let word = vocabularies[source].word(id);
        Reverse(Head {
            prefix: prefix(word),
            word,
            source,
        })
    };
    let mut heads: BinaryHeap<Reverse<Head<'_>>> = (vocabularies.iter().enumerate())
        .filter(|(_, vocabulary)| !vocabulary.is_empty())
        .map(|(source, _)| head_of(source, 0))
        .collect();
    let mut last: Option<(u64, &[u8])> = None;
    while let Some(mut top) = heads.peek_mut() {
        let Reverse(Head {
            prefix,
            word,
            source,
        }) = *top;
        if last != Some((prefix, word)) {
            merged.try_push(word).ok_or_else(too_large)?;
            last = Some((prefix, word));
        }
        let ids = &mut new_ids[source];
        ids.push(merged.len() as u32 - 1);
        // The source's next word takes its place at the top, and sinks as
        // far as it must: one sift instead of a pop and a push.
        if ids.len() < vocabularies[source].len() {
            *top = head_of(source, ids.len() as u32);
        } else {
            PeekMut::pop(top);
        }
    }
    Ok(())
}

/// [`merge_sorted`] of two vocabularies into `merged`, each word's new id
/// pushed to its vocabulary's list in `new_ids`.
fn merge_two(
    first: &Vocabulary,
    second: &Vocabulary,
    merged: &mut Vocabulary,
    new_ids: &mut [Vec<u32>],
) -> Result<(), ChainError> {
    let (mut left, mut right) = (first.words().peekable(), second.words().peekable());
    let mut left_prefix = left.peek().map(|word| prefix(word));
    let mut right_prefix = right.peek().map(|word| prefix(word));
    loop {
        let (word, order) = match (left.peek(), right.peek()) {
            (None, None) => return Ok(()),
            (Some(&one), None) => (one, Ordering::Less),
            (None, Some(&other)) => (other, Ordering::Greater),
            (Some(&one), Some(&other)) => match (left_prefix, one).cmp(&(right_prefix, other)) {
                Ordering::Greater => (other, Ordering::Greater),
                order => (one, order),
            },
        };
        merged.try_push(word).ok_or_else(too_large)?;
        let id = merged.len() as u32 - 1;
        if order != Ordering::Greater {
            new_ids[0].push(id);
            left.next();
            left_prefix = left.peek().map(|word| prefix(word));
        }
        if order != Ordering::Less {
            new_ids[1].push(id);
            right.next();
            right_prefix = right.peek().map(|word| prefix(word));
        }
    }
}

/// The error of a merged vocabulary past [`MAX_VOCABULARY_BYTES`].
fn too_large() -> ChainError {
    ChainError::VocabularyTooLarge {
        max_bytes: MAX_VOCABULARY_BYTES,
    }
}

/// The first eight bytes of `word` as a big-endian integer, zero-padded:
/// integers in the order of the words they begin, ties aside, which settle
/// most comparisons without a call to compare the words.
pub(crate) fn prefix(word: &[u8]) -> u64 {
    if let Some(eight) = word.first_chunk::<8>() {
        return u64::from_be_bytes(*eight);
    }
    // Fewer than eight bytes: at most two loads, which may overlap, each
    // shifted to where its bytes go. A copy of a length known only at run
    // time is a call, and sorting a part's words makes one for each.
    let shift = 8 * (8 - word.len() as u32);
    match (word.first_chunk::<4>(), word.last_chunk::<4>()) {
        (Some(&first), Some(&last)) => {
            u64::from(u32::from_be_bytes(first)) << 32
                | u64::from(u32::from_be_bytes(last)) << shift
        }
        _ => match (word.first_chunk::<2>(), word.last_chunk::<2>()) {
            (Some(&first), Some(&last)) => {
                u64::from(u16::from_be_bytes(first)) << 48
                    | u64::from(u16::from_be_bytes(last)) << shift
            }
            _ => word.first().map_or(0, |&byte| u64::from(byte) << 56),
        },
    }
}

/// [`prefix`] of `word`, which starts at `start` in `bytes`: eight bytes
/// read at once and the next words' cut off, where eight bytes remain.
fn prefix_within(bytes: &[u8], start: usize, word: &[u8]) -> u64 {
    match bytes.get(start..start + 8) {
        Some(eight) => {
            let whole = u64::from_be_bytes(eight.try_into().unwrap_or_default());
            match word.len() {
                // Zero-padded, as `prefix` pads.
                length @ 0..8 => whole & !(u64::MAX >> (length * 8)),
                _ => whole,
            }
        }
        None => prefix(word),
    }
}

/// The next word of one vocabulary, in a merge of several: ordered by its
/// word, then by its vocabulary (so equal words meet in that order).
#[derive(Clone, Copy)]
struct Head<'a> {
    prefix: u64,
    word: &'a [u8],
    source: usize,
}

impl Head<'_> {
    fn key(&self) -> (u64, &[u8], usize) {
        (self.prefix, self.word, self.source)
    }
}

impl PartialEq for Head<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Head<'_> {}

impl PartialOrd for Head<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Head<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

/// Helpers for the tests of byte order, here and in the corpus's join.
#[cfg(test)]
pub(crate) mod test_words {
    use std::ops::Range;

    use proptest::prelude::*;

    use super::Vocabulary;

    /// A word of `lengths` bytes of four kinds (zero, two letters, 0xff):
    /// such words share their beginnings and hold zeros, as the padding of
    /// a short word's prefix does.
    pub(crate) fn word_of_few_bytes(lengths: Range<usize>) -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(prop::sample::select(vec![0u8, b'a', b'b', 0xff]), lengths)
    }

    /// A vocabulary of `words`, in their order.
    pub(crate) fn vocabulary_of(words: &[Vec<u8>]) -> Vocabulary {
        let mut vocabulary = Vocabulary::default();
        for word in words {
            vocabulary.push(word);
        }
        vocabulary
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::test_words::{vocabulary_of, word_of_few_bytes};
    use super::*;

    #[test]
    fn byte_order_is_decided_past_eight_bytes_and_by_length() {
        // Each pair ties on its first eight bytes, zero-padded: a check
        // that trusted the prefixes alone, or cut a short word's prefix
        // at the wrong byte, gets one of them wrong.
        let in_order = |words: &[&[u8]]| {
            vocabulary_of(&words.iter().map(|word| word.to_vec()).collect::<Vec<_>>())
                .in_byte_order()
        };
        assert!(in_order(&[b"abcdefgh1", b"abcdefgh2"]));
        assert!(!in_order(&[b"abcdefgh2", b"abcdefgh1"]));
        assert!(!in_order(&[b"abcdefgh1", b"abcdefgh1"]));
        assert!(in_order(&[b"ab", b"ab\0"]));
        // Read unmasked, "ab" would take the next word's bytes and sort
        // after "ab\x01".
        assert!(in_order(&[b"ab", b"ab\x01", b"to fill eight bytes"]));
        assert!(!in_order(&[b"ab\0", b"ab"]));
        assert!(in_order(&[b"a", b"b", b"bcdefghij"]));
        assert!(!in_order(&[b"b", b"a", b"bcdefghij"]));
    }

    proptest! {
        /// The bug: a word of fewer than eight bytes read with a load
        /// shifted to the wrong place, or one byte too many or too few,
        /// which would order words wrongly only for some lengths.
        #[test]
        fn a_prefix_is_the_first_eight_bytes_zero_padded(
            word in prop::collection::vec(any::<u8>(), 0..12),
        ) {
            let mut padded = [0u8; 8];
            let length = word.len().min(8);
            padded[..length].copy_from_slice(&word[..length]);
            prop_assert_eq!(prefix(&word), u64::from_be_bytes(padded));
        }
    }

    proptest! {
        /// The fast check agrees with comparing the words themselves, for
        /// words short and long that share prefixes and hold zeros.
        #[test]
        fn byte_order_agrees_with_comparing_the_words(
            words in prop::collection::vec(
                word_of_few_bytes(1..12),
                0..24,
            ),
            sort in any::<bool>(),
        ) {
            let mut words = words;
            if sort {
                words.sort();
                words.dedup();
            }
            let expected = words.windows(2).all(|pair| pair[0] < pair[1]);
            prop_assert_eq!(vocabulary_of(&words).in_byte_order(), expected);
        }
    }
}
