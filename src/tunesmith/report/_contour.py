"""The two-parameter contour's data: which two parameters, and the value over their plane."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tunesmith.records import Direction, FrozenTrial
from tunesmith.report._data import Column, columns, complete_trials, values_of
from tunesmith.report._importance import parameter_importance

__all__ = ["ContourData", "contour_data", "pick_params"]

#: The trials form a grid when the grid of their distinct values on each axis has at
#: most this many times as many cells as there are distinct tried pairs.
GRID_FILL = 4
_RESOLUTION = 64
#: Interpolation uses at most this many trials (a seeded subset): the picture is the same.
_MAX_POINTS = 2000


@dataclass(frozen=True)
class ContourData:
    """The value over two parameters' plane, in their encoded units (``Column.values``).

    ``z[j, i]`` is the value at ``(grid_x[i], grid_y[j])``: on a grid of tried values
    the best value of the trials there (the other parameters at their best), else a
    linear interpolation between the trials (at most 2,000 of them, a seeded subset);
    NaN where nothing is known. ``points_*``
    are the trials with both parameters active.
    """

    x: Column
    y: Column
    grid_x: np.ndarray
    grid_y: np.ndarray
    z: np.ndarray
    points_x: np.ndarray
    points_y: np.ndarray
    points_value: np.ndarray
    interpolated: bool

    @property
    def title(self) -> str:
        kind = "interpolated" if self.interpolated else "best per cell"
        return f"{self.x.name} and {self.y.name} ({kind})"


def pick_params(cols: list[Column], trials: Sequence[FrozenTrial], direction: Direction,
                x: str | None, y: str | None) -> tuple[Column, Column]:
    """The columns named, or else the most important varying ones."""
    by_name = {c.name: c for c in cols}
    for given in (x, y):
        if given is not None and given not in by_name:
            known = ", ".join(repr(n) for n in by_name) or "none"
            raise ValueError(f"unknown parameter {given!r}; the trials' parameters: {known}")
    if x is not None and x == y:
        raise ValueError(f"x and y must be two different parameters, got {x!r} twice")
    varying = [c.name for c in cols if not c.is_constant]
    wanted = [n for n in (x, y) if n is not None]
    others = [n for n in varying if n not in wanted]
    if len(wanted) + len(others) < 2:
        raise ValueError(
            "a contour needs two parameters that vary across the complete trials, got "
            f"{len(varying)} ({', '.join(varying) or 'none'})")
    if len(wanted) + len(others) > 2 and len(wanted) < 2:
        try:
            importance = parameter_importance(trials, direction, pairs=False)
            others.sort(key=lambda n: -importance.get(n, 0.0))
        except ValueError:
            pass  # too few trials to rank: keep the parameters' order
    chosen = (wanted + others)[:2]
    if x is None and y is not None:
        chosen.reverse()
    return by_name[chosen[0]], by_name[chosen[1]]


def contour_data(trials: Sequence[FrozenTrial], direction: Direction | str,
                 x: str | None = None, y: str | None = None) -> ContourData:
    """The plane of ``x`` and ``y`` (default: the two most important parameters)."""
    direction = Direction.parse(direction)
    done = complete_trials(trials)
    cols = columns(done)
    cx, cy = pick_params(cols, done, direction, x, y)
    both = cx.active & cy.active
    px, py = cx.values[both], cy.values[both]
    pv = values_of(done)[both]
    if not len(pv):
        raise ValueError(f"no complete trial has both {cx.name!r} and {cy.name!r} (one is "
                         "conditional on a value of the other?); pick another pair")
    ux, uy = np.unique(px), np.unique(py)
    pairs = len({(a, b) for a, b in zip(px.tolist(), py.tolist(), strict=True)})
    if len(ux) * len(uy) <= GRID_FILL * pairs or len(pv) < 3:
        z = np.full((len(uy), len(ux)), np.nan)
        ix, iy = np.searchsorted(ux, px), np.searchsorted(uy, py)
        better = np.fmin if direction is Direction.MINIMIZE else np.fmax
        for i, j, v in zip(ix, iy, pv, strict=True):
            z[j, i] = better(z[j, i], v)
        return ContourData(cx, cy, ux, uy, z, px, py, pv, interpolated=False)
    gx = np.linspace(px.min(), px.max(), _RESOLUTION)
    gy = np.linspace(py.min(), py.max(), _RESOLUTION)
    z = _interpolate(px, py, pv, gx, gy)
    return ContourData(cx, cy, gx, gy, z, px, py, pv, interpolated=True)


def _interpolate(px: np.ndarray, py: np.ndarray, pv: np.ndarray, gx: np.ndarray,
                 gy: np.ndarray) -> np.ndarray:
    from scipy.interpolate import griddata
    from scipy.spatial import QhullError

    if len(pv) > _MAX_POINTS:
        keep = np.random.default_rng(0).choice(len(pv), size=_MAX_POINTS, replace=False)
        px, py, pv = px[keep], py[keep], pv[keep]
    mesh_x, mesh_y = np.meshgrid(gx, gy)
    # Scale both axes to [0, 1] so that the triangulation does not favour the wider one.
    sx, sy = np.ptp(px) or 1.0, np.ptp(py) or 1.0
    points = np.column_stack([(px - px.min()) / sx, (py - py.min()) / sy])
    where = np.column_stack([((mesh_x - px.min()) / sx).ravel(),
                             ((mesh_y - py.min()) / sy).ravel()])
    try:
        z = griddata(points, pv, where, method="linear")
    except QhullError:  # every point on one line: the nearest trial's value
        z = griddata(points, pv, where, method="nearest")
    return np.asarray(z, dtype=float).reshape(mesh_x.shape)
