//! Steering a walk: to a sentence end with its quotes and brackets
//! balanced, through a phrase, to an ending, within a budget of tokens or
//! characters.
//!
//! What the output must reach is an automaton over the tokens it writes
//! ([`Automaton`]): which pair is open, how much of the phrase has just
//! been written. A backward pass over the chain's transitions, from the
//! steps that reach the goal, gives for every state and automaton step the
//! least the walk must still spend ([`Distances`]). A walk then draws only
//! among the followers from which the goal stays within what is left of
//! its budget, keeping their relative weights: it never has to go back,
//! and it fails only where no output can meet the goal, which is known
//! before it starts.

mod anchor;
mod brackets;
mod distances;
mod phrase;
mod predecessors;
mod steering;

use std::cell::OnceCell;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::chain::Chain;
use crate::rng::Rng;
use crate::sentence_distances::SentenceDistances;

use anchor::{sentence_budget, Anchors};
pub(crate) use brackets::Brackets;
use distances::{Distances, UNREACHABLE};
pub(crate) use phrase::{find_phrase, Phrase};
use predecessors::{CountedPredecessors, Predecessors};
pub(crate) use steering::Steering;

/// How many times a walk draws a sentence start around its phrase
/// ([`Plans::anchored_start`]) before it goes without one.
pub(crate) const ANCHOR_TRIES: usize = 16;

/// What the phrase of a steered walk is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PhraseRole {
    /// The output (each sentence, in sentences) contains it.
    Contains,
    /// The output (its last sentence, in sentences) ends with it.
    Ends,
}

/// What a walk's tokens must reach, step by step: a state of the
/// automaton is which pair is open and how many of the phrase's first
/// tokens the output ends with, numbered `open + pairs * matched`.
#[derive(Clone, Debug)]
pub(crate) struct Automaton {
    brackets: Brackets,
    phrase: Option<(Phrase, PhraseRole)>,
    /// In sentences the goal is a sentence end; otherwise the phrase.
    in_sentences: bool,
}

impl Automaton {
    /// How many automaton steps there are.
    pub(crate) fn steps(&self) -> usize {
        let matched = self
            .phrase
            .as_ref()
            .map_or(1, |(phrase, _)| phrase.len() + 1);
        self.brackets.open_states() * matched
    }

    /// Whether `token` may reach the goal from some step: in sentences only
    /// a sentence end does (see `after`); outside them, the token that
    /// makes the phrase whole, or any once it is. Most tokens end no
    /// sentence, which spares the backward pass trying each step of each
    /// state for the goal: with a phrase, whose tokens are not plain, that
    /// was most of a first prompt's pass on a large chain
    /// (`docs/performance.md`, session 40).
    pub(crate) fn may_reach_goal(&self, chain: &Chain, token: u32) -> bool {
        !self.in_sentences || chain.ends_sentence(token)
    }

    /// Whether `token` is plain: no mark, no sentence end (in sentences),
    /// none of the phrase's tokens. Every plain token takes each step to
    /// the same step as every other, so the backward pass works out where
    /// they come from once.
    pub(crate) fn is_plain(&self, chain: &Chain, token: u32) -> bool {
        self.brackets.leaves_alone(token)
            && !(self.in_sentences && chain.ends_sentence(token))
            && self
                .phrase
                .as_ref()
                .is_none_or(|(phrase, _)| phrase.lacks(token))
    }

    /// The automaton step after `token` from `step`, and whether `token`
    /// reaches the goal; `None` when no output may go on with it (a pair
    /// closed before it opened, or in sentences a sentence that ends
    /// before it is balanced or holds the phrase).
    pub(crate) fn after(&self, chain: &Chain, step: usize, token: u32) -> Option<(usize, bool)> {
        let opens = self.brackets.open_states();
        let (open, matched) = (step % opens, step / opens);
        let open = self.brackets.after(open as u8, token)?;
        let (matched, whole) = match &self.phrase {
            None => (0, true),
            Some((phrase, role)) => {
                let done = matched == phrase.len() && *role == PhraseRole::Contains;
                let matched = if done {
                    matched
                } else {
                    phrase.after(matched, token)
                };
                (matched, matched == phrase.len())
            }
        };
        if self.in_sentences {
            if !chain.ends_sentence(token) {
                return Some((usize::from(open) + opens * matched, false));
            }
            return (open == 0 && whole).then_some((0, true));
        }
        Some((usize::from(open) + opens * matched, whole))
    }
}

/// What each step costs against a budget: a token, or the characters it
/// writes (its text and the break of the token before it).
#[derive(Clone, Debug)]
pub(crate) enum Costs {
    Tokens,
    Chars {
        /// Each token's text, in characters.
        text: Vec<u32>,
        /// The break each token puts before the next, in characters.
        after: Vec<u8>,
        /// The break each state's last token puts before the next: what
        /// `after` says of it, kept by state so that the backward pass reads
        /// one byte of a predecessor, not its last word and then that
        /// word's break, both at random.
        after_state: Vec<u8>,
    },
}

impl Costs {
    /// The costs of `chain`'s tokens in characters.
    pub(crate) fn chars(chain: &Chain) -> Self {
        let tokens = chain.tokens();
        let vocabulary = chain.vocabulary();
        let (text, after): (Vec<u32>, Vec<u8>) = (0..vocabulary.len() as u32)
            .map(|id| {
                let (text, after) = tokens.split(vocabulary.word(id));
                let text = u32::try_from(char_count(text)).unwrap_or(u32::MAX / 2);
                (text, char_count(after) as u8)
            })
            .unzip();
        let after_state = (0..chain.state_count())
            .map(|state| after[chain.last_word(state) as usize])
            .collect();
        Costs::Chars {
            text,
            after,
            after_state,
        }
    }

    /// What writing `token` (the last word of a follower of `state`) costs
    /// after the last word of `state`.
    pub(crate) fn between(&self, state: u32, token: u32) -> u32 {
        match self {
            Costs::Tokens => 1,
            Costs::Chars {
                text, after_state, ..
            } => text[token as usize].saturating_add(u32::from(after_state[state as usize])),
        }
    }

    /// What writing `token` costs, after `before` (none at the start).
    pub(crate) fn step(&self, before: Option<u32>, token: u32) -> u32 {
        match self {
            Costs::Tokens => 1,
            Costs::Chars { text, after, .. } => {
                let gap = before.map_or(0, |before| u32::from(after[before as usize]));
                text[token as usize].saturating_add(gap)
            }
        }
    }

    /// What writing `token` costs after `before` when the walk jumped to
    /// it rather than followed: the break between them is the one a jump
    /// puts there ([`crate::tokens::Tokens::break_before_jump`]: in
    /// `unicode` mode, a space after a token that kept none).
    pub(crate) fn jump_step(&self, chain: &Chain, before: Option<u32>, token: u32) -> u32 {
        match (self, before) {
            (Costs::Chars { text, .. }, Some(before)) => {
                let vocabulary = chain.vocabulary();
                let (before, token_word) = (vocabulary.word(before), vocabulary.word(token));
                let gap = chain.tokens().break_before_jump(before, token_word);
                let gap = u32::try_from(char_count(gap)).unwrap_or(u32::MAX / 2);
                text[token as usize].saturating_add(gap)
            }
            _ => self.step(before, token),
        }
    }

    /// What writing `token` costs from `position`: after a jump, or after
    /// the token before.
    pub(crate) fn step_from(&self, chain: &Chain, position: &Position, token: u32) -> u32 {
        if position.after_jump {
            self.jump_step(chain, position.last, token)
        } else {
            self.step(position.last, token)
        }
    }

    /// The dearest step.
    fn dearest(&self) -> u64 {
        match self {
            Costs::Tokens => 1,
            Costs::Chars { text, after, .. } => {
                let text = text.iter().max().copied().unwrap_or(0);
                let after = after.iter().max().copied().unwrap_or(0);
                u64::from(text) + u64::from(after)
            }
        }
    }
}

/// An automaton with its distances over one chain.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    pub(crate) automaton: Automaton,
    distances: Distances,
    /// In sentences, the least a whole sentence that begins at a sentence
    /// start of the text costs: whether another fits.
    pub(crate) least_sentence: Option<u64>,
    /// The same plan in tokens, when the distances are in characters and
    /// the cap on tokens is the tighter of the two: the least tokens to the
    /// goal from each state and step, and for a whole sentence.
    in_tokens: Option<Box<Plan>>,
}

/// What writing some tokens does, from where a walk is.
struct Through {
    /// What they cost.
    spent: u64,
    /// How many they are.
    count: u64,
    /// The automaton step they leave.
    step: usize,
    /// Whether the last of them reached the goal.
    reached: bool,
}

impl Plan {
    /// The least cost from `state` at automaton step `step` to the goal,
    /// [`None`] when it is beyond the bound the plan was made for.
    pub(crate) fn distance(&self, state: u32, step: usize) -> Option<u64> {
        reachable(self.distances.from(state, step))
    }

    /// Whether the goal is within `left` from `state` at automaton step
    /// `step`, and within `tokens_left` tokens where the plan counts them.
    pub(crate) fn fits_from(
        &self,
        state: u32,
        step: usize,
        left: u64,
        tokens_left: Option<u64>,
    ) -> bool {
        self.distance(state, step)
            .is_some_and(|least| least <= left)
            && self.tokens_fit(tokens_left, |tokens| tokens.distance(state, step))
    }

    /// Whether a whole sentence from a sentence start fits in `left`, given
    /// `margin` beyond its least, and in `tokens_left` where the plan counts
    /// tokens.
    pub(crate) fn sentence_fits(&self, margin: u64, left: u64, tokens_left: Option<u64>) -> bool {
        (self.least_sentence).is_some_and(|least| least + margin <= left)
            && self.tokens_fit(tokens_left, |tokens| tokens.least_sentence)
    }

    /// The least tokens of a whole sentence from a sentence start, where
    /// the plan counts tokens.
    pub(crate) fn least_sentence_tokens(&self) -> Option<u64> {
        self.in_tokens
            .as_ref()
            .and_then(|tokens| tokens.least_sentence)
    }

    /// Whether the least tokens `least` finds fit in `tokens_left`: always
    /// when either the plan or the walk counts no tokens.
    fn tokens_fit(
        &self,
        tokens_left: Option<u64>,
        least: impl FnOnce(&Plan) -> Option<u64>,
    ) -> bool {
        match (&self.in_tokens, tokens_left) {
            (Some(tokens), Some(left)) => least(tokens).is_some_and(|least| least <= left),
            _ => true,
        }
    }

    /// The least the walk costs from `position` through `tokens` to its
    /// goal: writing them, then the least still to spend from `state`
    /// (where they leave it). `None` when it is above `left` (or, where the
    /// plan counts tokens, their least is above `tokens_left`), when the
    /// automaton refuses a token, or when in sentences one before the last
    /// reaches the goal.
    pub(crate) fn cost_through(
        &self,
        chain: &Chain,
        costs: &Costs,
        position: &Position,
        state: u32,
        tokens: impl IntoIterator<Item = u32>,
        (left, tokens_left): (u64, Option<u64>),
    ) -> Option<u64> {
        let through = self.through(chain, costs, position, tokens)?;
        let still = |distances: &Distances| {
            if through.reached {
                Some(0)
            } else {
                reachable(distances.from(state, through.step))
            }
        };
        let total = through.spent + still(&self.distances)?;
        let tokens_fit = self.tokens_fit(tokens_left, |tokens| {
            Some(through.count + still(&tokens.distances)?)
        });
        (total <= left && tokens_fit).then_some(total)
    }

    /// What writing `tokens` from `position` does; `None` when the
    /// automaton refuses one, or in sentences one before the last reaches
    /// the goal.
    fn through(
        &self,
        chain: &Chain,
        costs: &Costs,
        position: &Position,
        tokens: impl IntoIterator<Item = u32>,
    ) -> Option<Through> {
        let mut through = Through {
            spent: 0,
            count: 0,
            step: position.step,
            reached: false,
        };
        let mut from = *position;
        for token in tokens {
            // In sentences, the goal is a sentence end: only the last may
            // reach it.
            if through.reached && self.automaton.in_sentences {
                return None;
            }
            through.spent += u64::from(costs.step_from(chain, &from, token));
            through.count += 1;
            let (step, reaches_goal) = self.automaton.after(chain, through.step, token)?;
            through.step = step;
            through.reached = reaches_goal;
            (from.last, from.after_jump) = (Some(token), false);
        }
        Some(through)
    }

    /// In sentences, the least a whole sentence that begins at a sentence
    /// start of the text costs; `None` outside sentences.
    fn least_sentence(&self, chain: &Chain, costs: &Costs) -> Option<u64> {
        if !self.automaton.in_sentences {
            return None;
        }
        let whole = |&start: &u32| {
            let words = chain.state_words(start);
            let left = (u64::MAX, None);
            self.cost_through(chain, costs, &Position::default(), start, words, left)
        };
        chain.sentence_starts().iter().filter_map(whole).min()
    }
}

/// How many characters `bytes` of UTF-8 hold.
fn char_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&byte| (byte & 0xC0) != 0x80).count()
}

/// A distance, or `None` where it is [`UNREACHABLE`].
fn reachable(distance: u32) -> Option<u64> {
    (distance != UNREACHABLE).then_some(u64::from(distance))
}

/// Where a steered walk is: the automaton step, what it has spent, and
/// how far it has come. Saved and restored with a drafted sentence.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Position {
    pub(crate) step: usize,
    /// The last token written, whose break comes before the next.
    pub(crate) last: Option<u32>,
    /// Whether the next token comes after a jump rather than follows
    /// `last`, whose break may then differ ([`Costs::jump_step`]): set in a
    /// trial of a state the walk may jump to.
    pub(crate) after_jump: bool,
    /// What is left for the current sentence, in the budget's unit, when
    /// it has a budget of its own (a sentence steered to a phrase).
    pub(crate) sentence_left: Option<u64>,
    /// Tokens written.
    pub(crate) tokens: u64,
    /// Characters written, when they are counted.
    pub(crate) chars: u64,
    /// Sentences ended.
    pub(crate) sentences: u64,
    /// Whether the last token ended a sentence, so that the next begins
    /// one.
    pub(crate) at_sentence_start: bool,
    /// In sentences whose last has a plan of its own (it ends with the
    /// phrase): whether the sentence now written is the last, as asked or
    /// because another would leave it no room.
    pub(crate) last_sentence: bool,
    /// What the sentence now written leaves of the budget for the last
    /// one, in the budget's unit: none spends it.
    pub(crate) reserved: u64,
    /// The same of the cap on tokens, where the plans count tokens.
    pub(crate) reserved_tokens: u64,
    /// Outside sentences, whether the phrase the output must contain has
    /// been written: the rest is free.
    pub(crate) done: bool,
    /// Whether the walk is to end here: its output ends with the phrase
    /// and cannot end with it again within its budget, or no further whole
    /// sentence fits.
    pub(crate) finished: bool,
}

/// What a walk asks of its steering: its options.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Request {
    /// The phrase to write, and what for.
    pub(crate) phrase: Option<(Phrase, PhraseRole)>,
    /// In sentences, whether a sentence ends only with its pairs balanced.
    pub(crate) balanced: bool,
    /// How many sentences, when the walk is in sentences.
    pub(crate) sentences: Option<u64>,
    /// The most characters to write.
    pub(crate) max_chars: Option<u64>,
    /// The most tokens to write.
    pub(crate) length: Option<u64>,
}

impl Request {
    /// Whether the walk is in sentences.
    pub(crate) fn in_sentences(&self) -> bool {
        self.sentences.is_some()
    }

    /// Whether anything is to be steered.
    pub(crate) fn steers(&self) -> bool {
        self.phrase.is_some() || self.max_chars.is_some() || (self.in_sentences() && self.balanced)
    }

    /// The cap on tokens where the steering counts it beside the cap on
    /// characters: where it is the lower (every token is at least a
    /// character, so a higher cap on tokens is never reached first).
    pub(crate) fn tokens_also_counted(&self) -> Option<u64> {
        self.length
            .filter(|&length| self.max_chars.is_some_and(|max_chars| length < max_chars))
    }

    /// What the plans for this request depend on: not the cap on tokens
    /// alone, since distances in tokens are kept whole (each step costs
    /// one, so the backward pass reads the whole chain whatever the cap);
    /// the cap on characters bounds a pass in characters, whose ring of
    /// buckets is as long as the dearest step it keeps, and a cap on tokens
    /// below it bounds a second pass, in tokens.
    pub(crate) fn plans_key(&self) -> Request {
        Request {
            phrase: self.phrase.clone(),
            balanced: self.balanced && self.in_sentences(),
            // Only whether a last sentence is planned apart.
            sentences: self.sentences.map(|count| count.min(2)),
            max_chars: self.max_chars,
            length: self.tokens_also_counted(),
        }
    }
}

/// The steering's plans made for walks through one chain, kept for later
/// walks that ask the same ([`crate::Walk::plan_cache`]).
///
/// A steered walk first runs a backward pass over the whole chain; a
/// caller that writes one sentence a walk, as markovify's
/// `make_sentence()` does, would pay for it every time. Share one cache
/// between the walks through one chain: given another chain, it starts
/// over.
#[derive(Debug, Default)]
pub struct PlanCache {
    made: Mutex<Made>,
}

/// The plans a cache holds, and the shape of the chain they are for.
#[derive(Debug, Default)]
struct Made {
    chain: Option<(usize, u32, usize, usize)>,
    plans: Vec<(Request, Arc<Plans>)>,
}

/// What tells chains apart cheaply: order, states, words, transitions.
fn shape_of(chain: &Chain) -> (usize, u32, usize, usize) {
    let transitions = chain.distinct_transition_count();
    (
        chain.order(),
        chain.state_count(),
        chain.vocabulary().len(),
        transitions,
    )
}

impl PlanCache {
    /// The most plans kept; the oldest goes first.
    const KEPT: usize = 8;

    /// An empty cache.
    pub fn new() -> Self {
        PlanCache::default()
    }

    /// The plans for `request` over `chain`: made once, then shared.
    pub(crate) fn plans(&self, chain: &Chain, request: &Request) -> Arc<Plans> {
        let key = request.plans_key();
        let shape = Some(shape_of(chain));
        let found = |made: &Made| {
            (made.chain == shape)
                .then(|| made.plans.iter().find(|(known, _)| *known == key))
                .flatten()
                .map(|(_, plans)| Arc::clone(plans))
        };
        if let Some(plans) = found(&self.lock()) {
            return plans;
        }
        // Made without the lock: two walks that ask at once may both
        // make them, and the first kept is shared from then on.
        let plans = Arc::new(Plans::new(chain, &key));
        let mut made = self.lock();
        if let Some(kept) = found(&made) {
            return kept;
        }
        if made.chain != shape {
            *made = Made {
                chain: shape,
                plans: Vec::new(),
            };
        }
        if made.plans.len() == Self::KEPT {
            made.plans.remove(0);
        }
        made.plans.push((key, Arc::clone(&plans)));
        plans
    }

    /// The plans kept. Nothing panics while the lock is held, so a poisoned
    /// lock still holds a consistent list.
    fn lock(&self) -> MutexGuard<'_, Made> {
        self.made.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The plans of one walk and what it needs to follow them.
#[derive(Clone, Debug)]
pub(crate) struct Plans {
    /// The plan for every sentence but the last; `None` when those are not
    /// steered.
    each: Option<Plan>,
    /// The plan for the last sentence, or for the whole output outside
    /// sentences; `None` when it is the same as `each`.
    last: Option<Plan>,
    pub(crate) costs: Costs,
    /// In sentences steered to a phrase: each state's predecessors and
    /// where the phrase occurs, to walk back from it to a sentence start.
    anchoring: Option<(CountedPredecessors, Anchors)>,
}

impl Plans {
    /// The plans for `request` over `chain`, exact up to its budget.
    pub(crate) fn new(chain: &Chain, request: &Request) -> Self {
        let in_sentences = request.in_sentences();
        let brackets = if request.balanced && in_sentences {
            Brackets::of(chain)
        } else {
            Brackets::none(chain.vocabulary().len())
        };
        let costs = if request.max_chars.is_some() {
            Costs::chars(chain)
        } else {
            Costs::Tokens
        };
        // Only a walk back from a phrase, in sentences, asks how often
        // each predecessor was followed.
        let counted =
            (request.phrase.is_some() && in_sentences).then(|| CountedPredecessors::of(chain));
        // Found only for a pass: a plan saved with the chain needs none.
        let uncounted = OnceCell::new();
        let predecessors = || match &counted {
            Some(counted) => counted.uncounted(),
            None => uncounted.get_or_init(|| Predecessors::of(chain)),
        };
        // The default sentences' distances, when saved with the chain for
        // the pairs its words balance.
        let saved = (in_sentences && request.balanced && matches!(costs, Costs::Tokens))
            .then(|| chain.sentence_distances().shared())
            .flatten()
            .filter(|saved| saved.steps() == brackets.open_states());
        let bound = request.max_chars.unwrap_or(u64::MAX);
        let plan = |phrase: Option<(Phrase, PhraseRole)>| {
            let automaton = Automaton {
                brackets: brackets.clone(),
                phrase,
                in_sentences,
            };
            let role = automaton.phrase.as_ref().map(|(_, role)| *role);
            let distances = match (&saved, role) {
                (Some(saved), None) => Distances::saved(Arc::clone(saved)),
                // Once the phrase is written, what is left of a sentence
                // that contains it is the saved plan's.
                (Some(saved), Some(PhraseRole::Contains)) => Distances::after_phrase(
                    chain,
                    predecessors(),
                    &automaton,
                    bound,
                    Arc::clone(saved),
                ),
                _ => Distances::new(chain, predecessors(), &automaton, &costs, bound),
            };
            let mut plan = Plan {
                automaton,
                distances,
                least_sentence: None,
                in_tokens: None,
            };
            plan.least_sentence = match (&saved, role) {
                (Some(saved), None) => saved.least_sentence(),
                _ => plan.least_sentence(chain, &costs),
            };
            if let Some(length) = request.tokens_also_counted() {
                let tokens = Distances::new(
                    chain,
                    predecessors(),
                    &plan.automaton,
                    &Costs::Tokens,
                    length,
                );
                let mut in_tokens = Plan {
                    automaton: plan.automaton.clone(),
                    distances: tokens,
                    least_sentence: None,
                    in_tokens: None,
                };
                in_tokens.least_sentence = in_tokens.least_sentence(chain, &Costs::Tokens);
                plan.in_tokens = Some(Box::new(in_tokens));
            }
            plan
        };
        let (each, last) = match (&request.phrase, request.sentences) {
            (Some((phrase, PhraseRole::Ends)), Some(count)) if count > 1 => (
                Some(plan(None)),
                Some(plan(Some((phrase.clone(), PhraseRole::Ends)))),
            ),
            (phrase, Some(_)) => (Some(plan(phrase.clone())), None),
            (Some(phrase), None) => (None, Some(plan(Some(phrase.clone())))),
            (None, None) => (None, None),
        };
        let anchoring = match (&request.phrase, counted) {
            (Some((phrase, role)), Some(counted)) => {
                let anchors = Anchors::new(chain, &counted, phrase, *role);
                Some((counted, anchors))
            }
            _ => None,
        };
        Plans {
            each,
            last,
            costs,
            anchoring,
        }
    }

    /// The plan for a sentence (`last`: the walk's last), or for the whole
    /// output outside sentences.
    pub(crate) fn plan(&self, last: bool) -> Option<&Plan> {
        match (last, &self.last) {
            (true, Some(plan)) => Some(plan),
            _ => self.each.as_ref(),
        }
    }

    /// A sentence start for a sentence that `plan` steers to its phrase,
    /// and a budget that gives it about the length of a sentence of the
    /// text: found by walking back from an occurrence of the phrase to
    /// where its sentence begins, and on to where it ends. `None` for a
    /// plan without a phrase, or outside sentences.
    pub(crate) fn anchored_start(
        &self,
        chain: &Chain,
        plan: &Plan,
        rng: &mut Rng,
    ) -> Option<(u32, u64)> {
        let (phrase, _) = plan.automaton.phrase.as_ref()?;
        let (predecessors, anchors) = self.anchoring.as_ref()?;
        anchor::sentence_around(chain, predecessors, anchors, phrase, &self.costs, rng)
    }

    /// Whether sentences steered by `plan` begin at a sentence start found
    /// by walking back from its phrase.
    pub(crate) fn anchors(&self, plan: &Plan) -> bool {
        self.anchoring.is_some() && plan.automaton.phrase.is_some()
    }
}

/// The default sentences' plan (pairs balanced, tokens counted, no
/// phrase), for saving with `chain`.
pub(crate) fn sentence_distances_of(chain: &Chain) -> SentenceDistances {
    let automaton = Automaton {
        brackets: Brackets::of(chain),
        phrase: None,
        in_sentences: true,
    };
    let saved = Arc::new(Distances::saved_in_tokens(
        chain,
        &Predecessors::of(chain),
        &automaton,
    ));
    let least_sentence = Plan {
        automaton,
        distances: Distances::saved(Arc::clone(&saved)),
        least_sentence: None,
        in_tokens: None,
    }
    .least_sentence(chain, &Costs::Tokens);
    // The plan that shared them is gone: no copy is made.
    Arc::unwrap_or_clone(saved).with_least_sentence(least_sentence)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::build;
    use crate::tokens::Tokens;

    fn id(chain: &Chain, word: &str) -> u32 {
        chain.vocabulary().find_all(&[word.as_bytes()])[0].unwrap()
    }

    fn request(sentences: Option<u64>, balanced: bool) -> Request {
        Request {
            sentences,
            balanced,
            length: Some(100),
            ..Request::default()
        }
    }

    #[test]
    fn a_sentence_ends_only_with_its_pair_closed() {
        let chain = build(b"He said \"go home.\" Then he left. \"Stop.\"", 1).unwrap();
        let plans = Plans::new(&chain, &request(Some(1), true));
        let automaton = &plans.plan(true).unwrap().automaton;
        let open = automaton.after(&chain, 0, id(&chain, "\"go")).unwrap();
        assert_eq!(open, (1, false));
        // "home.\"" closes the quote and ends the sentence.
        assert_eq!(
            automaton.after(&chain, 1, id(&chain, "home.\"")),
            Some((0, true))
        );
        // "left." ends a sentence, but not with the quote open.
        assert_eq!(automaton.after(&chain, 1, id(&chain, "left.")), None);
        assert_eq!(
            automaton.after(&chain, 0, id(&chain, "left.")),
            Some((0, true))
        );
        // A quote that both opens and closes leaves none open.
        assert_eq!(
            automaton.after(&chain, 0, id(&chain, "\"Stop.\"")),
            Some((0, true))
        );
    }

    #[test]
    fn contains_stays_met_and_ends_with_does_not() {
        let chain = build(b"a b c a b", 1).unwrap();
        let phrase = Phrase::new(vec![vec![id(&chain, "b")]]);
        for (role, after_c) in [(PhraseRole::Contains, true), (PhraseRole::Ends, false)] {
            let automaton = Automaton {
                brackets: Brackets::none(chain.vocabulary().len()),
                phrase: Some((phrase.clone(), role)),
                in_sentences: false,
            };
            let (step, reached) = automaton.after(&chain, 0, id(&chain, "b")).unwrap();
            assert!(reached);
            let (_, still) = automaton.after(&chain, step, id(&chain, "c")).unwrap();
            assert_eq!(still, after_c, "{role:?}");
        }
    }

    #[test]
    fn characters_count_the_break_before_a_token() {
        let words = build("ab ünï".as_bytes(), 1).unwrap();
        let costs = Costs::chars(&words);
        assert_eq!(costs.step(None, id(&words, "ünï")), 3);
        assert_eq!(costs.step(Some(id(&words, "ab")), id(&words, "ünï")), 4);
        let options = crate::BuildOptions {
            tokens: Tokens::Chars,
            ..crate::BuildOptions::default()
        };
        let chars = crate::build_with(b"xy", 1, options).unwrap();
        let costs = Costs::chars(&chars);
        assert_eq!(costs.step(Some(id(&chars, "x")), id(&chars, "y")), 1);
    }

    #[test]
    fn distances_are_the_fewest_tokens_to_a_sentence_end() {
        // From "a": b c d. (3); from "E": f. (1); from "d.": E f. (2).
        let chain = build(b"a b c d. E f.", 1).unwrap();
        let plans = Plans::new(&chain, &request(Some(1), false));
        let plan = plans.plan(true).unwrap();
        for (word, least) in [("a", 3), ("c", 1), ("d.", 2), ("E", 1)] {
            assert_eq!(plan.distance(id(&chain, word), 0), Some(least), "{word}");
        }
        // The text's last word has no follower: no end lies ahead of it.
        assert_eq!(plan.distance(id(&chain, "f."), 0), None);
        // Within 2 characters, "a" cannot reach one.
        let tight = Request {
            max_chars: Some(2),
            ..request(Some(1), false)
        };
        let plans = Plans::new(&chain, &tight);
        assert_eq!(plans.plan(true).unwrap().distance(id(&chain, "a"), 0), None);
    }

    /// How many backward passes `run` makes on this thread.
    fn passes(run: impl FnOnce()) -> usize {
        let before = distances::PASSES.with(std::cell::Cell::get);
        run();
        distances::PASSES.with(std::cell::Cell::get) - before
    }

    #[test]
    fn a_plan_saved_with_the_chain_spares_the_pass_and_steers_alike() {
        // The bugs: a saved plan left unread (every prompt pays the pass),
        // or read for a walk it was not made for (a phrase, a cap on
        // characters, pairs left unbalanced), whose distances differ.
        let text = "He said \"go (now) home.\" Then he left. \"Stop (it.)\" She \
                    (quietly) said \"no.\" They went home. \"Go.\" He left (then).";
        let built = build(text.as_bytes(), 1).unwrap();
        let saved = sentence_distances_of(&built);
        let loaded = built.clone().with_sentence_distances(
            crate::sentence_distances::KnownSentenceDistances::known(saved),
        );
        let left = Phrase::new(vec![vec![id(&built, "left.")]]);
        let requests = [
            (request(Some(1), true), 0),
            (request(Some(3), true), 0),
            // Every sentence but the last is the default's.
            (
                Request {
                    phrase: Some((left.clone(), PhraseRole::Ends)),
                    ..request(Some(2), true)
                },
                1,
            ),
            (
                Request {
                    phrase: Some((left, PhraseRole::Contains)),
                    ..request(Some(1), true)
                },
                1,
            ),
            (
                Request {
                    max_chars: Some(60),
                    ..request(Some(1), true)
                },
                1,
            ),
            (request(Some(1), false), 1),
        ];
        for (asked, passes_left) in requests {
            let key = asked.plans_key();
            let mut from_saved = None;
            assert_eq!(
                passes(|| from_saved = Some(Plans::new(&loaded, &key))),
                passes_left,
                "{asked:?}"
            );
            let (from_saved, found) = (from_saved.unwrap(), Plans::new(&built, &key));
            for last in [false, true] {
                let (Some(saved), Some(found)) = (from_saved.plan(last), found.plan(last)) else {
                    panic!("{asked:?}: no plan");
                };
                for state in 0..built.state_count() {
                    for step in 0..found.automaton.steps() {
                        let (saved, found) =
                            (saved.distance(state, step), found.distance(state, step));
                        assert_eq!(saved, found, "{asked:?}, state {state}, step {step}");
                    }
                }
                assert_eq!(saved.least_sentence, found.least_sentence);
            }
        }
    }
}
