//! Saving a chain to a file and loading it back: the chain file format.
//!
//! A chain file holds one chain, exactly as [`Chain::build`] made it: the
//! same words, states, followers and counts. Every number is little-endian,
//! whatever the platform. In order:
//!
//! | bytes | what |
//! | --- | --- |
//! | 8 | the magic number `89 4D 41 52 4B 4F 56 0A` (`\x89MARKOV\n`) |
//! | 4 | the format version, [`FORMAT_VERSION`] |
//! | 4 | the order *k* |
//! | 8 | how many words the training text had |
//! | 4 | *V*, how many distinct words |
//! | 8 | *B*, how many bytes the distinct words take together |
//! | 4 | *S*, how many states |
//! | 4 | *P*, how many distinct (state, next state) pairs |
//! | 4 | *M*, how many bytes of metadata follow |
//! | *M* | metadata: the writer's own (the plugin writes a JSON object) |
//! | 4 *V* | where each word ends in the words' bytes (a `u32` each) |
//! | *B* | the words' bytes, one after another, in order of first appearance |
//! | 4 *S k* | each state's word ids, oldest first (only when *k* > 1: at order 1, state *i* is word *i*) |
//! | 4 *S* | where each state's followers end in the two arrays below |
//! | 4 *P* | each follower (a state id), in the order they first followed |
//! | 4 *P* | how many times each follower followed |
//! | ⌈*V* / 8⌉ | which words end a sentence: bit `i % 8` of byte `i / 8` for word *i* |
//! | ⌈*S* / 8⌉ | which states start a sentence, the same way |
//! | 4 | CRC-32 (as zlib's `crc32`) of every byte before it |
//!
//! The sentence marks record what the sentence rule said when the chain
//! was trained (see [`crate::ends_sentence`]), so that a file keeps its
//! sentences whatever later versions make of punctuation. Version 1 had no
//! sentence marks.
//!
//! Files come from anywhere, so loading checks everything before it trusts
//! anything: the size that the header promises (before allocating), the
//! checksum, and then that the contents make a chain: ids in range, words
//! without whitespace, counts that add up to the words of the text, every
//! step from a state to a follower consistent with their words. A file that
//! fails is an error that says what to do, never a panic, a hang or
//! unbounded memory.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::build_options::Watch;
use crate::chain::{Chain, StateWords, Transitions, MAX_ORDER};
use crate::corpus::MAX_WORDS;
use crate::error::ChainFileError;
use crate::sentence::{BitSet, SentenceMarks};
use crate::tokenize::Words;
use crate::vocabulary::Vocabulary;

/// The version of the format this crate writes, and the only one it reads.
pub const FORMAT_VERSION: u32 = 2;

/// The most metadata a file may carry.
pub const MAX_METADATA_BYTES: usize = 1 << 20;

/// Marks a chain file. The first byte is not ASCII and the last is a line
/// feed, as in PNG's signature, so that a file mangled as text fails early.
const MAGIC: [u8; 8] = *b"\x89MARKOV\n";

/// The fixed fields before the metadata.
const HEADER_LEN: usize = 48;

/// What a chain file's header says, read without the rest of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainFileHeader {
    /// How many words of context a state holds.
    pub order: usize,
    /// How many words the training text had.
    pub word_count: u64,
    /// How many distinct words the text had.
    pub vocabulary_size: u32,
    /// How many distinct states the chain has.
    pub state_count: u32,
    /// How many distinct (state, next state) pairs the chain holds.
    pub distinct_transition_count: u32,
    /// The writer's metadata, as it gave it.
    pub metadata: Vec<u8>,
}

impl ChainFileHeader {
    /// Reads the header and metadata of the chain file at `path`, and
    /// nothing more: enough to list saved chains without loading them. The
    /// rest of the file is not checked.
    pub fn read(path: &Path) -> Result<ChainFileHeader, ChainFileError> {
        let (mut file, _, fixed) = open_chain_file(path)?;
        let mut metadata = vec![0u8; fixed.metadata_len];
        if read_up_to(&mut file, &mut metadata)? < fixed.metadata_len {
            return Err(ChainFileError::Truncated);
        }
        Ok(ChainFileHeader {
            order: fixed.order,
            word_count: fixed.word_count,
            vocabulary_size: fixed.vocabulary_size,
            state_count: fixed.state_count,
            distinct_transition_count: fixed.distinct_transition_count,
            metadata,
        })
    }
}

/// The fixed fields at the start of every chain file, before its metadata.
struct FixedHeader {
    order: usize,
    word_count: u64,
    vocabulary_size: u32,
    vocabulary_bytes: u64,
    state_count: u32,
    distinct_transition_count: u32,
    metadata_len: usize,
}

impl FixedHeader {
    /// The exact size of the whole file, as the header describes it.
    fn file_size(&self) -> u128 {
        let words = 4 * u128::from(self.vocabulary_size) + u128::from(self.vocabulary_bytes);
        let state_words = if self.order > 1 {
            4 * u128::from(self.state_count) * self.order as u128
        } else {
            0
        };
        let transitions =
            4 * u128::from(self.state_count) + 8 * u128::from(self.distinct_transition_count);
        let sentence_marks =
            u128::from(self.vocabulary_size).div_ceil(8) + u128::from(self.state_count).div_ceil(8);
        HEADER_LEN as u128
            + self.metadata_len as u128
            + words
            + state_words
            + transitions
            + sentence_marks
            + 4
    }

    /// Fails unless a file of `actual` bytes is exactly the size the
    /// header promises.
    fn check_size(&self, actual: u64) -> Result<(), ChainFileError> {
        let expected = self.file_size();
        match u128::from(actual) {
            actual if actual < expected => Err(ChainFileError::Truncated),
            actual if actual > expected => Err(ChainFileError::TrailingBytes {
                extra: actual - expected,
            }),
            _ => Ok(()),
        }
    }
}

/// Opens the chain file at `path` and reads its fixed header: the file,
/// positioned after it, the header's bytes, and what they say.
fn open_chain_file(path: &Path) -> Result<(File, [u8; HEADER_LEN], FixedHeader), ChainFileError> {
    let mut file = File::open(path)?;
    let mut bytes = [0u8; HEADER_LEN];
    let read = read_up_to(&mut file, &mut bytes)?;
    let fixed = parse_fixed_header(&bytes[..read])?;
    Ok((file, bytes, fixed))
}

/// Reads into `buffer` until it is full or the file ends; returns how many
/// bytes were read.
fn read_up_to(file: &mut File, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match file.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

/// The fixed fields of a header, from its first bytes (all of them, unless
/// the file is shorter).
fn parse_fixed_header(bytes: &[u8]) -> Result<FixedHeader, ChainFileError> {
    if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC {
        return Err(ChainFileError::NotAChainFile);
    }
    let mut fields = Fields::new(&bytes[MAGIC.len()..]);
    let version = fields.u32()?;
    if version > FORMAT_VERSION {
        return Err(ChainFileError::NewerFormat { version });
    }
    if version < FORMAT_VERSION {
        return Err(ChainFileError::OlderFormat { version });
    }
    let fixed = FixedHeader {
        order: fields.u32()? as usize,
        word_count: fields.u64()?,
        vocabulary_size: fields.u32()?,
        vocabulary_bytes: fields.u64()?,
        state_count: fields.u32()?,
        distinct_transition_count: fields.u32()?,
        metadata_len: fields.u32()? as usize,
    };
    if !(1..=MAX_ORDER).contains(&fixed.order) {
        return Err(invalid(format!(
            "its order is {}, not 1 to {MAX_ORDER}",
            fixed.order
        )));
    }
    if fixed.metadata_len > MAX_METADATA_BYTES {
        return Err(invalid(format!(
            "it claims {} bytes of metadata, more than {MAX_METADATA_BYTES}",
            fixed.metadata_len
        )));
    }
    Ok(fixed)
}

fn invalid(what: String) -> ChainFileError {
    ChainFileError::Invalid(what)
}

/// Little-endian numbers read one after another from a byte slice.
struct Fields<'a> {
    bytes: &'a [u8],
}

impl<'a> Fields<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Fields { bytes }
    }

    fn take(&mut self, count: usize) -> Result<&'a [u8], ChainFileError> {
        if self.bytes.len() < count {
            return Err(ChainFileError::Truncated);
        }
        let (taken, rest) = self.bytes.split_at(count);
        self.bytes = rest;
        Ok(taken)
    }

    fn u32(&mut self) -> Result<u32, ChainFileError> {
        let bytes = self.take(4)?;
        Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    fn u64(&mut self) -> Result<u64, ChainFileError> {
        let low = u64::from(self.u32()?);
        let high = u64::from(self.u32()?);
        Ok(low | high << 32)
    }
}

impl Chain {
    /// Loads the chain file at `path`: the chain, and the metadata it was
    /// saved with. Every part of the file is checked first (see the format
    /// in the crate's `chain_file` module), and nothing is allocated for the
    /// contents until the file's size is the one its header promises.
    pub fn load(path: &Path) -> Result<(Chain, Vec<u8>), ChainFileError> {
        let (file, bytes, fixed) = open_chain_file(path)?;
        fixed.check_size(file.metadata()?.len())?;
        // The size is the file's own: each section is read straight into
        // the vector it becomes, with no copy of the whole file.
        decode_sections(&fixed, Sections::after(&bytes, file))
    }

    /// The chain and metadata held by `bytes`, the whole of a chain file,
    /// checked as [`Chain::load`] checks a file.
    pub fn decode(bytes: &[u8]) -> Result<(Chain, Vec<u8>), ChainFileError> {
        let (header, body) = bytes.split_at(bytes.len().min(HEADER_LEN));
        let fixed = parse_fixed_header(header)?;
        fixed.check_size(bytes.len() as u64)?;
        decode_sections(&fixed, Sections::after(header, body))
    }

    /// Saves the chain with `metadata` (at most [`MAX_METADATA_BYTES`],
    /// anything the caller wants kept with it) to `path`, atomically: the
    /// file is written to a temporary file in the same folder, flushed to
    /// disk, then renamed over `path`. A failure, or a cancel raised
    /// through `watch` before the rename, leaves `path` as it was and no
    /// temporary file behind.
    pub fn save(&self, path: &Path, metadata: &[u8], watch: Watch) -> Result<(), ChainFileError> {
        let temporary = temporary_path(path);
        let outcome = write_file(self, metadata, &temporary, watch)
            .and_then(|()| fs::rename(&temporary, path).map_err(ChainFileError::from));
        if outcome.is_err() {
            // It may not exist (creating it failed); either way it must go.
            let _ = fs::remove_file(&temporary);
        }
        outcome?;
        sync_folder(path);
        Ok(())
    }

    /// Writes the chain with `metadata` to `out` in the chain file format.
    pub fn encode(
        &self,
        metadata: &[u8],
        out: &mut impl Write,
        watch: Watch,
    ) -> Result<(), ChainFileError> {
        encode(self, metadata, out, watch)
    }
}

/// The sections after the fixed header, read one after another from a file
/// or from memory, each straight into the vector it becomes, keeping the
/// CRC-32 of every byte read.
struct Sections<R> {
    source: R,
    hasher: crc32fast::Hasher,
}

impl<R: Read> Sections<R> {
    /// The sections of `source`, which follows the fixed header `fixed`.
    fn after(fixed: &[u8], source: R) -> Self {
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(fixed);
        Sections { source, hasher }
    }

    fn fill(&mut self, buffer: &mut [u8]) -> Result<(), ChainFileError> {
        self.source.read_exact(buffer).map_err(|error| {
            if error.kind() == io::ErrorKind::UnexpectedEof {
                // The file changed size since its size was checked.
                ChainFileError::Truncated
            } else {
                ChainFileError::Io(error)
            }
        })?;
        self.hasher.update(buffer);
        Ok(())
    }

    fn bytes(&mut self, count: usize) -> Result<Vec<u8>, ChainFileError> {
        let mut bytes = vec![0; count];
        self.fill(&mut bytes)?;
        Ok(bytes)
    }

    /// `count` little-endian `u32`s, read into their vector's own memory.
    fn u32s(&mut self, count: usize) -> Result<Vec<u32>, ChainFileError> {
        let mut numbers = vec![0u32; count];
        self.fill_u32s(&mut numbers)?;
        Ok(numbers)
    }

    fn fill_u32s(&mut self, numbers: &mut [u32]) -> Result<(), ChainFileError> {
        self.fill(bytemuck::cast_slice_mut(numbers))?;
        if cfg!(target_endian = "big") {
            for number in numbers {
                *number = u32::from_le(*number);
            }
        }
        Ok(())
    }

    /// A zero, then `count` little-endian `u32`s.
    fn u32s_after_zero(&mut self, count: usize) -> Result<Vec<u32>, ChainFileError> {
        let mut numbers = vec![0u32; count + 1];
        self.fill_u32s(&mut numbers[1..])?;
        Ok(numbers)
    }

    /// Fails unless the stored checksum is that of everything read.
    fn finish(mut self) -> Result<(), ChainFileError> {
        let mut stored = [0u8; 4];
        self.source
            .read_exact(&mut stored)
            .map_err(|_| ChainFileError::Truncated)?;
        if u32::from_le_bytes(stored) != self.hasher.finalize() {
            return Err(ChainFileError::Checksum);
        }
        Ok(())
    }
}

/// Every section, its checksum, then its contents, checked.
fn decode_sections(
    header: &FixedHeader,
    mut sections: Sections<impl Read>,
) -> Result<(Chain, Vec<u8>), ChainFileError> {
    let metadata = sections.bytes(header.metadata_len)?;
    let vocabulary_size = header.vocabulary_size as usize;
    let state_count = header.state_count as usize;
    let pairs = header.distinct_transition_count as usize;
    // Fields are read in the order they are written here: the file's.
    let decoded = Decoded {
        word_ends: sections.u32s(vocabulary_size)?,
        word_bytes: sections.bytes(header.vocabulary_bytes as usize)?,
        state_words: if header.order > 1 {
            sections.u32s(state_count * header.order)?
        } else {
            Vec::new()
        },
        follower_offsets: sections.u32s_after_zero(state_count)?,
        followers: sections.u32s(pairs)?,
        counts: sections.u32s(pairs)?,
        sentence_ends: sections.bytes(vocabulary_size.div_ceil(8))?,
        sentence_starts: sections.bytes(state_count.div_ceil(8))?,
    };
    sections.finish()?;
    Ok((decode_chain(header, decoded)?, metadata))
}

/// The sections of a file, read but not yet checked.
struct Decoded {
    word_ends: Vec<u32>,
    word_bytes: Vec<u8>,
    state_words: Vec<u32>,
    /// 0, then where each state's followers end: read after a leading 0,
    /// so that the vector is the chain's offsets.
    follower_offsets: Vec<u32>,
    followers: Vec<u32>,
    counts: Vec<u32>,
    sentence_ends: Vec<u8>,
    sentence_starts: Vec<u8>,
}

/// The chain the sections hold, checked.
fn decode_chain(header: &FixedHeader, decoded: Decoded) -> Result<Chain, ChainFileError> {
    let order = header.order;
    let state_count = header.state_count as usize;
    if header.vocabulary_size == 0 || state_count == 0 {
        return Err(invalid("it has no words".into()));
    }
    if header.word_count < order as u64 || header.word_count > MAX_WORDS as u64 {
        return Err(invalid(format!(
            "it claims {} words of text at order {order}",
            header.word_count
        )));
    }
    let vocabulary = decode_vocabulary(decoded.word_ends, decoded.word_bytes)?;
    let states = if order == 1 {
        if state_count != vocabulary.len() {
            return Err(invalid("at order 1 it has not one state per word".into()));
        }
        StateWords::SingleWord
    } else {
        let state_words = decoded.state_words;
        if state_words
            .iter()
            .any(|&id| id as usize >= vocabulary.len())
        {
            return Err(invalid(
                "a state has a word that is not in its vocabulary".into(),
            ));
        }
        StateWords::Flat(state_words)
    };
    let transitions = decode_transitions(
        header,
        decoded.follower_offsets,
        decoded.followers,
        decoded.counts,
    )?;
    let sentences = match (
        BitSet::from_bytes(&decoded.sentence_ends, vocabulary.len()),
        BitSet::from_bytes(&decoded.sentence_starts, state_count),
    ) {
        (Some(ends), Some(starts)) => SentenceMarks::new(ends, starts),
        _ => {
            return Err(invalid(
                "its sentence marks run past its words or states".into(),
            ))
        }
    };
    let chain = Chain::with_sentence_marks(
        order,
        header.word_count as usize,
        vocabulary,
        states,
        transitions,
        sentences,
    );
    check_steps(&chain)?;
    Ok(chain)
}

fn decode_vocabulary(ends: Vec<u32>, bytes: Vec<u8>) -> Result<Vocabulary, ChainFileError> {
    // Every word is at least one byte: the ends rise strictly, from above 0.
    let rising = ends.first().is_none_or(|&first| first > 0)
        && ends.windows(2).all(|pair| pair[0] < pair[1]);
    if !rising {
        return Err(invalid("a word is empty or out of place".into()));
    }
    if ends.last().map_or(0, |&end| end as usize) != bytes.len() {
        return Err(invalid("its words do not fill their bytes".into()));
    }
    // No word may hold whitespace: all of them together then read as a
    // single word.
    let mut words = Words::new(&bytes);
    if words.next_span() != Some((0, bytes.len())) || words.next_span().is_some() {
        return Err(invalid("a word holds whitespace".into()));
    }
    Ok(Vocabulary::from_parts(bytes, ends))
}

fn decode_transitions(
    header: &FixedHeader,
    offsets: Vec<u32>,
    followers: Vec<u32>,
    mut cumulative: Vec<u32>,
) -> Result<Transitions, ChainFileError> {
    let state_count = header.state_count;
    // Each check is one plain pass, which the compiler vectorizes.
    let in_order = offsets.windows(2).all(|pair| pair[0] <= pair[1]);
    if !in_order || offsets.last().copied() != Some(followers.len() as u32) {
        return Err(invalid("its followers are out of place".into()));
    }
    let dead_ends = offsets.windows(2).filter(|pair| pair[0] == pair[1]).count();
    if dead_ends > 1 {
        return Err(invalid("more than one state has no follower".into()));
    }
    if followers.iter().any(|&next| next >= state_count) {
        return Err(invalid("a follower is not one of its states".into()));
    }
    if cumulative.contains(&0) {
        return Err(invalid("a follower has a count of zero".into()));
    }
    let total: u64 = cumulative.iter().map(|&count| u64::from(count)).sum();
    if total != header.word_count - header.order as u64 {
        return Err(invalid(
            "its counts do not add up to the words of its text".into(),
        ));
    }
    // The total is at most MAX_WORDS, so the running totals fit.
    let mut running = 0u32;
    for count in &mut cumulative {
        running += *count;
        *count = running;
    }
    Ok(Transitions {
        offsets,
        followers,
        cumulative,
    })
}

/// Every step from a state to a follower must move the window on by one
/// word: the follower's first `order - 1` words are the state's last.
fn check_steps(chain: &Chain) -> Result<(), ChainFileError> {
    let order = chain.order();
    if order == 1 {
        return Ok(());
    }
    for state in 0..chain.state_count() {
        for (next, _) in chain.followers(state) {
            let consistent = (1..order)
                .all(|index| chain.state_word(state, index) == chain.state_word(next, index - 1));
            if !consistent {
                return Err(invalid(
                    "a follower does not continue the words of its state".into(),
                ));
            }
        }
    }
    Ok(())
}

/// A name beside `path` that no other writer uses, hidden on Unix.
fn temporary_path(path: &Path) -> PathBuf {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    let name = path
        .file_name()
        .map_or_else(Default::default, |name| name.to_string_lossy());
    path.with_file_name(format!(".{name}.{}-{nanos}.tmp", std::process::id()))
}

/// Makes the rename durable where the platform allows it.
fn sync_folder(path: &Path) {
    #[cfg(unix)]
    if let Some(folder) = path.parent() {
        // Best effort: the file itself is already on disk.
        let _ = File::open(folder).and_then(|folder| folder.sync_all());
    }
    #[cfg(not(unix))]
    let _ = path;
}

fn write_file(
    chain: &Chain,
    metadata: &[u8],
    path: &Path,
    watch: Watch,
) -> Result<(), ChainFileError> {
    let file = OpenOptions::new().write(true).create_new(true).open(path)?;
    let mut out = BufWriter::with_capacity(1 << 16, file);
    encode(chain, metadata, &mut out, watch)?;
    let file = out.into_inner().map_err(|error| error.into_error())?;
    file.sync_all()?;
    watch.check()?;
    Ok(())
}

fn encode(
    chain: &Chain,
    metadata: &[u8],
    out: &mut impl Write,
    watch: Watch,
) -> Result<(), ChainFileError> {
    if metadata.len() > MAX_METADATA_BYTES {
        return Err(ChainFileError::TooLarge("its metadata"));
    }
    let vocabulary = chain.vocabulary();
    // At most MAX_VOCABULARY_BYTES: the ends of the words fit in a u32.
    let vocabulary_bytes = vocabulary.bytes().len();
    let transitions = chain.transitions();
    let mut out = ChecksumWriter {
        inner: out,
        hasher: crc32fast::Hasher::new(),
    };
    out.write_all(&MAGIC)?;
    out.write_all(&FORMAT_VERSION.to_le_bytes())?;
    out.write_all(&(chain.order() as u32).to_le_bytes())?;
    out.write_all(&(chain.word_count() as u64).to_le_bytes())?;
    out.write_all(&(vocabulary.len() as u32).to_le_bytes())?;
    out.write_all(&(vocabulary_bytes as u64).to_le_bytes())?;
    out.write_all(&chain.state_count().to_le_bytes())?;
    out.write_all(&(transitions.followers.len() as u32).to_le_bytes())?;
    out.write_all(&(metadata.len() as u32).to_le_bytes())?;
    out.write_all(metadata)?;
    write_u32_slice(&mut out, vocabulary.ends())?;
    out.write_all(vocabulary.bytes())?;
    watch.check()?;
    if let StateWords::Flat(words) = chain.state_words_table() {
        write_u32_slice(&mut out, words)?;
    }
    write_u32_slice(&mut out, &transitions.offsets[1..])?;
    write_u32_slice(&mut out, &transitions.followers)?;
    watch.check()?;
    // Counts back from the running totals.
    let counts = transitions.cumulative.iter().scan(0, |before, &running| {
        let count = running - *before;
        *before = running;
        Some(count)
    });
    write_u32s(&mut out, counts)?;
    let sentences = chain.sentence_marks();
    out.write_all(&sentences.ends.to_bytes())?;
    out.write_all(&sentences.starts.to_bytes())?;
    let checksum = out.hasher.clone().finalize();
    out.inner.write_all(&checksum.to_le_bytes())?;
    Ok(())
}

/// Writes `values` little-endian: as they are in memory on a little-endian
/// machine.
fn write_u32_slice(out: &mut impl Write, values: &[u32]) -> io::Result<()> {
    if cfg!(target_endian = "little") {
        out.write_all(bytemuck::cast_slice(values))
    } else {
        write_u32s(out, values.iter().copied())
    }
}

/// Writes `values` little-endian, a block at a time.
fn write_u32s(out: &mut impl Write, values: impl Iterator<Item = u32>) -> io::Result<()> {
    let mut block = Vec::with_capacity(1 << 16);
    for value in values {
        block.extend_from_slice(&value.to_le_bytes());
        if block.len() == block.capacity() {
            out.write_all(&block)?;
            block.clear();
        }
    }
    out.write_all(&block)
}

/// Passes writes on, and keeps the CRC-32 of everything written.
struct ChecksumWriter<W> {
    inner: W,
    hasher: crc32fast::Hasher,
}

impl<W: Write> Write for ChecksumWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(bytes)?;
        self.hasher.update(&bytes[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
