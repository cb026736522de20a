#!/usr/bin/env python3
"""Deterministic generator for the cluster-pack fixtures.

    python3 tools/gen_cluster_fixtures.py            # writes the fixtures
    python3 tools/gen_cluster_fixtures.py --check    # regenerates in memory, fails if a file differs
    python3 tools/gen_cluster_fixtures.py --score    # also prints a reference scoring of each pack

Writes (paths relative to the repository root), one CSV per cluster pack:

* fixtures/liaocheng-2023.csv   — rules/liaocheng-benchmark.toml (seed 002)
* fixtures/anhui-2010.csv       — rules/anhui-zhuanyezhen.toml (seed 004)
* fixtures/shandong-kaifaqu-2020.csv — rules/shandong-kaifaqu.toml (seed 001)
* fixtures/shandong-tese-2010.csv — rules/shandong-tese-2011.toml (seed 000)
* fixtures/jilin-2010.csv        — rules/jilin-2006.toml (seed 003)
* fixtures/sme-clusters-2023.csv — rules/miit-sme-cluster.toml (工信部企业〔2022〕119号: a
  threshold standard with no aggregates to match; clusters 15-24 sit on its thresholds)

Every fixture reproduces the aggregates its seed document states (the
assertions at the end of each builder check them before anything is written;
tests/it/packs.rs checks them again from the committed file). Numbers that the
seed does not state are synthetic but plausible; they are drawn from a fixed
seed, so every run writes byte-identical files. Standard library only.

The `--score` option runs a small reference implementation of each pack,
written straight from the pack's tables (independent of the Rust engine), and
prints the ranking and tiers: it is how the tier thresholds of the packs were
checked to give sensible outcomes on the fixtures. It is not a test oracle.
"""

import argparse
import csv
import io
import math
import os
import random
import sys
from decimal import ROUND_HALF_UP, Decimal

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def to_csv(headers, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(headers)
    for r in rows:
        w.writerow([r.get(h, "") for h in headers])
    return buf.getvalue()


def r2(x):
    """Round half away from zero to 2 decimals (as Decimal)."""
    return Decimal(repr(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def cents(x):
    """A value in units of 0.01 as an int, rounded half up."""
    return int(r2(x) * 100)


def fmt_cents(c):
    return f"{c // 100}.{c % 100:02d}" if c >= 0 else "-" + fmt_cents(-c)


def round_half_up(x, n=0):
    q = Decimal(1).scaleb(-n)
    return float(Decimal(repr(x)).quantize(q, rounding=ROUND_HALF_UP))


# =========================================================================== Liaocheng (seed 002)
#
# Seed 002, 一、产业现状 (the figures every aggregate below reproduces):
#   "截至2023年，全市共培育市级集群28个、省级集群7个、国家级集群2个；其中，年销售收入
#    100亿元以上的集群有8个，50亿元以上的集群有9个，其余规模均超过了20亿元；2023年，28个
#    集群总产值3698.86亿元（含重复计算，下同），增速6.47 %，……共集聚中小企业1.15万户，……
#    集群平均研发强度5.90%，平均研发经费增速13.99%，……有139家公共服务平台围绕集群提供……服务"
#
# Readings (also in the pack header):
#   * the 28 are all of the city's clusters; the 7 provincial and 2 national clusters are
#     among them; the level column holds each cluster's highest recognition, so it reads
#     国家级 ×2, 省级 ×7, 市级 ×19;
#   * "50亿元以上的集群有9个" counts the clusters in [50, 100) (8 + 9 = 17 at 50亿 or more);
#     以上 includes the number, so LC02 at exactly 100.00亿 is one of the 8 and LC15 at
#     exactly 50.00亿 one of the 9;
#   * "平均研发强度" is the arithmetic mean over the 28 clusters of R&D / sales revenue;
#     "平均研发经费增速" likewise the mean of the 28 growth rates;
#   * "增速6.47%" is the growth of the 28 clusters' total output over 2022.

LC_YEARS = (2022, 2023)
LC_SCORED = 2023

LC_HEADERS = [
    "code", "name", "year", "县（市、区）", "集群级别",
    "总产值（亿元）", "销售收入（亿元）", "中小企业（户）", "中小企业产值占比（%）",
    "规上企业（家）", "从业人员（人）", "研发经费（万元）", "高价值发明专利（件）",
    "新增市级以上创新平台（个）", "省级以上专精特新企业（家）",
    "数字化服务平台（个）", "新增智能工厂和数字车间（个）", "智改数转企业（家）",
    "市级以上绿色制造名单（家）", "绿色（节能）诊断企业（家）",
    "公共服务平台（个）", "公共服务平台最高级别", "集群工作评价（分）",
    "重大安全环保事故（起）",
]

# code, name (same names as tools/gen_enterprises.py, so the enterprise fixture's cluster
# codes line up), county, level, 2023 sales revenue (亿元), output growth 2023 (%),
# R&D intensity 2023 (%), SME share of output (%), R&D spend growth 2023 (%)
LC_CLUSTERS = [
    ("LC01", "临清市轴承产业集群", "临清市", "国家级", 452.30, 8.2, 7.2, 82, 15.5),
    ("LC02", "东阿县钢球产业集群", "东阿县", "省级", 100.00, 5.1, 5.0, 88, 12.0),
    ("LC03", "阳谷县电线电缆产业集群", "阳谷县", "省级", 285.40, 7.5, 6.0, 74, 14.2),
    ("LC04", "茌平区铝材精深加工产业集群", "茌平区", "国家级", 598.60, 4.3, 4.1, 71, 9.8),
    ("LC05", "冠县冷轧板产业集群", "冠县", "省级", 228.90, 9.6, 6.2, 85, 16.3),
    ("LC06", "东昌府区钢管产业集群", "东昌府区", "省级", 152.60, 3.2, 4.6, 90, 8.5),
    ("LC07", "聊城经济技术开发区汽车零部件产业集群", "聊城经济技术开发区", "省级", 196.50, 12.4, 6.8, 76, 18.9),
    ("LC08", "聊城高新区新能源汽车产业集群", "聊城高新技术产业开发区", "市级", 86.40, 24.5, 9.4, 80, 25.6),
    ("LC09", "阳谷县铜精深加工产业集群", "阳谷县", "省级", 318.70, 6.1, 3.4, 48, 11.2),
    ("LC10", "莘县化工新材料产业集群", "莘县", "市级", 78.30, 6.8, 5.6, 83, 13.1),
    ("LC11", "高唐县造纸产业集群", "高唐县", "省级", 92.60, -2.4, 3.1, 66, 4.5),
    ("LC12", "临清市数控机床产业集群", "临清市", "市级", 56.80, 10.2, 8.1, 94, 17.8),
    ("LC13", "东阿县阿胶产业集群", "东阿县", "市级", 71.50, 5.5, 6.8, 58, 10.6),
    ("LC14", "茌平区新材料产业集群", "茌平区", "市级", 64.20, 15.8, 7.6, 89, 21.0),
    ("LC15", "冠县纺织产业集群", "冠县", "市级", 50.00, 4.0, 4.3, 95, 9.0),
    ("LC16", "高唐县装备制造产业集群", "高唐县", "市级", 58.90, 7.9, 6.4, 91, 14.7),
    ("LC17", "莘县食品加工产业集群", "莘县", "市级", 42.60, 6.0, 4.6, 92, 12.5),
    ("LC18", "临清市纺织服装产业集群", "临清市", "市级", 67.40, 1.8, 3.6, 93, 7.4),
    ("LC19", "东昌府区电动车产业集群", "东昌府区", "市级", 38.50, 18.3, 7.1, 90, 19.2),
    ("LC20", "阳谷县化工产业集群", "阳谷县", "市级", 46.30, 5.2, 4.8, 87, 10.1),
    ("LC21", "临清市汽车零部件产业集群", "临清市", "市级", 33.80, 9.1, 5.9, 96, 13.6),
    ("LC22", "冠县农机装备产业集群", "冠县", "市级", 24.70, 3.6, 5.8, 97, 11.9),
    ("LC23", "莘县建材产业集群", "莘县", "市级", 29.60, -4.1, 2.6, 98, 3.2),
    ("LC24", "东阿县食品产业集群", "东阿县", "市级", 27.90, 4.7, 4.5, 96, 8.8),
    ("LC25", "茌平区纺织产业集群", "茌平区", "市级", 35.20, 2.9, 3.3, 97, 6.1),
    ("LC26", "高唐县生物医药产业集群", "高唐县", "市级", 22.40, 21.6, 10.3, 93, 28.4),
    ("LC27", "聊城高新区生物医药产业集群", "聊城高新技术产业开发区", "市级", 31.10, 16.9, 9.7, 88, 24.7),
    ("LC28", "聊城经济技术开发区智能制造产业集群", "聊城经济技术开发区", "市级", 26.80, 13.4, 8.4, 95, 20.3),
]

LC_TOTAL_OUTPUT_CENTS = 369886          # 3698.86亿元
LC_GROWTH = 6.47                        # % total output growth over 2022
LC_SMES = 11500                         # 1.15万户 (any 11,450–11,549 rounds to 1.15万)
LC_RD_INTENSITY_MEAN = 5.90             # %
LC_RD_GROWTH_MEAN = 13.99               # %
LC_PLATFORMS = 139
LC_INCIDENT = "LC20"                    # the one cluster failing the exclude gate
LC_UPGRADED_2023 = "LC11"               # 市级 in 2022, 省级 from 2023


def liaocheng():
    rng = random.Random(20240101)
    n = len(LC_CLUSTERS)
    codes = [c[0] for c in LC_CLUSTERS]
    rev23 = [cents(c[4]) for c in LC_CLUSTERS]

    # ---- 2023 output: sales × an output/sales ratio, scaled to the seed's total exactly
    ratio = [1.04 + 0.08 * rng.random() for _ in range(n)]
    raw = [rev23[i] * ratio[i] for i in range(n)]
    k = LC_TOTAL_OUTPUT_CENTS / sum(raw)
    out23 = [int(round(x * k)) for x in raw]
    out23[codes.index("LC04")] += LC_TOTAL_OUTPUT_CENTS - sum(out23)   # residual on the largest
    assert all(out23[i] >= rev23[i] for i in range(n))

    # ---- 2022 output: per-cluster growth, shifted so that the total grows by 6.47 %
    g = [c[5] / 100 for c in LC_CLUSTERS]
    target22 = LC_TOTAL_OUTPUT_CENTS / (1 + LC_GROWTH / 100)
    lo, hi = -0.05, 0.05
    for _ in range(100):
        s = (lo + hi) / 2
        tot = sum(out23[i] / (1 + g[i] + s) for i in range(n))
        lo, hi = (s, hi) if tot > target22 else (lo, s)
    out22 = [int(round(out23[i] / (1 + g[i] + s))) for i in range(n)]
    out22[codes.index("LC04")] += int(round(target22)) - sum(out22)
    growth = (sum(out23) / sum(out22) - 1) * 100
    assert round_half_up(growth, 2) == LC_GROWTH, growth

    # ---- 2022 sales: grew a little differently from output
    rev22 = [int(round(rev23[i] / (1 + g[i] + s + rng.uniform(-0.01, 0.01)))) for i in range(n)]

    # ---- R&D spend (万元, integers): intensity = rd / (sales × 10000) × 100
    intensity = [c[6] for c in LC_CLUSTERS]
    # rev23 is in cents of 亿元: 亿 × 10000 (万/亿) × % / 100 = cents × %
    rd23 = [int(round(rev23[i] * intensity[i])) for i in range(n)]

    def rd_mean(rd, rev):
        return sum(rd[i] / rev[i] for i in range(n)) / n          # in %, since rev is in cents

    # nudge the largest clusters' R&D until the mean rounds to 5.90 (LC02 stays at exactly 5.00 %)
    i_adj = codes.index("LC01")
    while round_half_up(rd_mean(rd23, rev23), 2) != LC_RD_INTENSITY_MEAN:
        rd23[i_adj] += 1 if rd_mean(rd23, rev23) < LC_RD_INTENSITY_MEAN else -1
    assert rd23[codes.index("LC02")] == 50000          # exactly 5.00 % of exactly 100.00亿

    rg = [c[8] / 100 for c in LC_CLUSTERS]
    shift = LC_RD_GROWTH_MEAN / 100 - sum(rg) / n
    rd22 = [int(round(rd23[i] / (1 + rg[i] + shift))) for i in range(n)]

    def rdg_mean():
        return sum((rd23[i] / rd22[i] - 1) * 100 for i in range(n)) / n

    j = 0
    while round_half_up(rdg_mean(), 2) != LC_RD_GROWTH_MEAN:
        rd22[j % n] += -1 if rdg_mean() < LC_RD_GROWTH_MEAN else 1
        j += 1

    # ---- SMEs (户): roughly sales^0.7, summing to 11,500
    w = [(rev23[i] / 100) ** 0.7 for i in range(n)]
    smes23 = [int(round(LC_SMES * x / sum(w))) for x in w]
    smes23[0] += LC_SMES - sum(smes23)
    smes22 = [x - rng.randint(0, max(1, x // 25)) for x in smes23]

    # ---- public service platforms, summing to 139
    w = [(rev23[i] / 100) ** 0.5 for i in range(n)]
    plat23 = [max(1, int(round(LC_PLATFORMS * x / sum(w)))) for x in w]
    d = LC_PLATFORMS - sum(plat23)
    order = sorted(range(n), key=lambda i: -rev23[i])
    t = 0
    while d != 0:
        i = order[t % n]
        if d > 0:
            plat23[i] += 1
            d -= 1
        elif plat23[i] > 1:
            plat23[i] -= 1
            d += 1
        t += 1
    plat22 = [max(1, x - rng.choice((0, 0, 1))) for x in plat23]

    rows = []
    for i, (code, name, county, level, _r, _g, _ri, sme_share, _rg) in enumerate(LC_CLUSTERS):
        size = rev23[i] / 100                                   # 亿元
        # q ∈ [0, 1]: how far along a cluster is (size and R&D intensity); the synthetic
        # counts below grow with it, plus noise
        q = 0.5 * math.log(size / 20) / math.log(600 / 20) + 0.5 * (intensity[i] - 2.6) / (10.3 - 2.6)
        q = min(1.0, max(0.0, q + (0.08 if level != "市级" else 0.0)))
        cnt = lambda top, spread=1.0: max(0, int(round(q * top + rng.uniform(-spread, spread))))
        scale_firms23 = int(round(6 + size * 0.32 + rng.uniform(-2, 2)))
        new_scale = cnt(5, 1.5) if code != "LC23" else -1
        people23 = int(round(size * rng.uniform(190, 320) / 10) * 10) + 800
        people22 = int(round(people23 / (1 + rng.uniform(-0.02, 0.06)) / 10) * 10)
        density23 = rng.uniform(4, 30) * (1 + (intensity[i] - 5) / 10)
        pat23 = max(2, int(round(density23 * people23 / 10000)))
        pat22 = max(1, int(round(pat23 / (1 + rng.uniform(-0.02, 0.05 + 0.2 * q)))))
        zjtx23 = max(1, int(round(2 + size * rng.uniform(0.04, 0.09))))
        zjtx22 = max(0, zjtx23 - cnt(6, 1.5))
        dig23 = (1 + (rng.random() < q)) if q > 0.55 else int(rng.random() < q + 0.2)
        dig22 = max(0, dig23 - rng.choice((0, 0, 1)))
        smart23 = cnt(3.5)
        smart22 = cnt(2.5)
        zgsz23 = int(round(smes23[i] * (0.02 + 0.05 * q) * rng.uniform(0.8, 1.2)))
        zgsz22 = int(round(zgsz23 * rng.uniform(0.55, 0.85)))
        green23 = cnt(6, 1.5)
        green22 = max(0, green23 - rng.choice((0, 0, 1)))
        diag23 = cnt(2)
        diag22 = cnt(1.5)
        top = ("国家级" if size >= 280 else "省级" if size >= 90 or rng.random() < 0.3 else "市级")
        evals = [round(min(3.0, max(0.5, 1.2 + 1.8 * q + rng.uniform(-0.3, 0.3))), 1) for _ in LC_YEARS]
        per_year = {
            2022: dict(out=out22[i], rev=rev22[i], sme=smes22[i], firms=scale_firms23 - new_scale,
                       people=people22, rd=rd22[i], pat=pat22,
                       newplat=cnt(2.5), zjtx=zjtx22, dig=dig22,
                       smart=smart22, zgsz=zgsz22, green=green22, diag=diag22, plat=plat22[i],
                       top=top, ev=evals[0], inc=0,
                       level=("市级" if code == LC_UPGRADED_2023 else level),
                       share=min(99, sme_share + rng.choice((-1, 0, 1)))),
            2023: dict(out=out23[i], rev=rev23[i], sme=smes23[i], firms=scale_firms23,
                       people=people23, rd=rd23[i], pat=pat23,
                       newplat=cnt(3.5), zjtx=zjtx23, dig=dig23,
                       smart=smart23, zgsz=zgsz23, green=green23, diag=diag23, plat=plat23[i],
                       top=top, ev=evals[1], inc=(1 if code == LC_INCIDENT else 0),
                       level=level, share=sme_share),
        }
        for y in LC_YEARS:
            v = per_year[y]
            rows.append({
                "code": code, "name": name, "year": str(y), "县（市、区）": county,
                "集群级别": v["level"],
                "总产值（亿元）": fmt_cents(v["out"]), "销售收入（亿元）": fmt_cents(v["rev"]),
                "中小企业（户）": str(v["sme"]), "中小企业产值占比（%）": str(v["share"]),
                "规上企业（家）": str(v["firms"]), "从业人员（人）": str(v["people"]),
                "研发经费（万元）": str(v["rd"]), "高价值发明专利（件）": str(v["pat"]),
                "新增市级以上创新平台（个）": str(v["newplat"]),
                "省级以上专精特新企业（家）": str(v["zjtx"]),
                "数字化服务平台（个）": str(v["dig"]),
                "新增智能工厂和数字车间（个）": str(v["smart"]),
                "智改数转企业（家）": str(v["zgsz"]),
                "市级以上绿色制造名单（家）": str(v["green"]),
                "绿色（节能）诊断企业（家）": str(v["diag"]),
                "公共服务平台（个）": str(v["plat"]), "公共服务平台最高级别": v["top"],
                "集群工作评价（分）": f"{v['ev']:.1f}",
                "重大安全环保事故（起）": str(v["inc"]),
            })

    # ---- missing cells in non-critical columns (each exercises a missing policy)
    def put(code, year, col, val):
        for r in rows:
            if r["code"] == code and r["year"] == str(year):
                r[col] = val
                return
        raise KeyError((code, year))

    put("LC17", 2022, "高价值发明专利（件）", "—")      # patent-density growth missing → zero
    put("LC25", 2023, "智改数转企业（家）", "")           # count missing → zero
    put("LC22", 2023, "绿色（节能）诊断企业（家）", "未报送")   # pack's own marker → zero
    put("LC13", 2023, "集群工作评价（分）", "")           # bureau score missing → exclude (rescaled)
    put("LC28", 2022, "规上企业（家）", "—")              # new 规上 firms missing → zero

    check_liaocheng(rows)
    return to_csv(LC_HEADERS, rows)


def num(cell):
    cell = cell.strip()
    if cell in ("", "—", "未报送", "NA", "-"):
        return None
    return float(cell)


def check_liaocheng(rows):
    y23 = [r for r in rows if r["year"] == "2023"]
    y22 = [r for r in rows if r["year"] == "2022"]
    assert len(y23) == 28 and len(y22) == 28
    levels = [r["集群级别"] for r in y23]
    assert levels.count("国家级") == 2 and levels.count("省级") == 7 and levels.count("市级") == 19
    rev = [num(r["销售收入（亿元）"]) for r in y23]
    assert sum(1 for x in rev if x >= 100) == 8
    assert sum(1 for x in rev if 50 <= x < 100) == 9
    assert all(x > 20 for x in rev)
    out23 = sum(Decimal(r["总产值（亿元）"]) for r in y23)
    out22 = sum(Decimal(r["总产值（亿元）"]) for r in y22)
    assert out23 == Decimal("3698.86"), out23
    assert round_half_up(float((out23 / out22 - 1) * 100), 2) == LC_GROWTH
    smes = sum(int(r["中小企业（户）"]) for r in y23)
    assert round_half_up(smes / 10000, 2) == 1.15, smes
    ri = [num(r["研发经费（万元）"]) / (num(r["销售收入（亿元）"]) * 10000) * 100 for r in y23]
    assert round_half_up(sum(ri) / 28, 2) == LC_RD_INTENSITY_MEAN
    rd22 = {r["code"]: num(r["研发经费（万元）"]) for r in y22}
    rg = [(num(r["研发经费（万元）"]) / rd22[r["code"]] - 1) * 100 for r in y23]
    assert round_half_up(sum(rg) / 28, 2) == LC_RD_GROWTH_MEAN
    assert sum(int(r["公共服务平台（个）"]) for r in y23) == LC_PLATFORMS
    assert sum(1 for r in y23 if r["重大安全环保事故（起）"] != "0") == 1



# =========================================================================== Anhui (seed 004)
#
# Seed 004 (安徽省"十二五"产业集群专业镇发展规划), 一、发展现状 (一) and (二):
#   "2010年，省认定的100个产业集群专业镇……规模以上企业2780家，较2009年末增加610家；实现主营
#    业务收入2450亿元，同比增长12%；实现工业增加值710亿元，同比增长36%；上缴税金95亿元，实现
#    利润220亿元。年实现特色产业主营业务收入10亿元以上的产业集群专业镇有54个，其中100亿元以上
#    的有2个，50亿元以上的有8个"
#   "皖北地区25个，皖南地区37个，皖中地区38个" and the table by prefecture (宣城11 芜湖8 黄山8
#    铜陵2 马鞍山4 池州4 | 宿州6 淮南6 淮北2 阜阳4 亳州4 蚌埠3 | 安庆11 六安9 巢湖7 合肥6 滁州5).
# Readings (also in the pack header):
#   * "其中100亿元以上的有2个，50亿元以上的有8个" is nested: of the 54 towns at 10亿 or more,
#     8 are at 50亿 or more, and 2 of those at 100亿 or more (6 in [50, 100)). 以上 includes the
#     number: AH town at exactly 50.00 and one at exactly 10.00 count.
#   * the size classes count 特色产业主营业务收入 (the first passage), not 产值 (the second
#     passage, "年产值达10亿元以上54个，超百亿元的仅2个", gives the same counts).
#   * "同比增长12%" / "36%" are rounded to whole percent; the fixture's totals give 12.00% and
#     36.00%.
# Town names: the 60 towns the seed names (with the industry it names for them) keep their
# names; the other 40 are "<county><industry>专业镇" placeholders built from the seed's
# industries for that prefecture — illustrative, not real recognised towns.

AH_YEARS = (2009, 2010)
AH_SCORED = 2010

AH_HEADERS = [
    "code", "name", "year", "地市", "区域", "主导产业",
    "主营业务收入（亿元）", "特色产业主营业务收入（亿元）", "工业增加值（亿元）",
    "上缴税金（亿元）", "利润（亿元）", "规上企业（家）",
    "集群内相互配套率（%）", "重点企业（家）", "装备达国内先进水平重点企业（家）",
    "装备达国际先进水平重点企业（家）", "市级以上企业技术中心（个）", "产业链公共技术研发中心",
    "市级以上名牌产品和著名商标（件）", "区域品牌", "产业集群窗口服务平台", "融资担保服务平台",
    "创业基地", "国家级产业基地称号",
]

# region, prefecture, name, industry, named-in-seed
AH_TOWNS = [
    # 皖南 37
    ("皖南", "宣城", "宁国市中溪镇", "汽车橡胶密封件及耐磨材料", True),
    ("皖南", "宣城", "宁国市梅林镇", "电容器", True),
    ("皖南", "宣城", "广德县四合乡", "蚕茧丝绸", True),
    ("皖南", "宣城", "泾县乌溪镇", "宣纸", True),
    ("皖南", "宣城", "泾县丁家桥镇", "宣笔", True),
    ("皖南", "宣城", "绩溪县上庄镇", "木雕", True),
    ("皖南", "宣城", "宣州区箱包专业镇", "箱包", False),
    ("皖南", "宣城", "郎溪县建材专业镇", "新型建材", False),
    ("皖南", "宣城", "旌德县机械制造专业镇", "机械制造", False),
    ("皖南", "宣城", "宣州区农副产品加工专业镇", "农副产品加工", False),
    ("皖南", "宣城", "绩溪县食品加工专业镇", "食品加工", False),
    ("皖南", "芜湖", "芜湖县湾沚镇", "汽车零部件", True),
    ("皖南", "芜湖", "南陵县许镇镇", "汽车零部件及汽车电子", True),
    ("皖南", "芜湖", "芜湖县六郎镇", "装备制造", True),
    ("皖南", "芜湖", "南陵县籍山镇", "装备制造", True),
    ("皖南", "芜湖", "繁昌县孙村镇", "棉纺织", True),
    ("皖南", "芜湖", "芜湖县电线电缆专业镇", "电线电缆", False),
    ("皖南", "芜湖", "繁昌县建材专业镇", "新型建材", False),
    ("皖南", "芜湖", "南陵县农副产品加工专业镇", "农副产品加工", False),
    ("皖南", "黄山", "祁门县祁山镇", "电子电器", True),
    ("皖南", "黄山", "徽州区岩寺镇", "精细化工", True),
    ("皖南", "黄山", "黟县碧阳镇", "蚕茧丝绸", True),
    ("皖南", "黄山", "黟县徽墨专业镇", "徽墨", True),
    ("皖南", "黄山", "歙县茶叶专业镇", "茶叶", False),
    ("皖南", "黄山", "休宁县食品加工专业镇", "食品加工", False),
    ("皖南", "黄山", "黄山区竹木加工专业镇", "竹木加工", False),
    ("皖南", "黄山", "屯溪区茶叶加工专业镇", "茶叶", False),
    ("皖南", "铜陵", "铜陵县钟鸣镇", "电容电缆", True),
    ("皖南", "铜陵", "铜陵县铜材加工专业镇", "铜材加工", False),
    ("皖南", "马鞍山", "当涂县博望镇", "刃模具机床", True),
    ("皖南", "马鞍山", "当涂县太白镇", "金属压延材料", True),
    ("皖南", "马鞍山", "当涂县黄池镇", "食品加工", True),
    ("皖南", "马鞍山", "当涂县丹阳镇", "铸造", True),
    ("皖南", "池州", "贵池区丁桥镇", "铜精深加工", True),
    ("皖南", "池州", "东至县香隅镇", "精细化工", True),
    ("皖南", "池州", "青阳县木镇镇", "铸造", True),
    ("皖南", "池州", "贵池区铅锌材料专业镇", "铅锌材料", False),
    # 皖北 25
    ("皖北", "宿州", "埇桥区符离镇", "烧鸡食品加工", True),
    ("皖北", "宿州", "砀山县砀城镇", "水果深加工", True),
    ("皖北", "宿州", "砀山县周寨镇", "板材加工", True),
    ("皖北", "宿州", "泗县圩镇", "林木加工", True),
    ("皖北", "宿州", "萧县建材专业镇", "新型建材", False),
    ("皖北", "宿州", "灵璧县农副产品加工专业镇", "农副产品加工", False),
    ("皖北", "淮南", "淮南市望峰岗镇", "煤矿机械", True),
    ("皖北", "淮南", "谢家集区建材专业镇", "新型建材", False),
    ("皖北", "淮南", "凤台县农副产品加工专业镇", "农副产品加工", False),
    ("皖北", "淮南", "八公山区豆制品专业镇", "豆制品", False),
    ("皖北", "淮南", "大通区机械制造专业镇", "机械制造", False),
    ("皖北", "淮南", "田家庵区食品加工专业镇", "食品加工", False),
    ("皖北", "淮北", "相山区渠沟镇", "面粉加工", True),
    ("皖北", "淮北", "濉溪县濉溪镇", "棉纺织", True),
    ("皖北", "阜阳", "阜南县黄岗镇", "柳编制品", True),
    ("皖北", "阜阳", "界首市光武镇", "工程塑料", True),
    ("皖北", "阜阳", "颍泉区中药专业镇", "中药", True),
    ("皖北", "阜阳", "临泉县农副产品加工专业镇", "农副产品加工", False),
    ("皖北", "亳州", "谯城区大杨镇", "粮油食品加工", True),
    ("皖北", "亳州", "谯城区古井镇", "白酒", True),
    ("皖北", "亳州", "谯城区十八里镇", "中药", True),
    ("皖北", "亳州", "涡阳县农副产品加工专业镇", "农副产品加工", False),
    ("皖北", "蚌埠", "固镇县城关镇", "滤清器和关键零件加工", True),
    ("皖北", "蚌埠", "蚌埠市滤清器专业镇", "滤清器", True),
    ("皖北", "蚌埠", "怀远县农副产品加工专业镇", "农副产品加工", False),
    # 皖中 38
    ("皖中", "安庆", "桐城市范岗镇", "制刷", True),
    ("皖中", "安庆", "桐城市吕亭镇", "羽绒家纺", True),
    ("皖中", "安庆", "桐城市新渡镇", "绿色环保包装材料", True),
    ("皖中", "安庆", "桐城市青草镇", "卫生劳保制品", True),
    ("皖中", "安庆", "宿松县洲头乡", "棉纺织", True),
    ("皖中", "安庆", "望江县华阳镇", "棉纺织", True),
    ("皖中", "安庆", "岳西县天堂镇", "手工家纺", True),
    ("皖中", "安庆", "安庆市汽车零部件专业镇", "汽车零部件", True),
    ("皖中", "安庆", "桐城市包装印刷专业镇", "包装印刷", True),
    ("皖中", "安庆", "怀宁县农副产品加工专业镇", "农副产品加工", False),
    ("皖中", "安庆", "太湖县农副产品加工专业镇", "农副产品加工", False),
    ("皖中", "六安", "霍山县诸佛庵镇", "毛竹", True),
    ("皖中", "六安", "霍山县衡山镇", "铸造", True),
    ("皖中", "六安", "寿县板桥镇", "草席加工", True),
    ("皖中", "六安", "裕安区固镇镇", "羽绒家纺", True),
    ("皖中", "六安", "舒城县城关镇", "羽绒家纺", True),
    ("皖中", "六安", "舒城县桃溪镇", "童车", True),
    ("皖中", "六安", "霍邱县冶金压延专业镇", "黑色金属冶炼及压延", True),
    ("皖中", "六安", "金安区农副产品加工专业镇", "农副产品加工", False),
    ("皖中", "六安", "金寨县农副产品加工专业镇", "农副产品加工", False),
    ("皖中", "巢湖", "无为县高沟镇", "特种电缆", True),
    ("皖中", "巢湖", "含山县环峰镇", "油脂加工", True),
    ("皖中", "巢湖", "庐江县同大镇", "汽车零部件", True),
    ("皖中", "巢湖", "居巢区中垾镇", "锚固锚链制品", True),
    ("皖中", "巢湖", "居巢区槐林镇", "渔网", True),
    ("皖中", "巢湖", "庐江县酿造制品专业镇", "酿造制品", True),
    ("皖中", "巢湖", "和县农副产品加工专业镇", "农副产品加工", False),
    ("皖中", "合肥", "长丰县岗集镇", "汽车零部件", True),
    ("皖中", "合肥", "肥西县桃花镇", "家用电器及零部件", True),
    ("皖中", "合肥", "肥东县电线电缆专业镇", "电线电缆", True),
    ("皖中", "合肥", "长丰县农副产品加工专业镇", "农副产品加工", False),
    ("皖中", "合肥", "肥西县机械制造专业镇", "机械制造", False),
    ("皖中", "合肥", "肥东县食品加工专业镇", "食品加工", False),
    ("皖中", "滁州", "天长市秦栏镇", "电子电器", True),
    ("皖中", "滁州", "天长市铜城镇", "仪器仪表", True),
    ("皖中", "滁州", "天长市汊涧镇", "食品加工", True),
    ("皖中", "滁州", "天长市电线电缆专业镇", "电线电缆", True),
    ("皖中", "滁州", "明光市建材专业镇", "新型建材", False),
]

# characteristic-industry revenue 2010 (亿元) fixed by hand for the size classes
AH_BIG = {"无为县高沟镇": 128.40, "天长市秦栏镇": 103.60}
AH_MID = {"当涂县博望镇": 78.30, "桐城市包装印刷专业镇": 86.20, "宁国市中溪镇": 61.50,
          "芜湖县湾沚镇": 57.90, "谯城区古井镇": 92.70, "界首市光武镇": 50.00}
AH_EDGE_10 = "天长市铜城镇"                # exactly 10.00亿: counts as 10亿元以上
AH_NATIONAL_BASE = {"无为县高沟镇", "当涂县博望镇", "桐城市包装印刷专业镇"}   # seed 004 一（一）

AH_REVENUE_CENTS = (218750, 245000)       # 2187.50 → 2450.00亿元: +12.00 %
AH_VA_CENTS = (52206, 71000)              # 522.06 → 710.00亿元: +36.00 %
AH_FIRMS = (2170, 2780)                   # 2780, "较2009年末增加610家"
AH_TAX_CENTS = 9500
AH_PROFIT_CENTS = 22000


def fit_int(weights, total, floor=0):
    """Integers proportional to weights, each ≥ floor, adding up to total exactly."""
    s = sum(weights)
    out = [max(floor, int(round(total * w / s))) for w in weights]
    order = sorted(range(len(out)), key=lambda i: -weights[i])
    d = total - sum(out)
    t = 0
    while d != 0:
        i = order[t % len(out)]
        if d > 0:
            out[i] += 1
            d -= 1
        elif out[i] > floor:
            out[i] -= 1
            d += 1
        t += 1
    return out


def yesno(b):
    return "是" if b else "否"


def anhui():
    rng = random.Random(20101231)
    names = [t[2] for t in AH_TOWNS]
    n = len(AH_TOWNS)
    assert n == 100 and len(set(names)) == 100

    # ---- characteristic-industry revenue 2010, in cents of 亿元
    char10 = []
    rest = [nm for nm in names if nm not in AH_BIG and nm not in AH_MID]
    # 46 more towns at 10亿 or more (one at exactly 10.00), the other 46 below 10亿
    r_order = rest[:]
    rng.shuffle(r_order)
    big_set = set(r_order[:46]) | {AH_EDGE_10}
    if len(big_set) > 46:
        big_set.discard(next(x for x in r_order[:46] if x != AH_EDGE_10))
    for nm in names:
        if nm in AH_BIG:
            char10.append(cents(AH_BIG[nm]))
        elif nm in AH_MID:
            char10.append(cents(AH_MID[nm]))
        elif nm == AH_EDGE_10:
            char10.append(1000)
        elif nm in big_set:
            char10.append(cents(min(48.9, 10.2 * math.exp(rng.uniform(0, 1.5)))))
        else:
            char10.append(cents(rng.uniform(2.5, 9.9)))

    # ---- total main revenue: characteristic share 58–95 %, the rest scaled to 2450.00 exactly
    share = [rng.uniform(0.58, 0.95) for _ in range(n)]
    other = [char10[i] / share[i] - char10[i] for i in range(n)]
    k = (AH_REVENUE_CENTS[1] - sum(char10)) / sum(other)
    rev10 = [char10[i] + int(round(other[i] * k)) for i in range(n)]
    rev10[names.index("无为县高沟镇")] += AH_REVENUE_CENTS[1] - sum(rev10)
    assert all(rev10[i] > char10[i] for i in range(n))

    g = [rng.gauss(0.12, 0.06) for _ in range(n)]
    rev09 = [int(round(rev10[i] / (1 + g[i]))) for i in range(n)]
    k = AH_REVENUE_CENTS[0] / sum(rev09)
    rev09 = [int(round(x * k)) for x in rev09]
    rev09[names.index("天长市秦栏镇")] += AH_REVENUE_CENTS[0] - sum(rev09)
    char09 = [int(round(char10[i] * rev09[i] / rev10[i] * rng.uniform(0.97, 1.03))) for i in range(n)]
    char09 = [min(char09[i], rev09[i]) for i in range(n)]

    # ---- value added, tax, profit, 规上 firms
    va10 = fit_int([rev10[i] * rng.uniform(0.25, 0.33) for i in range(n)], AH_VA_CENTS[1], 1)
    va09 = fit_int([va10[i] / rng.uniform(1.2, 1.5) for i in range(n)], AH_VA_CENTS[0], 1)
    tax10 = fit_int([rev10[i] * rng.uniform(0.03, 0.05) for i in range(n)], AH_TAX_CENTS, 1)
    profit10 = fit_int([rev10[i] * rng.uniform(0.07, 0.11) for i in range(n)], AH_PROFIT_CENTS, 1)
    tax09 = [int(round(x * rng.uniform(0.78, 0.92))) for x in tax10]
    profit09 = [int(round(x * rng.uniform(0.75, 0.95))) for x in profit10]
    firms10 = fit_int([(rev10[i] / 100) ** 0.8 for i in range(n)], AH_FIRMS[1], 3)
    firms09 = fit_int([firms10[i] * rng.uniform(0.65, 0.9) for i in range(n)], AH_FIRMS[0], 2)

    rows = []
    for i, (region, pref, name, industry, _named) in enumerate(AH_TOWNS):
        size = char10[i] / 100
        q = min(1.0, max(0.0, math.log(max(size, 2.5) / 2.5) / math.log(130 / 2.5) + rng.uniform(-0.2, 0.2)))
        key = max(2, int(round(2 + size * rng.uniform(0.08, 0.15))))
        dom = min(key, int(round(key * min(0.95, max(0.1, 0.25 + 0.6 * q + rng.uniform(-0.15, 0.15))))))
        intl = min(dom, int(round(key * max(0.0, 0.3 * q + rng.uniform(-0.1, 0.08)))))
        centres = max(0, int(round(4 * q + rng.uniform(-1.2, 1.2))))
        brands = max(0, int(round(5 * q + rng.uniform(-1.5, 1.5))))
        per_year = {}
        for y, rev, ch, va, tax, pr, fm in (
                (2009, rev09, char09, va09, tax09, profit09, firms09),
                (2010, rev10, char10, va10, tax10, profit10, firms10)):
            lag = 0 if y == 2010 else 1
            per_year[y] = {
                "主营业务收入（亿元）": fmt_cents(rev[i]),
                "特色产业主营业务收入（亿元）": fmt_cents(ch[i]),
                "工业增加值（亿元）": fmt_cents(va[i]),
                "上缴税金（亿元）": fmt_cents(tax[i]),
                "利润（亿元）": fmt_cents(pr[i]),
                "规上企业（家）": str(fm[i]),
                "集群内相互配套率（%）": f"{min(85.0, max(12.0, 22 + 40 * q + rng.uniform(-8, 8) - 3 * lag)):.1f}",
                "重点企业（家）": str(key),
                "装备达国内先进水平重点企业（家）": str(max(0, dom - lag * rng.choice((0, 1)))),
                "装备达国际先进水平重点企业（家）": str(max(0, intl - lag * rng.choice((0, 0, 1)))),
                "市级以上企业技术中心（个）": str(max(0, centres - lag * rng.choice((0, 1)))),
                "产业链公共技术研发中心": yesno(q > 0.55 and rng.random() < 0.6),
                "市级以上名牌产品和著名商标（件）": str(max(0, brands - lag * rng.choice((0, 1)))),
                "区域品牌": yesno(q > 0.45 and rng.random() < 0.5),
                "产业集群窗口服务平台": yesno(rng.random() < 0.15 + 0.4 * q),
                "融资担保服务平台": yesno(rng.random() < 0.1 + 0.5 * q),
                "创业基地": yesno(rng.random() < 0.3 + 0.5 * q),
                "国家级产业基地称号": yesno(name in AH_NATIONAL_BASE),
            }
        # a town keeps its platforms, brand and titles between years once it has them
        for col in ("产业链公共技术研发中心", "区域品牌", "产业集群窗口服务平台", "融资担保服务平台", "创业基地"):
            if per_year[2009][col] == "是" and per_year[2010][col] == "否":
                per_year[2010][col] = "是"
        for y in AH_YEARS:
            r = {"code": f"AH{i + 1:03d}", "name": name, "year": str(y), "地市": pref,
                 "区域": region, "主导产业": industry}
            r.update(per_year[y])
            rows.append(r)

    def put(code, year, col, val):
        for r in rows:
            if r["code"] == code and r["year"] == str(year):
                r[col] = val
                return
        raise KeyError((code, year))

    # missing cells: supporting rate not surveyed (→ cohort median), a count not reported (→ 0)
    for code in ("AH009", "AH044", "AH071", "AH090"):
        put(code, 2010, "集群内相互配套率（%）", "")
    put("AH025", 2010, "市级以上名牌产品和著名商标（件）", "—")
    put("AH052", 2010, "市级以上企业技术中心（个）", "NA")

    check_anhui(rows)
    return to_csv(AH_HEADERS, rows)


def check_anhui(rows):
    y10 = [r for r in rows if r["year"] == "2010"]
    y09 = [r for r in rows if r["year"] == "2009"]
    assert len(y10) == 100 and len(y09) == 100
    ch = [Decimal(r["特色产业主营业务收入（亿元）"]) for r in y10]
    assert sum(1 for x in ch if x >= 10) == 54
    assert sum(1 for x in ch if x >= 50) == 8
    assert sum(1 for x in ch if x >= 100) == 2
    total = lambda rs, col: sum(Decimal(r[col]) for r in rs)
    assert total(y10, "主营业务收入（亿元）") == Decimal("2450.00")
    assert total(y09, "主营业务收入（亿元）") == Decimal("2187.50")
    assert total(y10, "工业增加值（亿元）") == Decimal("710.00")
    assert round_half_up(float(total(y10, "工业增加值（亿元）") / total(y09, "工业增加值（亿元）") - 1) * 100, 0) == 36
    assert total(y10, "上缴税金（亿元）") == Decimal("95.00")
    assert total(y10, "利润（亿元）") == Decimal("220.00")
    assert sum(int(r["规上企业（家）"]) for r in y10) == 2780
    assert sum(int(r["规上企业（家）"]) for r in y09) == 2170
    reg = [r["区域"] for r in y10]
    assert (reg.count("皖北"), reg.count("皖南"), reg.count("皖中")) == (25, 37, 38)
    pref = [r["地市"] for r in y10]
    for p, c in (("宣城", 11), ("芜湖", 8), ("黄山", 8), ("铜陵", 2), ("马鞍山", 4), ("池州", 4),
                 ("宿州", 6), ("淮南", 6), ("淮北", 2), ("阜阳", 4), ("亳州", 4), ("蚌埠", 3),
                 ("安庆", 11), ("六安", 9), ("巢湖", 7), ("合肥", 6), ("滁州", 5)):
        assert pref.count(p) == c, (p, pref.count(p))
    for r in rows:
        d, i = num(r["装备达国内先进水平重点企业（家）"]), num(r["装备达国际先进水平重点企业（家）"])
        assert i <= d <= num(r["重点企业（家）"])



# =========================================================================== Shandong dev zones (seed 001)
#
# Seed 001 (鲁商发〔2016〕3号《山东省经济开发区产业集群培育行动计划》), 二、发展目标:
#   "到2020年，全省开发区重点推进培育10个销售收入超1000亿、50个销售收入超500亿产业集群"
# and 三 (ten sectors; "壮大烟台开发区通信设备2000亿级产业集群、青岛开发区家电及电子信息1000亿级
# 产业集群"). The fixture is the target year 2020 (with 2019 for growth) as if the goal were met
# exactly. Readings (also in the pack header):
#   * 超 is strict (>): a cluster at exactly 1000.00亿 is not 超1000亿 and one at exactly
#     500.00亿 is not 超500亿 (both are in the fixture);
#   * the 50 include the 10 (a cluster above 1000亿 is also above 500亿): 10 > 1000, 50 > 500.
# Cluster names: zone + industry; the ten sectors and the zones/industries the seed names are
# used, the pairing and all numbers are illustrative.

KF_YEARS = (2019, 2020)

KF_HEADERS = [
    "code", "name", "year", "设区市", "开发区", "开发区级别", "产业领域",
    "销售收入（亿元）", "百亿级龙头企业（家）", "规上企业（家）", "研发经费（亿元）",
    "公共研发中心", "检测中心", "信息中心", "产业技术创新战略联盟", "发展规划和产业链图", "集群发展基金",
]

KF_SECTORS = ["新一代信息技术", "新材料", "生物医药", "高端装备制造", "汽车及零部件", "化工",
              "食品", "纺织服装", "有色金属", "现代物流"]

# (city, zone, level, sector, product, 2020 sales or None)
KF_FIXED = [
    ("烟台", "烟台经济技术开发区", "国家级", "新一代信息技术", "通信设备", 2150.00),
    ("青岛", "青岛经济技术开发区", "国家级", "新一代信息技术", "家电及电子信息", 1480.00),
    ("东营", "东营经济技术开发区", "国家级", "化工", "石化", 1260.00),
    ("滨州", "邹平经济技术开发区", "国家级", "有色金属", "铝精深加工", 1390.00),
    ("烟台", "龙口经济开发区", "省级", "有色金属", "铝型材", 1120.00),
    ("济南", "济南高新技术产业开发区", "国家级", "汽车及零部件", "重型汽车", 1090.00),
    ("潍坊", "潍坊高新技术产业开发区", "国家级", "高端装备制造", "动力装备", 1180.00),
    ("滨州", "滨州经济技术开发区", "国家级", "纺织服装", "棉纺织", 1030.00),
    ("青岛", "青岛经济技术开发区", "国家级", "化工", "石化", 1050.00),
    ("临沂", "临沂经济技术开发区", "国家级", "食品", "肉制品", 1010.00),
    ("淄博", "淄博高新技术产业开发区", "国家级", "新材料", "新材料", 1000.00),   # not 超1000亿
    ("聊城", "阳谷经济开发区", "省级", "有色金属", "铜精深加工", 500.00),       # not 超500亿
    ("聊城", "高唐经济开发区", "省级", "汽车及零部件", "汽车零部件", 100.00),   # not 超100亿
]

KF_ZONES = {
    "济南": ["济南经济技术开发区", "章丘经济开发区"],
    "青岛": ["胶州经济技术开发区", "青岛高新技术产业开发区"],
    "淄博": ["淄博经济开发区", "桓台经济开发区"],
    "枣庄": ["枣庄经济开发区", "滕州经济开发区"],
    "东营": ["东营港经济开发区", "广饶经济开发区"],
    "烟台": ["烟台高新技术产业开发区", "招远经济技术开发区", "蓬莱经济开发区"],
    "潍坊": ["潍坊滨海经济技术开发区", "诸城经济开发区", "寿光经济开发区", "高密经济开发区"],
    "济宁": ["济宁经济技术开发区", "济宁高新技术产业开发区"],
    "泰安": ["泰安高新技术产业开发区", "新泰经济开发区"],
    "威海": ["威海经济技术开发区", "荣成经济开发区", "文登经济开发区"],
    "日照": ["日照经济技术开发区"],
    "莱芜": ["莱芜高新技术产业开发区"],
    "临沂": ["临沂高新技术产业开发区", "费县经济开发区"],
    "德州": ["德州经济技术开发区", "夏津经济开发区", "陵县经济开发区"],
    "聊城": ["聊城经济技术开发区", "茌平经济开发区", "临清经济开发区", "冠县经济开发区"],
    "滨州": ["滨州高新技术产业开发区", "利津经济开发区"],
    "菏泽": ["菏泽经济开发区", "郓城经济开发区"],
}
KF_PRODUCTS = {
    "新一代信息技术": ["电子信息", "半导体照明", "软件和信息服务", "智能终端"],
    "新材料": ["高分子材料", "无机非金属材料", "高性能纤维及复合材料", "粉末冶金"],
    "生物医药": ["生物医药", "现代中药", "医疗器械"],
    "高端装备制造": ["数控机床", "工程机械", "农用机械", "石油化工装备", "轨道交通装备"],
    "汽车及零部件": ["汽车零部件", "专用汽车", "新能源汽车"],
    "化工": ["精细化工", "盐化工", "化肥", "轮胎", "煤化工"],
    "食品": ["粮油食品", "果蔬加工", "水产品加工", "饮料"],
    "纺织服装": ["家纺", "棉纺印染", "服装"],
    "有色金属": ["铝加工", "铜加工"],
    "现代物流": ["商贸物流", "港口物流", "冷链物流"],
}


def kaifaqu():
    rng = random.Random(20160914)
    # target distribution of the 2020 sales of the generated clusters: 39 in (500, 1000),
    # 69 in (100, 500), 19 in (20, 100)
    sizes = ([rng.uniform(505, 990) for _ in range(39)] + [rng.uniform(102, 495) for _ in range(69)]
             + [rng.uniform(25, 98) for _ in range(19)])
    rng.shuffle(sizes)
    used = {(c, z, p) for c, z, _l, _s, p, _v in KF_FIXED}
    gen = []
    cities = sorted(KF_ZONES)
    while len(gen) < len(sizes):
        city = rng.choice(cities)
        zone = rng.choice(KF_ZONES[city])
        sector = rng.choice(KF_SECTORS)
        prod = rng.choice(KF_PRODUCTS[sector])
        if (city, zone, prod) in used:
            continue
        used.add((city, zone, prod))
        level = "国家级" if ("经济技术" in zone or "高新技术" in zone) else "省级"
        gen.append((city, zone, level, sector, prod, None))
    entries = KF_FIXED + gen
    rows = []
    for i, (city, zone, level, sector, prod, fixed) in enumerate(entries):
        s20 = cents(fixed) if fixed is not None else cents(sizes[i - len(KF_FIXED)])
        size = s20 / 100
        s19 = int(round(s20 / (1 + rng.uniform(-0.05, 0.20))))
        q = min(1.0, max(0.0, math.log(size / 25) / math.log(2200 / 25) + rng.uniform(-0.25, 0.25)))
        leaders = max(0, int(size // 100 * rng.uniform(0.2, 0.5)))
        firms20 = int(round(20 + size * rng.uniform(0.25, 0.5)))
        firms19 = int(round(firms20 / (1 + rng.uniform(-0.03, 0.12))))
        rd_ratio = rng.uniform(0.008, 0.035) * (0.7 + 0.6 * q)
        flags = {
            "公共研发中心": rng.random() < 0.3 + 0.6 * q,
            "检测中心": rng.random() < 0.25 + 0.6 * q,
            "信息中心": rng.random() < 0.2 + 0.5 * q,
            "产业技术创新战略联盟": rng.random() < 0.15 + 0.6 * q,
            # the big named clusters have their plan and chain map, except KF010 (shows the cap)
            "发展规划和产业链图": (i != 9) if fixed is not None and fixed > 1000 else rng.random() < 0.85,
            "集群发展基金": rng.random() < 0.05 + 0.4 * q,
        }
        for y, sales, firms in ((2019, s19, firms19), (2020, s20, firms20)):
            r = {"code": f"KF{i + 1:03d}", "name": f"{zone}{prod}产业集群", "year": str(y),
                 "设区市": city, "开发区": zone, "开发区级别": level, "产业领域": sector,
                 "销售收入（亿元）": fmt_cents(sales),
                 "百亿级龙头企业（家）": str(leaders if y == 2020 else max(0, leaders - rng.choice((0, 0, 1)))),
                 "规上企业（家）": str(firms),
                 "研发经费（亿元）": fmt_cents(int(round(sales * rd_ratio * (1 if y == 2020 else 0.92)))),
                 }
            r.update({k: yesno(v) for k, v in flags.items()})
            rows.append(r)

    def put(code, year, col, val):
        for r in rows:
            if r["code"] == code and r["year"] == str(year):
                r[col] = val
                return
        raise KeyError((code, year))

    put("KF030", 2020, "研发经费（亿元）", "")
    put("KF077", 2019, "规上企业（家）", "—")
    put("KF101", 2020, "百亿级龙头企业（家）", "NA")
    check_kaifaqu(rows)
    return to_csv(KF_HEADERS, rows)


def check_kaifaqu(rows):
    y20 = [r for r in rows if r["year"] == "2020"]
    assert len(y20) == 140 and len({r["name"] for r in y20}) == 140
    s = [Decimal(r["销售收入（亿元）"]) for r in y20]
    assert sum(1 for x in s if x > 1000) == 10
    assert sum(1 for x in s if x > 500) == 50
    assert len({r["产业领域"] for r in y20}) == 10
    assert any(r["name"] == "烟台经济技术开发区通信设备产业集群" and Decimal(r["销售收入（亿元）"]) >= 2000
               for r in y20)
    assert any(r["name"] == "青岛经济技术开发区家电及电子信息产业集群" and Decimal(r["销售收入（亿元）"]) >= 1000
               for r in y20)



# =========================================================================== Shandong 2011 (seed 000)
#
# Seed 000 (山东省 关于加快发展地方特色产业中小企业的意见, 2011), 一:
#   "截至2010年底，全省各类地方特色产业集聚了71311家中小企业，从业人员达到375万人，实现销售收入
#    11650亿元，实现利税846亿元"
# and 二（一）: "以现有的140个特色产业镇为基础……培育出100个年销售收入过100亿元、40个过50亿元的
# 地方特色产业集群". The fixture is one row per 特色产业镇 for 2010 (single year, no year
# column). Readings (also in the pack header):
#   * the 2010 totals are carried by the 140 特色产业镇 (the seed's totals are for "各类地方特色
#     产业"; the towns are the base it names);
#   * "375万人" is exact in the fixture (3,750,000); the others are exact to the cent.
# Town names: the seed's 二（二） names 179 places with their industries; the seed does not say
# which 140 are the recognised towns, so the fixture takes a fixed-seed sample of 140 of them,
# in the seed's order (the 4 旅游餐饮 places are left out as not manufacturing).

TS_HEADERS = [
    "code", "name", "所在地", "特色产业", "中小企业（家）", "从业人员（人）", "销售收入（亿元）",
    "利税（亿元）", "专精特新中小企业（家）", "企业研发机构（个）", "协作配套率（%）",
    "研发平台", "检测平台", "信息平台", "物流平台", "融资平台", "人才培训平台", "技术推广平台",
    "综合性公共服务平台", "行业协会（商会）", "著名商标（件）", "地理标志或集体商标", "联盟标准",
]

TS_PLACES = [
    ("莱阳龙旺庄街办", "猪肉制品深加工"),
    ("诸城昌城镇", "猪肉制品深加工"),
    ("临沂兰山半程镇", "猪肉制品深加工"),
    ("昌乐红河镇", "牛羊肉禽类制品"),
    ("烟台牟平大窑镇", "牛羊肉禽类制品"),
    ("阳谷经济开发区", "牛羊肉禽类制品"),
    ("利津盐窝镇", "牛羊肉禽类制品"),
    ("荣成人和镇", "海产品深加工"),
    ("荣成虎山镇", "海产品深加工"),
    ("烟台大季家街办", "海产品深加工"),
    ("日照岚山安东卫街办", "海产品深加工"),
    ("荣成俚岛镇", "海带深加工"),
    ("栖霞蛇窝泊镇", "果品深加工"),
    ("荣成埠柳镇", "果品深加工"),
    ("青州王坟镇", "果品深加工"),
    ("安丘凌河镇", "蔬菜深加工"),
    ("寿光圣城街办", "蔬菜深加工"),
    ("寿光洛城街办", "蔬菜深加工"),
    ("邹城平阳镇", "蔬菜深加工"),
    ("平邑地方镇", "蔬菜深加工"),
    ("苍山神山镇", "蔬菜深加工"),
    ("阳信县阳信镇", "蔬菜深加工"),
    ("菏泽牡丹沙土镇", "蔬菜深加工"),
    ("乐陵杨安镇", "辣椒姜蒜制品"),
    ("金乡鱼山镇", "辣椒姜蒜制品"),
    ("成武大田集镇", "辣椒姜蒜制品"),
    ("莱芜羊里镇", "辣椒姜蒜制品"),
    ("莱芜杨庄镇", "辣椒姜蒜制品"),
    ("招远张星镇", "粮食深加工"),
    ("邹平韩店镇", "粮食深加工"),
    ("沂水县沂水镇", "粮食深加工"),
    ("新泰楼德镇", "粮食深加工"),
    ("临邑临盘街办", "粮食深加工"),
    ("枣庄山亭城头镇", "大豆花生制品"),
    ("莒南涝坡镇", "大豆花生制品"),
    ("莱西姜山镇", "大豆花生制品"),
    ("平原恩城镇", "大豆花生制品"),
    ("日照东港日照街办", "大豆花生制品"),
    ("蓬莱刘家沟镇", "蓬莱葡萄酒"),
    ("日照岚山巨峰镇", "日照绿茶"),
    ("乐陵经济开发区", "文化体育用品"),
    ("昌乐鄌郚镇", "文化体育用品"),
    ("海阳凤城街办", "毛衫服饰"),
    ("禹城市中街办", "毛衫服饰"),
    ("即墨蓝村镇", "制鞋"),
    ("高密密水街办", "制鞋"),
    ("高密姜庄镇", "纺织服装及印染"),
    ("昌邑柳疃镇", "纺织服装及印染"),
    ("即墨通济街办", "纺织服装及印染"),
    ("汶上南站镇", "纺织服装及印染"),
    ("嘉祥县嘉祥街办", "运动劳保手套"),
    ("平邑仲村镇", "运动劳保手套"),
    ("邹平好生镇", "家具"),
    ("宁津县宁津镇", "家具"),
    ("宁津张大庄乡", "家具"),
    ("文登龙山街办", "家纺"),
    ("定陶县定陶镇", "家纺"),
    ("济阳仁风镇", "棉纺"),
    ("夏津宋楼镇", "棉纺"),
    ("临清金郝庄镇", "棉纺"),
    ("临沂兰山义堂镇", "板材加工"),
    ("临沂兰山朱保镇", "板材加工"),
    ("费县探沂镇", "板材加工"),
    ("郓城黄安镇", "板材加工"),
    ("曹县庄寨镇", "板材加工"),
    ("茌平菜屯镇", "板材加工"),
    ("济南槐荫区美里湖街办", "智能小家电"),
    ("平度南村镇", "智能小家电"),
    ("威海工业新区苘山镇", "机电工具"),
    ("临沂河东相公镇", "小五金"),
    ("临沂河东九曲街办", "小五金"),
    ("博兴兴福镇", "不锈钢厨具"),
    ("滕州龙泉街办", "中小机床"),
    ("新泰羊流镇", "起重机"),
    ("莱州沙河镇", "小型装载机"),
    ("德州德城宋官屯街办", "溴化锂制冷机组"),
    ("临朐县东关街办", "磁电设备"),
    ("梁山拳铺镇", "专用汽车及配套件"),
    ("梁山梁山街办", "专用汽车及配套件"),
    ("青岛城阳棘洪滩街办", "机车及配套件"),
    ("淄博博山白塔镇", "汽车零部件"),
    ("桓台果里镇", "汽车零部件"),
    ("烟台福山福新街办", "汽车零部件"),
    ("济南槐荫党家街办", "汽车零部件"),
    ("青岛城阳惜福镇街办", "汽车零部件"),
    ("平度同和街办", "汽车零部件"),
    ("枣庄山亭西集镇", "汽车零部件"),
    ("诸城密州街办", "汽车零部件"),
    ("文登文登营镇", "汽车零部件"),
    ("威海环翠桥头镇", "汽车零部件"),
    ("新泰新汶街办", "汽车零部件"),
    ("莱芜钢城里辛镇", "汽车零部件"),
    ("五莲松柏镇", "汽车零部件"),
    ("蓬莱北沟镇", "船舶及配件"),
    ("威海经济开发区崮山镇", "船舶及配件"),
    ("微山夏镇街办", "船舶及配件"),
    ("淄博淄川昆仑镇", "矿用机械"),
    ("曲阜时庄镇", "矿用机械"),
    ("垦利县垦利镇", "石油机械"),
    ("济宁任城接庄街办", "工程机械"),
    ("章丘明水镇", "塔机"),
    ("威海环翠张村镇", "空港设备机械"),
    ("胶南王台镇", "纺织机械"),
    ("淄博周村北郊镇", "玻璃机械"),
    ("兖州大安镇", "农业机械"),
    ("胶南隐珠街办", "手推车"),
    ("临清烟店镇", "轴承及配件"),
    ("聊城东昌府郑家镇", "轴承及配件"),
    ("宁阳堽城镇", "钢球"),
    ("东阿铜城街办", "钢球"),
    ("泗水泉林镇", "机床附件"),
    ("济南历城王舍人镇", "机械电子加工"),
    ("胶州北关街道办", "机械电子加工"),
    ("宁津时集镇", "机械电子加工"),
    ("昌乐营丘镇", "铸造和精密铸锻"),
    ("诸城百尺河镇", "铸造和精密铸锻"),
    ("济南长清张夏镇", "压力容器及锅炉"),
    ("泰安岱岳山口镇", "压力容器及锅炉"),
    ("龙口东江镇", "铝型材"),
    ("临朐东城街办", "铝型材"),
    ("冠县烟庄街办", "精品板材"),
    ("博兴店子镇", "精品板材"),
    ("聊城经济开发区蒋官屯街办", "钢管"),
    ("泰安岱岳满庄镇", "钢铁型材"),
    ("莱芜钢城颜庄镇", "钢铁型材"),
    ("枣庄峄城底阁镇", "石膏制品"),
    ("泰安岱岳马庄镇", "石膏制品"),
    ("肥城汶阳镇", "石膏制品"),
    ("平邑保太镇", "石膏制品"),
    ("莱州夏邱镇", "石材石雕"),
    ("嘉祥纸坊镇", "石材石雕"),
    ("五莲街头镇", "石材石雕"),
    ("寿光台头镇", "防水土工材料"),
    ("陵县陵城镇", "防水土工材料"),
    ("寿光上口镇", "窗帘窗饰"),
    ("淄博临淄朱台镇", "装饰原纸及纸制品"),
    ("兖州新兖镇", "装饰原纸及纸制品"),
    ("淄博博山山头街办", "陶瓷"),
    ("淄博淄川双杨镇", "陶瓷"),
    ("临沂罗庄罗西街办", "陶瓷"),
    ("淄博淄川岭子镇", "陶瓷"),
    ("广饶大王镇", "橡胶轮胎"),
    ("广饶稻庄镇", "橡胶轮胎"),
    ("威海环翠竹岛街办", "橡胶轮胎"),
    ("荣成崖头街办", "橡胶轮胎"),
    ("招远招城镇", "橡胶轮胎"),
    ("平度明村镇", "橡胶轮胎"),
    ("临沭县临沭镇", "缓释控复合肥"),
    ("潍坊滨海新区西城区", "盐化工"),
    ("寿光侯镇", "盐化工"),
    ("沾化滨海镇", "盐化工"),
    ("章丘刁镇", "精细化工"),
    ("淄博临淄南王镇", "精细化工"),
    ("德州德城新华街办", "玻璃钢中央空调"),
    ("武城鲁权屯镇", "玻璃钢中央空调"),
    ("桓台马桥镇", "空调电子暖通"),
    ("惠民李庄镇", "塑料及玻纤制品"),
    ("莒县刘官庄镇", "塑料及玻纤制品"),
    ("单县北城街办", "塑料及玻纤制品"),
    ("威海高新区怡园街办", "电子信息类产品"),
    ("荣成港西镇", "电子信息类产品"),
    ("桓台唐山镇", "氟硅材料和绿色环保制冷剂"),
    ("威海火炬高技术区田和街办", "碳纤维制品及渔具"),
    ("莒南大店镇", "磨具磨料"),
    ("昌乐朱刘街办", "新能源电动车"),
    ("沂南界湖镇", "新能源电动车"),
    ("滕州鲍沟镇", "艺术玻璃"),
    ("招远温泉街办", "金银首饰加工"),
    ("日照东港区日照街办", "抽纱工艺品"),
    ("临沂罗庄黄山镇", "柳编制品"),
    ("临沂河东汤河镇", "柳编制品"),
    ("济南历城华山街办", "商贸仓储物流"),
    ("潍坊坊子坊安街办", "商贸仓储物流"),
    ("淄博淄川将军路街办", "商贸仓储物流"),
    ("苍山向城镇", "商贸仓储物流"),
    ("曲阜鲁城街办", "旅游餐饮"),
    ("蓬莱市蓬莱阁街办", "旅游餐饮"),
    ("泰安泰山泰前街办", "旅游餐饮"),
    ("滨州滨城彭李街办", "旅游餐饮"),

]

TS_SMES = 71311
TS_EMPLOYEES = 3_750_000
TS_SALES_CENTS = 1_165_000
TS_TAX_CENTS = 84_600
TS_PLATFORM_COLS = ["研发平台", "检测平台", "信息平台", "物流平台", "融资平台", "人才培训平台", "技术推广平台"]


def tese():
    rng = random.Random(20110101)
    places = [p for p in TS_PLACES if p[1] != "旅游餐饮"]
    keep = sorted(rng.sample(range(len(places)), 140))
    places = [places[i] for i in keep]
    n = len(places)
    # sales: lognormal around the mean of 83亿, scaled to 11650.00 exactly; the edges 100.00
    # and 50.00 are placed on two towns (过 = strictly above: neither counts)
    raw = [math.exp(rng.gauss(3.9, 0.85)) for _ in range(n)]
    sales = fit_int(raw, TS_SALES_CENTS, 150)
    i100, i50 = 17, 63
    for i, v in ((i100, 10000), (i50, 5000)):
        d = sales[i] - v
        sales[i] = v
        j = max(range(n), key=lambda k: sales[k])
        sales[j] += d
    assert sum(sales) == TS_SALES_CENTS
    smes = fit_int([(x / 100) ** 0.75 * rng.uniform(0.7, 1.3) for x in sales], TS_SMES, 40)
    emp = fit_int([smes[i] * rng.uniform(35, 70) for i in range(n)], TS_EMPLOYEES, 2000)
    tax = fit_int([sales[i] * rng.uniform(0.05, 0.10) for i in range(n)], TS_TAX_CENTS, 10)
    rows = []
    for i, (place, industry) in enumerate(places):
        size = sales[i] / 100
        q = min(1.0, max(0.0, math.log(size / 5) / math.log(600 / 5) + rng.uniform(-0.25, 0.25)))
        plats = {c: rng.random() < 0.15 + 0.6 * q for c in TS_PLATFORM_COLS}
        r = {
            "code": f"TS{i + 1:03d}", "name": f"{place}{industry}特色产业", "所在地": place,
            "特色产业": industry,
            "中小企业（家）": str(smes[i]), "从业人员（人）": str(emp[i]),
            "销售收入（亿元）": fmt_cents(sales[i]), "利税（亿元）": fmt_cents(tax[i]),
            "专精特新中小企业（家）": str(max(0, int(round(4 * q + rng.uniform(-1.5, 1.5))))),
            "企业研发机构（个）": str(max(0, int(round(5 * q + rng.uniform(-1.5, 1.5))))),
            "协作配套率（%）": f"{min(80.0, max(10.0, 20 + 40 * q + rng.uniform(-10, 10))):.1f}",
            "综合性公共服务平台": yesno(sum(plats.values()) >= 3 and rng.random() < 0.8),
            "行业协会（商会）": yesno(rng.random() < 0.4 + 0.5 * q),
            "著名商标（件）": str(max(0, int(round(3 * q + rng.uniform(-1, 1.5))))),
            "地理标志或集体商标": yesno(rng.random() < 0.1 + 0.3 * q),
            "联盟标准": yesno(rng.random() < 0.1 + 0.4 * q),
        }
        r.update({c: yesno(v) for c, v in plats.items()})
        rows.append(r)
    rows[30]["协作配套率（%）"] = ""
    rows[88]["专精特新中小企业（家）"] = "—"
    rows[121]["著名商标（件）"] = "NA"
    rows[45]["地理标志或集体商标"] = ""
    check_tese(rows)
    return to_csv(TS_HEADERS, rows)


def check_tese(rows):
    assert len(rows) == 140 and len({r["name"] for r in rows}) == 140
    assert sum(int(r["中小企业（家）"]) for r in rows) == TS_SMES
    assert sum(int(r["从业人员（人）"]) for r in rows) == TS_EMPLOYEES
    assert sum(Decimal(r["销售收入（亿元）"]) for r in rows) == Decimal("11650.00")
    assert sum(Decimal(r["利税（亿元）"]) for r in rows) == Decimal("846.00")
    s = [Decimal(r["销售收入（亿元）"]) for r in rows]
    assert Decimal("100.00") in s and Decimal("50.00") in s



# =========================================================================== Jilin (seed 003)
#
# Seed 003 (吉政办发〔2006〕32号, 关于"十一五"期间加快中小企业暨民营经济产业集群发展的意见),
# 三（一）, goals for the end of the 十一五 (2010):
#   1. "这些产业集聚区和产业集群的增加值要达到1000亿元"
#   2. "全省重点培育50个各具特色的中小企业产业集聚区、50个……专业村屯乡镇和30个产业升级示范区"
#   3. the 10 named clusters "通化医药、长春汽车零部件、吉林石化、四平换热器、辽源袜业、蛟河石材、
#      梅河果仁加工、德惠食品加工、磐石冶金建材、长春君子兰……到'十一五'末期，其增加值达到500亿元"
#   4. "培育建立20个产业集群公共技术支持平台(即培育建立10个研发中心、10个检测中心)。培育建立10个
#      ……物流配送中心"
# The fixture is the goal year 2010 as if the goals were met exactly: the 10 key clusters and the
# 50 产业集聚区, one row each (single year, no year column). Readings (also in the pack header):
#   * "这些产业集聚区和产业集群" = the 50 集聚区 plus the 10 clusters (the 专业村屯乡镇 are not
#     in the fixture); their value added is 1000.00亿, of which the 10 clusters 500.00亿;
#   * each of the 20 platforms and 10 logistics centres serves one entity.
# 集聚区 names are "<county><industry>产业集聚区" placeholders built from the seed's sectors
# (三大支柱、两大优势、五大特色产业) and Jilin's counties — illustrative.

JL_HEADERS = [
    "code", "name", "市（州）", "类型", "主导产业", "增加值（亿元）", "营业收入（亿元）", "实缴税金（亿元）",
    "企业（户）", "成长型中小企业（户）", "科技型和小巨人企业（户）", "研发中心", "检测中心",
    "物流配送中心", "专业市场或电子商务平台", "中国名牌和驰名商标（件）", "区域品牌",
    "全国市场占有率排名", "东北地区市场占有率排名", "环保及安全设施配套",
]

JL_KEY = [
    ("通化医药产业集群", "通化", "医药", 78.5),
    ("长春汽车零部件产业集群", "长春", "汽车零部件", 96.0),
    ("吉林石化产业集群", "吉林", "石化", 88.0),
    ("四平换热器产业集群", "四平", "换热器", 36.5),
    ("辽源袜业产业集群", "辽源", "袜业", 42.0),
    ("蛟河石材产业集群", "吉林", "石材", 24.0),
    ("梅河果仁加工产业集群", "通化", "果仁加工", 28.5),
    ("德惠食品加工产业集群", "长春", "食品加工", 52.0),
    ("磐石冶金建材产业集群", "吉林", "冶金建材", 40.5),
    ("长春君子兰产业集群", "长春", "君子兰", 14.0),
]

JL_COUNTIES = [
    ("长春", ["九台市", "榆树市", "农安县", "双阳区"]),
    ("吉林", ["桦甸市", "舒兰市", "永吉县"]),
    ("四平", ["公主岭市", "双辽市", "梨树县", "伊通县"]),
    ("辽源", ["东丰县", "东辽县"]),
    ("通化", ["集安市", "通化县", "辉南县", "柳河县"]),
    ("白山", ["临江市", "抚松县", "靖宇县", "长白县"]),
    ("松原", ["扶余县", "前郭县", "长岭县", "乾安县"]),
    ("白城", ["洮南市", "大安市", "镇赉县", "通榆县"]),
    ("延边", ["延吉市", "图们市", "敦化市", "珲春市", "龙井市", "和龙市", "汪清县", "安图县"]),
]
JL_INDUSTRIES = ["农副产品加工", "食品加工", "医药", "汽车零部件", "石化", "冶金", "建材", "纺织",
                 "光电子", "能源", "林产品加工", "人参", "矿泉水", "机械制造"]
JL_VA_CENTS = (50000, 50000)      # 10 key clusters, 50 集聚区
JL_RANK_NATIONAL = {"辽源袜业产业集群": 2, "通化医药产业集群": 4, "四平换热器产业集群": 3,
                    "长春汽车零部件产业集群": 6, "梅河果仁加工产业集群": 1, "长春君子兰产业集群": 1}


def jilin():
    rng = random.Random(20061017)
    ents = [(n, c, "重点产业集群", ind) for n, c, ind, _v in JL_KEY]
    pairs = [(city, county) for city, cs in JL_COUNTIES for county in cs]
    rng.shuffle(pairs)
    used = set()
    while len(ents) < 60:
        city, county = pairs[len(ents) % len(pairs)]
        ind = rng.choice(JL_INDUSTRIES)
        if (county, ind) in used:
            continue
        used.add((county, ind))
        ents.append((f"{county}{ind}产业集聚区", city, "产业集聚区", ind))
    va = fit_int([v for *_x, v in JL_KEY], JL_VA_CENTS[0], 500)
    va += fit_int([math.exp(rng.gauss(2.1, 0.6)) for _ in range(50)], JL_VA_CENTS[1], 150)
    # the 10 R&D centres, 10 testing centres and 10 logistics centres: mostly in the key clusters
    order = sorted(range(60), key=lambda i: -va[i])

    def pick(k, bias):
        pool = order[:25]
        chosen = set()
        while len(chosen) < k:
            i = pool[min(len(pool) - 1, int(abs(rng.gauss(0, bias))))] if rng.random() < 0.8 else rng.randrange(60)
            chosen.add(i)
        return chosen

    rd, test, logi = pick(10, 8), pick(10, 10), pick(10, 14)
    rows = []
    for i, (name, city, kind, ind) in enumerate(ents):
        size = va[i] / 100
        q = min(1.0, max(0.0, math.log(size / 3) / math.log(100 / 3) + rng.uniform(-0.2, 0.2)))
        rev = int(round(va[i] * rng.uniform(3.2, 4.5)))
        tax = int(round(va[i] * rng.uniform(0.10, 0.18)))
        firms = int(round(30 + size * rng.uniform(4, 9)))
        nat = JL_RANK_NATIONAL.get(name)
        ne = (1 if nat else max(1, int(round(rng.uniform(1, 12) * (1.3 - q))))) if kind == "重点产业集群" or q > 0.5 else None
        rows.append({
            "code": f"JL{i + 1:02d}", "name": name, "市（州）": city, "类型": kind, "主导产业": ind,
            "增加值（亿元）": fmt_cents(va[i]), "营业收入（亿元）": fmt_cents(rev), "实缴税金（亿元）": fmt_cents(tax),
            "企业（户）": str(firms),
            "成长型中小企业（户）": str(max(0, int(round(2 + size * rng.uniform(0.1, 0.3))))),
            "科技型和小巨人企业（户）": str(max(0, int(round(6 * q + rng.uniform(-1.5, 1.5))))),
            "研发中心": yesno(i in rd), "检测中心": yesno(i in test), "物流配送中心": yesno(i in logi),
            "专业市场或电子商务平台": yesno(rng.random() < 0.2 + 0.6 * q),
            "中国名牌和驰名商标（件）": str(max(0, int(round(2.5 * q + rng.uniform(-1, 1))))),
            "区域品牌": yesno(rng.random() < 0.15 + 0.6 * q),
            "全国市场占有率排名": str(nat) if nat else "—",
            "东北地区市场占有率排名": str(ne) if ne else "—",
            "环保及安全设施配套": yesno(not (i in (23, 41))),
        })
    rows[17]["成长型中小企业（户）"] = ""
    rows[52]["中国名牌和驰名商标（件）"] = "NA"
    check_jilin(rows)
    return to_csv(JL_HEADERS, rows)


def check_jilin(rows):
    assert len(rows) == 60 and len({r["name"] for r in rows}) == 60
    key = [r for r in rows if r["类型"] == "重点产业集群"]
    assert len(key) == 10 and sum(1 for r in rows if r["类型"] == "产业集聚区") == 50
    assert sum(Decimal(r["增加值（亿元）"]) for r in rows) == Decimal("1000.00")
    assert sum(Decimal(r["增加值（亿元）"]) for r in key) == Decimal("500.00")
    for c in ("研发中心", "检测中心", "物流配送中心"):
        assert sum(1 for r in rows if r[c] == "是") == 10, c


SC_HEADERS = [
    "code", "name", "year", "县域范围", "占地面积（平方公里）", "集群产值（亿元）",
    "中小企业产值占比（%）", "主导产业产值占比（%）", "产值年均增速（%）",
    "主导产业冠军和小巨人企业数", "专精特新创新型高企数", "近三年重大事故或违法失信",
]
SC_COUNTIES = ["东山县", "西河县", "南湖县", "北岭县", "青石县", "白沙县", "金水县", "清源县",
               "临川县", "安平县", "宁远县", "长乐县", "丰泽县", "永和县", "泰宁县", "嘉禾县",
               "华容县", "兴隆县", "平阳县", "广信县", "龙泉县", "凤台县", "云溪县", "石门县"]
SC_INDUSTRIES = ["特种纸", "轴承", "汽车零部件", "纺织服装", "功能性食品", "精密铸造", "五金工具",
                 "电线电缆", "化工新材料", "家居板材", "农机装备", "医疗器械", "光伏组件", "锂电材料",
                 "绿色建材", "工业阀门", "泵业", "玻璃制品", "包装印刷", "羊绒制品", "陶瓷", "电机",
                 "不锈钢制品", "户外用品"]
# Clusters 15-24 are each made to fail one gate of the national standard (the gate, or
# "pass" for an edge that is met); 1-14 clear every threshold.
SC_EDGES = {
    15: "no_violation", 16: "in_one_county", 17: "area_100", 18: "output_40_three_years",
    19: "sme_share_70", 20: "leading_share_70", 21: "growth_10", 22: "quality_firms",
    23: "pass", 24: "growth_10",
}


def sme_clusters():
    """fixtures/sme-clusters-2023.csv — rules/miit-sme-cluster.toml (工信部企业〔2022〕119号).

    A province's 24 candidate clusters for national recognition, three years each
    (2021-2023; the standard reads output in each of the last three years). The standard
    states thresholds, not aggregates: the numbers are synthetic, and clusters 15-24 each
    fail one gate or meet inclusive edges exactly (SC_EDGES), so that every gate is exercised.
    """
    rng = random.Random(20220913)
    rows = []
    for i in range(1, 25):
        county, ind = SC_COUNTIES[i - 1], SC_INDUSTRIES[i - 1]
        edge = SC_EDGES.get(i)
        o21 = Decimal(rng.randint(4200, 16000)) / 100
        g = Decimal(rng.randint(1050, 2400)) / 10000
        o22 = (o21 * (1 + g + Decimal(rng.randint(-150, 150)) / 10000)).quantize(Decimal("0.01"))
        o23 = (o21 * (1 + g) ** 2).quantize(Decimal("0.01"))
        area = Decimal(rng.randint(1500, 9500)) / 100
        sme = Decimal(rng.randint(7200, 9600)) / 100
        lead = Decimal(rng.randint(7200, 9500)) / 100
        champ = rng.choice([0, 1, 1, 2, 3])
        quality = rng.randint(10, 60) if champ == 0 else rng.randint(4, 60)
        scope, veto = "是", "否"
        if edge == "no_violation":
            veto = "是"
        elif edge == "in_one_county":
            scope = "否"
        elif edge == "area_100":
            area = Decimal("120.00")
        elif edge == "output_40_three_years":
            o21, o22, o23 = Decimal("38.60"), Decimal("44.10"), Decimal("49.80")
        elif edge == "sme_share_70":
            sme = Decimal("69.90")
        elif edge == "leading_share_70":
            lead = Decimal("70.00")      # 高于70%: 70 exactly is not above
        elif edge == "growth_10" and i == 21:
            o21, o22, o23 = Decimal("50.00"), Decimal("55.20"), Decimal("60.50")  # exactly 10%
        elif edge == "quality_firms":
            champ, quality = 0, 9
        elif edge == "pass":
            sme, area, champ, quality = Decimal("70.00"), Decimal("100.00"), 0, 10
        growth = ((o23 / o21).sqrt() - 1) * 100
        growth = growth.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        for year, out in ((2021, o21), (2022, o22), (2023, o23)):
            last = year == 2023
            rows.append({
                "code": f"SC{i:02d}", "name": f"{county}{ind}产业集群", "year": str(year),
                "县域范围": scope if last else "",
                "占地面积（平方公里）": str(area) if last else "",
                "集群产值（亿元）": str(out),
                "中小企业产值占比（%）": str(sme) if last else "",
                "主导产业产值占比（%）": str(lead) if last else "",
                # Cluster 24 did not report its growth: the gate fails on the missing value.
                "产值年均增速（%）": str(growth) if last and i != 24 else "",
                "主导产业冠军和小巨人企业数": str(champ) if last else "",
                "专精特新创新型高企数": str(quality) if last else "",
                "近三年重大事故或违法失信": veto if last else "",
            })
    check_sme_clusters(rows)
    return to_csv(SC_HEADERS, rows)


def sme_cluster_gate(r, prev):
    """The first gate of rules/miit-sme-cluster.toml a 2023 row fails (file order), or None."""
    v = lambda k: num(r[k])
    checks = [
        ("no_violation", r["近三年重大事故或违法失信"] == "否"),
        ("in_one_county", r["县域范围"] == "是"),
        ("area_100", v("占地面积（平方公里）") is not None and v("占地面积（平方公里）") <= 100),
        ("output_40_three_years", all(x is not None and x >= 40 for x in [v("集群产值（亿元）")] + prev)),
        ("sme_share_70", v("中小企业产值占比（%）") >= 70),
        ("leading_share_70", v("主导产业产值占比（%）") > 70),
        ("growth_10", v("产值年均增速（%）") is not None and v("产值年均增速（%）") > 10),
        ("quality_firms", v("主导产业冠军和小巨人企业数") >= 1 or v("专精特新创新型高企数") >= 10),
    ]
    return next((g for g, ok in checks if not ok), None)


def check_sme_clusters(rows):
    assert len(rows) == 72 and len({r["code"] for r in rows}) == 24
    last = [r for r in rows if r["year"] == "2023"]
    for i, r in enumerate(last, start=1):
        prev = [num(p["集群产值（亿元）"]) for p in rows if p["code"] == r["code"] and p["year"] != "2023"]
        want = SC_EDGES.get(i)
        got = sme_cluster_gate(r, prev)
        assert got == (None if want in (None, "pass") else want), (r["code"], got, want)


# --------------------------------------------------------------------------- reference scoring


def score_liaocheng(text):
    """Reference scoring of rules/liaocheng-benchmark.toml (kept in step with the pack by hand)."""
    rows = list(csv.DictReader(io.StringIO(text)))
    by = {(r["code"], r["year"]): r for r in rows}
    res = []
    for r in [r for r in rows if r["year"] == "2023"]:
        p = by[(r["code"], "2022")]
        v = lambda k, rr=r: num(rr[k])
        rev, out = v("销售收入（亿元）"), v("总产值（亿元）")
        og = (out / v("总产值（亿元）", p) - 1) * 100
        firms_new = None if v("规上企业（家）", p) is None else v("规上企业（家）") - v("规上企业（家）", p)
        rd_int = v("研发经费（万元）") * 0.0001 / rev * 100
        rd_growth = (v("研发经费（万元）") / v("研发经费（万元）", p) - 1) * 100
        dens = v("高价值发明专利（件）") / (v("从业人员（人）") * 0.0001)
        dens_p = None if v("高价值发明专利（件）", p) is None else \
            v("高价值发明专利（件）", p) / (v("从业人员（人）", p) * 0.0001)
        pg = None if dens_p is None else (dens / dens_p - 1) * 100
        zjtx_new = v("省级以上专精特新企业（家）") - v("省级以上专精特新企业（家）", p)
        lin = lambda x, f, t: 0 if x is None else min(1, max(0, (x - f) / (t - f)))
        tgt = lambda x, t: 0 if x is None or x < 0 else min(x / t, 1)
        per = lambda x, st, pps, pts: 0 if x is None else max(0, min(math.floor(x / st + 1e-9) * pps, pts)) / pts

        def bands(x, bs, pts):
            if x is None:
                return 0
            for t, pp in bs:
                if x >= t - 1e-9 * max(1, abs(t)):
                    return pp / pts
            return 0

        scale = 12 * bands(rev, [(100, 12), (50, 9), (20, 6)], 12) + 12 * lin(og, 0, 20) \
            + 6 * per(firms_new, 1, 2, 6)
        innov = 10 * lin(rd_int, 2, 5) + 6 * tgt(pg, 10) + 6 * per(v("新增市级以上创新平台（个）"), 1, 2, 6) \
            + 8 * lin(zjtx_new, 0, 5)
        dig = 4 * (1 if (v("数字化服务平台（个）") or 0) != 0 else 0) \
            + 6 * bands(v("新增智能工厂和数字车间（个）"), [(3, 6), (2, 4), (1, 2)], 6) \
            + 5 * tgt(v("智改数转企业（家）"), 40)
        green = 9 * bands(v("市级以上绿色制造名单（家）"), [(4, 9), (2, 6), (1, 3)], 9) \
            + 6 * per(v("绿色（节能）诊断企业（家）"), 1, 3, 6)
        lv = {"国家级": 3, "省级": 2, "市级": 1, "无": 0}[r["公共服务平台最高级别"]]
        ev = v("集群工作评价（分）")
        svc_pts = 4 * tgt(v("公共服务平台（个）"), 6) + lv
        if ev is None:     # missing = "exclude": dimension rescaled over what remains
            svc = svc_pts * 10 / 7
        else:
            svc = svc_pts + min(max(ev, 0), 3)
        total = scale + innov + dig + green + svc
        adj = 3 if r["集群级别"] == "国家级" else 1 if r["集群级别"] == "省级" else 0
        score = round_half_up(total + adj, 2)
        res.append(dict(code=r["code"], name=r["name"], score=score, level=r["集群级别"],
                        excluded=v("重大安全环保事故（起）") != 0, rd=rd_int, og=og, rev=rev,
                        rdg=rd_growth, out=out, out_p=v("总产值（亿元）", p),
                        share=v("中小企业产值占比（%）"),
                        dims=(scale, innov, dig, green, svc)))
    ranked = sorted([x for x in res if not x["excluded"]],
                    key=lambda x: (-x["score"], -x["rd"], -x["rdg"], -x["rev"], x["code"]))
    n = len(ranked)
    quota = {"national": 3, "provincial": 10, "benchmark": min(max(1, math.floor(30 * n / 100)), 10**9)}
    placed = {k: 0 for k in quota}
    for x in ranked:
        cap_ok = x["og"] >= 0
        tier = None
        if (cap_ok and x["score"] >= 75 and placed["national"] < quota["national"] and x["out"] >= 40
                and x["out_p"] >= 40 and x["share"] >= 70 and x["rd"] >= 5 - 1e-9):
            tier = "national"
        elif cap_ok and x["score"] >= 65 and placed["provincial"] < quota["provincial"]:
            tier = "provincial"
        elif (x["score"] >= 55 or x["level"] == "国家级") and placed["benchmark"] < quota["benchmark"]:
            tier = "benchmark"
        if tier:
            placed[tier] += 1
        x["tier"] = tier
    for i, x in enumerate(ranked, 1):
        d = " ".join(f"{v:5.1f}" for v in x["dims"])
        print(f"{i:2d} {x['code']} {x['score']:6.2f} {x['tier'] or '-':10s} [{d}] {x['level']} "
              f"rd={x['rd']:.2f} og={x['og']:.1f} {x['name']}")
    for x in res:
        if x["excluded"]:
            print(f"   {x['code']} {x['score']:6.2f} excluded {x['name']}")



def rank_and_tier(res, tiers, tie_key):
    """Rank by score (then tie_key), walk tiers highest first.

    tiers: list of (id, min_score or None, quota_fn(n) or None, ok_fn(x) -> bool, direct_fn(x)).
    Cohorts: res items carry 'cohort' (None for no cohort)."""
    out = []
    for coh in sorted({x.get("cohort") for x in res if not x.get("excluded")}, key=lambda c: (c is None, c)):
        ranked = sorted([x for x in res if not x.get("excluded") and x.get("cohort") == coh],
                        key=lambda x: (-x["score"],) + tie_key(x))
        n = len(ranked)
        placed = {t[0]: 0 for t in tiers}
        for x in ranked:
            x["tier"] = None
            for tid, ms, quota, ok, direct in tiers:
                q = quota(n) if quota else None
                if q is not None and placed[tid] >= q:
                    continue
                if not ok(x):
                    continue
                if ms is not None and x["score"] < ms - 1e-9 and not direct(x):
                    continue
                x["tier"] = tid
                placed[tid] += 1
                break
        out.append((coh, ranked))
    return out


def print_ranking(groups, res, label):
    for coh, ranked in groups:
        if coh is not None:
            print(f"  cohort {coh}")
        for i, x in enumerate(ranked, 1):
            print(f"  {i:3d} {x['code']} {x['score']:7.2f} {x['tier'] or '-':14s} {label(x)}")
    for x in res:
        if x.get("excluded"):
            print(f"      {x['code']} {x['score']:7.2f} excluded {label(x)}")
    tally = {}
    for _, ranked in groups:
        for x in ranked:
            tally[x["tier"]] = tally.get(x["tier"], 0) + 1
    print("  tiers:", tally)


def lin(x, f, t):
    return 0.0 if x is None else min(1.0, max(0.0, (x - f) / (t - f)))


def tgt(x, t):
    return 0.0 if x is None or x < 0 else min(x / t, 1.0)


def per(x, st, pps, pts):
    return 0.0 if x is None else max(0.0, min(math.floor(x / st + 1e-9) * pps, pts)) / pts


def bands(x, bs, pts, op="at_least"):
    if x is None:
        return 0.0
    for t, pp in bs:
        if (x >= t - 1e-9 * max(1, abs(t))) if op == "at_least" else (x > t + 1e-9 * max(1, abs(t))):
            return pp / pts
    return 0.0


def yes(c):
    return c.strip() in ("是", "有", "Y", "yes", "true", "1")


def score_anhui(text):
    """Reference scoring of rules/anhui-zhuanyezhen.toml (kept in step with the pack by hand)."""
    rows = list(csv.DictReader(io.StringIO(text)))
    by = {(r["code"], r["year"]): r for r in rows}
    cur = [r for r in rows if r["year"] == "2010"]
    # median imputation of the supporting rate within each region
    med = {}
    for reg in ("皖北", "皖南", "皖中"):
        vals = sorted(num(r["集群内相互配套率（%）"]) for r in cur
                      if r["区域"] == reg and num(r["集群内相互配套率（%）"]) is not None)
        m = len(vals)
        med[reg] = vals[m // 2] if m % 2 else (vals[m // 2 - 1] + vals[m // 2]) / 2
    res = []
    for r in cur:
        p = by[(r["code"], "2009")]
        v = lambda k, rr=r: num(rr[k])
        ch, rev = v("特色产业主营业务收入（亿元）"), v("主营业务收入（亿元）")
        growth = (rev / v("主营业务收入（亿元）", p) - 1) * 100
        firms = v("规上企业（家）")
        sr = v("集群内相互配套率（%）")
        sr_s = sr if sr is not None else med[r["区域"]]
        share = ch / rev * 100
        dom = v("装备达国内先进水平重点企业（家）") / v("重点企业（家）") * 100
        intl = v("装备达国际先进水平重点企业（家）") / v("重点企业（家）") * 100
        services = sum(yes(r[c]) for c in ("产业集群窗口服务平台", "融资担保服务平台", "创业基地"))
        scale = 15 * bands(ch, [(100, 15), (50, 11), (10, 7)], 15) + 10 * lin(growth, 0, 16) \
            + 10 * lin(math.log10(firms), math.log10(5), math.log10(100))
        chain = 12 * tgt(sr_s, 50) + 8 * lin(share, 50, 90)
        tech = 9 * tgt(dom, 60) + 7 * tgt(intl, 20) + 6 * per(v("市级以上企业技术中心（个）"), 1, 2, 6) \
            + 3 * yes(r["产业链公共技术研发中心"])
        brand = 6 * per(v("市级以上名牌产品和著名商标（件）"), 1, 1, 6) + 4 * yes(r["区域品牌"])
        serv = 10 * bands(services, [(3, 10), (2, 7), (1, 4)], 10)
        total = scale + chain + tech + brand + serv + (2 if yes(r["国家级产业基地称号"]) else 0)
        res.append(dict(code=r["code"], name=r["name"], cohort=r["区域"], score=round_half_up(total, 1),
                        ch=ch, sr=sr, dom=dom, firms=firms,
                        dims=(scale, chain, tech, brand, serv)))
    tiers = [
        ("demonstration", 70, lambda n: 4,
         lambda x: x["ch"] >= 10 and x["sr"] is not None and x["sr"] >= 50 and x["dom"] >= 60 - 1e-9,
         lambda x: False),
        ("key", 55, lambda n: max(1, math.floor(30 * n / 100)), lambda x: True, lambda x: False),
        ("pass", 30, None, lambda x: True, lambda x: False),
    ]
    groups = rank_and_tier(res, tiers, lambda x: (-x["ch"], -x["firms"], x["code"]))
    print_ranking(groups, res, lambda x: " ".join(f"{d:5.1f}" for d in x["dims"]) +
                  f" ch={x['ch']:.2f} sr={x['sr']} dom={x['dom']:.0f} {x['name']}")



def score_kaifaqu(text):
    """Reference scoring of rules/shandong-kaifaqu.toml (geometric aggregation)."""
    rows = list(csv.DictReader(io.StringIO(text)))
    by = {(r["code"], r["year"]): r for r in rows}
    cur = [r for r in rows if r["year"] == "2020"]
    growths = []
    for r in cur:
        p = by[(r["code"], "2019")]
        growths.append((num(r["销售收入（亿元）"]) / num(p["销售收入（亿元）"]) - 1) * 100)
    res = []
    for r, g in zip(cur, growths):
        p = by[(r["code"], "2019")]
        v = lambda k, rr=r: num(rr[k])
        sales = v("销售收入（亿元）")
        fg = None if v("规上企业（家）", p) is None else (v("规上企业（家）") / v("规上企业（家）", p) - 1) * 100
        rd = v("研发经费（亿元）")
        rdi = None if rd is None else rd / sales * 100
        # percentile of sales growth (average ranks; no ties expected)
        rank = sum(1 for x in growths if x < g) + 1
        pct = (rank - 1) / (len(growths) - 1)
        plat = sum(yes(r[c]) for c in ("公共研发中心", "检测中心", "信息中心"))
        scale = (20 * bands(sales, [(1000, 20), (500, 15), (100, 10)], 20, op="above")
                 + 10 * per(v("百亿级龙头企业（家）"), 1, 5, 10))
        speed = 12 * pct + 8 * lin(fg, 0, 10)
        quality = (8 * lin(rdi, 1, 4) + 8 * bands(plat, [(3, 8), (2, 5), (1, 2)], 8)
                   + 4 * yes(r["产业技术创新战略联盟"]) + 3 * yes(r["集群发展基金"]))
        fr = [max(scale / 30, 0.01), max(speed / 20, 0.01), max(quality / 23, 0.01)]
        total = 100 * fr[0] ** 0.4 * fr[1] ** 0.3 * fr[2] ** 0.3
        res.append(dict(code=r["code"], name=r["name"], score=round_half_up(total, 2), sales=sales,
                        cap=not yes(r["发展规划和产业链图"]), g=g, dims=(scale, speed, quality)))
    # cap gate: without a plan and chain map, at most 'hundred'
    tiers = [
        ("thousand", 55, lambda n: 10, lambda x: x["sales"] > 1000 and not x["cap"], lambda x: False),
        ("five_hundred", 50, lambda n: 40, lambda x: x["sales"] > 500 and not x["cap"], lambda x: False),
        ("hundred", 40, None, lambda x: x["sales"] > 100, lambda x: False),
    ]
    groups = rank_and_tier(res, tiers, lambda x: (-x["sales"], x["code"]))
    print_ranking(groups, res, lambda x: " ".join(f"{d:5.1f}" for d in x["dims"]) +
                  f" sales={x['sales']:.2f} g={x['g']:.1f}{' CAP' if x['cap'] else ''} {x['name']}")



def score_tese(text):
    """Reference scoring of rules/shandong-tese-2011.toml (weighted dimensions, missing = exclude)."""
    rows = list(csv.DictReader(io.StringIO(text)))
    res = []
    for r in rows:
        v = lambda k: num(r[k])
        sales = v("销售收入（亿元）")
        margin = v("利税（亿元）") / sales * 100

        def dim(items, weight):
            # items: (points, fraction or None for dropped)
            kept = [(p, f) for p, f in items if f is not None]
            m = sum(p for p, _ in kept)
            return 0.0 if m == 0 else weight * sum(p * f for p, f in kept) / m

        def opt(x, fn):
            return None if x is None else fn(x)

        plats = [r[c] for c in TS_PLATFORM_COLS]
        ptypes = None if any(c.strip() == "" for c in plats) else sum(yes(c) for c in plats)
        scale = dim([(10, bands(sales, [(100, 10), (50, 7), (10, 4)], 10, op="above")),
                     (5, lin(margin, 3, 10)),
                     (5, lin(math.log10(v("中小企业（家）")), math.log10(50), math.log10(1500)))], 30)
        innov = dim([(8, opt(v("专精特新中小企业（家）"), lambda x: per(x, 1, 2, 8))),
                     (4, opt(v("企业研发机构（个）"), lambda x: per(x, 1, 1, 4))),
                     (3, float(yes(r["联盟标准"])))], 25)
        chain = dim([(10, opt(v("协作配套率（%）"), lambda x: lin(x, 20, 60)))], 15)
        serv = dim([(10, opt(ptypes, lambda x: tgt(x, 5))), (6, float(yes(r["综合性公共服务平台"]))),
                    (4, float(yes(r["行业协会（商会）"])))], 20)
        brand = dim([(6, opt(v("著名商标（件）"), lambda x: per(x, 1, 2, 6))),
                     (4, None if r["地理标志或集体商标"].strip() == "" else float(yes(r["地理标志或集体商标"])))], 10)
        total = scale + innov + chain + serv + brand
        res.append(dict(code=r["code"], name=r["name"], score=round_half_up(total, 2), sales=sales,
                        comp=yes(r["综合性公共服务平台"]), smes=v("中小企业（家）"),
                        dims=(scale, innov, chain, serv, brand)))
    tiers = [
        ("demonstration", 70, lambda n: max(1, math.floor(10 * n / 100)),
         lambda x: x["sales"] > 100 and x["comp"], lambda x: False),
        ("hundred", 50, lambda n: 100, lambda x: x["sales"] > 100, lambda x: False),
        ("fifty", 45, lambda n: 40, lambda x: x["sales"] > 50, lambda x: False),
        ("town", 35, None, lambda x: x["comp"], lambda x: False),
    ]
    groups = rank_and_tier(res, tiers, lambda x: (-x["sales"], -x["smes"], x["code"]))
    print_ranking(groups, res, lambda x: " ".join(f"{d:5.1f}" for d in x["dims"]) +
                  f" sales={x['sales']:.2f} comp={x['comp']} {x['name']}")



def score_jilin(text):
    """Reference scoring of rules/jilin-2006.toml (TOPSIS, relative methods)."""
    rows = list(csv.DictReader(io.StringIO(text)))
    ranked = [r for r in rows if yes(r["环保及安全设施配套"])]
    lva = {r["code"]: math.log10(num(r["增加值（亿元）"])) for r in rows}
    lo, hi = min(lva[r["code"]] for r in ranked), max(lva[r["code"]] for r in ranked)
    firms = [num(r["企业（户）"]) for r in ranked]
    mu = sum(firms) / len(firms)
    sd = math.sqrt(sum((x - mu) ** 2 for x in firms) / (len(firms) - 1))
    phi = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))
    pts = [10, 6, 10, 6, 5, 5, 4, 4, 6, 4]
    w = [p / sum(pts) for p in pts]
    fr = {}
    for r in rows:
        v = lambda k: num(r[k])
        fr[r["code"]] = [
            min(1, max(0, (lva[r["code"]] - lo) / (hi - lo))),
            min(1, max(0, phi((v("企业（户）") - mu) / sd))),
            per(v("成长型中小企业（户）"), 1, 2, 10),
            tgt(v("科技型和小巨人企业（户）"), 5),
            float(yes(r["研发中心"])), float(yes(r["检测中心"])), float(yes(r["物流配送中心"])),
            float(yes(r["专业市场或电子商务平台"])),
            per(v("中国名牌和驰名商标（件）"), 1, 3, 6), float(yes(r["区域品牌"])),
        ]
    vm = {c: [w[j] * f for j, f in enumerate(fr[c])] for c in fr}
    ids = [r["code"] for r in ranked]
    ap = [max(vm[c][j] for c in ids) for j in range(len(w))]
    am = [min(vm[c][j] for c in ids) for j in range(len(w))]
    res = []
    for r in rows:
        c = r["code"]
        dp = math.sqrt(sum((vm[c][j] - ap[j]) ** 2 for j in range(len(w))))
        dm = math.sqrt(sum((vm[c][j] - am[j]) ** 2 for j in range(len(w))))
        t = 100.0 if dp + dm == 0 else 100 * dm / (dp + dm)
        res.append(dict(code=c, name=r["name"], score=round_half_up(t, 2), va=num(r["增加值（亿元）"]),
                        nat=num(r["全国市场占有率排名"]), ne=num(r["东北地区市场占有率排名"]),
                        excluded=not yes(r["环保及安全设施配套"])))
    tiers = [
        ("national_centre", 60, None, lambda x: x["nat"] is not None and x["nat"] <= 3, lambda x: False),
        ("regional_base", 45, None, lambda x: x["ne"] is not None and x["ne"] <= 3, lambda x: False),
        ("upgrade_demo", 35, lambda n: 30, lambda x: True, lambda x: False),
    ]
    groups = rank_and_tier(res, tiers, lambda x: (-x["va"], x["code"]))
    print_ranking(groups, res, lambda x: f"va={x['va']:.2f} nat={x['nat']} ne={x['ne']} {x['name']}")


def score_sme_clusters(text):
    """Reference outcome of rules/miit-sme-cluster.toml: the gate each cluster fails, and
    the illustrative score (output linear 40 → 200 亿元) of those that pass."""
    rows = list(csv.DictReader(io.StringIO(text)))
    for r in (r for r in rows if r["year"] == "2023"):
        prev = [num(p["集群产值（亿元）"]) for p in rows if p["code"] == r["code"] and p["year"] != "2023"]
        gate = sme_cluster_gate(r, prev)
        score = lin(num(r["集群产值（亿元）"]), 40, 200) * 100
        print(f"{r['code']} {r['name']}: {gate or 'recognised'} score={round_half_up(score, 2)}")


# --------------------------------------------------------------------------- main

FIXTURES = [
    ("fixtures/liaocheng-2023.csv", liaocheng, score_liaocheng),
    ("fixtures/anhui-2010.csv", anhui, score_anhui),
    ("fixtures/shandong-kaifaqu-2020.csv", kaifaqu, score_kaifaqu),
    ("fixtures/shandong-tese-2010.csv", tese, score_tese),
    ("fixtures/jilin-2010.csv", jilin, score_jilin),
    ("fixtures/sme-clusters-2023.csv", sme_clusters, score_sme_clusters),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="fail if a committed file differs")
    ap.add_argument("--score", action="store_true", help="print the reference scoring")
    a = ap.parse_args()
    bad = 0
    for rel, build, score in FIXTURES:
        text = build()
        path = os.path.join(ROOT, rel)
        if a.check:
            with open(path, encoding="utf-8") as f:
                if f.read() != text:
                    print(f"{rel}: differs from the generator's output", file=sys.stderr)
                    bad += 1
        else:
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(text)
            print(f"wrote {rel}")
        if a.score:
            print(f"--- reference scoring of {rel}")
            score(text)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
