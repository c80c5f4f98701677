//! Where a sentence that holds a phrase begins: found by walking back from
//! an occurrence of the phrase, along the transitions into each state in
//! proportion to how often they were taken, to where its sentence began in
//! the text, as markovify's maintainer proposed. The sentence itself is
//! then written forwards, steered to the phrase within about the length
//! that walk found, so that it reads like a sentence of the text rather
//! than a long way round to the phrase.

use super::predecessors::CountedPredecessors;
use super::{Costs, Phrase, PhraseRole};
use crate::chain::Chain;
use crate::rng::Rng;

/// The most tokens walked back, or on, from the phrase: a sentence longer
/// than this is steered within the walk's own budget instead.
const MOST_TOKENS: usize = 200;

/// The states whose last words are the phrase's last (as many as a state
/// holds), and none of whose other words ends a sentence, each with how
/// often it occurs: where a walk back may begin.
#[derive(Clone, Debug)]
pub(crate) struct Anchors {
    states: Vec<u32>,
    /// The running total of the occurrences.
    cumulative: Vec<u64>,
}

impl Anchors {
    /// The anchors of `phrase` in `chain`, for its `role`.
    pub(crate) fn new(
        chain: &Chain,
        predecessors: &CountedPredecessors,
        phrase: &Phrase,
        role: PhraseRole,
    ) -> Self {
        let order = chain.order();
        let shared = phrase.len().min(order);
        let mut states = Vec::new();
        let mut cumulative = Vec::new();
        let mut total = 0u64;
        for state in 0..chain.state_count() {
            let last = chain.last_word(state);
            if role == PhraseRole::Ends && !chain.ends_sentence(last) {
                continue;
            }
            let matches = (0..shared).all(|back| {
                let word = chain.state_word(state, order - 1 - back);
                phrase
                    .ids(phrase.len() - 1 - back)
                    .binary_search(&word)
                    .is_ok()
            });
            // Asked only of the few states that hold the phrase: reading a
            // state's earlier words walks back through the states it
            // follows, and asking it of every state was up to a fifth of a
            // first steered prompt (`docs/performance.md`, session 40).
            let crosses =
                || (0..order - 1).any(|at| chain.ends_sentence(chain.state_word(state, at)));
            if matches && !crosses() {
                total += predecessors.count_into(state).max(1);
                states.push(state);
                cumulative.push(total);
            }
        }
        Anchors { states, cumulative }
    }

    fn draw(&self, rng: &mut Rng) -> Option<u32> {
        let &total = self.cumulative.last()?;
        let draw = rng.below(total);
        let at = self.cumulative.partition_point(|&running| running <= draw);
        self.states.get(at).copied()
    }
}

/// A sentence start and a budget for a sentence around the phrase: the
/// start where a walk back from one of `anchors` reached the start of its
/// sentence, and half as much again as that sentence of the text cost,
/// walked on from the phrase to its end. `None` when the walk back meets
/// a state that no sentence start leads to, or runs too long.
pub(crate) fn sentence_around(
    chain: &Chain,
    predecessors: &CountedPredecessors,
    anchors: &Anchors,
    phrase: &Phrase,
    costs: &Costs,
    rng: &mut Rng,
) -> Option<(u32, u64)> {
    let order = chain.order();
    let anchor = anchors.draw(rng)?;
    // The tokens of the sentence, last first while walking back.
    let mut backwards: Vec<u32> = chain.state_words(anchor).collect();
    backwards.reverse();
    let mut state = anchor;
    // The phrase's tokens before those the anchor holds are walked back
    // through first; then anything, to the sentence's start.
    let mut forced = phrase.len().saturating_sub(order);
    loop {
        let start_here = chain.sentence_starts().binary_search(&state).is_ok();
        let drawn = if forced == 0 {
            predecessors.draw(state, rng)
        } else {
            let allowed = |&(before, _): &(u32, u32)| {
                let first = chain.state_word(before, 0);
                phrase.ids(forced - 1).binary_search(&first).is_ok()
            };
            draw_among(predecessors.of_state(state).filter(allowed), rng)
        };
        let Some(before) = drawn else {
            // A document's first window starts a sentence.
            if forced == 0 && start_here {
                break;
            }
            return None;
        };
        let first = chain.state_word(before, 0);
        if chain.ends_sentence(first) {
            // The sentence begins here, after the word that ended the one
            // before: unless the phrase is not yet all written.
            if forced == 0 && start_here {
                break;
            }
            return None;
        }
        backwards.push(first);
        state = before;
        forced = forced.saturating_sub(1);
        if backwards.len() > MOST_TOKENS {
            return None;
        }
    }
    let start = state;
    let mut sentence: Vec<u32> = backwards.into_iter().rev().collect();
    // On from the anchor, as the chain goes, to a sentence end.
    let mut at = anchor;
    while !chain.ends_sentence(chain.last_word(at)) && sentence.len() < 2 * MOST_TOKENS {
        at = chain.next_state(at, rng)?;
        sentence.push(chain.last_word(at));
    }
    let mut cost = 0u64;
    let mut before = None;
    for &token in &sentence {
        cost += u64::from(costs.step(before, token));
        before = Some(token);
    }
    Some((start, sentence_budget(cost, order)))
}

/// The budget of a sentence whose way to its phrase costs `cost` in a
/// chain of order `order`: half as much again, and the order's tokens,
/// so that the walk has room to go its own way.
pub(crate) fn sentence_budget(cost: u64, order: usize) -> u64 {
    cost + cost / 2 + order as u64
}

/// One of `choices` (states with how often each was taken), drawn in
/// proportion to that; `None` when they add up to none.
fn draw_among(choices: impl Iterator<Item = (u32, u32)>, rng: &mut Rng) -> Option<u32> {
    let choices: Vec<(u32, u32)> = choices.collect();
    let total: u64 = choices.iter().map(|&(_, count)| u64::from(count)).sum();
    if total == 0 {
        return None;
    }
    let mut draw = rng.below(total);
    let (chosen, _) = *choices.iter().find(|&&(_, count)| {
        let taken = draw < u64::from(count);
        draw = draw.saturating_sub(u64::from(count));
        taken
    })?;
    Some(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::build;

    /// Catches a walk back that weighs a state's predecessors, or the
    /// anchors, otherwise than by how often the text took them (each once,
    /// or by how many predecessors): "b." follows "a" three times and "c"
    /// once, so three walks back in four reach the sentence that starts
    /// with "P". At order 1 the predecessors' counts decide; at order 2 the
    /// anchors' ("a b." and "c b.").
    #[test]
    fn a_walk_back_goes_as_often_as_the_text_went() {
        for order in [1, 2] {
            let chain = build(b"P a b. P a b. P a b. Q c b.", order).unwrap();
            let id = |word: &str| chain.vocabulary().find_all(&[word.as_bytes()])[0].unwrap();
            let predecessors = CountedPredecessors::of(&chain);
            let phrase = Phrase::new(vec![vec![id("b.")]]);
            let anchors = Anchors::new(&chain, &predecessors, &phrase, PhraseRole::Contains);
            let walks = 4_000;
            let from_p = (0..walks)
                .filter(|&seed| {
                    let mut rng = Rng::from_seed(seed);
                    let (start, _) = sentence_around(
                        &chain,
                        &predecessors,
                        &anchors,
                        &phrase,
                        &Costs::Tokens,
                        &mut rng,
                    )
                    .unwrap();
                    chain.state_word(start, 0) == id("P")
                })
                .count();
            let share = from_p as f64 / walks as f64;
            // 0.75, within seven standard deviations of 4,000 draws.
            assert!((0.70..0.80).contains(&share), "order {order}: {share}");
        }
    }
}
