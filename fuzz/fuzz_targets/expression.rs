//! Expression parser, type checker and evaluator: the input is placed as a formula, an
//! exclude gate and a tier condition of a small valid rules file, then scored on fixed data.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Ok(expr) = std::str::from_utf8(data) else { return };
    // TOML literal strings cannot hold ''' ; such inputs are TOML errors, not expression ones.
    if expr.contains("'''") || expr.len() > 4096 {
        return;
    }
    let lit = format!("'''{expr}'''");
    let formula = common::RULES.replacen(
        "[[indicator]]\nid = \"national\"",
        &format!("[[indicator]]\nid = \"f\"\nformula = {lit}\n[[indicator]]\nid = \"national\""),
        1,
    );
    common::run(&formula, common::DATA.as_bytes());
    let gate = common::RULES.replacen("\"revenue > 0\"", &lit, 1);
    common::run(&gate, common::DATA.as_bytes());
    let tier = common::RULES.replacen("max_count = 1", &format!("max_count = 1\nrequires = [{lit}]"), 1);
    common::run(&tier, common::DATA.as_bytes());
});
