//! The `clusterscore` binary: a thin shell over the library (see `cli`).

mod cli;

fn main() {
    return_large_blocks_to_the_system();
    std::process::exit(cli::run());
}

/// glibc serves a freed large block's size from its heap afterwards (its mmap threshold
/// grows), so a batch run that allocates and frees whole columns keeps every one of them
/// resident. A fixed threshold keeps columns mmapped: freeing one returns its memory, and
/// peak RSS follows what is actually alive.
fn return_large_blocks_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning; called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

/// The system allocator, asking Linux for transparent huge pages on column-sized blocks.
///
/// Written by hand because no allocator crate does just this. Ranking, tiers and the output
/// read columns in rank order, scattered over arrays of tens of MB; with 4 KB pages nearly
/// every such read also misses the TLB. 2 MB pages (and 512× fewer page faults) took a
/// 10⁷-row run from 40 s to 33 s and a 10⁶-row run from 2.97 s to 2.77 s (medians side by
/// side, docs/performance.md). Small blocks go to the system allocator untouched.
#[cfg(target_os = "linux")]
mod huge_pages {
    use std::alloc::{GlobalAlloc, Layout, System};

    pub struct ColumnAllocator;

    const LARGE: usize = 4 << 20;

    fn advise(p: *mut u8, len: usize) {
        if p.is_null() || len < LARGE {
            return;
        }
        let page = 4096;
        let start = (p as usize).div_ceil(page) * page;
        let end = (p as usize + len) / page * page;
        if end > start {
            // SAFETY: the range lies inside the block just allocated; MADV_HUGEPAGE only
            // changes how the kernel backs it and never invalidates its contents.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            }
        }
    }

    // SAFETY: every call is forwarded to `System` with the same arguments; `advise` only
    // adds a paging hint on memory the caller now owns.
    unsafe impl GlobalAlloc for ColumnAllocator {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let p = unsafe { System.alloc(layout) };
            advise(p, layout.size());
            p
        }

        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            let p = unsafe { System.alloc_zeroed(layout) };
            advise(p, layout.size());
            p
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            unsafe { System.dealloc(ptr, layout) }
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            let p = unsafe { System.realloc(ptr, layout, new_size) };
            advise(p, new_size);
            p
        }
    }
}

#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOCATOR: huge_pages::ColumnAllocator = huge_pages::ColumnAllocator;
