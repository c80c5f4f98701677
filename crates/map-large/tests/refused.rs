//! Mappings refused, as on a system out of memory or out of mappings
//! (`vm.max_map_count`): alone in its test binary, since it makes every
//! mapping of the process fail for a while.
#![cfg(target_os = "linux")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::Mutex;

use map_large::{refuse_mappings, MapLarge, MAPPED_FROM};

#[global_allocator]
static ALLOCATOR: MapLarge = MapLarge;

fn pattern(len: usize) -> impl Iterator<Item = u8> {
    (0..len).map(|index| (index % 251) as u8)
}

/// The bug this catches: a refused mapping returned as null, which makes
/// Rust abort the whole process (Python's with it) though the system
/// allocator could still have served the block; or a block from the
/// fallback later unmapped or remapped as if it were a mapping.
/// The tests share the switch that refuses mappings: one at a time.
static REFUSING: Mutex<()> = Mutex::new(());

#[test]
fn refused_mappings_fall_back_to_the_system_allocator() {
    let _one_at_a_time = REFUSING.lock().unwrap_or_else(|poison| poison.into_inner());
    refuse_mappings(true);
    // Made, grown (a fallback block moved), shrunk below the threshold and
    // grown again, all from the system allocator.
    let mut bytes: Vec<u8> = pattern(2 * MAPPED_FROM).collect();
    bytes.extend(pattern(6 * MAPPED_FROM).map(|byte| byte ^ 0x55));
    let zeroed = vec![0u64; MAPPED_FROM];
    assert!(zeroed.iter().all(|&word| word == 0));
    refuse_mappings(false);
    // A fallback block grown into a mapping, then freed as one.
    bytes.reserve(16 * MAPPED_FROM);
    let expected: Vec<u8> = pattern(2 * MAPPED_FROM)
        .chain(pattern(6 * MAPPED_FROM).map(|byte| byte ^ 0x55))
        .collect();
    assert_eq!(bytes, expected);
    bytes.truncate(100);
    bytes.shrink_to_fit();
    assert!(bytes.iter().copied().eq(pattern(100)));
    drop(zeroed);
    // A mapping grown while mappings are refused: mremap fails too, and
    // the block moves to the system allocator.
    let mut mapped: Vec<u8> = pattern(2 * MAPPED_FROM).collect();
    refuse_mappings(true);
    mapped.reserve(64 * MAPPED_FROM);
    refuse_mappings(false);
    assert!(mapped.iter().copied().eq(pattern(2 * MAPPED_FROM)));
}

/// The bug this catches: a zeroed block from the fallback handed out with
/// a freed block's old contents (a fresh mapping is always zero, so only
/// the fallback can show it).
#[test]
fn zeroed_blocks_from_the_fallback_start_at_zero() {
    let _one_at_a_time = REFUSING.lock().unwrap_or_else(|poison| poison.into_inner());
    // Raise glibc's mmap threshold to 31 MB, as a Python read does, so
    // that glibc serves the fallback's blocks from a heap that reuses them.
    let read_buffer = Layout::from_size_align(31 << 20, 8).unwrap();
    // SAFETY: a valid layout, freed with the same layout.
    unsafe {
        let block = System.alloc(read_buffer);
        assert!(!block.is_null());
        System.dealloc(block, read_buffer);
    }
    refuse_mappings(true);
    let dirty = vec![u64::MAX; MAPPED_FROM];
    drop(black_box(dirty));
    let zeroed = vec![0u64; MAPPED_FROM];
    refuse_mappings(false);
    assert!(zeroed.iter().all(|&word| word == 0));
}
