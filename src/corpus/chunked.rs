//! A text read a chunk at a time, by characters, into a corpus: for a
//! text of which a build should hold no UTF-8 copy of its own, such as a
//! long Python string that is not ASCII.

use std::ops::Range;

use super::{part_count, Corpus, InternedPart, SortedPart};
use crate::build_options::{BuildOptions, Watch};
use crate::error::ChainError;
use crate::parallel::on_threads;
use crate::tokenize::{is_ascii_separator, starts_a_character, Words};
use crate::tokens::Tokens;

/// A whole document handed to a build a piece at a time, by characters:
/// for a text of which the build should hold no UTF-8 copy of its own, such
/// as a Python string, which is encoded a chunk at a time as each thread
/// reaches it ([`Corpus::from_chunks`]).
pub trait TextInChunks: Sync {
    /// How many characters it has.
    fn char_count(&self) -> usize;

    /// Appends its characters `chars` to `buffer`, as UTF-8. An error
    /// stops the build; [`ChainError::Cancelled`] is what a source that
    /// keeps an error of its own gives.
    fn read(&self, chars: Range<usize>, buffer: &mut Vec<u8>) -> Result<(), ChainError>;

    /// How many characters a thread reads at a time: by default 2^20, a
    /// few megabytes of UTF-8 at most.
    fn chunk_chars(&self) -> usize {
        1 << 20
    }
}

impl Corpus {
    /// Cuts `text`, a whole document, into words (the words mode) and
    /// interns them, as [`Corpus::from_text`] does for its UTF-8. Each
    /// thread reads its part a chunk at a time, so that no more than a
    /// chunk a thread is held besides `text`. Progress is reported in
    /// characters.
    pub fn from_chunks(
        text: &impl TextInChunks,
        options: BuildOptions,
    ) -> Result<Corpus, ChainError> {
        let watch = options.watch;
        let parts = part_count(
            text.char_count(),
            options.threads,
            options.parallel_min_bytes,
        );
        let ranges = cut_chunked_text(text, parts)?;
        // Tells the tests how many threads split the text.
        #[cfg(feature = "fault-injection")]
        crate::build_options::test_mark(&format!("a build's parts: {}", ranges.len()));
        let pieces = on_threads(ranges, |range| intern_chunks(text, range, watch))?;
        let mut corpus = Corpus::join(pieces, watch)?;
        corpus.tokens = Tokens::Words;
        Ok(corpus)
    }
}

/// Interns the words of the characters `chars` of `text`, read a chunk at
/// a time into one buffer. A word that runs to the end of a chunk may go on
/// in the next, so it waits, at the start of the buffer, for the next
/// chunk to be read after it. Reports the characters done to `watch`.
fn intern_chunks(
    text: &impl TextInChunks,
    chars: Range<usize>,
    watch: Watch,
) -> Result<SortedPart, ChainError> {
    let mut interned = InternedPart::with_capacity(chars.len() / 6);
    let mut buffer = Vec::new();
    let mut at = chars.start;
    while at < chars.end {
        watch.check()?;
        let next = at.saturating_add(text.chunk_chars().max(1)).min(chars.end);
        text.read(at..next, &mut buffer)?;
        let is_last = next == chars.end;
        let mut words = Words::new(&buffer);
        let mut waiting = buffer.len();
        while let Some((start, end)) = words.next_span() {
            if end == buffer.len() && !is_last {
                waiting = start;
                break;
            }
            interned.push(&buffer, start, end)?;
        }
        buffer.drain(..waiting);
        watch.advance(next - at)?;
        at = next;
    }
    interned.finish()
}

/// Cuts the characters of `text` into at most `parts` ranges of similar
/// size, each cut after an ASCII separator so that no word is cut in two.
/// Text with no such place after a cut stays in fewer, larger parts.
fn cut_chunked_text(
    text: &impl TextInChunks,
    parts: usize,
) -> Result<Vec<Range<usize>>, ChainError> {
    let length = text.char_count();
    let target = length / parts.max(1);
    let mut ranges = Vec::with_capacity(parts);
    let mut start = 0;
    let mut window = Vec::new();
    while ranges.len() + 1 < parts && length - start > target {
        // The first separator from the target on, looked for a window at
        // a time; its place counted in characters, which are the bytes that
        // do not continue one.
        let mut at = start + target;
        let cut = loop {
            if at >= length {
                break None;
            }
            let end = at.saturating_add(SEPARATOR_WINDOW_CHARS).min(length);
            window.clear();
            text.read(at..end, &mut window)?;
            if let Some(found) = window.iter().position(|&byte| is_ascii_separator(byte)) {
                let before = window[..found]
                    .iter()
                    .filter(|&&byte| starts_a_character(byte))
                    .count();
                break Some(at + before + 1);
            }
            at = end;
        };
        let Some(cut) = cut else { break };
        ranges.push(start..cut);
        start = cut;
    }
    ranges.push(start..length);
    Ok(ranges)
}

/// How many characters are read at a time in looking for a place to cut.
const SEPARATOR_WINDOW_CHARS: usize = 4096;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::tests::{ids, options};

    /// A text read in chunks of a few characters.
    struct InChunks<'a> {
        chars: Vec<char>,
        chunk_chars: usize,
        reads: &'a std::sync::atomic::AtomicUsize,
    }

    impl TextInChunks for InChunks<'_> {
        fn char_count(&self) -> usize {
            self.chars.len()
        }

        fn read(&self, chars: Range<usize>, buffer: &mut Vec<u8>) -> Result<(), ChainError> {
            self.reads
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let text: String = self.chars[chars].iter().collect();
            buffer.extend_from_slice(text.as_bytes());
            Ok(())
        }

        fn chunk_chars(&self) -> usize {
            self.chunk_chars
        }
    }

    #[test]
    fn a_text_read_in_chunks_has_the_words_of_it_read_whole() {
        // The bugs: a word cut in two where a chunk or a part ends, or one
        // that runs to a chunk's end counted before the rest of it is read.
        // Words longer than a chunk (and than the interner's 16 bytes),
        // separators that are not ASCII, and whitespace at both ends.
        let text = format!(
            "  día {long} día\u{3000}noche\u{a0}día {long}x é\nnoche\t{long}  é día é  \n",
            long = "ñandúes-".repeat(4)
        )
        .repeat(40);
        let reads = std::sync::atomic::AtomicUsize::new(0);
        let whole = Corpus::from_text(text.as_bytes(), options(1, Watch::none())).unwrap();
        for threads in [1, 2, 3] {
            for chunk_chars in [1, 2, 3, 7, 64, 10_000] {
                let chunked = InChunks {
                    chars: text.chars().collect(),
                    chunk_chars,
                    reads: &reads,
                };
                let options = BuildOptions {
                    parallel_min_bytes: 0,
                    ..options(threads, Watch::none())
                };
                let corpus = Corpus::from_chunks(&chunked, options).unwrap();
                let case = format!("{threads} threads, chunks of {chunk_chars}");
                assert_eq!(corpus.parts.len(), threads, "{case}");
                assert_eq!(ids(&corpus), ids(&whole), "{case}");
                assert_eq!(corpus.vocabulary, whole.vocabulary, "{case}");
                let total = |corpus: &Corpus| -> Vec<u32> {
                    (0..corpus.vocabulary.len())
                        .map(|id| corpus.counts.iter().map(|counts| counts[id]).sum())
                        .collect()
                };
                assert_eq!(total(&corpus), total(&whole), "{case}");
            }
        }
        // Read a chunk at a time, not whole.
        assert!(reads.into_inner() > text.chars().count());
    }
}
