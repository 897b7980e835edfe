"""Command line: ``python -m sla_model --help``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sqlmodel import SQLModel

from sla_model.access import Actor, Role, set_user
from sla_model.db import make_engine
from sla_model.generator import SAMPLE_LEADS, SEED, generate, sample_dir, write_csv
from sla_model.mapping import BUILT_IN
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
    imp = sub.add_parser(
        "import",
        help="import leads, touches or decisions from CSV files (HubSpot, Salesforce, the app's format or mapped)",
        description="Import CSV files into the database in one transaction. Leads are matched by ID: importing "
        "the same file again changes nothing, a newer export updates the leads that changed. A file with errors "
        "is refused (every problem is listed) unless --skip-invalid is given.",
    )
    imp.add_argument("files", nargs="+", metavar="FILE", help="CSV files (optionally .gz); leads before touches")
    imp.add_argument(
        "--format",
        choices=["auto", *BUILT_IN],
        default="auto",
        help="the layout of the files (default: detected from the column names)",
    )
    imp.add_argument("--mapping", help="a column mapping TOML file (as downloaded from the import page)")
    imp.add_argument("--skip-invalid", action="store_true", help="import the valid rows and skip rows with errors")
    imp.add_argument("--replace", action="store_true", help="delete every stored lead, touch and decision first")
    imp.add_argument("--dry-run", action="store_true", help="check the files and list problems; write nothing")
    imp.add_argument("--problems", metavar="CSV", help="write every problem found to this CSV file")
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
    elif args.command == "import":
        return _import(args)
    return 0


def _import(args: argparse.Namespace) -> int:
    """``python -m sla_model import``: check each file, then write it in one transaction."""
    from tqdm import tqdm

    from sla_model import importer
    from sla_model.csvfile import CsvFileError, read_csv
    from sla_model.exports import safe_csv
    from sla_model.mapping import MappingError, detect, load_mapping_file, no_match_message

    engine = make_engine()
    SQLModel.metadata.create_all(engine)
    try:
        custom = load_mapping_file(args.mapping) if args.mapping else None
    except MappingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    status = 0
    replace = args.replace
    for path in map(Path, args.files):
        try:
            table = read_csv(path.read_bytes(), name=path.name)
        except OSError as exc:
            print(f"error: {path}: {exc.strerror}", file=sys.stderr)
            return 2
        except CsvFileError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        mapping = custom or (BUILT_IN[args.format] if args.format != "auto" else detect(table.headers))
        if mapping is None:
            message = no_match_message(path.name, table.headers)
            print(f"error: {message} (pass --mapping FILE; the import page builds one)", file=sys.stderr)
            return 2
        known = importer.known_lead_ids(engine) if mapping.kind != "leads" and not replace else None
        try:
            prepared = importer.prepare(table, mapping, known_leads=known)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"{path.name}: {mapping.name}, {table.encoding}, delimiter {table.delimiter!r}, "
              f"{prepared.rows_read:,} rows, {prepared.errors:,} with errors")  # fmt: skip
        for note in prepared.notes:
            print(f"  note: {note}")
        for p in prepared.problems.head(20).itertuples():
            print(f"  {p.level}: row {p.row}, column '{p.column}', value '{p.value}': {p.reason}")
        if prepared.problem_counts:
            by_reason = ", ".join(f"{reason}: {n:,}" for reason, n in sorted(prepared.problem_counts.items()))
            print(f"  problems by reason: {by_reason}")
        if len(prepared.problems) > 20:
            print(f"  ... {sum(prepared.problem_counts.values()) - 20:,} more problems")
        if args.problems:
            Path(args.problems).write_bytes(safe_csv(prepared.problems))
        if args.dry_run:
            status = status or (1 if not prepared.ok else 0)
            continue
        if not prepared.ok and not args.skip_invalid:
            print(f"error: {path.name}: nothing imported: {prepared.errors:,} rows have errors "
                  "(fix them, or pass --skip-invalid to import the valid rows)", file=sys.stderr)  # fmt: skip
            return 1
        del table  # the file's text cells are not needed to write the prepared rows: free them first
        with tqdm(total=100, desc=path.name, unit="%", file=sys.stderr, leave=False) as bar:

            def progress(fraction: float, message: str) -> None:
                bar.update(round(fraction * 100) - bar.n)
                bar.set_postfix_str(message)

            result = importer.write(engine, prepared, actor="command line", replace=replace,
                                    allow_errors=args.skip_invalid, progress=progress)  # fmt: skip
        replace = False  # only before the first file
        print(f"  imported: {importer.summary(result)}")
    return status


if __name__ == "__main__":
    sys.exit(main())
