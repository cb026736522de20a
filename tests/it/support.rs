//! Helpers shared by the integration tests.

use clusterscore::engine::{AssessOptions, Assessment, Detail, EntityResult};
use clusterscore::rules::Rules;
use std::path::PathBuf;

/// Scores `csv` (UTF-8 text) with `rules` (TOML text); panics with the diagnostic on error.
pub fn score(rules: &str, csv: &str) -> Assessment {
    try_score(rules, csv).unwrap_or_else(|e| panic!("run failed:\n{e}"))
}

/// Scores and returns the error text on failure.
pub fn try_score(rules: &str, csv: &str) -> Result<Assessment, String> {
    try_score_with(rules, csv, Detail::Entities)
}

/// [`try_score`] building the per-entity `detail` asked for.
pub fn try_score_with(rules: &str, csv: &str, detail: Detail) -> Result<Assessment, String> {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data.csv");
    std::fs::write(&data, csv).unwrap();
    let compiled = Rules::from_str_named(rules, "rules.toml")
        .and_then(|r| r.compile())
        .map_err(|e| e.to_string())?;
    let ds = compiled
        .read_data(&[data], &compiled.read_options())
        .map_err(|e| e.to_string())?;
    compiled
        .assess_with(
            &ds,
            &AssessOptions {
                generated_at: Some("2026-01-01T00:00:00Z".into()),
                detail,
                ..Default::default()
            },
        )
        .map_err(|e| e.to_string())
}

pub fn entity<'a>(a: &'a Assessment, id: &str) -> &'a EntityResult {
    a.entities
        .iter()
        .find(|e| e.id == id)
        .unwrap_or_else(|| panic!("no entity {id}"))
}

/// The project root (for shipped rules and fixtures).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
