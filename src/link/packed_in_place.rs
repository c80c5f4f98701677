//! Ids kept in fewer bits for a while, in their own vector's memory.
//!
//! A build past order 1 holds its states' last words through the last
//! round's link, its peak of memory, without reading them there. Packed to
//! the bits the largest word needs (19 for WordNet's 286 thousand words),
//! they free the rest of their pages for that round; packed and unpacked in
//! place, no new vector's pages are faulted in, which on the machine of
//! docs/performance.md cost as much as the packing itself.

/// Ids packed into the first words of the vector that held them.
pub(super) struct PackedInPlace {
    /// The packed bits, little end first: id `i` at bits `i * width` on.
    words: Vec<u32>,
    len: usize,
    /// Bits an id, 1 to 32.
    width: u32,
}

impl PackedInPlace {
    /// `ids` packed, the vector shrunk to what they take.
    pub(super) fn new(mut ids: Vec<u32>) -> Self {
        let len = ids.len();
        let largest = ids.iter().copied().max().unwrap_or(0);
        let width = (u32::BITS - largest.leading_zeros()).max(1);
        if width < u32::BITS {
            // Word `written` takes bits of ids up to `index`, so it is
            // never past the id read last.
            let (mut pending, mut bits, mut written) = (0u64, 0u32, 0usize);
            for index in 0..len {
                pending |= u64::from(ids[index]) << bits;
                bits += width;
                if bits >= u32::BITS {
                    ids[written] = pending as u32;
                    written += 1;
                    pending >>= u32::BITS;
                    bits -= u32::BITS;
                }
            }
            if bits > 0 {
                ids[written] = pending as u32;
                written += 1;
            }
            ids.truncate(written);
            ids.shrink_to_fit();
        }
        PackedInPlace {
            words: ids,
            len,
            width,
        }
    }

    /// The ids, unpacked into the same vector, grown back.
    pub(super) fn into_values(self) -> Vec<u32> {
        let PackedInPlace {
            words: mut ids,
            len,
            width,
        } = self;
        if width == u32::BITS {
            return ids;
        }
        let packed = ids.len();
        ids.resize(len, 0);
        let mask = (1u64 << width) - 1;
        // From the last id back: id `i` is written at word `i`, and its
        // bits lie in words `i * width / 32` and the one after, which is
        // at most `i` for a width under 32, so it is read before it is
        // written, and every word past it is already unpacked.
        for index in (0..len).rev() {
            let bit = index as u64 * u64::from(width);
            let word = (bit / 32) as usize;
            let low = u64::from(ids[word]);
            let high = if word + 1 < packed {
                u64::from(ids[word + 1])
            } else {
                0
            };
            ids[index] = (((high << 32 | low) >> (bit % 32)) & mask) as u32;
        }
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ids of every width, from a simple generator, with the largest the
    /// width holds among them so that the width is the one asked for.
    fn ids(len: usize, width: u32) -> Vec<u32> {
        let largest = u32::MAX >> (32 - width);
        let mut state = 0x2545_F491_4F6C_DD1Du64.wrapping_add(u64::from(width));
        (0..len)
            .map(|index| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                if index == len / 2 {
                    largest
                } else {
                    (state as u32) & largest
                }
            })
            .collect()
    }

    #[test]
    fn ids_of_every_width_and_length_come_back_unchanged() {
        // Would catch an id read after the word it lies in was unpacked
        // over, a last partial word dropped, or a high word read past the
        // packed ones.
        for width in 1..=32 {
            for len in [0, 1, 2, 3, 31, 32, 33, 64, 65, 1000] {
                let original = ids(len, width);
                let packed = PackedInPlace::new(original.clone());
                if len > 0 {
                    assert_eq!(packed.width, width, "{len} ids");
                }
                assert_eq!(packed.into_values(), original, "width {width}, {len} ids");
            }
        }
    }

    #[test]
    fn packing_frees_the_bits_above_the_largest_id() {
        // Would catch a packing that kept the vector's length.
        let packed = PackedInPlace::new(ids(1000, 19));
        assert_eq!(packed.words.len(), (1000usize * 19).div_ceil(32));
        assert!(packed.words.capacity() < 1000);
    }
}
