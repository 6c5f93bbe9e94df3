"""The command line: `python -m analysis build ...`, `python -m analysis update ...` and `python -m analysis export ...`."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import sys
from pathlib import Path

from .vocabulary import GRANULARITIES, GRANULARITY_CHOICES, MEASURES

__all__ = ["main"]

EXPORT_WHAT = ("timeline", "mentions", "documents", "clusters", "concordance", "ranking", "crosstab", "surges",
               "distinctive", "passages", "events", "comparison", "lead-lag")


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD; got {value!r}") from None


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive whole number; got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number (1 or more); got {number}")
    return number


def _limit(value: str) -> int | str:
    if value.strip().lower() == "all":
        return "all"
    return _positive(value)


def _reading_limit(value: str) -> tuple[str, int]:
    """``NAME=VALUE`` of ``--set``: one of ``analysis.ingest.LIMITS`` and a positive whole number."""
    from .ingest import LIMITS

    names = [setting.name for setting in LIMITS]
    name, sep, number = value.partition("=")
    name = name.strip()
    if not sep or name not in names:
        raise argparse.ArgumentTypeError(
            f"expected NAME=VALUE with NAME one of {', '.join(names)}; got {value!r}")
    try:
        count = int(number.strip().replace(",", "").replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{name} must be a positive whole number; got {number.strip()!r}") from None
    if count < 1:
        raise argparse.ArgumentTypeError(f"{name} must be a positive whole number (1 or more); got {count}")
    return name, count


def _name(value: str) -> str:
    name = " ".join(value.split())
    if not name:
        raise argparse.ArgumentTypeError("expected a publisher's name, such as 'Russian MFA'; got nothing")
    return name


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="Build a corpus of diplomatic texts into tidy tables, or export a table of a build as CSV.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="build INPUT files, folders or .zip archives into DIR")
    b.add_argument("inputs", nargs="+", metavar="INPUT", help="a file, a folder (read recursively) or a .zip")
    b.add_argument("--out", required=True, metavar="DIR", help="the build folder (replaced whole if it exists)")
    b.add_argument("--themes", metavar="FILE", help="your own themes dictionary (TOML) instead of data/themes.toml")
    b.add_argument("--organisations", "--organizations", metavar="FILE",
                   help="your own organisations dictionary (TOML) instead of data/organisations.toml")
    b.add_argument("--events", metavar="FILE",
                   help="a calendar of events (TOML, format in data/events.toml) to copy into the build")
    b.add_argument("--month-first", action="store_true",
                   help="read ambiguous numeric dates such as 03/04/2024 month first (default: day first)")
    b.add_argument("--body-dates", action="store_true",
                   help="date a document with no other date by the first full date its text mentions (marked "
                        "date_method=body; off by default: such a date is usually an event the text talks about)")
    b.add_argument("--clusters", type=_positive, metavar="N", help="number of topic clusters (default: chosen automatically)")
    b.add_argument("--workers", type=_positive, metavar="N",
                   help="processes for per-document work (default: up to 2); with --engine dask, the local "
                        "cluster's workers")
    b.add_argument("--engine", choices=("local", "dask"), default="local",
                   help="local: this machine's processes (default); dask: a Dask cluster (see --scheduler)")
    b.add_argument("--scheduler", metavar="ADDRESS",
                   help="with --engine dask: a running Dask scheduler (tcp://HOST:8786) whose workers see the "
                        "inputs and --out; default: a local cluster of --workers (2) workers")
    b.add_argument("--quiet", action="store_true", help="no progress bar and no summary")
    b.add_argument("--set", type=_reading_limit, action="append", default=[], metavar="LIMIT=N", dest="limits",
                   help="raise or lower a reading limit, repeatable: max_text_chars, max_file_bytes, "
                        "max_total_bytes, max_zip_bytes, max_zip_members, file_seconds, max_row_chars, chunk_rows "
                        "(defaults and meanings in the README's 'Limits and security'); recorded in the manifest")
    b.add_argument("--publisher", type=_name, metavar="NAME",
                   help="the publisher of every input (default: found from each page, channel, table or file)")
    b.add_argument("--publisher-map", metavar="FILE",
                   help='a TOML file of [publishers] "pattern" = "name": the publisher of the sources each glob matches')

    u = sub.add_parser("update", help="add new or changed files (or posts) to the build in DIR",
                       description="Add new or changed inputs to an existing build, in place and atomically: "
                                   "files the build holds with the same content are not read again, a changed "
                                   "file replaces its documents, new documents join the existing topic clusters "
                                   "(or --refit refits them). Reading options are the build's own.")
    u.add_argument("build", metavar="DIR", help="a build folder made by `build`")
    u.add_argument("inputs", nargs="+", metavar="NEW_INPUT",
                   help="a file, a folder or a .zip to add (a folder or archive of the build may be named again)")
    u.add_argument("--refit", action="store_true",
                   help="refit the topic clusters on all documents (default: assign new documents to the existing ones)")
    u.add_argument("--clusters", type=_positive, metavar="N", help="with --refit: the number of topic clusters")
    u.add_argument("--themes", metavar="FILE", help="the themes dictionary the build was made with, if moved")
    u.add_argument("--organisations", "--organizations", metavar="FILE",
                   help="the organisations dictionary the build was made with, if moved")
    u.add_argument("--month-first", action="store_true", default=None,
                   help="must match the build (taken from its manifest when left out)")
    u.add_argument("--body-dates", action="store_true", default=None,
                   help="must match the build (taken from its manifest when left out)")
    u.add_argument("--publisher", type=_name, metavar="NAME", help="must match the build's --publisher")
    u.add_argument("--publisher-map", metavar="FILE", help="must match the build's --publisher-map")
    u.add_argument("--workers", type=_positive, metavar="N", help="processes for per-document work (default: up to 2)")
    u.add_argument("--quiet", action="store_true", help="no progress bar and no summary")

    e = sub.add_parser("export", help="export a table or a chart's panel of the build in DIR as formula-safe CSV",
                       description="Export a table of a build (--what), or exactly what one chart or table of the "
                                   "dashboard draws (--panel NAME: the same CSV as its Download CSV button for the "
                                   "same filters). --list-panels lists the panels and their options.")
    e.add_argument("build", nargs="?", metavar="DIR", help="a build folder made by `build`")
    what = e.add_mutually_exclusive_group(required=True)
    what.add_argument("--what", choices=EXPORT_WHAT, help="a table of the build")
    what.add_argument("--panel", metavar="NAME", help="what one chart or table of the dashboard draws (see --list-panels)")
    what.add_argument("--list-panels", action="store_true", help="list the panels, their views and options, and exit")
    e.add_argument("--out", metavar="FILE.csv", help="the CSV file to write ('-' for stdout)")
    e.add_argument("--kind", choices=("theme", "organisation", "cluster"),
                   help="for timeline, ranking and concordance: what to count (default: theme); for a panel "
                        "with a --key: what the key names")
    e.add_argument("--key", action="append", default=[], metavar="KEY",
                   help="theme or organisation key(s) to include in a timeline or concordance (repeatable; one "
                        "for a panel)")
    e.add_argument("--granularity", choices=GRANULARITY_CHOICES,
                   help="period length (default: month for --what, auto, as the dashboard, for --panel)")
    e.add_argument("--measure", choices=tuple(MEASURES),
                   help="for --panel: what a timeline draws (default: share), as the dashboard's Measure")
    e.add_argument("--by", choices=("source", "publisher", "language"),
                   help="split a timeline by source, publisher or language")
    e.add_argument("--start", type=_date, metavar="YYYY-MM-DD")
    e.add_argument("--end", type=_date, metavar="YYYY-MM-DD")
    e.add_argument("--org", action="append", default=[], metavar="KEY", help="keep documents mentioning this organisation")
    e.add_argument("--org-mode", choices=("any", "all"), default="any")
    e.add_argument("--theme", action="append", default=[], metavar="KEY", help="keep documents mentioning this theme")
    e.add_argument("--source", action="append", default=[], metavar="SOURCE")
    e.add_argument("--publisher", action="append", default=[], metavar="NAME",
                   help="keep documents of this publisher (repeat for several)")
    e.add_argument("--language", action="append", default=[], metavar="CODE")
    e.add_argument("--doc-id", action="append", default=[], metavar="ID",
                   help="keep only this document (repeat it for more): a chart selection, as the Documents view "
                        "narrows to it")
    e.add_argument("--doc-ids", metavar="FILE",
                   help="keep only the documents FILE lists: one doc_id a line, or a CSV with a doc_id column (the "
                        "Documents CSV the dashboard wrote under a chart selection)")
    e.add_argument("--include-duplicates", action="store_true")
    e.add_argument("--exclude-inferred", action="store_true", help="leave out documents whose date was inferred")
    e.add_argument("--exclude-body-dates", action="store_true",
                   help="leave out documents dated only by a date their text mentions (built with --body-dates)")
    e.add_argument("--pair", nargs=2, metavar=("A", "B"),
                   help="for comparison and lead-lag: the two values of --by compared (e.g. two sources)")
    e.add_argument("--events", metavar="FILE",
                   help="for surges and events: the calendar (default: the build's events.toml, else the bundled one)")
    e.add_argument("--hide-events", action="store_true",
                   help="for --panel theme-surges: do not match the surges with the calendar (the dashboard's "
                        "events=0)")
    e.add_argument("--top", type=_positive, metavar="N", help="for a panel: how many keys or rows it draws")
    e.add_argument("--limit", type=_limit, metavar="N|all", help="for a panel: at most N rows ('all': every one)")
    e.add_argument("--surface", metavar="TEXT", help="for --panel surface-samples: the surface sampled")
    e.add_argument("--window", nargs=2, type=_date, metavar=("START", "END"),
                   help="for --panel surge-words, surge-passages, surge-events: the surge's first and last day")
    return parser


def _fail(message: str, code: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


class _EngineError(Exception):
    """The engine asked for cannot run (bad --scheduler, dask missing, ...)."""


def _dask_build(args, options: dict):
    if args.scheduler is not None and args.workers is not None:
        raise _EngineError("--workers sizes the local Dask cluster; a cluster at --scheduler has its own workers. "
                           "Leave out one of the two.")
    try:
        from .dask_engine import SchedulerError, build_on_dask
    except ImportError as exc:
        raise _EngineError(f"--engine dask needs dask.distributed ({exc}); install it with "
                           "pip install 'dask[distributed]', or build with --engine local.") from None
    try:
        return build_on_dask(args.inputs, args.out, scheduler=args.scheduler, **options)
    except SchedulerError as exc:
        raise _EngineError(str(exc)) from None


def _build(args) -> int:
    if args.scheduler is not None and args.engine != "dask":
        return _fail(f"--scheduler {args.scheduler} is for the Dask engine; add --engine dask.", 2)
    from .events import EventsError
    from .ingest import PublisherMapError
    from .lexicon import LexiconError
    from .pipeline import NoDocumentsError, run_build
    from .store import BuildError

    progress = None
    bar = None
    if not args.quiet:
        from tqdm import tqdm

        bar = tqdm(total=100, unit="%", desc="Reading input files", file=sys.stderr, leave=False, disable=None,
                   bar_format="{desc:<42} {bar} {percentage:3.0f}% [{elapsed}]")

        def progress(message: str, fraction: float) -> None:
            bar.set_description_str(message)
            bar.n = int(round(100 * min(max(fraction, 0.0), 1.0)))
            bar.refresh()

    options = {"themes": args.themes, "organisations": args.organisations, "dayfirst": not args.month_first,
               "n_clusters": args.clusters, "workers": args.workers, "progress": progress,
               "body_dates": args.body_dates, "events": args.events, "publisher": args.publisher,
               "publisher_map": args.publisher_map, "limits": dict(args.limits) or None}
    try:
        if args.engine == "dask":
            result = _dask_build(args, options)
        else:
            result = run_build(args.inputs, args.out, **options)
    except _EngineError as exc:
        return _fail(str(exc), 2)
    except FileNotFoundError as exc:
        return _fail(str(exc), 2)
    except (LexiconError, EventsError, BuildError) as exc:
        return _fail(str(exc), 2)
    except PublisherMapError as exc:
        return _fail(str(exc), 2)
    except NoDocumentsError as exc:
        return _fail(str(exc), 1)
    except OSError as exc:  # the disk is full, a folder cannot be written, ...
        return _fail(f"the build could not be written ({exc.strerror or exc}: {exc.filename or args.out}); "
                     "free some space or choose another --out.", 2)
    finally:
        if bar is not None:
            bar.close()
    if not args.quiet:
        totals = result.report["totals"]
        counts = result.manifest["counts"]
        print(
            f"Built {counts['documents']} documents ({counts['dated']} dated), {counts['mentions']} mentions, "
            f"{counts['clusters']} topic clusters into {result.path}\n"
            f"Files: {totals['files']} ({totals['parsed']} parsed, {totals['skipped']} skipped, "
            f"{totals['failed']} failed); see {Path(result.path) / 'ingest_report.json'}",
            file=sys.stderr,
        )
        if totals.get("publishers"):
            how = ", ".join(f"{n} by {method}" for method, n in totals.get("publisher_methods", {}).items())
            print(f"Publishers: {totals['publishers']} ({how})", file=sys.stderr)
        if totals.get("body_dated"):
            print(f"{totals['body_dated']} documents dated by a date their text merely mentions (--body-dates; "
                  "date_method=body)", file=sys.stderr)
        elif totals.get("undated_with_date_hint"):
            print(f"{totals['undated_with_date_hint']} undated documents mention a date in their text, kept as "
                  "date_hint (--body-dates would date them by it)", file=sys.stderr)
        for entry in result.report["files"]:
            if entry["status"] != "parsed":
                print(f"  {entry['status']}: {entry['path']}: {entry['reason']}", file=sys.stderr)
    return 0


def _listed(label: str, paths: list[str], limit: int = 10) -> str:
    shown = [f"  {label}: {p}" for p in paths[:limit]]
    if len(paths) > limit:
        shown.append(f"  … and {len(paths) - limit} more {label} (see the manifest's updates)")
    return "\n".join(shown)


def _update(args) -> int:
    from .events import EventsError
    from .ingest import PublisherMapError
    from .lexicon import LexiconError
    from .store import BuildError
    from .update import UpdateError, run_update

    progress = bar = None
    if not args.quiet:
        from tqdm import tqdm

        bar = tqdm(total=100, unit="%", desc="Reading new input files", file=sys.stderr, leave=False, disable=None,
                   bar_format="{desc:<42} {bar} {percentage:3.0f}% [{elapsed}]")

        def progress(message: str, fraction: float) -> None:
            bar.set_description_str(message)
            bar.n = int(round(100 * min(max(fraction, 0.0), 1.0)))
            bar.refresh()

    try:
        build, entry = run_update(
            args.build, args.inputs, refit=args.refit, themes=args.themes, organisations=args.organisations,
            dayfirst=False if args.month_first else None, body_dates=args.body_dates, publisher=args.publisher,
            publisher_map=args.publisher_map, n_clusters=args.clusters, workers=args.workers, progress=progress)
    except (FileNotFoundError, UpdateError, BuildError, LexiconError, EventsError, PublisherMapError) as exc:
        return _fail(str(exc), 2)
    except OSError as exc:
        return _fail(f"the build could not be written ({exc.strerror or exc}: {exc.filename or args.build}); "
                     "free some space and run the update again (the build is as it was).", 2)
    finally:
        if bar is not None:
            bar.close()
    if args.quiet:
        return 0
    unchanged = entry["unchanged"]
    if not entry["written"]:
        print(f"Nothing to update in {args.build}: every input file is unchanged ({len(unchanged)} with the same "
              "sha256 as in the build, none read again); the build was not rewritten.", file=sys.stderr)
        return 0
    how = "clusters refitted on all documents" if entry["refit"] else "new documents assigned to the existing clusters"
    print(f"Updated {build.path}: {entry['added']} documents added, {entry['replaced']} from changed files "
          f"(replacing {entry['removed']}); {len(unchanged)} input files unchanged, not read again.\n"
          f"Now {entry['documents']} documents, {build.manifest['counts']['mentions']} mentions, "
          f"{build.manifest['counts']['clusters']} topic clusters ({how}); see {Path(build.path) / 'manifest.json'}",
          file=sys.stderr)
    for label, paths in (("new", entry["files_new"]), ("changed", entry["files_changed"]), ("unchanged", unchanged)):
        if paths:
            print(_listed(label, paths), file=sys.stderr)
    read = set(entry["files_new"]) | set(entry["files_changed"])
    for item in build.report["files"]:
        if item["path"] in read and item["status"] != "parsed":
            print(f"  {item['status']}: {item['path']}: {item['reason']}", file=sys.stderr)
    return 0


def _filters(args):
    from .timeline import Filters

    return Filters(start=args.start, end=args.end, organisations=tuple(args.org), org_mode=args.org_mode,
                   themes=tuple(args.theme), sources=tuple(args.source), languages=tuple(args.language),
                   publishers=tuple(args.publisher), include_duplicates=args.include_duplicates,
                   include_inferred=not args.exclude_inferred, include_body_dates=not args.exclude_body_dates,
                   doc_ids=getattr(args, "chosen_doc_ids", None))


def _doc_ids(args) -> tuple[str, ...] | None:
    """The doc_ids of ``--doc-id`` and ``--doc-ids FILE`` (one a line, or a CSV's doc_id column), in order,
    each once; None when neither is given. Raises ValueError naming what is wrong with the file."""
    ids = list(args.doc_id)
    if args.doc_ids:
        path = Path(args.doc_ids)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise ValueError(f"--doc-ids '{path}' does not exist: pass a file of doc_ids, one a line, or a "
                             "CSV with a doc_id column.") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"--doc-ids '{path}' cannot be read as UTF-8 text ({exc}).") from None
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if lines and "," in lines[0]:  # a CSV: its doc_id column
            import csv
            import io

            reader = csv.DictReader(io.StringIO(text))
            if "doc_id" not in (reader.fieldnames or ()):
                raise ValueError(f"--doc-ids '{path}' is a CSV without a doc_id column (its columns: "
                                 f"{', '.join(reader.fieldnames or ())}); pass the Documents CSV or one doc_id a line.")
            lines = [row["doc_id"].strip() for row in reader if (row.get("doc_id") or "").strip()]
        elif lines and lines[0] == "doc_id":  # a one-column CSV with its header
            lines = lines[1:]
        if not lines:
            raise ValueError(f"--doc-ids '{path}' lists no doc_id; pass a file with one doc_id a line.")
        ids += lines
    return tuple(dict.fromkeys(ids)) if ids or args.doc_ids else None


def _list_panels() -> int:
    from .panels import PANELS

    width = max(len(name) for name in PANELS)
    lines = []
    for spec in PANELS.values():
        lines.append(f"{spec.name:<{width}}  {spec.view:<13}  {spec.description}")
        for flag in dict.fromkeys(_PANEL_FLAGS[o.name] for o in spec.options):
            option = next(o for o in spec.options if _PANEL_FLAGS[o.name] == flag)
            what = _FLAG_HELP.get(option.name, option.help)
            need = ("required" if option.required else "" if option.type == "bool" or option.default is None and
                    option.name != "limit" else f"default: {'all' if option.default is None else option.default}")
            lines.append(f"{'':<{width}}    {flag:<20} {what}{f' ({need})' if need else ''}")
    print("\n".join(lines))
    return 0


# A panel option -> the export flag that gives it.
_PANEL_FLAGS = {"kind": "--kind", "key": "--key", "by": "--by", "a": "--pair A B", "b": "--pair A B",
                "top": "--top", "limit": "--limit", "surface": "--surface", "start": "--window START END",
                "end": "--window START END", "events_file": "--events", "events": "--hide-events",
                "granularity": "--granularity", "measure": "--measure"}


# What a flag gives a panel, where the flag stands for two options or inverts one.
_FLAG_HELP = {"a": "the two sides compared: two values of --by (two sources, say)",
              "start": "the surge's first and last day (YYYY-MM-DD), e.g. a row of --panel theme-surges",
              "events": "do not match the surges with the calendar's events",
              "events_file": "the calendar of events (default: the build's events.toml, else the bundled one)"}


def _panel_options(args) -> dict:
    """The panel options given on the command line (flags left out are the panel's defaults)."""
    given = {"kind": args.kind, "by": args.by, "top": args.top, "surface": args.surface, "events_file": args.events}
    if args.key:
        if len(args.key) > 1:
            raise ValueError(f"--panel {args.panel} draws one key; got --key {' --key '.join(args.key)}. Give one.")
        given["key"] = args.key[0]
    if args.pair:
        given["a"], given["b"] = args.pair
    if args.window:
        given["start"], given["end"] = args.window
    if args.hide_events:
        given["events"] = False
    given = {k: v for k, v in given.items() if v is not None}
    if args.limit is not None:
        given["limit"] = None if args.limit == "all" else args.limit  # None: every row
    return given


def _export_panel(args) -> int:
    from .export import to_csv_bytes
    from .panels import PANELS, check_options
    from .query import Corpus
    from .store import BuildError

    try:
        options = _panel_options(args)
        spec = PANELS.get(args.panel)
        if spec is not None:
            known = {o.name for o in spec.options}
            flags = sorted({_PANEL_FLAGS[k] for k in options if k not in known})
            missing = list(dict.fromkeys(_PANEL_FLAGS[o.name] for o in spec.options
                                         if o.required and o.name not in options))
            if missing and not flags:
                raise ValueError(f"--panel {args.panel} needs {', '.join(missing)}; "
                                 "`python -m analysis export --list-panels` lists every panel's options.")
            if flags:
                takes = ", ".join(dict.fromkeys(_PANEL_FLAGS[o.name] for o in spec.options
                                                if o.name not in ("granularity", "measure"))) or "no options"
                raise ValueError(f"--panel {args.panel} takes {takes}; got {', '.join(flags)}. "
                                 "`python -m analysis export --list-panels` lists every panel's options.")
            # The view's period length and measure, as the dashboard's sidebar: used by the panels that draw them.
            if "granularity" in known:
                options["granularity"] = args.granularity or "auto"
            if "measure" in known:
                options["measure"] = args.measure or "share"
        _, options = check_options(args.panel, options)
    except ValueError as exc:
        return _fail(str(exc), 2)
    try:
        corpus = Corpus.open(args.build)
    except BuildError as exc:
        return _fail(str(exc), 2)
    try:
        panel = spec.function(corpus, _filters(args), **options)
    except ValueError as exc:  # EventsError too
        return _fail(str(exc), 2)
    finally:
        corpus.close()
    return _write(args, to_csv_bytes(panel.table), len(panel.table))


def _write(args, data: bytes, rows: int) -> int:
    out = Path(args.out)
    if args.out == "-":
        sys.stdout.buffer.write(data)
        return 0
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    except OSError as exc:
        return _fail(f"cannot write --out '{out}' ({exc.strerror}); choose a file in a folder you can write to.", 2)
    print(f"Wrote {rows} rows to {args.out}", file=sys.stderr)
    return 0


def _export(args) -> int:
    if args.list_panels:
        return _list_panels()
    if args.build is None:
        return _fail("export needs the build folder DIR: python -m analysis export DIR "
                     f"{'--panel ' + args.panel if args.panel else '--what ' + str(args.what)} --out FILE.csv.", 2)
    if args.out is None:
        return _fail("export needs --out FILE.csv (or --out - for stdout).", 2)
    if args.start and args.end and args.start > args.end:
        return _fail(f"--start {args.start} is after --end {args.end}; swap them or leave one out.", 2)
    try:
        args.chosen_doc_ids = _doc_ids(args)
    except ValueError as exc:
        return _fail(str(exc), 2)
    out = Path(args.out)
    if args.out != "-" and out.is_dir():
        name = args.panel or args.what
        return _fail(f"--out '{out}' is a folder; expected a file name such as {out / (name + '.csv')}.", 2)
    if args.panel is not None:
        return _export_panel(args)
    return _export_what(args)


def _export_what(args) -> int:
    from . import explain as ex
    from . import timeline as tl
    from .compare import compare_two, lead_lag
    from .export import to_csv_bytes
    from .store import BuildError, read_build

    try:
        build = read_build(args.build)
    except BuildError as exc:
        return _fail(str(exc), 2)
    filters = _filters(args)
    docs, mentions = build.documents, build.mentions
    args.kind = args.kind or "theme"
    if args.granularity is None:
        args.granularity = "month"
    elif args.granularity not in GRANULARITIES:  # auto: as the dashboard chooses it
        args.granularity = tl.choose_granularity(docs, mentions, filters)
    events_file = args.events or (Path(args.build) / "events.toml" if (Path(args.build) / "events.toml").is_file()
                                  else None)
    if args.what in ("distinctive", "passages") and not (len(args.key) == 1 and args.start and args.end):
        return _fail(f"--what {args.what} explains one surge: give one --key and its window as --start and --end "
                     "(e.g. the start and end of a row of --what surges).", 2)
    if args.what in ("comparison", "lead-lag") and not (len(args.key) == 1 and args.by and args.pair):
        return _fail(f"--what {args.what} compares two series of one key: give one --key, --by source (or "
                     "language) and --pair A B (two of its values).", 2)
    if args.kind == "cluster":
        mentions = tl.cluster_mentions(docs, build.clusters)
    keys = args.key or None
    try:
        if args.what == "timeline":
            table = tl.timeline(docs, mentions, kind=args.kind, keys=keys, granularity=args.granularity,
                                filters=filters, by=args.by)
        elif args.what == "ranking":
            table = tl.ranking(docs, mentions, kind=args.kind, filters=filters)
        elif args.what == "crosstab":
            table = tl.crosstab(docs, mentions, filters=filters)
        elif args.what == "concordance":
            table = tl.concordance(docs, mentions, kind=args.kind, key=keys[0] if keys else None, filters=filters)
        elif args.what == "surges":
            table = ex.surge_table(docs, mentions, kind=args.kind, keys=keys, granularity=args.granularity,
                                   filters=filters, events_file=events_file)
        elif args.what in ("distinctive", "passages"):
            window = dataclasses.replace(filters, start=None, end=None)
            why = ex.surge_explanation(docs, mentions, kind=args.kind, key=keys[0], start=args.start, end=args.end,
                                       filters=window)
            table = why["words"] if args.what == "distinctive" else why["passages"]
        elif args.what in ("comparison", "lead-lag"):
            table = compare_two(docs, mentions, kind=args.kind, key=keys[0], by=args.by, a=args.pair[0],
                                b=args.pair[1], granularity=args.granularity, filters=filters)
            if args.what == "lead-lag":
                table = lead_lag(table)
        elif args.what == "events":
            table = ex.events_table(events_file, start=args.start, end=args.end)
        elif args.what == "documents":
            table = tl.filter_documents(docs, mentions, filters).drop(columns=["x", "y"], errors="ignore")
        elif args.what == "mentions":
            kept = tl.filter_documents(docs, mentions, filters)["doc_id"]
            table = mentions[mentions["doc_id"].isin(kept)]
            if keys:
                table = table[table["key"].isin(keys)]
        else:
            table = build.clusters
    except ValueError as exc:  # EventsError too
        return _fail(str(exc), 2)
    return _write(args, to_csv_bytes(table), len(table))


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    commands = {"build": _build, "update": _update, "export": _export}
    return commands[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
