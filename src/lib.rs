//! Word-level Markov chains, built and sampled fast: the core of the
//! `llm-markov-rs` plugin for [llm](https://llm.datasette.io).
//!
//! ```
//! use llm_markov_rs::Chain;
//!
//! let chain = Chain::build(b"the cat sat on the mat", 1).unwrap();
//! let words: Vec<&[u8]> = chain.walk(42).take(5).collect();
//! assert_eq!(words.len(), 5);
//! ```
//!
//! With the `python` feature the crate is also the `llm_markov_rs._markov`
//! extension module.

#![forbid(unsafe_code)]

mod build_options;
mod chain;
mod chain_file;
mod continuation;
mod corpus;
mod error;
mod interner;
mod link;
mod packed_table;
mod parallel;
mod rng;
mod sentence;
mod tokenize;
mod vocabulary;
mod walk;

#[cfg(feature = "python")]
mod python;

pub use build_options::{BuildOptions, Watch};
pub use chain::{Chain, MAX_ORDER};
pub use chain_file::{ChainFileHeader, FORMAT_VERSION, MAX_METADATA_BYTES};
pub use corpus::{Corpus, MAX_WORDS};
pub use error::{ChainError, ChainFileError};
pub use sentence::ends_sentence;
pub use tokenize::{is_python_whitespace, Words};
pub use vocabulary::{Vocabulary, MAX_VOCABULARY_BYTES};
pub use walk::{Sentences, Walk};
