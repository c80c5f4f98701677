//! Generating words by walking a chain.

mod drafting;

use std::collections::VecDeque;
use std::ops::Deref;
use std::sync::Arc;

use crate::chain::Chain;
use crate::continuation::continuations;
use crate::copy_guard::CopyGuard;
use crate::error::ChainError;
use crate::rng::Rng;
use crate::steer::{find_phrase, PhraseRole, PlanCache, Request, Steering, ANCHOR_TRIES};
use crate::temperature::Temperature;

/// A word that makes a walk panic when it writes it, in builds with the
/// `fault-injection` feature only: the project's tests use it to put a
/// panic inside a walk's step, where no chain can put one otherwise.
#[cfg(feature = "fault-injection")]
pub(crate) const FAULT_INJECTION_WALK_PANIC_WORD: &[u8] = b"\0llm-markov-rs:panic-in-walk\0";

/// A walk through a chain: the words it generates, one at a time,
/// determined by its seed and the chain.
///
/// A walk starts at a random state and emits its words, or continues given
/// words ([`Walk::after`]); from then on each step moves to a follower of
/// the current state, drawn in proportion to how often it followed, and
/// emits that state's newest word. At a dead end (a state with no follower)
/// it jumps to a random state and emits all of its words, as at a random
/// start.
///
/// A walk holds its chain through `C`: a `&Chain`, which makes it an
/// iterator over the chain's words, or anything else that derefs to one
/// (an `Arc<Chain>`, or the Python bindings' handle), so that it can live
/// beside the chain with no borrow. It is endless unless capped
/// ([`Walk::at_most`]) or asked for whole sentences ([`Walk::sentences`]).
///
/// ```
/// use llm_markov_rs::{build, Walk};
///
/// let chain = build(b"the cat sat on the mat. the dog sat too.", 1).unwrap();
/// let words: Vec<&[u8]> = Walk::new(&chain, 7).sentences(1).at_most(100).collect();
/// assert!(chain.vocabulary().find_all(&words).iter().all(Option::is_some));
/// ```
#[derive(Clone, Debug)]
pub struct Walk<C> {
    chain: C,
    rng: Rng,
    state: u32,
    /// How many words of `state` are still to be emitted; `None` before a
    /// random start.
    pending: Option<usize>,
    /// How many of the given words the walk continues.
    continued: usize,
    /// The last token given, whose break goes before the next one.
    last: Option<u32>,
    /// Whether the last token given begins a state the walk jumped to,
    /// rather than one it followed from the token before.
    after_jump: bool,
    /// How many more words the walk may give; `None` for no cap.
    remaining: Option<u64>,
    written: u64,
    /// How many sentences to write and have been written, in sentence mode.
    sentences: Option<SentenceCount>,
    /// The bound on copies, when one was asked for ([`Walk::max_copy`]).
    max_copy: Option<usize>,
    /// The copy guard, made at the walk's first step.
    guard: Option<CopyGuard>,
    /// Which followers of the current state the guard allows: kept to
    /// spare an allocation a step.
    allowed: Vec<bool>,
    /// Whether the walk ended because no token could follow within the
    /// bound on copies.
    blocked: bool,
    /// In a walk that drafts its sentences (guarded, or steered within a
    /// cap on words and one on characters), what is drafted and not yet
    /// given.
    drafted: VecDeque<(u32, bool)>,
    /// The temperature of the draws, when not 1.
    temperature: Option<Temperature>,
    /// The overlap ratio for the guard, in sentences.
    max_copy_ratio: Option<f64>,
    /// What the walk is to be steered to, as asked.
    request: Request,
    /// The steering, made by [`Walk::prepare`] when anything is steered.
    steering: Option<Box<Steering>>,
    /// What [`Walk::prepare`] said, once it has run.
    prepared: Option<Result<(), ChainError>>,
    /// Where the steering's plans for this chain are kept between walks.
    plan_cache: Option<Arc<PlanCache>>,
}

impl<C: Deref<Target = Chain>> Walk<C> {
    /// A walk through `chain` from a random start, determined by `seed`.
    pub fn new(chain: C, seed: u64) -> Self {
        Walk {
            chain,
            rng: Rng::from_seed(seed),
            state: 0,
            pending: None,
            continued: 0,
            last: None,
            after_jump: false,
            remaining: None,
            written: 0,
            sentences: None,
            max_copy: None,
            guard: None,
            allowed: Vec::new(),
            blocked: false,
            drafted: VecDeque::new(),
            temperature: None,
            max_copy_ratio: None,
            request: Request::default(),
            steering: None,
            prepared: None,
            plan_cache: None,
        }
    }

    /// A walk through `chain` that continues `words` (a prompt's words,
    /// oldest first), determined by `seed`.
    ///
    /// The walk starts from the state made of the last `order` of `words`,
    /// and its first word is one that followed them in the text. When the
    /// chain has no such state with a follower, it backs off to the longest
    /// final run of `words` that begins some state, picks one such state at
    /// random and emits the rest of its words; when not even the last word
    /// begins a state, it starts at random, as [`Walk::new`] does. The words
    /// given are never emitted again. [`Walk::continued_words`] tells how
    /// many of them the walk continues.
    pub fn after(chain: C, seed: u64, words: &[&[u8]]) -> Self {
        Walk::continuing(chain, seed, words, false)
    }

    /// A walk through `chain` that continues `prompt`, cut into tokens as
    /// the chain's were ([`crate::prompt_tokens`]), determined by `seed`;
    /// otherwise as [`Walk::after`]. When no whitespace ends the prompt (in
    /// modes whose tokens keep their break), its last token may be any of
    /// the chain's tokens with that text, whatever their break.
    pub fn continuing<T: AsRef<[u8]>>(
        chain: C,
        seed: u64,
        prompt: &[T],
        last_is_open: bool,
    ) -> Self {
        let tail = &prompt[prompt.len().saturating_sub(chain.order())..];
        let with_breaks: Vec<Vec<u8>> = match (last_is_open, tail.last()) {
            // The last token with each break it may keep, looked up in the
            // same pass over the vocabulary.
            (true, Some(text)) => (chain.tokens().possible_breaks().iter())
                .map(|kept| [text.as_ref(), kept].concat())
                .collect(),
            _ => Vec::new(),
        };
        let wanted: Vec<&[u8]> = (tail.iter().map(AsRef::as_ref))
            .chain(with_breaks.iter().map(Vec::as_slice))
            .collect();
        let found = chain.vocabulary().find_all(&wanted);
        let (exact, found_with_breaks) = found.split_at(tail.len());
        let mut ids: Vec<Vec<u32>> = exact
            .iter()
            .map(|id| id.iter().copied().collect())
            .collect();
        if let (true, Some(last)) = (last_is_open, ids.last_mut()) {
            *last = found_with_breaks.iter().flatten().copied().collect();
        }
        let mut walk = Walk::new(chain, seed);
        let (matched, candidates) = continuations(&walk.chain, &ids);
        if matched > 0 {
            let pick = match candidates.len() {
                1 => 0,
                count => walk.rng.below(count as u64) as usize,
            };
            walk.state = candidates[pick];
            walk.pending = Some(walk.chain.order() - matched);
            walk.continued = matched;
        }
        walk
    }

    /// The walk in whole sentences: it starts at the start of a sentence of
    /// the text (unless it continues given words), restarts at one after a
    /// dead end, and ends right after the word that ends its `count`th
    /// sentence. A text with no sentence end ([`Chain::has_sentence_ends`])
    /// gives words until the cap: give one with [`Walk::at_most`].
    pub fn sentences(mut self, count: u64) -> Self {
        self.sentences = Some(SentenceCount {
            wanted: count,
            written: 0,
        });
        self.request.sentences = Some(count);
        self
    }

    /// The walk, drawing each follower by its count raised to
    /// `1 / temperature`: 1 is the chain as learned, towards 0 the most
    /// frequent follower (0 itself: always the most frequent, ties drawn by
    /// the seed), above 1 flatter. Fails unless it is a number of at least
    /// 0.
    pub fn temperature(mut self, temperature: f64) -> Result<Self, ChainError> {
        self.temperature = if temperature == 1.0 {
            None
        } else {
            Some(Temperature::new(&self.chain, temperature)?)
        };
        Ok(self)
    }

    /// The walk, writing at most `max_chars` characters (Unicode scalar
    /// values, the breaks between tokens included); in sentences, whole
    /// sentences only, as many as fit.
    pub fn max_chars(mut self, max_chars: u64) -> Self {
        self.request.max_chars = Some(max_chars);
        self
    }

    /// The walk in sentences, ending a sentence only where its quotation
    /// marks and brackets are balanced (one pair open at a time, none
    /// closed before it opens): on by default from Python.
    pub fn balanced(mut self, balanced: bool) -> Self {
        self.request.balanced = balanced;
        self
    }

    /// The walk in sentences with a bound on copies ([`Walk::max_copy`]),
    /// also never ending a sentence of `n` tokens that copies a run of more
    /// than `ratio * n` of them (rounded half to even, as markovify's
    /// `max_overlap_ratio` is). Fails unless `ratio` is from 0 to 1.
    pub fn max_copy_ratio(mut self, ratio: f64) -> Result<Self, ChainError> {
        if !(0.0..=1.0).contains(&ratio) {
            return Err(ChainError::BadCopyRatio);
        }
        self.max_copy_ratio = Some(ratio);
        Ok(self)
    }

    /// The walk, writing `phrase` (cut into tokens as the chain's were):
    /// in sentences, in every sentence; otherwise somewhere within its cap.
    /// Fails when the phrase has a token the text lacks.
    pub fn contains(mut self, phrase: &[u8]) -> Result<Self, ChainError> {
        let phrase = find_phrase(&self.chain, "contains", phrase)?;
        self.request.phrase = Some((phrase, PhraseRole::Contains));
        Ok(self)
    }

    /// The walk, ending with `phrase` (cut into tokens as the chain's
    /// were): in sentences, its last sentence does; otherwise the output,
    /// within its cap. Fails when the phrase has a token the text lacks.
    pub fn ends_with(mut self, phrase: &[u8]) -> Result<Self, ChainError> {
        let phrase = find_phrase(&self.chain, "end", phrase)?;
        self.request.phrase = Some((phrase, PhraseRole::Ends));
        Ok(self)
    }

    /// The walk, never writing more than `max_copy` consecutive tokens
    /// that occur in that order in the text (the prompt's own tokens do not
    /// count), over restarts too; in sentences, also never a sentence that
    /// is a whole sentence of the text.
    ///
    /// At each step the followers that would make a longer copy are left
    /// out, and the rest keep their relative weights. When none is left,
    /// the walk restarts at a random state whose tokens keep the bound; when
    /// no state does, it ends ([`Walk::blocked`]). In sentences, each
    /// sentence is drafted whole before it is given: one that cannot end
    /// within the bound is dropped and tried again from where it began,
    /// then from sentence starts (up to 100 tries a sentence). With
    /// [`Walk::ends_with`] and several sentences, all of them are drafted
    /// before the first is given, so that an earlier sentence can become
    /// the last when the bound allows none in the room left to the last;
    /// when none can be the last, the walk gives nothing and is blocked.
    /// Fails unless
    /// the chain was built with its copy index, when `max_copy` is below
    /// `order + 1` (every step copies `order + 1` tokens), or when it is
    /// above what an index cut into windows checks
    /// ([`ChainError::MaxCopyTooHigh`]).
    pub fn max_copy(mut self, max_copy: usize) -> Result<Self, ChainError> {
        let order = self.chain.order();
        if max_copy <= order {
            return Err(ChainError::MaxCopyTooLow { order, max_copy });
        }
        let Some(index) = self.chain.copy_index() else {
            return Err(ChainError::NoCopyIndex);
        };
        if let Some(limit) = index.max_copy_limit().filter(|&limit| max_copy > limit) {
            return Err(ChainError::MaxCopyTooHigh { limit, max_copy });
        }
        self.max_copy = Some(max_copy);
        Ok(self)
    }

    /// Whether the walk ended before its cap because no token could follow
    /// within its bound on copies ([`Walk::max_copy`]).
    pub fn blocked(&self) -> bool {
        self.blocked
    }

    /// The longest run of the walk's tokens so far that occurs in the
    /// text, when it has a bound on copies.
    pub fn longest_copy(&self) -> Option<usize> {
        self.guard.as_ref().map(CopyGuard::longest_copy)
    }

    /// The walk, ending after at most `words` more words.
    pub fn at_most(mut self, words: u64) -> Self {
        self.remaining = Some(words);
        self.request.length = Some(words);
        self
    }

    /// How many of the last given words the walk continues: 0 when it
    /// started at random, or when a guarded walk in sentences could write
    /// no sentence from them and restarted before writing any word.
    pub fn continued_words(&self) -> usize {
        self.continued
    }

    /// How many words the walk has given.
    pub fn tokens_written(&self) -> u64 {
        self.written
    }

    /// How many more words the walk may give before its cap (`None` when it
    /// has none): 0 once it has ended.
    pub fn remaining(&self) -> Option<u64> {
        self.remaining
    }

    /// How many sentences the walk has ended, in sentence mode.
    pub fn sentences_written(&self) -> Option<u64> {
        self.sentences.map(|count| count.written)
    }

    /// The next word, or `None` once the walk has ended.
    pub fn next_word(&mut self) -> Option<&[u8]> {
        let id = self.next_id()?;
        Some(self.chain.vocabulary().word(id))
    }

    /// Appends up to `max_words` next tokens to `out` as text: each after
    /// the break the token before it keeps (one space between words, in
    /// `words` mode), but for the walk's very first; the last token's break
    /// waits for a token to follow it. Gives how many it appended (fewer
    /// only once the walk has ended).
    pub fn write_words(&mut self, max_words: u64, out: &mut Vec<u8>) -> u64 {
        let tokens = self.chain.tokens();
        let mut appended = 0;
        while appended < max_words {
            let Some(id) = self.next_id() else { break };
            let vocabulary = self.chain.vocabulary();
            #[cfg(feature = "fault-injection")]
            assert_ne!(vocabulary.word(id), FAULT_INJECTION_WALK_PANIC_WORD);
            if let Some(last) = self.last {
                let before = vocabulary.word(last);
                // The break a token kept is what followed it in the text;
                // after a jump, something else follows it.
                let between = if self.after_jump {
                    tokens.break_before_jump(before, vocabulary.word(id))
                } else {
                    tokens.split(before).1
                };
                out.extend_from_slice(between);
            }
            out.extend_from_slice(tokens.split(vocabulary.word(id)).0);
            self.last = Some(id);
            appended += 1;
        }
        appended
    }

    /// The id of the next word, counted against the cap and the sentences.
    fn next_id(&mut self) -> Option<u32> {
        if self.remaining == Some(0) || self.sentences.is_some_and(SentenceCount::is_done) {
            return None;
        }
        if self.prepare().is_err() {
            return None;
        }
        // Sentences are drafted where a walk may find no way on in the
        // middle of one: the copy guard may refuse every follower, and a
        // walk steered within two caps, whose least costs are found apart,
        // may find none that keeps to both.
        let drafts = self.sentences.is_some()
            && (self.guard.is_some()
                || (self.steering.as_ref()).is_some_and(|steering| steering.counts_tokens_too()));
        if drafts && self.drafted.is_empty() && !self.finished() {
            if (self.steering.as_ref()).is_some_and(|steering| steering.plans_the_last_apart()) {
                self.draft_to_the_last();
            } else {
                self.draft_sentence();
            }
        }
        let next = if drafts {
            self.drafted.pop_front()
        } else {
            self.step(true)
        };
        let Some((id, after_jump)) = next else {
            // A steered walk that finished where its goal said is not
            // blocked.
            self.blocked = !self.finished();
            self.remaining = Some(0);
            return None;
        };
        self.written += 1;
        self.after_jump = after_jump;
        if let Some(remaining) = &mut self.remaining {
            *remaining -= 1;
        }
        if let Some(count) = &mut self.sentences {
            if self.chain.ends_sentence(id) {
                count.written += 1;
            }
            if count.is_done() {
                self.remaining = Some(0);
            }
        }
        Some(id)
    }

    /// Makes what the walk needs before its first word: the copy guard and
    /// the steering, and checks that some output can do what the walk was
    /// asked. Called by the first step; call it first to learn why a walk
    /// gives nothing ([`ChainError::Unreachable`]). A continuation of given
    /// words from which no output can is given up for a random start.
    pub fn prepare(&mut self) -> Result<(), ChainError> {
        if let Some(prepared) = &self.prepared {
            return prepared.clone();
        }
        let request = std::mem::take(&mut self.request);
        let cache = self.plan_cache.as_deref();
        let outcome = match Steering::begin(&self.chain, request, self.state, self.pending, cache) {
            Ok(Some((mut steering, continues))) => {
                match self.pending.filter(|_| continues) {
                    Some(pending) => {
                        steering.budget_continued_sentence(
                            &self.chain,
                            self.state,
                            pending,
                            &mut self.rng,
                        );
                    }
                    None => {
                        self.pending = None;
                        self.continued = 0;
                    }
                }
                self.steering = Some(Box::new(steering));
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(error) => {
                self.remaining = Some(0);
                Err(error)
            }
        };
        if let (Some(max_copy), Some(index)) = (self.max_copy, self.chain.copy_index()) {
            let in_sentences = self.sentences.is_some();
            let starts_a_sentence = in_sentences && self.continued == 0;
            let guard = CopyGuard::new(index, max_copy, in_sentences, starts_a_sentence);
            self.guard = Some(match (self.max_copy_ratio, in_sentences) {
                (Some(ratio), true) => guard.with_ratio(ratio),
                _ => guard,
            });
        }
        self.prepared = Some(outcome.clone());
        outcome
    }

    /// The walk, taking its steering's plans from `cache`, which keeps
    /// those made for earlier walks through the same chain: many short
    /// steered walks then pay for the backward pass once.
    pub fn plan_cache(mut self, cache: Arc<PlanCache>) -> Self {
        self.plan_cache = Some(cache);
        self
    }

    /// Whether a steered walk is to end where it is, its goal met.
    fn finished(&self) -> bool {
        self.steering
            .as_ref()
            .is_some_and(|steering| steering.finished())
    }

    /// Moves the walk on by one word, and gives that word's id, which the
    /// copy guard (if any) takes as written, and whether it is the first
    /// word of a state the walk jumped to. Where no follower is left it
    /// restarts (`may_restart`) or gives `None`; `None` too when the guard
    /// allows no restart.
    fn step(&mut self, may_restart: bool) -> Option<(u32, bool)> {
        if self.finished() {
            return None;
        }
        let (pending, jumped) = match self.pending {
            Some(0)
                if (self.steering.as_ref()).is_some_and(|steering| steering.begins_anchored()) =>
            {
                (self.jump()?, true)
            }
            Some(0) => match self.next_state() {
                Some(next) => {
                    self.state = next;
                    (1, false)
                }
                None if may_restart => (self.jump()?, true),
                None => return None,
            },
            Some(pending) => (pending, false),
            None => (self.jump()?, true),
        };
        self.pending = Some(pending - 1);
        let id = self
            .chain
            .state_word(self.state, self.chain.order() - pending);
        if let (Some(guard), Some(index)) = (&mut self.guard, self.chain.copy_index()) {
            guard.push(&self.chain, index, id);
        }
        if let Some(steering) = &mut self.steering {
            steering.advance(&self.chain, self.state, id, jumped);
        }
        Some((id, jumped))
    }

    /// A follower of the current state, drawn by weight (tempered, when
    /// the walk has a temperature) among those the copy guard allows and
    /// from which the steering's goal stays within reach.
    fn next_state(&mut self) -> Option<u32> {
        let guard = self.guard.as_ref().filter(|guard| guard.may_refuse());
        let steering = self.steering.as_deref();
        if guard.is_none() && steering.is_none() && self.temperature.is_none() {
            return self.chain.next_state(self.state, &mut self.rng);
        }
        let left = steering.map_or(u64::MAX, Steering::left);
        let chain: &Chain = &self.chain;
        let index = chain.copy_index();
        let admits = |next: u32| {
            let token = chain.last_word(next);
            if let (Some(guard), Some(index)) = (guard, index) {
                if !guard.allows(chain, index, token) {
                    return false;
                }
            }
            steering.is_none_or(|steering| steering.admits(chain, next, left))
        };
        // Drawn as usual, and drawn again when refused: the admitted
        // followers keep their relative weights, and a state with
        // thousands of followers is not read whole. When the refused ones
        // weigh nearly all, the draw is made among the admitted alone.
        const REDRAWS: usize = 8;
        for _ in 0..REDRAWS {
            let next = match &mut self.temperature {
                Some(temperature) => temperature.draw(chain, self.state, &mut self.rng),
                None => chain.next_state(self.state, &mut self.rng),
            }?;
            if admits(next) {
                return Some(next);
            }
        }
        if let Some(temperature) = &self.temperature {
            let candidates: Vec<(u32, u32)> = (chain.followers(self.state))
                .filter(|&(next, _)| admits(next))
                .collect();
            return temperature.draw_among(&candidates, &mut self.rng);
        }
        self.allowed.clear();
        self.allowed
            .extend(chain.followers(self.state).map(|(next, _)| admits(next)));
        chain.next_state_among(self.state, &mut self.rng, &self.allowed)
    }

    /// Whether the walk may move to `state` and write all of its words,
    /// with `left` to spend: it has followers, and the copy guard and the
    /// steering allow its words.
    fn fits(&self, state: u32, left: u64) -> bool {
        let chain: &Chain = &self.chain;
        if let (Some(guard), Some(index)) = (&self.guard, chain.copy_index()) {
            if !guard.allows_all(chain, index, chain.state_words(state)) {
                return false;
            }
        }
        match &self.steering {
            Some(steering) => steering.start_fits(chain, state, left),
            None => !chain.is_dead_end(state),
        }
    }

    /// Moves to a random state (one that starts a sentence, in sentence
    /// mode); all of its words are to be emitted. With a copy guard or
    /// steering, to one whose words they allow ([`Walk::jump_to_fitting`]);
    /// `None` when none is allowed. A sentence steered to a phrase starts
    /// where a walk back from the phrase found a sentence of the text to
    /// begin.
    fn jump(&mut self) -> Option<usize> {
        let Some(steering) = self.steering.as_deref() else {
            if self.guard.is_none() {
                self.state = self.random_start();
                return Some(self.chain.order());
            }
            return self.jump_to_fitting(u64::MAX);
        };
        let left = steering.restart_left();
        if steering.begins_anchored() {
            for _ in 0..ANCHOR_TRIES {
                let steering = self.steering.as_deref()?;
                let Some((start, budget)) = steering.anchored_start(&self.chain, &mut self.rng)
                else {
                    continue;
                };
                let budget = budget.min(left);
                if self.fits(start, budget) {
                    self.state = start;
                    self.steering.as_mut()?.budget_sentence(budget);
                    return Some(self.chain.order());
                }
            }
        }
        self.jump_to_fitting(left)
    }

    /// A random state: one that starts a sentence, in sentence mode.
    fn random_start(&mut self) -> u32 {
        if self.sentences.is_some() {
            self.chain.random_sentence_start(&mut self.rng)
        } else {
            self.chain.random_state(&mut self.rng)
        }
    }

    /// Moves to a random state that [`Walk::fits`] with `left` to spend: a
    /// few random tries, then every candidate in turn from a random one.
    fn jump_to_fitting(&mut self, left: u64) -> Option<usize> {
        const RANDOM_TRIES: usize = 64;
        let order = self.chain.order();
        for _ in 0..RANDOM_TRIES {
            let state = self.random_start();
            if self.fits(state, left) {
                self.state = state;
                return Some(order);
            }
        }
        // Every candidate in turn: the sentence starts, or every state.
        let in_sentences = self.sentences.is_some();
        let chain: &Chain = &self.chain;
        let starts = chain.sentence_starts();
        let count = if in_sentences {
            starts.len()
        } else {
            chain.state_count() as usize
        };
        let candidate = |at: usize| if in_sentences { starts[at] } else { at as u32 };
        if count == 0 {
            return None;
        }
        let first = self.rng.below(count as u64) as usize;
        let state = (0..count)
            .map(|offset| candidate((first + offset) % count))
            .find(|&state| self.fits(state, left))?;
        self.state = state;
        Some(order)
    }
}

impl<'chain> Iterator for Walk<&'chain Chain> {
    type Item = &'chain [u8];

    fn next(&mut self) -> Option<&'chain [u8]> {
        let chain: &'chain Chain = self.chain;
        self.next_id().map(|id| chain.vocabulary().word(id))
    }
}

/// How many sentences a walk is to write, and has written.
#[derive(Clone, Copy, Debug)]
struct SentenceCount {
    wanted: u64,
    written: u64,
}

impl SentenceCount {
    fn is_done(self) -> bool {
        self.written >= self.wanted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::{build, build_with};
    use crate::build_options::{BuildOptions, SuffixSort};
    use crate::tokens::Tokens;

    /// Every step of `walk` as `(id, after_jump)`, `count` of them.
    fn steps(walk: &mut Walk<&Chain>, count: usize) -> Vec<(u32, bool)> {
        (0..count).map_while(|_| walk.step(true)).collect()
    }

    #[test]
    fn a_step_is_marked_as_after_a_jump_only_where_the_walk_jumped() {
        // "c" is a dead end: after it the walk jumps, and only the first
        // word of the state it jumps to is marked. Everywhere else a word
        // follows the one before in the text.
        let chain = build(b"a b a b c", 1).unwrap();
        let c = chain.vocabulary().find_all(&[b"c"])[0].unwrap();
        for seed in 0..20 {
            let mut walk = Walk::new(&chain, seed);
            let taken = steps(&mut walk, 60);
            assert!(taken[0].1, "a walk starts with a jump");
            for pair in taken.windows(2) {
                let ((before, _), (_, jumped)) = (pair[0], pair[1]);
                assert_eq!(jumped, before == c, "seed {seed}: {taken:?}");
            }
        }
    }

    #[test]
    fn the_cap_is_the_number_of_words_given() {
        let chain = build(b"a b c a b d", 1).unwrap();
        for cap in [0, 1, 7, 100] {
            let given = Walk::new(&chain, 5).at_most(cap).count() as u64;
            assert_eq!(given, cap);
            let mut out = Vec::new();
            let mut walk = Walk::new(&chain, 5).at_most(cap);
            assert_eq!(walk.write_words(u64::MAX, &mut out), cap);
            assert_eq!(walk.tokens_written(), cap);
        }
    }

    #[test]
    fn written_words_take_the_break_their_token_kept_but_after_a_jump() {
        // In unicode mode "end" and "then" kept no break (punctuation
        // followed them). The copy guard, at one more than the order, makes
        // the walk jump often; after a jump a word from elsewhere gets a
        // space, so that no two words run together ("endwe").
        let options = BuildOptions {
            tokens: Tokens::Unicode,
            copy_index: Some(SuffixSort::Whole),
            ..BuildOptions::default()
        };
        let text = b"we go to the end. they go to the end, then we go; then they go.";
        let words = ["we", "go", "to", "the", "end", "they", "then"];
        let chain = build_with(text, 1, options).unwrap();
        for seed in 0..40 {
            let mut walk = Walk::new(&chain, seed).at_most(60).max_copy(2).unwrap();
            let mut out = Vec::new();
            walk.write_words(60, &mut out);
            let written = String::from_utf8(out).unwrap();
            let glued = (written.split(|c: char| !c.is_alphabetic()))
                .find(|word| !word.is_empty() && !words.contains(word));
            assert_eq!(glued, None, "seed {seed}: {written:?}");
        }
    }
}
