"""The engine: one run loop for every front end, and how an objective runs in it.

* :class:`Engine` asks a study for trials, runs each trial's tasks on an executor and
  tells the study as each trial's last task lands.
* :class:`TrialWork` is what a front end says a trial takes (tasks, and how their
  results combine); :class:`Verdict` is how a trial ended.
* :class:`StudyHistory` is a study's trials kept current incrementally.
* :class:`ChannelServer` / :class:`PruneChannel`: how a trial in a worker process
  reports and asks the study's pruner as it runs.
"""

from __future__ import annotations

from tunesmith.engine._channel import ChannelServer, PruneChannel
from tunesmith.engine._history import StudyHistory
from tunesmith.engine._loop import Engine, Plan, TrialWork, Verdict
from tunesmith.engine._objective import Detached, objective_work, outcome_of, run_objective

__all__ = [
    "ChannelServer",
    "Detached",
    "Engine",
    "Plan",
    "PruneChannel",
    "StudyHistory",
    "TrialWork",
    "Verdict",
    "objective_work",
    "outcome_of",
    "run_objective",
]
