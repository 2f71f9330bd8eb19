"""The report: text, one self-contained HTML page, PNGs, and the front ends' report()."""

from __future__ import annotations

import re
import sys

import pytest

from tunesmith.records import FrozenTrial, TrialState
from tunesmith.report import Report

HOSTILE = '</script><script>alert("x")</script><b>bold</b>'


def test_the_text_says_counts_best_verdict_and_importance(mixed_trials) -> None:
    report = Report(mixed_trials, "maximize", title="svc")
    lines = report.lines()
    best = max((t for t in mixed_trials if t.state is TrialState.COMPLETE),
               key=lambda t: t.value)
    assert lines[0] == "svc: maximize, 40 trials (31 complete, 4 failed, 4 pruned, 1 skipped)"
    assert lines[1] == f"best: trial {best.number}, value {best.value:.6g}"
    assert f"  kernel = {best.params['kernel']}" in lines
    # The fold scores give tunesmith.stats' verdict (no default given: it says so).
    assert any(line.startswith("tied with the best") for line in lines)
    assert any("no default" in line for line in lines)
    assert lines[-1].startswith("importance: C ")
    assert str(report) == "\n".join(lines)
    assert repr(report) == ("<Report 'svc': maximize, 40 trials (31 complete, 4 failed, "
                            "4 pruned, 1 skipped)>")


def test_a_given_verdict_is_shown_as_is(mixed_trials) -> None:
    class Verdict:
        def lines(self) -> list[str]:
            return ["better than default: yes"]

    assert Report(mixed_trials, "maximize", verdict=Verdict()).verdict_lines() == [
        "better than default: yes"]
    assert Report(mixed_trials, "maximize", verdict=["a", "b"]).verdict_lines() == ["a", "b"]


def test_the_top_table_ranks_by_value_with_the_fold_spread(mixed_trials) -> None:
    header, rows = Report(mixed_trials, "maximize", top=3).top_rows()
    ranked = sorted((t for t in mixed_trials if t.state is TrialState.COMPLETE),
                    key=lambda t: -t.value)[:3]
    assert header[:4] == ["rank", "trial", "value", "fold std"]
    assert set(header[4:]) == {name for t in ranked for name in t.params}
    assert [r[:2] for r in rows] == [[str(k), str(t.number)] for k, t in enumerate(ranked, 1)]
    for row, trial in zip(rows, ranked, strict=True):
        scores = [f.test_scores["score"] for f in trial.folds]
        mean = sum(scores) / len(scores)
        std = (sum((s - mean) ** 2 for s in scores) / (len(scores) - 1)) ** 0.5
        assert float(row[3]) == pytest.approx(std, rel=1e-5)


def test_a_study_without_complete_trials_still_reports(tmp_path) -> None:
    trials = [FrozenTrial(number=0, state=TrialState.FAILED, params={"x": 1}, message="no")]
    report = Report(trials, "minimize", title="empty")
    assert report.lines()[1] == "no complete trial yet"
    pytest.importorskip("plotly")
    html = report.save(tmp_path / "r.html").read_text(encoding="utf-8")
    assert "no complete trial yet: nothing to plot" in html


def test_the_html_is_one_self_contained_page_with_every_plot(mixed_trials, tmp_path) -> None:
    pytest.importorskip("plotly")
    path = Report(mixed_trials, "maximize", title="svc",
                  default=[0.1, 0.2, 0.1, 0.2, 0.1]).save(tmp_path / "report.html")
    html = path.read_text(encoding="utf-8")
    for name in ("history", "importance", "parallel", "slices", "contour", "fold_spread"):
        assert f'data-plot="{name}"' in html
    # plotly's JavaScript is inside, nothing is fetched: no script or link by URL, and a
    # policy that forbids every request.
    assert "Plotly.newPlot" in html and len(html) > 3_000_000
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=", html)
    assert "default-src 'none'" in html
    assert "Top 10 candidates" in html and "Best parameters" in html


def test_stored_strings_are_escaped(make_complete, tmp_path) -> None:
    pytest.importorskip("plotly")
    trials = [make_complete(n, float(n), {HOSTILE: HOSTILE if n % 2 else "b", "x": float(n)},
                            folds=[0.1 * n, 0.2])
              for n in range(6)]
    html = Report(trials, "minimize", title=HOSTILE).html()
    assert HOSTILE not in html
    assert "&lt;/script&gt;&lt;script&gt;alert(&quot;x&quot;)" in html
    assert "<b>bold</b>" not in html


@pytest.mark.slow  # renders every plot
def test_save_png_writes_each_plot(mixed_trials, tmp_path) -> None:
    pytest.importorskip("matplotlib")
    written = Report(mixed_trials, "maximize").save_png(tmp_path / "png")
    assert [p.name for p in written] == ["history.png", "importance.png", "parallel.png",
                                        "slices.png", "contour.png", "fold_spread.png"]
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in written)
    with pytest.raises(NotADirectoryError, match="is a file"):
        Report(mixed_trials, "maximize").save_png(written[0])
    with pytest.raises(IsADirectoryError, match="give a file name such as"):
        Report(mixed_trials, "maximize").save(tmp_path)


def test_plots_that_cannot_be_drawn_say_why(make_complete, tmp_path) -> None:
    pytest.importorskip("plotly")
    # One parameter, no folds, three trials: no contour, no fold spread, no importance.
    trials = [make_complete(n, float(n), {"x": float(n)}) for n in range(3)]
    html = Report(trials, "minimize").html()
    assert 'data-plot="history"' in html and 'data-plot="slices"' in html
    assert "Not drawn: a contour needs two parameters that vary" in html
    assert "Not drawn: the fold spread needs trials with per-fold scores" in html
    assert "Not drawn: importance needs at least 4 complete trials" in html


def test_without_the_plots_extra_the_text_works_and_plots_name_the_extra(
        mixed_trials, monkeypatch, tmp_path) -> None:
    for module in ("plotly", "plotly.graph_objects", "plotly.offline", "plotly.subplots",
                   "matplotlib", "matplotlib.figure"):
        monkeypatch.setitem(sys.modules, module, None)
    report = Report(mixed_trials, "maximize")
    assert report.lines()[0].startswith("Search report: maximize")
    assert 'pip install "tunesmith[plots]"' in report._repr_html_().replace("&quot;", '"')
    with pytest.raises(ImportError, match=r'needs plotly, which is not installed: pip install '
                                          r'"tunesmith\[plots\]"'):
        report.save(tmp_path / "r.html")
    with pytest.raises(ImportError, match=r"needs matplotlib.*tunesmith\[plots\]"):
        report.save_png(tmp_path / "png")
    from tunesmith.report import history_figure

    with pytest.raises(ImportError, match="the history plot needs plotly"):
        history_figure(mixed_trials, "maximize")


def test_notebook_html_holds_the_plots(mixed_trials) -> None:
    pytest.importorskip("plotly")
    html = Report(mixed_trials, "maximize")._repr_html_()
    assert html.startswith('<div class="tunesmith-report">')
    assert html.count('class="plot"') == 6


def test_bad_top_is_named(mixed_trials) -> None:
    with pytest.raises(ValueError, match="top must be a positive integer, got 0"):
        Report(mixed_trials, "maximize", top=0)


def test_study_report(tmp_path) -> None:
    import tunesmith

    study = tunesmith.Study(space={"x": tunesmith.Float(-2.0, 2.0),
                                   "k": tunesmith.Categorical(["a", "b"])},
                            seed=0, name="quad")
    study.optimize(lambda t: t.params["x"] ** 2 + (t.params["k"] == "b"), n_trials=30)
    report = study.report()
    assert report.lines()[0] == "quad: minimize, 30 trials (30 complete)"
    assert report.best is not None and report.best.number == study.best_trial.number
    assert report.importance is not None and report.importance["x"] > report.importance["k"]
    with pytest.raises(ValueError, match="default=99 names no trial of study 'quad'"):
        study.report(default=99)


@pytest.mark.slow
def test_search_report_shows_the_verdict_against_the_default(tmp_path) -> None:
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    from tunesmith.sklearn import GridSearchCV

    X, y = load_iris(return_X_y=True)
    search = GridSearchCV(LogisticRegression(max_iter=300), {"C": [0.01, 0.1, 1.0]}, cv=3)
    with pytest.raises(AttributeError, match=r"call GridSearchCV\.fit before report\(\)"):
        search.report()
    search.fit(X, y)
    plain = search.report()
    assert plain.lines()[0] == "GridSearchCV(LogisticRegression): maximize, 3 trials " \
                               "(3 complete)"
    report = search.report(X, y)
    assert report.verdict_lines() == search.verdict_.lines()
    # simplest= needs only the candidates' folds: it joins the earlier verdict's lines.
    simple = search.report(simplest={"C": "min"}).verdict_lines()
    assert [x for x in simple if not x.startswith("simplest")] == search.verdict_.lines()
    assert search.verdict(X, y, simplest={"C": "min"}).lines() == simple
    with pytest.raises(TypeError, match="confidence: verdict options need X and y"):
        search.report(confidence=0.9)
    assert any(line.startswith("better than default") for line in report.lines())
    pytest.importorskip("plotly")
    spread = report.figures()["fold_spread"]
    assert spread.data[-1].name == "default"
    assert list(spread.data[-1].y) == list(search.default_.scores)


def test_bad_trials_and_direction_are_named() -> None:
    with pytest.raises(TypeError, match="trials must be a sequence of FrozenTrial, got str"):
        Report("abc", "minimize")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="direction must be 'minimize' or 'maximize', got 'up'"):
        Report([], "up")


def _tied_by_hand(folds: dict[int, list[float]], best: int, rho: float) -> list[int]:
    """The trials whose corrected t interval of best - other (Nadeau and Bengio, written
    out) reaches zero or below: those not significantly worse than ``best``."""
    import math

    from scipy import stats as sps

    tied = []
    for number, scores in folds.items():
        if number == best:
            continue
        d = [a - b for a, b in zip(folds[best], scores, strict=True)]
        n, mean = len(d), sum(d) / len(d)
        se = math.sqrt((1 / n + rho) * sum((x - mean) ** 2 for x in d) / (n - 1))
        if mean - sps.t.ppf(0.975, n - 1) * se <= 0:
            tied.append(number)
    return tied


def test_simplest_names_the_simplest_of_the_tied(mixed_trials) -> None:
    done = {t.number: t for t in mixed_trials if t.state is TrialState.COMPLETE}
    best = max(done.values(), key=lambda t: t.value)
    folds = {n: [f.test_scores["score"] for f in t.folds] for n, t in done.items()}
    tied = [done[n] for n in _tied_by_hand(folds, best.number, rho=1 / 4)]  # five folds
    assert tied  # the rule has a real choice to make
    for order, pick in (("min", min), ("max", max)):
        expected = pick([best, *tied], key=lambda t: t.params["C"])
        lines = Report(mixed_trials, "maximize", simplest={"C": order}).verdict_lines()
        [line] = [x for x in lines if x.startswith("simplest of the tied")]
        if expected is best:
            assert line == f"simplest of the tied (C: {order}): the best itself"
        else:
            assert line.startswith(f"simplest of the tied (C: {order}): trial "
                                   f"{expected.number}, C={expected.params['C']:.6g} ")


def test_simplest_joins_a_given_verdict_before_its_held_out_lines(mixed_trials) -> None:
    stored = ["better than default (mean 0.5): no", "tied with the best: 3 other candidates",
              "held-out accuracy on 10 rows (95% bootstrap): tuned 0.9 [0.8, 1.0]",
              "(corrected resampled t-test over 5 folds, test/train = 0.25, 95% intervals)"]
    lines = Report(mixed_trials, "maximize", verdict=stored,
                   simplest={"kernel": ["linear", "poly", "rbf"]}).verdict_lines()
    assert lines[:2] == stored[:2] and lines[3:] == stored[2:]
    assert lines[2].startswith("simplest of the tied (kernel: ['linear', 'poly', 'rbf']): ")
    # A verdict that already names the simplest is left as it is.
    named = [*stored[:2], "simplest of the tied (C: min): the best itself"]
    assert Report(mixed_trials, "maximize", verdict=named,
                  simplest={"C": "min"}).verdict_lines() == named


def test_a_bad_simplicity_rule_is_named(mixed_trials) -> None:
    with pytest.raises(ValueError, match="simplest names 'alpha', which no candidate has; "
                                         "the parameters are: C, gamma, kernel"):
        Report(mixed_trials, "maximize", simplest={"alpha": "min"})
    with pytest.raises(ValueError, match="got 'least' for 'C'"):
        Report(mixed_trials, "maximize", simplest={"C": "least"})


def test_study_report_simplest(tmp_path) -> None:
    import numpy as np

    import tunesmith

    noise = np.random.default_rng(0).normal(0, 0.02, (40, 5))

    def objective(trial: tunesmith.Trial) -> float:
        # A flat optimum at a = 2: many candidates tie with the best.
        folds = 0.8 - 0.01 * (trial.params["a"] - 2.0) ** 2 + noise[trial.number]
        trial.set_attr("test_scores", folds.tolist())  # a cross-validated objective's folds
        return float(folds.mean())

    study = tunesmith.Study(space={"a": tunesmith.Float(0.0, 4.0)}, direction="maximize",
                            seed=1, name="flat")
    study.optimize(objective, n_trials=40)
    folds = {t.number: t.attrs["test_scores"] for t in study.trials}
    best = study.best_trial
    tied = _tied_by_hand(folds, best.number, rho=1 / 4)
    assert len(tied) >= 3
    simplest = min([best.number, *tied], key=lambda n: study.trials[n].params["a"])
    assert simplest != best.number
    lines = study.report(simplest={"a": "min"}).verdict_lines()
    assert f"tied with the best: {len(tied)} other candidates (of 39; not significantly " \
           "worse)" in lines
    [line] = [x for x in lines if x.startswith("simplest of the tied (a: min): ")]
    assert line.startswith(f"simplest of the tied (a: min): trial {simplest}, "
                           f"a={study.trials[simplest].params['a']:.6g}, mean ")
