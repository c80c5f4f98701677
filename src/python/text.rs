//! Text across the boundary: Python strings as UTF-8 bytes and back, lone
//! surrogates included.

use std::ops::Range;
use std::sync::Mutex;

use pyo3::exceptions::PyUnicodeDecodeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PySlice, PyString};

use super::errors::user_error;
use crate::parallel::both;
use crate::tokenize::starts_a_character;
use crate::{BuildOptions, ChainError, TextInChunks, Vocabulary};

/// A Python string as UTF-8 bytes, with lone surrogates encoded as
/// `"surrogatepass"` does, so that no character is lost or replaced.
pub(crate) enum Utf8Text<'a, 'py> {
    /// An ASCII string, borrowed as it is.
    Ascii(&'a str),
    /// Any other string, encoded into a temporary `bytes`: faster than the
    /// string's cached UTF-8 form, and freed after the build instead of
    /// living as long as the string.
    Encoded(Bound<'py, PyBytes>),
    /// The first bytes of a `bytes` object, checked to be UTF-8: a file's
    /// bytes, read and cut with no decoded copy.
    Utf8Bytes(&'a Bound<'py, PyBytes>, usize),
}

impl<'a, 'py> Utf8Text<'a, 'py> {
    pub(crate) fn new(text: &'a Bound<'py, PyString>) -> PyResult<Self> {
        if text.call_method0("isascii")?.is_truthy()? {
            return Ok(Utf8Text::Ascii(text.to_str()?));
        }
        let encoded = text.call_method1("encode", ("utf-8", "surrogatepass"))?;
        Ok(Utf8Text::Encoded(encoded.cast_into::<PyBytes>()?))
    }

    /// A `str`, or the first `length` bytes (all, when `None`) of a
    /// `bytes` object, which must be UTF-8: else a `UnicodeDecodeError`
    /// that says where, as `bytes.decode` raises it.
    pub(crate) fn from_str_or_bytes(
        text: &'a Bound<'py, PyAny>,
        length: Option<usize>,
    ) -> PyResult<Self> {
        if let Ok(text) = text.cast::<PyString>() {
            if length.is_some() {
                return Err(user_error("a length is only for a text given as bytes"));
            }
            return Utf8Text::new(text);
        }
        let bytes = text.cast::<PyBytes>()?;
        let all = bytes.as_bytes();
        let length = length.unwrap_or(all.len());
        let Some(taken) = all.get(..length) else {
            return Err(user_error("the length is past the end of the bytes"));
        };
        if let Err(error) = std::str::from_utf8(taken) {
            return Err(PyUnicodeDecodeError::new_utf8(text.py(), taken, error)?.into());
        }
        Ok(Utf8Text::Utf8Bytes(bytes, length))
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Utf8Text::Ascii(text) => text.as_bytes(),
            Utf8Text::Encoded(bytes) => bytes.as_bytes(),
            Utf8Text::Utf8Bytes(bytes, length) => &bytes.as_bytes()[..*length],
        }
    }
}

/// A Python string read a chunk at a time, each chunk encoded to UTF-8 as
/// [`Utf8Text`] encodes a whole string, when a build's thread reaches it:
/// the build then holds no UTF-8 copy of the whole string beside it.
pub(crate) struct StrInChunks {
    text: Py<PyString>,
    char_count: usize,
    /// What Python raised while a chunk was encoded, if anything: a
    /// `MemoryError` stays one.
    error: Mutex<Option<PyErr>>,
}

impl StrInChunks {
    pub(crate) fn new(text: &Bound<'_, PyString>) -> PyResult<Self> {
        Ok(StrInChunks {
            text: text.clone().unbind(),
            char_count: text.len()?,
            error: Mutex::new(None),
        })
    }

    /// Whether `text` is worth reading in chunks: a string of more than
    /// `min_chars` characters that is not ASCII (an ASCII string is
    /// read in place, with no copy at all).
    pub(crate) fn is_worth_it(text: &Bound<'_, PyString>, min_chars: usize) -> PyResult<bool> {
        Ok(text.len()? >= min_chars && !text.call_method0("isascii")?.is_truthy()?)
    }

    /// What Python raised while a chunk was read, if anything.
    pub(crate) fn take_error(&self) -> Option<PyErr> {
        self.error.lock().ok()?.take()
    }
}

impl TextInChunks for StrInChunks {
    fn char_count(&self) -> usize {
        self.char_count
    }

    fn read(&self, chars: Range<usize>, buffer: &mut Vec<u8>) -> Result<(), ChainError> {
        // Called from a build's threads, which hold no GIL.
        Python::attach(|py| {
            let slice = PySlice::new(py, chars.start as isize, chars.end as isize, 1);
            let encoded = (self.text.bind(py).get_item(slice))
                .and_then(|chunk| chunk.call_method1("encode", ("utf-8", "surrogatepass")))
                .and_then(|bytes| bytes.cast_into::<PyBytes>().map_err(PyErr::from));
            match encoded {
                Ok(bytes) => {
                    buffer.extend_from_slice(bytes.as_bytes());
                    Ok(())
                }
                Err(error) => {
                    if let Ok(mut kept) = self.error.lock() {
                        kept.get_or_insert(error);
                    }
                    Err(ChainError::Cancelled)
                }
            }
        })
    }
}

/// A Python string for `bytes`, which are UTF-8 or hold surrogates encoded
/// as `"surrogatepass"` does.
pub(crate) fn text_from_utf8<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyString>> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(PyString::new(py, text)),
        Err(_) => PyBytes::new(py, bytes)
            .call_method1("decode", ("utf-8", "surrogatepass"))?
            .cast_into::<PyString>()
            .map_err(Into::into),
    }
}

/// Whether every word of `vocabulary` is text that a Python string holds
/// ([`is_python_text`]) and starts a character, so that each converts on
/// its own. The words are checked in two runs on two threads once they are
/// many: a whole pass over a large vocabulary's bytes on every load (14 ms
/// of the high-vocabulary text's 33 ms at order 1, on one thread).
pub(crate) fn words_are_text(vocabulary: &Vocabulary) -> bool {
    let (bytes, ends) = (vocabulary.bytes(), vocabulary.ends());
    let start_of = |word: usize| {
        word.checked_sub(1)
            .map_or(0, |before| ends[before] as usize)
    };
    // A run's bytes are valid when each word's are and every word starts
    // a character: a cut before a word that starts one cuts no character.
    let run_is_text = |words: Range<usize>| {
        is_python_text(&bytes[start_of(words.start)..start_of(words.end)])
            && words.into_iter().all(|word| {
                (bytes.get(start_of(word))).is_some_and(|&first| starts_a_character(first))
            })
    };
    let count = ends.len();
    let threads = if count >= WORDS_CHECKED_APART {
        BuildOptions::default().threads
    } else {
        1
    };
    let (first, second) = both(
        threads,
        || run_is_text(0..count / 2),
        || run_is_text(count / 2..count),
    );
    first && second
}

/// The fewest words checked on two threads.
const WORDS_CHECKED_APART: usize = 1 << 16;

/// Whether `bytes` are what [`Utf8Text`] makes of some Python string: UTF-8
/// in which lone surrogates may appear as three-byte sequences.
pub(crate) fn is_python_text(mut bytes: &[u8]) -> bool {
    loop {
        match std::str::from_utf8(bytes) {
            Ok(_) => return true,
            Err(error) => {
                let rest = &bytes[error.valid_up_to()..];
                match rest {
                    // U+D800..=U+DFFF, which strict UTF-8 refuses.
                    [0xED, 0xA0..=0xBF, 0x80..=0xBF, ..] => bytes = &rest[3..],
                    _ => return false,
                }
            }
        }
    }
}

/// A chain file's metadata as a Python string, or an error for metadata
/// that no Python string saved: the same for a header read alone as for a
/// whole file loaded.
pub(crate) fn metadata_text<'py>(
    py: Python<'py>,
    metadata: &[u8],
) -> PyResult<Bound<'py, PyString>> {
    if !is_python_text(metadata) {
        return Err(super::errors::user_error(
            "its metadata is not UTF-8 text; train it again",
        ));
    }
    text_from_utf8(py, metadata)
}
