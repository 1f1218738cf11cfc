"""Key rotation: re-encrypt, batch by batch, every value not under the current key."""

from __future__ import annotations

from sqlalchemy import Table, Text, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from storage.crypto import PREFIX, Cipher
from storage.models import Answer, Contact, Customer, InboxUpdate, Interview, person_key

ENCRYPTED: dict[Table, tuple[str, ...]] = {
    Customer.__table__: ("address", "need_type", "need_description", "budget", "timeline",  # type: ignore[dict-item]
                         "decision_process", "competitors", "next_step"),
    Contact.__table__: ("name", "title", "department", "phone", "email", "messenger_id",  # type: ignore[dict-item]
                        "birthday", "notes"),
    Answer.__table__: ("raw_text", "value", "other_text"),  # type: ignore[dict-item]
    Interview.__table__: ("state",),  # type: ignore[dict-item]
    InboxUpdate.__table__: ("payload", "reply"),  # type: ignore[dict-item]
}


async def rotate(sessions: async_sessionmaker[AsyncSession], cipher: Cipher,
                 batch: int = 500) -> dict[str, int]:
    """Returns how many values each column had re-encrypted. Resumable: what is done is
    committed, and done values are not picked again."""
    counts: dict[str, int] = {}
    current = f"{PREFIX}{cipher.current_id}:%"
    for table, columns in ENCRYPTED.items():
        key = next(iter(table.primary_key.columns))
        for name in columns:
            column = table.c[name]
            raw = column.cast(column.type.impl)  # type: ignore[attr-defined]
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
