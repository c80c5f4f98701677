//! Building a chain from a text: split it into a [`Corpus`], then link the
//! corpus into a [`Chain`].

use crate::build_options::BuildOptions;
use crate::chain::Chain;
use crate::copy_index::CopyIndex;
use crate::corpus::{Corpus, Piece};
use crate::error::ChainError;
use crate::limits::MAX_ORDER;
use crate::link::{self, link_corpus};

/// Builds the chain of `order` from `text`, using every core.
///
/// `text` is UTF-8, or UTF-8 with lone surrogates encoded as Python's
/// `"surrogatepass"` error handler does. Words are split as Python's
/// `str.split()` splits them.
pub fn build(text: &[u8], order: usize) -> Result<Chain, ChainError> {
    build_with(text, order, BuildOptions::default())
}

/// Builds the chain of `order` from `text` as `options` say.
pub fn build_with(text: &[u8], order: usize, options: BuildOptions) -> Result<Chain, ChainError> {
    check_order(order)?;
    let corpus = Corpus::from_text(text, options)?;
    build_from_corpus(corpus, order, options)
}

/// Builds the chain of `order` from `text`, `piece` of a longer document,
/// as `options` say: merged with the chains of the document's other pieces
/// ([`crate::merge`]), it makes the document's chain. A copy index holds
/// the piece's own tokens, not those it carries.
pub fn build_piece(
    text: &[u8],
    order: usize,
    options: BuildOptions,
    piece: Piece<'_>,
) -> Result<Chain, ChainError> {
    check_order(order)?;
    let corpus = Corpus::from_piece(text, piece, options)?;
    build_from_corpus(corpus, order, options)
}

/// Fails unless `order` is from 1 to [`MAX_ORDER`]: worth asking before
/// splitting a large text only to find the order was wrong.
pub fn check_order(order: usize) -> Result<(), ChainError> {
    match order {
        0 => Err(ChainError::OrderTooLow),
        _ if order > MAX_ORDER => Err(ChainError::OrderTooHigh {
            order,
            max: MAX_ORDER,
        }),
        _ => Ok(()),
    }
}

/// Builds the chain of `order` from a text already split into words.
///
/// The corpus owns its words, so the text may be freed before this second
/// step; the Python bindings do so to drop their temporary UTF-8 copy
/// before the transition table takes its memory.
pub fn build_from_corpus(
    corpus: Corpus,
    order: usize,
    options: BuildOptions,
) -> Result<Chain, ChainError> {
    check_order(order)?;
    let token_count = corpus.token_count();
    if token_count == 0 {
        return Err(ChainError::NoWords);
    }
    if token_count < order {
        return Err(ChainError::TooFewWords {
            order,
            words: token_count,
        });
    }
    let Some(sort) = options.copy_index else {
        return link_corpus(corpus, order, options);
    };
    let mut text = corpus.parts.concat();
    text.drain(..corpus.carried);
    let alphabet = corpus.vocabulary.len() as u32;
    let continues = !corpus.ends_document;
    let indexed = |text, watch| {
        CopyIndex::new(text, alphabet, sort, watch).map(|index| index.continuing(continues))
    };
    if options.threads <= 1 {
        let chain = link_corpus(corpus, order, options)?;
        let index = indexed(text, options.watch)?;
        return Ok(chain.with_copy_index(index));
    }
    // The suffix array takes one thread for about as long as linking takes
    // all of them: sorted beside it (as are the groups of a sort on
    // demand, a tenth of that).
    std::thread::scope(|scope| {
        let watch = options.watch;
        let sorting = scope.spawn(move || indexed(text, watch));
        let chain = link_corpus(corpus, order, options);
        let index = sorting
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        Ok(chain?.with_copy_index(index?))
    })
}

/// How much progress [`build_from_corpus`] reports in all for `corpus` at
/// `order` (see [`crate::Watch::reporting_to`]), for a progress bar's total.
pub fn linking_work(corpus: &Corpus, order: usize) -> u64 {
    link::linking_work(corpus.token_count(), order)
}
