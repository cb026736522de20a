//! AHP (层次分析法): pairwise-comparison matrices from TOML, priority weights by the principal
//! eigenvector, and the consistency check (SPEC §8 `weights --ahp`, §12 "Weights";
//! `standards/weighting-methods.md` §3).
//!
//! File format:
//!
//! ```toml
//! items  = ["scale", "innovation", "digital"]
//! matrix = [[1, 3, "1/2"], ["1/3", 1, "1/4"], [2, 4, 1]]
//! ```
//!
//! or, for a group judgement, one `[[expert]]` table per expert (optional `name`, required
//! `matrix`) sharing the top-level `items`; [`group_matrix`] combines them by the element-wise
//! geometric mean. Entries are numbers or strings `"a/b"` / `"a"`.

use ndarray::{Array1, Array2, ArrayView2};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diag::{Diagnostic, Error, SourceText, Span, Stage, did_you_mean_help};

/// The largest matrix the random-index tables cover.
pub const MAX_ITEMS: usize = 10;

/// Relative tolerance of the reciprocal check (a_ji against 1/a_ij) and the diagonal check.
pub const RECIPROCAL_TOLERANCE: f64 = 1e-6;

/// Consistency threshold: a matrix is acceptable when CR < 0.1.
pub const CR_THRESHOLD: f64 = 0.1;

const SAATY_RI: [f64; MAX_ITEMS] = [0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49];
const CN_TEXTBOOK_RI: [f64; MAX_ITEMS] = [0.0, 0.0, 0.52, 0.89, 1.12, 1.26, 1.36, 1.41, 1.46, 1.49];

/// Random-index (RI) table for CR = CI / RI. The two tables differ at n = 3, 4, 6, 7, 9.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RiTable {
    /// Saaty (1980), n ≤ 10: 0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49.
    /// The SPEC's default (§8, §12).
    #[default]
    Saaty,
    /// The "Chinese textbook" table printed in most Chinese 数学建模 textbooks:
    /// 0, 0, 0.52, 0.89, 1.12, 1.26, 1.36, 1.41, 1.46, 1.49.
    Textbook,
}

impl RiTable {
    /// The name used in rules files and reports: `saaty` or `cn_textbook`
    /// (as `standards/weighting-methods.md` names them).
    pub fn name(&self) -> &str {
        match self {
            RiTable::Saaty => "saaty",
            RiTable::Textbook => "cn_textbook",
        }
    }

    /// The table named `name` (`saaty`, or `textbook` alias `cn_textbook`, in any case).
    pub fn from_name(name: &str) -> Option<RiTable> {
        match name.to_ascii_lowercase().as_str() {
            "saaty" => Some(RiTable::Saaty),
            "cn_textbook" | "textbook" => Some(RiTable::Textbook),
            _ => None,
        }
    }

    /// RI for n = 1..=10 (index 0 is n = 1).
    pub fn values(&self) -> &'static [f64; MAX_ITEMS] {
        match self {
            RiTable::Saaty => &SAATY_RI,
            RiTable::Textbook => &CN_TEXTBOOK_RI,
        }
    }

    /// RI for an n×n matrix; n = 0 or n > 10 is an error.
    pub fn ri(&self, n: usize) -> Result<f64, Error> {
        if n == 0 || n > MAX_ITEMS {
            return Err(Diagnostic::new(
                Stage::Rules,
                format!(
                    "AHP compares 1 to {MAX_ITEMS} items, got {n}: CR is taken with RI for \
                     n ≤ {MAX_ITEMS} only (the '{}' table)",
                    self.name()
                ),
            )
            .with_help(
                "split the items into groups of at most 10 (a hierarchy) and compare within each",
            )
            .into());
        }
        Ok(self.values()[n - 1])
    }
}

/// How the priority weights are taken from a pairwise matrix. The eigenvector is SPEC's
/// (§12); the two approximations are what most Chinese textbooks and spreadsheets compute
/// (`standards/weighting-methods.md` §3), offered so their published weights, λmax, CI and
/// CR can be reproduced. All three agree on a consistent matrix and for n ≤ 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AhpPriority {
    /// The principal eigenvector (特征根法), normalised to sum 1.
    #[default]
    Eigenvector,
    /// The geometric mean of each row, normalised to sum 1 (方根法, 几何平均法).
    GeometricMean,
    /// Each column divided by its sum, then each row averaged (和积法, 和法).
    ColumnAverage,
}

impl AhpPriority {
    /// The name used in reports and on the command line: `eigenvector`, `geometric-mean`
    /// or `column-average`.
    pub fn name(&self) -> &'static str {
        match self {
            AhpPriority::Eigenvector => "eigenvector",
            AhpPriority::GeometricMean => "geometric-mean",
            AhpPriority::ColumnAverage => "column-average",
        }
    }

    /// The method named `name`: the names of [`AhpPriority::name`] (any case, `_` for
    /// `-`), the Chinese textbook names (特征根法, 方根法, 和积法, …), or the short forms
    /// `eigen`, `geometric`, `root`, `sum`.
    pub fn from_name(name: &str) -> Option<AhpPriority> {
        match name.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "eigenvector" | "eigen" | "特征根法" | "特征向量法" => {
                Some(AhpPriority::Eigenvector)
            }
            "geometric-mean" | "geometric" | "root" | "方根法" | "几何平均法" => {
                Some(AhpPriority::GeometricMean)
            }
            "column-average" | "sum" | "和积法" | "和法" | "算术平均法" => {
                Some(AhpPriority::ColumnAverage)
            }
            _ => None,
        }
    }

    /// How the report describes the method (with its Chinese name).
    pub fn describe(&self) -> &'static str {
        match self {
            AhpPriority::Eigenvector => "the principal eigenvector (特征根法)",
            AhpPriority::GeometricMean => "the geometric mean of each row, normalised (方根法)",
            AhpPriority::ColumnAverage => {
                "the row averages of the column-normalised matrix (和积法)"
            }
        }
    }
}

/// One pairwise-comparison matrix with the names of its rows/columns.
#[derive(Debug, Clone, PartialEq)]
pub struct AhpMatrix {
    /// The expert's `name` in the group form (`None` for a single matrix or an unnamed expert).
    pub name: Option<String>,
    /// The file's `items`: the names compared (e.g. dimension ids), in row and column order.
    pub items: Vec<String>,
    /// `matrix[[i, j]]`: how much more important `items[i]` is than `items[j]`.
    pub matrix: Array2<f64>,
    /// Where each item is written in the file (for messages); empty when not read from one.
    pub item_spans: Vec<Span>,
    /// Where each judgement is written, row by row (`entry_spans[i * n + j]`); empty when
    /// not read from a file (a group's combined matrix).
    pub entry_spans: Vec<Span>,
}

/// Weights and consistency of one matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct AhpResult {
    /// The priority weights (by `priority`), normalised to sum 1.
    pub weights: Array1<f64>,
    /// Mean of (A w)_i / w_i.
    pub lambda_max: f64,
    /// (λmax − n)/(n − 1); 0 for n ≤ 2.
    pub ci: f64,
    /// RI of the table for this n.
    pub ri: f64,
    /// CI / RI; 0 for n ≤ 2.
    pub cr: f64,
    /// The RI table `ri` was read from.
    pub ri_table: RiTable,
    /// How `weights` were taken from the matrix.
    pub priority: AhpPriority,
}

impl AhpResult {
    /// CR < 0.1 (always true for n ≤ 2).
    pub fn is_consistent(&self) -> bool {
        self.cr < CR_THRESHOLD
    }
}

const POWER_TOLERANCE: f64 = 1e-12;
const POWER_MAX_ITER: usize = 100_000;

/// Priority weights and consistency of a positive square matrix.
///
/// The principal eigenvector comes from power iteration (start 1/n, normalise to sum 1 each
/// step, stop when no component moves by 1e-12 or more, at most 100 000 steps; a positive
/// matrix has a strictly dominant eigenvalue, so it converges). λmax is the mean of
/// (A w)_i / w_i; CI = (λmax − n)/(n − 1), clamped at 0 against rounding (λmax ≥ n for a
/// positive reciprocal matrix); CR = CI / RI. For n ≤ 2, CI = CR = 0.
///
/// Errors: not square, empty, more than 10 items, or an entry not positive and finite.
/// Reciprocity and the diagonal are not checked here ([`parse_ahp_toml`] does).
pub fn ahp(m: ArrayView2<f64>, table: RiTable) -> Result<AhpResult, Error> {
    ahp_by(m, table, AhpPriority::Eigenvector)
}

/// [`ahp`] with the weights taken by `priority`. λmax is the mean of (A w)_i / w_i for
/// those weights, as the textbooks that use the approximations compute it (for the
/// eigenvector that mean is the eigenvalue itself).
pub fn ahp_by(
    m: ArrayView2<f64>,
    table: RiTable,
    priority: AhpPriority,
) -> Result<AhpResult, Error> {
    let (rows, cols) = m.dim();
    if rows != cols {
        return Err(rules_error(format!(
            "an AHP matrix must be square, got {rows} rows × {cols} columns"
        )));
    }
    let n = rows;
    let ri = table.ri(n)?;
    if let Some(((i, j), &x)) = m
        .indexed_iter()
        .find(|(_, x)| !(x.is_finite() && **x > 0.0))
    {
        return Err(rules_error(format!(
            "AHP judgements must be positive numbers; row {}, column {} is {x}",
            i + 1,
            j + 1
        )));
    }

    let w = match priority {
        AhpPriority::Eigenvector => principal_eigenvector(m),
        AhpPriority::GeometricMean => {
            // (Logs, not a product: ten judgements of 9 would still fit, but the mean of
            // logs is as exact and never overflows.)
            let g = m.map_axis(ndarray::Axis(1), |row| {
                (row.iter().map(|x| x.ln()).sum::<f64>() / n as f64).exp()
            });
            let total = g.sum();
            g / total
        }
        AhpPriority::ColumnAverage => {
            let sums = m.sum_axis(ndarray::Axis(0));
            let normalised = &m / &sums.insert_axis(ndarray::Axis(0));
            normalised.sum_axis(ndarray::Axis(1)) / n as f64
        }
    };
    let aw = m.dot(&w);
    let lambda_max = aw.iter().zip(&w).map(|(a, b)| a / b).sum::<f64>() / n as f64;
    let (ci, cr) = if n <= 2 {
        (0.0, 0.0)
    } else {
        let ci = ((lambda_max - n as f64) / (n as f64 - 1.0)).max(0.0);
        (ci, ci / ri)
    };
    Ok(AhpResult {
        weights: w,
        lambda_max,
        ci,
        ri,
        cr,
        ri_table: table,
        priority,
    })
}

/// The principal eigenvector of a positive matrix, normalised to sum 1, by power iteration.
fn principal_eigenvector(m: ArrayView2<f64>) -> Array1<f64> {
    let n = m.nrows();
    let mut w = Array1::from_elem(n, 1.0 / n as f64);
    for _ in 0..POWER_MAX_ITER {
        let mut next = m.dot(&w);
        next /= next.sum();
        let delta = next
            .iter()
            .zip(&w)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        w = next;
        if delta < POWER_TOLERANCE {
            break;
        }
    }
    w
}

/// Element-wise geometric mean of judgements (the standard way to combine a group's
/// matrices: it keeps the result reciprocal). Panics on an empty slice or differing shapes.
pub fn geometric_mean(ms: &[Array2<f64>]) -> Array2<f64> {
    assert!(!ms.is_empty(), "geometric_mean of no matrices");
    let dim = ms[0].dim();
    let mut acc = Array2::<f64>::zeros(dim);
    for m in ms {
        assert_eq!(m.dim(), dim, "geometric_mean: matrices differ in shape");
        acc.zip_mut_with(m, |a, &x| *a += x.ln());
    }
    let k = ms.len() as f64;
    acc.mapv_inplace(|s| (s / k).exp());
    acc
}

/// The matrix to weigh: the single matrix, or the geometric mean of several experts' (named
/// "geometric mean of N experts"). `None` for an empty slice.
pub fn group_matrix(ms: &[AhpMatrix]) -> Option<AhpMatrix> {
    match ms {
        [] => None,
        [one] => Some(one.clone()),
        many => {
            let matrices: Vec<Array2<f64>> = many.iter().map(|m| m.matrix.clone()).collect();
            Some(AhpMatrix {
                name: Some(format!("geometric mean of {} experts", many.len())),
                items: many[0].items.clone(),
                matrix: geometric_mean(&matrices),
                item_spans: many[0].item_spans.clone(),
                entry_spans: Vec::new(),
            })
        }
    }
}

/// The judgement that disagrees most with `weights`: the pair (i, j), i < j, whose
/// `a_ij · w_j / w_i` is furthest from 1 on a log scale, with `a_ij` and the ratio the
/// weights give, `w_i / w_j` (what a consistent matrix would hold there). `None` for fewer
/// than 2 items or weights that are not all positive and finite.
pub fn most_inconsistent(
    m: ArrayView2<f64>,
    weights: &Array1<f64>,
) -> Option<(usize, usize, f64, f64)> {
    let mut best: Option<(f64, (usize, usize, f64, f64))> = None;
    for (i, j, off, implied) in judgement_offsets(m, weights)? {
        if off.is_finite() && best.is_none_or(|(b, _)| off > b) {
            best = Some((off, (i, j, m[[i, j]], implied)));
        }
    }
    best.map(|(_, found)| found)
}

/// How many judgements are as far from `weights` as [`most_inconsistent`]'s (within
/// rounding): more than one in a cycle (a > b > c > a), and in every inconsistent 3×3
/// matrix, where no single judgement is to blame.
pub fn judgements_as_far(m: ArrayView2<f64>, weights: &Array1<f64>) -> usize {
    let Some(offsets) = judgement_offsets(m, weights) else {
        return 0;
    };
    let offs: Vec<f64> = offsets
        .map(|(_, _, off, _)| off)
        .filter(|o| o.is_finite())
        .collect();
    let furthest = offs.iter().copied().fold(0.0, f64::max);
    offs.iter()
        .filter(|&&o| o >= furthest * (1.0 - 1e-9))
        .count()
}

/// Each judgement above the diagonal, (i, j, |ln(a_ij · w_j / w_i)|, w_i / w_j); `None`
/// for a matrix not n×n or weights not all positive and finite.
fn judgement_offsets<'a>(
    m: ArrayView2<'a, f64>,
    weights: &'a Array1<f64>,
) -> Option<impl Iterator<Item = (usize, usize, f64, f64)> + 'a> {
    let n = weights.len();
    if m.dim() != (n, n) || weights.iter().any(|w| !(w.is_finite() && *w > 0.0)) {
        return None;
    }
    Some((0..n).flat_map(move |i| {
        (i + 1..n).map(move |j| {
            let implied = weights[i] / weights[j];
            (i, j, (m[[i, j]] / implied).ln().abs(), implied)
        })
    }))
}

/// A judgement for messages: whole numbers as "3", reciprocals of whole numbers as "1/3",
/// anything else with up to 6 significant decimals; far off the scale (a million or more,
/// or its reciprocal) in exponent form, `1e300`.
pub fn show_judgement(x: f64) -> String {
    if x.is_finite() && x != 0.0 && !(1e-6..1e6).contains(&x.abs()) {
        return format!("{x:e}");
    }
    show(x)
}

fn rules_error(message: String) -> Error {
    Error::one(Diagnostic::new(Stage::Rules, message))
}

// ---------------------------------------------------------------------------------------------
// Parsing

const TOP_KEYS: [&str; 3] = ["items", "matrix", "expert"];
const EXPERT_KEYS: [&str; 2] = ["name", "matrix"];
const SCALE_HELP: &str = "judgements use the 1–9 scale (1 equal, 3 moderate, 5 strong, \
                          7 very strong, 9 extreme); write reciprocals as \"1/3\"";

type Value<'i> = Spanned<DeValue<'i>>;

/// Parses an AHP matrix file. Returns one matrix for the single form, or one per
/// `[[expert]]` (in file order) for the group form; see [`group_matrix`].
///
/// Every problem found is reported (one diagnostic each, `file:line:col` with the source
/// line): TOML syntax, unknown keys, `items` (strings, not empty, no duplicates, at most 10),
/// the matrix shape (n rows of n entries, n = number of items), entries (numbers or "a/b"
/// strings, positive and finite), the diagonal (1) and reciprocity
/// (`a_ji = 1/a_ij` within 1e-6 relative). Rows and columns are 1-based and named by item.
///
/// A reciprocal printed as a rounded decimal (`0.333` or `0.33` against 3, `0.14` against 7,
/// as papers print their matrices) is read as the exact reciprocal when it is that
/// reciprocal rounded to the decimals written (two at least); see [`parse_ahp_toml_noting`]
/// for the notes that say so.
pub fn parse_ahp_toml(text: &str, file_name: &str) -> Result<Vec<AhpMatrix>, Error> {
    parse_ahp_toml_noting(text, file_name).map(|(m, _)| m)
}

/// [`parse_ahp_toml`], with a note per rounded decimal read as the exact reciprocal.
pub fn parse_ahp_toml_noting(
    text: &str,
    file_name: &str,
) -> Result<(Vec<AhpMatrix>, Vec<String>), Error> {
    let src = SourceText::new(file_name, text);
    let root = match DeTable::parse(text) {
        Ok(root) => root,
        Err(e) => return Err(crate::rules::toml_error(&src, &e).into()),
    };
    let mut p = Parser {
        src: &src,
        diags: Vec::new(),
        rounded: Vec::new(),
    };
    let out = p.document(root.get_ref());
    if p.diags.is_empty() {
        Ok((out, p.rounded))
    } else {
        Err(Error::many(p.diags))
    }
}

/// The decimal `written` (the judgement's source text, `0.333` or `"0.333"`) without its
/// quotes, when it is `exact` rounded to the decimals written, two at least: a reciprocal a
/// paper printed rounded. Either rounding of a half counts (1/8 printed `0.13` or `0.12`).
fn rounded_to_written(written: &str, exact: f64) -> Option<&str> {
    let t = written.trim().trim_matches(['"', '\'']).trim();
    let (whole, decimals) = t.split_once('.')?;
    if decimals.len() < 2
        || !decimals.bytes().all(|b| b.is_ascii_digit())
        || !whole.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let x: f64 = t.parse().ok()?;
    let half = 0.5 * 10f64.powi(-(decimals.len() as i32));
    ((x - exact).abs() <= half * (1.0 + 1e-9)).then_some(t)
}

struct Parser<'s> {
    src: &'s SourceText,
    diags: Vec<Diagnostic>,
    /// Rounded decimals read as the exact reciprocal, said in the run's warnings.
    rounded: Vec<String>,
}

impl Parser<'_> {
    fn error(&mut self, span: Option<Span>, message: String, help: Option<String>) {
        let d = Diagnostic::new(Stage::Rules, message).with_help_opt(help);
        let d = match span {
            Some(span) => d.in_source(self.src, span),
            None => d.at(self.src.name.clone()),
        };
        self.diags.push(d);
    }

    fn document(&mut self, root: &DeTable<'_>) -> Vec<AhpMatrix> {
        // A rules file given as the matrix (the two swapped): one error says so, instead of
        // one unknown key per table.
        let mut keys = root.iter();
        if let Some((key, _)) =
            keys.find(|(k, _)| ["rules", "criterion", "indicator"].contains(&k.get_ref().as_ref()))
            && root.get("matrix").is_none()
        {
            self.error(
                Some(key.span().into()),
                "this is a rules file, not an AHP pairwise-matrix file".into(),
                Some(
                    "give the matrix file (items = […], matrix = [[…]]) with --ahp; the rules file goes to --write-into"
                        .into(),
                ),
            );
            return Vec::new();
        }
        let (mut items_v, mut matrix_v, mut expert_v) = (None, None, None);
        for (key, value) in root.iter() {
            match key.get_ref().as_ref() {
                "items" => items_v = Some(value),
                "matrix" => matrix_v = Some((key, value)),
                "expert" => expert_v = Some((key, value)),
                other => {
                    let help = did_you_mean_help(other, TOP_KEYS)
                        .or_else(|| Some("expected `items`, `matrix` or `[[expert]]`".into()));
                    self.error(
                        Some(key.span().into()),
                        format!("unknown key '{other}' in the AHP matrix file"),
                        help,
                    );
                }
            }
        }
        let items = match items_v {
            Some(v) => self.items(v),
            None => {
                self.error(
                    None,
                    "missing `items`: the list of compared items".into(),
                    Some("add e.g. items = [\"scale\", \"innovation\", \"digital\"]".into()),
                );
                None
            }
        };
        let mut out = Vec::new();
        match (matrix_v, expert_v) {
            (Some(_), Some((key, _))) => self.error(
                Some(key.span().into()),
                "both a top-level `matrix` and `[[expert]]` tables: use one or the other".into(),
                None,
            ),
            (None, None) => self.error(
                None,
                "missing `matrix` (or `[[expert]]` tables, each with a `matrix`)".into(),
                Some("add e.g. matrix = [[1, 3], [\"1/3\", 1]], one row per item".into()),
            ),
            (Some((_, v)), None) => {
                if let Some((items, item_spans)) = &items
                    && let Some((matrix, entry_spans)) = self.matrix(v, items, "")
                {
                    out.push(AhpMatrix {
                        name: None,
                        items: items.clone(),
                        matrix,
                        item_spans: item_spans.clone(),
                        entry_spans,
                    });
                }
            }
            (None, Some((_, v))) => self.experts(v, items.as_ref(), &mut out),
        }
        out
    }

    fn items(&mut self, v: &Value<'_>) -> Option<(Vec<String>, Vec<Span>)> {
        let Some(array) = v.get_ref().as_array() else {
            self.error(
                Some(v.span().into()),
                format!(
                    "`items` must be an array of names, found {}",
                    v.get_ref().type_str()
                ),
                Some("write e.g. items = [\"scale\", \"innovation\"]".into()),
            );
            return None;
        };
        let before = self.diags.len();
        let mut names: Vec<String> = Vec::new();
        let spans: Vec<Span> = array.iter().map(|item| item.span().into()).collect();
        for (i, item) in array.iter().enumerate() {
            match item.get_ref().as_str() {
                Some(s) if !s.trim().is_empty() => {
                    if let Some(first) = names.iter().position(|n| n == s) {
                        self.error(
                            Some(item.span().into()),
                            format!(
                                "item '{s}' is listed twice (positions {} and {})",
                                first + 1,
                                i + 1
                            ),
                            None,
                        );
                    }
                    names.push(s.to_string());
                }
                Some(_) => self.error(
                    Some(item.span().into()),
                    format!("item {} of `items` is an empty name", i + 1),
                    None,
                ),
                None => self.error(
                    Some(item.span().into()),
                    format!(
                        "item {} of `items` must be a string, found {}",
                        i + 1,
                        item.get_ref().type_str()
                    ),
                    None,
                ),
            }
        }
        if array.is_empty() {
            self.error(
                Some(v.span().into()),
                "`items` is empty: list the compared items".into(),
                None,
            );
        } else if array.len() > MAX_ITEMS {
            self.error(
                Some(v.span().into()),
                format!(
                    "AHP compares at most {MAX_ITEMS} items (judgements on more are too many \
                     to keep consistent, and CR is taken with RI for n ≤ {MAX_ITEMS} only); \
                     `items` lists {}",
                    array.len()
                ),
                Some("split the items into groups of at most 10 and compare within each".into()),
            );
        }
        (self.diags.len() == before).then_some((names, spans))
    }

    fn experts(
        &mut self,
        v: &Value<'_>,
        items: Option<&(Vec<String>, Vec<Span>)>,
        out: &mut Vec<AhpMatrix>,
    ) {
        let tables: Option<Vec<&Value<'_>>> = v
            .get_ref()
            .as_array()
            .map(|a| a.iter().collect::<Vec<_>>())
            .filter(|a| a.iter().all(|t| t.get_ref().is_table()));
        let Some(tables) = tables.filter(|t| !t.is_empty()) else {
            self.error(
                Some(v.span().into()),
                "`expert` must be one or more [[expert]] tables, each with a `matrix`".into(),
                Some("write [[expert]] on its own line, then name = \"…\" and matrix = […]".into()),
            );
            return;
        };
        for (e, table_v) in tables.into_iter().enumerate() {
            let Some(table) = table_v.get_ref().as_table() else {
                continue;
            };
            let (mut name, mut matrix_v) = (None, None);
            for (key, value) in table.iter() {
                match key.get_ref().as_ref() {
                    "name" => match value.get_ref().as_str() {
                        Some(s) => name = Some(s.to_string()),
                        None => self.error(
                            Some(value.span().into()),
                            format!(
                                "expert {}: `name` must be a string, found {}",
                                e + 1,
                                value.get_ref().type_str()
                            ),
                            None,
                        ),
                    },
                    "matrix" => matrix_v = Some(value),
                    other => {
                        let help = did_you_mean_help(other, EXPERT_KEYS).or_else(|| {
                            Some("an [[expert]] table holds `name` and `matrix`".into())
                        });
                        self.error(
                            Some(key.span().into()),
                            format!("unknown key '{other}' in [[expert]] {}", e + 1),
                            help,
                        );
                    }
                }
            }
            let who = match &name {
                Some(n) => format!("expert {} ('{n}'): ", e + 1),
                None => format!("expert {}: ", e + 1),
            };
            let Some(matrix_v) = matrix_v else {
                self.error(
                    Some(table_v.span().into()),
                    format!("{who}missing `matrix`"),
                    None,
                );
                continue;
            };
            if let Some((items, item_spans)) = items
                && let Some((matrix, entry_spans)) = self.matrix(matrix_v, items, &who)
            {
                out.push(AhpMatrix {
                    name,
                    items: items.clone(),
                    matrix,
                    item_spans: item_spans.clone(),
                    entry_spans,
                });
            }
        }
    }

    /// One matrix, checked against `items`; `who` prefixes messages ("expert 2 ('Li'): ").
    /// Returns the matrix and where each entry is written (row by row).
    fn matrix(
        &mut self,
        v: &Value<'_>,
        items: &[String],
        who: &str,
    ) -> Option<(Array2<f64>, Vec<Span>)> {
        let n = items.len();
        let shape_help = || {
            Some(format!(
                "write {n} rows of {n} entries, in the order of `items`: {}",
                items.join(", ")
            ))
        };
        let Some(rows) = v.get_ref().as_array() else {
            self.error(
                Some(v.span().into()),
                format!(
                    "{who}`matrix` must be an array of rows, found {}",
                    v.get_ref().type_str()
                ),
                shape_help(),
            );
            return None;
        };
        if rows.len() != n {
            self.error(
                Some(v.span().into()),
                format!(
                    "{who}`matrix` has {} rows but `items` lists {n} ({})",
                    rows.len(),
                    items.join(", ")
                ),
                shape_help(),
            );
            return None;
        }
        let before = self.diags.len();
        let mut m = Array2::from_elem((n, n), f64::NAN);
        let mut spans = vec![Span::default(); n * n];
        for (i, row) in rows.iter().enumerate() {
            let entries = match row.get_ref().as_array() {
                Some(a) if a.len() == n => a,
                Some(a) => {
                    self.error(
                        Some(row.span().into()),
                        format!(
                            "{who}row {} ({}) has {} entries, expected {n} (one per item)",
                            i + 1,
                            items[i],
                            a.len()
                        ),
                        shape_help(),
                    );
                    continue;
                }
                None => {
                    self.error(
                        Some(row.span().into()),
                        format!(
                            "{who}row {} ({}) must be an array of {n} judgements, found {}",
                            i + 1,
                            items[i],
                            row.get_ref().type_str()
                        ),
                        shape_help(),
                    );
                    continue;
                }
            };
            for (j, entry) in entries.iter().enumerate() {
                spans[i * n + j] = entry.span().into();
                let at = format!(
                    "{who}row {}, column {} ({} vs {})",
                    i + 1,
                    j + 1,
                    items[i],
                    items[j]
                );
                match judgement(entry.get_ref()) {
                    Ok(x) if x.is_finite() && x > 0.0 => m[[i, j]] = x,
                    Ok(x) => self.error(
                        Some(entry.span().into()),
                        format!("{at}: a judgement must be a positive number, found {x}"),
                        Some(SCALE_HELP.into()),
                    ),
                    Err(msg) => self.error(
                        Some(entry.span().into()),
                        format!("{at}: {msg}"),
                        Some(SCALE_HELP.into()),
                    ),
                }
            }
        }
        if self.diags.len() > before {
            // Shape problems make the positions meaningless; bad entries are already reported.
            return None;
        }
        for i in 0..n {
            let x = m[[i, i]];
            if !close(x, 1.0) {
                self.error(
                    Some(spans[i * n + i]),
                    format!(
                        "{who}row {0}, column {0} ({1} vs {1}) is on the diagonal and must be 1, \
                         found {2}",
                        i + 1,
                        items[i],
                        show(x)
                    ),
                    None,
                );
            }
        }
        for i in 0..n {
            for j in i + 1..n {
                // The entry below 1 of a pair, printed as its reciprocal rounded (`0.333`
                // against 3): read as the exact reciprocal, and said.
                let (lo, hi) = if m[[i, j]] < m[[j, i]] {
                    ((i, j), (j, i))
                } else {
                    ((j, i), (i, j))
                };
                let at = spans[lo.0 * n + lo.1];
                if !close(m[[j, i]], 1.0 / m[[i, j]])
                    && m[lo] < 1.0
                    && let Some(written) = self.src.text.get(at.start..at.end)
                    && let Some(text) = rounded_to_written(written, 1.0 / m[hi])
                {
                    self.rounded.push(format!(
                        "{who}row {}, column {} ({} vs {}) written {} is read as {}, the reciprocal of row {}, column {} ({} vs {}) = {}",
                        lo.0 + 1,
                        lo.1 + 1,
                        items[lo.0],
                        items[lo.1],
                        text,
                        show(1.0 / m[hi]),
                        hi.0 + 1,
                        hi.1 + 1,
                        items[hi.0],
                        items[hi.1],
                        show(m[hi])
                    ));
                    m[lo] = 1.0 / m[hi];
                }
                if !close(m[[j, i]], 1.0 / m[[i, j]]) {
                    // The entry at fault: the lower one, unless only the lower one is a whole
                    // judgement (3 against a rounded 0.333 above it: the 0.333 is what to fix).
                    let whole = |x: f64| x >= 1.0 && x == x.round();
                    let (r, c) = if whole(m[[j, i]]) && !whole(m[[i, j]]) {
                        (i, j)
                    } else {
                        (j, i)
                    };
                    let (fault, other) = (m[[r, c]], m[[c, r]]);
                    let expected = 1.0 / other;
                    self.error(
                        Some(spans[r * n + c]),
                        format!(
                            "{who}row {}, column {} ({} vs {}) is {} but must be the reciprocal \
                             of row {}, column {} ({} vs {}) = {}, that is {}",
                            r + 1,
                            c + 1,
                            items[r],
                            items[c],
                            show(fault),
                            c + 1,
                            r + 1,
                            items[c],
                            items[r],
                            show(other),
                            show(expected)
                        ),
                        Some(format!(
                            "write \"{}\" (a fraction string is exact; a decimal is read as the \
                             reciprocal only when it is that reciprocal rounded to the decimals \
                             written, two at least: 0.33 or 0.333 for 1/3)",
                            show(expected)
                        )),
                    );
                }
            }
        }
        (self.diags.len() == before).then_some((m, spans))
    }
}

/// Equal within [`RECIPROCAL_TOLERANCE`], relative to the larger magnitude.
fn close(x: f64, y: f64) -> bool {
    (x - y).abs() <= RECIPROCAL_TOLERANCE * x.abs().max(y.abs())
}

/// A judgement from a TOML number or a string "a/b" or "a".
fn judgement(v: &DeValue<'_>) -> Result<f64, String> {
    match v {
        DeValue::Integer(i) => i64::from_str_radix(&i.as_str().replace('_', ""), i.radix())
            .map(|x| x as f64)
            .map_err(|_| format!("the integer {i} is out of range")),
        DeValue::Float(f) => match f.as_str().replace('_', "").parse::<f64>() {
            // (`inf` itself is left to the positivity check.)
            Ok(x) if x == f64::INFINITY && f.as_str().bytes().any(|b| b.is_ascii_digit()) => {
                Err(format!(
                    "the number {f} is too large to compute with (beyond 1.8e308); Saaty's scale runs from 1/9 to 9"
                ))
            }
            // `1e-400`: a positive number written, 0 read (the quoted form says the same).
            Ok(x) if x == 0.0 && !f.as_str().starts_with('-') && written_non_zero(f.as_str()) => {
                Err(format!(
                    "the number {f} is too small for a judgement (Saaty's scale runs from 1/9 to 9)"
                ))
            }
            Ok(x) => Ok(x),
            Err(_) => Err(format!("cannot read the number {f}")),
        },
        DeValue::String(s) => match fraction_parts(s) {
            Some((a, b)) => {
                let folded = crate::data::cell::fold_width(s);
                let (top, bottom) = folded.split_once('/').unwrap_or((&folded, "1"));
                let negative = a < 0.0 || top.trim_start().starts_with('-');
                let out_of_range = || {
                    format!(
                        "\"{s}\" is out of range for a judgement (Saaty's scale runs from 1/9 to 9)"
                    )
                };
                match a / b {
                    // "1/0", "0/0"; "0/1e-400" is a tiny denominator read as 0, not a zero.
                    _ if b == 0.0 && !written_non_zero(bottom) => Err(format!(
                        "\"{s}\" divides by zero: a judgement must be a positive number"
                    )),
                    x if b == 0.0 || x.is_nan() => Err(out_of_range()),
                    x if x == f64::INFINITY => Err(format!(
                        "\"{s}\" is too large to compute with (beyond 1.8e308); Saaty's scale runs from 1/9 to 9"
                    )),
                    // A positive number or fraction that underflows ("1e-400", "1/1e400"); a
                    // zero ("0", "0/1") or a negative one is left to the positivity check
                    // ("must be a positive number, found 0").
                    x if x == 0.0 && !negative && (a != 0.0 || written_non_zero(top)) => {
                        Err(format!(
                            "\"{s}\" is too small for a judgement (Saaty's scale runs from 1/9 to 9)"
                        ))
                    }
                    x => Ok(x),
                }
            }
            None => Err(format!(
                "cannot read \"{s}\" as a judgement: expected a number or a fraction like \"1/3\""
            )),
        },
        other => Err(format!(
            "expected a number or a fraction string like \"1/3\", found {}",
            other.type_str()
        )),
    }
}

/// The value of "a/b" or "a" ([`fraction_parts`]); `None` if unreadable or b = 0.
#[cfg(test)]
fn fraction(s: &str) -> Option<f64> {
    fraction_parts(s).and_then(|(a, b)| (b != 0.0).then_some(a / b))
}

/// Whether a number is written with a non-zero digit before any exponent (ASCII digits:
/// the caller folds full-width ones): "1e-400" is, "0" and "0e5" are not.
fn written_non_zero(number: &str) -> bool {
    let mantissa = number.split(['e', 'E']).next().unwrap_or_default();
    mantissa.bytes().any(|b| (b'1'..=b'9').contains(&b))
}

/// The numerator and denominator of "a/b" or "a" (b = 1) with decimal numbers a and b
/// (spaces allowed around each), b = 0 included, so that messages can tell "0/1" (zero)
/// from "1/0" (a division by zero); `None` if unreadable. Signs and special values are read
/// and left to the positivity check. Full-width digits and slash (`１／３`, typed with a
/// Chinese input method) and the fraction characters `½`…`⅑` read as their ASCII forms.
fn fraction_parts(s: &str) -> Option<(f64, f64)> {
    let folded = crate::data::cell::fold_width(s);
    let s = folded.trim();
    let vulgar = match s {
        "½" => Some(2.0),
        "⅓" => Some(3.0),
        "¼" => Some(4.0),
        "⅕" => Some(5.0),
        "⅙" => Some(6.0),
        "⅐" => Some(7.0),
        "⅛" => Some(8.0),
        "⅑" => Some(9.0),
        _ => None,
    };
    if let Some(b) = vulgar {
        return Some((1.0, b));
    }
    let number = |t: &str| -> Option<f64> {
        let t = t.trim();
        let ok = !t.is_empty()
            && t.chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
        if ok { t.parse::<f64>().ok() } else { None }
    };
    match s.split_once('/') {
        None => number(s).map(|a| (a, 1.0)),
        Some((a, b)) => Some((number(a)?, number(b)?)),
    }
}

/// A judgement for messages: whole numbers as "3", reciprocals of whole numbers as "1/3",
/// anything else with up to 6 significant decimals.
fn show(x: f64) -> String {
    let whole = |v: f64| v.is_finite() && (v - v.round()).abs() <= 1e-9 * v.abs().max(1.0);
    if x != 0.0 && x.abs() < 1e-6 {
        // Too small for six decimals (and for "whole", which would print 0).
        format!("{x:e}")
    } else if whole(x) {
        format!("{}", x.round())
    } else if x > 0.0 && x < 1.0 && whole(1.0 / x) {
        format!("1/{}", (1.0 / x).round())
    } else {
        let s = format!("{x:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use ndarray::array;

    /// Element-wise `assert_relative_eq!` (ndarray's `approx` feature is not enabled).
    fn all_close<'a>(actual: impl IntoIterator<Item = &'a f64>, expected: &[f64], eps: f64) {
        let actual: Vec<f64> = actual.into_iter().copied().collect();
        assert_eq!(actual.len(), expected.len(), "{actual:?} vs {expected:?}");
        for (a, e) in actual.iter().zip(expected) {
            assert_relative_eq!(*a, *e, epsilon = eps);
        }
    }

    fn parse_one(text: &str) -> AhpMatrix {
        let mut v = parse_ahp_toml(text, "ahp.toml").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v.len(), 1);
        v.remove(0)
    }

    fn parse_err(text: &str) -> String {
        match parse_ahp_toml(text, "ahp.toml") {
            Ok(m) => panic!("expected an error, got {m:?}"),
            Err(e) => e.to_string(),
        }
    }

    /// Saaty, T. L. (1990). How to make a decision: The analytic hierarchy process.
    /// European Journal of Operational Research 48, 9–26 — the house example, criteria
    /// matrix (size, transportation, neighborhood, age, yard, modern facilities, condition,
    /// financing). Published: priorities .173 .054 .188 .018 .031 .036 .167 .333,
    /// λmax = 9.669, CI = 0.238, CR = 0.169 (RI = 1.41). Checked independently with a
    /// Python power iteration: w = .1730 .0540 .1881 .0175 .0310 .0363 .1668 .3332,
    /// λmax = 9.668887, CI = 0.238412, CR = 0.169087.
    #[test]
    fn saaty_1990_house_example() {
        let text = r#"
items = ["size", "transport", "neighborhood", "age", "yard", "modern", "condition", "financing"]
matrix = [
  [1,     5,     3,     7, 6,     6,     "1/3", "1/4"],
  ["1/5", 1,     "1/3", 5, 3,     3,     "1/5", "1/7"],
  ["1/3", 3,     1,     6, 3,     4,     6,     "1/5"],
  ["1/7", "1/5", "1/6", 1, "1/3", "1/4", "1/7", "1/8"],
  ["1/6", "1/3", "1/3", 3, 1,     "1/2", "1/5", "1/6"],
  ["1/6", "1/3", "1/4", 4, 2,     1,     "1/5", "1/6"],
  [3,     5,     "1/6", 7, 5,     5,     1,     "1/2"],
  [4,     7,     5,     8, 6,     6,     2,     1],
]
"#;
        let m = parse_one(text);
        let r = ahp(m.matrix.view(), RiTable::Saaty).unwrap();
        let published = [0.173, 0.054, 0.188, 0.018, 0.031, 0.036, 0.167, 0.333];
        for (w, p) in r.weights.iter().zip(published) {
            assert_relative_eq!(*w, p, epsilon = 0.0006);
        }
        assert_relative_eq!(r.weights.sum(), 1.0, epsilon = 1e-12);
        assert_relative_eq!(r.lambda_max, 9.669, epsilon = 5e-4);
        assert_relative_eq!(r.ci, 0.238, epsilon = 5e-4);
        assert_relative_eq!(r.ri, 1.41);
        assert_relative_eq!(r.cr, 0.169, epsilon = 5e-4);
        // The independent computation, more digits.
        assert_relative_eq!(r.lambda_max, 9.668887317, epsilon = 1e-8);
        assert!(!r.is_consistent());
    }

    // w = (.5, .3, .2) → a_ij = w_i / w_j: [[1, 5/3, 5/2], [3/5, 1, 3/2], [2/5, 2/3, 1]].
    // A w = 3 w exactly, so λmax = 3, CI = CR = 0.
    #[test]
    fn consistent_matrix_gives_exact_weights() {
        let text = r#"
items = ["a", "b", "c"]
matrix = [[1, "5/3", "5/2"], ["3/5", 1, "3/2"], [0.4, "2/3", 1.0]]
"#;
        let m = parse_one(text);
        for table in [RiTable::Saaty, RiTable::Textbook] {
            let r = ahp(m.matrix.view(), table).unwrap();
            all_close(&r.weights, &[0.5, 0.3, 0.2], 1e-12);
            assert_relative_eq!(r.lambda_max, 3.0, epsilon = 1e-12);
            assert_relative_eq!(r.ci, 0.0, epsilon = 1e-12);
            assert_relative_eq!(r.cr, 0.0, epsilon = 1e-12);
            assert!(r.is_consistent());
        }
        // 4×4 with w ∝ (8, 4, 2, 1): a_ij = 2^(j−i).
        let m4 = Array2::from_shape_fn((4, 4), |(i, j)| 2f64.powi(j as i32 - i as i32));
        let r = ahp(m4.view(), RiTable::Saaty).unwrap();
        all_close(
            &r.weights,
            &[8.0 / 15.0, 4.0 / 15.0, 2.0 / 15.0, 1.0 / 15.0],
            1e-12,
        );
        assert_relative_eq!(r.cr, 0.0, epsilon = 1e-12);
    }

    // For a 3×3 reciprocal matrix λmax = 1 + t^(1/3) + t^(−1/3) with t = a12·a23/a13.
    // [[1, 4, 3], [1/4, 1, 2], [1/3, 1/2, 1]]: t = 4·2/3 = 8/3, t^(1/3) = 1.386722,
    // λmax = 1 + 1.386722 + 0.721125 = 3.107847, CI = 0.053923.
    // Saaty RI 0.58 → CR = 0.092971 < 0.1 (passes); textbook RI 0.52 → CR = 0.103699 (fails).
    #[test]
    fn the_textbook_approximations_follow_their_formulas() {
        let m = parse_one(
            r#"
items = ["a", "b", "c"]
matrix = [[1, 2, 5], ["1/2", 1, 2], ["1/5", "1/2", 1]]
"#,
        );
        // 方根法: the cube roots of the row products 10, 1 and 1/10, normalised.
        let g = [10f64.cbrt(), 1.0, 0.1f64.cbrt()];
        let total: f64 = g.iter().sum();
        let r = ahp_by(m.matrix.view(), RiTable::Saaty, AhpPriority::GeometricMean).unwrap();
        all_close(
            &r.weights,
            &[g[0] / total, g[1] / total, g[2] / total],
            1e-12,
        );
        assert_eq!(r.priority, AhpPriority::GeometricMean);
        // λmax = mean of (A w)_i / w_i for those weights; CI and CR from it.
        let w = [g[0] / total, g[1] / total, g[2] / total];
        let ratio =
            |i: usize, row: [f64; 3]| (row[0] * w[0] + row[1] * w[1] + row[2] * w[2]) / w[i];
        let lambda =
            (ratio(0, [1.0, 2.0, 5.0]) + ratio(1, [0.5, 1.0, 2.0]) + ratio(2, [0.2, 0.5, 1.0]))
                / 3.0;
        assert_relative_eq!(r.lambda_max, lambda, epsilon = 1e-12);
        assert_relative_eq!(r.ci, (lambda - 3.0) / 2.0, epsilon = 1e-12);
        assert_relative_eq!(r.cr, (lambda - 3.0) / 2.0 / 0.58, epsilon = 1e-12);
        // 和积法: the columns (sums 1.7, 3.5 and 8) normalised, then each row averaged.
        let r = ahp_by(m.matrix.view(), RiTable::Saaty, AhpPriority::ColumnAverage).unwrap();
        all_close(
            &r.weights,
            &[
                (1.0 / 1.7 + 2.0 / 3.5 + 5.0 / 8.0) / 3.0,
                (0.5 / 1.7 + 1.0 / 3.5 + 2.0 / 8.0) / 3.0,
                (0.2 / 1.7 + 0.5 / 3.5 + 1.0 / 8.0) / 3.0,
            ],
            1e-12,
        );
        // The three differ on an inconsistent matrix (in the fourth decimal here)…
        let e = ahp(m.matrix.view(), RiTable::Saaty).unwrap();
        assert_eq!(e.priority, AhpPriority::Eigenvector);
        assert!((e.weights[0] - r.weights[0]).abs() > 1e-4);
        // …and agree on a consistent one.
        let m4 = Array2::from_shape_fn((4, 4), |(i, j)| 2f64.powi(j as i32 - i as i32));
        for p in [AhpPriority::GeometricMean, AhpPriority::ColumnAverage] {
            let r = ahp_by(m4.view(), RiTable::Saaty, p).unwrap();
            all_close(
                &r.weights,
                &[8.0 / 15.0, 4.0 / 15.0, 2.0 / 15.0, 1.0 / 15.0],
                1e-12,
            );
            assert_relative_eq!(r.lambda_max, 4.0, epsilon = 1e-12);
        }
    }

    #[test]
    fn the_approximations_reproduce_published_textbook_weights() {
        // 姜启源《数学模型》, 旅游地选择: the criteria matrix, with the weights printed as
        // w = (0.263, 0.475, 0.055, 0.099, 0.110), λ = 5.073, CI = 0.018, CR = 0.016. The
        // weights (rounded in the book's intermediate steps) are within 0.0015 of every method;
        // λ is 和积法's (5.0729; the eigenvalue is 5.0721).
        let m = parse_one(
            r#"
items = ["scenery", "cost", "lodging", "food", "journey"]
matrix = [
  [1, "1/2", 4, 3, 3],
  [2, 1, 7, 5, 5],
  ["1/4", "1/7", 1, "1/2", "1/3"],
  ["1/3", "1/5", 2, 1, 1],
  ["1/3", "1/5", 3, 1, 1],
]
"#,
        );
        let r = ahp_by(m.matrix.view(), RiTable::Saaty, AhpPriority::ColumnAverage).unwrap();
        all_close(&r.weights, &[0.263, 0.475, 0.055, 0.099, 0.110], 1.5e-3);
        assert_relative_eq!(r.lambda_max, 5.073, epsilon = 2e-4);
        let e = ahp(m.matrix.view(), RiTable::Saaty).unwrap();
        assert!((e.lambda_max - 5.073).abs() > 5e-4);
        assert_relative_eq!(r.ci, 0.018, epsilon = 5e-4);
        assert_relative_eq!(r.cr, 0.016, epsilon = 5e-4);
        // A 安徽大学 course assignment (五一旅游地点评价指标体系), by 方根法: printed
        // ω = (0.1602, 0.4174, 0.2634, 0.0615, 0.0975), λmax = 5.0680, CI = 0.0170,
        // CR = 0.0152; the eigenvector gives 0.1599 and 0.4185 for the first two.
        let m = parse_one(
            r#"
items = ["scenery", "cost", "food", "lodging", "journey"]
matrix = [
  [1, "1/3", "1/2", 3, 2],
  [3, 1, 2, 5, 4],
  [2, "1/2", 1, 4, 3],
  ["1/3", "1/5", "1/4", 1, "1/2"],
  ["1/2", "1/4", "1/3", 2, 1],
]
"#,
        );
        let r = ahp_by(m.matrix.view(), RiTable::Saaty, AhpPriority::GeometricMean).unwrap();
        all_close(&r.weights, &[0.1602, 0.4174, 0.2634, 0.0615, 0.0975], 5e-5);
        assert_relative_eq!(r.lambda_max, 5.0680, epsilon = 5e-5);
        assert_relative_eq!(r.ci, 0.0170, epsilon = 5e-5);
        assert_relative_eq!(r.cr, 0.0152, epsilon = 5e-5);
        let e = ahp(m.matrix.view(), RiTable::Saaty).unwrap();
        assert!((e.weights[1] - 0.4174).abs() > 5e-4);
    }

    #[test]
    fn priority_methods_are_named_in_english_and_chinese() {
        for (name, p) in [
            ("eigenvector", AhpPriority::Eigenvector),
            ("特征根法", AhpPriority::Eigenvector),
            ("Geometric_Mean", AhpPriority::GeometricMean),
            ("root", AhpPriority::GeometricMean),
            ("方根法", AhpPriority::GeometricMean),
            ("column-average", AhpPriority::ColumnAverage),
            ("和积法", AhpPriority::ColumnAverage),
            ("和法", AhpPriority::ColumnAverage),
        ] {
            assert_eq!(AhpPriority::from_name(name), Some(p), "{name}");
            assert_eq!(AhpPriority::from_name(p.name()), Some(p));
            // JSON writes the same name.
            assert_eq!(
                serde_json::to_string(&p).unwrap(),
                format!("\"{}\"", p.name())
            );
        }
        assert_eq!(AhpPriority::from_name("mean"), None);
    }

    #[test]
    fn passes_under_saaty_fails_under_cn_textbook() {
        let m = parse_one(
            "items = [\"x\", \"y\", \"z\"]\nmatrix = [[1, 4, 3], [\"1/4\", 1, 2], [\"1/3\", \"1/2\", 1]]\n",
        );
        let t: f64 = 8.0 / 3.0;
        let lambda = 1.0 + t.cbrt() + 1.0 / t.cbrt();
        let ci = (lambda - 3.0) / 2.0;
        assert_relative_eq!(ci, 0.053923, epsilon = 1e-6);

        let saaty = ahp(m.matrix.view(), RiTable::Saaty).unwrap();
        assert_relative_eq!(saaty.lambda_max, lambda, epsilon = 1e-10);
        assert_relative_eq!(saaty.cr, ci / 0.58, epsilon = 1e-10);
        assert_relative_eq!(saaty.cr, 0.092971, epsilon = 1e-6);
        assert!(saaty.is_consistent());
        assert_eq!(saaty.ri_table.name(), "saaty");

        let cn = ahp(m.matrix.view(), RiTable::Textbook).unwrap();
        assert_relative_eq!(cn.cr, ci / 0.52, epsilon = 1e-10);
        assert_relative_eq!(cn.cr, 0.103699, epsilon = 1e-6);
        assert!(!cn.is_consistent());
        assert_eq!(cn.ri_table.name(), "cn_textbook");
        assert_eq!(saaty.weights, cn.weights);
    }

    #[test]
    fn ri_tables() {
        assert_eq!(
            RiTable::Saaty.values(),
            &[0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49]
        );
        assert_eq!(
            RiTable::Textbook.values(),
            &[0.0, 0.0, 0.52, 0.89, 1.12, 1.26, 1.36, 1.41, 1.46, 1.49]
        );
        let differ: Vec<usize> = (1..=10)
            .filter(|&n| RiTable::Saaty.ri(n).unwrap() != RiTable::Textbook.ri(n).unwrap())
            .collect();
        assert_eq!(differ, vec![3, 4, 6, 7, 9]);
        assert!(RiTable::Saaty.ri(11).is_err());
        assert!(RiTable::Textbook.ri(0).is_err());
        assert_eq!(RiTable::from_name("cn_textbook"), Some(RiTable::Textbook));
        assert_eq!(RiTable::from_name("saaty"), Some(RiTable::Saaty));
        assert_eq!(RiTable::from_name("Saaty"), Some(RiTable::Saaty));
        assert_eq!(RiTable::from_name("saaty2"), None);
        assert_eq!(RiTable::default(), RiTable::Saaty);
    }

    #[test]
    fn small_matrices_are_always_consistent() {
        // 2×2 [[1, 9], [1/9, 1]]: w = (9/10, 1/10), λmax = 2; CR = 0 by definition.
        let r = ahp(array![[1.0, 9.0], [1.0 / 9.0, 1.0]].view(), RiTable::Saaty).unwrap();
        all_close(&r.weights, &[0.9, 0.1], 1e-12);
        assert_relative_eq!(r.lambda_max, 2.0, epsilon = 1e-12);
        assert_eq!((r.ci, r.cr, r.ri), (0.0, 0.0, 0.0));
        assert!(r.is_consistent());
        let r = ahp(array![[1.0]].view(), RiTable::Textbook).unwrap();
        assert_eq!(r.weights, array![1.0]);
        assert_eq!(r.cr, 0.0);
    }

    #[test]
    fn ahp_refuses_bad_matrices() {
        let e = ahp(Array2::<f64>::ones((2, 3)).view(), RiTable::Saaty).unwrap_err();
        assert!(e.to_string().contains("must be square"), "{e}");
        let e = ahp(Array2::<f64>::ones((11, 11)).view(), RiTable::Saaty).unwrap_err();
        assert!(e.to_string().contains("got 11"), "{e}");
        let e = ahp(Array2::<f64>::ones((0, 0)).view(), RiTable::Saaty).unwrap_err();
        assert!(e.to_string().contains("got 0"), "{e}");
        let e = ahp(array![[1.0, 0.0], [2.0, 1.0]].view(), RiTable::Saaty).unwrap_err();
        assert!(e.to_string().contains("row 1, column 2 is 0"), "{e}");
        assert_eq!(e.diagnostics[0].stage, Stage::Rules);
        assert!(ahp(array![[1.0, f64::NAN], [2.0, 1.0]].view(), RiTable::Saaty).is_err());
    }

    #[test]
    fn fraction_strings_and_numbers() {
        let m = parse_one(
            "items = [\"a\", \"b\", \"c\"]\n\
             matrix = [[1, \"3\", \" 1 / 2 \"], [\"1/3\", 1, 0.25], [\"2\", \"4/1\", \"1\"]]\n",
        );
        assert_eq!(m.name, None);
        assert_eq!(m.items, vec!["a", "b", "c"]);
        assert_relative_eq!(m.matrix[[0, 1]], 3.0);
        assert_relative_eq!(m.matrix[[0, 2]], 0.5);
        assert_relative_eq!(m.matrix[[1, 0]], 1.0 / 3.0);
        assert_relative_eq!(m.matrix[[1, 2]], 0.25);
        assert_relative_eq!(m.matrix[[2, 1]], 4.0);
        assert_eq!(fraction("1/0"), None);
        assert_eq!(fraction("abc"), None);
        assert_eq!(fraction("1/3/4"), None);
        assert_eq!(fraction("inf"), None);
        assert_eq!(fraction("1.5e1"), Some(15.0));
        // Typed with a Chinese input method.
        assert_eq!(fraction("１/３"), Some(1.0 / 3.0));
        assert_eq!(fraction("1／3"), Some(1.0 / 3.0));
        assert_eq!(fraction("１／３"), Some(1.0 / 3.0));
        assert_eq!(fraction("５"), Some(5.0));
        assert_eq!(fraction("⅓"), Some(1.0 / 3.0));
        assert_eq!(fraction("⅑"), Some(1.0 / 9.0));
        assert_eq!(show(3.0), "3");
        assert_eq!(show(1.0 / 7.0), "1/7");
        assert_eq!(show(0.4), "0.4");
        assert_eq!(show(2.0 / 3.0), "0.666667");
    }

    #[test]
    fn group_form_combines_by_geometric_mean() {
        // a12: 2 and 8 → sqrt(16) = 4; a21: 1/2 and 1/8 → 1/4. Still reciprocal.
        let text = r#"
items = ["p", "q"]

[[expert]]
name = "Zhang"
matrix = [[1, 2], ["1/2", 1]]

[[expert]]
matrix = [[1, 8], ["1/8", 1]]
"#;
        let ms = parse_ahp_toml(text, "group.toml").unwrap();
        assert_eq!(ms.len(), 2);
        assert_eq!(ms[0].name.as_deref(), Some("Zhang"));
        assert_eq!(ms[1].name, None);
        assert_eq!(ms[1].items, vec!["p", "q"]);
        let g = group_matrix(&ms).unwrap();
        all_close(&g.matrix, &[1.0, 4.0, 0.25, 1.0], 1e-12);
        assert_eq!(g.name.as_deref(), Some("geometric mean of 2 experts"));
        let r = ahp(g.matrix.view(), RiTable::Saaty).unwrap();
        all_close(&r.weights, &[0.8, 0.2], 1e-12);

        // Three matrices: cube root of 1·3·9 = 3; of 2·2·16 = 4.
        let gm = geometric_mean(&[array![[1.0, 2.0]], array![[3.0, 2.0]], array![[9.0, 16.0]]]);
        all_close(&gm, &[3.0, 4.0], 1e-12);
        assert!(group_matrix(&[]).is_none());
        assert_eq!(group_matrix(&ms[..1]).unwrap(), ms[0]);
    }

    #[test]
    fn error_toml_syntax_has_line_and_column() {
        let e = parse_err("items = [\"a\", \"b\"]\nmatrix = [[1, 2], [\"1/2\" 1]]\n");
        assert!(e.starts_with("ahp.toml:2:"), "{e}");
        assert!(e.contains("invalid TOML"), "{e}");
    }

    #[test]
    fn error_row_length_and_row_count() {
        let e = parse_err(
            "items = [\"a\", \"b\", \"c\"]\nmatrix = [[1, 2, 3], [\"1/2\", 1], [\"1/3\", 1, 1]]\n",
        );
        assert!(e.contains("ahp.toml:2:22"), "{e}");
        assert!(e.contains("row 2 (b) has 2 entries, expected 3"), "{e}");
        let e = parse_err("items = [\"a\", \"b\", \"c\"]\nmatrix = [[1, 2, 3], [\"1/2\", 1, 1]]\n");
        assert!(e.contains("ahp.toml:2:10"), "{e}");
        assert!(
            e.contains("`matrix` has 2 rows but `items` lists 3 (a, b, c)"),
            "{e}"
        );
        let e = parse_err("items = [\"a\"]\nmatrix = [1]\n");
        assert!(
            e.contains("row 1 (a) must be an array of 1 judgements, found integer"),
            "{e}"
        );
        let e = parse_err("items = [\"a\"]\nmatrix = \"1\"\n");
        assert!(
            e.contains("`matrix` must be an array of rows, found string"),
            "{e}"
        );
    }

    #[test]
    fn error_diagonal() {
        let e = parse_err("items = [\"a\", \"b\"]\nmatrix = [[1, 2], [\"1/2\", 2]]\n");
        assert!(e.contains("ahp.toml:2:27"), "{e}");
        assert!(
            e.contains("row 2, column 2 (b vs b) is on the diagonal and must be 1, found 2"),
            "{e}"
        );
    }

    #[test]
    fn judgements_beyond_a_float_say_too_large_or_too_small() {
        let e = parse_err(
            "items = [\"a\", \"b\", \"c\"]\nmatrix = [[1, 1e400, \"1e400\"], [1, 1, \"1e-400\"], [1, -1e400, 1]]\n",
        );
        assert!(
            e.contains("row 1, column 2 (a vs b): the number 1e400 is too large"),
            "{e}"
        );
        assert!(
            e.contains("row 1, column 3 (a vs c): \"1e400\" is too large"),
            "{e}"
        );
        assert!(
            e.contains("row 2, column 3 (b vs c): \"1e-400\" is too small"),
            "{e}"
        );
        // Negative before anything else.
        assert!(
            e.contains("row 3, column 2 (c vs b): a judgement must be a positive number"),
            "{e}"
        );
    }

    #[test]
    fn a_zero_fraction_is_not_positive_and_a_tiny_judgement_is_shown_as_it_is() {
        // "0/1" is zero, not "too small for Saaty's scale" (which is not enforced).
        let e = parse_err("items = [\"a\", \"b\"]\nmatrix = [[1, \"0/1\"], [1, 1]]\n");
        assert!(
            e.contains("row 1, column 2 (a vs b): a judgement must be a positive number, found 0"),
            "{e}"
        );
        assert!(!e.contains("too small"), "{e}");
        // 1e-20 against 5: the message shows 1e-20, not "0".
        let e = parse_err("items = [\"a\", \"b\"]\nmatrix = [[1, 1e-20], [5, 1]]\n");
        assert!(
            e.contains("(a vs b) is 1e-20 but must be the reciprocal"),
            "{e}"
        );
        assert_eq!(show(2.5e-7), "2.5e-7");
        // Edge cases of review28: each error says what the judgement is.
        for (entry, said) in [
            ("\"-1e-400\"", "a judgement must be a positive number"),
            ("1e-400", "the number 1e-400 is too small"),
            ("\"1e-400\"", "\"1e-400\" is too small"),
            ("\"0/1e-400\"", "\"0/1e-400\" is out of range"),
            ("\"1e400/1e400\"", "\"1e400/1e400\" is out of range"),
            ("\"0/0\"", "\"0/0\" divides by zero"),
            ("\"１/０\"", "\"１/０\" divides by zero"),
        ] {
            let e = parse_err(&format!(
                "items = [\"a\", \"b\"]\nmatrix = [[1, {entry}], [1, 1]]\n"
            ));
            assert!(e.contains(said), "{entry}: {e}");
        }
        assert_eq!(show(0.25), "1/4");
    }

    #[test]
    fn error_non_positive_and_unreadable_entries() {
        let e = parse_err(
            "items = [\"a\", \"b\", \"c\"]\nmatrix = [[1, 0, -3], [true, 1, \"1/0\"], [\"x\", inf, 1]]\n",
        );
        assert!(
            e.contains("row 1, column 2 (a vs b): a judgement must be a positive number, found 0"),
            "{e}"
        );
        assert!(
            e.contains("row 1, column 3 (a vs c): a judgement must be a positive number, found -3"),
            "{e}"
        );
        assert!(e.contains("row 2, column 1 (b vs a): expected a number or a fraction string like \"1/3\", found boolean"), "{e}");
        assert!(
            e.contains("row 2, column 3 (b vs c): \"1/0\" divides by zero"),
            "{e}"
        );
        assert!(
            e.contains("row 3, column 1 (c vs a): cannot read \"x\""),
            "{e}"
        );
        assert!(
            e.contains(
                "row 3, column 2 (c vs b): a judgement must be a positive number, found inf"
            ),
            "{e}"
        );
        assert!(e.contains("6 errors"), "{e}");
        assert!(e.contains("help: judgements use the 1–9 scale"), "{e}");
    }

    #[test]
    fn error_not_reciprocal() {
        // 0.34 is not 1/3 rounded to two decimals; 0.5 is not 1/3.
        let e = parse_err(
            "items = [\"scale\", \"innovation\", \"digital\"]\n\
             matrix = [[1, 3, 2], [0.34, 1, 1], [0.5, 1, 1]]\n",
        );
        assert!(
            e.contains(
                "ahp.toml:2:23: error: row 2, column 1 (innovation vs scale) is 0.34 but must be \
             the reciprocal of row 1, column 2 (scale vs innovation) = 3, that is 1/3"
            ),
            "{e}"
        );
        assert!(
            e.contains("help: write \"1/3\" (a fraction string is exact"),
            "{e}"
        );
        assert!(!e.contains("row 3, column 1"), "{e}");
        // Within the tolerance passes.
        parse_one("items = [\"a\", \"b\"]\nmatrix = [[1, 3], [0.3333333334, 1]]\n");
        // One decimal is too few to call a rounding (0.3 for 1/3).
        let e = parse_err("items = [\"a\", \"b\"]\nmatrix = [[1, 3], [0.3, 1]]\n");
        assert!(e.contains("is 0.3 but must be the reciprocal"), "{e}");
    }

    /// Reciprocals printed as rounded decimals, as papers print their matrices (0.33, 0.333,
    /// 0.14 for 1/7, 0.125 or 0.13 for 1/8, 0.67 against 1.5, in quotes too): read as the
    /// exact reciprocal, each said; the weights are the exact matrix's.
    #[test]
    fn rounded_decimal_reciprocals_are_read_as_exact() {
        let printed = "items = [\"a\", \"b\", \"c\", \"d\", \"e\"]\n\
             matrix = [[1, 3, 7, 8, 1.5], [0.33, 1, 3, \"0.125\", 2], [0.14, 0.333, 1, 1, 1],\n\
             [0.13, 8, 1, 1, 1], [0.67, 0.5, 1, 1, 1]]\n";
        let exact = "items = [\"a\", \"b\", \"c\", \"d\", \"e\"]\n\
             matrix = [[1, 3, 7, 8, 1.5], [\"1/3\", 1, 3, \"1/8\", 2], [\"1/7\", \"1/3\", 1, 1, 1],\n\
             [\"1/8\", 8, 1, 1, 1], [\"2/3\", 0.5, 1, 1, 1]]\n";
        let (read, notes) = parse_ahp_toml_noting(printed, "p.toml").unwrap();
        let (want, none) = parse_ahp_toml_noting(exact, "e.toml").unwrap();
        assert!(none.is_empty(), "{none:?}");
        assert_eq!(read[0].matrix, want[0].matrix);
        // 0.125 is 1/8 exactly: no note for it.
        assert_eq!(notes.len(), 5, "{notes:?}");
        assert_eq!(
            notes[0],
            "row 2, column 1 (b vs a) written 0.33 is read as 1/3, the reciprocal of row 1, column 2 (a vs b) = 3"
        );
        assert!(
            notes
                .iter()
                .any(|n| n.contains("(d vs a) written 0.13 is read as 1/8")),
            "{notes:?}"
        );
        assert!(
            notes
                .iter()
                .any(|n| n.contains("(e vs a) written 0.67 is read as 0.666667")),
            "{notes:?}"
        );
    }

    #[test]
    fn error_items() {
        let e = parse_err(
            "items = [\"a\", \"b\", \"a\"]\nmatrix = [[1, 1, 1], [1, 1, 1], [1, 1, 1]]\n",
        );
        assert!(e.contains("ahp.toml:1:20"), "{e}");
        assert!(
            e.contains("item 'a' is listed twice (positions 1 and 3)"),
            "{e}"
        );
        let names: Vec<String> = (1..=11).map(|i| format!("\"i{i}\"")).collect();
        let e = parse_err(&format!("items = [{}]\nmatrix = []\n", names.join(", ")));
        assert!(e.contains("ahp.toml:1:9"), "{e}");
        assert!(e.contains("at most 10 items"), "{e}");
        assert!(e.contains("`items` lists 11"), "{e}");
        let e = parse_err("items = []\nmatrix = []\n");
        assert!(e.contains("`items` is empty"), "{e}");
        let e = parse_err("items = [\"a\", 2]\nmatrix = [[1, 1], [1, 1]]\n");
        assert!(
            e.contains("item 2 of `items` must be a string, found integer"),
            "{e}"
        );
        let e = parse_err("items = \"a\"\nmatrix = [[1]]\n");
        assert!(
            e.contains("`items` must be an array of names, found string"),
            "{e}"
        );
        let e = parse_err("matrix = [[1]]\n");
        assert!(e.starts_with("ahp.toml: error: missing `items`"), "{e}");
    }

    #[test]
    fn error_keys_and_forms() {
        let e = parse_err("items = [\"a\"]\nmatrx = [[1]]\n");
        assert!(
            e.contains("ahp.toml:2:1: error: unknown key 'matrx'"),
            "{e}"
        );
        assert!(e.contains("did you mean 'matrix'?"), "{e}");
        assert!(e.contains("missing `matrix`"), "{e}");
        let e = parse_err("items = [\"a\"]\nmatrix = [[1]]\n[[expert]]\nmatrix = [[1]]\n");
        assert!(
            e.contains("both a top-level `matrix` and `[[expert]]`"),
            "{e}"
        );
        let e = parse_err("items = [\"a\"]\nexpert = [1]\n");
        assert!(
            e.contains("`expert` must be one or more [[expert]] tables"),
            "{e}"
        );
        let e = parse_err(
            "items = [\"a\", \"b\"]\n[[expert]]\nname = \"Li\"\nmatrix = [[1, 2], [\"1/3\", 1]]\n\
             [[expert]]\nnmae = 3\n",
        );
        assert!(
            e.contains("expert 1 ('Li'): row 2, column 1 (b vs a) is 1/3"),
            "{e}"
        );
        assert!(e.contains("unknown key 'nmae' in [[expert]] 2"), "{e}");
        assert!(e.contains("did you mean 'name'?"), "{e}");
        assert!(e.contains("expert 2: missing `matrix`"), "{e}");
    }

    #[test]
    fn spans_of_items_and_entries_point_into_the_file() {
        let text = "items = [\"a\", \"bb\"]\nmatrix = [[1, \"1/3\"], [3, 1]]\n";
        let m = parse_one(text);
        let at = |s: Span| &text[s.start..s.end];
        let items: Vec<&str> = m.item_spans.iter().map(|s| at(*s)).collect();
        assert_eq!(items, ["\"a\"", "\"bb\""]);
        let entries: Vec<&str> = m.entry_spans.iter().map(|s| at(*s)).collect();
        assert_eq!(entries, ["1", "\"1/3\"", "3", "1"]);
        // The group form: each expert's own entries, the shared items; the combined matrix
        // has no place in the file.
        let text = "items = [\"p\", \"q\"]\n[[expert]]\nmatrix = [[1, 2], [\"1/2\", 1]]\n\
                    [[expert]]\nmatrix = [[1, 8], [\"1/8\", 1]]\n";
        let ms = parse_ahp_toml(text, "g.toml").unwrap();
        let at = |s: Span| &text[s.start..s.end];
        assert_eq!(at(ms[1].entry_spans[1]), "8");
        assert_eq!(at(ms[1].item_spans[1]), "\"q\"");
        let g = group_matrix(&ms).unwrap();
        assert!(g.entry_spans.is_empty());
        assert_eq!(g.item_spans, ms[0].item_spans);
    }

    #[test]
    fn most_inconsistent_names_the_contradicting_judgement() {
        // Consistent but for a vs c: a = 3b, b = 3c, so a should be 9c, not 1/5.
        let m = parse_one(
            "items = [\"a\", \"b\", \"c\"]\nmatrix = [[1, 3, \"1/5\"], [\"1/3\", 1, 3], [5, \"1/3\", 1]]\n",
        );
        let r = ahp(m.matrix.view(), RiTable::Saaty).unwrap();
        assert!(!r.is_consistent());
        let (i, j, value, implied) = most_inconsistent(m.matrix.view(), &r.weights).unwrap();
        assert_eq!((i, j), (0, 2));
        assert_relative_eq!(value, 0.2);
        assert_relative_eq!(implied, r.weights[0] / r.weights[2]);
        // A consistent matrix: every judgement agrees with the weights.
        let c = parse_one(
            "items = [\"a\", \"b\", \"c\"]\nmatrix = [[1, 2, 4], [\"1/2\", 1, 2], [\"1/4\", \"1/2\", 1]]\n",
        );
        let r = ahp(c.matrix.view(), RiTable::Saaty).unwrap();
        let (_, _, value, implied) = most_inconsistent(c.matrix.view(), &r.weights).unwrap();
        assert_relative_eq!(value, implied, epsilon = 1e-9);
        // Nothing to compare, or weights that are not usable.
        let one = array![[1.0]];
        assert_eq!(most_inconsistent(one.view(), &array![1.0]), None);
        let two = array![[1.0, 2.0], [0.5, 1.0]];
        assert_eq!(most_inconsistent(two.view(), &array![1.0, 0.0]), None);
        assert_eq!(most_inconsistent(two.view(), &array![1.0]), None);
    }
}
