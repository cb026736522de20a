//! Whole pipeline: the input is `rules text` NUL `data bytes` (no NUL: the fixed data).
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let (rules, csv) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, common::DATA.as_bytes()),
    };
    let Ok(rules) = std::str::from_utf8(rules) else { return };
    common::run(rules, csv);
});
