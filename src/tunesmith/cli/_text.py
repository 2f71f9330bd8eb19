"""Stored text made safe to print on a terminal.

Study names, parameter values and failure messages come from storage, which anyone with
write access to the database (or a study file, or an estimator's error text) filled. An
escape sequence in them must not reach the terminal raw (it can move the cursor, rewrite
what was printed, set the window title), and Unicode's bidirectional overrides can make
text read differently from what it is. Rich markup is handled where the text is printed:
the CLI's consoles have markup and emoji codes switched off, so ``[/bold]`` is text.
"""

from __future__ import annotations

import re

__all__ = ["clean", "redact"]

# scheme://user:password@  -> scheme://user:***@  (the password may hold anything but
# whitespace and '@'; an '@' inside one is percent-encoded in a valid URL).
_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][\w+.\-]*://[^:/@\s]*):(?P<pw>[^@\s]*)@")

# C0 and C1 control characters but tab and newline, DEL, and the bidi controls.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(text: str, *, one_line: bool = False) -> str:
    """``text`` with control characters written as escapes (``\\x1b``), never raw.

    >>> clean("\\x1b[31mred\\x1b[0m")
    '\\\\x1b[31mred\\\\x1b[0m'
    >>> clean("two\\nlines", one_line=True)
    'two\\\\nlines'
    """
    if one_line:
        text = text.replace("\n", "\\n").replace("\t", " ")
    return _UNSAFE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def redact(text: str) -> str:
    """``text`` with the password of every URL in it replaced by ``***``.

    >>> redact("postgresql://ann:s3cret@db.example/runs and sqlite:////tmp/x.db")
    'postgresql://ann:***@db.example/runs and sqlite:////tmp/x.db'
    >>> redact("postgresql://ann@db/runs")
    'postgresql://ann@db/runs'
    """
    return _PASSWORD.sub(lambda m: f"{m['head']}:***@", text)
