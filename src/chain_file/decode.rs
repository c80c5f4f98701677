//! Reading a chain file's sections and checking that they make a chain.

use std::io::{self, Read};

use super::header::{invalid, FixedHeader};
use crate::bit_set::BitSet;
use crate::chain::{Chain, Transitions};
use crate::copy_index::{index_widths, packed_bytes, CopyIndex, Ids, PackedIds};
use crate::error::ChainFileError;
use crate::limits::MAX_WORDS;
use crate::sentence::SentenceMarks;
use crate::state_words::{LinkError, LinkedStates, StateWords};
use crate::tokenize::Words;
use crate::tokens::Tokens;
use crate::vocabulary::Vocabulary;

/// The sections after the fixed header, read one after another from a file
/// or from memory, each straight into the vector it becomes, keeping the
/// CRC-32 of every byte read.
pub(super) struct Sections<R> {
    source: R,
    hasher: crc32fast::Hasher,
}

impl<R: Read> Sections<R> {
    /// The sections of `source`, which follows the fixed header `fixed`.
    pub(super) fn after(fixed: &[u8], source: R) -> Self {
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
        self.source
            .read_exact(&mut stored)
            .map_err(|_| ChainFileError::Truncated)?;
        Ok(u32::from_le_bytes(stored))
    }

    /// Fails unless the next four bytes are the checksum of everything
    /// read since the last; what follows gets a checksum of its own.
    fn check_checksum(&mut self) -> Result<(), ChainFileError> {
        let stored = self.stored_checksum()?;
        if stored != std::mem::take(&mut self.hasher).finalize() {
            return Err(ChainFileError::Checksum);
        }
        Ok(())
    }
}

/// Reads the copy index into memory, checking its checksum as it goes:
/// `alphabet` ids (the words and the separator) and `tokens` tokens.
pub(super) fn read_index<R: Read>(
    sections: &mut Sections<R>,
    alphabet: usize,
    tokens: usize,
) -> Result<Option<CopyIndex>, ChainFileError> {
    let starts = sections.u32s(alphabet + 1)?;
    let [text_width, suffix_width] = index_widths(alphabet, tokens);
    let mut packed = |width| {
        let bytes = sections.bytes(packed_bytes(tokens as u64, width) as usize)?;
        let ids = PackedIds::owned(bytes, width, tokens).ok_or(ChainFileError::Truncated)?;
        Ok::<Ids, ChainFileError>(Ids::Packed(ids))
    };
    let text = packed(text_width)?;
    let suffixes = packed(suffix_width)?;
    sections.check_checksum()?;
    Ok(CopyIndex::from_file(text, suffixes, starts, None))
}

/// Reads a copy index in place, in a mapped file: its text and suffix
/// array are not read until a guarded walk reads them, and its checksum
/// is left to [`CopyIndex::check`].
#[cfg(all(target_endian = "little", not(windows)))]
pub(super) fn map_index(
    file: &std::sync::Arc<memmap2::Mmap>,
) -> impl FnOnce(&mut Sections<&[u8]>, usize, usize) -> Result<Option<CopyIndex>, ChainFileError> + '_
{
    move |sections, alphabet, tokens| {
        let starts = sections.u32s(alphabet + 1)?;
        // A guarded walk reads a few ids here and there in the index: each
        // fault should bring in its page, not the 128 KiB around it that
        // the system reads ahead for a mapped file (a prompt to a chain of
        // 500 MB touched 250 MB).
        let index_start = file.len() - sections.source.len();
        let [text_width, suffix_width] = index_widths(alphabet, tokens);
        let bytes = |width| packed_bytes(tokens as u64, width) as usize;
        let length = bytes(text_width) + bytes(suffix_width);
        let _ = file.advise_range(memmap2::Advice::Random, index_start, length);
        let next_ids = |sections: &mut Sections<&[u8]>, width| {
            let start = file.len() - sections.source.len();
            let ids = PackedIds::mapped(file, start, width, tokens);
            let rest = sections.source.get(bytes(width)..);
            let (Some(ids), Some(rest)) = (ids, rest) else {
                return Err(ChainFileError::Truncated);
            };
            sections.source = rest;
            Ok::<Ids, ChainFileError>(Ids::Packed(ids))
        };
        let text = next_ids(sections, text_width)?;
        let suffixes = next_ids(sections, suffix_width)?;
        let stored = sections.stored_checksum()?;
        Ok(CopyIndex::from_file(text, suffixes, starts, Some(stored)))
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
    ) -> Result<Option<CopyIndex>, ChainFileError>,
) -> Result<(Chain, Vec<u8>), ChainFileError> {
    let metadata = sections.bytes(header.metadata_len)?;
    let vocabulary_size = header.vocabulary_size as usize;
    let state_count = header.state_count as usize;
    let pairs = header.distinct_transition_count as usize;
    // Fields are read in the order they are written here: the file's.
    let decoded = Decoded {
        word_ends: sections.u32s(vocabulary_size)?,
        word_bytes: sections.bytes(header.vocabulary_bytes as usize)?,
        states: if header.order > 1 {
            DecodedStates {
                last: sections.u32s(state_count)?,
                root_states: sections.u32s(header.root_count as usize)?,
                root_words: sections.u32s(header.root_count as usize * header.order)?,
            }
        } else {
            DecodedStates::default()
        },
        follower_offsets: sections.u32s_after_zero(state_count)?,
        followers: sections.u32s(pairs)?,
        counts: sections.u32s(pairs)?,
        sentence_ends: sections.bytes(vocabulary_size.div_ceil(8))?,
        sentence_starts: sections.bytes(state_count.div_ceil(8))?,
    };
    sections.padding(header.padding())?;
    sections.check_checksum()?;
    let copy_index = match header.copy_index_len as usize {
        0 => None,
        tokens => {
            // The words' ids and the separator between documents.
            let alphabet = vocabulary_size + 1;
            let index = read_copy_index(&mut sections, alphabet, tokens)?;
            Some(
                index
                    .ok_or_else(|| invalid("its copy index's parts do not fit together".into()))?,
            )
        }
    };
    let chain = decode_chain(header, decoded)?;
    let chain = match copy_index {
        Some(index) => chain.with_copy_index(index),
        None => chain,
    };
    Ok((chain, metadata))
}

/// The states of a chain of order 2 or more, as a file holds them.
#[derive(Default)]
struct DecodedStates {
    last: Vec<u32>,
    root_states: Vec<u32>,
    root_words: Vec<u32>,
}

/// The sections of a file, read but not yet checked.
struct Decoded {
    word_ends: Vec<u32>,
    word_bytes: Vec<u8>,
    states: DecodedStates,
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
    if header.token_count < order as u64 || header.token_count > MAX_WORDS as u64 {
        return Err(invalid(format!(
            "it claims {} words of text at order {order}",
            header.token_count
        )));
    }
    let vocabulary = decode_vocabulary(header.tokens, decoded.word_ends, decoded.word_bytes)?;
    if order == 1 && state_count != vocabulary.len() {
        return Err(invalid("at order 1 it has not one state per word".into()));
    }
    let transitions = decode_transitions(
        header,
        decoded.follower_offsets,
        decoded.followers,
        decoded.counts,
    )?;
    let states = if order == 1 {
        StateWords::SingleWord
    } else {
        decode_states(order, vocabulary.len(), decoded.states, &transitions)?
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
    check_steps(&chain)?;
    check_state_order(&chain)?;
    Ok(chain)
}

/// The states of a chain of `order` 2 or more from their last words and
/// roots, linked by `transitions`.
fn decode_states(
    order: usize,
    vocabulary_size: usize,
    states: DecodedStates,
    transitions: &Transitions,
) -> Result<StateWords, ChainFileError> {
    let DecodedStates {
        last,
        root_states,
        root_words,
    } = states;
    let in_vocabulary = |words: &[u32]| words.iter().all(|&id| (id as usize) < vocabulary_size);
    if !in_vocabulary(&last) || !in_vocabulary(&root_words) {
        return Err(invalid(
            "a state has a word that is not in its vocabulary".into(),
        ));
    }
    let rising = root_states.windows(2).all(|pair| pair[0] < pair[1]);
    if !rising
        || root_states
            .last()
            .is_some_and(|&state| state as usize >= last.len())
    {
        return Err(invalid("its first windows are out of place".into()));
    }
    let roots: Vec<(u32, &[u32])> = root_states
        .iter()
        .zip(root_words.chunks_exact(order))
        .map(|(&state, words)| (state, words))
        .collect();
    match LinkedStates::new(order, last, transitions.each_state(), &roots, false) {
        Ok(states) => Ok(StateWords::Linked(states)),
        Err(LinkError::RootWithoutWords) => Err(invalid(
            "a state follows no state but has no words of its own".into(),
        )),
        Err(LinkError::WordsOfALinkedState) => Err(invalid(
            "it gives words of its own to a state that follows another".into(),
        )),
    }
}

/// States in the order of their words' ids, each once: merging relies on
/// it.
fn check_state_order(chain: &Chain) -> Result<(), ChainFileError> {
    if chain.order() == 1 {
        return Ok(());
    }
    let in_order = (1..chain.state_count())
        .all(|state| chain.state_words(state - 1).lt(chain.state_words(state)));
    if !in_order {
        return Err(invalid("its states are out of order, or repeat".into()));
    }
    Ok(())
}

fn decode_vocabulary(
    tokens: Tokens,
    ends: Vec<u32>,
    bytes: Vec<u8>,
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
    let sorted =
        (1..vocabulary.len() as u32).all(|id| vocabulary.word(id - 1) < vocabulary.word(id));
    if !sorted {
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
    if holds_whitespace(vocabulary.bytes())
        && (0..vocabulary.len() as u32).any(|id| holds_whitespace(vocabulary.word(id)))
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
    if (0..vocabulary.len() as u32).all(|id| is_token(vocabulary.word(id))) {
        Ok(())
    } else {
        Err(invalid(format!(
            "a token holds whitespace that no {tokens} token keeps"
        )))
    }
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
    if followers.iter().any(|&next| next >= state_count) {
        return Err(invalid("a follower is not one of its states".into()));
    }
    // Each state's followers in id order, each once: merging relies on it.
    let followers_sorted = offsets.windows(2).all(|range| {
        let state_followers = &followers[range[0] as usize..range[1] as usize];
        state_followers.windows(2).all(|pair| pair[0] < pair[1])
    });
    if !followers_sorted {
        return Err(invalid("a state's followers are out of order".into()));
    }
    if cumulative.contains(&0) {
        return Err(invalid("a follower has a count of zero".into()));
    }
    // Each document of `n` words gives `n - order` transitions: a single
    // text gives `token_count - order`, several fewer.
    let total: u64 = cumulative.iter().map(|&count| u64::from(count)).sum();
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
            // Each state's words found once: `order` steps, not one walk
            // back a word.
            let consistent =
                (chain.state_words(state).skip(1)).eq(chain.state_words(next).take(order - 1));
            if !consistent {
                return Err(invalid(
                    "a follower does not continue the words of its state".into(),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
        decode_vocabulary(tokens, ends, bytes).map_err(|error| error.to_string())
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
        let error = decode_vocabulary(Tokens::Words, ends, bytes).unwrap_err();
        assert!(
            error.to_string().contains("empty or out of place"),
            "{error}"
        );
        let (ends, mut bytes) = parts(&[b"a", b"b"]);
        bytes.push(b'c');
        let error = decode_vocabulary(Tokens::Words, ends, bytes).unwrap_err();
        assert!(error.to_string().contains("do not fill"), "{error}");
    }

    #[test]
    fn whitespace_only_in_the_joined_words_is_not_in_a_word() {
        // "\xe2\x80" and "\xa8x" each hold no whitespace, but joined they
        // make U+2028, a line separator: the words are checked one by one
        // then, and pass. The character whole in one word fails.
        let vocabulary = |words: &[&[u8]]| {
            let (ends, bytes) = parts(words);
            Vocabulary::from_parts(bytes, ends)
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
}
