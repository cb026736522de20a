//! Published worked examples reproduced with the recipes of `docs/published-methods.md`,
//! compared with the PUBLISHED figures at the precision they were published to. The column
//! statistics the recipes write into the rules (norms, maxima, minima) are computed here
//! from the data, as a user would, so a change in a method's formula or in TOPSIS,
//! geometric aggregation or entropy weighting shows up as a mismatch with the publication.

use super::support::{entity, score};
use approx::assert_abs_diff_eq;
use assert_cmd::Command;

/// `clusterscore COMMAND… --rules R --data D`: its standard output,
/// the run's stderr shown when it fails.
fn run_ok(command: &[&str], r: &std::path::Path, d: &std::path::Path, what: &str) -> Vec<u8> {
    let out = Command::cargo_bin("clusterscore")
        .unwrap()
        .args(command)
        .arg("--rules")
        .arg(r)
        .arg("--data")
        .arg(d)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Column `j` of `rows`.
fn column(rows: &[&[f64]], j: usize) -> Vec<f64> {
    rows.iter().map(|r| r[j]).collect()
}

fn l2_norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

fn csv(ids: &[&str], rows: &[&[f64]]) -> String {
    let n = rows[0].len();
    let mut s = String::from("id");
    for j in 1..=n {
        s.push_str(&format!(",x{j}"));
    }
    s.push('\n');
    for (id, r) in ids.iter().zip(rows) {
        s.push_str(id);
        for x in *r {
            s.push_str(&format!(",{x}"));
        }
        s.push('\n');
    }
    s
}

/// A rules file with one indicator `x{j}` and one criterion `k{j}` per column, all in one
/// dimension `d`; `criterion(j)` gives the rest of criterion j's keys (points, method, …).
fn one_dimension_rules(head: &str, n: usize, criterion: impl Fn(usize) -> String) -> String {
    let mut s = format!("{head}\n[[dimension]]\nid = \"d\"\n");
    for j in 1..=n {
        s.push_str(&format!(
            "[[indicator]]\nid = \"x{j}\"\n[[criterion]]\nid = \"k{j}\"\ndimension = \"d\"\n\
             indicator = \"x{j}\"\n{}\n",
            criterion(j)
        ));
    }
    s
}

const IDS3: [&str; 3] = ["A1", "A2", "A3"];
/// JMcDM test/mcdm/testtopsis.jl: decision matrix, weights 4, 2, 6, 8, all benefit.
const TOPSIS_ROWS: [&[f64]; 3] = [&[9., 7., 6., 7.], &[8., 7., 9., 6.], &[7., 8., 6., 6.]];
const TOPSIS_POINTS: [f64; 4] = [4., 2., 6., 8.];

fn topsis_rules(criterion: impl Fn(usize) -> String) -> String {
    one_dimension_rules(
        "[rules]\nname = \"topsis\"\nid = \"id\"\naggregation = \"topsis\"\nscale = 1\ndecimals = 10\n",
        4,
        criterion,
    )
}

/// Textbook (Hwang–Yoon) TOPSIS normalises x / ‖x‖; the recipe is `linear` from 0 to the
/// column's L2 norm. Published: 0.3876870, 0.6503238, 0.0834767 (7 decimals), A2 best.
#[test]
fn textbook_topsis_via_linear_to_the_column_norm() {
    let rules = topsis_rules(|j| {
        let norm = l2_norm(&column(&TOPSIS_ROWS, j - 1));
        format!(
            "points = {}\nmethod = \"linear\"\nfloor = 0\ntarget = {norm:?}",
            TOPSIS_POINTS[j - 1]
        )
    });
    let a = score(&rules, &csv(&IDS3, &TOPSIS_ROWS));
    for (id, published) in [("A1", 0.3876870), ("A2", 0.6503238), ("A3", 0.0834767)] {
        assert_abs_diff_eq!(entity(&a, id).score, published, epsilon = 5e-8);
    }
    assert_eq!(entity(&a, "A2").rank, Some(1));

    // The native relative method is a different TOPSIS (the doc says so): another winner.
    let minmax =
        topsis_rules(|j| format!("points = {}\nmethod = \"minmax\"", TOPSIS_POINTS[j - 1]));
    let m = score(&minmax, &csv(&IDS3, &TOPSIS_ROWS));
    assert_eq!(entity(&m, "A1").rank, Some(1));
    assert_abs_diff_eq!(entity(&m, "A1").score, 0.5857864, epsilon = 5e-8);
}

/// JMcDM test/mcdm/testwpm.jl: WPM with x / max (benefit) and min / x (cost), recipe
/// `target` = column max, or column min with direction "lower"; one dimension per
/// criterion carrying the weight. Published to 13 decimals (JMcDM checks them to 1e-4);
/// scores rounded to 10 decimals (the most `decimals` allows) are compared to 1e-10.
#[test]
fn weighted_product_with_cost_criteria_via_target() {
    let rows: [&[f64]; 5] = [
        &[3., 12.5, 2., 120., 14., 3.],
        &[5., 15., 3., 110., 38., 4.],
        &[3., 13., 2., 120., 19., 3.],
        &[4., 14., 2., 100., 31., 4.],
        &[3., 15., 1.5, 125., 40., 4.],
    ];
    let ids = ["A1", "A2", "A3", "A4", "A5"];
    let weights = [0.221, 0.159, 0.175, 0.127, 0.117, 0.201];
    let cost = [false, true, true, false, true, false];
    let mut rules = String::from(
        "[rules]\nname = \"wpm\"\nid = \"id\"\naggregation = \"geometric\"\ndecimals = 10\n",
    );
    for j in 1..=6 {
        let col = column(&rows, j - 1);
        let (direction, target) = if cost[j - 1] {
            ("lower", col.iter().cloned().fold(f64::INFINITY, f64::min))
        } else {
            (
                "higher",
                col.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
            )
        };
        rules.push_str(&format!(
            "[[indicator]]\nid = \"x{j}\"\ndirection = \"{direction}\"\n\
             [[dimension]]\nid = \"d{j}\"\nweight = {}\n\
             [[criterion]]\nid = \"k{j}\"\ndimension = \"d{j}\"\nindicator = \"x{j}\"\n\
             points = 1\nmethod = \"target\"\ntarget = {target:?}\n",
            weights[j - 1]
        ));
    }
    let a = score(&rules, &csv(&ids, &rows));
    let published = [
        0.7975224331331,
        0.7532541470585,
        0.7647463553356,
        0.7873956894791,
        0.7674278741782,
    ];
    for (id, p) in ids.iter().zip(published) {
        assert_abs_diff_eq!(entity(&a, id).score, p, epsilon = 1e-10);
    }
}

/// `weights --method entropy --format json` on `rules`/`data`: the weights in file order.
fn entropy_weights(rules: &str, data: &str) -> Vec<f64> {
    entropy_or_critic("entropy", rules, data)
}

/// `weights --method METHOD --format json` on `rules`/`data`: the weights in file order.
fn entropy_or_critic(method: &str, rules: &str, data: &str) -> Vec<f64> {
    let dir = tempfile::tempdir().unwrap();
    let (r, d) = (dir.path().join("r.toml"), dir.path().join("d.csv"));
    std::fs::write(&r, rules).unwrap();
    std::fs::write(&d, data).unwrap();
    let out = run_ok(
        &["weights", "--method", method, "--format", "json"],
        &r,
        &d,
        method,
    );
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    v["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["weight"].as_f64().unwrap())
        .collect()
}

fn raw_entropy_rules(n: usize) -> String {
    one_dimension_rules("[rules]\nname = \"raw entropy\"\nid = \"id\"\n", n, |_| {
        "points = 1\nmethod = \"target\"\ntarget = 1e6".into()
    })
}

/// Raw-data entropy (熵权法 on p = x / Σx) via `target` = one constant above every value.
/// Ersoy (2021), LogForum 17(3), as pyrepo-mcda tests/test_weighting_methods.py checks it:
/// 0.405, 0.221, 0.134, 0.199, 0.007, 0.034 (3 decimals); JMcDM test/testmcdm.jl
/// "Entropy": 10 decimals.
#[test]
fn raw_data_entropy_via_a_target_constant() {
    let rows: [&[f64]; 6] = [
        &[256., 8., 41., 1.6, 1.77, 7347.16],
        &[256., 8., 32., 1.0, 1.8, 6919.99],
        &[256., 8., 53., 1.6, 1.9, 8400.],
        &[256., 8., 41., 1.0, 1.75, 6808.9],
        &[512., 8., 35., 1.6, 1.7, 8479.99],
        &[256., 4., 35., 1.6, 1.7, 7499.99],
    ];
    let ids = ["A1", "A2", "A3", "A4", "A5", "A6"];
    let w = entropy_weights(&raw_entropy_rules(6), &csv(&ids, &rows));
    let published = [0.405, 0.221, 0.134, 0.199, 0.007, 0.034];
    assert_eq!(w.len(), published.len());
    for (w, p) in w.iter().zip(published) {
        assert_abs_diff_eq!(*w, p, epsilon = 5e-4);
    }

    let rows: [&[f64]; 6] = [
        &[2., 1., 4., 7., 6., 6., 7., 3000.],
        &[4., 1., 5., 6., 7., 7., 6., 3500.],
        &[3., 2., 6., 6., 5., 6., 8., 4000.],
        &[5., 1., 5., 7., 6., 7., 7., 3000.],
        &[4., 2., 5., 6., 7., 7., 6., 3000.],
        &[3., 2., 6., 6., 6., 6., 6., 3500.],
    ];
    let w = entropy_weights(&raw_entropy_rules(8), &csv(&ids, &rows));
    let published = [
        0.2996736096,
        0.44136733892,
        0.0700908872,
        0.02123823711,
        0.04902292895,
        0.02308037885,
        0.04776330969,
        0.04776330969,
    ];
    assert_eq!(w.len(), published.len());
    for (w, p) in w.iter().zip(published) {
        assert_abs_diff_eq!(*w, p, epsilon = 1e-10);
    }
}

/// Every rules example in docs/published-methods.md checks without lints, and every worked
/// example (a rules block followed by a CSV block) scores, with each score the command
/// prints (as printed: `decimals` places, `−` for minus) appearing in the text after it, up
/// to the next code block or heading — the table that reports it.
#[test]
fn every_example_in_published_methods_checks_and_its_scores_are_in_the_doc() {
    let doc =
        std::fs::read_to_string(super::support::root().join("docs/published-methods.md")).unwrap();
    // (language, body, text after the block up to the next block or heading)
    let mut blocks: Vec<(String, String, String)> = Vec::new();
    let mut lines = doc.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(lang) = line.strip_prefix("```").filter(|l| !l.is_empty()) else {
            if let Some(b) = blocks.last_mut() {
                b.2.push_str(line);
                b.2.push('\n');
            }
            continue;
        };
        let mut body = String::new();
        for l in lines.by_ref() {
            if l == "```" {
                break;
            }
            body.push_str(l);
            body.push('\n');
        }
        blocks.push((lang.to_string(), body, String::new()));
        // text after the block ends at a heading
        while let Some(l) = lines.peek() {
            if l.starts_with('#') || l.starts_with("```") {
                break;
            }
            blocks.last_mut().unwrap().2.push_str(l);
            blocks.last_mut().unwrap().2.push('\n');
            lines.next();
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let (mut checked, mut scored) = (0, 0);
    for (k, (lang, body, _)) in blocks.iter().enumerate() {
        if lang != "toml" || body.starts_with("items") {
            continue; // the AHP matrix is not a rules file
        }
        let rules = clusterscore::rules::Rules::from_str_named(body, "doc.toml")
            .unwrap_or_else(|e| panic!("block {k}: {e}"));
        let compiled = rules.compile().unwrap_or_else(|e| panic!("block {k}: {e}"));
        let lints = clusterscore::rules::lint::lint(compiled.rules(), &compiled.expression_names());
        assert!(lints.is_empty(), "block {k}: {lints:?}");
        checked += 1;
        let Some((_, data, after)) = blocks.get(k + 1).filter(|b| b.0 == "csv") else {
            continue;
        };
        let (r, d) = (dir.path().join("r.toml"), dir.path().join("d.csv"));
        std::fs::write(&r, body).unwrap();
        std::fs::write(&d, data).unwrap();
        // A weights example: its weights, to 4 or 8 places, are in the table after it.
        if let Some(method) = ["entropy", "critic"].into_iter().find(|m| {
            after.contains(&format!("clusterscore weights --method {m}`"))
                || after.contains(&format!("clusterscore weights --method {m} --format json`"))
        }) {
            // The recipe's constants sit near the data: no unit warning to follow.
            let out = Command::cargo_bin("clusterscore")
                .unwrap()
                .args(["weights", "--method", method, "--rules"])
                .arg(&r)
                .arg("--data")
                .arg(&d)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!stderr.contains("warning"), "block {k}: {stderr}");
            for w in entropy_or_critic(method, body, data) {
                let (w4, w8) = (format!("{w:.4}"), format!("{w:.8}"));
                assert!(
                    after.contains(&w4) || after.contains(&w8),
                    "block {k}: {method} weight {w8} is not in the text after the example"
                );
            }
            scored += 1;
            continue;
        }
        let out = run_ok(&["score", "--format", "csv"], &r, &d, &format!("block {k}"));
        let csv = String::from_utf8(out).unwrap();
        for row in csv.lines().skip(1) {
            let f: Vec<&str> = row.split(',').collect();
            let shown = f[3].replace('-', "−");
            assert!(
                after.contains(&shown),
                "block {k}: {}'s score {shown} is not in the text after the example:\n{after}",
                f[1]
            );
        }
        scored += 1;
    }
    assert!(
        checked >= 10 && scored >= 7,
        "checked {checked}, scored {scored}"
    );
}
