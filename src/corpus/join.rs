//! Joining the parts of a text, each interned on a thread of its own, into
//! one corpus whose words are numbered in byte order.
//!
//! Each part sorts its own words on the thread that interned them, as soon
//! as it is done; the sorted lists are then merged into the corpus's
//! vocabulary, as a merge of chains merges theirs
//! ([`crate::vocabulary::merge_sorted`]), which tells each part's ids
//! their new number. Each part is renumbered once, on its own thread.
//! Before, each later part's words were looked up in the earlier parts'
//! tables, then the whole vocabulary was sorted on one thread: about 40 ms
//! of WordNet's build after interning, with every part's table alive to
//! the end. Now each part's sort (about 18 ms) runs on its own thread, and
//! the merge and renumbering take about 16 ms (docs/performance.md,
//! session 20).

use super::Corpus;
use crate::build_options::Watch;
use crate::error::ChainError;
use crate::interner::Interner;
use crate::limits::MAX_WORDS;
use crate::parallel::on_threads;
use crate::tokens::Tokens;
use crate::vocabulary::{self, prefix, Vocabulary};

/// One part of the text, interned on its own, with its words in byte
/// order.
pub(super) struct SortedPart {
    /// The part's own words, in byte order: read in turn by the merge.
    words: Vocabulary,
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
        let local_ids = ids_in_byte_order(&vocabulary);
        // Copied in their order here, on the part's own thread, so that the
        // merge reads each part's words in turn, not from all over.
        let mut words = Vocabulary::with_capacity(vocabulary.len(), vocabulary.bytes().len());
        for &id in &local_ids {
            words.push(vocabulary.word(id));
        }
        Ok(SortedPart {
            words,
            local_ids,
            ids,
            counts,
        })
    }
}

/// The ids of `vocabulary` in the byte order of their words, sorted as
/// integers eight bytes of the words at a time: all by their first eight
/// bytes, then each run that ties on those by the next eight, and so on.
/// Words that share long beginnings (paths, links, numbered names) tie in
/// runs of thousands; sorting such a run by comparing whole words made a
/// call into their bytes, read from all over the vocabulary, for every
/// comparison.
fn ids_in_byte_order(vocabulary: &Vocabulary) -> Vec<u32> {
    let mut by_bytes: Vec<(u64, u64)> = (vocabulary.words().zip(0u32..))
        .map(|(word, id)| sort_key(word, 0, id))
        .collect();
    by_bytes.sort_unstable();
    // Runs still tied, each with how many bytes its words share: a stack,
    // not recursion, since a run of long words may tie for thousands of
    // bytes.
    let mut tied = Vec::new();
    push_ties(&by_bytes, 0, EIGHT_BYTES, &mut tied);
    while let Some((start, end, offset)) = tied.pop() {
        let run = &mut by_bytes[start..end];
        for entry in run.iter_mut() {
            let id = entry.1 as u32;
            *entry = sort_key(vocabulary.word(id), offset, id);
        }
        run.sort_unstable();
        push_ties(run, start, offset + EIGHT_BYTES, &mut tied);
    }
    by_bytes
        .into_iter()
        .map(|(_, length_and_id)| length_and_id as u32)
        .collect()
}

/// How many bytes of the words each round of [`ids_in_byte_order`] sorts by.
const EIGHT_BYTES: usize = 8;

/// A word's key for sorting by its bytes from `offset` on: those eight
/// bytes ([`prefix`], zero-padded), then how many bytes it has from there
/// (9 for more than eight: it ties with the words of the same eight that
/// go on), above its id. A word that ends within the eight sorts before a
/// longer word with the same bytes, padding or not.
fn sort_key(word: &[u8], offset: usize, id: u32) -> (u64, u64) {
    let rest = word.get(offset..).unwrap_or_default();
    let length = rest.len().min(EIGHT_BYTES + 1) as u64;
    (prefix(rest), length << 32 | u64::from(id))
}

/// Adds to `tied` each run of two or more `sorted` keys whose words have
/// the same eight bytes and go on past them, as its place in the whole
/// (`sorted` starts at `start`) with the bytes its words now share
/// (`offset`).
fn push_ties(
    sorted: &[(u64, u64)],
    start: usize,
    offset: usize,
    tied: &mut Vec<(usize, usize, usize)>,
) {
    let goes_on = |key: &(u64, u64)| key.1 >> 32 > EIGHT_BYTES as u64;
    let mut run_start = start;
    for run in sorted.chunk_by(|a, b| a.0 == b.0 && goes_on(a) && goes_on(b)) {
        if run.len() > 1 && goes_on(&run[0]) {
            tied.push((run_start, run_start + run.len(), offset));
        }
        run_start += run.len();
    }
}

impl Corpus {
    /// Joins parts interned on their own, in the text's order, into one
    /// corpus of their tokens, its words numbered in byte order. A chain's
    /// ids then depend only on which words it has, not on where they first
    /// appeared, so two chains' vocabularies merge in one pass and a word's
    /// id keeps its order among another chain's ([`crate::merge`]).
    pub(super) fn join(mut sorted: Vec<SortedPart>, watch: Watch) -> Result<Corpus, ChainError> {
        let token_count: usize = sorted.iter().map(|part| part.ids.len()).sum();
        if token_count > MAX_WORDS {
            return Err(ChainError::TooManyWords { max: MAX_WORDS });
        }
        watch.check()?;
        let (vocabulary, new_by_rank) = if let [only] = sorted.as_mut_slice() {
            // One part (one thread, or a short text): its sorted words are
            // the vocabulary as they are, each word's rank its new id, with
            // no merge to copy them.
            let words = std::mem::take(&mut only.words);
            let ranks = (0..words.len() as u32).collect();
            (words, vec![ranks])
        } else {
            let part_words: Vec<&Vocabulary> = sorted.iter().map(|part| &part.words).collect();
            vocabulary::merge_sorted(&part_words)?
        };
        watch.check()?;
        let words = vocabulary.len();
        let renumbered = on_threads(
            sorted.into_iter().zip(new_by_rank).collect(),
            |(part, new_by_rank)| {
                let SortedPart {
                    mut ids,
                    counts,
                    local_ids,
                    ..
                } = part;
                let mut new_ids = vec![0u32; local_ids.len()];
                for (&local_id, &new_id) in local_ids.iter().zip(&new_by_rank) {
                    new_ids[local_id as usize] = new_id;
                }
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::vocabulary::test_words::{vocabulary_of, word_of_few_bytes};

    proptest! {
        /// The bugs: a run that ties on eight bytes left in the order of
        /// its ids, or sorted by its next eight bytes only; a word that
        /// ends within eight bytes placed after a longer one with the same
        /// bytes (the padding is zeros, and so may a word's bytes be).
        /// Words of few kinds of byte share long beginnings, past 24 bytes.
        #[test]
        fn ids_are_in_the_byte_order_of_their_words(
            words in prop::collection::vec(word_of_few_bytes(0..40), 0..120),
            padding in 0usize..20,
        ) {
            // Most words begin with the same bytes, as paths and links do.
            // Each word once, in the order drawn (a vocabulary's ids are in
            // the order of first sighting, not of bytes).
            let shared = vec![b'a'; padding];
            let mut seen = std::collections::HashSet::new();
            let words: Vec<Vec<u8>> = words
                .into_iter()
                .map(|word| [shared.as_slice(), &word].concat())
                .filter(|word| seen.insert(word.clone()))
                .collect();
            let vocabulary = vocabulary_of(&words);
            let mut expected: Vec<u32> = (0..words.len() as u32).collect();
            expected.sort_by(|&a, &b| words[a as usize].cmp(&words[b as usize]));
            prop_assert_eq!(ids_in_byte_order(&vocabulary), expected);
        }
    }
}
