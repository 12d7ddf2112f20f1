"""CSV cells a spreadsheet would run as a formula, and how they are neutralised.

One rule for every CSV we write (Ibis exports and Python-written rows alike): a cell starting
with one of OWASP's formula characters gets a leading single quote, unless it is a number as
our writers print it (signed, decimal, with an exponent, or inf/nan), so amounts keep their sign.
"""

from __future__ import annotations

import re

FORMULA_START = r"^[=+\-@\t\r]"
PLAIN_NUMBER = r"^[+-]?(([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?|inf|nan)$"

_FORMULA_START = re.compile(FORMULA_START)
_PLAIN_NUMBER = re.compile(PLAIN_NUMBER)


def safe_cell(text: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    # fullmatch: Python's `$` would also match before a final newline, RE2's (DuckDB) does not
    if _FORMULA_START.match(text) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text
