//! The default sentences' plan kept with a saved chain: for each state and
//! step of a sentence with its pairs balanced, the fewest tokens to its end.
//!
//! Every prompt in sentences without a phrase or a cap on characters asks
//! for the same plan, and a fresh process (each `llm` command) would run
//! the backward pass over the whole chain for it: 0.35 s for WordNet at
//! order 3. Saving finds it once ([`crate::steer`] makes it, the chain
//! file keeps it); a prompt reads a bit and a byte a state and step. A
//! sentence that must contain a phrase reads it too, once the phrase is
//! written.

use std::fmt;
use std::sync::{Arc, OnceLock};

use crate::stored::Stored;

/// The byte of a state and step whose distance is too long for a byte: it
/// is kept apart, with its state and step ([`SentenceDistances::far`]).
pub(crate) const FAR: u8 = u8::MAX;

/// The bits counted in each entry of the ranks.
const RANK_BITS: usize = 256;

/// The fewest tokens from each state and step to a balanced sentence end.
/// A bit for each (state-major, as the backward pass keeps them) says
/// whether one is reachable, since most are not (58% of WordNet's, 91% of
/// the high-vocabulary text's at order 3: a pair open in a state that
/// never closes it); a byte for each that is, or [`FAR`] where it is too
/// long for a byte and kept apart. Those are rare: none in WordNet's chains,
/// one in 1,400 in the high-vocabulary text's at order 3.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct SentenceDistances {
    steps: usize,
    /// How many (state, step) pairs there are: states times steps.
    len: usize,
    /// A bit a (state, step): bit `i % 8` of byte `i / 8`.
    reachable: Stored<u8>,
    /// How many bits are set before each stretch of [`RANK_BITS`].
    ranks: Vec<u64>,
    /// The distance of each reachable (state, step), in order.
    bytes: Stored<u8>,
    /// `[state, step, distance]` of each [`FAR`] byte, in order.
    far: Vec<[u32; 3]>,
    /// The fewest tokens of a whole sentence from a sentence start: what
    /// a walk asks before each sentence, found by reading every start's
    /// words (the high-vocabulary text's at order 3: a hundred ms).
    least_sentence: Option<u64>,
}

impl SentenceDistances {
    /// The same, with the fewest tokens of a whole sentence from a
    /// sentence start, as the plan found them.
    pub(crate) fn with_least_sentence(self, least_sentence: Option<u64>) -> Self {
        SentenceDistances {
            least_sentence,
            ..self
        }
    }

    /// The distances as a chain file holds them, for `states` states of
    /// `steps` steps: which are `reachable`, their `bytes` and the `far`
    /// ones. `None` unless `steps` is at least 1, the bits are as many as
    /// the pairs (none set past them) and as the bytes, and the far ones
    /// are in order, of reachable pairs marked [`FAR`], and too long for a
    /// byte. `least_sentence` is taken as it is.
    pub(crate) fn new(
        steps: usize,
        states: usize,
        reachable: Stored<u8>,
        bytes: Stored<u8>,
        far: Vec<[u32; 3]>,
        least_sentence: Option<u64>,
    ) -> Option<Self> {
        let len = states.checked_mul(steps)?;
        if steps == 0 || reachable.len() != len.div_ceil(8) {
            return None;
        }
        if len % 8 != 0 && reachable.last().is_some_and(|&last| last >> (len % 8) != 0) {
            return None;
        }
        let set: u64 = reachable
            .iter()
            .map(|byte| u64::from(byte.count_ones()))
            .sum();
        if set != bytes.len() as u64 {
            return None;
        }
        let distances = SentenceDistances {
            steps,
            len,
            ranks: ranks_of(&reachable),
            reachable,
            bytes,
            far,
            least_sentence,
        };
        let in_order = distances
            .far
            .windows(2)
            .all(|pair| pair[0][..2] < pair[1][..2]);
        let far_fits = distances.far.iter().all(|&[state, step, distance]| {
            (state as usize) < states
                && (step as usize) < steps
                && distance >= u32::from(FAR)
                && distances.byte(state as usize * steps + step as usize) == Some(FAR)
        });
        (in_order && far_fits).then_some(distances)
    }

    /// The automaton's steps a state.
    pub(crate) fn steps(&self) -> usize {
        self.steps
    }

    /// Which (state, step) pairs reach a sentence end, a bit each.
    pub(crate) fn reachable(&self) -> &[u8] {
        &self.reachable
    }

    /// The distance of each reachable pair, a byte each.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// `[state, step, distance]` of each distance too long for a byte.
    pub(crate) fn far(&self) -> &[[u32; 3]] {
        &self.far
    }

    /// The fewest tokens of a whole sentence from a sentence start, `None`
    /// when no sentence start reaches an end.
    pub(crate) fn least_sentence(&self) -> Option<u64> {
        self.least_sentence
    }

    /// The fewest tokens from `state` at `step` to a sentence end; `None`
    /// where there is none.
    pub(crate) fn get(&self, state: u32, step: usize) -> Option<u32> {
        match self.byte(state as usize * self.steps + step)? {
            FAR => {
                let key = [state, step as u32];
                (self.far.binary_search_by(|entry| entry[..2].cmp(&key[..])))
                    .ok()
                    .map(|at| self.far[at][2])
            }
            byte => Some(u32::from(byte)),
        }
    }

    /// The byte of pair `node`, if it is reachable: the bits set before it
    /// count the bytes before its own.
    fn byte(&self, node: usize) -> Option<u8> {
        if node >= self.len || self.reachable[node / 8] & (1 << (node % 8)) == 0 {
            return None;
        }
        let stretch = node / RANK_BITS;
        let first = stretch * RANK_BITS / 8;
        let whole: u32 = (self.reachable[first..node / 8].iter())
            .map(|byte| byte.count_ones())
            .sum();
        let part = (self.reachable[node / 8] & ((1u8 << (node % 8)) - 1)).count_ones();
        let rank = self.ranks[stretch] + u64::from(whole + part);
        self.bytes.get(rank as usize).copied()
    }
}

/// The distances as the backward pass settles them, a (state, step) at a
/// time and in no order, before they are packed into
/// [`SentenceDistances`]: a byte for every pair while the pass runs, a
/// quarter of the pass's own `u32` a pair, which would otherwise be the
/// peak of a training that saves them (`docs/performance.md`, session 40).
pub(crate) struct FoundDistances {
    steps: usize,
    /// A bit a (state, step), set when it is settled.
    reachable: Vec<u8>,
    /// A byte for every (state, step): its distance, or [`FAR`].
    bytes: Vec<u8>,
    far: Vec<[u32; 3]>,
}

impl FoundDistances {
    /// None settled yet, of `states` states with `steps` steps each.
    pub(crate) fn new(states: usize, steps: usize) -> Self {
        let len = states * steps;
        FoundDistances {
            steps,
            reachable: vec![0; len.div_ceil(8)],
            bytes: vec![FAR; len],
            far: Vec::new(),
        }
    }

    /// Keeps `distance` as the fewest tokens from the pair `node` (state
    /// times steps plus step) to a sentence end.
    pub(crate) fn settle(&mut self, node: usize, distance: u32) {
        self.reachable[node / 8] |= 1 << (node % 8);
        self.bytes[node] = match u8::try_from(distance) {
            Ok(byte) if byte < FAR => byte,
            _ => {
                // At most u32::MAX states, and fewer steps than 256.
                let (state, step) = (node / self.steps, node % self.steps);
                self.far.push([state as u32, step as u32, distance]);
                FAR
            }
        };
    }

    /// The distances packed: the bytes of the reachable pairs only, moved
    /// down in place, and the far ones in order.
    pub(crate) fn packed(self) -> SentenceDistances {
        let FoundDistances {
            steps,
            reachable,
            mut bytes,
            mut far,
        } = self;
        let len = bytes.len();
        let mut kept = 0;
        for node in 0..len {
            if reachable[node / 8] & (1 << (node % 8)) != 0 {
                bytes[kept] = bytes[node];
                kept += 1;
            }
        }
        bytes.truncate(kept);
        bytes.shrink_to_fit();
        far.sort_unstable();
        SentenceDistances {
            steps,
            len,
            ranks: ranks_of(&reachable),
            reachable: reachable.into(),
            bytes: bytes.into(),
            far,
            least_sentence: None,
        }
    }
}

/// How many of `bits` are set before each stretch of [`RANK_BITS`].
fn ranks_of(bits: &[u8]) -> Vec<u64> {
    let mut set = 0u64;
    (bits.chunks(RANK_BITS / 8))
        .map(|stretch| {
            let before = set;
            set += stretch
                .iter()
                .map(|byte| u64::from(byte.count_ones()))
                .sum::<u64>();
            before
        })
        .collect()
}

impl fmt::Debug for SentenceDistances {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("SentenceDistances")
            .field("steps", &self.steps)
            .field("pairs", &self.len)
            .field("reachable", &self.bytes.len())
            .field("far", &self.far.len())
            .finish()
    }
}

/// A chain's [`SentenceDistances`], once found (for a save) or loaded
/// (from a file that holds them).
///
/// Derived from the chain, so it takes no part in comparing chains: a
/// chain loaded with its distances equals the same chain built. Shared,
/// since a walk's plans outlive the borrow of the chain and a file read
/// rather than mapped holds its bytes in memory.
#[derive(Clone, Default)]
pub(crate) struct KnownSentenceDistances(OnceLock<Arc<SentenceDistances>>);

impl KnownSentenceDistances {
    /// Known from a chain file that holds them.
    pub(crate) fn known(distances: SentenceDistances) -> Self {
        KnownSentenceDistances(OnceLock::from(Arc::new(distances)))
    }

    /// The distances, when they are known.
    pub(crate) fn get(&self) -> Option<&SentenceDistances> {
        self.0.get().map(Arc::as_ref)
    }

    /// The distances, when they are known, to keep beside the chain.
    pub(crate) fn shared(&self) -> Option<Arc<SentenceDistances>> {
        self.0.get().cloned()
    }

    /// The distances, found by `find` the first time they are asked for.
    pub(crate) fn get_or_find(
        &self,
        find: impl FnOnce() -> SentenceDistances,
    ) -> &SentenceDistances {
        self.0.get_or_init(|| Arc::new(find()))
    }
}

impl PartialEq for KnownSentenceDistances {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for KnownSentenceDistances {}

impl fmt::Debug for KnownSentenceDistances {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.get().fmt(formatter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: u32 = u32::MAX;

    /// What a chain file keeps: the bits, the bytes, the far distances.
    type Parts = (Vec<u8>, Vec<u8>, Vec<[u32; 3]>);

    /// The distances settled from `values` (`NONE` where none is
    /// reachable), `steps` to a state, last pair first: the pass settles
    /// them in no order.
    fn found(steps: usize, values: &[u32]) -> SentenceDistances {
        let mut found = FoundDistances::new(values.len() / steps, steps);
        for (node, &value) in values.iter().enumerate().rev() {
            if value != NONE {
                found.settle(node, value);
            }
        }
        found.packed()
    }

    /// The parts a chain file keeps, taken back.
    fn parts(distances: &SentenceDistances) -> Parts {
        let reachable = distances.reachable().to_vec();
        (
            reachable,
            distances.bytes().to_vec(),
            distances.far().to_vec(),
        )
    }

    #[test]
    fn each_distance_reads_back_as_the_pass_found_it() {
        // The bugs: a rank that counts the bit of its own pair, or a
        // stretch's bits from the wrong start (so that a pair reads its
        // neighbour's byte), a distance of 254 or 255 taken as far or as
        // none, a far one looked up by the wrong state. 3 steps a state,
        // over 2 stretches of ranks, with every kind of value.
        let steps = 3;
        let values: Vec<u32> = (0..699u32)
            .map(|node| match node % 11 {
                0 | 4 => NONE,
                1 => 254,
                2 => 255,
                3 if node % 7 == 0 => 40_000 + node,
                _ => node % 200,
            })
            .collect();
        let distances = found(steps, &values);
        for (node, &value) in values.iter().enumerate() {
            let (state, step) = ((node / steps) as u32, node % steps);
            let expected = (value != NONE).then_some(value);
            assert_eq!(distances.get(state, step), expected, "pair {node}");
        }
        assert_eq!(distances.get(699 / 3, 0), None, "past the states");
        let (reachable, bytes, far) = parts(&distances);
        let states = values.len() / steps;
        let read = SentenceDistances::new(steps, states, reachable.into(), bytes.into(), far, None);
        assert_eq!(read.as_ref(), Some(&distances));
    }

    #[test]
    fn parts_that_do_not_fit_together_are_refused() {
        // What a forged file may hold; each would misplace a distance.
        let values = [3, NONE, 300, 7, NONE, 1_000, 0, 2, NONE];
        let good = found(3, &values);
        let (reachable, bytes, far) = parts(&good);
        let new = |reachable: &[u8], bytes: &[u8], far: &[[u32; 3]]| {
            SentenceDistances::new(
                3,
                3,
                reachable.to_vec().into(),
                bytes.to_vec().into(),
                far.to_vec(),
                None,
            )
        };
        assert!(new(&reachable, &bytes, &far).is_some());
        let mut past = reachable.clone();
        past[1] |= 0x80; // a bit past the 9 pairs
        let mut swapped = far.clone();
        swapped.swap(0, 1);
        let mut near = far.clone();
        near[0][2] = 12; // short enough for a byte
        let mut not_marked = far.clone();
        not_marked[0][1] = 0; // pair (0, 0) holds 3, not FAR
        let cases: [(&str, Parts); 6] = [
            ("a bit past the pairs", (past, bytes.clone(), far.clone())),
            (
                "a byte too few",
                (reachable.clone(), bytes[1..].to_vec(), far.clone()),
            ),
            ("no bits", (Vec::new(), bytes.clone(), far.clone())),
            (
                "far out of order",
                (reachable.clone(), bytes.clone(), swapped),
            ),
            ("far but short", (reachable.clone(), bytes.clone(), near)),
            (
                "far where no FAR",
                (reachable.clone(), bytes.clone(), not_marked),
            ),
        ];
        for (what, (reachable, bytes, far)) in cases {
            assert!(new(&reachable, &bytes, &far).is_none(), "{what}");
        }
        assert!(SentenceDistances::new(
            0,
            3,
            Vec::new().into(),
            Vec::new().into(),
            Vec::new(),
            None
        )
        .is_none());
    }
}
