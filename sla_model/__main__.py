"""Command line: ``python -m sla_model --help``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sla_model.access import Actor, Role, set_user
from sla_model.db import make_engine
from sla_model.generator import SAMPLE_LEADS, SEED, generate, sample_dir, write_csv
from sla_model.repository import counts, seed_if_empty
from sla_model.sla import SlaError, load_sla_file, ordered


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    parser = argparse.ArgumentParser(prog="python -m sla_model", description="Smarketing SLA tools.")
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="write a generated data set in the app's CSV format")
    gen.add_argument("--leads", type=int, default=SAMPLE_LEADS, help="number of leads (default %(default)s)")
    gen.add_argument("--seed", type=int, default=SEED, help="random seed (default %(default)s)")
    gen.add_argument("--out", default=str(sample_dir()), help="folder to write (default: sample_data/)")
    init = sub.add_parser("init", help="create the tables and load a data folder into an empty database")
    init.add_argument(
        "--data",
        default=str(sample_dir()),
        help="folder with sla/*.toml and leads.csv[.gz], touches.csv[.gz], feedback.csv[.gz] "
        "(default: the sample data)",
    )
    user = sub.add_parser("user", help="grant a role to a signed-in user's email (run by an administrator)")
    user.add_argument("email")
    user.add_argument("--role", choices=[r.value for r in Role], required=True)
    user.add_argument("--name", default="", help="display name")
    user.add_argument("--rep", help="for reps: the lead owner name they work as")
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
        folder = Path(args.data)
        try:
            slas = ordered([load_sla_file(p) for p in sorted((folder / "sla").glob("*.toml"))])
            if not slas:
                raise SlaError(f"{folder / 'sla'}: no SLA file (*.toml) found")
        except SlaError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        engine = make_engine()
        seeded = seed_if_empty(engine=engine, slas=slas, folder=folder)
        print(("loaded" if seeded else "the database already has data; nothing loaded") + f": {counts(engine=engine)}")
    elif args.command == "user":
        try:
            set_user(engine=make_engine(), actor=Actor("command line", Role.MANAGER), email=args.email,
                     role=Role(args.role), name=args.name, rep=args.rep)  # fmt: skip
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"{args.email.lower()} is now a {args.role}" + (f" working as {args.rep}" if args.rep else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
