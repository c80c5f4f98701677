//! The `llm_markov_rs._markov` extension module: thin PyO3 bindings over the
//! core. Every failure becomes a Python exception; the long build runs with
//! the GIL released and stops on Ctrl-C.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};

use crate::walk::Sampler;
use crate::{BuildOptions, Cancel, Chain, ChainError, Corpus, MAX_ORDER};

mod public_errors {
    // The macro declares a `pub` type; it is only used in this module.
    #![allow(unreachable_pub)]
    // Errors a user can fix are the package's one public error type, defined
    // in Python (an llm.ModelError and a ValueError), not a native type of
    // their own that users would have to import from this private module.
    pyo3::import_exception!(llm_markov_rs.errors, MarkovError);
}
use public_errors::MarkovError;

/// Texts shorter than this are built on the calling thread: they take a few
/// milliseconds, too short for Ctrl-C to need a watcher.
const WATCHED_BUILD_MIN_BYTES: usize = 1 << 20;

/// The most words one `Walk.next_text` call returns: a bound on the memory
/// one call can ask for, far above the plugin's largest chunk.
const MAX_WORDS_PER_TEXT: u64 = 1 << 20;

/// How often a watched build looks for Ctrl-C.
const SIGNAL_POLL_INTERVAL: Duration = Duration::from_millis(50);

fn to_py_error(error: ChainError) -> PyErr {
    MarkovError::new_err(error.to_string())
}

/// A Python string as UTF-8 bytes, with lone surrogates encoded as
/// `"surrogatepass"` does, so that no character is lost or replaced.
enum Utf8Text<'a, 'py> {
    /// An ASCII string, borrowed as it is.
    Ascii(&'a str),
    /// Any other string, encoded into a temporary `bytes`: faster than the
    /// string's cached UTF-8 form, and freed after the build instead of
    /// living as long as the string.
    Encoded(Bound<'py, PyBytes>),
}

impl<'a, 'py> Utf8Text<'a, 'py> {
    fn new(text: &'a Bound<'py, PyString>) -> PyResult<Self> {
        if text.call_method0("isascii")?.is_truthy()? {
            return Ok(Utf8Text::Ascii(text.to_str()?));
        }
        let encoded = text.call_method1("encode", ("utf-8", "surrogatepass"))?;
        Ok(Utf8Text::Encoded(encoded.cast_into::<PyBytes>()?))
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            Utf8Text::Ascii(text) => text.as_bytes(),
            Utf8Text::Encoded(bytes) => bytes.as_bytes(),
        }
    }
}

/// A Python string for `bytes`, which are UTF-8 or hold surrogates encoded
/// as `"surrogatepass"` does.
fn text_from_utf8<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyString>> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(PyString::new(py, text)),
        Err(_) => PyBytes::new(py, bytes)
            .call_method1("decode", ("utf-8", "surrogatepass"))?
            .cast_into::<PyString>()
            .map_err(Into::into),
    }
}

fn internal_error() -> PyErr {
    PyRuntimeError::new_err(
        "internal error in llm-markov-rs while building the chain; please report it at \
         https://github.com/llm-markov-rs/llm-markov-rs/issues",
    )
}

/// Runs one step of a build with the GIL released, and turns a panic (a
/// bug) into an error rather than letting it unwind towards Python.
///
/// A long step (`watched`) runs on a worker thread while this thread wakes
/// every 50 ms to let Python handle signals, so Ctrl-C cancels it promptly.
fn run_build_step<T: Send>(
    py: Python<'_>,
    watched: bool,
    step: impl FnOnce(Cancel<'_>) -> Result<T, ChainError> + Send,
) -> PyResult<T> {
    let cancel = AtomicBool::new(false);
    let run = || {
        std::panic::catch_unwind(AssertUnwindSafe(|| step(Cancel::on(&cancel))))
            .map_err(|_| internal_error())
    };
    if !watched {
        return py.detach(run)?.map_err(to_py_error);
    }
    let (sender, mut receiver) = mpsc::channel();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            // The receiver only goes away once we have stopped listening.
            let _ = sender.send(run());
        });
        loop {
            let receiver = &mut receiver;
            match py.detach(move || receiver.recv_timeout(SIGNAL_POLL_INTERVAL)) {
                Ok(outcome) => return outcome?.map_err(to_py_error),
                Err(mpsc::RecvTimeoutError::Disconnected) => return Err(internal_error()),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Err(interrupt) = py.check_signals() {
                        cancel.store(true, Ordering::Relaxed);
                        return Err(interrupt);
                    }
                }
            }
        }
    })
}

/// Builds the chain in two steps, so that the temporary UTF-8 copy of a
/// non-ASCII text is freed as soon as the words are split, before the
/// transition table takes its memory.
fn build_chain(py: Python<'_>, text: Utf8Text<'_, '_>, order: usize) -> PyResult<Chain> {
    Chain::check_order(order).map_err(to_py_error)?;
    let bytes = text.as_bytes();
    let watched = bytes.len() >= WATCHED_BUILD_MIN_BYTES;
    fn options(cancel: Cancel<'_>) -> BuildOptions<'_> {
        BuildOptions {
            cancel,
            ..BuildOptions::default()
        }
    }
    let corpus = run_build_step(py, watched, |cancel| {
        Corpus::from_text(bytes, options(cancel))
    })?;
    drop(text);
    run_build_step(py, watched, |cancel| {
        Chain::from_corpus(corpus, order, options(cancel))
    })
}

/// A word-level Markov chain built from a text. Immutable, so one chain can
/// serve any number of walks and threads at once.
#[pyclass(frozen, module = "llm_markov_rs._markov", name = "Chain")]
struct PyChain {
    chain: Chain,
}

#[pymethods]
impl PyChain {
    #[new]
    #[pyo3(signature = (text, order = 1))]
    fn new(py: Python<'_>, text: &Bound<'_, PyString>, order: usize) -> PyResult<Self> {
        let chain = build_chain(py, Utf8Text::new(text)?, order)?;
        Ok(PyChain { chain })
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

    fn transitions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let chain = &self.chain;
        let table = PyDict::new(py);
        let mut key = Vec::new();
        for state in 0..chain.state_count() {
            let followers = chain.followers(state);
            if followers.is_empty() {
                continue;
            }
            key.clear();
            for id in chain.state_words(state) {
                if !key.is_empty() {
                    key.push(b' ');
                }
                key.extend_from_slice(chain.vocabulary().word(id));
            }
            let words = PyList::empty(py);
            for &next in followers {
                words.append(text_from_utf8(
                    py,
                    chain.vocabulary().word(chain.last_word(next)),
                )?)?;
            }
            table.set_item(text_from_utf8(py, &key)?, words)?;
        }
        Ok(table)
    }

    fn walk(slf: Py<Self>, length: u64, seed: u64) -> PyWalk {
        PyWalk {
            chain: slf,
            state: Mutex::new(WalkState {
                sampler: Sampler::new(seed),
                remaining: length,
                started: false,
            }),
        }
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

/// Where one walk stands: its sampler, how many words it has still to
/// give, and whether it has given any (the next one then needs a space).
struct WalkState {
    sampler: Sampler,
    remaining: u64,
    started: bool,
}

impl WalkState {
    /// Appends up to `max_words` next words to `out`, each after one space
    /// but for the walk's very first word.
    fn write_words(&mut self, chain: &Chain, max_words: u64, out: &mut Vec<u8>) {
        let count = max_words.min(self.remaining);
        self.remaining -= count;
        for _ in 0..count {
            if self.started {
                out.push(b' ');
            }
            self.started = true;
            out.extend_from_slice(chain.vocabulary().word(self.sampler.next_word(chain)));
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
struct PyWalk {
    chain: Py<PyChain>,
    state: Mutex<WalkState>,
}

impl PyWalk {
    /// The walk's state. Nothing can panic while the lock is held, so a
    /// poisoned lock still holds a consistent state.
    fn lock(&self) -> MutexGuard<'_, WalkState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Up to `max_words` next words, as `next_text` returns them.
    fn take_words(&self, max_words: u64) -> Vec<u8> {
        let chain = &self.chain.get().chain;
        let mut text = Vec::new();
        self.lock().write_words(chain, max_words, &mut text);
        text
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
            state.remaining -= 1;
            state.started = true;
            chain.vocabulary().word(state.sampler.next_word(chain))
        };
        text_from_utf8(py, word).map(Some)
    }

    fn next_text<'py>(&self, py: Python<'py>, max_words: u64) -> PyResult<Bound<'py, PyString>> {
        if max_words > MAX_WORDS_PER_TEXT {
            return Err(PyValueError::new_err(format!(
                "max_words must be at most {MAX_WORDS_PER_TEXT}; ask for long walks in chunks"
            )));
        }
        text_from_utf8(py, &self.take_words(max_words))
    }

    #[getter]
    fn remaining(&self) -> u64 {
        self.lock().remaining
    }
}

/// The native core of llm-markov-rs.
#[pymodule(name = "_markov")]
fn markov_module(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    module.add("MAX_ORDER", MAX_ORDER)?;
    #[cfg(feature = "fault-injection")]
    module.add(
        "_FAULT_INJECTION_PANIC_WORD",
        PyBytes::new(module.py(), crate::interner::FAULT_INJECTION_PANIC_WORD),
    )?;
    module.add_class::<PyChain>()?;
    module.add_class::<PyWalk>()?;
    Ok(())
}
