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

/// Returns whether `c` separates words for Python's `str.split()`.
pub fn is_python_whitespace(c: char) -> bool {
    c.is_whitespace() || ('\u{1C}'..='\u{1F}').contains(&c)
}

/// Returns whether `byte` is a one-byte whitespace character.
///
/// A text can be cut at such a byte without cutting a word in two.
pub fn is_ascii_separator(byte: u8) -> bool {
    BYTE_CLASSES[byte as usize] == ByteClass::Space
}

/// The length in bytes of the whitespace character that starts `bytes`, or 0
/// when `bytes` does not start with one.
fn whitespace_len(bytes: &[u8]) -> usize {
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

/// An iterator over the words of a text, as byte slices borrowed from it.
///
/// It yields exactly the words that Python's `text.split()` returns, encoded
/// as the text is.
#[derive(Clone, Debug)]
pub struct Words<'text> {
    text: &'text [u8],
    position: usize,
}

impl<'text> Words<'text> {
    /// Starts splitting `text`.
    pub fn new(text: &'text [u8]) -> Self {
        Words { text, position: 0 }
    }
}

impl<'text> Iterator for Words<'text> {
    type Item = &'text [u8];

    fn next(&mut self) -> Option<&'text [u8]> {
        // Locals rather than fields keep the hot loops in registers.
        let text = self.text;
        let mut position = self.position;
        while position < text.len() {
            match BYTE_CLASSES[text[position] as usize] {
                ByteClass::Word => break,
                ByteClass::Space => position += 1,
                ByteClass::MaybeSpace => match whitespace_len(&text[position..]) {
                    0 => break,
                    skip => position += skip,
                },
            }
        }
        if position == text.len() {
            self.position = position;
            return None;
        }
        let start = position;
        while position < text.len() {
            match BYTE_CLASSES[text[position] as usize] {
                ByteClass::Word => position += 1,
                ByteClass::Space => break,
                ByteClass::MaybeSpace => {
                    if whitespace_len(&text[position..]) > 0 {
                        break;
                    }
                    position += 1;
                }
            }
        }
        self.position = position;
        Some(&text[start..position])
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
}
