"""Choosing a language for an `I18nText`."""

from __future__ import annotations

from typing import Any

from flows.model import I18nText

SUPPORTED_LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"


def normalise_language(code: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """Map a Telegram/locale code (`zh-hans`, `en-US`, `EN`) onto a supported language."""
    if not code:
        return default
    base = code.strip().lower().replace("_", "-").split("-")[0]
    return base if base in SUPPORTED_LANGUAGES else default


def pick(text: I18nText | None, lang: str) -> str:
    """The text in `lang`, else Chinese, else English, else any language given."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    for candidate in (lang, DEFAULT_LANGUAGE, "en"):
        if candidate in text:
            return text[candidate]
    return next(iter(text.values()), "")


def either(lang: str, zh: str, en: str) -> str:
    """One sentence written out in both languages, in `lang` (as `pick` chooses)."""
    return pick({"zh": zh, "en": en}, lang)


def from_catalog(catalog: dict[str, dict[str, str]], key: str, lang: str, **params: Any) -> str:
    """A sentence from a message catalogue in `lang` (else English), with its blanks filled."""
    texts = catalog[key]
    template = texts.get(lang) or texts["en"]
    return template.format(**params) if params else template
