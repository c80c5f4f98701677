//! Binary search over a long array that runs mostly in a copy of every
//! sixteenth value: small enough to stay in cache, so that a search over a
//! wide stretch ends in one cache line of the array instead of taking a
//! cache miss at each of its first steps. The walk's weighted draw and the
//! copy guard's narrowing both search such stretches many times a word.

use std::ops::Range;

/// How far apart the sampled values are: one cache line of `u32`s.
const SAMPLE_EVERY: usize = 16;

/// Every [`SAMPLE_EVERY`]th of `values`, from the first.
pub(crate) fn samples_of(values: &[u32]) -> Vec<u32> {
    values.iter().step_by(SAMPLE_EVERY).copied().collect()
}

/// The first index of `range` whose value `is_past`, or `range.end`, when
/// `is_past` is false and then true over `range` (as `partition_point`,
/// with the predicate negated). `samples` are [`samples_of`] `values`.
pub(crate) fn first_past(
    values: &[u32],
    samples: &[u32],
    range: Range<usize>,
    is_past: impl Fn(u32) -> bool,
) -> usize {
    // The samples of the slots in `range`, when there are any.
    let (first, end) = (
        range.start.div_ceil(SAMPLE_EVERY),
        range.end.div_ceil(SAMPLE_EVERY),
    );
    let window = match samples.get(first..end) {
        Some(sampled) if !sampled.is_empty() => {
            let sample = first + sampled.partition_point(|&value| !is_past(value));
            // After the last sample not past, up to the first past.
            let start = if sample == first {
                range.start
            } else {
                (sample - 1) * SAMPLE_EVERY + 1
            };
            let end = if sample == end {
                range.end
            } else {
                sample * SAMPLE_EVERY
            };
            start..end
        }
        _ => range,
    };
    window.start + values[window].partition_point(|&value| !is_past(value))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// A window one slot too wide or too narrow at either end, or the
        /// wrong sample for a range's first or last slot, gives another
        /// index than the plain search somewhere.
        #[test]
        fn agrees_with_a_plain_search(
            mut values in prop::collection::vec(0u32..50, 0..400),
            start in 0usize..400,
            length in 0usize..400,
            bound in 0u32..52,
        ) {
            values.sort_unstable();
            let start = start.min(values.len());
            let range = start..(start + length).min(values.len());
            let samples = samples_of(&values);
            let plain = range.start
                + values[range.clone()].partition_point(|&value| value <= bound);
            prop_assert_eq!(first_past(&values, &samples, range, |value| value > bound), plain);
        }
    }
}
