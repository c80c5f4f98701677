//! The exceptions the bindings raise: the package's one public error for
//! what a user can fix, and a `RuntimeError` that asks for a bug report.

use std::fmt::Display;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

mod public_errors {
    // The macro declares a `pub` type; it is only used in this crate.
    #![allow(unreachable_pub)]
    // Errors a user can fix are the package's one public error type, defined
    // in Python (an llm.ModelError and a ValueError), not a native type of
    // their own that users would have to import from this private module.
    pyo3::import_exception!(llm_markov_rs.errors, MarkovError);
}
use public_errors::MarkovError;

/// An error the user can fix, with a message written for them.
pub(crate) fn user_error(message: impl Display) -> PyErr {
    MarkovError::new_err(message.to_string())
}

pub(crate) fn internal_error() -> PyErr {
    PyRuntimeError::new_err(
        "internal error in llm-markov-rs; please report it at \
         https://github.com/llm-markov-rs/llm-markov-rs/issues",
    )
}
