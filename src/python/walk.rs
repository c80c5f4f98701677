//! `Walk`: the words of one walk through a chain, produced lazily.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};

use super::text::text_from_utf8;
use crate::{Chain, Walk};

/// The most words one `Walk.next_text` call returns: a bound on the memory
/// one call can ask for, far above the plugin's largest chunk.
const MAX_WORDS_PER_TEXT: u64 = 1 << 20;

/// The words of one walk through a chain, produced lazily.
///
/// Frozen, with the core's walk behind a lock, so that threads sharing a
/// walk each take whole words in turn, with or without the GIL. The lock is
/// never held while Python runs (only while Rust writes words into a
/// buffer), so a thread waiting for it cannot block one that needs the
/// interpreter.
#[pyclass(frozen, module = "llm_markov_rs._markov", name = "Walk")]
pub(crate) struct PyWalk {
    walk: Mutex<Walk<Arc<Chain>>>,
    /// The prompt's tokens that the walk set out to continue, none for a
    /// random start. (It may give that up before its first word: see
    /// [`Walk::continued_words`].)
    continued_from: Vec<Vec<u8>>,
    /// How many tokens the prompt has.
    prompt_token_count: usize,
}

impl PyWalk {
    /// `walk`, which continues the last of `prompt`'s tokens as it says.
    pub(crate) fn new(walk: Walk<Arc<Chain>>, prompt: &[Vec<u8>]) -> Self {
        let continued = walk.continued_words();
        let continued_from = prompt[prompt.len() - continued..]
            .iter()
            .map(|word| word.to_vec())
            .collect();
        PyWalk {
            walk: Mutex::new(walk),
            continued_from,
            prompt_token_count: prompt.len(),
        }
    }

    /// The walk. Nothing can panic while the lock is held, so a poisoned
    /// lock still holds a consistent walk.
    fn lock(&self) -> MutexGuard<'_, Walk<Arc<Chain>>> {
        self.walk.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[pymethods]
impl PyWalk {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyString>>> {
        // Written out, so that the lock is released before Python runs.
        let mut text = Vec::new();
        if self.lock().write_words(1, &mut text) == 0 {
            return Ok(None);
        }
        text_from_utf8(py, &text).map(Some)
    }

    fn next_text<'py>(&self, py: Python<'py>, max_words: u64) -> PyResult<Bound<'py, PyString>> {
        if max_words > MAX_WORDS_PER_TEXT {
            return Err(PyValueError::new_err(format!(
                "max_words must be at most {MAX_WORDS_PER_TEXT}; ask for long walks in chunks"
            )));
        }
        let mut text = Vec::new();
        self.lock().write_words(max_words, &mut text);
        text_from_utf8(py, &text)
    }

    #[getter]
    fn remaining(&self) -> u64 {
        // Every walk made from Python has a cap.
        self.lock().remaining().unwrap_or(u64::MAX)
    }

    #[getter]
    fn words_written(&self) -> u64 {
        self.lock().words_written()
    }

    #[getter]
    fn longest_copy(&self) -> Option<usize> {
        self.lock().longest_copy()
    }

    #[getter]
    fn blocked(&self) -> bool {
        self.lock().blocked()
    }

    #[getter]
    fn prompt_token_count(&self) -> usize {
        self.prompt_token_count
    }

    #[getter]
    fn sentences_written(&self) -> Option<u64> {
        self.lock().sentences_written()
    }

    #[getter]
    fn continued_from<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyList>>> {
        if self.continued_from.is_empty() || self.lock().continued_words() == 0 {
            return Ok(None);
        }
        let words = self
            .continued_from
            .iter()
            .map(|word| text_from_utf8(py, word))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, words).map(Some)
    }
}
