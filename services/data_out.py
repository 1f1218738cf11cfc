"""Customer data leaving the system, once for every door: an export (with its reason on
record, seed 001) and the team report, each audited as made, or as refused."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from flows.model import Flow
from services.exporting import ExportFile, Format, build_export
from services.reports import Report, build_report
from storage import audit
from storage.reporting import Owners


async def export(session: AsyncSession, flows: dict[str, Flow], owners: Owners, *,
                 fmt: Format, lang: str, now: datetime, timezone: str, reason: str,
                 actor: str, channel: str, flow_id: str | None = None,
                 since: datetime | None = None,
                 limit_bytes: int | None = None) -> tuple[ExportFile, bool]:
    """The file of what `owners` cover, and whether it is refused for being larger than
    the channel carries (`limit_bytes`); the audit entry holds the reason either way."""
    exported = await build_export(session, flows, owners, fmt=fmt, lang=lang, now=now,
                                  timezone=timezone, flow_id=flow_id, since=since)
    too_big = limit_bytes is not None and len(exported.content) > limit_bytes
    entry = await audit.append(session, at=now, actor=actor, action="export", entity="export",
                               entity_id=None, fields=[fmt], channel=channel,
                               outcome="refused" if too_big else "ok")
    await audit.record_reason(session, entry, reason)
    return exported, too_big


async def report(session: AsyncSession, flows: dict[str, Flow], owners: Owners, *,
                 now: datetime, timezone: str, lang: str, days: int, actor: str,
                 channel: str) -> Report:
    built = await build_report(session, flows, owners, now, timezone, lang, days)
    await audit.append(session, at=now, actor=actor, action="report", entity="report",
                       entity_id=None, channel=channel)
    return built
