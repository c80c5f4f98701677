//! The fixed header at the start of every chain file: reading it, and the
//! size of the file it promises.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use crate::copy_index::{index_widths, packed_bytes, WindowLayout};
use crate::error::ChainFileError;
use crate::limits::{FORMAT_VERSION, MAX_METADATA_BYTES, MAX_ORDER};
use crate::tokens::Tokens;

/// Marks a chain file. The first byte is not ASCII and the last is a line
/// feed, as in PNG's signature, so that a file mangled as text fails early.
pub(super) const MAGIC: [u8; 8] = *b"\x89MARKOV\n";

/// The fixed fields before the metadata.
pub(super) const HEADER_LEN: usize = 96;

/// The fixed fields at the start of every chain file, before its metadata.
pub(super) struct FixedHeader {
    pub(super) tokens: Tokens,
    /// How many tokens the copy index's text has (its documents and one
    /// separator between each two), or 0 when the file holds no index.
    /// The text and its suffix array follow the sentence marks.
    pub(super) copy_index_len: u32,
    /// How the copy index's text is cut into windows, each with its own
    /// token starts and suffix array.
    pub(super) windows: WindowLayout,
    pub(super) order: usize,
    pub(super) token_count: u64,
    /// The sum of the counts: `token_count - order` for a single text, less
    /// for several documents.
    pub(super) transition_count: u64,
    pub(super) vocabulary_size: u32,
    pub(super) vocabulary_bytes: u64,
    pub(super) state_count: u32,
    pub(super) distinct_transition_count: u32,
    /// How many states follow no state and keep their words whole.
    pub(super) root_count: u32,
    /// The automaton steps a state of the default sentences' plan, which
    /// follows the sentence marks; 0 when the file holds none.
    pub(super) sentence_steps: u32,
    /// How many (state, step) pairs of the plan reach a sentence end: a
    /// byte each, after a bit for every pair.
    pub(super) sentence_reachable: u32,
    /// How many of those distances are too long for a byte, each kept
    /// after the bytes as its state, step and distance.
    pub(super) sentence_far_count: u32,
    /// The fewest tokens of a whole sentence from a sentence start, by the
    /// plan; `u64::MAX` when none reaches an end (or without a plan).
    pub(super) least_sentence: u64,
    pub(super) metadata_len: usize,
}

impl FixedHeader {
    /// The exact size of the whole file, as the header describes it.
    pub(super) fn file_size(&self) -> u128 {
        let chain = self.unpadded_chain_len();
        chain + padding_after(chain) as u128 + 4 + self.copy_index_bytes()
    }

    /// How many zero bytes follow the sentence marks, so that the chain's
    /// checksum and the copy index after it are 4-aligned in the file.
    pub(super) fn padding(&self) -> usize {
        padding_after(self.unpadded_chain_len())
    }

    /// The bytes of the copy index's sections and their checksum: each
    /// window's token starts (one for each id, the separator included,
    /// and the end), the text packed, each window's suffix array packed.
    /// 0 without an index. Counted without going through the windows,
    /// however many a forged header makes.
    pub(super) fn copy_index_bytes(&self) -> u128 {
        let alphabet = self.vocabulary_size as usize + 1;
        match self.copy_index_len as usize {
            0 => 0,
            tokens => {
                let [text_width, suffix_width] = index_widths(alphabet, tokens);
                let windows = self.windows.count(tokens);
                let stride = self.windows.stride.max(1) as usize;
                // All but the last hold a stride and an overlap.
                let last = tokens - (windows - 1) * stride;
                let full = stride + self.windows.overlap as usize;
                let suffixes = (windows as u128 - 1)
                    * u128::from(packed_bytes(full as u64, suffix_width))
                    + u128::from(packed_bytes(last as u64, suffix_width));
                let text = u128::from(packed_bytes(tokens as u64, text_width));
                4 * (alphabet as u128 + 1) * windows as u128 + text + suffixes + 4
            }
        }
    }

    /// Zeros after the metadata, so that the numbers after it are
    /// 4-aligned in the file (and so in a map of it).
    pub(super) fn metadata_padding(&self) -> usize {
        padding_after(self.metadata_len as u128)
    }

    /// Zeros after the words' bytes, for the same reason.
    pub(super) fn word_bytes_padding(&self) -> usize {
        padding_after(u128::from(self.vocabulary_bytes))
    }

    /// The bytes of the header and the chain's sections, before padding.
    fn unpadded_chain_len(&self) -> u128 {
        let metadata = self.metadata_len as u128 + self.metadata_padding() as u128;
        let words = 4 * u128::from(self.vocabulary_size)
            + u128::from(self.vocabulary_bytes)
            + self.word_bytes_padding() as u128;
        // Each state's last word and the state it follows; the roots'
        // states and words.
        let state_words = if self.order > 1 {
            8 * u128::from(self.state_count)
                + 4 * u128::from(self.root_count) * (1 + self.order as u128)
        } else {
            0
        };
        // The followers' offsets start with a 0; the counts are kept as
        // running totals.
        let transitions =
            4 * (u128::from(self.state_count) + 1) + 8 * u128::from(self.distinct_transition_count);
        let sentence_marks =
            u128::from(self.vocabulary_size).div_ceil(8) + u128::from(self.state_count).div_ceil(8);
        HEADER_LEN as u128
            + metadata
            + words
            + state_words
            + transitions
            + sentence_marks
            + self.sentence_distances_len()
    }

    /// The bytes of the default sentences' plan: a bit a state and step,
    /// a byte for each that reaches a sentence end, then three numbers for
    /// each distance too long for a byte.
    pub(super) fn sentence_distances_len(&self) -> u128 {
        self.sentence_bits_len()
            + u128::from(self.sentence_reachable)
            + 12 * u128::from(self.sentence_far_count)
    }

    /// The bytes of the plan's bits, one a state and step.
    pub(super) fn sentence_bits_len(&self) -> u128 {
        (u128::from(self.state_count) * u128::from(self.sentence_steps)).div_ceil(8)
    }

    /// Fails unless a file of `actual` bytes is exactly the size the
    /// header promises.
    pub(super) fn check_size(&self, actual: u64) -> Result<(), ChainFileError> {
        let expected = self.file_size();
        match u128::from(actual) {
            actual if actual < expected => Err(ChainFileError::Truncated),
            actual if actual > expected => Err(ChainFileError::TrailingBytes {
                extra: actual - expected,
            }),
            _ => Ok(()),
        }
    }
}

/// How many bytes take `length` to a multiple of 4.
pub(super) fn padding_after(length: u128) -> usize {
    ((4 - length % 4) % 4) as usize
}

/// Opens the chain file at `path` and reads its fixed header: the file,
/// positioned after it, the header's bytes, and what they say.
pub(super) fn open_chain_file(
    path: &Path,
) -> Result<(File, [u8; HEADER_LEN], FixedHeader), ChainFileError> {
    let mut file = File::open(path)?;
    let mut bytes = [0u8; HEADER_LEN];
    let read = read_up_to(&mut file, &mut bytes)?;
    let fixed = parse_fixed_header(&bytes[..read])?;
    Ok((file, bytes, fixed))
}

/// Reads into `buffer` until it is full or the file ends; returns how many
/// bytes were read.
pub(super) fn read_up_to(file: &mut File, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match file.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

/// The fixed fields of a header, from its first bytes (all of them, unless
/// the file is shorter).
pub(super) fn parse_fixed_header(bytes: &[u8]) -> Result<FixedHeader, ChainFileError> {
    if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC {
        return Err(ChainFileError::NotAChainFile);
    }
    let mut fields = Fields::new(&bytes[MAGIC.len()..]);
    let version = fields.u32()?;
    if version > FORMAT_VERSION {
        return Err(ChainFileError::NewerFormat {
            version,
            supported: FORMAT_VERSION,
        });
    }
    if version < FORMAT_VERSION {
        return Err(ChainFileError::OlderFormat {
            version,
            supported: FORMAT_VERSION,
        });
    }
    let tokens_code = fields.u32()?;
    let Some(tokens) = Tokens::from_code(tokens_code) else {
        return Err(invalid(format!(
            "its tokens are of an unknown kind ({tokens_code})"
        )));
    };
    let fixed = FixedHeader {
        tokens,
        copy_index_len: fields.u32()?,
        windows: WindowLayout {
            stride: fields.u32()?,
            overlap: fields.u32()?,
        },
        order: fields.u32()? as usize,
        token_count: fields.u64()?,
        transition_count: fields.u64()?,
        vocabulary_size: fields.u32()?,
        vocabulary_bytes: fields.u64()?,
        state_count: fields.u32()?,
        distinct_transition_count: fields.u32()?,
        root_count: fields.u32()?,
        sentence_steps: fields.u32()?,
        sentence_reachable: fields.u32()?,
        sentence_far_count: fields.u32()?,
        least_sentence: fields.u64()?,
        metadata_len: fields.u32()? as usize,
    };
    if fixed.sentence_steps > MAX_SENTENCE_STEPS {
        return Err(invalid(format!(
            "its plan for sentences has {} steps a state, more than {MAX_SENTENCE_STEPS}",
            fixed.sentence_steps
        )));
    }
    if !(1..=MAX_ORDER).contains(&fixed.order) {
        return Err(invalid(format!(
            "its order is {}, not 1 to {MAX_ORDER}",
            fixed.order
        )));
    }
    if fixed.copy_index_len > 0 && fixed.windows.stride == 0 {
        return Err(invalid(
            "its copy index's windows start 0 tokens apart".into(),
        ));
    }
    if fixed.metadata_len > MAX_METADATA_BYTES {
        return Err(invalid(format!(
            "it claims {} bytes of metadata, more than {MAX_METADATA_BYTES}",
            fixed.metadata_len
        )));
    }
    Ok(fixed)
}

/// The most automaton steps a state a header may claim for the default
/// sentences' plan: one for each pair a sentence balances (14 today) and
/// one with none open, with room for more pairs. A load then uses a plan
/// only where its steps are those the chain's words give.
const MAX_SENTENCE_STEPS: u32 = 64;

pub(super) fn invalid(what: String) -> ChainFileError {
    ChainFileError::Invalid(what)
}

/// Little-endian numbers read one after another from a byte slice.
struct Fields<'a> {
    bytes: &'a [u8],
}

impl<'a> Fields<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Fields { bytes }
    }

    fn take(&mut self, count: usize) -> Result<&'a [u8], ChainFileError> {
        if self.bytes.len() < count {
            return Err(ChainFileError::Truncated);
        }
        let (taken, rest) = self.bytes.split_at(count);
        self.bytes = rest;
        Ok(taken)
    }

    fn u32(&mut self) -> Result<u32, ChainFileError> {
        let bytes = self.take(4)?;
        Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    fn u64(&mut self) -> Result<u64, ChainFileError> {
        let low = u64::from(self.u32()?);
        let high = u64::from(self.u32()?);
        Ok(low | high << 32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed header with these fields, as the file stores it.
    fn header_bytes(version: u32, order: u32, metadata_len: u32) -> Vec<u8> {
        header_bytes_with_stride(version, order, metadata_len, 8)
    }

    /// The same, with windows `stride` tokens apart that share 2.
    fn header_bytes_with_stride(
        version: u32,
        order: u32,
        metadata_len: u32,
        stride: u32,
    ) -> Vec<u8> {
        header_bytes_with(version, order, metadata_len, stride, 2)
    }

    /// The same, with a plan for sentences of `steps` steps a state.
    fn header_bytes_with(
        version: u32,
        order: u32,
        metadata_len: u32,
        stride: u32,
        steps: u32,
    ) -> Vec<u8> {
        let mut bytes = MAGIC.to_vec();
        bytes.extend(version.to_le_bytes());
        bytes.extend(Tokens::Lines.code().to_le_bytes());
        bytes.extend(5u32.to_le_bytes()); // a copy index of 5 tokens
        bytes.extend(stride.to_le_bytes()); // its windows
        bytes.extend(2u32.to_le_bytes());
        bytes.extend(order.to_le_bytes());
        bytes.extend(5u64.to_le_bytes()); // words
        bytes.extend(3u64.to_le_bytes()); // transitions
        bytes.extend(3u32.to_le_bytes()); // distinct words
        bytes.extend(9u64.to_le_bytes()); // their bytes
        bytes.extend(4u32.to_le_bytes()); // states
        bytes.extend(6u32.to_le_bytes()); // distinct pairs
        bytes.extend(1u32.to_le_bytes()); // one state that follows none
        bytes.extend(steps.to_le_bytes()); // the sentences' plan
        bytes.extend(3u32.to_le_bytes()); // 3 pairs that reach an end
        bytes.extend(1u32.to_le_bytes()); // one of whose distances is apart
        bytes.extend(7u64.to_le_bytes()); // the least sentence
        bytes.extend(metadata_len.to_le_bytes());
        assert_eq!(bytes.len(), HEADER_LEN);
        bytes
    }

    #[test]
    fn a_header_is_read_field_by_field() {
        let fixed = parse_fixed_header(&header_bytes(FORMAT_VERSION, 2, 7)).unwrap();
        assert_eq!(
            (fixed.order, fixed.token_count, fixed.vocabulary_size),
            (2, 5, 3)
        );
        assert_eq!(fixed.vocabulary_bytes, 9);
        assert_eq!((fixed.state_count, fixed.distinct_transition_count), (4, 6));
        assert_eq!(fixed.metadata_len, 7);
        // Header, metadata, word ends and bytes, state words (order 2),
        // follower offsets, followers and running counts, sentence marks,
        // checksum.
        assert_eq!(fixed.tokens, Tokens::Lines);
        assert_eq!((fixed.copy_index_len, fixed.transition_count), (5, 3));
        // The metadata and the words' bytes each padded to 4 bytes; last
        // words of 4 states and the state each follows, one root state
        // with its 2 words; a 0 and where each state's followers end; the
        // sentences' plan, a bit for each of 2 steps of 4 states, a byte
        // for 3 of them, one distance kept apart; 2 bytes of padding to a
        // multiple of 4 (the chain's sections take 258 bytes). With the
        // copy index, one window of all 5 tokens: token starts for 3
        // words, the separator and the end; 5 words of text at 2 bits (ids
        // 0 to 3) and their suffix array at 3 (starts 0 to 4), each in one
        // 4-byte word; and the index's checksum.
        let chain = 96
            + (7 + 1)
            + (4 * 3 + 9 + 3)
            + (4 * 4 + 4 * 4 + 4 * 3)
            + (4 * 5 + 8 * 6)
            + (1 + 1)
            + (1 + 3 + 12);
        assert_eq!((chain, fixed.padding()), (258, 2));
        let expected = chain + 2 + 4 + (4 * 5 + 4 + 4 + 4);
        assert_eq!(fixed.file_size(), expected);
        assert!(fixed.check_size(expected as u64).is_ok());
        assert!(matches!(
            fixed.check_size(expected as u64 - 1),
            Err(ChainFileError::Truncated)
        ));
        assert!(matches!(
            fixed.check_size(expected as u64 + 2),
            Err(ChainFileError::TrailingBytes { extra: 2 })
        ));
        // Windows 2 tokens apart, sharing 2: 0..4 and 2..5, each with its
        // token starts and its suffix array in a 4-byte word. The bug: a
        // size that counts one window's sections, so that a file with
        // several is refused as too long.
        let windowed =
            parse_fixed_header(&header_bytes_with_stride(FORMAT_VERSION, 2, 7, 2)).unwrap();
        assert_eq!(windowed.windows.count(5), 2);
        let expected = chain + 2 + 4 + (2 * 4 * 5 + 4 + 2 * 4 + 4);
        assert_eq!(windowed.file_size(), expected);
    }

    #[test]
    fn a_header_out_of_bounds_is_refused() {
        let cases = [
            (header_bytes(FORMAT_VERSION + 1, 1, 0), "newer"),
            (header_bytes(FORMAT_VERSION - 1, 1, 0), "older"),
            (header_bytes(FORMAT_VERSION, 0, 0), "order is 0"),
            (
                header_bytes(FORMAT_VERSION, MAX_ORDER as u32 + 1, 0),
                "order is 101",
            ),
            (
                header_bytes(FORMAT_VERSION, 1, MAX_METADATA_BYTES as u32 + 1),
                "metadata",
            ),
            (
                header_bytes_with_stride(FORMAT_VERSION, 1, 0, 0),
                "windows start 0 tokens apart",
            ),
            (
                header_bytes_with(FORMAT_VERSION, 1, 0, 8, MAX_SENTENCE_STEPS + 1),
                "65 steps a state, more than 64",
            ),
            (b"\x89MARKOV\n\x02".to_vec(), "truncated"),
            (b"MARKOV".to_vec(), "not a markov chain file"),
        ];
        for (bytes, message) in cases {
            let Err(error) = parse_fixed_header(&bytes) else {
                panic!("{message}: accepted");
            };
            assert!(error.to_string().contains(message), "{error}");
        }
    }
}
