//! Why a chain could not be built, loaded or saved.

use std::fmt;

#[cfg(doc)]
use crate::limits::{FORMAT_VERSION, MAX_ORDER, MAX_VOCABULARY_BYTES, MAX_WORDS};
use crate::tokens::Tokens;

/// The ways building a chain can fail. Every message is written for the
/// person who gave the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainError {
    /// The text has no words: it is empty or only whitespace.
    NoWords,
    /// The order is zero; a chain needs at least one word of context.
    OrderTooLow,
    /// The order is above the highest a chain may have.
    OrderTooHigh {
        /// The order asked for.
        order: usize,
        /// The highest order, [`MAX_ORDER`].
        max: usize,
    },
    /// The text has fewer words than one state of the chain holds.
    TooFewWords {
        /// The order asked for.
        order: usize,
        /// How many words the text has.
        words: usize,
    },
    /// The text has more words than a chain can count.
    TooManyWords {
        /// The most words a text may have, [`MAX_WORDS`].
        max: usize,
    },
    /// The text's distinct words take more bytes together than a chain
    /// holds.
    VocabularyTooLarge {
        /// The most bytes they may take, [`MAX_VOCABULARY_BYTES`].
        max_bytes: usize,
    },
    /// In a mode that cuts its text only at line feeds (`unicode`,
    /// `chars`), the text runs on for more than a part may hold without
    /// one.
    LineTooLong {
        /// The most bytes a part may hold.
        max_bytes: usize,
    },
    /// A walk was asked to bound its copies below what its chain copies
    /// with every step.
    MaxCopyTooLow {
        /// The chain's order.
        order: usize,
        /// The bound asked for.
        max_copy: usize,
    },
    /// A walk was asked for a bound on copies that its chain's copy index,
    /// cut into windows by its chain file, cannot check exactly.
    MaxCopyTooHigh {
        /// The largest bound the index checks.
        limit: usize,
        /// The bound asked for.
        max_copy: usize,
    },
    /// A walk was asked to bound its copies, but the chain has no copy
    /// index to check them against.
    NoCopyIndex,
    /// A merge was given no chain.
    NothingToMerge,
    /// A chain to merge has another order than the first.
    OrdersDiffer {
        /// Which chain, counting from 0.
        source: usize,
        /// Its order.
        order: usize,
        /// The first chain's order.
        first: usize,
    },
    /// A chain to merge cuts its text into other tokens than the first.
    TokensDiffer {
        /// Which chain, counting from 0.
        source: usize,
        /// Its tokens.
        tokens: Tokens,
        /// The first chain's tokens.
        first: Tokens,
    },
    /// The build was cancelled before it finished.
    Cancelled,
    /// A walk was asked for a phrase (`contains`, `end`) with no token.
    NoPhrase {
        /// The option that gave it.
        option: String,
    },
    /// A phrase a walk must write has a token the text lacks.
    PhraseNotInText {
        /// The option that gave it.
        option: String,
        /// The phrase as given.
        phrase: String,
        /// The phrase as the text has it, where it differs only in case.
        other_case: Option<String>,
    },
    /// No output within the walk's budget can do what it was asked: the
    /// message says what, and what to raise or leave out.
    Unreachable {
        /// What the walk was asked to write.
        goal: String,
        /// What would let it.
        advice: String,
    },
    /// A temperature below 0, or not a number.
    BadTemperature,
    /// An overlap ratio outside 0 to 1.
    BadCopyRatio,
    /// A long training's copy index text could not be kept in a temporary
    /// file.
    TemporaryFile {
        /// The folder of the file.
        folder: String,
        /// What the system said.
        reason: String,
    },
}

impl fmt::Display for ChainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainError::NoWords => write!(
                f,
                "markov needs some words to learn from, but the text is empty or only whitespace"
            ),
            ChainError::OrderTooLow => write!(f, "order must be >= 1"),
            ChainError::NothingToMerge => write!(f, "give at least one chain to merge"),
            ChainError::OrdersDiffer {
                source,
                order,
                first,
            } => write!(
                f,
                "chain {} has order {order} but chain 1 has order {first}: only chains of one \
                 order merge",
                source + 1
            ),
            ChainError::TokensDiffer {
                source,
                tokens,
                first,
            } => write!(
                f,
                "chain {} has {tokens} tokens but chain 1 has {first} tokens: only chains of \
                 one token mode merge",
                source + 1
            ),
            ChainError::OrderTooHigh { order, max } => {
                write!(f, "order must be <= {max}, got {order}")
            }
            ChainError::TooFewWords { order, words } => write!(
                f,
                "order {order} needs a text of at least {order} words, but this one has {words}; \
                 use a lower order or give more text"
            ),
            ChainError::TooManyWords { max } => write!(
                f,
                "the text has more than {max} words, more than one chain can hold; \
                 split it into smaller texts"
            ),
            ChainError::VocabularyTooLarge { max_bytes } => write!(
                f,
                "the text's distinct words take more than {max_bytes} bytes together, more \
                 than one chain can hold; split it into smaller texts"
            ),
            ChainError::LineTooLong { max_bytes } => write!(
                f,
                "the text runs on for more than {max_bytes} bytes without a line break, \
                 more than these tokens allow; break its lines or use tokens words"
            ),
            ChainError::MaxCopyTooLow { order, max_copy } => write!(
                f,
                "max_copy must be at least order + 1 = {}, got {max_copy}: a chain of order \
                 {order} copies {} words of the text with every step",
                order + 1,
                order + 1
            ),
            ChainError::MaxCopyTooHigh { limit, max_copy } => write!(
                f,
                "max_copy can be at most {limit} for this chain, got {max_copy}: its text is \
                 long, so its copy index finds copies of at most {} words; give max_copy 0 for \
                 no bound",
                limit + 1
            ),
            ChainError::NoCopyIndex => write!(
                f,
                "this chain was built without the copy guard's index, so max_copy cannot be \
                 enforced"
            ),
            ChainError::Cancelled => write!(f, "building the chain was cancelled"),
            ChainError::NoPhrase { option } => {
                write!(
                    f,
                    "{option} needs a word or phrase to look for, not only whitespace"
                )
            }
            ChainError::PhraseNotInText {
                option,
                phrase,
                other_case,
            } => match other_case {
                Some(other) => write!(
                    f,
                    "{option}: {phrase:?} is not in the text, but {other:?} is; give -o {option} \
                     {other:?}"
                ),
                None => write!(
                    f,
                    "{option}: {phrase:?} is not in the text; give a word or phrase the text has"
                ),
            },
            ChainError::Unreachable { goal, advice } => {
                write!(f, "no output can {goal}; {advice}")
            }
            ChainError::BadTemperature => {
                write!(f, "temperature must be a number of at least 0")
            }
            ChainError::BadCopyRatio => {
                write!(f, "max_copy_ratio must be between 0 and 1")
            }
            ChainError::TemporaryFile { folder, reason } => write!(
                f,
                "cannot keep the copy guard's text in a temporary file in {folder} ({reason}); \
                 free some disk space there, or train without the copy guard"
            ),
        }
    }
}

impl std::error::Error for ChainError {}

/// Why a chain file could not be loaded or saved. Every message says what
/// is wrong with the file and what to do about it; the caller names the
/// file.
#[derive(Debug)]
pub enum ChainFileError {
    /// The file could not be opened, read or written.
    Io(std::io::Error),
    /// The file does not start with the chain file's magic number.
    NotAChainFile,
    /// The file is in a newer format than this crate reads.
    NewerFormat {
        /// The file's format version.
        version: u32,
        /// The version this crate reads, [`FORMAT_VERSION`].
        supported: u32,
    },
    /// The file is in an older format than this crate reads.
    OlderFormat {
        /// The file's format version.
        version: u32,
        /// The version this crate reads, [`FORMAT_VERSION`].
        supported: u32,
    },
    /// The file is shorter than its header says.
    Truncated,
    /// The file is longer than its header says.
    TrailingBytes {
        /// How many bytes too many.
        extra: u128,
    },
    /// The file's checksum does not match its contents.
    Checksum,
    /// The file's contents do not make a chain.
    Invalid(String),
    /// The chain is too large for the format.
    TooLarge(&'static str),
    /// Saving was cancelled before the file was put in place.
    Cancelled,
}

impl fmt::Display for ChainFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let again = "train it again, or copy it again from where it came from";
        match self {
            ChainFileError::Io(error) => write!(f, "{error}"),
            ChainFileError::NotAChainFile => {
                write!(
                    f,
                    "it is not a markov chain file (its first bytes are not a chain file's)"
                )
            }
            ChainFileError::NewerFormat { version, supported } => write!(
                f,
                "it is in chain file format {version}, newer than this version of \
                 llm-markov-rs reads (format {supported}); upgrade llm-markov-rs"
            ),
            ChainFileError::OlderFormat { version, supported } => write!(
                f,
                "it is in chain file format {version}, older than this version of \
                 llm-markov-rs reads (format {supported}); train it again"
            ),
            ChainFileError::Truncated => {
                write!(f, "it is truncated (shorter than its header says); {again}")
            }
            ChainFileError::TrailingBytes { extra } => {
                write!(f, "it has {extra} more bytes than its header says; {again}")
            }
            ChainFileError::Checksum => write!(
                f,
                "its checksum does not match its contents, so it is corrupted; {again}"
            ),
            ChainFileError::Invalid(what) => {
                write!(f, "it does not hold a consistent chain ({what}); {again}")
            }
            ChainFileError::TooLarge(what) => {
                write!(
                    f,
                    "the chain is too large to save: {what} exceed the format's limits"
                )
            }
            ChainFileError::Cancelled => write!(f, "saving the chain was cancelled"),
        }
    }
}

impl std::error::Error for ChainFileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ChainFileError::Io(error) => Some(error),
            _ => None,
        }
    }
}

impl From<std::io::Error> for ChainFileError {
    fn from(error: std::io::Error) -> Self {
        ChainFileError::Io(error)
    }
}

impl From<ChainError> for ChainFileError {
    /// Only cancellation reaches a save through [`crate::Watch::check`].
    fn from(error: ChainError) -> Self {
        match error {
            ChainError::Cancelled => ChainFileError::Cancelled,
            // Not the file's fault: saving read the text from where the
            // training kept it.
            spill @ ChainError::TemporaryFile { .. } => {
                ChainFileError::Io(std::io::Error::other(spill.to_string()))
            }
            other => ChainFileError::Invalid(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn a_cancelled_build_stays_a_cancel_when_a_save_meets_it() {
        // The bug this catches: Ctrl-C during a save reported as a broken
        // file ("train it again") instead of a cancel.
        let cancelled = ChainFileError::from(ChainError::Cancelled);
        assert!(matches!(cancelled, ChainFileError::Cancelled));
        let other = ChainFileError::from(ChainError::NoWords);
        assert!(matches!(other, ChainFileError::Invalid(_)));
    }

    #[test]
    fn every_file_fault_says_what_to_do() {
        let faults = [
            ChainFileError::Truncated,
            ChainFileError::TrailingBytes { extra: 3 },
            ChainFileError::Checksum,
            ChainFileError::Invalid("a count is zero".into()),
            ChainFileError::OlderFormat {
                version: 1,
                supported: 2,
            },
        ];
        for fault in faults {
            assert!(fault.to_string().contains("train it again"), "{fault}");
        }
        let newer = ChainFileError::NewerFormat {
            version: 9,
            supported: 2,
        };
        assert!(newer.to_string().ends_with("upgrade llm-markov-rs"));
    }

    #[test]
    fn an_io_error_is_the_source_and_the_message() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied");
        let error = ChainFileError::from(io);
        assert_eq!(error.to_string(), "denied");
        assert!(error.source().is_some());
        assert!(ChainFileError::Checksum.source().is_none());
    }
}
