"""Command line: ``python -m sla_model --help``."""

from __future__ import annotations

import argparse
import sys
import time

from sla_model.db import make_engine
from sla_model.generator import SAMPLE_LEADS, SEED, generate, sample_dir, sample_slas, write_csv
from sla_model.repository import counts, seed_if_empty


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    parser = argparse.ArgumentParser(prog="python -m sla_model", description="Smarketing SLA tools.")
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="write a generated data set in the app's CSV format")
    gen.add_argument("--leads", type=int, default=SAMPLE_LEADS, help="number of leads (default %(default)s)")
    gen.add_argument("--seed", type=int, default=SEED, help="random seed (default %(default)s)")
    gen.add_argument("--out", default=str(sample_dir()), help="folder to write (default: sample_data/)")
    sub.add_parser("init", help="create the tables and seed an empty database with the sample data")
    args = parser.parse_args(argv)

    if args.command == "generate":
        started = time.perf_counter()
        data = generate(n_leads=args.leads, seed=args.seed)
        write_csv(data, args.out)
        print(
            f"wrote {len(data.leads):,} leads, {len(data.touches):,} touches, {len(data.feedback):,} "
            f"decisions to {args.out} in {time.perf_counter() - started:.1f} s"
        )
    elif args.command == "init":
        engine = make_engine()
        seeded = seed_if_empty(engine=engine, slas=sample_slas(), folder=sample_dir())
        print(("seeded" if seeded else "already had data") + f": {counts(engine=engine)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
