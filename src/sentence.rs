//! Sentences: which words end one, and which states start one.
//!
//! A word ends a sentence when it ends with terminal punctuation, allowing
//! closing quotes and brackets after it (`done."`, `(yes!)`, `終わり。」`),
//! unless it is a known abbreviation (`Mr.`, `e.g.`) or an initial (`J.`),
//! and when the word after it in the text does not start with a lower-case
//! letter or a dash (markovify's rule: `"What!` before `answered` ends no
//! sentence). The word after a sentence end starts a sentence, and so does
//! the first word of the text.

use crate::bit_set::BitSet;

/// Punctuation that ends a sentence: `.` `!` `?`, the ellipsis, and their
/// full-width, CJK, Arabic, Devanagari and doubled forms.
const TERMINALS: &[char] = &[
    '.', '!', '?', '…', '。', '．', '！', '？', '‼', '⁇', '⁈', '⁉', '؟', '।', '॥', '｡',
];

/// What may close a sentence after its terminal punctuation: quotes and
/// brackets, ASCII, typographic, guillemets and CJK.
const CLOSERS: &[char] = &[
    '"', '\'', ')', ']', '}', '”', '’', '»', '›', '」', '』', '）', '］', '】', '〉', '》', '〕',
];

/// Marks that may open a word before its letters: `"Mr.` is still `Mr.`.
const OPENERS: &[char] = &[
    '"', '\'', '(', '[', '{', '“', '‘', '«', '‹', '「', '『', '（',
];

/// Words that end in a full stop without ending a sentence, matched with
/// their case (so `No.` before a number is one, `no.` ending a reply is
/// not), without the final stop. `etc.` is not among them: it ends
/// sentences as often as not.
const ABBREVIATIONS: &[&str] = &[
    // Titles and ranks.
    "Mr", "Mrs", "Ms", "Messrs", "Mme", "Mlle", "Dr", "Prof", "Rev", "Hon", "St", "Sr", "Jr",
    "Capt", "Col", "Gen", "Lt", "Maj", "Sgt", "Gov", "Sen", "Rep", "Pres", "Supt", "Insp",
    // Places and addresses.
    "Mt", "Ft", "Ave", "Rd", "Blvd", // Numbers, references, months.
    "No", "Nos", "Vol", "Vols", "Fig", "Figs", "Ch", "Jan", "Feb", "Apr", "Aug", "Sep", "Sept",
    "Oct", "Nov", "Dec", // Lower case, Latin and scholarly.
    "vs", "v", "viz", "cf", "al", "ca", "approx", "e.g", "i.e", "pp", "ibid", "op",
];

/// Whether `word` (UTF-8, as the chain stores it) ends a sentence.
pub fn ends_sentence(word: &[u8]) -> bool {
    // Most words end in a letter: an ASCII last byte that is neither a
    // terminal nor a closer settles it, without decoding the word. So does
    // a last character of another script, decoded alone: a build asks of
    // every word of its vocabulary, which in Chinese or Japanese text is
    // most of the words.
    match word.last() {
        None => return false,
        Some(&last) if last.is_ascii() && !b".!?\"')]}".contains(&last) => return false,
        Some(_) => {}
    }
    match last_char(word) {
        Some(last) if !TERMINALS.contains(&last) && !CLOSERS.contains(&last) => false,
        _ => ends_sentence_by_rule(word),
    }
}

/// [`ends_sentence`], judged from the whole word.
fn ends_sentence_by_rule(word: &[u8]) -> bool {
    let Ok(word) = std::str::from_utf8(word) else {
        // A word with a lone surrogate: judge the text after the last one.
        let tail = word.utf8_chunks().last().map_or("", |chunk| chunk.valid());
        return !tail.is_empty() && tail.len() < word.len() && ends_sentence(tail.as_bytes());
    };
    let closed = word.trim_end_matches(CLOSERS);
    if !closed.ends_with(TERMINALS) {
        return false;
    }
    let Some(body) = closed.strip_suffix('.') else {
        // `!`, `?` and the rest always end a sentence.
        return true;
    };
    if body.ends_with('.') || body.ends_with(TERMINALS) {
        // An ellipsis of full stops, or `?.`: a sentence end.
        return true;
    }
    let body = body.trim_start_matches(OPENERS);
    let is_initial = {
        let mut letters = body.chars();
        matches!((letters.next(), letters.next()), (Some(letter), None) if letter.is_uppercase())
    };
    !(is_initial || ABBREVIATIONS.contains(&body))
}

/// The last character of `word`, decoded alone, unless its last bytes
/// are not one whole UTF-8 character.
fn last_char(word: &[u8]) -> Option<char> {
    // A character is at most four bytes; it starts at the last byte that
    // does not continue one.
    let from = word.len().saturating_sub(4);
    let start = from
        + word[from..]
            .iter()
            .rposition(|&byte| (byte & 0xC0) != 0x80)?;
    let mut chars = std::str::from_utf8(&word[start..]).ok()?.chars();
    chars.next().filter(|_| chars.next().is_none())
}

/// Whether `word` starts with a lower-case letter or a dash: after such a
/// word, the word before it ends no sentence.
pub(crate) fn starts_in_lower_case_or_dash(word: &[u8]) -> bool {
    // Most words start with an ASCII byte, which settles it undecoded:
    // asked of every follower of a sentence end, in a build.
    match word.first() {
        Some(&first) if first.is_ascii() => first.is_ascii_lowercase() || first == b'-',
        _ => starts_in_lower_case_or_dash_decoded(word),
    }
}

/// [`starts_in_lower_case_or_dash`], from the word's first character
/// decoded.
fn starts_in_lower_case_or_dash_decoded(word: &[u8]) -> bool {
    // A character is at most four bytes: decoding no more than those
    // leaves the rest of a long word unread.
    let first = match word[..word.len().min(4)].utf8_chunks().next() {
        Some(chunk) => chunk.valid().chars().next(),
        None => None,
    };
    first.is_some_and(|c| c.is_lowercase() || matches!(c, '-' | '–' | '—'))
}

/// Which words of a chain end a sentence, and which states start one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SentenceMarks {
    /// Word ids that end a sentence.
    pub(crate) ends: BitSet,
    /// State ids that start a sentence, in increasing order: a walk draws
    /// from them.
    pub(crate) starts: Vec<u32>,
}

impl SentenceMarks {
    /// The starts as a set of ids below `state_count`, as the chain file
    /// stores them.
    pub(crate) fn starts_as_set(&self, state_count: usize) -> BitSet {
        let mut set = BitSet::new(state_count);
        for &state in &self.starts {
            set.insert(state as usize);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Pieces of words: letters of both cases and scripts, the marks the
    /// rule looks for, and bytes that are not UTF-8 (a lone surrogate, a
    /// stray continuation byte, an invalid byte).
    fn word_piece() -> impl Strategy<Value = Vec<u8>> {
        let text = prop::sample::select(vec![
            "a", "Z", "Mr", "e.g", ".", "!", "?", "…", "。", "！", "؟", "\"", ")", "'", "」", "”",
            "»", "(", "“", "「", "-", "–", "—", "é", "É", "終", "わ", "ß", "Σ", "σ",
        ])
        .prop_map(|piece| piece.as_bytes().to_vec());
        let raw = prop::sample::select(vec![
            vec![0xED, 0xA0, 0x80],
            vec![0x80],
            vec![0xFF],
            vec![0xE3, 0x80],
        ]);
        prop_oneof![4 => text, 1 => raw]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// The fast paths settle a word only as the whole rule would. The
        /// bugs: a last character taken from the wrong bytes, a closer
        /// (`終わり。」`) or a terminal of another script taken for a
        /// letter, a first byte taken for the first character, or a first
        /// character cut short by decoding too few of its bytes.
        #[test]
        fn the_fast_paths_agree_with_the_whole_rule(
            pieces in prop::collection::vec(word_piece(), 0..6),
        ) {
            let word = pieces.concat();
            prop_assert_eq!(ends_sentence(&word), ends_sentence_by_rule(&word), "{:?}", word);
            let first = String::from_utf8_lossy(&word).chars().next();
            let by_rule = first.is_some_and(|c| c.is_lowercase() || matches!(c, '-' | '–' | '—'));
            prop_assert_eq!(starts_in_lower_case_or_dash(&word), by_rule, "{:?}", word);
            prop_assert_eq!(starts_in_lower_case_or_dash_decoded(&word), by_rule, "{:?}", word);
        }
    }

    fn ends(word: &str) -> bool {
        ends_sentence(word.as_bytes())
    }

    #[test]
    fn terminal_punctuation_ends_a_sentence() {
        for word in [
            "done.",
            "yes!",
            "why?",
            "so...",
            "wait…",
            "what?!",
            "end.\u{3002}",
        ] {
            assert!(ends(word), "{word}");
        }
        for word in ["done", "a,", "semi;", "colon:", "dash—", "", "."] {
            assert_eq!(ends(word), word == ".", "{word}");
        }
    }

    #[test]
    fn closing_quotes_and_brackets_may_follow() {
        for word in [
            "done.\"",
            "(yes!)",
            "it?'",
            "end.)\"",
            "fin.»",
            "“right.”",
            "終わり。」",
            "はい！",
        ] {
            assert!(ends(word), "{word}");
        }
        assert!(!ends("\"quoted\""));
        assert!(!ends("(aside)"));
    }

    #[test]
    fn abbreviations_and_initials_do_not_end_a_sentence() {
        for word in [
            "Mr.", "Mrs.", "Dr.", "St.", "\"Mr.", "(Dr.", "e.g.", "i.e.", "vs.", "J.", "No.",
        ] {
            assert!(!ends(word), "{word}");
        }
        // Case matters: a reply of "no." ends one; so do lower-case initials
        // and words that only start like an abbreviation.
        for word in ["no.", "i.", "Street.", "Mister.", "etc."] {
            assert!(ends(word), "{word}");
        }
    }

    #[test]
    fn a_word_with_a_lone_surrogate_is_judged_by_its_end() {
        // "ab\udc80." and "\udc80x" as Python's surrogatepass encodes them.
        assert!(ends_sentence(b"ab\xed\xb2\x80end."));
        assert!(!ends_sentence(b"ab\xed\xb2\x80x"));
    }

    #[test]
    fn bit_sets_round_trip_through_bytes() {
        for len in [0, 1, 7, 8, 9, 63, 64, 65, 200] {
            let mut set = BitSet::new(len);
            for id in (0..len).filter(|id| id % 3 == 0) {
                set.insert(id);
            }
            let bytes = set.to_bytes();
            assert_eq!(bytes.len(), len.div_ceil(8));
            assert_eq!(BitSet::from_bytes(&bytes, len), Some(set.clone()));
            assert!(set.ids().eq((0..len as u32).filter(|id| id % 3 == 0)));
        }
        // A bit past the end is refused.
        assert_eq!(BitSet::from_bytes(&[0b1000_0000], 7), None);
        assert_eq!(BitSet::from_bytes(&[0, 0], 7), None);
    }
}
