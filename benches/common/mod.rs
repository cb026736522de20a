//! Shared set-up of the benches: a seeded generator of the enterprise CSV of
//! `../shared/perf/gen.py` (same columns, same kinds of values, ~2 % empty cells; not the
//! same numbers — numpy's generators are not reproduced) and helpers that read and compile.
//!
//! Everything here runs outside the timed closures.

#![allow(dead_code)]

use clusterscore::engine::{CompiledRules, Dataset};
use clusterscore::rules::Rules;
use std::fmt::Write as _;
use std::path::PathBuf;

/// The benchmark rules (a copy of `../shared/perf/bench.toml`).
pub const BENCH_TOML: &str = include_str!("../bench.toml");

/// The header written by [`enterprise_csv`] (gen.py's order).
pub const HEADER: &str = "id,name,region,revenue,revenue_prev,net_profit,tax_paid,employees,\
debt_ratio,rd_expense,rd_staff,invention_patents,utility_patents,software_copyrights,high_tech,\
digital_level,smart_workshops,it_invest_ratio,zjtx,energy_intensity,water_recycling,\
green_factory,env_cert,env_violations";

const REGIONS: [&str; 16] = [
    "济南", "青岛", "淄博", "枣庄", "东营", "烟台", "潍坊", "济宁", "泰安", "威海", "日照", "临沂",
    "德州", "聊城", "滨州", "菏泽",
];
const PREFIX: [&str; 8] = [
    "华兴", "鲁泰", "金鼎", "恒信", "宏达", "瑞丰", "东岳", "海晶",
];
const TRADE: [&str; 6] = ["精密", "机械", "化工", "纺织", "电子", "食品"];
const SUFFIX: [&str; 3] = ["科技", "股份", "实业"];

/// SplitMix64: small, seeded, the same on every platform.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize % n.max(1)
    }
    pub fn normal(&mut self) -> f64 {
        let u = self.unit().max(1e-300);
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
    pub fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }
    /// Poisson (normal approximation above 30).
    pub fn poisson(&mut self, lambda: f64) -> u64 {
        if lambda > 30.0 {
            return (lambda + lambda.sqrt() * self.normal()).round().max(0.0) as u64;
        }
        let l = (-lambda).exp();
        let (mut k, mut p) = (0u64, 1.0);
        loop {
            p *= self.unit();
            if p <= l {
                return k;
            }
            k += 1;
        }
    }
}

/// `rows` enterprises as CSV text (UTF-8, no BOM, `\n` line ends), like gen.py.
pub fn enterprise_csv(rows: usize, seed: u64) -> String {
    let mut r = Rng::new(seed);
    let mut s = String::with_capacity(rows * 125 + 400);
    s.push_str(HEADER);
    s.push('\n');
    for i in 0..rows {
        let revenue = r.lognormal(3000.0, 1.3).max(50.0);
        let growth = (0.08 + 0.2 * r.normal()).clamp(-0.8, 3.0);
        let margin = 0.06 + 0.08 * r.normal();
        let tax = revenue * r.lognormal(0.03, 0.5).min(0.3);
        let employees = (revenue / r.lognormal(60.0, 0.6)).round().max(1.0);
        let debt = (0.44 + 0.16 * r.normal()).clamp(0.0, 1.0) * 100.0;
        let mut rd_ratio = r.lognormal(2.2, 0.8).min(15.0);
        if r.unit() < 0.08 {
            rd_ratio = 0.0;
        }
        let rd_staff = (employees * (0.14 + 0.08 * r.normal()).clamp(0.0, 1.0)).round();
        let boost = 1.0 + rd_ratio / 5.0;
        let lam = r.lognormal(1.5, 1.2).min(200.0) * boost;
        let inv = r.poisson(lam);
        let lam = r.lognormal(4.0, 1.0).min(200.0) * boost;
        let util = r.poisson(lam);
        let lam = r.lognormal(2.0, 1.2).min(200.0);
        let soft = r.poisson(lam);
        let high_tech = r.unit() < 1.0 / (1.0 + (-(rd_ratio - 4.0) / 1.2).exp());
        let digital = 1 + r.below(5);
        let smart = r.poisson((0.15 * (revenue.log10() - 2.0).powi(2)).clamp(0.02, 8.0));
        let it = r.lognormal(1.0, 0.8).min(20.0);
        let zjtx = u8::from(r.unit() < 0.02 + if rd_ratio > 3.0 { 0.08 } else { 0.0 });
        let energy = r.lognormal(0.15, 0.9);
        let water = (0.75 + 0.14 * r.normal()).clamp(0.0, 1.0) * 100.0;
        let green = u8::from(r.unit() < 0.08);
        let cert = u8::from(r.unit() < 0.30);
        let viol = if r.unit() < 0.03 { 1 + r.below(3) } else { 0 };
        let name = format!(
            "{}{}{}",
            PREFIX[r.below(PREFIX.len())],
            TRADE[r.below(TRADE.len())],
            SUFFIX[r.below(SUFFIX.len())]
        );
        let _ = write!(
            s,
            "E{:08},{name},{}",
            i + 1,
            REGIONS[r.below(REGIONS.len())]
        );
        let cells: [String; 21] = [
            format!("{revenue:.2}"),
            format!("{:.2}", revenue / (1.0 + growth)),
            format!("{:.2}", revenue * margin),
            format!("{tax:.2}"),
            format!("{employees}"),
            format!("{debt:.2}"),
            format!("{:.2}", revenue * rd_ratio / 100.0),
            format!("{rd_staff}"),
            inv.to_string(),
            util.to_string(),
            soft.to_string(),
            (if high_tech { "是" } else { "否" }).to_string(),
            digital.to_string(),
            smart.to_string(),
            format!("{it:.2}"),
            zjtx.to_string(),
            format!("{energy:.3}"),
            format!("{water:.1}"),
            green.to_string(),
            cert.to_string(),
            viol.to_string(),
        ];
        for c in cells {
            s.push(',');
            if r.unit() >= 0.02 {
                s.push_str(&c);
            }
        }
        s.push('\n');
    }
    s
}

/// Writes `bytes` to a fresh temporary file named `name` and returns its path (kept for the
/// life of the process: the directory is leaked on purpose).
pub fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = tempfile::tempdir().expect("temp dir");
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).expect("write temp file");
    std::mem::forget(dir);
    p
}

pub fn compile(toml: &str) -> CompiledRules {
    Rules::from_str_named(toml, "bench.toml")
        .expect("rules parse")
        .compile()
        .expect("rules compile")
}

/// Reads a CSV file with the columns `rules` need.
pub fn read(rules: &CompiledRules, path: &PathBuf) -> Dataset {
    rules
        .read_data(std::slice::from_ref(path), &rules.read_options())
        .expect("data reads")
}

/// The enterprise data set of `rows` rows, in memory, read as `rules` needs it.
pub fn dataset(rules: &CompiledRules, rows: usize, seed: u64) -> Dataset {
    let p = temp_file("ent.csv", enterprise_csv(rows, seed).as_bytes());
    read(rules, &p)
}

/// Row counts of the scaling benches: 10³ … 10⁶, capped by `BENCH_MAX_ROWS` if set.
pub fn sizes() -> Vec<usize> {
    let max: usize = std::env::var("BENCH_MAX_ROWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    [1_000, 10_000, 100_000, 1_000_000]
        .into_iter()
        .filter(|&n| n <= max)
        .collect()
}
