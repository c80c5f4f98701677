//! `Walk`: the words of one walk through a chain, produced lazily.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};

use super::errors::{internal_error, user_error};
use super::steps::run_unwatched;
use super::text::{text_from_utf8, Utf8Text};
use crate::steer::PlanCache;
use crate::{prompt_tokens, Chain, Walk};

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
    /// Whether a step panicked (a bug): the walk may be left halfway
    /// through a step, so it writes no more.
    broken: AtomicBool,
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
            broken: AtomicBool::new(false),
        }
    }

    /// The walk. Only a step can panic while the lock is held, and then
    /// the walk writes no more ([`PyWalk::write_words`]): what a poisoned
    /// lock holds is only read.
    fn lock(&self) -> MutexGuard<'_, Walk<Arc<Chain>>> {
        self.walk.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends up to `max_words` words of the walk to `text` and gives how
    /// many. A panic in a step (a bug) is the `RuntimeError` that asks
    /// for a report, there and on every later call, rather than Python's
    /// `PanicException`, which llm would not catch.
    fn write_words(&self, max_words: u64, text: &mut Vec<u8>) -> PyResult<u64> {
        if self.broken.load(Ordering::Relaxed) {
            return Err(internal_error());
        }
        let step = || self.lock().write_words(max_words, text);
        std::panic::catch_unwind(AssertUnwindSafe(step)).map_err(|_| {
            self.broken.store(true, Ordering::Relaxed);
            internal_error()
        })
    }
}

/// The arguments of `Chain.walk`, as Python gave them.
pub(crate) struct WalkRequest<'a, 'py> {
    pub(crate) length: u64,
    pub(crate) seed: u64,
    pub(crate) prompt: Option<&'a Bound<'py, PyString>>,
    pub(crate) sentences: Option<u64>,
    pub(crate) max_copy: Option<usize>,
    pub(crate) temperature: f64,
    pub(crate) max_chars: Option<u64>,
    pub(crate) balanced: bool,
    pub(crate) max_copy_ratio: Option<f64>,
    pub(crate) contains: Option<&'a Bound<'py, PyString>>,
    pub(crate) end: Option<&'a Bound<'py, PyString>>,
}

impl WalkRequest<'_, '_> {
    /// A walk through `chain` as asked, ready for its first word (its
    /// steering's plans made, kept in `plans`), or the error that no walk
    /// can be.
    pub(crate) fn start(
        self,
        py: Python<'_>,
        chain: Arc<Chain>,
        plans: Arc<PlanCache>,
    ) -> PyResult<PyWalk> {
        if self.sentences == Some(0) {
            return Err(user_error("sentences must be at least 1"));
        }
        if self.sentences.is_some() && !chain.has_sentence_ends() {
            return Err(user_error(
                "the text has no sentence end (no word ends with '.', '!', '?' or the \
                 like), so it cannot be written in sentences; leave out sentences and \
                 give length instead",
            ));
        }
        let prompt = self.prompt.map(Utf8Text::new).transpose()?;
        let (tokens, last_is_open) = prompt
            .as_ref()
            .map(|prompt| prompt_tokens(chain.tokens(), prompt.as_bytes()))
            .unwrap_or_default();
        let mut walk = Walk::continuing(chain, self.seed, &tokens, last_is_open)
            .at_most(self.length)
            .plan_cache(plans);
        if let Some(count) = self.sentences {
            walk = walk.sentences(count);
        }
        if let Some(max_copy) = self.max_copy {
            walk = walk.max_copy(max_copy).map_err(user_error)?;
        }
        walk = walk.temperature(self.temperature).map_err(user_error)?;
        if let Some(ratio) = self.max_copy_ratio {
            walk = walk.max_copy_ratio(ratio).map_err(user_error)?;
        }
        if let Some(max_chars) = self.max_chars {
            walk = walk.max_chars(max_chars);
        }
        walk = walk.balanced(self.balanced);
        if let Some(phrase) = self.contains {
            walk = walk
                .contains(Utf8Text::new(phrase)?.as_bytes())
                .map_err(user_error)?;
        }
        if let Some(phrase) = self.end {
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
}

#[pymethods]
impl PyWalk {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyString>>> {
        // Written out, so that the lock is released before Python runs.
        let mut text = Vec::new();
        if self.write_words(1, &mut text)? == 0 {
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
        self.write_words(max_words, &mut text)?;
        text_from_utf8(py, &text)
    }

    #[getter]
    fn remaining(&self) -> u64 {
        // Every walk made from Python has a cap.
        self.lock().remaining().unwrap_or(u64::MAX)
    }

    #[getter]
    fn tokens_written(&self) -> u64 {
        self.lock().tokens_written()
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
