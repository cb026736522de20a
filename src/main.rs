//! The `clusterscore` binary: a thin shell over the library (see `cli`).

mod cli;

fn main() {
    tune_the_allocator();
    std::process::exit(cli::run());
}

/// Allocator tuning for batch runs that allocate and free whole columns, phase after phase.
///
/// glibc's default lets its mmap threshold grow to the largest block freed, so every column
/// freed would stay resident and a 10⁷-row run would hold all of them. Blocks of up to 32 MB
/// (an `f64` column of four million rows) come from one heap that is never trimmed, so a
/// column freed by one phase is reused by the next instead of being returned to the system
/// and faulted in again (each first touch of a page costs the kernel about 2 µs here: at 10⁶
/// rows this halves the page faults and the system time). Larger blocks are mmapped, so
/// freeing one returns its memory and peak RSS at 10⁷ rows follows what is actually alive.
/// One arena: the worker threads' freed columns are then reused by the others too.
fn tune_the_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning; called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}
