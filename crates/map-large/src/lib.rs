//! A global allocator that gives each large block a memory mapping of its
//! own and returns it to the system when the block is freed. Smaller blocks
//! come from the system allocator.
//!
//! glibc's malloc serves a block below its mmap threshold from heaps that
//! keep freed memory, and it raises that threshold, up to 32 MiB, to the
//! size of the largest mapped block the process frees. Once Python has read
//! a file of tens of megabytes and freed its buffer, every working array
//! of a build comes from those heaps, and what each stage frees stays with
//! the process: the build's peak becomes the sum of what its stages held,
//! not what it holds at once. This allocator keeps glibc's default
//! threshold for the blocks of the crate that installs it, and changes
//! nothing for the rest of the process.
//!
//! Install it with `#[global_allocator] static ALLOCATOR: MapLarge =
//! MapLarge;`. It is for Linux (elsewhere the crate is empty), and made
//! for glibc: musl and other systems' allocators map large blocks anyway.
#![cfg(target_os = "linux")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::ptr;

/// Blocks of this many bytes or more get a mapping of their own: glibc's
/// default mmap threshold.
pub const MAPPED_FROM: usize = 128 * 1024;

/// The smallest page size of any Linux target: every mapping is aligned to
/// at least this.
const PAGE: usize = 4096;

/// The allocator. See the crate's documentation.
#[derive(Debug, Default, Clone, Copy)]
pub struct MapLarge;

/// Whether a block of `layout` gets a mapping of its own. `dealloc` and
/// `realloc` are given the layout a block was made with, so they decide
/// the same way for it.
fn is_mapped(layout: Layout) -> bool {
    layout.size() >= MAPPED_FROM && layout.align() <= PAGE
}

/// A new anonymous mapping of `size` bytes, zeroed, or null if the system
/// has no memory for it.
fn map(size: usize) -> *mut u8 {
    // SAFETY: a private anonymous mapping at an address the kernel chooses
    // overlaps no memory in use.
    let block = unsafe {
        libc::mmap(
            ptr::null_mut(),
            size,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if block == libc::MAP_FAILED {
        ptr::null_mut()
    } else {
        block.cast()
    }
}

// SAFETY: a mapped block is page-aligned, which meets every alignment that
// `is_mapped` accepts, and holds at least `size` bytes. A block is unmapped
// or remapped only with the layout it was made with, which `GlobalAlloc`'s
// callers must pass; every other block is `System`'s, and goes back to it.
unsafe impl GlobalAlloc for MapLarge {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if is_mapped(layout) {
            map(layout.size())
        } else {
            // SAFETY: the caller keeps `alloc`'s contract, which is
            // `System`'s.
            unsafe { System.alloc(layout) }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if is_mapped(layout) {
            // An anonymous mapping starts zeroed.
            map(layout.size())
        } else {
            // SAFETY: as for `alloc`.
            unsafe { System.alloc_zeroed(layout) }
        }
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        if is_mapped(layout) {
            // SAFETY: `block` is a mapping of `layout.size()` bytes that
            // `map` or `mremap` made, and the caller no longer uses it.
            unsafe { libc::munmap(block.cast(), layout.size()) };
        } else {
            // SAFETY: `block` came from `System` with `layout`.
            unsafe { System.dealloc(block, layout) }
        }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees that `new_size`, with `layout`'s
        // alignment, makes a valid layout.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (is_mapped(layout), is_mapped(new_layout)) {
            // SAFETY: `block` came from `System` with `layout`.
            (false, false) => unsafe { System.realloc(block, layout, new_size) },
            (true, true) => {
                // SAFETY: `block` is a mapping of `layout.size()` bytes; the
                // kernel resizes it in place or moves its pages whole, with
                // no copy.
                let moved = unsafe {
                    libc::mremap(block.cast(), layout.size(), new_size, libc::MREMAP_MAYMOVE)
                };
                if moved == libc::MAP_FAILED {
                    ptr::null_mut()
                } else {
                    moved.cast()
                }
            }
            // Across the threshold: a new block, then the old one freed.
            _ => {
                // SAFETY: `new_layout` is valid (above); `block` holds
                // `layout.size()` bytes, stays valid until they are copied,
                // and is then freed with the layout it was made with.
                unsafe {
                    let moved = self.alloc(new_layout);
                    if !moved.is_null() {
                        ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size));
                        self.dealloc(block, layout);
                    }
                    moved
                }
            }
        }
    }
}
