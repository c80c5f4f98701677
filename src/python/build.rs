//! Building a chain from Python: a build's arguments, checked; the two
//! steps of a build with the GIL released, Ctrl-C and progress; and why a
//! build made no chain.

use pyo3::prelude::*;

use super::errors::user_error;
use super::steps::{run_unwatched, run_watched, AfterCtrlC, Progress};
use super::text::{StrInChunks, Utf8Text};
use crate::{
    build_from_corpus, build_piece, check_order, linking_work, BuildOptions, Chain, ChainError,
    Corpus, Piece, SuffixSort, TextInChunks, Tokens,
};

/// Texts shorter than this are built on the calling thread: they take a few
/// milliseconds, too short for Ctrl-C or a progress bar to matter.
pub(super) const WATCHED_BUILD_MIN_BYTES: usize = 1 << 20;

/// How a chain is built from Python: the arguments of a build but its
/// text.
pub(super) struct Build<'py> {
    order: usize,
    tokens: Tokens,
    copy_index: Option<SuffixSort>,
    threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
}

impl<'py> Build<'py> {
    pub(super) fn new(
        order: usize,
        tokens: &str,
        copy_index: Option<SuffixSort>,
        threads: Option<usize>,
        progress: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Self> {
        if threads == Some(0) {
            return Err(user_error("threads must be at least 1"));
        }
        Ok(Build {
            order,
            tokens: tokens_named(tokens)?,
            copy_index,
            threads,
            progress,
        })
    }
}

impl<'py> Build<'py> {
    /// The build's order, checked, its options, and where it reports
    /// progress: what both ways of building begin with.
    fn start(
        self,
    ) -> Result<(usize, BuildOptions<'static>, Option<Bound<'py, PyAny>>), BuildFailure> {
        check_order(self.order)?;
        let defaults = BuildOptions::default();
        let options = BuildOptions {
            tokens: self.tokens,
            copy_index: self.copy_index,
            threads: self.threads.unwrap_or(defaults.threads),
            ..defaults
        };
        // Tells the tests how many threads a build was given.
        #[cfg(feature = "fault-injection")]
        crate::build_options::test_mark(&format!("a build's threads: {}", options.threads));
        Ok((self.order, options, self.progress))
    }

    /// Whether the build cuts its text into words (the words mode).
    pub(super) fn reads_words(&self) -> bool {
        self.tokens == Tokens::Words
    }
}

/// Builds the chain in two steps, so that the temporary UTF-8 copy of a
/// non-ASCII text is freed as soon as the words are split, before the
/// transition table takes its memory.
pub(super) fn build_chain(
    py: Python<'_>,
    text: Utf8Text<'_, '_>,
    piece: Piece<'_>,
    build: Build<'_>,
) -> Result<Chain, BuildFailure> {
    let (order, options, progress) = build.start()?;
    let bytes = text.as_bytes();
    if bytes.len() < WATCHED_BUILD_MIN_BYTES {
        return run_unwatched_build(py, || build_piece(bytes, order, options, piece));
    }
    let splitting = (progress.as_ref())
        .map(|callback| Progress::new(callback.clone(), "splitting", bytes.len() as u64));
    let corpus = run_watched_build(py, splitting.as_ref(), |watch| {
        Corpus::from_piece(bytes, piece, BuildOptions { watch, ..options })
    })?;
    drop(text);
    link(py, corpus, order, options, progress)
}

/// Builds the chain of a whole document given as a string that is read in
/// chunks, in words mode: as [`build_chain`] does, with no UTF-8 copy of
/// the whole string. Splitting is reported in characters.
pub(super) fn build_chain_from_chunks(
    py: Python<'_>,
    text: StrInChunks,
    build: Build<'_>,
) -> Result<Chain, BuildFailure> {
    let (order, options, progress) = build.start()?;
    let splitting = (progress.as_ref())
        .map(|callback| Progress::new(callback.clone(), "splitting", text.char_count() as u64));
    let corpus = run_watched_build(py, splitting.as_ref(), |watch| {
        Corpus::from_chunks(&text, BuildOptions { watch, ..options })
    });
    if let Some(error) = text.take_error() {
        return Err(BuildFailure::Python(error));
    }
    link(py, corpus?, order, options, progress)
}

/// The second step of a build: links the words of `corpus` into a chain,
/// reporting to `progress`.
fn link(
    py: Python<'_>,
    corpus: Corpus,
    order: usize,
    options: BuildOptions,
    progress: Option<Bound<'_, PyAny>>,
) -> Result<Chain, BuildFailure> {
    let linking = progress.map(|callback| {
        Progress::new(callback, "linking", linking_work(&corpus, order))
            .then((options.copy_index == Some(SuffixSort::Whole)).then_some("indexing"))
    });
    run_watched_build(py, linking.as_ref(), |watch| {
        build_from_corpus(corpus, order, BuildOptions { watch, ..options })
    })
}

/// Why a build made no chain: the core's error, which a caller may look
/// at, or Python's (Ctrl-C, a progress callback that raised, a bug).
pub(super) enum BuildFailure {
    Core(ChainError),
    Python(PyErr),
}

impl From<ChainError> for BuildFailure {
    fn from(error: ChainError) -> Self {
        BuildFailure::Core(error)
    }
}

impl From<BuildFailure> for PyErr {
    fn from(failure: BuildFailure) -> Self {
        match failure {
            BuildFailure::Core(error) => user_error(error),
            BuildFailure::Python(error) => error,
        }
    }
}

/// [`run_unwatched`], keeping the core's error as it is.
pub(super) fn run_unwatched_build<T: Send>(
    py: Python<'_>,
    step: impl FnOnce() -> Result<T, ChainError> + Send,
) -> Result<T, BuildFailure> {
    let outcome = run_unwatched(py, || Ok::<_, ChainError>(step()));
    outcome
        .map_err(BuildFailure::Python)?
        .map_err(BuildFailure::Core)
}

/// [`run_watched`], keeping the core's error as it is.
pub(super) fn run_watched_build<T: Send>(
    py: Python<'_>,
    progress: Option<&Progress<'_>>,
    step: impl FnOnce(crate::Watch<'_>) -> Result<T, ChainError> + Send,
) -> Result<T, BuildFailure> {
    // A cancel stays an error of the step, so that Ctrl-C goes on as a
    // KeyboardInterrupt.
    let outcome = run_watched(py, progress, AfterCtrlC::Interrupt, |watch| {
        match step(watch) {
            Err(ChainError::Cancelled) => Err(ChainError::Cancelled),
            other => Ok(other),
        }
    });
    outcome
        .map_err(BuildFailure::Python)?
        .map_err(BuildFailure::Core)
}

/// The token mode called `name`, or an error that lists the modes.
pub(crate) fn tokens_named(name: &str) -> PyResult<Tokens> {
    Tokens::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Tokens::ALL.iter().map(|mode| mode.name()).collect();
        user_error(format!(
            "tokens must be one of {}, got {name:?}",
            names.join(", ")
        ))
    })
}
