"""Encryption at rest for personal data, and blind indexes to look it up.

Values are Fernet tokens (AES-128-CBC with a random IV, authenticated by HMAC-SHA256;
cryptography's MultiFernet over every configured key, the first one current), stored as
`enc:<key id>:<token>`: the key id says which key wrote it, so rotation finds what is
left to re-encrypt. A value that fails authentication (a flipped byte, a wrong key)
raises DecryptionError; it never decrypts to garbage.

The cipher belongs to the engine (`attach`): column types look it up on the dialect
they are given, so nothing here is module-level state. An engine without a cipher (a
demo, explicitly) stores plain text, and reads both.

Blind indexes are HMAC-SHA256 with their own key over a normalised value (an E.164
phone, a lower-case email), so "is this phone known?" needs no decryption.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import date
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

PREFIX = "enc:"


class DecryptionError(ValueError):
    """A stored value that no configured key can authenticate."""


class KeyProblem(ValueError):
    """A key in the settings that is not a Fernet key."""


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


def key_id(key: str) -> str:
    return hashlib.sha256(key.encode("ascii")).hexdigest()[:8]


class Cipher:
    def __init__(self, keys: list[str], index_key: str) -> None:
        if not keys:
            raise KeyProblem("at least one encryption key is needed")
        try:
            fernets = [Fernet(k.encode("ascii")) for k in keys]
        except (ValueError, UnicodeEncodeError):
            raise KeyProblem("SECURITY_ENCRYPTION_KEYS holds a value that is not a Fernet key "
                             "(44 characters of url-safe base64): put back the key this "
                             "database was written with, from your backup of .env (`keys init` "
                             "makes keys only where none are set)") from None
        if len(index_key) < 32:
            raise KeyProblem("the blind-index key must be at least 32 characters")
        if index_key in keys:
            raise KeyProblem("the blind-index key must differ from the encryption keys")
        self.current_id = key_id(keys[0])
        self.key_ids = [key_id(k) for k in keys]
        self._fernet = MultiFernet(fernets)
        self._index_key = index_key.encode("utf-8")

    def encrypt(self, plain: str) -> str:
        token = self._fernet.encrypt(plain.encode("utf-8")).decode("ascii")
        return f"{PREFIX}{self.current_id}:{token}"

    def decrypt(self, stored: str) -> str:
        if not stored.startswith(PREFIX):
            return stored  # written before encryption was switched on; `keys rotate` fixes
        written_by, _, token = stored[len(PREFIX):].partition(":")
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError, ValueError):
            if written_by not in self.key_ids:
                raise DecryptionError(
                    f"personal data in this database was encrypted with key {written_by}, "
                    f"which is not among the configured keys ({', '.join(self.key_ids)}): add "
                    "that key to SECURITY_ENCRYPTION_KEYS (from your backup of .env), after "
                    "the current one") from None
            raise DecryptionError(f"a stored value failed authentication under key "
                                  f"{written_by}: it was altered after it was written") from None

    def is_current(self, stored: str) -> bool:
        return stored.startswith(f"{PREFIX}{self.current_id}:")

    def index(self, kind: str, value: str) -> str:
        digest = hmac.new(self._index_key, f"{kind}:{value}".encode(), hashlib.sha256)
        return base64.b32encode(digest.digest()).decode("ascii").rstrip("=").lower()[:52]


def attach(dialect: Dialect, cipher: Cipher | None) -> None:
    dialect.interview_cipher = cipher  # type: ignore[attr-defined]


def cipher_of(dialect: Dialect) -> Cipher | None:
    return getattr(dialect, "interview_cipher", None)


def blind_index(dialect: Dialect, kind: str, value: str | None) -> str | None:
    """The keyed hash that finds `value` without decrypting anything (a demo without keys
    uses a plain hash)."""
    if not value:
        return None
    cipher = cipher_of(dialect)
    if cipher is not None:
        return cipher.index(kind, value)
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()[:52]


class Encrypted(TypeDecorator[Any]):
    """A column of this type holds personal data: it is the one declaration that rotation,
    `keys rotate --check`, exports and erasure read (storage.rotation.encrypted_columns)."""

    impl = Text
    cache_ok = True

    def dump(self, value: Any) -> str:
        raise NotImplementedError

    def load(self, text: str) -> Any:
        raise NotImplementedError

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        text = self.dump(value)
        cipher = cipher_of(dialect)
        return cipher.encrypt(text) if cipher is not None else text

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, str):  # SQLite's numeric affinity on an old column type
            value = str(value)
        cipher = cipher_of(dialect)
        if cipher is not None:
            value = cipher.decrypt(value)
        elif value.startswith(PREFIX):
            raise DecryptionError("this value is encrypted, but no encryption key is set")
        return self.load(value)


class EncryptedText(Encrypted):
    cache_ok = True

    def dump(self, value: Any) -> str:
        return str(value)

    def load(self, text: str) -> Any:
        return text


class EncryptedDate(Encrypted):
    cache_ok = True

    def dump(self, value: Any) -> str:
        return value.isoformat() if isinstance(value, date) else str(value)

    def load(self, text: str) -> Any:
        return date.fromisoformat(text[:10])


class EncryptedJSON(Encrypted):
    cache_ok = True

    def dump(self, value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def load(self, text: str) -> Any:
        return json.loads(text)
