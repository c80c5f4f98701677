//! The `llm_markov_rs._markov` extension module: thin PyO3 bindings over the
//! core. Every failure becomes a Python exception; long work runs with the
//! GIL released and stops on Ctrl-C.

mod chain;
mod errors;
mod steps;
mod text;
mod walk;

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::chain_file::Header;
use crate::limits::{FORMAT_VERSION, MAX_ORDER};
use steps::run_unwatched;
use text::metadata_text;

/// The header of the chain file at `path`, without reading the rest.
#[pyfunction]
fn read_chain_header<'py>(
    py: Python<'py>,
    path: std::path::PathBuf,
) -> PyResult<Bound<'py, PyDict>> {
    let header = run_unwatched(py, || Header::read(&path))?;
    let fields = PyDict::new(py);
    fields.set_item("order", header.order)?;
    fields.set_item("word_count", header.word_count)?;
    fields.set_item("vocabulary_size", header.vocabulary_size)?;
    fields.set_item("state_count", header.state_count)?;
    fields.set_item(
        "distinct_transition_count",
        header.distinct_transition_count,
    )?;
    fields.set_item("metadata", metadata_text(py, &header.metadata)?)?;
    Ok(fields)
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
    module.add_class::<chain::PyChain>()?;
    module.add_class::<walk::PyWalk>()?;
    module.add_function(wrap_pyfunction!(read_chain_header, module)?)?;
    Ok(())
}
