//! `weights --ahp` as a library call: a matrix file's AHP weights with each expert's
//! consistency, the refusal of an inconsistent matrix at the judgement to revise, the report
//! (text or JSON), and the weights written into a rules file (SPEC §8, §12 "Weights").

use std::path::Path;

use serde::Serialize;

use super::ahp::{
    AhpMatrix, AhpPriority, AhpResult, RiTable, ahp_by, group_matrix, judgements_as_far,
    most_inconsistent, parse_ahp_toml_noting, show_judgement,
};
use super::rewrite::{Level, write_weights};
use crate::diag::{Diagnostic, Error, Result, SourceText, Stage, did_you_mean_help, truncate};
use crate::rules::Rules;

/// One expert's consistency ratio in a group judgement (the only one for a single matrix).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExpertConsistency {
    /// The expert's `name`, if the file gives one.
    pub name: Option<String>,
    /// CR of the expert's own matrix.
    pub cr: f64,
    /// CR < 0.1 for the expert's own matrix.
    pub consistent: bool,
}

/// The AHP weights of a matrix file: the items in the file's order, the weights of the
/// (combined) matrix, its consistency, and each expert's CR. Serialises as the JSON report
/// of `weights --ahp --format json`.
#[derive(Debug, Clone, Serialize)]
pub struct AhpWeights {
    /// The names compared, in the file's order.
    pub items: Vec<String>,
    /// The priority weights (sum 1), one per item.
    pub weights: Vec<f64>,
    /// λmax of the (combined) matrix.
    pub lambda_max: f64,
    /// Consistency index (λmax − n)/(n − 1).
    pub ci: f64,
    /// The random index used.
    pub ri: f64,
    /// Consistency ratio CI / RI.
    pub cr: f64,
    /// The RI table's name (`saaty` or `cn_textbook`).
    pub ri_table: String,
    /// How the weights were taken from the matrix (in JSON `eigenvector`, `geometric-mean`
    /// or `column-average`, [`AhpPriority::name`]).
    pub priority: AhpPriority,
    /// CR < 0.1.
    pub consistent: bool,
    /// Each expert's CR, in the file's order.
    pub experts: Vec<ExpertConsistency>,
    #[serde(skip)]
    source: SourceText,
    #[serde(skip)]
    combined: AhpMatrix,
    /// The warning for judgements off Saaty's scale, if any.
    #[serde(skip)]
    off_scale: Option<String>,
    /// Rounded decimals read as the exact reciprocal (`0.333` against 3 as 1/3).
    #[serde(skip)]
    rounded: Vec<String>,
}

/// What writing AHP weights into a rules file gives: the new text and what to warn of.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightsWritten {
    /// The rules file with the new weights (comments and layout kept).
    pub text: String,
    /// Warnings about the change (e.g. criteria of several weighted dimensions compared).
    pub warnings: Vec<String>,
    /// What the compared items' weights (or points) added up to before: each item's new
    /// value is its AHP weight times this, so the others keep their share.
    pub shared: f64,
}

impl AhpWeights {
    /// Reads an AHP matrix file (UTF-8) and computes its weights; see [`AhpWeights::from_str`].
    pub fn from_path(path: &Path, table: RiTable, allow_inconsistent: bool) -> Result<AhpWeights> {
        AhpWeights::from_path_by(path, table, AhpPriority::Eigenvector, allow_inconsistent)
    }

    /// [`AhpWeights::from_path`] with the weights taken by `priority`.
    pub fn from_path_by(
        path: &Path,
        table: RiTable,
        priority: AhpPriority,
        allow_inconsistent: bool,
    ) -> Result<AhpWeights> {
        let name = path.display().to_string();
        let text = crate::diag::read_utf8_file(path, &name, "AHP matrix file")?;
        AhpWeights::from_str_by(&text, &name, table, priority, allow_inconsistent)
    }

    /// The weights of the matrix (or the experts' geometric-mean matrix) in `text`. A matrix
    /// with CR ≥ 0.1 is refused, at the judgement furthest from the weights, unless
    /// `allow_inconsistent`.
    pub fn from_str(
        text: &str,
        file_name: &str,
        table: RiTable,
        allow_inconsistent: bool,
    ) -> Result<AhpWeights> {
        AhpWeights::from_str_by(
            text,
            file_name,
            table,
            AhpPriority::Eigenvector,
            allow_inconsistent,
        )
    }

    /// [`AhpWeights::from_str`] with the weights (and so λmax, CI and CR, each expert's
    /// too) taken by `priority`.
    pub fn from_str_by(
        text: &str,
        file_name: &str,
        table: RiTable,
        priority: AhpPriority,
        allow_inconsistent: bool,
    ) -> Result<AhpWeights> {
        let source = SourceText::new(file_name.to_string(), text.to_string());
        let (matrices, rounded) = parse_ahp_toml_noting(text, file_name)?;
        let mut experts = Vec::with_capacity(matrices.len());
        for m in &matrices {
            let r = ahp_by(m.matrix.view(), table, priority)?;
            experts.push(ExpertConsistency {
                name: m.name.clone(),
                cr: r.cr,
                consistent: r.is_consistent(),
            });
        }
        let combined = group_matrix(&matrices).ok_or_else(|| {
            Error::one(Diagnostic::new(
                Stage::Rules,
                format!("{file_name}: no matrix found"),
            ))
        })?;
        let res = ahp_by(combined.matrix.view(), table, priority)?;
        if !res.is_consistent() && !allow_inconsistent {
            return Err(Error::one(inconsistent(
                &source, &matrices, &combined, &res, &experts,
            )));
        }
        Ok(AhpWeights {
            items: combined.items.clone(),
            weights: res.weights.to_vec(),
            lambda_max: res.lambda_max,
            ci: res.ci,
            ri: res.ri,
            cr: res.cr,
            ri_table: res.ri_table.name().to_string(),
            priority: res.priority,
            consistent: res.is_consistent(),
            experts,
            off_scale: off_scale(&source, &matrices),
            rounded,
            source,
            combined,
        })
    }

    /// Judgements outside Saaty's scale (1/9 to 9), which AHP accepts but which seldom are
    /// meant (a 90 for a 9, a huge value that makes one item's weight all): one warning
    /// naming each, with where it is written, the first ten of them.
    pub fn off_scale_warning(&self) -> Option<String> {
        self.off_scale.clone()
    }

    /// For a group: one warning naming the experts whose own matrix has CR ≥ 0.1. The
    /// geometric mean can be consistent when they are not, so their judgements are still
    /// combined; a panel usually asks them to revise first.
    pub fn expert_warning(&self) -> Option<String> {
        if self.experts.len() < 2 {
            return None;
        }
        let off: Vec<String> = self
            .experts
            .iter()
            .enumerate()
            .filter(|(_, e)| !e.consistent)
            .map(|(k, e)| {
                let who = match &e.name {
                    Some(n) => format!("expert {} ('{n}')", k + 1),
                    None => format!("expert {}", k + 1),
                };
                format!("{who} CR = {}", show_cr(e.cr))
            })
            .collect();
        if off.is_empty() {
            return None;
        }
        let one = off.len() == 1;
        let combined = if self.consistent {
            format!(
                " (the combined matrix is consistent, CR = {})",
                show_cr(self.cr)
            )
        } else {
            String::new()
        };
        Some(format!(
            "{} of {} experts {} not consistent on their own (CR ≥ 0.1): {}; their judgements \
             are combined as written{combined}; the usual practice is to ask {} to revise \
             before combining, or to leave {} out",
            off.len(),
            self.experts.len(),
            if one { "is" } else { "are" },
            off.join(", "),
            if one { "that expert" } else { "those experts" },
            if one { "that matrix" } else { "those matrices" },
        ))
    }

    /// One warning per judgement printed as a rounded decimal (`0.333` against 3) and read
    /// as the exact reciprocal: the weights are those of the exact matrix.
    pub fn rounded_warnings(&self) -> &[String] {
        &self.rounded
    }
}

/// The warning of [`AhpWeights::off_scale_warning`] for the matrices read from `source`.
fn off_scale(source: &SourceText, matrices: &[AhpMatrix]) -> Option<String> {
    let mut found = Vec::new();
    for m in matrices {
        let n = m.items.len();
        for ((i, j), &x) in m.matrix.indexed_iter() {
            // Each pair once: the entry above the diagonal (the one below is its inverse);
            // within 1 % of the ends (`0.111` for 1/9).
            if j <= i || (1.0 / 9.0 * 0.99..=9.0 * 1.01).contains(&x) {
                continue;
            }
            let at = m.entry_spans.get(i * n + j).map(|sp| {
                let (line, col) = source.line_col(sp.start);
                format!(" ({}:{line}:{col})", source.name)
            });
            found.push(format!(
                "{} vs {} = {}{}",
                m.items[i],
                m.items[j],
                show_judgement(x),
                at.unwrap_or_default()
            ));
        }
    }
    if found.is_empty() {
        return None;
    }
    let total = found.len();
    found.truncate(10);
    Some(format!(
        "{} outside Saaty's scale of 1/9 to 9: {}{}; the weights use {} as written",
        crate::diag::agree(total, "a judgement is", "judgements are"),
        found.join(", "),
        if total > 10 {
            format!(" and {} more", total - 10)
        } else {
            String::new()
        },
        crate::diag::agree(total, "it", "them"),
    ))
}

impl AhpWeights {
    /// The plain-text report: each expert's CR for a group, each item's weight, and the
    /// consistency line.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        if self.experts.len() > 1 {
            s.push_str(&format!(
                "{} experts combined by the geometric mean of judgements\n",
                self.experts.len()
            ));
            for (k, e) in self.experts.iter().enumerate() {
                s.push_str(&format!(
                    "  {}: CR = {}{}\n",
                    e.name
                        .clone()
                        .unwrap_or_else(|| format!("expert {}", k + 1)),
                    show_cr(e.cr),
                    if e.consistent {
                        ""
                    } else {
                        " — NOT consistent"
                    }
                ));
            }
        }
        if self.priority != AhpPriority::Eigenvector {
            s.push_str(&format!(
                "weights by {}; λmax is the mean of (A·w)_i / w_i\n",
                self.priority.describe()
            ));
        }
        for (i, w) in self.items.iter().zip(&self.weights) {
            s.push_str(&format!("{i:<24} {w:.4}\n"));
        }
        s.push_str(&format!(
            "λmax = {}, CI = {}, RI = {:.2} ({} table), CR = {} — {}\n",
            four_decimals(self.lambda_max),
            four_decimals(self.ci),
            self.ri,
            self.ri_table,
            show_cr(self.cr),
            if self.consistent {
                "consistent (CR < 0.1)"
            } else {
                "NOT consistent (CR ≥ 0.1)"
            }
        ));
        s
    }

    /// The JSON report (pretty-printed, with a final line end).
    pub fn to_json(&self) -> String {
        format!(
            "{}\n",
            serde_json::to_string_pretty(self).expect("AHP weights serialise")
        )
    }

    /// The rules file at `into` with these weights in place of the current ones at `level`:
    /// the items share the total they had, the others keep theirs. An item that is not an id
    /// at that level is an error at its place in the matrix file.
    pub fn write_into(&self, into: &Path, level: Level) -> Result<WeightsWritten> {
        // Compiled for its checks: weights are not written into a file that does not compile.
        let compiled = Rules::from_path(into)?.compile()?;
        let into_name = into.display().to_string();
        let text = std::fs::read_to_string(into).map_err(|e| Error::io(&into_name, &e))?;
        self.write_into_rules(compiled.rules(), &text, &into_name, level)
    }

    /// [`AhpWeights::write_into`] for a rules file already read: `r` compiled from `text`.
    fn write_into_rules(
        &self,
        r: &Rules,
        text: &str,
        into_name: &str,
        level: Level,
    ) -> Result<WeightsWritten> {
        let items = &self.items;
        let mut warnings = Vec::new();
        // Criteria of different dimensions with dimension weights: each dimension's weight
        // decides its share whatever its criteria's points, so the judgement between them
        // changes no score. Said, not silently written.
        if level == Level::Criteria && r.dimensions.iter().any(|d| d.weight.is_some()) {
            let mut dims: Vec<&str> = r
                .criteria
                .iter()
                .filter(|c| items.contains(&c.id.value))
                .map(|c| c.dimension.value.as_str())
                .collect();
            dims.sort_unstable();
            dims.dedup();
            if dims.len() > 1 {
                warnings.push(format!(
                    "the criteria compared belong to {} dimensions ({}) whose weights in {into_name} set each dimension's share: their new points change scores only within a dimension; compare the dimensions with --level dimensions",
                    dims.len(),
                    dims.join(", "),
                ));
            }
        }
        let current = current_weights(r, level);
        let kind = if level == Level::Dimensions {
            "dimension"
        } else {
            "criterion"
        };
        // Items that are all ids of the other level: one error that names the level to use.
        let other: Vec<&str> = match level {
            Level::Dimensions => r.criteria.iter().map(|c| c.id.value.as_str()).collect(),
            Level::Criteria => r.dimensions.iter().map(|d| d.id.value.as_str()).collect(),
        };
        if !items.iter().any(|i| current.iter().any(|(id, _)| id == i))
            && items.iter().all(|i| other.contains(&i.as_str()))
        {
            let (are, use_level, this_level) = match level {
                Level::Dimensions => ("criterion", "criteria", "dimensions"),
                Level::Criteria => ("dimension", "dimensions", "criteria"),
            };
            return Err(Error::one(
                Diagnostic::new(
                    Stage::Usage,
                    format!(
                        "the AHP items ({}) are {are} ids of {into_name}, and --level \
                         {this_level} writes {kind} weights",
                        truncate(&items.join(", "), 200),
                    ),
                )
                .with_help(format!("use --level {use_level}")),
            ));
        }
        let mut errors = Vec::new();
        for (k, i) in items.iter().enumerate() {
            if current.iter().any(|(id, _)| id == i) {
                continue;
            }
            let ids = current.iter().map(|(id, _)| id.as_str());
            let listed: Vec<&str> = ids.clone().collect();
            let help = match did_you_mean_help(i, ids) {
                Some(h) => format!("{h} ({kind} ids of {into_name}: {})", listed.join(", ")),
                None => format!("the {kind} ids of {into_name} are: {}", listed.join(", ")),
            };
            let d = Diagnostic::new(
                Stage::Rules,
                format!(
                    "AHP item '{}' is not a {kind} id of {into_name}",
                    truncate(i, 200),
                ),
            )
            .with_help(truncate(&help, 600));
            errors.push(match self.combined.item_spans.get(k) {
                Some(span) => d.in_source(&self.source, *span),
                None => d.at(self.source.name.clone()),
            });
        }
        if !errors.is_empty() {
            return Err(Error::many(errors));
        }
        let listed_total: f64 = current
            .iter()
            .filter(|(id, _)| items.contains(id))
            .map(|(_, v)| v)
            .sum();
        let new: Vec<(String, f64)> = current
            .iter()
            .map(|(id, v)| match items.iter().position(|i| i == id) {
                Some(k) => (id.clone(), self.weights[k] * listed_total),
                None => (id.clone(), *v),
            })
            .collect();
        Ok(WeightsWritten {
            text: write_weights(text, level, &new)?,
            warnings,
            shared: listed_total,
        })
    }
}

/// The weights a rules file gives at `level`: each dimension's `weight` (or, when not every
/// dimension has one, the sum of its criteria's points), or each criterion's points. Dimension
/// weights written for the first time add up to `scale` when the file has one (the same
/// relative weights), as `weights --write` does.
fn current_weights(r: &Rules, level: Level) -> Vec<(String, f64)> {
    let current: Vec<(String, f64)> = match level {
        Level::Dimensions => {
            let weighted = r.dimensions.iter().all(|d| d.weight.is_some());
            r.dimensions
                .iter()
                .map(|d| {
                    let points: f64 = r
                        .criteria
                        .iter()
                        .filter(|c| c.dimension.value == d.id.value)
                        .map(|c| c.points.value)
                        .sum();
                    let w = if weighted {
                        d.weight.as_ref().map_or(0.0, |w| w.value)
                    } else {
                        points
                    };
                    (d.id.value.clone(), w)
                })
                .collect()
        }
        Level::Criteria => r
            .criteria
            .iter()
            .map(|c| (c.id.value.clone(), c.points.value))
            .collect(),
    };
    match r.settings.scale {
        Some(scale)
            if level == Level::Dimensions && r.dimensions.iter().all(|d| d.weight.is_none()) =>
        {
            let sum: f64 = current.iter().map(|(_, v)| v).sum();
            if sum > 0.0 {
                current
                    .into_iter()
                    .map(|(id, v)| (id, v * scale / sum))
                    .collect()
            } else {
                current
            }
        }
        _ => current,
    }
}

/// A consistency ratio to four decimals; just below 0.1 it shows 0.0999 rather than round up
/// to 0.1000, so that the number shown and the verdict ("consistent (CR < 0.1)") agree.
fn show_cr(cr: f64) -> String {
    if (0.09995..0.1).contains(&cr) {
        "0.0999".to_string()
    } else {
        four_decimals(cr)
    }
}

/// λmax, CI or CR to four decimals; from a million on in scientific notation (a judgement of
/// 1e300 would otherwise print some three hundred digits).
fn four_decimals(x: f64) -> String {
    if x.abs() >= 1e6 {
        format!("{x:.4e}")
    } else {
        format!("{x:.4}")
    }
}

/// The refusal of a matrix with CR ≥ 0.1: at the judgement that disagrees most with the
/// weights, with the value the weights give there. For a group, the pair is found in the
/// combined matrix and the place is that pair in the expert matrix furthest from the weights.
fn inconsistent(
    source: &SourceText,
    matrices: &[AhpMatrix],
    m: &AhpMatrix,
    res: &AhpResult,
    experts: &[ExpertConsistency],
) -> Diagnostic {
    let name = &source.name;
    // (λmax and CR depend on how the weights were taken: say so unless by the eigenvector.)
    let by = match res.priority {
        AhpPriority::Eigenvector => String::new(),
        p => format!(", {} weights", p.name()),
    };
    let mut message = format!(
        "the comparison matrix is inconsistent: CR = {} ≥ 0.1 ({} RI table{by}; λmax = {}, \
         CI = {}, RI = {:.2})",
        show_cr(res.cr),
        res.ri_table.name(),
        four_decimals(res.lambda_max),
        four_decimals(res.ci),
        res.ri
    );
    if experts.len() > 1 {
        let list: Vec<String> = experts
            .iter()
            .enumerate()
            .map(|(k, e)| match &e.name {
                Some(n) => format!("expert {} ('{n}') {}", k + 1, show_cr(e.cr)),
                None => format!("expert {} {}", k + 1, show_cr(e.cr)),
            })
            .collect();
        message.push_str(&format!(
            " for the geometric mean of {} experts (CR of each: {})",
            experts.len(),
            list.join(", ")
        ));
    }
    let worst = most_inconsistent(m.matrix.view(), &res.weights);
    let mut help = String::from("revise the judgements that contradict each other");
    let n = m.items.len();
    let mut span = None;
    if let Some((i, j, value, implied)) = worst {
        let of = if experts.len() > 1 {
            " of the combined matrix"
        } else {
            ""
        };
        // Judgements as far from the weights as this one (a cycle a > b > c > a makes all
        // of them so): then it is one of several, not the one to blame.
        let equally = judgements_as_far(m.matrix.view(), &res.weights);
        let tied = if equally > 1 {
            format!(
                " (one of {equally} judgements equally far: they contradict each other in a circle)"
            )
        } else {
            String::new()
        };
        message.push_str(&format!(
            "; the judgement furthest from the weights{of} is row {}, column {} ({} vs {}) = {}, \
             where the weights give {implied:.2}{tied}",
            i + 1,
            j + 1,
            m.items[i],
            m.items[j],
            show_judgement(value),
        ));
        help.push_str(&format!(", starting with {} vs {}", m.items[i], m.items[j]));
        span = m.entry_spans.get(i * n + j).copied();
        // A group: the expert whose judgement of that pair is furthest from the weights.
        let off = |e: &AhpMatrix| (e.matrix[[i, j]] / implied).ln().abs();
        if span.is_none()
            && let Some((k, e)) = matrices
                .iter()
                .enumerate()
                .filter(|(_, e)| e.matrix.dim() == (n, n) && off(e).is_finite())
                // Of experts who wrote the same, the one least consistent on their own.
                .max_by(|(ka, a), (kb, b)| {
                    off(a).total_cmp(&off(b)).then(
                        experts
                            .get(*ka)
                            .map(|e| e.cr)
                            .unwrap_or(0.0)
                            .total_cmp(&experts.get(*kb).map(|e| e.cr).unwrap_or(0.0)),
                    )
                })
        {
            let who = match &e.name {
                Some(name) => format!("expert {} ('{name}')", k + 1),
                None => format!("expert {}", k + 1),
            };
            message.push_str(&format!(
                "; {who} wrote {} there",
                show_judgement(e.matrix[[i, j]])
            ));
            span = e.entry_spans.get(i * n + j).copied();
        }
    }
    if experts.len() > 1 {
        let own: Vec<String> = experts
            .iter()
            .enumerate()
            .filter(|(_, e)| !e.consistent)
            .map(|(k, e)| match &e.name {
                Some(n) => format!("expert {} ('{n}')", k + 1),
                None => format!("expert {}", k + 1),
            })
            .collect();
        if !own.is_empty() {
            help.push_str(&format!(
                " ({} {} inconsistent on their own: revise {} first)",
                own.join(", "),
                if own.len() == 1 { "is" } else { "are" },
                if own.len() == 1 {
                    "that matrix"
                } else {
                    "those matrices"
                },
            ));
        }
    }
    help.push_str(", or pass --allow-inconsistent to use the weights anyway");
    let d = Diagnostic::new(Stage::Rules, message).with_help(help);
    match span {
        Some(span) => d.in_source(source, span),
        None => d.at(name.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::{assert_abs_diff_eq, assert_relative_eq};

    const SAATY_3: &str = "items = [\"scale\", \"innovation\", \"green\"]\n\
                           matrix = [[1, 3, 5], [\"1/3\", 1, 3], [\"1/5\", \"1/3\", 1]]\n";

    #[test]
    fn weights_and_consistency_of_a_single_matrix() {
        // Principal eigenvector of [[1,3,5],[1/3,1,3],[1/5,1/3,1]] (numpy.linalg.eig):
        // 0.63699, 0.25828, 0.10473; λmax 3.03851, CI 0.019256, CR = CI / 0.58.
        let w = AhpWeights::from_str(SAATY_3, "m.toml", RiTable::Saaty, false).unwrap();
        assert_eq!(w.items, ["scale", "innovation", "green"]);
        for (got, want) in w
            .weights
            .iter()
            .zip([0.636_985_57, 0.258_284_99, 0.104_729_43])
        {
            assert_relative_eq!(*got, want, max_relative = 1e-6);
        }
        assert_relative_eq!(w.lambda_max, 3.038_511_09, max_relative = 1e-8);
        assert_relative_eq!(w.ci, 0.019_255_545, max_relative = 1e-6);
        assert_relative_eq!(w.cr, 0.033_199_216, max_relative = 1e-6);
        assert!(w.consistent);
        assert_eq!(
            w.experts,
            [ExpertConsistency {
                name: None,
                cr: w.cr,
                consistent: true,
            }]
        );
        let text = w.to_text();
        assert!(text.contains("scale                    0.6370\n"), "{text}");
        assert!(
            text.ends_with("CR = 0.0332 — consistent (CR < 0.1)\n"),
            "{text}"
        );
        let json: serde_json::Value = serde_json::from_str(&w.to_json()).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(
            keys,
            [
                "items",
                "weights",
                "lambda_max",
                "ci",
                "ri",
                "cr",
                "ri_table",
                "priority",
                "consistent",
                "experts"
            ]
        );
        assert_eq!(json["ri_table"], "saaty");
        assert_eq!(json["priority"], "eigenvector");
        // The eigenvector needs no line of its own in the text; an approximation says which.
        assert!(!w.to_text().contains("weights by"));
        let g = AhpWeights::from_str_by(
            SAATY_3,
            "m.toml",
            RiTable::Saaty,
            AhpPriority::GeometricMean,
            false,
        )
        .unwrap();
        assert!(
            g.to_text()
                .starts_with("weights by the geometric mean of each row, normalised (方根法); ")
        );
        assert_eq!(g.priority, AhpPriority::GeometricMean);
        assert_eq!(
            g.to_json()
                .matches("\"priority\": \"geometric-mean\"")
                .count(),
            1
        );
    }

    #[test]
    fn an_inconsistent_matrix_is_refused_at_a_judgement_unless_allowed() {
        // A cycle (a ≫ b ≫ c ≫ a): equal weights, λmax = 1 + 9 + 1/9 = 10.111, CR ≈ 6.13.
        let text = "items = [\"a\", \"b\", \"c\"]\nmatrix = [[1, 9, \"1/9\"], [\"1/9\", 1, 9], [9, \"1/9\", 1]]\n";
        let err = AhpWeights::from_str(text, "m.toml", RiTable::Saaty, false).unwrap_err();
        let shown = err.to_string();
        assert!(shown.contains("CR = 6.1303 ≥ 0.1"), "{shown}");
        assert!(shown.contains("m.toml:2:"), "{shown}");
        assert!(shown.contains("--allow-inconsistent"), "{shown}");
        // In a cycle every judgement is as far from the weights: said so.
        assert!(
            shown.contains(
                "(one of 3 judgements equally far: they contradict each other in a circle)"
            ),
            "{shown}"
        );
        // One judgement out of line in a 4×4 (w ∝ 8, 4, 2, 1, but d over a written 4): it alone.
        let one = "items = [\"a\", \"b\", \"c\", \"d\"]\nmatrix = [[1, 2, 4, 8], [\"1/2\", 1, 2, \"1/4\"], [\"1/4\", \"1/2\", 1, 2], [\"1/8\", 4, \"1/2\", 1]]\n";
        let shown = AhpWeights::from_str(one, "m.toml", RiTable::Saaty, false)
            .unwrap_err()
            .to_string();
        assert!(shown.contains("row 2, column 4 (b vs d) = 1/4"), "{shown}");
        assert!(!shown.contains("equally far"), "{shown}");
        let w = AhpWeights::from_str(text, "m.toml", RiTable::Saaty, true).unwrap();
        assert!(!w.consistent);
        assert!(w.to_text().ends_with("NOT consistent (CR ≥ 0.1)\n"));
    }

    #[test]
    fn an_expert_inconsistent_on_their_own_is_warned_of_in_a_consistent_group() {
        // Three experts give the consistent a = 3b = 9c; 丁 the cycle a ≻ b ≻ c ≻ a at 3,
        // whose λmax = 1 + 3 + 1/3, so CR = (4/3 / 2) / 0.58 = 1.1494. The geometric mean
        // (a:b = 3, b:c = 3, a:c = (9³ / 3)^¼ = 3.948) has CR = 0.0654.
        let consistent = "matrix = [[1, 3, 9], [\"1/3\", 1, 3], [\"1/9\", \"1/3\", 1]]\n";
        let cycle = "matrix = [[1, 3, \"1/3\"], [\"1/3\", 1, 3], [3, \"1/3\", 1]]\n";
        let mut text = String::from("items = [\"a\", \"b\", \"c\"]\n");
        for _ in 0..3 {
            text.push_str("[[expert]]\n");
            text.push_str(consistent);
        }
        text.push_str("[[expert]]\nname = \"丁\"\n");
        text.push_str(cycle);
        let w = AhpWeights::from_str(&text, "g.toml", RiTable::Saaty, false).unwrap();
        assert!(w.consistent);
        assert_abs_diff_eq!(w.experts[3].cr, (4.0 / 3.0) / 2.0 / 0.58, epsilon = 1e-9);
        assert!(!w.experts[3].consistent && w.experts[0].consistent);
        let warning = w.expert_warning().expect("a warning");
        assert!(
            warning.starts_with(
                "1 of 4 experts is not consistent on their own (CR ≥ 0.1): expert 4 ('丁') CR = 1.1494;"
            ),
            "{warning}"
        );
        assert!(
            warning.contains("the combined matrix is consistent, CR = 0.0654"),
            "{warning}"
        );
        assert!(w.to_text().contains("  丁: CR = 1.1494 — NOT consistent\n"));
        assert!(w.to_json().contains("\"consistent\": false"));
        // Without 丁, and for a single inconsistent matrix, there is nothing to warn of.
        let three = text[..text.find("[[expert]]\nname").unwrap()].to_string();
        let w = AhpWeights::from_str(&three, "g.toml", RiTable::Saaty, false).unwrap();
        assert_eq!(w.expert_warning(), None);
        let single = format!("items = [\"a\", \"b\", \"c\"]\n{cycle}");
        let w = AhpWeights::from_str(&single, "m.toml", RiTable::Saaty, true).unwrap();
        assert_eq!(w.expert_warning(), None);
    }

    #[test]
    fn an_inconsistent_group_points_at_the_expert_inconsistent_on_their_own() {
        // 乙 and expert 3 both wrote b vs c = 3, the pair furthest from the combined
        // weights; 乙's own matrix is the inconsistent one, so the place is 乙's.
        let text = "items = [\"a\", \"b\", \"c\", \"d\"]
[[expert]]
name = \"甲\"
matrix = [[1,3,5,7],[\"1/3\",1,3,5],[\"1/5\",\"1/3\",1,3],[\"1/7\",\"1/5\",\"1/3\",1]]
[[expert]]
name = \"乙\"
matrix = [[1,9,\"1/5\",7],[\"1/9\",1,3,\"1/7\"],[5,\"1/3\",1,5],[\"1/7\",7,\"1/5\",1]]
[[expert]]
matrix = [[1,3,5,7],[\"1/3\",1,3,5],[\"1/5\",\"1/3\",1,3],[\"1/7\",\"1/5\",\"1/3\",1]]
";
        let err = AhpWeights::from_str(text, "g.toml", RiTable::Saaty, false).unwrap_err();
        let shown = err.to_string();
        assert!(shown.contains("expert 2 ('乙') wrote 3 there"), "{shown}");
        assert!(shown.contains("g.toml:7:"), "{shown}");
        assert!(
            shown.contains(
                "(expert 2 ('乙') is inconsistent on their own: revise that matrix first)"
            ),
            "{shown}"
        );
    }

    #[test]
    fn huge_statistics_are_shown_in_scientific_notation() {
        // A judgement of 1e300 against 1: λmax and CR near 1e299, not three hundred digits.
        let text =
            "items = [\"a\", \"b\", \"c\"]\nmatrix = [[1, 1e300, 1], [1e-300, 1, 1], [1, 1, 1]]\n";
        let shown = AhpWeights::from_str(text, "m.toml", RiTable::Saaty, false)
            .unwrap_err()
            .to_string();
        let cr = shown
            .split("CR = ")
            .nth(1)
            .and_then(|t| t.split(' ').next())
            .unwrap();
        assert!(cr.contains('e') && cr.len() < 12, "{shown}");
        assert_eq!(four_decimals(3.03851), "3.0385");
        assert_eq!(four_decimals(3.448e289), "3.4480e289");
    }

    #[test]
    fn writing_into_rules_shares_the_listed_items_total() {
        let dir = tempfile::tempdir().unwrap();
        let rules = dir.path().join("r.toml");
        std::fs::write(
            &rules,
            "[rules]\nname = \"t\"\nid = \"id\"\n\n\
             [[indicator]]\nid = \"x\"\n\n\
             [[dimension]]\nid = \"scale\"\nweight = 50\n\n\
             [[dimension]]\nid = \"innovation\"\nweight = 30\n\n\
             [[dimension]]\nid = \"green\"\nweight = 20\n\n\
             [[criterion]]\nid = \"a\"\ndimension = \"scale\"\nindicator = \"x\"\npoints = 10\nmethod = \"linear\"\nfloor = 0\ntarget = 1\n\n\
             [[criterion]]\nid = \"b\"\ndimension = \"innovation\"\nindicator = \"x\"\npoints = 10\nmethod = \"linear\"\nfloor = 0\ntarget = 1\n\n\
             [[criterion]]\nid = \"c\"\ndimension = \"green\"\nindicator = \"x\"\npoints = 10\nmethod = \"linear\"\nfloor = 0\ntarget = 1\n",
        )
        .unwrap();
        let w = AhpWeights::from_str(SAATY_3, "m.toml", RiTable::Saaty, false).unwrap();
        let written = w.write_into(&rules, Level::Dimensions).unwrap();
        let after = Rules::from_str_named(&written.text, "r.toml").unwrap();
        // The three dimensions had 100 between them: 63.6986, 25.8285, 10.4729 (6 decimals).
        let weights: Vec<f64> = after
            .dimensions
            .iter()
            .map(|d| d.weight.as_ref().unwrap().value)
            .collect();
        for (got, want) in weights.iter().zip([63.698_557, 25.828_499, 10.472_943]) {
            assert_relative_eq!(*got, want, epsilon = 2e-6);
        }
        assert_relative_eq!(weights.iter().sum::<f64>(), 100.0, epsilon = 1e-9);
        // Dimension ids at the criteria level: one error naming the level to use.
        let err = w
            .write_into(&rules, Level::Criteria)
            .unwrap_err()
            .to_string();
        assert!(err.contains("are dimension ids of"), "{err}");
        assert!(err.contains("use --level dimensions"), "{err}");
    }
}
