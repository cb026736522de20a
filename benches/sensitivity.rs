//! Sensitivity: 10,000 replications over 1,000 entities × 30 criteria (5 dimensions, three
//! tiers with quotas), the evidence built directly. Target: under 2 s on 2 cores.

use clusterscore::analysis::sensitivity::{SensitivityOptions, Vary, run};
use clusterscore::engine::evidence::{Evidence, TierRule};
use clusterscore::rules::{Aggregation, Direction};
use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::Array2;
use rand::{RngExt, SeedableRng};

fn evidence(n: usize, nc: usize) -> Evidence {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let fractions = Array2::from_shape_fn((n, nc), |_| rng.random_range(0.0..1.0));
    let nd = 5;
    let tier = |id: &str, min: f64, max_count: Option<u64>, top: Option<f64>| TierRule {
        id: id.into(),
        max_count,
        top_percent: top,
        min_score: clusterscore::engine::methods::ParamValues::Scalar(min),
        requires: vec![Some(true); n],
        direct: vec![false; n],
        direct_unknown: Vec::new(),
        requires_unmet: Vec::new(),
    };
    Evidence {
        fractions,
        points: vec![10.0; nc],
        dimension_of: (0..nc).map(|c| c % nd).collect(),
        weights: vec![30.0, 30.0, 15.0, 15.0, 10.0],
        scale: Some(100.0),
        aggregation: Aggregation::Additive,
        geometric_floor: 0.01,
        clamp: Some((0.0, 100.0)),
        decimals: 2,
        adjustment: vec![0.0; n],
        ranked: vec![true; n],
        cohort: vec![0; n],
        cohorts: 1,
        cohort_names: Vec::new(),
        ids: clusterscore::column::TextColumn::from_values(
            (0..n).map(|i| Some(format!("E{i:05}"))),
        ),
        tie_values: vec![(0..n).map(|i| i as f64).collect()],
        tie_directions: vec![Direction::Higher],
        tiers: vec![
            tier("national", 60.0, Some(10), None),
            tier("provincial", 55.0, Some(100), None),
            tier("benchmark", 50.0, None, Some(30.0)),
        ],
        cap: vec![None; n],
        params: Vec::new(),
        post: None,
    }
}

fn bench(c: &mut Criterion) {
    let ev = evidence(1000, 30);
    let opts = SensitivityOptions {
        runs: 10_000,
        noise: 0.2,
        seed: 42,
        vary: Vary::Weights,
        weights_given: true,
    };
    let mut g = c.benchmark_group("sensitivity");
    g.sample_size(10);
    g.bench_function("10k_runs_1000x30", |b| {
        b.iter(|| run(&ev, &opts, &|| {}).expect("valid options"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
