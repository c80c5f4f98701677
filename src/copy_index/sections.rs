//! A copy index as a chain file lays it out: the token starts, then the
//! text and the suffix array packed, and the checksum of those sections.

use std::io::{self, Write};
use std::ops::Range;

use super::packed::{self, width_for};
use super::{CopyIndex, Ids, IDS_BETWEEN_CANCEL_CHECKS};
use crate::build_options::Watch;
use crate::error::ChainFileError;

impl CopyIndex {
    /// The CRC-32 of the index's sections as a chain file stores them, for
    /// an alphabet of `alphabet` ids.
    pub(crate) fn file_checksum(
        &self,
        alphabet: usize,
        watch: Watch,
    ) -> Result<u32, ChainFileError> {
        let mut hasher = Hashing(crc32fast::Hasher::new());
        self.write_sections(alphabet, &mut hasher, |_| Ok(watch.check()?))?;
        Ok(hasher.0.finalize())
    }

    /// Writes the index as a chain file holds it, for `alphabet` ids (the
    /// words and the separator): the token starts as 4-byte numbers, then
    /// the text and the suffix array packed, each id in as many bits as
    /// the largest can need ([`packed`]). Calls `checkpoint` between
    /// blocks of ids, to look at a cancel flag or report progress: an
    /// index can be gigabytes.
    pub(crate) fn write_sections<W: Write>(
        &self,
        alphabet: usize,
        out: &mut W,
        mut checkpoint: impl FnMut(&mut W) -> Result<(), ChainFileError>,
    ) -> Result<(), ChainFileError> {
        let starts: Vec<u8> = (self.token_starts(alphabet))
            .flat_map(u32::to_le_bytes)
            .collect();
        out.write_all(&starts)?;
        let [text_width, suffix_width] = index_widths(alphabet, self.len());
        for (ids, width) in [(self.text(), text_width), (self.suffixes(), suffix_width)] {
            let mut start = 0;
            while start < ids.len() {
                checkpoint(out)?;
                let end = (start + IDS_BETWEEN_CANCEL_CHECKS).min(ids.len());
                write_packed_block(out, ids, start..end, width)?;
                start = end;
            }
        }
        Ok(())
    }
}

/// Writes `range` of `ids` packed at `width` bits an id: the bytes of a
/// file's ids as they are, when packed at that width already.
fn write_packed_block(
    out: &mut impl Write,
    ids: &Ids,
    range: Range<usize>,
    width: u32,
) -> io::Result<()> {
    match ids {
        Ids::Owned(ids) => packed::write_packed(out, ids[range].iter().copied(), width),
        // A block starts on a whole word: it is a multiple of 32 ids.
        Ids::Packed(packed) if packed.width() == width => {
            let bytes = packed.bytes();
            let start = (range.start as u64 * u64::from(width) / 8) as usize;
            let end = if range.end == packed.len() {
                bytes.len()
            } else {
                (range.end as u64 * u64::from(width) / 8) as usize
            };
            out.write_all(&bytes[start..end])
        }
        Ids::Packed(packed) => packed::write_packed(
            out,
            range.map(|index| packed.get(index).unwrap_or(0)),
            width,
        ),
    }
}

/// A writer that only hashes what it is given.
struct Hashing(crc32fast::Hasher);

impl Write for Hashing {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// How many bits a chain file gives each id of the text and each start of
/// the suffix array of an index of `tokens` tokens and `alphabet` ids.
pub(crate) fn index_widths(alphabet: usize, tokens: usize) -> [u32; 2] {
    [
        width_for(alphabet.saturating_sub(1) as u64),
        width_for(tokens.saturating_sub(1) as u64),
    ]
}
