//! The hot path: compiled rules + a data set in memory → `Assessment`.
//!
//! - `bench_toml/N`: the shared benchmark rules (`../shared/perf/bench.toml`) at 10³…10⁶ rows,
//!   with per-entity results (what JSON, Markdown, HTML and the analyses read);
//! - `bench_toml_columns/N`: the same, columns only (`Detail::Columns`, what CSV runs do);
//! - `method/<family>/N`: one criterion of each method family at 10³…10⁶ rows (columns only);
//! - `aggregation/<kind>/N`: the bench rules with additive / geometric / TOPSIS aggregation at
//!   10³…10⁶ rows (columns only);
//! - `rank_tiers/N`: ranking and tiers with quotas (`Evidence::rank` + `assign_tiers`) at
//!   10³…10⁵ rows.
//!
//! `BENCH_MAX_ROWS=100000 cargo bench --bench hot_path` skips the largest size.

mod common;

use clusterscore::engine::AssessOptions;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

fn opts() -> AssessOptions {
    AssessOptions {
        generated_at: Some("2026-01-01T00:00:00Z".into()),
        ..AssessOptions::default()
    }
}

fn bench_toml(c: &mut Criterion) {
    let rules = common::compile(common::BENCH_TOML);
    let mut g = c.benchmark_group("bench_toml");
    g.sample_size(10);
    for n in common::sizes() {
        let data = common::dataset(&rules, n, 42);
        g.throughput(Throughput::Elements(n as u64));
        g.measurement_time(Duration::from_secs(if n >= 100_000 { 8 } else { 3 }));
        g.bench_with_input(BenchmarkId::from_parameter(n), &data, |b, d| {
            b.iter(|| black_box(rules.assess_with(d, &opts()).expect("scores")))
        });
    }
    g.finish();
}

fn bench_toml_columns(c: &mut Criterion) {
    let rules = common::compile(common::BENCH_TOML);
    let mut g = c.benchmark_group("bench_toml_columns");
    g.sample_size(10);
    let columns = columns();
    for n in common::sizes() {
        let data = common::dataset(&rules, n, 42);
        g.throughput(Throughput::Elements(n as u64));
        g.measurement_time(Duration::from_secs(if n >= 100_000 { 8 } else { 3 }));
        g.bench_with_input(BenchmarkId::from_parameter(n), &data, |b, d| {
            b.iter(|| black_box(rules.assess_with(d, &columns).expect("scores")))
        });
    }
    g.finish();
}

/// Rules with one dimension and one criterion `c` over indicator `x`.
fn one_criterion(indicator: &str, criterion: &str) -> String {
    format!(
        r#"[rules]
name = "bench"
id = "id"
label = "name"

[[indicator]]
id = "x"
{indicator}

[[dimension]]
id = "d"

[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 10
{criterion}
"#
    )
}

fn families() -> Vec<(&'static str, String)> {
    let num = "column = \"revenue\"";
    vec![
        (
            "bands",
            one_criterion(
                num,
                "method = \"bands\"\nbands = [{ at_least = 100000, points = 10 }, { at_least = 20000, points = 7 }, { at_least = 5000, points = 4 }]",
            ),
        ),
        (
            "linear",
            one_criterion(num, "method = \"linear\"\nfloor = 0\ntarget = 20000"),
        ),
        ("minmax", one_criterion(num, "method = \"minmax\"")),
        ("zscore", one_criterion(num, "method = \"zscore\"")),
        ("percentile", one_criterion(num, "method = \"percentile\"")),
        (
            "levels",
            one_criterion(
                "column = \"region\"\nkind = \"category\"",
                "method = \"levels\"\nlevels = { \"济南\" = 10, \"青岛\" = 10, \"烟台\" = 8, \"潍坊\" = 6 }",
            ),
        ),
        (
            "formulas",
            one_criterion(
                "formula = \"if(employees > 0, rd_expense / revenue * 100 + rd_staff / employees, 0)\"",
                "method = \"linear\"\nfloor = 0\ntarget = 10",
            ),
        ),
    ]
}

/// Columns only (`Detail::Columns`): the batch path the method and aggregation benches
/// measure at every size (per-entity results at 10⁶ rows would cost ~6 GB and dwarf the
/// method; `bench_toml/N` measures them).
fn columns() -> AssessOptions {
    AssessOptions {
        detail: clusterscore::engine::Detail::Columns,
        ..opts()
    }
}

fn methods(c: &mut Criterion) {
    let columns = columns();
    let mut g = c.benchmark_group("method");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(3));
    for n in common::sizes() {
        let path = common::temp_file("ent.csv", common::enterprise_csv(n, 7).as_bytes());
        g.throughput(Throughput::Elements(n as u64));
        for (name, toml) in families() {
            let rules = common::compile(&toml);
            let data = common::read(&rules, &path);
            g.bench_with_input(BenchmarkId::new(name, n), &data, |b, d| {
                b.iter(|| black_box(rules.assess_with(d, &columns).expect("scores")))
            });
        }
    }
    g.finish();
}

fn aggregation(c: &mut Criterion) {
    let columns = columns();
    let mut g = c.benchmark_group("aggregation");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(4));
    for n in common::sizes() {
        let path = common::temp_file("ent.csv", common::enterprise_csv(n, 9).as_bytes());
        g.throughput(Throughput::Elements(n as u64));
        for kind in ["additive", "geometric", "topsis"] {
            let toml = common::BENCH_TOML.replace(
                "aggregation = \"additive\"",
                &format!("aggregation = \"{kind}\""),
            );
            let rules = common::compile(&toml);
            let data = common::read(&rules, &path);
            g.bench_with_input(BenchmarkId::new(kind, n), &data, |b, d| {
                b.iter(|| black_box(rules.assess_with(d, &columns).expect("scores")))
            });
        }
    }
    g.finish();
}

fn rank_tiers(c: &mut Criterion) {
    let rules = common::compile(common::BENCH_TOML);
    let mut g = c.benchmark_group("rank_tiers");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(3));
    // The ranking's input (the evidence) is kept only with per-entity results, whose set-up
    // at 10⁶ rows would need ~6 GB; at 10⁶ ranking and tiers are timed inside
    // `bench_toml_columns` (and phase by phase by `CLUSTERSCORE_TIMINGS=1`).
    for n in common::sizes().into_iter().filter(|&n| n <= 100_000) {
        let data = common::dataset(&rules, n, 11);
        let a = rules.assess_with(&data, &opts()).expect("scores");
        let ev = a.evidence.clone().expect("evidence");
        let scores: Vec<f64> = a.entities.iter().map(|e| e.score).collect();
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &scores, |b, s| {
            b.iter(|| {
                let (order, rank) = ev.rank(s);
                let tiers = ev.assign_tiers(s, &order);
                black_box((rank, tiers))
            })
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    bench_toml,
    bench_toml_columns,
    methods,
    aggregation,
    rank_tiers
);
criterion_main!(benches);
