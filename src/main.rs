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
/// At most two arenas: per-thread arenas would each keep their own freed columns (at 10⁶
/// rows 410 MB peak instead of 350 MB); [`one_arena_for_a_columns_run`] narrows that to one
/// for a run that only moves columns.
fn tune_the_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning; called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// One arena for a run that works on whole columns only (`score` to CSV): every thread's
/// freed columns are then reused by all (at 10⁶ rows 1.02 s and 276 MB against 1.07 s and
/// 350 MB with two). Not for runs that build per-entity results: their threads allocate many
/// small values at once and would queue on the one lock (HTML 12 %, CRITIC weights 30 %
/// slower). Call before the worker threads first allocate (before the data is read).
pub(crate) fn one_arena_for_a_columns_run() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning; it takes the allocator's own lock.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}
