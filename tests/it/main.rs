//! Integration tests: one binary (links once) with a module per concern.

mod cli;
mod engine_cases;
mod packs;
mod shipped;
mod support;
