//! Giving each distinct word of a text an id, in order of first appearance,
//! and counting how often each is seen.

use std::collections::hash_map::Entry;
use std::hash::{BuildHasher, Hash};

use hashbrown::HashTable;
use rustc_hash::{FxBuildHasher, FxHashMap};

use crate::error::ChainError;
use crate::limits::MAX_VOCABULARY_BYTES;
use crate::packed_table::{Interned, PackedTable};
use crate::vocabulary::Vocabulary;

/// The longest word kept as an integer key rather than a slice.
const MAX_PACKED_LEN: usize = 16;

/// A word that makes the interner panic when it first meets it, in builds
/// with the `fault-injection` feature only: the project's tests use it to
/// put a panic inside a build worker, where no input can put one otherwise.
#[cfg(feature = "fault-injection")]
pub(crate) const FAULT_INJECTION_PANIC_WORD: &[u8] = b"\0llm-markov-rs:panic-in-build\0";

/// The distinct words of one text, each with an id and a count.
///
/// Most words of prose are short, so they are hashed and compared as
/// integers read straight from the text, not as slices. Each new word's
/// bytes go straight into the vocabulary that the corpus keeps, so that no
/// list of the words is built twice. No table borrows the text, so a text
/// can be interned a chunk at a time into one buffer.
pub(crate) struct Interner {
    /// Words of up to seven bytes: the bytes, with the length in the top
    /// byte.
    short: PackedTable,
    /// Words of 8 to 16 bytes, one map per length: the first eight bytes and
    /// the last eight (overlapping when shorter than 16), which together hold
    /// every byte.
    medium: [FxHashMap<[u64; 2], Interned>; MAX_PACKED_LEN - 7],
    /// Longer words, by their hash, compared with their copy in the
    /// vocabulary.
    long: HashTable<(u64, Interned)>,
    /// The distinct words, by id.
    vocabulary: Vocabulary,
    /// Whether the words outgrew [`MAX_VOCABULARY_BYTES`]. Words met after
    /// that are still numbered, but their bytes are not kept.
    too_large: bool,
}

/// The table a word is kept in, and its key there.
enum WordKey<'word> {
    Short(u64),
    Medium(usize, [u64; 2]),
    Long(&'word [u8]),
}

/// Eight bytes of `text` from `at` as a little-endian integer.
///
/// # Panics
/// If fewer than eight bytes follow `at`.
fn eight_bytes(text: &[u8], at: usize) -> u64 {
    let bytes: [u8; 8] = text[at..at + 8].try_into().expect("eight bytes");
    u64::from_le_bytes(bytes)
}

/// The key of the word at `text[start..end]`. Inlined: it is on the path
/// of every word, and its result picks the table.
#[inline(always)]
fn key_of(text: &[u8], start: usize, end: usize) -> WordKey<'_> {
    let len = end - start;
    if len < 8 {
        let bytes = if start + 8 <= text.len() {
            // One load, then the bytes past the word masked off: no copy
            // of a variable length.
            eight_bytes(text, start) & ((1u64 << (8 * len)) - 1)
        } else {
            let mut packed = [0u8; 8];
            packed[..len].copy_from_slice(&text[start..end]);
            u64::from_le_bytes(packed)
        };
        WordKey::Short(bytes | (len as u64) << 56)
    } else if len <= MAX_PACKED_LEN {
        let key = [eight_bytes(text, start), eight_bytes(text, end - 8)];
        WordKey::Medium(len - 8, key)
    } else {
        WordKey::Long(&text[start..end])
    }
}

/// The id of `key` in `map`, counting one more sighting; a new key gets the
/// id `add` returns.
fn intern_in<K: Hash + Eq>(
    map: &mut FxHashMap<K, Interned>,
    key: K,
    add: impl FnOnce() -> u32,
) -> u32 {
    match map.entry(key) {
        Entry::Occupied(mut seen) => seen.get_mut().seen_again(),
        Entry::Vacant(new) => new.insert(Interned::first(add())).id,
    }
}

/// Puts a word met for the first time in `vocabulary`, and returns its id.
#[inline(always)]
fn add_word(vocabulary: &mut Vocabulary, too_large: &mut bool, word: &[u8]) -> u32 {
    #[cfg(feature = "fault-injection")]
    assert_ne!(word, FAULT_INJECTION_PANIC_WORD, "fault injection");
    vocabulary.try_push(word).unwrap_or_else(|| {
        // The build fails once the text is read; until then the ids stay
        // dense.
        *too_large = true;
        vocabulary.push(b"")
    })
}

/// The hash of a word of more than [`MAX_PACKED_LEN`] bytes.
fn long_hash(word: &[u8]) -> u64 {
    FxBuildHasher.hash_one(word)
}

impl Interner {
    pub(crate) fn new() -> Self {
        Interner {
            short: PackedTable::new(),
            medium: Default::default(),
            long: HashTable::new(),
            vocabulary: Vocabulary::default(),
            too_large: false,
        }
    }

    /// The id of the word at `text[start..end]`, counting one more use of
    /// it.
    pub(crate) fn intern_span(&mut self, text: &[u8], start: usize, end: usize) -> u32 {
        let word = &text[start..end];
        let vocabulary = &mut self.vocabulary;
        let too_large = &mut self.too_large;
        let add = || add_word(vocabulary, too_large, word);
        match key_of(text, start, end) {
            WordKey::Short(key) => self.short.get_or_insert_with(key, add),
            WordKey::Medium(table, key) => intern_in(&mut self.medium[table], key, add),
            WordKey::Long(word) => self.intern_long(word),
        }
    }

    /// [`Interner::intern_span`] for a word of more than [`MAX_PACKED_LEN`]
    /// bytes: rare in most texts, so kept off the path of the others.
    #[inline(never)]
    fn intern_long(&mut self, word: &[u8]) -> u32 {
        let hash = long_hash(word);
        let vocabulary = &self.vocabulary;
        let seen = self.long.find_mut(hash, |&(seen_hash, seen)| {
            seen_hash == hash && vocabulary.word(seen.id) == word
        });
        if let Some((_, seen)) = seen {
            return seen.seen_again();
        }
        let id = add_word(&mut self.vocabulary, &mut self.too_large, word);
        (self.long).insert_unique(hash, (hash, Interned::first(id)), |&(hash, _)| hash);
        id
    }

    /// Takes the distinct words met so far, indexed by id, or the error
    /// that they are too many bytes to keep.
    pub(crate) fn take_vocabulary(&mut self) -> Result<Vocabulary, ChainError> {
        if self.too_large {
            return Err(ChainError::VocabularyTooLarge {
                max_bytes: MAX_VOCABULARY_BYTES,
            });
        }
        Ok(std::mem::take(&mut self.vocabulary))
    }

    /// How many times each id was interned, indexed by id.
    pub(crate) fn counts(&self) -> Vec<u32> {
        let mut counts = vec![0; self.vocabulary.len()];
        let medium = self.medium.iter().flat_map(|map| map.values());
        let long = self.long.iter().map(|(_, interned)| interned);
        for interned in self.short.values().chain(medium).chain(long) {
            counts[interned.id as usize] = interned.count;
        }
        counts
    }
}
