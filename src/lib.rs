//! Word-level Markov chains, built and sampled fast: the core of the
//! `llm-markov-rs` plugin for [llm](https://llm.datasette.io).
//!
//! ```
//! use llm_markov_rs::{build, Walk};
//!
//! let chain = build(b"the cat sat on the mat", 1).unwrap();
//! let words: Vec<&[u8]> = Walk::new(&chain, 42).take(5).collect();
//! assert_eq!(words.len(), 5);
//! ```
//!
//! The modules form layers, each using only those below it: the limits,
//! the tokenizer and the data types ([`Chain`], [`Vocabulary`]) at the
//! bottom; building ([`build`]) above them; walking ([`Walk`]) and the
//! file format ([`chain_file`]) on top. With the `python` feature the
//! crate is also the `llm_markov_rs._markov` extension module, a thin layer
//! over this API.

// One `unsafe` block in the crate, allowed where it is: mapping a chain
// file (`chain_file::map_file`).
#![deny(unsafe_code)]

mod ascii_words;
mod bit_set;
mod build;
mod build_options;
mod chain;
pub mod chain_file;
mod continuation;
mod copy_guard;
mod copy_index;
mod corpus;
mod error;
mod growing;
mod interner;
pub mod limits;
mod link;
mod merge;
mod packed_table;
mod parallel;
mod rng;
mod sampled_search;
mod segment;
mod sentence;
mod sentence_distances;
mod state_words;
mod steer;
mod stored;
mod suffix_array;
mod temperature;
mod tokenize;
mod tokens;
mod vocabulary;
mod walk;

#[cfg(feature = "python")]
mod python;

pub use build::{build, build_from_corpus, build_piece, build_with, check_order, linking_work};
pub use build_options::{BuildOptions, SuffixSort, Watch};
pub use chain::Chain;
pub use copy_index::{CopyIndex, SpillPolicy};
pub use corpus::{Corpus, Piece, TextInChunks};
pub use error::{ChainError, ChainFileError};
pub use growing::GrowingChain;
pub use merge::{merge, merge_grown, merge_sorting, merging_work, MergeSource};
pub use segment::{prompt_tokens, text_tokens};
pub use sentence::ends_sentence;
pub use steer::PlanCache;
pub use tokenize::Words;
pub use tokens::Tokens;
pub use vocabulary::Vocabulary;
pub use walk::Walk;
