//! The training text as a sequence of word ids, split into words on every
//! available core.

use std::ops::Range;

use crate::build_options::{BuildOptions, Watch};
use crate::error::ChainError;
use crate::interner::Interner;
use crate::limits::MAX_WORDS;
use crate::parallel::on_threads;
use crate::segment::{can_cut_after, tokenize_part, LastBreak, TokenizedPart, MAX_PART_BYTES};
use crate::tokenize::Words;
use crate::tokens::Tokens;
use crate::vocabulary::Vocabulary;

mod chunked;
mod join;

use join::SortedPart;

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
        let mut parts = if tokens == Tokens::Words {
            on_threads(ranges, |range| {
                let part = &text[range];
                let mut words = Words::new(part);
                intern_spans(part, std::iter::from_fn(|| words.next_span()), Some(watch))
            })?
        } else {
            let parts = on_threads(ranges, |range| {
                tokenize_part(tokens, text, range, LastBreak::EndsALine, watch)
            })?;
            // The tokens were reported as they were cut.
            on_threads(parts.iter().collect(), |part: &TokenizedPart| {
                intern_spans(&part.bytes, part.spans(), None)
            })?
        };
        if !piece.carried.is_empty() {
            parts.insert(0, intern_carried(piece.carried)?);
        }
        let mut corpus = Corpus::join(parts, watch)?;
        corpus.tokens = tokens;
        corpus.carried = piece.carried.len();
        corpus.ends_document = piece.ends_document;
        Ok(corpus)
    }

    /// How many words the text has, carried ones included.
    pub fn token_count(&self) -> usize {
        self.parts.iter().map(Vec::len).sum()
    }
}

/// One part of the text, being interned on its own.
struct InternedPart {
    interner: Interner,
    /// The part as ids of its own interner.
    ids: Vec<u32>,
}

impl InternedPart {
    /// A part with room for `words` ids.
    fn with_capacity(words: usize) -> Self {
        InternedPart {
            interner: Interner::new(),
            ids: Vec::with_capacity(words),
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

    /// The part once all its words are interned: its words sorted, on
    /// the thread that interned them, ready to join the other parts.
    fn finish(mut self) -> Result<SortedPart, ChainError> {
        self.ids.shrink_to_fit();
        SortedPart::new(self.interner, self.ids)
    }
}

/// The tokens a piece carries from the piece before it, as a part of
/// their own, before the piece's text.
fn intern_carried(carried: &[&[u8]]) -> Result<SortedPart, ChainError> {
    let mut interned = InternedPart::with_capacity(carried.len());
    for token in carried {
        interned.push(token, 0, token.len())?;
    }
    interned.finish()
}

/// Interns the tokens at `spans` of `bytes`, reporting the bytes done to
/// `watch` when given one (else only checking its flag).
fn intern_spans(
    bytes: &[u8],
    spans: impl Iterator<Item = (usize, usize)>,
    progress: Option<Watch>,
) -> Result<SortedPart, ChainError> {
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
    interned.finish()
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

    proptest::proptest! {
        /// The bug it catches: parts joined with a word numbered twice, or
        /// out of byte order, or counted under another word's id, where
        /// words share their first eight bytes or repeat across parts.
        #[test]
        fn parts_join_into_the_corpus_of_one_part(
            words in proptest::collection::vec(
                proptest::sample::select(vec![
                    "a", "ab", "abcdefgh", "abcdefghi", "abcdefghij", "abcdefgh\0",
                    "b", "\u{e9}", "zzzzzzzzzzzzzzzzzz", "zzzzzzzzzzzzzzzzzy",
                ]),
                1..200,
            ),
            threads in 2usize..6,
        ) {
            let text = words.join(" ");
            let many = BuildOptions {
                threads,
                parallel_min_bytes: 0,
                ..BuildOptions::default()
            };
            let one = Corpus::from_text(text.as_bytes(), options(1, Watch::none())).unwrap();
            let joined = Corpus::from_text(text.as_bytes(), many).unwrap();
            proptest::prop_assert_eq!(&joined.vocabulary, &one.vocabulary);
            proptest::prop_assert_eq!(ids(&joined), ids(&one));
            let mut totals = vec![0u32; joined.vocabulary.len()];
            for counts in &joined.counts {
                proptest::prop_assert_eq!(counts.len(), totals.len());
                for (total, count) in totals.iter_mut().zip(counts) {
                    *total += count;
                }
            }
            proptest::prop_assert_eq!(&totals, &one.counts[0]);
        }
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
