//! Analyses: explain's gap analysis, compare's rank correlations, sensitivity's reproducibility.

use super::support::{root, score};
use approx::assert_relative_eq;
use assert_cmd::Command;
use clusterscore::analysis::explain::{explain, find_entity};
use clusterscore::rules::Rules;

fn bin() -> Command {
    Command::cargo_bin("clusterscore").unwrap()
}

/// `explain --id ID --format json` on `rules` and `data` (written as r.toml and d.csv in a
/// fresh directory): the document, after a successful run.
fn explain_json(rules: &str, data: &str, id: &str) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("r.toml"), rules).unwrap();
    std::fs::write(dir.path().join("d.csv"), data).unwrap();
    let out = bin()
        .current_dir(dir.path())
        .args([
            "explain", "--rules", "r.toml", "--data", "d.csv", "--id", id, "--format", "json",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    serde_json::from_slice(&out.stdout).unwrap()
}

const BANDS: &str = r#"
[rules]
name = "gap"
id = "id"
[[indicator]]
id = "sales"
[[dimension]]
id = "d"
[[criterion]]
id = "sales_band"
dimension = "d"
indicator = "sales"
points = 10
method = "bands"
bands = [{ at_least = 50, points = 10 }, { at_least = 20, points = 5 }]
[[tier]]
id = "top"
min_score = 10
"#;

#[test]
fn explain_gap_names_the_next_band_edge() {
    let a = score(BANDS, "id,sales\nA,40\nB,60\n");
    let rules = Rules::from_str_named(BANDS, "rules.toml").unwrap();
    let (k, _) = find_entity(&a, "A").unwrap();
    let x = explain(&rules, &a, k).unwrap();
    assert_eq!(x.score, 5.0);
    assert_eq!(x.tier, None);
    let gap = x.gap.expect("untiered entity has a gap to the lowest tier");
    assert_eq!(gap.target_tier, "top");
    assert_eq!(gap.points_missing, 5.0);
    let o = &gap.options[0];
    assert_eq!(o.criterion, "sales_band");
    assert_eq!(o.to, serde_json::json!(50.0));
    assert_eq!(o.change, Some(10.0));
    assert_eq!(o.score_gained, 5.0);
    assert_eq!(o.tier_after.as_deref(), Some("top"));
    assert!(o.reaches_target);
    // The tier trace says why.
    assert!(
        x.tier_trace[0]
            .reasons
            .iter()
            .any(|r| r.contains("score 5 < min_score 10"))
    );
}

#[test]
fn explain_linear_gap_is_the_slope_capped_at_target() {
    let rules = r#"
[rules]
name = "lin"
id = "id"
[[indicator]]
id = "rd"
[[dimension]]
id = "d"
[[criterion]]
id = "rd_level"
dimension = "d"
indicator = "rd"
points = 10
method = "linear"
floor = 2
target = 5
[[tier]]
id = "top"
min_score = 8
"#;
    // rd 3 → 3.33 points; 8 points need rd = 2 + 0.8 × 3 = 4.4 before rounding, but the
    // published score is rounded (2 decimals), so 7.995 → 8.00 already: rd = 2 + 0.7995 × 3.
    let a = score(rules, "id,rd\nA,3\n");
    let r = Rules::from_str_named(rules, "rules.toml").unwrap();
    let x = explain(&r, &a, 0).unwrap();
    let o = &x.gap.unwrap().options[0];
    assert!((o.to.as_f64().unwrap() - 4.3985).abs() < 1e-6, "{:?}", o.to);
    assert!((o.slope.unwrap() - 10.0 / 3.0).abs() < 1e-12);
    assert_eq!(o.score_after, 8.0);
}

#[test]
fn explain_gap_value_scores_as_promised_when_fed_back() {
    // rd 2 → 4.2485 gives 7.495 points; with the 2.5 already held the score is 9.995, which
    // publishes as 10.00 and reaches the tier. The bisection's value mapped back through
    // floating point was 4.248499999999997, which the engine scores 9.99, untiered.
    let rules = r#"
[rules]
name = "lin"
id = "id"
decimals = 2
[[indicator]]
id = "rd"
[[indicator]]
id = "base"
[[dimension]]
id = "d"
[[criterion]]
id = "rd_c"
dimension = "d"
indicator = "rd"
points = 10
method = "linear"
floor = 2
target = 5
[[criterion]]
id = "base_c"
dimension = "d"
indicator = "base"
points = 5
method = "direct"
[[tier]]
id = "b"
min_score = 10
"#;
    let a = score(rules, "id,rd,base\nA,2,2.5\n");
    let r = Rules::from_str_named(rules, "rules.toml").unwrap();
    let x = explain(&r, &a, 0).unwrap();
    let o = &x.gap.unwrap().options[0];
    assert_eq!(o.criterion, "rd_c");
    assert_eq!(o.to, serde_json::json!(4.2485));
    assert_eq!(o.change, Some(2.2485));
    assert_eq!(o.score_after, 10.0);
    assert_eq!(o.tier_after.as_deref(), Some("b"));
    let fed_back = score(rules, "id,rd,base\nA,4.2485,2.5\n");
    assert_eq!(fed_back.entities[0].score, 10.0);
    assert_eq!(fed_back.entities[0].tier.as_deref(), Some("b"));
}

#[test]
fn explain_cli_unknown_id_is_exit_1_with_did_you_mean() {
    bin()
        .args(["explain", "--rules"])
        .arg(root().join("rules/liaocheng-benchmark.toml"))
        .arg("--data")
        .arg(root().join("fixtures/liaocheng-2023.csv"))
        .args(["--id", "LC3"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("did you mean 'LC03'"));
    // Zero padding beats a closer spelling (LC14), and a cluster's name points at its id.
    for (given, hint) in [
        ("LC1", "did you mean 'LC01'"),
        (
            "临清市轴承产业集群",
            "'LC01' is named '临清市轴承产业集群': did you mean --id LC01",
        ),
        ("轴承", "did you mean --id LC01"),
        // Shortened as people say it: its characters in order.
        ("临清轴承", "did you mean --id LC01"),
    ] {
        bin()
            .args(["explain", "--rules"])
            .arg(root().join("rules/liaocheng-benchmark.toml"))
            .arg("--data")
            .arg(root().join("fixtures/liaocheng-2023.csv"))
            .args(["--id", given])
            .assert()
            .code(1)
            .stderr(predicates::str::contains(hint));
    }
    // An id pasted with spaces around it is pointed at its entity.
    bin()
        .args(["explain", "--rules"])
        .arg(root().join("rules/liaocheng-benchmark.toml"))
        .arg("--data")
        .arg(root().join("fixtures/liaocheng-2023.csv"))
        .args(["--id", " LC12 "])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("did you mean 'LC12'"));
    bin()
        .args(["explain", "--rules"])
        .arg(root().join("rules/liaocheng-benchmark.toml"))
        .arg("--data")
        .arg(root().join("fixtures/liaocheng-2023.csv"))
        .args(["--id", "LC03", "--format", "json"])
        .assert()
        .success()
        .stdout(predicates::str::contains("\"gap\""));
}

/// The gap table's rates and gains as a reader takes them in: points per unit to four
/// significant digits, and a gain that is a loss (a value other rules also read) signed once.
#[test]
fn explain_gap_text_shows_short_rates_and_signed_losses() {
    let out = bin()
        .args(["explain", "--rules"])
        .arg(root().join("rules/liaocheng-benchmark.toml"))
        .arg("--data")
        .arg(root().join("fixtures/liaocheng-2023.csv"))
        .args(["--id", "LC15"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    // rd_level: 10 points over 2..5 %; service_platform_count: 4 points up to 6.
    assert!(
        text.contains("the target 5 (full points); 3.333 pts per unit"),
        "{text}"
    );
    assert!(
        text.contains("the target 6 (full points); 0.6667 pts per unit"),
        "{text}"
    );
    // sales_band: a higher revenue lowers rd_intensity (rd / revenue): the score falls.
    let sales = text
        .lines()
        .find(|l| l.starts_with("│ sales_band ") && l.contains("at least 100"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(sales.contains("┆ 35.36       ┆ -4.16 ┆"), "{sales}");
    assert!(!text.contains("+-"), "{text}");
}

fn result_json(rows: &[(&str, Option<u64>, Option<&str>)]) -> String {
    let entities: Vec<serde_json::Value> = rows
        .iter()
        .map(|(id, rank, tier)| {
            // (A score that falls with the rank, so equal ranks are equal scores.)
            let score = rank.map_or(0.0, |r| 100.0 - r as f64);
            serde_json::json!({"id": id, "rank": rank, "score": score, "tier": tier})
        })
        .collect();
    serde_json::json!({"summary": {"tiers": [{"id": "gold"}, {"id": "silver"}]}, "entities": entities})
        .to_string()
}

#[test]
fn compare_results_with_ties_by_hand() {
    // Ranks with ties (cohorts): A = 1 2 2 3, B = 1 3 2 2.
    // Average ranks A: 1 2.5 2.5 4; B: 1 4 2.5 2.5 → ρ = 2.25 / √(4.5·4.5) = 0.5.
    // Pairs: C = 3, D = 1, ties in A 1, ties in B 1 → τ-b = 2 / √(5·5) = 0.4.
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.json");
    let b = dir.path().join("b.json");
    std::fs::write(
        &a,
        result_json(&[
            ("e1", Some(1), Some("gold")),
            ("e2", Some(2), Some("silver")),
            ("e3", Some(2), None),
            ("e4", Some(3), None),
            ("e5", None, None),
        ]),
    )
    .unwrap();
    std::fs::write(
        &b,
        result_json(&[
            ("e1", Some(1), Some("gold")),
            ("e2", Some(3), None),
            ("e3", Some(2), Some("silver")),
            ("e4", Some(2), None),
        ]),
    )
    .unwrap();
    let compare = |format: &str| {
        bin()
            .args(["compare", "--format", format, "--results"])
            .arg(&a)
            .arg("--results")
            .arg(&b)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone()
    };
    let v: serde_json::Value = serde_json::from_slice(&compare("json")).unwrap();
    assert!((v["spearman"].as_f64().unwrap() - 0.5).abs() < 1e-12);
    assert!((v["kendall_tau_b"].as_f64().unwrap() - 0.4).abs() < 1e-12);
    assert_eq!(v["ranked_in_both"], 4);
    assert_eq!(v["only_in_a"], serde_json::json!(["e5"]));
    // gold→gold 1, silver→untiered 1, untiered→silver 1, untiered→untiered 1; e5, excluded
    // in A and absent from B, in the (absent) column, so that each row sums to A's count.
    assert_eq!(
        v["tiers"],
        serde_json::json!(["gold", "silver", "(untiered)", "(excluded)", "(absent)"])
    );
    assert_eq!(
        v["matrix"],
        serde_json::json!([
            [1, 0, 0, 0, 0],
            [0, 0, 1, 0, 0],
            [0, 1, 1, 0, 0],
            [0, 0, 0, 0, 1],
            [0, 0, 0, 0, 0]
        ])
    );
    // The text report names the entities on one side only.
    let text = String::from_utf8(compare("text")).unwrap();
    assert!(
        text.contains("; only in A: 1 (e5), only in B: 0\n"),
        "{text}"
    );
    assert!(text.contains("(absent)"), "{text}");
    assert_eq!(v["tier_changes"].as_array().unwrap().len(), 2);
    // e2 silver → untiered, e3 untiered → silver.
    assert_eq!(v["tier_changes"][0]["direction"], "down");
    assert_eq!(v["tier_changes"][1]["direction"], "up");

    // The same file saved again with a byte-order mark (Notepad), and as UTF-16 (WPS): the
    // same comparison.
    let text = std::fs::read_to_string(&b).unwrap();
    let with_bom = dir.path().join("b_bom.json");
    std::fs::write(&with_bom, format!("\u{feff}{text}")).unwrap();
    let utf16 = dir.path().join("b_utf16.json");
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
    std::fs::write(&utf16, bytes).unwrap();
    for other in [&with_bom, &utf16] {
        let again = bin()
            .args(["compare", "--format", "json", "--results"])
            .arg(&a)
            .arg("--results")
            .arg(other)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let w: serde_json::Value = serde_json::from_slice(&again).unwrap();
        assert_eq!(w["spearman"], v["spearman"]);
        assert_eq!(w["matrix"], v["matrix"]);
    }
}

#[test]
fn compare_orders_differently_named_tiers_by_their_place_from_the_top() {
    // A: top ≥ 9, mid ≥ 5 on sa; B: gold ≥ 8, silver ≥ 5 on sb. Tiers by hand:
    // A: A top, B top, C mid, D mid, E untiered; B: A gold, B gold, C gold, D untiered,
    // E silver. C goes from A's second tier to B's first: up; A and B stay first: no
    // direction; D leaves its tier: down; E gains one: up.
    let dir = tempfile::tempdir().unwrap();
    let rules = |name: &str, col: &str, tiers: [(&str, u32); 2]| {
        let path = dir.path().join(name);
        let mut text = format!(
            "[rules]\nname = \"{name}\"\nid = \"code\"\n[[indicator]]\nid = \"{col}\"\n\
             [[dimension]]\nid = \"d\"\n[[criterion]]\nid = \"c\"\ndimension = \"d\"\n\
             indicator = \"{col}\"\npoints = 100\nmethod = \"direct\"\n"
        );
        for (id, min) in tiers {
            text.push_str(&format!("[[tier]]\nid = \"{id}\"\nmin_score = {min}\n"));
        }
        std::fs::write(&path, text).unwrap();
        path
    };
    let a = rules("a.toml", "sa", [("top", 9), ("mid", 5)]);
    let b = rules("b.toml", "sb", [("gold", 8), ("silver", 5)]);
    let data = dir.path().join("d.csv");
    std::fs::write(&data, "code,sa,sb\nA,10,8\nB,9,10\nC,7,8\nD,5,3\nE,2,5\n").unwrap();
    let run = |format: &str| {
        let out = bin()
            .args(["compare", "--format", format, "--rules"])
            .arg(&a)
            .arg("--rules")
            .arg(&b)
            .arg("--data")
            .arg(&data)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        String::from_utf8(out).unwrap()
    };
    let v: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    let moves: Vec<(String, String, String, serde_json::Value)> = v["tier_changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap().to_string();
            (s("id"), s("from"), s("to"), c["direction"].clone())
        })
        .collect();
    let want = |id: &str, from: &str, to: &str, d: serde_json::Value| {
        (id.to_string(), from.to_string(), to.to_string(), d)
    };
    assert_eq!(
        moves,
        [
            want("A", "top", "gold", serde_json::Value::Null),
            want("B", "top", "gold", serde_json::Value::Null),
            want("C", "mid", "gold", "up".into()),
            want("D", "mid", "(untiered)", "down".into()),
            want("E", "(untiered)", "silver", "up".into()),
        ]
    );
    let text = run("text");
    let line = |id: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("│ {id} ")))
            .unwrap_or_else(|| panic!("no row for {id}: {text}"))
            .to_string()
    };
    assert!(line("C").contains("┆ up "), "{text}");
    assert!(
        !line("A").contains("down") && !line("A").contains("up"),
        "{text}"
    );
    assert!(line("D").contains("┆ down "), "{text}");
}

#[test]
fn explain_names_an_unmet_direct_condition_and_a_score_past_the_criteria_maximum() {
    // t1 needs 20 or b; A scores 2.5 + 5 + 0 = 7.5 with b false. Z scores 10 + 10 + 5 = 25
    // of the criteria's 25, plus the +2 adjustment for b: 27.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("r.toml"), RULES_WITH_DIRECT).unwrap();
    std::fs::write(
        dir.path().join("d.csv"),
        "code,name,x,y,b,g\nA,甲,1,7,否,0\nZ,乙,4,10,是,0\n",
    )
    .unwrap();
    let explain = |id: &str| {
        let out = bin()
            .current_dir(dir.path())
            .args([
                "explain", "--rules", "r.toml", "--data", "d.csv", "--id", id,
            ])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        String::from_utf8(out).unwrap()
    };
    let a = explain("A");
    assert!(
        a.contains("✘ 一档 (t1): score 7.5 < min_score 20 (short by 12.5); no direct condition holds (b): min_score not waived\n"),
        "{a}"
    );
    assert!(a.contains("\nscore 7.5 of 25 · rank 2 of 2"), "{a}");
    let z = explain("Z");
    assert!(
        z.contains("\nscore 27 (the criteria give at most 25; adjustments added) · rank 1 of 2"),
        "{z}"
    );
}

const RULES_WITH_DIRECT: &str = r#"[rules]
name = "explain test"
id = "code"
label = "name"

[[indicator]]
id = "x"
[[indicator]]
id = "y"
[[indicator]]
id = "b"
kind = "bool"
[[indicator]]
id = "g"

[[dimension]]
id = "d"

[[criterion]]
id = "ca"
dimension = "d"
indicator = "x"
points = 10
method = "linear"
floor = 0
target = 4

[[criterion]]
id = "cc"
dimension = "d"
indicator = "y"
points = 10
method = "bands"
bands = [{ at_least = 10, points = 10 }, { at_least = 5, points = 5 }]

[[criterion]]
id = "cb"
dimension = "d"
indicator = "b"
points = 5
method = "flag"

[[gate]]
id = "gg"
label = "无事故"
require = "g == 0"

[[adjustment]]
id = "adj"
when = "b"
points = 2

[[tier]]
id = "t1"
label = "一档"
min_score = 20
direct = ["b"]

[[tier]]
id = "t2"
label = "二档"
min_score = 5
"#;

#[test]
fn compare_correlates_only_entities_ranked_in_both_with_their_ties() {
    // A scores sa: A 10, B 9, E 8, C 7, D 5. B scores sb with a gate that excludes E:
    // B 10, A 8, C 8, D 3. Ranked in both: A, B, C, D, re-ranked with ties:
    // A-side 1, 2, 3, 4; B-side A 2.5, B 1, C 2.5, D 4.
    // ρ = Σxy / √(Σx²Σy²) = 3 / √(5 · 4.5) = 3/√22.5 = 0.632456;
    // τ-b: concordant 4 (AD, BC, BD, CD), discordant 1 (AB), one tie in B (AC):
    // (4 − 1) / √(6 · 5) = 3/√30 = 0.547723.
    let dir = tempfile::tempdir().unwrap();
    let rules = |name: &str, col: &str, gate: bool| {
        let mut text = format!(
            "[rules]\nname = \"{name}\"\nid = \"code\"\n[[indicator]]\nid = \"{col}\"\n\
             [[indicator]]\nid = \"g\"\n[[dimension]]\nid = \"d\"\n[[criterion]]\nid = \"c\"\n\
             dimension = \"d\"\nindicator = \"{col}\"\npoints = 100\nmethod = \"direct\"\n\
             [[tier]]\nid = \"top\"\nmin_score = 9\n[[tier]]\nid = \"mid\"\nmin_score = 5\n"
        );
        if gate {
            text.push_str("[[gate]]\nid = \"veto\"\nrequire = \"g == 0\"\n");
        }
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let (a, b) = (rules("a.toml", "sa", false), rules("b.toml", "sb", true));
    let data = dir.path().join("d.csv");
    std::fs::write(
        &data,
        "code,sa,sb,g\nA,10,8,0\nB,9,10,0\nC,7,8,0\nD,5,3,0\nE,8,9,1\n",
    )
    .unwrap();
    let out = bin()
        .args(["compare", "--format", "json", "--rules"])
        .arg(&a)
        .arg("--rules")
        .arg(&b)
        .arg("--data")
        .arg(&data)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["ranked_in_both"], 4);
    assert_eq!(v["common"], 5);
    assert_relative_eq!(
        v["spearman"].as_f64().unwrap(),
        3.0 / 22.5f64.sqrt(),
        max_relative = 1e-12
    );
    assert_relative_eq!(
        v["kendall_tau_b"].as_f64().unwrap(),
        3.0 / 30f64.sqrt(),
        max_relative = 1e-12
    );
    // E: mid (8) under A, excluded under B — down.
    let e = v["tier_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "E")
        .unwrap();
    assert_eq!(
        (e["from"].as_str(), e["to"].as_str()),
        (Some("mid"), Some("(excluded)"))
    );
    assert_eq!(e["direction"], "down");
}

fn sensitivity(extra: &[&str]) -> assert_cmd::assert::Assert {
    bin()
        .args(["sensitivity", "--rules"])
        .arg(root().join("rules/liaocheng-benchmark.toml"))
        .arg("--data")
        .arg(root().join("fixtures/liaocheng-2023.csv"))
        .args(extra)
        .assert()
}

#[test]
fn sensitivity_is_reproducible_across_thread_counts() {
    let run = |threads: &str, seed: &str| {
        sensitivity(&[
            "--runs",
            "300",
            "--seed",
            seed,
            "--format",
            "json",
            "--threads",
            threads,
        ])
        .success()
        .get_output()
        .stdout
        .clone()
    };
    let one = run("1", "7");
    assert_eq!(one, run("2", "7"));
    assert_eq!(one, run("1", "7"));
    assert_ne!(one, run("1", "8"));
    let v: serde_json::Value = serde_json::from_slice(&one).unwrap();
    assert_eq!(v["runs"], 300);
    assert_eq!(v["entities"].as_array().unwrap().len(), 27);
    for e in v["entities"].as_array().unwrap() {
        let p: f64 = e["tier_probability"]
            .as_object()
            .unwrap()
            .values()
            .map(|x| x.as_f64().unwrap())
            .sum();
        assert!((p - 1.0).abs() < 1e-9);
        assert!(e["rank_p05"].as_u64() <= e["median_rank"].as_u64());
        assert!(e["median_rank"].as_u64() <= e["rank_p95"].as_u64());
    }
}

#[test]
fn sensitivity_runs_out_logs_every_replication() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("runs.csv");
    sensitivity(&[
        "--runs",
        "20",
        "--vary",
        "aggregation",
        "--runs-out",
        out.to_str().unwrap(),
    ])
    .success();
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), 21);
    assert!(text.starts_with("run,aggregation,weight.scale"));
    // Weights keep their total (100).
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let total: f64 = f[2..7].iter().map(|x| x.parse::<f64>().unwrap()).sum();
        assert!((total - 100.0).abs() < 1e-9);
    }
}

#[test]
fn sensitivity_without_tiers_or_rank_changes_reports_exact_values() {
    // A dominates B dominates C on both dimensions: no weight draw changes the ranking, so
    // the mean ρ is exactly 1; with no tiers there is no top tier to keep (null, not 0 %).
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("r.toml");
    let data = dir.path().join("d.csv");
    std::fs::write(
        &rules,
        r#"
[rules]
name = "no tiers"
id = "id"
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
method = "linear"
floor = 0
target = 10
[[criterion]]
id = "cy"
dimension = "dy"
indicator = "y"
points = 10
method = "linear"
floor = 0
target = 10
"#,
    )
    .unwrap();
    std::fs::write(&data, "id,x,y\nA,9,9\nB,5,6\nC,1,2\nD,3,4\n").unwrap();
    let out = bin()
        .args([
            "sensitivity",
            "--runs",
            "200",
            "--format",
            "json",
            "--rules",
        ])
        .arg(&rules)
        .arg("--data")
        .arg(&data)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["mean_spearman"], serde_json::json!(1.0));
    assert_eq!(v["top_tier"], serde_json::Value::Null);
    assert_eq!(v["top_tier_unchanged"], serde_json::Value::Null);
    let text = bin()
        .args(["sensitivity", "--runs", "20", "--rules"])
        .arg(&rules)
        .arg("--data")
        .arg(&data)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("no tiers: no top tier to keep"), "{text}");
    assert!(text.contains("ρ to the base ranking: 1.0000"), "{text}");
}

#[test]
fn sensitivity_bounds_are_usage_errors() {
    for bad in [
        vec!["--weight-noise", "0"],
        vec!["--weight-noise", "1"],
        vec!["--weight-noise", "1.5"],
        vec!["--runs", "0"],
        vec!["--vary", "dims"],
    ] {
        sensitivity(&bad).code(2);
    }
    sensitivity(&["--weight-noise=-0.1"]).code(2);
}

mod weights_command {
    use assert_cmd::Command;

    fn bin() -> Command {
        Command::cargo_bin("clusterscore").unwrap()
    }

    const MATRIX: &str = "items = [\"scale\", \"innovation\", \"digital\"]\nmatrix = [[1, 4, 3], [\"1/4\", 1, 2], [\"1/3\", \"1/2\", 1]]\n";

    #[test]
    fn ahp_table_choice_decides_refusal() {
        // CI = 0.053923: CR = 0.0930 with Saaty's RI 0.58, 0.1037 with the textbook's 0.52.
        let dir = tempfile::tempdir().unwrap();
        let m = dir.path().join("m.toml");
        std::fs::write(&m, MATRIX).unwrap();
        let out = bin().args(["weights", "--ahp"]).arg(&m).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        assert!(String::from_utf8_lossy(&out.stdout).contains("saaty"));
        let out = bin()
            .args(["weights", "--ri", "textbook", "--ahp"])
            .arg(&m)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("inconsistent"));
        bin()
            .args([
                "weights",
                "--ri",
                "textbook",
                "--allow-inconsistent",
                "--ahp",
            ])
            .arg(&m)
            .assert()
            .code(0);
    }

    #[test]
    fn ahp_priority_flag_takes_the_textbook_approximation() {
        let dir = tempfile::tempdir().unwrap();
        let m = dir.path().join("m.toml");
        std::fs::write(&m, MATRIX).unwrap();
        let json = |priority: &str| -> serde_json::Value {
            let out = bin()
                .args([
                    "weights",
                    "--format",
                    "json",
                    "--priority",
                    priority,
                    "--ahp",
                ])
                .arg(&m)
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(0), "{priority}");
            serde_json::from_slice(&out.stdout).unwrap()
        };
        // 和积法 by hand: the column sums are 19/12, 11/2 and 6; each row's shares averaged.
        let col = json("和积法");
        assert_eq!(col["priority"], "column-average");
        let w = col["weights"].as_array().unwrap();
        let by_hand = [
            (12.0 / 19.0 + 4.0 / 5.5 + 3.0 / 6.0) / 3.0,
            (3.0 / 19.0 + 1.0 / 5.5 + 2.0 / 6.0) / 3.0,
            (4.0 / 19.0 + 0.5 / 5.5 + 1.0 / 6.0) / 3.0,
        ];
        for (got, want) in w.iter().zip(by_hand) {
            approx::assert_relative_eq!(got.as_f64().unwrap(), want, epsilon = 1e-12);
        }
        // 方根法 by hand: cube roots of the row products 12, 1/2 and 1/6, normalised.
        let geo = json("geometric-mean");
        let g = [12f64.cbrt(), 0.5f64.cbrt(), (1.0f64 / 6.0).cbrt()];
        let total: f64 = g.iter().sum();
        approx::assert_relative_eq!(
            geo["weights"][0].as_f64().unwrap(),
            g[0] / total,
            epsilon = 1e-12
        );
        assert_eq!(json("eigenvector")["priority"], "eigenvector");
        let out = bin()
            .args(["weights", "--priority", "mean", "--ahp"])
            .arg(&m)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("unknown --priority 'mean'"));
    }

    /// Flags of the other form of `weights` are not silently dropped: each says it was not
    /// used, and the run goes on (as `--sheet` with CSV data does).
    #[test]
    fn weights_says_which_flags_it_did_not_use() {
        let dir = tempfile::tempdir().unwrap();
        let (m, rules, data) = (
            dir.path().join("m.toml"),
            dir.path().join("r.toml"),
            dir.path().join("d.csv"),
        );
        std::fs::write(&m, MATRIX).unwrap();
        std::fs::write(
            &rules,
            "[rules]\nname = \"t\"\nid = \"code\"\n[[indicator]]\nid = \"x\"\n[[indicator]]\nid = \"y\"\n\
             [[dimension]]\nid = \"d\"\n[[criterion]]\nid = \"a\"\ndimension = \"d\"\nindicator = \"x\"\n\
             points = 1\nmethod = \"minmax\"\n[[criterion]]\nid = \"b\"\ndimension = \"d\"\nindicator = \"y\"\n\
             points = 1\nmethod = \"minmax\"\n",
        )
        .unwrap();
        std::fs::write(&data, "code,x,y\nA,1,5\nB,2,3\nC,4,4\n").unwrap();
        let stderr = |args: &[&str]| -> String {
            let out = bin()
                .args(args)
                .arg("--rules")
                .arg(&rules)
                .arg("--data")
                .arg(&data)
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(0), "{args:?}");
            String::from_utf8(out.stderr).unwrap()
        };
        let ahp = stderr(&["weights", "--ahp", m.to_str().unwrap()]);
        assert!(
            ahp.contains("note: --rules and --data are not read with --ahp"),
            "{ahp}"
        );
        let entropy = stderr(&[
            "weights",
            "--method",
            "entropy",
            "--level",
            "criteria",
            "--allow-inconsistent",
        ]);
        assert!(
            entropy.contains("note: --allow-inconsistent applies to --ahp only"),
            "{entropy}"
        );
        assert!(
            entropy.contains("note: --level says which weights --write replaces"),
            "{entropy}"
        );
        // Used flags draw no note.
        let plain = stderr(&["weights", "--method", "critic"]);
        assert!(!plain.contains("note:"), "{plain}");
    }

    /// Rules with one criterion get weight 1 from either method, with a warning that the
    /// data decided nothing (audit38_analysis: silent, while other degenerate cases warn).
    #[test]
    fn objective_weights_of_a_single_criterion_are_warned_of() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for method in ["critic", "entropy"] {
            let out = bin()
                .args(["weights", "--method", method, "--rules"])
                .arg(root.join("rules/miit-sme-cluster.toml"))
                .arg("--data")
                .arg(root.join("fixtures/sme-clusters-2023.csv"))
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(0));
            let e = String::from_utf8(out.stderr).unwrap();
            assert!(
                e.contains(&format!("warning: the rules have one criterion, 'output_level': its weight is 1 whatever the data, so --method {method} tells nothing about it")),
                "{e}"
            );
        }
    }

    /// A judgement off Saaty's 1/9–9 scale is used but warned of, with where it is written
    /// (audit38_analysis: 15 and 1e300 passed silently; with two items CR is always 0).
    #[test]
    fn ahp_judgements_off_the_scale_are_warned_of() {
        let dir = tempfile::tempdir().unwrap();
        let m = dir.path().join("m.toml");
        let run = |matrix: &str| {
            std::fs::write(&m, format!("items = [\"a\", \"b\"]\nmatrix = {matrix}\n")).unwrap();
            let out = bin().args(["weights", "--ahp"]).arg(&m).output().unwrap();
            assert_eq!(out.status.code(), Some(0), "{out:?}");
            String::from_utf8(out.stderr).unwrap()
        };
        let e = run("[[1, 15], [\"1/15\", 1]]");
        assert!(
            e.contains("warning: a judgement is outside Saaty's scale of 1/9 to 9: a vs b = 15 (")
                && e.contains("m.toml:2:15); the weights use it as written"),
            "{e}"
        );
        assert!(run("[[1, \"1e300\"], [\"1/1e300\", 1]]").contains("a vs b = 1e300"));
        assert_eq!(run("[[1, 9], [\"1/9\", 1]]"), "");
        // 0.111 is the usual way to write 1/9.
        assert_eq!(run("[[1, 0.111], [\"1/0.111\", 1]]"), "");
        // A reciprocal printed rounded is read as the exact one, and said.
        assert_eq!(
            run("[[1, 3], [0.333, 1]]"),
            "warning: row 2, column 1 (b vs a) written 0.333 is read as 1/3, the reciprocal of row 1, column 2 (a vs b) = 3\n"
        );
    }

    #[test]
    fn a_consistency_ratio_just_below_the_limit_is_not_shown_as_the_limit() {
        // CR = 0.0999899 (Saaty RI 0.90): rounded to four decimals it would read 0.1000 next
        // to "consistent (CR < 0.1)".
        let dir = tempfile::tempdir().unwrap();
        let m = dir.path().join("m.toml");
        std::fs::write(
            &m,
            "items = [\"a\", \"b\", \"c\", \"d\"]\nmatrix = [[1, 3, \"1/5\", 5], [\"1/3\", 1, \"1/7\", 4], [5, 7, 1, 8], [\"1/5\", \"1/4\", \"1/8\", 1]]\n",
        )
        .unwrap();
        let out = bin().args(["weights", "--ahp"]).arg(&m).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("CR = 0.0999 — consistent (CR < 0.1)"),
            "{text}"
        );
    }

    #[test]
    fn ahp_written_into_rules_keeps_comments() {
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let rules = root.join("rules/liaocheng-benchmark.toml");
        let original = std::fs::read_to_string(&rules).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let m = dir.path().join("m.toml");
        std::fs::write(
            &m,
            "items = [\"scale\", \"innovation\"]\nmatrix = [[1, \"1/3\"], [3, 1]]\n",
        )
        .unwrap();
        let out = dir.path().join("new.toml");
        let run = bin()
            .args(["weights", "--ahp"])
            .arg(&m)
            .arg("--write-into")
            .arg(&rules)
            .args(["--level", "dimensions", "--write"])
            .arg(&out)
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(0));
        let new = std::fs::read_to_string(&out).unwrap();
        // the header comment survives, and scale : innovation is now 1 : 3 of their old total
        assert_eq!(new.lines().next(), original.lines().next());
        let compiled = clusterscore::rules::Rules::from_path(&out)
            .unwrap()
            .compile()
            .unwrap();
        let w = |id: &str| {
            compiled
                .rules()
                .dimension(id)
                .unwrap()
                .weight
                .as_ref()
                .unwrap()
                .value
        };
        let old = clusterscore::rules::Rules::from_path(&rules).unwrap();
        let ow = |id: &str| old.dimension(id).unwrap().weight.as_ref().unwrap().value;
        let total = ow("scale") + ow("innovation");
        approx::assert_relative_eq!(w("scale"), total * 0.25, epsilon = 1e-6);
        approx::assert_relative_eq!(w("innovation"), total * 0.75, epsilon = 1e-6);
        approx::assert_relative_eq!(w("digital"), ow("digital"));
        // The file's numbers are the AHP weights times what the two had: said so (pub45 G3).
        let said = String::from_utf8_lossy(&run.stderr);
        assert!(
            said.contains(&format!(
                "wrote {}: each dimension's weight as its AHP weight × {}, the weights the compared dimensions had in all (criterion points kept)",
                out.display(),
                total
            )),
            "{said}"
        );
        // --write-into needs --level; writing over an input is refused
        bin()
            .args(["weights", "--ahp"])
            .arg(&m)
            .arg("--write-into")
            .arg(&rules)
            .assert()
            .code(2);
        bin()
            .args(["weights", "--ahp"])
            .arg(&m)
            .arg("--write-into")
            .arg(&rules)
            .args(["--level", "dimensions", "--write"])
            .arg(&rules)
            .assert()
            .code(2);
    }

    /// With `--write-into` and no `--write` the rules file goes to stdout: stdout must be
    /// that file alone (the weights report goes to stderr), so it can be redirected into a
    /// rules file. A refusal prints nothing on stdout.
    #[test]
    fn ahp_rules_on_stdout_are_a_rules_file_alone() {
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let rules = root.join("rules/liaocheng-benchmark.toml");
        let dir = tempfile::tempdir().unwrap();
        let m = dir.path().join("m.toml");
        std::fs::write(
            &m,
            "items = [\"scale\", \"innovation\"]\nmatrix = [[1, \"1/3\"], [3, 1]]\n",
        )
        .unwrap();
        for format in ["text", "json"] {
            let out = bin()
                .args(["weights", "--format", format, "--ahp"])
                .arg(&m)
                .arg("--write-into")
                .arg(&rules)
                .args(["--level", "dimensions"])
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(0), "{format}");
            let stdout = String::from_utf8(out.stdout).unwrap();
            let stderr = String::from_utf8(out.stderr).unwrap();
            assert!(
                !stdout.contains("λmax") && !stdout.contains("lambda_max"),
                "{stdout}"
            );
            assert!(
                stderr.contains("λmax") || stderr.contains("lambda_max"),
                "{stderr}"
            );
            let written = clusterscore::rules::Rules::from_str_named(&stdout, "stdout.toml")
                .unwrap()
                .compile()
                .unwrap();
            assert!(written.rules().dimension("scale").is_some());
        }
        // Refused (unknown item, inconsistent matrix): stdout stays empty.
        std::fs::write(
            &m,
            "items = [\"scale\", \"inovation\"]\nmatrix = [[1, \"1/3\"], [3, 1]]\n",
        )
        .unwrap();
        let out = bin()
            .args(["weights", "--ahp"])
            .arg(&m)
            .arg("--write-into")
            .arg(&rules)
            .args(["--level", "dimensions"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(out.stdout.is_empty());
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(
            stderr.contains("m.toml:1:19: error: AHP item 'inovation'"),
            "{stderr}"
        );
        assert!(stderr.contains("did you mean 'innovation'?"), "{stderr}");
        std::fs::write(
            &m,
            "items = [\"a\", \"b\", \"c\"]\nmatrix = [[1, 3, \"1/5\"], [\"1/3\", 1, 3], [5, \"1/3\", 1]]\n",
        )
        .unwrap();
        let out = bin().args(["weights", "--ahp"]).arg(&m).output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(out.stdout.is_empty());
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(
            stderr.contains("m.toml:2:18: error: the comparison matrix is inconsistent"),
            "{stderr}"
        );
        assert!(
            stderr.contains("row 1, column 3 (a vs c) = 1/5"),
            "{stderr}"
        );
    }

    #[test]
    fn entropy_weights_sum_to_one_and_write_rules() {
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let dir = tempfile::tempdir().unwrap();
        let out_rules = dir.path().join("w.toml");
        let out = bin()
            .args([
                "weights", "--method", "critic", "--format", "json", "--rules",
            ])
            .arg(root.join("rules/liaocheng-benchmark.toml"))
            .arg("--data")
            .arg(root.join("fixtures/liaocheng-2023.csv"))
            .arg("--write")
            .arg(&out_rules)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let sum: f64 = v["criteria"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["weight"].as_f64().unwrap())
            .sum();
        approx::assert_relative_eq!(sum, 1.0, epsilon = 1e-9);
        // the written rules still load and keep the total points
        let r = clusterscore::rules::Rules::from_path(&out_rules).unwrap();
        let total: f64 = r.criteria.iter().map(|c| c.points.value).sum();
        approx::assert_relative_eq!(total, 100.0, epsilon = 1e-3);
    }

    /// Rules with dimension weights: `--write` also writes the dimension weights the new
    /// points imply, so the written file scores with the weights shown (points alone would
    /// be re-weighted by the old dimension weights). Hand-computed: entropy weights of the
    /// four rows below are w = (0.288142, 0.423716, 0.288142), so the scores are
    /// 100 · Σ x·w: C 57.29, B 56.95, A 54.58, D 54.24.
    #[test]
    fn entropy_write_keeps_the_weights_shown_under_dimension_weights() {
        let dir = tempfile::tempdir().unwrap();
        let rules = dir.path().join("r.toml");
        let data = dir.path().join("d.csv");
        let mut text = String::from(
            "[rules]\nname = \"w\"\nid = \"code\"\n\
             [[dimension]]\nid = \"a\"\nweight = 80\n[[dimension]]\nid = \"b\"\nweight = 20\n",
        );
        for (k, (dim, points)) in [("a", 50), ("a", 30), ("b", 20)].iter().enumerate() {
            let k = k + 1;
            text.push_str(&format!(
                "[[indicator]]\nid = \"x{k}\"\n[[criterion]]\nid = \"k{k}\"\ndimension = \"{dim}\"\n\
                 indicator = \"x{k}\"\npoints = {points}\nmethod = \"linear\"\nfloor = 0\ntarget = 1\n"
            ));
        }
        std::fs::write(&rules, text).unwrap();
        std::fs::write(
            &data,
            "code,x1,x2,x3\nA,0.7,0.2,0.9\nB,0.5,0.8,0.3\nC,0.9,0.4,0.5\nD,0.3,0.6,0.7\n",
        )
        .unwrap();
        let written = dir.path().join("w.toml");
        bin()
            .args(["weights", "--method", "entropy", "--rules"])
            .arg(&rules)
            .arg("--data")
            .arg(&data)
            .arg("--write")
            .arg(&written)
            .assert()
            .code(0);
        let out = bin()
            .args(["score", "--format", "csv", "--rules"])
            .arg(&written)
            .arg("--data")
            .arg(&data)
            .output()
            .unwrap();
        let csv = String::from_utf8(out.stdout).unwrap();
        let scores: Vec<(String, String)> = csv
            .lines()
            .skip(1)
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (f[1].to_string(), f[3].to_string())
            })
            .collect();
        let expected = [
            ("C", "57.29"),
            ("B", "56.95"),
            ("A", "54.58"),
            ("D", "54.24"),
        ];
        assert_eq!(
            scores,
            expected.map(|(a, b)| (a.to_string(), b.to_string())),
            "{csv}"
        );
        // A --write into a directory that does not exist: an error, and nothing printed.
        let out = bin()
            .args(["weights", "--method", "entropy", "--rules"])
            .arg(&rules)
            .arg("--data")
            .arg(&data)
            .arg("--write")
            .arg(dir.path().join("no-such-dir").join("w.toml"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(out.stdout.is_empty());
        // Nothing varies (two equal rows): the equal-weight fallback is said on stderr.
        std::fs::write(&data, "code,x1,x2,x3\nA,0.5,0,0.4\nB,0.5,0,0.4\n").unwrap();
        let out = bin()
            .args([
                "weights", "--method", "entropy", "--format", "json", "--rules",
            ])
            .arg(&rules)
            .arg("--data")
            .arg(&data)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(
            stderr.contains("no criterion varies among the 2 ranked entities"),
            "{stderr}"
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let w: Vec<f64> = v["criteria"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["weight"].as_f64().unwrap())
            .collect();
        assert_eq!(w, vec![0.5, 0.0, 0.5]);
    }
}

const STRICT: &str = r#"
[rules]
name = "strict"
id = "id"
[[indicator]]
id = "debt"
[[indicator]]
id = "size"
[[dimension]]
id = "d"
[[criterion]]
id = "debt_band"
dimension = "d"
indicator = "debt"
points = 10
method = "bands"
bands = [{ below = 55, points = 10 }, { below = 65, points = 5 }]
[[criterion]]
id = "size_band"
dimension = "d"
indicator = "size"
points = 10
method = "bands"
transform = "ln"
bands = [{ above = 100, points = 10 }, { at_least = 10, points = 5 }]
[[tier]]
id = "top"
min_score = 15
"#;

#[test]
fn explain_strict_band_proposes_a_value_past_the_threshold() {
    // debt 60 → 5 pts, size 50 → 5 pts: score 10. `below 55` is earned by 54 (the data are
    // whole numbers), not 55; `above 100` (ln) by 101, not 100.
    let a = score(STRICT, "id,debt,size\nA,60,50\n");
    let r = Rules::from_str_named(STRICT, "rules.toml").unwrap();
    let x = explain(&r, &a, 0).unwrap();
    let gap = x.gap.unwrap();
    let debt = gap
        .options
        .iter()
        .find(|o| o.criterion == "debt_band")
        .unwrap();
    assert_eq!(debt.to, serde_json::json!(54.0));
    assert_eq!(debt.change, Some(-6.0));
    assert_eq!(debt.how, "less than 55");
    assert_eq!(debt.score_after, 15.0);
    let size = gap
        .options
        .iter()
        .find(|o| o.criterion == "size_band")
        .unwrap();
    assert_eq!(size.to, serde_json::json!(101.0));
    assert_eq!(size.score_after, 15.0);
    // Fed back, both values score as promised; the thresholds themselves do not.
    assert_eq!(
        score(STRICT, "id,debt,size\nA,54,50\n").entities[0].score,
        15.0
    );
    assert_eq!(
        score(STRICT, "id,debt,size\nA,60,101\n").entities[0].score,
        15.0
    );
    assert_eq!(
        score(STRICT, "id,debt,size\nA,55,50\n").entities[0].score,
        10.0
    );
    // With two decimals in the data, one hundredth past the edge.
    let a = score(STRICT, "id,debt,size\nA,60.25,50\n");
    let o = explain(&r, &a, 0).unwrap().gap.unwrap().options;
    let debt = o.iter().find(|o| o.criterion == "debt_band").unwrap();
    assert_eq!(debt.to, serde_json::json!(54.99));
}

#[test]
fn explain_missing_band_value_proposes_the_least_band_that_pays_more() {
    // x missing under `zero`: every band is as near; the gap proposes the lowest band that
    // earns points (20 → 6 pts), not the first in file order (100 → 20 pts).
    let rules = r#"
[rules]
name = "m"
id = "id"
[[indicator]]
id = "x"
[[dimension]]
id = "d"
[[criterion]]
id = "cx"
dimension = "d"
indicator = "x"
points = 20
method = "bands"
bands = [{ at_least = 100, points = 20 }, { at_least = 50, points = 12 }, { at_least = 20, points = 6 }]
[[tier]]
id = "low"
min_score = 5
"#;
    let a = score(rules, "id,x\nA,\nB,100\n");
    let r = Rules::from_str_named(rules, "rules.toml").unwrap();
    let (k, _) = find_entity(&a, "A").unwrap();
    let o = &explain(&r, &a, k).unwrap().gap.unwrap().options[0];
    assert_eq!(o.to, serde_json::json!(20.0));
    assert_eq!(o.how, "at least 20");
    assert_eq!(o.criterion_points_after, 6.0);
    assert_eq!(o.score_after, 6.0);
    assert_eq!(o.tier_after.as_deref(), Some("low"));
}

#[test]
fn explain_flag_on_a_number_indicator_proposes_one() {
    let rules = r#"
[rules]
name = "f"
id = "id"
[[indicator]]
id = "cnt"
[[indicator]]
id = "ok"
kind = "bool"
[[dimension]]
id = "d"
[[criterion]]
id = "c_cnt"
dimension = "d"
indicator = "cnt"
points = 10
method = "flag"
[[criterion]]
id = "c_ok"
dimension = "d"
indicator = "ok"
points = 10
method = "flag"
[[tier]]
id = "top"
min_score = 10
"#;
    let a = score(rules, "id,cnt,ok\nA,0,false\n");
    let r = Rules::from_str_named(rules, "rules.toml").unwrap();
    let gap = explain(&r, &a, 0).unwrap().gap.unwrap();
    let cnt = gap.options.iter().find(|o| o.criterion == "c_cnt").unwrap();
    assert_eq!(cnt.to, serde_json::json!(1.0));
    assert_eq!(cnt.change, Some(1.0));
    assert_eq!(cnt.score_after, 10.0);
    let ok = gap.options.iter().find(|o| o.criterion == "c_ok").unwrap();
    assert_eq!(ok.to, serde_json::json!(true));
    // 1 fed back into the number column scores the flag.
    assert_eq!(
        score(rules, "id,cnt,ok\nA,1,false\n").entities[0].score,
        10.0
    );
}

#[test]
fn explain_text_shows_the_linear_slope() {
    let dir = tempfile::tempdir().unwrap();
    let s = explain_text(
        dir.path(),
        "[rules]\nname = \"l\"\nid = \"id\"\n[[indicator]]\nid = \"rd\"\n[[dimension]]\nid = \"d\"\n\
         [[criterion]]\nid = \"rd_c\"\ndimension = \"d\"\nindicator = \"rd\"\npoints = 10\n\
         method = \"linear\"\nfloor = 0\ntarget = 4\n[[tier]]\nid = \"top\"\nmin_score = 8\n",
        "id,rd\nA,1\n",
        "A",
    );
    // 10 points over 0..4: 2.5 points per unit.
    assert!(
        s.contains("linear between 0 and 4; 2.5 pts per unit"),
        "{s}"
    );
}

/// `explain --id ID` (with `args` before `--rules`) over a rules text and a CSV text
/// written to `dir`: its standard output, after checking it exits 0.
fn explain_out(dir: &std::path::Path, args: &[&str], rules: &str, data: &str, id: &str) -> Vec<u8> {
    let (r, d) = (dir.join("r.toml"), dir.join("d.csv"));
    std::fs::write(&r, rules).unwrap();
    std::fs::write(&d, data).unwrap();
    let out = bin()
        .arg("explain")
        .args(args)
        .arg("--rules")
        .arg(&r)
        .arg("--data")
        .arg(&d)
        .args(["--id", id])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    out.stdout
}

/// `explain --id ID`'s text over a rules text and a CSV text.
fn explain_text(dir: &std::path::Path, rules: &str, data: &str, id: &str) -> String {
    String::from_utf8(explain_out(dir, &[], rules, data, id)).unwrap()
}

/// A tier held back by a condition while the score is enough says so in the gap header
/// (not a bare "points missing 0"); when no one change reaches the tier, the table says it
/// takes several.
#[test]
fn explain_gap_says_when_the_score_is_enough_and_when_one_change_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let text = |tier: &str| {
        format!(
            "[rules]\nname = \"l\"\nid = \"id\"\n[[indicator]]\nid = \"x\"\n[[indicator]]\nid = \"y\"\n\
             [[dimension]]\nid = \"d1\"\n[[dimension]]\nid = \"d2\"\n\
             [[criterion]]\nid = \"cx\"\ndimension = \"d1\"\nindicator = \"x\"\npoints = 10\n\
             method = \"linear\"\nfloor = 0\ntarget = 4\n\
             [[criterion]]\nid = \"cy\"\ndimension = \"d2\"\nindicator = \"y\"\npoints = 10\n\
             method = \"linear\"\nfloor = 0\ntarget = 4\n[[tier]]\nid = \"top\"\n{tier}\n"
        )
    };
    let explain = |tier: &str, row: &str| {
        explain_text(dir.path(), &text(tier), &format!("id,x,y\n{row}\n"), "A")
    };
    // Score 10 of the 8 asked; d2 = 0 fails `d2 >= 5`; y = 2 meets it.
    let s = explain("min_score = 8\nrequires = [\"d2 >= 5\"]", "A,4,0");
    assert!(
        s.contains(
            "score needed 8, points missing 0 (the score is enough; a condition below is not met)"
        ),
        "{s}"
    );
    assert!(!s.contains("no single change"), "{s}");
    // Score 5 of 18: x to 4 gives 12.5, y to 4 too; neither alone reaches 18.
    let s = explain("min_score = 18", "A,1,1");
    assert!(s.contains("points missing 13\n"), "{s}");
    assert!(
        s.contains("no single change above reaches top: it takes several together\n"),
        "{s}"
    );
    // With a criterion dropped for want of a value, whose gain is not computed, that is not
    // ruled out.
    let dropped = text("min_score = 18").replace(
        "indicator = \"y\"\npoints = 10\n",
        "indicator = \"y\"\npoints = 10\nmissing = \"exclude\"\n",
    );
    let s = explain_text(dir.path(), &dropped, "id,x,y\nA,1,\nB,4,4\n", "A");
    assert!(
        s.contains("no single change above reaches top: it takes several together, or a change of a criterion below, whose gain is not computed here\n"),
        "{s}"
    );
}

/// The gap JSON of `explain --id ID --format json` over a rules text and a CSV text.
fn explain_gap(dir: &std::path::Path, rules: &str, data: &str, id: &str) -> serde_json::Value {
    let out = explain_out(dir, &["--format", "json"], rules, data, id);
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    json["gap"].clone()
}

/// Relative methods get a gap option too: the value that alone reaches the tier, scored with
/// the cohort's values (which move with it), else the best value ranked. Hand-computed:
/// - percentile, x = 1, 2, 3, 4 (A at 1: r = 1, s = 0): equal to 2 gives A and B the mean
///   rank 1.5, s = 1/6; 2.1 passes B, s = 1/3; equal to 3, s = 1/2; 3.1, s = 2/3 → 6.67
///   points, the first ≥ 6. Lower is better: A at 4 is the worst; 2.9 passes C.
/// - minmax, y = 0, 5, 10, 20 (A at 0): above 5 the range is [5, 20], so s = (v − 5)/15
///   ≥ 0.6 at v = 14.
/// - zscore, z = 0, 2, 4 (A at 0: mean 2, sd 2, z = −1, Φ = 0.159): Φ(z) ≥ 0.5 needs A at
///   the mean of the three, v = (v + 6)/3, v = 3. With `min_score = 9.9` no value reaches
///   (Φ(z) < Φ(2/√3) = 0.876 for three values): the best value ranked, 4, is offered.
#[test]
fn explain_gap_offers_values_for_relative_methods() {
    let dir = tempfile::tempdir().unwrap();
    let rules = |method: &str, dir_key: &str, tier: &str| {
        format!(
            "[rules]\nname = \"r\"\nid = \"id\"\n[[indicator]]\nid = \"v\"\n{dir_key}\
             [[dimension]]\nid = \"d\"\n[[criterion]]\nid = \"c\"\ndimension = \"d\"\n\
             indicator = \"v\"\npoints = 10\nmethod = \"{method}\"\n[[tier]]\nid = \"top\"\n{tier}\n"
        )
    };
    let option = |gap: &serde_json::Value| gap["options"][0].clone();
    // The first option of entity `id` under one criterion scored by `method`.
    let first = |method: &str, direction: &str, tier: &str, data: &str, id: &str| {
        option(&explain_gap(
            dir.path(),
            &rules(method, direction, tier),
            data,
            id,
        ))
    };
    let num = |o: &serde_json::Value, k: &str| o[k].as_f64().unwrap();

    let gap = explain_gap(
        dir.path(),
        &rules("percentile", "", "min_score = 6"),
        "id,v\nA,1\nB,2\nC,3\nD,4\n",
        "A",
    );
    let o = option(&gap);
    approx::assert_relative_eq!(num(&o, "to"), 3.1);
    approx::assert_relative_eq!(num(&o, "criterion_points_after"), 6.67);
    assert_eq!(o["how"], "more than 3: ahead of 2 more ranked entities");
    assert_eq!(o["tier_after"], "top");
    assert_eq!(gap["scores_move"], true);
    // Out of reach (min_score 11 > 10 points): past the best value, full points.
    let o = first(
        "percentile",
        "",
        "min_score = 11",
        "id,v\nA,1\nB,2\nC,3\nD,4\n",
        "A",
    );
    approx::assert_relative_eq!(num(&o, "to"), 5.0);
    approx::assert_relative_eq!(num(&o, "criterion_points_after"), 10.0);
    assert_eq!(o["how"], "more than 4, the best value ranked (full points)");
    // Lower is better: A at 4 is the worst; less than 3 passes C (and ties nobody).
    let o = first(
        "percentile",
        "direction = \"lower\"\n",
        "min_score = 3",
        "id,v\nA,4\nB,1\nC,3\nD,2\n",
        "A",
    );
    approx::assert_relative_eq!(num(&o, "to"), 2.9);
    approx::assert_relative_eq!(num(&o, "criterion_points_after"), 3.33);
    assert_eq!(o["how"], "less than 3: ahead of 1 more ranked entity");

    let o = first(
        "minmax",
        "",
        "min_score = 6",
        "id,v\nA,0\nB,5\nC,10\nD,20\n",
        "A",
    );
    approx::assert_relative_eq!(num(&o, "to"), 14.0);
    approx::assert_relative_eq!(num(&o, "criterion_points_after"), 6.0);
    approx::assert_relative_eq!(num(&o, "score_after"), 6.0);

    let o = first("zscore", "", "min_score = 5", "id,v\nA,0\nB,2\nC,4\n", "A");
    approx::assert_relative_eq!(num(&o, "criterion_points_before"), 1.59);
    approx::assert_relative_eq!(num(&o, "to"), 3.0);
    approx::assert_relative_eq!(num(&o, "criterion_points_after"), 5.0);
    assert_eq!(o["tier_after"], "top");
    let o = first(
        "zscore",
        "",
        "min_score = 9.9",
        "id,v\nA,0\nB,2\nC,4\n",
        "A",
    );
    approx::assert_relative_eq!(num(&o, "to"), 4.0);
    assert_eq!(o["how"], "the best value ranked, 4");
    assert_eq!(o["tier_after"], serde_json::Value::Null);

    // A threshold met exactly is proposed exactly: y = 1, 0, 10 (P at 1), min_score 6 needs
    // (v − 0)/10 ≥ 0.6, v = 6 (not 7, the next whole number past the bisection's 6.00…1).
    let o = first("minmax", "", "min_score = 6", "id,v\nP,1\nB,0\nC,10\n", "P");
    approx::assert_relative_eq!(num(&o, "to"), 6.0);
    // Beyond the best value: P at 5 of B's 10 (C at 0); the one place goes to the best score.
    // At 10 P ties B and loses the tie-break by id; at 11 B falls to 100/11 = 9.09 points.
    // 10.01 would do too, but the data are whole numbers.
    let o = first("minmax", "", "max_count = 1", "id,v\nP,5\nB,10\nC,0\n", "P");
    approx::assert_relative_eq!(num(&o, "to"), 11.0);
    approx::assert_relative_eq!(num(&o, "score_after"), 10.0);
    assert_eq!(o["tier_after"], "top");
    assert_eq!(
        o["how"],
        "beyond the best value ranked, 10: a new best lowers the others' points"
    );
    // No value today (scored 0): reporting the worst value ranked, 2, already reaches 2.5:
    // z-scores of 2, 2, 4 give the first Φ(−0.577) = 0.282, 2.82 points.
    let o = first("zscore", "", "min_score = 2.5", "id,v\nP,\nB,2\nC,4\n", "P");
    approx::assert_relative_eq!(num(&o, "to"), 2.0);
    approx::assert_relative_eq!(num(&o, "criterion_points_after"), 2.82);
    assert_eq!(
        o["how"],
        "the worst value ranked, 2 (reporting it is enough)"
    );
}

/// A band, a number of steps or a level further off than the next one may reach the tier
/// alone: the gap offers the nearest that does (audit36_gap: "it takes several together"
/// was said where one larger change of one indicator sufficed).
#[test]
fn explain_gap_offers_the_nearest_band_step_or_level_that_reaches_the_tier() {
    let dir = tempfile::tempdir().unwrap();
    let s = explain_text(
        dir.path(),
        "[rules]\nname = \"g\"\nid = \"id\"\n[[indicator]]\nid = \"b\"\n[[indicator]]\nid = \"p\"\n\
         [[indicator]]\nid = \"l\"\nkind = \"category\"\n[[dimension]]\nid = \"d\"\n\
         [[criterion]]\nid = \"cb\"\ndimension = \"d\"\nindicator = \"b\"\npoints = 10\nmethod = \"bands\"\n\
         bands = [{ at_least = 8, points = 10 }, { at_least = 5, points = 8 }, { at_least = 2, points = 3 }]\n\
         [[criterion]]\nid = \"cp\"\ndimension = \"d\"\nindicator = \"p\"\npoints = 10\nmethod = \"per\"\n\
         step = 1\npoints_per_step = 2\n\
         [[criterion]]\nid = \"cl\"\ndimension = \"d\"\nindicator = \"l\"\npoints = 10\nmethod = \"levels\"\n\
         levels = { A = 2, B = 5, C = 10 }\n[[tier]]\nid = \"top\"\nmin_score = 7\n",
        "id,b,p,l\nA,1,0,Z\nB,9,5,C\n",
        "A",
    );
    let row = |criterion: &str| -> Vec<String> {
        let gap = &s[s.find("Gap to").expect("a gap")..];
        let line = gap
            .lines()
            .find(|l| l.starts_with(&format!("│ {criterion} ")))
            .unwrap_or_else(|| panic!("no row for {criterion}: {s}"));
        line.split(['│', '┆'])
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect()
    };
    // Score 0 of 7: the 3-point band, one step (2) and level A (2) do not reach it.
    assert_eq!(
        row("cb")[2..],
        ["5", "+4", "at least 5", "0 → 8", "8", "+8", "top ✔"],
        "{s}"
    );
    assert_eq!(
        row("cp")[2..],
        ["4", "+4", "4 whole steps of 1", "0 → 8", "8", "+8", "top ✔"],
        "{s}"
    );
    assert_eq!(
        row("cl")[2..],
        ["C", "—", "level 'C'", "0 → 10", "10", "+10", "top ✔"],
        "{s}"
    );
    assert!(!s.contains("no single change"), "{s}");
}

/// `target` (higher is better) and `direct` are straight lines too: their options carry the
/// slope (audit28_ana: the README promised it, the JSON had null). An entity excluded by a
/// gate reads "excluded" in the header, not "untiered", and the gates after its excluding one
/// say why they were not applied.
#[test]
fn explain_target_and_direct_slopes_and_an_excluded_header() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("r.toml");
    std::fs::write(
        &rules,
        "[rules]\nname = \"s\"\nid = \"id\"\n[[indicator]]\nid = \"pat\"\n[[indicator]]\nid = \"work\"\n\
         [[indicator]]\nid = \"bad\"\n[[dimension]]\nid = \"d\"\n\
         [[criterion]]\nid = \"pt\"\ndimension = \"d\"\nindicator = \"pat\"\npoints = 10\n\
         method = \"target\"\ntarget = 40\n\
         [[criterion]]\nid = \"wd\"\ndimension = \"d\"\nindicator = \"work\"\npoints = 5\nmethod = \"direct\"\n\
         [[gate]]\nid = \"clean\"\nrequire = \"bad == 0\"\n\
         [[gate]]\nid = \"later\"\nrequire = \"pat >= 0\"\n\
         [[tier]]\nid = \"top\"\nmin_score = 14\n",
    )
    .unwrap();
    let data = dir.path().join("d.csv");
    std::fs::write(&data, "id,pat,work,bad\nA,20,2,0\nB,30,3,1\n").unwrap();
    let explain = |id: &str, json: bool| {
        let mut cmd = bin();
        cmd.args(["explain", "--rules"])
            .arg(&rules)
            .arg("--data")
            .arg(&data)
            .args(["--id", id]);
        if json {
            cmd.args(["--format", "json"]);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let v: serde_json::Value = serde_json::from_str(&explain("A", true)).unwrap();
    let slope = |criterion: &str| {
        v["gap"]["options"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["criterion"] == criterion)
            .map(|o| o["slope"].as_f64())
    };
    // 10 points over 0..40: 0.25 per unit; direct: one point per unit.
    assert_eq!(slope("pt"), Some(Some(0.25)), "{v}");
    assert_eq!(slope("wd"), Some(Some(1.0)), "{v}");
    let text = explain("A", false);
    assert!(text.contains("0.25 pts per unit"), "{text}");
    assert!(
        text.contains("points given directly; 1 pt per unit"),
        "{text}"
    );
    let text = explain("B", false);
    assert!(text.contains("tier — (excluded)"), "{text}");
    assert!(!text.contains("(untiered)"), "{text}");
    assert!(
        text.contains("not applied: excluded by gate 'clean'"),
        "{text}"
    );
}

#[test]
fn explain_full_quota_needs_one_unit_more_to_win_the_tie_break() {
    let rules = r#"
[rules]
name = "q"
id = "id"
tie_break = ["t"]
[[indicator]]
id = "x"
[[indicator]]
id = "t"
[[dimension]]
id = "a"
[[criterion]]
id = "cx"
dimension = "a"
indicator = "x"
points = 100
method = "linear"
floor = 0
target = 100
[[tier]]
id = "top"
min_score = 50
max_count = 2
[[tier]]
id = "low"
min_score = 10
"#;
    let csv = "id,x,t\nK1,90,1\nK2,70,1\nK3,70,0\nK4,60,0\nK5,70,2\n";
    let a = score(rules, csv);
    let r = Rules::from_str_named(rules, "rules.toml").unwrap();
    // top holds K1 (90) and K5 (70, tie-break 2). K2 and K3 at 70 lose the tie-break to K5:
    // they need 70.01; so does K4 (60), 10.01 short.
    for (id, missing) in [("K2", 0.01), ("K3", 0.01), ("K4", 10.01)] {
        let (k, _) = find_entity(&a, id).unwrap();
        let gap = explain(&r, &a, k).unwrap().gap.unwrap();
        assert_eq!(gap.target_tier, "top");
        approx::assert_abs_diff_eq!(gap.score_needed, 70.01, epsilon = 1e-9);
        approx::assert_abs_diff_eq!(gap.points_missing, missing, epsilon = 1e-9);
    }
    // Winning the tie-break (t = 3 > 2), 70 itself is enough.
    let a = score(rules, "id,x,t\nK1,90,1\nK5,70,2\nK6,65,3\n");
    let (k, _) = find_entity(&a, "K6").unwrap();
    let gap = explain(&r, &a, k).unwrap().gap.unwrap();
    assert_eq!(gap.score_needed, 70.0);
    assert_eq!(gap.points_missing, 5.0);
}

/// The next tier's quota is full above the score a higher tier asks: the higher tier is
/// what the entity reaches first, and its minimum is the score needed.
#[test]
fn explain_full_quota_below_a_cheaper_higher_tier_aims_at_the_higher_tier() {
    let rules = r#"
[rules]
name = "q"
id = "id"
[[indicator]]
id = "x"
[[indicator]]
id = "z"
[[dimension]]
id = "a"
[[criterion]]
id = "cx"
dimension = "a"
indicator = "x"
points = 100
method = "linear"
floor = 0
target = 100
[[gate]]
id = "capped"
require = "z == 0"
max_tier = "silver"
[[tier]]
id = "gold"
min_score = 80
[[tier]]
id = "silver"
min_score = 60
max_count = 1
[[tier]]
id = "bronze"
min_score = 40
"#;
    // D (95) is capped to silver and fills its quota; C (70) is in bronze. At 80 C gets
    // gold, so 10 points, not the 25 that overtaking D in silver would take.
    let a = score(rules, "id,x,z\nD,95,1\nC,70,0\n");
    let r = Rules::from_str_named(rules, "rules.toml").unwrap();
    let (k, _) = find_entity(&a, "C").unwrap();
    let gap = explain(&r, &a, k).unwrap().gap.unwrap();
    assert_eq!(gap.target_tier, "silver");
    assert_eq!(gap.reached_first.as_deref(), Some("gold"));
    assert_eq!(gap.score_needed, 80.0);
    assert_eq!(gap.points_missing, 10.0);
    assert_eq!(gap.options[0].tier_after.as_deref(), Some("gold"));
}

/// A tier's `requires` mixing a condition on scores with one on data: the data one blocks,
/// only the score one is re-evaluated per option. A cap from a gate on data blocks too, even
/// when another capping gate reads scores.
#[test]
fn explain_gap_blocks_on_data_conditions_beside_score_conditions() {
    let rules = r#"
[rules]
name = "mixed"
id = "id"
[[indicator]]
id = "x"
[[indicator]]
id = "w"
[[indicator]]
id = "z"
[[dimension]]
id = "a"
[[criterion]]
id = "c1"
dimension = "a"
indicator = "x"
points = 10
method = "linear"
floor = 0
target = 10
[[gate]]
id = "on_data"
require = "z == 0"
max_tier = "silver"
[[gate]]
id = "on_scores"
require = "c1 >= 0"
max_tier = "silver"
[[tier]]
id = "gold"
min_score = 8
requires = ["c1 >= 9", "w > 3"]
[[tier]]
id = "silver"
min_score = 5
"#;
    let a = score(rules, "id,x,w,z\nA,6,1,0\nB,6,5,1\n");
    let r = Rules::from_str_named(rules, "rules.toml").unwrap();
    let (k, _) = find_entity(&a, "A").unwrap();
    let gap = explain(&r, &a, k).unwrap().gap.unwrap();
    assert_eq!(gap.blockers, ["requires not met: w > 3"]);
    assert_eq!(gap.unmet_now, ["requires not met: c1 >= 9"]);
    let (k, _) = find_entity(&a, "B").unwrap();
    let gap = explain(&r, &a, k).unwrap().gap.unwrap();
    assert_eq!(
        gap.blockers,
        ["a capping gate limits this entity to tier 'silver'"]
    );
    assert_eq!(gap.unmet_now, ["requires not met: c1 >= 9"]);
}

#[test]
fn explain_rank_counts_the_cohort() {
    let rules = r#"
[rules]
name = "c"
id = "id"
cohort = "region"
[[indicator]]
id = "x"
[[indicator]]
id = "region"
kind = "category"
[[dimension]]
id = "a"
[[criterion]]
id = "cx"
dimension = "a"
indicator = "x"
points = 100
method = "direct"
"#;
    let csv = "id,x,region\nN1,90,north\nN2,80,north\nS1,50,south\nS2,70,south\nS3,20,south\n";
    let a = score(rules, csv);
    let r = Rules::from_str_named(rules, "rules.toml").unwrap();
    let (k, _) = find_entity(&a, "N2").unwrap();
    let x = explain(&r, &a, k).unwrap();
    assert_eq!(x.rank, Some(2));
    assert_eq!(x.ranked, 2);
    assert_eq!(x.cohort.as_deref(), Some("north"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("r.toml"), rules).unwrap();
    std::fs::write(dir.path().join("d.csv"), csv).unwrap();
    bin()
        .args(["explain", "--rules"])
        .arg(dir.path().join("r.toml"))
        .arg("--data")
        .arg(dir.path().join("d.csv"))
        .args(["--id", "S3"])
        .assert()
        .success()
        .stdout(predicates::str::contains("rank 3 of 3 in cohort south"));
}

const SCORE_CONDITIONS: &str = r#"
[rules]
name = "sc"
id = "id"
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
points = 20
method = "linear"
floor = 0
target = 100
[[criterion]]
id = "cy"
dimension = "b"
indicator = "y"
points = 20
method = "bands"
bands = [{ at_least = 50, points = 20 }, { at_least = 20, points = 10 }]
[[adjustment]]
id = "cx_bonus"
when = "cx >= 15"
points = 5
[[tier]]
id = "top"
min_score = 30
requires = ["a >= 12"]
[[tier]]
id = "low"
min_score = 10
"#;

#[test]
fn explain_gap_reevaluates_requires_and_adjustments_that_read_scores() {
    // Q1: x 50 → cx 10, cy 20: score 30 but a = 10 < 12. Raising x to 59.975 gives
    // cx 11.995, published 12.00: a >= 12 holds, score 32, top. Not a blocker.
    let a = score(SCORE_CONDITIONS, "id,x,y\nQ1,50,60\nQ2,20,30\n");
    let r = Rules::from_str_named(SCORE_CONDITIONS, "rules.toml").unwrap();
    let gap = explain(&r, &a, 0).unwrap().gap.unwrap();
    assert!(gap.blockers.is_empty(), "{:?}", gap.blockers);
    assert_eq!(gap.unmet_now, vec!["requires not met: a >= 12".to_string()]);
    let o = &gap.options[0];
    assert_eq!(o.criterion, "cx");
    assert_eq!(o.to, serde_json::json!(59.975));
    assert_eq!(o.criterion_points_after, 12.0);
    assert_eq!(o.score_after, 32.0);
    assert_eq!(o.tier_after.as_deref(), Some("top"));
    assert!(o.reaches_target);
    // Q2: x 20 → cx 4, cy 10: 14. x = 74.975 gives cx 14.995 → 15.00: the bonus applies
    // (cx >= 15) and a = 15: 15 + 10 + 5 = 30, top. cy at 50 gives 24, low: no ✔.
    let (k, _) = find_entity(&a, "Q2").unwrap();
    let gap = explain(&r, &a, k).unwrap().gap.unwrap();
    let cx = gap.options.iter().find(|o| o.criterion == "cx").unwrap();
    assert_eq!(cx.to, serde_json::json!(74.975));
    assert_eq!(cx.score_after, 30.0);
    assert_eq!(cx.tier_after.as_deref(), Some("top"));
    let cy = gap.options.iter().find(|o| o.criterion == "cy").unwrap();
    assert_eq!(cy.score_after, 24.0);
    assert_eq!(cy.tier_after.as_deref(), Some("low"));
    assert!(!cy.reaches_target);
    // Fed back, as promised.
    let fed = score(SCORE_CONDITIONS, "id,x,y\nQ1,59.975,60\nQ2,74.975,30\n");
    assert_eq!(fed.entities[0].score, 32.0);
    assert_eq!(fed.entities[0].tier.as_deref(), Some("top"));
    assert_eq!(fed.entities[1].score, 30.0);
    assert_eq!(fed.entities[1].tier.as_deref(), Some("top"));
}

#[test]
fn explain_gap_reevaluates_capping_gates_on_scores_and_marks_only_the_target() {
    let rules = r#"
[rules]
name = "cap"
id = "id"
[[indicator]]
id = "x"
[[indicator]]
id = "y"
[[indicator]]
id = "rev"
[[dimension]]
id = "a"
[[dimension]]
id = "b"
[[criterion]]
id = "cx"
dimension = "a"
indicator = "x"
points = 50
method = "linear"
floor = 0
target = 100
[[criterion]]
id = "cy"
dimension = "b"
indicator = "y"
points = 50
method = "linear"
floor = 0
target = 100
[[gate]]
id = "balanced"
require = "a >= 20 and b >= 20"
max_tier = "low"
[[tier]]
id = "top"
min_score = 60
requires = ["rev >= 100"]
[[tier]]
id = "low"
min_score = 10
"#;
    // A: cx 50, cy 15: 65, capped at low by b < 20. y = 39.99 gives cy 19.995 → 20.00:
    // the gate holds, score 70, top.
    let a = score(rules, "id,x,y,rev\nA,100,30,100\nB,100,30,50\n");
    let r = Rules::from_str_named(rules, "rules.toml").unwrap();
    let gap = explain(&r, &a, 0).unwrap().gap.unwrap();
    assert!(gap.blockers.is_empty(), "{:?}", gap.blockers);
    let o = &gap.options[0];
    assert_eq!(o.criterion, "cy");
    assert_eq!(o.to, serde_json::json!(39.99));
    assert_eq!(o.score_after, 70.0);
    assert_eq!(o.tier_after.as_deref(), Some("top"));
    assert!(o.reaches_target);
    // B: `rev >= 100` reads data: a blocker. The score is already past 60, so cy proposes
    // its full points (100 → 50 pts, score 100), not a billionth more; and no ✔ beside a
    // tier that is not the target.
    let (k, _) = find_entity(&a, "B").unwrap();
    let gap = explain(&r, &a, k).unwrap().gap.unwrap();
    assert_eq!(
        gap.blockers,
        vec!["requires not met: rev >= 100".to_string()]
    );
    let o = &gap.options[0];
    assert_eq!(o.to, serde_json::json!(100.0));
    assert_eq!(o.score_after, 100.0);
    assert_eq!(o.tier_after.as_deref(), Some("low"));
    assert!(!o.reaches_target);
}

/// A re-score under other weights (what every sensitivity replication does) evaluates the
/// tier requirements, capping gates and adjustments that read scores again on the new
/// published values: it places entities exactly as scoring rules written with those weights
/// does. (They used to keep the base run's outcomes: P(tier) of 1 for an entity whose score
/// fell below a `score >= 50` requirement in half the runs.)
#[test]
fn a_rescore_under_other_weights_reevaluates_conditions_on_scores() {
    let rules = |w1: u32, w2: u32| {
        format!(
            r#"
[rules]
name = "post"
id = "id"
[[indicator]]
id = "a"
[[indicator]]
id = "b"
[[dimension]]
id = "d1"
weight = {w1}
[[dimension]]
id = "d2"
weight = {w2}
[[criterion]]
id = "c1"
dimension = "d1"
indicator = "a"
points = 10
method = "direct"
[[criterion]]
id = "c2"
dimension = "d2"
indicator = "b"
points = 10
method = "direct"
[[gate]]
id = "cap"
require = "d2 >= 20"
max_tier = "t2"
[[adjustment]]
id = "bonus"
when = "c1 >= 9"
points = 5
[[tier]]
id = "t1"
requires = ["score >= 60"]
[[tier]]
id = "t2"
requires = ["d1 >= 30"]
"#
        )
    };
    let data = "id,a,b\nE1,9,2\nE2,4,8\nE3,6,6\nE4,2,3\n";
    let base = score(&rules(50, 50), data);
    let ev = base.evidence.as_ref().unwrap();
    // Hand: weights 50/50 → E1 45+10+5 = 60 (bonus), d2 = 10 < 20: capped at t2; d1 = 45 → t2.
    // E2 20+40 = 60 → t1. E3 30+30 = 60 → t1. E4 10+15 = 25 → none.
    let tier_of = |a: &clusterscore::engine::Assessment, id: &str| {
        a.entities.iter().find(|e| e.id == id).unwrap().tier.clone()
    };
    assert_eq!(tier_of(&base, "E1").as_deref(), Some("t2"));
    assert_eq!(tier_of(&base, "E2").as_deref(), Some("t1"));
    for (w1, w2) in [(50, 50), (80, 20), (20, 80), (65, 35)] {
        let fresh = score(&rules(w1, w2), data);
        let again = ev.rescore(&[f64::from(w1), f64::from(w2)], &ev.points, ev.aggregation);
        // (The evidence's rows follow the assessment's entities.)
        for (i, e) in base.entities.iter().enumerate() {
            assert_eq!(ev.ids.get(i), Some(e.id.as_str()));
            let want = fresh.entities.iter().find(|f| f.id == e.id).unwrap();
            assert_eq!(again.scores[i], want.score, "{w1}/{w2} {}", e.id);
            assert_eq!(
                again.tier[i].map(|t| ev.tiers[t].id.clone()),
                want.tier,
                "{w1}/{w2} {}",
                e.id
            );
        }
    }
}

/// A gap option names what else reads the indicator it changes (another criterion, a tier
/// condition, a formula): its score after counts the one criterion only.
#[test]
fn explain_gap_options_name_the_other_readers_of_their_indicator() {
    let rules = r#"
[rules]
name = "readers"
id = "id"
[[indicator]]
id = "x"
[[indicator]]
id = "y"
[[indicator]]
id = "ratio"
formula = "y / x"
[[dimension]]
id = "d"
[[criterion]]
id = "cx"
dimension = "d"
indicator = "x"
points = 50
method = "linear"
floor = 0
target = 100
[[criterion]]
id = "cy1"
dimension = "d"
indicator = "y"
points = 25
method = "linear"
floor = 0
target = 100
[[criterion]]
id = "cy2"
dimension = "d"
indicator = "y"
points = 25
method = "bands"
bands = [{ at_least = 50, points = 25 }]
[[tier]]
id = "top"
min_score = 40
requires = ["x >= 60"]
"#;
    let a = score(rules, "id,x,y\nA,50,40\n");
    let r = Rules::from_str_named(rules, "rules.toml").unwrap();
    let x = explain(&r, &a, find_entity(&a, "A").unwrap().0).unwrap();
    let gap = x.gap.expect("untiered: a gap to top");
    let readers = |c: &str| {
        gap.options
            .iter()
            .find(|o| o.criterion == c)
            .unwrap_or_else(|| panic!("no option for {c}"))
            .also_read_by
            .clone()
    };
    assert_eq!(readers("cx"), ["the formula of 'ratio'", "tier 'top'"]);
    assert_eq!(
        readers("cy1"),
        ["criterion 'cy2'", "the formula of 'ratio'"]
    );
    assert_eq!(
        readers("cy2"),
        ["criterion 'cy1'", "the formula of 'ratio'"]
    );
}

/// Correlations read the rankings with their ties: e2 and e3 score the same on both sides, so
/// the order the ids gave them does not count. Tie-aware ranks A = 1 2.5 2.5 4 and
/// B = 4 2.5 2.5 1 are exactly reversed: ρ = −1, and τ-b = (0 − 5) / √(5·5) = −1. (On the
/// strict published ranks 1 2 3 4 against 4 2 3 1, ρ would be −0.8.)
#[test]
fn compare_correlations_do_not_depend_on_how_ties_were_broken() {
    let dir = tempfile::tempdir().unwrap();
    let rules = |column: &str| {
        format!(
            "[rules]\nname = \"t\"\nid = \"id\"\n[[indicator]]\nid = \"v\"\ncolumn = \"{column}\"\n\
             [[dimension]]\nid = \"d\"\n[[criterion]]\nid = \"c\"\ndimension = \"d\"\n\
             indicator = \"v\"\npoints = 100\nmethod = \"direct\"\n"
        )
    };
    std::fs::write(dir.path().join("a.toml"), rules("x")).unwrap();
    std::fs::write(dir.path().join("b.toml"), rules("y")).unwrap();
    std::fs::write(
        dir.path().join("d.csv"),
        "id,x,y\ne1,40,10\ne2,30,20\ne3,30,20\ne4,10,40\n",
    )
    .unwrap();
    let out = bin()
        .current_dir(dir.path())
        .args([
            "compare", "--rules", "a.toml", "--rules", "b.toml", "--data", "d.csv", "--format",
            "json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    approx::assert_abs_diff_eq!(v["spearman"].as_f64().unwrap(), -1.0, epsilon = 1e-12);
    approx::assert_abs_diff_eq!(v["kendall_tau_b"].as_f64().unwrap(), -1.0, epsilon = 1e-12);
}

/// With cohorts and tied scores, each replication's tie-aware ranks are found without a sort
/// (by cohort stretch and rank); the debug build checks them against the sorting way on every
/// replication, and the mean ρ is a correlation.
#[test]
fn sensitivity_with_cohorts_reads_ties_within_cohorts() {
    let out = bin()
        .args(["sensitivity", "--rules"])
        .arg(root().join("rules/anhui-zhuanyezhen.toml"))
        .arg("--data")
        .arg(root().join("fixtures/anhui-2010.csv"))
        .args([
            "--runs",
            "40",
            "--seed",
            "7",
            "--weight-noise",
            "0.5",
            "--format",
            "json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let rho = v["mean_spearman"].as_f64().unwrap();
    assert!(rho > 0.5 && rho <= 1.0, "{rho}");
}

/// Two criteria in one dimension, `direct` on indicators x and y (for the weights tests).
const TWO_DIRECT: &str = "[rules]\nname = \"w\"\nid = \"id\"\n[[indicator]]\nid = \"x\"\n[[indicator]]\nid = \"y\"\n\
         [[dimension]]\nid = \"d\"\n[[criterion]]\nid = \"cx\"\ndimension = \"d\"\nindicator = \"x\"\n\
         points = 10\nmethod = \"direct\"\n[[criterion]]\nid = \"cy\"\ndimension = \"d\"\n\
         indicator = \"y\"\npoints = 10\nmethod = \"direct\"\n";

/// With no ranked entity (every one excluded by a gate) entropy has nothing to weigh by: the
/// weights are equal over all criteria, and the warning says why.
#[test]
fn weights_without_ranked_entities_say_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("r.toml"),
        format!("{TWO_DIRECT}[[gate]]\nid = \"g\"\nrequire = \"x > 100\"\n"),
    )
    .unwrap();
    std::fs::write(dir.path().join("d.csv"), "id,x,y\nA,1,2\nB,3,0\n").unwrap();
    let out = bin()
        .current_dir(dir.path())
        .args([
            "weights", "--rules", "r.toml", "--data", "d.csv", "--method", "entropy",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("no entity is ranked, so entropy has no data to weigh the criteria by"),
        "{stderr}"
    );
    assert!(!stderr.contains("0 for a criterion"), "{stderr}");
}

/// The tier trace names the `requires` conditions that failed, not all of them, and marks
/// those a missing value left unmet.
#[test]
fn explain_names_only_the_requires_that_failed() {
    let rules = r#"
[rules]
name = "req"
id = "id"
[[indicator]]
id = "x"
[[indicator]]
id = "y"
[[indicator]]
id = "z"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 10
method = "direct"
[[tier]]
id = "top"
min_score = 1
requires = ["x >= 1", "y >= 100", "z >= 2", "x >= 2"]
[[tier]]
id = "one"
requires = ["y >= 100"]
[[tier]]
id = "low"
"#;
    let a = score(rules, "id,x,y,z\nA,5,50,\nB,5,150,3\n");
    let r = Rules::from_str_named(rules, "rules.toml").unwrap();
    let reasons = |k: usize, tier: &str| {
        explain(&r, &a, k)
            .unwrap()
            .tier_trace
            .into_iter()
            .find(|s| s.id == tier)
            .unwrap()
            .reasons
    };
    let (k, _) = find_entity(&a, "A").unwrap();
    assert_eq!(
        reasons(k, "top")[0],
        "requires not met: y >= 100; z >= 2 (a value was missing); a missing value counts as \
         not met"
    );
    // A tier with one condition: that condition.
    assert_eq!(reasons(k, "one")[0], "requires not met: y >= 100");
    let (k, _) = find_entity(&a, "B").unwrap();
    assert_eq!(reasons(k, "top")[0], "requires met");
}

/// Past the 32nd condition of a tier the trace does not name conditions one by one: it
/// says the failure lies there instead of listing conditions that held.
#[test]
fn explain_past_the_32nd_requires_condition() {
    let mut conditions: Vec<String> = (0..32).map(|k| format!("\"x >= {k}\"")).collect();
    conditions.push("\"x >= 100\"".into());
    let rules = format!(
        r#"
[rules]
name = "many"
id = "id"
[[indicator]]
id = "x"
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
requires = [{}]
[[tier]]
id = "low"
"#,
        conditions.join(", ")
    );
    let a = score(&rules, "id,x\nA,50\n");
    let r = Rules::from_str_named(&rules, "rules.toml").unwrap();
    let trace = explain(&r, &a, 0).unwrap().tier_trace;
    assert_eq!(
        trace[0].reasons[0],
        "requires not met: one of conditions 33–33 (not traced one by one)"
    );
}

#[test]
fn explain_of_a_row_that_is_no_entity_names_the_entity_or_the_year() {
    let dir = tempfile::tempdir().unwrap();
    // Another year's row only: LC01 without its 2023 row.
    let text = std::fs::read_to_string(root().join("fixtures/liaocheng-2023.csv")).unwrap();
    let mut kept: String = text
        .lines()
        .filter(|l| !(l.starts_with("LC01,") && l.contains(",2023,")))
        .map(|l| format!("{l}\n"))
        .collect();
    // A 2021 row after the 2022 one: years are listed in order, the latest suggested.
    let row_2022 = text
        .lines()
        .find(|l| l.starts_with("LC01,") && l.contains(",2022,"))
        .unwrap();
    kept.push_str(&row_2022.replace(",2022,", ",2021,"));
    kept.push('\n');
    let data = dir.path().join("lc.csv");
    std::fs::write(&data, kept).unwrap();
    bin()
        .args(["explain", "--rules"])
        .arg(root().join("rules/liaocheng-benchmark.toml"))
        .arg("--data")
        .arg(&data)
        .args(["--id", "LC01"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "error: no entity with id 'LC01' among the entities scored\n  help: 'LC01' has rows for years 2021, 2022, but the year scored is 2023: choose one with --year 2022",
        ))
        // No did-you-mean of another id (LC10) for an id that has rows of its own.
        .stderr(predicates::prelude::PredicateBooleanExt::not(
            predicates::str::contains("did you mean"),
        ));
    // A member row under [aggregate]: its entity is named.
    let out = dir.path().join("zjtx.csv");
    bin()
        .args(["score", "--rules"])
        .arg(root().join("rules/miit-zjtx-sme.toml"))
        .arg("--data")
        .arg(root().join("fixtures/enterprises-2023.csv"))
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    bin()
        .args(["explain", "--rules"])
        .arg(root().join("rules/liaocheng-zjtx-rollup.toml"))
        .arg("--data")
        .arg(&out)
        .args(["--id", "B006"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "'B006' is a member row ([aggregate] by = \"cluster\"); its entity is 'LC06': explain --id LC06",
        ));
}

#[test]
fn compare_says_which_rules_file_a_data_error_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let b = std::fs::read_to_string(root().join("tests/bad_inputs/_base/rules.toml")).unwrap();
    // Rules A do not read `rd`; rules B do, and its cell is no number.
    let a = b
        .replace("indicator = \"rd\"", "indicator = \"revenue\"")
        .replace("[[indicator]]\nid = \"rd\"\nlabel = \"研发强度\"\n", "");
    assert_ne!(a, b);
    let (ra, rb, d) = (
        dir.path().join("a.toml"),
        dir.path().join("b.toml"),
        dir.path().join("d.csv"),
    );
    std::fs::write(&ra, a).unwrap();
    std::fs::write(&rb, b).unwrap();
    std::fs::write(
        &d,
        "code,name,revenue,rd,national,region\nA,甲,120,x,是,east\n",
    )
    .unwrap();
    bin()
        .args(["compare", "--rules"])
        .arg(&ra)
        .arg("--rules")
        .arg(&rb)
        .arg("--data")
        .arg(&d)
        .assert()
        .code(1)
        .stderr(predicates::str::contains(format!(
            "cannot read \"x\" as a number (scoring with rules B, {})",
            rb.display()
        )));
}

/// `weights --write` says what it wrote, and warns of a threshold the new weights put out of
/// reach (the 创新型 pack's `specialization >= 15` once entropy weighs specialization 9.15).
#[test]
fn weights_write_says_what_it_wrote_and_what_it_put_out_of_reach() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("entropy.toml");
    let out = bin()
        .args(["weights", "--method", "entropy", "--rules"])
        .arg(root().join("rules/miit-innovative-sme.toml"))
        .arg("--data")
        .arg(root().join("fixtures/enterprises-2023.csv"))
        .arg("--write")
        .arg(&out_path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(&format!(
            "wrote {}: the weights as each criterion's points",
            out_path.display()
        )),
        "{err}"
    );
    assert!(
        err.contains("requires `specialization >= 15` can never hold: dimension 'specialization' reaches at most")
            && err.contains("[condition-never-holds]"),
        "{err}"
    );
}

/// The JSON of `compare`, `sensitivity` and `explain` carries the runs' warnings (a lint that
/// changes results among them), as `score`'s does: an archived robustness check says what
/// the run warned of.
#[test]
fn analysis_json_carries_the_runs_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("rules/liaocheng-benchmark.toml")).unwrap();
    let flawed = dir.path().join("flawed.toml");
    std::fs::write(
        &flawed,
        text.replace(
            "{ at_least = 100, points = 12 }",
            "{ at_least = 100, points = 99 }",
        ),
    )
    .unwrap();
    let data = root().join("fixtures/liaocheng-2023.csv");
    let json = |args: &[&std::ffi::OsStr]| -> serde_json::Value {
        let out = bin()
            .args(args)
            .args(["--format", "json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let lint = |v: &serde_json::Value| {
        v["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|w| w.as_str().unwrap().ends_with("[bands-above-points]"))
            .count()
    };
    let (f, d) = (flawed.as_os_str(), data.as_os_str());
    let base = root().join("rules/liaocheng-benchmark.toml");
    let v = json(&[
        "compare".as_ref(),
        "--rules".as_ref(),
        base.as_os_str(),
        "--rules".as_ref(),
        f,
        "--data".as_ref(),
        d,
    ]);
    assert_eq!(lint(&v), 1, "{v}");
    // Each side's warnings say which rules file they come from.
    assert!(
        v["warnings"].as_array().unwrap().iter().any(|w| w
            .as_str()
            .unwrap()
            .starts_with(&format!("{}: criterion ", base.display()))),
        "{v}"
    );
    let v = json(&[
        "sensitivity".as_ref(),
        "--rules".as_ref(),
        f,
        "--data".as_ref(),
        d,
        "--runs".as_ref(),
        "20".as_ref(),
    ]);
    assert_eq!(lint(&v), 1, "{v}");
    let v = json(&[
        "explain".as_ref(),
        "--rules".as_ref(),
        f,
        "--data".as_ref(),
        d,
        "--id".as_ref(),
        "LC02".as_ref(),
    ]);
    assert_eq!(lint(&v), 1, "{v}");
}

/// The analyses' JSON names the rules and data files it was made from, as `score`'s does,
/// but without the time (the same inputs and seed give the same bytes); `compare --results`
/// carries each result file's own audit block.
#[test]
fn analysis_json_names_its_inputs_without_the_time() {
    let dir = tempfile::tempdir().unwrap();
    let base = root().join("rules/liaocheng-benchmark.toml");
    let text = std::fs::read_to_string(&base).unwrap();
    let other = dir.path().join("other.toml");
    std::fs::write(
        &other,
        text.replace(
            "{ at_least = 100, points = 12 }",
            "{ at_least = 90, points = 12 }",
        ),
    )
    .unwrap();
    let data = root().join("fixtures/liaocheng-2023.csv");
    let json = |args: &[&std::ffi::OsStr]| -> serde_json::Value {
        let out = bin()
            .args(args)
            .args(["--format", "json"])
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let (b, o, d) = (base.as_os_str(), other.as_os_str(), data.as_os_str());
    let scored = |rules: &std::ffi::OsStr| {
        json(&[
            "score".as_ref(),
            "--rules".as_ref(),
            rules,
            "--data".as_ref(),
            d,
        ])
    };
    let (sa, sb) = (scored(b), scored(o));
    assert_ne!(
        sa["audit"]["rules"]["sha256"],
        sb["audit"]["rules"]["sha256"]
    );
    let inputs_of = |audit: &serde_json::Value| {
        let mut a = audit.clone();
        a.as_object_mut().unwrap().remove("generated_at");
        a
    };
    // (`score`'s audit has a time, so equality also says the analysis's has none.)
    let check = |v: &serde_json::Value, audit: &serde_json::Value| {
        assert!(audit.get("generated_at").is_some(), "{audit}");
        assert_eq!(*v, inputs_of(audit), "{v}");
    };
    let v = json(&[
        "sensitivity".as_ref(),
        "--rules".as_ref(),
        o,
        "--data".as_ref(),
        d,
        "--runs".as_ref(),
        "5".as_ref(),
    ]);
    check(&v["audit"], &sb["audit"]);
    let v = json(&[
        "weights".as_ref(),
        "--rules".as_ref(),
        b,
        "--data".as_ref(),
        d,
        "--method".as_ref(),
        "entropy".as_ref(),
    ]);
    check(&v["audit"], &sa["audit"]);
    let v = json(&[
        "compare".as_ref(),
        "--rules".as_ref(),
        b,
        "--rules".as_ref(),
        o,
        "--data".as_ref(),
        d,
    ]);
    check(&v["audit"]["a"], &sa["audit"]);
    check(&v["audit"]["b"], &sb["audit"]);
    assert!(
        v["audit"]["engine"]
            .as_str()
            .unwrap()
            .starts_with("clusterscore ")
    );
    // Result files: each side's audit as the file has it, time included.
    let (ra, rb) = (dir.path().join("a.json"), dir.path().join("b.json"));
    std::fs::write(&ra, sa.to_string()).unwrap();
    let mut hand = sb.clone();
    hand.as_object_mut().unwrap().remove("audit");
    std::fs::write(&rb, hand.to_string()).unwrap();
    let v = json(&[
        "compare".as_ref(),
        "--results".as_ref(),
        ra.as_os_str(),
        "--results".as_ref(),
        rb.as_os_str(),
    ]);
    assert_eq!(v["audit"]["a"], sa["audit"], "{v}");
    assert_eq!(v["audit"]["a"]["generated_at"], "2023-11-14T22:13:20Z");
    assert!(v["audit"]["b"].is_null(), "{v}");
}

/// AHP items that are all dimension ids, written with `--level criteria`: one usage error that
/// names the level to use, not one did-you-mean per item.
#[test]
fn ahp_items_of_the_other_level_name_the_level() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("m.toml");
    std::fs::write(
        &m,
        "items = [\"scale\", \"innovation\"]\nmatrix = [[1, 3], [\"1/3\", 1]]\n",
    )
    .unwrap();
    let out = bin()
        .args(["weights", "--ahp"])
        .arg(&m)
        .arg("--write-into")
        .arg(root().join("rules/liaocheng-benchmark.toml"))
        .args(["--level", "criteria"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("the AHP items (scale, innovation) are dimension ids of")
            && err.contains("--level criteria writes criterion weights")
            && err.contains("help: use --level dimensions"),
        "{err}"
    );
    assert_eq!(err.matches("error:").count(), 1, "{err}");
}

/// One `direct` criterion on x with `missing = "mean"`: B has no value and is given the mean
/// of A's and C's. Raising A's value raises B's with it (B = (x + 8) / 2 > x for x < 8), so
/// A only passes B where both publish 8.00 and the ids break the tie: x ≥ 7.995. Holding B
/// at today's 5 would promise the tier at 5.995, where B (6.9975 → 7.00) still places
/// ahead of A and the quota of 2 is full.
#[test]
fn explain_gap_moves_the_values_imputed_from_the_entitys_own() {
    let rules = |aggregation: &str, tier: &str| {
        format!(
            r#"
[rules]
name = "imputed"
id = "id"
aggregation = "{aggregation}"
[[indicator]]
id = "x"
missing = "mean"
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
{tier}
"#
        )
    };
    let data = "id,x\nA,2\nB,\nC,8\n";
    let rescored = |rules: &str, to: f64| {
        let a = score(rules, &format!("id,x\nA,{to}\nB,\nC,8\n"));
        let ent = &a.entities[find_entity(&a, "A").unwrap().0];
        (ent.score, ent.tier.clone())
    };
    let additive = rules("additive", "min_score = 6\nmax_count = 2");
    let a = score(&additive, data);
    let r = Rules::from_str_named(&additive, "rules.toml").unwrap();
    let gap = explain(&r, &a, find_entity(&a, "A").unwrap().0)
        .unwrap()
        .gap
        .unwrap();
    let o = &gap.options[0];
    let to = o.to.as_f64().unwrap();
    assert!((7.99..=8.0).contains(&to), "{o:?}");
    assert_eq!(o.imputed_from_it, ["B"]);
    assert_eq!(o.imputed_count, 1);
    assert_eq!(o.tier_after.as_deref(), Some("t"));
    assert!(gap.scores_move);
    assert_eq!(
        rescored(&additive, to),
        (o.score_after, o.tier_after.clone())
    );

    // Under TOPSIS B stays between A and C for any x < 8: A stays the anti-ideal and
    // scores 0 until it reaches C's 8, where all three are alike.
    let topsis = rules("topsis", "min_score = 5");
    let a = score(&topsis, data);
    let r = Rules::from_str_named(&topsis, "rules.toml").unwrap();
    let gap = explain(&r, &a, find_entity(&a, "A").unwrap().0)
        .unwrap()
        .gap
        .unwrap();
    let o = &gap.options[0];
    approx::assert_relative_eq!(o.to.as_f64().unwrap(), 8.0);
    assert_eq!(
        rescored(&topsis, 8.0),
        (o.score_after, o.tier_after.clone())
    );
    assert_eq!(rescored(&topsis, 6.5).1, None);
    assert!(gap.scores_move);

    // Nobody has a value: both score 0 for want of a mean, and A's value would be B's too
    // (both publish 6.00 from x = 5.995 at two decimals, A first by id: the quota of 1 is
    // A's).
    let quota = rules("additive", "min_score = 6\nmax_count = 1");
    let a = score(&quota, "id,x\nA,\nB,\n");
    let r = Rules::from_str_named(&quota, "rules.toml").unwrap();
    let gap = explain(&r, &a, find_entity(&a, "A").unwrap().0)
        .unwrap()
        .gap
        .unwrap();
    let o = &gap.options[0];
    assert_eq!(o.imputed_from_it, ["B"]);
    approx::assert_relative_eq!(o.to.as_f64().unwrap(), 5.995);
    assert_eq!(o.tier_after.as_deref(), Some("t"));
}

/// y is 5 for everyone: both methods give it weight 0, and the warning says why (it tells
/// no entity apart here), while x varies and takes all the weight.
#[test]
fn weights_say_which_criteria_no_entity_differs_on() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("r.toml"), TWO_DIRECT).unwrap();
    std::fs::write(dir.path().join("d.csv"), "id,x,y\nA,1,5\nB,3,5\nC,6,5\n").unwrap();
    for method in ["entropy", "critic"] {
        let out = bin()
            .current_dir(dir.path())
            .args([
                "weights", "--rules", "r.toml", "--data", "d.csv", "--method", method, "--format",
                "json",
            ])
            .assert()
            .success()
            .get_output()
            .clone();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(
            stderr.contains(&format!(
                "criterion 'cy' has the same fraction for all 3 ranked entities, so it gets \
                 weight 0 from {method}"
            )),
            "{stderr}"
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["constant"], serde_json::json!(["cy"]));
        approx::assert_relative_eq!(json["criteria"][1]["weight"].as_f64().unwrap(), 0.0);
        approx::assert_relative_eq!(json["criteria"][0]["weight"].as_f64().unwrap(), 1.0);
    }
}

/// A level read by a tier condition too (audit30_explain F1): K1's `B → A` pays 10 more
/// points (29 ≥ gold's 25) but breaks gold's `lv != 'A'`, so the tier after is silver, not
/// gold ✔; with silver's `direct = ["lv == 'A']"` instead, the level reaches silver though
/// the score (13) stays below its minimum.
#[test]
fn explain_rescores_a_level_option_when_a_condition_reads_the_category() {
    let rules = "[rules]\nname = \"h4\"\nid = \"code\"\n[[indicator]]\nid = \"lv\"\n\
                 kind = \"category\"\n[[indicator]]\nid = \"x\"\n[[dimension]]\nid = \"d1\"\n\
                 [[criterion]]\nid = \"clv\"\ndimension = \"d1\"\nindicator = \"lv\"\n\
                 points = 20\nmethod = \"levels\"\nlevels = { \"A\" = 20, \"B\" = 10, \"C\" = 0 }\n\
                 [[criterion]]\nid = \"cx\"\ndimension = \"d1\"\nindicator = \"x\"\npoints = 10\n\
                 method = \"linear\"\nfloor = 0\ntarget = 10\n[[tier]]\nid = \"gold\"\n\
                 min_score = 25\nrequires = [\"lv != 'A'\"]\n[[tier]]\nid = \"silver\"\n\
                 min_score = 15\n";
    let option = |rules: &str, data: &str, id: &str| -> serde_json::Value {
        let x = explain_json(rules, data, id);
        x["gap"]["options"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["criterion"] == "clv")
            .cloned()
            .unwrap_or_else(|| panic!("{x}"))
    };
    let o = option(rules, "code,lv,x\nK1,B,9\nK2,C,8\nK3,B,2\n", "K1");
    assert_eq!(o["to"], "A");
    assert_eq!(o["rescored_from_data"], true);
    approx::assert_relative_eq!(o["score_after"].as_f64().unwrap(), 29.0);
    assert_eq!(o["tier_after"], "silver");
    assert_eq!(o["reaches_target"], false);
    // A level a direct condition waits for: B → A for K3 gives 2 + 20 = 22, below silver's
    // minimum of 25 here, but `lv == 'A'` waives it.
    let waived = rules
        .replace(
            "min_score = 25\nrequires = [\"lv != 'A'\"]\n",
            "min_score = 100\n",
        )
        .replace(
            "min_score = 15\n",
            "min_score = 25\ndirect = [\"lv == 'A'\"]\n",
        );
    let o = option(&waived, "code,lv,x\nK1,B,9\nK2,C,8\nK3,B,2\n", "K3");
    assert_eq!(o["to"], "A");
    approx::assert_relative_eq!(o["score_after"].as_f64().unwrap(), 22.0);
    assert_eq!(o["tier_after"], "silver");
    assert_eq!(o["reaches_target"], true);
}

/// x is read by the criterion and by the tier's `requires`: A at 40 scores 4 and fails
/// `x >= 45`. The option raises x to 49.95 (4.995 publishes 5.00, the tier's minimum), and
/// the data re-scored with 49.95 meets the requires too, so the tier after is `top`;
/// through the criterion alone the requires would keep today's "not met".
#[test]
fn explain_rescores_options_from_the_data_when_a_condition_reads_the_indicator() {
    let rules = "[rules]\nname = \"q\"\nid = \"id\"\n[[indicator]]\nid = \"x\"\n[[dimension]]\nid = \"d\"\n\
                 [[criterion]]\nid = \"cx\"\ndimension = \"d\"\nindicator = \"x\"\npoints = 10\n\
                 method = \"linear\"\nfloor = 0\ntarget = 100\n[[tier]]\nid = \"top\"\nmin_score = 5\n\
                 requires = [\"x >= 45\"]\n";
    let x = explain_json(rules, "id,x\nA,40\nB,90\n", "A");
    let o = &x["gap"]["options"][0];
    assert_eq!(o["criterion"], "cx");
    approx::assert_relative_eq!(o["to"].as_f64().unwrap(), 49.95);
    assert_eq!(o["also_read_by"], serde_json::json!(["tier 'top'"]));
    assert_eq!(o["rescored_from_data"], true);
    assert_eq!(o["tier_after"], "top");
    assert_eq!(o["reaches_target"], true);
    approx::assert_relative_eq!(o["score_after"].as_f64().unwrap(), 5.0);
    // The same value scored as data.
    let a = score(rules, "id,x\nA,49.95\nB,90\n");
    assert_eq!(
        a.entities[find_entity(&a, "A").unwrap().0].tier.as_deref(),
        Some("top")
    );
}

/// Options re-scored from the data are ordered by the gain they show (analysis audit 43,
/// F1). A's rev 40 → 50 earns c_rev 10 points but lowers the formula inten = rd / rev · 100
/// from 10 to 8, so c_int falls from 40 to 32: score 10 + 32 + 2 = 44, gain +2. c_k 2 →
/// 9.995 earns 7.995 (published 49.995 → 50, gain +8) and reaches t, so it comes first,
/// though c_rev's own points (+10) are more.
#[test]
fn explain_orders_options_by_the_gain_re_scored_from_the_data() {
    let x = explain_json(
        "[rules]\nname = \"r8\"\nid = \"id\"\n[[indicator]]\nid = \"rev\"\n[[indicator]]\n\
         id = \"rd\"\n[[indicator]]\nid = \"k\"\n[[indicator]]\nid = \"inten\"\n\
         formula = \"rd / rev * 100\"\n[[dimension]]\nid = \"d\"\n[[criterion]]\nid = \"c_rev\"\n\
         dimension = \"d\"\nindicator = \"rev\"\npoints = 20\nmethod = \"bands\"\n\
         bands = [{ at_least = 100, points = 20 }, { at_least = 50, points = 10 }]\n\
         [[criterion]]\nid = \"c_int\"\ndimension = \"d\"\nindicator = \"inten\"\npoints = 40\n\
         method = \"linear\"\nfloor = 0\ntarget = 10\n[[criterion]]\nid = \"c_k\"\n\
         dimension = \"d\"\nindicator = \"k\"\npoints = 10\nmethod = \"linear\"\nfloor = 0\n\
         target = 10\n[[tier]]\nid = \"t\"\nmin_score = 50\n",
        "id,rev,rd,k\nA,40,4,2\nB,200,10,10\n",
        "A",
    );
    let options = x["gap"]["options"].as_array().unwrap();
    let shown: Vec<(&str, f64)> = options
        .iter()
        .map(|o| {
            (
                o["criterion"].as_str().unwrap(),
                o["score_gained"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(shown.len(), 2, "{x}");
    assert_eq!(shown[0].0, "c_k");
    approx::assert_relative_eq!(shown[0].1, 8.0);
    assert_eq!(options[0]["reaches_target"], true);
    assert_eq!(shown[1].0, "c_rev");
    approx::assert_relative_eq!(shown[1].1, 2.0);
    approx::assert_relative_eq!(options[1]["score_after"].as_f64().unwrap(), 44.0);
    assert_eq!(options[1]["rescored_from_data"], true);
}
