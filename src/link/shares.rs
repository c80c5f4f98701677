//! Cutting a state sequence into one share per thread, counting the pairs
//! each share starts at each state, and linking the shares into one table
//! of every state's followers, each thread filling its own slots.

use std::ops::Range;
use std::sync::atomic::{AtomicU32, Ordering as AtomicOrdering};

use crate::build_options::{BuildOptions, Watch};
use crate::error::ChainError;
use crate::parallel::on_threads;

/// How many transitions are linked between two looks at the cancel flag
/// (and two reports of progress).
pub(super) const TRANSITIONS_BETWEEN_CANCEL_CHECKS: usize = 1 << 20;

/// One thread's share of the linking: a stretch of the state sequence, and the
/// state just before it (whose pair with its first state it owns).
#[derive(Clone, Copy)]
pub(super) struct LinkShare<'seq> {
    before: Option<u32>,
    states: &'seq [u32],
}

impl LinkShare<'_> {
    /// Calls `visit` with each consecutive pair of the share, in order,
    /// looking at the cancel flag every so often.
    pub(super) fn for_each_pair(
        self,
        watch: Watch,
        mut visit: impl FnMut(u32, u32),
    ) -> Result<(), ChainError> {
        if let (Some(before), Some(&first)) = (self.before, self.states.first()) {
            visit(before, first);
        }
        for (index, pair) in self.states.windows(2).enumerate() {
            if index % TRANSITIONS_BETWEEN_CANCEL_CHECKS == 0 && index > 0 {
                watch.advance(TRANSITIONS_BETWEEN_CANCEL_CHECKS)?;
            }
            visit(pair[0], pair[1]);
        }
        Ok(())
    }
}

/// A share whose states may be written as it is linked.
pub(super) struct LinkShareMut<'seq> {
    before: Option<u32>,
    states: &'seq mut [u32],
}

impl LinkShareMut<'_> {
    /// Calls `visit` with each consecutive pair of the share, in order, the
    /// second as the place that holds it, looking at the cancel flag every
    /// so often. What `visit` writes there is never read as a state.
    pub(super) fn for_each_pair(
        self,
        watch: Watch,
        mut visit: impl FnMut(u32, &mut u32),
    ) -> Result<(), ChainError> {
        let mut previous = self.before;
        for (index, place) in self.states.iter_mut().enumerate() {
            if index % TRANSITIONS_BETWEEN_CANCEL_CHECKS == 0 && index > 0 {
                watch.advance(TRANSITIONS_BETWEEN_CANCEL_CHECKS)?;
            }
            let state = *place;
            if let Some(previous) = previous {
                visit(previous, place);
            }
            previous = Some(state);
        }
        Ok(())
    }
}

/// Where one share lies: a stretch of one part, and the state before it.
pub(super) struct ShareCut {
    before: Option<u32>,
    part: usize,
    stretch: Range<usize>,
}

/// How a sequence of `state_count` distinct states is cut into shares:
/// one per part, or, when `recut` and the sequence is in one piece, as
/// many as `options` allow once it is long enough to pay.
pub(super) fn share_cuts(
    parts: &[Vec<u32>],
    options: BuildOptions,
    recut: bool,
    state_count: u32,
) -> Vec<ShareCut> {
    if let ([sequence], true) = (parts, recut) {
        // Each share counts its pairs in an array as long as the states,
        // so shares are kept to about as many as the sequence is times
        // longer than that: the arrays together then take no more memory
        // than the sequence itself, whatever the threads. Two are always
        // allowed, so that a small machine keeps its parallelism.
        let worth = (sequence.len() / (state_count as usize).max(1)).max(2);
        // Ids are four bytes each.
        let threads = if sequence.len().saturating_mul(4) >= options.parallel_min_bytes {
            options.threads.clamp(1, worth)
        } else {
            1
        };
        let size = sequence.len().div_ceil(threads).max(1);
        return (0..sequence.len())
            .step_by(size)
            .map(|start| ShareCut {
                before: start.checked_sub(1).map(|last| sequence[last]),
                part: 0,
                stretch: start..(start + size).min(sequence.len()),
            })
            .collect();
    }
    let mut before = None;
    parts
        .iter()
        .enumerate()
        .map(|(part, states)| {
            let cut = ShareCut {
                before,
                part,
                stretch: 0..states.len(),
            };
            // An empty part passes the state before it on.
            before = states.last().copied().or(before);
            cut
        })
        .collect()
}

/// The shares that `cuts` make of `parts`, to read.
pub(super) fn read_shares<'seq>(
    parts: &'seq [Vec<u32>],
    cuts: &[ShareCut],
) -> Vec<LinkShare<'seq>> {
    cuts.iter()
        .map(|cut| LinkShare {
            before: cut.before,
            states: &parts[cut.part][cut.stretch.clone()],
        })
        .collect()
}

/// The shares that `cuts` make of `parts`, to write. Cuts are in order
/// and do not overlap.
pub(super) fn write_shares<'seq>(
    parts: &'seq mut [Vec<u32>],
    cuts: &[ShareCut],
) -> Vec<LinkShareMut<'seq>> {
    let mut shares = Vec::with_capacity(cuts.len());
    let mut cuts = cuts.iter().peekable();
    for (part, states) in parts.iter_mut().enumerate() {
        let mut rest: &mut [u32] = states;
        let mut taken = 0;
        while let Some(cut) = cuts.next_if(|cut| cut.part == part) {
            let (_, tail) = rest.split_at_mut(cut.stretch.start - taken);
            let (states, tail) = tail.split_at_mut(cut.stretch.len());
            shares.push(LinkShareMut {
                before: cut.before,
                states,
            });
            rest = tail;
            taken = cut.stretch.end;
        }
    }
    shares
}

/// For each share, how many of its pairs start at each state, from how
/// many times each state occurs in it: each occurrence starts a pair but
/// the share's last, and the state before the share starts one more.
pub(super) fn counts_from_occurrences(
    shares: &[LinkShare<'_>],
    counts: Vec<Vec<u32>>,
) -> Vec<Vec<u32>> {
    shares
        .iter()
        .zip(counts)
        .map(|(share, mut counts)| {
            if let Some(&last) = share.states.last() {
                counts[last as usize] -= 1;
                // The pair it makes with the state before the share.
                if let Some(before) = share.before {
                    counts[before as usize] += 1;
                }
            }
            counts
        })
        .collect()
}

/// For each share, how many of its pairs start at each state: one thread
/// per share.
pub(super) fn count_pairs(
    state_count: u32,
    shares: &[LinkShare<'_>],
    watch: Watch,
) -> Result<Vec<Vec<u32>>, ChainError> {
    on_threads(shares.to_vec(), |share| {
        // One more place than the states, for `link` to make the offsets.
        let mut counts = Vec::with_capacity(state_count as usize + 1);
        counts.resize(state_count as usize, 0u32);
        share.for_each_pair(watch, |state, _| counts[state as usize] += 1)?;
        Ok(counts)
    })
}

/// Every state's followers side by side, with repetition, in the order they
/// followed in the text: state `s`'s are `followers[offsets[s]..offsets[s +
/// 1]]`.
pub(super) struct Linked {
    pub(super) offsets: Vec<u32>,
    pub(super) followers: Vec<u32>,
}

/// Builds the table of every state's followers from the sequence of states
/// the text passes through, cut into shares: for each consecutive pair, the
/// second follows the first. `pair_counts[k][s]` is how many pairs of share
/// `k` start at state `s`; from those, every state's followers get their
/// place side by side in one flat vector, in the order they appear in the
/// text. Each pair then calls `at_place` with the place in the sequence
/// that holds its second state and the slot the pair took: a round that
/// numbers its pairs writes the slot there, since the sequence is no longer
/// needed, so that no second vector as long as the text is made.
///
/// Each share is filled on a thread of its own. The counts give every share
/// its own slots in each state's followers, after those of the shares before
/// it, so the threads fill disjoint slots and the result is the serial one.
///
/// `spare` is a vector the caller is done with: the table is made in its
/// memory, grown or cut to one slot a pair (every slot is written). An
/// empty one (a build's first round) gets new memory for the table.
pub(super) fn link(
    state_count: u32,
    shares: Vec<LinkShareMut<'_>>,
    mut pair_counts: Vec<Vec<u32>>,
    mut spare: Vec<u32>,
    at_place: impl Fn(&mut u32, u32) + Sync,
    watch: Watch,
) -> Result<Linked, ChainError> {
    let states = state_count as usize;
    // Turn each share's counts into the first slot it fills for each state.
    let mut next = 0u32;
    for state in 0..states {
        for share_slots in &mut pair_counts {
            let count = share_slots[state];
            share_slots[state] = next;
            next += count;
        }
    }

    // Relaxed atomics compile to plain stores; they only let the threads
    // write their disjoint slots of one vector without unsafe code.
    let followers: Vec<AtomicU32> = if spare.is_empty() {
        // New memory, asked for zeroed: its pages come zeroed from the
        // system as the threads first write them, instead of all written
        // with zeros on this thread while the others wait.
        bytemuck::zeroed_vec(next as usize)
    } else {
        spare.resize(next as usize, 0);
        // Same size and alignment: this keeps the spare's memory.
        spare.into_iter().map(AtomicU32::new).collect()
    };
    let mut ends = on_threads(
        shares.into_iter().zip(pair_counts).collect(),
        |(share, mut free)| {
            share.for_each_pair(watch, |state, place| {
                let slot = &mut free[state as usize];
                followers[*slot as usize].store(*place, AtomicOrdering::Relaxed);
                at_place(place, *slot);
                *slot += 1;
            })?;
            Ok(free)
        },
    )?;
    // The last share's next free slot of each state is where the state's
    // followers end: moved on by one, those are the offsets, so that no
    // array of the states is made beside the shares' (one is as long as
    // the sequence is times the states, at the peak of a build).
    let mut offsets = ends.pop().unwrap_or_else(|| vec![0; states]);
    drop(ends);
    offsets.reserve_exact(1);
    offsets.insert(0, 0);
    // Same size and alignment: this reuses the allocation.
    let followers = followers.into_iter().map(AtomicU32::into_inner).collect();
    Ok(Linked { offsets, followers })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(threads: usize) -> BuildOptions<'static> {
        BuildOptions {
            threads,
            parallel_min_bytes: 0,
            ..BuildOptions::default()
        }
    }

    /// The pairs of every share, in order: with each share's `before`, they
    /// are the pairs of the whole sequence, once each.
    fn all_pairs(parts: &[Vec<u32>], cuts: &[ShareCut]) -> Vec<(u32, u32)> {
        let mut pairs = Vec::new();
        for share in read_shares(parts, cuts) {
            share
                .for_each_pair(Watch::none(), |a, b| pairs.push((a, b)))
                .unwrap();
        }
        pairs
    }

    #[test]
    fn cuts_of_one_piece_cover_every_pair_once() {
        let sequence: Vec<u32> = (0..23).map(|i| i % 5).collect();
        let expected: Vec<(u32, u32)> = sequence.windows(2).map(|w| (w[0], w[1])).collect();
        for threads in 1..6 {
            let parts = vec![sequence.clone()];
            let cuts = share_cuts(&parts, options(threads), true, 5);
            // 23 positions of 5 states pay for 4 count arrays.
            assert_eq!(cuts.len(), threads.min(23 / 5));
            assert_eq!(all_pairs(&parts, &cuts), expected, "{threads} threads");
        }
    }

    #[test]
    fn cuts_of_parts_follow_them_and_pass_the_state_before_on() {
        // An empty part in the middle hands its predecessor's last state
        // to the next one.
        let parts = vec![vec![1, 2], vec![], vec![3, 1]];
        let cuts = share_cuts(&parts, options(8), false, 4);
        assert_eq!(cuts.len(), 3);
        assert_eq!(cuts[2].before, Some(2));
        assert_eq!(all_pairs(&parts, &cuts), [(1, 2), (2, 3), (3, 1)]);
        // Without recutting, one piece stays one share.
        let one = vec![vec![1, 2, 3]];
        assert_eq!(share_cuts(&one, options(8), false, 4).len(), 1);
    }

    #[test]
    fn counts_from_occurrences_match_counted_pairs() {
        let parts = vec![vec![0, 1, 0], vec![2, 0, 1]];
        let cuts = share_cuts(&parts, options(2), false, 3);
        let shares = read_shares(&parts, &cuts);
        let occurrences = vec![vec![2, 1, 0], vec![1, 1, 1]];
        assert_eq!(
            counts_from_occurrences(&shares, occurrences),
            count_pairs(3, &shares, Watch::none()).unwrap()
        );
    }

    #[test]
    fn linking_in_shares_gives_the_serial_table() {
        let sequence = vec![0, 1, 0, 2, 0, 1, 1, 2];
        let serial = {
            let mut parts = vec![sequence.clone()];
            let cuts = share_cuts(&parts, options(1), true, 3);
            let counts = count_pairs(3, &read_shares(&parts, &cuts), Watch::none()).unwrap();
            link(
                3,
                write_shares(&mut parts, &cuts),
                counts,
                Vec::new(),
                |_, _| {},
                Watch::none(),
            )
            .unwrap()
        };
        // Followers in text order: 0 -> 1, 2, 1; 1 -> 0, 1, 2; 2 -> 0.
        assert_eq!(serial.offsets, [0, 3, 6, 7]);
        assert_eq!(serial.followers, [1, 2, 1, 0, 1, 2, 0]);
        let mut parts = vec![sequence];
        let cuts = share_cuts(&parts, options(3), true, 3);
        let counts = count_pairs(3, &read_shares(&parts, &cuts), Watch::none()).unwrap();
        let parallel = link(
            3,
            write_shares(&mut parts, &cuts),
            counts,
            vec![9; 12],
            |place, slot| *place = slot,
            Watch::none(),
        )
        .unwrap();
        assert_eq!(parallel.offsets, serial.offsets);
        assert_eq!(parallel.followers, serial.followers);
        // Every place but the first now holds the slot its pair took.
        assert_eq!(parts.concat()[1..], [0, 3, 1, 6, 2, 4, 5]);
    }
}
