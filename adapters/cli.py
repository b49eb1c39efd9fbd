"""The `tally` command: serve, chat, db upgrade, digest and roi (export, import and demo arrive with their issues)."""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import sys
from importlib.metadata import version
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from adapters.config import Settings


def _core(settings: Settings):  # type: ignore[no-untyped-def]
    from adapters.compose import make_core
    from storage.engine import make_engine
    from storage.migrate import upgrade

    engine = make_engine(settings.database_url)
    upgrade(engine)
    return make_core(settings, engine)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.server import run

    # main() turned the collector off before the imports: what they made lives as long as the process, so a
    # collection while importing scans a growing heap and finds nothing (about 0.15 s of a start). Freeze it
    # out of every later collection, then collect as usual.
    gc.freeze()
    gc.enable()
    _few_malloc_arenas()
    run(settings, host=args.host, port=args.port)
    return 0


M_ARENA_MAX = -8  # glibc's mallopt parameter


def _few_malloc_arenas() -> None:
    """glibc gives threads that allocate arenas of their own (up to eight per core) and keeps what they free, so a
    server's resident memory creeps up with its worker threads after Python has let the objects go. Two arenas
    serve one event loop and a few workers; before any thread starts."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to tune
        ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, 2)


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.console import DEFAULT_WORKSPACE, main_console

    return main_console(_core(settings), args.user, args.workspace or DEFAULT_WORKSPACE, args.admin)


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    from storage.engine import make_engine
    from storage.migrate import upgrade

    upgrade(make_engine(settings.database_url))
    print(f"Database is up to date ({settings.database_url.split('@')[-1]}).")
    return 0


def cmd_digest(args: argparse.Namespace, settings: Settings) -> int:
    from adapters import digest_cli

    run = digest_cli.preview if args.digest_command == "preview" else digest_cli.send
    return _on_database("digest", settings, lambda engine: run(settings, engine, args))


def _on_database(name: str, settings: Settings, run) -> int:  # type: ignore[no-untyped-def]
    """The database brought to head, `run(engine)`, and an operator's mistake said in one line, never a traceback."""
    from adapters.digest_cli import CliError
    from storage.engine import make_engine
    from storage.migrate import upgrade

    engine = make_engine(settings.database_url)
    upgrade(engine)
    try:
        return int(run(engine) or 0)
    except CliError as exc:
        print(f"tally {name}: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from adapters import export_cli

    return _on_database("export", settings, lambda engine: export_cli.export(engine, args))


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from adapters import import_cli

    return _on_database("import", settings, lambda engine: import_cli.import_file(engine, args))


def cmd_roi(args: argparse.Namespace, settings: Settings) -> int:
    from adapters import roi_cli

    return _on_database("roi", settings, lambda engine: roi_cli.roi(engine, args))


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from adapters import demo_cli

    return _on_database("demo", settings, lambda engine: demo_cli.demo(settings, engine, args))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tally", description="Tally: count what stops you serving people well.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    parser.add_argument("--version", action="version", version=f"tally {version('tally')}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve Slack, Teams, health and the scheduler over HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=3978)
    serve.set_defaults(func=cmd_serve)

    chat = sub.add_parser("chat", help="type commands in the console, one per line")
    chat.add_argument("--user", default="console-user", help="who is typing (default console-user)")
    chat.add_argument("--workspace", default=None, help="workspace id (default: the console's own)")
    chat.add_argument("--admin", action="store_true", help="act as a workspace admin")
    chat.set_defaults(func=cmd_chat)

    db = sub.add_parser("db", help="database tasks")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply migrations up to the latest").set_defaults(func=cmd_db)

    digest = sub.add_parser("digest", help="a forum's weekly digest: preview it, or post it now")
    digest_sub = digest.add_subparsers(dest="digest_command", required=True)
    for name, what in (("preview", "print the digest (nothing is posted)"), ("send", "post it to the forum's channel")):
        one = digest_sub.add_parser(name, help=what)
        one.add_argument("--forum", default=None, help="the forum's slug (default: the workspace's first forum)")
        one.add_argument("--week", default=None, help="an ISO week such as 2026-W47 (default: last week)")
        one.add_argument("--workspace", default=None, help="Slack team or Teams tenant id (default: the only one)")
        if name == "preview":
            one.add_argument("--json", action="store_true", help="print the digest object as JSON")
            one.add_argument("--chart", default=None, metavar="FILE.png", help="write the chart to this file")
        else:
            one.add_argument("--again", action="store_true", help="post it even if it was posted before")
        one.set_defaults(func=cmd_digest)

    out = sub.add_parser("export", help="problems, ideas and weekly totals as CSV, XLSX or JSON")
    out.add_argument("--format", choices=("csv", "xlsx", "json"), default="csv")
    out.add_argument(
        "--from", dest="start", default=None, metavar="DATE", help="YYYY-MM-DD (default: the first record)"
    )
    out.add_argument("--to", dest="end", default=None, metavar="DATE", help="YYYY-MM-DD (default: today)")
    out.add_argument("--out", default=None, metavar="FILE", help="write here (default: standard output; XLSX needs it)")
    out.add_argument("--workspace", default=None, help="Slack team or Teams tenant id (default: the only one)")
    out.set_defaults(func=cmd_export)

    into = sub.add_parser("import", help="bring in tally charts kept on paper or in spreadsheets (CSV or XLSX)")
    into.add_argument("file", metavar="FILE.csv|FILE.xlsx")
    into.add_argument("--skip-invalid", action="store_true", help="import the good rows, report and skip the rest")
    into.add_argument("--workspace", default=None, help="Slack team or Teams tenant id (default: the only one)")
    into.set_defaults(func=cmd_import)

    roi = sub.add_parser("roi", help="the failure-demand business case: its cost, share and the ideas' return")
    roi.add_argument("--programme-cost", default=None, metavar="N", help="the programme's cost: adds programme ROI")
    roi.add_argument("--json", action="store_true", help="print the figures as JSON (amounts as strings)")
    roi.add_argument("--workspace", default=None, help="Slack team or Teams tenant id (default: the only one)")
    roi.set_defaults(func=cmd_roi)

    sample = sub.add_parser("demo", help="load realistic sample data (20 weeks of problems, ideas, decisions)")
    sample.add_argument("--workspace", default=None, help="a Slack team id to load into (default: the console's)")
    sample.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.func is cmd_serve:
        gc.disable()  # until cmd_serve has imported the server
    from adapters.config import ConfigError, load_settings
    from adapters.logs import configure_logging

    try:
        settings = load_settings()
        configure_logging(args.verbose, settings.secret_values())
        return int(args.func(args, settings) or 0)
    except ConfigError as exc:
        print(f"tally: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
