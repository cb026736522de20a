#!/usr/bin/env python3
"""Writes the fixture of rules/most-tech-sme.toml (科技型中小企业评价) and its expected results.

    python3 tools/gen_tech_sme_fixture.py            # writes both files
    python3 tools/gen_tech_sme_fixture.py --check    # fails if a committed file differs

* fixtures/tech-sme-2024.csv      — 30 enterprises, each placed on or beside one edge of the
  national table (band edges, the (a)/(b) choice, the size limits, the 科技人员 condition,
  each direct condition, missing values).
* tests/cases/most-tech-sme.csv   — for each: the expected score, tier and excluding gate,
  worked out by hand from the national table (not by a program) and written below as
  literals beside the data; tests/it/shipped.rs compares the engine with them.

Standard library only; the output is byte-identical on every run.
"""

import argparse
import csv
import io
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent

HEADER = [
    "id", "name", "职工总数（人）", "科技人员（人）", "销售收入（万元）", "资产总额（万元）",
    "研发费用（万元）", "成本费用总额（万元）", "Ⅰ类知识产权数（项）", "Ⅱ类知识产权数（项）",
    "重大事故或严重违法", "失信或经营异常", "高新技术企业", "近五年国家科技奖励排名",
    "研发机构级别", "近五年主导制定标准",
]

# A plain enterprise: 100 staff, 5000 万元 sales, 4000 assets, costs 4600, nothing special.
BASE = dict(emp=100, tech=30, sales=5000, assets=4000, rd=300, cost=4600, ip1=0, ip2=0,
            incident="否", dishonest="否", high_tech="否", award=0, inst="未建立", std="否")

# (id, changes to BASE, expected score, tier, excluding gate, why — the hand computation).
# Points: staff = 科技人员 / 职工总数 (30 % 20, 25 % 16, 20 % 12, 15 % 8, 10 % 4, else 0);
# R&D = the better of (a) R&D / sales (6 % 50, 5 % 40, 4 % 30, 3 % 20, 2 % 10) and
# (b) R&D / costs (30 % 50, 25 % 40, 20 % 30, 15 % 20, 10 % 10); IP = Ⅰ类 ≥ 1: 30, else
# Ⅱ类 4+: 24, 3: 18, 2: 12, 1: 6. Pass: total ≥ 60 and staff > 0, or a direct condition.
CASES = [
    ("T01", dict(emp=120, tech=48, sales=6000, assets=5000, rd=420, cost=5200, ip1=1, ip2=3),
     100, "pass", "", "top band everywhere: staff 40 % → 20, (a) 7 % → 50, Ⅰ类 1 → 30 = 100"),
    ("T02", dict(), 70, "pass", "",
     "staff exactly 30 % → 20, (a) exactly 6 % → 50 ((b) 6.5 % → 0), no IP → 0 = 70"),
    ("T03", dict(tech=29, rd=250, ip2=4), 80, "pass", "",
     "staff 29 % → 16, (a) exactly 5 % → 40, Ⅱ类 4 → 24 = 80"),
    ("T04", dict(tech=25, rd=200, ip2=3), 64, "pass", "",
     "staff exactly 25 % → 16, (a) exactly 4 % → 30, Ⅱ类 3 → 18 = 64"),
    ("T05", dict(tech=24, rd=150, ip2=2), 44, "", "",
     "staff 24 % → 12, (a) exactly 3 % → 20, Ⅱ类 2 → 12 = 44 < 60"),
    ("T06", dict(tech=20, rd=100, ip2=1), 28, "", "",
     "staff exactly 20 % → 12, (a) exactly 2 % → 10, Ⅱ类 1 → 6 = 28 < 60"),
    ("T07", dict(tech=15, rd=99.5, ip1=2), 38, "", "",
     "staff exactly 15 % → 8, (a) 1.99 % → 0 ((b) 2.16 % → 0), Ⅰ类 2 → 30 = 38 < 60"),
    ("T08", dict(tech=10, sales=3000, assets=2500, rd=150, cost=500, ip2=1), 60, "pass", "",
     "staff exactly 10 % → 4, (a) 5 % → 40 but (b) exactly 30 % → 50, Ⅱ类 1 → 6 = 60, "
     "exactly the pass mark"),
    ("T09", dict(tech=9, ip1=1), 80, "", "",
     "staff 9 % → 0, (a) 6 % → 50, Ⅰ类 → 30 = 80, but the 科技人员 indicator scores 0"),
    ("T10", dict(tech=9, ip1=1, high_tech="是"), 80, "pass", "",
     "as T09 (80, 科技人员 0) but a valid 高新技术企业: directly confirmed"),
    ("T11", dict(emp=120, tech=35, sales=8000, assets=6000, rd=480, cost="", ip2=5), 90, "pass", "",
     "staff 29.17 % → 16, only (a) reported: 6 % → 50, Ⅱ类 5 → 24 = 90"),
    ("T12", dict(rd="", ip1=1), 50, "", "",
     "staff 30 % → 20, no R&D reported: 0 (warned), Ⅰ类 → 30 = 50 < 60"),
    ("T13", dict(emp=501, tech=200, ip1=1), 100, "", "size",
     "501 staff > 500: excluded by the size limits (staff 39.9 % → 20, (a) 6 % → 50, Ⅰ类 → 30)"),
    ("T14", dict(emp=500, tech=150, sales=19000, assets=18000, rd=1140, cost=17000), 70, "pass", "",
     "exactly 500 staff: within the limit; staff 30 % → 20, (a) 6 % → 50, no IP = 70"),
    ("T15", dict(emp=300, tech=90, sales=20000, assets=15000, rd=1000, cost=18000, ip2=2),
     72, "pass", "",
     "sales exactly 2 亿元: within the limit; staff 30 % → 20, (a) 5 % → 40, Ⅱ类 2 → 12 = 72"),
    ("T16", dict(emp=300, tech=90, sales=20001, assets=15000, rd=1000, cost=18000, ip2=2),
     62, "", "size",
     "sales 20001 万元 > 2 亿元: excluded by the size limits (staff 30 % → 20, (a) 4.9998 % → 30, "
     "Ⅱ类 2 → 12 = 62)"),
    ("T17", dict(emp=300, tech=90, sales=15000, assets=20000.5, rd=900, cost=14000), 70, "", "size",
     "assets 20000.5 万元 > 2 亿元: excluded by the size limits (20 + 50 + 0)"),
    ("T18", dict(incident="是"), 70, "", "no_major_incident",
     "as T02 with a major incident: excluded"),
    ("T19", dict(dishonest="是"), 70, "", "not_dishonest",
     "as T02 on the dishonesty list: excluded"),
    ("T20", dict(tech=5, rd=50, award=3), 0, "pass", "",
     "staff 5 % → 0, (a) 1 % → 0, no IP: 0 points, but a national award ranked 3rd: directly "
     "confirmed"),
    ("T21", dict(tech=5, rd=50, award=4), 0, "", "",
     "as T20 but ranked 4th among the winners: no direct route, 0 points"),
    ("T22", dict(tech=5, rd=50, inst="省部级"), 0, "pass", "",
     "as T20 without the award but a 省部级 R&D institution: directly confirmed"),
    ("T23", dict(tech=5, rd=50, inst="市级"), 0, "", "",
     "as T22 with a 市级 institution only: no direct route"),
    ("T24", dict(tech=5, rd=50, std="是"), 0, "pass", "",
     "as T20 without the award but led a national or industry standard: directly confirmed"),
    ("T25", dict(ip1="", ip2=3), 88, "pass", "",
     "Ⅰ类 count missing (warned), so the Ⅱ类 count decides: 3 → 18; 20 + 50 + 18 = 88"),
    ("T26", dict(emp=600, tech=300, high_tech="是"), 70, "", "size",
     "a valid 高新技术企业 with 600 staff: the size limit excludes it before any direct route"),
    ("T27", dict(tech=20, rd=200, cost=800, ip2=4), 76, "pass", "",
     "staff 20 % → 12, (a) 4 % → 30 but (b) exactly 25 % → 40, Ⅱ类 4 → 24 = 76"),
    ("T28", dict(assets=""), 70, "", "size",
     "assets not reported: the size limit cannot be shown to hold, excluded (warned)"),
    ("T29", dict(emp=400, tech=59, rd=299.99, ip2=4), 68, "pass", "",
     "just below two edges: staff 14.75 % → 4, (a) 5.9998 % → 40, Ⅱ类 4 → 24 = 68"),
    ("T30", dict(tech=0, rd=600, ip1=3), 80, "", "",
     "no 科技人员 at all: staff 0 → 0, (a) 12 % → 50, Ⅰ类 → 30 = 80, not confirmed"),
]


def rows():
    out = []
    for cid, changes, *_ in CASES:
        r = dict(BASE, **changes)
        out.append([
            cid, f"科技型样例企业{cid}", r["emp"], r["tech"], r["sales"], r["assets"], r["rd"],
            r["cost"], r["ip1"], r["ip2"], r["incident"], r["dishonest"], r["high_tech"],
            r["award"], r["inst"], r["std"],
        ])
    return out


def render(header, body):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(body)
    return buf.getvalue()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    files = {
        ROOT / "fixtures/tech-sme-2024.csv": render(HEADER, rows()),
        ROOT / "tests/cases/most-tech-sme.csv": render(
            ["id", "expected_score", "expected_tier", "expected_excluded_by", "why"],
            [[cid, score, tier, gate, why] for cid, _, score, tier, gate, why in CASES],
        ),
    }
    bad = 0
    for path, text in files.items():
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                print(f"{path.relative_to(ROOT)} differs from the generator", file=sys.stderr)
                bad += 1
        else:
            path.write_text(text, encoding="utf-8")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
