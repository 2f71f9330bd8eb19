"""Statistics for cross-validated searches: is the best really better?

``compare_folds`` is Nadeau and Bengio's corrected resampled t-test on paired fold
scores, ``bayes_compare_folds`` Corani and Benavoli's Bayesian correlated t-test with a
region of practical equivalence; ``verdict`` (from stored trials) and ``assess`` (from
fold scores) compare the best with the default model and the runners-up and return a
``SearchVerdict`` whose ``lines()`` say it in words; ``bootstrap_intervals`` gives
held-out scores their intervals; ``race_round`` is racing's test (folds as blocks, the
residual variance pooled over the candidates alive). Pure numpy and scipy over
``tunesmith.records``: every front end (the drop-ins, the study, the CLI, reports) uses
the same tests.
"""

from tunesmith.stats._bayes import BayesComparison, bayes_compare_folds
from tunesmith.stats._bootstrap import Interval, bootstrap_intervals
from tunesmith.stats._race import RaceRound, race_round
from tunesmith.stats._simplest import SimplicityRule
from tunesmith.stats._ttest import FoldComparison, compare_folds, fold_differences
from tunesmith.stats._verdict import (
    Contender,
    HeldOut,
    SearchVerdict,
    assess,
    fold_scores,
    verdict,
)

__all__ = [
    "BayesComparison",
    "Contender",
    "FoldComparison",
    "HeldOut",
    "Interval",
    "RaceRound",
    "SearchVerdict",
    "SimplicityRule",
    "assess",
    "bayes_compare_folds",
    "bootstrap_intervals",
    "compare_folds",
    "fold_differences",
    "fold_scores",
    "race_round",
    "verdict",
]
