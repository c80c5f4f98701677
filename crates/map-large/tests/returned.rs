//! Memory given back: alone in its test binary, so that no other test
//! allocates while it reads the process's resident memory.
#![cfg(target_os = "linux")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;

use map_large::MapLarge;

#[global_allocator]
static ALLOCATOR: MapLarge = MapLarge;

/// This process's resident memory in bytes, from `/proc/self/status`
/// (in kB there, whatever the page size).
fn resident_bytes() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux has /proc");
    let kilobytes: usize = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|field| field.parse().ok())
        .expect("status has VmRSS in kB");
    kilobytes * 1024
}

/// The bug this catches: large blocks served from glibc's heaps, which
/// keep them after they are freed once the process has freed a big mapped
/// block (as Python does after reading a file).
#[test]
fn freed_large_blocks_leave_the_process() {
    // Raise glibc's mmap threshold to 31 MB, as a Python read does.
    let read_buffer = Layout::from_size_align(31 << 20, 8).unwrap();
    // SAFETY: a valid layout, freed with the same layout.
    unsafe {
        let block = System.alloc(read_buffer);
        assert!(!block.is_null());
        System.dealloc(block, read_buffer);
    }
    let before = resident_bytes();
    let blocks: Vec<Vec<u8>> = (0..16).map(|_| vec![1u8; 1 << 20]).collect();
    let held = resident_bytes();
    assert!(held >= before + (15 << 20), "the blocks were touched");
    drop(black_box(blocks));
    let after = resident_bytes();
    assert!(
        after < before + (1 << 20),
        "16 MiB freed, but resident memory went from {before} to {after} bytes"
    );
}
