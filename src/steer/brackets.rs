//! Quotation marks and brackets: which ones a token opens and closes, so
//! that a sentence ends only when they are balanced.
//!
//! One pair may be open at a time: `(` inside `"…"` is refused, which keeps
//! the product of chain states and what is open small (one more state per
//! pair the text uses) and costs little, since nesting is rare in prose.

use crate::chain::Chain;

/// The pairs a sentence balances, opening then closing. The straight `"`
/// is both: it closes when it is open and opens otherwise. Single quotes
/// are left out: `'` and `’` are apostrophes more often than quotes.
const PAIRS: &[(char, char)] = &[
    ('"', '"'),
    ('“', '”'),
    ('(', ')'),
    ('[', ']'),
    ('{', '}'),
    ('«', '»'),
    ('「', '」'),
    ('『', '』'),
    ('（', '）'),
    ('［', '］'),
    ('【', '】'),
    ('〈', '〉'),
    ('《', '》'),
    ('〔', '〕'),
];

/// What one mark does to the open pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Mark {
    Open(u8),
    Close(u8),
    /// `"`: closes when open, opens otherwise.
    Toggle(u8),
}

/// Which pair is open: 0 for none, `k` for the `k`th pair the text uses.
pub(crate) type Open = u8;

/// Each token's marks, for one chain.
#[derive(Clone, Debug)]
pub(crate) struct Brackets {
    /// For each token id, its index in `effects`, 0 for a token without
    /// marks (most of them).
    effect_of: Vec<u16>,
    /// The distinct sequences of marks; the first is empty.
    effects: Vec<Vec<Mark>>,
    /// How many pairs the text uses.
    pairs: u8,
}

impl Brackets {
    /// The marks of every token of `chain`.
    pub(crate) fn of(chain: &Chain) -> Self {
        let vocabulary = chain.vocabulary();
        let mut used: Vec<usize> = Vec::new();
        let mut effects: Vec<Vec<Mark>> = vec![Vec::new()];
        let mut effect_of = vec![0u16; vocabulary.len()];
        for (id, slot) in effect_of.iter_mut().enumerate() {
            let text = chain.tokens().split(vocabulary.word(id as u32)).0;
            // Most tokens have no mark: one pass over the bytes tells.
            if !text
                .iter()
                .any(|&byte| byte >= 0x80 || b"\"()[]{}".contains(&byte))
            {
                continue;
            }
            let marks: Vec<Mark> = String::from_utf8_lossy(text)
                .chars()
                .filter_map(|c| {
                    let (pair, opens) = PAIRS.iter().enumerate().find_map(|(pair, &(o, c2))| {
                        (c == o || c == c2).then_some((pair, c == o))
                    })?;
                    let kind = match used.iter().position(|&p| p == pair) {
                        Some(at) => at,
                        None => {
                            used.push(pair);
                            used.len() - 1
                        }
                    };
                    let kind = u8::try_from(kind + 1).unwrap_or(u8::MAX);
                    Some(match (PAIRS[pair].0 == PAIRS[pair].1, opens) {
                        (true, _) => Mark::Toggle(kind),
                        (false, true) => Mark::Open(kind),
                        (false, false) => Mark::Close(kind),
                    })
                })
                .collect();
            if marks.is_empty() {
                continue;
            }
            let index = match effects.iter().position(|known| *known == marks) {
                Some(index) => index,
                None => {
                    effects.push(marks);
                    effects.len() - 1
                }
            };
            *slot = u16::try_from(index).unwrap_or(u16::MAX);
        }
        Brackets {
            effect_of,
            effects,
            pairs: used.len() as u8,
        }
    }

    /// Marks of no token: nothing is balanced.
    pub(crate) fn none(vocabulary_len: usize) -> Self {
        Brackets {
            effect_of: vec![0; vocabulary_len],
            effects: vec![Vec::new()],
            pairs: 0,
        }
    }

    /// Whether `token` has no quotation mark or bracket.
    pub(crate) fn leaves_alone(&self, token: u32) -> bool {
        self.effect_of.get(token as usize) == Some(&0)
    }

    /// How many values [`Open`] takes: none, and each pair the text uses.
    pub(crate) fn open_states(&self) -> usize {
        usize::from(self.pairs) + 1
    }

    /// What is open after `token`, when `open` was before; `None` when the
    /// token closes a pair that is not open, or opens one while another
    /// is.
    pub(crate) fn after(&self, open: Open, token: u32) -> Option<Open> {
        let index = *self.effect_of.get(token as usize)?;
        let mut open = open;
        for &mark in self.effects.get(usize::from(index))? {
            open = match mark {
                Mark::Open(kind) if open == 0 => kind,
                Mark::Close(kind) | Mark::Toggle(kind) if open == kind => 0,
                Mark::Toggle(kind) if open == 0 => kind,
                _ => return None,
            };
        }
        Some(open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `text` has balanced pairs, by the rule, char by char: what
    /// the token table must agree with.
    fn balanced(text: &str) -> bool {
        let mut open: Option<usize> = None;
        for c in text.chars() {
            let Some((pair, opens)) = PAIRS
                .iter()
                .enumerate()
                .find_map(|(pair, &(o, close))| (c == o || c == close).then_some((pair, c == o)))
            else {
                continue;
            };
            let symmetric = PAIRS[pair].0 == PAIRS[pair].1;
            open = match open {
                Some(now) if now == pair && (symmetric || !opens) => None,
                None if opens => Some(pair),
                _ => return false,
            };
        }
        open.is_none()
    }

    #[test]
    fn pairs_balance_one_at_a_time() {
        for text in [
            "",
            "a",
            "\"a\"",
            "(a) [b] {c}",
            "“a” «b»",
            "「終わり」",
            "\"a (b\" c)",
        ] {
            let expected = !text.contains("(b\"");
            assert_eq!(balanced(text), expected, "{text}");
        }
        for text in ["(", ")", "a)", "(a", "\"a", "”a“", "((a))", "(a]"] {
            assert!(!balanced(text), "{text}");
        }
    }
}
