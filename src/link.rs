//! The second stage of a build: from the text's word ids to the chain's
//! transition table.

use std::sync::atomic::{AtomicU32, Ordering as AtomicOrdering};

use rustc_hash::FxHashMap;

use crate::build_options::{BuildOptions, Watch};
use crate::chain::{Chain, StateWords, Transitions};
use crate::corpus::Corpus;
use crate::error::ChainError;
use crate::parallel::on_threads;
use crate::vocabulary::Vocabulary;

/// How many transitions are linked between two looks at the cancel flag
/// (and two reports of progress).
const TRANSITIONS_BETWEEN_CANCEL_CHECKS: usize = 1 << 20;

impl Corpus {
    /// How much progress linking this corpus into a chain of `order`
    /// reports in all (see [`crate::Watch::reporting_to`]): each pass over
    /// the transitions counts them once.
    pub fn linking_work(&self, order: usize) -> u64 {
        // Order 1: linking, folding. Higher: interning the windows,
        // counting, linking, folding.
        let passes = if order == 1 { 2 } else { 4 };
        self.word_count().saturating_sub(order) as u64 * passes
    }
}

/// Links a corpus of at least `order` words into the chain of `order`.
pub(crate) fn link_corpus(
    corpus: Corpus,
    order: usize,
    options: BuildOptions,
) -> Result<Chain, ChainError> {
    if order == 1 {
        link_words(corpus, options)
    } else {
        let (vocabulary, tokens) = corpus.into_parts();
        link_windows(vocabulary, tokens, order, options)
    }
}

/// Order 1: states are words, so the text's ids are the state sequence,
/// already in one piece per thread that split it, and the corpus has
/// counted how often each state occurs in each piece.
fn link_words(corpus: Corpus, options: BuildOptions) -> Result<Chain, ChainError> {
    let word_count = corpus.word_count();
    let state_count = corpus.vocabulary.len() as u32;
    let Corpus {
        vocabulary,
        segments,
        counts,
    } = corpus;
    // One share per segment. A share's pairs start at each of its words but
    // the last, and at the word before it.
    let mut shares = Vec::with_capacity(segments.len());
    let mut pair_counts = Vec::with_capacity(segments.len());
    let mut before = None;
    for (run, mut counts) in segments.iter().zip(counts) {
        let Some(&last) = run.last() else {
            continue;
        };
        counts[last as usize] -= 1;
        if let Some(before) = before {
            counts[before as usize] += 1;
        }
        shares.push(LinkShare { before, run });
        pair_counts.push(counts);
        before = Some(last);
    }
    let threads = shares.len();
    let linked = link(state_count, shares, pair_counts, options.watch)?;
    drop(segments);
    let transitions = count_followers(linked, threads, options.watch)?;
    Ok(Chain::from_parts(
        1,
        word_count,
        vocabulary,
        StateWords::SingleWord,
        transitions,
    ))
}

/// Higher orders: each window of `order` words is interned as a state.
fn link_windows(
    vocabulary: Vocabulary,
    tokens: Vec<u32>,
    order: usize,
    options: BuildOptions,
) -> Result<Chain, ChainError> {
    let watch = options.watch;
    let word_count = tokens.len();
    let mut state_ids: FxHashMap<&[u32], u32> = FxHashMap::default();
    let mut state_words = Vec::new();
    let mut state_sequence = Vec::with_capacity(word_count - order + 1);
    for (position, window) in tokens.windows(order).enumerate() {
        if position % TRANSITIONS_BETWEEN_CANCEL_CHECKS == 0 && position > 0 {
            watch.advance(TRANSITIONS_BETWEEN_CANCEL_CHECKS)?;
        }
        let next_id = state_ids.len() as u32;
        let state = *state_ids.entry(window).or_insert_with(|| {
            state_words.extend_from_slice(window);
            next_id
        });
        state_sequence.push(state);
    }
    let state_count = state_ids.len() as u32;
    drop(state_ids);
    drop(tokens);
    let threads = link_threads(&state_sequence, options);
    let shares = link_shares(&state_sequence, threads);
    let pair_counts = count_pairs(state_count, &shares, watch)?;
    let linked = link(state_count, shares, pair_counts, watch)?;
    drop(state_sequence);
    let transitions = count_followers(linked, threads, watch)?;
    state_words.shrink_to_fit();
    Ok(Chain::from_parts(
        order,
        word_count,
        vocabulary,
        StateWords::Flat(state_words),
        transitions,
    ))
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

/// How many threads should link `sequence`: one unless it is long enough
/// for threads to pay.
fn link_threads(sequence: &[u32], options: BuildOptions) -> usize {
    // Ids are four bytes each.
    if sequence.len().saturating_mul(4) >= options.parallel_min_bytes {
        options.threads.max(1)
    } else {
        1
    }
}

/// Cuts `sequence` into `shares` runs of about equal length, in order.
fn link_shares(sequence: &[u32], shares: usize) -> Vec<LinkShare<'_>> {
    let size = sequence.len().div_ceil(shares.max(1)).max(1);
    let mut before = None;
    sequence
        .chunks(size)
        .map(|run| {
            let share = LinkShare { before, run };
            before = run.last().copied();
            share
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
/// text.
///
/// Each share is filled on a thread of its own. The counts give every share
/// its own slots in each state's followers, after those of the shares before
/// it, so the threads fill disjoint slots and the result is the serial one.
fn link(
    state_count: u32,
    shares: Vec<LinkShare<'_>>,
    mut pair_counts: Vec<Vec<u32>>,
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
        |(share, mut slots)| {
            share.for_each_pair(watch, |state, next| {
                let slot = &mut slots[state as usize];
                followers[*slot as usize].store(next, AtomicOrdering::Relaxed);
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
/// each folded on a thread of its own.
fn count_followers(
    linked: Linked,
    threads: usize,
    watch: Watch,
) -> Result<Transitions, ChainError> {
    let state_count = linked.offsets.len() - 1;
    let ranges = state_ranges(&linked.offsets, threads);
    let parts = on_threads(ranges, |states| {
        fold_followers(&linked, states, state_count, watch)
    })?;
    let mut offsets = Vec::with_capacity(state_count + 1);
    offsets.push(0);
    let distinct: usize = parts.iter().map(|part| part.followers.len()).sum();
    let mut followers = Vec::with_capacity(distinct);
    let mut cumulative = Vec::with_capacity(distinct);
    for part in parts {
        let base = followers.len() as u32;
        offsets.extend(part.ends.iter().map(|&end| base + end));
        followers.extend_from_slice(&part.followers);
        cumulative.extend_from_slice(&part.cumulative);
    }
    Ok(Transitions {
        offsets,
        followers,
        cumulative,
    })
}

/// The distinct followers of a range of states, as [`count_followers`]
/// makes them, with `ends` relative to the range's first follower.
struct FoldedRange {
    ends: Vec<u32>,
    followers: Vec<u32>,
    cumulative: Vec<u32>,
}

/// Cuts the states into up to `threads` consecutive ranges holding about the
/// same number of followers each.
fn state_ranges(offsets: &[u32], threads: usize) -> Vec<std::ops::Range<usize>> {
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

fn fold_followers(
    linked: &Linked,
    states: std::ops::Range<usize>,
    state_count: usize,
    watch: Watch,
) -> Result<FoldedRange, ChainError> {
    // For each next state: which state last saw it (plus one, so that zero
    // means never), and where its count is.
    let mut seen = vec![(0u32, 0u32); state_count];
    let mut folded = FoldedRange {
        ends: Vec::with_capacity(states.len()),
        followers: Vec::new(),
        cumulative: Vec::new(),
    };
    let mut since_check = 0usize;
    for state in states {
        let first = folded.followers.len();
        let range = linked.offsets[state] as usize..linked.offsets[state + 1] as usize;
        since_check += range.len();
        if since_check >= TRANSITIONS_BETWEEN_CANCEL_CHECKS {
            watch.advance(since_check)?;
            since_check = 0;
        }
        let owner = state as u32 + 1;
        for &next in &linked.followers[range] {
            let entry = &mut seen[next as usize];
            if entry.0 == owner {
                folded.cumulative[entry.1 as usize] += 1;
            } else {
                *entry = (owner, folded.followers.len() as u32);
                folded.followers.push(next);
                folded.cumulative.push(1);
            }
        }
        // Counts to running totals, within this state.
        let mut running = 0;
        for count in &mut folded.cumulative[first..] {
            running += *count;
            *count = running;
        }
        folded.ends.push(folded.followers.len() as u32);
    }
    Ok(folded)
}
