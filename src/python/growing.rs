//! `GrowingChain`: a training's chain, grown a piece at a time, whose
//! copy index's text is held once and sorted in place.

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

use super::chain::PyChain;
use super::steps::{run_watched, AfterCtrlC, Progress};
use crate::{ChainError, GrowingChain, SpillPolicy, Watch};

/// The chain of the pieces given so far, each merged after those before
/// ([`GrowingChain`] in the core, which merges them as a balanced tree).
///
/// Unlike `Chain.merge`, which leaves its sources as they were, it owns
/// the chains it grows: its copy index's text grows in place, and
/// `finish` sorts it in place, so a guarded training holds its text's ids
/// once, and a long text in a temporary file in `spill_folder` (the
/// system's temporary folder when `None`). A step stopped halfway (Ctrl-C,
/// a progress callback that raised) loses the chain, and later calls say
/// so.
#[pyclass(module = "llm_markov_rs._markov", name = "GrowingChain")]
pub(crate) struct PyGrowingChain {
    growing: GrowingChain,
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

    /// Runs `step` on the growing chain with the GIL released, `watch`ed
    /// for Ctrl-C and `progress`: the chain is lost if the step fails.
    fn step<T: Send>(
        &mut self,
        py: Python<'_>,
        progress: Option<&Progress>,
        step: impl FnOnce(&mut GrowingChain, Watch) -> Result<T, ChainError> + Send,
    ) -> PyResult<T> {
        self.kept()?;
        self.lost = true;
        let growing = &mut self.growing;
        let done = run_watched(py, progress, AfterCtrlC::Interrupt, |watch| {
            step(growing, watch)
        })?;
        self.lost = false;
        Ok(done)
    }
}

#[pymethods]
impl PyGrowingChain {
    #[new]
    #[pyo3(signature = (spill_folder = None))]
    fn new(spill_folder: Option<PathBuf>) -> Self {
        PyGrowingChain {
            growing: GrowingChain::spilling(SpillPolicy::for_training(spill_folder)),
            lost: false,
        }
    }

    /// Merges `piece` after the pieces before it.
    fn add(&mut self, py: Python<'_>, piece: &Bound<'_, PyChain>) -> PyResult<()> {
        let piece = Arc::clone(piece.get().chain());
        self.step(py, None, |growing, watch| growing.add(piece, watch))
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
        let Some(grown) = self.step(py, None, |growing, watch| growing.finish(watch))? else {
            return Ok(None);
        };
        if !(sort_copy_index && grown.copy_index_waits_for_sort()) {
            return Ok(Some(PyChain::from(grown)));
        }
        let grown = Arc::unwrap_or_clone(grown);
        let indexing = progress.map(|callback| Progress::new(callback, "indexing", 0));
        let sorted = self.step(py, indexing.as_ref(), |_, watch| grown.into_sorted(watch))?;
        Ok(Some(PyChain::from(sorted)))
    }
}
