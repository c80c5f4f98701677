//! `Chain`: building, loading and saving chains from Python.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use super::steps::{run_unwatched, run_watched, user_error, Progress};
use super::text::{is_python_text, metadata_text, starts_a_character, text_from_utf8, Utf8Text};
use super::walk::PyWalk;
use crate::{BuildOptions, Chain, Corpus, Words};

/// Texts shorter than this are built on the calling thread: they take a few
/// milliseconds, too short for Ctrl-C or a progress bar to matter.
const WATCHED_BUILD_MIN_BYTES: usize = 1 << 20;

/// Builds the chain in two steps, so that the temporary UTF-8 copy of a
/// non-ASCII text is freed as soon as the words are split, before the
/// transition table takes its memory.
fn build_chain(
    py: Python<'_>,
    text: Utf8Text<'_, '_>,
    order: usize,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<Chain> {
    Chain::check_order(order).map_err(user_error)?;
    let bytes = text.as_bytes();
    if bytes.len() < WATCHED_BUILD_MIN_BYTES {
        return run_unwatched(py, || Chain::build(bytes, order));
    }
    let splitting = progress.as_ref().map(|callback| Progress {
        callback: callback.clone(),
        stage: "splitting",
        total: bytes.len() as u64,
    });
    let corpus = run_watched(py, splitting.as_ref(), |watch| {
        Corpus::from_text(
            bytes,
            BuildOptions {
                watch,
                ..BuildOptions::default()
            },
        )
    })?;
    drop(text);
    let linking = progress.map(|callback| Progress {
        callback,
        stage: "linking",
        total: corpus.linking_work(order),
    });
    run_watched(py, linking.as_ref(), |watch| {
        Chain::from_corpus(
            corpus,
            order,
            BuildOptions {
                watch,
                ..BuildOptions::default()
            },
        )
    })
}

/// A word-level Markov chain. Immutable, so one chain can serve any number
/// of walks and threads at once.
#[pyclass(frozen, module = "llm_markov_rs._markov", name = "Chain")]
pub(crate) struct PyChain {
    pub(crate) chain: Chain,
}

#[pymethods]
impl PyChain {
    #[new]
    #[pyo3(signature = (text, order = 1, progress = None))]
    fn new(
        py: Python<'_>,
        text: &Bound<'_, PyString>,
        order: usize,
        progress: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let chain = build_chain(py, Utf8Text::new(text)?, order, progress)?;
        Ok(PyChain { chain })
    }

    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<(Self, Bound<'_, PyString>)> {
        let (chain, metadata) = run_unwatched(py, || Chain::load(&path))?;
        // The core takes any bytes for words; from Python, words are text.
        let vocabulary = chain.vocabulary();
        let words_are_text = is_python_text(vocabulary.bytes())
            && (0..vocabulary.len() as u32).all(|id| starts_a_character(vocabulary.word(id)[0]));
        if !words_are_text {
            return Err(user_error(
                "it holds words that are not text; train it again",
            ));
        }
        Ok((PyChain { chain }, metadata_text(py, &metadata)?))
    }

    fn save(&self, py: Python<'_>, path: PathBuf, metadata: &Bound<'_, PyString>) -> PyResult<()> {
        let metadata = Utf8Text::new(metadata)?;
        let metadata = metadata.as_bytes();
        run_watched(py, None, |watch| self.chain.save(&path, metadata, watch))
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
                if !key.is_empty() {
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

    #[pyo3(signature = (length, seed, prompt = None, sentences = None))]
    fn walk(
        slf: Py<Self>,
        length: u64,
        seed: u64,
        prompt: Option<&Bound<'_, PyString>>,
        sentences: Option<u64>,
    ) -> PyResult<PyWalk> {
        if sentences == Some(0) {
            return Err(user_error("sentences must be at least 1"));
        }
        let Some(prompt) = prompt else {
            return Ok(PyWalk::new(slf, length, seed, &[], sentences));
        };
        let prompt = Utf8Text::new(prompt)?;
        let words: Vec<&[u8]> = Words::new(prompt.as_bytes()).collect();
        Ok(PyWalk::new(slf, length, seed, &words, sentences))
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
