//! How a chain file cuts a copy index's text into windows, each with a
//! suffix array of its own, so that saving a long text sorts one window at
//! a time: a window's sort holds 8 bytes a token of the window, not of the
//! whole text.
//!
//! The windows overlap, so a run of up to `overlap` tokens lies wholly in
//! at least one of them: a guard that looks in each window finds every
//! copy of up to that many tokens, and so is exact for a `max_copy` below
//! it.

use std::ops::Range;

/// Where a text's windows start and how far they reach past the next
/// one's start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WindowLayout {
    /// How many tokens lie between one window's start and the next's: at
    /// least 1.
    pub(crate) stride: u32,
    /// How many tokens each window shares with the next.
    pub(crate) overlap: u32,
}

impl WindowLayout {
    /// The layout of the chain files this crate writes: windows of 33.6
    /// million tokens (268 MB to sort, about 230 MB of English text),
    /// sharing 4,096 tokens with the next, so that `max_copy` may be up to
    /// 4,095 for a chain of any length. Shorter windows hold less while
    /// saving, but a guarded prompt narrows its runs in each window: 16.8
    /// million tokens made a prompt to a 1 GB chain take 13 ms instead of
    /// 3 (docs/performance.md).
    pub(crate) const DEFAULT: WindowLayout = WindowLayout {
        stride: 1 << 25,
        overlap: 1 << 12,
    };

    /// How many windows a text of `length` tokens has: one when it is at
    /// most a window long (a stride and an overlap).
    pub(crate) fn count(self, length: usize) -> usize {
        let (stride, overlap) = (self.stride.max(1) as usize, self.overlap as usize);
        if length <= stride.saturating_add(overlap) {
            1
        } else {
            (length - overlap).div_ceil(stride)
        }
    }

    /// The windows of a text of `length` tokens, in order. The last ends
    /// at the text's end; each other holds a stride and an overlap.
    pub(crate) fn spans(self, length: usize) -> impl ExactSizeIterator<Item = Range<usize>> {
        let (stride, overlap) = (self.stride.max(1) as usize, self.overlap as usize);
        (0..self.count(length)).map(move |window| {
            let start = window * stride;
            start..length.min(start.saturating_add(stride).saturating_add(overlap))
        })
    }

    /// The largest `max_copy` a guard is exact for in a text of `length`
    /// tokens: any, when it is one window; else one below the overlap,
    /// since a copy one token longer than `max_copy` must lie in a window.
    pub(crate) fn max_copy_limit(self, length: usize) -> Option<usize> {
        (self.count(length) > 1).then(|| (self.overlap as usize).saturating_sub(1))
    }

    /// The layout a test build was asked for with the environment variable
    /// `LLM_MARKOV_RS_TEST_WINDOWS` (`STRIDE,OVERLAP`), so that the Python
    /// tests can save a short text in several windows; else the default.
    /// Only in this project's test builds (the `fault-injection` feature).
    pub(crate) fn for_saving() -> WindowLayout {
        #[cfg(feature = "fault-injection")]
        if let Some(layout) = std::env::var("LLM_MARKOV_RS_TEST_WINDOWS")
            .ok()
            .and_then(|value| {
                let (stride, overlap) = value.split_once(',')?;
                Some(WindowLayout {
                    stride: stride.trim().parse().ok().filter(|&stride| stride > 0)?,
                    overlap: overlap.trim().parse().ok()?,
                })
            })
        {
            return layout;
        }
        WindowLayout::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// The bug: windows that leave a gap or stop short, so that a copy
        /// lying across a window's end is found in no window, and a guard
        /// lets it through. Every run of up to `overlap` tokens must lie
        /// wholly in some window, and the windows must end with the text.
        #[test]
        fn every_run_of_up_to_the_overlap_lies_in_a_window(
            stride in 1u32..40,
            overlap in 0u32..20,
            length in 0usize..300,
        ) {
            let layout = WindowLayout { stride, overlap };
            let spans: Vec<Range<usize>> = layout.spans(length).collect();
            prop_assert_eq!(spans.len(), layout.count(length));
            prop_assert_eq!(spans.last().map(|span| span.end), Some(length));
            for run in 1..=overlap as usize {
                for start in 0..=length.saturating_sub(run) {
                    let end = start + run;
                    if end > length {
                        continue;
                    }
                    prop_assert!(
                        spans.iter().any(|span| span.start <= start && end <= span.end),
                        "{}..{} in {:?}", start, end, spans
                    );
                }
            }
            // No window more than a stride and an overlap, or empty when
            // the text is not.
            for span in &spans {
                prop_assert!(span.len() <= (stride + overlap) as usize);
                prop_assert!(length == 0 || !span.is_empty());
            }
        }
    }
}
