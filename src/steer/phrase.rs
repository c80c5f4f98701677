//! A phrase the output must contain or end with, as token ids, and how far
//! the output's last tokens match it.

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
