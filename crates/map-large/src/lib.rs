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
//! When the system refuses a mapping (`ENOMEM`: no memory, or
//! `vm.max_map_count` mappings already), the block comes from the system
//! allocator instead, so that a process that could still allocate does not
//! abort. Such a block starts half a page into a page of its own, which no
//! mapping does: that is how `dealloc` tells the two apart.
//!
//! Install it with `#[global_allocator] static ALLOCATOR: MapLarge =
//! MapLarge;`. It is for Linux (elsewhere the crate is empty), and made
//! for glibc: musl and other systems' allocators map large blocks anyway.
#![cfg(target_os = "linux")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::ptr;
#[cfg(feature = "fault-injection")]
use std::sync::atomic::{AtomicBool, Ordering};

/// Blocks of this many bytes or more get a mapping of their own: glibc's
/// default mmap threshold.
pub const MAPPED_FROM: usize = 128 * 1024;

/// The smallest page size of any Linux target: every mapping is aligned to
/// at least this.
const PAGE: usize = 4096;

/// Where a block from the system allocator starts when a mapping was
/// refused, past the start of its page: it meets every alignment that
/// `is_mapped` accepts, and no mapping starts there.
const FALLBACK_OFFSET: usize = PAGE / 2;

/// Whether [`map`] and [`remap`] refuse every mapping, as a system out of
/// them would: only in the crate's own tests (the `fault-injection`
/// feature).
#[cfg(feature = "fault-injection")]
static REFUSE_MAPPINGS: AtomicBool = AtomicBool::new(false);

/// Makes every later mapping fail (`true`) or succeed again (`false`), so
/// that tests can reach the fallback to the system allocator.
#[cfg(feature = "fault-injection")]
pub fn refuse_mappings(refuse: bool) {
    REFUSE_MAPPINGS.store(refuse, Ordering::SeqCst);
}

/// The allocator. See the crate's documentation.
#[derive(Debug, Default, Clone, Copy)]
pub struct MapLarge;

/// Whether a block of `layout` gets a mapping of its own. `dealloc` and
/// `realloc` are given the layout a block was made with, so they decide
/// the same way for it.
fn is_mapped(layout: Layout) -> bool {
    layout.size() >= MAPPED_FROM && layout.align() <= FALLBACK_OFFSET
}

/// The layout of the system block that stands in for a refused mapping of
/// `size` bytes: a page-aligned block with room for the offset.
fn fallback_layout(size: usize) -> Option<Layout> {
    Layout::from_size_align(size.checked_add(FALLBACK_OFFSET)?, PAGE).ok()
}

/// Whether `block`, of a layout that `is_mapped`, came from the system
/// allocator because its mapping was refused.
fn is_fallback(block: *mut u8) -> bool {
    block as usize % PAGE == FALLBACK_OFFSET
}

/// A new anonymous mapping of `size` bytes, zeroed, or null if the system
/// has no memory for it.
fn map(size: usize) -> *mut u8 {
    #[cfg(feature = "fault-injection")]
    if REFUSE_MAPPINGS.load(Ordering::SeqCst) {
        return ptr::null_mut();
    }
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

/// The mapping `block` of `size` bytes resized to `new_size`, in place or
/// with its pages moved whole (no copy), or null if the system refuses.
///
/// # Safety
/// `block` is a mapping of `size` bytes that `map` or `remap` made.
unsafe fn remap(block: *mut u8, size: usize, new_size: usize) -> *mut u8 {
    #[cfg(feature = "fault-injection")]
    if REFUSE_MAPPINGS.load(Ordering::SeqCst) {
        return ptr::null_mut();
    }
    // SAFETY: as the caller promises.
    let moved = unsafe { libc::mremap(block.cast(), size, new_size, libc::MREMAP_MAYMOVE) };
    if moved == libc::MAP_FAILED {
        ptr::null_mut()
    } else {
        moved.cast()
    }
}

/// A block of `size` bytes from the system allocator, in place of a
/// refused mapping (zeroed if `zeroed`), or null if it has none either.
fn fallback(size: usize, zeroed: bool) -> *mut u8 {
    let Some(layout) = fallback_layout(size) else {
        return ptr::null_mut();
    };
    // SAFETY: `layout` has a non-zero size (at least the offset).
    let start = unsafe {
        if zeroed {
            System.alloc_zeroed(layout)
        } else {
            System.alloc(layout)
        }
    };
    if start.is_null() {
        start
    } else {
        // SAFETY: the block holds the offset and `size` bytes after it.
        unsafe { start.add(FALLBACK_OFFSET) }
    }
}

/// A block for a layout that `is_mapped`: a mapping of its own, or, if the
/// system refuses one, a block from the system allocator.
fn map_or_fall_back(size: usize, zeroed: bool) -> *mut u8 {
    let block = map(size);
    if block.is_null() {
        fallback(size, zeroed)
    } else {
        block
    }
}

// SAFETY: a mapped block is page-aligned and a fallback block is half a page
// past a page's start, which meets every alignment that `is_mapped`
// accepts; each holds at least `size` bytes. A block is unmapped, remapped
// or freed only with the layout it was made with, which `GlobalAlloc`'s
// callers must pass, and by the allocator that `is_fallback` (the block's
// place in its page) names; every other block is `System`'s, and goes back
// to it.
unsafe impl GlobalAlloc for MapLarge {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if is_mapped(layout) {
            map_or_fall_back(layout.size(), false)
        } else {
            // SAFETY: the caller keeps `alloc`'s contract, which is
            // `System`'s.
            unsafe { System.alloc(layout) }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if is_mapped(layout) {
            // An anonymous mapping starts zeroed.
            map_or_fall_back(layout.size(), true)
        } else {
            // SAFETY: as for `alloc`.
            unsafe { System.alloc_zeroed(layout) }
        }
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        if !is_mapped(layout) {
            // SAFETY: `block` came from `System` with `layout`.
            unsafe { System.dealloc(block, layout) }
        } else if is_fallback(block) {
            // SAFETY: `block` is `FALLBACK_OFFSET` bytes into a `System`
            // block that `fallback` made for this size, with this layout.
            unsafe {
                let start = block.sub(FALLBACK_OFFSET);
                if let Some(made) = fallback_layout(layout.size()) {
                    System.dealloc(start, made);
                }
            }
        } else {
            // SAFETY: `block` is a mapping of `layout.size()` bytes that
            // `map` or `mremap` made, and the caller no longer uses it.
            unsafe { libc::munmap(block.cast(), layout.size()) };
        }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees that `new_size`, with `layout`'s
        // alignment, makes a valid layout.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (is_mapped(layout), is_mapped(new_layout)) {
            // SAFETY: `block` came from `System` with `layout`.
            (false, false) => unsafe { System.realloc(block, layout, new_size) },
            (true, true) if !is_fallback(block) => {
                // SAFETY: `block` is a mapping of `layout.size()` bytes; the
                // kernel resizes it in place or moves its pages whole, with
                // no copy.
                let moved = unsafe { remap(block, layout.size(), new_size) };
                if moved.is_null() {
                    // SAFETY: as below; the mapping is still whole.
                    unsafe { self.moved(block, layout, new_layout) }
                } else {
                    moved
                }
            }
            // Across the threshold, or a fallback block: a new block, then
            // the old one freed.
            // SAFETY: as for `moved`, whose contract the caller's meets.
            _ => unsafe { self.moved(block, layout, new_layout) },
        }
    }
}

impl MapLarge {
    /// A new block of `new_layout` with the bytes of `block`, which is then
    /// freed; or null, with `block` untouched, if there is no memory.
    ///
    /// # Safety
    /// `block` came from this allocator with `layout`, and `new_layout`
    /// is a valid layout.
    unsafe fn moved(&self, block: *mut u8, layout: Layout, new_layout: Layout) -> *mut u8 {
        // SAFETY: `new_layout` is valid; `block` holds `layout.size()`
        // bytes, stays valid until they are copied, and is then freed with
        // the layout it was made with.
        unsafe {
            let moved = self.alloc(new_layout);
            if !moved.is_null() {
                ptr::copy_nonoverlapping(block, moved, layout.size().min(new_layout.size()));
                self.dealloc(block, layout);
            }
            moved
        }
    }
}
