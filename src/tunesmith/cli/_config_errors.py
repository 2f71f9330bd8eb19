"""How a study file's mistakes are worded: one line, about one key, in the file's terms.

pydantic reports every problem with its location and type; a person editing TOML
wants the first one, named by its dotted key, with what was wrong and, for a
misspelt key, the key they probably meant.
"""

from __future__ import annotations

import difflib
import enum
import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

__all__ = ["At", "first_error"]


class At(ValueError):
    """Raised inside a validator to point below the validated object's own key.

    >>> str(At("step", "must be > 0, got -1"))
    'must be > 0, got -1'
    """

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


def first_error(exc: ValidationError, sections: Mapping[str, type[BaseModel]]
                ) -> tuple[str, str]:
    """The first of pydantic's errors as a key and a one-line message.

    ``sections`` maps a section's key (``""`` for the top level, ``"space.*"`` for any
    one space entry) to its model, so that an unknown key can be answered with the
    keys that section takes.
    """
    errors = exc.errors(include_url=False)
    # A misspelt key ("[serach]") also makes the real one missing: name the cause first.
    errors.sort(key=lambda e: e["type"] != "extra_forbidden")
    error = errors[0]
    loc = [p for p in error["loc"] if p != "[key]"]
    ctx = error.get("ctx") or {}
    cause = ctx.get("error")
    kind = error["type"]
    if isinstance(cause, At):
        loc = [*loc, *cause.key.split(".")]
        message = cause.message
    elif kind == "extra_forbidden":
        message = _unknown_key_message(loc, sections)
    elif kind == "missing":
        message = "missing required key"
    elif kind in ("value_error", "assertion_error"):
        message = str(cause) if cause is not None else error["msg"]
    else:
        message = (_enum_message(loc, sections) if kind == "string_type" else None) or (
            _TYPE_MESSAGES.get(kind) or error["msg"].replace("Input should be", "must be"))
        message = f"{message}, got {_shown(error.get('input'))}"
    if len(errors) > 1:
        more = len(errors) - 1
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    return _key(loc), message


_TYPE_MESSAGES = {
    "int_parsing": "must be an integer",
    "int_type": "must be an integer",
    "int_from_float": "must be an integer",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": "must be a string",
    "dict_type": "must be a table",
    "model_type": "must be a table",
    "mapping_type": "must be a table",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
}


def _enum_message(loc: list[Any], sections: Mapping[str, type[BaseModel]]) -> str | None:
    """For a key that takes one of a few names: the names (older pydantic says only
    "must be a string" when the value is not a string at all)."""
    parent = [str(p) for p in loc[:-1]]
    section = "space.*" if parent[:1] == ["space"] and len(parent) == 2 else ".".join(parent)
    model = sections.get(section)
    field = model.model_fields.get(str(loc[-1])) if model is not None and loc else None
    kind = getattr(field, "annotation", None)
    if not (isinstance(kind, type) and issubclass(kind, enum.Enum)):
        return None
    names = [repr(member.value) for member in kind]
    return "must be " + (", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1
                         else names[0])


def _key(loc: list[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _shown(value: Any) -> str:
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


def _unknown_key_message(loc: list[Any], sections: Mapping[str, type[BaseModel]]) -> str:
    parent = [str(p) for p in loc[:-1]]
    section = "space.*" if parent[:1] == ["space"] and len(parent) == 2 else ".".join(parent)
    model = sections.get(section)
    if model is None:
        return "unknown key"
    valid = sorted(f.alias or name for name, f in model.model_fields.items())
    close = difflib.get_close_matches(str(loc[-1]), valid, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown key{hint}; expected one of: {', '.join(valid)}"
