//! Hand-computed cases for the scoring rules of SPEC §5 and §12, run through the library.

use crate::support::{entity, score, try_score, try_score_with};
use approx::assert_relative_eq;
use clusterscore::engine::Detail;

const METHODS: &str = r#"
[rules]
name = "methods"
id = "id"

[[indicator]]
id = "rev"
[[indicator]]
id = "rd"
[[indicator]]
id = "growth"
[[indicator]]
id = "years"
[[indicator]]
id = "pts"
[[indicator]]
id = "hi"
kind = "bool"
[[indicator]]
id = "level"
kind = "category"

[[dimension]]
id = "all"

[[criterion]]
id = "rev_b"
dimension = "all"
indicator = "rev"
points = 15
method = "bands"
bands = [{ at_least = 100, points = 15 }, { at_least = 50, points = 10 }, { above = 20, points = 6 }]
[[criterion]]
id = "rd_l"
dimension = "all"
indicator = "rd"
points = 10
method = "linear"
floor = 2
target = 5
[[criterion]]
id = "growth_t"
dimension = "all"
indicator = "growth"
points = 5
method = "target"
target = 20
[[criterion]]
id = "years_p"
dimension = "all"
indicator = "years"
points = 10
method = "per"
step = 2
points_per_step = 5
[[criterion]]
id = "pts_d"
dimension = "all"
indicator = "pts"
points = 8
method = "direct"
[[criterion]]
id = "hi_f"
dimension = "all"
indicator = "hi"
points = 6
method = "flag"
[[criterion]]
id = "level_l"
dimension = "all"
indicator = "level"
points = 15
method = "levels"
levels = { "三级" = 15, "二级" = 10 }
"#;

#[test]
fn every_absolute_method_hand_computed() {
    let a = score(
        METHODS,
        "id,rev,rd,growth,years,pts,hi,level\nA,100,3.5,10,5,9,是,二级\nB,20,6,-3,1.5,2.5,否,一级\n",
    );
    // A: 15 + 0.5×10 + 0.5×5 + 2 steps×5 + min(9, 8) + 6 + 10 = 56.5
    let e = entity(&a, "A");
    assert_relative_eq!(e.score, 56.5);
    assert_relative_eq!(e.criteria["rd_l"].fraction.unwrap(), 0.5);
    assert_relative_eq!(e.criteria["years_p"].points.unwrap(), 10.0);
    assert_relative_eq!(e.criteria["pts_d"].points.unwrap(), 8.0);
    // B: above 20 is strict → 0; rd ≥ target → 10; negative growth → 0; 1.5 years → 0 steps;
    // 2.5 direct points; flag false; unknown level 一级 → 0 with a warning. Total 12.5.
    let e = entity(&a, "B");
    assert_relative_eq!(e.score, 12.5);
    assert_relative_eq!(e.criteria["rev_b"].fraction.unwrap(), 0.0);
    assert!(
        a.warnings
            .iter()
            .any(|w| w.contains("level_l") && w.contains("not listed ('一级')") && w.contains("B")),
        "{:?}",
        a.warnings
    );
    assert_eq!(e.rank, Some(2));
    // The level is matched by its text: 二级 → 10 of 15 for A; B's 一级 is named in its note.
    assert_relative_eq!(entity(&a, "A").criteria["level_l"].points.unwrap(), 10.0);
    assert_relative_eq!(e.criteria["level_l"].points.unwrap(), 0.0);
    assert!(
        e.notes
            .iter()
            .any(|n| n.contains("level_l") && n.contains("'一级' is not listed")),
        "{:?}",
        e.notes
    );
    assert!(entity(&a, "A").notes.iter().all(|n| !n.contains("level_l")));
}

/// The levels a run warns are not listed are quoted in code-point order: the same warning
/// for any order of the rows.
#[test]
fn unlisted_levels_are_quoted_in_the_same_order_for_any_row_order() {
    let head = "id,rev,rd,growth,years,pts,hi,level\n";
    let rows = [
        "A,100,3.5,10,5,9,是,五级\n",
        "B,20,6,-3,1.5,2.5,否,一级\n",
        "C,20,6,-3,1.5,2.5,否,四级\n",
        "D,20,6,-3,1.5,2.5,否,一级\n",
    ];
    let said = |order: &[usize]| -> String {
        let data: String = std::iter::once(head)
            .chain(order.iter().map(|&k| rows[k]))
            .collect();
        let a = score(METHODS, &data);
        a.warnings
            .into_iter()
            .find(|w| w.contains("not listed"))
            .expect("a warning of the unlisted levels")
    };
    let first = said(&[0, 1, 2, 3]);
    assert!(
        first.contains("4 entities have a level that is not listed ('一级', '五级', '四级')"),
        "{first}"
    );
    assert_eq!(said(&[3, 2, 1, 0]), first);
    assert_eq!(said(&[2, 0, 3, 1]), first);
}

const WEIGHTED: &str = r#"
[rules]
name = "weighted"
id = "id"
scale = 50
aggregation = "AGG"

[[indicator]]
id = "x"
[[indicator]]
id = "f"
kind = "bool"
[[indicator]]
id = "y"

[[dimension]]
id = "d1"
weight = 30
[[dimension]]
id = "d2"
weight = 70

[[criterion]]
id = "c1"
dimension = "d1"
indicator = "x"
points = 10
method = "linear"
floor = 0
target = 10
[[criterion]]
id = "c2"
dimension = "d2"
indicator = "f"
points = 4
method = "flag"
[[criterion]]
id = "c3"
dimension = "d2"
indicator = "y"
points = 6
method = "linear"
floor = 0
target = 100
"#;

#[test]
fn weighted_dimensions_and_scale() {
    let a = score(&WEIGHTED.replace("AGG", "additive"), "id,x,f,y\nA,5,1,50\n");
    // f1 = 0.5, f2 = (4 + 3)/10 = 0.7; T = 30×0.5 + 70×0.7 = 64 of 100 → scale 50 → 32
    let e = entity(&a, "A");
    assert_relative_eq!(e.score, 32.0);
    // published shares: 50 × 0.3 × 0.5 = 7.5 and 50 × 0.7 × 0.7 = 24.5 (they add up)
    assert_relative_eq!(e.dimensions["d1"], 7.5);
    assert_relative_eq!(e.dimensions["d2"], 24.5);
}

#[test]
fn geometric_aggregation_with_floor() {
    let rules = WEIGHTED
        .replace("AGG", "geometric")
        .replace("scale = 50\n", "");
    let a = score(&rules, "id,x,f,y\nA,5,1,50\nB,0,0,100\n");
    // A: 100 × 0.5^0.3 × 0.7^0.7 = 63.279…; B: f1 = 0 → floor 0.01: 100 × 0.01^0.3 × 0.6^0.7 = 17.567…
    assert_relative_eq!(entity(&a, "A").score, 63.28);
    assert_relative_eq!(entity(&a, "B").score, 17.57);
}

#[test]
fn topsis_aggregation_hand_computed() {
    let rules = r#"
[rules]
name = "topsis"
id = "id"
aggregation = "topsis"
[[indicator]]
id = "x"
[[indicator]]
id = "y"
[[dimension]]
id = "a"
[[dimension]]
id = "b"
[[criterion]]
id = "cx"
dimension = "a"
indicator = "x"
points = 6
method = "linear"
floor = 0
target = 1
[[criterion]]
id = "cy"
dimension = "b"
indicator = "y"
points = 4
method = "linear"
floor = 0
target = 1
"#;
    // w = (0.6, 0.4); v: E1 (0.6, 0), E2 (0, 0.4), E3 (0.3, 0.2); A+ = (0.6, 0.4), A- = (0, 0)
    // E1: d+ = 0.4, d- = 0.6 → 10 × 0.6 = 6; E2: d+ = 0.6, d- = 0.4 → 4; E3: d+ = d- → 5
    let a = score(rules, "id,x,y\nE1,1,0\nE2,0,1\nE3,0.5,0.5\n");
    assert_relative_eq!(entity(&a, "E1").score, 6.0);
    assert_relative_eq!(entity(&a, "E2").score, 4.0);
    assert_relative_eq!(entity(&a, "E3").score, 5.0);
}

const MISSING: &str = r#"
[rules]
name = "missing"
id = "id"
missing = "POLICY"
[[indicator]]
id = "x"
[[indicator]]
id = "f"
kind = "bool"
[[dimension]]
id = "d"
[[criterion]]
id = "cx"
dimension = "d"
indicator = "x"
points = 6
method = "linear"
floor = 0
target = 10
[[criterion]]
id = "cf"
dimension = "d"
indicator = "f"
points = 4
method = "flag"
"#;

#[test]
fn missing_policies() {
    let csv = "id,x,f\nA,2,是\nB,4,否\nC,,是\n";
    // zero: C = 0 + 4
    let a = score(&MISSING.replace("POLICY", "zero"), csv);
    let c = entity(&a, "C");
    assert_relative_eq!(c.score, 4.0);
    assert_eq!(c.criteria["cx"].missing.as_deref(), Some("zero"));
    assert!(c.criteria["cx"].value.is_none());
    assert!(!c.notes.is_empty());
    // exclude: cx dropped, dimension rescaled over cf: 4/4 of the dimension's 10 → 10
    let a = score(&MISSING.replace("POLICY", "exclude"), csv);
    let c = entity(&a, "C");
    assert_relative_eq!(c.score, 10.0);
    assert!(c.criteria["cx"].fraction.is_none());
    assert!(c.criteria["cx"].points.is_none());
    // mean: (2 + 4)/2 = 3 → 0.3 × 6 = 1.8, + 4 = 5.8; the value shown is the imputed one
    let a = score(&MISSING.replace("POLICY", "mean"), csv);
    let c = entity(&a, "C");
    assert_relative_eq!(c.score, 5.8);
    assert_eq!(c.criteria["cx"].value, Some(serde_json::json!(3.0)));
    assert_eq!(c.criteria["cx"].missing.as_deref(), Some("mean"));
    assert!(a.warnings.iter().any(|w| w.contains("imputed")));
    // fail: an error naming the entity and the cell (file, row, column)
    let err = try_score(&MISSING.replace("POLICY", "fail"), csv).unwrap_err();
    assert!(
        err.contains(", row 4, column \"x\"; criterion 'cx')"),
        "{err}"
    );
    assert!(err.contains("C ("), "{err}");
    // A formula indicator is named with its formula and the entity's row.
    let formula = MISSING.replace("POLICY", "fail").replace(
        "[[indicator]]\nid = \"x\"",
        "[[indicator]]\nid = \"x\"\nformula = \"y / z\"",
    );
    let err = try_score(&formula, "id,y,z,f\nA,2,1,是\nB,4,0,否\n").unwrap_err();
    assert!(
        err.contains("B (indicator 'x' = `y / z` with y = 4, z = 0, from "),
        "{err}"
    );
    assert!(err.contains(" row 3; criterion 'cx')"), "{err}");
}

/// A formula indicator without a value says why in the entity's notes (the values it read)
/// and, where every value it reads was reported, in a warning: a division by zero or a
/// logarithm outside its domain is not an unreported cell (audit F10).
#[test]
fn a_formula_emptied_by_its_arithmetic_is_told_from_an_unreported_value() {
    let rules = MISSING.replace("POLICY", "zero").replace(
        "[[indicator]]\nid = \"x\"",
        "[[indicator]]\nid = \"x\"\nformula = \"y / z + ln(w)\"",
    );
    // A: 4/2 + ln 1 = 2; B: division by zero; C: y unreported; D: ln(-1); E: w unreported.
    let a = score(
        &rules,
        "id,y,z,w,f\nA,4,2,1,是\nB,4,0,1,否\nC,,2,1,是\nD,4,2,-1,是\nE,4,0,,是\n",
    );
    let note = |id: &str| {
        entity(&a, id)
            .notes
            .iter()
            .find(|n| n.starts_with("criterion 'cx'"))
            .cloned()
            .unwrap_or_default()
    };
    assert!(entity(&a, "A").notes.is_empty());
    assert_eq!(
        note("B"),
        "criterion 'cx': value missing, scored 0 (missing = \"zero\"); indicator 'x' = `y / z + ln(w)` with y = 4, z = 0, w = 1"
    );
    assert!(
        note("C").ends_with("with y = missing, z = 2, w = 1"),
        "{}",
        note("C")
    );
    assert!(
        note("D").ends_with("with y = 4, z = 2, w = -1"),
        "{}",
        note("D")
    );
    // Only B and D gave no number from reported values; C and E had a value missing.
    assert_eq!(
        warned_ids(
            &a,
            "indicator 'x': the formula gave no number, though every value it reads was reported"
        )
        .as_deref(),
        Some("B, D")
    );
    // All values present and a number everywhere: no such warning.
    let a = score(&rules, "id,y,z,w,f\nA,4,2,1,是\nB,1,1,2,否\n");
    assert!(
        !a.warnings.iter().any(|w| w.contains("gave no number")),
        "{:?}",
        a.warnings
    );
    // prev(): no earlier year is a value not reported (P); an earlier 0 is a division by
    // zero (Q); the note shows the earlier year's value.
    let growth = MISSING.replace("POLICY", "zero").replace(
        "[[indicator]]\nid = \"x\"",
        "[data]\nyear_column = \"year\"\n[[indicator]]\nid = \"x\"\nformula = \"y / prev(y) - 1\"",
    );
    let csv = "id,year,y,f\nP,2024,5,是\nQ,2023,0,是\nQ,2024,3,是\nR,2023,2,是\nR,2024,3,是\n";
    let a = score(&growth.replace("[rules]", "[rules]\nyear = 2024"), csv);
    assert_eq!(
        warned_ids(&a, "indicator 'x': the formula gave no number").as_deref(),
        Some("Q")
    );
    let q = entity(&a, "Q").notes.join(" | ");
    assert!(q.contains("with y = 3, prev(y) = 0"), "{q}");
    let p = entity(&a, "P").notes.join(" | ");
    assert!(p.contains("with y = 5, prev(y) = missing"), "{p}");
}

#[test]
fn the_value_shown_is_the_indicator_null_outside_the_domain_or_the_imputed_one() {
    // log10 of 0 and of -5 is outside the domain: treated as missing (mean of the rest).
    let rules = r#"
[rules]
name = "shown"
id = "id"
missing = "mean"
[[indicator]]
id = "x"
[[dimension]]
id = "d"
[[criterion]]
id = "cx"
dimension = "d"
indicator = "x"
points = 10
method = "linear"
transform = "log10"
floor = 1
target = 1000
"#;
    let a = score(rules, "id,x\nA,10\nB,0\nC,\nD,1000\nE,-5\n");
    let shown = |id: &str| entity(&a, id).criteria["cx"].value.clone();
    assert_eq!(shown("A"), Some(serde_json::json!(10.0)));
    assert_eq!(shown("D"), Some(serde_json::json!(1000.0)));
    // Outside the domain: missing for the criterion, so imputed like the empty cell, with
    // notes saying both; the mean is over the values the criterion can use (10 and 1000:
    // 505), and what is scored is its log10: (log10 505 − 0) / 3 × 10 = 9.01. The empty
    // cell shows the number imputed; a value outside the domain shows null (SPEC §12).
    let imputed = (505f64.log10() / 3.0 * 10.0 * 100.0).round() / 100.0;
    assert_relative_eq!(imputed, 9.01);
    for id in ["B", "C", "E"] {
        let expected = (id == "C").then(|| serde_json::json!(505.0));
        assert_eq!(shown(id), expected, "{id}");
        assert_relative_eq!(entity(&a, id).score, imputed);
        assert_eq!(
            entity(&a, id).criteria["cx"].missing.as_deref(),
            Some("mean")
        );
    }
    let notes = &entity(&a, "E").notes;
    assert!(
        notes.iter().any(|n| n.contains("outside the domain")),
        "{notes:?}"
    );
    assert!(
        notes.iter().any(|n| n.contains("imputed mean 505")),
        "{notes:?}"
    );
    assert!(
        a.warnings
            .iter()
            .any(|w| w.contains("3 missing values imputed with the mean")),
        "{:?}",
        a.warnings
    );
    // With no usable value in the cohort there is nothing to impute: scored 0, and the
    // warning says so instead of claiming an imputation.
    let a = score(rules, "id,x\nA,0\nB,\n");
    assert_relative_eq!(entity(&a, "A").score, 0.0);
    assert!(
        a.warnings
            .iter()
            .any(|w| w.contains("2 missing values scored 0"))
            && !a.warnings.iter().any(|w| w.contains("imputed")),
        "{:?}",
        a.warnings
    );
}

const TIERS: &str = r#"
[rules]
name = "tiers"
id = "id"
[[indicator]]
id = "x"
[[indicator]]
id = "ok"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 100
method = "direct"
[[gate]]
id = "cap"
require = "ok == 1"
max_tier = "silver"
[[tier]]
id = "gold"
min_score = 80
max_count = 2
[[tier]]
id = "silver"
min_score = 60
top_percent = 40
[[tier]]
id = "bronze"
"#;

#[test]
fn tiers_quotas_ties_and_caps() {
    let a = score(TIERS, "id,x,ok\nA,90,1\nC,85,1\nB,85,1\nD,70,1\nE,50,1\n");
    let tier = |id: &str| entity(&a, id).tier.clone();
    // ranks: A, then B and C tied at 85 (id ascending), D, E
    assert_eq!(entity(&a, "B").rank, Some(2));
    assert_eq!(entity(&a, "C").rank, Some(3));
    assert!(entity(&a, "B").tie_broken && entity(&a, "C").tie_broken);
    assert!(!entity(&a, "A").tie_broken);
    assert_eq!(tier("A").as_deref(), Some("gold"));
    assert_eq!(tier("B").as_deref(), Some("gold"));
    // C is refused gold only because the quota is full and B has the same score: warned
    assert_eq!(tier("C").as_deref(), Some("silver"));
    assert!(
        a.warnings
            .iter()
            .any(|w| w.contains("'B'") && w.contains("'C'"))
    );
    // silver quota = max(1, floor(40 × 5 / 100)) = 2: C and D
    assert_eq!(tier("D").as_deref(), Some("silver"));
    assert_eq!(tier("E").as_deref(), Some("bronze"));
    assert_eq!(a.summary.tiers[0].count, 2);

    // A capping gate keeps a 95 at silver at most.
    let a = score(TIERS, "id,x,ok\nA,95,0\nB,81,1\n");
    assert_eq!(entity(&a, "A").tier.as_deref(), Some("silver"));
    assert_eq!(entity(&a, "A").rank, Some(1));
    assert_eq!(entity(&a, "B").tier.as_deref(), Some("gold"));
}

/// Many entities refused a tier at one quota cut give one warning: the first refused is
/// named beside the one placed, the rest are counted and listed (not one line each).
#[test]
fn one_quota_cut_gives_one_warning() {
    // gold: max_count 2. A 90, then B, C, D, E all 85: B placed, C, D and E refused gold.
    let a = score(TIERS, "id,x,ok\nA,90,1\nE,85,1\nC,85,1\nB,85,1\nD,85,1\n");
    let cut: Vec<&String> = a
        .warnings
        .iter()
        .filter(|w| w.starts_with("tier 'gold' quota of 2"))
        .collect();
    assert_eq!(
        cut,
        [
            "tier 'gold' quota of 2 filled by a tie-break: 'B' and 'C' both scored 85, 'B' placed \
             first; 2 more entities with that score were refused the tier too: D, E"
        ],
        "{:?}",
        a.warnings
    );
    // silver: top 40 % of 5 = 2: C and D; E refused at the same score, a second cut.
    assert!(
        a.warnings.iter().any(|w| w
            == "tier 'silver' quota of 2 filled by a tie-break: 'D' and 'E' both scored 85, 'D' placed first"),
        "{:?}",
        a.warnings
    );
}

/// A carried column named like one of the CSV's own columns or a criterion would repeat a
/// header of the output, which could then not be read back.
#[test]
fn a_carry_that_repeats_an_output_header_is_refused() {
    let rules = format!("{TIERS}\n[output]\ncarry = [\"ok\", \"tier\", \"c\"]\n");
    let e = clusterscore::rules::Rules::from_str_named(&rules, "r.toml")
        .unwrap()
        .compile()
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("carry 'tier' would repeat an output header (a column every CSV output has)"),
        "{e}"
    );
    assert!(
        e.contains("carry 'c' would repeat an output header (criterion 'c')"),
        "{e}"
    );
    // Headers are compared folded, as a reader folds them: full-width ｒａｎｋ is rank.
    let rules = format!("{TIERS}\n[output]\ncarry = [\"ｒａｎｋ\"]\n");
    let e = clusterscore::rules::Rules::from_str_named(&rules, "r.toml")
        .unwrap()
        .compile()
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("carry 'ｒａｎｋ' would repeat an output header"),
        "{e}"
    );
    assert!(!e.contains("carry 'ok'"), "{e}");
}

/// A carried column the data lacks is left out of the output with a warning, not a failed
/// run: a pack that carries columns for a later step still scores data without them, and
/// a roll-up reading the column stops on its absence rather than counting nothing in it.
#[test]
fn a_carried_column_missing_from_the_data_is_left_out_with_a_warning() {
    let rules = format!("{TIERS}\n[output]\ncarry = [\"ok\", \"grup\"]\n");
    let data = "id,x,ok,group\nA,90,1,g1\nB,70,1,g2\n";
    for detail in [Detail::Entities, Detail::Columns] {
        let a = try_score_with(&rules, data, detail).unwrap();
        let said: Vec<&String> = a.warnings.iter().filter(|w| w.contains("carry")).collect();
        assert_eq!(said.len(), 1, "{:?}", a.warnings);
        assert!(
            said[0].starts_with("[output] carry names 'grup', which is not a column of the data (")
                && said[0].ends_with(
                    "data.csv): it is left out of the output, and a later step that reads it \
                     will stop (did you mean 'group'?)"
                ),
            "{said:?}"
        );
        let csv = String::from_utf8(
            clusterscore::report::to_csv(&a, clusterscore::report::OutEncoding::Utf8).unwrap(),
        )
        .unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert!(lines[0].ends_with(",c,ok"), "{csv}");
        assert!(
            lines[1].starts_with("1,A,") && lines[1].ends_with(",1"),
            "{csv}"
        );
    }
}

/// A dimension or criterion id that is one of the CSV's own headers would repeat it.
#[test]
fn a_dimension_or_criterion_named_like_an_output_column_is_refused() {
    let rules = r#"
[rules]
name = "clash"
id = "id"
[[indicator]]
id = "x"
[[dimension]]
id = "excluded_by"
[[criterion]]
id = "rank"
dimension = "excluded_by"
indicator = "x"
points = 10
method = "direct"
"#;
    let e = clusterscore::rules::Rules::from_str_named(rules, "r.toml")
        .unwrap()
        .compile()
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("r.toml:8:6: error: 'excluded_by' heads a column of every CSV output and cannot be the id of a dimension"),
        "{e}"
    );
    assert!(
        e.contains("r.toml:10:6: error: 'rank' heads a column of every CSV output and cannot be the id of a criterion"),
        "{e}"
    );
    // An indicator may be called `name`: indicators are not output columns.
    let ok = rules
        .replace("\"excluded_by\"", "\"d\"")
        .replace("\"rank\"", "\"c\"")
        .replace("id = \"x\"", "id = \"name\"")
        .replace("indicator = \"x\"", "indicator = \"name\"");
    assert!(
        clusterscore::rules::Rules::from_str_named(&ok, "r.toml")
            .unwrap()
            .compile()
            .is_ok()
    );
}

#[test]
fn requires_and_direct_conditions() {
    let rules = r#"
[rules]
name = "direct"
id = "id"
[[indicator]]
id = "x"
[[indicator]]
id = "r"
[[indicator]]
id = "d"
kind = "bool"
[[dimension]]
id = "dim"
[[criterion]]
id = "c"
dimension = "dim"
indicator = "x"
points = 100
method = "direct"
[[tier]]
id = "pass"
min_score = 80
requires = ["r >= 1", "dim >= 40"]
direct = ["d"]
"#;
    let a = score(
        rules,
        "id,x,r,d\nA,90,0,否\nB,50,1,是\nC,85,1,否\nD,30,1,是\n",
    );
    assert_eq!(entity(&a, "A").tier, None); // requires r ≥ 1 fails
    assert_eq!(entity(&a, "B").tier.as_deref(), Some("pass")); // direct waives min_score
    assert_eq!(entity(&a, "C").tier.as_deref(), Some("pass"));
    assert_eq!(entity(&a, "D").tier, None); // direct, but requires dim ≥ 40 still holds it back
}

/// SPEC §4: every place where a missing value decided an outcome is counted in the warnings:
/// an `if()` whose condition was missing (in a formula and in an adjustment's `when`), a
/// `direct` condition left missing where it would have waived the minimum, and a `requires`
/// left missing where the rest of the rule would have let the entity in — and only those.
/// The ids listed by the first warning starting with `prefix` (what follows its last ": ").
fn warned_ids(a: &clusterscore::engine::Assessment, prefix: &str) -> Option<String> {
    a.warnings
        .iter()
        .find(|w| w.starts_with(prefix))
        .map(|w| w.split(": ").last().unwrap_or("").to_string())
}

/// Under [aggregate], a division by a count of members that no member reported is not
/// arithmetic on reported values: only the counted-missing warning, not "gave no number".
#[test]
fn a_division_by_a_count_of_unreported_members_is_not_blamed_on_arithmetic() {
    let rules = r#"
[rules]
name = "agg"
id = "id"
[aggregate]
by = "cluster"
[[indicator]]
id = "avg_big"
aggregate = "sum(if(y > 0, x, 0)) / count(y > 0)"
[[indicator]]
id = "per_none"
aggregate = "sum(x) / (count() - count())"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "avg_big"
points = 10
method = "direct"
[[criterion]]
id = "c0"
dimension = "d"
indicator = "per_none"
points = 10
method = "direct"
"#;
    let a = score(rules, "id,cluster,x,y\nE1,C1,5,\nE2,C1,6,\nE3,C2,3,2\n");
    assert!(
        warned_ids(&a, "indicator 'avg_big': count() or share() took members").is_some(),
        "{:?}",
        a.warnings
    );
    assert_eq!(
        warned_ids(&a, "indicator 'avg_big': the formula gave no number"),
        None,
        "{:?}",
        a.warnings
    );
    // Every member reported: a division by zero is the arithmetic's.
    assert_eq!(
        warned_ids(&a, "indicator 'per_none': the formula gave no number").as_deref(),
        Some("C1, C2")
    );
}

/// Under [aggregate], a member-level formula's trace names the members it happened on, of the
/// scored year only, and the warning's list stays the entities.
#[test]
fn a_member_level_formula_that_gave_no_number_names_its_members() {
    let rules = r#"
[rules]
name = "agg"
id = "id"
year = 2023
[data]
year_column = "yr"
[aggregate]
by = "cluster"
[[indicator]]
id = "ratio"
formula = "rd / revenue"
[[indicator]]
id = "mean_ratio"
aggregate = "mean(ratio)"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "mean_ratio"
points = 10
method = "linear"
floor = 0
target = 1
"#;
    let a = score(
        rules,
        "id,cluster,yr,revenue,rd\n\
         E1,C1,2023,0,5\nE2,C1,2023,10,5\nE3,C2,2023,10,2\nE4,C2,2022,0,1\nE5,C1,2023,0,1\n",
    );
    let w = a
        .warnings
        .iter()
        .find(|w| w.contains("the formula gave no number"))
        .unwrap_or_else(|| panic!("{:?}", a.warnings));
    // E4's division by zero is in 2022, not scored: not named, and C2 not listed.
    assert!(
        w.starts_with("indicator 'ratio' (in 2 members: E1, E5): the formula gave no number"),
        "{w}"
    );
    assert!(w.ends_with("for 1 entity: C1"), "{w}");
}

/// A tier that `requires` and `direct` both reading an unreported cell kept from an entity
/// is warned for each of them, though neither decided it alone (audit30_post F1); a
/// requirement known to fail, or a score below the minimum with no waiver left open, is not
/// a missing value's doing.
#[test]
fn missing_values_that_decide_a_tier_together_are_warned() {
    let rules = r#"
[rules]
name = "together"
id = "code"
[[indicator]]
id = "a"
[[indicator]]
id = "b"
[[indicator]]
id = "k"
[[dimension]]
id = "d"
[[criterion]]
id = "c1"
dimension = "d"
indicator = "a"
points = 10
method = "linear"
floor = 0
target = 10
[[tier]]
id = "hi"
min_score = 5
requires = ["b >= 1", "k >= 1"]
direct = ["b >= 2"]
[[tier]]
id = "lo"
"#;
    // A: below the minimum, b missing: with b = 5 both conditions hold → hi. Warned twice.
    // B: b = 5 → hi. C: b missing but k = 0 fails the requirement anyway. D: at the
    // minimum, b missing: the requirement alone decided (warned as before).
    let a = score(rules, "code,a,b,k\nA,1,,1\nB,1,5,1\nC,1,,0\nD,6,,1\n");
    assert_eq!(entity(&a, "A").tier.as_deref(), Some("lo"));
    assert_eq!(entity(&a, "B").tier.as_deref(), Some("hi"));
    assert_eq!(
        warned_ids(
            &a,
            "tier 'hi' requires: a missing value left the condition unmet"
        )
        .as_deref(),
        Some("A, D")
    );
    assert_eq!(
        warned_ids(
            &a,
            "tier 'hi' direct: a missing value left the condition unmet"
        )
        .as_deref(),
        Some("A")
    );
}

#[test]
fn missing_values_that_decide_an_outcome_are_warned() {
    let rules = r#"
[rules]
name = "decided"
id = "id"
[[indicator]]
id = "x"
[[indicator]]
id = "nat"
kind = "bool"
[[indicator]]
id = "r"
[[indicator]]
id = "bonus"
formula = "if(nat, 10, 0)"
[[dimension]]
id = "dim"
[[criterion]]
id = "c"
dimension = "dim"
indicator = "x"
points = 100
method = "direct"
[[criterion]]
id = "b"
dimension = "dim"
indicator = "bonus"
points = 10
method = "direct"
[[adjustment]]
id = "plus"
when = "if(x > 50, false, true)"
points = 1
[[tier]]
id = "top"
min_score = 90
requires = ["r >= 1"]
direct = ["nat"]
"#;
    // A: nat missing → bonus's else branch (0) and no direct waiver below 90.
    // B: nat missing but 100 ≥ 90 anyway → the missing direct decided nothing; r missing
    //    with the minimum reached → the requirement decided.
    // C: r missing but 40 < 90 and no waiver → the requirement decided nothing.
    // D: x missing → the adjustment's if() took its else branch (+1 awarded).
    let a = score(rules, "id,x,nat,r\nA,80,,1\nB,100,,\nC,40,否,\nD,,是,1\n");
    let warned = |prefix: &str| warned_ids(&a, prefix);
    assert_eq!(
        warned("indicator 'bonus': a missing value decided an if() condition").as_deref(),
        Some("A, B")
    );
    assert_eq!(
        warned("adjustment 'plus': a missing value decided an if() condition").as_deref(),
        Some("D")
    );
    // Each warning names its tier.
    assert_eq!(warned("tier 'top' direct").as_deref(), Some("A"));
    assert_eq!(warned("tier 'top' requires").as_deref(), Some("B"));
    assert_relative_eq!(entity(&a, "A").score, 80.0);
    assert_eq!(entity(&a, "B").tier, None);
    // explain's tier trace says the same of A: its direct condition was left undecided.
    let parsed = clusterscore::rules::Rules::from_str_named(rules, "rules.toml").unwrap();
    let (k, _) = clusterscore::analysis::explain::find_entity(&a, "A").unwrap();
    let x = clusterscore::analysis::explain::explain(&parsed, &a, k).unwrap();
    assert!(
        x.tier_trace[0]
            .reasons
            .iter()
            .any(|r| r.starts_with("direct: a value was missing")),
        "{:?}",
        x.tier_trace[0].reasons
    );
    // D: 0 + 10 (bonus, nat true) + 1 (plus: else branch) = 11.
    assert_relative_eq!(entity(&a, "D").score, 11.0);
    // Nothing missing: no such warnings.
    let a = score(rules, "id,x,nat,r\nA,80,是,1\nB,100,否,0\n");
    assert!(
        !a.warnings.iter().any(|w| w.contains("missing")),
        "{:?}",
        a.warnings
    );
}

/// Negative zero is published as 0: a cell "-0" shows value 0.0 and fraction 0.0 in the
/// built results, the deferred JSON and serde's JSON alike.
#[test]
fn negative_zero_is_published_as_zero() {
    let rules = r#"
[rules]
name = "zero"
id = "id"
[[indicator]]
id = "x"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 10
method = "direct"
"#;
    let a = score(rules, "id,x\nA,-0\nB,5\n");
    let c = &entity(&a, "A").criteria["c"];
    assert_eq!(c.value, Some(serde_json::json!(0.0)));
    assert!(c.fraction.unwrap().is_sign_positive(), "{:?}", c.fraction);
    let json = serde_json::to_string(&a).unwrap();
    assert!(!json.contains("-0.0"), "{json}");
    let deferred = crate::support::try_score_with(
        rules,
        "id,x\nA,-0\nB,5\n",
        clusterscore::engine::Detail::Deferred,
    )
    .unwrap();
    let json = clusterscore::report::to_json(&deferred);
    assert!(
        json.contains("\"value\": 0.0") && !json.contains("-0.0"),
        "{json}"
    );
}

/// An exclude gate naming a criterion id bare is an error even where the data has a column
/// of that name (SPEC §12), pointed at the name with the backticked form to write; written so,
/// the gate reads the column and its note quotes the value it read, not "missing".
#[test]
fn exclude_gate_note_quotes_the_column_it_read() {
    let rules = r#"
[rules]
name = "gate"
id = "code"
[[indicator]]
id = "x"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 10
method = "direct"
[[gate]]
id = "g"
require = "c > 3"
"#;
    let data = "code,x,c\nA,1,10\nB,2,1\n";
    let err = try_score(rules, data).unwrap_err();
    assert!(
        err.contains("rules.toml:17:12: error: 'c' is the points of criterion 'c', which does not exist yet here; a bare name means the criterion even where the data has a column 'c' at 1:1 in require of gate 'g'"),
        "{err}"
    );
    assert!(
        err.contains("help: for the data column write `c` in backticks"),
        "{err}"
    );
    let a = score(&rules.replace("\"c > 3\"", "\"`c` > 3\""), data);
    assert_eq!(entity(&a, "A").excluded_by, None);
    assert_eq!(
        entity(&a, "B").notes,
        vec!["excluded by gate 'g' (`c` > 3): c = 1".to_string()]
    );
}

/// Under `[aggregate]` a member-level `prev()` reads the member's own earlier row (members
/// are keyed by `[rules].id` and year), in a member formula and inside an aggregate's
/// argument alike: m1 had 4 in 2022, m2 had 3.
#[test]
fn member_prev_under_aggregate_reads_the_members_earlier_row() {
    let rules = r#"
[rules]
name = "p"
id = "ent"
[data]
year_column = "yr"
[aggregate]
by = "cl"
[[indicator]]
id = "x"
[[indicator]]
id = "xp"
formula = "prev(x)"
[[indicator]]
id = "xpc"
formula = "coalesce(prev(x), -100)"
[[indicator]]
id = "a_sumxp"
aggregate = "sum(xp)"
[[indicator]]
id = "a_sumxpc"
aggregate = "sum(xpc)"
[[indicator]]
id = "a_direct"
aggregate = "sum(prev(x))"
[[dimension]]
id = "d"
[[criterion]]
id = "c1"
dimension = "d"
indicator = "a_sumxp"
points = 1000000
method = "direct"
[[criterion]]
id = "c2"
dimension = "d"
indicator = "a_sumxpc"
points = 1000000
method = "direct"
[[criterion]]
id = "c3"
dimension = "d"
indicator = "a_direct"
points = 1000000
method = "direct"
"#;
    let a = score(
        rules,
        "ent,cl,yr,x\nm1,A,2023,10\nm1,A,2022,4\nm2,B,2023,6\nm2,B,2022,3\n",
    );
    for (id, v) in [("A", 4.0), ("B", 3.0)] {
        for c in ["c1", "c2", "c3"] {
            assert_eq!(
                entity(&a, id).criteria[c].value,
                Some(serde_json::json!(v)),
                "{id} {c}"
            );
        }
    }
}

#[test]
fn exclude_gate_and_relative_statistics_over_ranked_entities() {
    let rules = r#"
[rules]
name = "gate"
id = "id"
[[indicator]]
id = "x"
[[indicator]]
id = "bad"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 10
method = "minmax"
[[gate]]
id = "clean"
label = "无事故"
require = "bad == 0"
"#;
    let a = score(rules, "id,x,bad\nA,10,0\nB,20,0\nC,100,1\nD,15,\n");
    // C and D are excluded (D's condition is missing and counts as failed); minmax over A, B
    let c = entity(&a, "C");
    assert_eq!(c.rank, None);
    assert_eq!(c.excluded_by.as_deref(), Some("clean"));
    assert!(c.notes.iter().any(|n| n.contains("bad = 1")));
    assert_relative_eq!(c.score, 10.0); // clamped into [0, 1] against the ranked range
    assert_relative_eq!(entity(&a, "B").score, 10.0);
    assert_relative_eq!(entity(&a, "A").score, 0.0);
    assert_eq!(entity(&a, "D").excluded_by.as_deref(), Some("clean"));
    assert!(
        a.warnings
            .iter()
            .any(|w| w.contains("clean") && w.contains("D"))
    );
    // output: ranked first, then excluded by id
    let ids: Vec<&str> = a.entities.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, vec!["B", "A", "C", "D"]);
    assert_eq!(a.summary.excluded, 2);
}

/// A cohort column of numbers groups by value (SPEC §12: a column used directly takes its
/// type from its cells): `10`, `10.0`, `+10` and `１０` are one cohort, shown as `10`; a
/// category threshold keyed `1` matches the cell `1.0`.
#[test]
fn a_numeric_cohort_column_groups_by_value() {
    let rules = r#"
[rules]
name = "numeric cohorts"
id = "id"
cohort = "grp"
[[indicator]]
id = "x"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 10
method = "direct"
[[tier]]
id = "t"
max_count = 1
min_score = { by = "zone", values = { 1 = 4 }, default = 100 }
"#;
    let data = "id,x,grp,zone\nA,5,10,1\nB,6,10.0,1.0\nC,7,１０,1\nE,9,+10,1\nG,3,1000,1\nD,8,\"1,000\",1\n";
    let a = score(rules, data);
    let order: Vec<(&str, Option<usize>, Option<&str>)> = a
        .entities
        .iter()
        .map(|e| (e.id.as_str(), e.rank, e.cohort.as_deref()))
        .collect();
    assert_eq!(
        order,
        [
            ("E", Some(1), Some("10")),
            ("C", Some(2), Some("10")),
            ("B", Some(3), Some("10")),
            ("A", Some(4), Some("10")),
            ("D", Some(1), Some("1000")),
            ("G", Some(2), Some("1000")),
        ]
    );
    // One place per cohort, each taken with the 4-point minimum of zone 1.
    assert_eq!(a.summary.tiers[0].count, 2);
}

#[test]
fn cohorts_rank_separately_and_list_in_text_order() {
    let rules = r#"
[rules]
name = "cohorts"
id = "id"
cohort = "region"
[[indicator]]
id = "x"
[[indicator]]
id = "region"
kind = "category"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 10
method = "percentile"
"#;
    let a = score(
        rules,
        "id,x,region\nA,1,west\nB,2,west\nC,5,east\nD,3,east\nE,4,\n",
    );
    let order: Vec<(&str, Option<usize>)> =
        a.entities.iter().map(|e| (e.id.as_str(), e.rank)).collect();
    assert_eq!(
        order,
        vec![
            ("C", Some(1)),
            ("D", Some(2)),
            ("B", Some(1)),
            ("A", Some(2)),
            ("E", Some(1))
        ]
    );
    assert_relative_eq!(entity(&a, "C").score, 10.0);
    assert_relative_eq!(entity(&a, "D").score, 0.0);
    assert_relative_eq!(entity(&a, "E").score, 10.0); // n = 1 → 1
    assert!(a.warnings.iter().any(|w| w.contains("no cohort")));
    // The Markdown ranking shows each entity's cohort beside its rank, which restarts per
    // cohort ("—" for the cohort of missing values).
    let md = clusterscore::report::to_markdown(&a);
    assert!(md.contains("| 排名 rank | 分组 region | id |"), "{md}");
    assert!(
        md.contains("| 1 | east | C |") && md.contains("| 1 | west | B |"),
        "{md}"
    );
    assert!(md.contains("| 1 | — | E |"), "{md}");
    // Without [rules].entity the summary says plain "entities".
    assert!(md.contains("\n5 entities, 5 ranked, 0 excluded."), "{md}");
}

/// A note under the table (`注：…` in the id column) stops a run with a year column (it has
/// no year) or a `fail` policy (its cells are empty) before the note-row warning: the error's
/// help says it is a note and to delete the row.
#[test]
fn a_note_row_that_stops_a_run_is_named_in_the_help() {
    let base = "[rules]\nname = \"n\"\nid = \"id\"\n[[indicator]]\nid = \"x\"\nmissing = \"fail\"\n\
                [[dimension]]\nid = \"d\"\n[[criterion]]\nid = \"c\"\ndimension = \"d\"\n\
                indicator = \"x\"\npoints = 10\nmethod = \"direct\"\n";
    let e =
        super::support::try_score(base, "id,x\nA,1\nB,2\n注：数据来源于各县区上报,\n").unwrap_err();
    assert!(
        e.contains("data.csv row 4: '注：数据来源于各县区上报' is a note under the table, read as a row: delete the row; otherwise fill these cells"),
        "{e}"
    );
    // An entity that only lacks a value: the help as before.
    let e = super::support::try_score(base, "id,x\nA,1\nB,\n").unwrap_err();
    assert!(
        e.contains("help: fill these cells") && !e.contains("note"),
        "{e}"
    );
    // With a year column the note has no year.
    let years = base.replace(
        "id = \"id\"\n",
        "id = \"id\"\n[data]\nyear_column = \"year\"\n",
    );
    let e = super::support::try_score(
        &years,
        "id,year,x\nA,2023,1\nB,2023,2\n注：数据来源于各县区上报,,\n",
    )
    .unwrap_err();
    assert!(
        e.contains("row 4, column \"year\": error: the year is missing"),
        "{e}"
    );
    assert!(
        e.contains("help: this row's id is '注：数据来源于各县区上报': it is a note under the table, read as a row; delete the row"),
        "{e}"
    );
}

/// With cohorts each has its own quota, so the quota-tie warning names the cohort (the
/// cohort of missing values as "missing").
#[test]
fn quota_ties_name_their_cohort() {
    let rules = "[rules]\nname = \"q\"\nid = \"id\"\ncohort = \"region\"\n[[indicator]]\nid = \"x\"\n\
                 [[dimension]]\nid = \"d\"\n[[criterion]]\nid = \"c\"\ndimension = \"d\"\n\
                 indicator = \"x\"\npoints = 10\nmethod = \"direct\"\n\
                 [[tier]]\nid = \"t\"\nmax_count = 1\n";
    let a = score(
        rules,
        "id,x,region\nA,5,east\nB,5,east\nC,3,west\nD,3,west\nE,2,\nF,2,\nG,1,north\n",
    );
    let said: Vec<&str> = a
        .warnings
        .iter()
        .filter(|w| w.contains("filled by a tie-break"))
        .map(String::as_str)
        .collect();
    assert_eq!(
        said,
        [
            "tier 't' quota of 1 in cohort 'region' = 'east' filled by a tie-break: 'A' and 'B' both scored 5, 'A' placed first",
            "tier 't' quota of 1 in cohort 'region' = 'west' filled by a tie-break: 'C' and 'D' both scored 3, 'C' placed first",
            "tier 't' quota of 1 in cohort 'region' = missing filled by a tie-break: 'E' and 'F' both scored 2, 'E' placed first",
        ]
    );
}

/// Under `[aggregate]` an entity's name comes from the first member row that gives one: a
/// blank label on the first member does not blank the name. So does a carried column.
#[test]
fn an_aggregate_name_is_the_first_member_label_given() {
    let rules = r#"
[rules]
name = "names"
id = "member"
[output]
carry = ["region"]
[aggregate]
by = "cluster"
label = "cluster_name"
[[indicator]]
id = "n"
aggregate = "count()"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "n"
points = 10
method = "direct"
"#;
    let a = score(
        rules,
        "member,cluster,cluster_name,region\nm1,K1,,\nm2,K1,轴承集群,东部\nm3,K2,纺织集群,\nm4,K1,别名,西部\n",
    );
    let names: Vec<(&str, Option<&str>)> = a
        .entities
        .iter()
        .map(|e| (e.id.as_str(), e.name.as_deref()))
        .collect();
    assert_eq!(names, [("K1", Some("轴承集群")), ("K2", Some("纺织集群"))]);
    // A carried column likewise: the first member that gives a value (K2's gives none).
    let carried: Vec<Option<String>> = a
        .entities
        .iter()
        .map(|e| e.carry.get("region").cloned().flatten())
        .collect();
    assert_eq!(carried, [Some("东部".to_string()), None]);
}

/// Under `[aggregate]` `score` in a member expression is the enterprise output's column:
/// when the data lacks it, the error says so (not that scores "do not exist yet").
#[test]
fn a_member_score_column_missing_from_the_data_is_named() {
    let rules = r#"
[rules]
name = "roll"
id = "member"
[aggregate]
by = "cluster"
[[indicator]]
id = "m"
aggregate = "mean(score)"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "m"
points = 100
method = "direct"
"#;
    let e = super::support::try_score(rules, "member,cluster,tier\nm1,K1,a\nm2,K1,\n").unwrap_err();
    assert!(
        e.contains("no data column 'score' in the member data: under [aggregate], `score` in a member expression is the enterprise output's score column"),
        "{e}"
    );
    assert!(
        e.contains("help: data columns: member, cluster, tier"),
        "{e}"
    );
    let a = score(rules, "member,cluster,score\nm1,K1,80\nm2,K1,60\n");
    assert_relative_eq!(a.entities[0].score, 70.0);
}

/// A backticked column the data lacks lists the data's columns; a wide file's list stops
/// near 400 characters and counts the rest, instead of filling the terminal.
#[test]
fn a_wide_files_columns_are_listed_in_part() {
    let rules = r#"
[rules]
name = "wide"
id = "code"
[[indicator]]
id = "f"
formula = "`nosuch` * 2"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "f"
points = 10
method = "direct"
"#;
    let headers: Vec<String> = (0..1000).map(|j| format!("col{j}")).collect();
    let cells = vec!["1"; 1000].join(",");
    let data = format!("code,{}\nA,{cells}\n", headers.join(","));
    let e = super::support::try_score(rules, &data).unwrap_err();
    let help = e
        .lines()
        .find(|l| l.contains("help: data columns: code, col0, col1, "))
        .unwrap_or_else(|| panic!("{e}"));
    let listed = help.matches(", ").count() + 1;
    assert!(
        help.ends_with(&format!(" and {} more", 1001 - listed)),
        "{help}"
    );
    assert!(help.len() < 500, "{}", help.len());
    // A narrow file's list is whole.
    let e = super::support::try_score(rules, "code,x,y\nA,1,2\n").unwrap_err();
    assert!(e.contains("help: data columns: code, x, y"), "{e}");
}

/// Under `[aggregate]` a cohort or category table may name a member column (or a column
/// indicator): each entity takes the value its members give, and members of one entity that
/// give different values are a data error (which value the entity took would depend on the
/// order of the rows). A member-level formula indicator still says why it cannot be used.
#[test]
fn a_member_column_as_cohort_or_category_under_aggregate() {
    let rules = r#"
[rules]
name = "roll"
id = "member"
cohort = "reg"
[aggregate]
by = "cluster"
[[indicator]]
id = "n"
aggregate = "count()"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "n"
points = 10
method = "direct"
"#;
    // K1: two members in e (one with an empty cell); K2 and K3: one each, in w.
    let csv = "member,cluster,reg\nm1,K1,e\nm2,K2,w\nm3,K1,\nm4,K3,w\n";
    let a = score(rules, csv);
    let rank = |id: &str| entity(&a, id).rank;
    assert_eq!(
        (rank("K1"), rank("K2"), rank("K3")),
        (Some(1), Some(1), Some(2))
    );
    assert_eq!(entity(&a, "K1").cohort.as_deref(), Some("e"));
    assert_eq!(entity(&a, "K3").cohort.as_deref(), Some("w"));
    // Members of one cluster in two regions: an error at the second member's cell.
    let e = super::support::try_score(rules, "member,cluster,reg\nm1,K1,e\nm2,K1,w\n").unwrap_err();
    assert!(
        e.contains("row 3, column \"reg\": error: the members of 'K1' give different values for 'reg': \"e\" (row 2) and \"w\"; under [aggregate] it is read as the entity's value"),
        "{e}"
    );
    // A category table's `by`, by the column or by a column indicator's id.
    let by = rules.replace("cohort = \"reg\"\n", "")
        + "[[tier]]\nid = \"t\"\nmin_score = { by = \"reg\", values = { e = 2 }, default = 5 }\n";
    // K1 (2 members, in e) meets its 2; K2 (1 member, in w) misses w's 5.
    let a = score(&by, csv);
    assert_eq!(entity(&a, "K1").tier.as_deref(), Some("t"));
    assert_eq!(entity(&a, "K2").tier, None);
    let by_id = by.replace("by = \"reg\"", "by = \"region\"")
        + "[[indicator]]\nid = \"region\"\nkind = \"category\"\ncolumn = \"reg\"\n";
    let a = score(&by_id, csv);
    assert_eq!(entity(&a, "K1").tier.as_deref(), Some("t"));
    // A member-level formula has no one value per entity: said so.
    let formula = by.replace("by = \"reg\"", "by = \"half\"")
        + "[[indicator]]\nid = \"half\"\nkind = \"category\"\nformula = \"if(`reg` == 'e', 'east', 'west')\"\n";
    let e = super::support::try_score(&formula, csv).unwrap_err();
    assert!(
        e.contains(
            "names a member-level indicator: under [aggregate] it needs one value per entity"
        ),
        "{e}"
    );
}

/// An entity with rows in other years but none in the scored year is not ranked, and the run
/// says so (a cluster missing from this year's returns), for entity rows and under
/// `[aggregate]` alike.
#[test]
fn entities_absent_from_the_scored_year_are_warned() {
    let rules = r#"
[rules]
name = "years"
id = "code"
year = 2023
[data]
year_column = "year"
[[indicator]]
id = "x"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 10
method = "direct"
"#;
    let a = score(
        rules,
        "code,year,x\nA,2023,1\nB,2022,2\nC,2021,3\nC,2022,4\n",
    );
    assert_eq!(a.summary.entities, 1);
    assert!(
        a.warnings.contains(
            &"2 entities have rows in other years but none in 2023, so they are not scored: B, C"
                .to_string()
        ),
        "{:?}",
        a.warnings
    );
    let rollup = r#"
[rules]
name = "rollup"
id = "member"
year = 2023
[data]
year_column = "year"
[aggregate]
by = "cluster"
[[indicator]]
id = "n"
aggregate = "count()"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "n"
points = 10
method = "direct"
"#;
    let a = score(
        rollup,
        "member,cluster,year\nm1,K1,2023\nm2,K2,2022\nm3,K1,2022\n",
    );
    assert_eq!(a.summary.entities, 1);
    assert!(
        a.warnings.iter().any(|w| w
            .starts_with("1 entity has rows in other years but none in 2023")
            && w.ends_with(": K2")),
        "{:?}",
        a.warnings
    );
    // An id written another way in the earlier year: the pair is named.
    let a = score(
        rules,
        "code,year,x\nA-01,2022,1\nA01,2023,2\nb02,2022,3\nB02,2023,4\nC,2022,5\n",
    );
    let w = a.warnings.join("\n");
    assert!(
        w.contains(
            "3 entities have rows in other years but none in 2023, so they are not scored: \
             A-01, C, b02; 'A-01' and 'A01', 'b02' and 'B02' differ only in case, width or \
             punctuation (or are one number): if they are one entity, write its id alike in \
             every year (prev() finds no earlier row for the 2023 id)"
        ),
        "{w}"
    );
    // A code Excel read as a number in one year (`001` → `1`): the pair is named (once per id
    // of the scored year), and `1.0` is not taken for `10`.
    let a = score(
        rules,
        "code,year,x\n001,2022,1\n1,2023,2\n1.0,2022,3\n10,2023,4\n",
    );
    let w = a.warnings.join("\n");
    assert!(
        w.contains("so they are not scored: 001, 1.0; '001' and '1' differ only"),
        "{w}"
    );
    assert!(!w.contains("and '10'"), "{w}");
}

/// `prev(x, k)` looks back k years (not k rows); prev(x) and prev(x, 3) side by side.
#[test]
fn prev_looks_back_the_given_number_of_years() {
    let rules = r#"
[rules]
name = "back"
id = "code"
year = 2023
[data]
year_column = "year"
[[indicator]]
id = "out"
[[indicator]]
id = "change"
formula = "coalesce(prev(out), 0) * 1000 + prev(out, 3)"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "change"
points = 100000
method = "direct"
"#;
    // A: 2022 → 5, 2020 → 2: 5002. B: no 2022 row (0), 2020 → 7: 7. C: no 2020 row: missing.
    let a = score(
        rules,
        "code,year,out\nA,2023,9\nA,2022,5\nA,2020,2\nA,2021,1\nB,2023,1\nB,2020,7\nC,2023,1\nC,2022,4\n",
    );
    assert_relative_eq!(entity(&a, "A").score, 5002.0);
    assert_relative_eq!(entity(&a, "B").score, 7.0);
    assert!(entity(&a, "C").criteria["c"].value.is_none());
}

#[test]
fn prev_reads_the_same_entity_a_year_earlier() {
    let rules = r#"
[rules]
name = "growth"
id = "code"
year = 2023
[data]
year_column = "year"
[[indicator]]
id = "out"
[[indicator]]
id = "growth"
formula = "(out / prev(out) - 1) * 100"
[[dimension]]
id = "d"
[[criterion]]
id = "g"
dimension = "d"
indicator = "growth"
points = 20
method = "linear"
floor = 0
target = 20
"#;
    let a = score(
        rules,
        "code,year,out\nA,2022,100\nA,2023,110\nB,2023,50\nB,2021,10\n",
    );
    let e = entity(&a, "A");
    assert_relative_eq!(
        e.criteria["g"].value.as_ref().unwrap().as_f64().unwrap(),
        10.0,
        epsilon = 1e-9
    );
    assert_relative_eq!(e.score, 10.0);
    // B has no 2022 row: growth missing → 0 under the default policy
    assert!(entity(&a, "B").criteria["g"].value.is_none());
    assert_eq!(a.audit.year, Some(2023));
    assert_eq!(a.summary.entities, 2);
}

#[test]
fn aggregate_rolls_members_up_to_entities() {
    let rules = r#"
[rules]
name = "rollup"
id = "eid"
[aggregate]
by = "cluster"
[[indicator]]
id = "rev"
[[indicator]]
id = "zjtx"
kind = "bool"
[[indicator]]
id = "total"
aggregate = "sum(rev)"
[[indicator]]
id = "n_zjtx"
aggregate = "count(zjtx)"
[[indicator]]
id = "big_share"
aggregate = "share(rev >= 10) * 100"
[[dimension]]
id = "d"
[[criterion]]
id = "t"
dimension = "d"
indicator = "total"
points = 10
method = "direct"
[[criterion]]
id = "z"
dimension = "d"
indicator = "n_zjtx"
points = 5
method = "per"
step = 1
points_per_step = 1
[[criterion]]
id = "s"
dimension = "d"
indicator = "big_share"
points = 100
method = "direct"
"#;
    let csv = "eid,cluster,rev,zjtx\ne1,K1,4,是\ne2,K1,12,是\ne3,K1,,否\ne4,K2,30,否\n";
    let a = score(rules, csv);
    let k1 = entity(&a, "K1");
    assert_eq!(k1.criteria["t"].value, Some(serde_json::json!(16.0))); // missing skipped
    assert_eq!(k1.criteria["z"].value, Some(serde_json::json!(2.0)));
    // share divides by all 3 members: 1/3 → 33.33…
    assert_relative_eq!(
        k1.criteria["s"].value.as_ref().unwrap().as_f64().unwrap(),
        100.0 / 3.0,
        epsilon = 1e-9
    );
    assert_eq!(a.summary.entities, 2);
}

#[test]
fn rounding_is_half_away_from_zero_on_the_decimal_value() {
    let rules = r#"
[rules]
name = "round"
id = "id"
[[indicator]]
id = "x"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 10
method = "direct"
"#;
    let a = score(rules, "id,x\nA,2.675\nB,1.005\n");
    assert_eq!(entity(&a, "A").score, 2.68);
    assert_eq!(entity(&a, "B").score, 1.01);
}

#[test]
fn thresholds_tolerate_floating_point_noise() {
    let rules = r#"
[rules]
name = "tolerance"
id = "id"
[[indicator]]
id = "rd"
formula = "spend / revenue * 100"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "rd"
points = 10
method = "bands"
bands = [{ at_least = 5, points = 10 }]
"#;
    // 0.35 / 7 * 100 = 4.999999999999999 in floating point: still counts as 5 %
    let a = score(rules, "id,spend,revenue\nA,0.35,7\n");
    assert_eq!(entity(&a, "A").score, 10.0);
}

#[test]
fn formula_cannot_use_scores_but_tiers_can() {
    let rules = r#"
[rules]
name = "early"
id = "id"
[[indicator]]
id = "x"
formula = "c * 2"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 10
method = "direct"
"#;
    let err = try_score(rules, "id,y\nA,1\n").unwrap_err();
    assert!(err.contains("does not exist yet"), "{err}");
    assert!(err.contains("rules.toml:7:12"), "{err}");
}

/// A column read two ways keeps its cells' text for the uses that want text and converts it
/// by the cell rules for the others: an id that is also a number indicator keeps `001`, a
/// carried year is still a year, a carried number column is carried as written.
#[test]
fn a_column_read_two_ways_serves_both() {
    let rules = r#"
[rules]
name = "twice"
id = "code"
label = "code"
year = 2023
[data]
year_column = "year"
[output]
carry = ["year", "rev"]
[[indicator]]
id = "num"
column = "code"
[[indicator]]
id = "rev"
[[indicator]]
id = "band"
kind = "category"
column = "rev"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "num"
points = 10
method = "direct"
[[criterion]]
id = "r"
dimension = "d"
indicator = "rev"
points = 2000
method = "direct"
"#;
    let data = "code,year,rev\n001,2023,\"1,234.50\"\n1,2023,5%\n001,2022,1\n";
    let a = score(rules, data);
    let ids: Vec<&str> = a.entities.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["001", "1"]);
    assert_relative_eq!(entity(&a, "001").score, 1.0 + 1234.5);
    assert_relative_eq!(entity(&a, "1").score, 1.0 + 5.0);
    let csv = String::from_utf8(
        clusterscore::report::to_csv(&a, clusterscore::report::OutEncoding::Utf8).unwrap(),
    )
    .unwrap();
    assert!(
        csv.contains("1,001,001,1235.50,,,,1235.50,1.00,1234.50,2023,\"1,234.50\""),
        "{csv}"
    );
    // A bool indicator over a column that is also carried reads its 是/否 as the reader would.
    let flags = rules
        .replace("carry = [\"year\", \"rev\"]", "carry = [\"ok\"]")
        .replace(
            "[[dimension]]",
            "[[indicator]]\nid = \"ok_flag\"\nkind = \"bool\"\ncolumn = \"ok\"\n[[dimension]]",
        )
        .replace(
            "indicator = \"rev\"\npoints = 2000\nmethod = \"direct\"",
            "indicator = \"ok_flag\"\npoints = 5\nmethod = \"flag\"",
        );
    // (Scores: id as a number + 5 for 是.)
    let a = score(
        &flags,
        "code,year,rev,ok\n1,2023,1,是\n2,2023,1,否\n3,2023,1,\n",
    );
    let got: Vec<(&str, f64)> = a
        .entities
        .iter()
        .map(|e| (e.id.as_str(), e.score))
        .collect();
    assert_eq!(got, [("1", 6.0), ("3", 3.0), ("2", 2.0)]);
    assert_eq!(
        a.entities[0].carry.get("ok").cloned().flatten().as_deref(),
        Some("是")
    );
}

/// `score` in a formula or an exclude gate is an error even when the data has a `score`
/// column (SPEC §12); the backticked column is read.
#[test]
fn score_before_scoring_is_an_error_even_with_a_score_column() {
    let rules = |formula: &str, gate: &str| {
        format!(
            r#"
[rules]
name = "early"
id = "id"
[[indicator]]
id = "x"
formula = "{formula}"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 100
method = "direct"
[[gate]]
id = "g"
require = "{gate}"
"#
        )
    };
    let data = "id,score\nA,7\nB,0\n";
    for (formula, gate) in [("score + 1", "x > 0"), ("1", "score > 1")] {
        let err = try_score(&rules(formula, gate), data).unwrap_err();
        assert!(err.contains("'score' is the final score"), "{err}");
        assert!(err.contains("write `score` in backticks"), "{err}");
    }
    let a = score(&rules("`score` + 1", "`score` > 1"), data);
    assert_eq!(entity(&a, "A").score, 8.0);
    assert_eq!(entity(&a, "B").excluded_by.as_deref(), Some("g"));
}

#[test]
fn unknown_name_gets_position_and_did_you_mean() {
    let rules = r#"
[rules]
name = "typo"
id = "id"
[[indicator]]
id = "rd_intensity"
[[indicator]]
id = "x"
formula = "rd_intesity * 2"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 10
method = "direct"
"#;
    let err = try_score(rules, "id,rd_intensity\nA,1\n").unwrap_err();
    assert!(err.contains("unknown name 'rd_intesity' at 1:1"), "{err}");
    assert!(err.contains("did you mean 'rd_intensity'"), "{err}");
    // Where scores exist, criterion and dimension ids and the score are candidates too (a
    // criterion misspelt was offered an indicator five letters off).
    let fixed = rules.replace("rd_intesity * 2", "rd_intensity * 2");
    for (condition, meant) in [
        ("c_ >= 5", "'c'"),
        ("rd_intensty > 0 and scor >= 5", "'rd_intensity'"),
        ("scor >= 5", "'score'"),
        ("dd >= 5", "'d'"),
    ] {
        let tiered = format!("{fixed}[[tier]]\nid = \"t\"\nrequires = [\"{condition}\"]\n");
        let err = try_score(&tiered, "id,rd_intensity\nA,1\n").unwrap_err();
        assert!(
            err.contains(&format!("did you mean {meant}?")),
            "{condition}: {err}"
        );
    }
    // ... but not the score in an adjustment, where it does not exist.
    let adjusted = format!("{fixed}[[adjustment]]\nid = \"b\"\nwhen = \"scor >= 5\"\npoints = 1\n");
    let err = try_score(&adjusted, "id,rd_intensity\nA,1\n").unwrap_err();
    assert!(!err.contains("did you mean 'score'"), "{err}");
}

#[test]
fn duplicate_ids_are_listed_with_rows() {
    let err = try_score(TIERS, "id,x,ok\nA,1,1\nB,2,1\nA,3,1\n").unwrap_err();
    assert!(
        err.contains("duplicate ids") && err.contains("rows 2 and 4"),
        "{err}"
    );
    // Each id once, with all its rows.
    let csv = "id,x,ok\nA,1,1\nA,2,1\nA,3,1\nB,4,1\nB,5,1\n";
    let err = try_score(TIERS, csv).unwrap_err();
    assert!(
        err.contains("data.csv rows 2, 3 and 4; 'B' in ")
            && err.contains("data.csv rows 5 and 6")
            && err.matches("'A'").count() == 1,
        "{err}"
    );
}

#[test]
fn row_order_does_not_change_results() {
    let rows = ["A,90,1", "C,85,1", "B,85,1", "D,70,1", "E,50,1"];
    let base = score(TIERS, &format!("id,x,ok\n{}\n", rows.join("\n")));
    let mut rev = rows.to_vec();
    rev.reverse();
    let other = score(TIERS, &format!("id,x,ok\n{}\n", rev.join("\n")));
    let strip = |a: &clusterscore::engine::Assessment| serde_json::to_value(&a.entities).unwrap();
    assert_eq!(strip(&base), strip(&other));
}

#[test]
fn evidence_rescore_with_shipped_weights_reproduces_the_run() {
    let a = score(TIERS, "id,x,ok\nA,90,1\nC,85,1\nB,85,1\nD,70,0\nE,50,1\n");
    let ev = a.evidence.as_ref().unwrap();
    let r = ev.rescore(&ev.weights, &ev.points, ev.aggregation);
    for (k, e) in a.entities.iter().enumerate() {
        assert_eq!(r.scores[k], e.score);
        assert_eq!(r.rank[k], e.rank);
        assert_eq!(r.tier[k].map(|t| ev.tiers[t].id.clone()), e.tier);
    }
    // Doubling the criterion's points changes nothing with one criterion (fractions only).
    let r2 = ev.rescore(&ev.weights, &[200.0], ev.aggregation);
    assert_eq!(r2.scores, r.scores);
}

/// A columns-only run on data handed over (`assess_owned`, which frees input columns after
/// the criteria) gives the same CSV as one on borrowed data, when everything scored after
/// the criteria reads inputs the criteria do not: a capping gate, an adjustment on a raw
/// column, tier `requires` on an indicator, a tier `min_score` by category, a carried column.
#[test]
fn handed_over_data_scores_like_borrowed_data() {
    use clusterscore::engine::{AssessOptions, Detail};
    use clusterscore::report::{OutEncoding, to_csv};
    use clusterscore::rules::Rules;
    let rules = r#"
[rules]
name = "handed over"
id = "code"
label = "name"
decimals = 2
tie_break = ["size"]

[output]
carry = ["note"]

[[indicator]]
id = "rd"
label = "rd"

[[indicator]]
id = "size"
label = "size"
column = "revenue"

[[indicator]]
id = "margin"
label = "margin"
formula = "profit / revenue * 100"

[[indicator]]
id = "staff"
label = "staff"

[[indicator]]
id = "region"
label = "region"
kind = "category"

[[dimension]]
id = "d"
label = "d"

[[criterion]]
id = "rd_level"
dimension = "d"
indicator = "rd"
points = 60
method = "linear"
floor = 0
target = { by = "zone", values = { "s" = 12 }, default = 10 }

[[criterion]]
id = "margin_level"
dimension = "d"
indicator = "margin"
points = 40
method = "minmax"

[[gate]]
id = "staff_cap"
label = "staff"
require = "staff >= 10"
max_tier = "b"

[[adjustment]]
id = "award"
label = "award"
when = "`award` == 1"
points = 5

[[tier]]
id = "a"
label = "A"
min_score = { by = "region", values = { "east" = 60 }, default = 40 }
requires = ["size > 100"]

[[tier]]
id = "b"
label = "B"
"#;
    let csv = "code,name,rd,revenue,profit,staff,region,award,note,zone\n\
               E1,甲,8,300,30,50,east,1,x,n\n\
               E2,乙,9,190,5,5,west,0,y,n\n\
               E3,丙,2,500,80,20,east,0,z,n\n\
               E4,丁,6,150,10,8,west,1,,n\n\
               E5,戊,6,150,10,30,east,0,w,s\n";
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data.csv");
    std::fs::write(&data, csv).unwrap();
    let compiled = Rules::from_str_named(rules, "rules.toml")
        .and_then(|r| r.compile())
        .unwrap();
    let opts = AssessOptions {
        generated_at: Some("2026-01-01T00:00:00Z".into()),
        detail: Detail::Columns,
        ..Default::default()
    };
    let read = || {
        compiled
            .read_data(std::slice::from_ref(&data), &compiled.read_options())
            .unwrap()
    };
    let borrowed = compiled.assess_with(&read(), &opts).unwrap();
    let owned = compiled.assess_owned(read(), &opts).unwrap();
    let a = to_csv(&borrowed, OutEncoding::Utf8).unwrap();
    let b = to_csv(&owned, OutEncoding::Utf8).unwrap();
    let text = String::from_utf8(a.clone()).unwrap();
    // The post-criteria inputs took effect: the award (E4 five points above E5), the cap
    // (E2: 54 clears the western minimum of 40 and `requires`, but staff 5 caps it at B),
    // the eastern minimum (E3: 52 < 60), the carried note. Margins 10, 2.63, 16, 6.67 %:
    // minmax gives E1 40 × 7.37/13.37 = 22.05. E5's zone sets its rd target to 12: 30 points.
    for line in [
        "1,E1,甲,75.05,a,A,,70.05,48.00,22.05,x",
        "2,E2,乙,54.00,b,B,,54.00,54.00,0.00,y",
        "3,E4,丁,53.07,b,B,,48.07,36.00,12.07,",
        "4,E3,丙,52.00,b,B,,52.00,12.00,40.00,z",
        "5,E5,戊,42.07,b,B,,42.07,30.00,12.07,w",
    ] {
        assert!(text.contains(line), "{line} not in\n{text}");
    }
    assert_eq!(String::from_utf8(b).unwrap(), text);
}

/// A columns-only run folds each criterion into its dimension's sum and published points as
/// soon as it is scored (in waves; with data handed over, freeing the inputs no later step
/// reads). Twelve criteria in
/// three dimensions make several waves on any machine; `exclude` drops an entity from a
/// dimension only at its third criterion, `mean` imputes elsewhere. The CSV must be the one
/// a full run (all fractions held, then summed) writes.
#[test]
fn folded_criteria_score_like_the_fraction_matrix() {
    use clusterscore::engine::{AssessOptions, Detail};
    use clusterscore::report::{OutEncoding, to_csv};
    use clusterscore::rules::Rules;
    let mut rules = String::from(
        "[rules]\nname = \"folded\"\nid = \"id\"\ndecimals = 2\nmissing = \"zero\"\n\
         [[dimension]]\nid = \"a\"\nweight = 50\n\
         [[dimension]]\nid = \"b\"\nweight = 30\n\
         [[dimension]]\nid = \"c\"\nweight = 20\n",
    );
    let methods = [
        "method = \"linear\"\nfloor = 0\ntarget = 9",
        "method = \"minmax\"",
        "method = \"percentile\"\nmissing = \"exclude\"",
        "method = \"zscore\"\nmissing = \"mean\"",
        "method = \"bands\"\nbands = [{ at_least = 5, points = 7 }, { at_least = 2, points = 3 }]",
        "method = \"minmax\"\nmissing = \"exclude\"",
    ];
    for k in 0..12 {
        let dim = ["a", "a", "a", "b", "b", "c", "a", "b", "c", "c", "b", "a"][k];
        rules.push_str(&format!(
            "[[indicator]]\nid = \"x{k}\"\n[[criterion]]\nid = \"k{k}\"\ndimension = \"{dim}\"\n\
             indicator = \"x{k}\"\npoints = {}\n{}\n",
            7 + k,
            methods[k % methods.len()]
        ));
    }
    let mut csv = String::from("id");
    for k in 0..12 {
        csv.push_str(&format!(",x{k}"));
    }
    csv.push('\n');
    for e in 0..9u32 {
        csv.push_str(&format!("E{e}"));
        for k in 0..12u32 {
            // A few empty cells, in the `exclude` criteria (2, 5, 8, 11) among others.
            if (e + k) % 7 == 3 {
                csv.push(',');
            } else {
                csv.push_str(&format!(",{}", (e * 7 + k * 3) % 11));
            }
        }
        csv.push('\n');
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data.csv");
    std::fs::write(&data, csv).unwrap();
    let compiled = Rules::from_str_named(&rules, "rules.toml")
        .and_then(|r| r.compile())
        .unwrap();
    let read = || {
        compiled
            .read_data(std::slice::from_ref(&data), &compiled.read_options())
            .unwrap()
    };
    let at = |detail| AssessOptions {
        generated_at: Some("2026-01-01T00:00:00Z".into()),
        detail,
        ..Default::default()
    };
    let full = compiled
        .assess_with(&read(), &at(Detail::Entities))
        .unwrap();
    let folded = compiled.assess_owned(read(), &at(Detail::Columns)).unwrap();
    let borrowed = compiled.assess_with(&read(), &at(Detail::Columns)).unwrap();
    let want = String::from_utf8(to_csv(&full, OutEncoding::Utf8).unwrap()).unwrap();
    for run in [&folded, &borrowed] {
        assert_eq!(
            String::from_utf8(to_csv(run, OutEncoding::Utf8).unwrap()).unwrap(),
            want
        );
        assert_eq!(run.warnings, full.warnings);
    }
    // Some entity was dropped from a criterion (an empty points cell), and dimension a's
    // share for it is over its kept points only.
    let e1 = full.entities.iter().find(|e| e.id == "E1").unwrap();
    assert!(e1.criteria["k2"].points.is_none());
    let kept: f64 = ["k0", "k1", "k6", "k11"]
        .iter()
        .map(|k| e1.criteria[*k].max)
        .sum();
    let got: f64 = ["k0", "k1", "k6", "k11"]
        .iter()
        .map(|k| e1.criteria[*k].fraction.unwrap() * e1.criteria[*k].max)
        .sum::<f64>()
        / kept
        * 50.0;
    approx::assert_relative_eq!(e1.dimensions["a"], got, epsilon = 0.005 + 1e-9);
}

/// `score --format json` builds the per-entity results while it writes them (a block of
/// entities at a time, in output order): the document must be the one written from results
/// built up front, with cohorts, carried columns, notes, capping and excluding gates,
/// adjustments, imputed and out-of-domain values, over more entities than one block.
#[test]
fn deferred_entity_results_serialise_like_built_ones() {
    use clusterscore::engine::{AssessOptions, Detail};
    use clusterscore::report::xlsx::to_xlsx;
    use clusterscore::report::{to_json, to_markdown};
    use clusterscore::rules::Rules;
    let rules = r#"
[rules]
name = "deferred"
id = "id"
label = "name"
cohort = "region"
decimals = 2
missing = "zero"
[output]
carry = ["region"]
[[indicator]]
id = "x"
[[indicator]]
id = "y"
[[indicator]]
id = "hi"
kind = "bool"
[[dimension]]
id = "a"
weight = 60
[[dimension]]
id = "b"
weight = 40
[[criterion]]
id = "kx"
dimension = "a"
indicator = "x"
points = 10
method = "percentile"
missing = "mean"
[[criterion]]
id = "ky"
dimension = "a"
indicator = "y"
points = 10
method = "minmax"
transform = "log10"
[[criterion]]
id = "kh"
dimension = "b"
indicator = "hi"
points = 5
method = "flag"
[[criterion]]
id = "kz"
dimension = "b"
indicator = "y"
points = 5
method = "zscore"
missing = "exclude"
[[gate]]
id = "some_x"
require = "x >= 1"
effect = "exclude"
[[gate]]
id = "y_cap"
require = "y >= 0"
max_tier = "b"
[[adjustment]]
id = "bonus"
when = "hi and x >= 50"
points = 2
[[tier]]
id = "a"
top_percent = 10
[[tier]]
id = "b"
top_percent = 40
"#;
    let mut csv = String::from("id,name,region,x,y,hi\n");
    for e in 0..9_000u32 {
        let x = if e % 97 == 5 {
            String::new()
        } else {
            ((e * 37) % 101).to_string()
        };
        let y = match e % 53 {
            0 => String::new(),
            1 => "-3".to_string(),
            k => format!("{}.5", k * 3 + e % 7),
        };
        let hi = ["是", "否", ""][(e % 3) as usize];
        let region = ["东营", "枣庄", "聊城"][((e % 3 + e % 2) % 3) as usize];
        csv.push_str(&format!("E{e:05},企业{},{region},{x},{y},{hi}\n", e % 211));
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data.csv");
    std::fs::write(&data, csv).unwrap();
    let compiled = Rules::from_str_named(rules, "rules.toml")
        .and_then(|r| r.compile())
        .unwrap();
    let dataset = compiled
        .read_data(std::slice::from_ref(&data), &compiled.read_options())
        .unwrap();
    let at = |detail| AssessOptions {
        generated_at: Some("2026-01-01T00:00:00Z".into()),
        detail,
        ..Default::default()
    };
    let built = compiled
        .assess_with(&dataset, &at(Detail::Entities))
        .unwrap();
    let deferred = compiled
        .assess_with(&dataset, &at(Detail::Deferred))
        .unwrap();
    assert!(deferred.entities.is_empty() && deferred.evidence.is_none());
    assert_eq!(
        deferred
            .entity_results()
            .map(std::borrow::Cow::into_owned)
            .collect::<Vec<_>>(),
        built.entities
    );
    assert_eq!(to_markdown(&deferred), to_markdown(&built));
    assert!(to_xlsx(&deferred).unwrap() == to_xlsx(&built).unwrap());
    // HTML is written from the deferred results and the evidence its sliders re-score from
    // (`Detail::Explain`, what `score` uses for it): the same page, sliders, cohort column,
    // histogram and top-60 breakdown included.
    let explain = compiled
        .assess_with(&dataset, &at(Detail::Explain))
        .unwrap();
    assert!(explain.entities.is_empty() && explain.evidence.is_some());
    let page = clusterscore::report::html::to_html(&built);
    assert!(
        page.contains("(top 60)")
            && page.contains("分组 Cohort")
            && page.contains("\"fractions\":[")
    );
    assert!(clusterscore::report::html::to_html(&explain) == page);
    let want = to_json(&built);
    // Rendered in blocks on the pool and spliced, or serialised in one piece through serde.
    assert_eq!(to_json(&deferred), want);
    assert_eq!(
        serde_json::to_string_pretty(&deferred).unwrap() + "\n",
        want
    );
    // The case exercises what it says: several cohorts, notes, both gates, the bonus, an
    // imputed value and a null shown outside log10's domain.
    let all = &built.entities;
    assert_eq!(all.len(), 9_000);
    assert!(
        all.iter()
            .any(|e| e.excluded_by.as_deref() == Some("some_x"))
    );
    assert!(
        all.iter()
            .any(|e| e.notes.iter().any(|n| n.contains("y_cap")))
    );
    assert!(all.iter().any(|e| e.adjustments["bonus"] == 2.0));
    assert!(all.iter().any(|e| e.criteria["kx"].missing.is_some()));
    assert!(
        all.iter()
            .any(|e| { e.criteria["ky"].value.is_none() && e.criteria["kz"].value.is_some() })
    );
    let cohorts: std::collections::BTreeSet<_> = all.iter().map(|e| e.cohort.clone()).collect();
    assert_eq!(cohorts.len(), 3);
}

/// One relative criterion on `x` (`METHOD`, direction `DIR`, missing `POLICY`), 10 points.
const RELATIVE_ONE: &str = r#"
[rules]
name = "relative"
id = "id"
[[indicator]]
id = "x"
direction = "DIR"
missing = "POLICY"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 10
method = "METHOD"
"#;

fn relative(method: &str, dir: &str, policy: &str) -> String {
    RELATIVE_ONE
        .replace("METHOD", method)
        .replace("DIR", dir)
        .replace("POLICY", policy)
}

#[test]
fn degenerate_statistics_follow_spec_in_both_directions() {
    // Three 0.1s and a missing value under `mean`: the imputed mean is 0.1 itself (a plain
    // Σx/n gives 0.10000000000000002), so all four are equal: minmax "all equal → 1".
    let csv = "id,x\ne1,0.1\ne2,0.1\ne3,0.1\ne4,\n";
    let a = score(&relative("minmax", "higher", "mean"), csv);
    for id in ["e1", "e2", "e3", "e4"] {
        assert_eq!(entity(&a, id).score, 10.0, "{id}");
    }
    assert_eq!(
        entity(&a, "e4").criteria["c"].value,
        Some(serde_json::json!(0.1))
    );
    // zscore on a constant column: sd = 0 → 0.5 (a drifting mean gave sd ≈ 1e-17 and 2.07).
    let a = score(
        &relative("zscore", "higher", "zero"),
        "id,x\ne1,0.1\ne2,0.1\ne3,0.1\n",
    );
    for id in ["e1", "e2", "e3"] {
        assert_eq!(entity(&a, id).criteria["c"].fraction, Some(0.5), "{id}");
    }
    // percentile with one value → 1, whichever the direction.
    for dir in ["higher", "lower"] {
        let a = score(&relative("percentile", dir, "zero"), "id,x\ne1,5\n");
        assert_eq!(entity(&a, "e1").criteria["c"].fraction, Some(1.0), "{dir}");
        assert_eq!(entity(&a, "e1").score, 10.0, "{dir}");
    }
    // Two values, lower is better: the smaller gets 1, the larger 0 (reversal still applies).
    let a = score(
        &relative("percentile", "lower", "zero"),
        "id,x\ne1,5\ne2,7\n",
    );
    assert_eq!(entity(&a, "e1").criteria["c"].fraction, Some(1.0));
    assert_eq!(entity(&a, "e2").criteria["c"].fraction, Some(0.0));
}

/// SPEC §4: a comparison with a missing operand is false — also under `not`, in a bool
/// formula and in `coalesce`/`is_missing` — and each place it decided something is warned.
#[test]
fn a_comparison_with_a_missing_operand_is_false() {
    let rules = r#"
[rules]
name = "false"
id = "id"
missing = "exclude"
[[indicator]]
id = "x"
[[indicator]]
id = "debt"
[[indicator]]
id = "big"
kind = "bool"
formula = "x > 50"
[[dimension]]
id = "d"
[[criterion]]
id = "cx"
dimension = "d"
indicator = "x"
points = 10
method = "direct"
missing = "zero"
[[criterion]]
id = "cbig"
dimension = "d"
indicator = "big"
points = 10
method = "flag"
[[indicator]]
id = "n"
formula = "count_true(x > 50, debt > 5)"
[[criterion]]
id = "cn"
dimension = "d"
indicator = "n"
points = 0.5
method = "direct"
[[gate]]
id = "low_debt"
require = "not (debt > 70)"
"#;
    // A: debt missing → `debt > 70` is false → the gate holds (not excluded), warned.
    // B: x missing → `x > 50` is false → big is false, not missing: cbig scores 0 of its 10
    //    (not dropped under `exclude`, which would have rescaled the dimension), cx scores 0
    //    under its own `missing = "zero"`: 0 of 20.
    // C: debt 80 → excluded; nothing missing.
    let a = score(rules, "id,x,debt\nA,60,\nB,,10\nC,70,80\n");
    assert_eq!(entity(&a, "A").excluded_by, None);
    // 10 + 10, and count_true(x > 50, debt > 5) = 1 (the missing debt counts as not true),
    // capped at the criterion's 0.5.
    assert_relative_eq!(entity(&a, "A").score, 20.5);
    assert_eq!(entity(&a, "C").excluded_by.as_deref(), Some("low_debt"));
    // The Markdown view says why C is out: the gate and the values involved.
    let md = clusterscore::report::to_markdown(&a);
    assert!(
        md.contains(
            "## 否决 Excluded\n\n- C: excluded by gate 'low_debt' (not (debt > 70)): debt = 80\n"
        ),
        "{md}"
    );
    let b = entity(&a, "B");
    assert_eq!(b.criteria["cbig"].value, Some(serde_json::json!(false)));
    assert_eq!(b.criteria["cbig"].points, Some(0.0));
    assert_eq!(b.criteria["cbig"].missing, None);
    // count_true(false, true) = 1 → 0.5.
    assert_relative_eq!(b.score, 0.5);
    let warned = |prefix: &str| warned_ids(&a, prefix);
    assert_eq!(
        warned("gate 'low_debt': the condition held only because").as_deref(),
        Some("A"),
        "{:?}",
        a.warnings
    );
    assert_eq!(
        warned("indicator 'big': a comparison with a missing value was taken as false").as_deref(),
        Some("B"),
        "{:?}",
        a.warnings
    );
    assert_eq!(
        warned("indicator 'n': count_true() counted a condition").as_deref(),
        Some("A, B"),
        "{:?}",
        a.warnings
    );
}

/// A `count_true()` in an `if()` branch counts for the entities that take the branch only:
/// A never reaches it (a > 0), so its missing p decided nothing.
#[test]
fn count_true_in_a_branch_not_taken_is_not_warned_of() {
    let rules = r#"
[rules]
name = "branch"
id = "id"
[[indicator]]
id = "a"
[[indicator]]
id = "p"
[[indicator]]
id = "n"
formula = "if(a > 0, 1, count_true(p > 0, a < -5))"
[[dimension]]
id = "d"
[[criterion]]
id = "cn"
dimension = "d"
indicator = "n"
points = 2
method = "direct"
"#;
    let a = score(rules, "id,a,p\nA,5,\nB,-1,\nC,-1,3\n");
    // A: 1; B: count_true(false, false) = 0; C: count_true(true, false) = 1.
    assert_relative_eq!(entity(&a, "A").score, 1.0);
    assert_relative_eq!(entity(&a, "B").score, 0.0);
    assert_relative_eq!(entity(&a, "C").score, 1.0);
    assert_eq!(
        warned_ids(&a, "indicator 'n': count_true() counted a condition").as_deref(),
        Some("B"),
        "{:?}",
        a.warnings
    );
}

/// A tie-break on a computed ratio: 0.7/10 and 7/100 are both 7 % (6.999999999999999 and
/// 7.000000000000001 in binary); within the threshold tolerance they tie, and the id
/// decides the quota place, not the arithmetic noise.
#[test]
fn tie_break_values_equal_within_the_tolerance_tie() {
    let rules = r#"
[rules]
name = "noise"
id = "code"
tie_break = ["rd_intensity"]
[[indicator]]
id = "points"
[[indicator]]
id = "rd"
[[indicator]]
id = "revenue"
[[indicator]]
id = "rd_intensity"
formula = "rd / revenue * 100"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "points"
points = 100
method = "direct"
[[tier]]
id = "benchmark"
min_score = 60
max_count = 1
"#;
    let a = score(
        rules,
        "code,points,rd,revenue\nB,80,7,100\nA,80,0.7,10\nC,80,0.71,10\n",
    );
    // C's 7.1 % wins the tie-break; A and B tie on 7 % and are ranked by id.
    assert_eq!(entity(&a, "C").rank, Some(1));
    assert_eq!(entity(&a, "A").rank, Some(2));
    assert_eq!(entity(&a, "B").rank, Some(3));
    assert_eq!(entity(&a, "C").tier.as_deref(), Some("benchmark"));
}

/// A total of 62.915 less a 50-point penalty is 12.915, published 12.92 (half away from
/// zero, SPEC §5.3), as its published parts 62.92 and −50 say: the total's rounding noise
/// is allowed for around the half, not only the smaller score's.
#[test]
fn a_half_left_by_a_penalty_rounds_away_from_zero() {
    let rules = r#"
[rules]
name = "penalty"
id = "id"
decimals = 2
[[indicator]]
id = "a"
[[indicator]]
id = "b"
[[indicator]]
id = "incident"
kind = "bool"
[[dimension]]
id = "d"
[[criterion]]
id = "ca"
dimension = "d"
indicator = "a"
points = 60
method = "direct"
[[criterion]]
id = "cb"
dimension = "d"
indicator = "b"
points = 40
method = "direct"
[[adjustment]]
id = "penalty"
when = "incident"
points = -50
[[tier]]
id = "pass"
min_score = 12.92
requires = ["score >= 12.92"]
"#;
    let a = score(
        rules,
        "id,a,b,incident\nA,43.175,19.74,true\nB,43.175,19.74,false\nC,12.92,0,false\n",
    );
    assert_eq!(entity(&a, "B").score, 62.92);
    assert_eq!(entity(&a, "A").score, 12.92);
    assert_eq!(entity(&a, "A").tier.as_deref(), Some("pass"));
    // Tied with C at 12.92, A comes first by id.
    assert_eq!(entity(&a, "A").rank, Some(2));
    // Re-scoring (what sensitivity and explain do) reads `score` in `requires` rounded the
    // same way.
    let ev = a.evidence.as_deref().expect("evidence kept");
    let again = ev.rescore(&ev.weights, &ev.points, ev.aggregation);
    let (k, _) = clusterscore::analysis::explain::find_entity(&a, "A").unwrap();
    assert_eq!(again.scores[k], 12.92);
    assert_eq!(again.tier[k], Some(0));
}

/// The reports say where a total's difference from its dimensions comes from: the
/// adjustments, named, which are in no dimension.
#[test]
fn the_components_note_names_the_adjustments() {
    let rules = r#"
[rules]
name = "adj"
id = "id"
[[indicator]]
id = "v"
[[indicator]]
id = "national"
kind = "bool"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "v"
points = 100
method = "direct"
[[adjustment]]
id = "bonus"
label = "国家级集群加分"
when = "national"
points = 3
"#;
    let a = score(rules, "id,v,national\nA,80,是\nB,70,否\n");
    assert_eq!(entity(&a, "A").score, 83.0);
    let md = clusterscore::report::to_markdown(&a);
    assert!(
        md.contains(
            "The total also includes the adjustments (国家级集群加分), which are in no dimension."
        ),
        "{md}"
    );
    let (zh, _) = clusterscore::report::components_note(&a.layout);
    assert!(
        zh.ends_with("总分另含加减分项（国家级集群加分），不计入任何维度。"),
        "{zh}"
    );
}

/// A tier condition met only because a comparison with a missing value is false is warned
/// of for the entities it let into the tier: not for an excluded entity, one placed
/// higher, or (for `direct`) one whose score reached the minimum anyway.
#[test]
fn a_tier_condition_met_by_a_missing_value_is_warned_of_where_it_let_the_entity_in() {
    let rules = r#"
[rules]
name = "met"
id = "id"
[[indicator]]
id = "v"
[[indicator]]
id = "x"
[[indicator]]
id = "ok"
kind = "bool"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "v"
points = 100
method = "direct"
[[gate]]
id = "veto"
require = "ok"
[[tier]]
id = "top"
min_score = 95
[[tier]]
id = "second"
min_score = 50
direct = ["not (x >= 2)"]
"#;
    // A: 97, placed in top (never tried second). B: 90 ≥ 50, in second on its score. C: 10,
    // in second by the waiver its missing x granted. E: excluded.
    let a = score(
        rules,
        "id,v,x,ok\nA,97,,true\nB,90,,true\nC,10,,true\nD,10,5,true\nE,10,,false\n",
    );
    assert_eq!(entity(&a, "C").tier.as_deref(), Some("second"));
    assert_eq!(entity(&a, "D").tier, None);
    assert_eq!(
        warned_ids(&a, "tier 'second' direct: the condition held only because").as_deref(),
        Some("C"),
        "{:?}",
        a.warnings
    );
}

/// A comparison is never missing (with a missing operand it is false, SPEC §4), so
/// `is_missing(a > 5)` is false whatever `a` is: a missing `a` decides nothing there and
/// nothing is warned of.
#[test]
fn is_missing_of_a_comparison_decides_nothing() {
    let rules = r#"
[rules]
name = "cmp"
id = "id"
[[indicator]]
id = "a"
[[indicator]]
id = "m"
kind = "bool"
formula = "is_missing(a > 5)"
[[dimension]]
id = "d"
[[criterion]]
id = "cm"
dimension = "d"
indicator = "m"
points = 1
method = "flag"
[[gate]]
id = "g"
require = "not is_missing(a > 5)"
[[adjustment]]
id = "adj"
when = "is_missing(a > 5)"
points = 1
"#;
    let a = score(rules, "id,a\nA,\nB,7\n");
    for id in ["A", "B"] {
        assert_eq!(entity(&a, id).excluded_by, None);
        assert_relative_eq!(entity(&a, id).score, 0.0);
    }
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
}

/// `coalesce()` and `is_missing()` turn a comparison with a missing value into an answer
/// other than the unknown would give: the missing value decided it, and it is warned (§4).
#[test]
fn a_missing_value_decides_through_coalesce_and_is_missing() {
    let rules = r#"
[rules]
name = "decided"
id = "id"
[[indicator]]
id = "a"
[[indicator]]
id = "b"
[[indicator]]
id = "keep"
kind = "bool"
formula = "coalesce(a > 2, true)"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "b"
points = 10
method = "direct"
[[criterion]]
id = "ck"
dimension = "d"
indicator = "keep"
points = 1
method = "flag"
[[gate]]
id = "g"
require = "coalesce(a > 2, true)"
[[adjustment]]
id = "bonus"
when = "not is_missing(a > 2) and not (a > 2)"
points = 1
"#;
    // E2: a missing → `a > 2` is false, so coalesce keeps false: excluded, though an unknown
    // comparison would have given true; the bonus's condition holds only through the missing a.
    let out = score(rules, "id,a,b\nE1,3,1\nE2,,1\nE3,1,4\n");
    assert_eq!(entity(&out, "E2").excluded_by.as_deref(), Some("g"));
    assert_eq!(entity(&out, "E3").excluded_by.as_deref(), Some("g"));
    assert_relative_eq!(entity(&out, "E1").score, 2.0);
    let warned = |prefix: &str| warned_ids(&out, prefix);
    assert_eq!(
        warned("gate 'g'").as_deref(),
        Some("E2"),
        "{:?}",
        out.warnings
    );
    assert_eq!(
        warned("indicator 'keep'").as_deref(),
        Some("E2"),
        "{:?}",
        out.warnings
    );
    assert_eq!(
        warned("adjustment 'bonus'").as_deref(),
        Some("E2"),
        "{:?}",
        out.warnings
    );
}

/// A tie-break value of −0 equals 0: the id decides (it ranked below +0, which moved the
/// tier and the quota-tie warning).
#[test]
fn negative_zero_tie_break_values_fall_through_to_the_id() {
    let rules = |dir: &str| {
        format!(
            r#"
[rules]
name = "t"
id = "id"
tie_break = ["growth"]
[[indicator]]
id = "x"
[[indicator]]
id = "growth"
direction = "{dir}"
[[dimension]]
id = "a"
[[criterion]]
id = "c"
dimension = "a"
indicator = "x"
points = 100
method = "direct"
[[tier]]
id = "bench"
max_count = 1
"#
        )
    };
    for dir in ["higher", "lower"] {
        // Many entities take the bucketed ranking path; the two tied ones sit at the top.
        let mut data = String::from("id,x,growth\nLC02,80,0\nLC01,80,-0.0%\n");
        for k in 0..70 {
            data.push_str(&format!("Z{k:02},{},1\n", k % 50));
        }
        let a = score(&rules(dir), &data);
        let top: Vec<(&str, Option<&str>)> = a.entities[..2]
            .iter()
            .map(|e| (e.id.as_str(), e.tier.as_deref()))
            .collect();
        assert_eq!(top, [("LC01", Some("bench")), ("LC02", None)], "{dir}");
        assert!(
            a.warnings
                .iter()
                .any(|w| w.ends_with("'LC01' placed first")),
            "{:?}",
            a.warnings
        );
    }
}

/// A tie on score ordered by a missing tie-break value (missing sorts last) is warned: the
/// missing value decided the order (SPEC §4).
#[test]
fn a_missing_tie_break_value_that_orders_a_tie_is_warned() {
    let rules = r#"
[rules]
name = "ties"
id = "id"
tie_break = ["tb"]
[[indicator]]
id = "x"
[[indicator]]
id = "tb"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 100
method = "direct"
"#;
    // B, C, D tie on 70; B has no tb → last of the three. E has no tb but no tie.
    let a = score(rules, "id,x,tb\nA,80,1\nB,70,\nC,70,5\nD,70,3\nE,60,\n");
    let ranks: Vec<(String, Option<usize>)> =
        a.entities.iter().map(|e| (e.id.clone(), e.rank)).collect();
    assert_eq!(
        ranks[1..4],
        [
            ("C".to_string(), Some(2)),
            ("D".to_string(), Some(3)),
            ("B".to_string(), Some(4))
        ]
    );
    let w: Vec<&String> = a
        .warnings
        .iter()
        .filter(|w| w.starts_with("tie_break:"))
        .collect();
    assert_eq!(w.len(), 1, "{:?}", a.warnings);
    assert!(
        w[0].contains("1 entity tied") && w[0].ends_with(": B"),
        "{}",
        w[0]
    );
}

/// With two tie-break keys the missing value is warned of only where it decided: X is
/// placed first by tb1 (its missing tb2 is never read); P and Q lack tb1 as R does not
/// (named); S lacks tb2 where T, equal on tb1, has it (named); U and V lack everything
/// (the id decides, not a missing value).
#[test]
fn a_missing_tie_break_value_is_warned_of_only_where_it_decided() {
    let rules = r#"
[rules]
name = "ties"
id = "id"
tie_break = ["tb1", "tb2"]
[[indicator]]
id = "v"
[[indicator]]
id = "tb1"
[[indicator]]
id = "tb2"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "v"
points = 100
method = "direct"
"#;
    let a = score(
        rules,
        "id,v,tb1,tb2\nX,50,2,\nY,50,1,5\nP,40,,\nQ,40,,\nR,40,3,\nS,30,4,\nT,30,4,1\nU,20,,\nV,20,,\n",
    );
    let w: Vec<&String> = a
        .warnings
        .iter()
        .filter(|w| w.starts_with("tie_break:"))
        .collect();
    assert_eq!(w.len(), 1, "{:?}", a.warnings);
    assert!(
        w[0].contains("3 entities tied") && w[0].ends_with(": P, Q, S"),
        "{}",
        w[0]
    );
}

/// Two dimensions under `missing = "exclude"`: `a` of criteria cx and cz (10 points each),
/// `b` of cy alone (20 points), so a missing y drops all of `b`.
const ALL_DROPPED: &str = r#"
[rules]
name = "topsis dropped"
id = "id"
aggregation = "AGGREGATION"
missing = "exclude"
[[indicator]]
id = "x"
[[indicator]]
id = "y"
[[indicator]]
id = "z"
[[dimension]]
id = "a"
[[dimension]]
id = "b"
[[criterion]]
id = "cx"
dimension = "a"
indicator = "x"
points = 10
method = "linear"
floor = 0
target = 10
[[criterion]]
id = "cz"
dimension = "a"
indicator = "z"
points = 10
method = "linear"
floor = 0
target = 10
[[criterion]]
id = "cy"
dimension = "b"
indicator = "y"
points = 20
method = "linear"
floor = 0
target = 10
"#;

/// TOPSIS measures an excluded entity against the ranked entities' ideals with its value
/// clamped between them: raising its value never lowers its score, and one below the
/// anti-ideal scores as the worst ranked one (it earned 3.85 for x = 0 and 0 for x = 5).
#[test]
fn topsis_counts_a_dimension_with_every_criterion_dropped_at_the_anti_ideal() {
    let rules = &ALL_DROPPED.replace("AGGREGATION", "topsis");
    // Weights: cx, cz 10/40 = 0.25 each, cy 20/40 = 0.5; final_max 40.
    // Ranked values (x, z, y): A (10, 10, 10), C (8, 8, 8), D (0, 0, 0); ideals
    // v⁺ = (0.25, 0.25, 0.5), v⁻ = (0, 0, 0).
    let a = score(
        rules,
        "id,x,z,y\nA,10,10,10\nB,10,,\nC,8,8,8\nD,0,0,0\nN,,,\n",
    );
    // B: cz dropped within a (cx kept) is left out; b lost every criterion, so cy
    // counts at the anti-ideal: d⁺ = sqrt(0 + 0.5²) = 0.5, d⁻ = sqrt(0.25²) = 0.25,
    // T = 40 × 0.25 / 0.75 = 13.333… (it was 40, the maximum, before).
    assert_relative_eq!(entity(&a, "B").score, 13.33);
    // C: all three at 0.8 of the ideal: d⁺ = 0.2 × |v⁺|, d⁻ = 0.8 × |v⁺|, T = 32.
    assert_relative_eq!(entity(&a, "C").score, 32.0);
    // N reported nothing: 0, as additive rules give, not the maximum.
    assert_relative_eq!(entity(&a, "N").score, 0.0);
    assert_eq!(entity(&a, "N").rank, Some(5));
    assert_relative_eq!(entity(&a, "A").score, 40.0);
}

/// SPEC §12: a dimension whose criteria are all dropped by `exclude` scores 0, and the
/// entity's notes say so instead of claiming the dimension was rescaled; the run warns.
#[test]
fn a_dimension_with_every_criterion_dropped_scores_0_and_says_so() {
    let rules = ALL_DROPPED.replace("AGGREGATION", "additive");
    let a = score(&rules, "id,x,z,y\nP,5,,4\nQ,5,5,\n");
    // P: a rescaled over cx: 20 × 5/10 = 10; b: 20 × 0.4 = 8 → 18.
    assert_relative_eq!(entity(&a, "P").score, 18.0);
    // Q: a 20 × 0.5 = 10; b lost its only criterion and scores 0 → 10.
    assert_relative_eq!(entity(&a, "Q").score, 10.0);
    let p = &entity(&a, "P").notes;
    assert_eq!(p.len(), 1);
    assert!(p[0].starts_with(
        "criterion 'cz': value missing, criterion dropped and its dimension rescaled"
    ));
    let q = &entity(&a, "Q").notes;
    assert_eq!(
        q,
        &[
            "criterion 'cy': value missing, criterion dropped (missing = \"exclude\")",
            "dimension 'b': every criterion dropped (missing = \"exclude\"), so the dimension scores 0 (nothing left to rescale over)",
        ]
    );
    assert!(
        a.warnings.iter().any(|w| w
            == "dimension 'b': 1 entity has every criterion dropped (missing = \"exclude\"), so the dimension scores 0 for it: Q"),
        "{:?}",
        a.warnings
    );
    // Dimension a never lost every criterion: no warning for it.
    assert!(!a.warnings.iter().any(|w| w.starts_with("dimension 'a'")));
}

/// docs/rules.md (Totals): a ranked entity holding the anti-ideal carries it along, and a
/// z-score moves every fraction, so its TOPSIS score can fall as its own value rises.
/// Hand-computed: x = 9, 8, 5, 7 → mean 7.25, sd √(8.75/3) = 1.7078, C's z = −1.3175 and
/// A's 1.0247, Φ = 0.0938 and 0.8473; w = ½ per criterion; C holds the anti-ideal on x and
/// the ideal on y: d⁺ = ½(0.8473 − 0.0938) = 0.3768, d⁻ = ½ → 100 × ½/0.8768 = 57.03.
/// With C's x = 6: mean 7.5, sd √(5/3) = 1.2910, z = ∓1.1619, Φ = 0.8774 and 0.1226:
/// d⁺ = 0.3774 → 56.99.
#[test]
fn a_topsis_score_can_fall_as_its_own_value_rises() {
    let rules = "[rules]\nname = \"t\"\nid = \"code\"\naggregation = \"topsis\"\nscale = 100\n\
                 [[indicator]]\nid = \"x\"\n[[indicator]]\nid = \"y\"\n[[dimension]]\nid = \"d\"\n\
                 [[criterion]]\nid = \"c1\"\ndimension = \"d\"\nindicator = \"x\"\npoints = 10\n\
                 method = \"zscore\"\n[[criterion]]\nid = \"c2\"\ndimension = \"d\"\n\
                 indicator = \"y\"\npoints = 10\nmethod = \"flag\"\n";
    let data = |cx: u32| format!("code,x,y\nA,9,0\nB,8,0\nC,{cx},1\nD,7,1\n");
    let before = score(rules, &data(5));
    let after = score(rules, &data(6));
    assert_relative_eq!(entity(&before, "C").score, 57.03);
    assert_relative_eq!(entity(&after, "C").score, 56.99);
    // Additive totals of the same criteria reward the rise: 0.94 → 1.23 points on x.
    let additive = rules.replace("topsis", "additive");
    let (b, a) = (score(&additive, &data(5)), score(&additive, &data(6)));
    assert!(entity(&a, "C").score > entity(&b, "C").score);
}

#[test]
fn topsis_clamps_excluded_entities_between_the_ideals() {
    let rules = r#"
[rules]
name = "topsis excluded"
id = "id"
aggregation = "topsis"
[[indicator]]
id = "x"
[[indicator]]
id = "ok"
kind = "bool"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 10
method = "linear"
floor = 0
target = 10
[[gate]]
id = "g"
require = "ok"
"#;
    // Ranked a (fraction 0.5) and b (0.8): one criterion, so the closeness is the
    // position between them: (v − 0.5)/(0.8 − 0.5), clamped into [0, 1].
    let mut last = f64::NEG_INFINITY;
    for (x, want) in [
        (0.0, 0.0),
        (3.0, 0.0),
        (5.0, 0.0),
        (6.0, 10.0 / 3.0),
        (8.0, 10.0),
        (9.5, 10.0),
    ] {
        let a = score(
            rules,
            &format!("id,x,ok\na,5,true\nb,8,true\ne,{x},false\n"),
        );
        let e = entity(&a, "e");
        assert_eq!(e.excluded_by.as_deref(), Some("g"));
        assert_relative_eq!(e.score, (want * 100.0_f64).round() / 100.0, epsilon = 1e-9);
        assert!(e.score >= last, "x = {x}: {} after {last}", e.score);
        last = e.score;
        assert_relative_eq!(entity(&a, "a").score, 0.0);
        assert_relative_eq!(entity(&a, "b").score, 10.0);
    }
}

/// One number indicator `x` scored `direct` out of 10: the smallest rules file, for tests
/// about the data rather than the scoring.
const ONE_DIRECT: &str = r#"
[rules]
name = "t"
id = "id"
[[indicator]]
id = "x"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 10
method = "direct"
"#;

const BY_COLUMN: &str = r#"
[rules]
name = "by column"
id = "id"
[[indicator]]
id = "rev"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "rev"
points = 10
method = "linear"
floor = 0
target = { by = "zone", values = { "01" = 100, "02" = 50, "是" = 200 }, default = 30 }
"#;

#[test]
fn category_keys_match_a_number_column_by_value() {
    // `zone` holds only numbers, so it is a number column: the key "01" is the number 1.
    let a = score(BY_COLUMN, "id,rev,zone\na,60,01\nb,60,2\nc,60,7\n");
    let pts = |id: &str| entity(&a, id).criteria["c"].points.unwrap();
    assert_relative_eq!(pts("a"), 6.0); // 60 / 100
    assert_relative_eq!(pts("b"), 10.0); // 60 / 50, capped
    assert_relative_eq!(pts("c"), 10.0); // default 30
    // The same rows with one text cell elsewhere in the column: the same scores.
    let t = score(BY_COLUMN, "id,rev,zone\na,60,01\nb,60,02\nc,60,7\nd,0,x\n");
    assert_relative_eq!(entity(&t, "a").criteria["c"].points.unwrap(), 6.0);
    assert_relative_eq!(entity(&t, "b").criteria["c"].points.unwrap(), 10.0);
}

#[test]
fn category_keys_match_a_boolean_column_by_value() {
    let a = score(BY_COLUMN, "id,rev,zone\na,60,是\nb,60,否\n");
    assert_relative_eq!(entity(&a, "a").criteria["c"].points.unwrap(), 3.0); // 60 / 200
    assert_relative_eq!(entity(&a, "b").criteria["c"].points.unwrap(), 10.0); // default 30
}

#[test]
fn a_category_default_standing_in_is_warned() {
    let rules = BY_COLUMN.replace(r#""01" = 100, "02" = 50, "是" = 200"#, r#""A类" = 100"#);
    let a = score(
        &rules,
        "id,rev,zone\na,60,A类\nb,60,Ａ类\nc,60,\nd,60,B类\n",
    );
    // 60 / 30 (capped) for b, c and d; 60 / 100 for a.
    assert_relative_eq!(entity(&a, "a").criteria["c"].points.unwrap(), 6.0);
    assert_relative_eq!(entity(&a, "b").criteria["c"].points.unwrap(), 10.0);
    let w = |needle: &str| a.warnings.iter().filter(|w| w.contains(needle)).count();
    // A missing category is a missing-value substitution: warned, naming the entity.
    assert_eq!(
        w(
            "criterion 'c', target: 1 entity has no 'zone' value and takes the category table's default (30): c"
        ),
        1,
        "{:?}",
        a.warnings
    );
    // A full-width spelling of a listed key is most likely a slip: warned with the key.
    assert_eq!(
        w("'Ａ类' is not in the category table (did you mean 'A类'?)"),
        1
    );
    // Another category taking the default is the table working as written: not warned.
    assert_eq!(w("B类"), 0);
    // Each substitution is also in the entity's notes (SPEC §5.2).
    assert_eq!(
        entity(&a, "c").notes,
        ["criterion 'c', target: no 'zone' value, took the category table's default (30)"]
    );
    assert!(entity(&a, "b").notes[0].contains("did you mean 'A类'?), took its default (30)"));
    assert!(entity(&a, "d").notes.is_empty());
}

/// A category table with a default for a band threshold, a level's points and a tier's
/// min_score: who is warned of the default is who consulted it.
const DEFAULTS_CONSULTED: &str = r#"
[rules]
name = "defaults"
id = "id"

[[indicator]]
id = "zone"
kind = "category"
[[indicator]]
id = "x"
[[indicator]]
id = "grade"
kind = "category"
[[indicator]]
id = "ok"
kind = "bool"

[[dimension]]
id = "d"

[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 10
method = "bands"
bands = [{ at_least = 100, points = 10 }, { at_least = { by = "zone", values = { e = 50 }, default = 30 }, points = 5 }]

[[criterion]]
id = "lv"
dimension = "d"
indicator = "grade"
points = 10
method = "levels"
levels = { "一级" = { by = "zone", values = { e = 10 }, default = 4 }, "二级" = 2 }

[[gate]]
id = "g"
require = "ok"

[[tier]]
id = "t"
min_score = { by = "zone", values = { e = 5 }, default = 8 }
"#;

#[test]
fn a_category_default_is_warned_only_for_the_entities_that_consulted_it() {
    // a: zone e, x 60 → band 2 (5), 一级 with e → 10; score 15.
    // b: no zone, x 200 → band 1 (10) without reaching band 2's threshold; 二级 → 2 (the
    //    一级 table is not its level); score 12 ≥ the default min_score 8 → tier t.
    // c: no zone, x 40 → band 2's default threshold 30 is consulted and met (5); 一级 with
    //    the default 4; excluded by the gate, so no tier walk reads min_score.
    let a = score(
        DEFAULTS_CONSULTED,
        "id,zone,x,grade,ok\na,e,60,一级,是\nb,,200,二级,是\nc,,40,一级,否\n",
    );
    let pts = |id: &str, c: &str| entity(&a, id).criteria[c].points.unwrap();
    assert_relative_eq!(pts("b", "c"), 10.0);
    assert_relative_eq!(pts("c", "c"), 5.0);
    assert_relative_eq!(pts("b", "lv"), 2.0);
    assert_relative_eq!(pts("c", "lv"), 4.0);
    let defaults: Vec<&String> = a
        .warnings
        .iter()
        .filter(|w| w.contains("default"))
        .collect();
    assert_eq!(
        defaults,
        [
            "criterion 'c', band 2 at_least: 1 entity has no 'zone' value and takes the category table's default (30): c",
            "level '一级' of criterion 'lv': 1 entity has no 'zone' value and takes the category table's default (4): c",
            "min_score of tier 't': 1 entity has no 'zone' value and takes the category table's default (8): b",
        ]
    );
    assert_eq!(
        entity(&a, "b").notes,
        ["min_score of tier 't': no 'zone' value, took the category table's default (8)"]
    );
    let c_notes = &entity(&a, "c").notes;
    let noted = |text: &str| c_notes.iter().filter(|n| n.contains(text)).count();
    assert_eq!(
        noted("criterion 'c', band 2 at_least: no 'zone' value"),
        1,
        "{c_notes:?}"
    );
    assert_eq!(noted("level '一级' of criterion 'lv': no 'zone' value"), 1);
    assert_eq!(noted("min_score"), 0);
}

#[test]
fn boolean_words_under_a_number_indicator_are_an_error_on_the_library_path_too() {
    // `Dataset::from_path` types `x` from its cells as booleans; a number indicator over it
    // refuses them as the CLI's reader does (SPEC §12), instead of reading 是/否 as 1/0.
    let rules = ONE_DIRECT;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.csv");
    std::fs::write(&path, "id,x\na,\nb,是\nc,否\n").unwrap();
    let data = clusterscore::engine::Dataset::from_path(&path).unwrap();
    let compiled = clusterscore::rules::Rules::from_str(rules)
        .unwrap()
        .compile()
        .unwrap();
    let err = compiled
        .assess_with(&data, &clusterscore::engine::AssessOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("indicator 'x' is of kind number"), "{err}");
    assert!(err.contains("row 3"), "{err}");
}

#[test]
fn a_column_made_text_by_a_few_cells_names_them_in_the_type_error() {
    let rules = &format!("{ONE_DIRECT}[[gate]]\nid = \"g\"\nrequire = \"`emp` > 3\"\n");
    let mut csv = String::from("id,x,emp\n");
    for i in 0..30 {
        let emp = if i == 17 {
            "1,23".to_string()
        } else {
            i.to_string()
        };
        csv.push_str(&format!("e{i},1,\"{emp}\"\n"));
    }
    let err = try_score(rules, &csv).unwrap_err();
    assert!(
        err.contains("'>' needs numbers, found text on its left side"),
        "{err}"
    );
    assert!(
        err.contains("column 'emp' is read as text because of \"1,23\" (")
            && err.contains("data.csv, row 19, column \"emp\")"),
        "{err}"
    );
    // A column of words is text by intent: no such hint.
    let words: String = (0..30).map(|i| format!("e{i},1,w{i}\n")).collect();
    let err = try_score(rules, &format!("id,x,emp\n{words}")).unwrap_err();
    assert!(
        err.contains("'>' needs numbers, found text on its left side"),
        "{err}"
    );
    assert!(!err.contains("is read as text because of"), "{err}");
}

#[test]
fn a_column_of_numbers_written_with_units_names_the_cells_and_the_fix_in_the_type_error() {
    // `emp` is read only by a formula: cells with a unit (人) make it text, and the type error
    // in the rules names the cells, how many there are, and how to write them.
    let rules = &format!("{ONE_DIRECT}[[indicator]]\nid = \"per\"\nformula = \"x / `emp`\"\n");
    let mut csv = String::from("id,x,emp\n");
    for i in 0..30 {
        let emp = match i {
            4 => String::new(),
            7 => "无".to_string(),
            i if i % 3 == 0 => format!("{}人", i + 10),
            i => (i + 10).to_string(),
        };
        csv.push_str(&format!("e{i},1,{emp}\n"));
    }
    let err = try_score(rules, &csv).unwrap_err();
    assert!(err.contains("expected a number, found text"), "{err}");
    // The data explains the error: no advice to treat the column as text.
    assert!(!err.contains("text cannot be used in arithmetic"), "{err}");
    assert!(
        err.contains(
            "column 'emp' is read as text because 10 of its cells are not plain numbers: \
             \"10人\" ("
        ) && err.contains("data.csv, row 2, column \"emp\"), \"13人\" (row 5), \"16人\" (row 8) and 7 more; \"10人\" carries a unit (人): write the number alone: 10"),
        "{err}"
    );
    assert!(
        err.contains("It also holds \"无\" (") && err.contains("row 9, column \"emp\")"),
        "{err}"
    );
    // Words throughout: text by intent, no such hint.
    let words: String = (0..30).map(|i| format!("e{i},1,w{i}人\n")).collect();
    let err = try_score(rules, &format!("id,x,emp\n{words}")).unwrap_err();
    assert!(!err.contains("is read as text because"), "{err}");
}

#[test]
fn category_keys_that_are_one_value_are_warned() {
    let rules = BY_COLUMN.replace(
        r#""01" = 100, "02" = 50, "是" = 200"#,
        r#""1" = 100, "01" = 50"#,
    );
    let a = score(&rules, "id,rev,zone\na,60,1\nb,60,2\n");
    assert_relative_eq!(entity(&a, "a").criteria["c"].points.unwrap(), 6.0); // 60 / 100
    assert!(
        a.warnings
            .iter()
            .any(|w| w.contains("the keys '1' and '01'")
                && w.contains("'1' (= 100) is used, '01' (= 50) never")),
        "{:?}",
        a.warnings
    );
}

#[test]
fn every_cell_outside_the_levels_is_reported() {
    let rules = format!(
        "{ONE_DIRECT}[[indicator]]\nid = \"lv\"\nkind = \"category\"\nlevels = [\"A\", \"B\"]\n"
    );
    let err = try_score(&rules, "id,x,lv\na,1,A\nb,2,Z\nc,3,\nd,4,Q\n").unwrap_err();
    assert!(
        err.contains("row 3, column \"lv\": error: \"Z\" is not one of the levels"),
        "{err}"
    );
    assert!(
        err.contains("row 5, column \"lv\": error: \"Q\" is not one of the levels"),
        "{err}"
    );
    assert!(err.contains("2 errors"), "{err}");
}

/// SPEC §5.3: components are published rounded; an adjustment's points are one (2.675 →
/// 2.68 at two decimals), and the score is the rounded sum.
#[test]
fn applied_adjustments_are_published_rounded() {
    let rules =
        format!("{ONE_DIRECT}[[adjustment]]\nid = \"bonus\"\nwhen = \"x > 5\"\npoints = 2.675\n");
    let a = score(&rules, "id,x\nA,6\nB,1\n");
    let e = entity(&a, "A");
    assert_relative_eq!(e.adjustments["bonus"], 2.68);
    assert_relative_eq!(e.score, 8.68);
    assert_relative_eq!(entity(&a, "B").adjustments["bonus"], 0.0);
}

/// SPEC §12: aggregates skip missing members; the run warns which entities lost a member
/// (K1's sum counts one of its two members). count() counts every member, without a warning.
#[test]
fn aggregates_that_skip_missing_members_are_warned() {
    let rules = r#"
[rules]
name = "agg"
id = "eid"
[aggregate]
by = "cluster"
[[indicator]]
id = "rev"
column = "revenue"
[[indicator]]
id = "total"
aggregate = "sum(rev)"
[[indicator]]
id = "members"
aggregate = "count()"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "total"
points = 100
method = "direct"
[[criterion]]
id = "m"
dimension = "d"
indicator = "members"
points = 10
method = "direct"
"#;
    let a = score(
        rules,
        "eid,cluster,revenue\ne1,K1,50\ne2,K1,NA\ne3,K2,40\ne4,K2,40\n",
    );
    assert_eq!(
        entity(&a, "K1").criteria["c"].value,
        Some(serde_json::json!(50.0))
    );
    let skipped: Vec<&String> = a
        .warnings
        .iter()
        .filter(|w| w.contains("left out members whose value is missing"))
        .collect();
    assert_eq!(skipped.len(), 1, "{:?}", a.warnings);
    assert!(skipped[0].contains("indicator 'total'") && skipped[0].contains("for 1 entity: K1"));
    // On the entity too, which the warning names among ten at most.
    assert!(
        entity(&a, "K1").notes.contains(
            &"indicator 'total': an aggregate left out members whose value is missing".to_string()
        ),
        "{:?}",
        entity(&a, "K1").notes
    );
    assert!(
        entity(&a, "K2")
            .notes
            .iter()
            .all(|n| !n.contains("left out members"))
    );
}

/// Member ids typed two ways (`E1`, `ｅ1`) in the scored year are warned of under
/// `[aggregate]` as entity ids are without it; other years' members are not looked at.
#[test]
fn member_ids_that_look_alike_are_warned_of_under_aggregate() {
    let rules = "[rules]\nname = \"m\"\nid = \"eid\"\nyear = 2023\n[data]\nyear_column = \"year\"\n\
                 [aggregate]\nby = \"cl\"\n[[indicator]]\nid = \"a\"\n[[indicator]]\nid = \"s\"\n\
                 aggregate = \"sum(a)\"\n[[dimension]]\nid = \"d\"\n[[criterion]]\nid = \"c\"\n\
                 dimension = \"d\"\nindicator = \"s\"\npoints = 100\nmethod = \"direct\"\n";
    let a = score(
        rules,
        "eid,cl,year,a\nE1,C1,2023,10\nｅ1,C1,2023,5\nE2,C2,2023,1\nE3,C2,2022,1\ne3,C2,2022,1\n",
    );
    assert_relative_eq!(entity(&a, "C1").score, 15.0);
    let said: Vec<&String> = a
        .warnings
        .iter()
        .filter(|w| w.starts_with("member ids "))
        .collect();
    assert_eq!(said.len(), 1, "{:?}", a.warnings);
    assert!(
        said[0].starts_with("member ids 'E1' (")
            && said[0].contains("data.csv row 2) and 'ｅ1' (")
            && said[0].contains("data.csv row 3) differ only in full-width characters, case or spacing, and are counted as separate members"),
        "{}",
        said[0]
    );
}

/// An aggregate under `prev()` reads the earlier year's members, so its warnings are judged
/// there: a gap in the scored year is not warned of, one in the earlier year is; the same for
/// `count(cond)`. A `prev()` of a division by zero in the earlier year is a number the
/// arithmetic emptied, as the same division in the scored year is.
#[test]
fn warnings_under_prev_are_judged_on_the_earlier_year() {
    let rules = |aggregate: &str| {
        format!(
            "[rules]\nname = \"p\"\nid = \"id\"\nyear = 2023\n[data]\nyear_column = \"year\"\n\
             [aggregate]\nby = \"g\"\n[[indicator]]\nid = \"last\"\naggregate = \"{aggregate}\"\n\
             [[dimension]]\nid = \"d\"\n[[criterion]]\nid = \"c\"\ndimension = \"d\"\n\
             indicator = \"last\"\npoints = 1000\nmethod = \"direct\"\n"
        )
    };
    let said = |a: &clusterscore::engine::Assessment, what: &str| -> Vec<String> {
        a.warnings
            .iter()
            .filter(|w| w.contains(what))
            .cloned()
            .collect()
    };
    const SKIPPED: &str = "left out members whose value is missing";
    // The scored year has a gap, the earlier year none: 30, nothing said.
    let a = score(
        &rules("prev(sum(a))"),
        "id,g,year,a\nm1,G1,2023,1\nm2,G1,2023,\nm1,G1,2022,10\nm2,G1,2022,20\n",
    );
    assert_eq!(
        entity(&a, "G1").criteria["c"].value,
        Some(serde_json::json!(30.0))
    );
    assert!(said(&a, SKIPPED).is_empty(), "{:?}", a.warnings);
    // The earlier year has the gap: 10 from one of two members, said.
    let a = score(
        &rules("prev(sum(a))"),
        "id,g,year,a\nm1,G1,2023,1\nm2,G1,2023,2\nm1,G1,2022,10\nm2,G1,2022,\n",
    );
    assert_eq!(
        entity(&a, "G1").criteria["c"].value,
        Some(serde_json::json!(10.0))
    );
    assert_eq!(
        said(&a, SKIPPED),
        ["indicator 'last': an aggregate left out members whose value is missing for 1 entity: G1"]
    );
    // count(cond) a year back, over a member whose flag that year is missing.
    let a = score(
        &rules("prev(count(m))"),
        "id,g,year,m\nm1,G1,2023,yes\nm2,G1,2023,no\nm1,G1,2022,yes\nm2,G1,2022,\n",
    );
    assert_eq!(
        said(&a, "count() or share() took members").len(),
        1,
        "{:?}",
        a.warnings
    );
    let a = score(
        &rules("prev(count(m))"),
        "id,g,year,m\nm1,G1,2023,yes\nm2,G1,2023,\nm1,G1,2022,yes\nm2,G1,2022,no\n",
    );
    assert!(
        said(&a, "count() or share() took members").is_empty(),
        "{:?}",
        a.warnings
    );

    // prev() of a division by zero in the earlier year.
    let rules = "[rules]\nname = \"p\"\nid = \"id\"\nyear = 2023\n[data]\nyear_column = \"year\"\n\
                 [[indicator]]\nid = \"v\"\nformula = \"prev(x / y)\"\n[[dimension]]\nid = \"d\"\n\
                 [[criterion]]\nid = \"c\"\ndimension = \"d\"\nindicator = \"v\"\npoints = 10\n\
                 method = \"direct\"\n";
    let a = score(
        rules,
        "id,year,x,y\nr1,2023,1,1\nr1,2022,1,0\nr2,2023,1,1\nr2,2022,1,\nr3,2023,1,1\n",
    );
    let no_number = said(
        &a,
        "the formula gave no number, though every value it reads was reported",
    );
    assert_eq!(no_number.len(), 1, "{:?}", a.warnings);
    assert!(
        no_number[0].ends_with("for 1 entity: r1"),
        "{}",
        no_number[0]
    );
}

/// `count(cond)` and `share(cond)` take a member whose number or yes/no value is missing as
/// not meeting the condition; SPEC §4 wants that counted, so the run names the clusters. An
/// empty text (an untiered enterprise's `tier` in the chained workflow) is "none" and is not
/// warned of.
#[test]
fn count_and_share_over_unreported_members_are_warned_of_but_an_empty_tier_is_not() {
    let rules = r#"
[rules]
name = "count"
id = "eid"
[aggregate]
by = "cluster"
[[indicator]]
id = "flag"
kind = "bool"
[[indicator]]
id = "rev"
column = "revenue"
[[indicator]]
id = "flagged"
aggregate = "share(flag)"
[[indicator]]
id = "big"
aggregate = "count(rev > 10)"
[[indicator]]
id = "passed"
aggregate = "count(tier == 'pass')"
[[dimension]]
id = "d"
[[criterion]]
id = "f"
dimension = "d"
indicator = "flagged"
points = 10
method = "direct"
[[criterion]]
id = "b"
dimension = "d"
indicator = "big"
points = 10
method = "direct"
[[criterion]]
id = "p"
dimension = "d"
indicator = "passed"
points = 10
method = "direct"
"#;
    let a = score(
        rules,
        "eid,cluster,flag,revenue,tier\n\
         e1,K1,是,12,pass\n\
         e2,K1,,12,\n\
         e3,K2,否,,pass\n\
         e4,K2,是,5,\n\
         e5,K3,是,20,\n",
    );
    // K1: share(flag) = 1/2, the unreported e2 counted as not flagged; K2: count(rev > 10)
    // = 0 with e3's revenue missing; K3 reported everything.
    assert_eq!(
        entity(&a, "K1").criteria["f"].value,
        Some(serde_json::json!(0.5))
    );
    assert_eq!(
        entity(&a, "K2").criteria["b"].value,
        Some(serde_json::json!(0.0))
    );
    let counted: Vec<&String> = a
        .warnings
        .iter()
        .filter(|w| w.contains("count() or share() took members"))
        .collect();
    assert_eq!(counted.len(), 2, "{:?}", a.warnings);
    assert!(counted[0].contains("indicator 'flagged'") && counted[0].ends_with("for 1 entity: K1"));
    assert!(counted[1].contains("indicator 'big'") && counted[1].ends_with("for 1 entity: K2"));
    // The empty tiers of e2, e4 and e5 are untiered enterprises, not gaps.
    assert!(
        !a.warnings.iter().any(|w| w.contains("'passed'")),
        "{:?}",
        a.warnings
    );

    // In an if() branch a cluster does not take, the count decided nothing for it: K2 (with
    // e3's revenue missing) takes the else branch here, K1 (e2's missing) does not.
    let branch = rules.replace(
        "aggregate = \"count(rev > 10)\"",
        "aggregate = \"if(count() > 2, count(rev > 10), 0)\"",
    );
    let b = score(
        &branch,
        "eid,cluster,flag,revenue,tier\ne1,K1,是,12,pass\ne2,K1,是,,\ne6,K1,是,20,\n\
         e3,K2,否,,pass\ne4,K2,是,5,\n",
    );
    assert_eq!(
        warned_ids(&b, "indicator 'big': count() or share() took members").as_deref(),
        Some("K1"),
        "{:?}",
        b.warnings
    );
}

/// A band worth more than its criterion is capped at full points, and the run says so.
#[test]
fn band_points_above_the_criterion_are_capped_with_a_warning() {
    let rules = r#"
[rules]
name = "cap"
id = "id"
[[indicator]]
id = "x"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 30
method = "bands"
bands = [{ at_least = 10, points = 31 }, { at_least = 0, points = 12 }]
"#;
    let a = score(rules, "id,x\nA,20\nB,5\n");
    assert_relative_eq!(entity(&a, "A").score, 30.0);
    assert_relative_eq!(entity(&a, "B").score, 12.0);
    assert!(
        a.warnings.iter().any(|w| w
            == "rules.toml:15:10: criterion 'c': band 1 gives 31 points, more than the criterion's 30 (capped at full points); raise the criterion's points to 31, or lower band 1's [bands-above-points]"),
        "{:?}",
        a.warnings
    );
}

/// Bands listed upward, tiers listed from the lowest up and a tier above the best possible
/// score are valid rules that change who gets what: `score` warns of them with the rules
/// file's line and column, not only `check`.
#[test]
fn result_changing_lints_are_warned_by_the_run() {
    let rules = r#"
[rules]
name = "order"
id = "id"
[[indicator]]
id = "x"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 15
method = "bands"
bands = [{ at_least = 20, points = 6 }, { at_least = 50, points = 10 }]
[[tier]]
id = "low"
min_score = 5
[[tier]]
id = "high"
min_score = 10
[[tier]]
id = "never"
min_score = 16
"#;
    let a = score(rules, "id,x\nA,60\nB,25\n");
    // As the rules say: the first band that holds gives its points, the first tier that holds is given.
    assert_relative_eq!(entity(&a, "A").score, 6.0);
    assert_eq!(entity(&a, "A").tier.as_deref(), Some("low"));
    let expected = [
        // Band 2 is never the first met, so it pays nothing: the criterion pays at most 6.
        "rules.toml:15:41: criterion 'c': band 2 (at_least 50) can never be reached, an earlier band already takes every such value, so the criterion pays at most 6 of its 15 points; bands are tried in order, so list at_least bands from the highest threshold down [bands-out-of-order]",
        "rules.toml:20:6: tier 'high' (min_score 10) is listed after tier 'low', which asks less; tiers are listed from the highest to the lowest [tiers-out-of-order]",
        // At most 6 can be scored (band 2's 10 is out of reach).
        "rules.toml:20:6: tier 'high' needs 10 points but at most 6 can be scored; lower its min_score to 6 or less, or raise the criteria's points [unreachable-tier]",
        "rules.toml:23:6: tier 'never' needs 16 points but at most 6 can be scored; lower its min_score to 6 or less, or raise the criteria's points [unreachable-tier]",
        "rules.toml:13:10: criterion 'c': no band pays its 15 points, the best pays 6, so it gives at most 6 of 15; raise the bands with the points, or set points = 6 [points-never-paid]",
    ];
    for w in expected {
        assert!(a.warnings.iter().any(|x| x == w), "{w}\n{:?}", a.warnings);
    }
}

/// `missing = "fail"` written on an indicator that only a gate reads ("output must be
/// reported") stops the run, naming the entity and the cell, as it does for a criterion's;
/// without it the gate reads the empty cell as missing.
#[test]
fn fail_on_an_indicator_no_criterion_scores_stops_the_run() {
    let rules = r#"
[rules]
name = "fail"
id = "id"
[[indicator]]
id = "x"
[[indicator]]
id = "output"
missing = "fail"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 10
method = "direct"
[[gate]]
id = "g"
require = "output >= 0"
"#;
    let err = try_score(rules, "id,x,output\nA,5,3\nB,6,\n").unwrap_err();
    assert!(
        err.contains("missing values under policy 'fail': B (")
            && err.contains("data.csv, row 3, column \"output\"; indicator 'output')"),
        "{err}"
    );
    let a = score(
        &rules.replace("missing = \"fail\"\n", ""),
        "id,x,output\nA,5,3\nB,6,\n",
    );
    assert_eq!(entity(&a, "B").excluded_by.as_deref(), Some("g"));
    // Inherited from [rules], the policy stays with the criteria: the gate decides.
    let inherited = rules
        .replace("missing = \"fail\"\n", "")
        .replace("id = \"id\"\n", "id = \"id\"\nmissing = \"fail\"\n");
    let a = score(&inherited, "id,x,output\nA,5,3\nB,6,\n");
    assert_eq!(entity(&a, "B").excluded_by.as_deref(), Some("g"));
    // A tie-break indicator too: SPEC §12 sorts a missing tie-break value last, but `fail`
    // written on the indicator says it must not be missing (with the gate or without it).
    let tie = rules.replace("id = \"id\"\n", "id = \"id\"\ntie_break = [\"output\"]\n");
    for rules in [
        tie.clone(),
        tie.replace("require = \"output >= 0\"", "require = \"x >= 0\""),
    ] {
        let err = try_score(&rules, "id,x,output\nA,5,3\nB,6,\n").unwrap_err();
        assert!(
            err.contains("missing values under policy 'fail': B ("),
            "{err}"
        );
        assert!(err.contains("tie_break sorts it last"), "{err}");
    }
    // Without the policy the missing tie-break value sorts last (A and B tie on 5; by id
    // A would come first).
    let a = score(
        &tie.replace("missing = \"fail\"\n", "")
            .replace("require = \"output >= 0\"", "require = \"x >= 0\""),
        "id,x,output\nA,5,\nB,5,3\n",
    );
    assert_eq!(entity(&a, "B").rank, Some(1));
    assert_eq!(entity(&a, "A").rank, Some(2));
}

/// Labels and column names written where an id belongs get the id; a column with brackets
/// is suggested in backticks, as it must be written.
#[test]
fn labels_written_for_ids_get_the_id() {
    let rules = r#"
[rules]
name = "labels"
id = "id"
tie_break = ["销售收入"]
[[indicator]]
id = "revenue"
label = "销售收入"
column = "销售收入（万元）"
[[indicator]]
id = "incidents"
label = "重大事故"
[[dimension]]
id = "scale"
label = "规模能级"
[[criterion]]
id = "c"
dimension = "规模能级"
indicator = "销售收入（万元）"
points = 10
method = "direct"
[[gate]]
id = "g"
require = "重大事故 == 0"
max_tier = "省级"
[[tier]]
id = "provincial"
label = "省级"
"#;
    let err = try_score(rules, "id,销售收入（万元）,incidents\nA,5,0\n").unwrap_err();
    for help in [
        "'规模能级' is the label of dimension 'scale': write \"scale\"",
        "'销售收入（万元）' is the data column indicator 'revenue' reads: write \"revenue\"",
        "'销售收入' is the label of indicator 'revenue': write \"revenue\"",
        "'省级' is the label of tier 'provincial': write \"provincial\"",
    ] {
        assert!(err.contains(help), "{help}\n{err}");
    }
    // In an expression: the indicator a label names; a bracketed column in backticks.
    let fixed = rules
        .replace("tie_break = [\"销售收入\"]\n", "")
        .replace("dimension = \"规模能级\"", "dimension = \"scale\"")
        .replace(
            "indicator = \"销售收入（万元）\"",
            "indicator = \"revenue\"",
        )
        .replace("max_tier = \"省级\"", "max_tier = \"provincial\"");
    let err = try_score(&fixed, "id,销售收入（万元）,incidents\nA,5,0\n").unwrap_err();
    assert!(
        err.contains("'重大事故' is indicator 'incidents' (label 重大事故): write incidents"),
        "{err}"
    );
    let err = try_score(
        &fixed.replace("重大事故 == 0", "安全事故起 == 0"),
        "id,销售收入（万元）,incidents,安全事故（起）\nA,5,0,0\n",
    )
    .unwrap_err();
    assert!(
        err.contains("did you mean `安全事故（起）` (a data column: in backticks)?"),
        "{err}"
    );
}

/// A quoted cell that runs over lines and holds the delimiter is valid CSV, but it is also
/// what a quote left open and closed in a later row looks like: the rows in between are read
/// into the cell. The run reads it and warns, naming the row and column.
#[test]
fn a_multiline_cell_holding_the_delimiter_is_warned() {
    let rules = r#"
[rules]
name = "q"
id = "code"
label = "name"
[[indicator]]
id = "revenue"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "revenue"
points = 100
method = "direct"
"#;
    let data = "code,name,revenue\nA,甲,12\nB,\"乙,60\nC,丙\",30\nD,\"丁\n二\",7\nE,\"地址一路,\n二号\",5\n";
    let a = score(rules, data);
    // B took C's row into its name (two delimiters: a row's worth in a file of three
    // columns); D's name runs over two lines without the delimiter, E's with one: quiet.
    assert_eq!(a.entities.len(), 4);
    let joined: Vec<&String> = a
        .warnings
        .iter()
        .filter(|w| w.contains("over several lines"))
        .collect();
    assert_eq!(joined.len(), 1, "{:?}", a.warnings);
    assert!(
        joined[0].contains("1 quoted cell runs over several lines and holds the delimiter ','")
            && joined[0].contains("row 3, column 2 (\"name\"), 2 lines"),
        "{}",
        joined[0]
    );
}

/// A byte-order mark at the start of a row (files joined with `cat`) is trimmed with the
/// white space: the id that looks like `B` is `B`.
#[test]
fn a_byte_order_mark_inside_the_file_is_trimmed_from_cells() {
    let a = score(ONE_DIRECT, "id,x\nA,1\n\u{feff}B,2\n");
    assert_relative_eq!(entity(&a, "B").score, 2.0);
    assert!(a.entities.iter().all(|e| !e.id.contains('\u{feff}')));
}

/// SPEC §5.3: geometric aggregation raises a dimension below `geometric_floor` to it. The
/// total follows the floor (C: 100 × 0.01^0.5 × 1^0.5 = 10), the entity's notes name the
/// dimension, and the run counts such entities.
#[test]
fn geometric_floor_raising_a_dimension_is_recorded() {
    let rules = r#"
[rules]
name = "geo"
id = "id"
aggregation = "geometric"
[[indicator]]
id = "x"
[[indicator]]
id = "y"
[[dimension]]
id = "dx"
weight = 50
[[dimension]]
id = "dy"
weight = 50
[[criterion]]
id = "cx"
dimension = "dx"
indicator = "x"
points = 10
method = "direct"
[[criterion]]
id = "cy"
dimension = "dy"
indicator = "y"
points = 10
method = "direct"
"#;
    // D's share of dx is a rounding short of the floor (0.009999999999999998): at it, not
    // raised, and no note.
    let a = score(
        rules,
        "id,x,y\nA,10,10\nB,2.5,10\nC,0,10\nD,0.09999999999999998,10\n",
    );
    assert!(
        entity(&a, "D")
            .notes
            .iter()
            .all(|n| !n.contains("geometric_floor")),
        "{:?}",
        entity(&a, "D").notes
    );
    assert_relative_eq!(entity(&a, "A").score, 100.0);
    assert_relative_eq!(entity(&a, "B").score, 50.0);
    assert_relative_eq!(entity(&a, "C").score, 10.0);
    let c = entity(&a, "C");
    assert!(
        c.notes.iter().any(|n| n
            .contains("dimension 'dx' at 0 of its maximum was raised to geometric_floor = 0.01")),
        "{:?}",
        c.notes
    );
    assert!(
        entity(&a, "B")
            .notes
            .iter()
            .all(|n| !n.contains("geometric_floor"))
    );
    assert!(
        a.warnings.iter().any(|w| w
            == "geometric aggregation: 1 ranked entity has a dimension below geometric_floor = 0.01, raised to it for the total: C"),
        "{:?}",
        a.warnings
    );
    // The reports do not say the dimensions add up to the total: they are weighted shares.
    let md = clusterscore::report::to_markdown(&a);
    assert!(md.contains("with geometric or TOPSIS aggregation the total is not their sum"));
    assert!(!md.contains("may not add up to the total"));
}

/// Criteria are scored in parallel and their category tables warn as they are resolved: the
/// warnings still come out in one order (sorted), so the same inputs give the same output.
#[test]
fn category_default_warnings_come_out_in_one_order() {
    let rules = r#"
[rules]
name = "t"
id = "code"
[[indicator]]
id = "x"
[[indicator]]
id = "r"
kind = "category"
[[dimension]]
id = "d1"
[[criterion]]
id = "c1"
dimension = "d1"
indicator = "x"
points = 10
method = "bands"
bands = [ { at_least = { by = "r", values = { e = 100, w = 30 }, default = 50 }, points = { by = "r", values = { e = 10, w = 6 }, default = 8 } }, { at_least = 0, points = 1 } ]
[[criterion]]
id = "c2"
dimension = "d1"
indicator = "x"
points = 10
method = "linear"
floor = { by = "r", values = { e = 0 }, default = 10 }
target = { by = "r", values = { e = 100 }, default = 20 }
[[criterion]]
id = "c3"
dimension = "d1"
indicator = "x"
points = 10
method = "target"
target = { by = "r", values = { w = 40 }, default = 80 }
[[criterion]]
id = "c4"
dimension = "d1"
indicator = "x"
points = 10
method = "per"
step = { by = "r", values = { e = 10 }, default = 5 }
points_per_step = { by = "r", values = { e = 2 }, default = 3 }
[[tier]]
id = "t1"
min_score = { by = "r", values = { e = 30, w = 20 }, default = 25 }
"#;
    let data = "code,x,r\nA,100,e\nB,30,w\nC,50,\nD,40,n\nE,99.9999999999,e\n";
    let first = score(rules, data).warnings;
    let defaults: Vec<&String> = first.iter().filter(|w| w.contains("default")).collect();
    assert!(defaults.len() >= 4, "{first:?}");
    let mut sorted = defaults.clone();
    sorted.sort();
    assert_eq!(defaults, sorted);
    for _ in 0..10 {
        assert_eq!(score(rules, data).warnings, first);
    }
}

/// A cell times `multiply` beyond the largest double is refused at its row and column
/// instead of reading as a missing value.
#[test]
fn a_multiply_that_overflows_is_a_located_error() {
    let rules = r#"
[rules]
name = "overflow"
id = "id"
[[indicator]]
id = "v"
multiply = 1e10
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "v"
points = 10
method = "minmax"
"#;
    let e = super::support::try_score(rules, "id,v\nA,1\nB,1e300\n").unwrap_err();
    assert!(e.contains("data.csv, row 3, column \"v\""), "{e}");
    assert!(
        e.contains("indicator 'v': the cell 1e300 × multiply 1e10 is beyond the largest number"),
        "{e}"
    );
    assert!(super::support::try_score(rules, "id,v\nA,1\nB,1e290\n").is_ok());
}

#[test]
fn thresholds_and_data_in_two_scales_of_percent_are_warned_of() {
    let rules = |floor: &str, target: &str| {
        format!(
            "[rules]\nname = \"p\"\nid = \"id\"\n[[indicator]]\nid = \"rd\"\nunit = \"%\"\n\
             [[dimension]]\nid = \"d\"\n[[criterion]]\nid = \"rd_lin\"\ndimension = \"d\"\n\
             indicator = \"rd\"\npoints = 10\nmethod = \"linear\"\nfloor = {floor}\ntarget = {target}\n"
        )
    };
    let warned = |a: &clusterscore::engine::Assessment| -> Vec<String> {
        a.warnings
            .iter()
            .filter(|w| w.starts_with("criterion 'rd_lin'"))
            .cloned()
            .collect()
    };
    // Fractions against cells written with %: every entity past the target, full points.
    let a = score(&rules("0.01", "0.05"), "id,rd\nA,4.5%\nB,2%\nC,0.5%\n");
    assert_relative_eq!(entity(&a, "B").criteria["rd_lin"].points.unwrap(), 10.0);
    let w = warned(&a);
    assert_eq!(w.len(), 1, "{:?}", a.warnings);
    assert!(
        w[0].starts_with("criterion 'rd_lin': its thresholds (0.01, 0.05) are fractions below 1, but column \"rd\" holds numbers written with % (read in percent units: the first, 4.5% at ")
            && w[0].contains(" row 2, is 4.5), so most values are past them"),
        "{}",
        w[0]
    );
    assert!(
        w[0].ends_with("data.csv row 2, is 4.5), so most values are past them; if the thresholds are percentages, write them in percent (1, 5)"),
        "{}",
        w[0]
    );
    // Percent thresholds against fractions in a % indicator: every entity short, 0 points.
    let a = score(&rules("1", "5"), "id,rd\nA,0.045\nB,0.02\nC,0.005\n");
    assert_eq!(warned(&a).len(), 1, "{:?}", a.warnings);
    assert!(warned(&a)[0].contains("read it in percent with multiply = 100"));
    // Written alike, either way: nothing said.
    assert!(warned(&score(&rules("1", "5"), "id,rd\nA,4.5%\nB,2%\nC,0.5%\n")).is_empty());
    assert!(warned(&score(&rules("0.01", "0.05"), "id,rd\nA,0.045\nB,0.02\n")).is_empty());
    // Small percentages written with % against small thresholds: nothing said.
    assert!(warned(&score(&rules("0.1", "0.5"), "id,rd\nA,0.45%\nB,0.2%\n")).is_empty());
    // Conditions too: a gate, an adjustment and a tier's requires comparing the % column (by
    // its indicator, or by a data column's own name) with a fraction.
    let conditions = rules("1", "5")
        + "[[gate]]\nid = \"g\"\nrequire = \"rd >= 0.03 or rd < -0.5\"\n\
           [[adjustment]]\nid = \"a\"\nwhen = \"0.5 < `share`\"\npoints = 1\n\
           [[tier]]\nid = \"t\"\nmin_score = 1\nrequires = [\"rd > 3\"]\n";
    let a = score(
        &conditions,
        "id,rd,share\nA,4.5%,12%\nB,2%,30%\nC,0.5%,0.2%\n",
    );
    let said: Vec<&String> = a
        .warnings
        .iter()
        .filter(|w| w.contains("a fraction below 1"))
        .collect();
    assert_eq!(said.len(), 3, "{:?}", a.warnings);
    assert!(said[0].starts_with("gate 'g': `rd >= 0.03` compares with 0.03, a fraction below 1, but column \"rd\" holds numbers written with % (read in percent units: the first, "), "{}", said[0]);
    assert!(
        said[0].ends_with(
            "row 2, is 4.5), so most values are past it; if 0.03 is a percentage, write 3"
        ),
        "{}",
        said[0]
    );
    assert!(
        said[1].starts_with("gate 'g': `rd < -0.5` compares with -0.5"),
        "{}",
        said[1]
    );
    assert!(
        said[2].starts_with("adjustment 'a': `0.5 < `share`` compares with 0.5"),
        "{}",
        said[2]
    );
    // Fractions in the cells: nothing said.
    let a = score(
        &conditions,
        "id,rd,share\nA,0.045,0.12\nB,0.02,0.3\nC,0.005,0.002\n",
    );
    assert!(
        !a.warnings.iter().any(|w| w.contains("a fraction below 1")),
        "{:?}",
        a.warnings
    );
    // The other way: the tier's `rd > 3` on a % indicator whose cells are all fractions
    // holds for no entity. The gate's `rd < -0.5` (below 1 in size) and the backticked
    // `share` (a column, no unit) are not said.
    let said: Vec<&String> = a
        .warnings
        .iter()
        .filter(|w| w.contains("is between -1 and 1, so the comparison"))
        .collect();
    assert_eq!(said.len(), 1, "{:?}", a.warnings);
    assert_eq!(
        said[0],
        "tier 't' requires: `rd > 3` compares indicator 'rd', in %, with 3, but every value in column \"rd\" is between -1 and 1, so the comparison comes out the same for every entity; if the column holds fractions (0.045 for 4.5%), read it in percent with multiply = 100 on the indicator"
    );
    // Cells written with %, or a value past 1 in size: nothing said of the condition.
    for data in [
        "id,rd,share\nA,4.5%,12%\nB,2%,30%\nC,0.5%,0.2%\n",
        "id,rd,share\nA,0.045,0.12\nB,2,0.3\nC,0.005,0.002\n",
        "id,rd,share\nA,0,0.12\nB,,0.3\n",
    ] {
        let a = score(&conditions, data);
        assert!(
            !a.warnings
                .iter()
                .any(|w| w.contains("so the comparison comes out")),
            "{data}: {:?}",
            a.warnings
        );
    }
}

#[test]
fn values_a_hundred_times_past_every_threshold_are_warned_of() {
    let rules = |bands: &str, extra: &str| {
        format!(
            "[rules]\nname = \"m\"\nid = \"id\"\n[[indicator]]\nid = \"rev\"\nunit = \"万元\"\n{extra}\n\
             [[dimension]]\nid = \"d\"\n[[criterion]]\nid = \"rev_b\"\ndimension = \"d\"\n\
             indicator = \"rev\"\npoints = 10\nmethod = \"bands\"\nbands = [{bands}]\n"
        )
    };
    let bands = "{ at_least = 10000, points = 10 }, { at_least = 1000, points = 4 }, { at_least = 0, points = 0 }";
    let warned = |a: &clusterscore::engine::Assessment| -> Vec<String> {
        a.warnings
            .iter()
            .filter(|w| w.starts_with("criterion 'rev_b': the values"))
            .cloned()
            .collect()
    };
    // A column in 元 against thresholds in 万元: every entity gets the top band. The zero
    // and the missing value say nothing of the unit; the others are all ≥ 10⁶.
    let data = "id,rev\nA,35000000\nB,2000000\nC,0\nD,\nE,90000000\n";
    let a = score(&rules(bands, ""), data);
    assert_relative_eq!(entity(&a, "B").criteria["rev_b"].points.unwrap(), 10.0);
    let w = warned(&a);
    assert_eq!(w.len(), 1, "{:?}", a.warnings);
    // Mean of log10 over 3.5e7, 2e6, 9e7: 7.26; thresholds' middle log10(√(1000 × 10000)) = 3.5.
    assert_eq!(
        w[0],
        "criterion 'rev_b': the values of column \"rev\" are about 10⁴ times its thresholds (10000, 1000, 0): 3 of the 3 non-zero values are 100 times the largest or more, so the criterion scores them all alike; if the column is in another unit than the thresholds (the column in 元, the thresholds in 万元), give indicator 'rev' multiply = 0.0001"
    );
    // With that multiply: scored as meant, nothing said.
    let a = score(&rules(bands, "multiply = 0.0001"), data);
    assert_relative_eq!(entity(&a, "A").criteria["rev_b"].points.unwrap(), 4.0);
    assert!(warned(&a).is_empty(), "{:?}", a.warnings);
    // A column in 亿元 against thresholds in 万元: all a hundredth of the smallest or less.
    // (Mean log10 0.27 against 3.5: −3.2, read as the nearer unit step 10⁴.)
    let a = score(&rules(bands, ""), "id,rev\nA,3.5\nB,0.2\nE,9\n");
    let w = warned(&a);
    assert_eq!(w.len(), 1, "{:?}", a.warnings);
    let tail = "are about 1/10⁴ of its thresholds (10000, 1000, 0): 3 of the 3 non-zero values are a hundredth of the smallest or less, so the criterion scores them all alike; if the column is in another unit than the thresholds (the column in 亿元, the thresholds in 万元), give indicator 'rev' multiply = 10000";
    assert!(w[0].ends_with(tail), "{}", w[0]);
    // `target` pays such values in proportion (A: 3.5 of 10 000): told apart, each a
    // hundredth of the points or less; far above it, all alike (the full points).
    let target = "[rules]\nname = \"m\"\nid = \"id\"\n[[indicator]]\nid = \"rev\"\n[[dimension]]\nid = \"d\"\n\
                  [[criterion]]\nid = \"rev_b\"\ndimension = \"d\"\nindicator = \"rev\"\npoints = 10\n\
                  method = \"target\"\ntarget = 10000\n";
    let a = score(target, "id,rev\nA,3.5\nB,0.2\nE,9\n");
    assert_relative_eq!(entity(&a, "A").criteria["rev_b"].fraction.unwrap(), 0.00035);
    let w = warned(&a);
    assert_eq!(w.len(), 1, "{:?}", a.warnings);
    assert!(
        w[0].contains("a hundredth of the smallest or less, so the criterion pays each of them a hundredth of its points or less; "),
        "{}",
        w[0]
    );
    let w = warned(&score(target, "id,rev\nA,3.5e7\nB,2e6\nE,9e7\n"));
    assert!(
        w[0].contains("so the criterion scores them all alike"),
        "{}",
        w[0]
    );
    // One value in ten within reach is enough to say nothing; so are fewer than three values.
    let mixed = "id,rev\nA,3.5e7\nB,2e6\nC,5e6\nE,9e7\nF,12000\n";
    assert!(warned(&score(&rules(bands, ""), mixed)).is_empty());
    let two = "id,rev\nA,3.5e7\nB,2e6\n";
    assert!(warned(&score(&rules(bands, ""), two)).is_empty());
    // Values in the thresholds' range: nothing said.
    let within = "id,rev\nA,3500\nB,200\nE,90000\n";
    assert!(warned(&score(&rules(bands, ""), within)).is_empty());
    // Multi-year data: only the scored year's rows count (other years are read through
    // prev() alone). Older rows in range do not hide the scored year's unit slip, and older
    // rows in 元 do not make a scored year in range look like one.
    let years = |extra: &str| {
        rules(bands, extra).replace(
            "id = \"id\"\n",
            "id = \"id\"\nyear = 2023\n[data]\nyear_column = \"year\"\n",
        )
    };
    let slip = "id,year,rev\nA,2023,35000000\nB,2023,2000000\nE,2023,90000000\n\
                A,2015,5000\nB,2015,6000\nE,2015,7000\nF,2015,8000\n";
    assert_eq!(warned(&score(&years(""), slip)).len(), 1);
    let old = "id,year,rev\nA,2023,3500\nB,2023,200\nE,2023,9000\n\
               A,2015,35000000\nB,2015,2000000\nE,2015,90000000\nF,2015,1000000\n";
    let a = score(&years(""), old);
    assert!(warned(&a).is_empty(), "{:?}", a.warnings);
    // A national file (looked at first in evenly spaced rows): the same either way.
    let many = |value: &dyn Fn(usize) -> usize| {
        let mut data = String::from("id,rev\n");
        for i in 0..70_000 {
            data.push_str(&format!("E{i},{}\n", value(i)));
        }
        data
    };
    let a = score(&rules(bands, ""), &many(&|i| 2_000_000 + 1000 * i));
    let w = warned(&a);
    assert_eq!(w.len(), 1, "{:?}", a.warnings);
    let said = "70000 of the 70000 non-zero values are 100 times the largest or more";
    assert!(w[0].contains(said), "{}", w[0]);
    let within = many(&|i| 500 + i % 20_000);
    assert!(warned(&score(&rules(bands, ""), &within)).is_empty());
}

#[test]
fn reported_values_outside_a_transforms_domain_are_said_apart_from_missing_ones() {
    let rules = "[rules]\nname = \"t\"\nid = \"code\"\nmissing = \"mean\"\n[[indicator]]\nid = \"pat\"\n\
                 [[dimension]]\nid = \"d\"\n[[criterion]]\nid = \"c_pat\"\ndimension = \"d\"\nindicator = \"pat\"\n\
                 points = 100\nmethod = \"linear\"\nfloor = 1\ntarget = 100\ntransform = \"log10\"\n";
    let a = score(rules, "code,pat\nA,0\nB,1\nC,10\nD,100\nF,0\nG,\n");
    // A and F reported 0: imputed with the mean of B, C and D before the transform
    // ((1 + 10 + 100)/3 = 37), so they score log10(37)/log10(100) = 78.41 points (rounded),
    // as G (not reported) does, far above B (1 patent, 0 points).
    assert_relative_eq!(entity(&a, "A").score, 78.41);
    assert_relative_eq!(entity(&a, "G").score, 78.41);
    assert_relative_eq!(entity(&a, "B").score, 0.0);
    assert!(
        a.warnings.contains(&"criterion 'c_pat': 2 reported values outside the domain of log10 (0, …) are treated as missing, so the missing policy scores them: A, F; if such values should score low rather than as missing, transform in a formula indicator instead (`log10(pat + 1)`)".to_string()),
        "{:?}",
        a.warnings
    );
    // The value shown is the smallest id's, whatever the order of the rows (F's −3 first).
    let a = score(rules, "code,pat\nF,-3\nB,1\nA,0\nC,10\n");
    assert!(
        a.warnings
            .iter()
            .any(|w| w.contains("outside the domain of log10 (0, …)") && w.contains("them: A, F;")),
        "{:?}",
        a.warnings
    );
    // Under `missing = "fail"` the value is named as outside the domain, not as an empty
    // cell to fill, and the help gives the formula that scores it low.
    let err = try_score(
        &rules.replace("missing = \"mean\"", "missing = \"fail\""),
        "code,pat\nA,0\nB,1\nG,\n",
    )
    .unwrap_err();
    assert!(
        err.contains("data.csv, row 2, column \"pat\"; criterion 'c_pat': value 0 is outside the domain of log10); G (")
            && err.contains("data.csv, row 4, column \"pat\"; criterion 'c_pat')\n"),
        "{err}"
    );
    assert!(
        err.contains("a value outside a transform's domain is missing too: to score it instead, use a formula indicator: `log10(pat + 1)`, which scores it low"),
        "{err}"
    );
    // Lower is better (floor 100 above target 1, the EPI's way): a 0 is the best value, so
    // the hint clamps it at the target with the transform kept (published-examples audit
    // 43): `max(pat, 1)` gives A log10(1) = the target, full points.
    let lower = rules.replace("floor = 1\ntarget = 100", "floor = 100\ntarget = 1");
    let a = score(
        &lower,
        "code,pat
A,0
B,1
C,10
D,100
",
    );
    assert!(
        a.warnings.iter().any(|w| w.ends_with("A; lower is better here: if such values are the best and should earn full points, clamp them at the target in a formula indicator and keep the transform (`max(pat, 1)`)")),
        "{:?}",
        a.warnings
    );
    let clamped = lower.replace(
        "[[indicator]]\nid = \"pat\"\n",
        "[[indicator]]\nid = \"raw\"\ncolumn = \"pat\"\n[[indicator]]\nid = \"pat\"\nformula = \"max(raw, 1)\"\n",
    );
    let a = score(
        &clamped,
        "code,pat
A,0
B,1
C,10
D,100
",
    );
    assert_relative_eq!(entity(&a, "A").score, 100.0);
    assert_relative_eq!(entity(&a, "C").score, 50.0);
    // `target`, lower is better, reads the direction from the indicator: the hint says the
    // formula indicator needs it; followed (review 43), A's 0 is clamped to 10, the target,
    // and earns full points: log10 of (10, 10, 100) against log10(10) = 1 gives 1, 1, 1/2.
    let target = rules
        .replace(
            "method = \"linear\"\nfloor = 1\ntarget = 100",
            "method = \"target\"\ntarget = 10",
        )
        .replace(
            "[[indicator]]\nid = \"pat\"\n",
            "[[indicator]]\nid = \"pat\"\ndirection = \"lower\"\n",
        );
    let a = score(&target, "code,pat\nA,0\nB,10\nC,100\n");
    assert!(
        a.warnings.iter().any(|w| w.ends_with("clamp them at the target in a formula indicator with direction = \"lower\" and keep the transform (`max(pat, 10)`)")),
        "{:?}",
        a.warnings
    );
    // Under `missing = "fail"` the help says the same of the formula (sweep 43).
    let err = try_score(
        &target.replace("missing = \"mean\"", "missing = \"fail\""),
        "code,pat\nA,0\nB,10\n",
    )
    .unwrap_err();
    assert!(
        err.contains("use a formula indicator: `max(pat, 10)`, with direction = \"lower\", which gives it full points, lower being better"),
        "{err}"
    );
    let followed = target.replace(
        "[[indicator]]\nid = \"pat\"\ndirection = \"lower\"\n",
        "[[indicator]]\nid = \"raw\"\ncolumn = \"pat\"\n[[indicator]]\nid = \"pat\"\n\
         direction = \"lower\"\nformula = \"max(raw, 10)\"\n",
    );
    let a = score(&followed, "code,pat\nA,0\nB,10\nC,100\n");
    assert_relative_eq!(entity(&a, "A").score, 100.0);
    assert_relative_eq!(entity(&a, "B").score, 100.0);
    assert_relative_eq!(entity(&a, "C").score, 50.0);
    // A relative method, lower is better: shifted, where 0 ranks best, with the direction;
    // followed, log10(x + 1) = 0, 1, 2 gives A full points, B half, C none.
    let relative = rules
        .replace(
            "method = \"linear\"\nfloor = 1\ntarget = 100",
            "method = \"minmax\"",
        )
        .replace(
            "[[indicator]]\nid = \"pat\"\n",
            "[[indicator]]\nid = \"pat\"\ndirection = \"lower\"\n",
        );
    let a = score(&relative, "code,pat\nA,0\nB,1\nC,10\n");
    assert!(
        a.warnings.iter().any(|w| w.ends_with("lower is better here: if such values are the best, transform in a formula indicator with direction = \"lower\" instead, where they rank best (`log10(pat + 1)`)")),
        "{:?}",
        a.warnings
    );
    let followed = relative
        .replace(
            "[[indicator]]\nid = \"pat\"\ndirection = \"lower\"\n",
            "[[indicator]]\nid = \"raw\"\ncolumn = \"pat\"\n[[indicator]]\nid = \"pat\"\n\
             direction = \"lower\"\nformula = \"log10(raw + 1)\"\n",
        )
        .replace("transform = \"log10\"\n", "");
    let a = score(&followed, "code,pat\nA,0\nB,9\nC,99\n");
    assert_relative_eq!(entity(&a, "A").score, 100.0);
    assert_relative_eq!(entity(&a, "B").score, 50.0);
    assert_relative_eq!(entity(&a, "C").score, 0.0);
    let err = try_score(
        &rules.replace("missing = \"mean\"", "missing = \"fail\""),
        "code,pat\nA,3\nB,1\nG,\n",
    )
    .unwrap_err();
    assert!(!err.contains("domain"), "{err}");
}

/// A gate, adjustment or tier id written in an expression is said to be one (SPEC §12: such
/// ids are not names in expressions), not an "unknown name" with a list of data columns.
#[test]
fn gate_adjustment_and_tier_ids_in_expressions_are_named_as_such() {
    let rules = |extra: &str| {
        format!(
            "[rules]\nname = \"t\"\nid = \"code\"\n[[indicator]]\nid = \"x\"\n[[dimension]]\nid = \"d\"\n\
             [[criterion]]\nid = \"c\"\ndimension = \"d\"\nindicator = \"x\"\npoints = 10\nmethod = \"direct\"\n\
             [[adjustment]]\nid = \"bonus\"\nwhen = \"x > 5\"\npoints = 1\n[[tier]]\nid = \"gold\"\nmin_score = 5\n{extra}"
        )
    };
    let csv = "code,x\nA,6\nB,2\n";
    let e = super::support::try_score(&rules("[[gate]]\nid = \"g\"\nrequire = \"gold\"\n"), csv)
        .unwrap_err();
    assert!(e.contains("error: 'gold' is the id of a tier, and gate, adjustment and tier ids are not names in expressions"), "{e}");
    assert!(e.contains("help: write the condition it stands for"), "{e}");
    let e = super::support::try_score(
        &rules("[[adjustment]]\nid = \"again\"\nwhen = \"bonus > 0\"\npoints = 1\n"),
        csv,
    )
    .unwrap_err();
    assert!(e.contains("'bonus' is the id of an adjustment"), "{e}");
    // A data column of that name is a data column.
    let a = score(
        &rules("[[gate]]\nid = \"g\"\nrequire = \"gold == 1\"\n"),
        "code,x,gold\nA,6,1\nB,2,0\n",
    );
    assert_eq!(entity(&a, "B").excluded_by.as_deref(), Some("g"));
}

#[test]
fn a_cohort_of_one_ranked_entity_is_warned_of() {
    let rules = |method: &str, tier: &str| {
        format!(
            "[rules]\nname = \"t\"\nid = \"code\"\ncohort = \"region\"\n[[indicator]]\nid = \"region\"\nkind = \"category\"\n\
             [[indicator]]\nid = \"rev\"\n[[dimension]]\nid = \"d\"\n[[criterion]]\nid = \"c_rev\"\ndimension = \"d\"\n\
             indicator = \"rev\"\npoints = 100\n{method}\n{tier}"
        )
    };
    const MINMAX: &str = "method = \"minmax\"";
    const TARGET: &str = "method = \"target\"\ntarget = 100";
    let tier = "[[tier]]\nid = \"lead\"\ntop_percent = 20\n";
    let data = "code,region,rev\nA,东部,50\nB,东部,80\nC,东部,20\nG,西部,5\n";
    let said = |a: &clusterscore::engine::Assessment| -> Vec<String> {
        a.warnings
            .iter()
            .filter(|w| w.starts_with("cohort 'region'"))
            .cloned()
            .collect()
    };
    // G, the smallest of all, alone in 西部: full relative points and the tier.
    let a = score(&rules(MINMAX, tier), data);
    assert_relative_eq!(entity(&a, "G").score, 100.0);
    assert_eq!(entity(&a, "G").tier.as_deref(), Some("lead"));
    assert_eq!(
        said(&a),
        [
            "cohort 'region' = '西部' has one ranked entity, 'G': its relative criteria (c_rev) compare it with itself alone: minmax and percentile give it full points, zscore half; and the cohort's quotas (lead) give it a place, as a quota is at least one place per cohort; if that is not meant, join it to another cohort in the data, or score without cohort"
        ]
    );
    // Only the part that applies is said; nothing when neither does.
    let w = said(&score(&rules(MINMAX, ""), data));
    assert!(w[0].ends_with("zscore half; if that is not meant, join it to another cohort in the data, or score without cohort"), "{w:?}");
    let w = said(&score(&rules(TARGET, tier), data));
    assert!(
        w[0].contains("'G': the cohort's quotas (lead) give it a place"),
        "{w:?}"
    );
    assert!(said(&score(&rules(TARGET, ""), data)).is_empty());
    // Two in each cohort: nothing said.
    let two = "code,region,rev\nA,东部,50\nB,东部,80\nG,西部,5\nH,西部,9\n";
    assert!(said(&score(&rules(MINMAX, tier), two)).is_empty());
}

/// Values equal but for the last bits (`0.1 + 0.2` against `0.3`) are one value for
/// `minmax` (all equal → 1) and `zscore` (sd 0 → 0.5): before, A and C took full `minmax`
/// points and B none, and B's z-score fraction was 0.08.
#[test]
fn minmax_and_zscore_take_a_spread_of_rounding_noise_as_none() {
    let rules = "[rules]\nname = \"t\"\nid = \"code\"\ndecimals = 4\n[[indicator]]\nid = \"s\"\nformula = \"a + b\"\n\
                 [[dimension]]\nid = \"d\"\n\
                 [[criterion]]\nid = \"m\"\ndimension = \"d\"\nindicator = \"s\"\npoints = 10\nmethod = \"minmax\"\n\
                 [[criterion]]\nid = \"z\"\ndimension = \"d\"\nindicator = \"s\"\npoints = 10\nmethod = \"zscore\"\n";
    let a = score(rules, "code,a,b\nA,0.1,0.2\nB,0.3,0\nC,0.2,0.1\n");
    assert_ne!(0.1 + 0.2, 0.3);
    for id in ["A", "B", "C"] {
        assert_relative_eq!(entity(&a, id).score, 15.0);
    }
    // Near 0 the tolerance is absolute: 0.1 + 0.2 - 0.3 is 5.6e-17, not a spread from 0.
    let near_zero = rules.replace("formula = \"a + b\"", "formula = \"a + b - c\"");
    let a = score(&near_zero, "code,a,b,c\nA,0.1,0.2,0.3\nB,0,0,0\n");
    assert_relative_eq!(entity(&a, "A").score, 15.0);
    assert_relative_eq!(entity(&a, "B").score, 15.0);
    // A difference in the seventh significant digit is a spread: minmax 1 and 0; two
    // values are ±1/√2 sample sds from their mean, Φ(±0.7071) = 0.7602 and 0.2398.
    let a = score(rules, "code,a,b\nA,1000,0.0001\nB,1000,0\n");
    assert_relative_eq!(entity(&a, "A").score, 17.6025);
    assert_relative_eq!(entity(&a, "B").score, 2.3975);
}

/// A cohort whose every entity an exclude gate left out: its entities keep criterion
/// points, yet no ranked entity is there to compare them with; said, with what they show.
#[test]
fn a_cohort_with_no_ranked_entity_is_warned_of() {
    let rules = |method: &str| {
        format!(
            "[rules]\nname = \"t\"\nid = \"code\"\ncohort = \"region\"\n[[indicator]]\nid = \"region\"\nkind = \"category\"\n\
             [[indicator]]\nid = \"rev\"\n[[indicator]]\nid = \"ok\"\n[[dimension]]\nid = \"d\"\n\
             [[criterion]]\nid = \"c_rev\"\ndimension = \"d\"\nindicator = \"rev\"\npoints = 100\nmethod = \"{method}\"\n\
             [[gate]]\nid = \"g\"\nrequire = \"ok == 1\"\n"
        )
    };
    let data = "code,region,rev,ok\nA,东部,50,1\nB,东部,80,1\nC,西部,20,0\nD,西部,70,0\n";
    let said = |a: &clusterscore::engine::Assessment| -> Vec<String> {
        a.warnings
            .iter()
            .filter(|w| w.contains("has no ranked entity"))
            .cloned()
            .collect()
    };
    for (method, shown, shows) in [
        ("percentile", 100.0, "percentile full points"),
        ("zscore", 50.0, "zscore half"),
        ("minmax", 0.0, "minmax none"),
    ] {
        let a = score(&rules(method), data);
        assert_eq!(entity(&a, "D").excluded_by.as_deref(), Some("g"));
        assert_relative_eq!(entity(&a, "D").score, shown);
        assert_eq!(
            said(&a),
            [format!(
                "cohort 'region' = '西部' has no ranked entity (exclude gates left out its 2 entities): its relative criteria (c_rev) have nothing to compare them with, and show them {shows}"
            )],
            "{method}"
        );
    }
    // Not said for a method that needs no cohort, nor when one entity of 西部 is ranked.
    assert!(said(&score(&rules("direct"), data)).is_empty());
    let one = data.replace("C,西部,20,0", "C,西部,20,1");
    assert!(said(&score(&rules("minmax"), &one)).is_empty());
}

#[test]
fn ids_that_differ_only_in_width_or_case_are_warned_of() {
    let rules = BY_COLUMN.replace(
        r#"target = { by = "zone", values = { "01" = 100, "02" = 50, "是" = 200 }, default = 30 }"#,
        "target = 100",
    );
    let said = |a: &clusterscore::engine::Assessment| -> Vec<String> {
        a.warnings
            .iter()
            .filter(|w| w.starts_with("ids "))
            .cloned()
            .collect()
    };
    let a = score(
        &rules,
        "id,rev,zone\nMA3C01,60,x\nb,40,x\nＭＡ３Ｃ０１,60,x\nB,10,x\nc,5,x\n",
    );
    let w = said(&a);
    assert_eq!(w.len(), 2, "{:?}", a.warnings);
    // Groups in code-point order of their first id, each group's ids too.
    assert!(w[0].starts_with("ids 'B' ("), "{}", w[0]);
    assert!(w[0].contains("data.csv row 5) and 'b' ("), "{}", w[0]);
    assert!(w[1].starts_with("ids 'MA3C01' ("), "{}", w[1]);
    assert!(w[1].contains("and 'ＭＡ３Ｃ０１' ("), "{}", w[1]);
    assert!(w[1].ends_with("are scored as separate entities (each counted in quotas and cohort statistics); if they are one entity, write its id alike in every row"));
    // Distinct ids, or look-alikes only across years (not the year scored): nothing said.
    assert!(said(&score(&rules, "id,rev,zone\nA,60,x\nB,40,x\nc,5,x\n")).is_empty());
    let years = rules.replace(
        "id = \"id\"\n",
        "id = \"id\"\nyear = 2023\n[data]\nyear_column = \"yr\"\n",
    );
    let a = score(
        &years,
        "id,yr,rev,zone\nA,2023,60,x\na,2022,40,x\nB,2023,5,x\n",
    );
    assert!(said(&a).is_empty(), "{:?}", a.warnings);
}

#[test]
fn exclude_gates_that_leave_no_entity_ranked_are_warned_of() {
    let rules = BY_COLUMN.replace(
        r#"target = { by = "zone", values = { "01" = 100, "02" = 50, "是" = 200 }, default = 30 }"#,
        "target = 100\n\n[[gate]]\nid = \"big\"\nrequire = \"rev > 10\"\n\n[[gate]]\nid = \"east\"\nrequire = \"zone == 'east'\"",
    );
    let a = score(&rules, "id,rev,zone\na,60,东部\nb,40,西部\nc,5,东部\n");
    let said: Vec<&String> = a
        .warnings
        .iter()
        .filter(|w| w.contains("left no entity ranked"))
        .collect();
    assert_eq!(
        said,
        [&"the exclude gates left no entity ranked (excluded by 'big': 1 entity, 'east': 2 entities): check each condition against the values the data holds (a text compared with == must be written as the data writes it)".to_string()],
        "{:?}",
        a.warnings
    );
    // One entity ranked: nothing said.
    let a = score(&rules, "id,rev,zone\na,60,east\nb,40,西部\nc,5,东部\n");
    assert!(
        !a.warnings
            .iter()
            .any(|w| w.contains("left no entity ranked")),
        "{:?}",
        a.warnings
    );
}

#[test]
fn a_note_row_under_the_table_is_warned_of_and_counts_in_the_quota() {
    // A note in the id column (the other cells empty) is read as an entity: scored 0 and
    // counted in `top_percent`, it lifts the quota from 1 of 3 to 2 of 4.
    let rules = BY_COLUMN.replace(
        r#"target = { by = "zone", values = { "01" = 100, "02" = 50, "是" = 200 }, default = 30 }"#,
        "target = 100",
    ) + "\n[[tier]]\nid = \"gold\"\ntop_percent = 50\n";
    let a = score(
        &rules,
        "id,rev,zone\na,60,x\nb,40,x\nc,20,x\n注：数据来源于各县区上报,,\n",
    );
    let notes: Vec<&String> = a
        .warnings
        .iter()
        .filter(|w| w.contains("looks like a note"))
        .collect();
    assert_eq!(notes.len(), 1, "{:?}", a.warnings);
    assert!(
        notes[0].contains(
            "data.csv row 5: '注：数据来源于各县区上报' looks like a note under the table"
        ),
        "{}",
        notes[0]
    );
    assert_eq!(entity(&a, "b").tier.as_deref(), Some("gold"));
    // Without the note nothing is said, and the quota is one.
    let a = score(&rules, "id,rev,zone\na,60,x\nb,40,x\nc,20,x\n");
    assert!(
        !a.warnings.iter().any(|w| w.contains("note")),
        "{:?}",
        a.warnings
    );
    assert_eq!(entity(&a, "b").tier, None);
}

#[test]
fn a_totals_row_is_warned_of_but_still_scored() {
    // The last row of many statistical exports sums the others; scored, it would rank first.
    let rules = BY_COLUMN.replace(
        r#"target = { by = "zone", values = { "01" = 100, "02" = 50, "是" = 200 }, default = 30 }"#,
        "target = 100",
    );
    let a = score(&rules, "id,rev,zone\na,60,x\nb,40,x\n合计,100,x\n");
    let totals: Vec<&String> = a
        .warnings
        .iter()
        .filter(|w| w.contains("totals row"))
        .collect();
    assert_eq!(totals.len(), 1, "{:?}", a.warnings);
    assert!(
        totals[0].contains("row 4: '合计' looks like a totals row"),
        "{}",
        totals[0]
    );
    assert!(
        totals[0].contains(r#"require = "`id` != '合计'""#),
        "{}",
        totals[0]
    );
    assert_relative_eq!(entity(&a, "合计").criteria["c"].points.unwrap(), 10.0);
    // The gate it suggests leaves the row out, and then nothing is said.
    let gated = rules.replace(
        "[[dimension]]",
        "[[gate]]\nid = \"not_total\"\nrequire = \"`id` != '合计'\"\n\n[[dimension]]",
    );
    let g = score(&gated, "id,rev,zone\na,60,x\nb,40,x\n合计,100,x\n");
    assert_eq!(entity(&g, "合计").excluded_by.as_deref(), Some("not_total"));
    assert!(
        !g.warnings.iter().any(|w| w.contains("totals row")),
        "{:?}",
        g.warnings
    );
    // An entity merely named like a total in another language form is not flagged.
    let b = score(&rules, "id,rev,zone\na,60,x\nTotal Logistics,40,x\n");
    assert!(!b.warnings.iter().any(|w| w.contains("totals row")));
}

#[test]
fn an_empty_column_compared_with_a_text_is_an_empty_text_column() {
    // The chained workflow in a year when no member reached tier 'pass': the `tier` column
    // has no value, was typed a number, and `tier == 'pass'` was a type error.
    let rules = r#"
[rules]
name = "roll"
id = "id"
[aggregate]
by = "cl"
[[indicator]]
id = "npass"
aggregate = "count(tier == 'pass')"
[[indicator]]
id = "nother"
aggregate = "count(not (tier == 'pass'))"
[[dimension]]
id = "a"
[[criterion]]
id = "c"
dimension = "a"
indicator = "npass"
points = 10
method = "direct"
[[criterion]]
id = "o"
dimension = "a"
indicator = "nother"
points = 10
method = "direct"
"#;
    let some = score(rules, "id,cl,tier\ne1,K1,pass\ne2,K1,\ne3,K2,\n");
    assert_relative_eq!(entity(&some, "K1").criteria["c"].points.unwrap(), 1.0);
    let none = score(rules, "id,cl,tier\ne1,K1,\ne2,K1,\ne3,K2,\n");
    assert_relative_eq!(entity(&none, "K1").criteria["c"].points.unwrap(), 0.0);
    assert_relative_eq!(entity(&none, "K2").criteria["c"].points.unwrap(), 0.0);
    // A comparison with a missing operand is false (SPEC §4), so `not` of it counts the
    // untiered members, as docs/rules.md says: 2 in K1, 1 in K2 (and 1 in K1 with a pass).
    assert_relative_eq!(entity(&none, "K1").criteria["o"].points.unwrap(), 2.0);
    assert_relative_eq!(entity(&none, "K2").criteria["o"].points.unwrap(), 1.0);
    assert_relative_eq!(entity(&some, "K1").criteria["o"].points.unwrap(), 1.0);
}

#[test]
fn cohort_values_written_two_ways_are_warned_of() {
    let rules = r#"
[rules]
name = "cohorts"
id = "id"
cohort = "region"
[[indicator]]
id = "x"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 10
method = "minmax"
"#;
    let a = score(
        rules,
        "id,region,x\nA,A类,1\nB,Ａ类,2\nC,A类,3\nE,东部,5\nF,东部,6\nG,东　部,7\n",
    );
    let alike: Vec<&String> = a
        .warnings
        .iter()
        .filter(|w| w.contains("differ only"))
        .collect();
    assert_eq!(alike.len(), 2, "{:?}", a.warnings);
    assert!(
        alike[0]
            .starts_with("cohort 'region': 'A类' (2 entities) and 'Ａ类' (1 entity) differ only")
    );
    // (U+3000, the ideographic space, sorts before 部.)
    assert!(alike[1].contains("'东　部' (1 entity) and '东部' (2 entities)"));
    // Still separate cohorts: B alone in its cohort is first in it.
    assert_eq!(entity(&a, "B").rank, Some(1));
    // Distinct regions are not warned of.
    let b = score(rules, "id,region,x\nA,东部,1\nB,西部,2\n");
    assert!(!b.warnings.iter().any(|w| w.contains("differ only")));
    // The texts are named in code-point order, whatever the order of the rows.
    let c = score(
        rules,
        "id,region,x\nG,东　部,7\nB,Ａ类,2\nA,A类,1\nE,东部,5\nC,A类,3\nF,东部,6\n",
    );
    let again: Vec<&String> = c
        .warnings
        .iter()
        .filter(|w| w.contains("differ only"))
        .collect();
    assert_eq!(again, alike);
}

#[test]
fn a_criterion_id_read_as_a_data_column_before_scoring_is_warned_of() {
    let rules = r#"
[rules]
name = "shadow"
id = "id"
[[indicator]]
id = "half"
formula = "c / 2"
[[indicator]]
id = "whole"
formula = "`c` * 1"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "half"
points = 10
method = "direct"
[[criterion]]
id = "w"
dimension = "d"
indicator = "whole"
points = 10
method = "direct"
"#;
    let a = score(rules, "id,c\nA,8\n");
    // Read as the column (docs/rules.md, Decisions): 8 / 2.
    assert_relative_eq!(entity(&a, "A").criteria["c"].points.unwrap(), 4.0);
    let said: Vec<&String> = a
        .warnings
        .iter()
        .filter(|w| w.contains("as the data column"))
        .collect();
    assert_eq!(said.len(), 1, "{:?}", a.warnings);
    assert!(said[0].starts_with(
        "formula of indicator 'half' reads 'c' as the data column: 'c' is also a criterion id"
    ));
    // Typed in full-width letters, the name is the id all the same, and so is the warning.
    let a = score(&rules.replace("\"c / 2\"", "\"ｃ / 2\""), "id,c\nA,8\n");
    assert_relative_eq!(entity(&a, "A").criteria["c"].points.unwrap(), 4.0);
    assert!(
        a.warnings.iter().any(|w| w.starts_with(
            "formula of indicator 'half' reads 'c' as the data column: 'c' is also a criterion id"
        )),
        "{:?}",
        a.warnings
    );
    // Through a chain of formulas the points still depend on the formula: the column.
    let chained = rules
        .replace("formula = \"c / 2\"", "formula = \"base\"")
        .replace(
            "[[dimension]]",
            "[[indicator]]\nid = \"base\"\nformula = \"c / 2\"\n[[dimension]]",
        );
    let a = score(&chained, "id,c\nA,8\n");
    assert_relative_eq!(entity(&a, "A").criteria["c"].points.unwrap(), 4.0);
    // The chain named in full-width letters is the same chain.
    let a = score(
        &chained.replace("formula = \"base\"", "formula = \"ｂａｓｅ\""),
        "id,c\nA,8\n",
    );
    assert_relative_eq!(entity(&a, "A").criteria["c"].points.unwrap(), 4.0);
    // Anywhere else the name is the criterion, whose points do not exist yet (SPEC §12),
    // the data column notwithstanding: an error at the name, with the backticked form.
    let other = rules.replace("\"`c` * 1\"", "\"c * 1\"");
    let err = try_score(&other, "id,c\nA,8\n").unwrap_err();
    assert!(
        err.contains("'c' is the points of criterion 'c', which does not exist yet here; a bare name means the criterion even where the data has a column 'c' at 1:1 in formula of indicator 'whole'"),
        "{err}"
    );
    assert!(
        err.contains("help: for the data column write `c` in backticks"),
        "{err}"
    );
    // A dimension id likewise; in the formula of an indicator its criteria score, the column.
    // (Criterion c in dimension c2, w in a dimension of its own.)
    let dim = rules
        .replace(
            "[[dimension]]\nid = \"d\"",
            "[[dimension]]\nid = \"c2\"\n[[dimension]]\nid = \"e\"",
        )
        .replace("indicator = \"half\"", "indicator = \"half\"\nDIM_C")
        .replace("dimension = \"d\"\n", "")
        .replace("DIM_C", "dimension = \"c2\"")
        .replace(
            "indicator = \"whole\"",
            "indicator = \"whole\"\ndimension = \"e\"",
        );
    let err = try_score(
        &dim.replace("\"`c` * 1\"", "\"c2 * 1\""),
        "id,c,c2\nA,8,3\n",
    )
    .unwrap_err();
    assert!(err.contains("'c2' is the score of dimension 'c2'"), "{err}");
    let a = score(&dim.replace("\"c / 2\"", "\"c2 / 2\""), "id,c,c2\nA,8,3\n");
    assert_relative_eq!(entity(&a, "A").criteria["c"].points.unwrap(), 1.5);
}

#[test]
fn a_function_named_without_parentheses_says_how_it_is_called() {
    let rules = MISSING.replace("POLICY", "zero").replace(
        "[[dimension]]",
        "[[gate]]\nid = \"g\"\nrequire = \"prev > 0\"\n\n[[dimension]]",
    );
    let err = try_score(&rules, "id,x,f\nA,2,是\n").unwrap_err();
    assert!(err.contains("unknown name 'prev'"), "{err}");
    assert!(
        err.contains("'prev' is a function: call it with its argument, as prev(x)"),
        "{err}"
    );
}

#[test]
fn topsis_gives_nothing_where_there_is_no_ideal_to_measure_against() {
    let rules = r#"
[rules]
name = "topsis alone"
id = "id"
aggregation = "topsis"
cohort = "region"
[[indicator]]
id = "x"
[[indicator]]
id = "ok"
kind = "bool"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 10
method = "linear"
floor = 0
target = 10
[[gate]]
id = "g"
require = "ok"
"#;
    // Cohort w holds only the excluded entity e: no ranked entity sets an ideal there.
    let a = score(
        rules,
        "id,region,x,ok\na,e,5,true\nb,e,8,true\nz,w,9,false\n",
    );
    let z = entity(&a, "z");
    assert_eq!(z.excluded_by.as_deref(), Some("g"));
    assert_relative_eq!(z.score, 0.0);
    // In cohort e the ranked entities are measured as before: a 0, b 10.
    assert_relative_eq!(entity(&a, "a").score, 0.0);
    assert_relative_eq!(entity(&a, "b").score, 10.0);
}

#[test]
fn a_totals_member_row_under_aggregate_is_warned_of() {
    let rules = r#"
[rules]
name = "roll"
id = "id"
label = "name"
[aggregate]
by = "cl"
[[indicator]]
id = "total"
aggregate = "sum(v)"
[[dimension]]
id = "a"
[[criterion]]
id = "c"
dimension = "a"
indicator = "total"
points = 100
method = "direct"
"#;
    // K1's own total row doubles its sum: 10 + 20 + 30.
    let a = score(
        rules,
        "id,name,cl,v\ne1,甲,K1,10\ne2,乙,K1,20\nt1,合计,K1,30\ne3,丙,K2,5\n",
    );
    assert_relative_eq!(
        entity(&a, "K1").criteria["c"]
            .value
            .clone()
            .unwrap()
            .as_f64()
            .unwrap(),
        60.0
    );
    let said: Vec<&String> = a
        .warnings
        .iter()
        .filter(|w| w.contains("totals row"))
        .collect();
    assert_eq!(said.len(), 1, "{:?}", a.warnings);
    assert!(
        said[0].contains("row 4: member '合计' looks like a totals row"),
        "{}",
        said[0]
    );
}

/// ONE_DIRECT with an adjustment `when` condition (and nothing else new).
fn with_bonus(when: &str) -> String {
    format!("{ONE_DIRECT}[[adjustment]]\nid = \"bonus\"\nwhen = \"{when}\"\npoints = 5\n")
}

#[test]
fn a_text_literal_that_no_cell_holds_is_warned_with_the_cells_that_contain_it() {
    let csv = "id,x,level\na,1,国家级\nb,2,省级\nc,3,国家级\n";
    let a = score(&with_bonus("`level` == '国家'"), csv);
    let w = a.warnings.join("\n");
    assert!(
        w.contains(
            "when of adjustment 'bonus' compares column 'level' with '国家', which no cell of the \
             column holds, so the comparison is false for every row: cells that contain it: \
             '国家级' (row 2); a comparison matches whole cells only"
        ),
        "{w}"
    );
    assert!(
        w.starts_with("rules.toml:") || w.contains("\nrules.toml:"),
        "{w}"
    );
    // `!=` is true for every row; a literal spelled close to a value lists the values.
    let a = score(&with_bonus("`level` != '省'"), csv);
    let w = a.warnings.join("\n");
    assert!(
        w.contains(
            "so the comparison is true for every row: cells that contain it: '省级' (row 3)"
        ),
        "{w}"
    );
    // A value simply absent this year (nobody is 市级): no warning.
    let a = score(&with_bonus("`level` != '市级'"), csv);
    assert!(
        !a.warnings.iter().any(|w| w.contains("compares column")),
        "{:?}",
        a.warnings
    );
    // A literal some cell holds: no warning.
    let a = score(&with_bonus("`level` == '国家级'"), csv);
    assert!(
        !a.warnings.iter().any(|w| w.contains("compares column")),
        "{:?}",
        a.warnings
    );
}

#[test]
fn cells_that_only_begin_with_the_compared_text_are_warned_as_a_remark() {
    // `是（2022年认定）` does not equal 是: the bonus is silently lost without the warning.
    let csv = "id,x,nat\na,1,是\nb,2,否\nc,3,是（2022年认定）\n";
    let a = score(&with_bonus("`nat` == '是'"), csv);
    assert_relative_eq!(entity(&a, "c").adjustments["bonus"], 0.0);
    let w = a.warnings.join("\n");
    assert!(
        w.contains(
            "when of adjustment 'bonus' compares column 'nat' with '是', and cells that only \
             begin with '是' do not match it: '是（2022年认定）' (row 4); if they mean '是', write \
             them so (a remark goes in a column of its own)"
        ),
        "{w}"
    );
}

#[test]
fn a_condition_on_a_yes_no_column_with_a_remark_names_the_cell_not_a_text_comparison() {
    let csv = "id,x,nat\na,1,是\nb,2,否\nc,3,是（2022年认定）\n";
    let err = try_score(&with_bonus("`nat`"), csv).unwrap_err();
    assert!(err.contains("expected a condition, found text"), "{err}");
    assert!(
        err.contains(
            "column 'nat' holds yes/no words but is read as text because of \"是（2022年认定）\" ("
        ) && err.contains(
            "row 4, column \"nat\"): write 是 alone (a remark goes in a column of its own). Then \
             the column is read as yes/no: write `nat` alone for 是 (not == '是')"
        ),
        "{err}"
    );
    assert!(!err.contains("region == '东部'"), "{err}");
    // Check marks for yes, empty for no.
    let err = try_score(&with_bonus("`nat`"), "id,x,nat\na,1,√\nb,2,\n").unwrap_err();
    assert!(
        err.contains("column 'nat' marks its cells with \"√\" (")
            && err.contains("write 是 for √ and 否 for ×")
            && err.contains("an empty cell is missing, not 否"),
        "{err}"
    );
    // Levels used as a condition: compare with one of its values.
    let err = try_score(&with_bonus("`nat`"), "id,x,nat\na,1,国家级\nb,2,省级\n").unwrap_err();
    assert!(
        err.contains(
            "column 'nat' holds text values, not yes/no words: compare it with one of them, e.g. \
             `nat` == '国家级' (its values: '国家级', '省级')"
        ),
        "{err}"
    );
    // Many levels (more than a slip in a yes/no column would make): still its values.
    let csv = "id,x,nat\na,1,国家级\nb,2,省级\nc,3,市级\nd,4,县级\ne,5,无\n";
    let err = try_score(&with_bonus("`nat`"), csv).unwrap_err();
    assert!(
        err.contains("e.g. `nat` == '国家级' (its values: '国家级', '省级', '市级', '县级', '无')"),
        "{err}"
    );
}

#[test]
fn a_name_that_merely_contains_bool_does_not_read_as_a_yes_no_type_error() {
    // The column `bool_flag` is yes/no and the error is a column the data lacks, whose
    // name says "bool": the yes/no column is not what the data explains.
    let rules =
        &format!("{ONE_DIRECT}[[gate]]\nid = \"g\"\nrequire = \"bool_flag and boolx > 1\"\n");
    let err = try_score(rules, "id,x,bool_flag\na,1,是\nb,2,否\n").unwrap_err();
    assert!(err.contains("'boolx'"), "{err}");
    assert!(
        !err.contains("column 'bool_flag' is read as yes/no"),
        "{err}"
    );
}

#[test]
fn a_column_read_as_yes_no_says_why_when_compared_with_a_number_or_a_word() {
    let rules = &format!("{ONE_DIRECT}[[gate]]\nid = \"g\"\nrequire = \"`acc` == 0\"\n");
    let err = try_score(rules, "id,x,acc\na,1,无\nb,2,1\nc,3,0\n").unwrap_err();
    assert!(err.contains("cannot compare a bool with a number"), "{err}");
    assert!(
        err.contains(
            "column 'acc' is read as yes/no: every cell of it is a yes/no word (是/否, 有/无, \
             Y/N, yes/no, true/false, 1/0)"
        ) && err.contains("if it holds counts, write numbers in it (0 for 无 or 否)"),
        "{err}"
    );
    // `无` among larger counts: the cell is named, with 0 offered.
    let err = try_score(rules, "id,x,acc\na,1,无\nb,2,3\nc,3,5\nd,4,0\n").unwrap_err();
    assert!(
        err.contains("column 'acc' is read as text because of \"无\" (")
            && err.contains(
                "numbers: write 0 for \"无\" where it means none; then it is read as numbers"
            ),
        "{err}"
    );
}

#[test]
fn is_missing_over_words_in_a_number_column_is_warned() {
    let rules = &format!(
        "{ONE_DIRECT}[[adjustment]]\nid = \"r\"\nwhen = \"not is_missing(`rd`)\"\npoints = 1\n"
    );
    let a = score(rules, "id,x,rd\na,1,300\nb,2,/\nc,3,500\nd,4,未报送\n");
    // The words count as values: the bonus applies to b and d as to a and c.
    assert_relative_eq!(entity(&a, "b").adjustments["r"], 1.0);
    let w = a.warnings.join("\n");
    assert!(
        w.contains(
            "when of adjustment 'r' reads is_missing(`rd`), which is false for '/' (row 3), \
             '未报送' (row 5): texts in a column of numbers, so they count as values; if they \
             mean no data, list them in missing_markers under [data]"
        ),
        "{w}"
    );
}

#[test]
fn a_column_read_by_the_rules_with_no_value_at_all_is_warned() {
    let rules = &format!("{ONE_DIRECT}[[gate]]\nid = \"g\"\nrequire = \"`emp` >= 50\"\n");
    let a = score(rules, "id,x,emp\na,1,\nb,2,—\nc,3,\n");
    let w = a.warnings.join("\n");
    assert!(
        w.contains(
            "column 'emp' has no value in any of its 3 rows: every rule that reads it meets a \
             missing value for every entity"
        ),
        "{w}"
    );
    // One value is enough to say nothing.
    let a = score(rules, "id,x,emp\na,1,\nb,2,60\nc,3,\n");
    assert!(
        !a.warnings.iter().any(|w| w.contains("has no value")),
        "{:?}",
        a.warnings
    );
}

#[test]
fn a_category_that_names_a_key_more_fully_is_warned() {
    let rules = BY_COLUMN.replace(
        r#""01" = 100, "02" = 50, "是" = 200"#,
        r#""东部" = 100, "中部" = 50"#,
    );
    // 东部地区 contains 东部 only: a did-you-mean, and the default (30) applies as before.
    let a = score(&rules, "id,rev,zone\na,60,东部\nb,60,东部地区\nc,60,华东\n");
    assert_relative_eq!(entity(&a, "b").criteria["c"].points.unwrap(), 10.0);
    let w = a.warnings.join("\n");
    assert!(
        w.contains("'zone' value '东部地区' is not in the category table (did you mean '东部'?), so 1 entity takes its default (30): b"),
        "{w}"
    );
    // 华东 contains no key: unlisted by design, no warning for it.
    assert!(!w.contains("'华东'"), "{w}");
    assert!(!w.contains("no entity's"), "{w}");
    // A value that qualifies a key into something else is no spelling of it.
    let a = score(&rules, "id,rev,zone\na,60,东部以外\nb,60,华中\n");
    let w = a.warnings.join("\n");
    assert!(!w.contains("did you mean"), "{w}");
}

#[test]
fn group_values_typed_two_ways_are_warned_for_aggregate_entities_and_cohorts() {
    let rules = r#"
[rules]
name = "t"
id = "member"
[aggregate]
by = "cluster"
[[indicator]]
id = "emp"
aggregate = "sum(`staff`)"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "emp"
points = 10
method = "linear"
floor = 0
target = 100
"#;
    let a = score(
        rules,
        "member,cluster,staff\nm1,C2,10\nm2,c2,20\nm3,C2,30\nm4,C1,5\n",
    );
    // Scored apart (the data says two values), and said so.
    assert_eq!(a.entities.len(), 3);
    let w = a.warnings.join("\n");
    assert!(
        w.contains(
            "[aggregate] by 'cluster': 'C2' (2 member rows) and 'c2' (1 member row) differ only \
             in full-width characters, case or spacing (or are one number), and are scored as \
             separate entities"
        ),
        "{w}"
    );
    // Cohorts: one value containing another, and two texts of one number.
    let cohort = ONE_DIRECT.replace("id = \"id\"", "id = \"id\"\ncohort = \"zone\"");
    let a = score(
        &cohort,
        "id,x,zone\na,1,东部\nb,2,东部\nc,3,东部地区\nd,4,1\ne,5,1.0\n",
    );
    let w = a.warnings.join("\n");
    assert!(
        w.contains(
            "cohort 'zone': '东部地区' (1 entity) names '东部' (2 entities) more fully, and they are \
             ranked as separate cohorts"
        ),
        "{w}"
    );
    assert!(
        w.contains("cohort 'zone': '1' (1 entity) and '1.0' (1 entity) differ only"),
        "{w}"
    );
}

#[test]
fn a_number_written_in_words_is_not_offered_as_a_missing_marker() {
    let rules = &format!("{ONE_DIRECT}[[gate]]\nid = \"g\"\nrequire = \"`emp` >= 50\"\n");
    let err = try_score(
        rules,
        "id,x,emp\na,1,120\nb,2,约60\nc,3,80\nd,4,无数据\ne,5,70\nf,6,90\ng,7,55\n",
    )
    .unwrap_err();
    // The roughly said number gets the number to write, the word for no data the marker.
    for said in [
        "\"约60\" gives the number roughly (约, 近, 左右 …): a rule compares exact values, so write 60",
        "It also holds \"无数据\"",
        "correct it or list it in missing_markers under [data]. Then the column is read as numbers",
    ] {
        assert!(err.contains(said), "{said}: {err}");
    }
    let about_60 = &err[err.find("\"约60\" gives").unwrap()..err.find("It also holds").unwrap()];
    assert!(!about_60.contains("missing_markers"), "{about_60}");
}

#[test]
fn a_label_several_indicators_share_names_them_all() {
    let rules = r#"
[rules]
name = "t"
id = "id"
tie_break = ["销售收入"]
[[indicator]]
id = "rev"
label = "销售收入"
column = "rev"
[[indicator]]
id = "rev_prev"
label = "销售收入"
column = "rev0"
[[indicator]]
id = "g"
formula = "销售收入 / 2"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "g"
points = 10
method = "direct"
"#;
    let err = try_score(rules, "id,rev,rev0\nA,1,2\n").unwrap_err();
    assert!(
        err.contains(
            "'销售收入' is the label of 2 indicators, \"rev\", \"rev_prev\": write the id of the \
             one you mean"
        ),
        "{err}"
    );
    let err = try_score(
        &rules.replace("tie_break = [\"销售收入\"]\n", ""),
        "id,rev,rev0\nA,1,2\n",
    )
    .unwrap_err();
    assert!(
        err.contains(
            "'销售收入' names 2 indicators, 'rev', 'rev_prev': write the id of the one you mean"
        ),
        "{err}"
    );
}

/// A name typed in full-width letters (`ｏｕｔｐｕｔ`, as a Chinese input method gives
/// them) is the indicator it folds to, `multiply` included, in a gate, a formula and a
/// tier's `requires`: not the raw data column of the same folded header.
#[test]
fn a_full_width_name_is_the_indicator_not_the_raw_column() {
    let rules = |name: &str| {
        format!(
            r#"
[rules]
name = "full width"
id = "code"
[[indicator]]
id = "output"
multiply = 0.0001
[[indicator]]
id = "doubled"
formula = "{name} * 2"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "doubled"
points = 10
method = "linear"
floor = 0
target = 10
[[gate]]
id = "big"
require = "{name} >= 2"
[[tier]]
id = "top"
requires = ["{name} >= 4"]
"#
        )
    };
    // 万元: A 50,000 (5 亿元), B 30,000 (3 亿元), C 10,000 (1 亿元, fails the gate).
    let csv = "code,output\nA,50000\nB,30000\nC,10000\n";
    let ascii = score(&rules("output"), csv);
    let full = score(&rules("ｏｕｔｐｕｔ"), csv);
    for a in [&ascii, &full] {
        // doubled = 10 亿元 → full points; B 6 → 6 points; C excluded by the gate.
        assert_relative_eq!(entity(a, "A").score, 10.0);
        assert_relative_eq!(entity(a, "B").score, 6.0);
        assert_eq!(entity(a, "C").excluded_by.as_deref(), Some("big"));
        assert_eq!(entity(a, "A").tier.as_deref(), Some("top"));
        assert_eq!(entity(a, "B").tier, None);
    }
}

/// A gate's note lists the values that decided it: inside `prev(x, k)` the value k years
/// back, under the same `prev(…)` it is written with (audit26_fine F1: the notes gave the
/// scored year's value, so "prev(rev) >= 15: rev = 15" read as a gate that should pass).
#[test]
fn gate_notes_show_the_earlier_years_value_under_prev() {
    let rules = r#"
[rules]
name = "prev notes"
id = "code"
year = 2023
[data]
year_column = "year"
[[indicator]]
id = "rev"
[[dimension]]
id = "a"
[[criterion]]
id = "c"
dimension = "a"
indicator = "rev"
points = 10
method = "direct"
[[gate]]
id = "grew"
require = "prev(rev) >= 15 and rev > prev(rev, 2)"
[[gate]]
id = "long"
require = "prev(rev, 2) >= 5"
max_tier = "t"
[[tier]]
id = "top"
[[tier]]
id = "t"
"#;
    let csv =
        "code,year,rev\nA,2021,4\nA,2022,20\nA,2023,9\nB,2021,1\nB,2022,10\nB,2023,15\nC,2023,50\n";
    let a = score(rules, csv);
    let notes = |id: &str| {
        a.entities
            .iter()
            .find(|e| e.id == id)
            .unwrap()
            .notes
            .clone()
    };
    // A passes `grew` (20 ≥ 15 and 9 > 4) and is capped by `long` (4 < 5).
    assert_eq!(
        notes("A"),
        ["gate 'long' failed: tier capped at 't' (prev(rev, 2) = 4)"]
    );
    assert_eq!(
        notes("B"),
        [
            "excluded by gate 'grew' (prev(rev) >= 15 and rev > prev(rev, 2)): prev(rev) = 10, rev = 15, prev(rev, 2) = 1"
        ]
    );
    assert_eq!(
        notes("C")[0],
        "excluded by gate 'grew' (prev(rev) >= 15 and rev > prev(rev, 2)) (a value was missing): prev(rev) = missing, rev = 50, prev(rev, 2) = missing"
    );
}

/// A category table without `default` is an error naming the entity whose category has no
/// value (SPEC §12); with several such entities, one error names them all (up to ten), so
/// one run shows everything to fix (audit26_fine F3).
#[test]
fn a_category_table_without_default_names_every_entity_it_cannot_place() {
    let rules = r#"
[rules]
name = "no default"
id = "id"
[[indicator]]
id = "x"
[[indicator]]
id = "region"
kind = "category"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 10
method = "linear"
floor = 0
target = { by = "region", values = { east = 100, west = 50 } }
"#;
    let one = try_score(rules, "id,x,region\nA,50,east\nB,20,north\nC,10,west\n").unwrap_err();
    assert!(
        one.contains("criterion 'c': entity 'B' has 'north' for 'region', which the table does not list, and there is no default"),
        "{one}"
    );
    let all = try_score(rules, "id,x,region\nA,50,\nB,20,north\nC,10,west\nD,5,\n").unwrap_err();
    assert!(
        all.contains("criterion 'c': 3 entities have a category for 'region' that the table does not list, or none, and there is no default: 'A' (no category), 'B' ('north'), 'D' (no category)"),
        "{all}"
    );
    assert!(
        all.contains("help: add them to values, or give a default"),
        "{all}"
    );
    // With every category listed, B scores 20 / 50 of 10 points.
    let a = score(rules, "id,x,region\nA,50,east\nB,20,west\n");
    assert_eq!(entity(&a, "B").score, 4.0);
    assert_eq!(entity(&a, "A").score, 5.0);
}

/// A missing value in a tier's `requires` or `direct` decided the tier only where the tier
/// still had room: after its quota was filled, the entity could not have entered with the
/// condition met, and no warning blames the missing value (audit26_fine F2). Before the
/// quota fills, it is warned.
#[test]
fn a_missing_value_at_a_full_quota_decided_nothing() {
    let rules = r#"
[rules]
name = "quota and missing"
id = "code"
[[indicator]]
id = "x"
[[indicator]]
id = "rev"
[[indicator]]
id = "hon"
kind = "bool"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 100
method = "direct"
[[tier]]
id = "top"
max_count = 1
min_score = 85
requires = ["rev >= 10"]
direct = ["hon"]
[[tier]]
id = "low"
"#;
    // A (90) fills top's one place; B (88, rev missing) and C (50, hon missing) come after.
    let a = score(rules, "code,x,rev,hon\nA,90,20,否\nB,88,,否\nC,50,20,\n");
    assert_eq!(entity(&a, "A").tier.as_deref(), Some("top"));
    assert_eq!(entity(&a, "B").tier.as_deref(), Some("low"));
    assert!(
        !a.warnings.iter().any(|w| w.starts_with("tier 'top'")),
        "{:?}",
        a.warnings
    );
    // B ranked first with rev missing: the place was free, so the missing value decided.
    let a = score(rules, "code,x,rev,hon\nA,80,20,否\nB,88,,否\nC,50,20,\n");
    assert_eq!(entity(&a, "A").tier.as_deref(), Some("low"));
    assert!(
        a.warnings.iter().any(|w| w
            == "tier 'top' requires: a missing value left the condition unmet for 1 entity: B"),
        "{:?}",
        a.warnings
    );
    // C's hon missing with the place free (A below the minimum, B without rev): warned.
    assert!(
        a.warnings
            .iter()
            .any(|w| w.starts_with("tier 'top' direct:") && w.ends_with("C")),
        "{:?}",
        a.warnings
    );
}

/// An imputed mean is the cohort's mean rounded once: 0.1, 0.2, 0.3 impute 0.2 (not
/// 0.19999999999999998), which ties with B's reported 0.2 in `percentile` (ties are exact
/// equality): both get the average rank, 6 of 12 points, and B ranks first by id.
#[test]
fn an_imputed_mean_ties_with_an_equal_reported_value() {
    let rules = r#"
[rules]
name = "m"
id = "id"
missing = "mean"
[[indicator]]
id = "x"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 12
method = "percentile"
"#;
    let a = score(rules, "id,x\nA,0.1\nB,0.2\nC,0.3\nD,\n");
    // Ranks among 4 values 0.1, 0.2, 0.2, 0.3: 1, 2.5, 2.5, 4 → (r − 1)/3 × 12.
    assert_eq!(entity(&a, "A").score, 0.0);
    assert_eq!(entity(&a, "B").score, 6.0);
    assert_eq!(entity(&a, "D").score, 6.0);
    assert_eq!(entity(&a, "C").score, 12.0);
    assert_eq!(entity(&a, "B").rank, Some(2));
    assert_eq!(entity(&a, "D").rank, Some(3));
}

/// An excluded entity with a better value than every ranked one scores at least as much:
/// C (excluded, −2.00000000001 against ranked −2 and −1, lower is better) reaches TOPSIS's
/// ideal and scores the full 10. (Its z-score fraction, Φ(0.70710678120), is above A's
/// Φ(1/√2) = 0.76024993890652; statrs' normal CDF put it 2e-11 below.)
#[test]
fn an_excluded_better_value_is_not_scored_below_the_best_ranked_one() {
    let rules = r#"
[rules]
name = "zt"
id = "id"
aggregation = "topsis"
decimals = 10
[[indicator]]
id = "x"
direction = "lower"
[[indicator]]
id = "r"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 10
method = "zscore"
[[gate]]
id = "g"
require = "r == 1"
"#;
    let a = score(rules, "id,x,r\nA,-2,1\nB,-1,1\nC,-2.00000000001,0\n");
    assert_eq!(entity(&a, "A").score, 10.0);
    assert_eq!(entity(&a, "C").score, 10.0);
    assert_eq!(entity(&a, "C").excluded_by.as_deref(), Some("g"));
}

/// Rules mistakes whose other messages would lead to a wrong score when followed: a
/// `levels` key that is no level of the indicator (its level would score 0), a header line
/// too many that splits a criterion (its keys then form a second criterion), and a bool
/// indicator holding a number (method "flag" would pay any non-zero value in full).
#[test]
fn rules_mistakes_that_would_score_wrongly_are_named() {
    let base = r#"
[rules]
name = "m"
id = "id"
[[indicator]]
id = "lvl"
kind = "category"
levels = ["国家级", "省级", "市级"]
[[indicator]]
id = "x"
[[dimension]]
id = "d"
"#;
    let levels = format!(
        "{base}[[criterion]]\nid = \"c\"\ndimension = \"d\"\nindicator = \"lvl\"\npoints = 10\nmethod = \"levels\"\nlevels = {{ \"国家级\" = 10, \"省\" = 6, \"市级\" = 3 }}\n"
    );
    let e = try_score(&levels, "id,lvl,x\nA,省级,1\n")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("error: criterion 'c' gives points for '省', which is not one of the levels of indicator 'lvl' (国家级, 省级, 市级)")
            && e.contains("help: did you mean '省级'?"),
        "{e}"
    );
    // Underlined at the key, not at `method = "levels"`; in a [criterion.levels] table too.
    assert!(e.contains(":19:24: error"), "{e}");
    let table = levels.replace(
        "levels = { \"国家级\" = 10, \"省\" = 6, \"市级\" = 3 }\n",
        "[criterion.levels]\n\"国家级\" = 10\n'省' = 6\n\"市级\" = 3\n",
    );
    let e = try_score(&table, "id,lvl,x\nA,省级,1\n")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(":21:1: error: criterion 'c' gives points for '省'"),
        "{e}"
    );
    // Not in a commented-out line, nor in the next criterion under an indented header.
    let commented = levels.replace(
        "levels = { \"国家级\" = 10, \"省\" = 6, \"市级\" = 3 }\n",
        "# levels = { \"省\" = 6 }\nlevels = { '国家级' = 10, '省' = 6 }\n  [[criterion]]\n  id = \"c2\"\n  dimension = \"d\"\n  indicator = \"lvl\"\n  points = 10\n  method = \"levels\"\n  levels = { \"国家级\" = 10, \"省级\" = 6 }\n",
    );
    let e = try_score(&commented, "id,lvl,x\nA,省级,1\n")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(":20:24: error: criterion 'c' gives points for '省'"),
        "{e}"
    );
    let split = format!(
        "{base}[[criterion]]\nid = \"nat\"\n[[criterion]]\ndimension = \"d\"\nindicator = \"x\"\npoints = 5\nmethod = \"direct\"\n"
    );
    let e = try_score(&split, "id,lvl,x\nA,省级,1\n")
        .unwrap_err()
        .to_string();
    let first = e.lines().next().unwrap();
    assert!(
        first.ends_with("error: [[criterion]] #2 has no id, and [[criterion]] 'nat' just before it holds nothing but its id and label: one [[criterion]] line too many splits 'nat' in two?"),
        "{e}"
    );
    assert!(
        e.contains(
            "help: delete this [[criterion]] line, so that the keys below it belong to 'nat'"
        ),
        "{e}"
    );
    let bool_number = format!(
        "{base}[[indicator]]\nid = \"ratio\"\nkind = \"bool\"\nformula = \"x * 100\"\n[[criterion]]\nid = \"c\"\ndimension = \"d\"\nindicator = \"ratio\"\npoints = 5\nmethod = \"linear\"\nfloor = 0\ntarget = 10\n"
    );
    let e = try_score(&bool_number, "id,lvl,x\nA,省级,1\n")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(
            "if 'ratio' holds a number, not a yes/no answer, set kind = \"number\" on it instead"
        ),
        "{e}"
    );
}

/// Data mistakes whose first advice looped or would leave a value unscored: a file
/// delimited by the full-width '，' (folded, its header reads as comma-delimited, and
/// --delimiter ',' changes nothing), a tick or 不是 in a yes/no column, and a member-level
/// yes/no indicator under [aggregate] (sum() does not take it).
#[test]
fn data_mistakes_get_advice_that_works() {
    let rules = r#"
[rules]
name = "m"
id = "code"
[[indicator]]
id = "b"
kind = "bool"
column = "标志"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "b"
points = 10
method = "flag"
"#;
    let e = try_score(rules, "code，标志\nA，是\n")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("help: the data's header 'code，标志' is delimited by the full-width '，': replace every '，' in the file with ','"),
        "{e}"
    );
    let e = try_score(rules, "code,标志\nA,√\nB,不是\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("help: \"√\" means 是 here? write 是;"), "{e}");
    assert!(e.contains("help: \"不是\" means 否 here? write 否;"), "{e}");
    let roll = r#"
[rules]
name = "r"
id = "m"
[aggregate]
by = "k"
[[indicator]]
id = "fb"
kind = "bool"
[[indicator]]
id = "n"
aggregate = "count()"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "n"
points = 10
method = "direct"
[[tier]]
id = "t"
requires = ["fb"]
"#;
    let e = try_score(roll, "m,k,fb\nm1,K1,是\n")
        .unwrap_err()
        .to_string();
    // (Not "use it inside an aggregate function": conditions may not call one.)
    assert!(
        e.contains("'fb' is a member-level indicator, and here each entity is read as a whole")
            && e.contains("define an entity-level indicator that aggregates the members' values (e.g. aggregate = \"count(fb)\") and use its id here"),
        "{e}"
    );
    // The advice followed scores.
    let followed = roll.replace(
        "requires = [\"fb\"]",
        "requires = [\"n_fb >= 1\"]\n[[indicator]]\nid = \"n_fb\"\naggregate = \"count(fb)\"",
    );
    let a = try_score(&followed, "m,k,fb\nm1,K1,是\nm2,K2,否\n").unwrap();
    let tiers: Vec<_> = a
        .entities
        .iter()
        .map(|e| (e.id.as_str(), e.tier.as_deref()))
        .collect();
    assert_eq!(tiers, [("K1", Some("t")), ("K2", None)]);
}

/// Advice that looped or pointed elsewhere when followed (audit29_help): `>＝` is `>=`, not
/// `>==`; `in` does not exist; `require` in a tier is `requires`; `[aggregation]` is
/// `[aggregate]`; a full-width comma ending a `key = value` line is deleted, not retyped.
#[test]
fn near_misses_get_the_advice_that_fixes_them() {
    let err = |text: &str| -> String {
        match clusterscore::rules::Rules::from_str(text).and_then(|r| r.compile()) {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(e) => e.to_string(),
        }
    };
    let base = "[rules]\nname = \"m\"\nid = \"id\"\n[[indicator]]\nid = \"revenue\"\n[[dimension]]\nid = \"d\"\n[[criterion]]\nid = \"c\"\ndimension = \"d\"\nindicator = \"revenue\"\npoints = 10\nmethod = \"direct\"\n";
    for (extra, help) in [
        (
            "[[gate]]\nid = \"g\"\nrequire = \"revenue >＝ 10\"\n",
            "help: this is a full-width '='; write '>='",
        ),
        (
            "[[gate]]\nid = \"g\"\nrequire = \"revenue in (1, 2)\"\n",
            "help: there is no 'in': compare with each value and join with 'or'",
        ),
        (
            "[[tier]]\nid = \"t\"\nrequire = [\"revenue >= 1\"]\n",
            "help: did you mean 'requires'?",
        ),
        (
            "[aggregation]\nby = \"k\"\n",
            "help: did you mean 'aggregate'?",
        ),
    ] {
        let e = err(&format!("{base}{extra}"));
        assert!(e.contains(help), "{help:?} not in:\n{e}");
    }
    let e = err("[rules]\nname = \"m\"，\nid = \"id\"\n");
    assert!(
        e.contains("help: delete it: a TOML line ends after its value, with no ',' or '，'"),
        "{e}"
    );
    // Between the elements of a multi-line list (an `==` in a quoted condition is no key's
    // `=`) the separator is needed: retype it.
    let e = err(&format!(
        "{base}[[tier]]\nid = \"t\"\nrequires = [\n  \"revenue == 1\"，\n  \"revenue <= 9\",\n]\n"
    ));
    assert!(e.contains("help: TOML needs the ASCII ','"), "{e}");
    // Two dimensions with labels, the second without its id: no "header too many".
    let e = err(&format!(
        "{base}[[dimension]]\nid = \"a\"\nlabel = \"A\"\n[[dimension]]\nlabel = \"B\"\nweight = 30\n"
    ));
    assert!(!e.contains("line too many"), "{e}");
    assert!(e.contains("is missing the key 'id'"), "{e}");
}

/// Formulas are evaluated a dependency level at a time; when two are refused, the error is
/// still the one a run in formula order meets first: 'b' (second level) before 'c' (first
/// level, later in the file).
#[test]
fn the_first_refused_formula_in_file_order_is_reported() {
    let rules = r#"
[rules]
name = "t"
id = "id"
[[indicator]]
id = "a"
formula = "v * 2"
[[indicator]]
id = "b"
formula = "if(a > 1, t, t)"
[[indicator]]
id = "c"
formula = "t"
[[indicator]]
id = "e"
formula = "a + v"
[[dimension]]
id = "d"
[[criterion]]
id = "k1"
dimension = "d"
indicator = "b"
points = 5
method = "minmax"
[[criterion]]
id = "k2"
dimension = "d"
indicator = "c"
points = 5
method = "minmax"
[[criterion]]
id = "k3"
dimension = "d"
indicator = "e"
points = 5
method = "minmax"
"#;
    let err = try_score(rules, "id,v,t\nA,1,x\nB,2,y\n").unwrap_err();
    assert!(err.contains("indicator 'b' gives a text"), "{err}");
    assert!(!err.contains("indicator 'c'"), "{err}");
    // Without the refused ones, formulas of both levels are computed: e = a + v = 3v.
    let ok = rules
        .replace("if(a > 1, t, t)", "a + 1")
        .replace("formula = \"t\"", "formula = \"e - a\"");
    let a = score(&ok, "id,v,t\nA,1,x\nB,2,y\n");
    assert_relative_eq!(
        entity(&a, "B").criteria["k3"]
            .value
            .as_ref()
            .and_then(|v| v.as_f64())
            .unwrap(),
        6.0
    );
    assert_relative_eq!(
        entity(&a, "B").criteria["k2"]
            .value
            .as_ref()
            .and_then(|v| v.as_f64())
            .unwrap(),
        2.0
    );
}

/// A tier kept from an entity because a missing value left its `requires` unmet is said on
/// the entity, with the value, as a capping gate's failure is; an entity whose score is
/// below the tier, or that took the tier, gets no such note.
#[test]
fn a_tier_requires_left_unmet_by_a_missing_value_is_noted_on_the_entity() {
    let rules = r#"
[rules]
name = "req"
id = "id"
[[indicator]]
id = "x"
[[indicator]]
id = "y"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 10
method = "direct"
[[tier]]
id = "t"
min_score = 5
requires = ["y >= 5"]
[[tier]]
id = "u"
min_score = 1
"#;
    let a = score(rules, "id,x,y\nA,8,\nB,7,6\nC,2,\n");
    assert_eq!(entity(&a, "A").tier.as_deref(), Some("u"));
    assert!(
        entity(&a, "A")
            .notes
            .iter()
            .any(|n| n
                == "tier 't' not given: a missing value left its requires unmet (y = missing)"),
        "{:?}",
        entity(&a, "A").notes
    );
    assert_eq!(entity(&a, "B").tier.as_deref(), Some("t"));
    for id in ["B", "C"] {
        assert!(
            entity(&a, id)
                .notes
                .iter()
                .all(|n| !n.contains("not given")),
            "{id}: {:?}",
            entity(&a, id).notes
        );
    }
}

/// SPEC §10: a name that is no indicator or tier, and near none, gets the list of ids.
#[test]
fn unknown_tie_break_and_cap_tier_list_the_ids() {
    let rules = r#"
[rules]
name = "t"
id = "id"
tie_break = ["nope"]

[[indicator]]
id = "rd"
[[indicator]]
id = "rev"
[[indicator]]
id = "level"
kind = "category"

[[dimension]]
id = "all"

[[criterion]]
id = "c1"
dimension = "all"
indicator = "rd"
points = 10
method = "direct"

[[tier]]
id = "gold"
min_score = 8
[[tier]]
id = "silver"
min_score = 2

[[gate]]
id = "g"
require = "rd > 1"
max_tier = "nope"
"#;
    let e = try_score(rules, "id,rd,rev,level\nA1,3,100,x\n").unwrap_err();
    assert!(
        e.contains("tie_break names 'nope', which is not an indicator")
            && e.contains("name one of the indicators: rd, rev")
            && !e.contains("rd, rev, level"),
        "{e}"
    );
    assert!(
        e.contains("gate 'g' caps at tier 'nope', which is not declared")
            && e.contains("name one of the tiers: gold, silver"),
        "{e}"
    );
    // A near id is still suggested on its own.
    let near = rules
        .replace("[\"nope\"]", "[\"revv\"]")
        .replace("max_tier = \"nope\"", "max_tier = \"silvr\"");
    let e = try_score(&near, "id,rd,rev,level\nA1,3,100,x\n").unwrap_err();
    assert!(
        e.contains("did you mean 'rev'?") && e.contains("did you mean 'silver'?"),
        "{e}"
    );
    assert!(!e.contains("name one of the"), "{e}");
}

/// Two indicators sharing an id are one error: the formula of the second naming the id
/// (`rd / revenue`, meant for the column) is not also called a circular definition.
#[test]
fn a_duplicate_indicator_id_is_not_also_a_cycle() {
    let rules = r#"
[rules]
name = "d"
id = "code"

[[indicator]]
id = "rd"

[[indicator]]
id = "revenue"

[[indicator]]
id = "rd"
formula = "rd / revenue * 100"

[[dimension]]
id = "d"

[[criterion]]
id = "c"
dimension = "d"
indicator = "revenue"
points = 10
method = "minmax"
"#;
    let e = clusterscore::rules::Rules::from_str_named(rules, "r.toml")
        .unwrap()
        .compile()
        .unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("duplicate id 'rd': already used by an indicator on line 7"),
        "{text}"
    );
    assert_eq!(e.diagnostics.len(), 1, "{text}");
}

/// A missing value that left an adjustment unapplied, or that placed an entity after those
/// tied with it, is on that entity's notes, as a gate's or a tier's is (not only in the run's
/// warnings; fuzz46 F8).
#[test]
fn adjustments_and_tie_breaks_decided_by_a_missing_value_are_noted_on_the_entity() {
    let rules = r#"
[rules]
name = "n"
id = "id"
tie_break = ["emp"]

[[indicator]]
id = "x"

[[indicator]]
id = "emp"

[[indicator]]
id = "natl"
kind = "bool"

[[dimension]]
id = "d"

[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 10
method = "linear"
floor = 0
target = 10

[[adjustment]]
id = "a1"
points = 1
when = "natl"
"#;
    // A and B tie on 5 + 1; B lacks emp, so it is placed after A. C lacks natl.
    let a = score(
        rules,
        "id,x,emp,natl\nA,5,10,是\nB,5,,是\nC,5,3,\nD,4,7,否\n",
    );
    let b = entity(&a, "B");
    assert_eq!(b.rank, Some(2));
    assert_eq!(
        b.notes,
        [
            "tie_break: placed after the entities tied with it on score that have a value of 'emp', which it lacks"
        ]
    );
    let c = entity(&a, "C");
    assert_relative_eq!(c.score, 5.0);
    assert_eq!(
        c.notes,
        [
            "adjustment 'a1' (natl) not applied: a missing value left its condition unmet (natl = missing)"
        ]
    );
    assert!(entity(&a, "A").notes.is_empty());
    assert!(entity(&a, "D").notes.is_empty());
}

/// A tie-break value of -0 is the value 0 (the ranking sorts them as one): an entity with 0
/// and one with -0 agree on that key, so a missing later key decides, and is said (regr46).
#[test]
fn a_negative_zero_tie_break_value_agrees_with_zero() {
    let rules = r#"
[rules]
name = "z"
id = "id"
tie_break = ["z", "t"]

[[indicator]]
id = "s"

[[indicator]]
id = "z"

[[indicator]]
id = "t"

[[dimension]]
id = "d"

[[criterion]]
id = "c"
dimension = "d"
indicator = "s"
points = 10
method = "linear"
floor = 0
target = 10
"#;
    let a = score(rules, "id,s,z,t\na,5,0,5\nc,5,-0,\n");
    let c = entity(&a, "c");
    assert_eq!(c.rank, Some(2));
    assert_eq!(
        c.notes,
        [
            "tie_break: placed after the entities tied with it on score that have a value of 't', which it lacks"
        ]
    );
    assert!(
        a.warnings
            .iter()
            .any(|w| w.starts_with("tie_break: 1 entity")),
        "{:?}",
        a.warnings
    );
}
