"""``study.report()`` and ``search.report()``: the front ends' way to a :class:`Report`.

Mixins, so that the study and the drop-ins each gain one thin method and the report's
assembly stays here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from tunesmith.records import Direction, FrozenTrial
from tunesmith.report._report import Report

if TYPE_CHECKING:
    from tunesmith.stats import SimplicityRule

__all__ = ["SearchReportMixin", "StudyReportMixin"]


class _StudyLike(Protocol):
    @property
    def trials(self) -> list[FrozenTrial]: ...

    direction: Direction
    name: str


class StudyReportMixin:
    """Gives :class:`~tunesmith.Study` its ``report()``."""

    def report(self: _StudyLike, *, default: FrozenTrial | Sequence[float] | int | None = None,
               top: int = 10, simplest: SimplicityRule | None = None) -> Report:
        """The study's report: verdict, best parameters, top candidates, importance, plots.

        Shows in a notebook, ``.save("report.html")`` writes one self-contained file,
        ``.save_png(folder)`` the plots as images, ``print()`` the text. ``default`` is
        the default model's trial (or its number, or its fold scores) for the verdict;
        ``simplest`` (e.g. ``{"C": "min"}``: ``"min"``, ``"max"`` or values in order of
        preference per parameter) names the simplest of the candidates tied with the best.

        >>> import tunesmith
        >>> study = tunesmith.Study(space={"x": tunesmith.Float(-2.0, 2.0)}, seed=1,
        ...                         name="parabola")
        >>> study.optimize(lambda t: t.params["x"] ** 2, n_trials=20)
        >>> print(study.report().lines()[0])
        parabola: minimize, 20 trials (20 complete)
        """
        chosen: FrozenTrial | Sequence[float] | None
        if isinstance(default, bool):
            raise TypeError(f"default must be a trial, its number or fold scores, got {default}")
        if not isinstance(default, int):
            chosen = default
        else:
            found = [t for t in self.trials if t.number == default]
            if not found:
                raise ValueError(f"default={default} names no trial of study {self.name!r}; "
                                 "give a trial number, a trial or fold scores")
            chosen = found[0]
        return Report(self.trials, self.direction, title=self.name, default=chosen, top=top,
                      simplest=simplest)


class SearchReportMixin:
    """Gives the scikit-learn drop-ins their ``report()``."""

    def report(self, X: Any = None, y: Any = None, *, top: int = 10, **verdict_params: Any
               ) -> Report:
        """The fitted search's report: verdict, best parameters, top candidates,
        importance, plots (a notebook shows it; ``.save("report.html")``, ``.save_png``).

        With ``X`` and ``y`` (those given to ``fit``) the verdict against the default
        model is computed first (``search.verdict(X, y, **verdict_params)``); without
        them the report shows the verdict of an earlier ``verdict()`` call, or compares
        the candidates with each other only (``simplest=`` works either way: it needs
        only the candidates' fold scores).

        >>> from sklearn.datasets import load_iris
        >>> from sklearn.linear_model import LogisticRegression
        >>> from tunesmith.sklearn import GridSearchCV
        >>> X, y = load_iris(return_X_y=True)
        >>> search = GridSearchCV(LogisticRegression(max_iter=500), {"C": [0.1, 1.0]},
        ...                       cv=3).fit(X, y)
        >>> print(search.report().lines()[0])
        GridSearchCV(LogisticRegression): maximize, 2 trials (2 complete)
        """
        search: Any = self
        study = getattr(search, "study_", None)
        if study is None:
            raise AttributeError(f"call {type(self).__name__}.fit before report()")
        simplest = None
        if X is not None:
            search.verdict(X, y, **verdict_params)
        else:
            simplest = verdict_params.pop("simplest", None)
            if verdict_params:
                raise TypeError(f"{', '.join(verdict_params)}: verdict options need X and y")
        evaluation = getattr(search, "default_", None)
        title = f"{type(self).__name__}({type(search.estimator).__name__})"
        return Report(study.trials, study.direction, title=title,
                      verdict=getattr(search, "verdict_", None),
                      default=None if evaluation is None else list(evaluation.scores),
                      top=top, simplest=simplest)
