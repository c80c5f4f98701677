//! Generating words by walking a chain.

use std::collections::VecDeque;
use std::ops::Deref;

use crate::chain::Chain;
use crate::continuation::continuations;
use crate::copy_guard::CopyGuard;
use crate::error::ChainError;
use crate::rng::Rng;
use crate::steer::{find_phrase, PhraseRole, Plan, Position, Request, Steer};
use crate::temperature::Temperature;

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
    /// In a guarded walk in sentences, the rest of the sentence drafted
    /// and not yet given.
    drafted: VecDeque<u32>,
    /// The cap as given to [`Walk::at_most`].
    length: Option<u64>,
    /// The temperature of the draws, when not 1.
    temperature: Option<Temperature>,
    /// The overlap ratio for the guard, in sentences.
    max_copy_ratio: Option<f64>,
    /// The most characters the output may have.
    max_chars: Option<u64>,
    /// What the walk is steered to, as asked.
    request: Request,
    /// The steering, made at the walk's first step ([`Walk::prepare`]).
    steer: Option<Box<Steer>>,
    /// Where the walk is in its steering.
    position: Position,
    /// Why the walk could not start, once [`Walk::prepare`] has said so.
    failure: Option<Result<(), ChainError>>,
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
            remaining: None,
            written: 0,
            sentences: None,
            max_copy: None,
            guard: None,
            allowed: Vec::new(),
            blocked: false,
            drafted: VecDeque::new(),
            length: None,
            temperature: None,
            max_copy_ratio: None,
            max_chars: None,
            request: Request::default(),
            steer: None,
            position: Position::default(),
            failure: None,
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
        self.request.in_sentences = true;
        self.request.sentences = count;
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
        self.max_chars = Some(max_chars);
        self.request.chars = true;
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
    /// then from sentence starts (up to 100 tries a sentence). Fails unless
    /// the chain was built with its copy index, or when `max_copy` is below
    /// `order + 1`: every step
    /// copies `order + 1` tokens.
    pub fn max_copy(mut self, max_copy: usize) -> Result<Self, ChainError> {
        let order = self.chain.order();
        if max_copy <= order {
            return Err(ChainError::MaxCopyTooLow { order, max_copy });
        }
        if self.chain.copy_index().is_none() {
            return Err(ChainError::NoCopyIndex);
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
        self.length = Some(words);
        self
    }

    /// How many of the last given words the walk continues: 0 when it
    /// started at random, or when a guarded walk in sentences could write
    /// no sentence from them and restarted before writing any word.
    pub fn continued_words(&self) -> usize {
        self.continued
    }

    /// How many words the walk has given.
    pub fn words_written(&self) -> u64 {
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
            if let Some(last) = self.last {
                out.extend_from_slice(tokens.split(vocabulary.word(last)).1);
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
        let drafts = self.guard.is_some() && self.sentences.is_some();
        if drafts && self.drafted.is_empty() && !self.position.finished {
            self.draft_sentence();
        }
        let next = if drafts {
            self.drafted.pop_front()
        } else {
            self.step(true)
        };
        let Some(id) = next else {
            // A steered walk that finished where its goal said is not
            // blocked.
            self.blocked = !self.position.finished;
            self.remaining = Some(0);
            return None;
        };
        self.written += 1;
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
        if let Some(failure) = &self.failure {
            return failure.clone();
        }
        let outcome = self.make_steer();
        if outcome.is_err() {
            self.remaining = Some(0);
        }
        if let (Some(max_copy), Some(index)) = (self.max_copy, self.chain.copy_index()) {
            let in_sentences = self.sentences.is_some();
            let starts_a_sentence = in_sentences && self.continued == 0;
            let guard = CopyGuard::new(index, max_copy, in_sentences, starts_a_sentence);
            self.guard = Some(match (self.max_copy_ratio, in_sentences) {
                (Some(ratio), true) => guard.with_ratio(ratio),
                _ => guard,
            });
        }
        self.failure = Some(outcome.clone());
        outcome
    }

    fn make_steer(&mut self) -> Result<(), ChainError> {
        let request = &self.request;
        let steered =
            request.phrase.is_some() || request.chars || (request.in_sentences && request.balanced);
        if !steered {
            return Ok(());
        }
        let bound = match self.max_chars {
            Some(max_chars) => max_chars,
            None => self.length.unwrap_or(u64::MAX),
        };
        let steer = Steer::new(&self.chain, request, bound);
        self.steer = Some(Box::new(steer));
        if self.pending.is_some() && !self.continuation_fits() {
            // No output goes on from the given words as asked: start where
            // one can.
            self.pending = None;
            self.continued = 0;
        }
        if self.pending.is_none() && !self.some_start_fits() {
            return Err(self.unreachable());
        }
        self.position.at_sentence_start = self.pending.is_none();
        Ok(())
    }

    /// The steering's plan for what the walk writes next.
    fn plan(&self) -> Option<&Plan> {
        current_plan(self.steer.as_deref(), &self.position, self.sentences)
    }

    /// What is left of the budget the steering counts in, for the current
    /// sentence.
    fn left(&self) -> u64 {
        let position = &self.position;
        let overall = match self.max_chars {
            Some(max_chars) => max_chars.saturating_sub(position.chars),
            None => self
                .length
                .map_or(u64::MAX, |length| length.saturating_sub(position.tokens)),
        };
        overall.min(position.sentence_left.unwrap_or(u64::MAX))
    }

    /// Whether writing `state`'s words from here keeps to the steering
    /// within `left`.
    fn words_fit(&self, state: u32, words: impl IntoIterator<Item = u32>, left: u64) -> bool {
        let Some(steer) = self.steer.as_deref() else {
            return true;
        };
        match self.plan() {
            Some(plan) => steer
                .try_words(&self.chain, plan, &self.position, state, words, left)
                .is_some(),
            // Only characters are counted, if anything: the cap on tokens
            // cuts a state's words as it does unsteered.
            None if self.max_chars.is_none() => true,
            None => {
                let mut last = self.position.last;
                let mut spent = 0u64;
                for word in words {
                    spent += u64::from(steer.costs.step(last, word));
                    last = Some(word);
                }
                spent <= left
            }
        }
    }

    /// Whether the given words the walk set out to continue, and what it
    /// writes of its state's, can lead to what it was asked.
    fn continuation_fits(&self) -> bool {
        let Some(pending) = self.pending else {
            return false;
        };
        let order = self.chain.order();
        let words = (order - pending..order).map(|index| self.chain.state_word(self.state, index));
        if pending > 0 {
            return self.words_fit(self.state, words, self.left());
        }
        match self.plan() {
            Some(plan) => plan
                .distance(self.state, self.position.step)
                .is_some_and(|least| least <= self.left()),
            None => true,
        }
    }

    /// Whether some state the walk may start at can lead to what it was
    /// asked.
    fn some_start_fits(&self) -> bool {
        let chain: &Chain = &self.chain;
        let left = self.left();
        if self.sentences.is_some() {
            (chain.sentence_starts().iter()).any(|&state| self.steer_fits(state, left))
        } else {
            (0..chain.state_count()).any(|state| self.steer_fits(state, left))
        }
    }

    /// Whether the steering lets the walk move to `state` and write all of
    /// its words with `left` to spend. A state without followers fits only
    /// where its words reach the goal: the sentence ends there.
    fn steer_fits(&self, state: u32, left: u64) -> bool {
        let words = self.chain.state_words(state);
        if self.plan().is_some() {
            return self.words_fit(state, words, left);
        }
        !self.chain.is_dead_end(state) && self.words_fit(state, words, left)
    }

    /// Why no output can do what the walk was asked.
    fn unreachable(&self) -> ChainError {
        let request = &self.request;
        let within = match (self.max_chars, self.length) {
            (Some(chars), _) => format!("within {chars} characters"),
            (None, Some(length)) if length < u64::MAX / 2 => format!("within {length} words"),
            _ => String::new(),
        };
        let raise = if self.max_chars.is_some() {
            "raise max_chars"
        } else {
            "raise length"
        };
        let unit = if request.in_sentences {
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
            if request.in_sentences && *role == PhraseRole::Ends {
                advice.push_str(
                    " (in sentences it must end a sentence of the text, as 'Holmes.' may)",
                );
            }
        }
        if request.in_sentences && request.balanced {
            goal.push_str(" with balanced quotes and brackets");
            advice.push_str(", or turn that off with -o balanced false");
        }
        if !within.is_empty() {
            goal = format!("{goal} {within}");
        }
        ChainError::Unreachable { goal, advice }
    }

    /// Takes `id` as written, for the steering.
    fn advance_steer(&mut self, id: u32) {
        let Some(steer) = self.steer.as_deref() else {
            return;
        };
        let chain: &Chain = &self.chain;
        let cost = u64::from(steer.costs.step(self.position.last, id));
        let in_sentences = self.sentences.is_some();
        let plan = self.plan();
        let mut position = self.position;
        position.tokens += 1;
        if self.max_chars.is_some() {
            position.chars += cost;
        }
        if let Some(left) = &mut position.sentence_left {
            *left = left.saturating_sub(cost);
        }
        position.at_sentence_start = false;
        let mut reached = false;
        if let Some(plan) = plan {
            match plan.automaton.after(chain, position.step, id) {
                // A token the steering did not choose (a restart of the
                // copy guard's): the automaton starts again.
                None => position.step = 0,
                Some((step, reaches_goal)) => {
                    position.step = step;
                    reached = reaches_goal;
                }
            }
        }
        position.last = Some(id);
        if in_sentences && chain.ends_sentence(id) {
            position.sentences += 1;
            position.step = 0;
            position.sentence_left = None;
            position.at_sentence_start = true;
        } else if reached {
            match steer.phrase_role() {
                Some(PhraseRole::Contains) => position.done = true,
                _ => {
                    // The output ends with the phrase: it ends here unless
                    // it can end with it again within its budget.
                    let left = self.left_after(&position);
                    let again = plan.and_then(|plan| plan.distance(self.state, position.step));
                    position.finished = again.is_none_or(|least| least > left);
                }
            }
        }
        self.position = position;
        let more_wanted = (self.sentences).is_some_and(|count| position.sentences < count.wanted);
        if position.at_sentence_start && more_wanted && !self.next_sentence_fits() {
            self.position.finished = true;
        }
    }

    fn left_after(&self, position: &Position) -> u64 {
        match self.max_chars {
            Some(max_chars) => max_chars.saturating_sub(position.chars),
            None => self
                .length
                .map_or(u64::MAX, |length| length.saturating_sub(position.tokens)),
        }
    }

    /// Whether another whole sentence fits in what is left.
    fn next_sentence_fits(&self) -> bool {
        let Some(plan) = self.plan() else {
            return true;
        };
        let left = self.left();
        let from_here = plan
            .distance(self.state, 0)
            .is_some_and(|least| least <= left);
        from_here || plan.least_sentence.is_some_and(|least| least + 2 <= left)
    }

    /// Whether the next sentence begins at a sentence start found from its
    /// phrase, rather than where the last one ended.
    fn must_jump(&self) -> bool {
        let (Some(steer), Some(plan)) = (self.steer.as_deref(), self.plan()) else {
            return false;
        };
        self.position.at_sentence_start && steer.anchors(plan)
    }

    /// Moves the walk on by one word, and gives that word's id, which the
    /// copy guard (if any) takes as written. Where no follower is left it
    /// restarts (`may_restart`) or gives `None`; `None` too when the guard
    /// allows no restart.
    fn step(&mut self, may_restart: bool) -> Option<u32> {
        if self.position.finished {
            return None;
        }
        let pending = match self.pending {
            Some(0) if self.must_jump() => self.jump()?,
            Some(0) => match self.next_state() {
                Some(next) => {
                    self.state = next;
                    1
                }
                None if may_restart => self.jump()?,
                None => return None,
            },
            Some(pending) => pending,
            None => self.jump()?,
        };
        self.pending = Some(pending - 1);
        let id = self
            .chain
            .state_word(self.state, self.chain.order() - pending);
        if let (Some(guard), Some(index)) = (&mut self.guard, self.chain.copy_index()) {
            guard.push(&self.chain, index, id);
        }
        self.advance_steer(id);
        Some(id)
    }

    /// Writes the next sentence into `drafted`, for a guarded walk in
    /// sentences: a sentence that cannot go on within the guard is dropped
    /// before any of it is given, and tried again from where it began;
    /// after a few tries, another begins at a sentence start of the text
    /// instead. If that drops the continuation of a prompt, the walk no
    /// longer counts as continuing it. Leaves `drafted` empty when no
    /// sentence can be written. A sentence that reaches the walk's cap is
    /// given as far as the cap.
    fn draft_sentence(&mut self) {
        const SENTENCE_TRIES: usize = 100;
        /// Tries from where the sentence begins (the end of the sentence
        /// before, or the prompt), so that the text goes on from there as
        /// an unguarded walk's would, before restarting elsewhere.
        const TRIES_FROM_HERE: usize = 10;
        let cap = self.remaining.unwrap_or(u64::MAX);
        let before = self.guard.clone();
        let (state, pending, position) = (self.state, self.pending, self.position);
        for attempt in 1..=SENTENCE_TRIES {
            let mut length = 0u64;
            while let Some(id) = self.step(length == 0) {
                self.drafted.push_back(id);
                length += 1;
                if self.chain.ends_sentence(id) || length >= cap {
                    return;
                }
            }
            if self.position.finished {
                return;
            }
            // Stuck: back to where the sentence began, to begin another.
            self.drafted.clear();
            self.guard.clone_from(&before);
            self.position = position;
            if attempt < TRIES_FROM_HERE {
                (self.state, self.pending) = (state, pending);
            } else {
                // A restart, at a sentence start: the sentence may now be
                // a whole sentence of the text, which the guard refuses.
                self.pending = None;
                if let Some(guard) = &mut self.guard {
                    guard.begin_sentence();
                }
                if self.written == 0 {
                    self.continued = 0;
                }
            }
        }
    }

    /// A follower of the current state, drawn by weight (tempered, when
    /// the walk has a temperature) among those the copy guard allows and
    /// from which the steering's goal stays within reach.
    fn next_state(&mut self) -> Option<u32> {
        let guard = self.guard.as_ref().filter(|guard| guard.may_refuse());
        if guard.is_none() && self.steer.is_none() && self.temperature.is_none() {
            return self.chain.next_state(self.state, &mut self.rng);
        }
        let left = self.left();
        let steer = self.steer.as_deref();
        let plan = current_plan(steer, &self.position, self.sentences);
        let chain: &Chain = &self.chain;
        let position = &self.position;
        let index = chain.copy_index();
        let counts_chars = self.max_chars.is_some();
        let admits = |next: u32| {
            let token = chain.last_word(next);
            if let (Some(guard), Some(index)) = (guard, index) {
                if !guard.allows(chain, index, token) {
                    return false;
                }
            }
            match (steer, plan) {
                (Some(steer), Some(plan)) => steer
                    .try_move(chain, plan, position, next, token, left)
                    .is_some(),
                // Only characters are counted, if anything.
                (Some(steer), None) => {
                    !counts_chars || u64::from(steer.costs.step(position.last, token)) <= left
                }
                (None, _) => true,
            }
        };
        // Drawn as usual, and drawn again when refused: the admitted
        // followers keep their relative weights, and a state with
        // thousands of followers is not read whole. When the refused ones
        // weigh nearly all, the draw is made among the admitted alone.
        const REDRAWS: usize = 8;
        if !self.temperature.as_ref().is_some_and(Temperature::is_zero) {
            for _ in 0..REDRAWS {
                let next = match &mut self.temperature {
                    Some(temperature) => temperature.draw(chain, self.state, &mut self.rng),
                    None => chain.next_state(self.state, &mut self.rng),
                }?;
                if admits(next) {
                    return Some(next);
                }
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
        self.steer_fits(state, left)
    }

    /// Moves to a random state (one that starts a sentence, in sentence
    /// mode); all of its words are to be emitted. With a copy guard or
    /// steering, to one whose words they allow: a few random tries, then
    /// every candidate in turn from a random one; `None` when none is
    /// allowed. A sentence steered to a phrase starts where a walk back
    /// from the phrase found a sentence of the text to begin.
    fn jump(&mut self) -> Option<usize> {
        const RANDOM_TRIES: usize = 64;
        const ANCHOR_TRIES: usize = 16;
        let order = self.chain.order();
        let in_sentences = self.sentences.is_some();
        let draw = |chain: &Chain, rng: &mut Rng| {
            if in_sentences {
                chain.random_sentence_start(rng)
            } else {
                chain.random_state(rng)
            }
        };
        if self.guard.is_none() && self.steer.is_none() {
            self.state = draw(&self.chain, &mut self.rng);
            return Some(order);
        }
        let anchored = self.position.at_sentence_start
            && (self.steer.as_deref())
                .is_some_and(|steer| self.plan().is_some_and(|plan| steer.anchors(plan)));
        let left = if self.position.at_sentence_start {
            self.left_after(&self.position)
        } else {
            self.left()
        };
        if anchored {
            for _ in 0..ANCHOR_TRIES {
                let steer = self.steer.as_deref()?;
                let Some((start, budget)) = steer.anchored_start(&self.chain, &mut self.rng) else {
                    continue;
                };
                let budget = budget.min(left);
                if self.fits(start, budget) {
                    self.state = start;
                    self.position.sentence_left = Some(budget);
                    return Some(order);
                }
            }
        }
        for _ in 0..RANDOM_TRIES {
            let state = draw(&self.chain, &mut self.rng);
            if self.fits(state, left) {
                self.state = state;
                return Some(order);
            }
        }
        // Every candidate in turn: the sentence starts, or every state.
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

/// The steering's plan for what a walk at `position` writes next: for the
/// last of its `sentences`, or its whole output, the last plan.
fn current_plan<'steer>(
    steer: Option<&'steer Steer>,
    position: &Position,
    sentences: Option<SentenceCount>,
) -> Option<&'steer Plan> {
    let steer = steer?;
    if position.done {
        return None;
    }
    let last = sentences.is_none_or(|count| position.sentences + 1 >= count.wanted);
    steer.plan(last)
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
