//! Lints for `check`.
