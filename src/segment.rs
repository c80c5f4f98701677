//! Cutting text into tokens in the `lines`, `unicode` and `chars` modes:
//! each token as the vocabulary holds it, its break included.
//!
//! `words` mode needs none of this: its tokens are spans of the text
//! itself, which [`crate::Words`] finds without copying. In the other modes
//! a token's break is normalized (a tab and two spaces become one space),
//! so the tokens of a part are written one after another into a buffer of
//! their own, which the interner then reads as it reads a text.

use std::ops::Range;

use icu_segmenter::options::WordBreakInvariantOptions;
use icu_segmenter::{GraphemeClusterSegmenter, WordSegmenter};

use crate::ascii_words::ascii_word_ends;
use crate::build_options::Watch;
use crate::error::ChainError;
use crate::tokenize::{whitespace_len, Words};
use crate::tokens::{break_at_end, break_of_gap, Tokens, NO_BREAK};

/// How many tokens are cut between two looks at the cancel flag.
const TOKENS_BETWEEN_CANCEL_CHECKS: usize = 1 << 16;

/// A part of a text cut into tokens: the tokens one after another, each
/// with its break, and where each ends.
#[derive(Debug, Default)]
pub(crate) struct TokenizedPart {
    pub(crate) bytes: Vec<u8>,
    pub(crate) ends: Vec<u32>,
    /// Whether the last token was written without a break because it ends
    /// the text with nothing after it ([`LastBreak::Open`]).
    pub(crate) last_is_open: bool,
}

impl TokenizedPart {
    /// Where each token starts and ends in [`TokenizedPart::bytes`].
    pub(crate) fn spans(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .map(|(start, &end)| (start as usize, end as usize))
    }
}

/// What the last token of a text gets for a break.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LastBreak {
    /// At least a line break: the text ends there, as a line does. For
    /// training text.
    EndsALine,
    /// None when no whitespace follows it: a prompt's last token may go on
    /// with any break, so it is matched with each.
    Open,
}

/// Cuts the tokens that start in `text[range]` (in a mode other than
/// `words`) into a [`TokenizedPart`], reporting the bytes done to `watch`.
/// The last token's break is read from the text after `range` when there
/// is more; `range` must start and end where the mode may cut the text
/// ([`can_cut_after`]).
pub(crate) fn tokenize_part(
    tokens: Tokens,
    text: &[u8],
    range: Range<usize>,
    last_break: LastBreak,
    watch: Watch,
) -> Result<TokenizedPart, ChainError> {
    if range.len() > MAX_PART_BYTES {
        return Err(ChainError::LineTooLong {
            max_bytes: MAX_PART_BYTES,
        });
    }
    let mut part = TokenizedPart {
        bytes: Vec::with_capacity(range.len() + 2),
        ends: Vec::new(),
        last_is_open: false,
    };
    let mut writer = BreakWriter {
        tokens,
        text,
        part: &mut part,
        pending: None,
        reported: range.start,
        watch,
    };
    visit_spans(tokens, text, range.clone(), |start, end| {
        writer.push(start, end)
    })?;
    writer.finish(last_break);
    let reported = writer.reported;
    watch.advance(range.end - reported)?;
    Ok(part)
}

/// Writes each token followed by its break, which it knows once it sees
/// where the next token starts.
struct BreakWriter<'a, 'w> {
    tokens: Tokens,
    text: &'a [u8],
    part: &'a mut TokenizedPart,
    /// The last token seen, not yet written.
    pending: Option<(usize, usize)>,
    /// How much of the text was reported done.
    reported: usize,
    watch: Watch<'w>,
}

impl BreakWriter<'_, '_> {
    fn push(&mut self, start: usize, end: usize) -> Result<(), ChainError> {
        if let Some((last_start, last_end)) = self.pending.replace((start, end)) {
            let gap = &self.text[last_end..start];
            self.write(last_start, last_end, break_of_gap(gap));
            if self.part.ends.len() % TOKENS_BETWEEN_CANCEL_CHECKS == 0 {
                self.watch.advance(start - self.reported)?;
                self.reported = start;
            }
        }
        Ok(())
    }

    fn finish(&mut self, last_break: LastBreak) {
        let Some((start, end)) = self.pending.take() else {
            return;
        };
        let mut gap_end = end;
        loop {
            match whitespace_len(&self.text[gap_end..]) {
                0 => break,
                len => gap_end += len,
            }
        }
        let gap = &self.text[end..gap_end];
        let at_text_end = gap_end == self.text.len();
        let open = last_break == LastBreak::Open && at_text_end && gap.is_empty();
        let kept = match last_break {
            _ if open => NO_BREAK,
            LastBreak::EndsALine if at_text_end => break_at_end(gap),
            _ => break_of_gap(gap),
        };
        self.write(start, end, kept);
        self.part.last_is_open = open && self.tokens.keeps_breaks();
    }

    fn write(&mut self, start: usize, end: usize, kept: &[u8]) {
        let bytes = &mut self.part.bytes;
        bytes.extend_from_slice(&self.text[start..end]);
        if self.tokens.keeps_breaks() {
            bytes.extend_from_slice(kept);
        }
        // A part is at most MAX_PART_BYTES, and a break is never longer
        // than the gap it stands for, but for the last token's.
        self.part.ends.push(bytes.len() as u32);
    }
}

/// Calls `each` with where every token of `text[range]` starts and ends in
/// `text`, in order.
fn visit_spans(
    tokens: Tokens,
    text: &[u8],
    range: Range<usize>,
    mut each: impl FnMut(usize, usize) -> Result<(), ChainError>,
) -> Result<(), ChainError> {
    let offset = range.start;
    let part = &text[range];
    let mut words_of = |piece_start: usize, piece: &[u8]| {
        let mut words = Words::new(piece);
        while let Some((start, end)) = words.next_span() {
            each(offset + piece_start + start, offset + piece_start + end)?;
        }
        Ok(())
    };
    match tokens {
        Tokens::Words | Tokens::Lines => words_of(0, part),
        Tokens::Unicode => {
            let segmenter = WordSegmenter::new_dictionary(WordBreakInvariantOptions::default());
            // Unicode's rules break at whitespace (but before a mark that
            // combines with it, which then starts the next token either
            // way), so each run between whitespace is segmented alone: an
            // ASCII one by the ASCII rules, which take a fraction of the
            // time, any other by the segmenter.
            let mut words = Words::new(part);
            while let Some((start, end)) = words.next_span() {
                let word = &part[start..end];
                let mut from = 0;
                let mut visit = |to: usize| {
                    let span = (offset + start + from, offset + start + to);
                    from = to;
                    each(span.0, span.1)
                };
                if word.is_ascii() {
                    for to in ascii_word_ends(word) {
                        visit(to)?;
                    }
                } else {
                    let ends = segmenter.segment_utf8(word).skip(1);
                    for to in ends.filter(|&at| starts_a_character(word, at)) {
                        visit(to)?;
                    }
                }
            }
            Ok(())
        }
        Tokens::Chars => {
            let mut start = 0;
            let breaks = GraphemeClusterSegmenter::new().segment_utf8(part);
            for end in breaks.filter(|&at| starts_a_character(part, at)) {
                if end > start {
                    each(offset + start, offset + end)?;
                }
                start = end;
            }
            Ok(())
        }
    }
}

/// Whether a break at `at` falls between characters of `text`. The
/// segmenters see a lone surrogate (three bytes, as Python's
/// `"surrogatepass"` encodes it) as three bad bytes and may break between
/// them; such a break is dropped, so that the surrogate stays whole.
fn starts_a_character(text: &[u8], at: usize) -> bool {
    text.get(at)
        .is_none_or(|&byte| crate::tokenize::starts_a_character(byte))
}

/// The most bytes of text one part may hold, so that the token ends of its
/// buffer fit in a `u32`.
pub(crate) const MAX_PART_BYTES: usize = 1 << 30;

/// Whether `text` may be cut into parts right after byte `at` in `tokens`
/// mode, giving the same tokens as the whole. `str.split()` words break at
/// any whitespace. Unicode's word and grapheme rules always break after a
/// line feed, but for a stray continuation byte after it (not UTF-8 at
/// all), which stays with the token before it ([`starts_a_character`]).
pub(crate) fn can_cut_after(tokens: Tokens, text: &[u8], at: usize) -> bool {
    match tokens {
        Tokens::Words | Tokens::Lines => crate::tokenize::is_ascii_separator(text[at]),
        Tokens::Unicode | Tokens::Chars => text[at] == b'\n' && starts_a_character(text, at + 1),
    }
}

/// A prompt cut into tokens the way `tokens` mode cuts a text, and whether
/// its last token's break is open: in `lines` and `unicode` mode, when no
/// whitespace follows it, the prompt does not say which break it keeps.
/// [`crate::Walk::continuing`] takes both.
pub fn prompt_tokens(tokens: Tokens, prompt: &[u8]) -> (Vec<Vec<u8>>, bool) {
    // A prompt of more than a gigabyte without a line break is continued
    // from nothing, as one whose words the chain does not know.
    cut(tokens, prompt, LastBreak::Open).unwrap_or_default()
}

/// `text` cut into tokens as `tokens` mode cuts a training text, each as a
/// chain's vocabulary holds it (with its break, in `lines` and `unicode`
/// mode). For looking at how a mode cuts a text; a build does not copy
/// its tokens out one by one. Fails only as a build would for a text of
/// more than a gigabyte without a line break ([`ChainError::LineTooLong`]).
pub fn text_tokens(tokens: Tokens, text: &[u8]) -> Result<Vec<Vec<u8>>, ChainError> {
    cut(tokens, text, LastBreak::EndsALine).map(|(cut, _)| cut)
}

/// The tokens of the whole of `text`, each copied out, and whether the last
/// one's break is open.
fn cut(
    tokens: Tokens,
    text: &[u8],
    last_break: LastBreak,
) -> Result<(Vec<Vec<u8>>, bool), ChainError> {
    if tokens == Tokens::Words {
        return Ok((Words::new(text).map(<[u8]>::to_vec).collect(), false));
    }
    // Nothing watches this cut, so nothing can cancel it.
    let part = tokenize_part(tokens, text, 0..text.len(), last_break, Watch::none())?;
    let cut = part
        .spans()
        .map(|(start, end)| part.bytes[start..end].to_vec())
        .collect();
    Ok((cut, part.last_is_open))
}
