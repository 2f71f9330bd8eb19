"""The verdict on a study's page: is the best better than the default, or tied?

The default model's fold scores are those ``tunesmith run`` stored when its search
ended (a study without them gets the verdict against the runners-up, saying that no
default was evaluated).

The words and the test are :func:`tunesmith.stats.verdict`'s. The dashboard hands it
the best trials only (the best and its ``TOP`` runners-up by value, with their folds),
so that a study of 100,000 trials costs a read of a few dozen; a tie with a trial
outside them would be a tie with a trial worse than all of them, which the verdict's
"tied with" count therefore leaves out (the page says among how many it looked).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tunesmith.dashboard._watch import Watch

__all__ = ["TOP", "study_verdict"]

#: Runners-up the best is compared with.
TOP = 50


def study_verdict(watch: Watch) -> dict[str, Any] | None:
    """``{"lines", "beats_default", "compared"}``, or None when the study has no
    complete trial with fold scores (an objective that is not cross-validated)."""
    from tunesmith.stats import verdict

    watch.refresh()
    numbers = watch.top(TOP + 1)
    if not numbers:
        return None
    trials = watch.source.trials_by_number(watch.study_id, numbers)
    if not any(t.folds for t in trials):
        return None
    default, scoring = watch.source.default_scores(watch.study_id)
    try:
        found = verdict(trials, watch.direction, default=default, scoring=scoring)
    except ValueError as exc:  # scores the test cannot use: say why
        return {"lines": [str(exc)], "beats_default": None, "compared": len(trials)}
    return {"lines": found.lines(), "beats_default": found.beats_default,
            "compared": len(trials)}

