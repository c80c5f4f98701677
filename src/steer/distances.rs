//! The backward pass: from every state and step of the automaton, the
//! least a walk must still spend to reach its goal.

use std::sync::Arc;

use super::predecessors::Predecessors;
use super::{Automaton, Costs};
use crate::chain::Chain;
use crate::sentence_distances::{FoundDistances, SentenceDistances};

/// Where no goal can be reached within the bound.
pub(crate) const UNREACHABLE: u32 = u32::MAX;

#[cfg(test)]
thread_local! {
    /// How many passes this thread has run: how a test sees that a plan
    /// saved with the chain spared one.
    pub(crate) static PASSES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// For each state `s` of the chain and automaton step `q`, the least cost
/// of the steps from there to a step that reaches the goal (that step
/// included), or [`UNREACHABLE`] when it is above the bound.
#[derive(Clone, Debug)]
pub(crate) struct Distances {
    steps: usize,
    values: Values,
}

/// Where the distances are: found by the pass, saved with the chain, or
/// both, for a sentence that must contain a phrase.
#[derive(Clone, Debug)]
enum Values {
    Found(Vec<u32>),
    Saved(Arc<SentenceDistances>),
    /// The steps before the phrase is whole found by the pass (`steps` of
    /// them a state); the steps after it, where only the pairs and the
    /// sentence end are left, are the saved sentences' plan, up to
    /// `bound`.
    AfterPhrase {
        before: Vec<u32>,
        saved: Arc<SentenceDistances>,
        bound: u32,
    },
}

impl Distances {
    /// The distances for `automaton` over `chain`, exact up to `bound`
    /// (above it, [`UNREACHABLE`]).
    pub(crate) fn new(
        chain: &Chain,
        predecessors: &Predecessors,
        automaton: &Automaton,
        costs: &Costs,
        bound: u64,
    ) -> Self {
        Distances {
            steps: automaton.steps(),
            values: Values::Found(Pass::whole(automaton, costs, bound).values(chain, predecessors)),
        }
    }

    /// The distances for `automaton` over `chain` in tokens, unbounded, as
    /// a chain file keeps them (without the least sentence, which the
    /// caller adds): found a byte a (state, step) at a time.
    pub(crate) fn saved_in_tokens(
        chain: &Chain,
        predecessors: &Predecessors,
        automaton: &Automaton,
    ) -> SentenceDistances {
        let steps = automaton.steps();
        let states = chain.state_count() as usize;
        let mut found = FoundDistances::new(states, steps);
        let mut seen = QueuedOnce::new(states * steps, |node, distance| {
            found.settle(node, distance);
        });
        let costs = Costs::Tokens;
        Pass::whole(automaton, &costs, u64::MAX).settle(chain, predecessors, &mut seen);
        found.packed()
    }

    /// The distances in tokens, up to `bound`, for `automaton`, a sentence
    /// that must contain a phrase with its pairs balanced: the pass runs
    /// over the steps before the phrase is whole only, and takes what is
    /// left once it is from `saved`, the saved sentences' plan for the
    /// same pairs, which is the same (`docs/performance.md`, session 40).
    /// For a phrase of one token, half the pass.
    pub(crate) fn after_phrase(
        chain: &Chain,
        predecessors: &Predecessors,
        automaton: &Automaton,
        bound: u64,
        saved: Arc<SentenceDistances>,
    ) -> Self {
        let costs = Costs::Tokens;
        let before_whole = automaton.steps() - saved.steps();
        let mut pass = Pass {
            steps: before_whole,
            ..Pass::whole(automaton, &costs, bound)
        };
        // Into the steps after the phrase: a step there costs one token,
        // then what the saved plan says is left.
        let phrase = automaton.phrase.as_ref();
        for next in 0..chain.state_count() {
            let token = chain.last_word(next);
            if phrase.is_none_or(|(phrase, _)| phrase.lacks(token)) {
                continue; // Not the phrase's: never makes it whole.
            }
            for step in 0..before_whole {
                let Some((after, false)) = automaton.after(chain, step, token) else {
                    continue;
                };
                let left = after.checked_sub(before_whole);
                let Some(left) = left.and_then(|after| saved.get(next, after)) else {
                    continue;
                };
                for &state in predecessors.of_state(next) {
                    pass.seeds
                        .push((left.saturating_add(1), state, step as u32));
                }
            }
        }
        pass.seeds.sort_unstable_by(|one, other| other.cmp(one));
        let bound = pass.bound;
        Distances {
            steps: before_whole,
            values: Values::AfterPhrase {
                before: pass.values(chain, predecessors),
                saved,
                bound,
            },
        }
    }

    /// The distances saved with a chain, for the automaton they were found
    /// for (the default sentences', whose steps the caller has matched).
    pub(crate) fn saved(saved: Arc<SentenceDistances>) -> Self {
        Distances {
            steps: saved.steps(),
            values: Values::Saved(saved),
        }
    }

    /// The least cost from `state` at automaton step `step` to the goal.
    pub(crate) fn from(&self, state: u32, step: usize) -> u32 {
        match &self.values {
            Values::Found(values) => values[state as usize * self.steps + step],
            Values::Saved(saved) => saved.get(state, step).unwrap_or(UNREACHABLE),
            Values::AfterPhrase {
                before,
                saved,
                bound,
            } => match step.checked_sub(self.steps) {
                None => before[state as usize * self.steps + step],
                Some(after) => (saved.get(state, after))
                    .filter(|&distance| distance <= *bound)
                    .unwrap_or(UNREACHABLE),
            },
        }
    }
}

/// The backward pass: Dial's algorithm (Dijkstra with a bucket per cost,
/// in a ring as long as the dearest step), run backwards from the steps
/// that reach the goal.
struct Pass<'a> {
    automaton: &'a Automaton,
    costs: &'a Costs,
    /// Nothing costlier is queued, so a tight budget makes a short pass.
    bound: u32,
    /// How many of the automaton's steps the pass covers, the first ones:
    /// a step before a covered one is covered too, and the steps past them
    /// come in only through `seeds`.
    steps: usize,
    /// Steps known to reach the goal at a cost, besides those the pass
    /// finds: `(cost, state, step)`, dearest first, each queued when the
    /// pass reaches its cost, so that each step is still first queued at
    /// its least.
    seeds: Vec<(u32, u32, u32)>,
}

impl<'a> Pass<'a> {
    /// A pass over all of `automaton`'s steps, up to `bound`.
    fn whole(automaton: &'a Automaton, costs: &'a Costs, bound: u64) -> Self {
        Pass {
            automaton,
            costs,
            bound: bound.min(u64::from(UNREACHABLE - 1)) as u32,
            steps: automaton.steps(),
            seeds: Vec::new(),
        }
    }

    /// Runs the pass and keeps what it finds in a `u32` a (state, step),
    /// [`UNREACHABLE`] where it settles none: in tokens, written as each
    /// is settled; otherwise, the least cost queued, which is settled last.
    fn values(self, chain: &Chain, predecessors: &Predecessors) -> Vec<u32> {
        let nodes = chain.state_count() as usize * self.steps;
        match self.costs {
            Costs::Tokens => {
                let mut values = vec![UNREACHABLE; nodes];
                let mut seen = QueuedOnce::new(nodes, |node, distance| values[node] = distance);
                self.settle(chain, predecessors, &mut seen);
                values
            }
            Costs::Chars { .. } => {
                let mut seen = Cheapest(vec![UNREACHABLE; nodes]);
                self.settle(chain, predecessors, &mut seen);
                seen.0
            }
        }
    }

    /// Runs the pass, handing each (state, step) it settles to `seen` with
    /// its least cost.
    fn settle(mut self, chain: &Chain, predecessors: &Predecessors, seen: &mut impl Seen) {
        let (automaton, costs, bound, steps) = (self.automaton, self.costs, self.bound, self.steps);
        let nodes = chain.state_count() as usize * steps;
        let mut queue = Queue::new(costs, bound, steps);
        // The steps that reach the goal: into each state, from each of its
        // predecessors, at each automaton step that accepts its token.
        for next in 0..chain.state_count() {
            let token = chain.last_word(next);
            if !automaton.may_reach_goal(chain, token) {
                continue;
            }
            for step in 0..steps {
                if let Some((_, true)) = automaton.after(chain, step, token) {
                    for &state in predecessors.of_state(next) {
                        let cost = costs.between(state, token);
                        queue.offer(seen, state, step, cost);
                    }
                }
            }
        }
        // The steps a token leads from to a settled step: a plain token's,
        // the same for every plain token, kept for each step; a token with
        // a mark, a sentence end or a place in the phrase, worked out each
        // time.
        let mut plain_earlier: Vec<Option<Vec<usize>>> = vec![None; steps];
        let mut marked_earlier: Vec<usize> = Vec::with_capacity(steps);
        let mut order = StateOrder::new(nodes, steps);
        let mut distance = 0u32;
        while (!queue.is_empty() || !self.seeds.is_empty()) && distance <= bound {
            while let Some(&(cost, state, step)) = self.seeds.last() {
                if cost > distance {
                    break;
                }
                queue.offer(seen, state, step as usize, cost);
                self.seeds.pop();
            }
            let mut bucket = queue.take(distance);
            order.arrange(&mut bucket);
            for &(next, step) in &bucket {
                if !seen.settle(next as usize * steps + step as usize, distance) {
                    continue; // Settled cheaper since it was queued.
                }
                let token = chain.last_word(next);
                let step = step as usize;
                let earlier = if !automaton.is_plain(chain, token) {
                    marked_earlier.clear();
                    marked_earlier.extend(earlier_steps(chain, automaton, step, token));
                    &marked_earlier
                } else if automaton.phrase.is_none() {
                    // A plain token keeps its step.
                    std::slice::from_ref(&step)
                } else {
                    plain_earlier[step].get_or_insert_with(|| {
                        earlier_steps(chain, automaton, step, token).collect()
                    })
                };
                if earlier.is_empty() {
                    continue;
                }
                for &state in predecessors.of_state(next) {
                    let cost = distance.saturating_add(costs.between(state, token));
                    for &before in earlier {
                        queue.offer(seen, state, before, cost);
                    }
                }
            }
            distance += 1;
        }
        #[cfg(test)]
        PASSES.with(|passes| passes.set(passes.get() + 1));
    }
}

/// What the pass knows of each (state, step) as it goes: whether an offer
/// is worth queueing, and whether a step read back from its bucket is
/// settled there.
trait Seen {
    /// Whether `node` (state times steps plus step) is worth queueing at
    /// `cost`; remembers that it is.
    fn offer(&mut self, node: usize, cost: u32) -> bool;

    /// Whether `node`, read back from the bucket of `distance`, is settled
    /// at it (not settled cheaper since it was queued); keeps it if so.
    fn settle(&mut self, node: usize, distance: u32) -> bool;
}

/// When every step costs one (a budget in tokens), one bit a state and
/// step, set when it is first queued. The pass then goes a cost at a time,
/// so a step's first queueing is at its least cost: the bit is all the
/// check needs, and its value is handed on when its bucket is read in
/// state order rather than when queued (at random, in an array 32 times
/// the bits' size).
struct QueuedOnce<F> {
    marks: Vec<u64>,
    settled: F,
}

impl<F: FnMut(usize, u32)> QueuedOnce<F> {
    fn new(nodes: usize, settled: F) -> Self {
        QueuedOnce {
            marks: vec![0; nodes.div_ceil(64)],
            settled,
        }
    }
}

impl<F: FnMut(usize, u32)> Seen for QueuedOnce<F> {
    fn offer(&mut self, node: usize, _cost: u32) -> bool {
        let (word, bit) = (&mut self.marks[node / 64], 1u64 << (node % 64));
        let first = *word & bit == 0;
        *word |= bit;
        first
    }

    fn settle(&mut self, node: usize, distance: u32) -> bool {
        (self.settled)(node, distance);
        true
    }
}

/// When steps cost more than one: the least cost queued so far for each
/// state and step, which is its distance once the pass ends.
struct Cheapest(Vec<u32>);

impl Seen for Cheapest {
    fn offer(&mut self, node: usize, cost: u32) -> bool {
        let slot = &mut self.0[node];
        let cheaper = cost < *slot;
        if cheaper {
            *slot = cost;
        }
        cheaper
    }

    fn settle(&mut self, node: usize, distance: u32) -> bool {
        self.0[node] == distance
    }
}

/// The automaton steps that `token` takes to `step` without reaching the
/// goal.
fn earlier_steps<'a>(
    chain: &'a Chain,
    automaton: &'a Automaton,
    step: usize,
    token: u32,
) -> impl Iterator<Item = usize> + 'a {
    (0..automaton.steps())
        .filter(move |&before| automaton.after(chain, before, token) == Some((step, false)))
}

/// The steps waiting to be settled: a bucket per cost, in a ring as long
/// as the dearest step.
struct Queue {
    ring: Vec<Vec<(u32, u32)>>,
    /// Steps queued and not yet taken.
    len: usize,
    bound: u32,
    steps: usize,
}

impl Queue {
    fn new(costs: &Costs, bound: u32, steps: usize) -> Self {
        let ring_len = costs.dearest().min(u64::from(bound)) as usize + 1;
        Queue {
            ring: vec![Vec::new(); ring_len],
            len: 0,
            bound,
            steps,
        }
    }

    /// Queues `state` at automaton step `step` at `cost` unless that is over
    /// the bound or `seen` has it queued as cheaply.
    fn offer(&mut self, seen: &mut impl Seen, state: u32, step: usize, cost: u32) {
        let node = state as usize * self.steps + step;
        if cost <= self.bound && seen.offer(node, cost) {
            let ring_len = self.ring.len();
            self.ring[cost as usize % ring_len].push((state, step as u32));
            self.len += 1;
        }
    }

    /// Takes the bucket of the steps queued at `distance`.
    fn take(&mut self, distance: u32) -> Vec<(u32, u32)> {
        let ring_len = self.ring.len();
        let bucket = std::mem::take(&mut self.ring[distance as usize % ring_len]);
        self.len -= bucket.len();
        bucket
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Puts a bucket's steps in the order of their states, so that settling
/// them reads the states' values, last words and predecessors in one sweep
/// through each array rather than at random: on chains larger than the
/// cache that halves the pass (`docs/performance.md`, session 33).
struct StateOrder {
    /// One bit a state and step, all clear between buckets.
    marks: Vec<u64>,
    steps: usize,
}

impl StateOrder {
    fn new(nodes: usize, steps: usize) -> Self {
        StateOrder {
            marks: vec![0; nodes.div_ceil(64)],
            steps,
        }
    }

    /// Arranges `bucket` in state order, each state and step once. A
    /// bucket of at least one step in 256 is marked in the bits and read
    /// back in order (linear in the chain, cheaper than sorting it); one
    /// of at least one in 4,096 is sorted; a sparser one is left as it is,
    /// since its steps are too far apart to share what the cache holds.
    fn arrange(&mut self, bucket: &mut Vec<(u32, u32)>) {
        let words = self.marks.len();
        if bucket.len() * 4 >= words {
            for &(state, step) in bucket.iter() {
                let node = state as usize * self.steps + step as usize;
                self.marks[node / 64] |= 1 << (node % 64);
            }
            bucket.clear();
            for (index, word) in self.marks.iter_mut().enumerate() {
                while *word != 0 {
                    let node = index * 64 + word.trailing_zeros() as usize;
                    *word &= *word - 1;
                    bucket.push(((node / self.steps) as u32, (node % self.steps) as u32));
                }
            }
        } else if bucket.len() * 64 >= words {
            bucket.sort_unstable();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::build_with;
    use crate::steer::{Brackets, Phrase, PhraseRole};
    use crate::tokens::Tokens;
    use crate::BuildOptions;
    use proptest::prelude::*;

    /// The distances by relaxing every step of every state over and over
    /// until none changes (Bellman-Ford over the chain and the automaton
    /// together), `None` where above `bound`: what the pass must match
    /// whatever order it settles steps in.
    fn relaxed(
        chain: &Chain,
        automaton: &Automaton,
        costs: &Costs,
        bound: u64,
    ) -> Vec<Option<u64>> {
        let steps = automaton.steps();
        let mut least: Vec<Option<u64>> = vec![None; chain.state_count() as usize * steps];
        loop {
            let mut changed = false;
            for state in 0..chain.state_count() {
                for step in 0..steps {
                    let slot = state as usize * steps + step;
                    for (next, _) in chain.followers(state) {
                        let token = chain.last_word(next);
                        // The walk's own cost of the step, not the pass's.
                        let before = chain.last_word(state);
                        let cost = u64::from(costs.step(Some(before), token));
                        let through = match automaton.after(chain, step, token) {
                            None => None,
                            Some((_, true)) => Some(cost),
                            Some((after, false)) => {
                                least[next as usize * steps + after].map(|rest| rest + cost)
                            }
                        };
                        if let Some(through) = through.filter(|&through| through <= bound) {
                            if least[slot].is_none_or(|known| through < known) {
                                least[slot] = Some(through);
                                changed = true;
                            }
                        }
                    }
                }
            }
            if !changed {
                return least;
            }
        }
    }

    proptest! {
        /// Catches an arrangement that loses a queued step or reads one
        /// back as another (a bit of the wrong word, a state and step split
        /// with the wrong width): every path (marked, sorted, as queued)
        /// keeps the same states and steps, in state order unless as queued.
        #[test]
        fn a_bucket_in_state_order_keeps_each_state_and_step(
            states in 1u32..20_000,
            steps in 1usize..13,
            picks in prop::collection::vec((any::<u32>(), any::<u32>()), 0..2_000),
            copies in 1usize..4,
        ) {
            let mut order = StateOrder::new(states as usize * steps, steps);
            let queued: Vec<(u32, u32)> = (picks.iter())
                .map(|&(state, step)| (state % states, step % steps as u32))
                .flat_map(|node| std::iter::repeat_n(node, copies))
                .collect();
            // Then half of it: the marks must be clear again after a bucket.
            for queued in [&queued[..], &queued[..queued.len() / 2]] {
                let mut bucket = queued.to_vec();
                order.arrange(&mut bucket);
                let mut distinct = queued.to_vec();
                distinct.sort_unstable();
                distinct.dedup();
                let mut arranged = bucket.clone();
                arranged.sort_unstable();
                arranged.dedup();
                prop_assert_eq!(&arranged, &distinct);
                let in_order = bucket.windows(2).all(|pair| pair[0] <= pair[1]);
                prop_assert!(bucket == queued || in_order);
            }
        }
    }

    const WORDS: &[&str] = &["a", "b", "c.", "\"d", "e\"", "(f", "g)", "h.\"", "i?"];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Catches a pass that loses or misorders what it has queued (a
        /// bucket cut short, a step settled from a stale entry): every
        /// state and step against the relaxed distances, in tokens and in
        /// characters, with and without a phrase, a budget and pairs.
        #[test]
        fn the_pass_finds_the_least_cost_of_every_state_and_step(
            picks in prop::collection::vec(0..WORDS.len(), 4..40),
            order in 1usize..4,
            phrase_at in prop::option::of((0usize..40, 1usize..3, any::<bool>())),
            in_sentences in any::<bool>(),
            balanced in any::<bool>(),
            in_chars in any::<bool>(),
            unicode in any::<bool>(),
            bound in prop::option::of(0u64..30),
        ) {
            let text: Vec<&str> = picks.iter().map(|&pick| WORDS[pick]).collect();
            // In unicode tokens a token keeps its break, none before
            // punctuation: steps of different lengths in characters.
            let tokens = if unicode { Tokens::Unicode } else { Tokens::Words };
            let options = BuildOptions { tokens, ..BuildOptions::default() };
            let chain = build_with(text.join(" ").as_bytes(), order, options).unwrap();
            let phrase = phrase_at.map(|(at, len, ends)| {
                let state = (at as u32) % chain.state_count();
                let words: Vec<u32> = chain.state_words(state).take(len).collect();
                let role = if ends { PhraseRole::Ends } else { PhraseRole::Contains };
                (Phrase::new(words.iter().map(|&word| vec![word]).collect()), role)
            });
            // Outside sentences the goal is the phrase: there must be one.
            let in_sentences = in_sentences || phrase.is_none();
            let automaton = Automaton {
                brackets: if balanced {
                    Brackets::of(&chain)
                } else {
                    Brackets::none(chain.vocabulary().len())
                },
                phrase,
                in_sentences,
            };
            let costs = if in_chars { Costs::chars(&chain) } else { Costs::Tokens };
            let bound = bound.unwrap_or(u64::MAX);
            let predecessors = Predecessors::of(&chain);
            let distances = Distances::new(&chain, &predecessors, &automaton, &costs, bound);
            let least = relaxed(&chain, &automaton, &costs, bound);
            // What a chain file keeps, found a byte at a time: the same,
            // unless packed with a byte read for its neighbour's.
            let saved = (!in_chars && bound == u64::MAX)
                .then(|| Distances::saved_in_tokens(&chain, &predecessors, &automaton));
            for state in 0..chain.state_count() {
                for step in 0..automaton.steps() {
                    let expected = least[state as usize * automaton.steps() + step];
                    let found = distances.from(state, step);
                    let found = (found != UNREACHABLE).then_some(u64::from(found));
                    prop_assert_eq!(found, expected);
                    if let Some(saved) = &saved {
                        let found = saved.get(state, step).map(u64::from);
                        prop_assert_eq!(found, expected, "saved");
                    }
                }
            }
        }

        /// Catches a plan for a sentence that must contain a phrase which
        /// leaves out a step into the phrase's end, costs it from the
        /// wrong saved step or at the wrong cost, or queues it before the
        /// pass reaches that cost: found before the phrase is whole and
        /// read from the saved sentences' plan after, it must match the
        /// relaxed distances of the whole automaton.
        #[test]
        fn a_plan_after_its_phrase_is_the_saved_one(
            picks in prop::collection::vec(0..WORDS.len(), 4..40),
            order in 1usize..4,
            phrase_at in 0usize..40,
            phrase_len in 1usize..3,
            balanced in any::<bool>(),
            bound in prop::option::of(0u64..30),
        ) {
            let text: Vec<&str> = picks.iter().map(|&pick| WORDS[pick]).collect();
            let chain = build_with(text.join(" ").as_bytes(), order, BuildOptions::default()).unwrap();
            let state = (phrase_at as u32) % chain.state_count();
            let words: Vec<u32> = chain.state_words(state).take(phrase_len).collect();
            let phrase = Phrase::new(words.iter().map(|&word| vec![word]).collect());
            let brackets = if balanced {
                Brackets::of(&chain)
            } else {
                Brackets::none(chain.vocabulary().len())
            };
            let plain = Automaton { brackets, phrase: None, in_sentences: true };
            let automaton = Automaton {
                phrase: Some((phrase, PhraseRole::Contains)),
                ..plain.clone()
            };
            let bound = bound.unwrap_or(u64::MAX);
            let predecessors = Predecessors::of(&chain);
            let saved = Arc::new(Distances::saved_in_tokens(&chain, &predecessors, &plain));
            let distances = Distances::after_phrase(&chain, &predecessors, &automaton, bound, saved);
            let least = relaxed(&chain, &automaton, &Costs::Tokens, bound);
            for state in 0..chain.state_count() {
                for step in 0..automaton.steps() {
                    let found = distances.from(state, step);
                    let found = (found != UNREACHABLE).then_some(u64::from(found));
                    prop_assert_eq!(found, least[state as usize * automaton.steps() + step]);
                }
            }
        }
    }
}
