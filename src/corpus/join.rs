//! Joining the parts of a text, each interned on a thread of its own, into
//! one corpus whose words are numbered in byte order.
//!
//! Each part sorts its own words on the thread that interned them, as soon
//! as it is done; the sorted lists are then merged, as a merge sort's last
//! step does, into the corpus's vocabulary, which tells each part's ids
//! their new number. Each part is renumbered once, on its own thread.
//! Before, each later part's words were looked up in the earlier parts'
//! tables, then the whole vocabulary was sorted on one thread: about 40 ms
//! of WordNet's build after interning, with every part's table alive to
//! the end. Now each part's sort (about 18 ms) runs on its own thread, and
//! the merge and renumbering take about 16 ms (docs/performance.md,
//! session 20).

use std::cmp::{Ordering, Reverse};
use std::collections::binary_heap::{BinaryHeap, PeekMut};

use super::Corpus;
use crate::build_options::Watch;
use crate::error::ChainError;
use crate::interner::Interner;
use crate::limits::{MAX_VOCABULARY_BYTES, MAX_WORDS};
use crate::parallel::on_threads;
use crate::tokens::Tokens;
use crate::vocabulary::Vocabulary;

/// One part of the text, interned on its own, with its words in byte
/// order.
pub(super) struct SortedPart {
    /// The part's own words, in byte order: read in turn by the merge.
    words: Vocabulary,
    /// Each of those words' first eight bytes (big-endian, zero-padded),
    /// which settle most comparisons without reading the word.
    prefixes: Vec<u64>,
    /// The part's own id of each of those words.
    local_ids: Vec<u32>,
    /// The part as its own ids.
    ids: Vec<u32>,
    /// How many times each of its ids occurs in it.
    counts: Vec<u32>,
}

impl SortedPart {
    /// The part of `ids`, interned by `interner`, which is dropped once
    /// its words and counts are taken.
    pub(super) fn new(mut interner: Interner, ids: Vec<u32>) -> Result<Self, ChainError> {
        let counts = interner.counts();
        let vocabulary = interner.take_vocabulary()?;
        drop(interner);
        let by_bytes = ids_in_byte_order(&vocabulary);
        // Copied in their order here, on the part's own thread, so that the
        // merge reads each part's words in turn, not from all over.
        let mut words = Vocabulary::with_capacity(vocabulary.len(), vocabulary.bytes().len());
        for &(_, id) in &by_bytes {
            words.push(vocabulary.word(id));
        }
        let (prefixes, local_ids) = by_bytes.into_iter().unzip();
        Ok(SortedPart {
            words,
            prefixes,
            local_ids,
            ids,
            counts,
        })
    }

    /// The word at `rank` in byte order, with its prefix.
    fn word_at(&self, rank: usize) -> (u64, &[u8]) {
        (self.prefixes[rank], self.words.word(rank as u32))
    }
}

/// The first eight bytes of `word` as a big-endian integer, zero-padded:
/// integers in the order of the words they begin, ties aside.
fn prefix(word: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    let length = word.len().min(8);
    bytes[..length].copy_from_slice(&word[..length]);
    u64::from_be_bytes(bytes)
}

/// The ids of `vocabulary` in the byte order of their words, each with its
/// word's [`prefix`]. Sorted by prefix, then each run of ties by the whole
/// words: few comparisons reach into the words.
fn ids_in_byte_order(vocabulary: &Vocabulary) -> Vec<(u64, u32)> {
    let mut by_bytes: Vec<(u64, u32)> = (vocabulary.words().zip(0u32..))
        .map(|(word, id)| (prefix(word), id))
        .collect();
    by_bytes.sort_unstable();
    for tied in by_bytes.chunk_by_mut(|a, b| a.0 == b.0) {
        if tied.len() > 1 {
            tied.sort_unstable_by(|&(_, a), &(_, b)| vocabulary.word(a).cmp(vocabulary.word(b)));
        }
    }
    by_bytes
}

/// The next word of one sorted part, in a merge of all of them: ordered by
/// its word, then by its part (so equal words meet in part order).
#[derive(Clone, Copy)]
struct Head<'a> {
    prefix: u64,
    word: &'a [u8],
    part: usize,
    /// Its place in its part's byte order.
    rank: usize,
}

impl Head<'_> {
    fn key(&self) -> (u64, &[u8], usize) {
        (self.prefix, self.word, self.part)
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

/// Merges the parts' sorted words into one vocabulary in byte order, and
/// gives for each part the new id of each of its own ids.
fn merge_vocabularies(parts: &[SortedPart]) -> Result<(Vocabulary, Vec<Vec<u32>>), ChainError> {
    let mut new_ids: Vec<Vec<u32>> = (parts.iter())
        .map(|part| vec![0; part.local_ids.len()])
        .collect();
    // Room for every part's words, as if no two parts shared one: pages
    // never written are never taken from the system.
    let mut vocabulary = Vocabulary::with_capacity(
        parts.iter().map(|part| part.words.len()).sum(),
        parts.iter().map(|part| part.words.bytes().len()).sum(),
    );
    let mut heads: BinaryHeap<Reverse<Head<'_>>> = BinaryHeap::with_capacity(parts.len());
    let head_of = |part: usize, rank: usize| {
        let (prefix, word) = parts[part].word_at(rank);
        Reverse(Head {
            prefix,
            word,
            part,
            rank,
        })
    };
    for (part, sorted) in parts.iter().enumerate() {
        if !sorted.local_ids.is_empty() {
            heads.push(head_of(part, 0));
        }
    }
    let mut last: Option<(u64, &[u8])> = None;
    while let Some(mut top) = heads.peek_mut() {
        let Reverse(Head {
            prefix,
            word,
            part,
            rank,
        }) = *top;
        if last != Some((prefix, word)) {
            vocabulary
                .try_push(word)
                .ok_or(ChainError::VocabularyTooLarge {
                    max_bytes: MAX_VOCABULARY_BYTES,
                })?;
            last = Some((prefix, word));
        }
        let local_id = parts[part].local_ids[rank];
        new_ids[part][local_id as usize] = vocabulary.len() as u32 - 1;
        // The part's next word takes its place at the top, and sinks as
        // far as it must: one sift instead of a pop and a push.
        if rank + 1 < parts[part].local_ids.len() {
            *top = head_of(part, rank + 1);
        } else {
            PeekMut::pop(top);
        }
    }
    vocabulary.shrink_to_fit();
    Ok((vocabulary, new_ids))
}

impl Corpus {
    /// Joins parts interned on their own, in the text's order, into one
    /// corpus of their tokens, its words numbered in byte order. A chain's
    /// ids then depend only on which words it has, not on where they first
    /// appeared, so two chains' vocabularies merge in one pass and a word's
    /// id keeps its order among another chain's ([`crate::merge`]).
    pub(super) fn join(sorted: Vec<SortedPart>, watch: Watch) -> Result<Corpus, ChainError> {
        let token_count: usize = sorted.iter().map(|part| part.ids.len()).sum();
        if token_count > MAX_WORDS {
            return Err(ChainError::TooManyWords { max: MAX_WORDS });
        }
        watch.check()?;
        let (vocabulary, new_ids) = merge_vocabularies(&sorted)?;
        watch.check()?;
        let words = vocabulary.len();
        let renumbered = on_threads(
            sorted.into_iter().zip(new_ids).collect(),
            |(part, new_ids)| {
                let SortedPart {
                    mut ids, counts, ..
                } = part;
                // A part whose words were already in byte order, and none
                // missing, keeps its ids: a text of one part often is.
                let unchanged = new_ids.len() == words
                    && (new_ids.iter().zip(0u32..)).all(|(&new, old)| new == old);
                if !unchanged {
                    for id in &mut ids {
                        *id = new_ids[*id as usize];
                    }
                }
                let mut all_counts = vec![0u32; words];
                for (&count, &new_id) in counts.iter().zip(&new_ids) {
                    all_counts[new_id as usize] = count;
                }
                Ok((ids, all_counts))
            },
        )?;
        let (parts, counts) = renumbered.into_iter().unzip();
        Ok(Corpus {
            tokens: Tokens::default(),
            vocabulary,
            parts,
            counts,
            carried: 0,
            ends_document: true,
        })
    }
}
