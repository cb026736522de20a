//! clusterscore scores industrial clusters and enterprises against criteria written in TOML
//! rules files and produces ranked tier assessments with the evidence behind every number.
//!
//! The pipeline: [`rules`] (TOML → validated rules) → [`expr`] (formulas parsed once,
//! evaluated over whole columns) → [`data`] (CSV readers, columnar dataset) → [`engine`]
//! (methods, aggregation, gates, ranking, tiers) → [`analysis`] → [`report`]. The
//! `clusterscore` command is a thin shell over these modules.
//!
//! # Scoring a file
//!
//! [`Rules::from_path`] loads and checks a rules file, [`Rules::compile`] parses its
//! expressions once, [`CompiledRules::read_data`] reads the columns the rules use with the
//! rules' `[data]` options, and [`CompiledRules::assess`] scores them
//! ([`CompiledRules::assess_with`] takes [`AssessOptions`]: a year, columns only). The
//! [`Assessment`] is what `clusterscore score --format json` writes ([`report::to_json`]).
//!
//! ```
//! use clusterscore::Rules;
//!
//! let rules = Rules::from_path("rules/liaocheng-benchmark.toml")?.compile()?;
//! let data = rules.read_data(&["fixtures/liaocheng-2023.csv".into()], &rules.read_options())?;
//! let assessment = rules.assess(&data)?;
//! assert_eq!(assessment.summary.entities, 28);
//! let first = &assessment.entities[0];
//! assert_eq!(first.rank, Some(1));
//! let json = clusterscore::report::to_json(&assessment);
//! assert!(json.ends_with("}\n"));
//! # Ok::<(), clusterscore::Error>(())
//! ```
//!
//! # Data in memory
//!
//! A [`Table`] built from columns (a data frame, a database query) scores as a file would:
//! headers are folded the same way, and NaN is a missing value.
//!
//! ```
//! use clusterscore::column::{Column, TextColumn};
//! use clusterscore::{Dataset, Rules, Table};
//!
//! let rules = Rules::from_str(r#"
//! [rules]
//! name = "demo"
//! id = "id"
//! [[indicator]]
//! id = "sales"
//! column = "销售收入（亿元）"
//! [[dimension]]
//! id = "scale"
//! [[criterion]]
//! id = "sales_band"
//! dimension = "scale"
//! indicator = "sales"
//! points = 10
//! method = "bands"
//! bands = [{ at_least = 100, points = 10 }, { at_least = 50, points = 6 }]
//! "#)?.compile()?;
//! let table = Table::from_columns(
//!     "in-memory",
//!     vec!["id".into(), "销售收入（亿元）".into()],
//!     vec![
//!         Some(Column::Text(TextColumn::from_values(["A", "B", "C"].map(Some)))),
//!         Some(Column::Number(vec![120.0, 60.0, f64::NAN])),
//!     ],
//! )?;
//! let a = rules.assess(&Dataset::from_table(table))?;
//! // A ≥ 100 → 10 points; B ≥ 50 → 6; C missing → 0 (`missing = "zero"`, recorded).
//! let scores: Vec<(&str, f64)> = a.entities.iter().map(|e| (e.id.as_str(), e.score)).collect();
//! assert_eq!(scores, [("A", 10.0), ("B", 6.0), ("C", 0.0)]);
//! # Ok::<(), clusterscore::Error>(())
//! ```
//!
//! # Analyses
//!
//! They read an assessment made with the default [`engine::Detail::Entities`] (or the
//! leaner detail each command uses: `Evidence` for weights and sensitivity, `Explain` for
//! explain, `Deferred` for compare):
//! [`analysis::objective`] (entropy and CRITIC weights), [`analysis::ahp()`] with
//! [`analysis::parse_ahp_toml`], [`analysis::sensitivity::run`] (with
//! [`analysis::sensitivity::SensitivityOptions::for_rules`] and the assessment's
//! `evidence`), [`analysis::compare::compare`], and [`analysis::explain::explain_in_data`]
//! (what `clusterscore explain` prints; [`analysis::explain::explain_entity`] reads the
//! assessment alone and does not re-score from the data the options whose indicator other
//! rules read too).
#![deny(clippy::print_stdout, clippy::print_stderr, clippy::dbg_macro)]

pub mod analysis;
pub mod column;
pub mod data;
pub mod diag;
pub mod engine;
pub mod expr;
pub mod num;
pub mod report;
pub mod rules;
pub mod timing;

pub use data::Table;
pub use diag::{Error, Place, Result};
pub use engine::{AssessOptions, Assessment, CompiledRules, Dataset};
pub use rules::Rules;
