"""Personal data at rest: encrypted, authenticated, rotatable, and nowhere in clear."""

from __future__ import annotations

import logging
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from services.interview_service import Respondent
from storage import customers, rotation
from storage.crypto import Cipher, DecryptionError, key_id
from storage.database import create_engine, session_factory
from storage.models import Contact, InboxUpdate, Reminder, utcnow
from tests import scripts
from tests.conftest import FakeClock
from tests.scripts import script_to, shipped
from tests.storage.helpers import harness
from tests.storage.test_interviews import drive

INDEX_KEY = "another-blind-index-key-of-enough-length"
CANARY_PHONE = "13912345678"  # typed as "139 1234 5678", stored as +8613912345678
CANARIES = {"phone": CANARY_PHONE, "email": "canary.7e1d@example.com",
            "notes": "CANARY-NOTE-5c2f", "messenger": "wx_canary_91ab", "birthday": "1979-04-03"}


def test_encryption_is_randomised_authenticated_and_marked_with_its_key() -> None:
    key = Fernet.generate_key().decode()
    cipher = Cipher([key], INDEX_KEY)
    one, two = cipher.encrypt("+8613800138000"), cipher.encrypt("+8613800138000")
    assert one != two  # a random IV each time: equal values do not look equal
    assert one.startswith(f"enc:{key_id(key)}:") and cipher.is_current(one)
    assert cipher.decrypt(one) == cipher.decrypt(two) == "+8613800138000"
    token = bytearray(one.encode())
    token[-10] ^= 0x01  # one flipped bit
    with pytest.raises(DecryptionError, match="failed authentication"):
        cipher.decrypt(token.decode("latin-1"))
    with pytest.raises(DecryptionError):
        Cipher([Fernet.generate_key().decode()], INDEX_KEY).decrypt(one)  # a wrong key
    assert cipher.index("phone", "+8613800138000") == cipher.index("phone", "+8613800138000")
    assert cipher.index("phone", "+8613800138000") != Cipher(
        [key], INDEX_KEY + "x").index("phone", "+8613800138000")  # a keyed hash


def test_bad_keys_are_refused_with_a_reason() -> None:
    from storage.crypto import KeyProblem

    with pytest.raises(KeyProblem, match="not a Fernet key"):
        Cipher(["short"], INDEX_KEY)
    key = Fernet.generate_key().decode()
    with pytest.raises(KeyProblem, match="must differ"):
        Cipher([key], key)
    with pytest.raises(KeyProblem, match="at least 32"):
        Cipher([key], "tiny")


async def test_a_tampered_value_in_the_database_is_an_error_not_garbage(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        async with h.sessions.begin() as s:
            customer = await customers.create(s, "Acme", clock())
            contact = await customers.new_contact(s, customer.id, clock())
            contact.phone = "+8613800138000"
        async with h.sessions.begin() as s:
            stored = await s.scalar(text("SELECT phone FROM contacts"))
            assert stored.startswith("enc:")
            flipped = stored[:-5] + ("A" if stored[-5] != "A" else "B") + stored[-4:]
            await s.execute(text("UPDATE contacts SET phone = :p"), {"p": flipped})
        with pytest.raises(DecryptionError):
            async with h.sessions() as s:
                await s.scalar(select(Contact.phone))


async def test_rotation_re_encrypts_everything_and_can_resume(
        db_url: str, shipped_flows: dict, clock: FakeClock) -> None:
    async with harness(db_url, shipped_flows, clock) as h:
        async with h.sessions.begin() as s:
            customer = await customers.create(s, "Acme", clock())
            for n in range(5):
                contact = await customers.new_contact(s, customer.id, clock())
                contact.phone, contact.notes = f"+86138001380{n:02d}", f"note {n}"
        new_key = Fernet.generate_key().decode()
        old_keys = TEST_CIPHER_KEYS()
        rotated = Cipher([new_key, *old_keys], INDEX_KEY)
        engine = create_engine(h.engine.url.render_as_string(hide_password=False),
                               cipher=rotated)
        try:
            sessions = session_factory(engine)
            first = await rotation.rotate(sessions, rotated, batch=2)
            assert first["contacts.phone"] == 5 and first["contacts.notes"] == 5
            again = await rotation.rotate(sessions, rotated, batch=2)  # a rerun: nothing left
            assert again["contacts.phone"] == 0
            async with sessions() as s:
                phones = (await s.scalars(text("SELECT phone FROM contacts"))).all()
                assert all(p.startswith(f"enc:{key_id(new_key)}:") for p in phones)
                assert sorted((await s.scalars(select(Contact.phone))).all())[0] == (
                    "+8613800138000")
                found = await s.scalar(select(Contact.notes).where(
                    Contact.phone_index == rotated.index("phone", "+8613800138003")))
                assert found == "note 3"  # the blind index follows the new index key
            only_new = Cipher([new_key], INDEX_KEY)  # the old key can now be dropped
            assert only_new.decrypt(phones[0]).startswith("+86138001380")
        finally:
            await engine.dispose()


def TEST_CIPHER_KEYS() -> list[str]:
    import os

    return os.environ["SECURITY_ENCRYPTION_KEYS"].split(",")


async def test_no_personal_data_in_clear_in_the_database_its_queue_or_the_logs(
        tmp_path: Path, shipped_flows: dict, clock: FakeClock,
        caplog: pytest.LogCaptureFixture) -> None:
    """Canary values go in through an interview, a contact and the inbox; then the raw
    SQLite file (and its WAL), the reminder queue and everything logged are searched."""
    caplog.set_level(logging.DEBUG)
    url = f"sqlite+aiosqlite:///{tmp_path / 'canary.db'}"
    async with harness(url, shipped_flows, clock) as h:
        async with h.sessions.begin() as s:
            customer = await h.service.create_customer(s, "Canary Co", Respondent("cli", "cli"))
            person = await customers.new_contact(s, customer.id, clock())
            person.email, person.notes = CANARIES["email"], CANARIES["notes"]
            person.messenger_id = CANARIES["messenger"]
            person.birthday = date.fromisoformat(CANARIES["birthday"])
            s.add(InboxUpdate(update_id=1, chat_id=5, status="pending", attempts=0,
                              next_attempt_at=utcnow(), received_at=utcnow(),
                              payload={"message": {"text": "139 1234 5678"}}))
            turn = await h.service.begin(s, customer_id=customer.id, flow_id="pre_meeting",
                                         respondent=Respondent("tg:5", "telegram"),
                                         language="en")
        # the short part, "yes" to say more, then up to the phone
        to_phone = script_to(shipped()["pre_meeting"], scripts.PRE_MEETING, "phone")
        await drive(h, turn.interview_id, [*to_phone, "139 1234 5678"])
        async with h.sessions() as s:
            stored = await s.scalar(select(Contact.phone).where(Contact.phone.is_not(None)))
            assert stored == "+86" + CANARY_PHONE  # the application reads it back
            queued = (await s.scalars(select(Reminder.payload))).all()
        async with h.sessions.begin() as s:
            await h.planner.plan(s, clock())
    raw, dump = _read_raw(tmp_path)
    logged = caplog.text + repr(queued)
    for name, value in CANARIES.items():
        needles = {value, value.replace("-", "")}
        for needle in needles:
            assert needle.encode() not in raw, f"{name} in the database file"
            assert needle not in dump, f"{name} in the SQL dump"
            assert needle not in logged, f"{name} in the logs or the queue"
    assert b"Canary Co" in raw  # the search does see clear text (company names are not secret)


def _read_raw(folder: Path) -> tuple[bytes, str]:
    """The database file with its WAL, as bytes, and as an SQL dump."""
    raw = b"".join(p.read_bytes() for p in folder.glob("canary.db*"))
    with sqlite3.connect(folder / "canary.db") as conn:
        return raw, "\n".join(conn.iterdump())


# Text columns kept in clear on purpose. A new text or JSON column fails the test below until
# it is declared encrypted (a storage.crypto.Encrypted type) or listed here with its reason.
IN_CLEAR = {
    "deal_warnings": "a warning's kind, its figures (days, counts) and when: no customer words",
    "meetings": "when a meeting is, its status, where it was set and who set it (an actor id)",
    "audit_log": "names records, fields and actors, never their contents",
    "import_runs": "a file name, who ran it and its status",
    "import_changes": "column names of a change",
    "customer_merges": "counts and card field names",
    "reminders": "kinds, keys, statuses; payloads hold flow texts and ids",
    "interviews": "flow ids, status, language; the answers are in the encrypted state",
    "answers": "question ids, stages and sources; the answer itself is encrypted",
    "invites": "hashes of tokens and browsers",
    "consents": "a notice version and a decision",
    "web_links": "a token hash",
    "web_sessions": "a session hash",
    "accounts.channel": "a channel name",
    "accounts.external_id": "the channel's id for a person, like a Telegram id (ids, no names)",
    "accounts.language": "a language code",
    "chat_events": "a channel name and the channel's event id",
    "feishu_messages.message_id": "Feishu's message id",
    "inbox_updates.status": "a status word",
    "inbox_updates.error": "our error kind and message, never the update's text",
    "users": "staff: names, roles and chat ids are the team's own directory",
    "customers.name": "company names are public and searched (README: data map)",
    "customers.name_key": "the searchable form of the name",
    "customers.search_key": "pinyin and initials of the name",
    "customers.credit_code": "a company's public registration number",
    "customers.industry": "public company facts",
    "customers.revenue_band": "public company facts",
    "customers.website": "public company facts",
    "customers.grade": "a letter",
    "customers.priority": "a word",
    "customers.tags": "tag ids",
    "contacts.decision_role": "a role id",
    "contacts.phone_index": "a keyed hash",
    "contacts.email_index": "a keyed hash",
    "contacts.name_index": "a keyed hash",
    "customer_owners": "who added a co-owner",
    "hook_endpoints.url": "a receiving system's address, set by an admin",
    "hook_endpoints.events": "event kinds",
    "hook_endpoints.status": "a status word",
    "hook_endpoints.created_by": "an actor id",
    "outbox_events": "an event id and kind; what happened is in the encrypted data",
    "hook_deliveries": "a status and the receiver's error (HTTP status and its first words)",
    "api_tokens": "a token's hash, its label and who made it",
}


def test_every_text_column_is_encrypted_or_kept_in_clear_for_a_stated_reason() -> None:
    from sqlalchemy import JSON, String

    from storage.crypto import Encrypted
    from storage.models import Base
    from storage.rotation import encrypted_columns

    undeclared = [
        f"{table.name}.{column.name}" for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, String | JSON) or "JSON" in repr(column.type)
        if not isinstance(column.type, Encrypted)
        and table.name not in IN_CLEAR and f"{table.name}.{column.name}" not in IN_CLEAR]
    assert undeclared == [], "encrypt these (storage.crypto.Encrypted) or list them in IN_CLEAR"
    rotated = {f"{t.name}.{c}" for t, names in encrypted_columns().items() for c in names}
    assert {"notes.text", "access_reasons.reason", "contacts.phone", "answers.value",
            "accounts.pending", "feishu_messages.text"} <= rotated


def test_exports_and_erasure_cover_every_encrypted_field_of_the_card() -> None:
    from storage import personal
    from storage.rotation import encrypted_columns

    by_table = {t.name: set(names) for t, names in encrypted_columns().items()}
    assert by_table["customers"] <= set(personal.CUSTOMER_FIELDS)
    assert by_table["contacts"] <= set(personal.CONTACT_FIELDS)
