//! A copy index as a chain file lays it out: each window's token starts,
//! then the text and each window's suffix array packed, and the checksum
//! of those sections.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::ops::Range;

use super::packed::{self, width_for};
use super::{token_starts_in, CopyIndex, Ids, WindowLayout, IDS_BETWEEN_CANCEL_CHECKS};
use crate::build_options::Watch;
use crate::error::ChainFileError;
use crate::suffix_array::suffix_array;

impl CopyIndex {
    /// The CRC-32 of the index's sections as a chain file stores them, for
    /// an alphabet of `alphabet` ids, in the windows the file had (a
    /// default file's for an index built here).
    pub(crate) fn file_checksum(
        &self,
        alphabet: usize,
        watch: Watch,
    ) -> Result<u32, ChainFileError> {
        let mut hasher = Hashing(crc32fast::Hasher::new());
        let layout = self.layout.unwrap_or(WindowLayout::DEFAULT);
        self.write_sections(alphabet, layout, &mut hasher, watch, |_| Ok(watch.check()?))?;
        Ok(hasher.0.finalize())
    }

    /// Writes the index as a chain file holds it, for `alphabet` ids (the
    /// words and the separator), its text cut into windows as `layout`
    /// says: each window's token starts as 4-byte numbers, then the text,
    /// then each window's suffix array, packed, each id in as many bits as
    /// the largest can need ([`packed`]). A window that the index does
    /// not have sorted is sorted from the text as it is written, one at a
    /// time, and `watch` can cancel that sort. Calls `checkpoint` between
    /// blocks of ids, to look at a cancel flag or report progress: an
    /// index can be gigabytes.
    pub(crate) fn write_sections<W: Write>(
        &self,
        alphabet: usize,
        layout: WindowLayout,
        out: &mut W,
        watch: Watch,
        mut checkpoint: impl FnMut(&mut W) -> Result<(), ChainFileError>,
    ) -> Result<(), ChainFileError> {
        let spans: Vec<Range<usize>> = layout.spans(self.len()).collect();
        let own_window = |span: &Range<usize>| self.windows().find(|window| window.span() == *span);
        for span in &spans {
            checkpoint(out)?;
            let starts: Vec<u32> = match own_window(span) {
                Some(window) => window.token_starts(alphabet).collect(),
                // A forged file's ids past the alphabet are not counted, as
                // the check says.
                None => token_starts_in(self.text(), span.clone(), alphabet, watch)?.0,
            };
            let bytes: Vec<u8> = starts.into_iter().flat_map(u32::to_le_bytes).collect();
            out.write_all(&bytes)?;
        }
        let [text_width, suffix_width] = index_widths(alphabet, self.len());
        write_blocks(out, self.text(), 0..self.len(), text_width, &mut checkpoint)?;
        // The windows this index lacks are sorted from the text, two at a
        // time where there are two cores: a window's sort is most of a
        // long text's save, and holds 8 bytes a token of its window.
        let at_once = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(WINDOWS_SORTED_AT_ONCE);
        let sort = |span: Range<usize>| self.window_sorted(span, alphabet, watch);
        std::thread::scope(|scope| {
            let mut to_sort = (spans.iter()).filter(|span| own_window(span).is_none());
            let mut sorting = VecDeque::new();
            for span in &spans {
                checkpoint(out)?;
                if let Some(window) = own_window(span) {
                    let suffixes = window.sorted_suffixes(watch)?;
                    write_blocks(
                        out,
                        suffixes,
                        0..suffixes.len(),
                        suffix_width,
                        &mut checkpoint,
                    )?;
                    continue;
                }
                // Started only once the window before is written, so that
                // no more than `at_once` windows are held.
                while sorting.len() < at_once {
                    let Some(next) = to_sort.next().cloned() else {
                        break;
                    };
                    sorting.push_back(scope.spawn(move || sort(next)));
                }
                let suffixes = match sorting.pop_front() {
                    // A panic in a sort is a bug: it goes on unwinding here.
                    Some(sorted) => {
                        (sorted.join()).unwrap_or_else(|panic| std::panic::resume_unwind(panic))?
                    }
                    None => sort(span.clone())?,
                };
                write_blocks(
                    out,
                    &suffixes,
                    0..suffixes.len(),
                    suffix_width,
                    &mut checkpoint,
                )?;
            }
            Ok(())
        })
    }

    /// The suffix array of the window `span` of the text, sorted from it,
    /// with the starts of the whole text; `watch` can cancel the sort.
    fn window_sorted(
        &self,
        span: Range<usize>,
        alphabet: usize,
        watch: Watch,
    ) -> Result<Ids, ChainFileError> {
        let mut window_text = Vec::with_capacity(span.len());
        self.text().for_each_block(span.clone(), |_, ids| {
            window_text.extend_from_slice(ids);
            Ok::<(), ChainFileError>(())
        })?;
        let (_, mut suffixes) = suffix_array(window_text, alphabet as u32, watch)?;
        let offset = span.start as u32;
        for start in &mut suffixes {
            *start += offset;
        }
        Ok(Ids::Owned(suffixes))
    }
}

/// How many windows a save sorts at once, at most.
const WINDOWS_SORTED_AT_ONCE: usize = 2;

/// Writes `range` of `ids` packed at `width` bits an id, calling
/// `checkpoint` between blocks.
fn write_blocks<W: Write>(
    out: &mut W,
    ids: &Ids,
    range: Range<usize>,
    width: u32,
    checkpoint: &mut impl FnMut(&mut W) -> Result<(), ChainFileError>,
) -> Result<(), ChainFileError> {
    let mut start = range.start;
    while start < range.end {
        checkpoint(out)?;
        let end = (start + IDS_BETWEEN_CANCEL_CHECKS).min(range.end);
        write_packed_block(out, ids, start..end, width)?;
        start = end;
    }
    Ok(())
}

/// Writes `range` of `ids` packed at `width` bits an id: the bytes of a
/// file's ids as they are, when packed at that width already.
fn write_packed_block<W: Write>(
    out: &mut W,
    ids: &Ids,
    range: Range<usize>,
    width: u32,
) -> Result<(), ChainFileError> {
    match ids {
        Ids::Owned(ids) => packed::write_packed(out, ids[range].iter().copied(), width)?,
        // A block starts on a whole word: it is a multiple of 32 ids.
        Ids::Packed(packed) if packed.width() == width => {
            let bytes = packed.bytes();
            let start = (range.start as u64 * u64::from(width) / 8) as usize;
            let end = if range.end == packed.len() {
                bytes.len()
            } else {
                (range.end as u64 * u64::from(width) / 8) as usize
            };
            out.write_all(&bytes[start..end])?;
        }
        Ids::Packed(packed) => packed::write_packed(
            out,
            range.map(|index| packed.get(index).unwrap_or(0)),
            width,
        )?,
        // Read a block at a time, each a multiple of 32 ids but the last,
        // so that the blocks' packed words follow on as the whole's do.
        Ids::Spilled(_) => ids.for_each_block(range, |_, block| {
            packed::write_packed(out, block.iter().copied(), width).map_err(ChainFileError::from)
        })?,
    }
    Ok(())
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
