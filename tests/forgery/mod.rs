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
    let (tokens, vocabulary) = (number(16), number(40));
    let index = match tokens {
        0 => 0,
        tokens => 4 * (vocabulary + 2) + 8 * tokens + 4,
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
