//! `GrowingChain`: a training's chain, grown a piece at a time, whose
//! copy index's text is held once and sorted in place.

use std::sync::Arc;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

use super::chain::PyChain;
use super::steps::{run_watched, AfterCtrlC, Progress};
use crate::{merge_grown, Chain};

/// The chain of the pieces given so far, each merged after those before.
///
/// Unlike `Chain.merge`, which leaves its sources as they were, it owns
/// the chain it grows: its copy index's text grows in place, and
/// `finish` sorts it in place, so a guarded training holds its text's ids
/// once. A step stopped halfway (Ctrl-C, a progress callback that raised)
/// loses the chain, and later calls say so.
#[pyclass(module = "llm_markov_rs._markov", name = "GrowingChain")]
pub(crate) struct PyGrowingChain {
    /// The chain so far: a first piece's, shared with its `Chain` object
    /// until the next piece is merged.
    grown: Option<Arc<Chain>>,
    /// Whether a stopped step took the chain.
    lost: bool,
}

impl PyGrowingChain {
    /// Fails when a stopped step lost the chain.
    fn kept(&self) -> PyResult<()> {
        if self.lost {
            return Err(PyRuntimeError::new_err(
                "the chain was lost when a step of it was stopped; start again",
            ));
        }
        Ok(())
    }

    /// The chain so far, owned to be changed: lost until it is put back.
    /// Copied if a `Chain` object still shares it.
    fn take_owned(&mut self) -> Option<Chain> {
        let grown = self.grown.take()?;
        self.lost = true;
        Some(Arc::try_unwrap(grown).unwrap_or_else(|shared| (*shared).clone()))
    }

    /// Puts the changed chain back.
    fn put_back(&mut self, chain: Chain) {
        self.grown = Some(Arc::new(chain));
        self.lost = false;
    }
}

#[pymethods]
impl PyGrowingChain {
    #[new]
    fn new() -> Self {
        PyGrowingChain {
            grown: None,
            lost: false,
        }
    }

    /// Merges `piece` after the pieces before it.
    fn add(&mut self, py: Python<'_>, piece: &Bound<'_, PyChain>) -> PyResult<()> {
        self.kept()?;
        let piece = Arc::clone(piece.get().chain());
        let Some(grown) = self.take_owned() else {
            self.grown = Some(piece);
            return Ok(());
        };
        let merged = run_watched(py, None, AfterCtrlC::Interrupt, |watch| {
            merge_grown(grown, &piece, watch)
        })?;
        self.put_back(merged);
        Ok(())
    }

    /// The chain of every piece added, or None when none was; its copy
    /// index sorted in place unless `sort_copy_index` is false, reporting
    /// the stage "indexing" to `progress`. It is then empty again.
    #[pyo3(signature = (progress = None, sort_copy_index = true))]
    fn finish(
        &mut self,
        py: Python<'_>,
        progress: Option<Bound<'_, PyAny>>,
        sort_copy_index: bool,
    ) -> PyResult<Option<PyChain>> {
        self.kept()?;
        let sorts = sort_copy_index
            && (self.grown.as_deref()).is_some_and(Chain::copy_index_waits_for_sort);
        if !sorts {
            return Ok(self.grown.take().map(PyChain::from));
        }
        let grown = self.take_owned().expect("a chain that waits for its sort");
        let indexing = progress.map(|callback| Progress::new(callback, "indexing", 0));
        let sorted = run_watched(py, indexing.as_ref(), AfterCtrlC::Interrupt, |watch| {
            grown.into_sorted(watch)
        })?;
        self.lost = false;
        Ok(Some(PyChain::from(sorted)))
    }
}
