//! Chain files whose copy index is cut into windows: a guard that looks in
//! each window writes what a guard over the whole text writes, and the
//! windows survive saving, loading and the full check.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use super::header::FixedHeader;
use super::{decode, encode_in_windows, saved_size};
use crate::build::build_with;
use crate::build_options::{BuildOptions, SuffixSort, Watch};
use crate::chain::Chain;
use crate::copy_index::{SpillPolicy, WindowLayout};
use crate::error::ChainError;
use crate::growing::GrowingChain;
use crate::walk::Walk;

const SHERLOCK: &str = include_str!("../../tests/data/sherlock_excerpt.txt");

/// Windows far shorter than the text, so that many copies cross a
/// window's end: every run of up to 9 tokens lies in one of them.
const SMALL: WindowLayout = WindowLayout {
    stride: 97,
    overlap: 9,
};

fn guarded(text: &str, order: usize) -> Chain {
    let options = BuildOptions {
        copy_index: Some(SuffixSort::Whole),
        ..BuildOptions::default()
    };
    build_with(text.as_bytes(), order, options).unwrap()
}

/// `chain` saved in `layout`'s windows and loaded back.
fn saved_in(chain: &Chain, layout: WindowLayout) -> (Chain, Vec<u8>) {
    let mut bytes = Vec::new();
    encode_in_windows(chain, b"{}", &mut bytes, Watch::none(), layout).unwrap();
    (decode(&bytes).unwrap().0, bytes)
}

fn written(
    chain: &Chain,
    seed: u64,
    max_copy: usize,
    sentences: Option<u64>,
) -> (Vec<Vec<u8>>, Option<usize>) {
    let mut walk = Walk::new(chain, seed).at_most(200);
    if let Some(count) = sentences {
        walk = walk.sentences(count).max_copy_ratio(0.7).unwrap();
    }
    let mut walk = walk.max_copy(max_copy).unwrap();
    let words = walk.by_ref().map(<[u8]>::to_vec).collect();
    (words, walk.longest_copy())
}

#[test]
fn a_guard_over_windows_writes_what_a_guard_over_the_whole_text_writes() {
    // The bugs: windows that do not overlap (a copy across a window's end
    // goes unseen), a guard that looks in the first window only, or
    // suffixes read past their window's end (which the window's sort did
    // not see, so that narrowing searches an unsorted stretch). Each lets
    // a copy through that the whole index refuses, or refuses what it
    // allows, and the words differ from the same seed's.
    let text: Vec<&str> = SHERLOCK.split_whitespace().take(3000).collect();
    let text = text.join(" ");
    for order in 1..=2 {
        let chain = guarded(&text, order);
        let (whole, _) = saved_in(&chain, WindowLayout::DEFAULT);
        let (windowed, _) = saved_in(&chain, SMALL);
        let windows = windowed.copy_index().unwrap().windows().len();
        assert!(windows > 20, "{windows} windows");
        assert_eq!(whole.copy_index().unwrap().windows().len(), 1);
        for max_copy in [order + 1, order + 3, 8] {
            for seed in 0..6 {
                for sentences in [None, Some(4)] {
                    let expected = written(&whole, seed, max_copy, sentences);
                    assert!(expected.1 <= Some(max_copy));
                    assert_eq!(
                        written(&windowed, seed, max_copy, sentences),
                        expected,
                        "order {order}, max_copy {max_copy}, seed {seed}, {sentences:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn a_bound_that_windows_cannot_check_is_refused() {
    // The bug: a windowed index taking a `max_copy` of the overlap or
    // more, whose copies may lie across a window's end and be missed.
    let chain = guarded(SHERLOCK, 1);
    let (windowed, _) = saved_in(&chain, SMALL);
    let refused = Walk::new(&windowed, 1).max_copy(9).err();
    assert!(matches!(
        refused,
        Some(ChainError::MaxCopyTooHigh {
            limit: 8,
            max_copy: 9
        })
    ));
    assert!(Walk::new(&windowed, 1).max_copy(8).is_ok());
    // One window finds runs of any length.
    let (whole, _) = saved_in(&chain, WindowLayout::DEFAULT);
    assert!(Walk::new(&whole, 1).max_copy(1 << 20).is_ok());
}

#[test]
fn the_full_check_counts_its_work_to_the_total_it_gives() {
    // The bug: a progress bar for `info` that stops short of its end, or
    // runs past it, when the index is in overlapping windows (each token
    // of an overlap is placed and read once a window that holds it).
    let chain = guarded(SHERLOCK, 2);
    let tokens = chain.copy_index().map(|index| index.len() as u64).unwrap();
    for (layout, windowed) in [(WindowLayout::DEFAULT, false), (SMALL, true)] {
        let (loaded, _) = saved_in(&chain, layout);
        let done = AtomicU64::new(0);
        super::check_copy_index(&loaded, Watch::none().reporting_to(&done)).unwrap();
        let total = super::copy_index_check_work(&loaded);
        assert_eq!(done.into_inner(), total);
        if windowed {
            assert!(total > 2 * tokens, "{total} for {tokens} tokens");
        } else {
            assert_eq!(total, 2 * tokens);
        }
    }
    assert_eq!(
        super::copy_index_check_work(
            &build_with(SHERLOCK.as_bytes(), 2, BuildOptions::default()).unwrap()
        ),
        0
    );
}

#[test]
fn windows_survive_saving_again_and_the_full_check() {
    // The bugs: a loaded windowed index written back with its windows out
    // of place, windows sorted from the text that differ from those a
    // fresh save sorts, or a check that reads a window's suffixes as the
    // whole text's (and so finds a sound file forged).
    for order in 1..=3 {
        let chain = guarded(SHERLOCK, order);
        let (windowed, bytes) = saved_in(&chain, SMALL);
        super::check_copy_index(&windowed, Watch::none()).unwrap();
        assert_eq!(saved_in(&windowed, SMALL).1, bytes);
        // Back to one window: sorted again from the windowed text.
        let mut fresh = Vec::new();
        encode_in_windows(
            &chain,
            b"{}",
            &mut fresh,
            Watch::none(),
            WindowLayout::DEFAULT,
        )
        .unwrap();
        assert_eq!(saved_in(&windowed, WindowLayout::DEFAULT).1, fresh);
        // And from one window to several.
        let (whole, _) = saved_in(&chain, WindowLayout::DEFAULT);
        assert_eq!(saved_in(&whole, SMALL).1, bytes);
    }
}

#[test]
fn a_text_grown_in_a_file_saves_and_walks_as_one_grown_in_memory() {
    // The bugs: a text kept in a file packed into the chain file from the
    // wrong place (a block read at another offset, or the last short block
    // lost), windows sorted from other ids than the text's, or a walk of
    // the unsaved chain that does not read its text. Each gives other
    // bytes, or other words from the same seed.
    let words: Vec<&str> = SHERLOCK.split_whitespace().collect();
    let documents: Vec<String> = words.chunks(700).map(|chunk| chunk.join(" ")).collect();
    for order in 1..=2 {
        let grown = |spill: SpillPolicy| {
            let options = BuildOptions {
                copy_index: Some(SuffixSort::Later),
                ..BuildOptions::default()
            };
            let mut growing = GrowingChain::spilling(spill);
            for document in &documents {
                let piece = build_with(document.as_bytes(), order, options).unwrap();
                growing.add(Arc::new(piece), Watch::none()).unwrap();
            }
            let chain = growing.finish(Watch::none()).unwrap().unwrap();
            Arc::try_unwrap(chain).unwrap()
        };
        let in_memory = grown(SpillPolicy::default().above(usize::MAX));
        let in_file = grown(SpillPolicy::default().above(1000));
        assert!(!in_memory.copy_index().unwrap().is_spilled());
        assert!(in_file.copy_index().unwrap().is_spilled());
        for layout in [SMALL, WindowLayout::DEFAULT] {
            assert_eq!(saved_in(&in_file, layout).1, saved_in(&in_memory, layout).1);
        }
        for seed in 0..4 {
            assert_eq!(
                written(&in_file, seed, order + 2, Some(3)),
                written(&in_memory, seed, order + 2, Some(3)),
                "order {order}, seed {seed}"
            );
        }
    }
}

#[test]
fn a_files_size_is_known_before_it_is_written() {
    // A save's progress counts bytes written against the size its header
    // promises. The bugs: a header that counts other numbers than the
    // encoder writes (its roots, the metadata's padding, a window's
    // starts), so that the bar stops short of its end or runs past it.
    let text: Vec<&str> = SHERLOCK.split_whitespace().take(2500).collect();
    let text = text.join(" ");
    let documents: Vec<String> = text
        .split(". ")
        .map(str::to_string)
        .collect::<Vec<_>>()
        .chunks(40)
        .map(|chunk| chunk.join(". "))
        .collect();
    for order in 1..=3 {
        let plain = build_with(text.as_bytes(), order, BuildOptions::default()).unwrap();
        let mut growing = GrowingChain::default();
        for document in &documents {
            let options = BuildOptions {
                copy_index: Some(SuffixSort::Later),
                ..BuildOptions::default()
            };
            let piece = build_with(document.as_bytes(), order, options).unwrap();
            growing.add(Arc::new(piece), Watch::none()).unwrap();
        }
        let several_documents = growing.finish(Watch::none()).unwrap().unwrap();
        for chain in [&plain, &guarded(&text, order), &several_documents] {
            for layout in [SMALL, WindowLayout::DEFAULT] {
                for metadata in [&b""[..], b"{}", b"{\"a\"}", b"{\"ab\"}"] {
                    let mut bytes = Vec::new();
                    encode_in_windows(chain, metadata, &mut bytes, Watch::none(), layout).unwrap();
                    let distances = chain.sentence_distances().get();
                    let header = FixedHeader::of(chain, metadata.len(), distances, layout);
                    assert_eq!(header.file_size(), bytes.len() as u128, "order {order}");
                    if layout == WindowLayout::DEFAULT {
                        assert_eq!(saved_size(chain, metadata.len()), bytes.len() as u64);
                    }
                }
            }
        }
    }
}

#[test]
fn a_save_sorts_what_the_index_has_not_sorted() {
    // The bug: a save that sorts a long text's index without the progress
    // bar saying so, or a bar that says "indexing" over a sorted index.
    let text: Vec<&str> = SHERLOCK.split_whitespace().take(2000).collect();
    let text = text.join(" ");
    let options = BuildOptions {
        copy_index: Some(SuffixSort::Later),
        ..BuildOptions::default()
    };
    let deferred = build_with(text.as_bytes(), 2, options).unwrap();
    assert!(deferred.copy_index_sorts_when_saved());
    deferred.sort_copy_index(Watch::none()).unwrap();
    assert!(!deferred.copy_index_sorts_when_saved());
    assert!(!guarded(&text, 2).copy_index_sorts_when_saved());
    let plain = build_with(text.as_bytes(), 2, BuildOptions::default()).unwrap();
    assert!(!plain.copy_index_sorts_when_saved());
}

#[test]
fn a_loaded_index_reads_its_text_by_position_as_its_map_holds_it() {
    // The bugs: a positioned read from the wrong place in the file (where
    // the index starts rather than its text, say) or a value cut from the
    // wrong bits of what it read gives other ids than the map holds, and a
    // guard then narrows by the wrong tokens. The text's 21,580 words are
    // more than the positioned reads a load allows, so the reads past
    // those, through the map, are checked too.
    let chain = guarded(SHERLOCK, 1);
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("guarded.markov");
    super::save(&chain, &path, b"{}", Watch::none()).unwrap();
    let (loaded, _) = super::load(&path).unwrap();
    let text = loaded.copy_index().unwrap().text();
    let expected = chain.copy_index().unwrap().text();
    assert_eq!(text.len(), expected.len());
    // The text's last ids first, while positioned reads are left.
    let last = text.len().saturating_sub(64)..=text.len();
    for index in last.chain(0..text.len()) {
        assert_eq!(text.get_sparse(index), expected.get(index), "id {index}");
    }
}
