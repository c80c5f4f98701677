//! The steering of one walk: its plans, where it is in them, and what is
//! left of its budget. The walk asks it which followers and restarts keep
//! to the plan, and tells it each token it writes.

use std::sync::Arc;

use super::{sentence_budget, PhraseRole, Plan, PlanCache, Plans, Position, Request, ANCHOR_TRIES};
use crate::chain::Chain;
use crate::error::ChainError;
use crate::rng::Rng;

/// What a whole sentence that begins at a sentence start of the text is
/// given beyond its least ([`Plan::least_sentence`], counted from its first
/// word, without the break before it) when the walk judges whether one
/// more fits.
const SENTENCE_MARGIN: u64 = 2;

/// A walk's steering.
#[derive(Clone, Debug)]
pub(crate) struct Steering {
    plans: Arc<Plans>,
    request: Request,
    position: Position,
}

impl Steering {
    /// The steering for `request` over `chain`, or `None` when it asks for
    /// nothing to be steered, its plans from `cache` when given; made
    /// before the walk's first word, whose
    /// state is `state` with `pending` of its words still to write when it
    /// continues given words. Also gives whether the walk may continue them
    /// (`false`: no output goes on from them as asked, so it starts where
    /// one can), or an error when no output can do what was asked.
    pub(crate) fn begin(
        chain: &Chain,
        request: Request,
        state: u32,
        pending: Option<usize>,
        cache: Option<&PlanCache>,
    ) -> Result<Option<(Steering, bool)>, ChainError> {
        if !request.steers() {
            return Ok(None);
        }
        let plans = match cache {
            Some(cache) => cache.plans(chain, &request),
            None => Arc::new(Plans::new(chain, &request.plans_key())),
        };
        let mut steering = Steering {
            plans,
            request,
            position: Position::default(),
        };
        steering.begin_sentence();
        let continues =
            pending.is_some_and(|pending| steering.continuation_fits(chain, state, pending));
        if !continues && !steering.some_start_fits(chain) {
            return Err(steering.unreachable());
        }
        steering.position.at_sentence_start = !continues;
        Ok(Some((steering, continues)))
    }

    /// Where the walk is, to restore when a drafted sentence is dropped.
    pub(crate) fn position(&self) -> Position {
        self.position
    }

    /// Back to `position`, which [`Steering::position`] gave.
    pub(crate) fn restore(&mut self, position: Position) {
        self.position = position;
    }

    /// Whether the walk is to end here: its output ends with the phrase and
    /// cannot end with it again, or no further whole sentence fits.
    pub(crate) fn finished(&self) -> bool {
        self.position.finished
    }

    /// The plan for what the walk writes next: for the last of its
    /// sentences, or its whole output, the last plan; none once the phrase
    /// it must contain is written.
    fn plan(&self) -> Option<&Plan> {
        if self.position.done {
            return None;
        }
        let last = self.position.last_sentence || self.last_asked();
        self.plans.plan(last)
    }

    /// Whether the last sentence has a plan of its own (it ends with the
    /// phrase, and more than one sentence was asked for): the walk may then
    /// have to come back to an earlier sentence to make it the last.
    pub(crate) fn plans_the_last_apart(&self) -> bool {
        self.plans.each.is_some() && self.plans.last.is_some()
    }

    /// Whether the walk is steered within a cap on tokens beside its cap
    /// on characters ([`Request::tokens_also_counted`]).
    pub(crate) fn counts_tokens_too(&self) -> bool {
        self.request.tokens_also_counted().is_some()
    }

    /// Whether the sentence now written is planned as the walk's last.
    pub(crate) fn in_last_sentence(&self) -> bool {
        self.position.last_sentence || self.last_asked()
    }

    /// Makes the sentence now begun the walk's last, with all that is left
    /// of the budget: a walk comes back to it when the last sentence could
    /// not be written in the room kept for it (the copy guard refused every
    /// sentence tried there).
    pub(crate) fn make_last_sentence(&mut self) {
        self.position.last_sentence = true;
        self.position.reserved = 0;
        self.position.reserved_tokens = 0;
    }

    /// Whether the sentence now written is the last that was asked for
    /// (or there are no sentences).
    fn last_asked(&self) -> bool {
        (self.request.sentences).is_none_or(|wanted| self.position.sentences + 1 >= wanted)
    }

    /// Plans the sentence now begun, where the last sentence has a plan of
    /// its own (it ends with the phrase): one before the last leaves room
    /// for the last at its least, and is the last itself when another
    /// sentence and then the last no longer fit, or when no last can be
    /// written at all, so that the walk refuses before its first word.
    /// Otherwise a walk would write sentences until the budget ran out
    /// and end on one that does not end with the phrase.
    fn begin_sentence(&mut self) {
        self.position.reserved = 0;
        self.position.reserved_tokens = 0;
        let (Some(each), Some(last)) = (&self.plans.each, &self.plans.last) else {
            return;
        };
        if self.last_asked() {
            self.position.last_sentence = true;
            return;
        }
        let left = self.left_overall(&self.position);
        let tokens_left = self.tokens_left(&self.position);
        let sentences_left = (self.request.sentences).map_or(1, |wanted| {
            wanted.saturating_sub(self.position.sentences).max(1)
        });
        // At least its least, and its share of what is left, since the
        // copy guard may refuse the least.
        let room = |least: u64, margin: u64, left: u64| (least + margin).max(left / sentences_left);
        let Some(reserved) = (last.least_sentence).map(|least| room(least, SENTENCE_MARGIN, left))
        else {
            self.position.last_sentence = true;
            return;
        };
        // In tokens too, where they are counted: a sentence's least in
        // tokens has no break before it to allow for.
        let reserved_tokens = match (tokens_left, last.least_sentence_tokens()) {
            (Some(tokens_left), Some(least)) => room(least, 0, tokens_left),
            _ => 0,
        };
        let fits = each.sentence_fits(
            SENTENCE_MARGIN + reserved,
            left,
            tokens_left.map(|tokens_left| tokens_left.saturating_sub(reserved_tokens)),
        );
        let last_fits = tokens_left.is_none_or(|_| last.least_sentence_tokens().is_some());
        if fits && last_fits {
            self.position.reserved = reserved;
            self.position.reserved_tokens = reserved_tokens;
        } else {
            self.position.last_sentence = true;
        }
    }

    /// What is left of the whole budget at `position`, in the unit the
    /// steering counts, less what is kept for the last sentence.
    fn left_overall(&self, position: &Position) -> u64 {
        let left = match (self.request.max_chars, self.request.length) {
            (Some(max_chars), _) => max_chars.saturating_sub(position.chars),
            (None, length) => {
                length.map_or(u64::MAX, |length| length.saturating_sub(position.tokens))
            }
        };
        left.saturating_sub(position.reserved)
    }

    /// What is left of the cap on tokens at `position`, less what is kept
    /// for the last sentence, where the plans count tokens beside
    /// characters ([`Request::tokens_also_counted`]).
    fn tokens_left(&self, position: &Position) -> Option<u64> {
        let length = self.request.tokens_also_counted()?;
        let left = length.saturating_sub(position.tokens);
        Some(left.saturating_sub(position.reserved_tokens))
    }

    /// What is left for the current sentence.
    pub(crate) fn left(&self) -> u64 {
        let position = &self.position;
        (self.left_overall(position)).min(position.sentence_left.unwrap_or(u64::MAX))
    }

    /// What a restart may spend: the whole budget at a sentence start,
    /// what is left of the sentence within one.
    pub(crate) fn restart_left(&self) -> u64 {
        if self.position.at_sentence_start {
            self.left_overall(&self.position)
        } else {
            self.left()
        }
    }

    /// Whether the walk may move to follower `next` with `left` to spend.
    pub(crate) fn admits(&self, chain: &Chain, next: u32, left: u64) -> bool {
        self.words_fit(chain, next, [chain.last_word(next)], left, false)
    }

    /// Whether writing `words`, which leave the walk at `state`, keeps to
    /// the plan within `left`; `jumped`: the walk jumps to them.
    fn words_fit(
        &self,
        chain: &Chain,
        state: u32,
        words: impl IntoIterator<Item = u32>,
        left: u64,
        jumped: bool,
    ) -> bool {
        let position = &Position {
            after_jump: jumped,
            ..self.position
        };
        match self.plan() {
            Some(plan) => {
                let left = (left, self.tokens_left(position));
                (plan.cost_through(chain, &self.plans.costs, position, state, words, left))
                    .is_some()
            }
            // Only characters are counted, if anything: the cap on tokens
            // cuts a state's words as it does unsteered.
            None if self.request.max_chars.is_none() => true,
            None => {
                let mut from = *position;
                let mut spent = 0u64;
                for word in words {
                    spent += u64::from(self.plans.costs.step_from(chain, &from, word));
                    (from.last, from.after_jump) = (Some(word), false);
                }
                spent <= left
            }
        }
    }

    /// Whether the walk may move to `state` and write all of its words with
    /// `left` to spend. A state without followers fits only where its words
    /// reach the goal: the sentence ends there.
    pub(crate) fn start_fits(&self, chain: &Chain, state: u32, left: u64) -> bool {
        let words = chain.state_words(state);
        if self.plan().is_some() {
            return self.words_fit(chain, state, words, left, true);
        }
        !chain.is_dead_end(state) && self.words_fit(chain, state, words, left, true)
    }

    /// Whether a walk that continues given words from `state`, with
    /// `pending` of its words still to write, can do what it was asked.
    fn continuation_fits(&self, chain: &Chain, state: u32, pending: usize) -> bool {
        let words = pending_words(chain, state, pending);
        if pending > 0 {
            return self.words_fit(chain, state, words, self.left(), false);
        }
        match self.plan() {
            Some(plan) => {
                let tokens_left = self.tokens_left(&self.position);
                plan.fits_from(state, self.position.step, self.left(), tokens_left)
            }
            None => true,
        }
    }

    /// Whether some state the walk may start at can do what it was asked.
    fn some_start_fits(&self, chain: &Chain) -> bool {
        let left = self.left();
        if self.request.in_sentences() {
            (chain.sentence_starts().iter()).any(|&state| self.start_fits(chain, state, left))
        } else {
            (0..chain.state_count()).any(|state| self.start_fits(chain, state, left))
        }
    }

    /// Whether the next sentence begins at a sentence start found from its
    /// phrase, rather than where the last one ended.
    pub(crate) fn begins_anchored(&self) -> bool {
        self.position.at_sentence_start && self.plan().is_some_and(|plan| self.plans.anchors(plan))
    }

    /// A sentence start for the next sentence, found from its phrase, and
    /// its budget ([`Plans::anchored_start`]).
    pub(crate) fn anchored_start(&self, chain: &Chain, rng: &mut Rng) -> Option<(u32, u64)> {
        self.plans.anchored_start(chain, self.plan()?, rng)
    }

    /// Gives the sentence now begun a budget of its own.
    pub(crate) fn budget_sentence(&mut self, budget: u64) {
        self.position.sentence_left = Some(budget);
    }

    /// Gives a sentence that continues given words from `state` (with
    /// `pending` of its words still to write), when it is steered to a
    /// phrase in sentences, about the budget of a sentence of the text
    /// around the phrase ([`Plans::anchored_start`]), or half as much again
    /// as its least when that is more. With the whole cap instead (1,000
    /// words unless `length` says), a walk drawn as the chain goes came to
    /// a rare phrase only near the cap's end, in one sentence of hundreds
    /// of words.
    pub(crate) fn budget_continued_sentence(
        &mut self,
        chain: &Chain,
        state: u32,
        pending: usize,
        rng: &mut Rng,
    ) {
        let Some(plan) = self.plan().filter(|plan| self.plans.anchors(plan)) else {
            return;
        };
        let Some(around) = (0..ANCHOR_TRIES)
            .find_map(|_| self.plans.anchored_start(chain, plan, rng))
            .map(|(_, budget)| budget)
        else {
            return;
        };
        let words = pending_words(chain, state, pending);
        let costs = &self.plans.costs;
        let unbounded = (u64::MAX, None);
        let Some(least) = plan.cost_through(chain, costs, &self.position, state, words, unbounded)
        else {
            return;
        };
        let budget = around.max(sentence_budget(least, chain.order()));
        self.position.sentence_left = Some(budget);
    }

    /// Takes `token` as written, which left the walk at `state`;
    /// `jumped`: the walk jumped to it.
    pub(crate) fn advance(&mut self, chain: &Chain, state: u32, token: u32, jumped: bool) {
        let in_sentences = self.request.in_sentences();
        let plan = self.plan();
        let mut position = self.position;
        position.after_jump = jumped;
        let cost = u64::from(self.plans.costs.step_from(chain, &position, token));
        position.after_jump = false;
        position.tokens += 1;
        if self.request.max_chars.is_some() {
            position.chars += cost;
        }
        if let Some(left) = &mut position.sentence_left {
            *left = left.saturating_sub(cost);
        }
        position.at_sentence_start = false;
        let mut reached = false;
        if let Some(plan) = plan {
            match plan.automaton.after(chain, position.step, token) {
                // A token the steering did not choose (a restart of the
                // copy guard's): the automaton starts again.
                None => position.step = 0,
                Some((step, reaches_goal)) => {
                    position.step = step;
                    reached = reaches_goal;
                }
            }
        }
        position.last = Some(token);
        if in_sentences && chain.ends_sentence(token) {
            position.sentences += 1;
            position.step = 0;
            position.sentence_left = None;
            position.at_sentence_start = true;
        } else if reached {
            match &self.request.phrase {
                Some((_, PhraseRole::Contains)) => position.done = true,
                _ => {
                    // The output ends with the phrase: it ends here unless
                    // it can end with it again within its budget.
                    let left = self.left_overall(&position);
                    let tokens_left = self.tokens_left(&position);
                    let again = plan.is_some_and(|plan| {
                        plan.fits_from(state, position.step, left, tokens_left)
                    });
                    position.finished = !again;
                }
            }
        }
        let ended_the_last = position.at_sentence_start && position.last_sentence;
        self.position = position;
        let more_wanted =
            (self.request.sentences).is_some_and(|wanted| position.sentences < wanted);
        if position.at_sentence_start && more_wanted {
            if ended_the_last {
                // A last sentence begun early, for want of room.
                self.position.finished = true;
                return;
            }
            self.begin_sentence();
            if !self.next_sentence_fits(state) {
                self.position.finished = true;
            }
        }
    }

    /// Whether another whole sentence fits in what is left, from `state`.
    fn next_sentence_fits(&self, state: u32) -> bool {
        let Some(plan) = self.plan() else {
            return true;
        };
        let (left, tokens_left) = (self.left(), self.tokens_left(&self.position));
        plan.fits_from(state, 0, left, tokens_left)
            || plan.sentence_fits(SENTENCE_MARGIN, left, tokens_left)
    }

    /// Why no output can do what the walk was asked.
    fn unreachable(&self) -> ChainError {
        let request = &self.request;
        let in_sentences = request.in_sentences();
        let within = match (request.max_chars, request.length) {
            (Some(chars), _) => match request.tokens_also_counted() {
                Some(length) => format!(" within {chars} characters and {length} words"),
                None => format!(" within {chars} characters"),
            },
            (None, Some(length)) if length < u64::MAX / 2 => format!(" within {length} words"),
            _ => String::new(),
        };
        let raise = match (request.max_chars, request.tokens_also_counted()) {
            (Some(_), Some(_)) => "raise max_chars or length",
            (Some(_), None) => "raise max_chars",
            _ => "raise length",
        };
        let unit = if in_sentences {
            "a whole sentence"
        } else {
            "an output"
        };
        let mut goal = format!("be {unit}");
        let mut advice = raise.to_owned();
        if let Some((_, role)) = &request.phrase {
            let (verb, option) = match role {
                PhraseRole::Contains => ("contain the phrase", "contains"),
                PhraseRole::Ends => ("end with the phrase", "end"),
            };
            goal = format!("be {unit} and {verb}");
            advice = format!("{raise}, or give another {option}");
            if in_sentences && *role == PhraseRole::Ends {
                advice.push_str(
                    " (in sentences it must end a sentence of the text, as 'Holmes.' may)",
                );
            }
        }
        if in_sentences && request.balanced {
            goal.push_str(" with balanced quotes and brackets");
            advice.push_str(", or turn that off with -o balanced false");
        }
        ChainError::Unreachable {
            goal: goal + &within,
            advice,
        }
    }
}

/// The last `pending` words of `state`: those a walk that continues given
/// words still has to write.
fn pending_words(chain: &Chain, state: u32, pending: usize) -> impl Iterator<Item = u32> + '_ {
    let order = chain.order();
    (order - pending..order).map(move |index| chain.state_word(state, index))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::build;

    fn request(max_chars: Option<u64>) -> Request {
        Request {
            phrase: None,
            balanced: false,
            sentences: None,
            max_chars,
            length: Some(100),
        }
    }

    #[test]
    fn a_request_that_steers_nothing_makes_no_steering() {
        let chain = build(b"the cat sat on the mat", 1).unwrap();
        let steering = Steering::begin(&chain, request(None), 0, None, None).unwrap();
        assert!(steering.is_none());
    }

    #[test]
    fn a_budget_no_start_fits_is_refused_before_any_word() {
        // Every word is two letters or more: nothing fits in one.
        let chain = build(b"the cat sat on the mat", 1).unwrap();
        let refused = Steering::begin(&chain, request(Some(1)), 0, None, None);
        assert!(matches!(refused, Err(ChainError::Unreachable { .. })));
        assert!(Steering::begin(&chain, request(Some(20)), 0, None, None).is_ok());
    }

    #[test]
    fn writing_spends_the_budget_and_restoring_gives_it_back() {
        let chain = build(b"the cat sat on the mat", 1).unwrap();
        let (mut steering, _) = Steering::begin(&chain, request(Some(40)), 0, None, None)
            .unwrap()
            .unwrap();
        assert_eq!(steering.left(), 40);
        let before = steering.position();
        let the = chain.vocabulary().find_all(&[b"the"])[0].unwrap();
        let cat = chain.vocabulary().find_all(&[b"cat"])[0].unwrap();
        steering.advance(&chain, the, the, true);
        steering.advance(&chain, cat, cat, false);
        // "the cat": three letters, a space, three letters.
        assert_eq!(steering.left(), 40 - 7);
        steering.restore(before);
        assert_eq!(steering.left(), 40);
    }
}
