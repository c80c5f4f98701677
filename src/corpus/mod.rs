//! The training text as a sequence of word ids, split into words on every
//! available core.

use std::ops::Range;

use crate::build_options::{BuildOptions, Watch};
use crate::error::ChainError;
use crate::interner::Interner;
use crate::limits::{MAX_VOCABULARY_BYTES, MAX_WORDS};
use crate::parallel::{on_threads, renumber_in_parallel};
use crate::segment::{can_cut_after, tokenize_part, LastBreak, TokenizedPart, MAX_PART_BYTES};
use crate::tokenize::Words;
use crate::tokens::Tokens;
use crate::vocabulary::Vocabulary;

mod chunked;

pub use chunked::TextInChunks;

/// How many words are split between two looks at the cancel flag.
const WORDS_BETWEEN_CANCEL_CHECKS: usize = 1 << 16;

/// The words of a text, interned: each distinct word once in the
/// vocabulary, the text itself as ids in order. It owns all of that, so it
/// outlives the text it was split from; [`crate::build_from_corpus`] turns
/// it into a chain.
#[derive(Debug)]
pub struct Corpus {
    /// How the text was cut into tokens.
    pub(crate) tokens: Tokens,
    /// The distinct words, numbered in byte order.
    pub(crate) vocabulary: Vocabulary,
    /// The text as word ids, in consecutive pieces (one per thread that split
    /// it), so that no piece is copied to join them.
    pub(crate) parts: Vec<Vec<u32>>,
    /// For each part, how many times each word id occurs in it: counted
    /// by the interner, in the table slot it reads anyway, so that linking
    /// needs no counting pass of its own.
    pub(crate) counts: Vec<Vec<u32>>,
    /// How many tokens at its start are the end of the piece of its
    /// document before it, repeated ([`Piece::carried`]): 0 at the start
    /// of a document.
    pub(crate) carried: usize,
    /// Whether its document ends with it.
    pub(crate) ends_document: bool,
}

/// Where a text lies in its document, when a long document is built in
/// pieces, each merged into the chain of those before it
/// ([`crate::merge`]) so that memory stays bounded.
///
/// A piece starts with the last `order` tokens of the piece before it
/// (`carried`), so that its chain counts the transitions across the cut,
/// and none is counted twice. Neither end of a cut is a sentence start or
/// end by its place alone: the piece after decides, as the whole text
/// would. So the pieces' chains merge into the whole document's chain.
#[derive(Clone, Copy, Debug)]
pub struct Piece<'a> {
    /// The last `order` tokens of the piece before, as a chain's
    /// vocabulary holds them (see [`crate::text_tokens`]); none for the
    /// first piece of a document.
    pub carried: &'a [&'a [u8]],
    /// Whether the document ends with this piece.
    pub ends_document: bool,
}

impl Piece<'_> {
    /// A whole document: nothing carried, and its end.
    pub const WHOLE: Piece<'static> = Piece {
        carried: &[],
        ends_document: true,
    };
}

impl Corpus {
    /// Cuts `text`, a whole document, into tokens as `options.tokens` says
    /// and interns them, on as many threads as `options` allow.
    pub fn from_text(text: &[u8], options: BuildOptions) -> Result<Corpus, ChainError> {
        Corpus::from_piece(text, Piece::WHOLE, options)
    }

    /// Cuts `text`, `piece` of its document, into tokens as
    /// `options.tokens` says, after the tokens it carries, and interns
    /// them. `text` must start where its mode can cut a text in two (after
    /// a line feed, before a character that is not whitespace): its tokens
    /// are then those the whole document has there.
    pub fn from_piece(
        text: &[u8],
        piece: Piece<'_>,
        options: BuildOptions,
    ) -> Result<Corpus, ChainError> {
        let watch = options.watch;
        let tokens = options.tokens;
        let ranges = split_into_parts(text, tokens, options.threads, options.parallel_min_bytes);
        // Tells the tests how many threads split the text.
        #[cfg(feature = "fault-injection")]
        crate::build_options::test_mark(&format!("a build's parts: {}", ranges.len()));
        let mut corpus = if tokens == Tokens::Words {
            let pieces = on_threads(ranges, |range| {
                let part = &text[range];
                let mut words = Words::new(part);
                intern_spans(part, std::iter::from_fn(|| words.next_span()), Some(watch))
            })?;
            Corpus::merge(pieces, watch)?
        } else {
            let parts = on_threads(ranges, |range| {
                tokenize_part(tokens, text, range, LastBreak::EndsALine, watch)
            })?;
            // The tokens were reported as they were cut.
            let pieces = on_threads(parts.iter().collect(), |part: &TokenizedPart| {
                intern_spans(&part.bytes, part.spans(), None)
            })?;
            Corpus::merge(pieces, watch)?
        };
        corpus.tokens = tokens;
        corpus.carry(piece.carried)?;
        corpus.ends_document = piece.ends_document;
        // On as many threads as split it: no more, since each thread that
        // allocates may keep an arena of its own.
        let threads = corpus.parts.len();
        corpus.sort_vocabulary(threads)?;
        Ok(corpus)
    }

    /// Puts `carried` tokens before the text, as a part of their own.
    fn carry(&mut self, carried: &[&[u8]]) -> Result<(), ChainError> {
        if carried.is_empty() {
            return Ok(());
        }
        if self.token_count() + carried.len() > MAX_WORDS {
            return Err(ChainError::TooManyWords { max: MAX_WORDS });
        }
        let found = self.vocabulary.find_all(carried);
        let mut ids = Vec::with_capacity(carried.len());
        for (index, (&token, found)) in carried.iter().zip(found).enumerate() {
            // A token the text lacks, carried twice, is added once.
            let earlier = || {
                (carried[..index].iter().zip(&ids))
                    .find(|(&before, _)| before == token)
                    .map(|(_, &id)| id)
            };
            let id = match found.or_else(earlier) {
                Some(id) => id,
                None => self
                    .vocabulary
                    .try_push(token)
                    .ok_or(ChainError::VocabularyTooLarge {
                        max_bytes: MAX_VOCABULARY_BYTES,
                    })?,
            };
            ids.push(id);
        }
        let words = self.vocabulary.len();
        for counts in &mut self.counts {
            counts.resize(words, 0);
        }
        let mut counts = vec![0u32; words];
        for &id in &ids {
            counts[id as usize] += 1;
        }
        self.parts.insert(0, ids);
        self.counts.insert(0, counts);
        self.carried = carried.len();
        Ok(())
    }

    /// Renumbers the words in byte order. A chain's ids then depend only
    /// on which words it has, not on where they first appeared, so two
    /// chains' vocabularies merge in one pass and a word's id keeps its
    /// order among another chain's ([`crate::merge`]).
    fn sort_vocabulary(&mut self, threads: usize) -> Result<(), ChainError> {
        let vocabulary = &self.vocabulary;
        // Sorted by their first eight bytes, kept beside the ids, then
        // each run of ties by the whole words: few compares reach into the
        // words.
        let prefix = |word: &[u8]| {
            let mut bytes = [0u8; 8];
            let length = word.len().min(8);
            bytes[..length].copy_from_slice(&word[..length]);
            u64::from_be_bytes(bytes)
        };
        let mut by_bytes: Vec<(u64, u32)> = (0..vocabulary.len() as u32)
            .map(|id| (prefix(vocabulary.word(id)), id))
            .collect();
        by_bytes.sort_unstable();
        for tied in by_bytes.chunk_by_mut(|a, b| a.0 == b.0) {
            if tied.len() > 1 {
                tied.sort_unstable_by(|&(_, a), &(_, b)| {
                    vocabulary.word(a).cmp(vocabulary.word(b))
                });
            }
        }
        if (by_bytes.iter().enumerate()).all(|(rank, &(_, id))| rank == id as usize) {
            return Ok(());
        }
        let mut sorted = Vocabulary::default();
        let mut new_ids = vec![0u32; by_bytes.len()];
        for &(_, id) in &by_bytes {
            new_ids[id as usize] = sorted.push(vocabulary.word(id));
        }
        renumber_in_parallel(
            self.parts.iter_mut().map(Vec::as_mut_slice),
            &new_ids,
            threads,
        )?;
        for counts in &mut self.counts {
            let mut renumbered = vec![0u32; counts.len()];
            for (&count, &new_id) in counts.iter().zip(&new_ids) {
                renumbered[new_id as usize] = count;
            }
            *counts = renumbered;
        }
        self.vocabulary = sorted;
        Ok(())
    }

    /// Joins parts interned on their own into one corpus. The first part's
    /// words keep their ids. Each later part's words are looked up, on
    /// every thread, in the interners of the parts before it, which no
    /// longer change; those no earlier part has are numbered next, in order
    /// of first appearance, and the part is renumbered to match.
    fn merge(pieces: Vec<InternedPart>, watch: Watch) -> Result<Corpus, ChainError> {
        let token_count: usize = pieces.iter().map(|piece| piece.ids.len()).sum();
        if token_count > MAX_WORDS {
            return Err(ChainError::TooManyWords { max: MAX_WORDS });
        }
        let threads = pieces.len();
        let mut pieces = pieces.into_iter();
        let Some(first) = pieces.next() else {
            return Ok(Corpus {
                tokens: Tokens::default(),
                vocabulary: Vocabulary::default(),
                parts: Vec::new(),
                counts: Vec::new(),
                carried: 0,
                ends_document: true,
            });
        };
        let InternedPart {
            interner: mut first_interner,
            ids,
            counts,
        } = first;
        let mut vocabulary = first_interner.take_vocabulary()?;
        let mut parts = vec![ids];
        let mut part_counts = vec![counts];
        // Each later part is looked up in the first part's interner, then
        // in those of the parts between, with how their ids were renumbered.
        let mut searched = Vec::with_capacity(threads - 1);
        for piece in pieces {
            watch.check()?;
            let InternedPart {
                mut interner,
                mut ids,
                counts,
            } = piece;
            let piece_vocabulary = interner.take_vocabulary()?;
            let found = find_in_parallel(
                (&first_interner, &vocabulary),
                &searched,
                &piece_vocabulary,
                threads,
            )?;
            let mut global_ids = Vec::with_capacity(found.len());
            for (local, found) in found.into_iter().enumerate() {
                let id = match found {
                    Some(id) => id,
                    None => {
                        let word = piece_vocabulary.word(local as u32);
                        vocabulary
                            .try_push(word)
                            .ok_or(ChainError::VocabularyTooLarge {
                                max_bytes: MAX_VOCABULARY_BYTES,
                            })?
                    }
                };
                global_ids.push(id);
            }
            renumber_in_parallel([ids.as_mut_slice()], &global_ids, threads)?;
            parts.push(ids);
            let mut global_counts = vec![0; vocabulary.len()];
            for (&id, count) in global_ids.iter().zip(counts) {
                global_counts[id as usize] = count;
            }
            part_counts.push(global_counts);
            searched.push((interner, piece_vocabulary, global_ids));
        }
        // Every part's counts cover the whole vocabulary.
        for counts in &mut part_counts {
            counts.resize(vocabulary.len(), 0);
        }
        vocabulary.shrink_to_fit();
        Ok(Corpus {
            tokens: Tokens::default(),
            vocabulary,
            parts,
            counts: part_counts,
            carried: 0,
            ends_document: true,
        })
    }

    /// How many words the text has, carried ones included.
    pub fn token_count(&self) -> usize {
        self.parts.iter().map(Vec::len).sum()
    }
}

/// The id that each word of `vocabulary` already has, if any, looked up
/// on `threads` threads: its id in `first`, or, failing that, what its id
/// in one of `later` was renumbered to. Each interner comes with the words
/// it took.
fn find_in_parallel(
    (first, first_words): (&Interner, &Vocabulary),
    later: &[(Interner, Vocabulary, Vec<u32>)],
    vocabulary: &Vocabulary,
    threads: usize,
) -> Result<Vec<Option<u32>>, ChainError> {
    let find = |word: &[u8]| {
        first.find(word, first_words).or_else(|| {
            later.iter().find_map(|(interner, words, global_ids)| {
                interner.find(word, words).map(|id| global_ids[id as usize])
            })
        })
    };
    let size = vocabulary.len().div_ceil(threads.max(1)).max(1);
    let ranges: Vec<_> = (0..vocabulary.len())
        .step_by(size)
        .map(|start| start..(start + size).min(vocabulary.len()))
        .collect();
    let found = on_threads(ranges, |ids| {
        Ok(ids
            .map(|id| find(vocabulary.word(id as u32)))
            .collect::<Vec<_>>())
    })?;
    Ok(found.concat())
}

/// One part of the text, interned on its own.
struct InternedPart {
    interner: Interner,
    /// The part as ids of its own interner.
    ids: Vec<u32>,
    /// How many times each of those ids occurs in the part.
    counts: Vec<u32>,
}

impl InternedPart {
    /// A part with room for `words` ids.
    fn with_capacity(words: usize) -> Self {
        InternedPart {
            interner: Interner::new(),
            ids: Vec::with_capacity(words),
            counts: Vec::new(),
        }
    }

    /// Interns the word at `bytes[start..end]`, the part's next, or says
    /// that the part has more words than a chain may.
    #[inline]
    fn push(&mut self, bytes: &[u8], start: usize, end: usize) -> Result<(), ChainError> {
        if self.ids.len() % WORDS_BETWEEN_CANCEL_CHECKS == 0 && self.ids.len() > MAX_WORDS {
            return Err(ChainError::TooManyWords { max: MAX_WORDS });
        }
        self.ids.push(self.interner.intern_span(bytes, start, end));
        Ok(())
    }

    /// The part once all its words are interned: counted, and its ids
    /// without spare room.
    fn finish(mut self) -> Self {
        self.ids.shrink_to_fit();
        self.counts = self.interner.counts();
        self
    }
}

/// Interns the tokens at `spans` of `bytes`, reporting the bytes done to
/// `watch` when given one (else only checking its flag).
fn intern_spans(
    bytes: &[u8],
    spans: impl Iterator<Item = (usize, usize)>,
    progress: Option<Watch>,
) -> Result<InternedPart, ChainError> {
    // About six bytes a word in English prose: a guess that saves most of
    // the regrowth without reserving much too much.
    let mut interned = InternedPart::with_capacity(bytes.len() / 6);
    let watch = progress.unwrap_or_default();
    let mut reported = 0;
    for (position, (start, end)) in spans.enumerate() {
        if position % WORDS_BETWEEN_CANCEL_CHECKS == 0 {
            watch.advance(start - reported)?;
            reported = start;
        }
        interned.push(bytes, start, end)?;
    }
    watch.advance(bytes.len() - reported)?;
    Ok(interned.finish())
}

/// How many parts a text of `length` bytes (or characters) is split into on
/// `threads` threads: one for a text under `min_bytes`, and beyond two,
/// parts of at least [`PART_MIN_BYTES_FACTOR`] times `min_bytes`.
fn part_count(length: usize, threads: usize, min_bytes: usize) -> usize {
    if length < min_bytes {
        return 1;
    }
    let worth = (length / (PART_MIN_BYTES_FACTOR * min_bytes).max(1)).max(2);
    threads.clamp(1, worth)
}

/// How many times `min_bytes` a part holds at least, beyond the first two.
const PART_MIN_BYTES_FACTOR: usize = 4;

/// Cuts `text` into at most `threads` parts of similar size (more when
/// `tokens` mode caps their size), each cut where the mode may cut it
/// ([`can_cut_after`]) so that no token is cut in two. Text with no such
/// place near a cut stays in fewer, larger parts.
///
/// Each part keeps an interner and a count of every word of the text, so
/// parts beyond two hold at least four times `min_bytes` each: with many
/// threads, memory then grows with the text, not with the threads.
fn split_into_parts(
    text: &[u8],
    tokens: Tokens,
    threads: usize,
    min_bytes: usize,
) -> Vec<Range<usize>> {
    let threads = part_count(text.len(), threads, min_bytes);
    let max_part = if tokens == Tokens::Words {
        usize::MAX
    } else {
        MAX_PART_BYTES
    };
    if threads == 1 && text.len() <= max_part {
        return std::iter::once(0..text.len()).collect();
    }
    let target = (text.len() / threads).clamp(1, max_part);
    let mut parts = Vec::with_capacity(threads);
    let mut start = 0;
    while (parts.len() + 1 < threads || text.len() - start > max_part)
        && text.len() - start > target
    {
        let search = start + target - 1..start.saturating_add(max_part).min(text.len());
        match search
            .clone()
            .position(|at| can_cut_after(tokens, text, at))
        {
            Some(offset) => {
                let cut = start + target + offset;
                parts.push(start..cut);
                start = cut;
            }
            None => break,
        }
    }
    parts.push(start..text.len());
    parts
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;

    use super::*;
    use crate::build_options::PARALLEL_MIN_BYTES;

    pub(super) fn options(threads: usize, watch: Watch) -> BuildOptions {
        BuildOptions {
            threads,
            watch,
            ..BuildOptions::default()
        }
    }

    pub(super) fn ids(corpus: &Corpus) -> Vec<u32> {
        corpus.parts.iter().flatten().copied().collect()
    }

    fn words_of(corpus: &Corpus) -> Vec<&[u8]> {
        ids(corpus)
            .into_iter()
            .map(|id| corpus.vocabulary.word(id))
            .collect()
    }

    #[test]
    fn ids_are_numbered_in_byte_order() {
        // The bug: ids by first appearance, which differ between texts
        // and so cannot be merged in one pass.
        let corpus = Corpus::from_text(b"b a b c a", options(1, Watch::none())).unwrap();
        assert_eq!(ids(&corpus), [1, 0, 1, 2, 0]);
        assert_eq!(corpus.vocabulary.word(0), b"a");
        // The counts follow the words to their new ids.
        assert_eq!(corpus.counts, [vec![2, 2, 1]]);
    }

    #[test]
    fn threads_split_the_same_words_as_one() {
        let sentence = "the cat sat on the mat\u{3000}and the dog\u{a0}ate the cat\n";
        let text = sentence.repeat(PARALLEL_MIN_BYTES / sentence.len() * 3);
        let serial = Corpus::from_text(text.as_bytes(), options(1, Watch::none())).unwrap();
        // With a lower threshold, the text makes three parts.
        let three_parts = BuildOptions {
            parallel_min_bytes: PARALLEL_MIN_BYTES / (2 * PART_MIN_BYTES_FACTOR),
            ..options(3, Watch::none())
        };
        let parallel = Corpus::from_text(text.as_bytes(), three_parts).unwrap();
        assert_eq!(parallel.parts.len(), 3);
        // With the threshold as it is, a part holds at least four times
        // it: the text makes two, however many threads there are.
        let many = Corpus::from_text(text.as_bytes(), options(64, Watch::none())).unwrap();
        assert_eq!(many.parts.len(), 2);
        assert_eq!(ids(&serial), ids(&parallel));
        assert_eq!(words_of(&serial), words_of(&parallel));
    }

    #[test]
    fn a_word_first_met_after_the_first_part_keeps_one_id() {
        // Three parts of 600 bytes: "new" and "later" first appear in the
        // second part and again in the third, "last" only in the third.
        let text = [
            "a ".repeat(300),
            "new later ".repeat(60),
            "later new last ".repeat(40),
        ]
        .concat();
        let options = |threads| BuildOptions {
            threads,
            parallel_min_bytes: 0,
            ..BuildOptions::default()
        };
        let serial = Corpus::from_text(text.as_bytes(), options(1)).unwrap();
        let parallel = Corpus::from_text(text.as_bytes(), options(3)).unwrap();
        assert_eq!(parallel.parts.len(), 3);
        assert_eq!(ids(&parallel), ids(&serial));
        assert_eq!(parallel.vocabulary, serial.vocabulary);
        assert_eq!(parallel.vocabulary.len(), 4);
        let totals = |corpus: &Corpus| {
            let mut totals = vec![0; corpus.vocabulary.len()];
            for counts in &corpus.counts {
                for (total, count) in totals.iter_mut().zip(counts) {
                    *total += count;
                }
            }
            totals
        };
        // a, last, later, new
        assert_eq!(totals(&parallel), [300, 40, 100, 100]);
        assert_eq!(totals(&serial), totals(&parallel));
    }

    #[test]
    fn text_without_ascii_spaces_stays_whole() {
        let text = "word\u{3000}".repeat(PARALLEL_MIN_BYTES);
        let parts = split_into_parts(text.as_bytes(), Tokens::Words, 4, PARALLEL_MIN_BYTES);
        assert_eq!(parts.len(), 1);
    }

    #[test]
    fn words_of_every_length_keep_apart() {
        // Words that share their first and last eight bytes, or all but one
        // byte, or differ only in length; some end the text, where fewer
        // than eight bytes follow them.
        let mut words = Vec::new();
        for length in 1..=40 {
            let base = "ab".repeat(length)[..length].to_string();
            let mut changed = base.clone().into_bytes();
            changed[length / 2] = b'z';
            words.push(base);
            words.push(String::from_utf8(changed).unwrap());
            words.push("\0".repeat(length));
        }
        let text = words.join(" ");
        for threads in [1, 3] {
            let options = BuildOptions {
                threads,
                parallel_min_bytes: 0,
                ..BuildOptions::default()
            };
            let corpus = Corpus::from_text(text.as_bytes(), options).unwrap();
            let sorted: std::collections::BTreeSet<&str> = text.split(' ').collect();
            let id_of = |word: &str| sorted.iter().position(|&seen| seen == word).unwrap() as u32;
            let expected: Vec<u32> = text.split(' ').map(id_of).collect();
            assert_eq!(ids(&corpus), expected, "{threads} threads");
            assert_eq!(
                words_of(&corpus),
                text.split(' ').map(str::as_bytes).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn a_raised_flag_cancels() {
        let flag = AtomicBool::new(true);
        let error =
            Corpus::from_text(b"some words", options(1, Watch::cancelled_by(&flag))).unwrap_err();
        assert_eq!(error, ChainError::Cancelled);
    }
}
