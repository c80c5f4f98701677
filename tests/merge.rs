//! Merging chains (`merge`) against a naive count of the documents' windows:
//! the merged chain holds every document's transitions, each counted its
//! weight's times, none across documents, whatever the grouping or order of
//! the sources.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test, helpers included"
)]

use std::collections::{BTreeMap, HashMap};
use std::num::NonZeroU32;
use std::sync::Arc;

use llm_markov_rs::{
    build, build_piece, build_with, merge, merge_grown, merge_sorting, text_tokens, BuildOptions,
    Chain, ChainError, GrowingChain, MergeSource, Piece, SpillPolicy, SuffixSort, Tokens, Walk,
    Watch,
};
use proptest::prelude::*;

/// Each window of `order` words of any document, with how many times each
/// word followed it, times the document's weight: the slow obvious way.
type Table = HashMap<Vec<String>, BTreeMap<String, u64>>;

fn reference(documents: &[(Vec<String>, u32)], order: usize) -> Table {
    let mut table = Table::new();
    for (words, weight) in documents {
        for window in words.windows(order + 1) {
            *table
                .entry(window[..order].to_vec())
                .or_default()
                .entry(window[order].clone())
                .or_default() += u64::from(*weight);
        }
    }
    table
}

fn word(chain: &Chain, id: u32) -> String {
    String::from_utf8(chain.vocabulary().word(id).to_vec()).unwrap()
}

fn table_of(chain: &Chain) -> Table {
    (0..chain.state_count())
        .filter(|&state| chain.followers(state).len() > 0)
        .map(|state| {
            let words = chain.state_words(state).map(|id| word(chain, id)).collect();
            let followers = chain
                .followers(state)
                .map(|(next, count)| (word(chain, chain.last_word(next)), u64::from(count)))
                .collect();
            (words, followers)
        })
        .collect()
}

fn merged(sources: &[(&Chain, u32)]) -> Result<Chain, ChainError> {
    merge(&merge_sources(sources), Watch::none())
}

/// `merged`, its copy index's text kept in a file when it is longer than
/// `spill_above` tokens.
fn merged_spilling(sources: &[(&Chain, u32)], spill_above: usize) -> Result<Chain, ChainError> {
    let spill = SpillPolicy::default().above(spill_above);
    merge_sorting(
        &merge_sources(sources),
        SuffixSort::Whole,
        &spill,
        Watch::none(),
    )
}

fn merge_sources<'a>(sources: &[(&'a Chain, u32)]) -> Vec<MergeSource<'a>> {
    sources
        .iter()
        .map(|&(chain, weight)| MergeSource {
            chain,
            weight: NonZeroU32::new(weight).unwrap(),
        })
        .collect()
}

fn guarded(text: &str, order: usize) -> Chain {
    let options = BuildOptions {
        copy_index: Some(SuffixSort::Whole),
        ..BuildOptions::default()
    };
    build_with(text.as_bytes(), order, options).unwrap()
}

/// A text of words from a small alphabet, so that windows repeat, cut into
/// two to four documents at random places, each with a weight.
fn any_documents() -> impl Strategy<Value = Vec<(Vec<String>, u32)>> {
    let word = prop::sample::select(vec!["a", "b", "cc", "é", "Zz.", "b!", "\u{feff}x"]);
    let document = prop::collection::vec(word, 3..40)
        .prop_map(|words| words.into_iter().map(str::to_owned).collect::<Vec<_>>());
    prop::collection::vec((document, 1u32..4), 2..5)
}

proptest! {
    #[test]
    fn merging_the_documents_chains_counts_each_window_of_each_document(
        documents in any_documents(),
        order in 1usize..4,
    ) {
        // The bugs: a transition across two documents, a count not times
        // its weight, or a state of one chain lost beside the other's.
        let chains: Vec<Chain> = documents
            .iter()
            .map(|(words, _)| build(words.join(" ").as_bytes(), order).unwrap())
            .collect();
        let sources: Vec<(&Chain, u32)> = chains
            .iter()
            .zip(&documents)
            .map(|(chain, (_, weight))| (chain, *weight))
            .collect();
        let chain = merged(&sources).unwrap();
        prop_assert_eq!(table_of(&chain), reference(&documents, order));
        let weighted = |count: usize, weight: u32| count * weight as usize;
        prop_assert_eq!(
            chain.token_count(),
            documents.iter().map(|(words, w)| weighted(words.len(), *w)).sum::<usize>()
        );
        prop_assert_eq!(
            chain.transition_count(),
            documents.iter().map(|(words, w)| weighted(words.len() - order, *w)).sum::<usize>()
        );

        // The same chain, id for id, whatever the order or grouping of the
        // sources: the ids depend on what the chain holds, not on how it
        // was put together.
        let mut reversed = sources.clone();
        reversed.reverse();
        prop_assert_eq!(&merged(&reversed).unwrap(), &chain);
        let (first, rest) = sources.split_at(1);
        let rest = merged(rest).unwrap();
        prop_assert_eq!(&merged(&[first[0], (&rest, 1)]).unwrap(), &chain);

        // A chain counted k times is k copies of it.
        let (one, weight) = sources[0];
        let copies = vec![(one, 1); weight as usize];
        prop_assert_eq!(merged(&copies).unwrap(), merged(&[(one, weight)]).unwrap());

        // Every document's first window starts a sentence.
        for (words, _) in &documents {
            let opening: Vec<String> = words[..order].to_vec();
            let starts = chain.sentence_starts().iter().any(|&state| {
                chain.state_words(state).map(|id| word(&chain, id)).collect::<Vec<_>>() == opening
            });
            prop_assert!(starts, "{:?} starts no sentence", opening);
        }
    }
}

#[test]
fn chains_of_many_states_merge_as_few_do() {
    // The bug: a merge that finds its sources' states' words a block at a
    // time and reads the wrong block, or the right block at the wrong
    // place, past the first few thousand states (every chain of the test
    // above has fewer). Two documents of 30,000 words each, drawn from 200,
    // make tens of thousands of states at orders 2 and 3.
    let document = |seed: u64| -> Vec<String> {
        let mut state = seed;
        (0..30_000)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1);
                format!("w{}", (state >> 33) % 200)
            })
            .collect()
    };
    let documents = vec![(document(1), 1), (document(2), 2)];
    for order in 2..=3 {
        let chains: Vec<Chain> = (documents.iter())
            .map(|(words, _)| build(words.join(" ").as_bytes(), order).unwrap())
            .collect();
        assert!(chains.iter().all(|chain| chain.state_count() > 20_000));
        let chain = merged(&[(&chains[0], 1), (&chains[1], 2)]).unwrap();
        assert_eq!(
            table_of(&chain),
            reference(&documents, order),
            "order {order}"
        );
    }
}

#[test]
fn a_chain_merged_alone_is_itself() {
    // The bug: merging renumbered words, states or followers, so a merged
    // chain walked differently from the one it came from.
    let text = include_str!("data/sherlock_excerpt.txt");
    for order in 1..=3 {
        let chain = guarded(text, order);
        assert_eq!(merged(&[(&chain, 1)]).unwrap(), chain, "order {order}");
    }
}

#[test]
fn the_merged_copy_index_holds_every_document_and_no_run_across_them() {
    // Half of a text in each of two chains. The bug it catches: a merged
    // index that held only one document's text (so the guard let runs of
    // the other through), or that joined them (so it saw a run across the
    // cut that neither document has).
    let words: Vec<&str> = include_str!("data/sherlock_excerpt.txt")
        .split_whitespace()
        .take(8000)
        .collect();
    let (first, second) = words.split_at(words.len() / 2);
    let chains = [guarded(&first.join(" "), 2), guarded(&second.join(" "), 2)];
    let chain = merged(&[(&chains[0], 1), (&chains[1], 1)]).unwrap();
    assert!(chain.copy_index().is_some());
    let longest_in = |document: &[&str], output: &[String]| {
        let mut longest = 0;
        for start in 0..output.len() {
            for end in start + longest + 1..=output.len() {
                let run = &output[start..end];
                let found = document.windows(run.len()).any(|window| window == run);
                if !found {
                    break;
                }
                longest = end - start;
            }
        }
        longest
    };
    for seed in 0..6 {
        let mut walk = Walk::new(&chain, seed).at_most(300).max_copy(4).unwrap();
        let output: Vec<String> = walk
            .by_ref()
            .map(|token| String::from_utf8(token.to_vec()).unwrap())
            .collect();
        let longest = longest_in(first, &output).max(longest_in(second, &output));
        assert!(longest <= 4, "seed {seed}: a run of {longest}");
        assert_eq!(walk.longest_copy(), Some(longest), "seed {seed}");
    }
}

#[test]
fn a_merge_that_defers_its_sort_sorts_to_the_same_index() {
    // The bug: a deferred sort never done, or done to another order, so
    // that a saved training's index is not its text's suffix array.
    let a = guarded("the cat sat on the mat and the cat ran", 1);
    let b = guarded("on the mat the dog sat and the cat sat", 1);
    let sources = [MergeSource::once(&a), MergeSource::once(&b)];
    let sorted = merge(&sources, Watch::none()).unwrap();
    let in_memory = SpillPolicy::default();
    let deferred = merge_sorting(&sources, SuffixSort::Later, &in_memory, Watch::none()).unwrap();
    assert!(!sorted.copy_index_waits_for_sort());
    assert!(deferred.copy_index_waits_for_sort());
    deferred.sort_copy_index(Watch::none()).unwrap();
    assert!(!deferred.copy_index_waits_for_sort());
    assert_eq!(deferred, sorted);
}

#[test]
fn a_source_without_a_copy_index_leaves_the_merge_without_one() {
    let guarded = guarded("the cat sat on the mat", 1);
    let bare = build(b"the dog sat on the log", 1).unwrap();
    let chain = merged(&[(&guarded, 1), (&bare, 1)]).unwrap();
    assert!(chain.copy_index().is_none());
    assert_eq!(
        Walk::new(&chain, 1).max_copy(3).err(),
        Some(ChainError::NoCopyIndex)
    );
}

#[test]
fn chains_that_cannot_merge_are_refused() {
    let order_1 = build(b"the cat sat on the mat", 1).unwrap();
    let order_2 = build(b"the cat sat on the mat", 2).unwrap();
    let lines = build_with(
        b"the cat\nsat on the mat\n",
        1,
        BuildOptions {
            tokens: Tokens::Lines,
            ..BuildOptions::default()
        },
    )
    .unwrap();
    let error = merged(&[(&order_1, 1), (&order_2, 1)]).unwrap_err();
    assert!(matches!(
        error,
        ChainError::OrdersDiffer {
            source: 1,
            order: 2,
            first: 1
        }
    ));
    assert!(error.to_string().contains("chain 2 has order 2"), "{error}");
    let error = merged(&[(&order_1, 1), (&lines, 1)]).unwrap_err();
    assert!(matches!(error, ChainError::TokensDiffer { source: 1, .. }));
    assert_eq!(merged(&[]).unwrap_err(), ChainError::NothingToMerge);
}

/// A text of lines of words, some ending sentences, some lines blank.
fn any_lines() -> impl Strategy<Value = String> {
    let word = prop::sample::select(vec!["a", "Bb", "cc.", "dé", "E!", "f,", "\u{feff}g"]);
    let line = prop::collection::vec(word, 0..6).prop_map(|words| words.join(" "));
    prop::collection::vec(line, 1..30).prop_map(|lines| lines.join("\n") + "\n")
}

/// The places where a text may be cut into pieces: after a line feed,
/// before a character that is not whitespace.
fn safe_cuts(text: &str) -> Vec<usize> {
    text.char_indices()
        .filter(|&(at, c)| at > 0 && text.as_bytes()[at - 1] == b'\n' && !c.is_whitespace())
        .map(|(at, _)| at)
        .collect()
}

proptest! {
    #[test]
    fn a_document_built_in_pieces_and_merged_is_the_whole_documents_chain(
        text in any_lines(),
        order in 1usize..4,
        cut_choices in prop::collection::vec(any::<bool>(), 0..30),
        tokens in prop::sample::select(vec![Tokens::Words, Tokens::Lines, Tokens::Unicode]),
        guarded in any::<bool>(),
        spill_above in 0usize..120,
    ) {
        // The bugs: a transition across a cut lost or counted twice, a
        // cut taken for a sentence start or end, a carried token counted
        // as a word again; with the copy guard, a separator between the
        // pieces' texts, where a copied run across the cut would be lost.
        let sort = |sort| guarded.then_some(sort);
        let options = BuildOptions { tokens, copy_index: sort(SuffixSort::Later), ..BuildOptions::default() };
        let whole_options = BuildOptions { copy_index: sort(SuffixSort::Whole), ..options };
        let whole = build_with(text.as_bytes(), order, whole_options);
        prop_assume!(whole.is_ok());
        let whole = whole.unwrap();
        let cuts: Vec<usize> = safe_cuts(&text)
            .into_iter()
            .zip(cut_choices.iter().chain(std::iter::repeat(&false)))
            .filter(|&(_, &cut)| cut)
            .map(|(at, _)| at)
            .collect();
        let token_count = |piece: &str| text_tokens(tokens, piece.as_bytes()).unwrap().len();
        let mut pieces = Vec::new();
        let mut start = 0;
        for end in cuts.into_iter().chain([text.len()]) {
            // A piece is built once it has `order` tokens, or at the end.
            if end < text.len() && token_count(&text[start..end]) < order {
                continue;
            }
            let before = text_tokens(tokens, &text.as_bytes()[..start]).unwrap();
            let carried: Vec<&[u8]> = before[before.len().saturating_sub(order)..]
                .iter()
                .map(Vec::as_slice)
                .collect();
            let piece = Piece { carried: &carried, ends_document: end == text.len() };
            pieces.push(build_piece(&text.as_bytes()[start..end], order, options, piece).unwrap());
            start = end;
        }
        let sources: Vec<(&Chain, u32)> = pieces.iter().map(|piece| (piece, 1)).collect();
        let merged = merged(&sources).unwrap();
        prop_assert_eq!(merged.copy_index().is_some(), guarded);
        prop_assert_eq!(&merged, &whole);
        // Grown a piece at a time, as a training grows it, and sorted in
        // place: the same again, each piece merged into those before or
        // merged as a tree, its text kept in a file once it is longer than
        // `spill_above` (or never).
        prop_assert_eq!(grown_in_turn(pieces.clone(), spill_above), whole.clone());
        prop_assert_eq!(grown(pieces.clone(), spill_above), whole.clone());
        prop_assert_eq!(grown(pieces, usize::MAX), whole);
    }

    #[test]
    fn a_chain_grown_a_document_at_a_time_is_the_documents_merged(
        documents in any_documents(),
        order in 1usize..4,
        spill_above in 0usize..120,
    ) {
        // The bugs: an id of the text grown in place left as it was when
        // a later document brings a word that sorts before it, or the
        // text's old separator left at a value that is now a word's; a
        // separator lost between documents. Each would let a guarded walk
        // copy more than `max_copy` from a trained chain. The same for a
        // text grown in a file once it is longer than `spill_above`: a
        // renumbering of the file that misses a block, a copy into a new
        // file that loses the text before, a separator or a tail appended
        // at the wrong place.
        let build = |words: &[String], sort| {
            let options = BuildOptions { copy_index: Some(sort), ..BuildOptions::default() };
            build_with(words.join(" ").as_bytes(), order, options).unwrap()
        };
        let pieces: Vec<Chain> =
            documents.iter().map(|(words, _)| build(words, SuffixSort::Later)).collect();
        let whole: Vec<Chain> =
            documents.iter().map(|(words, _)| build(words, SuffixSort::Whole)).collect();
        let sources: Vec<(&Chain, u32)> = whole.iter().map(|chain| (chain, 1)).collect();
        let merged = merged(&sources).unwrap();
        prop_assert_eq!(grown_in_turn(pieces.clone(), spill_above), merged.clone());
        prop_assert_eq!(grown(pieces.clone(), spill_above), merged.clone());
        prop_assert_eq!(grown(pieces, usize::MAX), merged);
        // Merged with their weights, the text joined in a file once it is
        // longer than `spill_above`: a weight's copies read back from the
        // file at the wrong place, or a separator lost, give another text.
        let weighted: Vec<(&Chain, u32)> =
            whole.iter().zip(&documents).map(|(chain, (_, weight))| (chain, *weight)).collect();
        let in_file = merged_spilling(&weighted, spill_above).unwrap();
        prop_assert_eq!(in_file, merged_spilling(&weighted, usize::MAX).unwrap());
    }
}

/// The chain of `pieces` merged in turn into the chain of those before,
/// with `merge_grown`, and its copy index sorted with `Chain::into_sorted`;
/// a text longer than `spill_above` tokens kept in a file.
fn grown_in_turn(pieces: Vec<Chain>, spill_above: usize) -> Chain {
    let spill = SpillPolicy::default().above(spill_above);
    let mut pieces = pieces.into_iter();
    let first = pieces.next().expect("a piece");
    let chain = pieces.fold(first, |grown, piece| {
        merge_grown(grown, &piece, &spill, Watch::none()).unwrap()
    });
    chain.into_sorted(Watch::none()).unwrap()
}

/// The chain of `pieces` grown as a training grows it, by a
/// `GrowingChain` (a tree of `merge_grown`s), and sorted in place; a text
/// longer than `spill_above` tokens kept in a file.
fn grown(pieces: Vec<Chain>, spill_above: usize) -> Chain {
    let mut growing = GrowingChain::spilling(SpillPolicy::default().above(spill_above));
    for piece in pieces {
        growing.add(Arc::new(piece), Watch::none()).unwrap();
    }
    let chain = growing.finish(Watch::none()).unwrap().expect("a piece");
    let chain = Arc::try_unwrap(chain).expect("held by the test alone");
    chain.into_sorted(Watch::none()).unwrap()
}
