//! SPEC §9's library path, as the README shows it: rules → compile → data → assess → JSON.
//!
//!     cargo run --example library_path

use clusterscore::engine::{AssessOptions, Dataset};
use clusterscore::rules::Rules;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rules = Rules::from_path("rules/liaocheng-benchmark.toml")?.compile()?;
    let data = rules.read_data(
        &["fixtures/liaocheng-2023.csv".into()],
        &rules.read_options(),
    )?;
    // Or, without the rules: every column typed from its cells.
    let _plain = Dataset::from_path("fixtures/liaocheng-2023.csv")?;
    let assessment = rules.assess(&data, &AssessOptions::default())?;
    println!("{}", clusterscore::report::to_json(&assessment));
    Ok(())
}
