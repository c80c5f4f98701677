//! The copy guard (`Walk::max_copy`) against a naive search of the text:
//! no run of the output longer than the bound occurs in the text, across
//! restarts and in sentences, and a seed replays the same tokens.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test, helpers included"
)]

use llm_markov_rs::{
    build_with, chain_file, text_tokens, BuildOptions, Chain, ChainError, SuffixSort, Tokens, Walk,
    Watch,
};
use proptest::prelude::*;

/// A chain whose copy index is sorted whole, as a saved chain's is.
fn guarded_chain(text: &str, order: usize) -> Chain {
    guarded_chain_sorted(text, order, SuffixSort::Whole)
}

fn guarded_chain_sorted(text: &str, order: usize, sort: SuffixSort) -> Chain {
    let options = BuildOptions {
        copy_index: Some(sort),
        ..BuildOptions::default()
    };
    build_with(text.as_bytes(), order, options).unwrap()
}

/// The longest run of `output` that occurs in `text`, word for word, the
/// slow obvious way.
fn longest_run<T: PartialEq>(text: &[T], output: &[T]) -> usize {
    let mut longest = 0;
    for start in 0..output.len() {
        for end in start + longest + 1..=output.len() {
            let run = &output[start..end];
            if text.windows(run.len()).any(|window| window == run) {
                longest = end - start;
            } else {
                break;
            }
        }
    }
    longest
}

fn walk(
    chain: &Chain,
    seed: u64,
    max_copy: usize,
    sentences: Option<u64>,
) -> (Vec<String>, Walk<&Chain>) {
    let mut walk = Walk::new(chain, seed).at_most(300);
    if let Some(count) = sentences {
        walk = walk.sentences(count);
    }
    let mut walk = walk.max_copy(max_copy).unwrap();
    let words = walk
        .by_ref()
        .map(|word| String::from_utf8(word.to_vec()).unwrap())
        .collect();
    (words, walk)
}

const SHERLOCK: &str = include_str!("data/sherlock_excerpt.txt");

#[test]
fn no_run_of_the_output_is_longer_than_the_bound() {
    let text: Vec<&str> = SHERLOCK.split_whitespace().take(6000).collect();
    let joined = text.join(" ");
    for order in 1..=3 {
        let chain = guarded_chain(&joined, order);
        for max_copy in [order + 1, order + 3] {
            for seed in 0..4 {
                let (output, walk) = walk(&chain, seed, max_copy, None);
                let output: Vec<&str> = output.iter().map(String::as_str).collect();
                let longest = longest_run(&text, &output);
                assert!(
                    longest <= max_copy,
                    "order {order}, max_copy {max_copy}: {longest}"
                );
                assert_eq!(walk.longest_copy(), Some(longest));
                assert_eq!(output.len(), 300, "the walk was blocked");
            }
        }
        // Unguarded, the same chain copies far more: the guard does work.
        let free: Vec<&[u8]> = Walk::new(&chain, 1).take(300).collect();
        let free: Vec<&str> = free
            .iter()
            .map(|w| std::str::from_utf8(w).unwrap())
            .collect();
        assert!(longest_run(&text, &free) > order + 3);
    }
}

#[test]
fn no_sentence_is_a_whole_sentence_of_the_text() {
    let text = "The cat sat. The dog ran. The cat ran. A dog sat. The dog sat on the cat. \
                A cat ran on the dog.";
    let sentences: Vec<&str> = text.split_inclusive('.').map(str::trim).collect();
    let chain = guarded_chain(text, 1);
    for seed in 0..50 {
        let (output, _) = walk(&chain, seed, 15, Some(3));
        let written = output.join(" ");
        for sentence in written.split_inclusive('.').map(str::trim) {
            assert!(
                !sentences.contains(&sentence),
                "{sentence:?} is copied (seed {seed})"
            );
        }
    }
}

#[test]
fn a_seed_replays_the_guarded_walk() {
    let chain = guarded_chain(SHERLOCK, 2);
    assert_eq!(walk(&chain, 9, 5, None).0, walk(&chain, 9, 5, None).0);
    assert_ne!(walk(&chain, 9, 5, None).0, walk(&chain, 10, 5, None).0);
}

#[test]
fn the_bound_is_at_least_one_more_than_the_order_and_needs_the_index() {
    let chain = guarded_chain("a b c d e f", 2);
    let error = Walk::new(&chain, 1).max_copy(2).unwrap_err();
    assert_eq!(
        error,
        ChainError::MaxCopyTooLow {
            order: 2,
            max_copy: 2
        }
    );
    assert!(error.to_string().contains("at least order + 1 = 3"));
    let plain = build_with(b"a b c d e f", 2, BuildOptions::default()).unwrap();
    assert_eq!(
        Walk::new(&plain, 1).max_copy(3).unwrap_err(),
        ChainError::NoCopyIndex
    );
}

#[test]
fn a_text_that_allows_nothing_more_ends_the_walk() {
    // One word, over and over: every run of three is in the text.
    let chain = guarded_chain("a a a a a a", 1);
    let (output, walk) = walk(&chain, 1, 2, None);
    assert_eq!(output, ["a", "a"]);
    assert!(walk.blocked());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn random_texts_keep_the_bound(
        words in prop::collection::vec(prop::sample::select(vec!["a", "b", "c", "d.", "e", "f!"]), 8..120),
        order in 1usize..4,
        extra in 1usize..4,
        seed in any::<u64>(),
        in_sentences in any::<bool>(),
    ) {
        prop_assume!(words.len() > order);
        let text = words.join(" ");
        // Sorted on demand, as a prompt's chain is; the test below walks
        // it against the whole sort.
        let chain = guarded_chain_sorted(&text, order, SuffixSort::OnDemand);
        let max_copy = order + extra;
        let sentences = (in_sentences && chain.has_sentence_ends()).then_some(3);
        let (output, walk) = walk(&chain, seed, max_copy, sentences);
        let output: Vec<&str> = output.iter().map(String::as_str).collect();
        let longest = longest_run(&words, &output);
        prop_assert!(longest <= max_copy);
        prop_assert_eq!(walk.longest_copy().unwrap_or(0), longest);
        // A text whose every sentence start begins a whole sentence of it
        // (one sentence, repeated) allows nothing: the walk says so.
        prop_assert!(!output.is_empty() || walk.blocked());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// The guard in every token mode, against the text cut the same way
    /// (the bug this catches: a mode whose tokens the guard narrows by
    /// differently from how the text was cut). In `unicode` mode, the
    /// written text never runs two words together: after a jump, a token
    /// that stood before punctuation in the text ("direction" before ",")
    /// used to be written with its empty break before the next word.
    #[test]
    fn every_token_mode_keeps_the_bound(
        words in prop::collection::vec(
            prop::sample::select(vec!["ab", "cd", "ef,", "gh.", "ij", "kl\n", "mn!"]),
            8..120,
        ),
        mode in prop::sample::select(Tokens::ALL.to_vec()),
        order in 1usize..4,
        extra in 1usize..4,
        seed in any::<u64>(),
    ) {
        let text = words.join(" ");
        let options = BuildOptions {
            tokens: mode,
            copy_index: Some(SuffixSort::OnDemand),
            ..BuildOptions::default()
        };
        let cut = text_tokens(mode, text.as_bytes()).unwrap();
        prop_assume!(cut.len() > order);
        let chain = build_with(text.as_bytes(), order, options).unwrap();
        let max_copy = order + extra;
        let mut walk = Walk::new(&chain, seed).at_most(200).max_copy(max_copy).unwrap();
        let mut written = Vec::new();
        walk.clone().write_words(200, &mut written);
        let output: Vec<Vec<u8>> = walk.by_ref().map(<[u8]>::to_vec).collect();
        let cut: Vec<&[u8]> = cut.iter().map(Vec::as_slice).collect();
        let output: Vec<&[u8]> = output.iter().map(Vec::as_slice).collect();
        prop_assert!(longest_run(&cut, &output) <= max_copy);
        if mode == Tokens::Unicode {
            // Every run of letters written is a word of the text.
            let written = String::from_utf8(written).unwrap();
            for run in written.split(|c: char| !c.is_alphabetic()).filter(|run| !run.is_empty()) {
                prop_assert!(run.len() == 2, "{:?} in {:?}", run, written);
            }
        }
    }
}

#[test]
fn a_text_of_one_sentence_gives_no_sentence() {
    // Every sentence from its start is the text's one sentence.
    let chain = guarded_chain("The only sentence there is.", 1);
    let (output, walk) = walk(&chain, 3, 15, Some(1));
    assert!(output.is_empty(), "{output:?}");
    assert!(walk.blocked());
}

#[test]
fn every_sentence_begins_as_one_does_and_follows_the_chain_to_its_end() {
    // The bug: a sentence the guard left no way on restarted mid-way, so
    // that the output's sentence jumped from one place of the text to
    // another.
    let words: Vec<&str> = SHERLOCK.split_whitespace().take(8000).collect();
    let starts: Vec<usize> = (0..words.len())
        .filter(|&at| at == 0 || llm_markov_rs::ends_sentence(words[at - 1].as_bytes()))
        .collect();
    let occurs = |run: &[&str]| words.windows(run.len()).any(|window| window == run);
    let mut sentences = 0;
    for order in 1..=2 {
        let chain = guarded_chain(&words.join(" "), order);
        for seed in 0..10 {
            let (output, walk) = walk(&chain, seed, order + 2, Some(4));
            let output: Vec<&str> = output.iter().map(String::as_str).collect();
            assert!(!walk.blocked());
            let mut start = 0;
            for (at, word) in output.iter().enumerate() {
                if at == start {
                    let opening = &output[at..(at + order).min(output.len())];
                    assert!(
                        starts.iter().any(|&s| words[s..].starts_with(opening)),
                        "seed {seed}: {opening:?} starts no sentence of the text"
                    );
                } else if at >= start + order {
                    let step = &output[at - order..=at];
                    assert!(
                        occurs(step),
                        "seed {seed}: {step:?} is not a step of the chain"
                    );
                }
                if llm_markov_rs::ends_sentence(word.as_bytes()) {
                    start = at + 1;
                    sentences += 1;
                }
            }
        }
    }
    assert_eq!(sentences, 80);
}

/// Sentences of five words: one of three capitalized words (a sentence
/// ends only before one), three of twelve, one of three that end it.
/// Every word has many followers, so an order-1 walk can write sentences
/// of its own within a small bound. A fixed, simple generator: the test
/// needs variety, not randomness.
fn varied_sentences() -> String {
    let firsts = ["The", "A", "Then"];
    let words = [
        "red", "green", "blue", "cat", "dog", "fox", "runs", "sits", "jumps", "now", "here",
        "there",
    ];
    let ends = ["end.", "stop.", "done."];
    let mut state = 7u64;
    let mut next = |below: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        (state >> 33) as usize % below
    };
    let mut text = Vec::new();
    for _ in 0..200 {
        text.push(firsts[next(firsts.len())]);
        for _ in 0..3 {
            text.push(words[next(words.len())]);
        }
        text.push(ends[next(ends.len())]);
    }
    text.join(" ")
}

fn continuing<'chain>(
    chain: &'chain Chain,
    prompt: &[&str],
    max_copy: usize,
) -> (Vec<String>, Walk<&'chain Chain>) {
    let mut walk = Walk::continuing(chain, 5, prompt, false)
        .at_most(300)
        .sentences(1)
        .max_copy(max_copy)
        .unwrap();
    let words = walk
        .by_ref()
        .map(|word| String::from_utf8(word.to_vec()).unwrap())
        .collect();
    (words, walk)
}

#[test]
fn a_prompt_no_sentence_can_continue_is_given_up_and_the_walk_says_so() {
    // "Zebra" goes on only as "one two three four five.", which copies
    // more than 2 words: no sentence can continue it within max_copy 2, so
    // the walk writes one of its own from a sentence start instead. The
    // bug: it still said it continued "Zebra".
    let text = format!("Zebra one two three four five. {}", varied_sentences());
    let chain = guarded_chain(&text, 1);
    let (output, walk) = continuing(&chain, &["Zebra"], 2);
    assert!(!walk.blocked(), "{output:?}");
    assert_ne!(output.first().map(String::as_str), Some("one"));
    assert_eq!(walk.continued_words(), 0, "{output:?}");
    // Within a bound that allows it, the walk continues the prompt.
    let (output, walk) = continuing(&chain, &["Zebra"], 10);
    assert_eq!(output[..2], ["one", "two"]);
    assert_eq!(walk.continued_words(), 1);
}

#[test]
fn a_sentence_restarted_after_a_prompt_is_not_a_whole_sentence_of_the_text() {
    // "Zebra" goes on for 20 words, over the sentences' default bound of
    // 15, so the walk restarts at a sentence start; every sentence there
    // is a whole sentence of the text, which the guard refuses. The bug:
    // a restart after a prompt kept the prompt's sentence, which is not
    // checked as a whole sentence, and gave "First second third."
    let long: Vec<String> = (1..=20).map(|at| format!("w{at}")).collect();
    let text = format!(
        "Zebra {}. First second third. Fourth fifth sixth.",
        long.join(" ")
    );
    let chain = guarded_chain(&text, 1);
    let (output, walk) = continuing(&chain, &["Zebra"], 15);
    assert!(output.is_empty(), "{output:?}");
    assert!(walk.blocked());
}

#[test]
fn narrowing_by_tails_walks_the_same_words_as_narrowing_by_the_text() {
    // A guard narrows through the text until its walk is long, then by
    // the index's tails, made once a chain; a walk on a chain whose tails
    // are made uses them from its first token. Both must give the same
    // words for a seed: a wrong tail interval would let a copy through or
    // refuse a follower, and the walks would part.
    let with_tails = guarded_chain(SHERLOCK, 1);
    let through_text = guarded_chain(SHERLOCK, 1);
    let mut long = Walk::new(&with_tails, 99).max_copy(3).unwrap();
    assert_eq!(long.by_ref().take(70_000).count(), 70_000);
    for seed in 0..5 {
        for sentences in [None, Some(20)] {
            let (first, _) = walk(&with_tails, seed, 3, sentences);
            let (second, _) = walk(&through_text, seed, 3, sentences);
            assert_eq!(first, second, "seed {seed}, {sentences:?} sentences");
        }
    }
}

/// The words of a guarded walk of `chain` in sentences, with markovify's
/// ratio as well, so that every check of the guard is made.
fn sentences_with_ratio(chain: &Chain, seed: u64, max_copy: usize) -> Vec<String> {
    let walk = Walk::new(chain, seed).at_most(300).sentences(4);
    let walk = walk
        .max_copy_ratio(0.7)
        .unwrap()
        .max_copy(max_copy)
        .unwrap();
    walk.map(|word| String::from_utf8(word.to_vec()).unwrap())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    /// An interval sorted on demand in the wrong slots, sorted by the
    /// wrong token, or not sorted before a narrowing, makes the guard let
    /// a copy through or refuse a follower that the whole sort allows:
    /// the walks part.
    #[test]
    fn a_chain_sorted_on_demand_walks_the_same_words_as_one_sorted_whole(
        words in prop::collection::vec(prop::sample::select(vec!["a", "b", "c", "d.", "e", "f!"]), 8..150),
        order in 1usize..4,
        extra in 1usize..4,
        seed in any::<u64>(),
    ) {
        prop_assume!(words.len() > order);
        let text = words.join(" ");
        let whole = guarded_chain_sorted(&text, order, SuffixSort::Whole);
        let on_demand = guarded_chain_sorted(&text, order, SuffixSort::OnDemand);
        let max_copy = order + extra;
        let (expected, expected_walk) = walk(&whole, seed, max_copy, None);
        let (output, output_walk) = walk(&on_demand, seed, max_copy, None);
        prop_assert_eq!(&output, &expected);
        prop_assert_eq!(output_walk.longest_copy(), expected_walk.longest_copy());
        if whole.has_sentence_ends() {
            prop_assert_eq!(
                sentences_with_ratio(&on_demand, seed, max_copy),
                sentences_with_ratio(&whole, seed, max_copy)
            );
        }
    }
}

#[test]
fn a_chain_sorted_on_demand_walks_a_book_as_one_sorted_whole_and_saves_the_same_file() {
    // A book has wide intervals (sorted by the next token in one go) and
    // deep ones. Saving sorts the rest: a file made from the slots as the
    // walks left them would not be the suffix array.
    for order in 1..=3 {
        let whole = guarded_chain_sorted(SHERLOCK, order, SuffixSort::Whole);
        let on_demand = guarded_chain_sorted(SHERLOCK, order, SuffixSort::OnDemand);
        for seed in 0..4 {
            let max_copy = order + 1 + seed as usize % 3;
            for sentences in [None, Some(10)] {
                assert_eq!(
                    walk(&on_demand, seed, max_copy, sentences).0,
                    walk(&whole, seed, max_copy, sentences).0,
                    "order {order}, seed {seed}, {sentences:?} sentences"
                );
            }
            assert_eq!(
                sentences_with_ratio(&on_demand, seed, max_copy),
                sentences_with_ratio(&whole, seed, max_copy)
            );
        }
        let saved = |chain: &Chain| {
            let mut bytes = Vec::new();
            chain_file::encode(chain, b"{}", &mut bytes, Watch::none()).unwrap();
            bytes
        };
        assert!(saved(&on_demand) == saved(&whole), "order {order}");
    }
}

#[test]
fn walks_in_two_threads_sort_one_index_between_them() {
    // Two walks of one chain sort its intervals as they go; one reads an
    // interval while the other may be sorting within it. Each must write
    // what it writes alone.
    let chain = guarded_chain_sorted(SHERLOCK, 1, SuffixSort::OnDemand);
    let alone = guarded_chain_sorted(SHERLOCK, 1, SuffixSort::Whole);
    let seeds: Vec<u64> = (0..16).collect();
    let written: Vec<Vec<String>> = std::thread::scope(|scope| {
        let walks: Vec<_> = (seeds.chunks(8))
            .map(|seeds| {
                let chain = &chain;
                scope.spawn(move || {
                    (seeds.iter())
                        .map(|&seed| walk(chain, seed, 2, Some(5)).0)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        walks
            .into_iter()
            .flat_map(|walks| walks.join().unwrap())
            .collect()
    });
    for (seed, words) in seeds.iter().zip(written) {
        assert_eq!(words, walk(&alone, *seed, 2, Some(5)).0, "seed {seed}");
    }
}
