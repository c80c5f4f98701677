//! Running one piece of work per item, on a thread each.

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
}
