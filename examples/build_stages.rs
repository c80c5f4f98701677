//! Times each stage of building a chain from a file, on one thread and on
//! every core: the profile behind the README's performance notes.
//!
//! ```text
//! cargo run --release --example build_stages -- benchmarks/data/sherlock-100x.txt [rounds] [order]
//! ```
//!
//! `./scripts/bench` makes that file. On Linux the example also prints how
//! far one build raised resident memory, over the size of the text: the
//! benchmark's memory figure, without Python, measured before any other
//! build. On glibc it allocates as the extension does, through
//! `map_large::MapLarge`.
//! For where the time goes inside a stage, run the example under `perf
//! record` with
//! `CARGO_PROFILE_RELEASE_STRIP=false CARGO_PROFILE_RELEASE_DEBUG=line-tables-only`.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use llm_markov_rs::{build_from_corpus, BuildOptions, Chain, Corpus, Words};

/// The extension's allocator, so that memory and time are the extension's
/// (with the `python` feature, the library installs it itself).
#[cfg(all(target_os = "linux", target_env = "gnu", not(feature = "python")))]
#[global_allocator]
static ALLOCATOR: map_large::MapLarge = map_large::MapLarge;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn milliseconds(duration: Duration) -> String {
    format!("{:8.1} ms", duration.as_secs_f64() * 1e3)
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: build_stages FILE [ROUNDS]");
        return ExitCode::FAILURE;
    };
    let rounds: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(5);
    let order: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1);
    let text = match std::fs::read(&path) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("cannot read {path}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let cores = BuildOptions::default().threads;
    // First, in a process that has not built anything yet.
    let peak = peak_extra_bytes(|| {
        let corpus = Corpus::from_text(&text, BuildOptions::default()).expect("the text has words");
        build_from_corpus(corpus, order, BuildOptions::default()).expect("a valid order")
    });
    println!(
        "{path}: {:.1} MB, order {order}, {rounds} rounds, medians",
        text.len() as f64 / 1e6
    );

    let split: Vec<Duration> = (0..rounds)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(Words::new(&text).count());
            started.elapsed()
        })
        .collect();
    println!(
        "split only, 1 thread        {}",
        milliseconds(median(split))
    );

    for threads in [1, cores] {
        let options = BuildOptions {
            threads,
            ..BuildOptions::default()
        };
        let mut corpus_times = Vec::new();
        let mut link_times = Vec::new();
        for _ in 0..rounds {
            let started = Instant::now();
            let corpus = Corpus::from_text(&text, options).expect("the text has words");
            corpus_times.push(started.elapsed());
            let started = Instant::now();
            let chain = build_from_corpus(corpus, order, options).expect("a valid order");
            link_times.push(started.elapsed());
            std::hint::black_box(chain);
        }
        let (corpus, link) = (median(corpus_times), median(link_times));
        println!("{threads} thread(s): split+intern {}", milliseconds(corpus));
        println!("{threads} thread(s): link         {}", milliseconds(link));
        println!(
            "{threads} thread(s): total        {}",
            milliseconds(corpus + link)
        );
    }
    if let Some(extra) = peak {
        println!(
            "{cores} thread(s): peak resident memory of one build, over the text: {:.2}x",
            extra as f64 / text.len() as f64
        );
    }
    ExitCode::SUCCESS
}

/// How far resident memory rose above where it was while `build` ran, on
/// Linux (resetting the kernel's high-water mark first); `None` elsewhere.
fn peak_extra_bytes(build: impl FnOnce() -> Chain) -> Option<u64> {
    let resident = |field: &str| -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|line| line.starts_with(field))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    };
    // Writing 5 resets the peak (VmHWM) to the current size.
    std::fs::write("/proc/self/clear_refs", "5").ok()?;
    let before = resident("VmRSS:")?;
    let chain = build();
    let peak = resident("VmHWM:")?;
    drop(chain);
    Some(peak.saturating_sub(before))
}
