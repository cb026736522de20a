//! Criteria: each criterion's fractions and points, folded into the dimension sums and the
//! published points.

use super::*;

impl Run<'_> {
    /// Scores every criterion (in parallel) and merges what each notes, warns and finds
    /// missing in rules order. Folded runs keep dimension sums and published points instead
    /// of the n × C fraction matrix.
    pub(super) fn score_criteria(
        &mut self,
        st: &mut Scored,
        ranked: &[bool],
        plan: CriteriaPlan<'_>,
    ) -> Result<CriteriaOutcome> {
        let c = self.c;
        let nc = c.rules.criteria.len();
        let n = st.n;
        let full = plan.full;
        let cohort_of = st.cohort.clone();
        let peers = Peers {
            cohort: &cohort_of,
            cohorts: st.cohort_names.len(),
            ranked,
        };
        let points = &plan.scale.points;
        let mut shown: Vec<ShownOverrides> = Vec::with_capacity(nc);
        let mut missing_used: Vec<Vec<Option<MissingPolicy>>> = Vec::with_capacity(nc);
        let mut fail_list: Vec<String> = Vec::new();
        let mut domain_fixes: Vec<String> = Vec::new();
        let mut dropped: Vec<Vec<usize>> = Vec::with_capacity(nc);
        // Warnings of this loop gather here: the indicator columns borrow `self`.
        let mut warnings = std::mem::take(&mut self.warnings);
        let mut merge = |o: CriterionScores, st: &mut Scored| {
            for (e, text) in o.notes {
                st.notes[e].push(text);
            }
            warnings.extend(o.warnings);
            fail_list.extend(o.fails);
            if let Some(f) = o.domain_fix
                && !domain_fixes.contains(&f)
            {
                domain_fixes.push(f);
            }
            shown.push(o.shown);
            missing_used.push(o.used);
            dropped.push(o.dropped);
        };
        let mut folded: Option<FoldedCriteria> = None;
        // Criterion fractions: an n × C matrix, NaN where a criterion is dropped (`exclude`);
        // empty when the criteria are folded.
        let mut fractions = Array2::<f64>::zeros((0, nc));
        if plan.fold {
            // In waves of a few criteria scored in parallel, each into a reused scratch
            // column; after each wave, the inputs no later step reads are freed. Two
            // criteria per thread balance the cores better; one per thread when that much
            // scratch would pass 256 MB (the waves are a large run's peak of memory).
            use rayon::prelude::*;
            let threads = rayon::current_num_threads().max(1);
            let wave = if 2 * threads * 8 * n > 256 << 20 {
                threads
            } else {
                2 * threads
            };
            let mut scratch: Vec<Vec<f64>> = Vec::new();
            let mut fold_state = FoldedCriteria::new(n, c.rules.dimensions.len());
            for first in (0..nc).step_by(wave) {
                let last = (first + wave).min(nc);
                while scratch.len() < last - first {
                    scratch.push(Vec::new());
                }
                scratch[..last - first].par_iter_mut().for_each(|col| {
                    if col.is_empty() {
                        col.par_extend(rayon::iter::repeat_n(f64::NAN, n));
                    } else {
                        col.par_iter_mut().for_each(|v| *v = f64::NAN);
                    }
                });
                // Each task scores its criterion and publishes its points; the dimension sums
                // are then added in rules order.
                let outcomes: Vec<Result<(CriterionScores, PublishedColumn)>> = {
                    let this = &*self;
                    let (st_ref, peers_ref) = (&*st, &peers);
                    scratch[..last - first]
                        .par_iter_mut()
                        .zip(first..last)
                        .map(|(column, ci)| {
                            let o =
                                this.score_criterion(ci, st_ref, ranked, peers_ref, full, column)?;
                            Ok((o, PublishedColumn::of(column, points[ci], plan.scale.m)))
                        })
                        .collect()
                };
                let mut published = Vec::with_capacity(last - first);
                for outcome in outcomes {
                    let (o, column) = outcome?;
                    merge(o, st);
                    published.push(column);
                }
                let wave_criteria: Vec<(&[f64], usize, f64)> = (first..last)
                    .zip(&scratch)
                    .map(|(ci, f)| (f.as_slice(), c.criterion_dimension[ci], points[ci]))
                    .collect();
                fold_state.add_wave(&wave_criteria, published);
                if plan.release && last < nc {
                    let keep = self.inputs_from_criterion(last, plan.after_criteria);
                    self.release_inputs_except(&keep);
                }
            }
            folded = Some(fold_state);
        } else {
            // Column-major: each criterion fills one contiguous column. Filled with NaN on
            // all cores: this is the run's largest block of fresh memory, and first touches
            // are slow.
            fractions = {
                use rayon::prelude::*;
                let mut cells: Vec<f64> = Vec::with_capacity(n * nc);
                cells.par_extend(rayon::iter::repeat_n(f64::NAN, n * nc));
                Array2::from_shape_vec((n, nc).f(), cells).expect("n × C cells")
            };
            // Each criterion writes its fractions straight into its matrix column: no vector
            // of its own, so a large run neither holds the columns twice nor touches fresh
            // memory for each criterion (on virtual machines that return freed pages to the
            // host, first touches cost ten times a rewrite).
            let scored_criteria: Vec<Result<CriterionScores>> = {
                use rayon::prelude::*;
                let st_ref = &*st;
                let peers_ref = &peers;
                let this = &*self;
                let score = |ci: usize, column: &mut [f64]| {
                    this.score_criterion(ci, st_ref, ranked, peers_ref, full, column)
                };
                if n == 0 {
                    // No rows: no columns to fill (but every criterion still reports).
                    (0..nc)
                        .into_par_iter()
                        .map(|ci| score(ci, &mut []))
                        .collect()
                } else {
                    fractions
                        .as_slice_memory_order_mut()
                        .expect("a fresh column-major matrix is contiguous")
                        .par_chunks_mut(n)
                        .enumerate()
                        .map(|(ci, column)| score(ci, column))
                        .collect()
                }
            };
            for outcome in scored_criteria {
                merge(outcome?, st);
            }
        }
        warnings.append(&mut self.warnings);
        self.warnings = warnings;
        if !fail_list.is_empty() {
            let total = fail_list.len();
            fail_list.truncate(50);
            let more = if total > 50 {
                format!(" and {} more", total - 50)
            } else {
                String::new()
            };
            return Err(Error::one(
                data_error(format!(
                    "missing values under policy 'fail': {}{more}",
                    fail_list.join("; ")
                ))
                .with_help(format!(
                    "{}fill these cells (for a formula indicator, the cells it reads, in any year \
                     prev() reaches; a division by zero also gives a missing value), or choose \
                     another missing policy (zero, exclude, mean, median){}",
                    self.note_row_help(),
                    if domain_fixes.is_empty() {
                        String::new()
                    } else {
                        format!(
                            "; a value outside a transform's domain is missing too: to score \
                             it instead, use a formula indicator: {}",
                            domain_fixes.join("; ")
                        )
                    }
                )),
            ));
        }
        self.note_dimensions_all_dropped(&dropped, st);
        Ok(CriteriaOutcome {
            fractions,
            folded,
            shown,
            missing_used,
        })
    }

    /// Where to look for entity `e`'s missing value of indicator `i`: the cell of a column
    /// indicator; a formula's text and the entity's row (its inputs may lie in another
    /// year's row, through prev()).
    pub(super) fn missing_place(&self, i: usize, e: usize) -> String {
        let ind = &self.c.rules.indicators[i];
        let rows = self.c.rules.aggregate.is_none();
        let table = &self.data.table;
        match &ind.source {
            Source::Column(col) if rows => table
                .location(self.scored[e], &fold_header(&col.value))
                .to_string(),
            Source::Column(col) => format!("column '{}'", col.value),
            Source::Formula(f) | Source::Aggregate(f) => {
                let at = if rows {
                    let at = table.file_row(self.scored[e]);
                    format!(", from {at}")
                } else {
                    String::new()
                };
                format!(
                    "indicator '{}' = `{}`{}{at}",
                    ind.id.value,
                    crate::diag::truncate(&f.value, 80),
                    self.formula_inputs(i, e)
                )
            }
        }
    }

    /// " with x = 5, y = 0": the values a row-level formula indicator read for entity `e`,
    /// so that a missing result says whether a value was unreported or the arithmetic
    /// emptied it (`x / y` with y = 0). Empty for other indicators, and under `[aggregate]`
    /// (where such formulas read member rows).
    fn formula_inputs(&self, i: usize, e: usize) -> String {
        let r = &self.c.rules;
        match (&r.indicators[i].source, &self.c.indicator_exprs[i]) {
            (Source::Formula(_), Some(p)) if r.aggregate.is_none() => {
                format!(" with {}", self.values_in(p, e))
            }
            _ => String::new(),
        }
    }

    /// "; indicator 'r' = `x / y` with x = 5, y = 0" after a criterion's missing-value note
    /// when its indicator is a formula (see [`Run::formula_inputs`]).
    fn missing_formula_note(&self, ci: usize, e: usize) -> String {
        let i = self.c.criterion_indicator[ci];
        let with = self.formula_inputs(i, e);
        if with.is_empty() {
            return with;
        }
        let ind = &self.c.rules.indicators[i];
        let f = match &ind.source {
            Source::Formula(f) | Source::Aggregate(f) => f.value.as_str(),
            Source::Column(_) => "",
        };
        format!(
            "; indicator '{}' = `{}`{with}",
            ind.id.value,
            crate::diag::truncate(f, 80)
        )
    }

    /// `missing = "fail"` written on an indicator that no criterion scores (one read by a
    /// gate, a tier's `requires` or a formula, e.g. "output must be reported"): the run
    /// stops when a scored entity has no value, as it does for a criterion's. Inherited
    /// from `[rules]`, the policy stays with the criteria. Written on a tie-break, cohort or
    /// category-table indicator it stops the run too: SPEC §12 says where such a missing
    /// value goes, and `fail` is the designer saying it must not be missing at all.
    pub(super) fn fail_on_unscored_indicators(&self) -> Result<()> {
        let r = &self.c.rules;
        let mut fail_list = Vec::new();
        for (i, ind) in r.indicators.iter().enumerate() {
            let member_level = r.aggregate.is_some() && !matches!(ind.source, Source::Aggregate(_));
            if ind.missing != Some(MissingPolicy::Fail)
                || member_level
                || self.c.criterion_indicator.contains(&i)
            {
                continue;
            }
            let Some(column) = self.entities.get(self.slots.indicator(i)) else {
                continue;
            };
            for e in 0..self.scored.len() {
                let row = self.scored[e];
                let absent = match column {
                    Column::Number(v) => v[row].is_nan(),
                    Column::Bool(v) => v[row].is_none(),
                    Column::Text(t) => t.get(row).is_none(),
                };
                if absent {
                    fail_list.push(format!(
                        "{} ({}; indicator '{}')",
                        self.id(e),
                        self.missing_place(i, e),
                        ind.id.value
                    ));
                }
            }
        }
        if fail_list.is_empty() {
            return Ok(());
        }
        let total = fail_list.len();
        fail_list.truncate(50);
        let more = if total > 50 {
            format!(" and {} more", total - 50)
        } else {
            String::new()
        };
        Err(Error::one(
            data_error(format!(
                "missing values under policy 'fail': {}{more}",
                fail_list.join("; ")
            ))
            .with_help(format!(
                "{}the indicator says missing = \"fail\": fill these cells (for a formula \
                 indicator, the cells it reads), or remove missing = \"fail\" from it \
                 (a gate, requires or adjustment then reads the empty cell as missing; \
                 tie_break sorts it last, a cohort puts it in a cohort of its own, a category \
                 table gives its default)",
                self.note_row_help()
            )),
        ))
    }

    /// The state aggregation, ranking and tiers run on (and analyses re-score): fractions,
    /// weights, tie-break values, ids and, with per-entity detail, each criterion's
    /// parameters per entity (for explain's gap analysis).
    pub(super) fn evidence(
        &self,
        fractions: Array2<f64>,
        scale: &PointScale,
        st: &Scored,
        ranked: &[bool],
        full: bool,
    ) -> Result<Evidence> {
        let r = &self.c.rules;
        let (tie_values, tie_directions): (Vec<Vec<f64>>, Vec<Direction>) = r
            .settings
            .tie_break
            .iter()
            .map(|t| {
                let i = r
                    .indicators
                    .iter()
                    .position(|x| x.id.value == t.value)
                    .expect("checked at compile");
                (
                    // On the threshold tolerance's grid: 0.7/10 and 7/100 (6.999999999999999
                    // and 7.000000000000001) are the same 7 % and tie.
                    {
                        use rayon::prelude::*;
                        let mut v = self
                            .take(self.slots.indicator(i))
                            .expect("computed")
                            .to_numbers();
                        v.par_iter_mut()
                            .with_min_len(1 << 14)
                            .for_each(|x| *x = crate::num::tie_key(*x));
                        v
                    },
                    r.indicators[i].direction,
                )
            })
            .unzip();
        let ids = self.entity_ids.take(&self.scored);
        let params: Vec<Vec<ParamValues>> = r
            .criteria
            .iter()
            .filter(|_| full)
            .map(|crit| {
                let what = format!("criterion '{}'", crit.id.value);
                crit.method
                    .params()
                    .into_iter()
                    .map(|p| self.resolve_param(p, &what))
                    .collect::<Result<_>>()
            })
            .collect::<Result<_>>()?;
        Ok(Evidence {
            fractions,
            points: scale.points.clone(),
            dimension_of: self.c.criterion_dimension.clone(),
            weights: scale.weights.clone(),
            scale: r.settings.scale,
            aggregation: r.settings.aggregation,
            geometric_floor: r.settings.geometric_floor,
            clamp: r.settings.clamp,
            decimals: r.settings.decimals,
            adjustment: vec![0.0; st.n],
            ranked: ranked.to_vec(),
            cohort: st.cohort.clone(),
            cohorts: st.cohort_names.len(),
            cohort_names: if r.settings.cohort.is_some() {
                st.cohort_names.clone()
            } else {
                Vec::new()
            },
            ids,
            tie_values,
            tie_directions,
            tiers: Vec::new(),
            cap: Vec::new(),
            params,
            post: None,
        })
    }

    /// A dimension all of whose criteria were dropped for an entity (`missing = "exclude"`)
    /// scores 0 (SPEC §12), with nothing to rescale over: noted for each such entity (its
    /// criteria's notes no longer say the dimension was rescaled) and warned of per dimension.
    fn note_dimensions_all_dropped(&mut self, dropped: &[Vec<usize>], st: &mut Scored) {
        let r = &self.c.rules;
        for (d, dim) in r.dimensions.iter().enumerate() {
            let criteria: Vec<usize> = (0..r.criteria.len())
                .filter(|&ci| self.c.criterion_dimension[ci] == d)
                .collect();
            let Some((&first, rest)) = criteria.split_first() else {
                continue;
            };
            let mut all = dropped[first].clone();
            for &ci in rest {
                all.retain(|e| dropped[ci].binary_search(e).is_ok());
            }
            if all.is_empty() {
                continue;
            }
            for &e in &all {
                if let Some(notes) = st.notes.get_mut(e) {
                    for &ci in &criteria {
                        let start = dropped_note_start(&r.criteria[ci].id.value);
                        for text in notes.iter_mut() {
                            if let Some(rest) = text.strip_prefix(&start)
                                && let Some(rest) = rest.strip_prefix(RESCALED)
                            {
                                *text = format!("{start}{rest}");
                            }
                        }
                    }
                }
                st.note(e, || {
                    format!(
                        "dimension '{}': every criterion dropped (missing = \"exclude\"), so the dimension scores 0 (nothing left to rescale over)",
                        dim.id.value
                    )
                });
            }
            self.warnings.push(format!(
                "dimension '{}': {} {} every criterion dropped (missing = \"exclude\"), so the dimension scores 0 for {}: {}",
                dim.id.value,
                all.len(),
                crate::diag::agree(all.len(), "entity has", "entities have"),
                crate::diag::agree(all.len(), "it", "them"),
                self.some_ids(&all)
            ));
        }
    }

    /// Geometric aggregation raises a weighted dimension below `geometric_floor` to it
    /// (SPEC §5.3): a warning counts the entities, and each gets a note per dimension raised.
    pub(super) fn note_geometric_floor(
        &mut self,
        dim_frac: &Array2<f64>,
        scale: &PointScale,
        st: &mut Scored,
    ) {
        let r = &self.c.rules;
        if !matches!(r.settings.aggregation, crate::rules::Aggregation::Geometric) {
            return;
        }
        let floor = r.settings.geometric_floor;
        let weighted: Vec<usize> = (0..r.dimensions.len())
            .filter(|&d| scale.weights[d] > 0.0)
            .collect();
        let mut raised = Vec::new();
        for (e, row) in dim_frac.outer_iter().enumerate() {
            let mut any = false;
            for &d in &weighted {
                // (A share within the threshold tolerance of the floor is at it: raising
                // 0.009999999999999978 to 0.01 changes nothing worth a note.)
                if !crate::num::ge(row[d], floor) {
                    any = true;
                    st.note(e, || {
                        format!(
                            "dimension '{}' at {} of its maximum was raised to geometric_floor = {} for the geometric total",
                            r.dimensions[d].id.value,
                            format_number(round_half_away(row[d], 6)),
                            format_number(floor)
                        )
                    });
                }
            }
            // (Counted over the ranked entities: an excluded one keeps its note.)
            if any && st.excluded_by[e].is_none() {
                raised.push(e);
            }
        }
        if !raised.is_empty() {
            self.warnings.push(format!(
                "geometric aggregation: {} ranked {} {} a dimension below geometric_floor = {}, raised to it for the total: {}",
                raised.len(),
                crate::diag::agree(raised.len(), "entity", "entities"),
                crate::diag::agree(raised.len(), "has", "have"),
                format_number(floor),
                self.some_ids(&raised)
            ));
        }
    }

    /// Published dimension shares (entities × dimensions; empty unless `need_data_order`),
    /// and the published dimension and criterion numbers that post-scoring expressions
    /// mention, set into the entity frame.
    pub(super) fn publish_for_expressions(
        &mut self,
        dim_frac: &Array2<f64>,
        fractions: &Array2<f64>,
        scale: &PointScale,
        mentioned: &std::collections::HashSet<String>,
        need_data_order: bool,
    ) -> Array2<f64> {
        let r = &self.c.rules;
        let decimals = r.settings.decimals;
        let rows_all = self.entities.rows;
        let (dim_frac_d, fractions_d) = if need_data_order {
            (dim_frac.view(), fractions.view())
        } else {
            (
                dim_frac.slice(ndarray::s![0..0, ..]),
                fractions.slice(ndarray::s![0..0, ..]),
            )
        };
        let dims_pub = ndarray::Zip::from(&dim_frac_d)
            .and_broadcast(&scale.share)
            .map_collect(|f, s| round_half_away(scale.final_max * s * f, decimals));
        // A criterion's published points, from its fraction (what the entity results show).
        let criterion_points = |s: f64, p: f64| {
            if s.is_nan() {
                f64::NAN
            } else {
                round_half_away(s * p, decimals)
            }
        };
        // Only the ids that post-scoring expressions mention are published into the frame.
        for (d, dim) in r.dimensions.iter().enumerate() {
            if !mentioned.contains(dim.id.value.as_str()) {
                continue;
            }
            let mut col = vec![f64::NAN; rows_all];
            for (e, &row) in self.scored.iter().enumerate() {
                col[row] = dims_pub[[e, d]];
            }
            self.entities
                .set(self.slots.dimension(d), Column::Number(col));
        }
        for (ci, crit) in r.criteria.iter().enumerate() {
            if !mentioned.contains(crit.id.value.as_str()) {
                continue;
            }
            let mut col = vec![f64::NAN; rows_all];
            let p = crit.points.value;
            for (e, &row) in self.scored.iter().enumerate() {
                col[row] = criterion_points(fractions_d[[e, ci]], p);
            }
            self.entities
                .set(self.slots.criterion(ci), Column::Number(col));
        }
        dims_pub
    }

    /// One criterion's fractions for the scored entities, with what it notes, warns and
    /// finds missing under `fail`. Criteria are independent, so they are scored in parallel
    /// and merged in rules order (the same notes, warnings and errors as one by one).
    #[allow(clippy::needless_range_loop)]
    pub(super) fn score_criterion(
        &self,
        ci: usize,
        st: &Scored,
        ranked: &[bool],
        peers: &Peers<'_>,
        full: bool,
        out: &mut [f64],
    ) -> Result<CriterionScores> {
        let c = self.c;
        let r = &c.rules;
        let n = st.n;
        let crit = &r.criteria[ci];
        let mut warnings = Vec::new();
        let mut fail_list = Vec::new();
        let mut domain_fix = None;
        let mut notes = NoteList {
            keep: full,
            list: Vec::new(),
        };
        let ii = c.criterion_indicator[ci];
        let ind = &r.indicators[ii];
        let col = self
            .take(self.slots.indicator(ii))
            .expect("indicators are computed");
        let policy = r.missing_policy(crit);
        let points = crit.points.value;
        debug_assert!(out.len() == n && out.iter().all(|v| v.is_nan()));
        // Shown values and policies used: only for per-entity objects.
        let mut shown = ShownOverrides {
            keep: full,
            list: Vec::new(),
        };
        let mut used: Vec<Option<MissingPolicy>> = if full { vec![None; n] } else { Vec::new() };

        if let Method::Levels(levels) = &crit.method {
            let Column::Text(t) = col.as_ref() else {
                unreachable!("levels need category indicators")
            };
            let mut level_points: Vec<(String, ParamValues)> = Vec::with_capacity(levels.len());
            let mut level_defaults = Vec::with_capacity(levels.len());
            for (k, p) in levels {
                let what = format!("level '{k}' of criterion '{}'", crit.id.value);
                let (v, d) = self.resolve_param_noting(p, &what)?;
                level_points.push((k.clone(), v));
                level_defaults.push((what, d));
            }
            // Each distinct text is matched against the levels once (the column is
            // dictionary-encoded); rows then go through their code.
            let level_of_code: Vec<Option<usize>> = t
                .dict
                .iter()
                .map(|v| level_points.iter().position(|(k, _)| k == v))
                .collect();
            // A level's table is consulted by the entities at that level.
            for (l, (what, d)) in level_defaults.iter().enumerate() {
                self.warn_table_defaults(
                    d.as_ref(),
                    what,
                    |e| {
                        t.codes[e] != TextColumn::MISSING
                            && level_of_code[t.codes[e] as usize] == Some(l)
                    },
                    |e, text| notes.note(e, text),
                );
            }
            let mut unknown = Vec::new();
            for e in 0..n {
                let code = t.codes[e];
                if code != TextColumn::MISSING {
                    out[e] = match level_of_code[code as usize].map(|l| &level_points[l]) {
                        Some((_, p)) => {
                            if points > 0.0 {
                                (p.get(e) / points).clamp(0.0, 1.0)
                            } else {
                                0.0
                            }
                        }
                        None => {
                            unknown.push(e);
                            notes.note(e, || {
                                format!(
                                    "criterion '{}': level '{}' is not listed, scored 0",
                                    crit.id.value, &t.dict[code as usize]
                                )
                            });
                            0.0
                        }
                    };
                }
            }
            if !unknown.is_empty() {
                // The unlisted texts themselves (the first few in code-point order, whatever
                // the order of the rows), so the fix — add the level, or correct the cells —
                // is plain.
                let mut codes: Vec<u32> = unknown.iter().map(|&e| t.codes[e]).collect();
                codes.sort_unstable();
                codes.dedup();
                let mut texts: Vec<&str> = codes.iter().map(|&k| &t.dict[k as usize]).collect();
                texts.sort_unstable();
                let shown: Vec<String> = texts
                    .iter()
                    .take(5)
                    .map(|s| format!("'{}'", crate::diag::truncate(s, 40)))
                    .collect();
                let more = if texts.len() > 5 {
                    format!(" and {} more", texts.len() - 5)
                } else {
                    String::new()
                };
                warnings.push(format!(
                    "criterion '{}': {} {} a level that is not listed ({}{more}) and {} 0: {}",
                    crit.id.value,
                    crate::diag::entities(unknown.len()),
                    crate::diag::agree(unknown.len(), "has", "have"),
                    shown.join(", "),
                    crate::diag::agree(unknown.len(), "scores", "score"),
                    self.some_ids(&unknown)
                ));
            }
            let x: Vec<f64> = (0..n)
                .map(|e| {
                    if t.codes[e] == TextColumn::MISSING {
                        f64::NAN
                    } else {
                        0.0
                    }
                })
                .collect();
            self.apply_missing(
                &mut warnings,
                st,
                &mut notes,
                ci,
                policy,
                &x,
                out,
                &mut used,
                &mut fail_list,
                ranked,
                None,
                &mut shown,
            )?;
        } else {
            let raw: Cow<'_, [f64]> = match col.as_ref() {
                Column::Number(v) => Cow::Borrowed(v),
                other => Cow::Owned(other.to_numbers()),
            };
            // Transform: out-of-domain values become missing, with a note. Copied only
            // when something changes (a transform here, an imputation below).
            let mut x: Cow<'_, [f64]> = Cow::Borrowed(&raw);
            if let Some(tr) = &crit.transform {
                let xs = x.to_mut();
                let mut outside = Vec::new();
                for e in 0..n {
                    if !raw[e].is_nan() {
                        match tr.value.apply(raw[e]) {
                            Some(v) => xs[e] = v,
                            None => {
                                xs[e] = f64::NAN;
                                shown.set(e, None);
                                outside.push(e);
                                notes.note(e, || format!("criterion '{}': value {} is outside the domain of {}, treated as missing", crit.id.value, crate::column::format_display(raw[e]), tr.value.name()));
                            }
                        }
                    }
                }
                // Said apart from the missing-value warning that follows, which reads as
                // "not reported": these entities reported a value (a 0 under log10), and
                // the missing policy may now score them above entities with 1.
                // The value shown is that of the smallest id listed, so the warning reads the
                // same whatever the order of the rows.
                if let Some(first) = outside
                    .iter()
                    .copied()
                    .min_by(|&a, &b| self.id(a).cmp(self.id(b)))
                {
                    // The formula indicator that scores such values as meant instead. Higher
                    // is better: low (`log10(x + 1)`). Lower is better, where a 0 is the best
                    // value: clamped at a fixed target (the transform kept, so the floor and
                    // target keep their scale), or shifted for a relative method (0 ranks
                    // best).
                    use crate::rules::{Direction, Method, Param, Transform};
                    let x_id = &crit.indicator.value;
                    let lower_target = match &crit.method {
                        Method::Linear {
                            floor: Param::Fixed(f),
                            target: Param::Fixed(t),
                        } if f > t => Some(*t),
                        Method::Target {
                            target: Param::Fixed(t),
                        } if ind.direction == Direction::Lower => Some(*t),
                        _ => None,
                    };
                    let lower = lower_target.is_some()
                        || (crit.method.is_relative() && ind.direction == Direction::Lower);
                    // What the formula makes of such a value: full points (clamped at a
                    // lower-is-better target), the best rank (shifted, a relative method where
                    // lower is better), or low (higher is better).
                    let reading = match (lower_target.is_some(), lower) {
                        (true, _) => "gives it full points, lower being better",
                        (false, true) => "ranks it best, lower being better",
                        (false, false) => "scores it low",
                    };
                    let fix = match (lower_target, tr.value) {
                        (Some(t), _) => {
                            format!("max({x_id}, {})", crate::column::format_display(t))
                        }
                        (None, Transform::Sqrt) => format!("sqrt(max({x_id}, 0))"),
                        (None, other) => format!("{}({x_id} + 1)", other.name()),
                    };
                    // `target` and the relative methods read the direction from the
                    // indicator: the formula indicator needs it too (linear's floor and
                    // target say it themselves).
                    let direction_too = if matches!(crit.method, Method::Linear { .. }) {
                        ""
                    } else {
                        "with direction = \"lower\" "
                    };
                    let meant = match (lower, lower_target.is_some()) {
                        (false, _) => format!(
                            "if {} should score low rather than as missing, transform in a \
                             formula indicator instead",
                            crate::diag::agree(outside.len(), "such a value", "such values")
                        ),
                        (true, true) => format!(
                            "lower is better here: if such values are the best and should \
                             earn full points, clamp them at the target in a formula indicator \
                             {}and keep the transform",
                            direction_too
                        ),
                        (true, false) => format!(
                            "lower is better here: if such values are the best, transform in a \
                             formula indicator {}instead, where they rank best",
                            direction_too
                        ),
                    };
                    warnings.push(format!(
                        "criterion '{}': {} reported {} outside the domain of {} ({}{}) {} treated as missing, so the missing policy scores {}: {}; {meant} (`{}`)",
                        crit.id.value,
                        outside.len(),
                        crate::diag::agree(outside.len(), "value", "values"),
                        tr.value.name(),
                        crate::column::format_display(raw[first]),
                        if outside.len() > 1 { ", …" } else { "" },
                        crate::diag::agree(outside.len(), "is", "are"),
                        crate::diag::agree(outside.len(), "it", "them"),
                        self.some_ids(&outside),
                        fix
                    ));
                    if policy == MissingPolicy::Fail {
                        // `log10(x + 1)`, which scores it low; `max(x, 1)`, with direction =
                        // "lower" (where the method reads it), which gives it full points.
                        domain_fix = Some(format!(
                            "`{fix}`{}, which {reading}",
                            if lower && !direction_too.is_empty() {
                                ", with direction = \"lower\""
                            } else {
                                ""
                            },
                        ));
                    }
                }
            }
            // Imputation happens before scoring (statistics over untransformed values).
            self.apply_missing(
                &mut warnings,
                st,
                &mut notes,
                ci,
                policy,
                &raw,
                out,
                &mut used,
                &mut fail_list,
                ranked,
                Some(&mut x),
                &mut shown,
            )?;
            let tr = |v: f64| {
                crit.transform
                    .as_ref()
                    .map_or(Some(v), |t| t.value.apply(v))
                    .unwrap_or(f64::NAN)
            };
            let what = format!("criterion '{}'", crit.id.value);
            // Category-table defaults, named by the key that holds the table ("criterion
            // 'c', floor"); a parameter is consulted by the entities with a value (after
            // imputation). Nothing is formatted for a parameter without a table default.
            let mut warn_defaults =
                |d: Option<TableDefaults>,
                 key: &dyn Fn() -> String,
                 consulted: &dyn Fn(usize) -> bool| {
                    if d.is_some() {
                        self.warn_table_defaults(
                            d.as_ref(),
                            &format!("{what}, {}", key()),
                            consulted,
                            |e, text| notes.note(e, text),
                        );
                    }
                };
            let valued = |e: usize| !x[e].is_nan();
            // Methods write only the entries whose value is present (see `methods`); the
            // others keep what the missing policy put there.
            match &crit.method {
                Method::Bands(bands) => {
                    let mut rb: Vec<ResolvedBand> = Vec::with_capacity(bands.len());
                    let mut band_defaults = Vec::new();
                    for b in bands {
                        let (threshold, dt) = self.resolve_param_noting(&b.threshold, &what)?;
                        let (band_points, dp) = self.resolve_param_noting(&b.points, &what)?;
                        rb.push(ResolvedBand {
                            op: b.op,
                            threshold: threshold.map(tr),
                            points: band_points,
                        });
                        band_defaults.push((dt, dp));
                    }
                    // A band's threshold is consulted by the values no earlier band took,
                    // its points by the values it took.
                    let met_before = |e: usize, j: usize| {
                        rb[..j].iter().any(|b| b.op.meets(x[e], b.threshold.get(e)))
                    };
                    for (j, (dt, dp)) in band_defaults.into_iter().enumerate() {
                        let key = || format!("band {} {}", j + 1, rb[j].op.key());
                        warn_defaults(dt, &key, &|e| valued(e) && !met_before(e, j));
                        let key = || format!("band {} points", j + 1);
                        warn_defaults(dp, &key, &|e| {
                            valued(e)
                                && !met_before(e, j)
                                && rb[j].op.meets(x[e], rb[j].threshold.get(e))
                        });
                    }
                    methods::bands(&x, &rb, points, out);
                }
                Method::Linear { floor, target } => {
                    let (floor, df) = self.resolve_param_noting(floor, &what)?;
                    let (target, dt) = self.resolve_param_noting(target, &what)?;
                    warn_defaults(df, &|| "floor".into(), &valued);
                    warn_defaults(dt, &|| "target".into(), &valued);
                    methods::linear(&x, &floor.map(tr), &target.map(tr), out)
                }
                Method::Target { target } => {
                    let (target, dt) = self.resolve_param_noting(target, &what)?;
                    warn_defaults(dt, &|| "target".into(), &valued);
                    methods::target(&x, &target.map(tr), ind.direction, out)
                }
                Method::MinMax => methods::minmax(&x, ind.direction, peers, out),
                Method::ZScore => methods::zscore(&x, ind.direction, peers, out),
                Method::Percentile => methods::percentile(&x, ind.direction, peers, out),
                Method::Flag => methods::flag(&x, out),
                Method::Per {
                    step,
                    points_per_step,
                } => {
                    let (step, ds) = self.resolve_param_noting(step, &what)?;
                    let (per_step, dp) = self.resolve_param_noting(points_per_step, &what)?;
                    warn_defaults(ds, &|| "step".into(), &valued);
                    warn_defaults(dp, &|| "points_per_step".into(), &valued);
                    methods::per(&x, &step, &per_step, points, out)
                }
                Method::Direct => methods::direct(&x, points, out),
                Method::Levels(_) => unreachable!(),
            }
        }
        // (Under `exclude` the dropped entities are the ones left without a fraction.)
        let dropped = if matches!(policy, MissingPolicy::Exclude) {
            (0..n).filter(|&e| out[e].is_nan()).collect()
        } else {
            Vec::new()
        };
        Ok(CriterionScores {
            shown: shown.finish(),
            used,
            notes: notes.list,
            warnings,
            fails: fail_list,
            domain_fix,
            dropped,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn apply_missing(
        &self,
        warnings: &mut Vec<String>,
        st: &Scored,
        notes: &mut NoteList,
        ci: usize,
        policy: MissingPolicy,
        raw: &[f64],
        out: &mut [f64],
        used: &mut [Option<MissingPolicy>],
        fail_list: &mut Vec<String>,
        ranked: &[bool],
        x: Option<&mut Cow<'_, [f64]>>,
        shown: &mut ShownOverrides,
    ) -> Result<()> {
        let crit = &self.c.rules.criteria[ci];
        let missing: Vec<usize> = match &x {
            Some(x) => (0..st.n).filter(|&e| x[e].is_nan()).collect(),
            None => (0..st.n).filter(|&e| raw[e].is_nan()).collect(),
        };
        if missing.is_empty() {
            return Ok(());
        }
        match policy {
            MissingPolicy::Zero => {
                for &e in &missing {
                    out[e] = 0.0;
                    set_used(used, e, MissingPolicy::Zero);
                    notes.note(e, || {
                        format!(
                            "criterion '{}': value missing, scored 0 (missing = \"zero\"){}",
                            crit.id.value,
                            self.missing_formula_note(ci, e)
                        )
                    });
                }
                warnings.push(format!(
                    "criterion '{}': {} missing {} scored 0: {}",
                    crit.id.value,
                    missing.len(),
                    crate::diag::agree(missing.len(), "value", "values"),
                    self.some_ids(&missing)
                ));
            }
            MissingPolicy::Exclude => {
                for &e in &missing {
                    out[e] = f64::NAN;
                    set_used(used, e, MissingPolicy::Exclude);
                    notes.note(e, || {
                        format!(
                            "{}{RESCALED} (missing = \"exclude\"){}",
                            dropped_note_start(&crit.id.value),
                            self.missing_formula_note(ci, e)
                        )
                    });
                }
                warnings.push(format!(
                    "criterion '{}': {} missing {} dropped (exclude): {}",
                    crit.id.value,
                    missing.len(),
                    crate::diag::agree(missing.len(), "value", "values"),
                    self.some_ids(&missing)
                ));
            }
            MissingPolicy::Fail => {
                let i = self.c.criterion_indicator[ci];
                let transformed = x.is_some();
                for &e in &missing {
                    // Missing after the transform only: a value its domain leaves out (a 0
                    // under log10), not an empty cell.
                    let outside = match &crit.transform {
                        Some(tr) if transformed && !raw[e].is_nan() => format!(
                            ": value {} is outside the domain of {}",
                            crate::column::format_display(raw[e]),
                            tr.value.name()
                        ),
                        _ => String::new(),
                    };
                    fail_list.push(format!(
                        "{} ({}; criterion '{}'{outside})",
                        self.id(e),
                        self.missing_place(i, e),
                        crit.id.value
                    ));
                }
            }
            MissingPolicy::Mean | MissingPolicy::Median => {
                let Some(x) = x else {
                    // Categories cannot be averaged: score 0 and say so.
                    for &e in &missing {
                        out[e] = 0.0;
                        set_used(used, e, MissingPolicy::Zero);
                        notes.note(e, || format!("criterion '{}': category missing, scored 0 (mean/median do not apply to categories)", crit.id.value));
                    }
                    warnings.push(format!(
                        "criterion '{}': {} missing {} scored 0 ({policy_name} does not apply to categories): {}",
                        crit.id.value,
                        missing.len(),
                        crate::diag::agree(missing.len(), "category", "categories"),
                        self.some_ids(&missing),
                        policy_name = if policy == MissingPolicy::Mean { "mean" } else { "median" },
                    ));
                    return Ok(());
                };
                let name = if policy == MissingPolicy::Mean {
                    "mean"
                } else {
                    "median"
                };
                // Over the ranked entities with a value the criterion can use: one outside
                // the transform's domain is missing for it, so it neither counts here nor
                // keeps its raw value (it is imputed below like an empty cell).
                let mut groups: Vec<Vec<f64>> = vec![Vec::new(); st.cohort_names.len()];
                for e in 0..st.n {
                    if ranked[e] && !x[e].is_nan() {
                        groups[st.cohort[e] as usize].push(raw[e]);
                    }
                }
                let stat: Vec<Option<f64>> = groups
                    .iter_mut()
                    .map(|g| {
                        if g.is_empty() {
                            return None;
                        }
                        Some(if policy == MissingPolicy::Mean {
                            crate::num::mean_of(g)?
                        } else {
                            g.sort_by(|a, b| a.total_cmp(b));
                            let m = g.len() / 2;
                            if g.len() % 2 == 1 {
                                g[m]
                            } else {
                                (g[m - 1] + g[m]) / 2.0
                            }
                        })
                    })
                    .collect();
                let mut without_stat = Vec::new();
                for &e in &missing {
                    match stat[st.cohort[e] as usize] {
                        Some(v) => {
                            let t = crit
                                .transform
                                .as_ref()
                                .map_or(Some(v), |t| t.value.apply(v))
                                .unwrap_or(f64::NAN);
                            x.to_mut()[e] = t;
                            set_used(used, e, policy);
                            // A reported value outside the transform's domain keeps `value`
                            // null, imputed or not (SPEC §12 says so of that case); an empty
                            // cell shows the number imputed.
                            if raw[e].is_nan() {
                                shown.set(
                                    e,
                                    serde_json::Number::from_f64(v).map(serde_json::Value::Number),
                                );
                            }
                            notes.note(e, || format!("criterion '{}': value missing, imputed {} {} (missing = \"{name}\"){}", crit.id.value, name, crate::column::format_display(v), self.missing_formula_note(ci, e)));
                        }
                        None => {
                            out[e] = 0.0;
                            set_used(used, e, MissingPolicy::Zero);
                            without_stat.push(e);
                            notes.note(e, || format!("criterion '{}': value missing and no value to take the {name} of, scored 0{}", crit.id.value, self.missing_formula_note(ci, e)));
                        }
                    }
                }
                let imputed: Vec<usize> = missing
                    .iter()
                    .copied()
                    .filter(|&e| stat[st.cohort[e] as usize].is_some())
                    .collect();
                if !imputed.is_empty() {
                    warnings.push(format!(
                        "criterion '{}': {} missing {} imputed with the {name}: {}",
                        crit.id.value,
                        imputed.len(),
                        crate::diag::agree(imputed.len(), "value", "values"),
                        self.some_ids(&imputed)
                    ));
                }
                if !without_stat.is_empty() {
                    warnings.push(format!(
                        "criterion '{}': {} missing {} scored 0, no ranked entity of their \
                         cohort having a value to take the {name} of: {}",
                        crit.id.value,
                        without_stat.len(),
                        crate::diag::agree(without_stat.len(), "value", "values"),
                        self.some_ids(&without_stat)
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Records the missing policy used for entity `e` when policies are kept (per-entity detail).
fn set_used(used: &mut [Option<MissingPolicy>], e: usize, policy: MissingPolicy) {
    if let Some(u) = used.get_mut(e) {
        *u = Some(policy);
    }
}

/// Scaled points below this magnitude are stored as `i16` (`i16::MIN` marks a dropped one).
pub(super) const NARROW_LIMIT: f64 = 32_767.0;

/// One column of the sheet's published points and what it is computed from.
pub(super) enum PointSource<'a> {
    /// A dimension: its fraction per entity times its share of the scale.
    Share(&'a [f64], f64),
    /// A criterion's fractions (NaN where dropped) times its points.
    Fraction(&'a [f64], f64),
    /// A criterion already published as scaled whole numbers (`i16::MIN` where dropped).
    Narrow(&'a [i16]),
    /// A criterion already published (NaN where dropped).
    Published(&'a [f64]),
}

/// The published points as data-order rows (dimensions, then criteria), in the narrowest
/// type every value fits: `i16`, then `i32` (scaled values only), else `f64`. Written by
/// hand: a blocked transpose of the columns (each block of rows stays in cache), blocks in
/// parallel; a value that does not fit after all (a method outside [0, 1]) sends the whole
/// matrix to the next wider type.
pub(super) fn point_rows(
    n: usize,
    sources: &[PointSource<'_>],
    scaled: bool,
    m: f64,
    decimals: u32,
    largest_scaled: f64,
) -> PointRows {
    use std::sync::atomic::{AtomicBool, Ordering};
    let width = sources.len();
    let publish = |v: f64| {
        if scaled {
            crate::num::round_scaled(v, m)
        } else {
            round_half_away(v, decimals)
        }
    };
    // Fills a block of rows (from row `start`) with each column's published value, NaN
    // where dropped.
    let fill = |rows: &mut [f64], start: usize| {
        let len = rows.len() / width.max(1);
        for (c, src) in sources.iter().enumerate() {
            let cell = rows[c..].iter_mut().step_by(width).take(len);
            match *src {
                PointSource::Share(col, w) => {
                    for (out, &f) in cell.zip(&col[start..]) {
                        *out = publish(w * f);
                    }
                }
                PointSource::Fraction(col, p) => {
                    for (out, &s) in cell.zip(&col[start..]) {
                        *out = if s.is_nan() { f64::NAN } else { publish(s * p) };
                    }
                }
                PointSource::Narrow(col) => {
                    for (out, &k) in cell.zip(&col[start..]) {
                        *out = if k == i16::MIN {
                            f64::NAN
                        } else {
                            f64::from(k)
                        };
                    }
                }
                PointSource::Published(col) => {
                    for (out, &v) in cell.zip(&col[start..]) {
                        *out = v;
                    }
                }
            }
        }
    };
    // Rows of a block are made as f64 in a small buffer (in cache), then narrowed.
    fn rows_as<T: Copy + Send + Sync>(
        n: usize,
        width: usize,
        fill: &(impl Fn(&mut [f64], usize) + Sync),
        narrow: impl Fn(f64) -> Option<T> + Sync,
        dropped: T,
    ) -> Option<Vec<T>> {
        use rayon::prelude::*;
        const BLOCK: usize = 2048;
        let mut out = crate::column::filled_on_all_cores(n * width, dropped);
        if width == 0 {
            return Some(out);
        }
        let overflow = AtomicBool::new(false);
        out.par_chunks_mut(BLOCK * width).enumerate().for_each_init(
            Vec::new,
            |buf: &mut Vec<f64>, (b, rows)| {
                buf.clear();
                buf.resize(rows.len(), 0.0);
                fill(buf, b * BLOCK);
                for (o, &v) in rows.iter_mut().zip(buf.iter()) {
                    match narrow(v) {
                        Some(t) => *o = t,
                        None => overflow.store(true, Ordering::Relaxed),
                    }
                }
            },
        );
        (!overflow.into_inner()).then_some(out)
    }
    fn matrix<T>(n: usize, width: usize, rows: Vec<T>) -> Array2<T> {
        Array2::from_shape_vec((n, width), rows).expect("n rows of `width` values")
    }
    if scaled
        && largest_scaled < NARROW_LIMIT
        && let Some(rows) = narrow_rows_direct(n, sources, &publish)
    {
        return PointRows::Narrow(matrix(n, width, rows));
    }
    if scaled && largest_scaled < NARROW_LIMIT {
        let narrow = |v: f64| {
            if v.is_nan() {
                Some(i16::MIN)
            } else {
                (v.abs() < NARROW_LIMIT).then_some(v as i16)
            }
        };
        if let Some(rows) = rows_as(n, width, &fill, narrow, i16::MIN) {
            return PointRows::Narrow(matrix(n, width, rows));
        }
    }
    if scaled && largest_scaled < 1e9 {
        let compact = |v: f64| {
            if v.is_nan() {
                Some(i32::MIN)
            } else {
                (v.abs() < 2_147_483_647.0).then_some(v as i32)
            }
        };
        if let Some(rows) = rows_as(n, width, &fill, compact, i32::MIN) {
            return PointRows::Compact(matrix(n, width, rows));
        }
    }
    let rows = rows_as(n, width, &fill, Some, f64::NAN).expect("f64 holds every value");
    PointRows::Wide(matrix(n, width, rows))
}

/// [`point_rows`]' `i16` rows when every criterion is already published narrow (a folded
/// batch run): those columns are copied into the rows as they are, and only the dimensions
/// are published here. `None` when a source is of another kind or a dimension's value does
/// not fit (the general path then decides the type).
fn narrow_rows_direct(
    n: usize,
    sources: &[PointSource<'_>],
    publish: &(impl Fn(f64) -> f64 + Sync),
) -> Option<Vec<i16>> {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    const BLOCK: usize = 4096;
    let width = sources.len();
    if width == 0
        || !sources
            .iter()
            .all(|s| matches!(s, PointSource::Share(..) | PointSource::Narrow(_)))
    {
        return None;
    }
    // Every value is written below, block by block on all cores (which fault its pages in):
    // untouched zeroed memory, not a fill.
    let mut out = vec![0i16; n * width];
    let overflow = AtomicBool::new(false);
    out.par_chunks_mut(BLOCK * width)
        .enumerate()
        .for_each(|(b, rows)| {
            let start = b * BLOCK;
            let len = rows.len() / width;
            // The dimensions published into small buffers first; then each row is gathered
            // from every column's block (contiguous writes, one read stream per column).
            let mut shares: Vec<Vec<i16>> = Vec::new();
            for src in sources {
                if let PointSource::Share(col, w) = *src {
                    let share = col[start..start + len]
                        .iter()
                        .map(|&f| {
                            let v = publish(w * f);
                            if v.is_nan() {
                                i16::MIN
                            } else if v.abs() < NARROW_LIMIT {
                                v as i16
                            } else {
                                overflow.store(true, Ordering::Relaxed);
                                i16::MIN
                            }
                        })
                        .collect();
                    shares.push(share);
                }
            }
            let mut shares = shares.iter();
            let columns: Vec<&[i16]> = sources
                .iter()
                .map(|src| match *src {
                    PointSource::Narrow(col) => &col[start..start + len],
                    PointSource::Share(..) => shares.next().expect("one per share"),
                    PointSource::Fraction(..) | PointSource::Published(_) => {
                        unreachable!("checked above")
                    }
                })
                .collect();
            for (r, row) in rows.chunks_exact_mut(width).enumerate() {
                for (o, col) in row.iter_mut().zip(&columns) {
                    *o = col[r];
                }
            }
        });
    (!overflow.into_inner()).then_some(out)
}

/// Criteria folded as they are scored (a batch run's sheet needs nothing else): each
/// dimension's running sum of points × fraction (and of kept points, once one of its
/// criteria drops an entity), and each criterion's published points. The sums follow
/// [`Evidence::dimension_fractions`] operation for operation, so the results are the same
/// to the bit.
pub(super) struct FoldedCriteria {
    n: usize,
    /// Σ p·s per dimension, column-major. A dimension's column is untouched memory until the
    /// wave of its first criterion writes zeros into it block by block (see `add_wave`).
    sums: Array2<f64>,
    /// Whether a dimension's column of `sums` has been written.
    started: Vec<bool>,
    /// Σ kept p per entity, for a dimension where some criterion was dropped.
    kept: Vec<Option<Vec<f64>>>,
    /// Σ p per dimension over the criteria folded so far.
    full: Vec<f64>,
    columns: Vec<PublishedColumn>,
}

/// A criterion's published points, scaled: `i16` (`MIN` where dropped) when they fit.
pub(super) enum PublishedColumn {
    Narrow { points: Vec<i16>, dropped: bool },
    Wide { points: Vec<f64>, dropped: bool },
}

impl PublishedColumn {
    /// Publishes fractions `f` (NaN where dropped) of a criterion worth `p` points, scaled
    /// by `m` = 10^decimals.
    pub(super) fn of(f: &[f64], p: f64, m: f64) -> Self {
        // One branch-free pass (`num::round_scaled_narrow`): the narrow points, whether all
        // fit and whether any entity was dropped.
        let mut points = vec![0i16; f.len()];
        let (mut dropped, mut fits) = (false, true);
        for (o, &s) in points.iter_mut().zip(f) {
            let nan = s.is_nan();
            let (k, fit) = crate::num::round_scaled_narrow(s * p, m);
            dropped |= nan;
            fits &= nan | fit;
            *o = if nan { i16::MIN } else { k };
        }
        if fits {
            return PublishedColumn::Narrow { points, dropped };
        }
        let points = f
            .iter()
            .map(|&s| {
                if s.is_nan() {
                    f64::NAN
                } else {
                    crate::num::round_scaled(s * p, m)
                }
            })
            .collect();
        PublishedColumn::Wide { points, dropped }
    }

    pub(super) fn dropped(&self) -> bool {
        match self {
            PublishedColumn::Narrow { dropped, .. } | PublishedColumn::Wide { dropped, .. } => {
                *dropped
            }
        }
    }
}

impl FoldedCriteria {
    pub(super) fn new(n: usize, nd: usize) -> Self {
        FoldedCriteria {
            n,
            sums: Array2::zeros((n, nd).f()),
            started: vec![false; nd],
            kept: vec![None; nd],
            full: vec![0.0; nd],
            columns: Vec::new(),
        }
    }

    /// Folds the next criteria (rules order): each one's fractions (NaN where dropped),
    /// dimension and points, with its published column. One pass over blocks of rows adds
    /// them all, each entity's sums in rules order.
    pub(super) fn add_wave(
        &mut self,
        wave: &[(&[f64], usize, f64)],
        published: Vec<PublishedColumn>,
    ) {
        use rayon::prelude::*;
        const CHUNK: usize = 1 << 14;
        let n = self.n;
        // Whether each criterion is added with kept points (its dimension has dropped an
        // entity by then); a dimension's kept points start as the sum of its earlier points.
        let mut with_kept = Vec::with_capacity(wave.len());
        // Dimensions whose first criterion is in this wave: their sums are written (zeros)
        // before they are added to. `Array2::zeros` is calloc'd, fresh pages; adding to them
        // directly would read the shared zero page first, and the write after it is a
        // copy-on-write fault that flushes the TLB of every core running this process
        // (~30 ms per dimension at 10⁶ rows on a VM, where that flush is an IPI).
        let mut fresh = Vec::new();
        for (&(f, d, p), column) in wave.iter().zip(&published) {
            debug_assert_eq!(f.len(), n);
            if !self.started[d] {
                self.started[d] = true;
                fresh.push(d);
            }
            if self.kept[d].is_none() && column.dropped() {
                // Filled by writes (not calloc'd when `full` is 0), for the same reason.
                let mut kept = Vec::with_capacity(n);
                kept.resize(n, self.full[d]);
                self.kept[d] = Some(kept);
            }
            with_kept.push(self.kept[d].is_some());
            self.full[d] += p;
        }
        self.columns.extend(published);
        let chunks = n.div_ceil(CHUNK);
        type Block<'a> = (Vec<&'a mut [f64]>, Vec<Option<&'a mut [f64]>>);
        let mut blocks: Vec<Block<'_>> = (0..chunks).map(|_| (Vec::new(), Vec::new())).collect();
        let sums = self
            .sums
            .as_slice_memory_order_mut()
            .expect("a column-major matrix is contiguous");
        for column in sums.chunks_mut(n) {
            for (b, part) in column.chunks_mut(CHUNK).enumerate() {
                blocks[b].0.push(part);
            }
        }
        for kept in &mut self.kept {
            match kept {
                Some(v) => {
                    for (b, part) in v.chunks_mut(CHUNK).enumerate() {
                        blocks[b].1.push(Some(part));
                    }
                }
                None => blocks.iter_mut().for_each(|blk| blk.1.push(None)),
            }
        }
        blocks
            .into_par_iter()
            .enumerate()
            .for_each(|(b, (mut sums, mut kept))| {
                let start = b * CHUNK;
                for &d in &fresh {
                    sums[d].fill(0.0);
                }
                for (&(f, d, p), &k) in wave.iter().zip(&with_kept) {
                    let sum = &mut *sums[d];
                    let f = &f[start..start + sum.len()];
                    if k {
                        let kept = kept[d].as_deref_mut().expect("kept points exist");
                        for ((acc, mx), &s) in sum.iter_mut().zip(kept.iter_mut()).zip(f) {
                            if !s.is_nan() {
                                *acc += p * s;
                                *mx += p;
                            }
                        }
                    } else {
                        for (acc, &s) in sum.iter_mut().zip(f) {
                            *acc += p * s;
                        }
                    }
                }
            });
    }

    /// The dimension fractions (entities × dimensions, column-major) and the criteria's
    /// published points.
    pub(super) fn finish(self) -> (Array2<f64>, Vec<PublishedColumn>) {
        let FoldedCriteria {
            mut sums,
            kept,
            full,
            columns,
            ..
        } = self;
        for (d, kept) in kept.iter().enumerate() {
            let kept = kept.as_deref().map(ndarray::ArrayView1::from);
            crate::engine::evidence::dimension_share(sums.column_mut(d), kept, full[d]);
        }
        (sums, columns)
    }
}

/// The start of a criterion's note when `missing = "exclude"` dropped it; followed by
/// [`RESCALED`] unless its whole dimension was dropped.
fn dropped_note_start(criterion: &str) -> String {
    format!("criterion '{criterion}': value missing, criterion dropped")
}

/// What dropping a criterion does to its dimension while other criteria remain.
const RESCALED: &str = " and its dimension rescaled";
