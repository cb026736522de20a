#!/usr/bin/env python3
"""Makes a large data file for the shipped enterprise packs out of their fixture.

The synthetic file of ../shared/perf/gen.py has one year, no empty columns and LF line ends;
a bureau's national export has several years per enterprise (prev() and the (id, year)
checks), many empty cells and, from Excel, CRLF line ends. This repeats the rows of
fixtures/enterprises-2023.csv (three years per enterprise, half the cells empty) with the
suffix -0000, -0001, ... on each id until the file has at least --rows data rows, written
with CRLF line ends, so the MIIT packs can be timed at scale:

    python3 benches/replicate_fixture.py --rows 1000000 --out /work/perfdata/innov_1m.csv
    benches/ab.sh --rules rules/miit-innovative-sme.toml /work/perfdata/innov_1m.csv OLD NEW

Standard library only.
"""

import argparse
import csv
import os
import sys


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="data rows at least")
    ap.add_argument("--out", required=True, help="the CSV to write")
    ap.add_argument(
        "--fixture",
        default=os.path.join(here, "..", "fixtures", "enterprises-2023.csv"),
        help="the fixture to repeat",
    )
    args = ap.parse_args()
    with open(args.fixture, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    if not body:
        print(f"{args.fixture}: no data rows", file=sys.stderr)
        return 1
    written = 0
    copy = 0
    with open(args.out, "w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, lineterminator="\r\n")
        out.writerow(header)
        while written < args.rows:
            for row in body:
                out.writerow([f"{row[0]}-{copy:04d}"] + row[1:])
                written += 1
            copy += 1
    print(f"{args.out}: {written} rows ({copy} copies of {len(body)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
