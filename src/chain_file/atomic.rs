//! Writing a file atomically: into a temporary file beside it, flushed to
//! disk, then renamed over it.

use std::fs::{self, File, OpenOptions};
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::build_options::Watch;
use crate::error::ChainFileError;

/// Writes the file at `path` with `write`, atomically. A failure of
/// `write`, or a cancel raised through `watch` before the rename, leaves
/// `path` as it was and no temporary file behind. The rename is the last
/// step: once it is done, the new file is in place and the result is `Ok`.
pub(super) fn write_atomically(
    path: &Path,
    watch: Watch,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<(), ChainFileError>,
) -> Result<(), ChainFileError> {
    let temporary = temporary_path(path);
    let outcome = write_file(&temporary, watch, write)
        .inspect(|()| pause_before_rename_in_tests(path))
        .and_then(|()| fs::rename(&temporary, path).map_err(ChainFileError::from));
    if outcome.is_err() {
        // It may not exist (creating it failed); either way it must go.
        let _ = fs::remove_file(&temporary);
    }
    outcome?;
    sync_folder(path);
    Ok(())
}

/// A name beside `path` that no other writer uses, hidden on Unix.
fn temporary_path(path: &Path) -> PathBuf {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    let name = path
        .file_name()
        .map_or_else(Default::default, |name| name.to_string_lossy());
    path.with_file_name(format!(".{name}.{}-{nanos}.tmp", std::process::id()))
}

/// Makes the rename durable where the platform allows it.
fn sync_folder(path: &Path) {
    #[cfg(unix)]
    if let Some(folder) = path.parent() {
        // Best effort: the file itself is already on disk.
        let _ = File::open(folder).and_then(|folder| folder.sync_all());
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Writes a new file at `path` with `write`, and flushes it to disk; fails
/// if a cancel was raised through `watch` by then.
fn write_file(
    path: &Path,
    watch: Watch,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<(), ChainFileError>,
) -> Result<(), ChainFileError> {
    let file = OpenOptions::new().write(true).create_new(true).open(path)?;
    let mut out = BufWriter::with_capacity(1 << 16, file);
    write(&mut out)?;
    let file = out.into_inner().map_err(|error| error.into_error())?;
    file.sync_all()?;
    watch.check()?;
    Ok(())
}

/// Only in this project's test builds (the `fault-injection` feature): a
/// pause after the last look at the cancel flag and before the rename, for
/// files whose name starts with [`FAULT_INJECTION_SLOW_SAVE_PREFIX`], so
/// that a test can press Ctrl-C in that moment.
#[cfg(feature = "fault-injection")]
fn pause_before_rename_in_tests(path: &Path) {
    let slow = path.file_name().is_some_and(|name| {
        name.to_string_lossy()
            .starts_with(FAULT_INJECTION_SLOW_SAVE_PREFIX)
    });
    if slow {
        std::thread::sleep(std::time::Duration::from_secs(2));
    }
}

#[cfg(not(feature = "fault-injection"))]
fn pause_before_rename_in_tests(_path: &Path) {}

/// The start of a file name that makes a test build pause before the
/// rename (see [`pause_before_rename_in_tests`]).
#[cfg(feature = "fault-injection")]
pub(crate) const FAULT_INJECTION_SLOW_SAVE_PREFIX: &str = "fault-injection-slow-save";
