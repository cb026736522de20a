//! `CLUSTERSCORE_TIMINGS=1`: wall time of each phase of a run on stderr, for profiling
//! (docs/performance.md). Off, a mark costs one relaxed atomic load.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Instant;

static STATE: AtomicU8 = AtomicU8::new(0); // 0 unknown, 1 off, 2 on
static LAST: Mutex<Option<(Instant, f64)>> = Mutex::new(None);

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
    let cpu = cpu_seconds();
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((t, c)) = *last {
        // The purpose of this module is to print to stderr (a closed stderr is no reason to
        // panic).
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "  {phase}: {:.3} s, cpu {:.3} s, resident {} MB, peak {} MB",
            (now - t).as_secs_f64(),
            cpu - c,
            resident_mb(),
            peak_mb()
        );
    }
    *last = Some((now, cpu));
}

/// User and system CPU time of this process so far, all threads (Linux `/proc/self/stat`;
/// 0 elsewhere): the CPU of a phase against its wall time shows how many cores it kept busy.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which may hold spaces) in parentheses; utime and stime
    // are the 14th and 15th fields, in clock ticks (100 per second on Linux).
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: u64 = after
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|f| f.parse::<u64>().ok())
        .sum();
    ticks as f64 / 100.0
}

/// Resident memory of this process in MB (Linux `/proc/self/statm`; 0 elsewhere).
fn resident_mb() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096 / 1_000_000)
}

/// The most memory this process has held resident so far, in MB (Linux `VmHWM` of
/// `/proc/self/status`; 0 elsewhere). Unlike a parent's `wait4`, it does not count what the
/// process that spawned it held before the exec.
fn peak_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map_or(0, |kb| kb * 1024 / 1_000_000)
}
