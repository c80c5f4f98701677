//! Drafting a walk's sentences before they are given: where a walk may
//! find no way on in the middle of one (the copy guard refuses every
//! follower, or two caps' least costs, found apart, leave none), a
//! sentence is tried again rather than given cut; and where the last must
//! end with a phrase, every sentence is drafted first, so that an earlier
//! one can become the last.

use std::ops::Deref;

use super::Walk;
use crate::chain::Chain;
use crate::copy_guard::CopyGuard;
use crate::steer::Position;

/// Where a walk that drafts its sentences was when it began drafting a
/// sentence: what [`Walk::draft_to_the_last`] goes back to.
#[derive(Clone, Debug)]
struct SentenceMark {
    /// How many tokens were drafted before the sentence.
    drafted: usize,
    guard: Option<CopyGuard>,
    position: Option<Position>,
    state: u32,
    pending: Option<usize>,
    continued: usize,
}

impl<C: Deref<Target = Chain>> Walk<C> {
    /// Drafts every sentence to the last, for a walk that drafts its
    /// sentences and whose last sentence ends with a phrase. When the
    /// guard refuses every sentence tried before the last, in what the
    /// room kept for the last leaves, that sentence becomes the last; when
    /// it refuses the last in its room, the walk goes back to the start of
    /// the sentence before, which becomes the last with that sentence's
    /// room too. Sentences given could not be taken back, so none is given
    /// before the last is drafted. Leaves `drafted` empty when not even the
    /// first sentence can be written.
    pub(super) fn draft_to_the_last(&mut self) {
        let mut begun: Vec<SentenceMark> = Vec::new();
        loop {
            let mark = self.mark();
            let last = (self.steering.as_ref()).is_some_and(|steering| steering.in_last_sentence());
            if self
                .remaining
                .is_some_and(|remaining| remaining <= mark.drafted as u64)
            {
                return;
            }
            self.draft_sentence();
            let drafted_one = self.drafted.len() > mark.drafted;
            if let Some(&(id, _)) = self.drafted.back().filter(|_| drafted_one) {
                // The last written, or one cut at the cap: the walk ends.
                if last || !self.chain.ends_sentence(id) {
                    return;
                }
                begun.push(mark);
                continue;
            }
            if self.finished() {
                return;
            }
            // A sentence before the last had less room than the last is
            // given: it may fit as the last.
            let earlier = if last {
                let Some(earlier) = begun.pop() else { return };
                earlier
            } else {
                mark
            };
            self.go_back(earlier);
            if let Some(steering) = &mut self.steering {
                steering.make_last_sentence();
            }
        }
    }

    /// Where the walk is before it drafts a sentence.
    fn mark(&self) -> SentenceMark {
        SentenceMark {
            drafted: self.drafted.len(),
            guard: self.guard.clone(),
            position: self.steering.as_ref().map(|steering| steering.position()),
            state: self.state,
            pending: self.pending,
            continued: self.continued,
        }
    }

    /// Back to `mark`, the sentences drafted after it dropped.
    fn go_back(&mut self, mark: SentenceMark) {
        self.drafted.truncate(mark.drafted);
        self.guard = mark.guard;
        if let (Some(steering), Some(position)) = (&mut self.steering, mark.position) {
            steering.restore(position);
        }
        (self.state, self.pending, self.continued) = (mark.state, mark.pending, mark.continued);
    }

    /// Writes the next sentence into `drafted`, after the sentences drafted
    /// before it, for a walk that drafts its sentences: a sentence that
    /// cannot go on (within the guard, or the caps) is dropped before any
    /// of it is given, and
    /// tried again from where it began; after a few tries, another begins
    /// at a sentence start of the text instead. If that drops the
    /// continuation of a prompt, the walk no longer counts as continuing
    /// it. Adds nothing when no sentence can be written. A sentence that
    /// reaches the walk's cap is given as far as the cap.
    pub(super) fn draft_sentence(&mut self) {
        const SENTENCE_TRIES: usize = 100;
        /// Tries from where the sentence begins (the end of the sentence
        /// before, or the prompt), so that the text goes on from there as
        /// an unguarded walk's would, before restarting elsewhere.
        const TRIES_FROM_HERE: usize = 10;
        let earlier = self.drafted.len();
        let cap = (self.remaining.unwrap_or(u64::MAX)).saturating_sub(earlier as u64);
        let before = self.guard.clone();
        let position = self.steering.as_ref().map(|steering| steering.position());
        let (state, pending) = (self.state, self.pending);
        for attempt in 1..=SENTENCE_TRIES {
            let mut length = 0u64;
            while let Some((id, after_jump)) = self.step(length == 0) {
                self.drafted.push_back((id, after_jump));
                length += 1;
                if self.chain.ends_sentence(id) || length >= cap {
                    return;
                }
            }
            if self.finished() {
                return;
            }
            // Stuck: back to where the sentence began, to begin another.
            self.drafted.truncate(earlier);
            self.guard.clone_from(&before);
            if let (Some(steering), Some(position)) = (&mut self.steering, position) {
                steering.restore(position);
            }
            if attempt < TRIES_FROM_HERE {
                (self.state, self.pending) = (state, pending);
            } else {
                // A restart, at a sentence start: the sentence may now be
                // a whole sentence of the text, which the guard refuses.
                self.pending = None;
                if let Some(guard) = &mut self.guard {
                    guard.begin_sentence();
                }
                if self.written == 0 && earlier == 0 {
                    self.continued = 0;
                }
            }
        }
    }
}
