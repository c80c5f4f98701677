//! Saving and loading chains: the round trip, and every kind of bad file.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test, helpers included"
)]

use std::fs;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use llm_markov_rs::limits::FORMAT_VERSION;
use llm_markov_rs::{
    build, build_with, chain_file, merge, BuildOptions, Chain, ChainError, ChainFileError,
    MergeSource, SuffixSort, Tokens, Walk, Watch,
};
use proptest::prelude::*;

mod forgery;

const TEXT: &[u8] = b"the cat sat on the mat and the dog sat on the cat";

/// A folder of its own for one test, removed with everything in it when
/// the test ends, passed or failed: a test run leaves nothing behind.
struct Scratch(tempfile::TempDir);

impl std::ops::Deref for Scratch {
    type Target = Path;

    fn deref(&self) -> &Path {
        self.0.path()
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        self.0.path()
    }
}

/// A new empty folder for the test `name`, in the system's temporary
/// folder.
fn scratch(name: &str) -> Scratch {
    let folder = tempfile::Builder::new()
        .prefix(&format!("llm-markov-rs-{name}-"))
        .tempdir()
        .expect("a scratch folder");
    Scratch(folder)
}

fn encoded(chain: &Chain, metadata: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::new();
    chain_file::encode(chain, metadata, &mut bytes, Watch::none()).expect("encoding to memory");
    bytes
}

/// `bytes` with its checksums set to those of what they cover, as a
/// careful forger would leave them.
fn with_fixed_checksum(mut bytes: Vec<u8>) -> Vec<u8> {
    forgery::fix_checksums(&mut bytes);
    bytes
}

fn words_of(chain: &Chain, seed: u64, count: usize) -> Vec<Vec<u8>> {
    Walk::new(chain, seed)
        .take(count)
        .map(<[u8]>::to_vec)
        .collect()
}

#[test]
fn a_saved_chain_loads_as_the_same_chain_with_its_metadata() {
    let folder = scratch("round-trip");
    for order in 1..=3 {
        let chain = build(TEXT, order).unwrap();
        let path = folder.join(format!("order-{order}.markov"));
        chain_file::save(&chain, &path, b"{\"from\": \"test\"}", Watch::none()).unwrap();
        let (loaded, metadata) = chain_file::load(&path).unwrap();
        assert_eq!(loaded, chain);
        assert_eq!(metadata, b"{\"from\": \"test\"}");
        assert_eq!(words_of(&loaded, 5, 200), words_of(&chain, 5, 200));
        let header = chain_file::Header::read(&path).unwrap();
        assert_eq!(header.order, order);
        assert_eq!(header.token_count, 13);
        assert_eq!(header.vocabulary_size, chain.vocabulary().len() as u32);
        assert_eq!(header.state_count, chain.state_count());
    }
}

#[test]
fn every_number_on_disk_is_little_endian() {
    let chain = build(TEXT, 2).unwrap();
    let bytes = encoded(&chain, b"");
    assert_eq!(&bytes[..8], b"\x89MARKOV\n");
    assert_eq!(bytes[8..12], FORMAT_VERSION.to_le_bytes());
    assert_eq!(bytes[12..16], 0u32.to_le_bytes()); // words tokens
    assert_eq!(bytes[16..20], 0u32.to_le_bytes()); // no copy index
    assert_eq!(bytes[20..28], [0; 8]); // so no windows of it
    assert_eq!(bytes[28..32], 2u32.to_le_bytes());
    assert_eq!(bytes[32..40], 13u64.to_le_bytes());
}

#[test]
fn a_repeated_text_saves_to_about_the_size_of_one_copy() {
    let once = build(TEXT, 1).unwrap();
    let hundred = build(&[TEXT, b" "].concat().repeat(100), 1).unwrap();
    let (small, large) = (encoded(&once, b"").len(), encoded(&hundred, b"").len());
    // The same states and followers, with larger counts (and one more
    // follower: the last word now leads back to the first).
    assert!(
        large <= small + 16,
        "{small} bytes for one copy, {large} for 100"
    );
}

#[test]
fn saving_replaces_a_file_and_leaves_no_temporary_file() {
    let folder = scratch("replace");
    let path = folder.join("chain.markov");
    fs::write(&path, b"an older file").unwrap();
    chain_file::save(&build(TEXT, 1).unwrap(), &path, b"", Watch::none()).unwrap();
    assert!(chain_file::load(&path).is_ok());
    assert_eq!(fs::read_dir(&folder).unwrap().count(), 1);
}

#[test]
fn a_cancelled_or_failed_save_leaves_the_old_file_and_nothing_else() {
    let folder = scratch("cancel");
    let path = folder.join("chain.markov");
    fs::write(&path, b"the old file").unwrap();
    let raised = AtomicBool::new(true);
    let chain = build(TEXT, 1).unwrap();
    let error = chain_file::save(&chain, &path, b"", Watch::cancelled_by(&raised)).unwrap_err();
    assert!(matches!(error, ChainFileError::Cancelled), "{error}");
    assert_eq!(fs::read(&path).unwrap(), b"the old file");
    assert_eq!(fs::read_dir(&folder).unwrap().count(), 1);
    // A folder that does not exist: nothing is written anywhere.
    let missing = folder.join("no such folder").join("chain.markov");
    let error = chain_file::save(&chain, &missing, b"", Watch::none()).unwrap_err();
    assert!(matches!(error, ChainFileError::Io(_)), "{error}");
    assert_eq!(fs::read_dir(&folder).unwrap().count(), 1);
}

#[test]
fn words_that_join_into_whitespace_still_load() {
    // Neither word is UTF-8 on its own, and neither holds whitespace; but
    // "a\xE2" followed by "\x80\x80b" holds E2 80 80, U+2000 EN QUAD. A
    // check of all the words joined together would refuse the file.
    let chain = build(b"a\xE2 \x80\x80b a\xE2", 1).unwrap();
    assert_eq!(chain.vocabulary().len(), 2);
    let (loaded, _) = chain_file::decode(&encoded(&chain, b"")).unwrap();
    assert_eq!(loaded, chain);
    // A word that does hold whitespace is still refused.
    let mut forged = encoded(&chain, b"");
    let at = forged
        .windows(3)
        .position(|bytes| bytes == b"\x80\x80b")
        .unwrap();
    forged[at + 2] = b' ';
    let error = chain_file::decode(&with_fixed_checksum(forged)).unwrap_err();
    assert!(error.to_string().contains("whitespace"), "{error}");
}

fn load_bytes(folder: &Path, bytes: &[u8]) -> Result<Chain, ChainFileError> {
    let path = folder.join("bad.markov");
    fs::write(&path, bytes).unwrap();
    let from_file = chain_file::load(&path).map(|(chain, _)| chain);
    let from_memory = chain_file::decode(bytes).map(|(chain, _)| chain);
    assert_eq!(
        from_file.as_ref().map_err(ToString::to_string),
        from_memory.as_ref().map_err(ToString::to_string)
    );
    from_file
}

#[test]
fn every_truncation_is_an_error() {
    let folder = scratch("truncated");
    let bytes = encoded(&build(TEXT, 2).unwrap(), b"{}");
    for length in 0..bytes.len() {
        let error = load_bytes(&folder, &bytes[..length]).unwrap_err();
        assert!(
            matches!(
                error,
                ChainFileError::Truncated | ChainFileError::NotAChainFile
            ),
            "{length} bytes: {error}"
        );
        assert!(error.to_string().contains("again") || length < 8, "{error}");
    }
}

#[test]
fn every_flipped_bit_is_an_error() {
    let folder = scratch("flipped");
    let bytes = encoded(&build(TEXT, 2).unwrap(), b"{}");
    for position in 0..bytes.len() {
        for bit in [0, 3, 7] {
            let mut damaged = bytes.clone();
            damaged[position] ^= 1 << bit;
            assert!(
                load_bytes(&folder, &damaged).is_err(),
                "bit {bit} of byte {position}"
            );
        }
    }
}

#[test]
fn extra_bytes_are_an_error() {
    let mut bytes = encoded(&build(TEXT, 1).unwrap(), b"");
    bytes.extend_from_slice(b"more");
    let error = chain_file::decode(&bytes).unwrap_err();
    assert!(matches!(error, ChainFileError::TrailingBytes { extra: 4 }));
}

#[test]
fn other_files_and_other_versions_say_what_to_do() {
    let error = chain_file::decode(b"the cat sat on the mat, a text file").unwrap_err();
    assert!(matches!(error, ChainFileError::NotAChainFile));
    let bytes = encoded(&build(TEXT, 1).unwrap(), b"");
    let mut newer = bytes.clone();
    newer[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    let error = chain_file::decode(&with_fixed_checksum(newer)).unwrap_err();
    assert!(
        error.to_string().contains("upgrade llm-markov-rs"),
        "{error}"
    );
    let mut older = bytes;
    older[8..12].copy_from_slice(&0u32.to_le_bytes());
    let error = chain_file::decode(&with_fixed_checksum(older)).unwrap_err();
    assert!(error.to_string().contains("train it again"), "{error}");
}

const POEM: &str = include_str!("data/poem.txt");

fn chain_of(tokens: Tokens, order: usize) -> Chain {
    let options = BuildOptions {
        tokens,
        ..BuildOptions::default()
    };
    build_with(POEM.as_bytes(), order, options).unwrap()
}

#[test]
fn every_token_mode_is_saved_and_loaded_with_its_chain() {
    for tokens in Tokens::ALL {
        let chain = chain_of(tokens, 2);
        let (loaded, _) = chain_file::decode(&encoded(&chain, b"")).unwrap();
        assert_eq!(loaded.tokens(), tokens);
        assert_eq!(loaded, chain);
        let folder = scratch(&format!("tokens-{tokens}"));
        let path = folder.join("poem.markov");
        chain_file::save(&chain, &path, b"", Watch::none()).unwrap();
        assert_eq!(chain_file::Header::read(&path).unwrap().tokens, tokens);
    }
}

#[test]
fn a_token_with_a_break_its_mode_never_keeps_is_refused() {
    for (tokens, from, to) in [
        (Tokens::Lines, &b"hill,\n"[..], &b"hill,\t"[..]),
        (Tokens::Lines, b"mill\n", b"mi l\n"),
        (Tokens::Unicode, b"mill\n", b"mill\r"),
        (Tokens::Words, b"mill", b"mil\n"),
    ] {
        let mut bytes = encoded(&chain_of(tokens, 1), b"");
        let at = bytes
            .windows(from.len())
            .position(|window| window == from)
            .unwrap();
        bytes[at..at + to.len()].copy_from_slice(to);
        let error = chain_file::decode(&with_fixed_checksum(bytes)).unwrap_err();
        assert!(
            error.to_string().contains("whitespace"),
            "{tokens}: {error}"
        );
    }
}

/// The chain of `text`, with the copy guard's index when `guarded`.
fn build_guarded(text: &[u8], order: usize, guarded: bool) -> Result<Chain, ChainError> {
    let options = BuildOptions {
        copy_index: guarded.then_some(SuffixSort::Whole),
        ..BuildOptions::default()
    };
    build_with(text, order, options)
}

fn with_copy_index(text: &[u8], order: usize) -> Chain {
    build_guarded(text, order, true).unwrap()
}

#[test]
fn the_copy_index_is_saved_and_loaded_with_its_chain() {
    let chain = with_copy_index(TEXT, 2);
    let bytes = encoded(&chain, b"");
    let (loaded, _) = chain_file::decode(&bytes).unwrap();
    assert_eq!(loaded, chain);
    assert!(loaded.copy_index().is_some());
    let folder = scratch("copy-index");
    let path = folder.join("guarded.markov");
    chain_file::save(&chain, &path, b"", Watch::none()).unwrap();
    // Loaded from the file (mapped where it can be), the same chain, and
    // the same words for a guarded walk.
    let (mapped, _) = chain_file::load(&path).unwrap();
    assert_eq!(mapped, chain);
    chain_file::check_copy_index(&mapped, Watch::none()).unwrap();
    let guarded = |chain: &Chain| -> Vec<Vec<u8>> {
        let walk = Walk::new(chain, 7).at_most(40).max_copy(3).unwrap();
        walk.map(|word| word.to_vec()).collect()
    };
    assert_eq!(guarded(&mapped), guarded(&chain));
    // 13 words, and the rest as the header says.
    let without = encoded(&build(TEXT, 2).unwrap(), b"");
    let header = chain_file::Header::read(&path).unwrap();
    assert_eq!(
        (bytes.len() - without.len()) as u64,
        header.copy_index_bytes
    );
    assert!(header.has_copy_index);
    // Where each id's suffixes start (the words, the separator and the
    // end); the text at 3 bits a word (ids 0 to 7, the separator) and its
    // suffix array at 4 bits a start (0 to 12), each in two 4-byte words;
    // and the index's checksum.
    let alphabet = chain.vocabulary().len() as u64 + 1;
    assert_eq!(alphabet, 8);
    assert_eq!(header.copy_index_bytes, 4 * (alphabet + 1) + 8 + 8 + 4);
}

#[test]
fn a_forged_copy_index_is_refused_or_found_out() {
    // Nine words, so that ids of 4 bits can name one past the separator.
    let chain = with_copy_index(b"the cat sat on the mat and a dog sat by the cat", 1);
    let bytes = encoded(&chain, b"");
    // The suffix array is last before the index's checksum, the text
    // before it, each packed.
    let at = forgery::index_layout(&bytes);
    let suffix =
        |bytes: &[u8], index| forgery::packed_id(bytes, at.suffixes, at.suffix_width, index);
    let set_suffix = |bytes: &mut Vec<u8>, index, value| {
        forgery::set_packed_id(bytes, at.suffixes, at.suffix_width, index, value);
    };
    let mut swapped = bytes.clone();
    let (first, second) = (suffix(&bytes, 0), suffix(&bytes, 1));
    set_suffix(&mut swapped, 0, second);
    set_suffix(&mut swapped, 1, first);
    // Out of order: loaded, since a walk reads only within the text, and
    // refused by the full check (`info`, `merge`). A guarded walk on it
    // writes words or stops, and never reads outside the text.
    let (forged, _) = chain_file::decode(&with_fixed_checksum(swapped)).unwrap();
    let error = chain_file::check_copy_index(&forged, Watch::none()).unwrap_err();
    assert!(
        error.to_string().contains("not the suffix array"),
        "{error}"
    );
    chain_file::check_copy_index(&chain, Watch::none()).unwrap();
    // A suffix outside the text, and a word outside the vocabulary: the
    // same.
    // The largest values the widths hold: a start past the 12 tokens, an
    // id past the separator (9).
    let mut outside = bytes.clone();
    set_suffix(&mut outside, 0, (1 << at.suffix_width) - 1);
    let mut unknown_word = bytes.clone();
    let largest_id = (1 << at.text_width) - 1;
    assert!(largest_id > 9);
    forgery::set_packed_id(&mut unknown_word, at.text, at.text_width, 0, largest_id);
    for (forged, message) in [
        (outside, "not the suffix array"),
        (unknown_word, "not in its vocabulary"),
    ] {
        let (loaded, _) = chain_file::decode(&with_fixed_checksum(forged)).unwrap();
        let walk = Walk::new(&loaded, 1).at_most(50).max_copy(2).unwrap();
        assert!(walk.count() > 0);
        let error = chain_file::check_copy_index(&loaded, Watch::none()).unwrap_err();
        assert!(error.to_string().contains(message), "{error}");
    }
    // A flipped bit in the index: read whole, its checksum fails at once;
    // mapped, a prompt does not read it all, and the check finds it.
    let mut flipped = bytes;
    flipped[at.text + 5] ^= 0x10;
    let error = chain_file::decode(&flipped).unwrap_err();
    assert!(error.to_string().contains("checksum"), "{error}");
    let folder = scratch("flipped-index");
    let path = folder.join("flipped.markov");
    fs::write(&path, &flipped).unwrap();
    match chain_file::load(&path) {
        Ok((mapped, _)) => {
            let error = chain_file::check_copy_index(&mapped, Watch::none()).unwrap_err();
            assert!(error.to_string().contains("checksum"), "{error}");
        }
        // Where files are read, not mapped (Windows, big-endian).
        Err(error) => assert!(error.to_string().contains("checksum"), "{error}"),
    }
}

#[test]
fn a_token_count_its_copy_index_does_not_hold_is_refused() {
    // The bug: a guarded file whose header claimed 4,294,967,294 words
    // loaded and merged, and every later merge with it failed.
    let chain = with_copy_index(TEXT, 1);
    let bytes = encoded(&chain, b"");
    // The word count: a u64 after the magic, version, tokens, the copy
    // index's length and windows, and the order.
    assert_eq!(bytes[32..40], 13u64.to_le_bytes());
    for claimed in [14u64, 4_294_967_294] {
        let mut forged = bytes.clone();
        forged[32..40].copy_from_slice(&claimed.to_le_bytes());
        // Loaded, for a prompt reads no more of the index than it needs,
        // and refused by the check that `info` and `merge` make.
        let (loaded, _) = chain_file::decode(&with_fixed_checksum(forged)).unwrap();
        let error = chain_file::check_copy_index(&loaded, Watch::none()).unwrap_err();
        assert!(
            error.to_string().contains(&format!(
                "counts {claimed} words, but its copy index holds 13"
            )),
            "{error}"
        );
    }
}

#[test]
fn huge_sizes_in_a_small_file_are_refused_before_allocating() {
    let mut bytes = encoded(&build(TEXT, 3).unwrap(), b"");
    // u32::MAX states of order 3 would need 200 GB.
    bytes[60..64].copy_from_slice(&u32::MAX.to_le_bytes());
    let error = chain_file::decode(&with_fixed_checksum(bytes)).unwrap_err();
    assert!(matches!(error, ChainFileError::Truncated), "{error}");
}

/// Where each section of an encoded chain of order > 1 starts, read back
/// from its header.
struct Layout {
    words: usize,
    state_words: usize,
    /// The state each state follows.
    previous: usize,
    /// Where the first state's followers end (after the offsets' 0).
    follower_ends: usize,
    followers: usize,
    /// The running totals of the followers' counts.
    counts: usize,
    pairs: usize,
}

fn layout(bytes: &[u8]) -> Layout {
    let number = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    let (order, vocabulary, word_bytes) = (number(28), number(48), number(52));
    let (states, pairs, roots, metadata) = (number(60), number(64), number(68), number(92));
    // The metadata and the words' bytes are each padded to 4 bytes.
    let words = 96 + metadata.next_multiple_of(4) + 4 * vocabulary;
    let state_words = words + word_bytes.next_multiple_of(4);
    // The offsets start with a 0, then where each state's followers end.
    // Each state's last word and the state it follows, then the roots.
    let follower_ends = state_words + 8 * states + 4 * roots * (1 + order) + 4;
    let followers = follower_ends + 4 * states;
    Layout {
        words,
        state_words,
        previous: state_words + 4 * states,
        follower_ends,
        followers,
        counts: followers + 4 * pairs,
        pairs,
    }
}

fn set_u32(bytes: &mut [u8], at: usize, value: u32) {
    bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

/// What a forged file should be refused for, and how to forge it.
type Forgery<'a> = (&'static str, Box<dyn Fn(&mut Vec<u8>) + 'a>);

#[test]
fn forged_files_with_a_good_checksum_are_still_refused() {
    let chain = build(TEXT, 2).unwrap();
    let bytes = encoded(&chain, b"");
    let at = layout(&bytes);
    let states = chain.state_count();
    // Where the followers of the first state with two of them start.
    let two_followers_at: usize = (0..states)
        .map(|state| chain.followers(state).len())
        .take_while(|&count| count < 2)
        .sum();
    let forgeries: Vec<Forgery> = vec![
        (
            "a word holds whitespace",
            Box::new(|b: &mut Vec<u8>| b[at.words] = b' '),
        ),
        (
            "not in its vocabulary",
            Box::new(|b: &mut Vec<u8>| set_u32(b, at.state_words, 10_000)),
        ),
        (
            "not one of its states",
            Box::new(move |b: &mut Vec<u8>| set_u32(b, at.followers, states)),
        ),
        (
            // The first follower is checked apart from the rest.
            "not one of its states",
            Box::new(move |b: &mut Vec<u8>| set_u32(b, at.followers + 4 * (at.pairs - 1), states)),
        ),
        (
            "count of zero",
            Box::new(|b: &mut Vec<u8>| set_u32(b, at.counts, 0)),
        ),
        (
            // The second follower's running total below the first's.
            "count of zero or less",
            Box::new(|b: &mut Vec<u8>| set_u32(b, at.counts + 4, 0)),
        ),
        (
            "do not add up to its transitions",
            Box::new(|b: &mut Vec<u8>| {
                let last = at.counts + 4 * (at.pairs - 1);
                let total = u32::from_le_bytes(b[last..last + 4].try_into().unwrap());
                set_u32(b, last, total + 1)
            }),
        ),
        (
            // The header's transitions, the counts' sum, more than the
            // text's words allow.
            "more transitions than the words of its text",
            Box::new(|b: &mut Vec<u8>| set_u32(b, 32, 3)),
        ),
        // Merging walks words, states and followers in order: a file out
        // of order would merge into a wrong chain.
        (
            "not in byte order",
            Box::new(|b: &mut Vec<u8>| b[at.words] = b'z'),
        ),
        (
            // State 0, "and the", made "and cat": "the dog", which
            // follows it alone, then reads "cat dog", out of place.
            "states are out of order",
            Box::new(|b: &mut Vec<u8>| set_u32(b, at.state_words, 1)),
        ),
        (
            "followers are out of order",
            Box::new(move |b: &mut Vec<u8>| {
                let first = at.followers + 4 * two_followers_at;
                let (one, two) = (first, first + 4);
                let swapped = [b[two..two + 4].to_vec(), b[one..one + 4].to_vec()].concat();
                b[one..one + 8].copy_from_slice(&swapped);
            }),
        ),
        (
            "out of place",
            Box::new(|b: &mut Vec<u8>| set_u32(b, at.follower_ends, u32::MAX)),
        ),
        (
            // State 2, "dog sat", followed by "the dog" instead of "sat
            // on" (which "cat sat" still leads to). "the dog" still
            // follows "and the" first, so every state keeps its words and
            // the states stay in order: only the step is wrong.
            "does not continue the words",
            Box::new(|b: &mut Vec<u8>| set_u32(b, at.followers + 4 * 2, 7)),
        ),
        (
            // State 0, "and the", followed by itself: no state leads to
            // "the dog" any more, which the file still links to "and the"
            // without words of its own. The bug: a merge of it finds "the
            // dog" following none, with no words to give it, and panics.
            "no state leads to is said to follow one",
            Box::new(|b: &mut Vec<u8>| set_u32(b, at.followers, 0)),
        ),
        (
            // State 1 said to follow no state, with no words of its own.
            "follows no state but has no words",
            Box::new(move |b: &mut Vec<u8>| set_u32(b, at.previous + 4, u32::MAX)),
        ),
        (
            // State 1 said to follow a state past the last.
            "follows a state that is not one of its states",
            Box::new(move |b: &mut Vec<u8>| set_u32(b, at.previous + 4, states)),
        ),
        ("order is 0", Box::new(|b: &mut Vec<u8>| set_u32(b, 28, 0))),
        (
            // A copy index of 2 tokens, in one window, that the file does
            // not hold.
            "truncated",
            Box::new(|b: &mut Vec<u8>| {
                set_u32(b, 16, 2);
                set_u32(b, 20, 8);
            }),
        ),
        (
            // And with its windows 0 tokens apart.
            "windows start 0 tokens apart",
            Box::new(|b: &mut Vec<u8>| set_u32(b, 16, 2)),
        ),
        (
            "unknown kind",
            Box::new(|b: &mut Vec<u8>| set_u32(b, 12, 7)),
        ),
    ];
    // Decoded from memory, each array is read; loaded from a file, the
    // big ones are checked in place in its map: both must refuse it.
    let folder = scratch("forged");
    let path = folder.join("forged.markov");
    for (message, forge) in forgeries {
        let mut forged = bytes.clone();
        forge(&mut forged);
        let forged = with_fixed_checksum(forged);
        let error = chain_file::decode(&forged).unwrap_err();
        assert!(error.to_string().contains(message), "{message}: {error}");
        fs::write(&path, &forged).unwrap();
        let error = chain_file::load(&path).unwrap_err();
        assert!(
            error.to_string().contains(message),
            "loaded, {message}: {error}"
        );
    }
}

fn any_text() -> impl Strategy<Value = String> {
    let word = prop::sample::select(vec!["a", "b", "cc", "é", "\u{feff}x", "\0", "abcdefghij"]);
    let space = prop::sample::select(vec![" ", "\n", "\u{3000}"]);
    prop::collection::vec((word, space), 1..60)
        .prop_map(|pairs| pairs.into_iter().flat_map(|(w, s)| [w, s]).collect())
}

proptest! {
    #[test]
    fn saving_then_loading_gives_an_identical_chain(
        text in any_text(),
        order in 1usize..4,
        metadata in prop::collection::vec(any::<u8>(), 0..40),
        seed: u64,
    ) {
        let Ok(chain) = build(text.as_bytes(), order) else {
            return Ok(());
        };
        let (loaded, kept) = chain_file::decode(&encoded(&chain, &metadata)).unwrap();
        prop_assert_eq!(&kept, &metadata);
        prop_assert_eq!(words_of(&loaded, seed, 100), words_of(&chain, seed, 100));
        prop_assert_eq!(loaded, chain);
    }

    #[test]
    fn a_forged_number_gives_an_error_or_a_chain_that_walks_saves_and_merges(
        text in any_text(),
        order in 1usize..4,
        guarded: bool,
        position in any::<prop::sample::Index>(),
        value in prop_oneof![0u32..8, any::<u32>()],
        seed: u64,
    ) {
        let Ok(chain) = build_guarded(text.as_bytes(), order, guarded) else {
            return Ok(());
        };
        let mut forged = encoded(&chain, b"");
        let at = 12 + position.index(forged.len() - 16) / 4 * 4;
        set_u32(&mut forged, at, value);
        // Most forgeries are refused. One that passes every check of a
        // load (a count moved between followers, say, or anything in the
        // copy index, which a load barely reads) walks without a panic
        // (guarded too) and saves back to the same chain. If it also
        // passes the copy index's check, which `info` and `merge` make, it
        // merges with itself, as a trained chain does; if not, merging it
        // may fail, but never panics. (A header that claimed more words
        // than its copy index held used to pass, and then fail every
        // merge.)
        if let Ok((loaded, _)) = chain_file::decode(&with_fixed_checksum(forged)) {
            let walk = Walk::new(&loaded, seed).at_most(200);
            let walk = if loaded.copy_index().is_some() {
                walk.max_copy(order + 1).unwrap()
            } else {
                walk
            };
            for word in walk {
                prop_assert!(!word.is_empty());
            }
            let (again, _) = chain_file::decode(&encoded(&loaded, b"")).unwrap();
            prop_assert_eq!(&again, &loaded);
            // Without an index nothing bounds the words a header counts
            // (documents of any number), so merging a claim of billions
            // twice may be too many words: an error, never a panic.
            let checked = chain_file::check_copy_index(&loaded, Watch::none()).is_ok();
            let twice = [MergeSource::once(&loaded), MergeSource::once(&loaded)];
            match merge(&twice, Watch::none()) {
                Ok(_) => {}
                Err(ChainError::TooManyWords { .. }) if !guarded || !checked => {}
                Err(error) => prop_assert!(false, "merging it failed: {error}"),
            }
        }
    }
}

proptest! {
    /// Loading checks only that a copy index's suffixes lie in its text,
    /// so a walk can meet a suffix array in any order. The bugs it would
    /// catch: a guard that indexes past a stretch, or trusts that its run
    /// occurs in the text, and panics on a forged order; and a full check
    /// that passes one.
    #[test]
    fn a_suffix_array_in_any_order_walks_guarded_and_is_found_out(
        text in any_text(),
        order in 1usize..4,
        shuffle in prop::collection::vec(any::<prop::sample::Index>(), 1..8),
        sentences: bool,
        seed: u64,
    ) {
        let Ok(chain) = build_guarded(text.as_bytes(), order, true) else {
            return Ok(());
        };
        let mut forged = encoded(&chain, b"");
        let at = forgery::index_layout(&forged);
        for pair in shuffle.chunks(2) {
            let one = pair[0].index(at.tokens);
            let two = pair[pair.len() - 1].index(at.tokens);
            let start = |forged: &[u8], index| {
                forgery::packed_id(forged, at.suffixes, at.suffix_width, index)
            };
            let (first, second) = (start(&forged, one), start(&forged, two));
            forgery::set_packed_id(&mut forged, at.suffixes, at.suffix_width, one, second);
            forgery::set_packed_id(&mut forged, at.suffixes, at.suffix_width, two, first);
        }
        let (loaded, _) = chain_file::decode(&with_fixed_checksum(forged)).unwrap();
        let found_out = chain_file::check_copy_index(&loaded, Watch::none()).is_err();
        // A text has one suffix array: any other order is found out.
        prop_assert_eq!(found_out, loaded != chain);
        let walk = Walk::new(&loaded, seed).at_most(300).max_copy(order + 1).unwrap();
        let walk = if sentences { walk.sentences(2) } else { walk };
        for word in walk {
            prop_assert!(!word.is_empty());
        }
    }
}

#[test]
fn the_words_of_a_first_window_are_checked() {
    // "a b" follows no state: the file keeps its words whole. The bugs: a
    // root given for a state that follows another (its words would shadow
    // the linked ones), or root words out of the vocabulary.
    let chain = build(b"a b c d", 2).unwrap();
    let bytes = encoded(&chain, b"");
    assert_eq!(chain_file::decode(&bytes).unwrap().0, chain);
    let at = layout(&bytes);
    let root_state = at.state_words + 8 * chain.state_count() as usize;
    let mut linked = bytes.clone();
    set_u32(&mut linked, root_state, 1);
    let error = chain_file::decode(&with_fixed_checksum(linked)).unwrap_err();
    assert!(
        error.to_string().contains("state that follows another"),
        "{error}"
    );
    let mut unknown = bytes;
    set_u32(&mut unknown, root_state + 4, 99);
    let error = chain_file::decode(&with_fixed_checksum(unknown)).unwrap_err();
    assert!(
        error.to_string().contains("not in its vocabulary"),
        "{error}"
    );
}

const SHERLOCK: &str = include_str!("data/sherlock_excerpt.txt");

/// Sentences with their pairs balanced, as a prompt to a saved chain
/// writes them.
fn sentences_of(chain: &Chain, seed: u64) -> Vec<Vec<u8>> {
    Walk::new(chain, seed)
        .sentences(3)
        .balanced(true)
        .at_most(400)
        .map(<[u8]>::to_vec)
        .collect()
}

/// A chain of the Sherlock excerpt saved as `save` saves it (with its plan
/// for sentences), and the bytes of the file.
fn saved_with_its_plan(order: usize) -> (Chain, Vec<u8>) {
    let chain = build(SHERLOCK.as_bytes(), order).unwrap();
    let folder = scratch("plan");
    let path = folder.join("plan.markov");
    chain_file::save(&chain, &path, b"{}", Watch::none()).unwrap();
    (chain, fs::read(&path).unwrap())
}

/// Where the plan for sentences starts in `bytes`: its bits, then its
/// distances.
fn plan_at(bytes: &[u8]) -> (usize, usize) {
    let number = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    let (vocabulary, states, steps) = (number(48), number(60), number(72));
    let at = layout(bytes);
    let bits = at.counts + 4 * at.pairs + vocabulary.div_ceil(8) + states.div_ceil(8);
    (bits, bits + (states * steps).div_ceil(8))
}

#[test]
fn a_chain_saved_with_its_plan_for_sentences_writes_the_same_sentences() {
    // The bugs: a plan saved for other steps than a load reads it with
    // (each pair's state misplaced), its bits or bytes read from the wrong
    // place in the file, distances cut to a byte. Every seed must write
    // the same sentences from the loaded chain as from the built one.
    for order in [1, 2] {
        let (built, bytes) = saved_with_its_plan(order);
        // What pickling sends leaves the plan out: the file holds more.
        assert!(bytes.len() > encoded(&built, b"{}").len());
        let (loaded, _) = chain_file::decode(&bytes).unwrap();
        chain_file::check_sentence_distances(&loaded).unwrap();
        for seed in 0..40 {
            assert_eq!(
                sentences_of(&loaded, seed),
                sentences_of(&built, seed),
                "order {order}, seed {seed}"
            );
        }
    }
}

#[test]
fn a_sentence_that_contains_a_phrase_is_the_same_from_a_saved_plan() {
    // The bugs: the steps after the phrase read from the saved plan at
    // other distances than a whole pass finds (a step into the phrase's
    // end costed from the wrong saved step, or left out), so that the
    // walk steers otherwise. A chain built afresh has no plan and runs
    // the whole pass; the loaded one reads its plan after the phrase.
    for order in [1, 2] {
        let (_, bytes) = saved_with_its_plan(order);
        let (loaded, _) = chain_file::decode(&bytes).unwrap();
        let built = build(SHERLOCK.as_bytes(), order).unwrap();
        for phrase in ["the", "of the", "Holmes"] {
            let sentences = |chain: &Chain, seed: u64| -> Vec<Vec<u8>> {
                let walk = Walk::new(chain, seed).sentences(2).balanced(true);
                (walk.contains(phrase.as_bytes()).unwrap())
                    .at_most(400)
                    .map(<[u8]>::to_vec)
                    .collect()
            };
            for seed in 0..20 {
                let written = sentences(&loaded, seed);
                assert!(
                    !written.is_empty(),
                    "order {order}, {phrase:?}, seed {seed}"
                );
                assert_eq!(
                    written,
                    sentences(&built, seed),
                    "order {order}, {phrase:?}, seed {seed}"
                );
            }
        }
    }
}

#[test]
fn a_forged_plan_for_sentences_misleads_no_walk_into_a_crash_and_is_found_out() {
    let (_, bytes) = saved_with_its_plan(2);
    let (bits, distances) = plan_at(&bytes);
    let reachable = u32::from_le_bytes(bytes[76..80].try_into().unwrap()) as usize;
    // Every distance 0: a walk takes any follower for one that ends a
    // sentence at once. It must still stop, and the full check must find
    // that the plan is not its chain's.
    let mut zeros = bytes.clone();
    zeros[distances..distances + reachable].fill(0);
    let forged = chain_file::decode(&with_fixed_checksum(zeros)).unwrap().0;
    for seed in 0..20 {
        sentences_of(&forged, seed); // A panic fails the test.
    }
    let error = chain_file::check_sentence_distances(&forged).unwrap_err();
    assert!(error.to_string().contains("plan for sentences"), "{error}");
    // A bit cleared: the bytes after it would be read for other pairs.
    let mut cleared = bytes;
    let set = (bits..distances).find(|&at| cleared[at] != 0).unwrap();
    cleared[set] &= cleared[set] - 1;
    let error = chain_file::decode(&with_fixed_checksum(cleared)).unwrap_err();
    assert!(
        error.to_string().contains("does not fit together"),
        "{error}"
    );
}
