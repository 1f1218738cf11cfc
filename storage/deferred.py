"""Rows written together: a batch's many small writes (its answers, its interviews' new
states) go out as one statement each, outside the ORM's unit of work, which spent more on
tracking them than the database on storing them.

`defer` keeps a row in the session; the rows go out, one executemany per statement, just
before the session's next statement (whatever it reads or writes, so every query sees
them) or at the commit. A row given in a savepoint that is rolled back is not written (the
object it was about is expired, to be read again); one given before the savepoint but
written inside it is written again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.sql import Executable

PENDING = "deferred_pending"  # session.info: rows to write before the next statement
WRITTEN = "deferred_written"  # session.info: rows written in this transaction so far


@dataclass(eq=False)
class _Row:
    statement: Executable
    values: dict[str, Any]
    scope: SessionTransaction  # the (nested) transaction it was given in
    about: object | None  # the ORM object it changes, expired if the row is undone
    written_in: SessionTransaction | None = None


def defer(session: AsyncSession, statement: Executable, values: dict[str, Any],
          about: object | None = None) -> None:
    """Run `statement` with `values` before the session's next statement: with the other
    rows of the same statement, in one executemany."""
    sync = session.sync_session
    sync.info.setdefault(PENDING, []).append(_Row(statement, values, scope_of(sync), about))


def scope_of(session: Session) -> SessionTransaction:
    """The (nested) transaction the session is in now: what a rollback of it would undo."""
    scope = session.get_nested_transaction() or session.get_transaction()
    assert scope is not None, "written in a transaction"
    return scope


def _write(session: Session) -> None:
    rows: list[_Row] = session.info.pop(PENDING, None) or []
    if not rows:
        return
    where = scope_of(session)
    by_statement: dict[int, list[_Row]] = {}
    for row in rows:  # statements in the order first given; each one's rows in order
        by_statement.setdefault(id(row.statement), []).append(row)
    connection = session.connection()  # Core: plain statements, no ORM round the write
    for same in by_statement.values():
        connection.execute(same[0].statement, [row.values for row in same])
    for row in rows:
        row.written_in = where
    session.info.setdefault(WRITTEN, []).extend(rows)


def _before_statement(state: ORMExecuteState) -> None:
    _write(state.session)


def _before_commit(session: Session) -> None:
    if not session.in_nested_transaction():
        _write(session)
        session.info.pop(WRITTEN, None)


def within(scope: SessionTransaction | None, transaction: SessionTransaction) -> bool:
    """Whether `scope` is `transaction` or a savepoint inside it (what its rollback undoes)."""
    while scope is not None:
        if scope is transaction:
            return True
        scope = scope.parent
    return False


def _rolled_back(session: Session, transaction: SessionTransaction) -> None:
    """Rows given inside `transaction` go; rows it undid that were given before it are
    written again."""
    written: list[_Row] = session.info.get(WRITTEN) or []
    pending: list[_Row] = session.info.get(PENDING) or []
    again = [row for row in written
             if within(row.written_in, transaction) and not within(row.scope, transaction)]
    undone = [row for row in (*written, *pending) if within(row.scope, transaction)]
    session.info[WRITTEN] = [row for row in written if not within(row.written_in, transaction)]
    session.info[PENDING] = [*again, *(row for row in pending
                                       if not within(row.scope, transaction))]
    for row in undone:
        if row.about is not None and row.about in session:
            session.expire(row.about)
    if transaction.parent is None:  # the whole transaction: nothing stays
        session.info.pop(PENDING, None)
        session.info.pop(WRITTEN, None)


event.listen(Session, "do_orm_execute", _before_statement)
event.listen(Session, "before_commit", _before_commit)
event.listen(Session, "after_soft_rollback", _rolled_back)
