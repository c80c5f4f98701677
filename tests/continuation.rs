//! Walks that continue given words, as a language model continues its
//! prompt.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test, helpers included"
)]

use llm_markov_rs::{build, Chain, Walk};
use proptest::prelude::*;

fn words(text: &str) -> Vec<&[u8]> {
    text.split_whitespace().map(str::as_bytes).collect()
}

fn continue_from(chain: &Chain, seed: u64, prompt: &str, count: usize) -> (usize, Vec<String>) {
    let prompt = words(prompt);
    let walk = Walk::after(chain, seed, &prompt);
    let continued = walk.continued_words();
    let output = walk
        .take(count)
        .map(|word| String::from_utf8(word.to_vec()).unwrap())
        .collect();
    (continued, output)
}

#[test]
fn the_first_word_follows_the_prompts_last_words() {
    let chain = build(b"a b c a b d x b e", 2).unwrap();
    for seed in 0..40 {
        let (continued, output) = continue_from(&chain, seed, "z a b", 3);
        assert_eq!(continued, 2);
        assert!(["c", "d"].contains(&output[0].as_str()), "{output:?}");
    }
}

#[test]
fn without_the_whole_state_it_backs_off_to_a_shorter_run() {
    // No state is ("q", "x"), but "x" begins ("x", "b"): the walk emits the
    // rest of that state, "b", then follows it ("e").
    let chain = build(b"a b c a b d x b e", 2).unwrap();
    let (continued, output) = continue_from(&chain, 1, "q x", 2);
    assert_eq!(continued, 1);
    assert_eq!(output, ["b", "e"]);
}

#[test]
fn a_state_that_only_ends_the_text_is_not_continued() {
    // ("d", "e") is the text's last window and has no follower: continuing
    // it would jump to a random state at once. The walk backs off to "e",
    // which "y." followed.
    let chain = build(b"x e y. q r s t a b c d e", 2).unwrap();
    for seed in 0..20 {
        let (continued, output) = continue_from(&chain, seed, "d e", 4);
        assert_eq!(continued, 1);
        assert_eq!(output[0], "y.");
    }
    // At order 1, a last word that only ends the text starts at random.
    let chain = build(b"a b a c end", 1).unwrap();
    assert_eq!(continue_from(&chain, 5, "end", 3).0, 0);
}

#[test]
fn unknown_last_words_start_at_random() {
    let chain = build(b"a b c a b d", 1).unwrap();
    for prompt in ["", "zebra", "a zebra"] {
        assert_eq!(continue_from(&chain, 3, prompt, 5).0, 0, "{prompt:?}");
    }
    // The same walk as one with no prompt at all.
    assert_eq!(
        continue_from(&chain, 3, "zebra", 20).1,
        Walk::new(&chain, 3)
            .take(20)
            .map(|word| String::from_utf8(word.to_vec()).unwrap())
            .collect::<Vec<_>>()
    );
}

fn any_text() -> impl Strategy<Value = Vec<&'static str>> {
    prop::collection::vec(prop::sample::select(vec!["a", "b", "c", "d", "e"]), 1..40)
}

proptest! {
    #[test]
    fn a_continuation_is_the_longest_that_the_text_allows_and_follows_the_chain(
        text in any_text(),
        prompt in prop::collection::vec(prop::sample::select(vec!["a", "b", "c", "x"]), 0..5),
        order in 1usize..4,
        seed: u64,
    ) {
        prop_assume!(text.len() >= order);
        let chain = build(text.join(" ").as_bytes(), order).unwrap();
        let (continued, output) = continue_from(&chain, seed, &prompt.join(" "), 30);
        prop_assert!(continued <= order.min(prompt.len()));
        let windows: Vec<&[&str]> = text.windows(order).collect();
        let begins_a_window =
            |run: &[&str]| windows.iter().any(|window| window.starts_with(run));
        // A state with a follower: a window with a word after it.
        let followed_windows: Vec<&[&str]> = text.windows(order + 1).collect();
        let begins_a_followed_window =
            |run: &[&str]| followed_windows.iter().any(|window| window.starts_with(run));
        // No longer run of the prompt's last words begins a state that has
        // a follower.
        for longer in continued + 1..=order.min(prompt.len()) {
            prop_assert!(!begins_a_followed_window(&prompt[prompt.len() - longer..]));
        }
        if continued > 0 {
            // The prompt's continued words and the output's first words make
            // a state of the text, and the word after them followed it in
            // the text (a walk that continued a dead end would jump at once);
            // every later word follows the words before it somewhere in the
            // text, or restarts after a dead end.
            let mut joined: Vec<&str> = prompt[prompt.len() - continued..].to_vec();
            joined.extend(output.iter().map(String::as_str));
            prop_assert!(begins_a_window(&joined[..order]));
            let followed = |at: usize| {
                text.windows(order + 1).any(|window| window == &joined[at - order..=at])
            };
            prop_assert!(followed(order), "{joined:?} jumps after its start");
            let mut at = order + 1;
            while at < joined.len() {
                if followed(at) {
                    at += 1;
                } else {
                    // A restart: a new window begins here.
                    let end = (at + order).min(joined.len());
                    prop_assert!(begins_a_window(&joined[at..end]), "{joined:?} at {at}");
                    at = end;
                }
            }
        }
    }
}
