//! Shared by the fuzz targets: a small valid rules file and data set, and one full run.
#![allow(dead_code)]

use clusterscore::engine::{AssessOptions, Detail};
use clusterscore::report::{Format, OutEncoding, render};
use clusterscore::rules::Rules;
use std::path::PathBuf;

pub const RULES: &str = r#"[rules]
name = "fuzz"
id = "code"
label = "name"
[[indicator]]
id = "revenue"
[[indicator]]
id = "rd"
[[indicator]]
id = "national"
kind = "bool"
[[indicator]]
id = "region"
kind = "category"
[[dimension]]
id = "scale"
[[criterion]]
id = "rev"
dimension = "scale"
indicator = "revenue"
points = 60
method = "bands"
bands = [{ at_least = 100, points = 60 }, { at_least = 50, points = 40 }]
[[criterion]]
id = "rdl"
dimension = "scale"
indicator = "rd"
points = 40
method = "minmax"
[[gate]]
id = "g"
require = "revenue > 0"
[[tier]]
id = "gold"
min_score = 50
max_count = 1
"#;

pub const DATA: &str = "code,name,revenue,rd,national,region\nA,甲,120,4.5,是,east\nB,=乙,60,2,否,west\nC,丙,30,,否,east\n";

/// Rules text + data bytes → every output format, or a diagnostic. Never panics (that is
/// what the fuzzers check); diagnostics are rendered to exercise the snippet code.
pub fn run(rules: &str, data: &[u8]) {
    let compiled = match Rules::from_str_named(rules, "rules.toml").and_then(|r| r.compile()) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("data.csv");
    std::fs::write(&path, data).unwrap();
    let ds = match compiled.read_data(&[path], &compiled.read_options()) {
        Ok(d) => d,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let opts = AssessOptions {
        generated_at: Some("2026-01-01T00:00:00Z".into()),
        ..Default::default()
    };
    match compiled.assess_with(&ds, &opts) {
        Ok(a) => {
            for f in [Format::Json, Format::Csv, Format::Md] {
                let _ = render(&a, f, OutEncoding::default());
            }
            // Results built while written (what `score` does for JSON and Markdown) must
            // be the bytes of results built up front.
            let deferred = AssessOptions {
                detail: Detail::Deferred,
                ..opts
            };
            let d = compiled.assess_with(&ds, &deferred).expect("scores like the built run");
            for f in [Format::Json, Format::Md] {
                assert_eq!(
                    render(&d, f, OutEncoding::default()).ok(),
                    render(&a, f, OutEncoding::default()).ok(),
                    "deferred {f:?} differs"
                );
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}
