//! A set of ids below a fixed bound, one bit each: a chain's sentence marks,
//! and the positions a suffix sort looks up at random, kept small enough to
//! stay in cache.

/// A set of ids below a fixed bound.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct BitSet {
    words: Vec<u64>,
    len: usize,
}

impl BitSet {
    /// An empty set of ids below `len`.
    pub(crate) fn new(len: usize) -> Self {
        BitSet {
            words: vec![0; len.div_ceil(64)],
            len,
        }
    }

    /// The set whose bytes (bit `i % 8` of byte `i / 8`, little-endian) are
    /// `bytes`, or `None` unless there are exactly enough bytes for `len`
    /// ids and every bit past `len` is clear.
    pub(crate) fn from_bytes(bytes: &[u8], len: usize) -> Option<Self> {
        if bytes.len() != len.div_ceil(8) {
            return None;
        }
        let mut set = BitSet::new(len);
        for (index, &byte) in bytes.iter().enumerate() {
            set.words[index / 8] |= u64::from(byte) << (8 * (index % 8));
        }
        let past_end = set.words.last().map_or(0, |&last| {
            let used = len % 64;
            if used == 0 {
                0
            } else {
                last >> used
            }
        });
        (past_end == 0).then_some(set)
    }

    /// The set as bytes, as [`BitSet::from_bytes`] reads them.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut bytes: Vec<u8> = self
            .words
            .iter()
            .flat_map(|word| word.to_le_bytes())
            .collect();
        bytes.truncate(self.len.div_ceil(8));
        bytes
    }

    pub(crate) fn insert(&mut self, id: usize) {
        self.words[id / 64] |= 1 << (id % 64);
    }

    /// Adds every id of `other`, a set of the same length.
    pub(crate) fn insert_all(&mut self, other: &BitSet) {
        for (word, &more) in self.words.iter_mut().zip(&other.words) {
            *word |= more;
        }
    }

    pub(crate) fn contains(&self, id: usize) -> bool {
        self.words[id / 64] >> (id % 64) & 1 == 1
    }

    /// The ids in the set, in order.
    pub(crate) fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.words.iter().enumerate().flat_map(|(index, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                (rest != 0).then(|| {
                    let bit = rest.trailing_zeros();
                    rest &= rest - 1;
                    (index * 64) as u32 + bit
                })
            })
        })
    }
}
