//! Analyses over scored results: objective weights (entropy, CRITIC), AHP weights from
//! pairwise-comparison matrices, and rank correlations for `compare` and `sensitivity`.
//!
//! The computations read no files; the exceptions are `ahp_weights` (`AhpWeights::from_path`
//! reads an AHP matrix file, `write_into` rewrites a rules file) and `explain_in_data`, which
//! re-scores from a data set already read.

pub mod ahp;
pub mod ahp_weights;
pub mod compare;
pub mod correlation;
pub mod explain;
pub mod rewrite;
pub mod sensitivity;
pub mod weights;

pub use ahp::{
    AhpMatrix, AhpPriority, AhpResult, RiTable, ahp, ahp_by, geometric_mean, group_matrix,
    parse_ahp_toml, parse_ahp_toml_noting,
};
pub use ahp_weights::{AhpWeights, ExpertConsistency, WeightsWritten};
pub use correlation::{average_ranks, kendall_tau_b, pearson, spearman};
pub use weights::{
    CriterionWeight, DimensionWeight, ObjectiveMethod, ObjectiveWeights, WeightsFallback,
    critic_weights, entropy_weights, no_criterion_varies, objective,
};
