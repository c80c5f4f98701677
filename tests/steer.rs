//! Steering (`Walk::contains`, `ends_with`, `max_chars`, `balanced`,
//! `temperature`) against naive searches of the text: every step follows
//! the chain, the phrase is where it must be, the budget holds, and a
//! budget is refused exactly when no output can meet it.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test, helpers included"
)]

use std::collections::{HashMap, HashSet};

use std::sync::Arc;

use llm_markov_rs::{
    build, build_with, BuildOptions, Chain, ChainError, PlanCache, SuffixSort, Walk,
};
use proptest::prelude::*;

fn words_of<'chain>(walk: impl Iterator<Item = &'chain [u8]>) -> Vec<String> {
    walk.map(|word| String::from_utf8(word.to_vec()).unwrap())
        .collect()
}

/// Whether each word of `output` follows the one before it in `text` (at
/// order 1), after the first.
fn follows_the_text(text: &[&str], output: &[String]) -> bool {
    let pairs: HashSet<(&str, &str)> = text.windows(2).map(|pair| (pair[0], pair[1])).collect();
    output
        .windows(2)
        .all(|pair| pairs.contains(&(pair[0].as_str(), pair[1].as_str())))
}

/// The least number of words from `from` (excluded) to `to` (included)
/// along the text's word pairs, by breadth-first search.
fn words_between(text: &[&str], from: &str, to: &str) -> Option<usize> {
    let mut next: HashMap<&str, Vec<&str>> = HashMap::new();
    for pair in text.windows(2) {
        next.entry(pair[0]).or_default().push(pair[1]);
    }
    let mut seen = HashSet::from([from]);
    let mut frontier = vec![from];
    for distance in 1..=text.len() {
        let mut later = Vec::new();
        for word in frontier {
            for &after in next.get(word).into_iter().flatten() {
                if after == to {
                    return Some(distance);
                }
                if seen.insert(after) {
                    later.push(after);
                }
            }
        }
        frontier = later;
    }
    None
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn outputs_that_must_end_with_a_word_do_and_follow_the_chain(
        words in prop::collection::vec(0u8..6, 3..40),
        pick in 0usize..40,
        length in 1u64..20,
        seed: u64,
    ) {
        let text: Vec<String> = words.iter().map(|word| format!("w{word}")).collect();
        let text: Vec<&str> = text.iter().map(String::as_str).collect();
        let chain = build(text.join(" ").as_bytes(), 1).unwrap();
        let target = text[pick % text.len()];
        let start = text[0];
        // Going on from the first word, the target is as far as the naive
        // search says: that length is met, one less is not.
        let walk = Walk::after(&chain, seed, &[start.as_bytes()])
            .at_most(length)
            .ends_with(target.as_bytes())
            .unwrap();
        let mut walk = walk;
        let prepared = walk.prepare();
        let least = words_between(&text, start, target);
        let continued = walk.continued_words() == 1;
        prop_assert_eq!(continued, least.is_some_and(|least| least as u64 <= length));
        if prepared.is_err() {
            let unreachable = matches!(prepared, Err(ChainError::Unreachable { .. }));
            prop_assert!(unreachable);
            return Ok(());
        }
        let output = words_of(walk);
        prop_assert!(output.len() as u64 <= length);
        prop_assert_eq!(output.last().map(String::as_str), Some(target));
        let mut with_start = vec![start.to_owned()];
        with_start.extend(output.iter().cloned());
        if continued {
            prop_assert!(follows_the_text(&text, &with_start));
        }
    }

    #[test]
    fn characters_never_pass_max_chars(
        words in prop::collection::vec("[a-c]{1,4}[.!]?", 2..40),
        max_chars in 1u64..40,
        seed: u64,
    ) {
        let text = words.join(" ");
        let chain = build(text.as_bytes(), 1).unwrap();
        let output = words_of(Walk::new(&chain, seed).at_most(1000).max_chars(max_chars));
        prop_assert!(output.join(" ").chars().count() as u64 <= max_chars);
    }
}

#[test]
fn temperature_zero_always_takes_the_most_frequent_follower() {
    // "a" is followed by "b" three times and by "c" once.
    let chain = build(b"a b a b a b a c a", 1).unwrap();
    let output = words_of(Walk::new(&chain, 3).at_most(30).temperature(0.0).unwrap());
    for pair in output.windows(2) {
        if pair[0] == "a" {
            assert_eq!(pair[1], "b");
        }
    }
    assert!(matches!(
        Walk::new(&chain, 3).temperature(-1.0),
        Err(ChainError::BadTemperature)
    ));
}

#[test]
fn a_phrase_the_text_lacks_is_named_with_the_form_it_has() {
    let chain = build(b"Sherlock Holmes and HOLMES. Watson.", 1).unwrap();
    let error = Walk::new(&chain, 1).contains(b"holmes").unwrap_err();
    assert_eq!(
        error.to_string(),
        "contains: \"holmes\" is not in the text, but \"Holmes\" is; give -o contains \"Holmes\""
    );
}

#[test]
fn sentences_close_what_they_open() {
    // Without balancing, a sentence may end inside the quote: `"Go` then
    // `home.` ends one by the rule alone.
    let text = b"He said \"Go home. Now.\" She left. \"Why? Fine.\" They went home.";
    let chain = build(text, 1).unwrap();
    for seed in 0..200 {
        let mut walk = Walk::new(&chain, seed)
            .sentences(3)
            .at_most(200)
            .balanced(true);
        walk.prepare().unwrap();
        let output = words_of(walk);
        let mut quotes = 0;
        for word in &output {
            quotes += word.matches('"').count();
            if chain.vocabulary().find_all(&[word.as_bytes()])[0]
                .is_some_and(|id| chain.ends_sentence(id))
            {
                assert_eq!(quotes % 2, 0, "{output:?}");
            }
        }
        assert_eq!(quotes % 2, 0, "{output:?}");
    }
}

#[test]
fn walks_that_share_a_plan_cache_write_what_walks_without_one_do() {
    // Bugs: plans kept under a key that misses an option (contains taken
    // for end, balanced for unbalanced), or kept across chains.
    let novel = include_str!("data/sherlock_excerpt.txt");
    let chains = [
        build(novel.as_bytes(), 2).unwrap(),
        build(novel.as_bytes(), 1).unwrap(),
    ];
    let cache = Arc::new(PlanCache::new());
    for chain in &chains {
        for seed in 0..6 {
            fn asks(walk: Walk<&Chain>) -> Vec<Walk<&Chain>> {
                let walk = walk.sentences(2).at_most(300);
                vec![
                    walk.clone().balanced(true),
                    walk.clone().balanced(false).max_chars(200),
                    walk.clone().balanced(true).contains(b"Holmes").unwrap(),
                    walk.balanced(true).ends_with(b"Holmes.").unwrap(),
                ]
            }
            let alone = asks(Walk::new(chain, seed));
            let shared = asks(Walk::new(chain, seed).plan_cache(Arc::clone(&cache)));
            for (alone, shared) in alone.into_iter().zip(shared) {
                assert_eq!(words_of(alone), words_of(shared), "seed {seed}");
            }
        }
    }
}

#[test]
fn a_walk_that_runs_out_of_characters_between_sentences_ends_without_being_blocked() {
    // Bug: whether another sentence fits was judged by a sentence start's
    // own words ("A", 1 character), not by the whole sentence it starts,
    // so the walk went on, found no way, and ended as blocked.
    let text = b"A b c d e f g. H i j k l m n.";
    let chain = build(text, 1).unwrap();
    for seed in 0..20 {
        let first = "A b c d e f g.".len() as u64;
        let mut walk = Walk::new(&chain, seed)
            .sentences(5)
            .at_most(100)
            .max_chars(first + 3);
        walk.prepare().unwrap();
        let output = words_of(walk.by_ref()).join(" ");
        assert!(output.ends_with('.'), "{output}");
        assert!(!walk.blocked(), "seed {seed}: {output}");
    }
}

#[test]
fn guarded_sentences_that_do_not_all_fit_still_end_with_the_phrase() {
    // Bug: with the copy guard, the last sentence is drafted in the room the
    // sentences before it left, and the guard could refuse every one tried
    // there; those sentences were already given, so the walk ended on one
    // without the phrase (12 of 80 such prompts on this text). It now
    // drafts them all first, and makes an earlier sentence the last.
    let novel = include_str!("data/sherlock_excerpt.txt");
    let options = BuildOptions {
        copy_index: Some(SuffixSort::OnDemand),
        ..BuildOptions::default()
    };
    let mut refused = 0;
    for order in [1, 2] {
        let chain = build_with(novel.as_bytes(), order, options).unwrap();
        for (sentences, max_chars) in [(3, 60), (4, 60), (5, 100), (5, 200)] {
            for seed in 0..12 {
                let mut walk = Walk::new(&chain, seed)
                    .sentences(sentences)
                    .at_most(1000)
                    .max_chars(max_chars)
                    .balanced(true)
                    .max_copy(15)
                    .unwrap()
                    .max_copy_ratio(0.7)
                    .unwrap()
                    .ends_with(b"Holmes.")
                    .unwrap();
                walk.prepare().unwrap();
                let output = words_of(walk.by_ref()).join(" ");
                // Nothing at all when the guard allows no sentence that ends
                // with the phrase; never a text that does not end with it.
                if output.is_empty() {
                    assert!(walk.blocked());
                    refused += 1;
                    continue;
                }
                let at = format!("order {order}, {sentences} in {max_chars}, seed {seed}");
                assert!(output.ends_with("Holmes."), "{at}: {output}");
                assert!(output.chars().count() as u64 <= max_chars, "{at}: {output}");
                assert!(!walk.blocked(), "{at}: {output}");
            }
        }
    }
    assert!(refused < 10, "{refused} of 96 refused");
}

#[test]
fn sentences_stay_whole_within_a_cap_on_words_below_the_cap_on_characters() {
    // Bug: with a cap on characters only characters were steered, and a
    // cap on words below it cut the output where the words ran out, in
    // the middle of a sentence or before the phrase.
    let novel = include_str!("data/sherlock_excerpt.txt");
    for order in [1, 2] {
        let chain = build(novel.as_bytes(), order).unwrap();
        for (sentences, words, end) in [(2, 15, None), (3, 12, None), (3, 15, Some("Holmes."))] {
            for seed in 0..10 {
                let walk = Walk::new(&chain, seed)
                    .sentences(sentences)
                    .at_most(words)
                    .max_chars(280)
                    .balanced(true);
                let mut walk = match end {
                    Some(end) => walk.ends_with(end.as_bytes()).unwrap(),
                    None => walk,
                };
                walk.prepare().unwrap();
                let output = words_of(walk.by_ref());
                let at = format!("order {order}, {sentences} in {words} words, seed {seed}");
                assert!(output.len() as u64 <= words, "{at}: {output:?}");
                let last = output.last().unwrap();
                assert!(
                    llm_markov_rs::ends_sentence(last.as_bytes()),
                    "{at}: {output:?}"
                );
                assert!(end.is_none_or(|end| last == end), "{at}: {output:?}");
                assert!(!walk.blocked(), "{at}: {output:?}");
            }
        }
    }
}

#[test]
fn a_sentence_that_continues_given_words_reaches_its_phrase_within_about_a_sentence() {
    // Bug: a sentence steered to a phrase that went on from a prompt's
    // words had the whole cap as its budget, so the walk, drawn as the
    // chain goes, came to a rare phrase only near the cap's end: 1,000
    // words in one sentence for `-o contains Watson "It was"`. A sentence
    // begun at a sentence start is given about the length of a sentence
    // of the text around the phrase; one that continues words now is too.
    let novel = include_str!("data/sherlock_excerpt.txt");
    for order in [1, 2] {
        let chain = build(novel.as_bytes(), order).unwrap();
        for (phrase, ends) in [("Watson", false), ("Holmes.", true)] {
            let longest = |continued: bool| {
                (0..16)
                    .map(|seed| {
                        let walk = if continued {
                            Walk::after(&chain, seed, &[b"It", b"was"])
                        } else {
                            Walk::new(&chain, seed)
                        };
                        let walk = walk.sentences(1).at_most(1000).balanced(true);
                        let mut walk = if ends {
                            walk.ends_with(phrase.as_bytes()).unwrap()
                        } else {
                            walk.contains(phrase.as_bytes()).unwrap()
                        };
                        walk.prepare().unwrap();
                        if continued {
                            assert!(walk.continued_words() > 0);
                        }
                        let output = words_of(walk.by_ref());
                        let at = format!("order {order}, {phrase}, seed {seed}: {output:?}");
                        assert!(output.iter().any(|word| word.contains(phrase)), "{at}");
                        assert!(!ends || output.last().unwrap() == phrase, "{at}");
                        output.len()
                    })
                    .max()
                    .unwrap()
            };
            let (continued, begun) = (longest(true), longest(false));
            assert!(
                continued <= 2 * begun,
                "order {order}, {phrase}: {continued} words continued, {begun} begun"
            );
        }
    }
}
