//! Splitting text into words exactly as Python's `str.split()` does.
//!
//! Python splits on every code point for which `str.isspace()` is true. That
//! set is Rust's `char::is_whitespace` plus the four ASCII information
//! separators U+001C..=U+001F, and it does not include U+200B (zero width
//! space) or U+FEFF (byte order mark).
//!
//! The tokenizer works on bytes, not `&str`, so that it also accepts the
//! encoding Python produces with `str.encode("utf-8", "surrogatepass")`:
//! UTF-8 in which lone surrogates appear as three-byte sequences. No
//! whitespace character shares a byte sequence with a surrogate, so such text
//! splits the same way Python splits the original string.
//!
//! It reads 64 bytes at a time: a bit mask says which bytes are whitespace,
//! and word edges are the bits where the mask changes, visited with
//! `trailing_zeros`. The few bytes that may start a multi-byte whitespace
//! character are checked one by one. Prose has a word every six bytes or
//! so, and a branch per byte on whether it is a space mispredicts often;
//! the masks have no such branch.

/// How the tokenizer treats one byte when it meets it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ByteClass {
    /// Part of a word: it can never begin a whitespace sequence.
    Word,
    /// A one-byte whitespace character.
    Space,
    /// The first byte of a multi-byte sequence that may be whitespace.
    MaybeSpace,
}

const BYTE_CLASSES: [ByteClass; 256] = {
    let mut classes = [ByteClass::Word; 256];
    let mut byte = 0x09;
    while byte <= 0x0D {
        classes[byte] = ByteClass::Space;
        byte += 1;
    }
    let mut byte = 0x1C;
    while byte <= 0x20 {
        classes[byte] = ByteClass::Space;
        byte += 1;
    }
    classes[0xC2] = ByteClass::MaybeSpace;
    classes[0xE1] = ByteClass::MaybeSpace;
    classes[0xE2] = ByteClass::MaybeSpace;
    classes[0xE3] = ByteClass::MaybeSpace;
    classes
};

/// Returns whether `byte` is a one-byte whitespace character.
///
/// A text can be cut at such a byte without cutting a word in two.
pub(crate) fn is_ascii_separator(byte: u8) -> bool {
    BYTE_CLASSES[byte as usize] == ByteClass::Space
}

/// Whether `byte` starts a character of UTF-8 (it is not a continuation
/// byte).
pub(crate) fn starts_a_character(byte: u8) -> bool {
    !(0x80..=0xBF).contains(&byte)
}

/// The length in bytes of the whitespace character that starts `bytes`, or 0
/// when `bytes` does not start with one.
pub(crate) fn whitespace_len(bytes: &[u8]) -> usize {
    let Some(&first) = bytes.first() else {
        return 0;
    };
    match BYTE_CLASSES[first as usize] {
        ByteClass::Word => 0,
        ByteClass::Space => 1,
        ByteClass::MaybeSpace => match bytes {
            // U+0085 (next line) and U+00A0 (no-break space).
            [0xC2, 0x85 | 0xA0, ..] => 2,
            // U+1680 (ogham space mark).
            [0xE1, 0x9A, 0x80, ..] => 3,
            // U+2000..=U+200A, U+2028, U+2029, U+202F.
            [0xE2, 0x80, 0x80..=0x8A | 0xA8 | 0xA9 | 0xAF, ..] => 3,
            // U+205F (medium mathematical space).
            [0xE2, 0x81, 0x9F, ..] => 3,
            // U+3000 (ideographic space).
            [0xE3, 0x80, 0x80, ..] => 3,
            _ => 0,
        },
    }
}

/// How many bytes the splitter classifies at once: one bit each in a `u64`.
const BLOCK: usize = 64;

/// Bit masks over one block of text, bit `i` for byte `i`: which bytes are
/// one-byte whitespace, and which may start a multi-byte whitespace
/// character (0xC2 or 0xE1..=0xE3). The splitter then finds word edges with
/// bit arithmetic instead of a hard-to-predict branch per byte.
///
/// The first loop is plain enough for the compiler to turn into vector
/// compares on any target; `gather` then packs its one-byte flags into bits.
fn classify(block: &[u8; BLOCK]) -> (u64, u64) {
    let mut space_flags = [0u8; BLOCK];
    let mut lead_flags = [0u8; BLOCK];
    for ((&byte, space), lead) in block.iter().zip(&mut space_flags).zip(&mut lead_flags) {
        *space = u8::from(is_one_byte_space(byte));
        *lead = u8::from(may_start_a_wide_space(byte));
    }
    (gather(&space_flags), gather(&lead_flags))
}

/// Whether `byte` is whitespace of one byte, as [`classify`] marks it,
/// in a form the compiler vectorizes.
fn is_one_byte_space(byte: u8) -> bool {
    (byte.wrapping_sub(0x09) < 5) | (byte.wrapping_sub(0x1C) < 5)
}

/// Whether `byte` may start whitespace of several bytes (0xC2 or
/// 0xE1..=0xE3), as [`classify`] marks it.
fn may_start_a_wide_space(byte: u8) -> bool {
    (byte == 0xC2) | (byte.wrapping_sub(0xE1) < 3)
}

/// Whether `bytes` may hold whitespace: false only when no byte is one,
/// nor may start one. For a caller that would otherwise split the bytes
/// into words to find out.
pub(crate) fn may_hold_whitespace(bytes: &[u8]) -> bool {
    // A chunk at a time, each with no early exit, which the compiler
    // vectorizes, and none after the first that may: where the bytes hold
    // any such byte (0.1% into the novel's, the high-vocabulary text's
    // and the manual pages' sorted words) the caller splits them anyway.
    // Flags as bytes, or-ed: one over `bool`s stayed a byte at a time
    // (2.92 ms against 0.18 ms for WordNet's 3 MB of words).
    bytes.chunks(4096).any(|chunk| {
        let found = (chunk.iter()).fold(0u8, |found, &byte| {
            found | u8::from(is_one_byte_space(byte)) | u8::from(may_start_a_wide_space(byte))
        });
        found != 0
    })
}

/// Packs 64 flags of 0 or 1 into a bit mask, eight at a time: the multiply
/// moves bit 0 of byte `i` of a `u64` to bit `56 + i`, and no two products
/// overlap there.
fn gather(flags: &[u8; BLOCK]) -> u64 {
    let mut mask = 0;
    for (index, chunk) in flags.chunks_exact(8).enumerate() {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(chunk);
        let bits = u64::from_le_bytes(bytes).wrapping_mul(0x0102_0408_1020_4080) >> 56;
        mask |= bits << (8 * index);
    }
    mask
}

/// An iterator over the words of a text, as byte slices borrowed from it.
///
/// It yields exactly the words that Python's `text.split()` returns, encoded
/// as the text is.
#[derive(Clone, Debug)]
pub struct Words<'text> {
    text: &'text [u8],
    /// Where the next block to classify starts.
    next_block: usize,
    /// Where the current block starts.
    block_start: usize,
    /// Word edges of the current block not yet visited: bit `i` is set where
    /// byte `i` differs from the byte before it in being whitespace.
    edges: u64,
    /// Whether the byte before the next block is whitespace (or the start).
    space_before_block: bool,
    /// Whitespace bytes of the next block that belong to a multi-byte
    /// whitespace character begun in the current one.
    spill: u64,
}

impl<'text> Words<'text> {
    /// Starts splitting `text`.
    pub fn new(text: &'text [u8]) -> Self {
        Words {
            text,
            next_block: 0,
            block_start: 0,
            edges: 0,
            space_before_block: true,
            spill: 0,
        }
    }

    /// Where the next word starts and ends in the text, as byte offsets.
    pub(crate) fn next_span(&mut self) -> Option<(usize, usize)> {
        // Edges alternate, start then end, from the start of the text: the
        // first edge found is where a word starts, the next where it ends.
        let start = loop {
            if let Some(edge) = self.take_edge() {
                break edge;
            }
            if !self.load_block() {
                return None;
            }
        };
        let end = loop {
            if let Some(edge) = self.take_edge() {
                break edge;
            }
            if !self.load_block() {
                // The text ends inside the word. (Padding ends every word
                // in a short last block, so only a full one gets here.)
                break self.text.len();
            }
        };
        Some((start, end))
    }

    /// The position of the next edge in the current block, if any is left.
    fn take_edge(&mut self) -> Option<usize> {
        if self.edges == 0 {
            return None;
        }
        let edge = self.block_start + self.edges.trailing_zeros() as usize;
        self.edges &= self.edges - 1;
        Some(edge)
    }

    /// Classifies the next block and returns whether there was one.
    fn load_block(&mut self) -> bool {
        let start = self.next_block;
        let text = self.text;
        if start >= text.len() {
            return false;
        }
        let (mut spaces, maybe) = match text[start..].first_chunk::<BLOCK>() {
            Some(block) => classify(block),
            None => {
                // The last, short block: pad it with spaces, which end the
                // last word where the text ends.
                let mut block = [b' '; BLOCK];
                block[..text.len() - start].copy_from_slice(&text[start..]);
                classify(&block)
            }
        };
        spaces |= self.spill;
        self.spill = 0;
        let mut leads = maybe;
        while leads != 0 {
            let offset = leads.trailing_zeros() as usize;
            leads &= leads - 1;
            let length = whitespace_len(&text[start + offset..]);
            if length > 0 {
                // Up to three bytes, some of which may lie in the next block.
                let bits = (1u128 << length) - 1;
                let bits = bits << offset;
                spaces |= bits as u64;
                self.spill |= (bits >> BLOCK) as u64;
            }
        }
        self.edges = spaces ^ ((spaces << 1) | u64::from(self.space_before_block));
        self.space_before_block = spaces >> (BLOCK - 1) == 1;
        self.block_start = start;
        self.next_block = start + BLOCK;
        true
    }
}

impl<'text> Iterator for Words<'text> {
    type Item = &'text [u8];

    fn next(&mut self) -> Option<&'text [u8]> {
        let (start, end) = self.next_span()?;
        Some(&self.text[start..end])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<&str> {
        Words::new(text.as_bytes())
            .map(|word| std::str::from_utf8(word).expect("words of UTF-8 are UTF-8"))
            .collect()
    }

    #[test]
    fn splits_on_runs_of_ascii_whitespace() {
        assert_eq!(
            split("  the cat\t\tsat\n\r\x0b\x0con "),
            ["the", "cat", "sat", "on"]
        );
    }

    #[test]
    fn empty_and_blank_text_have_no_words() {
        assert!(split("").is_empty());
        assert!(split(" \t\n\u{3000}\u{a0}").is_empty());
    }

    #[test]
    fn splits_on_unicode_whitespace_like_python() {
        let text =
            "a\u{a0}b\u{3000}c\u{1c}d\u{1f}e\u{85}f\u{2028}g\u{205f}h\u{1680}i\u{200a}j\u{202f}k";
        assert_eq!(
            split(text),
            ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"]
        );
    }

    #[test]
    fn keeps_non_whitespace_lookalikes_inside_words() {
        // U+200B, U+FEFF and U+2060 are not whitespace for Python; U+00C2 and
        // U+E280 share lead bytes with whitespace characters.
        let text = "a\u{200b}b \u{feff}c d\u{2060}e \u{c2}\u{e2}\u{2010}";
        assert_eq!(
            split(text),
            [
                "a\u{200b}b",
                "\u{feff}c",
                "d\u{2060}e",
                "\u{c2}\u{e2}\u{2010}"
            ]
        );
    }

    #[test]
    fn the_predicate_agrees_with_the_tokenizer_on_every_char() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let text = format!("a{c}b");
            let expected = if is_python_whitespace(c) { 2 } else { 1 };
            assert_eq!(split(&text).len(), expected, "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn surrogates_encoded_by_surrogatepass_stay_inside_words() {
        // "a\udc80b c" as Python's surrogatepass encodes it.
        let text = b"a\xed\xb2\x80b c";
        let words: Vec<&[u8]> = Words::new(text).collect();
        assert_eq!(words, [&b"a\xed\xb2\x80b"[..], b"c"]);
    }

    /// Whether `c` separates words for Python's `str.split()`, the slow
    /// obvious way.
    fn is_python_whitespace(c: char) -> bool {
        c.is_whitespace() || ('\u{1C}'..='\u{1F}').contains(&c)
    }

    /// Words as the slow obvious way finds them.
    fn reference_split(text: &str) -> Vec<&str> {
        text.split(is_python_whitespace)
            .filter(|word| !word.is_empty())
            .collect()
    }

    #[test]
    fn whitespace_anywhere_around_a_block_edge_splits_the_same() {
        // Every kind of whitespace, of one to three bytes, and lookalikes,
        // starting at each offset around the first two block edges, so that
        // multi-byte ones straddle an edge in every possible way.
        let separators = [
            " ", "\t", "\u{1f}", "\u{85}", "\u{a0}", "\u{1680}", "\u{2003}", "\u{3000}",
            "\u{200b}", "\u{c2}", "\u{2010}",
        ];
        for separator in separators {
            for offset in 0..(2 * BLOCK + 8) {
                let text = format!("{}{separator}b{separator}", "a".repeat(offset));
                assert_eq!(
                    split(&text),
                    reference_split(&text),
                    "{separator:?} at byte {offset}"
                );
            }
        }
    }

    #[test]
    fn words_that_end_with_a_block_or_the_text_are_whole() {
        for length in [BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK] {
            let word = "w".repeat(length);
            for text in [word.clone(), format!(" {word}"), format!("{word} {word}")] {
                assert_eq!(split(&text), reference_split(&text), "{length} bytes");
            }
        }
    }

    #[test]
    fn only_bytes_that_classify_marks_may_hold_whitespace() {
        // The bug: a whitespace byte the quick pass misses lets a word
        // with whitespace load from a chain file.
        for byte in 0..=255u8 {
            let marked = is_ascii_separator(byte) || matches!(byte, 0xC2 | 0xE1..=0xE3);
            assert_eq!(
                may_hold_whitespace(&[b'a', byte, b'b']),
                marked,
                "{byte:#04x}"
            );
        }
        assert!(!may_hold_whitespace(b""));
        // Past the first chunks, and in the last, short one.
        let mut long = vec![b'a'; 10_000];
        assert!(!may_hold_whitespace(&long));
        long[9_999] = 0xE3;
        assert!(may_hold_whitespace(&long));
    }

    #[test]
    fn classify_marks_exactly_the_spaces_and_possible_leads() {
        let mut block = [0u8; BLOCK];
        for first in (0..=255u8).step_by(BLOCK) {
            for (index, byte) in block.iter_mut().enumerate() {
                *byte = first + index as u8;
            }
            let (spaces, leads) = classify(&block);
            for (index, &byte) in block.iter().enumerate() {
                let bit = spaces >> index & 1 == 1;
                assert_eq!(bit, is_ascii_separator(byte), "space bit of {byte:#04x}");
                let lead = matches!(byte, 0xC2 | 0xE1..=0xE3);
                assert_eq!(leads >> index & 1 == 1, lead, "lead bit of {byte:#04x}");
            }
        }
    }
}
