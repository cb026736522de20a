//! clusterscore scores industrial clusters and enterprises against criteria written in TOML
//! rules files and produces ranked tier assessments with the evidence behind every number.
//!
//! The pipeline: [`rules`] (TOML → validated rules) → [`expr`] (formulas parsed once,
//! evaluated over whole columns) → [`data`] (CSV readers, columnar dataset) → [`engine`]
//! (methods, aggregation, gates, ranking, tiers) → [`analysis`] → [`report`] → `cli`.
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
