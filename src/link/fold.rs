//! Folding a linked table: each state's followers, with repetition, become
//! its distinct followers, in id order. The chain's
//! last round keeps how often each followed; earlier rounds only number
//! them, as the states of the next order.

use std::collections::hash_map::Entry;
use std::ops::Range;

use rustc_hash::FxHashMap;

use super::shares::{Linked, TRANSITIONS_BETWEEN_CANCEL_CHECKS};
use crate::build_options::Watch;
use crate::chain::Transitions;
use crate::error::ChainError;
use crate::parallel::{on_threads, state_ranges};

/// A state with at most this many slots is folded by looking through its
/// own followers.
const FEW_SLOTS: usize = 16;

/// The table of all states that folding a crowded state reaches into takes
/// four bytes a state; it is made only when there are at least this many
/// slots (four bytes each) per state, so that it stays small beside them.
const DENSE_TABLE_SLOTS_PER_STATE: usize = 4;

/// The most states whose dense table a counted fold uses instead of
/// sorting a crowded state's slots: the bound measured with the table of
/// eight bytes a state that came before this one (512 KiB, a core's own
/// cache), beyond which each slot looked up in the table is a cache miss.
/// Kept, so that no text moves between the ways of folding; the table of
/// four bytes a state at twice as many states was not measured.
const CACHED_DENSE_TABLE_STATES: usize = 1 << 16;

/// What folding each range of states gives: the chain's offsets, and the
/// values each range's target kept.
struct FoldedRanges {
    /// The chain's offsets, written over the linked ones.
    offsets: Vec<u32>,
    /// How many distinct followers come before each range.
    bases: Vec<u32>,
    /// Each range's kept values, in order.
    kept: Vec<Vec<u32>>,
    /// Where each range's slots end in the linked table.
    slot_ends: Vec<usize>,
    /// How many distinct followers there are in all.
    distinct: usize,
}

/// Folds `linked` in `threads` ranges of states of about equal work, each
/// on a thread of its own, with a target made for each range's slots by
/// `target`; `kept` takes a finished target's values (its counts or its
/// distinct followers).
fn fold_ranges<'slots, T: FoldTarget + Send>(
    linked_offsets: Vec<u32>,
    followers: &'slots mut [u32],
    threads: usize,
    watch: Watch,
    target: impl Fn(&'slots mut [u32]) -> T + Sync,
    kept: impl Fn(T) -> Vec<u32> + Sync,
) -> Result<FoldedRanges, ChainError> {
    let mut offsets = linked_offsets;
    let state_count = offsets.len() - 1;
    let ranges = state_ranges(&offsets, threads);
    let slot_ends: Vec<usize> = ranges
        .iter()
        .map(|states| offsets[states.end] as usize)
        .collect();
    let first_slots: Vec<u32> = ranges.iter().map(|states| offsets[states.start]).collect();
    let pieces = split_at_ends(followers, &slot_ends);
    // Each range writes its states' ends among its distinct followers over
    // their linked ends, once read: `offsets[s + 1]` is where state `s`
    // ends.
    let state_ends: Vec<usize> = ranges.iter().map(|states| states.end).collect();
    let end_pieces = split_at_ends(&mut offsets[1..], &state_ends);
    let work: Vec<_> = (first_slots.into_iter().zip(end_pieces))
        .zip(pieces)
        .collect();
    let kept = on_threads(work, |((first_slot, ends), piece)| {
        let mut range_target = target(piece);
        fold_followers(first_slot, ends, &mut range_target, state_count, watch)?;
        let mut values = kept(range_target);
        values.shrink_to_fit();
        Ok(values)
    })?;

    // The ranges' ends, moved on by the distinct followers before each
    // range, are the chain's offsets.
    let mut bases = Vec::with_capacity(ranges.len());
    let mut distinct = 0u32;
    for states in &ranges {
        bases.push(distinct);
        let ends = &mut offsets[states.start + 1..=states.end];
        let range_distinct = ends.last().copied().unwrap_or(0);
        for end in ends {
            *end += distinct;
        }
        distinct += range_distinct;
    }
    Ok(FoldedRanges {
        offsets,
        bases,
        kept,
        slot_ends,
        distinct: distinct as usize,
    })
}

/// `pieces` joined in order into a vector of exactly their length, each
/// piece freed once copied.
fn join_exact(pieces: Vec<Vec<u32>>) -> Vec<u32> {
    let mut joined = Vec::with_capacity(pieces.iter().map(Vec::len).sum());
    for piece in pieces {
        joined.extend_from_slice(&piece);
    }
    joined
}

/// Folds each state's repeated followers into distinct ones with counts:
/// the form the chain keeps and saves. The distinct followers are gathered
/// in the linked table's own memory, which the chain then keeps.
pub(super) fn fold_counted(
    linked: Linked,
    threads: usize,
    watch: Watch,
) -> Result<Transitions, ChainError> {
    let Linked {
        offsets,
        mut followers,
    } = linked;
    let folded = fold_ranges(
        offsets,
        &mut followers,
        threads,
        watch,
        |slots| GatherInPlace {
            slots,
            counts: Vec::new(),
            by_follower: Vec::new(),
        },
        |target| target.counts,
    )?;
    let FoldedRanges {
        offsets,
        bases,
        kept: counts,
        slot_ends,
        distinct,
    } = folded;
    let mut cumulative = join_exact(counts);
    // Counts to running totals. They add up to the transitions, which are
    // fewer than u32::MAX.
    let mut running = 0u32;
    for count in &mut cumulative {
        running += *count;
        *count = running;
    }
    // Each range's distinct followers start its piece of the linked table:
    // moved together, they are the chain's followers.
    let mut piece_start = 0;
    for (index, &base) in bases.iter().enumerate() {
        let next_base = bases.get(index + 1).map_or(distinct, |&next| next as usize);
        let range_distinct = next_base - base as usize;
        followers.copy_within(piece_start..piece_start + range_distinct, base as usize);
        piece_start = slot_ends[index];
    }
    followers.truncate(distinct);
    followers.shrink_to_fit();
    Ok(Transitions {
        offsets: offsets.into(),
        followers: followers.into(),
        cumulative: cumulative.into(),
    })
}

/// What [`fold_numbered`] gives.
pub(super) struct Numbered {
    /// The distinct followers, state by state and in id order within one,
    /// in pieces: joined, they are as many as the states of the next
    /// order, so the caller joins them once it no longer needs the
    /// numbers.
    pub(super) followers: Vec<Vec<u32>>,
    /// Each linked slot's distinct transition, in the linked table's order.
    pub(super) numbers: Vec<u32>,
    /// Where each state's distinct followers start among them all, and
    /// their total last: the number of each state's first transition.
    pub(super) offsets: Vec<u32>,
}

/// Folds each state's repeated followers into distinct ones, without
/// counts, and numbers every slot of the linked table by its distinct
/// transition (its index among all the distinct followers, state by state
/// and in id order within one).
pub(super) fn fold_numbered(
    linked: Linked,
    threads: usize,
    watch: Watch,
) -> Result<Numbered, ChainError> {
    let Linked {
        offsets,
        mut followers,
    } = linked;
    let folded = fold_ranges(
        offsets,
        &mut followers,
        threads,
        watch,
        |slots| NumberSlots {
            slots,
            distinct: Vec::new(),
            by_follower: Vec::new(),
            new_place: Vec::new(),
        },
        |target| target.distinct,
    )?;
    // Local numbers to global ones: each range's come after those of the
    // ranges before it.
    let pieces = split_at_ends(&mut followers, &folded.slot_ends);
    on_threads(
        pieces.into_iter().zip(folded.bases).collect(),
        |(piece, base)| {
            for number in piece.iter_mut() {
                *number += base;
            }
            Ok(())
        },
    )?;
    Ok(Numbered {
        followers: folded.kept,
        numbers: followers,
        offsets: folded.offsets,
    })
}

/// `values` cut into consecutive pieces that end at `ends`.
pub(super) fn split_at_ends<'a>(values: &'a mut [u32], ends: &[usize]) -> Vec<&'a mut [u32]> {
    let mut pieces = Vec::with_capacity(ends.len());
    let mut rest = values;
    let mut start = 0;
    for &end in ends {
        let (piece, tail) = rest.split_at_mut(end - start);
        pieces.push(piece);
        rest = tail;
        start = end;
    }
    pieces
}

/// Where folding puts a range's distinct followers and their counts, and
/// what it leaves in the linked slots it reads.
trait FoldTarget {
    /// The follower in slot `slot` of the range, as linked.
    fn linked(&self, slot: usize) -> u32;
    /// How many distinct followers the range has had so far.
    fn distinct_count(&self) -> usize;
    /// The range's distinct followers so far, from the `from`th on.
    fn distinct_from(&self, from: usize) -> &[u32];
    /// Adds a distinct follower, seen once, after its slot has been read.
    fn push(&mut self, follower: u32);
    /// Counts one more sighting of the `index`th distinct follower.
    fn seen_again(&mut self, index: usize);
    /// Records that slot `slot` holds the range's `index`th distinct
    /// follower.
    fn place(&mut self, slot: usize, index: u32);
    /// Puts the distinct followers from the `first`th on, those of the
    /// state whose slots are `slots`, in id order.
    fn sort_state(&mut self, first: usize, slots: Range<usize>);
    /// Folds the state whose slots are `slots`, the range's next, with
    /// `table`, one entry a state, all zero, which it leaves all zero: its
    /// distinct followers end in id order.
    fn fold_with_table(&mut self, slots: Range<usize>, table: &mut [u32]);
    /// Folds the state whose slots are `slots`, the range's next, by
    /// sorting them in place and counting each run: whether this target
    /// can (one that records each slot's place cannot).
    fn fold_by_sorting(&mut self, _slots: Range<usize>) -> bool {
        false
    }
}

/// Whether `values` rise: most states' few followers do already.
fn rising(values: &[u32]) -> bool {
    values.windows(2).all(|pair| pair[0] < pair[1])
}

/// Numbers every linked slot by its distinct follower, kept apart. A
/// round that numbers its transitions only needs which they are, so it
/// keeps no counts.
struct NumberSlots<'a> {
    slots: &'a mut [u32],
    distinct: Vec<u32>,
    /// Room for sorting a state's followers with where each was.
    by_follower: Vec<(u32, u32)>,
    /// Room for where each of a state's followers went when sorted.
    new_place: Vec<u32>,
}

impl FoldTarget for NumberSlots<'_> {
    fn linked(&self, slot: usize) -> u32 {
        self.slots[slot]
    }
    fn distinct_count(&self) -> usize {
        self.distinct.len()
    }
    fn distinct_from(&self, from: usize) -> &[u32] {
        &self.distinct[from..]
    }
    fn push(&mut self, follower: u32) {
        self.distinct.push(follower);
    }
    fn seen_again(&mut self, _index: usize) {}
    fn place(&mut self, slot: usize, index: u32) {
        self.slots[slot] = index;
    }
    fn sort_state(&mut self, first: usize, slots: Range<usize>) {
        if rising(&self.distinct[first..]) {
            return;
        }
        // Each follower with where it was, sorted; the slots hold where
        // each was, and are renumbered to where it is.
        let by_follower = &mut self.by_follower;
        by_follower.clear();
        by_follower.extend(
            (self.distinct[first..].iter())
                .zip(0u32..)
                .map(|(&f, i)| (f, i)),
        );
        by_follower.sort_unstable();
        self.new_place.clear();
        self.new_place.resize(by_follower.len(), 0);
        for (place, &(follower, old)) in by_follower.iter().enumerate() {
            self.distinct[first + place] = follower;
            self.new_place[old as usize] = (first + place) as u32;
        }
        for slot in &mut self.slots[slots] {
            *slot = self.new_place[*slot as usize - first];
        }
    }
    fn fold_with_table(&mut self, slots: Range<usize>, table: &mut [u32]) {
        // Marks each follower's first sighting, sorts the few distinct
        // ones, then gives every slot its follower's place from the table.
        let first = self.distinct.len();
        for &follower in &self.slots[slots.clone()] {
            let entry = &mut table[follower as usize];
            if *entry == 0 {
                *entry = 1;
                self.distinct.push(follower);
            }
        }
        let distinct = &mut self.distinct[first..];
        distinct.sort_unstable();
        for (place, &follower) in (first as u32..).zip(distinct.iter()) {
            table[follower as usize] = place;
        }
        for slot in &mut self.slots[slots] {
            *slot = table[*slot as usize];
        }
        for &follower in distinct.iter() {
            table[follower as usize] = 0;
        }
    }
}

/// Gathers the distinct followers at the start of the linked slots
/// themselves, and counts them: there are never more of them than slots
/// read, so none is written over a slot still to be read.
struct GatherInPlace<'a> {
    slots: &'a mut [u32],
    counts: Vec<u32>,
    /// Room for sorting a state's followers with their counts.
    by_follower: Vec<(u32, u32)>,
}

impl FoldTarget for GatherInPlace<'_> {
    fn linked(&self, slot: usize) -> u32 {
        self.slots[slot]
    }
    fn distinct_count(&self) -> usize {
        self.counts.len()
    }
    fn distinct_from(&self, from: usize) -> &[u32] {
        &self.slots[from..self.counts.len()]
    }
    fn push(&mut self, follower: u32) {
        self.slots[self.counts.len()] = follower;
        self.counts.push(1);
    }
    fn seen_again(&mut self, index: usize) {
        self.counts[index] += 1;
    }
    fn place(&mut self, _slot: usize, _index: u32) {}
    fn fold_by_sorting(&mut self, slots: Range<usize>) -> bool {
        let end = slots.end;
        self.slots[slots.clone()].sort_unstable();
        let mut read = slots.start;
        while read < end {
            let follower = self.slots[read];
            let mut run_end = read + 1;
            while run_end < end && self.slots[run_end] == follower {
                run_end += 1;
            }
            // The distinct followers so far are no more than the slots
            // read, so this writes over none still to be read.
            self.slots[self.counts.len()] = follower;
            self.counts.push((run_end - read) as u32);
            read = run_end;
        }
        true
    }
    fn fold_with_table(&mut self, slots: Range<usize>, table: &mut [u32]) {
        // Counts each follower in the table, gathering it at its first
        // sighting, then sorts only the distinct ones.
        let first = self.counts.len();
        for slot in slots {
            let follower = self.slots[slot];
            let entry = &mut table[follower as usize];
            if *entry == 0 {
                // The distinct followers so far are no more than the slots
                // read, so this writes over none still to be read.
                self.slots[self.counts.len()] = follower;
                self.counts.push(0);
            }
            *entry += 1;
        }
        let end = self.counts.len();
        self.slots[first..end].sort_unstable();
        for (&follower, count) in self.slots[first..end].iter().zip(&mut self.counts[first..]) {
            let entry = &mut table[follower as usize];
            *count = *entry;
            *entry = 0;
        }
    }
    fn sort_state(&mut self, first: usize, _slots: Range<usize>) {
        let end = self.counts.len();
        if rising(&self.slots[first..end]) {
            return;
        }
        let by_follower = &mut self.by_follower;
        by_follower.clear();
        by_follower.extend(
            (self.slots[first..end].iter())
                .zip(&self.counts[first..end])
                .map(|(&f, &c)| (f, c)),
        );
        by_follower.sort_unstable();
        for (index, &(follower, count)) in (first..end).zip(by_follower.iter()) {
            self.slots[index] = follower;
            self.counts[index] = count;
        }
    }
}

/// Folds the followers of a range of states, whose linked slots `target`
/// holds from the slot `first_slot` of the whole table on. `ends` holds
/// where each of the range's states' slots end in the whole table, and is
/// given where each ends among the range's distinct followers.
fn fold_followers(
    first_slot: u32,
    ends: &mut [u32],
    target: &mut impl FoldTarget,
    state_count: usize,
    watch: Watch,
) -> Result<(), ChainError> {
    // One entry for each next state, zero between states, for folding a
    // state with many slots: most states have few, and a few slots are
    // folded faster by looking through the state's own followers than by
    // reaching into a table as large as all the states. When that table
    // would be large beside the slots themselves (at higher orders, where
    // states are many), a crowded state gets a hash table of its own
    // followers instead.
    let first_slot = first_slot as usize;
    let slot_count = ends.last().map_or(0, |&end| end as usize - first_slot);
    let mut table: Vec<u32> = Vec::new();
    let dense_table_fits = state_count <= slot_count / DENSE_TABLE_SLOTS_PER_STATE;
    let dense_table_cached = state_count <= CACHED_DENSE_TABLE_STATES;
    let mut own_followers: FxHashMap<u32, u32> = FxHashMap::default();
    let mut slots_start = 0;
    let mut since_check = 0usize;
    for end in ends.iter_mut() {
        let first = target.distinct_count();
        let range = slots_start..*end as usize - first_slot;
        slots_start = range.end;
        let (range_start, range_end) = (range.start, range.end);
        since_check += range.len();
        if since_check >= TRANSITIONS_BETWEEN_CANCEL_CHECKS {
            watch.advance(since_check)?;
            since_check = 0;
        }
        if range.len() <= FEW_SLOTS {
            for slot in range {
                let next = target.linked(slot);
                let index = match target
                    .distinct_from(first)
                    .iter()
                    .position(|&seen| seen == next)
                {
                    Some(offset) => {
                        target.seen_again(first + offset);
                        first + offset
                    }
                    None => {
                        target.push(next);
                        target.distinct_count() - 1
                    }
                };
                target.place(slot, index as u32);
            }
        } else if !dense_table_cached && target.fold_by_sorting(range.clone()) {
            // Sorted as it was folded.
        } else if dense_table_fits {
            if table.is_empty() {
                table = vec![0; state_count];
            }
            target.fold_with_table(range, &mut table);
        } else {
            // Clearing a table far larger than this state needs would cost
            // more than making a new one.
            if own_followers.capacity() > 4 * range.len() {
                own_followers = FxHashMap::default();
            }
            own_followers.clear();
            own_followers.reserve(range.len());
            for slot in range {
                let next = target.linked(slot);
                let index = match own_followers.entry(next) {
                    Entry::Occupied(seen) => {
                        target.seen_again(*seen.get() as usize);
                        *seen.get()
                    }
                    Entry::Vacant(new) => {
                        let index = target.distinct_count() as u32;
                        target.push(next);
                        *new.insert(index)
                    }
                };
                target.place(slot, index);
            }
        }
        target.sort_state(first, range_start..range_end);
        *end = target.distinct_count() as u32;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    /// A linked table of `states`, each a list of followers with repeats.
    fn linked(states: &[&[u32]]) -> Linked {
        let mut offsets = vec![0];
        let mut followers = Vec::new();
        for state in states {
            followers.extend_from_slice(state);
            offsets.push(followers.len() as u32);
        }
        Linked { offsets, followers }
    }

    /// Each state's distinct followers with their counts, as `folded`
    /// holds them (counts as running totals).
    fn counted_by_state(folded: &Transitions) -> Vec<Vec<(u32, u32)>> {
        let mut before = 0;
        (folded.offsets.windows(2))
            .map(|range| {
                (range[0] as usize..range[1] as usize)
                    .map(|index| {
                        let total = folded.cumulative[index];
                        let count = total - before;
                        before = total;
                        (folded.followers[index], count)
                    })
                    .collect()
            })
            .collect()
    }

    /// `followers`' distinct ones in id order, each with how often it
    /// appears: what folding should make of one state's slots.
    fn counted_one_by_one(followers: &[u32]) -> Vec<(u32, u32)> {
        let mut counted = BTreeMap::new();
        for &follower in followers {
            *counted.entry(follower).or_insert(0) += 1;
        }
        counted.into_iter().collect()
    }

    /// A state with more slots than the few looked through one by one, and
    /// one with a follower seen three times apart.
    fn table() -> Vec<Vec<u32>> {
        let crowded: Vec<u32> = (0..40).map(|i| [3, 1, 2, 1][i % 4]).collect();
        vec![vec![2, 1, 2, 2], vec![], crowded, vec![0], vec![1, 1]]
    }

    #[test]
    fn folding_sorts_followers_and_counts_on_any_number_of_threads() {
        let table = table();
        let states: Vec<&[u32]> = table.iter().map(Vec::as_slice).collect();
        for threads in 1..5 {
            let transitions = fold_counted(linked(&states), threads, Watch::none()).unwrap();
            assert_eq!(transitions.offsets, [0, 2, 2, 5, 6, 7], "{threads} threads");
            assert_eq!(transitions.followers, [1, 2, 1, 2, 3, 0, 1]);
            // Counts 1, 3; 20, 10, 10; 1; 2 as running totals.
            assert_eq!(transitions.cumulative, [1, 4, 24, 34, 44, 45, 47]);
        }
    }

    #[test]
    fn numbering_gives_each_slot_its_distinct_transition() {
        let table = table();
        let states: Vec<&[u32]> = table.iter().map(Vec::as_slice).collect();
        for threads in 1..5 {
            let numbered = fold_numbered(linked(&states), threads, Watch::none()).unwrap();
            let (followers, numbers) = (numbered.followers.concat(), numbered.numbers);
            assert_eq!(followers, [1, 2, 1, 2, 3, 0, 1]);
            let slots: Vec<u32> = states.concat();
            assert_eq!(numbers.len(), slots.len());
            // Each state's distinct followers, as folding with counts finds.
            let offsets = [0, 2, 2, 5, 6, 7];
            assert_eq!(numbered.offsets, offsets, "{threads} threads");
            for (state, range) in offsets.windows(2).enumerate() {
                let linked_range = states[..state].iter().map(|s| s.len()).sum::<usize>()
                    ..states[..=state].iter().map(|s| s.len()).sum::<usize>();
                for slot in linked_range {
                    let number = numbers[slot];
                    assert!((range[0]..range[1]).contains(&number));
                    assert_eq!(followers[number as usize], slots[slot]);
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        /// Crowded states, each with the followers of the others, folded
        /// with the table of all states: a table entry left over from the
        /// state before, a distinct follower gathered over a slot still to
        /// be read, a count or a place taken before the state's followers
        /// were sorted: each makes the folded table differ from the
        /// followers counted one by one.
        #[test]
        fn folding_with_the_table_counts_and_numbers_every_follower(
            crowded in prop::collection::vec(prop::collection::vec(0u32..8, 17..60), 1..8),
            threads in 1usize..4,
        ) {
            let state_count = crowded.len() as u32;
            let states: Vec<Vec<u32>> = (crowded.iter())
                .map(|followers| followers.iter().map(|&f| f % state_count).collect())
                .collect();
            let slices: Vec<&[u32]> = states.iter().map(Vec::as_slice).collect();
            let folded = fold_counted(linked(&slices), threads, Watch::none()).unwrap();
            let numbered = fold_numbered(linked(&slices), threads, Watch::none()).unwrap();
            let numbered_followers = numbered.followers.concat();
            prop_assert_eq!(&numbered_followers[..], &folded.followers[..]);
            prop_assert_eq!(&numbered.offsets[..], &folded.offsets[..]);
            let found = counted_by_state(&folded);
            let mut slot = 0;
            for (state, followers) in states.iter().enumerate() {
                prop_assert_eq!(&found[state], &counted_one_by_one(followers), "state {}", state);
                let range = folded.offsets[state] as usize..folded.offsets[state + 1] as usize;
                for &follower in followers {
                    let number = numbered.numbers[slot] as usize;
                    prop_assert!(range.contains(&number), "slot {} of state {}", slot, state);
                    prop_assert_eq!(numbered_followers[number], follower);
                    slot += 1;
                }
            }
        }

        /// With more states than a cached dense table holds, a crowded
        /// state's slots are sorted and their runs counted. A run counted
        /// one too long or too short, a distinct follower written over a
        /// slot still to be read, or a state's end left where its slots
        /// ended: each makes the folded table differ from the followers
        /// counted one by one.
        #[test]
        fn folding_by_sorting_counts_every_follower(
            crowded in prop::collection::vec(prop::collection::vec(0u32..6, 0..60), 1..6),
            threads in 1usize..4,
        ) {
            let state_count = CACHED_DENSE_TABLE_STATES + 10;
            let spread = |n: usize, by: usize| (n * by % state_count) as u32;
            let mut states = vec![Vec::new(); state_count];
            for (index, followers) in crowded.iter().enumerate() {
                states[spread(index + 1, 7919) as usize] =
                    followers.iter().map(|&f| spread(f as usize, 9973)).collect();
            }
            let slices: Vec<&[u32]> = states.iter().map(Vec::as_slice).collect();
            let folded = fold_counted(linked(&slices), threads, Watch::none()).unwrap();
            let found = counted_by_state(&folded);
            for (state, followers) in states.iter().enumerate() {
                prop_assert_eq!(&found[state], &counted_one_by_one(followers), "state {}", state);
            }
        }
    }
}
