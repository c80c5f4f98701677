//! The training text as token ids with its suffix array: what the copy
//! guard asks to know whether a run of tokens occurs in the text, and which
//! tokens followed it there.

use std::cmp::Ordering;
use std::ops::Range;
#[cfg(all(target_endian = "little", not(windows)))]
use std::sync::Arc;
use std::sync::OnceLock;

use crate::build_options::{SuffixSort, Watch};
use crate::error::{ChainError, ChainFileError};
use crate::sampled_search::{first_past, samples_of};
use crate::suffix_array::suffix_array;

mod on_demand;

use on_demand::OnDemandSuffixes;

/// A chain's text, token by token, and its suffix array.
///
/// The suffixes starting with a given run of tokens are one stretch of the
/// suffix array (an interval), found by binary search; within it, the
/// suffixes that go on with a given token are a narrower stretch. So the
/// guard keeps the interval of the output's last tokens and narrows it by
/// one token a step, as infini-gram does.
///
/// A saved chain's index is read in place from its mapped file, unchecked
/// until [`CopyIndex::check`]: every read of it stays within the text and
/// the suffix array whatever they hold, so that a forged file can make the
/// guard miss copies or stop, but never read out of bounds.
#[derive(Clone, Debug)]
pub struct CopyIndex {
    text: Ids,
    suffixes: Suffixes,
    /// Where the suffixes that start with each token id start in the
    /// suffix array, and one past the last: token `t`'s are
    /// `first_token[t]..first_token[t + 1]`. Never falls, and ends at the
    /// text's length.
    first_token: Vec<u32>,
    /// The checksum a chain file stored for the index, checked by
    /// [`CopyIndex::check`] when the index was not read whole.
    stored_checksum: Option<u32>,
    /// Made by the first guard that narrows by them, once its output is
    /// long: a chain that is only trained and saved, or walked without the
    /// guard or for a short output, never needs them.
    tails: OnceLock<Tails>,
}

impl PartialEq for CopyIndex {
    fn eq(&self, other: &Self) -> bool {
        // The rest is made from these two.
        self.text() == other.text() && self.suffixes() == other.suffixes()
    }
}

impl Eq for CopyIndex {}

/// The suffix array, whole or sorted on demand.
#[derive(Clone, Debug)]
enum Suffixes {
    Whole(Ids),
    OnDemand(OnDemandSuffixes),
}

/// What a check found wrong.
fn invalid(what: &str) -> ChainFileError {
    ChainFileError::Invalid(what.into())
}

/// How many ids a check reads between two looks at the cancel flag.
const IDS_BETWEEN_CANCEL_CHECKS: usize = 1 << 22;

/// Token ids (of the text, or of the suffix array): in memory, or in a
/// mapped chain file.
#[derive(Clone, Debug)]
pub(crate) enum Ids {
    Owned(Vec<u32>),
    /// `len` ids at byte `start` of `file`, 4-aligned there: the file is
    /// little-endian, as the machine is.
    #[cfg(all(target_endian = "little", not(windows)))]
    Mapped {
        file: Arc<memmap2::Mmap>,
        start: usize,
        len: usize,
    },
}

impl Ids {
    /// `len` ids at byte `start` of `file`, or `None` when they are not
    /// all within it or not 4-aligned in memory.
    #[cfg(all(target_endian = "little", not(windows)))]
    pub(crate) fn mapped(file: &Arc<memmap2::Mmap>, start: usize, len: usize) -> Option<Self> {
        let end = start.checked_add(len.checked_mul(4)?)?;
        bytemuck::try_cast_slice::<u8, u32>(file.get(start..end)?).ok()?;
        Some(Ids::Mapped {
            file: Arc::clone(file),
            start,
            len,
        })
    }

    fn as_slice(&self) -> &[u32] {
        match self {
            Ids::Owned(ids) => ids,
            // Checked to fit and be aligned when made.
            #[cfg(all(target_endian = "little", not(windows)))]
            Ids::Mapped { file, start, len } => {
                bytemuck::cast_slice(&file[*start..*start + 4 * *len])
            }
        }
    }
}

/// Where each suffix goes on without its first token: for each slot of
/// the suffix array, one more than the slot of the suffix one token
/// shorter, or 0 when that is empty. (The Ψ function of compressed suffix
/// arrays.) Within an interval whose suffixes share their first token, the
/// tails rise, so a run is narrowed by a token with one look-up a step of
/// its binary search, not two (the suffix's start, then its token).
#[derive(Clone, Debug)]
struct Tails {
    slots: Vec<u32>,
    /// [`samples_of`] `slots`, for wide searches.
    samples: Vec<u32>,
}

impl Tails {
    /// The tails of `index`'s suffixes, from the rank of each suffix.
    fn of(index: &CopyIndex) -> Self {
        // Two passes with one random access each. (Filling each token's
        // interval in turn, in one pass over the suffix array, reads the
        // text and writes the tails at random in the same step, and took
        // four times as long.)
        let suffixes = index.suffixes();
        let mut rank = vec![0u32; index.len()];
        for (slot, &start) in suffixes.iter().enumerate() {
            // Only a forged file has a start outside the text.
            if let Some(rank) = rank.get_mut(start as usize) {
                *rank = slot as u32;
            }
        }
        let slots: Vec<u32> = (suffixes.iter())
            .map(|&start| rank.get(start as usize + 1).map_or(0, |&slot| slot + 1))
            .collect();
        let samples = samples_of(&slots);
        Tails { slots, samples }
    }

    /// The first slot of `range` whose tail is above `bound` (or the end of
    /// `range`), when the tails rise over `range`.
    fn first_above(&self, range: Range<usize>, bound: usize) -> usize {
        first_past(&self.slots, &self.samples, range, |tail| {
            tail as usize > bound
        })
    }
}

impl CopyIndex {
    /// The index of `text`, whose ids are all below `alphabet`, with its
    /// suffixes sorted as `sort` says; `watch` can cancel the sort.
    pub(crate) fn new(
        text: Vec<u32>,
        alphabet: u32,
        sort: SuffixSort,
        watch: Watch,
    ) -> Result<Self, ChainError> {
        let (text, suffixes, first_token) = match sort {
            SuffixSort::Whole => {
                let (text, suffixes) = suffix_array(text, alphabet, watch)?;
                let first_token = token_starts(&text, alphabet as usize);
                (text, Suffixes::Whole(Ids::Owned(suffixes)), first_token)
            }
            SuffixSort::OnDemand => {
                watch.check()?;
                let first_token = token_starts(&text, alphabet as usize);
                let suffixes = OnDemandSuffixes::new(&text, &first_token, alphabet);
                (text, Suffixes::OnDemand(suffixes), first_token)
            }
        };
        Ok(CopyIndex {
            text: Ids::Owned(text),
            suffixes,
            first_token,
            stored_checksum: None,
            tails: OnceLock::new(),
        })
    }

    /// An index as a chain file holds it, read or mapped, with the
    /// checksum the file stored when it was not checked on reading; or
    /// `None` unless its parts fit together: as many suffixes as tokens,
    /// and token starts from 0 that never fall and end at the text's
    /// length. That is all it checks, in time of the starts alone; see
    /// [`CopyIndex::check`] for the rest.
    pub(crate) fn from_file(
        text: Ids,
        suffixes: Ids,
        first_token: Vec<u32>,
        stored_checksum: Option<u32>,
    ) -> Option<Self> {
        let length = text.as_slice().len();
        let fits = suffixes.as_slice().len() == length
            && first_token.first() == Some(&0)
            && first_token.last().map(|&end| end as usize) == Some(length)
            && first_token.windows(2).all(|pair| pair[0] <= pair[1]);
        fits.then(|| CopyIndex {
            text,
            suffixes: Suffixes::Whole(suffixes),
            first_token,
            stored_checksum,
            tails: OnceLock::new(),
        })
    }

    /// Where the suffixes of each token id of `0..alphabet` start in the
    /// suffix array, and its length: what a chain file stores.
    pub(crate) fn token_starts(&self, alphabet: usize) -> impl Iterator<Item = u32> + '_ {
        let end = self.len() as u32;
        (0..=alphabet).map(move |token| {
            self.first_token
                .get(token)
                .map_or(end, |&start| start.min(end))
        })
    }

    /// Checks what [`CopyIndex::from_file`] leaves out: the stored
    /// checksum of `token_starts`, the text and the suffix array as the
    /// file held them (`file_checksum` computes it); every id of the
    /// text at most `separator` (documents are joined by it); `tokens`
    /// of them below it, as the chain counts; the token starts those of
    /// the text; and the suffix array a permutation of the text's
    /// positions in which every suffix is larger than the one before it.
    /// A forged index would make the guard miss copies. Says what is
    /// wrong, or that `watch` cancelled it. The suffix array is checked on
    /// a thread of its own beside the rest.
    pub(crate) fn check(
        &self,
        separator: u32,
        tokens: usize,
        watch: Watch,
    ) -> Result<(), ChainFileError> {
        let (order, rest) = std::thread::scope(|scope| {
            let order = scope.spawn(|| self.is_suffix_array_of_its_text(watch));
            let rest = self.check_all_but_the_order(separator, tokens, watch);
            (order.join(), rest)
        });
        rest?;
        match order {
            Ok(Ok(true)) => Ok(()),
            Ok(Ok(false)) => Err(invalid(
                "its copy index is not the suffix array of its text",
            )),
            Ok(Err(cancelled)) => Err(cancelled.into()),
            // The check raises no panic of its own.
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }

    fn check_all_but_the_order(
        &self,
        separator: u32,
        tokens: usize,
        watch: Watch,
    ) -> Result<(), ChainFileError> {
        if let Some(stored) = self.stored_checksum {
            if stored != self.file_checksum(separator as usize + 1, watch)? {
                return Err(invalid("its copy index does not match its checksum"));
            }
        }
        let text = self.text();
        let mut indexed = 0;
        for block in text.chunks(IDS_BETWEEN_CANCEL_CHECKS) {
            watch.check()?;
            if block.iter().any(|&id| id > separator) {
                return Err(invalid(
                    "its copy index has a word that is not in its vocabulary",
                ));
            }
            indexed += block.iter().filter(|&&id| id < separator).count();
        }
        // The index holds the text the chain counts, word for word: a
        // header that claims more would make every later merge fail.
        if indexed != tokens {
            return Err(ChainFileError::Invalid(format!(
                "its header counts {tokens} words, but its copy index holds {indexed}"
            )));
        }
        let starts = token_starts(text, separator as usize + 1);
        if !self.token_starts(separator as usize + 1).eq(starts) {
            return Err(invalid(
                "its copy index's token starts are not those of its text",
            ));
        }
        Ok(())
    }

    /// The CRC-32 of the index's sections as a chain file stores them, for
    /// an alphabet of `alphabet` ids.
    pub(crate) fn file_checksum(&self, alphabet: usize, watch: Watch) -> Result<u32, ChainError> {
        let mut hasher = crc32fast::Hasher::new();
        let starts: Vec<u32> = self.token_starts(alphabet).collect();
        for section in [&starts[..], self.text(), self.suffixes()] {
            for block in section.chunks(IDS_BETWEEN_CANCEL_CHECKS) {
                watch.check()?;
                if cfg!(target_endian = "little") {
                    hasher.update(bytemuck::cast_slice(block));
                } else {
                    let bytes: Vec<u8> = block.iter().flat_map(|id| id.to_le_bytes()).collect();
                    hasher.update(&bytes);
                }
            }
        }
        Ok(hasher.finalize())
    }

    /// Whether the suffix array is a permutation of the text's positions in
    /// which every suffix is larger than the one before it.
    fn is_suffix_array_of_its_text(&self, watch: Watch) -> Result<bool, ChainError> {
        let (text, suffixes) = (self.text(), self.suffixes());
        // Each suffix's place in the array: a permutation writes each slot
        // once.
        let mut rank = vec![u32::MAX; text.len()];
        for (block, starts) in suffixes.chunks(IDS_BETWEEN_CANCEL_CHECKS).enumerate() {
            watch.check()?;
            let first = block * IDS_BETWEEN_CANCEL_CHECKS;
            for (offset, &start) in starts.iter().enumerate() {
                match rank.get_mut(start as usize) {
                    Some(slot) if *slot == u32::MAX => *slot = (first + offset) as u32,
                    _ => return Ok(false),
                }
            }
        }
        // Sorted: each suffix above the one before it. Checking this
        // compares the two suffixes up to where they differ, which on a
        // repetitive text is long; with the ranks it is linear.
        let in_order = |pair: &[u32]| {
            let (a, b) = (pair[0] as usize, pair[1] as usize);
            match text[a].cmp(&text[b]) {
                Ordering::Less => true,
                Ordering::Greater => false,
                // Same first token: the rest decides, and the rest is a
                // suffix too, whose place the ranks give. A suffix that
                // ends first is the smaller.
                Ordering::Equal => match (rank.get(a + 1), rank.get(b + 1)) {
                    (None, _) => true,
                    (Some(_), None) => false,
                    (Some(next_a), Some(next_b)) => next_a < next_b,
                },
            }
        };
        // Blocks that overlap by one suffix, so that every pair is seen,
        // shared by two threads: each pair is a few reads at random.
        let pairs_in = |range: Range<usize>| -> Result<bool, ChainError> {
            let mut start = range.start;
            while start < range.end {
                watch.check()?;
                let end = (start + IDS_BETWEEN_CANCEL_CHECKS).min(range.end);
                if !suffixes[start..=end].windows(2).all(in_order) {
                    return Ok(false);
                }
                start = end;
            }
            Ok(true)
        };
        let last = suffixes.len().saturating_sub(1);
        let middle = last / 2;
        std::thread::scope(|scope| {
            let second = scope.spawn(|| pairs_in(middle..last));
            let first = pairs_in(0..middle);
            let second = second
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            Ok(first? && second?)
        })
    }

    /// The suffix array's interval of the suffixes that start with `token`.
    pub(crate) fn starting_with(&self, token: u32) -> Range<usize> {
        let token = token as usize;
        match (self.first_token.get(token), self.first_token.get(token + 1)) {
            (Some(&start), Some(&end)) => start as usize..end as usize,
            _ => 0..0,
        }
    }

    /// The text as token ids.
    pub(crate) fn text(&self) -> &[u32] {
        self.text.as_slice()
    }

    /// The suffix array: where each suffix starts, in sorted order. An
    /// index sorted on demand sorts it whole the first time, as long as
    /// [`SuffixSort::Whole`] would have taken.
    pub(crate) fn suffixes(&self) -> &[u32] {
        match &self.suffixes {
            Suffixes::Whole(suffixes) => suffixes.as_slice(),
            Suffixes::OnDemand(suffixes) => suffixes.whole(self.text()),
        }
    }

    /// Within `range`, the whole interval of the suffixes that share their
    /// first `depth` tokens (as [`CopyIndex::starting_with`] and this
    /// return them), those whose next token is `token`.
    pub(crate) fn narrow(&self, range: Range<usize>, depth: usize, token: u32) -> Range<usize> {
        match &self.suffixes {
            Suffixes::Whole(suffixes) => {
                narrowed_within(self.text(), suffixes.as_slice(), range, depth, token)
            }
            Suffixes::OnDemand(suffixes) => suffixes.narrow(self.text(), range, depth, token),
        }
    }

    /// Whether a suffix in `range` of the suffix array starts where
    /// `wanted` says.
    pub(crate) fn any_start(&self, range: Range<usize>, wanted: impl FnMut(usize) -> bool) -> bool {
        match &self.suffixes {
            Suffixes::Whole(suffixes) => {
                let starts = suffixes.as_slice().get(range).unwrap_or_default();
                starts.iter().map(|&start| start as usize).any(wanted)
            }
            Suffixes::OnDemand(suffixes) => suffixes.any_start(range, wanted),
        }
    }

    /// Whether a guard may narrow by the tails: only through a whole
    /// suffix array, which an index sorted on demand is not worth sorting
    /// for them.
    pub(crate) fn may_narrow_by_tails(&self) -> bool {
        matches!(self.suffixes, Suffixes::Whole(_))
    }

    /// Whether the tails are made yet.
    pub(crate) fn has_tails(&self) -> bool {
        self.tails.get().is_some()
    }

    /// Within `range`, whose suffixes all share their first token, those
    /// whose rest (the suffix less its first token) is in the interval
    /// `rest`: the narrowing of a run by a token, when the run less its
    /// first token is already narrowed by it, to `rest`. One look-up a step
    /// of the search, not two.
    pub(crate) fn narrow_by_tails(&self, range: Range<usize>, rest: Range<usize>) -> Range<usize> {
        let tails = self.tails.get_or_init(|| Tails::of(self));
        let low = tails.first_above(range.clone(), rest.start);
        let high = tails.first_above(low..range.end, rest.end);
        low..high
    }

    /// How many tokens the text has.
    pub(crate) fn len(&self) -> usize {
        self.text().len()
    }
}

/// Within `range` of `suffixes`, whose suffixes of `text` all share their
/// first `depth` tokens and are sorted by the next, those whose next token
/// is `token`.
fn narrowed_within(
    text: &[u32],
    suffixes: &[u32],
    range: Range<usize>,
    depth: usize,
    token: u32,
) -> Range<usize> {
    let stretch = suffixes.get(range.clone()).unwrap_or_default();
    // A suffix that ends within the first `depth` tokens has no next
    // token; it sorts first.
    let next = |start: u32| text.get(start as usize + depth).copied();
    let low = stretch.partition_point(|&start| next(start) < Some(token));
    // The run of `token` is usually short: galloped from its start
    // rather than searched for over the whole stretch again.
    let rest = &stretch[low..];
    let mut bound = 1;
    while bound < rest.len() && next(rest[bound]) == Some(token) {
        bound *= 2;
    }
    let checked = bound / 2;
    let window = &rest[checked..bound.min(rest.len())];
    let high = low + checked + window.partition_point(|&start| next(start) == Some(token));
    range.start + low..range.start + high
}

/// Where the suffixes of each id of `0..alphabet` start in the suffix
/// array of `text`, and its length: `alphabet + 1` entries, counted.
fn token_starts(text: &[u32], alphabet: usize) -> Vec<u32> {
    let mut first_token = vec![0u32; alphabet + 1];
    for &token in text {
        if let Some(count) = first_token.get_mut(token as usize + 1) {
            *count += 1;
        }
    }
    for index in 1..first_token.len() {
        first_token[index] += first_token[index - 1];
    }
    first_token
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The suffix array's interval of the suffixes that start with
    /// `tokens`, narrowed a token at a time.
    fn occurrences(index: &CopyIndex, tokens: &[u32]) -> Range<usize> {
        let mut range = 0..index.len();
        for (depth, &token) in tokens.iter().enumerate() {
            range = index.narrow(range, depth, token);
        }
        range
    }

    fn positions(index: &CopyIndex, tokens: &[u32]) -> Vec<usize> {
        let mut found = Vec::new();
        index.any_start(occurrences(index, tokens), |start| {
            found.push(start);
            false
        });
        found.sort_unstable();
        found
    }

    #[test]
    fn finds_every_occurrence_of_a_run() {
        for sort in [SuffixSort::Whole, SuffixSort::OnDemand] {
            let text = vec![0, 1, 2, 0, 1, 3, 0, 1];
            let index = CopyIndex::new(text, 4, sort, Watch::none()).unwrap();
            assert_eq!(positions(&index, &[0, 1]), [0, 3, 6]);
            assert_eq!(positions(&index, &[0, 1, 2]), [0]);
            assert_eq!(positions(&index, &[1, 0]), Vec::<usize>::new());
            assert_eq!(positions(&index, &[]).len(), 8);
            let both = occurrences(&index, &[0, 1]);
            assert_eq!(index.narrow(both, 2, 3).len(), 1);
        }
    }

    /// The index as a file holds it: its text, suffix array and starts.
    fn as_in_a_file(index: &CopyIndex, alphabet: usize) -> (Vec<u32>, Vec<u32>, Vec<u32>) {
        let starts = index.token_starts(alphabet).collect();
        (index.text().to_vec(), index.suffixes().to_vec(), starts)
    }

    fn from_file(text: Vec<u32>, suffixes: Vec<u32>, starts: Vec<u32>) -> Option<CopyIndex> {
        CopyIndex::from_file(Ids::Owned(text), Ids::Owned(suffixes), starts, None)
    }

    #[test]
    fn a_forged_index_is_refused_at_once_or_found_out_by_the_check() {
        // Two documents, "2 1" and "2 1 0", joined by the separator 3.
        let index =
            CopyIndex::new(vec![2, 1, 3, 2, 1, 0], 4, SuffixSort::Whole, Watch::none()).unwrap();
        let (text, suffixes, starts) = as_in_a_file(&index, 4);
        assert_eq!(starts, [0, 1, 3, 5, 6]);
        let sound = from_file(text.clone(), suffixes.clone(), starts.clone()).unwrap();
        assert_eq!(sound, index);
        sound.check(3, 5, Watch::none()).unwrap();
        // What the checks on loading refuse: parts that do not fit.
        assert!(from_file(text.clone(), suffixes[1..].to_vec(), starts.clone()).is_none());
        for forged_starts in [[1, 1, 3, 5, 6], [0, 3, 1, 5, 6], [0, 1, 3, 5, 7]] {
            assert!(from_file(text.clone(), suffixes.clone(), forged_starts.to_vec()).is_none());
        }
        // What only the check finds, each with its own message.
        let checked = |text: &[u32], suffixes: &[u32], starts: &[u32], tokens: usize| {
            let index = from_file(text.to_vec(), suffixes.to_vec(), starts.to_vec()).unwrap();
            index
                .check(3, tokens, Watch::none())
                .unwrap_err()
                .to_string()
        };
        let mut swapped = suffixes.clone();
        swapped.swap(1, 2);
        assert!(checked(&text, &swapped, &starts, 5).contains("not the suffix array"));
        let mut repeated = suffixes.clone();
        repeated[0] = repeated[1];
        assert!(checked(&text, &repeated, &starts, 5).contains("not the suffix array"));
        let mut outside = suffixes.clone();
        outside[0] = 99;
        assert!(checked(&text, &outside, &starts, 5).contains("not the suffix array"));
        assert!(checked(&text, &suffixes, &starts, 6).contains("counts 6 words"));
        let mut unknown = text.clone();
        unknown[0] = 4;
        assert!(checked(&unknown, &suffixes, &starts, 5).contains("not in its vocabulary"));
        let moved = [0, 2, 3, 5, 6];
        assert!(checked(&text, &suffixes, &moved, 5).contains("token starts"));
        let stored = from_file(text, suffixes, starts.clone()).map(|index| CopyIndex {
            stored_checksum: Some(index.file_checksum(4, Watch::none()).unwrap() ^ 1),
            ..index
        });
        let error = stored.unwrap().check(3, 5, Watch::none()).unwrap_err();
        assert!(error.to_string().contains("checksum"), "{error}");
    }

    #[test]
    fn any_forged_index_that_loads_is_read_within_bounds() {
        // Starts and suffixes outside the text, ids beyond the alphabet:
        // narrowing, the tails and the starts of suffixes stay in bounds.
        let text = vec![9, 0, 7, 1, 0];
        let suffixes = vec![4, 100, 3, u32::MAX, 2];
        let index = from_file(text, suffixes, vec![0, 2, 4, 5]).unwrap();
        for token in 0..12 {
            let range = index.starting_with(token);
            let narrowed = index.narrow(range.clone(), 1, 0);
            assert!(narrowed.end <= index.len());
            let by_tails = index.narrow_by_tails(range, 0..index.len());
            assert!(by_tails.start <= by_tails.end && by_tails.end <= index.len());
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// A tail off by one slot, a sample window that misses the run's
        /// edge, or the last suffix (which has no tail) in the wrong place:
        /// each makes the two ways of narrowing disagree. Texts of a few
        /// ids and hundreds of tokens give wide intervals (searched through
        /// the samples) and narrow ones.
        #[test]
        fn narrowing_by_tails_agrees_with_narrowing_by_the_text(
            text in prop::collection::vec(0u32..5, 1..600),
            run in prop::collection::vec(0u32..5, 2..6),
        ) {
            let index = CopyIndex::new(text, 5, SuffixSort::Whole, Watch::none()).unwrap();
            // The run's last token narrows each run before it, as the guard
            // narrows the output's last tokens by the next one.
            let token = *run.last().unwrap();
            for start in 0..run.len() - 1 {
                let before = &run[start..run.len() - 1];
                let shorter = occurrences(&index, before);
                let tails = occurrences(&index, &before[1..]);
                let tails = if before.len() == 1 {
                    index.starting_with(token)
                } else {
                    index.narrow(tails, before.len() - 1, token)
                };
                prop_assert_eq!(
                    index.narrow_by_tails(shorter.clone(), tails),
                    index.narrow(shorter, before.len(), token),
                    "{:?} then {}", before, token
                );
            }
        }
    }
}
