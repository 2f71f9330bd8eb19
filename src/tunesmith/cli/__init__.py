"""The ``tunesmith`` command: run a study file, and look at stored studies.

::

    tunesmith run STUDY.toml             search, refit, score the held-out set, summarise
    tunesmith studies                    the studies in a storage
    tunesmith show NAME                  settings, progress, best, top ten
    tunesmith trials NAME --format csv   every trial (table, csv, json)
    tunesmith best NAME                  the best parameters
    tunesmith delete NAME --yes          remove a study and its trials
    tunesmith worker NAME --storage URL  one more process (any host) on a shared study
    tunesmith report NAME --html FILE    verdict, importance and plots (--png DIR)
    tunesmith dashboard                  a live web dashboard of the studies (read only)

Where studies live: ``--storage URL``, else ``$TUNESMITH_STORAGE``, else the study
file's ``storage`` key, else a SQLite file beside the study file (``quickstart.toml``
-> ``quickstart.db``). The inspect commands also take a study file in place of NAME.
A study file may not send the run to a database server on its own: a remote storage
named in the file needs ``--trust-storage`` (docs/security.md). The inspect commands
open SQLite read-only.

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
from typing import TYPE_CHECKING, Any, NoReturn

# Only the standard library at import time: ``tunesmith --version`` and a usage error
# must not wait for pydantic, pandas or scikit-learn. Commands import what they need.
if TYPE_CHECKING:
    from tunesmith.cli._config import Settings

__all__ = ["main"]

STUDY_FILE_DOCS = "docs/study-file.md"

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
    try:
        # For the whole command, not only its search: a SIGTERM that lands while the
        # results print (the last trial just finished) must not kill it mid-output.
        with _terminate_as_interrupt():
            return _main(argv)
    except KeyboardInterrupt:  # Ctrl-C while starting up, before a command runs
        print("\ninterrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _main(argv: list[str]) -> int:
    stderr = sys.stderr
    try:
        args = _parser().parse_args(argv)
    except _UsageError as exc:
        print(f"error: {_one_line(str(exc))}", file=stderr)
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
            from tunesmith.cli._text import redact

            print(f"\ninterrupted; resume with: tunesmith {redact(shlex.join(argv))}",
                  file=stderr)
        else:
            print("\ninterrupted", file=stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `tunesmith trials x | head`: the reader left; not an error worth a word.
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps interpreter exit quiet
        return EXIT_OK
    except Exception as exc:
        from tunesmith.cli._config import ConfigError

        status, message = _classify(exc)
        where = getattr(args, "study", None) if isinstance(exc, ConfigError) else None
        out.error(f"{where}: {message}" if where else message)
        if status == EXIT_FAILED and args.verbose:
            traceback.print_exc(file=stderr)
        return status


def _classify(exc: Exception) -> tuple[int, str]:
    """Exit status and one-line message for an exception that reached ``main``."""
    from tunesmith.cli._config import ConfigError
    from tunesmith.cli._errors import SearchFailed
    from tunesmith.exceptions import (
        InvalidSpaceError,
        SchemaVersionError,
        StorageError,
        StudyMismatchError,
        StudyNotFoundError,
    )

    one_line = _one_line(str(exc))
    if isinstance(exc, ConfigError | StudyNotFoundError | StudyMismatchError | InvalidSpaceError):
        return EXIT_USAGE, one_line
    if isinstance(exc, SchemaVersionError):
        return EXIT_USAGE, one_line
    if isinstance(exc, SearchFailed | StorageError):
        return EXIT_FAILED, one_line
    return EXIT_FAILED, (f"unexpected {type(exc).__name__}: {one_line} "
                         "(rerun with -v for the traceback)")


def _one_line(text: str) -> str:
    """An error message as one line, passwords hidden, control characters escaped."""
    from tunesmith.cli._text import clean, redact

    return clean(redact(" ".join(text.split())))


# -- commands -------------------------------------------------------------------------


def _cmd_run(args: argparse.Namespace, out: Any, argv: list[str]) -> int:
    from tunesmith.cli._config import load_settings
    from tunesmith.cli._output import print_outcome
    from tunesmith.cli._run import RunOptions, run_study
    from tunesmith.cli._storage import check_executor, check_url
    from tunesmith.cli._text import redact

    path = Path(args.study)
    settings = load_settings(path)
    settings = _with_overrides(settings, args)
    storage = check_url(_run_storage(args, settings, path))
    check_executor(settings.search.executor, args.trust_storage)

    def on_start(name: str, url: str, planned: int | None, done: int, folds: int | None
                 ) -> None:
        total = f"{planned} trials" if planned else "trials"
        if planned and folds:  # the drop-ins' bar counts fits: say how they add up
            total += f" x {folds} folds = {planned * folds} fits"
        where = redact(url)
        if done:
            out.info(f"resuming study {name!r}: {done} of {total} already done ({where})")
        else:
            out.info(f"study {name!r}: {settings.search.strategy.value} search, {total} "
                     f"({where})")

    show_progress = False if (args.quiet or args.no_progress) else None
    options = RunOptions(n_jobs=args.n_jobs, timeout=args.timeout, save_model=args.save_model)
    outcome = run_study(settings, storage=storage, show_progress=show_progress,
                        n_jobs=args.n_jobs, on_start=on_start, options=options)
    show = f"tunesmith show {shlex.quote(str(args.study))}"
    if args.storage:
        show += f" --storage {shlex.quote(args.storage)}"
    if args.trust_storage:
        show += " --trust-storage"
    for note in outcome.notes:
        if note.startswith("warning:"):
            out.warning(note.removeprefix("warning: "))  # even with --quiet
        else:
            out.info(note)
    print_outcome(out, outcome, show_command=redact(show))
    return EXIT_OK


def _with_overrides(settings: Settings, args: argparse.Namespace) -> Settings:
    """The study file's settings with ``--n-trials`` applied."""
    from tunesmith.cli._config import ConfigError, Strategy

    if args.n_trials is None:
        return settings
    if settings.search.strategy is Strategy.GRID:
        raise ConfigError("--n-trials", "a grid search runs every point of its space; "
                                        "--n-trials applies to every other strategy")
    search = settings.search.model_copy(update={"n_trials": args.n_trials})
    return settings.model_copy(update={"search": search})


def _cmd_studies(args: argparse.Namespace, out: Any, argv: list[str]) -> int:
    from tunesmith.cli._inspect import cmd_studies
    from tunesmith.cli._storage import open_for_inspection

    url = _inspect_storage(args, None)
    with open_for_inspection(url) as storage:
        return cmd_studies(storage, out)


def _study_command(name: str) -> Any:
    def handler(args: argparse.Namespace, out: Any, argv: list[str]) -> int:
        from tunesmith.cli import _inspect
        from tunesmith.cli._storage import open_for_inspection, open_for_run

        study, url = _study_and_storage(args)
        # delete writes; every other command only reads, and opens SQLite read-only.
        opener = open_for_run if name == "delete" else open_for_inspection
        if name == "delete":
            open_for_inspection(url).close()  # refuses a file that is not a tunesmith one
        with opener(url) as storage:
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


def _given_storage(args: argparse.Namespace) -> str | None:
    """The storage the person gave (command line, then environment): trusted as is."""
    from tunesmith.cli._config import normalize_storage
    from tunesmith.cli._storage import check_url

    # An empty environment variable is an unset one; an empty --storage is a mistake.
    given = args.storage if args.storage is not None else os.environ.get(ENV_STORAGE) or None
    if given is None:
        return None
    key = "--storage" if args.storage is not None else ENV_STORAGE
    return check_url(normalize_storage(given, Path.cwd()) if given.strip() else given, key)


def _file_storage(args: argparse.Namespace, settings: Settings, path: Path) -> str:
    """The storage a study file names (or the default beside it): remote needs trust."""
    from tunesmith.cli._config import ConfigError
    from tunesmith.cli._storage import check_url, is_foreign_sqlite, is_remote, sqlite_path
    from tunesmith.cli._text import redact

    if settings.storage is None:
        return f"sqlite:///{path.resolve().with_suffix('.db')}"
    check_url(settings.storage)  # what cannot work at all is said first
    if is_foreign_sqlite(settings.storage):
        # A file from elsewhere must not add tables to (and switch the journal of) another
        # application's database; the person may, on the command line.
        raise ConfigError(
            "storage", f"{sqlite_path(settings.storage)} is another application's SQLite "
                       "database (it has no tunesmith tables); name a new file, or pass it "
                       "with --storage if tunesmith's tables should go there")
    if is_remote(settings.storage) and not args.trust_storage:
        raise ConfigError(
            "storage", f"the study file names the database server {redact(settings.storage)!r}; "
                       "a study file may not send your database password to a server on its "
                       "own: pass --trust-storage if you trust this file, or --storage URL")
    return settings.storage


def _run_storage(args: argparse.Namespace, settings: Settings, path: Path) -> str:
    return _given_storage(args) or _file_storage(args, settings, path)


def _inspect_storage(args: argparse.Namespace, study_file: Path | None) -> str:
    from tunesmith.cli._config import ConfigError, load_settings

    given = _given_storage(args)
    if given:
        return given
    if study_file is not None:
        return _file_storage(args, load_settings(study_file), study_file)
    raise ConfigError(
        "", f"which storage? pass --storage URL (e.g. sqlite:///study.db) or set {ENV_STORAGE}"
        ", or name a study file instead of a study"
    )


def _study_and_storage(args: argparse.Namespace) -> tuple[str, str]:
    """NAME may be a study's name, or a study file standing for its name and storage."""
    from tunesmith.cli._config import ConfigError, load_settings

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


def _n_jobs(text: str) -> int:
    value = _integer(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must not be 0: use 1 for one process, -1 for every "
                                         "core")
    return value


def _positive_int(text: str) -> int:
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return value


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None


def _parser() -> _Parser:
    from tunesmith import __version__  # the package is imported already: free

    common = _Parser(add_help=False)
    common.add_argument("--storage", metavar="URL",
                        help=f"database URL or SQLite file (default: ${ENV_STORAGE}, "
                             "else the study file's storage, else FILE.db beside it)")
    common.add_argument("--trust-storage", action="store_true",
                        help="let the study file name a database server (its storage key); "
                             "without it only SQLite files are taken from a study file")
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
                                     "Running it again resumes an interrupted search.",
                         epilog=f"The study-file format, key by key: {STUDY_FILE_DOCS} "
                                "(in the tunesmith repository); examples: examples/*.toml. "
                                "What a study file may do: docs/security.md.")
    run.add_argument("study", metavar="STUDY.toml", help="the study file")
    run.add_argument("--n-jobs", type=_n_jobs, default=None, metavar="N",
                     help="processes (overrides search.n_jobs; results do not change)")
    run.add_argument("--n-trials", type=_positive_int, default=None, metavar="N",
                     help="trials in all (overrides search.n_trials; not for a grid)")
    run.add_argument("--timeout", type=_positive_float, default=None, metavar="SECONDS",
                     help="start no trial after SECONDS; the best so far is refit and "
                          "summarised, and the same command continues the study")
    run.add_argument("--save-model", type=Path, default=None, metavar="PATH",
                     help="save the refit model (skops if installed, else joblib: "
                          "loading a joblib file runs code, so load only your own)")
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

    from tunesmith.cli._dashboard_cmd import add_dashboard_parser

    add_dashboard_parser(sub, common)

    from tunesmith.cli._worker_cmd import add_worker_parser

    add_worker_parser(sub, common)

    from tunesmith.cli._report_cmd import add_report_parser

    add_report_parser(sub, common)
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
