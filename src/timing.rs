//! `CLUSTERSCORE_TIMINGS=1`: wall time of each phase of a run on stderr, for profiling
//! (docs/performance.md). Off, a mark costs one relaxed atomic load.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Instant;

static STATE: AtomicU8 = AtomicU8::new(0); // 0 unknown, 1 off, 2 on
static LAST: Mutex<Option<Instant>> = Mutex::new(None);

fn enabled() -> bool {
    match STATE.load(Ordering::Relaxed) {
        0 => {
            let on = std::env::var_os("CLUSTERSCORE_TIMINGS").is_some();
            STATE.store(if on { 2 } else { 1 }, Ordering::Relaxed);
            on
        }
        s => s == 2,
    }
}

/// Ends the phase running since the previous mark (or the first call) and names it.
pub fn mark(phase: &str) {
    if !enabled() {
        return;
    }
    let now = Instant::now();
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(t) = *last {
        // The purpose of this module is to print to stderr.
        #[allow(clippy::print_stderr)]
        {
            eprintln!(
                "  {phase}: {:.3} s, resident {} MB",
                (now - t).as_secs_f64(),
                resident_mb()
            );
        }
    }
    *last = Some(now);
}

/// Resident memory of this process in MB (Linux `/proc/self/statm`; 0 elsewhere).
fn resident_mb() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096 / 1_000_000)
}
