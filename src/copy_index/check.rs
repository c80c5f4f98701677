//! The full check of a copy index read from a file: what loading it
//! leaves out, since it takes time of the whole text.

use std::ops::Range;
use std::sync::atomic::AtomicU32;
use std::sync::atomic::Ordering::Relaxed;

use super::{token_starts_in, CopyIndex, IndexWindow};
use crate::build_options::Watch;
use crate::error::{ChainError, ChainFileError};
use crate::parallel::on_threads;

/// What a check found wrong.
fn invalid(what: &str) -> ChainFileError {
    ChainFileError::Invalid(what.into())
}

impl CopyIndex {
    /// Checks what [`CopyIndex::from_file`] leaves out: the stored
    /// checksum of the token starts, the text and the suffix arrays as
    /// the file held them (`file_checksum` computes it); every id of the
    /// text at most `separator` (documents are joined by it); `tokens`
    /// of them below it, as the chain counts; each window's token starts
    /// those of its text; and each window's suffix array a permutation of
    /// its positions in which every suffix (read up to the window's end)
    /// is larger than the one before it. A forged index would make the
    /// guard miss copies. Says what is wrong, or that `watch` cancelled
    /// it. The suffix arrays are checked on a thread of their own beside
    /// the rest.
    pub(crate) fn check(
        &self,
        separator: u32,
        tokens: usize,
        watch: Watch,
    ) -> Result<(), ChainFileError> {
        let (order, rest) = std::thread::scope(|scope| {
            let order = scope.spawn(|| -> Result<bool, ChainError> {
                for window in self.windows() {
                    if !is_suffix_array_of_its_window(window, watch)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            });
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

    /// How much progress [`CopyIndex::check`] reports to its watch in all:
    /// two units a token of each window, one as its suffixes are placed
    /// and one as its text is read.
    pub(crate) fn check_work(&self) -> u64 {
        self.windows().map(|window| 2 * window.len() as u64).sum()
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
        let alphabet = separator as usize + 1;
        let (counted, all_in_alphabet) =
            token_starts_in(self.text(), 0..self.len(), alphabet, watch)?;
        if !all_in_alphabet {
            return Err(invalid(
                "its copy index has a word that is not in its vocabulary",
            ));
        }
        let separators = counted[alphabet] - counted[alphabet - 1];
        let indexed = self.len() - separators as usize;
        // The index holds the text the chain counts, word for word: a
        // header that claims more would make every later merge fail.
        if indexed != tokens {
            return Err(ChainFileError::Invalid(format!(
                "its header counts {tokens} words, but its copy index holds {indexed}"
            )));
        }
        for window in self.windows() {
            // One window of the whole text was counted just above.
            let of_its_text = if window.span() == (0..self.len()) {
                window.token_starts(alphabet).eq(counted.iter().copied())
            } else {
                let (counted, _) = token_starts_in(self.text(), window.span(), alphabet, watch)?;
                window.token_starts(alphabet).eq(counted)
            };
            if !of_its_text {
                return Err(invalid(
                    "its copy index's token starts are not those of its text",
                ));
            }
        }
        Ok(())
    }
}

/// Whether `window`'s suffix array is a permutation of its positions in
/// which every suffix, read up to the window's end, is larger than the one
/// before it.
fn is_suffix_array_of_its_window(
    window: IndexWindow<'_>,
    watch: Watch,
) -> Result<bool, ChainError> {
    let suffixes = window.suffixes();
    let span = window.span();
    // Where a suffix starts, within the window.
    let within = |start: u32| (start as usize).checked_sub(span.start);
    // Each suffix's place in the array. Every start is in range, and
    // there are as many starts as places: so the starts are a
    // permutation exactly when no place is left unwritten, whatever a
    // repeated start overwrote. Plain stores, not a compare-and-swap a
    // write, since each is a cache miss at random and a locked
    // instruction waits for its own. Two threads place the halves.
    let rank: Vec<AtomicU32> = (0..window.len())
        .map(|_| AtomicU32::new(u32::MAX))
        .collect();
    let place = |range: Range<usize>| {
        suffixes.for_each_block(range, |first, starts| {
            watch.advance(starts.len())?;
            for (slot, &start) in (first..).zip(starts) {
                match within(start).and_then(|start| rank.get(start)) {
                    Some(place) => place.store(slot as u32, Relaxed),
                    None => return Err(None),
                }
            }
            Ok(())
        })
    };
    // Every place written, and each suffix placed in the stretch of the
    // array of the token it starts with: read in the text's order, so that
    // the text and the places are read in turn, not at random. As they
    // are read, each suffix's rest (the suffix one token on) has its place
    // written beside the suffix's own place, plus one: 0 for the window's
    // last token, whose suffix has no rest. A store at random a token,
    // which the core does not wait for; the sorted check below then reads
    // the rests in the array's order. Read the other way, a rest a suffix
    // at random in the array's order, the loads took 2.6 times as long as
    // the places' stores, each waiting for its miss.
    let first_token = &window.window.first_token;
    let rests: Vec<AtomicU32> = (0..window.len()).map(|_| AtomicU32::new(0)).collect();
    let placed_in_its_stretch = |positions: Range<usize>| -> Result<bool, ChainError> {
        let in_turn = window.text().for_each_block(
            span.start + positions.start..span.start + positions.end,
            |first, tokens| {
                watch.advance(tokens.len())?;
                for (at, &token) in (first - span.start..).zip(tokens) {
                    let place = rank.get(at).map_or(u32::MAX, |place| place.load(Relaxed));
                    let token = token as usize;
                    let stretch = first_token.get(token).zip(first_token.get(token + 1));
                    match stretch {
                        Some((&start, &end)) if start <= place && place < end => {}
                        _ => return Err(None),
                    }
                    let rest =
                        (rank.get(at + 1)).map_or(0, |rest| rest.load(Relaxed).wrapping_add(1));
                    match rests.get(place as usize) {
                        Some(slot) => slot.store(rest, Relaxed),
                        None => return Err(None),
                    }
                }
                Ok(())
            },
        );
        match in_turn {
            Ok(()) => Ok(true),
            Err(None) => Ok(false),
            Err(Some(cancelled)) => Err(cancelled),
        }
    };
    let (length, middle) = (suffixes.len(), suffixes.len() / 2);
    let placed = std::thread::scope(|scope| {
        let second = scope.spawn(|| place(middle..length));
        let first = place(0..middle);
        let second = second
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        first.and(second)
    });
    match placed {
        Ok(()) => {}
        Err(None) => return Ok(false),
        Err(Some(cancelled)) => return Err(cancelled),
    }
    // Read after both threads joined, so every store is seen. A place
    // left unwritten (u32::MAX) is in no stretch.
    let half = rank.len() / 2;
    let halves = on_threads(vec![0..half, half..rank.len()], placed_in_its_stretch)?;
    if !halves.into_iter().all(|placed| placed) {
        return Ok(false);
    }
    drop(rank);
    // Sorted: each suffix above the one before it. Comparing two
    // suffixes up to where they differ is long on a repetitive text;
    // with the ranks it is linear. Each suffix starts with the token
    // whose stretch of the array holds it (checked above; the token
    // starts rise, as loading checked), so the first tokens rise, and
    // two in one stretch share theirs: the rest decides, and the rest is
    // a suffix too, whose place is written in `rests`. A suffix that ends
    // first is the smaller, as its 0 is; only one suffix of a window has
    // no rest, so two 0s are never in order.
    let rests: Vec<u32> = rests.into_iter().map(AtomicU32::into_inner).collect();
    let rising_in_stretches = |stretch_starts: &[u32]| {
        stretch_starts.windows(2).fold(true, |rising, stretch| {
            let in_order = match rests.get(stretch[0] as usize..stretch[1] as usize) {
                Some(stretch) => stretch
                    .windows(2)
                    .fold(true, |rising, pair| rising & (pair[0] < pair[1])),
                None => false,
            };
            rising & in_order
        })
    };
    // The threads share the stretches at the one that holds the middle
    // suffix, each stretch checked whole by one of them.
    let stretches_cut = first_token.partition_point(|&start| (start as usize) <= middle);
    let (first_half, second_half) = (
        first_token.get(..stretches_cut.max(1)).unwrap_or_default(),
        first_token
            .get(stretches_cut.saturating_sub(1)..)
            .unwrap_or_default(),
    );
    let halves = on_threads(vec![first_half, second_half], |stretch_starts| {
        Ok(rising_in_stretches(stretch_starts))
    })?;
    Ok(halves.into_iter().all(|rising| rising))
}
