"""Statistics for cross-validated searches: is the best really better?

``compare_folds`` is Nadeau and Bengio's corrected resampled t-test on paired fold
scores. Pure numpy and scipy over ``tunesmith.records``: every front end (the drop-ins,
the study, the CLI, reports) uses the same tests.
"""

from tunesmith.stats._ttest import FoldComparison, compare_folds, fold_differences

__all__ = ["FoldComparison", "compare_folds", "fold_differences"]
