//! What a careful forger of chain files does after changing one: sets its
//! checksums to those of what they cover. Shared by the chain file tests
//! and the `load_chain` fuzz target (which includes this file by path).

/// Sets `bytes`' checksums to those of what they cover: the chain's, after
/// its sections, and with a copy index, the index's, at the end. Where the
/// header says the index starts; a header forged past the file leaves the
/// last four bytes as the chain's checksum.
pub(crate) fn fix_checksums(bytes: &mut [u8]) {
    let number = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    // The copy index's tokens, then the distinct words, as the header
    // holds them.
    let (tokens, vocabulary) = (number(16), number(48));
    let index = match tokens {
        0 => 0,
        tokens => {
            let layout = index_layout_of(tokens, vocabulary);
            4 * (vocabulary + 2) + layout.text_bytes + layout.suffix_bytes + 4
        }
    };
    let last = bytes.len() - 4;
    let mut fix = |start: usize, end: usize| {
        let checksum = crc32fast::hash(&bytes[start..end]);
        bytes[end..end + 4].copy_from_slice(&checksum.to_le_bytes());
    };
    match last.checked_sub(index) {
        Some(chain_end) if index > 0 => {
            fix(0, chain_end);
            fix(chain_end + 4, last);
        }
        _ => fix(0, last),
    }
}

/// Where a guarded file's copy index keeps its text and suffix array, and
/// how: each id packed in as many bits as the largest can need.
#[allow(dead_code, reason = "each user reads some of the fields")]
pub(crate) struct IndexLayout {
    pub(crate) tokens: usize,
    /// Where the text starts, and the bits of each id.
    pub(crate) text: usize,
    pub(crate) text_width: u32,
    pub(crate) text_bytes: usize,
    /// Where the suffix array starts, and the bits of each start.
    pub(crate) suffixes: usize,
    pub(crate) suffix_width: u32,
    pub(crate) suffix_bytes: usize,
}

fn width_for(largest: usize) -> u32 {
    (usize::BITS - largest.leading_zeros()).max(1)
}

fn packed_bytes(count: usize, width: u32) -> usize {
    (count * width as usize).div_ceil(32) * 4
}

fn index_layout_of(tokens: usize, vocabulary: usize) -> IndexLayout {
    // The ids are the words and the separator; the starts, the tokens'.
    let (text_width, suffix_width) = (width_for(vocabulary), width_for(tokens - 1));
    let (text_bytes, suffix_bytes) = (
        packed_bytes(tokens, text_width),
        packed_bytes(tokens, suffix_width),
    );
    IndexLayout {
        tokens,
        text: 0,
        text_width,
        text_bytes,
        suffixes: 0,
        suffix_width,
        suffix_bytes,
    }
}

/// The layout of `bytes`' copy index, which it must have.
#[allow(dead_code, reason = "the fuzz target only fixes checksums")]
pub(crate) fn index_layout(bytes: &[u8]) -> IndexLayout {
    let number = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    let mut layout = index_layout_of(number(16), number(48));
    layout.suffixes = bytes.len() - 4 - layout.suffix_bytes;
    layout.text = layout.suffixes - layout.text_bytes;
    layout
}

/// The id at `index` of the ids packed at `width` bits from byte `at`.
#[allow(dead_code, reason = "the fuzz target only fixes checksums")]
pub(crate) fn packed_id(bytes: &[u8], at: usize, width: u32, index: usize) -> u32 {
    let bit = index * width as usize;
    (0..width as usize)
        .map(|offset| {
            let bit = bit + offset;
            u32::from(bytes[at + bit / 8] >> (bit % 8) & 1) << offset
        })
        .sum()
}

/// Sets the id at `index` of the ids packed at `width` bits from byte
/// `at` to `value`, of which only `width` bits are kept.
#[allow(dead_code, reason = "the fuzz target only fixes checksums")]
pub(crate) fn set_packed_id(bytes: &mut [u8], at: usize, width: u32, index: usize, value: u32) {
    let bit = index * width as usize;
    for offset in 0..width as usize {
        let (byte, shift) = (at + (bit + offset) / 8, (bit + offset) % 8);
        let set = (value >> offset & 1) as u8;
        bytes[byte] = bytes[byte] & !(1 << shift) | set << shift;
    }
}
