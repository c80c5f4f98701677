//! Unicode's word boundaries (UAX #29) for ASCII text without whitespace,
//! computed directly: most words of most texts are ASCII, and the general
//! segmenter, which handles every script, takes several times as long on
//! them. The tests check it against that segmenter.

/// The word-break classes that ASCII letters, digits and punctuation
/// belong to; whitespace never reaches here.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Letter,
    Numeric,
    /// `:`, which joins letters (`user:name`).
    MidLetter,
    /// `.`, which joins letters (`e.g`) or digits (`3.14`).
    MidNumLet,
    /// `'`, which joins as `.` does (`don't`).
    SingleQuote,
    /// `,` and `;`, which join digits (`1,000`).
    MidNum,
    /// `_`, which joins anything word-like (`snake_case`).
    ExtendNumLet,
    /// Any other punctuation: a word of its own.
    Other,
}

fn class_of(byte: u8) -> Class {
    match byte {
        b'a'..=b'z' | b'A'..=b'Z' => Class::Letter,
        b'0'..=b'9' => Class::Numeric,
        b':' => Class::MidLetter,
        b'.' => Class::MidNumLet,
        b'\'' => Class::SingleQuote,
        b',' | b';' => Class::MidNum,
        b'_' => Class::ExtendNumLet,
        _ => Class::Other,
    }
}

/// Where each word of `word` (ASCII, no whitespace) ends, in order; the
/// last is `word.len()`.
pub(crate) fn ascii_word_ends(word: &[u8]) -> impl Iterator<Item = usize> + '_ {
    (1..=word.len()).filter(move |&at| at == word.len() || breaks_before(word, at))
}

/// Whether the rules WB5 to WB13b leave a boundary between bytes `at - 1`
/// and `at` of `word`.
fn breaks_before(word: &[u8], at: usize) -> bool {
    use Class::{ExtendNumLet, Letter, MidLetter, MidNum, MidNumLet, Numeric, SingleQuote};
    let class = |index: Option<usize>| {
        index
            .and_then(|index| word.get(index))
            .map(|&b| class_of(b))
    };
    let before_that = class(at.checked_sub(2));
    let after_that = class(Some(at + 1));
    let (before, after) = (class_of(word[at - 1]), class_of(word[at]));
    let joins_letters = |class| matches!(class, MidLetter | MidNumLet | SingleQuote);
    let joins_digits = |class| matches!(class, MidNum | MidNumLet | SingleQuote);
    let joined = match (before, after) {
        // WB5, WB8, WB9, WB10: letters and digits run together.
        (Letter | Numeric, Letter | Numeric) => true,
        // WB13a, WB13b: `_` joins what is word-like on either side.
        (Letter | Numeric | ExtendNumLet, ExtendNumLet) | (ExtendNumLet, Letter | Numeric) => true,
        // WB6, WB7: a letter, `:`, `.` or `'`, a letter.
        (Letter, middle) if joins_letters(middle) => after_that == Some(Letter),
        (middle, Letter) if joins_letters(middle) => before_that == Some(Letter),
        // WB11, WB12: a digit, `,`, `;`, `.` or `'`, a digit.
        (Numeric, middle) if joins_digits(middle) => after_that == Some(Numeric),
        (middle, Numeric) if joins_digits(middle) => before_that == Some(Numeric),
        _ => false,
    };
    !joined
}

#[cfg(test)]
mod tests {
    use icu_segmenter::options::WordBreakInvariantOptions;
    use icu_segmenter::WordSegmenter;
    use proptest::prelude::*;

    use super::*;

    fn by_the_segmenter(word: &str) -> Vec<usize> {
        let segmenter = WordSegmenter::new_dictionary(WordBreakInvariantOptions::default());
        segmenter.segment_str(word).skip(1).collect()
    }

    #[test]
    fn words_numbers_and_punctuation() {
        let ends = |word: &str| ascii_word_ends(word.as_bytes()).collect::<Vec<_>>();
        assert_eq!(ends("don't"), [5]);
        assert_eq!(ends("hill,"), [4, 5]);
        assert_eq!(ends("3.14,"), [4, 5]);
        assert_eq!(ends("e.g."), [3, 4]);
        assert_eq!(ends("\"Yes!\""), [1, 4, 5, 6]);
        assert_eq!(ends("a_b-c"), [3, 4, 5]);
        for word in [
            "don't", "hill,", "3.14,", "e.g.", "\"Yes!\"", "a_b-c", "x:y:", "1,000;2",
        ] {
            assert_eq!(ends(word), by_the_segmenter(word), "{word}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn agrees_with_the_segmenter_on_any_ascii(word in "[a-zA-Z0-9.,;:'\"_!?()\\-/#$%&*+<=>@\\[\\]^`{|}~\\\\]{1,12}") {
            let ends: Vec<usize> = ascii_word_ends(word.as_bytes()).collect();
            prop_assert_eq!(ends, by_the_segmenter(&word));
        }
    }
}
