//! Loads chain files that are anything at all: arbitrary bytes, or a real
//! chain file with some of its numbers forged and, often, its checksum
//! fixed up as a careful forger would. Loading must give an error or a
//! chain; never a panic, a hang or an allocation beyond the file's size. A
//! chain it accepts must walk, continue words, and save back to itself.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use llm_markov_rs::{build, chain_file, Chain, Walk, Watch};

#[derive(Arbitrary, Debug)]
enum Input<'a> {
    /// A file of arbitrary bytes.
    Raw(&'a [u8]),
    /// The file of the chain of `text`, with numbers forged.
    Forged {
        text: &'a [u8],
        order: u8,
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

fn exercise(bytes: &[u8], seed: u64) {
    let Ok((chain, _)) = chain_file::decode(bytes) else {
        return;
    };
    let words: Vec<&[u8]> = Walk::new(&chain, seed).take(200).collect();
    assert!(words.iter().all(|word| !word.is_empty()));
    let _ = Walk::after(&chain, seed, &words[words.len() / 2..])
        .take(50)
        .count();
    let (again, _) = chain_file::decode(&encode(&chain)).expect("a loaded chain saves");
    assert_eq!(again, chain);
}

fuzz_target!(|input: Input| match input {
    Input::Raw(bytes) => exercise(bytes, 0),
    Input::Forged {
        text,
        order,
        forgeries,
        fix_checksum,
        seed,
    } => {
        let Ok(chain) = build(text, 1 + usize::from(order % 4)) else {
            return;
        };
        let mut bytes = encode(&chain);
        let body = bytes.len() - 4;
        for (at, value) in forgeries {
            let at = usize::from(at) % body.saturating_sub(3).max(1);
            if at + 4 <= body {
                bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
            }
        }
        if fix_checksum {
            let checksum = crc32fast::hash(&bytes[..body]);
            bytes[body..].copy_from_slice(&checksum.to_le_bytes());
        }
        exercise(&bytes, seed);
    }
});
