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

use crate::chain::Chain;
use crate::error::ChainError;
use crate::rng::Rng;
use crate::tokens::Tokens;

use anchor::Anchors;
pub(crate) use brackets::Brackets;
use distances::{Distances, UNREACHABLE};
pub(crate) use phrase::Phrase;
use predecessors::Predecessors;

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
    },
}

impl Costs {
    /// The costs of `chain`'s tokens in characters.
    pub(crate) fn chars(chain: &Chain) -> Self {
        let tokens = chain.tokens();
        let vocabulary = chain.vocabulary();
        let count = |bytes: &[u8]| bytes.iter().filter(|&&byte| (byte & 0xC0) != 0x80).count();
        let (text, after) = (0..vocabulary.len() as u32)
            .map(|id| {
                let (text, after) = tokens.split(vocabulary.word(id));
                let text = u32::try_from(count(text)).unwrap_or(u32::MAX / 2);
                (text, count(after) as u8)
            })
            .unzip();
        Costs::Chars { text, after }
    }

    /// What writing the last word of `next` costs after the last word of
    /// `state`, the two states' words read only where characters count.
    pub(crate) fn between(&self, chain: &Chain, state: u32, token: u32) -> u32 {
        match self {
            Costs::Tokens => 1,
            Costs::Chars { .. } => self.step(Some(chain.last_word(state)), token),
        }
    }

    /// What writing `token` costs, after `before` (none at the start).
    pub(crate) fn step(&self, before: Option<u32>, token: u32) -> u32 {
        match self {
            Costs::Tokens => 1,
            Costs::Chars { text, after } => {
                let gap = before.map_or(0, |before| u32::from(after[before as usize]));
                text[token as usize].saturating_add(gap)
            }
        }
    }

    /// The dearest step.
    fn dearest(&self) -> u64 {
        match self {
            Costs::Tokens => 1,
            Costs::Chars { text, after } => {
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
    /// In sentences, the least a sentence that begins at a sentence start
    /// of the text costs: whether another fits.
    pub(crate) least_sentence: Option<u64>,
}

impl Plan {
    /// The least cost from `state` at automaton step `step` to the goal,
    /// [`None`] when it is beyond the bound the plan was made for.
    pub(crate) fn distance(&self, state: u32, step: usize) -> Option<u64> {
        let distance = self.distances.from(state, step);
        (distance != UNREACHABLE).then_some(u64::from(distance))
    }
}

/// Where a steered walk is: the automaton step, what it has spent, and
/// how far it has come. Saved and restored with a drafted sentence.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Position {
    pub(crate) step: usize,
    /// The last token written, whose break comes before the next.
    pub(crate) last: Option<u32>,
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
    /// Outside sentences, whether the phrase the output must contain has
    /// been written: the rest is free.
    pub(crate) done: bool,
    /// Whether the walk is to end here: its output ends with the phrase
    /// and cannot end with it again within its budget, or no further whole
    /// sentence fits.
    pub(crate) finished: bool,
}

/// What a step does to a steered walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Move {
    pub(crate) step: usize,
    pub(crate) reaches_goal: bool,
    pub(crate) cost: u64,
}

/// The plans of one walk and what it needs to follow them.
#[derive(Clone, Debug)]
pub(crate) struct Steer {
    /// The plan for every sentence but the last; `None` when those are not
    /// steered.
    pub(crate) each: Option<Plan>,
    /// The plan for the last sentence, or for the whole output outside
    /// sentences; `None` when it is the same as `each`.
    pub(crate) last: Option<Plan>,
    pub(crate) costs: Costs,
    /// In sentences steered to a phrase: each state's predecessors and
    /// where the phrase occurs, to walk back from it to a sentence start.
    anchoring: Option<(Predecessors, Anchors)>,
    phrase: Option<(Phrase, PhraseRole)>,
}

/// What a walk asks of its steering, from the options.
#[derive(Clone, Debug, Default)]
pub(crate) struct Request {
    pub(crate) phrase: Option<(Phrase, PhraseRole)>,
    pub(crate) balanced: bool,
    pub(crate) in_sentences: bool,
    pub(crate) sentences: u64,
    pub(crate) chars: bool,
}

impl Steer {
    /// The plans for `request` over `chain`, exact up to `bound`.
    pub(crate) fn new(chain: &Chain, request: &Request, bound: u64) -> Self {
        let brackets = if request.balanced && request.in_sentences {
            Brackets::of(chain)
        } else {
            Brackets::none(chain.vocabulary().len())
        };
        let costs = if request.chars {
            Costs::chars(chain)
        } else {
            Costs::Tokens
        };
        let predecessors = Predecessors::of(chain);
        let plan = |phrase: Option<(Phrase, PhraseRole)>| {
            let automaton = Automaton {
                brackets: brackets.clone(),
                phrase,
                in_sentences: request.in_sentences,
            };
            let distances = Distances::new(chain, &predecessors, &automaton, &costs, bound);
            let mut plan = Plan {
                automaton,
                distances,
                least_sentence: None,
            };
            if request.in_sentences {
                let least = (chain.sentence_starts().iter())
                    .filter_map(|&start| {
                        let words = chain.state_words(start);
                        try_words(
                            chain,
                            &plan,
                            &costs,
                            &Position::default(),
                            start,
                            words,
                            u64::MAX,
                        )
                    })
                    .map(|found| found.cost)
                    .min();
                plan.least_sentence = least;
            }
            plan
        };
        let (each, last) = match (&request.phrase, request.in_sentences) {
            (Some((phrase, PhraseRole::Ends)), true) if request.sentences > 1 => (
                Some(plan(None)),
                Some(plan(Some((phrase.clone(), PhraseRole::Ends)))),
            ),
            (phrase, true) => (Some(plan(phrase.clone())), None),
            (Some(phrase), false) => (None, Some(plan(Some(phrase.clone())))),
            (None, false) => (None, None),
        };
        let anchoring = match (&request.phrase, request.in_sentences) {
            (Some((phrase, role)), true) => {
                let anchors = Anchors::new(chain, &predecessors, phrase, *role);
                Some((predecessors, anchors))
            }
            _ => None,
        };
        Steer {
            each,
            last,
            costs,
            anchoring,
            phrase: request.phrase.clone(),
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

    /// What the walk's phrase is for, if it has one.
    pub(crate) fn phrase_role(&self) -> Option<PhraseRole> {
        self.phrase.as_ref().map(|(_, role)| *role)
    }

    /// Whether a sentence steered by `plan` begins at a sentence start found
    /// by walking back from its phrase.
    pub(crate) fn anchors(&self, plan: &Plan) -> bool {
        self.anchoring.is_some() && plan.automaton.phrase.is_some()
    }

    /// What writing `token` from `position` does under `plan`, if it may be
    /// written with `left` to spend: the goal is then reached by it, or
    /// still within reach from `state` (the state it moves to).
    pub(crate) fn try_move(
        &self,
        chain: &Chain,
        plan: &Plan,
        position: &Position,
        state: u32,
        token: u32,
        left: u64,
    ) -> Option<Move> {
        let cost = u64::from(self.costs.step(position.last, token));
        let (step, reaches_goal) = plan.automaton.after(chain, position.step, token)?;
        let still = if reaches_goal {
            Some(0)
        } else {
            plan.distance(state, step)
        }?;
        (cost + still <= left).then_some(Move {
            step,
            reaches_goal,
            cost,
        })
    }

    /// What writing `tokens` in turn from `position` costs, and the step it
    /// ends at, if none fails and the goal is reached only by the last (in
    /// sentences) and is within reach of `left` from `state` after them.
    pub(crate) fn try_words(
        &self,
        chain: &Chain,
        plan: &Plan,
        position: &Position,
        state: u32,
        tokens: impl IntoIterator<Item = u32>,
        left: u64,
    ) -> Option<Move> {
        try_words(chain, plan, &self.costs, position, state, tokens, left)
    }

    /// A sentence start for a sentence that holds (or ends with) the
    /// phrase, and a budget that gives it about the length of a sentence
    /// of the text: found by walking back from an occurrence of the phrase
    /// to where its sentence begins, and on to where it ends.
    pub(crate) fn anchored_start(&self, chain: &Chain, rng: &mut Rng) -> Option<(u32, u64)> {
        let (phrase, _) = self.phrase.as_ref()?;
        let (predecessors, anchors) = self.anchoring.as_ref()?;
        anchor::sentence_around(chain, predecessors, anchors, phrase, &self.costs, rng)
    }
}

/// What writing `tokens` in turn from `position` costs, and the step it
/// ends at, if none fails and the goal is reached only by the last (in
/// sentences) and is within reach of `left` from `state` after them.
fn try_words(
    chain: &Chain,
    plan: &Plan,
    costs: &Costs,
    position: &Position,
    state: u32,
    tokens: impl IntoIterator<Item = u32>,
    left: u64,
) -> Option<Move> {
    let mut trial = *position;
    let mut spent = 0u64;
    let mut reached = false;
    for token in tokens {
        // In sentences, the goal is a sentence end: only the last may
        // reach it.
        if reached && plan.automaton.in_sentences {
            return None;
        }
        spent += u64::from(costs.step(trial.last, token));
        let (step, reaches_goal) = plan.automaton.after(chain, trial.step, token)?;
        trial.step = step;
        trial.last = Some(token);
        reached = reaches_goal;
    }
    let still = if reached {
        0
    } else {
        plan.distance(state, trial.step)?
    };
    (spent + still <= left).then_some(Move {
        step: trial.step,
        reaches_goal: reached,
        cost: spent,
    })
}

/// The ids a phrase's tokens may be in `chain`, from its text cut as the
/// chain's tokens are; an error that names the phrase when it has no token,
/// or a token the text lacks (with the form the text has, when one differs
/// only in case).
pub(crate) fn find_phrase(chain: &Chain, option: &str, text: &[u8]) -> Result<Phrase, ChainError> {
    let tokens = chain.tokens();
    let (cut, _) = crate::segment::prompt_tokens(tokens, text);
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
    let count = cut.len();
    let mut positions = Vec::with_capacity(count);
    let text_of = |word: &[u8]| tokens.split(word).0.to_vec();
    for (index, token) in cut.iter().enumerate() {
        // In the modes whose tokens keep their break, a phrase's token
        // matches the text's whatever its break: the phrase is given on one
        // line, the text has it across lines too.
        let wanted = text_of(token);
        let mut ids: Vec<u32> = (0..vocabulary.len() as u32)
            .filter(|&id| tokens.split(vocabulary.word(id)).0 == wanted.as_slice())
            .collect();
        ids.sort_unstable();
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
