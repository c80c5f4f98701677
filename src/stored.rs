//! A chain's arrays of numbers or bytes, wherever they are: in memory, as a
//! build or a read makes them, or in place in a mapped chain file, so that
//! loading a saved chain copies none of its big sections.

use std::fmt;
use std::ops::Deref;
#[cfg(all(target_endian = "little", not(windows)))]
use std::sync::Arc;

use bytemuck::Pod;

/// An array that reads as a slice of `T`, owned or mapped.
#[derive(Clone)]
pub(crate) enum Stored<T> {
    /// In memory.
    Owned(Vec<T>),
    /// `len` values at byte `start` of a mapped chain file, which is
    /// little-endian as the file is, and aligned for `T`.
    #[cfg(all(target_endian = "little", not(windows)))]
    Mapped {
        file: Arc<memmap2::Mmap>,
        start: usize,
        len: usize,
    },
}

impl<T: Pod> Stored<T> {
    /// The `len` values at byte `start` of `file`, in place, or `None`
    /// when they are not all within it or not aligned for `T`.
    #[cfg(all(target_endian = "little", not(windows)))]
    pub(crate) fn mapped(file: &Arc<memmap2::Mmap>, start: usize, len: usize) -> Option<Self> {
        let end = len
            .checked_mul(size_of::<T>())
            .and_then(|bytes| start.checked_add(bytes))?;
        let bytes = file.get(start..end)?;
        bytemuck::try_cast_slice::<u8, T>(bytes).ok()?;
        Some(Stored::Mapped {
            file: Arc::clone(file),
            start,
            len,
        })
    }

    /// The values, to change them: a mapped array is copied into memory
    /// first.
    pub(crate) fn to_mut(&mut self) -> &mut Vec<T> {
        #[cfg(all(target_endian = "little", not(windows)))]
        if let Stored::Mapped { .. } = self {
            *self = Stored::Owned(self.to_vec());
        }
        match self {
            Stored::Owned(values) => values,
            #[cfg(all(target_endian = "little", not(windows)))]
            Stored::Mapped { .. } => unreachable!("made owned just above"),
        }
    }

    /// Where a mapped array starts in its file, in bytes; `None` for one in
    /// memory.
    #[cfg(all(target_endian = "little", unix))]
    pub(crate) fn start_in_file(&self) -> Option<usize> {
        match self {
            Stored::Owned(_) => None,
            Stored::Mapped { start, .. } => Some(*start),
        }
    }

    /// Releases an owned array's spare capacity; a mapped one has none.
    pub(crate) fn shrink_to_fit(&mut self) {
        match self {
            Stored::Owned(values) => values.shrink_to_fit(),
            #[cfg(all(target_endian = "little", not(windows)))]
            Stored::Mapped { .. } => {}
        }
    }
}

impl<T: Pod> Deref for Stored<T> {
    type Target = [T];

    #[inline]
    fn deref(&self) -> &[T] {
        match self {
            Stored::Owned(values) => values,
            // Checked to fit and to be aligned when made, and a map does
            // not move: the fallback is never taken.
            #[cfg(all(target_endian = "little", not(windows)))]
            Stored::Mapped { file, start, len } => file
                .get(*start..*start + *len * size_of::<T>())
                .and_then(|bytes| bytemuck::try_cast_slice(bytes).ok())
                .unwrap_or(&[]),
        }
    }
}

impl<T> Default for Stored<T> {
    fn default() -> Self {
        Stored::Owned(Vec::new())
    }
}

impl<T> From<Vec<T>> for Stored<T> {
    fn from(values: Vec<T>) -> Self {
        Stored::Owned(values)
    }
}

impl<T: Pod + PartialEq> PartialEq for Stored<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: Pod + Eq> Eq for Stored<T> {}

impl<T: Pod + PartialEq, const N: usize> PartialEq<[T; N]> for Stored<T> {
    fn eq(&self, other: &[T; N]) -> bool {
        **self == *other
    }
}

impl<T: Pod + fmt::Debug> fmt::Debug for Stored<T> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(formatter)
    }
}
