//! The limits of a chain and of its file, each defined once: the error
//! messages, the file format's checks and the Python package all read them
//! from here.

/// The highest order a chain may have. Above a handful of words a state is
/// almost always unique, so higher orders only replay the text.
pub const MAX_ORDER: usize = 100;

/// The most words one text may have: word positions and transition counts
/// are `u32`, and one value is kept free.
pub const MAX_WORDS: usize = u32::MAX as usize - 1;

/// The most bytes the distinct words of one text may take together: where
/// each word ends is a `u32`, in memory and in the chain file.
pub const MAX_VOCABULARY_BYTES: usize = u32::MAX as usize;

/// The version of the chain file format that this crate writes, and the
/// only one it reads.
pub const FORMAT_VERSION: u32 = 11;

/// The most metadata a chain file may carry.
pub const MAX_METADATA_BYTES: usize = 1 << 20;
