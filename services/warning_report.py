"""Deal warnings rolled up for a manager: open now by kind and by rep (the daily digest, the
weekly report), and over a period how many began, how many ended and how long the customers
stayed at risk (the weekly report)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from flows.deal_warnings import KINDS, kind_label
from flows.i18n import from_catalog
from storage import deal_facts, reporting

TEXTS: dict[str, dict[str, str]] = {
    "open": {"zh": "⚠️ 风险提醒 {total} 条：{kinds}", "en": "⚠️ {total} deal warning(s): {kinds}"},
    "by_rep": {"zh": "  按销售：{reps}", "en": "  by rep: {reps}"},
    "period": {"zh": "  本期新增 {began}，解除 {ended}；解除前平均持续 {days} 天（中位数）",
               "en": "  this period {began} began, {ended} ended; at risk a median {days} "
                     "days before clearing"},
    "period_none_ended": {"zh": "  本期新增 {began}，解除 0", "en": "  this period {began} began, "
                                                                  "0 ended"},
}


@dataclass
class WarningCounts:
    by_kind: Counter[str] = field(default_factory=Counter)
    by_rep: Counter[str] = field(default_factory=Counter)  # by the owner's name
    began: int = 0  # in the period (the weekly report)
    ended: int = 0
    median_days: float | None = None  # at risk, of those that ended in the period

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())

    def data(self) -> dict[str, Any]:
        return {"open": dict(self.by_kind), "by_rep": dict(self.by_rep), "began": self.began,
                "ended": self.ended, "median_days_at_risk": self.median_days}

    def lines(self, lang: str) -> list[str]:
        if not self.total and not self.began and not self.ended:
            return []
        sep = "、" if lang == "zh" else ", "
        kinds = sep.join(f"{kind_label(k, lang)} {self.by_kind[k]}"
                         for k in KINDS if self.by_kind[k]) or "0"
        found = [from_catalog(TEXTS, "open", lang, total=self.total, kinds=kinds)]
        if self.by_rep:
            found.append(from_catalog(TEXTS, "by_rep", lang, reps=sep.join(
                f"{name} {n}" for name, n in self.by_rep.most_common(10))))
        if self.median_days is not None:
            found.append(from_catalog(TEXTS, "period", lang, began=self.began, ended=self.ended,
                                      days=round(self.median_days, 1)))
        elif self.began:
            found.append(from_catalog(TEXTS, "period_none_ended", lang, began=self.began))
        return found


async def counted(session: AsyncSession, rows: Sequence[Sequence[Any]]) -> WarningCounts:
    """(owner id, kind, count) rows, the owners by name."""
    users = await reporting.users_by_id(session, [row[0] for row in rows])
    found = WarningCounts()
    for owner, kind, n in rows:
        found.by_kind[kind] += n
        found.by_rep[users[owner].name if owner in users else "—"] += n
    return found


async def open_counts(session: AsyncSession, owner_ids: list[int] | None) -> WarningCounts:
    """What is open now, for these owners' customers (None: everyone's)."""
    counts = await deal_facts.open_counts(session, owner_ids)
    return await counted(session, [(owner, kind, n) for (owner, kind), n in counts.items()])


async def period_counts(session: AsyncSession, owner_ids: list[int] | None, start: datetime,
                        end: datetime) -> WarningCounts:
    """Open now, plus what began and ended in [start, end) and how long those that ended had
    lasted."""
    found = await open_counts(session, owner_ids)
    lasted = []
    for began, ended in await deal_facts.in_period(session, owner_ids, start, end):
        if began >= start:
            found.began += 1
        if ended is not None and start <= ended < end:
            found.ended += 1
            lasted.append((ended - began).total_seconds() / 86400)
    found.median_days = median(lasted) if lasted else None
    return found
