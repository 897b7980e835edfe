"""Command line: ``python -m sla_model --help``."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import SQLModel

from sla_model.access import Actor, Role, set_user
from sla_model.agreement.sla import SlaError, load_sla_file, ordered
from sla_model.generator import SAMPLE_LEADS, SEED, generate, sample_dir, seed_sample, write_csv
from sla_model.importing.csvfile import MAX_BYTES
from sla_model.importing.mapping import BUILT_IN
from sla_model.store.db import make_engine
from sla_model.store.repository import counts
from sla_model.store.schema import SchemaError
from sla_model.store.schema import upgrade as upgrade_schema
from sla_model.store.seed import seed_if_empty

if TYPE_CHECKING:
    from sla_model.importing.importer import Prepared


#: Who the command line acts as: a local operator with a manager's rights (whoever can run it can reach the
#: database directly), named so in the audit log.
OPERATOR = Actor("command line", Role.MANAGER, id="cli")


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    parser = argparse.ArgumentParser(prog="python -m sla_model", description="Smarketing SLA tools.")
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="write a generated data set in the app's CSV format")
    gen.add_argument("--leads", type=int, default=SAMPLE_LEADS, help="number of leads (default %(default)s)")
    gen.add_argument("--seed", type=int, default=SEED, help="random seed (default %(default)s)")
    gen.add_argument("--out", default=str(sample_dir()), help="folder to write (default: sample_data/)")
    init = sub.add_parser(
        "init",
        help="create the tables and load a data folder into an empty database (a database with data is refused)",
    )
    init.add_argument(
        "--data",
        default=str(sample_dir()),
        help="folder with sla/*.toml and leads.csv[.gz], touches.csv[.gz], feedback.csv[.gz] "
        "(default: the sample data, its story told up to now; SMARKETING_SAMPLE_ENDS=shipped keeps its dates)",
    )
    user = sub.add_parser(
        "user",
        help="grant a role to a signed-in user's email (run by an administrator)",
        description="Grant a role. The command line acts as a manager-level local operator, audited as 'command line'.",
    )
    user.add_argument("email")
    user.add_argument("--role", choices=[r.value for r in Role], required=True)
    user.add_argument("--name", default="", help="display name")
    user.add_argument("--rep", help="for reps: the lead owner name they work as")
    sub.add_parser(
        "upgrade",
        help="upgrade the database's tables to this release's schema (back it up first); the app does this itself "
        "on start unless SMARKETING_AUTO_UPGRADE=0",
    )
    imp = sub.add_parser(
        "import",
        help="import leads, touches or decisions from CSV files (HubSpot, Salesforce, the app's format or mapped)",
        description="Import CSV files into the database, each in one transaction. Leads are matched by ID: "
        "importing the same file again changes nothing, a newer export updates the leads that changed. Every file "
        "of the command is checked before any is written (touches and decisions may refer to leads in an earlier "
        "file of the same command): if any file has errors, nothing is imported from any of them (every problem "
        "is listed) unless --skip-invalid is given. The command line acts as a manager-level local operator: the "
        "import is audited as 'command line'.",
    )
    imp.add_argument("files", nargs="+", metavar="FILE", help="CSV files (optionally .gz); leads before touches")
    imp.add_argument(
        "--format",
        choices=["auto", *BUILT_IN],
        default="auto",
        help="the layout of the files (default: detected from the column names)",
    )
    imp.add_argument("--mapping", help="a column mapping TOML file (as downloaded from the import page)")
    imp.add_argument(
        "--skip-invalid", action="store_true", help="import the valid rows of every file and skip rows with errors"
    )
    imp.add_argument(
        "--update-only",
        action="store_true",
        help="the leads files update stored leads by ID (e.g. a deals file joined by the contact ID): only the ID "
        "is required, stored leads get only the fields the file carries (never their creation date unless the "
        "mapping maps it), a row for a lead not stored is an error",
    )
    imp.add_argument(
        "--add-new",
        action="store_true",
        help="with --update-only: add the rows whose lead is not stored yet (they need a creation date)",
    )
    imp.add_argument(
        "--max-size",
        type=int,
        default=MAX_BYTES >> 20,
        metavar="MB",
        help="the largest file read, in MB, after decompressing a .gz file (default %(default)s): a larger file, or "
        "a small gzip file that expands past it, is refused as it is read",
    )
    imp.add_argument("--replace", action="store_true", help="delete every stored lead, touch and decision first")
    clock = imp.add_mutually_exclusive_group()
    clock.add_argument(
        "--live",
        dest="live",
        action="store_const",
        const=True,
        help="the files come from a CRM in use today: judge every figure as of now from here on",
    )
    clock.add_argument("--history", dest="live", action="store_const", const=False,
                       help="judge every figure as of the latest event in the data (the default for a new "
                       "database; without either flag the database keeps its choice)")  # fmt: skip
    imp.add_argument("--dry-run", action="store_true", help="check the files and list problems; write nothing")
    imp.add_argument("--problems", metavar="CSV", help="write every problem found to this CSV file")
    notify = sub.add_parser(
        "notify",
        help="send the alerts, digests and review reports that are due, then exit (for cron or a timer)",
        description="Send every alert that is due: breach risk and breaches to reps, escalations to managers, the "
        "daily digests and the review reports, by email (SMARKETING_SMTP_*) and the team's webhook "
        "(SMARKETING_WEBHOOK_URL). Each alert is sent once, however often or in how many places this runs at once; "
        "failed ones are retried with back-off by later runs. Exits 1 when a delivery failed.",
    )
    notify.add_argument("--as-of", type=_moment, help="judge the data as of this UTC time (default: the data's clock)")
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except SchemaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    """Run one parsed command."""
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
        return _init(folder, slas)
    elif args.command == "user":
        try:
            set_user(engine=make_engine(), actor=OPERATOR, email=args.email,
                     role=Role(args.role), name=args.name, rep=args.rep)  # fmt: skip
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"{args.email.lower()} is now a {args.role}" + (f" working as {args.rep}" if args.rep else ""))
    elif args.command == "import":
        return _import(args)
    elif args.command == "upgrade":
        return _upgrade()
    elif args.command == "notify":
        return _notify(args)
    return 0


def _moment(text: str) -> dt.datetime:
    """A ``--as-of`` value: an ISO date and time, taken as UTC (an offset is converted to UTC).

    Examples:
        >>> _moment("2026-10-05T09:30"), _moment("2026-10-05 11:30+02:00")
        (datetime.datetime(2026, 10, 5, 9, 30), datetime.datetime(2026, 10, 5, 9, 30))
    """
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO date and time: {text!r}") from exc
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _notify(args: argparse.Namespace) -> int:
    """``python -m sla_model notify``: one run of the alerts (:func:`sla_model.alerts.notify`)."""
    from sla_model.alerts import Channels, notify

    try:
        channels = Channels.load()
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    engine = make_engine()
    try:
        run = notify(engine=engine, channels=channels, as_of=args.as_of)
    finally:
        engine.dispose()
    for note in run.notes:
        print(f"note: {note}")
    if run.quiet:
        print(f"{run.as_of:%Y-%m-%d %H:%M} UTC is in the quiet hours: nothing sent")
        return 0
    done = run.delivered
    print(f"as of {run.as_of:%Y-%m-%d %H:%M} UTC: {run.claimed:,} new alerts; sent {done.sent:,}, failed "
          f"{done.failed:,} (retried by a later run), given up {done.given_up:,}")  # fmt: skip
    return 1 if done.failed or done.given_up else 0


def _upgrade() -> int:
    """``python -m sla_model upgrade``: bring the database to this release's schema, saying from where to where."""
    engine = make_engine(upgrade=False)
    found = upgrade_schema(engine, allow=True)
    if found.up_to_date:
        print(f"the database is up to date (schema revision {found.current})")
    elif found.empty:
        print(f"created the tables at schema revision {found.head}")
    else:
        was = found.current or "release 1 (unversioned)"
        print(f"upgraded the database from schema revision {was} to {found.head}")
    return 0


def _init(folder: Path, slas: list) -> int:
    """``python -m sla_model init``: load a folder into an empty database; refuse one that has data."""

    def found(name: str) -> bool:
        return any((folder / f"{name}{ext}").exists() for ext in (".csv", ".csv.gz"))

    if not found("leads") and (found("touches") or found("feedback")):
        print(f"error: {folder}: touches or decisions but no leads.csv (they belong to leads in it)", file=sys.stderr)
        return 2
    engine = make_engine()
    stored = counts(engine=engine)
    if folder.resolve() == sample_dir().resolve():  # the sample company, its story told up to now
        seeded = not any(stored.values()) and seed_sample(engine)
    else:
        try:
            seeded = not any(stored.values()) and seed_if_empty(engine=engine, slas=slas, folder=folder)
        except ValueError as exc:  # a file that cannot be read, a row the database refuses: nothing was loaded
            print(f"error: {exc}", file=sys.stderr)
            return 2
    if not seeded:
        stored = counts(engine=engine)
        print(
            f"error: the database is not empty ({stored['leads']:,} leads, {stored['touches']:,} touches, "
            f"{stored['feedback']:,} decisions, {stored['sla_versions']:,} SLA versions): init loads a data folder "
            "into an empty database only, and nothing was loaded. To swap the stored leads for a file: "
            "python -m sla_model import --replace FILE",
            file=sys.stderr,
        )
        return 2
    only = "" if found("leads") else f" (no leads.csv in {folder}: the SLA versions only)"
    print(f"loaded: {counts(engine=engine)}{only}")
    return 0


def _import(args: argparse.Namespace) -> int:
    """``python -m sla_model import``: check every file, then write each in one transaction (none if one fails)."""
    import pandas as pd
    from tqdm import tqdm

    from sla_model.exports import safe_csv
    from sla_model.importing import importer
    from sla_model.importing.csvfile import CsvFileError, read_csv, read_file
    from sla_model.importing.mapping import MappingError, detect, load_mapping_file, no_match_message

    engine = make_engine()
    SQLModel.metadata.create_all(engine)
    try:
        custom = load_mapping_file(args.mapping) if args.mapping else None
    except MappingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    replace = args.replace
    stored: set[str] | None = set() if replace else None  # the stored lead IDs, read when a file needs them
    pending: set[str] = set()  # lead IDs of the leads files checked before (written before the later files)
    pending_dates: list[pd.DataFrame] = []  # and their dates
    checked: list[tuple[Path, Prepared]] = []
    problem_frames = []
    for path in map(Path, args.files):  # every file is checked before any is written
        try:
            cap = args.max_size << 20
            table = read_csv(read_file(path, max_bytes=cap), name=path.name, max_bytes=cap)
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
        if mapping.kind == "leads" and (args.update_only or args.add_new):
            mapping = mapping.model_copy(update={"update_only": True, "add_new": args.add_new or mapping.add_new})
        if stored is None and mapping.kind != "leads":
            stored = importer.known_lead_ids(engine)
        known = None if mapping.kind == "leads" else stored | pending
        dates = None
        if mapping.update_only:  # the stored leads, and those of the leads files before it in this command
            frames = [importer.stored_lead_dates(engine)] * (not replace) + pending_dates
            dates = pd.concat(frames, ignore_index=True) if frames else None
        try:
            prepared = importer.prepare(table, mapping, known_leads=known, stored_leads=dates)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if mapping.kind == "leads":
            pending |= set(prepared.frame["lead_id"])
            pending_dates.append(prepared.frame[["lead_id", *(c for c in prepared.frame if c.endswith("_at"))]])
        print(f"{path.name}: {mapping.name}, {table.encoding}, delimiter {table.delimiter!r}")
        del table  # the file's text cells are not needed to write the prepared rows: free them
        _report(prepared)
        checked.append((path, prepared))
        problem_frames.append(prepared.problems.assign(file=path.name))
    if args.problems:
        Path(args.problems).write_bytes(safe_csv(pd.concat(problem_frames, ignore_index=True)))
    refused = [(path, prepared) for path, prepared in checked if not prepared.ok]
    if args.dry_run:
        return 1 if refused else 0
    if refused and not args.skip_invalid:
        for path, prepared in refused:
            verb = "has errors" if prepared.errors == 1 else "have errors"
            print(f"error: {path.name}: {importer.rows_text(prepared.errors)} {verb}", file=sys.stderr)
        files = "the file" if len(checked) == 1 else f"any of the {len(checked)} files"
        print(f"error: nothing was imported from {files} (fix the errors, or pass --skip-invalid to import the "
              "valid rows)", file=sys.stderr)  # fmt: skip
        return 1
    for path, prepared in checked:
        with tqdm(total=100, desc=path.name, unit="%", file=sys.stderr, leave=False) as bar:

            def progress(fraction: float, message: str) -> None:
                bar.update(round(fraction * 100) - bar.n)
                bar.set_postfix_str(message)

            result = importer.write(engine, prepared, actor=OPERATOR, replace=replace,
                                    allow_errors=args.skip_invalid, progress=progress, live=args.live)  # fmt: skip
        replace = False  # only before the first file
        print(f"{path.name}: imported: {importer.summary(result)}")
    return 0


def _shown(text: object) -> str:
    r"""A cell as the terminal shows it: quoted, with control characters (ESC, BEL, …) spelled out, never run.

    Examples:
        >>> _shown("ok"), _shown("[31mred")
        ("'ok'", "'\x1b[31mred\x07'")
    """
    return "'" + "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in str(text)) + "'"


def _report(prepared: Prepared) -> None:
    """Print what checking a file found."""
    from sla_model.importing.importer import rows_text

    print(f"  {rows_text(prepared.rows_read)}, {prepared.errors:,} with errors")
    for note in prepared.notes:
        print(f"  note: {note}")
    for p in prepared.problems.head(20).itertuples():
        print(f"  {p.level}: row {p.row}, column {_shown(p.column)}, value {_shown(p.value)}: {_shown(p.reason)[1:-1]}")
    if prepared.problem_counts:
        by_reason = ", ".join(f"{reason}: {n:,}" for reason, n in sorted(prepared.problem_counts.items()))
        print(f"  problems by reason: {by_reason}")
    if len(prepared.problems) > 20:
        print(f"  ... {sum(prepared.problem_counts.values()) - 20:,} more problems")


if __name__ == "__main__":
    sys.exit(main())
