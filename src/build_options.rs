//! How a build runs: on how many threads, from what size of text, with what
//! flag to stop it and what counter to report its progress to. Shared by
//! both stages of a build (splitting the text into a [`crate::Corpus`],
//! linking it into a [`crate::Chain`]), so it belongs to neither.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::error::ChainError;
use crate::tokens::Tokens;

/// Texts shorter than this are split on the calling thread by default: below
/// it, starting threads costs more than it saves.
pub(crate) const PARALLEL_MIN_BYTES: usize = 4 << 20;

/// Only in this project's test builds (the `fault-injection` feature), and
/// only when the tests ask for it with the environment variable
/// `LLM_MARKOV_RS_TEST_MARKS`: prints `what` to stderr, so that a test can
/// tell what the core did (a developer running the demo sees nothing).
#[cfg(feature = "fault-injection")]
pub(crate) fn test_mark(what: &str) {
    if std::env::var_os("LLM_MARKOV_RS_TEST_MARKS").is_some() {
        eprintln!("llm-markov-rs: {what}");
    }
}

/// What a long build and the thread waiting for it share: a flag that the
/// waiting thread may raise to stop the build, and a counter in which the
/// build reports how much work it has done, so that a progress bar can be
/// drawn. Either may be absent.
#[derive(Clone, Copy, Debug, Default)]
pub struct Watch<'a> {
    cancel: Option<&'a AtomicBool>,
    progress: Option<&'a AtomicU64>,
}

impl<'a> Watch<'a> {
    /// A build that always runs to the end and reports nothing.
    pub fn none() -> Self {
        Watch::default()
    }

    /// A build that can be stopped by setting `flag`.
    pub fn cancelled_by(flag: &'a AtomicBool) -> Self {
        Watch {
            cancel: Some(flag),
            ..Watch::default()
        }
    }

    /// The same watch, also counting the work done in `counter`: bytes of
    /// text while splitting it into words, then transitions while linking
    /// them (each pass over them counts them again), bytes of the file
    /// while saving a chain, and tokens of a copy index while checking it.
    pub fn reporting_to(self, counter: &'a AtomicU64) -> Self {
        Watch {
            progress: Some(counter),
            ..self
        }
    }

    /// Fails with [`ChainError::Cancelled`] once the flag is raised.
    pub fn check(self) -> Result<(), ChainError> {
        match self.cancel {
            Some(flag) if flag.load(Ordering::Relaxed) => {
                // Tells the Ctrl-C tests that the core itself saw the
                // cancel, not Python before it.
                #[cfg(feature = "fault-injection")]
                test_mark("the core saw the cancel");
                Err(ChainError::Cancelled)
            }
            _ => Ok(()),
        }
    }

    /// Counts `work` more units done, then checks the flag.
    pub(crate) fn advance(self, work: usize) -> Result<(), ChainError> {
        if let Some(counter) = self.progress {
            counter.fetch_add(work as u64, Ordering::Relaxed);
        }
        self.check()
    }
}

/// When a build sorts the suffixes of its copy index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SuffixSort {
    /// All of them, during the build (beside linking, given two threads):
    /// what a chain needs that is saved, merged or walked at length.
    Whole,
    /// Grouped by their first token during the build, each group sorted
    /// further only where a guarded walk reads it: for a chain walked a
    /// few times and dropped, as a prompt's is, a small part of the sort.
    /// The rest is sorted, all at once, if the chain is saved or merged.
    OnDemand,
    /// None during the build: all of them at once when first needed, or
    /// when [`crate::Chain::sort_copy_index`] or [`crate::Chain::into_sorted`]
    /// asks. For the pieces of a training, grown into one chain
    /// ([`crate::merge_grown`]), whose texts are joined and sorted once,
    /// before it is saved, instead of once a piece and again at every
    /// merge.
    Later,
}

/// How a chain is built: what its tokens are, how many threads split and
/// link the text, from what size, and a flag that stops the build early.
#[derive(Clone, Copy, Debug)]
pub struct BuildOptions<'flag> {
    /// How the text is cut into tokens; the chain records it.
    pub tokens: Tokens,
    /// Whether the chain keeps its text and suffix array, so that a walk
    /// can bound how much of the text it copies (8 bytes a token more in
    /// memory, about 5 in a chain file, and
    /// 4.25 more once a guarded walk of over 65,536 tokens needs them), and
    /// when the suffixes are sorted; `None` for no index.
    pub copy_index: Option<SuffixSort>,
    /// Threads used to split and link the text.
    pub threads: usize,
    /// Texts shorter than this many bytes are built on the calling thread
    /// alone. The default (4 MiB) suits real use; tests and fuzzing set it
    /// to 0 to put small texts through the parallel path.
    pub parallel_min_bytes: usize,
    /// Stops the build when its flag is raised, and counts its progress.
    pub watch: Watch<'flag>,
}

impl Default for BuildOptions<'_> {
    /// `words` tokens, every core the system offers, the 4 MiB threshold,
    /// no watch.
    fn default() -> Self {
        BuildOptions {
            tokens: Tokens::Words,
            copy_index: None,
            threads: std::thread::available_parallelism().map_or(1, usize::from),
            parallel_min_bytes: PARALLEL_MIN_BYTES,
            watch: Watch::none(),
        }
    }
}
