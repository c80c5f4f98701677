//! Reading a chain file's sections and checking that they make a chain.

use std::io::{self, Read};
#[cfg(all(target_endian = "little", not(windows)))]
use std::sync::Arc;

use super::header::{invalid, FixedHeader};
use crate::bit_set::BitSet;
use crate::build_options::BuildOptions;
use crate::chain::{Chain, Transitions};
use crate::copy_index::{
    index_widths, packed_bytes, CopyIndex, Ids, PackedIds, WindowInFile, WindowLayout,
};
use crate::error::ChainFileError;
use crate::limits::MAX_WORDS;
use crate::parallel::{all_on_threads, both};
use crate::sentence::SentenceMarks;
use crate::sentence_distances::{KnownSentenceDistances, SentenceDistances};
use crate::state_words::{FollowerLists, LinkError, LinkedStates, StateWords, MIN_SHARE};
use crate::stored::Stored;
use crate::tokenize::{may_hold_whitespace, Words};
use crate::tokens::Tokens;
use crate::vocabulary::Vocabulary;

/// The sections after the fixed header, read one after another, keeping
/// the CRC-32 of every byte read: from a file or from memory, each straight
/// into the vector it becomes, or from a map of the file, where the big
/// arrays stay in place.
pub(super) struct Sections<R> {
    source: R,
    /// The checksum of what was read since the last checksum: all of it
    /// for a read file; for a mapped one, only the fixed header, the rest
    /// being hashed from the map when the checksum is checked.
    hasher: crc32fast::Hasher,
    /// Where the next section starts in the file.
    position: usize,
    /// Where in a mapped file the bytes that the next checksum covers
    /// start, after the fixed header or the checksum before.
    hashed_from: usize,
    /// The whole file, mapped: sections are then taken from it, not read
    /// from `source`.
    #[cfg(all(target_endian = "little", not(windows)))]
    map: Option<Arc<memmap2::Mmap>>,
}

#[cfg(all(target_endian = "little", not(windows)))]
impl Sections<io::Empty> {
    /// The sections of the mapped file `map`, after its fixed header
    /// `fixed`.
    pub(super) fn in_map(fixed: &[u8], map: &Arc<memmap2::Mmap>) -> Self {
        Sections {
            map: Some(Arc::clone(map)),
            ..Sections::after(fixed, io::empty())
        }
    }
}

impl<R: Read> Sections<R> {
    /// The sections of `source`, which follows the fixed header `fixed`.
    pub(super) fn after(fixed: &[u8], source: R) -> Self {
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(fixed);
        Sections {
            source,
            hasher,
            position: fixed.len(),
            hashed_from: fixed.len(),
            #[cfg(all(target_endian = "little", not(windows)))]
            map: None,
        }
    }

    /// The next `count` bytes of a mapped file, or `None` when it is read.
    #[cfg(all(target_endian = "little", not(windows)))]
    fn mapped_bytes(&self, count: usize) -> Option<Result<&[u8], ChainFileError>> {
        let map = self.map.as_ref()?;
        let end = self.position.saturating_add(count);
        Some(map.get(self.position..end).ok_or(ChainFileError::Truncated))
    }

    /// Reads the next `buffer.len()` bytes, leaving the checksum alone.
    fn read_unhashed(&mut self, buffer: &mut [u8]) -> Result<(), ChainFileError> {
        #[cfg(all(target_endian = "little", not(windows)))]
        if let Some(bytes) = self.mapped_bytes(buffer.len()) {
            buffer.copy_from_slice(bytes?);
            self.position += buffer.len();
            return Ok(());
        }
        self.source.read_exact(buffer).map_err(|error| {
            if error.kind() == io::ErrorKind::UnexpectedEof {
                // The file changed size since its size was checked.
                ChainFileError::Truncated
            } else {
                ChainFileError::Io(error)
            }
        })?;
        self.position += buffer.len();
        Ok(())
    }

    fn fill(&mut self, buffer: &mut [u8]) -> Result<(), ChainFileError> {
        self.read_unhashed(buffer)?;
        if !self.is_mapped() {
            self.hasher.update(buffer);
        }
        Ok(())
    }

    /// Whether the sections are taken from a map of the file.
    fn is_mapped(&self) -> bool {
        #[cfg(all(target_endian = "little", not(windows)))]
        return self.map.is_some();
        #[cfg(not(all(target_endian = "little", not(windows))))]
        return false;
    }

    fn bytes(&mut self, count: usize) -> Result<Vec<u8>, ChainFileError> {
        let mut bytes = vec![0; count];
        self.fill(&mut bytes)?;
        Ok(bytes)
    }

    /// `count` little-endian `u32`s, read into their vector's own memory.
    fn u32s(&mut self, count: usize) -> Result<Vec<u32>, ChainFileError> {
        let mut numbers = vec![0u32; count];
        self.fill(bytemuck::cast_slice_mut(&mut numbers))?;
        if cfg!(target_endian = "big") {
            for number in &mut numbers {
                *number = u32::from_le(*number);
            }
        }
        Ok(numbers)
    }

    /// `count` values of `T`, in place in a mapped file; `None` when the
    /// file is read.
    #[cfg(all(target_endian = "little", not(windows)))]
    fn in_place<T: bytemuck::Pod>(
        &mut self,
        count: usize,
    ) -> Option<Result<Stored<T>, ChainFileError>> {
        let map = self.map.as_ref()?;
        let Some(stored) = Stored::<T>::mapped(map, self.position, count) else {
            return Some(Err(ChainFileError::Truncated));
        };
        self.position += count * size_of::<T>();
        Some(Ok(stored))
    }

    /// `count` bytes: in place in a mapped file, else read.
    fn stored_bytes(&mut self, count: usize) -> Result<Stored<u8>, ChainFileError> {
        #[cfg(all(target_endian = "little", not(windows)))]
        if let Some(stored) = self.in_place(count) {
            return stored;
        }
        self.bytes(count).map(Stored::from)
    }

    /// `count` little-endian `u32`s: in place in a mapped file, else read.
    fn stored_u32s(&mut self, count: usize) -> Result<Stored<u32>, ChainFileError> {
        #[cfg(all(target_endian = "little", not(windows)))]
        if let Some(stored) = self.in_place(count) {
            return stored;
        }
        self.u32s(count).map(Stored::from)
    }

    /// `count` bytes that must be zeros.
    fn padding(&mut self, count: usize) -> Result<(), ChainFileError> {
        if self.bytes(count)?.iter().any(|&byte| byte != 0) {
            return Err(invalid("its padding is not zeros".into()));
        }
        Ok(())
    }

    /// The next four bytes, a checksum, which no checksum covers.
    fn stored_checksum(&mut self) -> Result<u32, ChainFileError> {
        let mut stored = [0u8; 4];
        self.read_unhashed(&mut stored)
            .map_err(|_| ChainFileError::Truncated)?;
        Ok(u32::from_le_bytes(stored))
    }

    /// Fails unless the next four bytes are the checksum of everything
    /// read since the last; what follows gets a checksum of its own. A
    /// mapped file's bytes are hashed then, on up to `threads` threads.
    fn check_checksum(&mut self, threads: usize) -> Result<(), ChainFileError> {
        #[cfg(all(target_endian = "little", not(windows)))]
        if let Some(map) = self.map.clone() {
            // Sections are taken within the map, so the bytes are there;
            // none hashed would fail the check, not pass it.
            let covered = map.get(self.hashed_from..self.position);
            let hasher = std::mem::take(&mut self.hasher);
            self.hasher = hashed_on_threads(hasher, covered.unwrap_or_default(), threads);
        }
        #[cfg(not(all(target_endian = "little", not(windows))))]
        let _ = threads;
        let stored = self.stored_checksum()?;
        self.hashed_from = self.position;
        if stored != std::mem::take(&mut self.hasher).finalize() {
            return Err(ChainFileError::Checksum);
        }
        Ok(())
    }
}

/// `hasher` after the bytes of `covered`: on two threads, each taking
/// half, when `threads` allow and the bytes are many enough to pay for one
/// (a mapped file's first read of its pages is most of a small chain's
/// load).
#[cfg(all(target_endian = "little", not(windows)))]
fn hashed_on_threads(
    mut hasher: crc32fast::Hasher,
    covered: &[u8],
    threads: usize,
) -> crc32fast::Hasher {
    let threads = if covered.len() >= HASHED_APART_FROM {
        threads
    } else {
        1
    };
    let (first, second) = covered.split_at(covered.len() / 2);
    let (_, later) = both(
        threads,
        || hasher.update(first),
        || {
            let mut later = crc32fast::Hasher::new();
            later.update(second);
            later
        },
    );
    hasher.combine(&later);
    hasher
}

/// The fewest bytes of a mapped file hashed on two threads.
#[cfg(all(target_endian = "little", not(windows)))]
const HASHED_APART_FROM: usize = 1 << 20;

/// Reads the copy index into memory, checking its checksum as it goes:
/// `alphabet` ids (the words and the separator) and `tokens` tokens, cut
/// into windows as `layout` says.
pub(super) fn read_index<R: Read>(
    sections: &mut Sections<R>,
    alphabet: usize,
    tokens: usize,
    layout: WindowLayout,
) -> Result<Option<CopyIndex>, ChainFileError> {
    let spans: Vec<_> = layout.spans(tokens).collect();
    let starts = (spans.iter())
        .map(|_| sections.u32s(alphabet + 1).map(Stored::from))
        .collect::<Result<Vec<_>, _>>()?;
    let [text_width, suffix_width] = index_widths(alphabet, tokens);
    let mut packed = |width, count: usize| {
        let bytes = sections.bytes(packed_bytes(count as u64, width) as usize)?;
        let ids = PackedIds::owned(bytes, width, count).ok_or(ChainFileError::Truncated)?;
        Ok::<Ids, ChainFileError>(Ids::Packed(ids))
    };
    let text = packed(text_width, tokens)?;
    let mut windows = Vec::with_capacity(spans.len());
    for (span, first_token) in spans.into_iter().zip(starts) {
        let suffixes = packed(suffix_width, span.len())?;
        windows.push(WindowInFile {
            span,
            suffixes,
            first_token,
        });
    }
    // Read, not mapped: hashed as it was read.
    sections.check_checksum(1)?;
    Ok(CopyIndex::from_file(text, windows, layout, None))
}

/// Reads a copy index in place, in a mapped file: its text and suffix
/// arrays are not read until a guarded walk reads them, and its checksum
/// is left to [`CopyIndex::check`].
#[cfg(all(target_endian = "little", not(windows)))]
#[allow(clippy::type_complexity)]
pub(super) fn map_index<'file>(
    file: &'file Arc<memmap2::Mmap>,
    open: &'file Arc<std::fs::File>,
) -> impl FnOnce(
    &mut Sections<io::Empty>,
    usize,
    usize,
    WindowLayout,
) -> Result<Option<CopyIndex>, ChainFileError>
       + 'file {
    move |sections, alphabet, tokens, layout| {
        let spans: Vec<_> = layout.spans(tokens).collect();
        let starts = (spans.iter())
            .map(|_| sections.stored_u32s(alphabet + 1))
            .collect::<Result<Vec<_>, _>>()?;
        // A guarded walk reads a few ids here and there in the index: each
        // fault should bring in its page, not the 128 KiB around it that
        // the system reads ahead for a mapped file (a prompt to a chain of
        // 500 MB touched 250 MB).
        let [text_width, suffix_width] = index_widths(alphabet, tokens);
        let bytes = |width, count: usize| packed_bytes(count as u64, width) as usize;
        let length = bytes(text_width, tokens)
            + (spans.iter())
                .map(|span| bytes(suffix_width, span.len()))
                .sum::<usize>();
        let _ = file.advise_range(memmap2::Advice::Random, sections.position, length);
        let next_ids = |sections: &mut Sections<io::Empty>, width, count| {
            let ids = PackedIds::mapped(file, sections.position, width, count)
                .ok_or(ChainFileError::Truncated)?;
            sections.position += bytes(width, count);
            Ok::<Ids, ChainFileError>(Ids::Packed(ids))
        };
        let text = next_ids(sections, text_width, tokens)?;
        // The guard's searches read the text here and there: by position,
        // not through the map (see `PackedIds::get_sparse`).
        #[cfg(unix)]
        let text = match text {
            Ids::Packed(ids) => Ids::Packed(ids.read_sparsely_from(open)),
            other => other,
        };
        #[cfg(not(unix))]
        let _ = open;
        let mut windows = Vec::with_capacity(spans.len());
        for (span, first_token) in spans.into_iter().zip(starts) {
            let suffixes = next_ids(sections, suffix_width, span.len())?;
            windows.push(WindowInFile {
                span,
                suffixes,
                first_token,
            });
        }
        let stored = sections.stored_checksum()?;
        Ok(CopyIndex::from_file(text, windows, layout, Some(stored)))
    }
}

/// Every section of the chain, its checksum, then its contents, checked;
/// then its copy index as `read_copy_index` reads it.
pub(super) fn decode_sections<R: Read>(
    header: &FixedHeader,
    mut sections: Sections<R>,
    read_copy_index: impl FnOnce(
        &mut Sections<R>,
        usize,
        usize,
        WindowLayout,
    ) -> Result<Option<CopyIndex>, ChainFileError>,
) -> Result<(Chain, Vec<u8>), ChainFileError> {
    let metadata = sections.bytes(header.metadata_len)?;
    sections.padding(header.metadata_padding())?;
    let vocabulary_size = header.vocabulary_size as usize;
    let state_count = header.state_count as usize;
    let pairs = header.distinct_transition_count as usize;
    // Fields are read in the order they are written here: the file's.
    let decoded = Decoded {
        word_ends: sections.stored_u32s(vocabulary_size)?,
        word_bytes: {
            let bytes = sections.stored_bytes(header.vocabulary_bytes as usize)?;
            sections.padding(header.word_bytes_padding())?;
            bytes
        },
        states: if header.order > 1 {
            DecodedStates {
                last: sections.stored_u32s(state_count)?,
                previous: sections.stored_u32s(state_count)?,
                root_states: sections.u32s(header.root_count as usize)?,
                root_words: sections.u32s(header.root_count as usize * header.order)?,
            }
        } else {
            DecodedStates::default()
        },
        follower_offsets: sections.stored_u32s(state_count + 1)?,
        followers: sections.stored_u32s(pairs)?,
        cumulative: sections.stored_u32s(pairs)?,
        sentence_ends: sections.bytes(vocabulary_size.div_ceil(8))?,
        sentence_starts: sections.bytes(state_count.div_ceil(8))?,
        // Within the file, whose size the header's fields match.
        sentence_reachable: sections.stored_bytes(header.sentence_bits_len() as usize)?,
        sentence_distances: sections.stored_bytes(header.sentence_reachable as usize)?,
        far_sentence_distances: sections.u32s(3 * header.sentence_far_count as usize)?,
    };
    sections.padding(header.padding())?;
    // The checksum and the chain are checked on every core, as a build
    // links.
    let threads = BuildOptions::default().threads;
    sections.check_checksum(threads)?;
    let copy_index = match header.copy_index_len as usize {
        0 => None,
        tokens => {
            // The words' ids and the separator between documents.
            let alphabet = vocabulary_size + 1;
            let index = read_copy_index(&mut sections, alphabet, tokens, header.windows)?;
            Some(
                index
                    .ok_or_else(|| invalid("its copy index's parts do not fit together".into()))?,
            )
        }
    };
    let chain = decode_chain(header, decoded, threads)?;
    let chain = match copy_index {
        Some(index) => chain.with_copy_index(index),
        None => chain,
    };
    Ok((chain, metadata))
}

/// The states of a chain of order 2 or more, as a file holds them.
#[derive(Default)]
struct DecodedStates {
    last: Stored<u32>,
    /// The state each state follows, or none.
    previous: Stored<u32>,
    root_states: Vec<u32>,
    root_words: Vec<u32>,
}

/// The sections of a file, read but not yet checked.
struct Decoded {
    word_ends: Stored<u32>,
    word_bytes: Stored<u8>,
    states: DecodedStates,
    /// 0, then where each state's followers end.
    follower_offsets: Stored<u32>,
    followers: Stored<u32>,
    /// The running total of the followers' counts.
    cumulative: Stored<u32>,
    sentence_ends: Vec<u8>,
    sentence_starts: Vec<u8>,
    /// The default sentences' plan, a bit a state and step (whether it
    /// reaches a sentence end), then a byte for each that does; empty
    /// when the file holds none.
    sentence_reachable: Stored<u8>,
    sentence_distances: Stored<u8>,
    /// The state, step and distance of each distance too long for a byte.
    far_sentence_distances: Vec<u32>,
}

/// The chain the sections hold, checked.
fn decode_chain(
    header: &FixedHeader,
    decoded: Decoded,
    threads: usize,
) -> Result<Chain, ChainFileError> {
    let order = header.order;
    let state_count = header.state_count as usize;
    if header.vocabulary_size == 0 || state_count == 0 {
        return Err(invalid("it has no words".into()));
    }
    if header.token_count < order as u64 || header.token_count > MAX_WORDS as u64 {
        return Err(invalid(format!(
            "it claims {} words of text at order {order}",
            header.token_count
        )));
    }
    // The words and the transitions are checked side by side, once they
    // are many enough to pay for a thread: each reads arrays of its own,
    // most of a chain of order 1.
    let pairs = header.distinct_transition_count as usize;
    let (vocabulary, transitions) = both(
        if pairs >= MIN_SHARE { threads } else { 1 },
        || decode_vocabulary(header.tokens, decoded.word_ends, decoded.word_bytes),
        || {
            decode_transitions(
                header,
                decoded.follower_offsets,
                decoded.followers,
                decoded.cumulative,
            )
        },
    );
    let vocabulary = vocabulary?;
    if order == 1 && state_count != vocabulary.len() {
        return Err(invalid("at order 1 it has not one state per word".into()));
    }
    let transitions = transitions?;
    let states = if order == 1 {
        StateWords::SingleWord
    } else {
        decode_states(
            order,
            vocabulary.len(),
            decoded.states,
            &transitions.followers,
        )?
    };
    let sentences = match (
        BitSet::from_bytes(&decoded.sentence_ends, vocabulary.len()),
        BitSet::from_bytes(&decoded.sentence_starts, state_count),
    ) {
        (Some(ends), Some(starts)) => SentenceMarks {
            ends,
            starts: starts.ids().collect(),
        },
        _ => {
            return Err(invalid(
                "its sentence marks run past its words or states".into(),
            ))
        }
    };
    let chain = Chain::with_sentence_marks(
        header.tokens,
        order,
        header.token_count as usize,
        vocabulary,
        states,
        transitions,
        sentences,
    );
    if let StateWords::Linked(states) = chain.state_words_table() {
        check_linked_states(states, chain.transitions().follower_lists(), threads)?;
    }
    // Any byte is a distance a walk can take: a forged one may mislead
    // its sentences, which `llm markov info` finds
    // (`check_sentence_distances`). A file without them (sent between
    // processes) leaves them to be found if the chain is saved.
    if header.sentence_steps == 0 {
        if header.sentence_reachable > 0 || header.sentence_far_count > 0 {
            return Err(invalid("its plan for sentences has no steps".into()));
        }
        return Ok(chain);
    }
    let far = (decoded.far_sentence_distances.chunks_exact(3))
        .map(|entry| [entry[0], entry[1], entry[2]])
        .collect();
    let steps = header.sentence_steps as usize;
    let distances = SentenceDistances::new(
        steps,
        state_count,
        decoded.sentence_reachable,
        decoded.sentence_distances,
        far,
        (header.least_sentence != u64::MAX).then_some(header.least_sentence),
    );
    let Some(distances) = distances else {
        return Err(invalid(
            "its plan for sentences does not fit together".into(),
        ));
    };
    Ok(chain.with_sentence_distances(KnownSentenceDistances::known(distances)))
}

/// The states of a chain of `order` 2 or more from their last words, the
/// state each follows and their roots, as the file holds them, with the
/// chain's `followers`, checked.
fn decode_states(
    order: usize,
    vocabulary_size: usize,
    states: DecodedStates,
    followers: &[u32],
) -> Result<StateWords, ChainFileError> {
    let DecodedStates {
        last,
        previous,
        root_states,
        root_words,
    } = states;
    let in_vocabulary = |words: &[u32]| words.iter().all(|&id| (id as usize) < vocabulary_size);
    if !in_vocabulary(&last) || !in_vocabulary(&root_words) {
        return Err(invalid(
            "a state has a word that is not in its vocabulary".into(),
        ));
    }
    let roots: Vec<(u32, &[u32])> = root_states
        .iter()
        .zip(root_words.chunks_exact(order))
        .map(|(&state, words)| (state, words))
        .collect();
    match LinkedStates::from_saved(order, last, previous, &roots, followers) {
        Ok(states) => Ok(StateWords::Linked(states)),
        Err(LinkError::RootsOutOfPlace) => {
            Err(invalid("its first windows are out of place".into()))
        }
        Err(LinkError::PreviousNotAState) => Err(invalid(
            "a state follows a state that is not one of its states".into(),
        )),
        Err(LinkError::LinkOfAStateNoneLeadsTo) => Err(invalid(
            "a state that no state leads to is said to follow one".into(),
        )),
        Err(LinkError::RootWithoutWords) => Err(invalid(
            "a state follows no state but has no words of its own".into(),
        )),
        Err(LinkError::WordsOfALinkedState) => Err(invalid(
            "it gives words of its own to a state that follows another".into(),
        )),
    }
}

/// Fails unless the states of a chain of order 2 or more are in the order
/// of their words' ids, each once (merging relies on it), and every step
/// from a state to a follower moves the window on by one word: the
/// follower's first `order - 1` words are the state's last. Runs on up to
/// `threads` threads.
///
/// With the states in order, those that share their first `order - 1`
/// words are one run of ids, and a state's followers, in id order, all
/// continue it when its first and last follower do: any state between
/// them starts with the same words. So two followers a state are checked,
/// not every one, each against the words of every state found once, in
/// columns.
fn check_linked_states(
    states: &LinkedStates,
    transitions: FollowerLists<'_>,
    threads: usize,
) -> Result<(), ChainFileError> {
    let columns = states.word_columns(threads);
    let state_count = columns[0].len();
    let words_of = |state: usize| columns.iter().map(move |column| column[state]);
    let in_order = all_on_threads(state_count, threads, MIN_SHARE, |state| {
        state == 0 || words_of(state - 1).lt(words_of(state))
    });
    if !in_order {
        return Err(invalid("its states are out of order, or repeat".into()));
    }
    let (offsets, followers) = (transitions.offsets, transitions.followers);
    let continues = |state: usize, next: u32| {
        (columns.iter().skip(1).zip(&columns))
            .all(|(later, earlier)| later[state] == earlier[next as usize])
    };
    let consistent = all_on_threads(state_count, threads, MIN_SHARE, |state| {
        let mine = &followers[offsets[state] as usize..offsets[state + 1] as usize];
        match (mine.first(), mine.last()) {
            (Some(&first), Some(&last)) => {
                continues(state, first) && (last == first || continues(state, last))
            }
            _ => true,
        }
    });
    if !consistent {
        return Err(invalid(
            "a follower does not continue the words of its state".into(),
        ));
    }
    Ok(())
}

fn decode_vocabulary(
    tokens: Tokens,
    ends: Stored<u32>,
    bytes: Stored<u8>,
) -> Result<Vocabulary, ChainFileError> {
    // Every word is at least one byte: the ends rise strictly, from above 0.
    let rising = ends.first().is_none_or(|&first| first > 0)
        && ends.windows(2).all(|pair| pair[0] < pair[1]);
    if !rising {
        return Err(invalid("a word is empty or out of place".into()));
    }
    if ends.last().map_or(0, |&end| end as usize) != bytes.len() {
        return Err(invalid("its words do not fill their bytes".into()));
    }
    let vocabulary = Vocabulary::from_parts(bytes, ends);
    // In byte order, each once: merging relies on it.
    if !vocabulary.in_byte_order() {
        return Err(invalid("its words are not in byte order, or repeat".into()));
    }
    match tokens {
        Tokens::Words => check_bare_words(&vocabulary)?,
        Tokens::Lines | Tokens::Unicode => check_tokens_with_breaks(tokens, &vocabulary)?,
        // Any grapheme cluster is a token, whitespace included.
        Tokens::Chars => {}
    }
    Ok(vocabulary)
}

/// Fails unless every token of `vocabulary` is one word with no whitespace.
fn check_bare_words(vocabulary: &Vocabulary) -> Result<(), ChainFileError> {
    // No word may hold whitespace: each must read as one word on its own.
    // A whitespace character inside a word is found where it starts,
    // whatever comes before it, so when all the words joined hold none, no
    // word does: one pass over the bytes. Only when they do is each word
    // checked, since the end of one and the start of the next can make a
    // whitespace character that neither holds.
    let holds_whitespace = |bytes: &[u8]| {
        let mut words = Words::new(bytes);
        words.next_span() != Some((0, bytes.len())) || words.next_span().is_some()
    };
    // Most vocabularies hold no byte that is or may start whitespace:
    // then one quick pass tells, and the words are not split.
    let bytes = vocabulary.bytes();
    if may_hold_whitespace(bytes)
        && holds_whitespace(bytes)
        && vocabulary.words().any(holds_whitespace)
    {
        return Err(invalid("a word holds whitespace".into()));
    }
    Ok(())
}

/// Fails unless every token of `vocabulary` is one word followed by a break
/// that `tokens` mode keeps.
fn check_tokens_with_breaks(tokens: Tokens, vocabulary: &Vocabulary) -> Result<(), ChainFileError> {
    let is_token = |token: &[u8]| {
        let (text, kept) = tokens.split(token);
        let mut words = Words::new(text);
        !text.is_empty()
            && words.next_span() == Some((0, text.len()))
            && tokens.possible_breaks().contains(&kept)
    };
    if vocabulary.words().all(is_token) {
        Ok(())
    } else {
        Err(invalid(format!(
            "a token holds whitespace that no {tokens} token keeps"
        )))
    }
}

fn decode_transitions(
    header: &FixedHeader,
    offsets: Stored<u32>,
    followers: Stored<u32>,
    cumulative: Stored<u32>,
) -> Result<Transitions, ChainFileError> {
    // As slices, looked up once: a mapped array is found again on each
    // look.
    check_transitions(header, &offsets, &followers, &cumulative)?;
    Ok(Transitions {
        offsets,
        followers,
        cumulative,
    })
}

/// Fails unless the followers' offsets, the followers and their counts'
/// running totals make the transitions the header counts.
fn check_transitions(
    header: &FixedHeader,
    offsets: &[u32],
    followers: &[u32],
    cumulative: &[u32],
) -> Result<(), ChainFileError> {
    let state_count = header.state_count;
    // Each check runs to the end of its arrays, with no early exit: every
    // load of a good file goes all the way, and a loop without one is
    // vectorized.
    let in_order = offsets.first() == Some(&0)
        && (offsets.windows(2)).fold(true, |in_order, pair| in_order & (pair[0] <= pair[1]));
    if !in_order || offsets.last().copied() != Some(followers.len() as u32) {
        return Err(invalid("its followers are out of place".into()));
    }
    // The followers and their counts in one pass. Each state's followers
    // are in id order, each once (merging relies on it), so every fall
    // from one follower to the next is where one state's followers end
    // and the next's start: counted here over all the followers, then
    // over the states' starts.
    let mut in_range = followers.first().is_none_or(|&first| first < state_count);
    let mut falls = 0u64;
    // Every count is at least 1: the running totals rise from above 0.
    let mut rising = cumulative.first().is_none_or(|&first| first > 0);
    // Both are read with the header's count of transitions.
    let (next_followers, next_totals) = (
        followers.get(1..).unwrap_or_default(),
        cumulative.get(1..).unwrap_or_default(),
    );
    for ((follower, next), (total, next_total)) in
        (followers.iter().zip(next_followers)).zip(cumulative.iter().zip(next_totals))
    {
        in_range &= *next < state_count;
        falls += u64::from(follower >= next);
        rising &= total < next_total;
    }
    if !in_range {
        return Err(invalid("a follower is not one of its states".into()));
    }
    let falls_between_states = (offsets.windows(2))
        .filter(|range| range[0] > 0 && range[0] < range[1])
        .filter(|range| followers[range[0] as usize - 1] >= followers[range[0] as usize])
        .count();
    if falls != falls_between_states as u64 {
        return Err(invalid("a state's followers are out of order".into()));
    }
    if !rising {
        return Err(invalid("a follower has a count of zero or less".into()));
    }
    // Each document of `n` words gives `n - order` transitions: a single
    // text gives `token_count - order`, several fewer.
    let total = u64::from(cumulative.last().copied().unwrap_or(0));
    if total != header.transition_count {
        return Err(invalid(
            "its counts do not add up to its transitions".into(),
        ));
    }
    if total > header.token_count - header.order as u64 {
        return Err(invalid(
            "it has more transitions than the words of its text".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(all(target_endian = "little", not(windows)))]
    fn a_mapped_files_checksum_taken_in_halves_is_the_whole_ones() {
        // The bugs: the halves joined in the wrong order, a byte left out
        // or hashed twice where they meet, or the header's bytes lost,
        // on either side of the size where a second thread starts.
        let header = b"header";
        let bytes: Vec<u8> = (0..3 * HASHED_APART_FROM + 7)
            .map(|at| (at * 7 + at / 251) as u8)
            .collect();
        for length in [
            0,
            1,
            2,
            3,
            HASHED_APART_FROM - 1,
            HASHED_APART_FROM,
            bytes.len(),
        ] {
            let covered = &bytes[..length];
            let mut whole = crc32fast::Hasher::new();
            whole.update(header);
            whole.update(covered);
            let mut started = crc32fast::Hasher::new();
            started.update(header);
            let in_halves = hashed_on_threads(started, covered, 2);
            assert_eq!(in_halves.finalize(), whole.finalize(), "{length} bytes");
        }
    }

    /// Whether the states of `linked` are in order and every step moves
    /// its state's window on by one word, found by reading every step:
    /// what [`check_linked_states`] must find by reading two a state.
    fn every_step_continues(linked: &LinkedStates, lists: FollowerLists<'_>) -> bool {
        let order = linked.word_columns(1).len();
        let words = |state: usize| linked.words(state as u32).collect::<Vec<u32>>();
        let states = lists.offsets.len() - 1;
        (1..states).all(|state| words(state - 1) < words(state))
            && (0..states).all(|state| {
                let range = lists.offsets[state] as usize..lists.offsets[state + 1] as usize;
                lists.followers[range]
                    .iter()
                    .all(|&next| words(state)[1..] == words(next as usize)[..order - 1])
            })
    }

    #[test]
    fn two_followers_a_state_tell_what_every_step_tells() {
        // The bug: a step that does not go on from its state's words let
        // through, because only some followers of a state are read (the
        // first alone, say), or a good chain refused. Every follower of
        // every state is replaced in turn by every state, keeping each
        // state's followers in rising order (the transitions' own check)
        // and the states linkable: the forgeries a file could hold.
        let text = b"the cat sat on the mat and the dog sat on the cat . \
            the cat ran to the dog and the mat sat on the cat ran";
        let mut refused = 0;
        for order in 2..=3 {
            let chain = crate::build::build(text, order).unwrap();
            let StateWords::Linked(states) = chain.state_words_table() else {
                panic!("order {order} links its states");
            };
            let lists = chain.transitions().follower_lists();
            let (offsets, followers) = (lists.offsets.to_vec(), lists.followers.to_vec());
            let (root_states, root_words) = states.roots();
            let roots: Vec<(u32, &[u32])> = (root_states.iter().copied())
                .zip(root_words.chunks_exact(order))
                .collect();
            assert!(check_linked_states(states, lists, 1).is_ok());
            for at in 0..followers.len() {
                let state = offsets.partition_point(|&offset| offset as usize <= at) - 1;
                for replacement in 0..chain.state_count() {
                    let mut forged = followers.clone();
                    forged[at] = replacement;
                    let mine = &forged[offsets[state] as usize..offsets[state + 1] as usize];
                    if !mine.windows(2).all(|pair| pair[0] < pair[1]) {
                        continue;
                    }
                    let lists = FollowerLists {
                        offsets: &offsets,
                        followers: &forged,
                    };
                    let last = states.last_words().to_vec();
                    let Ok(linked) = LinkedStates::new(order, last, lists, &roots, 1) else {
                        continue;
                    };
                    let expected = every_step_continues(&linked, lists);
                    refused += usize::from(!expected);
                    assert_eq!(
                        check_linked_states(&linked, lists, 1).is_ok(),
                        expected,
                        "order {order}: follower {at} made {replacement}"
                    );
                }
            }
        }
        // Enough forgeries that link and are wrong to tell the checks apart.
        assert!(refused > 50, "{refused}");
    }

    /// A vocabulary of `words`, laid out as a file holds it.
    fn parts(words: &[&[u8]]) -> (Vec<u32>, Vec<u8>) {
        let mut ends = Vec::new();
        let mut bytes = Vec::new();
        for word in words {
            bytes.extend_from_slice(word);
            ends.push(bytes.len() as u32);
        }
        (ends, bytes)
    }

    fn decoded(tokens: Tokens, words: &[&[u8]]) -> Result<Vocabulary, String> {
        let (ends, bytes) = parts(words);
        decode_vocabulary(tokens, ends.into(), bytes.into()).map_err(|error| error.to_string())
    }

    #[test]
    fn a_vocabulary_in_byte_order_with_bare_words_decodes() {
        let vocabulary = decoded(Tokens::Words, &[b"Cat", b"cat", b"dog."]).unwrap();
        assert_eq!(vocabulary.word(2), b"dog.");
    }

    #[test]
    fn each_fault_of_a_vocabulary_has_its_own_error() {
        let cases: [(Tokens, &[&[u8]], &str); 5] = [
            (Tokens::Words, &[b"b", b"a"], "not in byte order"),
            (Tokens::Words, &[b"a", b"a"], "not in byte order"),
            (Tokens::Words, &[b"a b"], "holds whitespace"),
            (Tokens::Lines, &[b"a\t"], "no lines token keeps"),
            (Tokens::Unicode, &[b"a\n\n\n"], "no unicode token keeps"),
        ];
        for (tokens, words, message) in cases {
            let error = decoded(tokens, words).unwrap_err();
            assert!(error.contains(message), "{words:?}: {error}");
        }
        let (mut ends, bytes) = parts(&[b"a", b"b"]);
        ends.insert(0, 0);
        let error = decode_vocabulary(Tokens::Words, ends.into(), bytes.into()).unwrap_err();
        assert!(
            error.to_string().contains("empty or out of place"),
            "{error}"
        );
        let (ends, mut bytes) = parts(&[b"a", b"b"]);
        bytes.push(b'c');
        let error = decode_vocabulary(Tokens::Words, ends.into(), bytes.into()).unwrap_err();
        assert!(error.to_string().contains("do not fill"), "{error}");
    }

    #[test]
    fn whitespace_only_in_the_joined_words_is_not_in_a_word() {
        // "\xe2\x80" and "\xa8x" each hold no whitespace, but joined they
        // make U+2028, a line separator: the words are checked one by one
        // then, and pass. The character whole in one word fails.
        let vocabulary = |words: &[&[u8]]| {
            let (ends, bytes) = parts(words);
            Vocabulary::from_parts(bytes.into(), ends.into())
        };
        assert!(check_bare_words(&vocabulary(&[b"\xe2\x80", b"\xa8x"])).is_ok());
        assert!(check_bare_words(&vocabulary(&[b"a\xe2\x80\xa8"])).is_err());
    }

    #[test]
    fn tokens_with_breaks_keep_only_their_modes_breaks() {
        // In byte order: a line feed (0x0a) before a space (0x20).
        assert!(decoded(Tokens::Lines, &[b"a\n", b"a\n\n", b"a "]).is_ok());
        assert!(decoded(Tokens::Unicode, &[b",", b"a", b"a "]).is_ok());
        // Lines never keep "no break"; unicode tokens may.
        assert!(decoded(Tokens::Lines, &[b"a"]).is_err());
        assert!(decoded(Tokens::Lines, &[b" "]).is_err());
    }

    #[test]
    fn a_plan_for_sentences_reads_back_as_it_was_saved() {
        // The bugs: a field of the plan read in another order than it was
        // written (the least sentence, the counts), its far distances cut
        // or misplaced. A sentence ends 300 words from its first word, so
        // some distances are kept apart.
        let long: Vec<String> = (0..300).map(|word| format!("w{word}")).collect();
        let text = format!(
            "{} end. \"A (b) c.\" D e. {} end.",
            long.join(" "),
            long.join(" ")
        );
        for order in [1, 2] {
            let chain = crate::build::build(text.as_bytes(), order).unwrap();
            let mut bytes = Vec::new();
            let layout = WindowLayout::for_saving();
            super::super::encode_in_windows(
                &chain,
                b"{}",
                &mut bytes,
                crate::Watch::none(),
                layout,
            )
            .unwrap();
            let saved = chain.sentence_distances().get().unwrap();
            assert!(!saved.far().is_empty(), "order {order}");
            assert!(saved.least_sentence().is_some());
            let (loaded, _) = super::super::decode(&bytes).unwrap();
            assert_eq!(
                loaded.sentence_distances().get(),
                Some(saved),
                "order {order}"
            );
        }
    }
}
