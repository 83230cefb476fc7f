//! Memory accounting: the counting part of `zmalloc.c`.
//!
//! Redis wraps every allocation so that `used_memory` (INFO, `maxmemory`,
//! MEMORY STATS) is known at any time without asking the allocator. We do
//! the same with a [`GlobalAlloc`] around the system allocator: each
//! allocation adds the usable size the allocator really handed out
//! (`malloc_usable_size`, what zmalloc counts with `HAVE_MALLOC_SIZE`) to one
//! atomic counter, each free subtracts it. The binary installs [`Zmalloc`]
//! as its global allocator in `main.rs`; in the library's unit tests the
//! counter simply stays at zero.
//!
//! `zmalloc_get_rss` reads the resident set size from `/proc/self/statm`,
//! as the Linux branch of the C code does.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Bytes currently allocated through [`Zmalloc`] (`used_memory`).
static USED_MEMORY: AtomicUsize = AtomicUsize::new(0);

/// The name INFO reports as `mem_allocator`.
pub const ZMALLOC_LIB: &str = "libc";

/// The counting allocator. Relaxed ordering is enough: the counter is a
/// statistic, never used to synchronise memory between threads.
pub struct Zmalloc;

#[inline]
fn usable_size(ptr: *mut u8) -> usize {
    // SAFETY: `ptr` was returned by the system allocator (malloc,
    // posix_memalign or realloc, all of which malloc_usable_size accepts)
    // and has not been freed yet.
    unsafe { libc::malloc_usable_size(ptr as *mut libc::c_void) }
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged; the only addition is bookkeeping on a live pointer.
unsafe impl GlobalAlloc for Zmalloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            USED_MEMORY.fetch_add(usable_size(p), Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            USED_MEMORY.fetch_add(usable_size(p), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        USED_MEMORY.fetch_sub(usable_size(ptr), Ordering::Relaxed);
        System.dealloc(ptr, layout);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old = usable_size(ptr);
        let p = System.realloc(ptr, layout, new_size);
        // On failure the old block is still allocated and still counted.
        if !p.is_null() {
            USED_MEMORY.fetch_sub(old, Ordering::Relaxed);
            USED_MEMORY.fetch_add(usable_size(p), Ordering::Relaxed);
        }
        p
    }
}

/// `zmalloc_used_memory`.
pub fn zmalloc_used_memory() -> usize {
    USED_MEMORY.load(Ordering::Relaxed)
}

/// `zmalloc_get_rss`: resident pages times the page size, 0 if unknown.
pub fn zmalloc_get_rss() -> usize {
    let Ok(statm) = std::fs::read_to_string("/proc/self/statm") else {
        return 0;
    };
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    pages * page_size()
}

fn page_size() -> usize {
    // SAFETY: sysconf has no memory-safety preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if n > 0 {
        n as usize
    } else {
        4096
    }
}

/// `zmalloc_get_memory_size`: the physical memory of the machine.
pub fn zmalloc_get_memory_size() -> usize {
    // SAFETY: sysconf has no memory-safety preconditions.
    let pages = unsafe { libc::sysconf(libc::_SC_PHYS_PAGES) };
    if pages > 0 {
        pages as usize * page_size()
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rss_and_system_memory_are_known_on_linux() {
        assert!(zmalloc_get_rss() > 0);
        assert!(zmalloc_get_memory_size() > zmalloc_get_rss());
    }

    #[test]
    fn counting_allocator_balances() {
        // Drive the allocator directly: the test binary does not install it.
        let a = Zmalloc;
        let layout = Layout::from_size_align(100, 8).unwrap();
        let before = zmalloc_used_memory();
        // SAFETY: layout is non-zero; the block is freed with the same layout.
        unsafe {
            let p = a.alloc(layout);
            assert!(!p.is_null());
            assert!(zmalloc_used_memory() >= before + 100);
            let p = a.realloc(p, layout, 5000);
            assert!(zmalloc_used_memory() >= before + 5000);
            a.dealloc(p, Layout::from_size_align(5000, 8).unwrap());
        }
        assert_eq!(zmalloc_used_memory(), before);
    }
}
