//! The training text as a sequence of word ids, split into words on every
//! available core.

use std::sync::atomic::{AtomicBool, Ordering};

use rustc_hash::FxHashMap;

use crate::chain::BuildOptions;
use crate::error::ChainError;
use crate::parallel::on_threads;
use crate::tokenize::{is_ascii_separator, Words};
use crate::vocabulary::Vocabulary;

/// Texts shorter than this are split on the calling thread by default: below
/// it, starting threads costs more than it saves.
pub(crate) const PARALLEL_MIN_BYTES: usize = 4 << 20;

/// How many words are split between two looks at the cancel flag.
const WORDS_BETWEEN_CANCEL_CHECKS: usize = 1 << 16;

/// The largest number of words a corpus may hold: ids and offsets are `u32`.
pub const MAX_WORDS: usize = u32::MAX as usize - 1;

/// A flag that another thread may raise to stop a long build.
#[derive(Clone, Copy, Debug, Default)]
pub struct Cancel<'flag>(Option<&'flag AtomicBool>);

impl<'flag> Cancel<'flag> {
    /// A build that can be stopped by setting `flag`.
    pub fn on(flag: &'flag AtomicBool) -> Self {
        Cancel(Some(flag))
    }

    /// A build that always runs to the end.
    pub fn never() -> Self {
        Cancel(None)
    }

    /// Fails with [`ChainError::Cancelled`] once the flag is raised.
    pub fn check(self) -> Result<(), ChainError> {
        match self.0 {
            Some(flag) if flag.load(Ordering::Relaxed) => Err(ChainError::Cancelled),
            _ => Ok(()),
        }
    }
}

/// The words of a text, interned: each distinct word once in the
/// vocabulary, the text itself as ids in order. It owns all of that, so it
/// outlives the text it was split from; [`crate::Chain::from_corpus`] turns
/// it into a chain.
#[derive(Debug)]
pub struct Corpus {
    /// The distinct words, numbered in order of first appearance.
    pub(crate) vocabulary: Vocabulary,
    /// The text as word ids, in consecutive pieces (one per thread that split
    /// it), so that no piece is copied to join them.
    pub(crate) segments: Vec<Vec<u32>>,
}

impl Corpus {
    /// Splits `text` into words and interns them, on as many threads as
    /// `options` allow.
    pub fn from_text(text: &[u8], options: BuildOptions) -> Result<Corpus, ChainError> {
        let cancel = options.cancel;
        let parts = split_into_parts(text, options.threads, options.parallel_min_bytes);
        let mut pieces = on_threads(parts, |part| intern_part(part, cancel))?;
        let word_count: usize = pieces.iter().map(|piece| piece.ids.len()).sum();
        if word_count > MAX_WORDS {
            return Err(ChainError::TooManyWords);
        }
        let first = pieces.remove(0);
        let mut interner = first.interner;
        let mut segments = vec![first.ids];
        for mut piece in pieces {
            cancel.check()?;
            let global_ids: Vec<u32> = piece
                .interner
                .words
                .iter()
                .map(|&word| interner.intern(word))
                .collect();
            for id in &mut piece.ids {
                *id = global_ids[*id as usize];
            }
            segments.push(piece.ids);
        }
        let mut vocabulary = Vocabulary::default();
        for word in &interner.words {
            vocabulary.push(word);
        }
        vocabulary.shrink_to_fit();
        Ok(Corpus {
            vocabulary,
            segments,
        })
    }

    /// How many words the text has.
    pub fn word_count(&self) -> usize {
        self.segments.iter().map(Vec::len).sum()
    }

    /// The vocabulary, and the word ids of the text in one vector.
    pub(crate) fn into_parts(mut self) -> (Vocabulary, Vec<u32>) {
        let ids = if self.segments.len() == 1 {
            self.segments.pop().unwrap_or_default()
        } else {
            let mut ids = Vec::with_capacity(self.word_count());
            for segment in self.segments {
                ids.extend_from_slice(&segment);
            }
            ids
        };
        (self.vocabulary, ids)
    }
}

/// Gives each distinct word an id, in order of first appearance.
#[derive(Default)]
struct Interner<'text> {
    /// Words of up to seven bytes, packed with their length into a `u64`:
    /// most words of prose, hashed and compared in one instruction each.
    short: FxHashMap<u64, u32>,
    /// Longer words, as slices of the text.
    long: FxHashMap<&'text [u8], u32>,
    /// The distinct words, indexed by id.
    words: Vec<&'text [u8]>,
}

impl<'text> Interner<'text> {
    fn intern(&mut self, word: &'text [u8]) -> u32 {
        let words = &mut self.words;
        let add = || {
            words.push(word);
            (words.len() - 1) as u32
        };
        if word.len() < 8 {
            let mut packed = [0u8; 8];
            packed[..word.len()].copy_from_slice(word);
            packed[7] = word.len() as u8;
            *self
                .short
                .entry(u64::from_le_bytes(packed))
                .or_insert_with(add)
        } else {
            *self.long.entry(word).or_insert_with(add)
        }
    }
}

/// One part of the text, interned on its own.
struct InternedPart<'text> {
    interner: Interner<'text>,
    /// The part as ids of its own interner.
    ids: Vec<u32>,
}

fn intern_part<'text>(
    part: &'text [u8],
    cancel: Cancel,
) -> Result<InternedPart<'text>, ChainError> {
    let mut interned = InternedPart {
        interner: Interner::default(),
        // About six bytes a word in English prose: a guess that saves most
        // of the regrowth without reserving much too much.
        ids: Vec::with_capacity(part.len() / 6),
    };
    for (position, word) in Words::new(part).enumerate() {
        if position % WORDS_BETWEEN_CANCEL_CHECKS == 0 {
            cancel.check()?;
            if position > MAX_WORDS {
                return Err(ChainError::TooManyWords);
            }
        }
        let id = interned.interner.intern(word);
        interned.ids.push(id);
    }
    interned.ids.shrink_to_fit();
    Ok(interned)
}

/// Cuts `text` into at most `threads` parts of similar size, each cut at a
/// one-byte whitespace character so that no word is cut in two. Text with no
/// such character near a cut stays in fewer, larger parts.
fn split_into_parts(text: &[u8], threads: usize, min_bytes: usize) -> Vec<&[u8]> {
    let threads = threads.max(1);
    if threads == 1 || text.len() < min_bytes {
        return vec![text];
    }
    let target = text.len() / threads;
    let mut parts = Vec::with_capacity(threads);
    let mut rest = text;
    while parts.len() + 1 < threads && rest.len() > target {
        match rest[target..]
            .iter()
            .position(|&byte| is_ascii_separator(byte))
        {
            Some(offset) => {
                let (part, tail) = rest.split_at(target + offset);
                parts.push(part);
                rest = tail;
            }
            None => break,
        }
    }
    parts.push(rest);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(threads: usize, cancel: Cancel) -> BuildOptions {
        BuildOptions {
            threads,
            cancel,
            ..BuildOptions::default()
        }
    }

    fn ids(corpus: &Corpus) -> Vec<u32> {
        corpus.segments.iter().flatten().copied().collect()
    }

    fn words_of(corpus: &Corpus) -> Vec<&[u8]> {
        ids(corpus)
            .into_iter()
            .map(|id| corpus.vocabulary.word(id))
            .collect()
    }

    #[test]
    fn ids_are_numbered_by_first_appearance() {
        let corpus = Corpus::from_text(b"b a b c a", options(1, Cancel::never())).unwrap();
        assert_eq!(ids(&corpus), [0, 1, 0, 2, 1]);
        assert_eq!(corpus.vocabulary.word(2), b"c");
    }

    #[test]
    fn threads_split_the_same_words_as_one() {
        let sentence = "the cat sat on the mat\u{3000}and the dog\u{a0}ate the cat\n";
        let text = sentence.repeat(PARALLEL_MIN_BYTES / sentence.len() * 3);
        let serial = Corpus::from_text(text.as_bytes(), options(1, Cancel::never())).unwrap();
        let parallel = Corpus::from_text(text.as_bytes(), options(3, Cancel::never())).unwrap();
        assert_eq!(parallel.segments.len(), 3);
        assert_eq!(ids(&serial), ids(&parallel));
        assert_eq!(words_of(&serial), words_of(&parallel));
    }

    #[test]
    fn text_without_ascii_spaces_stays_whole() {
        let text = "word\u{3000}".repeat(PARALLEL_MIN_BYTES);
        let parts = split_into_parts(text.as_bytes(), 4, PARALLEL_MIN_BYTES);
        assert_eq!(parts.len(), 1);
    }

    #[test]
    fn a_raised_flag_cancels() {
        let flag = AtomicBool::new(true);
        let error = Corpus::from_text(b"some words", options(1, Cancel::on(&flag))).unwrap_err();
        assert_eq!(error, ChainError::Cancelled);
    }
}
