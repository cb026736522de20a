//! Integration tests: one binary (links once) with a module per concern.

mod analysis;
mod bad_inputs;
mod browser;
mod cli;
mod engine_cases;
mod library;
mod packs;
mod properties;
mod published;
mod report;
mod rules_keys;
mod shipped;
mod spec_trace;
mod support;
