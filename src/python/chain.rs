//! `Chain`: building, loading and saving chains from Python.

use std::convert::Infallible;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};

use super::build::{
    build_chain, build_chain_from_chunks, Build, BuildFailure, WATCHED_BUILD_MIN_BYTES,
};
use super::errors::user_error;
use super::steps::{run_unwatched, run_watched, AfterCtrlC, Progress};
use super::text::{metadata_text, text_from_utf8, words_are_text, StrInChunks, Utf8Text};
use super::walk::{PyWalk, WalkRequest};
use crate::steer::PlanCache;
use crate::{
    chain_file, merge_sorting, merging_work, Chain, ChainError, MergeSource, Piece, SpillPolicy,
    SuffixSort, Tokens,
};

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
        PyChain::from(Arc::new(chain))
    }
}

impl From<Arc<Chain>> for PyChain {
    fn from(chain: Arc<Chain>) -> Self {
        PyChain {
            chain,
            plans: Arc::default(),
        }
    }
}

impl PyChain {
    /// The chain, shared.
    pub(super) fn chain(&self) -> &Arc<Chain> {
        &self.chain
    }

    /// `chain`, read from a file or bytes, unless a word is not text: the
    /// core takes any bytes for words, but from Python words are text.
    fn of_text(chain: Chain) -> PyResult<Self> {
        if !words_are_text(chain.vocabulary()) {
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
        // A chain built whole is a prompt's, walked and dropped: its
        // suffixes are sorted only where its walks read them.
        let sort = copy_index.then_some(SuffixSort::OnDemand);
        let build = Build::new(order, tokens, sort, threads, progress)?;
        // A long string that is not ASCII is read in chunks in words mode
        // (the default): its UTF-8 would be as large as the text.
        let chain =
            if build.reads_words() && StrInChunks::is_worth_it(text, WATCHED_BUILD_MIN_BYTES)? {
                build_chain_from_chunks(py, StrInChunks::new(text)?, build)?
            } else {
                build_chain(py, Utf8Text::new(text)?, Piece::WHOLE, build)?
            };
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
        // Pieces are trained to be merged and saved: the merged chain's
        // text is sorted once, before it is saved (`GrowingChain.finish`).
        let sort = copy_index.then_some(SuffixSort::Later);
        let build = Build::new(order, tokens, sort, threads, progress)?;
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

    /// Checks what loading leaves out of the copy index: that its suffix
    /// array is its text's, reporting the stage "checking".
    #[pyo3(signature = (progress = None))]
    fn check_copy_index(&self, py: Python<'_>, progress: Option<Bound<'_, PyAny>>) -> PyResult<()> {
        let total = chain_file::copy_index_check_work(&self.chain);
        let checking = (progress.filter(|_| total > 0))
            .map(|callback| Progress::new(callback, "checking", total));
        run_watched(py, checking.as_ref(), AfterCtrlC::Interrupt, |watch| {
            chain_file::check_copy_index(&self.chain, watch)
        })
    }

    /// Checks that the plan for sentences saved with the chain is the one
    /// its chain makes.
    fn check_sentences_plan(&self, py: Python<'_>) -> PyResult<()> {
        run_watched(py, None, AfterCtrlC::Interrupt, |_| {
            chain_file::check_sentence_distances(&self.chain)
        })
    }

    /// Sorts the copy index's suffix array if its sort was deferred (a
    /// piece's, a merged chain's), reporting the stage "indexing"; else
    /// does nothing. Saving sorts it too, but with no Ctrl-C.
    #[pyo3(signature = (progress = None))]
    fn sort_copy_index(&self, py: Python<'_>, progress: Option<Bound<'_, PyAny>>) -> PyResult<()> {
        if !self.chain.copy_index_waits_for_sort() {
            return Ok(());
        }
        let indexing = progress.map(|callback| Progress::new(callback, "indexing", 0));
        run_watched(py, indexing.as_ref(), AfterCtrlC::Interrupt, |watch| {
            self.chain.sort_copy_index(watch)
        })
    }

    #[staticmethod]
    #[pyo3(signature = (sources, progress = None, spill_folder = None))]
    fn merge(
        py: Python<'_>,
        sources: Vec<(Bound<'_, PyChain>, u32)>,
        progress: Option<Bound<'_, PyAny>>,
        spill_folder: Option<PathBuf>,
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
        // Guarded sources' texts are sorted again once merged.
        let sorts = (sources.iter()).all(|source| source.chain.copy_index().is_some());
        let merging = progress.map(|callback| {
            Progress::new(callback, "merging", merging_work(&sources))
                .then(sorts.then_some("indexing"))
        });
        let spill = SpillPolicy::for_training(spill_folder);
        let chain = run_watched(py, merging.as_ref(), AfterCtrlC::Interrupt, |watch| {
            merge_sorting(&sources, SuffixSort::Whole, &spill, watch)
        })?;
        Ok(PyChain::from(chain))
    }

    /// The chain as the bytes of a chain file, without metadata or the
    /// sentences' plan: what pickling sends to another process.
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let mut bytes = Vec::new();
        run_watched(py, None, AfterCtrlC::Interrupt, |watch| {
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

    #[pyo3(signature = (path, metadata, progress = None))]
    fn save(
        &self,
        py: Python<'_>,
        path: PathBuf,
        metadata: &Bound<'_, PyString>,
        progress: Option<Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let metadata = Utf8Text::new(metadata)?;
        let metadata = metadata.as_bytes();
        // A long text's copy index is sorted a window at a time as it is
        // saved: most of the save, so the bar says so.
        let stage = if self.chain.copy_index_sorts_when_saved() {
            "indexing and saving"
        } else {
            "saving"
        };
        // The size includes the plan for sentences the file keeps, found
        // first by a backward pass over the whole chain: up to a second
        // for the largest chains measured, so it has a stage of its own.
        let planning =
            (progress.as_ref()).map(|callback| Progress::new(callback.clone(), "planning", 0));
        let total = run_watched(py, planning.as_ref(), AfterCtrlC::Interrupt, |_| {
            Ok::<_, Infallible>(chain_file::saved_size(&self.chain, metadata.len()))
        })?;
        let saving = progress.map(|callback| Progress::new(callback, stage, total));
        run_watched(py, saving.as_ref(), AfterCtrlC::KeepFinished, |watch| {
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
    fn token_count(&self) -> usize {
        self.chain.token_count()
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
        let request = WalkRequest {
            length,
            seed,
            prompt,
            sentences,
            max_copy,
            temperature,
            max_chars,
            balanced,
            max_copy_ratio,
            contains,
            end,
        };
        request.start(py, Arc::clone(&self.chain), Arc::clone(&self.plans))
    }

    fn __repr__(&self) -> String {
        format!(
            "Chain(order={}, token_count={}, vocabulary_size={}, transition_count={})",
            self.chain.order(),
            self.chain.token_count(),
            self.chain.vocabulary().len(),
            self.chain.transition_count()
        )
    }
}
