"""Interview rows: found, created, and locked for one update at a time."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, event, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.orm.attributes import set_committed_value

from storage.among import among
from storage.deferred import defer
from storage.models import Interview

LOCKED = "locked_interviews"  # session.info: ids this transaction has locked already


@event.listens_for(Session, "after_transaction_end")
def _locks_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # committed or rolled back: the row locks are gone
        session.info.pop(LOCKED, None)


def _remember(session: AsyncSession, locked: Iterable[Interview]) -> None:
    """These interviews are locked until the transaction ends: later `lock` calls take them
    from the session. Not inside a savepoint: rolling it back releases the locks it took."""
    if not session.in_nested_transaction():
        session.info.setdefault(LOCKED, set()).update(i.id for i in locked)


async def lock(session: AsyncSession, interview_id: int) -> Interview | None:
    """Load the interview for update: a row lock on PostgreSQL; on SQLite the
    transaction already holds the database write lock (BEGIN IMMEDIATE). An interview
    this transaction locked before (here, by `lock_active` or `active_or_stopped`) comes
    from the session, no query."""
    if interview_id in session.info.get(LOCKED, ()):
        found = await session.get(Interview, interview_id)
        if found is not None:
            return found
    result = await session.execute(
        select(Interview).where(Interview.id == interview_id).with_for_update()
        .execution_options(populate_existing=True))
    found = result.scalar_one_or_none()
    if found is not None:
        _remember(session, [found])
    return found


TABLE: Table = Interview.__table__  # type: ignore[assignment]
STEPPED = ("state", "fingerprint", "flow_version", "language", "updated_at", "last_update_id")
SAVE = (update(TABLE).where(TABLE.c.id == bindparam("b_id"))
        .values({name: bindparam(f"b_{name}") for name in STEPPED}))


def save_step(session: AsyncSession, interview: Interview, *, state: dict[str, Any],
              fingerprint: str, flow_version: str, language: str, now: datetime,
              last_update_id: int | None) -> None:
    """An interview's new state after a step: the object holds it at once, the row gets it
    with the batch's other interviews in one statement (storage.deferred)."""
    values = {"state": state, "fingerprint": fingerprint, "flow_version": flow_version,
              "language": language, "updated_at": now, "last_update_id": last_update_id}
    for name, value in values.items():
        set_committed_value(interview, name, value)
    defer(session, SAVE, {"b_id": interview.id} | {f"b_{k}": v for k, v in values.items()},
          about=interview)


async def active_or_stopped(session: AsyncSession, respondent_key: str, customer_id: int,
                            flow_id: str, stopped_since: datetime
                            ) -> tuple[Interview | None, Interview | None]:
    """This respondent's interview of this flow and customer under way (locked), and the
    newest one stopped with /cancel since `stopped_since` (to offer to go on with it): one
    query for both."""
    found = list(await session.scalars(
        select(Interview).where(
            Interview.respondent_key == respondent_key, Interview.customer_id == customer_id,
            Interview.flow_id == flow_id,
            (Interview.status == "active")
            | ((Interview.status == "cancelled") & (Interview.updated_at >= stopped_since)))
        .order_by(Interview.id.desc()).with_for_update()))
    _remember(session, found)
    active = next((i for i in found if i.status == "active"), None)
    stopped = next((i for i in found if i.status == "cancelled"), None)
    return active, stopped


async def create(session: AsyncSession, *, flow_id: str, flow_version: str, fingerprint: str,
                 customer_id: int, respondent_key: str, language: str, state: dict[str, Any],
                 now: datetime, respondent_user_id: int | None = None,
                 contact_id: int | None = None) -> Interview:
    interview = Interview(
        flow_id=flow_id, flow_version=flow_version, fingerprint=fingerprint,
        customer_id=customer_id, contact_id=contact_id, respondent_key=respondent_key,
        respondent_user_id=respondent_user_id, language=language, status="active",
        state=state, started_at=now, updated_at=now)
    session.add(interview)
    await session.flush()
    return interview


async def lock_active(session: AsyncSession, respondent_keys: Iterable[str]
                      ) -> list[Interview]:
    """Lock every active interview of these respondents in one query, the one each touched
    last at the end. Later `lock` calls in this transaction take them as locked, from the
    session while the caller holds the list."""
    keys = set(respondent_keys)
    if not keys:
        return []
    found = list(await session.scalars(
        select(Interview).where(among(session, Interview.respondent_key, keys),
                                Interview.status == "active")
        .order_by(Interview.updated_at, Interview.id).with_for_update()))
    _remember(session, found)
    return found


async def current_for(session: AsyncSession, respondent_key: str) -> Interview | None:
    """The respondent's unfinished interview they touched last (the one in front of them)."""
    return await session.scalar(
        select(Interview).where(Interview.respondent_key == respondent_key,
                                Interview.status == "active")
        .order_by(Interview.updated_at.desc(), Interview.id.desc()).limit(1))


async def last_completed(session: AsyncSession, respondent_key: str) -> Interview | None:
    """The respondent's interview finished last (the one a correction is about)."""
    return await session.scalar(
        select(Interview).where(Interview.respondent_key == respondent_key,
                                Interview.status == "completed")
        .order_by(Interview.completed_at.desc(), Interview.id.desc()).limit(1))


async def stop_all(session: AsyncSession, respondent_key: str, now: datetime) -> None:
    """Every unfinished interview of this respondent stopped (the answers stay)."""
    await session.execute(
        update(Interview).where(Interview.respondent_key == respondent_key,
                                Interview.status == "active")
        .values(status="cancelled", updated_at=now))


async def last_contact_of(session: AsyncSession, respondent_key: str,
                          customer_id: int) -> int | None:
    """The contact this respondent's latest interview with the customer spoke for."""
    return await session.scalar(
        select(Interview.contact_id).where(Interview.respondent_key == respondent_key,
                                           Interview.customer_id == customer_id,
                                           Interview.contact_id.is_not(None))
        .order_by(Interview.id.desc()).limit(1))
