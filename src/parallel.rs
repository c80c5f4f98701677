//! Running one piece of work per item, on a thread each.

use crate::error::ChainError;

/// Runs `work` on every item, each on a thread of its own when there are
/// several (a single item runs on the calling thread), and returns the
/// results in the items' order, or the first error.
pub(crate) fn on_threads<I: Send, T: Send>(
    items: Vec<I>,
    work: impl Fn(I) -> Result<T, ChainError> + Sync,
) -> Result<Vec<T>, ChainError> {
    if items.len() <= 1 {
        return items.into_iter().map(work).collect();
    }
    std::thread::scope(|scope| {
        let work = &work;
        let handles: Vec<_> = items
            .into_iter()
            .map(|item| scope.spawn(move || work(item)))
            .collect();
        handles
            .into_iter()
            // A panicking worker is a bug; end the build rather than unwind
            // through the scope.
            .map(|handle| handle.join().unwrap_or(Err(ChainError::Cancelled)))
            .collect()
    })
}
