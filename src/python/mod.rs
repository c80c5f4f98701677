//! The `llm_markov_rs._markov` extension module: thin PyO3 bindings over the
//! core. Every failure becomes a Python exception; long work runs with the
//! GIL released and stops on Ctrl-C.

mod build;
mod chain;
mod errors;
mod growing;
mod steps;
mod text;
mod walk;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::chain_file::Header;
use crate::limits::{FORMAT_VERSION, MAX_ORDER};
use crate::{text_tokens, Tokens};
use steps::run_unwatched;
use text::metadata_text;

/// The extension's allocator on glibc: each large block mapped on its own
/// and returned when freed. After Python frees a big read buffer, glibc
/// serves blocks of up to 32 MiB from heaps that keep freed memory, and a
/// build's peak would be the sum of its stages' (see crates/map-large).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[global_allocator]
static ALLOCATOR: map_large::MapLarge = map_large::MapLarge;

/// The header of the chain file at `path`, without reading the rest.
#[pyfunction]
fn read_chain_header<'py>(
    py: Python<'py>,
    path: std::path::PathBuf,
) -> PyResult<Bound<'py, PyDict>> {
    let header = run_unwatched(py, || Header::read(&path))?;
    let fields = PyDict::new(py);
    fields.set_item("tokens", header.tokens.name())?;
    fields.set_item("copy_index", header.has_copy_index)?;
    fields.set_item("copy_index_bytes", header.copy_index_bytes)?;
    fields.set_item("order", header.order)?;
    fields.set_item("token_count", header.token_count)?;
    fields.set_item("transition_count", header.transition_count)?;
    fields.set_item("vocabulary_size", header.vocabulary_size)?;
    fields.set_item("state_count", header.state_count)?;
    fields.set_item(
        "distinct_transition_count",
        header.distinct_transition_count,
    )?;
    fields.set_item("metadata", metadata_text(py, &header.metadata)?)?;
    Ok(fields)
}

/// `text` cut into tokens as `tokens` mode cuts a training text, each as a
/// chain holds it: with its break, in the modes that keep one.
#[pyfunction]
#[pyo3(signature = (text, tokens = "words"))]
fn tokenize<'py>(
    py: Python<'py>,
    text: &Bound<'py, PyString>,
    tokens: &str,
) -> PyResult<Vec<Bound<'py, PyString>>> {
    let tokens = build::tokens_named(tokens)?;
    let text = text::Utf8Text::new(text)?;
    let bytes = text.as_bytes();
    let cut = run_unwatched(py, || text_tokens(tokens, bytes))?;
    cut.iter()
        .map(|token| text::text_from_utf8(py, token))
        .collect()
}

/// The native core of llm-markov-rs.
#[pymodule(name = "_markov")]
fn markov_module(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    module.add("MAX_ORDER", MAX_ORDER)?;
    module.add("FORMAT_VERSION", FORMAT_VERSION)?;
    #[cfg(feature = "fault-injection")]
    module.add(
        "_FAULT_INJECTION_PANIC_WORD",
        pyo3::types::PyBytes::new(module.py(), crate::interner::FAULT_INJECTION_PANIC_WORD),
    )?;
    #[cfg(feature = "fault-injection")]
    module.add(
        "_FAULT_INJECTION_WALK_PANIC_WORD",
        pyo3::types::PyBytes::new(module.py(), crate::walk::FAULT_INJECTION_WALK_PANIC_WORD),
    )?;
    module.add_class::<chain::PyChain>()?;
    module.add_class::<growing::PyGrowingChain>()?;
    module.add_class::<walk::PyWalk>()?;
    module.add_function(wrap_pyfunction!(read_chain_header, module)?)?;
    module.add_function(wrap_pyfunction!(tokenize, module)?)?;
    module.add("TOKENS", Tokens::ALL.map(Tokens::name).to_vec())?;
    Ok(())
}
