//! How a build runs: on how many threads, from what size of text, and with
//! what flag to stop it. Shared by both stages of a build (splitting the
//! text into a [`crate::Corpus`], linking it into a [`crate::Chain`]), so it
//! belongs to neither.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::ChainError;

/// Texts shorter than this are split on the calling thread by default: below
/// it, starting threads costs more than it saves.
pub(crate) const PARALLEL_MIN_BYTES: usize = 4 << 20;

/// A flag that another thread may raise to stop a long build.
#[derive(Clone, Copy, Debug, Default)]
pub struct Cancel<'flag>(Option<&'flag AtomicBool>);

impl<'flag> Cancel<'flag> {
    /// A build that can be stopped by setting `flag`.
    pub fn on(flag: &'flag AtomicBool) -> Self {
        Cancel(Some(flag))
    }

    /// A build that always runs to the end.
    pub fn never() -> Self {
        Cancel(None)
    }

    /// Fails with [`ChainError::Cancelled`] once the flag is raised.
    pub fn check(self) -> Result<(), ChainError> {
        match self.0 {
            Some(flag) if flag.load(Ordering::Relaxed) => Err(ChainError::Cancelled),
            _ => Ok(()),
        }
    }
}

/// How a chain is built: how many threads split and link the text, from
/// what size, and a flag that stops the build early.
#[derive(Clone, Copy, Debug)]
pub struct BuildOptions<'flag> {
    /// Threads used to split and link the text.
    pub threads: usize,
    /// Texts shorter than this many bytes are built on the calling thread
    /// alone. The default (4 MiB) suits real use; tests and fuzzing set it
    /// to 0 to put small texts through the parallel path.
    pub parallel_min_bytes: usize,
    /// Stops the build with [`ChainError::Cancelled`] when raised.
    pub cancel: Cancel<'flag>,
}

impl Default for BuildOptions<'_> {
    /// Every core the system offers, the 4 MiB threshold, no cancel flag.
    fn default() -> Self {
        BuildOptions {
            threads: std::thread::available_parallelism().map_or(1, usize::from),
            parallel_min_bytes: PARALLEL_MIN_BYTES,
            cancel: Cancel::never(),
        }
    }
}
