"""``tunesmith worker NAME --storage URL``: one more process (on this host or another)
working on a study that ``tunesmith run`` created in a shared database.

The study's settings come from storage (what ``tunesmith run`` stored beside the study),
or from the study file when NAME is one; the data is loaded here and must be the same
data (the stored fingerprint says so, or the worker refuses). The worker claims trials
atomically, beats for the ones it runs, takes over a dead worker's, and stops when the
study is done. It neither refits nor scores the held-out set: ``tunesmith run`` (or
``tunesmith show``) does that once.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

__all__ = ["add_worker_parser"]


def add_worker_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register the ``worker`` command on the CLI's subparsers."""
    from tunesmith.cli import _n_jobs, _positive_float

    cmd = sub.add_parser(
        "worker", parents=[common], help="work on a shared study until it is done",
        description="Join a study that `tunesmith run` created in a shared database, "
                    "evaluate trials with the others until it is done, then stop. Start "
                    "one per host (or per GPU); the data must be the same everywhere.")
    cmd.add_argument("name", metavar="NAME", help="the study's name, or its study file")
    cmd.add_argument("--n-jobs", type=_n_jobs, default=1, metavar="N",
                     help="processes on this host (default 1)")
    cmd.add_argument("--poll", type=_positive_float, default=2.0, metavar="SECONDS",
                     help="how often a worker with nothing to claim looks for a trial a "
                          "dead worker left (default 2)")
    cmd.set_defaults(handler=_cmd_worker)


def _cmd_worker(args: argparse.Namespace, out: Any, argv: list[str]) -> int:
    from tunesmith.cli import EXIT_OK, _given_storage, _run_storage
    from tunesmith.cli._config import ConfigError, load_settings
    from tunesmith.cli._storage import check_executor, check_url, open_for_run
    from tunesmith.cli._text import redact

    if args.name.endswith(".toml"):
        path = Path(args.name)
        settings = load_settings(path)
        url = check_url(_run_storage(args, settings, path))
        check_executor(settings.search.executor, args.trust_storage)
    else:
        given = _given_storage(args)
        if given is None:
            raise ConfigError("--storage", "which storage? a worker joins a study in a "
                                           "shared database: pass --storage URL")
        url = given
        with open_for_run(url) as store:
            settings = _stored_settings(store, args.name)
    out.info(f"worker on study {settings.name!r} ({redact(url)})")
    ran = run_cli_worker(settings, url, n_jobs=args.n_jobs, poll=args.poll)
    ran_text = "" if ran is None else f"; this worker ran {ran} trials"
    out.info(f"study {settings.name!r} is done{ran_text}")
    return EXIT_OK


def _stored_settings(store: Any, name: str) -> Any:
    """The settings ``tunesmith run`` stored beside the study ``name``."""
    from pydantic import ValidationError

    from tunesmith.cli._config import ConfigError, Settings
    from tunesmith.cli._resume import SETTINGS_ATTR

    study_id = store.study_id(name)  # StudyNotFoundError names the study
    dump = store.study_attrs(study_id).get(SETTINGS_ATTR)
    if not isinstance(dump, dict):
        raise ConfigError("NAME", f"study {name!r} was not made by `tunesmith run`; start "
                                  "it with `tunesmith run STUDY.toml` first, or pass the "
                                  "study file in place of NAME")
    dump = {**dump, "storage": None}  # stored redacted; the worker has its own URL
    try:
        return Settings.model_validate(dump)
    except ValidationError as exc:
        raise ConfigError("NAME", f"the settings stored with study {name!r} are not valid "
                                  f"for this tunesmith ({exc.error_count()} errors); pass "
                                  "the study file in place of NAME") from None


def run_cli_worker(settings: Any, url: str, *, n_jobs: int, poll: float) -> int | None:
    """Work on the study file's study in ``url`` until it is done; the trials this ran
    (None for a drop-in search, whose trials are not counted per process)."""
    from tunesmith.cli._per_trial import PerTrial, trials_run_on
    from tunesmith.cli._resume import fingerprint_of, open_study
    from tunesmith.cli._run import _search_for, _StudySearch, prepare
    from tunesmith.cli._storage import open_for_run
    from tunesmith.study import run_worker

    data, problem = prepare(settings)
    search = _search_for(problem, n_jobs, settings.search.executor,
                         PerTrial.of(settings.search))
    fingerprint = fingerprint_of(settings, data, extendable=isinstance(search, _StudySearch))
    store = open_for_run(url)
    try:
        # Refuses other data or settings than the study was made with.
        open_study(store, settings, fingerprint, search.planned)
        if not isinstance(search, _StudySearch):
            _run_drop_in(search, data, store, settings.name, poll)
            return None
        study, objective = search.open(data, storage=store, name=settings.name)
        try:
            with trials_run_on(search.executor, search.per_trial) as runner:
                return run_worker(study, objective, n_trials=search.planned, poll=poll,
                                  executor=runner)
        finally:
            study.close()
    finally:
        store.close()


def _run_drop_in(search: Any, data: Any, store: Any, name: str, poll: float) -> None:
    """A list-form grid or random search: the scikit-learn drop-in runs here too (its
    trials carry their folds). It claims the candidates nobody has, and refuses to
    finish while another process still evaluates one: then wait for it and go again
    (a dead worker's trial is taken over on the next try)."""
    from tunesmith.exceptions import StudyMismatchError
    from tunesmith.records import TrialState

    while True:
        try:
            search.run(data, storage=store, name=name, show_progress=False)
            return
        except StudyMismatchError:
            running = store.trials(store.study_id(name), states=[TrialState.RUNNING])
            if not running:
                raise
        time.sleep(poll)
