//! Writing a chain in the chain file format.

use std::io::{self, Write};

use super::header::{padding_after, FixedHeader, MAGIC};
use crate::build_options::Watch;
use crate::chain::Chain;
use crate::copy_index::WindowLayout;
use crate::error::ChainFileError;
use crate::limits::{FORMAT_VERSION, MAX_METADATA_BYTES};
use crate::sentence_distances::SentenceDistances;
use crate::state_words::StateWords;

/// Writes `chain` with `metadata` and its default sentences' plan, if
/// given, to `out`, its copy index's text cut into `windows`, looking at
/// `watch` between sections.
pub(super) fn encode(
    chain: &Chain,
    metadata: &[u8],
    sentence_distances: Option<&SentenceDistances>,
    out: &mut impl Write,
    watch: Watch,
    windows: WindowLayout,
) -> Result<(), ChainFileError> {
    if metadata.len() > MAX_METADATA_BYTES {
        return Err(ChainFileError::TooLarge("its metadata"));
    }
    let header = FixedHeader::of(chain, metadata.len(), sentence_distances, windows);
    let vocabulary = chain.vocabulary();
    let transitions = chain.transitions();
    let mut out = ChecksumWriter {
        inner: out,
        hasher: crc32fast::Hasher::new(),
        written: 0,
        reported: 0,
    };
    out.write_all(&MAGIC)?;
    out.write_all(&FORMAT_VERSION.to_le_bytes())?;
    out.write_all(&header.tokens.code().to_le_bytes())?;
    out.write_all(&header.copy_index_len.to_le_bytes())?;
    out.write_all(&header.windows.stride.to_le_bytes())?;
    out.write_all(&header.windows.overlap.to_le_bytes())?;
    out.write_all(&(header.order as u32).to_le_bytes())?;
    out.write_all(&header.token_count.to_le_bytes())?;
    out.write_all(&header.transition_count.to_le_bytes())?;
    out.write_all(&header.vocabulary_size.to_le_bytes())?;
    out.write_all(&header.vocabulary_bytes.to_le_bytes())?;
    out.write_all(&header.state_count.to_le_bytes())?;
    out.write_all(&header.distinct_transition_count.to_le_bytes())?;
    out.write_all(&header.root_count.to_le_bytes())?;
    out.write_all(&header.sentence_steps.to_le_bytes())?;
    out.write_all(&header.sentence_reachable.to_le_bytes())?;
    out.write_all(&header.sentence_far_count.to_le_bytes())?;
    out.write_all(&header.least_sentence.to_le_bytes())?;
    out.write_all(&(metadata.len() as u32).to_le_bytes())?;
    out.write_all(metadata)?;
    // Zeros after the metadata and after the words' bytes, so that every
    // array of numbers is 4-aligned in the file and is read in place from
    // a map of it.
    out.write_all(&[0; 3][..padding_after(metadata.len() as u128)])?;
    write_u32_slice(&mut out, vocabulary.ends())?;
    out.write_all(vocabulary.bytes())?;
    out.write_all(&[0; 3][..header.word_bytes_padding()])?;
    out.report_to(watch)?;
    if let StateWords::Linked(states) = chain.state_words_table() {
        write_u32_slice(&mut out, states.last_words())?;
        write_u32_slice(&mut out, states.previous_states())?;
        let (root_states, root_words) = states.roots();
        write_u32_slice(&mut out, root_states)?;
        write_u32_slice(&mut out, root_words)?;
    }
    write_u32_slice(&mut out, &transitions.offsets)?;
    write_u32_slice(&mut out, &transitions.followers)?;
    out.report_to(watch)?;
    write_u32_slice(&mut out, &transitions.cumulative)?;
    let sentences = chain.sentence_marks();
    out.write_all(&sentences.ends.to_bytes())?;
    out.write_all(
        &sentences
            .starts_as_set(chain.state_count() as usize)
            .to_bytes(),
    )?;
    if let Some(distances) = sentence_distances {
        out.write_all(distances.reachable())?;
        out.write_all(distances.bytes())?;
        write_u32s(&mut out, distances.far().iter().flatten().copied())?;
    }
    // Zeros to a multiple of 4 bytes, so that the checksum and the index
    // after it are 4-aligned and a mapped file's ids can be read in place.
    out.write_all(&[0u8; 3][..padding_after(out.written)])?;
    out.write_checksum()?;
    if let Some(index) = chain.copy_index() {
        // The words' ids and the separator between documents.
        let alphabet = vocabulary.len() + 1;
        // Hundreds of megabytes for a large text, so the cancel flag is
        // looked at between blocks, not only between sections.
        index.write_sections(alphabet, header.windows, &mut out, watch, |out| {
            out.report_to(watch)
        })?;
        out.write_checksum()?;
    }
    out.report_to(watch)?;
    Ok(())
}

impl FixedHeader {
    /// The header of `chain`'s file with `metadata_len` bytes of metadata
    /// and `sentence_distances`, its copy index cut into `windows` (none
    /// without an index): what [`encode`] writes, and so the file's size
    /// before it is written.
    pub(super) fn of(
        chain: &Chain,
        metadata_len: usize,
        sentence_distances: Option<&SentenceDistances>,
        windows: WindowLayout,
    ) -> Self {
        let roots = match chain.state_words_table() {
            StateWords::SingleWord => 0,
            StateWords::Linked(states) => states.roots().0.len() as u32,
        };
        FixedHeader {
            tokens: chain.tokens(),
            // At most MAX_WORDS tokens: a merge refuses to make a longer one.
            copy_index_len: chain.copy_index().map_or(0, |index| index.len() as u32),
            windows: match chain.copy_index() {
                Some(_) => windows,
                None => WindowLayout {
                    stride: 0,
                    overlap: 0,
                },
            },
            order: chain.order(),
            token_count: chain.token_count() as u64,
            transition_count: chain.transition_count() as u64,
            vocabulary_size: chain.vocabulary().len() as u32,
            // At most MAX_VOCABULARY_BYTES: the ends of the words fit in a u32.
            vocabulary_bytes: chain.vocabulary().bytes().len() as u64,
            state_count: chain.state_count(),
            distinct_transition_count: chain.transitions().followers.len() as u32,
            root_count: roots,
            sentence_steps: sentence_distances.map_or(0, |distances| distances.steps() as u32),
            // Within a u32: `plan_sentences` leaves out a plan with more.
            sentence_reachable: sentence_distances
                .map_or(0, |distances| distances.bytes().len() as u32),
            least_sentence: (sentence_distances.and_then(SentenceDistances::least_sentence))
                .unwrap_or(u64::MAX),
            sentence_far_count: sentence_distances
                .map_or(0, |distances| distances.far().len() as u32),
            metadata_len,
        }
    }
}

/// Writes `values` little-endian: as they are in memory on a little-endian
/// machine.
fn write_u32_slice(out: &mut impl Write, values: &[u32]) -> io::Result<()> {
    if cfg!(target_endian = "little") {
        out.write_all(bytemuck::cast_slice(values))
    } else {
        write_u32s(out, values.iter().copied())
    }
}

/// Writes `values` little-endian, a block at a time.
fn write_u32s(out: &mut impl Write, values: impl Iterator<Item = u32>) -> io::Result<()> {
    let mut block = Vec::with_capacity(1 << 16);
    for value in values {
        block.extend_from_slice(&value.to_le_bytes());
        if block.len() == block.capacity() {
            out.write_all(&block)?;
            block.clear();
        }
    }
    out.write_all(&block)
}

/// Passes writes on, and keeps the CRC-32 of everything written since the
/// last checksum, and how many bytes it wrote in all.
struct ChecksumWriter<W> {
    inner: W,
    hasher: crc32fast::Hasher,
    written: u128,
    /// How many of them were reported as work done.
    reported: u128,
}

impl<W: Write> ChecksumWriter<W> {
    /// Counts the bytes written since the last report as work done, then
    /// checks the cancel flag.
    fn report_to(&mut self, watch: Watch) -> Result<(), ChainFileError> {
        let written = (self.written - self.reported) as usize;
        self.reported = self.written;
        Ok(watch.advance(written)?)
    }

    /// Writes the checksum of what was written since the last one.
    fn write_checksum(&mut self) -> io::Result<()> {
        let checksum = std::mem::take(&mut self.hasher).finalize();
        self.inner.write_all(&checksum.to_le_bytes())?;
        self.written += 4;
        Ok(())
    }
}

impl<W: Write> Write for ChecksumWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(bytes)?;
        self.hasher.update(&bytes[..written]);
        self.written += written as u128;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
