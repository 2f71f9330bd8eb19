"""One line of a study file's ``[space]`` (:class:`SpaceEntry`), and how TOML values
become the Python values an estimator gets.

>>> SpaceEntry.model_validate({"low": 0.001, "high": 10, "log": True}).is_list
False
>>> SpaceEntry.model_validate([1, "None"]).values
(1, None)
"""

from __future__ import annotations

import json
import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tunesmith.cli._config_errors import At
from tunesmith.cli._config_limits import MAX_VALUES

__all__ = ["NONE_TOKEN", "FrozenModel", "SpaceEntry", "fmt", "plain_value"]

#: TOML has no null; this string stands for Python's ``None`` in lists and params.
NONE_TOKEN = "None"


class FrozenModel(BaseModel):
    """A section of the study file: immutable, and an unknown key is a mistake."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def plain_value(value: Any, where: str) -> Any:
    """A TOML value as the Python value an estimator gets (``"None"`` becomes None)."""
    if isinstance(value, str):
        return None if value == NONE_TOKEN else value
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, list):
        # Nested lists become tuples: hashable, and what sklearn takes for sizes.
        return tuple(plain_value(v, where) for v in value)
    if isinstance(value, dict):
        return {str(k): plain_value(v, where) for k, v in value.items()}
    raise At(where, f"unsupported value {value!r} ({type(value).__name__})")


def fmt(x: float) -> str:
    """A number as a person wrote it: ``-1`` rather than ``-1.0``."""
    return f"{x:g}" if isinstance(x, float) else str(x)



class SpaceEntry(FrozenModel):
    """One line of ``[space]``: a list of values, a helper that makes one, or a range."""

    values: tuple[Any, ...] | None = None
    logspace: list[Annotated[float, Field(strict=True)]] | None = None
    linspace: list[Annotated[float, Field(strict=True)]] | None = None
    range: list[Annotated[int, Field(strict=True)]] | None = None
    # Strict: "1" or true where a number belongs is a mistake to name, not to convert.
    low: float | None = Field(default=None, strict=True)
    high: float | None = Field(default=None, strict=True)
    log: bool = Field(default=False, strict=True)
    step: float | None = Field(default=None, strict=True)
    type: Literal["float", "int"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _list_form(cls, data: Any) -> Any:
        if isinstance(data, list):
            return {"values": data}
        if not isinstance(data, dict):
            raise ValueError(
                "expected a list of values, a helper such as {logspace = [-4, 4, 20]}, "
                f"or a range such as {{low = 0.1, high = 10}}; got {json.dumps(data)}"
            )
        return data

    @field_validator("values", mode="before")
    @classmethod
    def _plain(cls, values: Any) -> Any:
        if isinstance(values, list):
            return tuple(plain_value(v, "values") for v in values)
        return values

    @model_validator(mode="after")
    def _consistent(self) -> SpaceEntry:
        given = [k for k in ("values", "logspace", "linspace", "range") if getattr(self, k)
                 is not None]
        is_range = self.low is not None or self.high is not None
        if len(given) + is_range != 1:
            forms = [*given, *(["low/high"] if is_range else [])]
            raise ValueError(
                "give exactly one of: a list, logspace, linspace, range, or low and high"
                + (f"; got {', '.join(forms)}" if forms else "")
            )
        if self.values is not None and not self.values:
            raise ValueError("empty list: give at least one value")
        for helper in ("logspace", "linspace"):
            spec = getattr(self, helper)
            if spec is not None and (len(spec) != 3 or not math.isfinite(sum(spec))
                                     or spec[2] < 1 or spec[2] != int(spec[2])):
                raise ValueError(
                    f"{helper} needs [start, stop, count] with count >= 1, e.g. "
                    f"{helper} = [-4, 4, 20]; got {json.dumps(spec)}"
                )
            if spec is not None and spec[2] > MAX_VALUES:
                raise ValueError(f"{helper} count {fmt(spec[2])} is more than the "
                                 f"{MAX_VALUES} values one key may list")
        if self.range is not None:
            if not 1 <= len(self.range) <= 3 or (len(self.range) == 3 and self.range[2] == 0):
                raise ValueError(
                    "range needs [stop], [start, stop] or [start, stop, step] (step != 0), "
                    f"as Python's range; got {json.dumps(self.range)}"
                )
            size = len(range(*self.range))  # never built: [1, 10**12] must not fill memory
            if not size:
                raise ValueError(f"range {json.dumps(self.range)} is empty")
            if size > MAX_VALUES:
                raise ValueError(f"range {json.dumps(self.range)} has {size} values, more than "
                                 f"the {MAX_VALUES} one key may list; use low and high with "
                                 'type = "int" and strategy "random", "sobol" or "tpe"')
        if is_range:
            self._check_range()
        elif self.log or self.step is not None or self.type is not None:
            raise ValueError("log, step and type go with low and high")
        return self

    def _check_range(self) -> None:
        if self.low is None or self.high is None:
            missing = "low" if self.low is None else "high"
            raise At(missing, "missing required key (a range needs low and high)")
        low, high = self.low, self.high
        if not (math.isfinite(low) and math.isfinite(high)):
            raise ValueError(f"low and high must be finite, got low={fmt(low)}, high={fmt(high)}")
        if low > high:
            raise ValueError(f"low must be <= high, got low={fmt(low)}, high={fmt(high)}")
        if not math.isfinite(high - low):  # a sampler would draw inf or NaN
            raise ValueError(f"high - low must be a finite number, got low={fmt(low)}, "
                             f"high={fmt(high)}")
        if self.type == "int" and max(abs(low), abs(high)) > 2**53:
            raise ValueError(f'an int range must lie within -2**53 and 2**53 (integers a float '
                             f"holds exactly), got low={fmt(low)}, high={fmt(high)}")
        if self.log and low <= 0:
            raise ValueError(f"log scale needs low > 0, got {fmt(low)}")
        if self.step is not None and self.step <= 0:
            raise At("step", f"must be > 0, got {fmt(self.step)}")
        if self.step is not None and self.log:
            raise ValueError("give either log = true or a step, not both")
        if self.type == "int":
            for key, value in (("low", low), ("high", high), ("step", self.step)):
                if value is not None and value != int(value):
                    raise At(key, f"must be a whole number for type = \"int\", got {fmt(value)}")

    @property
    def is_list(self) -> bool:
        """Whether this entry is an explicit list (a list or a helper making one)."""
        return self.low is None
