//! The allocator installed for a whole test binary, as the extension
//! installs it.
#![cfg(target_os = "linux")]

use map_large::{MapLarge, MAPPED_FROM};

#[global_allocator]
static ALLOCATOR: MapLarge = MapLarge;

/// The bug this catches: bytes lost or misplaced when a growing or
/// shrinking vector crosses the threshold (small to mapped, mapped to
/// mapped through `mremap`, mapped back to small).
#[test]
fn blocks_keep_their_bytes_across_the_threshold() {
    let mut bytes: Vec<u8> = Vec::with_capacity(16);
    for index in 0..(4 * MAPPED_FROM) {
        bytes.push((index % 251) as u8);
    }
    assert!(bytes.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
    bytes.truncate(1000);
    bytes.shrink_to_fit();
    assert!(bytes.capacity() < MAPPED_FROM);
    assert!(bytes.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
}

// Only the types' sizes and alignments matter.
#[repr(align(4096))]
#[expect(dead_code, reason = "never read: only its layout is used")]
struct PageAligned([u8; 4096]);

#[repr(align(16384))]
#[expect(dead_code, reason = "never read: only its layout is used")]
struct OverAligned([u8; 16384]);

/// The bug this catches: a block whose alignment a mapping cannot promise
/// (larger than a page) mapped anyway, or a mapped block misaligned.
#[test]
fn blocks_meet_their_alignment() {
    let pages: Vec<PageAligned> = Vec::with_capacity(64);
    assert_eq!(pages.as_ptr() as usize % 4096, 0);
    let over: Vec<OverAligned> = Vec::with_capacity(64);
    assert_eq!(over.as_ptr() as usize % 16384, 0);
}
