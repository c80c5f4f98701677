//! Times the copy guard on a file: the build without its index, with it
//! sorted whole, and with it sorted on demand and a first walk of 50
//! words (a prompt's work); and guarded generation, at orders 1 to 3 with
//! `max_copy` = order + 3.
//!
//! ```text
//! cargo run --release --example copy_guard_stages -- benchmarks/data/wordnet.txt
//! ```

use std::process::ExitCode;
use std::time::Instant;

use llm_markov_rs::{build_with, BuildOptions, SuffixSort, Walk};

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: copy_guard_stages FILE");
        return ExitCode::FAILURE;
    };
    let text = match std::fs::read(&path) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("cannot read {path}: {error}");
            return ExitCode::FAILURE;
        }
    };
    for order in 1..=3 {
        let build = |copy_index| {
            let options = BuildOptions {
                copy_index,
                ..BuildOptions::default()
            };
            let started = Instant::now();
            let chain = build_with(&text, order, options).expect("the file builds");
            (chain, started.elapsed().as_secs_f64())
        };
        let (_, plain) = build(None);
        let (chain, indexed) = build(Some(SuffixSort::Whole));
        let started = Instant::now();
        let (prompted, _) = build(Some(SuffixSort::OnDemand));
        let mut walk = Walk::new(&prompted, 1)
            .max_copy(order + 3)
            .expect("order + 3 is allowed");
        walk.write_words(50, &mut Vec::new());
        let on_demand = started.elapsed().as_secs_f64();
        let words = 1_000_000;
        let started = Instant::now();
        let mut out = Vec::new();
        let mut walk = Walk::new(&chain, 1)
            .at_most(words)
            .max_copy(order + 3)
            .expect("order + 3 is allowed");
        let written = walk.write_words(words, &mut out);
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "order {order}: build {plain:.3} s; with the index sorted whole {indexed:.3} s \
             ({:.2}x), sorted on demand with 50 guarded words {on_demand:.3} s ({:.2}x); \
             guarded walk {:.0} words/s, longest copy {:?}, blocked {}",
            indexed / plain,
            on_demand / plain,
            written as f64 / seconds,
            walk.longest_copy(),
            walk.blocked()
        );
    }
    ExitCode::SUCCESS
}
