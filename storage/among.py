"""`column IN (values)` for a batch's ids, as one statement whatever the batch's size.

An expanding `IN` renders one parameter per value at every execution: SQLAlchemy rewrites
the compiled SQL each time, and on PostgreSQL every batch size is a statement of its own to
prepare (asyncpg keeps a cache of them per connection). On PostgreSQL the values go as one
array instead (`= ANY(:values)`): one text, one prepared statement, for every batch. SQLite
has no arrays and keeps `IN`. For plain columns (integers, text), not encrypted ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ARRAY, any_, bindparam
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement


def among(session: AsyncSession, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    wanted = list(values)
    if session.get_bind().dialect.name != "postgresql":
        return column.in_(wanted)  # type: ignore[no-any-return]
    same: ColumnElement[bool] = column == any_(
        bindparam(f"{column.key}_among", wanted, type_=ARRAY(column.type)))
    return same
