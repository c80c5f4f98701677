//! What a chain's tokens are: the four ways of cutting a text into them,
//! and the whitespace ("break") that each keeps after it.
//!
//! In `words` mode a token is a word of `str.split()`, and the output puts
//! one space between tokens: the vocabulary holds the bare words. In
//! `lines` and `unicode` mode a token keeps the break that followed it in
//! the text, normalized to one of four: none, a space, a line break, or a
//! blank line. The vocabulary holds the token's text with its break after
//! it (`"end\n"`), so the same word mid-line and at a line's end are two
//! tokens, and the chain learns where lines end. In `chars` mode a token
//! is one grapheme cluster, whitespace included, and the output joins
//! them as they are.

use std::fmt;

/// How a text is cut into tokens. Recorded in every chain and its file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Tokens {
    /// Words as Python's `str.split()` finds them, joined by single
    /// spaces: the tutorial's rule.
    #[default]
    Words,
    /// The same words, each keeping the break that followed it: a space, a
    /// line break or a blank line.
    Lines,
    /// Words and punctuation by Unicode's word boundaries (UAX #29), with
    /// dictionaries for scripts written without spaces; each keeps its
    /// break, which may be none.
    Unicode,
    /// Grapheme clusters, whitespace included, joined as they are.
    Chars,
}

/// The breaks a `lines` or `unicode` token may keep, as the vocabulary
/// stores them after its text.
pub(crate) const NO_BREAK: &[u8] = b"";
const SPACE: &[u8] = b" ";
const LINE_BREAK: &[u8] = b"\n";
const BLANK_LINE: &[u8] = b"\n\n";

impl Tokens {
    /// Every mode, in the order the documentation lists them.
    pub const ALL: [Tokens; 4] = [Tokens::Words, Tokens::Lines, Tokens::Unicode, Tokens::Chars];

    /// The mode's name, as the `tokens` option spells it.
    pub fn name(self) -> &'static str {
        match self {
            Tokens::Words => "words",
            Tokens::Lines => "lines",
            Tokens::Unicode => "unicode",
            Tokens::Chars => "chars",
        }
    }

    /// The mode called `name`, if any.
    pub fn from_name(name: &str) -> Option<Tokens> {
        Tokens::ALL.into_iter().find(|mode| mode.name() == name)
    }

    /// The number that stands for the mode in a chain file.
    pub(crate) fn code(self) -> u32 {
        match self {
            Tokens::Words => 0,
            Tokens::Lines => 1,
            Tokens::Unicode => 2,
            Tokens::Chars => 3,
        }
    }

    /// The mode that `code` stands for in a chain file, if any.
    pub(crate) fn from_code(code: u32) -> Option<Tokens> {
        Tokens::ALL.into_iter().find(|mode| mode.code() == code)
    }

    /// Whether the vocabulary holds each token with its break.
    pub(crate) fn keeps_breaks(self) -> bool {
        matches!(self, Tokens::Lines | Tokens::Unicode)
    }

    /// A token as the vocabulary holds it, cut into the text the output
    /// shows and the break that goes after it when another token follows.
    pub fn split(self, token: &[u8]) -> (&[u8], &[u8]) {
        match self {
            Tokens::Words => (token, SPACE),
            Tokens::Chars => (token, NO_BREAK),
            Tokens::Lines | Tokens::Unicode => {
                let break_len = if token.ends_with(BLANK_LINE) {
                    2
                } else {
                    usize::from(token.ends_with(LINE_BREAK) || token.ends_with(SPACE))
                };
                token.split_at(token.len() - break_len)
            }
        }
    }

    /// What goes between `before`, a token as the vocabulary holds it,
    /// and `after`, the first token of a state the walk jumped to, which
    /// did not follow it in the text. In `unicode` mode, a token that kept
    /// no break stood before punctuation ("direction" before ","): before
    /// a word from elsewhere it gets a space, so that words from two places
    /// never run together, unless it opens a bracket or quote. Otherwise
    /// the break it kept.
    pub(crate) fn break_before_jump<'a>(self, before: &'a [u8], after: &[u8]) -> &'a [u8] {
        let (text, kept) = self.split(before);
        let opens = |text: &[u8]| {
            let last = std::str::from_utf8(text)
                .ok()
                .and_then(|text| text.chars().next_back());
            last.is_some_and(|last| "([{“‘«「『".contains(last))
        };
        let starts_a_word = |text: &[u8]| {
            let first = std::str::from_utf8(text)
                .ok()
                .and_then(|text| text.chars().next());
            first.is_some_and(char::is_alphanumeric)
        };
        if self == Tokens::Unicode && kept.is_empty() && starts_a_word(after) && !opens(text) {
            SPACE
        } else {
            kept
        }
    }

    /// The breaks a token of this mode may keep, for matching a prompt's
    /// last token, whose break the prompt does not show.
    pub(crate) fn possible_breaks(self) -> &'static [&'static [u8]] {
        match self {
            Tokens::Words | Tokens::Chars => &[NO_BREAK],
            Tokens::Lines => &[SPACE, LINE_BREAK, BLANK_LINE],
            Tokens::Unicode => &[NO_BREAK, SPACE, LINE_BREAK, BLANK_LINE],
        }
    }
}

impl fmt::Display for Tokens {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

/// The break that stands for the whitespace `gap` between two tokens: none
/// when it is empty, a blank line for two or more line breaks, a line break
/// for one, and a space otherwise.
///
/// Line breaks are those of Python's `str.splitlines()`: `\n`, `\r`,
/// `\r\n` (one break), `\v`, `\f`, `\x1c` to `\x1e`, U+0085, U+2028 and
/// U+2029.
pub(crate) fn break_of_gap(gap: &[u8]) -> &'static [u8] {
    if gap.is_empty() {
        return NO_BREAK;
    }
    let mut line_breaks = 0;
    let mut index = 0;
    while index < gap.len() && line_breaks < 2 {
        line_breaks += match gap[index..] {
            [b'\r', b'\n', ..] => {
                index += 1;
                1
            }
            [b'\n' | b'\r' | 0x0B | 0x0C | 0x1C..=0x1E, ..] => 1,
            [0xC2, 0x85, ..] | [0xE2, 0x80, 0xA8 | 0xA9, ..] => 1,
            _ => 0,
        };
        index += 1;
    }
    match line_breaks {
        0 => SPACE,
        1 => LINE_BREAK,
        _ => BLANK_LINE,
    }
}

/// The break of a text's last token: the whitespace after it, but at least
/// a line break, since the text ends there.
pub(crate) fn break_at_end(gap: &[u8]) -> &'static [u8] {
    match break_of_gap(gap) {
        BLANK_LINE => BLANK_LINE,
        _ => LINE_BREAK,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes_go_both_ways() {
        for mode in Tokens::ALL {
            assert_eq!(Tokens::from_name(mode.name()), Some(mode));
            assert_eq!(Tokens::from_code(mode.code()), Some(mode));
        }
        assert_eq!(Tokens::from_name("bytes"), None);
        assert_eq!(Tokens::from_code(4), None);
    }

    #[test]
    fn gaps_become_the_four_breaks() {
        assert_eq!(break_of_gap(b""), b"");
        assert_eq!(break_of_gap(b" \t "), b" ");
        assert_eq!(break_of_gap(b"  \n\t"), b"\n");
        assert_eq!(break_of_gap(b"\r\n"), b"\n");
        assert_eq!(break_of_gap(b"\r\n\r\n"), b"\n\n");
        assert_eq!(break_of_gap(b"\n \n  \n"), b"\n\n");
        assert_eq!(break_of_gap("\u{2028}".as_bytes()), b"\n");
        assert_eq!(break_of_gap("\u{85}\u{2029}".as_bytes()), b"\n\n");
        assert_eq!(break_of_gap("\u{a0}".as_bytes()), b" ");
        assert_eq!(break_at_end(b""), b"\n");
        assert_eq!(break_at_end(b" "), b"\n");
        assert_eq!(break_at_end(b"\n\n"), b"\n\n");
    }

    #[test]
    fn a_token_splits_into_its_text_and_break() {
        assert_eq!(Tokens::Lines.split(b"end\n\n"), (&b"end"[..], &b"\n\n"[..]));
        assert_eq!(Tokens::Lines.split(b"end\n"), (&b"end"[..], &b"\n"[..]));
        assert_eq!(Tokens::Unicode.split(b"end "), (&b"end"[..], &b" "[..]));
        assert_eq!(Tokens::Unicode.split(b","), (&b","[..], &b""[..]));
        assert_eq!(Tokens::Words.split(b"end"), (&b"end"[..], &b" "[..]));
        assert_eq!(Tokens::Chars.split(b"\n"), (&b"\n"[..], &b""[..]));
    }
}
