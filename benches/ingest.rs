//! CSV ingest: the enterprise file (bench.toml's columns) read into typed columns, from a
//! UTF-8 file and from the same text saved as GBK (decoded as GB18030).

mod common;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

fn ingest(c: &mut Criterion) {
    let rules = common::compile(common::BENCH_TOML);
    let mut g = c.benchmark_group("ingest");
    g.sample_size(10);
    for n in common::sizes().into_iter().filter(|&n| n >= 10_000) {
        let text = common::enterprise_csv(n, 42);
        let utf8 = common::temp_file("ent_utf8.csv", text.as_bytes());
        let (gbk_bytes, _, _) = encoding_rs::GB18030.encode(&text);
        let gbk = common::temp_file("ent_gbk.csv", &gbk_bytes);
        g.throughput(Throughput::Elements(n as u64));
        g.measurement_time(Duration::from_secs(if n >= 1_000_000 { 10 } else { 3 }));
        for (enc, path) in [("utf8", &utf8), ("gbk", &gbk)] {
            g.bench_with_input(BenchmarkId::new(enc, n), path, |b, p| {
                b.iter(|| black_box(common::read(&rules, p)))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, ingest);
criterion_main!(benches);
