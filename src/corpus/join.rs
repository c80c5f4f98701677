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
        let by_bytes = ids_in_byte_order(&vocabulary);
        // Copied in their order here, on the part's own thread, so that the
        // merge reads each part's words in turn, not from all over.
        let mut words = Vocabulary::with_capacity(vocabulary.len(), vocabulary.bytes().len());
        for &(_, id) in &by_bytes {
            words.push(vocabulary.word(id));
        }
        let local_ids = by_bytes.into_iter().map(|(_, id)| id).collect();
        Ok(SortedPart {
            words,
            local_ids,
            ids,
            counts,
        })
    }
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
