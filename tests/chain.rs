//! The public Rust API of the chain, against a naive reference built here.

use std::collections::HashMap;

use llm_markov_rs::limits::MAX_ORDER;
use llm_markov_rs::{build, build_with, BuildOptions, Chain, ChainError, Walk};
use proptest::prelude::*;

/// Whether `c` separates words for Python's `str.split()`: Rust's
/// whitespace and the four ASCII information separators.
fn is_python_whitespace(c: char) -> bool {
    c.is_whitespace() || ('\u{1C}'..='\u{1F}').contains(&c)
}

/// Words as Python's `str.split()` gives them, the slow obvious way.
fn reference_words(text: &str) -> Vec<String> {
    text.split(is_python_whitespace)
        .filter(|word| !word.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Every window of `order` words mapped to the words that follow it, each
/// once with how many times it followed, in byte order.
fn reference_table(words: &[String], order: usize) -> HashMap<Vec<String>, Vec<(String, u32)>> {
    let mut table: HashMap<Vec<String>, Vec<(String, u32)>> = HashMap::new();
    for window in words.windows(order + 1) {
        let followers = table.entry(window[..order].to_vec()).or_default();
        match followers
            .iter_mut()
            .find(|(word, _)| *word == window[order])
        {
            Some((_, count)) => *count += 1,
            None => followers.push((window[order].clone(), 1)),
        }
    }
    for followers in table.values_mut() {
        followers.sort();
    }
    table
}

fn text_of(chain: &Chain, id: u32) -> String {
    String::from_utf8(chain.vocabulary().word(id).to_vec()).expect("UTF-8 in, UTF-8 out")
}

/// The chain's table in the reference's form.
fn chain_table(chain: &Chain) -> HashMap<Vec<String>, Vec<(String, u32)>> {
    (0..chain.state_count())
        .filter(|&state| chain.followers(state).len() > 0)
        .map(|state| {
            let key = chain
                .state_words(state)
                .map(|id| text_of(chain, id))
                .collect();
            let followers = chain
                .followers(state)
                .map(|(next, count)| (text_of(chain, chain.last_word(next)), count))
                .collect();
            (key, followers)
        })
        .collect()
}

/// Checks that `output` is a walk through the text's chain: it starts with a
/// window of the text, and every later word follows the `order` words before
/// it somewhere in the text, unless a new window of the text starts there
/// after a dead end.
fn assert_follows_chain(output: &[String], words: &[String], order: usize) {
    let table = reference_table(words, order);
    let windows: Vec<&[String]> = words.windows(order).collect();
    let is_window = |slice: &[String]| windows.contains(&slice);
    assert!(is_window(&output[..order.min(output.len())]) || output.len() < order);
    let mut position = order;
    while position < output.len() {
        let context = output[position - order..position].to_vec();
        match table.get(&context) {
            Some(followers) => {
                assert!(
                    followers.iter().any(|(word, _)| *word == output[position]),
                    "{output:?} at {position}"
                );
                position += 1;
            }
            None => {
                let end = (position + order).min(output.len());
                let restart = &output[position..end];
                assert!(
                    windows.iter().any(|window| window.starts_with(restart)),
                    "restart {restart:?} is no window of the text"
                );
                position = end;
            }
        }
    }
}

fn generate(chain: &Chain, seed: u64, count: usize) -> Vec<String> {
    Walk::new(chain, seed)
        .take(count)
        .map(|word| String::from_utf8(word.to_vec()).expect("UTF-8 in, UTF-8 out"))
        .collect()
}

#[test]
fn a_follower_seen_twice_is_counted_twice() {
    let chain = build(b"the cat the cat the dog", 1).unwrap();
    let table = chain_table(&chain);
    assert_eq!(
        table[&vec!["the".to_owned()]],
        [("cat".to_owned(), 2), ("dog".to_owned(), 1)]
    );
    assert_eq!(chain.transition_count(), 5);
    assert_eq!(chain.distinct_transition_count(), 3);
}

#[test]
fn states_with_many_followers_and_few_count_alike() {
    // "x" is followed by forty words, some of them twice; the others by one
    // or two: both ways of folding a state's followers into counts, at
    // orders 1 to 3, on one thread and on several.
    let mut words = Vec::new();
    for round in 0..3 {
        for index in 0..40 {
            words.push("x".to_owned());
            words.push(format!("w{}", (index * 7 + round) % 45));
        }
    }
    let text = words.join(" ");
    for order in 1..=3 {
        for threads in [1, 3] {
            let options = BuildOptions {
                threads,
                parallel_min_bytes: 0,
                ..BuildOptions::default()
            };
            let chain = build_with(text.as_bytes(), order, options).unwrap();
            assert_eq!(
                chain_table(&chain),
                reference_table(&words, order),
                "order {order}, {threads} threads"
            );
        }
    }
}

#[test]
fn followers_are_drawn_in_proportion_to_their_counts() {
    // "x" is followed by "a" three times and by "b" once.
    let chain = build(b"x a x a x a x b", 1).unwrap();
    let mut after_x = [0u32; 2];
    for seed in 0..4000 {
        let mut walk = Walk::after(&chain, seed, &[b"x"]);
        match walk.next() {
            Some(b"a") => after_x[0] += 1,
            Some(b"b") => after_x[1] += 1,
            other => panic!("{other:?} does not follow x"),
        }
    }
    // Expect 3000 and 1000; the standard deviation is about 27.
    assert!((2850..3150).contains(&after_x[0]), "{after_x:?}");
}

#[test]
fn a_one_word_text_repeats_its_word() {
    let chain = build("  solo\u{3000}".as_bytes(), 1).unwrap();
    assert_eq!(generate(&chain, 3, 5), ["solo"; 5]);
}

#[test]
fn a_text_as_long_as_the_order_repeats_itself() {
    let chain = build(b"a b c", 3).unwrap();
    assert_eq!(generate(&chain, 9, 7), ["a", "b", "c", "a", "b", "c", "a"]);
}

#[test]
fn a_dead_end_restarts_at_a_state_with_followers() {
    // "end" only closes the text; after it the walk must go on from "x" or
    // "y" (the states that have followers), never from "end" again.
    let chain = build(b"x y end", 1).unwrap();
    for seed in 0..50 {
        let output = generate(&chain, seed, 30);
        for pair in output.windows(2) {
            assert_ne!(pair, ["end", "end"], "seed {seed}: {output:?}");
        }
    }
}

#[test]
fn bad_orders_and_short_texts_are_errors() {
    assert_eq!(build(b" \n ", 1).unwrap_err(), ChainError::NoWords);
    assert_eq!(build(b"a b", 0).unwrap_err(), ChainError::OrderTooLow);
    assert_eq!(
        build(b"a b", MAX_ORDER + 1).unwrap_err(),
        ChainError::OrderTooHigh {
            order: MAX_ORDER + 1,
            max: MAX_ORDER
        }
    );
    let error = build(b"a b", 3).unwrap_err();
    assert_eq!(error, ChainError::TooFewWords { order: 3, words: 2 });
    assert!(error.to_string().contains("lower order"));
}

#[test]
fn the_same_seed_walks_the_same_way_on_any_number_of_threads() {
    // A real text, with thousands of distinct words, in several shares.
    let text = include_bytes!("data/sherlock_excerpt.txt").repeat(4);
    for order in [1, 2, 3] {
        let serial = build_with(
            &text,
            order,
            BuildOptions {
                threads: 1,
                ..BuildOptions::default()
            },
        )
        .unwrap();
        let parallel = build_with(
            &text,
            order,
            BuildOptions {
                threads: 4,
                parallel_min_bytes: 0,
                ..BuildOptions::default()
            },
        )
        .unwrap();
        assert!(serial.vocabulary().len() > 3000);
        assert_eq!(serial, parallel, "order {order}");
        assert_eq!(generate(&serial, 11, 500), generate(&parallel, 11, 500));
        assert_ne!(generate(&serial, 11, 500), generate(&serial, 12, 500));
    }
}

fn any_text() -> impl Strategy<Value = String> {
    // Words from a small alphabet, so that they repeat, separated by every
    // kind of whitespace Python knows, plus characters that only look like it.
    // Lengths on both sides of 8 and 16 bytes, where the interner changes
    // how it keys a word, including words that differ only past byte 8.
    let word = prop::sample::select(vec![
        "a",
        "b",
        "cc",
        "é",
        "\u{200b}",
        "\u{feff}x",
        "\0",
        "\0\0\0\0\0\0\0\0",
        "abcdefgh",
        "abcdefghi",
        "abcdefghj",
        "abcdefghijklmnop",
        "abcdefghijklmnopq",
        "abcdefghijklmnopr",
    ]);
    let space = prop::sample::select(vec![
        " ", "\n", "\t", "\u{a0}", "\u{3000}", "\u{1f}", "\u{85}", "  ",
    ]);
    prop::collection::vec((word, space), 0..60)
        .prop_map(|pairs| pairs.into_iter().flat_map(|(w, s)| [w, s]).collect())
}

proptest! {
    #[test]
    fn the_chain_agrees_with_the_reference(
        text in any_text(),
        order in 1usize..4,
        threads in 1usize..5,
    ) {
        let words = reference_words(&text);
        // Small texts normally skip the parallel split; force it here.
        let options = BuildOptions {
            threads,
            parallel_min_bytes: 0,
            ..BuildOptions::default()
        };
        match build_with(text.as_bytes(), order, options) {
            Ok(chain) => {
                prop_assert_eq!(chain.token_count(), words.len());
                prop_assert_eq!(chain_table(&chain), reference_table(&words, order));
                prop_assert_eq!(chain.transition_count(), words.len() - order);
            }
            Err(ChainError::NoWords) => prop_assert!(words.is_empty()),
            Err(ChainError::TooFewWords { words: count, .. }) => {
                prop_assert!(count < order);
                prop_assert_eq!(count, words.len());
            }
            Err(other) => prop_assert!(false, "unexpected {other}"),
        }
    }

    #[test]
    fn every_walk_follows_the_chain(text in any_text(), order in 1usize..4, seed: u64) {
        let words = reference_words(&text);
        prop_assume!(words.len() >= order);
        let chain = build(text.as_bytes(), order).unwrap();
        let output = generate(&chain, seed, 80);
        prop_assert_eq!(&output, &generate(&chain, seed, 80));
        assert_follows_chain(&output, &words, order);
    }
}
