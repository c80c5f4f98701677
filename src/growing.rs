//! A training's chain, grown a piece at a time: the pieces merged in
//! order, as a balanced tree of merges rather than each into the chain of
//! all those before.

use std::sync::Arc;

use crate::build_options::Watch;
use crate::chain::Chain;
use crate::copy_index::SpillPolicy;
use crate::error::ChainError;
use crate::merge::merge_grown;

/// The chain of the pieces given so far, each after those before.
///
/// Merging each piece into the chain of all those before costs the whole
/// chain so far at every piece, so a training of many small documents
/// took time in the square of their number (WordNet cut into 4,000 files:
/// 94 s, against 1.3 s for the same text in one file). Instead, a piece waits
/// on a stack, and two neighbours are merged once the newer holds at least
/// half the tokens of the older, much as a binary counter carries: each
/// token is merged about log2(pieces) times. A piece as large as the
/// older chain's states and followers is merged at once, since its own
/// size already pays for the merge. The merge takes the older chain,
/// so that its copy index's text grows in place ([`merge_grown`]), and
/// [`GrowingChain::finish`] merges what waits, newest first.
///
/// A merged copy index's text longer than its [`SpillPolicy`] allows is
/// kept in a temporary file, so that a guarded training holds its text's
/// ids (4 bytes a token) only up to that length, whatever the length of
/// the text; the chain file's save reads it from there a window at a time.
#[derive(Debug, Default)]
pub struct GrowingChain {
    /// The chains not merged yet, oldest first. Each but the last holds
    /// more than twice the tokens of the one after it, and more states
    /// and followers than that one has tokens.
    waiting: Vec<Arc<Chain>>,
    spill: SpillPolicy,
}

impl GrowingChain {
    /// No chain yet, its long text kept in the system's temporary folder.
    pub fn new() -> Self {
        GrowingChain::default()
    }

    /// No chain yet, its long text kept as `spill` says.
    pub fn spilling(spill: SpillPolicy) -> Self {
        GrowingChain {
            waiting: Vec::new(),
            spill,
        }
    }

    /// Adds `piece` after the pieces before it, merging neighbours that
    /// have grown alike. `watch` can cancel a merge; on an error (a
    /// cancel, or pieces that cannot merge), every piece is gone.
    pub fn add(&mut self, piece: Arc<Chain>, watch: Watch) -> Result<(), ChainError> {
        self.waiting.push(piece);
        while let [.., older, newer] = self.waiting.as_slice() {
            let alike = newer.token_count().saturating_mul(2) >= older.token_count();
            if !alike && newer.token_count() < merge_work(older) {
                break;
            }
            self.merge_last_two(watch)?;
        }
        Ok(())
    }

    /// The chain of every piece added, its copy index's sort deferred, or
    /// `None` when none was. It is then empty again. On an error, every
    /// piece is gone.
    pub fn finish(&mut self, watch: Watch) -> Result<Option<Arc<Chain>>, ChainError> {
        while self.waiting.len() > 1 {
            self.merge_last_two(watch)?;
        }
        Ok(self.waiting.pop())
    }

    /// How many chains wait to be merged.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// Merges the last two chains into one: the older taken, copied only
    /// if a caller still shares it.
    fn merge_last_two(&mut self, watch: Watch) -> Result<(), ChainError> {
        let (Some(newer), Some(older)) = (self.waiting.pop(), self.waiting.pop()) else {
            return Ok(());
        };
        let older = Arc::unwrap_or_clone(older);
        match merge_grown(older, &newer, &self.spill, watch) {
            Ok(merged) => {
                self.waiting.push(Arc::new(merged));
                Ok(())
            }
            Err(error) => {
                self.waiting.clear();
                Err(error)
            }
        }
    }
}

/// About what a merge reads of `chain` besides its text: its states and
/// their distinct followers. A piece with at least as many tokens pays
/// for its merge into `chain` at once, as a long document's pieces do:
/// held back, it would keep one more chain in memory, which a training
/// without the copy guard keeps bounded.
fn merge_work(chain: &Chain) -> usize {
    (chain.state_count() as usize).saturating_add(chain.distinct_transition_count())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::build;

    #[test]
    fn pieces_alike_wait_in_a_stack_of_about_log2_of_their_number() {
        // The bugs: every piece merged into the chain of all those before
        // (one chain waiting after each piece: time in the square of the
        // pieces), or none merged before the finish (every piece's chain
        // held at once).
        let mut growing = GrowingChain::new();
        let (mut most_waiting, mut tokens) = (0, 0);
        for index in 0..1000 {
            let text = format!("word{} and word{}", index % 7, index % 5);
            let piece = Arc::new(build(text.as_bytes(), 1).unwrap());
            tokens += piece.token_count();
            growing.add(piece, Watch::none()).unwrap();
            most_waiting = most_waiting.max(growing.waiting());
        }
        // Each chain waiting holds over twice the tokens of the next.
        assert!((2..=11).contains(&most_waiting), "{most_waiting} waiting");
        let grown = growing.finish(Watch::none()).unwrap().unwrap();
        assert_eq!(grown.token_count(), tokens);
        assert_eq!(growing.waiting(), 0);
    }

    #[test]
    fn a_piece_larger_than_the_chain_before_it_is_merged_at_once() {
        // The bug: the pieces of a long document, each of many tokens
        // over few states, held back as small ones are, so that a
        // training without the copy guard holds several chains at once
        // instead of one.
        let text = "the cat sat on the mat and the dog sat on the cat ".repeat(50);
        let mut growing = GrowingChain::new();
        for _ in 0..20 {
            let piece = Arc::new(build(text.as_bytes(), 2).unwrap());
            growing.add(piece, Watch::none()).unwrap();
            assert_eq!(growing.waiting(), 1);
        }
    }
}
