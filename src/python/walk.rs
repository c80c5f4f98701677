//! `Walk`: the words of one walk through a chain, produced lazily.

use std::sync::{Mutex, MutexGuard, PoisonError};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};

use super::chain::PyChain;
use super::text::text_from_utf8;
use crate::walk::{Sampler, SentenceCount};
use crate::Chain;

/// The most words one `Walk.next_text` call returns: a bound on the memory
/// one call can ask for, far above the plugin's largest chunk.
const MAX_WORDS_PER_TEXT: u64 = 1 << 20;

/// Where one walk stands: its sampler, how many words it has still to give
/// and has given (after the first, each needs a space before it), and how
/// many sentences it has written of those it is to write.
struct WalkState {
    sampler: Sampler,
    remaining: u64,
    written: u64,
    sentences: Option<SentenceCount>,
}

impl WalkState {
    /// The id of the next word; a walk in sentences ends (nothing remains)
    /// right after the word that ends its last sentence.
    fn next_word(&mut self, chain: &Chain) -> u32 {
        self.remaining -= 1;
        self.written += 1;
        let id = self.sampler.next_word(chain);
        if let Some(count) = &mut self.sentences {
            if count.wrote(chain, id) {
                self.remaining = 0;
            }
        }
        id
    }

    /// Appends up to `max_words` next words to `out`, each after one space
    /// but for the walk's very first word.
    fn write_words(&mut self, chain: &Chain, max_words: u64, out: &mut Vec<u8>) {
        for _ in 0..max_words {
            if self.remaining == 0 {
                break;
            }
            if self.written > 0 {
                out.push(b' ');
            }
            out.extend_from_slice(chain.vocabulary().word(self.next_word(chain)));
        }
    }
}

/// The words of one walk through a chain, produced lazily.
///
/// Frozen, with its state behind a lock, so that threads sharing a walk each
/// take whole words in turn, with or without the GIL. The lock is never held
/// while Python runs (only while Rust writes words into a buffer), so a
/// thread waiting for it cannot block one that needs the interpreter.
#[pyclass(frozen, module = "llm_markov_rs._markov", name = "Walk")]
pub(crate) struct PyWalk {
    chain: Py<PyChain>,
    state: Mutex<WalkState>,
    /// The prompt's words that the walk continues, none for a random start.
    continued_from: Vec<Vec<u8>>,
}

impl PyWalk {
    /// A walk of `length` words that continues `prompt` (see
    /// [`Chain::walk_after`]), or starts at random when it cannot; with
    /// `sentences`, one that starts at a sentence start (unless it
    /// continues the prompt) and ends after that many sentences, or
    /// `length` words if they come first.
    pub(crate) fn new(
        chain: Py<PyChain>,
        length: u64,
        seed: u64,
        prompt: &[&[u8]],
        sentences: Option<u64>,
    ) -> Self {
        let (mut sampler, continued) = Sampler::after(&chain.get().chain, seed, prompt);
        if sentences.is_some() {
            sampler.start_sentences();
        }
        let continued_from = prompt[prompt.len() - continued..]
            .iter()
            .map(|word| word.to_vec())
            .collect();
        PyWalk {
            chain,
            state: Mutex::new(WalkState {
                sampler,
                remaining: length,
                written: 0,
                sentences: sentences.map(SentenceCount::new),
            }),
            continued_from,
        }
    }

    /// The walk's state. Nothing can panic while the lock is held, so a
    /// poisoned lock still holds a consistent state.
    fn lock(&self) -> MutexGuard<'_, WalkState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[pymethods]
impl PyWalk {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyString>>> {
        let chain = &self.chain.get().chain;
        let word = {
            let mut state = self.lock();
            if state.remaining == 0 {
                return Ok(None);
            }
            chain.vocabulary().word(state.next_word(chain))
        };
        text_from_utf8(py, word).map(Some)
    }

    fn next_text<'py>(&self, py: Python<'py>, max_words: u64) -> PyResult<Bound<'py, PyString>> {
        if max_words > MAX_WORDS_PER_TEXT {
            return Err(PyValueError::new_err(format!(
                "max_words must be at most {MAX_WORDS_PER_TEXT}; ask for long walks in chunks"
            )));
        }
        let chain = &self.chain.get().chain;
        let mut text = Vec::new();
        self.lock().write_words(chain, max_words, &mut text);
        text_from_utf8(py, &text)
    }

    #[getter]
    fn remaining(&self) -> u64 {
        self.lock().remaining
    }

    #[getter]
    fn words_written(&self) -> u64 {
        self.lock().written
    }

    #[getter]
    fn sentences_written(&self) -> Option<u64> {
        self.lock().sentences.map(SentenceCount::written)
    }

    #[getter]
    fn continued_from<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyList>>> {
        if self.continued_from.is_empty() {
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
