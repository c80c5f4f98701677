//! The training text as token ids with its suffix arrays: what the copy
//! guard asks to know whether a run of tokens occurs in the text, and which
//! tokens followed it there.

use std::ops::Range;
use std::sync::{Arc, OnceLock};

use crate::build_options::{SuffixSort, Watch};
use crate::error::ChainError;
use crate::limits::MAX_WORDS;
use crate::stored::Stored;
use crate::suffix_array::suffix_array;

mod check;
mod ids;
mod joined;
mod on_demand;
mod packed;
mod sections;
mod spilled;
mod tails;
mod windows;

use ids::IdList;
pub(crate) use ids::Ids;
use joined::push_renumbered;
pub(crate) use joined::JoinedText;
use on_demand::OnDemandSuffixes;
pub(crate) use packed::{packed_bytes, PackedIds};
pub(crate) use sections::index_widths;
pub use spilled::SpillPolicy;
use spilled::SpilledIds;
use tails::Tails;
pub(crate) use windows::WindowLayout;

/// A chain's text, token by token, and the suffix arrays of its windows.
///
/// The suffixes starting with a given run of tokens are one stretch of a
/// suffix array (an interval), found by binary search; within it, the
/// suffixes that go on with a given token are a narrower stretch. So the
/// guard keeps the interval of the output's last tokens and narrows it by
/// one token a step, as infini-gram does.
///
/// An index built here has one window, the whole text. A chain file cuts
/// a long text into overlapping windows ([`crate::chain_file`]), each sorted on
/// its own, so that saving holds one window's sort at a time; the guard
/// then looks in each window.
///
/// A saved chain's index is read in place from its mapped file, unchecked
/// until [`check_copy_index`](crate::chain_file::check_copy_index): every
/// read of it stays within the text and the suffix arrays whatever they
/// hold, so that a forged file can make the guard miss copies or stop, but
/// never read out of bounds.
#[derive(Clone, Debug)]
pub struct CopyIndex {
    text: Ids,
    /// At least one; they cover the text, in order.
    windows: Vec<Window>,
    /// How a chain file cut the text into windows; `None` for an index
    /// built here, whose one window is the whole text.
    layout: Option<WindowLayout>,
    /// The checksum a chain file stored for the index, checked by
    /// [`CopyIndex::check`] when the index was not read whole.
    stored_checksum: Option<u32>,
    /// Whether the text stops inside its last document, as a piece of a
    /// longer document does: merged with the index of the next piece, no
    /// separator comes between them ([`crate::merge`]). A chain file keeps
    /// whole documents only, so one read from a file never continues.
    continues: bool,
}

/// One window of the text and its suffix array: the suffixes that start
/// in it, each read only up to the window's end, as if the text ended
/// there. Its suffix array holds where they start in the whole text.
#[derive(Clone, Debug)]
struct Window {
    span: Range<usize>,
    suffixes: Suffixes,
    /// Where the suffixes that start with each token id start in the
    /// window's suffix array, and one past the last: token `t`'s are
    /// `first_token[t]..first_token[t + 1]`. Never falls, and ends at the
    /// window's length. A file's are used in place in its map.
    first_token: Stored<u32>,
    /// Whether `first_token` was counted from the text here, rather than
    /// read from a file, which may disagree with its text until
    /// [`CopyIndex::check`].
    starts_counted: bool,
    /// Made by the first guard that narrows by them, once its output is
    /// long: a chain that is only trained and saved, or walked without the
    /// guard or for a short output, never needs them.
    tails: OnceLock<Tails>,
}

impl PartialEq for CopyIndex {
    fn eq(&self, other: &Self) -> bool {
        // The rest is made from these.
        self.text().iter().eq(other.text().iter())
            && self.windows.len() == other.windows.len()
            && (self.windows().zip(other.windows())).all(|(one, other)| {
                one.span() == other.span() && one.suffixes().iter().eq(other.suffixes().iter())
            })
    }
}

impl Eq for CopyIndex {}

/// A suffix array, whole, sorted on demand, or not sorted yet.
#[derive(Clone, Debug)]
enum Suffixes {
    Whole(Ids),
    OnDemand(OnDemandSuffixes),
    Later(LaterSuffixes),
}

/// A suffix array to be sorted whole when first needed
/// ([`SuffixSort::Later`]).
#[derive(Clone, Debug)]
struct LaterSuffixes {
    /// One more than the largest id of the text.
    alphabet: u32,
    whole: OnceLock<Ids>,
}

impl LaterSuffixes {
    /// The suffix array of `text`, sorted now unless it was: `watch` can
    /// cancel the sort.
    fn sorted(&self, text: &Ids, watch: Watch) -> Result<&Ids, ChainError> {
        sorted_once(&self.whole, text, self.alphabet, watch)
    }
}

/// The suffix array of `text` (ids below `alphabet`) kept in `whole`,
/// sorted now unless it was: `watch` can cancel the sort, and then `whole`
/// stays empty. The sort takes a copy of the text, which it may give up on
/// a cancel, since `text` is shared.
fn sorted_once<'whole>(
    whole: &'whole OnceLock<Ids>,
    text: &Ids,
    alphabet: u32,
    watch: Watch,
) -> Result<&'whole Ids, ChainError> {
    if let Some(sorted) = whole.get() {
        return Ok(sorted);
    }
    let (_, suffixes) = suffix_array(text.to_vec()?, alphabet, watch)?;
    Ok(whole.get_or_init(|| Ids::Owned(suffixes)))
}

/// How many ids a check reads between two looks at the cancel flag.
const IDS_BETWEEN_CANCEL_CHECKS: usize = 1 << 22;

/// A window of a file's index, as it reads it: where it lies in the text,
/// its suffix array, and its token starts.
pub(crate) struct WindowInFile {
    pub(crate) span: Range<usize>,
    pub(crate) suffixes: Ids,
    pub(crate) first_token: Stored<u32>,
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
                let first_token = token_starts(text.iter().copied(), alphabet as usize);
                (text, Suffixes::Whole(Ids::Owned(suffixes)), first_token)
            }
            SuffixSort::OnDemand => {
                watch.check()?;
                let first_token = token_starts(text.iter().copied(), alphabet as usize);
                let suffixes = OnDemandSuffixes::new(&text, &first_token, alphabet);
                (text, Suffixes::OnDemand(suffixes), first_token)
            }
            SuffixSort::Later => {
                watch.check()?;
                let first_token = token_starts(text.iter().copied(), alphabet as usize);
                let suffixes = LaterSuffixes {
                    alphabet,
                    whole: OnceLock::new(),
                };
                (text, Suffixes::Later(suffixes), first_token)
            }
        };
        Ok(CopyIndex::whole(Ids::Owned(text), suffixes, first_token))
    }

    /// An index built here: one window, the whole text, with its token
    /// starts counted.
    fn whole(text: Ids, suffixes: Suffixes, first_token: Vec<u32>) -> Self {
        let window = Window {
            span: 0..text.len(),
            suffixes,
            first_token: first_token.into(),
            starts_counted: true,
            tails: OnceLock::new(),
        };
        CopyIndex {
            text,
            windows: vec![window],
            layout: None,
            stored_checksum: None,
            continues: false,
        }
    }

    /// An index as a chain file holds it, read or mapped, with the
    /// checksum the file stored when it was not checked on reading; or
    /// `None` unless its parts fit together: the windows those `layout`
    /// gives the text, each with as many suffixes as tokens, and token
    /// starts from 0 that never fall and end at its length. That is all it
    /// checks, in time of the starts alone; see [`CopyIndex::check`] for
    /// the rest.
    pub(crate) fn from_file(
        text: Ids,
        windows: Vec<WindowInFile>,
        layout: WindowLayout,
        stored_checksum: Option<u32>,
    ) -> Option<Self> {
        let spans = layout.spans(text.len());
        let fits = spans.len() == windows.len()
            && spans.zip(&windows).all(|(span, window)| {
                let length = span.len();
                let first_token = &window.first_token;
                window.span == span
                    && window.suffixes.len() == length
                    && first_token.first() == Some(&0)
                    && first_token.last().map(|&end| end as usize) == Some(length)
                    && first_token.windows(2).all(|pair| pair[0] <= pair[1])
            });
        let windows = (windows.into_iter())
            .map(|window| Window {
                span: window.span,
                suffixes: Suffixes::Whole(window.suffixes),
                first_token: window.first_token,
                starts_counted: false,
                tails: OnceLock::new(),
            })
            .collect();
        fits.then(|| CopyIndex {
            text,
            windows,
            layout: Some(layout),
            stored_checksum,
            continues: false,
        })
    }

    /// The index, saying whether its text stops inside its last document
    /// (see [`CopyIndex::continues`]).
    pub(crate) fn continuing(self, continues: bool) -> Self {
        CopyIndex { continues, ..self }
    }

    /// Whether its text stops inside its last document, to go on in the
    /// text of the next index it is merged with.
    pub(crate) fn continues(&self) -> bool {
        self.continues
    }

    /// The text as token ids.
    pub(crate) fn text(&self) -> &Ids {
        &self.text
    }

    /// How many tokens the text has.
    pub(crate) fn len(&self) -> usize {
        self.text().len()
    }

    /// The windows, in order: one for an index built here.
    pub(crate) fn windows(&self) -> impl ExactSizeIterator<Item = IndexWindow<'_>> + Clone {
        let only = self.windows.len() == 1;
        (self.windows.iter()).map(move |window| IndexWindow {
            text: &self.text,
            window,
            only,
        })
    }

    /// Whether its text is kept in a temporary file.
    #[cfg(test)]
    pub(crate) fn is_spilled(&self) -> bool {
        matches!(self.text, Ids::Spilled(_))
    }

    /// The window numbered `number`, in the order of [`CopyIndex::windows`].
    #[cfg(test)]
    pub(crate) fn window(&self, number: usize) -> Option<IndexWindow<'_>> {
        self.windows().nth(number)
    }

    /// The largest `max_copy` a guard finds every copy for: `None` when
    /// it has one window, whose suffix array finds runs of any length.
    pub(crate) fn max_copy_limit(&self) -> Option<usize> {
        match self.layout {
            Some(layout) if self.windows.len() > 1 => layout.max_copy_limit(self.len()),
            _ => None,
        }
    }

    /// The window of an index built here, sorted or not.
    fn built_window(&self) -> Option<&Window> {
        match self.windows.as_slice() {
            [only] if self.layout.is_none() => Some(only),
            _ => None,
        }
    }

    /// Whether its suffix array waits to be sorted ([`SuffixSort::Later`])
    /// before it is saved: not when saving cuts its text into several
    /// windows, which it sorts one at a time.
    pub(crate) fn is_sort_deferred(&self) -> bool {
        let deferred = self.built_window().is_some_and(|window| {
            matches!(&window.suffixes, Suffixes::Later(later) if later.whole.get().is_none())
        });
        deferred && WindowLayout::for_saving().count(self.len()) == 1
    }

    /// Whether saving the index sorts some of it: a window of the saved
    /// layout that it does not hold, or holds with its sort deferred.
    /// Such a save spends most of its time sorting.
    pub(crate) fn sorts_when_saved(&self) -> bool {
        WindowLayout::for_saving().spans(self.len()).any(|span| {
            let own = self.windows().find(|window| window.span() == span);
            own.is_none_or(|window| {
                matches!(&window.window.suffixes, Suffixes::Later(later) if later.whole.get().is_none())
            })
        })
    }

    /// Sorts a suffix array deferred to now ([`SuffixSort::Later`]), unless
    /// it is sorted or will be sorted a window at a time when saved
    /// ([`CopyIndex::is_sort_deferred`]): `watch` can cancel the sort, and
    /// then nothing changes.
    pub(crate) fn sort_deferred(&self, watch: Watch) -> Result<(), ChainError> {
        if !self.is_sort_deferred() {
            return Ok(());
        }
        match self.built_window().map(|window| &window.suffixes) {
            Some(Suffixes::Later(suffixes)) => suffixes.sorted(self.text(), watch).map(drop),
            _ => Ok(()),
        }
    }

    /// The index with its deferred sort done ([`SuffixSort::Later`]),
    /// sorting the text it owns rather than a copy of it: a training's
    /// largest step takes 8 bytes a token instead of 12. `watch` can
    /// cancel the sort, and then the index is gone with the text. Nothing
    /// is sorted when saving will sort it a window at a time
    /// ([`CopyIndex::is_sort_deferred`]).
    pub(crate) fn into_sorted(self, watch: Watch) -> Result<Self, ChainError> {
        let alphabet = match self.built_window().map(|window| &window.suffixes) {
            Some(Suffixes::Later(later)) if self.is_sort_deferred() => later.alphabet,
            _ => return Ok(self),
        };
        let (text, suffixes) = suffix_array(self.text.into_owned()?, alphabet, watch)?;
        let first_token = (self.windows.into_iter().next())
            .map(|window| window.first_token.to_vec())
            .unwrap_or_default();
        let index = CopyIndex::whole(
            Ids::Owned(text),
            Suffixes::Whole(Ids::Owned(suffixes)),
            first_token,
        );
        Ok(index.continuing(self.continues))
    }

    /// The index of this text followed by `tail`'s, with its sort
    /// deferred: the text grows in place, each id renumbered as
    /// `renumbered` says (`separator` for its own separator), then
    /// `separator` unless this text stops inside a document that `tail`
    /// goes on with, then `tail`'s ids renumbered as `tail_renumbered`
    /// says. What a merge of the two makes, without a second copy of this
    /// text. A text longer than `spill` allows grows in a temporary file.
    pub(crate) fn grown(
        self,
        renumbered: &[u32],
        tail: &CopyIndex,
        tail_renumbered: &[u32],
        separator: u32,
        spill: &SpillPolicy,
        watch: Watch,
    ) -> Result<Self, ChainError> {
        let goes_on = self.continues;
        let joins = self.len() > 0 && !goes_on;
        // The token starts follow from the two indexes' own, renumbered,
        // in time of the vocabulary: counting them again over the whole
        // text at every piece made a training's reading quadratic. A
        // file's are counted from its text, which it may disagree with.
        let alphabet = separator + 1;
        let mut counts = vec![0u64; alphabet as usize];
        self.add_counts(&mut counts, renumbered, separator);
        tail.add_counts(&mut counts, tail_renumbered, separator);
        counts[separator as usize] += u64::from(joins);
        let length = self.len() + usize::from(joins) + tail.len();
        if length > MAX_WORDS {
            return Err(ChainError::TooManyWords { max: MAX_WORDS });
        }
        // A training's later pieces rarely bring a word that sorts before
        // the ones it has: then every id stays as it was, and so does the
        // separator, one past them.
        let unchanged = renumbered.len() == separator as usize
            && renumbered
                .iter()
                .enumerate()
                .all(|(id, &new)| new as usize == id);
        let renumber = |id: u32| renumbered.get(id as usize).copied().unwrap_or(separator);
        let renumber_tail = |id: u32| {
            tail_renumbered
                .get(id as usize)
                .copied()
                .unwrap_or(separator)
        };
        let mut text = if matches!(self.text, Ids::Spilled(_)) || spill.spills(length) {
            JoinedText::File(spilled_renumbered(
                self.text, spill, unchanged, renumber, watch,
            )?)
        } else {
            let mut text = self.text.into_owned()?;
            if !unchanged {
                for block in text.chunks_mut(IDS_BETWEEN_CANCEL_CHECKS) {
                    for id in block {
                        *id = renumber(*id);
                    }
                    watch.check()?;
                }
            }
            text.reserve_exact(length - text.len());
            JoinedText::Memory(text)
        };
        if joins {
            text.push(separator)?;
        }
        text.extend_renumbered(tail.text(), renumber_tail, watch)?;
        let text = text.into_ids();
        watch.check()?;
        debug_assert_eq!(counts.iter().sum::<u64>(), text.len() as u64);
        let first_token = starts_from_counts(&counts);
        let suffixes = Suffixes::Later(LaterSuffixes {
            alphabet,
            whole: OnceLock::new(),
        });
        let index = CopyIndex::whole(text, suffixes, first_token);
        Ok(index.continuing(tail.continues))
    }

    /// Adds to `counts` how many suffixes start with each token, under its
    /// new id in `renumbered` (`separator` for ids past it): from the
    /// token starts when they were counted here over the whole text, else
    /// from the text.
    fn add_counts(&self, counts: &mut [u64], renumbered: &[u32], separator: u32) {
        let mut add = |id: usize, count: u32| {
            let new = renumbered.get(id).copied().unwrap_or(separator);
            if let Some(total) = counts.get_mut(new as usize) {
                *total += u64::from(count);
            }
        };
        match self.built_window() {
            Some(window) if window.starts_counted => {
                for (id, pair) in window.first_token.windows(2).enumerate() {
                    add(id, pair[1].saturating_sub(pair[0]));
                }
            }
            _ => self.text().iter().for_each(|id| add(id as usize, 1)),
        }
    }
}

/// `text` in a temporary file of its own, renumbered unless `unchanged`:
/// a file no one else holds is renumbered in place, anything else copied
/// into a new file in `spill`'s folder a block at a time.
fn spilled_renumbered(
    text: Ids,
    spill: &SpillPolicy,
    unchanged: bool,
    renumber: impl Fn(u32) -> u32,
    watch: Watch,
) -> Result<SpilledIds, ChainError> {
    let text = match text {
        Ids::Spilled(shared) => match Arc::try_unwrap(shared) {
            Ok(mut own) => {
                if !unchanged {
                    own.renumber(renumber, watch)?;
                }
                return Ok(own);
            }
            Err(shared) => Ids::Spilled(shared),
        },
        other => other,
    };
    let mut copy = spill.create()?;
    if unchanged {
        push_renumbered(&mut copy, &text, |id| id, watch)?;
    } else {
        push_renumbered(&mut copy, &text, renumber, watch)?;
    }
    Ok(copy)
}

/// One window of an index with the text it reads: what the guard narrows
/// runs in.
#[derive(Clone, Copy, Debug)]
pub(crate) struct IndexWindow<'index> {
    text: &'index Ids,
    window: &'index Window,
    /// Whether it is the index's only window, the whole text.
    only: bool,
}

impl<'index> IndexWindow<'index> {
    /// How many suffixes start in it.
    pub(crate) fn len(self) -> usize {
        self.window.span.len()
    }

    /// Where it lies in the text.
    pub(crate) fn span(self) -> Range<usize> {
        self.window.span.clone()
    }

    /// The whole text as token ids.
    pub(crate) fn text(self) -> &'index Ids {
        self.text
    }

    /// Where the suffixes of each token id of `0..alphabet` start in its
    /// suffix array, and its length: what a chain file stores.
    pub(crate) fn token_starts(self, alphabet: usize) -> impl Iterator<Item = u32> + 'index {
        let end = self.len() as u32;
        let first_token = &self.window.first_token;
        (0..=alphabet).map(move |token| first_token.get(token).map_or(end, |&start| start.min(end)))
    }

    /// The suffix array's interval of the suffixes that start with `token`.
    pub(crate) fn starting_with(self, token: u32) -> Range<usize> {
        let token = token as usize;
        let first_token = &self.window.first_token;
        match (first_token.get(token), first_token.get(token + 1)) {
            (Some(&start), Some(&end)) => start as usize..end as usize,
            _ => 0..0,
        }
    }

    /// The suffix array: where each suffix starts in the text, in sorted
    /// order. An index sorted on demand sorts it whole the first time, as
    /// long as [`SuffixSort::Whole`] would have taken.
    pub(crate) fn suffixes(self) -> &'index Ids {
        // Only a text kept in a file that can no longer be read fails to
        // sort: a guard then finds no run in it, as it finds none in a
        // text that `SpilledIds::in_memory` cannot read.
        static NONE: Ids = Ids::Owned(Vec::new());
        self.sorted_suffixes(Watch::none()).unwrap_or(&NONE)
    }

    /// [`IndexWindow::suffixes`], or why they could not be sorted: a
    /// cancel through `watch`, or a text kept in a file that could not be
    /// read.
    pub(crate) fn sorted_suffixes(self, watch: Watch) -> Result<&'index Ids, ChainError> {
        match &self.window.suffixes {
            Suffixes::Whole(suffixes) => Ok(suffixes),
            Suffixes::OnDemand(suffixes) => Ok(suffixes.whole(self.text)),
            Suffixes::Later(suffixes) => suffixes.sorted(self.text, watch),
        }
    }

    /// Within `range`, the whole interval of the suffixes that share their
    /// first `depth` tokens (as [`IndexWindow::starting_with`] and this
    /// return them), those whose next token is `token`. The search begins
    /// at `guess` where there is one: the same interval whatever it is, in
    /// fewer reads the nearer it is.
    pub(crate) fn narrow(
        self,
        range: Range<usize>,
        depth: usize,
        token: u32,
        guess: Option<Range<usize>>,
    ) -> Range<usize> {
        let end = self.window.span.end;
        match &self.window.suffixes {
            Suffixes::OnDemand(suffixes) => suffixes.narrow(self.text, range, depth, token),
            Suffixes::Whole(_) | Suffixes::Later(_) => {
                narrowed_within(self.text, end, self.suffixes(), range, depth, token, guess)
            }
        }
    }

    /// Whether a suffix in `range` of the suffix array starts where
    /// `wanted` says.
    pub(crate) fn any_start(self, range: Range<usize>, wanted: impl FnMut(usize) -> bool) -> bool {
        match &self.window.suffixes {
            Suffixes::OnDemand(suffixes) => suffixes.any_start(range, wanted),
            Suffixes::Whole(_) | Suffixes::Later(_) => {
                let suffixes = self.suffixes();
                let mut wanted = wanted;
                let end = range.end.min(suffixes.len());
                (range.start.min(end)..end)
                    .filter_map(|slot| suffixes.get(slot))
                    .any(|start| wanted(start as usize))
            }
        }
    }

    /// Whether a guard may narrow by the tails: only through a whole
    /// suffix array, which an index sorted on demand is not worth sorting
    /// for them.
    pub(crate) fn may_narrow_by_tails(self) -> bool {
        matches!(
            self.window.suffixes,
            Suffixes::Whole(_) | Suffixes::Later(_)
        )
    }

    /// Whether it is the whole text with its whole suffix array sorted
    /// (trained, or read from a file), or to be when first read, rather
    /// than sorted on demand as walks read it: then the chain's counts
    /// place its pairs of tokens ([`IndexWindow::pairs_starting`]).
    pub(crate) fn is_sorted_whole(self) -> bool {
        self.only && self.may_narrow_by_tails()
    }

    /// The suffixes that start with `first` and go on with a token that
    /// follows it in `following` of them, counted in the order of the
    /// next token's id: what [`IndexWindow::narrow`] finds by `depth` 1 in
    /// `first`'s stretch, found from counts instead of a search, when the
    /// window is the whole text ([`IndexWindow::is_sorted_whole`]). Within
    /// the stretch, the suffix with no next token (the text's last) sorts
    /// first, then the rest by their next token, those of the separator
    /// last. Stays within the stretch whatever `following` says.
    pub(crate) fn pairs_starting(self, first: u32, following: Range<u32>) -> Range<usize> {
        let stretch = self.starting_with(first);
        let ends_the_text = self
            .len()
            .checked_sub(1)
            .and_then(|last| self.text.get(last))
            == Some(first);
        let clamp = |offset: u32| {
            (stretch.start + usize::from(ends_the_text))
                .saturating_add(offset as usize)
                .min(stretch.end)
        };
        clamp(following.start)..clamp(following.end)
    }

    /// Whether the tails are made yet.
    pub(crate) fn has_tails(self) -> bool {
        self.window.tails.get().is_some()
    }

    /// Within `range`, whose suffixes all share their first token, those
    /// whose rest (the suffix less its first token) is in the interval
    /// `rest`: the narrowing of a run by a token, when the run less its
    /// first token is already narrowed by it, to `rest`. One look-up a step
    /// of the search, not two.
    pub(crate) fn narrow_by_tails(self, range: Range<usize>, rest: Range<usize>) -> Range<usize> {
        let tails = self.window.tails.get_or_init(|| Tails::of(self));
        let low = tails.first_above(range.clone(), rest.start);
        let high = tails.first_above(low..range.end, rest.end);
        low..high
    }
}

/// Within `range` of `suffixes`, whose suffixes of `text` all share their
/// first `depth` tokens and are sorted by the next, read up to `end`,
/// those whose next token is `token`; the search begun at `guess` where
/// it has one.
fn narrowed_within(
    text: &Ids,
    end: usize,
    suffixes: &(impl IdList + ?Sized),
    range: Range<usize>,
    depth: usize,
    token: u32,
    guess: Option<Range<usize>>,
) -> Range<usize> {
    let range = range.start..range.end.min(suffixes.count()).max(range.start);
    // A suffix that ends within the first `depth` tokens (of the window)
    // has no next token; it sorts first.
    let next = |start: u32| {
        let at = start as usize + depth;
        if at < end {
            text.get_sparse(at)
        } else {
            None
        }
    };
    let reaches = |start: u32| next(start) >= Some(token);
    let passes = |start: u32| next(start) != Some(token);
    if let Some(guess) = guess {
        let low = suffixes.first_past_near(range.clone(), guess.start, reaches);
        let high = suffixes.first_past_near(low..range.end, guess.end.max(low), passes);
        return low..high;
    }
    let low = suffixes.first_past(range.clone(), reaches);
    // The run of `token` is usually short: galloped from its start
    // rather than searched for over the whole stretch again.
    let rest = low..range.end;
    let mut bound = 1;
    while bound < rest.len() && suffixes.id(low + bound).and_then(next) == Some(token) {
        bound *= 2;
    }
    let window = low + bound / 2..low + bound.min(rest.len());
    let high = suffixes.first_past(window, passes);
    low..high
}

/// Where the suffixes of each id of `0..alphabet` start in the suffix
/// array of `text`, and its length: `alphabet + 1` entries, counted.
fn token_starts(text: impl IntoIterator<Item = u32>, alphabet: usize) -> Vec<u32> {
    let mut first_token = vec![0u32; alphabet + 1];
    for token in text {
        if let Some(count) = first_token.get_mut(token as usize + 1) {
            *count += 1;
        }
    }
    add_up(&mut first_token);
    first_token
}

/// [`token_starts`] of the window `span` of `text`, read a block at a
/// time (a packed text decodes faster so than id by id), and whether every
/// id was below `alphabet` (those past it are not counted); `watch` can
/// cancel it.
fn token_starts_in(
    text: &Ids,
    span: Range<usize>,
    alphabet: usize,
    watch: Watch,
) -> Result<(Vec<u32>, bool), ChainError> {
    let mut first_token = vec![0u32; alphabet + 1];
    let mut all_in_alphabet = true;
    text.for_each_block(span, |_, ids| {
        watch.check()?;
        for &id in ids {
            match first_token.get_mut(id as usize + 1) {
                Some(count) => *count += 1,
                None => all_in_alphabet = false,
            }
        }
        Ok::<(), ChainError>(())
    })?;
    add_up(&mut first_token);
    Ok((first_token, all_in_alphabet))
}

/// Turns counts into running totals, in place.
fn add_up(counts: &mut [u32]) {
    for index in 1..counts.len() {
        counts[index] += counts[index - 1];
    }
}

/// Token starts from how many suffixes start with each token: what
/// [`token_starts`] counts from a text.
fn starts_from_counts(counts: &[u64]) -> Vec<u32> {
    let mut first_token = Vec::with_capacity(counts.len() + 1);
    let mut start = 0u64;
    first_token.push(0);
    for &count in counts {
        start += count;
        // The counts add up to a text's length, which fits in a `u32`.
        first_token.push(start as u32);
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
        let window = only(index);
        let mut range = 0..window.len();
        for (depth, &token) in tokens.iter().enumerate() {
            range = window.narrow(range, depth, token, None);
        }
        range
    }

    /// The one window of an index built here.
    fn only(index: &CopyIndex) -> IndexWindow<'_> {
        assert_eq!(index.windows().len(), 1);
        index.window(0).unwrap()
    }

    fn positions(index: &CopyIndex, tokens: &[u32]) -> Vec<usize> {
        let mut found = Vec::new();
        only(index).any_start(occurrences(index, tokens), |start| {
            found.push(start);
            false
        });
        found.sort_unstable();
        found
    }

    #[test]
    fn a_deferred_sort_done_in_place_sorts_the_text_itself() {
        // The bug: a sort that works on a copy of the text and keeps it,
        // so that a training's largest step holds two texts beside the
        // suffix array, 12 bytes a token instead of 8 (which
        // `./scripts/bench --corpus scale` measures): the text must come
        // back as the buffer it was. Texts long enough to be sorted on a
        // thread of their own, with ids of 16 bits and of 32.
        for alphabet in [1_000, 100_000] {
            let text: Vec<u32> = (0..100_000u32)
                .map(|n| n.wrapping_mul(2_654_435_761) % alphabet)
                .collect();
            let whole = CopyIndex::new(text.clone(), alphabet, SuffixSort::Whole, Watch::none());
            let later = CopyIndex::new(text, alphabet, SuffixSort::Later, Watch::none()).unwrap();
            let buffer = |index: &CopyIndex| match index.text() {
                Ids::Owned(ids) => ids.as_ptr(),
                Ids::Packed(_) | Ids::Spilled(_) => unreachable!("a text built in memory"),
            };
            let before = buffer(&later);
            let sorted = later.into_sorted(Watch::none()).unwrap();
            assert_eq!(buffer(&sorted), before, "alphabet {alphabet}");
            assert!(!sorted.is_sort_deferred());
            assert_eq!(sorted, whole.unwrap());
        }
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
            assert_eq!(only(&index).narrow(both, 2, 3, None).len(), 1);
        }
    }

    /// The index as a file holds it: its text, suffix array and starts.
    fn as_in_a_file(index: &CopyIndex, alphabet: usize) -> (Vec<u32>, Vec<u32>, Vec<u32>) {
        let starts = only(index).token_starts(alphabet).collect();
        (
            index.text().iter().collect(),
            only(index).suffixes().iter().collect(),
            starts,
        )
    }

    fn from_file(text: Vec<u32>, suffixes: Vec<u32>, starts: Vec<u32>) -> Option<CopyIndex> {
        let window = WindowInFile {
            span: 0..text.len(),
            suffixes: Ids::Owned(suffixes),
            first_token: starts.into(),
        };
        CopyIndex::from_file(Ids::Owned(text), vec![window], WindowLayout::DEFAULT, None)
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
        // A repeated start that the order alone lets pass: the one-token
        // suffix twice in its stretch ("0" and "0", for "0" and "0 1 3 2
        // 0"), so that a suffix is missing from the array.
        let ends_twice =
            CopyIndex::new(vec![0, 1, 3, 2, 0], 4, SuffixSort::Whole, Watch::none()).unwrap();
        let (text, mut suffixes, starts) = as_in_a_file(&ends_twice, 4);
        assert_eq!(suffixes, [4, 0, 1, 3, 2]);
        suffixes[1] = 4;
        assert!(checked(&text, &suffixes, &starts, 4).contains("not the suffix array"));
    }

    #[test]
    fn a_file_index_grown_counts_its_token_starts_from_its_text() {
        // The bug: a grown index that carries over a file's token starts,
        // which may disagree with its text while summing to its length
        // (this file says one 0 and two 1s for the text "0 0 1"), so that
        // `train --add` to a forged chain saves starts that are not its
        // text's, and the guard searches the wrong stretches.
        let head = from_file(vec![0, 0, 1], vec![0, 1, 2], vec![0, 1, 3, 3]).unwrap();
        let tail = CopyIndex::new(vec![1, 0], 2, SuffixSort::Later, Watch::none()).unwrap();
        let grown = (head.grown(
            &[0, 1],
            &tail,
            &[0, 1],
            2,
            &SpillPolicy::default(),
            Watch::none(),
        ))
        .unwrap();
        let counted = token_starts(grown.text().iter(), 3);
        assert_eq!(only(&grown).token_starts(3).collect::<Vec<_>>(), counted);
        assert_eq!(counted, [0, 3, 5, 6]);
    }

    #[test]
    fn any_forged_index_that_loads_is_read_within_bounds() {
        // Starts and suffixes outside the text, ids beyond the alphabet:
        // narrowing, the tails and the starts of suffixes stay in bounds.
        let text = vec![9, 0, 7, 1, 0];
        let suffixes = vec![4, 100, 3, u32::MAX, 2];
        let index = from_file(text, suffixes, vec![0, 2, 4, 5]).unwrap();
        let window = only(&index);
        for token in 0..12 {
            let range = window.starting_with(token);
            let narrowed = window.narrow(range.clone(), 1, 0, None);
            assert!(narrowed.end <= index.len());
            let by_tails = window.narrow_by_tails(range, 0..index.len());
            assert!(by_tails.start <= by_tails.end && by_tails.end <= index.len());
        }
    }

    /// The index of `text` as a chain file cut into `layout`'s windows
    /// holds it: each window sorted on its own.
    fn in_windows(text: &[u32], alphabet: u32, layout: WindowLayout) -> CopyIndex {
        let windows = (layout.spans(text.len()))
            .map(|span| {
                let window_text = text[span.clone()].to_vec();
                let first_token = token_starts(window_text.iter().copied(), alphabet as usize);
                let (_, suffixes) = suffix_array(window_text, alphabet, Watch::none()).unwrap();
                let offset = span.start as u32;
                WindowInFile {
                    span,
                    suffixes: Ids::Owned(suffixes.iter().map(|start| start + offset).collect()),
                    first_token: first_token.into(),
                }
            })
            .collect();
        CopyIndex::from_file(Ids::Owned(text.to_vec()), windows, layout, None).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// Each window finds a run exactly where it lies wholly within the
        /// window, and so the windows together where it lies in the text.
        /// The bugs: a suffix read past its window's end (found where the
        /// run crosses it, or a search thrown off by a suffix out of the
        /// window's order), a window's starts or tails counted from the
        /// whole text, or a full check that reads the window as the text.
        #[test]
        fn each_window_finds_a_run_where_it_lies_within_the_window(
            text in prop::collection::vec(0u32..4, 1..300),
            stride in 1u32..40,
            overlap in 0u32..8,
            run in prop::collection::vec(0u32..4, 1..6),
        ) {
            let layout = WindowLayout { stride, overlap };
            let index = in_windows(&text, 4, layout);
            let words = text.iter().filter(|&&id| id < 3).count();
            index.check(3, words, Watch::none()).unwrap();
            for window in index.windows() {
                let span = window.span();
                let mut range = window.starting_with(run[0]);
                for (depth, &token) in run.iter().enumerate().skip(1) {
                    range = window.narrow(range, depth, token, None);
                }
                let mut found = Vec::new();
                window.any_start(range.clone(), |start| {
                    found.push(start);
                    false
                });
                found.sort_unstable();
                let expected: Vec<usize> = (span.start..span.end.saturating_sub(run.len() - 1))
                    .filter(|&start| text[start..start + run.len()] == run[..])
                    .collect();
                prop_assert_eq!(&found, &expected, "{:?} in {:?}", &run, span);
                // By the tails, as a long guarded walk narrows.
                if run.len() >= 2 {
                    let rest = run[1..].iter().enumerate().skip(1).fold(
                        window.starting_with(run[1]),
                        |range, (depth, &token)| window.narrow(range, depth, token, None),
                    );
                    let mut shorter = window.starting_with(run[0]);
                    for (depth, &token) in run.iter().enumerate().skip(1).take(run.len() - 2) {
                        shorter = window.narrow(shorter, depth, token, None);
                    }
                    prop_assert_eq!(window.narrow_by_tails(shorter, rest), range);
                }
            }
        }

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
            let window = only(&index);
            for start in 0..run.len() - 1 {
                let before = &run[start..run.len() - 1];
                let shorter = occurrences(&index, before);
                let tails = occurrences(&index, &before[1..]);
                let tails = if before.len() == 1 {
                    window.starting_with(token)
                } else {
                    window.narrow(tails, before.len() - 1, token, None)
                };
                prop_assert_eq!(
                    window.narrow_by_tails(shorter.clone(), tails),
                    window.narrow(shorter, before.len(), token, None),
                    "{:?} then {}", before, token
                );
            }
        }

        /// A grown index's token starts are carried over from its two
        /// parts' rather than counted again over the whole text. A count
        /// left under its old id, the separator between documents left
        /// out, or the old separator not moved to the new one: each makes
        /// them differ from the starts counted from the grown text, and so
        /// a saved chain's stretches from its text's.
        #[test]
        fn a_grown_index_starts_each_token_where_its_text_says(
            head in prop::collection::vec(0u32..4, 0..60),
            tail in prop::collection::vec(0u32..5, 1..60),
            head_renumbered in prop::collection::vec(0u32..7, 3),
            tail_renumbered in prop::collection::vec(0u32..7, 4),
            head_continues: bool,
        ) {
            // Ids one past each vocabulary (3 and 4) are its separator.
            let separator = 7;
            let head = CopyIndex::new(head, 4, SuffixSort::Later, Watch::none())
                .unwrap()
                .continuing(head_continues);
            let tail = CopyIndex::new(tail, 5, SuffixSort::Later, Watch::none()).unwrap();
            let grown = head
                .grown(
                    &head_renumbered,
                    &tail,
                    &tail_renumbered,
                    separator,
                    &SpillPolicy::default(),
                    Watch::none(),
                )
                .unwrap();
            let counted = token_starts(grown.text().iter(), separator as usize + 1);
            let carried: Vec<u32> = only(&grown).token_starts(separator as usize + 1).collect();
            prop_assert_eq!(carried, counted);
        }
    }
}
