//! Sentences: which words end one, and which states start one.
//!
//! A word ends a sentence when it ends with terminal punctuation, allowing
//! closing quotes and brackets after it (`done."`, `(yes!)`, `終わり。」`),
//! unless it is a known abbreviation (`Mr.`, `e.g.`) or an initial (`J.`),
//! and when the word after it in the text does not start with a lower-case
//! letter or a dash (markovify's rule: `"What!` before `answered` ends no
//! sentence). The word after a sentence end starts a sentence, and so does
//! the first word of the text.

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
    // terminal nor a closer settles it, without decoding the word.
    match word.last() {
        None => return false,
        Some(&last) if last.is_ascii() && !b".!?\"')]}".contains(&last) => return false,
        Some(_) => {}
    }
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

/// Whether `word` starts with a lower-case letter or a dash: after such a
/// word, the word before it ends no sentence.
pub(crate) fn starts_in_lower_case_or_dash(word: &[u8]) -> bool {
    let first = match word.utf8_chunks().next() {
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

/// A set of ids below a fixed bound, one bit each.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct BitSet {
    words: Vec<u64>,
    len: usize,
}

impl BitSet {
    /// An empty set of ids below `len`.
    pub(crate) fn new(len: usize) -> Self {
        BitSet {
            words: vec![0; len.div_ceil(64)],
            len,
        }
    }

    /// The set whose bytes (bit `i % 8` of byte `i / 8`, little-endian) are
    /// `bytes`, or `None` unless there are exactly enough bytes for `len`
    /// ids and every bit past `len` is clear.
    pub(crate) fn from_bytes(bytes: &[u8], len: usize) -> Option<Self> {
        if bytes.len() != len.div_ceil(8) {
            return None;
        }
        let mut set = BitSet::new(len);
        for (index, &byte) in bytes.iter().enumerate() {
            set.words[index / 8] |= u64::from(byte) << (8 * (index % 8));
        }
        let past_end = set.words.last().map_or(0, |&last| {
            let used = len % 64;
            if used == 0 {
                0
            } else {
                last >> used
            }
        });
        (past_end == 0).then_some(set)
    }

    /// The set as bytes, as [`BitSet::from_bytes`] reads them.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut bytes: Vec<u8> = self
            .words
            .iter()
            .flat_map(|word| word.to_le_bytes())
            .collect();
        bytes.truncate(self.len.div_ceil(8));
        bytes
    }

    pub(crate) fn insert(&mut self, id: usize) {
        self.words[id / 64] |= 1 << (id % 64);
    }

    pub(crate) fn contains(&self, id: usize) -> bool {
        self.words[id / 64] >> (id % 64) & 1 == 1
    }

    /// The ids in the set, in order.
    pub(crate) fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.words.iter().enumerate().flat_map(|(index, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                (rest != 0).then(|| {
                    let bit = rest.trailing_zeros();
                    rest &= rest - 1;
                    (index * 64) as u32 + bit
                })
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
