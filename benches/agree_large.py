#!/usr/bin/env python3
"""Large-file version of ../shared/perf/same_results.py for benches/compare.sh.

    agree_large.py BASELINE.csv OTHER.csv

The same check (same entities, scores within 1e-6, same ranks and tiers; an empty rank is
gate-excluded, an empty tier untiered), done with polars on the four columns only: the
standard-library checker holds every row as a Python dict and runs out of memory at 10⁷
rows. Exit 0 when the files agree, 1 otherwise (the first differences are printed).
"""
from __future__ import annotations

import sys

import polars as pl

TOL = 1e-6
WANTED = ["id", "score", "rank", "tier"]


def load(path: str) -> pl.DataFrame:
    with open(path, encoding="utf-8-sig", newline="") as f:
        header = f.readline().rstrip("\r\n").split(",")
    missing = [c for c in WANTED if c not in header]
    if missing:
        sys.exit(f"{path}: needs columns {WANTED}; lacks {missing}")
    lf = pl.scan_csv(path, has_header=True, new_columns=header, infer_schema=False)
    df = lf.select(WANTED).collect()
    return df.with_columns(
        pl.col("score").cast(pl.Float64),
        pl.col("rank").cast(pl.Int64),
        pl.col("tier").fill_null(""),
    )


def main() -> int:
    base, other = load(sys.argv[1]), load(sys.argv[2])
    problems = []
    if base["id"].n_unique() != base.height or other["id"].n_unique() != other.height:
        problems.append("an id appears twice")
    joined = base.join(other, on="id", how="full", suffix="_o", coalesce=True)
    only = joined.filter(pl.col("score").is_null() & pl.col("score_o").is_not_null()
                         | pl.col("score_o").is_null() & pl.col("score").is_not_null())
    if only.height:
        problems.append(f"{only.height} ids in one file only, e.g. {only['id'].head(3).to_list()}")
    bad = joined.filter(
        ((pl.col("score") - pl.col("score_o")).abs() > TOL)
        | pl.col("rank").ne_missing(pl.col("rank_o"))
        | pl.col("tier").ne_missing(pl.col("tier_o"))
    )
    if bad.height:
        problems.append(f"{bad.height} entities differ, e.g.\n{bad.head(5)}")
    if problems:
        print("\n".join(problems))
        return 1
    print(f"agree: {base.height} entities, scores within {TOL}, same ranks and tiers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
