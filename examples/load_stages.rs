//! Times loading a chain file (reading it, checking its checksum, the whole
//! load with every check) and saving it again (encoding, then the atomic
//! save). The profile behind the saved-chain figures.
//!
//! ```text
//! cargo run --release --example load_stages -- FILE.markov [rounds]
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

use llm_markov_rs::{chain_file, Watch};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time<T>(rounds: usize, mut step: impl FnMut() -> T) -> Duration {
    median(
        (0..rounds)
            .map(|_| {
                let started = Instant::now();
                std::hint::black_box(step());
                started.elapsed()
            })
            .collect(),
    )
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: load_stages FILE.markov [ROUNDS]");
        return ExitCode::FAILURE;
    };
    let rounds: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(9);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!("cannot read {path}: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "{path}: {:.1} MB, {rounds} rounds, medians",
        bytes.len() as f64 / 1e6
    );
    let report = |what: &str, duration: Duration| {
        println!("{what:28} {:8.2} ms", duration.as_secs_f64() * 1e3);
    };
    report("read the file", time(rounds, || std::fs::read(&path)));
    report("CRC-32", time(rounds, || crc32fast::hash(&bytes)));
    report(
        "decode and check",
        time(rounds, || chain_file::decode(&bytes)),
    );
    report(
        "load (all of it)",
        time(rounds, || chain_file::load(path.as_ref())),
    );
    let Ok((chain, metadata)) = chain_file::load(path.as_ref()) else {
        eprintln!("{path} is not a chain file this version reads");
        return ExitCode::FAILURE;
    };
    report(
        "encode to memory",
        time(rounds, || {
            let mut out = Vec::with_capacity(bytes.len());
            chain_file::encode(&chain, &metadata, &mut out, Watch::none()).map(|()| out)
        }),
    );
    let copy = std::env::temp_dir().join("load_stages.markov");
    report(
        "save (with fsync, rename)",
        time(rounds, || {
            chain_file::save(&chain, &copy, &metadata, Watch::none())
        }),
    );
    let _ = std::fs::remove_file(copy);

    ExitCode::SUCCESS
}
