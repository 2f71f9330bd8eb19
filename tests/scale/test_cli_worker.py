"""``tunesmith worker``: more processes on a study file's study, through the command line.

Two workers share a native study (its budget counted in storage) and a list-form grid
that runs through the scikit-learn drop-in (the second worker waits for the first
instead of failing) and both give the scores of one `tunesmith run`; a mistake is one
line and exit status 2.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tunesmith.cli import main
from tunesmith.records import Direction, TrialState
from tunesmith.storage import open_storage

HEAD = """
[data]
dataset = "iris"
[estimator]
class = "sklearn.svm.SVC"
"""


def _workers(study: Path, url: str, n: int = 2) -> list[str]:
    cmd = [sys.executable, "-m", "tunesmith.cli", "worker", str(study), "--storage", url,
           "--poll", "0.2"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(n)]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        outputs.append(err + out)
    return outputs


def _trials(url: str, name: str) -> list:
    with open_storage(url) as storage:
        return storage.trials(storage.study_id(name))


@pytest.mark.slow
def test_two_workers_share_a_native_study_and_stop_at_its_budget(tmp_path) -> None:
    study = tmp_path / "native.toml"
    study.write_text(HEAD + """
[space]
C = { low = 0.01, high = 100.0, log = true }
[search]
strategy = "random"
n_trials = 10
cv = 3
seed = 0
""")
    url = f"sqlite:///{tmp_path / 'native.db'}"
    _workers(study, url)
    trials = _trials(url, "native")
    assert [t.number for t in trials] == list(range(10))
    assert all(t.state is TrialState.COMPLETE for t in trials)
    assert len({t.params["C"] for t in trials}) == 10


@pytest.mark.slow
def test_two_workers_share_a_drop_in_grid_and_score_it_as_scikit_learn(tmp_path) -> None:
    study = tmp_path / "grid.toml"
    study.write_text(HEAD + """
[space]
C = [0.1, 1, 10, 100]
gamma = [0.01, 0.1, 1.0]
[search]
strategy = "grid"
cv = 3
""")
    url = f"sqlite:///{tmp_path / 'grid.db'}"
    _workers(study, url)
    trials = _trials(url, "grid")
    assert all(t.state is TrialState.COMPLETE for t in trials)
    assert sorted(t.candidate for t in trials) == list(range(12))
    # The same file run by one `tunesmith run` (scikit-learn's scores: tests/cli).
    alone = f"sqlite:///{tmp_path / 'alone.db'}"
    assert main(["run", str(study), "--storage", alone, "-q"]) == 0
    expected = {t.candidate: t.value for t in _trials(alone, "grid")}
    assert {t.candidate: t.value for t in trials} == expected


@pytest.mark.slow
def test_a_worker_by_name_reads_the_stored_settings_and_finishes_the_study(tmp_path,
                                                                          capsys) -> None:
    study = tmp_path / "named.toml"
    study.write_text(HEAD.replace('"iris"', '"digits"') + """
[space]
C = { low = 0.01, high = 100.0, log = true }
[search]
strategy = "random"
n_trials = 40
cv = 3
seed = 0
""")
    url = f"sqlite:///{tmp_path / 'named.db'}"
    # `tunesmith run` stops early (--timeout), leaving the rest to a worker that knows
    # only the study's name: the settings and the data's fingerprint come from storage.
    assert main(["run", str(study), "--storage", url, "--timeout", "0.5", "-q"]) == 0
    before = len(_trials(url, "named"))
    assert 0 < before < 40
    capsys.readouterr()
    assert main(["worker", "named", "--storage", url, "--poll", "0.2"]) == 0
    assert f"this worker ran {40 - before} trials" in capsys.readouterr().err
    trials = _trials(url, "named")
    assert [t.number for t in trials] == list(range(40))
    assert all(t.state is TrialState.COMPLETE for t in trials)


def test_a_worker_without_storage_or_on_a_foreign_study_is_one_line(tmp_path, capsys,
                                                                    monkeypatch) -> None:
    monkeypatch.delenv("TUNESMITH_STORAGE", raising=False)
    assert main(["worker", "demo"]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: --storage: which storage? a worker joins a study in a shared database: "
        "pass --storage URL")
    url = f"sqlite:///{tmp_path / 'x.db'}"
    with open_storage(url) as storage:
        storage.create_study("plain", direction=Direction.MINIMIZE, attrs={})
    assert main(["worker", "plain", "--storage", url]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: NAME: study 'plain' was not made by `tunesmith run`")
    assert "\n" not in err
