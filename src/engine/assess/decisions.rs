//! Cohorts, gates, adjustments, caps and tiers, and the warnings of decisions a missing
//! value made.

use super::*;

impl Run<'_> {
    /// Compiles the conditions evaluated on the entities: gates, adjustments, tier
    /// `requires` and `direct` (errors gather in `errors`).
    pub(super) fn compile_conditions(&self, errors: &mut Vec<Diagnostic>) -> Conditions {
        let c = self.c;
        Conditions {
            gates: self.compile_places(&c.gate_exprs, errors),
            adjustments: self.compile_places(&c.adjustment_exprs, errors),
            requires: c
                .tier_requires
                .iter()
                .map(|ps| self.compile_places(ps, errors))
                .collect(),
            direct: c
                .tier_direct
                .iter()
                .map(|ps| self.compile_places(ps, errors))
                .collect(),
        }
    }

    /// Each scored entity's cohort, numbered ascending by text (code-point order, missing
    /// last), and the cohorts' names (`None`: the cohort of missing values).
    pub(super) fn cohorts(&mut self) -> Result<(Vec<u32>, Vec<Option<String>>)> {
        let c = self.c;
        let n = self.scored.len();
        let Some(name) = &c.rules.settings.cohort else {
            return Ok((vec![0u32; n], vec![None]));
        };
        let Some(cat) = self.category(&name.value)? else {
            if let Some(e) = self.member_category_error(
                name,
                &format!("cohort '{}'", name.value),
                "rank the entities together (leave cohort out)",
            ) {
                return Err(e);
            }
            return Err(Error::one(rules_error(
                c,
                name.span,
                format!(
                    "cohort '{}' names neither an indicator nor a data column",
                    name.value
                ),
                Some(self.category_help(&name.value)),
            )));
        };
        self.warn_look_alike_cohorts(&name.value, &cat);
        let mut order: Vec<usize> = (0..cat.dict.len()).collect();
        order.sort_by(|a, b| cat.dict[*a].cmp(&cat.dict[*b]));
        let mut rank_of = vec![0u32; cat.dict.len()];
        for (k, &d) in order.iter().enumerate() {
            rank_of[d] = k as u32;
        }
        let mut names: Vec<Option<String>> = order
            .iter()
            .map(|&d| Some(cat.dict[d].to_string()))
            .collect();
        let missing_idx = names.len() as u32;
        let mut any_missing = Vec::new();
        let cohort: Vec<u32> = (0..n)
            .map(|e| match cat.codes[e] {
                TextColumn::MISSING => {
                    any_missing.push(e);
                    missing_idx
                }
                code => rank_of[code as usize],
            })
            .collect();
        if !any_missing.is_empty() {
            names.push(None);
            self.warnings.push(format!(
                "{} {} no cohort value ('{}') and {} a cohort of {} own: {}",
                crate::diag::entities(any_missing.len()),
                crate::diag::agree(any_missing.len(), "has", "have"),
                name.value,
                crate::diag::agree(any_missing.len(), "forms", "form"),
                crate::diag::agree(any_missing.len(), "its", "their"),
                self.some_ids(&any_missing)
            ));
        }
        Ok((cohort, names))
    }

    /// Warns of ranked entities whose id or name reads as a totals caption (`合计`): such a
    /// row is scored and ranked like the others, and its sums usually put it first. A
    /// warning, not an error: an entity may carry such a name. An entity an exclude gate
    /// leaves out, or a row of another year, is not warned of.
    pub(super) fn warn_total_rows(&mut self, ranked: &[bool]) {
        let id_captions = total_captions(&self.entity_ids);
        let name_captions = self.entity_names.as_ref().and_then(total_captions);
        if id_captions.is_none() && name_captions.is_none() {
            return;
        }
        // The caption an entity's label or id reads as, label first.
        let caption_of = |e: usize| -> Option<&str> {
            let row = self.scored[e];
            self.entity_names
                .as_ref()
                .zip(name_captions.as_deref())
                .and_then(|(t, c)| total_caption_at(t, c, row))
                .or_else(|| total_caption_at(&self.entity_ids, id_captions.as_deref()?, row))
        };
        let found: Vec<usize> = (0..self.scored.len())
            .filter(|&e| ranked[e] && caption_of(e).is_some())
            .collect();
        let aggregated = self.c.rules.aggregate.is_some();
        let mut said = Vec::new();
        for &e in found.iter().take(3) {
            let id = self.id(e);
            let caption = caption_of(e).unwrap_or(id);
            let of_id = if caption == id {
                String::new()
            } else {
                format!(" (id '{id}')")
            };
            let text = if aggregated {
                format!(
                    "entity '{caption}'{of_id} looks like a totals group, yet it is scored and ranked as an entity; delete its member rows, or give them another {} value",
                    self.c
                        .rules
                        .aggregate
                        .as_ref()
                        .map_or("", |a| a.by.value.as_str())
                )
            } else {
                let at = self.data.table.file_row(self.scored[e]);
                format!(
                    "{at}: '{caption}'{of_id} looks like a totals row, yet it is scored and ranked as an entity; delete the row, or leave it out with a gate: [[gate]] require = \"`{}` != '{}'\"",
                    self.c.rules.settings.id.value.replace('`', ""),
                    id.replace('\'', "")
                )
            };
            said.push(text);
        }
        self.warnings.extend(said);
        if found.len() > 3 {
            let rest: Vec<usize> = found[3..].to_vec();
            let text = format!(
                "{} more entities look like totals rows and are ranked: {}",
                rest.len(),
                self.some_ids(&rest)
            );
            self.warnings.push(text);
        }
    }

    /// Warns of entity ids of the scored year that differ only in width, case or spacing: most
    /// likely one enterprise typed two ways (a credit code from a full-width input method),
    /// scored twice and counted twice in quotas. Under `[aggregate]` the entity ids are the
    /// `by` values, whose look-alikes are warned of where the groups are formed.
    pub(super) fn warn_look_alike_ids(&mut self) {
        if self.c.rules.aggregate.is_some() {
            return;
        }
        let said = look_alike_id_warnings(
            &self.entity_ids,
            &self.scored,
            &self.data.table,
            "ids",
            "are scored as separate entities (each counted in quotas and cohort statistics)",
        );
        self.warnings.extend(said);
    }

    /// Warns when the exclude gates leave no entity ranked: almost always a condition that
    /// does not match how the data writes its values (`region == 'east'` against `东部`),
    /// not a year in which every entity failed.
    pub(super) fn warn_all_excluded(&mut self, excluded_by: &[Option<u32>]) {
        if excluded_by.is_empty() || excluded_by.iter().any(Option::is_none) {
            return;
        }
        let gates = &self.c.rules.gates;
        let mut count = vec![0usize; gates.len()];
        for g in excluded_by.iter().flatten() {
            count[*g as usize] += 1;
        }
        let by: Vec<String> = count
            .iter()
            .enumerate()
            .filter(|&(_, &k)| k > 0)
            .map(|(g, &k)| format!("'{}': {}", gates[g].id.value, crate::diag::entities(k)))
            .collect();
        self.warnings.push(format!(
            "the exclude gates left no entity ranked (excluded by {}): check each condition against the values the data holds (a text compared with == must be written as the data writes it)",
            by.join(", ")
        ));
    }

    /// Warns of cohorts with one ranked entity, when the rules have relative criteria or
    /// quotas: each piece is as specified (one value is its cohort's minimum and maximum, a
    /// quota is at least one place), but together they give the cohort's only entity full
    /// relative points and a tier place, whatever its values (the smallest cluster of all,
    /// alone in 西部, ranks first there).
    pub(super) fn warn_lone_cohorts(
        &mut self,
        cohort: &[u32],
        names: &[Option<String>],
        ranked: &[bool],
    ) {
        let r = &self.c.rules;
        let Some(by) = &r.settings.cohort else {
            return;
        };
        if names.len() < 2 {
            return;
        }
        let relative: Vec<&str> = r
            .criteria
            .iter()
            .filter(|c| {
                matches!(
                    c.method,
                    Method::MinMax | Method::ZScore | Method::Percentile
                )
            })
            .map(|c| c.id.value.as_str())
            .collect();
        let quotas: Vec<&str> = r
            .tiers
            .iter()
            .filter(|t| t.top_percent.is_some() || t.max_count.is_some_and(|m| m > 0))
            .map(|t| t.id.value.as_str())
            .collect();
        if relative.is_empty() && quotas.is_empty() {
            return;
        }
        let mut count = vec![0usize; names.len()];
        let mut only = vec![0usize; names.len()];
        for (e, (&c, &k)) in cohort.iter().zip(ranked).enumerate() {
            if k {
                count[c as usize] += 1;
                only[c as usize] = e;
            }
        }
        self.warn_cohorts_without_ranked(by.value.as_str(), cohort, names, &count, &relative);
        let lone: Vec<usize> = (0..names.len()).filter(|&c| count[c] == 1).collect();
        if lone.is_empty() {
            return;
        }
        let mut parts = Vec::new();
        if !relative.is_empty() {
            parts.push(format!(
                "its relative criteria ({}) compare it with itself alone: minmax and percentile give it full points, zscore half",
                member_list(&relative)
            ));
        }
        if !quotas.is_empty() {
            parts.push(format!(
                "the cohort's quotas ({}) give it a place, as a quota is at least one place per cohort",
                member_list(&quotas)
            ));
        }
        for &c in lone.iter().take(3) {
            let value = cohort_value_shown(&names[c]);
            let id = crate::diag::truncate(self.id(only[c]), 40);
            self.warnings.push(format!(
                "cohort '{}' = {value} has one ranked entity, '{id}': {}; if that is not meant, join it to another cohort in the data, or score without cohort",
                by.value,
                parts.join("; and ")
            ));
        }
        if lone.len() > 3 {
            self.warnings.push(format!(
                "{} more cohorts of '{}' have one ranked entity each (as above): {}",
                lone.len() - 3,
                by.value,
                cohort_values(names, &lone[3..])
            ));
        }
    }

    /// Warns of cohorts whose every entity an exclude gate left out, when the rules have
    /// relative criteria: those entities are still shown with criterion points, yet no
    /// ranked entity of their cohort is there to compare them with (percentile gives full
    /// points, zscore half, minmax none), so their points say nothing. Not said when no
    /// entity at all is ranked ([`Self::warn_all_excluded`] says that).
    fn warn_cohorts_without_ranked(
        &mut self,
        by: &str,
        cohort: &[u32],
        names: &[Option<String>],
        ranked_in: &[usize],
        relative: &[&str],
    ) {
        if relative.is_empty() || ranked_in.iter().all(|&k| k == 0) {
            return;
        }
        let mut members = vec![0usize; names.len()];
        for &c in cohort {
            members[c as usize] += 1;
        }
        let empty: Vec<usize> = (0..names.len())
            .filter(|&c| ranked_in[c] == 0 && members[c] > 0)
            .collect();
        // What each method the rules use shows such entities.
        let r = &self.c.rules;
        let shows: Vec<&str> = [
            (Method::Percentile, "percentile full points"),
            (Method::ZScore, "zscore half"),
            (Method::MinMax, "minmax none"),
        ]
        .into_iter()
        .filter(|(m, _)| r.criteria.iter().any(|c| c.method == *m))
        .map(|(_, text)| text)
        .collect();
        for &c in empty.iter().take(3) {
            self.warnings.push(format!(
                "cohort '{by}' = {} has no ranked entity (exclude gates left out its {}): its relative criteria ({}) have nothing to compare them with, and show them {}",
                cohort_value_shown(&names[c]),
                crate::diag::entities(members[c]),
                member_list(relative),
                shows.join(", ")
            ));
        }
        if empty.len() > 3 {
            self.warnings.push(format!(
                "{} more cohorts of '{by}' have no ranked entity (as above): {}",
                empty.len() - 3,
                cohort_values(names, &empty[3..])
            ));
        }
    }

    /// Warns of ranked entities whose id reads as a note under the table (`注：数据来源于…`,
    /// `填表人：张三`): a note written in the first column of an export is read as a row,
    /// scored (its cells are empty) and counted in every quota and cohort statistic.
    pub(super) fn warn_note_rows(&mut self, ranked: &[bool]) {
        let found: Vec<usize> = self
            .note_entities()
            .into_iter()
            .filter(|&e| ranked[e])
            .collect();
        for &e in found.iter().take(3) {
            let at = self.data.table.file_row(self.scored[e]);
            let note = crate::diag::truncate(self.id(e), 60);
            self.warnings.push(format!(
                "{at}: '{note}' looks like a note under the table, yet it is scored and ranked as an entity (and counted in quotas and cohort statistics); delete the row"
            ));
        }
        if found.len() > 3 {
            let rest: Vec<usize> = found[3..].to_vec();
            let text = format!(
                "{} more {} under the table and {} ranked: {}",
                rest.len(),
                crate::diag::agree(
                    rest.len(),
                    "entity looks like a note",
                    "entities look like notes"
                ),
                crate::diag::agree(rest.len(), "is", "are"),
                self.some_ids(&rest)
            );
            self.warnings.push(text);
        }
    }

    /// For an error that stops the run before [`Self::warn_note_rows`] could say it: the
    /// first scored entity whose id reads as a note under the table, as the start of a
    /// help ("data.csv row 61: '注：…' is a note under the table, read as a row: delete the
    /// row; otherwise "), or empty.
    pub(super) fn note_row_help(&self) -> String {
        match self.note_entities().first() {
            Some(&e) => {
                let at = self.data.table.file_row(self.scored[e]);
                let note = crate::diag::truncate(self.id(e), 60);
                format!(
                    "{at}: '{note}' is a note under the table, read as a row: delete the row; otherwise "
                )
            }
            None => String::new(),
        }
    }

    /// The scored entities whose id reads as a note under the table, in data order (none,
    /// decided without a look at the rows, when no distinct id reads so).
    fn note_entities(&self) -> Vec<usize> {
        let Some(notes) = note_captions(&self.entity_ids) else {
            return Vec::new();
        };
        (0..self.scored.len())
            .filter(|&e| {
                let code = self.entity_ids.codes[self.scored[e]];
                code != TextColumn::MISSING && notes[code as usize]
            })
            .collect()
    }

    /// Warns of cohort values that differ only in width, case or spacing (`Ａ类` and `A类`,
    /// `东　部` and `东部`), that are one number (`1`, `1.0`), or where one contains the other
    /// (`东部`, `东部地区`): most likely one region typed two ways, yet ranked and given
    /// quotas as separate cohorts. Kept apart (the data says two values), but never silently.
    fn warn_look_alike_cohorts(&mut self, cohort: &str, cat: &TextColumn) {
        let what = |n: usize| crate::diag::entities(n);
        let count = value_counts(cat);
        let groups = look_alike_groups(cat);
        for g in groups.iter().take(LOOK_ALIKE_SHOWN) {
            self.warnings.push(format!(
                "cohort '{cohort}': {} differ only in full-width characters, case or spacing (or are one number), and are ranked as separate cohorts, each with its own quotas; if they are one group, write them alike in the data",
                values_with_counts(cat, &count, g, &what)
            ));
        }
        let pairs = containing_pairs(cat);
        for &(short, long) in pairs.iter().take(LOOK_ALIKE_SHOWN) {
            self.warnings.push(format!(
                "cohort '{cohort}': {} names {} more fully, and they are ranked as separate cohorts, each with its own quotas; if they are one group, write them alike in the data",
                values_with_counts(cat, &count, &[long], &what),
                values_with_counts(cat, &count, &[short], &what),
            ));
        }
        let more = groups.len().saturating_sub(LOOK_ALIKE_SHOWN)
            + pairs.len().saturating_sub(LOOK_ALIKE_SHOWN);
        if more > 0 {
            self.warnings.push(format!(
                "cohort '{cohort}': {more} more groups of values look alike (as above)"
            ));
        }
    }

    /// The frame slots read after the criteria: by the conditions, `[output].carry`, the
    /// categories of tier minimums and the cohort.
    pub(super) fn inputs_after_criteria(&self, conditions: &Conditions) -> Vec<usize> {
        let r = &self.c.rules;
        conditions
            .gates
            .iter()
            .chain(&conditions.adjustments)
            .chain(conditions.requires.iter().flatten())
            .chain(conditions.direct.iter().flatten())
            .flatten()
            .flat_map(|p| p.slots())
            // Carried columns are data columns, whatever indicator shares their name.
            .chain(
                r.output
                    .carry
                    .iter()
                    .filter_map(|c| self.data.table.column_index(&fold_header(&c.value))),
            )
            .chain(
                r.tiers
                    .iter()
                    .filter_map(|t| match &t.min_score {
                        Some(Param::ByCategory { by, .. }) => Some(by.value.as_str()),
                        _ => None,
                    })
                    .chain(r.settings.cohort.as_ref().map(|c| c.value.as_str()))
                    .filter_map(|name| self.slot_of_name(name)),
            )
            .collect()
    }

    /// Exclude gates, in file order, before any relative statistic: the first failing gate
    /// excludes the entity (noted with the values involved); missing values are warned.
    #[allow(clippy::needless_range_loop)]
    pub(super) fn apply_exclude_gates(&mut self, gate_progs: &[Option<Program>], st: &mut Scored) {
        let c = self.c;
        for (g, gate) in c.rules.gates.iter().enumerate() {
            if c.gate_cap[g].is_some() {
                continue;
            }
            let cond = self.condition(gate_progs[g].as_ref().expect("compiled"), || {
                format!("gate '{}'", gate.id.value)
            });
            let mut missing = Vec::new();
            for e in 0..st.n {
                if cond[e] != Some(true) && st.excluded_by[e].is_none() {
                    st.excluded_by[e] = Some(g as u32);
                    let why = if cond[e].is_none() {
                        " (a value was missing)"
                    } else {
                        ""
                    };
                    st.note(e, || {
                        format!(
                            "excluded by gate '{}' ({}){why}: {}",
                            gate.id.value,
                            gate.label.as_deref().unwrap_or(&gate.require.value),
                            self.values_in(&c.gate_exprs[g], e)
                        )
                    });
                }
                if cond[e].is_none() {
                    missing.push(e);
                }
            }
            if !missing.is_empty() {
                self.warnings.push(format!(
                    "gate '{}': a missing value left the condition unmet for {}: {}",
                    gate.id.value,
                    crate::diag::entities(missing.len()),
                    self.some_ids(&missing)
                ));
            }
        }
    }

    /// Each entity's sum of adjustment points whose `when` holds, and (per-entity detail
    /// only) the points of each adjustment applied, entities × adjustments row-major.
    #[allow(clippy::needless_range_loop)]
    pub(super) fn apply_adjustments(
        &mut self,
        adj_progs: &[Option<Program>],
        full: bool,
        st: &mut Scored,
    ) -> (Vec<f64>, Vec<f64>) {
        let r = &self.c.rules;
        let n = self.scored.len();
        let na = r.adjustments.len();
        let decimals = r.settings.decimals;
        let mut applied = vec![0.0; if full { n * na } else { 0 }];
        let mut adjustment = vec![0.0; n];
        for (a, adj) in r.adjustments.iter().enumerate() {
            let cond = self.condition(adj_progs[a].as_ref().expect("compiled"), || {
                format!("adjustment '{}'", adj.id.value)
            });
            let mut missing = Vec::new();
            for e in 0..n {
                match cond[e] {
                    Some(true) => {
                        adjustment[e] += adj.points;
                        if full {
                            // Published rounded, as every component (SPEC §5.3).
                            applied[e * na + a] = round_half_away(adj.points, decimals);
                        }
                    }
                    None => {
                        missing.push(e);
                        // On the entity too, as a gate's or a tier's missing value is.
                        st.note(e, || {
                            format!(
                                "adjustment '{}' ({}) not applied: a missing value left its condition unmet ({})",
                                adj.id.value,
                                adj.label.as_deref().unwrap_or(&adj.when.value),
                                self.values_in(&self.c.adjustment_exprs[a], e)
                            )
                        });
                    }
                    _ => {}
                }
            }
            if !missing.is_empty() {
                self.warnings.push(format!(
                    "adjustment '{}': a missing value left the condition unmet for {}, not applied: {}",
                    adj.id.value,
                    crate::diag::entities(missing.len()),
                    self.some_ids(&missing)
                ));
            }
        }
        (adjustment, applied)
    }

    /// Sets the final scores into the entity frame, for the conditions that read `score`.
    pub(super) fn publish_scores(&mut self, score: &[f64]) {
        let mut col = vec![f64::NAN; self.entities.rows];
        for (e, &row) in self.scored.iter().enumerate() {
            col[row] = score[e];
        }
        self.entities.set(self.slots.score(), Column::Number(col));
    }

    /// Capping gates: per entity, the lowest tier a failing gate allows and that gate
    /// (empty when no gate caps).
    #[allow(clippy::needless_range_loop)]
    pub(super) fn apply_capping_gates(
        &mut self,
        gate_progs: &[Option<Program>],
        st: &mut Scored,
        ranked: &[bool],
    ) -> Vec<Option<(usize, usize)>> {
        let c = self.c;
        let r = &c.rules;
        let n = st.n;
        let capping = c.gate_cap.iter().any(Option::is_some);
        let mut cap: Vec<Option<(usize, usize)>> = vec![None; if capping { n } else { 0 }];
        for (g, gate) in r.gates.iter().enumerate() {
            let Some(tier) = c.gate_cap[g] else { continue };
            let cond = self.condition(gate_progs[g].as_ref().expect("compiled"), || {
                format!("gate '{}'", gate.id.value)
            });
            let mut missing = Vec::new();
            for e in 0..n {
                if cond[e] != Some(true) {
                    if cap[e].is_none_or(|(t, _)| tier > t) {
                        cap[e] = Some((tier, g));
                    }
                    if ranked[e] {
                        st.note(e, || {
                            format!(
                                "gate '{}' failed: tier capped at '{}' ({})",
                                gate.id.value,
                                r.tiers[tier].id.value,
                                self.values_in(&c.gate_exprs[g], e)
                            )
                        });
                    }
                }
                if cond[e].is_none() && ranked[e] {
                    missing.push(e);
                }
            }
            if !missing.is_empty() {
                self.warnings.push(format!(
                    "gate '{}': a missing value left the condition unmet for {}: {}",
                    gate.id.value,
                    crate::diag::entities(missing.len()),
                    self.some_ids(&missing)
                ));
            }
        }
        cap
    }

    /// Warns of entities tied on score that a missing tie-break value (sorted last) placed.
    pub(super) fn warn_missing_tie_breaks(
        &mut self,
        ev: &Evidence,
        order: &[usize],
        rank: &[Option<usize>],
        score: &[f64],
        st: &mut Scored,
    ) {
        let m = ev.tie_values.len();
        if m == 0 {
            return;
        }
        // A missing value decided only where an entity tied with it agrees on every
        // earlier tie-break and has the value this one lacks: then this one was placed
        // after it for want of the value. (Placed first by an earlier key, or tied with
        // entities that lack it too, the missing value decided nothing.) `order` is the
        // ranking, cohort by cohort: ties are runs of it sorted by the keys with a missing
        // value last, so the entities that agree with e before key k and have key k come
        // just before e, past those that lack it as e does. Only entities with a missing
        // key are looked at, from their place in `order` backwards.
        let mut start = vec![0usize; ev.cohorts + 1];
        for (e, r) in rank.iter().enumerate() {
            if r.is_some() {
                start[ev.cohort[e] as usize + 1] += 1;
            }
        }
        for c in 1..start.len() {
            start[c] += start[c - 1];
        }
        let place = |e: usize| -> Option<usize> {
            let p = start[ev.cohort[e] as usize] + rank[e]? - 1;
            (order.get(p) == Some(&e)).then_some(p)
        };
        // (-0 and 0 are one value, as the sort takes them: regr46.)
        let same = |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan());
        // Whether the entity at place p agrees with e on the score and every key before k.
        let agrees = |p: usize, e: usize, k: usize| {
            let o = order[p];
            ev.cohort[o] == ev.cohort[e]
                && score[o] == score[e]
                && (0..k).all(|j| same(ev.tie_values[j][o], ev.tie_values[j][e]))
        };
        // Per key and entity, once found: whether the missing value decided (the same along a
        // run of entities lacking the same key): 0 not yet, 1 no, 2 yes. A key's table is
        // made when an entity first lacks that key, so each run is walked once.
        let mut known: Vec<Vec<u8>> = vec![Vec::new(); m];
        let mut list = Vec::new();
        for e in 0..rank.len() {
            if rank[e].is_none() || !ev.tie_values.iter().any(|t| t[e].is_nan()) {
                continue;
            }
            let Some(at) = place(e) else { continue };
            let mut named = false;
            let mut deciding = Vec::new();
            for k in (0..m).filter(|&k| ev.tie_values[k][e].is_nan()) {
                if known[k].is_empty() {
                    known[k] = vec![0u8; rank.len()];
                }
                let known = &mut known[k];
                let mut walked = Vec::new();
                let mut p = at;
                let decided = loop {
                    match known[order[p]] {
                        1 => break false,
                        2 => break true,
                        _ => {}
                    }
                    walked.push(order[p]);
                    if p == 0 || !agrees(p - 1, e, k) {
                        break false;
                    }
                    p -= 1;
                    if !ev.tie_values[k][order[p]].is_nan() {
                        break true;
                    }
                };
                for w in walked {
                    known[w] = 1 + u8::from(decided);
                }
                named |= decided;
                if decided {
                    deciding.push(k);
                }
            }
            if named {
                list.push(e);
                let r = &self.c.rules;
                st.note(e, || {
                    let keys: Vec<String> = deciding
                        .iter()
                        .map(|&k| format!("'{}'", r.settings.tie_break[k].value))
                        .collect();
                    format!(
                        "tie_break: placed after the entities tied with it on score that have a value of {}, which it lacks",
                        keys.join(" and ")
                    )
                });
            }
        }
        if !list.is_empty() {
            self.warnings.push(format!(
                "tie_break: {} tied on score had a missing tie-break value, placed \
                 after the tied entities that have one: {}",
                crate::diag::entities(list.len()),
                self.some_ids(&list)
            ));
        }
    }

    /// Each tier's rule per entity: minimum score, whether its `requires` hold and whether
    /// a `direct` condition qualifies the entity (conditions may read scores).
    /// With them, per tier, who took a category table's default for its `min_score`.
    #[allow(clippy::type_complexity)]
    pub(super) fn tier_rules(
        &self,
        conditions: &Conditions,
    ) -> Result<(Vec<TierRule>, Vec<Option<TableDefaults>>)> {
        use rayon::prelude::*;
        let n = self.scored.len();
        let mut rules = Vec::with_capacity(self.c.rules.tiers.len());
        let mut defaults = Vec::with_capacity(self.c.rules.tiers.len());
        for (t, tr) in self.c.rules.tiers.iter().enumerate() {
            let reqs: Vec<Vec<Option<bool>>> = conditions.requires[t]
                .iter()
                .map(|p| {
                    self.condition(p.as_ref().expect("compiled"), || {
                        tier_condition(&tr.id.value, false)
                    })
                })
                .collect();
            let directs: Vec<Vec<Option<bool>>> = conditions.direct[t]
                .iter()
                .map(|p| {
                    self.condition(p.as_ref().expect("compiled"), || {
                        tier_condition(&tr.id.value, true)
                    })
                })
                .collect();
            let min = match &tr.min_score {
                Some(p) => {
                    let (v, d) = self
                        .resolve_param_noting(p, &format!("min_score of tier '{}'", tr.id.value))?;
                    defaults.push(d);
                    v
                }
                None => {
                    defaults.push(None);
                    ParamValues::Scalar(f64::NAN)
                }
            };
            let requires: Vec<Option<bool>> = (0..n)
                .into_par_iter()
                .with_min_len(1 << 13)
                .map(|e| {
                    if reqs.iter().any(|c| c[e] == Some(false)) {
                        Some(false)
                    } else if reqs.iter().any(|c| c[e].is_none()) {
                        None
                    } else {
                        Some(true)
                    }
                })
                .collect();
            // Only `explain` reads it, from runs that keep per-entity results.
            let requires_unmet: Vec<u64> = if reqs.len() > 1
                && matches!(self.opts.detail, Detail::Entities | Detail::Explain)
            {
                (0..n)
                    .into_par_iter()
                    .with_min_len(1 << 13)
                    .map(|e| {
                        reqs.iter().enumerate().fold(0, |m, (i, c)| {
                            m | crate::engine::evidence::unmet_bit(i, c[e])
                        })
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let direct: Vec<bool> = (0..n)
                .into_par_iter()
                .with_min_len(1 << 13)
                .map(|e| directs.iter().any(|c| c[e] == Some(true)))
                .collect();
            // Entities whose direct qualification failed with a condition left missing (a
            // missing value may have decided it): kept only when some exist.
            let mut direct_unknown: Vec<bool> = if directs.is_empty() {
                Vec::new()
            } else {
                (0..n)
                    .map(|e| !direct[e] && directs.iter().any(|c| c[e].is_none()))
                    .collect()
            };
            if !direct_unknown.contains(&true) {
                direct_unknown = Vec::new();
            }
            rules.push(TierRule {
                id: tr.id.value.clone(),
                max_count: tr.max_count,
                top_percent: tr.top_percent,
                min_score: min,
                requires,
                direct,
                direct_unknown,
                requires_unmet,
            });
        }
        Ok((rules, defaults))
    }

    /// Warnings of what missing values decided: category-table defaults, `if()` and
    /// `count_true()` inside expressions (over the scored entities), and tiers a missing
    /// value kept from an entity (also noted on each such entity, with the values).
    pub(super) fn warn_decided_by_missing(
        &mut self,
        ev: &Evidence,
        conditions: &Conditions,
        score: &[f64],
        tier: &[Option<usize>],
        rank: &[Option<usize>],
        st: &mut Scored,
    ) {
        let n = self.scored.len();
        let ranked = &ev.ranked;
        // A missing value decided a tier when the entity did not get that tier or a higher
        // one and, with the condition met, the rest of the rule would have let it in (its
        // score reached the minimum for `requires`; it fell short of it for `direct`) — or
        // might have, where the rest was left open by missing values too: `requires` and
        // `direct` both reading an unreported cell decide the tier together, and each is
        // warned (audit30_post F1).
        // (what, tier, whether `direct`, entities) per tier, highest tier first.
        let mut decided: Vec<(String, usize, bool, Vec<usize>)> = Vec::new();
        // (Not below it when capped under it: the cap decided, not the missing value.)
        let missed = |e: usize, t: usize| {
            tier[e].is_none_or(|got| got > t) && ev.cap_of(e).is_none_or(|c| t >= c)
        };
        for (t, rule) in ev.tiers.iter().enumerate() {
            let reaches = |e: usize| {
                let min = rule.min_score.get(e);
                min.is_nan() || crate::num::ge(score[e], min)
            };
            if !conditions.requires[t].is_empty() {
                decided.push((
                    tier_condition(&rule.id, false),
                    t,
                    false,
                    (0..n)
                        .filter(|&e| {
                            ranked[e]
                                && rule.requires[e].is_none()
                                && missed(e, t)
                                && (reaches(e)
                                    || rule.direct[e]
                                    || rule.direct_unknown.get(e) == Some(&true))
                        })
                        .collect(),
                ));
            }
            if !rule.direct_unknown.is_empty() {
                decided.push((
                    tier_condition(&rule.id, true),
                    t,
                    true,
                    (0..n)
                        .filter(|&e| {
                            rule.direct_unknown[e]
                                && ranked[e]
                                && rule.requires[e] != Some(false)
                                && missed(e, t)
                                && !reaches(e)
                        })
                        .collect(),
                ));
            }
        }
        // Nor when the tier's quota was full in the entity's cohort before its rank: with
        // the condition met it could not have entered either (audit26_fine F2). One pass
        // over the entities per tier with a quota and someone to check.
        for (t, rule) in ev.tiers.iter().enumerate() {
            let has_quota = rule.max_count.is_some() || rule.top_percent.is_some();
            if !has_quota
                || !decided
                    .iter()
                    .any(|(_, dt, _, list)| *dt == t && !list.is_empty())
            {
                continue;
            }
            // Per cohort: ranked entities, and those placed in tier t with the last rank.
            let mut in_cohort = vec![0usize; ev.cohorts];
            let mut placed = vec![(0usize, 0usize); ev.cohorts];
            for e in 0..n {
                let co = ev.cohort[e] as usize;
                in_cohort[co] += usize::from(ranked[e]);
                if tier[e] == Some(t) {
                    placed[co].0 += 1;
                    placed[co].1 = placed[co].1.max(rank[e].unwrap_or(0));
                }
            }
            let full_after = |co: usize| {
                let quota = crate::engine::evidence::quota_of(
                    rule.max_count,
                    rule.top_percent,
                    in_cohort[co],
                );
                (placed[co].0 >= quota).then_some(placed[co].1)
            };
            for (_, _, _, list) in decided.iter_mut().filter(|(_, dt, _, _)| *dt == t) {
                list.retain(|&e| {
                    full_after(ev.cohort[e] as usize)
                        .is_none_or(|last| rank[e].is_none_or(|r| r < last))
                });
            }
        }
        let mut defaults = std::mem::take(
            self.category_warnings
                .get_mut()
                .unwrap_or_else(|e| e.into_inner()),
        );
        // Criteria are scored in parallel, so these arrive in any order: sorted, the same
        // inputs give the same output (SPEC §7).
        defaults.sort();
        self.warnings.extend(defaults);
        let traced = std::mem::take(self.if_missing.get_mut().unwrap_or_else(|e| e.into_inner()));
        // A tier condition met only because a comparison with a missing value was false
        // decided the tier only where the entity got that tier through it: for `requires`,
        // the entity is in the tier; for `direct`, it is in the tier below its minimum (not
        // excluded, not placed higher, not in on its score anyway).
        let tier_place = |what: &str| -> Option<(usize, bool)> {
            (0..ev.tiers.len())
                .flat_map(|t| [(t, false), (t, true)])
                .find(|&(t, direct)| what == tier_condition(&ev.tiers[t].id, direct))
        };
        for (what, decided, hit) in traced {
            let place = (decided == super::MET_BY_MISSING)
                .then(|| tier_place(&what))
                .flatten();
            let list: Vec<usize> = (0..n)
                .filter(|&e| hit[self.scored[e]])
                .filter(|&e| match place {
                    None => true,
                    Some((t, direct)) => {
                        let min = ev.tiers[t].min_score.get(e);
                        let reached = min.is_nan() || crate::num::ge(score[e], min);
                        ranked[e] && tier[e] == Some(t) && (!direct || !reached)
                    }
                })
                .collect();
            if !list.is_empty() {
                self.warnings.push(format!(
                    "{what}: {decided} for {}: {}",
                    crate::diag::entities(list.len()),
                    self.some_ids(&list)
                ));
            }
            // A total built from fewer members than the entity has is on the entity too (the
            // warning names ten): its notes, `explain` and every report show it.
            if decided == super::AGGREGATE_SKIPPED || decided == super::AGGREGATE_COUNTED {
                for &e in &list {
                    st.note(e, || format!("{what}: {decided}"));
                }
            }
        }
        for (what, t, direct, list) in decided {
            if list.is_empty() {
                continue;
            }
            self.warnings.push(format!(
                "{what}: a missing value left the condition unmet for {}: {}",
                crate::diag::entities(list.len()),
                self.some_ids(&list)
            ));
            // On each entity, as a capping gate's failure is: which tier, and the values.
            let exprs = if direct {
                &self.c.tier_direct[t]
            } else {
                &self.c.tier_requires[t]
            };
            for &e in &list {
                st.note(e, || {
                    let values: Vec<String> = exprs.iter().map(|p| self.values_in(p, e)).collect();
                    format!(
                        "tier '{}' not given: a missing value left its {} unmet ({})",
                        ev.tiers[t].id,
                        if direct {
                            "direct condition"
                        } else {
                            "requires"
                        },
                        values.join("; ")
                    )
                });
            }
        }
    }
}

/// How a tier's `requires` or `direct` conditions are named in the warnings; also how the
/// warnings' traces are told apart by tier (see `warn_decided_by_missing`).
fn tier_condition(tier: &str, direct: bool) -> String {
    format!(
        "tier '{tier}' {}",
        if direct { "direct" } else { "requires" }
    )
}

/// The warnings of ids among `rows` of `ids` that differ only in width, case or spacing
/// ([`look_alike_ids`]), each with the file and row of its first appearance: `what` they
/// are (`ids`, `member ids`) and what became of them.
pub(super) fn look_alike_id_warnings(
    ids: &TextColumn,
    rows: &[usize],
    table: &crate::data::Table,
    what: &str,
    became: &str,
) -> Vec<String> {
    let groups = look_alike_ids(ids, rows);
    // The first row of each id among `rows`.
    let first_row = |code: u32| rows.iter().copied().find(|&r| ids.codes[r] == code);
    let mut said = Vec::new();
    for g in groups.iter().take(LOOK_ALIKE_SHOWN) {
        let shown: Vec<String> = g
            .iter()
            .map(|&k| {
                let id = crate::diag::truncate(&ids.dict[k as usize], 60);
                match first_row(k) {
                    Some(r) => {
                        let at = table.file_row(r);
                        format!("'{id}' ({at})")
                    }
                    None => format!("'{id}'"),
                }
            })
            .collect();
        said.push(format!(
            "{what} {} differ only in full-width characters, case or spacing, and {became}; if they are one entity, write its id alike in every row",
            shown.join(" and ")
        ));
    }
    if groups.len() > LOOK_ALIKE_SHOWN {
        said.push(format!(
            "{} more groups of {what} differ only in full-width characters, case or spacing (as above)",
            groups.len() - LOOK_ALIKE_SHOWN
        ));
    }
    said
}

/// Cohorts `cs` listed by their values, as a warning's tail lists them.
fn cohort_values(names: &[Option<String>], cs: &[usize]) -> String {
    let shown: Vec<String> = cs.iter().map(|&c| cohort_value_shown(&names[c])).collect();
    member_list(&shown.iter().map(String::as_str).collect::<Vec<_>>())
}

/// A cohort's value as warnings show it: `'东部'`, or `missing` for the cohort of entities
/// without one.
pub(super) fn cohort_value_shown(name: &Option<String>) -> String {
    match name {
        Some(v) => format!("'{}'", crate::diag::truncate(v, 40)),
        None => "missing".to_string(),
    }
}
