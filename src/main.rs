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
