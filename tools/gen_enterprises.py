#!/usr/bin/env python3
"""Deterministic generator for the MIIT enterprise fixture and its boundary cases.

    python3 tools/gen_enterprises.py            # writes the fixture and the cases
    python3 tools/gen_enterprises.py --check    # regenerates in memory, fails if the files differ

Writes (paths relative to the repository root):

* fixtures/enterprises-2023.csv — one row per enterprise and year (2021, 2022,
  2023; the scored year is 2023). Hand-placed boundary enterprises B001… come
  first, then 3,000 synthetic enterprises E000001… with realistic distributions
  (lognormal revenue in 万元, lognormal R&D ratio, over-dispersed IP counts,
  normal growth and debt ratio) and ~2.5 % missing cells written as empty,
  "—" or "NA". Prior-year rows carry the financial columns only (the
  qualitative columns are collected for the scored year). Every enterprise
  belongs to a Liaocheng cluster (LC01…LC28) for the chained workflow.
* tests/cases/<pack>.csv — for every national pack, one row per boundary
  enterprise: id, expected_score, expected_tier, expected_excluded_by, why.
  The expectations come from the small reference scorer at the end of this
  file, written straight from the point tables (independent of the Rust
  engine); `why` shows the arithmetic.
* tests/cases/miit-sme-cluster-data.csv — cluster-level boundary data for
  rules/miit-sme-cluster.toml (a county cluster pack, not an enterprise one).

Standard library only; fixed seed; byte-identical output on every run.
"""

import argparse
import csv
import io
import math
import os
import random
import sys
from decimal import ROUND_HALF_UP, Decimal

SEED = 20231231
N_SYNTHETIC = 3000
YEARS = (2021, 2022, 2023)
SCORED = 2023
MISSING_RATE = 0.025
MISSING_MARKERS = ("", "—", "NA")

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

# --------------------------------------------------------------------------- columns

# (header, per_year): per_year columns are filled in every year's row; the
# others only in the scored year's row.
COLUMNS = [
    ("id", True),
    ("name", True),
    ("cluster", True),
    ("cluster_name", True),
    ("year", True),
    ("中小企业", False),
    ("近三年重大事故", False),
    ("失信或经营异常", False),
    ("营业收入（万元）", True),
    ("主营业务收入（万元）", True),
    ("净利润（万元）", True),
    ("研发费用（万元）", True),
    ("资产负债率（%）", True),
    ("从业人员（人）", True),
    ("研发人员（人）", True),
    ("工业总产值（万元）", True),
    ("细分市场年限（年）", False),
    ("知识产权类别", False),
    ("Ⅰ类知识产权数（项）", False),
    ("战略性新兴产业", False),
    ("主导产品领域", False),
    ("数字化水平", False),
    ("省级以上质量奖", False),
    ("质量管理体系认证", False),
    ("自主品牌", False),
    ("参与制修订标准", False),
    ("特色化得分", False),
    ("研发机构级别", False),
    ("国家科技奖励排名", False),
    ("省部级科技奖励排名", False),
    ("高新技术企业", False),
    ("技术创新示范企业", False),
    ("知识产权优势示范企业", False),
    ("近两年股权融资（万元）", False),
    ("近三年股权融资（万元）", False),
    ("创客中国", False),
    ("科技型中小企业", False),
    ("创新型中小企业", False),
    ("专精特新中小企业", False),
    ("细分市场地位靠前", False),
    ("国内细分市场占有率（%）", False),
    ("国际细分市场占有率（%）", False),
    ("国内细分市场排名", False),
    ("重点领域关键环节", False),
    ("专精特新发展评价得分", False),
    ("信息系统支撑核心业务", False),
    ("产业链配套", False),
    ("小巨人重点领域", False),
]
HEADERS = [c for c, _ in COLUMNS]
PER_YEAR = {c for c, p in COLUMNS if p}
# never blanked by the random missing-cell pass (identity and declarations)
NEVER_MISSING = {"id", "name", "cluster", "cluster_name", "year",
                 "中小企业", "近三年重大事故", "失信或经营异常"}

IP_CLASSES = ("Ⅰ类高价值", "Ⅰ类自主研发", "Ⅰ类", "Ⅱ类", "未获得")
FIELDS = ("关键领域补短板", "六基老字号或龙头配套", "其他")
DIGITAL = ("四级", "三级", "二级", "一级")
INSTITUTIONS = ("国家级", "省级", "市级", "市级以下", "未建立")
CHUANGKE = ("50强", "500强", "未入围")

# Liaocheng municipal clusters (codes and names as in fixtures/liaocheng-2023.csv)
# with a weight ≈ 2023 output / 10亿元, used to spread the enterprises.
CLUSTERS = [
    ("LC01", "临清市轴承产业集群", 49),
    ("LC02", "东阿县钢球产业集群", 12),
    ("LC03", "阳谷县电线电缆产业集群", 33),
    ("LC04", "茌平区铝材精深加工产业集群", 67),
    ("LC05", "冠县冷轧板产业集群", 26),
    ("LC06", "东昌府区钢管产业集群", 17),
    ("LC07", "聊城经济技术开发区汽车零部件产业集群", 22),
    ("LC08", "聊城高新区新能源汽车产业集群", 9),
    ("LC09", "阳谷县铜精深加工产业集群", 35),
    ("LC10", "莘县化工新材料产业集群", 9),
    ("LC11", "高唐县造纸产业集群", 10),
    ("LC12", "临清市数控机床产业集群", 6),
    ("LC13", "东阿县阿胶产业集群", 8),
    ("LC14", "茌平区新材料产业集群", 7),
    ("LC15", "冠县纺织产业集群", 6),
    ("LC16", "高唐县装备制造产业集群", 6),
    ("LC17", "莘县食品加工产业集群", 5),
    ("LC18", "临清市纺织服装产业集群", 8),
    ("LC19", "东昌府区电动车产业集群", 4),
    ("LC20", "阳谷县化工产业集群", 5),
    ("LC21", "临清市汽车零部件产业集群", 4),
    ("LC22", "冠县农机装备产业集群", 3),
    ("LC23", "莘县建材产业集群", 3),
    ("LC24", "东阿县食品产业集群", 3),
    ("LC25", "茌平区纺织产业集群", 4),
    ("LC26", "高唐县生物医药产业集群", 2),
    ("LC27", "聊城高新区生物医药产业集群", 3),
    ("LC28", "聊城经济技术开发区智能制造产业集群", 3),
]

NAME_HEADS = ["鲁", "聊", "临", "阳", "茌", "冠", "莘", "高", "东", "清", "泰", "华", "信", "恒", "瑞",
              "隆", "宏", "盛", "德", "金", "海", "天", "正", "鑫", "通", "丰", "祥", "安", "远", "达"]
NAME_TAILS = ["精工", "机械", "科技", "新材料", "智能装备", "实业", "轴承", "电气", "材料", "工贸",
              "化工", "汽车部件", "纺织", "食品", "线缆", "金属", "精密", "制造", "环保科技", "生物"]
NAME_SUFFIX = ["有限公司", "股份有限公司", "有限责任公司"]


def yn(b):
    return "是" if b else "否"


def fmt(x, nd=None):
    """Booleans as 是/否; integers as integers; floats with `nd` decimals
    (trailing zeros dropped) or, without nd, in their shortest exact form."""
    if isinstance(x, bool):
        return yn(x)
    if isinstance(x, int):
        return str(x)
    s = f"{x:.{nd}f}" if nd is not None else repr(float(x))
    if "e" in s or "E" in s:
        s = f"{x:.10f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def num(x):
    """Display form of a number in the `why` texts."""
    return "missing" if x is None else fmt(x)


# --------------------------------------------------------------------------- synthetic enterprises

def poisson(rng, lam):
    if lam > 30:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def clip(x, lo, hi):
    return lo if x < lo else hi if x > hi else x


def synthetic(rng, i, cluster):
    """One enterprise: dict year -> {header: value} (values unformatted)."""
    z = rng.gauss(0, 1)                      # latent quality, correlates the indicators
    leader = rng.random() < 0.025            # a thin tail of leading firms
    if leader:
        z += 2.0
    code, cname, _ = cluster
    name = (rng.choice(NAME_HEADS) + rng.choice(NAME_HEADS) + rng.choice(NAME_TAILS)
            + rng.choice(NAME_SUFFIX))
    name = f"聊城{name}" if rng.random() < 0.5 else f"山东{name}"

    rev = {SCORED: clip(rng.lognormvariate(math.log(4000) + 0.5 * z, 1.0), 120, 150000)}
    growth = {y: rng.gauss(4 + 3 * z, 14) for y in (2022, 2023)}
    rev[2022] = rev[2023] / (1 + growth[2023] / 100)
    rev[2021] = rev[2022] / (1 + growth[2022] / 100)
    share_base = 100 - min(60.0, rng.expovariate(1 / (3.0 if leader else 12 - 3 * clip(z, -1.5, 2.5))))
    rd_base = clip(rng.lognormvariate(math.log(2.5) + 0.35 * z, 0.7), 0.0, 35)
    margin_base = rng.gauss(6 + 1.5 * z, 6)
    debt_base = clip(rng.gauss(52 - 3 * z, 16), 3, 130)
    per_head = rng.lognormvariate(math.log(70), 0.5)          # 万元 revenue per employee
    staff_ratio = clip(rng.lognormvariate(math.log(0.12) + 0.2 * z, 0.6), 0.0, 0.9)

    years = {}
    for y in YEARS:
        r = {}
        share = clip(share_base + rng.gauss(0, 1.2), 30, 100)
        r["营业收入（万元）"] = rev[y]
        r["主营业务收入（万元）"] = rev[y] * share / 100
        r["净利润（万元）"] = rev[y] * (margin_base + rng.gauss(0, 1.5)) / 100
        r["研发费用（万元）"] = rev[y] * clip(rd_base * rng.lognormvariate(0, 0.12), 0, 40) / 100
        r["资产负债率（%）"] = clip(debt_base + rng.gauss(0, 3), 1, 140)
        emp = max(5, int(round(rev[y] / per_head * rng.lognormvariate(0, 0.05))))
        r["从业人员（人）"] = emp
        r["研发人员（人）"] = min(emp, int(round(emp * staff_ratio)))
        r["工业总产值（万元）"] = rev[y] * rng.uniform(0.9, 1.08)
        years[y] = r

    s = years[SCORED]
    emp, revenue = s["从业人员（人）"], s["营业收入（万元）"]
    s["中小企业"] = not (emp >= 1000 and revenue >= 40000)
    s["近三年重大事故"] = rng.random() < 0.005
    s["失信或经营异常"] = rng.random() < 0.008
    niche = clip(rng.gammavariate(2.2, 4.0 + 1.5 * max(z, 0)), 0.3, 40)
    s["细分市场年限（年）"] = int(niche) if rng.random() < 0.9 else round(niche, 1)
    mean_ip = math.exp(0.9 + 0.6 * z)
    n1 = poisson(rng, rng.gammavariate(0.6, mean_ip / 0.6))
    s["Ⅰ类知识产权数（项）"] = n1
    if n1 >= 1:
        u = rng.random()
        s["知识产权类别"] = "Ⅰ类高价值" if u < 0.18 + 0.05 * z else "Ⅰ类自主研发" if u < 0.75 else "Ⅰ类"
    else:
        s["知识产权类别"] = "Ⅱ类" if rng.random() < 0.65 else "未获得"
    s["战略性新兴产业"] = rng.random() < clip(0.35 + 0.1 * z, 0.05, 0.95)
    u = rng.random()
    s["主导产品领域"] = "关键领域补短板" if u < 0.08 + 0.04 * z else "六基老字号或龙头配套" if u < 0.4 else "其他"
    u = rng.random() + 0.1 * z
    s["数字化水平"] = "一级" if u < 0.35 else "二级" if u < 0.75 else "三级" if u < 0.96 else "四级"
    s["省级以上质量奖"] = rng.random() < 0.08
    s["质量管理体系认证"] = rng.random() < 0.65
    s["自主品牌"] = rng.random() < 0.5
    s["参与制修订标准"] = rng.random() < clip(0.2 + 0.1 * z, 0.02, 0.9)
    s["特色化得分"] = round(clip(rng.gauss(8 + 2 * z, 3.5), 0, 15), 1)
    u = rng.random() - 0.02 * z
    s["研发机构级别"] = ("国家级" if u < 0.01 else "省级" if u < 0.07 else "市级" if u < 0.36
                    else "市级以下" if u < 0.5 else "未建立")
    s["国家科技奖励排名"] = rng.randint(1, 10) if rng.random() < 0.01 else 0
    s["省部级科技奖励排名"] = rng.randint(1, 12) if rng.random() < 0.03 else 0
    rd_ratio = s["研发费用（万元）"] / revenue * 100
    s["高新技术企业"] = rng.random() < clip(0.02 + 0.035 * rd_ratio + 0.02 * n1, 0, 0.8)
    s["技术创新示范企业"] = rng.random() < 0.01
    s["知识产权优势示范企业"] = rng.random() < 0.015
    eq2 = rng.lognormvariate(math.log(1500), 1.0) if rng.random() < 0.08 else 0.0
    s["近两年股权融资（万元）"] = eq2
    s["近三年股权融资（万元）"] = eq2 + (rng.lognormvariate(math.log(800), 1.0) if rng.random() < 0.05 else 0.0)
    u = rng.random()
    s["创客中国"] = "50强" if u < 0.001 else "500强" if u < 0.012 else "未入围"
    s["科技型中小企业"] = rng.random() < clip(0.35 + 0.15 * z, 0.02, 0.95)
    s["创新型中小企业"] = rng.random() < clip(0.3 + 0.15 * z, 0.01, 0.95)
    s["专精特新中小企业"] = rng.random() < (0.75 if leader else clip(0.1 + 0.1 * z, 0.0, 0.6))
    dom = clip(rng.lognormvariate(math.log(1.5) + 0.8 * z, 1.0), 0.01, 80)
    rank = int(clip(rng.lognormvariate(math.log(15) - 0.8 * z, 0.9), 1, 300))
    s["国内细分市场占有率（%）"] = dom
    s["国际细分市场占有率（%）"] = dom * rng.uniform(0, 0.5) if rng.random() < 0.3 else 0.0
    s["国内细分市场排名"] = rank
    s["细分市场地位靠前"] = rank <= 5 or dom >= 8
    s["重点领域关键环节"] = rng.random() < (0.8 if leader else clip(0.25 + 0.1 * z, 0.02, 0.9))
    s["专精特新发展评价得分"] = round(clip(rng.gauss(48 + 8 * z, 10), 0, 100), 1)
    s["信息系统支撑核心业务"] = rng.random() < 0.6
    s["产业链配套"] = rng.random() < 0.25
    s["小巨人重点领域"] = rng.random() < 0.5

    for y in YEARS:
        years[y].update({"id": f"E{i:06d}", "name": name, "cluster": code,
                         "cluster_name": cname, "year": y})
    return years


def format_rows(years, rng=None, nd=None):
    """Format one enterprise's rows; with rng, blank ~MISSING_RATE of eligible cells."""
    out = []
    for y in YEARS:
        if y not in years:
            continue
        src = years[y]
        row = {}
        for h in HEADERS:
            if y != SCORED and h not in PER_YEAR:
                row[h] = ""
                continue
            v = src.get(h)
            if isinstance(v, str) and (v in MISSING_MARKERS):
                row[h] = v
                continue
            if v is None:
                row[h] = ""
                continue
            cell = v if isinstance(v, str) else fmt(v, nd)
            if rng is not None and h not in NEVER_MISSING and rng.random() < MISSING_RATE:
                cell = rng.choice(MISSING_MARKERS)
            row[h] = cell
        out.append(row)
    return out


# --------------------------------------------------------------------------- boundary enterprises
#
# BASE is built to score exactly 60 in both main packs without any direct
# condition, with no value on a band edge:
#   创新型: IP Ⅱ类 5 + R&D 4.1% 15 = 20 | growth 7% 10 + debt 58% 5 = 15 |
#           SEI 是 10 + share 64.2% 15 = 25 → 60, every group at or above its minimum.
#   专精特新 2022: share 1 + avg growth 8.05% 8 + niche 7y 3 + field B 3 = 15 |
#           digital 二级 3 + quality 2 items 5 + margin 5% 4 + debt 58% 3 = 15 |
#           特色化 13 | IP Ⅱ类 2 + R&D 410万 8 + staff 15% 3 + 市级 4 = 17 → 60.
# Each boundary row overrides a few inputs. Keys: column headers for the
# scored year; "<header>@<year>" for a prior year; "drop_years" removes rows.

BASE = {
    "中小企业": True, "近三年重大事故": False, "失信或经营异常": False,
    "营业收入（万元）": 10000, "主营业务收入（万元）": 6420, "净利润（万元）": 500,
    "研发费用（万元）": 410, "资产负债率（%）": 58, "从业人员（人）": 100, "研发人员（人）": 15,
    "工业总产值（万元）": 10200,
    "营业收入（万元）@2022": 9400, "主营业务收入（万元）@2022": 6000, "净利润（万元）@2022": 420,
    "研发费用（万元）@2022": 380, "资产负债率（%）@2022": 60, "从业人员（人）@2022": 96,
    "研发人员（人）@2022": 14, "工业总产值（万元）@2022": 9500,
    "营业收入（万元）@2021": 8600, "主营业务收入（万元）@2021": 5500, "净利润（万元）@2021": 380,
    "研发费用（万元）@2021": 340, "资产负债率（%）@2021": 61, "从业人员（人）@2021": 92,
    "研发人员（人）@2021": 13, "工业总产值（万元）@2021": 8700,
    "细分市场年限（年）": 7, "知识产权类别": "Ⅱ类", "Ⅰ类知识产权数（项）": 0,
    "战略性新兴产业": True, "主导产品领域": "六基老字号或龙头配套", "数字化水平": "二级",
    "省级以上质量奖": False, "质量管理体系认证": True, "自主品牌": True, "参与制修订标准": False,
    "特色化得分": 13, "研发机构级别": "市级", "国家科技奖励排名": 0, "省部级科技奖励排名": 0,
    "高新技术企业": False, "技术创新示范企业": False, "知识产权优势示范企业": False,
    "近两年股权融资（万元）": 0, "近三年股权融资（万元）": 0, "创客中国": "未入围",
    "科技型中小企业": True, "创新型中小企业": False, "专精特新中小企业": False,
    "细分市场地位靠前": False, "国内细分市场占有率（%）": 2.5, "国际细分市场占有率（%）": 0,
    "国内细分市场排名": 18, "重点领域关键环节": False, "专精特新发展评价得分": 45,
    "信息系统支撑核心业务": True, "产业链配套": False, "小巨人重点领域": False,
}

# A low-scoring profile (创新型 10: only SEI-否 5 + R&D 1.5% 5) for direct-path rows.
LOW = {
    "知识产权类别": "未获得", "研发费用（万元）": 150, "主营业务收入（万元）": 4500,
    "主营业务收入（万元）@2022": 4700, "资产负债率（%）": 80, "战略性新兴产业": False,
    "研发机构级别": "未建立",
}

# A profile meeting every 2026 专精特新 condition (N1–N9) with some margin.
Z26 = {
    "营业收入（万元）": 20000, "主营业务收入（万元）": 17000, "净利润（万元）": 1600,
    "研发费用（万元）": 800, "资产负债率（%）": 50, "从业人员（人）": 200, "研发人员（人）": 40,
    "营业收入（万元）@2022": 18000, "主营业务收入（万元）@2022": 15300, "研发费用（万元）@2022": 720,
    "营业收入（万元）@2021": 16000, "主营业务收入（万元）@2021": 13600, "研发费用（万元）@2021": 640,
    "细分市场年限（年）": 6, "知识产权类别": "Ⅰ类自主研发", "Ⅰ类知识产权数（项）": 3,
    "科技型中小企业": True, "细分市场地位靠前": True, "专精特新发展评价得分": 58,
}

# A profile meeting every 2026 小巨人 condition (L1–L7) with some margin.
L26 = {
    "营业收入（万元）": 30000, "主营业务收入（万元）": 28500, "净利润（万元）": 3000,
    "研发费用（万元）": 1200, "资产负债率（%）": 45, "从业人员（人）": 300, "研发人员（人）": 75,
    "营业收入（万元）@2022": 26000, "主营业务收入（万元）@2022": 24700, "研发费用（万元）@2022": 1040,
    "营业收入（万元）@2021": 23000, "主营业务收入（万元）@2021": 21850, "研发费用（万元）@2021": 920,
    "细分市场年限（年）": 12, "知识产权类别": "Ⅰ类高价值", "Ⅰ类知识产权数（项）": 6,
    "专精特新中小企业": True, "科技型中小企业": True, "细分市场地位靠前": True,
    "国内细分市场占有率（%）": 15, "国际细分市场占有率（%）": 3, "国内细分市场排名": 4,
    "重点领域关键环节": True, "专精特新发展评价得分": 68, "研发机构级别": "省级",
    "质量管理体系认证": True, "自主品牌": True, "信息系统支撑核心业务": True,
    "产业链配套": True, "小巨人重点领域": True,
}


def B(*profiles, **kw):
    d = {}
    for p in profiles:
        d.update(p)
    d.update(kw)
    return d


# (id, purpose, overrides). Keyword names cannot hold Chinese headers with
# brackets, so overrides are dicts.
BOUNDARY = [
    # ---- 创新型中小企业: pass mark and group minimums
    ("B001", "BASE: exactly 60 in both main packs, every 创新型 group at its minimum or above", {}),
    ("B002", "创新型 exactly 60 but 创新能力 15 < 20 (IP 未获得, debt 50%)",
     {"知识产权类别": "未获得", "资产负债率（%）": 50}),
    ("B003", "创新型 exactly 60 but 成长性 10 < 15 (growth 3%, R&D 5%)",
     {"主营业务收入（万元）": 6180, "研发费用（万元）": 500}),
    ("B004", "创新型 exactly 60 but 专业化 10 < 15 (SEI 否, share 52%, IP Ⅰ类高价值)",
     {"战略性新兴产业": False, "主营业务收入（万元）": 5200, "主营业务收入（万元）@2022": 4860,
      "知识产权类别": "Ⅰ类高价值"}),
    ("B005", "创新型 55 with all minimums met fails (scores are multiples of 5: 59.x is unreachable)",
     {"主营业务收入（万元）": 5700, "主营业务收入（万元）@2022": 5330}),
    # ---- 创新型 direct conditions (LOW profile scores 10)
    ("B006", "创新型 direct D2: valid 高新技术企业 with score 10 and every minimum failed",
     B(LOW, **{"高新技术企业": True})),
    ("B007", "创新型 direct D4: 3-year equity financing exactly 500万",
     B(LOW, **{"近三年股权融资（万元）": 500})),
    ("B008", "创新型 direct D4 missed by a hair: equity 499.99万",
     B(LOW, **{"近三年股权融资（万元）": 499.99})),
    ("B009", "创新型 direct D1: provincial award (rank 7 — any rank counts for 创新型, not top-3 for 专精特新)",
     B(LOW, **{"省部级科技奖励排名": 7})),
    ("B010", "创新型 direct D3: 省级 R&D institution",
     B(LOW, **{"研发机构级别": "省级"})),
    ("B011", "创新型: 市级 R&D institution is not a direct condition",
     B(LOW, **{"研发机构级别": "市级"})),
    ("B012", "创新型 direct D2: 国家级技术创新示范企业",
     B(LOW, **{"技术创新示范企业": True})),
    ("B013", "创新型 direct D2: 知识产权优势/示范企业",
     B(LOW, **{"知识产权优势示范企业": True})),
    # ---- 创新型 band edges (BASE 60: the edge value keeps 60, a hair below drops a band)
    ("B014", "创新型 R&D ratio exactly 3.00% (15); 专精特新 gate R2 met exactly",
     {"研发费用（万元）": 300}),
    ("B015", "创新型 R&D ratio 2.99% (10); 专精特新 gate R2 ratio fails by a hair",
     {"研发费用（万元）": 299}),
    ("B016", "创新型 R&D ratio exactly 5.00% → 20 (5%以上)", {"研发费用（万元）": 500}),
    ("B017", "创新型 R&D ratio 4.99% → 15", {"研发费用（万元）": 499}),
    ("B018", "创新型 growth exactly 5.00% → 10", {"主营业务收入（万元）": 6300}),
    ("B019", "创新型 growth 4.99% → 5", {"主营业务收入（万元）": 6299.4}),
    ("B020", "创新型 growth exactly 15.00% → 20", {"主营业务收入（万元）": 6900}),
    ("B021", "创新型 growth 14.99% → 15", {"主营业务收入（万元）": 6899.4}),
    ("B022", "创新型 debt exactly 55.00% → 10", {"资产负债率（%）": 55}),
    ("B023", "创新型 debt 55.01% → 5", {"资产负债率（%）": 55.01}),
    ("B024", "CONFLICT edge: 创新型 debt exactly 75% → 5 (higher-band reading; statutory 0)",
     {"资产负债率（%）": 75}),
    ("B025", "创新型 debt 75.01% → 0", {"资产负债率（%）": 75.01}),
    ("B026", "创新型 share exactly 60.00% → 15; 专精特新 share exactly 60% → 1 (CONFLICT edge)",
     {"营业收入（万元）": 10700}),
    ("B027", "创新型 share 59.99% → 10; 专精特新 share 59.99% → 0",
     {"营业收入（万元）": 10701.78}),
    ("B028", "创新型 share exactly 70.00% → 20; 专精特新 share 70% → 3",
     {"主营业务收入（万元）": 7000, "主营业务收入（万元）@2022": 6542}),
    ("B029", "创新型 share 69.99% → 15; 专精特新 share 69.99% → 1",
     {"主营业务收入（万元）": 6999, "主营业务收入（万元）@2022": 6542}),
    ("B030", "CONFLICT edge: 创新型 R&D exactly 1.00% → 5 (statutory 0); IP Ⅰ类自主研发 keeps 创新能力 at 20",
     {"研发费用（万元）": 100, "知识产权类别": "Ⅰ类自主研发"}),
    ("B031", "创新型 R&D 0.99% → 0 (创新能力 15)",
     {"研发费用（万元）": 99, "知识产权类别": "Ⅰ类自主研发"}),
    ("B032", "CONFLICT edge: 创新型 growth exactly 0.00% → 5 (statutory 0); debt 50% keeps 成长性 at 15",
     {"主营业务收入（万元）": 6000, "资产负债率（%）": 50}),
    ("B033", "创新型 growth −0.01% → 0 (成长性 10)",
     {"主营业务收入（万元）": 5999.4, "资产负债率（%）": 50}),
    ("B034", "CONFLICT edge: 创新型 share exactly 50.00% → 5 (statutory 0); R&D 5% and debt 50% compensate",
     {"营业收入（万元）": 12840, "研发费用（万元）": 642, "资产负债率（%）": 50}),
    ("B035", "创新型 share 49.99% → 0 (专业化 10)",
     {"营业收入（万元）": 12842.57, "研发费用（万元）": 642.2, "资产负债率（%）": 50}),
    ("B036", "创新型 SEI 否 → 5 (专业化 20, total 55)", {"战略性新兴产业": False}),
    ("B037", "创新型 IP Ⅰ类 → 10", {"知识产权类别": "Ⅰ类"}),
    ("B038", "创新型 IP Ⅰ类自主研发 → 15", {"知识产权类别": "Ⅰ类自主研发", "Ⅰ类知识产权数（项）": 1}),
    ("B039", "创新型 IP Ⅰ类高价值 → 20", {"知识产权类别": "Ⅰ类高价值", "Ⅰ类知识产权数（项）": 2}),
    # ---- gates shared by both packs
    ("B040", "gate: not an SME (中小企业 否)", {"中小企业": False}),
    ("B041", "gate: major incident in the last three years", {"近三年重大事故": True}),
    ("B042", "gate: on the abnormal-operation / dishonesty list", {"失信或经营异常": True}),
    # ---- missing values (policy zero)
    ("B043", "missing R&D expense (—): 创新型 R&D 0; 专精特新 gate R2 fails on the missing value",
     {"研发费用（万元）": "—"}),
    ("B044", "missing debt ratio (NA) scores 0 in both packs", {"资产负债率（%）": "NA"}),
    ("B045", "missing IP class (empty) scores 0 in both packs", {"知识产权类别": ""}),
    ("B046", "missing SEI flag (—): 创新型 field counts as 其他领域 → 5", {"战略性新兴产业": "—"}),
    ("B047", "missing prior-year main revenue: growth missing → 0 in both packs",
     {"主营业务收入（万元）@2022": "NA"}),
    ("B048", "missing 特色化得分 → 0 (专精特新 47)", {"特色化得分": "—"}),
    ("B049", "no 2021 row (young firm): 专精特新 2-year growth missing → 0", {"drop_years": [2021]}),
    # ---- 专精特新 2022 gates by a hair
    ("B050", "专精特新 gate R1: niche 1.99 years", {"细分市场年限（年）": 1.99}),
    ("B051", "专精特新 gate R1 met exactly: niche 2 years (1 point); 特色化 15 keeps 60",
     {"细分市场年限（年）": 2, "特色化得分": 15}),
    ("B052", "专精特新 gate R2: R&D 99.99万 at a 3.33% ratio",
     {"营业收入（万元）": 3000, "主营业务收入（万元）": 1926, "主营业务收入（万元）@2022": 1800,
      "主营业务收入（万元）@2021": 1650, "净利润（万元）": 150, "研发费用（万元）": 99.99}),
    ("B053", "专精特新 gate R2 met exactly: R&D 100万 at 3.33%",
     {"营业收入（万元）": 3000, "主营业务收入（万元）": 1926, "主营业务收入（万元）@2022": 1800,
      "主营业务收入（万元）@2021": 1650, "净利润（万元）": 150, "研发费用（万元）": 100}),
    ("B054", "专精特新 gate R3: revenue 999.99万 without equity financing",
     {"营业收入（万元）": 999.99, "主营业务收入（万元）": 642, "主营业务收入（万元）@2022": 600,
      "主营业务收入（万元）@2021": 550, "净利润（万元）": 50, "研发费用（万元）": 100}),
    ("B055", "专精特新 gate R3 met exactly: revenue 1000万",
     {"营业收入（万元）": 1000, "主营业务收入（万元）": 642, "主营业务收入（万元）@2022": 600,
      "主营业务收入（万元）@2021": 550, "净利润（万元）": 50, "研发费用（万元）": 100}),
    ("B056", "专精特新 gate R3 via equity: revenue 999.99万 with 2-year equity exactly 2000万",
     {"营业收入（万元）": 999.99, "主营业务收入（万元）": 642, "主营业务收入（万元）@2022": 600,
      "主营业务收入（万元）@2021": 550, "净利润（万元）": 50, "研发费用（万元）": 100,
      "近两年股权融资（万元）": 2000, "近三年股权融资（万元）": 2000}),
    ("B057", "专精特新 gate R3: revenue 999.99万 with equity 1999.99万",
     {"营业收入（万元）": 999.99, "主营业务收入（万元）": 642, "主营业务收入（万元）@2022": 600,
      "主营业务收入（万元）@2021": 550, "净利润（万元）": 50, "研发费用（万元）": 100,
      "近两年股权融资（万元）": 1999.99, "近三年股权融资（万元）": 1999.99}),
    # ---- 专精特新 2022 pass mark and rounding
    ("B058", "专精特新 59.99 fails (特色化 12.99)", {"特色化得分": 12.99}),
    ("B059", "专精特新 59.996 is published as 60.00 and passes (tiers compare the rounded score)",
     {"特色化得分": 12.996}),
    ("B060", "专精特新 59.994 is published as 59.99 and fails", {"特色化得分": 12.994}),
    ("B061", "专精特新 特色化 16 is clamped to the 15-point maximum", {"特色化得分": 16}),
    # ---- 专精特新 2022 band edges
    ("B062", "专精特新 share exactly 80.00% → 5 (创新型 share 20)",
     {"主营业务收入（万元）": 8000, "主营业务收入（万元）@2022": 7477, "主营业务收入（万元）@2021": 6800}),
    ("B063", "专精特新 share 79.99% → 3",
     {"主营业务收入（万元）": 7999, "主营业务收入（万元）@2022": 7477, "主营业务收入（万元）@2021": 6800}),
    ("B064", "专精特新 2-year average growth exactly 10.00% → 10 (10% and 10%)",
     {"主营业务收入（万元）": 6050, "主营业务收入（万元）@2022": 5500, "主营业务收入（万元）@2021": 5000}),
    ("B065", "专精特新 2-year average growth 9.99% → 8 (9.98% and 10%)",
     {"主营业务收入（万元）": 6048.9, "主营业务收入（万元）@2022": 5500, "主营业务收入（万元）@2021": 5000}),
    ("B066", "CONFLICT edge: 专精特新 average growth exactly 0% (+20%, −20%) → 2 (statutory 0)",
     {"主营业务收入（万元）": 7200, "主营业务收入（万元）@2022": 6000, "主营业务收入（万元）@2021": 7500}),
    ("B067", "专精特新 average growth −0.01% (+19.98%, −20%) → 0",
     {"主营业务收入（万元）": 7198.8, "主营业务收入（万元）@2022": 6000, "主营业务收入（万元）@2021": 7500}),
    ("B068", "专精特新 niche exactly 4 years → 2 (每满2年1分)", {"细分市场年限（年）": 4}),
    ("B069", "专精特新 niche 3.99 years → 1", {"细分市场年限（年）": 3.99}),
    ("B070", "专精特新 niche 12 years → 5 (cap)", {"细分市场年限（年）": 12}),
    ("B071", "专精特新 field A 补短板 → 5; digital 三级 → 5",
     {"主导产品领域": "关键领域补短板", "数字化水平": "三级"}),
    ("B072", "专精特新 field C 其他 → 0; digital 一级 → 0", {"主导产品领域": "其他", "数字化水平": "一级"}),
    ("B073", "专精特新 quality 1 item → 3", {"自主品牌": False}),
    ("B074", "专精特新 quality 0 items → 0 (one unreported item counts as not met)",
     {"自主品牌": False, "质量管理体系认证": "NA"}),
    ("B075", "专精特新 net margin exactly 10.00% → 10", {"净利润（万元）": 1000}),
    ("B076", "专精特新 net margin 9.99% → 8", {"净利润（万元）": 999}),
    ("B077", "CONFLICT edge: 专精特新 net margin exactly 2.00% → 2 (statutory 0)", {"净利润（万元）": 200}),
    ("B078", "专精特新 net margin 1.99% → 0", {"净利润（万元）": 199}),
    ("B079", "专精特新 debt exactly 50.00% → 5; 创新型 debt 50 → 10", {"资产负债率（%）": 50}),
    ("B080", "专精特新 debt 50.01% → 3", {"资产负债率（%）": 50.01}),
    ("B081", "CONFLICT edge: 专精特新 debt exactly 70% → 1 (statutory 0)", {"资产负债率（%）": 70}),
    ("B082", "专精特新 debt 70.01% → 0", {"资产负债率（%）": 70.01}),
    ("B083", "专精特新 R&D amount exactly 500万 → 10 (ratio 5% would give 4)", {"研发费用（万元）": 500}),
    ("B084", "专精特新 R&D amount 499.99万 → 8", {"研发费用（万元）": 499.99}),
    ("B085", "专精特新 R&D ratio exactly 10% → 10 on a 150万 spend (amount ladder gives 2)",
     {"营业收入（万元）": 1500, "主营业务收入（万元）": 963, "主营业务收入（万元）@2022": 900,
      "主营业务收入（万元）@2021": 825, "净利润（万元）": 75, "研发费用（万元）": 150}),
    ("B086", "专精特新 R&D ratio 9.99% → 8",
     {"营业收入（万元）": 1501.5, "主营业务收入（万元）": 963, "主营业务收入（万元）@2022": 900,
      "主营业务收入（万元）@2021": 825, "净利润（万元）": 75, "研发费用（万元）": 150}),
    ("B087", "专精特新 R&D staff exactly 20% → 5", {"研发人员（人）": 20}),
    ("B088", "专精特新 R&D staff 19.99% → 3", {"从业人员（人）": 2001, "研发人员（人）": 400}),
    ("B089", "CONFLICT edge: 专精特新 R&D staff exactly 5% → 1 (statutory 0)", {"研发人员（人）": 5}),
    ("B090", "专精特新 R&D staff 4.99% → 0", {"从业人员（人）": 2004, "研发人员（人）": 100}),
    ("B091", "专精特新 institution 国家级 → 10 (创新型 direct D3)", {"研发机构级别": "国家级"}),
    ("B092", "专精特新 institution 市级以下 → 2; 未建立 would be 0", {"研发机构级别": "市级以下"}),
    # ---- 专精特新 2022 direct conditions (特色化 0 puts the score at 47)
    ("B093", "专精特新 direct D1: provincial award rank 3", {"特色化得分": 0, "省部级科技奖励排名": 3}),
    ("B094", "专精特新 D1 missed: provincial award rank 4", {"特色化得分": 0, "省部级科技奖励排名": 4}),
    ("B095", "专精特新 direct D1: national award rank 5", {"特色化得分": 0, "国家科技奖励排名": 5}),
    ("B096", "专精特新 D1 missed: national award rank 6", {"特色化得分": 0, "国家科技奖励排名": 6}),
    ("B097", "专精特新 direct D2: 2-year average R&D exactly 1000万 (1100 + 900)",
     {"特色化得分": 0, "营业收入（万元）": 22000, "主营业务收入（万元）": 14124,
      "主营业务收入（万元）@2022": 13200, "主营业务收入（万元）@2021": 12100,
      "营业收入（万元）@2022": 20600, "营业收入（万元）@2021": 18900,
      "研发费用（万元）": 1100, "研发费用（万元）@2022": 900}),
    ("B098", "专精特新 D2 missed: 2-year average R&D 999.99万",
     {"特色化得分": 0, "营业收入（万元）": 22000, "主营业务收入（万元）": 14124,
      "主营业务收入（万元）@2022": 13200, "主营业务收入（万元）@2021": 12100,
      "营业收入（万元）@2022": 20600, "营业收入（万元）@2021": 18900,
      "研发费用（万元）": 1100, "研发费用（万元）@2022": 899.98}),
    ("B099", "专精特新 direct D3: 2-year equity exactly 6000万",
     {"特色化得分": 0, "近两年股权融资（万元）": 6000, "近三年股权融资（万元）": 6000}),
    ("B100", "专精特新 D3 missed: equity 5999.99万 (创新型 D4 still met)",
     {"特色化得分": 0, "近两年股权融资（万元）": 5999.99, "近三年股权融资（万元）": 5999.99}),
    ("B101", "专精特新 direct D4: 创客中国 500强", {"特色化得分": 0, "创客中国": "500强"}),
    ("B102", "专精特新 direct D4: 创客中国 50强 (also in the 500 group)", {"特色化得分": 0, "创客中国": "50强"}),
    ("B103", "专精特新 direct does not lift a gate: 创客中国 500强 but R&D ratio 2.99%",
     {"创客中国": "500强", "研发费用（万元）": 299}),
    # ---- 专精特新 2026 (Z26 meets N1–N9)
    ("B110", "专精特新2026: every condition met, evaluation score 58", B(Z26)),
    ("B111", "专精特新2026 N9: evaluation score exactly 50 passes", B(Z26, **{"专精特新发展评价得分": 50})),
    ("B112", "专精特新2026 N9: evaluation score 49.99 fails", B(Z26, **{"专精特新发展评价得分": 49.99})),
    ("B113", "专精特新2026 N1: neither 科技型 nor 创新型", B(Z26, **{"科技型中小企业": False})),
    ("B114", "专精特新2026 N1 via 创新型 status", B(Z26, **{"科技型中小企业": False, "创新型中小企业": True})),
    ("B115", "专精特新2026 N2: niche 2.99 years", B(Z26, **{"细分市场年限（年）": 2.99})),
    ("B116", "专精特新2026 N3: revenue 1499.99万 without equity",
     B(Z26, **{"营业收入（万元）": 1499.99, "主营业务收入（万元）": 1275, "研发费用（万元）": 150,
               "营业收入（万元）@2022": 1400, "研发费用（万元）@2022": 140})),
    ("B117", "专精特新2026 N3 via equity exactly 2000万 (revenue 1499.99万)",
     B(Z26, **{"营业收入（万元）": 1499.99, "主营业务收入（万元）": 1275, "研发费用（万元）": 150,
               "营业收入（万元）@2022": 1400, "研发费用（万元）@2022": 140,
               "近两年股权融资（万元）": 2000, "近三年股权融资（万元）": 2000})),
    ("B118", "专精特新2026 N4: main share exactly 80% passes", B(Z26, **{"主营业务收入（万元）": 16000})),
    ("B119", "专精特新2026 N4: main share 79.99% fails", B(Z26, **{"主营业务收入（万元）": 15998})),
    ("B120", "专精特新2026 N5: debt exactly 80% passes", B(Z26, **{"资产负债率（%）": 80})),
    ("B121", "专精特新2026 N5: debt 80.01% fails", B(Z26, **{"资产负债率（%）": 80.01})),
    ("B122", "专精特新2026 N6: prior-year R&D 99.99万 fails (each of 2 years)",
     B(Z26, **{"研发费用（万元）@2022": 99.99, "营业收入（万元）@2022": 3000})),
    ("B123", "专精特新2026 N6: prior-year R&D ratio 2.99% fails", B(Z26, **{"研发费用（万元）@2022": 538.2})),
    ("B124", "专精特新2026 N6: prior-year R&D ratio exactly 3% passes", B(Z26, **{"研发费用（万元）@2022": 540})),
    ("B125", "专精特新2026 N7: no Ⅰ类 IP and no exemption",
     B(Z26, **{"Ⅰ类知识产权数（项）": 0, "知识产权类别": "Ⅱ类"})),
    ("B126", "专精特新2026 N7 exemption: 省级 R&D institution",
     B(Z26, **{"Ⅰ类知识产权数（项）": 0, "知识产权类别": "Ⅱ类", "研发机构级别": "省级"})),
    ("B127", "专精特新2026 N7 exemption: provincial award rank 3",
     B(Z26, **{"Ⅰ类知识产权数（项）": 0, "知识产权类别": "Ⅱ类", "省部级科技奖励排名": 3})),
    ("B128", "专精特新2026 N8: market position not 较为靠前", B(Z26, **{"细分市场地位靠前": False})),
    ("B129", "专精特新2026 N6: no prior-year row → R&D of the earlier year missing → fails",
     B(Z26, drop_years=[2021, 2022])),
    # ---- 小巨人 2026 (L26 meets L1–L7)
    ("B130", "小巨人2026: every condition met, evaluation score 68", B(L26)),
    ("B131", "小巨人2026 L7: evaluation score exactly 60 passes", B(L26, **{"专精特新发展评价得分": 60})),
    ("B132", "小巨人2026 L7: evaluation score 59.99 fails", B(L26, **{"专精特新发展评价得分": 59.99})),
    ("B133", "小巨人2026 L1: not a 专精特新 enterprise", B(L26, **{"专精特新中小企业": False})),
    ("B134", "小巨人2026 L1: niche 2.99 years", B(L26, **{"细分市场年限（年）": 2.99})),
    ("B135", "小巨人2026 L2a: revenue 4999.99万",
     B(L26, **{"营业收入（万元）": 4999.99, "主营业务收入（万元）": 4750, "研发费用（万元）": 700,
               "营业收入（万元）@2022": 4400, "主营业务收入（万元）@2022": 4180, "研发费用（万元）@2022": 600,
               "营业收入（万元）@2021": 4000, "主营业务收入（万元）@2021": 3800})),
    ("B136", "小巨人2026 L2b: main share exactly 90% passes", B(L26, **{"主营业务收入（万元）": 27000})),
    ("B137", "小巨人2026 L2b: main share 89.99% fails", B(L26, **{"主营业务收入（万元）": 26997})),
    ("B138", "小巨人2026 L2c: 2-year revenue CAGR exactly 5% (24000 → 26460)",
     B(L26, **{"营业收入（万元）": 26460, "主营业务收入（万元）": 25137, "营业收入（万元）@2021": 24000,
               "营业收入（万元）@2022": 25200})),
    ("B139", "小巨人2026 L2c: 2-year revenue CAGR 4.99% fails",
     B(L26, **{"营业收入（万元）": 26454.96, "主营业务收入（万元）": 25137, "营业收入（万元）@2021": 24000,
               "营业收入（万元）@2022": 25200})),
    ("B140", "小巨人2026 L2d: debt exactly 75% passes", B(L26, **{"资产负债率（%）": 75})),
    ("B141", "小巨人2026 L2d: debt 75.01% fails", B(L26, **{"资产负债率（%）": 75.01})),
    ("B142", "小巨人2026 L3: 2-year R&D exactly 1200万 passes",
     B(L26, **{"研发费用（万元）": 1000, "研发费用（万元）@2022": 200,
               "营业收入（万元）@2022": 6000, "主营业务收入（万元）@2022": 5700})),
    ("B143", "小巨人2026 L3: prior-year R&D ratio 2.99% fails", B(L26, **{"研发费用（万元）@2022": 777.4})),
    ("B144", "小巨人2026 L3: 2-year R&D 1199.99万 fails",
     B(L26, **{"研发费用（万元）": 999.99, "研发费用（万元）@2022": 200,
               "营业收入（万元）@2022": 6000, "主营业务收入（万元）@2022": 5700})),
    ("B145", "小巨人2026 L4: 3 Ⅰ类 IP fails", B(L26, **{"Ⅰ类知识产权数（项）": 3})),
    ("B146", "小巨人2026 L4 exemption: national award rank 3",
     B(L26, **{"Ⅰ类知识产权数（项）": 3, "国家科技奖励排名": 3})),
    ("B147", "小巨人2026 L4 exemption missed: national award rank 4",
     B(L26, **{"Ⅰ类知识产权数（项）": 3, "国家科技奖励排名": 4})),
    ("B148", "小巨人2026 L5: domestic share 9.99%, international 3%, rank 4 → fails",
     B(L26, **{"国内细分市场占有率（%）": 9.99})),
    ("B149", "小巨人2026 L5 via rank: share 9.99% but domestic rank 3",
     B(L26, **{"国内细分市场占有率（%）": 9.99, "国内细分市场排名": 3})),
    ("B150", "小巨人2026 L5 via international share exactly 10%",
     B(L26, **{"国内细分市场占有率（%）": 9.99, "国际细分市场占有率（%）": 10})),
    ("B151", "小巨人2026 L6: not a key-field / key-link product", B(L26, **{"重点领域关键环节": False})),
]


def boundary_years(i, overrides):
    """Build the rows of one boundary enterprise from BASE + overrides."""
    d = dict(BASE)
    d.update(overrides)
    drop = set(d.pop("drop_years", []))
    code, cname, _ = CLUSTERS[i % len(CLUSTERS)]
    years = {}
    for y in YEARS:
        if y in drop:
            continue
        r = {}
        for k, v in d.items():
            if "@" in k:
                h, yy = k.split("@")
                if int(yy) == y:
                    r[h] = v
            elif y == SCORED:
                r[k] = v
        years[y] = r
    for y, r in years.items():
        r.update({"id": None, "name": None, "cluster": code, "cluster_name": cname, "year": y})
    return years


# --------------------------------------------------------------------------- main

def build():
    rng = random.Random(SEED)
    rows = []
    boundary = {}
    for i, (bid, purpose, ov) in enumerate(BOUNDARY):
        years = boundary_years(i, ov)
        for r in years.values():
            r["id"], r["name"] = bid, f"边界样例企业{bid}"
        boundary[bid] = (purpose, years)
        rows.extend(format_rows(years))
    weights = [w for _, _, w in CLUSTERS]
    for i in range(1, N_SYNTHETIC + 1):
        cluster = rng.choices(CLUSTERS, weights=weights)[0]
        rows.extend(format_rows(synthetic(rng, i, cluster), rng, nd=2))
    return rows, boundary


def to_csv(headers, rows):
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=headers, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def outputs():
    rows, boundary = build()
    files = {"fixtures/enterprises-2023.csv": to_csv(HEADERS, rows)}
    for pack, scorer in PACKS.items():
        case_rows = []
        for bid, (purpose, years) in boundary.items():
            score, tier, excl, arith = scorer(parse_years(years))
            case_rows.append({"id": bid, "expected_score": score, "expected_tier": tier or "",
                              "expected_excluded_by": excl or "",
                              "why": f"{purpose} | {arith}"})
        files[f"tests/cases/{pack}.csv"] = to_csv(
            ["id", "expected_score", "expected_tier", "expected_excluded_by", "why"], case_rows)
    cdata, ccases = cluster_cases()
    files["tests/cases/miit-sme-cluster-data.csv"] = cdata
    files["tests/cases/miit-sme-cluster.csv"] = ccases
    return files


# =========================================================================== reference scorer
#
# A deliberately plain re-statement of the point tables, following SPEC §4/§5:
# comparisons with a 1e-9 relative tolerance, missing comparisons false,
# missing → 0 points, score rounded half away from zero to 2 decimals.

def parse_cell(s):
    if s is None:
        return None
    s = str(s).strip()
    if s in ("", "NA", "N/A", "NULL", "null", "-", "—", "--"):
        return None
    if s in ("是", "有"):
        return True
    if s in ("否", "无"):
        return False
    try:
        return float(s)
    except ValueError:
        return s


def parse_years(years):
    """Read the boundary rows back exactly as they are written to the CSV."""
    out = {}
    for y, r in years.items():
        (formatted,) = format_rows({y: r})
        out[y] = {h: parse_cell(v) for h, v in formatted.items()}
    return out


def tol(t):
    return 1e-9 * max(1.0, abs(t))


def ge(x, t):
    return x is not None and x >= t - tol(t)


def le(x, t):
    return x is not None and x <= t + tol(t)


def gt(x, t):
    return x is not None and x > t + tol(t)


def div(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def pct(a, b):
    q = div(a, b)
    return None if q is None else q * 100


def bands_ge(x, table):
    for t, p in table:
        if ge(x, t):
            return p
    return 0


def bands_le(x, table):
    for t, p in table:
        if le(x, t):
            return p
    return 0


def rnd(x):
    return Decimal(repr(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def f2(x):
    return "missing" if x is None else f"{x:.2f}"


def baseline_gates(r):
    if r["中小企业"] is not True:
        return "sme"
    if r["近三年重大事故"] is not False:
        return "no_major_incident"
    if r["失信或经营异常"] is not False:
        return "not_dishonest"
    return None


def get(rows, y, h):
    r = rows.get(y)
    return None if r is None else r.get(h)


def score_innovative(rows):
    r = rows[SCORED]
    rev, main, rd = r["营业收入（万元）"], r["主营业务收入（万元）"], r["研发费用（万元）"]
    debt = r["资产负债率（%）"]
    rd_ratio = pct(rd, rev)
    growth = None
    q = div(main, get(rows, SCORED - 1, "主营业务收入（万元）"))
    if q is not None:
        growth = (q - 1) * 100
    share = pct(main, rev)
    ip = {"Ⅰ类高价值": 20, "Ⅰ类自主研发": 15, "Ⅰ类": 10, "Ⅱ类": 5, "未获得": 0}.get(r["知识产权类别"], 0)
    p_rd = bands_ge(rd_ratio, [(5, 20), (3, 15), (2, 10), (1, 5)])
    p_g = bands_ge(growth, [(15, 20), (10, 15), (5, 10), (0, 5)])
    p_debt = bands_le(debt, [(55, 10), (75, 5)])
    p_sei = 10 if r["战略性新兴产业"] is True else 5
    p_share = bands_ge(share, [(70, 20), (60, 15), (55, 10), (50, 5)])
    inn, gro, spe = ip + p_rd, p_g + p_debt, p_sei + p_share
    total = rnd(inn + gro + spe)
    arith = (f"IP {r['知识产权类别'] or 'missing'} {ip} + R&D {f2(rd_ratio)}% {p_rd} = 创新能力 {inn}; "
             f"growth {f2(growth)}% {p_g} + debt {f2(debt)}% {p_debt} = 成长性 {gro}; "
             f"SEI {p_sei} + share {f2(share)}% {p_share} = 专业化 {spe}; total {total}")
    excl = baseline_gates(r)
    direct = []
    if ge(r["国家科技奖励排名"], 1) or ge(r["省部级科技奖励排名"], 1):
        direct.append("D1 award")
    if r["高新技术企业"] is True or r["技术创新示范企业"] is True or r["知识产权优势示范企业"] is True:
        direct.append("D2 honour")
    if r["研发机构级别"] in ("国家级", "省级"):
        direct.append("D3 R&D institution")
    if ge(r["近三年股权融资（万元）"], 500):
        direct.append("D4 equity ≥ 500")
    tier = None
    if excl:
        arith += f"; excluded by {excl}"
    elif direct:
        tier = "pass"
        arith += f"; direct ({', '.join(direct)}) waives 60 and the group minimums"
    else:
        fails = []
        if not ge(float(total), 60):
            fails.append(f"{total} < 60")
        if inn < 20:
            fails.append(f"创新能力 {inn} < 20")
        if gro < 15:
            fails.append(f"成长性 {gro} < 15")
        if spe < 15:
            fails.append(f"专业化 {spe} < 15")
        if fails:
            arith += "; no tier: " + ", ".join(fails)
        else:
            tier = "pass"
            arith += "; ≥ 60 and every minimum met"
    return str(total), tier, excl, arith


def score_zjtx(rows):
    r = rows[SCORED]
    rev, main, rd = r["营业收入（万元）"], r["主营业务收入（万元）"], r["研发费用（万元）"]
    m1, m2 = get(rows, SCORED - 1, "主营业务收入（万元）"), get(rows, SCORED - 2, "主营业务收入（万元）")
    share = pct(main, rev)
    g1, g2 = div(main, m1), div(m1, m2)
    avg = None if g1 is None or g2 is None else ((g1 - 1) + (g2 - 1)) / 2 * 100
    niche = r["细分市场年限（年）"]
    p1 = bands_ge(share, [(80, 5), (70, 3), (60, 1)])
    p2 = bands_ge(avg, [(10, 10), (8, 8), (6, 6), (4, 4), (0, 2)])
    p3 = 0
    if niche is not None:
        steps = math.floor(niche / 2 + tol(niche / 2))
        p3 = min(max(steps, 0) * 1, 5)
    p4 = {"关键领域补短板": 5, "六基老字号或龙头配套": 3, "其他": 0}.get(r["主导产品领域"], 0)
    p5 = {"四级": 5, "三级": 5, "二级": 3, "一级": 0}.get(r["数字化水平"], 0)
    items = sum(1 for h in ("省级以上质量奖", "质量管理体系认证", "自主品牌", "参与制修订标准") if r[h] is True)
    p6 = bands_ge(float(items), [(2, 5), (1, 3)])
    margin = pct(r["净利润（万元）"], rev)
    p7 = bands_ge(margin, [(10, 10), (8, 8), (6, 6), (4, 4), (2, 2)])
    debt = r["资产负债率（%）"]
    p8 = bands_le(debt, [(50, 5), (60, 3), (70, 1)])
    feat = r["特色化得分"]
    p9 = 0 if feat is None else min(max(feat, 0), 15)
    p10 = {"Ⅰ类高价值": 10, "Ⅰ类自主研发": 8, "Ⅰ类": 6, "Ⅱ类": 2, "未获得": 0}.get(r["知识产权类别"], 0)
    rd_ratio = pct(rd, rev)
    p11 = max(bands_ge(rd, [(500, 10), (400, 8), (300, 6), (200, 4), (100, 2)]),
              bands_ge(rd_ratio, [(10, 10), (8, 8), (6, 6), (4, 4), (3, 2)]))
    staff = pct(r["研发人员（人）"], r["从业人员（人）"])
    p12 = bands_ge(staff, [(20, 5), (10, 3), (5, 1)])
    p13 = {"国家级": 10, "省级": 8, "市级": 4, "市级以下": 2, "未建立": 0}.get(r["研发机构级别"], 0)
    spe, ref, dis, inn = p1 + p2 + p3 + p4, p5 + p6 + p7 + p8, p9, p10 + p11 + p12 + p13
    total = rnd(spe + ref + dis + inn)
    arith = (f"专业化 share {f2(share)}% {p1} + avg growth {f2(avg)}% {p2} + niche {num(niche)} {p3} + field {p4}"
             f" = {spe}; 精细化 digital {p5} + quality {items} items {p6} + margin {f2(margin)}% {p7}"
             f" + debt {f2(debt)}% {p8} = {ref}; 特色化 {num(p9)}; 创新能力 IP {p10} + R&D {f2(rd)}万/{f2(rd_ratio)}%"
             f" {p11} + staff {f2(staff)}% {p12} + institution {p13} = {inn}; total {total}")
    excl = baseline_gates(r)
    if excl is None:
        if not ge(niche, 2):
            excl = "niche_2y"
        elif not ge(rd, 100):
            excl = "rd_100"
        elif not ge(rd_ratio, 3):
            excl = "rd_ratio_3"
        elif not (ge(rev, 1000) or ge(r["近两年股权融资（万元）"], 2000)):
            excl = "revenue_1000"
    direct = []
    pr, nr = r["省部级科技奖励排名"], r["国家科技奖励排名"]
    if (ge(pr, 1) and le(pr, 3)) or (ge(nr, 1) and le(nr, 5)):
        direct.append("D1 award top rank")
    rd1 = get(rows, SCORED - 1, "研发费用（万元）")
    if rd is not None and rd1 is not None and ge((rd + rd1) / 2, 1000):
        direct.append(f"D2 2-year average R&D {f2((rd + rd1) / 2)}")
    if ge(r["近两年股权融资（万元）"], 6000):
        direct.append("D3 equity ≥ 6000")
    if r["创客中国"] in ("500强", "50强"):
        direct.append("D4 创客中国")
    tier = None
    if excl:
        arith += f"; excluded by {excl}"
    elif ge(float(total), 60):
        tier = "zjtx"
        arith += " ≥ 60"
    elif direct:
        tier = "zjtx"
        arith += f" < 60 but direct ({', '.join(direct)})"
    else:
        arith += " < 60, no direct condition"
    return str(total), tier, excl, arith


def score_zjtx_2026(rows):
    r = rows[SCORED]
    rev, main, rd = r["营业收入（万元）"], r["主营业务收入（万元）"], r["研发费用（万元）"]
    rev1, rd1 = get(rows, SCORED - 1, "营业收入（万元）"), get(rows, SCORED - 1, "研发费用（万元）")
    ev = r["专精特新发展评价得分"]
    score = rnd(min(max(ev, 0), 100)) if ev is not None else rnd(0.0)
    checks = [
        ("n1_tech_innovative", r["科技型中小企业"] is True or r["创新型中小企业"] is True, "科技和创新型 status"),
        ("n2_niche_3y", ge(r["细分市场年限（年）"], 3), f"niche {num(r['细分市场年限（年）'])}"),
        ("n3_revenue_1500", ge(rev, 1500) or ge(r["近两年股权融资（万元）"], 2000),
         f"revenue {f2(rev)}, equity {f2(r['近两年股权融资（万元）'])}"),
        ("n4_main_share_80", ge(pct(main, rev), 80), f"main share {f2(pct(main, rev))}%"),
        ("n5_debt_80", le(r["资产负债率（%）"], 80), f"debt {f2(r['资产负债率（%）'])}%"),
        ("n6_rd_100_each_year", ge(rd, 100) and ge(rd1, 100), f"R&D {f2(rd)} / {f2(rd1)}万"),
        ("n6_rd_ratio_3_each_year", ge(pct(rd, rev), 3) and ge(pct(rd1, rev1), 3),
         f"R&D ratio {f2(pct(rd, rev))}% / {f2(pct(rd1, rev1))}%"),
        ("n7_ip_1", ge(r["Ⅰ类知识产权数（项）"], 1) or r["研发机构级别"] in ("国家级", "省级")
         or (ge(r["省部级科技奖励排名"], 1) and le(r["省部级科技奖励排名"], 3))
         or (ge(r["国家科技奖励排名"], 1) and le(r["国家科技奖励排名"], 3)),
         f"Ⅰ类 IP {num(r['Ⅰ类知识产权数（项）'])} or exemption"),
        ("n8_market_position", r["细分市场地位靠前"] is True, "market position 较为靠前"),
    ]
    excl = baseline_gates(r)
    arith = f"score = 发展评价 {score}"
    if excl is None:
        for gid, ok, what in checks:
            if not ok:
                excl = gid
                arith += f"; excluded by {gid} ({what})"
                break
    else:
        arith += f"; excluded by {excl}"
    tier = None
    if excl is None:
        if ge(float(score), 50):
            tier = "zjtx"
            arith += "; all conditions met and ≥ 50"
        else:
            arith += "; < 50"
    return str(score), tier, excl, arith


def score_little_giant(rows):
    r = rows[SCORED]
    rev, main, rd = r["营业收入（万元）"], r["主营业务收入（万元）"], r["研发费用（万元）"]
    rev1, rd1 = get(rows, SCORED - 1, "营业收入（万元）"), get(rows, SCORED - 1, "研发费用（万元）")
    rev2 = get(rows, SCORED - 2, "营业收入（万元）")
    cagr = None
    q = div(rev, rev2)
    if q is not None and q >= 0:
        cagr = (math.sqrt(q) - 1) * 100
    ev = r["专精特新发展评价得分"]
    score = rnd(min(max(ev, 0), 100)) if ev is not None else rnd(0.0)
    nr = r["国家科技奖励排名"]
    dom, intl, rank = r["国内细分市场占有率（%）"], r["国际细分市场占有率（%）"], r["国内细分市场排名"]
    checks = [
        ("l1_zjtx", r["专精特新中小企业"] is True, "专精特新 status"),
        ("l1_niche_3y", ge(r["细分市场年限（年）"], 3), f"niche {num(r['细分市场年限（年）'])}"),
        ("l2_revenue_5000", ge(rev, 5000), f"revenue {f2(rev)}"),
        ("l2_main_share_90", ge(pct(main, rev), 90), f"main share {f2(pct(main, rev))}%"),
        ("l2_growth_5", ge(cagr, 5), f"2-year CAGR {f2(cagr)}%"),
        ("l2_debt_75", le(r["资产负债率（%）"], 75), f"debt {f2(r['资产负债率（%）'])}%"),
        ("l3_rd_1200", rd is not None and rd1 is not None and ge(rd + rd1, 1200),
         f"R&D {f2(rd)} + {f2(rd1)}万"),
        ("l3_rd_ratio_3_each_year", ge(pct(rd, rev), 3) and ge(pct(rd1, rev1), 3),
         f"R&D ratio {f2(pct(rd, rev))}% / {f2(pct(rd1, rev1))}%"),
        ("l4_ip_4", ge(r["Ⅰ类知识产权数（项）"], 4) or (ge(nr, 1) and le(nr, 3)),
         f"Ⅰ类 IP {num(r['Ⅰ类知识产权数（项）'])}, national award rank {num(nr)}"),
        ("l5_market_share", ge(dom, 10) or ge(intl, 10) or (ge(rank, 1) and le(rank, 3)),
         f"share {num(dom)}% / intl {num(intl)}% / rank {num(rank)}"),
        ("l6_key_field", r["重点领域关键环节"] is True, "key field / chain link"),
    ]
    excl = baseline_gates(r)
    arith = f"score = 发展评价 {score}"
    if excl is None:
        for gid, ok, what in checks:
            if not ok:
                excl = gid
                arith += f"; excluded by {gid} ({what})"
                break
    else:
        arith += f"; excluded by {excl}"
    tier = None
    if excl is None:
        if ge(float(score), 60):
            tier = "little_giant"
            arith += "; all conditions met and ≥ 60"
        else:
            arith += "; < 60"
    return str(score), tier, excl, arith


PACKS = {
    "miit-innovative-sme": score_innovative,
    "miit-zjtx-sme": score_zjtx,
    "miit-zjtx-sme-2026": score_zjtx_2026,
    "miit-little-giant": score_little_giant,
}


# --------------------------------------------------------------------------- cluster pack cases
#
# rules/miit-sme-cluster.toml scores county clusters, one row per cluster and
# year. Boundary clusters (K01…) around the VERIFIED aspect-1/2 thresholds.

CLUSTER_HEADERS = ["code", "name", "year", "县域范围", "占地面积（平方公里）", "集群产值（亿元）",
                   "中小企业产值占比（%）", "主导产业产值占比（%）", "产值年均增速（%）",
                   "主导产业冠军和小巨人企业数", "专精特新创新型高企数", "近三年重大事故或违法失信"]

KBASE = {"县域范围": True, "占地面积（平方公里）": 60, "集群产值（亿元）": 80,
         "集群产值（亿元）@2022": 70, "集群产值（亿元）@2021": 62,
         "中小企业产值占比（%）": 85, "主导产业产值占比（%）": 78, "产值年均增速（%）": 13.6,
         "主导产业冠军和小巨人企业数": 2, "专精特新创新型高企数": 25, "近三年重大事故或违法失信": False}

KROWS = [
    ("K01", "every VERIFIED threshold met", {}),
    ("K02", "spans two counties", {"县域范围": False}),
    ("K03", "area exactly 100 km² passes (原则上不超过)", {"占地面积（平方公里）": 100}),
    ("K04", "area 100.01 km² fails", {"占地面积（平方公里）": 100.01}),
    ("K05", "output exactly 40亿 in each of 3 years passes",
     {"集群产值（亿元）": 40, "集群产值（亿元）@2022": 40, "集群产值（亿元）@2021": 40, "产值年均增速（%）": 10.5}),
    ("K06", "output 39.99亿 two years ago fails", {"集群产值（亿元）@2021": 39.99}),
    ("K07", "output 39.99亿 last year fails", {"集群产值（亿元）@2022": 39.99}),
    ("K08", "no row for two years ago: output history missing fails", {"drop_years": [2021]}),
    ("K09", "SME output share exactly 70% passes (70%以上)", {"中小企业产值占比（%）": 70}),
    ("K10", "SME output share 69.99% fails", {"中小企业产值占比（%）": 69.99}),
    ("K11", "leading industry exactly 70% fails (高于70%)", {"主导产业产值占比（%）": 70}),
    ("K12", "leading industry 70.01% passes", {"主导产业产值占比（%）": 70.01}),
    ("K13", "growth exactly 10% fails (高于10%)", {"产值年均增速（%）": 10}),
    ("K14", "growth 10.01% passes", {"产值年均增速（%）": 10.01}),
    ("K15", "no 冠军/小巨人 but exactly 10 专精特新/创新型/高企 passes",
     {"主导产业冠军和小巨人企业数": 0, "专精特新创新型高企数": 10}),
    ("K16", "no 冠军/小巨人 and 9 专精特新/创新型/高企 fails",
     {"主导产业冠军和小巨人企业数": 0, "专精特新创新型高企数": 9}),
    ("K17", "one 小巨人 and only 3 other quality firms passes",
     {"主导产业冠军和小巨人企业数": 1, "专精特新创新型高企数": 3}),
    ("K18", "compliance veto (重大事故或违法失信)", {"近三年重大事故或违法失信": True}),
    ("K19", "missing SME share (—) fails its gate", {"中小企业产值占比（%）": "—"}),
    ("K20", "large cluster: output 260亿 (score capped at 100)",
     {"集群产值（亿元）": 260, "集群产值（亿元）@2022": 230, "集群产值（亿元）@2021": 200}),
]


def cluster_cases():
    rows, cases = [], []
    for i, (kid, purpose, ov) in enumerate(KROWS):
        d = dict(KBASE)
        d.update(ov)
        drop = set(d.pop("drop_years", []))
        per = {}
        for y in YEARS:
            if y in drop:
                continue
            r = {h: "" for h in CLUSTER_HEADERS}
            r.update({"code": kid, "name": f"边界样例集群{kid}", "year": str(y)})
            for k, v in d.items():
                h, yy = (k.split("@") + [str(SCORED)])[:2] if "@" in k else (k, str(SCORED))
                if int(yy) == y:
                    r[h] = v if isinstance(v, str) else fmt(v)
            if y != SCORED:
                # prior years carry the output only
                r = {h: (r[h] if h in ("code", "name", "year", "集群产值（亿元）") else "")
                     for h in CLUSTER_HEADERS}
            rows.append(r)
            per[y] = {h: parse_cell(v) for h, v in r.items()}
        cases.append((kid, purpose) + score_cluster(per))
    data = to_csv(CLUSTER_HEADERS, rows)
    out = [{"id": k, "expected_score": s, "expected_tier": t or "", "expected_excluded_by": e or "",
            "why": f"{p} | {a}"} for k, p, s, t, e, a in cases]
    return data, to_csv(["id", "expected_score", "expected_tier", "expected_excluded_by", "why"], out)


def score_cluster(per):
    r = per[SCORED]
    out = r["集群产值（亿元）"]
    o1, o2 = get(per, SCORED - 1, "集群产值（亿元）"), get(per, SCORED - 2, "集群产值（亿元）")
    frac = 0.0 if out is None else min(max((out - 40) / (200 - 40), 0), 1)
    score = rnd(frac * 100)
    checks = [
        ("no_violation", r["近三年重大事故或违法失信"] is False, "compliance veto"),
        ("in_one_county", r["县域范围"] is True, "within one county"),
        ("area_100", le(r["占地面积（平方公里）"], 100), f"area {num(r['占地面积（平方公里）'])}"),
        ("output_40_three_years", ge(out, 40) and ge(o1, 40) and ge(o2, 40), f"output {num(out)} / {num(o1)} / {num(o2)}"),
        ("sme_share_70", ge(r["中小企业产值占比（%）"], 70), f"SME share {num(r['中小企业产值占比（%）'])}"),
        ("leading_share_70", gt(r["主导产业产值占比（%）"], 70), f"leading {num(r['主导产业产值占比（%）'])}"),
        ("growth_10", gt(r["产值年均增速（%）"], 10), f"growth {num(r['产值年均增速（%）'])}"),
        ("quality_firms", ge(r["主导产业冠军和小巨人企业数"], 1) or ge(r["专精特新创新型高企数"], 10),
         f"冠军/小巨人 {num(r['主导产业冠军和小巨人企业数'])}, others {num(r['专精特新创新型高企数'])}"),
    ]
    arith = f"score = (output {num(out)} − 40) / (200 − 40) × 100 = {score}"
    for gid, ok, what in checks:
        if not ok:
            return str(score), None, gid, arith + f"; excluded by {gid} ({what})"
    return str(score), "recognised", None, arith + "; every VERIFIED threshold met"


# --------------------------------------------------------------------------- entry point

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare with the files on disk, write nothing")
    args = ap.parse_args()
    files = outputs()
    bad = []
    for rel, text in files.items():
        path = os.path.join(ROOT, rel)
        if args.check:
            try:
                with open(path, encoding="utf-8", newline="") as fh:
                    if fh.read() != text:
                        bad.append(rel)
            except FileNotFoundError:
                bad.append(rel)
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
            print(f"wrote {rel}", file=sys.stderr)
    if bad:
        print("out of date: " + ", ".join(bad), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
