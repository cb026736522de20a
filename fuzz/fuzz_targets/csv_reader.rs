//! CSV reader with encoding detection: arbitrary bytes as the data file of a valid rules file.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    common::run(common::RULES, data);
});
