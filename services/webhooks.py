"""Webhook endpoints, the admin's use cases (add, list, pause, resume, remove, dead letters,
replay; each audited), and the record of each delivery's outcome, with an audit entry for
every delivery that carried personal data."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from services.events import KINDS
from storage import audit, outbox
from storage.models import HookEndpoint

STATUSES = {"pause": "paused", "resume": "active", "remove": "removed"}


class HookError(ValueError):
    """A request the admin can fix: the message says what was wrong and what is expected."""


@dataclass
class Outcome:
    item: outbox.Claimed
    status: str  # sent | dead | retry
    error: str | None
    personal: list[str]  # the personal parts it carried, when sent
    retry_after: float | None = None


@dataclass(frozen=True)
class Registered:
    id: int
    url: str
    events: list[str]
    personal: bool
    secret: str  # shown once, never again


@dataclass(frozen=True)
class EndpointView:
    id: int
    url: str
    events: list[str]
    personal: bool
    status: str
    pending: int
    sent: int
    dead: int


@dataclass(frozen=True)
class DeadLetter:
    delivery_id: int
    endpoint_id: int
    event_id: str
    kind: str
    customer_id: int | None
    attempts: int
    error: str | None
    created_at: datetime


def parse_events(text: str) -> list[str]:
    wanted = [e.strip() for e in text.replace(" ", ",").split(",") if e.strip()]
    if not wanted:
        raise HookError(f"no events given: expected a comma-separated list of "
                        f"{', '.join(KINDS)}, or *")
    unknown = [e for e in wanted if e != outbox.ALL and e not in KINDS]
    if unknown:
        raise HookError(f"unknown event {unknown[0]!r}: expected one of "
                        f"{', '.join(KINDS)}, or * for all")
    return [outbox.ALL] if outbox.ALL in wanted else sorted(set(wanted), key=KINDS.index)


def check_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise HookError(f"{url!r} is not a web address: expected http(s)://host/path, e.g. "
                        "https://crm.example.com/hooks/interviews")
    return url.strip()


async def add(session: AsyncSession, *, url: str, events: str, personal: bool, actor: str,
              channel: str, now: datetime) -> Registered:
    kinds = parse_events(events)
    secret = f"whsec_{secrets.token_urlsafe(32)}"
    endpoint = await outbox.add_endpoint(session, url=check_url(url), events=kinds,
                                         secret=secret, personal=personal, actor=actor,
                                         now=now)
    await audit.append(session, at=now, actor=actor, action="hook.add", entity="hook",
                       entity_id=endpoint.id, fields=["personal"] if personal else [],
                       channel=channel)
    return Registered(endpoint.id, endpoint.url, kinds, personal, secret)


async def listing(session: AsyncSession, removed: bool = False) -> list[EndpointView]:
    counts = await outbox.counts(session)
    return [EndpointView(e.id, e.url, list(e.events), e.personal, e.status,
                         counts.get((e.id, "pending"), 0) + counts.get((e.id, "waiting"), 0),
                         counts.get((e.id, "sent"), 0),
                         counts.get((e.id, "dead"), 0))
            for e in await outbox.endpoints(session, removed=removed)]


async def _endpoint(session: AsyncSession, endpoint_id: int) -> HookEndpoint:
    endpoint = await session.get(HookEndpoint, endpoint_id)
    if endpoint is None or endpoint.status == "removed":
        raise HookError(f"no webhook endpoint #{endpoint_id}: `interview-bot hooks list` "
                        "shows them")
    return endpoint


async def change(session: AsyncSession, endpoint_id: int, what: str, *, actor: str,
                 channel: str, now: datetime) -> int:
    """pause | resume | remove; removing cancels what was not delivered. Returns how many
    deliveries were cancelled."""
    endpoint = await _endpoint(session, endpoint_id)
    endpoint.status, endpoint.updated_at = STATUSES[what], now
    cancelled = await outbox.cancel_pending(session, endpoint.id) if what == "remove" else 0
    await audit.append(session, at=now, actor=actor, action=f"hook.{what}", entity="hook",
                       entity_id=endpoint.id, channel=channel)
    return cancelled


async def dead_letters(session: AsyncSession, endpoint_id: int | None = None,
                       limit: int = 200) -> list[DeadLetter]:
    return [DeadLetter(d.id, d.endpoint_id, e.event_id, e.kind, e.customer_id, d.attempts,
                       d.last_error, e.created_at)
            for d, e in await outbox.dead(session, endpoint_id, limit)]


async def replay(session: AsyncSession, delivery_ids: Sequence[int], *, actor: str,
                 channel: str, now: datetime) -> int:
    if not delivery_ids:
        raise HookError("nothing to replay: give delivery ids from `interview-bot hooks "
                        "dead`, or --all")
    count = await outbox.replay(session, delivery_ids, now)
    for delivery_id in delivery_ids:
        await audit.append(session, at=now, actor=actor, action="hook.replay",
                           entity="hook_delivery", entity_id=delivery_id, channel=channel)
    return count


async def record(session: AsyncSession, endpoint_id: int, rows: Sequence[dict[str, Any]],
                 results: Sequence[Outcome], now: datetime) -> None:
    """The outcomes of one batch; each delivery of personal data in the audit trail."""
    await outbox.record(session, rows)
    done = {r.item.delivery.customer_key for r, row in zip(results, rows, strict=True)
            if row["status"] != "pending"}
    if done:  # each of their customers' next event may go now
        await outbox.promote(session, endpoint_id, done, now)
    for result in results:
        if result.status == "sent" and result.personal:
            await audit.append(session, at=now, actor=f"hook:{endpoint_id}",
                               action="personal.deliver", entity="customer",
                               entity_id=result.item.event.customer_id,
                               fields=result.personal, channel="webhook")
