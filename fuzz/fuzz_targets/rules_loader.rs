//! Rules loader: arbitrary bytes → rules (loaded and compiled) or a diagnostic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(e) = clusterscore::rules::Rules::from_str_named(text, "rules.toml")
        .and_then(|r| r.compile())
    {
        let _ = e.to_string();
    }
});
