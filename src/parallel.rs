//! Running one piece of work per item, on a thread each.

use std::ops::Range;

use crate::error::ChainError;

/// Runs `work` on every item, each on a thread of its own when there are
/// several (a single item runs on the calling thread), and returns the
/// results in the items' order, or the first error.
///
/// A worker that panics has hit a bug, not a user error: its panic goes on
/// unwinding in the calling thread, where the Python bindings catch it and
/// ask for a bug report, instead of passing for a cancelled build.
pub(crate) fn on_threads<I: Send, T: Send>(
    items: Vec<I>,
    work: impl Fn(I) -> Result<T, ChainError> + Sync,
) -> Result<Vec<T>, ChainError> {
    if items.len() <= 1 {
        return items.into_iter().map(work).collect();
    }
    std::thread::scope(|scope| {
        let work = &work;
        let mut items = items.into_iter();
        let first = items.next();
        let handles: Vec<_> = items.map(|item| scope.spawn(move || work(item))).collect();
        // The calling thread takes the first item itself: one thread fewer
        // to start, and its allocations stay with this thread's.
        let first = first.map(work);
        first
            .into_iter()
            .chain(handles.into_iter().map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            }))
            .collect()
    })
}

/// `first` run on the calling thread and `second` on a thread of its own
/// when `threads` is more than one (else one after the other), and both
/// results. A panic in either goes on unwinding in the caller, as in
/// [`on_threads`].
pub(crate) fn both<A: Send, B: Send>(
    threads: usize,
    first: impl FnOnce() -> A + Send,
    second: impl FnOnce() -> B + Send,
) -> (A, B) {
    if threads <= 1 {
        return (first(), second());
    }
    std::thread::scope(|scope| {
        let second = scope.spawn(second);
        let first = first();
        let second = second
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (first, second)
    })
}

/// `0..count` cut into up to `threads` ranges whose lengths differ by at
/// most one, each at least `min_share` long unless there is only one (the
/// whole, empty when `count` is 0).
pub(crate) fn equal_shares(count: u32, threads: usize, min_share: usize) -> Vec<Range<u32>> {
    let worth = (count as usize / min_share.max(1)).max(1);
    let shares = threads.clamp(1, worth) as u64;
    let cut = |share: u64| (u64::from(count) * share / shares) as u32;
    (0..shares)
        .map(|share| cut(share)..cut(share + 1))
        .collect()
}

/// Whether `holds` is true of every number of `0..count`, asked on up to
/// `threads` threads of [`equal_shares`] at least `min_share` long each.
pub(crate) fn all_on_threads(
    count: usize,
    threads: usize,
    min_share: usize,
    holds: impl Fn(usize) -> bool + Sync,
) -> bool {
    let shares = equal_shares(count as u32, threads, min_share);
    let held = on_threads(shares, |share| {
        Ok((share.start as usize..share.end as usize).all(&holds))
    });
    held.is_ok_and(|held| held.iter().all(|&held| held))
}

/// Cuts the states whose followers end at `offsets` (state `s`'s at
/// `offsets[s]..offsets[s + 1]`) into up to `threads` consecutive ranges
/// holding about the same number of followers each.
pub(crate) fn state_ranges(offsets: &[u32], threads: usize) -> Vec<Range<usize>> {
    let state_count = offsets.len() - 1;
    let total = *offsets.last().unwrap_or(&0) as usize;
    let share = total.div_ceil(threads.max(1)).max(1);
    let mut ranges = Vec::with_capacity(threads);
    let mut start = 0;
    while start < state_count {
        let target = (offsets[start] as usize + share).min(total) as u32;
        // The first state whose followers end past the target ends the range;
        // the range that reaches the last follower takes every state left,
        // rather than one range (and one thread) each of the states with no
        // followers after it.
        let end = if target as usize >= total {
            state_count
        } else {
            (start + offsets[start + 1..].partition_point(|&end| end < target) + 1).min(state_count)
        };
        ranges.push(start..end);
        start = end;
    }
    ranges
}

/// Replaces each id in `runs` by `new_ids[id]`, on `threads` threads
/// sharing the ids about equally.
pub(crate) fn renumber_in_parallel<'a>(
    runs: impl IntoIterator<Item = &'a mut [u32]>,
    new_ids: &[u32],
    threads: usize,
) -> Result<(), ChainError> {
    let runs: Vec<&mut [u32]> = runs.into_iter().collect();
    let total: usize = runs.iter().map(|run| run.len()).sum();
    let size = total.div_ceil(threads.max(1)).max(1);
    let chunks: Vec<&mut [u32]> = runs
        .into_iter()
        .flat_map(|run| run.chunks_mut(size))
        .collect();
    on_threads(chunks, |chunk| {
        for id in chunk {
            *id = new_ids[*id as usize];
        }
        Ok(())
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::panic::{catch_unwind, AssertUnwindSafe};

    use super::*;

    #[test]
    fn results_keep_the_order_of_the_items() {
        let doubled = on_threads(vec![1, 2, 3, 4], |n| Ok(n * 2));
        assert_eq!(doubled, Ok(vec![2, 4, 6, 8]));
    }

    #[test]
    fn both_gives_each_result_in_its_place_and_a_panic_goes_on() {
        // The bugs: the results swapped, or a panic on the other thread
        // turned into a result (a check that passes for a bug).
        for threads in [1, 2] {
            let on = |name| std::thread::current().id() == name;
            let caller = std::thread::current().id();
            let (first, second) = both(threads, || (1, on(caller)), || (2, on(caller)));
            assert_eq!((first, second), ((1, true), (2, threads == 1)));
            let panicked = std::panic::catch_unwind(|| {
                both(threads, || 1, || -> i32 { panic!("in the second") })
            });
            assert!(panicked.is_err(), "{threads} threads");
        }
    }

    #[test]
    fn all_on_threads_asks_of_every_number_once_on_any_threads() {
        // The bug: a share's numbers left out (at a cut between shares,
        // or the last share), or one share's answer taken for all.
        for threads in 1..5 {
            assert!(all_on_threads(1000, threads, 10, |_| true));
            for false_at in [0, 249, 250, 251, 499, 500, 750, 999] {
                assert!(
                    !all_on_threads(1000, threads, 10, |n| n != false_at),
                    "{threads} threads, false at {false_at}"
                );
            }
        }
        assert!(all_on_threads(0, 2, 10, |_| false));
    }

    #[test]
    fn renumbering_maps_every_id_of_every_run() {
        let mut first = vec![0, 1, 2, 1];
        let mut second = vec![2, 0];
        let runs = [first.as_mut_slice(), second.as_mut_slice()];
        renumber_in_parallel(runs, &[5, 6, 7], 4).unwrap();
        assert_eq!((first, second), (vec![5, 6, 7, 6], vec![7, 5]));
    }

    #[test]
    fn the_first_error_is_returned() {
        let outcome = on_threads(vec![1, 2, 3], |n| {
            if n >= 2 {
                Err(ChainError::NoWords)
            } else {
                Ok(n)
            }
        });
        assert_eq!(outcome, Err(ChainError::NoWords));
    }

    #[test]
    fn a_panicking_worker_panics_the_caller_instead_of_cancelling() {
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            on_threads(vec![1, 2, 3], |n| {
                assert_ne!(n, 2, "a bug in a worker");
                Ok(n)
            })
        }));
        let panic = outcome.expect_err("the worker's panic reaches the caller");
        let message = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .unwrap_or_default();
        assert!(message.contains("a bug in a worker"), "{message:?}");
    }

    #[test]
    fn equal_shares_cover_every_id_once_in_shares_worth_a_thread() {
        // The bugs: the last ids left out by a rounded size, an empty
        // share, or shares shorter than asked for.
        for (count, threads, min_share, expected) in [
            (0, 4, 10, 1),
            (9, 4, 10, 1),
            (25, 4, 10, 2),
            (1_000, 3, 10, 3),
            (u32::MAX, 7, 1, 7),
        ] {
            let shares = equal_shares(count, threads, min_share);
            assert_eq!(shares.len(), expected, "{count} ids, {threads} threads");
            assert_eq!(shares.first().map(|share| share.start), Some(0));
            assert_eq!(shares.last().map(|share| share.end), Some(count));
            for pair in shares.windows(2) {
                assert_eq!(pair[0].end, pair[1].start);
            }
            let lengths: Vec<u32> = shares.iter().map(|share| share.end - share.start).collect();
            let (shortest, longest) = (lengths.iter().min(), lengths.iter().max());
            assert!(longest.zip(shortest).is_some_and(|(l, s)| l - s <= 1));
            if expected > 1 {
                assert!(shortest.is_some_and(|&s| s as usize >= min_share));
            }
        }
    }

    #[test]
    fn state_ranges_cover_every_state_once_with_even_work() {
        let offsets = [0, 10, 10, 11, 30, 31, 40];
        for threads in 1..8 {
            let ranges = state_ranges(&offsets, threads);
            assert!(ranges.len() <= threads);
            assert_eq!(ranges.first().map(|r| r.start), Some(0));
            assert_eq!(ranges.last().map(|r| r.end), Some(6));
            assert!(ranges.windows(2).all(|pair| pair[0].end == pair[1].start));
            assert!(ranges.iter().all(|range| !range.is_empty()));
        }
        assert_eq!(state_ranges(&offsets, 1), vec![Range { start: 0, end: 6 }]);
        // No followers at all, or none after the first states: still every
        // state, in at most `threads`. The bug: a range, and a thread, for
        // each state past the last follower.
        for offsets in [
            vec![0; 3],
            vec![0; 1000],
            [vec![0, 5], vec![5; 1000]].concat(),
        ] {
            for threads in 1..4 {
                let ranges = state_ranges(&offsets, threads);
                assert!(ranges.len() <= threads, "{} ranges", ranges.len());
                let covered: usize = ranges.iter().map(ExactSizeIterator::len).sum();
                assert_eq!(covered, offsets.len() - 1);
            }
        }
    }
}
