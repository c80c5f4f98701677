//! Loads chain files that are anything at all: arbitrary bytes, or a real
//! chain file (with the copy guard's index or without) with some of its
//! numbers forged and, often, its checksums fixed up as a careful forger
//! would. Each is loaded from memory, where every section is read, and
//! from a file, which is mapped and checked in place. Loading must give an error
//! or a chain; never a panic, a hang or an allocation beyond the file's
//! size. A chain it accepts must walk (guarded too, and in sentences by
//! its saved plan, with a word to hold or without), continue words, save
//! back to itself, pass or fail the full check of its index and of its
//! plan, and merge with itself.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use llm_markov_rs::{
    build_with, chain_file, merge, BuildOptions, Chain, ChainError, MergeSource, SuffixSort, Walk,
    Watch,
};

#[path = "../../tests/forgery/mod.rs"]
mod forgery;

#[derive(Arbitrary, Debug)]
enum Input<'a> {
    /// A file of arbitrary bytes.
    Raw(&'a [u8]),
    /// The file of the chain of `text`, with numbers forged.
    Forged {
        text: &'a [u8],
        order: u8,
        guarded: bool,
        forgeries: Vec<(u16, u32)>,
        fix_checksum: bool,
        seed: u64,
    },
}

fn encode(chain: &Chain) -> Vec<u8> {
    let mut bytes = Vec::new();
    chain_file::encode(chain, b"{}", &mut bytes, Watch::none()).expect("encoding to memory");
    bytes
}

/// The file `save` writes for `chain`: with its plan for sentences.
fn saved(chain: &Chain) -> Vec<u8> {
    let path = std::env::temp_dir().join(format!("saved-chain-{}.markov", std::process::id()));
    chain_file::save(chain, &path, b"{}", Watch::none()).expect("saving the chain");
    let bytes = std::fs::read(&path).expect("reading the saved chain");
    let _ = std::fs::remove_file(&path);
    bytes
}

fn exercise(bytes: &[u8], seed: u64) {
    if let Ok((chain, _)) = chain_file::decode(bytes) {
        walk(&chain, seed);
    }
    // The same bytes as a file: mapped, its arrays used in place.
    let path = std::env::temp_dir().join(format!("load-chain-{}.markov", std::process::id()));
    std::fs::write(&path, bytes).expect("writing the file to load");
    if let Ok((chain, _)) = chain_file::load(&path) {
        walk(&chain, seed);
    }
    // libFuzzer ends its process without running destructors: the file
    // goes now, so that a fuzzing run leaves none behind.
    let _ = std::fs::remove_file(&path);
}

fn walk(chain: &Chain, seed: u64) {
    let words: Vec<&[u8]> = Walk::new(chain, seed).take(200).collect();
    assert!(words.iter().all(|word| !word.is_empty()));
    let _ = Walk::after(chain, seed, &words[words.len() / 2..])
        .take(50)
        .count();
    if chain.copy_index().is_some() {
        let guarded = Walk::new(chain, seed)
            .at_most(200)
            .max_copy(chain.order() + 1);
        let _ = guarded.expect("a guarded chain takes max_copy").count();
    }
    let _ = Walk::new(chain, seed)
        .sentences(2)
        .balanced(true)
        .at_most(200)
        .count();
    // A sentence that must hold a word reads the saved plan once the
    // word is written: a forged plan may mislead it, never crash it.
    if let Some(word) = words.first() {
        let steered = Walk::new(chain, seed).sentences(2).balanced(true);
        if let Ok(steered) = steered.contains(word) {
            let _ = steered.at_most(200).count();
        }
    }
    let index_checked = chain_file::check_copy_index(chain, Watch::none()).is_ok();
    let _ = chain_file::check_sentence_distances(chain);
    let (again, _) = chain_file::decode(&encode(chain)).expect("a loaded chain saves");
    assert_eq!(&again, chain);
    merge_with_itself(chain, index_checked, seed);
}

/// A merge reads what a walk does not: every state's saved link and
/// words, and the whole copy index. A file whose links passed the load
/// but not a merge's reading of them once made a merge panic.
fn merge_with_itself(chain: &Chain, index_checked: bool, seed: u64) {
    let twice = [MergeSource::once(chain), MergeSource::once(chain)];
    match merge(&twice, Watch::none()) {
        Ok(merged) => {
            let _ = Walk::new(&merged, seed).take(50).count();
        }
        // Nothing bounds the words a header without a checked index
        // claims, so two of them may be too many: an error, not a panic.
        Err(ChainError::TooManyWords { .. }) if chain.copy_index().is_none() || !index_checked => {}
        Err(error) => panic!("a loaded chain did not merge with itself: {error}"),
    }
}

fuzz_target!(|input: Input| match input {
    Input::Raw(bytes) => exercise(bytes, 0),
    Input::Forged {
        text,
        order,
        guarded,
        forgeries,
        fix_checksum,
        seed,
    } => {
        let options = BuildOptions {
            copy_index: guarded.then_some(SuffixSort::Whole),
            ..BuildOptions::default()
        };
        let Ok(chain) = build_with(text, 1 + usize::from(order % 4), options) else {
            return;
        };
        let mut bytes = saved(&chain);
        // Every number of a chain file is four bytes at a multiple of
        // four: a forgery there replaces one number whole, as a forger
        // who knows the format would (raw inputs cover the rest).
        let numbers = (bytes.len() - 4) / 4;
        for (at, value) in forgeries {
            let at = usize::from(at) % numbers.max(1) * 4;
            if at + 4 <= bytes.len() - 4 {
                bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
            }
        }
        if fix_checksum {
            forgery::fix_checksums(&mut bytes);
        }
        exercise(&bytes, seed);
    }
});
