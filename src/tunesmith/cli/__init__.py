"""The ``tunesmith`` command: run a study file, and look at stored studies.

::

    tunesmith run STUDY.toml             search, refit, score the held-out set, summarise
    tunesmith studies                    the studies in a storage
    tunesmith show NAME                  settings, progress, best, top ten
    tunesmith trials NAME --format csv   every trial (table, csv, json)
    tunesmith best NAME                  the best parameters
    tunesmith delete NAME --yes          remove a study and its trials

Where studies live: ``--storage URL``, else ``$TUNESMITH_STORAGE``, else the study
file's ``storage`` key, else a SQLite file beside the study file (``quickstart.toml``
-> ``quickstart.db``). The inspect commands also take a study file in place of NAME.

Exit status: 0 done, 1 the search or storage failed, 2 a mistake in the input (study
file, data, arguments: one line on stderr, never a traceback), 130 interrupted (every
finished trial is saved; the same command resumes).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shlex
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

from tunesmith.cli._config import ConfigError, Settings, load_settings, normalize_storage

__all__ = ["main"]

ENV_STORAGE = "TUNESMITH_STORAGE"
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class _UsageError(Exception):
    """A command-line mistake; argparse would otherwise print usage and exit."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{message} (see: {self.prog} --help)")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``tunesmith`` command with ``argv`` (default: ``sys.argv[1:]``).

    Returns the exit status instead of exiting, so tests and scripts can call it.

    >>> main(["--version"])  # doctest: +ELLIPSIS
    tunesmith ...
    0
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    stderr = sys.stderr
    try:
        args = _parser().parse_args(argv)
    except _UsageError as exc:
        print(f"error: {exc}", file=stderr)
        return EXIT_USAGE
    except SystemExit as exc:  # --help, --version
        return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_USAGE
    if args.command is None:
        _parser().print_help(stderr)
        return EXIT_USAGE

    from tunesmith.cli._output import Output

    out = Output(fmt=getattr(args, "format", "table"), quiet=args.quiet)
    try:
        with _logging(verbose=args.verbose, quiet=args.quiet), _warnings(args.verbose):
            return int(args.handler(args, out, argv))
    except KeyboardInterrupt:
        if args.command == "run":
            print(f"\ninterrupted; resume with: tunesmith {shlex.join(argv)}", file=stderr)
        else:
            print("\ninterrupted", file=stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `tunesmith trials x | head`: the reader left; not an error worth a word.
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps interpreter exit quiet
        return EXIT_OK
    except Exception as exc:
        status, message = _classify(exc)
        where = getattr(args, "study", None) if isinstance(exc, ConfigError) else None
        out.error(f"{where}: {message}" if where else message)
        if status == EXIT_FAILED and args.verbose:
            traceback.print_exc(file=stderr)
        return status


def _classify(exc: Exception) -> tuple[int, str]:
    """Exit status and one-line message for an exception that reached ``main``."""
    from tunesmith.cli._errors import SearchFailed
    from tunesmith.exceptions import (
        InvalidSpaceError,
        SchemaVersionError,
        StorageError,
        StudyMismatchError,
        StudyNotFoundError,
    )

    one_line = " ".join(str(exc).split())
    if isinstance(exc, ConfigError | StudyNotFoundError | StudyMismatchError | InvalidSpaceError):
        return EXIT_USAGE, one_line
    if isinstance(exc, SchemaVersionError):
        return EXIT_USAGE, one_line
    if isinstance(exc, SearchFailed | StorageError):
        return EXIT_FAILED, one_line
    return EXIT_FAILED, (f"unexpected {type(exc).__name__}: {one_line} "
                         "(rerun with -v for the traceback)")


# -- commands -------------------------------------------------------------------------


def _cmd_run(args: argparse.Namespace, out: Any, argv: list[str]) -> int:
    from tunesmith.cli._output import print_outcome
    from tunesmith.cli._run import run_study

    path = Path(args.study)
    settings = load_settings(path)
    storage = _run_storage(args, settings, path)

    def on_start(name: str, url: str, planned: int | None, done: int) -> None:
        total = f"{planned} trials" if planned else "trials"
        if done:
            out.info(f"resuming study {name!r}: {done} of {total} already done ({url})")
        else:
            out.info(f"study {name!r}: {settings.search.strategy.value} search, {total} ({url})")

    show_progress = False if (args.quiet or args.no_progress) else None
    with _terminate_as_interrupt():
        outcome = run_study(settings, storage=storage, show_progress=show_progress,
                            n_jobs=args.n_jobs, on_start=on_start)
    show = f"tunesmith show {shlex.quote(str(args.study))}"
    if args.storage:
        show += f" --storage {shlex.quote(args.storage)}"
    print_outcome(out, outcome, show_command=show)
    return EXIT_OK


def _cmd_studies(args: argparse.Namespace, out: Any, argv: list[str]) -> int:
    from tunesmith.cli._inspect import cmd_studies, open_existing

    url = _inspect_storage(args, None)
    with open_existing(url) as storage:
        return cmd_studies(storage, out)


def _study_command(name: str) -> Any:
    def handler(args: argparse.Namespace, out: Any, argv: list[str]) -> int:
        from tunesmith.cli import _inspect

        study, url = _study_and_storage(args)
        with _inspect.open_existing(url) as storage:
            if name == "show":
                return _inspect.cmd_show(storage, study, url, out)
            if name == "trials":
                return _inspect.cmd_trials(storage, study, url, out, args.state)
            if name == "best":
                return _inspect.cmd_best(storage, study, url, out)
            return _inspect.cmd_delete(storage, study, url, out, yes=args.yes,
                                       interactive=sys.stdin.isatty())

    return handler


# -- where the studies are ------------------------------------------------------------


def _run_storage(args: argparse.Namespace, settings: Settings, path: Path) -> str:
    from tunesmith.cli._run import default_storage

    given = args.storage or os.environ.get(ENV_STORAGE)
    if given:
        return normalize_storage(given, Path.cwd())
    return settings.storage or default_storage(path)


def _inspect_storage(args: argparse.Namespace, study_file: Path | None) -> str:
    given = args.storage or os.environ.get(ENV_STORAGE)
    if given:
        return normalize_storage(given, Path.cwd())
    if study_file is not None:
        from tunesmith.cli._run import default_storage

        settings = load_settings(study_file)
        return settings.storage or default_storage(study_file)
    raise ConfigError(
        "", f"which storage? pass --storage URL (e.g. sqlite:///study.db) or set {ENV_STORAGE}"
        ", or name a study file instead of a study"
    )


def _study_and_storage(args: argparse.Namespace) -> tuple[str, str]:
    """NAME may be a study's name, or a study file standing for its name and storage."""
    name = args.name
    if name.endswith(".toml"):
        path = Path(name)
        try:
            settings = load_settings(path)
        except ConfigError as exc:
            raise ConfigError("", f"{name}: {exc}") from None
        url = _inspect_storage(args, path)
        return settings.name, url
    return name, _inspect_storage(args, None)


# -- the parser -----------------------------------------------------------------------


def _parser() -> _Parser:
    from tunesmith import __version__

    common = _Parser(add_help=False)
    common.add_argument("--storage", metavar="URL",
                        help=f"database URL or SQLite file (default: ${ENV_STORAGE}, "
                             "else the study file's storage, else FILE.db beside it)")
    common.add_argument("-q", "--quiet", action="store_true",
                        help="no progress bar and no notes; run prints one result line")
    common.add_argument("-v", "--verbose", action="store_true",
                        help="show library warnings, log messages and tracebacks")

    parser = _Parser(prog="tunesmith", description=__doc__.split("\n\n")[0],
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"tunesmith {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", parents=[common], help="run (or resume) a study file",
                         description="Load the data, search, refit on the training set, "
                                     "score the held-out set and print a summary. "
                                     "Running it again resumes an interrupted search.")
    run.add_argument("study", metavar="STUDY.toml", help="the study file")
    run.add_argument("--n-jobs", type=int, default=None, metavar="N",
                     help="processes (overrides search.n_jobs; results do not change)")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.add_argument("--format", choices=("table", "json"), default="table",
                     help="summary format (json: one object on stdout)")
    run.set_defaults(handler=_cmd_run)

    studies = sub.add_parser("studies", parents=[common], help="list the stored studies")
    studies.add_argument("--format", choices=("table", "csv", "json"), default="table")
    studies.set_defaults(handler=_cmd_studies)

    for name, text, formats in (
        ("show", "settings, progress, best and top ten of a study", ("table", "json")),
        ("trials", "every trial of a study", ("table", "csv", "json")),
        ("best", "the best trial of a study", ("table", "csv", "json")),
        ("delete", "delete a study and its trials", None),
    ):
        cmd = sub.add_parser(name, parents=[common], help=text, description=text)
        cmd.add_argument("name", metavar="NAME", help="the study's name, or its study file")
        if formats:
            cmd.add_argument("--format", choices=formats, default="table")
        if name == "trials":
            cmd.add_argument("--state", action="append", metavar="STATE",
                             choices=("running", "complete", "failed", "pruned", "skipped"),
                             help="only trials in this state (repeatable)")
        if name == "delete":
            cmd.add_argument("-y", "--yes", action="store_true", help="do not ask")
        cmd.set_defaults(handler=_study_command(name))
    return parser


# -- process-wide settings, restored on return ----------------------------------------


@contextlib.contextmanager
def _logging(*, verbose: bool, quiet: bool) -> Iterator[None]:
    """The CLI, not the library, installs log handlers (and removes them again)."""
    root = logging.getLogger("tunesmith")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("tunesmith: %(message)s"))
    level = logging.INFO if verbose else logging.ERROR if quiet else logging.WARNING
    # Failed trials are summarised at the end; one warning each would bury the bar.
    study_logger = logging.getLogger("tunesmith.study")
    saved = (root.level, study_logger.level)
    root.addHandler(handler)
    root.setLevel(level)
    if not verbose:
        study_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(saved[0])
        study_logger.setLevel(saved[1])


@contextlib.contextmanager
def _warnings(verbose: bool) -> Iterator[None]:
    """Without -v, silence library warnings (convergence, failed fits): the summary
    counts failures, and hundreds of repeated warnings would hide the progress bar."""
    with warnings.catch_warnings():
        if not verbose:
            warnings.simplefilter("ignore")
            # Worker processes started by joblib read this; restore it afterwards.
            saved = os.environ.get("PYTHONWARNINGS")
            os.environ["PYTHONWARNINGS"] = "ignore"
        try:
            yield
        finally:
            if not verbose:
                if saved is None:
                    os.environ.pop("PYTHONWARNINGS", None)
                else:
                    os.environ["PYTHONWARNINGS"] = saved


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (a scheduler stopping the job) stops as cleanly as Ctrl-C does."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
