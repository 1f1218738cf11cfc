"""Customer tags in words. The shipped flows' rules set tags such as `priority:high` and
`needs:decision_maker`; people read them as "高优先级" or "decision maker still to meet",
on the card, in exports and on the dashboard, never as the id."""

from __future__ import annotations

from flows.i18n import from_catalog

TAGS: dict[str, dict[str, str]] = {
    "priority:high": {"zh": "高优先级", "en": "high priority"},
    "priority:medium": {"zh": "中优先级", "en": "medium priority"},
    "priority:low": {"zh": "低优先级", "en": "low priority"},
    "needs:decision_maker": {"zh": "还需见到决策人", "en": "decision maker still to meet"},
    "opportunity:new_need": {"zh": "有新需求", "en": "new need"},
    "pain:serious": {"zh": "痛点严重", "en": "serious pain"},
    "risk:unhappy": {"zh": "客户不满意", "en": "customer unhappy"},
}


def tag_label(tag: str, lang: str) -> str:
    """The tag in words; a tag a custom flow invented reads as its last part
    (`needs:budget` → "budget"), with its underscores as spaces."""
    if tag in TAGS:
        return from_catalog(TAGS, tag, lang)
    return tag.rsplit(":", 1)[-1].replace("_", " ")
