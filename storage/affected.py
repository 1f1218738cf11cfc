"""How many rows a statement inserted, changed or deleted."""

from __future__ import annotations


def rows(result: object) -> int:
    """The row count of an executed INSERT, UPDATE or DELETE: 0 where the driver does not
    know it (it says -1, or a result has no count)."""
    return max(int(getattr(result, "rowcount", 0) or 0), 0)
