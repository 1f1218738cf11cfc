"""Which recorded answers are too vague to act on (seed 003: clean the record within 24
hours, e.g. "下季度" made a concrete quarter). Pure: the rules come from the policy file.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

# rule name -> how it reads on screen
RULE_LABELS: dict[str, dict[str, str]] = {
    "relative_date": {"zh": "相对时间", "en": "a relative date"},
    "unknown": {"zh": "不确定", "en": "not known"},
    "range_without_number": {"zh": "没有具体数字", "en": "no number"},
}
# card fields worth a clean-up when vague (the opportunity's facts)
CLEANABLE = ("deal.timeline", "deal.budget", "deal.decision_process", "deal.need_description",
             "deal.need_type", "deal.competitors")
_DIGIT = re.compile(r"\d")


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def vague_reason(value: object, rules: Mapping[str, Sequence[str]]) -> str | None:
    """The first rule a stored answer falls under, or None when it is concrete.

    A phrase matches anywhere in the answer (case and width ignored), except that
    `range_without_number` phrases only count in an answer without any digit
    ("几十万" is vague, "30万左右" is not).
    """
    if value is None:
        return None
    text = _fold(str(value))
    if not text:
        return None
    for rule, phrases in rules.items():
        if rule == "range_without_number" and _DIGIT.search(text):
            continue
        if any(_contains(text, _fold(p)) for p in phrases):
            return rule
    return None


def _contains(text: str, phrase: str) -> bool:
    """A Chinese phrase anywhere; a Latin one as whole words ("some" is not in "handsome")."""
    if not phrase:
        return False
    if phrase.isascii():
        return re.search(rf"(?<![a-z0-9_]){re.escape(phrase)}(?![a-z0-9_])", text) is not None
    return phrase in text


def rule_label(rule: str, lang: str) -> str:
    names = RULE_LABELS.get(rule)
    return names.get(lang, names["en"]) if names else rule
