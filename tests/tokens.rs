//! The four token modes through the public API: how each cuts a text, what
//! a walk writes, and that the output keeps the text's breaks.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test, helpers included"
)]

use llm_markov_rs::{build_with, prompt_tokens, BuildOptions, Chain, SuffixSort, Tokens, Walk};

const POEM: &str = include_str!("data/poem.txt");
const CHINESE: &str = include_str!("data/chinese.txt");
const JAPANESE: &str = include_str!("data/japanese.txt");
const THAI: &str = include_str!("data/thai.txt");
const MIXED: &str = include_str!("data/mixed.txt");
const NAMES: &str = include_str!("data/names.txt");

fn options(tokens: Tokens) -> BuildOptions<'static> {
    BuildOptions {
        tokens,
        ..BuildOptions::default()
    }
}

fn chain(text: &str, order: usize, tokens: Tokens) -> Chain {
    build_with(text.as_bytes(), order, options(tokens)).unwrap()
}

fn tokens_of(text: &str, tokens: Tokens) -> Vec<String> {
    prompt_tokens(tokens, text.as_bytes())
        .0
        .into_iter()
        .map(|token| String::from_utf8(token).unwrap())
        .collect()
}

fn written(chain: &Chain, seed: u64, count: u64) -> String {
    let mut out = Vec::new();
    Walk::new(chain, seed)
        .at_most(count)
        .write_words(count, &mut out);
    String::from_utf8(out).unwrap()
}

/// The raw tokens of a walk (as the vocabulary holds them) and the text
/// it writes, for the same seed.
fn walk_both(chain: &Chain, seed: u64, count: u64) -> (Vec<String>, String) {
    let raw = Walk::new(chain, seed)
        .at_most(count)
        .map(|token| String::from_utf8(token.to_vec()).unwrap())
        .collect();
    (raw, written(chain, seed, count))
}

/// What the tokens of `lines` and `unicode` mode give back when joined:
/// the text with each run of whitespace made one space, one line break
/// or a blank line, and none at either end.
fn normalized(text: &str) -> String {
    let mut out = String::new();
    let mut gap = String::new();
    for c in text.chars() {
        if is_python_whitespace(c) {
            gap.push(c);
            continue;
        }
        if !out.is_empty() && !gap.is_empty() {
            let breaks = gap
                .replace("\r\n", "\n")
                .chars()
                .filter(|&c| is_line_break(c))
                .count();
            out.push_str(match breaks {
                0 => " ",
                1 => "\n",
                _ => "\n\n",
            });
        }
        gap.clear();
        out.push(c);
    }
    out
}

fn is_python_whitespace(c: char) -> bool {
    c.is_whitespace() || ('\u{1C}'..='\u{1F}').contains(&c)
}

/// Line breaks as Python's `str.splitlines()` knows them.
fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r'
            | '\u{b}'
            | '\u{c}'
            | '\u{1c}'
            | '\u{1d}'
            | '\u{1e}'
            | '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// The tokens of `text` joined back: each after the break of the one
/// before it, as a walk writes them.
fn joined(text: &str, tokens: Tokens) -> String {
    let mut out = Vec::new();
    let all = prompt_tokens(tokens, text.as_bytes()).0;
    for (index, token) in all.iter().enumerate() {
        if index > 0 {
            out.extend_from_slice(tokens.split(&all[index - 1]).1);
        }
        out.extend_from_slice(tokens.split(token).0);
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn a_word_that_ends_a_line_is_another_token_than_mid_line() {
    let tokens = tokens_of(POEM, Tokens::Lines);
    for token in ["hill,\n", "the ", "sliver\n\n", "hill "] {
        assert!(tokens.iter().any(|t| t == token), "{token:?} in {tokens:?}");
    }
    // The poem ends without a blank line: its last token ends a line.
    assert_eq!(tokens.last().unwrap(), "hill.\n");
    assert_eq!(joined(POEM, Tokens::Lines), normalized(POEM));
}

#[test]
fn a_lines_walk_breaks_lines_where_its_tokens_do() {
    let chain = chain(POEM, 1, Tokens::Lines);
    let (raw, text) = walk_both(&chain, 11, 400);
    // The text is the raw tokens with the last one's break left off.
    let mut expected: String = raw.concat();
    expected.truncate(expected.trim_end().len());
    assert_eq!(text, expected);
    // Every line of the output ends with a word that ends a line of the
    // poem, and stanzas come out as stanzas.
    let line_ends: Vec<&str> = POEM
        .lines()
        .filter_map(|line| line.split(' ').next_back())
        .collect();
    let lines: Vec<&str> = text.lines().collect();
    // The last line is cut where the walk's cap fell.
    for line in lines[..lines.len() - 1]
        .iter()
        .filter(|line| !line.is_empty())
    {
        let last = line.split(' ').next_back().unwrap();
        assert!(
            line_ends.contains(&last),
            "{last:?} does not end a line of the poem"
        );
    }
    assert!(text.contains("\n\n"), "no stanza break in {text:?}");
    // In words mode the same walk is one line.
    let words = written(&chain_words(POEM), 11, 400);
    assert!(!words.contains('\n'));
}

fn chain_words(text: &str) -> Chain {
    chain(text, 1, Tokens::Words)
}

#[test]
fn chinese_japanese_and_thai_are_cut_into_dictionary_words() {
    for (text, word) in [(CHINESE, "公园"), (JAPANESE, "図書館"), (THAI, "อาหาร")] {
        let tokens = tokens_of(text, Tokens::Unicode);
        let texts: Vec<&str> = tokens.iter().map(|t| t.trim_end()).collect();
        assert!(texts.contains(&word), "{word} not among {texts:?}");
        let longer = texts.iter().filter(|t| t.chars().count() >= 2).count();
        assert!(
            longer * 3 >= texts.len(),
            "mostly single characters: {texts:?}"
        );
        let longest = texts.iter().map(|t| t.chars().count()).max().unwrap();
        assert!(longest <= 8, "a token of {longest} characters: not words");
        assert_eq!(joined(text, Tokens::Unicode), normalized(text));
    }
}

#[test]
fn chinese_comes_out_without_spaces_and_ends_sentences_at_its_full_stop() {
    let chain = chain(CHINESE, 2, Tokens::Unicode);
    assert!(chain.has_sentence_ends());
    let mut out = Vec::new();
    Walk::new(&chain, 5)
        .sentences(3)
        .at_most(1000)
        .write_words(1000, &mut out);
    let text = String::from_utf8(out).unwrap();
    assert!(!text.contains(' '), "{text:?}");
    assert!(text.ends_with('。'), "{text:?}");
    assert_eq!(text.matches('。').count(), 3, "{text:?}");
}

#[test]
fn english_punctuation_stays_where_the_text_put_it() {
    let tokens = tokens_of(MIXED, Tokens::Unicode);
    // Punctuation is its own token, and keeps the space after it.
    assert!(tokens.iter().any(|t| t == ", "));
    assert!(tokens.iter().any(|t| t == "said"));
    let chain = chain(&MIXED.repeat(3), 1, Tokens::Unicode);
    for seed in 0..20 {
        let text = written(&chain, seed, 200);
        for bad in [" ,", " .", " ;", "\" \"", "欢 迎"] {
            assert!(!text.contains(bad), "{bad:?} in {text:?}");
        }
    }
}

#[test]
fn invented_names_are_made_of_runs_of_real_names() {
    let order = 3;
    let chain = chain(NAMES, order, Tokens::Chars);
    // The list's last characters recur, so the walk never restarts.
    let text = written(&chain, 8, 2000);
    let characters: Vec<char> = text.chars().collect();
    for window in characters.windows(order + 1) {
        let run: String = window.iter().collect();
        assert!(NAMES.contains(&run), "{run:?} is in no name");
    }
    assert!(text.lines().count() > 100);
    let invented = text
        .lines()
        .filter(|name| !NAMES.lines().any(|real| real == *name));
    assert!(invented.count() > 0, "every name was copied");
    assert_eq!(joined(NAMES, Tokens::Chars), NAMES);
}

#[test]
fn a_prompt_without_a_final_break_continues_any_break_of_its_last_word() {
    let chain = chain(POEM, 2, Tokens::Lines);
    let continued = |prompt: &[u8]| {
        let (tokens, open) = prompt_tokens(Tokens::Lines, prompt);
        Walk::continuing(&chain, 1, &tokens, open).continued_words()
    };
    // "mill" ends a line each time the poem has it: "mill\n".
    let (tokens, open) = prompt_tokens(Tokens::Lines, b"every stone along the mill");
    assert!(open);
    assert_eq!(tokens.last().unwrap(), b"mill");
    assert_eq!(continued(b"every stone along the mill"), 2);
    // A prompt that ends with whitespace says which break it keeps.
    assert_eq!(continued(b"every stone along the mill\n"), 2);
    assert_eq!(continued(b"every stone along the mill "), 0);
}

#[test]
fn every_mode_builds_the_same_chain_on_one_thread_and_on_several() {
    let text = [POEM, CHINESE, JAPANESE, THAI, MIXED, NAMES]
        .concat()
        .repeat(20);
    for tokens in Tokens::ALL {
        let build = |threads| {
            let options = BuildOptions {
                tokens,
                threads,
                parallel_min_bytes: 0,
                ..BuildOptions::default()
            };
            build_with(text.as_bytes(), 2, options).unwrap()
        };
        assert_eq!(build(1), build(3), "{tokens}");
        assert_eq!(build(1).tokens(), tokens);
    }
}

proptest::proptest! {
    #[test]
    fn tokens_joined_give_back_the_text(
        text in "[a-z,.!。 \t\n\r\u{3000}\u{2028}公园我们ก-ฮ\u{301}]{0,60}"
    ) {
        let words: Vec<&str> = text.split(is_python_whitespace).filter(|w| !w.is_empty()).collect();
        proptest::prop_assert_eq!(joined(&text, Tokens::Words), words.join(" "));
        proptest::prop_assert_eq!(joined(&text, Tokens::Lines), normalized(&text));
        proptest::prop_assert_eq!(joined(&text, Tokens::Unicode), normalized(&text));
        proptest::prop_assert_eq!(joined(&text, Tokens::Chars), text.clone());
    }
}

#[test]
fn a_cap_on_characters_counts_the_space_a_jump_puts_between_words() {
    // Bug: in unicode mode a token that kept no break (one before
    // punctuation, as "four-" before ",") gets a space before a word the
    // walk jumps to, and the steering counted the break the token kept:
    // each such jump (the copy guard's restarts make many) wrote a
    // character more than it counted, past max_chars.
    let text = include_str!("data/sherlock_excerpt.txt");
    let options = BuildOptions {
        copy_index: Some(SuffixSort::OnDemand),
        ..options(Tokens::Unicode)
    };
    let chain = build_with(text.as_bytes(), 3, options).unwrap();
    for max_chars in [100, 300] {
        for seed in 0..20 {
            let walk = Walk::new(&chain, seed).at_most(200).max_chars(max_chars);
            let mut walk = walk.max_copy(4).unwrap();
            let mut out = Vec::new();
            walk.write_words(200, &mut out);
            let written = String::from_utf8(out).unwrap();
            let count = written.chars().count() as u64;
            assert!(count <= max_chars, "{max_chars}, seed {seed}: {count}");
        }
    }
}
