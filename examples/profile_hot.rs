//! Profiles the hot path on a real file: reads a CSV once, then scores it `REPS` times in
//! memory (columns only, as `score` does for CSV; `FULL=1` for per-entity results) and
//! prints the wall times. With `CLUSTERSCORE_TIMINGS=1` each run prints its phases.
//!
//!     cargo build --release --example profile_hot
//!     CLUSTERSCORE_TIMINGS=1 target/release/examples/profile_hot \
//!         ../shared/perf/bench.toml /work/perfdata/ent_1m.csv 5
//!     perf record --call-graph dwarf target/release/examples/profile_hot RULES DATA 5

use clusterscore::engine::{AssessOptions, Detail};
use clusterscore::rules::Rules;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, rules_path, data_path, rest @ ..] = args.as_slice() else {
        return Err("usage: profile_hot RULES.toml DATA.csv [REPS]".into());
    };
    let reps: usize = rest.first().map_or(Ok(5), |s| s.parse())?;
    let toml = std::fs::read_to_string(rules_path)?;
    let rules = Rules::from_str_named(&toml, rules_path)
        .map_err(|e| format!("{e:?}"))?
        .compile()
        .map_err(|e| format!("{e:?}"))?;
    let path = std::path::PathBuf::from(data_path);
    let data = rules
        .read_data(std::slice::from_ref(&path), &rules.read_options())
        .map_err(|e| format!("{e:?}"))?;
    let opts = AssessOptions {
        detail: if std::env::var_os("FULL").is_some() {
            Detail::Entities
        } else {
            Detail::Columns
        },
        ..AssessOptions::default()
    };
    let mut times = Vec::with_capacity(reps);
    for _ in 0..reps.max(1) {
        clusterscore::timing::mark("previous run dropped");
        let t = Instant::now();
        let a = rules
            .assess_with(&data, &opts)
            .map_err(|e| format!("{e:?}"))?;
        times.push(t.elapsed().as_secs_f64());
        drop(a);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "runs (s): {times:.3?}; median {:.3} s",
        times[times.len() / 2]
    );
    Ok(())
}
