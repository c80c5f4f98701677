//! The second stage of a build: from the text's word ids to the chain's
//! transition table.
//!
//! Linking takes the sequence of states the text passes through, and finds
//! for each state the states that follow it, each once, with how often.
//! At order 1 the states are the words. A state of order `r + 1` is a state
//! of order `r` and the one after it, which overlap in `r - 1` words: it is
//! one distinct transition of the order-`r` chain. So higher orders are
//! built in rounds of the same parallel link and fold, each numbering the
//! transitions of one order as the states of the next, with no hash table
//! of word windows.

use std::collections::hash_map::Entry;
use std::ops::Range;
use std::sync::atomic::{AtomicU32, Ordering as AtomicOrdering};

use rustc_hash::FxHashMap;

use crate::build_options::{BuildOptions, Watch};
use crate::chain::{Chain, StateWords, Transitions};
use crate::corpus::Corpus;
use crate::error::ChainError;
use crate::parallel::{on_threads, renumber_in_parallel};

/// How many transitions are linked between two looks at the cancel flag
/// (and two reports of progress).
const TRANSITIONS_BETWEEN_CANCEL_CHECKS: usize = 1 << 20;

/// A state with at most this many slots is folded by looking through its
/// own followers.
const FEW_SLOTS: usize = 16;

/// The table of all states that folding a crowded state reaches into takes
/// eight bytes a state; it is made only when there are at least this many
/// slots (four bytes each) per state, so that it stays small beside them.
const DENSE_TABLE_SLOTS_PER_STATE: usize = 4;

impl Corpus {
    /// How much progress linking this corpus into a chain of `order`
    /// reports in all (see [`crate::Watch::reporting_to`]): each pass over
    /// the transitions counts them once.
    pub fn linking_work(&self, order: usize) -> u64 {
        // Order 1 links and folds, with the corpus's own counts; every
        // later round counts, links and folds.
        let passes = 3 * order - 1;
        self.word_count().saturating_sub(order) as u64 * passes as u64
    }
}

/// Links a corpus of at least `order` words into the chain of `order`.
pub(crate) fn link_corpus(
    corpus: Corpus,
    order: usize,
    options: BuildOptions,
) -> Result<Chain, ChainError> {
    let word_count = corpus.word_count();
    let Corpus {
        vocabulary,
        segments,
        counts,
    } = corpus;
    let mut states = StateSequence {
        segments,
        count: vocabulary.len() as u32,
        words: Vec::new(),
        order: 1,
    };
    // The corpus counted each word in each of its segments while interning
    // them, so the first round needs no counting pass.
    let mut counted = Some(counts);
    while states.order < order {
        states = states.next_order(counted.take(), options)?;
    }
    let first_state = states.segments.iter().find_map(|run| run.first().copied());
    let state_words = if order == 1 {
        StateWords::SingleWord
    } else {
        StateWords::Flat(std::mem::take(&mut states.words))
    };
    let transitions = states.transitions(counted.take(), options)?;
    Ok(Chain::from_parts(
        order,
        word_count,
        vocabulary,
        state_words,
        transitions,
        first_state.unwrap_or(0),
    ))
}

/// The sequence of states a text passes through, at some order.
struct StateSequence {
    /// The states in text order, in consecutive pieces (one per thread that
    /// made them), so that no piece is copied to join them.
    segments: Vec<Vec<u32>>,
    /// How many distinct states there are; ids are below it.
    count: u32,
    /// Each state's word ids, `order` per state (empty at order 1, where a
    /// state is its word).
    words: Vec<u32>,
    order: usize,
}

/// What linking a sequence gives: its transitions, and, when asked for,
/// the sequence of those transitions (the states of the next order), in
/// the sequence's own pieces. Transitions that are numbered carry no counts
/// (see [`count_followers`]).
struct LinkedSequence {
    transitions: Transitions,
    next_segments: Vec<Vec<u32>>,
}

impl StateSequence {
    /// The sequence of the next order's states: each consecutive pair of
    /// this sequence, numbered by its distinct transition.
    fn next_order(
        self,
        counts: Option<Vec<Vec<u32>>>,
        options: BuildOptions,
    ) -> Result<StateSequence, ChainError> {
        let StateSequence {
            segments,
            count,
            words,
            order,
        } = self;
        let linked = link_sequence(segments, count, counts, options, true)?;
        Ok(StateSequence {
            words: pair_words(&linked.transitions, &words, order),
            count: linked.transitions.followers.len() as u32,
            segments: linked.next_segments,
            order: order + 1,
        })
    }

    /// The sequence's transitions: the chain's, at its order.
    fn transitions(
        self,
        counts: Option<Vec<Vec<u32>>>,
        options: BuildOptions,
    ) -> Result<Transitions, ChainError> {
        Ok(link_sequence(self.segments, self.count, counts, options, false)?.transitions)
    }
}

/// Links a sequence of `count` distinct states into its transitions, on as
/// many threads as it has segments (or as `options` allow for a sequence in
/// one piece). `counts`, when the caller has them, say how many times each
/// state occurs in each segment. With `numbered`, also gives the sequence
/// of its transitions.
fn link_sequence(
    mut segments: Vec<Vec<u32>>,
    count: u32,
    counts: Option<Vec<Vec<u32>>>,
    options: BuildOptions,
    numbered: bool,
) -> Result<LinkedSequence, ChainError> {
    let watch = options.watch;
    // Counts taken per segment need one share per segment.
    let cuts = share_cuts(&segments, options, counts.is_none());
    let threads = cuts.len();
    let pair_counts = {
        let shares = read_shares(&segments, &cuts);
        match counts {
            Some(counts) => counts_from_occurrences(&shares, counts),
            None => count_pairs(count, &shares, watch)?,
        }
    };
    let linked = link(
        count,
        write_shares(&mut segments, &cuts),
        pair_counts,
        numbered,
        watch,
    )?;
    if !numbered {
        segments = Vec::new();
    }
    let (transitions, numbers) = count_followers(linked, threads, numbered, watch)?;
    if numbered {
        // The sequence's first state starts no pair, so it holds no slot;
        // every other position holds the slot of the pair it ends, which
        // becomes that transition's number.
        if let Some(first_run) = segments.iter_mut().find(|run| !run.is_empty()) {
            first_run.remove(0);
        }
        renumber_in_parallel(
            segments.iter_mut().map(Vec::as_mut_slice),
            &numbers,
            threads,
        )?;
    }
    Ok(LinkedSequence {
        transitions,
        next_segments: segments,
    })
}

/// The words of each transition of an order-`order` chain as a state of
/// the next order: the first state's words, then the second state's last.
/// `words` holds `order` word ids per state (nothing at order 1, where a
/// state is its word).
fn pair_words(transitions: &Transitions, words: &[u32], order: usize) -> Vec<u32> {
    let mut next = Vec::with_capacity(transitions.followers.len() * (order + 1));
    for (state, range) in transitions.offsets.windows(2).enumerate() {
        for &follower in &transitions.followers[range[0] as usize..range[1] as usize] {
            if order == 1 {
                next.extend([state as u32, follower]);
            } else {
                next.extend_from_slice(&words[state * order..(state + 1) * order]);
                next.push(words[follower as usize * order + order - 1]);
            }
        }
    }
    next
}

/// One thread's share of the linking: a run of the state sequence, and the
/// state just before it (whose pair with the run's first state it owns).
#[derive(Clone, Copy)]
struct LinkShare<'seq> {
    before: Option<u32>,
    run: &'seq [u32],
}

impl LinkShare<'_> {
    /// Calls `visit` with each consecutive pair of the share, in order,
    /// looking at the cancel flag every so often.
    fn for_each_pair(
        self,
        watch: Watch,
        mut visit: impl FnMut(u32, u32),
    ) -> Result<(), ChainError> {
        if let (Some(before), Some(&first)) = (self.before, self.run.first()) {
            visit(before, first);
        }
        for (index, pair) in self.run.windows(2).enumerate() {
            if index % TRANSITIONS_BETWEEN_CANCEL_CHECKS == 0 && index > 0 {
                watch.advance(TRANSITIONS_BETWEEN_CANCEL_CHECKS)?;
            }
            visit(pair[0], pair[1]);
        }
        Ok(())
    }
}

/// A share whose run may be written as it is linked.
struct LinkShareMut<'seq> {
    before: Option<u32>,
    run: &'seq mut [u32],
}

impl LinkShareMut<'_> {
    /// Calls `visit` with each consecutive pair of the share, in order, the
    /// second as the place that holds it, looking at the cancel flag every
    /// so often. What `visit` writes there is never read as a state.
    fn for_each_pair(
        self,
        watch: Watch,
        mut visit: impl FnMut(u32, &mut u32),
    ) -> Result<(), ChainError> {
        let mut previous = self.before;
        for (index, place) in self.run.iter_mut().enumerate() {
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

/// Where one share lies: a stretch of one segment, and the state before it.
struct ShareCut {
    before: Option<u32>,
    segment: usize,
    stretch: Range<usize>,
}

/// How a sequence is cut into shares: one per segment, or, when `recut`
/// and the sequence is in one piece, as many as `options` allow once it is
/// long enough to pay.
fn share_cuts(segments: &[Vec<u32>], options: BuildOptions, recut: bool) -> Vec<ShareCut> {
    if let ([sequence], true) = (segments, recut) {
        // Ids are four bytes each.
        let threads = if sequence.len().saturating_mul(4) >= options.parallel_min_bytes {
            options.threads.max(1)
        } else {
            1
        };
        let size = sequence.len().div_ceil(threads).max(1);
        return (0..sequence.len())
            .step_by(size)
            .map(|start| ShareCut {
                before: start.checked_sub(1).map(|last| sequence[last]),
                segment: 0,
                stretch: start..(start + size).min(sequence.len()),
            })
            .collect();
    }
    let mut before = None;
    segments
        .iter()
        .enumerate()
        .map(|(segment, run)| {
            let cut = ShareCut {
                before,
                segment,
                stretch: 0..run.len(),
            };
            // An empty segment passes the state before it on.
            before = run.last().copied().or(before);
            cut
        })
        .collect()
}

/// The shares that `cuts` make of `segments`, to read.
fn read_shares<'seq>(segments: &'seq [Vec<u32>], cuts: &[ShareCut]) -> Vec<LinkShare<'seq>> {
    cuts.iter()
        .map(|cut| LinkShare {
            before: cut.before,
            run: &segments[cut.segment][cut.stretch.clone()],
        })
        .collect()
}

/// The shares that `cuts` make of `segments`, to write. Cuts are in order
/// and do not overlap.
fn write_shares<'seq>(
    segments: &'seq mut [Vec<u32>],
    cuts: &[ShareCut],
) -> Vec<LinkShareMut<'seq>> {
    let mut shares = Vec::with_capacity(cuts.len());
    let mut cuts = cuts.iter().peekable();
    for (segment, run) in segments.iter_mut().enumerate() {
        let mut rest: &mut [u32] = run;
        let mut taken = 0;
        while let Some(cut) = cuts.next_if(|cut| cut.segment == segment) {
            let (_, tail) = rest.split_at_mut(cut.stretch.start - taken);
            let (run, tail) = tail.split_at_mut(cut.stretch.len());
            shares.push(LinkShareMut {
                before: cut.before,
                run,
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
fn counts_from_occurrences(shares: &[LinkShare<'_>], counts: Vec<Vec<u32>>) -> Vec<Vec<u32>> {
    shares
        .iter()
        .zip(counts)
        .map(|(share, mut counts)| {
            if let Some(&last) = share.run.last() {
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
fn count_pairs(
    state_count: u32,
    shares: &[LinkShare<'_>],
    watch: Watch,
) -> Result<Vec<Vec<u32>>, ChainError> {
    on_threads(shares.to_vec(), |share| {
        let mut counts = vec![0u32; state_count as usize];
        share.for_each_pair(watch, |state, _| counts[state as usize] += 1)?;
        Ok(counts)
    })
}

/// Every state's followers side by side, with repetition, in the order they
/// followed in the text: state `s`'s are `followers[offsets[s]..offsets[s +
/// 1]]`.
struct Linked {
    offsets: Vec<u32>,
    followers: Vec<u32>,
}

/// Builds the table of every state's followers from the sequence of states
/// the text passes through, cut into shares: for each consecutive pair, the
/// second follows the first. `pair_counts[k][s]` is how many pairs of share
/// `k` start at state `s`; from those, every state's followers get their
/// place side by side in one flat vector, in the order they appear in the
/// text. With `numbered`, each pair writes its place over its second state
/// in the sequence, which is then no longer needed: the sequence becomes
/// the pairs' places, with no second vector as long as the text.
///
/// Each share is filled on a thread of its own. The counts give every share
/// its own slots in each state's followers, after those of the shares before
/// it, so the threads fill disjoint slots and the result is the serial one.
fn link(
    state_count: u32,
    shares: Vec<LinkShareMut<'_>>,
    mut pair_counts: Vec<Vec<u32>>,
    numbered: bool,
    watch: Watch,
) -> Result<Linked, ChainError> {
    let states = state_count as usize;
    // Turn each share's counts into the first slot it fills for each state.
    let mut offsets = Vec::with_capacity(states + 1);
    let mut next = 0u32;
    for state in 0..states {
        offsets.push(next);
        for share_slots in &mut pair_counts {
            let count = share_slots[state];
            share_slots[state] = next;
            next += count;
        }
    }
    offsets.push(next);

    // Relaxed atomics compile to plain stores; they only let the threads
    // write their disjoint slots of one vector without unsafe code.
    let followers: Vec<AtomicU32> = (0..next).map(|_| AtomicU32::new(0)).collect();
    on_threads(
        shares.into_iter().zip(pair_counts).collect(),
        |(share, mut free)| {
            share.for_each_pair(watch, |state, place| {
                let slot = &mut free[state as usize];
                followers[*slot as usize].store(*place, AtomicOrdering::Relaxed);
                if numbered {
                    *place = *slot;
                }
                *slot += 1;
            })
        },
    )?;
    // Same size and alignment: this reuses the allocation.
    let followers = followers.into_iter().map(AtomicU32::into_inner).collect();
    Ok(Linked { offsets, followers })
}

/// Folds each state's repeated followers into distinct ones with counts,
/// keeping the order in which they first followed: the form the chain keeps
/// and saves. States are cut into `threads` ranges of about equal work,
/// each folded on a thread of its own. Without `numbered`, the distinct
/// followers are gathered in the linked table's own memory, which the chain
/// then keeps. With `numbered`, also gives for each slot of the linked
/// table the number of its distinct transition (its index in the folded
/// followers), and leaves the counts out (`cumulative` is empty): the next
/// round needs only which transitions there are.
fn count_followers(
    linked: Linked,
    threads: usize,
    numbered: bool,
    watch: Watch,
) -> Result<(Transitions, Vec<u32>), ChainError> {
    let Linked {
        offsets: mut linked_offsets,
        mut followers,
    } = linked;
    let state_count = linked_offsets.len() - 1;
    let ranges = state_ranges(&linked_offsets, threads);
    let slot_ends: Vec<usize> = ranges
        .iter()
        .map(|states| linked_offsets[states.end] as usize)
        .collect();
    let pieces = split_at_ends(&mut followers, &slot_ends);
    let work: Vec<_> = ranges.iter().cloned().zip(pieces).collect();
    // Each range gives its states' ends, and either its distinct followers
    // (numbered) or their counts (the followers gathered in place).
    let folded = on_threads(work, |(states, piece)| {
        if numbered {
            let mut target = NumberSlots {
                slots: piece,
                distinct: Vec::new(),
            };
            let ends = fold_followers(&linked_offsets, states, &mut target, state_count, watch)?;
            Ok((ends, target.distinct))
        } else {
            let mut target = GatherInPlace {
                slots: piece,
                counts: Vec::new(),
            };
            let ends = fold_followers(&linked_offsets, states, &mut target, state_count, watch)?;
            Ok((ends, target.counts))
        }
    })?;

    // The ranges' ends, moved on by the distinct followers before each
    // range, are the chain's offsets: written over the linked ones, which
    // are no longer needed.
    let mut bases = Vec::with_capacity(folded.len());
    let mut distinct = 0usize;
    for (states, (ends, _)) in ranges.iter().zip(&folded) {
        bases.push(distinct as u32);
        for (offset, &end) in linked_offsets[states.start + 1..=states.end]
            .iter_mut()
            .zip(ends)
        {
            *offset = distinct as u32 + end;
        }
        distinct += ends.last().map_or(0, |&end| end as usize);
    }
    // The first offset is 0 in both.
    let offsets = linked_offsets;

    // The ranges' vectors joined: the first grows to hold the rest, so
    // that there is never a second copy of them all.
    let mut joined: Vec<u32> = Vec::new();
    for (index, (_, values)) in folded.into_iter().enumerate() {
        if index == 0 {
            joined = values;
            joined.reserve_exact(distinct - joined.len());
        } else {
            joined.extend_from_slice(&values);
        }
    }
    joined.shrink_to_fit();

    if !numbered {
        let mut cumulative = joined;
        // Counts to running totals. They add up to the transitions, which
        // are fewer than u32::MAX.
        let mut running = 0u32;
        for count in &mut cumulative {
            running += *count;
            *count = running;
        }
        // Each range's distinct followers start its piece of the linked
        // table: moved together, they are the chain's followers.
        let mut piece_start = 0;
        for (index, &base) in bases.iter().enumerate() {
            let next_base = bases.get(index + 1).map_or(distinct, |&next| next as usize);
            let range_distinct = next_base - base as usize;
            followers.copy_within(piece_start..piece_start + range_distinct, base as usize);
            piece_start = slot_ends[index];
        }
        followers.truncate(distinct);
        followers.shrink_to_fit();
        let transitions = Transitions {
            offsets,
            followers,
            cumulative,
        };
        return Ok((transitions, Vec::new()));
    }
    let transitions = Transitions {
        offsets,
        followers: joined,
        cumulative: Vec::new(),
    };
    // Local numbers to global ones: each range's come after those of the
    // ranges before it.
    let pieces = split_at_ends(&mut followers, &slot_ends);
    on_threads(pieces.into_iter().zip(bases).collect(), |(piece, base)| {
        for number in piece.iter_mut() {
            *number += base;
        }
        Ok(())
    })?;
    Ok((transitions, followers))
}

/// `values` cut into consecutive pieces that end at `ends`.
fn split_at_ends<'a>(values: &'a mut [u32], ends: &[usize]) -> Vec<&'a mut [u32]> {
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

/// Cuts the states into up to `threads` consecutive ranges holding about the
/// same number of followers each.
fn state_ranges(offsets: &[u32], threads: usize) -> Vec<Range<usize>> {
    let state_count = offsets.len() - 1;
    let total = *offsets.last().unwrap_or(&0) as usize;
    let share = total.div_ceil(threads.max(1)).max(1);
    let mut ranges = Vec::with_capacity(threads);
    let mut start = 0;
    while start < state_count {
        let target = (offsets[start] as usize + share).min(total) as u32;
        // The first state whose followers end past the target ends the range.
        let end = (start + offsets[start + 1..].partition_point(|&end| end < target) + 1)
            .min(state_count);
        ranges.push(start..end);
        start = end;
    }
    ranges
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
}

/// Numbers every linked slot by its distinct follower, kept apart. A
/// round that numbers its transitions only needs which they are, so it
/// keeps no counts.
struct NumberSlots<'a> {
    slots: &'a mut [u32],
    distinct: Vec<u32>,
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
}

/// Gathers the distinct followers at the start of the linked slots
/// themselves, and counts them: there are never more of them than slots
/// read, so none is written over a slot still to be read.
struct GatherInPlace<'a> {
    slots: &'a mut [u32],
    counts: Vec<u32>,
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
}

/// Folds the followers of `states`, whose linked slots `target` holds, and
/// gives each state's end among the range's distinct followers.
fn fold_followers(
    offsets: &[u32],
    states: Range<usize>,
    target: &mut impl FoldTarget,
    state_count: usize,
    watch: Watch,
) -> Result<Vec<u32>, ChainError> {
    // For each next state: which state last saw it (plus one, so that zero
    // means never), and where its count is. Made only for a state with many
    // slots: most states have few, and a few slots are folded faster by
    // looking through the state's own followers than by reaching into a
    // table as large as all the states. When that table would be large
    // beside the slots themselves (at higher orders, where states are many),
    // a crowded state gets a hash table of its own followers instead.
    let first_slot = offsets[states.start] as usize;
    let slot_count = offsets[states.end] as usize - first_slot;
    let mut seen: Vec<(u32, u32)> = Vec::new();
    let dense_table_fits = state_count <= slot_count / DENSE_TABLE_SLOTS_PER_STATE;
    let mut own_followers: FxHashMap<u32, u32> = FxHashMap::default();
    let mut ends = Vec::with_capacity(states.len());
    let mut since_check = 0usize;
    for state in states {
        let first = target.distinct_count();
        let range = offsets[state] as usize - first_slot..offsets[state + 1] as usize - first_slot;
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
        } else if dense_table_fits {
            if seen.is_empty() {
                seen = vec![(0, 0); state_count];
            }
            let owner = state as u32 + 1;
            for slot in range {
                let next = target.linked(slot);
                let entry = &mut seen[next as usize];
                if entry.0 == owner {
                    target.seen_again(entry.1 as usize);
                } else {
                    *entry = (owner, target.distinct_count() as u32);
                    target.push(next);
                }
                target.place(slot, entry.1);
            }
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
        ends.push(target.distinct_count() as u32);
    }
    Ok(ends)
}
