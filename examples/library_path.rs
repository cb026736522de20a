//! SPEC §9's library path, as the README shows it: rules → compile → data → assess → JSON.
//!
//!     cargo run --example library_path

use clusterscore::Rules;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rules = Rules::from_path("rules/liaocheng-benchmark.toml")?.compile()?;
    // With the rules' [data] options (the fixture marks unreported cells 未报送).
    let data = rules.read_data(
        &["fixtures/liaocheng-2023.csv".into()],
        &rules.read_options(),
    )?;
    let assessment = rules.assess(&data)?;
    // The bytes `clusterscore score --format json` writes (to_json ends in a newline).
    print!("{}", clusterscore::report::to_json(&assessment));
    Ok(())
}
