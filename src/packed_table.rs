//! A hash table from nonzero `u64` keys to `u32` ids, for the words of up to
//! seven bytes that make up most of any text.

/// What the interner keeps for each distinct word: its id, and how many
/// times the word has been seen.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Interned {
    pub(crate) id: u32,
    pub(crate) count: u32,
}

impl Interned {
    /// A word seen for the first time.
    pub(crate) fn first(id: u32) -> Self {
        Interned { id, count: 1 }
    }

    /// Counts one more sighting of the word, and returns its id.
    pub(crate) fn seen_again(&mut self) -> u32 {
        self.count += 1;
        self.id
    }
}

const UNUSED: Interned = Interned { id: 0, count: 0 };

/// The multiplier of the hash: odd, with bits spread over the whole word
/// (the 64-bit golden ratio), so that the top bits of the product depend on
/// every byte of the key.
const HASH_MULTIPLIER: u64 = 0x9E37_79B9_7F4A_7C15;

/// The key of an empty slot. Real keys are never zero: they carry the
/// word's length, at least one, in their top byte.
const EMPTY: u64 = 0;

/// An open-addressing table with linear probing.
///
/// Made for the interner's inner loop: a lookup is one multiply, one shift
/// and, almost always, one load and one compare. General-purpose maps pay
/// for features this loop does not use (deletion, any key type, group
/// probing), and those costs show at ten million words.
#[derive(Debug)]
pub(crate) struct PackedTable {
    /// Keys, with what is stored for each, side by side so that a hit reads
    /// and writes one cache line.
    slots: Vec<(u64, Interned)>,
    /// `64 - log2(slots.len())`: the product's top bits index the table.
    shift: u32,
    len: usize,
}

impl PackedTable {
    /// An empty table.
    pub(crate) fn new() -> Self {
        const INITIAL_SLOTS: usize = 1 << 10;
        PackedTable {
            slots: vec![(EMPTY, UNUSED); INITIAL_SLOTS],
            shift: 64 - INITIAL_SLOTS.trailing_zeros(),
            len: 0,
        }
    }

    fn home(&self, key: u64) -> usize {
        (key.wrapping_mul(HASH_MULTIPLIER) >> self.shift) as usize
    }

    /// The id stored for `key`, or `new_id()` stored and returned when
    /// `key` is not in the table yet. Either way, counts one more use of
    /// the key.
    ///
    /// # Panics
    /// If `key` is zero, which marks empty slots.
    pub(crate) fn get_or_insert_with(&mut self, key: u64, new_id: impl FnOnce() -> u32) -> u32 {
        assert_ne!(key, EMPTY, "zero is not a valid key");
        let mask = self.slots.len() - 1;
        let mut index = self.home(key);
        loop {
            let slot = &mut self.slots[index];
            if slot.0 == key {
                return slot.1.seen_again();
            }
            if slot.0 == EMPTY {
                break;
            }
            index = (index + 1) & mask;
        }
        let id = new_id();
        self.slots[index] = (key, Interned::first(id));
        self.len += 1;
        // Keep at least half the slots empty, so that probe runs stay short.
        if self.len * 2 > self.slots.len() {
            self.grow();
        }
        id
    }

    fn grow(&mut self) {
        let doubled = vec![(EMPTY, UNUSED); self.slots.len() * 2];
        let old = std::mem::replace(&mut self.slots, doubled);
        self.shift -= 1;
        let mask = self.slots.len() - 1;
        for slot in old.into_iter().filter(|&(key, _)| key != EMPTY) {
            let mut index = self.home(slot.0);
            while self.slots[index].0 != EMPTY {
                index = (index + 1) & mask;
            }
            self.slots[index] = slot;
        }
    }

    /// What is stored for every key in the table.
    pub(crate) fn values(&self) -> impl Iterator<Item = &Interned> {
        self.slots
            .iter()
            .filter(|(key, _)| *key != EMPTY)
            .map(|(_, interned)| interned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_every_key_through_growth() {
        let mut table = PackedTable::new();
        let mut next = 0u32;
        // Keys that differ only in their low bits, and in their high bits.
        let keys: Vec<u64> = (1..5000u64).flat_map(|n| [n, n << 40]).collect();
        for &key in &keys {
            let id = table.get_or_insert_with(key, || {
                next += 1;
                next - 1
            });
            assert_eq!(id, next - 1, "a new key gets a new id");
        }
        for (expected, &key) in keys.iter().enumerate() {
            let id = table.get_or_insert_with(key, || unreachable!("{key} was inserted"));
            assert_eq!(id as usize, expected);
        }
        assert_eq!(table.len, keys.len());
        // Each key was met twice, and no slot holds anything else.
        let mut ids: Vec<u32> = table.values().map(|interned| interned.id).collect();
        ids.sort_unstable();
        assert!(ids.iter().copied().eq(0..keys.len() as u32));
        assert!(table.values().all(|interned| interned.count == 2));
    }
}
