//! Expression evaluation: formulas compiled once and evaluated column-wise over 10⁵ and 10⁶
//! rows (numbers with ~2 % missing).

mod common;

use clusterscore::column::{Column, Type};
use clusterscore::expr::{self, Context, Env, ResolveError, Resolved, Scope};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

const NAMES: [&str; 4] = ["revenue", "revenue_prev", "employees", "rd_expense"];

struct Cols {
    rows: usize,
    cols: Vec<Column>,
}

impl Scope for Cols {
    fn resolve(&self, name: &str, _quoted: bool) -> Result<Resolved, ResolveError> {
        NAMES
            .iter()
            .position(|n| *n == name)
            .map(|slot| Resolved {
                slot,
                ty: Type::Number,
            })
            .ok_or_else(|| ResolveError::new(format!("unknown name '{name}'")))
    }
}

impl Env for Cols {
    fn rows(&self) -> usize {
        self.rows
    }
    fn column(&self, slot: usize) -> &Column {
        &self.cols[slot]
    }
}

fn columns(rows: usize) -> Cols {
    let mut r = common::Rng::new(5);
    let cols = (0..NAMES.len())
        .map(|_| {
            Column::Number(
                (0..rows)
                    .map(|_| {
                        if r.unit() < 0.02 {
                            f64::NAN
                        } else {
                            r.lognormal(3000.0, 1.3)
                        }
                    })
                    .collect(),
            )
        })
        .collect();
    Cols { rows, cols }
}

fn eval(c: &mut Criterion) {
    let formulas = [
        ("ratio", "(revenue / revenue_prev - 1) * 100"),
        (
            "nested",
            "if(employees > 0, rd_expense / revenue * 100, 0) + sqrt(max(revenue, 1))",
        ),
        (
            "condition",
            "revenue >= 5000 and not is_missing(employees) or rd_expense > 100",
        ),
    ];
    let mut g = c.benchmark_group("expr");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(3));
    for n in [100_000usize, 1_000_000] {
        let env = columns(n);
        g.throughput(Throughput::Elements(n as u64));
        for (name, src) in formulas {
            let prog = expr::parse_and_compile(src, &env, Context::Row).expect("compiles");
            g.bench_with_input(BenchmarkId::new(name, n), &env, |b, e| {
                b.iter(|| black_box(prog.eval(e)))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, eval);
criterion_main!(benches);
