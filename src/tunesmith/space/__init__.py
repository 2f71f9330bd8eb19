"""Search spaces: what a parameter can be, and which combinations to try.

The bottom layer of tunesmith: it imports nothing from the package but
``tunesmith.exceptions``.

* Dimensions, one parameter's domain: :class:`Float`, :class:`Int`,
  :class:`Categorical`, :class:`Distribution` (all :class:`Dimension`).
* :class:`Space`: named dimensions, with :class:`Condition` (a parameter only
  matters for some values of another) and :class:`Forbidden` (combinations to skip).
* :class:`SpaceUnion`: several spaces, scikit-learn's list-of-dicts grid.
* :class:`Grid`: every point of finite spaces, lazily, in ``ParameterGrid`` order.
* :func:`to_space` reads the scikit-learn forms; :func:`encode_value` and
  :func:`decode_value` make parameter values JSON-safe.

>>> from tunesmith.space import Float, Space, to_space
>>> space = to_space({"kernel": ["linear", "rbf"], "C": Float(1e-3, 1e3, log=True)})
>>> space.names, space.is_finite
(('kernel', 'C'), False)
"""

from __future__ import annotations

from tunesmith.space._base import Dimension
from tunesmith.space._categorical import Categorical
from tunesmith.space._conditions import Condition, Forbidden
from tunesmith.space._convert import to_space
from tunesmith.space._distribution import Distribution
from tunesmith.space._grid import Grid
from tunesmith.space._json import decode_value, encode_value
from tunesmith.space._keys import same_value
from tunesmith.space._numeric import Float, Int
from tunesmith.space._space import Space, as_dimension
from tunesmith.space._union import SpaceUnion

__all__ = [
    "Categorical",
    "Condition",
    "Dimension",
    "Distribution",
    "Float",
    "Forbidden",
    "Grid",
    "Int",
    "Space",
    "SpaceUnion",
    "as_dimension",
    "decode_value",
    "encode_value",
    "same_value",
    "to_space",
]
