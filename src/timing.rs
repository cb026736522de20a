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
            eprintln!("  {phase}: {:.3} s", (now - t).as_secs_f64());
        }
    }
    *last = Some(now);
}
