//! Where a chain finds the words of its states, in the same few bytes a
//! state at every order.

use crate::limits::MAX_ORDER;

/// Marks a state that follows no state in [`LinkedStates::previous`].
const NO_STATE: u32 = u32::MAX;

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
/// least id: it is found from the transitions, so it is never saved, and
/// two chains with the same transitions have the same one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LinkedStates {
    order: usize,
    /// Each state's last word.
    last: Vec<u32>,
    /// The state of least id that each state follows, or [`NO_STATE`].
    previous: Vec<u32>,
    /// The states that follow no state, in id order.
    root_states: Vec<u32>,
    /// Their words, `order` a root, in the order of `root_states`.
    root_words: Vec<u32>,
}

/// Why states cannot be linked: a file that holds them is forged or
/// corrupted.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LinkError {
    /// A state that follows none has no words given.
    RootWithoutWords,
    /// Words are given for a state that follows another.
    WordsOfALinkedState,
}

impl LinkedStates {
    /// The states whose last words are `last`, linked by the transitions
    /// `(state, its followers)`, with the words of the states that follow
    /// none given by `roots` (`(state, its order words)`, in id order).
    /// Roots given for a state that follows another are left out when
    /// `extra_roots_allowed` (a build offers its first window, which may
    /// appear again), and an error otherwise; a state that follows none
    /// without words is an error.
    pub(crate) fn new<'a>(
        order: usize,
        last: Vec<u32>,
        transitions: impl Iterator<Item = (u32, &'a [u32])>,
        roots: &[(u32, &[u32])],
        extra_roots_allowed: bool,
    ) -> Result<Self, LinkError> {
        let mut previous = vec![NO_STATE; last.len()];
        // States in id order: the first state to reach a follower is the
        // least.
        for (state, followers) in transitions {
            for &next in followers {
                let slot = &mut previous[next as usize];
                if *slot == NO_STATE {
                    *slot = state;
                }
            }
        }
        let mut root_states = Vec::new();
        let mut root_words = Vec::new();
        for &(state, words) in roots {
            if previous[state as usize] != NO_STATE {
                if extra_roots_allowed {
                    continue;
                }
                return Err(LinkError::WordsOfALinkedState);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The states of order 3 of "a b c a b d": abc, bca, cab, abd, with
    /// word ids a 0, b 1, c 2, d 3, numbered in that order here.
    fn linked() -> LinkedStates {
        let last = vec![2, 0, 1, 3];
        let followers: [&[u32]; 4] = [&[1], &[2], &[3], &[]];
        let transitions = followers.iter().enumerate().map(|(s, f)| (s as u32, *f));
        LinkedStates::new(3, last, transitions, &[(0, &[0, 1, 2])], false).unwrap()
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
    fn roots_must_be_exactly_the_states_that_follow_none() {
        let last = vec![2, 0];
        let followers: [&[u32]; 2] = [&[1], &[]];
        let transitions = || followers.iter().enumerate().map(|(s, f)| (s as u32, *f));
        let missing = LinkedStates::new(2, last.clone(), transitions(), &[], false);
        assert_eq!(missing.unwrap_err(), LinkError::RootWithoutWords);
        let extra = [(0, &[1u32, 2][..]), (1, &[2, 0][..])];
        let forged = LinkedStates::new(2, last.clone(), transitions(), &extra, false);
        assert_eq!(forged.unwrap_err(), LinkError::WordsOfALinkedState);
        // A build offers its first window, which may follow another.
        assert!(LinkedStates::new(2, last, transitions(), &extra, true).is_ok());
    }
}
