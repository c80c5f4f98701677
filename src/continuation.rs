//! Finding where a walk goes on from given words, as a language model
//! continues its prompt.

use crate::chain::Chain;
use crate::walk::Walk;

impl Chain {
    /// Generates words that continue `words` (a prompt's words, oldest
    /// first), forever, determined by `seed`.
    ///
    /// The walk starts from the state made of the last `order` of `words`,
    /// and its first word is one that followed them in the text. When the
    /// chain has no such state, it backs off to the longest final run of
    /// `words` that begins some state, picks one such state at random and
    /// emits the rest of its words; when not even the last word begins a
    /// state, it starts at random, as [`Chain::walk`] does. The words given
    /// are never emitted again. [`Walk::continued_words`] tells how many of
    /// them the walk continues.
    pub fn walk_after(&self, seed: u64, words: &[&[u8]]) -> Walk<'_> {
        Walk::after(self, seed, words)
    }

    /// How many of the last of `words` a walk can continue, and the states
    /// whose first words they are (in id order). `(0, [])` when not even the
    /// last word begins a state.
    pub(crate) fn continuations(&self, words: &[&[u8]]) -> (usize, Vec<u32>) {
        let tail = &words[words.len().saturating_sub(self.order())..];
        let ids = self.vocabulary().find_all(tail);
        // Only runs of known words can begin a state.
        let known = ids.iter().rev().take_while(|id| id.is_some()).count();
        let suffix: Vec<u32> = ids[ids.len() - known..].iter().flatten().copied().collect();
        if known == 0 {
            return (0, Vec::new());
        }
        if self.order() == 1 {
            return (1, vec![suffix[0]]);
        }
        // For each state, the longest final run of the words that its own
        // first words repeat; keep the states with the longest of all.
        let mut best = 0;
        let mut candidates = Vec::new();
        for state in 0..self.state_count() {
            let first = self.state_word(state, 0);
            for length in (best.max(1)..=known).rev() {
                let run = &suffix[known - length..];
                if run[0] == first
                    && run
                        .iter()
                        .enumerate()
                        .all(|(index, &id)| self.state_word(state, index) == id)
                {
                    if length > best {
                        best = length;
                        candidates.clear();
                    }
                    candidates.push(state);
                    break;
                }
            }
        }
        (best, candidates)
    }
}
