//! Shipped rules packs, fixtures and docs: every pack checks clean, every national pack
//! reproduces its hand-computed boundary cases, and every rules example in docs/ is valid.

use crate::support::root;
use clusterscore::engine::{AssessOptions, Assessment};
use clusterscore::rules::{Rules, lint::lint};

fn check_clean(text: &str, name: &str) -> Result<(), String> {
    let rules = Rules::from_str_named(text, name).map_err(|e| e.to_string())?;
    let compiled = rules.compile().map_err(|e| e.to_string())?;
    let lints = lint(compiled.rules(), &compiled.expression_names());
    if lints.is_empty() {
        Ok(())
    } else {
        Err(format!("{name}: lints {lints:?}"))
    }
}

#[test]
fn every_shipped_pack_checks_without_lints() {
    let mut n = 0;
    for entry in std::fs::read_dir(root().join("rules")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path).unwrap();
            check_clean(&text, &path.display().to_string()).unwrap();
            n += 1;
        }
    }
    assert!(n >= 2, "expected shipped packs, found {n}");
}

/// The 2022 point tables leave band edges in CONFLICT (standards: "flag it in the audit
/// block"): the packs' version, which every audit block carries, names the reading; the
/// band lines hold the higher-band reading it names (exactly 75 % debt earns 5).
#[test]
fn the_2022_packs_name_their_band_edge_reading_in_the_audit_block() {
    for pack in ["miit-innovative-sme", "miit-zjtx-sme"] {
        let a = assess(
            &format!("rules/{pack}.toml"),
            "fixtures/enterprises-2023.csv",
        );
        assert_eq!(
            a.audit.rules.version.as_deref(),
            Some("2022.1（边界值按高分档计分）"),
            "{pack}"
        );
    }
    let text = std::fs::read_to_string(root().join("rules/miit-innovative-sme.toml")).unwrap();
    assert!(
        text.contains("{ at_most = 75, points = 5 },"),
        "the higher-band line"
    );
}

#[test]
fn every_toml_example_in_the_docs_is_a_valid_rules_file() {
    let doc = std::fs::read_to_string(root().join("docs/rules.md")).unwrap();
    let mut blocks = 0;
    let mut in_block = false;
    let mut current = String::new();
    let mut start_line = 0;
    for (i, line) in doc.lines().enumerate() {
        if !in_block && line.trim_end() == "```toml" {
            in_block = true;
            current.clear();
            start_line = i + 1;
        } else if in_block && line.trim_end() == "```" {
            in_block = false;
            blocks += 1;
            check_clean(
                &current,
                &format!("docs/rules.md block at line {start_line}"),
            )
            .unwrap();
        } else if in_block {
            current.push_str(line);
            current.push('\n');
        }
    }
    assert!(
        blocks >= 10,
        "docs/rules.md should hold many examples, found {blocks}"
    );
}

/// The README's AHP matrix files (the ```toml blocks that start with `items`) compute
/// consistent weights that add up to 1, the group one from two experts.
#[test]
fn the_readme_ahp_examples_are_valid_matrix_files() {
    use clusterscore::analysis::{AhpWeights, RiTable};
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let blocks: Vec<&str> = readme
        .split("```toml\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .filter(|b| b.starts_with("items"))
        .collect();
    assert_eq!(blocks.len(), 2, "{blocks:?}");
    for (b, experts) in blocks.iter().zip([1, 2]) {
        let w = AhpWeights::from_str(b, "README.md", RiTable::Saaty, false).unwrap();
        assert_eq!(w.items, ["scale", "innovation", "digital"]);
        assert!((w.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(w.consistent && w.weights[0] > w.weights[1], "{w:?}");
        assert_eq!(w.experts.len(), experts);
    }
}

fn assess(rules: &str, data: &str) -> Assessment {
    let compiled = Rules::from_path(root().join(rules))
        .and_then(|r| r.compile())
        .unwrap_or_else(|e| panic!("{e}"));
    let ds = compiled
        .read_data(&[root().join(data)], &compiled.read_options())
        .unwrap_or_else(|e| panic!("{e}"));
    compiled
        .assess_with(
            &ds,
            &AssessOptions {
                generated_at: Some("2026-01-01T00:00:00Z".into()),
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Compares the engine with `tests/cases/<pack>.csv`: expected score, tier and excluding gate.
fn boundary_cases(pack: &str, data: &str) {
    let a = assess(&format!("rules/{pack}.toml"), data);
    let mut r = csv::Reader::from_path(root().join(format!("tests/cases/{pack}.csv"))).unwrap();
    let mut failures = Vec::new();
    let mut n = 0;
    for rec in r.records() {
        let rec = rec.unwrap();
        let (id, score, tier, excluded, why) = (&rec[0], &rec[1], &rec[2], &rec[3], &rec[4]);
        n += 1;
        let Some(e) = a.entities.iter().find(|e| e.id == id) else {
            failures.push(format!("{id}: not in the output"));
            continue;
        };
        if !score.is_empty() {
            let want: f64 = score.parse().unwrap();
            if (e.score - want).abs() > 1e-9 {
                failures.push(format!("{id}: score {} want {want} ({why})", e.score));
            }
        }
        if e.tier.as_deref().unwrap_or("") != tier {
            failures.push(format!("{id}: tier {:?} want {tier:?} ({why})", e.tier));
        }
        if e.excluded_by.as_deref().unwrap_or("") != excluded {
            failures.push(format!(
                "{id}: excluded_by {:?} want {excluded:?} ({why})",
                e.excluded_by
            ));
        }
    }
    assert!(n > 0);
    assert!(
        failures.is_empty(),
        "{pack}: {} of {n} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn innovative_sme_boundary_cases() {
    boundary_cases("miit-innovative-sme", "fixtures/enterprises-2023.csv");
}

#[test]
fn zjtx_sme_boundary_cases() {
    boundary_cases("miit-zjtx-sme", "fixtures/enterprises-2023.csv");
}

#[test]
fn zjtx_sme_2026_boundary_cases() {
    boundary_cases("miit-zjtx-sme-2026", "fixtures/enterprises-2023.csv");
}

#[test]
fn little_giant_boundary_cases() {
    boundary_cases("miit-little-giant", "fixtures/enterprises-2023.csv");
}

#[test]
fn sme_cluster_boundary_cases() {
    boundary_cases("miit-sme-cluster", "tests/cases/miit-sme-cluster-data.csv");
}

/// 科技型中小企业: the hand-worked cases of tools/gen_tech_sme_fixture.py (every band edge,
/// the better of R&D options (a) and (b), the size limits, each direct condition).
#[test]
fn tech_sme_boundary_cases() {
    boundary_cases("most-tech-sme", "fixtures/tech-sme-2024.csv");
}

/// The fixture's three missing values are each recorded where they decided something: the
/// R&D criterion scored 0, the Ⅰ类 count's comparison, and the size limit's gate.
#[test]
fn tech_sme_missing_values_are_warned() {
    let a = assess("rules/most-tech-sme.toml", "fixtures/tech-sme-2024.csv");
    let want = [
        "gate 'size': a missing value left the condition unmet for 1 entity: T28",
        "criterion 'rd_level': 1 missing value scored 0: T12",
        "indicator 'ip_points': a missing value decided an if() condition (a condition that ends missing counts as false: the else branch was taken) for 1 entity: T25",
    ];
    assert_eq!(a.warnings, want, "{:?}", a.warnings);
    // T11 reported only option (a): no warning, and (a) alone scores the R&D criterion.
    let t11 = a.entities.iter().find(|e| e.id == "T11").unwrap();
    assert_eq!(t11.score, 90.0);
}

/// Every cluster pack scores its fixture: entities counted, tiers given, nothing panics.
#[test]
fn every_cluster_pack_scores_its_fixture() {
    for (pack, data, entities) in [
        ("liaocheng-benchmark", "fixtures/liaocheng-2023.csv", 28),
        ("anhui-zhuanyezhen", "fixtures/anhui-2010.csv", 100),
        ("shandong-kaifaqu", "fixtures/shandong-kaifaqu-2020.csv", 0),
        ("shandong-tese-2011", "fixtures/shandong-tese-2010.csv", 140),
        ("jilin-2006", "fixtures/jilin-2010.csv", 0),
        ("miit-sme-cluster", "fixtures/sme-clusters-2023.csv", 24),
    ] {
        let a = assess(&format!("rules/{pack}.toml"), data);
        if entities > 0 {
            assert_eq!(a.summary.entities, entities, "{pack}");
        }
        if pack == "liaocheng-benchmark" {
            // The rules' word for what is evaluated appears in the Markdown summary.
            let md = clusterscore::report::to_markdown(&a);
            assert!(
                md.contains("\n28 entities (集群), 27 ranked, 1 excluded."),
                "{md}"
            );
        }
        assert!(a.summary.ranked > 0, "{pack}");
        assert!(
            a.summary.tiers.iter().any(|t| t.count > 0),
            "{pack}: no tier given"
        );
    }
}

/// Liaocheng recommends a cluster for a level it does not hold yet (the pack's I13): LC01,
/// ranked first but already 国家级, is a 标杆, not a national recommendation; the provincial
/// recommendations are the 市级 clusters at 65 or more (LC09, LC04 and LC06 score that
/// much but already hold a level; LC03, 省级, is recommended for national).
#[test]
fn liaocheng_recommends_only_clusters_below_the_level() {
    let a = assess(
        "rules/liaocheng-benchmark.toml",
        "fixtures/liaocheng-2023.csv",
    );
    let in_tier = |t: &str| -> Vec<&str> {
        let mut v: Vec<(usize, &str)> = a
            .entities
            .iter()
            .filter(|e| e.tier.as_deref() == Some(t))
            .map(|e| (e.rank.unwrap(), e.id.as_str()))
            .collect();
        v.sort();
        v.into_iter().map(|(_, id)| id).collect()
    };
    assert_eq!(in_tier("national"), ["LC05", "LC07", "LC03"]);
    assert_eq!(in_tier("provincial"), ["LC08", "LC14", "LC26"]);
    let benchmark = in_tier("benchmark");
    assert_eq!(benchmark.len(), 8, "{benchmark:?}");
    assert_eq!(&benchmark[..4], ["LC01", "LC09", "LC04", "LC06"]);
}

/// fixtures/sme-clusters-2023.csv (tools/gen_cluster_fixtures.py): clusters 1-14 clear
/// every threshold of the national standard; 15-24 are each made to fail one gate (a veto
/// flag, a value past or on a strict edge, a missing value) or, SC23, to meet inclusive
/// edges exactly (SME share 70 %, area 100 km², no champion and exactly 10 quality firms). SC20's leading share of exactly
/// 70 % is not "高于70%"; SC21's growth of exactly 10.00 % is not "高于10%".
#[test]
fn the_sme_cluster_fixture_meets_and_misses_each_national_threshold() {
    let a = assess(
        "rules/miit-sme-cluster.toml",
        "fixtures/sme-clusters-2023.csv",
    );
    let want = [
        ("SC15", "no_violation"),
        ("SC16", "in_one_county"),
        ("SC17", "area_100"),
        ("SC18", "output_40_three_years"),
        ("SC19", "sme_share_70"),
        ("SC20", "leading_share_70"),
        ("SC21", "growth_10"),
        ("SC22", "quality_firms"),
        ("SC24", "growth_10"),
    ];
    for e in &a.entities {
        let gate = want.iter().find(|(id, _)| *id == e.id).map(|(_, g)| *g);
        assert_eq!(e.excluded_by.as_deref(), gate, "{}", e.id);
        let tier = if gate.is_none() {
            Some("recognised")
        } else {
            None
        };
        assert_eq!(e.tier.as_deref(), tier, "{}", e.id);
    }
    assert_eq!(a.summary.ranked, 15);
    // SC24 reported no growth: the gate's missing value is warned of.
    assert!(
        a.warnings.iter().any(|w| w
            == "gate 'growth_10': a missing value left the condition unmet for 1 entity: SC24"),
        "{:?}",
        a.warnings
    );
}

/// SPEC §9's library path — `Rules::from_str` → `compile` → `Dataset::from_path` (every
/// column typed from its cells) → `assess` — scores each pack's fixture as the rules-aware
/// reader does (the CLI's path), entity for entity (carried columns aside).
#[test]
fn the_library_path_of_spec_9_scores_like_the_rules_aware_reader() {
    use clusterscore::engine::Dataset;
    for (pack, fixture) in [
        ("rules/jilin-2006.toml", "fixtures/jilin-2010.csv"),
        ("rules/anhui-zhuanyezhen.toml", "fixtures/anhui-2010.csv"),
        ("rules/miit-zjtx-sme.toml", "fixtures/enterprises-2023.csv"),
        (
            "rules/shandong-tese-2011.toml",
            "fixtures/shandong-tese-2010.csv",
        ),
    ] {
        let text = std::fs::read_to_string(root().join(pack)).unwrap();
        let compiled = Rules::from_str(&text).unwrap().compile().unwrap();
        let opts = AssessOptions {
            generated_at: Some("2026-01-01T00:00:00Z".into()),
            ..Default::default()
        };
        let path = root().join(fixture);
        let plain = compiled
            .assess_with(&Dataset::from_path(&path).unwrap(), &opts)
            .unwrap();
        let aware = compiled
            .assess_with(
                &compiled
                    .read_data(std::slice::from_ref(&path), &compiled.read_options())
                    .unwrap(),
                &opts,
            )
            .unwrap();
        // (Carried columns are copied as the cells' text by the rules-aware reader; typed
        // from their cells, 是/否 columns show as true/false.)
        let json = |a: &Assessment| {
            let mut v = serde_json::to_value(&a.entities).unwrap();
            for e in v.as_array_mut().unwrap() {
                e.as_object_mut().unwrap().remove("carry");
            }
            v
        };
        assert_eq!(json(&plain), json(&aware), "{pack}");
        assert_eq!(plain.warnings, aware.warnings, "{pack}");
    }
}

/// 专精特新 2022 R3 lets a firm below 1000万 of revenue in through 2000万 of equity
/// financing; with no revenue at all, R2's "R&D ≥ 3% of revenue" holds (its R&D, at least
/// 100万 by R2's other gate, is more than 3% of nothing) instead of failing as a ratio that
/// cannot be computed. Without the equity it is R3 that excludes it.
#[test]
fn zjtx_sme_firm_without_revenue_is_not_refused_by_the_rd_ratio() {
    let fixture = root().join("fixtures/enterprises-2023.csv");
    let mut reader = csv::Reader::from_path(&fixture).unwrap();
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (revenue, main, equity) = (
        col("营业收入（万元）"),
        col("主营业务收入（万元）"),
        col("近两年股权融资（万元）"),
    );
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("rev0.csv");
    let mut w = csv::Writer::from_path(&data).unwrap();
    w.write_record(&header).unwrap();
    for rec in reader.records() {
        let rec = rec.unwrap();
        if !matches!(&rec[0], "B001" | "B002") {
            continue;
        }
        let mut row: Vec<String> = rec.iter().map(str::to_string).collect();
        row[revenue] = "0".into();
        row[main] = "0".into();
        // B001 has the equity of R3's second branch, B002 has none.
        row[equity] = if &rec[0] == "B001" { "2500" } else { "0" }.into();
        w.write_record(&row).unwrap();
    }
    w.flush().unwrap();
    let a = assess("rules/miit-zjtx-sme.toml", data.to_str().unwrap());
    let excluded = |id: &str| {
        a.entities
            .iter()
            .find(|e| e.id == id)
            .unwrap()
            .excluded_by
            .clone()
    };
    assert_eq!(excluded("B001"), None);
    assert_eq!(excluded("B002").as_deref(), Some("revenue_1000"));
}
