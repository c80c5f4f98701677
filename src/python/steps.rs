//! Running long work with the GIL released: on a worker thread, while the
//! calling thread listens for Ctrl-C and draws progress, with any panic (a
//! bug) turned into an error instead of unwinding towards Python.

use std::cell::Cell;
use std::fmt::Display;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use pyo3::prelude::*;

use super::errors::{internal_error, user_error};
use crate::Watch;

/// How often a watched step looks for Ctrl-C and reports progress.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// Where a watched step reports its progress: a Python callable that takes
/// `(stage, done, total)`, the stage's name, and how much work it has (0
/// when that is not known ahead: `done` then counts up without a bound).
pub(crate) struct Progress<'py> {
    callback: Bound<'py, PyAny>,
    stage: &'static str,
    total: u64,
    /// What the step goes on to do once its counted work is done, reported
    /// as a stage of its own with no count: linking, then waiting for the
    /// copy index's sort, which has no count of its own. Without it, a
    /// bar would sit at 100% for as long as the sort takes.
    then: Option<&'static str>,
    /// Whether `then` was reported yet.
    went_on: Cell<bool>,
}

impl<'py> Progress<'py> {
    /// Reports to `callback` as `stage`, of `total` units (0: unknown).
    pub(crate) fn new(callback: Bound<'py, PyAny>, stage: &'static str, total: u64) -> Self {
        Progress {
            callback,
            stage,
            total,
            then: None,
            went_on: Cell::new(false),
        }
    }

    /// The same, going on to `then` once its count is done, or not.
    pub(crate) fn then(self, then: Option<&'static str>) -> Self {
        Progress { then, ..self }
    }

    /// Reports `done` while the step runs.
    fn report(&self, done: u64) -> PyResult<()> {
        match (self.total, self.then) {
            (0, _) => self.call(self.stage, done, 0),
            (total, Some(then)) if done >= total => self.go_on(then),
            (total, _) => self.call(self.stage, done.min(total), total),
        }
    }

    /// Reports the step done, having done `done`: all of its count, then
    /// its `then` stage, each unless reported already.
    fn finish(&self, done: u64) -> PyResult<()> {
        match (self.total, self.then) {
            (0, _) => self.call(self.stage, done, 0),
            (total, then) => {
                if !self.went_on.get() {
                    self.call(self.stage, total, total)?;
                }
                then.map_or(Ok(()), |then| self.go_on(then))
            }
        }
    }

    fn go_on(&self, then: &'static str) -> PyResult<()> {
        self.went_on.set(true);
        self.call(then, 0, 0)
    }

    fn call(&self, stage: &'static str, done: u64, total: u64) -> PyResult<()> {
        self.callback.call1((stage, done, total)).map(drop)
    }
}

/// Runs a short `step` with the GIL released, catching a panic.
pub(crate) fn run_unwatched<T: Send, E: Display + Send>(
    py: Python<'_>,
    step: impl FnOnce() -> Result<T, E> + Send,
) -> PyResult<T> {
    py.detach(|| std::panic::catch_unwind(AssertUnwindSafe(step)))
        .map_err(|_| internal_error())?
        .map_err(user_error)
}

/// What a watched step that finished after Ctrl-C came gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AfterCtrlC {
    /// Its result, which stands: a save whose rename was done happened,
    /// and what the user is told must match.
    KeepFinished,
    /// The KeyboardInterrupt: a step of work still to be followed by more
    /// (splitting before linking) must not swallow the user's Ctrl-C.
    Interrupt,
}

/// Runs a long `step` on a worker thread with the GIL released, while this
/// thread wakes every 50 ms to let Python handle signals and to report
/// progress.
///
/// Ctrl-C raises the step's cancel flag, and the step stops at its next
/// look at it; this thread waits for that (the scope joins the worker in
/// any case), and the KeyboardInterrupt goes on. A step that finished
/// before it looked gives what `after_ctrl_c` says.
pub(crate) fn run_watched<T: Send, E: Display + Send>(
    py: Python<'_>,
    progress: Option<&Progress<'_>>,
    after_ctrl_c: AfterCtrlC,
    step: impl FnOnce(Watch<'_>) -> Result<T, E> + Send,
) -> PyResult<T> {
    let cancel = AtomicBool::new(false);
    let done = AtomicU64::new(0);
    let watch = Watch::cancelled_by(&cancel).reporting_to(&done);
    let run = || std::panic::catch_unwind(AssertUnwindSafe(|| step(watch)));
    let (sender, mut receiver) = mpsc::channel();
    // Tells the Ctrl-C tests that the long step has begun, so that their
    // interrupt lands inside it.
    #[cfg(feature = "fault-injection")]
    crate::build_options::test_mark("a watched step started");
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let outcome = run();
            // Only in the project's test builds, when a test asks: the step
            // hands its result over half a second after it finished, so
            // that a Ctrl-C can land between the two.
            #[cfg(feature = "fault-injection")]
            if std::env::var_os("LLM_MARKOV_RS_TEST_LATE_STEPS").is_some() {
                std::thread::sleep(Duration::from_millis(500));
            }
            // The receiver only goes away once we have stopped listening.
            let _ = sender.send(outcome);
        });
        loop {
            let listener = &mut receiver;
            let stop = match py.detach(move || listener.recv_timeout(POLL_INTERVAL)) {
                Ok(Ok(outcome)) => {
                    if let (Some(progress), Ok(_)) = (progress, &outcome) {
                        progress.finish(done.load(Ordering::Relaxed))?;
                    }
                    return outcome.map_err(user_error);
                }
                Ok(Err(_)) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(internal_error())
                }
                Err(mpsc::RecvTimeoutError::Timeout) => py.check_signals().and_then(|()| {
                    progress.map_or(Ok(()), |progress| {
                        progress.report(done.load(Ordering::Relaxed))
                    })
                }),
            };
            if let Err(interrupt) = stop {
                cancel.store(true, Ordering::Relaxed);
                let listener = &mut receiver;
                return match py.detach(move || listener.recv()) {
                    Ok(Ok(Ok(finished))) if after_ctrl_c == AfterCtrlC::KeepFinished => {
                        Ok(finished)
                    }
                    Ok(Err(_)) | Err(_) => Err(internal_error()),
                    Ok(Ok(Ok(_))) => {
                        // Tells the Ctrl-C tests that the step finished
                        // before the core looked at the flag again.
                        #[cfg(feature = "fault-injection")]
                        crate::build_options::test_mark("a finished step gave way to the cancel");
                        Err(interrupt)
                    }
                    Ok(Ok(Err(_))) => Err(interrupt),
                };
            }
        }
    })
}
