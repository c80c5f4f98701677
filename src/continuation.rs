//! Finding where a walk goes on from given words, as a language model
//! continues its prompt.

use crate::chain::Chain;

/// How many of the last of `words` a walk can continue, and the states it
/// may continue them from (in id order): `(0, [])` when not even the last
/// word begins a state that has a follower. Each of `words` is given as
/// the ids it may be: one id, several (a prompt's last token, whose break
/// is open) or none (a token the chain does not know).
///
/// The walk continues from the state made of the last `order` words when
/// the chain has it; else it backs off to the longest final run of `words`
/// that begins some state. A state with no follower (the text's last
/// window, when it appears nowhere else) is never a candidate: the word
/// after it would not be one that followed the words in the text.
pub(crate) fn continuations(chain: &Chain, words: &[Vec<u32>]) -> (usize, Vec<u32>) {
    let order = chain.order();
    let tail = &words[words.len().saturating_sub(order)..];
    // Only runs of known words can begin a state.
    let known = tail.iter().rev().take_while(|ids| !ids.is_empty()).count();
    let suffix = &tail[tail.len() - known..];
    if known == 0 {
        return (0, Vec::new());
    }
    if order == 1 {
        let mut candidates: Vec<u32> = suffix[0]
            .iter()
            .copied()
            .filter(|&id| !chain.is_dead_end(id))
            .collect();
        candidates.sort_unstable();
        return (usize::from(!candidates.is_empty()), candidates);
    }
    // For each state, the longest final run of the words that its own
    // first words repeat; keep the states with the longest of all.
    let mut best = 0;
    let mut candidates = Vec::new();
    for state in 0..chain.state_count() {
        if chain.is_dead_end(state) {
            continue;
        }
        let first = chain.state_word(state, 0);
        for length in (best.max(1)..=known).rev() {
            let run = &suffix[known - length..];
            if run[0].contains(&first)
                && run
                    .iter()
                    .enumerate()
                    .all(|(index, ids)| ids.contains(&chain.state_word(state, index)))
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
