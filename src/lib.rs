//! Word-level Markov chains, built and sampled fast: the core of the
//! `llm-markov` plugin for [llm](https://llm.datasette.io).
//!
//! ```
//! use llm_markov::Chain;
//!
//! let chain = Chain::build(b"the cat sat on the mat", 1).unwrap();
//! let words: Vec<&[u8]> = chain.walk(42).take(5).collect();
//! assert_eq!(words.len(), 5);
//! ```
//!
//! With the `python` feature the crate is also the `llm_markov._markov`
//! extension module.

mod chain;
mod corpus;
mod error;
mod packed_table;
mod parallel;
mod rng;
mod tokenize;
mod vocabulary;
mod walk;

#[cfg(feature = "python")]
mod python;

pub use chain::{BuildOptions, Chain, MAX_ORDER};
pub use corpus::{Cancel, Corpus, MAX_WORDS};
pub use error::ChainError;
pub use rng::Rng;
pub use tokenize::{is_python_whitespace, Words};
pub use vocabulary::Vocabulary;
pub use walk::{Sampler, Walk};
