//! A phrase the output must contain or end with, as token ids, and how far
//! the output's last tokens match it.

use crate::chain::Chain;
use crate::error::ChainError;
use crate::segment::prompt_tokens;
use crate::tokens::Tokens;

/// A phrase: for each of its tokens, the ids it may be (several in the
/// modes whose tokens keep their break: `Holmes` is `Holmes ` or
/// `Holmes\n`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Phrase {
    positions: Vec<Vec<u32>>,
}

impl Phrase {
    /// The phrase of `positions`, each a non-empty, sorted list of ids.
    pub(crate) fn new(positions: Vec<Vec<u32>>) -> Self {
        Phrase { positions }
    }

    /// How many tokens it has.
    pub(crate) fn len(&self) -> usize {
        self.positions.len()
    }

    /// The ids its `index`th token may be.
    pub(crate) fn ids(&self, index: usize) -> &[u32] {
        &self.positions[index]
    }

    /// Whether `token` is none of the phrase's tokens.
    pub(crate) fn lacks(&self, token: u32) -> bool {
        self.positions
            .iter()
            .all(|ids| ids.binary_search(&token).is_err())
    }

    /// How many of the phrase's first tokens the output ends with after
    /// `token`, when it ended with `matched` of them before (the
    /// Knuth-Morris-Pratt step: the longest prefix that is a suffix). Once
    /// the whole phrase has matched, a later match may overlap it.
    pub(crate) fn after(&self, matched: usize, token: u32) -> usize {
        let longest = (matched + 1).min(self.len());
        // Try each length from the longest: the prefix of that length
        // must end with `token`, and its first tokens must be the last
        // matched ones.
        (1..=longest)
            .rev()
            .find(|&length| {
                self.positions[length - 1].binary_search(&token).is_ok()
                    && (0..length - 1).all(|index| {
                        self.positions[index] == self.positions[matched + 1 - length + index]
                    })
            })
            .unwrap_or(0)
    }
}

/// The ids a phrase's tokens may be in `chain`, from its text cut as the
/// chain's tokens are; an error that names the phrase when it has no token,
/// or a token the text lacks (with the form the text has, when one differs
/// only in case).
pub(crate) fn find_phrase(chain: &Chain, option: &str, text: &[u8]) -> Result<Phrase, ChainError> {
    let tokens = chain.tokens();
    let (cut, _) = prompt_tokens(tokens, text);
    let not_in_text = |other: Option<String>| ChainError::PhraseNotInText {
        option: option.to_owned(),
        phrase: String::from_utf8_lossy(text).trim().to_owned(),
        other_case: other,
    };
    if cut.is_empty() {
        return Err(ChainError::NoPhrase {
            option: option.to_owned(),
        });
    }
    let vocabulary = chain.vocabulary();
    let mut positions = Vec::with_capacity(cut.len());
    let text_of = |word: &[u8]| tokens.split(word).0.to_vec();
    for (index, token) in cut.iter().enumerate() {
        // In the modes whose tokens keep their break, a phrase's token
        // matches the text's whatever its break: the phrase is given on one
        // line, the text has it across lines too.
        let wanted = text_of(token);
        // Ascending, as `Phrase::after` searches them.
        let ids: Vec<u32> = (0..vocabulary.len() as u32)
            .filter(|&id| tokens.split(vocabulary.word(id)).0 == wanted.as_slice())
            .collect();
        if ids.is_empty() {
            // The form the text has that differs only in case, with the
            // fewest capitals: "Holmes" before "HOLMES".
            let lower = String::from_utf8_lossy(&wanted).to_lowercase();
            let capitals = |word: &str| word.chars().filter(|c| c.is_uppercase()).count();
            let other = (0..vocabulary.len() as u32)
                .map(|id| String::from_utf8_lossy(&text_of(vocabulary.word(id))).into_owned())
                .filter(|word| word.to_lowercase() == lower)
                .min_by_key(|word| (capitals(word), word.clone()));
            return Err(not_in_text(other.map(|word: String| {
                let mut words: Vec<String> = cut
                    .iter()
                    .map(|t| String::from_utf8_lossy(tokens.split(t).0).into_owned())
                    .collect();
                words[index] = word;
                join_for_message(tokens, &words)
            })));
        }
        positions.push(ids);
    }
    Ok(Phrase::new(positions))
}

/// Tokens joined back into a phrase for a message.
fn join_for_message(tokens: Tokens, words: &[String]) -> String {
    match tokens {
        Tokens::Words | Tokens::Lines => words.join(" "),
        Tokens::Unicode | Tokens::Chars => words.concat(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phrase(ids: &[u32]) -> Phrase {
        Phrase::new(ids.iter().map(|&id| vec![id]).collect())
    }

    /// The matched length by brute force: the longest prefix of the phrase
    /// that the output ends with.
    fn naive(phrase: &[u32], output: &[u32]) -> usize {
        (0..=phrase.len().min(output.len()))
            .rev()
            .find(|&length| output.ends_with(&phrase[..length]))
            .unwrap_or(0)
    }

    #[test]
    fn matching_agrees_with_a_brute_force_search() {
        // Self-overlapping phrases are where a simple "restart at 0 or 1"
        // goes wrong: "a a b" after "a a a" still has "a a" matched.
        let phrases: [&[u32]; 4] = [&[0, 0, 1], &[0, 1, 0, 1, 2], &[2], &[0, 1, 0]];
        for ids in phrases {
            let p = phrase(ids);
            // Every output of up to 7 tokens from {0, 1, 2}.
            for code in 0..3usize.pow(7) {
                let output: Vec<u32> = (0..7)
                    .map(|at| (code / 3usize.pow(at) % 3) as u32)
                    .collect();
                let mut matched = 0;
                for (end, &token) in output.iter().enumerate() {
                    matched = p.after(matched, token);
                    let expected = naive(ids, &output[..=end]);
                    // Past a whole match the phrase restarts within it.
                    assert_eq!(matched, expected.min(ids.len()), "{ids:?} {output:?}");
                }
            }
        }
    }
}
