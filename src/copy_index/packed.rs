//! Token ids and suffix starts as a chain file holds them: each in as few
//! bits as the largest value needs (19 for WordNet's 286 thousand words,
//! 24 for the novel x100's 10.8 million tokens), one after another,
//! little-endian, where 4 bytes a value made a guarded file 1.5 times its
//! text.

use std::io::{self, Write};
#[cfg(all(target_endian = "little", not(windows)))]
use std::sync::Arc;

#[cfg(all(target_endian = "little", unix))]
use std::os::unix::fs::FileExt;
#[cfg(all(target_endian = "little", unix))]
use std::sync::atomic::{AtomicU32, Ordering};

use crate::stored::Stored;

/// How many bits a value up to `largest` takes: at least 1.
pub(crate) fn width_for(largest: u64) -> u32 {
    (u64::BITS - largest.leading_zeros()).max(1)
}

/// How many bytes `count` values of `width` bits take in a file: a whole
/// number of 4-byte words, so that what follows stays 4-aligned.
pub(crate) fn packed_bytes(count: u64, width: u32) -> u64 {
    (count * u64::from(width)).div_ceil(32) * 4
}

/// How many values the `bitpacking` crate packs at once (its
/// `BitPacker1x`): a block of them at `width` bits is `width` whole 4-byte
/// words, laid out as this file lays out any run of values, so the file
/// is a run of such blocks and a shorter last run.
const VALUES_IN_A_BLOCK: usize = 32;

/// Writes `values`, each below 2^`width`, as [`PackedIds`] reads them:
/// `packed_bytes(count, width)` bytes for `count` values.
pub(crate) fn write_packed(
    out: &mut impl Write,
    values: impl Iterator<Item = u32>,
    width: u32,
) -> io::Result<()> {
    let mut bytes = Vec::with_capacity(1 << 16);
    let mut block = [0u32; VALUES_IN_A_BLOCK];
    let mut filled = 0;
    for value in values {
        block[filled] = value;
        filled += 1;
        if filled == VALUES_IN_A_BLOCK {
            pack_block(&block, width, &mut bytes);
            filled = 0;
            if bytes.len() >= (1 << 16) - 4 * 32 {
                out.write_all(&bytes)?;
                bytes.clear();
            }
        }
    }
    pack_run(&block[..filled], width, &mut bytes);
    out.write_all(&bytes)
}

/// Appends a whole block of values, packed: by `bitpacking`, which
/// measured 3.8 times as fast as [`pack_run`] (docs/performance.md), where
/// its words are little-endian as the file's are.
fn pack_block(block: &[u32; VALUES_IN_A_BLOCK], width: u32, bytes: &mut Vec<u8>) {
    #[cfg(target_endian = "little")]
    {
        use bitpacking::BitPacker;
        let start = bytes.len();
        bytes.resize(start + 4 * width as usize, 0);
        bitpacking::BitPacker1x::new().compress(block, &mut bytes[start..], width as u8);
    }
    #[cfg(not(target_endian = "little"))]
    pack_run(block, width, bytes);
}

/// Appends `values` packed, from a whole 4-byte word on, the last word
/// filled with zeros.
fn pack_run(values: &[u32], width: u32, bytes: &mut Vec<u8>) {
    let (mut pending, mut bits) = (0u64, 0u32);
    for &value in values {
        pending |= u64::from(value) << bits;
        bits += width;
        while bits >= 32 {
            bytes.extend_from_slice(&(pending as u32).to_le_bytes());
            pending >>= 32;
            bits -= 32;
        }
    }
    if bits > 0 {
        bytes.extend_from_slice(&(pending as u32).to_le_bytes());
    }
}

/// `len` values of `width` bits, as [`write_packed`] wrote them.
#[derive(Clone, Debug)]
pub(crate) struct PackedIds {
    /// Read into memory, or in the mapped file.
    bytes: Stored<u8>,
    width: u32,
    len: usize,
    /// The mapped file, open, and where `bytes` start in it, for
    /// [`PackedIds::get_sparse`]; `None` for values in memory.
    #[cfg(all(target_endian = "little", unix))]
    positioned: Option<PositionedReads>,
}

/// A mapped file's first values read with positioned reads (`pread`)
/// rather than through its map. A search of a guarded walk reads a value
/// here and there in a text of up to hundreds of megabytes: each first
/// touch of a page of the map is a page fault, which cost about 4 µs on
/// the machine of docs/performance.md's session 28, and a read about 1.2
/// µs. But a read costs as much every time, where a page once faulted in
/// is free, and a long walk reads the same places again and again: so
/// only the first [`POSITIONED_READS`] go by position, and the map after.
#[cfg(all(target_endian = "little", unix))]
#[derive(Clone, Debug)]
struct PositionedReads {
    file: Arc<std::fs::File>,
    start: u64,
    /// How many positioned reads are left, shared by the clones.
    left: Arc<AtomicU32>,
}

#[cfg(all(target_endian = "little", unix))]
impl PositionedReads {
    /// Whether a positioned read is left, taking it.
    fn take_one(&self) -> bool {
        (self.left)
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(1)
            })
            .is_ok()
    }
}

/// How many of a mapped text's values are read by position before its
/// map serves them: about what a guarded walk of 20 words reads in a
/// chain of 1 GB of text.
#[cfg(all(target_endian = "little", unix))]
const POSITIONED_READS: u32 = 4096;

impl PackedIds {
    /// `len` values of `width` bits (1 to 32) in `bytes`, or `None` when
    /// `bytes` is not `packed_bytes(len, width)` long.
    pub(crate) fn owned(bytes: Vec<u8>, width: u32, len: usize) -> Option<Self> {
        let fits =
            (1..=32).contains(&width) && bytes.len() as u64 == packed_bytes(len as u64, width);
        fits.then_some(PackedIds {
            bytes: Stored::Owned(bytes),
            width,
            len,
            #[cfg(all(target_endian = "little", unix))]
            positioned: None,
        })
    }

    /// `len` values of `width` bits at byte `start` of `file`, or `None`
    /// when they are not all within it.
    #[cfg(all(target_endian = "little", not(windows)))]
    pub(crate) fn mapped(
        file: &Arc<memmap2::Mmap>,
        start: usize,
        width: u32,
        len: usize,
    ) -> Option<Self> {
        let bytes = usize::try_from(packed_bytes(len as u64, width)).ok()?;
        let bytes = Stored::mapped(file, start, bytes)?;
        (1..=32).contains(&width).then_some(PackedIds {
            bytes,
            width,
            len,
            #[cfg(all(target_endian = "little", unix))]
            positioned: None,
        })
    }

    /// These values, when they lie in the map of the file `open`, read by
    /// [`PackedIds::get_sparse`] with positioned reads of it; values in
    /// memory as they are.
    #[cfg(all(target_endian = "little", unix))]
    pub(crate) fn read_sparsely_from(self, open: &Arc<std::fs::File>) -> Self {
        let positioned = self.bytes.start_in_file().map(|start| PositionedReads {
            file: Arc::clone(open),
            start: start as u64,
            left: Arc::new(AtomicU32::new(POSITIONED_READS)),
        });
        PackedIds { positioned, ..self }
    }

    /// The bytes as the file holds them.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// How many values there are.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// How many bits a value takes.
    pub(crate) fn width(&self) -> u32 {
        self.width
    }

    /// The value at `index`, or `None` past the end.
    #[inline]
    pub(crate) fn get(&self, index: usize) -> Option<u32> {
        self.view().get(index)
    }

    /// The value at `index`, or `None` past the end, for a reader of a few
    /// values far apart: a mapped file's first ones read with a positioned
    /// read where [`PackedIds::read_sparsely_from`] gave the file (through
    /// the map once those are spent, or if a read fails), others as
    /// [`PackedIds::get`] reads them.
    #[inline]
    pub(crate) fn get_sparse(&self, index: usize) -> Option<u32> {
        #[cfg(all(target_endian = "little", unix))]
        if let Some(positioned) = self.positioned.as_ref().filter(|reads| reads.take_one()) {
            if index >= self.len {
                return None;
            }
            let bit = index as u64 * u64::from(self.width);
            let at = bit / 8;
            // The 8 bytes from the value's first. Those past its bits are
            // masked off, so they may be what follows the values in the
            // file; at the file's end the read fails, and the map serves.
            let mut eight = [0u8; 8];
            if (positioned.file)
                .read_exact_at(&mut eight, positioned.start + at)
                .is_ok()
            {
                let mask = (1u64 << self.width) - 1;
                return Some(((u64::from_le_bytes(eight) >> (bit % 8)) & mask) as u32);
            }
        }
        self.get(index)
    }

    /// The values, to read many of them without looking up where they
    /// are each time.
    #[inline]
    pub(crate) fn view(&self) -> PackedView<'_> {
        PackedView {
            bytes: self.bytes(),
            width: self.width,
            len: self.len,
        }
    }
}

/// [`PackedIds`]' values where they lie.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PackedView<'bytes> {
    bytes: &'bytes [u8],
    width: u32,
    len: usize,
}

impl PackedView<'_> {
    /// The value at `index`, or `None` past the end.
    #[inline]
    pub(crate) fn get(self, index: usize) -> Option<u32> {
        if index >= self.len {
            return None;
        }
        let bit = index as u64 * u64::from(self.width);
        // A value of up to 32 bits starts within its first byte, so it
        // lies within the 8 bytes from there.
        let at = (bit / 8) as usize;
        let word = match self.bytes.get(at..at + 8) {
            Some(eight) => u64::from_le_bytes(eight.try_into().ok()?),
            None => {
                let mut eight = [0u8; 8];
                let tail = self.bytes.get(at..)?;
                eight[..tail.len()].copy_from_slice(tail);
                u64::from_le_bytes(eight)
            }
        };
        let mask = (1u64 << self.width) - 1;
        Some(((word >> (bit % 8)) & mask) as u32)
    }

    /// Fills `out` with the values from `start` on, as many as there are
    /// (zeros past the end).
    pub(crate) fn read_into(self, start: usize, out: &mut [u32]) {
        let unpacked = self.unpack_blocks(start, out);
        self.read_one_by_one(start + unpacked, &mut out[unpacked..]);
    }

    /// Fills as much of `out` as whole blocks of values from `start` on
    /// fill, when `start` begins a block, and says how many: `bitpacking`
    /// unpacks a block at a time twice as fast as
    /// [`PackedView::read_one_by_one`] (docs/performance.md), where its
    /// words are little-endian as the file's are.
    fn unpack_blocks(self, start: usize, out: &mut [u32]) -> usize {
        #[cfg(target_endian = "little")]
        if start % VALUES_IN_A_BLOCK == 0 {
            use bitpacking::BitPacker;
            let packer = bitpacking::BitPacker1x::new();
            let block_bytes = 4 * self.width as usize;
            let blocks = out.len().min(self.len.saturating_sub(start)) / VALUES_IN_A_BLOCK;
            let first = start / VALUES_IN_A_BLOCK * block_bytes;
            let Some(packed) = self.bytes.get(first..first + blocks * block_bytes) else {
                return 0;
            };
            for (block, values) in
                (packed.chunks_exact(block_bytes)).zip(out.chunks_exact_mut(VALUES_IN_A_BLOCK))
            {
                packer.decompress(block, values, self.width as u8);
            }
            return blocks * VALUES_IN_A_BLOCK;
        }
        let _ = (start, out);
        0
    }

    /// Fills `out` with the values from `start` on, one at a time.
    fn read_one_by_one(self, start: usize, out: &mut [u32]) {
        let (width, mask) = (u64::from(self.width), (1u64 << self.width) - 1);
        let mut bit = start as u64 * width;
        for (offset, value) in out.iter_mut().enumerate() {
            let at = (bit / 8) as usize;
            // All but the last few values have 8 bytes from their first:
            // read straight, without the checks of `get`.
            *value = match self.bytes.get(at..at + 8) {
                Some(eight) if start + offset < self.len => {
                    let mut word = [0u8; 8];
                    word.copy_from_slice(eight);
                    ((u64::from_le_bytes(word) >> (bit % 8)) & mask) as u32
                }
                _ => self.get(start + offset).unwrap_or(0),
            };
            bit += width;
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn packed(values: &[u32], width: u32) -> PackedIds {
        let mut bytes = Vec::new();
        write_packed(&mut bytes, values.iter().copied(), width).unwrap();
        PackedIds::owned(bytes, width, values.len()).unwrap()
    }

    #[test]
    fn widths_and_sizes() {
        assert_eq!(width_for(0), 1);
        assert_eq!(width_for(1), 1);
        assert_eq!(width_for(285_670), 19);
        assert_eq!(width_for(u64::from(u32::MAX)), 32);
        assert_eq!(packed_bytes(0, 7), 0);
        assert_eq!(packed_bytes(1, 7), 4);
        assert_eq!(packed_bytes(32, 19), 76);
        assert_eq!(packed_bytes(33, 19), 80);
    }

    #[test]
    fn a_size_that_does_not_fit_the_count_is_refused() {
        assert!(PackedIds::owned(vec![0; 4], 19, 2).is_none());
        assert!(PackedIds::owned(vec![0; 12], 19, 2).is_none());
        assert!(PackedIds::owned(vec![0; 4], 0, 1).is_none());
        assert!(PackedIds::owned(vec![0; 8], 33, 1).is_none());
    }

    proptest! {
        /// A value read from the wrong bit, a mask one bit short, or the
        /// last word left unwritten reads back wrong.
        #[test]
        fn values_read_back_as_written(
            width in 1u32..=32,
            raw in prop::collection::vec(any::<u32>(), 0..200),
        ) {
            let mask = if width == 32 { u32::MAX } else { (1 << width) - 1 };
            let values: Vec<u32> = raw.iter().map(|value| value & mask).collect();
            let ids = packed(&values, width);
            prop_assert_eq!(ids.bytes().len() as u64, packed_bytes(values.len() as u64, width));
            let read: Vec<u32> = (0..values.len()).filter_map(|index| ids.get(index)).collect();
            prop_assert_eq!(read, values.clone());
            prop_assert_eq!(ids.get(values.len()), None);
        }

        /// Reading a stretch at a time, from a block's start or not, past
        /// the end or not, reads what one value at a time reads: a block
        /// unpacked from the wrong byte, or one unpacked past the last
        /// whole block, reads wrong.
        #[test]
        fn a_stretch_reads_as_its_values(
            width in 1u32..=32,
            raw in prop::collection::vec(any::<u32>(), 0..300),
            start in prop_oneof![(0usize..10).prop_map(|block| block * 32), 0usize..320],
            wanted in 0usize..200,
        ) {
            let mask = if width == 32 { u32::MAX } else { (1 << width) - 1 };
            let values: Vec<u32> = raw.iter().map(|value| value & mask).collect();
            let ids = packed(&values, width);
            let mut read = vec![u32::MAX; wanted];
            ids.view().read_into(start, &mut read);
            let expected: Vec<u32> = (start..start + wanted)
                .map(|index| values.get(index).copied().unwrap_or(0))
                .collect();
            prop_assert_eq!(read, expected);
        }
    }
}
