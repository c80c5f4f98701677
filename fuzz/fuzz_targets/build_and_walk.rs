//! Builds a chain from arbitrary bytes with arbitrary options, in every
//! token mode, on one thread and on several, and walks it. Checks the
//! results against a naive reference instead of only looking for panics.

#![no_main]

use std::collections::HashMap;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use llm_markov_rs::limits::MAX_ORDER;
use llm_markov_rs::{
    build_with, ends_sentence, text_tokens, BuildOptions, ChainError, SuffixSort, Tokens, Walk,
    Words,
};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    /// Mostly small orders, where chains are interesting; now and then one
    /// past the limits.
    order: u8,
    tokens: u8,
    threads: u8,
    seed: u64,
    walk_length: u16,
    text: &'a [u8],
}

/// Whether `c` separates words for Python's `str.split()`, written out
/// here rather than taken from the crate under test.
fn is_python_whitespace(c: char) -> bool {
    c.is_whitespace() || ('\u{1C}'..='\u{1F}').contains(&c)
}

/// Whether `c` breaks a line for Python's `str.splitlines()`.
fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{b}' | '\u{c}' | '\u{1c}'..='\u{1e}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// The text as the `lines` and `unicode` tokens give it back: each run of
/// whitespace one space, one line break or a blank line, none at the ends.
fn normalized(text: &str) -> String {
    let mut out = String::new();
    let mut breaks = 0;
    let mut gap = false;
    let mut after_return = false;
    for c in text.chars() {
        if is_python_whitespace(c) {
            // "\r\n" is one line break.
            if is_line_break(c) && !(c == '\n' && after_return) {
                breaks += 1;
            }
            after_return = c == '\r';
            gap = true;
            continue;
        }
        if gap && !out.is_empty() {
            out.push_str(match breaks {
                0 => " ",
                1 => "\n",
                _ => "\n\n",
            });
        }
        (breaks, gap, after_return) = (0, false, false);
        out.push(c);
    }
    out
}

/// The tokens joined as a walk writes them.
fn joined(tokens: Tokens, all: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for (index, token) in all.iter().enumerate() {
        if index > 0 {
            out.extend_from_slice(tokens.split(&all[index - 1]).1);
        }
        out.extend_from_slice(tokens.split(token).0);
    }
    out
}

fn order_of(byte: u8) -> usize {
    match byte {
        0 => 0,
        250.. => MAX_ORDER + usize::from(byte) - 250,
        _ => 1 + usize::from(byte) % 6,
    }
}

/// Every window of `order` words mapped to the words that follow it.
fn reference_table<'w, 't>(
    words: &'w [&'t [u8]],
    order: usize,
) -> HashMap<&'w [&'t [u8]], Vec<&'t [u8]>> {
    let mut table: HashMap<&[&[u8]], Vec<&[u8]>> = HashMap::new();
    for window in words.windows(order + 1) {
        table
            .entry(&window[..order])
            .or_default()
            .push(window[order]);
    }
    table
}

fuzz_target!(|input: Input| {
    let order = order_of(input.order);
    let tokens = Tokens::ALL[usize::from(input.tokens % 4)];
    let options = BuildOptions {
        tokens,
        threads: 1 + usize::from(input.threads % 4),
        parallel_min_bytes: 0,
        ..BuildOptions::default()
    };
    let cut = text_tokens(tokens, input.text).expect("a short text has line breaks enough");
    let words: Vec<&[u8]> = cut.iter().map(Vec::as_slice).collect();
    // On valid UTF-8 the tokens must give back the text as documented.
    if let Ok(text) = std::str::from_utf8(input.text) {
        let split: Vec<&[u8]> = text
            .split(is_python_whitespace)
            .filter(|word| !word.is_empty())
            .map(str::as_bytes)
            .collect();
        match tokens {
            Tokens::Words => {
                assert_eq!(words, split);
                assert_eq!(Words::new(input.text).collect::<Vec<_>>(), split);
            }
            Tokens::Lines => {
                let bare: Vec<&[u8]> = words.iter().map(|token| tokens.split(token).0).collect();
                assert_eq!(bare, split);
                assert_eq!(joined(tokens, &cut), normalized(text).as_bytes());
            }
            Tokens::Unicode => assert_eq!(joined(tokens, &cut), normalized(text).as_bytes()),
            Tokens::Chars => assert_eq!(joined(tokens, &cut), text.as_bytes()),
        }
    }

    let built = build_with(input.text, order, options);
    let chain = match built {
        Err(ChainError::OrderTooLow) => return assert_eq!(order, 0),
        Err(ChainError::OrderTooHigh { .. }) => return assert!(order > MAX_ORDER),
        Err(ChainError::NoWords) => return assert!(words.is_empty()),
        Err(ChainError::TooFewWords { words: count, .. }) => {
            assert_eq!(count, words.len());
            return assert!(count < order);
        }
        Err(other) => panic!("unexpected error {other}"),
        Ok(chain) => chain,
    };
    assert_eq!(chain.token_count(), words.len());
    assert_eq!(chain.transition_count(), words.len() - order);

    // The parallel build must be the serial build, walk for walk.
    let serial = build_with(
        input.text,
        order,
        BuildOptions {
            tokens,
            threads: 1,
            ..BuildOptions::default()
        },
    )
    .expect("the serial build succeeds where the parallel one did");
    let length = usize::from(input.walk_length % 512);
    let walked: Vec<&[u8]> = Walk::new(&chain, input.seed).take(length).collect();
    let serial_walked: Vec<&[u8]> = Walk::new(&serial, input.seed).take(length).collect();
    assert_eq!(walked, serial_walked);
    assert_eq!(chain, serial);

    // Every step follows the chain, or restarts at a window of the text
    // after a dead end.
    let table = reference_table(&words, order);
    let is_window_start =
        |piece: &[&[u8]]| words.windows(order).any(|window| window.starts_with(piece));
    assert!(is_window_start(&walked[..order.min(walked.len())]));
    let mut position = order;
    while position < walked.len() {
        match table.get(&walked[position - order..position]) {
            Some(followers) => {
                assert!(followers.contains(&walked[position]));
                position += 1;
            }
            None => {
                let end = (position + order).min(walked.len());
                assert!(is_window_start(&walked[position..end]));
                position = end;
            }
        }
    }

    // In sentences: the count of sentence ends is the one asked for, the
    // last word ending the last, unless the cap came first.
    let sentences = 1 + usize::from(input.order % 3);
    let cap = 300;
    let walk_in_sentences = || {
        Walk::new(&chain, input.seed)
            .sentences(sentences as u64)
            .at_most(cap as u64)
    };
    let in_sentences: Vec<&[u8]> = walk_in_sentences().collect();
    // A token ends a sentence where the rule says so and the next token
    // does not start in lower case or with a dash; a walk counts the
    // tokens that end one somewhere.
    let starts_lower = |token: &[u8]| {
        let text = String::from_utf8_lossy(tokens.split(token).0).into_owned();
        text.chars()
            .next()
            .is_some_and(|c| c.is_lowercase() || matches!(c, '-' | '–' | '—'))
    };
    let ends_of_text: std::collections::HashSet<&[u8]> = (0..words.len())
        .filter(|&at| {
            ends_sentence(tokens.split(words[at]).0)
                && words.get(at + 1).is_none_or(|&next| !starts_lower(next))
        })
        .map(|at| words[at])
        .collect();
    let ends_one = |token: &[u8]| ends_of_text.contains(token);
    let ends = in_sentences.iter().filter(|word| ends_one(word)).count();
    if in_sentences.len() < cap {
        assert_eq!(ends, sentences);
        assert!(in_sentences.last().is_some_and(|word| ends_one(word)));
    } else {
        assert!(ends <= sentences);
    }

    // Steered to a phrase of the text (words mode; one or two words, none
    // of which ends a sentence): every whole sentence holds it, unless the
    // walk refuses before its first word (no output can). For some seeds
    // the walk goes on from a word of the text, as a prompt to a saved
    // chain does, its first sentence given a budget of its own.
    let size = 1 + (input.seed % 2) as usize;
    let at = (input.seed / 2) as usize % words.len().max(1);
    let steered_in_sentences = || {
        let walk = match words.get(at) {
            Some(&word) if input.seed & 32 != 0 => Walk::after(&chain, input.seed, &[word]),
            _ => Walk::new(&chain, input.seed),
        };
        walk.sentences(sentences as u64).at_most(cap as u64)
    };
    let phrase = (words.get(at..at + size))
        .filter(|phrase| tokens == Tokens::Words && !phrase.iter().any(|word| ends_one(word)));
    if let Some(phrase) = phrase {
        let mut walk = steered_in_sentences()
            .contains(&phrase.join(&b' '))
            .expect("a phrase of the text is found in it");
        if walk.prepare().is_ok() {
            let mut sentence = Vec::new();
            for word in walk {
                sentence.push(word);
                if ends_one(word) {
                    assert!(sentence.windows(size).any(|run| run == phrase));
                    sentence.clear();
                }
            }
        }
    }

    // Ending with a phrase that ends a sentence of the text (words mode;
    // one or two words, only the last ending one), within a cap on
    // characters for some seeds, and for some of those a cap on words
    // below it: the output ends with it, unless the cap on words came
    // first (when it is the only cap the steering counts) or the walk
    // refuses before its first word, and keeps to the characters. Within
    // two caps a walk drafts its sentences, and gives nothing (blocked)
    // where it finds no last sentence within both.
    let last = (at..words.len()).find(|&last| ends_one(words[last]) && last + 1 >= size);
    let phrase = (last.map(|last| &words[last + 1 - size..=last]))
        .filter(|phrase| tokens == Tokens::Words && (size == 1 || !ends_one(phrase[0])));
    let max_chars = (input.seed & 8 != 0).then_some(20 + input.seed % 200);
    if let Some(phrase) = phrase {
        let mut walk = steered_in_sentences()
            .ends_with(&phrase.join(&b' '))
            .expect("a phrase of the text is found in it");
        if let Some(max_chars) = max_chars {
            walk = walk.max_chars(max_chars);
        }
        let words_cap = max_chars
            .filter(|_| input.seed & 16 != 0)
            .map(|chars| 2 + chars / 8);
        if let Some(words_cap) = words_cap {
            walk = walk.at_most(words_cap);
        }
        if walk.prepare().is_ok() {
            let output: Vec<&[u8]> = walk.by_ref().collect();
            if let Some(words_cap) = words_cap {
                assert!(output.len() as u64 <= words_cap);
                assert!(output.ends_with(phrase) || (output.is_empty() && walk.blocked()));
            } else if output.len() < cap {
                assert!(output.ends_with(phrase));
            }
            // Characters, where the words are text: one space between
            // words.
            let text: Option<Vec<&str>> = output
                .iter()
                .map(|word| std::str::from_utf8(word).ok())
                .collect();
            if let (Some(max_chars), Some(text)) = (max_chars, text) {
                let chars = text.len().saturating_sub(1)
                    + text.iter().map(|word| word.chars().count()).sum::<usize>();
                assert!(chars as u64 <= max_chars);
            }
        }
    }

    // With the copy guard: no run of max_copy + 1 tokens of the output
    // occurs in the text, however the walk restarts.
    let max_copy = order + 1 + (input.seed % 3) as usize;
    let guarded = build_with(
        input.text,
        order,
        BuildOptions {
            tokens,
            // Both sorts, as a saved chain's and a prompt's index are.
            copy_index: Some(if input.seed & 4 == 0 {
                SuffixSort::Whole
            } else {
                SuffixSort::OnDemand
            }),
            ..options
        },
    )
    .expect("the guarded build succeeds where the plain one did");
    let walk = Walk::new(&guarded, input.seed)
        .max_copy(max_copy)
        .expect("max_copy is above the order and the chain has its index");
    let output: Vec<&[u8]> = walk.take(length).collect();
    for run in output.windows(max_copy + 1) {
        assert!(!words.windows(max_copy + 1).any(|window| window == run));
    }

    // Within a cap on characters, in every token mode and with the
    // guard's restarts: the text written keeps to it, whatever break a
    // jump puts between two tokens.
    if let Some(max_chars) = max_chars {
        let mut walk = Walk::new(&guarded, input.seed)
            .max_copy(max_copy)
            .expect("max_copy is above the order and the chain has its index")
            .max_chars(max_chars)
            .at_most(cap as u64);
        let mut written = Vec::new();
        walk.write_words(cap as u64, &mut written);
        if let Ok(text) = std::str::from_utf8(&written) {
            assert!(text.chars().count() as u64 <= max_chars);
        }
    }

    // Guarded, in sentences, ending with the phrase: a last sentence the
    // guard refuses in its room gives way to an earlier last, so the output
    // ends with the phrase unless the guard allows none at all (no output,
    // blocked) or the cap on words came first.
    if let Some(phrase) = phrase {
        let mut walk = Walk::new(&guarded, input.seed)
            .sentences(sentences as u64)
            .at_most(cap as u64)
            .max_copy(max_copy)
            .expect("max_copy is above the order and the chain has its index")
            .ends_with(&phrase.join(&b' '))
            .expect("a phrase of the text is found in it");
        if let Some(max_chars) = max_chars {
            walk = walk.max_chars(max_chars);
        }
        if walk.prepare().is_ok() {
            let output: Vec<&[u8]> = walk.by_ref().collect();
            if output.is_empty() {
                assert!(walk.blocked());
            } else if output.len() < cap {
                assert!(output.ends_with(phrase));
            }
            for run in output.windows(max_copy + 1) {
                assert!(!words.windows(max_copy + 1).any(|window| window == run));
            }
        }
    }
});
