//! Saving a chain to a file and loading it back: the chain file format.
//!
//! A chain file holds one chain, exactly as [`crate::build`] made it: the
//! same words, states, followers and counts. Every number is little-endian,
//! whatever the platform. In order:
//!
//! | bytes | what |
//! | --- | --- |
//! | 8 | the magic number `89 4D 41 52 4B 4F 56 0A` (`\x89MARKOV\n`) |
//! | 4 | the format version, [`crate::limits::FORMAT_VERSION`] |
//! | 4 | the token mode: 0 `words`, 1 `lines`, 2 `unicode`, 3 `chars` ([`crate::Tokens`]) |
//! | 4 | *I*, how many tokens the copy index's text has, or 0 without one |
//! | 4 | *D*, how many tokens lie between the starts of two windows of the copy index's text (0 without one) |
//! | 4 | *L*, how many tokens each window shares with the next (0 without one) |
//! | 4 | the order *k* |
//! | 8 | *N*, how many words (tokens) the training text had |
//! | 8 | *T*, how many transitions: the sum of the counts |
//! | 4 | *V*, how many distinct words |
//! | 8 | *B*, how many bytes the distinct words take together |
//! | 4 | *S*, how many states |
//! | 4 | *P*, how many distinct (state, next state) pairs |
//! | 4 | *R*, how many states follow no state (a document's first window that appears nowhere else) |
//! | 4 | *Q*, the steps a state of the default sentences' plan, or 0 when the file holds none |
//! | 4 | *E*, how many (state, step) pairs of the plan reach a sentence end |
//! | 4 | *F*, how many of their distances are kept apart (too long for a byte) |
//! | 8 | the fewest tokens of a whole sentence from a sentence start, by the plan (`u64::MAX` for none, or without a plan) |
//! | 4 | *M*, how many bytes of metadata follow |
//! | *M* | metadata: the writer's own (the plugin writes a JSON object) |
//! | 0 to 3 | zeros, to a multiple of 4 bytes |
//! | 4 *V* | where each word ends in the words' bytes (a `u32` each) |
//! | *B* | the words' bytes, one after another, in byte order |
//! | 0 to 3 | zeros, to a multiple of 4 bytes |
//! | 4 *S* | each state's last word id (only when *k* > 1: at order 1, state *i* is word *i*); states are in the order of their words' ids |
//! | 4 *S* | the state of least id that each state follows, `u32::MAX` for none (only when *k* > 1) |
//! | 4 *R* + 4 *R k* | the states that follow no state, in id order, then the *k* word ids of each (only when *k* > 1) |
//! | 4 (*S* + 1) | 0, then where each state's followers end in the two arrays below |
//! | 4 *P* | each follower (a state id), in id order |
//! | 4 *P* | the running total of the counts: how many times the followers up to and including this one followed, over all states |
//! | ⌈*V* / 8⌉ | which words end a sentence: bit `i % 8` of byte `i / 8` for word *i* |
//! | ⌈*S* / 8⌉ | which states start a sentence, the same way |
//! | ⌈*S Q* / 8⌉ + *E* + 12 *F* | the default sentences' plan: a bit for each state and each of its *Q* steps (which pair is open, none first), set where a sentence end with its pairs balanced is reachable; a byte for each set bit, the fewest tokens to that end, or 255 when more than 254; then the state, step and distance (a `u32` each) of each of those, in order |
//! | 0 to 3 | zeros, to a multiple of 4 bytes |
//! | 4 | CRC-32 (as zlib's `crc32`) of every byte before it |
//! | 4 (*V* + 2) *W* | with the copy index, for each of its *W* windows: where the window's suffixes that start with each id (the words, then *V*, the separator) start in its suffix array, then the window's length |
//! | 4 ⌈*I w* / 32⌉ | with the copy index: the text as word ids, its documents one after another, *V* between each two, each in *w* bits, the fewest that hold *V*: bit *j* of the ids is bit `j % 8` of byte `j / 8`, then zeros to a multiple of 4 bytes |
//! | 4 ⌈*I*ᵢ *u* / 32⌉ each | with the copy index, for each window *i* of *I*ᵢ tokens: its suffix array, where each of its suffixes starts in the text, in *u* bits, the fewest that hold *I* - 1, packed the same way |
//! | 4 | with the copy index: CRC-32 of its sections |
//!
//! The copy index's windows: one, the whole text, when *I* ≤ *D* + *L*;
//! else ⌈(*I* − *L*) / *D*⌉ of them, window *i* from token *i D* to token
//! min(*i D* + *D* + *L*, *I*). A window's suffixes are read up to its end,
//! as if the text ended there, so that each window is sorted on its own
//! and saving a long text holds one window's sort at a time. Every run of
//! at most *L* tokens lies in some window, so a guard that looks in each
//! is exact for `max_copy` below *L*, and a walk asked for more is refused.
//!
//! A state's other words are those of the state of least id that it
//! follows, moved on by one, so a state costs the same few bytes at every
//! order. That state is found from the transitions when a chain is built
//! or merged, and saved, so that a load need not scan every transition
//! for it; a load checks that each is a state or none, that the states
//! that follow none are the roots, that a state linked to another is one
//! some transition leads to, and that every step continues the words they
//! give (any state a state follows gives it the same words).
//!
//! The sentence marks record what the sentence rule said when the chain
//! was trained (see [`crate::ends_sentence`]), so that a file keeps its
//! sentences whatever later versions make of punctuation. Version 1 had no
//! sentence marks; version 3 added the token mode, version 4 the copy
//! index, version 5 documents (several may end without a follower) and
//! the order of ids that merging relies on, version 6 a checksum of the
//! index of its own, 4-aligned, with each id's place in it, version 7 the
//! index's ids packed in as few bits as they need, version 8 every array
//! 4-aligned and the counts as running totals, so that a mapped file is
//! used in place, version 9 the index's text in windows, each with its own
//! suffix array, version 10 the default sentences' plan, version 11 the
//! state each state follows.
//!
//! The default sentences' plan is what a walk in sentences without a
//! phrase or a cap on characters steers by; a prompt reads it rather than
//! run the backward pass over the whole chain. [`save`] finds it;
//! [`encode`], which sends a chain between processes, leaves it out (*Q*
//! = 0), and a prompt to such a file runs the pass.
//!
//! Files come from anywhere, so loading checks everything of the chain
//! before it trusts anything: the size that the header promises (before
//! allocating), the checksum, and then that the contents make a chain: ids
//! in range, words without whitespace (but the break a token keeps),
//! words, states and followers in their order, counts that add up to *T*,
//! at most *N* − *k*, and every step from a state to a follower consistent
//! with their words. A file that fails is an error that says what to do,
//! never a panic, a hang or unbounded memory.
//!
//! [`load`] maps the file and uses its arrays in place, as a chain holds
//! them (the counts are running totals, as a draw searches them): loading
//! copies none of them, so a prompt to a saved chain pays for its checks,
//! not for reading it into memory. The copy index is most of a guarded
//! file and a prompt reads a few pages of it, so of the index [`load`]
//! checks only what is proportional to the vocabulary and the windows:
//! that its parts fit together (each id's starts from 0, never falling,
//! ending at the window's length). Every read of it stays within its
//! sections whatever they hold, so a forged index can make the guard miss
//! copies or stop, never read out of bounds. [`check_copy_index`] checks
//! the rest in linear time: its checksum, ids in range, *N* words, each
//! id's starts, and suffix arrays that are their windows'; `llm markov info`
//! and `merge` make it. Of the sentences' plan, [`load`] checks that its
//! parts fit together: any byte of it is a distance a walk can take, so a
//! forged one can mislead a walk's sentences, never crash it, and
//! [`check_sentence_distances`] (`llm markov info`) finds it. (Where a
//! file is read instead of mapped, on Windows, big-endian machines, or
//! from memory, each array is read into memory and the index's checksum
//! is checked as it is read.)

mod atomic;
mod decode;
mod encode;
mod header;
#[cfg(test)]
mod windows_tests;

use std::io::Write;
use std::path::Path;

use crate::build_options::Watch;
use crate::chain::Chain;
use crate::copy_index::{CopyIndex, WindowLayout};
use crate::error::ChainFileError;
#[cfg(doc)]
use crate::limits::MAX_METADATA_BYTES;
use crate::sentence_distances::SentenceDistances;
use crate::steer;
use crate::tokens::Tokens;
use decode::{decode_sections, read_index, Sections};
use header::{open_chain_file, parse_fixed_header, read_up_to, HEADER_LEN};

/// What a chain file's header says, read without the rest of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// How the training text was cut into tokens.
    pub tokens: Tokens,
    /// Whether the file holds the copy guard's index.
    pub has_copy_index: bool,
    /// How many bytes of the file the copy guard's index takes (the text
    /// as ids and its suffix array, each packed in as few bits as they
    /// need, and where each id's suffixes start, 4 bytes a word); 0
    /// without one.
    pub copy_index_bytes: u64,
    /// How many words of context a state holds.
    pub order: usize,
    /// How many words the training text had.
    pub token_count: u64,
    /// How many transitions the chain learned (see
    /// [`Chain::transition_count`]).
    pub transition_count: u64,
    /// How many distinct words the text had.
    pub vocabulary_size: u32,
    /// How many distinct states the chain has.
    pub state_count: u32,
    /// How many distinct (state, next state) pairs the chain holds.
    pub distinct_transition_count: u32,
    /// The writer's metadata, as it gave it.
    pub metadata: Vec<u8>,
}

impl Header {
    /// Reads the header and metadata of the chain file at `path`, and
    /// checks that the file has the size the header promises: enough to
    /// list saved chains without loading them, and to tell a truncated
    /// file. The rest of the file is not checked.
    pub fn read(path: &Path) -> Result<Header, ChainFileError> {
        let (mut file, _, fixed) = open_chain_file(path)?;
        fixed.check_size(file.metadata()?.len())?;
        let mut metadata = vec![0u8; fixed.metadata_len];
        if read_up_to(&mut file, &mut metadata)? < fixed.metadata_len {
            return Err(ChainFileError::Truncated);
        }
        Ok(Header {
            tokens: fixed.tokens,
            has_copy_index: fixed.copy_index_len > 0,
            copy_index_bytes: fixed.copy_index_bytes() as u64,
            order: fixed.order,
            token_count: fixed.token_count,
            transition_count: fixed.transition_count,
            vocabulary_size: fixed.vocabulary_size,
            state_count: fixed.state_count,
            distinct_transition_count: fixed.distinct_transition_count,
            metadata,
        })
    }
}

/// Loads the chain file at `path`: the chain, and the metadata it was
/// saved with. Every part of the file is checked first (see the format
/// above), and nothing is allocated for the contents until the file's size
/// is the one its header promises. Of the copy index, only that its parts
/// fit together is checked, in time of the vocabulary; the rest is left to
/// [`check_copy_index`]. The file is mapped where the system allows, and
/// its arrays used in place; it is read otherwise.
pub fn load(path: &Path) -> Result<(Chain, Vec<u8>), ChainFileError> {
    let (file, bytes, fixed) = open_chain_file(path)?;
    let size = file.metadata()?.len();
    fixed.check_size(size)?;
    // Mapped, not read: the chain's arrays are used in place, and a
    // prompt reads a few pages of a guarded chain's index, most of its
    // file.
    #[cfg(all(target_endian = "little", not(windows)))]
    if let Some(map) = map_file(&file).filter(|map| map.len() as u64 == size) {
        let map = std::sync::Arc::new(map);
        // Kept open beside its map: the copy index reads its text by
        // position.
        let open = std::sync::Arc::new(file);
        return decode_sections(
            &fixed,
            Sections::in_map(&bytes, &map),
            decode::map_index(&map, &open),
        );
    }
    // The size is the file's own: each section is read straight into the
    // vector it becomes, with no copy of the whole file.
    decode_sections(&fixed, Sections::after(&bytes, file), read_index)
}

/// The checks [`load`] leaves out of a loaded chain's copy index, if it
/// has one: its checksum, its words, its length against the header's word
/// count, where each word's suffixes start, and that its suffix array is
/// its text's. A forged index would make the guard miss copies; `llm
/// markov info` and `merge` check it. `watch` can cancel it, and counts
/// its progress, up to [`copy_index_check_work`].
pub fn check_copy_index(chain: &Chain, watch: Watch) -> Result<(), ChainFileError> {
    match chain.copy_index() {
        Some(index) => index.check(chain.vocabulary().len() as u32, chain.token_count(), watch),
        None => Ok(()),
    }
}

/// Checks what [`load`] leaves out of a loaded chain's saved sentences'
/// plan, if it has one: that it is the plan its chain makes (the backward
/// pass runs again). A forged one would mislead a walk in sentences, never
/// crash it; `llm markov info` checks it (a merge makes its own plan).
pub fn check_sentence_distances(chain: &Chain) -> Result<(), ChainFileError> {
    match chain.sentence_distances().get() {
        Some(saved) if steer::sentence_distances_of(chain) != *saved => Err(header::invalid(
            "its plan for sentences is not its chain's".into(),
        )),
        _ => Ok(()),
    }
}

/// `chain`'s default sentences' plan, to be saved with it, found unless
/// known: a prompt to the saved chain then reads it rather than running
/// the backward pass in every process. `None` for a plan too large for
/// the header's counts (billions of states), whose prompts run the pass.
fn plan_sentences(chain: &Chain) -> Option<&SentenceDistances> {
    let distances = chain
        .sentence_distances()
        .get_or_find(|| steer::sentence_distances_of(chain));
    let counted = |len: usize| u32::try_from(len).is_ok();
    Some(distances)
        .filter(|distances| counted(distances.bytes().len()) && counted(distances.far().len()))
}

/// How much progress [`check_copy_index`] reports in all for `chain`: two
/// units a token of each window of its copy index (its suffixes placed,
/// then its text read), 0 without an index.
pub fn copy_index_check_work(chain: &Chain) -> u64 {
    chain.copy_index().map_or(0, CopyIndex::check_work)
}

/// `file` mapped into memory, read-only, or `None` when the system will
/// not map it (then it is read instead).
#[cfg(all(target_endian = "little", not(windows)))]
#[allow(unsafe_code)]
fn map_file(file: &std::fs::File) -> Option<memmap2::Mmap> {
    // SAFETY: the map is read while the file could change under it. Chain
    // files are written whole and renamed into place, never changed in
    // place, so a map keeps the file it was made of (a rename leaves the
    // mapped inode as it was). Another program that truncated a chain
    // file in place would make reads of the lost pages fault, as with any
    // mapped file; the contents themselves are checked as untrusted.
    unsafe { memmap2::Mmap::map(file) }.ok()
}

/// The chain and metadata held by `bytes`, the whole of a chain file,
/// checked as [`load`] checks a file.
pub fn decode(bytes: &[u8]) -> Result<(Chain, Vec<u8>), ChainFileError> {
    let (header, body) = bytes.split_at(bytes.len().min(HEADER_LEN));
    let fixed = parse_fixed_header(header)?;
    fixed.check_size(bytes.len() as u64)?;
    decode_sections(&fixed, Sections::after(header, body), read_index)
}

/// The size in bytes of the file that [`save`] writes for `chain` with
/// `metadata_len` bytes of metadata: the total of a save's progress.
pub fn saved_size(chain: &Chain, metadata_len: usize) -> u64 {
    let distances = plan_sentences(chain);
    let header =
        header::FixedHeader::of(chain, metadata_len, distances, WindowLayout::for_saving());
    // A chain holds at most MAX_WORDS tokens, so its file fits in a u64.
    u64::try_from(header.file_size()).unwrap_or(u64::MAX)
}

/// Saves `chain` with `metadata` (at most [`MAX_METADATA_BYTES`], anything
/// the caller wants kept with it) to `path`, atomically: the file is
/// written to a temporary file in the same folder, flushed to disk, then
/// renamed over `path`. A failure, or a cancel raised through `watch`
/// before the rename, leaves `path` as it was and no temporary file behind;
/// once the rename is done, it returns `Ok` whatever `watch` says.
pub fn save(
    chain: &Chain,
    path: &Path,
    metadata: &[u8],
    watch: Watch,
) -> Result<(), ChainFileError> {
    let distances = plan_sentences(chain);
    atomic::write_atomically(path, watch, |out| {
        encode::encode(
            chain,
            metadata,
            distances,
            out,
            watch,
            WindowLayout::for_saving(),
        )
    })
}

/// Writes `chain` with `metadata` to `out`, its copy index's text cut into
/// windows as `layout` says (the tests' small windows, where [`encode`]
/// and [`save`] use [`WindowLayout::for_saving`]).
#[cfg(test)]
pub(crate) fn encode_in_windows(
    chain: &Chain,
    metadata: &[u8],
    out: &mut impl Write,
    watch: Watch,
    layout: WindowLayout,
) -> Result<(), ChainFileError> {
    let distances = plan_sentences(chain);
    encode::encode(chain, metadata, distances, out, watch, layout)
}

/// Writes `chain` with `metadata` to `out` in the chain file format,
/// without the default sentences' plan that [`save`] keeps: what goes
/// between processes, whose chains are merged or saved (which finds the
/// plan again) rather than prompted. The same chain, loaded or built,
/// writes the same bytes.
pub fn encode(
    chain: &Chain,
    metadata: &[u8],
    out: &mut impl Write,
    watch: Watch,
) -> Result<(), ChainFileError> {
    let layout = WindowLayout::for_saving();
    encode::encode(chain, metadata, None, out, watch, layout)
}
