//! `Chain`: building, loading and saving chains from Python.

use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};

use super::errors::user_error;
use super::steps::{run_unwatched, run_watched, Progress};
use super::text::{is_python_text, metadata_text, starts_a_character, text_from_utf8, Utf8Text};
use super::walk::PyWalk;
use crate::steer::PlanCache;
use crate::{
    build_from_corpus, build_piece, chain_file, check_order, linking_work, merge, merging_work,
    prompt_tokens, BuildOptions, Chain, ChainError, Corpus, MergeSource, Piece, Tokens, Walk,
};

/// Texts shorter than this are built on the calling thread: they take a few
/// milliseconds, too short for Ctrl-C or a progress bar to matter.
const WATCHED_BUILD_MIN_BYTES: usize = 1 << 20;

/// How a chain is built from Python: the arguments of a build but its
/// text.
struct Build<'py> {
    order: usize,
    tokens: Tokens,
    copy_index: bool,
    threads: Option<usize>,
    progress: Option<Bound<'py, PyAny>>,
}

impl<'py> Build<'py> {
    fn new(
        order: usize,
        tokens: &str,
        copy_index: bool,
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

/// Builds the chain in two steps, so that the temporary UTF-8 copy of a
/// non-ASCII text is freed as soon as the words are split, before the
/// transition table takes its memory.
fn build_chain(
    py: Python<'_>,
    text: Utf8Text<'_, '_>,
    piece: Piece<'_>,
    build: Build<'_>,
) -> Result<Chain, BuildFailure> {
    let Build {
        order,
        tokens,
        copy_index,
        threads,
        progress,
    } = build;
    check_order(order)?;
    let bytes = text.as_bytes();
    let defaults = BuildOptions::default();
    let options = BuildOptions {
        tokens,
        copy_index,
        threads: threads.unwrap_or(defaults.threads),
        ..defaults
    };
    // Tells the tests how many threads a build was given.
    #[cfg(feature = "fault-injection")]
    crate::build_options::test_mark(&format!("a build's threads: {}", options.threads));
    if bytes.len() < WATCHED_BUILD_MIN_BYTES {
        return run_unwatched_build(py, || build_piece(bytes, order, options, piece));
    }
    let splitting = progress.as_ref().map(|callback| Progress {
        callback: callback.clone(),
        stage: "splitting",
        total: bytes.len() as u64,
    });
    let corpus = run_watched_build(py, splitting.as_ref(), |watch| {
        Corpus::from_piece(bytes, piece, BuildOptions { watch, ..options })
    })?;
    drop(text);
    let linking = progress.map(|callback| Progress {
        callback,
        stage: "linking",
        total: linking_work(&corpus, order),
    });
    run_watched_build(py, linking.as_ref(), |watch| {
        build_from_corpus(corpus, order, BuildOptions { watch, ..options })
    })
}

/// Why a build made no chain: the core's error, which a caller may look
/// at, or Python's (Ctrl-C, a progress callback that raised, a bug).
enum BuildFailure {
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
fn run_unwatched_build<T: Send>(
    py: Python<'_>,
    step: impl FnOnce() -> Result<T, ChainError> + Send,
) -> Result<T, BuildFailure> {
    let outcome = run_unwatched(py, || Ok::<_, ChainError>(step()));
    outcome
        .map_err(BuildFailure::Python)?
        .map_err(BuildFailure::Core)
}

/// [`run_watched`], keeping the core's error as it is.
fn run_watched_build<T: Send>(
    py: Python<'_>,
    progress: Option<&Progress<'_>>,
    step: impl FnOnce(crate::Watch<'_>) -> Result<T, ChainError> + Send,
) -> Result<T, BuildFailure> {
    // A cancel stays an error of the step, so that Ctrl-C goes on as a
    // KeyboardInterrupt.
    let outcome = run_watched(py, progress, |watch| match step(watch) {
        Err(ChainError::Cancelled) => Err(ChainError::Cancelled),
        other => Ok(other),
    });
    outcome
        .map_err(BuildFailure::Python)?
        .map_err(BuildFailure::Core)
}

/// A word-level Markov chain. Immutable, so one chain can serve any number
/// of walks and threads at once.
#[pyclass(frozen, module = "llm_markov_rs._markov", name = "Chain")]
pub(crate) struct PyChain {
    /// Shared with the walks through it, which may outlive this object.
    chain: Arc<Chain>,
    /// The steering's plans made for walks through this chain.
    plans: Arc<PlanCache>,
}

impl From<Chain> for PyChain {
    fn from(chain: Chain) -> Self {
        PyChain {
            chain: Arc::new(chain),
            plans: Arc::default(),
        }
    }
}

impl PyChain {
    /// `chain`, read from a file or bytes, unless a word is not text: the
    /// core takes any bytes for words, but from Python words are text.
    fn of_text(chain: Chain) -> PyResult<Self> {
        let vocabulary = chain.vocabulary();
        let words_are_text = is_python_text(vocabulary.bytes())
            && (0..vocabulary.len() as u32).all(|id| starts_a_character(vocabulary.word(id)[0]));
        if !words_are_text {
            return Err(user_error(
                "it holds words that are not text; train it again",
            ));
        }
        Ok(PyChain::from(chain))
    }
}

#[pymethods]
impl PyChain {
    #[new]
    #[pyo3(signature = (
        text, order = 1, progress = None, tokens = "words", copy_index = false, threads = None
    ))]
    #[allow(clippy::too_many_arguments, reason = "Python's keyword arguments")]
    fn new(
        py: Python<'_>,
        text: &Bound<'_, PyString>,
        order: usize,
        progress: Option<Bound<'_, PyAny>>,
        tokens: &str,
        copy_index: bool,
        threads: Option<usize>,
    ) -> PyResult<Self> {
        let build = Build::new(order, tokens, copy_index, threads, progress)?;
        let text = Utf8Text::new(text)?;
        let chain = build_chain(py, text, Piece::WHOLE, build)?;
        Ok(PyChain::from(chain))
    }

    #[staticmethod]
    #[pyo3(signature = (
        text, order = 1, carried = Vec::new(), ends_document = true, progress = None,
        tokens = "words", copy_index = false, threads = None, length = None
    ))]
    #[allow(clippy::too_many_arguments, reason = "Python's keyword arguments")]
    fn build_piece(
        py: Python<'_>,
        text: &Bound<'_, PyAny>,
        order: usize,
        carried: Vec<Bound<'_, PyString>>,
        ends_document: bool,
        progress: Option<Bound<'_, PyAny>>,
        tokens: &str,
        copy_index: bool,
        threads: Option<usize>,
        length: Option<usize>,
    ) -> PyResult<Option<Self>> {
        let build = Build::new(order, tokens, copy_index, threads, progress)?;
        let carried: Vec<Utf8Text<'_, '_>> = (carried.iter())
            .map(Utf8Text::new)
            .collect::<PyResult<_>>()?;
        let carried: Vec<&[u8]> = carried.iter().map(Utf8Text::as_bytes).collect();
        let piece = Piece {
            carried: &carried,
            ends_document,
        };
        let text = Utf8Text::from_str_or_bytes(text, length)?;
        match build_chain(py, text, piece, build) {
            Ok(chain) => Ok(Some(PyChain::from(chain))),
            // A document shorter than one state makes no chain.
            Err(BuildFailure::Core(ChainError::NoWords | ChainError::TooFewWords { .. })) => {
                Ok(None)
            }
            Err(failure) => Err(failure.into()),
        }
    }

    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<(Self, Bound<'_, PyString>)> {
        let (chain, metadata) = run_unwatched(py, || chain_file::load(&path))?;
        Ok((PyChain::of_text(chain)?, metadata_text(py, &metadata)?))
    }

    #[staticmethod]
    #[pyo3(signature = (sources, progress = None))]
    fn merge(
        py: Python<'_>,
        sources: Vec<(Bound<'_, PyChain>, u32)>,
        progress: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut chains = Vec::with_capacity(sources.len());
        for (chain, weight) in &sources {
            let weight = NonZeroU32::new(*weight)
                .ok_or_else(|| user_error("a weight must be a whole number of at least 1"))?;
            chains.push((Arc::clone(&chain.get().chain), weight));
        }
        let sources: Vec<MergeSource<'_>> = (chains.iter())
            .map(|(chain, weight)| MergeSource {
                chain,
                weight: *weight,
            })
            .collect();
        let merging = progress.map(|callback| Progress {
            callback,
            stage: "merging",
            total: merging_work(&sources),
        });
        let chain = run_watched(py, merging.as_ref(), |watch| merge(&sources, watch))?;
        Ok(PyChain::from(chain))
    }

    /// The chain as the bytes of a chain file, without metadata: what
    /// pickling sends to another process.
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let mut bytes = Vec::new();
        run_watched(py, None, |watch| {
            chain_file::encode(&self.chain, b"", &mut bytes, watch)
        })?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// The chain that `to_bytes` gave, checked as a file is.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: &[u8]) -> PyResult<Self> {
        let (chain, _) = run_unwatched(py, || chain_file::decode(data))?;
        PyChain::of_text(chain)
    }

    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyBytes>,))> {
        let from_bytes = slf.get_type().getattr("from_bytes")?;
        Ok((from_bytes, (slf.get().to_bytes(slf.py())?,)))
    }

    fn save(&self, py: Python<'_>, path: PathBuf, metadata: &Bound<'_, PyString>) -> PyResult<()> {
        let metadata = Utf8Text::new(metadata)?;
        let metadata = metadata.as_bytes();
        run_watched(py, None, |watch| {
            chain_file::save(&self.chain, &path, metadata, watch)
        })
    }

    #[getter]
    fn has_copy_index(&self) -> bool {
        self.chain.copy_index().is_some()
    }

    #[getter]
    fn tokens(&self) -> &'static str {
        self.chain.tokens().name()
    }

    #[getter]
    fn order(&self) -> usize {
        self.chain.order()
    }

    #[getter]
    fn word_count(&self) -> usize {
        self.chain.word_count()
    }

    #[getter]
    fn vocabulary_size(&self) -> usize {
        self.chain.vocabulary().len()
    }

    #[getter]
    fn state_count(&self) -> u32 {
        self.chain.state_count()
    }

    #[getter]
    fn transition_count(&self) -> usize {
        self.chain.transition_count()
    }

    #[getter]
    fn distinct_transition_count(&self) -> usize {
        self.chain.distinct_transition_count()
    }

    fn transitions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let chain = &self.chain;
        let word = |id| text_from_utf8(py, chain.vocabulary().word(id));
        let table = PyDict::new(py);
        let mut key = Vec::new();
        for state in 0..chain.state_count() {
            if chain.followers(state).len() == 0 {
                continue;
            }
            key.clear();
            for id in chain.state_words(state) {
                // Words are joined by spaces; other tokens carry their
                // breaks, shown as they are.
                if !key.is_empty() && chain.tokens() == Tokens::Words {
                    key.push(b' ');
                }
                key.extend_from_slice(chain.vocabulary().word(id));
            }
            let followers = PyDict::new(py);
            for (next, count) in chain.followers(state) {
                followers.set_item(word(chain.last_word(next))?, count)?;
            }
            table.set_item(text_from_utf8(py, &key)?, followers)?;
        }
        Ok(table)
    }

    #[pyo3(signature = (
        length, seed, prompt = None, sentences = None, max_copy = None, *, temperature = 1.0,
        max_chars = None, balanced = false, max_copy_ratio = None, contains = None, end = None
    ))]
    #[allow(clippy::too_many_arguments, reason = "Python's keyword arguments")]
    fn walk(
        &self,
        py: Python<'_>,
        length: u64,
        seed: u64,
        prompt: Option<&Bound<'_, PyString>>,
        sentences: Option<u64>,
        max_copy: Option<usize>,
        temperature: f64,
        max_chars: Option<u64>,
        balanced: bool,
        max_copy_ratio: Option<f64>,
        contains: Option<&Bound<'_, PyString>>,
        end: Option<&Bound<'_, PyString>>,
    ) -> PyResult<PyWalk> {
        if sentences == Some(0) {
            return Err(user_error("sentences must be at least 1"));
        }
        if sentences.is_some() && !self.chain.has_sentence_ends() {
            return Err(user_error(
                "the text has no sentence end (no word ends with '.', '!', '?' or the \
                 like), so it cannot be written in sentences; leave out sentences and \
                 give length instead",
            ));
        }
        let prompt = prompt.map(Utf8Text::new).transpose()?;
        let (tokens, last_is_open) = prompt
            .as_ref()
            .map(|prompt| prompt_tokens(self.chain.tokens(), prompt.as_bytes()))
            .unwrap_or_default();
        let chain = Arc::clone(&self.chain);
        let mut walk = Walk::continuing(chain, seed, &tokens, last_is_open)
            .at_most(length)
            .plan_cache(Arc::clone(&self.plans));
        if let Some(count) = sentences {
            walk = walk.sentences(count);
        }
        if let Some(max_copy) = max_copy {
            walk = walk.max_copy(max_copy).map_err(user_error)?;
        }
        walk = walk.temperature(temperature).map_err(user_error)?;
        if let Some(ratio) = max_copy_ratio {
            walk = walk.max_copy_ratio(ratio).map_err(user_error)?;
        }
        if let Some(max_chars) = max_chars {
            walk = walk.max_chars(max_chars);
        }
        walk = walk.balanced(balanced);
        if let Some(phrase) = contains {
            walk = walk
                .contains(Utf8Text::new(phrase)?.as_bytes())
                .map_err(user_error)?;
        }
        if let Some(phrase) = end {
            walk = walk
                .ends_with(Utf8Text::new(phrase)?.as_bytes())
                .map_err(user_error)?;
        }
        // The steering's backward pass reads the whole chain: without the
        // GIL, and its failure is the caller's error now rather than an
        // empty output later.
        let walk = run_unwatched(py, move || {
            let mut walk = walk;
            walk.prepare().map(|()| walk)
        })?;
        Ok(PyWalk::new(walk, &tokens))
    }

    fn __repr__(&self) -> String {
        format!(
            "Chain(order={}, word_count={}, vocabulary_size={}, transition_count={})",
            self.chain.order(),
            self.chain.word_count(),
            self.chain.vocabulary().len(),
            self.chain.transition_count()
        )
    }
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
