//! Why a chain could not be built.

use std::fmt;

/// The ways building a chain can fail. Every message is written for the
/// person who gave the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainError {
    /// The text has no words: it is empty or only whitespace.
    NoWords,
    /// The order is zero; a chain needs at least one word of context.
    OrderTooLow,
    /// The order is above [`crate::MAX_ORDER`].
    OrderTooHigh {
        /// The order asked for.
        order: usize,
    },
    /// The text has fewer words than one state of the chain holds.
    TooFewWords {
        /// The order asked for.
        order: usize,
        /// How many words the text has.
        words: usize,
    },
    /// The text has more words than word ids can count.
    TooManyWords,
    /// The build was cancelled before it finished.
    Cancelled,
}

impl fmt::Display for ChainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainError::NoWords => write!(
                f,
                "markov needs some words to learn from, but the text is empty or only whitespace"
            ),
            ChainError::OrderTooLow => write!(f, "order must be >= 1"),
            ChainError::OrderTooHigh { order } => write!(
                f,
                "order must be <= {}, got {order}",
                crate::MAX_ORDER
            ),
            ChainError::TooFewWords { order, words } => write!(
                f,
                "order {order} needs a text of at least {order} words, but this one has {words}; \
                 use a lower order or give more text"
            ),
            ChainError::TooManyWords => write!(
                f,
                "the text has more than {} words, more than one chain can hold; split it into smaller texts",
                u32::MAX - 1
            ),
            ChainError::Cancelled => write!(f, "building the chain was cancelled"),
        }
    }
}

impl std::error::Error for ChainError {}
