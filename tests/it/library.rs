//! The library path of SPEC §9 as a program using the crate would take it: data built in
//! memory, the analyses called directly, and the errors it gets instead of panics.

use super::support::{root, score};
use approx::assert_relative_eq;
use assert_cmd::Command;
use clusterscore::analysis::sensitivity::{SensitivityOptions, Vary, draw, run};
use clusterscore::analysis::{ObjectiveMethod, objective};
use clusterscore::column::{Column, TextColumn};
use clusterscore::engine::Detail;
use clusterscore::{AssessOptions, Dataset, Rules, Table};

fn bin() -> Command {
    Command::cargo_bin("clusterscore").unwrap()
}

fn ids(values: &[&str]) -> Option<Column> {
    Some(Column::Text(TextColumn::from_values(
        values.iter().map(|v| Some(*v)),
    )))
}

fn numbers(values: &[f64]) -> Option<Column> {
    Some(Column::Number(values.to_vec()))
}

const LINEAR: &str = r#"
[rules]
name = "in memory"
id = "id"
[[indicator]]
id = "sales"
column = "销售收入（万元）"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "sales"
points = 20
method = "linear"
floor = 0
target = 80
"#;

#[test]
fn an_in_memory_table_folds_its_headers_as_a_file_would() {
    let rules = Rules::from_str(LINEAR).unwrap().compile().unwrap();
    // The data side writes the header with ASCII parentheses and extra spaces, the rules
    // with full-width ones: both fold to the same header.
    let table = Table::from_columns(
        "frame",
        vec!["id".into(), " 销售收入(万元) ".into()],
        vec![ids(&["A", "B"]), numbers(&[40.0, 100.0])],
    )
    .unwrap();
    let a = rules
        .assess_with(&Dataset::from_table(table), &AssessOptions::default())
        .unwrap();
    // linear: A 40/80 of 20 points = 10; B above the target = 20.
    let score = |id: &str| a.entities.iter().find(|e| e.id == id).unwrap().score;
    assert_relative_eq!(score("A"), 10.0);
    assert_relative_eq!(score("B"), 20.0);
}

#[test]
fn an_in_memory_table_refuses_what_a_file_could_not_hold() {
    let err = |headers: Vec<&str>, columns: Vec<Option<Column>>| {
        Table::from_columns(
            "frame",
            headers.into_iter().map(String::from).collect(),
            columns,
        )
        .unwrap_err()
        .to_string()
    };
    // Columns of different lengths: named, with both lengths.
    let e = err(
        vec!["id", "sales"],
        vec![ids(&["A", "B", "C"]), numbers(&[1.0, 2.0])],
    );
    assert!(
        e.contains("column \"sales\" has 2 values but column \"id\" has 3"),
        "{e}"
    );
    // Infinity is not a value (NaN is the missing one): row and column given.
    let e = err(
        vec!["id", "sales"],
        vec![ids(&["A", "B"]), numbers(&[1.0, f64::INFINITY])],
    );
    assert!(e.contains("frame, row 3, column \"sales\""), "{e}");
    assert!(e.contains("the value is inf"), "{e}");
    // Headers that fold to the same text, and a header count that is not the column count.
    let e = err(
        vec!["id", "销售收入（万元）", "销售收入(万元)"],
        vec![ids(&["A"]), numbers(&[1.0]), numbers(&[2.0])],
    );
    assert!(e.contains("duplicate header"), "{e}");
    let e = err(vec!["id"], vec![ids(&["A"]), numbers(&[1.0])]);
    assert!(e.contains("1 headers for 2 columns"), "{e}");
}

/// Text cells in memory are read as a file's cells: trimmed, and the built-in missing
/// markers are missing values (`""` and `—` in a number column, an id with spaces).
#[test]
fn in_memory_text_cells_are_trimmed_and_markers_are_missing() {
    let rules = Rules::from_str(LINEAR).unwrap().compile().unwrap();
    let texts = |values: &[&str]| {
        Some(Column::Text(TextColumn::from_values(
            values.iter().map(|v| Some(*v)),
        )))
    };
    let table = Table::from_columns(
        "frame",
        vec!["id".into(), "销售收入（万元）".into()],
        vec![texts(&[" A ", "B", "C"]), texts(&["40", "", "—"])],
    )
    .unwrap();
    let a = rules
        .assess_with(&Dataset::from_table(table), &AssessOptions::default())
        .unwrap();
    let e = |id: &str| a.entities.iter().find(|e| e.id == id).unwrap();
    // A: 40/80 of 20 points; B and C missing under the default `zero`, and recorded.
    assert_relative_eq!(e("A").score, 10.0);
    assert_relative_eq!(e("B").score, 0.0);
    assert_eq!(e("C").criteria["c"].missing.as_deref(), Some("zero"));
    assert_eq!(e("C").criteria["c"].value, None);
    // The audit names the table as it would a file, with a digest of its values: the same
    // columns give the same digest, a changed value another.
    assert_eq!(a.audit.data.len(), 1);
    assert_eq!(a.audit.data[0].path, "frame");
    assert_eq!(a.audit.data[0].rows, 3);
    let digest = |sales: &[&str]| {
        let t = Table::from_columns(
            "frame",
            vec!["id".into(), "销售收入（万元）".into()],
            vec![texts(&[" A ", "B", "C"]), texts(sales)],
        )
        .unwrap();
        t.files[0].sha256.clone()
    };
    assert_eq!(a.audit.data[0].sha256, digest(&["40", "", "—"]));
    assert_eq!(a.audit.data[0].sha256.len(), 64);
    assert_ne!(digest(&["40", "", "—"]), digest(&["41", "", "—"]));
    // Trimmed ids meet the duplicate check as a file's would.
    let dup = Table::from_columns(
        "frame",
        vec!["id".into(), "销售收入（万元）".into()],
        vec![texts(&["A", " A"]), numbers(&[1.0, 2.0])],
    )
    .unwrap();
    let e = Rules::from_str(LINEAR)
        .unwrap()
        .compile()
        .unwrap()
        .assess_with(&Dataset::from_table(dup), &AssessOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("duplicate"), "{e}");
}

/// A column changed through the table's public fields after it was built, or a text code
/// outside its dictionary, is a data error, not a panic in the engine.
#[test]
fn an_in_memory_table_changed_after_it_was_built_is_refused() {
    let rules = Rules::from_str(LINEAR).unwrap().compile().unwrap();
    let mut table = Table::from_columns(
        "frame",
        vec!["id".into(), "销售收入（万元）".into()],
        vec![ids(&["A", "B"]), numbers(&[1.0, 2.0])],
    )
    .unwrap();
    table.columns[1] = numbers(&[1.0]);
    let e = rules
        .assess_with(&Dataset::from_table(table), &AssessOptions::default())
        .unwrap_err();
    assert_eq!(e.exit_code(), 1);
    assert!(e.to_string().contains("do not all have its 2 rows"), "{e}");
    let mut bad = TextColumn::from_values([Some("A"), Some("B")]);
    bad.codes[1] = 7;
    let e = Table::from_columns("frame", vec!["id".into()], vec![Some(Column::Text(bad))])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("column \"id\" has code 7 in row 2 but its dictionary holds 2 texts"),
        "{e}"
    ); // A header given without values (None) is named as such, not "did you mean" itself.
    let table = Table::from_columns(
        "frame",
        vec!["id".into(), "销售收入（万元）".into()],
        vec![ids(&["A", "B"]), None],
    )
    .unwrap();
    let e = rules
        .assess_with(&Dataset::from_table(table), &AssessOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("'销售收入（万元）': the data has the column but no values for it"),
        "{e}"
    );
    assert!(!e.contains("did you mean"), "{e}");
}

/// Rules changed in memory are held to the bounds a file is held to: `compile` refuses
/// what the loader would have refused, instead of scoring NaN or panicking on an inverted
/// clamp.
#[test]
fn rules_changed_in_memory_are_checked_as_a_file_is() {
    let refused = |edit: &dyn Fn(&mut Rules), expect: &str| {
        let mut r = Rules::from_str(LINEAR).unwrap();
        edit(&mut r);
        let e = r.compile().map(|_| ()).unwrap_err();
        assert_eq!(e.exit_code(), 1);
        let e = e.to_string();
        assert!(e.contains(expect), "{expect}: {e}");
        assert!(e.contains("changed after they were read"), "{e}");
    };
    refused(
        &|r| r.criteria[0].points.value = f64::NAN,
        "'points' of criterion 'c' is NaN",
    );
    refused(
        &|r| r.criteria[0].points.value = -10.0,
        "'points' of criterion 'c' is -10",
    );
    refused(&|r| r.settings.clamp = Some((10.0, 0.0)), "[rules] clamp");
    refused(
        &|r| {
            r.criteria[0].method =
                clusterscore::rules::Method::Bands(vec![clusterscore::rules::Band {
                    op: clusterscore::rules::BandOp::AtLeast,
                    threshold: clusterscore::rules::Param::Fixed(5.0),
                    points: clusterscore::rules::Param::Fixed(-2.0),
                    span: r.criteria[0].method_span,
                }])
        },
        "'band points' of criterion 'c' is negative",
    );
    refused(&|r| r.settings.decimals = 400, "[rules] decimals is 400");
    refused(
        &|r| r.settings.scale = Some(f64::NAN),
        "[rules] scale is NaN",
    );
    refused(
        &|r| {
            r.tiers.push(clusterscore::rules::Tier {
                id: r.criteria[0].id.clone(),
                label: None,
                min_score: None,
                max_count: None,
                top_percent: Some(1e300),
                requires: Vec::new(),
                direct: Vec::new(),
            })
        },
        "'top_percent' of tier 'c' is 1e300",
    );
    // An edit within the bounds compiles and scores: 40 of 80 is half of the new 40 points.
    let mut r = Rules::from_str(LINEAR).unwrap();
    r.criteria[0].points.value = 40.0;
    let table = Table::from_columns(
        "frame",
        vec!["id".into(), "销售收入（万元）".into()],
        vec![ids(&["A"]), numbers(&[40.0])],
    )
    .unwrap();
    let a = r
        .compile()
        .unwrap()
        .assess_with(&Dataset::from_table(table), &AssessOptions::default())
        .unwrap();
    assert_relative_eq!(a.entities[0].score, 20.0);
    // The audit hashes the text read, so the run says the rules scored are not that text.
    assert!(
        a.warnings
            .iter()
            .any(|w| w.contains("the rules were changed in memory after rules.toml was read")),
        "{:?}",
        a.warnings
    );
    let unchanged = Rules::from_str(LINEAR).unwrap().compile().unwrap();
    let table = Table::from_columns(
        "frame",
        vec!["id".into(), "销售收入（万元）".into()],
        vec![ids(&["A"]), numbers(&[40.0])],
    )
    .unwrap();
    let a = unchanged
        .assess_with(&Dataset::from_table(table), &AssessOptions::default())
        .unwrap();
    assert!(a.warnings.iter().all(|w| !w.contains("changed in memory")));
}

#[test]
fn a_missing_column_of_an_in_memory_table_is_named_with_the_table() {
    let rules = Rules::from_str(LINEAR).unwrap().compile().unwrap();
    let table = Table::from_columns("frame", vec!["id".into()], vec![ids(&["A"])]).unwrap();
    let e = rules
        .assess_with(&Dataset::from_table(table), &AssessOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a column of the data (frame)"), "{e}");
}

const ANHUI: (&str, &str) = ("rules/anhui-zhuanyezhen.toml", "fixtures/anhui-2010.csv");

fn assess_pack(
    pack: (&str, &str),
    detail: Detail,
) -> (clusterscore::CompiledRules, clusterscore::Assessment) {
    // The paths as the commands below are given them (from the package root, where tests
    // run), so that the audit blocks agree.
    let rules = Rules::from_path(pack.0).unwrap().compile().unwrap();
    let data = rules
        .read_data(&[std::path::PathBuf::from(pack.1)], &rules.read_options())
        .unwrap();
    let a = rules
        .assess_with(
            &data,
            &AssessOptions {
                detail,
                ..Default::default()
            },
        )
        .unwrap();
    (rules, a)
}

#[test]
fn sensitivity_from_the_library_is_what_the_command_prints() {
    // Anhui ranks within cohorts: each entity's cohort comes with its ranks.
    let (rules, a) = assess_pack(ANHUI, Detail::Entities);
    let opts = SensitivityOptions::for_rules(&rules, 200, 0.2, 7, Vary::Weights);
    let (report, draws) = run(a.evidence.as_deref().unwrap(), &opts, &|| {}).unwrap();
    assert_eq!(draws.len(), 200);
    assert!(report.entities.iter().all(|e| e.cohort.is_some()));
    // The command's JSON carries the base run's warnings ahead of the analysis's own.
    let mut report = report;
    report.audit = Some(a.audit.of_inputs());
    report.warnings = a.warnings.iter().cloned().chain(report.warnings).collect();
    let lib = format!("{}\n", serde_json::to_string_pretty(&report).unwrap());
    let out = bin()
        .current_dir(root())
        .args(["sensitivity", "--rules", ANHUI.0, "--data", ANHUI.1])
        .args(["--runs", "200", "--seed", "7", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(lib, String::from_utf8(out.stdout).unwrap());
}

#[test]
fn sensitivity_options_out_of_range_are_errors_not_panics() {
    let (rules, a) = assess_pack(ANHUI, Detail::Entities);
    let ev = a.evidence.as_deref().unwrap();
    for (runs, noise, what) in [
        (0, 0.2, "at least 1 replication"),
        (2_000_000, 0.2, "at most 1000000"),
        (10, -0.5, "strictly between 0 and 1"),
        (10, 1.5, "strictly between 0 and 1"),
        (10, f64::NAN, "strictly between 0 and 1"),
    ] {
        let opts = SensitivityOptions::for_rules(&rules, runs, noise, 1, Vary::Criteria);
        let e = run(ev, &opts, &|| {}).unwrap_err().to_string();
        assert!(e.contains(what), "{runs} {noise}: {e}");
    }
    // One replication drawn on its own is held to the same bounds, and is the run's.
    let opts = SensitivityOptions::for_rules(&rules, 10, 5.0, 1, Vary::Weights);
    assert!(draw(ev, &opts, 3).is_err());
    let opts = SensitivityOptions::for_rules(&rules, 10, 0.3, 1, Vary::Weights);
    let (_, draws) = run(ev, &opts, &|| {}).unwrap();
    assert_eq!(draw(ev, &opts, 3).unwrap(), draws[3]);
}

#[test]
fn objective_weights_from_the_library_are_what_the_command_prints() {
    let pack = (
        "rules/liaocheng-benchmark.toml",
        "fixtures/liaocheng-2023.csv",
    );
    let (rules, a) = assess_pack(pack, Detail::Entities);
    for method in [ObjectiveMethod::Entropy, ObjectiveMethod::Critic] {
        let w = objective(&rules, &a, method).unwrap();
        let total: f64 = w.criteria.iter().map(|c| c.weight).sum();
        assert_relative_eq!(total, 1.0, epsilon = 1e-12);
        assert_eq!(w.fallback, None);
        let lib = format!("{}\n", serde_json::to_string_pretty(&w).unwrap());
        let out = bin()
            .current_dir(root())
            .args(["weights", "--rules", pack.0, "--data", pack.1])
            .args(["--method", method.name(), "--format", "json"])
            .output()
            .unwrap();
        assert!(out.status.success());
        assert_eq!(lib, String::from_utf8(out.stdout).unwrap());
    }
    // Another pack's rules do not go with this assessment.
    let (anhui, _) = assess_pack(ANHUI, Detail::Entities);
    let e = objective(&anhui, &a, ObjectiveMethod::Critic)
        .unwrap_err()
        .to_string();
    assert!(e.contains("not scored with these rules"), "{e}");
    // The evidence alone (no per-entity results) gives the same weights and sensitivity.
    let (rules, lean) = assess_pack(pack, Detail::Evidence);
    assert!(lean.entities.is_empty() && lean.deferred.is_none());
    for method in [ObjectiveMethod::Entropy, ObjectiveMethod::Critic] {
        assert_eq!(
            objective(&rules, &lean, method).unwrap(),
            objective(&rules, &a, method).unwrap()
        );
    }
    let opts = SensitivityOptions::for_rules(&rules, 40, 0.3, 7, Vary::Weights);
    let lean_ev = lean.evidence.as_deref().expect("evidence kept");
    let full_ev = a.evidence.as_deref().unwrap();
    assert_eq!(
        run(lean_ev, &opts, &|| {}).unwrap(),
        run(full_ev, &opts, &|| {}).unwrap()
    );
    assert_eq!(lean.sheet.order.len(), a.entities.len());
    // Without the per-entity evidence there is nothing to weigh: an error that says so.
    let (rules, deferred) = assess_pack(pack, Detail::Deferred);
    let e = objective(&rules, &deferred, ObjectiveMethod::Entropy)
        .unwrap_err()
        .to_string();
    assert!(e.contains("Detail::Entities"), "{e}");
}

#[test]
fn a_comparison_side_read_from_columns_is_the_one_built_results_give() {
    use clusterscore::analysis::compare::Side;
    // Anhui ranks within cohorts; Liaocheng's gate excludes a cluster: between them every
    // field compare reads is set for some entities and not for others.
    let liaocheng = (
        "rules/liaocheng-benchmark.toml",
        "fixtures/liaocheng-2023.csv",
    );
    let mut seen = (false, false, false);
    for pack in [ANHUI, liaocheng] {
        let (_, built) = assess_pack(pack, Detail::Entities);
        let (_, deferred) = assess_pack(pack, Detail::Deferred);
        assert!(deferred.entities.is_empty() && deferred.deferred.is_some());
        let a = Side::from_assessment(&built, "a");
        assert_eq!(a, Side::from_assessment(&deferred, "a"));
        assert_eq!(a.entities.len(), built.entities.len());
        for (p, e) in a.entities.iter().zip(&built.entities) {
            assert_eq!(
                (&p.id, p.rank, p.tier.as_ref(), p.cohort.as_ref()),
                (&e.id, e.rank, e.tier.as_ref(), e.cohort.as_ref())
            );
            assert_eq!(p.score, Some(e.score));
        }
        seen.0 |= a.entities.iter().any(|p| p.cohort.is_some());
        seen.1 |= a.entities.iter().any(|p| p.rank.is_none());
        seen.2 |= a
            .entities
            .iter()
            .any(|p| p.tier.is_some() && p.name.is_some());
    }
    assert_eq!(seen, (true, true, true));
}

#[test]
fn an_explanation_from_the_columns_is_the_one_built_results_give() {
    use clusterscore::analysis::explain::{explain, find_entity};
    // Anhui: cohorts and median-imputed values (the gap moves what was imputed from the
    // entity's value); Jilin: minmax and zscore (peers re-scored); Liaocheng: gates, caps,
    // direct qualification, prev().
    let packs = [
        ANHUI,
        ("rules/jilin-2006.toml", "fixtures/jilin-2010.csv"),
        (
            "rules/liaocheng-benchmark.toml",
            "fixtures/liaocheng-2023.csv",
        ),
    ];
    let mut with_gap = 0;
    for pack in packs {
        let (rules, built) = assess_pack(pack, Detail::Entities);
        let (_, lean) = assess_pack(pack, Detail::Explain);
        assert!(lean.entities.is_empty() && lean.deferred.is_some() && lean.evidence.is_some());
        for (k, e) in built.entities.iter().enumerate() {
            let (at, found) = find_entity(&lean, &e.id).unwrap();
            assert_eq!((at, found.as_ref()), (k, e));
            let x = explain(rules.rules(), &built, k).unwrap();
            assert_eq!(x, explain(rules.rules(), &lean, k).unwrap(), "{}", e.id);
            with_gap += usize::from(x.gap.is_some_and(|g| !g.options.is_empty()));
        }
        // Ids that are no entity: the same advice (a near id, a name, the ids' form).
        let first = &built.entities[0];
        let mut probes = vec![
            format!("{}9", first.id),
            first.id[..first.id.len() - 1].to_string(),
            "zz".to_string(),
        ];
        probes.extend(
            first
                .name
                .iter()
                .map(|n| n.chars().take(3).collect::<String>()),
        );
        for id in probes {
            assert_eq!(
                find_entity(&built, &id).map(|(k, _)| k),
                find_entity(&lean, &id).map(|(k, _)| k),
                "{id}"
            );
        }
    }
    assert!(with_gap > 10, "{with_gap}");
}

#[test]
fn looking_up_an_entity_says_why_it_cannot() {
    use clusterscore::analysis::explain::{explain, explain_entity, find_entity};
    let pack = (
        "rules/liaocheng-benchmark.toml",
        "fixtures/liaocheng-2023.csv",
    );
    // Neither results nor evidence (Columns), or the entity columns without the evidence
    // the tier trace and the gap re-score (Deferred): refused, not explained in part.
    for detail in [Detail::Columns, Detail::Deferred] {
        let (compiled, lean) = assess_pack(pack, detail);
        let e = find_entity(&lean, "LC01").unwrap_err();
        assert!(e.contains("keeps no per-entity results"), "{e}");
        let e = explain(compiled.rules(), &lean, 0).unwrap_err().to_string();
        assert!(e.contains("keeps no per-entity results"), "{e}");
    }

    let (rules, a) = assess_pack(pack, Detail::Entities);
    let id = a.entities[3].id.clone();
    let x = explain_entity(rules.rules(), &a, &id).unwrap();
    assert_eq!(x.score, a.entities[3].score);
    let e = explain_entity(rules.rules(), &a, "nobody")
        .unwrap_err()
        .to_string();
    assert!(e.contains("no entity with id 'nobody'"), "{e}");
    // Another pack's rules do not explain this assessment.
    let other = Rules::from_path(root().join(ANHUI.0)).unwrap();
    let e = explain_entity(&other, &a, &id).unwrap_err().to_string();
    assert!(e.contains("not scored with these rules"), "{e}");
    // By index: past the end, or after the entities were edited, an error and no panic.
    let n = a.entities.len();
    let e = explain(rules.rules(), &a, n).unwrap_err().to_string();
    assert!(
        e.contains(&format!("entity {n} is past the assessment's {n} entities")),
        "{e}"
    );
    let mut top = a.clone();
    top.entities.truncate(3);
    let first = top.entities[0].id.clone();
    let e = explain_entity(rules.rules(), &top, &first)
        .unwrap_err()
        .to_string();
    assert!(e.contains("its entities were edited after scoring"), "{e}");
    // One entity: counted in the singular.
    let one = score(
        &LINEAR.replace("销售收入（万元）", "sales"),
        "id,sales\nB,1\n",
    );
    let e = find_entity(&one, "zzz").unwrap_err();
    assert!(e.ends_with("(1 entity, e.g. B)"), "{e}");
}

/// `explain_in_data` is the command: on the Anhui pack, AH071's one gap option
/// (`supporting_rate`, which the tier's `requires` reads too) is re-scored from the data
/// and reaches the tier, as `clusterscore explain --format json` says.
#[test]
fn explain_from_the_library_is_what_the_command_prints() {
    use clusterscore::analysis::explain::explain_in_data;
    let rules = Rules::from_path(root().join(ANHUI.0))
        .unwrap()
        .compile()
        .unwrap();
    let data = rules
        .read_data(&[root().join(ANHUI.1)], &rules.read_options())
        .unwrap();
    let opts = AssessOptions {
        rules_path: ANHUI.0.into(),
        ..Default::default()
    };
    let a = rules.assess_with(&data, &opts).unwrap();
    let x = explain_in_data(&rules, &data, &a, &opts, "AH071").unwrap();
    let lib = serde_json::to_value(&x).unwrap();
    let out = bin()
        .current_dir(root())
        .args(["explain", "--rules", ANHUI.0, "--data", ANHUI.1])
        .args(["--id", "AH071", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    // Byte for byte (a parsed document could differ by a float's last bit: serde_json reads
    // floats without exact round trips unless asked to).
    let mut printed = serde_json::to_string_pretty(&x).unwrap();
    printed.push('\n');
    assert_eq!(printed, String::from_utf8(out.stdout).unwrap());
    let option = lib["gap"]["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["criterion"] == "supporting")
        .unwrap();
    assert_eq!(option["rescored_from_data"], true, "{option}");
    assert_eq!(option["tier_after"], "demonstration", "{option}");
    // An id that is no entity is a data error (exit 1), as on the command line.
    let e = explain_in_data(&rules, &data, &a, &opts, "AH999").unwrap_err();
    assert_eq!(e.exit_code(), 1);
}

/// A deferred assessment (results built as they are read) compares like a full one.
#[test]
fn a_deferred_assessment_compares_like_a_full_one() {
    use clusterscore::analysis::compare::{Side, compare};
    let (_, full) = assess_pack(ANHUI, Detail::Entities);
    let (_, deferred) = assess_pack(ANHUI, Detail::Deferred);
    let a = Side::from_assessment(&full, "full");
    let b = Side::from_assessment(&deferred, "deferred");
    assert_eq!(b.entities.len(), full.summary.entities);
    let c = compare(&a, &b, 5);
    assert_eq!(c.spearman, Some(1.0));
}

#[test]
fn weights_that_a_rules_file_cannot_hold_are_not_written() {
    use clusterscore::analysis::rewrite::{Level, write_weights};
    let text = std::fs::read_to_string(root().join("rules/liaocheng-benchmark.toml")).unwrap();
    for bad in [f64::NAN, -3.0, f64::INFINITY] {
        let e = write_weights(&text, Level::Dimensions, &[("scale".into(), bad)])
            .unwrap_err()
            .to_string();
        assert!(e.contains("must be finite numbers ≥ 0"), "{bad}: {e}");
    }
    assert!(write_weights(&text, Level::Dimensions, &[("scale".into(), 25.0)]).is_ok());
}

/// A variation that cannot move anything says so: one dimension under `--vary weights`.
#[test]
fn sensitivity_warns_when_nothing_can_move() {
    let one = r#"
[rules]
name = "one"
id = "id"
[[indicator]]
id = "x"
[[indicator]]
id = "y"
[[dimension]]
id = "d"
[[criterion]]
id = "cx"
dimension = "d"
indicator = "x"
points = 10
method = "direct"
[[criterion]]
id = "cy"
dimension = "d"
indicator = "y"
points = 10
method = "direct"
"#;
    let csv = "id,x,y\nA,9,1\nB,5,5\nC,1,8\n";
    let rules = Rules::from_str_named(one, "r.toml")
        .unwrap()
        .compile()
        .unwrap();
    let a = score(one, csv);
    let ev = a.evidence.as_deref().unwrap();
    let report = |vary| {
        let opts = SensitivityOptions::for_rules(&rules, 50, 0.4, 3, vary);
        run(ev, &opts, &|| {}).unwrap().0
    };
    let w = report(Vary::Weights);
    assert_eq!(w.warnings.len(), 1, "{:?}", w.warnings);
    assert!(w.warnings[0].starts_with("the rules have one dimension"));
    assert!(
        w.entities
            .iter()
            .all(|e| e.rank_p05 == e.base_rank && e.rank_p95 == e.base_rank)
    );
    // Varying the two criteria's points does move ranks: no warning.
    let c = report(Vary::Criteria);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert!(c.entities.iter().any(|e| e.rank_p05 != e.rank_p95));
    // One criterion in all: its points are rescaled to the same total, nothing moves, said.
    let single = one
        .split("[[criterion]]\nid = \"cy\"")
        .next()
        .unwrap()
        .to_string();
    let rules1 = Rules::from_str_named(&single, "r.toml")
        .unwrap()
        .compile()
        .unwrap();
    let a1 = score(&single, csv);
    let opts = SensitivityOptions::for_rules(&rules1, 20, 0.4, 3, Vary::Criteria);
    let r1 = run(a1.evidence.as_deref().unwrap(), &opts, &|| {})
        .unwrap()
        .0;
    assert_eq!(r1.warnings.len(), 1, "{:?}", r1.warnings);
    assert!(
        r1.warnings[0].starts_with("the rules have one criterion"),
        "{:?}",
        r1.warnings
    );
    assert!(
        r1.entities
            .iter()
            .all(|e| e.rank_p05 == e.base_rank && e.rank_p95 == e.base_rank)
    );

    // Two weighted dimensions of one criterion each: a criterion's points cancel out of its
    // dimension's share, so `--vary criteria` moves nothing and says so.
    let split = one
        .replace(
            "[[dimension]]\nid = \"d\"\n",
            "[[dimension]]\nid = \"d\"\nweight = 50\n[[dimension]]\nid = \"e\"\nweight = 50\n",
        )
        .replace(
            "id = \"cy\"\ndimension = \"d\"",
            "id = \"cy\"\ndimension = \"e\"",
        );
    let rules = Rules::from_str_named(&split, "r.toml")
        .unwrap()
        .compile()
        .unwrap();
    let a = score(&split, csv);
    let ev = a.evidence.as_deref().unwrap();
    let opts = SensitivityOptions::for_rules(&rules, 50, 0.9, 3, Vary::Criteria);
    let c = run(ev, &opts, &|| {}).unwrap().0;
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert!(c.warnings[0].starts_with("every dimension has a single criterion"));
    assert!(
        c.entities
            .iter()
            .all(|e| e.rank_p05 == e.base_rank && e.rank_p95 == e.base_rank)
    );
}

/// SPEC §9 as written: `Rules::from_path` → `compile()` → `assess(&dataset)` with
/// `Dataset::from_path`, serialised with serde, is the document `score --format json`
/// writes (apart from the clock and the rules path the command was given).
#[test]
fn the_spec_shape_of_the_library_scores_like_the_command() {
    let rules = Rules::from_path(root().join("rules/liaocheng-benchmark.toml")).unwrap();
    let compiled = rules.compile().unwrap();
    let dataset = Dataset::from_path(root().join("fixtures/liaocheng-2023.csv")).unwrap();
    let assessment = compiled.assess(&dataset).unwrap();
    let text = serde_json::to_string(&assessment).unwrap();
    let mut lib: serde_json::Value = serde_json::from_str(&text).unwrap();

    let out = bin()
        .current_dir(root())
        .env("SOURCE_DATE_EPOCH", "0")
        .args(["score", "--rules", "rules/liaocheng-benchmark.toml"])
        .args(["--data", "fixtures/liaocheng-2023.csv", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut cli: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for doc in [&mut lib, &mut cli] {
        let audit = doc["audit"].as_object_mut().unwrap();
        audit.remove("generated_at");
        audit["rules"].as_object_mut().unwrap().remove("path");
        for d in audit["data"].as_array_mut().unwrap() {
            d.as_object_mut().unwrap().remove("path");
        }
    }
    same_text(&lib.to_string(), &cli.to_string());
    assert_eq!(lib["entities"][0]["rank"], 1);
    assert_eq!(lib["summary"]["entities"], 28);
}

const MARKED: &str = r#"
[rules]
name = "markers"
id = "id"
[data]
missing_markers = ["未报送", "-1"]
[[indicator]]
id = "sales"
column = "sales"
[[indicator]]
id = "share"
formula = "staff / 10"
[[indicator]]
id = "listed"
kind = "bool"
column = "listed"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "sales"
points = 10
method = "direct"
[[criterion]]
id = "s"
dimension = "d"
indicator = "share"
points = 10
method = "direct"
[[criterion]]
id = "l"
dimension = "d"
indicator = "listed"
points = 5
method = "flag"
"#;

/// The rules' missing markers apply to data read without them (`Dataset::from_path`): a
/// text marker in a number column, a column read in a formula by its bare name (typed as a
/// number once the marker is gone) and a numeric marker are missing values, as the command
/// (which reads with them) scores them.
#[test]
fn the_rules_missing_markers_apply_to_data_read_without_them() {
    let (a, by_reader) = read_both_ways(
        MARKED,
        "id,sales,staff,listed\nA,8,50,是\nB,未报送,20,否\nC,6,未报送,是\nD,-1,-1,否\n",
    );
    let points = |id: &str, c: &str| {
        let e = a.entities.iter().find(|e| e.id == id).unwrap();
        (
            e.criteria[c].points.unwrap(),
            e.criteria[c].missing.is_some(),
        )
    };
    assert_eq!(points("A", "c"), (8.0, false));
    assert_eq!(points("B", "c"), (0.0, true));
    assert_eq!(points("D", "c"), (0.0, true));
    assert_eq!(points("A", "s"), (5.0, false));
    assert_eq!(points("C", "s"), (0.0, true));
    assert_eq!(points("D", "s"), (0.0, true));
    // What the command writes from the same file, read with the markers.
    same_text(
        &clusterscore::report::to_json(&a),
        &clusterscore::report::to_json(&by_reader),
    );
}

/// `csv` scored with `rules` as read by `Dataset::from_path` (without the rules' `[data]`
/// options) and as read by `CompiledRules::read_data` (with them, as the command reads).
fn read_both_ways(rules: &str, csv: &str) -> (clusterscore::Assessment, clusterscore::Assessment) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.csv");
    std::fs::write(&path, csv).unwrap();
    let compiled = Rules::from_str(rules).unwrap().compile().unwrap();
    let without = compiled
        .assess(&Dataset::from_path(&path).unwrap())
        .unwrap();
    let read = compiled
        .read_data(std::slice::from_ref(&path), &compiled.read_options())
        .unwrap();
    let mut with = compiled.assess(&read).unwrap();
    // (Two runs may straddle a second: the time is not what is compared.)
    with.audit.generated_at = without.audit.generated_at.clone();
    (without, with)
}

/// Panics with the first difference of two long texts and a little context.
fn same_text(left: &str, right: &str) {
    if left != right {
        let at = (left.bytes().zip(right.bytes()))
            .take_while(|(a, b)| a == b)
            .count();
        let around = |s: &str| {
            let (mut from, mut to) = (at.saturating_sub(300), (at + 300).min(s.len()));
            while !s.is_char_boundary(from) {
                from -= 1;
            }
            while !s.is_char_boundary(to) {
                to += 1;
            }
            s[from..to].to_string()
        };
        panic!(
            "the texts differ at byte {at}:\n{}\n-----\n{}",
            around(left),
            around(right)
        );
    }
}

/// A yes/no column read without the rules' markers holds 否 where the file said 无: the
/// marker cannot be told from its meaning, and the run says so. Read with them, the cell is
/// missing, and that run says so too.
#[test]
fn a_yes_no_marker_on_data_read_without_it_is_a_warning() {
    let rules = MARKED.replace(r#""-1"]"#, r#""-1", "无"]"#);
    let (a, by_reader) = read_both_ways(&rules, "id,sales,staff,listed\nA,8,50,有\nB,7,20,无\n");
    assert!(
        a.warnings
            .iter()
            .any(|w| w.contains("\"listed\"") && w.contains("\"无\" is a yes/no word")),
        "{:?}",
        a.warnings
    );
    // Read with them, the cell is missing and the reader says which marker made it so.
    assert!(
        by_reader.warnings.iter().any(|w| w.contains(
            "column \"listed\" is read as yes/no, and 1 cell of it (the first at row 3) reads as missing because [data] missing_markers lists \"无\" (否), a yes/no word"
        )),
        "{:?}",
        by_reader.warnings
    );
}

/// A number column read without the rules' markers has lost its cells' text: a numeric
/// marker takes the cells of its value, `-1.0` as well as `-1` (docs/rules.md, [data]).
#[test]
fn a_numeric_marker_takes_its_value_in_a_number_column_read_without_it() {
    let (a, by_reader) = read_both_ways(
        MARKED,
        "id,sales,staff,listed\nA,8,50,是\nB,-1.0,20,否\nC,-1,30,是\n",
    );
    let missing = |a: &clusterscore::Assessment, id: &str| {
        a.entities.iter().find(|e| e.id == id).unwrap().criteria["c"]
            .missing
            .is_some()
    };
    // The reader, which has the text, takes only the cell written as the marker.
    assert!(!missing(&by_reader, "B") && missing(&by_reader, "C"));
    for id in ["B", "C"] {
        assert!(missing(&a, id), "{id}");
    }
}

/// Errors carry where they are as fields (`Diagnostic::place`) as well as text: a rules
/// position, a data cell, a data row; a location without such fields (a whole file) has none.
#[test]
fn errors_say_where_as_fields() {
    use clusterscore::Place;
    let e = Rules::from_str_named("[rules]\nname = \"x\"\nid = 3\n", "r.toml").unwrap_err();
    let d = &e.diagnostics[0];
    assert_eq!(
        d.place,
        Some(Place::Text {
            file: "r.toml".into(),
            line: 3,
            column: 6
        })
    );
    assert_eq!(d.location.as_deref(), Some("r.toml:3:6"));

    let dir = tempfile::tempdir().unwrap();
    let rules = Rules::from_str(LINEAR).unwrap().compile().unwrap();
    let data = dir.path().join("d.csv");
    std::fs::write(&data, "id,销售收入（万元）\nA,12\nB,十二\n").unwrap();
    let e = rules
        .read_data(std::slice::from_ref(&data), &rules.read_options())
        .unwrap_err();
    let Some(Place::Cell {
        file, row, column, ..
    }) = &e.diagnostics[0].place
    else {
        panic!("{e}")
    };
    assert!(file.ends_with("d.csv"));
    assert_eq!((*row, column.as_str()), (3, "销售收入（万元）"));
    assert_eq!(
        e.diagnostics[0].location.as_deref(),
        Some(
            e.diagnostics[0]
                .place
                .as_ref()
                .unwrap()
                .to_string()
                .as_str()
        )
    );

    std::fs::write(&data, "id,销售收入（万元）,x\n,万元,%\nA,12,1\n").unwrap();
    let e = clusterscore::data::read_table(
        &[data],
        &clusterscore::data::ReadOptions::default(),
        &|h| (h != "id").then_some(clusterscore::data::ColumnRequest::Number),
    )
    .unwrap_err();
    assert!(
        matches!(&e.diagnostics[0].place, Some(Place::Row { row: 2, .. })),
        "{e}"
    );
    let e = Rules::from_path(dir.path().join("none.toml")).unwrap_err();
    assert_eq!(e.diagnostics[0].place, None);
}
