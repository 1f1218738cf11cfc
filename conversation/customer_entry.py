"""Customers arrive through an invite link, see who asks and why, and consent first."""

from __future__ import annotations

from sqlalchemy import select, update

from chat.actions import Button, Send
from conversation.context import Ctx
from conversation.interview_replies import after_turn, mark_pressed
from conversation.texts import CONSENT_VERSION, consent_notice, say
from flows.i18n import pick
from storage import audit, consents, invites
from storage.models import Consent, Interview, Invite, Reminder, User


async def open_invite(ctx: Ctx, token: str) -> None:
    """`/start <token>`: a clear refusal for any bad token, revealing nothing about anyone."""
    invite = await invites.find(ctx.session, token)
    if invite is None or not invites.usable_by(invite, ctx.incoming.user_id, ctx.now):
        await _audit(ctx, "invite.refused", None, "refused")
        ctx.actions.append(Send(ctx.chat_id, say("invalid_link", ctx.lang)))
        return
    if invite.telegram_id is None:
        invite.telegram_id, invite.opened_at = ctx.incoming.user_id, ctx.now
        await _audit(ctx, "invite.open", invite.id)
    if await _completed(ctx, invite):
        ctx.actions.append(Send(ctx.chat_id, say("already_done", ctx.lang)))
        return
    decision = await consents.latest(ctx.session, ctx.incoming.user_id, invite.customer_id,
                                     CONSENT_VERSION)
    if decision == "accepted":
        await _begin(ctx, invite)
        return
    await _notice(ctx, invite, changed=decision == "outdated")


async def _notice(ctx: Ctx, invite: Invite, changed: bool) -> None:
    """The consent notice with Agree / Decline; `changed`: it is shown again because its
    wording changed since the customer agreed (they must agree to the new one)."""
    inviter = await ctx.session.get(User, invite.created_by) if invite.created_by else None
    flow = ctx.flows[invite.flow_id]
    text = consent_notice(ctx.lang, inviter.name if inviter else None,
                          pick(flow.title, ctx.lang), changed)
    buttons = ((Button(say("agree", ctx.lang), f"consent:{invite.id}.y"),
                Button(say("decline", ctx.lang), f"consent:{invite.id}.n")),)
    ctx.actions.append(Send(ctx.chat_id, text, buttons))


async def ask_again(ctx: Ctx) -> bool:
    """A customer answering an interview they agreed to under an older notice: nothing is
    taken; the new notice is shown to agree to first. False when that is not the case."""
    if ctx.user is not None:
        return False
    found = (await ctx.session.execute(
        select(Invite).join(Interview, Interview.id == Invite.interview_id)
        .where(Interview.respondent_key == ctx.respondent.key, Interview.status == "active",
               Invite.telegram_id == ctx.incoming.user_id)
        .order_by(Interview.updated_at.desc()).limit(1))).scalars().first()
    if found is None or not invites.usable_by(found, ctx.incoming.user_id, ctx.now):
        return False
    decision = await consents.latest(ctx.session, ctx.incoming.user_id, found.customer_id,
                                     CONSENT_VERSION)
    if decision != "outdated":
        return False
    await _notice(ctx, found, changed=True)
    return True


async def answer_consent(ctx: Ctx, argument: str) -> bool:
    """A press on Agree/Decline; False when the button is not this person's to press."""
    invite_id, _, choice = argument.partition(".")
    invite = await ctx.session.get(Invite, int(invite_id)) if invite_id.isdecimal() else None
    if (invite is None or choice not in ("y", "n")
            or invite.telegram_id != ctx.incoming.user_id
            or not invites.usable_by(invite, ctx.incoming.user_id, ctx.now)):
        return False
    accepted = choice == "y"
    await consents.record(ctx.session, telegram_id=ctx.incoming.user_id,
                          customer_id=invite.customer_id, invite_id=invite.id,
                          version=CONSENT_VERSION,
                          decision="accepted" if accepted else "declined", now=ctx.now)
    await _audit(ctx, "consent.accept" if accepted else "consent.decline", invite.id)
    mark_pressed(ctx, say("agree" if accepted else "decline", ctx.lang))
    if accepted:
        await _begin(ctx, invite)
    else:
        ctx.actions.append(Send(ctx.chat_id, say("declined", ctx.lang)))
    return True


async def forget(ctx: Ctx) -> None:
    """`/forget`: withdraw consent; unfinished interviews stop, nothing more is asked."""
    user_id = ctx.incoming.user_id
    customers = set(await ctx.session.scalars(
        select(Consent.customer_id).where(Consent.telegram_id == user_id)))
    for customer_id in customers:
        await consents.record(ctx.session, telegram_id=user_id, customer_id=customer_id,
                              invite_id=None, version=CONSENT_VERSION, decision="withdrawn",
                              now=ctx.now)
    await ctx.session.execute(
        update(Interview).where(Interview.respondent_key == ctx.respondent.key,
                                Interview.status == "active")
        .values(status="cancelled", updated_at=ctx.now))
    # no more nudges or anything else addressed to this person
    await ctx.session.execute(
        update(Reminder).where(Reminder.recipient_chat == user_id, Reminder.status == "pending")
        .values(status="cancelled", updated_at=ctx.now, last_error="consent withdrawn"))
    await _audit(ctx, "consent.withdraw", None)
    ctx.actions.append(Send(ctx.chat_id, say("forgotten", ctx.lang)))


async def _completed(ctx: Ctx, invite: Invite) -> bool:
    if invite.interview_id is None:
        return False
    interview = await ctx.session.get(Interview, invite.interview_id)
    return interview is not None and interview.status == "completed"


async def _begin(ctx: Ctx, invite: Invite) -> None:
    turn = await ctx.interviews.begin(ctx.session, customer_id=invite.customer_id,
                                      flow_id=invite.flow_id, respondent=ctx.respondent,
                                      language=ctx.lang)
    invite.interview_id = turn.interview_id
    await after_turn(ctx, turn)


async def _audit(ctx: Ctx, action: str, invite_id: int | None, outcome: str = "ok") -> None:
    await audit.append(ctx.session, at=ctx.now, actor=ctx.respondent.key, action=action,
                       entity="invite", entity_id=invite_id, channel="telegram", outcome=outcome)
