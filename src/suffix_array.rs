//! The suffix array of a sequence of token ids, sorted by libsais (Ilya
//! Grebnov's induced sorting, through the `libsais` crate), which measured
//! about twice as fast as the SA-IS this project wrote before it, and
//! three times as fast on texts of fewer than 65,535 distinct tokens,
//! which it sorts as 16-bit ids (docs/performance.md has the figures).
//!
//! Induced sorting is linear however repetitive the text is: a book repeated
//! a hundred times has suffixes that agree for a million tokens, which
//! would slow down sorting by comparison or by doubling.
//!
//! libsais cannot be stopped halfway. So a long sort runs on a thread of
//! its own, which owns the text while it sorts, and the calling thread
//! waits for it while it looks at the cancel flag: a cancelled build
//! returns at once, and the sort finishes in the background and drops what
//! it made.

use std::thread;
use std::time::Duration;

use crate::build_options::Watch;
use crate::error::ChainError;

/// Texts of up to this many tokens are sorted on the calling thread: a
/// millisecond or two, less than it would wait to be cancelled.
const SORTED_IN_PLACE_MAX: usize = 1 << 16;

/// How long the calling thread waits for the sort between two looks at
/// the cancel flag.
const CANCEL_POLL: Duration = Duration::from_millis(20);

/// The suffix array of `text`: the start of every suffix, in the suffixes'
/// lexicographic order, a suffix that is a prefix of another coming first.
/// Returns the text with it, unchanged.
///
/// Every id must be below `alphabet`, itself at most 2^31 - 1, as the
/// size of any vocabulary is (it holds at most 4 GiB of words, and there
/// are not 2^31 distinct words that short); the sort takes 4 bytes for
/// every id below the largest. `watch` can cancel the wait.
pub(crate) fn suffix_array(
    text: Vec<u32>,
    alphabet: u32,
    watch: Watch,
) -> Result<(Vec<u32>, Vec<u32>), ChainError> {
    watch.check()?;
    if text.len() <= SORTED_IN_PLACE_MAX {
        return Ok(sorted(text, alphabet));
    }
    let waiting = thread::current();
    let sort = move || {
        let result = sorted(text, alphabet);
        waiting.unpark();
        result
    };
    // As `thread::spawn`, which the rest of the build uses too, a system
    // that refuses a thread panics.
    let handle = thread::Builder::new()
        .name("llm-markov-rs sort".into())
        .spawn(sort)
        .expect("a thread to sort on");
    loop {
        if handle.is_finished() {
            // A panic in the sort is a bug: it goes on unwinding here.
            return Ok(handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
        }
        // Dropping the handle detaches the sort: it ends on its own.
        watch.check()?;
        thread::park_timeout(CANCEL_POLL);
    }
}

/// `text`, whose ids are below `alphabet`, with its suffix array.
fn sorted(mut text: Vec<u32>, alphabet: u32) -> (Vec<u32>, Vec<u32>) {
    let fits_i32 = i32::try_from(text.len()).is_ok();
    // libsais16 takes every id but the largest 16-bit one.
    let suffixes = if alphabet < u32::from(u16::MAX) && fits_i32 {
        sorted_short(&text)
    } else if fits_i32 {
        sorted_narrow(&mut text)
    } else {
        sorted_wide(&text)
    };
    (text, suffixes)
}

/// The suffix array of a text of fewer than 2^31 tokens, sorted as `i32`s
/// in place (libsais restores the text when it is done).
fn sorted_narrow(text: &mut [u32]) -> Vec<u32> {
    let ids: &mut [i32] = bytemuck::cast_slice_mut(text);
    let suffixes = libsais::SuffixArrayConstruction::for_text_mut(ids)
        .in_owned_buffer32()
        .single_threaded()
        .run()
        .unwrap_or_else(|error| refused(error));
    bytemuck::cast_vec(suffixes.into_vec())
}

/// The suffix array of a text of fewer than 2^31 tokens whose ids are
/// below 65,535, sorted as 16-bit ids: a copy of the text at 2 bytes a
/// token, which libsais sorts much faster than 32-bit ids.
fn sorted_short(text: &[u32]) -> Vec<u32> {
    // Every id is below 65,535 (the caller checked the alphabet).
    let ids: Vec<u16> = text.iter().map(|&id| id as u16).collect();
    let suffixes = libsais::SuffixArrayConstruction::for_text(&ids)
        .in_owned_buffer32()
        .single_threaded()
        .run()
        .unwrap_or_else(|error| refused(error));
    bytemuck::cast_vec(suffixes.into_vec())
}

/// The suffix array of a text of 2^31 tokens or more, through libsais's
/// 64-bit version: a copy of the text as `i64`s, and 8 bytes a slot while
/// it sorts.
fn sorted_wide(text: &[u32]) -> Vec<u32> {
    let mut ids: Vec<i64> = text.iter().map(|&id| i64::from(id)).collect();
    let suffixes = libsais::SuffixArrayConstruction::for_text_mut(&mut ids)
        .in_owned_buffer64()
        .single_threaded()
        .run()
        .unwrap_or_else(|error| refused(error));
    (suffixes.into_vec().into_iter())
        // Every start is below the text's length, itself below 2^32.
        .map(|start| start as u32)
        .collect()
}

/// libsais refuses only input this module never gives it (a negative id,
/// an id at the type's largest value, a length over its limit): a bug.
fn refused(error: impl std::fmt::Debug) -> ! {
    panic!("libsais refused a valid text: {error:?}")
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use proptest::prelude::*;

    use super::*;

    fn naive(text: &[u32]) -> Vec<u32> {
        let mut order: Vec<u32> = (0..text.len() as u32).collect();
        order.sort_by(|&a, &b| text[a as usize..].cmp(&text[b as usize..]));
        order
    }

    /// The suffix array through `suffix_array`, and through each way of
    /// sorting the text can take: 16-bit ids when they fit, 32-bit ids,
    /// and the 64-bit version.
    fn all_ways(text: &[u32]) -> Vec<Vec<u32>> {
        let alphabet = text.iter().max().map_or(1, |&max| max + 1);
        let (kept, chosen) = suffix_array(text.to_vec(), alphabet, Watch::none()).unwrap();
        assert_eq!(kept, text, "the text comes back unchanged");
        let mut ways = vec![chosen, sorted_narrow(&mut text.to_vec()), sorted_wide(text)];
        if alphabet < u32::from(u16::MAX) {
            ways.push(sorted_short(text));
        }
        ways
    }

    #[test]
    fn small_and_repetitive_texts() {
        for text in [
            vec![],
            vec![0],
            vec![1, 0],
            vec![2, 1, 0, 1, 0, 1, 0],
            vec![0; 40],
            [3, 1, 2].repeat(30),
            [1, 2, 3, 1, 2].repeat(25),
            // Ids far apart, as a large vocabulary's are. (libsais takes
            // memory for every id below the largest.)
            vec![1 << 20, 7, 1 << 22, 7, 0],
            // The largest id that is sorted as 16 bits, and the first one
            // that is not.
            vec![65_534, 3, 65_534, 0, 3],
            vec![65_535, 3, 65_535, 0, 3],
        ] {
            for (way, suffixes) in all_ways(&text).into_iter().enumerate() {
                assert_eq!(suffixes, naive(&text), "way {way}: {text:?}");
            }
        }
    }

    #[test]
    fn a_long_text_sorts_on_its_own_thread() {
        // Longer than what is sorted in place; a suffix array is a
        // permutation in which each suffix is above the one before.
        let text: Vec<u32> = (0..SORTED_IN_PLACE_MAX as u32 * 3)
            .map(|n| n.wrapping_mul(2_654_435_761) % 1000)
            .collect();
        let (kept, suffixes) = suffix_array(text.clone(), 1000, Watch::none()).unwrap();
        assert_eq!(kept, text);
        let mut seen = vec![false; text.len()];
        for &start in &suffixes {
            assert!(!std::mem::replace(&mut seen[start as usize], true));
        }
        for pair in suffixes.windows(2) {
            assert!(text[pair[0] as usize..] < text[pair[1] as usize..]);
        }
    }

    #[test]
    fn a_flag_raised_during_the_sort_returns_before_it_ends() {
        // Two million tokens of a large alphabet (32-bit ids): a sort of
        // about a second in a test build. The flag goes up 30 ms in.
        // Waiting for the sort to end would return the suffix array
        // instead of the cancel.
        let text: Vec<u32> = (0..2_000_000u32)
            .map(|n| n.wrapping_mul(2_654_435_761) >> 12)
            .collect();
        let flag = AtomicBool::new(false);
        let outcome = thread::scope(|scope| {
            scope.spawn(|| {
                thread::sleep(Duration::from_millis(30));
                flag.store(true, Ordering::Relaxed);
            });
            suffix_array(text, 1 << 20, Watch::cancelled_by(&flag))
        });
        assert_eq!(outcome.err(), Some(ChainError::Cancelled));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        #[test]
        fn agrees_with_sorting(text in prop::collection::vec(0u32..4, 0..300)) {
            for suffixes in all_ways(&text) {
                prop_assert_eq!(&suffixes, &naive(&text));
            }
        }

        #[test]
        fn agrees_on_repeats(piece in prop::collection::vec(0u32..6, 1..20), copies in 1usize..20) {
            let text = piece.repeat(copies);
            for suffixes in all_ways(&text) {
                prop_assert_eq!(&suffixes, &naive(&text));
            }
        }
    }
}
