"""Key rotation: re-encrypt, batch by batch, every value not under the current key.

Which columns hold encrypted values is read from the tables themselves (a column whose type
is `storage.crypto.Encrypted`), never listed here: a new personal column is rotated, checked
and erased the day it is declared.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Column, Table, Text, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from storage.crypto import PREFIX, Cipher, Encrypted
from storage.models import Base, Contact, person_key


def encrypted_columns() -> dict[Table, tuple[str, ...]]:
    """Every table with encrypted columns, and their names, as the models declare them."""
    found: dict[Table, tuple[str, ...]] = {}
    for table in Base.metadata.sorted_tables:
        names = tuple(c.name for c in table.columns if isinstance(c.type, Encrypted))
        if names:
            found[table] = names
    return found


def _raw(column: Column[object]) -> ColumnElement[str]:
    return column.cast(column.type.impl)  # type: ignore[attr-defined]


async def rotate(sessions: async_sessionmaker[AsyncSession], cipher: Cipher,
                 batch: int = 500) -> dict[str, int]:
    """Returns how many values each column had re-encrypted. Resumable: what is done is
    committed, and done values are not picked again."""
    counts: dict[str, int] = {}
    current = f"{PREFIX}{cipher.current_id}:%"
    for table, columns in encrypted_columns().items():
        key = next(iter(table.primary_key.columns))
        for name in columns:
            column = table.c[name]
            raw = _raw(column)
            stale: ColumnElement[bool] = column.is_not(None) & raw.not_like(current)
            done = 0
            while True:
                async with sessions.begin() as session:
                    rows = (await session.execute(
                        select(key, raw).where(stale).order_by(key).limit(batch))).all()
                    if not rows:
                        break
                    # a plain-text parameter: the column's own type would encrypt again
                    await session.execute(
                        table.update().where(key == bindparam("_key"))
                        .values({name: bindparam("_value", type_=Text())}),
                        [{"_key": k, "_value": cipher.encrypt(cipher.decrypt(str(v)))}
                         for k, v in rows])
                    done += len(rows)
            counts[f"{table.name}.{name}"] = done
    counts["contacts.indexes"] = await reindex(sessions, cipher, batch)
    return counts


@dataclass
class KeyCheck:
    """What is still not under the current key, per column: values under another key that
    is configured (`keys rotate` fixes them), under a key that is not (they cannot be read),
    and in plain text (written before encryption was on)."""

    older: dict[str, int] = field(default_factory=dict)
    unknown: dict[str, dict[str, int]] = field(default_factory=dict)  # column -> key id -> n
    plain: dict[str, int] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not (self.older or self.unknown or self.plain)


async def check(session: AsyncSession, cipher: Cipher) -> KeyCheck:
    """One grouped query per encrypted column: which key wrote its values."""
    result = KeyCheck()
    for table, columns in encrypted_columns().items():
        for name in columns:
            raw = _raw(table.c[name])
            written_by = func.substr(raw, len(PREFIX) + 1, 8)
            rows = (await session.execute(
                select(raw.like(f"{PREFIX}%"), written_by, func.count())
                .where(table.c[name].is_not(None)).group_by(raw.like(f"{PREFIX}%"), written_by)
            )).all()
            where = f"{table.name}.{name}"
            for encrypted, key, count in rows:
                if not encrypted:
                    result.plain[where] = result.plain.get(where, 0) + count
                elif key == cipher.current_id:
                    continue
                elif key in cipher.key_ids:
                    result.older[where] = result.older.get(where, 0) + count
                else:
                    result.unknown.setdefault(where, {})[key] = count
    return result


async def reindex(sessions: async_sessionmaker[AsyncSession], cipher: Cipher,
                  batch: int = 500) -> int:
    """Recompute the contacts' blind indexes (after the index key changed)."""
    last, total = 0, 0
    while True:
        async with sessions.begin() as session:
            contacts = list(await session.scalars(
                select(Contact).where(Contact.id > last).order_by(Contact.id).limit(batch)))
            if not contacts:
                return total
            for contact in contacts:
                contact.phone_index = cipher.index("phone", contact.phone) \
                    if contact.phone else None
                contact.email_index = cipher.index("email", contact.email.lower()) \
                    if contact.email else None
                name = person_key(contact.name)
                contact.name_index = cipher.index("name", name) if name else None
            last, total = contacts[-1].id, total + len(contacts)
