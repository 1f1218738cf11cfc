"""A customer's way through an invite, the same for every door that offers it (a chat,
the web page): the link opened (bound to the first account or browser that opens it),
the consent decided, the questionnaire begun or resumed, the inviting rep told when it is
finished. Each step audited under the respondent's key and the door's channel."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services import events
from services.interview_service import CORRECTION_WINDOW, InterviewService, Respondent, Turn
from storage import accounts, audit, consents, interviews, invites, reminders
from storage.models import Customer, Interview, Invite


@dataclass(frozen=True)
class Opened:
    invite: Invite
    browser_key: str | None = None  # the web: the key the browser keeps (new on first use)


def web_respondent(invite: Invite) -> Respondent:
    """Whoever answers an invite on its web page: known by the invite alone."""
    return Respondent(f"web:{invite.id}", "web")


async def open_in_browser(session: AsyncSession, token: str, key: str | None,
                          now: datetime) -> Opened | None:
    """The invite of a link, if this browser may use it (None: not valid, used elsewhere);
    the first browser to open it is bound to it by a new key. A finished questionnaire's
    link works on for its corrections, past its expiry."""
    found = await invites.find(session, token)
    # past the invite's expiry, a finished questionnaire's link stays open for corrections
    open_until = await _correctable_until(session, found) if (
        found is not None and found.expires_at <= now) else None
    if found is None or not invites.usable_in_browser(found, key, now, open_until):
        return None
    if found.browser_hash is None:
        key = key or secrets.token_urlsafe(32)
        found.browser_hash, found.opened_at = invites.token_hash(key), now
        await audit.append(session, at=now, actor=web_respondent(found).actor,
                           action="invite.open", entity="invite", entity_id=found.id,
                           channel="web")
    return Opened(found, key)


async def open_in_chat(session: AsyncSession, token: str, telegram_id: int,
                       respondent: Respondent, now: datetime) -> Invite | None:
    """The invite of a `/start <token>`, if this chat account may use it (None, audited as
    refused, revealing nothing: a bad, used, expired, revoked or someone else's link); the
    first account to open it is bound to it."""
    found = await invites.find(session, token)
    if found is None or not invites.usable_by(found, telegram_id, now):
        await audit.append(session, at=now, actor=respondent.actor, action="invite.refused",
                           entity="invite", entity_id=None, channel=respondent.channel,
                           outcome="refused")
        return None
    if found.telegram_id is None:
        found.telegram_id, found.opened_at = telegram_id, now
        await audit.append(session, at=now, actor=respondent.actor, action="invite.open",
                           entity="invite", entity_id=found.id, channel=respondent.channel)
    return found


async def _correctable_until(session: AsyncSession, invite: Invite) -> datetime | None:
    interview = await finished(session, invite)
    if interview is None or interview.completed_at is None:
        return None
    return interview.completed_at + CORRECTION_WINDOW


async def finished(session: AsyncSession, invite: Invite) -> Interview | None:
    """The invite's questionnaire, when it is finished."""
    if invite.interview_id is None:
        return None
    interview = await session.get(Interview, invite.interview_id)
    return interview if interview is not None and interview.status == "completed" else None


async def inviter_name(session: AsyncSession, invite: Invite) -> str | None:
    """Who sent the invite, as the consent notice names them (none: made on the CLI)."""
    if invite.created_by is None:
        return None
    user = await accounts.user_by(session, user_id=invite.created_by)
    return None if user is None else user.name


async def decide_consent(session: AsyncSession, invite: Invite, respondent: Respondent, *,
                         agreed: bool, now: datetime, telegram_id: int | None = None,
                         version: str) -> None:
    """Agree or decline to the consent notice of `version` (declining stores only that)."""
    await consents.record(session, telegram_id=telegram_id, customer_id=invite.customer_id,
                          invite_id=invite.id, version=version,
                          decision="accepted" if agreed else "declined", now=now)
    await audit.append(session, at=now, actor=respondent.actor,
                       action="consent.accept" if agreed else "consent.decline",
                       entity="invite", entity_id=invite.id, channel=respondent.channel)


async def withdraw_consent(session: AsyncSession, telegram_id: int, respondent: Respondent,
                           *, now: datetime, version: str) -> None:
    """`/forget`: consent withdrawn for every customer this person spoke for; their
    unfinished interviews stop and nothing more is sent to them."""
    customer_ids = sorted(await consents.customers_of(session, telegram_id))
    for customer_id in customer_ids:
        await consents.record(session, telegram_id=telegram_id, customer_id=customer_id,
                              invite_id=None, version=version, decision="withdrawn", now=now)
    await interviews.stop_all(session, respondent.key, now)
    await reminders.cancel_for_chat(session, telegram_id, now, "consent withdrawn")
    await audit.append(session, at=now, actor=respondent.actor, action="consent.withdraw",
                       entity="invite", entity_id=None, channel=respondent.channel)
    events.consent_withdrawn(session, customer_ids, now)


async def begin(service: InterviewService, session: AsyncSession, invite: Invite,
                respondent: Respondent, lang: str) -> Turn:
    """The invite's questionnaire: where it stands once finished, else begun or resumed
    (one stopped before is offered to go on with)."""
    done = await finished(session, invite)
    if done is not None:
        return await service.show(session, done.id, lang)
    turn = await service.begin(session, customer_id=invite.customer_id,
                               flow_id=invite.flow_id, respondent=respondent, language=lang)
    invite.interview_id = turn.interview_id
    return turn


async def under_way(service: InterviewService, session: AsyncSession, invite: Invite,
                    respondent: Respondent, lang: str) -> int:
    """The interview an answer on the invite's page goes to: the one under way (no look at
    where it stands: the answer shows that), else as `begin` finds or starts it. Locked
    here already: the answer's own lock then takes it from the session."""
    if invite.interview_id is not None:
        interview = await interviews.lock(session, invite.interview_id)
        if (interview is not None and interview.status == "active"
                and interview.respondent_key == respondent.key):
            return interview.id
    return (await begin(service, session, invite, respondent, lang)).interview_id


@dataclass(frozen=True)
class Inviter:
    """Whom to tell of a finished questionnaire, and in what words."""

    chat_id: int  # the rep's chat account
    lang: str  # the language they use with the bot
    customer: str
    interview: Interview


async def inviter_of(session: AsyncSession, interview_id: int) -> Inviter | None:
    """The rep who sent the invite of this (finished) interview, when there is one to tell
    in a chat."""
    interview = await session.get(Interview, interview_id)
    invite = await invites.of_interview(session, interview_id)
    if interview is None or invite is None or invite.created_by is None:
        return None
    rep = await accounts.user_by(session, user_id=invite.created_by)
    customer = await session.get(Customer, interview.customer_id)
    address = None if rep is None else await accounts.address_of(session, rep.id)
    if rep is None or address is None or customer is None:
        return None
    account = await accounts.at(session, address)
    lang = (account.language if account is not None else None) or rep.language
    return Inviter(address, lang, customer.name, interview)


async def tell_inviter(session: AsyncSession, invite: Invite, turn: Turn,
                       now: datetime) -> None:
    """The rep who sent the invite hears of a finished questionnaire through the reminder
    queue (the bot's dispatcher sends the summary on the rep's channel)."""
    if invite.created_by is None:
        return
    await reminders.schedule(
        session, kind="questionnaire_done", dedupe_key=f"questionnaire_done:{turn.interview_id}",
        due_at=now, now=now, customer_id=invite.customer_id, recipient_id=invite.created_by,
        payload={"interview_id": turn.interview_id, "flow_id": turn.flow_id})
