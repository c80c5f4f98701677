//! Where a chain finds the words of its states, in the same few bytes a
//! state at every order.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::bit_set::BitSet;
use crate::error::ChainError;
use crate::limits::MAX_ORDER;
use crate::parallel::{equal_shares, on_threads, state_ranges};
use crate::stored::Stored;

/// Marks a state that follows no state in [`LinkedStates::previous`].
const NO_STATE: u32 = u32::MAX;

/// States or followers below which a second thread costs more than it
/// saves.
pub(crate) const MIN_SHARE: usize = 1 << 16;

/// Where the words of each state are found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum StateWords {
    /// Order 1: a state is a single word, and its id is the word's id.
    SingleWord,
    /// Higher orders: each state as the state before it plus one word.
    Linked(LinkedStates),
}

/// The states of a chain of order 2 or more, eight bytes each whatever the
/// order.
///
/// A state's words are those of a state that it follows, moved on by one,
/// then its own last word: state `s`'s `i`-th word is the last word of the
/// state `order - 1 - i` steps back along `previous`. Every window of a
/// text follows the window before it, so only a state that follows no
/// state (a document's first window, when it appears nowhere else) keeps
/// its words whole, as a root.
///
/// `previous` is the follower relation read backwards, taking the state of
/// least id: a build or a merge finds it from the transitions, so two
/// chains with the same transitions have the same one, and a saved chain
/// keeps it, so that a load does not scan every transition to find it
/// again. Any state a state follows gives it the same words; a file's
/// `previous` need not be the least, only link its states to words that
/// every transition then continues, which the load checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LinkedStates {
    order: usize,
    /// Each state's last word.
    last: Stored<u32>,
    /// A state that each state follows (the least, as a build or a merge
    /// finds it), or [`NO_STATE`].
    previous: Stored<u32>,
    /// The states that follow no state, in id order.
    root_states: Vec<u32>,
    /// Their words, `order` a root, in the order of `root_states`.
    root_words: Vec<u32>,
}

/// Each state's followers, as a chain's transitions hold them: state `s`'s
/// are `followers[offsets[s]..offsets[s + 1]]`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FollowerLists<'a> {
    pub(crate) offsets: &'a [u32],
    pub(crate) followers: &'a [u32],
}

/// Why states cannot be linked: a file that holds them is forged or
/// corrupted.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LinkError {
    /// A state that follows none has no words given.
    RootWithoutWords,
    /// Words are given for a state that follows another.
    WordsOfALinkedState,
    /// A state follows a state that the chain does not have.
    PreviousNotAState,
    /// A state that no transition leads to is said to follow one: it must
    /// be a root, with words of its own (a merge, which links states from
    /// the transitions, relies on it).
    LinkOfAStateNoneLeadsTo,
    /// The states given words are not in id order, each once, or are not
    /// states of the chain.
    RootsOutOfPlace,
}

impl LinkedStates {
    /// The states whose last words are `last`, linked by `transitions`,
    /// with the words of the states that follow none given by `roots`
    /// (`(state, its order words)`, in id order). Roots given for a state
    /// that follows another are left out (a build offers its first window,
    /// which may appear again); a state that follows none without words is
    /// an error. The transitions are read on up to `threads` threads.
    pub(crate) fn new(
        order: usize,
        last: Vec<u32>,
        transitions: FollowerLists<'_>,
        roots: &[(u32, &[u32])],
        threads: usize,
    ) -> Result<Self, LinkError> {
        let previous = least_previous(last.len(), transitions, threads);
        let mut root_states = Vec::new();
        let mut root_words = Vec::new();
        for &(state, words) in roots {
            if previous[state as usize] != NO_STATE {
                continue;
            }
            root_states.push(state);
            root_words.extend_from_slice(words);
        }
        let roots_needed = previous.iter().filter(|&&state| state == NO_STATE).count();
        if roots_needed != root_states.len() {
            return Err(LinkError::RootWithoutWords);
        }
        Ok(LinkedStates {
            order,
            last: last.into(),
            previous: previous.into(),
            root_states,
            root_words,
        })
    }

    /// The states whose last words are `last`, each following the state
    /// that `previous` names ([`NO_STATE`] for none), with the words of the
    /// states that follow none given by `roots` (`(state, its order
    /// words)`), as a chain file holds them, with the chain's `followers`
    /// (every state's, each a state). `previous` is as long as `last`,
    /// links only states that some transition leads to, the roots are in
    /// id order, each once, and every state that follows none has words
    /// given, and only those; whether the words continue along every
    /// transition is for the caller to check ([`LinkedStates::word_columns`]).
    pub(crate) fn from_saved(
        order: usize,
        last: Stored<u32>,
        previous: Stored<u32>,
        roots: &[(u32, &[u32])],
        followers: &[u32],
    ) -> Result<Self, LinkError> {
        let count = previous.len() as u32;
        // One pass with no early exit, which is vectorized: a good file
        // goes all the way.
        let (in_range, follow_none) =
            (previous.iter()).fold((true, 0usize), |(in_range, none), &state| {
                (
                    in_range & (state < count || state == NO_STATE),
                    none + usize::from(state == NO_STATE),
                )
            });
        if !in_range || previous.len() != last.len() {
            return Err(LinkError::PreviousNotAState);
        }
        // A state that no transition leads to must be a root: no step
        // would check the words a link gave it, and a merge, which links
        // states from the transitions, takes words for those from roots.
        let mut led_to = BitSet::new(previous.len());
        for &next in followers.iter().filter(|&&next| next < count) {
            led_to.insert(next as usize);
        }
        let linked_alone = (previous.iter().enumerate())
            .any(|(state, &before)| before != NO_STATE && !led_to.contains(state));
        if linked_alone {
            return Err(LinkError::LinkOfAStateNoneLeadsTo);
        }
        let rising = roots.windows(2).all(|pair| pair[0].0 < pair[1].0);
        if !rising || roots.last().is_some_and(|&(state, _)| state >= count) {
            return Err(LinkError::RootsOutOfPlace);
        }
        let mut root_states = Vec::with_capacity(roots.len());
        let mut root_words = Vec::with_capacity(roots.len() * order);
        for &(state, words) in roots {
            if previous[state as usize] != NO_STATE {
                return Err(LinkError::WordsOfALinkedState);
            }
            root_states.push(state);
            root_words.extend_from_slice(words);
        }
        // The roots are distinct and each follows none: as many as the
        // states that follow none, they are all of those.
        if follow_none != root_states.len() {
            return Err(LinkError::RootWithoutWords);
        }
        Ok(LinkedStates {
            order,
            last,
            previous,
            root_states,
            root_words,
        })
    }

    /// Each state's last word, for saving.
    pub(crate) fn last_words(&self) -> &[u32] {
        &self.last
    }

    /// The state that each state follows, as `previous` holds it
    /// ([`NO_STATE`] for none), for saving.
    pub(crate) fn previous_states(&self) -> &[u32] {
        &self.previous
    }

    /// The states that follow none, and their words, for saving.
    pub(crate) fn roots(&self) -> (&[u32], &[u32]) {
        (&self.root_states, &self.root_words)
    }

    /// The `index`-th word (from 0, oldest first) of `state`.
    pub(crate) fn word(&self, state: u32, index: usize) -> u32 {
        let mut state = state;
        for step in 0..self.order - 1 - index {
            let previous = self.previous[state as usize];
            if previous == NO_STATE {
                return self.root_word(state, index + step);
            }
            state = previous;
        }
        self.last[state as usize]
    }

    /// Every word of `state`, oldest first, in `order` steps back.
    pub(crate) fn words(&self, state: u32) -> StateWordArray {
        let mut words = [0u32; MAX_ORDER];
        let mut state = state;
        let mut index = self.order - 1;
        loop {
            words[index] = self.last[state as usize];
            if index == 0 {
                break;
            }
            let previous = self.previous[state as usize];
            if previous == NO_STATE {
                // The root's words before its last: its word `order - 1`
                // is word `index` of the state asked for.
                let shift = self.order - 1 - index;
                for (from, word) in words[..index].iter_mut().enumerate() {
                    *word = self.root_words_of(state)[from + shift];
                }
                break;
            }
            state = previous;
            index -= 1;
        }
        StateWordArray {
            words,
            next: 0,
            end: self.order,
        }
    }

    /// The words of `states`, `order` a state, oldest first, one after
    /// another into `out` (cleared first): [`LinkedStates::words`] of each,
    /// found a step back at a time for all of them, so that the reads at
    /// random of different states overlap instead of each waiting on the
    /// one before.
    pub(crate) fn words_of_states(&self, states: Range<u32>, out: &mut Vec<u32>) {
        let order = self.order;
        out.clear();
        out.resize(states.len() * order, 0);
        // The state each walk back has reached, or NO_STATE once the
        // words before it are a root's, filled in then.
        let mut reached: Vec<u32> = states.collect();
        for index in (0..order).rev() {
            for (words, state) in out.chunks_exact_mut(order).zip(&mut reached) {
                if *state == NO_STATE {
                    continue;
                }
                words[index] = self.last[*state as usize];
                if index == 0 {
                    continue;
                }
                let previous = self.previous[*state as usize];
                if previous == NO_STATE {
                    // As in `words`: the root's word `order - 1` is word
                    // `index` of the state asked for.
                    let shift = order - 1 - index;
                    words[..index]
                        .copy_from_slice(&self.root_words_of(*state)[shift..shift + index]);
                }
                *state = previous;
            }
        }
    }

    /// Every state's words, a column each: column `i` holds each state's
    /// `i`-th word (from 0, oldest first), the last column the states'
    /// last words. Each column is made in one pass from the column after
    /// it, read at each state's previous, on up to `threads` threads:
    /// checking every state's words then costs `order - 1` reads at random
    /// a state, where a walk back from each state cost `order` for every
    /// state and every follower. The last column is the states' own last
    /// words, borrowed: a load checks every chain past order 1 this way,
    /// and a copy cost it a new array as long as the states.
    pub(crate) fn word_columns(&self, threads: usize) -> Vec<Cow<'_, [u32]>> {
        let count = self.last.len();
        let mut columns = vec![Cow::Borrowed(&[][..]); self.order];
        columns[self.order - 1] = Cow::Borrowed(&self.last[..]);
        for index in (0..self.order - 1).rev() {
            let later = &columns[index + 1];
            let mut column = vec![0u32; count];
            let shares = equal_shares(count as u32, threads, MIN_SHARE).len();
            let size = count.div_ceil(shares).max(1);
            let chunks: Vec<(usize, &mut [u32])> = (column.chunks_mut(size).enumerate())
                .map(|(number, chunk)| (number * size, chunk))
                .collect();
            let fill = |(start, chunk): (usize, &mut [u32])| -> Result<(), ChainError> {
                // Roots come in id order: the next root is the next state
                // that follows none.
                let mut root = self
                    .root_states
                    .partition_point(|&root| (root as usize) < start);
                for (state, word) in (start..).zip(chunk) {
                    let previous = self.previous[state];
                    *word = if previous != NO_STATE {
                        later[previous as usize]
                    } else {
                        // `new` made every state that follows none a root.
                        root += 1;
                        self.root_words[(root - 1) * self.order + index]
                    };
                }
                Ok(())
            };
            match on_threads(chunks, fill) {
                Ok(_) => {}
                Err(_) => unreachable!("finding words cannot fail"),
            }
            columns[index] = Cow::Owned(column);
        }
        columns
    }

    fn root_words_of(&self, state: u32) -> &[u32] {
        let at = self.root_states.partition_point(|&root| root < state);
        &self.root_words[at * self.order..(at + 1) * self.order]
    }

    fn root_word(&self, state: u32, index: usize) -> u32 {
        self.root_words_of(state)[index]
    }
}

/// A state's words, held on the stack: what [`LinkedStates::words`] gives.
pub(crate) struct StateWordArray {
    words: [u32; MAX_ORDER],
    next: usize,
    end: usize,
}

impl StateWordArray {
    /// A state of one word.
    pub(crate) fn one(word: u32) -> Self {
        let mut words = [0u32; MAX_ORDER];
        words[0] = word;
        StateWordArray {
            words,
            next: 0,
            end: 1,
        }
    }
}

impl Iterator for StateWordArray {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        (self.next < self.end).then(|| {
            self.next += 1;
            self.words[self.next - 1]
        })
    }
}

/// For each of `state_count` states, the state of least id that it follows
/// by `transitions`, or [`NO_STATE`]. Each thread reads the followers of a
/// range of states and keeps the least state seen for each follower. A
/// follower already reached from a state of less id is only read, so most
/// followers cost a read at random and no locked write; the worker's
/// closure never fails, and a panic in it goes on in the caller.
fn least_previous(state_count: usize, transitions: FollowerLists<'_>, threads: usize) -> Vec<u32> {
    let previous: Vec<AtomicU32> = (0..state_count).map(|_| AtomicU32::new(NO_STATE)).collect();
    let FollowerLists { offsets, followers } = transitions;
    let link_range = |states: Range<usize>| -> Result<(), ChainError> {
        for state in states {
            let range = offsets[state] as usize..offsets[state + 1] as usize;
            for &next in &followers[range] {
                let slot = &previous[next as usize];
                if (state as u32) < slot.load(Ordering::Relaxed) {
                    slot.fetch_min(state as u32, Ordering::Relaxed);
                }
            }
        }
        Ok(())
    };
    match on_threads(follower_shares(offsets, threads), link_range) {
        Ok(_) => {}
        Err(_) => unreachable!("linking states cannot fail"),
    }
    previous.into_iter().map(AtomicU32::into_inner).collect()
}

/// The states cut into up to `threads` ranges of about as many followers
/// each; one range when they are too few to be worth a thread.
fn follower_shares(offsets: &[u32], threads: usize) -> Vec<Range<usize>> {
    let total = offsets.last().copied().unwrap_or(0) as usize;
    state_ranges(offsets, threads.clamp(1, (total / MIN_SHARE).max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The states of order 3 of "a b c a b d": abc, bca, cab, abd, with
    /// word ids a 0, b 1, c 2, d 3, numbered in that order here.
    fn linked() -> LinkedStates {
        let last = vec![2, 0, 1, 3];
        let transitions = transitions(&[&[1], &[2], &[3], &[]]);
        LinkedStates::new(3, last, lists(&transitions), &[(0, &[0, 1, 2])], 1).unwrap()
    }

    /// The offsets and the followers of states with these `followers`.
    fn transitions(followers: &[&[u32]]) -> (Vec<u32>, Vec<u32>) {
        let mut offsets = vec![0u32];
        for state in followers {
            offsets.push(offsets.last().unwrap() + state.len() as u32);
        }
        (offsets, followers.concat())
    }

    fn lists((offsets, followers): &(Vec<u32>, Vec<u32>)) -> FollowerLists<'_> {
        FollowerLists { offsets, followers }
    }

    /// State `s` followed by `s / 3` and by `s / 7 + 1`, of `count` states:
    /// the least state before `t` is `3t`, if there is one, so two thirds
    /// of the states follow none, and many share a follower.
    fn shared_followers(count: u32) -> Vec<Vec<u32>> {
        (0..count)
            .map(|s| {
                let mut next = vec![s / 3, s / 7 + 1];
                next.sort_unstable();
                next.dedup();
                next
            })
            .collect()
    }

    /// The states of [`shared_followers`] at `order`, linked on `threads`
    /// threads: state `s`'s last word `7s mod 1000`, and a root's words
    /// `10s`, `10s + 1`, and so on.
    fn shared_states(count: u32, order: usize, threads: usize) -> LinkedStates {
        let followers = shared_followers(count);
        let slices: Vec<&[u32]> = followers.iter().map(Vec::as_slice).collect();
        let transitions = transitions(&slices);
        let previous = least_previous(count as usize, lists(&transitions), 1);
        let root_words: Vec<Vec<u32>> = (0..count)
            .filter(|&state| previous[state as usize] == NO_STATE)
            .map(|state| (0..order as u32).map(|i| state * 10 + i).collect())
            .collect();
        let roots: Vec<(u32, &[u32])> = (root_words.iter())
            .map(|words| (words[0] / 10, &words[..]))
            .collect();
        let last = (0..count).map(|state| state * 7 % 1000).collect();
        LinkedStates::new(order, last, lists(&transitions), &roots, threads).unwrap()
    }

    #[test]
    fn each_state_follows_the_least_state_before_it_on_any_number_of_threads() {
        // Many states, so that the followers are shared among threads:
        // state s is followed by s / 3 and by s / 7 + 1, so the least
        // state before t is 3t, if there is one, and every thread meets
        // followers that another also meets.
        let count = 1u32 << 18;
        let followers = shared_followers(count);
        let slices: Vec<&[u32]> = followers.iter().map(Vec::as_slice).collect();
        let transitions = transitions(&slices);
        let serial: Vec<u32> = {
            let mut previous = vec![NO_STATE; count as usize];
            for (state, next) in followers.iter().enumerate() {
                for &t in next {
                    previous[t as usize] = previous[t as usize].min(state as u32);
                }
            }
            previous
        };
        for threads in [1, 2, 3, 8] {
            assert_eq!(
                follower_shares(&transitions.0, threads).len() > 1,
                threads > 1
            );
            let found = least_previous(count as usize, lists(&transitions), threads);
            assert_eq!(found, serial, "{threads} threads");
        }
    }

    #[test]
    fn words_are_found_back_along_the_states_before() {
        let states = linked();
        let expected = [[0, 1, 2], [1, 2, 0], [2, 0, 1], [0, 1, 3]];
        for (state, words) in expected.iter().enumerate() {
            let found: Vec<u32> = states.words(state as u32).collect();
            assert_eq!(&found, words, "state {state}");
            for (index, &word) in words.iter().enumerate() {
                assert_eq!(states.word(state as u32, index), word);
            }
        }
    }

    #[test]
    fn word_columns_hold_each_states_words_in_order() {
        let states = linked();
        let columns = states.word_columns(1);
        assert_eq!(columns.len(), 3);
        for state in 0..4u32 {
            let from_columns: Vec<u32> = columns.iter().map(|c| c[state as usize]).collect();
            assert_eq!(from_columns, states.words(state).collect::<Vec<_>>());
        }
    }

    #[test]
    fn word_columns_are_the_same_on_any_number_of_threads() {
        // The bug: a share of states that starts past some roots reads
        // the wrong root's words, or a share's states left unfilled, among
        // the shared states (two thirds of them roots) at order 3.
        let count = 1u32 << 18;
        let states = shared_states(count, 3, 2);
        let serial = states.word_columns(1);
        for state in (0..count).step_by(97) {
            let from_columns: Vec<u32> = serial.iter().map(|c| c[state as usize]).collect();
            assert_eq!(from_columns, states.words(state).collect::<Vec<_>>());
        }
        for threads in [2, 3, 8] {
            assert!(serial == states.word_columns(threads), "{threads} threads");
        }
    }

    #[test]
    fn words_found_for_many_states_at_once_are_each_states_words() {
        // The bug: a walk back that goes on past a root, or a root's
        // words taken from the wrong place, for some states of a run and
        // not others: the shared states (two thirds of them roots) at
        // orders 2 to 4, in runs that start anywhere.
        let count = 1u32 << 12;
        for order in 2..=4usize {
            let states = shared_states(count, order, 1);
            let mut found = Vec::new();
            for run in [0..count, 5..6, 1000..1777, count - 3..count, 9..9] {
                states.words_of_states(run.clone(), &mut found);
                let expected: Vec<u32> =
                    run.clone().flat_map(|state| states.words(state)).collect();
                assert_eq!(found, expected, "order {order}, states {run:?}");
            }
        }
    }

    #[test]
    fn roots_must_be_exactly_the_states_that_follow_none() {
        let last = vec![2, 0];
        let transitions = transitions(&[&[1], &[]]);
        let missing = LinkedStates::new(2, last.clone(), lists(&transitions), &[], 1);
        assert_eq!(missing.unwrap_err(), LinkError::RootWithoutWords);
        // A build offers its first window, which may follow another: it is
        // left out, and state 1 keeps its linked words.
        let extra = [(0, &[1u32, 2][..]), (1, &[2, 0][..])];
        let linked = LinkedStates::new(2, last, lists(&transitions), &extra, 1).unwrap();
        assert_eq!(linked.roots(), (&[0][..], &[1, 2][..]));
        assert_eq!(linked.words(1).collect::<Vec<_>>(), [2, 0]);
    }

    /// [`LinkedStates::from_saved`] of what `states` would save, with
    /// `previous` and `roots` in place of its own.
    fn saved_with(
        states: &LinkedStates,
        previous: Vec<u32>,
        roots: &[(u32, &[u32])],
    ) -> Result<LinkedStates, LinkError> {
        let last = states.last_words().to_vec().into();
        // The followers of `linked`'s states: 0 -> 1 -> 2 -> 3.
        LinkedStates::from_saved(states.order, last, previous.into(), roots, &[1, 2, 3])
    }

    #[test]
    fn saved_links_read_back_as_the_states_they_were() {
        let states = linked();
        let (root_states, root_words) = states.roots();
        let roots: Vec<(u32, &[u32])> = (root_states.iter().copied())
            .zip(root_words.chunks_exact(3))
            .collect();
        let saved = saved_with(&states, states.previous_states().to_vec(), &roots).unwrap();
        assert_eq!(saved, states);
    }

    #[test]
    fn each_fault_of_saved_links_has_its_own_error() {
        // The bugs: a state that follows a state past the last (its words
        // read out of bounds), a state that follows none with no words of
        // its own, or a root that follows another (its words would shadow
        // the linked ones) let through; roots out of order, repeated or
        // past the states, whose words would be found for the wrong state.
        let states = linked();
        let previous = states.previous_states().to_vec();
        let root: &[u32] = &[0, 1, 2];
        let with_previous = |state: usize, value: u32| {
            let mut forged = previous.clone();
            forged[state] = value;
            forged
        };
        for (forged, roots, fault) in [
            (
                with_previous(1, 4),
                vec![(0, root)],
                LinkError::PreviousNotAState,
            ),
            (
                with_previous(1, NO_STATE),
                vec![(0, root)],
                LinkError::RootWithoutWords,
            ),
            (
                previous.clone(),
                vec![(0, root), (1, root)],
                LinkError::WordsOfALinkedState,
            ),
            (
                previous.clone(),
                vec![(0, root), (0, root)],
                LinkError::RootsOutOfPlace,
            ),
            (
                previous.clone(),
                vec![(4, root)],
                LinkError::RootsOutOfPlace,
            ),
            (
                previous[..3].to_vec(),
                vec![(0, root)],
                LinkError::PreviousNotAState,
            ),
            (
                // The first window, which no step leads to, linked to
                // another and given no words: a merge would find it
                // following none, with no words to give it.
                with_previous(0, 2),
                vec![],
                LinkError::LinkOfAStateNoneLeadsTo,
            ),
        ] {
            assert_eq!(saved_with(&states, forged, &roots).unwrap_err(), fault);
        }
    }
}
